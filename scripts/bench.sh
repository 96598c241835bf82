#!/usr/bin/env bash
# bench.sh: run every benchmark, write the results, draw their plots, print the summary and
# the headline beside the committed reference run's.
# `make bench` calls it after installing the tools (scripts/install-deps.sh bench mpi) and
# building (bench/, lessons 12, 13, 14, 20, 23, and 21 with mpicc); run by hand, it expects
# the programs built already.
#
#   scripts/bench.sh                  the full run (about 11 minutes on 2 cores)
#   QUICK=1 scripts/bench.sh          smaller sizes, fewer runs, no warm-up (80 to 100 s)
#   BENCH_SMOKE=1 scripts/bench.sh    tiny sizes, a few seconds: checks the machinery only
#
# Environment: BUILD (where the programs are, default build), CC (the compiler that built
# them, for machine.txt; make passes both), RESULTS (the folder to write, default
# bench/results/<host>-<YYYYmmdd-HHMMSS>, which git ignores), PLOTS (where the plots go,
# default RESULTS/plots; PLOTS= skips them), REFERENCE (the run to compare with, default
# bench/results/reference), BENCH_STEPS (some of the steps below, e.g. "machine portscan
# summary", to re-measure one thing into an existing RESULTS). Nothing tracked by git is
# written.
#
# Steps: machine primitives granularity peers sumsq mpi python downloads portscan server
# http summary plots compare. Progress goes to stderr ("[3/14] granularity ..."), the summary
# and the comparison to stdout and to RESULTS/summary.md and RESULTS/compare.md. A step
# whose program is not built fails with a message; the rest runs. What may be missing on
# purpose (OpenMPI, Python, gnuplot, wrk, nginx, the event-loop lesson, the reference) is
# skipped with a message. Exit status: 0, or 1 if a step failed.
#
# How noise is kept out (scripts/benchstats.py computes and flags; this script measures):
#   - before each measuring step the machine gets up to SETTLE_S seconds to become idle;
#     steps.csv records, per step, the load and the share of the machine that programs
#     other than ours used while it ran (the /proc/stat busy time minus our children's)
#   - a virtual machine's host can slow it with nothing in the load to show it: a probe
#     (bench/probe.c) times a fixed loop on one CPU, on all of them at once and on each
#     alone, pinned, before and after each step; before, it waits up to PROBE_WAIT_S for
#     the CPUs to give 90% of their number and to run within 15% of each other; steps.csv
#     keeps the worse of the two probes, and benchstats.py flags the figures of a step
#     where the host was slow or its CPUs unequal
#   - commands being compared take turns: hyperfine runs each of them a few times per
#     round, the rounds repeat (each in the opposite order to the last), and speedups
#     come from per-pair ratios within a round
#   - in-program figures, the server's runs and the HTTP servers under wrk take turns the
#     same way
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD=${BUILD:-build}
CORES=$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)
MAXW=$((2 * CORES)) # the workers scan goes from 1 to twice the cores
PYTHON=${PYTHON:-python3}
PATH=$PATH:/usr/sbin # Debian puts nginx there, and a user's PATH may not have it
STATS=(python3 scripts/benchstats.py)

# doubling N: 1 2 4 ... up to N.
doubling() {
    local w=1 out=''
    while [ "$w" -le "$1" ]; do out+="$w "; w=$((w * 2)); done
    echo "${out% }"
}

# ---- sizes: full, QUICK, smoke --------------------------------------------------------------
# *_ROUNDS x *_RUNS: hyperfine rounds, and runs of each command per round. SS_* is lesson
# 14's work (task k sums the squares below S+k); PY_* the Python run's (fewer numbers:
# Python is ~100x slower); IO_* and SCAN_* lessons 13 and 12: tasks or ports, the wait of
# each, the pool sizes. IP_* the in-program timings of lessons 14 and 21: IP_INVOKE rounds
# of invocations, each timing its work --runs IP_RUNS times. SRV_* lesson 20's server:
# SRV_RUNS turns over the worker counts SRV_LIST, SRV_CLIENTS clients of SRV_REQUESTS
# requests. HTTP_* the http step's: wrk from each of HTTP_CONNS keep-alive connections for
# HTTP_SECONDS per run, HTTP_ROUNDS rounds over the servers, lesson 20 with each worker
# count of HTTP_WORKERS. SETTLE_S: the longest wait for an idle machine before a step;
# PROBE_WAIT_S the longest wait after it for the host to give the CPUs back. HF_WARMUP=1:
# a round of every command, untimed, before the timed rounds (the smoke run, which checks
# only the machinery, does without).
if [ -n "${BENCH_SMOKE:-}" ] && [ "${BENCH_SMOKE}" != 0 ]; then
    profile=smoke
    SS_START=100000 SS_COUNT=8 SS_ROUNDS=2 SS_RUNS=1 SS_SCAN=2
    PY_START=20000 PY_COUNT=2 PY_ROUNDS=1 PY_RUNS=1
    IO_ROUNDS=1 IO_RUNS=1 MPI_ROUNDS=1 MPI_RUNS=1
    PRIM_ARGS=(--reps 3 --rep-ms 0.2)
    GRAN_ARGS=(--total-ms 2 --reps 1 --per-decade 1 --max-us 1000 --min-us 10 --max-tasks 50)
    PEER_ARGS=(--start 100000 --count 8 --reps 1)
    SMALL_ARGS=(--start 50000 --count 20 --reps 3) SMALL_PROCS=1
    DISPATCH_ARGS=(--tasks 200 --reps 1) DISPATCH_PROCS=1
    IO_TASKS=4 IO_LATENCY=0.005 IO_LIST=1,4
    SCAN_PORTS=8 SCAN_LATENCY=0.002 SCAN_LIST=1,8
    IP_INVOKE=1 IP_RUNS=2
    SRV_LIST="1 2" SRV_RUNS=2 SRV_CLIENTS=10 SRV_REQUESTS=2
    HTTP_CONNS="10" HTTP_SECONDS=1 HTTP_ROUNDS=1 HTTP_WORKERS="1 2"
    SETTLE_S=${SETTLE_S:-0.2} PROBE_WAIT_S=${PROBE_WAIT_S:-0} HF_WARMUP=0
