# 14_sum_squares: every mode must get every sum exact (checked by the lesson against the
# closed form, and here against totals computed independently in Python:
# sum((n-1)*n*(2*n-1)//6 for n in range(start, start+count))). Speedups are printed, never
# asserted: no timing thresholds in tests. --kill-one must report the dead worker by its
# signal and still finish exact; bad input exits 2. Each run's time is listed, and every
# MODE line carries first=, cpu= and pinned=, which must tell the truth: --pin says
# pinned=yes, or says on stderr why not (a failing pin is simulated with LD_PRELOAD).
# Then ASan, valgrind (parent and the forked workers), helgrind and ThreadSanitizer on
# small sizes, --pin included.
load helper

LESSON=14_sum_squares
SMALL=(--start 50000 --count 8)
SMALL_TOTAL=333393339000196
SECONDS_RE='[0-9]+\.[0-9]{6}'
# cpu= is a number; only the process pool's workers' clocks need Linux, elsewhere n/a
cpu_re() {
    if [ "$1" = processes ] && [ "$(uname -s)" != Linux ]; then
        echo "(n/a|$SECONDS_RE)"
    else
        echo "$SECONDS_RE"
    fi
}

setup_file() {
    build "$BUILD/$LESSON"
}

# point= of a run: n/a unless serial ran beside a mode of 2+ workers on 2+ CPUs; then, on a
# serial run under 10 ms (SMALL's, or smaller), untrusted: too short to show anything.
point_of_tiny_run() {
    local modes=$1 workers=$2
    if [[ "$modes" == serial,* ]] && [ "$workers" -ge 2 ] && [ "$(nproc)" -ge 2 ]; then
        echo untrusted
    else
        echo n/a
    fi
}

# The verdict of a run of the given modes on SMALL, and one exact MODE line per mode;
# pinned=no unless the third argument allows more (serial is never pinned).
assert_small_ok() {
    local modes=$1 workers=$2 pinned=${3:-no}
    assert_success
    assert_equal "${lines[-1]}" "RESULT tasks=8 total=$SMALL_TOTAL expected=$SMALL_TOTAL modes=$modes point=$(point_of_tiny_run "$modes" "$workers") OK"
    local m
    for m in ${modes//,/ }; do
        local w=$workers p=$pinned
        [ "$m" = serial ] && w=1 p=no
        assert_line --regexp "^MODE name=$m workers=$w seconds=$SECONDS_RE speedup=(n/a|[0-9]+\.[0-9]{2}) exact=8/8 first=$SECONDS_RE cpu=$(cpu_re "$m") pinned=$p\$"
    done
}

# Each mode's "runs:" line against its MODE line: seconds= is the median of the runs
# listed and first= the first of them, up to the rounding of the runs to 0.01 ms.
assert_runs_match() {
    local m line mode_line sorted
    local -a ms
    for m in "$@"; do
        line=$(printf '%s\n' "${lines[@]}" | grep -E "^  $m +runs:") || fail "no runs: for $m"
        mode_line=$(printf '%s\n' "${lines[@]}" | grep "^MODE name=$m ") || fail "no MODE for $m"
        read -r -a ms <<<"${line#*runs:}"
        unset 'ms[-1]' # "ms"
        sorted=$(printf '%s\n' "${ms[@]}" | sort -g | tr '\n' ' ')
        awk -v first="${ms[0]}" -v sorted="$sorted" -v line="$mode_line" 'BEGIN {
            n = split(sorted, v, " ")
            mid = n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
            match(line, /seconds=[0-9.]+/); s = substr(line, RSTART + 8, RLENGTH - 8) * 1e3
            match(line, /first=[0-9.]+/); f = substr(line, RSTART + 6, RLENGTH - 6) * 1e3
            exit !(mid - s < 0.006 && s - mid < 0.006 && first - f < 0.006 && f - first < 0.006)
        }' || fail "$m: seconds= or first= do not match the runs listed: $line / $mode_line"
    done
}

@test "each mode alone is exact, with 1 to 4 workers" {
    for mode in serial threads pool processes; do
        for workers in 1 2 3 4; do
            run_lesson 30 "$LESSON" --mode "$mode" --workers "$workers" "${SMALL[@]}"
            assert_small_ok "$mode" "$workers"
        done
    done
    # alone, a mode has no serial run to compare with
    run_lesson 30 "$LESSON" --mode processes "${SMALL[@]}"
    assert_line --regexp '^MODE name=processes .* speedup=n/a exact=8/8 '
}

