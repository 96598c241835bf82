# 03_mutex_bank: with the locks, never more than one cook at the pan, and every account's
# balance equals initial + deposits - withdrawals and never goes negative, whatever the
# thread and account counts. Deposits never fail, so a seed fixes each depositor's total.
# --variant unsafe may lose money or crowd the pan in any amount, so it is only held to
# bounds and to a verdict and exit status that agree with its own numbers.
load helper

LESSON=03_mutex_bank

setup_file() {
    build "$BUILD/$LESSON"
}

VERDICT='^RESULT variant=(locked|unsafe) pan_max_cooks=([0-9]+) accounts=([0-9]+) '
VERDICT+='balanced=([0-9]+) balance=(-?[0-9]+) expected=(-?[0-9]+) lowest=(-?[0-9]+) (OK|FAIL)$'

# Parses the verdict line into the globals variant cooks accounts balanced balance expected
# lowest word.
parse_verdict() {
    [[ "${lines[-1]}" =~ $VERDICT ]] || fail "unexpected last line: ${lines[-1]}"
    variant=${BASH_REMATCH[1]}
    cooks=${BASH_REMATCH[2]} accounts=${BASH_REMATCH[3]} balanced=${BASH_REMATCH[4]}
    balance=${BASH_REMATCH[5]} expected=${BASH_REMATCH[6]} lowest=${BASH_REMATCH[7]}
    word=${BASH_REMATCH[8]}
}

# A correct run with A accounts (the locked variant): one cook at a time, every account
# balanced, nothing negative, the total equal to what the ledgers say; OK and exit 0.
assert_correct_run() {
    local want_accounts=$1
    assert_success
    parse_verdict
    assert_equal "$variant" locked
    assert_equal "$word" OK
    assert_equal "$cooks" 1
    assert_equal "$accounts" "$want_accounts"
    assert_equal "$balanced" "$want_accounts"
    assert_equal "$balance" "$expected"
    ((lowest >= 0)) || fail "a balance went negative: $lowest"
    refute_line --partial "<- wrong"
}

@test "defaults (scaled down): one cook at a time, the books balance; exit 0" {
    run_lesson 30 "$LESSON" --scale 0.01 --rounds 20000
    assert_correct_run 1
}

@test "--variant locked by name: the same correct run as the default" {
    run_lesson 30 "$LESSON" --variant locked --scale 0.01 --rounds 20000
    assert_correct_run 1
    refute_line --partial "no lock"
}

@test "the issue's example, --accounts 4: each account balances on its own" {
    run_lesson 30 "$LESSON" --accounts 4 --scale 0.01 --rounds 20000
    assert_correct_run 4
    local a
    for a in 0 1 2 3; do
        assert_line --regexp "^ +$a +-?[0-9]+ +-?[0-9]+ +-?[0-9]+$"
    done
}

@test "many tellers on few accounts, and one teller of each kind, all balance" {
    run_lesson 30 "$LESSON" --scale 0 --depositors 8 --withdrawers 8 --accounts 3 --rounds 5000
    assert_correct_run 3
    run_lesson 30 "$LESSON" --scale 0 --depositors 1 --withdrawers 1 --rounds 1
    assert_correct_run 1
    run_lesson 30 "$LESSON" --scale 0 --depositors 1 --withdrawers 5 --accounts 64 --rounds 3000
    assert_correct_run 64
}

@test "every dish gets the pan exactly once, always alone" {
    run_lesson 30 "$LESSON" --dishes 10 --scale 0.01 --rounds 10
    assert_correct_run 1
    local in_pan alone
    in_pan=$(printf '%s\n' "${lines[@]}" | grep -c ': in the pan (')
    alone=$(printf '%s\n' "${lines[@]}" | grep -c ': in the pan (1 cook at the pan)$')
    assert_equal "$in_pan" 10
    assert_equal "$alone" 10
    assert_line "main: at most 1 cook at the pan at once"
}

@test "a withdrawal is refused rather than overdrawing (two withdrawers, one depositor)" {
    run_lesson 30 "$LESSON" --scale 0 --depositors 1 --withdrawers 2 --rounds 20000
    assert_correct_run 1
    # with more taking out than paying in, some withdrawals must have been refused
    assert_line --regexp '^  withdrawer [01]: took out [0-9]+, refused [1-9][0-9]* times$'
}

