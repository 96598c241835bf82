/*
 * 26_false_sharing: threads that share no variable can still share a cache line, and pay
 * for it. T threads each add 1 to a counter of their own N times; only where the counters
 * lie in memory changes from one layout to the next.
 *
 *   make && ./build/26_false_sharing                 # every layout in turn, then a table
 *   ./build/26_false_sharing --layout packed         # one layout
 *   ./build/26_false_sharing --show-layout           # where each counter lies, then the runs
 *
 * The layouts:
 *   packed  long counts[T]: side by side, 8 bytes apart, so one 64-byte line holds 8 of them
 *   padded  each counter alone in a struct aligned to CACHE_LINE (alignas(64)): a line each
 *   local   each thread counts in a variable on its own stack and adds the sum into
 *           counts[t], packed's slot, once at the end: the usual fix
 *
 * Notice: the unit of coherence is the cache line (64 bytes here), not the variable. A core
 * may write a byte only while its cache holds that byte's whole line exclusively (MESI's
 * Modified or Exclusive state). When two cores write different bytes of one line, each
 * write takes the line away from the other core's cache (invalidates it there) and the
 * other core's next write takes it back: the line "ping-pongs" between the caches, and
 * every trip costs far more than a write to a line the core already owns. No variable is
 * shared and no count is wrong (every one is exact, every run), yet packed is slower than
 * padded: by how much, each run measures and prints ("packed took 9.56x padded's time in
 * this run"; one run on a 2-vCPU virtual machine, others gave 3x to 50x). Padding spends
 * 56 bytes per counter and must know the line size; local spends nothing and needs no such
 * knowledge, which is why it is the usual fix (a reduction: work privately, combine once).
 * The slowdown needs two cores writing the line at the same moment. On one CPU there is
 * nothing to share between cores: the threads take turns, the line stays in that CPU's
 * cache, and packed costs what padded costs. The cores column (CPU time / wall time) shows
 * how many threads really ran at once, and a note says when packed's did not. On a virtual
 * machine the host may also place two vCPUs on two hyperthreads of one physical core, which
 * share one L1 cache: the line then has nowhere to travel, which may be why some rounds of
 * packed run as quick as padded's (the per-round lines show each run, and a "spread:" line
 * says when a layout's runs lay more than 2x apart).
 * Try: taskset -c 0 ./build/26_false_sharing (one CPU for every thread: no slowdown);
 * --threads 4 on 2 cores (four counters in one line, two cores writing it at any moment);
 * perf stat -e cache-misses ./build/26_false_sharing --layout packed, then --layout padded
 * (where perf is installed and may count them; a virtual machine may answer "<not
 * supported>", as the one these figures come from did).
 *
 * Verdict: "RESULT threads=T increments=N rounds=R expected=T*N packed=.. padded=..
 * local=.. wrong_counts=0 OK" (exit 0) when every thread's counter held exactly N after
 * every run of every layout; a layout's field is the total of its counters in one run (the
 * first run that was off, if one was), and only the layouts that ran appear. FAIL (exit 1)
 * if any counter was off. The timings are printed as measured and never judged.
 */
#include "program.h"
#include "cpu.h"
#include "quizzes/26_false_sharing.h" /* --quiz and --answers: its questions */

#include <assert.h>
#include <inttypes.h>
#include <stdalign.h>

static const char usage[] =
    "[--layout all|packed|padded|local] [--threads T] [--increments N] [--rounds R]\n"
    "       [--show-layout]\n"
    "  T threads each add 1 to a counter of their own N times; the layouts differ only in\n"
    "  where the counters lie.\n"
    "  --layout       packed: long counts[T], side by side; padded: each counter in its own\n"
    "                 64-byte cache line; local: a local variable, added into counts[t] at\n"
    "                 the end; all (default): each in turn, R rounds, interleaved\n"
    "  --threads      1..256 (default: the CPUs it may use, at least 2)\n"
    "  --increments   per thread and run, 1..1000000000 (default 25000000)\n"
    "  --rounds       runs of each layout, 1..100 (default 5); the table shows the median\n"
    "  --show-layout  first print each layout's counter addresses\n";

