/*
 * 08_race_counter: two threads add to one counter; without a lock, updates are lost.
 *
 *   make && ./build/08_race_counter --mode unsafe     # lost updates
 *   ./build/08_race_counter --mode mutex              # exact, slower
 *   ./build/08_race_counter --mode atomic             # exact, faster
 *   ./build/08_race_counter --mode local              # exact, fastest: nothing is shared
 *   ./build/08_race_counter                           # all four in turn, as a table
 *
 * Notice: "counter += 1" is a load, an add and a store; two threads can interleave them,
 * and then both store the same value: one increment vanishes. The safe modes pay for
 * exactness in different coin: a lock per increment, one indivisible instruction per
 * increment, or no sharing at all until the end. Compare their ns per increment:
 * unsafe is wrong and not even the fastest, as its counter's cache line bounces between
 * the cores while local's never leaves its core.
 * Try: raise --threads; build with `make tsan` and run ./build/tsan/08_race_counter
 * --mode unsafe --iterations 1000: ThreadSanitizer names the two lines that race.
 *
 * Verdict: a single mode prints "RESULT mode=M counter=C expected=E OK|FAIL" (unsafe adds
 * lost=K, and FAILs, exit 1, whenever an update was lost). --mode all prints the table and
 * "RESULT mode=all ... OK" when mutex, atomic and local are all exact; the unsafe column
 * is shown for comparison and does not decide the verdict.
 */
#include "program.h"

#include <stdatomic.h>

static const char usage[] =
    "[--mode all|unsafe|mutex|atomic|local] [--threads N] [--iterations M]\n"
    "  N threads each add 1 to a shared counter M times, all starting together.\n"
    "  --mode        unsafe: plain load/add/store, updates get lost (exit 1 if any were)\n"
    "                mutex: a lock around each increment; atomic: atomic_fetch_add;\n"
    "                local: each thread counts privately, main adds the sums at the end;\n"
    "                all (default): each mode in turn and a table; exit 0 when the three\n"
    "                safe modes are exact (the unsafe row is for comparison only)\n"
    "  --threads     1..1024 (default 2)\n"
    "  --iterations  increments per thread, 1..1000000000 (default 50000000)\n";

enum mode { MODE_ALL, MODE_UNSAFE, MODE_MUTEX, MODE_ATOMIC, MODE_LOCAL };
static const char *const mode_names[] = { "all", "unsafe", "mutex", "atomic", "local", NULL };

/* ---- the shared counters ------------------------------------------------------------ */

static long counter;                   /* unsafe and mutex modes share this plain long */
static pthread_mutex_t counter_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_long atomic_counter;     /* atomic mode */

/* `counter += 1` is three steps: load, add, store. Written out, so you can see them.
 *
 * Why volatile: a program with a data race has no meaning in C, so an optimizer may
 * assume no other thread watches `counter` and turn a whole loop of increments into one
 * `counter += iterations`; the race would then hardly ever show. Every access through a
 * volatile lvalue must really happen, one by one, in order: a real load, then a real
 * store. `seen` is volatile too, so the compiler cannot fuse the two steps into a single
 * x86 `add` to memory (clang does; without a `lock` prefix that still races, but its
 * window is so narrow that lost updates become rare). volatile does NOT make anything
 * atomic and is not a synchronization tool: the racy program is still a racy program. */
static inline void load_add_store(volatile long *place)
{
    volatile long seen = *place;   /* load: another thread may store right after this ... */
    *place = seen + 1;             /* ... add, store: and this store overwrites its work  */
}

/* The broken one. Two threads both load 41, both add 1, both store 42: one increment
 * is lost. ThreadSanitizer reports this loop (try `make tsan`). */
static void add_unsafe(long iterations)
{
    for (long i = 0; i < iterations; i++)
        load_add_store(&counter);
}

/* The lock makes load-add-store one step as far as the other threads can tell: only
 * the holder touches `counter`. Correct, but every increment pays for a lock and an
 * unlock, and with several threads the lock's cache line travels between cores. */
