/*
 * peers_tbb: oneTBB beside bench/peers' rows, on the same work, as a program of its own (C++).
 *
 *   make benches && ./build/bench/peers_tbb > tbb.csv     (built only where pkg-config finds
 *                                                          tbb: scripts/install-deps.sh bench)
 *   ./build/bench/peers_tbb --count 4 --tasks 10000 --reps 3          # quick
 *   ./build/bench/peers_tbb --only dispatch --tasks 10000 --reps 11   # one table only
 *
 * The two tables of bench/peers, with its command line (less --group), its CSV and its
 * method, for oneTBB's two ways of running many small things:
 *
 *   sumsq     lesson 14's work (task k sums the squares below start+k, k < --count): serial,
 *             tbb_task_group (task_group::run once per task, then wait) and tbb_parallel_for
 *             (parallel_for over the tasks, grainsize 1 with simple_partitioner: one task per
 *             hand-over, like peers' chunk 1 and OpenMP's schedule(dynamic, 1))
 *   dispatch  --tasks empty tasks: tbb_task_group (run each, then wait) and tbb_parallel_for
 *             (the same grainsize 1); ns per task
 *
 * and, asked for alone (--only granularity), bench/granularity's sweep (bench.h, gran_sweep:
 * its options, its method, its CSV) with the same two, one burn() task each: how small a
 * task oneTBB can still run with profit, beside our pool's and OpenMP's.
 *
 * Both inside a tbb::task_arena of --workers threads: the calling thread and --workers - 1
 * of TBB's, as with OpenMP's num_threads (the thread that starts the work works too);
 * global_control lets TBB create that many even beyond the CPUs.
 *
 * Method, as in bench/peers: after a warm-up round, each of --reps rounds runs one batch of
 * every mechanism in alternating order, serial included; a speedup is the median of the
 * per-round ratios serial / TBB, quartiles beside it; every sumsq batch is checked against
 * the closed form. The kernel is sum_squares.h's, called through a volatile pointer, so all
 * rows run the same machine code (g++ 12 and gcc 12 at -O2 emit the same loop, instruction
 * for instruction: objdump -d, and the Makefile's ALIGN starts it on a 32-byte boundary in
 * both programs). cpu_s: user + system seconds of this process (getrusage) inside a rep's
 * timed interval, median over the reps; one_cpu: the share of the reps whose tasks all
 * ran on one CPU (current_cpu), as in peers.
 *
 * Why a program of its own: TBB is C++ and the suite is C, so peers stays C; and like
 * OpenMP's, TBB's idle workers spin a while before they sleep, so its rows should not share
 * a process with ours. scripts/bench.sh runs it after peers' OpenMP rows and keeps its
 * serial row as serial_tbb, to check that its tasks took as long as peers' own. A worker's
 * spinning is charged inside a rep, not after it, and may be counted late on short reps
 * (peers' header, Precision).
 *
 * Notice: parallel_for splits its range in halves, so a thief takes half of what is left in
 * one steal; task_group's tasks, spawned one by one by one thread, are stolen one at a time.
 * On empty tasks, with a second thread there to steal, that made task_group ~20x dearer per
 * task (on a 2-vCPU VM, 449 ns against 22); on a busy machine, where the thief seldom ran,
 * both cost ~35 ns. Try --workers 1 (the caller alone), then twice the CPUs.
 */
#define _Noreturn [[noreturn]] /* the C headers' C11 spelling, in C++ */
extern "C" {
#include "bench.h"
#include "cpu.h"
#include "program.h"
#include "sum_squares.h"
}
#undef _Noreturn

#include <tbb/blocked_range.h>
#include <tbb/global_control.h>
#include <tbb/parallel_for.h>
#include <tbb/partitioner.h>
#include <tbb/task_arena.h>
#include <tbb/task_group.h>

#include <algorithm>
#include <exception>
#include <vector>

