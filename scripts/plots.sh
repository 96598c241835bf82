#!/usr/bin/env bash
# plots.sh [--results DIR] [--out DIR]: draw every plot of one benchmark run, PNG and SVG.
# `make plots` and `make bench` call it; it only reads results, never runs a benchmark.
#
#   --results DIR   a results folder (default: the newest bench/results/<host>-<date>, else
#                   bench/results/reference)
#   --out DIR       where the images go (default plots/)
#
# The gnuplot scripts are plots/*.gp; each is drawn after plots/common.gp (terminal,
# caption, style). This script turns the results into small whitespace-separated tables
# in a temporary folder (`data` in gnuplot) and passes the facts the scripts need as
# gnuplot variables. A plot whose results are missing (a lesson not written yet) is
# skipped with a message. Exit status: 0, 1 if gnuplot failed, 2 on bad usage.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/bench-lib.sh

usage() { echo "usage: scripts/plots.sh [--results DIR] [--out DIR]" >&2; exit 2; }
results='' out=plots
while [ $# -gt 0 ]; do
    case $1 in
        --results) [ $# -ge 2 ] || usage; results=$2; shift 2 ;;
        --out) [ $# -ge 2 ] || usage; out=$2; shift 2 ;;
        -h | --help) echo "usage: scripts/plots.sh [--results DIR] [--out DIR]"; exit 0 ;;
        *) echo "plots.sh: unexpected argument '$1'" >&2; usage ;;
    esac
done
[ -n "$results" ] || results=$(results_default)
[ -n "$results" ] && [ -d "$results" ] || {
    echo "plots.sh: no results folder (run \`make bench\`, or give --results DIR)" >&2
    exit 2
}
command -v gnuplot >/dev/null 2>&1 || {
    echo "plots.sh: gnuplot is not installed (scripts/install-deps.sh bench)" >&2
    exit 1
}
mkdir -p "$out"
data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT

machine_caption "$results" >"$data/caption.txt"
cores=$(machine_field "$results" nproc)
cores=${cores:-2}

# ---- hyperfine results: one table per benchmark and mode ------------------------------------
# data/hf-BENCH-MODE.dat: workers median_s min_s max_s speedup speedup_lo speedup_hi
# (speedup = the serial median over this median; its range uses this mode's min and max).
hf_tidy "$results" >"$data/hf.csv"
awk -F, -v dir="$data" '
    NR == 1 { next }
    { n++; b[n] = $1; m[n] = $2; w[n] = $3; med[n] = $4; lo[n] = $5; hi[n] = $6
      if ($2 == "serial") serial[$1] = $4 }
    END {
        for (i = 1; i <= n; i++) {
            s = (b[i] in serial) ? serial[b[i]] : "NaN"
            f = dir "/hf-" b[i] "-" m[i] ".dat"
            printf "%s %s %s %s %s %s %s\n", w[i], med[i], lo[i], hi[i],
                s == "NaN" ? s : s / med[i], s == "NaN" ? s : s / hi[i],
                s == "NaN" ? s : s / lo[i] | "sort -n > \"" f "\""
        }
        for (k in serial) print serial[k] > (dir "/serial-" k ".txt")
    }' "$data/hf.csv"

# modes_of BENCH [LEAVE_OUT]: the modes measured for a benchmark, serial (and the mode
# LEAVE_OUT) left out, in a fixed order.
modes_of() {
    awk -F, -v b="$1" -v out="${2:-}" 'NR > 1 && $1 == b && $2 != "serial" && $2 != out { print $2 }' "$data/hf.csv" |
        awk 'BEGIN { n = split("threads pool processes", known, " "); for (i = 1; i <= n; i++) rank[known[i]] = i }
             !seen[$0]++ { print ($0 in rank ? rank[$0] : 100 + NR), $0 }' | sort -n | cut -d " " -f 2- |
        tr '\n' ' ' | sed 's/ $//'
}
serial_of() { cat "$data/serial-$1.txt" 2>/dev/null || echo NaN; }

# ---- drawing --------------------------------------------------------------------------------
drawn=0 skipped=0 failed=0
# draw NAME SCRIPT [gnuplot assignments...]: NAME.png and NAME.svg from plots/SCRIPT.gp
draw() {
    local name=$1 script=$2 fmt
    shift 2
    for fmt in png svg; do
        if gnuplot -e "fmt='$fmt'; out='$out/$name'; data='$data'; results='$results'; cores=$cores; $*" \
            plots/common.gp "plots/$script.gp"; then
            :
        else
            echo "plots.sh: gnuplot failed on plots/$script.gp ($name.$fmt)" >&2
            failed=1
        fi
    done
    echo "plots.sh: $out/$name.png, $out/$name.svg" >&2
    drawn=$((drawn + 1))
}
missing() {
    echo "plots.sh: skipped $1: no $2 in $results" >&2
    skipped=$((skipped + 1))
}

