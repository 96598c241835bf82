/*
 * peers: our pools beside GLib's GThreadPool and OpenMP, on the same work in the same run.
 *
 *   make benches && ./build/bench/peers > peers.csv
 *   ./build/bench/peers --count 4 --tasks 10000 --reps 3          # quick
 *   ./build/bench/peers --only dispatch --tasks 10000 --reps 21   # one table only
 *   OMP_WAIT_POLICY=active ./build/bench/peers --group omp        # OpenMP's rows alone
 *
 * Two benchmarks, each mechanism with --workers workers:
 *
 *   sumsq     lesson 14's work: task k is the sum of i*i below start+k (sum_squares.h),
 *             for k < --count; one task per hand-over everywhere (chunk 1, dynamic), so
 *             the comparison is about the runtimes and not about how the work was cut
 *   dispatch  --tasks empty tasks: what handing over one task costs, all in
 *   latency   submit to start: one task at a time on idle workers, each waited for, --tasks/10
 *             per round; the p50 and p99 of each round (rows latency and latency99: their
 *             median over the rounds, min and max); OpenMP's is a parallel region's start;
 *             and handoff_floor, half a round trip between two spinning threads (2+ CPUs)
 *   idle      what an idle pool burns: the CPU of the second after a batch (both policies)
 *
 * Mechanisms: serial, pthreads (one thread per worker, static split), thread_pool (our
 * tp_map, chunk 1), thread_pool_detached / thread_pool_futures / thread_pool_map (dispatch:
 * fire-and-forget + tp_drain, one future each, tp_map with Python's default chunk),
 * thread_pool_apply (dispatch: one tp_apply round trip after another, N/20 of them: the
 * latency of a hand-over and a wait), all with tp_create's default wait policy (spin for
 * up to 50 us, then park; thread_pool.h, WAITING), and the _park rows: the same pool under
 * TP_WAIT_PARK (an idle worker parks at once, and each hand-over pays a wake-up),
 * thread_pool_helping (sumsq: tp_map in a pool made with .caller_helps, whose caller runs
 * chunks too, with workers - 1 threads so that the caller makes it workers), process_pool
 * (pp_map), process_pool_async (pp_apply_async + pp_get each), gthreadpool
 * (g_thread_pool_push each, then free with wait), omp_for (parallel for), omp_dynamic
 * (schedule(dynamic,1)), omp_task (one producer, one task each). Those whose library is
 * missing from the build are left out, with a line on stderr saying so. oneTBB's rows come
 * from bench/peers_tbb.cpp, a C++ program with the same tables, options and CSV.
 *
 * The mechanisms take turns: after a warm-up round, each of --reps rounds runs one batch of
 * every mechanism, in alternating order, so that a slow spell of the machine hits them all
 * instead of one row. OpenMP's rows take turns among themselves and with serial batches,
 * after the others (its idle threads spin; see below).
 *
 * Output CSV (median_ns, min_ns, max_ns: the whole batch for sumsq, one task for dispatch;
 * speedup and its quartiles speedup_q1, speedup_q3, sumsq only: the median of per-round
 * ratios serial / this mechanism, each pair from the same round; cpu_s: below; one_cpu,
 * sumsq only: the share of the reps whose tasks all ran on one CPU, as each task saw it
 * (current_cpu, Linux only; "nan" where not known, as for the process pool):
 *
 *   bench,mechanism,workers,items,median_ns,min_ns,max_ns,speedup,reps,cpu_s,speedup_q1,
 *   speedup_q3,one_cpu
 *
 * cpu_s is the CPU time, user + system, that one repetition burned, in seconds, median over
 * the reps (the whole batch, for dispatch too, not one task): what this process used from
 * the start to the end of the rep's timed interval (cpu_seconds_self: every thread, ours,
 * OpenMP's and GLib's), plus, for the process pools, what their worker processes used over
 * the same interval (cpu_seconds_of_process on each). The workers' figure exists on Linux
 * only: elsewhere the process pools' cpu_s is "nan", never a guess.
 *
 * Spinning. OpenMP's runtimes keep idle threads spinning for a while, so that the next
 * region starts at once (libgomp: GOMP_SPINCOUNT turns of a loop; LLVM's libomp:
 * KMP_BLOCKTIME, 200 ms). A rep is charged what its timed interval burned, no more:
 * spinning inside it (a thread waiting at the region's end for the others) is charged, as
 * part of what the batch cost; spinning after it is not, neither between two batches nor
 * after the last. That is why OpenMP's rows run after the others': once they are done,
 * peers waits for those threads to stop (at most 1 s) before other mechanisms run, so that
 * these are not charged for it nor share the cores with it, and says on stderr how much it
 * was. With
 * OMP_WAIT_POLICY=active or KMP_BLOCKTIME=infinite the threads never stop: peers says so,
 * and the cpu_s of every later row includes them. `make bench` runs --group omp in
 * processes of its own, under OMP_WAIT_POLICY=passive (park at once) and =active (spin
 * for good), and reports them as two rows each (omp_task_passive, omp_task_active, ...).
 *
 * Precision. The kernel brings a thread's CPU time up to date when the thread sleeps and at
 * each scheduler tick (1 to 10 ms), so a thread still running when a rep ends (OpenMP's,
 * spinning) is counted late: when reps last only a few ticks or less (the small tasks, the
 * tests), an OpenMP row's cpu_s may miss much of what its other threads burned; it lands
 * in a later rep or after the last. The threads of the pools, of GLib and of the pthreads
 * row sleep or end as a batch ends, and are counted in full.
 *
 * One process is one sample of the machine. Where the operating system placed the threads,
 * and whether a worker was asleep when work arrived, holds for long stretches: on a
 * 2-vCPU VM one process measured OpenMP task dispatch near 110 ns and the next near 290 ns,
 * with 41 reps each. `make bench` therefore runs the dispatch table (--only dispatch) in
 * several processes and reports the median of their medians with the range between them.
 *
 * Notice: on the big tasks every runtime reaches the same speedup (the work dominates);
 * on empty tasks they differ by orders of magnitude, and a process pool pays a pipe round
 * trip for each task unless tasks travel in chunks. cpu_s beside workers x median_ns tells
 * a mechanism whose idle workers sleep from one whose workers spin.
 * Try: --workers 1, then twice the CPUs; OMP_WAIT_POLICY=passive for the omp rows' cpu_s.
 */
