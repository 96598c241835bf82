/*
 * 23_event_loop: lesson 20's HTTP server again, in ONE thread: non-blocking sockets and an
 * event loop (lessons/lib/event_loop.c: poll, or epoll on Linux) instead of a pool of
 * workers. This is how asyncio, Node, nginx and Redis serve many clients: a connection
 * waiting for its next request costs a few dozen bytes, not a thread, so one thread holds
 * ten thousand of them. The price: handlers must never block, since while one runs nobody
 * else is served. --variant blocking shows that price, measured.
 *
 *   make && ./build/23_event_loop                    # demo: server + 200 clients + 3 bad ones
 *   ./build/23_event_loop --idle 10000               # ... while holding 10,000 idle connections
 *   ./build/23_event_loop --variant blocking         # a handler that sleeps stalls everyone
 *   ./build/23_event_loop --mode server --port 7001  # then, in another terminal:
 *   curl -s http://127.0.0.1:7001/                   # a small page
 *   curl -s 'http://127.0.0.1:7001/add?k=5'          # total=5: the counter after the add
 *   wrk -t2 -c100 -d10s http://127.0.0.1:7001/       # if wrk is installed
 *   ./build/23_event_loop --mode client --port 7001 --clients 1000 --idle 5000
 *
 * What it answers (as lesson 20; parsing is lessons/lib/http.h's, strict):
 *   GET or HEAD /          200, a small page
 *   GET or POST /add?k=N   200 "total=T" (k from 1 to 1000000; T: the counter after it)
 *   GET or HEAD /stats     200 "counter=K answered=A open=N idle_timeout=I keep_alive=S
 *                          backend=B variant=V block=X"
 *   GET /slow              200 "slept=X" after --block X seconds (see the variants)
 *   another path           404;  another method on these paths: 405 with Allow
 *   a malformed request    the parser's 400, 413, 501 or 505 (a bad k: 400)
 *   a request begun (or a new connection) not whole within --idle-timeout: 408, hang up
 *   an idle keep-alive connection: closed without a word after --keep-alive seconds
 *   answers the client does not read for --idle-timeout: hang up
 *   the server is shutting down: 503 with Connection: close
 * Every error answer says Connection: close, and the server hangs up after it.
 *
 * How it fits together. main owns the loop; everything is a handler the loop calls when a
 * descriptor is ready or a timer is due: the listening socket (accept until EAGAIN), the
 * signal self-pipe (lessons/lib/stop_pipe.h: SIGTERM becomes an ordinary event, as in
 * lesson 20), and one handler for every connection. A connection is a small struct:
 * buffers are lent from a free list only while bytes are in flight, so an idle one owns
 * none. Its handler reads what has arrived, parses every whole request in place
 * (http_parse_request keeps no state: call it again when more has come), appends the
 * answers to one output buffer (a pipelined batch goes out in one send), writes what the
 * socket takes and keeps the rest for the next EV_WRITE. A full output buffer stops the
 * parsing: a client that sends without reading cannot make the server buffer without
 * bound. One timer per connection (a heap in the library) bounds every wait: the request
 * deadline (slowloris), the keep-alive, the unread answers, the linger.
 *
 * Shutdown: stop accepting; every connection gets the answers to what had fully arrived,
 * then 503 and a hang-up (a /slow in progress finishes first); when the last one is closed
 * (bounded by --idle-timeout + --block + 1 s), judge.
 *
 * The demo runs the clients (lessons/lib/http_client.h) in a second thread, and the idle
 * connections (--idle) in a child process, whose descriptors do not count against the
 * server's open-files limit: first the stall probe, then the /add load, then SIGTERM to
 * itself, then a table comparing threads, this loop and processes with this run's figures.
 *
 * Notice: one thread serves everyone, and no request waits for another (the stall probe's
 * quick requests keep being answered while /slow waits on its timer). With --variant
 * blocking, the /slow handler sleeps instead, and the quick requests wait the whole sleep:
 * nothing else runs while a handler runs. The default backend is epoll (where there is
 * one) because of the idle connections: with --backend poll every wake-up hands the kernel,
 * and scans, all of them; epoll returns only the ready ones (on a 2-core machine, with
 * --idle 10000 --clients 100 --requests 50: poll about half epoll's rps).
 * Try: ./build/23_event_loop --idle 10000 --backend poll, then --backend epoll, and compare
 * the THROUGHPUT lines; then --variant blocking --block 1.
 *
 * Verdict (the last lines):
 *   server: RESULT accepted=C closed=C answered=A bad=B counter=K OK
 *   client: THROUGHPUT backend=E clients=N requests=A seconds=S rps=R
 *           RESULT sent=A answered=A bad_sent=X rejected=X bad_answers=0 idle=I OK
 *   demo:   THROUGHPUT ...
 *           RESULT sent=A answered=A bad_sent=X rejected=X bad_answers=0 idle=I closed=C
 *                  counter=K expected=K OK
 * OK (exit 0): every /add sent was answered with a distinct total, the counter is the sum
 * of the k answered, every bad client got its status, every idle connection asked for was
 * held, every connection was closed and every buffer given back; FAIL (exit 1) otherwise.
 */
#include "event_loop.h"
#include "http.h"
#include "http_client.h"
#include "net.h"
#include "program.h"
#include "stop_pipe.h"
#include "quizzes/23_event_loop.h" /* --quiz and --answers: its questions */

#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>

