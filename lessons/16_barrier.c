/*
 * 16_barrier: heat spreading along a metal rod, one stretch of the rod per thread. Each
 * time step is a phase; a barrier keeps the phases from overlapping.
 *
 *   make && ./build/16_barrier                     # 4 threads: equal to the serial answer
 *   ./build/16_barrier --variant no-barrier        # phases overlap: a different rod (exit 1)
 *   ./build/16_barrier --threads 2 --cells 50 --steps 10   # small enough to follow
 *
 * Notice: the rod is a row of integer temperatures. In one step, every cell becomes a
 * weighted average of itself and its two neighbours, computed from the OLD row into a
 * NEW row (double buffering), so the order in which cells are updated does not matter.
 * Each thread updates its own stretch, but the cells at the edge of a stretch read the
 * neighbouring thread's cells, so step s+1 may only begin once EVERY thread has
 * finished step s. pthread_barrier_wait is that rule: nobody passes until all N have
 * arrived. The barrier hands one thread PTHREAD_BARRIER_SERIAL_THREAD; that thread swaps
 * the old and new rows, and a second barrier holds the others until the swap is done
 * (without it a fast thread would start the next step on the rows before the swap).
 * Main computes the same steps alone, as a reference: with the barriers the rods are
 * equal, cell for cell. Per-step atomic counters check the phases: a thread starting
 * step s+1 looks at how many threads have finished step s. --variant no-barrier skips
 * both waits (thread 0 swaps after each of its own steps) and nothing else: threads
 * overlap phases, read half-updated rows, and the rod comes out wrong.
 * The timing lines show the price, and how many CPUs each side kept busy (CPU time over
 * wall time). A barrier wait that has to sleep costs microseconds; with the default 20000
 * cells a step's arithmetic is about as cheap, so the threads lose to main's serial loop.
 * With --cells 1000000 --steps 100 --threads 2 there is enough work per step for the
 * threads to win (about 1.6x on a quiet 2-core machine). Other programs can take the CPUs
 * from either side: when serial had under 80% of a CPU, or the threads under 1.1 CPUs of
 * the 2 or more they could use, a doubt says the times cannot be compared (as it does when
 * a side took under 10 ms, too short to time). One thing no doubt catches: cores that slow
 * each other down, through a shared memory bus and cache (on a VM, also the host's other
 * guests); then the threads keep well over one CPU busy and still win by little, or not at
 * all.
 * Try: keep the first barrier but delete the second (the one after the swap) and run
 * --threads 2 a few times: the rod comes out wrong (nearly always), yet the phase counters
 * see no overlap, because the steps no longer overlap: the swap does. Under `make tsan`,
 * ThreadSanitizer names the swap and the line that reads the rows too early.
 *
 * Verdict: "RESULT variant=V threads=T cells=C steps=S mismatches=0 overlaps=0 OK"
 * (exit 0) when the parallel rod equals the serial one and no thread began a step before
 * all had finished the one before; otherwise FAIL (exit 1), which --variant no-barrier
 * gets whenever its threads drift apart (nearly always).
 */
#include "program.h"
#include "cpu.h"
#include "quizzes/16_barrier.h" /* --quiz and --answers: its questions */

#include <stdatomic.h>

static const char usage[] =
    "[--variant barrier|no-barrier] [--threads N] [--cells C] [--steps S]\n"
    "  Heat diffusion along a rod of C cells for S steps, the rod split among N threads;\n"
    "  the result is checked against main's serial computation.\n"
    "  --variant  barrier (default): two barrier waits per step keep the steps apart\n"
    "             no-barrier: no waits; steps overlap and the result is wrong (exit 1)\n"
    "  --threads  1..64 (default 4)\n"
    "  --cells    cells in the rod, 3..1000000, at least threads + 2 (default 20000)\n"
    "  --steps    time steps, 1..100000 (default 1000)\n";

enum variant { VARIANT_BARRIER, VARIANT_NO_BARRIER };
static const char *const variant_names[] = { "barrier", "no-barrier", NULL };

