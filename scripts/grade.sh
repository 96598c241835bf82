#!/usr/bin/env bash
# grade.sh [--solution] NAME         grade one exercise: PASS/FAIL lines, then "SCORE NAME P/N"
# grade.sh [--solution] --all NAME...  grade several (JOBS at a time), then a table
#
# `make exercise E=NAME` and `make exercises` build the binaries and run this. The stages of
# one exercise (its binary's --stages says which apply):
#   plain     $BUILD/exercises/NAME: its checks, one line each (each bounded by --limit)
#   tsan      $BUILD/tsan/exercises/NAME --small: PASS only if ThreadSanitizer says nothing
#   helgrind  the plain binary --small under helgrind (--fair-sched=yes: a spinning thread
#             must not starve the rest): PASS only with 0 errors
#   speed     --bench, RUNS times: each run times the student's code and the reference's
#             (linked into the same binary) turn about, CPU time per operation, and gives
#             the median ratio of its pairs; PASS if the median run's ratio is within
#             SPEED_BOUND. With --all these run last and one at a time, on a quieter machine.
# The tool stages run only once the plain checks all pass (a wrong program's reports would
# only repeat what the checks said, slowly); until then each counts as a FAIL "not run".
# Their full output is kept in $BUILD/exercises/logs/. Exit 0 only when every check passes.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
BUILD=${BUILD:-build}
RUNS=${RUNS:-3}
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || { echo "grade.sh: RUNS: expected a whole number from 1, got \"$RUNS\"" >&2; exit 2; }
SPEED_BOUND=${SPEED_BOUND:-1.5}
LIMIT=${LIMIT:-10}       # seconds per check, plain: a safety net (the checks bound their own waits)
TOOL_LIMIT=${TOOL_LIMIT:-60}   # seconds per check under a tool

solution=
if [ "${1:-}" = --solution ]; then solution=solutions/; shift; fi