enum layout { LAYOUT_ALL, LAYOUT_PACKED, LAYOUT_PADDED, LAYOUT_LOCAL, NLAYOUTS };
static const char *const layout_names[] = { "all", "packed", "padded", "local", NULL };

/* The size of a cache line, the unit in which caches hold memory and in which cores hand
 * it to each other: 64 bytes on x86-64 and on most ARM cores (Apple's M-series and IBM's
 * POWER use 128). Some libraries pad to 128 even on x86, because Intel's "adjacent line"
 * prefetcher fetches lines in pairs (Rust's crossbeam CachePadded does); 64 is the unit of
 * coherence, and enough to show the effect. main compares it with what the machine
 * reports, where it reports anything. */
enum { CACHE_LINE = 64, MAX_THREADS = 256, MAX_ROUNDS = 100 };

/* ---- the counters ----------------------------------------------------------------------- */

/* packed: the plain array. Aligned to a line so that counters 0..7 share exactly one line
 * (unaligned, a line boundary could fall anywhere among them). */
static alignas(CACHE_LINE) long counts[MAX_THREADS];

/* padded: the counter's alignment makes the struct's size a multiple of it, so every
 * element of the array starts a line of its own: 8 bytes of counter, 56 of padding. */
struct padded_counter {
    alignas(CACHE_LINE) long count;
};
static_assert(sizeof(struct padded_counter) == CACHE_LINE, "one padded counter per line");
static struct padded_counter padded[MAX_THREADS];

/* The line size this machine reports, or 0 if it does not say. Linux/glibc only:
 * sysconf(_SC_LEVEL1_DCACHE_LINESIZE) is a glibc extension (macOS has sysctl
 * hw.cachelinesize instead); elsewhere, and where glibc cannot tell, this is 0 and
 * CACHE_LINE is assumed. */
static long reported_cache_line(void)
{
#ifdef _SC_LEVEL1_DCACHE_LINESIZE
    long bytes = sysconf(_SC_LEVEL1_DCACHE_LINESIZE);
    return bytes > 0 ? bytes : 0;
#else
    return 0;
#endif
}

/* ---- the work: N increments ------------------------------------------------------------- */

/* Every increment is a real load and a real store of the counter, in memory: that is what
 * volatile guarantees. Without it the compiler may keep the counter in a register for the
 * whole loop and store it once at the end (or turn the loop into one `+= n`), and then
 * there is no line to fight over: that is local's fix, done silently by the optimizer. It
 * is not a data race: each counter has exactly one writer, its own thread, and main reads
 * the counters only after pthread_join. volatile synchronizes nothing and none is needed;
 * it is here only so that the loop really touches memory. (An atomic_fetch_add, relaxed,
 * would touch memory too, but its locked instruction costs more than the store, which
 * would hide part of what the line costs.) */
static void count_to(volatile long *counter, long increments)
{
    for (long i = 0; i < increments; i++)
        *counter = *counter + 1;
}

/* ---- one run: T threads, one layout ----------------------------------------------------- */

struct worker {
    pthread_t tid;
    int index;
    enum layout layout;
    long increments;
    pthread_barrier_t *start;
    int64_t began, ended;        /* the worker's own clock readings, read after the join */
};

/* Where a thread counts in each layout (packed's and padded's; local counts on its stack). */
static volatile long *counter_of(enum layout layout, int t)
{
    return layout == LAYOUT_PADDED ? &padded[t].count : &counts[t];
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    /* local: a variable on this thread's own stack, which no other thread touches. */
    volatile long mine = 0;
    volatile long *counter = w->layout == LAYOUT_LOCAL ? &mine : counter_of(w->layout, w->index);

    /* All start together: a thread that finished before the next one began would have
     * its line to itself. */
    int rc = pthread_barrier_wait(w->start);
    if (rc != 0 && rc != PTHREAD_BARRIER_SERIAL_THREAD)
        die_rc("pthread_barrier_wait", rc);
    w->began = now_ns();
    /* One call for every layout: the same instructions, only the memory differs. */
    count_to(counter, w->increments);
    if (w->layout == LAYOUT_LOCAL)
        counts[w->index] += mine;            /* the fix: one write to the shared line */
    w->ended = now_ns();
    return NULL;
}

