# 27_spinlocks: every lock keeps its counter exact, with one thread, a few, and more threads
# than CPUs; in the timed part each lock prints one line per thread, and those counts add
# up to the lock's total, which equals its counter. Timings, fairness ratios and whether a
# Doubt is printed depend on the machine: only their shape is asserted, never a value.
# --variant broken may only be asserted <= expected, with a verdict, an exit status and
# lines that agree with its own numbers. The data race itself is proven by
# tests/race_detectors.bats (ThreadSanitizer reports broken, and no real lock).
load helper

LESSON=27_spinlocks
LOCKS=(tas ttas ticket futex mutex)

setup_file() {
    build "$BUILD/$LESSON"
}

VERDICT='^RESULT variant=(fixed|broken) locks=([a-z,]+) counter=([0-9]+) expected=([0-9]+) '
VERDICT+='lost=(-?[0-9]+) torn=([0-9]+) (OK|FAIL)$'

# Parses the last line into: variant locks counter expected lost torn word.
parse_verdict() {
    [[ "${lines[-1]}" =~ $VERDICT ]] || fail "unexpected last line: ${lines[-1]}"
    variant=${BASH_REMATCH[1]} locks=${BASH_REMATCH[2]} counter=${BASH_REMATCH[3]}
    expected=${BASH_REMATCH[4]} lost=${BASH_REMATCH[5]} torn=${BASH_REMATCH[6]}
    word=${BASH_REMATCH[7]}
}

# The sum of the timed part's per-thread lines of one lock, checked against its "all" line:
# T lines numbered 0..T-1, their sum the total, the total the counter, fewest and most
# their minimum and maximum, and nothing torn. Sets $total.
check_threads() {
    local lock=$1 t=$2 line i=0 sum=0 min='' max=0 n
    while IFS= read -r line; do
        [[ "$line" =~ ^$lock\ +thread\ ([0-9]+):\ ([0-9]+)\ acquisitions\ \([0-9.]+%\)$ ]] ||
            fail "unexpected thread line: $line"
        assert_equal "${BASH_REMATCH[1]}" "$i"
        n=${BASH_REMATCH[2]}
        sum=$((sum + n)) i=$((i + 1))
        if [[ -z "$min" ]] || ((n < min)); then min=$n; fi
        if ((n > max)); then max=$n; fi
    done < <(printf '%s\n' "${lines[@]}" | grep -E "^$lock +thread ")
    assert_equal "$i" "$t"
    ((min >= 1)) || fail "$lock: a thread without a single acquisition (each takes it at least once)"
    assert_line --regexp "^$lock +all $t: $sum acquisitions, counter $sum, torn 0; fewest $min, most $max$"
    total=$sum
}

# ---- part one: exact, whatever the thread count --------------------------------------------

@test "every lock is exact with 1, 2, 3 threads and more threads than CPUs" {
    local over=$(($(nproc) + 2)) lock t
    ((over <= 64)) || over=64
    for lock in "${LOCKS[@]}"; do
        for t in 1 2 3 "$over"; do
            run_lesson 30 "$LESSON" --timeout 10 --lock "$lock" --threads "$t" --iterations 2000 --seconds 0
            assert_success
            assert_equal "${lines[-1]}" \
                "RESULT variant=fixed locks=$lock counter=$((t * 2000)) expected=$((t * 2000)) lost=0 torn=0 OK"
            assert_line "part one, exact: each lock in turn, $t thread$( ((t == 1)) || echo s) x 2000 acquisitions"
            assert_line --regexp "^$lock +$((t * 2000)) +$((t * 2000)) +0 +[0-9.]+$"
            refute_line --partial "part two"
        done
    done
}

@test "one acquisition per thread is exact; so is never yielding (--yield-after 0)" {
    run_lesson 30 "$LESSON" --timeout 10 --threads 5 --iterations 1 --seconds 0
    assert_success
    assert_equal "${lines[-1]}" \
        "RESULT variant=fixed locks=tas,ttas,ticket,futex,mutex counter=25 expected=25 lost=0 torn=0 OK"
    run_lesson 30 "$LESSON" --timeout 10 --lock ttas --threads 2 --iterations 5000 --yield-after 0 --seconds 0.02 --rounds 1
    assert_success
    parse_verdict
    assert_equal "$counter $lost $torn $word" "$expected 0 0 OK"
    # never yielding means no yield is counted
    assert_line --regexp '^ttas +[0-9.]+ +\([0-9.]+-[0-9.]+\) +- +[0-9.]+ +[0-9.]+ +0\.0 +- +[0-9.]+$'
}

