# bench: the benchmark programs check their own work and keep their output contract (a CSV
# on stdout, progress on stderr, bad input exits 2); the Python twin of lesson 14 computes
# the same sums; and `BENCH_SMOKE=1 scripts/bench.sh` runs the whole machinery on tiny
# sizes (a few seconds). No timing is asserted anywhere: these are not timed tests.
load helper

FIXTURE=tests/fixtures/bench-results/example-20250101-000000

setup_file() {
    build "$BUILD/bench/primitives" "$BUILD/bench/granularity" "$BUILD/bench/peers" \
        "$BUILD/bench/probe"
    # oneTBB's peer exists only where pkg-config finds tbb (the Makefile builds it then)
    if pkg-config --exists tbb 2>/dev/null; then
        build "$BUILD/bench/peers_tbb"
    fi
}

# need_peers_tbb: skip the test where bench/peers_tbb is not built (no oneTBB).
need_peers_tbb() {
    [ -x "$BUILD/bench/peers_tbb" ] ||
        skip "peers_tbb is not built: oneTBB is missing (scripts/install-deps.sh bench; make benches)"
}

# csv_ok FILE NFIELDS: a header and rows, every line with NFIELDS comma-separated fields.
csv_ok() {
    awk -F, -v n="$2" 'NF != n { print FILENAME ":" FNR ": " NF " fields, expected " n; bad = 1 }
                       END { exit bad || NR < 2 }' "$1"
}

# nonempty FILE...: every file exists and is not empty. (Not `[ -s a ] && [ -s b ]`: a failure
# before the last && does not stop a test, so a missing `a` would pass unnoticed.)
nonempty() {
    local f
    for f; do
        [ -s "$f" ] || fail "$f is missing or empty"
    done
}

# ---- command lines -------------------------------------------------------------------------

@test "--help prints the usage on stdout and exits 0" {
    for prog in primitives granularity peers probe; do
        run --separate-stderr "$BUILD/bench/$prog" --help
        assert_success
        assert_line --index 0 --partial "usage: $prog "
        assert_equal "$stderr" ""
    done
}

@test "bad input is a usage error (exit 2), for every program" {
    for args in "--reps 0" "--reps x" "--rep-ms -1" "--threads 1" "--bogus" "stray"; do
        run --separate-stderr "$BUILD/bench/primitives" $args
        assert_usage_error ""
    done
    for args in "--workers 0" "--total-ms 0" "--max-tasks 0" "--per-decade 11" \
        "--min-us 10 --max-us 1" "--reps 2x"; do
        run --separate-stderr "$BUILD/bench/granularity" $args
        assert_usage_error ""
    done
    for args in "--workers 0" "--count 0" "--tasks 5" "--start -1" "--reps" "--only both"; do
        run --separate-stderr "$BUILD/bench/peers" $args
        assert_usage_error ""
    done
    for args in "--reps 0" "--reps 102" "stray"; do
        run --separate-stderr "$BUILD/bench/probe" $args
        assert_usage_error ""
    done
    run --separate-stderr "$BUILD/bench/granularity" --min-us 10 --max-us 1
    assert_usage_error "--min-us"
}

# ---- tiny runs: the shape of the output, and the programs' own checks ------------------------

# (Not "capacity <= cpus": it is a ratio of two timings, and on a busy machine the one-CPU
# loop can be the slowed one. The bench flags such a probe; a test asserts no timing.)
@test "probe: one line, a loop time and the CPUs' worth, as many CPUs as the machine has" {
    run --separate-stderr timeout 60 "$BUILD/bench/probe" --reps 2
    assert_success
    assert_line --index -1 --regexp '^probe single_ms=[0-9]+\.[0-9]{2} capacity=[0-9]+\.[0-9]{2} uneven=[0-9]+\.[0-9]{2} cpus=[0-9]+$'
    [[ "${lines[-1]}" =~ capacity=([0-9.]+)\ uneven=([0-9.]+)\ cpus=([0-9]+) ]]
    assert_equal "${BASH_REMATCH[3]}" "$(nproc)"
    awk -v c="${BASH_REMATCH[1]}" 'BEGIN { exit !(c > 0) }' || fail "capacity ${BASH_REMATCH[1]}"
    # the slowest CPU over the fastest: never below 1
    awk -v u="${BASH_REMATCH[2]}" 'BEGIN { exit !(u >= 1) }' || fail "uneven ${BASH_REMATCH[2]}"
}

@test "peers --only: one table, the other left out" {
    run --separate-stderr timeout 60 "$BUILD/bench/peers" --only dispatch --tasks 200 --reps 1
    assert_success
    refute_output --regexp '^sumsq'
    assert_line --regexp '^dispatch,thread_pool_detached,'
    run --separate-stderr timeout 60 "$BUILD/bench/peers" --only sumsq --start 1000 --count 4 --reps 1
    assert_success
    refute_output --regexp '^dispatch'
    assert_line --regexp '^sumsq,thread_pool,'
}

