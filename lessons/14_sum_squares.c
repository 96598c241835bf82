/*
 * 14_sum_squares: CPU-bound work in C. Threads and processes both put every core to work;
 * what differs is what they cost to start and to talk to.
 *
 *   make && ./build/14_sum_squares                       # all four modes, a table of speedups
 *   ./build/14_sum_squares --mode processes --workers 4  # one mode
 *   ./build/14_sum_squares --mode processes --kill-one   # SIGKILL a worker in the middle
 *   ./build/14_sum_squares --start 50000 --count 2000    # tiny tasks: who still gains?
 *
 * The work, from the Python tutorial: for each of 20 numbers n from 5,000,000 to 5,000,019,
 * the sum of i*i for i < n. Python took 7.1 s serially and 2.3 s with multiprocessing.Pool;
 * threads did not help at all, because only one thread at a time may run Python code (the
 * interpreter lock). C has no such lock: threads run in parallel like processes do, and the
 * whole job takes a few hundredths of a second.
 *
 * Notice:
 *   - threads, the thread pool and the process pool each run about as many times faster
 *     than serial as they keep CPUs busy (cpu / seconds): near `workers` when each worker
 *     has a free core (20 tasks over 2 workers: 10 each); a doubt says when not to trust it.
 *   - a process costs more than a thread: a fork to start (made before the clock starts)
 *     and a trip through two pipes per task, argument and result copied each way. --mode
 *     all prints the empty-task round trips (a few to some 40 us, with how deeply the idle
 *     core sleeps). With --start 50000 --count 2000 a task takes ~30 us, hardly more than a
 *     round trip, and the processes' speedup melts; --chunk 10 buys much of it back.
 *   - the first run is cold: the scheduler may start both workers on one CPU and move one
 *     later, and an idle CPU may first have to wake up. On a 2-vCPU VM, threads mode took
 *     21-36 ms in 30 fresh processes, ~21 ms in later runs; serial ~41 ms either way. So
 *     hyperfine's whole-program timings are cold, the median of several runs here is warm.
 *     `make timeline L=14` draws each run (--trace). --pin puts worker k on CPU k mod the
 *     CPUs online from the start (Linux extensions, lessons/lib/cpu.c); serial stays free.
 *   - cpu is what a run burned, user + system, in every thread and worker process: with a
 *     CPU per worker, close to workers x seconds and to serial's cpu, plus the pipes' cost.
 *   - every sum is checked against the closed form (n-1) n (2n-1) / 6; lessons/lib/
 *     sum_squares.h keeps the sums exact in two words and keeps the compiler from using it.
 *   - --kill-one: a worker dies by SIGKILL while it holds a task. multiprocessing.Pool would
 *     wait forever; our pool sees the end-of-file on the worker's pipe, reaps it, returns
 *     the task as failed ("killed by signal 9 (Killed)") and forks a replacement; the
 *     lesson retries the task and the totals still come out exact.
 * Try: --workers 1, 2, 3, 4 and, in runs without a doubt, watch the speedup stop growing
 * at your core count (`nproc`); with 3 workers 20 tasks split 7+7+6: at best 20/7 = 2.86x. Then
 * --runs 10 with and without --pin, and compare each mode's first run with the rest.
 *
 * Verdict: after the table, one line per mode, "MODE name=processes workers=2
 * seconds=0.029412 speedup=1.98 exact=20/20 first=0.034107 cpu=0.059870 pinned=no" (the
 * median run; n/a without serial; run 1; CPU seconds, n/a if unreadable; every pin held), then
 *   RESULT tasks=20 total=... expected=... modes=serial,threads,pool,processes point=shown OK
 * point: the lesson's point as this run showed it (judge() says how): shown, untrusted (a
 * doubt above the verdict says why), n/a (no serial, one worker or one CPU), or not-shown.
 * Exit 0 when every mode got every sum exact and the point was not contradicted; 1 for a
 * wrong sum, or nothing to doubt yet no mode 1.2x faster (not-shown); 2 for bad usage.
 */
