/*
 * 28_dining_philosophers: N philosophers round a table, one fork between each pair; to eat,
 * a philosopher needs both forks beside it. Everyone taking the left fork first deadlocks;
 * three rules that cannot deadlock, and what each costs in fairness.
 *
 *   make && ./build/28_dining_philosophers                 # ordered: every meal is eaten
 *   ./build/28_dining_philosophers --variant naive         # left, then right: STUCK, exit 3
 *   ./build/28_dining_philosophers --variant waiter        # at most N-1 at the table
 *   ./build/28_dining_philosophers --variant trylock       # put the left fork back, retry
 *   ./build/28_dining_philosophers --variant naive --timing natural   # left to chance
 *
 * Philosopher i sits between fork i (its left) and fork i+1 mod N (its right). Each
 * thinks, gets hungry, takes its forks, eats, puts them back, M times.
 *   naive    left, then right. If all N hold their left fork, each waits for its right
 *            neighbour's left fork: a cycle of N waits, and nobody ever eats again.
 *   ordered  the global lock order of lesson 04: lower-numbered fork first. Philosopher
 *            N-1 takes fork 0 before fork N-1, so no cycle can close.
 *   waiter   a waiter (a mutex and a condition variable) seats at most N-1 at once; with
 *            one chair empty, some seated philosopher always finds both forks free.
 *   trylock  take the left fork, try the right one; if it is taken, put the left one back
 *            and back off for a random moment before trying again. Nobody waits while
 *            holding a fork, so there is no cycle; the random back-off keeps them from
 *            retrying in lock-step (a livelock).
 * --timing unlucky (the default) makes the dangerous moment certain: before their first
 * meal, as many philosophers as can hold their first fork hold it (a latch) before anyone
 * reaches for the second: all N under naive, and naive deadlocks in every run; N-1 under
 * ordered (two want fork 0 first) and waiter (who seats N-1); all N under trylock, whose
 * first try then fails in every run. The fixes meet the worst moment, and finish.
 * A watchdog (main) waits for meals: if none is eaten for --timeout seconds it prints who
 * holds which fork and waits for which, follows the waits round the table, and names the
 * cycle if there is one.
 *
 * Notice: the fixes all finish, but not equally fairly: the per-philosopher lines show how
 * long each one waited in total for its forks, and the most/least ratio is how unevenly
 * that waiting was shared out (measured, so it changes from run to run). Each philosopher
 * records that it eats in a per-seat flag and checks its neighbours' flags: two neighbours
 * eating at once would mean a fork was in two hands.
 * --timing lucky seats them one after another (each starts when the one before is done):
 * then even naive finishes, which is why such bugs survive testing; but a lock-order
 * checker still sees the cycle. `make helgrind L=28 ARGS='--variant naive --timing lucky'`
 * reports "lock order violated" round the table, and so does ThreadSanitizer (a
 * lock-order-inversion). The waiter variant can be reported too (with --timing lucky it
 * always is): its philosophers take left then right, the same cycle of lock orders, and
 * the tool cannot know that the waiter never lets the last link close; helgrind reports waiter and trylock alike (it
 * counts a trylock that succeeds as taking the lock in that order, though a failed one never
 * waits). Only ordered is clean under both: its orders form no cycle at all.
 * Try: --variant naive --timing natural several times: with the latch gone the deadlock
 * needs bad luck, and some runs finish; then --think 0 (no pause between meals).
 *
 * Verdict: "RESULT variant=V philosophers=N meals=E expected=N*M neighbours_together=0 OK"
 * (exit 0) when every philosopher ate M meals and no two neighbours ever ate at once;
 * FAIL (exit 1) otherwise. When no meal is eaten for --timeout seconds the watchdog ends the
 * run: "RESULT variant=V philosophers=N meals=E expected=N*M deadlock=detected STUCK" (exit
 * 3; deadlock=unknown if the waits form no cycle, e.g. a run that is merely slow).
 */
#include "program.h"
#include "latch.h"
#include "quizzes/28_dining_philosophers.h" /* --quiz and --answers: its questions */

#include <stdatomic.h>

