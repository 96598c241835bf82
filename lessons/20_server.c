/*
 * 20_server: the capstone. A small TCP server on 127.0.0.1 built from the earlier lessons:
 * each client is served by a pool worker (lesson 11), log lines go to a logger thread
 * through lesson 10's bounded queue, one mutex keeps a counter and a file in step (lesson
 * 03), and SIGINT/SIGTERM shut it down cleanly: stop accepting, finish what is in flight,
 * drain the log, join everything, then judge.
 *
 *   make && ./build/20_server                     # demo: server + 200 clients + 3 bad ones
 *   ./build/20_server --mode server --port 7000   # then, in another terminal:
 *   ./build/20_server --mode client --port 7000 --clients 50      # and Ctrl-C the server
 *   ./build/20_server --workers 1 --bad 0 --requests 20           # one worker for everyone
 *   ./build/20_server --log-file -                                # watch the logger at work
 *   ./build/20_server --workers 2 --slow 4 --max-hold 1 --bad 0   # what slow clients cost
 *
 * The protocol, one line each way (try it: nc 127.0.0.1 7000):
 *   server, when a worker takes the client:  HELLO 20_server workers=8 max_line=64 idle_timeout=2
 *                                            max_hold=10   (all on one line)
 *   client: ADD k      (k from 1 to 1000000)  server: OK k total=T   (T: the counter after it)
 *   client: anything else                      server: ERR bad request   (the client may go on)
 *   a line longer than --max-line              server: ERR too long, and hangs up
 *   no whole line within --idle-timeout        server: ERR idle timeout, and hangs up
 *   the client held its worker --max-hold      server: BYE time limit, and hangs up
 *   the client does not read its answers       server: hangs up when an answer times out
 *   the server is shutting down                server: BYE server shutting down, hangs up
 *
 * How it fits together. main runs the accept loop: poll() on the listening socket and on a
 * self-pipe, with no timeout but --max-seconds. The signal handler only writes the signal's
 * number into that pipe (write is async-signal-safe; printf and locks are not), so the
 * signal becomes an ordinary event in main's loop. main blocks SIGINT and SIGTERM while it
 * creates the other threads, which inherit that mask, so only main ever runs the handler.
 * Each accepted connection is a task for the pool; its worker reads lines with poll() on the
 * socket and on a stop pipe, whose hang-up tells every worker at once that the server is
 * shutting down (net_read_line in net.c, with the rest of the socket plumbing this lesson
 * shares with lesson 12). Every answer updates the counter and appends to the shared file
 * in one critical section, then queues a log line for the logger.
 *
 * Shutdown, in order: close the listening socket (new clients are refused); close the stop
 * pipe (each worker answers what has already arrived, says BYE, hangs up); close the pool
 * and join it (connections still queued get the same treatment); close the log queue and
 * join the logger (it writes what is left first); read the shared file back; the verdict.
 *
 * The demo runs the client in a thread of the same process and ends the server with
 * kill(getpid(), SIGTERM), the very path a `kill` from a shell takes. The client fires
 * --clients connections at once, each with --requests ADDs, plus --bad clients of each bad
 * kind: one sends garbage, one an oversized line, one says nothing (it waits out the idle
 * timeout: that is the pause in the demo).
 *
 * Notice: the silent client holds one worker, not the server: the others keep answering.
 * With --workers 1, whoever queues behind it (if anyone does) waits out the idle timeout.
 *
 * What W workers survive. A worker serves one client at a time, so the server is only as
 * available as its slowest W clients allow. Each wait is bounded: a request line must be
 * whole within --idle-timeout of the worker asking for it (a deadline for the line, not a
 * timer reset by each byte: a client trickling one byte a second is cut off all the same);
 * an answer the client does not read within --idle-timeout ends the connection; and no
 * client holds its worker longer than --max-hold, however polite. So a worker comes back
 * within --max-hold, plus two sends of at most --idle-timeout each (the answer in flight
 * and the last word) and the 0.5 s linger; a shutdown waits for no more than that.
 * What the bounds cannot buy: K clients that each hold a worker as long as allowed (a
 * polite one --max-hold, one that trickles a line --idle-timeout) keep a client queued
 * behind them waiting up to about ceil(K / W) times that. Fewer than W of
 * them leave the other workers to everyone else; W or more, renewing their connections,
 * starve everyone else. --slow K measures it: K clients that connect first and send a good
 * request every half idle timeout until cut off; the client reports how long the good
 * clients waited for a worker (2 workers, 4 slow clients, --max-hold 1: about 2 s). A
 * thread per connection cannot do better than this; an event loop, which holds an idle
 * connection as a few bytes of state instead of a whole thread, can.
 *
 * The counter and the file never disagree: each line of the file is the total after one
 * ADD, and each total is the one before plus its add (checked when the server stops). The
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
 * OK (exit 0) when the counts agree: every request sent was answered, every answer logged
 * and written to the shared file, the file adds up to the counter, every bad client got its
 * error, every connection was closed; FAIL (exit 1) otherwise, or on a system error.
 */
