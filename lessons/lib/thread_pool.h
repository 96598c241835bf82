/*
 * thread_pool.h: a thread pool with futures, in one mutex and a few condition variables.
 *
 * What Python gives you in multiprocessing.pool.ThreadPool and
 * concurrent.futures.ThreadPoolExecutor, in C you can read in one sitting:
 *
 *   Python                                   here
 *   ---------------------------------------  ---------------------------------------------
 *   ThreadPoolExecutor(max_workers, prefix,  tp_create(&pool, &(tp_options){ .workers = 4,
 *     initializer, initargs)                   .name_prefix = "io", .initializer = f, ... })
 *   executor.submit(fn, arg) -> Future       tp_submit(pool, fn, arg, &future)
 *   (a bounded queue)                        tp_try_submit (refuses when full), tp_submit_timed
 *   fire and forget                          tp_submit_detached(pool, fn, arg)
 *   pool.apply(fn, args)                     tp_apply(pool, fn, arg, &result)
 *   pool.apply_async(fn, args, callback)     tp_apply_async(pool, fn, arg, cb, ctx, &future)
 *   future.result(timeout)                   tp_future_result(f, timeout_s, &result)
 *   future.exception(timeout)                tp_future_exception(f, timeout_s, &status)
 *   future.cancel() / cancelled / running    tp_future_cancel / tp_future_state
 *   future.done() / AsyncResult.ready()      tp_future_done
 *   AsyncResult.wait(timeout)                tp_future_wait(f, timeout_s)
 *   AsyncResult.successful()                 tp_future_state(f) == TP_DONE_OK
 *   future.add_done_callback(fn)             tp_future_add_done_callback(f, fn, ctx)
 *   concurrent.futures.wait(fs, timeout,     tp_wait(fs, n, TP_FIRST_COMPLETED |
 *     return_when)                             TP_FIRST_EXCEPTION | TP_ALL_COMPLETED, timeout_s)
 *   concurrent.futures.as_completed(fs)      tp_as_completed_init / tp_as_completed_next
 *   pool.map(fn, items, chunksize)           tp_map(pool, fn, args, n, chunksize, results, st)
 *   pool.starmap(fn, [(a, b), ...])          tp_starmap(pool, fn, args, n, nargs, chunksize, ...)
 *   pool.map_async / starmap_async           tp_map_async / tp_starmap_async -> a future
 *   executor.map(fn, items, timeout)         tp_map_async, then tp_future_wait(f, timeout)
 *   pool.imap / imap_unordered               tp_imap / tp_imap_unordered + tp_imap_next
 *   pool.close(); pool.join()                tp_close(pool); tp_join(pool)
 *   pool.terminate()                         tp_terminate(pool)
 *   executor.shutdown(wait, cancel_futures)  tp_shutdown(pool, wait, cancel_pending)
 *   threading.current_thread().name          tp_current_worker_name()
 *
 * TASKS.  A task is a C function
 *
 *     int task(void *arg, void **result);
 *
 * It returns 0 on success or any non-zero status on failure (use errno values, or your own
 * codes: the pool never interprets them). That status is C's exception: it travels to whoever
 * asks the future (tp_future_result returns TP_EFAILED, tp_future_exception gives the status).
 * A failing task never harms the pool or the other tasks. *result starts as NULL; the task may
 * store a pointer (or an integer cast through intptr_t) there, also when it fails (an error
 * message, say).
 *
 * ERRORS.  Every call that can fail returns an int: TP_OK (0) or one of the negative TP_E*
 * codes below; tp_strerror(code) says what it means. Task statuses and pool codes never mix:
 * a task's status only ever comes out of tp_future_exception, a tp_item or a statuses[] array.
 *
 * TIMEOUTS are in seconds, measured on CLOCK_MONOTONIC (a wall-clock jump changes nothing).
 * A negative timeout (or NaN) waits forever; 0 only looks. A timeout never cancels anything:
 * the task keeps its place and its result can still be fetched later.
 *
 * STATE MACHINES (all state lives under the pool's one mutex).
 *
 *   A future:
 *
 *       PENDING --a worker starts it--> RUNNING --task returns 0------> DONE_OK
 *          |                                    --task returns != 0--> DONE_FAILED
 *          +--tp_future_cancel, tp_terminate, tp_shutdown(.., cancel_pending)--> CANCELLED
 *
 *     Only a PENDING future can be cancelled; once a worker has claimed it, it runs to the
 *     end (a task handed straight to a spinning worker, see WAITING, is RUNNING from its
 *     submit on). DONE_OK, DONE_FAILED and CANCELLED are final ("done"). On the one
 *     transition into a final state the future's done callbacks run, each exactly once, with
 *     no pool lock held: in the worker that finished the task (or the helping caller that
 *     did, see THE CALLER HELPS), in the thread that cancelled it, or at once in the thread
 *     calling tp_future_add_done_callback if the future is already done.
 *     A map future is RUNNING as soon as any chunk has started.
 *
 *   The pool:
 *
 *       OPEN --tp_close / tp_shutdown--> CLOSED: no new work; the queue drains
 *         \                               |  (tp_terminate / cancel_pending: cancel the queue)
 *          +--tp_terminate-------------> CLOSED, queue emptied, every queued future CANCELLED
 *                                         |
 *                                         v  workers finish their current task and exit
 *                                       JOINED (tp_join / tp_shutdown(wait) / tp_destroy)
 *
 *     Submitting to a CLOSED pool returns TP_ECLOSED. Nothing queued is ever dropped without
 *     a trace: it runs, or its future becomes CANCELLED, or (fire-and-forget) it is counted
 *     in tp_stats.cancelled. Every worker is joined before tp_join returns.
 *
 *   A worker:  starting --initializer ok--> waiting for work <--> running a task
 *                  |                              |
 *                  +--initializer fails--> exit   +--pool CLOSED and queue empty--> exit
 *
 *     Waiting for work, under TP_WAIT_SPIN (the default on 2+ CPUs; see WAITING): spinning
 *     (at most one worker, for up to spin_us) --nothing came--> parked on the condition
 *     variable; work or the close ends either, and a submit may hand the spinner its task
 *     directly. Under TP_WAIT_PARK a worker parks at once.
 *
 *     A failing initializer breaks the pool once and for all: tp_create waits for every
 *     worker's initializer, and if one fails it stops the others and returns TP_EINIT. No
 *     worker is ever respawned.
 *
 * OWNERSHIP.
 *   - A future is reference counted. tp_submit hands you one reference; drop it with
 *     tp_future_release when you no longer care (even while the task still runs: the pool
 *     keeps its own reference until it is done with the future). tp_future_retain adds one,
 *     e.g. for a second thread.
 *   - Task arguments, results and the arrays given to the map family belong to the caller and
 *     must stay valid until the task (or the map future) is done.
 *   - tp_destroy joins the pool and frees it. Futures you still hold stay valid after it (they
 *     are all done by then): the pool's last bytes are freed with the last future. Like
 *     free(), call it when no other thread is inside a tp_ call on the pool any more (to wake
 *     threads blocked in a submit, tp_close or tp_terminate first, then join them).
 *
 * CALLBACKS AND RE-ENTRY.  Callbacks and tasks may call any function here. The calls that
 * would wait for the pool itself (tp_join, tp_drain, tp_shutdown with wait, tp_destroy)
 * return TP_EDEADLK when made from one of the pool's own workers, and a blocking submit from
 * a worker does not wait for queue space (workers are the only ones who make space): it
 * returns TP_EFULL like tp_try_submit. A task waiting on another future of its own pool can
 * still deadlock if every worker does it; give such waits a timeout.
 *
 * WAITING.  Waking a parked thread is the expensive part of handing over small work: on a
 * 2-vCPU VM a condition-variable round trip between two threads costs 20-40 us (an idle
 * virtual CPU is slow to wake), a spinning hand-over under 1 us. So under TP_WAIT_SPIN a
 * worker that finds the queue empty first spins for up to spin_us (default 50 us,
 * about one measured wake-up: by the ski-rental argument, waiting that long before paying
 * for a sleep costs at most twice the best choice made in hindsight; oneTBB and libgomp
 * spin for the same reason), watching a counter that every submit and the close move, then
 * parks. At most one worker spins while the others sleep, and a submitter signals a sleeper
 * only when the spinner cannot take all the new work; after spinning, the worker re-checks
 * the queue under the mutex before it parks, so a submit at the last moment is never
 * missed. A submit that finds the queue empty and a worker spinning hands the task to that
 * worker directly, through a one-cache-line mailbox, already claimed: the worker starts it
 * without taking the mutex, so a task handed over starts after about one cache-line
 * transfer (on that VM, submit-to-start p50 0.17-0.19 us against 0.40-0.45 us through the
 * queue, bench/peers latency, three paired runs). A spinner that sees queued work come
 * tries the mutex (under 6 us) rather than block on it, since the submitter is about to
 * let go and a blocked lock costs two system calls (thread_pool.c, lock_after_spin). A
 * thread waiting for a future that is not done yet (tp_future_result, _wait, _exception,
 * and so tp_apply and tp_map) spins the same way first, up to spin_us or its timeout,
 * watching a counter that every future made final moves, then re-checks under the mutex
 * and parks; it spins only while the workers running or being woken leave a CPU free
 * (otherwise it would take one from the work it waits for); tp_wait and as_completed park
 * at once.
 * What it burns: up to spin_us of one CPU each time the queue runs dry (a 50 us spin after
 * every burst), and up to spin_us per wait for a future. TP_WAIT_PARK parks at once (no
 * spinning, a wake-up per burst and per wait).
 * The default is spin, on 2+ CPUs. Five full `make bench` runs on that VM (bench/peers,
 * both pools in each run, 7 processes each) measured spin against park: submit-to-start
 * p50 182-199 ns against 13-15 us; fire-and-forget dispatch 164-226 against 185-231 ns per
 * task, spin faster in 3 of the 5; 20 tasks of 30 us level within the noise; and, in the
 * last three, a tp_apply round trip of 0.9-1.1 us against 77-79 us (two of them) and an
 * idle pool at 0.03-0.05% of a CPU against 0.008%. Spinning bought latency at every size
 * and cost nothing the benchmarks could see. (Earlier, before the hand-over and the
 * waiter's CPU check, it did cost: 20 tasks of 30 us ran at 0.91x against park's 1.64x in
 * one full run. Paired runs inside one process later put spin's dispatch 15-30% behind;
 * the full runs did not reproduce that.) Choose TP_WAIT_PARK where a CPU spent waiting is
 * worth more than the wake-up: a pool sharing its CPUs with other busy programs, or a
 * battery. On one CPU (the CPUs the creating thread may run on, cpus_allowed: `taskset -c
 * 0` makes one) the default parks: a spinner would hold the very CPU its submitter needs.
 * The environment variable TP_WAIT_POLICY=park|spin overrides .wait = TP_WAIT_DEFAULT (any
 * other value is ignored), as OMP_WAIT_POLICY does for OpenMP.
 * valgrind's helgrind does not see C11 atomics: the spins' two counters and each
 * worker's hand-over flag are excluded from its checks, and the hand-over through that flag
 * is announced to it as one (client requests, when valgrind's headers are installed);
 * ThreadSanitizer checks them as they are.
 *
 * THE CALLER HELPS.  tp_map and tp_starmap wait for the workers, and on a VM the wait
 * itself costs: the workers must be woken (tens of microseconds each when they are parked)
 * and so must the caller at the end. In a pool made with .caller_helps, the thread in
 * tp_map or tp_starmap instead claims the map's chunks itself, one at a time and the same
 * way a worker does, until none is left, and only then waits for the chunks workers still
 * run; libgomp's and oneTBB's waiting threads take part in the same way. The first chunk
 * starts at once and the wake-ups are paid while the caller works. What changes: a chunk
 * the caller runs sees tp_current_worker_index() == -1 and tp_current_worker_name() ==
 * NULL (it is not a worker), so per-worker state indexed by them needs a slot for the
 * caller; up to workers + 1 items of a pool run at once (give the pool one worker fewer to
 * keep the count); tp_stats.running and tp_drain count the caller while it runs a chunk. A
 * task may tp_map on its own pool then: its worker runs the chunks instead of waiting for
 * itself. A wait for a future without a timeout (tp_future_result, _wait or _exception with
 * a negative timeout, and so tp_apply), from a thread that is not one of the pool's
 * workers, helps too: while its future is not done it runs the work at the head of the
 * queue itself, whatever that is, and stops as soon as its future is done; the done
 * callbacks of what it ran run in it. oneTBB's task_group::wait does the same. Single
 * submits gain most, since each task the waiter runs needs no hand-over and no wake-up: on
 * the 2-vCPU VM, 20,000 tasks of 9.5 us submitted one by one and then waited for in turn
 * ran 1.85-1.91x faster than serially on one worker and the helping caller, against
 * 1.38-1.40x on two workers that do not help (bench/granularity, two paired runs). A wait
 * with a timeout (it could not keep it while running a task), tp_wait, as_completed and
 * tp_map_async never help. Off by default, for two reasons: the -1, and that a helping
 * waiter runs whatever is at the head of the queue, not only what it waits for. A caller
 * that waits while it holds a lock may then run a task that takes the same lock, and deadlock
 * where a pool that does not help would only have kept that task waiting for a worker;
 * oneTBB's documentation describes the same hazard under "work isolation"
 * (this_task_arena::isolate is its remedy).
 *
 * SPEED.  The queue is a ring of task slots (no allocation for a fire-and-forget task), a
 * worker is signalled only when one is idle and not already being woken, submitters are
 * woken only when one waits for space, and a worker finishes one task and takes the next in
 * the same critical section. A map puts one slot in the queue however many items it has;
 * workers claim its chunks from that slot. A worker claims one task at a time, even from a
 * long queue of fire-and-forget tasks: claiming up to 8 under one lock (at most the queue's
 * length / (2 x workers)) made empty fire-and-forget tasks 25-35% cheaper on the 2-vCPU VM
 * (bench/peers dispatch, three pairs: 145, 131, 160 ns against 190, 180, 224), but a worker
 * would then hold tasks that an idle worker could have started, and a task waiting for a
 * later one in its own batch would wait forever. As in Python's pools, a queued task waits
 * only while no worker is free, or while one is being woken for it.
 */
