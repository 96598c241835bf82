/*
 * 22_wakeups: what it costs to wake a sleeping thread, and what spinning buys and burns.
 * Two players pass a token back and forth; the one without it waits for its turn.
 *
 *   make && ./build/22_wakeups                    # every way of waiting, two partners
 *   ./build/22_wakeups --wait spin --rounds 5000  # one way
 *   ./build/22_wakeups --think 200                # the partner takes 200 us before answering
 *   ./build/22_wakeups --pool-only                # only the thread pool's batches
 *
 * Three ways to wait, and they are one function (wait_for_turn) with a different budget
 * for spinning before it parks:
 *   park      no spinning: pthread_cond_wait at once. Waiting costs no CPU; each wake-up
 *             costs the kernel's path, and if the waiter's CPU went idle, that CPU's own
 *             wake-up: tens of microseconds on a virtual machine, a few on bare metal.
 *   spin      never park: read the token's atomic until it changes. The answer is seen
 *             within a cache-line transfer of being written, but the waiter burns its CPU
 *             the whole time, and with no CPU to spare it steals its partner's.
 *   adaptive  spin for --spin-us, then park: what oneTBB, rayon, Go's scheduler and
 *             libgomp do (the thread pool too, under TP_WAIT_SPIN). A quick answer costs
 *             a spin; a slow one costs --spin-us of CPU and then one wake-up.
 * The handover must never lose a wakeup: the waiter announces "I am parking" and then looks
 * at the token once more; the player handing over writes the token and then looks for that
 * announcement. Both with sequentially consistent atomics, so at least one of the two sees
 * the other (hand_over explains).
 *
 * Notice, on a machine with two idle CPUs: with a quick partner (think 0), spin's round
 * trip is a small fraction of park's and adaptive's is close to spin's: the answer comes
 * within the spin. The CPU column is what a round trip burned in both threads: with a slow
 * partner (think 1000 us) spin burns a CPU for the whole millisecond, park only its wake-
 * ups, adaptive those plus about --spin-us. The "parked" column counts the waits that
 * ended asleep (never one for spin). Spinning pays only while the answer comes sooner than
 * a wake-up would, and only with a CPU to spare: when a spinner did not get a CPU of its
 * own, or a tool distorts the timing, the lesson says so rather than conclude.
 * Then the thread pool, which by default (TP_WAIT_SPIN) lets an idle worker spin first
 * and under TP_WAIT_PARK parks it at once (thread_pool.h, WAITING): batches of 20 small tasks
 * (sums of squares near 50,000, some 25 us each) through tp_map on 2 workers, taking turns
 * with serial batches. Each batch wakes the workers, and a wake-up is as long as a task:
 * both policies are shown with their speedup against serial and the CPU they burned. The
 * third pool has one worker and is made with .caller_helps: tp_map's caller, awake
 * already, runs tasks too instead of sleeping until the workers are done (thread_pool.h,
 * THE CALLER HELPS). Still two threads work, but the first task starts at once, the only
 * wake-up (the worker's) is paid while the caller works, and nobody has to wake the
 * caller at the end unless the worker still runs the last task.
 * Try: --spin-us 1 and 1000; taskset -c 0 ./build/22_wakeups --wait spin --rounds 50 (one
 * CPU for both players: each handover waits for the scheduler to preempt the spinner).
 *
 * Verdict: one line per way and partner ("WAIT way=spin think_us=0 rounds=2000
 * round_trip_us=0.41 p99_us=1.10 cpu_us=0.82 parked=0"), one per pool ("POOL wait=spin
 * caller=waits batch_us=180.2 speedup=1.60 cpu_us=360.1"), then
 *   RESULT rounds=2000 handovers=13200 expected=13200 pool_sums=exact point=shown OK
 * handovers: tokens received, counted by each player, against two per round for each run;
 * pool_sums: every pool batch's sums against the closed form.
 * point: spin's round trip against park's with a quick partner, as in lesson 14: shown
 * (spin at least 2x quicker), untrusted (a doubt says why), n/a (one CPU, or not both
 * ways), not-shown (FAIL). A lost wakeup would hang a player: the watchdog then ends the
 * run STUCK (exit 3).
 */
