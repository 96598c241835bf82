/*
 * process_pool_test: checks the process pool (lessons/lib/process_pool.h) against its promises.
 *
 *   make && ./build/tests/process_pool_test            # every test
 *   ./build/tests/process_pool_test map_order kill      # only tests whose names contain a word
 *   ./build/tests/process_pool_test --skip eintr        # all but those (valgrind: see below)
 *
 * Prints "ok - name" or "not ok - name: why" per test and a last line "N passed, M failed";
 * exits 0 if all passed, 1 otherwise, 2 for bad usage. After every test it also checks that
 * no child is left (waitpid(-1, WNOHANG) says ECHILD): a zombie or a forgotten worker fails
 * the test that left it.
 *
 * The eintr test sends the program a signal every 100 us; under valgrind, delivering one
 * signal takes longer than that, and the program would do nothing else: skip it there.
 *
 * Time bounds in here only catch hangs (a dead worker must be reported within seconds, not
 * never); they are generous, so a slow machine or valgrind does not make them fail.
 */
#include "harness.h"
#include "process_pool.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- helpers ---------------------------------------------------------------------- */

static bool contains(const char *text, const char *word)
{
    return text && strstr(text, word) != NULL;
}

static pp_pool *make_pool(pp_options opt)
{
    char err[PP_ERROR_MAX];
    pp_pool *p;
    pp_status st = pp_create(&p, &opt, err, sizeof err);
    expect(st == PP_OK, "pp_create failed (%s): %s", pp_status_name(st), err);
    return p;
}

/* pp_get_stats as a value, for checks that read one counter. */
static pp_stats stats_of(const pp_pool *p)
{
    pp_stats st;
    pp_get_stats(p, &st);
    return st;
}

/* Are all our children reaped? The test program has no children but the pools'. */
static bool no_children(void)
{
    int status;
    pid_t r = waitpid(-1, &status, WNOHANG);
    return r == -1 && errno == ECHILD;
}

static void make_pipe_or_die(int fds[2])
{
    if (pipe(fds) != 0)
        die_errno("pipe");
}

/* Waits up to `seconds` for a pid written by a task into fd; 0 if none came. */
static pid_t read_pid(int fd, double seconds)
{
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    if (poll(&pfd, 1, (int)(seconds * 1000)) != 1)
        return 0;
    pid_t pid;
    return read(fd, &pid, sizeof pid) == (ssize_t)sizeof pid ? pid : 0;
}

/* How many bytes are waiting in a pipe (read without blocking). */
static int drain_count(int fd)
{
    int flags = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    int n = 0;
    char buf[64];
    ssize_t k;
    while ((k = read(fd, buf, sizeof buf)) > 0)
        n += (int)k;
    fcntl(fd, F_SETFL, flags);
    return n;
}

/* Which descriptors among 0..1023 are open: fcntl(F_GETFD) fails with EBADF on the others.
 * (POSIX; /proc/self/fd would be Linux only.) */
static void open_fds(bool open[1024])
{
    for (int fd = 0; fd < 1024; fd++)
        open[fd] = fcntl(fd, F_GETFD) != -1;
}

/* ---- tasks (they run in the workers) ------------------------------------------------- */

/* The argument is a uint64_t, read in place: the pool promises aligned arguments. */
static void task_square(const void *arg, size_t len, pp_reply *reply)
{
    if (len != sizeof(uint64_t)) {
        pp_reply_error(reply, "expected 8 bytes, got %zu", len);
        return;
    }
    uint64_t n = *(const uint64_t *)arg;
    uint64_t sq = n * n;
    pp_reply_bytes(reply, &sq, sizeof sq);
}

static void task_echo(const void *arg, size_t len, pp_reply *reply)
{
    pp_reply_bytes(reply, arg, len);
}

/* A small argument, a big answer: n bytes of 'z'. */
static void task_big_reply(const void *arg, size_t len, pp_reply *reply)
{
    (void)len;
    size_t n = *(const size_t *)arg;
    char *buf = malloc(n);
    if (!buf) {
        pp_reply_error(reply, "out of memory");
        return;
    }
    memset(buf, 'z', n);
    pp_reply_bytes(reply, buf, n);
    free(buf);
}

static void task_fail_odd(const void *arg, size_t len, pp_reply *reply)
{
    (void)len;
    uint64_t n = *(const uint64_t *)arg;
    if (n % 2)
        pp_reply_error(reply, "odd: %llu", (unsigned long long)n);
    else
        pp_reply_bytes(reply, &n, sizeof n);
}

static void task_pid(const void *arg, size_t len, pp_reply *reply)
{
    (void)arg, (void)len;
    pid_t pid = getpid();
    pp_reply_bytes(reply, &pid, sizeof pid);
}

/* Writes its pid into a pipe (so the test knows it is running, and where), then sleeps. */
typedef struct {
    int fd;
    double seconds;
    bool ignore_term;
} sleeper;

static void task_sleep(const void *arg, size_t len, pp_reply *reply)
{
    (void)len;
    const sleeper *s = arg;
    if (s->ignore_term)
        signal(SIGTERM, SIG_IGN);
    pid_t pid = getpid();
    if (write(s->fd, &pid, sizeof pid) != (ssize_t)sizeof pid)
        pp_reply_error(reply, "write: %s", strerror(errno));
    nap(s->seconds);
}

static void task_exit(const void *arg, size_t len, pp_reply *reply)
{
    (void)len, (void)reply;
    _exit(*(const int *)arg);
}

static void task_raise(const void *arg, size_t len, pp_reply *reply)
{
    (void)len, (void)reply;
    raise(*(const int *)arg);
}