#ifndef LESSONS_THREAD_POOL_H
#define LESSONS_THREAD_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct tp_pool tp_pool;
typedef struct tp_future tp_future;

/* ---- errors -------------------------------------------------------------------------- */

enum {
    TP_OK = 0,
    TP_EFAILED = -1,    /* the task returned a non-zero status (see tp_future_exception) */
    TP_ETIMEDOUT = -2,  /* the timeout passed first; nothing was cancelled */
    TP_ECANCELLED = -3, /* the future was cancelled before it ran */
    TP_ECLOSED = -4,    /* the pool is closed (or terminated): no new work */
    TP_EFULL = -5,      /* the queue is full (try-submit, timed submit, submit from a worker) */
    TP_EINIT = -6,      /* a worker's initializer failed: the pool was not created */
    TP_EINVAL = -7,     /* a bad argument, or a call that the pool's state does not allow */
    TP_ENOMEM = -8,     /* out of memory */
    TP_EDEADLK = -9,    /* a worker asked to wait for its own pool (join, drain, destroy) */
    TP_EDONE = -10,     /* an iterator has no more items */
    TP_ESYSTEM = -11,   /* the system refused a thread (pthread_create failed) */
};

/* A short English description of a TP_* code (never NULL). */
const char *tp_strerror(int code);

