/*
 * 30_sleeping_barber: one barber, a waiting room of K chairs, C customers arriving at
 * seeded random moments. A customer who finds every chair taken leaves; the barber sleeps
 * while nobody waits, and the customer who finds the room empty rings the bell.
 *
 *   make && ./build/30_sleeping_barber                      # fixed: everyone is served or turned away
 *   ./build/30_sleeping_barber --variant lost-wakeup        # the barber sleeps forever: exit 3
 *   ./build/30_sleeping_barber --chairs 1 --customers 40 --scale 0.1   # a small room, busy
 *
 * Notice: only the customer who finds the waiting room empty rings the bell (the others
 * see someone already waiting, so the barber must be awake or about to be). That saving is
 * safe only if the barber's "nobody waits" and his falling asleep are one step:
 * pthread_cond_wait lets go of the mutex and sleeps atomically, so a ring can come before
 * the check (he sees the customer) or after he sleeps (it wakes him), never in between.
 * --variant lost-wakeup checks under the lock, lets go of it, and only then takes it again
 * to sleep, without looking again. A ring in that gap finds nobody listening; the next
 * customers find someone already waiting and do not ring; the barber sleeps beside a
 * full waiting room. To make that gap certain in every run, the lesson holds the broken
 * barber in it (a latch) until the first customer has rung; in real life it is a few
 * instructions wide and strikes once in a long while. A supervisor (main) sees that
 * nothing has happened for --timeout seconds and says who waits for whom.
 * Try: in customer_main(), make every customer ring (rings = true) and run --variant
 * lost-wakeup: the first ring is still lost, but the second customer's ring wakes the
 * barber, and the run usually ends OK: the same bug, hidden. (Main's closing-time ring
 * can fall into the gap too; then a watchdog on main's joins says the barber never went
 * home.) Then --customers 1.
 *
 * Verdict: "RESULT variant=V customers=C served=S turned_away=T chairs=K max_waiting=M
 * max_in_chair=1 OK" (exit 0) when S + T == C, M <= K, never more than one customer in
 * the chair, and every served customer was cut exactly once (none twice, none skipped);
 * FAIL (exit 1) otherwise. When nothing happens for --timeout seconds while customers are
 * still unaccounted for: what each one waits for, then "RESULT variant=V customers=C
 * served=S turned_away=T waiting=W stuck_after=Xs STUCK" (exit 3); the same line if the
 * barber has not gone home --timeout seconds after closing time.
 */
#include "program.h"
#include "latch.h"
#include "watchdog.h"
#include "quizzes/30_sleeping_barber.h" /* --quiz and --answers: its questions */

static const char usage[] =
    "[--variant fixed|lost-wakeup] [--customers C] [--chairs K] [--seed N]\n"
    "       [--timeout S] [--scale F]\n"
    "  One barber, K waiting-room chairs, C customers arriving at random moments.\n"
    "  --variant    fixed (default): check \"nobody waits\" and sleep in one step\n"
    "               lost-wakeup: check, let go of the lock, then sleep (exit 3)\n"
    "  --customers  customers (one thread each), 1..256 (default 20)\n"
    "  --chairs     waiting-room chairs, 1..64 (default 3)\n"
    "  --seed       seed of the arrival times, 0..2147483647 (default 1)\n"
    "  --timeout    seconds without any arrival or haircut before the run is called\n"
    "               stuck, 0.5..3600 (default 2); real seconds, times F when F is above 1\n"
    "  --scale      multiply every arrival gap and haircut by F, 0..100 (default 1)\n";

enum variant { VARIANT_FIXED, VARIANT_LOST_WAKEUP };
static const char *const variant_names[] = { "fixed", "lost-wakeup", NULL };

enum { MAX_CUSTOMERS = 256, MAX_CHAIRS = 64 };
static const double longest_gap = 0.2;   /* between two arrivals: 0 .. 0.2 s, before --scale */
static const double haircut = 0.12;      /* one haircut, before --scale */

/* ---- the shop: everything below is read and written under shop.mu ------------------- */

enum customer_state { OUTSIDE, WAITING, IN_CHAIR, SERVED, TURNED_AWAY };
enum barber_state { BARBER_LOOKING, BARBER_ASLEEP, BARBER_CUTTING };

static struct shop {
    pthread_mutex_t mu;
    pthread_cond_t bell;      /* the barber sleeps on it; a customer rings it */
    pthread_cond_t news;      /* broadcast at every arrival and haircut: customers, main */
    int queue[MAX_CHAIRS];    /* the waiting room, first come first served */
    int head, waiting, chairs;
    enum customer_state state[MAX_CUSTOMERS];
    int cuts[MAX_CUSTOMERS];  /* haircuts each customer got: the verdict wants 0 or 1 */
    int served, turned_away, events, max_waiting, in_chair, max_in_chair;
    enum barber_state barber;
    bool barber_in_gap;       /* lost-wakeup: between his check and his sleep */
    int rings_in_gap;         /* rings that came while he was there: nobody heard them */
    bool closed_in_gap;       /* main rang closing time while he was there */
    bool closing;             /* main: every customer is accounted for, go home */
} shop = { .mu = PTHREAD_MUTEX_INITIALIZER };

