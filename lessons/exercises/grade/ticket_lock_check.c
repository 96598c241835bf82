/* ticket_lock_check.c: the checks of exercise "ticket_lock" (see grade.h), and its timed
 * workload for the speed check (scripts/grade.sh compares it with the reference's). */
#include "cpu.h"
#include "grade.h"
#include "latch.h"
#include "ticket_lock.h"

enum { THREADS = 2 };

typedef struct shared {
    ticket_lock l;
    long rounds;
    long counter;        /* plain: only the lock protects it */
    atomic_int inside;   /* how many hold the lock now: must never pass 1 */
    atomic_long crowded; /* times a thread found another inside */
    atomic_long done[THREADS]; /* rounds each thread has finished */
    latch start;         /* both threads begin together: contention from the first round */
} shared;

typedef struct hammerer {
    shared *s;
    int id;
} hammerer;

/* At least `rounds` rounds, and on until the other thread has done half of its own, so the
 * two overlap even if one starts late. Every NAP_EVERY rounds the holder naps inside: a
 * lock that lets a second thread in is caught there in every run, not only when the two
 * happen to collide. */
static void *hammer(void *arg)
{
    enum { NAP_EVERY = 256 };
    hammerer *h = arg;
    shared *s = h->s;
    latch_wait(&s->start);
    for (long i = 0; i < s->rounds ||
                     atomic_load_explicit(&s->done[1 - h->id], memory_order_relaxed) < s->rounds / 2;
         i++) {
        ticket_lock_acquire(&s->l);
        if (atomic_fetch_add_explicit(&s->inside, 1, memory_order_relaxed) != 0)
            atomic_fetch_add_explicit(&s->crowded, 1, memory_order_relaxed);
        s->counter++;
        if (i % NAP_EVERY == 0)
            nap(0.0001);
        atomic_fetch_sub_explicit(&s->inside, 1, memory_order_relaxed);
        ticket_lock_release(&s->l);
        atomic_store_explicit(&s->done[h->id], i + 1, memory_order_relaxed);
    }
    return NULL;
}

/* Runs the threads, all released at once. */
static void run_hammer(shared *s)
{
    ticket_lock_init(&s->l);
    latch_init(&s->start);
    pthread_t t[THREADS];
    hammerer h[THREADS];
    for (int i = 0; i < THREADS; i++) {
        h[i] = (hammerer){ s, i };
        PT_CHECK(pthread_create(&t[i], NULL, hammer, &h[i]));
    }
    latch_await_arrivals(&s->start, THREADS);
    latch_open(&s->start);
    for (int i = 0; i < THREADS; i++)
        PT_CHECK(pthread_join(t[i], NULL));
    latch_destroy(&s->start);
}

static bool mutual_exclusion(char *why, size_t size)
{
    shared s = { .rounds = grade_size(50000) };
    run_hammer(&s);
    long crowded = atomic_load(&s.crowded), expected = 0;
    for (int i = 0; i < THREADS; i++)
        expected += atomic_load(&s.done[i]);
    snprintf(why, size, "%d threads, %ld rounds in all: counter=%ld expected=%ld, %ld times two were inside",
             THREADS, expected, s.counter, expected, crowded);
    return s.counter == expected && crowded == 0;
}

typedef struct queuer {
    ticket_lock *l;
    atomic_bool entered;
    atomic_int *order_next;
    int id, order_at; /* where in the order this one got in (1 = first) */
} queuer;

static void *queue_up(void *arg)
{
    queuer *q = arg;
    ticket_lock_acquire(q->l);
    atomic_store(&q->entered, true);
    q->order_at = atomic_fetch_add(q->order_next, 1) + 1;
    ticket_lock_release(q->l);
    return NULL;
}

/* Waits up to 10 s until the lock has handed out `tickets` tickets. */
static bool tickets_taken(ticket_lock *l, unsigned tickets)
{
    int64_t until = now_ns() + 10000000000;
    while (atomic_load(&l->next) < tickets)
        if (now_ns() > until)
            return false;
        else
            nap(0.001);
    return true;
}

