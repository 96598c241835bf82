# 16_barrier: with the barriers, the threads' rod equals main's serial rod cell for cell
# and no thread ever begins a step before all have finished the one before, for any
# thread count and rod size. --variant no-barrier may differ by any amount, so it is only
# held to bounds and to a verdict and exit status that agree with its numbers; with one
# thread it has nobody to race with and must be exact. The data race itself is proven by
# tests/race_detectors.bats (tsan and helgrind report it). The times are never judged here,
# only the form of the lesson's own judgement: CPUs busy, or too short to time, and at most
# one doubt.
load helper

LESSON=16_barrier

setup_file() {
    build "$BUILD/$LESSON"
}

VERDICT='^RESULT variant=(barrier|no-barrier) threads=([0-9]+) cells=([0-9]+) steps=([0-9]+) '
VERDICT+='mismatches=([0-9]+) overlaps=([0-9]+) (OK|FAIL)$'

# Parses the last line into: variant threads cells steps mismatches overlaps word.
parse_verdict() {
    [[ "${lines[-1]}" =~ $VERDICT ]] || fail "unexpected last line: ${lines[-1]}"
    variant=${BASH_REMATCH[1]} threads=${BASH_REMATCH[2]} cells=${BASH_REMATCH[3]}
    steps=${BASH_REMATCH[4]} mismatches=${BASH_REMATCH[5]} overlaps=${BASH_REMATCH[6]}
    word=${BASH_REMATCH[7]}
}

# An exact run: equal to the serial rod, no overlap, and every progress line saw all
# threads finished.
assert_exact_run() {
    local t=$1 c=$2 s=$3 variant=${4:-barrier}
    assert_success
    assert_equal "${lines[-1]}" \
        "RESULT variant=$variant threads=$t cells=$c steps=$s mismatches=0 overlaps=0 OK"
    assert_line "main: the threads' rod equals the serial rod, cell for cell"
    refute_line --regexp '^thread [0-9]+: began step'
    local progress all
    progress=$(printf '%s\n' "${lines[@]}" | grep -c '^after step ' || true)
    all=$(printf '%s\n' "${lines[@]}" | grep -c "^after step [0-9]*: $t of $t threads had" || true)
    ((progress >= 1)) || fail "no progress line"
    assert_equal "$all" "$progress"
}

# ---- with barriers: exact -----------------------------------------------------------------

@test "defaults: 4 threads, 20000 cells, 1000 steps, equal to the serial rod" {
    run_lesson 30 "$LESSON"
    assert_exact_run 4 20000 1000
    local us='[0-9.]+ us per step, two barrier waits each'
    assert_line --regexp "^serial: [0-9.]+ ms; 4 threads: [0-9.]+ ms \\($us\\)$"
    assert_times_judged
}

# After the timing line: how many CPUs each side kept busy, or why the times are too short
# to say; then at most one doubt, naming why the two times cannot be compared.
assert_times_judged() {
    local doubts
    if printf '%s\n' "${lines[@]}" | grep -q '^Doubt: a side took under 10 ms'; then
        refute_line --partial 'CPUs busy'
    else
        assert_line --regexp '^CPUs busy \(CPU time / wall time\): serial [0-9]+\.[0-9]{2}, the threads [0-9]+\.[0-9]{2}$'
    fi
    doubts=$(printf '%s\n' "${lines[@]}" | grep -c '^Doubt: ' || true)
    ((doubts <= 1)) || fail "$doubts doubts"
}

@test "a run too short to time says so instead of comparing the times" {
    # 50 cells x 10 steps: serial takes microseconds, far below what CPU clocks can see
    run_lesson 30 "$LESSON" --threads 2 --cells 50 --steps 10
    assert_exact_run 2 50 10
    assert_line 'Doubt: a side took under 10 ms, too short to compare (add --cells or --steps).'
    assert_times_judged
}

@test "exact for 1, 2, 3, 7 and 16 threads" {
    local t
    for t in 1 2 3 7 16; do
        run_lesson 30 "$LESSON" --threads "$t" --cells 3001 --steps 200
        assert_exact_run "$t" 3001 200
    done
}

@test "the smallest rods: one cell per thread, and a single step" {
    run_lesson 30 "$LESSON" --threads 64 --cells 66 --steps 50
    assert_exact_run 64 66 50
    run_lesson 30 "$LESSON" --threads 1 --cells 3 --steps 1
    assert_exact_run 1 3 1
    run_lesson 30 "$LESSON" --threads 5 --cells 7 --steps 3
    assert_exact_run 5 7 3
}

