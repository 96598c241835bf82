# 02_join: with join, "water boiled" always comes before "make coffee" and the value the
# kettle returned arrives through pthread_join; without join, the lesson makes the wrong
# order certain (a stage-direction mutex), so it is asserted too, and the no-join run
# still joins before it ends (the kettle's late "100 C" arrives).
load helper

LESSON=02_join

setup_file() {
    build "$BUILD/$LESSON"
}

# The index of the first output line matching REGEX at or after line FROM (default 0).
line_index() {
    local i
    for ((i = ${2:-0}; i < ${#lines[@]}; i++)); do
        [[ "${lines[$i]}" =~ $1 ]] && { echo "$i"; return 0; }
    done
    fail "no line matches /$1/ from line ${2:-0}"
}

@test "join: the water boils before the coffee, and the returned 100 arrives; exit 0" {
    run_lesson 20 "$LESSON" --variant join --scale 0.01
    assert_success
    assert_equal "${lines[-1]}" "RESULT variant=join coffee_water=100 returned=100 OK"
    local boiled coffee
    boiled=$(line_index '^  kettle: water boiled \(100 C\)$')
    coffee=$(line_index '^main: make coffee with [0-9]+ C water$')
    ((boiled < coffee)) || fail "coffee (line $coffee) before the water boiled (line $boiled)"
    assert_equal "${lines[$coffee]}" "main: make coffee with 100 C water"
}

@test "join holds the order even with no sleep at all" {
    for _ in 1 2 3 4 5; do
        run_lesson 20 "$LESSON" --variant join --scale 0
        assert_success
        assert_equal "${lines[-1]}" "RESULT variant=join coffee_water=100 returned=100 OK"
        (($(line_index '^  kettle: water boiled') < $(line_index '^main: make coffee')))
    done
}

@test "no-join: coffee is made with 20 C water before the water boils; FAIL, exit 1" {
    run_lesson 20 "$LESSON" --variant no-join --scale 0.01
    assert_failure 1
    assert_equal "${lines[-1]}" "RESULT variant=no-join coffee_water=20 returned=100 FAIL"
    local coffee boiled late
    coffee=$(line_index '^main: make coffee with 20 C water$')
    boiled=$(line_index '^  kettle: water boiled \(100 C\)$')
    late=$(line_index '^main: the kettle says 100 C, too late for the coffee$')
    ((coffee < boiled)) || fail "the wrong order did not show"
    # main still joined before finishing: the value came back after the kettle's line
    ((boiled < late))
}

@test "no-join: the wrong order is certain, not lucky, even with no sleep at all" {
    for _ in 1 2 3 4 5; do
        run_lesson 20 "$LESSON" --variant no-join --scale 0
        assert_failure 1
        assert_equal "${lines[-1]}" "RESULT variant=no-join coffee_water=20 returned=100 FAIL"
        (($(line_index '^main: make coffee') < $(line_index '^  kettle: water boiled')))
    done
}

@test "both (the default): no-join then join, one verdict line judging join; exit 0" {
    run_lesson 20 "$LESSON" --scale 0.01
    assert_success
    assert_equal "${lines[-1]}" \
        "RESULT variant=both no_join_coffee_water=20 coffee_water=100 returned=100 OK"
    local without with
    without=$(line_index '^without join:$')
    with=$(line_index '^with join:$')
    ((without < with))
    # within the join part, the guaranteed order
    (($(line_index '^  kettle: water boiled' "$with") < $(line_index '^main: make coffee' "$with")))
    # exactly one RESULT line, and it is the last
    assert_equal "$(printf '%s\n' "${lines[@]}" | grep -c '^RESULT ')" 1
}

# ---- the command line ----------------------------------------------------------------

@test "--help prints the usage on stdout and exits 0" {
    run --separate-stderr timeout 5 "$BUILD/$LESSON" --help
    assert_success
    assert_output --partial "usage: $LESSON"
    assert_output --partial "--variant both|no-join|join"
    # shellcheck disable=SC2154  # $stderr is set by run --separate-stderr
    assert_equal "$stderr" ""
}

@test "bad --variant values: exit 2, a line naming --variant, the usage" {
    for bad in bogus "" JOIN join2 nojoin no_join; do
        run --separate-stderr timeout 5 "$BUILD/$LESSON" --variant "$bad"
        assert_usage_error "--variant"
    done
}

@test "the old spelling --mode is gone: an unknown option, exit 2" {
    for bad in nojoin join both; do
        run --separate-stderr timeout 5 "$BUILD/$LESSON" --mode "$bad"
        assert_usage_error 'unknown option "--mode"'
    done
}

@test "bad --scale values: exit 2, a line naming --scale, the usage" {
    for bad in x "" -1 -0.5 101 1e999 99999999999999999999; do
        run --separate-stderr timeout 5 "$BUILD/$LESSON" --scale "$bad"
        assert_usage_error "--scale"
    done
}

@test "unknown flag, missing value and stray operand: exit 2 with the usage" {
    run --separate-stderr timeout 5 "$BUILD/$LESSON" --threads 2
    assert_usage_error "--threads"
    run --separate-stderr timeout 5 "$BUILD/$LESSON" --variant
    assert_usage_error "--variant"
    run --separate-stderr timeout 5 "$BUILD/$LESSON" join
    assert_usage_error 'unexpected argument "join"'
}

# ---- the quiz ------------------------------------------------------------------------

@test "quiz: every answering command shows what its answer says" {
    check_quiz "$LESSON"
}