static const char usage[] =
    "[--workers N] [--start S] [--count C] [--tasks N] [--reps R] [--only TABLE]\n"
    "       [--help]\n"
    "  --workers N   threads in TBB's arena, the caller too (default: the CPUs online)\n"
    "  --start S     sumsq: task k sums the squares below S + k (default 5000000)\n"
    "  --count C     sumsq: how many tasks (default 20)\n"
    "  --tasks N     dispatch: empty tasks per batch (default 100000)\n"
    "  --reps R      repetitions; the median and range are over these (default 5)\n"
    "  --only TABLE  sumsq or dispatch: measure that table alone (default: both);\n"
    "                granularity: bench/granularity's sweep instead, with its options:\n"
    GRAN_USAGE
    "Prints CSV on stdout:\n"
    "  bench,mechanism,workers,items,median_ns,min_ns,max_ns,speedup,reps,cpu_s,speedup_q1,\n"
    "  speedup_q3,one_cpu\n"
    "  (granularity: mechanism,task_ns,tasks,workers,median_ns,min_ns,max_ns,speedup,reps)\n";

static int workers = 2, reps = 5;
static uint64_t start_n = 5000000;
static long count = 20, empty_tasks = 100000;
static bool do_sumsq = true, do_dispatch = true, do_granularity = false;

/* ---- the work: bench/peers' ------------------------------------------------------------ */

static std::vector<ss_u128> sums; /* sums[k] = task k's result, zeroed before every batch */
static std::vector<int> task_cpu; /* the CPU task k ran on (current_cpu), -1: not known */

/* Called through this pointer by every mechanism: the very same machine code (peers.c). */
static ss_u128 (*volatile kernel)(uint64_t n) = ss_sum_squares;

static void sumsq_task(long k)
{
    task_cpu[(size_t)k] = current_cpu();
    sums[(size_t)k] = kernel(start_n + (uint64_t)k);
}

/* 1 when every task of the batch just run ran on one CPU, 0 when not, NAN when not known
 * (peers.c's on_one_cpu). */
static double on_one_cpu(void)
{
    int seen = cpus_seen(task_cpu.data(), (long)task_cpu.size());
    return seen < 0 ? NAN : seen == 1;
}

/* An empty task still has to be called: through a volatile pointer, it cannot vanish. */
static void do_nothing(void) {}
static void (*volatile empty_body)(void) = do_nothing;

static void empty_task(long)
{
    empty_body();
}

static void sumsq_serial(void)
{
    for (long k = 0; k < count; k++)
        sumsq_task(k);
}

/* ---- oneTBB ---------------------------------------------------------------------------- */

static tbb::task_arena *arena;

/* One run per task from this thread, then wait: TBB's workers steal them, and the waiting
 * thread runs some itself. */
static void task_group_of(long n, void (*task)(long))
{
    arena->execute([n, task] {
        tbb::task_group group;
        for (long k = 0; k < n; k++)
            group.run([k, task] { task(k); });
        group.wait();
    });
}

/* The range split down to single tasks (grainsize 1, never coarser: simple_partitioner). */
static void parallel_for_of(long n, void (*task)(long))
{
    arena->execute([n, task] {
        tbb::parallel_for(
            tbb::blocked_range<long>(0, n, 1),
            [task](const tbb::blocked_range<long> &r) {
                for (long k = r.begin(); k != r.end(); ++k)
                    task(k);
            },
            tbb::simple_partitioner());
    });
}

static void sumsq_task_group(void) { task_group_of(count, sumsq_task); }
static void sumsq_parallel_for(void) { parallel_for_of(count, sumsq_task); }
static void dispatch_task_group(long n) { task_group_of(n, empty_task); }
static void dispatch_parallel_for(long n) { parallel_for_of(n, empty_task); }

/* The granularity sweep's tasks: task k of the batch being run (bench.h, gran_task). */
static const gran_batch *gran_now;
static void gran_one(long k) { gran_task(gran_now, k); }

static void gran_serial(const gran_batch *b)
{
    for (long k = 0; k < b->tasks; k++)
        gran_task(b, k);
}

static void gran_task_group(const gran_batch *b)
{
    gran_now = b;
    task_group_of(b->tasks, gran_one);
}

static void gran_parallel_for(const gran_batch *b)
{
    gran_now = b;
    parallel_for_of(b->tasks, gran_one);
}

/* ---- timing: every mechanism takes its turn in each round (peers.c's run_rounds) ------- */

