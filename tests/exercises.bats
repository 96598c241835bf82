# exercises: lessons/exercises/NAME.c are skeletons a student completes; `make exercise
# E=NAME` grades one (its checks, then ThreadSanitizer, helgrind and a speed check where
# they apply), `make exercises` all of them. Every skeleton must score 0 (it compiles and
# runs, but does the wrong thing: each core check fails in every run, and the others, which
# a skeleton passes by doing nothing or when a race happens not to strike, are not run
# until the core ones pass); every reference solution must PASS every check; and a bad E=
# is a usage error.
load helper

EXERCISES=(bank barrier bounded_queue event lock_order pool_worker semaphore ticket_lock)

setup_file() {
    build -j2 exercise-bins
}

@test "make exercises: every skeleton scores 0, and the grade fails" {
    run --separate-stderr timeout 300 make -s BUILD="$BUILD" exercises
    assert_failure 2
    assert_line "SCORE exercises 0/${#EXERCISES[@]} complete"
    local name section
    for name in "${EXERCISES[@]}"; do
        assert_line --regexp "^$name +0/[1-9] +incomplete$"
        section=$(sed -n "/^== $name /,/^SCORE $name /p" <<<"$output")
        grep -qE "^SCORE $name 0/[1-9]$" <<<"$section" || fail "$name: $section"
        ! grep -E '^PASS ' <<<"$section" || fail "$name: a skeleton passed a check"
        # its own checks ran and failed, not only the "not run" lines
        grep -E '^FAIL ' <<<"$section" | grep -qv 'not run' || fail "$name: no check of its own failed"
    done
    # shellcheck disable=SC2154  # $stderr is set by run --separate-stderr
    [[ "$stderr" == *"make exercises: not every exercise is complete yet"* ]] || fail "$stderr"
}

