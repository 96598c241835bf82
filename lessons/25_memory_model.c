/*
 * 25_memory_model: the store-buffering litmus test. Two atomics x and y, each on a cache
 * line of its own, are 0 at the start of every trial; two threads then run at once:
 *
 *     thread 0:  x = 1;  r0 = y;              thread 1:  y = 1;  r1 = x;
 *
 * Interleave those four lines any way you like: the last of them is a load, and it comes
 * after the other thread's store, so it reads 1. (r0, r1) = (0, 0) is impossible under
 * sequential consistency. x86 does it anyway.
 *
 *   make && ./build/25_memory_model                 # every order in turn, one table
 *   ./build/25_memory_model --order relaxed         # one order
 *   ./build/25_memory_model --order seq-cst --trials 5000000
 *   objdump -d --no-show-raw-insn build/25_memory_model | grep -A5 '<store_load_'
 *
 * Notice: the store buffer. A core does not wait for its store to reach the cache (that
 * needs the other core to give up the line: a hundred nanoseconds or so); it parks the store
 * in a private queue and goes on. Its next load, from another address, reads the cache at
 * once and may finish while the store still waits. The other core does the same, and both
 * loads read the old 0: (0,0), in some of the relaxed trials. This is the one reordering
 * x86 hardware does (its model, TSO: a store may pass a later load of another address).
 * Release/acquire does not help: a release store keeps the loads and stores before it
 * before it, an acquire load keeps the ones after it after it; neither keeps a store before
 * a *later* load, and that is the pair here. On x86 both compile to the same plain movs as
 * relaxed. seq_cst forbids (0,0): every seq_cst operation sits in one total order that all
 * threads agree on, so the store must be visible before the load reads. That costs a
 * drained store buffer: for the seq_cst store gcc and clang emit `xchg` (older gcc: mov +
 * mfence), and atomic_thread_fence(memory_order_seq_cst) between two plain movs is an
 * `mfence` (clang) or a locked no-op `lock or` on the stack (gcc 12). Look for yourself:
 * the objdump line above, or gcc -S -O2 -Ilessons/lib lessons/25_memory_model.c and read
 * the store_load_* functions. The drain costs tens of cycles; the ns/trial column hardly
 * shows it, since a trial's two barriers cost far more.
 * ARM and POWER reorder much more (a load with a later load or store, two stores), so more
 * outcomes of more litmus tests appear there, lesson 18's stale message among them; seq_cst
 * costs special loads and stores (ldar/stlr on ARMv8) or a full barrier (sync on POWER).
 * Try: --order fence alone; then taskset -c 0 ./build/25_memory_model --trials 100000: on
 * one CPU the two threads take turns (each barrier waits for a thread switch, so a trial
 * takes microseconds), a CPU always sees its own stores, buffered or not, and (0,0)
 * vanishes for every order.
 *
 * How trials overlap: two threads live for the whole run (a thread per trial would start
 * them microseconds apart). Before each trial both meet at a spin barrier (each thread
 * publishes its trial number and spins until the other's catches up); then each waits a
 * random 0 to 3 pauses (cpu_relax, tens of nanoseconds: the order of the time a store
 * takes to reach the other core) so that the same thread does not always store first, and
 * runs one store_load_* function. A second barrier ends the trial, and each thread sets
 * its own variable back to 0. Spinning is bounded: a thread that waits longer than
 * --timeout for the other gives up, and the run ends STUCK.
 *
 * Verdict: a table of outcome counts per order (each row sums to --trials), a line per
 * order "relaxed: 1234 of 1000000 trials saw (0,0)", then
 *   RESULT trials=1000000 relaxed_00=1234 acq_rel_00=987 seq_cst_00=0 fence_00=0 OK
 * (only the orders that ran). FAIL (exit 1) when seq-cst or fence ever saw (0,0): the
 * language forbids it. The relaxed and acq-rel counts are reported as measured and never
 * decide the verdict (0 is allowed, just not what x86 usually shows). A barrier that timed
 * out ends with "RESULT ... STUCK" (exit 3).
 */
#include "program.h"
#include "cpu.h"
#include "quizzes/25_memory_model.h" /* --quiz and --answers: its questions */

#include <sched.h>
#include <stdatomic.h>