#include "program.h"
#include "cpu.h"
#include "sum_squares.h"
#include "thread_pool.h"
#include "watchdog.h"
#include "quizzes/22_wakeups.h" /* --quiz and --answers: its questions */

#include <stdatomic.h>

static const char usage[] =
    "[--wait all|park|spin|adaptive] [--rounds N] [--think US] [--spin-us US] [--scale F]\n"
    "  Two threads pass a token N times each way; the one without it waits.\n"
    "  --wait     park: sleep on a condition variable at once; spin: busy-wait on an atomic;\n"
    "             adaptive: spin up to --spin-us, then park; all (default): each in turn\n"
    "  --rounds   round trips per run, 1..1000000 (default 2000; a tenth with a slow partner)\n"
    "  --think    microseconds the partner takes before answering, 0..1000000 (default: two\n"
    "             runs, 0 and 1000)\n"
    "  --spin-us  adaptive's spin before parking, microseconds, 0..1000000 (default 50)\n"
    "  --scale    multiply the partner's think time by F, 0..100 (default 1)\n"
    "  --pool-only  skip the token: only the thread pool's batches (each policy; the caller\n"
    "               helping)\n";

enum way { WAY_ALL, WAY_PARK, WAY_SPIN, WAY_ADAPTIVE, NWAYS };
static const char *const way_names[] = {"all", "park", "spin", "adaptive", NULL};

/* ---- the table: a token, and a place to park for each player -------------------------- */

typedef struct {
    atomic_int turn;        /* whose turn it is: 0 (ping) or 1 (pong) */
    atomic_bool parking[2]; /* player k is parked on cv[k], or about to be */
    pthread_mutex_t mu;     /* guards the parking itself (the wait on cv[k]) */
    pthread_cond_t cv[2];
    int64_t spin_ns;        /* the budget: 0 = park at once, INT64_MAX = never park */
} table;

/* One player's side of a run. Written only by that player; read by main after the join. */
typedef struct {
    table *t;
    int me;
    long rounds;
    double think_s;  /* pong: how long it takes before handing the token back */
    int64_t *trip;   /* ping: each round trip, ns */
    long received;   /* tokens received */
    long parked;     /* waits that ended asleep */
} player;

/* Returns once it is `me`'s turn: spins for the table's budget, then parks. */
static void wait_for_turn(player *pl)
{
    table *t = pl->t;
    int me = pl->me;
    int64_t until = t->spin_ns == INT64_MAX ? INT64_MAX : now_ns() + t->spin_ns;
    for (unsigned i = 1; atomic_load(&t->turn) != me; i++) {
        cpu_relax();
        if (i % 64 == 0 && now_ns() >= until) /* a clock read costs more than a pause */
            break;
    }
    if (atomic_load(&t->turn) == me)
        return; /* the answer came within the spin */
    PT_CHECK(pthread_mutex_lock(&t->mu));
    atomic_store(&t->parking[me], true); /* announce, then look once more (hand_over) */
    while (atomic_load(&t->turn) != me)
        PT_CHECK(pthread_cond_wait(&t->cv[me], &t->mu));
    atomic_store(&t->parking[me], false);
    PT_CHECK(pthread_mutex_unlock(&t->mu));
    pl->parked++;
}

/* Gives the token to `to`, and wakes it if it parked. The waiter stores parking, then loads
 * turn; we store turn, then load parking; sequentially consistent, the four have one order
 * that all threads see, so either its load sees our turn (it does not park) or our load sees
 * its parking (we signal). The waiter holds the mutex from its announcement until
 * pthread_cond_wait releases it, so our lock waits until it really sleeps: the signal is not
 * lost. Without the announcement we would have to lock and signal on every handover. */
static void hand_over(table *t, int to)
{
    atomic_store(&t->turn, to);
    if (atomic_load(&t->parking[to])) {
        PT_CHECK(pthread_mutex_lock(&t->mu));
        PT_CHECK(pthread_cond_signal(&t->cv[to]));
        PT_CHECK(pthread_mutex_unlock(&t->mu));
    }
}

/* ping starts with the token: hands it over, waits for it to come back, times the trip. */
static void *ping(void *arg)
{
    player *pl = arg;
    for (long r = 0; r < pl->rounds; r++) {
        int64_t t0 = now_ns();
        hand_over(pl->t, 1);
        wait_for_turn(pl);
        pl->trip[r] = now_ns() - t0;
        pl->received++;
    }
    return NULL;
}