@test "make exercises SOLUTION=1: every reference solution passes every check" {
    # SPEED_BOUND=1000: the speed stage runs, and is graded, but no timing can fail a test
    # (the reference against itself lands near 1.0, yet a test does not bet on a machine)
    run --separate-stderr env SPEED_BOUND=1000 timeout 300 make -s BUILD="$BUILD" exercises SOLUTION=1
    assert_success
    assert_line "SCORE exercises ${#EXERCISES[@]}/${#EXERCISES[@]} complete"
    refute_line --regexp '^FAIL '
    local name
    for name in "${EXERCISES[@]}"; do
        assert_line --regexp "^$name +([0-9]+)/\\1 +complete$"
    done
    # the tool stages ran: tsan for all, helgrind for all but ticket_lock, speed for ticket_lock
    [[ $(grep -c '^PASS tsan: no report$' <<<"$output") -eq ${#EXERCISES[@]} ]] || fail "tsan lines"
    [[ $(grep -c '^PASS helgrind: no error$' <<<"$output") -eq $((${#EXERCISES[@]} - 1)) ]] || fail "helgrind lines"
    assert_line --regexp '^PASS speed: [0-9.]+ ns vs reference [0-9.]+ ns CPU per uncontended lock\+unlock, ratio [0-9.]+ \(bound 1000; the median of 3 runs, each 21 pairs timed turn about\)$'
}

@test "make exercise E=semaphore: one PASS/FAIL line per check, then the score; exit agrees" {
    run --separate-stderr timeout 120 make -s BUILD="$BUILD" exercise E=semaphore SOLUTION=1
    assert_success
    assert_equal "${lines[0]}" "== semaphore (reference solution lessons/exercises/solutions/semaphore.c)"
    assert_equal "${lines[-1]}" "SCORE semaphore 5/5"
    assert_equal "$(grep -cE '^PASS ' <<<"$output")" 5
    run --separate-stderr timeout 120 make -s BUILD="$BUILD" exercise E=semaphore
    assert_failure 2
    assert_line --regexp '^SCORE semaphore [0-4]/5$'
    assert_line "FAIL tsan: not run (fix the checks above first)"
    [[ "$stderr" == *"make exercise: semaphore is not complete yet"* ]] || fail "$stderr"
}

@test "a check that hangs is killed at its limit and reported stuck; the rest still run" {
    # the lock_order skeleton deadlocks (nearly always, within milliseconds); its own stall
    # detector would say so after 1 s, so a limit of 0.5 s makes the driver kill it first
    # (--every: the deadlock checks run although the core check failed)
    run timeout 60 "$BUILD/exercises/lock_order" --every --limit 0.5
    assert_failure 1
    assert_line --index 0 --regexp '^FAIL lock order: '
    assert_equal "${#lines[@]}" 4
    assert_line --index -1 --regexp '^RESULT exercise=lock_order passed=[0-2] checks=3 FAIL$'
    for line in "${lines[@]:1:2}"; do
        [[ $line =~ ^(PASS|FAIL)\ no\ deadlock: ]] || fail "not a check line: $line"
        [[ $line != FAIL* || $line == *"(stuck: killed after 0.5s (a deadlock? a lost wakeup?))" ]] ||
            fail "a failed deadlock check that is not 'stuck': $line"
    done
}

@test "the tool stages are not for show: the tools catch what the skeletons get wrong" {
    # the grader runs them only once the checks pass; here they run on the skeletons
    build BUILD="$BUILD/tsan" SAN=-fsanitize=thread CFLAGS='-O1 -g' \
        "$BUILD/tsan/exercises/bank" "$BUILD/tsan/exercises/lock_order"
    run env TSAN_OPTIONS="halt_on_error=0 exitcode=66" timeout 120 "$BUILD/tsan/exercises/bank" --every --small --limit 5
    assert_failure 1
    assert_line --regexp '^SUMMARY: ThreadSanitizer: data race [^ ]*lessons/exercises/bank\.c:[0-9]+ in bank_transfer$'
    assert_line --regexp '^FAIL invariant: total conserved \(ThreadSanitizer reported; '
    # both lock orders are shown to the tools once from one thread: a report in every run
    run env TSAN_OPTIONS="halt_on_error=0 exitcode=66" timeout 120 "$BUILD/tsan/exercises/lock_order" --every --small --limit 2
    assert_line --regexp '^SUMMARY: ThreadSanitizer: lock-order-inversion .*lessons/exercises/lock_order\.c:[0-9]+ in transfer$'
    need_valgrind
    run timeout 120 valgrind --tool=helgrind --fair-sched=yes "$BUILD/exercises/lock_order" --every --small --limit 2
    assert_line --regexp '==[0-9]+== Thread #[0-9]+: lock order "0x[0-9A-F]+ before 0x[0-9A-F]+" violated$'
}

@test "a bad E= is a usage error naming the exercises" {
    local bad
    # shellcheck disable=SC2016 # a crafted E must never reach a shell
    # '%' and 'b%' would match as make patterns; the last is one word with no space
    for bad in nope 'bank event' '../bank' '%' 'b%' '$(touch /tmp/exercises_bats_pwned)' \
        '$(shell$(EMPTY)touch$(EMPTY)/tmp/exercises_bats_pwned)'; do
        run --separate-stderr timeout 60 make -s BUILD="$BUILD" exercise E="$bad"
        assert_failure 2
        [[ "$stderr" == *"exercises: bank barrier bounded_queue event lock_order pool_worker semaphore ticket_lock"* ]] ||
            fail "E=$bad: $stderr"
        assert_equal "$output" ""
    done
    [[ ! -e /tmp/exercises_bats_pwned ]] || fail "E reached a shell"
    run --separate-stderr timeout 60 make -s BUILD="$BUILD" exercise
    assert_failure 2
    [[ "$stderr" == *"usage: make exercise E=NAME [SOLUTION=1]"* ]] || fail "$stderr"
}

@test "the checker's own command line: --stages, --help, and bad options exit 2" {
    run timeout 10 "$BUILD/exercises/ticket_lock" --stages
    assert_success
    assert_output "plain tsan speed"
    run timeout 10 "$BUILD/exercises/bank" --stages
    assert_output "plain tsan helgrind"
    run timeout 10 "$BUILD/exercises/bank" --help
    assert_success
    assert_line --index 0 --regexp '^usage: bank \[--small\]'
    usage_errors exercises/bank "--limit|--limit 0" "--limit|--limit x" "unknown|--frobnicate" \
        "unexpected|extra" "--bench|--bench"
}
