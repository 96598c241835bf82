/*
 * granularity: how small can a task be before running it concurrently stops paying?
 *
 *   make benches && ./build/bench/granularity > granularity.csv
 *   ./build/bench/granularity --total-ms 40 --reps 3 --per-decade 1     # quick
 *   OMP_WAIT_POLICY=active ./build/bench/granularity --group omp       # OpenMP's rows alone
 *
 * For each task size, from --max-us down to --min-us, the same batch of tasks (about
 * --total-ms of CPU work, at most --max-tasks tasks) runs serially and then through each
 * mechanism with --workers workers:
 *
 *   threads            a new thread per task, `workers` of them at a time, each joined
 *   process_pool       pp_apply_async for every task, then pp_get each (process_pool.h)
 *   process_pool_map   pp_map with Python's default chunk size: tasks travel in chunks
 *   thread_pool        tp_submit for every task, then each future's result (thread_pool.h)
 *   thread_pool_detached  tp_submit_detached for every task, then tp_drain: wait for all
 *                      at once, as the peers' rows below do, where thread_pool's waiter
 *                      may be woken once per future
 *   thread_pool_map    tp_map with Python's default chunk size
 *   thread_pool_helping  thread_pool's submits and waits, in a pool made with
 *                      .caller_helps and workers - 1 threads: the waiting caller runs
 *                      queued tasks itself and makes the workers-th thread (thread_pool.h,
 *                      THE CALLER HELPS)
 *   gthreadpool        GLib: g_thread_pool_push for every task, then free with wait
 *   omp_task           OpenMP: one thread makes a task of each (omp task), the team runs
 *                      them, the region's end waits for all; the creating thread runs
 *                      tasks too, as thread_pool_helping's caller does
 *   omp_dynamic        OpenMP: parallel for, schedule(dynamic, 1): one task per hand-over
 *
 * The peers (GLib, OpenMP) are built in where the toolchain has them, as in bench/peers;
 * oneTBB's rows come from bench/peers_tbb --only granularity, with the same sweep (bench.h,
 * gran_sweep) and options. OpenMP's idle threads spin a while after each region, so its
 * rows take turns among themselves and with serial batches, after the others' whole sweep;
 * `make bench` runs them in processes of their own under OMP_WAIT_POLICY=passive and
 * =active (--group omp), as it does for bench/peers.
 *
 * A task is burn() from bench.h, calibrated to last the task size. The mechanisms take
 * turns inside each repetition, so a disturbance hits all of them alike. Output CSV:
 *
 *   mechanism,task_ns,tasks,workers,median_ns,min_ns,max_ns,speedup,reps
 *
 * median_ns .. max_ns are the time of the whole batch; speedup is the serial median over
 * the mechanism's median at the same size (serial itself is a row with speedup 1).
 *
 * Notice: at 100 ms per task every mechanism nears `workers` times faster; as tasks shrink,
 * the cost of handing one over (thread create+join, a queue and a wake-up, a pipe round
 * trip) eats the gain, and below some size (the crossover) concurrency is slower.
 * Try: --workers 1, where no mechanism can win and the overhead shows alone.
 */
#include "bench.h"

#include "thread_pool.h"
#include "process_pool.h"
#ifdef HAVE_GLIB
#include <glib.h>
#endif

static const char usage[] =
    "[--workers N] [--total-ms MS] [--max-tasks N] [--max-us US] [--min-us US]\n"
    "       [--per-decade K] [--reps R] [--group WHOSE] [--help]\n"
    "  --workers N     threads or processes per mechanism (default: the CPUs online)\n"
    GRAN_USAGE
    "  --reps R        repetitions; the median and range are over these (default 5)\n"
    "  --group WHOSE   ours (our pools, threads, GLib) or omp (OpenMP's rows, with the\n"
    "                  serial batches they pair with): those alone (default: both)\n"
    "Prints CSV on stdout: mechanism,task_ns,tasks,workers,median_ns,min_ns,max_ns,speedup,reps\n";