#include "bench.h"

#include <semaphore.h>
#include <stdatomic.h>
#include "sum_squares.h"

#include "cpu.h"

#include "thread_pool.h"
#include "process_pool.h"
#ifdef HAVE_GLIB
#include <glib.h>
#endif
#ifdef _OPENMP
#include <omp.h>
#endif

static const char usage[] =
    "[--workers N] [--start S] [--count C] [--tasks N] [--reps R] [--only TABLE]\n"
    "       [--group WHOSE] [--help]\n"
    "  --workers N   threads or processes for every mechanism (default: the CPUs online)\n"
    "  --start S     sumsq: task k sums the squares below S + k (default 5000000)\n"
    "  --count C     sumsq: how many tasks (default 20)\n"
    "  --tasks N     dispatch: empty tasks per batch; process pools get N/20 (default 100000)\n"
    "  --reps R      repetitions; the median and range are over these (default 5)\n"
    "  --only TABLE  sumsq, dispatch, latency or idle: that table alone (default: all)\n"
    "  --group WHOSE ours (our pools, pthreads, GLib) or omp (OpenMP's rows, with the\n"
    "                serial batches they pair with): those alone (default: both)\n"
    "Prints CSV on stdout:\n"
    "  bench,mechanism,workers,items,median_ns,min_ns,max_ns,speedup,reps,cpu_s,speedup_q1,\n"
    "  speedup_q3,one_cpu\n";

static int workers = 2;
static uint64_t start_n = 5000000;
static long count = 20, empty_tasks = 100000;
static int reps = 5;
static bool do_sumsq = true, do_dispatch = true, do_latency = true, do_idle = true;
static bool do_ours = true, do_omp = true;

/* ---- the work -------------------------------------------------------------------------- */

static ss_u128 *sums;   /* sums[k] = task k's result, zeroed before every batch */
static int *task_cpu;   /* task_cpu[k] = the CPU task k ran on (current_cpu), -1: not known */
static uint64_t *ns;    /* ns[k] = start + k, the argument of task k */
static void **ns_args; /* &ns[k], for the pools that take a pointer */

/* Every mechanism calls the kernel through this pointer, so all of them run the very same
 * machine code. Inlined into each caller, copies of the loop get different registers, and
 * with gcc 12 one copy ran 2x faster than another: that would pass for a speedup. */
static ss_u128 (*volatile kernel)(uint64_t n) = ss_sum_squares;

static void sumsq_task(long k)
{
    task_cpu[k] = current_cpu();
    sums[k] = kernel(ns[k]);
}

/* Whether every task of the batch just run ran on one CPU: 1 or 0, or NAN when some CPU is
 * not known (a process pool's tasks run in other processes; not Linux). A parallel batch
 * that did takes about as long as serial, whatever the mechanism: the scheduler put its
 * threads on one CPU, or the other CPU did not come in time (on the 2-vCPU VM, a woken
 * thread often landed on its waker's CPU, and an idle virtual CPU could take longer than a
 * whole batch to wake). */
static double on_one_cpu(void)
{
    int seen = cpus_seen(task_cpu, count);
    return seen < 0 ? NAN : seen == 1;
}

/* An empty task still has to be called: through a volatile pointer, the compiler cannot
 * prove the call does nothing and leave it out. */
static void do_nothing(void)
{
}
static void (*volatile empty_body)(void) = do_nothing;

/* ---- pthreads: one thread per worker, tasks w, w+W, w+2W, ... -------------------------- */

static void *pthreads_worker(void *arg)
{
    long w = (long)(intptr_t)arg;
    for (long k = w; k < count; k += workers)
        sumsq_task(k);
    return NULL;
}

static void sumsq_pthreads(void)
{
    void *args[1024];
    for (long w = 0; w < workers; w++)
        args[w] = (void *)(intptr_t)w;
    run_threads(workers, pthreads_worker, args);
}

static void sumsq_serial(void)
{
    for (long k = 0; k < count; k++)
        sumsq_task(k);
}

/* ---- our thread pool ------------------------------------------------------------------- */

static tp_pool *tpool;
static tp_future **futures;

static int tp_sumsq(void *arg, void **result)
{
    (void)result;
    sumsq_task((long)((uint64_t *)arg - ns));
    return 0;
}

static int tp_empty(void *arg, void **result)
{
    (void)arg;
    (void)result;
    empty_body();
    return 0;
}

static void sumsq_thread_pool(void)
{
    tp_check(tp_map(tpool, tp_sumsq, ns_args, (size_t)count, 1, NULL, NULL), "tp_map");
}

