# plots: scripts/plots.sh draws every plot, PNG and SVG, from a small committed fixture of
# results (tests/fixtures/bench-results/: a smoke run, it checks the drawing, not a machine)
# and never writes into the measurements it reads; `make plots` redraws the reference run's
# images in plots/ byte for byte. (The numbers themselves: tests/benchstats.bats.)
# Needs gnuplot (scripts/install-deps.sh bench); skipped with a message without it.
load helper

FIXTURE=tests/fixtures/bench-results/example-20250101-000000
PLOTS=(speedup-sumsq speedup-mpi time-sumsq time-downloads time-portscan granularity
    primitives c-vs-python peers server-rps)

need_gnuplot() {
    command -v gnuplot >/dev/null 2>&1 || skip "gnuplot is not installed (scripts/install-deps.sh bench)"
}

@test "every plot is drawn from the fixture, as a non-empty PNG and SVG" {
    need_gnuplot
    run --separate-stderr timeout 60 scripts/plots.sh --results "$FIXTURE" --out "$BATS_TEST_TMPDIR/out"
    assert_success
    [[ "$stderr" == *"${#PLOTS[@]} plots drawn"* ]] || fail "plots.sh said: $stderr"
    [[ "$stderr" != *"skipped "* ]] || fail "a plot was skipped: $stderr"
    for name in "${PLOTS[@]}"; do
        png="$BATS_TEST_TMPDIR/out/$name.png" svg="$BATS_TEST_TMPDIR/out/$name.svg"
        [ -s "$png" ] || fail "$name.png is missing or empty"
        [ -s "$svg" ] || fail "$name.svg is missing or empty"
        [ "$(head -c 4 "$png" | tail -c 3)" = PNG ] || fail "$name.png is not a PNG"
        grep -q '<svg' "$svg" || fail "$name.svg is not an SVG"
    done
    [ "$(find "$BATS_TEST_TMPDIR/out" -type f | wc -l)" -eq $((2 * ${#PLOTS[@]})) ]
}

@test "the caption names the machine from machine.txt" {
    need_gnuplot
    run timeout 60 scripts/plots.sh --results "$FIXTURE" --out "$BATS_TEST_TMPDIR/out"
    assert_success
    grep -q 'AMD EPYC, 2 CPUs' "$BATS_TEST_TMPDIR/out/primitives.svg"
    grep -q 'example-20250101-000000' "$BATS_TEST_TMPDIR/out/granularity.svg"
}

@test "plotting reads the results and changes nothing in them" {
    need_gnuplot
    cp -r "$FIXTURE" "$BATS_TEST_TMPDIR/results"
    before=$(cd "$BATS_TEST_TMPDIR/results" && find . -type f -exec md5sum {} + | sort)
    run timeout 60 scripts/plots.sh --results "$BATS_TEST_TMPDIR/results" --out "$BATS_TEST_TMPDIR/out"
    assert_success
    after=$(cd "$BATS_TEST_TMPDIR/results" && find . -type f -exec md5sum {} + | sort)
    assert_equal "$after" "$before"
    # without --out, the plots go into the results folder's plots/, nowhere else
    run --separate-stderr timeout 60 scripts/plots.sh --results "$BATS_TEST_TMPDIR/results"
    assert_success
    [ -s "$BATS_TEST_TMPDIR/results/plots/granularity.svg" ]
}

@test "make plots redraws the reference run's images exactly: the tree stays clean" {
    need_gnuplot
    git rev-parse --is-inside-work-tree >/dev/null 2>&1 || skip "not a git checkout"
    [ -d bench/results/reference ] || skip "no reference run committed yet"
    before=$(git status --porcelain)
    run timeout 120 make -s plots
    assert_success
    assert_equal "$(git status --porcelain)" "$before"
}

@test "a plot whose results are missing is skipped with a message, the others drawn" {
    need_gnuplot
    cp -r "$FIXTURE" "$BATS_TEST_TMPDIR/results"
    rm "$BATS_TEST_TMPDIR/results"/hf/portscan-*.json "$BATS_TEST_TMPDIR/results/peers.csv"
    run --separate-stderr timeout 60 scripts/plots.sh --results "$BATS_TEST_TMPDIR/results" \
        --out "$BATS_TEST_TMPDIR/out"
    assert_success
    [[ "$stderr" == *"skipped time-portscan"* ]] || fail "no message for time-portscan: $stderr"
    [[ "$stderr" == *"skipped peers"* ]] || fail "no message for peers: $stderr"
    [ ! -e "$BATS_TEST_TMPDIR/out/peers.png" ]
    [ -s "$BATS_TEST_TMPDIR/out/granularity.png" ]
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
        --out "$BATS_TEST_TMPDIR/out"
    assert_success
    [ -s "$BATS_TEST_TMPDIR/out/speedup-mpi.svg" ] || fail "no speedup-mpi.svg: $stderr"
    grep -q 'pool (lesson 14)' "$BATS_TEST_TMPDIR/out/speedup-mpi.svg"
    ! grep -q 'mpi ranks' "$BATS_TEST_TMPDIR/out/speedup-mpi.svg" || fail "an MPI line from nothing"
    [[ "$stderr" == *"skipped server-rps"* ]] || fail "no message: $stderr"
}