#include "program.h"
#include "cpu.h"
#include "process_pool.h"
#include "sum_squares.h"
#include "trace.h"
#include "thread_pool.h"
#include "quizzes/14_sum_squares.h" /* --quiz and --answers: its questions */

#include <inttypes.h>
#include <signal.h>
#include <stdatomic.h>
#include <unistd.h>

static const char usage[] =
    "[--mode all|serial|threads|pool|processes] [--workers N] [--start S]\n"
    "       [--count C] [--chunk K] [--runs R] [--kill-one] [--pin] [--timeout S]\n"
    "       [--trace PATH]\n"
    "  For each of C numbers n = S .. S+C-1, the sum of i*i for 0 <= i < n (CPU-bound).\n"
    "  --mode      serial: one loop; threads: N pthreads, each sums one block of the numbers;\n"
    "              pool: the thread pool (tp_map); processes: the process pool (pp_map);\n"
    "              all (default): each in turn, then a table of speedups against serial\n"
    "  --workers   threads or processes, 1..256 (default: the CPUs online)\n"
    "  --start     the first number n, 0..1000000000 (default 5000000)\n"
    "  --count     how many numbers, 1..100000 (default 20)\n"
    "  --chunk     numbers per task message in pool and processes, 1..100000 (default 1)\n"
    "  --runs      time each mode R times, show each run and keep the median, 1..100 (default\n"
    "              3 with --mode all; 1 for a single mode, so hyperfine times exactly one run)\n"
    "  --kill-one  in processes: SIGKILL one worker while it holds a task; the pool reports\n"
    "              it and replaces the worker, and the lesson retries the task\n"
    "  --pin       pin worker k to CPU k mod the CPUs online (Linux only) in threads, pool and\n"
    "              processes; serial stays unpinned; not with --kill-one\n"
    "  --timeout   processes: the longest one pool call may take, seconds, 0.1..86400\n"
    "              (default 60); then the lesson says so and ends STUCK (exit 3)\n"
    "  --trace     write who ran which task when to PATH (JSON; make timeline L=14 draws it)\n";

enum { MAX_RUNS = 100 };
enum mode { MODE_ALL, MODE_SERIAL, MODE_THREADS, MODE_POOL, MODE_PROCESSES, NMODES };
static const char *const mode_names[] = {"all", "serial", "threads", "pool", "processes", NULL};

/* From the Python tutorial this lesson comes from (measured on its author's machine). */
static const double python_serial_s = 7.1, python_pool_s = 2.3;

/* One number and its sum: the unit of work in every mode. */
typedef struct {
    uint64_t n;
    ss_u128 sum;
} task;

static struct {
    enum mode mode;
    long workers, runs;
    size_t chunk, count;
    uint64_t start;
    bool kill_one, pin;
    double timeout; /* the process pool's .timeout */
} cfg = {MODE_ALL, 2, 0, 1, 20, 5000000, false, false, 60};

/* ---- the kernel, and serial: the baseline ------------------------------------------ */

static void sum_tasks(task *tasks, size_t count)
{
    for (size_t k = 0; k < count; k++) {
        int64_t t0 = trace_start();
        tasks[k].sum = ss_sum_squares(tasks[k].n);
        trace_span(t0, "task", "n=%" PRIu64, tasks[k].n);
    }
}

/* Every mode runs sum_tasks through this pointer, read when the program runs, so all four
 * run the very same machine code. Without it, gcc compiled the copy inlined into main a
 * little differently, serial came out 5% slower than one thread, and 2 cores "sped up"
 * 2.1 times: that measured the compiler, not the parallelism. */
static void (*volatile kernel)(task *tasks, size_t count) = sum_tasks;

/* ---- --pin: worker k on CPU k mod the CPUs online ---------------------------------- */

/* The first pin error of the mode being measured, 0 while every pin held (set atomically by
 * the workers; measure() reads it after the runs). */
static atomic_int pin_error;

static int cpu_of_worker(long k)
{
    return (int)(k % online_cpus());
}