static const char usage[] =
    "[--order all|relaxed|acq-rel|seq-cst|fence] [--trials N] [--timeout S]\n"
    "  Two threads, per trial: x = 1; r0 = y;  and  y = 1; r1 = x;  (x, y start at 0).\n"
    "  --order    the memory order of those stores and loads: relaxed; acq-rel (release\n"
    "             store, acquire load); seq-cst; fence (relaxed, with\n"
    "             atomic_thread_fence(memory_order_seq_cst) between store and load);\n"
    "             all (default): each in turn, one table\n"
    "  --trials   trials per order, 1..100000000 (default 500000)\n"
    "  --timeout  seconds a thread waits for the other at a barrier before the run ends\n"
    "             STUCK, 0.001..3600 (default 10)\n";

enum order { ORDER_ALL, ORDER_RELAXED, ORDER_ACQ_REL, ORDER_SEQ_CST, ORDER_FENCE, NORDERS };
static const char *const order_names[] = { "all", "relaxed", "acq-rel", "seq-cst", "fence",
                                           NULL };
/* The same names as verdict fields: relaxed_00=... */
static const char *const order_fields[] = { "all", "relaxed", "acq_rel", "seq_cst", "fence" };

enum { CACHE_LINE = 64, MAX_DELAY = 4 };

/* ---- the litmus test: one store, then one load of the other variable ------------------- */

/* Each function is what one thread runs in one trial: store 1 into its own variable, then
 * load the other's. The orders are constants in the source, one function each: a compiler
 * given an order it cannot see at compile time may treat it as seq_cst (gcc does). noinline
 * keeps each one a function of its own, to find by name in objdump -d. */
typedef int store_load_fn(atomic_int *mine, atomic_int *other);
#if defined(__GNUC__) || defined(__clang__)
#define NOINLINE __attribute__((noinline))
#else
#define NOINLINE
#endif

/* BROKEN: relaxed orders nothing but each variable's own history: the store may wait in
 * the store buffer while the load goes ahead. */
NOINLINE static int store_load_relaxed(atomic_int *mine, atomic_int *other)
{
    atomic_store_explicit(mine, 1, memory_order_relaxed);
    return atomic_load_explicit(other, memory_order_relaxed);
}

/* BROKEN: release keeps what came before the store before it, acquire keeps what comes
 * after the load after it; a store followed by a load is still free to swap. */
NOINLINE static int store_load_acq_rel(atomic_int *mine, atomic_int *other)
{
    atomic_store_explicit(mine, 1, memory_order_release);
    return atomic_load_explicit(other, memory_order_acquire);
}

/* FIXED: both seq_cst, so both are in the single total order; on x86 the store becomes
 * xchg, which waits for the store buffer to drain. */
NOINLINE static int store_load_seq_cst(atomic_int *mine, atomic_int *other)
{
    atomic_store_explicit(mine, 1, memory_order_seq_cst);
    return atomic_load_explicit(other, memory_order_seq_cst);
}

/* FIXED: relaxed accesses with a full fence between them; on x86 an mfence (or a locked
 * no-op), which waits for the store buffer to drain before the load reads. */
NOINLINE static int store_load_fence(atomic_int *mine, atomic_int *other)
{
    atomic_store_explicit(mine, 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_seq_cst);
    return atomic_load_explicit(other, memory_order_relaxed);
}

static store_load_fn *const store_load[NORDERS] = {
    [ORDER_RELAXED] = store_load_relaxed,
    [ORDER_ACQ_REL] = store_load_acq_rel,
    [ORDER_SEQ_CST] = store_load_seq_cst,
    [ORDER_FENCE] = store_load_fence,
};

/* ---- two threads, trial after trial ----------------------------------------------------- */

/* Everything two threads write sits on a cache line of its own: x, y, and each thread's
 * barrier counter. Sharing a line would make the test measure false sharing as well. */
struct line {
    _Alignas(CACHE_LINE) atomic_int var;  /* x or y */
};
struct counter_line {
    _Alignas(CACHE_LINE) atomic_long trial; /* the last barrier this thread reached */
};

static struct line vars[2];               /* vars[0] is x, vars[1] is y */
static struct counter_line arrived[2];
static atomic_bool gave_up;               /* one thread timed out: the other stops too */
static double spin_timeout;

struct player {
    pthread_t tid;
    int me;                               /* 0 or 1: stores vars[me], loads vars[1 - me] */
    long trials;
    store_load_fn *store_load;
    uint64_t rng;
    unsigned char *seen;                  /* seen[t]: what this thread's load read in trial t */
};

