# 22_wakeups: every token handed over reaches its player (handovers = 2 per round of every
# run); spin never parks; the point is judged only when the spinners had a CPU each, and
# the verdict says which it was (shown, untrusted with its doubt, n/a). Timings are printed,
# never asserted: no timing thresholds in tests. Bad input exits 2.
load helper

LESSON=22_wakeups

setup_file() {
    build "$BUILD/$LESSON"
}

# The line the verdict's point= must come with: the judgement, or the doubt, or n/a.
assert_point_said() {
    local point
    point=$(sed -n 's/.* point=\([a-z/-]*\) OK$/\1/p' <<<"${lines[-1]}")
    case "$point" in
    shown) assert_line --regexp '^The point, a wake-up costs more than a spin: shown \(park.s round trip [0-9.]+x spin.s' ;;
    untrusted) assert_line --regexp '^Doubt: the spinners burned [0-9.]+ CPUs for their wall time, not 2' ;;
    n/a) assert_line --partial ': n/a here.' ;;
    *) fail "point=$point in: ${lines[-1]}" ;;
    esac
}

@test "every way, a quick and a slow partner: every handover arrives, one WAIT line per run" {
    run_lesson 60 "$LESSON" --rounds 300 --scale 0.05
    assert_success
    # 3 ways x (300 rounds + 30 with the slow partner) x 2 handovers per round
    assert_equal "${lines[-1]%% point=*}" "RESULT rounds=300 handovers=1980 expected=1980 pool_sums=exact"
    assert_point_said
    local way think
    for way in park spin adaptive; do
        for think in 0 50; do
            assert_line --regexp "^WAIT way=$way think_us=$think rounds=(300|30) round_trip_us=[0-9.]+ p99_us=[0-9.]+ cpu_us=[0-9.]+ parked=[0-9]+\$"
        done
    done
    # a spinner never parks; the others park at most once per wait
    assert_line --regexp '^WAIT way=spin think_us=0 .* parked=0$'
    assert_line --regexp '^WAIT way=spin think_us=50 .* parked=0$'
    local parked
    for parked in $(printf '%s\n' "${lines[@]}" | sed -n 's/^WAIT .* rounds=\([0-9]*\) .* parked=\([0-9]*\)$/\1:\2/p'); do
        [ "${parked#*:}" -le $((2 * ${parked%:*})) ] || fail "more parks than waits: $parked"
    done
}

@test "one way, one partner: --wait adaptive --think 0" {
    run_lesson 30 "$LESSON" --wait adaptive --think 0 --rounds 500
    assert_success
    assert_equal "${lines[-1]}" "RESULT rounds=500 handovers=1000 expected=1000 pool_sums=exact point=n/a OK"
    assert_equal "$(printf '%s\n' "${lines[@]}" | grep -c '^WAIT ')" 1
}

@test "spinners sharing one CPU: the lesson doubts its figures instead of concluding" {
    command -v taskset >/dev/null 2>&1 || skip "no taskset (util-linux)"
    [ "$(nproc)" -ge 2 ] || skip "one CPU: the point is n/a whatever the run"
    run timeout 60 taskset -c 0 "$BUILD/$LESSON" --think 0 --rounds 40
    assert_success
    assert_line --regexp '^Doubt: the spinners burned [0-9.]+ CPUs for their wall time, not 2: they did not have a CPU each\.'
    assert_equal "${lines[-1]}" "RESULT rounds=40 handovers=240 expected=240 pool_sums=exact point=untrusted OK"
}

@test "the pool under both policies and helped by its caller: exact sums, one POOL line each; --pool-only skips the token" {
    run_lesson 60 "$LESSON" --pool-only
    assert_success
    assert_line --regexp '^POOL wait=park caller=waits batch_us=[0-9.]+ speedup=[0-9.]+ cpu_us=[0-9.]+$'
    assert_line --regexp '^POOL wait=spin caller=waits batch_us=[0-9.]+ speedup=[0-9.]+ cpu_us=[0-9.]+$'
    assert_line --regexp '^POOL wait=park caller=helps batch_us=[0-9.]+ speedup=[0-9.]+ cpu_us=[0-9.]+$'
    refute_line --regexp '^WAIT '
    assert_equal "${lines[-1]}" "RESULT rounds=2000 handovers=0 expected=0 pool_sums=exact point=n/a OK"
}

usage_run() {
    run --separate-stderr timeout 10 "$BUILD/$LESSON" "$@"
}

@test "bad input: one line naming the problem, the usage, exit 2" {
    usage_run --wait politely
    assert_usage_error '--wait'
    usage_run --rounds 0
    assert_usage_error '--rounds: expected an integer from 1 to 1000000, got "0"'
    usage_run --think -1
    assert_usage_error '--think'
    usage_run --spin-us lots
    assert_usage_error '--spin-us'
    usage_run --scale 101
    assert_usage_error '--scale'
}

# ---- the quiz ------------------------------------------------------------------------

@test "quiz: every answering command shows what its answer says" {
    check_quiz "$LESSON"
}