/* ---- tasks and callbacks ------------------------------------------------------------- */

/* A task: 0 = success, non-zero = failure (the "exception"); may set *result. */
typedef int tp_task_fn(void *arg, void **result);

/* A starmap task: gets nargs arguments, like Python's fn(*args). */
typedef int tp_star_fn(void *const argv[], size_t nargs, void **result);

/* A done callback: runs exactly once when f becomes final. f is valid during the call (do
 * not release it there unless you retained it for that purpose). */
typedef void tp_done_fn(tp_future *f, void *ctx);

/* A worker initializer: runs once in each worker before its first task; non-zero = failure. */
typedef int tp_init_fn(void *arg);

/* ---- creating and ending a pool ------------------------------------------------------ */

/* How an idle worker waits for work (WAITING above). */
typedef enum { TP_WAIT_DEFAULT, TP_WAIT_SPIN, TP_WAIT_PARK } tp_wait_policy;

typedef struct tp_options {
    int workers;            /* number of threads; 0 = online CPUs (sysconf) */
    tp_wait_policy wait;    /* TP_WAIT_DEFAULT: $TP_WAIT_POLICY if set, else spin (park
                             * on a single CPU) */
    double spin_us;         /* TP_WAIT_SPIN: the longest spin, microseconds; 0 = 50 */
    bool caller_helps;      /* tp_map, tp_starmap and untimed waits for a future: the
                             * caller runs queued work too (THE CALLER HELPS); false = it
                             * only waits, like Python's pool.map and future.result() */
    size_t queue_capacity;  /* queued tasks at most; 0 = unbounded */
    const char *name_prefix; /* workers are named "prefix-0", "prefix-1", ...; NULL = "tp";
                              * a timeline (trace.h) labels each worker's row so */
    tp_init_fn *initializer; /* NULL = none */
    void *initarg;          /* passed to the initializer */
} tp_options;