elif [ -n "${QUICK:-}" ] && [ "${QUICK}" != 0 ]; then
    profile=quick
    SS_START=5000000 SS_COUNT=20 SS_ROUNDS=3 SS_RUNS=2 SS_SCAN=$CORES
    PY_START=5000000 PY_COUNT=2 PY_ROUNDS=2 PY_RUNS=1
    IO_ROUNDS=3 IO_RUNS=1 MPI_ROUNDS=2 MPI_RUNS=1
    PRIM_ARGS=(--reps 7 --rep-ms 5)
    GRAN_ARGS=(--total-ms 30 --reps 3 --per-decade 2 --max-us 10000 --max-tasks 2000)
    PEER_ARGS=(--count 20 --reps 3)
    SMALL_ARGS=(--start 50000 --count 20 --reps 11) SMALL_PROCS=2
    DISPATCH_ARGS=(--tasks 5000 --reps 11) DISPATCH_PROCS=2
    IO_TASKS=8 IO_LATENCY=0.02 IO_LIST=1,2,4,8
    SCAN_PORTS=32 SCAN_LATENCY=0.005 SCAN_LIST=1,4,16,32
    IP_INVOKE=2 IP_RUNS=3
    SRV_LIST="1 2 4 8 16" SRV_RUNS=3 SRV_CLIENTS=100 SRV_REQUESTS=10
    HTTP_CONNS="100 1000" HTTP_SECONDS=1 HTTP_ROUNDS=1 HTTP_WORKERS="$CORES"
    SETTLE_S=${SETTLE_S:-60} PROBE_WAIT_S=${PROBE_WAIT_S:-3} HF_WARMUP=0
else
    profile=full
    SS_START=5000000 SS_COUNT=20 SS_ROUNDS=15 SS_RUNS=3 SS_SCAN=$MAXW
    PY_START=5000000 PY_COUNT=4 PY_ROUNDS=3 PY_RUNS=1
    IO_ROUNDS=5 IO_RUNS=2 MPI_ROUNDS=4 MPI_RUNS=2
    PRIM_ARGS=(--reps 11 --rep-ms 20)
    GRAN_ARGS=(--total-ms 200 --reps 5 --per-decade 2 --min-us 0.1)
    PEER_ARGS=(--reps 7)
    SMALL_ARGS=(--start 50000 --count 20 --reps 21) SMALL_PROCS=7
    DISPATCH_ARGS=(--tasks 10000 --reps 21) DISPATCH_PROCS=7
    IO_TASKS=16 IO_LATENCY=0.05 IO_LIST=1,2,4,8,16
    SCAN_PORTS=64 SCAN_LATENCY=0.01 SCAN_LIST=1,2,4,8,16,32,64
    IP_INVOKE=7 IP_RUNS=7
    SRV_LIST="1 2 4 8 16" SRV_RUNS=7 SRV_CLIENTS=200 SRV_REQUESTS=50
    HTTP_CONNS="10 100 1000" HTTP_SECONDS=2 HTTP_ROUNDS=3 HTTP_WORKERS=$(doubling "$MAXW")
    SETTLE_S=${SETTLE_S:-60} PROBE_WAIT_S=${PROBE_WAIT_S:-20} HF_WARMUP=1
fi

RESULTS=${RESULTS:-bench/results/$(hostname -s 2>/dev/null || hostname)-$(date +%Y%m%d-%H%M%S)}
PLOTS=${PLOTS-$RESULTS/plots}
REFERENCE=${REFERENCE:-bench/results/reference}
mkdir -p "$RESULTS"

# ---- helpers --------------------------------------------------------------------------------
step_no=0
failed=0
ALL_STEPS="machine primitives granularity peers sumsq mpi python downloads portscan server http summary plots compare"
MEASURING=" primitives granularity peers sumsq mpi python downloads portscan server http "
read -r -a STEPS <<<"${BENCH_STEPS:-$ALL_STEPS}"
for step in "${STEPS[@]}"; do
    [[ " $ALL_STEPS " == *" $step "* ]] ||
        { echo "bench.sh: BENCH_STEPS: unknown step '$step' (steps: $ALL_STEPS)" >&2; exit 2; }
done

say() { echo "$*" >&2; }

# skip WHY: an optional tool is missing; say so, and carry on.
skip() {
    say "      skipped: $*"
    return 0
}

# have PROGRAM: the program is built.
have() { [ -x "$BUILD/$1" ]; }

# need PROGRAM: the step cannot run without it; say so and fail the step (make bench builds
# every one of them, so only a broken build or a hand-made BUILD folder gets here).
need() { have "$1" || { say "      $BUILD/$1 is not built (make benches lessons)"; return 1; }; }

# probe VAR: the machine's speed now (bench/probe.c), "single_ms capacity uneven", into VAR;
# empty when the probe is not built. Used around each step: a virtual CPU can run at half
# speed, two of them share one core, or one run slower than the other, with nothing in the
# load or the idle time to show it.
probe() {
    local out=''
    have bench/probe && out=$("$BUILD/bench/probe" --reps 5 |
        sed -n 's/^probe single_ms=\([0-9.]*\) capacity=\([0-9.]*\) uneven=\([0-9.]*\) .*/\1 \2 \3/p')
    printf -v "$1" '%s' "$out"
}

# probe_settled VAR: probe until the CPUs give at least 90% of their number (each CPU doing
# its own work, pinned) and the slowest CPU alone is within 15% of the fastest, at most
# PROBE_WAIT_S seconds; the last probe into VAR.
probe_settled() {
    local end=$((SECONDS + PROBE_WAIT_S)) got
    while :; do
        probe got
        [ -z "$got" ] && break
        awk -v p="$got" -v n="$CORES" 'BEGIN { split(p, f, " "); exit !(f[2] >= 0.9 * n && f[3] <= 1.15) }' &&
            break
        [ "$SECONDS" -ge "$end" ] && break
        sleep 1
    done
    printf -v "$1" '%s' "$got"
}