/* Initializers. Their argument: two descriptors, one to count the runs, one with tokens. */
typedef struct {
    int count_fd; /* each run writes one byte here */
    int token_fd; /* a run that cannot take a byte from here fails (-1: always succeed) */
} init_args;

static void init_tokens(const void *arg, size_t len, pp_reply *reply)
{
    (void)len;
    const init_args *a = arg;
    char c = 'x';
    if (write(a->count_fd, &c, 1) != 1)
        pp_reply_error(reply, "write: %s", strerror(errno));
    if (a->token_fd < 0)
        return;
    fcntl(a->token_fd, F_SETFL, O_NONBLOCK);
    if (read(a->token_fd, &c, 1) != 1)
        pp_reply_error(reply, "no token left");
}

static void init_fail(const void *arg, size_t len, pp_reply *reply)
{
    (void)len;
    const init_args *a = arg;
    char c = 'x';
    if (write(a->count_fd, &c, 1) != 1)
        pp_reply_error(reply, "write: %s", strerror(errno));
    else
        pp_reply_error(reply, "cannot open the imaginary database");
}

static void init_exit(const void *arg, size_t len, pp_reply *reply)
{
    (void)arg, (void)len, (void)reply;
    _exit(3);
}

static uint64_t as_u64(const pp_result *r)
{
    uint64_t v = 0;
    if (r->status == PP_OK && r->len == sizeof v)
        memcpy(&v, r->data, sizeof v);
    return v;
}

/* ---- the tests ---------------------------------------------------------------------- */

static void test_apply(void)
{
    pp_pool *p = make_pool((pp_options){.workers = 2, .timeout = 30});
    if (!p)
        return;
    uint64_t n = 7;
    pp_result r;
    expect(pp_apply(p, task_square, &n, sizeof n, &r) == PP_OK, "apply: %s", r.error);
    expect(r.len == 8 && as_u64(&r) == 49, "7 squared came back as %llu (len %zu)",
           (unsigned long long)as_u64(&r), r.len);
    pp_result_free(&r);
    expect(pp_apply(p, task_square, "abc", 3, &r) == PP_FAILED, "bad argument not refused");
    expect(contains(r.error, "expected 8 bytes, got 3"), "error was \"%s\"", r.error);
    expect(pp_join(p), "join: %s", pp_error(p));
    pp_destroy(p);
}

static void test_apply_async(void)
{
    pp_pool *p = make_pool((pp_options){.workers = 3, .timeout = 30});
    if (!p)
        return;
    enum { N = 12 };
    pp_job *jobs[N];
    for (uint64_t i = 0; i < N; i++)
        jobs[i] = pp_apply_async(p, task_square, &i, sizeof i);
    for (int i = N - 1; i >= 0; i--) { /* collect in reverse: order of get does not matter */
        pp_result r;
        expect(pp_get(p, jobs[i], &r) == PP_OK, "job %d: %s", i, r.error);
        expect(as_u64(&r) == (uint64_t)i * (uint64_t)i, "job %d answered %llu", i,
               (unsigned long long)as_u64(&r));
        pp_result_free(&r);
    }
    pp_job *job = pp_apply_async(p, task_pid, NULL, 0);
    for (int k = 0; k < 100000 && !pp_ready(p, job); k++)
        nap(0.0001);
    expect(pp_ready(p, job), "a job was not ready after 10 s");
    pp_result r;
    expect(pp_get(p, job, &r) == PP_OK && r.len == sizeof(pid_t), "pid task: %s", r.error);
    pp_result_free(&r);
    pp_job *forgotten = pp_apply_async(p, task_pid, NULL, 0); /* pp_destroy frees it */
    (void)forgotten;
    pp_destroy(p);
}

static void test_map_order(void)
{
    pp_pool *p = make_pool((pp_options){.workers = 3, .timeout = 30});
    if (!p)
        return;
    enum { N = 1000 };
    uint64_t items[N];
    for (uint64_t i = 0; i < N; i++)
        items[i] = N - i; /* descending, so the order cannot be right by accident */
    static pp_result results[N];
    size_t chunks[] = {7, 1, 0};
    for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
        size_t bad = pp_map(p, task_square, items, sizeof items[0], N, chunks[c], results);
        expect(bad == 0, "chunk %zu: %zu results not ok (first: %s)", chunks[c], bad,
               results[0].error);
        for (size_t i = 0; i < N; i++) {
            expect(as_u64(&results[i]) == items[i] * items[i],
                   "chunk %zu: results[%zu] = %llu, expected %llu", chunks[c], i,
                   (unsigned long long)as_u64(&results[i]),
                   (unsigned long long)(items[i] * items[i]));
            pp_result_free(&results[i]);
        }
    }
    expect(pp_join(p), "join: %s", pp_error(p));
    pp_destroy(p);
}

static void test_map_chunk_edges(void)
{
    pp_pool *p = make_pool((pp_options){.workers = 2, .timeout = 30});
    if (!p)
        return;
    expect(pp_default_chunk(p, 100) == 13, "default chunk of 100 items on 2 workers: %zu",
           pp_default_chunk(p, 100));
    expect(pp_default_chunk(p, 0) == 1, "default chunk of 0 items: %zu", pp_default_chunk(p, 0));

    uint64_t items[10] = {3, 1, 4, 1, 5, 9, 2, 6, 5, 3};
    pp_result results[10];
    pp_result sentinel = {.status = PP_BROKEN, .error = "untouched"};
    results[0] = sentinel;
    expect(pp_map(p, task_square, items, sizeof items[0], 0, 0, results) == 0, "0 items");
    expect(results[0].status == PP_BROKEN && strcmp(results[0].error, "untouched") == 0,
           "a map of 0 items wrote a result");

    struct {
        size_t n, chunk;
    } cases[] = {{1, 0}, {1, 1}, {1, 5}, {5, 100}, {10, 1}, {9, 4}, {10, 3}, {10, 10}, {10, 0}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        size_t n = cases[c].n;
        size_t bad = pp_map(p, task_square, items, sizeof items[0], n, cases[c].chunk, results);
        expect(bad == 0, "n=%zu chunk=%zu: %zu not ok", n, cases[c].chunk, bad);
        for (size_t i = 0; i < n; i++) {
            expect(as_u64(&results[i]) == items[i] * items[i], "n=%zu chunk=%zu: item %zu wrong",
                   n, cases[c].chunk, i);
            pp_result_free(&results[i]);
        }
    }
    pp_destroy(p);
}

