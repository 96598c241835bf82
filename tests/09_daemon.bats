# 09_daemon: when main returns, the detached ticker dies with the process (fewer than N
# ticks); when main calls pthread_exit, the process lives until the ticker has made all N.
# Either way the verdict, printed by an atexit handler, is the last line and counts exactly
# the tick lines printed. In mode return main works for about half the ticker's run: the
# runs below leave it many ticks of slack, so being cut off does not depend on luck.
load helper

LESSON=09_daemon

setup_file() {
    build "$BUILD/$LESSON"
}

# The tick numbers printed, in order, one per line, checked against "K/N" format.
ticks_printed() {
    local n=$1 line
    for line in "${lines[@]}"; do
        if [[ "$line" =~ ^\ \ ticker:\ tick\ ([0-9]+)/([0-9]+)$ ]]; then
            [[ "${BASH_REMATCH[2]}" == "$n" ]] || fail "tick line with the wrong total: $line"
            echo "${BASH_REMATCH[1]}"
        fi
    done
}

@test "return: the ticker is cut off; the verdict counts exactly the ticks printed" {
    run_lesson 20 "$LESSON" --mode return --ticks 20 --scale 0.05
    assert_success
    [[ "${lines[-1]}" =~ ^RESULT\ mode=return\ main=short\ ticks=([0-9]+)\ planned=20\ OK$ ]] ||
        fail "unexpected last line: ${lines[-1]}"
    local k=${BASH_REMATCH[1]}
    ((k < 20)) || fail "the ticker was not cut off: $k ticks"
    # the tick lines are exactly 1..k, in order: none lost, none after the verdict
    assert_equal "$(ticks_printed 20)" "$(seq 1 "$k")"
    assert_line "main: returning from main: the process ends now, ticker or not"
}

@test "pthread_exit: all N ticks run, in order, and the verdict is the last line" {
    run_lesson 20 "$LESSON" --mode pthread_exit --ticks 6 --scale 0.01
    assert_success
    assert_equal "${lines[-1]}" "RESULT mode=pthread_exit main=short ticks=6 planned=6 OK"
    assert_equal "$(ticks_printed 6)" "$(seq 1 6)"
    assert_line "main: pthread_exit: main's thread ends, the process waits for the ticker"
    assert_equal "$(printf '%s\n' "${lines[@]}" | grep -c '^RESULT ')" 1
}

@test "pthread_exit with a single tick, and with no sleep at all, still runs every tick" {
    run_lesson 20 "$LESSON" --mode pthread_exit --ticks 1 --scale 0.01
    assert_success
    assert_equal "${lines[-1]}" "RESULT mode=pthread_exit main=short ticks=1 planned=1 OK"
    assert_equal "$(ticks_printed 1)" "1"

    run_lesson 20 "$LESSON" --mode pthread_exit --ticks 50 --scale 0
    assert_success
    assert_equal "${lines[-1]}" "RESULT mode=pthread_exit main=short ticks=50 planned=50 OK"
    assert_equal "$(ticks_printed 50)" "$(seq 1 50)"
}

@test "return is the default mode" {
    run_lesson 20 "$LESSON" --ticks 20 --scale 0.05
    assert_success
    [[ "${lines[-1]}" =~ ^RESULT\ mode=return\ main=short\ ticks=([0-9]|1[0-9])\ planned=20\ OK$ ]] ||
        fail "unexpected last line: ${lines[-1]}"
}

@test "return with main outlasting the ticker: nothing to cut off, and that is the lesson's OK" {
    # scale 0.4: the ticker runs 0.48 s, main 0.72 s; 0.24 s of margin for a busy machine
    run_lesson 20 "$LESSON" --mode return --main-works long --ticks 4 --scale 0.4
    assert_success
    assert_equal "${lines[-1]}" "RESULT mode=return main=long ticks=4 planned=4 OK"
    assert_equal "$(ticks_printed 4)" "$(seq 1 4)"
}

@test "--scale 0 with --mode return is refused: who finishes first would be a race" {
    run --separate-stderr timeout 5 "$BUILD/$LESSON" --mode return --scale 0
    assert_usage_error "--scale 0 with --mode return"
}

# ---- the command line ----------------------------------------------------------------

@test "--help prints the usage on stdout and exits 0" {
    run --separate-stderr timeout 5 "$BUILD/$LESSON" --help
    assert_success
    assert_output --partial "usage: $LESSON"
    assert_output --partial "pthread_exit"
    # shellcheck disable=SC2154  # $stderr is set by run --separate-stderr
    assert_equal "$stderr" ""
}

@test "bad --ticks and --scale values: exit 2, a line naming the option, the usage" {
    local bad
    for bad in x 5x "" 0 -1 1001 99999999999999999999; do
        run --separate-stderr timeout 5 "$BUILD/$LESSON" --ticks "$bad"
        assert_usage_error "--ticks"
    done
    for bad in x -1 101 1e999 99999999999999999999; do
        run --separate-stderr timeout 5 "$BUILD/$LESSON" --scale "$bad"
        assert_usage_error "--scale"
    done
}

@test "bad --mode, unknown flag, stray operand: exit 2 with the usage" {
    run --separate-stderr timeout 5 "$BUILD/$LESSON" --mode exit
    assert_usage_error "--mode"
    run --separate-stderr timeout 5 "$BUILD/$LESSON" --daemon
    assert_usage_error "--daemon"
    run --separate-stderr timeout 5 "$BUILD/$LESSON" return
    assert_usage_error 'unexpected argument "return"'
}

# ---- the quiz ------------------------------------------------------------------------

@test "quiz: every answering command shows what its answer says" {
    check_quiz "$LESSON"
}
