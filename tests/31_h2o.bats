# 31_h2o: with the barrier every molecule is two H and one O let in together, whatever
# the seed, the size or the timing. --variant no-barrier mixes molecules only as the timing
# allows: its runs are held to bounds (mixed <= molecules, verdict and exit status agree
# with the count), never to a count; one molecule has nobody to mix with and is exact.
load helper

LESSON=31_h2o

setup_file() {
    build "$BUILD/$LESSON"
}

VERDICT='^RESULT variant=(fixed|no-barrier) molecules=([0-9]+) oxygen=([0-9]+) '
VERDICT+='hydrogen=([0-9]+) mixed=([0-9]+) (OK|FAIL)$'

# Parses the last line into: variant molecules oxygen hydrogen mixed word.
parse_verdict() {
    [[ "${lines[-1]}" =~ $VERDICT ]] || fail "unexpected last line: ${lines[-1]}"
    variant=${BASH_REMATCH[1]} molecules=${BASH_REMATCH[2]} oxygen=${BASH_REMATCH[3]}
    hydrogen=${BASH_REMATCH[4]} mixed=${BASH_REMATCH[5]} word=${BASH_REMATCH[6]}
}

# ---- fixed ----------------------------------------------------------------------------

@test "fixed (the default): molecules == O == H/2, none mixed" {
    run_lesson 20 "$LESSON" --timeout 10
    assert_success
    assert_line --index 0 "30 molecules: 60 hydrogen and 30 oxygen threads, seed 1, variant fixed"
    assert_line "30 molecules formed, 0 of them mixed (not two H and one O let in together)"
    assert_equal "${lines[-1]}" "RESULT variant=fixed molecules=30 oxygen=30 hydrogen=60 mixed=0 OK"
    refute_line --partial "is mixed"
    refute_line --partial "bonded twice"
}

@test "fixed: several seeds and sizes, with and without travel time, never mix" {
    local seed n
    for seed in 1 2 3 4 5 6; do
        run_lesson 20 "$LESSON" --timeout 10 --seed "$seed" --molecules 40 --scale 0.3
        assert_success
        assert_equal "${lines[-1]}" "RESULT variant=fixed molecules=40 oxygen=40 hydrogen=80 mixed=0 OK"
    done
    for n in 1 2 3 300; do
        run_lesson 20 "$LESSON" --timeout 10 --molecules "$n" --scale 0
        assert_success
        assert_equal "${lines[-1]}" \
            "RESULT variant=fixed molecules=$n oxygen=$n hydrogen=$((2 * n)) mixed=0 OK"
    done
}

# ---- no-barrier -----------------------------------------------------------------------

@test "no-barrier: mixed <= molecules; the lines, the verdict and the exit status agree" {
    local seed shown
    for seed in 1 2 3 4 5; do
        run_lesson 20 "$LESSON" --timeout 10 --variant no-barrier --seed "$seed"
        parse_verdict
        # every atom still bonds once: the counts hold, only the grouping can go wrong
        assert_equal "$variant $molecules $oxygen $hydrogen" "no-barrier 30 30 60"
        ((mixed <= molecules)) || fail "mixed=$mixed > molecules=$molecules"
        assert_line "30 molecules formed, $mixed of them mixed (not two H and one O let in together)"
        shown=$(printf '%s\n' "${lines[@]}" | grep -c '^molecule [0-9]* is mixed: ' || true)
        assert_equal "$shown" "$((mixed < 5 ? mixed : 5))"
        if ((mixed > 0)); then
            assert_equal "$word $status" "FAIL 1"
        else
            assert_equal "$word $status" "OK 0"
            assert_line "no-barrier: no molecule mixed this time; that is luck, nothing prevented it"
        fi
    done
}

@test "no-barrier: a mixed molecule is never two H and one O of one group" {
    run_lesson 20 "$LESSON" --timeout 10 --variant no-barrier --molecules 60
    [[ $status == 0 || $status == 1 ]] || fail "exit status $status"
    assert_line --regexp '^RESULT variant=no-barrier molecules=60 '
    local line
    while IFS= read -r line; do
        [[ "$line" =~ ^molecule\ [0-9]+\ is\ mixed:\ ([HO])\ \(group\ ([0-9]+)\),\ ([HO])\ \(group\ ([0-9]+)\),\ ([HO])\ \(group\ ([0-9]+)\)$ ]] ||
            fail "unexpected line: $line"
        local r=("${BASH_REMATCH[@]}") kinds
        kinds=$(printf '%s\n' "${r[1]}" "${r[3]}" "${r[5]}" | sort | tr -d '\n')
        [[ "$kinds" != HHO || "${r[2]}" != "${r[4]}" || "${r[4]}" != "${r[6]}" ]] ||
            fail "a molecule called mixed is not: $line"
    done < <(printf '%s\n' "${lines[@]}" | grep '^molecule ')
}

@test "no-barrier with one molecule has nobody to mix with: OK" {
    run_lesson 20 "$LESSON" --timeout 10 --variant no-barrier --molecules 1
    assert_success
    assert_equal "${lines[-1]}" "RESULT variant=no-barrier molecules=1 oxygen=1 hydrogen=2 mixed=0 OK"
}

# ---- command line ---------------------------------------------------------------------

@test "--help prints the usage on stdout and exits 0" {
    run --separate-stderr timeout 5 "$BUILD/$LESSON" --help
    assert_success
    assert_output --partial "usage: $LESSON"
    local opt
    for opt in --variant --molecules --seed --timeout --scale; do
        assert_output --partial "  $opt "
    done
    assert_equal "$stderr" ""
}

@test "bad input: one line naming the problem, the usage, exit 2" {
    local -a cases=(
        "--variant|--variant barrier"
        "--molecules: expected an integer from 1 to 300, got \"x\"|--molecules x"
        "--molecules|--molecules 0"
        "--molecules|--molecules 301"
        "--seed|--seed -1"
        "--seed|--seed 2147483648"
        "--timeout|--timeout 0"
        "--scale|--scale -0.5"
        "--scale|--scale 101"
        "unknown option|--atoms 3"
        "needs a value|--molecules"
        "unexpected argument \"water\"|water"
    )
    usage_errors "$LESSON" "${cases[@]}"
    run --separate-stderr timeout 5 "$BUILD/$LESSON" --variant barrier
    assert_usage_error '--variant: expected one of fixed|no-barrier, got "barrier"'
}

# ---- the quiz ------------------------------------------------------------------------

@test "quiz: every answering command shows what its answer says" {
    check_quiz "$LESSON"
}
