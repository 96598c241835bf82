/*
 * 19_thread_local: one name, one copy per thread. A web server's workers each count the
 * requests they handle and stamp their log lines with the request they are on, without
 * a lock, because every thread has its own copy of those variables.
 *
 *   make && ./build/19_thread_local                  # 4 workers, each with its own copies
 *   ./build/19_thread_local --threads 16 --iterations 1000
 *
 * Notice: two ways to get per-thread storage. C11's _Thread_local: a variable declared
 * with it exists once per thread, starts at its initial value in every new thread, and
 * dies with its thread. (errno works this way: C11 gives it thread storage duration,
 * which is why one thread's failed call never clobbers another thread's errno.) The
 * workers print its address: different in every thread, while the code names the same
 * variable. POSIX's pthread_key_create is the older, more flexible way: a key under
 * which each thread stores its own pointer (pthread_setspecific / pthread_getspecific),
 * plus a destructor that runs in each thread as it exits, with that thread's pointer.
 * Here each worker's log buffer hangs on a key; it is made on the worker's first log
 * line, and the destructor adds the buffer's line count to the shared total and frees
 * it: exactly once per thread, without anyone having to remember to. Main's own copies
 * stay apart: main handles a few requests itself first, and the workers still start
 * from 0. Destructors do not run for main when it returns (exit() skips them), so main
 * never takes a buffer.
 * Try: delete _Thread_local from requests_handled (one counter for everybody, without a
 * lock): the per-worker tallies go wrong, and `make tsan` reports the race.
 *
 * Verdict: "RESULT threads=T iterations=I handled=H expected=H main_handled=3
 * lines_logged=H destructor_calls=T distinct_addresses=T+1 OK" (exit 0) when every
 * worker's own tally is exactly I, the merged totals are exact, main's copy is untouched,
 * the destructor ran once per worker and every thread's copy had its own address; FAIL
 * (exit 1) otherwise.
 */
#include "program.h"
#include "quizzes/19_thread_local.h" /* --quiz and --answers: its questions */

#include <stdatomic.h>

static const char usage[] =
    "[--threads N] [--iterations M]\n"
    "  N worker threads each handle M requests, counting them in a _Thread_local variable\n"
    "  and logging each through a per-thread buffer held by a pthread key.\n"
    "  --threads     1..256 (default 4)\n"
    "  --iterations  requests per worker, 1..100000000 (default 250000)\n";

enum { MAX_THREADS = 256, MAIN_REQUESTS = 3 };

/* ---- C11: _Thread_local ------------------------------------------------------------------ */

/* Every thread gets its own copy of each, initialised to 0 when the thread starts. */
static _Thread_local long requests_handled;   /* this thread's tally */
static _Thread_local long long current_request;   /* what the logger stamps on each line */

/* ---- POSIX: a key with a destructor -------------------------------------------------------- */

struct log_buffer {
    int worker;
    long lines;                  /* lines this thread has logged */
    char line[160];              /* the line being formatted: no other thread touches it */
};

static pthread_key_t log_buffer_key;

/* What the destructors hand over, for main to check after the joins. */
static pthread_mutex_t totals_lock = PTHREAD_MUTEX_INITIALIZER;
static long lines_logged;        /* under totals_lock: destructors run in many threads */
static atomic_int destructor_calls;

/* Runs in each exiting thread that stored a non-NULL pointer under the key, with that
 * pointer (POSIX first sets the thread's value back to NULL). */
static void retire_log_buffer(void *p)
{
    struct log_buffer *buf = p;
    PT_CHECK(pthread_mutex_lock(&totals_lock));
    lines_logged += buf->lines;
    PT_CHECK(pthread_mutex_unlock(&totals_lock));
    atomic_fetch_add(&destructor_calls, 1);
    free(buf);
}

/* This thread's buffer, made on first use. No lock: the key's value is per thread. */
static struct log_buffer *my_log_buffer(int worker)
{
    struct log_buffer *buf = pthread_getspecific(log_buffer_key);
    if (!buf) {
        buf = xcalloc(1, sizeof *buf);
        buf->worker = worker;
        PT_CHECK(pthread_setspecific(log_buffer_key, buf));
    }
    return buf;
}

/* The logger: formats into this thread's buffer, stamped with this thread's request,
 * and prints only when asked to (a real one would write every line somewhere). */
