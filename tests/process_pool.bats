# process_pool: the pool's own test program (tests/process_pool_test.c) checks each promise
# of lessons/lib/process_pool.h and prints "ok - name" per test and "N passed, M failed" last;
# after every test it also checks that no child is left unreaped. Here: the plain build,
# each test on its own, and the same program under ASan+UBSan and under valgrind's
# memcheck in the parent AND in every forked worker.
load helper

PROG=tests/process_pool_test

# Every test of the program, by name: a renamed or dropped test is noticed.
TESTS=(apply apply_async map_order map_chunk_edges imap_unordered task_failures big_messages
    big_in_flight worker_killed_mid_task killed_requeues_next_task killed_no_respawn_breaks_pool
    replacement_killed_while_starting stopped_worker_big_task_times_out big_answer_past_timeout
    crash_exit_status_and_signal
    dead_idle_worker_epipe terminate_busy_workers terminate_sigkills_stubborn
    init_failure_no_respawn_loop init_failure_on_respawn_breaks_pool close_join timeout eintr
    two_pools no_zombies_no_fd_leaks_100_cycles)

setup_file() {
    build "$BUILD/$PROG"
}

# The last line says "N passed, 0 failed" with N as expected, no "not ok", exit status 0.
assert_all_passed() {
    local expected=$1
    assert_success
    assert_equal "${lines[-1]}" "$expected passed, 0 failed"
    refute_line --regexp '^not ok'
}

@test "every test passes, each one by name" {
    run_lesson 120 "$PROG"
    assert_all_passed "${#TESTS[@]}"
    for t in "${TESTS[@]}"; do
        assert_line "ok - $t"
    done
}

@test "each test passes on its own (nothing depends on an earlier test)" {
    for t in "${TESTS[@]}"; do
        run_lesson 60 "$PROG" "$t"
        assert_success
        assert_line "ok - $t"
        assert_equal "${lines[-1]}" "$(grep -c '^ok - ' <<<"$output") passed, 0 failed"
    done
}

@test "a killed worker's task fails with the signal's name, within the time bound" {
    run_lesson 60 "$PROG" worker_killed_mid_task killed_requeues killed_no_respawn
    assert_all_passed 3
}

@test "bad usage exits 2 with a message and the usage" {
    run --separate-stderr "$BUILD/$PROG" --frobnicate
    assert_usage_error "--frobnicate"
    run --separate-stderr "$BUILD/$PROG" no_such_test
    assert_usage_error "no test matches"
    run --separate-stderr "$BUILD/$PROG" --skip
    assert_usage_error "--skip"
    run "$BUILD/$PROG" --help
    assert_success
    assert_line --partial "usage: process_pool_test"
}

@test "ASan+UBSan: every test, no error, no leak" {
    build_sanitized asan "$PROG"
    run timeout 180 "$BUILD/asan/$PROG"
    assert_all_passed "${#TESTS[@]}"
    refute_output --partial "Sanitizer"
}

# --trace-children=yes --child-silent-after-fork=no: the forked workers run under memcheck
# too and report their own errors (and exit 99, which pp_join reports as a failure).
# The eintr test signals the program every 100 us, faster than valgrind delivers signals;
# the 100 cycles of the fd-leak test are the same create and destroy that every other test
# does once (they took 13 of 22 s here), and the plain and ASan runs above do them all.
@test "valgrind memcheck, parent and workers: no error, no leak" {
    need_valgrind
    run timeout 240 valgrind -q --trace-children=yes --child-silent-after-fork=no \
        --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect,possible \
        "$BUILD/$PROG" --skip eintr --skip 100_cycles
    assert_all_passed "$((${#TESTS[@]} - 2))"
    refute_output --regexp '^==[0-9]+=='
}