/* The same pool under TP_WAIT_PARK: an idle worker parks at once, without spinning. */
static tp_pool *tpool_park;

static void sumsq_thread_pool_park(void)
{
    tp_check(tp_map(tpool_park, tp_sumsq, ns_args, (size_t)count, 1, NULL, NULL), "tp_map");
}

/* The pool made with .caller_helps: tp_map's caller claims chunks too (thread_pool.h, THE
 * CALLER HELPS). It has workers - 1 threads, so that with the caller it is workers threads,
 * like OpenMP's team, whose master thread is one of them. */
static tp_pool *tpool_helping;

static void sumsq_thread_pool_helping(void)
{
    tp_check(tp_map(tpool_helping, tp_sumsq, ns_args, (size_t)count, 1, NULL, NULL), "tp_map");
}

static void detached_on(tp_pool *pool, long n)
{
    for (long i = 0; i < n; i++)
        tp_check(tp_submit_detached(pool, tp_empty, NULL), "tp_submit_detached");
    tp_check(tp_drain(pool, -1), "tp_drain");
}

static void dispatch_tp_detached(long n)
{
    detached_on(tpool, n);
}

static void dispatch_tp_futures(long n)
{
    for (long i = 0; i < n; i++)
        tp_check(tp_submit(tpool, tp_empty, NULL, &futures[i]), "tp_submit");
    for (long i = 0; i < n; i++) {
        tp_check(tp_future_result(futures[i], -1, NULL), "tp_future_result");
        tp_future_release(futures[i]);
    }
}

static void dispatch_tp_map(long n)
{
    tp_check(tp_map(tpool, tp_empty, ns_args, (size_t)n, 0, NULL, NULL), "tp_map");
}

static void dispatch_tp_detached_park(long n)
{
    detached_on(tpool_park, n);
}

/* One empty task's round trip, n times in a row: a hand-over to a spinning worker, or
 * under TP_WAIT_PARK the latency a wake-up costs. */
static void apply_on(tp_pool *pool, long n)
{
    for (long i = 0; i < n; i++)
        tp_check(tp_apply(pool, tp_empty, NULL, NULL, NULL), "tp_apply");
}

static void dispatch_tp_apply(long n)
{
    apply_on(tpool, n);
}

static void dispatch_tp_apply_park(long n)
{
    apply_on(tpool_park, n);
}

/* ---- our process pool: arguments and results travel as bytes through pipes ------------- */

static pp_pool *ppool;
static pp_result *pp_results;
static pp_job **pp_jobs;

static void pp_sumsq(const void *arg, size_t len, pp_reply *reply)
{
    uint64_t n;
    if (len != sizeof n) {
        pp_reply_error(reply, "expected %zu argument bytes, got %zu", sizeof n, len);
        return;
    }
    memcpy(&n, arg, sizeof n);
    ss_u128 s = kernel(n);
    pp_reply_bytes(reply, &s, sizeof s);
}

static void pp_empty(const void *arg, size_t len, pp_reply *reply)
{
    (void)arg;
    (void)len;
    (void)reply;
    empty_body();
}

static void pp_check(pp_result *r, const char *what)
{
    if (r->status != PP_OK)
        die("%s: %s: %s", what, pp_status_name(r->status), r->error);
}

static void sumsq_process_pool(void)
{
    if (pp_map(ppool, pp_sumsq, ns, sizeof ns[0], (size_t)count, 1, pp_results) != 0)
        pp_check(&pp_results[0], "pp_map"); /* names the first failure, or the one below */
    for (long k = 0; k < count; k++) {
        pp_check(&pp_results[k], "pp_map");
        if (pp_results[k].len != sizeof sums[k])
            die("pp_map: task %ld answered %zu bytes", k, pp_results[k].len);
        memcpy(&sums[k], pp_results[k].data, sizeof sums[k]);
        pp_result_free(&pp_results[k]);
    }
}

static void dispatch_pp_async(long n)
{
    for (long i = 0; i < n; i++)
        pp_jobs[i] = pp_apply_async(ppool, pp_empty, NULL, 0);
    for (long i = 0; i < n; i++) {
        pp_result r;
        pp_get(ppool, pp_jobs[i], &r);
        pp_check(&r, "pp_get");
        pp_result_free(&r);
    }
}

static void dispatch_pp_map(long n)
{
    if (pp_map(ppool, pp_empty, ns, sizeof ns[0], (size_t)n, 0, pp_results) != 0)
        die("pp_map: some empty tasks failed");
    for (long i = 0; i < n; i++)
        pp_result_free(&pp_results[i]);
}

/* ---- GLib's GThreadPool ---------------------------------------------------------------- */

#ifdef HAVE_GLIB
/* GThreadPool hands each pushed pointer to func(data, user_data); it refuses NULL data, so
 * the task number travels as k + 1. g_thread_pool_free(pool, FALSE, TRUE) waits for every
 * pushed task: the idiomatic "submit all, wait all". */
static void gt_sumsq(gpointer data, gpointer user_data)
{
    (void)user_data;
    sumsq_task((long)GPOINTER_TO_SIZE(data) - 1);
}

static void gt_empty(gpointer data, gpointer user_data)
{
    (void)data;
    (void)user_data;
    empty_body();
}

static void gt_run(GFunc fn, long n)
{
    GError *err = NULL;
    GThreadPool *pool = g_thread_pool_new(fn, NULL, workers, FALSE, &err);
    if (!pool)
        die("g_thread_pool_new: %s", err ? err->message : "failed");
    for (long k = 0; k < n; k++)
        if (!g_thread_pool_push(pool, GSIZE_TO_POINTER((gsize)k + 1), &err))
            die("g_thread_pool_push: %s", err ? err->message : "failed");
    g_thread_pool_free(pool, FALSE, TRUE);
}

