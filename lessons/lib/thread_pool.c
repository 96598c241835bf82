/*
 * thread_pool.c: the pool behind thread_pool.h. Read the header first: it has the API and
 * the state machines this file implements.
 *
 * One mutex, p->mu, guards everything: the queue, every future's state, the counters. Each
 * condition variable has a predicate and a count of who waits on it, so nobody signals an
 * empty room:
 *
 *   cv          who waits                       for what                      count
 *   work_cv     idle workers                    a queued slot, or CLOSED      idle_workers
 *   space_cv    submitters (bounded queue)      a free slot, or CLOSED        space_waiters
 *   done_cv     tp_future_result, tp_wait, ...  their futures to be final     f->waiters
 *   state_cv    tp_create, tp_join, tp_drain    initializers run, a join      (broadcast)
 *               done, the pool idle
 *
 * Every wait sits in a loop that re-checks its predicate, so a spurious wakeup or a stolen
 * slot costs one more turn, never a wrong answer. Callbacks never run under the mutex:
 * whoever makes a future final collects it on a "todo" list, unlocks, then calls them.
 *
 * Lifetimes: each queue slot and each running piece of work holds a reference on its future,
 * so the pool never touches a future the caller has freed, and the caller may release a
 * future whenever it likes.
 *
 * What is read without the mutex: work_seq, which the close and every push made while a
 * worker spins move (under the mutex, where the spinner registers before it reads
 * work_seq), and which that worker watches (spin_for_work); and done_seq, which every
 * future made final moves under TP_WAIT_SPIN, and which a thread spinning for a future
 * watches (spin_for_final). Each only says "look again": the thread then takes the mutex
 * and re-checks its predicate like everyone else. The one exception is a worker's mailbox
 * (hand_over): a submitter writes a claimed task there under the mutex and sets mail_full
 * with a release store; the spinning worker sees it with an acquire load and runs the task
 * without the mutex, which is the point of it.
 */
#include "thread_pool.h"

#include "core.h"
#include "cpu.h"
#include "trace.h"

#include <stdatomic.h>
#include <unistd.h>

enum { DEFAULT_SPIN_US = 50, CACHE_LINE = 64 };

/* ---- the data ------------------------------------------------------------------------ */

struct callback {
    tp_done_fn *fn;
    void *ctx;
    struct callback *next;
};

/* A map or starmap: n items cut in nchunks chunks; workers claim chunks one by one. */
struct map_job {
    tp_task_fn *fn;   /* map: fn(args[i], &results[i]) */
    tp_star_fn *star; /* starmap: star(&args[i * nargs], nargs, &results[i]) */
    void *const *args;
    size_t n, nargs, chunksize, nchunks;
    size_t next_chunk; /* the next chunk to hand to a worker */
    void **results;
    int *statuses;
    size_t fail_item; /* lowest failed (or cancelled) item so far; n if none */
    int fail_status;  /* its status */
};

struct tp_future {
    tp_pool *pool;
    int refs;          /* the caller's, one per queue slot, one per running part */
    tp_state state;
    int status;        /* the task's status once final */
    void *result;
    int waiters;       /* threads in a wait on done_cv that care about this future */
    size_t parts_left; /* 1 for a task; the chunks not yet finished for a map */
    struct callback *callbacks;
    tp_future *next_todo; /* links futures whose callbacks must run after unlocking */
    struct map_job *job;  /* NULL for a single task */
};

/* One queued task. future is NULL for fire-and-forget; fn is NULL for a map (see job). */
struct slot {
    tp_task_fn *fn;
    void *arg;
    tp_future *future;
};

/* What a worker runs next: a task, or one chunk of a map. */
struct work {
    tp_task_fn *fn;
    void *arg;
    tp_future *future; /* NULL for fire-and-forget */
    size_t chunk;      /* for a map */
};

struct worker {
    tp_pool *pool;
    int index;
    pthread_t thread;
    char name[64];
    /* The hand-over (TP_WAIT_SPIN, hand_over): while this worker spins for work, a submit
     * that finds the queue empty may write a task here, already claimed for it, and then
     * set mail_full, which the spinner watches. Written only by that submitter, under the
     * mutex, while the worker is p->spinner; read by the worker once it sees mail_full.
     * Both on a cache line of their own, so that the hand-over moves one line. */
    _Alignas(CACHE_LINE) atomic_int mail_full;
    struct work mail;
};

struct tp_pool {
    pthread_mutex_t mu;
    pthread_cond_t work_cv, space_cv, done_cv, state_cv;

    /* The queue: a ring of cap slots, count of them in use from head on. */
    struct slot *ring;
    size_t cap, head, count;
    bool bounded; /* a full unbounded ring doubles instead of blocking */

    /* Who waits, so that signals go only where someone listens. */
    struct worker *spinner; /* the worker spinning for work (at most one), not yet parked
                             * and not yet handed a task */
    atomic_ulong work_seq; /* moved by a push while a worker spins, and by the close */
    atomic_ulong done_seq; /* TP_WAIT_SPIN: moved by every future made final; read by a
                            * spinning waiter (spin_for_final) */
    int idle_workers;    /* blocked on work_cv */
    int wakeups_pending; /* signals sent to work_cv that no worker has woken from yet */
    int space_waiters;   /* blocked on space_cv */
    int drain_waiters;   /* blocked in tp_drain */
    int future_waiters;  /* blocked on done_cv (only counted, for tp_stats) */

    /* Lifecycle. */
    bool closed, joining, joined, destroyed;
    int inits_done;
    bool init_failed;
    size_t running;      /* threads inside a task: workers, and tp_map callers helping */
    size_t live_futures; /* futures not yet freed: the pool outlives them */
    uint64_t submitted, succeeded, failed, cancelled;
    uint64_t spun, spun_into_work; /* spin_for_work calls; those that saw work_seq move */

    /* Set by tp_create, read-only afterwards. */
    int64_t spin_ns;     /* 0: park at once (TP_WAIT_PARK) */
    int cpus;            /* allowed when the pool was made: a waiter spins only if one is free */
    bool caller_helps;   /* tp_map's caller claims chunks too (help_map), an untimed
                          * waiter runs queued work (help_queue) */
    int nworkers;
    struct worker *workers;
    tp_init_fn *initializer;
    void *initarg;
};

static bool is_final(tp_state s)
{
    return s == TP_DONE_OK || s == TP_DONE_FAILED || s == TP_CANCELLED;
}

/* ---- small helpers: locking, deadlines, "am I a worker?" ----------------------------- */

static void lock(tp_pool *p)
{
    PT_CHECK(pthread_mutex_lock(&p->mu));
}

static void unlock(tp_pool *p)
{
    PT_CHECK(pthread_mutex_unlock(&p->mu));
}

/* A spinner saw what it waited for (work, or a future made final): the thread that moved the
 * counter did it inside its critical section and still holds the mutex for a few
 * instructions. A plain lock would block now, and a blocked glibc mutex is a futex wait,
 * whose unlock is a futex wake: two system calls and a sleep inside what should be a
 * hand-over of well under a microsecond. So it tries for a while first and only then
 * blocks: SPIN_LOCK_TRIES tries, each followed by a pause (28 ns on the AMD EPYC VM the
 * benchmarks ran on), so under 6 us. On that VM this cut the spin policy's submit-to-start
 * p50 (bench/peers, latency) from 0.77-0.92 us to 0.35 us. */
enum { SPIN_LOCK_TRIES = 200 };