struct mechanism {
    const char *name;
    void (*run)(void);        /* sumsq: one batch of --count tasks */
    void (*dispatch)(long n); /* dispatch: n empty tasks */
    long n;
};

typedef std::vector<std::vector<double>> samples_t; /* [mechanism][round] */

/* One warm-up round, then `reps` rounds, in alternating order (first to last, then last to
 * first). samples[i][r]: mechanism i's wall time in round r (per task for dispatch); cpu[i][r]
 * its CPU time; one_cpu[i][r] (sumsq) on_one_cpu() after its batch. Every sumsq batch must
 * match the closed form. */
static void run_rounds(const mechanism *m, int n, samples_t &samples, samples_t &cpu,
                       samples_t &one_cpu)
{
    samples.assign((size_t)n, std::vector<double>((size_t)reps));
    cpu.assign((size_t)n, std::vector<double>((size_t)reps));
    one_cpu.assign((size_t)n, std::vector<double>((size_t)reps));
    ss_u128 expected = {0, 0};
    for (long k = 0; k < count; k++)
        expected = ss_add(expected, ss_sum_squares_formula(start_n + (uint64_t)k));
    for (int r = -1; r < reps; r++) {
        for (int j = 0; j < n; j++) {
            int i = r % 2 == 0 ? n - 1 - j : j;
            if (m[i].run) {
                std::fill(sums.begin(), sums.end(), ss_u128{0, 0});
                std::fill(task_cpu.begin(), task_cpu.end(), -1);
            }
            double c0 = cpu_seconds_self();
            int64_t t0 = now_ns();
            if (m[i].run)
                m[i].run();
            else
                m[i].dispatch(m[i].n);
            int64_t dt = now_ns() - t0;
            double used = cpu_seconds_self() - c0;
            if (m[i].run) {
                ss_u128 total = {0, 0};
                for (const ss_u128 &s : sums)
                    total = ss_add(total, s);
                if (!ss_equal(total, expected)) {
                    char got[SS_DIGITS], want[SS_DIGITS];
                    die("%s: total %s, expected %s", m[i].name, ss_format(total, got),
                        ss_format(expected, want));
                }
            }
            if (r >= 0) {
                samples[(size_t)i][(size_t)r] = m[i].run ? (double)dt : (double)dt / (double)m[i].n;
                cpu[(size_t)i][(size_t)r] = used;
                one_cpu[(size_t)i][(size_t)r] = m[i].run ? on_one_cpu() : NAN;
            }
        }
    }
}

/* bench.h's stats_of on a copy: it sorts what it is given. */
static stats_t stats_of(std::vector<double> v)
{
    return stats_of(v.data(), (int)v.size());
}

/* Mechanism 0 is serial; a speedup is the median of per-round ratios serial / this one. */
static void bench_sumsq(const mechanism *m, int n)
{
    samples_t samples, cpu, one_cpu;
    run_rounds(m, n, samples, cpu, one_cpu);
    for (int i = 0; i < n; i++) {
        std::vector<double> ratio((size_t)reps);
        for (size_t r = 0; r < ratio.size(); r++)
            ratio[r] = samples[0][r] / samples[(size_t)i][r];
        stats_t sp = stats_of(ratio), s = stats_of(samples[(size_t)i]);
        double cpu_s = median(cpu[(size_t)i].data(), reps);
        double on_one = 0;
        for (double x : one_cpu[(size_t)i])
            on_one += x / reps;
        printf("sumsq,%s,%d,%ld,%.0f,%.0f,%.0f,%.3f,%d,%.6f,%.3f,%.3f,%.3f\n", m[i].name,
               workers, count, s.median, s.min, s.max, sp.median, reps, cpu_s, sp.q1, sp.q3,
               on_one);
        warn_line("sumsq    %-22s %10.2f ms  (%.2f .. %.2f)  speedup %.2f (%.2f .. %.2f)  "
                  "cpu %.2f ms", m[i].name, s.median / 1e6, s.min / 1e6, s.max / 1e6, sp.median,
                  sp.q1, sp.q3, cpu_s * 1e3);
    }
}