/* pong waits for the token, thinks, hands it back. */
static void *pong(void *arg)
{
    player *pl = arg;
    for (long r = 0; r < pl->rounds; r++) {
        wait_for_turn(pl);
        pl->received++;
        if (pl->think_s > 0)
            nap(pl->think_s);
        hand_over(pl->t, 0);
    }
    return NULL;
}

/* ---- one run: a way of waiting, a partner's think time -------------------------------- */

typedef struct {
    enum way way;
    double think_us;
    long rounds, received, parked;
    double trip_us, p99_us, cpu_us, cpu_per_wall;
} run_result;

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static run_result play(enum way way, long rounds, double think_us, double spin_us)
{
    table t = {.spin_ns = way == WAY_PARK ? 0
                          : way == WAY_SPIN ? INT64_MAX : (int64_t)(spin_us * 1e3)};
    atomic_init(&t.turn, 0);
    atomic_init(&t.parking[0], false);
    atomic_init(&t.parking[1], false);
    HELGRIND_IGNORE(t.turn); /* atomics: helgrind cannot see them (core.h) */
    HELGRIND_IGNORE(t.parking);
    PT_CHECK(pthread_mutex_init(&t.mu, NULL));
    PT_CHECK(pthread_cond_init(&t.cv[0], NULL));
    PT_CHECK(pthread_cond_init(&t.cv[1], NULL));
    player pl[2] = {
        {.t = &t, .me = 0, .rounds = rounds, .trip = xcalloc((size_t)rounds, sizeof(int64_t))},
        {.t = &t, .me = 1, .rounds = rounds, .think_s = think_us * 1e-6},
    };
    pthread_t th[2];
    double cpu0 = cpu_seconds_self(), t0 = now_s();
    PT_CHECK(pthread_create(&th[1], NULL, pong, &pl[1]));
    PT_CHECK(pthread_create(&th[0], NULL, ping, &pl[0]));
    PT_CHECK(pthread_join(th[0], NULL));
    PT_CHECK(pthread_join(th[1], NULL));
    double wall = now_s() - t0, cpu = cpu_seconds_self() - cpu0;

    qsort(pl[0].trip, (size_t)rounds, sizeof(int64_t), cmp_i64);
    run_result r = {.way = way, .think_us = think_us * time_scale, .rounds = rounds,
                    .received = pl[0].received + pl[1].received,
                    .parked = pl[0].parked + pl[1].parked,
                    .trip_us = (double)pl[0].trip[rounds / 2] / 1e3,
                    .p99_us = (double)pl[0].trip[(rounds * 99) / 100] / 1e3,
                    .cpu_us = cpu / (double)rounds * 1e6, .cpu_per_wall = cpu / wall};
    free(pl[0].trip);
    PT_CHECK(pthread_cond_destroy(&t.cv[0]));
    PT_CHECK(pthread_cond_destroy(&t.cv[1]));
    PT_CHECK(pthread_mutex_destroy(&t.mu));
    return r;
}

/* ---- the point, as lesson 14 judges its own --------------------------------------------- */

typedef enum { POINT_NA, POINT_UNTRUSTED, POINT_SHOWN, POINT_NOT_SHOWN } point;
static const char *const point_names[] = {"n/a", "untrusted", "shown", "not-shown"};

/* Spin against park, both with a quick partner (think 0). Spinning shows its worth only
 * with two CPUs, each spinner on its own: a spin run whose threads burned under 1.5 CPUs
 * for their wall time did not have them (another program, or valgrind running one thread at
 * a time), and its figures say nothing about spinning; nor do a sanitizer's (timing_tool). */