static void note_pin(int rc)
{
    int none = 0;
    if (rc != 0)
        atomic_compare_exchange_strong(&pin_error, &none, rc);
}

/* pool: the thread pool's initializer runs in each worker, which knows its index. It never
 * fails: an unpinned worker still works, and pinned=no will say so. */
static int pin_pool_worker(void *arg)
{
    (void)arg;
    note_pin(pin_thread_to_cpu(pthread_self(), cpu_of_worker(tp_current_worker_index())));
    return 0;
}

/* processes: a worker process cannot learn its index (pp_options.init gets the same bytes in
 * each), so the parent pins each by its pid, before the runs. A replacement would start
 * unpinned (it inherits our affinity): that is why --pin and --kill-one do not mix. */
static void pin_processes(const pp_pool *pool)
{
    for (int i = 0; i < pp_workers(pool); i++)
        note_pin(pin_process_to_cpu(pp_worker_pid(pool, i), cpu_of_worker(i)));
}

/* ---- threads: plain pthreads, the list cut into equal blocks ------------------------ */

/* Worker w gets tasks [w*count/W, (w+1)*count/W): blocks differ by one task at most. Each
 * thread writes only its own tasks, and main reads them after pthread_join, so nothing is
 * shared while they run and no lock is needed. */
typedef struct {
    pthread_t tid;
    task *tasks;
    size_t count;
    int cpu; /* --pin: the thread pins itself to it first, inside the timed run; -1: not */
    long index;
} block;

static void *block_main(void *arg)
{
    block *b = arg;
    trace_thread_name("thread %ld", b->index);
    if (b->cpu >= 0)
        note_pin(pin_thread_to_cpu(pthread_self(), b->cpu));
    kernel(b->tasks, b->count);
    return NULL;
}

static void run_threads(task *tasks, size_t count, long workers)
{
    block *blocks = xcalloc((size_t)workers, sizeof *blocks);
    for (long w = 0; w < workers; w++) {
        size_t from = count * (size_t)w / (size_t)workers;
        size_t to = count * (size_t)(w + 1) / (size_t)workers;
        blocks[w] = (block){.tasks = tasks + from, .count = to - from,
                            .cpu = cfg.pin ? cpu_of_worker(w) : -1, .index = w};
        PT_CHECK(pthread_create(&blocks[w].tid, NULL, block_main, &blocks[w]));
    }
    for (long w = 0; w < workers; w++)
        PT_CHECK(pthread_join(blocks[w].tid, NULL));
    free(blocks);
}

/* ---- pool: the thread pool (lessons/lib/thread_pool.h) ---------------------------------- */

/* A thread pool task gets a pointer: it writes the answer straight into the task. */
static int tp_sum(void *arg, void **result)
{
    (void)result;
    kernel(arg, 1);
    return 0;
}

static int tp_nothing(void *arg, void **result)
{
    (void)arg, (void)result;
    return 0;
}

static void run_thread_pool(tp_pool *pool, task *tasks, size_t count, size_t chunk)
{
    void **args = xmalloc(count * sizeof *args);
    for (size_t k = 0; k < count; k++)
        args[k] = &tasks[k];
    int rc = tp_map(pool, tp_sum, args, count, chunk, NULL, NULL);
    if (rc != TP_OK)
        die("tp_map: %s", tp_strerror(rc));
    free(args);
}

/* ---- processes: the process pool (lessons/lib/process_pool.h) --------------------------- */

/* A process pool task runs in another process: a pointer into our memory would point into
 * the worker's copy, made at fork time. So the number travels as 8 bytes down a pipe and
 * the sum comes back as 16 bytes. */
static void pp_sum(const void *arg, size_t len, pp_reply *reply)
{
    if (len != sizeof(uint64_t)) {
        pp_reply_error(reply, "expected an 8-byte number, got %zu bytes", len);
        return;
    }
    task t = {.n = *(const uint64_t *)arg}; /* the pool aligns arguments: no memcpy needed */
    trace_thread_name("process %ld", (long)getpid());
    kernel(&t, 1);
    pp_reply_bytes(reply, &t.sum, sizeof t.sum);
}

