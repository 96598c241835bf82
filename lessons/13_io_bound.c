/*
 * 13_io_bound: simulated downloads, one after another, one thread each, and through a
 * thread pool of 1, 2, ... workers. Work that waits gets faster with more threads, up to
 * one thread per task, whatever the number of cores.
 *
 *   make && ./build/13_io_bound                      # 8 downloads of 0.25 s: the table, ~8 s
 *   ./build/13_io_bound --tasks 12 --scale 0.2       # 12 downloads, 12 pool sizes, faster
 *   ./build/13_io_bound --mode pool --workers 3      # one run: 8 downloads, 3 at a time
 *
 * A download waits --latency seconds (nap: the server thinking and the bytes travelling),
 * then takes in its body, a few KiB made up from the download's number, and returns their
 * checksum. Each mode collects the results its own way: serial from the return value, one
 * thread per task through pthread_join, the pool through each task's future
 * (tp_future_result), as Python's executor.submit() and future.result() would. main knows
 * every body's checksum beforehand, so a result that went missing, arrived twice or landed
 * in another download's place shows.
 *
 * Notice: the pool's time falls in steps. A pool of w workers needs ceil(tasks / w) rounds
 * of waiting: 8 downloads take 8 rounds on 1 worker, 4 on 2, 3 on 3, then 2 rounds on 4, 5,
 * 6 and 7 workers alike, and 1 round on 8. The "rounds" column (seconds / latency) shows
 * it next to the "ideal" one. The threads only wait, so 8 of them fit on 2 cores; for work
 * that computes instead, see 14_sum_squares. The steps show only if every run came within
 * half a round of its ideal; on a busy machine the naps wake late, and a Doubt under the
 * table names the run that missed instead of claiming the steps.
 * Try: --tasks 9: 8 workers need 2 rounds again; one more worker halves the time.
 *
 * Verdict: a table row per run, then
 *   RESULT tasks=N modes=serial,threads,pool runs=R results=all_correct OK
 * OK (exit 0) when every run got every download's correct result; otherwise
 * results=K_wrong and FAIL (exit 1). If a future never completes (it should not), the
 * wait gives up and the program ends with STUCK (exit 3).
 */
#include "program.h"
#include "thread_pool.h"
#include "trace.h"
#include "quizzes/13_io_bound.h" /* --quiz and --answers: its questions */

static const char usage[] =
    "[--mode all|serial|threads|pool] [--tasks N] [--max-workers M | --workers W]\n"
    "        [--latency S] [--scale F] [--trace PATH]\n"
    "  N simulated downloads of S seconds each: serially, one thread per download, and\n"
    "  through a thread pool of 1..M workers (or of W workers only).\n"
    "  --mode         all (default), serial, threads or pool\n"
    "  --tasks        downloads, 1..1000 (default 8)\n"
    "  --max-workers  pool sizes 1..M are tried, 1..1000 (default: the number of tasks)\n"
    "  --workers      try only a pool of W workers, 1..1000\n"
    "  --latency      seconds each download waits, 0.001..10 (default 0.25)\n"
    "  --scale        multiply every nap by F, 0..100 (default 1; 0 = no waiting)\n"
    "  --trace        write who waited for which download when to PATH (JSON; make timeline\n"
    "                 L=13 draws it: the staircase, one step per round of the pool)\n";

enum mode { MODE_ALL, MODE_SERIAL, MODE_THREADS, MODE_POOL };
static const char *const mode_names[] = { "all", "serial", "threads", "pool", NULL };

static double latency = 0.25; /* set in main before any thread starts, then read-only */

/* ---- one download ----------------------------------------------------------------- */

struct download {
    int id;
    size_t bytes;
    uint64_t checksum;  /* FNV-1a of the body */
};

/* The body of download `id`: 2..6 KiB of bytes that only depend on id, and its checksum. */
static struct download take_in_body(int id)
{
    struct download d = { .id = id, .bytes = 2048 + (size_t)id * 7919 % 4096,
                          .checksum = 0xcbf29ce484222325u };
    uint64_t rng = 0xD0D0u + (uint64_t)id;
    for (size_t i = 0; i < d.bytes; i++) {
        d.checksum ^= (uint8_t)rng_next(&rng);
        d.checksum *= 0x100000001b3u;
    }
    return d;
}

/* What the lesson is about: most of a download's time is spent waiting, not computing. */
static struct download download(int id)
{
    int64_t t0 = trace_start();
    nap(latency);
    trace_span(t0, "wait", "download %d", id);
    return take_in_body(id);
}

/* The same download with its result on the heap, for the modes where the result travels
 * back through pthread_join or a future (a pointer is all they carry). */
static struct download *download_new(int id)
{
    struct download *d = xmalloc(sizeof *d);
    *d = download(id);
    return d;
}