#include "bounded_queue.h"
#include "program.h"
#include "net.h"
#include "thread_pool.h"

#include <ctype.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage[] =
    "[--mode demo|server|client] [--port P] [--workers W] [--clients N] [--requests R]\n"
    "        [--bad K] [--slow K] [--idle-timeout S] [--max-hold S] [--max-line B]\n"
    "        [--max-seconds S] [--timeout S] [--log-file PATH] [--ledger-file PATH]\n"
    "  A small TCP server on 127.0.0.1 (only there, ever), its client, or both at once.\n"
    "  --mode          demo (default): the server and its clients in one process, then the\n"
    "                  shutdown a SIGTERM causes; server: serve until SIGINT or SIGTERM (or\n"
    "                  --max-seconds); client: test a running server\n"
    "  --port          server, demo: where to listen, 0..65535 (default 0: the OS picks one\n"
    "                  and the LISTENING line says which); client: the server's, 1..65535\n"
    "  --workers       server, demo: pool workers, each serving one client at a time,\n"
    "                  1..1024 (default 8)\n"
    "  --clients       client, demo: concurrent connections, 1..500 (default 200)\n"
    "  --requests      client, demo: ADD requests per connection, 1..10000 (default 3)\n"
    "  --bad           client, demo: bad clients of each kind (garbage, oversized, silent),\n"
    "                  0..50 (default 1)\n"
    "  --slow          client, demo: slow clients, 0..50 (default 0): each sends a good\n"
    "                  request every half idle timeout until --max-hold cuts it off\n"
    "  --idle-timeout  server, demo: longest wait for a whole request line, seconds,\n"
    "                  0.01..600 (default 2); also how long an answer may wait to be read\n"
    "  --max-hold      server, demo: longest one client may hold a worker, seconds,\n"
    "                  0.1..3600 (default 10; by hand with nc, try --idle-timeout 60\n"
    "                  --max-hold 600)\n"
    "  --max-line      server, demo: longest request line in bytes, newline included,\n"
    "                  16..4096 (default 64; the demo's garbage request is 15 bytes)\n"
    "  --max-seconds   server, demo: stop on one's own after this long, seconds,\n"
    "                  0.1..86400 (default 300)\n"
    "  --timeout       client, demo: longest wait to connect or for an answer, seconds,\n"
    "                  0.01..600 (default 10; a silent client adds the server's idle timeout)\n"
    "  --log-file      server, demo: where the logger writes, - for stdout (default: stdout\n"
    "                  for the server, a temporary file for the demo)\n"
    "  --ledger-file   server, demo: the shared file, one line per answered request\n"
    "                  (default: a temporary file, removed at the end)\n";

enum mode { MODE_DEMO, MODE_SERVER, MODE_CLIENT };
static const char *const mode_names[] = { "demo", "server", "client", NULL };

enum {
    MAX_LINE_LIMIT = NET_LINE_MAX, /* the largest --max-line (4096): what net.h reads */
    MIN_LINE_LIMIT = 16,           /* the smallest: the demo's "GET / HTTP/1.0" must fit */
    MAX_WORKERS = 1024,            /* the largest --workers */
    MAX_ADD = 1000000,             /* ADD k takes k from 1 to this */
    MAX_WAITING = 1024,            /* accepted clients waiting for a worker; more: ERR busy */
    LOG_SLOTS = 64,                /* the log queue's capacity */
    LOG_TEXT = 200,                /* one log line, at most */
};
static const double LOG_PUT_TIMEOUT_S = 10; /* a logger this far behind is broken: drop */
static const double LINGER_S = 0.5;         /* at most this long discarding unread input */

/* Fixed in main before any thread starts, read-only afterwards: no lock needed. */
struct config {
    int mode, port, workers, max_line;
    long clients, requests, bad, slow;
    double idle_timeout, max_hold, max_seconds, timeout;
    const char *log_path;    /* NULL: the default for the mode */
    const char *ledger_path; /* NULL: a temporary file */
    long waiting;            /* accepted clients that may wait for a worker: MAX_WAITING, or
                              * fewer when the open-files limit cannot hold that many */
};

/* ---- signals: the handler writes one byte into a pipe; main's poll reads it --------- */

static int signal_pipe[2] = { -1, -1 };