struct run {
    double seconds;              /* from the first worker's start to the last one's end */
    double cores;                /* CPU time / wall time: how many CPUs were kept busy */
    long total;                  /* the counters added up */
    int wrong;                   /* counters that did not hold exactly `increments` */
};

static struct run run_layout(enum layout layout, int nthreads, long increments)
{
    struct worker workers[MAX_THREADS];
    pthread_barrier_t start;
    for (int t = 0; t < nthreads; t++) {     /* no thread runs yet: plain writes are safe */
        counts[t] = 0;
        padded[t].count = 0;
    }
    PT_CHECK(pthread_barrier_init(&start, NULL, (unsigned)nthreads));
    /* The cores figure: this process's CPU time against main's own clock, over one and
     * the same span (the threads' creation and joining included). */
    double cpu_before = cpu_seconds_self(), wall_before = now_s();
    for (int t = 0; t < nthreads; t++) {
        workers[t] = (struct worker){ .index = t, .layout = layout, .increments = increments,
                                      .start = &start };
        PT_CHECK(pthread_create(&workers[t].tid, NULL, worker_main, &workers[t]));
    }
    int64_t first_began = INT64_MAX, last_ended = INT64_MIN;
    for (int t = 0; t < nthreads; t++) {
        PT_CHECK(pthread_join(workers[t].tid, NULL));
        if (workers[t].began < first_began)
            first_began = workers[t].began;
        if (workers[t].ended > last_ended)
            last_ended = workers[t].ended;
    }
    double cpu = cpu_seconds_self() - cpu_before, wall = now_s() - wall_before;
    PT_CHECK(pthread_barrier_destroy(&start));

    struct run r = { .seconds = (double)(last_ended - first_began) / 1e9 };
    r.cores = wall > 0 ? cpu / wall : 0;
    for (int t = 0; t < nthreads; t++) {     /* every writer has been joined */
        long count = *counter_of(layout, t);
        r.total += count;
        r.wrong += count != increments;
    }
    return r;
}

/* ---- what main prints ------------------------------------------------------------------- */

static void show_layout(int nthreads)
{
    for (enum layout l = LAYOUT_PACKED; l <= LAYOUT_PADDED; l++) {
        printf("layout %s:", layout_names[l]);
        for (int t = 0; t < nthreads; t++)
            printf(" %#" PRIxPTR, (uintptr_t)counter_of(l, t));
        printf("\n");
    }
    printf("layout local: each thread's own stack, then packed's slots, once\n");
}

static void say_cache_line(void)
{
    long reported = reported_cache_line();
    if (reported == 0)
        printf("cache line: CACHE_LINE = %d bytes, assumed (this machine does not report "
               "its line size)\n", CACHE_LINE);
    else if (reported == CACHE_LINE)
        printf("cache line: CACHE_LINE = %d bytes, as this machine reports\n", CACHE_LINE);
    else
        printf("cache line: CACHE_LINE = %d bytes, but this machine reports %ld: padded "
               "counters %d bytes apart may share a line here\n", CACHE_LINE, reported,
               CACHE_LINE);
}

/* ---- every round, then the figures ------------------------------------------------------ */

struct tally {                   /* one layout over every round */
    double seconds[MAX_ROUNDS], cores[MAX_ROUNDS];
    int runs;
    long total;                  /* the total one run counted: the first run that was off */
    int wrong;                   /* counters that were off, over every run */
    double median_s, min_s, max_s, median_cores;     /* filled in by summarize */
};

/* R rounds, each running every chosen layout once. A round starts one layout further
 * along than the one before, so that no layout always goes first, and a drift in the
 * machine's speed (another program starting, the clock rising) hits each alike. */