/* ---- the three ways to run N downloads ------------------------------------------------- */

/* Each run fills got[i] with what download i returned. */
static void run_serial(int tasks, struct download got[])
{
    for (int i = 0; i < tasks; i++)
        got[i] = download(i);
}

/* One thread per download; each returns its result as the thread's exit value. */
static void *download_thread(void *arg)
{
    trace_thread_name("thread for %d", (int)(intptr_t)arg); /* --trace: the row's label */
    return download_new((int)(intptr_t)arg);
}

static void run_threads(int tasks, struct download got[])
{
    pthread_t *tids = xcalloc((size_t)tasks, sizeof *tids);
    for (int i = 0; i < tasks; i++)
        PT_CHECK(pthread_create(&tids[i], NULL, download_thread, (void *)(intptr_t)i));
    for (int i = 0; i < tasks; i++) {
        void *result;
        PT_CHECK(pthread_join(tids[i], &result));
        got[i] = *(struct download *)result;
        free(result);
    }
    free(tids);
}

/* A pool task: the result goes out through *result, and comes back through the future. */
static int download_task(void *arg, void **result)
{
    *result = download_new((int)(intptr_t)arg);
    return 0;
}

/* executor.submit() for every download, then future.result() for each, in order. */
static void run_pool(int tasks, int workers, struct download got[])
{
    tp_pool *pool;
    int rc = tp_create(&pool, &(tp_options){ .workers = workers, .name_prefix = "dl" });
    if (rc != TP_OK)
        die("tp_create (%d workers): %s", workers, tp_strerror(rc));
    tp_future **futures = xcalloc((size_t)tasks, sizeof *futures);
    for (int i = 0; i < tasks; i++) {
        rc = tp_submit(pool, download_task, (void *)(intptr_t)i, &futures[i]);
        if (rc != TP_OK)
            die("tp_submit: %s", tp_strerror(rc));
    }
    /* Every download is a bounded nap, so the whole run takes at most tasks x latency;
     * a future that is not done long after that will never be. */
    double bound = tasks * latency * time_scale + 30.0;
    for (int i = 0; i < tasks; i++) {
        void *result = NULL;
        rc = tp_future_result(futures[i], bound, &result);
        if (rc == TP_ETIMEDOUT) {
            fprintf(stderr, "%s: STUCK: download %d not done after %.1f s\n", prog_name, i,
                    bound);
            exit(verdict_stuck("stuck=download%d", i));
        }
        if (rc != TP_OK)
            die("download %d: %s", i, tp_strerror(rc));
        got[i] = *(struct download *)result;
        free(result);
        tp_future_release(futures[i]);
    }
    free(futures);
    rc = tp_destroy(pool);
    if (rc != TP_OK)
        die("tp_destroy: %s", tp_strerror(rc));
}

/* ---- timing, checking, the table --------------------------------------------------- */

struct plan {
    int tasks;
    const struct download *expected; /* expected[i]: download i's true body */
    struct download *got;            /* scratch: what the current run returned */
    double serial_s;                 /* 0 until the serial run has happened */
    int runs, wrong;                 /* runs so far; wrong results over all of them */
    double worst_late;               /* the most rounds any run took beyond its ideal */
    char worst[64];                  /* that run, said in words */
};

/* How many downloads came back different from what they should have been. */
static int count_wrong(const struct plan *pl)
{
    int wrong = 0;
    for (int i = 0; i < pl->tasks; i++) {
        const struct download *g = &pl->got[i], *e = &pl->expected[i];
        if (g->id != e->id || g->bytes != e->bytes || g->checksum != e->checksum) {
            printf("  download %d came back wrong: id %d, %zu bytes, checksum %016llx\n",
                   i, g->id, g->bytes, (unsigned long long)g->checksum);
            wrong++;
        }
    }
    return wrong;
}

/* Times one run, checks its results, prints its row of the table. */
static void measure(struct plan *pl, const char *mode, int workers)
{
    memset(pl->got, 0, (size_t)pl->tasks * sizeof *pl->got);
    double t0 = now_s();
    int64_t traced = trace_start();
    if (strcmp(mode, "serial") == 0)
        run_serial(pl->tasks, pl->got);
    else if (strcmp(mode, "threads") == 0)
        run_threads(pl->tasks, pl->got);
    else
        run_pool(pl->tasks, workers, pl->got);
    double seconds = now_s() - t0;
    trace_span(traced, "run", "%s, %d worker(s)", mode, workers);
    int wrong = count_wrong(pl);
    pl->runs++;
    pl->wrong += wrong;
    if (strcmp(mode, "serial") == 0)
        pl->serial_s = seconds;

    double wait = latency * time_scale;           /* one download's wait, in real seconds */
    char rounds[16] = "-", speedup[16] = "-";
    if (wait > 0)
        snprintf(rounds, sizeof rounds, "%.1f", seconds / wait);
    if (pl->serial_s > 0)
        snprintf(speedup, sizeof speedup, "%.2fx", pl->serial_s / seconds);
    int ideal = (pl->tasks + workers - 1) / workers;
    if (wait > 0 && (pl->runs == 1 || seconds / wait - ideal > pl->worst_late)) {
        pl->worst_late = seconds / wait - ideal;
        snprintf(pl->worst, sizeof pl->worst, "%s with %d worker%s took %.1f rounds where %d",
                 mode, workers, workers == 1 ? "" : "s", seconds / wait, ideal);
    }
    printf("%-8s %7d %8.3f %7s %6d %8s%s\n", mode, workers, seconds, rounds, ideal,
           speedup, wrong ? "  WRONG RESULTS" : "");
}

