/*
 * 20_server: the capstone. A small HTTP/1.1 server on 127.0.0.1 built from the earlier
 * lessons: each connection is served by a pool worker (lesson 11), log lines go to a logger
 * thread through lesson 10's bounded queue, one mutex keeps a counter and a file in step
 * (lesson 03), and SIGINT/SIGTERM shut it down cleanly: stop accepting, finish what is in
 * flight, drain the log, join everything, then judge.
 *
 *   make && ./build/20_server                     # demo: server + 200 clients + 3 bad ones
 *   ./build/20_server --mode server --port 7000   # then, in another terminal:
 *   curl -s http://127.0.0.1:7000/                # a small page
 *   curl -s 'http://127.0.0.1:7000/add?k=5'       # total=5: the counter after the add
 *   ./build/20_server --mode client --port 7000 --clients 50      # and Ctrl-C the server
 *   wrk -t2 -c100 -d10s http://127.0.0.1:7000/    # if wrk is installed
 *   ./build/20_server --workers 1 --bad 0 --requests 20           # one worker for everyone
 *   ./build/20_server --log-file -                                # watch the logger at work
 *   ./build/20_server --workers 2 --slow 4 --max-hold 1 --bad 0   # what slow clients cost
 *
 * What it answers (parsing, strict, and keep-alive are lessons/lib/http.h's):
 *   GET or HEAD /          200, a small page
 *   GET or POST /add?k=N   200 "total=T" (k from 1 to 1000000; T: the counter after it)
 *   GET or HEAD /stats     200 "counter=K answered=A workers=W idle_timeout=I max_hold=H"
 *   another path           404;  another method on these paths: 405 with Allow
 *   a malformed request    the parser's 400, 413, 501 or 505 (a bad k: 400)
 *   no whole request within --idle-timeout of the worker asking: 408, and it hangs up
 *   the client held its worker --max-hold: the last answer says Connection: close
 *   the client does not read its answers: it hangs up when an answer times out
 *   the server is shutting down (or every worker and queue slot is taken): 503
 * Every error answer says Connection: close, and the server hangs up after it.
 *
 * How it fits together. main runs the accept loop: poll() on the listening socket and on
 * the signal self-pipe (lessons/lib/stop_pipe.h: SIGINT and SIGTERM become an ordinary
 * event), with no timeout but --max-seconds. Each accepted connection is a task for the
 * pool; its worker reads requests with poll() on the socket and on a stop pipe, whose
 * hang-up tells every worker at once that the server is shutting down. Every /add updates
 * the counter and appends to the shared file in one critical section, then queues a log
 * line for the logger.
 *
 * Shutdown, in order: close the listening socket (new clients are refused); close the stop
 * pipe (each worker finishes the request in hand; one that arrives now gets 503); close the
 * pool and join it (connections still queued get 503 too); close the log queue and join the
 * logger (it writes what is left first); read the shared file back; the verdict.
 *
 * The demo runs the client (lessons/lib/http_client.h: --clients keep-alive connections of
 * --requests adds each, --bad clients of each bad kind, --slow slow ones) in a thread of the
 * same process and ends the server with kill(getpid(), SIGTERM), the very path a `kill`
 * from a shell takes. The silent bad client's 408 is the pause in the demo.
 *
 * What W workers survive. A worker serves one connection at a time, so the server is only
 * as available as its slowest W clients allow. Each wait is bounded: a request must be whole
 * within --idle-timeout of the worker asking for it (one deadline, not a timer each byte
 * restarts: slowloris is cut off all the same); an answer the client does not read within
 * --idle-timeout ends the connection; the first answer after --max-hold says Connection:
 * close, so no client holds its worker longer than --max-hold and one more request. (The
 * worker waits for that request rather than hanging up at --max-hold: a keep-alive client
 * may have sent it already, and a silent close would lose it; wrk counts those as errors.)
 * What the bounds cannot buy: K clients that each hold a worker as long as allowed keep a
 * client queued behind them waiting up to about ceil(K / W) times that (--slow K measures
 * it). An event loop, which holds an idle connection as a few bytes instead of a thread,
 * can do better: lesson 23.
 *
 * Notice: the silent client holds one worker, not the server: the others keep answering.
 * The counter and the file never disagree: each line of the file is the total after one
 * add, and each total is the one before plus its add (checked when the server stops); the
 * answers' totals are all different: no update was lost. THROUGHPUT says requests/s.
 * Try: --workers 1, 2, 4, 8 --bad 0 --requests 20 and watch rps; then move the write() in
 * ledger_add below the unlock and run with --requests 20: the file's order no longer follows
 * the counter's, and the verdict catches it.
 *
 * Verdict (the last lines, printed after every thread is joined):
 *   server: RESULT accepted=C answered=A logged=A ledger=A adds_up=yes bad=B counter=K OK
 *   client: THROUGHPUT workers=W clients=N requests=A seconds=S rps=R
 *           RESULT sent=A answered=A bad_sent=X rejected=X bad_answers=0 OK
 *   demo:   THROUGHPUT ...
 *           RESULT sent=A answered=A logged=A ledger=A adds_up=yes bad_sent=X rejected=X
 *                  bad_answers=0 counter=K expected=K OK
 * (answered: /add requests answered 200.) OK (exit 0) when the counts agree: every add sent
 * was answered, logged and written to the shared file, the file adds up to the counter,
 * every bad client got its status, every connection was closed; FAIL (exit 1) otherwise.
 */
