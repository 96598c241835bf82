# 24_crawler: every reachable page of a cyclic site with dead, slow and large pages is
# fetched exactly once (counted by the site's server), in both modes, for several pool sizes
# and seeds; the empty-queue variant ends early and says how much it missed; --max-pages and
# SIGINT stop the crawl with nothing fetched after the shutdown event; a page slower than
# --page-timeout is reported once as timed out. Timing is never asserted.
load helper

LESSON=24_crawler

setup_file() {
    build "$BUILD/$LESSON"
}

# field NAME [MODE]: NAME's value on the CRAWL line of MODE (default: the first one).
field() {
    local line
    for line in "${lines[@]}"; do
        if [[ $line == "CRAWL mode=${2:-}"* && " $line " =~ \ $1=([^ ]+)\  ]]; then
            echo "${BASH_REMATCH[1]}"
            return
        fi
    done
}

# a_whole_crawl MODE: MODE's crawl fetched every expected page and dead link exactly once,
# reported each once, and nothing else.
a_whole_crawl() {
    assert_line --regexp "^CRAWL mode=$1 .* duplicates=0 unreported=0 extra=0 missed=0 after_shutdown=0 stopped=no$"
    assert_equal "$(field fetched "$1")" "$(field pages "$1")"
    assert_equal "$(field reported_dead "$1")" "$(field dead "$1")"
}

@test "both modes, several seeds and pool sizes: every page once, every dead link once" {
    local seed workers
    for seed in 1 2 3; do
        for workers in $((seed * 3 - 2)); do       # 1, 4, 7 workers
            run_lesson 30 "$LESSON" --seed "$seed" --workers "$workers" --latency 0.002
            assert_success
            a_whole_crawl serial
            a_whole_crawl pool
            assert_line --index -1 --regexp '^RESULT mode=both pages=[0-9]+ dead=[0-9]+ duplicates=0 extra=0 missed=0 after_shutdown=0 stopped=no OK$'
            # the same site, crawled twice: the same pages expected both times
            assert_equal "$(field pages serial)" "$(field pages pool)"
            assert_equal "$(field requests serial)" "$(field requests pool)"
        done
    done
}

@test "a large site, no waits, many workers: still exactly once" {
    local seed
    for seed in 4 5 6; do
        run_lesson 30 "$LESSON" --mode pool --pages 400 --dead 40 --seed "$seed" \
            --workers 16 --latency 0
        assert_success
        a_whole_crawl pool
        assert_equal "$(field pages)" 400
        assert_equal "$(field dead)" 40
    done
}

@test "the defaults' site: 40 pages, 6 dead links, slow and large pages, serial vs pool" {
    run_lesson 30 "$LESSON" --latency 0.01
    assert_success
    assert_line --index 0 --regexp '^site: 40 pages \([1-9][0-9]* slow, [1-9][0-9]* large\), 6 dead links, 4 orphans; '
    a_whole_crawl serial
    a_whole_crawl pool
    assert_equal "$(field pages pool)" 40
    assert_equal "$(field requests pool)" 46
    assert_line --regexp '^serial [0-9.]+ s: the server.s waits for the pages it fetched add up to [0-9.]+ s$'
    assert_line --regexp '^(speedup [0-9.]+x \(the waits allow about [0-9.]+x: |Doubt: )'
}

@test "--variant empty-queue stops at the first empty queue and misses pages" {
    local workers
    for workers in 2 8; do
        # /p/0 waits 0.02 s at the server: its links cannot be queued before the queue,
        # empty the moment a worker takes /p/0, is seen to be empty
        run_lesson 30 "$LESSON" --mode pool --variant empty-queue --workers "$workers" \
            --latency 0.02
        assert_failure 1
        assert_line --regexp '^pool crawl: declared over with the queue empty and 1 URL still being crawled'
        assert_equal "$(field fetched)" 1
        (($(field missed) > 0)) || fail "missed=$(field missed)"
        assert_equal "$(field duplicates)" 0
        assert_line --index -1 --regexp '^RESULT mode=pool .* missed=[1-9][0-9]* after_shutdown=0 stopped=no FAIL$'
    done
    # the serial crawl has nothing in flight when it looks: the variant does not touch it
    run_lesson 30 "$LESSON" --mode serial --variant empty-queue --latency 0.002
    assert_success
    a_whole_crawl serial
}

@test "--max-pages K: at most K requests reach the server, none after the event" {
    local mode workers
    for mode in serial pool; do
        for workers in $([[ $mode == serial ]] && echo 1 || echo 2 8); do
            run_lesson 30 "$LESSON" --mode "$mode" --workers "$workers" --max-pages 7 --latency 0.005
            assert_success
            # the event is set as the 7th fetch is claimed: 7 claimed, so 7 requests
            assert_line --regexp "^$mode crawl: the shutdown event \(max-pages\) came after 7 fetches had begun, [0-9]+ of them still in flight; they finished, and 0 requests beyond them reached the server$"
            assert_equal "$(field requests)" 7
            assert_equal "$(field after_shutdown)" 0
            assert_equal "$(field stopped)" max-pages
            assert_line --index -1 --regexp "^RESULT mode=$mode .* duplicates=0 extra=0 missed=[0-9]+ after_shutdown=0 stopped=max-pages OK$"
        done
    done
}

