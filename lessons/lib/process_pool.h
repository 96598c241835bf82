/*
 * process_pool.h: a pool of worker processes, in the spirit of Python's multiprocessing.Pool,
 * made of fork, pipes and poll, and written to be read.
 *
 *   Python                                   here
 *   ---------------------------------------  ---------------------------------------------
 *   Pool(processes, initializer, initargs)   pp_create(&pool, &(pp_options){ .workers = 4,
 *                                              .init = f, .init_arg = &x, .init_len = ... },
 *                                              err, sizeof err)
 *   pool.apply(fn, args)                     pp_apply(pool, fn, &arg, sizeof arg, &result)
 *   pool.apply_async(fn, args) -> result     pp_apply_async(pool, fn, &arg, sizeof arg) -> job
 *   result.get(timeout)                      pp_get(pool, job, &result)  (.timeout option)
 *   result.ready()                           pp_ready(pool, job)
 *   pool.map(fn, items, chunksize)           pp_map(pool, fn, items, sizeof item, n, chunk,
 *                                              results)
 *   pool.imap_unordered(fn, items, chunk)    pp_imap_unordered(...) + pp_imap_next + pp_imap_free
 *   pool.close(); pool.join()                pp_close(pool); pp_join(pool)
 *   pool.terminate()                         pp_terminate(pool, grace_seconds)
 *   del pool / with Pool() as pool           pp_destroy(pool)
 *
 * HOW IT WORKS.  pp_create forks the workers at once, each with two pipes of its own: tasks
 * go down one, results come back up the other. A task is a function pointer plus argument
 * bytes. Sending a function pointer to another process sounds wrong, but a forked child is
 * a copy of this very program, so the function sits at the same address there. Arguments
 * and results are bytes copied through the pipes (Python pickles; we memcpy), framed with a
 * length so a message that arrives in pieces is put back together. A worker holds at most
 * two tasks: the one it runs and, if its message is small, the next, already in its pipe,
 * so that it starts on it the moment it answers instead of idling through a round trip.
 *
 * There are NO THREADS in the parent: whoever waits drives the pool. pp_get, pp_map,
 * pp_imap_next and pp_join sit in poll() on every worker's result pipe, hand queued tasks to
 * idle workers and collect answers. So a fork never happens beside a helper thread of ours
 * (a child of a multi-threaded process may only call async-signal-safe functions until it
 * execs, and our workers run your code), and nothing ever polls in a sleep loop.
 *
 * A WORKER THAT DIES is noticed by the same poll(): when a process ends, the kernel closes
 * its end of the result pipe, and we read end-of-file. We reap it with waitpid, and the
 * task it held comes back failed, as a value, with the reason:
 *     "worker 1 (pid 4242) killed by signal 9 (Killed)"
 * Then a fresh worker takes its place (or, with .no_respawn, the pool declares itself broken
 * and every waiting task fails with the reason, like concurrent.futures' BrokenProcessPool).
 * Compare multiprocessing.Pool, where a killed worker's task is simply never answered and
 * result.get() waits forever.
 *
 * A FAILING INITIALIZER fails pp_create: it returns PP_FAILED and says which worker failed
 * and why. If a replacement worker's initializer fails later, the pool is broken. Nothing is
 * ever respawned in a loop (multiprocessing.Pool respawns such workers forever).
 *
 * RULES OF USE.
 *   - Create pools (and let workers be replaced) while your program has one thread: that is
 *     when fork is safe. Lesson 14 creates its process pool first thing in main. On Linux
 *     a worker dies with the thread that forked it (so that none outlives a killed parent,
 *     stopped or not): use a pool from the thread that made it, as the next rule says.
 *   - One thread uses a pool and its jobs; the pool has no locks.
 *   - A task and an initializer must be functions of this program (not of a library loaded
 *     after pp_create). They run in a worker: they see a copy of the parent's memory as it
 *     was at the fork, and whatever they change stays in the worker.
 *   - The pool sets SIGPIPE to "ignore" if it was at its default, so that writing to a dead
 *     worker gives an EPIPE error instead of killing your program. Workers put SIGPIPE,
 *     SIGTERM and SIGINT back to their defaults and unblock every signal.
 *   - Every child is reaped and every descriptor is closed by pp_join, pp_terminate or
 *     pp_destroy; descriptors are close-on-exec, and each worker closes every pipe end that
 *     is not its own (also those of your other pools), so closing a pipe is always seen as
 *     end-of-file by the one process at its other end.
 *   - If your program dies, its workers read end-of-file on their task pipe and exit.
 *
 * RESULTS ARE VALUES.  Every way a task can end is a pp_result: PP_OK with the reply bytes,
 * PP_FAILED (the task called pp_reply_error), PP_DIED (its worker died), PP_TIMEOUT, and
 * PP_BROKEN / PP_CLOSED / PP_TERMINATED from the pool's state. Submitting never fails: a job
 * submitted to a closed pool simply ends at once with PP_CLOSED.
 */
