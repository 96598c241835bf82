# 08_race_counter: --variant mutex, atomic and local are exact for any thread count;
# unsafe may only be asserted <= expected (whether it loses updates depends on the
# interleaving), but its verdict, its lost= field and its exit status must agree with its
# own counter. The table's point= (unsafe against local) depends on timing: only its
# agreement with the line that explains it is asserted, never which word it is (except
# n/a with one thread). The old spelling, --mode, is refused as an unknown option.
# The race itself is proven by tests/race_detectors.bats (tsan and helgrind report it).
load helper

LESSON=08_race_counter

setup_file() {
    build "$BUILD/$LESSON"
}

# ---- the safe variants: exact, whatever the thread count ------------------------------

@test "mutex, atomic and local are exact with 1, 2, 3 and 8 threads" {
    for variant in mutex atomic local; do
        for threads in 1 2 3 8; do
            run_lesson 20 "$LESSON" --variant "$variant" --threads "$threads" --iterations 50000
            assert_success
            assert_equal "${lines[-1]}" \
                "RESULT variant=$variant counter=$((threads * 50000)) expected=$((threads * 50000)) OK"
            assert_line --regexp "^$variant: $threads threads x 50000 increments in [0-9.]+ ms = [0-9.]+ ns per increment$"
        done
    done
}

@test "the style guide's example: mutex, 4 threads x 200000" {
    run_lesson 20 "$LESSON" --variant mutex --threads 4 --iterations 200000
    assert_success
    assert_equal "${lines[-1]}" "RESULT variant=mutex counter=800000 expected=800000 OK"
}

@test "one iteration per thread is still exact" {
    for variant in mutex atomic local; do
        run_lesson 20 "$LESSON" --variant "$variant" --threads 5 --iterations 1
        assert_success
        assert_equal "${lines[-1]}" "RESULT variant=$variant counter=5 expected=5 OK"
    done
}

# ---- the unsafe variant: <= expected, and honest about it ----------------------------

# Checks one unsafe run: counter <= expected, lost = expected - counter, and the verdict
# word and the exit status both say FAIL/1 exactly when something was lost.
check_unsafe_run() {
    local expected=$1 threads=$2
    [[ "${lines[-1]}" =~ ^RESULT\ variant=unsafe\ counter=([0-9]+)\ expected=$expected\ lost=([0-9]+)\ (OK|FAIL)$ ]] ||
        fail "unexpected verdict line: ${lines[-1]}"
    local counter=${BASH_REMATCH[1]} lost=${BASH_REMATCH[2]} word=${BASH_REMATCH[3]}
    ((counter <= expected)) || fail "counter $counter > expected $expected"
    assert_equal "$lost" "$((expected - counter))"
    if ((lost > 0)); then
        assert_equal "$word" FAIL
        assert_equal "$status" 1
        assert_line --regexp "^unsafe: lost $lost of $expected updates"
    else
        assert_equal "$word" OK
        assert_equal "$status" 0
        if ((threads == 1)); then
            assert_line "unsafe: one thread has nobody to race with: nothing lost"
        else
            assert_line --partial "unsafe: no update lost this time"
        fi
    fi
}

@test "unsafe never counts more than expected; lost= matches; verdict and exit agree" {
    for threads in 1 2 4; do
        run_lesson 20 "$LESSON" --variant unsafe --threads "$threads" --iterations 200000
        check_unsafe_run $((threads * 200000)) "$threads"
    done
}

@test "unsafe with one thread has nobody to race with: exact, OK" {
    run_lesson 20 "$LESSON" --variant unsafe --threads 1 --iterations 100000
    assert_success
    assert_equal "${lines[-1]}" "RESULT variant=unsafe counter=100000 expected=100000 lost=0 OK"
    assert_line "unsafe: one thread has nobody to race with: nothing lost"
}

# ---- --variant all (the default): a table; the verdict counts only the safe ones ------

@test "variant all is the default: four rows, safe ones exact, unsafe <= expected, exit 0" {
    run_lesson 30 "$LESSON" --threads 3 --iterations 100000
    assert_success
    assert_line --regexp '^variant +counter +expected +lost +ms +ns/inc +cores$'
    for variant in mutex atomic local; do
        assert_line --regexp "^$variant +300000 +300000 +0 +[0-9.]+ +[0-9.]+ +[0-9.]+$"
    done
    assert_line --regexp '^unsafe +[0-9]+ +300000 +[0-9]+ +[0-9.]+ +[0-9.]+ +[0-9.]+$'
    assert_line --partial "the unsafe row is for comparison"
    [[ "${lines[-1]}" =~ ^RESULT\ variant=all\ expected=300000\ unsafe=([0-9]+)\ unsafe_lost=([0-9]+)\ mutex=300000\ atomic=300000\ local=300000\ point=(shown|untrusted|n/a|not-shown)\ OK$ ]] ||
        fail "unexpected verdict line: ${lines[-1]}"
    ((BASH_REMATCH[1] <= 300000)) || fail "unsafe counted ${BASH_REMATCH[1]} > 300000"
    assert_equal "${BASH_REMATCH[2]}" "$((300000 - BASH_REMATCH[1]))"
}

