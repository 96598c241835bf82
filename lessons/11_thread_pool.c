/*
 * 11_thread_pool: a guided tour of the thread pool in lessons/lib/thread_pool.h, one short
 * section per part of the API: Python's ThreadPool and ThreadPoolExecutor, in C.
 *
 *   make && ./build/11_thread_pool                      # the whole tour, about 6 s
 *   ./build/11_thread_pool --section map                # one section (see --help)
 *   ./build/11_thread_pool --workers 2 --scale 0.2      # fewer workers, 5x faster naps
 *   make timeline L=11 ARGS='--section map'             # who ran which task when, drawn
 *
 * A task is a C function `int task(void *arg, void **result)`: it returns 0 or an error
 * status (C's exception) and may hand back a result. tp_submit queues it and gives you a
 * future; the future tells you when it is done and how it went.
 *
 * Notice:
 *   - submit returns at once; tp_future_result is where you wait.
 *   - a timeout only stops your waiting: the task goes on and its result arrives later.
 *   - a failing task does not crash anything: its status comes back to whoever asks.
 *   - only a task that has not started can be cancelled.
 *   - map hands results back in input order, though the tasks finish in another order;
 *     imap_unordered hands each out as it finishes; imap pulls inputs lazily, a few ahead.
 *   - close lets the queue drain; terminate cancels what is queued (waiters wake with
 *     TP_ECANCELLED) and lets running tasks finish.
 * Sections whose check depends on which task finishes first hold the slow tasks on a latch
 * (latch.h: a "go" signal from main) instead of trusting naps, so every check is certain.
 * Try: --workers 1, and watch map's finishing order become the input order.
 *
 * Verdict: one "check: ... ok|FAILED" line per section, then
 * "RESULT sections=N passed=N OK" (exit 0), FAIL (exit 1) if a check did not hold, or
 * STUCK (exit 3) if the tour did not finish in time (a watchdog ends it).
 */
#include "latch.h"
#include "program.h"
#include "thread_pool.h"
#include "trace.h"
#include "watchdog.h"
#include "quizzes/11_thread_pool.h" /* --quiz and --answers: its questions */

static const char usage[] =
    "[--workers N] [--scale F] [--section NAME] [--trace PATH]\n"
    "  A tour of the thread pool, one section per part of the API.\n"
    "  --workers  pool threads, 1..64 (default 4)\n"
    "  --scale    multiply every nap by F, 0..100 (default 1; 0 = no naps)\n"
    "  --section  run one section: futures timeouts errors cancel callbacks map imap\n"
    "             first_result workers shutdown (default: all, in that order)\n"
    "  --trace    write who ran which task when to PATH (JSON; make timeline L=11 draws it)\n";

static int workers = 4;

/* ---- the work: "downloading" a page is a nap -------------------------------------------- */

typedef struct page {
    const char *name;
    double seconds; /* how long the download takes (before --scale) */
    int bytes;      /* what it returns */
    bool missing;   /* fails with ENOENT instead */
    latch *hold;    /* if set, waits for "go" first */
    int ran;        /* set by the task: it did run (read after the future is done) */
    char worker[32];
} page;

/* The order in which tasks finished, as the tasks themselves saw it. */
static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;
static int finished[64], nfinished;

static void log_finish(int id)
{
    PT_CHECK(pthread_mutex_lock(&log_mu));
    if (nfinished < 64)
        finished[nfinished++] = id;
    PT_CHECK(pthread_mutex_unlock(&log_mu));
}

/* Forgets the order logged so far, unprinted. */
static void forget_finish_order(void)
{
    PT_CHECK(pthread_mutex_lock(&log_mu));
    nfinished = 0;
    PT_CHECK(pthread_mutex_unlock(&log_mu));
}

static void print_finish_order(const char *label)
{
    PT_CHECK(pthread_mutex_lock(&log_mu));
    printf("  %s", label);
    for (int i = 0; i < nfinished; i++)
        printf(" %d", finished[i]);
    printf("\n");
    nfinished = 0;
    PT_CHECK(pthread_mutex_unlock(&log_mu));
}

