# 06_condvar: --variant lost loses the late chef's wakeup on every run (exit 3, said
# plainly); --variant fixed (the default) lets every chef cook, late or not.
load helper

LESSON=06_condvar
FAST=(--scale 0.01)

setup_file() {
    build "$BUILD/$LESSON"
}

# Each of chefs 1..N says first what it saw, "waits for the kitchen" (before the call) or
# "arrives late, after the call" (chef N always; an early one only if it was slow), then
# fixed: a waiting chef is woken, a late one cooks without waiting.
assert_each_chef_fixed() {
    local n=$1 k
    assert_line "chef $n: arrives late, after the call"
    for ((k = 1; k <= n; k++)); do
        if printf '%s\n' "${lines[@]}" | grep -qx "chef $k: waits for the kitchen"; then
            refute_line "chef $k: arrives late, after the call"
            assert_line --regexp "^chef $k: woken after [0-9]+\.[0-9]{2} s: cooking\$"
        else
            assert_line "chef $k: arrives late, after the call"
            assert_line "chef $k: the kitchen is already ready: cooking without waiting"
        fi
    done
}

# ---- fixed -------------------------------------------------------------------------

@test "fixed: every chef cooks, the late one without waiting (10 runs)" {
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        run_lesson 20 "$LESSON" --variant fixed "${FAST[@]}"
        assert_success
        assert_equal "${lines[-1]}" "RESULT variant=fixed woken=4 expected=4 OK"
        assert_line "chef 4: the kitchen is already ready: cooking without waiting"
        assert_each_chef_fixed 4
        refute_line --partial "lost wakeup"
    done
}

@test "fixed is the default" {
    run_lesson 20 "$LESSON" "${FAST[@]}"
    assert_success
    assert_equal "${lines[-1]}" "RESULT variant=fixed woken=4 expected=4 OK"
}

@test "fixed: one broadcast releases many waiters (--waiters 16)" {
    run_lesson 20 "$LESSON" --waiters 16 "${FAST[@]}"
    assert_success
    assert_equal "${lines[-1]}" "RESULT variant=fixed woken=16 expected=16 OK"
    local cooking
    cooking=$(printf '%s\n' "${lines[@]}" | grep -c ': cooking' || true)
    assert_equal "$cooking" 16
    assert_each_chef_fixed 16
}

@test "fixed: a single, late chef still cooks" {
    run_lesson 20 "$LESSON" --waiters 1 "${FAST[@]}"
    assert_success
    assert_line "chef 1: the kitchen is already ready: cooking without waiting"
    assert_equal "${lines[-1]}" "RESULT variant=fixed woken=1 expected=1 OK"
}

# ---- lost --------------------------------------------------------------------------

# The verdict for N chefs when at least the late one missed the call: woken + missed = N.
assert_lost_verdict() {
    local n=$1
    assert_failure 3
    [[ "${lines[-1]}" =~ ^RESULT\ variant=lost\ woken=([0-9]+)\ expected=$n\ missed=([0-9]+)\ STUCK$ ]] ||
        fail "unexpected verdict: ${lines[-1]}"
    local woken=${BASH_REMATCH[1]} missed=${BASH_REMATCH[2]}
    (( missed >= 1 )) || fail "no wakeup was missed"
    assert_equal "$((woken + missed))" "$n"
}

@test "lost: the late chef's wakeup is lost on every run, reported, exit 3 (3 runs)" {
    for _ in 1 2 3; do
        # `timeout 10` is the bound; each chef gives up after --timeout 0.3.
        run_lesson 10 "$LESSON" --variant lost --timeout 0.3 "${FAST[@]}"
        assert_lost_verdict 4
        assert_line "chef 4: arrives late, after the call"
        assert_line --regexp '^chef 4: lost wakeup: the staff called [0-9.]+ ms before this chef began to wait'
        # exactly the chefs that arrived after the call miss it: the waiting ones are woken
        local late missed
        late=$(printf '%s\n' "${lines[@]}" | grep -c ': arrives late, after the call$')
        missed=$(printf '%s\n' "${lines[@]}" | grep -c ': lost wakeup: the staff called .* before')
        assert_equal "$missed" "$late"
        assert_line --regexp "missed=$late STUCK\$"
    done
}

@test "lost: a single chef, arriving after the call, is never woken" {
    run_lesson 10 "$LESSON" --variant lost --waiters 1 --timeout 0.2 "${FAST[@]}"
    assert_failure 3
    assert_line --partial "chef 1: lost wakeup"
    assert_equal "${lines[-1]}" "RESULT variant=lost woken=0 expected=1 missed=1 STUCK"
}

# ---- usage -------------------------------------------------------------------------

usage_run() {
    run --separate-stderr timeout 10 "$BUILD/$LESSON" "$@"
}

@test "usage: unknown word for --variant" {
    usage_run --variant broken
    assert_usage_error '--variant: expected one of fixed|lost, got "broken"'
}

@test "usage: --waiters not a number" {
    usage_run --waiters few
    assert_usage_error '--waiters: expected an integer from 1 to 64, got "few"'
}

@test "usage: --waiters zero" {
    usage_run --waiters 0
    assert_usage_error '--waiters'
}

@test "usage: --waiters negative" {
    usage_run --waiters -2
    assert_usage_error '--waiters'
}

@test "usage: --waiters overflow" {
    usage_run --waiters 99999999999999999999999
    assert_usage_error '--waiters'
}

@test "usage: --waiters above the limit" {
    usage_run --waiters 65
    assert_usage_error '--waiters'
}

@test "usage: --timeout zero" {
    usage_run --timeout 0
    assert_usage_error '--timeout'
}

@test "usage: --scale not a number" {
    usage_run --scale fast
    assert_usage_error '--scale'
}

@test "usage: unknown flag" {
    usage_run --mode lost
    assert_usage_error 'mode'
}

@test "usage: stray operand" {
    usage_run lost
    assert_usage_error 'unexpected argument "lost"'
}

@test "--help prints the usage and exits 0" {
    run --separate-stderr timeout 10 "$BUILD/$LESSON" --help
    assert_success
    assert_output --partial "usage: $LESSON"
    assert_output --partial "--variant"
    assert_equal "$stderr" ""
}

@test "slow motion is not a lost wakeup: --scale 5 stretches the chefs' bound with the staff" {
    # the staff prepares 0.5 s x 5 = 2.5 s, longer than the 2 s default timeout unscaled
    run_lesson 30 "$LESSON" --variant fixed --scale 5
    assert_success
    assert_equal "${lines[-1]}" "RESULT variant=fixed woken=4 expected=4 OK"
}

# ---- the quiz ------------------------------------------------------------------------

@test "quiz: every answering command shows what its answer says" {
    check_quiz "$LESSON"
}
