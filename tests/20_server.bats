# 20_server, an HTTP/1.1 server: every /add sent is answered, logged and written to the
# shared file exactly once; the file adds up to the counter; every status it promises
# (200 400 404 405 408 413 501 503 505) comes when it should; keep-alive connections are
# reused; bad and slow clients stall nobody; random bytes never crash it; a signal ends it
# cleanly with clients still connected, and its descriptors come back to their baseline. Checked by the lesson's own
# verdict and, independently, from its log and ledger files. Timing is never asserted: the
# waits below are bounded loops, and every run goes through `timeout`.
load helper

LESSON=20_server

setup_file() {
    build "$BUILD/$LESSON"
}

# check_files LOG LEDGER ANSWERED CONNECTIONS: the logger wrote one "/add k=K -> 200 total=T" line
# per answer; the ledger has one line per answer, each total the previous one plus its add;
# the log's totals and the ledger's are the same set; each connection 1..CONNECTIONS was
# opened and closed in the log exactly once.
check_files() {
    local log=$1 ledger=$2 answered=$3 connections=$4 problems
    local answer='^log [0-9.]+ srv-[0-9]+ client [0-9]+: (GET|POST) /add k=[0-9]+ -> 200 total=[0-9]+$'
    assert_equal "$(grep -cE "$answer" "$log")" "$answered"
    assert_equal "$(wc -l <"$ledger")" "$answered"
    # a ledger line: total=T add=K client=C
    problems=$(awk -F'[= ]' '{
        if ($2 != last + $4) print "line " NR ": " $0 " after total " last
        last = $2 }' "$ledger")
    [[ -z "$problems" ]] || fail "the ledger does not add up: $(head -5 <<<"$problems")"
    diff <(sed -n 's/.*-> 200 total=//p' "$log" | sort -n) \
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

# http ARGS...: python3 sends the requests given as arguments (each the inside of a Python
# bytes literal, e.g. 'GET / HTTP/1.1\r\nHost: h\r\n\r\n') on one connection, one after the
# other, and prints each answer's status line and Connection header, then "closed" if the
# server closed; an argument "|" starts a new connection. For what curl would not send.
http() {
    run timeout 20 python3 - "$PORT" "$@" <<'PY'
import socket, sys
def answer():
    status = f.readline()
    if not status:
        return None
    length, conn = 0, ""
    while (line := f.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        if name.lower() == "content-length": length = int(value)
        if name.lower() == "connection": conn = value.strip()
    f.read(length)
    return status.decode("latin-1").strip() + " " + conn
def one(reqs):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
    global f
    f = s.makefile("rb")
    for req in reqs:
        s.sendall(eval("b'" + req + "'"))
        a = answer()
        print(a if a else "closed")
        if a is None:
            break
    else:
        s.shutdown(socket.SHUT_WR)
        print("closed" if answer() is None else "more")
    s.close()
conns = [[]]
for arg in sys.argv[2:]:
    if arg == "|": conns.append([])
    else: conns[-1].append(arg)
for c in conns:
    one(c)
PY
}

# fds PID: how many descriptors the process has open.
fds() {
    ls "/proc/$1/fd" | wc -l
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
    assert_line --regexp '^client: 3 of 3 bad clients got their status '
    check_files "$log" "$ledger" 600 203
    log_has 1 ': bad request \(bare LF \(lines end in CRLF\)\) -> 400$' "$log"
    log_has 1 ': bad request \(request line too long\) -> 413$' "$log"
    log_has 1 ': closed \(idle timeout\) after 0 answered, 1 bad$' "$log"
    log_has 200 ': closed \(hung up\) after 3 answered, 0 bad$' "$log"   # keep-alive: 3 on one
}

@test "demo with one worker and with three, many requests, two bad clients of each kind" {
    for workers in 1 3; do
        run_lesson 30 "$LESSON" --workers "$workers" --clients 40 --requests 25 --bad 2 \
            --idle-timeout 0.3
        assert_success
        demo_ok 1000 6
        assert_line --index -2 --regexp "^THROUGHPUT workers=$workers clients=40 requests=1000 "
    done
}

@test "demo without bad clients: the default temporary files are removed" {
    export TMPDIR="$BATS_TEST_TMPDIR/tmp"
    mkdir -p "$TMPDIR"
    run_lesson 30 "$LESSON" --clients 10 --requests 5 --bad 0
    assert_success
    demo_ok 50 0
    assert_equal "$(find "$TMPDIR" -mindepth 1 | wc -l)" 0
}

# ---- a real client: curl -----------------------------------------------------------------

@test "curl: the page, /add by GET and POST, /stats, 404, 405 with Allow, 400; one connection reused" {
    command -v curl >/dev/null || skip "curl is not installed (scripts/install-deps.sh test)"
    start_server
    local url="http://127.0.0.1:$PORT"
    run timeout 10 curl -s "$url/"
    assert_success
    assert_output --partial '<h1>20_server</h1>'
    run timeout 10 curl -s "$url/add?k=5"
    assert_output 'total=5'
    run timeout 10 curl -s -X POST "$url/add?k=7"
    assert_output 'total=12'
    run timeout 10 curl -s "$url/stats"
    assert_output 'counter=12 answered=2 workers=8 idle_timeout=2 max_hold=10'
    local bad_url codes=""
    for bad_url in nothing 'add?k=0' 'add?k=1000001' 'add?k=5&k=6' add; do
        codes+=$(timeout 10 curl -s -o /dev/null -w '%{http_code} ' "$url/$bad_url")
    done
    assert_equal "$codes" '404 400 400 400 400 '
    run timeout 10 curl -s -i -X DELETE "$url/add?k=1"
    assert_line --index 0 $'HTTP/1.1 405 Method Not Allowed\r'
    assert_line $'Allow: GET, POST\r'
    assert_line $'Connection: close\r'
    run timeout 10 curl -s -I "$url/"         # HEAD: the head of the page, no body
    assert_line --index 0 $'HTTP/1.1 200 OK\r'
    assert_line --regexp '^Content-Length: [0-9]+'
    # keep-alive: three requests, one connection
    run timeout 10 curl -sv "$url/add?k=1" "$url/add?k=1" "$url/stats"
    assert_equal "$(grep -c 'Re-using existing connection' <<<"$output")" 2
    assert_line 'counter=14 answered=4 workers=8 idle_timeout=2 max_hold=10'
    stop_server TERM
    assert_equal "$SERVER_STATUS" 0
    # 5 + 7 + 1 + 1 added; 7 bad (404, four 400s, 405, HEAD is fine)
    assert_line --index -1 'RESULT accepted=12 answered=4 logged=4 ledger=4 adds_up=yes bad=6 counter=14 OK'
    log_has 1 'closed \(hung up\) after 3 answered, 0 bad$'
}

# ---- statuses curl will not provoke ---------------------------------------------------------

@test "strict parsing: 400, 413, 501, 505, each with Connection: close and a hang-up" {
    start_server
    http 'GET / HTTP/1.1\n\n' '|' 'GET / HTTP/1.1\r\n\r\n' '|' 'GET / HTTP/1.1\r\nHost : h\r\n\r\n' \
        '|' 'ADD 5\r\n' '|' "GET /$(printf 'a%.0s' $(seq 8200)) HTTP/1.1\\r\\nHost: h\\r\\n\\r\\n" \
        '|' "GET / HTTP/1.1\\r\\nHost: h\\r\\n$(for i in $(seq 20); do printf 'X%d: %01000d\\r\\n' "$i" 0; done)\\r\\n" \
        '|' 'POST /add?k=1 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n' \
        '|' 'GET / HTTP/2.0\r\nHost: h\r\n\r\n'
    # bare LF, no Host, a space before the colon, the old line protocol: 400; a request line
    # over 8 KiB, a head over 16 KiB: 413; Transfer-Encoding: 501; HTTP/2.0: 505
    local want=() code
    for code in '400 Bad Request' '400 Bad Request' '400 Bad Request' '400 Bad Request' \
        '413 Content Too Large' '413 Content Too Large' '501 Not Implemented' \
        '505 HTTP Version Not Supported'; do
        want+=("HTTP/1.1 $code close" closed)
    done
    assert_output "$(printf '%s\n' "${want[@]}")"
    # a body is read and passed over; the next request on the connection is served
    http 'POST /add?k=2 HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello' \
        'GET /add?k=3 HTTP/1.0\r\n\r\n'
    assert_output $'HTTP/1.1 200 OK keep-alive\nHTTP/1.1 200 OK close\nclosed'
    stop_server TERM
    assert_equal "$SERVER_STATUS" 0
    assert_line --index -1 'RESULT accepted=9 answered=2 logged=2 ledger=2 adds_up=yes bad=8 counter=5 OK'
}

@test "keep-alive: pipelined requests on one connection, answered in order; Connection: close honoured" {
    start_server
    http 'GET /add?k=1 HTTP/1.1\r\nHost: h\r\n\r\nGET /add?k=2 HTTP/1.1\r\nHost: h\r\n\r\nGET /stats HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n'
    # the three answers come back to the first send; the script reads one per request sent,
    # then looks for more: the two others are "more", and then nothing: closed
    assert_line --index 0 'HTTP/1.1 200 OK keep-alive'
    http 'GET /add?k=4 HTTP/1.1\r\nHost: h\r\n\r\n' 'GET /stats HTTP/1.1\r\nHost: h\r\n\r\n' \
        'GET /add?k=8 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n' 'GET / HTTP/1.1\r\nHost: h\r\n\r\n'
    assert_output $'HTTP/1.1 200 OK keep-alive\nHTTP/1.1 200 OK keep-alive\nHTTP/1.1 200 OK close\nclosed'
    stop_server TERM
    assert_line --index -1 'RESULT accepted=2 answered=4 logged=4 ledger=4 adds_up=yes bad=0 counter=15 OK'
    log_has 1 'client 1: closed \(the client asked to close\) after 3 answered, 0 bad$'
}

# ---- shutdown ------------------------------------------------------------------------------

@test "SIGTERM with an idle keep-alive client connected: 503 and close to it, exit 0, counts equal" {
    start_server --idle-timeout 60 --max-hold 600
    exec {RAW}<>"/dev/tcp/127.0.0.1/$PORT" || fail "cannot connect to port $PORT"
    printf 'GET /add?k=1 HTTP/1.1\r\nHost: h\r\n\r\n' >&"$RAW"
    local line
    read -r -t 10 line <&"$RAW" || fail "no answer"
    assert_equal "$line" $'HTTP/1.1 200 OK\r'             # a worker holds us now
    run_lesson 20 "$LESSON" --mode client --port "$PORT" --clients 50 --bad 0
    assert_success
    assert_line --index -1 'RESULT sent=150 answered=150 bad_sent=0 rejected=0 bad_answers=0 OK'
    assert_line --index -2 --regexp '^THROUGHPUT workers=8 clients=50 requests=150 '
    stop_server TERM
    local rest
    rest=$(timeout 10 cat <&"$RAW")
    exec {RAW}<&-
    [[ $rest == *$'HTTP/1.1 503 Service Unavailable\r\n'*$'Connection: close\r\n'* ]] ||
        fail "no 503 after the 200: $rest"
    assert_equal "$SERVER_STATUS" 0
    assert_line --regexp '^server: stopped by SIGTERM after '
    assert_line --index -1 --regexp \
        '^RESULT accepted=52 answered=151 logged=151 ledger=151 adds_up=yes bad=0 counter=[0-9]+ OK$'
    check_files "$SERVER_LOG" "$BATS_TEST_TMPDIR/ledger" 151 52
    log_has 1 'client 1: closed \(server shutting down\) after 1 answered, 0 bad$'
}

@test "SIGTERM under load: requests in flight are finished, later ones get 503; the books agree" {
    start_server
    timeout 20 "$BUILD/$LESSON" --mode client --port "$PORT" --clients 4 --requests 10000 --bad 0 \
        >"$BATS_TEST_TMPDIR/client.out" 2>&1 3>&- &
    local client=$! client_status=0
    # Until the server has logged some answers (the log file is written in blocks).
    for _ in $(seq 400); do
        (($(grep -c ' -> 200 total=' "$SERVER_LOG") > 0)) && break
        sleep 0.02
    done
    stop_server TERM
    wait "$client" || client_status=$?
    assert_equal "$SERVER_STATUS" 0
    assert_line --regexp '^server: stopped by SIGTERM after '
    assert_line --index -1 --regexp \
        '^RESULT accepted=5 answered=([0-9]+) logged=\1 ledger=\1 adds_up=yes bad=0 counter=[0-9]+ OK$'
    local answered
    answered=$(sed -n 's/^RESULT accepted=5 answered=\([0-9]*\) .*/\1/p' <<<"$output")
    check_files "$SERVER_LOG" "$BATS_TEST_TMPDIR/ledger" "$answered" 5
    # The client got exactly the answers the server gave (one /stats aside), none wrong;
    # the rest were refused with 503 (so it says FAIL, but only so).
    run cat "$BATS_TEST_TMPDIR/client.out"
    assert_line --index -1 --regexp \
        "^RESULT sent=[0-9]+ answered=$answered bad_sent=0 rejected=0 bad_answers=0 (OK|FAIL)$"
    if ((client_status == 0)); then
        assert_line --index -1 --regexp '^RESULT sent=40000 answered=40000 '
    else
        assert_equal "$client_status" 1
        assert_line --regexp '^client: [1-4] requests refused with 503 '
    fi
}

@test "--max-seconds ends the server on its own, cleanly" {
    run_lesson 20 "$LESSON" --mode server --max-seconds 0.2 --log-file /dev/null
    assert_success
    assert_line --index 0 --regexp '^LISTENING port=[0-9]+$'
    assert_line --regexp '^server: stopped by the time limit \(--max-seconds\) after '
    assert_line --index -1 'RESULT accepted=0 answered=0 logged=0 ledger=0 adds_up=yes bad=0 counter=0 OK'
}

# ---- bad and slow clients -------------------------------------------------------------------

@test "random bytes and truncated requests (seeded) never crash it; descriptors back to baseline" {
    start_server --workers 4 --idle-timeout 0.3
    local before
    before=$(fds "$SERVER_PID")
    run timeout 60 python3 - "$PORT" <<'PY'
import random, socket, sys
port = int(sys.argv[1])
rng = random.Random(2026)
good = b"POST /add?k=1 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc"
alphabet = b"GET POST /add?k=1 HTTP/1.1\r\n:Host Content-Length 0123456789"
socks = []
for i in range(2000):
    kind = i % 3
    if kind == 0:
        data = bytes(rng.choice(alphabet) if rng.random() < 0.7 else rng.randrange(256)
                     for _ in range(rng.randrange(1, 200)))
    elif kind == 1:
        data = bytearray(good)
        for _ in range(rng.randrange(1, 4)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        data = bytes(data)
    else:
        data = good[:rng.randrange(1, len(good))]
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)     # truncated: the server sees the end mid-request
    except OSError:
        pass
    socks.append(s)
    if len(socks) >= 50:               # at most 50 open at once
        for t in socks:
            t.close()
        socks = []
for t in socks:
    t.close()
# The server still answers.
s = socket.create_connection(("127.0.0.1", port), timeout=10)
s.sendall(b"GET /add?k=1 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
print(s.makefile("rb").readline().decode().strip())
PY
    assert_success
    assert_output 'HTTP/1.1 200 OK'
    # every connection closed, so every descriptor given back (the last ones may still be
    # lingering for a moment)
    for _ in $(seq 100); do
        (($(fds "$SERVER_PID") == before)) && break
        sleep 0.05
    done
    assert_equal "$(fds "$SERVER_PID")" "$before"
    run_lesson 20 "$LESSON" --mode client --port "$PORT" --clients 20 --bad 1 --timeout 10
    assert_success
    for _ in $(seq 100); do
        (($(fds "$SERVER_PID") == before)) && break
        sleep 0.05
    done
    assert_equal "$(fds "$SERVER_PID")" "$before"
    stop_server TERM
    assert_equal "$SERVER_STATUS" 0
    assert_line --index -1 --regexp '^RESULT accepted=2025 answered=([0-9]+) logged=\1 ledger=\1 adds_up=yes .* OK$'
}

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

@test "slowloris: a request trickled a byte at a time gets 408 within --idle-timeout; it stalls nobody" {
    # A deadline for the whole request, not a timer that each byte restarts: bytes every
    # 0.1 s never leave the server idle for 1 s, and are cut off all the same. Two workers:
    # the other one serves everybody else meanwhile.
    start_server --workers 2 --idle-timeout 1
    rude trickle 20
    run_lesson 20 "$LESSON" --mode client --port "$PORT" --clients 30 --requests 4 --bad 0
    assert_success
    assert_line --index -1 'RESULT sent=120 answered=120 bad_sent=0 rejected=0 bad_answers=0 OK'
    wait "$RUDE_PID" || fail "$(cat "$RUDE_OUT")"
    assert_equal "$(cat "$RUDE_OUT")" "last: HTTP/1.1 408 Request Timeout close"
    stop_server TERM
    assert_equal "$SERVER_STATUS" 0
    log_has 1 'client 1: closed \(idle timeout\) after 1 answered, 1 bad$'
}

@test "a client that never reads its answers loses its worker; the client behind it is served" {
    start_server --workers 1 --idle-timeout 0.5 --max-hold 600
    rude nonreader 40
    run_lesson 20 "$LESSON" --mode client --port "$PORT" --clients 5 --bad 0 --timeout 30
    assert_success
    assert_line --index -1 'RESULT sent=15 answered=15 bad_sent=0 rejected=0 bad_answers=0 OK'
    kill "$RUDE_PID" 2>/dev/null || true
    stop_server TERM
    assert_equal "$SERVER_STATUS" 0
    # what it was sent an answer for was done, logged and written: the books still agree
    assert_line --index -1 --regexp '^RESULT accepted=7 answered=([0-9]+) logged=\1 ledger=\1 adds_up=yes .* OK$'
    log_has 1 'client 1: closed \((not reading its answers|idle timeout)\) after [0-9]+ answered'
}

@test "a polite client that keeps its worker busy is cut at --max-hold; the next one is served" {
    start_server --workers 1 --max-hold 1
    rude slow 40                              # a good request every 0.2 s, for 40 s
    run_lesson 20 "$LESSON" --mode client --port "$PORT" --clients 5 --bad 0 --timeout 30
    assert_success
    assert_line --index -1 'RESULT sent=15 answered=15 bad_sent=0 rejected=0 bad_answers=0 OK'
    wait "$RUDE_PID" || fail "the slow client was not cut off: $(cat "$RUDE_OUT")"
    # told so with the answer after --max-hold (Connection: close), never hung up on
    [[ "$(cat "$RUDE_OUT")" == "last: HTTP/1.1 200 OK close" ]] ||
        fail "$(cat "$RUDE_OUT")"
    stop_server TERM
    assert_equal "$SERVER_STATUS" 0
    assert_line 'server: 1 clients held a worker for --max-hold (cut off there), 0 did not read their answers (hung up on)'
    assert_line --index -1 --regexp '^RESULT accepted=7 answered=([0-9]+) logged=\1 ledger=\1 adds_up=yes bad=0 .* OK$'
    log_has 1 'client 1: closed \(held its worker for --max-hold\) after [0-9]+ answered, 0 bad$'
}

@test "--slow: slow clients first in line are each cut at --max-hold; the good ones all served" {
    # 2 workers, 4 slow clients: the good clients queue behind two rounds of them (the
    # wait is printed; its length is the benchmark's business, not this test's)
    run_lesson 60 "$LESSON" --workers 2 --slow 4 --max-hold 0.5 --idle-timeout 0.4 \
        --clients 20 --bad 0
    assert_success
    assert_line --partial 'client: 4 of 4 slow clients were cut off at --max-hold, after '
    assert_line --regexp '^client: 20 good clients waited for a worker \(connect to first answer\): median [0-9.]+ s, longest [0-9.]+ s$'
    refute_line --partial 'got no answer'
    assert_line 'server: 4 clients held a worker for --max-hold (cut off there), 0 did not read their answers (hung up on)'
    assert_line --index -1 --regexp '^RESULT sent=60 answered=60 logged=([0-9]+) ledger=\1 adds_up=yes bad_sent=0 rejected=0 bad_answers=0 counter=([0-9]+) expected=\2 OK$'
}

@test "--slow clients holding every worker past the good ones' --timeout: they say so, FAIL" {
    run_lesson 60 "$LESSON" --workers 2 --slow 2 --max-hold 1 --idle-timeout 0.4 \
        --clients 5 --bad 0 --timeout 0.3
    assert_failure 1
    assert_line 'client: 5 good clients got no answer within --timeout 0.3 s'
    assert_line --index -1 --regexp '^RESULT sent=[0-9]+ answered=0 .* FAIL$'
}

@test "a client with nobody listening: says why, FAIL, exit 1" {
    start_server
    local port=$PORT
    stop_server TERM                          # the port is free again, nobody listens
    run --separate-stderr timeout 20 "$BUILD/$LESSON" --mode client --port "$port" --clients 2 \
        --bad 1
    assert_failure 1
    assert_line 'client: GET /stats: connect: Connection refused'
    assert_line --index -1 'RESULT sent=0 answered=0 bad_sent=3 rejected=0 bad_answers=0 FAIL'
}

@test "under a low open-files limit the server lets fewer wait and turns the rest away with 503" {
    local out="$BATS_TEST_TMPDIR/srv.out" err="$BATS_TEST_TMPDIR/srv.err"
    # 4 slow clients go first and hold the 4 workers for --max-hold 2 s, so the 400 good ones
    # pile up behind them in every run, more than the limit lets wait (a fast server would
    # otherwise keep the line short, and turn nobody away, as it once did beside other tests)
    (ulimit -n 256 && exec timeout 30 "$BUILD/$LESSON" --mode server --max-seconds 20 \
        --workers 4 --max-hold 2 --log-file /dev/null >"$out" 2>"$err" 3>&-) &
    local srv=$! port=""
    for _ in $(seq 50); do
        port=$(sed -n 's/^LISTENING port=//p' "$out")
        [ -n "$port" ] && break
        sleep 0.1
    done
    [ -n "$port" ] || fail "no LISTENING line: $(cat "$out" "$err")"
    grep -q '^server: the open-files limit is 256: at most [0-9]* clients wait' "$out"
    run --separate-stderr timeout 30 "$BUILD/$LESSON" --mode client --port "$port" \
        --clients 400 --requests 2 --bad 0 --slow 4 --timeout 8
    kill -TERM "$srv"
    wait "$srv" || true
    # every request answered was right; the clients turned away were told 503; no
    # descriptor ran out
    assert_line --regexp '^RESULT sent=[0-9]+ answered=[0-9]+ bad_sent=0 rejected=0 bad_answers=0 '
    assert_line --regexp '^client: [1-9][0-9]* requests refused with 503 '
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

@test "a client trusts no server: out-of-range /stats and escape sequences are refused" {
    # A fake server on 127.0.0.1 that answers every request with values no 20_server sends
    # (nan, 1e308, 0 workers) and a terminal escape.
    local fake="$BATS_TEST_TMPDIR/fake.py" portfile="$BATS_TEST_TMPDIR/port"
    cat >"$fake" <<'PY'
import socket, sys
bodies = [b"counter=0 answered=0 workers=0 idle_timeout=1 max_hold=1\n",
          b"counter=0 answered=0 workers=2 idle_timeout=nan\x1b]0;pwned\x07 max_hold=1\n",
          b"counter=0 answered=0 workers=2 idle_timeout=1e308 max_hold=1\n"]
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(16)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
n = 0
while True:
    c, _ = s.accept()
    c.recv(4096)
    b = bodies[n % 3]; n += 1
    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(b) + b)
    c.close()
PY
    timeout 30 python3 "$fake" "$portfile" &
    local fake_pid=$!
    for _ in $(seq 50); do [ -s "$portfile" ] && break; sleep 0.1; done
    for _ in 1 2 3; do
        run --separate-stderr timeout 20 "$BUILD/$LESSON" --mode client \
            --port "$(cat "$portfile")" --clients 3 --bad 0 --timeout 2
        assert_failure 1
        assert_line --regexp '^client: GET /stats: an answer out of range '
        ! grep -q $'\x1b' <<<"$output" || fail "a raw escape reached the terminal"
        assert_line --index -1 --regexp '^RESULT sent=0 answered=0 .* FAIL$'
    done
    kill "$fake_pid" 2>/dev/null || true
}

# ---- sanitizers ----------------------------------------------------------------------------

@test "ASan+UBSan: the demo with 200 clients is clean" {
    build_sanitized asan "$LESSON"
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
    for opt in --port --workers --clients --requests --bad --slow --idle-timeout --max-hold \
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
        "unknown option|--max-line 64"
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

# ---- the quiz ------------------------------------------------------------------------

@test "quiz: every answering command shows what its answer says" {
    check_quiz "$LESSON"
}
