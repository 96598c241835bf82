# 25_memory_model: the store-buffering litmus test. The invariant is the language's: under
# seq-cst, and under relaxed accesses with a seq_cst fence between them, no trial ever ends
# (r0, r1) = (0, 0), so those counts are asserted to be 0 in every run. relaxed and acq-rel
# may show (0,0) or not; what holds in every run is the bookkeeping: each order's four
# outcome counts add up to --trials, and the table, the per-order line and the verdict's
# field give the same count. One test does assert that relaxed shows (0,0), only where it
# must (x86_64, two CPUs): see its comment. ThreadSanitizer and memcheck are in
# tests/race_detectors.bats.
load helper

LESSON=25_memory_model

setup_file() {
    build "$BUILD/$LESSON"
}

ORDERS=(relaxed acq-rel seq-cst fence)

# The count of (0,0) in the verdict field of ORDER (relaxed_00=... for relaxed).
field_00() {
    local field=${1//-/_}_00
    [[ "${lines[-1]}" =~ \ $field=([0-9]+)\  ]] || fail "no $field= in: ${lines[-1]}"
    echo "${BASH_REMATCH[1]}"
}

# Checks ORDER's row of the table after a run of N trials: its four counts sum to N, its
# (0,0) count is the one the verdict and the order's own line give. Sets zeros and ones.
check_row() {
    local order=$1 n=$2 line row=
    for line in "${lines[@]}"; do
        [[ "$line" == "$order "* ]] && row=$line
    done
    [[ "$row" =~ ^$order\ +([0-9]+)\ +([0-9]+)\ +([0-9]+)\ +([0-9]+)\ +[0-9.]+%\ +[0-9.]+$ ]] ||
        fail "no table row for $order: '$row'"
    zeros=${BASH_REMATCH[1]} ones=${BASH_REMATCH[4]}
    assert_equal "$((BASH_REMATCH[1] + BASH_REMATCH[2] + BASH_REMATCH[3] + BASH_REMATCH[4]))" "$n"
    assert_equal "$(field_00 "$order")" "$zeros"
    assert_line --regexp "^$order: $zeros of $n trials saw \(0,0\)"
}

# x86 reorders a store with a later load of another address, and the lesson's trials
# overlap closely: on this VM (2 vCPUs, AMD EPYC) 20 default-size relaxed runs in a row each
# saw (0,0) in 3,543 to 18,445 of 500,000 trials (0.7 to 3.7%), 10 more beside a busy loop
# on one CPU 3,985 to 5,544, and 8 beside two busy loops 3,703 to 19,674. This is not a bet
# on one interleaving: at even 0.01% per trial, the chance that none of 500,000 trials
# shows it is e^-50. Only x86_64 with two CPUs for this process is asked: that is where
# the rate was measured (ARM and POWER allow (0,0) as well, but no run here says how
# often), and on one CPU the threads never overlap.
@test "the default runs every order: a table, a line per order, the verdict; relaxed shows (0,0) on x86_64" {
    run_lesson 60 "$LESSON"
    assert_success
    assert_line --index 0 --partial "thread 0 runs x = 1; r0 = y;  thread 1 runs y = 1; r1 = x;"
    assert_line --regexp '^CPUs online: [0-9]+; this process may run on [0-9]+$'
    assert_line --regexp '^order +\(0,0\) +\(0,1\) +\(1,0\) +\(1,1\) +\(0,0\) share +ns/trial$'
    [[ "${lines[-1]}" =~ ^RESULT\ trials=500000\ relaxed_00=[0-9]+\ acq_rel_00=[0-9]+\ seq_cst_00=0\ fence_00=0\ OK$ ]] ||
        fail "unexpected verdict: ${lines[-1]}"
    local order
    for order in "${ORDERS[@]}"; do
        check_row "$order" 500000
    done
    if [[ "$(uname -m)" == x86_64 ]] && (($(nproc) >= 2)); then
        check_row relaxed 500000
        ((zeros > 0)) || fail "relaxed saw no (0,0) in 500000 trials"
        assert_line --regexp "^relaxed: $zeros of 500000 trials saw \(0,0\): each load read 0 before"
    fi
}

@test "every order alone: four counts that sum to --trials, one field in the verdict" {
    local order
    for order in "${ORDERS[@]}"; do
        run_lesson 30 "$LESSON" --order "$order" --trials 20000
        assert_success
        check_row "$order" 20000
        [[ "${lines[-1]}" =~ ^RESULT\ trials=20000\ ${order//-/_}_00=[0-9]+\ OK$ ]] ||
            fail "unexpected verdict: ${lines[-1]}"
        # only that order's row and line
        local other
        for other in "${ORDERS[@]}"; do
            [[ $other == "$order" ]] || refute_line --regexp "^${other}[ :]"
        done
    done
}

@test "seq-cst and fence never give (0,0)" {
    local order
    for order in seq-cst fence; do
        run_lesson 30 "$LESSON" --order "$order" --trials 200000
        assert_success
        check_row "$order" 200000
        assert_equal "$zeros" 0
        assert_line --regexp "^$order: 0 of 200000 trials saw \(0,0\), as sequential consistency requires"
        assert_equal "${lines[-1]}" "RESULT trials=200000 ${order//-/_}_00=0 OK"
    done
}

@test "one trial, and the line for (1,1) under seq-cst says what the table says" {
    run_lesson 10 "$LESSON" --trials 1 --timeout 5
    assert_success
    local order
    for order in "${ORDERS[@]}"; do
        check_row "$order" 1
    done
    check_row seq-cst 1
    if ((ones > 0)); then
        assert_line "seq-cst: 0 of 1 trials saw (0,0), as sequential consistency requires, though 1 overlapped enough to see (1,1)"
    else
        assert_line "seq-cst: 0 of 1 trials saw (0,0), as sequential consistency requires"
    fi
}

@test "on one CPU the lesson says the threads never overlap, and no order shows (0,0)" {
    command -v taskset >/dev/null || skip "taskset is not installed"
    run timeout 30 taskset -c 0 "$BUILD/$LESSON" --trials 2000
    assert_success
    assert_line --regexp '^CPUs online: [0-9]+; this process may run on 1$'
    assert_line "one CPU: the two threads take turns and never run at once, so no order can show (0,0) here"
    assert_equal "${lines[-1]}" "RESULT trials=2000 relaxed_00=0 acq_rel_00=0 seq_cst_00=0 fence_00=0 OK"
    assert_line "relaxed: 0 of 2000 trials saw (0,0) (one CPU: the threads never ran at once)"
}

# ---- command line ---------------------------------------------------------------------

@test "--help prints the usage on stdout and exits 0" {
    run --separate-stderr timeout 5 "$BUILD/$LESSON" --help
    assert_success
    assert_line --index 0 --regexp '^usage: 25_memory_model \[--order all\|relaxed\|acq-rel\|seq-cst\|fence\]'
    assert_output --partial "--trials"
    assert_output --partial "--timeout"
    # shellcheck disable=SC2154  # $stderr is set by run --separate-stderr
    assert_equal "$stderr" ""
}

@test "bad input: one line naming the problem, the usage, exit 2" {
    local -a cases=(
        "--order|--order seq_cst"
        "--order|--order acquire"
        "--trials: expected an integer from 1 to 100000000, got \"0\"|--trials 0"
        "--trials|--trials -5"
        "--trials|--trials many"
        "--trials|--trials 1e6"
        "--trials|--trials 100000001"
        "--trials|--trials 99999999999999999999999"
        "--timeout|--timeout 0"
        "--timeout|--timeout soon"
        "--timeout|--timeout 3601"
        "unknown option \"--variant\"|--variant relaxed"
        "needs a value|--order"
        "unexpected argument \"relaxed\"|--trials 10 relaxed"
    )
    usage_errors "$LESSON" "${cases[@]}"
}

@test "an unknown order lists the orders that exist" {
    run --separate-stderr timeout 5 "$BUILD/$LESSON" --order sc
    assert_usage_error '--order: expected one of all|relaxed|acq-rel|seq-cst|fence, got "sc"'
}

# ---- the quiz ------------------------------------------------------------------------

@test "quiz: every answering command shows what its answer says" {
    check_quiz "$LESSON"
}