@test "all (the default mode): a table, the Python figures, four MODE lines in order" {
    run_lesson 60 "$LESSON" --workers 2 "${SMALL[@]}"
    assert_small_ok serial,threads,pool,processes 2
    assert_line --regexp '^  mode +workers +seconds +cpu +speedup +pinned +exact$'
    assert_line --partial "serial 7.1 s,"
    assert_line --partial "multiprocessing.Pool 2.3 s"
    [[ "${lines[-5]}" == "MODE name=serial "* && "${lines[-4]}" == "MODE name=threads "* &&
        "${lines[-3]}" == "MODE name=pool "* && "${lines[-2]}" == "MODE name=processes "* ]] ||
        fail "MODE lines out of order: ${lines[*]: -5}"
    assert_line --regexp '^MODE name=serial workers=1 seconds=[0-9.]+ speedup=1\.00 exact=8/8 first=[0-9.]+ cpu=[0-9.]+ pinned=no$'
    assert_line --regexp '^process pool: 2 workers forked and ready in [0-9.]+ ms; an empty task.s round trip takes [0-9.]+ us'
    # scripts/bench.sh reads seconds= with this very sed: it must still find all four
    local -a secs
    mapfile -t secs < <(sed -n 's/^MODE name=[a-z]* workers=[0-9]* seconds=\([0-9.]*\) .*/\1/p' <<<"$output")
    assert_equal "${#secs[@]}" 4
    [[ "${secs[*]}" =~ ^([0-9]+\.[0-9]{6}\ ?){4}$ ]] || fail "sed found: ${secs[*]}"
}

@test "serial timed on a CPU shared with a busy loop: the lesson doubts its speedups" {
    command -v taskset >/dev/null 2>&1 || skip "no taskset (util-linux)"
    # One CPU for the lesson and for a loop that never sleeps: the scheduler shares it about
    # evenly, so serial gets about half of a CPU while it is timed, far below the 80% the
    # lesson wants before it believes a speedup.
    taskset -c 0 sh -c 'while :; do :; done' 3>&- &
    local hog=$!
    # 8 numbers near 2,000,000: each serial run lasts several of the scheduler's time slices
    run timeout 60 taskset -c 0 "$BUILD/$LESSON" --mode all --workers 2 --runs 3 \
        --start 2000000 --count 8
    kill "$hog"
    assert_success
    assert_line --index -1 --regexp '^RESULT tasks=8 total=[0-9]+ expected=[0-9]+ modes=serial,threads,pool,processes point=untrusted OK$'
    assert_line --regexp '^  Doubt: serial had [0-9]+% of a CPU while it was timed\. These speedups cannot be trusted: run it again on a quiet machine\.$'
}

@test "confined to one CPU, the workers cannot run at once: the point is never claimed" {
    command -v taskset >/dev/null 2>&1 || skip "no taskset (util-linux)"
    [ "$(nproc --all)" -ge 2 ] || skip "one CPU: the point is n/a whatever the run"
    # every thread and worker process inherits the one-CPU affinity, while the lesson still
    # counts every CPU online: shown or not-shown would be a conclusion the run cannot carry
    run timeout 60 taskset -c 0 "$BUILD/$LESSON" --workers 2 --runs 1
    assert_success
    assert_line --index -1 --regexp ' point=untrusted OK$'
    assert_line --regexp '^  Doubt: .*\. These speedups cannot be trusted: run it again on a quiet machine\.$'
}

@test "the point: n/a with one worker or one mode; a run too short to time is untrusted" {
    run_lesson 30 "$LESSON" --workers 1 "${SMALL[@]}"
    assert_success
    assert_line '  The point needs serial and a mode with 2+ workers on 2+ CPUs: n/a here.'
    assert_line --index -1 --regexp ' point=n/a OK$'
    [ "$(nproc)" -ge 2 ] || skip "one CPU: the point is n/a whatever the run"
    run_lesson 30 "$LESSON" --workers 2 "${SMALL[@]}"
    assert_success
    assert_line --regexp '^  Doubt: serial took under 10 ms, too short to compare\. These speedups cannot be trusted'
    assert_line --index -1 --regexp ' point=untrusted OK$'
    refute_line --partial "The point, concurrency pays"
}