@test "peers --only latency: p50 and p99 rows per mechanism, p50 never above p99" {
    run --separate-stderr timeout 60 "$BUILD/bench/peers" --only latency --group ours --tasks 300 --reps 3
    assert_success
    local m
    for m in thread_pool thread_pool_park pthreads process_pool; do
        assert_line --regexp "^latency,$m,[0-9]+,30,[0-9.]+,[0-9.]+,[0-9.]+,,3,,,,\$"
        assert_line --regexp "^latency99,$m,[0-9]+,30,[0-9.]+,[0-9.]+,[0-9.]+,,3,,,,\$"
    done
    # the hand-off floor: two spinners, so only with two CPUs
    if [ "$(nproc)" -ge 2 ]; then
        assert_line --regexp '^latency,handoff_floor,[0-9]+,30,[0-9.]+,[0-9.]+,[0-9.]+,,3,,,,$'
    else
        refute_line --regexp '^latency,handoff_floor,'
    fi
    refute_output --regexp '(^|'$'\n'')(sumsq|dispatch|idle),'
    # within a round the 50th percentile cannot exceed the 99th: nor can their medians
    printf '%s\n' "${lines[@]}" | awk -F, '$1 == "latency" { p50[$2] = $5 } $1 == "latency99" { p99[$2] = $5 }
        END { for (m in p50) if (p50[m] > p99[m]) exit 1 }' || fail "a p50 above its p99"
}

@test "peers --only idle: a second of an idle pool, each wait policy, its CPU beside it" {
    run --separate-stderr timeout 60 "$BUILD/bench/peers" --only idle --start 1000 --count 4 --reps 1
    assert_success
    assert_line --regexp '^idle,thread_pool,[0-9]+,4,[0-9]+,[0-9]+,[0-9]+,,1,[0-9.]+,,,$'
    assert_line --regexp '^idle,thread_pool_park,[0-9]+,4,[0-9]+,[0-9]+,[0-9]+,,1,[0-9.]+,,,$'
    refute_output --regexp '(^|'$'\n'')(sumsq|dispatch),'
    # the window is a second of sleep: never shorter
    printf '%s\n' "${lines[@]}" | awk -F, '$1 == "idle" && $5 < 1e9 { bad = 1 } END { exit bad }' ||
        fail "an idle window shorter than a second"
}

@test "peers --group: ours or OpenMP's rows alone, each with the serial row it pairs with" {
    run --separate-stderr timeout 60 "$BUILD/bench/peers" --only sumsq --group ours --start 1000 --count 4 --reps 1
    assert_success
    assert_line --regexp '^sumsq,serial,'
    refute_output --regexp '(^|'$'\n'')sumsq,omp_'
    grep -q 'openmp=yes' "$BUILD/bench/peers.features" || skip "peers was built without OpenMP"
    run --separate-stderr env OMP_WAIT_POLICY=active timeout 60 "$BUILD/bench/peers" --only sumsq --group omp --start 1000 --count 4 --reps 1
    assert_success
    assert_line --regexp '^sumsq,serial,'
    assert_line --regexp '^sumsq,omp_task,'
    refute_output --regexp '(^|'$'\n'')sumsq,(thread_pool|pthreads),'
    [[ "$stderr" != *"still burning CPU"* ]] || fail "alone, OpenMP's rows wait for nothing: $stderr"
    run --separate-stderr timeout 10 "$BUILD/bench/peers" --group theirs
    assert_failure 2
    [[ "$stderr" == *"--group: expected ours or omp"* ]] || fail "$stderr"
}

@test "primitives: one CSV row per primitive, median within its range" {
    run --separate-stderr timeout 60 "$BUILD/bench/primitives" --reps 3 --rep-ms 0.2 --threads 3
    assert_success
    assert_line --index 0 "primitive,threads,median_ns,min_ns,max_ns,reps"
    printf '%s\n' "${lines[@]}" >"$BATS_TEST_TMPDIR/p.csv"
    csv_ok "$BATS_TEST_TMPDIR/p.csv" 6
    for row in mutex,1 mutex,2 mutex,3 spinlock,3 atomic_add,1 atomic_add,3 rwlock_read,3 \
        cas_add,1 cas_add,2 cas_add,3 tls_add,1 tls_add,3 tls_key_add,1 tls_key_add,3 \
        barrier_wait,2 barrier_wait,3 sem_post_wait,1 cond_pingpong,2 event_set_wake,2 \
        thread_create_join,1 fork_wait,1 pipe_roundtrip,2; do
        assert_line --regexp "^$row,[0-9.]+,[0-9.]+,[0-9.]+,3$"
    done
    refute_line --regexp '^barrier_wait,1,' # a barrier of one waits for nobody

    # the CAS loop counts its failed attempts: none alone, some (or none) when contended
    [[ "$stderr" == *"cas_add              threads=1        0.000 failed CAS per increment"* ]] ||
        fail "no retry count for cas_add: $stderr"
    awk -F, 'NR > 1 && !($4 <= $3 && $3 <= $5) { print "out of range: " $0; bad = 1 } END { exit bad }' \
        "$BATS_TEST_TMPDIR/p.csv"
    [[ "$stderr" == *"primitives: mutex"* ]] # progress goes to stderr
}

@test "primitives: the pool round trip is measured" {
    run --separate-stderr timeout 60 "$BUILD/bench/primitives" --reps 1 --rep-ms 0.2
    assert_success
    assert_line --regexp '^pool_submit_wait,1,'
}