static const char usage[] =
    "[--variant ordered|naive|waiter|trylock] [--philosophers N] [--meals M]\n"
    "       [--think S] [--eat S] [--timing unlucky|natural|lucky] [--timeout S]\n"
    "       [--scale F]\n"
    "  --variant       ordered (default): the lower-numbered fork first;\n"
    "                  naive: left fork, then right: deadlocks (exit 3);\n"
    "                  waiter: at most N-1 philosophers at the table at once;\n"
    "                  trylock: left, then try the right; on failure put the left back\n"
    "  --philosophers  2..64 (default 5)\n"
    "  --meals         meals each philosopher eats, 1..100000 (default 30)\n"
    "  --think, --eat  seconds of a think or a meal, 0..1 (default 0.005 each; a think\n"
    "                  lasts a random part of up to twice that)\n"
    "  --timing        unlucky (default): before the first meal, as many as can hold their\n"
    "                  first fork hold it before anyone reaches for the second (naive: all,\n"
    "                  a certain deadlock); natural: left to chance;\n"
    "                  lucky: each starts when the one before has finished\n"
    "  --timeout       seconds without a meal before the watchdog calls it stuck,\n"
    "                  0.001..3600 (default 1; times F when --scale F is above 1)\n"
    "  --scale         multiply every pause by F, 0..100 (default 1)\n";

enum variant { VARIANT_ORDERED, VARIANT_NAIVE, VARIANT_WAITER, VARIANT_TRYLOCK };
static const char *const variant_names[] = { "ordered", "naive", "waiter", "trylock", NULL };
enum timing { TIMING_UNLUCKY, TIMING_NATURAL, TIMING_LUCKY };
static const char *const timing_names[] = { "unlucky", "natural", "lucky", NULL };

enum { MAX_PHILOSOPHERS = 64, NOBODY = -1, NO_FORK = -1 };

/* ---- the table --------------------------------------------------------------------- */

struct philosopher {
    int seat;
    int left, right;        /* fork numbers */
    uint64_t rng;
    /* the watchdog's view, under table_lock */
    int holds[2];           /* fork numbers held, NO_FORK for none */
    int wants;              /* the fork it waits for, NO_FORK when it waits for none */
    long meals;
    /* its own figures, read by main after the join */
    int64_t waited_ns;      /* hungry until holding both forks, summed over its meals */
    int64_t longest_ns;     /* the longest of those waits */
    long retries;           /* trylock: times it put the left fork back */
};

static struct {
    enum variant variant;
    enum timing timing;
    int n;
    long meals;
    double think_s, eat_s;
} cfg;

static pthread_mutex_t forks[MAX_PHILOSOPHERS];
static struct philosopher phil[MAX_PHILOSOPHERS];
static latch all_hold_first;             /* unlucky timing: the first forks all held */

/* Per seat: is this philosopher eating now? Atomic, seq_cst: a philosopher sets its own
 * flag, then reads its neighbours'; of two neighbours eating at once, at least one sees
 * the other's flag. */
static atomic_int eating[MAX_PHILOSOPHERS];
static atomic_long together;             /* times a philosopher saw a neighbour eating */

/* The watchdog's table: who holds and waits for which fork, and the meal count. Its lock
 * is never held while waiting for a fork, so the watchdog can always read it. */
static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t table_changed;     /* monotonic; broadcast after each meal */
static long meals_eaten;
static int finished;                     /* philosophers done with all their meals */

/* The waiter: how many sit at the table (waiter variant only). */
static pthread_mutex_t waiter_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t chair_free = PTHREAD_COND_INITIALIZER;
static int seated;

static void note(struct philosopher *p, int wants, int held, bool release)
{
    PT_CHECK(pthread_mutex_lock(&table_lock));
    p->wants = wants;
    if (held != NO_FORK) {
        if (release)
            for (int j = 0; j < 2; j++)
                p->holds[j] = p->holds[j] == held ? NO_FORK : p->holds[j];
        else
            p->holds[p->holds[0] == NO_FORK ? 0 : 1] = held;
    }
    PT_CHECK(pthread_mutex_unlock(&table_lock));
}

static void take(struct philosopher *p, int fork)
{
    note(p, fork, NO_FORK, false);
    PT_CHECK(pthread_mutex_lock(&forks[fork]));
    note(p, NO_FORK, fork, false);
}

/* The table is updated before the unlock, so it never shows two holders of one fork. */
static void put_back(struct philosopher *p, int fork)
{
    note(p, NO_FORK, fork, true);
    PT_CHECK(pthread_mutex_unlock(&forks[fork]));
}

/* trylock: the right fork if it is free, else false (and nothing held or waited for). */
static bool try_take(struct philosopher *p, int fork)
{
    int rc = pthread_mutex_trylock(&forks[fork]);
    if (rc == EBUSY)
        return false;
    PT_CHECK(rc);
    note(p, NO_FORK, fork, false);
    return true;
}

static void sit_down(void)
{
    PT_CHECK(pthread_mutex_lock(&waiter_lock));
    while (seated == cfg.n - 1)
        PT_CHECK(pthread_cond_wait(&chair_free, &waiter_lock));
    seated++;
    PT_CHECK(pthread_mutex_unlock(&waiter_lock));
}