static int download(void *arg, void **result)
{
    page *pg = arg;
    int64_t t0 = trace_start(); /* --trace: one bar per task, held time included */
    pg->ran = 1;
    snprintf(pg->worker, sizeof pg->worker, "%s", tp_current_worker_name());
    if (pg->hold)
        latch_wait(pg->hold);
    nap(pg->seconds);
    trace_span(t0, "task", "%s", pg->name);
    if (pg->missing) {
        *result = "404 not found";
        return ENOENT; /* the task's "exception": a plain value */
    }
    *result = (void *)(intptr_t)pg->bytes;
    return 0;
}

/* For map: item i is a number; the bigger i, the shorter the nap, so late items finish
 * first. Returns i squared. */
static int square_slowly(void *arg, void **result)
{
    intptr_t i = (intptr_t)arg;
    int64_t t0 = trace_start();
    nap(0.08 * (double)(8 - i));
    trace_span(t0, "task", "item %ld", (long)i);
    log_finish((int)i);
    *result = (void *)(i * i);
    return 0;
}

/* For starmap: a row of two arguments, like Python's pow(base, exp). */
static int power(void *const argv[], size_t nargs, void **result)
{
    intptr_t base = (intptr_t)argv[0], exp = (intptr_t)argv[nargs - 1], r = 1;
    while (exp-- > 0)
        r *= base;
    *result = (void *)r;
    return 0;
}

static tp_pool *new_pool(int n, const char *prefix)
{
    tp_pool *p;
    int rc = tp_create(&p, &(tp_options){ .workers = n, .name_prefix = prefix });
    if (rc != TP_OK)
        die("tp_create: %s", tp_strerror(rc));
    return p;
}

/* Each section prints what it shows and returns whether its check held. */
static bool report(bool ok, const char *what)
{
    printf("  check: %s: %s\n", what, ok ? "ok" : "FAILED");
    return ok;
}

/* ---- 1. futures: submit now, wait later ------------------------------------------------- */

static bool section_futures(void)
{
    tp_pool *p = new_pool(workers, "tp");
    page pages[] = {
        { .name = "index.html", .seconds = 0.6, .bytes = 5120 },
        { .name = "about.html", .seconds = 0.3, .bytes = 2048 },
        { .name = "news.html", .seconds = 0.9, .bytes = 8192 },
        { .name = "faq.html", .seconds = 0.2, .bytes = 1024 },
    };
    enum { N = sizeof pages / sizeof pages[0] };
    tp_future *fs[N];
    double t0 = now_s();
    for (int i = 0; i < N; i++)
        tp_submit(p, download, &pages[i], &fs[i]);
    printf("  submitted %d downloads in %.1f ms: submit does not wait\n", N,
           (now_s() - t0) * 1e3);
    bool ok = true;
    for (int i = 0; i < N; i++) {
        void *r;
        int rc = tp_future_result(fs[i], -1, &r); /* here we wait */
        printf("  %-10s %5ld bytes  (worker %s, %.2f s after submit)\n", pages[i].name,
               (long)(intptr_t)r, pages[i].worker, now_s() - t0);
        ok &= rc == TP_OK && (intptr_t)r == pages[i].bytes &&
              tp_future_state(fs[i]) == TP_DONE_OK;
        tp_future_release(fs[i]); /* done with it: the future is freed */
    }
    void *r;
    int rc = tp_apply(p, download, &pages[3], &r, NULL); /* submit + result in one call */
    printf("  tp_apply(faq.html) = %ld bytes\n", (long)(intptr_t)r);
    ok &= rc == TP_OK && (intptr_t)r == 1024;
    tp_destroy(p);
    return report(ok, "every future gave its own page's size");
}

/* ---- 2. timeouts: stop waiting, not working ------------------------------------------- */

static bool section_timeouts(void)
{
    tp_pool *p = new_pool(workers, "tp");
    latch go;
    latch_init(&go);
    page big = { .name = "video.mp4", .seconds = 0.2, .bytes = 1 << 20, .hold = &go };
    tp_future *f;
    tp_submit(p, download, &big, &f);
    latch_await_arrivals(&go, 1); /* it is running (held at the latch): "running", for sure */
    void *r;
    int first = tp_future_result(f, 0.3 * time_scale, &r);
    printf("  result(timeout %.2f s): %s, state %s\n", 0.3 * time_scale, tp_strerror(first),
           tp_state_name(tp_future_state(f)));
    latch_open(&go);
    int second = tp_future_result(f, -1, &r);
    printf("  result(no timeout):  %s, %ld bytes\n", tp_strerror(second), (long)(intptr_t)r);
    tp_future_release(f);
    tp_destroy(p);
    latch_destroy(&go);
    return report(first == TP_ETIMEDOUT && second == TP_OK && (intptr_t)r == 1 << 20,
                  "the timeout left the download running; its result came later");
}