# tiny_sweep PROGRAM ARGS...: a granularity sweep of 3 sizes, 2 reps and 3 workers, its CSV
# kept in $BATS_TEST_TMPDIR/g.csv: the program succeeds (it dies if a mechanism's sum differs
# from serial's), the header, 9 fields a row, and serial's row at each size.
tiny_sweep() {
    run --separate-stderr timeout 60 "$BUILD/bench/$1" "${@:2}" --total-ms 2 --reps 2 \
        --per-decade 1 --max-us 1000 --min-us 10 --max-tasks 50 --workers 3
    assert_success
    assert_line --index 0 "mechanism,task_ns,tasks,workers,median_ns,min_ns,max_ns,speedup,reps"
    printf '%s\n' "${lines[@]}" >"$BATS_TEST_TMPDIR/g.csv"
    csv_ok "$BATS_TEST_TMPDIR/g.csv" 9
    local size
    for size in 1000000 100000 10000; do
        assert_line --regexp "^serial,$size,[0-9]+,3,[0-9]+,[0-9]+,[0-9]+,1\.000,2$"
    done
}

@test "granularity: every mechanism reproduces the serial sums at every size" {
    tiny_sweep granularity
    for size in 1000000 100000 10000; do
        assert_line --regexp "^threads,$size,"
    done
    mechs=" $(awk -F, 'NR > 1 { print $1 }' "$BATS_TEST_TMPDIR/g.csv" | sort -u | tr '\n' ' ')"
    for m in thread_pool thread_pool_detached thread_pool_map thread_pool_helping process_pool \
        process_pool_map; do
        [[ "$mechs" == *" $m "* ]] || fail "no $m rows: $mechs"
    done
    # the peers built in: GThreadPool, and OpenMP's two after ours, serial not printed twice
    local peers=""
    grep -q 'glib=yes' "$BUILD/bench/peers.features" && peers+=" gthreadpool"
    grep -q 'openmp=yes' "$BUILD/bench/peers.features" && peers+=" omp_task omp_dynamic"
    for m in $peers; do
        [[ "$mechs" == *" $m "* ]] || fail "no $m rows: $mechs"
    done
    assert_equal "$(grep -c '^serial,' "$BATS_TEST_TMPDIR/g.csv")" 3
    # no more than --max-tasks tasks, and at least one per worker
    awk -F, 'NR > 1 && ($3 > 50 || $3 < 3) { bad = 1 } END { exit bad }' "$BATS_TEST_TMPDIR/g.csv"
}

@test "granularity --group: ours or OpenMP's rows alone, OpenMP's with their own serial rows" {
    local args=(--total-ms 2 --reps 1 --per-decade 1 --max-us 100 --min-us 10 --max-tasks 20)
    run --separate-stderr timeout 60 "$BUILD/bench/granularity" --group ours "${args[@]}"
    assert_success
    assert_line --regexp '^serial,100000,'
    assert_line --regexp '^thread_pool,100000,'
    refute_output --regexp '(^|'$'\n'')omp_'
    grep -q 'openmp=yes' "$BUILD/bench/peers.features" || skip "granularity was built without OpenMP"
    run --separate-stderr env OMP_WAIT_POLICY=active timeout 60 "$BUILD/bench/granularity" --group omp "${args[@]}"
    assert_success
    for size in 100000 10000; do
        assert_line --regexp "^serial,$size,"
        assert_line --regexp "^omp_task,$size,"
        assert_line --regexp "^omp_dynamic,$size,"
    done
    refute_output --regexp '(^|'$'\n'')(thread_pool|threads|process_pool|gthreadpool)'
    run --separate-stderr timeout 10 "$BUILD/bench/granularity" --group theirs
    assert_failure 2
    [[ "$stderr" == *"--group: expected ours or omp"* ]] || fail "$stderr"
}