static const char usage[] =
    "[--mode demo|server|client] [--port P] [--backend poll|epoll]\n"
    "        [--variant cooperative|blocking] [--block S] [--clients N] [--requests R]\n"
    "        [--bad K] [--idle N] [--idle-timeout S] [--keep-alive S] [--max-seconds S]\n"
    "        [--timeout S]\n"
    "  An HTTP/1.1 server in one thread on 127.0.0.1 (only there, ever), its client, or both.\n"
    "  --mode          demo (default): server and clients in one process, then SIGTERM;\n"
    "                  server: serve until SIGINT or SIGTERM; client: test a running server\n"
    "  --port          server, demo: 0..65535 (default 0: the OS picks; see LISTENING);\n"
    "                  client: the server's, 1..65535\n"
    "  --backend       server, demo: how the loop waits: poll or epoll (default: epoll where\n"
    "                  there is one, i.e. Linux)\n"
    "  --variant       server, demo: cooperative (default): GET /slow waits on a timer;\n"
    "                  blocking: its handler sleeps, and the whole loop with it\n"
    "  --block         server, demo: how long GET /slow takes, seconds, 0.01..10 (default 0.2)\n"
    "  --clients       client, demo: concurrent keep-alive connections, 1..2000 (default 200)\n"
    "  --requests      client, demo: /add requests per connection, 1..10000 (default 3)\n"
    "  --bad           client, demo: bad clients of each kind (bare LF, oversized, silent),\n"
    "                  0..50 (default 1)\n"
    "  --idle          client, demo: idle keep-alive connections held meanwhile, 0..100000\n"
    "                  (default 0)\n"
    "  --idle-timeout  server, demo: longest wait for a whole request, seconds, 0.01..600\n"
    "                  (default 2; then 408); also for answers to be read\n"
    "  --keep-alive    server, demo: how long an idle connection is kept, seconds,\n"
    "                  0.01..3600 (default 60)\n"
    "  --max-seconds   server, demo: stop on one's own after this long, seconds, 0.1..86400\n"
    "                  (default 300)\n"
    "  --timeout       client, demo: longest wait to connect or for an answer, seconds,\n"
    "                  0.01..600 (default 10)\n";

enum mode { MODE_DEMO, MODE_SERVER, MODE_CLIENT };
static const char *const mode_names[] = { "demo", "server", "client", NULL };
enum variant { COOPERATIVE, BLOCKING };
static const char *const variant_names[] = { "cooperative", "blocking", NULL };
static const char *const backend_names[] = { "poll", "epoll", NULL };

enum {
    MAX_ADD = 1000000,
    IN_SIZE = HTTP_MESSAGE_MAX,    /* one input buffer holds any request whole */
    OUT_SIZE = 16384,              /* answers waiting to be sent */
    REPLY_MAX = 1024,              /* the longest answer: parse no further without room */
    KEEP_FREE = 256,               /* buffers kept on each free list */
};
static const double LINGER_S = 0.5;

struct config {
    int mode, port, backend, variant;
    long clients, requests, bad, idle;
    double block, idle_timeout, keep_alive, max_seconds, timeout;
};

/* ---- buffers: lent while bytes are in flight, so an idle connection owns none ------- */

struct buffers {
    size_t size, nfree;
    long lent;
    char *free[KEEP_FREE];
};

static char *buf_get(struct buffers *b)
{
    b->lent++;
    return b->nfree ? b->free[--b->nfree] : xmalloc(b->size);
}

static void buf_put(struct buffers *b, char **p)
{
    if (!*p)
        return;
    b->lent--;
    if (b->nfree < KEEP_FREE)
        b->free[b->nfree++] = *p;
    else
        free(*p);
    *p = NULL;
}

/* ---- the server's state: all of it belongs to the loop's one thread: no locks -------- */

enum timer { T_REQUEST, T_KEEPALIVE, T_WRITE, T_SLOW, T_LINGER };

struct conn {
    struct server *srv;
    struct conn *prev, *next;
    char *in, *out;                /* NULL while nothing is in flight */
    unsigned in_len, out_len, out_sent;
    int fd;
    unsigned char timer;           /* what its timer means (enum timer) */
    bool parked, slow_keep;        /* a /slow waits on its timer (cooperative variant) */
    bool close_after, lingering, peer_done;
};

struct server {
    const struct config *cfg;
    struct ev_loop *loop;
    int listen_fd, port;
    int signal_fd;                 /* SIGINT and SIGTERM arrive here (stop_pipe.h) */
    bool stopping;
    const char *stopped_by;
    double started, stop_deadline;
    struct conn *conns;            /* every open connection */
    long accepted, closed, open, peak_open, answered, requests, bad, timeouts, refused;
    long slow, unread;
    long long counter;
    struct http_request req;       /* one parse at a time: one for the whole loop */
    struct buffers in, out;
};

static void conn_close(struct conn *c)
{
    struct server *srv = c->srv;
    ev_unwatch(srv->loop, c->fd);
    close(c->fd);
    buf_put(&srv->in, &c->in);
    buf_put(&srv->out, &c->out);
    *(c->prev ? &c->prev->next : &srv->conns) = c->next;
    if (c->next)
        c->next->prev = c->prev;
    srv->closed++;
    srv->open--;
    free(c);
}

