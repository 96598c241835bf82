# 01_threads: every worker runs exactly once and marks the slot of the number it was given;
# pthread_join orders the counter's lines and the workers' lines before main's summary.
# The interleaving of the counter with main's kettle is free, so it is never asserted.
load helper

LESSON=01_threads

setup_file() {
    build "$BUILD/$LESSON"
}

# The index of the first output line matching REGEX, or fail.
line_index() {
    local i
    for i in "${!lines[@]}"; do
        [[ "${lines[$i]}" =~ $1 ]] && { echo "$i"; return 0; }
    done
    fail "no line matches /$1/"
}

# Exactly one "  worker K: done" line for each K in 0..N-1, and no other worker line.
assert_each_worker_once() {
    local n=$1 k line
    local -a seen=()
    for line in "${lines[@]}"; do
        if [[ "$line" =~ ^\ \ worker\ ([0-9]+):\ done$ ]]; then
            k=${BASH_REMATCH[1]}
            ((k < n)) || fail "worker $k does not exist (N=$n)"
            [[ -z "${seen[$k]:-}" ]] || fail "worker $k reported twice"
            seen[k]=1
        fi
    done
    assert_equal "${#seen[@]}" "$n"
}

@test "defaults (scaled down): four workers, each ran once, exit 0" {
    run_lesson 20 "$LESSON" --scale 0.01
    assert_success
    assert_equal "${lines[-1]}" "RESULT threads=4 ran_once=4 OK"
    assert_each_worker_once 4
}

@test "the counter counts 1 to 5 exactly once each, all before main's join returns" {
    run_lesson 20 "$LESSON" --scale 0.01
    assert_success
    local joined n
    joined=$(line_index '^main: the counter has finished$')
    for n in 1 2 3 4 5; do
        assert_equal "$(printf '%s\n' "${lines[@]}" | grep -cx "  counter: $n")" 1
        (($(line_index "^  counter: $n\$") < joined)) || fail "counter $n after the join"
    done
    # main kept going while the counter ran: its kettle lines exist, also before the join
    (($(line_index '^main: kettle on$') < joined))
    (($(line_index '^main: water boiled$') < joined))
}

@test "every worker line comes before the verdict (join waits for all of them)" {
    run_lesson 20 "$LESSON" --threads 16 --scale 0
    assert_success
    assert_equal "${lines[-1]}" "RESULT threads=16 ran_once=16 OK"
    assert_each_worker_once 16
    local last_worker=-1 i
    for i in "${!lines[@]}"; do
        [[ "${lines[$i]}" =~ ^\ \ worker ]] && last_worker=$i
    done
    ((last_worker < ${#lines[@]} - 1))
}

@test "one worker, and the maximum of 1024 workers, each run exactly once" {
    run_lesson 20 "$LESSON" --threads 1 --scale 0
    assert_success
    assert_equal "${lines[-1]}" "RESULT threads=1 ran_once=1 OK"
    assert_each_worker_once 1

    run_lesson 60 "$LESSON" --threads 1024 --scale 0
    assert_success
    assert_equal "${lines[-1]}" "RESULT threads=1024 ran_once=1024 OK"
    assert_each_worker_once 1024
}

# ---- the command line ----------------------------------------------------------------

@test "--help prints the usage on stdout and exits 0" {
    run --separate-stderr timeout 5 "$BUILD/$LESSON" --help
    assert_success
    assert_output --partial "usage: $LESSON"
    assert_output --partial "--threads"
    # shellcheck disable=SC2154  # $stderr is set by run --separate-stderr
    assert_equal "$stderr" ""
}

@test "bad --threads values: exit 2, a line naming --threads, the usage" {
    for bad in x 4x "" 0 -1 1025 99999999999999999999; do
        run --separate-stderr timeout 5 "$BUILD/$LESSON" --threads "$bad"
        assert_usage_error "--threads"
    done
}

@test "bad --scale values: exit 2, a line naming --scale, the usage" {
    for bad in x 0.5s -1 101 1e999 nan inf 99999999999999999999; do
        run --separate-stderr timeout 5 "$BUILD/$LESSON" --scale "$bad"
        assert_usage_error "--scale"
    done
}

@test "unknown flag, missing value and stray operand: exit 2 with the usage" {
    run --separate-stderr timeout 5 "$BUILD/$LESSON" --bogus
    assert_usage_error "--bogus"
    run --separate-stderr timeout 5 "$BUILD/$LESSON" --threads
    assert_usage_error "--threads"
    run --separate-stderr timeout 5 "$BUILD/$LESSON" 4
    assert_usage_error 'unexpected argument "4"'
}

# ---- the quiz ------------------------------------------------------------------------

@test "quiz: every answering command shows what its answer says" {
    check_quiz "$LESSON"
}