static void run_rounds(struct tally *tally, const enum layout *order, int norder, int rounds,
                       int nthreads, long increments)
{
    for (int r = 0; r < rounds; r++) {
        printf("round %d:", r + 1);
        for (int k = 0; k < norder; k++) {
            enum layout l = order[(r + k) % norder];
            struct run run = run_layout(l, nthreads, increments);
            struct tally *t = &tally[l];
            t->seconds[t->runs] = run.seconds;
            t->cores[t->runs++] = run.cores;
            if (t->wrong == 0)
                t->total = run.total;
            t->wrong += run.wrong;
            printf(" %s %.1f ms%s", layout_names[l], run.seconds * 1e3,
                   run.wrong ? " (WRONG COUNT)" : "");
        }
        printf("\n");
    }
}

/* Medians and spread (median sorts in place: the runs' order is not needed any more). */
static void summarize(struct tally *t)
{
    t->median_s = median(t->seconds, t->runs);
    t->min_s = t->seconds[0];
    t->max_s = t->seconds[t->runs - 1];
    t->median_cores = median(t->cores, t->runs);
}

static void print_table(const struct tally *tally, const bool *chosen, int nthreads,
                        long increments)
{
    printf("(ns/inc = wall time / all increments; cores = CPU time / wall time, the CPUs "
           "kept busy)\n");
    printf("%-7s %10s %10s %10s %8s %6s\n", "layout", "median ms", "min ms", "max ms",
           "ns/inc", "cores");
    for (enum layout l = LAYOUT_PACKED; l < NLAYOUTS; l++)
        if (chosen[l])
            printf("%-7s %10.1f %10.1f %10.1f %8.2f %6.2f\n", layout_names[l],
                   tally[l].median_s * 1e3, tally[l].min_s * 1e3, tally[l].max_s * 1e3,
                   tally[l].median_s * 1e9 / ((double)nthreads * (double)increments),
                   tally[l].median_cores);
}

/* A median hides how the runs spread. Where a layout's slowest run took more than twice
 * its quickest, say so: false sharing on a shared machine is often bimodal (a run whose
 * threads shared cores, or a cache, against one whose threads did not). */
static void say_wide_spreads(const struct tally *tally, const bool *chosen)
{
    for (enum layout l = LAYOUT_PACKED; l < NLAYOUTS; l++)
        if (chosen[l] && tally[l].max_s > 2 * tally[l].min_s)
            printf("spread: %s's runs took %.1f to %.1f ms, over 2x apart: read the rounds "
                   "above, not only the median\n", layout_names[l], tally[l].min_s * 1e3,
                   tally[l].max_s * 1e3);
}

/* Why a run may show no slowdown: facts about the machine and the options, not about
 * this run's timing. */
static void say_why_nothing_shared(int nthreads)
{
    if (cpus_allowed() == 1)
        printf("one CPU: nothing to share between cores (the threads take turns on it, and "
               "the line stays in its cache)\n");
    else if (nthreads == 1)
        printf("one thread: nothing to share between cores (no other core writes its "
               "line)\n");
}

/* The measured ratios, said as what they are: this run's figures. */
static void print_ratios(const struct tally *tally, const bool *chosen, int rounds)
{
    double padded_s = tally[LAYOUT_PADDED].median_s;
    if (!chosen[LAYOUT_PADDED] || !(padded_s > 0))
        return;
    for (enum layout l = LAYOUT_PACKED; l < NLAYOUTS; l++)
        if (l != LAYOUT_PADDED && chosen[l])
            printf("%s took %.2fx padded's time in this run (medians of %d round%s)\n",
                   layout_names[l], tally[l].median_s / padded_s, rounds,
                   rounds == 1 ? "" : "s");
    if (timing_tool())
        printf("(under %s: these times are mostly the tool's, not the cache's)\n",
               timing_tool());
}

/* The slowdown needs the threads on different cores at the same moment. When packed's
 * threads kept well under the CPUs they could use busy (a busy machine, or taskset), say
 * so beside the figure: the cores column is the evidence, not a guess. */