static point judge(const run_result *runs, int n)
{
    const run_result *park = NULL, *spin = NULL;
    for (int i = 0; i < n; i++) {
        if (runs[i].think_us == 0 && runs[i].way == WAY_PARK)
            park = &runs[i];
        if (runs[i].think_us == 0 && runs[i].way == WAY_SPIN)
            spin = &runs[i];
    }
    if (!park || !spin || online_cpus() < 2) {
        printf("The point needs park and spin with a quick partner, on 2+ CPUs: n/a here.\n");
        return POINT_NA;
    }
    if (timing_tool()) {
        printf("Doubt: %s slows every thread its own way: these timings measure it.\n",
               timing_tool());
        return POINT_UNTRUSTED;
    }
    if (spin->cpu_per_wall < 1.5) {
        printf("Doubt: the spinners burned %.2f CPUs for their wall time, not 2: they did not "
               "have a CPU each. These figures cannot be trusted.\n", spin->cpu_per_wall);
        return POINT_UNTRUSTED;
    }
    double ratio = park->trip_us / spin->trip_us;
    printf("The point, a wake-up costs more than a spin: %s (park's round trip %.1fx spin's; "
           "spin burned %.1f us of CPU per round trip, park %.1f).\n",
           ratio >= 2 ? "shown" : "NOT shown", ratio, spin->cpu_us, park->cpu_us);
    return ratio >= 2 ? POINT_SHOWN : POINT_NOT_SHOWN;
}

/* ---- the pool: the same question for a thread pool's idle workers ---------------------- */

enum { POOL_TASKS = 20, POOL_BATCHES = 41 };
static uint64_t pool_n[POOL_TASKS];
static ss_u128 pool_sum[POOL_TASKS];

static int small_task(void *arg, void **result)
{
    (void)result;
    size_t k = (size_t)((uint64_t *)arg - pool_n);
    pool_sum[k] = ss_sum_squares(pool_n[k]);
    return 0;
}

/* One batch: 20 small tasks, on the pool, or serially in this thread (pool NULL). Returns
 * its wall time in us; *cpu_us gets what the whole process burned meanwhile. */
static double batch(tp_pool *pool, void **args, double *cpu_us)
{
    double cpu0 = cpu_seconds_self(), t0 = now_s();
    if (pool)
        PT_CHECK(tp_map(pool, small_task, args, POOL_TASKS, 1, NULL, NULL));
    else
        for (int k = 0; k < POOL_TASKS; k++)
            small_task(args[k], NULL);
    *cpu_us = (cpu_seconds_self() - cpu0) * 1e6;
    return (now_s() - t0) * 1e6;
}

/* The pool under both policies, and helped by its caller, serial batches taking turns with
 * them, one warm-up round; each speedup is the median of per-round ratios. Returns false
 * if a sum came out wrong. */
static bool pool_policies(void)
{
    void *args[POOL_TASKS];
    for (int k = 0; k < POOL_TASKS; k++) {
        pool_n[k] = 50000 + (uint64_t)k;
        args[k] = &pool_n[k];
    }
    /* Two threads work in each: two workers, or one worker and tp_map's caller. */
    enum { POOLS = 3 };
    tp_pool *pools[POOLS];
    const char *names[POOLS] = {"park caller=waits", "spin caller=waits", "park caller=helps"};
    PT_CHECK(tp_create(&pools[0], &(tp_options){.workers = 2, .wait = TP_WAIT_PARK}));
    PT_CHECK(tp_create(&pools[1], &(tp_options){.workers = 2, .wait = TP_WAIT_SPIN}));
    PT_CHECK(tp_create(&pools[2], &(tp_options){.workers = 1, .wait = TP_WAIT_PARK,
                                                .caller_helps = true}));
    double ratio[POOLS][POOL_BATCHES], wall[POOLS][POOL_BATCHES], cpu[POOLS][POOL_BATCHES];
    double serial_cpu;
    bool exact = true;
    for (int r = -1; r < POOL_BATCHES; r++) {
        double serial = batch(NULL, args, &serial_cpu);
        for (int i = 0; i < POOLS; i++) {
            int which = r % 2 ? i : POOLS - 1 - i; /* alternate who goes first */
            double c, w = batch(pools[which], args, &c);
            for (int k = 0; k < POOL_TASKS; k++)
                exact &= ss_equal(pool_sum[k], ss_sum_squares_formula(pool_n[k]));
            if (r >= 0) {
                ratio[which][r] = serial / w;
                wall[which][r] = w;
                cpu[which][r] = c;
            }
        }
    }
    printf("The thread pool, 20 tasks of ~25 us on 2 threads, %d batches each way:\n",
           POOL_BATCHES);
    for (int i = 0; i < POOLS; i++) {
        double sp = median(ratio[i], POOL_BATCHES), w = median(wall[i], POOL_BATCHES);
        double c = median(cpu[i], POOL_BATCHES);
        printf("POOL wait=%s batch_us=%.1f speedup=%.2f cpu_us=%.1f\n", names[i], w, sp, c);
        PT_CHECK(tp_destroy(pools[i]));
    }
    return exact;
}

