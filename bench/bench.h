/*
 * bench.h: what the in-process benchmarks in bench/ share (the lessons never need it).
 *
 *   stats_of(samples, n)      median, quartiles, min and max of n samples (sorts them)
 *   (progress lines go to stderr through core.h's warn_line: stdout is kept for the CSV)
 *   burn(start, count)        the CPU-bound kernel: squares summed modulo a prime, called
 *                             through a pointer so that every caller runs the same code
 *   calibrate_burn(ns)        how many numbers burn() must square to take about ns
 *   gran_sweep(m, n, opts)    the granularity sweep: one batch of burn() tasks per size,
 *                             from large to small, mechanisms taking turns; CSV rows
 *                             (bench/granularity, and bench/peers_tbb's oneTBB rows)
 *   run_threads(n, fn, args)  n threads released together; returns their wall time in ns,
 *                             and leaves in run_threads_overlap how much of it they all ran
 *   tp_check(rc, what)        a thread-pool call that must succeed
 *   parse_group(arg, ...)     --group ours|omp, for the programs with OpenMP rows
 *
 * The rules every benchmark here follows (see STYLE.md, "Benchmarks"): warm up first,
 * repeat, report the median with the range (min, max), and time with core.h's now_ns()
 * (CLOCK_MONOTONIC). Progress goes to stderr, data lines to stdout. It compiles as C and
 * as C++ (bench/peers_tbb.cpp includes it), so no implicit conversions from void *.
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

/* --group WHOSE of the programs with OpenMP rows (peers, granularity): "ours" (our pools,
 * threads, GLib) or "omp" (OpenMP's rows, whose idle threads spin, with the serial batches
 * they pair with); anything else is a usage error. */
static inline void parse_group(const char *arg, bool *ours, bool *omp)
{
    if (strcmp(arg, "ours") != 0 && strcmp(arg, "omp") != 0)
        usage_error("--group: expected ours or omp, got '%s'", escaped(arg));
    *ours = strcmp(arg, "ours") == 0;
    *omp = !*ours;
}

/* ---- granularity: the same work cut into ever smaller tasks -------------------------- */

/* One batch: `tasks` tasks; task i squares `count` numbers from i * count (burn) and puts
 * the result in results[i]. */
typedef struct {
    long tasks;
    uint64_t count;
    int workers;
    uint64_t *results;
} gran_batch;

static inline void gran_task(const gran_batch *b, long i)
{
    b->results[i] = burn((uint64_t)i * b->count, b->count);
}

/* A way of running every task of a batch once; the first of a sweep's is serial. */
typedef struct {
    const char *name;
    void (*run)(const gran_batch *b);
} gran_mechanism;

typedef struct {
    int workers, reps, per_decade;
    double total_ms, max_us, min_us;
    long max_tasks;
    void (*prepare)(const gran_batch *b); /* NULL, or called with each size's batch first */
} gran_options;

/* The sweep's command line, the same in every program that runs one: options, the usage
 * lines, gran_option(), which takes one parsed option and says if it was one of these,
 * gran_check() for what no single option can tell, and the defaults. */
#define GRAN_LONGOPTS                                                                  \
    {"total-ms", required_argument, NULL, 'T'}, {"max-tasks", required_argument, NULL, 'N'}, \
    {"max-us", required_argument, NULL, 'M'}, {"min-us", required_argument, NULL, 'm'},      \
    {"per-decade", required_argument, NULL, 'k'}
#define GRAN_USAGE                                                                        \
    "  --total-ms MS   serial CPU work per task size, in milliseconds (default 200)\n"       \
    "  --max-tasks N   at most this many tasks per batch; small tasks do less work\n"        \
    "                  (default 20000)\n"                                                    \
    "  --max-us US     the largest task, in microseconds (default 100000 = 100 ms)\n"       \
    "  --min-us US     the smallest task, in microseconds (default 1)\n"                    \
    "  --per-decade K  task sizes per factor of ten (default 2)\n"

static inline gran_options gran_defaults(void)
{
    gran_options o = {online_cpus(), 5, 2, 200, 100000, 1, 20000, NULL};
    return o;
}

