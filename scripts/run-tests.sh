#!/usr/bin/env bash
# run-tests.sh [FILE|DIR...]: run bats and end with one summary line,
# "N passed, N failed, N skipped", so a log's last line tells the outcome.
set -uo pipefail
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || set -- tests

log=$(mktemp)
trap 'rm -f "$log"' EXIT
# What the working tree holds before: a test that leaves a file behind (a trace written
# under a fuzzed name, say) is a failure too, not a file for the next commit to pick up.
untracked() { git status --porcelain --untracked-files=all 2>/dev/null | grep -v '^ *[MADRC] '; }
before=$(untracked)
bats --print-output-on-failure --formatter tap "$@" | tee "$log"
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
