/*
 * 08_race_counter: two threads add to one counter; without a lock, updates are lost.
 *
 *   make && ./build/08_race_counter --variant unsafe     # lost updates
 *   ./build/08_race_counter --variant mutex              # exact, slower
 *   ./build/08_race_counter --variant atomic             # exact, faster
 *   ./build/08_race_counter --variant local              # exact, the cheapest: nothing shared
 *   ./build/08_race_counter                              # all four in turn, as a table
 *
 * Notice: "counter += 1" is a load, an add and a store; two threads can interleave them,
 * and then both store the same value: one increment vanishes. The safe variants pay for
 * exactness in different coin: a lock per increment, one indivisible instruction per
 * increment, or no sharing at all until the end. Compare their ns per increment: when
 * unsafe's threads really run at once (the cores column near 2), unsafe is wrong and not
 * even the fastest, as its counter's cache line bounces between the cores while local's
 * never leaves its core. On a busy machine the threads take turns and nothing bounces:
 * the line under the table then says so (a Doubt) instead of stating a conclusion.
 * Try: raise --threads; make tsan L=08 ARGS='--variant unsafe --iterations 1000':
 * ThreadSanitizer names the two lines that race.
 *
 * Verdict: a single variant prints "RESULT variant=V counter=C expected=E OK|FAIL" (unsafe
 * adds lost=K, and FAILs, exit 1, whenever an update was lost). --variant all prints the
 * table and "RESULT variant=all ... point=P OK" when mutex, atomic and local are all exact;
 * the unsafe row is shown for comparison and does not decide the verdict. point says what
 * this run showed of unsafe against local (judge() says how): shown, untrusted (a Doubt
 * says why), n/a (one thread or one CPU), or not-shown.
 */
#include "program.h"
#include "quizzes/08_race_counter.h" /* --quiz and --answers: its questions */

#include <stdatomic.h>

static const char usage[] =
    "[--variant all|mutex|atomic|local|unsafe] [--threads N] [--iterations M]\n"
    "  N threads each add 1 to a shared counter M times, all starting together.\n"
    "  --variant     all (default): each variant in turn and a table; exit 0 when the three\n"
    "                safe ones are exact (the unsafe row is for comparison only);\n"
    "                mutex: a lock around each increment; atomic: atomic_fetch_add;\n"
    "                local: each thread counts privately, main adds the sums at the end;\n"
    "                unsafe: plain load/add/store, updates get lost (exit 1 if any were)\n"
    "  --threads     1..1024 (default 2)\n"
    "  --iterations  increments per thread, 1..1000000000 (default 50000000)\n";

/* The correct default first, the broken variant last; --variant all runs them in this order. */
enum variant { VARIANT_ALL, VARIANT_MUTEX, VARIANT_ATOMIC, VARIANT_LOCAL, VARIANT_UNSAFE };
static const char *const variant_names[] = { "all", "mutex", "atomic", "local", "unsafe",
                                             NULL };

/* ---- the shared counters ------------------------------------------------------------ */

static long counter;                   /* unsafe and mutex variants share this plain long */
static pthread_mutex_t counter_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_long atomic_counter;     /* the atomic variant */

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

/* ---- one run: N threads, one variant ------------------------------------------------ */

struct run {
    enum variant variant;
    long iterations;             /* per thread */
    pthread_barrier_t start;     /* every worker waits here, then all go at once */
};

struct worker {
    pthread_t tid;
    struct run *run;
    long local_sum;              /* local variant: written by the worker, read after join */
    int64_t began, ended;        /* the worker's own clock readings, read after join */
    int64_t cpu_ns;              /* CPU time this thread had between them */
};

/* This thread's CPU time (POSIX's CLOCK_THREAD_CPUTIME_ID), against now_ns's wall time:
 * a thread that waited for a core gets wall time but no CPU time. */
static int64_t thread_cpu_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
        die_errno("clock_gettime");
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

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
    int64_t cpu_began = thread_cpu_ns();

    switch (run->variant) {
    case VARIANT_MUTEX:  add_mutex(run->iterations); break;
    case VARIANT_ATOMIC: add_atomic(run->iterations); break;
    case VARIANT_LOCAL:  w->local_sum = add_local(run->iterations); break;
    case VARIANT_UNSAFE: add_unsafe(run->iterations); break;
    case VARIANT_ALL:    break;  /* main never starts workers for "all" */
    }
    w->cpu_ns = thread_cpu_ns() - cpu_began;
    w->ended = now_ns();
    return NULL;
}