/* Starts the workers and waits until each has run its initializer. opts may be NULL (all
 * defaults); a zeroed tp_options means the same. Returns TP_OK and sets *out, or TP_EINVAL,
 * TP_ENOMEM, TP_ESYSTEM, TP_EINIT (and *out = NULL). */
int tp_create(tp_pool **out, const tp_options *opts);

/* No new work from now on; queued tasks still run. Idempotent. */
void tp_close(tp_pool *p);

/* Close, then cancel everything still queued (every waiter wakes; queued futures become
 * CANCELLED); running tasks finish. Does not wait for them: call tp_join. Idempotent. */
void tp_terminate(tp_pool *p);

/* Waits until every worker has exited and been joined. The pool must be closed or terminated
 * first (TP_EINVAL otherwise, like Python); TP_EDEADLK from a worker. Many threads may join. */
int tp_join(tp_pool *p);

/* concurrent.futures' shutdown: close; cancel the queue if cancel_pending; join if wait. */
int tp_shutdown(tp_pool *p, bool wait, bool cancel_pending);

/* Shuts down (wait, no cancel) if not done yet, joins, and frees the pool. p may be NULL.
 * TP_EDEADLK (and nothing freed) from one of the pool's workers. */
int tp_destroy(tp_pool *p);

/* Waits until the queue is empty and no task is running (nor its callbacks), without
 * closing the pool (useful between benchmark rounds). TP_OK, TP_ETIMEDOUT, or TP_EDEADLK
 * from a worker. */
