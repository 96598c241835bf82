/*
 * bench.h: what the in-process benchmarks in bench/ share (the lessons never need it).
 *
 *   stats_of(samples, n)      median, quartiles, min and max of n samples (sorts them)
 *   (progress lines go to stderr through core.h's warn_line: stdout is kept for the CSV)
 *   burn(start, count)        the CPU-bound kernel: squares summed modulo a prime, called
 *                             through a pointer so that every caller runs the same code
 *   calibrate_burn(ns)        how many numbers burn() must square to take about ns
 *   run_threads(n, fn, args)  n threads released together; returns their wall time in ns,
 *                             and leaves in run_threads_overlap how much of it they all ran
 *   tp_check(rc, what)        a thread-pool call that must succeed
 *
 * The rules every benchmark here follows (see STYLE.md, "Benchmarks"): warm up first,
 * repeat, report the median with the range (min, max), and time with core.h's now_ns()
 * (CLOCK_MONOTONIC). Progress goes to stderr, data lines to stdout.
 */
#ifndef BENCH_BENCH_H
#define BENCH_BENCH_H

#include "program.h"

#include <unistd.h>

#include "thread_pool.h"

/* A benchmark has no use for a pool call that failed: stop, saying why. */
static inline void tp_check(int rc, const char *what)
{
    if (rc != TP_OK)
        die("%s: %s", what, tp_strerror(rc));
}

/* ---- statistics ------------------------------------------------------------------ */

typedef struct {
    double median, min, max;
    double q1, q3; /* the quartiles: half the samples lie between them */
} stats_t;

/* The sample at quantile p of n sorted samples, interpolated between neighbours (Python's
 * statistics.quantiles(method="inclusive"), which scripts/benchstats.py uses). */
static inline double quantile_sorted(const double *sorted, int n, double p)
{
    double at = p * (n - 1);
    int lo = (int)at;
    return lo + 1 < n ? sorted[lo] + (at - lo) * (sorted[lo + 1] - sorted[lo]) : sorted[lo];
}

/* The median (core.h's: unlike the mean, one run disturbed by another process does not move
 * it), the quartiles, and the smallest and the largest sample. */
static inline stats_t stats_of(double *samples, int n)
{
    stats_t s;
    s.median = median(samples, n); /* sorts them */
    s.min = samples[0];
    s.max = samples[n - 1];
    s.q1 = quantile_sorted(samples, n, 0.25);
    s.q3 = quantile_sorted(samples, n, 0.75);
    return s;
}

/* ---- the CPU-bound work ---------------------------------------------------------- */

/* The sum of i*i for i in [start, start+count), modulo a prime. The modulo makes every
 * step depend on the one before, so no compiler can replace the loop by a formula (clang
 * turns a plain sum of squares into one), and the caller checks the result, so the loop
 * cannot be dropped either. What is left is honest, calibrated CPU time. */
static inline uint64_t burn_loop(uint64_t start, uint64_t count)
{
    const uint64_t prime = 1000000007u;
    uint64_t sum = 0;
    for (uint64_t i = start; i < start + count; i++)
        sum = (sum + (i % prime) * (i % prime)) % prime;
    return sum;
}

/* Everyone calls the kernel through this pointer, so every mechanism (and the calibration)
 * runs the very same machine code. Left to itself the compiler inlines a copy into each
 * caller, and copies allocated differently can differ by 2x in speed: a "speedup" would
 * then partly be a register allocation. (bench/peers does the same for sum_squares.h.) */
static uint64_t (*volatile burn)(uint64_t start, uint64_t count) = burn_loop;

/* How many numbers burn() squares in `ns` nanoseconds on this machine: time ever larger
 * runs until one lasts 20 ms, then scale. The first runs double as the warm-up. */
static inline uint64_t calibrate_burn(double ns)
{
    static double ns_per_number = 0;
    if (ns_per_number == 0) {
        volatile uint64_t sink = 0;
        for (uint64_t count = 1024;; count *= 2) {
            int64_t t0 = now_ns();
            sink += burn(count, count);
            int64_t dt = now_ns() - t0;
            if (dt >= 20000000) {
                ns_per_number = (double)dt / (double)count;
                break;
            }
        }
        (void)sink;
    }
    double count = ns / ns_per_number;
    return count < 1 ? 1 : (uint64_t)count;
}

/* ---- threads released together --------------------------------------------------- */

typedef struct {
    pthread_barrier_t *start;
    void *(*fn)(void *);
    void *arg;
    int64_t began, ended; /* when this thread started and finished its work */
} starter_t;

static void *starter(void *p)
{
    starter_t *s = p;
    int rc = pthread_barrier_wait(s->start);
    if (rc != 0 && rc != PTHREAD_BARRIER_SERIAL_THREAD)
        die_rc("pthread_barrier_wait", rc);
    s->began = now_ns();
    void *result = s->fn(s->arg);
    s->ended = now_ns();
    return result;
}

/* The share of run_threads' wall time during which every thread was running its work (from
 * the last start to the first end), 0..1. Near 1 on an idle machine; near 0 when the threads
 * took turns because other programs held the cores: a "contended" figure then measured
 * little contention. */
static double run_threads_overlap = -1;

/* Starts n threads running fn(args[i]) (args may be NULL: every thread gets NULL), holds
 * them at a barrier until all exist, and returns the time from the first one's start to
 * the last one's end. The threads take the times themselves: on a busy machine the main
 * thread may not run again until they are done, and its clock would see nothing. */
static inline int64_t run_threads(int n, void *(*fn)(void *), void **args)
{
    enum { MAX_THREADS = 1024 };
    pthread_t tid[MAX_THREADS];
    starter_t st[MAX_THREADS];
    pthread_barrier_t start;
    if (n < 1 || n > MAX_THREADS)
        die("run_threads: %d threads", n);
    PT_CHECK(pthread_barrier_init(&start, NULL, (unsigned)n));
    for (int i = 0; i < n; i++) {
        st[i] = (starter_t){&start, fn, args ? args[i] : NULL, 0, 0};
        PT_CHECK(pthread_create(&tid[i], NULL, starter, &st[i]));
    }
    int64_t began = INT64_MAX, ended = 0, last_began = 0, first_ended = INT64_MAX;
    for (int i = 0; i < n; i++) {
        PT_CHECK(pthread_join(tid[i], NULL)); /* join: the times are ours to read after it */
        began = st[i].began < began ? st[i].began : began;
        ended = st[i].ended > ended ? st[i].ended : ended;
        last_began = st[i].began > last_began ? st[i].began : last_began;
        first_ended = st[i].ended < first_ended ? st[i].ended : first_ended;
    }
    PT_CHECK(pthread_barrier_destroy(&start));
    run_threads_overlap = ended > began && first_ended > last_began
                              ? (double)(first_ended - last_began) / (double)(ended - began)
                              : 0;
    return ended - began;
}

#endif