struct outcome {
    long counter;
    double seconds;              /* from the first worker's start to the last one's end */
    double cpu;                  /* the workers' CPU seconds, all added up */
};

static struct outcome run_variant(enum variant variant, long nthreads, long iterations)
{
    struct run run = { .variant = variant, .iterations = iterations };
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
    int64_t first_began = INT64_MAX, last_ended = INT64_MIN, cpu_ns = 0;
    for (long i = 0; i < nthreads; i++) {
        PT_CHECK(pthread_join(workers[i].tid, NULL));
        local_total += workers[i].local_sum;   /* the merge; 0 unless the variant is local */
        cpu_ns += workers[i].cpu_ns;
        if (workers[i].began < first_began)
            first_began = workers[i].began;
        if (workers[i].ended > last_ended)
            last_ended = workers[i].ended;
    }
    struct outcome out = { .seconds = (double)(last_ended - first_began) / 1e9,
                           .cpu = (double)cpu_ns / 1e9 };
    PT_CHECK(pthread_barrier_destroy(&run.start));
    free(workers);

    switch (variant) {
    case VARIANT_ATOMIC: out.counter = atomic_load(&atomic_counter); break;
    case VARIANT_LOCAL:  out.counter = local_total; break;
    default:             out.counter = counter; break;   /* every writer has been joined */
    }
    return out;
}

/* Wall time divided by all increments: what one increment costs the whole program. */
static double ns_per_increment(struct outcome o, long total)
{
    return o.seconds * 1e9 / (double)total;
}

static void explain_unsafe(long counter_value, long expected, long nthreads)
{
    long lost = expected - counter_value;
    if (nthreads == 1)
        printf("unsafe: one thread has nobody to race with: nothing lost\n");
    else if (lost > 0)
        printf("unsafe: lost %ld of %ld updates (%.1f%%): threads loaded the same value "
               "and stored the same value + 1\n",
               lost, expected, 100.0 * (double)lost / (double)expected);
    else
        printf("unsafe: no update lost this time; that is luck, not correctness "
               "(try more --threads or --iterations)\n");
}

/* One variant, its timing, and its verdict. */
static int run_one(enum variant variant, long nthreads, long iterations)
{
    long expected = nthreads * iterations;
    struct outcome o = run_variant(variant, nthreads, iterations);
    printf("%s: %ld threads x %ld increments in %.1f ms = %.2f ns per increment\n",
           variant_names[variant], nthreads, iterations, o.seconds * 1e3,
           ns_per_increment(o, expected));
    if (variant == VARIANT_UNSAFE) {
        explain_unsafe(o.counter, expected, nthreads);
        return verdict(o.counter == expected,
                       "variant=unsafe counter=%ld expected=%ld lost=%ld", o.counter, expected,
                       expected - o.counter);
    }
    return verdict(o.counter == expected, "variant=%s counter=%ld expected=%ld",
                   variant_names[variant], o.counter, expected);
}

/* The Notice's comparison: unsafe is not even faster than local, because its counter's
 * cache line bounces between cores. That needs unsafe's threads on two cores at once; on a
 * busy machine (or one CPU) they take turns, nothing bounces, and the two cost the same.
 * So a doubt is said instead of a conclusion when unsafe's or local's threads had under
 * 80% of the cores they could use (CPU time / wall time), or local took under 10 ms. */
typedef enum { POINT_NA, POINT_UNTRUSTED, POINT_SHOWN, POINT_NOT_SHOWN } point;
static const char *const point_names[] = { "n/a", "untrusted", "shown", "not-shown" };