static void lock_after_spin(tp_pool *p)
{
    for (int i = 0; i < SPIN_LOCK_TRIES; i++) {
        int rc = pthread_mutex_trylock(&p->mu);
        if (rc == 0)
            return;
        if (rc != EBUSY)
            die_rc("pthread_mutex_trylock", rc);
        cpu_relax();
    }
    lock(p);
}

/* What ended a spin. */
typedef enum { SPIN_TIMED_OUT, SPIN_MOVED, SPIN_HANDED } spin_end;

/* The one spin loop, unlocked: spins until *seq (a counter only written under the mutex)
 * moves away from `seen`, which the caller read under the mutex, or *mail (when given: a
 * worker's hand-over flag) is set, or the clock passes `until`. */
static spin_end spin(atomic_ulong *seq, unsigned long seen, atomic_int *mail, int64_t until)
{
    for (unsigned i = 1;; i++) {
        if (mail && atomic_load_explicit(mail, memory_order_acquire))
            return SPIN_HANDED;
        if (atomic_load_explicit(seq, memory_order_acquire) != seen)
            return SPIN_MOVED;
        cpu_relax();
        if (i % 64 == 0 && now_ns() >= until) /* a clock read costs more than a pause */
            return SPIN_TIMED_OUT;
    }
}

/* Locked on entry and on return, unlocked in between: spin() on *seq. Returns whether it
 * moved; the caller re-checks its own predicate under the mutex either way, so a move made
 * just after the spin gave up is not missed: it happened before the re-check, under the
 * mutex. */
static bool spin_unlocked(tp_pool *p, atomic_ulong *seq, unsigned long seen, int64_t until)
{
    unlock(p);
    bool moved = spin(seq, seen, NULL, until) == SPIN_MOVED;
    if (moved)
        lock_after_spin(p);
    else
        lock(p);
    return moved;
}

/* A timeout turned into an absolute CLOCK_MONOTONIC time once, at the start of a call, so
 * that spurious wakeups do not stretch it. Negative, NaN or absurdly long means forever. */
typedef struct deadline {
    bool forever;
    struct timespec at;
} deadline;

static deadline deadline_in(double timeout_s)
{
    deadline d = { .forever = !(timeout_s >= 0) || timeout_s > 1e9 };
    if (!d.forever)
        d.at = deadline_after(timeout_s);
    return d;
}

/* One wait on cv; false once the deadline has passed (the caller re-checks its predicate
 * either way, so a timeout that races with the event it waited for loses nothing). */
static bool wait_until(pthread_cond_t *cv, pthread_mutex_t *mu, const deadline *d)
{
    if (d->forever) {
        PT_CHECK(pthread_cond_wait(cv, mu));
        return true;
    }
    int rc = pthread_cond_timedwait(cv, mu, &d->at);
    if (rc == ETIMEDOUT)
        return false;
    if (rc != 0)
        die_rc("pthread_cond_timedwait", rc);
    return true;
}

/* A thread-local pointer tells a worker thread apart from any other: it points to the
 * worker's own record (pool, index, name), and is NULL in every other thread. C11's
 * _Thread_local needs no key to create first (a pthread key did, through pthread_once,
 * whose hand-over valgrind's helgrind could not see when two threads asked at once). */
static _Thread_local struct worker *this_worker;

static struct worker *current_worker(void)
{
    return this_worker;
}

static bool called_by_own_worker(const tp_pool *p)
{
    struct worker *w = current_worker();
    return w && w->pool == p;
}

const char *tp_current_worker_name(void)
{
    struct worker *w = current_worker();
    return w ? w->name : NULL;
}

int tp_current_worker_index(void)
{
    struct worker *w = current_worker();
    return w ? w->index : -1;
}

const char *tp_strerror(int code)
{
    switch (code) {
    case TP_OK: return "success";
    case TP_EFAILED: return "the task failed (its status says how)";
    case TP_ETIMEDOUT: return "timed out (the task was not cancelled)";
    case TP_ECANCELLED: return "cancelled before it ran";
    case TP_ECLOSED: return "the pool is closed: it takes no new work";
    case TP_EFULL: return "the queue is full";
    case TP_EINIT: return "a worker's initializer failed: the pool is broken and was not created";
    case TP_EINVAL: return "invalid argument or call";
    case TP_ENOMEM: return "out of memory";
    case TP_EDEADLK: return "a pool worker cannot wait for its own pool";
    case TP_EDONE: return "no more items";
    case TP_ESYSTEM: return "the system refused to create a thread";
    default: return "unknown thread pool error";
    }
}

const char *tp_state_name(tp_state s)
{
    static const char *const names[] = { "pending", "running", "done-ok", "done-failed",
                                         "cancelled" };
    return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "?";
}

/* ---- futures: references, becoming final, callbacks ---------------------------------- */

static void free_pool(tp_pool *p);

static tp_future *future_new(tp_pool *p)
{
    tp_future *f = calloc(1, sizeof *f);
    if (f) {
        f->pool = p;
        f->state = TP_PENDING;
        f->parts_left = 1;
    }
    return f;
}

static void future_free(tp_future *f)
{
    for (struct callback *cb = f->callbacks, *next; cb; cb = next) {
        next = cb->next;
        free(cb);
    }
    free(f->job);
    free(f);
}

/* Drops one reference (locked). Returns true if that freed the last future of a destroyed
 * pool: the caller must then free the pool, after unlocking. */
static bool unref_locked(tp_pool *p, tp_future *f)
{
    if (--f->refs > 0)
        return false;
    future_free(f);
    return --p->live_futures == 0 && p->destroyed;
}

/* The one transition into a final state (locked). Wakes whoever waits on f; if f has
 * callbacks, puts it on *todo (with a reference) for call_callbacks after unlocking. */
static void make_final(tp_pool *p, tp_future *f, tp_state state, tp_future **todo)
{
    f->state = state;
    if (p->spin_ns > 0)
        atomic_fetch_add_explicit(&p->done_seq, 1, memory_order_release);
    if (f->waiters > 0)
        PT_CHECK(pthread_cond_broadcast(&p->done_cv));
    if (f->callbacks) {
        f->refs++;
        f->next_todo = *todo;
        *todo = f;
    }
}

/* Unlocked. Nobody else touches a final future's callback list, so no lock is needed. */
static void call_callbacks(tp_future *todo)
{
    for (tp_future *f = todo; f; f = f->next_todo) {
        struct callback *cb = f->callbacks;
        f->callbacks = NULL;
        while (cb) {
            struct callback *next = cb->next;
            cb->fn(f, cb->ctx);
            free(cb);
            cb = next;
        }
    }
}

/* Locked: drops the references that make_final took. Returns true if the pool must be
 * freed (see unref_locked). */
static bool unref_todo(tp_pool *p, tp_future *todo)
{
    bool free_it = false;
    while (todo) {
        tp_future *next = todo->next_todo;
        free_it |= unref_locked(p, todo);
        todo = next;
    }
    return free_it;
}

/* Called unlocked by threads that are not workers (cancel, terminate). */
static void finish_todo(tp_pool *p, tp_future *todo)
{
    if (!todo)
        return;
    call_callbacks(todo);
    lock(p);
    bool free_it = unref_todo(p, todo);
    unlock(p);
    if (free_it)
        free_pool(p);
}

/* A map is final when its last chunk is finished or dropped. */
static void finish_map_if_last(tp_pool *p, tp_future *f, tp_future **todo)
{
    struct map_job *job = f->job;
    if (f->parts_left > 0)
        return;
    f->result = job->results;
    f->status = job->fail_item < job->n ? job->fail_status : 0;
    make_final(p, f, f->status ? TP_DONE_FAILED : TP_DONE_OK, todo);
}