#include "bounded_queue.h"
#include "http.h"
#include "http_client.h"
#include "net.h"
#include "program.h"
#include "stop_pipe.h"
#include "thread_pool.h"
#include "quizzes/20_server.h" /* --quiz and --answers: its questions */

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage[] =
    "[--mode demo|server|client] [--port P] [--workers W] [--clients N] [--requests R]\n"
    "        [--bad K] [--slow K] [--idle-timeout S] [--max-hold S] [--max-seconds S]\n"
    "        [--timeout S] [--log-file PATH] [--ledger-file PATH]\n"
    "  A small HTTP/1.1 server on 127.0.0.1 (only there, ever), its client, or both at once.\n"
    "  --mode          demo (default): the server and its clients in one process, then the\n"
    "                  shutdown a SIGTERM causes; server: serve until SIGINT or SIGTERM (or\n"
    "                  --max-seconds); client: test a running server\n"
    "  --port          server, demo: where to listen, 0..65535 (default 0: the OS picks one\n"
    "                  and the LISTENING line says which); client: the server's, 1..65535\n"
    "  --workers       server, demo: pool workers, each serving one connection at a time,\n"
    "                  1..1024 (default 8)\n"
    "  --clients       client, demo: concurrent keep-alive connections, 1..500 (default 200)\n"
    "  --requests      client, demo: /add requests per connection, 1..10000 (default 3)\n"
    "  --bad           client, demo: bad clients of each kind (bare LF, oversized, silent),\n"
    "                  0..50 (default 1)\n"
    "  --slow          client, demo: slow clients, 0..50 (default 0): each sends a good\n"
    "                  request every half idle timeout until --max-hold cuts it off\n"
    "  --idle-timeout  server, demo: longest wait for a whole request, seconds, 0.01..600\n"
    "                  (default 2; then 408); also how long an answer may wait to be read\n"
    "  --max-hold      server, demo: how long one connection may hold a worker, seconds;\n"
    "                  the next answer says Connection: close, 0.1..3600 (default 10)\n"
    "  --max-seconds   server, demo: stop on one's own after this long, seconds,\n"
    "                  0.1..86400 (default 300)\n"
    "  --timeout       client, demo: longest wait to connect or for an answer, seconds,\n"
    "                  0.01..600 (default 10; a silent client adds the server's idle timeout)\n"
    "  --log-file      server, demo: where the logger writes, - for stdout (default: stdout\n"
    "                  for the server, a temporary file for the demo)\n"
    "  --ledger-file   server, demo: the shared file, one line per /add answered\n"
    "                  (default: a temporary file, removed at the end)\n";

enum mode { MODE_DEMO, MODE_SERVER, MODE_CLIENT };
static const char *const mode_names[] = { "demo", "server", "client", NULL };

enum {
    MAX_WORKERS = 1024,            /* the largest --workers */
    MAX_ADD = 1000000,             /* /add?k=N takes N from 1 to this */
    MAX_WAITING = 1024,            /* accepted clients waiting for a worker; more: 503 */
    LOG_SLOTS = 64,                /* the log queue's capacity */
    LOG_TEXT = 200,                /* one log line, at most */
};
static const double LOG_PUT_TIMEOUT_S = 10; /* a logger this far behind is broken: drop */
static const double LINGER_S = 0.5;         /* at most this long discarding unread input */

/* Fixed in main before any thread starts, read-only afterwards: no lock needed. */
struct config {
    int mode, port, workers;
    long clients, requests, bad, slow;
    double idle_timeout, max_hold, max_seconds, timeout;
    const char *log_path;    /* NULL: the default for the mode */
    const char *ledger_path; /* NULL: a temporary file */
    long waiting;            /* accepted clients that may wait for a worker: MAX_WAITING, or
                              * fewer when the open-files limit cannot hold that many */
};

/* ---- the server's shared state: a counter and a file under one mutex ---------------- */

struct ledger {
    pthread_mutex_t lock;    /* guards every field below */
    long long counter;
    int fd;                  /* the shared file, opened O_APPEND */
    long answered, bad, closed, log_dropped, write_errors;
    long cut, unread;        /* connections ended at --max-hold, or for not reading */
};

/* The critical section this server exists to show. The counter and the file change
 * together, so whenever the lock is free the file's last line names the counter's value,
 * and line n holds the n-th total. (write() under a lock is a system call on everybody's
 * path: it is the one place where workers wait for each other.) */
static long long ledger_add(struct ledger *lg, long k, long client)
{
    char line[96];
    PT_CHECK(pthread_mutex_lock(&lg->lock));
    long long total = lg->counter += k;
    lg->answered++;
    int len = snprintf(line, sizeof line, "total=%lld add=%ld client=%ld\n", total, k, client);
    if (write(lg->fd, line, (size_t)len) != len)
        lg->write_errors++;
    PT_CHECK(pthread_mutex_unlock(&lg->lock));
    return total;
}

static void ledger_count(struct ledger *lg, long *field)
{
    PT_CHECK(pthread_mutex_lock(&lg->lock));
    (*field)++;
    PT_CHECK(pthread_mutex_unlock(&lg->lock));
}

/* After every join: read the file back. Each line's total must be the previous total plus
 * its add, and the last one the counter. */
struct ledger_check { long lines; long long last; bool adds_up; };