static void pp_nothing(const void *arg, size_t len, pp_reply *reply)
{
    (void)arg, (void)len, (void)reply;
}

/* Copies a reply into the task; a failure leaves the task's sum as it was (poisoned). */
static bool take_reply(task *t, const pp_result *r)
{
    if (r->status != PP_OK || r->len != sizeof t->sum)
        return false;
    memcpy(&t->sum, r->data, sizeof t->sum);
    return true;
}

/* A failed task is just a value: print it, and try once more. */
static void retry(pp_pool *pool, task *t, size_t k, const pp_result *failed)
{
    printf("  task %zu (n=%" PRIu64 ") %s: %s; retrying it: ", k, t->n,
           pp_status_name(failed->status), failed->error);
    pp_result r;
    pp_apply(pool, pp_sum, &t->n, sizeof t->n, &r);
    printf("%s\n", take_reply(t, &r) ? "ok" : r.error);
    pp_result_free(&r);
}

static void run_process_pool(pp_pool *pool, task *tasks, size_t count, size_t chunk)
{
    uint64_t *numbers = xmalloc(count * sizeof *numbers);
    pp_result *results = xmalloc(count * sizeof *results);
    for (size_t k = 0; k < count; k++)
        numbers[k] = tasks[k].n;
    pp_map(pool, pp_sum, numbers, sizeof *numbers, count, chunk, results);
    size_t silent = 0;
    for (size_t k = 0; k < count; k++)
        silent += results[k].status == PP_TIMEOUT;
    if (silent > 0) { /* a worker stopped or hung: retrying would only wait again */
        printf("processes: %zu task(s) got no answer within --timeout %g s (a worker stopped "
               "or hung?); the pool's workers are ended\n", silent, cfg.timeout);
        pp_destroy(pool);
        exit(verdict_stuck("mode=processes unanswered=%zu timeout=%gs", silent, cfg.timeout));
    }
    for (size_t k = 0; k < count; k++) {
        if (!take_reply(&tasks[k], &results[k]))
            retry(pool, &tasks[k], k, &results[k]);
        pp_result_free(&results[k]);
    }
    free(numbers);
    free(results);
}

/* --kill-one: hand out every task, then SIGKILL worker 0, which has just been given one.
 * The task it held comes back failed, naming the signal; the pool forks a replacement. */
static void run_process_pool_killing_one(pp_pool *pool, task *tasks, size_t count)
{
    pp_job **jobs = xmalloc(count * sizeof *jobs);
    for (size_t k = 0; k < count; k++)
        jobs[k] = pp_apply_async(pool, pp_sum, &tasks[k].n, sizeof tasks[k].n);
    pid_t victim = pp_worker_pid(pool, 0);
    printf("kill-one: SIGKILL to worker 0 (pid %ld) while it holds a task\n", (long)victim);
    if (kill(victim, SIGKILL) != 0)
        die_errno("kill");
    for (size_t k = 0; k < count; k++) {
        pp_result r;
        pp_get(pool, jobs[k], &r);
        if (!take_reply(&tasks[k], &r))
            retry(pool, &tasks[k], k, &r);
        pp_result_free(&r);
    }
    free(jobs);
    pp_stats st;
    pp_get_stats(pool, &st);
    if (st.died > 0)
        printf("kill-one: the pool saw \"%s\" and replaced the worker (died %lu, replaced "
               "%lu); nobody waited forever\n",
               st.last_death, st.died, st.replaced);
    else
        printf("kill-one: worker 0 had answered before the signal landed; the pool will "
               "notice its death when it next looks (at the latest at pp_join)\n");
}

/* ---- measuring ---------------------------------------------------------------------- */

typedef struct {
    bool ran, pinned;       /* pinned: --pin, and every pin of the mode held */
    long workers;
    double seconds;         /* the median of the runs */
    double run_s[MAX_RUNS]; /* each run's seconds, in order */
    double cpu;             /* CPU seconds of a run, the median; NAN if they cannot be read */
    size_t exact;           /* sums equal to the closed form, in the worst run */
    ss_u128 total;
} outcome;