/* lost-wakeup only: holds the barber in his gap until the first customer has rung. */
static latch gap_held;

/* Record that something happened (an arrival, a haircut). Call with shop.mu held. */
static void announce(void)
{
    shop.events++;
    PT_CHECK(pthread_cond_broadcast(&shop.news));
}

/* ---- the customers ----------------------------------------------------------------- */

struct customer {
    int id;
    double arrive_after;      /* seconds after the doors open, before --scale */
    enum variant variant;
};

static void *customer_main(void *arg)
{
    struct customer *c = arg;
    nap(c->arrive_after);

    PT_CHECK(pthread_mutex_lock(&shop.mu));
    if (shop.waiting == shop.chairs) {
        shop.state[c->id] = TURNED_AWAY;
        shop.turned_away++;
        announce();
        PT_CHECK(pthread_mutex_unlock(&shop.mu));
        return NULL;
    }
    bool rings = shop.waiting == 0;   /* the first in an empty room wakes the barber */
    shop.queue[(shop.head + shop.waiting) % shop.chairs] = c->id;
    shop.waiting++;
    if (shop.waiting > shop.max_waiting)
        shop.max_waiting = shop.waiting;
    shop.state[c->id] = WAITING;
    if (rings) {
        if (shop.barber_in_gap)
            shop.rings_in_gap++;
        PT_CHECK(pthread_cond_signal(&shop.bell));
    }
    announce();
    if (rings && c->variant == VARIANT_LOST_WAKEUP) {
        PT_CHECK(pthread_mutex_unlock(&shop.mu));
        latch_open(&gap_held);   /* the ring is over: let the barber out of his gap */
        PT_CHECK(pthread_mutex_lock(&shop.mu));
    }
    while (shop.state[c->id] != SERVED)   /* wait for the haircut, however long */
        PT_CHECK(pthread_cond_wait(&shop.news, &shop.mu));
    PT_CHECK(pthread_mutex_unlock(&shop.mu));
    return NULL;
}

/* ---- the barber -------------------------------------------------------------------- */

/* Take the next customer and cut. Call with shop.mu held and a customer waiting; returns
 * with it held again. */
static void cut_next(void)
{
    int id = shop.queue[shop.head];
    shop.head = (shop.head + 1) % shop.chairs;
    shop.waiting--;
    shop.state[id] = IN_CHAIR;
    shop.barber = BARBER_CUTTING;
    if (++shop.in_chair > shop.max_in_chair)
        shop.max_in_chair = shop.in_chair;
    PT_CHECK(pthread_mutex_unlock(&shop.mu));

    nap(haircut);

    PT_CHECK(pthread_mutex_lock(&shop.mu));
    shop.in_chair--;
    shop.cuts[id]++;
    shop.state[id] = SERVED;
    shop.served++;
    shop.barber = BARBER_LOOKING;
    announce();
}

/* FIXED: the check and the sleep are one step. pthread_cond_wait releases the mutex and
 * sleeps atomically, and the while looks again after every wakeup (spurious ones too). */
static void barber_fixed(void)
{
    PT_CHECK(pthread_mutex_lock(&shop.mu));
    for (;;) {
        while (shop.waiting == 0 && !shop.closing) {
            shop.barber = BARBER_ASLEEP;
            PT_CHECK(pthread_cond_wait(&shop.bell, &shop.mu));
            shop.barber = BARBER_LOOKING;
        }
        if (shop.waiting == 0)   /* closing, and nobody left */
            break;
        cut_next();
    }
    PT_CHECK(pthread_mutex_unlock(&shop.mu));
}

/* BROKEN: looks at the room under the lock, lets go, and sleeps later without looking
 * again: a ring between the two is lost. */
static void barber_lost_wakeup(void)
{
    for (;;) {
        PT_CHECK(pthread_mutex_lock(&shop.mu));
        if (shop.waiting > 0) {
            cut_next();
            PT_CHECK(pthread_mutex_unlock(&shop.mu));
            continue;
        }
        if (shop.closing) {
            PT_CHECK(pthread_mutex_unlock(&shop.mu));
            return;
        }
        shop.barber_in_gap = true;
        PT_CHECK(pthread_mutex_unlock(&shop.mu));

        latch_wait(&gap_held);   /* the gap, held open until the first ring (see the header) */

        PT_CHECK(pthread_mutex_lock(&shop.mu));
        shop.barber_in_gap = false;
        shop.barber = BARBER_ASLEEP;
        PT_CHECK(pthread_cond_wait(&shop.bell, &shop.mu));   /* no second look */
        shop.barber = BARBER_LOOKING;
        PT_CHECK(pthread_mutex_unlock(&shop.mu));
    }
}

