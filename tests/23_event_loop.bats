# 23_event_loop, lesson 20's HTTP server in one thread: every /add sent is answered once with
# a distinct total and the counter is their sum; every status it promises (200 400 404 405
# 408 413 501 503 505) comes when it should; keep-alive connections are reused and pipelined
# requests answered in order; a slowloris client gets 408 and stalls nobody; 1,000
# connections at once are all answered and 10,000 idle ones held; random bytes never crash
# it; a signal ends it cleanly under load; its descriptors come back to their baseline.
# --variant blocking is checked for what it reports, never for how long it took: timing is
# not asserted, every wait below is a bounded loop, and every run goes through `timeout`.
load helper

LESSON=23_event_loop

setup_file() {
    build "$BUILD/$LESSON"
    # the interpreter itself, once: a version manager's shim can take a second a start
    PYTHON=$(python3 -c 'import sys; print(sys.executable)')
    export PYTHON
}

# demo_ok SENT BAD_SENT IDLE: the demo's last line, everything equal.
demo_ok() {
    local r="^RESULT sent=$1 answered=$1 bad_sent=$2 rejected=$2 bad_answers=0 idle=$3 closed=[0-9]+"
    assert_line --index -1 --regexp "$r counter=([0-9]+) expected=\\1 OK\$"
}

# start_server ARGS...: the server in the background (output in $SERVER_OUT); returns once
# it prints LISTENING, with $PORT and $SERVER_PID set.
start_server() {
    SERVER_OUT="$BATS_TEST_TMPDIR/server.out"
    timeout 30 "$BUILD/$LESSON" --mode server --max-seconds 25 "$@" >"$SERVER_OUT" 2>&1 3>&- &
    SERVER_PID=$!
    for _ in $(seq 200); do
        PORT=$(sed -n 's/^LISTENING port=\([0-9]*\)$/\1/p' "$SERVER_OUT")
        [[ -n $PORT ]] && return 0
        kill -0 "$SERVER_PID" 2>/dev/null || fail "the server ended early: $(cat "$SERVER_OUT")"
        sleep 0.05
    done
    fail "the server printed no LISTENING line"
}

# stop_server SIGNAL: send it and wait; then $output/$lines are the server's output and
# $SERVER_STATUS its exit status.
stop_server() {
    kill "-$1" "$SERVER_PID"
    SERVER_STATUS=0
    wait "$SERVER_PID" || SERVER_STATUS=$?
    run cat "$SERVER_OUT"
}