enum { MAX_THREADS = 64, MAX_CELLS = 1000000, MAX_STEPS = 100000, PROGRESS_LINES = 4 };

/* ---- the physics: one step of heat diffusion ------------------------------------------- */

/* Cell i's new temperature is a weighted average of its old self and its old neighbours,
 * rounded to an integer: exact arithmetic, so the parallel and serial runs can be compared
 * cell for cell. The two end cells are held at fixed temperatures and never written. */
static void diffuse(const int *old, int *new, long from, long to)
{
    for (long i = from; i < to; i++)
        new[i] = (old[i - 1] + 2 * old[i] + old[i + 1] + 2) / 4;
}

/* A rod full of random hot and cold spots, 0..1000 degrees, whose two ends are held at
 * 500 (fixed seed: every run starts from the same rod). The spots even out step by step;
 * and because neighbouring cells differ, any cell computed from the wrong row shows.
 * Temperatures are kept in thousandths of a degree: with whole degrees, rounding would
 * soon freeze the rod (a cell between neighbours one degree away rounds back to itself),
 * and a frozen rod hides wrong reads. */
enum { MILLI = 1000 };

static void initial_rod(int *rod, long ncells)
{
    uint64_t rng = 16;
    for (long i = 1; i < ncells - 1; i++)
        rod[i] = (int)rng_below(&rng, 1000 * MILLI + 1);
    rod[0] = rod[ncells - 1] = 500 * MILLI;
}

/* The coldest and hottest cell: how far the spots have evened out. */
static void rod_range(const int *rod, long ncells, int *lo, int *hi)
{
    *lo = *hi = rod[0];
    for (long i = 1; i < ncells; i++) {
        if (rod[i] < *lo)
            *lo = rod[i];
        if (rod[i] > *hi)
            *hi = rod[i];
    }
}

/* The reference: main runs every step alone. Returns the final rod (one of a and b). */
static int *serial_steps(int *a, int *b, long ncells, long nsteps)
{
    for (long s = 0; s < nsteps; s++) {
        diffuse(a, b, 1, ncells - 1);
        int *t = a;
        a = b;
        b = t;
    }
    return a;
}

/* ---- the parallel simulation ------------------------------------------------------------- */

struct sim {
    enum variant variant;
    int nthreads;
    long ncells, nsteps;
    int *old, *new;              /* read old, write new; the serial thread swaps them */
    pthread_barrier_t computed;  /* every thread has finished this step's cells */
    pthread_barrier_t swapped;   /* the rows have been swapped: the next step may start */
    atomic_int *finished;        /* finished[s]: how many threads have finished step s */
    atomic_long overlaps;        /* steps begun before every thread finished the previous */
    atomic_bool told;            /* the first overlap has been described */
};

static struct sim sim;

struct worker {
    pthread_t tid;
    int id;
    long from, to;               /* this thread's stretch: cells [from, to) */
};

/* Waits until all threads have arrived; returns true in exactly one of them (the one
 * pthread_barrier_wait calls the serial thread), which then does the between-steps work.
 * --variant no-barrier does not wait at all, and lets thread 0 do that work. */
static bool wait_for_everyone(pthread_barrier_t *barrier, const struct worker *w)
{
    if (sim.variant == VARIANT_NO_BARRIER)
        return w->id == 0;       /* BROKEN: nobody waits for anybody */
    int rc = pthread_barrier_wait(barrier);
    if (rc == PTHREAD_BARRIER_SERIAL_THREAD)
        return true;
    if (rc != 0)
        die_rc("pthread_barrier_wait", rc);
    return false;
}

/* The phase log: before starting step s, has every thread finished step s - 1? */
static void check_phase(const struct worker *w, long step)
{
    if (step == 0)
        return;
    int done = atomic_load(&sim.finished[step - 1]);
    if (done == sim.nthreads)
        return;
    atomic_fetch_add(&sim.overlaps, 1);
    if (!atomic_exchange(&sim.told, true))
        printf("thread %d: began step %ld while only %d of %d threads had finished step %ld\n",
               w->id, step + 1, done, sim.nthreads, step);
}

