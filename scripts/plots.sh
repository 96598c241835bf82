#!/usr/bin/env bash
# plots.sh [--results DIR] [--out DIR] [--formats "png svg"]: draw every plot of one
# benchmark run.
# `make plots` and `make bench` call it; it only reads results, never runs a benchmark.
#
#   --results DIR   a results folder (default: bench/results/reference, the committed run)
#   --out DIR       where the images go (default: DIR/plots of the results; `make plots`
#                   passes plots/ for the reference run)
#   --formats LIST  png, svg or both (default both). plots/ keeps SVG only: text, so the
#                   same results redraw to the same bytes whatever fonts a machine has
#
# The gnuplot scripts are plots/*.gp; each is drawn after plots/common.gp (terminal,
# caption, style). scripts/benchstats.py plotdata turns the results into small tables in a
# temporary folder (`data` in gnuplot) and lists the facts each script needs; this script
# only draws. A plot whose results are missing is skipped with a message.
# Exit status: 0, 1 if gnuplot failed, 2 on bad usage.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { echo "usage: scripts/plots.sh [--results DIR] [--out DIR] [--formats \"png svg\"]" >&2; exit 2; }
results=bench/results/reference out='' formats="png svg"
while [ $# -gt 0 ]; do
    case $1 in
        --results) [ $# -ge 2 ] || usage; results=$2; shift 2 ;;
        --out) [ $# -ge 2 ] || usage; out=$2; shift 2 ;;
        --formats) [ $# -ge 2 ] || usage; formats=$2; shift 2
            for f in $formats; do [ "$f" = png ] || [ "$f" = svg ] || usage; done ;;
        -h | --help) echo "usage: scripts/plots.sh [--results DIR] [--out DIR] [--formats \"png svg\"]"; exit 0 ;;
        *) echo "plots.sh: unexpected argument '$1'" >&2; usage ;;
    esac
done
[ -d "$results" ] || {
    echo "plots.sh: no results folder $results (run \`make bench\`, or give --results DIR)" >&2
    exit 2
}
out=${out:-$results/plots}
command -v gnuplot >/dev/null 2>&1 || {
    echo "plots.sh: gnuplot is not installed (scripts/install-deps.sh bench)" >&2
    exit 1
}
mkdir -p "$out"
data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT
python3 scripts/benchstats.py plotdata "$results" "$data"

# v NAME: a fact from the plot data (vars.txt), or NaN.
v() { awk -F'\t' -v k="$1" '$1 == k { print $2; found = 1 } END { if (!found) print "NaN" }' "$data/vars.txt"; }
has() { [ "$(awk -F'\t' -v k="$1" '$1 == k { print $2 }' "$data/have.txt")" = 1 ]; }

drawn=0 skipped=0 failed=0
# draw NAME SCRIPT [gnuplot assignments...]: NAME.png and NAME.svg from plots/SCRIPT.gp
draw() {
    local name=$1 script=$2 fmt
    shift 2
    if ! has "$name"; then
        echo "plots.sh: skipped $name: its results are not in $results" >&2
        skipped=$((skipped + 1))
        return 0
    fi
    for fmt in $formats; do
        gnuplot -e "fmt='$fmt'; out='$out/$name'; data='$data'; cores=$(v cores); height=$(v height); $*" \
            plots/common.gp "plots/$script.gp" ||
            { echo "plots.sh: gnuplot failed on plots/$script.gp ($name.$fmt)" >&2; failed=1; }
    done
    echo "plots.sh: $out/$name ($formats)" >&2
    drawn=$((drawn + 1))
}

draw speedup-sumsq speedup "modes='$(v modes_sumsq)'; fit_f=$(v fit_f); fit_err=$(v fit_err)"
draw speedup-mpi mpi "ipmodes='$(v ipmodes)'; havempi=$(v havempi); havewhole=$(v havewhole); ipserial=$(v serial_ip)"
draw time-sumsq time "bench='sumsq'; io=0; modes='$(v modes_sumsq)'; serial=$(v serial_sumsq); ptitle='Sum of squares (lesson 14)'; pxlabel='workers (threads or processes)'"
draw time-downloads time "bench='downloads'; io=1; modes='$(v modes_downloads)'; serial=$(v serial_downloads); ptitle='Simulated downloads (lesson 13)'; pxlabel='concurrent downloads (threads: one per download)'"
draw time-portscan time "bench='portscan'; io=1; modes='$(v modes_portscan)'; serial=$(v serial_portscan); ptitle='Port scan of 127.0.0.1 (lesson 12)'; pxlabel='pool workers (concurrent probes)'"
draw granularity granularity "mechs='$(v mechs)'; gworkers=$(v gworkers); crosstext=\"$(v crosstext)\""
draw granularity-peers granularity-peers "pmechs='$(v pmechs)'; gworkers=$(v gworkers)"
draw primitives primitives "nrows=$(v nrows)"
draw c-vs-python python ""
draw peers peers "pworkers=$(v pworkers); floor=$(v floor); havelatency=$(v havelatency); height=$(($(v havelatency) == 1 ? 1500 : 1000))"
draw server-rps server "sclients=$(v sclients); srequests=$(v srequests); sruns=$(v sruns)"
draw http http "httpservers='$(v httpservers)'; poolw=$(v poolw); hseconds=$(v hseconds); hrounds=$(v hrounds); height=900"

# Timelines: traced lesson runs kept with the results (timelines/NN_topic.json, from
# `make timeline`), drawn by scripts/timeline.py as timeline-NN_topic.
for trace in "$results"/timelines/*.json; do
    [ -e "$trace" ] || continue
    name=timeline-$(basename "$trace" .json)
    if python3 scripts/timeline.py "$trace" --out "$out/$name" --formats "$formats" \
        --title "lesson $(basename "$trace" .json): who ran when" >/dev/null; then
        echo "plots.sh: $out/$name ($formats)" >&2
        drawn=$((drawn + 1))
    else
        echo "plots.sh: timeline.py failed on $trace" >&2
        failed=1
    fi
done

echo "plots.sh: $drawn plots drawn into $out/ from $results ($skipped skipped)" >&2
exit "$failed"
