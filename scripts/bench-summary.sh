#!/usr/bin/env bash
# bench-summary.sh RESULTS_DIR: the markdown summary of one benchmark run, on stdout.
# bench.sh writes it to RESULTS_DIR/summary.md; it only reads files, so it can be re-run
# on old results at any time.
#
# Every figure is a median with its range (min–max) over the repetitions; every speedup is
# a ratio of two medians measured in the same run (never across runs or machines).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/bench-lib.sh

[ $# -eq 1 ] && [ -d "$1" ] || { echo "usage: scripts/bench-summary.sh RESULTS_DIR" >&2; exit 2; }
dir=$1
tidy=$(mktemp)
trap 'rm -f "$tidy"' EXIT
hf_tidy "$dir" >"$tidy"

# Shared awk: human units for seconds and nanoseconds.
AWK_UNITS='
function unit_s(x) { return x >= 1 ? "s" : x >= 1e-3 ? "ms" : "µs" }
function in_unit(x, u) { return u == "s" ? x : u == "ms" ? x * 1e3 : x * 1e6 }
function fmt_s(x, u) { u = unit_s(x); return sprintf("%.3g %s", in_unit(x, u), u) }
function range_s(lo, hi, u) { u = unit_s(lo); return sprintf("%.3g–%.3g %s", in_unit(lo, u), in_unit(hi, u), u) }
function fmt_ns(x) { return x >= 1e6 ? sprintf("%.3g ms", x / 1e6) : x >= 1e3 ? sprintf("%.3g µs", x / 1e3) : sprintf("%.3g ns", x) }
'

# hf_table BENCH TITLE NOTE: one table for one hyperfine benchmark, serial first.
hf_table() {
    local bench=$1 title=$2 note=$3
    grep -q "^$bench," "$tidy" || return 0
    printf '\n## %s\n\n%s\n\n' "$title" "$note"
    echo "| mode | workers | median | min–max | speedup vs serial |"
    echo "|---|---:|---:|---:|---:|"
    awk -F, -v bench="$bench" "$AWK_UNITS"'
        $1 != bench { next }
        { n++; mode[n] = $2; w[n] = $3; med[n] = $4; lo[n] = $5; hi[n] = $6
          if ($2 == "serial") serial = $4 }
        END {
            for (pass = 0; pass < 2; pass++)
                for (i = 1; i <= n; i++) {
                    if ((pass == 0) != (mode[i] == "serial")) continue
                    sp = serial ? sprintf("%.2f×", serial / med[i]) : "–"
                    printf "| %s | %s | %s | %s | %s |\n", mode[i], w[i], fmt_s(med[i]),
                        range_s(lo[i], hi[i]), sp
                }
        }' "$tidy"
}

echo "# Benchmark summary: $(basename "$dir")"
echo
echo "Machine: $(machine_caption "$dir")  "
echo "Profile: $(machine_field "$dir" profile). Medians with their range (min–max) over the"
echo "runs; a speedup is the ratio of two medians measured in the same run."
# A busy machine understates every speedup: say so when the load before the run says so.
# (Not the load after: the 1-minute average then still holds the benchmarks' own threads.)
cores=$(machine_field "$dir" nproc)
busy=$(awk -v c="${cores:-1}" -v a="$(machine_field "$dir" loadavg)" '
    BEGIN { split(a, x, " "); if (x[1] >= 0.5 * c) printf "%s", x[1] }')
if [ -n "$busy" ]; then
    echo
    echo "**Noisy:** the load average was $busy on $cores CPUs before this run: other"
    echo "programs were competing for the cores, so speedups are understated."
fi

sumsq_note="Each mode with 1 to 2 × cores workers; the serial program is the baseline."
grep -q '^sumsq,mpi,' "$tidy" && sumsq_note="$sumsq_note mpi is lesson 21 under
\`mpirun -np N\` (workers = ranks, 1 to cores): its whole run, mpirun's start-up included."
hf_table sumsq "Sum of squares, lesson 14 (hyperfine, whole program)" "$sumsq_note"

# MPI ranks beside the pools, timed inside the programs (bench.sh's mpi step).
if [ -s "$dir/sumsq-inprogram.csv" ]; then
    printf '\n## MPI ranks beside the pools, the same work timed inside the programs\n\n'
    echo "Lesson 14 times each mode around its work, lesson 21 from a common start to its slowest"
    echo "rank (MPI_Wtime): no program start-up in these figures, which is fair to MPI, whose"
    echo "mpirun takes longer to start the ranks than the work itself. Each figure is the median"
    echo "(min–max) over several invocations, each the median of its own runs; the speedup is"
    echo "against lesson 14's serial, in-program too. The last column is the whole program's"
    echo "speedup from the hyperfine table above (start-up included)."
    echo
    echo "| mechanism | workers | median | min–max | speedup vs serial | whole program |"
    echo "|---|---:|---:|---:|---:|---:|"
    {
        awk -F, 'NR > 1 { print "14", $0 }' "$dir/sumsq-inprogram.csv"
        [ -s "$dir/mpi.csv" ] && awk -F, 'NR > 1 { print "21", "mpi," $0 }' "$dir/mpi.csv"
        awk -F, 'NR > 1 && $1 == "sumsq" { print "hf", $2 "," $3 "," $4 }' "$tidy"
    } | awk "$AWK_UNITS"'
        $1 == "hf" { split($2, f, ","); whole[f[1], f[2]] = f[3]; if (f[1] == "serial") hs = f[3]; next }
        {
            split($2, f, ","); n++; mode[n] = f[1]; w[n] = f[2]; med[n] = f[3]; lo[n] = f[4]; hi[n] = f[5]
            lesson[n] = $1
            if (f[1] == "serial") serial = f[3]
        }
        END {
            # serial first, then by workers, each count with its modes side by side
            for (i = 1; i <= n; i++) if (w[i] > maxw) maxw = w[i]
            for (pass = 0; pass <= maxw; pass++)
                for (i = 1; i <= n; i++) {
                    if (pass == 0 ? mode[i] != "serial" : (mode[i] == "serial" || w[i] != pass)) continue
                    name = mode[i] == "mpi" ? "mpi ranks (lesson 21)" : mode[i] " (lesson 14)"
                    sp = serial ? sprintf("%.2f×", serial / med[i]) : "–"
                    wh = (hs && ((mode[i], w[i]) in whole)) ? sprintf("%.2f×", hs / whole[mode[i], w[i]]) : "–"
                    printf "| %s | %s | %s | %s | %s | %s |\n", name, w[i], fmt_s(med[i]),
                        range_s(lo[i], hi[i]), sp, wh
                    if (mode[i] == "mpi") last = i
                }
            if (last && serial && hs && ((mode[last], w[last]) in whole))
                printf "\nWith %s ranks, MPI does the work %.2f× faster than serial; the whole `mpirun` run\n" \
                    "takes %s against serial'"'"'s %s (%.2f×): starting the ranks costs more than the work.\n",
                    w[last], serial / med[last], fmt_s(whole[mode[last], w[last]]), fmt_s(hs),
                    hs / whole[mode[last], w[last]]
        }'
    [ -s "$dir/mpi.csv" ] || printf '\nNo MPI figures: OpenMPI or lesson 21 was missing (scripts/install-deps.sh mpi; make mpi).\n'
fi

if grep -qE '^sumsq(py|c),' "$tidy"; then
    printf '\n## C against Python, the same work (workers = cores)\n\n'
    echo "Python's threads share one interpreter lock, so only its processes can use the cores."
    echo
    echo "| language | mode | median | min–max | speedup vs its own serial |"
    echo "|---|---|---:|---:|---:|"
    awk -F, "$AWK_UNITS"'
        $1 == "sumsqc" || $1 == "sumsqpy" {
            n++; b[n] = $1; mode[n] = $2; med[n] = $4; lo[n] = $5; hi[n] = $6
            if ($2 == "serial") serial[$1] = $4
        }
        END {
            for (i = 1; i <= n; i++) {
                lang = b[i] == "sumsqc" ? "C" : "Python"
                sp = serial[b[i]] ? sprintf("%.2f×", serial[b[i]] / med[i]) : "–"
                printf "| %s | %s | %s | %s | %s |\n", lang, mode[i], fmt_s(med[i]),
                    range_s(lo[i], hi[i]), sp
            }
            if (serial["sumsqc"] && serial["sumsqpy"])
                printf "\nSerial C is %.0f× faster than serial Python on this work.\n",
                    serial["sumsqpy"] / serial["sumsqc"]
        }' "$tidy"
fi

hf_table downloads "Simulated downloads, lesson 13 (hyperfine, whole program)" \
    "I/O-bound: the concurrency can exceed the cores."
hf_table portscan "Port scan on 127.0.0.1, lesson 12 (hyperfine, whole program)" \
    "I/O-bound: the concurrency can exceed the cores."

if [ -s "$dir/server-rps.csv" ]; then
    printf '\n## Server, lesson 20: requests per second against pool workers\n\n'
    awk -F, 'NR == 2 { printf "%s clients at once, %s requests each, no bad clients; the client threads run in the\n", $6, $7
                       printf "same process (the demo mode) and count the answers per second. Median of %s runs, min–max.\n", $5 }' \
        "$dir/server-rps.csv"
    echo "More workers than cores can still add throughput: a worker mostly waits for its client's"
    echo "next line, and a waiting worker leaves its core to another."
    echo
    echo "| workers | requests/s | min–max | vs 1 worker |"
    echo "|---:|---:|---:|---:|"
    awk -F, 'NR == 2 { one = $1 == 1 ? $2 : 0 }
        NR > 1 { printf "| %s | %.0f | %.0f–%.0f | %s |\n", $1, $2, $3, $4, one ? sprintf("%.2f×", $2 / one) : "–" }' \
        "$dir/server-rps.csv"
fi

if [ -s "$dir/granularity.csv" ]; then
    printf '\n## Granularity: the task size below which concurrency stops paying\n\n'
    workers=$(awk -F, 'NR == 2 { print $4 }' "$dir/granularity.csv")
    echo "Speedup over serial of the same batch, $workers workers; the crossover is interpolated"
    echo "between the two measured sizes where the speedup falls below 1 (full table: granularity.csv)."
    echo
    echo "| mechanism | crossover | speedup at the largest task | at the smallest |"
    echo "|---|---:|---:|---:|"
    crossovers "$dir" | awk -F, "$AWK_UNITS"'
        NR == 1 { next }
        {
            c = $3 == "crossover" ? fmt_ns($2) : $3 == "below_range" ? "< " fmt_ns($2) " (paid at every size)" : "> " fmt_ns($2) " (never paid)"
            printf "| %s | %s | %.2f× | %.2f× |\n", $1, c, $4, $5
        }'
fi

if [ -s "$dir/primitives.csv" ]; then
    printf '\n## Primitive costs, ns per operation\n\n'
    echo "With threads > 1 all threads use one object; the figure is wall time over all their operations."
    echo
    echo "| primitive | threads | median | min–max |"
    echo "|---|---:|---:|---:|"
    awk -F, 'NR > 1 { printf "| %s | %s | %.1f ns | %.1f–%.1f ns |\n", $1, $2, $3, $4, $5 }' \
        "$dir/primitives.csv"
    # Lessons 15-19 side by side: one thread against the most threads measured.
    awk -F, '
        NR > 1 { v[$1, $2] = $3; if ($2 > most[$1]) most[$1] = $2 }
        END {
            n = split("mutex rwlock_read atomic_add cas_add tls_add tls_key_add", p, " ")
            for (i = 1; i <= n; i++) if (most[p[i]] > 1 && (p[i], 1) in v) rows++
            if (!rows) exit
            printf "\nContention (lessons 03, 08, 17, 18, 19): one operation by 1 thread and by several on\n"
            printf "one object, ns per operation as above. A ratio of 1/threads means they ran fully side\n"
            printf "by side (nothing shared: tls_*), 1× that they took turns, above 1× that taking turns\n"
            printf "cost extra: the shared cache line travelling between cores, and for cas_add retries.\n\n"
            printf "| operation | 1 thread | threads | all threads | ratio |\n|---|---:|---:|---:|---:|\n"
            for (i = 1; i <= n; i++) {
                m = p[i]; t = most[m]
                if (t > 1 && (m, 1) in v)
                    printf "| %s | %.1f ns | %d | %.1f ns | %.2f× |\n", m, v[m, 1], t, v[m, t], v[m, t] / v[m, 1]
            }
            for (t = 2; (("barrier_wait", t) in v); t++) last = t
            if (last)
                printf "\nOne barrier phase (lesson 16): %.3g µs for %d threads to pass pthread_barrier_wait.\n",
                    v["barrier_wait", last] / 1e3, last
        }' "$dir/primitives.csv"
fi

if [ -s "$dir/peers.csv" ]; then
    printf '\n## Peers: our pools, GLib and OpenMP on the same work, same run\n\n'
    echo "| sum of squares | workers | median | min–max | speedup vs serial |"
    echo "|---|---:|---:|---:|---:|"
    awk -F, "$AWK_UNITS"'
        NR > 1 && $1 == "sumsq" {
            printf "| %s | %s | %s | %s | %.2f× |\n", $2, $3, fmt_s($5 / 1e9),
                range_s($6 / 1e9, $7 / 1e9), $8
        }' "$dir/peers.csv"
    if grep -q '^sumsq_small,' "$dir/peers.csv"; then
        echo
        echo "| small tasks (20 near 50,000) | workers | median | min–max | speedup vs serial |"
        echo "|---|---:|---:|---:|---:|"
        awk -F, "$AWK_UNITS"'
            NR > 1 && $1 == "sumsq_small" {
                printf "| %s | %s | %s | %s | %.2f× |\n", $2, $3, fmt_s($5 / 1e9),
                    range_s($6 / 1e9, $7 / 1e9), $8
            }' "$dir/peers.csv"
    fi
    echo
    echo "| dispatch, one empty task | tasks | median | min–max |"
    echo "|---|---:|---:|---:|"
    awk -F, "$AWK_UNITS"'
        NR > 1 && $1 == "dispatch" {
            printf "| %s | %s | %s | %s–%s |\n", $2, $4, fmt_ns($5), fmt_ns($6), fmt_ns($7)
        }' "$dir/peers.csv"
fi