static void *barber_main(void *arg)
{
    enum variant variant = *(enum variant *)arg;
    if (variant == VARIANT_LOST_WAKEUP)
        barber_lost_wakeup();
    else
        barber_fixed();
    return NULL;
}

/* ---- the supervisor ------------------------------------------------------------------ */

/* Who waits for whom, once nothing has happened for a while. Call with shop.mu held. */
static void explain_stuck(int customers, double quiet_s)
{
    static const char *const barber_words[] = {
        [BARBER_LOOKING] = "is awake", [BARBER_ASLEEP] = "sleeps, waiting for the bell",
        [BARBER_CUTTING] = "is cutting",
    };
    printf("stuck: nothing has happened for %.1f s\n", quiet_s);
    printf("stuck: the barber %s%s\n", barber_words[shop.barber],
           shop.barber_in_gap ? ", between his check and his sleep" : "");
    for (int i = 0; i < shop.waiting; i++)
        printf("stuck: customer %d sits in the waiting room, waiting for the barber\n",
               shop.queue[(shop.head + i) % shop.chairs] + 1);
    for (int id = 0; id < customers; id++)
        if (shop.state[id] == IN_CHAIR)
            printf("stuck: customer %d sits in the chair, waiting for the haircut to end\n",
                   id + 1);
    int later = shop.waiting + shop.turned_away - shop.rings_in_gap;   /* after the lost ring */
    if (shop.rings_in_gap > 0)
        printf("stuck: lost wakeup: %d ring%s of the bell came while the barber was between "
               "\"nobody waits\" and his sleep, and nobody heard %s\n", shop.rings_in_gap,
               shop.rings_in_gap == 1 ? "" : "s", shop.rings_in_gap == 1 ? "it" : "them");
    if (shop.rings_in_gap > 0 && later > 0)
        printf("stuck: the %d customer%s who came later found someone waiting, so did not "
               "ring\n", later, later == 1 ? "" : "s");
}

/* Main waits until every customer is served or turned away, or until nothing at all has
 * happened for `timeout` seconds: then it says why and ends the program (exit 3). */
static void supervise(enum variant variant, int customers, double timeout)
{
    PT_CHECK(pthread_mutex_lock(&shop.mu));
    while (shop.served + shop.turned_away < customers) {
        int seen = shop.events;
        double quiet_from = now_s();
        struct timespec deadline = deadline_after(timeout);
        int rc = 0;
        while (shop.events == seen && rc == 0)
            rc = pthread_cond_timedwait(&shop.news, &shop.mu, &deadline);
        if (rc != 0 && rc != ETIMEDOUT)
            die_rc("pthread_cond_timedwait", rc);
        if (shop.events == seen) {
            explain_stuck(customers, now_s() - quiet_from);
            die_stuck("variant=%s customers=%d served=%d turned_away=%d waiting=%d "
                      "stuck_after=%gs", variant_names[variant], customers, shop.served,
                      shop.turned_away, shop.waiting, timeout);
        }
    }
    shop.closing = true;
    shop.closed_in_gap = shop.barber_in_gap;
    PT_CHECK(pthread_cond_signal(&shop.bell));
    PT_CHECK(pthread_mutex_unlock(&shop.mu));
}

/* After closing time the barber must hear the bell and go home; the broken one can miss
 * that ring as well (the Try in the header makes it likely), so main's joins are bounded
 * too: a watchdog calls this if they do not end within --timeout. */
struct closing {
    enum variant variant;
    int customers;
    double timeout;
};

static void closing_not_heard(void *arg)
{
    const struct closing *c = arg;
    /* The shop's state is read under its lock; but a watchdog must not hang in its turn,
     * so it tries for a second only (no thread of this lesson holds the lock that long). */
    const struct timespec pause = { .tv_nsec = 10000000 };   /* 10 ms, real, not --scale'd */
    int rc = EBUSY;
    for (int tries = 0; tries < 100 && (rc = pthread_mutex_trylock(&shop.mu)) == EBUSY; tries++)
        nanosleep(&pause, NULL);
    if (rc != 0) {
        printf("stuck: %.1f s after closing time a thread still holds the shop's lock\n",
               c->timeout);
        verdict_stuck("variant=%s customers=%d stuck_after=%gs", variant_names[c->variant],
                      c->customers, c->timeout);
        _exit(EXIT_STUCK);
    }
    printf("stuck: every customer is accounted for, but the barber has not gone home "
           "%.1f s after closing time\n", c->timeout);
    if (shop.closed_in_gap)
        printf("stuck: lost wakeup: main rang closing time while the barber was between "
               "\"nobody waits\" and his sleep, and he sleeps through it\n");
    verdict_stuck("variant=%s customers=%d served=%d turned_away=%d waiting=%d "
                  "stuck_after=%gs", variant_names[c->variant], c->customers, shop.served,
                  shop.turned_away, shop.waiting, c->timeout);
    _exit(EXIT_STUCK);
}