@test "peers: every mechanism gets the exact sum of squares; dispatch rows per task" {
    run --separate-stderr timeout 60 "$BUILD/bench/peers" --start 100000 --count 6 --tasks 200 --reps 2
    assert_success # the program dies if a total differs from the closed form
    assert_line --index 0 "bench,mechanism,workers,items,median_ns,min_ns,max_ns,speedup,reps,cpu_s,speedup_q1,speedup_q3,one_cpu"
    printf '%s\n' "${lines[@]}" >"$BATS_TEST_TMPDIR/q.csv"
    csv_ok "$BATS_TEST_TMPDIR/q.csv" 13
    # serial runs on one thread: every batch on one CPU, where a task can tell (Linux)
    local known=0 serial_one=nan
    [ "$(uname -s)" != Linux ] || { known=1; serial_one='1\.000'; }
    assert_line --regexp "^sumsq,serial,[0-9]+,6,[0-9]+,[0-9]+,[0-9]+,1\\.000,2,[0-9.]+,1\\.000,1\\.000,$serial_one\$"
    # every sumsq speedup lies within its quartiles, and its share of batches on one CPU
    # within 0..1 where known ("nan" for the process pool, whose tasks run in other
    # processes); dispatch rows have neither
    awk -F, -v known="$known" '
        NR == 1 { next }
        $1 == "sumsq" && !($11 <= $8 && $8 <= $12) { print "outside q1..q3: " $0; bad = 1 }
        $1 == "sumsq" && (known && $2 !~ /^process_pool/ ? !(0 <= $13 && $13 <= 1) : $13 != "nan") {
            print "one_cpu: " $0; bad = 1 }
        $1 == "dispatch" && ($8 != "" || $11 != "" || $12 != "" || $13 != "") { print; bad = 1 }
        END { exit bad }' "$BATS_TEST_TMPDIR/q.csv"
    assert_line --regexp '^sumsq,pthreads,'
    if pkg-config --exists glib-2.0 2>/dev/null; then
        assert_line --regexp '^sumsq,gthreadpool,'
        assert_line --regexp '^dispatch,gthreadpool,[0-9]+,200,'
    fi
    assert_line --regexp '^dispatch,thread_pool_futures,[0-9]+,200,'
    assert_line --regexp '^dispatch,process_pool_async,[0-9]+,10,' # tasks / 20
    # cpu_s, the CPU seconds of one rep: a number, never negative (none on latency rows);
    # "nan" only for a process pool where its workers' CPU time cannot be read (not Linux). Every sumsq batch burned
    # some: the parallel ones (and serial) above zero.
    local linux=0
    [ "$(uname -s)" != Linux ] || linux=1
    awk -F, -v linux="$linux" '
        NR == 1 { next }
        $1 ~ /^latency/ { if ($10 != "") { print "cpu_s on a latency row: " $0; bad = 1 }; next }
        $10 == "nan" { if (linux || $2 !~ /^process_pool/) { print "cpu_s nan: " $0; bad = 1 }; next }
        $10 !~ /^[0-9]+(\.[0-9]+)?$/ { print "cpu_s not a number >= 0: " $0; bad = 1; next }
        $1 == "sumsq" && !($10 > 0) { print "a sumsq batch that burned no CPU: " $0; bad = 1 }
        END { exit bad }' "$BATS_TEST_TMPDIR/q.csv"
    [[ "$stderr" == *"sumsq    serial "*" cpu "*" ms"* ]] || fail "no cpu on the progress line: $stderr"
}

@test "peers_tbb: TBB's rows get the exact sum of squares, beside a serial row; dispatch per task" {
    need_peers_tbb
    run --separate-stderr timeout 60 "$BUILD/bench/peers_tbb" --workers 3 --start 100000 \
        --count 6 --tasks 200 --reps 2
    assert_success # the program dies if a total differs from the closed form
    assert_line --index 0 "bench,mechanism,workers,items,median_ns,min_ns,max_ns,speedup,reps,cpu_s,speedup_q1,speedup_q3,one_cpu"
    printf '%s\n' "${lines[@]}" >"$BATS_TEST_TMPDIR/t.csv"
    csv_ok "$BATS_TEST_TMPDIR/t.csv" 13
    assert_equal "$(awk -F, 'NR > 1 { print $1 "," $2 }' "$BATS_TEST_TMPDIR/t.csv" | tr '\n' ' ')" \
        "sumsq,serial sumsq,tbb_task_group sumsq,tbb_parallel_for dispatch,tbb_task_group dispatch,tbb_parallel_for "
    # batches on one CPU: serial's every one, TBB's a share (where a task can tell: Linux)
    local serial_one=nan share=nan
    [ "$(uname -s)" != Linux ] || { serial_one='1\.000'; share='(0\.[0-9]{3}|1\.000)'; }
    assert_line --regexp "^sumsq,serial,3,6,[0-9]+,[0-9]+,[0-9]+,1\\.000,2,[0-9.]+,1\\.000,1\\.000,$serial_one\$"
    assert_line --regexp "^sumsq,tbb_task_group,3,6,([0-9]+,){3}[0-9]+\\.[0-9]{3},2,[0-9]+\\.[0-9]{6},[0-9.]+,[0-9.]+,$share\$"
    assert_line --regexp '^dispatch,tbb_parallel_for,3,200,([0-9]+\.[0-9],){3},2,[0-9]+\.[0-9]{6},,,$'
    # speedups within their quartiles; every sumsq batch burned some CPU
    awk -F, 'NR > 1 && $1 == "sumsq" && !($11 <= $8 && $8 <= $12 && $10 > 0) { print; bad = 1 }
             END { exit bad }' "$BATS_TEST_TMPDIR/t.csv"
    [[ "$stderr" == *"sumsq    tbb_parallel_for "*" cpu "*" ms"* ]] || fail "no progress line: $stderr"
    # one table alone
    run --separate-stderr timeout 60 "$BUILD/bench/peers_tbb" --only dispatch --tasks 200 --reps 1
    assert_success
    refute_output --regexp '(^|'$'\n'')sumsq,'
    assert_line --regexp '^dispatch,tbb_task_group,'
}