/* ---- 3. errors: a failing task is a value ----------------------------------------------- */

static bool section_errors(void)
{
    tp_pool *p = new_pool(workers, "tp");
    page gone = { .name = "old.html", .seconds = 0.1, .bytes = 0, .missing = true };
    tp_future *f;
    tp_submit(p, download, &gone, &f);
    void *r = NULL;
    int rc = tp_future_result(f, -1, &r);
    int status = 0;
    tp_future_exception(f, -1, &status);
    printf("  result: %s\n  exception: %d (%s); the task also left \"%s\"\n",
           tp_strerror(rc), status, strerror(status), r ? (const char *)r : "");
    tp_future_release(f);
    page fine = { .name = "new.html", .seconds = 0.1, .bytes = 300 };
    int after = tp_apply(p, download, &fine, &r, NULL);
    printf("  the next task still works: %ld bytes\n", (long)(intptr_t)r);
    tp_destroy(p);
    return report(rc == TP_EFAILED && status == ENOENT && after == TP_OK,
                  "the failure reached the caller as ENOENT; the pool carried on");
}

/* ---- 4. cancel: only before it starts ---------------------------------------------------- */

static bool section_cancel(void)
{
    tp_pool *p = new_pool(1, "solo"); /* one worker: the second task must queue */
    latch go;
    latch_init(&go);
    page first = { .name = "first", .seconds = 0.1, .bytes = 1, .hold = &go };
    page second = { .name = "second", .seconds = 0.1, .bytes = 2 };
    page third = { .name = "third", .seconds = 0.1, .bytes = 3 };
    tp_future *f1, *f2, *f3;
    tp_submit(p, download, &first, &f1);
    tp_submit(p, download, &second, &f2);
    tp_submit(p, download, &third, &f3);
    latch_await_arrivals(&go, 1); /* the worker is busy with "first" */
    bool c1 = tp_future_cancel(f1), c2 = tp_future_cancel(f2);
    printf("  cancel(first, running): %s; cancel(second, queued): %s\n",
           c1 ? "cancelled" : "refused", c2 ? "cancelled" : "refused");
    latch_open(&go);
    void *r;
    int r2 = tp_future_result(f2, -1, &r), r3 = tp_future_result(f3, -1, &r);
    printf("  second: %s; third: %s, %ld\n", tp_strerror(r2), tp_strerror(r3),
           (long)(intptr_t)r);
    tp_destroy(p); /* joins: every task that will ever run has run */
    tp_future_release(f1);
    tp_future_release(f2);
    tp_future_release(f3);
    latch_destroy(&go);
    return report(!c1 && c2 && r2 == TP_ECANCELLED && r3 == TP_OK && !second.ran && first.ran,
                  "the queued task was cancelled and never ran; the running one finished");
}

/* ---- 5. callbacks: exactly once, outside the pool's lock -------------------------------- */

static pthread_mutex_t cb_mu = PTHREAD_MUTEX_INITIALIZER;
static int cb_calls;

static void on_done(tp_future *f, void *ctx)
{
    const char *name = ctx;
    void *r = NULL;
    tp_future_result(f, 0, &r); /* calling the pool from a callback is fine */
    const char *where = tp_current_worker_name();
    printf("  callback: %s is %s (%ld bytes), run by %s\n", name,
           tp_state_name(tp_future_state(f)), (long)(intptr_t)r, where ? where : "main");
    PT_CHECK(pthread_mutex_lock(&cb_mu));
    cb_calls++;
    PT_CHECK(pthread_mutex_unlock(&cb_mu));
}

static int callback_count(void)
{
    PT_CHECK(pthread_mutex_lock(&cb_mu));
    int n = cb_calls;
    PT_CHECK(pthread_mutex_unlock(&cb_mu));
    return n;
}