# ---- part two: timed; the per-thread lines add up ------------------------------------------

@test "timed part: one line per thread and lock, summing to the lock's counter and the verdict" {
    run_lesson 30 "$LESSON" --timeout 10 --threads 3 --iterations 100 --seconds 0.03 --rounds 2
    assert_success
    parse_verdict
    assert_equal "$variant $locks $lost $torn" "fixed tas,ttas,ticket,futex,mutex 0 0"
    assert_line "part two, timed: each lock for 0.03 s a round, 2 rounds, the locks taking turns; 3 threads on $(getconf _NPROCESSORS_ONLN) CPUs"
    assert_line --regexp '^lock +ns/acq +\(min-max\) +vs mutex +CPUs +spins/acq +yields/1k +sleeps/1k +most/fewest$'
    local all=$((5 * 3 * 100)) lock
    for lock in "${LOCKS[@]}"; do
        check_threads "$lock" 3
        ((all += total))
    done
    # the verdict adds up part one (5 locks x 3 x 100) and every acquisition of part two
    assert_equal "$counter $expected" "$all $all"
    # the rows: numbers where the lock does it, "-" where it does not; mutex is its own 1.00x
    local one='[0-9]+\.[0-9]' two='[0-9]+\.[0-9]{2}' range='\([0-9.]+-[0-9.]+\)'
    for lock in tas ttas ticket; do
        assert_line --regexp "^$lock +$one +$range +${two}x +$two +$one +$one +- +$two$"
    done
    assert_line --regexp "^futex +$one +$range +${two}x +$two +- +- +$one +$two$"
    assert_line --regexp "^mutex +$one +$range +1\.00x +$two +- +- +- +$two$"
}

@test "timed part with one lock and one thread: that thread has every acquisition" {
    run_lesson 30 "$LESSON" --timeout 10 --lock ticket --threads 1 --iterations 10 --seconds 0.02 --rounds 1
    assert_success
    check_threads ticket 1
    assert_line --regexp "^ticket +thread 0: $total acquisitions \(100\.0%\)$"
    assert_line --regexp '^ticket +[0-9.]+ +\([0-9.]+-[0-9.]+\) +- +[0-9.]+ +[0-9.]+ +[0-9.]+ +- +1\.00$'
    parse_verdict
    assert_equal "$counter $expected $word" "$((10 + total)) $((10 + total)) OK"
}

@test "defaults: all five locks, both parts, exact" {
    run_lesson 60 "$LESSON" --timeout 10
    assert_success
    parse_verdict
    assert_equal "$variant $locks $lost $torn $word" "fixed tas,ttas,ticket,futex,mutex 0 0 OK"
    assert_equal "$counter" "$expected"
    assert_line "part one, exact: each lock in turn, 4 threads x 20000 acquisitions"
    local lock
    for lock in "${LOCKS[@]}"; do
        assert_line --regexp "^$lock +80000 +80000 +0 +[0-9.]+$"
        check_threads "$lock" 4
    done
}

# ---- --variant broken: only bounds, and honesty --------------------------------------------

@test "broken: counter <= expected; lost=, torn=, the lines and the exit status agree" {
    local t
    for t in 2 4; do
        run_lesson 30 "$LESSON" --timeout 10 --variant broken --threads "$t" --iterations 20000 --seconds 0.05 --rounds 1
        parse_verdict
        assert_equal "$variant $locks" "broken broken"
        ((counter <= expected)) || fail "counter $counter > expected $expected"
        assert_equal "$lost" "$((expected - counter))"
        if ((lost > 0 || torn > 0)); then
            assert_equal "$word" FAIL
            assert_equal "$status" 1
        else
            assert_equal "$word" OK
            assert_equal "$status" 0
            assert_line --partial "broken: no update lost and no torn pair this time; that is luck"
        fi
        if ((lost > 0)); then
            assert_line "broken: lost $lost of $expected updates: two threads were inside at once"
        else
            refute_line --partial "broken: lost"
        fi
        if ((torn > 0)); then
            assert_line --partial "broken: $torn entries found the pair half-updated"
        else
            refute_line --partial "half-updated"
        fi
    done
}

