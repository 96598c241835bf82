#!/usr/bin/env bash
# run-tests.sh [FILE|DIR...]: run bats and end with one summary line,
# "N passed, N failed, N skipped", so a log's last line tells the outcome.
set -uo pipefail
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || set -- tests

log=$(mktemp)
trap 'rm -f "$log"' EXIT
bats --print-output-on-failure --formatter tap "$@" | tee "$log"
status=${PIPESTATUS[0]}

passed=$(grep -cE '^ok [0-9]+ ' "$log" | tr -d ' ')
skipped=$(grep -cE '^ok [0-9]+ .*# skip' "$log" | tr -d ' ')
failed=$(grep -cE '^not ok [0-9]+ ' "$log" | tr -d ' ')
echo "$((passed - skipped)) passed, $failed failed, $skipped skipped"
exit "$status"