@test "--runs N: a line of exactly N run times per mode; seconds is their median, first the first" {
    local n m
    for n in 1 3 4; do
        run_lesson 60 "$LESSON" --workers 2 --runs "$n" "${SMALL[@]}"
        assert_small_ok serial,threads,pool,processes 2
        for m in serial threads pool processes; do
            assert_line --regexp "^  $m +runs:( [0-9]+\.[0-9]{2}){$n} ms\$"
        done
        assert_runs_match serial threads pool processes
    done
    run_lesson 30 "$LESSON" --mode threads --workers 2 "${SMALL[@]}"
    assert_line --regexp '^  threads +runs: [0-9]+\.[0-9]{2} ms$' # one mode alone: one run
}

# point= of a run long enough to time: shown, or untrusted with the doubt that says why;
# timing decides which, never a wrong claim (a speedup called shown is said beside it).
point_of_timed_run() {
    if printf '%s\n' "${lines[@]}" | grep -q '^  Doubt: '; then
        echo untrusted
    else
        assert_line --regexp '^  The point, concurrency pays on CPU-bound work: shown \((threads|pool|processes) [0-9.]+x with 2 workers\)\.$'
        echo shown
    fi
}

@test "the classroom default: the tutorial's 20 numbers from 5,000,000, exact" {
    run_lesson 60 "$LESSON" --workers 2 --runs 1
    assert_success
    local point
    point=$(point_of_timed_run)
    assert_equal "${lines[-1]}" \
        "RESULT tasks=20 total=833337833344750010830 expected=833337833344750010830 modes=serial,threads,pool,processes point=$point OK"
    assert_line --partial "for 20 numbers n = 5000000 .. 5000019"
}

@test "edge sizes: one number, n = 0, chunks bigger than the input and uneven ones" {
    run_lesson 30 "$LESSON" --start 0 --count 1
    assert_success
    assert_equal "${lines[-1]}" "RESULT tasks=1 total=0 expected=0 modes=serial,threads,pool,processes point=$(point_of_tiny_run serial, "$(nproc)") OK"
    run_lesson 30 "$LESSON" --start 1 --count 1 --workers 4
    assert_success
    assert_equal "${lines[-1]}" "RESULT tasks=1 total=0 expected=0 modes=serial,threads,pool,processes point=$(point_of_tiny_run serial, 4) OK"
    for chunk in 3 7 100; do
        run_lesson 30 "$LESSON" --start 50000 --count 10 --chunk "$chunk" --workers 3
        assert_success
        assert_equal "${lines[-1]}" \
            "RESULT tasks=10 total=416766678750540 expected=416766678750540 modes=serial,threads,pool,processes point=$(point_of_tiny_run serial, 3) OK"
    done
}

@test "--kill-one: the worker's death is reported by its signal, nothing hangs, totals exact" {
    # big enough tasks (~3 ms) that the worker is still busy when the signal lands
    run_lesson 60 "$LESSON" --mode processes --kill-one --start 5000000 --count 4 --workers 2
    assert_success
    assert_line --regexp '^kill-one: SIGKILL to worker 0 \(pid [0-9]+\) while it holds a task$'
    assert_output --regexp 'worker 0 \(pid [0-9]+\) killed by signal 9 \(Killed\)'
    assert_equal "${lines[-1]}" \
        "RESULT tasks=4 total=166666766666710000006 expected=166666766666710000006 modes=processes point=n/a OK"
    run_lesson 60 "$LESSON" --kill-one --start 5000000 --count 4 --workers 2 --runs 1
    assert_success
    assert_output --regexp 'killed by signal 9 \(Killed\)'
    assert_equal "${lines[-1]}" \
        "RESULT tasks=4 total=166666766666710000006 expected=166666766666710000006 modes=serial,threads,pool,processes point=$(point_of_timed_run) OK"
}