grade_one() {
    local name=$1 bin="$BUILD/exercises/$solution$1" logs="$BUILD/exercises/logs"
    local tag=$name${solution:+.solution} out status passed=0 total=0 stages
    mkdir -p "$logs"
    check_line() { # PASS|FAIL text
        total=$((total + 1))
        [ "$1" = PASS ] && passed=$((passed + 1))
        echo "$1 $2"
    }
    echo "== $name (${solution:+reference solution }lessons/exercises/$solution$name.c)"
    stages=$("$bin" --stages) || { echo "grade.sh: cannot run $bin" >&2; return 2; }

    out=$(timeout -k 5 300 "$bin" --limit "$LIMIT" 2>"$logs/$tag.plain.err")
    status=$?
    while read -r word text; do
        case $word in PASS|FAIL) check_line "$word" "$text" ;; esac
    done <<<"$out"
    local ready=yes
    [ $status -eq 0 ] || ready=
    [ $status -le 1 ] || check_line FAIL "checker: exited with status $status (see $logs/$tag.plain.err)"

    for stage in $stages; do
        case $stage in
        plain) ;;
        tsan)
            if [ -z "$ready" ]; then check_line FAIL "tsan: not run (fix the checks above first)"; continue; fi
            if [ ! -x "$BUILD/tsan/exercises/$solution$name" ]; then
                check_line FAIL "tsan: no ThreadSanitizer build in $BUILD/tsan (make exercise E=$name builds it)"; continue
            fi
            TSAN_OPTIONS="halt_on_error=0 exitcode=66 atexit_sleep_ms=0 second_deadlock_stack=1" \
                timeout -k 5 600 "$BUILD/tsan/exercises/$solution$name" --small --limit "$TOOL_LIMIT" \
                >"$logs/$tag.tsan.log" 2>&1
            status=$?
            local kind
            kind=$(grep -m1 -o 'WARNING: ThreadSanitizer: [a-z -]*' "$logs/$tag.tsan.log" | sed 's/.*ThreadSanitizer: //; s/ *$//')
            if [ -n "$kind" ]; then check_line FAIL "tsan: $kind reported (see $logs/$tag.tsan.log)"
            elif [ $status -ne 0 ]; then check_line FAIL "tsan: the checks failed under ThreadSanitizer (see $logs/$tag.tsan.log)"
            else check_line PASS "tsan: no report"
            fi ;;
        helgrind)
            if [ -z "$ready" ]; then check_line FAIL "helgrind: not run (fix the checks above first)"; continue; fi
            if ! command -v valgrind >/dev/null; then
                check_line FAIL "helgrind: valgrind is not installed (scripts/install-deps.sh test)"; continue
            fi
            timeout -k 5 600 valgrind --tool=helgrind --fair-sched=yes --error-exitcode=99 "$bin" --small --limit "$TOOL_LIMIT" \
                >"$logs/$tag.helgrind.log" 2>&1
            status=$?
            local errors
            errors=$(grep -o 'ERROR SUMMARY: [0-9]*' "$logs/$tag.helgrind.log" | awk '{n += $3} END {print n + 0}')
            if [ "$errors" -gt 0 ]; then
                kind=$(grep -m1 -oE 'Possible data race|lock order "[^"]*" violated|Thread #[0-9]+: [a-z][^(]*' "$logs/$tag.helgrind.log")
                check_line FAIL "helgrind: $errors errors, first: ${kind:-see log} (see $logs/$tag.helgrind.log)"
            elif [ $status -ne 0 ]; then check_line FAIL "helgrind: the checks failed under helgrind (status $status, see $logs/$tag.helgrind.log)"
            else check_line PASS "helgrind: no error"
            fi ;;
        speed)
            if [ -z "$ready" ]; then check_line FAIL "speed: not run (fix the checks above first)"; continue; fi
            # each run times the student's code and the reference's turn about, in one process
            # (the checker says what it times on a "timed:" line, then "RESULT ... ns= ref_ns=
            # ratio= pairs= OK")
            local i runs=() out what verdict
            for ((i = 0; i < RUNS; i++)); do
                out=$(timeout -k 5 120 "$bin" --bench)
                what=$(sed -n 's/^timed: //p' <<<"$out")
                runs+=("$(sed -n 's/^RESULT .* ns=\([0-9.]*\) ref_ns=\([0-9.]*\) ratio=\([0-9.]*\) pairs=\([0-9]*\) OK$/\3 \1 \2 \4/p' <<<"$out")")
            done
            verdict=$(printf '%s\n' "${runs[@]}" | sort -g | awk -v n="$RUNS" -v b="$SPEED_BOUND" -v what="$what" '
                NF == 4 { r[++k] = $0 }
                END {
                    if (k < n || k == 0) { print "FAIL a timed run (--bench) gave no figures"; exit }
                    split(r[int((n + 1) / 2)], m, " ")
                    printf "%s %.2f ns vs reference %.2f ns %s, ratio %.2f (bound %s; the median of %d run%s, each %d pairs timed turn about)\n",
                        (m[1] <= b ? "PASS" : "FAIL"), m[2], m[3], what, m[1], b, n, (n == 1 ? "" : "s"), m[4]
                }')
            check_line "${verdict%% *}" "speed: ${verdict#* }" ;;
        esac
    done
    echo "SCORE $name $passed/$total"
    [ "$passed" -eq "$total" ]
}

if [ "${1:-}" = --all ]; then
    shift
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    export BUILD RUNS SPEED_BOUND LIMIT TOOL_LIMIT
    timed=() untimed=()
    for name in "$@"; do
        case " $("$BUILD/exercises/$solution$name" --stages) " in
        *" speed "*) timed+=("$name") ;;
        *) untimed+=("$name") ;;
        esac
    done
    grade_all() { # JOBS NAME...: grade them, JOBS at a time, each into $tmp/NAME.out
        local jobs=$1
        shift
        [ $# -gt 0 ] || return 0
        # shellcheck disable=SC2016 # the inner shell's own $0..$3: the name is an argument, never code
        printf '%s\n' "$@" |
            xargs -P "$jobs" -I{} sh -c '"$0" $1 "$3" >"$2/$3.out" 2>&1' "$0" "${solution:+--solution}" "$tmp" {}
    }
    grade_all "${JOBS:-2}" "${untimed[@]}"
    grade_all 1 "${timed[@]}"
    complete=0
    for name in "$@"; do cat "$tmp/$name.out"; echo; done
    printf '%-16s %-7s %s\n' exercise score result
    for name in "$@"; do
        score=$(sed -n "s/^SCORE $name //p" "$tmp/$name.out")
        if [ -n "$score" ] && [ "${score%/*}" = "${score#*/}" ]; then result=complete; complete=$((complete + 1)); else result=incomplete; fi
        printf '%-16s %-7s %s\n' "$name" "${score:-?}" "$result"
    done
    echo "SCORE exercises $complete/$# complete"
    [ "$complete" -eq $# ]
    exit
fi
[ $# -eq 1 ] || { echo "usage: $0 [--solution] NAME | [--solution] --all NAME..." >&2; exit 2; }
grade_one "$1"
