# thread_pool: the pool's own test program (tests/thread_pool_test.c) checks every API
# promise and prints "ok - ..." per check and "N passed, M failed" last; its stress mode
# repeats create -> submit -> random cancels -> shutdown and balances the books each round.
# Here: the plain build, each group on its own, the stress test, and the same program under
# ThreadSanitizer, ASan+UBSan, valgrind's memcheck and helgrind (smaller stress runs).
load helper

PROG=tests/thread_pool_test

setup_file() {
    build "$BUILD/$PROG"
}

# The last line says "N passed, 0 failed" with N > 0, no check failed, exit status 0.
assert_all_passed() {
    assert_success
    [[ "${lines[-1]}" =~ ^([0-9]+)\ passed,\ 0\ failed$ ]] || fail "last line: ${lines[-1]}"
    ((BASH_REMATCH[1] > 0)) || fail "no check ran"
    refute_line --regexp '^not ok'
}

@test "every check passes" {
    run_lesson 60 "$PROG"
    assert_all_passed
    # a few of the promises, by name, so that a renamed or dropped check is noticed
    assert_line --regexp '^ok - cancel race: cancelled tasks never ran, the others ran once'
    assert_line --regexp '^ok - cancel race: every callback ran exactly once \(3000/3000\)$'
    assert_line 'ok - timeout: the timed-out task completes later with its result'
    assert_line 'ok - imap: in flight never above the bound (max 3 <= 3)'
    assert_line 'ok - terminate: waiters on queued futures woke (cancelled) while a task still runs'
    assert_line 'ok - initializer: each worker tried once, nothing respawned (3 calls)'
    assert_line 'ok - re-entry: shutdown(wait) from a worker is TP_EDEADLK'
    assert_line --regexp '^ok - spin edge, 1 worker\(s\): 20000 submits around the end of a worker.s 1 us spin, each finishing around the end of its waiter.s, none lost'
    assert_line --regexp '^ok - spin edge, 2 worker\(s\): 20000 submits around the end of a worker.s 1 us spin, each finishing around the end of its waiter.s, none lost'
    assert_line --regexp '^ok - hand-over: 200 submits to a spinning worker, each claimed before the submit returned \(0 pending, 0 cancelled\), each run once and right \(200 spins found work\)$'
    # the default policy: spin on 2+ CPUs (nproc counts those this process may use)
    if [ -z "${TP_WAIT_POLICY:-}" ] && [ "$(nproc)" -ge 2 ]; then
        assert_line --regexp '^ok - wait: default policy spin \(TP_WAIT_POLICY=unset\); [1-9][0-9]* spins'
    fi
}