/* CPU seconds so far of this process and of the pool's workers (if pool; NAN where a
 * worker's clock cannot be read). A reaped worker's time moves into cpu_seconds_children
 * and its replacement's clock starts at 0: the sum goes on without a jump. */
static double cpu_now(const pp_pool *pool)
{
    double s = cpu_seconds_self();
    if (pool)
        s += cpu_seconds_children() + pp_cpu_seconds(pool);
    return s;
}

/* The median round trip of an empty task through process pool pp, else thread pool tp. */
static double round_trip(pp_pool *pp, tp_pool *tp)
{
    double t[201];
    for (int k = 0; k < 201; k++) {
        pp_result r;
        double t0 = now_s();
        if (pp ? pp_apply(pp, pp_nothing, NULL, 0, &r) != PP_OK
               : tp_apply(tp, tp_nothing, NULL, NULL, NULL) != TP_OK)
            die("an empty task failed: %s", pp ? r.error : "tp_apply");
        t[k] = now_s() - t0;
    }
    return median(t, 201);
}

/* Runs one mode cfg.runs times on fresh tasks and checks every sum of every run. */
static outcome measure(enum mode mode, pp_pool *procs)
{
    outcome o = {.ran = true, .workers = mode == MODE_SERIAL ? 1 : cfg.workers,
                 .exact = cfg.count};
    atomic_store(&pin_error, 0);
    tp_pool *threads = NULL;
    if (mode == MODE_POOL) {
        tp_options opts = {.workers = (int)cfg.workers,
                           .initializer = cfg.pin ? pin_pool_worker : NULL};
        PT_CHECK(tp_create(&threads, &opts));
        if (cfg.mode == MODE_ALL) /* not for one mode: a whole-program timer would count it */
            printf("thread pool: an empty task's round trip takes %.1f us (median of 201)\n",
                   round_trip(NULL, threads) * 1e6);
    }
    if (mode == MODE_PROCESSES && cfg.pin)
        pin_processes(procs);
    pp_pool *counted = mode == MODE_PROCESSES ? procs : NULL; /* whose workers' CPU counts */
    task *tasks = xmalloc(cfg.count * sizeof *tasks);
    double seconds[MAX_RUNS], cpu[MAX_RUNS];
    for (long run = 0; run < cfg.runs; run++) {
        for (size_t k = 0; k < cfg.count; k++) /* a sum nobody writes stays visibly wrong */
            tasks[k] = (task){.n = cfg.start + k, .sum = {UINT64_MAX, UINT64_MAX}};
        double cpu0 = cpu_now(counted), t0 = now_s();
        int64_t traced = trace_start();
        switch (mode) {
        case MODE_SERIAL: kernel(tasks, cfg.count); break;
        case MODE_THREADS: run_threads(tasks, cfg.count, cfg.workers); break;
        case MODE_POOL: run_thread_pool(threads, tasks, cfg.count, cfg.chunk); break;
        case MODE_PROCESSES:
            if (cfg.kill_one && run == 0)
                run_process_pool_killing_one(procs, tasks, cfg.count);
            else
                run_process_pool(procs, tasks, cfg.count, cfg.chunk);
            break;
        default:
            break;
        }
        o.run_s[run] = seconds[run] = now_s() - t0;
        trace_span(traced, "run", "%s run %ld", mode_names[mode], run + 1);
        cpu[run] = cpu_now(counted) - cpu0;
        size_t exact = 0;
        ss_u128 total = {0, 0};
        for (size_t k = 0; k < cfg.count; k++) {
            exact += ss_equal(tasks[k].sum, ss_sum_squares_formula(tasks[k].n));
            total = ss_add(total, tasks[k].sum);
        }
        if (run == 0 || exact < o.exact) { /* keep the worst run's figures */
            o.exact = exact;
            o.total = total;
        }
    }
    o.seconds = median(seconds, cfg.runs);
    o.cpu = median(cpu, cfg.runs);
    int pin_rc = atomic_load(&pin_error);
    o.pinned = cfg.pin && mode != MODE_SERIAL && pin_rc == 0;
    if (pin_rc != 0)
        warn_line("--pin: %s: cannot pin (%s): at least one worker ran unpinned; pinned=no",
                  mode_names[mode], strerror(pin_rc));
    free(tasks);
    if (threads)
        PT_CHECK(tp_destroy(threads));
    return o;
}