# Speedup of lesson 14 against workers, the ideal line and an Amdahl fit to the threads mode.
if [ -n "$(modes_of sumsq)" ]; then
    fitmode=threads
    # The fit needs two points with different effective workers (1 and more).
    dofit=$(awk -v c="$cores" '$1 > 1 { many = 1 } $1 == 1 { one = 1 } END { print (many && one && c > 1) ? 1 : 0 }' \
        "$data/hf-sumsq-$fitmode.dat" 2>/dev/null || echo 0)
    draw speedup-sumsq speedup "modes='$(modes_of sumsq)'; fitmode='$fitmode'; dofit=$dofit"
else
    missing speedup-sumsq "hf-sumsq-*.csv (lesson 14)"
fi

# MPI ranks beside the pools, in-program timing: lesson 14's modes (sumsq-inprogram.csv) and
# lesson 21's ranks (mpi.csv), each against lesson 14's in-program serial; and MPI's whole
# program (hyperfine, mpirun's start-up included) against the whole serial program.
# data/ip-MODE.dat: workers median min max speedup speedup_lo speedup_hi;
# data/ip-whole.dat: ranks speedup.
ipserial=$(awk -F, 'NR > 1 && $1 == "serial" { print $3; exit }' "$results/sumsq-inprogram.csv" 2>/dev/null || true)
if [ -n "$ipserial" ]; then
    # ipsp NAME WCOL MCOL CSV: the rows of CSV whose column MCOL is NAME (every row when MCOL
    # is 0), whose workers are in column WCOL and median, min, max after it -> ip-NAME.dat
    ipsp() {
        awk -F, -v s="$ipserial" -v wc="$2" -v mc="$3" -v want="$1" '
            NR > 1 && (mc == 0 || $mc == want) {
                printf "%s %s %s %s %s %s %s\n", $wc, $(wc + 1), $(wc + 2), $(wc + 3),
                    s / $(wc + 1), s / $(wc + 3), s / $(wc + 2)
            }' "$4" | sort -n >"$data/ip-$1.dat"
    }
    ipmodes=''
    for mode in threads pool processes; do
        ipsp "$mode" 2 1 "$results/sumsq-inprogram.csv"
        if [ -s "$data/ip-$mode.dat" ]; then ipmodes="$ipmodes $mode"; fi
    done
    havempi=0
    if [ -s "$results/mpi.csv" ]; then
        ipsp mpi 1 0 "$results/mpi.csv"
        havempi=1
    fi
    : >"$data/ip-whole.dat"
    if [ -s "$data/hf-sumsq-mpi.dat" ] && [ "$(serial_of sumsq)" != NaN ]; then
        awk '{ print $1, $5 }' "$data/hf-sumsq-mpi.dat" >"$data/ip-whole.dat"
    fi
    havewhole=$([ -s "$data/ip-whole.dat" ] && echo 1 || echo 0)
    draw speedup-mpi mpi "ipmodes='${ipmodes# }'; havempi=$havempi; havewhole=$havewhole; ipserial=$ipserial"
else
    missing speedup-mpi "sumsq-inprogram.csv with a serial row (lesson 14 timed inside)"
fi

# Time per mode, serial against concurrent, for each lesson measured.
for spec in "sumsq|0|Sum of squares (lesson 14)|workers (threads or processes)" \
    "downloads|1|Simulated downloads (lesson 13)|concurrent downloads (threads: one per download)" \
    "portscan|1|Port scan of 127.0.0.1 (lesson 12)|pool workers (concurrent probes)"; do
    IFS='|' read -r bench io title xlabel <<<"$spec"
    if [ -n "$(modes_of "$bench" mpi)" ]; then
        # (MPI's whole-program times, start-up and all, would squash lesson 14's lines: they
        # are on speedup-sumsq and speedup-mpi instead.)
        draw "time-$bench" time "bench='$bench'; io=$io; modes='$(modes_of "$bench" mpi)'; serial=$(serial_of "$bench"); ptitle='$title'; pxlabel='$xlabel'"
    else
        missing "time-$bench" "hf-$bench-*.csv"
    fi
done