# http ARGS...: python3 sends each argument (the inside of a Python bytes literal) on one
# connection, one after the other, printing each answer's status line and Connection
# header, then "closed" if the server closed; an argument "|" starts a new connection.
http() {
    run timeout 20 "$PYTHON" - "$PORT" "$@" <<'PY'
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

# fds_back PID BASELINE: the process's descriptor count returns to BASELINE (closing ones
# may linger a moment).
fds_back() {
    for _ in $(seq 100); do
        (($(ls "/proc/$1/fd" | wc -l) == $2)) && return 0
        sleep 0.05
    done
    assert_equal "$(ls "/proc/$1/fd" | wc -l)" "$2"
}

# ---- the demo -----------------------------------------------------------------------------

@test "demo: every add answered once, totals distinct, the counter their sum; bad clients rejected" {
    run_lesson 30 "$LESSON" --clients 200 --idle-timeout 0.3
    assert_success
    demo_ok 600 3 0
    assert_line --index -2 --regexp '^THROUGHPUT backend=epoll clients=200 requests=600 seconds=[0-9.]+ rps=[0-9]+$'
    assert_line 'client: 600 answers of 600 requests on 200 connections at once; every total different (no update lost)'
    assert_line 'client: 3 of 3 bad clients got their status (bare LF: 400, oversized: 413, silent: 408)'
    assert_line --regexp '^server: stopped by SIGTERM after [0-9.]+ s; 205 connections '
    assert_line --regexp ' 3 bad \(1 timed out\), 0 refused \(503\); '
    # the stall probe, cooperative: the handler set a timer and the loop went on
    assert_line --regexp '^stall: while a GET /slow took [0-9.]+ s \(--block 0.2\): [1-9][0-9]* quick answers'
    assert_line --partial 'stall: --variant cooperative: the /slow handler set a timer and returned'
    assert_line --regexp '^compare: idle connections held +\| .*\| [0-9]+ at once in this run'
}

@test "--variant blocking: the run reports the stall and its cause; the answers are still right" {
    run_lesson 30 "$LESSON" --variant blocking --clients 20 --bad 0
    assert_success
    demo_ok 60 0 0
    assert_line --regexp '^stall: while a GET /slow took [0-9.]+ s \(--block 0.2\): [0-9]+ quick answers, mean [0-9.]+ ms, longest [0-9.]+ ms$'
    assert_line 'stall: --variant blocking: the /slow handler slept, and the loop is the only thread: nobody was served until it returned'
    assert_line --regexp '^compare: one handler blocks +\| its own client waits +\| every client waits: [0-9.]+ s here'
    assert_line --regexp '^server: one thread, epoll: .* 1 /slow \(blocking\)'
}

@test "--backend poll serves the same, with idle connections held by the demo's child" {
    run_lesson 30 "$LESSON" --backend poll --idle 300 --clients 30 --requests 5 --bad 0
    assert_success
    demo_ok 150 0 300
    assert_line 'idle: 300 idle keep-alive connections held (by a child process); the server counts 301 open, in one thread'
    assert_line --index -2 --regexp '^THROUGHPUT backend=poll clients=30 requests=150 '
}

# ---- a real client: curl -----------------------------------------------------------------

@test "curl: the page, /add by GET and POST, /stats, /slow, 404, 405 with Allow, 400; one connection reused" {
    command -v curl >/dev/null || skip "curl is not installed (scripts/install-deps.sh test)"
    start_server --block 0.05
    local url="http://127.0.0.1:$PORT"
    run timeout 10 curl -s "$url/"
    assert_output --partial '<h1>23_event_loop</h1>'
    run timeout 10 curl -s "$url/add?k=5"
    assert_output 'total=5'
    run timeout 10 curl -s -X POST "$url/add?k=7"
    assert_output 'total=12'
    run timeout 10 curl -s "$url/slow"
    assert_output 'slept=0.05'
    run timeout 10 curl -s "$url/stats"
    assert_output 'counter=12 answered=2 open=1 idle_timeout=2 keep_alive=60 backend=epoll variant=cooperative block=0.05'
    local bad_url urls=()
    for bad_url in nothing 'add?k=0' 'add?k=1000001' 'add?k=5&k=6' add; do
        urls+=(-o /dev/null "$url/$bad_url")      # one curl, each answer's body dropped
    done
    run timeout 10 curl -s -w '%{http_code} ' "${urls[@]}"
    assert_output '404 400 400 400 400 '
    run timeout 10 curl -s -i -X DELETE "$url/add?k=1"
    assert_line --index 0 $'HTTP/1.1 405 Method Not Allowed\r'
    assert_line $'Allow: GET, POST\r'
    assert_line $'Connection: close\r'
    run timeout 10 curl -s -i -X POST "$url/slow"
    assert_line $'Allow: GET\r'
    run timeout 10 curl -s -I "$url/"
    assert_line --index 0 $'HTTP/1.1 200 OK\r'
    assert_line --regexp '^Content-Length: [0-9]+'
    run timeout 10 curl -sv "$url/add?k=1" "$url/slow" "$url/add?k=1" "$url/stats"
    assert_equal "$(grep -c 'Re-using existing connection' <<<"$output")" 3
    assert_line --regexp '^counter=14 answered=4 open=1 '
    stop_server TERM
    assert_equal "$SERVER_STATUS" 0
    assert_line --index -1 'RESULT accepted=14 closed=14 answered=4 bad=7 counter=14 OK'
}

# ---- statuses curl will not provoke ---------------------------------------------------------

@test "strict parsing: 400, 413, 501, 505, each with Connection: close and a hang-up" {
    start_server
    http 'GET / HTTP/1.1\n\n' '|' 'GET / HTTP/1.1\r\n\r\n' '|' 'GET / HTTP/1.1\r\nHost : h\r\n\r\n' \
        '|' 'ADD 5\r\n' '|' "GET /$(printf 'a%.0s' $(seq 8200)) HTTP/1.1\\r\\nHost: h\\r\\n\\r\\n" \
        '|' "GET / HTTP/1.1\\r\\nHost: h\\r\\n$(for i in $(seq 20); do printf 'X%d: %01000d\\r\\n' "$i" 0; done)\\r\\n" \
        '|' 'POST /add?k=1 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n' \
        '|' 'GET / HTTP/2.0\r\nHost: h\r\n\r\n'
    local want=() code
    for code in '400 Bad Request' '400 Bad Request' '400 Bad Request' '400 Bad Request' \
        '413 Content Too Large' '413 Content Too Large' '501 Not Implemented' \
        '505 HTTP Version Not Supported'; do
        want+=("HTTP/1.1 $code close" closed)
    done
    assert_output "$(printf '%s\n' "${want[@]}")"
    http 'POST /add?k=2 HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello' \
        'GET /add?k=3 HTTP/1.0\r\n\r\n'
    assert_output $'HTTP/1.1 200 OK keep-alive\nHTTP/1.1 200 OK close\nclosed'
    stop_server TERM
    assert_equal "$SERVER_STATUS" 0
    assert_line --index -1 'RESULT accepted=9 closed=9 answered=2 bad=8 counter=5 OK'
}

@test "keep-alive: pipelined requests answered in order, also across /slow; Connection: close honoured" {
    start_server --block 0.05
    http 'GET /add?k=1 HTTP/1.1\r\nHost: h\r\n\r\nGET /slow HTTP/1.1\r\nHost: h\r\n\r\nGET /add?k=2 HTTP/1.1\r\nHost: h\r\n\r\nGET /stats HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n'
    assert_line --index 0 'HTTP/1.1 200 OK keep-alive'
    run timeout 10 "$PYTHON" -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(b"".join(b"GET /add?k=%d HTTP/1.1\r\nHost: h\r\n\r\n" % k for k in range(1, 201))
          + b"GET /stats HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
data = b""
while chunk := s.recv(65536):
    data += chunk
import re
print([int(t) for t in re.findall(rb"total=([0-9]+)", data)] ==
      [sum(range(1, k + 1)) + 3 for k in range(1, 201)], data.count(b"HTTP/1.1 200 OK"))
' "$PORT"
    assert_output 'True 201'
    stop_server TERM
    assert_line --index -1 --regexp '^RESULT accepted=2 closed=2 answered=202 bad=0 counter=20103 OK$'
}

# ---- shutdown ------------------------------------------------------------------------------

@test "SIGTERM with an idle keep-alive client: 503 and close to it; --max-seconds ends it too" {
    start_server
    exec {RAW}<>"/dev/tcp/127.0.0.1/$PORT" || fail "cannot connect to port $PORT"
    printf 'GET /add?k=1 HTTP/1.1\r\nHost: h\r\n\r\n' >&"$RAW"
    local line rest
    read -r -t 10 line <&"$RAW" || fail "no answer"
    assert_equal "$line" $'HTTP/1.1 200 OK\r'
    stop_server TERM
    rest=$(timeout 10 cat <&"$RAW")
    exec {RAW}<&-
    [[ $rest == *$'HTTP/1.1 503 Service Unavailable\r\n'*$'Connection: close\r\n'* ]] ||
        fail "no 503 after the 200: $rest"
    assert_equal "$SERVER_STATUS" 0
    assert_line --index -1 'RESULT accepted=1 closed=1 answered=1 bad=0 counter=1 OK'
    run_lesson 20 "$LESSON" --mode server --max-seconds 0.2
    assert_success
    assert_line --regexp '^server: stopped by the time limit \(--max-seconds\) after '
    assert_line --index -1 'RESULT accepted=0 closed=0 answered=0 bad=0 counter=0 OK'
}

@test "SIGTERM under load: what arrived is answered, later requests get 503, nothing wrong" {
    start_server
    timeout 20 "$BUILD/$LESSON" --mode client --port "$PORT" --clients 4 --requests 10000 --bad 0 \
        >"$BATS_TEST_TMPDIR/client.out" 2>&1 3>&- &
    local client=$! client_status=0
    for _ in $(seq 400); do
        grep -q '^stall: while' "$BATS_TEST_TMPDIR/client.out" && break
        sleep 0.02
    done
    sleep 0.1
    stop_server TERM
    wait "$client" || client_status=$?
    assert_equal "$SERVER_STATUS" 0
    assert_line --regexp '^server: stopped by SIGTERM after '
    assert_line --index -1 --regexp '^RESULT accepted=[0-9]+ closed=[0-9]+ answered=([0-9]+) bad=0 counter=[0-9]+ OK$'
    local answered accepted closed
    answered=$(sed -n 's/^RESULT .* answered=\([0-9]*\) .*/\1/p' <<<"$output")
    accepted=$(sed -n 's/^RESULT accepted=\([0-9]*\) .*/\1/p' <<<"$output")
    closed=$(sed -n 's/^RESULT .* closed=\([0-9]*\) .*/\1/p' <<<"$output")
    assert_equal "$closed" "$accepted"
    # the client got exactly the adds the server answered, none wrong; the rest were 503
    run cat "$BATS_TEST_TMPDIR/client.out"
    assert_line --index -1 --regexp "^RESULT sent=[0-9]+ answered=$answered bad_sent=0 rejected=0 bad_answers=0 idle=0 (OK|FAIL)$"
    if ((client_status != 0)); then
        assert_equal "$client_status" 1
        assert_line --regexp '^client: [1-4] requests refused with 503 '
    fi
}

# ---- many clients, idle ones, bad ones ------------------------------------------------------

@test "1,000 connections at once, all answered; descriptors back to baseline" {
    start_server
    local before
    before=$(ls "/proc/$SERVER_PID/fd" | wc -l)
    run_lesson 30 "$LESSON" --mode client --port "$PORT" --clients 1000 --requests 1 --bad 0
    assert_success
    assert_line 'client: 1000 answers of 1000 requests on 1000 connections at once; every total different (no update lost)'
    assert_line --index -1 'RESULT sent=1000 answered=1000 bad_sent=0 rejected=0 bad_answers=0 idle=0 OK'
    fds_back "$SERVER_PID" "$before"
    stop_server TERM
    assert_equal "$SERVER_STATUS" 0
    assert_line --regexp '^server: stopped by SIGTERM after [0-9.]+ s; 1003 connections \(at most [0-9]+ open at once\)'
}

@test "10,000 idle connections held by one thread (or as many as the hard limit allows, said so)" {
    local hard
    hard=$(ulimit -Hn)
    start_server
    if [[ $hard == unlimited ]] || ((hard >= 10100)); then
        run_lesson 60 "$LESSON" --mode client --port "$PORT" --idle 10000 --clients 10 --bad 0
        assert_success
        assert_line 'idle: 10000 idle keep-alive connections held; the server counts 10001 open (ours, and the one asking)'
        assert_line --index -1 'RESULT sent=30 answered=30 bad_sent=0 rejected=0 bad_answers=0 idle=10000 OK'
    else
        run_lesson 60 "$LESSON" --mode client --port "$PORT" --idle 10000 --clients 10 --bad 0
        assert_line --regexp "^idle: the hard limit on open files is $hard: holding [0-9]+ idle connections, not 10000 "
        assert_line --index -1 --regexp '^RESULT .* idle=[0-9]+ OK$'
    fi
    stop_server TERM
    assert_equal "$SERVER_STATUS" 0
    assert_line --regexp '^server: open files: the limit is raised to [0-9]+ \(the hard limit\)'
    assert_line --index -1 --regexp '^RESULT accepted=([0-9]+) closed=\1 answered=30 bad=0 counter=[0-9]+ OK$'
}

@test "a low hard limit on open files: the lesson says so and holds what it can" {
    (
        ulimit -n 300
        exec timeout 30 "$BUILD/$LESSON" --idle 1000 --clients 20 --bad 0
    ) >"$BATS_TEST_TMPDIR/out" 2>&1 || fail "$(cat "$BATS_TEST_TMPDIR/out")"
    run cat "$BATS_TEST_TMPDIR/out"
    assert_line --regexp '^server: open files: .* fewer than 10,000 \(raise the hard limit'
    assert_line --regexp '^idle: the hard limit on open files is 300: holding [0-9]+ idle connections, not 1000 '
    assert_line --index -1 --regexp '^RESULT sent=60 answered=60 .* idle=[0-9]+ closed=[0-9]+ counter=([0-9]+) expected=\1 OK$'
}

@test "slowloris: a request trickled a byte at a time gets 408 within --idle-timeout; it stalls nobody" {
    start_server --idle-timeout 0.5
    local out="$BATS_TEST_TMPDIR/rude.out" err="$BATS_TEST_TMPDIR/rude.err"
    timeout 30 "$PYTHON" tests/rude_client.py "$PORT" trickle --for 20 >"$out" 2>"$err" 3>&- &
    local rude=$!
    for _ in $(seq 200); do
        grep -q '^taken$' "$err" && break
        sleep 0.05
    done
    run_lesson 20 "$LESSON" --mode client --port "$PORT" --clients 30 --requests 4 --bad 0
    assert_success
    assert_line --index -1 'RESULT sent=120 answered=120 bad_sent=0 rejected=0 bad_answers=0 idle=0 OK'
    wait "$rude" || fail "$(cat "$out" "$err")"
    assert_equal "$(cat "$out")" "last: HTTP/1.1 408 Request Timeout close"
    stop_server TERM
    assert_equal "$SERVER_STATUS" 0
    assert_line --regexp ' 1 bad \(1 timed out\)'
}

@test "a client that sends without reading is hung up on; the others are served" {
    start_server --idle-timeout 0.3
    local out="$BATS_TEST_TMPDIR/rude.out"
    timeout 30 "$PYTHON" tests/rude_client.py "$PORT" nonreader --for 20 >"$out" 2>/dev/null 3>&- &
    local rude=$!
    run_lesson 20 "$LESSON" --mode client --port "$PORT" --clients 20 --bad 0
    assert_success
    assert_line --index -1 'RESULT sent=60 answered=60 bad_sent=0 rejected=0 bad_answers=0 idle=0 OK'
    wait "$rude" || fail "the server never hung up on it: $(cat "$out")"
    stop_server TERM
    assert_equal "$SERVER_STATUS" 0
    assert_line --regexp '; 1 did not read their answers$'
    assert_line --index -1 --regexp '^RESULT accepted=([0-9]+) closed=\1 .* OK$'
}

@test "random bytes and truncated requests (seeded) never crash it; descriptors back to baseline" {
    start_server --idle-timeout 0.3
    local before
    before=$(ls "/proc/$SERVER_PID/fd" | wc -l)
    run timeout 60 "$PYTHON" - "$PORT" <<'PY'
import random, socket, sys
port = int(sys.argv[1])
rng = random.Random(2026)
good = b"POST /add?k=1 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabcGET /add?k=1 HTTP/1.1\r\nHost: h\r\n\r\n"
alphabet = b"GET POST /add?k=1 HTTP/1.1\r\n:Host Content-Length 0123456789"
socks = []
for i in range(3000):
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
        if rng.random() < 0.5:
            s.shutdown(socket.SHUT_WR)   # truncated: the server sees the end mid-request
    except OSError:
        pass
    socks.append(s)
    if len(socks) >= 100:
        for t in socks:
            t.close()
        socks = []
for t in socks:
    t.close()
s = socket.create_connection(("127.0.0.1", port), timeout=10)
s.sendall(b"GET /add?k=1 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
print(s.makefile("rb").readline().decode().strip())
PY
    assert_success
    assert_output 'HTTP/1.1 200 OK'
    fds_back "$SERVER_PID" "$before"
    stop_server TERM
    assert_equal "$SERVER_STATUS" 0
    assert_line --index -1 --regexp '^RESULT accepted=3001 closed=3001 answered=[0-9]+ bad=[0-9]+ counter=[0-9]+ OK$'
}

# ---- sanitizers and the command line ------------------------------------------------------

@test "ASan+UBSan: the demo with idle connections, bad clients and --variant blocking is clean" {
    # build_sanitized's way, two jobs at once: alone, this file would wait mostly for it
    # shellcheck disable=SC2016 # $(ASAN_FLAGS) is for make to expand
    build -j2 BUILD="$BUILD/asan" SAN='$(ASAN_FLAGS)' CFLAGS='-O1 -g' "$BUILD/asan/$LESSON"
    run timeout 60 "$BUILD/asan/$LESSON" --clients 50 --idle 200 --idle-timeout 0.3 --variant blocking --block 0.05
    assert_success
    demo_ok 150 3 200
    refute_output --partial "Sanitizer"
}

@test "--help prints the usage on stdout and exits 0" {
    run_lesson 5 "$LESSON" --help
    assert_success
    assert_line --index 0 --regexp '^usage: 23_event_loop \[--mode demo\|server\|client\]'
    for opt in --port --backend --variant --block --clients --requests --bad --idle \
        --idle-timeout --keep-alive --max-seconds --timeout 127.0.0.1; do
        assert_output --partial -- "$opt"
    done
}

@test "bad input: one line naming the problem, the usage, exit 2" {
    # (every numeric option's range and spelling: tests/cli_fuzz.bats)
    local -a cases=(
        "--mode|--mode proxy"
        "--port|--mode client"
        "--backend|--backend select"
        "--variant|--variant sleepy"
        "--block|--block 11"
        "--clients|--clients 2001"
        "--idle|--idle 100001"
        "--keep-alive|--keep-alive 0"
        "--idle does not apply to --mode server|--mode server --idle 5"
        "--variant does not apply to --mode client|--mode client --port 9 --variant blocking"
        "--keep-alive does not apply to --mode client|--mode client --port 9 --keep-alive 5"
        "unexpected argument \"127.0.0.1\"|--mode server 127.0.0.1"
    )
    usage_errors "$LESSON" "${cases[@]}"
}

# ---- the quiz ------------------------------------------------------------------------

@test "quiz: every answering command shows what its answer says" {
    check_quiz "$LESSON"
}