static struct ledger_check check_ledger(const char *path, long long counter)
{
    struct ledger_check ck = { 0, 0, true };
    FILE *f = fopen(path, "r");
    if (!f)
        die("cannot read the ledger %s: %s", path, strerror(errno));
    long long total;
    long k, client;
    char line[128];
    while (fgets(line, sizeof line, f)) {
        if (sscanf(line, "total=%lld add=%ld client=%ld", &total, &k, &client) != 3 ||
            total != ck.last + k)
            ck.adds_up = false;
        ck.last = total;
        ck.lines++;
    }
    fclose(f);
    ck.adds_up = ck.adds_up && ck.last == counter;
    return ck;
}

/* ---- the server: an accept loop, a pool of workers, a logger ------------------------ */

struct log_record {
    bool request;            /* an answered /add (the verdict counts these) */
    char text[LOG_TEXT];
};

struct server {
    const struct config *cfg;
    int listen_fd, port;
    int signal_fd;           /* SIGINT and SIGTERM arrive here (stop_pipe.h): main polls it */
    int stop_pipe[2];        /* main closes [1]; every worker's poll on [0] sees the hang-up */
    tp_pool *pool;
    double started;
    long accepted, busy;     /* main only */
    struct ledger ledger;
    bq_queue log_queue;      /* workers put, the logger takes */
    pthread_t logger;
    FILE *log;
    long logged, log_lines;  /* the logger only; main reads them after joining it */
};

/* One client, handed from main to a worker (who frees it). */
struct conn {
    struct server *srv;
    int fd, peer_port;
    long id;
    double accepted_at;
};

/* Queue a log line (the worker goes on at once; the logger writes it). A full queue makes
 * the worker wait for room, at most LOG_PUT_TIMEOUT_S; then the line is dropped, counted,
 * and the verdict fails. */
static void log_event(struct server *srv, bool request, const char *fmt, ...)
{
    struct log_record rec = { .request = request };
    int len = snprintf(rec.text, sizeof rec.text, "%.3f %s ", now_s() - srv->started,
                       tp_current_worker_name() ? tp_current_worker_name() : "main");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rec.text + len, sizeof rec.text - (size_t)len, fmt, ap);
    va_end(ap);
    if (bq_put(&srv->log_queue, &rec, LOG_PUT_TIMEOUT_S, NULL) != BQ_OK)
        ledger_count(&srv->ledger, &srv->ledger.log_dropped);
}

static void *logger_main(void *arg)
{
    struct server *srv = arg;
    struct log_record rec;
    /* BQ_CLOSED comes only once the queue is closed AND empty: nothing is left behind. */
    while (bq_take(&srv->log_queue, &rec, BQ_FOREVER, NULL) == BQ_OK) {
        if (fprintf(srv->log, "log %s\n", rec.text) < 0)
            continue;
        srv->log_lines++;
        srv->logged += rec.request;
    }
    fflush(srv->log);
    return NULL;
}

/* Sends one answer; false if it could not go out (the client does not read, or is gone). */
static bool reply(int fd, int status, bool keep_alive, bool head_only, const char *allow,
                  const char *type, const char *body)
{
    char buf[2048];
    size_t n = http_format_response(buf, sizeof buf, &(struct http_reply){
        .status = status, .keep_alive = keep_alive, .head_only = head_only, .allow = allow,
        .content_type = type, .body = body, .body_len = strlen(body) });
    return n < sizeof buf && net_send_all(fd, buf, n);
}

/* One request: routes it, answers it, logs it. Returns the status; *sent says whether the
 * answer went out. keep: the answer may say keep-alive (an error answer never does). */
static int answer(struct conn *c, const struct http_request *req, bool keep, bool *sent)
{
    struct server *srv = c->srv;
    struct ledger *lg = &srv->ledger;
    const char *m = req->method;
    bool get = strcmp(m, "GET") == 0, head = strcmp(m, "HEAD") == 0;
    char body[600];
    long k;
    int status = 200;
    const char *allow = NULL, *type = NULL;
    if (strcmp(req->path, "/add") == 0 && (get || strcmp(m, "POST") == 0)) {
        if (http_query_long(req->query, "k", 1, MAX_ADD, &k) != 1) {
            status = 400;
            snprintf(body, sizeof body, "/add wants k=N, N from 1 to %d\n", MAX_ADD);
        } else {
            long long total = ledger_add(lg, k, c->id);
            snprintf(body, sizeof body, "total=%lld\n", total);
            *sent = reply(c->fd, 200, keep, false, NULL, NULL, body);  /* answer, then log */
            log_event(srv, true, "client %ld: %s /add k=%ld -> 200 total=%lld", c->id, m, k,
                      total);
            return 200;
        }
    } else if (strcmp(req->path, "/") == 0 && (get || head)) {
        type = "text/html; charset=utf-8";
        snprintf(body, sizeof body,
                 "<!doctype html>\n<title>20_server</title>\n<h1>20_server</h1>\n"
                 "<p>A thread-pool HTTP server: %d workers, one counter under one mutex.</p>\n"
                 "<p>Try <a href=\"/add?k=1\">/add?k=1</a> and <a href=\"/stats\">/stats</a>."
                 "</p>\n", srv->cfg->workers);
    } else if (strcmp(req->path, "/stats") == 0 && (get || head)) {
        PT_CHECK(pthread_mutex_lock(&lg->lock));
        snprintf(body, sizeof body, "counter=%lld answered=%ld workers=%d idle_timeout=%g "
                 "max_hold=%g\n", lg->counter, lg->answered, srv->cfg->workers,
                 srv->cfg->idle_timeout, srv->cfg->max_hold);
        PT_CHECK(pthread_mutex_unlock(&lg->lock));
    } else if (strcmp(req->path, "/") == 0 || strcmp(req->path, "/stats") == 0 ||
               strcmp(req->path, "/add") == 0) {
        status = 405;
        allow = strcmp(req->path, "/add") == 0 ? "GET, POST" : "GET, HEAD";
        snprintf(body, sizeof body, "%.10s allows %s\n", req->path, allow);
    } else {
        status = 404;
        snprintf(body, sizeof body, "no such page; try /, /add?k=1 or /stats\n");
    }
    if (status != 200)
        ledger_count(lg, &lg->bad);
    *sent = reply(c->fd, status, keep && status == 200, head, allow, type, body);
    char shown[48];
    log_event(srv, false, "client %ld: %s %s -> %d", c->id, m,
              escape_into(shown, sizeof shown, req->path, 30), status);
    return status;
}