static void test_imap_unordered(void)
{
    pp_pool *p = make_pool((pp_options){.workers = 3, .timeout = 30});
    if (!p)
        return;
    enum { N = 200 };
    uint64_t items[N];
    int seen[N] = {0};
    for (uint64_t i = 0; i < N; i++)
        items[i] = i + 1000;
    pp_imap_it *it = pp_imap_unordered(p, task_square, items, sizeof items[0], N, 3);
    size_t index, got = 0;
    pp_result r;
    while (pp_imap_next(it, &index, &r)) {
        got++;
        if (expect(index < N, "index %zu out of range", index)) {
            seen[index]++;
            expect(r.status == PP_OK && as_u64(&r) == items[index] * items[index],
                   "item %zu: %s", index, r.error);
        }
        pp_result_free(&r);
    }
    pp_imap_free(it);
    expect(got == N, "%zu results for %d items", got, N);
    for (int i = 0; i < N; i++)
        expect(seen[i] == 1, "item %d handed out %d times", i, seen[i]);

    it = pp_imap_unordered(p, task_square, items, sizeof items[0], 0, 0);
    expect(!pp_imap_next(it, &index, &r), "an empty imap handed something out");
    pp_imap_free(it);

    it = pp_imap_unordered(p, task_square, items, sizeof items[0], N, 1);
    expect(pp_imap_next(it, &index, &r) && r.status == PP_OK, "first of an abandoned imap");
    pp_result_free(&r);
    pp_imap_free(it); /* stop early: the rest is abandoned */
    expect(pp_join(p), "join after an abandoned imap: %s", pp_error(p));
    pp_destroy(p);
}

static void test_task_failures(void)
{
    pp_pool *p = make_pool((pp_options){.workers = 2, .timeout = 30});
    if (!p)
        return;
    uint64_t items[20];
    pp_result results[20];
    for (uint64_t i = 0; i < 20; i++)
        items[i] = i;
    size_t bad = pp_map(p, task_fail_odd, items, sizeof items[0], 20, 3, results);
    expect(bad == 10, "%zu failures, expected 10", bad);
    for (int i = 0; i < 20; i++) {
        char want[32];
        snprintf(want, sizeof want, "odd: %d", i);
        if (i % 2)
            expect(results[i].status == PP_FAILED && strcmp(results[i].error, want) == 0,
                   "item %d: %s \"%s\"", i, pp_status_name(results[i].status), results[i].error);
        else
            expect(results[i].status == PP_OK && as_u64(&results[i]) == (uint64_t)i,
                   "item %d: %s", i, pp_status_name(results[i].status));
        pp_result_free(&results[i]);
    }
    pp_stats st = stats_of(p);
    expect(st.died == 0 && st.forked == 2, "a failing task cost a worker (died %lu forked %lu)",
           st.died, st.forked);
    expect(pp_join(p), "join: %s", pp_error(p));
    pp_destroy(p);
}

static void test_big_messages(void)
{
    pp_pool *p = make_pool((pp_options){.workers = 2, .timeout = 60});
    if (!p)
        return;
    size_t n = (1u << 20) + 3; /* 16 pipe buffers: many partial reads and writes */
    unsigned char *buf = malloc(n);
    if (!buf)
        die("out of memory");
    for (size_t i = 0; i < n; i++)
        buf[i] = (unsigned char)(i * 7 + 1);
    pp_result r;
    expect(pp_apply(p, task_echo, buf, n, &r) == PP_OK, "echo: %s", r.error);
    expect(r.len == n && r.data && memcmp(r.data, buf, n) == 0, "1 MiB came back different");
    pp_result_free(&r);
    expect(pp_apply(p, task_echo, NULL, 0, &r) == PP_OK && r.len == 0 && r.data == NULL,
           "empty echo");
    free(buf);
    pp_destroy(p);
}

/* A worker holds the task it runs and the next one. Big messages are never sent ahead
 * (they could fill the pipe while the worker waits for us to read its big answer): one
 * worker, several big tasks and small tasks with big answers in flight, none stuck. */
static void test_big_in_flight(void)
{
    pp_pool *p = make_pool((pp_options){.workers = 1, .timeout = 60});
    if (!p)
        return;
    enum { N = 6 };
    size_t big = 300000;
    unsigned char *buf = calloc(big, 1);
    if (!buf)
        die("out of memory");
    pp_job *echoes[N], *replies[N];
    for (int i = 0; i < N; i++) {
        echoes[i] = pp_apply_async(p, task_echo, buf, big);
        replies[i] = pp_apply_async(p, task_big_reply, &big, sizeof big);
    }
    for (int i = 0; i < N; i++) {
        pp_result r;
        pp_status st = pp_get(p, echoes[i], &r);
        expect(st == PP_OK && r.len == big, "echo %d: %s %s", i, pp_status_name(st), r.error);
        pp_result_free(&r);
        st = pp_get(p, replies[i], &r);
        expect(st == PP_OK && r.len == big && ((char *)r.data)[big - 1] == 'z', "reply %d: %s %s",
               i, pp_status_name(st), r.error);
        pp_result_free(&r);
    }
    free(buf);
    expect(pp_join(p), "join: %s", pp_error(p));
    pp_destroy(p);
}

