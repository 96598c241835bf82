# 12_port_scan: both scans find the same open ports, every port the lesson opened among
# them, listed in increasing order; a port someone else holds is neither used nor assumed
# closed; bad input is refused. Timing is never asserted (--scale 0.01 keeps it short).
load helper

LESSON=12_port_scan

setup_file() {
    build "$BUILD/$LESSON"
}

# A first port of our own for each test, so that parallel runs of this file (other build
# folders, other users) rarely share ports; ports 21000..26999 are this file's (the other
# files that scan take 27000..30999, and run beside this one), below Linux's ephemeral
# range (32768 and up), where a probe could connect to itself.
pick_first_port() {
    FIRST=$((21000 + (RANDOM % 60) * 100))
}

# check_scan N K: the output of a successful run over N ports starting at $FIRST, in which
# the lesson opened K ports of its own. Checks, for each SCAN line: its open ports are in
# the range, in increasing order, with no repeats, and include each of the lesson's ports;
# with two SCAN lines, both list the same ports; the RESULT line counts what the lists say.
check_scan() {
    local n=$1 k=$2 line ours list p prev
    line=$(grep -m1 '^the lesson listens on ' <<<"$output") || fail "no 'the lesson listens on' line"
    [[ $line =~ ^the\ lesson\ listens\ on\ ([0-9]+)\ of\ them:((\ [0-9]+)+)\ \( ]] ||
        fail "cannot read the lesson's ports: $line"
    assert_equal "${BASH_REMATCH[1]}" "$k"
    read -ra ours <<<"${BASH_REMATCH[2]}"
    assert_equal "${#ours[@]}" "$k"
    for p in "${ours[@]}"; do
        ((p >= FIRST && p < FIRST + n)) || fail "the lesson's port $p is outside the range"
    done

    local -a lists=()
    while IFS= read -r line; do
        [[ $line =~ ^SCAN\ mode=(serial|pool)\ workers=[0-9]+\ seconds=[0-9.]+\ open=([0-9,]+)$ ]] ||
            fail "bad SCAN line: $line"
        list=${BASH_REMATCH[2]}
        lists+=("$list")
        prev=0
        for p in ${list//,/ }; do
            ((p > prev)) || fail "open ports not in increasing order: $list"
            ((p >= FIRST && p < FIRST + n)) || fail "open port $p is outside the range"
            prev=$p
        done
        for p in "${ours[@]}"; do
            [[ ",$list," == *",$p,"* ]] || fail "the lesson's port $p is missing from: $line"
        done
    done < <(grep '^SCAN ' <<<"$output")
    ((${#lists[@]} >= 1)) || fail "no SCAN line"
    if ((${#lists[@]} == 2)); then
        assert_equal "${lists[0]}" "${lists[1]}"
    fi
    local count
    count=$(tr ',' '\n' <<<"${lists[0]}" | grep -c .)
    assert_line --index -1 --regexp "^RESULT ports=$n open=$count expected_open=$k missing=0 "
}

# ---- both scans agree and find the lesson's ports --------------------------------------

@test "both scans: the same open ports, every one of the lesson's, in port order" {
    pick_first_port
    run_lesson 30 "$LESSON" --ports 60 --first-port "$FIRST" --scale 0.01
    assert_success
    assert_line --index -1 --regexp '^RESULT ports=60 open=[0-9]+ expected_open=3 missing=0 same=yes speedup=[0-9]+\.[0-9]x OK$'
    assert_line --index -3 --regexp '^SCAN mode=serial workers=1 seconds='
    assert_line --index -2 --regexp '^SCAN mode=pool workers=60 seconds='
    check_scan 60 3
}

@test "each scan announces each of the lesson's ports once, with its banner" {
    pick_first_port
    run_lesson 30 "$LESSON" --ports 30 --open 4 --first-port "$FIRST" --scale 0.01
    assert_success
    check_scan 30 4
    local p ours
    ours=$(sed -n 's/^the lesson listens on 4 of them:\([0-9 ]*\) (.*/\1/p' <<<"$output")
    for p in $ours; do
        assert_equal "$(grep -c "^  \[main\] $p open: \"hello from the lesson's service on port $p\"$" <<<"$output")" 1
        assert_equal "$(grep -cE "^  \[scan-[0-9]+\] $p open: \"hello from the lesson's service on port $p\"$" <<<"$output")" 1
    done
    assert_line "the lesson's 4 services greeted 8 connections (one per service per scan)"
}

@test "few workers, many workers, more workers than ports: the same verdict" {
    pick_first_port
    for workers in 1 3 16 200; do
        run_lesson 30 "$LESSON" --ports 40 --open 5 --workers "$workers" --first-port "$FIRST" --scale 0.01
        assert_success
        assert_line --index -2 --regexp "^SCAN mode=pool workers=$workers seconds="
        check_scan 40 5
    done
}

@test "--mode serial and --mode pool: one scan each, no comparison" {
    pick_first_port
    for mode in serial pool; do
        run_lesson 30 "$LESSON" --mode "$mode" --ports 50 --first-port "$FIRST" --scale 0.01
        assert_success
        assert_equal "$(grep -c '^SCAN ' <<<"$output")" 1
        assert_line --index -2 --regexp "^SCAN mode=$mode "
        assert_line --index -1 --regexp '^RESULT ports=50 open=[0-9]+ expected_open=3 missing=0 same=n/a speedup=n/a OK$'
        check_scan 50 3
    done
}

# explained N: a line says what the pool's time was made of (its round trips, its CPU, the
# rest), N of them (0 or 1), unless a Doubt says that a scan's time was not its own (a busy
# machine): then no such line. Which of the two depends on the load, never asserted.
explained() {
    local doubts said
    doubts=$(grep -cE '^Doubt: the (serial|pool) scan took [0-9.]+ s, [0-9.]+ s more than its [0-9]+ round trips? and all its CPU time: ' <<<"$output" || true)
    said=$(grep -cE '^(the pool.s [0-9.]+ s: [0-9]+ round trips? \([0-9.]+ s\), its own work \([0-9.]+ s of CPU over all cores: its [0-9]+ threads? and their probes\), [0-9.]+ s beyond both$|nothing to wait for: )' <<<"$output" || true)
    if ((doubts > 0)); then
        assert_equal "$said" 0
    else
        assert_equal "$said" "$1"
    fi
}

@test "each scan shows its CPU time; the pool's time is explained or doubted, once" {
    pick_first_port
    run_lesson 30 "$LESSON" --ports 40 --first-port "$FIRST" --scale 0.01
    assert_success
    assert_line --regexp '^serial: 40 probes in [0-9.]+ s \(CPU [0-9.]+ s\)$'
    assert_line --regexp '^pool: 40 probes in [0-9.]+ s \(CPU [0-9.]+ s\)$'
    explained 1
    run_lesson 30 "$LESSON" --mode pool --workers 4 --ports 40 --first-port "$FIRST" --scale 0.01
    assert_success
    explained 1
    refute_output --partial "nothing to wait for"
    run_lesson 30 "$LESSON" --mode serial --ports 40 --first-port "$FIRST" --scale 0.01
    assert_success
    explained 0
    run_lesson 30 "$LESSON" --ports 40 --first-port "$FIRST" --scale 0
    assert_success
    assert_line --regexp '^nothing to wait for: the pool.s 40 threads used [0-9.]+ s of CPU, serial [0-9.]+ s for the same probes$'
    refute_output --partial "Doubt"
}

@test "every port in the range is the lesson's: all of them open, in order" {
    pick_first_port
    run_lesson 30 "$LESSON" --ports 8 --open 8 --first-port "$FIRST" --scale 0.01
    assert_success
    local all
    all=$(seq -s, "$FIRST" $((FIRST + 7)))
    assert_line --index -3 --regexp "^SCAN mode=serial workers=1 seconds=[0-9.]+ open=$all$"
    assert_line --index -2 --regexp "^SCAN mode=pool workers=8 seconds=[0-9.]+ open=$all$"
    assert_line --index -1 --regexp '^RESULT ports=8 open=8 expected_open=8 missing=0 same=yes '
}

@test "one port, one listener, no simulated latency" {
    pick_first_port
    run_lesson 30 "$LESSON" --ports 1 --open 1 --first-port "$FIRST" --scale 0
    assert_success
    assert_line --index -2 --regexp "^SCAN mode=pool workers=1 seconds=[0-9.]+ open=$FIRST$"
    assert_line --index -1 --regexp '^RESULT ports=1 open=1 expected_open=1 missing=0 same=yes '
}

# ---- a port that another program holds ------------------------------------------------

# hold_port PORT: another program (python3) listens on 127.0.0.1:PORT, silently, for at
# most 20 s; returns once it does. The caller stops it with release_port.
hold_port() {
    command -v python3 >/dev/null || skip "python3 is not installed"
    local ready="$BATS_TEST_TMPDIR/held"
    timeout 20 python3 -c '
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(8)
open(sys.argv[2], "w").close()
time.sleep(30)' "$1" "$ready" 3>&- &
    HOLDER=$!
    for _ in $(seq 100); do
        [[ -e $ready ]] && return 0
        kill -0 "$HOLDER" 2>/dev/null || fail "python3 could not listen on port $1"
        sleep 0.05
    done
    fail "python3 did not start listening on port $1"
}

release_port() {
    kill "$HOLDER" 2>/dev/null || true
    wait "$HOLDER" 2>/dev/null || true
}

@test "a port held by another program: the lesson listens next door, both scans find both" {
    pick_first_port
    # --ports 10 --open 1: the lesson's first choice is the middle of the range, FIRST + 5.
    hold_port $((FIRST + 5))
    run_lesson 30 "$LESSON" --ports 10 --open 1 --first-port "$FIRST" --scale 0.01 --connect-timeout 0.2
    release_port
    assert_success
    assert_line "the lesson listens on 1 of them: $((FIRST + 6)) (anything else found open belongs to another program)"
    assert_line --index -2 --regexp "^SCAN mode=pool workers=10 seconds=[0-9.]+ open=$((FIRST + 5)),$((FIRST + 6))$"
    assert_line --index -1 --regexp '^RESULT ports=10 open=2 expected_open=1 missing=0 same=yes '
    assert_line "  [main] $((FIRST + 5)) open, silent for 0.2 s (not one of the lesson's)"
    check_scan 10 1
}

@test "no free port in the range: says so and fails, exit 1" {
    pick_first_port
    hold_port "$FIRST"
    run --separate-stderr timeout 30 "$BUILD/$LESSON" --ports 1 --open 1 --first-port "$FIRST" --scale 0.01
    release_port
    assert_failure 1
    # shellcheck disable=SC2154  # $stderr is set by run --separate-stderr
    [[ $stderr == *"could open only 0 of 1 listening ports in $FIRST..$FIRST"* ]] || fail "stderr: $stderr"
}

# ---- command line ----------------------------------------------------------------------

@test "--help prints the usage on stdout and exits 0" {
    run_lesson 5 "$LESSON" --help
    assert_success
    assert_line --index 0 --regexp '^usage: 12_port_scan \[--mode both\|serial\|pool\]'
    for opt in --ports --first-port --open --workers --latency --connect-timeout --scale 127.0.0.1; do
        assert_output --partial -- "$opt"
    done
}

@test "bad input: one line naming the problem, the usage, exit 2" {
    local -a cases=(
        "--ports|--ports x"
        "--ports|--ports 0"
        "--ports|--ports -5"
        "--ports|--ports 1025"
        "--ports|--ports 99999999999999999999999"
        "--ports|--first-port 65500 --ports 100"
        "--first-port|--first-port 0"
        "--first-port|--first-port 65536"
        "--first-port|--first-port 2e4"
        "--open|--open 0"
        "--open|--open 65"
        "--open|--ports 4 --open 5"
        "--workers|--workers 0"
        "--workers|--workers -1"
        "--workers|--workers 1025"
        "--workers|--workers many"
        "--latency|--latency 0"
        "--latency|--latency -0.05"
        "--latency|--latency 11"
        "--latency|--latency 1e999"
        "--latency|--latency slow"
        "--connect-timeout|--connect-timeout 0"
        "--connect-timeout|--connect-timeout 61"
        "--scale|--scale -1"
        "--scale|--scale nan"
        "--mode|--mode parallel"
        "--mode|--mode"
        "unknown option|--host 10.0.0.1"
        "unexpected argument \"127.0.0.1\"|--scale 0 127.0.0.1"
    )
    usage_errors "$LESSON" "${cases[@]}"
}

# ---- the quiz ------------------------------------------------------------------------

@test "quiz: every answering command shows what its answer says" {
    check_quiz "$LESSON"
}