/* ---- main: the outline ------------------------------------------------------------------ */

static void stuck(void *limit_s)
{
    _Exit(verdict_stuck("stuck_after=%.0fs lost_wakeup=maybe", *(double *)limit_s));
}

int main(int argc, char **argv)
{
    cli_setup(argv[0], usage);
    QUIZ(quiz);
    enum way only = WAY_ALL;
    long rounds = 2000;
    double think_us = -1, spin_us = 50;
    bool pool_only = false;
    static const struct option opts[] = {
        {"wait", required_argument, NULL, 'w'},   {"rounds", required_argument, NULL, 'r'},
        {"think", required_argument, NULL, 't'},  {"spin-us", required_argument, NULL, 's'},
        {"scale", required_argument, NULL, 'S'},  {"pool-only", no_argument, NULL, 'P'},
        CLI_QUIZ, CLI_HELP, CLI_END,
    };
    for (int c; (c = cli_next(argc, argv, opts)) != -1;) {
        switch (c) {
        case 'w': only = (enum way)parse_choice("--wait", optarg, way_names); break;
        case 'r': rounds = parse_long("--rounds", optarg, 1, 1000000); break;
        case 't': think_us = parse_double("--think", optarg, 0, 1e6); break;
        case 's': spin_us = parse_double("--spin-us", optarg, 0, 1e6); break;
        case 'S': time_scale = parse_double("--scale", optarg, 0, 100); break;
        case 'P': pool_only = true; break;
        }
    }
    /* a partner that thinks 1 ms gets a tenth of the rounds: the run stays under a second */
    double thinks[2] = {think_us < 0 ? 0 : think_us, 1000};
    int nthinks = think_us < 0 ? 2 : 1;

    /* Bound: each round trip at most a scheduler time slice or two on one CPU, plus think. */
    double limit_s = scaled_timeout(30 + (double)rounds * (0.02 + 3 * time_scale * 1e-3));
    watchdog dog;
    watchdog_start(&dog, limit_s, stuck, &limit_s);

    run_result runs[2 * NWAYS];
    int n = 0;
    long expected = 0, received = 0;
    if (!pool_only)
        printf("%-9s %9s %7s %12s %10s %14s %8s\n", "wait", "think_us", "rounds",
               "round trip", "p99", "CPU per trip", "parked");
    for (int k = 0; k < nthinks && !pool_only; k++) {
        long r = thinks[k] > 0 && think_us < 0 ? (rounds + 9) / 10 : rounds;
        for (enum way w = WAY_PARK; w < NWAYS; w++) {
            if (only != WAY_ALL && w != only)
                continue;
            runs[n] = play(w, r, thinks[k], spin_us);
            const run_result *x = &runs[n++];
            printf("%-9s %9.0f %7ld %9.2f us %7.2f us %11.2f us %4ld/%ld\n", way_names[w],
                   x->think_us, x->rounds, x->trip_us, x->p99_us, x->cpu_us, x->parked,
                   2 * x->rounds);
            expected += 2 * r;
            received += x->received;
        }
    }
    if (!pool_only)
        printf("CPU per trip: both threads' user + system time over the run, per round trip.\n");
    point shown = judge(runs, n);
    bool exact = pool_policies();
    watchdog_stop(&dog);
    for (int i = 0; i < n; i++)
        printf("WAIT way=%s think_us=%.0f rounds=%ld round_trip_us=%.2f p99_us=%.2f "
               "cpu_us=%.2f parked=%ld\n", way_names[runs[i].way], runs[i].think_us,
               runs[i].rounds, runs[i].trip_us, runs[i].p99_us, runs[i].cpu_us,
               runs[i].parked);
    return verdict(received == expected && exact && shown != POINT_NOT_SHOWN,
                   "rounds=%ld handovers=%ld expected=%ld pool_sums=%s point=%s", rounds,
                   received, expected, exact ? "exact" : "wrong", point_names[shown]);
}