@test "peers_tbb --only granularity: granularity's sweep and CSV, TBB's rows reproduce serial's sums" {
    need_peers_tbb
    tiny_sweep peers_tbb --only granularity
    for size in 1000000 100000 10000; do
        assert_line --regexp "^tbb_task_group,$size,[0-9]+,3,[0-9]+,[0-9]+,[0-9]+,[0-9.]+,2$"
        assert_line --regexp "^tbb_parallel_for,$size,[0-9]+,3,[0-9]+,[0-9]+,[0-9]+,[0-9.]+,2$"
    done
    assert_equal "$(grep -c . "$BATS_TEST_TMPDIR/g.csv")" 10 # the header, 3 sizes x 3 rows
}

@test "peers_tbb: --help, and bad input is a usage error (exit 2)" {
    need_peers_tbb
    run --separate-stderr "$BUILD/bench/peers_tbb" --help
    assert_success
    assert_line --index 0 --partial "usage: peers_tbb "
    assert_equal "$stderr" ""
    for args in "--workers 0" "--count 0" "--tasks 5" "--start -1" "--reps" "--reps 2x" \
        "--group omp" "stray"; do
        run --separate-stderr timeout 10 "$BUILD/bench/peers_tbb" $args
        assert_usage_error ""
    done
    run --separate-stderr timeout 10 "$BUILD/bench/peers_tbb" --only granularity --min-us 10 --max-us 1
    assert_usage_error "--min-us"
    run --separate-stderr timeout 10 "$BUILD/bench/peers_tbb" --only both
    assert_usage_error "--only: expected sumsq, dispatch or granularity"
    [ "$(grep -c . <<<"$stderr")" -gt 1 ] && [[ "${stderr%%$'\n'*}" == "peers_tbb: --only: "* ]] ||
        fail "not one line naming the problem, then the usage: $stderr"
}

# ---- the Python twin of lesson 14 ----------------------------------------------------------

@test "sum_squares.py: every mode gets the closed-form total" {
    command -v python3 >/dev/null 2>&1 || skip "python3 is not installed"
    # sum of i*i below 1000, 1001, 1002: 332833500 + 333833500 + 334835501
    for mode in serial threads pool processes process-executor; do
        run timeout 60 python3 bench/python/sum_squares.py --mode "$mode" --workers 2 \
            --start 1000 --count 3
        assert_success
        assert_equal "${lines[-1]}" "RESULT tasks=3 total=1001502501 expected=1001502501 OK"
    done
    run --separate-stderr python3 bench/python/sum_squares.py --count 0
    assert_failure 2
}

# ---- the whole machinery on tiny sizes -----------------------------------------------------