static void sumsq_gthreadpool(void)
{
    gt_run(gt_sumsq, count);
}

static void dispatch_gthreadpool(long n)
{
    gt_run(gt_empty, n);
}
#endif

/* ---- OpenMP ---------------------------------------------------------------------------- */

#ifdef _OPENMP
static void sumsq_omp_for(void)
{
#pragma omp parallel for num_threads(workers) schedule(static)
    for (long k = 0; k < count; k++)
        sumsq_task(k);
}

static void sumsq_omp_dynamic(void)
{
#pragma omp parallel for num_threads(workers) schedule(dynamic, 1)
    for (long k = 0; k < count; k++)
        sumsq_task(k);
}

static void omp_tasks(long n, bool empty)
{
#pragma omp parallel num_threads(workers)
#pragma omp single
    for (long k = 0; k < n; k++) {
#pragma omp task firstprivate(k)
        {
            if (empty)
                empty_body();
            else
                sumsq_task(k);
        }
    }
}

static void sumsq_omp_task(void)
{
    omp_tasks(count, false);
}

static void dispatch_omp_task(long n)
{
    omp_tasks(n, true);
}

static void dispatch_omp_dynamic(long n)
{
#pragma omp parallel for num_threads(workers) schedule(dynamic, 1)
    for (long k = 0; k < n; k++)
        empty_body();
}
#endif

/* ---- CPU time -------------------------------------------------------------------------- */

/* Where a mechanism burns its CPU: in this process only (its threads, whoever started them),
 * or also in the process pool's workers. */
typedef enum { CPU_SELF, CPU_SELF_AND_POOL } cpu_where;

/* The readings taken just before a rep's clock starts. Reading a worker's clock costs this
 * process a system call: the workers (pp_cpu_seconds) are read outside this process's own
 * two readings, first at the start and last at the end, so that cost is not charged to the
 * rep. A worker never dies unnoticed here (its task's result ends the program), so a rep's
 * two readings add up the same processes. */
typedef struct {
    cpu_where where;
    double self, workers;
} cpu_mark;

static cpu_mark cpu_start(cpu_where where)
{
    cpu_mark m = {where, 0, 0};
    if (where == CPU_SELF_AND_POOL)
        m.workers = pp_cpu_seconds(ppool);
    m.self = cpu_seconds_self();
    return m;
}

static double cpu_since(cpu_mark m)
{
    double used = cpu_seconds_self() - m.self;
    if (m.where == CPU_SELF_AND_POOL)
        used += pp_cpu_seconds(ppool) - m.workers;
    return used;
}

/* Waits until this process stops burning CPU (less than a twentieth of one CPU over 12 ms,
 * longer than a scheduler tick: a spinning thread's CPU time is only brought up to date at
 * ticks), for at most about 1 s; returns the CPU seconds burned meanwhile, or NAN if it
 * never stopped. Called once the OpenMP rows are done, whose idle threads may still spin
 * (see the header): that CPU is charged to no row, and the mechanisms that come next
 * neither pay for it nor share the cores with it. Not between OpenMP's own batches: its
 * threads would then start each one asleep, which no program running region after region
 * sees (on a VM it made every batch ~7 ms slower). The pools' idle workers block, so only
 * this process is watched. */
static double settle(void)
{
    const struct timespec nap = {0, 12000000};
    const double quiet = 0.012 / 20;
    double first = cpu_seconds_self(), last = first;
    for (int i = 0; i < 84; i++) {
        nanosleep(&nap, NULL); /* cut short by a signal: the test below is only stricter */
        double now = cpu_seconds_self();
        if (now - last < quiet)
            return now - first;
        last = now;
    }
    return NAN;
}

/* After the OpenMP rows: wait for its threads to go quiet, and say what they burned. */
static void settle_and_report(const char *after)
{
    double burned = settle();
    if (isnan(burned))
        warn_line("after %s: still burning CPU 1 s later (OMP_WAIT_POLICY=active? "
                  "KMP_BLOCKTIME=infinite?): every later row's cpu_s includes it", after);
    else
        warn_line("after %s: %.1f ms of CPU before the threads went quiet, in no row's cpu_s",
                  after, burned * 1e3);
}

/* A CPU time in `scale` units with `decimals` decimals, or "nan" when unknown (printf's own
 * spelling of a NaN may be "-nan"). */
enum { CPU_TEXT = 48 };
static const char *cpu_text(char buf[CPU_TEXT], double seconds, double scale, int decimals)
{
    if (isnan(seconds))
        return "nan";
    snprintf(buf, CPU_TEXT, "%.*f", decimals, seconds * scale);
    return buf;
}

/* ---- timing: every mechanism takes its turn in each round --------------------------- */

/* One mechanism of a table: how to run one batch, and where its CPU time goes. */
typedef struct {
    const char *name;
    void (*run)(void);        /* sumsq: one batch of --count tasks */
    void (*dispatch)(long n); /* dispatch: n empty tasks */
    long n;
    cpu_where where;
} mechanism;

enum { MAX_MECHS = 16, MAX_REPS = 1001 };

