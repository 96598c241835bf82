# plots: scripts/plots.sh draws every plot, PNG and SVG, from a small committed fixture of
# results (tests/fixtures/bench-results/, synthetic: it checks the drawing, not a machine),
# never writes into the results it reads, and bench-summary.sh finds the crossovers.
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
}

@test "a plot whose results are missing is skipped with a message, the others drawn" {
    need_gnuplot
    cp -r "$FIXTURE" "$BATS_TEST_TMPDIR/results"
    rm "$BATS_TEST_TMPDIR/results"/hf-portscan-*.csv "$BATS_TEST_TMPDIR/results/peers.csv"
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

@test "the crossover is interpolated where the speedup falls below 1" {
    # 2x at 100 us and 0.5x at 10 us: log-linear in between, 1x at 100 * 10^(-2/3) us.
    mkdir -p "$BATS_TEST_TMPDIR/r"
    cat >"$BATS_TEST_TMPDIR/r/granularity.csv" <<'EOF'
mechanism,task_ns,tasks,workers,median_ns,min_ns,max_ns,speedup,reps
serial,100000,4,2,400000,400000,400000,1.000,1
pool,100000,4,2,200000,200000,200000,2.000,1
fast,100000,4,2,200000,200000,200000,2.000,1
slow,100000,4,2,800000,800000,800000,0.500,1
serial,10000,40,2,400000,400000,400000,1.000,1
pool,10000,40,2,800000,800000,800000,0.500,1
fast,10000,40,2,200000,200000,200000,2.000,1
slow,10000,40,2,800000,800000,800000,0.500,1
EOF
    run bash -c ". scripts/bench-lib.sh && crossovers '$BATS_TEST_TMPDIR/r'"
    assert_success
    assert_line "pool,21544,crossover,2.000,0.500"
    assert_line "fast,10000,below_range,2.000,2.000"
    assert_line "slow,100000,above_range,0.500,0.500"
}

@test "the summary has every section and a crossover row per mechanism" {
    run --separate-stderr scripts/bench-summary.sh "$FIXTURE"
    assert_success
    for section in "Sum of squares, lesson 14" "MPI ranks beside the pools" "C against Python" \
        "Simulated downloads" "Port scan" "Server, lesson 20" "Granularity" "Primitive costs" \
        "Peers"; do
        assert_line --partial "## $section"
    done
    for mech in $(awk -F, 'NR > 1 && $1 != "serial" { print $1 }' "$FIXTURE/granularity.csv" | sort -u); do
        assert_line --regexp "^\| $mech \| "
    done
    assert_line --regexp '^\| serial \| 1 \| .* \| 1\.00× \|$'
}

@test "the summary puts MPI's ranks beside the pools and the server's rps per worker count" {
    run --separate-stderr scripts/bench-summary.sh "$FIXTURE"
    assert_success
    # in-program: serial first, then each worker count with its modes, MPI's ranks among them
    # (speedups against lesson 14's in-program serial; the whole program from hyperfine)
    assert_line --regexp '^\| serial \(lesson 14\) \| 1 \| .* \| 1\.00× \| 1\.00× \|$'
    for w in 1 2; do
        for mode in "threads (lesson 14)" "pool (lesson 14)" "processes (lesson 14)" \
            "mpi ranks (lesson 21)"; do
            assert_line --regexp "^\| ${mode//[()]/.} \| $w \| "
        done
    done
    assert_line --regexp '^\| mpi \| 2 \| .* \| 0\.[0-9]+× \|$' # whole program, start-up and all
    assert_line --regexp '^With 2 ranks, MPI does the work [0-9.]+× faster than serial'
    # the server: one row per worker count, the first the baseline
    assert_line --regexp '^\| 1 \| [0-9]+ \| [0-9]+–[0-9]+ \| 1\.00× \|$'
    for w in 2 4 8 16; do
        assert_line --regexp "^\| $w \| [0-9]+ \| [0-9]+–[0-9]+ \| [0-9.]+× \|$"
    done
    # the contention table of lessons 17-19
    for op in rwlock_read cas_add tls_add tls_key_add; do
        assert_line --regexp "^\| $op \| [0-9.]+ ns \| 2 \| [0-9.]+ ns \| [0-9.]+× \|$"
    done
    assert_line --regexp '^One barrier phase \(lesson 16\): [0-9.]+ µs for 2 threads'
}

@test "without MPI figures the in-program plot shows the pools alone, and the summary says why" {
    need_gnuplot
    cp -r "$FIXTURE" "$BATS_TEST_TMPDIR/results"
    rm "$BATS_TEST_TMPDIR/results/mpi.csv" "$BATS_TEST_TMPDIR/results/hf-sumsq-mpi.csv" \
        "$BATS_TEST_TMPDIR/results/server-rps.csv"
    run --separate-stderr timeout 60 scripts/plots.sh --results "$BATS_TEST_TMPDIR/results" \
        --out "$BATS_TEST_TMPDIR/out"
    assert_success
    [ -s "$BATS_TEST_TMPDIR/out/speedup-mpi.svg" ] || fail "no speedup-mpi.svg: $stderr"
    grep -q 'pool (lesson 14)' "$BATS_TEST_TMPDIR/out/speedup-mpi.svg"
    ! grep -q 'mpi ranks' "$BATS_TEST_TMPDIR/out/speedup-mpi.svg" || fail "an MPI line from nothing"
    [[ "$stderr" == *"skipped server-rps: no server-rps.csv"* ]] || fail "no message: $stderr"
    run scripts/bench-summary.sh "$BATS_TEST_TMPDIR/results"
    assert_success
    assert_line --partial "No MPI figures: OpenMPI or lesson 21 was missing"
    refute_line --partial "## Server"
}

@test "the summary warns when the machine was busy before the run, and only then" {
    cp -r "$FIXTURE" "$BATS_TEST_TMPDIR/busy"
    sed -i 's/^loadavg: .*/loadavg: 1.50 1.20 1.00/' "$BATS_TEST_TMPDIR/busy/machine.txt"
    run scripts/bench-summary.sh "$BATS_TEST_TMPDIR/busy"
    assert_success
    assert_line "**Noisy:** the load average was 1.50 on 2 CPUs before this run: other"
    sed -i 's/^loadavg: .*/loadavg: 0.05 0.10 0.20/' "$BATS_TEST_TMPDIR/busy/machine.txt"
    run scripts/bench-summary.sh "$BATS_TEST_TMPDIR/busy"
    assert_success
    refute_line --partial "Noisy"
}