@test "the same rod every run (5 runs, 3 threads)" {
    local first=""
    for _ in 1 2 3 4 5; do
        run_lesson 30 "$LESSON" --threads 3 --cells 500 --steps 100
        assert_exact_run 3 500 100
        local ranges
        ranges=$(printf '%s\n' "${lines[@]}" | grep '^after step ' | sed 's/.*ranges/ranges/')
        [[ -z "$first" ]] && first=$ranges
        assert_equal "$ranges" "$first"
    done
}

# ---- without barriers: only bounds, and honesty ---------------------------------------

# FAIL (exit 1) exactly when cells differ or a step overlapped; the numbers stay within
# what is possible; the lesson explains what it saw.
check_no_barrier_run() {
    local t=$1 c=$2 s=$3
    parse_verdict
    assert_equal "$variant $threads $cells $steps" "no-barrier $t $c $s"
    ((mismatches <= c)) || fail "mismatches $mismatches > cells $c"
    ((overlaps <= t * (s - 1))) || fail "overlaps $overlaps > $((t * (s - 1)))"
    if ((mismatches > 0 || overlaps > 0)); then
        assert_equal "$word" FAIL
        assert_failure 1
    else
        assert_equal "$word" OK
        assert_success
    fi
    if ((mismatches > 0)); then
        # in degrees, like every other temperature the lesson prints
        assert_line --regexp "^main: $mismatches of $c cells differ from the serial rod \(first: cell [0-9]+ is [0-9]+\.[0-9]{3} degrees, should be [0-9]+\.[0-9]{3}\)$"
        assert_line --regexp "^serial: [0-9.]+ ms; $t threads: [0-9.]+ ms \([0-9.]+ us per step, no barrier wait\)$"
    fi
    if ((overlaps > 0)); then
        local n='[0-9]+'
        assert_line --regexp "^thread $n: began step $n while only $n of $n threads had finished"
    fi
}

@test "no-barrier: bounded, and FAIL exactly when the rod differs or steps overlapped" {
    local args
    for args in "4 20000 1000" "2 500 100" "8 100 20"; do
        # shellcheck disable=SC2086  # split the arguments on purpose
        set -- $args
        run_lesson 30 "$LESSON" --variant no-barrier --threads "$1" --cells "$2" --steps "$3"
        check_no_barrier_run "$1" "$2" "$3"
    done
}

@test "no-barrier with one thread has nobody to race with: exact, OK" {
    run_lesson 30 "$LESSON" --variant no-barrier --threads 1 --cells 1000 --steps 100
    assert_exact_run 1 1000 100 no-barrier
}

# ---- command line -----------------------------------------------------------------------

@test "--help prints the usage on stdout and exits 0" {
    run --separate-stderr timeout 5 "$BUILD/$LESSON" --help
    assert_success
    assert_line --index 0 --regexp '^usage: 16_barrier \[--variant barrier\|no-barrier\]'
    assert_output --partial "--threads"
    assert_output --partial "--cells"
    assert_output --partial "--steps"
    # shellcheck disable=SC2154  # $stderr is set by run --separate-stderr
    assert_equal "$stderr" ""
}

@test "bad input: one line naming the problem, the usage, exit 2" {
    local -a cases=(
        "--threads: expected an integer from 1 to 64, got \"x\"|--threads x"
        "--threads|--threads 0"
        "--threads|--threads -4"
        "--threads|--threads 65"
        "--threads|--threads 99999999999999999999999"
        "--cells|--cells 2"
        "--cells|--cells ten"
        "--cells|--cells -10"
        "--cells|--cells 1000001"
        "--cells|--cells 99999999999999999999999"
        "--steps|--steps 0"
        "--steps|--steps 1.5"
        "--steps|--steps 100001"
        "--cells must be at least --threads + 2|--threads 8 --cells 9"
        "--variant|--variant none"
        "unknown option|--grid 4"
        "needs a value|--steps"
        "unexpected argument \"rod\"|--threads 2 rod"
    )
    usage_errors "$LESSON" "${cases[@]}"
}

@test "an unknown variant lists the variants that exist" {
    run --separate-stderr timeout 5 "$BUILD/$LESSON" --variant none
    assert_usage_error '--variant: expected one of barrier|no-barrier, got "none"'
}

# ---- the quiz ------------------------------------------------------------------------

@test "quiz: every answering command shows what its answer says" {
    check_quiz "$LESSON"
}