static void add_mutex(long iterations)
{
    for (long i = 0; i < iterations; i++) {
        PT_CHECK(pthread_mutex_lock(&counter_lock));
        counter += 1;
        PT_CHECK(pthread_mutex_unlock(&counter_lock));
    }
}

/* One indivisible read-modify-write (a `lock xadd` on x86). Relaxed ordering is enough:
 * the increments need only not be lost; nothing else is published through the counter,
 * and pthread_join orders the final read after every thread's last increment. */
static void add_atomic(long iterations)
{
    for (long i = 0; i < iterations; i++)
        atomic_fetch_add_explicit(&atomic_counter, 1, memory_order_relaxed);
}

/* Share nothing while working: each thread counts on its own stack and hands its sum
 * over once, at the end (main reads it after pthread_join). The increment is the very
 * same load_add_store as in add_unsafe, so the comparison is fair: the only difference
 * is that no other thread touches this memory. That alone makes it exact and fast. */
static long add_local(long iterations)
{
    volatile long mine = 0;
    for (long i = 0; i < iterations; i++)
        load_add_store(&mine);
    return mine;
}

/* ---- one run: N threads, one mode --------------------------------------------------- */

struct run {
    enum mode mode;
    long iterations;             /* per thread */
    pthread_barrier_t start;     /* every worker waits here, then all go at once */
};

struct worker {
    pthread_t tid;
    struct run *run;
    long local_sum;              /* local mode: written by the worker, read after join */
    int64_t began, ended;        /* the worker's own clock readings, read after join */
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct run *run = w->run;

    /* Without a common start, the first thread could finish before the last one is
     * even created, and the race would hide. The barrier lines them all up. */
    int rc = pthread_barrier_wait(&run->start);
    if (rc != 0 && rc != PTHREAD_BARRIER_SERIAL_THREAD)
        die_rc("pthread_barrier_wait", rc);
    w->began = now_ns();

    switch (run->mode) {
    case MODE_UNSAFE: add_unsafe(run->iterations); break;
    case MODE_MUTEX:  add_mutex(run->iterations); break;
    case MODE_ATOMIC: add_atomic(run->iterations); break;
    case MODE_LOCAL:  w->local_sum = add_local(run->iterations); break;
    case MODE_ALL:    break;     /* main never starts workers in this mode */
    }
    w->ended = now_ns();
    return NULL;
}

struct outcome {
    long counter;
    double seconds;              /* from the first worker's start to the last one's end */
};

static struct outcome run_mode(enum mode mode, long nthreads, long iterations)
{
    struct run run = { .mode = mode, .iterations = iterations };
    struct worker *workers = xcalloc((size_t)nthreads, sizeof *workers);

    counter = 0;                 /* no thread runs yet: plain writes are safe here */
    atomic_store(&atomic_counter, 0);

    PT_CHECK(pthread_barrier_init(&run.start, NULL, (unsigned)nthreads));
    for (long i = 0; i < nthreads; i++) {
        workers[i].run = &run;
        PT_CHECK(pthread_create(&workers[i].tid, NULL, worker_main, &workers[i]));
    }

    /* The workers time themselves: main may not even be scheduled until they are done. */
    long local_total = 0;
    int64_t first_began = INT64_MAX, last_ended = INT64_MIN;
    for (long i = 0; i < nthreads; i++) {
        PT_CHECK(pthread_join(workers[i].tid, NULL));
        local_total += workers[i].local_sum;   /* the merge; 0 unless mode is local */
        if (workers[i].began < first_began)
            first_began = workers[i].began;
        if (workers[i].ended > last_ended)
            last_ended = workers[i].ended;
    }
    struct outcome out = { .seconds = (double)(last_ended - first_began) / 1e9 };
    PT_CHECK(pthread_barrier_destroy(&run.start));
    free(workers);

    switch (mode) {
    case MODE_ATOMIC: out.counter = atomic_load(&atomic_counter); break;
    case MODE_LOCAL:  out.counter = local_total; break;
    default:          out.counter = counter; break;   /* every writer has been joined */
    }
    return out;
}

/* Wall time divided by all increments: what one increment costs the whole program. */
static double ns_per_increment(struct outcome o, long total)
{
    return o.seconds * 1e9 / (double)total;
}