static bool fifo(char *why, size_t size)
{
    ticket_lock l;
    ticket_lock_init(&l);
    atomic_int order_next = 0;
    queuer a = { .l = &l, .order_next = &order_next, .id = 1 }, b = a;
    b.id = 2;
    ticket_lock_acquire(&l); /* ticket 0: held by this thread */
    pthread_t ta, tb;
    PT_CHECK(pthread_create(&ta, NULL, queue_up, &a));
    bool a_queued = tickets_taken(&l, 2); /* A holds ticket 1 */
    PT_CHECK(pthread_create(&tb, NULL, queue_up, &b));
    bool b_queued = tickets_taken(&l, 3); /* B holds ticket 2 */
    nap(0.02);                            /* time for a lock that lets them in to do so */
    bool early = atomic_load(&a.entered) || atomic_load(&b.entered);
    ticket_lock_release(&l);
    PT_CHECK(pthread_join(ta, NULL));
    PT_CHECK(pthread_join(tb, NULL));
    if (!a_queued || !b_queued)
        snprintf(why, size, "a waiter did not take a ticket (l->next) within 10 s");
    else
        snprintf(why, size, "%s; after release, first in came %s",
                 early ? "a waiter got in while the lock was held" : "both waited while the lock was held",
                 a.order_at == 1 ? "the first ticket" : "the second ticket");
    return a_queued && b_queued && !early && a.order_at == 1 && b.order_at == 2;
}

/* The reference solution's lock, linked into this program too under these names (the
 * Makefile compiles solutions/ticket_lock.c a second time with its functions renamed). */
void ref_ticket_lock_init(ticket_lock *l);
void ref_ticket_lock_acquire(ticket_lock *l);
void ref_ticket_lock_release(ticket_lock *l);

typedef struct lock_ops {
    void (*init)(ticket_lock *), (*acquire)(ticket_lock *), (*release)(ticket_lock *);
} lock_ops;

/* CPU ns per acquire+release by one thread, the lock free each time. */
static double time_lock(const lock_ops *ops, long rounds)
{
    ticket_lock l;
    ops->init(&l);
    long counter = 0;
    double start = cpu_seconds_self();
    for (long i = 0; i < rounds; i++) {
        ops->acquire(&l);
        counter++;
        ops->release(&l);
    }
    double ns = (cpu_seconds_self() - start) * 1e9 / (double)rounds;
    if (counter != rounds)
        die("bench: counter=%ld expected=%ld", counter, rounds);
    return ns;
}

/* The speed check: the student's lock and the reference's, timed turn about in this one
 * process (which goes first alternates), PAIRS times; the ratio is the median of the
 * pairs' ratios, so a change of pace on the machine hits both sides of a pair alike.
 * CPU time, not wall time: being descheduled costs no CPU time. One thread, the lock free
 * each time: on a 2-vCPU VM a contended handoff costs anything from 9 ns (both threads on
 * one CPU, handing over at a yield) to over 200 ns (measured, one binary, run after run),
 * too wide for a 1.5x bound to mean anything. The uncontended path still shows a lock that
 * does too much (a system call, a mutex inside); a lock that spins badly under contention
 * shows up in the mutual-exclusion check instead, as stuck. */
static grade_speed bench(void)
{
    enum { PAIRS = 21, ROUNDS = 1000000 };
    static const lock_ops mine = { ticket_lock_init, ticket_lock_acquire, ticket_lock_release };
    static const lock_ops ref = { ref_ticket_lock_init, ref_ticket_lock_acquire,
                                  ref_ticket_lock_release };
    double ns[PAIRS], ref_ns[PAIRS], ratio[PAIRS];
    time_lock(&mine, ROUNDS); /* warm-up, both */
    time_lock(&ref, ROUNDS);
    for (int i = 0; i < PAIRS; i++) {
        if (i % 2 == 0) {
            ns[i] = time_lock(&mine, ROUNDS);
            ref_ns[i] = time_lock(&ref, ROUNDS);
        } else {
            ref_ns[i] = time_lock(&ref, ROUNDS);
            ns[i] = time_lock(&mine, ROUNDS);
        }
        ratio[i] = ns[i] / ref_ns[i];
    }
    return (grade_speed){ median(ns, PAIRS), median(ref_ns, PAIRS), median(ratio, PAIRS), PAIRS };
}

const grade_exercise grade_this = {
    .name = "ticket_lock",
    .helgrind = false, /* it cannot see C11 atomics: every access would look like a race */
    .bench = bench,
    .bench_what = "CPU per uncontended lock+unlock",
    .checks = {
        { .name = "invariant: mutual exclusion (a plain counter under the lock is exact, never two inside)", .run = mutual_exclusion },
        { .name = "FIFO: two waiters enter in the order they took their tickets", .run = fifo },
    },
};