static void test_worker_killed(void)
{
    int report[2];
    make_pipe_or_die(report);
    pp_pool *p = make_pool((pp_options){.workers = 2, .timeout = 60});
    if (p) {
        sleeper s = {.fd = report[1], .seconds = 60};
        uint64_t n = 5;
        pp_job *victim = pp_apply_async(p, task_sleep, &s, sizeof s);
        pp_job *bystander = pp_apply_async(p, task_square, &n, sizeof n);
        pid_t pid = read_pid(report[0], 20);
        if (expect(pid > 0, "the sleeping task never started")) {
            double t0 = now_s();
            kill(pid, SIGKILL);
            pp_result r;
            pp_status st = pp_get(p, victim, &r);
            double took = now_s() - t0;
            char want[64];
            snprintf(want, sizeof want, "(pid %ld) killed by signal 9", (long)pid);
            expect(st == PP_DIED, "the killed worker's task ended %s: %s", pp_status_name(st),
                   r.error);
            expect(contains(r.error, want) && contains(r.error, "worker "),
                   "error \"%s\" does not say \"%s\"", r.error, want);
            expect(took < 20, "the death took %.1f s to be reported", took);
            expect(pp_get(p, bystander, &r) == PP_OK && as_u64(&r) == 25, "bystander: %s",
                   r.error);
            pp_result_free(&r);
            pp_stats stats = stats_of(p);
            expect(stats.died == 1 && stats.replaced == 1 && stats.forked == 3,
                   "died %lu replaced %lu forked %lu", stats.died, stats.replaced, stats.forked);
            expect(contains(stats.last_death, want), "last_death: %s", stats.last_death);
            /* The pool goes on with its replacement. */
            uint64_t items[8] = {1, 2, 3, 4, 5, 6, 7, 8};
            pp_result results[8];
            expect(pp_map(p, task_square, items, sizeof items[0], 8, 1, results) == 0,
                   "map after a death: %s", results[0].error);
            for (int i = 0; i < 8; i++)
                pp_result_free(&results[i]);
            expect(pp_worker_pid(p, 0) != pid && pp_worker_pid(p, 1) != pid,
                   "the dead pid is still listed");
        }
        expect(pp_join(p), "join: %s", pp_error(p));
        pp_destroy(p);
    }
    close(report[0]);
    close(report[1]);
}

/* One worker holds a long task and the next one, not started: SIGKILL fails the first
 * and the second runs on the replacement. */
static void test_killed_requeues_next(void)
{
    int report[2];
    make_pipe_or_die(report);
    pp_pool *p = make_pool((pp_options){.workers = 1, .timeout = 60});
    if (p) {
        sleeper s = {.fd = report[1], .seconds = 60};
        uint64_t a = 6, b = 7;
        pp_job *victim = pp_apply_async(p, task_sleep, &s, sizeof s);
        pp_job *next = pp_apply_async(p, task_square, &a, sizeof a);
        pp_job *queued = pp_apply_async(p, task_square, &b, sizeof b);
        pid_t pid = read_pid(report[0], 20);
        if (expect(pid > 0, "the sleeping task never started")) {
            kill(pid, SIGKILL);
            pp_result r;
            pp_status st = pp_get(p, victim, &r);
            expect(st == PP_DIED && contains(r.error, "killed by signal 9"), "victim: %s %s",
                   pp_status_name(st), r.error);
            st = pp_get(p, next, &r);
            expect(st == PP_OK && as_u64(&r) == 36, "the task sent ahead: %s %s",
                   pp_status_name(st), r.error);
            pp_result_free(&r);
            st = pp_get(p, queued, &r);
            expect(st == PP_OK && as_u64(&r) == 49, "the queued task: %s %s", pp_status_name(st),
                   r.error);
            pp_result_free(&r);
        }
        pp_destroy(p);
    }
    close(report[0]);
    close(report[1]);
}

/* A kill that hits a fresh replacement before it says it is ready: without an initializer
 * that is a worker dying like any other, replaced; the pool never breaks. */
static void test_replacement_killed_while_starting(void)
{
    pp_pool *p = make_pool((pp_options){.workers = 1, .timeout = 60});
    if (!p)
        return;
    for (int cycle = 0; cycle < 20 && !pp_error(p); cycle++) {
        pid_t old = pp_worker_pid(p, 0);
        kill(old, SIGKILL);
        uint64_t n = 3;
        pp_job *job = pp_apply_async(p, task_square, &n, sizeof n);
        double until = now_s() + 10;
        pid_t fresh = 0; /* wait for the pool to see the death and fork a replacement */
        while (((fresh = pp_worker_pid(p, 0)) == old || fresh == 0) && !pp_error(p)) {
            if (!expect(now_s() < until, "cycle %d: no replacement within 10 s", cycle))
                break;
            pp_ready(p, job);
        }
        if (fresh != old && fresh != 0)
            kill(fresh, SIGKILL); /* at once: most likely before it said "ready" */
        pp_result r;
        pp_status st = pp_get(p, job, &r);
        expect(st == PP_OK || st == PP_DIED, "cycle %d: the task ended %s: %s", cycle,
               pp_status_name(st), r.error);
        pp_result_free(&r);
    }
    expect(pp_error(p) == NULL, "the pool broke: %s", pp_error(p));
    uint64_t n = 4;
    pp_result r;
    pp_status st = pp_apply(p, task_square, &n, sizeof n, &r);
    if (st == PP_DIED) {
        /* The last replacement may have answered its cycle's task before the SIGKILL
         * landed: then the pool learns of its death only from this task, which is lost
         * with it (PP_DIED, as documented). The next one goes to a fresh worker. */
        pp_result_free(&r);
        st = pp_apply(p, task_square, &n, sizeof n, &r);
    }
    expect(st == PP_OK && as_u64(&r) == 16, "after the kills: %s %s", pp_status_name(st),
           r.error);
    pp_result_free(&r);
    expect(stats_of(p).died >= 20, "died %lu", stats_of(p).died);
    expect(pp_join(p), "join: %s", pp_error(p));
    pp_destroy(p);
}