/* One warm-up round, then `reps` rounds; in each round every mechanism runs one batch, the
 * rounds in alternating order (first to last, then last to first), so that a slow spell of
 * the machine hits every mechanism alike instead of one row. samples[i][r]: the wall time
 * of mechanism i in round r (per task for dispatch), cpu[i][r] its CPU time, one_cpu[i][r]
 * (sumsq) on_one_cpu() after its batch. Every sumsq batch must match the closed form. */
static void run_rounds(const mechanism *m, int n, double (*samples)[MAX_REPS],
                       double (*cpu)[MAX_REPS], double (*one_cpu)[MAX_REPS])
{
    ss_u128 expected = {0, 0};
    for (long k = 0; k < count; k++)
        expected = ss_add(expected, ss_sum_squares_formula(ns[k]));
    for (int r = -1; r < reps; r++) {
        for (int j = 0; j < n; j++) {
            int i = r % 2 == 0 ? n - 1 - j : j;
            if (m[i].run) {
                memset(sums, 0, (size_t)count * sizeof *sums);
                for (long k = 0; k < count; k++)
                    task_cpu[k] = -1;
            }
            cpu_mark c = cpu_start(m[i].where);
            int64_t t0 = now_ns();
            if (m[i].run)
                m[i].run();
            else
                m[i].dispatch(m[i].n);
            int64_t dt = now_ns() - t0;
            double used = cpu_since(c);
            if (m[i].run) {
                ss_u128 total = {0, 0};
                for (long k = 0; k < count; k++)
                    total = ss_add(total, sums[k]);
                if (!ss_equal(total, expected)) {
                    char got[SS_DIGITS], want[SS_DIGITS];
                    die("%s: total %s, expected %s", m[i].name, ss_format(total, got),
                        ss_format(expected, want));
                }
            }
            if (r >= 0) {
                samples[i][r] = m[i].run ? (double)dt : (double)dt / (double)m[i].n;
                cpu[i][r] = used;
                one_cpu[i][r] = m[i].run ? on_one_cpu() : NAN;
            }
        }
    }
}

/* Rows of the sumsq table: mechanism 0 is serial, which takes its turns like the others;
 * a speedup is the median of per-round ratios serial / this mechanism (each pair ran in the
 * same round), with their quartiles. The serial row is printed when print_serial. */
static void bench_sumsq(const mechanism *m, int n, bool print_serial)
{
    static double samples[MAX_MECHS][MAX_REPS], cpu[MAX_MECHS][MAX_REPS];
    static double one_cpu[MAX_MECHS][MAX_REPS];
    run_rounds(m, n, samples, cpu, one_cpu);
    double serial[MAX_REPS];
    memcpy(serial, samples[0], (size_t)reps * sizeof serial[0]);
    for (int i = print_serial ? 0 : 1; i < n; i++) {
        double ratio[MAX_REPS];
        for (int r = 0; r < reps; r++)
            ratio[r] = serial[r] / samples[i][r];
        stats_t sp = stats_of(ratio, reps);
        stats_t s = stats_of(samples[i], reps);
        double cpu_s = median(cpu[i], reps);
        char cell[CPU_TEXT], shown[CPU_TEXT];
        double on_one = 0; /* NAN as soon as one rep's CPUs are not known */
        for (int r = 0; r < reps; r++)
            on_one += one_cpu[i][r] / reps;
        printf("sumsq,%s,%d,%ld,%.0f,%.0f,%.0f,%.3f,%d,%s,%.3f,%.3f,%.3f\n", m[i].name,
               workers, count, s.median, s.min, s.max, sp.median, reps,
               cpu_text(cell, cpu_s, 1, 6), sp.q1, sp.q3, on_one);
        warn_line("sumsq    %-22s %10.2f ms  (%.2f .. %.2f)  speedup %.2f (%.2f .. %.2f)  "
                  "cpu %s ms", m[i].name, s.median / 1e6, s.min / 1e6, s.max / 1e6, sp.median,
                  sp.q1, sp.q3, cpu_text(shown, cpu_s, 1e3, 2));
    }
}

static void bench_dispatch(const mechanism *m, int n)
{
    static double samples[MAX_MECHS][MAX_REPS], cpu[MAX_MECHS][MAX_REPS];
    static double one_cpu[MAX_MECHS][MAX_REPS];
    run_rounds(m, n, samples, cpu, one_cpu);
    for (int i = 0; i < n; i++) {
        stats_t s = stats_of(samples[i], reps);
        double cpu_s = median(cpu[i], reps);
        char cell[CPU_TEXT], shown[CPU_TEXT];
        printf("dispatch,%s,%d,%ld,%.1f,%.1f,%.1f,,%d,%s,,,\n", m[i].name, workers, m[i].n,
               s.median, s.min, s.max, reps, cpu_text(cell, cpu_s, 1, 6));
        /* per task here, like the wall time beside it; the CSV has the whole batch's */
        warn_line("dispatch %-22s %10.1f ns per task  (%.1f .. %.1f)  cpu %s ns per task",
                  m[i].name, s.median, s.min, s.max,
                  cpu_text(shown, cpu_s, 1e9 / (double)m[i].n, 1));
    }
}

/* ---- latency: from the submit call to the task's first instruction ------------------- */

/* One task at a time, each waited for before the next: how long a task waits to start when
 * the workers are idle, which is what a burst of work pays first. Each function submits one
 * task that reads the clock first thing, waits for it, and returns start - submit in ns
 * (CLOCK_MONOTONIC is one clock for every thread and process). */

static int tp_stamp(void *arg, void **result)
{
    (void)result;
    *(int64_t *)arg = now_ns();
    return 0;
}

