#!/usr/bin/env bash
# bench.sh: run every benchmark, write the results, redraw the plots, print the summary.
# `make bench` calls it after installing the tools (scripts/install-deps.sh bench mpi) and
# building (bench/, lessons 12, 13, 14, 20, and 21 with mpicc); run by hand, it expects
# the programs built already.
#
#   scripts/bench.sh                  the full run (under 10 minutes on 2 cores)
#   QUICK=1 scripts/bench.sh          smaller sizes, fewer runs (under 90 s on 2 cores)
#   BENCH_SMOKE=1 scripts/bench.sh    tiny sizes, a few seconds: checks the machinery only
#
# Environment: BUILD (where the programs are, default build), CC (the compiler that built
# them, for machine.txt; make passes both), RESULTS (the folder to write,
# default bench/results/<host>-<YYYYmmdd-HHMMSS>), PLOTS (where plots go, default plots;
# PLOTS= skips them), BENCH_STEPS (some of the steps below, e.g. "machine portscan summary",
# to re-measure one thing into an existing RESULTS).
#
# Steps: machine primitives granularity peers sumsq mpi python downloads portscan server
# summary plots. Progress goes to stderr ("[3/12] granularity ..."), the summary to stdout
# and to RESULTS/summary.md. A step whose program is not built fails with a message; the
# rest runs. What may be missing on purpose (OpenMPI, Python, gnuplot) is skipped with a
# message. Exit status: 0, or 1 if a step failed.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/bench-lib.sh

BUILD=${BUILD:-build}
CORES=$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)
MAXW=$((2 * CORES)) # the workers scan goes from 1 to twice the cores
PYTHON=${PYTHON:-python3}

# ---- sizes: full, QUICK, smoke --------------------------------------------------------------
# RUNS/WARMUP are hyperfine's; SS_* is lesson 14's work (task k sums the squares below S+k),
# SS_RUNS its hyperfine runs: a run takes 30-60 ms, and on a VM the odd run whose threads
# the scheduler left on one core for a while is 40% slow, so its median wants many runs;
# PY_COUNT is the Python run's count (the C programs run it too, for the side-by-side plot);
# IO_* and SCAN_* are lessons 13 and 12: tasks or ports, the wait of each, the pool sizes.
# IP_* are the in-program timings of lessons 14 and 21 (MPI): each program is started
# IP_INVOKE times and times its work --runs IP_RUNS times itself (it prints the median).
# SRV_* is lesson 20's server: each worker count in SRV_LIST, SRV_RUNS times, with
# SRV_CLIENTS clients of SRV_REQUESTS requests each.
if [ -n "${BENCH_SMOKE:-}" ] && [ "${BENCH_SMOKE}" != 0 ]; then
    profile=smoke
    RUNS=1 WARMUP=0 PY_RUNS=1 PY_WARMUP=0
    SS_START=100000 SS_COUNT=8 SS_RUNS=1 PY_COUNT=2 PY_START=20000
    PRIM_ARGS=(--reps 3 --rep-ms 0.2)
    GRAN_ARGS=(--total-ms 2 --reps 1 --per-decade 1 --max-us 1000 --min-us 10 --max-tasks 50)
    PEER_ARGS=(--start 100000 --count 8 --tasks 200 --reps 1)
    IO_TASKS=4 IO_LATENCY=0.005 IO_LIST=1,4
    SCAN_PORTS=8 SCAN_LATENCY=0.002 SCAN_LIST=1,8
    IP_INVOKE=1 IP_RUNS=1
    SRV_LIST="1 2" SRV_RUNS=2 SRV_CLIENTS=10 SRV_REQUESTS=2
