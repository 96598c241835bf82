/*
 * 27_spinlocks: locks built from C11 atomics (test-and-set, test-and-test-and-set with
 * back-off, a ticket lock, a futex mutex), checked for mutual exclusion and timed against
 * pthread_mutex_t; and how evenly each one shares itself out.
 *
 *   make && ./build/27_spinlocks                      # every lock: exact, then timed
 *   ./build/27_spinlocks --lock ticket --threads 8    # far more threads than CPUs
 *   ./build/27_spinlocks --variant broken             # a "lock" that is not one
 *   make tsan L=27 ARGS='--variant broken --iterations 1000 --seconds 0'   # the race, named
 *
 * Inside the lock each thread does a plain (non-atomic) read-modify-write of a shared
 * counter and then of a second field that must always equal it. A lock that lets two
 * threads in at once loses increments (the counter falls short of the acquisitions the
 * threads counted themselves) or lets a thread find the pair half-updated ("torn").
 * Part one, exact: T threads take each lock N times. Part two, timed: each lock gets the
 * same S seconds a round (the locks take turns, R rounds), the threads take it as often as
 * they can, and each counts its own acquisitions: the cost per acquisition and how evenly
 * the acquisitions were shared, for the same wall time whatever the lock's speed.
 *   tas     test-and-set: atomic_flag_test_and_set (acquire) until it finds the flag
 *           clear; clear it (release) to unlock. Every attempt is a write, so the waiters
 *           pull the lock's cache line away from each other and from the holder.
 *   ttas    test-and-test-and-set: wait with relaxed loads, which read a shared copy of
 *           the line in the waiter's own cache, until the lock looks free; only then try
 *           the exchange, and after losing, back off 1, 2, 4 ... at most 256 pauses.
 *   ticket  take a number (fetch_add on next), wait until serving shows it; unlock
 *           hands the lock to the next number: first come, first served.
 *   futex   Drepper's mutex ("Futexes Are Tricky", mutex3): 0 free, 1 held, 2 held and
 *           perhaps waited for. A free lock is taken with one compare-and-swap; a waiter
 *           marks it 2 and sleeps in the kernel while it stays 2; an unlock that finds 2
 *           wakes one sleeper. Linux only: elsewhere the lesson leaves it out.
 *   mutex   pthread_mutex_t, the baseline (glibc's is itself a futex mutex).
 * Every spin turn is a cpu_relax(), and after --yield-after turns in a row (default 100)
 * the waiter calls sched_yield(): with more threads than CPUs, the thread it waits for may
 * be preempted, and without the yield the waiter spins away its whole time slice first.
 *
 * Notice: with 1 thread every lock costs only nanoseconds: an atomic or two, nobody to
 * wait for. With 2 threads on 2 idle CPUs the ticket lock is the fair one (most/fewest near
 * 1.00) and pays for it: every acquisition hands the lock, and its cache line, to the other
 * core, while a TAS or TTAS holder that lets go often takes the lock straight back (the
 * line is still in its cache), so their counts drift apart. With 4 threads on 2 CPUs (the
 * default) the ticket lock is hurt most: when it is released, only the next number may
 * take it, and that thread may be preempted, so everyone waits for the scheduler to run
 * that one thread (yields/1k near 1000: about one sched_yield per acquisition), where a
 * TAS lock goes to whichever waiter is running. One run of the defaults on an idle 2-vCPU
 * VM: ticket 2547 ns/acq, 45x the mutex, most/fewest 1.21 against TAS's 3.02.
 * The fairness figures mix two things: how the lock picks among threads that wait, and
 * which threads the scheduler lets wait at all (a preempted thread waits for nothing and
 * gets nothing, under any lock). Timings and counts change from run to run and machine to
 * machine: they are printed as measured, and a Doubt says when the spinners did not have
 * the CPUs to spin on (a busy machine, or a tool's slow motion).
 * --variant broken is a plain bool: "while (held) wait; held = true;". Two threads can
 * both see false before either sets it, and both go in; it is also a data race, which
 * ThreadSanitizer reports even in a run that lost nothing.
 * Try: --threads 2, then 4 and 8, and compare ticket's most/fewest and ns/acq; then
 * --lock ticket --threads 8 --seconds 0.5 --iterations 100 with --yield-after 0 (spin,
 * never yield) and without.
 *
 * Verdict: "RESULT variant=fixed locks=tas,ttas,ticket,futex,mutex counter=C expected=E
 * lost=0 torn=0 OK" (exit 0) when every run of every lock ended with its counter equal to
 * the acquisitions its threads counted (E: all of them, parts one and two) and nobody ever
 * found the pair torn; FAIL (exit 1) otherwise. --variant broken FAILs when it lost an
 * update or saw a torn pair; a run that saw neither says OK, and says that was luck. The
 * timings and the fairness figures never decide the verdict. A run longer than --timeout
 * is ended by a watchdog: "RESULT lock=L part=exact|timed stuck_after=Ss STUCK" (exit 3).
 * Where there are no futexes, --lock futex is a usage error (exit 2) and the other locks
 * run without it, after a line saying so.
 */