@test "bad input: one line naming the problem, the usage, exit 2" {
    local bad
    for bad in "--workers 0" "--workers x" "--workers 257" "--start -1" "--start 1000000001" \
        "--start 99999999999999999999" "--count 0" "--count 1e3" "--chunk 0" "--runs 0" \
        "--mode bogus"; do
        # shellcheck disable=SC2086 # split "--flag value" on purpose
        run --separate-stderr "$BUILD/$LESSON" $bad
        assert_usage_error "${bad%% *}"
    done
    run --separate-stderr "$BUILD/$LESSON" --mode serial --kill-one
    assert_usage_error "--kill-one needs --mode processes or all"
    run --separate-stderr "$BUILD/$LESSON" --pin --kill-one
    assert_usage_error "--pin and --kill-one do not mix"
    run --separate-stderr "$BUILD/$LESSON" --pin=yes
    assert_equal "$status" 2
    run --separate-stderr "$BUILD/$LESSON" stray
    assert_usage_error 'unexpected argument "stray"'
    run --separate-stderr "$BUILD/$LESSON" --frobnicate
    assert_equal "$status" 2
    # shellcheck disable=SC2154 # bats sets $stderr for run --separate-stderr
    [[ "$stderr" == *"usage: "* ]] || fail "no usage on stderr: $stderr"
    run "$BUILD/$LESSON" --help
    assert_success
    assert_line --index 0 --partial "usage: $LESSON [--mode all|serial|threads|pool|processes]"
    assert_line --regexp '^  --pin +pin worker k to CPU k mod the CPUs online'
}

# Where every online CPU may be used (the usual case), every pin must hold: a --pin that
# did nothing would print pinned=no and fail here. Where affinity or a cpuset forbids some
# CPU, pinned=no is the honest answer, and then stderr must say so for that mode.
@test "--pin: exact in every mode; pinned=yes, or pinned=no with the reason on stderr" {
    local online allowed=""
    online=$(getconf _NPROCESSORS_ONLN)
    if [ -r /proc/self/status ]; then
        allowed=$(awk '/^Cpus_allowed_list:/ { print $2 }' /proc/self/status)
    fi
    local all_cpus="0-$((online - 1))"
    [ "$online" -eq 1 ] && all_cpus=0
    local workers m
    for workers in 1 2 3; do
        run --separate-stderr timeout 60 "$BUILD/$LESSON" --pin --workers "$workers" "${SMALL[@]}"
        assert_small_ok serial,threads,pool,processes "$workers" '(yes|no)'
        for m in threads pool processes; do
            if [ "$(uname -s)" = Linux ] && [ "$allowed" = "$all_cpus" ]; then
                assert_line --regexp "^MODE name=$m .* pinned=yes\$"
            elif grep -q "^MODE name=$m .* pinned=no\$" <<<"$output"; then
                [[ "$stderr" == *"--pin: $m: cannot pin"* ]] ||
                    fail "$m says pinned=no without a reason on stderr: $stderr"
            fi
        done
        [[ "$allowed" != "$all_cpus" ]] || assert_equal "$stderr" ""
        assert_line --regexp '^  threads +[0-9]+ .* (yes|no) +8/8$'
    done
    run_lesson 30 "$LESSON" --pin --mode processes --workers 2 "${SMALL[@]}"
    assert_small_ok processes 2 '(yes|no)'
}

# A pin the system refuses (simulated: both affinity calls fail with EINVAL) must not be
# claimed: pinned=no in every mode, one line per mode on stderr, the sums still exact.
@test "--pin refused: pinned=no and one stderr line per mode, still exact" {
    [ "$(uname -s)" = Linux ] || skip "the affinity calls are Linux's"
    local shim="$BATS_FILE_TMPDIR/nopin.so"
    printf '%s\n' '#define _GNU_SOURCE' '#include <errno.h>' '#include <pthread.h>' \
        '#include <sched.h>' \
        'int pthread_setaffinity_np(pthread_t t, size_t n, const cpu_set_t *s)' \
        '{ (void)t, (void)n, (void)s; return EINVAL; }' \
        'int sched_setaffinity(pid_t p, size_t n, const cpu_set_t *s)' \
        '{ (void)p, (void)n, (void)s; errno = EINVAL; return -1; }' >"$shim.c"
    "${CC:-cc}" -shared -fPIC -o "$shim" "$shim.c" || skip "cannot build a shared object"
    LD_PRELOAD=$shim run --separate-stderr timeout 60 "$BUILD/$LESSON" --pin --workers 2 \
        "${SMALL[@]}"
    assert_small_ok serial,threads,pool,processes 2 no
    local m
    for m in threads pool processes; do
        [[ "$stderr" == *"--pin: $m: cannot pin (Invalid argument): at least one worker ran unpinned; pinned=no"* ]] ||
            fail "no stderr line for $m: $stderr"
    done
    assert_equal "$(grep -c -- '--pin: ' <<<"$stderr")" 3
}