/* A pool task: serve one connection, request after request, until it ends. Every wait in
 * here is bounded (each request by the idle timeout and their number by --max-hold, each
 * answer by the send timeout, the hang-up by the linger): see "What W workers survive". */
static int serve_client(void *arg, void **result)
{
    (void)result;
    struct conn *c = arg;
    struct server *srv = c->srv;
    const struct config *cfg = srv->cfg;
    struct ledger *lg = &srv->ledger;
    log_event(srv, false, "client %ld: from port %d, waited %.3f s for a worker", c->id,
              c->peer_port, now_s() - c->accepted_at);
    double hold_end = now_s() + cfg->max_hold;
    struct http_conn *hc = xmalloc(sizeof *hc);
    struct http_request *req = xmalloc(sizeof *req);
    *hc = (struct http_conn){ .fd = c->fd, .stop_fd = srv->stop_pipe[0] };
    long answered = 0, bad = 0;
    const char *why = NULL;
    int status = 0;          /* the error answer to send before hanging up, if any */
    while (!why) {
        enum http_read got = http_read_request(hc, req, now_s() + cfg->idle_timeout);
        if (got == HTTP_READ_OK && hc->stopping) {
            why = "server shutting down";         /* arrived too late: not served */
            status = 503;
        } else if (got == HTTP_READ_OK) {
            bool keep = req->keep_alive && now_s() < hold_end, sent = true;
            int s = answer(c, req, keep, &sent);
            answered += s == 200;
            bad += s != 200;
            if (!sent) {
                why = "not reading its answers";  /* a last word would time out as well */
                ledger_count(lg, &lg->unread);
            } else if (s != 200) {
                why = "after an error answer";
            } else if (!keep && req->keep_alive) {
                why = "held its worker for --max-hold";  /* polite, but long: not bad */
                ledger_count(lg, &lg->cut);
            } else if (!keep) {
                why = "the client asked to close";
            }
        } else if (got == HTTP_READ_TIMEOUT && hc->len == 0 && now_s() >= hold_end) {
            why = "held its worker for --max-hold";
            ledger_count(lg, &lg->cut);
        } else if (got == HTTP_READ_TIMEOUT) {
            why = "idle timeout";
            status = 408;
        } else if (got == HTTP_READ_BAD) {
            char shown[60];
            log_event(srv, false, "client %ld: bad request (%s) -> %d", c->id,
                      escape_into(shown, sizeof shown, req->why, 50), req->error);
            why = "bad request";
            status = req->error;
        } else if (got == HTTP_READ_STOP) {
            why = "server shutting down";
            status = 503;
        } else {
            why = got == HTTP_READ_CLOSED ? "hung up" : got == HTTP_READ_HUNG_UP
                                                          ? "hung up mid-request"
                                                          : "socket error";
        }
    }
    if (status) {
        char body[64];
        snprintf(body, sizeof body, "%d %s\n", status, http_reason(status));
        reply(c->fd, status, false, false, NULL, NULL, body);
        if (status != 503) {
            bad++;
            ledger_count(lg, &lg->bad);
        }
    }
    net_hang_up(c->fd, fmin(LINGER_S, cfg->idle_timeout));
    log_event(srv, false, "client %ld: closed (%s) after %ld answered, %ld bad", c->id, why,
              answered, bad);
    ledger_count(lg, &lg->closed);
    free(req);
    free(hc);
    free(c);
    return 0;
}

/* main only: take one waiting connection and hand it to the pool. */
static void accept_client(struct server *srv)
{
    int peer_port;
    int fd = net_accept(srv->listen_fd, &peer_port);
    if (fd < 0) {
        if (errno == EMFILE || errno == ENFILE) {
            /* Out of file descriptors: the connection stays in the kernel's backlog until a
             * worker closes one. Back off instead of spinning on a socket that stays ready. */
            fprintf(stderr, "%s: accept: %s; waiting a moment\n", prog_name, strerror(errno));
            nap(0.05);
            return;
        }
        if (errno == EAGAIN)
            return;                         /* the client gave up before we got to it */
        die_errno("accept");
    }
    net_set_send_timeout(fd, srv->cfg->idle_timeout);  /* reads are polled, sends timed */
    srv->accepted++;
    struct conn *c = xmalloc(sizeof *c);
    *c = (struct conn){ .srv = srv, .fd = fd, .peer_port = peer_port,
                        .id = srv->accepted, .accepted_at = now_s() };
    int rc = tp_try_submit(srv->pool, serve_client, c, NULL);  /* never blocks main */
    if (rc == TP_EFULL) {
        srv->busy++;
        reply(fd, 503, false, false, NULL, NULL, "503 busy: every worker and queue slot taken\n");
        net_hang_up(fd, 0);
        free(c);
        ledger_count(&srv->ledger, &srv->ledger.closed);
    } else if (rc != TP_OK) {
        die("tp_try_submit: %s", tp_strerror(rc));
    }
}