/* syscall() is not POSIX: glibc and musl declare it in <unistd.h> only when asked for
 * more than POSIX, with _DEFAULT_SOURCE. This file alone asks (the Makefile's
 * -D_POSIX_C_SOURCE=200809L stays), and only on Linux, for futex_call below. */
#if defined(__linux__) && !defined(_DEFAULT_SOURCE)
#define _DEFAULT_SOURCE
#endif

#include "program.h"
#include "cpu.h"
#include "watchdog.h"
#include "quizzes/27_spinlocks.h" /* --quiz and --answers: its questions */

#include <sched.h>
#include <stdatomic.h>

#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#define HAVE_FUTEX 1
#else
#define HAVE_FUTEX 0
#endif

static const char usage[] =
    "[--lock all|tas|ttas|ticket|futex|mutex] [--variant fixed|broken]\n"
    "       [--threads T] [--iterations N] [--seconds S] [--rounds R] [--yield-after K]\n"
    "       [--timeout S]\n"
    "  T threads take a lock and add 1 to a shared counter inside, checked to be exact:\n"
    "  part one N times each, part two as often as they can for S seconds a round.\n"
    "  --lock         which lock; all (default): each in turn\n"
    "  --variant      fixed (default): a real lock; broken: a plain bool tested, then set,\n"
    "                 which lets two threads in at once (it brings its own lock: no --lock)\n"
    "  --threads      1..64 (default 4, whatever the CPU count)\n"
    "  --iterations   part one's acquisitions per thread, 1..100000000 (default 20000)\n"
    "  --seconds      part two's time per lock and round, 0..60 (default 0.1; 0 skips part\n"
    "                 two)\n"
    "  --rounds       part two's rounds, 1..100 (default 3; the table shows medians)\n"
    "  --yield-after  spin turns before a waiter calls sched_yield, 0..1000000000 (default\n"
    "                 100; 0: never yield)\n"
    "  --timeout      seconds the watchdog allows beyond part two's own time before it\n"
    "                 calls the run stuck, 0.001..3600 (default 60)\n";

enum lock_kind { LOCK_TAS, LOCK_TTAS, LOCK_TICKET, LOCK_FUTEX, LOCK_MUTEX, LOCK_BROKEN, NLOCKS };
/* --lock's words: the five real locks in the order above, then "all" (the broken one is
 * --variant broken's, not a --lock). */
static const char *const lock_names[] = { "tas", "ttas", "ticket", "futex", "mutex", "all",
                                          NULL };
enum { CHOICE_ALL = LOCK_BROKEN };   /* "all"'s index in lock_names */
static const char *const kind_names[NLOCKS] = { "tas", "ttas", "ticket", "futex", "mutex",
                                                "broken" };

enum variant { VARIANT_FIXED, VARIANT_BROKEN };
static const char *const variant_names[] = { "fixed", "broken", NULL };

enum { MAX_THREADS = 64, MAX_ROUNDS = 100, TTAS_MAX_BACKOFF = 256 };

/* ---- waiting: what every spin does between two looks ----------------------------------- */

/* One thread's tally, kept privately and added up by main after the join. */
struct tally {
    long acquired;       /* times this thread took the lock */
    long spins;          /* turns spent waiting for it (cpu_relax) */
    long yields;         /* sched_yield calls among them */
    long sleeps;         /* futex_wait calls (the futex lock only) */
};

static void add_tally(struct tally *sum, const struct tally *t)
{
    sum->acquired += t->acquired;
    sum->spins += t->spins;
    sum->yields += t->yields;
    sum->sleeps += t->sleeps;
}