hf_failed() {
    say "      hyperfine failed: $(tail -n 3 "$1")"
    return 1
}

# rounds NAME ROUNDS RUNS "MODE/WORKERS|COMMAND"...: hyperfine in rounds, the commands
# taking turns: first (HF_WARMUP=1) one discarded pass over them all (binaries and caches
# warm), then ROUNDS rounds of RUNS runs each, every round in the opposite order to the one
# before.
# Each round is exported as RESULTS/hf/NAME-ROUND.json.
rounds() {
    local name=$1 nrounds=$2 runs=$3 r spec
    shift 3
    local fwd=() rev=()
    for spec in "$@"; do
        fwd+=(-n "${spec%%|*}" "${spec#*|}")
        rev=(-n "${spec%%|*}" "${spec#*|}" "${rev[@]}")
    done
    mkdir -p "$RESULTS/hf"
    # hyperfine's own warnings (outliers, a slow first run) go to a file: the rounds and
    # benchstats.py say what they mean for the figures
    local warnings="$RESULTS/hf/$name-warnings.txt"
    if [ "$HF_WARMUP" = 1 ]; then
        hyperfine -N --style none --runs 1 "${fwd[@]}" >/dev/null 2>>"$warnings" || hf_failed "$warnings"
    fi
    for r in $(seq 1 "$nrounds"); do
        if [ $((r % 2)) = 1 ]; then set -- "${fwd[@]}"; else set -- "${rev[@]}"; fi
        hyperfine -N --style none --runs "$runs" --export-json "$RESULTS/hf/$name-$r.json" "$@" \
            >/dev/null 2>>"$warnings" || hf_failed "$warnings"
    done
    say "      $name: $((${#fwd[@]} / 3)) commands, $nrounds round(s) of $runs run(s) each"
}

# ---- the steps ------------------------------------------------------------------------------
step_machine() {
    {
        echo "date: $(date -Iseconds)"
        echo "host: $(hostname)"
        echo "uname: $(uname -a)"
        echo "kernel: $(uname -sr)"
        echo "nproc: $CORES"
        echo "cpu: $(sed -n 's/^model name[[:space:]]*: *//p' /proc/cpuinfo 2>/dev/null | head -n 1)"
        echo "gcc: $(gcc --version 2>/dev/null | head -n 1 || echo none)"
        echo "clang: $(clang --version 2>/dev/null | head -n 1 || echo none)"
        echo "cc: ${CC:-cc} (built the programs)"
        echo "compiler: $(${CC:-cc} --version 2>/dev/null | head -n 1)"
        echo "glib: $(pkg-config --modversion glib-2.0 2>/dev/null || echo none)"
        echo "peers: $(cat "$BUILD/bench/peers.features" 2>/dev/null || echo unknown)"
        echo "peers_tbb: $(cat "$BUILD/bench/peers_tbb.features" 2>/dev/null || echo unknown)"
        echo "hyperfine: $(hyperfine --version 2>/dev/null || echo none)"
        echo "gnuplot: $(gnuplot --version 2>/dev/null || echo none)"
        echo "python: $($PYTHON --version 2>&1 || echo none)"
        echo "mpi: $(mpirun --version 2>/dev/null | head -n 1 || echo none)"
        echo "wrk: $({ wrk -v 2>&1 || true; } | sed -n '1s/ Copyright.*//p' | grep . || echo none)" # -v exits 1
        echo "nginx: $(nginx -v 2>&1 | sed -n 's/^nginx version: //p' | grep . || echo none)"
        echo "loadavg: $(cut -d ' ' -f 1-3 /proc/loadavg 2>/dev/null)"
        echo "profile: $profile"
        echo "sumsq_count: $SS_COUNT"
        echo "python_count: $PY_COUNT"
        echo "server_clients: $SRV_CLIENTS"
        echo "server_requests: $SRV_REQUESTS"
        echo "http_connections: $HTTP_CONNS"
        echo "http_seconds: $HTTP_SECONDS"
        echo "http_rounds: $HTTP_ROUNDS"
        echo "http_workers: $HTTP_WORKERS"
    } >"$RESULTS/machine.txt"
}

step_primitives() {
    need bench/primitives
    "$BUILD/bench/primitives" "${PRIM_ARGS[@]}" >"$RESULTS/primitives.csv"
}

# peers_built: whether the peers this machine offers (GLib or tbb found by pkg-config, a
# compiler that takes -fopenmp) are built in, for the granularity and peers steps; sets TBB
# when oneTBB's rows can run. A peer that is there but was left out is an error: make
# rebuilds peers and granularity when the set changes (build/bench/peers.features) and
# builds peers_tbb once tbb is there, so a missing row means a broken build, not a fact
# about the machine. Without oneTBB (libtbb-dev) the steps go on without its rows.
TBB=0
peers_built() {
    local features
    features=$(cat "$BUILD/bench/peers.features" 2>/dev/null || echo unknown)
    if pkg-config --exists glib-2.0 2>/dev/null && [[ "$features" != *glib=yes* ]]; then
        say "      GLib is installed but $BUILD/bench/peers was built without it ($features): make benches"
        return 1
    fi
    if ! pkg-config --exists tbb 2>/dev/null; then
        say "      no oneTBB rows: pkg-config finds no tbb (scripts/install-deps.sh bench)"
    elif ! have bench/peers_tbb; then
        say "      oneTBB is installed but $BUILD/bench/peers_tbb is not built: make benches"
        return 1
    else
        TBB=1
    fi
}