# Speedup against task size, the crossover of each mechanism marked.
if [ -s "$results/granularity.csv" ]; then
    awk -F, -v dir="$data" 'NR > 1 && $1 != "serial" {
            print $2, $8, $5, $6, $7 > (dir "/gran-" $1 ".dat")
            if (!seen[$1]++) order = order (order ? " " : "") $1; w = $4
        }
        END { print order > (dir "/gran-mechs.txt"); print w > (dir "/gran-workers.txt") }' \
        "$results/granularity.csv"
    crossovers "$results" >"$data/crossovers.csv"
    awk -F, 'NR > 1 && $3 == "crossover" { print $1, $2 }' "$data/crossovers.csv" >"$data/crossover.dat"
    # The crossovers in words for the plot's corner (gnuplot turns \n into a new line).
    crosstext=$(awk -F, '
        function human(x) { return x >= 1e6 ? sprintf("%.3g ms", x / 1e6) : sprintf("%.3g µs", x / 1e3) }
        NR == 1 { printf "task size below which the speedup is < 1:" ; next }
        { printf "\\n%s: %s", $1, $3 == "crossover" ? human($2) : $3 == "below_range" ? "< " human($2) : "> " human($2) " (never paid)" }' \
        "$data/crossovers.csv")
    draw granularity granularity "mechs='$(cat "$data/gran-mechs.txt")'; gworkers=$(cat "$data/gran-workers.txt"); crosstext=\"$crosstext\""
else
    missing granularity granularity.csv
fi

# Primitive costs, one bar each, log scale.
if [ -s "$results/primitives.csv" ]; then
    awk -F, 'function human(x) { return x >= 1e6 ? sprintf("%.3g ms", x / 1e6) : x >= 1e3 ? sprintf("%.3g µs", x / 1e3) : sprintf("%.3g ns", x) }
        NR > 1 { printf "%d \"%s%s\" %s %s %s \"%s\"\n", NR - 2, $1, ($2 > 1 ? " x" $2 : ""), $3, $4, $5, human($3) }' \
        "$results/primitives.csv" >"$data/primitives.dat"
    # Taller with more rows (contended rows grow with the cores), about 22 px each.
    nrows=$(wc -l <"$data/primitives.dat")
    draw primitives primitives "nrows=$nrows; height=$((nrows * 22 + 160 > 600 ? nrows * 22 + 160 : 600))"
else
    missing primitives primitives.csv
fi

# C against Python on the same work: time and speedup over each one's own serial.
if [ -n "$(modes_of sumsqpy)" ] || [ -n "$(modes_of sumsqc)" ]; then
    awk -F, 'BEGIN { n = split("serial threads pool processes process-executor", order, " ")
                     for (i = 1; i <= n; i++) seen[order[i]] = 1 }
        NR > 1 && ($1 == "sumsqc" || $1 == "sumsqpy") {
            if (!($2 in seen)) { seen[$2] = 1; order[++n] = $2 }
            med[$1, $2] = $4; lo[$1, $2] = $5; hi[$1, $2] = $6
        }
        # Look before reading: reading med[k] would create it (awk), and a blank would shift
        # the columns. A missing value is written NaN.
        function get(arr, b, m) { return ((b, m) in arr) ? arr[b, m] : "NaN" }
        function ratio(b, m) {
            return (((b, "serial") in med) && ((b, m) in med)) ? med[b, "serial"] / med[b, m] : "NaN"
        }
        END {
            for (i = 1; i <= n; i++) {
                m = order[i]
                if (!(("sumsqc", m) in med) && !(("sumsqpy", m) in med)) continue
                printf "\"%s\" %s %s %s %s %s %s %s %s\n", m,
                    get(med, "sumsqc", m), get(lo, "sumsqc", m), get(hi, "sumsqc", m),
                    get(med, "sumsqpy", m), get(lo, "sumsqpy", m), get(hi, "sumsqpy", m),
                    ratio("sumsqc", m), ratio("sumsqpy", m)
            }
        }' "$data/hf.csv" >"$data/cvspy.dat"
    draw c-vs-python python ""
else
    missing c-vs-python "hf-sumsqpy-*.csv or hf-sumsqc-*.csv"
fi

# Our pools against GThreadPool and OpenMP.
if [ -s "$results/peers.csv" ]; then
    awk -F, -v dir="$data" 'NR > 1 {
            if ($1 == "sumsq") printf "\"%s\" %s %s %s %s\n", $2, $5 / 1e6, $6 / 1e6, $7 / 1e6, $8 > (dir "/peers-sumsq.dat")
            else if ($1 == "dispatch") printf "\"%s\" %s %s %s\n", $2, $5, $6, $7 > (dir "/peers-dispatch.dat")
            w = $3
        }
        END { print w > (dir "/peers-workers.txt") }' "$results/peers.csv"
    touch "$data/peers-sumsq.dat" "$data/peers-dispatch.dat"
    draw peers peers "pworkers=$(cat "$data/peers-workers.txt")"
else
    missing peers peers.csv
fi

# The server's requests per second against its workers.
if [ -s "$results/server-rps.csv" ]; then
    awk -F, 'NR > 1 { print $1, $2, $3, $4 }' "$results/server-rps.csv" | sort -n >"$data/server.dat"
    read -r sclients srequests sruns < <(awk -F, 'NR == 2 { print $6, $7, $5 }' "$results/server-rps.csv")
    draw server-rps server "sclients=${sclients:-0}; srequests=${srequests:-0}; sruns=${sruns:-0}"
else
    missing server-rps server-rps.csv
fi

echo "plots.sh: $drawn plots drawn into $out/ from $results ($skipped skipped)" >&2
exit "$failed"