int tp_drain(tp_pool *p, double timeout_s);

/* Counters since tp_create. Tasks are counted per item: a map of n items counts n. After
 * tp_join: submitted == succeeded + failed + cancelled. */
typedef struct tp_stats {
    uint64_t submitted, succeeded, failed, cancelled;
    size_t queued;  /* slots in the queue right now (a whole map is one slot) */
    size_t running; /* workers (and helping callers) running a task or its callbacks now */
    int workers;
    int waiting_for_space;   /* threads blocked in a submit on a full queue right now */
    int waiting_for_futures; /* threads blocked in a future wait (result, tp_wait, ...) */
    bool spins;              /* the wait policy in force is TP_WAIT_SPIN */
    uint64_t spun, spun_into_work; /* spins so far; those that ended with work come */
} tp_stats;
void tp_get_stats(tp_pool *p, tp_stats *out);

int tp_pool_workers(const tp_pool *p);

/* "prefix-N" when called from a pool worker (in a task, initializer or callback run by a
 * worker), NULL from any other thread and in work a helping caller runs (as below). The
 * string lives as long as the worker. */
const char *tp_current_worker_name(void);

/* 0..workers-1 in a pool worker, -1 elsewhere (also in work a helping caller runs, even
 * when that caller is a worker of another pool). */
int tp_current_worker_index(void);

/* ---- submitting one task ------------------------------------------------------------- */

/* Queues fn(arg). If out is not NULL, *out receives a new future (one reference, yours);
 * if out is NULL the task is fire-and-forget (no future, no allocation). Blocks while a
 * bounded queue is full. TP_OK, TP_ECLOSED, TP_ENOMEM, TP_EINVAL; TP_EFULL from a worker. */
int tp_submit(tp_pool *p, tp_task_fn *fn, void *arg, tp_future **out);

