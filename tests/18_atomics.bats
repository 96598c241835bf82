# 18_atomics: with release/acquire every message arrives whole; the lock-free stack holds
# every pushed node exactly once, each thread's newest first, whatever the thread count.
# --variant relaxed is a data race that x86 hardware hides: it may only be asserted to see
# stale <= messages, with a verdict and exit status that agree with its numbers (and its
# "luck, not correctness" line when it saw nothing). The race itself is proven by
# tests/race_detectors.bats: ThreadSanitizer reports relaxed, and only relaxed. The old
# spelling, --order, is refused as an unknown option.
load helper

LESSON=18_atomics

setup_file() {
    build "$BUILD/$LESSON"
}

VERDICT='^RESULT variant=(release-acquire|relaxed) messages=([0-9]+) stale=([0-9]+) '
VERDICT+='pushes=([0-9]+) listed=([0-9]+) duplicates=([0-9]+) misordered=([0-9]+) '
VERDICT+='cas_retries=([0-9]+) (OK|FAIL)$'

# Parses the last line into: variant messages stale pushes listed duplicates misordered
# retries word.
parse_verdict() {
    [[ "${lines[-1]}" =~ $VERDICT ]] || fail "unexpected last line: ${lines[-1]}"
    variant=${BASH_REMATCH[1]} messages=${BASH_REMATCH[2]} stale=${BASH_REMATCH[3]}
    pushes=${BASH_REMATCH[4]} listed=${BASH_REMATCH[5]} duplicates=${BASH_REMATCH[6]}
    misordered=${BASH_REMATCH[7]} retries=${BASH_REMATCH[8]} word=${BASH_REMATCH[9]}
}

# The stack part of a run with T threads x M pushes: all there, once each, in order.
assert_stack_exact() {
    local t=$1 m=$2
    assert_equal "$pushes $listed $duplicates $misordered" "$((t * m)) $((t * m)) 0 0"
    local timing='[0-9.]+ ms \([0-9.]+ ns per push\)'
    assert_line --regexp \
        "^part two: $t threads? pushed $((t * m)) nodes in $timing; $retries CAS retries \("
}

# ---- release-acquire: exact ---------------------------------------------------------------

@test "defaults: release/acquire, 100000 messages whole, 4 x 100000 nodes each once" {
    run_lesson 60 "$LESSON"
    assert_success
    parse_verdict
    assert_equal "$variant $messages $stale $word" "release-acquire 100000 0 OK"
    assert_stack_exact 4 100000
    assert_line "part one: the flag is stored with release and loaded with acquire"
    refute_line --partial "luck"
}

@test "exact for 1, 2, 3 and 64 pushing threads" {
    local t
    for t in 1 2 3 64; do
        run_lesson 30 "$LESSON" --threads "$t" --iterations 3000
        assert_success
        parse_verdict
        assert_equal "$variant $messages $stale $word" "release-acquire 3000 0 OK"
        assert_stack_exact "$t" 3000
    done
}

@test "one message and one push per thread" {
    run_lesson 30 "$LESSON" --threads 5 --iterations 1
    assert_success
    parse_verdict
    assert_equal "$messages $stale $word" "1 0 OK"
    assert_stack_exact 5 1
}

@test "one pushing thread never has to retry (x86: compare-exchange never fails spuriously)" {
    [[ "$(uname -m)" == x86_64 ]] || skip "weak CAS may fail spuriously on LL/SC machines"
    run_lesson 30 "$LESSON" --threads 1 --iterations 20000
    assert_success
    parse_verdict
    assert_equal "$retries" 0
}

# ---- relaxed: only bounds, and honesty -------------------------------------------------

@test "relaxed: stale <= messages, the stack still exact; FAIL exactly when stale > 0" {
    local m
    for m in 1000 100000; do
        run_lesson 60 "$LESSON" --variant relaxed --threads 2 --iterations "$m"
        parse_verdict
        assert_equal "$variant $messages" "relaxed $m"
        ((stale <= messages)) || fail "stale $stale > messages $messages"
        assert_stack_exact 2 "$m"
        assert_line "part one: the flag is stored relaxed and loaded relaxed"
        if ((stale > 0)); then
            assert_equal "$word" FAIL
            assert_failure 1
            assert_line --regexp "^part one: $stale messages were read before they had fully"
        else
            assert_equal "$word" OK
            assert_success
            assert_line --regexp "^part one: no stale message this time. That is this machine's"
        fi
    done
}

# ---- command line -----------------------------------------------------------------------

@test "--help prints the usage on stdout and exits 0" {
    run --separate-stderr timeout 5 "$BUILD/$LESSON" --help
    assert_success
    assert_line --index 0 --regexp '^usage: 18_atomics \[--variant release-acquire\|relaxed\]'
    assert_output --partial "--threads"
    assert_output --partial "--iterations"
    # shellcheck disable=SC2154  # $stderr is set by run --separate-stderr
    assert_equal "$stderr" ""
}

@test "bad input: one line naming the problem, the usage, exit 2" {
    local -a cases=(
        "--threads: expected an integer from 1 to 64, got \"x\"|--threads x"
        "--threads|--threads 0"
        "--threads|--threads -2"
        "--threads|--threads 65"
        "--threads|--threads 99999999999999999999999"
        "--iterations|--iterations 0"
        "--iterations|--iterations many"
        "--iterations|--iterations -7"
        "--iterations|--iterations 10000001"
        "--iterations|--iterations 99999999999999999999999"
        "--threads x --iterations must be at most 10000000|--threads 2 --iterations 5000001"
        "--timeout|--timeout 0"
        "--variant|--variant acquire"
        "--variant|--variant seq-cst"
        "unknown option|--memory-order relaxed"
        "needs a value|--variant"
        "unexpected argument \"relaxed\"|--threads 2 relaxed"
    )
    usage_errors "$LESSON" "${cases[@]}"
}

@test "an unknown variant lists the variants that exist" {
    run --separate-stderr timeout 5 "$BUILD/$LESSON" --variant consume
    assert_usage_error '--variant: expected one of release-acquire|relaxed, got "consume"'
}

@test "the old spelling --order is gone: an unknown option, exit 2" {
    local -a cases=(
        "unknown option \"--order\"|--order relaxed"
        "unknown option \"--order\"|--order release-acquire --iterations 100"
        "unknown option \"--order=relaxed\"|--order=relaxed"
    )
    usage_errors "$LESSON" "${cases[@]}"
}

# ---- the quiz ------------------------------------------------------------------------

@test "quiz: every answering command shows what its answer says" {
    check_quiz "$LESSON"
}