elif [ -n "${QUICK:-}" ] && [ "${QUICK}" != 0 ]; then
    profile=quick
    RUNS=5 WARMUP=1 PY_RUNS=2 PY_WARMUP=0
    SS_START=5000000 SS_COUNT=20 SS_RUNS=10 PY_COUNT=4 PY_START=5000000
    PRIM_ARGS=(--reps 7 --rep-ms 5)
    GRAN_ARGS=(--total-ms 40 --reps 3 --per-decade 2 --max-us 10000 --max-tasks 2000)
    PEER_ARGS=(--count 20 --tasks 20000 --reps 5)
    IO_TASKS=8 IO_LATENCY=0.02 IO_LIST=1,2,4,8
    SCAN_PORTS=32 SCAN_LATENCY=0.005 SCAN_LIST=1,4,16,32
    IP_INVOKE=3 IP_RUNS=3
    SRV_LIST="1 2 4 8 16" SRV_RUNS=5 SRV_CLIENTS=100 SRV_REQUESTS=10
else
    profile=full
    RUNS=10 WARMUP=2 PY_RUNS=3 PY_WARMUP=1
    SS_START=5000000 SS_COUNT=20 SS_RUNS=40 PY_COUNT=20 PY_START=5000000
    PRIM_ARGS=(--reps 11 --rep-ms 20)
    GRAN_ARGS=(--total-ms 200 --reps 5 --per-decade 2)
    PEER_ARGS=(--reps 7)
    IO_TASKS=16 IO_LATENCY=0.05 IO_LIST=1,2,4,8,16
    SCAN_PORTS=64 SCAN_LATENCY=0.01 SCAN_LIST=1,2,4,8,16,32,64
    IP_INVOKE=7 IP_RUNS=9
    SRV_LIST="1 2 4 8 16" SRV_RUNS=10 SRV_CLIENTS=200 SRV_REQUESTS=50
fi

RESULTS=${RESULTS:-bench/results/$(hostname -s 2>/dev/null || hostname)-$(date +%Y%m%d-%H%M%S)}
PLOTS=${PLOTS-plots}
mkdir -p "$RESULTS"

# ---- helpers --------------------------------------------------------------------------------
step_no=0
failed=0
ALL_STEPS="machine primitives granularity peers sumsq mpi python downloads portscan server summary plots"
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

# hf NAME ARGS...: hyperfine, whole programs, no shell in between (-N), exported as
# RESULTS/hf-NAME.{json,csv}; its own progress goes to stderr.
hf() {
    local name=$1
    shift
    hyperfine -N --style basic --export-json "$RESULTS/hf-$name.json" \
        --export-csv "$RESULTS/hf-$name.csv" "$@" >&2
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
        echo "hyperfine: $(hyperfine --version 2>/dev/null || echo none)"
        echo "gnuplot: $(gnuplot --version 2>/dev/null || echo none)"
        echo "python: $($PYTHON --version 2>&1 || echo none)"
        echo "mpi: $(mpirun --version 2>/dev/null | head -n 1 || echo none)"
        echo "loadavg: $(cut -d ' ' -f 1-3 /proc/loadavg 2>/dev/null)"
        echo "profile: $profile"
    } >"$RESULTS/machine.txt"
    say "      $(machine_caption "$RESULTS")"
}

step_primitives() {
    need bench/primitives
    "$BUILD/bench/primitives" "${PRIM_ARGS[@]}" >"$RESULTS/primitives.csv"
}

step_granularity() {
    need bench/granularity
    "$BUILD/bench/granularity" "${GRAN_ARGS[@]}" >"$RESULTS/granularity.csv"
}

step_peers() {
    need bench/peers
    "$BUILD/bench/peers" "${PEER_ARGS[@]}" >"$RESULTS/peers.csv"
    # The same sums on small tasks (20 numbers near 50,000, about 25 us each), where the
    # cost of handing out work decides: its sumsq rows, renamed sumsq_small.
    "$BUILD/bench/peers" --start 50000 --count 20 --tasks 100 --reps 51 |
        awk -F, -v OFS=, '$1 == "sumsq" { $1 = "sumsq_small"; print }' >>"$RESULTS/peers.csv"
}

