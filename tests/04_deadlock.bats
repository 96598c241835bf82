# 04_deadlock: --variant bad-order deadlocks on every run and the watchdog ends it (exit 3);
# one-order (one global lock order) always finishes; helgrind sees the inversion in a run
# that did not hang.
load helper

LESSON=04_deadlock
FAST=(--scale 0.01)

setup_file() {
    build "$BUILD/$LESSON"
}

# --timing unlucky: the first two "reaching for" lines are one of A's and one of B's (both
# reach for a first lock before either reaches for a second), naming FIRST_A and FIRST_B.
assert_both_reach_first() {
    local reaching
    reaching=$(printf '%s\n' "${lines[@]}" | grep '^worker [AB]: reaching for' | head -2 | sort)
    assert_equal "$reaching" "worker A: reaching for the $1 lock
worker B: reaching for the $2 lock"
}

# ---- one global order ---------------------------------------------------------------

@test "one-order always finishes (10 runs)" {
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        run_lesson 10 "$LESSON" --variant one-order "${FAST[@]}"
        assert_success
        assert_equal "${lines[-1]}" \
            "RESULT variant=one-order timing=unlucky finished=2 expected=2 deadlock=none OK"
        assert_line "worker A: done"
        assert_line "worker B: done"
        assert_both_reach_first database database
    done
}

@test "one-order is the default" {
    run_lesson 10 "$LESSON" "${FAST[@]}"
    assert_success
    assert_equal "${lines[0]}" \
        "variant=one-order: both take the database lock first, then the file lock"
    assert_equal "${lines[-1]}" \
        "RESULT variant=one-order timing=unlucky finished=2 expected=2 deadlock=none OK"
}

@test "one-order: B takes the database lock first although it copies file -> database" {
    run_lesson 10 "$LESSON" --variant one-order "${FAST[@]}"
    assert_success
    # B's first "reaching for" names the database lock, never the file lock.
    local b_first
    b_first=$(printf '%s\n' "${lines[@]}" | grep -m1 '^worker B: reaching for')
    assert_equal "$b_first" "worker B: reaching for the database lock"
}

# ---- the bad order: each worker in the order of its job -----------------------------

@test "bad-order deadlocks on every run; the watchdog names both workers and both locks, exit 3" {
    for _ in 1 2 3; do
        # `timeout 10` is the bound: the watchdog must end the program long before it.
        run_lesson 10 "$LESSON" --variant bad-order --timeout 0.3 "${FAST[@]}"
        assert_failure 3
        assert_line --index 0 "variant=bad-order: each takes the lock of what it copies from first"
        assert_line "watchdog: worker A holds the database lock, waits for the file lock (held by worker B)"
        assert_line "watchdog: worker B holds the file lock, waits for the database lock (held by worker A)"
        assert_line --partial "watchdog: deadlock: A waits for B and B waits for A"
        assert_line "watchdog: 0 of 2 workers finished after 0.3 s"
        assert_both_reach_first database file
        assert_equal "${lines[-1]}" \
            "RESULT variant=bad-order timing=unlucky finished=0 expected=2 deadlock=detected STUCK"
        refute_line --partial "done"
    done
}

@test "a watchdog that runs out of patience without a cycle says so: deadlock=unknown, exit 3" {
    # Each worker naps 0.2 s holding both locks, so 1 ms is certainly too little time.
    run_lesson 10 "$LESSON" --variant one-order --timeout 0.001
    assert_failure 3
    assert_line --regexp '^watchdog: [01] of 2 workers finished after 0.001 s$'
    assert_line "watchdog: no cycle in the table; just slow? try a larger --timeout"
    assert_line --regexp \
        '^RESULT variant=one-order timing=unlucky finished=[01] expected=2 deadlock=unknown STUCK$'
}

@test "bad-order with lucky timing finishes: the bug does not always show" {
    run_lesson 10 "$LESSON" --variant bad-order --timing lucky "${FAST[@]}"
    assert_success
    assert_equal "${lines[-1]}" \
        "RESULT variant=bad-order timing=lucky finished=2 expected=2 deadlock=none OK"
}

@test "one-order with lucky timing finishes" {
    run_lesson 10 "$LESSON" --variant one-order --timing lucky "${FAST[@]}"
    assert_success
    assert_equal "${lines[-1]}" \
        "RESULT variant=one-order timing=lucky finished=2 expected=2 deadlock=none OK"
}