static bool section_callbacks(void)
{
    tp_pool *p = new_pool(workers, "tp");
    page pages[] = {
        { .name = "a.html", .seconds = 0.3, .bytes = 100 },
        { .name = "b.html", .seconds = 0.1, .bytes = 200 },
        { .name = "c.html", .seconds = 0.2, .bytes = 300 },
    };
    enum { N = sizeof pages / sizeof pages[0] };
    tp_future *fs[N];
    for (int i = 0; i < N; i++) {
        tp_submit(p, download, &pages[i], &fs[i]);
        tp_future_add_done_callback(fs[i], on_done, (void *)pages[i].name);
    }
    tp_wait(fs, N, TP_ALL_COMPLETED, -1);
    tp_drain(p, -1); /* callbacks run right after the state changes: let them finish */
    int before = callback_count();
    printf("  adding a callback to a finished future runs it now, here:\n");
    tp_future_add_done_callback(fs[0], on_done, "a.html (late)");
    int after = callback_count();
    for (int i = 0; i < N; i++)
        tp_future_release(fs[i]);
    tp_destroy(p);
    return report(before == N && after == N + 1, "each callback ran exactly once");
}

/* ---- 6. map and starmap: results in input order --------------------------------------- */

static bool section_map(void)
{
    tp_pool *p = new_pool(workers, "tp");
    enum { N = 8 };
    void *args[N], *results[N];
    for (int i = 0; i < N; i++)
        args[i] = (void *)(intptr_t)i;
    /* chunksize 1 so each item is its own task; 0 would pick Python's default,
     * ceil(n / (4 * workers)) items per chunk, run one after another in one worker. */
    int rc = tp_map(p, square_slowly, args, N, 1, results, NULL);
    print_finish_order("finished in the order:");
    printf("  map results (input order):");
    bool ok = rc == TP_OK;
    for (int i = 0; i < N; i++) {
        printf(" %ld", (long)(intptr_t)results[i]);
        ok &= (intptr_t)results[i] == (intptr_t)i * i;
    }
    printf("\n");

    void *rows[3 * 2] = { (void *)2, (void *)10, (void *)3, (void *)4, (void *)10, (void *)3 };
    void *powers[3];
    rc = tp_starmap(p, power, rows, 3, 2, 0, powers, NULL);
    printf("  starmap(pow, [(2,10), (3,4), (10,3)]) = %ld %ld %ld\n", (long)(intptr_t)powers[0],
           (long)(intptr_t)powers[1], (long)(intptr_t)powers[2]);
    ok &= rc == TP_OK && (intptr_t)powers[0] == 1024 && (intptr_t)powers[1] == 81 &&
          (intptr_t)powers[2] == 1000;
    tp_destroy(p);
    return report(ok, "results[i] is f(args[i]) whatever order the tasks finished in");
}

/* ---- 7. imap: lazy, bounded, ordered or not --------------------------------------------- */

static bool section_imap(void)
{
    tp_pool *p = new_pool(workers, "tp");
    enum { N = 8, AHEAD = 3 };
    void *args[N];
    for (int i = 0; i < N; i++)
        args[i] = (void *)(intptr_t)i;
    /* The lazy input: tp_array_next hands out args[in.i] only when asked; in.i counts. */
    tp_array_cursor in = { .items = args, .n = N };
    tp_imap_it *it;
    tp_item item;
    bool ok = true;
    size_t next_expected = 0, worst_ahead = 0;

    printf("  imap (input order), at most %d inputs in flight:\n", AHEAD);
    tp_imap(p, square_slowly, tp_array_next, &in, AHEAD, &it);
    while (tp_imap_next(it, -1, &item) == TP_OK) {
        size_t ahead = in.i - (next_expected + 1);
        printf("    item %zu = %-3ld (inputs pulled so far: %zu, %zu of them still in flight)\n",
               item.index, (long)(intptr_t)item.result, in.i, ahead);
        ok &= item.index == next_expected++;
        worst_ahead = ahead > worst_ahead ? ahead : worst_ahead;
    }
    tp_imap_free(it);
    print_finish_order("finished in the order:");
    ok &= next_expected == N && worst_ahead <= AHEAD;

    /* imap_unordered hands items out in the order the pool saw them finish; the tasks' own
     * log (above) is taken a moment earlier, and two finishing together may appear in either
     * order there. One order, one source: this section prints the pool's. */
    printf("  imap_unordered (the order the pool saw them finish):");
    in.i = 0;
    bool seen[N] = { false };
    tp_imap_unordered(p, square_slowly, tp_array_next, &in, N, &it);
    int count = 0;
    while (tp_imap_next(it, -1, &item) == TP_OK) {
        printf(" %zu", item.index);
        ok &= !seen[item.index] && (intptr_t)item.result == (intptr_t)(item.index * item.index);
        seen[item.index] = true;
        count++;
    }
    printf("\n");
    tp_imap_free(it);
    forget_finish_order();
    tp_destroy(p);
    return report(ok && count == N,
                  "imap kept input order and never ran ahead; imap_unordered gave each once");
}