# Where concurrency stops paying: our mechanisms and GThreadPool (bench/granularity), then
# the peers whose idle threads spin, each in processes of their own as in the peers step:
# OpenMP's rows under each wait policy, renamed omp_X_POLICY, and oneTBB's (bench/peers_tbb
# --only granularity, the same sweep); the serial rows they were paired with come along as
# serial_omp_POLICY and serial_tbb.
step_granularity() {
    need bench/granularity
    peers_built
    "$BUILD/bench/granularity" --group ours "${GRAN_ARGS[@]}" >"$RESULTS/granularity.csv"
    local policy
    for policy in passive active; do
        OMP_WAIT_POLICY=$policy "$BUILD/bench/granularity" --group omp "${GRAN_ARGS[@]}" |
            sed -n "s/^serial,/serial_omp_$policy,/p; s/^\(omp_[a-z]*\),/\1_$policy,/p"
    done >>"$RESULTS/granularity.csv"
    if [ "$TBB" = 1 ]; then
        "$BUILD/bench/peers_tbb" --only granularity "${GRAN_ARGS[@]}" |
            sed -n '/^tbb_[a-z_]*,/p; s/^serial,/serial_tbb,/p' >>"$RESULTS/granularity.csv"
    fi
}

# Our pools beside GThreadPool, OpenMP and oneTBB (peers_built says which).
# omp_rows TABLE POLICY ARGS...: OpenMP's rows of bench/peers (--only TABLE) under
# OMP_WAIT_POLICY=POLICY (passive: an idle thread parks at once; active: it spins), in a
# process of their own, renamed omp_X_POLICY; the serial row they were paired with comes
# along as serial_omp_POLICY: the same work as ours, so benchstats.py can check that its
# time matches (a loop placed across a cache line once ran twice as slow in one program
# as in another: Makefile, ALIGN). Nothing when peers was built without OpenMP.
omp_rows() {
    local table=$1 policy=$2
    shift 2
    OMP_WAIT_POLICY=$policy "$BUILD/bench/peers" --only "$table" --group omp "$@" |
        sed -n "s/^\([a-z_]*\),serial,/\1,serial_omp_$policy,/p
                s/^\([a-z_]*\),\(omp_[a-z]*\),/\1,\2_$policy,/p"
}

# tbb_rows TABLE ARGS...: oneTBB's rows (bench/peers_tbb --only TABLE: tbb_task_group,
# tbb_parallel_for), in a process of their own like OpenMP's (TBB's idle workers spin a
# while too); the serial row they were paired with comes along as serial_tbb, as above.
# Nothing without oneTBB.
tbb_rows() {
    [ "$TBB" = 1 ] || return 0
    local table=$1
    shift
    "$BUILD/bench/peers_tbb" --only "$table" "$@" |
        sed -n '/^[a-z_]*,tbb_[a-z_]*,/p; s/^\([a-z_]*\),serial,/\1,serial_tbb,/p'
}

step_peers() {
    need bench/peers
    peers_built
    # Ours (our pools, pthreads, GLib), then OpenMP's rows in processes of their own under
    # each wait policy (omp_rows): under active its idle threads spin until the process
    # ends, and would share the cores with whatever peers measured next.
    "$BUILD/bench/peers" --only sumsq --group ours "${PEER_ARGS[@]}" >"$RESULTS/peers.csv"
    omp_rows sumsq passive "${PEER_ARGS[@]}" >>"$RESULTS/peers.csv"
    omp_rows sumsq active "${PEER_ARGS[@]}" >>"$RESULTS/peers.csv"
    tbb_rows sumsq "${PEER_ARGS[@]}" >>"$RESULTS/peers.csv"
    # The same sums on small tasks (20 numbers near 50,000, about 25 us each), where the
    # cost of handing out work decides: its sumsq rows, renamed sumsq_small; and dispatch.
    # Both in several processes: where the threads landed, whether a worker slept, and on
    # which CPU the serial baseline ran (one may be slower: bench/probe.c) hold for a whole
    # process, so one process is one sample; benchstats.py reports the median of their
    # medians, the range between them beside it.
    local p
    for p in $(seq 1 "$SMALL_PROCS"); do
        {
            "$BUILD/bench/peers" --only sumsq --group ours "${SMALL_ARGS[@]}"
            omp_rows sumsq passive "${SMALL_ARGS[@]}"
            omp_rows sumsq active "${SMALL_ARGS[@]}"
            tbb_rows sumsq "${SMALL_ARGS[@]}"
        } | sed -n 's/^sumsq,/sumsq_small,/p' >>"$RESULTS/peers.csv"
    done
    # What an idle pool burns, each wait policy, over the second after a batch.
    "$BUILD/bench/peers" --only idle --group ours "${SMALL_ARGS[@]}" | sed -n '/^idle,/p' \
        >>"$RESULTS/peers.csv"
    for p in $(seq 1 "$DISPATCH_PROCS"); do
        {
            "$BUILD/bench/peers" --only dispatch --group ours "${DISPATCH_ARGS[@]}"
            omp_rows dispatch passive "${DISPATCH_ARGS[@]}"
            omp_rows dispatch active "${DISPATCH_ARGS[@]}"
            tbb_rows dispatch "${DISPATCH_ARGS[@]}"
            "$BUILD/bench/peers" --only latency --group ours "${DISPATCH_ARGS[@]}"
            omp_rows latency passive "${DISPATCH_ARGS[@]}"
            omp_rows latency active "${DISPATCH_ARGS[@]}"
        } | sed -n '/^\(dispatch\|latency\|latency99\),/p' >>"$RESULTS/peers.csv"
    done
    if pkg-config --exists glib-2.0 2>/dev/null && ! grep -q '^sumsq,gthreadpool,' "$RESULTS/peers.csv"; then
        say "      GLib is installed, yet peers measured no GThreadPool row"
        return 1
    fi
    if [ "$TBB" = 1 ] && ! grep -q '^dispatch,tbb_task_group,' "$RESULTS/peers.csv"; then
        say "      oneTBB is installed, yet peers_tbb measured no row"
        return 1
    fi
}

# Lesson 14 cold: the whole program, serial against every mode with 1..SS_SCAN workers,
# and each mode pinned (--pin) at 2 workers, all taking turns.
step_sumsq() {
    local p=14_sum_squares mode w
    need $p
    local work="--start $SS_START --count $SS_COUNT"
    local cmds=("serial/1|$BUILD/$p --mode serial $work")
    for w in $(seq 1 "$SS_SCAN"); do
        for mode in threads pool processes; do
            cmds+=("$mode/$w|$BUILD/$p --mode $mode --workers $w $work")
        done
    done
    if [ "$CORES" -ge 2 ]; then
        for mode in threads pool processes; do
            cmds+=("$mode-pinned/2|$BUILD/$p --mode $mode --workers 2 --pin $work")
        done
    fi
    rounds sumsq "$SS_ROUNDS" "$SS_RUNS" "${cmds[@]}"
}

