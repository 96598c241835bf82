# 30_sleeping_barber: the fixed barber accounts for every customer (served + turned away ==
# customers), never more than K waiting, one in the chair, each served customer cut once.
# How many are served depends on timing: only the invariants are asserted, except where the
# room is big enough for everyone (then all are served). --variant lost-wakeup is made
# certain by the lesson's latch: the first ring is lost on every run, nobody rings again,
# and the supervisor reports STUCK (exit 3) with who waits for whom.
load helper

LESSON=30_sleeping_barber
FAST=(--scale 0.01)

setup_file() {
    build "$BUILD/$LESSON"
}

VERDICT='^RESULT variant=fixed customers=([0-9]+) served=([0-9]+) turned_away=([0-9]+) '
VERDICT+='chairs=([0-9]+) max_waiting=([0-9]+) max_in_chair=([0-9]+) OK$'

# The fixed verdict for C customers and K chairs, with every invariant checked.
assert_fixed_invariants() {
    local c=$1 k=$2
    assert_success
    [[ "${lines[-1]}" =~ $VERDICT ]] || fail "unexpected verdict: ${lines[-1]}"
    local served=${BASH_REMATCH[2]} turned=${BASH_REMATCH[3]} most=${BASH_REMATCH[5]}
    assert_equal "${BASH_REMATCH[1]} ${BASH_REMATCH[4]}" "$c $k"
    assert_equal "$((served + turned))" "$c"
    ((most >= 1 && most <= k)) || fail "max_waiting=$most outside 1..$k"
    assert_equal "${BASH_REMATCH[6]}" 1   # the first customer always sits in the chair
    assert_line "served $served, turned away $turned (every chair taken), most waiting at once $most of $k"
    refute_line --partial "not cut exactly once"
    refute_line --partial "stuck:"
}

# ---- fixed --------------------------------------------------------------------------

@test "fixed (the default): every customer served or turned away, within the invariants" {
    run_lesson 20 "$LESSON"
    assert_fixed_invariants 20 3
    assert_line --index 0 "20 customers, 3 chairs, seed 1, variant fixed"
}

@test "fixed: several seeds, a one-chair room, a crowd arriving at once (--scale 0)" {
    local seed
    for seed in 1 2 3 4 5; do
        run_lesson 20 "$LESSON" --seed "$seed" --customers 40 --chairs 2 "${FAST[@]}"
        assert_fixed_invariants 40 2
    done
    run_lesson 20 "$LESSON" --customers 60 --chairs 1 "${FAST[@]}"
    assert_fixed_invariants 60 1
    run_lesson 20 "$LESSON" --customers 100 --chairs 4 --scale 0
    assert_fixed_invariants 100 4
}

@test "fixed: a room with a chair for everyone turns nobody away" {
    run_lesson 20 "$LESSON" --customers 8 --chairs 8 --scale 0
    assert_fixed_invariants 8 8
    assert_line --regexp '^RESULT variant=fixed customers=8 served=8 turned_away=0 chairs=8 '
    run_lesson 20 "$LESSON" --customers 1 --chairs 1 "${FAST[@]}"
    assert_equal "${lines[-1]}" \
        "RESULT variant=fixed customers=1 served=1 turned_away=0 chairs=1 max_waiting=1 max_in_chair=1 OK"
}

# ---- lost-wakeup ----------------------------------------------------------------------

@test "lost-wakeup: the barber sleeps beside a full room, reported, exit 3 (3 runs)" {
    for _ in 1 2 3; do
        run_lesson 10 "$LESSON" --variant lost-wakeup --timeout 0.5 "${FAST[@]}"
        assert_failure 3
        # every customer arrives within 0.04 s: 3 sit, the other 17 find the room full
        assert_equal "${lines[-1]}" \
            "RESULT variant=lost-wakeup customers=20 served=0 turned_away=17 waiting=3 stuck_after=0.5s STUCK"
        assert_line --regexp '^stuck: nothing has happened for [0-9]+\.[0-9] s$'
        assert_line "stuck: the barber sleeps, waiting for the bell"
        local sitting
        sitting=$(printf '%s\n' "${lines[@]}" | grep -c '^stuck: customer [0-9]* sits in the waiting room, waiting for the barber$')
        assert_equal "$sitting" 3
        assert_line 'stuck: lost wakeup: 1 ring of the bell came while the barber was between "nobody waits" and his sleep, and nobody heard it'
        assert_line "stuck: the 19 customers who came later found someone waiting, so did not ring"
    done
}

@test "lost-wakeup: one customer, one lost ring, nobody after it" {
    run_lesson 10 "$LESSON" --variant lost-wakeup --customers 1 --timeout 0.5 --scale 0
    assert_failure 3
    assert_equal "${lines[-1]}" \
        "RESULT variant=lost-wakeup customers=1 served=0 turned_away=0 waiting=1 stuck_after=0.5s STUCK"
    assert_line "stuck: customer 1 sits in the waiting room, waiting for the barber"
    refute_line --partial "came later"
}

# ---- command line ---------------------------------------------------------------------

@test "--help prints the usage on stdout and exits 0" {
    run --separate-stderr timeout 5 "$BUILD/$LESSON" --help
    assert_success
    assert_output --partial "usage: $LESSON"
    local opt
    for opt in --variant --customers --chairs --seed --timeout --scale; do
        assert_output --partial "  $opt "
    done
    assert_equal "$stderr" ""
}

@test "bad input: one line naming the problem, the usage, exit 2" {
    local -a cases=(
        "--variant|--variant lost"
        "--customers: expected an integer from 1 to 256, got \"x\"|--customers x"
        "--customers|--customers 0"
        "--customers|--customers 257"
        "--chairs|--chairs 0"
        "--chairs|--chairs 65"
        "--seed|--seed -1"
        "--seed|--seed 2147483648"
        "--timeout|--timeout 0.4"
        "--timeout|--timeout 3601"
        "--scale|--scale -1"
        "--scale|--scale 101"
        "unknown option|--barbers 2"
        "needs a value|--chairs"
        "unexpected argument \"fixed\"|fixed"
    )
    usage_errors "$LESSON" "${cases[@]}"
}

@test "an unknown variant lists the ones that exist" {
    run --separate-stderr timeout 5 "$BUILD/$LESSON" --variant lost
    assert_usage_error '--variant: expected one of fixed|lost-wakeup, got "lost"'
}

# ---- the quiz ------------------------------------------------------------------------

@test "quiz: every answering command shows what its answer says" {
    check_quiz "$LESSON"
}