/* Appends one answer to c's output. keep: Connection: keep-alive (else close after). */
static void reply(struct conn *c, int status, bool keep, bool head_only, const char *allow,
                  const char *type, const char *body)
{
    struct server *srv = c->srv;
    if (!c->out)
        c->out = buf_get(&srv->out);
    size_t room = OUT_SIZE - c->out_len;
    size_t n = http_format_response(c->out + c->out_len, room, &(struct http_reply){
        .status = status, .keep_alive = keep, .head_only = head_only, .allow = allow,
        .content_type = type, .body = body, .body_len = strlen(body) });
    if (n >= room)
        die("an answer of %zu bytes does not fit in %zu", n, room);
    c->out_len += (unsigned)n;
    c->close_after |= !keep;
    srv->requests++;
}

static void reply_status(struct conn *c, int status)
{
    char body[64];
    snprintf(body, sizeof body, "%d %s\n", status, http_reason(status));
    reply(c, status, false, false, NULL, NULL, body);
    c->srv->bad += status != 503;
    c->srv->refused += status == 503;
}

/* GET /slow: the handler that has to wait for something (a database, a disk, a timer). */
static void slow_start(struct conn *c, bool keep)
{
    struct server *srv = c->srv;
    char body[64];
    srv->slow++;
    if (srv->cfg->variant == BLOCKING) {
        /* BROKEN: sleeping in a handler sleeps the loop: nobody is served until it returns
         * (Python: time.sleep inside an async def). */
        nap(srv->cfg->block);
        snprintf(body, sizeof body, "slept=%g\n", srv->cfg->block);
        reply(c, 200, keep, false, NULL, NULL, body);
        return;
    }
    /* FIXED: park the connection on its timer and return at once; the loop answers when
     * the timer is due and serves everyone else meanwhile (Python: await asyncio.sleep). */
    c->parked = true;
    c->slow_keep = keep;
    c->timer = T_SLOW;
    ev_timer(srv->loop, c->fd, now_s() + srv->cfg->block);
}

/* One whole request: route it, append its answer. */
static void answer(struct conn *c, const struct http_request *req)
{
    struct server *srv = c->srv;
    const char *m = req->method, *path = req->path, *allow = NULL, *type = NULL;
    bool get = strcmp(m, "GET") == 0, head = strcmp(m, "HEAD") == 0;
    bool keep = req->keep_alive && !srv->stopping;
    char body[600];
    long k;
    int status = 200;
    if (strcmp(path, "/add") == 0 && (get || strcmp(m, "POST") == 0)) {
        if (http_query_long(req->query, "k", 1, MAX_ADD, &k) != 1) {
            status = 400;
            snprintf(body, sizeof body, "/add wants k=N, N from 1 to %d\n", MAX_ADD);
        } else {
            srv->counter += k;     /* one thread: no lock, no lost update, by construction */
            srv->answered++;
            snprintf(body, sizeof body, "total=%lld\n", srv->counter);
        }
    } else if (strcmp(path, "/") == 0 && (get || head)) {
        type = "text/html; charset=utf-8";
        snprintf(body, sizeof body,
                 "<!doctype html>\n<title>23_event_loop</title>\n<h1>23_event_loop</h1>\n"
                 "<p>One thread, %ld connections open, an event loop (%s).</p>\n"
                 "<p>Try <a href=\"/add?k=1\">/add?k=1</a>, <a href=\"/stats\">/stats</a> and "
                 "<a href=\"/slow\">/slow</a>.</p>\n", srv->open,
                 backend_names[srv->cfg->backend]);
    } else if (strcmp(path, "/stats") == 0 && (get || head)) {
        snprintf(body, sizeof body, "counter=%lld answered=%ld open=%ld idle_timeout=%g "
                 "keep_alive=%g backend=%s variant=%s block=%g\n", srv->counter, srv->answered,
                 srv->open, srv->cfg->idle_timeout, srv->cfg->keep_alive,
                 backend_names[srv->cfg->backend], variant_names[srv->cfg->variant],
                 srv->cfg->block);
    } else if (strcmp(path, "/slow") == 0 && get) {
        slow_start(c, keep);
        return;
    } else if (!strcmp(path, "/") || !strcmp(path, "/stats") || !strcmp(path, "/add") ||
               !strcmp(path, "/slow")) {
        status = 405;
        allow = !strcmp(path, "/add") ? "GET, POST" : !strcmp(path, "/slow") ? "GET"
                                                                             : "GET, HEAD";
        snprintf(body, sizeof body, "%.10s allows %s\n", path, allow);
    } else {
        status = 404;
        snprintf(body, sizeof body, "no such page; try /, /add?k=1, /stats or /slow\n");
    }
    srv->bad += status != 200;
    reply(c, status, keep && status == 200, head, allow, type, body);
}

/* Answers every whole request in c->in while the output has room. True if it stopped for
 * want of room (more may be waiting: call again once the output has gone). */
static bool serve(struct conn *c, bool *served)
{
    struct server *srv = c->srv;
    size_t off = 0;
    bool full = false;
    while (!c->parked && !c->close_after && off < c->in_len) {
        if (OUT_SIZE - c->out_len < REPLY_MAX) {
            full = true;
            break;
        }
        enum http_parse got = http_parse_request(c->in + off, c->in_len - off, &srv->req);
        if (got == HTTP_PARSE_INCOMPLETE)
            break;
        *served = true;
        if (got == HTTP_PARSE_ERROR) {
            reply_status(c, srv->req.error);  /* the rest cannot be trusted: drop it */
            off = c->in_len;
        } else if (srv->stopping) {
            reply_status(c, 503);             /* arrived after the stop */
            off = c->in_len;
        } else {
            off += srv->req.size;
            answer(c, &srv->req);
        }
    }
    c->in_len -= (unsigned)off;
    if (c->in_len > 0 && off > 0)
        memmove(c->in, c->in + off, c->in_len);   /* a pipelined request's first part */
    if (c->in_len == 0)
        buf_put(&srv->in, &c->in);
    return full;
}