/* ---- the report --------------------------------------------------------------------- */

/* A CPU time for the report, with that many decimals, or "n/a" if it could not be read. */
static const char *cpu_text(double cpu, int decimals, char *buf, size_t len)
{
    snprintf(buf, len, isnan(cpu) ? "n/a" : "%.*f", decimals, cpu);
    return buf;
}

/* The lesson's point, as this run showed it: concurrency pays on CPU-bound work. Shown by a
 * mode with 2+ workers 1.2x faster than serial, unless a doubt (said, never hidden) says the
 * timing cannot be trusted: serial under 80% of a CPU or 10 ms; a speedup over min(workers,
 * CPUs) + 5%; threads or pool 15% off serial's CPU time, or both under 80% of their CPUs busy. */
typedef enum { POINT_NA, POINT_UNTRUSTED, POINT_SHOWN, POINT_NOT_SHOWN } point;
static const char *const point_names[] = {"n/a", "untrusted", "shown", "not-shown"};

static point judge(const outcome *out)
{
    const outcome *serial = &out[MODE_SERIAL];
    int cpus = online_cpus(), best = -1;
    bool had_cpus = false;
    char doubt[160] = "";
    for (int m = MODE_SERIAL + 1; m < NMODES && serial->ran; m++) {
        long limit = out[m].workers < cpus ? out[m].workers : cpus;
        double speedup = serial->seconds / out[m].seconds, cost = out[m].cpu / serial->cpu;
        if (!out[m].ran)
            continue;
        if (speedup > 1.05 * (double)limit)
            snprintf(doubt, sizeof doubt, "%s %.2fx with %ld worker(s) on %d CPU(s) is more "
                     "than they can give", mode_names[m], speedup, out[m].workers, cpus);
        else if (m != MODE_PROCESSES && fabs(cost - 1) > 0.15) /* processes: pipes cost too */
            snprintf(doubt, sizeof doubt, "the same sums took %s %.2fx serial's CPU time: a "
                     "CPU second did not buy the same work", mode_names[m], cost);
        if (out[m].workers >= 2 && (best < 0 || out[m].seconds < out[best].seconds))
            best = m;
        had_cpus |= m != MODE_PROCESSES && out[m].cpu >= 0.8 * (double)limit * out[m].seconds;
    }
    if (!serial->ran || best < 0 || cpus < 2) {
        printf("  The point needs serial and a mode with 2+ workers on 2+ CPUs: n/a here.\n");
        return POINT_NA;
    }
    /* One doubt is given, the most basic first: a run too short says so whatever else it
     * measured, since its share of a CPU is then a reading of a millisecond or less. */
    if (timing_tool()) /* a sanitizer or valgrind (program.h) */
        snprintf(doubt, sizeof doubt, "%s slows every thread its own way", timing_tool());
    else if (serial->seconds < 0.010)
        snprintf(doubt, sizeof doubt, "serial took under 10 ms, too short to compare");
    else if (serial->cpu < 0.8 * serial->seconds) /* NAN: no doubt */
        snprintf(doubt, sizeof doubt, "serial had %.0f%% of a CPU while it was timed",
                 100 * serial->cpu / serial->seconds);
    else if (!had_cpus)
        snprintf(doubt, sizeof doubt, "threads and pool each kept under 80%% of their CPUs busy");
    if (doubt[0]) {
        printf("  Doubt: %s. These speedups cannot be trusted: run it again on a quiet "
               "machine.\n", doubt);
        return POINT_UNTRUSTED;
    }
    double speedup = serial->seconds / out[best].seconds;
    printf("  The point, concurrency pays on CPU-bound work: %s (%s %.2fx with %ld workers).\n",
           speedup >= 1.2 ? "shown" : "NOT shown", mode_names[best], speedup, out[best].workers);
    return speedup >= 1.2 ? POINT_SHOWN : POINT_NOT_SHOWN;
}

