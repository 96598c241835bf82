# 17_rwlock: under either lock no reader ever sees a half-done move and the final total
# is intact; the read and write counts follow from the options exactly, also when the
# two locks take turns in rounds. The timings are printed, never judged here: only the
# words of the lesson's own judgement are held to its per-round digits. --variant no-lock
# may tear any number of reads, so it is only held to bounds and to a verdict and exit
# status that agree with its numbers (and a run that tore none to its "luck" line); with no
# writer there is nothing to tear, and with one writer the final total must still be
# intact. The data race itself is proven by tests/race_detectors.bats (tsan and
# helgrind). The old spelling, --lock, is refused as an unknown option.
load helper

LESSON=17_rwlock

setup_file() {
    build "$BUILD/$LESSON"
}

ROW='^(rwlock|mutex|no-lock) +([0-9]+) +([0-9]+) +([0-9]+) +([0-9]+) +[0-9.]+ +[0-9]+ +[0-9.]+ '
ROW+='+[0-9.]+ +([0-9]+)$'

# The table row for LOCK shows R readers, W writers, N reads, M writes and no torn read.
assert_clean_row() {
    local lock=$1 r=$2 w=$3 n=$4 m=$5 line found=""
    for line in "${lines[@]}"; do
        if [[ "$line" =~ $ROW && "${BASH_REMATCH[1]}" == "$lock" ]]; then
            found=1
            assert_equal "${BASH_REMATCH[*]:2}" "$r $w $n $m 0"
        fi
    done
    [[ -n "$found" ]] || fail "no table row for $lock"
}

# The last timing line: the total ratio, N per-round ratios, and words that follow the
# rounds' digits: a winner only when every round agrees (below 0.95, above 1.05, or between),
# with three rounds; otherwise no winner. Which words a run gets is the machine's business.
assert_words_follow_rounds() {
    local n=$1 line words r faster=0 slower=0 even=0
    line=$(grep '^rwlock / mutex time: ' <<<"$output") || fail "no ratio line"
    [[ "$line" =~ ^rwlock\ /\ mutex\ time:\ [0-9]+\.[0-9]{2}\ \(by\ round:((\ [0-9]+\.[0-9]{2})+)\;\ (.*)\)$ ]] ||
        fail "unexpected: $line"
    words=${BASH_REMATCH[3]}
    local -a rounds
    read -r -a rounds <<<"${BASH_REMATCH[1]}"
    assert_equal "${#rounds[@]}" "$n"
    for r in "${rounds[@]}"; do
        if awk -v r="$r" 'BEGIN { exit !(r < 0.95) }'; then ((++faster))
        elif awk -v r="$r" 'BEGIN { exit !(r > 1.05) }'; then ((++slower))
        else ((++even)); fi
    done
    case "$words" in
    "the rwlock was faster in every round") assert_equal "$faster $n" "$n 3" ;;
    "the mutex was faster in every round") assert_equal "$slower $n" "$n 3" ;;
    "about the same in every round, within 5%") assert_equal "$even $n" "$n 3" ;;
    "the rounds disagree: no winner in this run")
        ((faster < n && slower < n && even < n)) || fail "the rounds agree: $line" ;;
    "too little work to time: no winner in this run") ;;
    *) fail "unexpected words: $line" ;;
    esac
    if ((n < 3)); then assert_equal "$words" "too little work to time: no winner in this run"; fi
}

# ---- rwlock and mutex: never torn, always intact ------------------------------------------

@test "defaults: both locks, 4 readers x 200000, 8000 writes, nothing torn; exit 0" {
    run_lesson 60 "$LESSON"
    assert_success
    assert_line --regexp \
        '^lock +readers +writers +reads +writes +ms +reads/s +ns/op +longest_write_ms +torn$'
    assert_clean_row rwlock 4 1 800000 8000
    assert_clean_row mutex 4 1 800000 8000
    assert_words_follow_rounds 3
    assert_equal "${lines[-1]}" "RESULT variant=both readers=4 writers=1 reads=800000 writes=8000 \
rwlock_torn=0 rwlock_sum=6400 mutex_torn=0 mutex_sum=6400 expected_sum=6400 OK"
}