/* Sends what the socket takes now. False if the connection is gone (closed here). */
static bool send_out(struct conn *c)
{
    struct server *srv = c->srv;
    bool progress = false;
    while (c->out_sent < c->out_len) {
        ssize_t n = send(c->fd, c->out + c->out_sent, c->out_len - c->out_sent, MSG_NOSIGNAL);
        if (n > 0) {
            c->out_sent += (unsigned)n;
            progress = true;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            break;                            /* the rest waits for EV_WRITE */
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else {
            conn_close(c);                    /* reset, or gone: nobody to answer */
            return false;
        }
    }
    if (c->out_sent == c->out_len) {
        c->out_len = c->out_sent = 0;
        buf_put(&srv->out, &c->out);
    } else if (progress || c->timer != T_WRITE) {
        c->timer = T_WRITE;                   /* the client has idle_timeout to read on */
        ev_timer(srv->loop, c->fd, now_s() + srv->cfg->idle_timeout);
    }
    return true;
}

/* Our last word is sent: say so (FIN), then read and drop what still comes for a moment
 * before closing, so that a client still sending gets our answer, not a reset. */
static void hang_up(struct conn *c)
{
    struct server *srv = c->srv;
    if (c->peer_done) {
        conn_close(c);
        return;
    }
    shutdown(c->fd, SHUT_WR);
    c->lingering = true;
    buf_put(&srv->in, &c->in);
    c->in_len = 0;
    ev_change(srv->loop, c->fd, EV_READ);
    c->timer = T_LINGER;
    ev_timer(srv->loop, c->fd, now_s() + fmin(LINGER_S, srv->cfg->idle_timeout));
}

/* After anything happened to c: answer what can be answered, send what can be sent, then
 * decide what c waits for next and until when. */
static void progress(struct conn *c)
{
    struct server *srv = c->srv;
    bool served = false, full;
    for (;;) {
        full = serve(c, &served);
        if (!send_out(c))
            return;
        if (!full || c->out_len > 0)
            break;                            /* nothing left, or the socket is full */
    }
    double now = now_s();
    if (c->out_len > 0) {
        /* Answers still to go. Read on only while there is room for more answers: a client
         * that sends without reading fills our buffers once, then waits (level-triggered:
         * what it sends meanwhile stays in the kernel, and is reported again later). */
        bool more = !full && !c->parked && !c->close_after && !c->peer_done &&
                    c->in_len < IN_SIZE;
        ev_change(srv->loop, c->fd, EV_WRITE | (more ? EV_READ : 0));
        return;
    }
    if (c->parked) {
        ev_change(srv->loop, c->fd, 0);       /* the timer wakes it; input waits meanwhile */
        return;
    }
    if (c->close_after || c->peer_done) {
        hang_up(c);                           /* the peer's half-close: it sends no more */
        return;
    }
    ev_change(srv->loop, c->fd, EV_READ);
    if (c->in_len > 0 && (served || c->timer != T_REQUEST)) {
        c->timer = T_REQUEST;                 /* a request has begun: whole within this */
        ev_timer(srv->loop, c->fd, now + srv->cfg->idle_timeout);
    } else if (c->in_len == 0 && (served || c->timer == T_WRITE)) {
        c->timer = T_KEEPALIVE;
        ev_timer(srv->loop, c->fd, now + srv->cfg->keep_alive);
    }
}

static void on_timer(struct conn *c)
{
    struct server *srv = c->srv;
    char body[64];
    switch ((enum timer)c->timer) {
    case T_REQUEST:                           /* slowloris, or a silent client */
        srv->timeouts++;
        c->in_len = 0;
        buf_put(&srv->in, &c->in);
        reply_status(c, 408);
        break;
    case T_SLOW:
        c->parked = false;
        snprintf(body, sizeof body, "slept=%g\n", srv->cfg->block);
        reply(c, 200, c->slow_keep && !srv->stopping, false, NULL, NULL, body);
        break;
    case T_WRITE:
        srv->unread++;                        /* not reading its answers */
        conn_close(c);
        return;
    case T_KEEPALIVE:
    case T_LINGER:
        conn_close(c);
        return;
    }
    progress(c);
}

static void conn_event(struct ev_loop *loop, int fd, int what, void *data)
{
    (void)loop;
    struct conn *c = data;
    struct server *srv = c->srv;
    if (what & EV_TIMEOUT) {
        on_timer(c);
        return;
    }
    if (c->lingering) {                       /* drop what comes until the peer closes */
        char junk[4096];
        ssize_t n;
        while ((n = recv(fd, junk, sizeof junk, 0)) > 0)
            ;
        if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
            conn_close(c);
        return;
    }
    if ((what & EV_READ) && !c->parked && c->in_len < IN_SIZE) {
        if (!c->in)
            c->in = buf_get(&srv->in);
        ssize_t n = recv(fd, c->in + c->in_len, IN_SIZE - c->in_len, 0);
        if (n > 0) {
            c->in_len += (unsigned)n;
        } else if (n == 0) {
            c->peer_done = true;              /* nothing more will come */
        } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            conn_close(c);                    /* reset */
            return;
        }
    }
    progress(c);
}