@test "the same --seed gives every depositor the same total; another seed does not" {
    run_lesson 30 "$LESSON" --scale 0 --seed 7 --rounds 5000
    assert_correct_run 1
    local first
    first=$(printf '%s\n' "${lines[@]}" | grep '^  depositor ')
    run_lesson 30 "$LESSON" --scale 0 --seed 7 --rounds 5000
    assert_correct_run 1
    assert_equal "$(printf '%s\n' "${lines[@]}" | grep '^  depositor ')" "$first"
    run_lesson 30 "$LESSON" --scale 0 --seed 8 --rounds 5000
    assert_correct_run 1
    [[ "$(printf '%s\n' "${lines[@]}" | grep '^  depositor ')" != "$first" ]]
}

# ---- --variant unsafe: bounded, and honest about itself --------------------------------

@test "--variant unsafe: never more cooks than dishes; verdict, numbers, exit status agree" {
    local dishes run_args
    for run_args in "4 --accounts 1" "3 --accounts 4" "1 --depositors 1 --withdrawers 1"; do
        dishes=${run_args%% *}
        # shellcheck disable=SC2086  # split the arguments on purpose
        run_lesson 30 "$LESSON" --variant unsafe --scale 0.01 --rounds 20000 --dishes $run_args
        parse_verdict
        assert_equal "$variant" unsafe
        assert_line --regexp '^part one: [0-9]+ dishes?, one frying pan \(no lock!\)$'
        ((cooks >= 1 && cooks <= dishes)) || fail "pan_max_cooks=$cooks with $dishes dishes"
        ((balanced <= accounts)) || fail "balanced=$balanced > accounts=$accounts"
        if ((cooks == 1 && balanced == accounts && lowest >= 0)); then
            assert_equal "$word" OK
            assert_equal "$status" 0
        else
            assert_equal "$word" FAIL
            assert_equal "$status" 1
        fi
    done
}

# ---- the command line ----------------------------------------------------------------

@test "--help prints the usage on stdout and exits 0" {
    run --separate-stderr timeout 5 "$BUILD/$LESSON" --help
    assert_success
    assert_output --partial "usage: $LESSON"
    assert_output --partial "--accounts"
    assert_output --partial "[--variant locked|unsafe]"
    # shellcheck disable=SC2154  # $stderr is set by run --separate-stderr
    assert_equal "$stderr" ""
}

@test "bad numbers for every numeric option: exit 2, a line naming the option, the usage" {
    local opt bad
    for opt in --dishes --accounts --depositors --withdrawers --rounds; do
        for bad in x 3x "" 0 -1 99999999999999999999; do
            run --separate-stderr timeout 5 "$BUILD/$LESSON" "$opt" "$bad"
            assert_usage_error "$opt"
        done
    done
    for bad in x -1 2147483648 99999999999999999999; do
        run --separate-stderr timeout 5 "$BUILD/$LESSON" --seed "$bad"
        assert_usage_error "--seed"
    done
    for bad in x -1 1e999 99999999999999999999; do
        run --separate-stderr timeout 5 "$BUILD/$LESSON" --scale "$bad"
        assert_usage_error "--scale"
    done
    run --separate-stderr timeout 5 "$BUILD/$LESSON" --accounts 65
    assert_usage_error "--accounts"
}

@test "bad --variant values, and none at all: exit 2, a line naming --variant, the usage" {
    local bad
    for bad in bogus "" LOCKED unsafe2 safe; do
        run --separate-stderr timeout 5 "$BUILD/$LESSON" --variant "$bad"
        assert_usage_error "--variant"
    done
    run --separate-stderr timeout 5 "$BUILD/$LESSON" --variant
    assert_usage_error "--variant"
}

@test "the old flag --unsafe is gone: an unknown option, exit 2" {
    run --separate-stderr timeout 5 "$BUILD/$LESSON" --unsafe
    assert_usage_error 'unknown option "--unsafe"'
    run --separate-stderr timeout 5 "$BUILD/$LESSON" --unsafe --rounds 10
    assert_usage_error 'unknown option "--unsafe"'
}

@test "unknown flag, stray operand: exit 2 with the usage" {
    run --separate-stderr timeout 5 "$BUILD/$LESSON" --bogus
    assert_usage_error "--bogus"
    run --separate-stderr timeout 5 "$BUILD/$LESSON" 4
    assert_usage_error 'unexpected argument "4"'
}

# ---- the quiz ------------------------------------------------------------------------

@test "quiz: every answering command shows what its answer says" {
    check_quiz "$LESSON"
}