static int64_t latency_on(tp_pool *pool)
{
    int64_t started = 0, t0 = now_ns();
    tp_check(tp_apply(pool, tp_stamp, &started, NULL, NULL), "tp_apply");
    return started - t0; /* the future's wait orders our read after the task's write */
}

static int64_t latency_tp(void)
{
    return latency_on(tpool);
}

static int64_t latency_tp_park(void)
{
    return latency_on(tpool_park);
}

static void *thread_stamp(void *arg)
{
    *(int64_t *)arg = now_ns();
    return NULL;
}

static int64_t latency_pthreads(void)
{
    int64_t started = 0, t0 = now_ns();
    pthread_t t;
    PT_CHECK(pthread_create(&t, NULL, thread_stamp, &started));
    PT_CHECK(pthread_join(t, NULL));
    return started - t0;
}

static void pp_stamp(const void *arg, size_t len, pp_reply *reply)
{
    (void)arg;
    (void)len;
    int64_t started = now_ns();
    pp_reply_bytes(reply, &started, sizeof started);
}

static int64_t latency_pp(void)
{
    int64_t t0 = now_ns();
    pp_result r;
    pp_apply(ppool, pp_stamp, NULL, 0, &r);
    pp_check(&r, "pp_apply");
    int64_t started;
    memcpy(&started, r.data, sizeof started);
    pp_result_free(&r);
    return started - t0;
}

#ifdef HAVE_GLIB
/* A pool kept for the whole table, as a program would keep it; the task posts a semaphore. */
static GThreadPool *gt_latency_pool;
static sem_t gt_done;

static void gt_stamp(gpointer data, gpointer user_data)
{
    (void)user_data;
    *(int64_t *)data = now_ns();
    if (sem_post(&gt_done) != 0)
        die_errno("sem_post");
}

static int64_t latency_gthreadpool(void)
{
    int64_t started = 0, t0 = now_ns();
    GError *err = NULL;
    if (!g_thread_pool_push(gt_latency_pool, &started, &err))
        die("g_thread_pool_push: %s", err ? err->message : "failed");
    while (sem_wait(&gt_done) != 0)
        if (errno != EINTR)
            die_errno("sem_wait");
    return started - t0;
}
#endif

#ifdef _OPENMP
/* OpenMP has no "submit": the nearest is a parallel region, whose second thread starts when
 * the team wakes (under passive it was asleep; under active it was spinning). */
static int64_t latency_omp_region(void)
{
    int64_t started = 0, t0 = now_ns();
#pragma omp parallel num_threads(workers)
    if (omp_get_thread_num() == 1)
        started = now_ns();
    return started - t0;
}
#endif

/* The hand-off floor: a partner thread spins on an atomic and answers at once; half a round
 * trip is one hand-off with nobody asleep, a cache line written on one core and read on the
 * other. Nothing that wakes a thread can beat it. The partner runs only while the floor is
 * measured (it burns a CPU), and one trip is one sample, so a trip the host interrupted
 * (a virtual CPU descheduled mid-spin) moves the p99, not the p50. */
static atomic_int floor_turn; /* 0: main's turn, 1: the partner's, -1: partner, stop */

static void *floor_partner(void *arg)
{
    (void)arg;
    for (;;) {
        int t;
        while ((t = atomic_load_explicit(&floor_turn, memory_order_acquire)) == 0)
            cpu_relax();
        if (t < 0)
            return NULL;
        atomic_store_explicit(&floor_turn, 0, memory_order_release);
    }
}

static int64_t latency_floor(void)
{
    int64_t t0 = now_ns();
    atomic_store_explicit(&floor_turn, 1, memory_order_release);
    while (atomic_load_explicit(&floor_turn, memory_order_acquire) != 0)
        cpu_relax();
    return (now_ns() - t0) / 2;
}

typedef struct {
    const char *name;
    int64_t (*one)(void);
} latency_mech;

/* reps rounds (after a warm-up round), each mechanism `n` single tasks per round, in
 * alternating order; per round its p50 and p99. Rows: "latency" (the rounds' p50s: their
 * median, min and max) and "latency99" (the same for p99s). */
static void bench_latency(const latency_mech *m, int nm, long n)
{
    static double p50[MAX_MECHS][MAX_REPS], p99[MAX_MECHS][MAX_REPS];
    double *one = xcalloc((size_t)n, sizeof *one);
    for (int r = -1; r < reps; r++) {
        for (int j = 0; j < nm; j++) {
            int i = r % 2 == 0 ? nm - 1 - j : j;
            for (long k = 0; k < n; k++)
                one[k] = (double)m[i].one();
            if (r < 0)
                continue;
            (void)median(one, (int)n); /* sorts them */
            p50[i][r] = quantile_sorted(one, (int)n, 0.50);
            p99[i][r] = quantile_sorted(one, (int)n, 0.99);
        }
    }
    for (int i = 0; i < nm; i++) {
        stats_t a = stats_of(p50[i], reps), b = stats_of(p99[i], reps);
        printf("latency,%s,%d,%ld,%.1f,%.1f,%.1f,,%d,,,,\n", m[i].name, workers, n, a.median,
               a.min, a.max, reps);
        printf("latency99,%s,%d,%ld,%.1f,%.1f,%.1f,,%d,,,,\n", m[i].name, workers, n, b.median,
               b.min, b.max, reps);
        warn_line("latency  %-22s p50 %9.1f ns  p99 %9.1f ns  submit to start", m[i].name,
                  a.median, b.median);
    }
    free(one);
}