static long yield_after = 100;   /* --yield-after; 0: never */

/* One turn of a spin loop. A spinner that has waited yield_after turns in a row gives its
 * CPU away: the thread it waits for may be the one the scheduler is not running. */
static inline void spin_turn(struct tally *t, long *in_a_row)
{
    cpu_relax();
    t->spins++;
    if (yield_after != 0 && ++*in_a_row >= yield_after) {
        *in_a_row = 0;
        t->yields++;
        sched_yield();
    }
}

/* ---- tas: test-and-set ------------------------------------------------------------------ */

static _Alignas(64) atomic_flag tas_flag = ATOMIC_FLAG_INIT;

static void tas_lock(struct tally *t)
{
    long in_a_row = 0;
    /* acquire: what the previous holder wrote before its release is visible from here on */
    while (atomic_flag_test_and_set_explicit(&tas_flag, memory_order_acquire))
        spin_turn(t, &in_a_row);
}

static void tas_unlock(struct tally *t)
{
    (void)t;
    atomic_flag_clear_explicit(&tas_flag, memory_order_release);
}

/* ---- ttas: test-and-test-and-set, with exponential back-off ------------------------------ */

static _Alignas(64) atomic_bool ttas_held;

static void ttas_lock(struct tally *t)
{
    long in_a_row = 0;
    long backoff = 1;
    for (;;) {
        /* test: relaxed loads read the waiter's own cached copy, no bus traffic, until the
         * holder's release store invalidates it */
        while (atomic_load_explicit(&ttas_held, memory_order_relaxed))
            spin_turn(t, &in_a_row);
        /* ... and set: one write, only when it looked free */
        if (!atomic_exchange_explicit(&ttas_held, true, memory_order_acquire))
            return;
        /* another waiter saw it free too and won: wait a while before looking again */
        for (long i = 0; i < backoff; i++)
            spin_turn(t, &in_a_row);
        if (backoff < TTAS_MAX_BACKOFF)
            backoff *= 2;
    }
}

static void ttas_unlock(struct tally *t)
{
    (void)t;
    atomic_store_explicit(&ttas_held, false, memory_order_release);
}

/* ---- ticket: take a number, wait to be served -------------------------------------------- */

static struct {
    _Alignas(64) atomic_uint next;   /* the next number to hand out */
    atomic_uint serving;             /* the number that may hold the lock now */
} ticket;

static void ticket_lock(struct tally *t)
{
    long in_a_row = 0;
    /* relaxed: the number only has to be unique; the acquire is on serving */
    unsigned mine = atomic_fetch_add_explicit(&ticket.next, 1, memory_order_relaxed);
    while (atomic_load_explicit(&ticket.serving, memory_order_acquire) != mine)
        spin_turn(t, &in_a_row);
}

static void ticket_unlock(struct tally *t)
{
    (void)t;
    /* only the holder writes serving, so a plain load and store (not an RMW) suffice;
     * unsigned arithmetic wraps around, and so do the numbers */
    unsigned now = atomic_load_explicit(&ticket.serving, memory_order_relaxed);
    atomic_store_explicit(&ticket.serving, now + 1, memory_order_release);
}

/* ---- futex: Drepper's mutex, sleeping in the kernel -------------------------------------- */

#if HAVE_FUTEX
/* Linux only: the one system call of this lesson. FUTEX_WAIT sleeps while *word still
 * equals value (the kernel checks that and goes to sleep as one step, so a wake between our
 * last look and the sleep is not lost); FUTEX_WAKE wakes up to value sleepers. _PRIVATE:
 * only threads of this process use the word. A wait that returns early (EAGAIN: the word
 * had changed; EINTR: a signal) is fine: the caller looks at the word again. The kernel
 * reads the word as a plain int, which an atomic_int is on Linux. */
static void futex_call(atomic_int *word, int op, int value)
{
    _Static_assert(sizeof(atomic_int) == sizeof(int), "the kernel reads the word as an int");
    if (syscall(SYS_futex, (int *)word, op, value, NULL, NULL, 0) == -1 && errno != EAGAIN &&
        errno != EINTR)
        die_errno("futex");
}

enum { FUTEX_FREE = 0, FUTEX_HELD = 1, FUTEX_WAITED = 2 };
static _Alignas(64) atomic_int futex_word;