# Lesson 14, every mode, workers 1..2*cores; serial once (it has no workers).
step_sumsq() {
    local p=14_sum_squares mode
    need $p
    local work=(--start "$SS_START" --count "$SS_COUNT")
    hf sumsq-serial --warmup "$WARMUP" --runs "$SS_RUNS" \
        "$BUILD/$p --mode serial ${work[*]}"
    for mode in threads pool processes; do
        hf "sumsq-$mode" --warmup "$WARMUP" --runs "$SS_RUNS" --parameter-scan workers 1 "$MAXW" \
            "$BUILD/$p --mode $mode --workers {workers} ${work[*]}"
    done
}

# MPI ranks beside the pools, on lesson 14's work. mpirun's start-up (0.1-0.3 s) dwarfs
# the work (0.03-0.06 s), so two kinds of figure:
#   in-program  each program times its own work, without any start-up: lesson 14 per mode
#               (serial; threads, pool, processes with 1..cores workers) and lesson 21 on
#               1..cores ranks (MPI_Wtime, a common start to the slowest rank). They take
#               turns, IP_INVOKE rounds, so a busy spell hits them all alike:
#               sumsq-inprogram.csv (mode,workers,...) and mpi.csv (ranks,...), each a
#               median over the invocations with min and max (samples = invocations; each
#               invocation is itself the median of --runs IP_RUNS)
#   whole       hyperfine on `mpirun -np N ...`, start-up included: hf-sumsq-mpi, which
#               joins lesson 14's hyperfine table (workers = ranks)
# Without OpenMPI (or the lesson not built: `make mpi`) the MPI part is skipped, the rest runs.
step_mpi() {
    local p=21_mpi_sum_squares k n mode mpi=1 line
    need 14_sum_squares
    local work=(--start "$SS_START" --count "$SS_COUNT")
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

    # seconds_of PREFIX COMMAND...: run it; print PREFIX,seconds from its verdict line.
    seconds_of() {
        local prefix=$1 out
        shift
        out=$(timeout 120 "$@" </dev/null) || { say "      FAILED: $*"; return 1; }
        line=$(printf '%s\n' "$out" | sed -n \
            -e 's/^MODE name=[a-z]* workers=[0-9]* seconds=\([0-9.]*\) .*/\1/p' \
            -e 's/^RESULT ranks=[0-9]* .* seconds=\([0-9.]*\) OK$/\1/p' | tail -n 1)
        [ -n "$line" ] || { say "      FAILED: no seconds in the output of $*"; return 1; }
        echo "$prefix,$line"
    }
    {
        echo "program,mode,workers,seconds,invocation"
        for k in $(seq 1 "$IP_INVOKE"); do
            say "      in-program round $k of $IP_INVOKE"
            seconds_of "14,serial,1" "$BUILD/14_sum_squares" --mode serial --runs "$IP_RUNS" \
                "${work[@]}" | sed "s/\$/,$k/"
            for n in $(seq 1 "$CORES"); do
                for mode in threads pool processes; do
                    seconds_of "14,$mode,$n" "$BUILD/14_sum_squares" --mode "$mode" --workers "$n" \
                        --runs "$IP_RUNS" "${work[@]}" | sed "s/\$/,$k/"
                done
                [ "$mpi" = 0 ] || seconds_of "21,mpi,$n" "${mpirun[@]}" -np "$n" "$BUILD/$p" \
                    --runs "$IP_RUNS" "${work[@]}" | sed "s/\$/,$k/"
            done
        done
    } >"$RESULTS/inprogram-samples.csv"
    # The median over the invocations, with the range.
    inprogram_stats() {
        awk -F, -v want="$1" -v head="$2" '
            NR == 1 || $1 != want { next }
            { key = $2 "," $3; if (!(key in n)) order[++nk] = key; v[key, ++n[key]] = $4 }
            END {
                print head
                for (j = 1; j <= nk; j++) {
                    key = order[j]; m = n[key]
                    for (a = 1; a <= m; a++) for (b = a + 1; b <= m; b++)
                        if (v[key, b] < v[key, a]) { t = v[key, a]; v[key, a] = v[key, b]; v[key, b] = t }
                    med = m % 2 ? v[key, (m + 1) / 2] : (v[key, m / 2] + v[key, m / 2 + 1]) / 2
                    printf "%s,%.6f,%.6f,%.6f,%d\n", want == 21 ? substr(key, index(key, ",") + 1) : key,
                        med, v[key, 1], v[key, m], m
                }
            }' "$RESULTS/inprogram-samples.csv"
    }
    inprogram_stats 14 "mode,workers,median_s,min_s,max_s,samples" >"$RESULTS/sumsq-inprogram.csv"
    [ "$mpi" = 1 ] || return 0
    inprogram_stats 21 "ranks,median_s,min_s,max_s,samples" >"$RESULTS/mpi.csv"
    # The whole program under mpirun, start-up included (the parameter is called workers so
    # that it lines up with lesson 14's modes in the tables).
    hf sumsq-mpi --warmup "$WARMUP" --runs "$RUNS" --parameter-scan workers 1 "$CORES" \
        "${mpirun[*]} -np {workers} $BUILD/$p ${work[*]}"
}