static void note_map_failure(struct map_job *job, size_t item, int status)
{
    if (item < job->fail_item) {
        job->fail_item = item;
        job->fail_status = status;
    }
}

/* Items lo..hi of a map will never run (locked). */
static void cancel_map_items(tp_pool *p, struct map_job *job, size_t lo, size_t hi)
{
    if (lo >= hi)
        return;
    if (job->statuses)
        for (size_t i = lo; i < hi; i++)
            job->statuses[i] = TP_ECANCELLED;
    note_map_failure(job, lo, TP_ECANCELLED);
    p->cancelled += hi - lo;
}

/* PENDING -> CANCELLED (locked). The queue slot stays where it is; a worker skips it. */
static void cancel_pending(tp_pool *p, tp_future *f, tp_future **todo)
{
    f->status = TP_ECANCELLED;
    if (f->job)
        cancel_map_items(p, f->job, 0, f->job->n);
    else
        p->cancelled++;
    make_final(p, f, TP_CANCELLED, todo);
}

/* Locked on entry and on return; unlocked in between. Under TP_WAIT_SPIN a waiter spins
 * first too, up to spin_ns, until done_seq moves (some future became final, maybe f); the
 * caller re-checks f under the mutex either way. */
static void spin_for_final(tp_pool *p, const deadline *d)
{
    int64_t now = now_ns(), until = now + p->spin_ns;
    if (!d->forever) { /* never past the caller's deadline */
        int64_t at = (int64_t)d->at.tv_sec * 1000000000 + d->at.tv_nsec;
        until = at < until ? at : until;
    }
    if (until <= now) /* a timeout of 0 only looks */
        return;
    unsigned long seen = atomic_load_explicit(&p->done_seq, memory_order_relaxed);
    (void)spin_unlocked(p, &p->done_seq, seen, until);
}

/* Locked: whether a thread waiting for a future would spin on a CPU of its own. The threads
 * that run work or are being woken to run it each want one; a waiter spinning beside them
 * on too few CPUs only delays the work it waits for: tp_map's caller, spinning while its 2
 * workers were woken on 2 CPUs, made 20 tasks of 30 us slower under spin than under park
 * in 4 of 5 paired runs (bench/peers); with this check the two were level within the
 * noise. A worker spinning for work is not counted: it runs the work itself as soon as
 * any comes, and counting it made tp_apply's waiter park whenever the other worker
 * happened to be the spinner. */
static bool cpu_to_spare(const tp_pool *p)
{
    size_t busy = p->running + (size_t)p->wakeups_pending;
    return busy < (size_t)p->cpus;
}

static void help_queue(tp_pool *p, tp_future *f);

/* Waits until f is final (locked). */
static int wait_final(tp_pool *p, tp_future *f, const deadline *d)
{
    if (is_final(f->state))
        return TP_OK;
    if (p->caller_helps && d->forever && !called_by_own_worker(p)) {
        help_queue(p, f); /* THE CALLER HELPS: run queued work instead of waiting for it */
        if (is_final(f->state))
            return TP_OK;
    }
    if (p->spin_ns > 0 && cpu_to_spare(p)) {
        spin_for_final(p, d);
        if (is_final(f->state))
            return TP_OK;
    }
    f->waiters++;
    p->future_waiters++;
    bool in_time = true;
    while (!is_final(f->state) && in_time)
        in_time = wait_until(&p->done_cv, &p->mu, d);
    p->future_waiters--;
    f->waiters--;
    return is_final(f->state) ? TP_OK : TP_ETIMEDOUT;
}

/* ---- the queue ----------------------------------------------------------------------- */

/* Wakes up to n idle workers that are not already being woken (locked). Each signal is
 * counted until a worker wakes, so a burst of submits makes one futex call, not one each. */
static void wake_workers(tp_pool *p, size_t n)
{
    for (; n > 0 && p->idle_workers > p->wakeups_pending; n--) {
        p->wakeups_pending++;
        PT_CHECK(pthread_cond_signal(&p->work_cv));
    }
}

static int grow_ring(tp_pool *p)
{
    if (p->cap > SIZE_MAX / 2 / sizeof(struct slot))
        return TP_ENOMEM;
    size_t cap = p->cap * 2;
    struct slot *ring = malloc(cap * sizeof *ring);
    if (!ring)
        return TP_ENOMEM;
    for (size_t i = 0; i < p->count; i++)
        ring[i] = p->ring[(p->head + i) % p->cap];
    free(p->ring);
    p->ring = ring;
    p->cap = cap;
    p->head = 0;
    return TP_OK;
}

/* Waits until a slot is free (locked). A worker never waits here: only workers make room,
 * so a worker waiting for room in its own queue could wait forever. */
static int wait_for_space(tp_pool *p, double timeout_s)
{
    if (!p->bounded)
        return p->closed ? TP_ECLOSED : p->count < p->cap ? TP_OK : grow_ring(p);
    if (!p->closed && p->count == p->cap && timeout_s != 0 && !called_by_own_worker(p)) {
        deadline d = deadline_in(timeout_s);
        bool in_time = true;
        while (!p->closed && p->count == p->cap && in_time) {
            p->space_waiters++;
            in_time = wait_until(&p->space_cv, &p->mu, &d);
            p->space_waiters--;
        }
    }
    if (p->closed)
        return TP_ECLOSED;
    return p->count < p->cap ? TP_OK : TP_EFULL;
}

static void push_slot(tp_pool *p, struct slot s)
{
    p->ring[(p->head + p->count) % p->cap] = s;
    p->count++;
    if (p->spinner) /* nobody else reads it: a locked add per push saved (parked pools) */
        atomic_fetch_add_explicit(&p->work_seq, 1, memory_order_release);
}

/* Locked, after pushing a slot that holds n pieces of work (1, or a map's chunks): wakes
 * sleepers for them, less the one a spinning worker will take when it is all there is. */
static void wake_for(tp_pool *p, size_t n)
{
    if (p->spinner && p->count == 1 && n > 0)
        n--;
    wake_workers(p, n);
}

/* Locked, in a submit: when the queue is empty and a worker spins for work (TP_WAIT_SPIN),
 * the task goes straight to that worker instead of through the queue, and returns true.
 * Through the queue, the spinner would see work_seq move, then take the mutex the submitter
 * has just let go of, then read the slot and the future: each a cache line to fetch from
 * the submitter's core, while the task waits to start. Handed over, it starts as soon as
 * the spinner sees its own mail_full flag set: no mutex, one line. So the task is claimed
 * here, as claim_queued would claim it: counted running, its future RUNNING (too late to
 * cancel), the slot's reference passed to the worker. Only a single task is handed over,
 * and only when nothing is queued, so the queue's order holds. */
static bool hand_over(tp_pool *p, struct work w)
{
    struct worker *to = p->spinner;
    if (!to || p->count > 0)
        return false;
    p->spinner = NULL; /* no longer waiting: the next submit queues or wakes a sleeper */
    p->spun_into_work++;
    p->running++;
    if (w.future)
        w.future->state = TP_RUNNING;
    to->mail = w;
    HELGRIND_SENDS(to->mail_full);
    atomic_store_explicit(&to->mail_full, 1, memory_order_release);
    return true;
}

static struct slot pop_slot(tp_pool *p)
{
    struct slot s = p->ring[p->head];
    p->head = (p->head + 1) % p->cap;
    p->count--;
    if (p->space_waiters > 0)
        PT_CHECK(pthread_cond_signal(&p->space_cv));
    return s;
}

/* ---- the worker ---------------------------------------------------------------------- */

/* What came out of a piece of work. */
struct outcome {
    int status;     /* a task's status; a chunk's first failure */
    void *result;
    size_t ok, failed; /* items (1 for a task) */
    size_t fail_item;  /* a chunk's first failed item */
};