/* The accept loop: returns what stopped it. No busy waiting: poll sleeps until a client
 * knocks, a signal's byte arrives in the pipe, or the time limit. */
static const char *serve_until_stopped(struct server *srv)
{
    double end = srv->started + srv->cfg->max_seconds;
    for (;;) {
        double left = end - now_s();
        if (left <= 0)
            return "the time limit (--max-seconds)";
        struct pollfd fds[2] = { { .fd = srv->listen_fd, .events = POLLIN },
                                 { .fd = srv->signal_fd, .events = POLLIN } };
        if (poll(fds, 2, (int)ceil(left * 1000.0)) < 0) {
            if (errno == EINTR)
                continue;                   /* a signal interrupted poll: its byte waits */
            die_errno("poll");
        }
        int signo;
        if ((fds[1].revents & POLLIN) && (signo = stop_pipe_take()) != 0)
            return stop_pipe_name(signo);
        if (fds[0].revents & POLLIN)
            accept_client(srv);
    }
}

static FILE *open_log(const char *path)
{
    if (strcmp(path, "-") == 0)
        return stdout;
    FILE *f = fopen(path, "w");
    if (!f)
        die("cannot write the log %s: %s", path, strerror(errno));
    return f;
}

/* Listen, start the logger and the pool with SIGINT/SIGTERM blocked, then unblock them
 * in main. */