@test "BENCH_SMOKE=1 scripts/bench.sh writes results, summary, headline and plots" {
    command -v hyperfine >/dev/null 2>&1 || skip "hyperfine is not installed (scripts/install-deps.sh bench)"
    command -v gnuplot >/dev/null 2>&1 || skip "gnuplot is not installed (scripts/install-deps.sh bench)"
    local res="$BATS_TEST_TMPDIR/results" ref="$BATS_TEST_TMPDIR/reference"
    cp -r "$FIXTURE" "$ref" # a reference run: the fixture, with its headline
    python3 scripts/benchstats.py summarize "$ref" >/dev/null
    run --separate-stderr env BENCH_SMOKE=1 BUILD="$BUILD" RESULTS="$res" \
        REFERENCE="$ref" timeout 180 scripts/bench.sh
    assert_success
    # progress on stderr, numbered; the summary and the comparison on stdout and in files
    [[ "$stderr" == *"[1/14] machine ..."* ]] || fail "no progress on stderr: $stderr"
    [[ "$stderr" == *"[11/14] http ..."* ]]
    [[ "$stderr" == *"[14/14] compare ..."* ]]
    assert_line --index 0 "# Benchmark summary: results"
    assert_equal "$output" "$(cat "$res/summary.md"; echo; cat "$res/compare.md")"
    assert_line --partial "headline figures reproduced the reference"
    for key in uname nproc cpu gcc hyperfine gnuplot loadavg peers; do
        grep -q "^$key: ." "$res/machine.txt" || fail "machine.txt has no $key"
    done
    csv_ok "$res/primitives.csv" 6
    csv_ok "$res/granularity.csv" 9
    csv_ok "$res/peers.csv" 13
    # oneTBB's rows beside OpenMP's where it is built, without a second serial row: the
    # serial batches they were paired with come back under names of their own
    if pkg-config --exists tbb 2>/dev/null; then
        for row in sumsq,tbb_task_group sumsq_small,tbb_parallel_for dispatch,tbb_task_group \
            dispatch,tbb_parallel_for sumsq,serial_tbb sumsq_small,serial_tbb; do
            grep -q "^$row," "$res/peers.csv" || fail "peers.csv has no $row row"
        done
        assert_equal "$(grep -c '^sumsq,serial,' "$res/peers.csv")" 1
        assert_equal "$(grep -c '^sumsq_small,serial,' "$res/peers.csv")" 1 # one process
        grep -q '^peers_tbb: tbb=yes' "$res/machine.txt" || fail "machine.txt: $(cat "$res/machine.txt")"
    else
        [[ "$stderr" == *"no oneTBB rows: "* ]] || fail "no word on the missing oneTBB: $stderr"
    fi
    if grep -q 'openmp=yes' "$BUILD/bench/peers.features"; then
        for row in sumsq_small,omp_task_passive sumsq_small,serial_omp_passive \
            sumsq_small,serial_omp_active; do
            grep -q "^$row," "$res/peers.csv" || fail "peers.csv has no $row row"
        done
        # granularity's too, each policy in a process of its own, with the serial rows
        for m in omp_task_passive omp_dynamic_passive omp_task_active omp_dynamic_active; do
            grep -q "^$m,10000," "$res/granularity.csv" || fail "granularity.csv has no $m row"
            grep -q "^$m,0\.8," "$res/metg.csv" || fail "metg.csv has no 80% row for $m"
        done
        for m in serial_omp_passive serial_omp_active; do
            grep -q "^$m,10000," "$res/granularity.csv" || fail "granularity.csv has no $m row"
        done
    fi
    if pkg-config --exists tbb 2>/dev/null; then
        for m in tbb_task_group tbb_parallel_for serial_tbb; do
            grep -q "^$m,10000," "$res/granularity.csv" || fail "granularity.csv has no $m row"
        done
        grep -q '^tbb_task_group,0\.8,' "$res/metg.csv" || fail "metg.csv has no 80% row for tbb_task_group"
    fi
    assert_equal "$(grep -c '^serial,10000,' "$res/granularity.csv")" 1
    ! grep -q '^serial' "$res/metg.csv" || fail "a serial row has a METG"
    # every measuring step has its row: the load, the share others used (0..1), the probe
    for step in primitives granularity peers sumsq mpi python downloads portscan server http; do
        grep -qE "^$step,[0-9]+,[0-9.]+,[0-9.]*,(settled|not settled),[01]\.[0-9]+(,[0-9]+\.[0-9]+){3}$" "$res/steps.csv" ||
            fail "no row for $step in steps.csv: $(cat "$res/steps.csv")"
    done
    # the commands compared took turns: two rounds of lesson 14, each with every command
    for r in 1 2; do
        nonempty "$res/hf/sumsq-$r.json"
        for cmd in serial/1 threads/2 pool/2 processes/2 threads-pinned/2; do
            grep -q "\"command\": \"$cmd\"" "$res/hf/sumsq-$r.json" || fail "round $r has no $cmd"
        done
    done
    assert_equal "$(sed -n 1p "$res/hf-sumsq.csv")" \
        "bench,mode,workers,median_s,q1_s,q3_s,min_s,max_s,runs,rounds,speedup,speedup_q1,speedup_q3,cpu_s,flag"
    # the headline: the promised names, value within its spread
    assert_equal "$(sed -n 1p "$res/headline.csv")" "name,value,unit,low,high,flag"
    for name in sumsq.cold.speedup.threads sumsq.warm.speedup.pool cpu.s.sumsq.processes \
        small.speedup.thread_pool dispatch.ns.thread_pool_futures cpu.s.peers.thread_pool \
        task.us.small.serial; do
        grep -q "^$name," "$res/headline.csv" || fail "headline.csv has no $name"
    done
    # where each task ran is known on Linux: the share of batches on one CPU is a figure
    if [ "$(uname -s)" = Linux ]; then
        grep -qE '^onecpu\.pct\.small\.thread_pool,[0-9.]+,%,' "$res/headline.csv" ||
            fail "headline.csv has no onecpu.pct.small.thread_pool"
    fi
    awk -F, 'NR > 1 && $4 != "" && !($4 <= $5) { print "low > high: " $0; bad = 1 } END { exit bad }' \
        "$res/headline.csv"
    # lesson 14 warm: each mode with 1..cores workers; MPI's ranks when OpenMPI is there
    csv_ok "$res/inprogram.csv" 15
    for mode in threads pool processes; do
        grep -qE "^$mode,$(nproc),0\.[0-9]+" "$res/inprogram.csv" || fail "no $mode row"
    done
    if [ -x "$BUILD/21_mpi_sum_squares" ] && command -v mpirun >/dev/null 2>&1; then
        assert_equal "$(($(wc -l <"$res/mpi.csv") - 1))" "$(nproc)" # ranks 1..cores
        nonempty "$res/hf/sumsqmpi-1.json"
    else
        [ ! -e "$res/mpi.csv" ]
    fi
    # the server: the smoke profile's workers 1 and 2, two turns each
    assert_equal "$(awk -F, 'NR > 1 { print $1 "," $7 }' "$res/server-rps.csv" | tr '\n' ' ')" "1,2 2,2 "
    # HTTP under wrk (when wrk is installed): the smoke profile's 10 connections, one round,
    # lesson 20 with 1 and 2 workers, both Pythons; nginx and the event-loop lesson when there
    if command -v wrk >/dev/null 2>&1; then
        local servers="pool,1 pool,2 python,0 python_nodelay,0" s
        [ ! -x "$BUILD/23_event_loop" ] || servers+=" eventloop,0"
        if PATH=$PATH:/usr/sbin command -v nginx >/dev/null 2>&1; then
            servers+=" nginx,1"
        else
            [[ "$stderr" == *"skipped: nginx: not installed"* ]] || fail "no word on nginx: $stderr"
        fi
        [ -x "$BUILD/23_event_loop" ] ||
            [[ "$stderr" == *"skipped: eventloop: $BUILD/23_event_loop is not built"* ]] ||
            fail "no word on the event-loop lesson: $stderr"
        csv_ok "$res/http-samples.csv" 9
        assert_equal "$(sed -n 1p "$res/http-samples.csv")" \
            "server,workers,connections,round,rps,p50_ms,p99_ms,errors,mean_ms"
        assert_equal "$(awk -F, 'NR > 1 { print $1 "," $2 }' "$res/http-samples.csv" | sort | tr '\n' ' ')" \
            "$(tr ' ' '\n' <<<"$servers" | sort | tr '\n' ' ')"
        # every run: 10 connections, round 1, some requests/s, p50 <= p99, errors counted
        awk -F, 'NR > 1 && !($3 == 10 && $4 == 1 && $5 > 0 && $6 <= $7 && $8 ~ /^[0-9]+$/ && $9 > 0) {
                     print "bad sample: " $0; bad = 1 } END { exit bad }' "$res/http-samples.csv"
        csv_ok "$res/http.csv" 20
        csv_ok "$res/http-servers.csv" 3
        # every server answered the same page as lesson 20 (the event-loop lesson its own)
        assert_equal "$(awk -F, 'NR > 1 && $1 != "eventloop" { print $3 }' "$res/http-servers.csv" | sort -u | wc -l)" 1
        for s in $servers; do
            s=${s%,*}
            for figure in rps p99.ms errors; do
                grep -q "^http\.$figure\.$s\.c10," "$res/headline.csv" || fail "headline.csv has no http.$figure.$s.c10"
            done
        done
        # wrk's own reports kept, one per sample
        assert_equal "$(find "$res/wrk" -name '*-c10-r1.txt' | wc -l)" "$(($(wc -l <"$res/http-samples.csv") - 1))"
        grep -q '^## HTTP servers under wrk' "$res/summary.md" || fail "no HTTP section"
        nonempty "$res/plots/http.png" "$res/plots/http.svg"
        # (every server stopped cleanly, exit status 0, or the step would have failed)
    fi
    # the plots, in the results folder
    for name in speedup-sumsq speedup-mpi time-sumsq time-downloads time-portscan granularity \
        primitives c-vs-python peers server-rps; do
        nonempty "$res/plots/$name.png" "$res/plots/$name.svg"
    done
    if grep -q '=yes' "$BUILD/bench/peers.features"; then # a peer in granularity.csv
        nonempty "$res/plots/granularity-peers.png" "$res/plots/granularity-peers.svg"
    fi
}