/* Locked: a worker with nothing to do tells tp_drain if the whole pool is idle now. */
static void wake_drainers_if_idle(tp_pool *p)
{
    if (p->drain_waiters > 0 && p->count == 0 && p->running == 0)
        PT_CHECK(pthread_cond_broadcast(&p->state_cv));
}

/* The task a submit handed this worker (hand_over): claimed for it already. */
static void take_mail(struct worker *self, struct work *w)
{
    HELGRIND_RECEIVES(self->mail_full);
    *w = self->mail;
    atomic_store_explicit(&self->mail_full, 0, memory_order_relaxed); /* only we look now */
}

/* Locked on entry. Spins until a submit hands this worker a task (hand_over), work_seq moves
 * (a push or the close), or spin_ns has passed. Returns true, unlocked, with the task in *w
 * when it was handed one. Otherwise returns false, locked, and the caller re-checks the
 * queue under the mutex: a push made while we waited for the mutex is in the queue by then. */
static bool spin_for_work(tp_pool *p, struct worker *self, struct work *w)
{
    unsigned long seen = atomic_load_explicit(&p->work_seq, memory_order_relaxed);
    p->spinner = self;
    p->spun++;
    unlock(p);
    spin_end end = spin(&p->work_seq, seen, &self->mail_full, now_ns() + p->spin_ns);
    if (end == SPIN_HANDED) { /* the fast way: the task starts without the mutex */
        take_mail(self, w);
        return true;
    }
    if (end == SPIN_MOVED)
        lock_after_spin(p);
    else
        lock(p);
    if (p->spinner == self) { /* nobody handed us a task: back to the queue */
        p->spinner = NULL;
        p->spun_into_work += end == SPIN_MOVED;
        return false;
    }
    /* A submit handed us a task after the spin gave up, before we had the mutex again. */
    take_mail(self, w);
    unlock(p);
    return true;
}

/* Locked: claims the work at the head of the queue (a task, or a map's next chunk) for the
 * calling thread, a worker or a helping waiter (help_queue), dropping on the way the slots
 * with nothing left to run; false when the queue is empty. */
static bool claim_queued(tp_pool *p, struct work *w)
{
    while (p->count > 0) {
        tp_future *f = p->ring[p->head].future;
        bool emptied = f && f->job && f->job->next_chunk == f->job->nchunks;
        if (f && (f->state == TP_CANCELLED || emptied)) {
            /* Cancelled while queued, or a map whose caller claimed its last chunk (help_map):
             * nothing left to run here, skip it. */
            pop_slot(p);
            (void)unref_locked(p, f); /* never frees the pool: it is not destroyed yet */
            continue;
        }
        *w = (struct work){ .fn = p->ring[p->head].fn, .arg = p->ring[p->head].arg,
                            .future = f };
        if (f && f->job) {
            /* Claim the map's next chunk; the slot stays queued until the last is claimed.
             * The chunk takes its own reference (the slot keeps one while it stays). */
            w->chunk = f->job->next_chunk++;
            if (f->job->next_chunk == f->job->nchunks)
                pop_slot(p); /* the slot's reference passes to this last chunk */
            else
                f->refs++;
        } else {
            pop_slot(p); /* the slot's reference passes to the work */
        }
        if (f)
            f->state = TP_RUNNING;
        p->running++;
        return true;
    }
    return false;
}

/* Locked on entry. Waits for work and claims it: returns true, unlocked, with the work in
 * *w; or false, still locked, when the pool is closed and the queue empty, which is the
 * worker's signal to exit. */
static bool take_work(tp_pool *p, struct worker *self, struct work *w)
{
    for (;;) {
        bool spun = false;
        while (p->count == 0 && !p->closed) {
            wake_drainers_if_idle(p);
            if (p->spin_ns > 0 && !p->spinner && !spun) {
                if (spin_for_work(p, self, w))
                    return true; /* handed a task: claimed, and we hold no lock */
                spun = true;     /* then the loop re-checks, under the mutex */
                continue;
            }
            spun = false; /* after a wakeup, one more spin is allowed */
            p->idle_workers++;
            PT_CHECK(pthread_cond_wait(&p->work_cv, &p->mu));
            p->idle_workers--;
            if (p->wakeups_pending > 0)
                p->wakeups_pending--;
        }
        if (claim_queued(p, w)) {
            unlock(p);
            return true;
        }
        if (p->closed) { /* closed and empty: this worker exits, not waits */
            wake_drainers_if_idle(p);
            return false;
        }
    }
}

/* Unlocked: one chunk of a map, item after item. */
static void run_chunk(struct map_job *job, size_t chunk, struct outcome *o)
{
    size_t lo = chunk * job->chunksize;
    size_t hi = job->n - lo < job->chunksize ? job->n : lo + job->chunksize;
    for (size_t i = lo; i < hi; i++) {
        void *result = NULL;
        int status = job->star ? job->star(&job->args[i * job->nargs], job->nargs, &result)
                               : job->fn(job->args[i], &result);
        if (job->results)
            job->results[i] = result;
        if (job->statuses)
            job->statuses[i] = status;
        if (status != 0 && o->failed++ == 0) {
            o->fail_item = i;
            o->status = status;
        }
    }
    o->ok = (hi - lo) - o->failed;
}

/* Unlocked: the actual work, the only place user code runs in a worker (besides callbacks). */
static void run_work(const struct work *w, struct outcome *o)
{
    *o = (struct outcome){ 0 };
    if (w->future && w->future->job) {
        run_chunk(w->future->job, w->chunk, o);
        return;
    }
    o->status = w->fn(w->arg, &o->result);
    o->ok = o->status == 0;
    o->failed = !o->ok;
}

/* Locked: records the outcome, makes the future final if this was its last part. */
static void finish_work(tp_pool *p, const struct work *w, const struct outcome *o,
                        tp_future **todo)
{
    p->succeeded += o->ok;
    p->failed += o->failed;
    tp_future *f = w->future;
    if (!f)
        return;
    if (f->job) {
        if (o->failed)
            note_map_failure(f->job, o->fail_item, o->status);
        f->parts_left--;
        finish_map_if_last(p, f, todo);
    } else {
        f->status = o->status;
        f->result = o->result;
        f->parts_left = 0;
        make_final(p, f, o->status ? TP_DONE_FAILED : TP_DONE_OK, todo);
    }
    (void)unref_locked(p, f); /* the work's reference; the pool is not destroyed yet */
}

/* Locked on entry and on return: finish_work, then the callbacks it collected (unlocked),
 * then the thread stops counting as running. */
static void finish_and_call_back(tp_pool *p, const struct work *w, const struct outcome *o)
{
    tp_future *todo = NULL;
    finish_work(p, w, o, &todo);
    if (todo) {
        unlock(p);
        call_callbacks(todo);
        lock(p);
        (void)unref_todo(p, todo);
    }
    p->running--; /* only now: tp_drain promises the callbacks have run too */
}

static void *worker_main(void *arg)
{
    struct worker *self = arg;
    tp_pool *p = self->pool;
    this_worker = self;
    trace_thread_name("%s", self->name); /* --trace: the worker's row in a timeline */
    int init_status = p->initializer ? p->initializer(p->initarg) : 0;

    lock(p);
    p->inits_done++;
    if (init_status != 0)
        p->init_failed = true; /* tp_create sees it and closes the pool: no respawning */
    PT_CHECK(pthread_cond_broadcast(&p->state_cv));

    struct work w;
    while (init_status == 0 && take_work(p, self, &w)) {
        struct outcome o;
        run_work(&w, &o);
        lock(p);
        /* Finishing this task and taking the next share one critical section, unless
         * there are callbacks to call: those run with the lock released. */
        finish_and_call_back(p, &w, &o);
    }
    unlock(p);
    return NULL;
}

