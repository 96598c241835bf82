# shellcheck shell=bash
# bench-lib.sh: sourced by bench.sh, bench-summary.sh and plots.sh. Reads a results folder
# (bench/results/<host>-<date>/) and turns its files into tidy tables; nothing here runs
# a benchmark.
#
#   results_default             the folder `make plots` uses without RESULTS=: the newest
#                               bench/results/<host>-<YYYYmmdd-HHMMSS>, else bench/results/reference
#   hf_tidy DIR                 every hf-<bench>-<mode>.csv (hyperfine's export) as one CSV,
#                               serial first, then threads, pool, processes, the rest:
#                               bench,mode,workers,median_s,min_s,max_s,mean_s,stddev_s
#   crossovers DIR              from granularity.csv, per mechanism:
#                               mechanism,crossover_ns,kind,speedup_largest,speedup_smallest
#   machine_field DIR KEY       one "key: value" line of machine.txt (the value)
#   machine_caption DIR         one line naming the machine, for plots and the summary
#
# Hyperfine files are named hf-<bench>-<mode>.csv; <bench> has no dash, the mode may.
# A parameter scan's "parameter_workers" column gives the workers; without it, workers=1.

results_default() {
    local root=${1:-bench/results} newest
    newest=$(find "$root" -mindepth 1 -maxdepth 1 -type d -name '*-[0-9]*-[0-9]*' 2>/dev/null |
        awk -F- '{ print $(NF-1) $NF "\t" $0 }' | sort | tail -n 1 | cut -f 2-)
    if [ -n "$newest" ]; then
        echo "$newest"
    elif [ -e "$root/reference" ]; then
        echo "$root/reference"
    fi
}

# mode_rank MODE: the order tables and plots list modes in (serial first).
mode_rank() {
    case $1 in
        serial) echo 1 ;; threads) echo 2 ;; pool) echo 3 ;; processes) echo 4 ;;
        process-executor) echo 5 ;; *) echo 9 ;;
    esac
}

hf_tidy() {
    local dir=$1 f base bench mode
    echo "bench,mode,workers,median_s,min_s,max_s,mean_s,stddev_s"
    for f in "$dir"/hf-*.csv; do
        [ -e "$f" ] || continue
        base=$(basename "$f" .csv)
        base=${base#hf-}
        printf '%s %s %s\n' "${base%%-*}" "$(mode_rank "${base#*-}")" "$f"
    done | sort -k1,1 -k2,2n -k3 | while read -r _ _ f; do
        base=$(basename "$f" .csv)
        base=${base#hf-}
        bench=${base%%-*}
        mode=${base#*-}
        # Columns are found by name, counted from the right: a command may contain commas.
        awk -F, -v bench="$bench" -v mode="$mode" '
            NR == 1 { H = NF; for (i = 1; i <= NF; i++) col[$i] = i; next }
            {
                shift = NF - H
                w = ("parameter_workers" in col) ? $(col["parameter_workers"] + shift) : 1
                printf "%s,%s,%s,%s,%s,%s,%s,%s\n", bench, mode, w,
                    $(col["median"] + shift), $(col["min"] + shift), $(col["max"] + shift),
                    $(col["mean"] + shift), $(col["stddev"] + shift)
            }' "$f"
    done
}

# The crossover is the task size below which a mechanism's speedup drops under 1. Going
# from the largest task down, it is found between the last size with speedup >= 1 and the
# first one below, by interpolating log(size) linearly in speedup. kind says what was seen:
#   crossover   it crossed in the measured range (crossover_ns is the estimate)
#   below_range it paid at every size measured (the crossover is below the smallest)
#   above_range it never paid, not even at the largest size (crossover_ns is that size)
crossovers() {
    local csv=$1/granularity.csv
    [ -s "$csv" ] || return 0
    echo "mechanism,crossover_ns,kind,speedup_largest,speedup_smallest"
    awk -F, '
        NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
        $1 != "serial" {
            m = $1
            if (!(m in n)) order[++nm] = m
            k = ++n[m]
            size[m, k] = $(col["task_ns"]); sp[m, k] = $(col["speedup"])
        }
        END {
            for (j = 1; j <= nm; j++) {
                m = order[j]
                # sizes arrive largest first (granularity.c walks down); do not rely on it
                for (a = 1; a <= n[m]; a++) for (b = a + 1; b <= n[m]; b++)
                    if (size[m, b] > size[m, a]) {
                        t = size[m, a]; size[m, a] = size[m, b]; size[m, b] = t
                        t = sp[m, a]; sp[m, a] = sp[m, b]; sp[m, b] = t
                    }
                kind = "below_range"; x = size[m, n[m]]
                if (sp[m, 1] < 1) { kind = "above_range"; x = size[m, 1] }
                else for (k = 2; k <= n[m]; k++) if (sp[m, k] < 1) {
                    s1 = sp[m, k - 1]; s2 = sp[m, k]
                    l1 = log(size[m, k - 1]); l2 = log(size[m, k])
                    x = exp(l1 + (s1 - 1) / (s1 - s2) * (l2 - l1))
                    kind = "crossover"
                    break
                }
                printf "%s,%.0f,%s,%s,%s\n", m, x, kind, sp[m, 1], sp[m, n[m]]
            }
        }' "$csv"
}

machine_field() {
    sed -n "s/^$2: *//p" "$1/machine.txt" 2>/dev/null | head -n 1
}

machine_caption() {
    local dir=$1 cpu cores kernel cc
    cpu=$(machine_field "$dir" cpu)
    cores=$(machine_field "$dir" nproc)
    kernel=$(machine_field "$dir" kernel)
    cc=$(machine_field "$dir" compiler) # the one that built the programs (older runs: gcc)
    [ -n "$cc" ] || cc=$(machine_field "$dir" gcc)
    printf '%s, %s CPUs, %s, %s, load before: %s — %s' "${cpu:-unknown CPU}" "${cores:-?}" \
        "${kernel:-?}" "${cc:-?}" "$(machine_field "$dir" loadavg)" "$(basename "$dir")"
}