static point judge(const struct outcome *out, long nthreads, long expected)
{
    int cpus = online_cpus();
    long cores = nthreads < cpus ? nthreads : cpus;
    const struct outcome *local = &out[VARIANT_LOCAL], *unsafe = &out[VARIANT_UNSAFE];
    if (cores < 2) {
        printf("unsafe against local: %ld thread(s) on %d CPU(s), no cache line to bounce "
               "between cores: n/a\n", nthreads, cpus);
        return POINT_NA;
    }
    char doubt[160] = "";
    for (int v = VARIANT_LOCAL; v <= VARIANT_UNSAFE; v++)
        if (out[v].cpu < 0.8 * (double)cores * out[v].seconds)
            snprintf(doubt, sizeof doubt, "%s's threads had %.2f of %ld cores: they took "
                     "turns (run it again on a quiet machine)", variant_names[v],
                     out[v].cpu / out[v].seconds, cores);
    if (local->seconds < 0.010)
        snprintf(doubt, sizeof doubt, "local took under 10 ms, too short to compare (raise "
                 "--iterations)");
    if (timing_tool()) /* a sanitizer or valgrind: its costs, not the cache line's */
        snprintf(doubt, sizeof doubt, "%s slows every access its own way", timing_tool());
    if (doubt[0]) {
        printf("Doubt: %s. Which is faster, unsafe or local, cannot be told from this run.\n",
               doubt);
        return POINT_UNTRUSTED;
    }
    double u = ns_per_increment(*unsafe, expected), l = ns_per_increment(*local, expected);
    bool slower = round(u * 100) > round(l * 100);   /* as printed, to the hundredth */
    printf("unsafe %.2f ns/inc against local %.2f, both on %ld cores at once: %s\n", u, l, cores,
           slower ? "unsafe is wrong and not even the fastest (its counter's cache line "
                    "bounced between the cores)" : "unsafe was NOT slower this time");
    return slower ? POINT_SHOWN : POINT_NOT_SHOWN;
}

/* Every variant in turn, as a table. The verdict asks only that the safe ones be exact:
 * the unsafe row is there to compare against, and losing updates is its whole point. */
static int run_all(long nthreads, long iterations)
{
    long expected = nthreads * iterations;
    printf("%ld threads x %ld increments, each variant in turn\n(ns/inc = wall time / all "
           "increments; cores = CPU time / wall time, the cores kept busy)\n", nthreads,
           iterations);
    printf("%-8s %12s %12s %12s %10s %8s %6s\n", "variant", "counter", "expected", "lost",
           "ms", "ns/inc", "cores");
    struct outcome out[VARIANT_UNSAFE + 1];
    for (int v = VARIANT_MUTEX; v <= VARIANT_UNSAFE; v++) {
        struct outcome o = out[v] = run_variant((enum variant)v, nthreads, iterations);
        printf("%-8s %12ld %12ld %12ld %10.1f %8.2f %6.2f\n", variant_names[v], o.counter,
               expected, expected - o.counter, o.seconds * 1e3, ns_per_increment(o, expected),
               o.cpu / o.seconds);
    }
    long unsafe = out[VARIANT_UNSAFE].counter, mutex = out[VARIANT_MUTEX].counter,
         atomic = out[VARIANT_ATOMIC].counter, local = out[VARIANT_LOCAL].counter;
    explain_unsafe(unsafe, expected, nthreads);
    point pt = judge(out, nthreads, expected);
    printf("verdict: the safe variants (mutex, atomic, local) must be exact; "
           "the unsafe row is for comparison\n");
    bool safe_exact = mutex == expected && atomic == expected && local == expected;
    return verdict(safe_exact,
                   "variant=all expected=%ld unsafe=%ld unsafe_lost=%ld mutex=%ld atomic=%ld "
                   "local=%ld point=%s", expected, unsafe, expected - unsafe, mutex, atomic,
                   local, point_names[pt]);
}

/* ---- main: read the options, run one variant or all of them ------------------------ */

int main(int argc, char **argv)
{
    cli_setup(argv[0], usage);
    QUIZ(quiz);
    enum variant variant = VARIANT_ALL;
    long nthreads = 2, iterations = 50000000;

    static const struct option opts[] = {
        { "variant", required_argument, NULL, 'v' },
        { "threads", required_argument, NULL, 't' },
        { "iterations", required_argument, NULL, 'i' },
        CLI_QUIZ, CLI_HELP, CLI_END,
    };
    for (int c; (c = cli_next(argc, argv, opts)) != -1;) {
        switch (c) {
        case 'v': variant = (enum variant)parse_choice("--variant", optarg, variant_names); break;
        case 't': nthreads = parse_long("--threads", optarg, 1, 1024); break;
        case 'i': iterations = parse_long("--iterations", optarg, 1, 1000000000); break;
        }
    }
    if (iterations > LONG_MAX / nthreads)
        usage_error("--threads x --iterations must be at most %ld", LONG_MAX);

    return variant == VARIANT_ALL ? run_all(nthreads, iterations)
                                  : run_one(variant, nthreads, iterations);
}
