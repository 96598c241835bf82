# 19_thread_local: every worker's own tally is exactly its iterations, the merged totals
# are exact, main's copy is untouched, every thread's copy has its own address, and the
# key's destructor runs exactly once per worker, whatever the thread count.
load helper

LESSON=19_thread_local

setup_file() {
    build "$BUILD/$LESSON"
}

# An exact run with T workers of I requests each.
assert_exact_run() {
    local t=$1 i=$2
    assert_success
    assert_equal "${lines[-1]}" "RESULT threads=$t iterations=$i handled=$((t * i)) \
expected=$((t * i)) main_handled=3 lines_logged=$((t * i)) destructor_calls=$t \
distinct_addresses=$((t + 1)) OK"
    local calls="calls"
    ((t == 1)) && calls="call"
    assert_line "main: the workers handled $((t * i)) requests; their log buffers, retired by \
$t destructor $calls, logged $((t * i)) lines; my own copy still holds 3"
}

# Each worker 1..T said where its copy lives and that it started at 0, logged its first
# and its last request (and printed nothing else), and no two threads (main included)
# printed the same address. Compared as sorted sets: assert_line per worker is slow.
assert_each_worker_on_its_own() {
    local t=$1 i=$2 w first expected_starts="" expected_requests=""
    for ((w = 1; w <= t; w++)); do
        first=$((w * 1000000000))
        expected_starts+="worker $w: starts at 0"$'\n'
        expected_requests+="worker $w, request $first: handled"$'\n'
        ((i > 1)) && expected_requests+="worker $w, request $((first + i - 1)): handled"$'\n'
    done
    local out starts
    out=$(printf '%s\n' "${lines[@]}")
    starts='s/^(worker [0-9]+): my requests_handled is at 0x[0-9a-f]+ and (starts at 0)$/\1: \2/p'
    assert_equal "$(sed -nE "$starts" <<<"$out" | sort)" "$(sort <<<"${expected_starts%$'\n'}")"
    assert_equal "$(grep -E '^worker [0-9]+, request ' <<<"$out" | sort)" \
        "$(sort <<<"${expected_requests%$'\n'}")"
    assert_line --regexp '^main: my requests_handled is at 0x[0-9a-f]+ and holds 3$'
    local unique
    unique=$(sed -nE 's/.*requests_handled is at (0x[0-9a-f]+).*/\1/p' <<<"$out" | sort -u | wc -l)
    assert_equal "$unique" $((t + 1))
}

@test "defaults: 4 workers x 250000, exact, one destructor call each; exit 0" {
    run_lesson 30 "$LESSON"
    assert_exact_run 4 250000
    assert_each_worker_on_its_own 4 250000
}

@test "exact for 1, 2, 16 and 256 workers" {
    local t
    for t in 1 2 16 256; do
        run_lesson 30 "$LESSON" --threads "$t" --iterations 500
        assert_exact_run "$t" 500
        assert_each_worker_on_its_own "$t" 500
    done
}

@test "a single request per worker: its first line is its last, logged once" {
    run_lesson 30 "$LESSON" --threads 3 --iterations 1
    assert_exact_run 3 1
    assert_each_worker_on_its_own 3 1
}

# ---- command line -----------------------------------------------------------------------

@test "--help prints the usage on stdout and exits 0" {
    run --separate-stderr timeout 5 "$BUILD/$LESSON" --help
    assert_success
    assert_line --index 0 'usage: 19_thread_local [--threads N] [--iterations M]'
    assert_output --partial "_Thread_local"
    # shellcheck disable=SC2154  # $stderr is set by run --separate-stderr
    assert_equal "$stderr" ""
}

@test "bad input: one line naming the problem, the usage, exit 2" {
    local -a cases=(
        "--threads: expected an integer from 1 to 256, got \"x\"|--threads x"
        "--threads|--threads 0"
        "--threads|--threads -3"
        "--threads|--threads 257"
        "--threads|--threads 99999999999999999999999"
        "--iterations|--iterations 0"
        "--iterations|--iterations lots"
        "--iterations|--iterations -1"
        "--iterations|--iterations 100000001"
        "--iterations|--iterations 99999999999999999999999"
        "unknown option|--keys 2"
        "needs a value|--threads"
        "unexpected argument \"4\"|--threads 2 4"
    )
    usage_errors "$LESSON" "${cases[@]}"
}

# ---- the quiz ------------------------------------------------------------------------

@test "quiz: every answering command shows what its answer says" {
    check_quiz "$LESSON"
}