/* The CPU an idle pool burns: one batch of the sumsq work on it, then a second in which
 * nobody submits anything, and what this whole process burned over that second (the other
 * pool has been idle all along, its workers parked). One row per wait policy:
 *   idle,MECHANISM,workers,items,window_ns,window_ns,window_ns,,1,cpu_s,, */
static void bench_idle(void)
{
    tp_pool *const pools[] = {tpool, tpool_park};
    const char *const names[] = {"thread_pool", "thread_pool_park"};
    for (int i = 0; i < 2; i++) {
        tp_check(tp_map(pools[i], tp_sumsq, ns_args, (size_t)count, 1, NULL, NULL), "tp_map");
        double cpu0 = cpu_seconds_self();
        int64_t t0 = now_ns();
        struct timespec second = {1, 0};
        while (nanosleep(&second, &second) != 0 && errno == EINTR)
            ;
        double window = (double)(now_ns() - t0), cpu = cpu_seconds_self() - cpu0;
        printf("idle,%s,%d,%ld,%.0f,%.0f,%.0f,,1,%.6f,,,\n", names[i], workers, count, window,
               window, window, cpu);
        warn_line("idle     %-22s %10.3f%% of a CPU in the second after its work", names[i],
                  100 * cpu / (window / 1e9));
    }
}