/* ---- 8. first result wins ---------------------------------------------------------------- */

static bool section_first_result(void)
{
    tp_pool *p = new_pool(workers, "tp");
    latch slow;
    latch_init(&slow);
    /* The fast mirror is the last one a worker picks up at once; the slow ones are held,
     * so they cannot answer first, and the ones beyond the workers wait in the queue. */
    enum { N = 6 };
    int fast = (workers < N ? workers : N) - 1;
    page mirrors[N];
    void *items[N];
    for (int i = 0; i < N; i++) {
        mirrors[i] = (page){ .name = "mirror", .seconds = 0.1, .bytes = 1000 + i,
                             .hold = i == fast ? NULL : &slow };
        items[i] = &mirrors[i];
    }
    /* Ask every mirror; take whichever answers first; cancel the others. */
    tp_array_cursor cursor = { .items = items, .n = N };
    tp_imap_it *it;
    tp_imap_unordered(p, download, tp_array_next, &cursor, N, &it);
    tp_item first;
    int rc = tp_imap_next(it, -1, &first);
    printf("  first answer: mirror %zu (%ld bytes)\n", first.index, (long)(intptr_t)first.result);
    tp_imap_free(it); /* cancels the mirrors still queued */
    latch_open(&slow); /* the ones already running finish on their own */
    tp_shutdown(p, true, false);
    tp_stats st;
    tp_get_stats(p, &st);
    int ran = 0;
    for (int i = 0; i < N; i++)
        ran += mirrors[i].ran;
    printf("  mirrors that ran: %d; cancelled before they started: %llu\n", ran,
           (unsigned long long)st.cancelled);
    tp_destroy(p);
    latch_destroy(&slow);
    return report(rc == TP_OK && first.index == (size_t)fast && (uint64_t)ran + st.cancelled == N,
                  "the fastest mirror won; every other one ran or was cancelled, none lost");
}

/* ---- 9. workers: names, initializer ------------------------------------------------------ */

static int init_calls;

static int connect_once(void *arg)
{
    const char *db = arg;
    printf("  %s: initializer connects to %s\n", tp_current_worker_name(), db);
    PT_CHECK(pthread_mutex_lock(&cb_mu));
    init_calls++;
    PT_CHECK(pthread_mutex_unlock(&cb_mu));
    return 0;
}

static int refuse(void *arg)
{
    (void)arg;
    return EACCES;
}

static bool section_workers(void)
{
    tp_pool *p;
    int rc = tp_create(&p, &(tp_options){ .workers = 2, .name_prefix = "db",
                                          .initializer = connect_once, .initarg = "db.local" });
    page pages[4];
    for (int i = 0; i < 4; i++)
        pages[i] = (page){ .name = "query", .seconds = 0.1, .bytes = i };
    bool ok = rc == TP_OK;
    for (int i = 0; i < 4; i++) {
        tp_apply(p, download, &pages[i], NULL, NULL);
        printf("  query %d ran in %s\n", i, pages[i].worker);
        ok &= !strcmp(pages[i].worker, "db-0") || !strcmp(pages[i].worker, "db-1");
    }
    tp_destroy(p);

    tp_pool *broken = NULL;
    int bad = tp_create(&broken, &(tp_options){ .workers = 2, .initializer = refuse });
    printf("  a pool whose initializer fails: %s\n", tp_strerror(bad));
    return report(ok && init_calls == 2 && bad == TP_EINIT && broken == NULL,
                  "names were db-N, the initializer ran once per worker, a failing one broke "
                  "the pool at once");
}

/* ---- 10. shutdown: close drains, terminate cancels ------------------------------------- */