/* A worker stopped (SIGSTOP) while idle cannot take a big task: the write blocks with half a
 * message in its pipe. The call must still end at .timeout, PP_TIMEOUT, and the stuck
 * worker is killed and replaced, so the pool goes on; nothing is left after pp_destroy. */
static void test_stopped_worker_big_task(void)
{
    pp_pool *p = make_pool((pp_options){.workers = 1, .timeout = 1});
    if (!p)
        return;
    pid_t pid = pp_worker_pid(p, 0);
    kill(pid, SIGSTOP);
    size_t big = 200 * 1024; /* more than a pipe holds */
    char *buf = xcalloc(big, 1);
    pp_result r;
    double t0 = now_s();
    pp_status st = pp_apply(p, task_echo, buf, big, &r);
    double took = now_s() - t0;
    expect(st == PP_TIMEOUT, "a task for a stopped worker ended %s: %s", pp_status_name(st),
           r.error);
    expect(took < 20, "it took %.1f s (.timeout is 1 s)", took); /* only catches a hang */
    pp_result_free(&r);
    uint64_t n = 6; /* the stuck worker was replaced: the pool still works */
    st = pp_apply(p, task_square, &n, sizeof n, &r);
    expect(st == PP_OK || st == PP_TIMEOUT, "after: %s %s", pp_status_name(st), r.error);
    pp_result_free(&r);
    free(buf);
    kill(pid, SIGCONT); /* harmless if it is gone */
    pp_destroy(p);
}

/* An answer bigger than the deadline lets through: reading it stops at .timeout halfway, the
 * call ends PP_TIMEOUT (or PP_OK on a fast machine), never hangs, leaves nothing behind. */
static void test_big_answer_past_timeout(void)
{
    /* .timeout bounds pp_create's wait for the worker to start as well, and under valgrind
     * or a loaded machine 20 ms may not be enough for that: double it until the pool starts.
     * The answer below is past the timeout at any of these (or it arrives: also allowed). */
    pp_pool *p = NULL;
    char err[PP_ERROR_MAX];
    pp_status made = PP_TIMEOUT;
    for (double t = 0.02; made == PP_TIMEOUT && t < 3; t *= 2)
        made = pp_create(&p, &(pp_options){.workers = 1, .timeout = t}, err, sizeof err);
    if (!expect(made == PP_OK, "pp_create failed (%s): %s", pp_status_name(made), err))
        return;
    size_t n = 64u << 20;
    pp_result r;
    double t0 = now_s();
    pp_status st = pp_apply(p, task_big_reply, &n, sizeof n, &r);
    expect(st == PP_TIMEOUT || (st == PP_OK && r.len == n), "a 64 MB answer ended %s: %s",
           pp_status_name(st), r.error);
    expect(now_s() - t0 < 20, "it took %.1f s", now_s() - t0); /* only catches a hang */
    pp_result_free(&r);
    pp_destroy(p);
}

static void test_killed_no_respawn(void)
{
    int report[2];
    make_pipe_or_die(report);
    pp_pool *p = make_pool((pp_options){.workers = 1, .timeout = 60, .no_respawn = true});
    if (p) {
        sleeper s = {.fd = report[1], .seconds = 60};
        uint64_t n = 5;
        pp_job *victim = pp_apply_async(p, task_sleep, &s, sizeof s);
        pp_job *queued = pp_apply_async(p, task_square, &n, sizeof n);
        pid_t pid = read_pid(report[0], 20);
        if (expect(pid > 0, "the sleeping task never started")) {
            kill(pid, SIGKILL);
            pp_result r;
            expect(pp_get(p, victim, &r) == PP_DIED && contains(r.error, "killed by signal 9"),
                   "victim: %s %s", pp_status_name(r.status), r.error);
            expect(pp_get(p, queued, &r) == PP_BROKEN && contains(r.error, "pool broken"),
                   "queued task: %s %s", pp_status_name(r.status), r.error);
            expect(contains(pp_error(p), "killed by signal 9"), "pp_error: %s", pp_error(p));
            expect(pp_apply(p, task_square, &n, sizeof n, &r) == PP_BROKEN,
                   "a broken pool accepted work: %s", pp_status_name(r.status));
            expect(stats_of(p).forked == 1, "a broken pool forked again");
            expect(!pp_join(p), "join of a broken pool said all is well");
        }
        pp_destroy(p);
    }
    close(report[0]);
    close(report[1]);
}

static void test_crash_status(void)
{
    pp_pool *p = make_pool((pp_options){.workers = 2, .timeout = 60});
    if (!p)
        return;
    int code = 7;
    pp_result r;
    expect(pp_apply(p, task_exit, &code, sizeof code, &r) == PP_DIED &&
              contains(r.error, "exited with status 7"),
           "exit(7): %s %s", pp_status_name(r.status), r.error);
    int sig = SIGUSR1;
    expect(pp_apply(p, task_raise, &sig, sizeof sig, &r) == PP_DIED &&
              contains(r.error, "killed by signal") && contains(r.error, strsignal(SIGUSR1)),
           "raise(SIGUSR1): %s %s", pp_status_name(r.status), r.error);
    uint64_t n = 9;
    expect(pp_apply(p, task_square, &n, sizeof n, &r) == PP_OK && as_u64(&r) == 81,
           "after two crashes: %s", r.error);
    pp_result_free(&r);
    expect(stats_of(p).replaced == 2, "replaced %lu", stats_of(p).replaced);
    pp_destroy(p);
}