int main(int argc, char **argv)
{
    cli_setup(argv[0], usage);
    workers = online_cpus();
    static const struct option longopts[] = {
        {"workers", required_argument, NULL, 'w'},
        {"start", required_argument, NULL, 's'},
        {"count", required_argument, NULL, 'c'},
        {"tasks", required_argument, NULL, 't'},
        {"reps", required_argument, NULL, 'r'},
        {"only", required_argument, NULL, 'o'},
        {"group", required_argument, NULL, 'g'},
        CLI_HELP, CLI_END,
    };
    for (int opt; (opt = cli_next(argc, argv, longopts)) != -1;) {
        switch (opt) {
        case 'w': workers = (int)parse_long("--workers", optarg, 1, 256); break;
        case 's': start_n = (uint64_t)parse_long("--start", optarg, 0, 1000000000); break;
        case 'c': count = parse_long("--count", optarg, 1, 100000); break;
        case 't': empty_tasks = parse_long("--tasks", optarg, 20, 1000000); break;
        case 'r': reps = (int)parse_long("--reps", optarg, 1, 1001); break;
        case 'o':
            do_sumsq = strcmp(optarg, "sumsq") == 0;
            do_dispatch = strcmp(optarg, "dispatch") == 0;
            do_idle = strcmp(optarg, "idle") == 0;
            do_latency = strcmp(optarg, "latency") == 0;
            if (!do_sumsq && !do_dispatch && !do_idle && !do_latency)
                usage_error("--only: expected sumsq, dispatch, latency or idle, got '%s'",
                            escaped(optarg));
            break;
        case 'g': parse_group(optarg, &do_ours, &do_omp); break;
        }
    }

    long most = count > empty_tasks ? count : empty_tasks;
    sums = xcalloc((size_t)count, sizeof *sums);
    task_cpu = xcalloc((size_t)count, sizeof *task_cpu);
    ns = xcalloc((size_t)most, sizeof *ns);
    ns_args = xcalloc((size_t)most, sizeof *ns_args);
    for (long k = 0; k < most; k++) {
        ns[k] = start_n + (uint64_t)k;
        ns_args[k] = &ns[k];
    }

    long pp_tasks = empty_tasks / 20; /* a pipe round trip each: fewer, same ns per task */
    /* First, while this program has one thread: fork is only safe then (process_pool.h). */
    char err[PP_ERROR_MAX];
    if (pp_create(&ppool, &(pp_options){.workers = workers}, err, sizeof err) != PP_OK)
        die("pp_create: %s", err);
    pp_results = xcalloc((size_t)(count > pp_tasks ? count : pp_tasks), sizeof *pp_results);
    pp_jobs = xcalloc((size_t)pp_tasks, sizeof *pp_jobs);
    tp_check(tp_create(&tpool, &(tp_options){.workers = workers}), "tp_create");
    tp_check(tp_create(&tpool_park, &(tp_options){.workers = workers, .wait = TP_WAIT_PARK}),
             "tp_create");
    tp_check(tp_create(&tpool_helping, &(tp_options){.workers = workers > 1 ? workers - 1 : 1,
                                                      .caller_helps = true}),
             "tp_create");
    futures = xcalloc((size_t)empty_tasks, sizeof *futures);

    printf("bench,mechanism,workers,items,median_ns,min_ns,max_ns,speedup,reps,cpu_s,"
           "speedup_q1,speedup_q3,one_cpu\n");
    /* Two groups take turns within themselves: the mechanisms whose idle workers sleep (ours
     * after at most 50 us of spinning), and OpenMP's, whose idle threads spin for a while
     * after each region (they would steal a core from whoever ran next). OpenMP's rounds
     * include serial batches to pair with, run between its regions as a program's serial
     * code would; their row is not printed again. */
    const mechanism sumsq[] = {
        {"serial", sumsq_serial, NULL, 0, CPU_SELF},
        {"pthreads", sumsq_pthreads, NULL, 0, CPU_SELF},
        {"thread_pool", sumsq_thread_pool, NULL, 0, CPU_SELF},
        {"thread_pool_park", sumsq_thread_pool_park, NULL, 0, CPU_SELF},
        {"thread_pool_helping", sumsq_thread_pool_helping, NULL, 0, CPU_SELF},
        {"process_pool", sumsq_process_pool, NULL, 0, CPU_SELF_AND_POOL},
#ifdef HAVE_GLIB
        {"gthreadpool", sumsq_gthreadpool, NULL, 0, CPU_SELF},
#endif
    };
    const mechanism dispatch[] = {
        {"thread_pool_detached", NULL, dispatch_tp_detached, empty_tasks, CPU_SELF},
        {"thread_pool_futures", NULL, dispatch_tp_futures, empty_tasks, CPU_SELF},
        {"thread_pool_map", NULL, dispatch_tp_map, empty_tasks, CPU_SELF},
        {"thread_pool_detached_park", NULL, dispatch_tp_detached_park, empty_tasks, CPU_SELF},
        {"thread_pool_apply", NULL, dispatch_tp_apply, pp_tasks, CPU_SELF},
        {"thread_pool_apply_park", NULL, dispatch_tp_apply_park, pp_tasks, CPU_SELF},
        {"process_pool_async", NULL, dispatch_pp_async, pp_tasks, CPU_SELF_AND_POOL},
        {"process_pool_map", NULL, dispatch_pp_map, pp_tasks, CPU_SELF_AND_POOL},
#ifdef HAVE_GLIB
        {"gthreadpool", NULL, dispatch_gthreadpool, empty_tasks, CPU_SELF},
#endif
    };
    if (do_sumsq && do_ours)
        bench_sumsq(sumsq, (int)(sizeof sumsq / sizeof sumsq[0]), true);
#ifndef HAVE_GLIB
    warn_line("left out gthreadpool: built without GLib (pkg-config glib-2.0 not found)");
#endif
#ifdef _OPENMP
    const mechanism omp_sumsq[] = {
        {"serial", sumsq_serial, NULL, 0, CPU_SELF},
        {"omp_for", sumsq_omp_for, NULL, 0, CPU_SELF},
        {"omp_dynamic", sumsq_omp_dynamic, NULL, 0, CPU_SELF},
        {"omp_task", sumsq_omp_task, NULL, 0, CPU_SELF},
    };
    if (do_sumsq && do_omp) {
        bench_sumsq(omp_sumsq, 4, !do_ours); /* alone, it prints its own serial row */
        if (do_ours) /* before any rows of the others; alone, nothing comes after */
            settle_and_report("the sumsq rows of OpenMP");
    }
#else
    warn_line("left out openmp: built without OpenMP (the compiler refused -fopenmp)");
#endif
    if (do_dispatch && do_ours)
        bench_dispatch(dispatch, (int)(sizeof dispatch / sizeof dispatch[0]));
#ifdef _OPENMP
    const mechanism omp_dispatch[] = {
        {"omp_task", NULL, dispatch_omp_task, empty_tasks, CPU_SELF},
        {"omp_dynamic", NULL, dispatch_omp_dynamic, empty_tasks, CPU_SELF},
    };
    if (do_dispatch && do_omp) {
        bench_dispatch(omp_dispatch, 2);
        if (do_ours) /* only to say how much (under active: forever, a second's wait) */
            settle_and_report("the dispatch rows of OpenMP");
    }
#endif

    long single = empty_tasks / 10 > 20 ? empty_tasks / 10 : 20; /* latency: tasks per round */
    if (do_latency && do_ours) {
#ifdef HAVE_GLIB
        GError *err = NULL;
        gt_latency_pool = g_thread_pool_new(gt_stamp, NULL, workers, FALSE, &err);
        if (!gt_latency_pool)
            die("g_thread_pool_new: %s", err ? err->message : "failed");
        if (sem_init(&gt_done, 0, 0) != 0)
            die_errno("sem_init");
#endif
        const latency_mech ours[] = {
            {"thread_pool", latency_tp}, {"thread_pool_park", latency_tp_park},
            {"pthreads", latency_pthreads}, {"process_pool", latency_pp},
#ifdef HAVE_GLIB
            {"gthreadpool", latency_gthreadpool},
#endif
        };
        bench_latency(ours, (int)(sizeof ours / sizeof ours[0]), single);
        if (online_cpus() >= 2) { /* the floor needs a CPU for each spinner */
            pthread_t partner;
            atomic_store(&floor_turn, 0);
            PT_CHECK(pthread_create(&partner, NULL, floor_partner, NULL));
            const latency_mech floor_row[] = {{"handoff_floor", latency_floor}};
            bench_latency(floor_row, 1, single);
            atomic_store(&floor_turn, -1);
            PT_CHECK(pthread_join(partner, NULL));
        }
#ifdef HAVE_GLIB
        g_thread_pool_free(gt_latency_pool, FALSE, TRUE);
        if (sem_destroy(&gt_done) != 0)
            die_errno("sem_destroy");
#endif
    }
#ifdef _OPENMP
    if (do_latency && do_omp) {
        const latency_mech omp[] = {{"omp_region", latency_omp_region}};
        bench_latency(omp, 1, single);
    }
#endif
    if (do_idle && do_ours)
        bench_idle();

    tp_check(tp_destroy(tpool), "tp_destroy");
    tp_check(tp_destroy(tpool_park), "tp_destroy");
    tp_check(tp_destroy(tpool_helping), "tp_destroy");
    free(futures);
    if (!pp_join(ppool))
        die("pp_join: %s", pp_error(ppool));
    pp_destroy(ppool);
    free(pp_results);
    free(pp_jobs);
    free(sums);
    free(task_cpu);
    free(ns);
    free(ns_args);
    return EXIT_OK;
}