/* Between steps, in one thread: swap the rows, and now and then say how far we are. */
static void between_steps(long step)
{
    int *t = sim.old;
    sim.old = sim.new;
    sim.new = t;
    long every = sim.nsteps / PROGRESS_LINES > 0 ? sim.nsteps / PROGRESS_LINES : 1;
    if ((step + 1) % every == 0) {
        int lo, hi;
        rod_range(sim.old, sim.ncells, &lo, &hi);
        printf("after step %ld: %d of %d threads had finished it; the rod ranges from %.3f "
               "to %.3f degrees\n", step + 1, atomic_load(&sim.finished[step]), sim.nthreads,
               (double)lo / MILLI, (double)hi / MILLI);
    }
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    for (long s = 0; s < sim.nsteps; s++) {
        check_phase(w, s);
        diffuse(sim.old, sim.new, w->from, w->to);      /* the compute phase */
        atomic_fetch_add(&sim.finished[s], 1);
        if (wait_for_everyone(&sim.computed, w))        /* all have written `new` ... */
            between_steps(s);                           /* ... so one thread swaps ... */
        wait_for_everyone(&sim.swapped, w);             /* ... while the others wait */
    }
    return NULL;
}

/* Runs the simulation on nthreads threads; returns the final rod (sim.old) and the time. */
static int *parallel_steps(int *a, int *b, double *seconds)
{
    struct worker workers[MAX_THREADS];
    long interior = sim.ncells - 2;
    sim.old = a;
    sim.new = b;
    sim.finished = xcalloc((size_t)sim.nsteps, sizeof *sim.finished);
    PT_CHECK(pthread_barrier_init(&sim.computed, NULL, (unsigned)sim.nthreads));
    PT_CHECK(pthread_barrier_init(&sim.swapped, NULL, (unsigned)sim.nthreads));

    double began = now_s();
    for (int i = 0; i < sim.nthreads; i++) {
        /* Interior cells 1 .. ncells-2, cut into nthreads nearly equal stretches. */
        workers[i] = (struct worker){ .id = i, .from = 1 + interior * i / sim.nthreads,
                                      .to = 1 + interior * (i + 1) / sim.nthreads };
        PT_CHECK(pthread_create(&workers[i].tid, NULL, worker_main, &workers[i]));
    }
    for (int i = 0; i < sim.nthreads; i++)
        PT_CHECK(pthread_join(workers[i].tid, NULL));
    *seconds = now_s() - began;

    PT_CHECK(pthread_barrier_destroy(&sim.computed));
    PT_CHECK(pthread_barrier_destroy(&sim.swapped));
    free(sim.finished);
    return sim.old;
}

static int *alloc_rod(long ncells)
{
    int *rod = xmalloc((size_t)ncells * sizeof *rod);
    initial_rod(rod, ncells);
    return rod;
}

/* Can the two times be compared? Each side's CPU time over its wall time says how many CPUs
 * it kept busy on average. Not when a side took under 10 ms (CPU clocks are coarser than
 * that), when serial had under 80% of a CPU, or when threads that could use 2+ CPUs kept
 * under 1.1 busy: they waited, for each other or for CPUs that other programs held. */
static void doubt_the_times(double ref_s, double ref_busy, double par_s, double par_busy)
{
    int usable = sim.nthreads < online_cpus() ? sim.nthreads : online_cpus();
    if (ref_s < 0.010 || par_s < 0.010) {
        printf("Doubt: a side took under 10 ms, too short to compare (add --cells or --steps).\n");
        return;
    }
    printf("CPUs busy (CPU time / wall time): serial %.2f, the threads %.2f\n", ref_busy,
           par_busy);
    if (ref_busy < 0.8)
        printf("Doubt: serial had %.0f%% of a CPU while it was timed, so the two times cannot "
               "be compared. Run it again on a quiet machine.\n", 100 * ref_busy);
    else if (usable >= 2 && par_busy < 1.1)
        printf("Doubt: the threads kept %.2f CPUs busy of the %d they could use (they waited, "
               "for each other or for CPUs other programs held), so the two times cannot be "
               "compared. Run it again on a quiet machine.\n", par_busy, usable);
}