/* Every served customer cut exactly once, nobody else cut at all. */
static int wrongly_cut(int customers)
{
    int wrong = 0;
    for (int id = 0; id < customers; id++)
        wrong += shop.cuts[id] != (shop.state[id] == SERVED ? 1 : 0);
    return wrong;
}

/* ---- main ---------------------------------------------------------------------------- */

int main(int argc, char **argv)
{
    cli_setup(argv[0], usage);
    QUIZ(quiz);
    enum variant variant = VARIANT_FIXED;
    long customers = 20, chairs = 3;
    uint64_t seed = 1;
    double timeout = 2.0;

    static const struct option opts[] = {
        { "variant", required_argument, NULL, 'v' },
        { "customers", required_argument, NULL, 'c' },
        { "chairs", required_argument, NULL, 'k' },
        { "seed", required_argument, NULL, 'r' },
        { "timeout", required_argument, NULL, 't' },
        { "scale", required_argument, NULL, 's' },
        CLI_QUIZ, CLI_HELP, CLI_END,
    };
    for (int c; (c = cli_next(argc, argv, opts)) != -1;) {
        switch (c) {
        case 'v': variant = (enum variant)parse_choice("--variant", optarg, variant_names); break;
        case 'c': customers = parse_long("--customers", optarg, 1, MAX_CUSTOMERS); break;
        case 'k': chairs = parse_long("--chairs", optarg, 1, MAX_CHAIRS); break;
        case 'r': seed = (uint64_t)parse_long("--seed", optarg, 0, 2147483647L); break;
        case 't': timeout = parse_double("--timeout", optarg, 0.5, 3600); break;
        case 's': time_scale = parse_double("--scale", optarg, 0, 100); break;
        }
    }
    timeout = scaled_timeout(timeout);

    shop.chairs = (int)chairs;
    PT_CHECK(pthread_cond_init(&shop.bell, NULL));
    cond_init_monotonic(&shop.news);   /* the supervisor's deadlines use it */
    latch_init(&gap_held);
    printf("%ld customers, %ld chairs, seed %llu, variant %s\n", customers, chairs,
           (unsigned long long)seed, variant_names[variant]);

    /* The barber opens the shop. The broken one is let reach his gap before anyone comes,
     * so the first ring falls into it on every run. */
    pthread_t barber;
    PT_CHECK(pthread_create(&barber, NULL, barber_main, &variant));
    if (variant == VARIANT_LOST_WAKEUP)
        latch_await_arrivals(&gap_held, 1);

    /* The customers, at seeded random moments. */
    static struct customer people[MAX_CUSTOMERS];
    pthread_t tids[MAX_CUSTOMERS];
    uint64_t rng = seed;
    double at = 0;
    for (long i = 0; i < customers; i++) {
        at += longest_gap * (double)rng_below(&rng, 1001) / 1000;
        people[i] = (struct customer){ .id = (int)i, .arrive_after = at, .variant = variant };
        PT_CHECK(pthread_create(&tids[i], NULL, customer_main, &people[i]));
    }

    supervise(variant, (int)customers, timeout);   /* ends the program if it gets stuck */
    struct closing closing = { variant, (int)customers, timeout };
    watchdog dog;
    watchdog_start(&dog, timeout, closing_not_heard, &closing);
    for (long i = 0; i < customers; i++)
        PT_CHECK(pthread_join(tids[i], NULL));
    PT_CHECK(pthread_join(barber, NULL));
    watchdog_stop(&dog);

    int wrong = wrongly_cut((int)customers);
    printf("served %d, turned away %d (every chair taken), most waiting at once %d of %ld\n",
           shop.served, shop.turned_away, shop.max_waiting, chairs);
    if (wrong > 0)
        printf("%d customers were not cut exactly once as they should have been\n", wrong);
    latch_destroy(&gap_held);
    PT_CHECK(pthread_cond_destroy(&shop.news));
    PT_CHECK(pthread_cond_destroy(&shop.bell));

    bool ok = shop.served + shop.turned_away == customers && shop.max_waiting <= chairs &&
              shop.max_in_chair <= 1 && wrong == 0;
    return verdict(ok, "variant=%s customers=%ld served=%d turned_away=%d chairs=%ld "
                   "max_waiting=%d max_in_chair=%d", variant_names[variant], customers,
                   shop.served, shop.turned_away, chairs, shop.max_waiting, shop.max_in_chair);
}