static void test_dead_idle_worker(void)
{
    pp_pool *p = make_pool((pp_options){.workers = 1, .timeout = 60});
    if (!p)
        return;
    struct sigaction sa;
    sigaction(SIGPIPE, NULL, &sa);
    expect(sa.sa_handler == SIG_IGN, "SIGPIPE is not ignored after pp_create");
    /* Kill the idle worker and give it time to die, then hand the pool a task: writing it
     * meets a pipe with no reader (EPIPE, not SIGPIPE), and the task goes to the
     * replacement instead. */
    kill(pp_worker_pid(p, 0), SIGKILL);
    nap(0.2);
    uint64_t n = 12;
    pp_result r;
    expect(pp_apply(p, task_square, &n, sizeof n, &r) == PP_OK && as_u64(&r) == 144,
           "task after an idle death: %s %s", pp_status_name(r.status), r.error);
    pp_result_free(&r);
    expect(stats_of(p).died == 1 && stats_of(p).replaced == 1, "died %lu replaced %lu",
           stats_of(p).died, stats_of(p).replaced);
    pp_destroy(p);
}

static void test_terminate_busy(void)
{
    int report[2];
    make_pipe_or_die(report);
    pp_pool *p = make_pool((pp_options){.workers = 2, .timeout = 60});
    if (p) {
        sleeper s = {.fd = report[1], .seconds = 60};
        pp_job *jobs[4];
        for (int i = 0; i < 4; i++)
            jobs[i] = pp_apply_async(p, task_sleep, &s, sizeof s);
        bool started = read_pid(report[0], 20) > 0 && read_pid(report[0], 20) > 0;
        expect(started, "the sleepers did not start");
        double t0 = now_s();
        pp_terminate(p, 0.2);
        double took = now_s() - t0;
        expect(took < 10, "terminate took %.1f s", took);
        expect(no_children(), "children left after pp_terminate");
        for (int i = 0; i < 4; i++) {
            pp_result r;
            pp_status st = pp_get(p, jobs[i], &r);
            expect(st == PP_TERMINATED, "job %d: %s", i, pp_status_name(st));
            if (i < 2)
                expect(contains(r.error, "killed by signal 15"), "running job %d: %s", i,
                       r.error);
            else
                expect(contains(r.error, "before the task started"), "queued job %d: %s", i,
                       r.error);
        }
        pp_result r;
        expect(pp_apply(p, task_pid, NULL, 0, &r) == PP_TERMINATED, "terminated pool took work");
        pp_destroy(p);
    }
    close(report[0]);
    close(report[1]);
}

static void test_terminate_stubborn(void)
{
    int report[2];
    make_pipe_or_die(report);
    pp_pool *p = make_pool((pp_options){.workers = 1, .timeout = 60});
    if (p) {
        sleeper s = {.fd = report[1], .seconds = 60, .ignore_term = true};
        pp_job *job = pp_apply_async(p, task_sleep, &s, sizeof s);
        expect(read_pid(report[0], 20) > 0, "the sleeper did not start");
        double t0 = now_s();
        pp_terminate(p, 0.3);
        expect(now_s() - t0 < 10, "terminate took %.1f s", now_s() - t0);
        pp_result r;
        expect(pp_get(p, job, &r) == PP_TERMINATED && contains(r.error, "killed by signal 9"),
               "a task ignoring SIGTERM ended %s: %s", pp_status_name(r.status), r.error);
        pp_destroy(p);
    }
    close(report[0]);
    close(report[1]);
}

static void test_init_failure(void)
{
    int count[2];
    make_pipe_or_die(count);
    init_args a = {.count_fd = count[1], .token_fd = -1};
    char err[PP_ERROR_MAX] = "";
    pp_options opt = {.workers = 3, .init = init_fail, .init_arg = &a, .init_len = sizeof a,
                      .timeout = 60};
    pp_pool *p;
    expect(pp_create(&p, &opt, err, sizeof err) == PP_FAILED && p == NULL,
           "pp_create succeeded with a failing initializer");
    expect(contains(err, "initializer failed: cannot open the imaginary database"),
           "the error says \"%s\"", err);
    /* pp_create gives up at the first failure and stops the other workers, maybe before
     * their initializers ran: 1 to 3 runs, never more (no respawn). */
    int runs = drain_count(count[0]);
    expect(runs >= 1 && runs <= 3, "the initializer ran %d times for 3 workers", runs);
    expect(no_children(), "children left after a failed pp_create");

    opt.init = init_exit;
    expect(pp_create(&p, &opt, err, sizeof err) == PP_FAILED && p == NULL &&
               contains(err, "exited with status 3 while running its initializer"),
           "an initializer calling _exit(3): \"%s\"", err);
    pp_destroy(p);
    close(count[0]);
    close(count[1]);
}