@test "SIGINT mid-crawl: in-flight fetches finish, nothing after, a clean verdict" {
    local out="$BATS_TEST_TMPDIR/out" pid rc=0
    timeout 30 "$BUILD/$LESSON" --mode pool --pages 400 --workers 4 --latency 0.03 >"$out" 2>&1 3>&- &
    pid=$!
    for _ in $(seq 200); do
        grep -q 'URLs crawled' "$out" && break
        sleep 0.05
    done
    grep -q 'URLs crawled' "$out" || fail "no progress line: $(cat "$out")"
    kill -INT "$pid"
    wait "$pid" || rc=$?
    run cat "$out"
    [ "$rc" -eq 0 ] || fail "exit $rc: $output"
    assert_line --regexp '^pool crawl: the shutdown event \(SIGINT\) came after [0-9]+ fetches had begun, [0-4] of them still in flight; they finished, and 0 requests beyond them reached the server$'
    assert_equal "$(field stopped)" SIGINT
    assert_equal "$(field after_shutdown)" 0
    assert_equal "$(field duplicates)" 0
    (($(field requests) < 400)) || fail "the whole site was crawled: $(field requests)"
    assert_line --index -1 --regexp '^RESULT mode=pool .* after_shutdown=0 stopped=SIGINT OK$'
}

@test "SIGINT during the serial crawl: the pool crawl does not start" {
    local out="$BATS_TEST_TMPDIR/out" pid rc=0
    timeout 30 "$BUILD/$LESSON" --pages 400 --latency 0.01 >"$out" 2>&1 3>&- &
    pid=$!
    for _ in $(seq 200); do
        grep -q 'serial: 10 URLs crawled' "$out" && break
        sleep 0.05
    done
    kill -INT "$pid"
    wait "$pid" || rc=$?
    run cat "$out"
    [ "$rc" -eq 0 ] || fail "exit $rc: $output"
    assert_line 'pool crawl: not started, the crawl was interrupted'
    refute_line --regexp '^CRAWL mode=pool'
    assert_line --index -1 --regexp '^RESULT mode=both .* after_shutdown=0 stopped=SIGINT OK$'
}

@test "a page slower than --page-timeout is reported once as timed out; the crawl ends" {
    local out="$BATS_TEST_TMPDIR/pages"
    # slow pages wait 4 x 0.02 s: past the 0.05 s timeout
    run_lesson 30 "$LESSON" --mode pool --workers 4 --latency 0.02 --page-timeout 0.05 --out "$out"
    assert_success
    a_whole_crawl pool
    (($(field timed_out) >= 1)) || fail "timed_out=$(field timed_out)"
    assert_equal "$(grep -c ' timeout ' "$out")" "$(field timed_out)"
    # one line per URL fetched, no path twice
    assert_equal "$(wc -l <"$out")" "$(field requests)"
    assert_equal "$(cut -d' ' -f2 "$out" | sort | uniq -d)" ""
}

@test "--trace records each fetch as a bar on its worker's row" {
    local trace="$BATS_TEST_TMPDIR/t.json"
    run_lesson 30 "$LESSON" --mode pool --workers 3 --latency 0 --trace "$trace"
    assert_success
    python3 -c 'import json,sys; e=json.load(open(sys.argv[1]))["traceEvents"]; n=sum(1 for x in e if x.get("cat")=="fetch"); sys.exit(0 if n==46 else 1)' "$trace"
}

@test "ThreadSanitizer: no race in the crawl, the writer or the site" {
    build_sanitized tsan "$LESSON"
    TSAN_OPTIONS="halt_on_error=0 exitcode=66" run timeout 60 "$BUILD/tsan/$LESSON" \
        --workers 4 --pages 30 --latency 0.002 --max-pages 1000
    assert_success
    refute_output --partial "WARNING: ThreadSanitizer"
    a_whole_crawl pool
}

@test "AddressSanitizer and UBSan: clean, with timeouts and large pages" {
    build_sanitized asan "$LESSON"
    run timeout 60 "$BUILD/asan/$LESSON" --workers 4 --pages 30 --latency 0.01 --page-timeout 0.02
    assert_success
    refute_output --regexp "(WARNING|ERROR|SUMMARY): [A-Za-z]*Sanitizer|runtime error"
}

# ---- command line ----------------------------------------------------------------------

@test "--help prints the usage on stdout and exits 0" {
    run_lesson 5 "$LESSON" --help
    assert_success
    assert_line --index 0 --regexp '^usage: 24_crawler \[--mode serial\|pool\|both\]'
    for opt in --variant --workers --pages --dead --seed --latency --page-timeout --max-pages --out --trace; do
        assert_output --partial -- "$opt"
    done
}

@test "bad input: one line naming the problem, the usage, exit 2" {
    local -a cases=(
        "--workers|--workers 0"
        "--workers|--workers 65"
        "--pages|--pages 0"
        "--pages|--pages 2001"
        "--dead|--dead 501"
        "--seed|--seed 2147483648"
        "--latency|--latency 2.5"
        "--page-timeout|--page-timeout 61"
        "--max-pages|--max-pages 1000001"
        "--mode|--mode threads"
        "--variant|--variant naive"
        "--out|--out /dev/null"
        "unknown option|--threads 4"
        "unexpected argument \"5\"|--pages 3 5"
    )
    usage_errors "$LESSON" "${cases[@]}"
}

# ---- the quiz ------------------------------------------------------------------------

@test "quiz: every answering command shows what its answer says" {
    check_quiz "$LESSON"
}
