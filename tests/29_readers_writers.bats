# 29_readers_writers: under both locks no reader ever sees a torn record, no writer shares
# the record, and every planned write is either done or counted as given up; the writers'
# and readers' lines agree with the verdict. How many writes readers-first lets through, and
# every wait, are measured: only their shape is asserted, never a value (starvation is
# reported, not asserted).
load helper

LESSON=29_readers_writers

setup_file() {
    build "$BUILD/$LESSON"
}

VERDICT='^RESULT variant=(fair|readers-first) readers=([0-9]+) writers=([0-9]+) reads=([0-9]+) '
VERDICT+='writes=([0-9]+) planned=([0-9]+) torn=0 overlap=0 OK$'
WRITERS='^writers \(measured\): finished ([0-9]+) of ([0-9]+) planned writes in [0-9.]+ s; '
WRITERS+='the longest wait [0-9.]+ s; ([0-9]+) writes not done \(given up at the end\)$'

# After a run: success, the verdict for variant $1 with $2 readers, $3 writers and $4
# planned writes, and a writers' line whose counts agree with it and add up to the plan.
assert_consistent() {
    local variant=$1 r=$2 w=$3 planned=$4 line writes
    assert_success
    [[ "${lines[-1]}" =~ $VERDICT ]] || fail "unexpected last line: ${lines[-1]}"
    assert_equal "${BASH_REMATCH[1]} ${BASH_REMATCH[2]} ${BASH_REMATCH[3]} ${BASH_REMATCH[6]}" \
        "$variant $r $w $planned"
    writes=${BASH_REMATCH[5]}
    ((writes <= planned)) || fail "more writes than planned"
    line=$(printf '%s\n' "${lines[@]}" | grep '^writers ')
    [[ "$line" =~ $WRITERS ]] || fail "unexpected writers line: $line"
    assert_equal "${BASH_REMATCH[1]} ${BASH_REMATCH[2]}" "$writes $planned"
    assert_equal "$((BASH_REMATCH[1] + BASH_REMATCH[3]))" "$planned"
    assert_line --regexp '^readers \(measured\): [0-9]+ reads; the longest wait [0-9.]+ s$'
}

@test "fair is the default; the defaults keep the record whole" {
    run_lesson 15 "$LESSON"
    assert_consistent fair 4 2 200
    # a waiting writer stops new readers, so writers do get in (readers-first's, under the
    # same 4 overlapping readers, typically get none): not a rate, only that it is not zero
    [[ "${lines[-1]}" =~ \ writes=([0-9]+)\  ]] && ((BASH_REMATCH[1] >= 1)) ||
        fail "fair let no writer in: ${lines[-1]}"
    assert_equal "${lines[0]}" \
        "variant=fair: 4 readers reading for 1 s, 2 writers planning 100 writes each"
}

@test "readers-first keeps the record whole too, whatever the writers get" {
    run_lesson 15 "$LESSON" --variant readers-first --seconds 0.3
    assert_consistent readers-first 4 2 60
}

@test "both locks, many writers and readers, no pauses inside: still whole" {
    local v
    for v in fair readers-first; do
        run_lesson 15 "$LESSON" --variant "$v" --seconds 0.2 --readers 6 --writers 5 \
            --read 0 --write 0 --interval 0.001
        assert_consistent "$v" 6 5 1000
        run_lesson 15 "$LESSON" --variant "$v" --seconds 0.2 --readers 1 --writers 1
        assert_consistent "$v" 1 1 20
    done
}

@test "usage errors exit 2 with one line and the usage" {
    usage_errors "$LESSON" \
        '--variant|--variant writers-first' \
        '--readers|--readers 0' \
        '--writers|--writers 65' \
        '--seconds|--seconds 0' \
        '--interval|--interval x' \
        '--interval|--seconds 0.1 --interval 1' \
        '--read|--read 2' \
        '--write|--write -0.1' \
        'unexpected argument "extra"|extra' \
        'unknown option|--scale 2'
}

@test "--help prints the usage and exits 0" {
    run --separate-stderr timeout 10 "$BUILD/$LESSON" --help
    assert_success
    assert_output --partial "--variant fair|readers-first"
}

# ---- the quiz ------------------------------------------------------------------------

@test "quiz: every answering command shows what its answer says" {
    check_quiz "$LESSON"
}