static void stand_up(void)
{
    PT_CHECK(pthread_mutex_lock(&waiter_lock));
    seated--;
    PT_CHECK(pthread_cond_signal(&chair_free));
    PT_CHECK(pthread_mutex_unlock(&waiter_lock));
}

/* --timing unlucky: before the first meal, wait with the first fork in hand until everyone
 * who can hold one does (main counts the arrivals, then opens the latch for good). */
static void unlucky_moment(long meal)
{
    if (meal == 0 && cfg.timing == TIMING_UNLUCKY)
        latch_wait(&all_hold_first);
}

/* How many can hold their first fork at once: naive and trylock all N (fork i is
 * philosopher i's first, and nobody else's); ordered N-1 (philosophers 0 and N-1 both
 * start with fork 0); waiter N-1 (he seats no more). */
static int first_forks_held(void)
{
    return cfg.variant == VARIANT_NAIVE || cfg.variant == VARIANT_TRYLOCK ? cfg.n : cfg.n - 1;
}

/* Both forks, by the variant's rule. */
static void pick_up_forks(struct philosopher *p, long meal)
{
    switch (cfg.variant) {
    case VARIANT_NAIVE:
        /* BROKEN: everyone left, then right; N left forks held make a cycle of N waits. */
        take(p, p->left);
        unlucky_moment(meal);
        take(p, p->right);
        break;
    case VARIANT_ORDERED: {
        /* FIXED: one global order, the lower-numbered fork first: no cycle can close. */
        int first = p->left < p->right ? p->left : p->right;
        int second = p->left < p->right ? p->right : p->left;
        take(p, first);
        unlucky_moment(meal);
        take(p, second);
        break;
    }
    case VARIANT_WAITER:
        /* FIXED: with at most N-1 seated, one of them always gets both forks. */
        sit_down();
        take(p, p->left);
        unlucky_moment(meal);
        take(p, p->right);
        break;
    case VARIANT_TRYLOCK:
        /* FIXED: never wait while holding a fork; back off at random before retrying. */
        for (;;) {
            take(p, p->left);
            unlucky_moment(meal);   /* the first time round only: the latch stays open */
            if (try_take(p, p->right))
                break;
            put_back(p, p->left);
            p->retries++;
            nap(cfg.eat_s * (double)(1 + rng_below(&p->rng, 100)) / 100.0);
        }
        break;
    }
}

static void put_down_forks(struct philosopher *p)
{
    put_back(p, p->right);
    put_back(p, p->left);
    if (cfg.variant == VARIANT_WAITER)
        stand_up();
}

static void eat(struct philosopher *p)
{
    int n = cfg.n;
    atomic_store(&eating[p->seat], 1);
    if (atomic_load(&eating[(p->seat + 1) % n]) || atomic_load(&eating[(p->seat + n - 1) % n]))
        atomic_fetch_add(&together, 1);
    nap(cfg.eat_s);
    atomic_store(&eating[p->seat], 0);
}

/* Lucky timing: philosopher i starts only when philosopher i-1 has eaten all its meals, as
 * if the scheduler had run them one after the other. Nobody waits for a fork, yet every
 * philosopher takes its two forks in its variant's order, so a lock-order checker sees them
 * all: naive's cycle, in a run that finishes. */
static void wait_for_turn(const struct philosopher *p)
{
    PT_CHECK(pthread_mutex_lock(&table_lock));
    while (p->seat > 0 && phil[p->seat - 1].meals < cfg.meals)
        PT_CHECK(pthread_cond_wait(&table_changed, &table_lock));
    PT_CHECK(pthread_mutex_unlock(&table_lock));
}

static void *philosopher_main(void *arg)
{
    struct philosopher *p = arg;
    if (cfg.timing == TIMING_LUCKY)
        wait_for_turn(p);
    for (long meal = 0; meal < cfg.meals; meal++) {
        nap(cfg.think_s * (double)rng_below(&p->rng, 201) / 100.0);   /* think */
        int64_t hungry = now_ns();
        pick_up_forks(p, meal);
        int64_t waited = now_ns() - hungry;
        p->waited_ns += waited;
        if (waited > p->longest_ns)
            p->longest_ns = waited;
        eat(p);
        put_down_forks(p);
        PT_CHECK(pthread_mutex_lock(&table_lock));
        p->meals++;
        meals_eaten++;
        finished += p->meals == cfg.meals;
        PT_CHECK(pthread_cond_broadcast(&table_changed));
        PT_CHECK(pthread_mutex_unlock(&table_lock));
    }
    return NULL;
}