@test "a run writes nothing that git tracks" {
    command -v hyperfine >/dev/null 2>&1 || skip "hyperfine is not installed (scripts/install-deps.sh bench)"
    git rev-parse --is-inside-work-tree >/dev/null 2>&1 || skip "not a git checkout"
    before=$(git status --porcelain)
    # the default RESULTS (bench/results/<host>-<date>) and plots, as `make bench` runs it
    run --separate-stderr env BENCH_SMOKE=1 BUILD="$BUILD" \
        BENCH_STEPS="machine primitives summary plots compare" timeout 60 scripts/bench.sh
    assert_success
    dir=$(sed -n 's/^bench: done in .*; results in //p' <<<"$stderr")
    [ -d "$dir" ] || fail "no results folder named: $stderr"
    rm -rf "$dir"
    assert_equal "$(git status --porcelain)" "$before"
}

@test "a program not built fails its step with a message, the other steps still run" {
    # A BUILD folder with only the bench programs: no lessons 14, 20, 21.
    mkdir -p "$BATS_TEST_TMPDIR/b/bench"
    cp "$BUILD/bench/primitives" "$BATS_TEST_TMPDIR/b/bench/"
    run --separate-stderr env BENCH_SMOKE=1 BUILD="$BATS_TEST_TMPDIR/b" RESULTS="$BATS_TEST_TMPDIR/r" \
        PLOTS= BENCH_STEPS="primitives mpi server summary" timeout 60 scripts/bench.sh
    assert_failure 1
    [[ "$stderr" == *"$BATS_TEST_TMPDIR/b/14_sum_squares is not built"*"FAILED: mpi"* ]] ||
        fail "no message for the mpi step: $stderr"
    [[ "$stderr" == *"$BATS_TEST_TMPDIR/b/20_server is not built"*"FAILED: server"* ]] ||
        fail "no message for the server step: $stderr"
    nonempty "$BATS_TEST_TMPDIR/r/primitives.csv"
    [ ! -e "$BATS_TEST_TMPDIR/r/server-samples.csv" ]
}