/* Like tp_submit but never blocks: TP_EFULL when the queue is full. */
int tp_try_submit(tp_pool *p, tp_task_fn *fn, void *arg, tp_future **out);

/* Like tp_submit but waits for queue space at most timeout_s: TP_EFULL when it passes. */
int tp_submit_timed(tp_pool *p, tp_task_fn *fn, void *arg, double timeout_s, tp_future **out);

/* Fire-and-forget, the cheapest submit: tp_submit(p, fn, arg, NULL). */
int tp_submit_detached(tp_pool *p, tp_task_fn *fn, void *arg);

/* Submit with a done callback attached before the task is queued, so it runs in the worker
 * (Python's apply_async(callback=..., error_callback=...): the callback looks at the state).
 * out may be NULL (then only the callback sees the future). */
int tp_apply_async(tp_pool *p, tp_task_fn *fn, void *arg, tp_done_fn *cb, void *ctx,
                   tp_future **out);

/* Submit and wait: returns TP_OK (and *result), TP_EFAILED with *status set (status may be
 * NULL), or a submit error. */
int tp_apply(tp_pool *p, tp_task_fn *fn, void *arg, void **result, int *status);

/* ---- futures ------------------------------------------------------------------------- */

typedef enum tp_state {
    TP_PENDING,
    TP_RUNNING,
    TP_DONE_OK,
    TP_DONE_FAILED,
    TP_CANCELLED,
} tp_state;

tp_state tp_future_state(tp_future *f);
bool tp_future_done(tp_future *f); /* DONE_OK, DONE_FAILED or CANCELLED */
const char *tp_state_name(tp_state s);

/* Waits until f is done: TP_OK, or TP_ETIMEDOUT. */
int tp_future_wait(tp_future *f, double timeout_s);

/* Waits, then: TP_OK and *result (result may be NULL); TP_EFAILED (the task's status from
 * tp_future_exception; *result is what the task stored); TP_ECANCELLED; TP_ETIMEDOUT. */
int tp_future_result(tp_future *f, double timeout_s, void **result);

/* Waits, then TP_OK and *status = the task's status (0 if it succeeded); or TP_ECANCELLED
 * or TP_ETIMEDOUT. */
int tp_future_exception(tp_future *f, double timeout_s, int *status);

/* Cancels a PENDING future. true if f is now cancelled (also if it already was); false if it
 * is running or finished. The callbacks of a freshly cancelled future run in this thread. */
bool tp_future_cancel(tp_future *f);

/* Runs fn(f, ctx) once when f is done; at once, in this thread, if it already is.
 * TP_OK or TP_ENOMEM. */
int tp_future_add_done_callback(tp_future *f, tp_done_fn *fn, void *ctx);

void tp_future_retain(tp_future *f);
void tp_future_release(tp_future *f); /* f may be NULL */

/* ---- waiting on many futures --------------------------------------------------------- */

typedef enum tp_wait_mode {
    TP_FIRST_COMPLETED, /* any one is done */
    TP_FIRST_EXCEPTION, /* any one is DONE_FAILED, or else all are done */
    TP_ALL_COMPLETED,   /* all are done */
} tp_wait_mode;

/* Waits until the mode's condition holds: TP_OK, or TP_ETIMEDOUT. All futures must come
 * from the same pool (TP_EINVAL otherwise). Look at each future's state for the outcome. */
int tp_wait(tp_future *const fs[], size_t n, tp_wait_mode mode, double timeout_s);

/* as_completed: yields the futures in the order they finish. The array is reordered in
 * place: after k calls, fs[0..k) are the first k finished futures, in finishing order.
 *
 *     tp_as_completed_it it;
 *     tp_as_completed_init(&it, fs, n);
 *     for (tp_future *f; tp_as_completed_next(&it, -1, &f) == TP_OK; ) ...
 */
typedef struct tp_as_completed_it {
    tp_future **fs;
    size_t n, next;
} tp_as_completed_it;
void tp_as_completed_init(tp_as_completed_it *it, tp_future **fs, size_t n);
/* TP_OK and *out (not a new reference), TP_EDONE after the last, or TP_ETIMEDOUT (timeout
 * per call). */
int tp_as_completed_next(tp_as_completed_it *it, double timeout_s, tp_future **out);

/* ---- the map family ------------------------------------------------------------------ */

