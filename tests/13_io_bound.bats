# 13_io_bound: every mode gets every download's correct result, the table has one row per
# run (serial, threads, a pool of each size asked for), and bad input is refused. Timing is
# never asserted: --scale shrinks the naps to milliseconds.
load helper

LESSON=13_io_bound

setup_file() {
    build "$BUILD/$LESSON"
}

# rows MODE: the table rows of MODE, as "workers ideal" pairs, one per line.
rows() {
    awk -v m="$1" '$1 == m && NF >= 6 && $2 ~ /^[0-9]+$/ { print $2, $5 }' <<<"$output"
}

@test "defaults, shrunk: serial, threads and pools of 1..8 all get every result right" {
    run_lesson 30 "$LESSON" --scale 0.02
    assert_success
    assert_line --index 0 --regexp '^8 simulated downloads; each waits 0\.005 s'
    assert_line --index -1 'RESULT tasks=8 modes=serial,threads,pool runs=10 results=all_correct OK'
    assert_equal "$(rows serial)" "1 8"
    assert_equal "$(rows threads)" "8 1"
    # one pool row per size 1..8, in order, with ceil(8 / workers) ideal rounds
    assert_equal "$(rows pool)" "$(printf '%s\n' '1 8' '2 4' '3 3' '4 2' '5 2' '6 2' '7 2' '8 1')"
    refute_output --partial "WRONG"
}

@test "the table's rows: mode, workers, seconds, rounds, ideal, speedup against serial" {
    run_lesson 30 "$LESSON" --tasks 3 --scale 0.01
    assert_success
    assert_line --index 1 --regexp '^mode +workers +seconds +rounds +ideal +speedup$'
    assert_line --index 2 --regexp '^serial +1 +[0-9]+\.[0-9]{3} +[0-9]+\.[0-9] +3 +1\.00x$'
    assert_line --index 3 --regexp '^threads +3 +[0-9]+\.[0-9]{3} +[0-9]+\.[0-9] +1 +[0-9]+\.[0-9]{2}x$'
    assert_line --index 4 --regexp '^pool +1 +[0-9]+\.[0-9]{3} +[0-9]+\.[0-9] +3 +[0-9]+\.[0-9]{2}x$'
    assert_equal "${#lines[@]}" 9      # title, header, 5 rows, the steps or a Doubt, RESULT
}

# judged N: exactly N lines say whether the rounds showed the steps: within half a round,
# or a Doubt naming the run that missed. Which of the two depends on the load: not asserted.
judged() {
    local said
    said=$(grep -cE '^(every run came within half a round of its ideal, ceil\([0-9]+ / workers\) rounds$|Doubt: [a-z]+ with [0-9]+ workers? took [0-9.]+ rounds where [0-9]+ would do: )' <<<"$output" || true)
    assert_equal "$said" "$1"
}

@test "under the table: the steps shown or a Doubt, once; with --scale 0 neither" {
    run_lesson 30 "$LESSON" --scale 0.02
    assert_success
    judged 1
    assert_line --index -2 --regexp '^(every run came|Doubt: )'
    run_lesson 30 "$LESSON" --mode pool --workers 3 --scale 0.01
    assert_success
    judged 1
    run_lesson 30 "$LESSON" --tasks 4 --scale 0
    assert_success
    judged 0
}

@test "each mode alone, with no waiting at all" {
    run_lesson 30 "$LESSON" --mode serial --tasks 50 --scale 0
    assert_success
    assert_line --index -1 'RESULT tasks=50 modes=serial runs=1 results=all_correct OK'
    run_lesson 30 "$LESSON" --mode threads --tasks 50 --scale 0
    assert_success
    assert_line --index -1 'RESULT tasks=50 modes=threads runs=1 results=all_correct OK'
    assert_equal "$(rows threads)" "50 1"
    run_lesson 30 "$LESSON" --mode pool --tasks 50 --max-workers 6 --scale 0
    assert_success
    assert_line --index -1 'RESULT tasks=50 modes=pool runs=6 results=all_correct OK'
    assert_equal "$(rows pool | cut -d' ' -f2 | paste -sd,)" "50,25,17,13,10,9"
}