static void bench_dispatch(const mechanism *m, int n)
{
    samples_t samples, cpu, one_cpu;
    run_rounds(m, n, samples, cpu, one_cpu);
    for (int i = 0; i < n; i++) {
        stats_t s = stats_of(samples[(size_t)i]);
        double cpu_s = median(cpu[(size_t)i].data(), reps);
        printf("dispatch,%s,%d,%ld,%.1f,%.1f,%.1f,,%d,%.6f,,,\n", m[i].name, workers,
               m[i].n, s.median, s.min, s.max, reps, cpu_s);
        warn_line("dispatch %-22s %10.1f ns per task  (%.1f .. %.1f)  cpu %.1f ns per task",
                  m[i].name, s.median, s.min, s.max, cpu_s * 1e9 / (double)m[i].n);
    }
}

int main(int argc, char **argv)
try {
    cli_setup(argv[0], usage);
    workers = online_cpus();
    static const struct option longopts[] = {
        {"workers", required_argument, NULL, 'w'},
        {"start", required_argument, NULL, 's'},
        {"count", required_argument, NULL, 'c'},
        {"tasks", required_argument, NULL, 't'},
        {"reps", required_argument, NULL, 'r'},
        {"only", required_argument, NULL, 'o'},
        GRAN_LONGOPTS, CLI_HELP, CLI_END,
    };
    gran_options gran = gran_defaults();
    for (int opt; (opt = cli_next(argc, argv, longopts)) != -1;) {
        if (gran_option(opt, optarg, &gran))
            continue;
        switch (opt) {
        case 'w': workers = (int)parse_long("--workers", optarg, 1, 256); break;
        case 's': start_n = (uint64_t)parse_long("--start", optarg, 0, 1000000000); break;
        case 'c': count = parse_long("--count", optarg, 1, 100000); break;
        case 't': empty_tasks = parse_long("--tasks", optarg, 20, 1000000); break;
        case 'r': reps = (int)parse_long("--reps", optarg, 1, 1001); break;
        case 'o':
            do_sumsq = strcmp(optarg, "sumsq") == 0;
            do_dispatch = strcmp(optarg, "dispatch") == 0;
            do_granularity = strcmp(optarg, "granularity") == 0;
            if (!do_sumsq && !do_dispatch && !do_granularity)
                usage_error("--only: expected sumsq, dispatch or granularity, got '%s'",
                            escaped(optarg));
            break;
        }
    }
    gran_check(&gran);
    sums.resize((size_t)count);
    task_cpu.assign((size_t)count, -1);

    /* Let TBB have --workers threads in all (by default it stops at the CPUs), then an arena
     * of that many: the caller's slot and --workers - 1 of TBB's workers. */
    tbb::global_control allowed(tbb::global_control::max_allowed_parallelism, (size_t)workers);
    tbb::task_arena threads(workers);
    arena = &threads;

    if (do_granularity) {
        warn_line("calibrating the task kernel ...");
        calibrate_burn(1000);
        gran.workers = workers;
        gran.reps = reps;
        const gran_mechanism sweep[] = {
            {"serial", gran_serial},
            {"tbb_task_group", gran_task_group},
            {"tbb_parallel_for", gran_parallel_for},
        };
        printf("mechanism,task_ns,tasks,workers,median_ns,min_ns,max_ns,speedup,reps\n");
        gran_sweep(sweep, 3, &gran, true);
        return EXIT_OK;
    }
    printf("bench,mechanism,workers,items,median_ns,min_ns,max_ns,speedup,reps,cpu_s,"
           "speedup_q1,speedup_q3,one_cpu\n");
    const mechanism sumsq[] = {
        {"serial", sumsq_serial, NULL, 0},
        {"tbb_task_group", sumsq_task_group, NULL, 0},
        {"tbb_parallel_for", sumsq_parallel_for, NULL, 0},
    };
    const mechanism dispatch[] = {
        {"tbb_task_group", NULL, dispatch_task_group, empty_tasks},
        {"tbb_parallel_for", NULL, dispatch_parallel_for, empty_tasks},
    };
    if (do_sumsq)
        bench_sumsq(sumsq, 3);
    if (do_dispatch)
        bench_dispatch(dispatch, 2);
    return EXIT_OK;
} catch (const std::exception &e) { /* TBB reports by throwing: one line, exit 1 */
    die("%s", e.what());
}