static void log_line(int worker, bool print, const char *what)
{
    struct log_buffer *buf = my_log_buffer(worker);
    snprintf(buf->line, sizeof buf->line, "worker %d, request %lld: %s", buf->worker,
             current_request, what);
    buf->lines++;
    if (print)
        puts(buf->line);
}

/* ---- the workers ------------------------------------------------------------------- */

struct worker {
    pthread_t tid;
    int id;
    long iterations;
    long handled;                /* copied out of the worker's _Thread_local tally */
    const void *tally_address;   /* where this thread's requests_handled lives */
};

static void handle_request(int worker, long long request, bool print)
{
    current_request = request;
    requests_handled++;          /* this thread's copy: no other thread can see it */
    log_line(worker, print, "handled");
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    w->tally_address = &requests_handled;
    printf("worker %d: my requests_handled is at %p and starts at %ld\n", w->id,
           w->tally_address, requests_handled);
    for (long i = 0; i < w->iterations; i++)
        handle_request(w->id, w->id * 1000000000LL + i, i == 0 || i == w->iterations - 1);
    w->handled = requests_handled;   /* hand the tally to main before the copy is gone */
    return NULL;                     /* ... and now the destructor runs, in this thread */
}

/* How many different addresses there are among n (one shared variable: 1). */
static int distinct(const void *const *addr, int n)
{
    int count = 0;
    for (int i = 0; i < n; i++) {
        bool first = true;       /* no earlier entry has this address */
        for (int j = 0; j < i; j++)
            first = first && addr[i] != addr[j];
        count += first;
    }
    return count;
}

/* ---- main ---------------------------------------------------------------------------- */

int main(int argc, char **argv)
{
    cli_setup(argv[0], usage);
    QUIZ(quiz);
    int nthreads = 4;
    long iterations = 250000;

    static const struct option opts[] = {
        { "threads", required_argument, NULL, 't' },
        { "iterations", required_argument, NULL, 'i' },
        CLI_QUIZ, CLI_HELP, CLI_END,
    };
    for (int c; (c = cli_next(argc, argv, opts)) != -1;) {
        switch (c) {
        case 't': nthreads = (int)parse_long("--threads", optarg, 1, MAX_THREADS); break;
        case 'i': iterations = parse_long("--iterations", optarg, 1, 100000000); break;
        }
    }

    PT_CHECK(pthread_key_create(&log_buffer_key, retire_log_buffer));

    /* Main's own copy: it counts a few requests of its own (without the logger). */
    for (int i = 0; i < MAIN_REQUESTS; i++)
        requests_handled++;
    printf("main: my requests_handled is at %p and holds %ld\n", (void *)&requests_handled,
           requests_handled);

    static struct worker workers[MAX_THREADS];
    for (int i = 0; i < nthreads; i++) {
        workers[i] = (struct worker){ .id = i + 1, .iterations = iterations };
        PT_CHECK(pthread_create(&workers[i].tid, NULL, worker_main, &workers[i]));
    }

    /* After each join, that worker's destructor has run and its fields are safe to read.
     * The addresses are compared only now: while unjoined, no thread's memory is reused. */
    static const void *addresses[MAX_THREADS + 1];
    long handled = 0;
    bool each_exact = true;
    for (int i = 0; i < nthreads; i++) {
        PT_CHECK(pthread_join(workers[i].tid, NULL));
        handled += workers[i].handled;           /* the merge of per-thread tallies */
        each_exact = each_exact && workers[i].handled == iterations;
        addresses[i] = workers[i].tally_address;
    }
    addresses[nthreads] = &requests_handled;
    PT_CHECK(pthread_key_delete(log_buffer_key));

    long expected = (long)nthreads * iterations;
    int calls = atomic_load(&destructor_calls);
    int unique = distinct(addresses, nthreads + 1);
    printf("main: the workers handled %ld requests; their log buffers, retired by %d "
           "destructor call%s, logged %ld lines; my own copy still holds %ld\n", handled,
           calls, calls == 1 ? "" : "s", lines_logged, requests_handled);

    bool ok = each_exact && handled == expected && lines_logged == expected &&
              requests_handled == MAIN_REQUESTS && calls == nthreads && unique == nthreads + 1;
    return verdict(ok, "threads=%d iterations=%ld handled=%ld expected=%ld main_handled=%ld "
                       "lines_logged=%ld destructor_calls=%d distinct_addresses=%d",
                   nthreads, iterations, handled, expected, requests_handled, lines_logged,
                   calls, unique);
}