static point print_table(const outcome *out)
{
    const outcome *serial = &out[MODE_SERIAL];
    printf("\n  %-10s %7s %10s %10s %9s %6s %7s\n", "mode", "workers", "seconds", "cpu",
           "speedup", "pinned", "exact");
    for (int m = MODE_SERIAL; m < NMODES; m++) {
        if (!out[m].ran)
            continue;
        char speedup[32] = "n/a", cpu[32];
        if (serial->ran)
            snprintf(speedup, sizeof speedup, "%.2fx", serial->seconds / out[m].seconds);
        printf("  %-10s %7ld %10.4f %10s %9s %6s %3zu/%zu\n", mode_names[m], out[m].workers,
               out[m].seconds, cpu_text(out[m].cpu, 4, cpu, sizeof cpu), speedup,
               out[m].pinned ? "yes" : "no", out[m].exact, cfg.count);
    }
    for (int m = MODE_SERIAL; m < NMODES; m++) {
        if (!out[m].ran)
            continue;
        printf("  %-10s runs:", mode_names[m]);
        for (long run = 0; run < cfg.runs; run++)
            printf(" %.2f", out[m].run_s[run] * 1e3);
        printf(" ms\n");
    }
    printf("  Run 1 may be slower: fresh workers may share a CPU until the scheduler spreads\n"
           "  them, and an idle CPU may first have to wake up (--pin places them at once).\n");
    point shown = judge(out);
    printf("  Python, from the tutorial (another machine, the default 20 numbers): serial %.1f s,\n"
           "  multiprocessing.Pool %.1f s = %.2fx; threads no faster (the interpreter lock).\n"
           "  bench/python/sum_squares.py runs the same work in Python on this machine.\n\n",
           python_serial_s, python_pool_s, python_serial_s / python_pool_s);
    return shown;
}

static void parse_args(int argc, char **argv)
{
    static const struct option opts[] = {
        {"mode", required_argument, NULL, 'm'},  {"workers", required_argument, NULL, 'w'},
        {"start", required_argument, NULL, 's'}, {"count", required_argument, NULL, 'c'},
        {"chunk", required_argument, NULL, 'k'}, {"runs", required_argument, NULL, 'r'},
        {"kill-one", no_argument, NULL, 'K'},    {"pin", no_argument, NULL, 'P'},
        {"timeout", required_argument, NULL, 'T'}, CLI_TRACE, CLI_QUIZ, CLI_HELP,
        CLI_END,
    };
    cfg.workers = online_cpus() < PP_MAX_WORKERS ? online_cpus() : PP_MAX_WORKERS;
    for (int opt; (opt = cli_next(argc, argv, opts)) != -1;) {
        switch (opt) {
        case 'm': cfg.mode = (enum mode)parse_choice("--mode", optarg, mode_names); break;
        case 'w': cfg.workers = parse_long("--workers", optarg, 1, PP_MAX_WORKERS); break;
        case 's': cfg.start = (uint64_t)parse_long("--start", optarg, 0, 1000000000); break;
        case 'c': cfg.count = (size_t)parse_long("--count", optarg, 1, 100000); break;
        case 'k': cfg.chunk = (size_t)parse_long("--chunk", optarg, 1, 100000); break;
        case 'r': cfg.runs = parse_long("--runs", optarg, 1, MAX_RUNS); break;
        case 'K': cfg.kill_one = true; break;
        case 'T': cfg.timeout = parse_double("--timeout", optarg, 0.1, 86400); break;
        case 'P': cfg.pin = true; break;
        }
    }
    if (cfg.kill_one && cfg.pin)
        usage_error("--pin and --kill-one do not mix: the replacement worker would run unpinned");
    if (cfg.kill_one && cfg.mode != MODE_ALL && cfg.mode != MODE_PROCESSES)
        usage_error("--kill-one needs --mode processes or all, not %s", mode_names[cfg.mode]);
    if (cfg.runs == 0)
        cfg.runs = cfg.mode == MODE_ALL ? 3 : 1;
}