/* ---- main ---------------------------------------------------------------------------- */

int main(int argc, char **argv)
{
    cli_setup(argv[0], usage);
    QUIZ(quiz);
    sim.variant = VARIANT_BARRIER;
    sim.nthreads = 4;
    sim.ncells = 20000;
    sim.nsteps = 1000;

    static const struct option opts[] = {
        { "variant", required_argument, NULL, 'v' },
        { "threads", required_argument, NULL, 't' },
        { "cells", required_argument, NULL, 'c' },
        { "steps", required_argument, NULL, 's' },
        CLI_QUIZ, CLI_HELP, CLI_END,
    };
    for (int c; (c = cli_next(argc, argv, opts)) != -1;) {
        switch (c) {
        case 'v':
            sim.variant = (enum variant)parse_choice("--variant", optarg, variant_names);
            break;
        case 't': sim.nthreads = (int)parse_long("--threads", optarg, 1, MAX_THREADS); break;
        case 'c': sim.ncells = parse_long("--cells", optarg, 3, MAX_CELLS); break;
        case 's': sim.nsteps = parse_long("--steps", optarg, 1, MAX_STEPS); break;
        }
    }
    if (sim.ncells < sim.nthreads + 2)
        usage_error("--cells must be at least --threads + 2 (every thread needs a cell)");

    printf("a rod of %ld cells, %ld steps, %d threads%s\n", sim.ncells, sim.nsteps,
           sim.nthreads, sim.variant == VARIANT_NO_BARRIER ? " (no barrier!)" : "");

    /* Two rods (old and new) for the threads, two for main's reference. */
    int *par_a = alloc_rod(sim.ncells), *par_b = alloc_rod(sim.ncells);
    int *ref_a = alloc_rod(sim.ncells), *ref_b = alloc_rod(sim.ncells);

    double par_s, cpu0 = cpu_seconds_self(), ref_began = now_s();
    const int *reference = serial_steps(ref_a, ref_b, sim.ncells, sim.nsteps);
    double ref_s = now_s() - ref_began, cpu1 = cpu_seconds_self();
    const int *result = parallel_steps(par_a, par_b, &par_s);
    double ref_busy = (cpu1 - cpu0) / ref_s, par_busy = (cpu_seconds_self() - cpu1) / par_s;

    long mismatches = 0, first = -1;
    for (long i = 0; i < sim.ncells; i++) {
        if (result[i] != reference[i]) {
            mismatches++;
            if (first < 0)
                first = i;
        }
    }
    long overlaps = atomic_load(&sim.overlaps);
    printf("serial: %.1f ms; %d threads: %.1f ms (%.1f us per step%s)\n", ref_s * 1e3,
           sim.nthreads, par_s * 1e3, par_s * 1e6 / (double)sim.nsteps,
           sim.variant == VARIANT_NO_BARRIER ? ", no barrier wait" : ", two barrier waits each");
    doubt_the_times(ref_s, ref_busy, par_s, par_busy);
    if (mismatches > 0)
        printf("main: %ld of %ld cells differ from the serial rod (first: cell %ld is %.3f "
               "degrees, should be %.3f)\n", mismatches, sim.ncells, first,
               (double)result[first] / MILLI, (double)reference[first] / MILLI);
    else
        printf("main: the threads' rod equals the serial rod, cell for cell\n");

    free(par_a);
    free(par_b);
    free(ref_a);
    free(ref_b);
    return verdict(mismatches == 0 && overlaps == 0,
                   "variant=%s threads=%d cells=%ld steps=%ld mismatches=%ld overlaps=%ld",
                   variant_names[sim.variant], sim.nthreads, sim.ncells, sim.nsteps,
                   mismatches, overlaps);
}