@test "--workers W runs one pool size; without serial, no speedup to show" {
    run_lesson 30 "$LESSON" --mode pool --workers 3 --tasks 10 --scale 0.01
    assert_success
    assert_line --index -1 'RESULT tasks=10 modes=pool runs=1 results=all_correct OK'
    assert_line --index -3 --regexp '^pool +3 +[0-9.]+ +[0-9.]+ +4 +-$'
    run_lesson 30 "$LESSON" --workers 2 --tasks 5 --scale 0.01
    assert_success
    assert_line --index -1 'RESULT tasks=5 modes=serial,threads,pool runs=3 results=all_correct OK'
    assert_equal "$(rows pool)" "2 3"
}

@test "more workers than downloads, and a single download" {
    run_lesson 30 "$LESSON" --mode pool --workers 64 --tasks 5 --scale 0.01
    assert_success
    assert_line --index -1 'RESULT tasks=5 modes=pool runs=1 results=all_correct OK'
    run_lesson 30 "$LESSON" --tasks 1 --scale 0.01
    assert_success
    assert_line --index -1 'RESULT tasks=1 modes=serial,threads,pool runs=3 results=all_correct OK'
}

@test "many downloads through small and large pools, repeatedly" {
    for _ in 1 2 3; do
        run_lesson 30 "$LESSON" --mode pool --tasks 300 --max-workers 3 --scale 0
        assert_success
        assert_line --index -1 'RESULT tasks=300 modes=pool runs=3 results=all_correct OK'
        run_lesson 30 "$LESSON" --mode pool --tasks 300 --workers 100 --scale 0
        assert_success
        assert_line --index -1 'RESULT tasks=300 modes=pool runs=1 results=all_correct OK'
    done
}

@test "with --scale 0 the rounds column is blank, not a division by zero" {
    run_lesson 30 "$LESSON" --mode serial --tasks 2 --scale 0
    assert_success
    assert_line --index 2 --regexp '^serial +1 +[0-9.]+ +- +2 +1\.00x$'
}

# ---- command line ----------------------------------------------------------------------

@test "--help prints the usage on stdout and exits 0" {
    run_lesson 5 "$LESSON" --help
    assert_success
    assert_line --index 0 --regexp '^usage: 13_io_bound \[--mode all\|serial\|threads\|pool\]'
    for opt in --tasks --max-workers --workers --latency --scale; do
        assert_output --partial -- "$opt"
    done
}

@test "bad input: one line naming the problem, the usage, exit 2" {
    local -a cases=(
        "--tasks|--tasks x"
        "--tasks|--tasks 0"
        "--tasks|--tasks -8"
        "--tasks|--tasks 1001"
        "--tasks|--tasks 99999999999999999999999"
        "--tasks|--tasks 8.5"
        "--max-workers|--max-workers 0"
        "--max-workers|--max-workers 1001"
        "--max-workers|--max-workers 1e3"
        "--workers|--workers 0"
        "--workers|--workers -2"
        "--workers|--workers 4x"
        "--workers|--workers 3 --max-workers 4"
        "--latency|--latency 0"
        "--latency|--latency -1"
        "--latency|--latency 10.5"
        "--latency|--latency inf"
        "--scale|--scale -0.1"
        "--scale|--scale 101"
        "--scale|--scale 1e999"
        "--mode|--mode process"
        "--mode|--mode"
        "unknown option|--threads 4"
        "unexpected argument \"8\"|--tasks 2 8"
    )
    usage_errors "$LESSON" "${cases[@]}"
}

# ---- the quiz ------------------------------------------------------------------------

@test "quiz: every answering command shows what its answer says" {
    check_quiz "$LESSON"
}