static void say_if_fewer_ran(const struct tally *tally, const bool *chosen, int nthreads)
{
    int cpus = cpus_allowed(); /* under taskset, fewer than are online */
    int usable = nthreads < cpus ? nthreads : cpus;
    double cores = tally[LAYOUT_PACKED].median_cores;
    if (chosen[LAYOUT_PACKED] && usable >= 2 && cores < 0.75 * usable)
        printf("note: packed's threads kept %.2f CPUs busy of the %d they could use: much "
               "of the time fewer of them ran at once, and the line travels only between "
               "cores writing it at the same moment\n", cores, usable);
}

/* The verdict: the counts only, never the timings. */
static int judge_counts(const struct tally *tally, const bool *chosen, int nthreads,
                        long increments, int rounds)
{
    char fields[128] = "";
    int wrong = 0;
    for (enum layout l = LAYOUT_PACKED; l < NLAYOUTS; l++)
        if (chosen[l]) {
            size_t used = strlen(fields);
            snprintf(fields + used, sizeof fields - used, " %s=%ld", layout_names[l],
                     tally[l].total);
            wrong += tally[l].wrong;
        }
    return verdict(wrong == 0, "threads=%d increments=%ld rounds=%d expected=%ld%s "
                   "wrong_counts=%d", nthreads, increments, rounds,
                   (long)nthreads * increments, fields, wrong);
}

/* ---- main: the options; every layout in turn, R rounds; the figures; the verdict -------- */

int main(int argc, char **argv)
{
    cli_setup(argv[0], usage);
    QUIZ(quiz);
    enum layout layout = LAYOUT_ALL;
    int cpus = cpus_allowed(); /* the CPUs online, or fewer under taskset */
    int nthreads = cpus < 2 ? 2 : cpus > MAX_THREADS ? MAX_THREADS : cpus;
    long increments = 25000000;
    int rounds = 5;
    bool want_layout = false;

    static const struct option opts[] = {
        { "layout", required_argument, NULL, 'l' },
        { "threads", required_argument, NULL, 't' },
        { "increments", required_argument, NULL, 'n' },
        { "rounds", required_argument, NULL, 'r' },
        { "show-layout", no_argument, NULL, 's' },
        CLI_QUIZ, CLI_HELP, CLI_END,
    };
    for (int c; (c = cli_next(argc, argv, opts)) != -1;) {
        switch (c) {
        case 'l': layout = (enum layout)parse_choice("--layout", optarg, layout_names); break;
        case 't': nthreads = (int)parse_long("--threads", optarg, 1, MAX_THREADS); break;
        case 'n': increments = parse_long("--increments", optarg, 1, 1000000000); break;
        case 'r': rounds = (int)parse_long("--rounds", optarg, 1, MAX_ROUNDS); break;
        case 's': want_layout = true; break;
        }
    }
    bool chosen[NLAYOUTS] = { false };
    enum layout order[NLAYOUTS];
    int norder = 0;
    for (enum layout l = LAYOUT_PACKED; l < NLAYOUTS; l++)
        if (layout == LAYOUT_ALL || layout == l)
            chosen[l] = true, order[norder++] = l;

    printf("%d thread%s x %ld increments, %d round%s; %d CPU%s to run on\n", nthreads,
           nthreads == 1 ? "" : "s", increments, rounds, rounds == 1 ? "" : "s", cpus,
           cpus == 1 ? "" : "s");
    say_cache_line();
    if (want_layout)
        show_layout(nthreads);

    static struct tally tally[NLAYOUTS];
    run_rounds(tally, order, norder, rounds, nthreads, increments);
    for (int k = 0; k < norder; k++)
        summarize(&tally[order[k]]);

    print_table(tally, chosen, nthreads, increments);
    say_wide_spreads(tally, chosen);
    say_why_nothing_shared(nthreads);
    print_ratios(tally, chosen, rounds);
    say_if_fewer_ran(tally, chosen, nthreads);
    return judge_counts(tally, chosen, nthreads, increments, rounds);
}