/* ---- the mechanisms ------------------------------------------------------------------- */

/* A batch and its tasks are bench.h's (gran_batch, gran_task). */
static void run_serial(const gran_batch *b)
{
    for (long i = 0; i < b->tasks; i++)
        gran_task(b, i);
}

/* threads: one new thread per task, `workers` alive at a time. This is the Python
 * threading lesson's pattern; its cost per task is a thread create and join. */
typedef struct {
    const gran_batch *batch;
    long index;
} one_task_t;

static void *one_task(void *arg)
{
    one_task_t *t = arg;
    gran_task(t->batch, t->index);
    return NULL;
}

static void run_threads_per_task(const gran_batch *b)
{
    pthread_t tid[1024];
    one_task_t arg[1024];
    for (long first = 0; first < b->tasks; first += b->workers) {
        int n = (int)(b->tasks - first < b->workers ? b->tasks - first : b->workers);
        for (int k = 0; k < n; k++) {
            arg[k] = (one_task_t){b, first + k};
            PT_CHECK(pthread_create(&tid[k], NULL, one_task, &arg[k]));
        }
        for (int k = 0; k < n; k++)
            PT_CHECK(pthread_join(tid[k], NULL));
    }
}

/* The pools take a task as fn(arg); arg points at one of these, filled per task size
 * before any timing starts. */
static one_task_t *descs;
static void **task_args;

/* thread_pool: executor.submit() for every task, then wait on every future in turn.
 * thread_pool_map: pool.map() with Python's default chunk size, so each hand-over
 * carries many tasks and the cost per task shrinks by the chunk size. */
static tp_pool *tpool;
static tp_future **futures;

static int pool_task(void *arg, void **result)
{
    (void)result;
    one_task(arg);
    return 0;
}

static void tpool_setup(int workers)
{
    tp_check(tp_create(&tpool, &(tp_options){.workers = workers}), "tp_create");
}

static void tpool_teardown(void)
{
    tp_check(tp_destroy(tpool), "tp_destroy");
}

static void submit_then_wait(tp_pool *pool, const gran_batch *b)
{
    for (long i = 0; i < b->tasks; i++)
        tp_check(tp_submit(pool, pool_task, task_args[i], &futures[i]), "tp_submit");
    for (long i = 0; i < b->tasks; i++) {
        tp_check(tp_future_result(futures[i], -1, NULL), "tp_future_result");
        tp_future_release(futures[i]);
    }
}

static void run_thread_pool(const gran_batch *b)
{
    submit_then_wait(tpool, b);
}

/* thread_pool_detached: fire and forget, then one wait for the pool to be idle. */
static void run_thread_pool_detached(const gran_batch *b)
{
    for (long i = 0; i < b->tasks; i++)
        tp_check(tp_submit_detached(tpool, pool_task, task_args[i]), "tp_submit_detached");
    tp_check(tp_drain(tpool, -1), "tp_drain");
}

/* thread_pool_helping: the same submits and waits; each wait runs queued tasks in the
 * caller until its future is done. With workers - 1 threads the caller makes it workers,
 * as in bench/peers' row of that name. */
static tp_pool *tpool_helping;

static void thelp_setup(int workers)
{
    tp_check(tp_create(&tpool_helping, &(tp_options){.workers = workers > 1 ? workers - 1 : 1,
                                                     .caller_helps = true}),
             "tp_create");
}

static void thelp_teardown(void)
{
    tp_check(tp_destroy(tpool_helping), "tp_destroy");
}

static void run_thread_pool_helping(const gran_batch *b)
{
    submit_then_wait(tpool_helping, b);
}

static void run_thread_pool_map(const gran_batch *b)
{
    tp_check(tp_map(tpool, pool_task, task_args, (size_t)b->tasks, 0, NULL, NULL), "tp_map");
}

/* process_pool: apply_async() for every task, then get() each; arguments and results are
 * bytes through a pipe. process_pool_map: pool.map() with Python's default chunk size. */
