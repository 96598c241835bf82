/*
 * granularity: how small can a task be before running it concurrently stops paying?
 *
 *   make benches && ./build/bench/granularity > granularity.csv
 *   ./build/bench/granularity --total-ms 40 --reps 3 --per-decade 1     # quick
 *
 * For each task size, from --max-us down to --min-us, the same batch of tasks (about
 * --total-ms of CPU work, at most --max-tasks tasks) runs serially and then through each
 * mechanism with --workers workers:
 *
 *   threads            a new thread per task, `workers` of them at a time, each joined
 *   process_pool       pp_apply_async for every task, then pp_get each (process_pool.h)
 *   process_pool_map   pp_map with Python's default chunk size: tasks travel in chunks
 *   thread_pool        tp_submit for every task, then each future's result (thread_pool.h)
 *   thread_pool_map    tp_map with Python's default chunk size
 *   thread_pool_helping  thread_pool's submits and waits, in a pool made with
 *                      .caller_helps and workers - 1 threads: the waiting caller runs
 *                      queued tasks itself and makes the workers-th thread (thread_pool.h,
 *                      THE CALLER HELPS)
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

static const char usage[] =
    "[--workers N] [--total-ms MS] [--max-tasks N] [--max-us US] [--min-us US]\n"
    "       [--per-decade K] [--reps R] [--help]\n"
    "  --workers N     threads or processes per mechanism (default: the CPUs online)\n"
    "  --total-ms MS   serial CPU work per task size, in milliseconds (default 200)\n"
    "  --max-tasks N   at most this many tasks per batch; small tasks do less work\n"
    "                  (default 20000)\n"
    "  --max-us US     the largest task, in microseconds (default 100000 = 100 ms)\n"
    "  --min-us US     the smallest task, in microseconds (default 1)\n"
    "  --per-decade K  task sizes per factor of ten (default 2)\n"
    "  --reps R        repetitions; the median and range are over these (default 5)\n"
    "Prints CSV on stdout: mechanism,task_ns,tasks,workers,median_ns,min_ns,max_ns,speedup,reps\n";

/* ---- one batch of tasks ---------------------------------------------------------------- */

/* Task i squares `count` numbers starting at i * count; its result goes to results[i]. */
typedef struct {
    long tasks;
    uint64_t count;
    int workers;
    uint64_t *results;
} batch_t;

static uint64_t batch_sum(const batch_t *b)
{
    uint64_t sum = 0;
    for (long i = 0; i < b->tasks; i++)
        sum += b->results[i];
    return sum;
}

static void run_task(const batch_t *b, long i)
{
    b->results[i] = burn((uint64_t)i * b->count, b->count);
}

static void run_serial(const batch_t *b)
{
    for (long i = 0; i < b->tasks; i++)
        run_task(b, i);
}

/* threads: one new thread per task, `workers` alive at a time. This is the Python
 * threading lesson's pattern; its cost per task is a thread create and join. */
typedef struct {
    const batch_t *batch;
    long index;
} one_task_t;

static void *one_task(void *arg)
{
    one_task_t *t = arg;
    run_task(t->batch, t->index);
    return NULL;
}

static void run_threads_per_task(const batch_t *b)
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

static void submit_then_wait(tp_pool *pool, const batch_t *b)
{
    for (long i = 0; i < b->tasks; i++)
        tp_check(tp_submit(pool, pool_task, task_args[i], &futures[i]), "tp_submit");
    for (long i = 0; i < b->tasks; i++) {
        tp_check(tp_future_result(futures[i], -1, NULL), "tp_future_result");
        tp_future_release(futures[i]);
    }
}