/* The spin barrier: publish that this thread reached barrier k, then spin until the other
 * has too. Release/acquire is enough here: what each thread did before the barrier (its
 * reset to 0 above all) is visible to the other after it. Every yield_every spins it gives
 * up the CPU: every 256, or every spin where the threads cannot run at once (main decides).
 * Every 256 spins it looks at the clock; after spin_timeout it gives up, returns false,
 * and the other thread gives up at its next look. */
static long yield_every = 256;

static bool meet(struct player *p, long k)
{
    atomic_store_explicit(&arrived[p->me].trial, k, memory_order_release);
    atomic_long *other = &arrived[1 - p->me].trial;
    int64_t give_up_at = 0;
    for (long n = 1; atomic_load_explicit(other, memory_order_acquire) < k; n++) {
        if (n % yield_every == 0)
            sched_yield();
        else
            cpu_relax();
        if (n % 256 == 0) {
            int64_t now = now_ns();
            if (give_up_at == 0)
                give_up_at = now + (int64_t)(spin_timeout * 1e9);
            if (now > give_up_at || atomic_load_explicit(&gave_up, memory_order_relaxed)) {
                atomic_store_explicit(&gave_up, true, memory_order_relaxed);
                return false;
            }
        }
    }
    return true;
}

/* n turns of the spin-loop pause: some 10 to 50 ns each, depending on the CPU. The pause
 * touches no memory, so it puts nothing in the store buffer ahead of the trial's store. */
static void delay(uint64_t n)
{
    for (; n > 0; n--)
        cpu_relax();
}

static void *player_main(void *arg)
{
    struct player *p = arg;
    atomic_int *mine = &vars[p->me].var, *other = &vars[1 - p->me].var;
    uint64_t rng = p->rng;                                /* in a register, not memory */
    for (long t = 0; t < p->trials; t++) {
        if (!meet(p, 2 * t + 1))                          /* both ready, x = y = 0 */
            return NULL;
        delay(rng_below(&rng, MAX_DELAY));               /* so neither always goes first */
        p->seen[t] = (unsigned char)p->store_load(mine, other);
        if (!meet(p, 2 * t + 2))                          /* both have loaded */
            return NULL;
        atomic_store_explicit(mine, 0, memory_order_relaxed);  /* published by the next meet */
    }
    return NULL;
}

struct tally {
    long outcome[4];                      /* index r0 * 2 + r1: (0,0) (0,1) (1,0) (1,1) */
    double ns_per_trial;
    bool stuck;
};

/* Runs `trials` trials of one order and counts the four outcomes. */
static struct tally run_order(enum order order, long trials)
{
    struct player players[2];
    for (int i = 0; i < 2; i++) {
        players[i] = (struct player){ .me = i, .trials = trials,
                                      .store_load = store_load[order],
                                      .rng = 0x9E3779B97F4A7C15u * (uint64_t)(order * 2 + i + 1),
                                      .seen = xmalloc((size_t)trials) };
        atomic_store(&vars[i].var, 0);
        atomic_store(&arrived[i].trial, 0);
    }
    int64_t began = now_ns();
    for (int i = 0; i < 2; i++)
        PT_CHECK(pthread_create(&players[i].tid, NULL, player_main, &players[i]));
    for (int i = 0; i < 2; i++)
        PT_CHECK(pthread_join(players[i].tid, NULL));
    struct tally tally = { .ns_per_trial = (double)(now_ns() - began) / (double)trials,
                           .stuck = atomic_load(&gave_up) };
    if (!tally.stuck)
        for (long t = 0; t < trials; t++)
            tally.outcome[players[0].seen[t] * 2 + players[1].seen[t]]++;
    free(players[0].seen);
    free(players[1].seen);
    return tally;
}

/* ---- what a class reads --------------------------------------------------------------- */

static bool forbids_00(enum order order)
{
    return order == ORDER_SEQ_CST || order == ORDER_FENCE;
}

static void print_row(enum order order, const struct tally *t, long trials)
{
    printf("%-8s %10ld %10ld %10ld %10ld %9.3f%% %9.1f\n", order_names[order], t->outcome[0],
           t->outcome[1], t->outcome[2], t->outcome[3],
           100.0 * (double)t->outcome[0] / (double)trials, t->ns_per_trial);
}