#ifndef LESSONS_PROCESS_POOL_H
#define LESSONS_PROCESS_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct pp_pool pp_pool;
typedef struct pp_job pp_job;   /* one apply_async: a handle until pp_get collects it */
typedef struct pp_imap_it pp_imap_it; /* an imap_unordered in progress */

/* ---- tasks, as the worker sees them ------------------------------------------------ */

/* Where a task puts its answer. */
typedef struct pp_reply pp_reply;

/* A task runs in a worker process: it reads its argument bytes and answers with
 * pp_reply_bytes (the result) or pp_reply_error (a failure). Saying nothing is a success
 * with no bytes. */
typedef void (*pp_fn)(const void *arg, size_t len, pp_reply *reply);

/* The result bytes (copied; the last call wins). */
void pp_reply_bytes(pp_reply *reply, const void *data, size_t len);

/* A failure, with a message for people (printf-style, truncated to PP_ERROR_MAX - 1). */
void pp_reply_error(pp_reply *reply, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 2, 3))) /* lets the compiler check the format */
#endif
    ;

/* ---- results, as the caller sees them ---------------------------------------------- */

typedef enum {
    PP_OK,         /* the task answered: data, len */
    PP_FAILED,     /* the task said it failed (pp_reply_error): error */
    PP_DIED,       /* the worker running it died: error names the signal or exit status */
    PP_TIMEOUT,    /* no answer within the pool's .timeout; the task may still be running */
    PP_BROKEN,     /* the pool is broken (pp_error says why); the task did not finish */
    PP_CLOSED,     /* submitted after pp_close or pp_join */
    PP_TERMINATED, /* the pool was terminated before the task finished */
} pp_status;

#define PP_ERROR_MAX 200

typedef struct {
    pp_status status;
    void *data;               /* PP_OK: the reply bytes (malloc'd, yours), or NULL if none */
    size_t len;               /* their number */
    char error[PP_ERROR_MAX]; /* anything else: what happened, in one line */
} pp_result;

/* Frees r->data (and sets it to NULL). */
void pp_result_free(pp_result *r);

/* "ok", "failed", "died", "timeout", "broken", "closed", "terminated". */
const char *pp_status_name(pp_status s);

/* ---- creating and ending a pool ---------------------------------------------------- */

typedef struct {
    int workers;          /* processes to fork, 1 to PP_MAX_WORKERS */
    pp_fn init;           /* runs once in each worker before its first task; NULL = none.
                           * It fails by calling pp_reply_error (its reply bytes are ignored) */
    const void *init_arg; /* its argument bytes (copied by pp_create) */
    size_t init_len;
    double timeout;       /* the longest any one call waits, in seconds; 0 = no limit.
                           * It bounds the pipes too: a worker that stops reading a big
                           * task, or stops halfway through sending an answer (stopped,
                           * hung), is killed at the deadline and replaced; a task whose
                           * message was half sent goes back to the queue, one whose answer
                           * was half received ends PP_TIMEOUT */
    bool no_respawn;      /* a dead worker breaks the pool instead of being replaced */
} pp_options;

#define PP_MAX_WORKERS 256

/* Forks the workers and waits until each has run its initializer. Returns PP_OK with the
 * pool in *out; or PP_TIMEOUT (the initializers did not finish within .timeout) or
 * PP_FAILED (bad options, fork or pipe refused, an initializer failed or its worker died),
 * with *out = NULL and a one-line reason in err; then no child and no descriptor is left
 * behind. Like tp_create, which has no reason string because its codes say it all. */
pp_status pp_create(pp_pool **out, const pp_options *opt, char *err, size_t err_len);

/* No new tasks from now on (they end PP_CLOSED); queued ones still run. */
void pp_close(pp_pool *p);