/* After the command line: --min-us above --max-us is a usage error. */
static inline void gran_check(const gran_options *o)
{
    if (o->min_us > o->max_us)
        usage_error("--min-us %g is larger than --max-us %g", o->min_us, o->max_us);
}

static inline bool gran_option(int opt, const char *arg, gran_options *o)
{
    switch (opt) {
    case 'T': o->total_ms = parse_double("--total-ms", arg, 0.001, 1e6); return true;
    case 'N': o->max_tasks = parse_long("--max-tasks", arg, 1, 10000000); return true;
    case 'M': o->max_us = parse_double("--max-us", arg, 0.01, 1e7); return true;
    case 'm': o->min_us = parse_double("--min-us", arg, 0.01, 1e7); return true;
    case 'k': o->per_decade = (int)parse_long("--per-decade", arg, 1, 10); return true;
    default: return false;
    }
}

/* For each task size, from max_us down to min_us (per_decade sizes per factor of ten), one
 * batch of about total_ms of serial work (at least `workers` tasks, at most max_tasks): an
 * untimed warm-up of every mechanism, then `reps` rounds in which the mechanisms take
 * turns, each batch starting from zeroed results and checked against serial's sum. Prints
 * per mechanism and size
 *   mechanism,task_ns,tasks,workers,median_ns,min_ns,max_ns,speedup,reps
 * (the time of the whole batch; speedup: serial's median over this one's), serial's row
 * only if print_serial, and a progress line on stderr. m[0] must be serial. */
static inline void gran_sweep(const gran_mechanism *m, int n, const gran_options *o,
                              bool print_serial)
{
    uint64_t *results = (uint64_t *)xcalloc((size_t)o->max_tasks, sizeof *results);
    double *samples = (double *)xcalloc((size_t)n * (size_t)o->reps, sizeof *samples);
    int steps = (int)floor(log10(o->max_us / o->min_us) * o->per_decade + 1e-9);
    for (int step = 0; step <= steps; step++) {
        double task_ns = o->max_us * 1e3 * pow(10, -(double)step / o->per_decade);
        long tasks = lround(o->total_ms * 1e6 / task_ns);
        if (tasks < o->workers)
            tasks = o->workers; /* every worker gets at least one task */
        if (tasks > o->max_tasks)
            tasks = o->max_tasks;
        gran_batch b = {tasks, calibrate_burn(task_ns), o->workers, results};
        if (o->prepare)
            o->prepare(&b);
        uint64_t expected = 0;
        for (int r = -1; r < o->reps; r++)
            for (int i = 0; i < n; i++) {
                memset(results, 0, (size_t)tasks * sizeof *results);
                int64_t t0 = now_ns();
                m[i].run(&b);
                int64_t dt = now_ns() - t0;
                uint64_t got = 0;
                for (long k = 0; k < tasks; k++)
                    got += results[k];
                if (r < 0 && i == 0)
                    expected = got;
                else if (got != expected)
                    die("%s: sum %llu, serial %llu", m[i].name, (unsigned long long)got,
                        (unsigned long long)expected);
                if (r >= 0)
                    samples[i * o->reps + r] = (double)dt;
            }
        double serial = stats_of(&samples[0], o->reps).median;
        for (int i = print_serial ? 0 : 1; i < n; i++) {
            stats_t s = stats_of(&samples[i * o->reps], o->reps);
            printf("%s,%.0f,%ld,%d,%.0f,%.0f,%.0f,%.3f,%d\n", m[i].name, task_ns, tasks,
                   o->workers, s.median, s.min, s.max, serial / s.median, o->reps);
            if (i > 0)
                warn_line("task %10.3f us x %-6ld %-20s speedup %.2f", task_ns / 1e3, tasks,
                          m[i].name, serial / s.median);
        }
        fflush(stdout);
    }
    free(results);
    free(samples);
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
    starter_t *s = (starter_t *)p;
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
        starter_t one = {&start, fn, args ? args[i] : NULL, 0, 0};
        st[i] = one;
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
