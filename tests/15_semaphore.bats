# 15_semaphore: with the semaphore, never more than K cars inside and every car parks
# exactly once, whatever K and N; a car that waits past --timeout says so (exit 3).
# --variant unbounded may overflow the lot by any amount, so it is only held to bounds
# (max_occupancy <= cars) and to a verdict and exit status that agree with its numbers.
# It is not a data race (the counter is atomic), so there is no sanitizer proof to make:
# the invariant is the proof.
load helper

LESSON=15_semaphore
FAST=(--scale 0.01)

setup_file() {
    build "$BUILD/$LESSON"
}

VERDICT='^RESULT variant=(semaphore|unbounded) spaces=([0-9]+) cars=([0-9]+) parked=([0-9]+) '
VERDICT+='max_occupancy=([0-9]+) free_at_end=([0-9]+) (OK|FAIL)$'

# Parses the last line into: variant spaces cars parked most free word.
parse_verdict() {
    [[ "${lines[-1]}" =~ $VERDICT ]] || fail "unexpected last line: ${lines[-1]}"
    variant=${BASH_REMATCH[1]} spaces=${BASH_REMATCH[2]} cars=${BASH_REMATCH[3]}
    parked=${BASH_REMATCH[4]} most=${BASH_REMATCH[5]} free=${BASH_REMATCH[6]}
    word=${BASH_REMATCH[7]}
}