/* ---- creating and ending the pool ---------------------------------------------------- */

static void free_pool(tp_pool *p)
{
    PT_CHECK(pthread_cond_destroy(&p->work_cv));
    PT_CHECK(pthread_cond_destroy(&p->space_cv));
    PT_CHECK(pthread_cond_destroy(&p->done_cv));
    PT_CHECK(pthread_cond_destroy(&p->state_cv));
    PT_CHECK(pthread_mutex_destroy(&p->mu));
    free(p->ring);
    free(p->workers);
    free(p);
}

/* Joins the first n workers (unlocked). */
static void join_workers(tp_pool *p, int n)
{
    for (int i = 0; i < n; i++)
        PT_CHECK(pthread_join(p->workers[i].thread, NULL));
}

/* The wait policy in force (thread_pool.h, WAITING): an explicit .wait wins; otherwise
 * $TP_WAIT_POLICY=park or =spin, as OMP_WAIT_POLICY does for OpenMP; otherwise spin, except
 * on a single CPU (cpus: those the pool may run on), where a spinner would hold the very
 * CPU its submitter needs. */
static tp_wait_policy wait_policy(tp_wait_policy asked, int cpus)
{
    if (asked != TP_WAIT_DEFAULT)
        return asked;
    const char *env = getenv("TP_WAIT_POLICY");
    if (env && strcmp(env, "park") == 0)
        return TP_WAIT_PARK;
    if (env && strcmp(env, "spin") == 0)
        return TP_WAIT_SPIN;
    return cpus >= 2 ? TP_WAIT_SPIN : TP_WAIT_PARK;
}

int tp_create(tp_pool **out, const tp_options *opts)
{
    static const tp_options defaults = { 0 };
    if (!out)
        return TP_EINVAL;
    *out = NULL;
    if (!opts)
        opts = &defaults;
    int n = opts->workers;
    if (n == 0)
        n = online_cpus();
    if (n < 0 || n > 4096)
        return TP_EINVAL;
    size_t cap = opts->queue_capacity ? opts->queue_capacity : 64;
    if (cap > SIZE_MAX / sizeof(struct slot))
        return TP_ENOMEM;

    tp_pool *p = calloc(1, sizeof *p);
    if (!p)
        return TP_ENOMEM;
    p->ring = malloc(cap * sizeof *p->ring);
    /* aligned_alloc: calloc promises no more than max_align_t, and a worker's mailbox must
     * start a cache line (n <= 4096, so the size cannot overflow) */
    p->workers = aligned_alloc(CACHE_LINE, (size_t)n * sizeof *p->workers);
    if (p->workers)
        memset(p->workers, 0, (size_t)n * sizeof *p->workers);
    if (!p->ring || !p->workers) {
        free(p->ring);
        free(p->workers);
        free(p);
        return TP_ENOMEM;
    }
    PT_CHECK(pthread_mutex_init(&p->mu, NULL));
    cond_init_monotonic(&p->work_cv);
    cond_init_monotonic(&p->space_cv);
    cond_init_monotonic(&p->done_cv);
    cond_init_monotonic(&p->state_cv);
    p->cap = cap;
    p->bounded = opts->queue_capacity > 0;
    p->cpus = cpus_allowed(); /* those its workers may run on: 1 under `taskset -c 0` */
    p->spin_ns = wait_policy(opts->wait, p->cpus) == TP_WAIT_PARK
                     ? 0
                     : (int64_t)((opts->spin_us > 0 ? opts->spin_us : DEFAULT_SPIN_US) * 1e3);
    p->caller_helps = opts->caller_helps;
    atomic_init(&p->work_seq, 0);
    HELGRIND_IGNORE(p->work_seq);
    atomic_init(&p->done_seq, 0);
    HELGRIND_IGNORE(p->done_seq);
    p->initializer = opts->initializer;
    p->initarg = opts->initarg;

    const char *prefix = opts->name_prefix ? opts->name_prefix : "tp";
    int started = 0;
    int rc = TP_OK;
    for (; started < n; started++) {
        struct worker *w = &p->workers[started];
        w->pool = p;
        w->index = started;
        atomic_init(&w->mail_full, 0);
        HELGRIND_IGNORE(w->mail_full);
        snprintf(w->name, sizeof w->name, "%s-%d", prefix, started);
        if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
            rc = TP_ESYSTEM;
            break;
        }
    }
    p->nworkers = started;

    /* Wait for every initializer: a broken pool is reported here, once. */
    lock(p);
    while (p->inits_done < started)
        PT_CHECK(pthread_cond_wait(&p->state_cv, &p->mu));
    if (rc == TP_OK && p->init_failed)
        rc = TP_EINIT;
    if (rc != TP_OK) {
        p->closed = true;
        PT_CHECK(pthread_cond_broadcast(&p->work_cv));
    }
    unlock(p);

    if (rc != TP_OK) {
        join_workers(p, started);
        free_pool(p);
        return rc;
    }
    *out = p;
    return TP_OK;
}

int tp_pool_workers(const tp_pool *p)
{
    return p->nworkers;
}

/* Locked: the pool takes no more work; everyone who waits for work or space re-checks. */
static void close_locked(tp_pool *p)
{
    p->closed = true;
    atomic_fetch_add_explicit(&p->work_seq, 1, memory_order_release); /* a spinner looks */
    PT_CHECK(pthread_cond_broadcast(&p->work_cv));
    PT_CHECK(pthread_cond_broadcast(&p->space_cv));
}

void tp_close(tp_pool *p)
{
    lock(p);
    close_locked(p);
    unlock(p);
}

/* Locked: a queued slot that will never run. Nothing is dropped without a trace. */
static void drop_slot(tp_pool *p, struct slot s, tp_future **todo)
{
    tp_future *f = s.future;
    if (!f) {
        p->cancelled++; /* fire-and-forget: the counters are its only witness */
        return;
    }
    if (f->state == TP_PENDING) {
        cancel_pending(p, f, todo);
    } else if (f->state == TP_RUNNING && f->job) {
        /* A map that has started: its unclaimed chunks are cancelled, the running ones
         * finish, and the last of them makes the future final (DONE_FAILED). */
        struct map_job *job = f->job;
        size_t unclaimed = job->nchunks - job->next_chunk;
        cancel_map_items(p, job, job->next_chunk * job->chunksize, job->n);
        job->next_chunk = job->nchunks;
        f->parts_left -= unclaimed;
        finish_map_if_last(p, f, todo);
    }
    (void)unref_locked(p, f); /* the slot's reference; the pool is not destroyed yet */
}

void tp_terminate(tp_pool *p)
{
    tp_future *todo = NULL;
    lock(p);
    close_locked(p);
    while (p->count > 0)
        drop_slot(p, pop_slot(p), &todo);
    PT_CHECK(pthread_cond_broadcast(&p->state_cv)); /* tp_drain: the queue is empty now */
    unlock(p);
    finish_todo(p, todo);
}

int tp_join(tp_pool *p)
{
    if (called_by_own_worker(p))
        return TP_EDEADLK;
    lock(p);
    if (!p->closed) {
        unlock(p);
        return TP_EINVAL;
    }
    /* One thread joins the workers; any other joiner waits for it to finish. */
    while (p->joining && !p->joined)
        PT_CHECK(pthread_cond_wait(&p->state_cv, &p->mu));
    if (p->joined) {
        unlock(p);
        return TP_OK;
    }
    p->joining = true;
    unlock(p);

    join_workers(p, p->nworkers); /* unlocked: the workers need the mutex to finish */

    lock(p);
    p->joined = true;
    PT_CHECK(pthread_cond_broadcast(&p->state_cv));
    unlock(p);
    return TP_OK;
}