@test "without wrk the http step is skipped with a message; without lesson 20 it fails" {
    # a PATH with no wrk (and no nginx): the tools the bench needs, linked one by one
    mkdir -p "$BATS_TEST_TMPDIR/bin"
    local tool
    for tool in bash awk sed grep cat date mkdir rm mktemp cut tail head nproc hostname seq \
        sort tr tac wc sleep env timeout dirname; do
        ln -s "$(command -v "$tool")" "$BATS_TEST_TMPDIR/bin/$tool"
    done
    # python3 itself, not a version manager's shim that needs its own PATH
    ln -s "$(python3 -c 'import sys; print(sys.executable)')" "$BATS_TEST_TMPDIR/bin/python3"
    run --separate-stderr env PATH="$BATS_TEST_TMPDIR/bin" BENCH_SMOKE=1 BUILD="$BUILD" \
        RESULTS="$BATS_TEST_TMPDIR/r" PLOTS= BENCH_STEPS="http summary" timeout 60 scripts/bench.sh
    assert_success
    [[ "$stderr" == *"skipped: http: no wrk (scripts/install-deps.sh bench)"* ]] ||
        fail "no message for the missing wrk: $stderr"
    [ ! -e "$BATS_TEST_TMPDIR/r/http-samples.csv" ]
    refute_output --partial "## HTTP servers"
    command -v wrk >/dev/null 2>&1 || skip "wrk is not installed (scripts/install-deps.sh bench)"
    mkdir -p "$BATS_TEST_TMPDIR/b"
    run --separate-stderr env BENCH_SMOKE=1 BUILD="$BATS_TEST_TMPDIR/b" RESULTS="$BATS_TEST_TMPDIR/r2" \
        PLOTS= BENCH_STEPS="http" timeout 60 scripts/bench.sh
    assert_failure 1
    [[ "$stderr" == *"$BATS_TEST_TMPDIR/b/20_server is not built"*"FAILED: http"* ]] ||
        fail "no message for the http step: $stderr"
}

@test "http_server.py answers GET / over keep-alive, 404 elsewhere, and stops on SIGTERM" {
    command -v python3 >/dev/null 2>&1 || skip "python3 is not installed"
    command -v curl >/dev/null 2>&1 || skip "curl is not installed (scripts/install-deps.sh test)"
    printf 'twelve bytes' >"$BATS_TEST_TMPDIR/body"
    local flag
    for flag in "" --nodelay; do
        # --foreground: the SIGTERM below reaches python once (without it timeout forwards it
        # to the child and again to the child's process group)
        timeout --foreground 30 python3 bench/python/http_server.py --port 0 --body "$BATS_TEST_TMPDIR/body" \
            $flag >"$BATS_TEST_TMPDIR/out" 2>&1 &
        local pid=$! port='' i
        for i in $(seq 100); do
            port=$(sed -n 's/^LISTENING port=\([0-9]*\) .*/\1/p' "$BATS_TEST_TMPDIR/out")
            [ -z "$port" ] || break
            sleep 0.05
        done
        [ -n "$port" ] || fail "no LISTENING line: $(cat "$BATS_TEST_TMPDIR/out")"
        # two requests on one connection (curl says when it reuses it), then a 404
        run --separate-stderr timeout 10 curl -sv "http://127.0.0.1:$port/" "http://127.0.0.1:$port/"
        assert_success
        assert_output "twelve bytestwelve bytes"
        [[ "$stderr" == *"Re-using existing connection"* ]] || [[ "$stderr" == *"Reusing existing"* ]] ||
            fail "the connection was not kept alive: $stderr"
        run timeout 10 curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/nothing"
        assert_output 404
        kill -TERM "$pid"
        wait "$pid"
        assert_equal "$(tail -n 1 "$BATS_TEST_TMPDIR/out")" "RESULT answered=2 OK"
        grep -q "nodelay=$([ -n "$flag" ] && echo yes || echo no) body=12" "$BATS_TEST_TMPDIR/out"
    done
}

@test "without lesson 21 the mpi step measures lesson 14 alone and says why" {
    mkdir -p "$BATS_TEST_TMPDIR/b"
    cp "$BUILD/14_sum_squares" "$BATS_TEST_TMPDIR/b/"
    run --separate-stderr env BENCH_SMOKE=1 BUILD="$BATS_TEST_TMPDIR/b" RESULTS="$BATS_TEST_TMPDIR/r" \
        PLOTS= BENCH_STEPS="mpi summary" timeout 60 scripts/bench.sh
    assert_success
    [[ "$stderr" == *"skipped: MPI: "*"lesson 14 in-program only"* ]] || fail "no MPI message: $stderr"
    csv_ok "$BATS_TEST_TMPDIR/r/inprogram.csv" 15
    [ ! -e "$BATS_TEST_TMPDIR/r/mpi.csv" ]
    assert_line --partial "No MPI figures: OpenMPI or lesson 21 was missing"
}

@test "BENCH_STEPS runs only the steps named, and refuses an unknown one" {
    run --separate-stderr env BENCH_SMOKE=1 BUILD="$BUILD" RESULTS="$BATS_TEST_TMPDIR/r" PLOTS= \
        BENCH_STEPS="machine primitives summary" timeout 60 scripts/bench.sh
    assert_success
    [[ "$stderr" == *"[3/3] summary ..."* ]] || fail "expected three steps: $stderr"
    nonempty "$BATS_TEST_TMPDIR/r/primitives.csv"
    [ ! -e "$BATS_TEST_TMPDIR/r/granularity.csv" ]
    run --separate-stderr env BENCH_STEPS="machine frobnicate" RESULTS="$BATS_TEST_TMPDIR/r" scripts/bench.sh
    assert_failure 2
    [[ "$stderr" == *"unknown step 'frobnicate'"* ]]
}
