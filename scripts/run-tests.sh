#!/usr/bin/env bash
# run-tests.sh [FILE|DIR...]: run bats and end with one summary line,
# "N passed, N failed, N skipped", so a log's last line tells the outcome.
#
# Test files run side by side, one more than there are CPUs (TEST_JOBS=N to choose; 1 runs
# them one after another), the tests within a file in order: many tests spend much of their
# time asleep (naps, watchdogs, servers waiting for clients), and with one file per CPU the
# CPUs sat idle a quarter of the time (make test on 2 vCPUs, fresh clone: 4 min 22 s with 2
# files at once, 3 min 40 s with 3). That needs GNU parallel (install-deps.sh
# test), and files that never collide: each builds nothing that `make test` did not build
# first, scans ports of its own and writes nothing that git tracks. The slowest files
# start first, so that the run does not end waiting for one of them alone.
set -uo pipefail
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || set -- tests
if [ "$*" = tests ]; then
    slowest=(tests/bench.bats tests/race_detectors.bats tests/process_pool.bats tests/thread_pool.bats
        tests/20_server.bats tests/14_sum_squares.bats tests/exercises.bats)
    set --
    for f in "${slowest[@]}"; do [ -e "$f" ] && set -- "$@" "$f"; done
    for f in tests/*.bats; do
        [[ " ${slowest[*]} " == *" $f "* ]] || set -- "$@" "$f"
    done
fi
jobs=${TEST_JOBS:-$(($(nproc 2>/dev/null || echo 1) + 1))}
parallel=()
if [ "$jobs" -gt 1 ]; then
    if command -v parallel >/dev/null 2>&1; then
        parallel=(--jobs "$jobs" --no-parallelize-within-files)
    else
        echo "run-tests.sh: GNU parallel is not installed: one test file at a time" >&2
    fi
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
# What the working tree holds before: a test that leaves a file behind (a trace written
# under a fuzzed name, say) is a failure too, not a file for the next commit to pick up.
untracked() { git status --porcelain --untracked-files=all 2>/dev/null | grep -v '^ *[MADRC] '; }
before=$(untracked)
bats "${parallel[@]}" --print-output-on-failure --formatter tap "$@" | tee "$log"
status=${PIPESTATUS[0]}
after=$(untracked)
if [ "$after" != "$before" ]; then
    echo "not ok 0 the tests left files in the working tree:"
    diff <(echo "$before") <(echo "$after") | sed -n 's/^> /#   /p'
    echo "not ok 0 the tests left files in the working tree" >>"$log"
    status=1
fi

passed=$(grep -cE '^ok [0-9]+ ' "$log" | tr -d ' ')
skipped=$(grep -cE '^ok [0-9]+ .*# skip' "$log" | tr -d ' ')
failed=$(grep -cE '^not ok [0-9]+ ' "$log" | tr -d ' ')
echo "$((passed - skipped)) passed, $failed failed, $skipped skipped"
exit "$status"