static bool section_shutdown(void)
{
    bool ok = true;
    for (int mode = 0; mode < 2; mode++) {
        bool term = mode == 1;
        tp_pool *p = new_pool(2, "tp");
        latch go;
        latch_init(&go);
        enum { N = 6 };
        page pages[N];
        tp_future *fs[N];
        for (int i = 0; i < N; i++) {
            pages[i] = (page){ .name = "job", .seconds = 0.1, .bytes = i,
                               .hold = i < 2 ? &go : NULL };
            tp_submit(p, download, &pages[i], &fs[i]);
        }
        latch_await_arrivals(&go, 2); /* both workers busy, 4 jobs queued */
        if (term)
            tp_terminate(p);
        else
            tp_close(p);
        int late = tp_submit(p, download, &pages[0], NULL);
        int queued_rc = tp_future_result(fs[5], term ? -1 : 0, NULL); /* wakes at once */
        latch_open(&go);
        tp_join(p);
        tp_stats st;
        tp_get_stats(p, &st);
        printf("  %s with 2 jobs running and 4 queued:\n", term ? "tp_terminate" : "tp_close");
        printf("    a submit afterwards: %s\n", tp_strerror(late));
        printf("    the last queued job: %s\n",
               term ? tp_strerror(queued_rc) : "waited its turn, then ran");
        printf("    ran %llu, cancelled %llu\n", (unsigned long long)st.succeeded,
               (unsigned long long)st.cancelled);
        ok &= late == TP_ECLOSED;
        ok &= term ? queued_rc == TP_ECANCELLED && st.succeeded == 2 && st.cancelled == 4
                   : st.succeeded == N && st.cancelled == 0;
        for (int i = 0; i < N; i++)
            tp_future_release(fs[i]);
        tp_destroy(p);
        latch_destroy(&go);
    }
    return report(ok, "close ran all 6; terminate ran the 2 running and cancelled the 4 queued");
}

/* ---- the watchdog: a tour that does not finish in time says so ----------------------- */

static void tour_stuck(void *limit_s)
{
    _Exit(verdict_stuck("stuck_after=%.0fs", *(double *)limit_s));
}

/* ---- main: the outline --------------------------------------------------------------- */

typedef struct section {
    const char *name;
    const char *title;
    bool (*run)(void);
} section;

static const section sections[] = {
    { "futures", "submit returns a future at once; result() waits", section_futures },
    { "timeouts", "a timeout stops the waiting, never the task", section_timeouts },
    { "errors", "a failing task's status reaches the caller", section_errors },
    { "cancel", "cancel works only before a task starts", section_cancel },
    { "callbacks", "done callbacks run exactly once", section_callbacks },
    { "map", "map and starmap keep input order", section_map },
    { "imap", "imap is lazy and bounded; imap_unordered goes by finishing order",
      section_imap },
    { "first_result", "the first answer wins, queued rivals are cancelled", section_first_result },
    { "workers", "worker names and the initializer", section_workers },
    { "shutdown", "close drains the queue, terminate cancels it", section_shutdown },
};
enum { NSECTIONS = sizeof sections / sizeof sections[0] };

int main(int argc, char **argv)
{
    cli_setup(argv[0], usage);
    QUIZ(quiz);
    static const char *names[NSECTIONS + 1];
    for (int i = 0; i < NSECTIONS; i++)
        names[i] = sections[i].name;
    static const struct option opts[] = {
        { "workers", required_argument, NULL, 'w' },
        { "scale", required_argument, NULL, 's' },
        { "section", required_argument, NULL, 'S' },
        CLI_TRACE, CLI_QUIZ, CLI_HELP, CLI_END,
    };
    int only = -1;
    for (int c; (c = cli_next(argc, argv, opts)) != -1;) {
        switch (c) {
        case 'w': workers = (int)parse_long("--workers", optarg, 1, 64); break;
        case 's': time_scale = parse_double("--scale", optarg, 0, 100); break;
        case 'S': only = parse_choice("--section", optarg, names); break;
        }
    }

    /* At --scale 1 the tour naps about 6 s; a stuck pool shows up long after that. */
    double limit_s = 30 + 30 * time_scale; /* real seconds: not scaled by --scale */
    watchdog dog;
    watchdog_start(&dog, limit_s, tour_stuck, &limit_s);

    trace_thread_name("main");
    int ran = 0, passed = 0;
    for (int i = 0; i < NSECTIONS; i++) {
        if (only >= 0 && i != only)
            continue;
        printf("== %d. %s: %s ==\n", i + 1, sections[i].name, sections[i].title);
        ran++;
        int64_t t0 = trace_start();
        passed += sections[i].run();
        trace_span(t0, "section", "%s", sections[i].name);
    }
    watchdog_stop(&dog);
    trace_done_or_die(); /* every section destroyed its pool: all events are in */
    return verdict(passed == ran, "sections=%d passed=%d", ran, passed);
}