static pp_pool *ppool;
static pp_job **jobs;
static pp_result *pp_results;
static uint64_t (*pp_args)[2]; /* {start, count} of each task, the bytes that travel */

static void pp_task(const void *arg, size_t len, pp_reply *reply)
{
    uint64_t range[2];
    if (len != sizeof range) {
        pp_reply_error(reply, "expected %zu argument bytes, got %zu", sizeof range, len);
        return;
    }
    memcpy(range, arg, sizeof range);
    uint64_t sum = burn(range[0], range[1]);
    pp_reply_bytes(reply, &sum, sizeof sum);
}

static void take_result(const gran_batch *b, long i, pp_result *r)
{
    if (r->status != PP_OK || r->len != sizeof b->results[i])
        die("process pool: task %ld: %s %s", i, pp_status_name(r->status), r->error);
    memcpy(&b->results[i], r->data, sizeof b->results[i]);
    pp_result_free(r);
}

static void ppool_setup(int workers)
{
    char err[PP_ERROR_MAX];
    if (pp_create(&ppool, &(pp_options){.workers = workers}, err, sizeof err) != PP_OK)
        die("pp_create: %s", err);
}

static void ppool_teardown(void)
{
    if (!pp_join(ppool))
        die("pp_join: %s", pp_error(ppool));
    pp_destroy(ppool);
}

static void fill_pp_args(const gran_batch *b)
{
    for (long i = 0; i < b->tasks; i++) {
        pp_args[i][0] = (uint64_t)i * b->count;
        pp_args[i][1] = b->count;
    }
}

static void run_process_pool(const gran_batch *b)
{
    fill_pp_args(b);
    for (long i = 0; i < b->tasks; i++)
        jobs[i] = pp_apply_async(ppool, pp_task, pp_args[i], sizeof pp_args[i]);
    for (long i = 0; i < b->tasks; i++) {
        pp_get(ppool, jobs[i], &pp_results[i]);
        take_result(b, i, &pp_results[i]);
    }
}

static void run_process_pool_map(const gran_batch *b)
{
    fill_pp_args(b);
    pp_map(ppool, pp_task, pp_args, sizeof pp_args[0], (size_t)b->tasks, 0, pp_results);
    for (long i = 0; i < b->tasks; i++)
        take_result(b, i, &pp_results[i]);
}

/* gthreadpool: GLib's pool, new per batch, as bench/peers uses it: push every task (GLib
 * refuses NULL data, so the index travels as i + 1), then g_thread_pool_free(pool, FALSE,
 * TRUE), which waits for all of them: the idiomatic "submit all, wait all". */
#ifdef HAVE_GLIB
static const gran_batch *gt_batch;

static void gt_task(gpointer data, gpointer user_data)
{
    (void)user_data;
    gran_task(gt_batch, (long)GPOINTER_TO_SIZE(data) - 1);
}

static void run_gthreadpool(const gran_batch *b)
{
    GError *err = NULL;
    gt_batch = b;
    GThreadPool *pool = g_thread_pool_new(gt_task, NULL, b->workers, FALSE, &err);
    if (!pool)
        die("g_thread_pool_new: %s", err ? err->message : "failed");
    for (long i = 0; i < b->tasks; i++)
        if (!g_thread_pool_push(pool, GSIZE_TO_POINTER((gsize)i + 1), &err))
            die("g_thread_pool_push: %s", err ? err->message : "failed");
    g_thread_pool_free(pool, FALSE, TRUE);
}
#endif

#ifdef _OPENMP
/* omp_task: one thread of the team makes a task of each (single), the others take them;
 * the region's closing barrier waits for all, and the thread that made them runs some too. */
static void run_omp_task(const gran_batch *b)
{
#pragma omp parallel num_threads(b->workers)
#pragma omp single
    for (long i = 0; i < b->tasks; i++) {
#pragma omp task firstprivate(i)
        gran_task(b, i);
    }
}