@test "ASan+UBSan: every mode and --kill-one, no error, no leak" {
    build_sanitized asan "$LESSON"
    run timeout 60 "$BUILD/asan/$LESSON" --workers 2 "${SMALL[@]}"
    assert_small_ok serial,threads,pool,processes 2
    refute_output --regexp "(WARNING|ERROR|SUMMARY): [A-Za-z]*Sanitizer|runtime error"
    # the lesson knows it was built with the sanitizer, and doubts its own timings
    [ "$(nproc)" -lt 2 ] || assert_line --regexp '^  Doubt: AddressSanitizer slows every thread its own way\.'
    run timeout 60 "$BUILD/asan/$LESSON" --mode processes --kill-one --start 5000000 --count 4
    assert_success
    refute_output --regexp "(WARNING|ERROR|SUMMARY): [A-Za-z]*Sanitizer|runtime error"
}

# The forked workers run under memcheck too (--trace-children, --child-silent-after-fork=no):
# an error in one makes it exit 99, which pp_join reports and the verdict turns into FAIL.
@test "valgrind memcheck, parent and workers: no error, no leak" {
    need_valgrind
    run timeout 120 valgrind -q --trace-children=yes --child-silent-after-fork=no \
        --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect,possible \
        "$BUILD/$LESSON" --workers 2 --runs 1 "${SMALL[@]}"
    assert_small_ok serial,threads,pool,processes 2
    refute_output --regexp '^==[0-9]+=='
}

@test "helgrind and ThreadSanitizer: threads and pool modes are race-free" {
    need_valgrind
    run timeout 120 valgrind -q --tool=helgrind --error-exitcode=99 "$BUILD/$LESSON" \
        --workers 2 --runs 1 "${SMALL[@]}"
    assert_small_ok serial,threads,pool,processes 2
    refute_output --regexp '^==[0-9]+=='
    build_sanitized tsan "$LESSON"
    TSAN_OPTIONS="halt_on_error=1 exitcode=66" run timeout 60 "$BUILD/tsan/$LESSON" \
        --workers 3 "${SMALL[@]}"
    assert_small_ok serial,threads,pool,processes 3
    refute_output --partial "WARNING: ThreadSanitizer"
}

@test "helgrind and ThreadSanitizer: --pin is race-free too" {
    need_valgrind
    local mode
    for mode in threads pool; do
        run timeout 120 valgrind -q --tool=helgrind --error-exitcode=99 "$BUILD/$LESSON" \
            --pin --mode "$mode" --workers 2 --runs 2 "${SMALL[@]}"
        assert_small_ok "$mode" 2 '(yes|no)'
        refute_output --regexp '^==[0-9]+=='
    done
    build_sanitized tsan "$LESSON"
    TSAN_OPTIONS="halt_on_error=1 exitcode=66" run timeout 60 "$BUILD/tsan/$LESSON" \
        --pin --workers 3 --runs 3 "${SMALL[@]}"
    assert_small_ok serial,threads,pool,processes 3 '(yes|no)'
    refute_output --partial "WARNING: ThreadSanitizer"
}