@test "broken with one thread has nobody to race with: exact, OK" {
    run_lesson 30 "$LESSON" --timeout 10 --variant broken --threads 1 --iterations 50000 --seconds 0.02 --rounds 1
    assert_success
    parse_verdict
    assert_equal "$counter $lost $torn $word" "$expected 0 0 OK"
    assert_line "broken: one thread has nobody to race with: nothing lost, and nothing shown (try --threads 2 or more)"
    refute_line --partial "that is luck"
}

# ---- the watchdog ---------------------------------------------------------------------------

@test "a run longer than --timeout ends STUCK, exit 3, naming the lock and the part" {
    run --separate-stderr timeout 30 "$BUILD/$LESSON" --lock mutex --threads 2 --iterations 100000000 --timeout 0.2 --seconds 0
    assert_failure 3
    assert_equal "${lines[-1]}" "RESULT lock=mutex part=exact stuck_after=0.2s STUCK"
    # shellcheck disable=SC2154  # $stderr is set by run --separate-stderr
    [[ "$stderr" == *"the mutex lock's threads were still at part exact"* ]] || fail "stderr: $stderr"
    # part two's own time is added to the limit: 1 lock x 1 round x 0.5 s
    run timeout 30 "$BUILD/$LESSON" --lock tas --threads 2 --iterations 100000000 --timeout 0.2 --seconds 0.5 --rounds 1
    assert_failure 3
    assert_equal "${lines[-1]}" "RESULT lock=tas part=exact stuck_after=0.7s STUCK"
}

# ---- command line ---------------------------------------------------------------------------

@test "--help prints the usage on stdout and exits 0" {
    run --separate-stderr timeout 5 "$BUILD/$LESSON" --help
    assert_success
    assert_line --index 0 --regexp '^usage: 27_spinlocks \[--lock all\|tas\|ttas\|ticket\|futex\|mutex\] \[--variant fixed\|broken\]$'
    local opt
    for opt in --threads --iterations --seconds --rounds --yield-after --timeout; do
        assert_output --partial "  $opt "
    done
    assert_equal "$stderr" ""
}

@test "bad input: one line naming the problem, the usage, exit 2" {
    local -a cases=(
        "--threads: expected an integer from 1 to 64, got \"x\"|--threads x"
        "--threads|--threads 0"
        "--threads|--threads 65"
        "--threads|--threads -1"
        "--iterations|--iterations 0"
        "--iterations|--iterations 100000001"
        "--iterations|--iterations 1e3"
        "--seconds: expected a number from 0 to 60, got \"-1\"|--seconds -1"
        "--seconds|--seconds 61"
        "--seconds|--seconds .5"
        "--rounds|--rounds 0"
        "--rounds|--rounds 101"
        "--yield-after|--yield-after -1"
        "--yield-after|--yield-after 1000000001"
        "--timeout|--timeout 0"
        "--timeout|--timeout 3601"
        "--lock|--lock spin"
        "--lock|--lock broken"
        "--variant|--variant unsafe"
        "--variant broken brings its own lock: leave out --lock|--variant broken --lock tas"
        "--variant broken brings its own lock|--lock all --variant broken"
        "unknown option|--mode tas"
        "needs a value|--lock"
        "unexpected argument \"tas\"|--threads 2 tas"
    )
    usage_errors "$LESSON" "${cases[@]}"
}

@test "an unknown lock or variant lists the ones that exist" {
    run --separate-stderr timeout 5 "$BUILD/$LESSON" --lock spin
    assert_usage_error '--lock: expected one of tas|ttas|ticket|futex|mutex|all, got "spin"'
    run --separate-stderr timeout 5 "$BUILD/$LESSON" --variant unsafe
    assert_usage_error '--variant: expected one of fixed|broken, got "unsafe"'
}

# ---- the quiz ------------------------------------------------------------------------

@test "quiz: every answering command shows what its answer says" {
    check_quiz "$LESSON"
}
