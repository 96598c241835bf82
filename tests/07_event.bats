# 07_event: one set releases every waiter; a late wait passes; after clear, a timed
# wait that nobody answers returns "not set", never before its timeout (the deadline
# guarantees that much; how much later it returns is printed, not judged).
load helper

LESSON=07_event
FAST=(--scale 0.01 --timeout 0.05)

setup_file() {
    build "$BUILD/$LESSON"
}

@test "one set releases every waiter; the timed wait returns not set (10 runs)" {
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        run_lesson 20 "$LESSON" "${FAST[@]}"
        assert_success
        assert_equal "${lines[-1]}" "RESULT waiters=4 released=4 timed_out_wait=not_set OK"
    done
}

@test "sixteen waiters, one set: each runner is off exactly once" {
    run_lesson 20 "$LESSON" --waiters 16 "${FAST[@]}"
    assert_success
    assert_equal "${lines[-1]}" "RESULT waiters=16 released=16 timed_out_wait=not_set OK"
    local off
    off=$(printf '%s\n' "${lines[@]}" | grep -E '^runner [0-9]+: off!$' | sort -u | wc -l)
    assert_equal "$off" 16
    refute_line --partial "gave up"
}

@test "a single waiter" {
    run_lesson 20 "$LESSON" --waiters 1 "${FAST[@]}"
    assert_success
    assert_equal "${lines[-1]}" "RESULT waiters=1 released=1 timed_out_wait=not_set OK"
}

@test "the event remembers the set; clear lowers it; the timed wait reports its elapsed time" {
    run_lesson 20 "$LESSON" "${FAST[@]}"
    assert_success
    assert_line "main: a late event_wait returns at once: the event is still set"
    assert_line "main: after event_clear, is_set says no"
    assert_line --regexp '^main: event_wait_for\(0\.05 s\) on the cleared event returned "not set" after [0-9]+\.[0-9]+ s$'
    local took
    took=$(printf '%s\n' "${lines[@]}" | sed -n 's/^main: event_wait_for.* after \([0-9.]*\) s$/\1/p')
    awk -v t="$took" 'BEGIN { exit !(t >= 0.05) }' || fail "the timed wait returned after $took s, before its 0.05 s"
}

# ---- usage -------------------------------------------------------------------------

usage_run() {
    run --separate-stderr timeout 10 "$BUILD/$LESSON" "$@"
}

@test "usage: --waiters not a number" {
    usage_run --waiters lots
    assert_usage_error '--waiters: expected an integer from 1 to 64, got "lots"'
}

@test "usage: --waiters zero" {
    usage_run --waiters 0
    assert_usage_error '--waiters'
}

@test "usage: --waiters negative" {
    usage_run --waiters -4
    assert_usage_error '--waiters'
}

@test "usage: --waiters overflow" {
    usage_run --waiters 99999999999999999999999
    assert_usage_error '--waiters'
}

@test "usage: --timeout negative" {
    usage_run --timeout -0.5
    assert_usage_error '--timeout'
}

@test "usage: --timeout not a number" {
    usage_run --timeout never
    assert_usage_error '--timeout: expected a number from 0.001 to 3600, got "never"'
}

@test "usage: --scale zero" {
    usage_run --scale 0
    assert_usage_error '--scale'
}

@test "usage: unknown flag" {
    usage_run --variant lost
    assert_usage_error 'variant'
}

@test "usage: stray operand" {
    usage_run --waiters 2 go
    assert_usage_error 'unexpected argument "go"'
}

@test "--help prints the usage and exits 0" {
    run --separate-stderr timeout 10 "$BUILD/$LESSON" --help
    assert_success
    assert_output --partial "usage: $LESSON"
    assert_output --partial "--waiters"
    assert_equal "$stderr" ""
}

# ---- the quiz ------------------------------------------------------------------------

@test "quiz: every answering command shows what its answer says" {
    check_quiz "$LESSON"
}