/* Closes the pool, waits for every task to finish, then tells the workers to exit (it closes
 * their task pipes: they read end-of-file) and reaps them. true if every worker exited with
 * status 0; false if one did not (pp_error says which), or if .timeout passed first (then
 * the workers are terminated). */
bool pp_join(pp_pool *p);

/* Stops at once: queued tasks end PP_TERMINATED; every worker gets SIGTERM, and after
 * `grace` seconds the ones still alive get SIGKILL; all are reaped. Running tasks end
 * PP_TERMINATED unless their answer arrives during the grace period. */
void pp_terminate(pp_pool *p, double grace);

/* Terminates (grace 1 s) if not joined or terminated yet, then frees the pool, every job
 * not collected by pp_get, and every descriptor. Free your iterators first. p may be NULL. */
void pp_destroy(pp_pool *p);

/* NULL while the pool is healthy; otherwise why it is broken, or why pp_join returned
 * false. */
const char *pp_error(const pp_pool *p);

int pp_workers(const pp_pool *p);

/* The pid of worker i (0 <= i < pp_workers), or 0 if that slot has no live process. */
pid_t pp_worker_pid(const pp_pool *p, int i);

typedef struct {
    unsigned long forked;      /* processes started, the replacements included */
    unsigned long died;        /* workers that died while the pool still needed them */
    unsigned long replaced;    /* ... and were replaced */
    char last_death[PP_ERROR_MAX]; /* the latest such death, "" if none */
} pp_stats;

void pp_get_stats(const pp_pool *p, pp_stats *out);

/* The CPU seconds (user + system) the live workers have used so far, summed; NAN where a
 * worker's clock cannot be read (cpu.h: Linux only). Subtract two readings around some
 * work; a worker reaped in between takes its time along (see cpu_seconds_children). */
double pp_cpu_seconds(const pp_pool *p);

/* ---- one task ---------------------------------------------------------------------- */

/* Runs fn(arg) in a worker and waits for it. Returns out->status; *out is yours (free it
 * with pp_result_free). */
pp_status pp_apply(pp_pool *p, pp_fn fn, const void *arg, size_t len, pp_result *out);

/* Queues fn(arg) (the bytes are copied now) and hands it to an idle worker if there is one;
 * returns at once with a handle for pp_get. */
pp_job *pp_apply_async(pp_pool *p, pp_fn fn, const void *arg, size_t len);

/* Collects the task's result, waiting at most .timeout. The handle is used up either way:
 * after PP_TIMEOUT the task may still run, and its answer is thrown away when it comes. */
pp_status pp_get(pp_pool *p, pp_job *job, pp_result *out);

/* Has the task ended? Looks at the pipes without waiting. */
bool pp_ready(pp_pool *p, pp_job *job);

/* ---- many tasks -------------------------------------------------------------------- */

/* Python's default chunk size: ceil(n / (4 * workers)), at least 1. */
size_t pp_default_chunk(const pp_pool *p, size_t n);

/* results[i] = fn(item i), where item i is the `size` bytes at (char *)items + i * size.
 * Items travel `chunk` at a time (0 = pp_default_chunk): one message to a worker, which runs
 * them one after another and answers them in one message, so the cost of a round trip is
 * shared by the chunk. If the worker dies, every item of its chunk ends PP_DIED. Results are
 * in input order whatever order the workers finish in. Returns how many items did not end
 * PP_OK. n == 0 does nothing and returns 0. */
size_t pp_map(pp_pool *p, pp_fn fn, const void *items, size_t size, size_t n, size_t chunk,
              pp_result results[]);

/* Like pp_map, but results are handed out one at a time in the order they come back:
 *     pp_imap_it *it = pp_imap_unordered(pool, fn, items, sizeof items[0], n, 0);
 *     size_t i; pp_result r;
 *     while (pp_imap_next(it, &i, &r)) { ... item i's result ...; pp_result_free(&r); }
 *     pp_imap_free(it);
 * pp_imap_next waits at most .timeout for the next result; after a timeout every item still
 * missing comes out PP_TIMEOUT. */
pp_imap_it *pp_imap_unordered(pp_pool *p, pp_fn fn, const void *items, size_t size, size_t n,
                              size_t chunk);
bool pp_imap_next(pp_imap_it *it, size_t *index, pp_result *out);
void pp_imap_free(pp_imap_it *it); /* it may be NULL; items not handed out are abandoned */

#endif