/* omp_dynamic: the loop handed out one iteration at a time. */
static void run_omp_dynamic(const gran_batch *b)
{
#pragma omp parallel for num_threads(b->workers) schedule(dynamic, 1)
    for (long i = 0; i < b->tasks; i++)
        gran_task(b, i);
}
#endif

/* Each size's batch, before it runs: the pools' task arguments point into it. */
static void prepare(const gran_batch *b)
{
    for (long i = 0; i < b->tasks; i++) {
        descs[i] = (one_task_t){b, i};
        task_args[i] = &descs[i];
    }
}

/* ---- main ------------------------------------------------------------------------------ */

int main(int argc, char **argv)
{
    cli_setup(argv[0], usage);
    gran_options o = gran_defaults();
    bool do_ours = true, do_omp = true;
    static const struct option longopts[] = {
        {"workers", required_argument, NULL, 'w'},
        {"reps", required_argument, NULL, 'r'},
        {"group", required_argument, NULL, 'g'},
        GRAN_LONGOPTS, CLI_HELP, CLI_END,
    };
    for (int opt; (opt = cli_next(argc, argv, longopts)) != -1;) {
        if (gran_option(opt, optarg, &o))
            continue;
        switch (opt) {
        case 'w': o.workers = (int)parse_long("--workers", optarg, 1, 1024); break;
        case 'r': o.reps = (int)parse_long("--reps", optarg, 1, 1001); break;
        case 'g': parse_group(optarg, &do_ours, &do_omp); break;
        }
    }
    gran_check(&o);

    warn_line("calibrating the task kernel ...");
    calibrate_burn(1000);
    descs = xcalloc((size_t)o.max_tasks, sizeof *descs);
    task_args = xcalloc((size_t)o.max_tasks, sizeof *task_args);
    futures = xcalloc((size_t)o.max_tasks, sizeof *futures);
    jobs = xcalloc((size_t)o.max_tasks, sizeof *jobs);
    pp_results = xcalloc((size_t)o.max_tasks, sizeof *pp_results);
    pp_args = xcalloc((size_t)o.max_tasks, sizeof *pp_args);
    o.prepare = prepare;

    printf("mechanism,task_ns,tasks,workers,median_ns,min_ns,max_ns,speedup,reps\n");
    if (do_ours) {
        ppool_setup(o.workers); /* first, while this program has one thread (fork) */
        tpool_setup(o.workers);
        thelp_setup(o.workers);
        const gran_mechanism ours[] = {
            {"serial", run_serial},
            {"threads", run_threads_per_task},
            {"process_pool", run_process_pool},
            {"process_pool_map", run_process_pool_map},
            {"thread_pool", run_thread_pool},
            {"thread_pool_detached", run_thread_pool_detached},
            {"thread_pool_map", run_thread_pool_map},
            {"thread_pool_helping", run_thread_pool_helping},
#ifdef HAVE_GLIB
            {"gthreadpool", run_gthreadpool},
#endif
        };
        gran_sweep(ours, (int)(sizeof ours / sizeof ours[0]), &o, true);
        thelp_teardown();
        tpool_teardown();
        ppool_teardown();
#ifndef HAVE_GLIB
        warn_line("left out gthreadpool: built without GLib (pkg-config glib-2.0 not found)");
#endif
    }
#ifdef _OPENMP
    if (do_omp) {
        const gran_mechanism omp[] = {
            {"serial", run_serial},
            {"omp_task", run_omp_task},
            {"omp_dynamic", run_omp_dynamic},
        };
        gran_sweep(omp, 3, &o, !do_ours); /* alone, it prints its own serial rows */
    }
#else
    if (do_omp)
        warn_line("left out openmp: built without OpenMP (the compiler refused -fopenmp)");
#endif
    free(descs);
    free(task_args);
    free(futures);
    free(jobs);
    free(pp_results);
    free(pp_args);
    return EXIT_OK;
}
