# 11_thread_pool: the tour's verdict, and the invariants each section prints: map's input
# order, imap's bound, imap_unordered's "each once", the error status, cancel only before
# start, callbacks exactly once, the first-result winner (held slow mirrors make it
# certain), worker names, close vs terminate counts. Naps are scaled down; orders that
# depend on timing (which task finishes first) are never asserted.
load helper

LESSON=11_thread_pool
FAST=(--scale 0.01)

setup_file() {
    build "$BUILD/$LESSON"
}

@test "the whole tour: every section's check holds" {
    for workers in 1 2 4 7; do
        run_lesson 60 "$LESSON" --workers "$workers" "${FAST[@]}"
        assert_success
        assert_equal "${lines[-1]}" "RESULT sections=10 passed=10 OK"
        refute_line --partial "FAILED"
        [ "$(grep -c '^  check: .*: ok$' <<<"$output")" -eq 10 ] || fail "not 10 checks: $output"
    done
}

@test "no naps at all (--scale 0) still passes" {
    run_lesson 60 "$LESSON" --scale 0
    assert_success
    assert_equal "${lines[-1]}" "RESULT sections=10 passed=10 OK"
}

@test "futures: each result belongs to its own page" {
    run_lesson 30 "$LESSON" --section futures "${FAST[@]}"
    assert_success
    assert_line --regexp '^  index.html  5120 bytes  \(worker tp-[0-3], '
    assert_line --regexp '^  news.html   8192 bytes  \(worker tp-[0-3], '
    assert_line "  tp_apply(faq.html) = 1024 bytes"
    assert_equal "${lines[-1]}" "RESULT sections=1 passed=1 OK"
}

@test "timeouts and errors: a timeout leaves the task running, a failure is a value" {
    run_lesson 30 "$LESSON" --section timeouts "${FAST[@]}"
    assert_success
    assert_line --regexp '^  result\(timeout [0-9.]+ s\): timed out \(the task was not cancelled\), state running$'
    assert_line "  result(no timeout):  success, 1048576 bytes"
    run_lesson 30 "$LESSON" --section errors "${FAST[@]}"
    assert_success
    assert_line "  result: the task failed (its status says how)"
    assert_line --regexp '^  exception: 2 \(.*\); the task also left "404 not found"$'
    assert_line "  the next task still works: 300 bytes"
}

@test "cancel: refused once running, granted while queued, and the queued one never ran" {
    run_lesson 30 "$LESSON" --section cancel "${FAST[@]}"
    assert_success
    assert_line "  cancel(first, running): refused; cancel(second, queued): cancelled"
    assert_line "  second: cancelled before it ran; third: success, 3"
}

@test "callbacks: one per future, plus one run at once in main" {
    run_lesson 30 "$LESSON" --section callbacks "${FAST[@]}"
    assert_success
    [ "$(grep -c '^  callback: ' <<<"$output")" -eq 4 ] || fail "not 4 callbacks: $output"
    for page in a b c; do
        [ "$(grep -c "^  callback: $page.html is done-ok" <<<"$output")" -eq 1 ] ||
            fail "callback for $page.html did not run exactly once"
    done
    assert_line "  callback: a.html (late) is done-ok (100 bytes), run by main"
}

@test "map and starmap: results in input order" {
    run_lesson 30 "$LESSON" --section map "${FAST[@]}"
    assert_success
    assert_line "  map results (input order): 0 1 4 9 16 25 36 49"
    assert_line "  starmap(pow, [(2,10), (3,4), (10,3)]) = 1024 81 1000"
    # every item finished once, in whatever order
    local order
    order=$(grep -m1 '^  finished in the order:' <<<"$output" | cut -d: -f2 | tr ' ' '\n' | sed '/^$/d' | sort -n | tr '\n' ' ')
    assert_equal "$order" "0 1 2 3 4 5 6 7 "
}

@test "imap: input order, never more than 3 inputs pulled ahead; imap_unordered: each once" {
    for workers in 1 4; do
        run_lesson 30 "$LESSON" --section imap --workers "$workers" "${FAST[@]}"
        assert_success
        local k=0
        local line re='^    item ([0-9]+) = ([0-9]+) +\(inputs pulled so far: ([0-9]+), ([0-9]+) of them still in flight\)$'
        while IFS= read -r line; do
            [[ "$line" =~ $re ]] || fail "not an item line: $line"
            assert_equal "${BASH_REMATCH[1]}" "$k"
            assert_equal "${BASH_REMATCH[2]}" "$((k * k))"
            # in flight: pulled, minus the k + 1 items handed out so far; never more than 3
            assert_equal "${BASH_REMATCH[4]}" "$((BASH_REMATCH[3] - (k + 1)))"
            ((BASH_REMATCH[4] <= 3)) || fail "item $k: ${BASH_REMATCH[4]} in flight, more than 3"
            k=$((k + 1))
        done < <(grep '^    item ' <<<"$output")
        assert_equal "$k" 8
        local unordered
        unordered=$(grep '^  imap_unordered (the order the pool saw them finish):' <<<"$output" | cut -d: -f2 | tr ' ' '\n' | sed '/^$/d' | sort -n | tr '\n' ' ')
        assert_equal "$unordered" "0 1 2 3 4 5 6 7 "
        # one order per section, from one source: no second "finished" line after it
        assert_equal "$(grep -c '^  finished in the order:' <<<"$output")" 1
    done
}