int tp_shutdown(tp_pool *p, bool wait, bool cancel_pending_work)
{
    if (wait && called_by_own_worker(p))
        return TP_EDEADLK;
    if (cancel_pending_work)
        tp_terminate(p);
    else
        tp_close(p);
    return wait ? tp_join(p) : TP_OK;
}

int tp_destroy(tp_pool *p)
{
    if (!p)
        return TP_OK;
    int rc = tp_shutdown(p, true, false);
    if (rc != TP_OK)
        return rc;
    lock(p);
    p->destroyed = true;
    bool free_now = p->live_futures == 0;
    unlock(p);
    if (free_now)
        free_pool(p);
    return TP_OK;
}

int tp_drain(tp_pool *p, double timeout_s)
{
    if (called_by_own_worker(p))
        return TP_EDEADLK;
    deadline d = deadline_in(timeout_s);
    lock(p);
    bool in_time = true;
    p->drain_waiters++;
    while ((p->count > 0 || p->running > 0) && in_time)
        in_time = wait_until(&p->state_cv, &p->mu, &d);
    p->drain_waiters--;
    int rc = p->count == 0 && p->running == 0 ? TP_OK : TP_ETIMEDOUT;
    unlock(p);
    return rc;
}

void tp_get_stats(tp_pool *p, tp_stats *out)
{
    lock(p);
    *out = (tp_stats){ .submitted = p->submitted, .succeeded = p->succeeded,
                       .failed = p->failed, .cancelled = p->cancelled, .queued = p->count,
                       .running = p->running, .workers = p->nworkers,
                       .waiting_for_space = p->space_waiters,
                       .waiting_for_futures = p->future_waiters, .spins = p->spin_ns > 0,
                       .spun = p->spun, .spun_into_work = p->spun_into_work };
    unlock(p);
}

/* ---- submitting ---------------------------------------------------------------------- */

/* The one submit behind all the others. A future is made only if someone will look at it
 * (out or a callback); fire-and-forget costs one slot in the ring and nothing else. */
static int submit(tp_pool *p, tp_task_fn *fn, void *arg, double timeout_s, tp_done_fn *cb,
                  void *ctx, tp_future **out)
{
    if (out)
        *out = NULL;
    if (!p || !fn)
        return TP_EINVAL;
    tp_future *f = NULL;
    if (out || cb) {
        f = future_new(p);
        if (!f)
            return TP_ENOMEM;
        if (cb) {
            f->callbacks = malloc(sizeof *f->callbacks);
            if (!f->callbacks) {
                free(f);
                return TP_ENOMEM;
            }
            *f->callbacks = (struct callback){ .fn = cb, .ctx = ctx };
        }
    }
    lock(p);
    int rc = wait_for_space(p, timeout_s);
    if (rc == TP_OK) {
        p->submitted++;
        if (f) {
            f->refs = 1 + (out != NULL); /* the slot's (or the work's), and the caller's */
            p->live_futures++;
        }
        if (!hand_over(p, (struct work){ .fn = fn, .arg = arg, .future = f })) {
            push_slot(p, (struct slot){ .fn = fn, .arg = arg, .future = f });
            wake_for(p, 1);
        }
    }
    unlock(p);

    if (rc != TP_OK) {
        if (f)
            future_free(f);
        return rc;
    }
    if (out)
        *out = f;
    return TP_OK;
}

int tp_submit(tp_pool *p, tp_task_fn *fn, void *arg, tp_future **out)
{
    return submit(p, fn, arg, -1, NULL, NULL, out);
}

int tp_try_submit(tp_pool *p, tp_task_fn *fn, void *arg, tp_future **out)
{
    return submit(p, fn, arg, 0, NULL, NULL, out);
}

int tp_submit_timed(tp_pool *p, tp_task_fn *fn, void *arg, double timeout_s, tp_future **out)
{
    return submit(p, fn, arg, timeout_s, NULL, NULL, out);
}

int tp_submit_detached(tp_pool *p, tp_task_fn *fn, void *arg)
{
    return submit(p, fn, arg, -1, NULL, NULL, NULL);
}

int tp_apply_async(tp_pool *p, tp_task_fn *fn, void *arg, tp_done_fn *cb, void *ctx,
                   tp_future **out)
{
    if (!cb)
        return tp_submit(p, fn, arg, out);
    return submit(p, fn, arg, -1, cb, ctx, out);
}

int tp_apply(tp_pool *p, tp_task_fn *fn, void *arg, void **result, int *status)
{
    tp_future *f;
    int rc = tp_submit(p, fn, arg, &f);
    if (rc != TP_OK)
        return rc;
    rc = tp_future_result(f, -1, result);
    if (status) {
        *status = 0;
        if (rc == TP_EFAILED)
            tp_future_exception(f, 0, status);
    }
    tp_future_release(f);
    return rc;
}

/* ---- futures: the public side -------------------------------------------------------- */

tp_state tp_future_state(tp_future *f)
{
    lock(f->pool);
    tp_state s = f->state;
    unlock(f->pool);
    return s;
}

bool tp_future_done(tp_future *f)
{
    return is_final(tp_future_state(f));
}

int tp_future_wait(tp_future *f, double timeout_s)
{
    deadline d = deadline_in(timeout_s);
    lock(f->pool);
    int rc = wait_final(f->pool, f, &d);
    unlock(f->pool);
    return rc;
}

int tp_future_result(tp_future *f, double timeout_s, void **result)
{
    deadline d = deadline_in(timeout_s);
    lock(f->pool);
    int rc = wait_final(f->pool, f, &d);
    if (rc == TP_OK) {
        if (f->state == TP_CANCELLED)
            rc = TP_ECANCELLED;
        else if (f->state == TP_DONE_FAILED)
            rc = TP_EFAILED;
        if (result && f->state != TP_CANCELLED)
            *result = f->result;
    }
    unlock(f->pool);
    return rc;
}

int tp_future_exception(tp_future *f, double timeout_s, int *status)
{
    deadline d = deadline_in(timeout_s);
    lock(f->pool);
    int rc = wait_final(f->pool, f, &d);
    if (rc == TP_OK && f->state == TP_CANCELLED)
        rc = TP_ECANCELLED;
    if (rc == TP_OK && status)
        *status = f->state == TP_DONE_FAILED ? f->status : 0;
    unlock(f->pool);
    return rc;
}

bool tp_future_cancel(tp_future *f)
{
    tp_pool *p = f->pool;
    tp_future *todo = NULL;
    lock(p);
    if (f->state == TP_PENDING)
        cancel_pending(p, f, &todo);
    bool cancelled = f->state == TP_CANCELLED;
    unlock(p);
    finish_todo(p, todo);
    return cancelled;
}

int tp_future_add_done_callback(tp_future *f, tp_done_fn *fn, void *ctx)
{
    if (!fn)
        return TP_EINVAL;
    struct callback *cb = malloc(sizeof *cb);
    if (!cb)
        return TP_ENOMEM;
    *cb = (struct callback){ .fn = fn, .ctx = ctx };
    lock(f->pool);
    bool done = is_final(f->state);
    if (!done) {
        struct callback **end = &f->callbacks; /* keep the order they were added in */
        while (*end)
            end = &(*end)->next;
        *end = cb;
    }
    unlock(f->pool);
    if (done) { /* already final: run now, in this thread, like Python */
        free(cb);
        fn(f, ctx);
    }
    return TP_OK;
}