/* One line per order, true whatever the run measured. `no_overlap` says why the threads
 * never ran at once, or is NULL. */
static void explain(enum order order, const struct tally *t, long trials,
                    const char *no_overlap)
{
    long zeros = t->outcome[0], ones = t->outcome[3];
    printf("%s: %ld of %ld trials saw (0,0)", order_names[order], zeros, trials);
    if (forbids_00(order) && zeros > 0)
        printf(": FORBIDDEN by the C11 memory model (a compiler, the CPU or this lesson is "
               "broken)\n");
    else if (forbids_00(order) && ones > 0)
        /* (1,1): both stores came before both loads, so the two threads' trials overlapped. */
        printf(", as sequential consistency requires, though %ld overlapped enough to see "
               "(1,1)\n", ones);
    else if (forbids_00(order))
        printf(", as sequential consistency requires\n");
    else if (zeros > 0)
        printf(": each load read 0 before the other thread's store reached it (the store "
               "buffer)\n");
    else if (no_overlap)
        printf(" (%s: the threads never ran at once)\n", no_overlap);
    else
        printf(" (allowed, but not seen this run: try more --trials)\n");
}

/* ---- main ----------------------------------------------------------------------------- */

int main(int argc, char **argv)
{
    cli_setup(argv[0], usage);
    QUIZ(quiz);
    enum order only = ORDER_ALL;
    long trials = 500000;
    spin_timeout = 10;

    static const struct option opts[] = {
        { "order", required_argument, NULL, 'o' },
        { "trials", required_argument, NULL, 'n' },
        { "timeout", required_argument, NULL, 'T' },
        CLI_QUIZ, CLI_HELP, CLI_END,
    };
    for (int c; (c = cli_next(argc, argv, opts)) != -1;) {
        switch (c) {
        case 'o': only = (enum order)parse_choice("--order", optarg, order_names); break;
        case 'n': trials = parse_long("--trials", optarg, 1, 100000000); break;
        case 'T': spin_timeout = parse_double("--timeout", optarg, 0.001, 3600); break;
        }
    }

    /* Two threads can only overlap with two CPUs to run on, and not under valgrind, which
     * runs one thread at a time. Then the barrier yields at once: the other thread can only
     * arrive while this one is off the CPU. */
    int cpus = cpus_allowed();
    const char *tool = timing_tool();
    const char *no_overlap = cpus < 2                              ? "one CPU"
                             : tool && strcmp(tool, "valgrind") == 0 ? "valgrind"
                                                                     : NULL;
    yield_every = no_overlap ? 1 : 256;
    printf("store buffering: thread 0 runs x = 1; r0 = y;  thread 1 runs y = 1; r1 = x;  "
           "x = y = 0 before each of %ld trials\n", trials);
    printf("CPUs online: %d; this process may run on %d\n", online_cpus(), cpus);
    if (no_overlap)
        printf("%s: the two threads take turns and never run at once, so no order can show "
               "(0,0) here\n", no_overlap);

    struct tally tallies[NORDERS] = { 0 };
    enum order first = only == ORDER_ALL ? ORDER_RELAXED : only;
    enum order last = only == ORDER_ALL ? ORDER_FENCE : only;
    printf("%-8s %10s %10s %10s %10s %10s %9s\n", "order", "(0,0)", "(0,1)", "(1,0)",
           "(1,1)", "(0,0) share", "ns/trial");
    for (enum order o = first; o <= last; o++) {
        tallies[o] = run_order(o, trials);
        if (tallies[o].stuck) {
            printf("%s: a thread waited %g s at a barrier for the other, which never came\n",
                   order_names[o], spin_timeout);
            return verdict_stuck("trials=%ld order=%s", trials, order_names[o]);
        }
        print_row(o, &tallies[o], trials);
    }
    for (enum order o = first; o <= last; o++)
        explain(o, &tallies[o], trials, no_overlap);

    char fields[256];
    int used = snprintf(fields, sizeof fields, "trials=%ld", trials);
    bool ok = true;
    for (enum order o = first; o <= last; o++) {
        used += snprintf(fields + used, sizeof fields - (size_t)used, " %s_00=%ld",
                         order_fields[o], tallies[o].outcome[0]);
        ok = ok && !(forbids_00(o) && tallies[o].outcome[0] > 0);
    }
    return verdict(ok, "%s", fields);
}