static void futex_lock(struct tally *t)
{
    int seen = FUTEX_FREE;
    /* free -> held: the fast path, one CAS and no system call */
    if (atomic_compare_exchange_strong_explicit(&futex_word, &seen, FUTEX_HELD,
                                                memory_order_acquire, memory_order_relaxed))
        return;
    /* taken: say that somebody waits (2), and find out whether it was freed meanwhile.
     * From here on this thread takes the lock only as 2, never 1: it cannot know whether
     * others sleep, so its unlock must wake one (at worst, nobody: a wasted call). */
    if (seen != FUTEX_WAITED)
        seen = atomic_exchange_explicit(&futex_word, FUTEX_WAITED, memory_order_acquire);
    while (seen != FUTEX_FREE) {
        futex_call(&futex_word, FUTEX_WAIT_PRIVATE, FUTEX_WAITED);
        t->sleeps++;
        seen = atomic_exchange_explicit(&futex_word, FUTEX_WAITED, memory_order_acquire);
    }
}

static void futex_unlock(struct tally *t)
{
    (void)t;
    /* 1 -> 0: nobody waited, nothing more to do. 2 -> 1: somebody may sleep: free it
     * (0) and wake one sleeper, who will take it as 2. */
    if (atomic_fetch_sub_explicit(&futex_word, 1, memory_order_release) != FUTEX_HELD) {
        atomic_store_explicit(&futex_word, FUTEX_FREE, memory_order_release);
        futex_call(&futex_word, FUTEX_WAKE_PRIVATE, 1);
    }
}
#endif

/* ---- mutex: the baseline ------------------------------------------------------------------ */

static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;

static void mutex_lock(struct tally *t)
{
    (void)t;
    PT_CHECK(pthread_mutex_lock(&mutex));
}

static void mutex_unlock(struct tally *t)
{
    (void)t;
    PT_CHECK(pthread_mutex_unlock(&mutex));
}

/* ---- broken: a bool tested, then set --------------------------------------------------- */

/* volatile only so the compiler really reloads it in the loop (it is no lock and no
 * synchronization: see lesson 08). */
static _Alignas(64) volatile bool broken_held;

static void broken_lock(struct tally *t)
{
    long in_a_row = 0;
    /* BROKEN: the test and the set are two steps. Between this loop seeing false and the
     * store below, another thread can see false too, and both go in. Nor does anything
     * order the critical section's accesses after it: a data race, ThreadSanitizer says.
     * FIXED: one indivisible test-and-set (tas_lock), or a ticket (ticket_lock). */
    while (broken_held)
        spin_turn(t, &in_a_row);
    broken_held = true;
}

static void broken_unlock(struct tally *t)
{
    (void)t;
    broken_held = false;
}

/* ---- the table of locks --------------------------------------------------------------- */

struct lock_ops {
    void (*lock)(struct tally *t);
    void (*unlock)(struct tally *t);
};

static const struct lock_ops ops[NLOCKS] = {
    [LOCK_TAS] = { tas_lock, tas_unlock },
    [LOCK_TTAS] = { ttas_lock, ttas_unlock },
    [LOCK_TICKET] = { ticket_lock, ticket_unlock },
#if HAVE_FUTEX
    [LOCK_FUTEX] = { futex_lock, futex_unlock },
#endif
    [LOCK_MUTEX] = { mutex_lock, mutex_unlock },
    [LOCK_BROKEN] = { broken_lock, broken_unlock },
};

/* ---- the critical section -------------------------------------------------------------- */

/* What the lock protects: plain longs, no atomics. Outside the critical section count and
 * mirror are equal; inside, the holder moves count first and mirror after. */
static struct {
    _Alignas(64) long count;
    long mirror;
    long torn;           /* entries that found count != mirror: another thread was inside */
} shared;

/* A non-atomic read-modify-write, written out as volatile loads and stores (as in lesson
 * 08) so the compiler cannot fuse the steps into one instruction and narrow the window a
 * broken lock leaves open. Under a real lock no other thread can be between them. */
static void critical_section(void)
{
    volatile long *count = &shared.count, *mirror = &shared.mirror;
    long seen = *count;
    if (*mirror != seen)
        shared.torn++;
    *count = seen + 1;
    *mirror = seen + 1;
}

/* ---- one run: T threads on one lock ------------------------------------------------- */