@test "20 runs of the map and imap sections: every order printed is one order, and they agree" {
    # Each section prints the order from one source only: map the tasks' own log beside its
    # results in input order, imap_unordered the pool's order. In every run each order is a
    # permutation of 0..7 and no section prints two of them.
    local run line perm
    for run in $(seq 20); do
        run_lesson 30 "$LESSON" --section map --workers 4 "${FAST[@]}"
        assert_success
        assert_equal "$(grep -c '^  finished in the order:' <<<"$output")" 1
        assert_line '  map results (input order): 0 1 4 9 16 25 36 49'
        run_lesson 30 "$LESSON" --section imap --workers 4 "${FAST[@]}"
        assert_success
        for line in '^  finished in the order:' '^  imap_unordered \(the order the pool saw them finish\):'; do
            assert_equal "$(grep -cE "$line" <<<"$output")" 1
            perm=$(grep -E "$line" <<<"$output" | cut -d: -f2 | tr ' ' '\n' | sed '/^$/d' | sort -n | tr '\n' ' ')
            assert_equal "$perm" "0 1 2 3 4 5 6 7 "
        done
    done
}

@test "first result: the one mirror that is not held wins; none lost" {
    for workers in 1 2 4 8; do
        run_lesson 30 "$LESSON" --section first_result --workers "$workers" "${FAST[@]}"
        assert_success
        local fast=$((workers < 6 ? workers - 1 : 5))
        assert_line "  first answer: mirror $fast ($((1000 + fast)) bytes)"
        [[ "$output" =~ \ \ mirrors\ that\ ran:\ ([0-9]+)\;\ cancelled\ before\ they\ started:\ ([0-9]+) ]] || fail "$output"
        assert_equal "$((BASH_REMATCH[1] + BASH_REMATCH[2]))" 6
    done
}

@test "workers: named db-0/db-1, initializer once each, a failing one breaks the pool" {
    run_lesson 30 "$LESSON" --section workers "${FAST[@]}"
    assert_success
    [ "$(grep -c '^  db-[01]: initializer connects to db.local$' <<<"$output")" -eq 2 ] ||
        fail "initializer did not run once per worker: $output"
    [ "$(grep -c '^  query [0-3] ran in db-[01]$' <<<"$output")" -eq 4 ] || fail "$output"
    assert_line --partial "a pool whose initializer fails: a worker's initializer failed"
}

@test "shutdown: close runs all six, terminate runs two and cancels four" {
    run_lesson 30 "$LESSON" --section shutdown "${FAST[@]}"
    assert_success
    assert_line "    ran 6, cancelled 0"
    assert_line "    ran 2, cancelled 4"
    assert_line "    the last queued job: cancelled before it ran"
    [ "$(grep -c '^    a submit afterwards: the pool is closed' <<<"$output")" -eq 2 ] || fail "$output"
}

@test "bad input exits 2 with a message and the usage" {
    run --separate-stderr "$BUILD/$LESSON" --workers 0
    assert_usage_error "--workers"
    run --separate-stderr "$BUILD/$LESSON" --workers many
    assert_usage_error "--workers"
    run --separate-stderr "$BUILD/$LESSON" --workers 99999999999999999999
    assert_usage_error "--workers"
    run --separate-stderr "$BUILD/$LESSON" --scale -1
    assert_usage_error "--scale"
    run --separate-stderr "$BUILD/$LESSON" --section nope
    assert_usage_error "--section"
    run --separate-stderr "$BUILD/$LESSON" stray
    assert_usage_error "stray"
    run --separate-stderr "$BUILD/$LESSON" --nope
    assert_equal "$status" 2
    run "$BUILD/$LESSON" --help
    assert_success
    assert_line --partial "usage: 11_thread_pool"
}

@test "ThreadSanitizer and helgrind: the tour is clean" {
    build -j2 tsan
    run env TSAN_OPTIONS="halt_on_error=1 exitcode=66" timeout 120 "$BUILD/tsan/$LESSON" "${FAST[@]}"
    assert_success
    refute_output --partial "ThreadSanitizer"
    assert_equal "${lines[-1]}" "RESULT sections=10 passed=10 OK"
    need_valgrind
    run timeout 120 valgrind -q --tool=helgrind --error-exitcode=99 "$BUILD/$LESSON" "${FAST[@]}"
    assert_success
    assert_equal "${lines[-1]}" "RESULT sections=10 passed=10 OK"
}

# ---- the quiz ------------------------------------------------------------------------

@test "quiz: every answering command shows what its answer says" {
    check_quiz "$LESSON"
}
