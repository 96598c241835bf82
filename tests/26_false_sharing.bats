# 26_false_sharing: whatever the layout and the thread count (more threads than CPUs
# included), every thread's counter holds exactly N after every run: the verdict's totals
# are T x N and wrong_counts=0. --show-layout's addresses prove the layouts are what they
# say: packed counters 8 bytes apart in one aligned array, padded ones 64 apart, each at
# the start of a line. Timings are never asserted, only that the printed ratios are the
# table's own medians divided (as printed, within rounding) and that the notes appear
# exactly when their condition holds.
load helper

LESSON=26_false_sharing

setup_file() {
    build "$BUILD/$LESSON"
}

# The verdict of a run of T threads x N increments over R rounds, with these layouts.
expect_verdict() {
    local t=$1 n=$2 r=$3 layouts=$4 fields="" l
    for l in $layouts; do fields+=" $l=$((t * n))"; done
    assert_equal "${lines[-1]}" \
        "RESULT threads=$t increments=$n rounds=$r expected=$((t * n))$fields wrong_counts=0 OK"
}

# A table row's median (ms) for one layout.
median_of() {
    printf '%s\n' "${lines[@]}" | awk -v l="$1" '$1 == l && NF == 6 && $2 ~ /^[0-9.]+$/ { print $2 }'
}

# "X took R.RRx padded's time": R is X's median over padded's, as far as the table's
# rounding to 0.1 ms (and the ratio's to 0.01) lets us tell.
check_ratio() {
    local layout=$1 ratio p q
    ratio=$(printf '%s\n' "${lines[@]}" |
        sed -nE "s/^$layout took ([0-9.]+)x padded's time in this run \(medians of [0-9]+ rounds?\)$/\1/p")
    [[ -n "$ratio" ]] || fail "no ratio line for $layout"
    p=$(median_of "$layout") q=$(median_of padded)
    awk -v r="$ratio" -v p="$p" -v q="$q" 'BEGIN {
        if (q - 0.05 <= 0) exit 0                  # too short to tell: nothing to check
        lo = (p - 0.05) / (q + 0.05) - 0.005; hi = (p + 0.05) / (q - 0.05) + 0.005
        exit !(r >= lo && r <= hi) }' ||
        fail "$layout took ${ratio}x, but the table says $p ms against padded's $q ms"
}

# "spread: X's runs took A to B ms, over 2x apart" exactly when the table's max is over
# twice its min (as far as rounding to 0.1 ms lets us tell), with the table's own figures.
check_spread() {
    local layout=$1 row min max said
    row=$(printf '%s\n' "${lines[@]}" | awk -v l="$layout" '$1 == l && NF == 6 { print $3, $4 }')
    read -r min max <<<"$row"
    said=$(printf '%s\n' "${lines[@]}" |
        sed -nE "s/^spread: $layout's runs took ([0-9.]+) to ([0-9.]+) ms, over 2x apart: read the rounds above, not only the median$/\1 \2/p")
    if [[ -n "$said" ]]; then
        assert_equal "$said" "$min $max"
        awk -v a="$min" -v b="$max" 'BEGIN { exit !(b + 0.05 > 2 * (a - 0.05)) }' ||
            fail "a spread line for $layout, yet $min to $max ms"
    else
        awk -v a="$min" -v b="$max" 'BEGIN { exit !(b - 0.05 <= 2 * (a + 0.05)) }' ||
            fail "no spread line for $layout, yet $min to $max ms"
    fi
}

# ---- exact counts ---------------------------------------------------------------------------

@test "every layout is exact with 1, 2, 3, 8 and 64 threads (more threads than CPUs)" {
    local t
    for t in 1 2 3 8 64; do
        run_lesson 30 "$LESSON" --threads "$t" --increments 20000 --rounds 2
        assert_success
        expect_verdict "$t" 20000 2 "packed padded local"
        assert_line --regexp "^round 2: (packed|padded|local) [0-9.]+ ms (packed|padded|local) [0-9.]+ ms (packed|padded|local) [0-9.]+ ms$"
        refute_output --partial "WRONG COUNT"
    done
}

@test "each layout alone: exact, its own row, only its own verdict field" {
    local l other
    for l in packed padded local; do
        run_lesson 30 "$LESSON" --layout "$l" --threads 3 --increments 50000 --rounds 3
        assert_success
        expect_verdict 3 50000 3 "$l"
        assert_line --regexp "^$l +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+$"
        for other in packed padded local; do
            [[ $other == "$l" ]] || refute_line --regexp "^$other +[0-9.]+ "
        done
        refute_line --partial "padded's time"   # no ratio without both sides
    done
}

@test "one increment and one round are still exact" {
    run_lesson 10 "$LESSON" --threads 5 --increments 1 --rounds 1
    assert_success
    expect_verdict 5 1 1 "packed padded local"
}

@test "defaults: the CPUs it may use (at least 2) x 25000000, 5 rounds, every layout" {
    local t
    t=$(nproc)
    ((t >= 2)) || t=2
    run_lesson 60 "$LESSON"
    assert_success
    expect_verdict "$t" 25000000 5 "packed padded local"
    assert_line --index 0 --regexp "^$t threads x 25000000 increments, 5 rounds; [0-9]+ CPUs? to run on$"
    refute_line --regexp '^layout (packed|padded):'   # addresses only with --show-layout
}

# ---- the figures: the table's own, never a threshold ------------------------------------------

@test "the table has a row per layout; each ratio is its medians' quotient; spreads said" {
    run_lesson 60 "$LESSON" --threads 2 --increments 2000000 --rounds 3
    assert_success
    assert_line --regexp '^layout +median ms +min ms +max ms +ns/inc +cores$'
    local l
    for l in packed padded local; do
        assert_line --regexp "^$l +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+$"
    done
    check_ratio packed
    check_ratio local
    for l in packed padded local; do check_spread "$l"; done
    assert_line --regexp "^packed took [0-9.]+x padded's time in this run \(medians of 3 rounds\)$"
}

