# timeline: a lesson's --trace file is JSON in Chrome's Trace Event Format; every task is in
# it exactly once per run; on each thread the events nest or follow one another, never
# partly overlap (scripts/timeline.py --check); `make timeline` draws it as PNG and SVG.
load helper

setup_file() {
    build "$BUILD/14_sum_squares" "$BUILD/13_io_bound" "$BUILD/03_mutex_bank" \
        "$BUILD/04_deadlock" "$BUILD/10_producer_consumer" "$BUILD/12_port_scan" \
        "$BUILD/11_thread_pool"
}

# count_events FILE CAT: "NAME COUNT" for every X event of category CAT, sorted by name.
count_events() {
    python3 - "$1" "$2" <<'PY'
import collections, json, sys
doc = json.load(open(sys.argv[1]))
c = collections.Counter(e["name"] for e in doc["traceEvents"]
                        if e.get("ph") == "X" and e.get("cat") == sys.argv[2])
for name in sorted(c):
    print(name, c[name])
PY
}

@test "14 --trace: valid JSON, each task once per run of each mode, threads and workers named" {
    local t="$BATS_TEST_TMPDIR/14.json"
    run --separate-stderr timeout 60 "$BUILD/14_sum_squares" --workers 2 --runs 2 \
        --start 200000 --count 6 --trace "$t"
    assert_success
    [[ "$stderr" == *"trace: "*" events in $t"* ]] || fail "no trace line: $stderr"
    python3 -m json.tool "$t" >/dev/null || fail "not JSON"
    # 6 numbers, 4 modes (serial, threads, pool, processes), 2 runs each: every n 8 times,
    # the processes' tasks recorded by the worker processes themselves
    local expected=""
    for n in 200000 200001 200002 200003 200004 200005; do expected+="n=$n 8"$'\n'; done
    assert_equal "$(count_events "$t" task)" "${expected%$'\n'}"
    assert_equal "$(count_events "$t" run | awk '{ s += $NF } END { print s }')" 8
    run python3 scripts/timeline.py "$t" --check
    assert_success
    assert_line --regexp '^timeline.py: [0-9]+ events, [0-9]+ threads, 0 problems$'
    # rows are named: main, the pthreads, the pool's workers, the worker processes
    local names
    names=$(python3 -c 'import json,sys; print(sorted({e["args"]["name"].split()[0] for e in json.load(open(sys.argv[1]))["traceEvents"] if e.get("ph") == "M"}))' "$t")
    assert_equal "$names" "['main', 'process', 'thread', 'tp-0', 'tp-1']"
}

@test "13 --trace: each download waited for once per run; the run spans hold them" {
    local t="$BATS_TEST_TMPDIR/13.json"
    run --separate-stderr timeout 60 "$BUILD/13_io_bound" --tasks 4 --max-workers 2 \
        --scale 0.02 --trace "$t"
    assert_success
    # serial, threads, pool of 1, pool of 2: four runs, each download once in each
    assert_equal "$(count_events "$t" wait)" "$(printf 'download %d 4\n' 0 1 2 3)"
    assert_equal "$(count_events "$t" run | awk '{ s += $NF } END { print s }')" 4
    run python3 scripts/timeline.py "$t" --check
    assert_success
}

@test "11 --trace: each map item once, in the section's span, on workers named by the pool" {
    local t="$BATS_TEST_TMPDIR/11.json"
    run --separate-stderr timeout 60 "$BUILD/11_thread_pool" --section map --scale 0.05 \
        --workers 3 --trace "$t"
    assert_success
    assert_equal "$(count_events "$t" task)" "$(printf 'item %d 1\n' 0 1 2 3 4 5 6 7)"
    assert_equal "$(count_events "$t" section)" "map 1"
    run python3 scripts/timeline.py "$t" --check
    assert_success
    local names
    names=$(python3 -c 'import json,sys; print(sorted({e["args"]["name"] for e in json.load(open(sys.argv[1]))["traceEvents"] if e.get("ph") == "M"}))' "$t")
    assert_equal "$names" "['main', 'tp-0', 'tp-1', 'tp-2']"
}