/* For the watchdog: which lock runs now, in which part (1 exact, 2 timed). */
static atomic_int running_lock = NLOCKS, running_part;

struct run {
    const struct lock_ops *lock;
    long iterations;             /* per thread; 0: until stop */
    atomic_bool stop;            /* the timed window is over */
    pthread_barrier_t start;     /* the workers and main: all go at once */
};

struct worker {
    pthread_t tid;
    struct run *run;
    struct tally tally;
    int64_t began, ended;        /* the worker's own clock, read by main after the join */
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct run *run = w->run;
    const struct lock_ops *lock = run->lock;
    struct tally *t = &w->tally;
    int rc = pthread_barrier_wait(&run->start);
    if (rc != 0 && rc != PTHREAD_BARRIER_SERIAL_THREAD)
        die_rc("pthread_barrier_wait", rc);
    w->began = now_ns();
    if (run->iterations > 0) {
        for (long i = 0; i < run->iterations; i++) {
            lock->lock(t);
            critical_section();
            lock->unlock(t);
        }
        t->acquired = run->iterations;
    } else {
        do {    /* at least once: a thread the scheduler kept out all along still counts */
            lock->lock(t);
            critical_section();
            lock->unlock(t);
            t->acquired++;
        } while (!atomic_load_explicit(&run->stop, memory_order_relaxed));
    }
    w->ended = now_ns();
    return NULL;
}

struct outcome {
    double seconds;              /* first worker's start to last worker's end */
    double cpus;                 /* the process's CPU seconds over main's wall seconds */
    long counter, torn;          /* the shared counter and torn count at the end */
    struct tally sum;            /* the workers' tallies added up; sum.acquired: expected */
    long per_thread[MAX_THREADS];
};

/* T workers on one lock: N acquisitions each, or (iterations 0) as many as they can until
 * main, `window` seconds after they all started, tells them to stop. The workers count
 * their own acquisitions; the shared counter must come out equal to their sum. */
static struct outcome run_lock(enum lock_kind kind, int nthreads, long iterations,
                               double window)
{
    struct run run = { .lock = &ops[kind], .iterations = iterations };
    struct worker workers[MAX_THREADS] = { 0 };
    atomic_init(&run.stop, false);
    HELGRIND_IGNORE(run.stop);   /* an atomic, which helgrind cannot see as one */
    shared.count = shared.mirror = shared.torn = 0;    /* no worker runs yet */
    atomic_store(&running_lock, (int)kind);
    PT_CHECK(pthread_barrier_init(&run.start, NULL, (unsigned)nthreads + 1));
    for (int i = 0; i < nthreads; i++) {
        workers[i].run = &run;
        PT_CHECK(pthread_create(&workers[i].tid, NULL, worker_main, &workers[i]));
    }
    double cpu_before = cpu_seconds_self(), wall_before = now_s();
    int rc = pthread_barrier_wait(&run.start);
    if (rc != 0 && rc != PTHREAD_BARRIER_SERIAL_THREAD)
        die_rc("pthread_barrier_wait", rc);
    if (iterations == 0) {
        nap(window);
        atomic_store_explicit(&run.stop, true, memory_order_relaxed);
    }

    struct outcome o = { .counter = 0 };
    int64_t first = INT64_MAX, last = INT64_MIN;
    for (int i = 0; i < nthreads; i++) {
        PT_CHECK(pthread_join(workers[i].tid, NULL));
        const struct tally *t = &workers[i].tally;
        o.per_thread[i] = t->acquired;
        add_tally(&o.sum, t);
        first = workers[i].began < first ? workers[i].began : first;
        last = workers[i].ended > last ? workers[i].ended : last;
    }
    o.cpus = (cpu_seconds_self() - cpu_before) / (now_s() - wall_before);
    o.seconds = (double)(last - first) / 1e9;
    o.counter = shared.count;    /* every worker has been joined */
    o.torn = shared.torn;
    PT_CHECK(pthread_barrier_destroy(&run.start));
    return o;
}

/* Everything counted over a whole run of the lesson, for the verdict. */
struct totals {
    long counter, expected, torn;
};

static void add_up(struct totals *all, const struct outcome *o)
{
    all->counter += o->counter;
    all->expected += o->sum.acquired;
    all->torn += o->torn;
}

/* ---- part one: exact, N acquisitions per thread ------------------------------------------ */