/* ---- main: the runs, then the verdict ---------------------------------------------- */

int main(int argc, char **argv)
{
    cli_setup(argv[0], usage);
    QUIZ(quiz);
    long tasks = 8, max_workers = 0, workers = 0;  /* 0: not given */
    int mode = MODE_ALL;

    static const struct option opts[] = {
        { "mode", required_argument, NULL, 'm' },
        { "tasks", required_argument, NULL, 'n' },
        { "max-workers", required_argument, NULL, 'M' },
        { "workers", required_argument, NULL, 'w' },
        { "latency", required_argument, NULL, 'l' },
        { "scale", required_argument, NULL, 's' },
        CLI_TRACE, CLI_QUIZ, CLI_HELP, CLI_END,
    };
    for (int c; (c = cli_next(argc, argv, opts)) != -1;) {
        switch (c) {
        case 'm': mode = parse_choice("--mode", optarg, mode_names); break;
        case 'n': tasks = parse_long("--tasks", optarg, 1, 1000); break;
        case 'M': max_workers = parse_long("--max-workers", optarg, 1, 1000); break;
        case 'w': workers = parse_long("--workers", optarg, 1, 1000); break;
        case 'l': latency = parse_double("--latency", optarg, 0.001, 10); break;
        case 's': time_scale = parse_double("--scale", optarg, 0, 100); break;
        }
    }
    trace_thread_name("main");
    if (workers && max_workers)
        usage_error("--workers: give --workers W (one pool size) or --max-workers M "
                    "(sizes 1..M), not both");
    /* The pool sizes to try: just W, or 1..M. */
    long min_w = workers ? workers : 1;
    long max_w = workers ? workers : max_workers ? max_workers : tasks;

    struct download *expected = xcalloc((size_t)tasks, sizeof *expected);
    struct download *got = xcalloc((size_t)tasks, sizeof *got);
    for (int i = 0; i < tasks; i++)
        expected[i] = take_in_body(i);          /* no waiting: just what each body is */
    struct plan pl = { .tasks = (int)tasks, .expected = expected, .got = got };

    printf("%ld simulated downloads; each waits %.3f s (the network), then checksums its "
           "2..6 KiB body\n", tasks, latency * time_scale);
    printf("%-8s %7s %8s %7s %6s %8s\n", "mode", "workers", "seconds", "rounds", "ideal",
           "speedup");
    char modes[32] = "";
    if (mode == MODE_ALL || mode == MODE_SERIAL) {
        measure(&pl, "serial", 1);
        strcat(modes, "serial");
    }
    if (mode == MODE_ALL || mode == MODE_THREADS) {
        measure(&pl, "threads", (int)tasks);             /* one thread per download */
        strcat(modes, *modes ? ",threads" : "threads");
    }
    if (mode == MODE_ALL || mode == MODE_POOL) {
        for (long w = min_w; w <= max_w; w++)
            measure(&pl, "pool", (int)w);
        strcat(modes, *modes ? ",pool" : "pool");
    }

    /* Naps never end early, so a run is late, never early: by half a round, its row could
     * be taken for the next step's. (Compared as printed, to a tenth of a round.) */
    if (latency * time_scale > 0 && round(pl.worst_late * 10) > 5)
        printf("Doubt: %s would do: its naps woke late (a busy machine, or a latency too short "
               "for the overheads), so this run cannot show the steps; run it again.\n",
               pl.worst);
    else if (latency * time_scale > 0)
        printf("every run came within half a round of its ideal, ceil(%ld / workers) rounds\n",
               tasks);
    char results[32] = "all_correct";
    if (pl.wrong)
        snprintf(results, sizeof results, "%d_wrong", pl.wrong);
    free(expected);
    free(got);
    trace_done_or_die();
    return verdict(pl.wrong == 0, "tasks=%ld modes=%s runs=%d results=%s", tasks, modes,
                   pl.runs, results);
}