# Checks that point= in the verdict agrees with the line under the table: a Doubt exactly
# when untrusted; otherwise the comparison's own numbers (the table's ns/inc) say which.
check_point() {
    [[ "${lines[-1]}" =~ \ point=([a-z/-]+)\ OK$ ]] || fail "no point= in: ${lines[-1]}"
    local point=${BASH_REMATCH[1]} line
    line=$(printf '%s\n' "${lines[@]}" | grep -E '^(Doubt: |unsafe [0-9.]+ ns/inc against |unsafe against local: )')
    assert_equal "$(wc -l <<<"$line")" 1
    case $point in
    untrusted) [[ "$line" == "Doubt: "*". Which is faster, unsafe or local, cannot be told from this run." ]] ;;
    n/a) [[ "$line" == "unsafe against local: "*": n/a" ]] ;;
    shown | not-shown)
        [[ "$line" =~ ^unsafe\ ([0-9.]+)\ ns/inc\ against\ local\ ([0-9.]+),\ both\ on\ [0-9]+\ cores\ at\ once:\  ]] ||
            fail "unexpected comparison: $line"
        local faster
        faster=$(awk -v u="${BASH_REMATCH[1]}" -v l="${BASH_REMATCH[2]}" 'BEGIN { print (u > l) ? "shown" : "not-shown" }')
        assert_equal "$point" "$faster"
        ;;
    *) fail "unknown point=$point" ;;
    esac || fail "point=$point but the line says: $line"
}

@test "the line under the table and point= agree, whatever the timing; one thread is n/a" {
    run_lesson 60 "$LESSON" --threads 2 --iterations 2000000
    assert_success
    check_point
    run_lesson 30 "$LESSON" --threads 2 --iterations 1000
    assert_success
    check_point
    run_lesson 30 "$LESSON" --threads 1 --iterations 100000
    assert_success
    check_point
    assert_output --regexp 'local=100000 point=n/a OK$'
}

@test "--variant all spelled out behaves like the default" {
    run_lesson 30 "$LESSON" --variant all --threads 2 --iterations 1000
    assert_success
    assert_output --regexp 'RESULT variant=all expected=2000 unsafe=[0-9]+ unsafe_lost=[0-9]+ mutex=2000 atomic=2000 local=2000 point=[a-z/-]+ OK$'
}

# ---- command line ----------------------------------------------------------------------

@test "--help prints the usage on stdout and exits 0" {
    run_lesson 5 "$LESSON" --help
    assert_success
    assert_line --index 0 --regexp '^usage: 08_race_counter \[--variant all\|mutex\|atomic\|local\|unsafe\]'
    assert_output --partial "--threads"
    assert_output --partial "--iterations"
}

@test "bad input: one line naming the problem, the usage, exit 2" {
    local -a cases=(
        "--threads|--threads x"
        "--threads|--threads 0"
        "--threads|--threads -2"
        "--threads|--threads 1025"
        "--threads|--threads 99999999999999999999999"
        "--threads|--threads 2x"
        "--threads|--threads="
        "--iterations|--iterations abc"
        "--iterations|--iterations 0"
        "--iterations|--iterations -5"
        "--iterations|--iterations 1000000001"
        "--iterations|--iterations 99999999999999999999999"
        "--variant|--variant fast"
        "--variant|--variant UNSAFE"
        "unknown option|--bogus"
        "needs a value|--threads"
        "needs a value|--variant"
        "unexpected argument \"extra\"|--variant mutex extra"
    )
    usage_errors "$LESSON" "${cases[@]}"
}

@test "an unknown variant lists the variants that exist" {
    run --separate-stderr timeout 5 "$BUILD/$LESSON" --variant nolock
    assert_usage_error '--variant: expected one of all|mutex|atomic|local|unsafe, got "nolock"'
}

@test "the old spelling --mode is gone: an unknown option, exit 2" {
    local -a cases=(
        "unknown option \"--mode\"|--mode unsafe"
        "unknown option \"--mode\"|--mode mutex --threads 2 --iterations 1000"
        "unknown option \"--mode=all\"|--mode=all"
    )
    usage_errors "$LESSON" "${cases[@]}"
}

# ---- the quiz ------------------------------------------------------------------------

@test "quiz: every answering command shows what its answer says" {
    check_quiz "$LESSON"
}