static void test_init_failure_on_respawn(void)
{
    int count[2], tokens[2];
    make_pipe_or_die(count);
    make_pipe_or_die(tokens);
    if (write(tokens[1], "ab", 2) != 2) /* enough for the first two workers, not a third */
        die_errno("write");
    init_args a = {.count_fd = count[1], .token_fd = tokens[0]};
    pp_pool *p = make_pool((pp_options){.workers = 2, .init = init_tokens, .init_arg = &a,
                                        .init_len = sizeof a, .timeout = 60});
    if (p) {
        kill(pp_worker_pid(p, 0), SIGKILL);
        uint64_t n = 3;
        pp_result r = {.status = PP_OK};
        for (int k = 0; k < 1000 && r.status != PP_BROKEN; k++) {
            pp_apply(p, task_square, &n, sizeof n, &r);
            pp_result_free(&r);
        }
        expect(r.status == PP_BROKEN, "the pool never broke: %s", r.error);
        expect(contains(pp_error(p), "initializer failed: no token left"), "pp_error: %s",
               pp_error(p));
        expect(stats_of(p).forked == 3, "forked %lu times (2 + 1 replacement expected)",
               stats_of(p).forked);
        pp_destroy(p);
        expect(drain_count(count[0]) == 3, "the initializer ran other than 3 times");
    }
    close(count[0]);
    close(count[1]);
    close(tokens[0]);
    close(tokens[1]);
}

static void test_close_join(void)
{
    pp_pool *p = make_pool((pp_options){.workers = 2, .timeout = 60});
    if (!p)
        return;
    pp_job *jobs[6];
    for (uint64_t i = 0; i < 6; i++)
        jobs[i] = pp_apply_async(p, task_square, &i, sizeof i);
    pp_close(p);
    uint64_t n = 2;
    pp_result r;
    expect(pp_apply(p, task_square, &n, sizeof n, &r) == PP_CLOSED, "a closed pool took work");
    expect(pp_join(p), "join: %s", pp_error(p));
    expect(no_children(), "children left after pp_join");
    for (int i = 0; i < 6; i++) { /* queued before the close: they ran */
        expect(pp_get(p, jobs[i], &r) == PP_OK && as_u64(&r) == (uint64_t)(i * i),
               "job %d: %s %s", i, pp_status_name(r.status), r.error);
        pp_result_free(&r);
    }
    expect(pp_join(p), "a second join");
    pp_destroy(p);
}

static void test_timeout(void)
{
    int report[2];
    make_pipe_or_die(report);
    pp_pool *p = make_pool((pp_options){.workers = 1, .timeout = 0.3});
    if (p) {
        sleeper s = {.fd = report[1], .seconds = 60};
        pp_result r;
        expect(pp_apply(p, task_sleep, &s, sizeof s, &r) == PP_TIMEOUT &&
                  contains(r.error, "no answer within 0.3 s"),
               "apply of a sleeper: %s %s", pp_status_name(r.status), r.error);
        uint64_t items[3] = {1, 2, 3};
        pp_result results[3];
        expect(pp_map(p, task_square, items, sizeof items[0], 3, 1, results) == 3 &&
                  results[2].status == PP_TIMEOUT,
               "a map behind a busy worker did not time out");
        pp_imap_it *it = pp_imap_unordered(p, task_square, items, sizeof items[0], 3, 2);
        size_t i, got = 0;
        while (pp_imap_next(it, &i, &r)) {
            got++;
            expect(r.status == PP_TIMEOUT, "imap item %zu: %s", i, pp_status_name(r.status));
        }
        expect(got == 3, "imap handed out %zu of 3", got);
        pp_imap_free(it);
        double t0 = now_s();
        pp_destroy(p); /* the sleeper is still running: terminated */
        expect(now_s() - t0 < 10, "destroy took %.1f s", now_s() - t0);
    }
    close(report[0]);
    close(report[1]);
}

/* Signals arriving all the time: every poll, read, write and waitpid gets EINTR now and
 * then, and must simply try again. */
static volatile sig_atomic_t ticks;
static void on_tick(int sig)
{
    (void)sig;
    ticks++;
}

static void test_eintr(void)
{
    pp_pool *p = make_pool((pp_options){.workers = 2, .timeout = 60});
    if (!p)
        return;
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_tick; /* no SA_RESTART: interrupted calls fail with EINTR */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR2, &sa, &old);
    struct sigevent ev;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = SIGUSR2;
    timer_t timer;
    if (timer_create(CLOCK_MONOTONIC, &ev, &timer) != 0)
        die_errno("timer_create");
    struct itimerspec every = {.it_interval = {0, 100000}, .it_value = {0, 100000}};
    timer_settime(timer, 0, &every, NULL);

    enum { N = 3000 };
    static uint64_t items[N];
    static pp_result results[N];
    for (uint64_t i = 0; i < N; i++)
        items[i] = i;
    for (int round = 0; round < 3; round++) {
        size_t bad = pp_map(p, task_square, items, sizeof items[0], N, 1, results);
        expect(bad == 0, "round %d: %zu not ok: %s", round, bad, results[0].error);
        for (size_t i = 0; i < N; i++) {
            expect(as_u64(&results[i]) == i * i, "round %d: item %zu wrong", round, i);
            pp_result_free(&results[i]);
        }
    }
    /* Big messages go through the pipes in many pieces, and a read or write that waits for
     * the next piece is where a signal interrupts. */
    size_t big = 4u << 20;
    unsigned char *buf = calloc(big, 1);
    if (!buf)
        die("out of memory");
    for (int round = 0; round < 5; round++) {
        pp_result r;
        pp_status st = pp_apply(p, task_echo, buf, big, &r);
        expect(st == PP_OK && r.len == big, "big echo under signals: %s", r.error);
        pp_result_free(&r);
    }
    free(buf);
    expect(pp_join(p), "join under signals: %s", pp_error(p));
    timer_delete(timer);
    sigaction(SIGUSR2, &old, NULL);
    expect(ticks > 0, "no signal arrived");
    pp_destroy(p);
}

/* Two pools: the second pool's workers must not hold the first pool's pipes, or joining
 * the first would wait for an end-of-file that never comes. */