static void exact(const enum lock_kind *locks, int nlocks, int nthreads, long iterations,
                  struct totals *all)
{
    atomic_store(&running_part, 1);
    printf("part one, exact: each lock in turn, %d thread%s x %ld acquisitions\n", nthreads,
           nthreads == 1 ? "" : "s", iterations);
    printf("%-7s %12s %12s %8s %10s\n", "lock", "counter", "expected", "torn", "ms");
    for (int i = 0; i < nlocks; i++) {
        struct outcome o = run_lock(locks[i], nthreads, iterations, 0);
        add_up(all, &o);
        printf("%-7s %12ld %12ld %8ld %10.1f\n", kind_names[locks[i]], o.counter,
               o.sum.acquired, o.torn, o.seconds * 1e3);
    }
}

/* ---- part two: timed, a fixed time per lock and round ------------------------------------ */

/* What one lock did over all the rounds of part two. */
struct timed {
    double ns[MAX_ROUNDS];       /* wall time over acquisitions, each round */
    double cpus[MAX_ROUNDS];
    double unfair[MAX_ROUNDS];   /* most / fewest acquisitions of one thread, each round */
    struct tally sum;
    long counter, torn;
    long per_thread[MAX_THREADS];
};

/* "12.3", or "-" for a lock that does not do it. */
static const char *per(char *out, size_t size, bool does, double scale, long what, long of)
{
    if (does)
        snprintf(out, size, "%.1f", scale * (double)what / (double)of);
    else
        snprintf(out, size, "-");
    return out;
}

static void print_table(const enum lock_kind *locks, int nlocks, struct timed *res,
                        int rounds)
{
    double mutex_ns = 0;
    for (int i = 0; i < nlocks; i++)
        if (locks[i] == LOCK_MUTEX)
            mutex_ns = median(res[i].ns, rounds);
    printf("%-7s %9s %19s %9s %5s %10s %10s %10s %12s\n", "lock", "ns/acq", "(min-max)",
           "vs mutex", "CPUs", "spins/acq", "yields/1k", "sleeps/1k", "most/fewest");
    for (int i = 0; i < nlocks; i++) {
        struct timed *r = &res[i];
        enum lock_kind k = locks[i];
        bool spinner = k != LOCK_MUTEX && k != LOCK_FUTEX;
        long acquired = r->sum.acquired > 0 ? r->sum.acquired : 1;
        double ns = median(r->ns, rounds);           /* sorts: [0] min, [rounds-1] max */
        char spread[48], versus[16], spins[16], yields[16], sleeps[16];
        snprintf(spread, sizeof spread, "(%.1f-%.1f)", r->ns[0], r->ns[rounds - 1]);
        if (mutex_ns > 0)
            snprintf(versus, sizeof versus, "%.2fx", ns / mutex_ns);
        else
            snprintf(versus, sizeof versus, "-");
        printf("%-7s %9.1f %19s %9s %5.2f %10s %10s %10s %12.2f\n", kind_names[k], ns, spread,
               versus, median(r->cpus, rounds), per(spins, sizeof spins, spinner, 1,
               r->sum.spins, acquired), per(yields, sizeof yields, spinner, 1000,
               r->sum.yields, acquired), per(sleeps, sizeof sleeps, k == LOCK_FUTEX, 1000,
               r->sum.sleeps, acquired), median(r->unfair, rounds));
    }
}

static void print_threads(enum lock_kind k, const struct timed *r, int nthreads)
{
    long fewest = LONG_MAX, most = 0;
    for (int t = 0; t < nthreads; t++) {
        long got = r->per_thread[t];
        printf("%-7s thread %d: %ld acquisitions (%.1f%%)\n", kind_names[k], t, got,
               r->sum.acquired ? 100.0 * (double)got / (double)r->sum.acquired : 0.0);
        fewest = got < fewest ? got : fewest;
        most = got > most ? got : most;
    }
    printf("%-7s all %d: %ld acquisitions, counter %ld, torn %ld; fewest %ld, most %ld\n",
           kind_names[k], nthreads, r->sum.acquired, r->counter, r->torn, fewest, most);
}

/* A spinning thread never sleeps, so spinners that had CPUs to spin on show them busy:
 * min(T, CPUs) of them. Fewer, and the threads mostly took turns on the CPUs they got
 * (another program had the rest, or a tool ran one thread at a time): the figures then say
 * more about the scheduler than about the locks. So does any run under a sanitizer. */