# Lesson 14 warm, beside MPI (lesson 21): each program times its own work after a first
# run; lesson 14 per mode with 1..cores workers (and pinned at 2), lesson 21 on 1..cores
# ranks (MPI_Wtime, a common start to the slowest rank). IP_INVOKE rounds, every mode once
# per round, into inprogram.txt. Then the whole program under mpirun, start-up included,
# taking turns with the serial program: hf/sumsqmpi-*.json.
# Without OpenMPI (or the lesson not built: `make mpi`) the MPI part is skipped.
step_mpi() {
    local p=21_mpi_sum_squares k n mode mpi=1
    need 14_sum_squares
    local work=(--start "$SS_START" --count "$SS_COUNT" --runs "$IP_RUNS")
    if ! command -v mpirun >/dev/null 2>&1; then
        skip "MPI: no mpirun (scripts/install-deps.sh mpi; make mpi); lesson 14 in-program only"
        mpi=0
    elif ! have $p; then
        skip "MPI: lesson 21 ($BUILD/$p) is not built (make mpi); lesson 14 in-program only"
        mpi=0
    fi
    # mpirun on one machine, as tests/21_mpi_sum_squares.bats explains setting by setting:
    # shared memory only (no sockets), no cross-process copy (containers forbid it), the
    # point-to-point layer named so that mpirun does not probe for cluster networks.
    export OMPI_MCA_btl=self,vader OMPI_MCA_oob_tcp_if_include=lo \
        OMPI_MCA_btl_vader_single_copy_mechanism=none OMPI_MCA_pml=ob1
    local mpirun=(mpirun --oversubscribe)
    [ "$(id -u)" -ne 0 ] || mpirun+=(--allow-run-as-root)

    # timed K PROGRAM VARIANT COMMAND...: run it; keep its MODE or MPI RESULT line, tagged
    # (VARIANT: "-pinned" when asked for --pin, whatever the program managed; else "-").
    timed() {
        local k=$1 program=$2 variant=$3 out
        shift 3
        out=$(timeout 120 "$@" </dev/null) || { say "      FAILED: $*"; return 1; }
        out=$(printf '%s\n' "$out" | grep -E '^MODE |^RESULT ranks=') ||
            { say "      FAILED: no MODE or RESULT line from $*"; return 1; }
        printf '%s\n' "$out" | sed "s/^/invocation=$k program=$program variant=$variant /"
    }
    local runs=("serial 1 ")
    for n in $(seq 1 "$CORES"); do
        for mode in threads pool processes; do runs+=("$mode $n "); done
    done
    [ "$CORES" -lt 2 ] || for mode in threads pool processes; do runs+=("$mode 2 --pin"); done
    : >"$RESULTS/inprogram.txt"
    for k in $(seq 1 "$IP_INVOKE"); do
        local order=("${runs[@]}") spec
        [ $((k % 2)) = 1 ] || mapfile -t order < <(printf '%s\n' "${runs[@]}" | tac)
        for spec in "${order[@]}"; do
            read -r mode n pin <<<"$spec"
            timed "$k" 14 "${pin:+-pinned}" "$BUILD/14_sum_squares" --mode "$mode" --workers "$n" \
                ${pin:+"$pin"} "${work[@]}" >>"$RESULTS/inprogram.txt"
        done
        if [ "$mpi" = 1 ]; then
            for n in $(seq 1 "$CORES"); do
                timed "$k" 21 - "${mpirun[@]}" -np "$n" "$BUILD/$p" "${work[@]}" \
                    >>"$RESULTS/inprogram.txt"
            done
        fi
        say "      in-program round $k of $IP_INVOKE"
    done
    [ "$mpi" = 1 ] || return 0
    local cmds=("serial/1|$BUILD/14_sum_squares --mode serial --start $SS_START --count $SS_COUNT")
    for n in $(seq 1 "$CORES"); do
        cmds+=("mpi/$n|${mpirun[*]} -np $n $BUILD/$p --start $SS_START --count $SS_COUNT")
    done
    rounds sumsqmpi "$MPI_ROUNDS" "$MPI_RUNS" "${cmds[@]}"
}

# The same kind of work in Python (fewer numbers: it is ~100x slower), workers = cores.
# The C side of the comparison is step sumsq's: each figure is measured once.
step_python() {
    command -v "$PYTHON" >/dev/null 2>&1 || { skip "no $PYTHON on this machine"; return 0; }
    local mode cmds=()
    for mode in serial threads pool processes process-executor; do
        cmds+=("$mode/$([ $mode = serial ] && echo 1 || echo "$CORES")|$PYTHON bench/python/sum_squares.py --mode $mode --workers $CORES --start $PY_START --count $PY_COUNT")
    done
    rounds sumsqpy "$PY_ROUNDS" "$PY_RUNS" "${cmds[@]}"
}