/* ---- the watchdog -------------------------------------------------------------------- */

/* The philosopher holding fork f, or NOBODY. Call with table_lock held. */
static int holder_of(int fork)
{
    for (int i = 0; i < cfg.n; i++)
        if (phil[i].holds[0] == fork || phil[i].holds[1] == fork)
            return i;
    return NOBODY;
}

/* Print what the table shows; follow "waits for a fork held by" from each philosopher,
 * and print the first cycle found. Returns whether there is one. Call with table_lock held. */
static bool report_stuck(double timeout)
{
    printf("watchdog: no meal eaten for %.3g s; %ld of %ld meals eaten\n", timeout,
           meals_eaten, (long)cfg.n * cfg.meals);
    for (int i = 0; i < cfg.n; i++) {
        const struct philosopher *p = &phil[i];
        char held[48] = "no fork";
        if (p->holds[0] != NO_FORK || p->holds[1] != NO_FORK) {
            int a = p->holds[0] != NO_FORK ? p->holds[0] : p->holds[1];
            int b = p->holds[0] != NO_FORK ? p->holds[1] : NO_FORK;
            if (b == NO_FORK)
                snprintf(held, sizeof held, "fork %d", a);
            else
                snprintf(held, sizeof held, "forks %d and %d", a, b);
        }
        if (p->wants == NO_FORK) {
            printf("watchdog: philosopher %d holds %s, waits for no fork\n", i, held);
        } else {
            int h = holder_of(p->wants);
            char by[32] = "nobody";
            if (h != NOBODY)
                snprintf(by, sizeof by, "philosopher %d", h);
            printf("watchdog: philosopher %d holds %s, waits for fork %d (held by %s)\n", i,
                   held, p->wants, by);
        }
    }
    for (int start = 0; start < cfg.n; start++) {
        int at = start;
        for (int step = 0; step < cfg.n; step++) {
            at = phil[at].wants == NO_FORK ? NOBODY : holder_of(phil[at].wants);
            if (at == NOBODY)
                break;
            if (at != start)
                continue;
            char chain[MAX_PHILOSOPHERS * 4 + 16] = "";
            size_t len = 0;
            int k = start;
            do {
                len += (size_t)snprintf(chain + len, sizeof chain - len, "%d -> ", k);
                k = holder_of(phil[k].wants);
            } while (k != start);
            snprintf(chain + len, sizeof chain - len, "%d", start);
            printf("watchdog: deadlock: %s (each waits for a fork the next one holds)\n",
                   chain);
            return true;
        }
    }
    printf("watchdog: no cycle of waits; just slow? try a larger --timeout\n");
    return false;
}

/* Wait until every philosopher is done, or no meal was eaten for `timeout` seconds.
 * Returns whether all finished; *deadlock: whether the table showed a cycle; *eaten: the
 * meals eaten by then. */
static bool watch(double timeout, bool *deadlock, long *eaten)
{
    *deadlock = false;
    PT_CHECK(pthread_mutex_lock(&table_lock));
    long seen = meals_eaten;
    struct timespec give_up = deadline_after(timeout);
    while (finished < cfg.n) {
        int rc = pthread_cond_timedwait(&table_changed, &table_lock, &give_up);
        if (rc != 0 && rc != ETIMEDOUT)
            die_rc("pthread_cond_timedwait", rc);
        if (meals_eaten != seen) {
            seen = meals_eaten;
            give_up = deadline_after(timeout);
        } else if (rc == ETIMEDOUT) {
            break;
        }
    }
    bool all = finished == cfg.n;
    *eaten = meals_eaten;
    if (!all)
        *deadlock = report_stuck(timeout);
    PT_CHECK(pthread_mutex_unlock(&table_lock));
    return all;
}

/* ---- the figures --------------------------------------------------------------------- */

static void report_fairness(void)
{
    int64_t most = 0, least = INT64_MAX;
    for (int i = 0; i < cfg.n; i++) {
        const struct philosopher *p = &phil[i];
        printf("philosopher %d: %ld meals, waited %.1f ms in all, longest wait %.1f ms",
               i, p->meals, (double)p->waited_ns / 1e6, (double)p->longest_ns / 1e6);
        if (cfg.variant == VARIANT_TRYLOCK)
            printf(", put the left fork back %ld times", p->retries);
        printf("\n");
        most = p->waited_ns > most ? p->waited_ns : most;
        least = p->waited_ns < least ? p->waited_ns : least;
    }
    printf("waiting (measured): most %.1f ms, least %.1f ms", (double)most / 1e6,
           (double)least / 1e6);
    if (least > 0)
        printf(", most/least %.2f", (double)most / (double)least);
    printf("\n");
}

