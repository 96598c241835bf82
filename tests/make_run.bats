# make_run: `make run L=NN` runs one lesson by its number; L is checked by make and never
# reaches a shell, so a crafted L runs nothing and several numbers are refused, not half-run.
load helper

@test "make run L=08 runs lesson 08 with ARGS" {
    # ARGS reach the lesson as its options: the mode and the sizes show in its verdict
    run --separate-stderr timeout 120 make -s run L=08 ARGS='--mode mutex --threads 2 --iterations 1000'
    assert_success
    assert_equal "${lines[-1]}" "RESULT mode=mutex counter=2000 expected=2000 OK"
}

@test "a crafted L runs nothing; two numbers, none or a non-lesson are usage errors" {
    local mark="$BATS_TEST_TMPDIR/pwned"
    for bad in "x\"; touch $mark; echo \"" "\$(shell touch $mark)" "03 04" "99" "%" "0"; do
        run --separate-stderr timeout 60 make -s run L="$bad"
        assert_failure 2
        [[ "$stderr" == *"make run: L must be one lesson number"* ]] || fail "L=$bad: $stderr"
        [ ! -e "$mark" ] || fail "L=$bad ran a command"
    done
    run --separate-stderr timeout 60 make -s run
    assert_failure 2
    [[ "$stderr" == *"usage: make run L=NN"* ]]
}