static void conn_open(struct server *srv, int fd)
{
    struct conn *c = xmalloc(sizeof *c);
    *c = (struct conn){ .srv = srv, .fd = fd, .next = srv->conns, .timer = T_REQUEST };
    if (srv->conns)
        srv->conns->prev = c;
    srv->conns = c;
    srv->accepted++;
    if (++srv->open > srv->peak_open)
        srv->peak_open = srv->open;
    ev_watch(srv->loop, fd, EV_READ, conn_event, c);
    ev_timer(srv->loop, fd, now_s() + srv->cfg->idle_timeout);  /* its first request */
}

/* The listening socket is ready: take every waiting client (until EAGAIN), not just one. */
static void on_listen(struct ev_loop *loop, int fd, int what, void *data)
{
    struct server *srv = data;
    if (what & EV_TIMEOUT) {                  /* the pause after EMFILE is over */
        ev_change(loop, fd, EV_READ);
        return;
    }
    for (;;) {
        int cfd = ev_accept(fd, NULL);
        if (cfd >= 0) {
            conn_open(srv, cfd);
            continue;
        }
        if (errno == EMFILE || errno == ENFILE) {
            /* Out of descriptors: the client waits in the backlog. Stop watching the
             * listener for a moment instead of spinning on a socket that stays ready. */
            fprintf(stderr, "%s: accept: %s (%ld open); pausing 0.1 s\n", prog_name,
                    strerror(errno), srv->open);
            ev_change(loop, fd, 0);
            ev_timer(loop, fd, now_s() + 0.1);
        } else if (errno != EAGAIN) {
            die_errno("accept");
        }
        return;
    }
}

/* Stop: no new clients; every connection gets what it is owed, then 503 and a hang-up. */
static void begin_stop(struct server *srv, const char *why)
{
    srv->stopping = true;
    srv->stopped_by = why;
    srv->stop_deadline = now_s() + srv->cfg->idle_timeout + srv->cfg->block + 1;
    ev_unwatch(srv->loop, srv->listen_fd);
    close(srv->listen_fd);
    for (struct conn *c = srv->conns, *next; c; c = next) {
        next = c->next;
        if (c->lingering || c->close_after || c->parked)
            continue;                         /* already finishing */
        if (c->in_len > 0)
            serve(c, &(bool){ false });       /* what had fully arrived: 503 now */
        if (!c->close_after && OUT_SIZE - c->out_len >= REPLY_MAX)
            reply_status(c, 503);
        c->close_after = true;
        progress(c);
    }
}

static void on_signal_pipe(struct ev_loop *loop, int fd, int what, void *data)
{
    (void)loop;
    (void)what;
    (void)fd;
    struct server *srv = data;
    for (int signo; (signo = stop_pipe_take()) != 0;)
        if (!srv->stopping)
            begin_stop(srv, stop_pipe_name(signo));
}

static void server_start(struct server *srv, const struct config *cfg)
{
    *srv = (struct server){ .cfg = cfg, .started = now_s(), .in.size = IN_SIZE,
                            .out.size = OUT_SIZE, .signal_fd = stop_pipe_install() };
    srv->listen_fd = net_listen(cfg->port, &srv->port);
    if (srv->listen_fd < 0)
        die("cannot listen on 127.0.0.1:%d: %s", cfg->port, strerror(errno));
    srv->loop = ev_create(cfg->backend);
    ev_watch(srv->loop, srv->listen_fd, EV_READ, on_listen, srv);
    ev_watch(srv->loop, srv->signal_fd, EV_READ, on_signal_pipe, srv);
}

/* The loop itself. Returns when stopped and every connection is closed. */
static void serve_until_stopped(struct server *srv, double *cpu)
{
    double end = srv->started + srv->cfg->max_seconds;
    struct timespec t0, t1;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
    while (!srv->stopping || srv->open > 0) {
        double now = now_s();
        if (!srv->stopping && now >= end) {
            begin_stop(srv, "the time limit (--max-seconds)");
            continue;                         /* maybe nobody is left to wait for */
        }
        if (srv->stopping && now >= srv->stop_deadline) {
            while (srv->conns)                /* nothing waits forever: cut the rest */
                conn_close(srv->conns);
            break;
        }
        ev_run_once(srv->loop, (srv->stopping ? srv->stop_deadline : end) - now);
    }
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);
    *cpu = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
}

static bool server_report(struct server *srv, double cpu)
{
    ev_unwatch(srv->loop, srv->signal_fd);
    double wall = now_s() - srv->started;
    printf("server: stopped by %s after %.3f s; %ld connections (at most %ld open at once), "
           "%ld answers, %ld of them adds; %ld bad (%ld timed out), %ld refused (503); "
           "counter %lld\n", srv->stopped_by, wall, srv->accepted, srv->peak_open,
           srv->requests, srv->answered, srv->bad, srv->timeouts, srv->refused, srv->counter);
    printf("server: one thread, %s: %.3f s of CPU in %.3f s; %ld /slow (%s); %ld did not "
           "read their answers\n", backend_names[srv->cfg->backend], cpu, wall, srv->slow,
           variant_names[srv->cfg->variant], srv->unread);
    bool ok = srv->closed == srv->accepted && srv->in.lent == 0 && srv->out.lent == 0 &&
              ev_watched(srv->loop) == 0;
    if (!ok)
        printf("server: %ld accepted, %ld closed; buffers not given back: %ld + %ld\n",
               srv->accepted, srv->closed, srv->in.lent, srv->out.lent);
    for (size_t i = 0; i < srv->in.nfree; i++)
        free(srv->in.free[i]);
    for (size_t i = 0; i < srv->out.nfree; i++)
        free(srv->out.free[i]);
    ev_destroy(srv->loop);
    return ok;
}