@test "each group passes on its own" {
    run "$BUILD/$PROG" --list
    assert_success
    local groups=("${lines[@]}")
    ((${#groups[@]} >= 15)) || fail "only ${#groups[@]} groups listed"
    for g in "${groups[@]}"; do
        run_lesson 30 "$PROG" --only "$g"
        assert_all_passed
        assert_line "# $g"
    done
}

@test "stress: 2000 rounds, nothing lost, nothing run twice" {
    run_lesson 60 "$PROG" stress --rounds 2000
    assert_all_passed
    assert_line --regexp '^ok - stress: 2000 rounds, 400000 tasks: [0-9]+ ran \+ [0-9]+ cancelled, none lost or run twice, every callback once'
    assert_line 'ok - stress: executed + cancelled == submitted'
}

@test "stress: many workers, big rounds, another seed" {
    run_lesson 60 "$PROG" stress --rounds 40 --tasks 5000 --workers 8 --seed 99
    assert_all_passed
    assert_line --regexp '^ok - stress: 40 rounds, 200000 tasks'
}

@test "bad usage exits 2 with a message and the usage" {
    run --separate-stderr "$BUILD/$PROG" stress --rounds 0
    assert_usage_error "--rounds"
    run --separate-stderr "$BUILD/$PROG" --only nosuchgroup
    assert_usage_error "nosuchgroup"
    run --separate-stderr "$BUILD/$PROG" stress --tasks x
    assert_usage_error "--tasks"
    run --separate-stderr "$BUILD/$PROG" extra
    assert_usage_error "extra"
    run --separate-stderr "$BUILD/$PROG" --frobnicate
    assert_equal "$status" 2
    run "$BUILD/$PROG" --help
    assert_success
    assert_line --partial "usage: thread_pool_test"
}

# The tests above run the default policy (spin, then park, on 2+ CPUs); this one the other.
@test "park at once (TP_WAIT_POLICY=park): every check and the stress run pass, TSan and helgrind too" {
    export TP_WAIT_POLICY=park
    run_lesson 60 "$PROG"
    assert_all_passed
    assert_line 'ok - wait: default policy park (TP_WAIT_POLICY=park); 0 spins, 0 found work'
    run_lesson 60 "$PROG" stress --rounds 2000
    assert_all_passed
    assert_line --regexp '^ok - stress: 2000 rounds, 400000 tasks: [0-9]+ ran \+ [0-9]+ cancelled, none lost or run twice, every callback once'
    run_lesson 60 "$PROG" stress --rounds 1000 --workers 4
    assert_all_passed
    build -j2 tsan
    run env TSAN_OPTIONS="halt_on_error=1 exitcode=66" timeout 120 "$BUILD/tsan/$PROG" stress --rounds 200
    assert_all_passed
    refute_output --partial "ThreadSanitizer"
    need_valgrind
    run timeout 120 valgrind -q --tool=helgrind --error-exitcode=99 "$BUILD/$PROG" \
        stress --rounds 30 --tasks 100
    assert_all_passed
}

@test "caller helps (--caller-helps): every check and a stress run pass, TSan, ASan and helgrind too" {
    run_lesson 60 "$PROG" --caller-helps
    assert_all_passed
    assert_line --regexp "^ok - caller helps: with the only worker busy, tp_map's caller runs all 20 items itself \(20 by the caller, 20 right\)"
    assert_line --regexp '^ok - caller helps: a task.s tp_map on its own one-worker pool completes'
    assert_line 'ok - caller helps: a timed wait for a queued task runs nothing itself'
    assert_line "ok - caller helps: another pool's worker waiting here runs the task as a caller (index -1, name NULL)"
    assert_line --regexp '^ok - caller helps: an untimed wait runs the queued tasks up to its own in the caller \(ran by -1 -1 -1\), then stops \(2 of the 2 after it still pending\)$'
    run_lesson 60 "$PROG" stress --caller-helps --rounds 2000
    assert_all_passed
    assert_line --regexp '^ok - stress: 2000 rounds, 400000 tasks: [0-9]+ ran \+ [0-9]+ cancelled, none lost or run twice'
    build -j2 tsan asan
    run env TSAN_OPTIONS="halt_on_error=1 exitcode=66" timeout 120 "$BUILD/tsan/$PROG" \
        --only caller_helps
    assert_all_passed
    refute_output --partial "ThreadSanitizer"
    run env TSAN_OPTIONS="halt_on_error=1 exitcode=66" timeout 120 "$BUILD/tsan/$PROG" \
        stress --caller-helps --rounds 200
    assert_all_passed
    refute_output --partial "ThreadSanitizer"
    run timeout 120 "$BUILD/asan/$PROG" stress --caller-helps --rounds 300
    assert_all_passed
    refute_output --partial "Sanitizer"
    need_valgrind
    run timeout 120 valgrind -q --tool=helgrind --error-exitcode=99 "$BUILD/$PROG" \
        --only caller_helps
    assert_all_passed
    run timeout 120 valgrind -q --tool=helgrind --error-exitcode=99 "$BUILD/$PROG" \
        stress --caller-helps --rounds 30 --tasks 100
    assert_all_passed
}

@test "ThreadSanitizer: the checks and a stress run are race-free" {
    build -j2 tsan
    export TSAN_OPTIONS="halt_on_error=1 exitcode=66"
    run timeout 120 "$BUILD/tsan/$PROG"
    assert_all_passed
    refute_output --partial "ThreadSanitizer"
    run timeout 120 "$BUILD/tsan/$PROG" stress --rounds 300
    assert_all_passed
    refute_output --partial "ThreadSanitizer"
}

@test "ASan+UBSan: the checks and a stress run, no error, no leak" {
    build -j2 asan
    run timeout 120 "$BUILD/asan/$PROG"
    assert_all_passed
    refute_output --partial "Sanitizer"
    run timeout 120 "$BUILD/asan/$PROG" stress --rounds 500
    assert_all_passed
    refute_output --partial "Sanitizer"
}

@test "valgrind memcheck: no error, no leak" {
    need_valgrind
    run timeout 120 valgrind -q --error-exitcode=99 --leak-check=full \
        --errors-for-leak-kinds=definite,indirect,possible "$BUILD/$PROG"
    assert_all_passed
}

@test "helgrind: the checks and a small stress run are clean" {
    need_valgrind
    run timeout 120 valgrind -q --tool=helgrind --error-exitcode=99 "$BUILD/$PROG"
    assert_all_passed
    run timeout 120 valgrind -q --tool=helgrind --error-exitcode=99 "$BUILD/$PROG" \
        stress --rounds 60 --tasks 100
    assert_all_passed
}
