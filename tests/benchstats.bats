# benchstats: scripts/benchstats.py, where every statistic of `make bench` is computed (per-pair
# speedups, quartiles, two modes, busy and impossible flags, the headline, the comparison with
# the reference, the plots' data), checked by its unit tests on hyperfine JSON made in the
# test and on the committed fixture; and its command line.
load helper

@test "the unit tests of benchstats.py pass" {
    run timeout 120 python3 tests/benchstats_test.py
    assert_success
    [[ "$output" == *"OK"* ]] || fail "$output"
    refute_output --partial "FAIL"
}

@test "benchstats.py: bad usage exits 2 with the usage; settle and cpustat answer" {
    run --separate-stderr python3 scripts/benchstats.py frobnicate
    assert_failure 2
    [[ "$stderr" == *"usage: benchstats.py summarize RESULTS"* ]]
    run --separate-stderr python3 scripts/benchstats.py summarize "$BATS_TEST_TMPDIR/nothing"
    assert_failure 2
    [[ "$stderr" == *"no results folder"* ]]
    run python3 scripts/benchstats.py settle --max 0.6
    assert_success
    assert_output --regexp '^(settled|not settled) after [0-9.]+ s \(idle [0-9]+%\)$'
    run python3 scripts/benchstats.py cpustat
    assert_success
    assert_output --regexp '^[0-9.]+ [0-9.]+$'
}