# Every car 1..N parked exactly once and left exactly once (one awk pass: a grep per car
# made this file's slowest tests).
assert_each_car_parked_once() {
    local n=$1 wrong
    wrong=$(printf '%s\n' "${lines[@]}" | awk -v n="$n" '
        /^car +[0-9]+: parks \(/ { split($2, a, ":"); parks[a[1]]++ }
        /^car +[0-9]+: leaves$/  { split($2, a, ":"); leaves[a[1]]++ }
        END { for (id = 1; id <= n; id++)
                  if (parks[id] != 1 || leaves[id] != 1)
                      printf "car %d parked %d and left %d times\n", id, parks[id], leaves[id]
              for (id in parks) if (id + 0 < 1 || id + 0 > n) printf "car %s: no such car\n", id }')
    [ -z "$wrong" ] || fail "$wrong"
}

# A correct run with K spaces and N cars: at most K inside, all parked, all spaces free.
assert_correct_run() {
    local k=$1 n=$2
    assert_success
    parse_verdict
    assert_equal "$variant $spaces $cars $parked $free $word" "semaphore $k $n $n $k OK"
    ((most >= 1 && most <= k)) || fail "max_occupancy $most outside 1..$k"
    refute_line --partial "over capacity"
    # every "parks (X of K spaces taken)" line has X <= K
    local x
    while read -r x; do
        ((x <= k)) || fail "a car saw $x of $k spaces taken"
    done < <(printf '%s\n' "${lines[@]}" | sed -nE 's/^car +[0-9]+: parks \(([0-9]+) of .*/\1/p')
    assert_each_car_parked_once "$n"
}

# ---- the semaphore: at most K inside, every car once ------------------------------------

@test "defaults (scaled): 10 cars, 3 spaces, never more than 3 inside; exit 0" {
    run_lesson 20 "$LESSON" "${FAST[@]}"
    assert_correct_run 3 10
    assert_line --regexp '^main: at most [1-3] cars? inside at once, with 3 spaces$'
}

@test "many spaces and car counts keep the bound (K,N = 1,4 2,9 5,5 3,40 8,3)" {
    local kn k n
    for kn in 1,4 2,9 5,5 3,40 8,3; do
        k=${kn%,*} n=${kn#*,}
        run_lesson 20 "$LESSON" --spaces "$k" --cars "$n" "${FAST[@]}"
        assert_correct_run "$k" "$n"
    done
}

@test "one space makes the semaphore a lock: exactly one car at a time (3 runs)" {
    for _ in 1 2 3; do
        run_lesson 20 "$LESSON" --spaces 1 --cars 6 "${FAST[@]}"
        assert_correct_run 1 6
        assert_equal "$most" 1
    done
}

@test "the lot fills: later cars wait at the gate and still park" {
    # 10 cars arrive faster than 3 spaces free up, so someone must wait ... at any speed:
    # the cars arrive every 0.5 ms (scaled) and park for at least 5 ms.
    run_lesson 20 "$LESSON" --cars 10 --spaces 3 "${FAST[@]}"
    assert_correct_run 3 10
    assert_line --regexp '^car +[0-9]+: the lot is full: waits at the gate$'
}

@test "no sleeping at all (--scale 0) is still bounded and complete" {
    run_lesson 20 "$LESSON" --cars 64 --spaces 4 --scale 0
    assert_correct_run 4 64
}

@test "a car that waits longer than --timeout gives up, says why, exit 3" {
    # One space; car 1 parks for 0.5..1 s; car 2 arrives 0.05 s later and waits 10 ms.
    run_lesson 20 "$LESSON" --spaces 1 --cars 2 --timeout 0.01
    assert_failure 3
    assert_line --regexp '^car +[12]: gave up after waiting 0\.01 s at the gate'
    assert_equal "${lines[-1]}" "RESULT variant=semaphore spaces=1 cars=2 parked=1 \
max_occupancy=1 free_at_end=1 gave_up=1 STUCK"
}

# ---- unbounded: only bounds, and honesty ----------------------------------------------

# The verdict says FAIL (exit 1) exactly when more than K were inside, and then the
# lesson shows the overflow; never more inside than there are cars; everyone parks once.
check_unbounded_run() {
    local k=$1 n=$2
    parse_verdict
    assert_equal "$variant $spaces $cars $parked $free" "unbounded $k $n $n $k"
    ((most >= 1 && most <= n)) || fail "max_occupancy $most outside 1..$n"
    if ((most > k)); then
        assert_equal "$word" FAIL
        assert_failure 1
        assert_line --partial "spaces taken)  <- over capacity!"
    else
        assert_equal "$word" OK
        assert_success
        refute_line --partial "over capacity"
    fi
    assert_each_car_parked_once "$n"
}

@test "unbounded: occupancy <= cars, FAIL exactly when it exceeded the spaces" {
    local kn k n
    for kn in 3,10 1,5 2,30; do
        k=${kn%,*} n=${kn#*,}
        run_lesson 20 "$LESSON" --variant unbounded --spaces "$k" --cars "$n" "${FAST[@]}"
        check_unbounded_run "$k" "$n"
    done
}

@test "unbounded with at least as many spaces as cars cannot overflow: OK" {
    run_lesson 20 "$LESSON" --variant unbounded --spaces 6 --cars 6 "${FAST[@]}"
    assert_success
    check_unbounded_run 6 6
}

# ---- command line -----------------------------------------------------------------------

@test "--help prints the usage on stdout and exits 0" {
    run --separate-stderr timeout 5 "$BUILD/$LESSON" --help
    assert_success
    assert_line --index 0 --regexp '^usage: 15_semaphore \[--variant semaphore\|unbounded\]'
    assert_output --partial "--spaces"
    assert_output --partial "--cars"
    # shellcheck disable=SC2154  # $stderr is set by run --separate-stderr
    assert_equal "$stderr" ""
}

@test "bad input: one line naming the problem, the usage, exit 2" {
    local -a cases=(
        "--spaces: expected an integer from 1 to 256, got \"x\"|--spaces x"
        "--spaces|--spaces 0"
        "--spaces|--spaces -3"
        "--spaces|--spaces 257"
        "--spaces|--spaces 99999999999999999999999"
        "--cars|--cars many"
        "--cars|--cars 0"
        "--cars|--cars -1"
        "--cars|--cars 257"
        "--cars|--cars 99999999999999999999999"
        "--timeout|--timeout 0"
        "--timeout|--timeout soon"
        "--scale|--scale -1"
        "--scale|--scale fast"
        "--variant|--variant none"
        "unknown option|--lot"
        "needs a value|--cars"
        "unexpected argument \"extra\"|--cars 3 extra"
    )
    usage_errors "$LESSON" "${cases[@]}"
}

@test "an unknown variant lists the variants that exist" {
    run --separate-stderr timeout 5 "$BUILD/$LESSON" --variant none
    assert_usage_error '--variant: expected one of semaphore|unbounded, got "none"'
}

# ---- the quiz ------------------------------------------------------------------------

@test "quiz: every answering command shows what its answer says" {
    check_quiz "$LESSON"
}
