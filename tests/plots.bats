# plots: scripts/plots.sh draws every plot, PNG and SVG, from a small committed fixture of
# results (tests/fixtures/bench-results/: a smoke run, it checks the drawing, not a machine)
# and never writes into the measurements it reads; `make plots` redraws the reference run's
# images in plots/ byte for byte. (The numbers themselves: tests/benchstats.bats.)
# Needs gnuplot (scripts/install-deps.sh bench); skipped with a message without it.
load helper

FIXTURE=tests/fixtures/bench-results/example-20250101-000000
PLOTS=(speedup-sumsq speedup-mpi time-sumsq time-downloads time-portscan granularity
    granularity-peers primitives c-vs-python peers server-rps http)

need_gnuplot() {
    command -v gnuplot >/dev/null 2>&1 || skip "gnuplot is not installed (scripts/install-deps.sh bench)"
}

# One drawing of the fixture (a copy, so that nothing could write into the committed one),
# with no --out: the images go into the results folder's plots/, and nothing else changes.
@test "every plot drawn from the fixture, PNG and SVG, into its plots/; the results untouched" {
    need_gnuplot
    local res="$BATS_TEST_TMPDIR/example-20250101-000000"
    cp -r "$FIXTURE" "$res"
    before=$(cd "$res" && find . -type f -exec md5sum {} + | sort)
    run --separate-stderr timeout 60 scripts/plots.sh --results "$res"
    assert_success
    [[ "$stderr" == *"${#PLOTS[@]} plots drawn"* ]] || fail "plots.sh said: $stderr"
    [[ "$stderr" != *"skipped "* ]] || fail "a plot was skipped: $stderr"
    for name in "${PLOTS[@]}"; do
        png="$res/plots/$name.png" svg="$res/plots/$name.svg"
        [ -s "$png" ] || fail "$name.png is missing or empty"
        [ -s "$svg" ] || fail "$name.svg is missing or empty"
        [ "$(head -c 4 "$png" | tail -c 3)" = PNG ] || fail "$name.png is not a PNG"
        grep -q '<svg' "$svg" || fail "$name.svg is not an SVG"
    done
    [ "$(find "$res/plots" -type f | wc -l)" -eq $((2 * ${#PLOTS[@]})) ]
    # the caption names the machine (from machine.txt) and the run
    grep -q 'AMD EPYC, 2 CPUs' "$res/plots/primitives.svg" || fail "no machine in the caption"
    grep -q ' — example-20250101-000000<' "$res/plots/granularity.svg" || fail "no run in the caption"
    rm -r "$res/plots"
    after=$(cd "$res" && find . -type f -exec md5sum {} + | sort)
    assert_equal "$after" "$before"
}

# Into a folder of its own (PLOTS_OUT): other test files run beside this one, and one of
# them checks that a bench run leaves plots/ alone.
@test "make plots redraws the reference run's images exactly, byte for byte" {
    need_gnuplot
    [ -d bench/results/reference ] || skip "no reference run committed yet"
    run timeout 120 make -s plots PLOTS_OUT="$BATS_TEST_TMPDIR/plots"
    assert_success
    local n=0 f
    for f in plots/*.svg; do
        cmp "$f" "$BATS_TEST_TMPDIR/plots/${f#plots/}" || fail "$f is not what make plots draws"
        n=$((n + 1))
    done
    assert_equal "$(find "$BATS_TEST_TMPDIR/plots" -type f | wc -l)" "$n" # and nothing else
    ((n >= 10)) || fail "only $n images in plots/"
}

@test "a plot whose results are missing is skipped with a message, the others drawn" {
    need_gnuplot
    cp -r "$FIXTURE" "$BATS_TEST_TMPDIR/results"
    rm "$BATS_TEST_TMPDIR/results"/hf/portscan-*.json "$BATS_TEST_TMPDIR/results/peers.csv" \
        "$BATS_TEST_TMPDIR/results/http-samples.csv"
    run --separate-stderr timeout 60 scripts/plots.sh --results "$BATS_TEST_TMPDIR/results" \
        --out "$BATS_TEST_TMPDIR/out" --formats svg
    assert_success
    [[ "$stderr" == *"skipped time-portscan"* ]] || fail "no message for time-portscan: $stderr"
    [[ "$stderr" == *"skipped peers"* ]] || fail "no message for peers: $stderr"
    [[ "$stderr" == *"skipped http"* ]] || fail "no message for http: $stderr"
    [ ! -e "$BATS_TEST_TMPDIR/out/peers.svg" ]
    [ ! -e "$BATS_TEST_TMPDIR/out/http.svg" ]
    [ -s "$BATS_TEST_TMPDIR/out/granularity.svg" ]
}

@test "plots.sh: bad usage exits 2, a missing results folder too" {
    run --separate-stderr scripts/plots.sh --frobnicate
    assert_failure 2
    [[ "$stderr" == *"usage: scripts/plots.sh"* ]]
    run --separate-stderr scripts/plots.sh --results "$BATS_TEST_TMPDIR/nothing-here"
    assert_failure 2
    [[ "$stderr" == *"no results folder"* ]]
}

@test "without MPI figures the in-program plot shows the pools alone" {
    need_gnuplot
    cp -r "$FIXTURE" "$BATS_TEST_TMPDIR/results"
    sed -i '/program=21/d' "$BATS_TEST_TMPDIR/results/inprogram.txt"
    rm "$BATS_TEST_TMPDIR/results"/hf/sumsqmpi-*.json "$BATS_TEST_TMPDIR/results/server-samples.csv"
    run --separate-stderr timeout 60 scripts/plots.sh --results "$BATS_TEST_TMPDIR/results" \
        --out "$BATS_TEST_TMPDIR/out" --formats svg
    assert_success
    [ -s "$BATS_TEST_TMPDIR/out/speedup-mpi.svg" ] || fail "no speedup-mpi.svg: $stderr"
    grep -q 'pool (lesson 14)' "$BATS_TEST_TMPDIR/out/speedup-mpi.svg"
    ! grep -q 'mpi ranks' "$BATS_TEST_TMPDIR/out/speedup-mpi.svg" || fail "an MPI line from nothing"
    [[ "$stderr" == *"skipped server-rps"* ]] || fail "no message: $stderr"
}