@test "each lock alone, with 1, 2 and 8 readers and 1 or 3 writers" {
    local lock r w
    for lock in rwlock mutex; do
        for r in 1 2 8; do
            for w in 1 3; do
                run_lesson 30 "$LESSON" --variant "$lock" --readers "$r" --writers "$w" \
                    --ops 5000 --write-percent 10
                assert_success
                assert_clean_row "$lock" "$r" "$w" $((r * 5000)) $((r * 500))
                assert_equal "${lines[-1]}" "RESULT variant=$lock readers=$r writers=$w \
reads=$((r * 5000)) writes=$((r * 500)) torn=0 sum=6400 expected_sum=6400 OK"
            done
        done
    done
}

@test "writes are P per 100 reads, shared out among the writers (rounding down)" {
    # 3 readers x 333 = 999 reads; 7% of them = 69.93 -> 69 writes
    run_lesson 30 "$LESSON" --variant rwlock --readers 3 --ops 333 --write-percent 7 --writers 4
    assert_success
    assert_output --regexp 'RESULT variant=rwlock readers=3 writers=4 reads=999 writes=69 torn=0 '
    # every read a write: the writers hold the lock half the time, still nothing torn
    run_lesson 30 "$LESSON" --readers 2 --ops 3000 --write-percent 100 --writers 2
    assert_success
    assert_output --regexp 'reads=6000 writes=6000 rwlock_torn=0 rwlock_sum=6400 mutex_torn=0 '
}

@test "under 3 stock-takes a reader, fewer rounds and no winner; the totals still add up" {
    local ops
    for ops in 1 2; do
        run_lesson 30 "$LESSON" --ops "$ops" --write-percent 100
        assert_success
        assert_clean_row rwlock 4 1 $((4 * ops)) $((4 * ops))
        assert_clean_row mutex 4 1 $((4 * ops)) $((4 * ops))
        assert_words_follow_rounds "$ops"
    done
}

@test "rounds share the writes out so that they add up to P per 100 reads of the whole run" {
    # 4 readers x 1001 in rounds of 333, 334, 334 stock-takes: 4004 reads, 7% = 280.28 -> 280
    run_lesson 30 "$LESSON" --ops 1001 --write-percent 7
    assert_success
    assert_clean_row rwlock 4 1 4004 280
    assert_clean_row mutex 4 1 4004 280
    assert_words_follow_rounds 3
}

@test "no writers, or no writes: reads only, still exact" {
    run_lesson 30 "$LESSON" --writers 0 --ops 2000
    assert_success
    assert_output --regexp "RESULT variant=both readers=4 writers=0 reads=8000 writes=0 \
rwlock_torn=0 "
    run_lesson 30 "$LESSON" --write-percent 0 --ops 2000
    assert_success
    assert_output --regexp "RESULT variant=both readers=4 writers=1 reads=8000 writes=0 \
rwlock_torn=0 "
}

@test "the smallest and largest tables keep their totals" {
    run_lesson 30 "$LESSON" --entries 2 --ops 5000 --write-percent 50 --writers 2
    assert_success
    assert_output --regexp 'rwlock_torn=0 rwlock_sum=200 mutex_torn=0 mutex_sum=200 [^ ]+ OK$'
    run_lesson 30 "$LESSON" --entries 65536 --ops 50 --write-percent 20
    assert_success
    assert_output --regexp 'rwlock_sum=6553600 mutex_torn=0 mutex_sum=6553600 [^ ]+=6553600 OK$'
}

# ---- no-lock: only bounds, and honesty -------------------------------------------------