/* ---- the client: the counter load, idle connections, the stall probe (http_client.h) -- */

struct stats {
    long long counter;
    long answered, open;
    double idle_timeout, keep_alive, block;
    char backend[8], variant[16];
};

/* GET /stats, checked: only values this program's own options allow. */
static bool ask_stats(int port, double timeout, struct stats *st)
{
    char text[300], shown[120];
    int status = http_fetch_text(port, "/stats", timeout, text, sizeof text);
    bool ok = status == 200 &&
              sscanf(text, "counter=%lld answered=%ld open=%ld idle_timeout=%lf keep_alive=%lf "
                     "backend=%7s variant=%15s block=%lf", &st->counter, &st->answered,
                     &st->open, &st->idle_timeout, &st->keep_alive, st->backend, st->variant,
                     &st->block) == 8 &&
              st->open >= 1 && st->idle_timeout >= 0.01 && st->idle_timeout <= 600 &&
              st->keep_alive >= 0.01 && st->keep_alive <= 3600 && st->block >= 0.01 &&
              st->block <= 10 && (!strcmp(st->backend, "poll") || !strcmp(st->backend, "epoll"))
              && (!strcmp(st->variant, "cooperative") || !strcmp(st->variant, "blocking"));
    if (status && !ok)
        printf("client: GET /stats: an answer out of range \"%s\"\n",
               escape_into(shown, sizeof shown, text, 80));
    return ok;
}

static struct counter_load load_of(const struct config *cfg, int port, double idle)
{
    return (struct counter_load){ .port = port, .clients = cfg->clients,
                                  .requests = cfg->requests, .bad = cfg->bad,
                                  .timeout = cfg->timeout, .idle_timeout = idle,
                                  .latency = true };
}

static bool client_report(const struct counter_run *run, const struct counter_load *load,
                          const char *backend)
{
    const struct http_load_result *r = &run->res;
    printf("client: %ld answers of %ld requests on %ld connections at once; %s\n", r->answered,
           load->clients * load->requests, load->clients, run->duplicates
               ? "SOME TOTALS REPEAT (an update was lost)"
               : "every total different (no update lost)");
    bool ok = counter_load_report(run, load);
    printf("THROUGHPUT backend=%s clients=%ld requests=%ld seconds=%.3f rps=%.0f\n", backend,
           load->clients, r->answered, r->seconds,
           r->seconds > 0 ? (double)r->answered / r->seconds : 0.0);
    return ok;
}

/* ---- the three modes ------------------------------------------------------------------ */

/* The server raises its open-files limit to the hard limit: each connection is one. */
static void server_files(const struct config *cfg, long reserve)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        die_errno("getrlimit");
    long hard = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > 1048576 ? 1048576
                                                                      : (long)rl.rlim_max;
    hard = client_room_for_files(hard);
    long room = hard - reserve - 32;
    printf("server: open files: the limit is raised to %ld (the hard limit): room for about "
           "%ld connections%s\n", hard, room, room < 10000
               ? ", fewer than 10,000 (raise the hard limit: ulimit -Hn, as root)" : "");
    (void)cfg;
}

static int run_server(const struct config *cfg)
{
    server_files(cfg, 0);
    struct server srv;
    server_start(&srv, cfg);
    printf("LISTENING port=%d\n", srv.port);
    printf("server: pid %ld, one thread, %s, --variant %s, on 127.0.0.1:%d; stop it with "
           "Ctrl-C or kill -TERM (or it stops after %g s)\n", (long)getpid(),
           backend_names[cfg->backend], variant_names[cfg->variant], srv.port, cfg->max_seconds);
    double cpu;
    serve_until_stopped(&srv, &cpu);
    long long counter = srv.counter;
    long accepted = srv.accepted, closed = srv.closed, answered = srv.answered, bad = srv.bad;
    bool ok = server_report(&srv, cpu);
    return verdict(ok, "accepted=%ld closed=%ld answered=%ld bad=%ld counter=%lld", accepted,
                   closed, answered, bad, counter);
}

static int run_client(const struct config *cfg)
{
    printf("client: %ld clients x %ld requests, bad clients: %ld of each kind, %ld idle "
           "connections; against http://127.0.0.1:%d/\n", cfg->clients, cfg->requests,
           cfg->bad, cfg->idle, cfg->port);
    struct stats st;
    struct counter_run run = { .res.bad_sent = 3 * cfg->bad };   /* if none of them runs */
    struct stall_probe probe = { .ok = false };
    long held = 0, target = cfg->idle;
    int *idle = xcalloc((size_t)cfg->idle + 1, sizeof *idle);
    client_room_for_files(cfg->clients + 3 * cfg->bad + 64);
    bool ok = ask_stats(cfg->port, cfg->timeout, &st);
    if (ok && cfg->idle > 0) {
        held = idle_hold(cfg->port, &target, cfg->timeout, idle);
        if ((ok = ask_stats(cfg->port, cfg->timeout, &st)))
            printf("idle: %ld idle keep-alive connections held; the server counts %ld open "
                   "(ours, and the one asking)\n", held, st.open);
    }
    struct counter_load load = load_of(cfg, cfg->port, ok ? st.idle_timeout : 0);
    if (ok) {
        stall_probe_run(cfg->port, st.block, cfg->timeout, &probe);
        stall_probe_report(&probe, st.variant, st.block);
        counter_load_run(&load, &run);
    }
    ok = client_report(&run, &load, ok ? st.backend : "?") && ok && probe.ok && held == target;
    for (long i = 0; i < held; i++)
        close(idle[i]);
    free(idle);
    const struct http_load_result *r = &run.res;
    return verdict(ok, "sent=%ld answered=%ld bad_sent=%ld rejected=%ld bad_answers=%ld idle=%ld",
                   r->sent, r->answered, r->bad_sent, r->rejected, r->wrong, held);
}