# The same (smaller) work in Python and in C, workers = cores, in one run. (A one-value
# --parameter-list only puts the workers into the exported CSV.)
step_python() {
    local p=14_sum_squares mode
    local work=(--workers "{workers}" --start "$PY_START" --count "$PY_COUNT")
    if command -v "$PYTHON" >/dev/null 2>&1; then
        for mode in serial threads pool processes process-executor; do
            hf "sumsqpy-$mode" --warmup "$PY_WARMUP" --runs "$PY_RUNS" \
                --parameter-list workers "$CORES" \
                "$PYTHON bench/python/sum_squares.py --mode $mode ${work[*]}"
        done
    else
        skip "no $PYTHON on this machine"
    fi
    need $p
    for mode in serial threads pool processes; do
        hf "sumsqc-$mode" --warmup "$WARMUP" --runs "$SS_RUNS" --parameter-list workers "$CORES" \
            "$BUILD/$p --mode $mode ${work[*]}"
    done
}

# Lesson 13: IO_TASKS simulated downloads of IO_LATENCY s each: serially, one thread per
# download (its concurrency is the number of tasks), and a pool of each size in IO_LIST.
step_downloads() {
    local p=13_io_bound
    need $p
    local work=(--tasks "$IO_TASKS" --latency "$IO_LATENCY")
    hf downloads-serial --warmup "$WARMUP" --runs "$RUNS" "$BUILD/$p --mode serial ${work[*]}"
    hf downloads-threads --warmup "$WARMUP" --runs "$RUNS" --parameter-list workers "$IO_TASKS" \
        "$BUILD/$p --mode threads ${work[*]}"
    hf downloads-pool --warmup "$WARMUP" --runs "$RUNS" --parameter-list workers "$IO_LIST" \
        "$BUILD/$p --mode pool --workers {workers} ${work[*]}"
}

# Lesson 12: SCAN_PORTS ports of 127.0.0.1 from port 23000 (away from the lesson's default,
# which its tests use), each probe paying SCAN_LATENCY s: serially, then pools of each size.
step_portscan() {
    local p=12_port_scan
    need $p
    local work=(--ports "$SCAN_PORTS" --latency "$SCAN_LATENCY" --first-port 23000)
    hf portscan-serial --warmup "$WARMUP" --runs "$RUNS" "$BUILD/$p --mode serial ${work[*]}"
    hf portscan-pool --warmup "$WARMUP" --runs "$RUNS" --parameter-list workers "$SCAN_LIST" \
        "$BUILD/$p --mode pool --workers {workers} ${work[*]}"
}