static void server_start(struct server *srv, const struct config *cfg, const char *log_path,
                         const char *ledger_path)
{
    *srv = (struct server){ .cfg = cfg, .started = now_s(), .signal_fd = stop_pipe_install() };
    srv->listen_fd = net_listen(cfg->port, &srv->port);
    if (srv->listen_fd < 0)
        die("cannot listen on 127.0.0.1:%d: %s", cfg->port, strerror(errno));
    if (pipe(srv->stop_pipe) != 0)
        die_errno("pipe");
    struct ledger *lg = &srv->ledger;
    PT_CHECK(pthread_mutex_init(&lg->lock, NULL));
    lg->fd = open(ledger_path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
    if (lg->fd < 0)
        die("cannot write the ledger %s: %s", ledger_path, strerror(errno));
    srv->log = open_log(log_path);
    bq_init(&srv->log_queue, LOG_SLOTS, sizeof(struct log_record), 0);

    sigset_t old;
    stop_pipe_block(&old);
    PT_CHECK(pthread_create(&srv->logger, NULL, logger_main, srv));
    int rc = tp_create(&srv->pool, &(tp_options){ .workers = cfg->workers,
                                                  .queue_capacity = (size_t)cfg->waiting,
                                                  .name_prefix = "srv" });
    if (rc != TP_OK)
        die("tp_create (%d workers): %s", cfg->workers, tp_strerror(rc));
    stop_pipe_unblock(&old);
}

/* The clean shutdown, step by step (see the header). */
static void server_stop(struct server *srv)
{
    close(srv->listen_fd);               /* 1. new clients are refused from now on */
    close(srv->stop_pipe[1]);            /* 2. workers: answer what has arrived, BYE */
    int rc = tp_destroy(srv->pool);      /* 3. queued clients too; every worker joined */
    if (rc != TP_OK)
        die("tp_destroy: %s", tp_strerror(rc));
    bq_close(&srv->log_queue);           /* 4. the logger writes what is left, then ends */
    PT_CHECK(pthread_join(srv->logger, NULL));
    close(srv->stop_pipe[0]);
    close(srv->ledger.fd);
    if (srv->log != stdout && fclose(srv->log) != 0)
        die_errno("fclose (log)");
}

static void server_free(struct server *srv)
{
    bq_destroy(&srv->log_queue);
    PT_CHECK(pthread_mutex_destroy(&srv->ledger.lock));
}

/* After server_stop: what the server did, and whether its books agree. */
struct server_verdict {
    long accepted, answered, logged, ledger_lines, bad;
    bool adds_up;            /* each ledger line's total = the one before + its add */
    long long counter;
    bool ok;
};

static struct server_verdict server_report(struct server *srv, const char *stopped_by,
                                           const char *ledger_path)
{
    const struct ledger *lg = &srv->ledger;  /* every thread is joined: no lock needed */
    struct ledger_check ck = check_ledger(ledger_path, lg->counter);
    bq_stats qs;
    bq_get_stats(&srv->log_queue, &qs);
    printf("server: stopped by %s after %.3f s; %ld connections (%ld turned away busy), "
           "%ld requests answered, %ld bad; counter %lld\n", stopped_by,
           now_s() - srv->started, srv->accepted, srv->busy, lg->answered, lg->bad,
           lg->counter);
    if (lg->cut || lg->unread)
        printf("server: %ld clients held a worker for --max-hold (cut off there), %ld did "
               "not read their answers (hung up on)\n", lg->cut, lg->unread);
    printf("log: %ld lines, %ld of them answers; queue of %ld, deepest %ld, workers waited "
           "for room %ld times, %ld lines dropped\n", srv->log_lines, srv->logged,
           qs.capacity, qs.deepest, qs.waits_for_room, lg->log_dropped);
    printf("ledger: %ld lines; each total is the one before plus its add, the last is the "
           "counter: %s\n", ck.lines, ck.adds_up ? "yes" : "NO");
    if (lg->closed != srv->accepted)
        printf("server: %ld connections accepted but %ld closed\n", srv->accepted, lg->closed);
    return (struct server_verdict){
        .accepted = srv->accepted, .answered = lg->answered, .logged = srv->logged,
        .ledger_lines = ck.lines, .adds_up = ck.adds_up, .bad = lg->bad, .counter = lg->counter,
        .ok = srv->logged == lg->answered && ck.lines == lg->answered && ck.adds_up &&
              lg->closed == srv->accepted && lg->log_dropped == 0 && lg->write_errors == 0,
    };
}

/* ---- the client: the counter load (http_client.h), told what this server is -------- */

/* What the server says of itself (GET /stats), checked: only values our own options
 * allow. False (and why, printed) if there is no such answer. */
static bool ask_stats(int port, double timeout, int *workers, double *idle, double *hold)
{
    char text[200], shown[120];
    int status = http_fetch_text(port, "/stats", timeout, text, sizeof text);
    long long counter;
    long answered;
    bool ok = status == 200 &&
              sscanf(text, "counter=%lld answered=%ld workers=%d idle_timeout=%lf max_hold=%lf",
                     &counter, &answered, workers, idle, hold) == 5 &&
              *workers >= 1 && *workers <= MAX_WORKERS && *idle >= 0.01 && *idle <= 600 &&
              *hold >= 0.1 && *hold <= 3600;
    if (status && !ok)
        printf("client: GET /stats: an answer out of range \"%s\"\n",
               escape_into(shown, sizeof shown, text, 80));
    return ok;
}

static struct counter_load load_of(const struct config *cfg, int port, double idle,
                                   double hold)
{
    return (struct counter_load){ .port = port, .clients = cfg->clients,
                                  .requests = cfg->requests, .bad = cfg->bad,
                                  .slow = cfg->slow, .timeout = cfg->timeout,
                                  .idle_timeout = idle, .max_hold = hold,
                                  .wait_for = "a worker" };
}

static bool client_report(const struct counter_run *run, const struct counter_load *load,
                          int workers)
{
    const struct http_load_result *r = &run->res;
    printf("client: %ld answers of %ld requests; %s; the largest total %lld\n", r->answered,
           load->clients * load->requests, run->duplicates
               ? "SOME TOTALS REPEAT (an update was lost)"
               : "every total different (no update lost)", run->largest);
    bool ok = counter_load_report(run, load);
    printf("THROUGHPUT workers=%d clients=%ld requests=%ld seconds=%.3f rps=%.0f\n",
           workers, load->clients, r->answered, r->seconds,
           r->seconds > 0 ? (double)r->answered / r->seconds : 0.0);
    return ok;
}

/* ---- the three modes ---------------------------------------------------------------- */

/* Default files go in a directory of their own, removed at the end, also when the program
 * dies on an error (exit runs the atexit handler; a watchdog's _exit leaves it, say so). */
struct scratch {
    char dir[256], log[300], ledger[300];
    bool made;
};

static void scratch_remove(struct scratch *s)
{
    if (!s->made)
        return;
    unlink(s->log);
    unlink(s->ledger);
    rmdir(s->dir);
    s->made = false;
}

static struct scratch *scratch_at_exit;

static void scratch_remove_at_exit(void)
{
    scratch_remove(scratch_at_exit);
}

static void scratch_make(struct scratch *s)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(s->dir, sizeof s->dir, "%s/20_server-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(s->dir))
        die("mkdtemp %s: %s", s->dir, strerror(errno));
    snprintf(s->log, sizeof s->log, "%s/log", s->dir);
    snprintf(s->ledger, sizeof s->ledger, "%s/ledger", s->dir);
    s->made = true;
    scratch_at_exit = s; /* one per run: the mode's, which is static */
    atexit(scratch_remove_at_exit);
}

static int run_server(const struct config *cfg)
{
    static struct scratch tmp; /* static: the atexit handler may read it after we return */
    if (!cfg->ledger_path)
        scratch_make(&tmp);
    const char *log_path = cfg->log_path ? cfg->log_path : "-";
    const char *ledger_path = cfg->ledger_path ? cfg->ledger_path : tmp.ledger;
    struct server srv;
    server_start(&srv, cfg, log_path, ledger_path);
    printf("LISTENING port=%d\n", srv.port);
    printf("server: pid %ld, %d workers on 127.0.0.1:%d; stop it with Ctrl-C or kill -TERM "
           "(or it stops after %g s)\n", (long)getpid(), cfg->workers, srv.port,
           cfg->max_seconds);
    const char *stopped_by = serve_until_stopped(&srv);
    printf("server: %s: no new clients; finishing the ones in flight\n", stopped_by);
    server_stop(&srv);
    struct server_verdict v = server_report(&srv, stopped_by, ledger_path);
    server_free(&srv);
    scratch_remove(&tmp);
    return verdict(v.ok, "accepted=%ld answered=%ld logged=%ld ledger=%ld adds_up=%s bad=%ld "
                   "counter=%lld", v.accepted, v.answered, v.logged, v.ledger_lines,
                   v.adds_up ? "yes" : "no", v.bad, v.counter);
}

static int run_client(const struct config *cfg)
{
    printf("client: %ld clients x %ld requests; bad clients: %ld of each kind; all at once, "
           "against http://127.0.0.1:%d/\n", cfg->clients, cfg->requests, cfg->bad, cfg->port);
    int workers = 0;
    double idle = 0, hold = 0;
    struct counter_run run = { .res.bad_sent = 3 * cfg->bad };  /* if none of them runs */
    bool asked = ask_stats(cfg->port, cfg->timeout, &workers, &idle, &hold);
    struct counter_load load = load_of(cfg, cfg->port, idle, hold);
    if (asked)
        counter_load_run(&load, &run);
    bool ok = client_report(&run, &load, workers) && workers > 0;
    const struct http_load_result *r = &run.res;
    return verdict(ok, "sent=%ld answered=%ld bad_sent=%ld rejected=%ld bad_answers=%ld",
                   r->sent, r->answered, r->bad_sent, r->rejected, r->wrong);
}

/* The demo's log is a file nobody will open: show a taste of it, one line of each routine
 * kind (a client arrives, is answered, leaves) and every line about a bad client. */
static void show_log(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        die("cannot read the log %s: %s", path, strerror(errno));
    const char *routine[] = { ": from port ", " /add k=", ": closed (hung up)" };
    bool seen[3] = { false, false, false };
    char line[LOG_TEXT + 16];
    int shown = 0;
    printf("from the log (one routine line of each kind, and the bad clients):\n");
    while (fgets(line, sizeof line, f) && shown < 12) {
        bool show = strstr(line, "bad request (") || strstr(line, "(idle timeout)");
        for (int i = 0; i < 3; i++)
            if (!seen[i] && strstr(line, routine[i]))
                show = seen[i] = true;
        if (show) {
            printf("  %s", line);
            shown++;
        }
    }
    fclose(f);
}

/* The demo's client thread: runs every client, then ends the server like `kill` would. */
struct demo_client {
    struct counter_load load;
    struct counter_run run;
};

static void *demo_client_main(void *arg)
{
    struct demo_client *dc = arg;
    counter_load_run(&dc->load, &dc->run);
    printf("demo: every client is done; kill(getpid(), SIGTERM), as a shell would\n");
    if (kill(getpid(), SIGTERM) != 0)     /* to the process: main is the one that takes it */
        die_errno("kill");
    return NULL;
}

static int run_demo(const struct config *cfg)
{
    static struct scratch tmp; /* static: the atexit handler may read it after we return */
    if (!cfg->log_path || !cfg->ledger_path)
        scratch_make(&tmp);
    const char *log_path = cfg->log_path ? cfg->log_path : tmp.log;
    const char *ledger_path = cfg->ledger_path ? cfg->ledger_path : tmp.ledger;
    struct server srv;
    server_start(&srv, cfg, log_path, ledger_path);
    printf("demo: server on http://127.0.0.1:%d/ with %d workers; %ld clients x %ld requests; "
           "bad clients: %ld of each kind (bare LF, oversized, silent)\n", srv.port, cfg->workers,
           cfg->clients, cfg->requests, cfg->bad);
    if (cfg->bad > 0)
        printf("demo: the silent client makes the demo wait out the idle timeout (%g s)\n",
               cfg->idle_timeout);

    struct demo_client dc = { .load = load_of(cfg, srv.port, cfg->idle_timeout,
                                              cfg->max_hold) };
    pthread_t client;
    sigset_t old;
    stop_pipe_block(&old);                /* the client thread (and its pool) never take them */
    PT_CHECK(pthread_create(&client, NULL, demo_client_main, &dc));
    stop_pipe_unblock(&old);

    const char *stopped_by = serve_until_stopped(&srv);
    printf("server: %s: no new clients; finishing the ones in flight\n", stopped_by);
    server_stop(&srv);
    PT_CHECK(pthread_join(client, NULL));

    struct server_verdict v = server_report(&srv, stopped_by, ledger_path);
    if (strcmp(log_path, "-") != 0)
        show_log(log_path);
    if (cfg->log_path && strcmp(cfg->log_path, "-") != 0)
        printf("log: all of it is in %s\n", cfg->log_path);
    bool client_ok = client_report(&dc.run, &dc.load, cfg->workers);
    const struct http_load_result *r = &dc.run.res;
    /* The server started at 0 and served nobody else: its counter must be the sum of
     * every k this client had answered, and the largest total it told anyone. */
    bool ok = client_ok && v.ok && v.answered == r->answered + r->slow_answered &&
              v.counter == dc.run.sum && dc.run.largest == v.counter;
    int status = verdict(ok, "sent=%ld answered=%ld logged=%ld ledger=%ld adds_up=%s "
                         "bad_sent=%ld rejected=%ld bad_answers=%ld counter=%lld expected=%lld",
                         r->sent, r->answered, v.logged, v.ledger_lines,
                         v.adds_up ? "yes" : "no", r->bad_sent, r->rejected, r->wrong,
                         v.counter, dc.run.sum);
    server_free(&srv);
    scratch_remove(&tmp);
    return status;
}

/* ---- main: parse, then one of the three modes --------------------------------------- */

enum { FOR_DEMO = 1 << MODE_DEMO, FOR_SERVER = 1 << MODE_SERVER, FOR_CLIENT = 1 << MODE_CLIENT };

int main(int argc, char **argv)
{
    cli_setup(argv[0], usage);
    QUIZ(quiz);
    struct config cfg = { .mode = MODE_DEMO, .workers = 8, .clients = 200, .requests = 3,
                          .bad = 1, .idle_timeout = 2, .max_hold = 10, .max_seconds = 300,
                          .timeout = 10 };

    static const struct option opts[] = {
        { "mode", required_argument, NULL, 'm' },
        { "port", required_argument, NULL, 'p' },
        { "workers", required_argument, NULL, 'w' },
        { "clients", required_argument, NULL, 'c' },
        { "requests", required_argument, NULL, 'r' },
        { "bad", required_argument, NULL, 'b' },
        { "slow", required_argument, NULL, 's' },
        { "idle-timeout", required_argument, NULL, 'i' },
        { "max-hold", required_argument, NULL, 'H' },
        { "max-seconds", required_argument, NULL, 'x' },
        { "timeout", required_argument, NULL, 't' },
        { "log-file", required_argument, NULL, 'L' },
        { "ledger-file", required_argument, NULL, 'F' },
        CLI_QUIZ, CLI_HELP, CLI_END,
    };
    /* Which modes each option above means something in (a stray one is a usage error). */
    static const int applies[] = {
        FOR_DEMO | FOR_SERVER | FOR_CLIENT, FOR_DEMO | FOR_SERVER | FOR_CLIENT,
        FOR_DEMO | FOR_SERVER, FOR_DEMO | FOR_CLIENT, FOR_DEMO | FOR_CLIENT,
        FOR_DEMO | FOR_CLIENT, FOR_DEMO | FOR_CLIENT, FOR_DEMO | FOR_SERVER,
        FOR_DEMO | FOR_SERVER, FOR_DEMO | FOR_SERVER,
        FOR_DEMO | FOR_CLIENT, FOR_DEMO | FOR_SERVER, FOR_DEMO | FOR_SERVER,
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
        case 'w': cfg.workers = (int)parse_long("--workers", optarg, 1, MAX_WORKERS); break;
        case 'c': cfg.clients = parse_long("--clients", optarg, 1, 500); break;
        case 'r': cfg.requests = parse_long("--requests", optarg, 1, 10000); break;
        case 'b': cfg.bad = parse_long("--bad", optarg, 0, 50); break;
        case 's': cfg.slow = parse_long("--slow", optarg, 0, 50); break;
        case 'i': cfg.idle_timeout = parse_double("--idle-timeout", optarg, 0.01, 600); break;
        case 'H': cfg.max_hold = parse_double("--max-hold", optarg, 0.1, 3600); break;
        case 'x': cfg.max_seconds = parse_double("--max-seconds", optarg, 0.1, 86400); break;
        case 't': cfg.timeout = parse_double("--timeout", optarg, 0.01, 600); break;
        case 'L': cfg.log_path = optarg; break;
        case 'F': cfg.ledger_path = optarg; break;
        }
    }
    for (int i = 0; opts[i].name; i++)
        if ((given >> i & 1) && !(applies[i] & 1 << cfg.mode))
            usage_error("--%s does not apply to --mode %s", opts[i].name,
                        mode_names[cfg.mode]);
    if (cfg.mode == MODE_CLIENT && cfg.port == 0)
        usage_error("--mode client needs --port P (the server's LISTENING line says it)");
    /* The ledger is read back after every run, the demo's log too: regular files only (a
     * server's log may go anywhere, /dev/null included), and not one file. */
    if (cfg.mode == MODE_DEMO && cfg.log_path && strcmp(cfg.log_path, "-") != 0)
        require_regular_file("--log-file", cfg.log_path);
    if (cfg.ledger_path && strcmp(cfg.ledger_path, "-") == 0)
        usage_error("--ledger-file: - would be stdout, which cannot be read back");
    if (cfg.ledger_path)
        require_regular_file("--ledger-file", cfg.ledger_path);
    if (cfg.log_path && !*cfg.log_path)
        usage_error("--log-file: needs a file name");
    if (cfg.log_path && cfg.ledger_path && same_file(cfg.log_path, cfg.ledger_path))
        usage_error("--log-file and --ledger-file name the same file");

    /* Each connection is a file descriptor on each side (the demo's clients are ours too):
     * make room beyond the usual 1024. A server holds its workers' clients and up to
     * MAX_WAITING more; under a lower hard limit it lets fewer wait (more get 503) rather
     * than run out of descriptors in the middle of a flood. */
    cfg.waiting = MAX_WAITING;
    long connections = cfg.mode == MODE_SERVER ? cfg.workers + cfg.waiting
                                               : cfg.clients + 3 * cfg.bad + cfg.slow;
    long sides = cfg.mode == MODE_SERVER ? 1 : 2;
    long files = sides * connections + 64;
    unsigned long hard;
    if (!net_room_for_files(files, &hard)) {
        if (cfg.mode != MODE_SERVER || (long)hard < cfg.workers + 64 + 16)
            die("this needs %ld open files, and the hard limit is %lu: use fewer %s", files,
                hard, cfg.mode == MODE_SERVER ? "--workers" : "--clients");
        cfg.waiting = (long)hard - 64 - cfg.workers;
        if (!net_room_for_files((long)hard, &hard))
            die("cannot raise the open-files limit to %lu", hard);
        printf("server: the open-files limit is %lu: at most %ld clients wait for a worker; "
               "more get 503\n", hard, cfg.waiting);
    }
    if (cfg.mode == MODE_SERVER)
        return run_server(&cfg);
    if (cfg.mode == MODE_CLIENT)
        return run_client(&cfg);
    return run_demo(&cfg);
}
