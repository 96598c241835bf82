# 28_dining_philosophers: every fixed variant serves every meal and never lets two
# neighbours eat at once, with the default table, two philosophers and many; the
# per-philosopher lines add up to the verdict's total. Waits and the most/least ratio are
# measured: only their shape is asserted. With the default unlucky timing every variant
# meets the moment when as many as can hold their first fork do: the naive one deadlocks on
# every run, and the watchdog names the whole cycle round the table (exit 3); the fixes
# finish from there, and trylock's first try fails on every run.
load helper

LESSON=28_dining_philosophers
FIXES=(ordered waiter trylock)
FAST=(--think 0.0005 --eat 0.0005)

setup_file() {
    build "$BUILD/$LESSON"
}

# After a run of `n` philosophers and `m` meals each: n lines of m meals, numbered 0..n-1,
# a waiting line, then the OK verdict.
assert_all_fed() {
    local variant=$1 n=$2 m=$3 i
    assert_success
    for ((i = 0; i < n; i++)); do
        assert_line --regexp "^philosopher $i: $m meals, waited [0-9.]+ ms in all, longest wait [0-9.]+ ms"
    done
    assert_equal "$(printf '%s\n' "${lines[@]}" | grep -c '^philosopher ')" "$n"
    assert_line --regexp '^waiting \(measured\): most [0-9.]+ ms, least [0-9.]+ ms'
    assert_equal "${lines[-1]}" \
        "RESULT variant=$variant philosophers=$n meals=$((n * m)) expected=$((n * m)) neighbours_together=0 OK"
}

@test "ordered is the default, and the defaults finish" {
    run_lesson 15 "$LESSON"
    assert_all_fed ordered 5 30
    assert_equal "${lines[0]}" \
        "variant=ordered: 5 philosophers, 30 meals each; 4 hold their first fork before anyone reaches for the second"
}

# The first line of a run under unlucky timing: how many hold their first fork at once.
assert_unlucky_line() {
    local variant=$1 n=$2 m=$3 held=$(($2 - 1))
    [[ $variant == trylock ]] && held=$n
    assert_equal "${lines[0]}" \
        "variant=$variant: $n philosophers, $m meals each; $held hold their first fork before anyone reaches for the second"
}

@test "every fix feeds everyone, neighbours never together: 5, 2 and 12 philosophers" {
    local v
    for v in "${FIXES[@]}"; do
        run_lesson 15 "$LESSON" --variant "$v" "${FAST[@]}" --meals 40
        assert_all_fed "$v" 5 40
        assert_unlucky_line "$v" 5 40
        run_lesson 15 "$LESSON" --variant "$v" "${FAST[@]}" --philosophers 2 --meals 40
        assert_all_fed "$v" 2 40
        assert_unlucky_line "$v" 2 40
        run_lesson 15 "$LESSON" --variant "$v" --think 0 --eat 0 --philosophers 12 --meals 300
        assert_all_fed "$v" 12 300
        assert_unlucky_line "$v" 12 300
    done
}

@test "trylock says how often each philosopher put the left fork back; unlucky, at least once" {
    run_lesson 15 "$LESSON" --variant trylock "${FAST[@]}"
    assert_all_fed trylock 5 30
    assert_equal "$(printf '%s\n' "${lines[@]}" |
        grep -cE '^philosopher [0-9]+: .*, put the left fork back [0-9]+ times$')" 5
    # all five held their left fork when the first one tried its right: that try failed
    local backs
    backs=$(printf '%s\n' "${lines[@]}" | sed -nE 's/.*, put the left fork back ([0-9]+) times$/\1/p' |
        awk '{ n += $1 } END { print n + 0 }')
    ((backs >= 1)) || fail "no fork was ever put back"
}

@test "naive deadlocks on every run; the watchdog names the cycle, exit 3" {
    for _ in 1 2 3; do
        run_lesson 10 "$LESSON" --variant naive --timeout 0.3 "${FAST[@]}"
        assert_failure 3
        assert_line --index 0 \
            "variant=naive: 5 philosophers, 30 meals each; 5 hold their first fork before anyone reaches for the second"
        assert_line "watchdog: no meal eaten for 0.3 s; 0 of 150 meals eaten"
        assert_line "watchdog: philosopher 0 holds fork 0, waits for fork 1 (held by philosopher 1)"
        assert_line "watchdog: philosopher 4 holds fork 4, waits for fork 0 (held by philosopher 0)"
        assert_line "watchdog: deadlock: 0 -> 1 -> 2 -> 3 -> 4 -> 0 (each waits for a fork the next one holds)"
        assert_equal "${lines[-1]}" \
            "RESULT variant=naive philosophers=5 meals=0 expected=150 deadlock=detected STUCK"
        refute_line --regexp '^philosopher '
    done
}

@test "naive with 2 philosophers: the smallest cycle" {
    run_lesson 10 "$LESSON" --variant naive --philosophers 2 --timeout 0.3 "${FAST[@]}"
    assert_failure 3
    assert_line "watchdog: philosopher 1 holds fork 1, waits for fork 0 (held by philosopher 0)"
    assert_line --partial "watchdog: deadlock: 0 -> 1 -> 0"
    assert_equal "${lines[-1]}" \
        "RESULT variant=naive philosophers=2 meals=0 expected=60 deadlock=detected STUCK"
}

@test "naive left to chance ends either fed or STUCK, and its verdict agrees with its exit" {
    run_lesson 10 "$LESSON" --variant naive --timing natural --timeout 0.3 "${FAST[@]}"
    case $status in
        0) assert_all_fed naive 5 30 ;;
        3) assert_line --regexp '^RESULT variant=naive philosophers=5 meals=[0-9]+ expected=150 deadlock=(detected|unknown) STUCK$' ;;
        *) fail "unexpected exit status $status" ;;
    esac
}

@test "a watchdog out of patience without a cycle says so: deadlock=unknown, exit 3" {
    # Each meal lasts 0.2 s, so no meal can end within 1 ms.
    run_lesson 10 "$LESSON" --eat 0.2 --think 0 --timeout 0.001
    assert_failure 3
    assert_line "watchdog: no cycle of waits; just slow? try a larger --timeout"
    assert_line --regexp '^RESULT variant=ordered philosophers=5 meals=[0-9]+ expected=150 deadlock=unknown STUCK$'
}

@test "usage errors exit 2 with one line and the usage" {
    usage_errors "$LESSON" \
        '--variant|--variant left-right' \
        '--philosophers|--philosophers 1' \
        '--philosophers|--philosophers 65' \
        '--meals|--meals 0' \
        '--think|--think -1' \
        '--eat|--eat x' \
        '--timing|--timing perfect' \
        '--timeout|--timeout 0' \
        '--scale|--scale 101' \
        'unexpected argument "extra"|extra' \
        'unknown option|--forks 5'
}

@test "--help prints the usage and exits 0" {
    run --separate-stderr timeout 10 "$BUILD/$LESSON" --help
    assert_success
    assert_output --partial "--variant ordered|naive|waiter|trylock"
}

@test "lucky timing: even naive finishes, one philosopher after another" {
    local v
    for v in naive ordered waiter trylock; do
        run_lesson 10 "$LESSON" --variant "$v" --timing lucky "${FAST[@]}" --meals 5
        assert_all_fed "$v" 5 5
    done
}

# ---- the quiz ------------------------------------------------------------------------

@test "quiz: every answering command shows what its answer says" {
    check_quiz "$LESSON"
}