/* Python's default chunk size: ceil(n / (4 * workers)), at least 1. */
size_t tp_default_chunksize(size_t n, int workers);

/* results[i] = fn(args[i]); statuses[i] = its status. The input order is kept whatever order
 * the workers finish in. chunksize 0 = tp_default_chunksize; items of one chunk run one
 * after another in one thread (a worker, or the caller in a .caller_helps pool). results
 * and statuses may be NULL. Items of chunks that never ran (tp_terminate) get status
 * TP_ECANCELLED.
 * Returns TP_OK (all succeeded), TP_EFAILED (at least one failed; see statuses),
 * TP_ECANCELLED (terminated before any chunk started), or a submit error. */
int tp_map(tp_pool *p, tp_task_fn *fn, void *const args[], size_t n, size_t chunksize,
           void *results[], int statuses[]);

/* The same without waiting: *out is a future that is done when every item is, whose result
 * is `results` and whose exception is the status of the lowest-numbered failed item. The
 * arrays must outlive the future's completion. n == 0 gives a future that is already done. */
int tp_map_async(tp_pool *p, tp_task_fn *fn, void *const args[], size_t n, size_t chunksize,
                 void *results[], int statuses[], tp_future **out);

/* starmap: item i calls fn(&args[i * nargs], nargs, &results[i]), i.e. args is an n x nargs
 * table, one row per call, like Python's list of argument tuples. */
int tp_starmap(tp_pool *p, tp_star_fn *fn, void *const args[], size_t n, size_t nargs,
               size_t chunksize, void *results[], int statuses[]);
int tp_starmap_async(tp_pool *p, tp_star_fn *fn, void *const args[], size_t n, size_t nargs,
                     size_t chunksize, void *results[], int statuses[], tp_future **out);

/* ---- lazy maps: imap and imap_unordered ---------------------------------------------- */

/* Produces the next input: true and *arg, or false when there are no more. Called only in
 * the thread that calls tp_imap_next (or tp_imap*), so it needs no locking. */
typedef bool tp_next_fn(void *ctx, void **arg);

/* A ready-made tp_next_fn over an array: ctx is a tp_array_cursor. */
typedef struct tp_array_cursor {
    void *const *items;
    size_t n, i;
} tp_array_cursor;
bool tp_array_next(void *ctx, void **arg);

/* One item of an imap: its input index, its result and its status (0 = success). */
typedef struct tp_item {
    size_t index;
    void *result;
    int status;
} tp_item;

typedef struct tp_imap_it tp_imap_it;

/* Starts a lazy map: at most max_inflight inputs (0 = 2 * workers) are pulled from next()
 * and submitted ahead of the consumer; each tp_imap_next that hands out an item pulls one
 * more. So a million-item input never sits in memory at once (backpressure). tp_imap yields
 * in input order, tp_imap_unordered in finishing order. */
int tp_imap(tp_pool *p, tp_task_fn *fn, tp_next_fn *next, void *ctx, size_t max_inflight,
            tp_imap_it **out);
int tp_imap_unordered(tp_pool *p, tp_task_fn *fn, tp_next_fn *next, void *ctx,
                      size_t max_inflight, tp_imap_it **out);

/* The next item: TP_OK (it succeeded), TP_EFAILED (item->status says how it failed),
 * TP_ECANCELLED (the pool was terminated under it), TP_EDONE (no more items), or
 * TP_ETIMEDOUT (nothing is lost: call again). If refilling failed (say TP_ECLOSED, the pool
 * was closed meanwhile), no more inputs are pulled, the input that could not be submitted
 * never runs, the items already in flight are still handed out, then that error is
 * returned once, then TP_EDONE. */
int tp_imap_next(tp_imap_it *it, double timeout_s, tp_item *item);

/* How many inputs are submitted and not yet handed out (never above max_inflight). */
size_t tp_imap_inflight(const tp_imap_it *it);

/* Stops early: cancels the items still queued, releases everything. Running items finish
 * on their own, so keep their inputs alive until they have (tp_drain, tp_shutdown). The
 * "first result wins" pattern: tp_imap_unordered, one tp_imap_next, tp_imap_free. it may be
 * NULL. */
void tp_imap_free(tp_imap_it *it);

#endif