static void test_two_pools(void)
{
    pp_pool *a = make_pool((pp_options){.workers = 2, .timeout = 20});
    pp_pool *b = make_pool((pp_options){.workers = 2, .timeout = 20});
    if (a && b) {
        uint64_t n = 4;
        pp_result r;
        expect(pp_apply(a, task_square, &n, sizeof n, &r) == PP_OK, "pool a: %s", r.error);
        pp_result_free(&r);
        expect(pp_apply(b, task_square, &n, sizeof n, &r) == PP_OK, "pool b: %s", r.error);
        pp_result_free(&r);
        expect(pp_join(a), "join of the first pool: %s", pp_error(a));
        expect(pp_join(b), "join of the second pool: %s", pp_error(b));
    }
    pp_destroy(a);
    pp_destroy(b);
}

static void test_no_leaks(void)
{
    bool before[1024], after[1024];
    open_fds(before);
    int count[2];
    make_pipe_or_die(count);
    init_args a = {.count_fd = count[1], .token_fd = -1};
    for (int cycle = 0; cycle < 100; cycle++) {
        pp_options opt = {.workers = 2, .timeout = 30, .init = init_tokens, .init_arg = &a,
                          .init_len = sizeof a};
        if (cycle % 10 == 9) { /* now and then, a create that fails */
            opt.init = init_fail;
            char err[PP_ERROR_MAX];
            pp_pool *failed;
            expect(pp_create(&failed, &opt, err, sizeof err) == PP_FAILED && failed == NULL,
                   "cycle %d: create succeeded", cycle);
            continue;
        }
        pp_pool *p = make_pool(opt);
        if (!p)
            break;
        uint64_t n = (uint64_t)cycle;
        pp_result r;
        switch (cycle % 3) {
        case 0: /* plain use, then destroy (joins: all idle) */
            expect(pp_apply(p, task_square, &n, sizeof n, &r) == PP_OK, "cycle %d", cycle);
            pp_result_free(&r);
            break;
        case 1: /* a worker dies and is replaced */
            kill(pp_worker_pid(p, 1), SIGKILL);
            expect(pp_apply(p, task_square, &n, sizeof n, &r) == PP_OK, "cycle %d", cycle);
            pp_result_free(&r);
            break;
        case 2: /* destroyed with a task in flight (terminated) */
            pp_apply_async(p, task_square, &n, sizeof n);
            break;
        }
        pp_destroy(p);
        expect(no_children(), "cycle %d left a child", cycle);
    }
    close(count[0]);
    close(count[1]);
    open_fds(after);
    for (int fd = 0; fd < 1024; fd++)
        expect(before[fd] == after[fd], "fd %d was %s and is now %s", fd,
               before[fd] ? "open" : "closed", after[fd] ? "open" : "closed");
}

/* ---- main --------------------------------------------------------------------------- */

static const struct {
    const char *name;
    void (*run)(void);
} tests[] = {
    {"apply", test_apply},
    {"apply_async", test_apply_async},
    {"map_order", test_map_order},
    {"map_chunk_edges", test_map_chunk_edges},
    {"imap_unordered", test_imap_unordered},
    {"task_failures", test_task_failures},
    {"big_messages", test_big_messages},
    {"big_in_flight", test_big_in_flight},
    {"worker_killed_mid_task", test_worker_killed},
    {"killed_requeues_next_task", test_killed_requeues_next},
    {"killed_no_respawn_breaks_pool", test_killed_no_respawn},
    {"replacement_killed_while_starting", test_replacement_killed_while_starting},
    {"stopped_worker_big_task_times_out", test_stopped_worker_big_task},
    {"big_answer_past_timeout", test_big_answer_past_timeout},
    {"crash_exit_status_and_signal", test_crash_status},
    {"dead_idle_worker_epipe", test_dead_idle_worker},
    {"terminate_busy_workers", test_terminate_busy},
    {"terminate_sigkills_stubborn", test_terminate_stubborn},
    {"init_failure_no_respawn_loop", test_init_failure},
    {"init_failure_on_respawn_breaks_pool", test_init_failure_on_respawn},
    {"close_join", test_close_join},
    {"timeout", test_timeout},
    {"eintr", test_eintr},
    {"two_pools", test_two_pools},
    {"no_zombies_no_fd_leaks_100_cycles", test_no_leaks},
};

static const char usage[] =
    "[--skip WORD]... [WORD...]\n"
    "  Runs the process pool's tests: those whose names contain a WORD, if any are given,\n"
    "  but none whose name contains a --skip WORD.\n"
    "  Prints \"ok - name\" or \"not ok - name: why\" per test, then \"N passed, M failed\".\n";

int main(int argc, char **argv)
{
    cli_setup(argv[0], usage);
    const char *words[64], *skips[64];
    int nwords = 0, nskips = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0)
            usage_help();
        else if (strcmp(argv[i], "--skip") == 0 && i + 1 < argc && nskips < 64)
            skips[nskips++] = argv[++i];
        else if (argv[i][0] == '-' || nwords == 64)
            usage_error("unexpected argument \"%s\"", argv[i]);
        else
            words[nwords++] = argv[i];
    }
    for (size_t t = 0; t < sizeof tests / sizeof tests[0]; t++) {
        bool wanted = nwords == 0;
        for (int i = 0; i < nwords; i++)
            wanted = wanted || strstr(tests[t].name, words[i]);
        for (int i = 0; i < nskips; i++)
            wanted = wanted && !strstr(tests[t].name, skips[i]);
        if (!wanted)
            continue;
        test_begin(tests[t].name);
        tests[t].run();
        expect(no_children(), "a child was left behind (not reaped)");
        test_end();
    }
    if (harness_count() == 0)
        usage_error("no test matches");
    return harness_summary();
}