static void doubt(const enum lock_kind *locks, int nlocks, struct timed *res, int rounds,
                  int nthreads)
{
    int cpus = cpus_allowed();   /* the CPUs online, or fewer under taskset */
    double could = nthreads < cpus ? nthreads : cpus;
    if (timing_tool()) {
        printf("Doubt: %s slows every access its own way: these timings measure it\n",
               timing_tool());
        return;
    }
    for (int i = 0; i < nlocks; i++) {
        double busy = median(res[i].cpus, rounds);
        if (locks[i] != LOCK_MUTEX && locks[i] != LOCK_FUTEX && busy < 0.8 * could) {
            printf("Doubt: %s's spinners kept %.2f CPUs busy of the %.0f they could: they "
                   "took turns more than they contended (another program busy?); the figures say "
                   "as much about the scheduler as about the locks\n", kind_names[locks[i]],
                   busy, could);
            return;
        }
    }
}

static void timed(const enum lock_kind *locks, int nlocks, int nthreads, double window,
                  int rounds, struct totals *all)
{
    atomic_store(&running_part, 2);
    printf("part two, timed: each lock for %g s a round, %d round%s, the locks taking turns; "
           "%d thread%s on %d CPUs\n", window, rounds, rounds == 1 ? "" : "s", nthreads,
           nthreads == 1 ? "" : "s", cpus_allowed());
    struct timed *res = xcalloc((size_t)nlocks, sizeof *res);
    for (int r = 0; r < rounds; r++)
        for (int i = 0; i < nlocks; i++) {
            struct outcome o = run_lock(locks[i], nthreads, 0, window);
            add_up(all, &o);
            struct timed *t = &res[i];
            t->ns[r] = o.seconds * 1e9 / (double)o.sum.acquired;
            t->cpus[r] = o.cpus;
            long fewest = LONG_MAX, most = 0;
            for (int w = 0; w < nthreads; w++) {
                t->per_thread[w] += o.per_thread[w];
                fewest = o.per_thread[w] < fewest ? o.per_thread[w] : fewest;
                most = o.per_thread[w] > most ? o.per_thread[w] : most;
            }
            t->unfair[r] = (double)most / (double)fewest;   /* each took it at least once */
            add_tally(&t->sum, &o.sum);
            t->counter += o.counter;
            t->torn += o.torn;
        }

    print_table(locks, nlocks, res, rounds);
    printf("ns/acq: a round's wall time over its acquisitions; CPUs: the process's CPU time "
           "over wall time; most/fewest: one thread's acquisitions against another's, in a "
           "round; medians of the rounds, as measured\n");
    if (nthreads > cpus_allowed())
        printf("%d threads on %d CPUs: some waiters are always preempted, and so, now and "
               "then, is the holder\n", nthreads, cpus_allowed());
    doubt(locks, nlocks, res, rounds, nthreads);
    printf("each thread's acquisitions, all %d rounds added up:\n", rounds);
    for (int i = 0; i < nlocks; i++)
        print_threads(locks[i], &res[i], nthreads);
    free(res);
}

/* ---- main ----------------------------------------------------------------------------- */

/* The watchdog's end: which lock's threads were still at it, in which part. */
static void stuck(void *limit_s)
{
    int k = atomic_load(&running_lock);
    const char *name = k < NLOCKS ? kind_names[k] : "none";
    const char *part = atomic_load(&running_part) == 2 ? "timed" : "exact";
    warn_line("after %g s the %s lock's threads were still at part %s: stuck, or just slow "
              "(a larger --timeout, fewer --iterations?)", *(double *)limit_s, name, part);
    _Exit(verdict_stuck("lock=%s part=%s stuck_after=%gs", name, part, *(double *)limit_s));
}

static void explain_broken(const struct totals *all, int nthreads)
{
    long lost = all->expected - all->counter;
    if (lost > 0)
        printf("broken: lost %ld of %ld updates: two threads were inside at once\n", lost,
               all->expected);
    if (all->torn > 0)
        printf("broken: %ld entries found the pair half-updated: another thread was "
               "inside\n", all->torn);
    if (lost <= 0 && all->torn == 0 && nthreads == 1)
        printf("broken: one thread has nobody to race with: nothing lost, and nothing "
               "shown (try --threads 2 or more)\n");
    else if (lost <= 0 && all->torn == 0)
        printf("broken: no update lost and no torn pair this time; that is luck, not "
               "correctness (try more --threads or --iterations, or make tsan)\n");
}