struct demo {
    const struct config *cfg;
    int port;
    struct idle_holder holder;     /* the idle connections, in a child process */
    long held, target, open_seen;
    struct stall_probe probe;
    struct counter_load load;
    struct counter_run run;
};

static void *demo_client_main(void *arg)
{
    struct demo *d = arg;
    const struct config *cfg = d->cfg;
    struct stats st;
    if (cfg->idle > 0) {
        d->held = idle_holder_hold(&d->holder, d->port, &d->target, cfg->timeout);
        if (ask_stats(d->port, cfg->timeout, &st))
            d->open_seen = st.open;
        printf("idle: %ld idle keep-alive connections held (by a child process); the server "
               "counts %ld open, in one thread\n", d->held, d->open_seen);
    }
    stall_probe_run(d->port, cfg->block, cfg->timeout, &d->probe);
    stall_probe_report(&d->probe, variant_names[cfg->variant], cfg->block);
    counter_load_run(&d->load, &d->run);
    if (cfg->idle > 0)
        idle_holder_release(&d->holder);
    printf("demo: every client is done; kill(getpid(), SIGTERM), as a shell would\n");
    if (kill(getpid(), SIGTERM) != 0)
        die_errno("kill");
    return NULL;
}

/* Threads, this loop and processes, side by side: measured here, or facts. */
static void compare(const struct server *srv, const struct demo *d, double cpu, double wall)
{
    pthread_attr_t attr;
    size_t stack;
    PT_CHECK(pthread_attr_init(&attr));
    PT_CHECK(pthread_attr_getstacksize(&attr, &stack));
    PT_CHECK(pthread_attr_destroy(&attr));
    char cost[64], held[64], blocks[64], cores[64], tstack[64];
    snprintf(tstack, sizeof tstack, "a thread: %zu KiB stack reserved", stack / 1024);
    snprintf(cost, sizeof cost, "%zu bytes (+%d KiB mid-request)", sizeof(struct conn),
             IN_SIZE / 1024);
    snprintf(held, sizeof held, "%ld at once in this run", srv->peak_open);
    if (d->probe.ok && d->cfg->variant == BLOCKING)
        snprintf(blocks, sizeof blocks, "every client waits: %.3f s here",
                 d->probe.during_max);
    else
        snprintf(blocks, sizeof blocks, "all wait (see --variant blocking)");
    snprintf(cores, sizeof cores, "one: %.2f s CPU in %.2f s", cpu, wall);
    const char *row = "compare: %-22s| %-34s| %-34s| %s\n";
    printf(row, "", "threads (lesson 20)", "this event loop", "processes (lesson 14)");
    printf(row, "a connection costs", tstack, cost, "a process: its own memory map");
    printf(row, "idle connections held", "one per worker; the rest queue", held,
           "one per worker process");
    printf(row, "one handler blocks", "its own client waits", blocks, "its own client waits");
    char all[32];
    snprintf(all, sizeof all, "all %d", online_cpus());
    printf(row, "CPU cores used", all, cores, all);
}

static int run_demo(const struct config *cfg)
{
    struct demo d = { .cfg = cfg, .target = cfg->idle };
    long files = 2 * (cfg->clients + 3 * cfg->bad) + cfg->idle + 64;
    if (cfg->idle > 0)
        idle_holder_start(&d.holder, cfg->idle, cfg->timeout);  /* before any thread exists */
    server_files(cfg, 2 * (cfg->clients + 3 * cfg->bad));
    long limit = client_room_for_files(files);
    if (limit < files)
        printf("demo: the load's %ld clients and %ld idle connections may need %ld descriptors "
               "here, and the limit is %ld: if they run out, accept pauses (stderr says so)\n",
               cfg->clients, cfg->idle, files, limit);
    struct server srv;
    server_start(&srv, cfg);
    d.port = srv.port;
    d.load = load_of(cfg, srv.port, cfg->idle_timeout);
    printf("demo: one thread serves http://127.0.0.1:%d/ (%s, --variant %s); %ld clients x %ld "
           "requests; bad clients: %ld of each kind; %ld idle connections\n", srv.port,
           backend_names[cfg->backend], variant_names[cfg->variant], cfg->clients,
           cfg->requests, cfg->bad, cfg->idle);
    if (cfg->bad > 0)
        printf("demo: the silent client makes the demo wait out the idle timeout (%g s)\n",
               cfg->idle_timeout);
    pthread_t client;
    sigset_t old;
    stop_pipe_block(&old);                /* the client thread never takes them */
    PT_CHECK(pthread_create(&client, NULL, demo_client_main, &d));
    stop_pipe_unblock(&old);

    double cpu;
    serve_until_stopped(&srv, &cpu);
    PT_CHECK(pthread_join(client, NULL));
    double wall = now_s() - srv.started;
    long long counter = srv.counter;
    long closed = srv.closed;
    compare(&srv, &d, cpu, wall);
    bool server_ok = server_report(&srv, cpu);
    bool client_ok = client_report(&d.run, &d.load, backend_names[cfg->backend]);
    const struct http_load_result *r = &d.run.res;
    /* The server started at 0 and served only these clients: the counter must be the sum
     * of every k they had answered. */
    bool ok = server_ok && client_ok && d.probe.ok && d.held == d.target &&
              counter == d.run.sum;
    return verdict(ok, "sent=%ld answered=%ld bad_sent=%ld rejected=%ld bad_answers=%ld idle=%ld "
                   "closed=%ld counter=%lld expected=%lld", r->sent, r->answered, r->bad_sent,
                   r->rejected, r->wrong, d.held, closed, counter, d.run.sum);
}