int main(int argc, char **argv)
{
    cli_setup(argv[0], usage);
    QUIZ(quiz);
    parse_args(argc, argv);
    printf("%s: the sum of i*i for i < n, for %zu numbers n = %" PRIu64 " .. %" PRIu64 "\n",
           prog_name, cfg.count, cfg.start, cfg.start + cfg.count - 1);
    printf("  %ld workers, %zu number(s) per pool task, median of %ld run(s) per mode\n",
           cfg.workers, cfg.chunk, cfg.runs);

    trace_thread_name("main");
    /* The process pool first: fork while this program has a single thread (see
     * process_pool.h). Its start-up is timed here, apart from the work. */
    bool all = cfg.mode == MODE_ALL;
    pp_pool *procs = NULL;
    if (all || cfg.mode == MODE_PROCESSES) {
        char err[PP_ERROR_MAX];
        double t0 = now_s();
        pp_status st = pp_create(&procs,
                                 &(pp_options){.workers = (int)cfg.workers,
                                               .timeout = cfg.timeout}, err,
                                 sizeof err);
        double forked = now_s() - t0;
        if (st != PP_OK)
            die("process pool: %s", err);
        printf("process pool: %ld workers forked and ready in %.2f ms", cfg.workers, forked * 1e3);
        if (all) /* not for one mode: a whole-program timer like hyperfine would count it */
            printf("; an empty task's round trip takes %.1f us (median of 201)",
                   round_trip(procs, NULL) * 1e6);
        printf("\n");
    }

    outcome out[NMODES] = {{0}};
    for (int m = MODE_SERIAL; m < NMODES; m++)
        if (all || cfg.mode == (enum mode)m)
            out[m] = measure((enum mode)m, procs);

    bool ok = true;
    if (procs) {
        if (!pp_join(procs)) {
            printf("process pool: pp_join: %s\n", pp_error(procs));
            ok = cfg.kill_one; /* a worker killed after its last answer is only seen here */
        }
        pp_destroy(procs);
    }
    trace_done_or_die(); /* every worker is gone: all their events are in */

    point shown = print_table(out);
    ss_u128 expected = {0, 0}, total = {0, 0};
    for (size_t k = 0; k < cfg.count; k++)
        expected = ss_add(expected, ss_sum_squares_formula(cfg.start + k));
    char modes[64] = "";
    bool wrong_seen = false;
    for (int m = MODE_SERIAL; m < NMODES; m++) {
        if (!out[m].ran)
            continue;
        char speedup[32] = "n/a", cpu[32];
        if (out[MODE_SERIAL].ran)
            snprintf(speedup, sizeof speedup, "%.2f", out[MODE_SERIAL].seconds / out[m].seconds);
        printf("MODE name=%s workers=%ld seconds=%.6f speedup=%s exact=%zu/%zu first=%.6f cpu=%s "
               "pinned=%s\n",
               mode_names[m], out[m].workers, out[m].seconds, speedup, out[m].exact, cfg.count,
               out[m].run_s[0], cpu_text(out[m].cpu, 6, cpu, sizeof cpu),
               out[m].pinned ? "yes" : "no");
        if (!wrong_seen) /* the total shown: the first wrong one, or else the last one */
            total = out[m].total;
        wrong_seen = wrong_seen || out[m].exact != cfg.count;
        strncat(modes, modes[0] ? "," : "", sizeof modes - strlen(modes) - 1);
        strncat(modes, mode_names[m], sizeof modes - strlen(modes) - 1);
    }
    ok = ok && !wrong_seen;
    char t[SS_DIGITS], e[SS_DIGITS];
    return verdict(ok && ss_equal(total, expected) && shown != POINT_NOT_SHOWN,
                   "tasks=%zu total=%s expected=%s modes=%s point=%s", cfg.count,
                   ss_format(total, t), ss_format(expected, e), modes, point_names[shown]);
}
