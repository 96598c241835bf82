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

hf_table sumsq "Sum of squares, lesson 14 (hyperfine, whole program)" \
    "Each mode with 1 to 2 × cores workers; the serial program is the baseline."

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
    echo
    echo "| dispatch, one empty task | tasks | median | min–max |"
    echo "|---|---:|---:|---:|"
    awk -F, "$AWK_UNITS"'
        NR > 1 && $1 == "dispatch" {
            printf "| %s | %s | %s | %s–%s |\n", $2, $4, fmt_ns($5), fmt_ns($6), fmt_ns($7)
        }' "$dir/peers.csv"
fi