static void explain_unsafe(long counter_value, long expected)
{
    long lost = expected - counter_value;
    if (lost > 0)
        printf("unsafe: lost %ld of %ld updates (%.1f%%): threads loaded the same value "
               "and stored the same value + 1\n",
               lost, expected, 100.0 * (double)lost / (double)expected);
    else
        printf("unsafe: no update lost this time; that is luck, not correctness "
               "(try more --threads or --iterations)\n");
}

/* One mode, its timing, and its verdict. */
static int run_one(enum mode mode, long nthreads, long iterations)
{
    long expected = nthreads * iterations;
    struct outcome o = run_mode(mode, nthreads, iterations);
    printf("%s: %ld threads x %ld increments in %.1f ms = %.2f ns per increment\n",
           mode_names[mode], nthreads, iterations, o.seconds * 1e3,
           ns_per_increment(o, expected));
    if (mode == MODE_UNSAFE) {
        explain_unsafe(o.counter, expected);
        return verdict(o.counter == expected, "mode=unsafe counter=%ld expected=%ld lost=%ld",
                       o.counter, expected, expected - o.counter);
    }
    return verdict(o.counter == expected, "mode=%s counter=%ld expected=%ld",
                   mode_names[mode], o.counter, expected);
}

/* Every mode in turn, as a table. The verdict asks only that the safe modes be exact:
 * the unsafe row is there to compare against, and losing updates is its whole point. */
static int run_all(long nthreads, long iterations)
{
    long expected = nthreads * iterations;
    printf("%ld threads x %ld increments, each mode in turn "
           "(ns/inc = wall time / all increments)\n", nthreads, iterations);
    printf("%-8s %12s %12s %12s %10s %8s\n", "mode", "counter", "expected", "lost", "ms",
           "ns/inc");
    long count[MODE_LOCAL + 1];
    for (int m = MODE_UNSAFE; m <= MODE_LOCAL; m++) {
        struct outcome o = run_mode((enum mode)m, nthreads, iterations);
        count[m] = o.counter;
        printf("%-8s %12ld %12ld %12ld %10.1f %8.2f\n", mode_names[m], o.counter, expected,
               expected - o.counter, o.seconds * 1e3, ns_per_increment(o, expected));
    }
    explain_unsafe(count[MODE_UNSAFE], expected);
    printf("verdict: the safe modes (mutex, atomic, local) must be exact; "
           "the unsafe row is for comparison\n");
    bool safe_exact = count[MODE_MUTEX] == expected && count[MODE_ATOMIC] == expected &&
                      count[MODE_LOCAL] == expected;
    return verdict(safe_exact,
                   "mode=all expected=%ld unsafe=%ld unsafe_lost=%ld mutex=%ld atomic=%ld "
                   "local=%ld", expected, count[MODE_UNSAFE], expected - count[MODE_UNSAFE],
                   count[MODE_MUTEX], count[MODE_ATOMIC], count[MODE_LOCAL]);
}

/* ---- main: read the options, run one mode or all of them ---------------------------- */

int main(int argc, char **argv)
{
    cli_setup(argv[0], usage);
    enum mode mode = MODE_ALL;
    long nthreads = 2, iterations = 50000000;

    static const struct option opts[] = {
        { "mode", required_argument, NULL, 'm' },
        { "threads", required_argument, NULL, 't' },
        { "iterations", required_argument, NULL, 'i' },
        CLI_HELP, CLI_END,
    };
    for (int c; (c = cli_next(argc, argv, opts)) != -1;) {
        switch (c) {
        case 'm': mode = (enum mode)parse_choice("--mode", optarg, mode_names); break;
        case 't': nthreads = parse_long("--threads", optarg, 1, 1024); break;
        case 'i': iterations = parse_long("--iterations", optarg, 1, 1000000000); break;
        }
    }
    if (iterations > LONG_MAX / nthreads)
        usage_error("--threads x --iterations must be at most %ld", LONG_MAX);

    return mode == MODE_ALL ? run_all(nthreads, iterations)
                            : run_one(mode, nthreads, iterations);
}