@test "03, 04, 10, 12 --trace: valid, well nested, and each shows its point" {
    local t="$BATS_TEST_TMPDIR/t.json"
    # 03: one cook in the pan at a time, each cook once; unsafe: they overlap
    run --separate-stderr timeout 60 "$BUILD/03_mutex_bank" --scale 0.02 --rounds 100 --trace "$t"
    assert_success
    assert_equal "$(count_events "$t" pan | awk '{ n += $NF } END { print n }')" 4
    python3 - "$t" <<'PY' || fail "two cooks in the pan at once, with the lock"
import json, sys
pans = sorted((e["ts"], e["ts"] + e["dur"]) for e in json.load(open(sys.argv[1]))["traceEvents"]
              if e.get("cat") == "pan")
sys.exit(any(b[0] < a[1] for a, b in zip(pans, pans[1:])))
PY
    run python3 scripts/timeline.py "$t" --check
    assert_success
    # 04, the deadlock: both workers hold a lock and wait for the other's, never ending
    run --separate-stderr timeout 60 "$BUILD/04_deadlock" --variant bad-order --timeout 0.2 \
        --scale 0.05 --trace "$t"
    assert_failure 3
    run python3 -c 'import json,sys; ev=json.load(open(sys.argv[1]))["traceEvents"]; print(sum(e.get("ph")=="B" for e in ev) - sum(e.get("ph")=="E" for e in ev))' "$t"
    assert_output 4
    run python3 scripts/timeline.py "$t" --check
    assert_success
    # 10: every message written once, by the logger
    run --separate-stderr timeout 60 "$BUILD/10_producer_consumer" --scale 0.01 --messages 5 \
        --trace "$t"
    assert_success
    assert_equal "$(count_events "$t" write | wc -l)" 15
    run python3 scripts/timeline.py "$t" --check
    assert_success
    # 12: every port probed twice (serial, then the pool)
    run --separate-stderr timeout 60 "$BUILD/12_port_scan" --ports 8 --workers 4 --scale 0.05 \
        --first-port $((29000 + RANDOM % 1000)) --trace "$t"
    assert_success
    assert_equal "$(count_events "$t" wait | awk '$NF != 2' | wc -l)" 0
    assert_equal "$(count_events "$t" wait | wc -l)" 8
    run python3 scripts/timeline.py "$t" --check
    assert_success
}

@test "make timeline L=14 draws a PNG and an SVG; a lesson without --trace is refused" {
    command -v gnuplot >/dev/null 2>&1 || skip "gnuplot is not installed"
    local out="$BUILD/timelines/14_sum_squares"
    rm -f "$out".png "$out".svg
    run --separate-stderr timeout 120 make -s timeline L=14 BUILD="$BUILD" \
        ARGS='--mode threads --start 100000 --count 4'
    assert_success
    assert_line "$out.png"
    assert_line "$out.svg"
    [ -s "$out.png" ] && [ -s "$out.svg" ] || fail "empty pictures"
    grep -q '<svg' "$out.svg" || fail "not an SVG"
    run --separate-stderr timeout 60 make -s timeline L=01
    assert_failure 2
    [[ "$stderr" == *"make timeline: 01_threads has no --trace"* ]] || fail "$stderr"
}

@test "timeline.py: a partly overlapping pair on one thread is a problem; bad input exit 2" {
    local t="$BATS_TEST_TMPDIR/bad.json"
    cat >"$t" <<'JSON'
{"traceEvents": [
 {"pid": 1, "tid": 0, "ph": "X", "ts": 0, "dur": 10, "cat": "a", "name": "outer"},
 {"pid": 1, "tid": 0, "ph": "X", "ts": 2, "dur": 3, "cat": "a", "name": "nested"},
 {"pid": 1, "tid": 0, "ph": "X", "ts": 8, "dur": 5, "cat": "a", "name": "straddles"},
 {"pid": 1, "tid": 1, "ph": "X", "ts": 8, "dur": 5, "cat": "a", "name": "other thread"}]}
JSON
    run python3 scripts/timeline.py "$t" --check
    assert_failure 1
    assert_line --partial "straddles"
    refute_line --partial "nested ["
    assert_line --regexp '1 problems$'
    echo '{"traceEvents": [' >"$t"
    run python3 scripts/timeline.py "$t" --check
    assert_failure 2
}

@test "--trace to a folder that does not exist: one line naming it, exit 1" {
    run --separate-stderr timeout 30 "$BUILD/14_sum_squares" --mode serial --count 2 \
        --start 100 --trace /nonexistent/dir/t.json
    assert_failure 1
    [[ "$stderr" == *"--trace /nonexistent/dir/t.json"* ]] || fail "$stderr"
}