/* ---- main: parse, then one of the three modes ----------------------------------------- */

enum { FOR_DEMO = 1 << MODE_DEMO, FOR_SERVER = 1 << MODE_SERVER, FOR_CLIENT = 1 << MODE_CLIENT };

int main(int argc, char **argv)
{
    cli_setup(argv[0], usage);
    QUIZ(quiz);
    struct config cfg = { .mode = MODE_DEMO, .backend = ev_backend_available(EV_EPOLL) ? 1 : 0,
                          .variant = COOPERATIVE, .block = 0.2, .clients = 200, .requests = 3,
                          .bad = 1, .idle_timeout = 2, .keep_alive = 60, .max_seconds = 300,
                          .timeout = 10 };
    static const struct option opts[] = {
        { "mode", required_argument, NULL, 'm' },
        { "port", required_argument, NULL, 'p' },
        { "backend", required_argument, NULL, 'B' },
        { "variant", required_argument, NULL, 'v' },
        { "block", required_argument, NULL, 'k' },
        { "clients", required_argument, NULL, 'c' },
        { "requests", required_argument, NULL, 'r' },
        { "bad", required_argument, NULL, 'b' },
        { "idle", required_argument, NULL, 'I' },
        { "idle-timeout", required_argument, NULL, 'i' },
        { "keep-alive", required_argument, NULL, 'K' },
        { "max-seconds", required_argument, NULL, 'x' },
        { "timeout", required_argument, NULL, 't' },
        CLI_QUIZ, CLI_HELP, CLI_END,
    };
    static const int applies[] = {
        FOR_DEMO | FOR_SERVER | FOR_CLIENT, FOR_DEMO | FOR_SERVER | FOR_CLIENT,
        FOR_DEMO | FOR_SERVER, FOR_DEMO | FOR_SERVER, FOR_DEMO | FOR_SERVER,
        FOR_DEMO | FOR_CLIENT, FOR_DEMO | FOR_CLIENT, FOR_DEMO | FOR_CLIENT,
        FOR_DEMO | FOR_CLIENT, FOR_DEMO | FOR_SERVER, FOR_DEMO | FOR_SERVER,
        FOR_DEMO | FOR_SERVER, FOR_DEMO | FOR_CLIENT,
    };
    /* one entry for each option above but the last four (--quiz, --answers, --help, end) */
    _Static_assert(sizeof applies / sizeof applies[0] == sizeof opts / sizeof opts[0] - 4,
                   "applies[] and opts[] out of step");
    unsigned given = 0;
    for (int c; (c = cli_next(argc, argv, opts)) != -1;) {
        for (int i = 0; opts[i].name; i++)
            if (opts[i].val == c)
                given |= 1u << i;
        switch (c) {
        case 'm': cfg.mode = parse_choice("--mode", optarg, mode_names); break;
        case 'p': cfg.port = (int)parse_long("--port", optarg, 0, 65535); break;
        case 'B': cfg.backend = parse_choice("--backend", optarg, backend_names); break;
        case 'v': cfg.variant = parse_choice("--variant", optarg, variant_names); break;
        case 'k': cfg.block = parse_double("--block", optarg, 0.01, 10); break;
        case 'c': cfg.clients = parse_long("--clients", optarg, 1, 2000); break;
        case 'r': cfg.requests = parse_long("--requests", optarg, 1, 10000); break;
        case 'b': cfg.bad = parse_long("--bad", optarg, 0, 50); break;
        case 'I': cfg.idle = parse_long("--idle", optarg, 0, 100000); break;
        case 'i': cfg.idle_timeout = parse_double("--idle-timeout", optarg, 0.01, 600); break;
        case 'K': cfg.keep_alive = parse_double("--keep-alive", optarg, 0.01, 3600); break;
        case 'x': cfg.max_seconds = parse_double("--max-seconds", optarg, 0.1, 86400); break;
        case 't': cfg.timeout = parse_double("--timeout", optarg, 0.01, 600); break;
        }
    }
    for (int i = 0; opts[i].name; i++)
        if ((given >> i & 1) && !(applies[i] & 1 << cfg.mode))
            usage_error("--%s does not apply to --mode %s", opts[i].name, mode_names[cfg.mode]);
    if (cfg.mode == MODE_CLIENT && cfg.port == 0)
        usage_error("--mode client needs --port P (the server's LISTENING line says it)");
    if (!ev_backend_available(cfg.backend))
        usage_error("--backend %s: not available on this system (try poll)",
                    backend_names[cfg.backend]);
    if (cfg.mode == MODE_SERVER)
        return run_server(&cfg);
    if (cfg.mode == MODE_CLIENT)
        return run_client(&cfg);
    return run_demo(&cfg);
}