static void on_signal(int signo)
{
    int saved = errno;                   /* the interrupted code may be looking at errno */
    unsigned char byte = (unsigned char)signo;
    ssize_t n = write(signal_pipe[1], &byte, 1);  /* non-blocking: a full pipe says enough */
    (void)n;
    errno = saved;
}

static void install_signal_handlers(void)
{
    if (pipe(signal_pipe) != 0)
        die_errno("pipe");
    net_set_blocking(signal_pipe[1], false);
    struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESTART };
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGINT, &sa, NULL) != 0 || sigaction(SIGTERM, &sa, NULL) != 0)
        die_errno("sigaction");
}

/* Threads inherit the signal mask of the thread that creates them: block SIGINT and
 * SIGTERM around pthread_create / tp_create and only main (which unblocks them again)
 * will ever be interrupted by them. */
static void stop_signals(int how, sigset_t *old)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    PT_CHECK(pthread_sigmask(how, &set, old));
}

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
    bool request;            /* an answered request (the verdict counts these) */
    char text[LOG_TEXT];
};

struct server {
    const struct config *cfg;
    int listen_fd, port;
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

/* "ADD k" with k from 1 to MAX_ADD, exactly: no sign, no spaces, nothing after. */
static bool parse_add(const char *line, long *k)
{
    if (strncmp(line, "ADD ", 4) != 0 || !isdigit((unsigned char)line[4]))
        return false;
    char *end;
    errno = 0;
    long v = strtol(line + 4, &end, 10);
    if (*end != '\0' || errno == ERANGE || v < 1 || v > MAX_ADD)
        return false;
    *k = v;
    return true;
}

/* A line that came from the network, fit to print: printable ASCII, at most 40 bytes. */
static const char *printable(const char *line, char out[48])
{
    size_t i = 0;
    for (; line[i] && i < 40; i++)
        out[i] = line[i] >= 32 && line[i] <= 126 && line[i] != '"' ? line[i] : '?';
    strcpy(out + i, line[i] ? "..." : "");
    return out;
}

/* One request line: true if it was a good one (answered), false if bad. *sent says whether
 * the answer went out; false: the client has not read its earlier answers for the whole
 * send timeout (or it is gone), and waiting on it any longer would hold the worker. */
static bool answer(struct conn *c, const char *line, bool *sent)
{
    struct server *srv = c->srv;
    long k;
    if (!parse_add(line, &k)) {
        char shown[48];
        ledger_count(&srv->ledger, &srv->ledger.bad);
        *sent = net_send_text(c->fd, "ERR bad request\n");
        log_event(srv, false, "client %ld: bad request \"%s\" -> ERR bad request", c->id,
                  printable(line, shown));
        return false;
    }
    long long total = ledger_add(&srv->ledger, k, c->id);
    *sent = net_send_text(c->fd, "OK %ld total=%lld\n", k, total);  /* answer, then log */
    log_event(srv, true, "client %ld: ADD %ld -> OK total=%lld", c->id, k, total);
    return true;
}

/* A pool task: serve one client from HELLO to hang-up. Every wait in here is bounded (each
 * line by the idle timeout and all of them by --max-hold, each answer by the send timeout,
 * the hang-up by the linger), so a worker always comes back: see "What W workers survive". */
static int serve_client(void *arg, void **result)
{
    (void)result;
    struct conn *c = arg;
    struct server *srv = c->srv;
    const struct config *cfg = srv->cfg;
    log_event(srv, false, "client %ld: from port %d, waited %.3f s for a worker", c->id,
              c->peer_port, now_s() - c->accepted_at);
    double hold_end = now_s() + cfg->max_hold;
    net_send_text(c->fd, "HELLO 20_server workers=%d max_line=%d idle_timeout=%g max_hold=%g\n",
                  cfg->workers, cfg->max_line, cfg->idle_timeout, cfg->max_hold);

    struct net_linebuf *lb = xmalloc(sizeof *lb);
    *lb = (struct net_linebuf){ .fd = c->fd, .stop_fd = srv->stop_pipe[0],
                                .limit = (size_t)cfg->max_line };
    char line[MAX_LINE_LIMIT + 1];
    long answered = 0, bad = 0;
    bool sent = true;
    int got = NET_LINE_OK;
    while (sent && (got = net_read_line(lb, line, sizeof line,
                                        fmin(now_s() + cfg->idle_timeout, hold_end))) ==
                       NET_LINE_OK) {
        if (answer(c, line, &sent))
            answered++;
        else
            bad++;
    }

    /* Why it ended, the last word to the client (if it still reads), and whether it is
     * counted as a bad client. */
    const char *why = "hung up", *last_word = NULL;
    bool counts_bad = false;
    long *also_count = NULL;
    if (!sent) {
        why = "not reading its answers";        /* a last word would time out as well */
        also_count = &srv->ledger.unread;
    } else if (got == NET_LINE_TIMEOUT && now_s() >= hold_end) {
        why = "held its worker for --max-hold"; /* polite, but long: not a bad client */
        last_word = "BYE time limit\n";
        also_count = &srv->ledger.cut;
    } else if (got == NET_LINE_TIMEOUT) {
        why = "idle timeout";
        last_word = "ERR idle timeout\n";
        counts_bad = true;
    } else if (got == NET_LINE_TOO_LONG) {
        why = "line too long";
        last_word = "ERR too long\n";
        counts_bad = true;
    } else if (got == NET_LINE_STOP) {
        why = "server shutting down";
        last_word = "BYE server shutting down\n";
    } else if (got == NET_LINE_ERROR) {
        why = "socket error";
    }
    if (last_word)
        net_send_text(c->fd, "%s", last_word);
    if (counts_bad) {
        bad++;
        ledger_count(&srv->ledger, &srv->ledger.bad);
    }
    if (also_count)
        ledger_count(&srv->ledger, also_count);
    net_hang_up(c->fd, fmin(LINGER_S, cfg->idle_timeout));
    log_event(srv, false, "client %ld: closed (%s) after %ld answered, %ld bad", c->id, why,
              answered, bad);
    ledger_count(&srv->ledger, &srv->ledger.closed);
    free(lb);
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
        net_send_text(fd, "ERR busy\n");
        close(fd);
        free(c);
        ledger_count(&srv->ledger, &srv->ledger.bad);
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
                                 { .fd = signal_pipe[0], .events = POLLIN } };
        if (poll(fds, 2, (int)ceil(left * 1000.0)) < 0) {
            if (errno == EINTR)
                continue;                   /* a signal interrupted poll: its byte waits */
            die_errno("poll");
        }
        if (fds[1].revents & POLLIN) {
            unsigned char signo = 0;
            if (read(signal_pipe[0], &signo, 1) != 1)
                die_errno("read (signal pipe)");
            return signo == SIGINT ? "SIGINT" : signo == SIGTERM ? "SIGTERM" : "a signal";
        }
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
    *srv = (struct server){ .cfg = cfg, .started = now_s() };
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
    stop_signals(SIG_BLOCK, &old);
    PT_CHECK(pthread_create(&srv->logger, NULL, logger_main, srv));
    int rc = tp_create(&srv->pool, &(tp_options){ .workers = cfg->workers,
                                                  .queue_capacity = (size_t)cfg->waiting,
                                                  .name_prefix = "srv" });
    if (rc != TP_OK)
        die("tp_create (%d workers): %s", cfg->workers, tp_strerror(rc));
    PT_CHECK(pthread_sigmask(SIG_SETMASK, &old, NULL));
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
        printf("server: %ld clients held a worker for --max-hold (BYE time limit), %ld did "
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

/* ---- the client: many connections at once, every answer checked -------------------- */

enum kind { GOOD, GARBAGE, OVERSIZED, SILENT, SLOW };
static const char *const kind_names[] = { "good", "garbage", "oversized", "silent", "slow" };
static const char *const expected_error[] = { "", "ERR bad request", "ERR too long",
                                              "ERR idle timeout", "BYE time limit" };

struct client {
    const struct config *cfg;
    int port, id;
    int fd;                  /* -1, or connected already (slow clients: first in line) */
    enum kind kind;
    /* Written only by the task that runs this client; main reads them after tp_map. */
    long sent, answered, wrong;
    long long sum;           /* of the k that were answered */
    long long *totals;       /* the totals it was told, one per answer (good clients) */
    long long largest;       /* the last total a slow client was told */
    bool rejected;           /* a bad client that got exactly its error */
    int workers;             /* from the server's HELLO */
    double max_hold;         /* from the HELLO too (0 if it did not say) */
    double waited;           /* connect to HELLO: the wait for a worker (-1: no HELLO) */
    double finished;
    char note[160];          /* what went wrong, if anything */
};

/* Connect and read the HELLO line; fills in what the server says about itself. */
static int open_session(struct client *cl, struct net_linebuf *lb, int *max_line, double *idle)
{
    double t0 = now_s();
    cl->waited = -1;
    int fd = cl->fd >= 0 ? cl->fd : net_connect(cl->port, cl->cfg->timeout);
    if (fd < 0) {
        snprintf(cl->note, sizeof cl->note, "connect: %s", strerror(errno));
        return -1;
    }
    net_set_send_timeout(fd, cl->cfg->timeout);
    *lb = (struct net_linebuf){ .fd = fd, .stop_fd = -1, .limit = 256 };
    char line[300];
    int got = net_read_line(lb, line, sizeof line, now_s() + cl->cfg->timeout);
    if (got != NET_LINE_OK ||
        sscanf(line, "HELLO 20_server workers=%d max_line=%d idle_timeout=%lf max_hold=%lf",
               &cl->workers, max_line, idle, &cl->max_hold) < 3) {
        snprintf(cl->note, sizeof cl->note, "no HELLO from the server (%s)",
                 got == NET_LINE_TIMEOUT ? "timed out"
                 : got == NET_LINE_OK    ? "another line"
                                         : "hung up");
        close(fd);
        return -1;
    }
    /* The greeting is the server's word, not ours: only values our own options allow. */
    if (cl->workers < 1 || cl->workers > MAX_WORKERS || *max_line < MIN_LINE_LIMIT ||
        *max_line > MAX_LINE_LIMIT || !(*idle >= 0.01 && *idle <= 600) ||
        !(cl->max_hold == 0 || (cl->max_hold >= 0.1 && cl->max_hold <= 3600))) {
        char shown[100];
        snprintf(cl->note, sizeof cl->note, "a HELLO out of range: \"%s\"",
                 escape_into(shown, sizeof shown, line, 60));
        close(fd);
        return -1;
    }
    cl->waited = now_s() - t0;
    return fd;
}

/* R requests, one at a time; each answer must be "OK k total=T" for our k, with T >= k. */
static void run_good(struct client *cl, struct net_linebuf *lb)
{
    char line[300];
    for (long r = 0; r < cl->cfg->requests; r++) {
        long k = 1 + (cl->id * 7919L + r * 104729L) % 1000;
        if (!net_send_text(lb->fd, "ADD %ld\n", k)) {
            snprintf(cl->note, sizeof cl->note, "send: %s", strerror(errno));
            return;
        }
        cl->sent++;
        int got = net_read_line(lb, line, sizeof line, now_s() + cl->cfg->timeout);
        long echoed;
        long long total;
        if (got == NET_LINE_OK && sscanf(line, "OK %ld total=%lld", &echoed, &total) == 2 &&
            echoed == k && total >= k) {
            cl->totals[cl->answered++] = total;
            cl->sum += k;
        } else if (got == NET_LINE_OK && strncmp(line, "BYE", 3) == 0) {
            snprintf(cl->note, sizeof cl->note, "the server said BYE after %ld answers",
                     cl->answered);
            return;
        } else {
            cl->wrong++;
            char shown[100];
            snprintf(cl->note, sizeof cl->note, "request %ld (ADD %ld): %s \"%s\"", r + 1, k,
                     got == NET_LINE_OK ? "wrong answer" : "no answer",
                     escape_into(shown, sizeof shown, got == NET_LINE_OK ? line : "", 60));
            return;
        }
    }
}

/* A slow client: a good request every half idle timeout, answers read, for as long as the
 * server lets it keep its worker. It must end with BYE time limit, within --max-hold (and
 * the wait for an answer) of its HELLO. */
static void run_slow(struct client *cl, struct net_linebuf *lb, double idle)
{
    char line[300] = "";
    int got = NET_LINE_ERROR;
    double give_up = now_s() + cl->max_hold + cl->cfg->timeout;
    if (cl->max_hold == 0) {
        snprintf(cl->note, sizeof cl->note, "the server's HELLO names no max_hold");
        cl->wrong++;
        return;
    }
    while (now_s() < give_up && net_send_text(lb->fd, "ADD 1\n")) {
        cl->sent++;
        got = net_read_line(lb, line, sizeof line, now_s() + cl->cfg->timeout);
        long long total;
        if (got != NET_LINE_OK || sscanf(line, "OK 1 total=%lld", &total) != 1)
            break;
        cl->answered++;
        cl->sum++;
        cl->largest = total;
        got = net_read_line(lb, line, sizeof line, now_s() + idle / 2);  /* a pause, or BYE */
        if (got != NET_LINE_TIMEOUT)
            break;
    }
    cl->rejected = got == NET_LINE_OK && strcmp(line, expected_error[SLOW]) == 0;
    if (!cl->rejected) {
        cl->wrong++;
        char shown[100];
        snprintf(cl->note, sizeof cl->note, "expected \"%s\" within max_hold=%g, got %s\"%s\"",
                 expected_error[SLOW], cl->max_hold, got == NET_LINE_OK ? "" : "nothing ",
                 escape_into(shown, sizeof shown, got == NET_LINE_OK ? line : "", 60));
    }
}

/* One bad request; the answer must be exactly the error for it. */
static void run_bad(struct client *cl, struct net_linebuf *lb, int max_line, double idle)
{
    double wait = cl->cfg->timeout;
    bool sent = true;
    if (cl->kind == GARBAGE) {
        sent = net_send_text(lb->fd, "GET / HTTP/1.0\n");   /* a web browser, lost */
    } else if (cl->kind == OVERSIZED) {
        size_t n = 2 * (size_t)max_line;
        char *big = xmalloc(n + 1);
        memset(big, 'x', n);
        big[n] = '\n';
        sent = net_send_all(lb->fd, big, n + 1);
        free(big);
    } else {
        wait += idle;                                   /* SILENT: say nothing, wait */
    }
    char line[300] = "";
    int got = sent ? net_read_line(lb, line, sizeof line, now_s() + wait) : NET_LINE_ERROR;
    cl->rejected = got == NET_LINE_OK && strcmp(line, expected_error[cl->kind]) == 0;
    if (!cl->rejected) {
        cl->wrong++;
        char shown[100];
        snprintf(cl->note, sizeof cl->note, "expected \"%s\", got %s\"%s\"",
                 expected_error[cl->kind], got == NET_LINE_OK ? "" : "nothing ",
                 escape_into(shown, sizeof shown, line, 60));
    }
}

static int client_task(void *arg, void **result)
{
    (void)result;
    struct client *cl = arg;
    struct net_linebuf *lb = xmalloc(sizeof *lb);
    int max_line = 0;
    double idle = 0;
    int fd = open_session(cl, lb, &max_line, &idle);
    if (fd >= 0) {
        if (cl->kind == GOOD)
            run_good(cl, lb);
        else if (cl->kind == SLOW)
            run_slow(cl, lb, idle);
        else
            run_bad(cl, lb, max_line, idle);
        close(fd);
    }
    cl->finished = now_s();
    free(lb);
    return 0;
}

struct client_run {
    long clients;            /* good + bad + slow */
    struct client *list;
    long long *totals;       /* every good client's slice, requests each */
    long sent, answered, bad_sent, rejected, bad_answers, duplicates;
    long slow_answered, slow_cut;     /* the slow clients' answers; how many got BYE */
    long long sum, largest;  /* over every answer, the slow clients' too */
    int workers;
    double seconds;          /* from the start to the last good client's end */
    long greeted;            /* good clients that got a HELLO */
    double wait_median, wait_max;     /* their wait for a worker, seconds */
};

static int by_value(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return (x > y) - (x < y);
}

/* Every connection is a task and the pool has a worker for each: they all run at once. */
static void client_run(struct client_run *run, const struct config *cfg, int port)
{
    long goods = cfg->clients, bads = 3 * cfg->bad, n = goods + bads + cfg->slow;
    *run = (struct client_run){ .clients = n, .list = xcalloc((size_t)n, sizeof *run->list),
                                .totals = xcalloc((size_t)(goods * cfg->requests),
                                                  sizeof *run->totals) };
    void **args = xcalloc((size_t)n, sizeof *args);
    for (long i = 0; i < n; i++) {
        enum kind kind = i < goods          ? GOOD
                         : i < goods + bads ? (enum kind)(1 + (i - goods) % 3)
                                            : SLOW;
        run->list[i] = (struct client){ .cfg = cfg, .port = port, .id = (int)i, .fd = -1,
                                        .kind = kind,
                                        .totals = run->totals + (i < goods ? i : 0) *
                                                                    cfg->requests };
        args[i] = &run->list[i];
    }
    /* The slow clients connect first, here, one by one: the server takes clients in the
     * order they connected, so they hold workers before anyone else asks. */
    for (long i = goods + bads; i < n; i++)
        run->list[i].fd = net_connect(port, cfg->timeout);
    tp_pool *pool;
    int rc = tp_create(&pool, &(tp_options){ .workers = (int)n, .name_prefix = "client" });
    if (rc != TP_OK)
        die("tp_create (%ld client threads): %s", n, tp_strerror(rc));
    double t0 = now_s(), last = t0;
    rc = tp_map(pool, client_task, args, (size_t)n, 1, NULL, NULL);
    if (rc != TP_OK)
        die("tp_map: %s", tp_strerror(rc));
    if ((rc = tp_destroy(pool)) != TP_OK)
        die("tp_destroy: %s", tp_strerror(rc));

    long notes = 0;
    double *waits = xcalloc((size_t)goods, sizeof *waits);
    long long slow_largest = 0;
    for (long i = 0; i < n; i++) {
        const struct client *cl = &run->list[i];
        if (cl->kind == GOOD) {
            run->sent += cl->sent;
            run->answered += cl->answered;
            run->sum += cl->sum;
            last = fmax(last, cl->finished);
            if (cl->waited >= 0) {
                waits[run->greeted++] = cl->waited;
                run->wait_max = fmax(run->wait_max, cl->waited);
            }
        } else if (cl->kind == SLOW) {
            run->slow_answered += cl->answered;
            run->slow_cut += cl->rejected;
            run->sum += cl->sum;
            slow_largest = cl->largest > slow_largest ? cl->largest : slow_largest;
        } else {
            run->bad_sent++;
            run->rejected += cl->rejected;
        }
        run->bad_answers += cl->wrong;
        run->workers = cl->workers ? cl->workers : run->workers;
        if (cl->note[0] && notes++ < 10)
            printf("client %d (%s): %s\n", cl->id, kind_names[cl->kind], cl->note);
    }
    run->seconds = last - t0;
    /* Every ADD makes the counter grow, so no two answers may carry the same total. The
     * answered ones fill the front of each client's slice; the rest stay 0. */
    qsort(run->totals, (size_t)(goods * cfg->requests), sizeof *run->totals, by_value);
    for (long i = 1; i < goods * cfg->requests; i++)
        if (run->totals[i] != 0 && run->totals[i] == run->totals[i - 1])
            run->duplicates++;
    run->largest = goods * cfg->requests > 0 ? run->totals[goods * cfg->requests - 1] : 0;
    run->largest = slow_largest > run->largest ? slow_largest : run->largest;
    run->bad_answers += run->duplicates;
    run->wait_median = run->greeted > 0 ? median(waits, run->greeted) : NAN;
    free(waits);
    free(args);
}

static void client_free(struct client_run *run)
{
    free(run->list);
    free(run->totals);
}

static bool client_report(const struct client_run *run, const struct config *cfg)
{
    long expected = cfg->clients * cfg->requests;
    printf("client: %ld answers of %ld requests; %s; the largest total %lld\n", run->answered,
           expected, run->duplicates ? "SOME TOTALS REPEAT (an update was lost)"
                                     : "every total different (no update lost)",
           run->largest);
    if (run->bad_sent > 0)
        printf("client: %ld of %ld bad clients got their error (garbage: ERR bad request, "
               "oversized: ERR too long, silent: ERR idle timeout)\n", run->rejected,
               run->bad_sent);
    if (cfg->slow > 0)
        printf("client: %ld of %ld slow clients were cut off with BYE time limit, after %ld "
               "answers between them\n", run->slow_cut, cfg->slow, run->slow_answered);
    if (run->greeted > 0)
        printf("client: %ld good clients waited for a worker (connect to HELLO): median %.3f "
               "s, longest %.3f s\n", run->greeted, run->wait_median, run->wait_max);
    if (run->greeted < cfg->clients)
        printf("client: %ld good clients got no HELLO within --timeout %g s\n",
               cfg->clients - run->greeted, cfg->timeout);
    printf("THROUGHPUT workers=%d clients=%ld requests=%ld seconds=%.3f rps=%.0f\n",
           run->workers, cfg->clients, run->answered, run->seconds,
           run->seconds > 0 ? (double)run->answered / run->seconds : 0.0);
    return run->sent == expected && run->answered == expected &&
           run->rejected == run->bad_sent && run->slow_cut == cfg->slow &&
           run->bad_answers == 0;
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
    install_signal_handlers();
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
           "against 127.0.0.1:%d\n", cfg->clients, cfg->requests, cfg->bad, cfg->port);
    struct client_run run;
    client_run(&run, cfg, cfg->port);
    bool ok = client_report(&run, cfg);
    int status = verdict(ok, "sent=%ld answered=%ld bad_sent=%ld rejected=%ld bad_answers=%ld",
                         run.sent, run.answered, run.bad_sent, run.rejected, run.bad_answers);
    client_free(&run);
    return status;
}

/* The demo's log is a file nobody will open: show a taste of it, one line of each routine
 * kind (a client arrives, is answered, leaves) and every line about a bad client. */
static void show_log(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        die("cannot read the log %s: %s", path, strerror(errno));
    const char *routine[] = { ": from port ", ": ADD ", ": closed (hung up)" };
    bool seen[3] = { false, false, false };
    char line[LOG_TEXT + 16];
    int shown = 0;
    printf("from the log (one routine line of each kind, and the bad clients):\n");
    while (fgets(line, sizeof line, f) && shown < 12) {
        bool show = strstr(line, "bad request") || strstr(line, "(line too long)") ||
                    strstr(line, "(idle timeout)");
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
    const struct config *cfg;
    int port;
    struct client_run run;
};

static void *demo_client_main(void *arg)
{
    struct demo_client *dc = arg;
    client_run(&dc->run, dc->cfg, dc->port);
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
    install_signal_handlers();
    struct server srv;
    server_start(&srv, cfg, log_path, ledger_path);
    printf("demo: server on 127.0.0.1:%d with %d workers; %ld clients x %ld requests; bad "
           "clients: %ld of each kind (garbage, oversized, silent)\n", srv.port, cfg->workers,
           cfg->clients, cfg->requests, cfg->bad);
    if (cfg->bad > 0)
        printf("demo: the silent client makes the demo wait out the idle timeout (%g s)\n",
               cfg->idle_timeout);

    struct demo_client dc = { .cfg = cfg, .port = srv.port };
    pthread_t client;
    sigset_t old;
    stop_signals(SIG_BLOCK, &old);        /* the client thread (and its pool) never take them */
    PT_CHECK(pthread_create(&client, NULL, demo_client_main, &dc));
    PT_CHECK(pthread_sigmask(SIG_SETMASK, &old, NULL));

    const char *stopped_by = serve_until_stopped(&srv);
    printf("server: %s: no new clients; finishing the ones in flight\n", stopped_by);
    server_stop(&srv);
    PT_CHECK(pthread_join(client, NULL));

    struct server_verdict v = server_report(&srv, stopped_by, ledger_path);
    if (strcmp(log_path, "-") != 0)
        show_log(log_path);
    if (cfg->log_path && strcmp(cfg->log_path, "-") != 0)
        printf("log: all of it is in %s\n", cfg->log_path);
    bool client_ok = client_report(&dc.run, cfg);
    struct client_run *r = &dc.run;
    /* The server started at 0 and served nobody else: its counter must be the sum of
     * every k this client had answered, and the largest total it told anyone. */
    bool ok = client_ok && v.ok && v.answered == r->answered + r->slow_answered &&
              v.counter == r->sum && r->largest == v.counter;
    int status = verdict(ok, "sent=%ld answered=%ld logged=%ld ledger=%ld adds_up=%s "
                         "bad_sent=%ld rejected=%ld bad_answers=%ld counter=%lld expected=%lld",
                         r->sent, r->answered, v.logged, v.ledger_lines,
                         v.adds_up ? "yes" : "no", r->bad_sent, r->rejected, r->bad_answers,
                         v.counter, r->sum);
    client_free(r);
    server_free(&srv);
    scratch_remove(&tmp);
    return status;
}

/* ---- main: parse, then one of the three modes --------------------------------------- */

enum { FOR_DEMO = 1 << MODE_DEMO, FOR_SERVER = 1 << MODE_SERVER, FOR_CLIENT = 1 << MODE_CLIENT };

int main(int argc, char **argv)
{
    cli_setup(argv[0], usage);
    struct config cfg = { .mode = MODE_DEMO, .workers = 8, .max_line = 64, .clients = 200,
                          .requests = 3, .bad = 1, .idle_timeout = 2, .max_hold = 10,
                          .max_seconds = 300,
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
        { "max-line", required_argument, NULL, 'l' },
        { "max-seconds", required_argument, NULL, 'x' },
        { "timeout", required_argument, NULL, 't' },
        { "log-file", required_argument, NULL, 'L' },
        { "ledger-file", required_argument, NULL, 'F' },
        CLI_HELP, CLI_END,
    };
    /* Which modes each option above means something in (a stray one is a usage error). */
    static const int applies[] = {
        FOR_DEMO | FOR_SERVER | FOR_CLIENT, FOR_DEMO | FOR_SERVER | FOR_CLIENT,
        FOR_DEMO | FOR_SERVER, FOR_DEMO | FOR_CLIENT, FOR_DEMO | FOR_CLIENT,
        FOR_DEMO | FOR_CLIENT, FOR_DEMO | FOR_CLIENT, FOR_DEMO | FOR_SERVER,
        FOR_DEMO | FOR_SERVER, FOR_DEMO | FOR_SERVER, FOR_DEMO | FOR_SERVER,
        FOR_DEMO | FOR_CLIENT, FOR_DEMO | FOR_SERVER, FOR_DEMO | FOR_SERVER,
        FOR_DEMO | FOR_SERVER | FOR_CLIENT,
    };
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
        case 'l': cfg.max_line = (int)parse_long("--max-line", optarg, MIN_LINE_LIMIT,
                                                   MAX_LINE_LIMIT); break;
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
     * MAX_WAITING more; under a lower hard limit it lets fewer wait (more get ERR busy) rather
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
               "more get ERR busy\n", hard, cfg.waiting);
    }
    if (cfg.mode == MODE_SERVER)
        return run_server(&cfg);
    if (cfg.mode == MODE_CLIENT)
        return run_client(&cfg);
    return run_demo(&cfg);
}