# Lesson 20: the server with each worker count in SRV_LIST, SRV_CLIENTS concurrent clients
# of SRV_REQUESTS requests each, no bad clients; the client, in the same process, measures
# requests per second (its THROUGHPUT line) and checks every answer. server-rps.csv: per
# worker count the median rps over SRV_RUNS runs, with min and max.
step_server() {
    local p=20_server w r out line
    need $p
    {
        echo "workers,rps,run"
        for w in $SRV_LIST; do
            for r in $(seq 1 "$SRV_RUNS"); do
                out=$(timeout 120 "$BUILD/$p" --workers "$w" --bad 0 --clients "$SRV_CLIENTS" \
                    --requests "$SRV_REQUESTS" </dev/null) ||
                    { say "      FAILED: $p --workers $w (its verdict was not OK)"; return 1; }
                line=$(printf '%s\n' "$out" |
                    sed -n "s/^THROUGHPUT workers=\([0-9]*\) .* rps=\([0-9.]*\)$/\1,\2,$r/p")
                [ -n "$line" ] || { say "      FAILED: no THROUGHPUT line from $p --workers $w"; return 1; }
                echo "$line"
            done
            say "      workers=$w: $SRV_RUNS runs"
        done
    } >"$RESULTS/server-samples.csv"
    awk -F, -v c="$SRV_CLIENTS" -v q="$SRV_REQUESTS" '
        NR == 1 { next }
        { if (!($1 in n)) order[++nw] = $1; v[$1, ++n[$1]] = $2 }
        END {
            print "workers,median_rps,min_rps,max_rps,runs,clients,requests_per_client"
            for (j = 1; j <= nw; j++) {
                w = order[j]; m = n[w]
                for (a = 1; a <= m; a++) for (b = a + 1; b <= m; b++)
                    if (v[w, b] < v[w, a]) { t = v[w, a]; v[w, a] = v[w, b]; v[w, b] = t }
                med = m % 2 ? v[w, (m + 1) / 2] : (v[w, m / 2] + v[w, m / 2 + 1]) / 2
                printf "%s,%.0f,%.0f,%.0f,%d,%s,%s\n", w, med, v[w, 1], v[w, m], m, c, q
            }
        }' "$RESULTS/server-samples.csv" >"$RESULTS/server-rps.csv"
}

step_summary() {
    # The load after the run too, for the record (it includes the benchmarks' own threads).
    echo "loadavg_after: $(cut -d ' ' -f 1-3 /proc/loadavg 2>/dev/null)" >>"$RESULTS/machine.txt"
    scripts/bench-summary.sh "$RESULTS" >"$RESULTS/summary.md"
}

step_plots() {
    [ -n "$PLOTS" ] || { skip "PLOTS is empty"; return; }
    command -v gnuplot >/dev/null 2>&1 || { skip "gnuplot is not installed"; return; }
    scripts/plots.sh --results "$RESULTS" --out "$PLOTS"
}

# ---- the run --------------------------------------------------------------------------------
say "bench: $profile run into $RESULTS ($CORES CPUs, programs from $BUILD/)"
t_all=$(date +%s.%N)
for step in "${STEPS[@]}"; do
    step_no=$((step_no + 1))
    say "[$step_no/${#STEPS[@]}] $step ..."
    t0=$(date +%s.%N)
    # A subshell with -e of its own: a failing command ends its step, not the run. (Not in
    # an `if`: bash ignores -e in anything called from a condition.)
    set +e
    (set -e; "step_$step")
    rc=$?
    set -e
    if [ "$rc" -ne 0 ]; then
        say "      FAILED: $step (exit status $rc); the other steps still run"
        failed=1
    fi
    say "      $step: $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f s", b - a }')"
done
say "bench: done in $(awk -v a="$t_all" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f s", b - a }'); results in $RESULTS"

[ -s "$RESULTS/summary.md" ] && cat "$RESULTS/summary.md"
exit "$failed"