/* ---- main ------------------------------------------------------------------------------ */

int main(int argc, char **argv)
{
    cli_setup(argv[0], usage);
    QUIZ(quiz);
    cfg.variant = VARIANT_ORDERED;
    cfg.timing = TIMING_UNLUCKY;
    cfg.n = 5;
    cfg.meals = 30;
    cfg.think_s = cfg.eat_s = 0.005;
    double timeout = 1.0;

    static const struct option opts[] = {
        { "variant", required_argument, NULL, 'v' },
        { "philosophers", required_argument, NULL, 'n' },
        { "meals", required_argument, NULL, 'm' },
        { "think", required_argument, NULL, 'k' },
        { "eat", required_argument, NULL, 'e' },
        { "timing", required_argument, NULL, 'g' },
        { "timeout", required_argument, NULL, 't' },
        { "scale", required_argument, NULL, 's' },
        CLI_QUIZ, CLI_HELP, CLI_END,
    };
    for (int c; (c = cli_next(argc, argv, opts)) != -1;) {
        switch (c) {
        case 'v': cfg.variant = (enum variant)parse_choice("--variant", optarg, variant_names); break;
        case 'n': cfg.n = (int)parse_long("--philosophers", optarg, 2, MAX_PHILOSOPHERS); break;
        case 'm': cfg.meals = parse_long("--meals", optarg, 1, 100000); break;
        case 'k': cfg.think_s = parse_double("--think", optarg, 0, 1); break;
        case 'e': cfg.eat_s = parse_double("--eat", optarg, 0, 1); break;
        case 'g': cfg.timing = (enum timing)parse_choice("--timing", optarg, timing_names); break;
        case 't': timeout = parse_double("--timeout", optarg, 0.001, 3600); break;
        case 's': time_scale = parse_double("--scale", optarg, 0, 100); break;
        }
    }
    bool unlucky = cfg.timing == TIMING_UNLUCKY;
    printf("variant=%s: %d philosophers, %ld meals each", variant_names[cfg.variant], cfg.n,
           cfg.meals);
    if (unlucky)
        printf("; %d hold their first fork before anyone reaches for the second",
               first_forks_held());
    printf("\n");

    cond_init_monotonic(&table_changed);
    latch_init(&all_hold_first);
    for (int i = 0; i < cfg.n; i++) {
        PT_CHECK(pthread_mutex_init(&forks[i], NULL));
        HELGRIND_IGNORE(eating[i]);
        phil[i] = (struct philosopher){ .seat = i, .left = i, .right = (i + 1) % cfg.n,
                                        .rng = 0x9E3779B97F4A7C15u * (uint64_t)(i + 1),
                                        .holds = { NO_FORK, NO_FORK }, .wants = NO_FORK };
    }
    HELGRIND_IGNORE(together);

    pthread_t tids[MAX_PHILOSOPHERS];
    for (int i = 0; i < cfg.n; i++)
        PT_CHECK(pthread_create(&tids[i], NULL, philosopher_main, &phil[i]));
    if (unlucky) {   /* bounded: that many first forks can be held at once */
        latch_await_arrivals(&all_hold_first, first_forks_held());
        latch_open(&all_hold_first);
    }

    bool deadlock;
    long eaten;
    if (!watch(scaled_timeout(timeout), &deadlock, &eaten)) {
        /* No join: the stuck philosophers never return; returning from main ends them. */
        return verdict_stuck("variant=%s philosophers=%d meals=%ld expected=%ld deadlock=%s",
                             variant_names[cfg.variant], cfg.n, eaten,
                             (long)cfg.n * cfg.meals, deadlock ? "detected" : "unknown");
    }
    for (int i = 0; i < cfg.n; i++)
        PT_CHECK(pthread_join(tids[i], NULL));

    report_fairness();
    long total = 0;
    bool each = true;
    for (int i = 0; i < cfg.n; i++) {
        total += phil[i].meals;
        each = each && phil[i].meals == cfg.meals;
        PT_CHECK(pthread_mutex_destroy(&forks[i]));
    }
    latch_destroy(&all_hold_first);
    PT_CHECK(pthread_cond_destroy(&table_changed));
    long seen_together = atomic_load(&together);
    return verdict(each && seen_together == 0,
                   "variant=%s philosophers=%d meals=%ld expected=%ld neighbours_together=%ld",
                   variant_names[cfg.variant], cfg.n, total, (long)cfg.n * cfg.meals,
                   seen_together);
}