void tp_future_retain(tp_future *f)
{
    lock(f->pool);
    f->refs++;
    unlock(f->pool);
}

void tp_future_release(tp_future *f)
{
    if (!f)
        return;
    tp_pool *p = f->pool;
    lock(p);
    bool free_it = unref_locked(p, f);
    unlock(p);
    if (free_it)
        free_pool(p);
}

/* ---- waiting on many futures --------------------------------------------------------- */

static bool same_pool(tp_future *const fs[], size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!fs[i] || fs[i]->pool != fs[0]->pool)
            return false;
    return true;
}

static bool wait_satisfied(tp_future *const fs[], size_t n, tp_wait_mode mode)
{
    size_t done = 0;
    for (size_t i = 0; i < n; i++) {
        if (!is_final(fs[i]->state))
            continue;
        done++;
        if (mode == TP_FIRST_COMPLETED)
            return true;
        if (mode == TP_FIRST_EXCEPTION && fs[i]->state == TP_DONE_FAILED)
            return true;
    }
    return done == n;
}

/* Registers (+1) or unregisters (-1) a waiter on each of fs, so their completion wakes us. */
static void add_waiters(tp_pool *p, tp_future *const fs[], size_t n, int delta)
{
    for (size_t i = 0; i < n; i++)
        fs[i]->waiters += delta;
    p->future_waiters += delta;
}

int tp_wait(tp_future *const fs[], size_t n, tp_wait_mode mode, double timeout_s)
{
    if (n == 0)
        return TP_OK;
    if (!fs || !same_pool(fs, n) || mode < TP_FIRST_COMPLETED || mode > TP_ALL_COMPLETED)
        return TP_EINVAL;
    tp_pool *p = fs[0]->pool;
    deadline d = deadline_in(timeout_s);
    lock(p);
    bool in_time = true;
    add_waiters(p, fs, n, +1);
    while (!wait_satisfied(fs, n, mode) && in_time)
        in_time = wait_until(&p->done_cv, &p->mu, &d);
    add_waiters(p, fs, n, -1);
    int rc = wait_satisfied(fs, n, mode) ? TP_OK : TP_ETIMEDOUT;
    unlock(p);
    return rc;
}

void tp_as_completed_init(tp_as_completed_it *it, tp_future **fs, size_t n)
{
    *it = (tp_as_completed_it){ .fs = fs, .n = n, .next = 0 };
}

int tp_as_completed_next(tp_as_completed_it *it, double timeout_s, tp_future **out)
{
    if (it->next == it->n)
        return TP_EDONE;
    tp_future **rest = it->fs + it->next;
    size_t n = it->n - it->next;
    if (!same_pool(rest, n))
        return TP_EINVAL;
    tp_pool *p = rest[0]->pool;
    deadline d = deadline_in(timeout_s);
    lock(p);
    bool in_time = true;
    add_waiters(p, rest, n, +1);
    while (!wait_satisfied(rest, n, TP_FIRST_COMPLETED) && in_time)
        in_time = wait_until(&p->done_cv, &p->mu, &d);
    add_waiters(p, rest, n, -1);
    int rc = TP_ETIMEDOUT;
    for (size_t i = 0; i < n; i++) {
        if (is_final(rest[i]->state)) { /* swap the finished one to the front */
            tp_future *f = rest[i];
            rest[i] = rest[0];
            rest[0] = f;
            *out = f;
            it->next++;
            rc = TP_OK;
            break;
        }
    }
    unlock(p);
    return rc;
}

/* ---- the map family ------------------------------------------------------------------ */

size_t tp_default_chunksize(size_t n, int workers)
{
    size_t parts = 4 * (size_t)(workers > 0 ? workers : 1);
    return n == 0 ? 1 : (n + parts - 1) / parts;
}

/* One slot in the queue for the whole map; workers claim its chunks from that slot. */
static int map_submit(tp_pool *p, struct map_job job, tp_future **out)
{
    if (out)
        *out = NULL;
    if (!p || !out || (!job.fn && !job.star) || (job.n > 0 && !job.args))
        return TP_EINVAL;
    if (job.chunksize == 0)
        job.chunksize = tp_default_chunksize(job.n, p->nworkers);
    job.nchunks = job.n / job.chunksize + (job.n % job.chunksize != 0);
    job.fail_item = job.n;

    tp_future *f = future_new(p);
    struct map_job *jp = malloc(sizeof *jp);
    if (!f || !jp) {
        free(f);
        free(jp);
        return TP_ENOMEM;
    }
    *jp = job;
    f->job = jp;
    f->parts_left = job.nchunks;

    lock(p);
    int rc = wait_for_space(p, -1);
    if (rc == TP_OK) {
        p->live_futures++;
        p->submitted += job.n;
        f->refs = 1;
        if (job.n == 0) { /* nothing to do: born done */
            f->result = job.results;
            f->state = TP_DONE_OK;
        } else {
            push_slot(p, (struct slot){ .fn = NULL, .arg = NULL, .future = f });
            f->refs++; /* the slot's */
            wake_for(p, job.nchunks);
        }
    }
    unlock(p);
    if (rc != TP_OK) {
        future_free(f);
        return rc;
    }
    *out = f;
    return TP_OK;
}

int tp_map_async(tp_pool *p, tp_task_fn *fn, void *const args[], size_t n, size_t chunksize,
                 void *results[], int statuses[], tp_future **out)
{
    struct map_job job = { .fn = fn, .args = args, .n = n, .nargs = 1,
                           .chunksize = chunksize, .results = results, .statuses = statuses };
    return map_submit(p, job, out);
}

int tp_starmap_async(tp_pool *p, tp_star_fn *fn, void *const args[], size_t n, size_t nargs,
                     size_t chunksize, void *results[], int statuses[], tp_future **out)
{
    if (out)
        *out = NULL;
    if (nargs == 0 || n > SIZE_MAX / nargs)
        return TP_EINVAL;
    struct map_job job = { .star = fn, .args = args, .n = n, .nargs = nargs,
                           .chunksize = chunksize, .results = results, .statuses = statuses };
    return map_submit(p, job, out);
}

/* Locked on entry and on return: a thread outside the pool (help_map, help_queue) runs the
 * work it claimed as a worker would, then tells tp_drain if that left the pool idle. When
 * that thread is a worker of another pool, it is no worker of this one while it runs p's
 * work and callbacks: tp_current_worker_index() says -1 there, not an index into the other
 * pool's workers. */
static void run_as_helper(tp_pool *p, const struct work *w)
{
    struct worker *self = this_worker;
    if (self && self->pool != p)
        this_worker = NULL;
    unlock(p);
    struct outcome o;
    run_work(w, &o);
    lock(p);
    finish_and_call_back(p, w, &o);
    this_worker = self;
    wake_drainers_if_idle(p);
}

/* tp_map's caller, in a pool made with .caller_helps: instead of sleeping until the
 * workers are done, it claims the map's chunks itself while any are left, the way the
 * thread waiting in libgomp's or oneTBB's parallel loops takes part. Waking a parked worker
 * costs tens of microseconds on a VM; the caller is awake already, so the first chunk starts
 * at once, and when the caller finishes the last chunk itself nobody has to wake it. A claim
 * is the same as a worker's (claim_queued): under the mutex, one chunk at a time, counted in
 * p->running so that tp_drain waits for it. When the caller claims the last chunk the slot
 * stays queued, empty, and the next worker to reach it drops it. tp_terminate sets
 * next_chunk to nchunks, which ends the helping too. */