# sum_squares.h explains why the compiler cannot turn the loop into the closed form; this
# keeps it true. The loop over i is a short backward branch with a multiply inside (gcc and
# clang at -O2 give 6 to 8 instructions, under 48 bytes; clang also unrolls it, then keeps
# this short loop for the remainder). The closed form has multiplies but no such loop.
@test "the kernel is a real loop in the binary, not the closed form, within one cache line" {
    command -v objdump >/dev/null || skip "objdump is not installed"
    [ "$(uname -m)" = x86_64 ] || skip "the instruction names checked are x86-64's"
    run bash -c "objdump -d --no-show-raw-insn '$BUILD/$LESSON' |
        awk '/<sum_tasks>:/ { f = 1; next } /^[0-9a-f]+ <.*>:\$/ { f = 0 } f'"
    assert_success
    local -a addrs=() insns=()
    local line loops=0 i j
    local -a straddles=()
    while read -r line; do
        [[ "$line" =~ ^([0-9a-f]+):[[:space:]]+(.*)$ ]] || continue
        addrs+=($((16#${BASH_REMATCH[1]})))
        insns+=("${BASH_REMATCH[2]}")
    done <<<"$output"
    for i in "${!insns[@]}"; do
        [[ "${insns[i]}" =~ ^j[a-z]+[[:space:]]+([0-9a-f]+)[[:space:]] ]] || continue
        local target=$((16#${BASH_REMATCH[1]}))
        ((target < addrs[i] && addrs[i] - target <= 48)) || continue
        for j in "${!insns[@]}"; do
            if ((addrs[j] >= target && addrs[j] < addrs[i])) && [[ "${insns[j]}" == imul* ]]; then
                loops=$((loops + 1))
                # A loop of up to 32 bytes fits in one 64-byte line, and the Makefile's
                # ALIGN puts it there: across two, this one ran 2x slower on an AMD EPYC.
                local end=$((i + 1 < ${#addrs[@]} ? addrs[i + 1] : addrs[i] + 2))
                if ((end - target <= 32 && target / 64 != (end - 1) / 64)); then
                    straddles+=("$(printf '%x-%x' "$target" "$end")")
                fi
                break
            fi
        done
    done
    ((loops > 0)) || fail "no short loop with a multiply in sum_tasks: $output"
    ((${#straddles[@]} == 0)) || fail "the kernel's loop straddles a 64-byte line: ${straddles[*]}"
}

# ---- a stopped worker: every wait is bounded ----------------------------------------------
# The lesson runs in the background here, so these tests bound it themselves (bounded_wait)
# instead of through timeout, whose process would stand between us and the lesson's pid.

# The pid of the lesson's first worker process, once it has one (at most 5 s).
first_worker_of() {
    local w
    for _ in $(seq 100); do
        w=$(pgrep -P "$1" | head -n 1)
        [ -n "$w" ] && { echo "$w"; return; }
        sleep 0.05
    done
}

# bounded_wait PID SECONDS: sets WAIT_STATUS to its exit status, or fails (and kills it) if
# it runs longer. (Not in $(...): a subshell cannot wait for our child.)
bounded_wait() {
    local pid=$1 limit=$2
    for _ in $(seq $((limit * 10))); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        pkill -KILL -P "$pid" 2>/dev/null || true
        kill -KILL "$pid" 2>/dev/null || true
        fail "pid $pid still running after $limit s"
    fi
    WAIT_STATUS=0
    wait "$pid" || WAIT_STATUS=$?
}

# ended PID: gone, or a zombie waiting for init to reap it.
ended() {
    local state
    state=$(ps -o stat= -p "$1" 2>/dev/null || true)
    [[ -z "$state" || "$state" == Z* ]]
}

@test "a stopped worker: the lesson says so within --timeout and ends STUCK, no worker left" {
    "$BUILD/$LESSON" --mode processes --workers 2 --count 1500 --start 3000000 --runs 1 \
        --timeout 2 >"$BATS_TEST_TMPDIR/out" 2>&1 3>&- &
    local lesson=$! w
    w=$(first_worker_of "$lesson")
    [ -n "$w" ] || fail "no worker process appeared"
    kill -STOP "$w"
    bounded_wait "$lesson" 30
    assert_equal "$WAIT_STATUS" 3
    run cat "$BATS_TEST_TMPDIR/out"
    assert_line --regexp '^processes: [0-9]+ task\(s\) got no answer within --timeout 2 s'
    assert_line --regexp '^RESULT mode=processes unanswered=[0-9]+ timeout=2s STUCK$'
    ended "$w" || fail "worker $w is still there"
}

@test "a killed lesson takes its workers along, a stopped one too (Linux)" {
    [ "$(uname -s)" = Linux ] || skip "PR_SET_PDEATHSIG is Linux only"
    "$BUILD/$LESSON" --mode processes --workers 2 --count 1500 --start 3000000 --runs 1 \
        >/dev/null 2>&1 3>&- &
    local lesson=$! w
    w=$(first_worker_of "$lesson")
    [ -n "$w" ] || fail "no worker process appeared"
    kill -STOP "$w"
    kill -KILL "$lesson"
    wait "$lesson" || true
    for _ in $(seq 50); do
        ended "$w" && break
        sleep 0.1
    done
    ended "$w" || { kill -KILL "$w"; fail "worker $w outlived its parent"; }
}

# ---- the quiz ------------------------------------------------------------------------

@test "quiz: every answering command shows what its answer says" {
    check_quiz "$LESSON"
}