static void run_thread_pool(const batch_t *b)
{
    submit_then_wait(tpool, b);
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

static void run_thread_pool_helping(const batch_t *b)
{
    submit_then_wait(tpool_helping, b);
}

static void run_thread_pool_map(const batch_t *b)
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

static void take_result(const batch_t *b, long i, pp_result *r)
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

static void fill_pp_args(const batch_t *b)
{
    for (long i = 0; i < b->tasks; i++) {
        pp_args[i][0] = (uint64_t)i * b->count;
        pp_args[i][1] = b->count;
    }
}

static void run_process_pool(const batch_t *b)
{
    fill_pp_args(b);
    for (long i = 0; i < b->tasks; i++)
        jobs[i] = pp_apply_async(ppool, pp_task, pp_args[i], sizeof pp_args[i]);
    for (long i = 0; i < b->tasks; i++) {
        pp_get(ppool, jobs[i], &pp_results[i]);
        take_result(b, i, &pp_results[i]);
    }
}

static void run_process_pool_map(const batch_t *b)
{
    fill_pp_args(b);
    pp_map(ppool, pp_task, pp_args, sizeof pp_args[0], (size_t)b->tasks, 0, pp_results);
    for (long i = 0; i < b->tasks; i++)
        take_result(b, i, &pp_results[i]);
}

/* ---- the mechanisms, each timed the same way ------------------------------------------- */

typedef struct {
    const char *name;
    void (*setup)(int workers); /* outside the timing: start the pool's workers */
    void (*run)(const batch_t *b);
    void (*teardown)(void);
} mechanism_t;

static const mechanism_t mechanisms[] = {
    {"serial", NULL, run_serial, NULL},
    {"threads", NULL, run_threads_per_task, NULL},
    {"process_pool", ppool_setup, run_process_pool, ppool_teardown},
    {"process_pool_map", NULL, run_process_pool_map, NULL},
    {"thread_pool", tpool_setup, run_thread_pool, tpool_teardown},
    {"thread_pool_map", NULL, run_thread_pool_map, NULL},
    {"thread_pool_helping", thelp_setup, run_thread_pool_helping, thelp_teardown},
};
enum { N_MECH = sizeof mechanisms / sizeof mechanisms[0] };

/* ---- main ------------------------------------------------------------------------------ */

int main(int argc, char **argv)
{
    cli_setup(argv[0], usage);
    int workers = online_cpus(), reps = 5, per_decade = 2;
    double total_ms = 200, max_us = 100000, min_us = 1;
    long max_tasks = 20000;
    static const struct option longopts[] = {
        {"workers", required_argument, NULL, 'w'},
        {"total-ms", required_argument, NULL, 't'},
        {"max-tasks", required_argument, NULL, 'n'},
        {"max-us", required_argument, NULL, 'M'},
        {"min-us", required_argument, NULL, 'm'},
        {"per-decade", required_argument, NULL, 'k'},
        {"reps", required_argument, NULL, 'r'},
        CLI_HELP, CLI_END,
    };
    for (int opt; (opt = cli_next(argc, argv, longopts)) != -1;) {
        switch (opt) {
        case 'w': workers = (int)parse_long("--workers", optarg, 1, 1024); break;
        case 't': total_ms = parse_double("--total-ms", optarg, 0.001, 1e6); break;
        case 'n': max_tasks = parse_long("--max-tasks", optarg, 1, 10000000); break;
        case 'M': max_us = parse_double("--max-us", optarg, 0.01, 1e7); break;
        case 'm': min_us = parse_double("--min-us", optarg, 0.01, 1e7); break;
        case 'k': per_decade = (int)parse_long("--per-decade", optarg, 1, 10); break;
        case 'r': reps = (int)parse_long("--reps", optarg, 1, 1001); break;
        }
    }
    if (min_us > max_us)
        usage_error("--min-us %g is larger than --max-us %g", min_us, max_us);

    warn_line("calibrating the task kernel ...");
    calibrate_burn(1000);
    uint64_t *results = xcalloc((size_t)max_tasks, sizeof *results);
    descs = xcalloc((size_t)max_tasks, sizeof *descs);
    task_args = xcalloc((size_t)max_tasks, sizeof *task_args);
    futures = xcalloc((size_t)max_tasks, sizeof *futures);
    jobs = xcalloc((size_t)max_tasks, sizeof *jobs);
    pp_results = xcalloc((size_t)max_tasks, sizeof *pp_results);
    pp_args = xcalloc((size_t)max_tasks, sizeof *pp_args);
    for (int m = 0; m < N_MECH; m++)
        if (mechanisms[m].setup)
            mechanisms[m].setup(workers);

    printf("mechanism,task_ns,tasks,workers,median_ns,min_ns,max_ns,speedup,reps\n");
    int steps = (int)floor(log10(max_us / min_us) * per_decade + 1e-9);
    for (int step = 0; step <= steps; step++) {
        double task_ns = max_us * 1e3 * pow(10, -(double)step / per_decade);
        long tasks = lround(total_ms * 1e6 / task_ns);
        if (tasks < workers)
            tasks = workers; /* every worker gets at least one task */
        if (tasks > max_tasks)
            tasks = max_tasks;
        batch_t b = {tasks, calibrate_burn(task_ns), workers, results};
        for (long i = 0; i < tasks; i++) {
            descs[i] = (one_task_t){&b, i};
            task_args[i] = &descs[i];
        }

        /* One untimed warm-up batch each, then the timed ones, the mechanisms taking turns.
         * Every batch starts from zeroed results and must reproduce the serial sum. */
        double samples[N_MECH][1001];
        uint64_t expected = 0;
        for (int r = -1; r < reps; r++)
            for (int m = 0; m < N_MECH; m++) {
                memset(results, 0, (size_t)tasks * sizeof *results);
                int64_t t0 = now_ns();
                mechanisms[m].run(&b);
                int64_t dt = now_ns() - t0;
                uint64_t got = batch_sum(&b);
                if (r < 0 && m == 0)
                    expected = got;
                else if (got != expected)
                    die("%s: sum %llu, serial %llu", mechanisms[m].name,
                        (unsigned long long)got, (unsigned long long)expected);
                if (r >= 0)
                    samples[m][r] = (double)dt;
            }
        stats_t s[N_MECH];
        for (int m = 0; m < N_MECH; m++)
            s[m] = stats_of(samples[m], reps);
        for (int m = 0; m < N_MECH; m++) {
            double speedup = s[0].median / s[m].median;
            printf("%s,%.0f,%ld,%d,%.0f,%.0f,%.0f,%.3f,%d\n", mechanisms[m].name, task_ns, tasks,
                   workers, s[m].median, s[m].min, s[m].max, speedup, reps);
            if (m > 0)
                warn_line("task %10.3f us x %-6ld %-13s speedup %.2f", task_ns / 1e3, tasks,
                         mechanisms[m].name, speedup);
        }
    }
    for (int m = 0; m < N_MECH; m++)
        if (mechanisms[m].teardown)
            mechanisms[m].teardown();
    free(results);
    free(descs);
    free(task_args);
    free(futures);
    free(jobs);
    free(pp_results);
    free(pp_args);
    return EXIT_OK;
}