# Lesson 13: IO_TASKS simulated downloads of IO_LATENCY s each: serially, one thread per
# download (its concurrency is the number of tasks), and a pool of each size in IO_LIST.
step_downloads() {
    local p=13_io_bound w
    need $p
    local work="--tasks $IO_TASKS --latency $IO_LATENCY"
    local cmds=("serial/1|$BUILD/$p --mode serial $work" "threads/$IO_TASKS|$BUILD/$p --mode threads $work")
    for w in ${IO_LIST//,/ }; do cmds+=("pool/$w|$BUILD/$p --mode pool --workers $w $work"); done
    rounds downloads "$IO_ROUNDS" "$IO_RUNS" "${cmds[@]}"
}

# Lesson 12: SCAN_PORTS ports of 127.0.0.1 from port 31000 (away from the lesson's default
# and from the ports its tests scan, 21000..30999: the smoke test runs beside them), each
# probe paying SCAN_LATENCY s: serially, then pools of each size.
step_portscan() {
    local p=12_port_scan w
    need $p
    local work="--ports $SCAN_PORTS --latency $SCAN_LATENCY --first-port 31000"
    local cmds=("serial/1|$BUILD/$p --mode serial $work")
    for w in ${SCAN_LIST//,/ }; do cmds+=("pool/$w|$BUILD/$p --mode pool --workers $w $work"); done
    rounds portscan "$IO_ROUNDS" "$IO_RUNS" "${cmds[@]}"
}

# Lesson 20: the server with each worker count in SRV_LIST, SRV_CLIENTS concurrent clients
# of SRV_REQUESTS requests each, no bad clients; the client, in the same process, measures
# requests per second (its THROUGHPUT line) and checks every answer. The worker counts take
# turns, SRV_RUNS times: server-samples.csv (workers,rps,run).
step_server() {
    local p=20_server w r out line
    need $p
    {
        echo "workers,rps,run"
        for r in $(seq 1 "$SRV_RUNS"); do
            for w in $SRV_LIST; do
                out=$(timeout 120 "$BUILD/$p" --workers "$w" --bad 0 --clients "$SRV_CLIENTS" \
                    --requests "$SRV_REQUESTS" </dev/null) ||
                    { say "      FAILED: $p --workers $w (its verdict was not OK)"; return 1; }
                line=$(printf '%s\n' "$out" |
                    sed -n "s/^THROUGHPUT workers=\([0-9]*\) .* rps=\([0-9.]*\)$/\1,\2,$r/p")
                [ -n "$line" ] || { say "      FAILED: no THROUGHPUT line from $p --workers $w"; return 1; }
                echo "$line"
            done
            say "      turn $r of $SRV_RUNS over workers $SRV_LIST"
        done
    } >"$RESULTS/server-samples.csv"
}

# HTTP servers under a real client: wrk (-t CORES, --latency, --timeout 5s) from each of
# HTTP_CONNS keep-alive connections against lesson 20 (pool, each worker count in
# HTTP_WORKERS), the event-loop lesson (when built), Python's ThreadingHTTPServer as
# shipped and with TCP_NODELAY (bench/python/http_server.py), and nginx with one worker
# (when installed). Every server listens on 127.0.0.1 only, started here on a port of its
# own and stopped at the end, also when the step fails (the trap). Each answers GET / with
# about the same bytes: lesson 20's / page, which Python and nginx serve byte for byte; the
# event-loop lesson answers its own page (http-servers.csv: each one's body size).
# Lesson 20 runs with --max-hold 0.1: a worker serves one connection at a time, so with more
# connections than workers the others wait their turn, ceil(C / W) x max-hold; at its
# default 10 s all but W of wrk's connections would wait past wrk's timeout. Its log goes
# to /dev/null (nginx's access log is off, Python logs nothing).
# HTTP_ROUNDS rounds; in each, per connection count, every server takes its turn, each
# block in the opposite order to the one before. Samples: http-samples.csv
# (server,workers,connections,round,rps,p50_ms,p99_ms,errors,mean_ms), wrk's own output in
# wrk/SERVER-wW-cC-rR.txt; benchstats.py parses it (wrk) and summarizes (http.csv).
step_http() {
    command -v wrk >/dev/null 2>&1 || { skip "http: no wrk (scripts/install-deps.sh bench)"; return 0; }
    need 20_server
    local conns=() c w r k spec name port
    # (globals of the step's subshell, for the trap: the servers, their pids, their folder)
    servers=() pids=() tmp=$(mktemp -d)
    # every server started is stopped, however the step ends; then the folder goes
    trap 'http_stop; rm -rf "$tmp"' EXIT

    # 1000 connections need 1000 descriptors in wrk and in the server: raise the soft
    # limit to the hard one for this step; a connection count that still does not fit
    # (with 100 to spare) is left out, and said.
    local hard
    hard=$(ulimit -Hn)
    [ "$hard" != unlimited ] || hard=1048576
    ulimit -n "$hard" 2>/dev/null || true
    for c in $HTTP_CONNS; do
        if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((c + 100)) ]; then
            say "      http: left out $c connections: the open-files limit is $(ulimit -n) (ulimit -Hn: $hard)"
        else
            conns+=("$c")
        fi
    done
    [ ${#conns[@]} -gt 0 ] || { say "      http: no connection count fits the open-files limit"; return 1; }

    # every server stops on its own after this long, should this script be killed
    local maxs=$(((${#conns[@]} * HTTP_ROUNDS * (HTTP_SECONDS + 3) * 12) + 120))

    for w in $HTTP_WORKERS; do
        http_start pool "$w" "$BUILD/20_server" --mode server --port 0 --workers "$w" \
            --max-hold 0.1 --max-seconds "$maxs" --log-file /dev/null
    done
    if have 23_event_loop; then
        http_start eventloop 0 "$BUILD/23_event_loop" --mode server --port 0 --max-seconds "$maxs"
    else
        skip "eventloop: $BUILD/23_event_loop is not built"
    fi
    http_ready
    # the page every other server answers: lesson 20's, as its first server sends it
    http_get "${servers[0]}" "$tmp/index.html"
    if command -v "$PYTHON" >/dev/null 2>&1; then
        http_start python 0 "$PYTHON" bench/python/http_server.py --port 0 --body "$tmp/index.html"
        http_start python_nodelay 0 "$PYTHON" bench/python/http_server.py --port 0 --nodelay \
            --body "$tmp/index.html"
    else
        skip "python: no $PYTHON on this machine"
    fi
    if command -v nginx >/dev/null 2>&1; then
        http_nginx
    else
        skip "nginx: not installed (scripts/install-deps.sh bench)"
    fi
    http_ready
    {
        echo "server,workers,body_bytes"
        for spec in "${servers[@]}"; do
            IFS='|' read -r name w _ _ <<<"$spec"
            http_get "$spec" "$tmp/got.html"
            echo "$name,$w,$(wc -c <"$tmp/got.html")"
        done
    } >"$RESULTS/http-servers.csv"

    mkdir -p "$RESULTS/wrk"
    local runs=() raws=() figs=()
    k=0
    for r in $(seq 1 "$HTTP_ROUNDS"); do
        for c in "${conns[@]}"; do
            local order=("${servers[@]}")
            [ $((k % 2)) = 0 ] || mapfile -t order < <(printf '%s\n' "${servers[@]}" | tac)
            k=$((k + 1))
            for spec in "${order[@]}"; do
                IFS='|' read -r name w port _ <<<"$spec"
                local raw="$RESULTS/wrk/$name-w$w-c$c-r$r.txt"
                timeout $((HTTP_SECONDS + 60)) wrk -t "$((c < CORES ? c : CORES))" -c "$c" -d "${HTTP_SECONDS}s" \
                    --timeout 5s --latency "http://127.0.0.1:$port/" >"$raw" 2>&1 ||
                    { say "      FAILED: wrk against $name (workers $w, $c connections): $(tail -n 2 "$raw")"; return 1; }
                runs+=("$name,$w,$c,$r") raws+=("$raw")
            done
        done
        say "      http: round $r of $HTTP_ROUNDS, ${#servers[@]} servers x connections ${conns[*]}"
    done
    http_stop
    # wrk's reports, each as rps,p50_ms,p99_ms,errors,mean_ms: one Python start for all
    mapfile -t figs < <("${STATS[@]}" wrk "${raws[@]}")
    [ ${#figs[@]} = ${#raws[@]} ] || { say "      FAILED: wrk's reports not understood"; return 1; }
    {
        echo "server,workers,connections,round,rps,p50_ms,p99_ms,errors,mean_ms"
        for k in "${!runs[@]}"; do echo "${runs[$k]},${figs[$k]}"; done
    } >"$RESULTS/http-samples.csv"
}

# http_start NAME WORKERS COMMAND...: start a server that prints "LISTENING port=N", in the
# background, its output into the step's folder; http_ready waits for its port.
http_start() {
    local name=$1 w=$2
    shift 2
    : >"$tmp/$name-$w.out" # there before http_ready reads it
    "$@" </dev/null >>"$tmp/$name-$w.out" 2>&1 &
    pids+=("$!")
    servers+=("$name|$w||$!")
}

# http_nginx: nginx, one worker, a config and a prefix of its own in the step's folder, on
# a free port of 127.0.0.1, serving the same page as a static file; nothing of the
# system's nginx (/etc/nginx, its service, its log and temporary folders) is used. A
# keep-alive connection may carry any number of requests (the default cycles it every
# 1,000). The temporary paths of the modules this build has are moved into the prefix:
# nginx creates them at start, and /var/lib/nginx is root's.
http_nginx() {
    local port d="$tmp/nginx" temps='' t
    port=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    mkdir -p "$d/www"
    cp "$tmp/index.html" "$d/www/index.html"
    # as root, nginx's worker runs as an unprivileged user that must read the page
    chmod 755 "$tmp" "$d" "$d/www"
    chmod 644 "$d/www/index.html"
    for t in client_body fastcgi proxy scgi uwsgi; do
        local flag=${t//_/-}
        nginx -V 2>&1 | grep -q -- "--http-$flag-temp-path" || continue
        [ "$t" = client_body ] || ! nginx -V 2>&1 | grep -q -- "--without-http_${t}_module" || continue
        temps+="    ${t}_temp_path $d/${t}_temp;"$'\n'
    done
    cat >"$d/nginx.conf" <<CONF
# written by scripts/bench.sh for its http step: one worker on 127.0.0.1:$port
worker_processes 1;
daemon off;
pid $d/nginx.pid;
lock_file $d/nginx.lock;
error_log $d/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
$temps    keepalive_requests 1000000000;
    keepalive_timeout 60s;
    server {
        listen 127.0.0.1:$port;
        location = / { root $d/www; default_type text/html; try_files /index.html =404; }
    }
}
CONF
    : >"$tmp/nginx-1.out"
    nginx -e "$d/error.log" -p "$d" -c "$d/nginx.conf" </dev/null >>"$tmp/nginx-1.out" 2>&1 &
    pids+=("$!")
    servers+=("nginx|1|$port|$!")
}

# http_ready: wait (10 s at most) until every server started listens: the LISTENING line
# for ours, a connection accepted for nginx; fill in their ports.
http_ready() {
    local i spec name w port pid end=$((SECONDS + 10))
    for i in "${!servers[@]}"; do
        IFS='|' read -r name w port pid <<<"${servers[$i]}"
        while :; do
            kill -0 "$pid" 2>/dev/null ||
                { say "      http: $name (workers $w) exited: $(tail -n 3 "$tmp/$name-$w.out")"; return 1; }
            if [ -z "$port" ]; then
                port=$(sed -n 's/^LISTENING port=\([0-9]*\).*/\1/p' "$tmp/$name-$w.out")
            elif (: </dev/tcp/127.0.0.1/"$port") 2>/dev/null; then
                break
            fi
            [ "$SECONDS" -lt "$end" ] || { say "      http: $name (workers $w) is not listening after 10 s"; return 1; }
            sleep 0.05
        done
        servers[$i]="$name|$w|$port|$pid"
    done
}

# http_get SPEC FILE: the body of that server's answer to GET / into FILE (bash's
# /dev/tcp: no program to start); fails unless the answer is 200.
http_get() {
    local name w port
    IFS='|' read -r name w port _ <<<"$1"
    exec 3<>"/dev/tcp/127.0.0.1/$port"
    printf 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' >&3
    timeout 10 cat <&3 >"$2.answer" || true
    exec 3<&-
    head -n 1 "$2.answer" | grep -q '^HTTP/1\.[01] 200 ' ||
        { say "      http: $name (workers $w) answered GET / with: $(head -n 1 "$2.answer")"; return 1; }
    sed '1,/^\r$/d' "$2.answer" >"$2"
}

# http_stop: SIGTERM to every server still running, SIGKILL to one still there after 10 s;
# each is waited for (so that its CPU time counts as ours in steps.csv). Fails if one did
# not stop cleanly (exit status 0: lesson 20's and Python's verdict OK, nginx's shutdown).
http_stop() {
    local pid rc bad=0 i end
    [ ${#pids[@]} -gt 0 ] || return 0
    kill -TERM "${pids[@]}" 2>/dev/null || true
    end=$((SECONDS + 10))
    for pid in "${pids[@]}"; do
        while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$end" ]; do sleep 0.05; done
        kill -KILL "$pid" 2>/dev/null || true
    done
    for i in "${!pids[@]}"; do
        rc=0
        wait "${pids[$i]}" 2>/dev/null || rc=$?
        if [ "$rc" != 0 ]; then
            IFS='|' read -r name w _ _ <<<"${servers[$i]}"
            say "      http: $name (workers $w) did not stop cleanly (exit status $rc): $(tail -n 2 "$tmp/$name-$w.out")"
            bad=1
        fi
    done
    pids=()
    return "$bad"
}

step_summary() {
    # The load after the run too, for the record (it includes the benchmarks' own threads).
    echo "loadavg_after: $(cut -d ' ' -f 1-3 /proc/loadavg 2>/dev/null)" >>"$RESULTS/machine.txt"
    "${STATS[@]}" summarize "$RESULTS" >/dev/null
}

step_plots() {
    [ -n "$PLOTS" ] || { skip "PLOTS is empty"; return; }
    command -v gnuplot >/dev/null 2>&1 || { skip "gnuplot is not installed"; return; }
    scripts/plots.sh --results "$RESULTS" --out "$PLOTS"
}

step_compare() {
    [ -s "$REFERENCE/headline.csv" ] || { skip "no reference run in $REFERENCE"; return; }
    [ "$(cd "$REFERENCE" && pwd -P)" != "$(cd "$RESULTS" && pwd -P)" ] ||
        { skip "this run is the reference"; return; }
    "${STATS[@]}" compare "$RESULTS" "$REFERENCE" >"$RESULTS/compare.md"
}

# ---- the run --------------------------------------------------------------------------------
# children_cpu VAR: sets VAR to the user + system seconds of this shell's finished children
# (bash's `times`, second line): the benchmarks' share of the machine's busy time. It must
# run in this shell, not in $(...): a subshell's `times` counts only its own children.
TIMES=$(mktemp)
trap 'rm -f "$TIMES"' EXIT
children_cpu() {
    local u s
    times >"$TIMES"
    { read -r _ _; read -r u s; } <"$TIMES"
    printf -v "$1" '%s' "$(awk -v u="$u" -v s="$s" '
        function sec(t, m) { split(t, m, "m"); return m[1] * 60 + m[2] }
        BEGIN { printf "%.3f", sec(u) + sec(s) }')"
}

say "bench: $profile run into $RESULTS ($CORES CPUs, programs from $BUILD/)"
[ -e "$RESULTS/steps.csv" ] ||
    echo "step,started,wall_s,load1,settle,foreign_share,probe_ms,capacity,uneven" >"$RESULTS/steps.csv"
t_all=$(date +%s.%N)
for step in "${STEPS[@]}"; do
    step_no=$((step_no + 1))
    say "[$step_no/${#STEPS[@]}] $step ..."
    settled=''
    if [[ "$MEASURING" == *" $step "* ]]; then
        settled=$("${STATS[@]}" settle --max "$SETTLE_S")
        probe_settled probe0
        read -r p_ms p_cap p_uneven <<<"$probe0"
        say "      machine $settled${probe0:+; a fixed loop took $p_ms ms, the CPUs gave $p_cap of $CORES, the slowest alone ${p_uneven}x the fastest}"
    fi
    load1=$(cut -d ' ' -f 1 /proc/loadavg 2>/dev/null || echo '')
    read -r busy0 total0 < <("${STATS[@]}" cpustat)
    children_cpu ours0
    t0=$(date +%s.%N)
    # A subshell with -e of its own: a failing command ends its step, not the run. (Not in
    # an `if`: bash ignores -e in anything called from a condition.)
    set +e
    (set -e; "step_$step")
    rc=$?
    set -e
    t1=$(date +%s.%N)
    children_cpu ours1
    read -r busy1 total1 < <("${STATS[@]}" cpustat)
    if [ "$rc" -ne 0 ]; then
        say "      FAILED: $step (exit status $rc); the other steps still run"
        failed=1
    fi
    if [[ "$MEASURING" == *" $step "* ]]; then
        probe probe1
        # The share of the machine's time that went to programs other than ours; the host's
        # worse moment of the two probes (the slower loop, the fewer CPUs, the more uneven).
        awk -v s="$step" -v t0="$t0" -v t1="$t1" -v l="$load1" -v st="${settled%% after*}" \
            -v b0="$busy0" -v b1="$busy1" -v T0="$total0" -v T1="$total1" -v o0="$ours0" -v o1="$ours1" \
            -v p0="$probe0" -v p1="$probe1" \
            'BEGIN { f = T1 > T0 ? ((b1 - b0) - (o1 - o0)) / (T1 - T0) : 0; if (f < 0) f = 0
                     ms = cap = un = ""
                     if (split(p0, a, " ") == 3 && split(p1, b, " ") == 3) {
                         ms = a[1] > b[1] ? a[1] : b[1]; cap = a[2] < b[2] ? a[2] : b[2]
                         un = a[3] > b[3] ? a[3] : b[3] }
                     printf "%s,%.0f,%.1f,%s,%s,%.3f,%s,%s,%s\n", s, t0, t1 - t0, l, st, f, ms, cap, un }' \
            >>"$RESULTS/steps.csv"
    fi
    say "      $step: $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f s", b - a }')"
done
say "bench: done in $(awk -v a="$t_all" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f s", b - a }'); results in $RESULTS"

[ -s "$RESULTS/summary.md" ] && cat "$RESULTS/summary.md"
[ -s "$RESULTS/compare.md" ] && { echo; cat "$RESULTS/compare.md"; }
exit "$failed"