VERDICT_NO_LOCK='^RESULT variant=no-lock readers=([0-9]+) writers=([0-9]+) '
VERDICT_NO_LOCK+='reads=([0-9]+) writes=([0-9]+) torn=([0-9]+) sum=(-?[0-9]+) '
VERDICT_NO_LOCK+='expected_sum=([0-9]+) (OK|FAIL)$'

@test "no-lock: torn <= reads; one writer keeps the total; FAIL exactly when a read tore" {
    local ops
    for ops in 1000 50000; do
        run_lesson 30 "$LESSON" --variant no-lock --ops "$ops"
        [[ "${lines[-1]}" =~ $VERDICT_NO_LOCK ]] || fail "unexpected last line: ${lines[-1]}"
        local reads=${BASH_REMATCH[3]} torn=${BASH_REMATCH[5]} sum=${BASH_REMATCH[6]}
        local word=${BASH_REMATCH[8]}
        assert_equal "$reads" $((4 * ops))
        ((torn <= reads)) || fail "torn $torn > reads $reads"
        assert_equal "$sum" 6400      # a single writer: no move is lost, only seen half done
        if ((torn > 0)); then
            assert_equal "$word" FAIL
            assert_failure 1
            assert_line "$torn of $reads stock-takes saw a wrong total: a move was half done"
        else
            assert_equal "$word" OK
            assert_success
            assert_line --partial "no stock-take tore this time. That is luck, not correctness"
        fi
    done
}

@test "no-lock without writers has nothing to tear: exact, OK" {
    run_lesson 30 "$LESSON" --variant no-lock --writers 0 --ops 5000
    assert_success
    assert_equal "${lines[-1]}" "RESULT variant=no-lock readers=4 writers=0 reads=20000 writes=0 \
torn=0 sum=6400 expected_sum=6400 OK"
}

# ---- command line -----------------------------------------------------------------------

@test "--help prints the usage on stdout and exits 0" {
    run --separate-stderr timeout 5 "$BUILD/$LESSON" --help
    assert_success
    assert_line --index 0 --regexp '^usage: 17_rwlock \[--variant both\|rwlock\|mutex\|no-lock\]'
    assert_output --partial "--write-percent"
    assert_output --partial "--entries"
    # shellcheck disable=SC2154  # $stderr is set by run --separate-stderr
    assert_equal "$stderr" ""
}

@test "bad input: one line naming the problem, the usage, exit 2" {
    local -a cases=(
        "--readers: expected an integer from 1 to 64, got \"x\"|--readers x"
        "--readers|--readers 0"
        "--readers|--readers -1"
        "--readers|--readers 65"
        "--readers|--readers 99999999999999999999999"
        "--writers|--writers -1"
        "--writers|--writers 65"
        "--writers|--writers one"
        "--ops|--ops 0"
        "--ops|--ops 1e6"
        "--ops|--ops 100000001"
        "--write-percent|--write-percent 101"
        "--write-percent|--write-percent -5"
        "--write-percent|--write-percent 5%"
        "--entries|--entries 1"
        "--entries|--entries 65537"
        "--variant|--variant spin"
        "--variant|--variant none"
        "unknown option|--mode mutex"
        "needs a value|--variant"
        "unexpected argument \"mutex\"|--readers 2 mutex"
    )
    usage_errors "$LESSON" "${cases[@]}"
}

@test "an unknown variant lists the variants that exist" {
    run --separate-stderr timeout 5 "$BUILD/$LESSON" --variant spin
    assert_usage_error '--variant: expected one of both|rwlock|mutex|no-lock, got "spin"'
}

@test "the old spelling --lock is gone: an unknown option, exit 2" {
    local -a cases=(
        "unknown option \"--lock\"|--lock none"
        "unknown option \"--lock\"|--lock rwlock --ops 100"
        "unknown option \"--lock=both\"|--lock=both"
    )
    usage_errors "$LESSON" "${cases[@]}"
}

# ---- the quiz ------------------------------------------------------------------------

@test "quiz: every answering command shows what its answer says" {
    check_quiz "$LESSON"
}