static void help_map(tp_pool *p, tp_future *f)
{
    struct map_job *job = f->job;
    lock(p);
    while (job->next_chunk < job->nchunks &&
           (f->state == TP_PENDING || f->state == TP_RUNNING)) {
        struct work w = { .future = f, .chunk = job->next_chunk++ };
        f->refs++; /* the chunk's reference, as a worker's chunk holds one */
        f->state = TP_RUNNING;
        p->running++;
        run_as_helper(p, &w);
    }
    unlock(p);
}

/* A thread outside the pool that waits without a timeout for f, in a pool made with
 * .caller_helps (locked on entry and on return): instead of sleeping until the workers get
 * to f, it runs the work at the head of the queue itself, whatever that is, while f is not
 * final and the queue is not empty, as a thread waiting in oneTBB's task_group::wait does.
 * f is either among what it runs or already claimed by a worker, and then the thread goes
 * on to wait in wait_final. A claim is a worker's (claim_queued), counted in p->running so
 * that tp_drain waits for it. A wait with a timeout never helps: a task run here might
 * outlast the timeout. Single submits gain the most: each task a waiter runs itself costs
 * no hand-over and no wake-up. */
static void help_queue(tp_pool *p, tp_future *f)
{
    struct work w;
    while (!is_final(f->state) && claim_queued(p, &w))
        run_as_helper(p, &w);
}

/* Waits for a map future and turns its outcome into tp_map's return value. */
static int map_wait(int rc, tp_future *f)
{
    if (rc != TP_OK)
        return rc;
    if (f->pool->caller_helps)
        help_map(f->pool, f);
    rc = tp_future_result(f, -1, NULL);
    tp_future_release(f);
    return rc;
}

int tp_map(tp_pool *p, tp_task_fn *fn, void *const args[], size_t n, size_t chunksize,
           void *results[], int statuses[])
{
    tp_future *f;
    int rc = tp_map_async(p, fn, args, n, chunksize, results, statuses, &f);
    return map_wait(rc, f);
}

int tp_starmap(tp_pool *p, tp_star_fn *fn, void *const args[], size_t n, size_t nargs,
               size_t chunksize, void *results[], int statuses[])
{
    tp_future *f;
    int rc = tp_starmap_async(p, fn, args, n, nargs, chunksize, results, statuses, &f);
    return map_wait(rc, f);
}

/* ---- imap and imap_unordered --------------------------------------------------------- */

bool tp_array_next(void *ctx, void **arg)
{
    tp_array_cursor *c = ctx;
    if (c->i >= c->n)
        return false;
    *arg = c->items[c->i++];
    return true;
}

/* The iterator keeps a window of at most max_inflight futures. The consumer's thread does
 * everything (pulling inputs, submitting, waiting), so the input function needs no lock. */
struct tp_imap_it {
    tp_pool *pool;
    tp_task_fn *fn;
    tp_next_fn *next;
    void *ctx;
    bool ordered;
    size_t max_inflight;
    tp_future **window; /* ordered: a ring in input order; unordered: a plain array */
    size_t *index;      /* the input index of each window entry */
    size_t head, count;
    size_t pulled;     /* inputs pulled so far */
    bool exhausted;    /* next() said there are no more */
    int refill_error;  /* a submit error, reported once after the window empties */
};

/* Tops the window up to max_inflight: the backpressure is that nothing more is pulled. */
static void refill(tp_imap_it *it)
{
    while (it->count < it->max_inflight && !it->exhausted && it->refill_error == TP_OK) {
        void *arg;
        if (!it->next(it->ctx, &arg)) {
            it->exhausted = true;
            break;
        }
        tp_future *f;
        int rc = tp_submit(it->pool, it->fn, arg, &f);
        if (rc != TP_OK) {
            it->refill_error = rc; /* this input never ran; the caller hears why */
            break;
        }
        size_t at = it->ordered ? (it->head + it->count) % it->max_inflight : it->count;
        it->window[at] = f;
        it->index[at] = it->pulled++;
        it->count++;
    }
}

static int imap_start(tp_pool *p, tp_task_fn *fn, tp_next_fn *next, void *ctx,
                      size_t max_inflight, bool ordered, tp_imap_it **out)
{
    if (!out)
        return TP_EINVAL;
    *out = NULL;
    if (!p || !fn || !next)
        return TP_EINVAL;
    if (max_inflight == 0)
        max_inflight = 2 * (size_t)p->nworkers;
    if (max_inflight > SIZE_MAX / sizeof(tp_future *))
        return TP_EINVAL;
    tp_imap_it *it = calloc(1, sizeof *it);
    if (!it)
        return TP_ENOMEM;
    *it = (tp_imap_it){ .pool = p, .fn = fn, .next = next, .ctx = ctx, .ordered = ordered,
                        .max_inflight = max_inflight };
    it->window = malloc(max_inflight * sizeof *it->window);
    it->index = malloc(max_inflight * sizeof *it->index);
    if (!it->window || !it->index) {
        tp_imap_free(it);
        return TP_ENOMEM;
    }
    refill(it);
    if (it->count == 0 && it->refill_error != TP_OK) { /* e.g. a closed pool: say so now */
        int rc = it->refill_error;
        tp_imap_free(it);
        return rc;
    }
    *out = it;
    return TP_OK;
}

int tp_imap(tp_pool *p, tp_task_fn *fn, tp_next_fn *next, void *ctx, size_t max_inflight,
            tp_imap_it **out)
{
    return imap_start(p, fn, next, ctx, max_inflight, true, out);
}

int tp_imap_unordered(tp_pool *p, tp_task_fn *fn, tp_next_fn *next, void *ctx,
                      size_t max_inflight, tp_imap_it **out)
{
    return imap_start(p, fn, next, ctx, max_inflight, false, out);
}

int tp_imap_next(tp_imap_it *it, double timeout_s, tp_item *item)
{
    if (it->count == 0) {
        int rc = it->refill_error;
        it->refill_error = TP_OK;
        it->exhausted = true; /* after an error, no more inputs are pulled */
        return rc != TP_OK ? rc : TP_EDONE;
    }
    size_t at;
    if (it->ordered) {
        at = it->head;
        int rc = tp_future_wait(it->window[at], timeout_s);
        if (rc != TP_OK)
            return rc;
    } else {
        int rc = tp_wait(it->window, it->count, TP_FIRST_COMPLETED, timeout_s);
        if (rc != TP_OK)
            return rc;
        for (at = 0; !tp_future_done(it->window[at]); at++)
            ;
    }
    tp_future *f = it->window[at];
    *item = (tp_item){ .index = it->index[at] };
    int rc = tp_future_result(f, 0, &item->result);
    if (rc == TP_EFAILED)
        tp_future_exception(f, 0, &item->status);
    else if (rc == TP_ECANCELLED)
        item->status = TP_ECANCELLED;
    tp_future_release(f);

    if (it->ordered) {
        it->head = (it->head + 1) % it->max_inflight;
    } else { /* move the last entry into the hole */
        it->window[at] = it->window[it->count - 1];
        it->index[at] = it->index[it->count - 1];
    }
    it->count--;
    refill(it);
    return rc;
}

size_t tp_imap_inflight(const tp_imap_it *it)
{
    return it->count;
}

void tp_imap_free(tp_imap_it *it)
{
    if (!it)
        return;
    for (size_t k = 0; k < it->count; k++) {
        size_t at = it->ordered ? (it->head + k) % it->max_inflight : k;
        tp_future_cancel(it->window[at]); /* queued ones never run; running ones finish */
        tp_future_release(it->window[at]);
    }
    free(it->window);
    free(it->index);
    free(it);
}