@test "one thread: nothing to share between cores, said as such" {
    run_lesson 30 "$LESSON" --threads 1 --increments 100000 --rounds 2
    assert_success
    expect_verdict 1 100000 2 "packed padded local"
    assert_line "one thread: nothing to share between cores (no other core writes its line)"
    refute_line --partial "note: packed's threads"
}

@test "pinned to one CPU (taskset -c 0): exact, and the lesson says there is one CPU to share" {
    command -v taskset >/dev/null || skip "taskset is not installed"
    run timeout 60 taskset -c 0 "$BUILD/$LESSON" --threads 2 --increments 3000000 --rounds 3
    assert_success
    expect_verdict 2 3000000 3 "packed padded local"
    assert_line --regexp "^one CPU: nothing to share between cores"
    refute_line --regexp "^note: packed's threads kept"
}

@test "the note, when it appears, quotes packed's cores column" {
    (($(nproc) >= 2)) || skip "one CPU: no note is ever printed"
    run_lesson 30 "$LESSON" --threads 2 --increments 300000 --rounds 3
    assert_success
    local cores note
    cores=$(printf '%s\n' "${lines[@]}" | awk '$1 == "packed" && NF == 6 { print $6 }')
    note=$(printf '%s\n' "${lines[@]}" | sed -nE "s/^note: packed's threads kept ([0-9.]+) CPUs busy of the 2 .*/\1/p")
    if [[ -n "$note" ]]; then
        assert_equal "$note" "$cores"
        awk -v c="$cores" 'BEGIN { exit !(c <= 1.50) }' || fail "a note, yet cores=$cores"
    else
        awk -v c="$cores" 'BEGIN { exit !(c >= 1.50) }' || fail "no note, yet cores=$cores"
    fi
}

# ---- the layouts in memory ---------------------------------------------------------------------

# The --show-layout line of one layout, as decimal addresses, into the array addrs.
read_addresses() {
    local line a
    line=$(printf '%s\n' "${lines[@]}" | grep -E "^layout $1:( 0x[0-9a-f]+)+$") ||
        fail "no address line for $1"
    addrs=()
    for a in ${line#*:}; do addrs+=($((a))); done
}

@test "--show-layout: packed counters 8 bytes apart from a line's start, padded 64 apart, each on a line of its own" {
    run_lesson 10 "$LESSON" --show-layout --threads 10 --increments 10 --rounds 1
    assert_success
    expect_verdict 10 10 1 "packed padded local"
    local -a addrs
    local i
    read_addresses packed
    assert_equal "${#addrs[@]}" 10
    assert_equal "$((addrs[0] % 64))" 0     # counters 0..7 share exactly one line
    for ((i = 1; i < 10; i++)); do
        assert_equal "$((addrs[i] - addrs[i - 1]))" 8
    done
    read_addresses padded
    assert_equal "${#addrs[@]}" 10
    for ((i = 0; i < 10; i++)); do
        assert_equal "$((addrs[i] % 64))" 0
        ((i == 0)) || assert_equal "$((addrs[i] - addrs[i - 1]))" 64
    done
    assert_line "layout local: each thread's own stack, then packed's slots, once"
}

@test "the cache line size: 64, and what the machine reports beside it" {
    run_lesson 10 "$LESSON" --threads 2 --increments 10 --rounds 1
    assert_success
    local reported
    reported=$(getconf LEVEL1_DCACHE_LINESIZE 2>/dev/null || echo 0)
    case $reported in
    64) assert_line "cache line: CACHE_LINE = 64 bytes, as this machine reports" ;;
    0 | "" | undefined) assert_line --regexp '^cache line: CACHE_LINE = 64 bytes, assumed' ;;
    *) assert_line --regexp "^cache line: CACHE_LINE = 64 bytes, but this machine reports $reported: " ;;
    esac
}

# ---- command line ------------------------------------------------------------------------------

@test "--help prints the usage on stdout and exits 0" {
    run --separate-stderr timeout 5 "$BUILD/$LESSON" --help
    assert_success
    assert_line --index 0 --regexp '^usage: 26_false_sharing \[--layout all\|packed\|padded\|local\]'
    assert_output --partial "--show-layout"
    # shellcheck disable=SC2154  # $stderr is set by run --separate-stderr
    assert_equal "$stderr" ""
}

@test "bad input: one line naming the problem, the usage, exit 2" {
    local -a cases=(
        "--threads: expected an integer from 1 to 256, got \"x\"|--threads x"
        "--threads|--threads 0"
        "--threads|--threads -1"
        "--threads|--threads 257"
        "--threads|--threads 99999999999999999999999"
        "--increments|--increments 0"
        "--increments|--increments 1000000001"
        "--increments|--increments 1e6"
        "--rounds|--rounds 0"
        "--rounds|--rounds 101"
        "--rounds|--rounds 2.5"
        "--layout|--layout aligned"
        "--layout|--layout PACKED"
        "needs a value|--layout"
        "--show-layout=1|--show-layout=1"
        "unknown option|--variant packed"
        "unexpected argument \"packed\"|--threads 2 packed"
    )
    usage_errors "$LESSON" "${cases[@]}"
}

@test "an unknown layout lists the layouts that exist" {
    run --separate-stderr timeout 5 "$BUILD/$LESSON" --layout aligned
    assert_usage_error '--layout: expected one of all|packed|padded|local, got "aligned"'
}

# ---- the quiz ------------------------------------------------------------------------

@test "quiz: every answering command shows what its answer says" {
    check_quiz "$LESSON"
}