@test "slow motion is not a hang: --scale 3 stretches the watchdog's bound with the naps" {
    # Each worker naps 0.2 s x 3 with both locks; 0.5 s unscaled would call it stuck.
    run_lesson 20 "$LESSON" --variant one-order --timing lucky --scale 3 --timeout 0.5
    assert_success
    assert_equal "${lines[-1]}" \
        "RESULT variant=one-order timing=lucky finished=2 expected=2 deadlock=none OK"
}

# ---- helgrind ----------------------------------------------------------------------

@test "helgrind: flags bad-order as a lock-order violation (in the run that does not hang)" {
    need_valgrind
    # The deadlocking run cannot be flagged: helgrind learns "database before file" only
    # when a thread acquires both, and in a deadlock no second lock is ever acquired.
    # With lucky timing both orders are acquired, and helgrind reports the inversion.
    run timeout 120 valgrind --tool=helgrind --error-exitcode=99 \
        "$BUILD/$LESSON" --variant bad-order --timing lucky "${FAST[@]}"
    assert_equal "$status" 99
    assert_output --regexp 'Thread #[0-9]+: lock order "0x[0-9A-Fa-f]+ before 0x[0-9A-Fa-f]+" violated'
    assert_output --partial 'data symbol "database"'
    assert_output --partial 'data symbol "file"'
    assert_line "RESULT variant=bad-order timing=lucky finished=2 expected=2 deadlock=none OK"
}

@test "helgrind: the watchdog still ends the real deadlock within its bound" {
    need_valgrind
    run timeout 120 valgrind --tool=helgrind "$BUILD/$LESSON" \
        --variant bad-order --timeout 1 "${FAST[@]}"
    assert_failure 3
    assert_line "watchdog: worker A holds the database lock, waits for the file lock (held by worker B)"
    assert_line \
        "RESULT variant=bad-order timing=unlucky finished=0 expected=2 deadlock=detected STUCK"
}

@test "helgrind: one-order is clean" {
    need_valgrind
    for timing in unlucky lucky; do
        run timeout 120 valgrind --tool=helgrind --error-exitcode=99 \
            "$BUILD/$LESSON" --variant one-order --timing "$timing" --timeout 30 "${FAST[@]}"
        assert_success
        assert_output --regexp 'ERROR SUMMARY: 0 errors from 0 contexts'
        assert_line \
            "RESULT variant=one-order timing=$timing finished=2 expected=2 deadlock=none OK"
    done
}

# ---- usage -------------------------------------------------------------------------

usage_run() {
    run --separate-stderr timeout 10 "$BUILD/$LESSON" "$@"
}

@test "usage: --timeout not a number" {
    usage_run --timeout soon
    assert_usage_error '--timeout: expected a number from 0.001 to 3600, got "soon"'
}

@test "usage: --timeout zero" {
    usage_run --timeout 0
    assert_usage_error '--timeout'
}

@test "usage: --timeout negative" {
    usage_run --timeout -1
    assert_usage_error '--timeout'
}

@test "usage: --timeout overflow" {
    usage_run --timeout 1e999
    assert_usage_error '--timeout'
}

@test "usage: --scale zero" {
    usage_run --scale 0
    assert_usage_error '--scale'
}

@test "usage: unknown word for --variant" {
    usage_run --variant worst
    assert_usage_error '--variant: expected one of one-order|bad-order, got "worst"'
    usage_run --variant bad
    assert_usage_error '--variant: expected one of one-order|bad-order, got "bad"'
    usage_run --variant
    assert_usage_error '--variant'
}

@test "usage: the old spelling --order is gone, an unknown option" {
    usage_run --order bad
    assert_usage_error 'unknown option "--order"'
    usage_run --order good
    assert_usage_error 'unknown option "--order"'
}

@test "usage: unknown word for --timing" {
    usage_run --timing perfect
    assert_usage_error '--timing: expected one of unlucky|lucky, got "perfect"'
}

@test "usage: unknown flag" {
    usage_run --threads 4
    assert_usage_error 'threads'
}

@test "usage: stray operand" {
    usage_run --variant one-order extra
    assert_usage_error 'unexpected argument "extra"'
}

@test "--help prints the usage and exits 0" {
    run --separate-stderr timeout 10 "$BUILD/$LESSON" --help
    assert_success
    assert_output --partial "usage: $LESSON"
    assert_output --partial "--variant one-order|bad-order"
    # shellcheck disable=SC2154  # $stderr is set by run --separate-stderr
    assert_equal "$stderr" ""
}

# ---- the quiz ------------------------------------------------------------------------

@test "quiz: every answering command shows what its answer says" {
    check_quiz "$LESSON"
}
