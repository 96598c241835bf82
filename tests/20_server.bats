# 20_server: every request sent is answered, logged and written to the shared file exactly
# once; the file adds up to the counter; bad clients get their error and stall nobody; a
# signal ends the server cleanly with clients still connected. Checked by the lesson's own
# verdict and, independently, from its log and ledger files. Timing is never asserted: the
# waits below are bounded loops, and every run goes through `timeout`.
load helper

LESSON=20_server

setup_file() {
    build "$BUILD/$LESSON"
}

# check_files LOG LEDGER ANSWERED CONNECTIONS: the logger wrote one "ADD k -> OK total=T" line
# per answer; the ledger has one line per answer, each total the previous one plus its add;
# the log's totals and the ledger's are the same set; each connection 1..CONNECTIONS was
# opened and closed in the log exactly once.
check_files() {
    local log=$1 ledger=$2 answered=$3 connections=$4 problems
    local answer='^log [0-9.]+ srv-[0-9]+ client [0-9]+: ADD [0-9]+ -> OK total=[0-9]+$'
    assert_equal "$(grep -cE "$answer" "$log")" "$answered"
    assert_equal "$(wc -l <"$ledger")" "$answered"
    # a ledger line: total=T add=K client=C
    problems=$(awk -F'[= ]' '{
        if ($2 != last + $4) print "line " NR ": " $0 " after total " last
        last = $2 }' "$ledger")
    [[ -z "$problems" ]] || fail "the ledger does not add up: $(head -5 <<<"$problems")"
    diff <(sed -n 's/.*-> OK total=//p' "$log" | sort -n) \
        <(sed 's/^total=\([0-9]*\) .*/\1/' "$ledger" | sort -n) >/dev/null ||
        fail "the log's totals and the ledger's differ"
    problems=$(awk -v C="$connections" '
        / client [0-9]+: from port / { opened[$5 + 0]++ }
        / client [0-9]+: closed \(/ { closed[$5 + 0]++ }
        END {
            for (c = 1; c <= C; c++)
                if (opened[c] != 1 || closed[c] != 1)
                    print "client " c ": opened " opened[c] + 0 ", closed " closed[c] + 0
        }' "$log")
    [[ -z "$problems" ]] || fail "$(head -5 <<<"$problems")"
}

# demo_ok SENT BAD_SENT: the demo's last line, everything equal, the counter as expected.
demo_ok() {
    local r="^RESULT sent=$1 answered=$1 logged=$1 ledger=$1 adds_up=yes bad_sent=$2 rejected=$2 bad_answers=0"
    assert_line --index -1 --regexp "$r counter=([0-9]+) expected=\\1 OK\$"
}

# log_has COUNT REGEX [FILE]: COUNT lines of the log (default $SERVER_LOG) match REGEX.
log_has() {
    assert_equal "$(grep -cE -- "$2" "${3:-$SERVER_LOG}")" "$1"
}

# start_server ARGS...: the server in the background (its output in $SERVER_OUT, its log in
# $SERVER_LOG); returns once it prints LISTENING, with $PORT and $SERVER_PID set.
start_server() {
    SERVER_OUT="$BATS_TEST_TMPDIR/server.out"
    SERVER_LOG="$BATS_TEST_TMPDIR/server.log"
    timeout 30 "$BUILD/$LESSON" --mode server --max-seconds 25 --log-file "$SERVER_LOG" \
        --ledger-file "$BATS_TEST_TMPDIR/ledger" "$@" >"$SERVER_OUT" 2>&1 3>&- &
    SERVER_PID=$!
    for _ in $(seq 200); do
        PORT=$(sed -n 's/^LISTENING port=\([0-9]*\)$/\1/p' "$SERVER_OUT")
        [[ -n $PORT ]] && return 0
        kill -0 "$SERVER_PID" 2>/dev/null || fail "the server ended early: $(cat "$SERVER_OUT")"
        sleep 0.05
    done
    fail "the server printed no LISTENING line"
}

# stop_server SIGNAL: send it, wait for the server; then $output/$lines are the server's
# output and $SERVER_STATUS its exit status.
stop_server() {
    kill "-$1" "$SERVER_PID"
    SERVER_STATUS=0
    wait "$SERVER_PID" || SERVER_STATUS=$?
    run cat "$SERVER_OUT"
}

# A connection of the test's own (bash's /dev/tcp) on fd $RAW, past the server's HELLO.
# (bats keeps fd 3 for itself: bash picks a free fd above 9.)
open_raw() {
    exec {RAW}<>"/dev/tcp/127.0.0.1/$PORT" || fail "cannot connect to port $PORT"
    local hello
    read -r -t 10 hello <&"$RAW" || fail "no HELLO"
    [[ $hello == "HELLO 20_server workers="* ]] || fail "not a HELLO: $hello"
}

close_raw() {
    exec {RAW}<&-
}

# expect_raw LINE: the next line on fd $RAW (within 10 s) is LINE.
expect_raw() {
    local line
    read -r -t 10 line <&"$RAW" || fail "no answer, expected '$1'"
    assert_equal "$line" "$1"
}

# ---- the demo: server and clients in one process -----------------------------------------

@test "demo, 200 clients: sent, answered, logged and written all equal; bad ones rejected" {
    local log="$BATS_TEST_TMPDIR/log" ledger="$BATS_TEST_TMPDIR/ledger"
    run_lesson 30 "$LESSON" --clients 200 --idle-timeout 0.5 --log-file "$log" \
        --ledger-file "$ledger"
    assert_success
    demo_ok 600 3
    assert_line --index -2 --regexp \
        '^THROUGHPUT workers=8 clients=200 requests=600 seconds=[0-9.]+ rps=[0-9]+$'
    assert_line --regexp '^server: stopped by SIGTERM after [0-9.]+ s; 203 connections '
    assert_line --regexp ' \(0 turned away busy\), 600 requests answered, 3 bad; '
    assert_line --regexp '^client: 3 of 3 bad clients got their error '
    check_files "$log" "$ledger" 600 203
    log_has 1 'bad request "GET / HTTP/1.0" -> ERR bad request$' "$log"
    log_has 1 ': closed \(line too long\) after 0 answered, 1 bad$' "$log"
    log_has 1 ': closed \(idle timeout\) after 0 answered, 1 bad$' "$log"
}

@test "demo with one worker, many requests and two bad clients of each kind: all equal" {
    for workers in 1 3; do
        run_lesson 30 "$LESSON" --workers "$workers" --clients 40 --requests 25 --bad 2 \
            --idle-timeout 0.3
        assert_success
        demo_ok 1000 6
        assert_line --index -2 --regexp "^THROUGHPUT workers=$workers clients=40 requests=1000 "
    done
}

@test "demo without bad clients, a long line limit, the default temporary files are removed" {
    export TMPDIR="$BATS_TEST_TMPDIR/tmp"
    mkdir -p "$TMPDIR"
    run_lesson 30 "$LESSON" --clients 10 --requests 5 --bad 0 --max-line 4096
    assert_success
    demo_ok 50 0
    assert_equal "$(find "$TMPDIR" -mindepth 1 | wc -l)" 0
}

# ---- server and client as separate processes -------------------------------------------

@test "SIGTERM with an idle client connected: BYE to it, exit 0, every count equal" {
    start_server --idle-timeout 60 --max-hold 600
    open_raw                                  # an idle client, holding a worker
    run_lesson 20 "$LESSON" --mode client --port "$PORT" --clients 50 --bad 0
    assert_success
    assert_line --index -1 'RESULT sent=150 answered=150 bad_sent=0 rejected=0 bad_answers=0 OK'
    assert_line --index -2 --regexp '^THROUGHPUT workers=8 clients=50 requests=150 '
    stop_server TERM
    expect_raw "BYE server shutting down"     # told, not cut off
    close_raw
    assert_equal "$SERVER_STATUS" 0
    assert_line --regexp '^server: stopped by SIGTERM after '
    assert_line --index -1 --regexp \
        '^RESULT accepted=51 answered=150 logged=150 ledger=150 adds_up=yes bad=0 counter=[0-9]+ OK$'
    check_files "$SERVER_LOG" "$BATS_TEST_TMPDIR/ledger" 150 51
    log_has 1 'client 1: closed \(server shutting down\) after 0 answered, 0 bad$'
}

@test "SIGINT in the middle of a stream of requests: what was answered was logged and written" {
    start_server
    timeout 20 "$BUILD/$LESSON" --mode client --port "$PORT" --clients 4 --requests 10000 --bad 0 \
        >"$BATS_TEST_TMPDIR/client.out" 2>&1 3>&- &
    local client=$! client_status=0
    # Until the server has logged some answers (the log file is written in blocks).
    for _ in $(seq 400); do
        (($(grep -c 'OK total=' "$SERVER_LOG") > 0)) && break
        sleep 0.02
    done
    stop_server INT
    wait "$client" || client_status=$?
    assert_equal "$SERVER_STATUS" 0
    assert_line --regexp '^server: stopped by SIGINT after '
    assert_line --index -1 --regexp \
        '^RESULT accepted=4 answered=([0-9]+) logged=\1 ledger=\1 adds_up=yes bad=0 counter=[0-9]+ OK$'
    local answered
    answered=$(sed -n 's/^RESULT accepted=4 answered=\([0-9]*\) .*/\1/p' <<<"$output")
    check_files "$SERVER_LOG" "$BATS_TEST_TMPDIR/ledger" "$answered" 4
    # The client got exactly the answers the server gave, none wrong; the requests cut off
    # by the shutdown were sent and never answered (so it may say FAIL, but only so).
    run cat "$BATS_TEST_TMPDIR/client.out"
    assert_line --index -1 --regexp \
        "^RESULT sent=[0-9]+ answered=$answered bad_sent=0 rejected=0 bad_answers=0 (OK|FAIL)$"
    if ((client_status == 0)); then
        assert_line --index -1 --regexp '^RESULT sent=40000 answered=40000 '
    else
        assert_equal "$client_status" 1
    fi
    refute_output --partial "wrong answer"
}

@test "--max-seconds ends the server on its own, cleanly" {
    run_lesson 20 "$LESSON" --mode server --max-seconds 0.2 --log-file /dev/null
    assert_success
    assert_line --index 0 --regexp '^LISTENING port=[0-9]+$'
    assert_line --regexp '^server: stopped by the time limit \(--max-seconds\) after '
    assert_line --index -1 'RESULT accepted=0 answered=0 logged=0 ledger=0 adds_up=yes bad=0 counter=0 OK'
}

# ---- bad requests ----------------------------------------------------------------------

@test "bad requests get ERR bad request and the connection goes on; ADD still works after" {
    start_server
    open_raw
    local bad
    for bad in "GET / HTTP/1.0" "ADD" "ADD 0" "ADD -1" "ADD +5" "ADD  5" "ADD 1000001" \
        "ADD 5 6" "ADD 5x" "add 5" "ADD 99999999999999999999999" ""; do
        printf '%s\n' "$bad" >&"$RAW"
        expect_raw "ERR bad request"
    done
    printf 'ADD 5\0junk\n' >&"$RAW"              # a NUL byte does not end the line early
    expect_raw "ERR bad request"
    printf 'ADD 1000000\r\n' >&"$RAW"            # telnet's line ending is fine
    expect_raw "OK 1000000 total=1000000"
    printf 'ADD 7\n' >&"$RAW"
    expect_raw "OK 7 total=1000007"
    close_raw
    stop_server TERM
    assert_equal "$SERVER_STATUS" 0
    assert_line --index -1 \
        'RESULT accepted=1 answered=2 logged=2 ledger=2 adds_up=yes bad=13 counter=1000007 OK'
}

@test "an oversized line gets ERR too long and the server hangs up" {
    start_server --max-line 32
    open_raw
    printf '%s\n' "ADD 1$(printf '0%.0s' $(seq 40))" >&"$RAW"
    expect_raw "ERR too long"
    local line
    ! read -r -t 10 line <&"$RAW" || fail "the server did not hang up; it sent: $line"
    close_raw
    # a line of exactly 32 bytes, its newline included, is not too long
    open_raw
    printf 'ADD %s\n' "$(printf '0%.0s' $(seq 26))1" >&"$RAW"
    expect_raw "OK 1 total=1"
    close_raw
    stop_server TERM
    assert_equal "$SERVER_STATUS" 0
    assert_line --index -1 'RESULT accepted=2 answered=1 logged=1 ledger=1 adds_up=yes bad=1 counter=1 OK'
    log_has 1 'client 1: closed \(line too long\) after 0 answered, 1 bad$'
}

@test "a silent client gets ERR idle timeout; it stalls nobody meanwhile" {
    # Two workers, an idle timeout far beyond this test's own timeout: if the silent client
    # stalled the others, the client run below could not finish.
    start_server --workers 2 --idle-timeout 120 --max-hold 600
    open_raw
    run_lesson 20 "$LESSON" --mode client --port "$PORT" --clients 30 --requests 4 --bad 0
    assert_success
    assert_line --index -1 'RESULT sent=120 answered=120 bad_sent=0 rejected=0 bad_answers=0 OK'
    close_raw
    stop_server TERM
    assert_equal "$SERVER_STATUS" 0
    assert_line --index -1 --regexp '^RESULT accepted=31 answered=120 logged=120 ledger=120 adds_up=yes bad=0 '

    # And with a short idle timeout the silent client is told so and hung up on.
    start_server --idle-timeout 0.5
    open_raw
    expect_raw "ERR idle timeout"
    close_raw
    run_lesson 20 "$LESSON" --mode client --port "$PORT" --clients 20 --bad 2 --timeout 10
    assert_success
    assert_line --index -1 'RESULT sent=60 answered=60 bad_sent=6 rejected=6 bad_answers=0 OK'
    stop_server TERM
    assert_equal "$SERVER_STATUS" 0
    assert_line --index -1 --regexp '^RESULT accepted=27 answered=60 logged=60 ledger=60 adds_up=yes bad=7 '
}

# ---- clients that hold a worker on purpose (tests/rude_client.py) -------------------------

# rude HOW SECONDS: tests/rude_client.py against the server, in the background ($RUDE_PID,
# its last line in $RUDE_OUT); returns once a worker has taken it.
rude() {
    RUDE_OUT="$BATS_TEST_TMPDIR/rude.out"
    local err="$BATS_TEST_TMPDIR/rude.err"
    timeout 60 python3 tests/rude_client.py "$PORT" "$1" --for "$2" >"$RUDE_OUT" 2>"$err" 3>&- &
    RUDE_PID=$!
    for _ in $(seq 200); do
        grep -q '^taken$' "$err" && return 0
        kill -0 "$RUDE_PID" 2>/dev/null || fail "rude_client.py ended: $(cat "$RUDE_OUT" "$err")"
        sleep 0.05
    done
    fail "the server never took the rude client"
}

@test "a client that never reads its answers loses its worker; the client behind it is served" {
    # One worker. Before, the worker went on answering into a full socket (each answer
    # timing out and ignored) for as long as the attacker kept sending: the good client
    # below waited out its --timeout and failed.
    start_server --workers 1 --idle-timeout 0.5 --max-hold 600
    rude nonreader 40
    run_lesson 20 "$LESSON" --mode client --port "$PORT" --clients 5 --bad 0 --timeout 30
    assert_success
    assert_line --index -1 'RESULT sent=15 answered=15 bad_sent=0 rejected=0 bad_answers=0 OK'
    kill "$RUDE_PID" 2>/dev/null || true
    stop_server TERM
    assert_equal "$SERVER_STATUS" 0
    # what it was sent an answer for was done, logged and written: the books still agree
    assert_line --index -1 --regexp '^RESULT accepted=6 answered=([0-9]+) logged=\1 ledger=\1 adds_up=yes .* OK$'
    log_has 1 'client 1: closed \((not reading its answers|idle timeout)\) after [0-9]+ answered'
}

@test "a polite client that keeps its worker busy is cut at --max-hold; the next one is served" {
    start_server --workers 1 --max-hold 1
    rude slow 40                              # a good request every 0.2 s, for 40 s
    run_lesson 20 "$LESSON" --mode client --port "$PORT" --clients 5 --bad 0 --timeout 30
    assert_success
    assert_line --index -1 'RESULT sent=15 answered=15 bad_sent=0 rejected=0 bad_answers=0 OK'
    wait "$RUDE_PID" || fail "the slow client was not cut off: $(cat "$RUDE_OUT")"
    assert_equal "$(cat "$RUDE_OUT")" "last: BYE time limit"
    stop_server TERM
    assert_equal "$SERVER_STATUS" 0
    assert_line 'server: 1 clients held a worker for --max-hold (BYE time limit), 0 did not read their answers (hung up on)'
    assert_line --index -1 --regexp '^RESULT accepted=6 answered=([0-9]+) logged=\1 ledger=\1 adds_up=yes bad=0 .* OK$'
    log_has 1 'client 1: closed \(held its worker for --max-hold\) after [0-9]+ answered, 0 bad$'
}

@test "--slow: slow clients first in line are each cut at --max-hold; the good ones all served" {
    # 2 workers, 4 slow clients: the good clients queue behind two rounds of them (the
    # wait is printed; its length is the benchmark's business, not this test's)
    run_lesson 60 "$LESSON" --workers 2 --slow 4 --max-hold 0.5 --idle-timeout 0.4 \
        --clients 20 --bad 0
    assert_success
    assert_line --partial 'client: 4 of 4 slow clients were cut off with BYE time limit, after '
    assert_line --regexp '^client: 20 good clients waited for a worker \(connect to HELLO\): median [0-9.]+ s, longest [0-9.]+ s$'
    refute_line --partial 'got no HELLO'
    assert_line 'server: 4 clients held a worker for --max-hold (BYE time limit), 0 did not read their answers (hung up on)'
    assert_line --index -1 --regexp '^RESULT sent=60 answered=60 logged=([0-9]+) ledger=\1 adds_up=yes bad_sent=0 rejected=0 bad_answers=0 counter=([0-9]+) expected=\2 OK$'
}

@test "--slow clients holding every worker past the good ones' --timeout: they say so, FAIL" {
    # 2 slow clients hold both workers for 2 s; the good ones give up after 0.5 s. The
    # lesson's limit, shown: FAIL, and the line says how many got no greeting.
    run_lesson 60 "$LESSON" --workers 2 --slow 2 --max-hold 2 --idle-timeout 0.4 \
        --clients 5 --bad 0 --timeout 0.5
    assert_failure 1
    assert_line 'client: 5 good clients got no HELLO within --timeout 0.5 s'
    assert_line --index -1 --regexp '^RESULT sent=0 answered=0 .* FAIL$'
}

@test "a line trickled a byte at a time must still be whole within --idle-timeout" {
    # A deadline for the whole line, not a timer that each byte restarts: 20 bytes at one
    # per 0.1 s never leave the server idle for 0.5 s, and are cut off all the same.
    start_server --idle-timeout 0.5
    rude trickle 20
    wait "$RUDE_PID" || fail "$(cat "$RUDE_OUT")"
    assert_equal "$(cat "$RUDE_OUT")" "last: ERR idle timeout"
    stop_server TERM
    assert_equal "$SERVER_STATUS" 0
    log_has 1 'client 1: closed \(idle timeout\) after 0 answered, 1 bad$'
}

@test "a client with nobody listening: says why, FAIL, exit 1" {
    start_server
    local port=$PORT
    stop_server TERM                          # the port is free again, nobody listens
    run --separate-stderr timeout 20 "$BUILD/$LESSON" --mode client --port "$port" --clients 2 \
        --bad 1
    assert_failure 1
    assert_line --regexp '^client 0 \(good\): connect: Connection refused$'
    assert_line --index -1 'RESULT sent=0 answered=0 bad_sent=3 rejected=0 bad_answers=0 FAIL'
}

@test "under a low open-files limit the server lets fewer wait and turns the rest away busy" {
    local out="$BATS_TEST_TMPDIR/srv.out" err="$BATS_TEST_TMPDIR/srv.err"
    (ulimit -n 256 && exec timeout 30 "$BUILD/$LESSON" --mode server --max-seconds 20 \
        --workers 4 --log-file /dev/null >"$out" 2>"$err" 3>&-) &
    local srv=$! port=""
    for _ in $(seq 50); do
        port=$(sed -n 's/^LISTENING port=//p' "$out")
        [ -n "$port" ] && break
        sleep 0.1
    done
    [ -n "$port" ] || fail "no LISTENING line: $(cat "$out" "$err")"
    grep -q '^server: the open-files limit is 256: at most [0-9]* clients wait' "$out"
    run --separate-stderr timeout 30 "$BUILD/$LESSON" --mode client --port "$port" \
        --clients 400 --requests 2 --bad 0 --timeout 5
    kill -TERM "$srv"
    wait "$srv" || true
    # every request sent was answered; the clients turned away said so; no descriptor ran out
    assert_line --regexp '^RESULT sent=([0-9]+) answered=\1 '
    grep -qE 'connections \([1-9][0-9]* turned away busy\)' "$out" || fail "none turned away: $(tail -3 "$out")"
    ! grep -q 'Too many open files' "$err" || fail "descriptors ran out: $(head -3 "$err")"
}

@test "an error exit leaves no scratch folder behind" {
    start_server # its port is taken, so a second server on it dies with an error
    mkdir -p "$BATS_TEST_TMPDIR/t"
    for _ in 1 2 3; do
        run --separate-stderr env TMPDIR="$BATS_TEST_TMPDIR/t" timeout 10 "$BUILD/$LESSON" \
            --mode server --port "$PORT"
        assert_failure 1
        [[ "$stderr" == *"cannot listen on 127.0.0.1:$PORT"* ]] || fail "$stderr"
    done
    stop_server TERM
    assert_equal "$(find "$BATS_TEST_TMPDIR/t" -mindepth 1 | wc -l)" 0
}

@test "the smallest --max-line still runs the whole demo" {
    run_lesson 30 "$LESSON" --clients 5 --requests 2 --bad 1 --max-line 16
    assert_success
    assert_line --index -1 --regexp '^RESULT sent=10 answered=10 .* bad_sent=3 rejected=3 bad_answers=0 .* OK$'
}

@test "a client trusts no greeting: out-of-range values and escape sequences are refused" {
    # A fake server on 127.0.0.1 that greets every connection with values no 20_server sends
    # (nan, 1e308, a 400 MB line limit) and a terminal escape, then waits.
    local fake="$BATS_TEST_TMPDIR/fake.py" portfile="$BATS_TEST_TMPDIR/port"
    cat >"$fake" <<'PY'
import socket, sys, threading
greetings = [b"HELLO 20_server workers=2 max_line=400000000 idle_timeout=1\n",
             b"HELLO 20_server workers=2 max_line=64 idle_timeout=nan\x1b]0;pwned\x07\n",
             b"HELLO 20_server workers=2 max_line=64 idle_timeout=1e308\n"]
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(16)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
n = 0
while True:
    c, _ = s.accept()
    c.sendall(greetings[n % 3]); n += 1
    threading.Timer(5, c.close).start()
PY
    timeout 30 python3 "$fake" "$portfile" &
    local fake_pid=$!
    for _ in $(seq 50); do [ -s "$portfile" ] && break; sleep 0.1; done
    run --separate-stderr timeout 20 "$BUILD/$LESSON" --mode client --port "$(cat "$portfile")" \
        --clients 3 --bad 0 --timeout 2
    kill "$fake_pid" 2>/dev/null || true
    assert_failure 1
    assert_equal "$(grep -c 'a HELLO out of range' <<<"$output")" 3
    assert_line --partial 'idle_timeout=nan\x1b]0;pw'
    ! grep -q $'\x1b' <<<"$output" || fail "a raw escape reached the terminal"
    assert_line --index -1 --regexp '^RESULT sent=0 answered=0 .* FAIL$'
}

# ---- sanitizers ----------------------------------------------------------------------------

@test "ASan+UBSan: the demo with 200 clients is clean" {
    build -j2 asan
    run timeout 60 "$BUILD/asan/$LESSON" --clients 200 --idle-timeout 0.5
    assert_success
    demo_ok 600 3
    refute_output --partial "Sanitizer"
}

# ---- command line ----------------------------------------------------------------------

@test "--help prints the usage on stdout and exits 0" {
    run_lesson 5 "$LESSON" --help
    assert_success
    assert_line --index 0 --regexp '^usage: 20_server \[--mode demo\|server\|client\]'
    for opt in --port --workers --clients --requests --bad --slow --idle-timeout --max-hold --max-line \
        --max-seconds --timeout --log-file --ledger-file 127.0.0.1; do
        assert_output --partial -- "$opt"
    done
}

@test "bad input: one line naming the problem, the usage, exit 2" {
    local -a cases=(
        "--mode|--mode proxy"
        "--mode|--mode"
        "--port|--port -1"
        "--port|--port 65536"
        "--port|--port http"
        "--port|--mode client"
        "--port|--mode client --port 0"
        "--workers|--workers 0"
        "--workers|--workers 1025"
        "--workers|--workers 2.5"
        "--clients|--clients 0"
        "--clients|--clients 501"
        "--clients|--clients 99999999999999999999999"
        "--requests|--requests 0"
        "--requests|--requests 10001"
        "--bad|--bad -1"
        "--bad|--bad 51"
        "--slow|--slow -1"
        "--slow|--slow 51"
        "--slow does not apply to --mode server|--mode server --slow 1"
        "--idle-timeout|--idle-timeout 0"
        "--idle-timeout|--idle-timeout nan"
        "--idle-timeout|--idle-timeout 601"
        "--max-hold|--max-hold 0.05"
        "--max-hold|--max-hold inf"
        "--max-hold does not apply to --mode client|--mode client --port 9 --max-hold 5"
        "--max-line|--max-line 15"
        "--max-line|--max-line 4097"
        "--max-seconds|--max-seconds 0"
        "--max-seconds|--max-seconds forever"
        "--timeout|--timeout 0"
        "--timeout|--timeout 1e999"
        "--log-file|--log-file="
        "--ledger-file|--ledger-file="
        "--log-file: \"/dev/zero\" is not a regular file|--log-file /dev/zero"
        "--log-file: \"/dev/full\" is not a regular file|--log-file /dev/full"
        "--ledger-file: \"/dev/full\" is not a regular file|--ledger-file /dev/full"
        "--ledger-file: \"/dev/zero\" is not a regular file|--mode server --ledger-file /dev/zero"
        "--ledger-file: \"/dev/null\" is not a regular file|--ledger-file /dev/null"
        "--ledger-file: - would be stdout|--ledger-file -"
        "name the same file|--log-file $BATS_TEST_TMPDIR/f --ledger-file $BATS_TEST_TMPDIR/f"
        "--clients does not apply to --mode server|--mode server --clients 5"
        "--bad does not apply to --mode server|--mode server --bad 1"
        "--workers does not apply to --mode client|--mode client --port 9 --workers 2"
        "--idle-timeout does not apply to --mode client|--mode client --port 9 --idle-timeout 1"
        "--ledger-file does not apply to --mode client|--mode client --port 9 --ledger-file x"
        "unknown option|--host 10.0.0.1"
        "unexpected argument \"127.0.0.1\"|--mode server 127.0.0.1"
    )
    usage_errors "$LESSON" "${cases[@]}"
}