/* Which locks run, in the order of the table: the broken one alone, one chosen lock, or
 * all five (four where there are no futexes). Returns how many. */
static int choose_locks(enum variant variant, int chosen, enum lock_kind *locks)
{
    if (variant == VARIANT_BROKEN) {
        /* BROKEN: a bool tested, then set (broken_lock): two threads can both get in */
        locks[0] = LOCK_BROKEN;
        return 1;
    }
    /* FIXED: real locks, each taken in one indivisible step */
    if (chosen != CHOICE_ALL) {
        locks[0] = (enum lock_kind)chosen;
        return 1;
    }
    int n = 0;
    for (int k = LOCK_TAS; k <= LOCK_MUTEX; k++) {
        if (k == LOCK_FUTEX && !HAVE_FUTEX) {
            printf("futex: skipped: futexes are Linux only\n");
            continue;
        }
        locks[n++] = (enum lock_kind)k;
    }
    return n;
}

int main(int argc, char **argv)
{
    cli_setup(argv[0], usage);
    QUIZ(quiz);
    int chosen = CHOICE_ALL;
    bool lock_given = false;
    enum variant variant = VARIANT_FIXED;
    int nthreads = 4, rounds = 3;
    long iterations = 20000;
    double window = 0.1, limit_s = 60;   /* limit_s: --timeout */

    static const struct option opts[] = {
        { "lock", required_argument, NULL, 'l' },
        { "variant", required_argument, NULL, 'v' },
        { "threads", required_argument, NULL, 't' },
        { "iterations", required_argument, NULL, 'i' },
        { "seconds", required_argument, NULL, 's' },
        { "rounds", required_argument, NULL, 'r' },
        { "yield-after", required_argument, NULL, 'y' },
        { "timeout", required_argument, NULL, 'T' },
        CLI_QUIZ, CLI_HELP, CLI_END,
    };
    for (int c; (c = cli_next(argc, argv, opts)) != -1;) {
        switch (c) {
        case 'l': chosen = parse_choice("--lock", optarg, lock_names); lock_given = true; break;
        case 'v': variant = (enum variant)parse_choice("--variant", optarg, variant_names); break;
        case 't': nthreads = (int)parse_long("--threads", optarg, 1, MAX_THREADS); break;
        case 'i': iterations = parse_long("--iterations", optarg, 1, 100000000); break;
        case 's': window = parse_double("--seconds", optarg, 0, 60); break;
        case 'r': rounds = (int)parse_long("--rounds", optarg, 1, MAX_ROUNDS); break;
        case 'y': yield_after = parse_long("--yield-after", optarg, 0, 1000000000); break;
        case 'T': limit_s = parse_double("--timeout", optarg, 0.001, 3600); break;
        }
    }
    if (variant == VARIANT_BROKEN && lock_given)
        usage_error("--variant broken brings its own lock: leave out --lock");
    if (chosen == LOCK_FUTEX && !HAVE_FUTEX)
        usage_error("--lock futex: not available here (futexes are Linux only)");

    enum lock_kind locks[NLOCKS];
    int nlocks = choose_locks(variant, chosen, locks);
    char names[64] = "";
    for (int i = 0; i < nlocks; i++)
        snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? "," : "",
                 kind_names[locks[i]]);

    /* part two's time is planned; the watchdog allows --timeout beyond it */
    limit_s += window * rounds * nlocks;
    watchdog dog;
    watchdog_start(&dog, limit_s, stuck, &limit_s);
    struct totals all = { 0 };
    exact(locks, nlocks, nthreads, iterations, &all);
    if (window > 0)
        timed(locks, nlocks, nthreads, window, rounds, &all);
    watchdog_stop(&dog);

    if (variant == VARIANT_BROKEN)
        explain_broken(&all, nthreads);
    return verdict(all.counter == all.expected && all.torn == 0,
                   "variant=%s locks=%s counter=%ld expected=%ld lost=%ld torn=%ld",
                   variant_names[variant], names, all.counter, all.expected,
                   all.expected - all.counter, all.torn);
}
