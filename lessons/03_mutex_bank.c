/*
 * 03_mutex_bank: a mutex lets one thread at a time into a critical section: one cook at
 * the frying pan, one teller at an account.
 *
 *   make && ./build/03_mutex_bank              # the pan, then a bank with one account
 *   make run L=03 ARGS='--accounts 4'          # four accounts, each with its own mutex
 *   ./build/03_mutex_bank --variant unsafe     # the same without any lock: see the damage
 *   ./build/03_mutex_bank --scale 0.01 --rounds 1000   # fast, for tests
 *
 * Notice: part one, several dishes share one frying pan. Each cook locks the pan's mutex
 * before cooking, so "cooks at the pan" never goes above 1 and the dishes take turns.
 * Part two, depositor and withdrawer threads pay random amounts into and out of the
 * accounts; a withdrawal is refused when the money is not there. Each account's balance
 * is read and then written a moment later, and its mutex makes that pair one step: no
 * deposit is lost, no withdrawal overdraws. With --variant unsafe the locks are skipped
 * and nothing else changes: several cooks crowd the pan, and the ledger no longer adds up
 * (balance != expected: deposits overwritten, or withdrawals paid out that the balance
 * never saw). In some runs, not all, a withdrawal even leaves the balance below zero
 * (lowest < 0).
 * Try: make tsan L=03 ARGS='--variant unsafe --rounds 1000': ThreadSanitizer names the
 * lines that race. With --variant locked (the default) it stays silent.
 *
 * Verdict: after joining every thread, main checks that at most one cook was ever at
 * the pan and that, for every account, balance == initial + deposits - withdrawals and
 * the balance never went below zero:
 *   "RESULT variant=locked pan_max_cooks=1 accounts=A balanced=A balance=B expected=B lowest=L OK"
 * (exit 0), or "... FAIL" (exit 1), which --variant unsafe usually gets.
 */
#include "program.h"
#include "trace.h"
#include "quizzes/03_mutex_bank.h" /* --quiz and --answers: its questions */

#include <stdatomic.h>

static const char usage[] =
    "[--dishes N] [--accounts N] [--depositors N] [--withdrawers N] [--rounds N]\n"
    "       [--seed S] [--variant locked|unsafe] [--scale F] [--trace PATH]\n"
    "  part one: N dishes share one frying pan (a mutex);\n"
    "  part two: depositors and withdrawers move random amounts in and out of accounts.\n"
    "  --dishes       cooks sharing the pan, 1..64 (default 4)\n"
    "  --accounts     accounts, each with its own mutex, 1..64 (default 1)\n"
    "  --depositors   depositor threads, 1..256 (default 2)\n"
    "  --withdrawers  withdrawer threads, 1..256 (default 2)\n"
    "  --rounds       transactions per depositor or withdrawer, 1..10000000 (default 100000)\n"
    "  --seed         seed for the random amounts, 0..2147483647 (default 1)\n"
    "  --variant      locked (default): the pan and each account behind its own mutex;\n"
    "                 unsafe: skip every lock, to see what the mutexes prevent (usually exit 1)\n"
    "  --scale        multiply every sleep by F, 0..100 (default 1; 0.01 for tests)\n"
    "  --trace        write when each cook waited for the pan and fried to PATH (JSON; make\n"
    "                 timeline L=03 draws it: one bar in the pan at a time, or with\n"
    "                 --variant unsafe, several)\n";

enum { MAX_DISHES = 64, MAX_ACCOUNTS = 64, MAX_TELLERS = 256 };
enum { INITIAL_BALANCE = 100, MAX_AMOUNT = 100 };
static const double frying_seconds = 0.4;

enum variant { VARIANT_LOCKED, VARIANT_UNSAFE };
static const char *const variant_names[] = { "locked", "unsafe", NULL };

/* --variant unsafe turns lock and unlock into nothing; every other line stays the same, so
 * the difference you see is the difference the mutex makes. */
static enum variant variant = VARIANT_LOCKED;

static void lock(pthread_mutex_t *m)
{
    if (variant == VARIANT_UNSAFE)
        return;                          /* BROKEN: no lock, every thread walks straight in */
    PT_CHECK(pthread_mutex_lock(m));     /* FIXED: one thread at a time until unlock */
}

static void unlock(pthread_mutex_t *m)
{
    if (variant == VARIANT_UNSAFE)
        return;
    PT_CHECK(pthread_mutex_unlock(m));
}

/* ---- part one: one frying pan, several dishes --------------------------------------- */

static pthread_mutex_t pan = PTHREAD_MUTEX_INITIALIZER;

/* The measuring instrument: how many cooks are at the pan right now, and the most ever
 * seen. It must stay correct even when the pan's mutex is skipped, so it uses atomic
 * operations (08_race_counter sets them beside a mutex): each is one indivisible step. */
static atomic_int cooks_at_pan;
static atomic_int most_cooks_at_pan;

static int step_up_to_pan(void)
{
    int now = atomic_fetch_add(&cooks_at_pan, 1) + 1;
    int most = atomic_load(&most_cooks_at_pan);
    while (now > most && !atomic_compare_exchange_weak(&most_cooks_at_pan, &most, now))
        ;   /* someone else raised the maximum meanwhile: `most` now holds theirs; retry */
    return now;
}

static void step_away_from_pan(void)
{
    atomic_fetch_sub(&cooks_at_pan, 1);
}

static const char *const dish_names[] = {
    "omelette", "pancakes", "bacon", "mushrooms", "tomatoes", "potatoes", "fish", "tofu",
};

struct cook {
    pthread_t tid;
    const char *dish;
};

static void *fry(void *arg)
{
    const struct cook *cook = arg;
    trace_thread_name("%s", cook->dish);
    int64_t t0 = trace_start();
    lock(&pan);                                  /* wait until the pan is free */
    trace_span(t0, "wait", "wait for the pan");
    t0 = trace_start();
    int cooks = step_up_to_pan();
    printf("  %-9s: in the pan (%d cook%s at the pan)\n", cook->dish, cooks,
           cooks == 1 ? "" : "s");
    nap(frying_seconds);
    printf("  %-9s: done\n", cook->dish);
    step_away_from_pan();
    trace_span(t0, "pan", "%s", cook->dish);
    unlock(&pan);                                /* the next cook may go */
    return NULL;
}

static int share_the_pan(int dishes)
{
    static struct cook cooks[MAX_DISHES];
    printf("part one: %d dishes, one frying pan%s\n", dishes,
           variant == VARIANT_UNSAFE ? " (no lock!)" : "");
    for (int i = 0; i < dishes; i++) {
        cooks[i].dish = dish_names[i % (int)(sizeof dish_names / sizeof *dish_names)];
        PT_CHECK(pthread_create(&cooks[i].tid, NULL, fry, &cooks[i]));
    }
    for (int i = 0; i < dishes; i++)
        PT_CHECK(pthread_join(cooks[i].tid, NULL));
    int most = atomic_load(&most_cooks_at_pan);
    printf("main: at most %d cook%s at the pan at once\n", most, most == 1 ? "" : "s");
    return most;
}

/* ---- part two: the bank ------------------------------------------------------------- */

/* Each account has its own mutex, so tellers working on different accounts do not wait
 * for each other; only those at the same account take turns.
 *
 * Why volatile: under --variant unsafe this is a data race, and C then promises nothing,
 * so the compiler could move the read next to the write and shrink the window the lesson
 * wants you to see. volatile keeps every read and write where the code puts it. It is not
 * a lock and it makes nothing atomic; with the mutex it is simply harmless. */
struct account {
    pthread_mutex_t lock;
    volatile long long balance;
    long long lowest;            /* the lowest balance any withdrawal left behind */
};

static struct account bank[MAX_ACCOUNTS];

/* The teller's work between reading the balance and writing it back: checking the
 * notes, stamping the slip. Here it is a short busy loop (no sleep, so the lesson stays
 * fast), and it is what makes the race in --variant unsafe show up nearly every run:
 * another teller has plenty of time to read the same old balance. A real program has a
 * window too, just a narrower one, which is why such bugs hide. */
static void count_banknotes(void)
{
    for (volatile int note = 0; note < 200; note++)
        ;
}

/* Read, work, write. Without the lock, another deposit can land between the read and
 * the write, and this write wipes it out: money vanishes. */
static void deposit(struct account *a, long long amount)
{
    lock(&a->lock);
    long long seen = a->balance;
    count_banknotes();
    a->balance = seen + amount;
    unlock(&a->lock);
}

/* Check, work, act; returns whether the money was paid out. Without the lock, another
 * withdrawal can empty the account after the check said "enough": the balance goes
 * below zero, or (if the two writes cross) money appears from nowhere. */
static bool withdraw(struct account *a, long long amount)
{
    lock(&a->lock);
    bool enough = a->balance >= amount;
    if (enough) {
        count_banknotes();
        long long left = a->balance - amount;
        a->balance = left;
        if (left < a->lowest)
            a->lowest = left;
    }
    unlock(&a->lock);
    return enough;
}

/* One teller thread: its own random numbers, its own ledger. Nothing here is shared
 * except the accounts, so only the accounts need locks. */
struct teller {
    pthread_t tid;
    bool deposits;               /* a depositor, or a withdrawer */
    int id;
    int accounts;
    long rounds;
    uint64_t rng;                /* this teller's own random state */
    long long moved[MAX_ACCOUNTS];   /* paid in (or out) per account */
    long long total;
    long refused;
};

static void *teller_main(void *arg)
{
    struct teller *t = arg;
    for (long r = 0; r < t->rounds; r++) {
        int i = (int)rng_below(&t->rng, (uint64_t)t->accounts);
        long long amount = 1 + (long long)rng_below(&t->rng, MAX_AMOUNT);
        if (t->deposits) {
            deposit(&bank[i], amount);
        } else if (!withdraw(&bank[i], amount)) {
            t->refused++;
            continue;
        }
        t->moved[i] += amount;
        t->total += amount;
    }
    return NULL;
}

/* A different, reproducible starting point for every teller from one --seed. */
static uint64_t teller_seed(long seed, int teller)
{
    uint64_t s = ((uint64_t)seed + 1) * 0x9E3779B97F4A7C15u ^ ((uint64_t)teller + 1);
    rng_next(&s);
    return s;
}

struct bank_result {
    int balanced;                /* accounts whose books add up */
    long long balance, expected, lowest;
};

static struct bank_result run_the_bank(int accounts, int depositors, int withdrawers,
                                       long rounds, long seed)
{
    static struct teller tellers[2 * MAX_TELLERS];
    int n = depositors + withdrawers;

    printf("part two: %d account%s, %d depositors, %d withdrawers, %ld rounds each%s\n",
           accounts, accounts == 1 ? "" : "s", depositors, withdrawers, rounds,
           variant == VARIANT_UNSAFE ? " (no locks!)" : "");
    for (int i = 0; i < accounts; i++) {
        PT_CHECK(pthread_mutex_init(&bank[i].lock, NULL));
        bank[i].balance = INITIAL_BALANCE;
        bank[i].lowest = INITIAL_BALANCE;
    }
    for (int i = 0; i < n; i++) {
        struct teller *t = &tellers[i];
        t->deposits = i < depositors;
        t->id = t->deposits ? i : i - depositors;
        t->accounts = accounts;
        t->rounds = rounds;
        t->rng = teller_seed(seed, i);
        PT_CHECK(pthread_create(&t->tid, NULL, teller_main, t));
    }
    for (int i = 0; i < n; i++)
        PT_CHECK(pthread_join(tellers[i].tid, NULL));

    /* Every thread has been joined: reading their ledgers and the balances is safe. */
    for (int i = 0; i < n; i++) {
        const struct teller *t = &tellers[i];
        if (t->deposits)
            printf("  depositor %d: paid in %lld\n", t->id, t->total);
        else
            printf("  withdrawer %d: took out %lld, refused %ld times\n", t->id, t->total,
                   t->refused);
    }

    struct bank_result r = { 0, 0, 0, INITIAL_BALANCE };
    printf("  account  balance  expected  lowest\n");
    for (int a = 0; a < accounts; a++) {
        long long expected = INITIAL_BALANCE;
        for (int i = 0; i < n; i++)
            expected += tellers[i].deposits ? tellers[i].moved[a] : -tellers[i].moved[a];
        bool ok = bank[a].balance == expected && bank[a].lowest >= 0;
        printf("  %7d %8lld %9lld %7lld%s\n", a, bank[a].balance, expected, bank[a].lowest,
               ok ? "" : "  <- wrong");
        r.balanced += bank[a].balance == expected;
        r.balance += bank[a].balance;
        r.expected += expected;
        if (bank[a].lowest < r.lowest)
            r.lowest = bank[a].lowest;
        PT_CHECK(pthread_mutex_destroy(&bank[a].lock));
    }
    return r;
}

/* ---- main: the outline ---------------------------------------------------------------- */

int main(int argc, char **argv)
{
    cli_setup(argv[0], usage);
    QUIZ(quiz);
    int dishes = 4, accounts = 1, depositors = 2, withdrawers = 2;
    long rounds = 100000, seed = 1;
    static const struct option opts[] = {
        { "dishes", required_argument, NULL, 'd' },
        { "accounts", required_argument, NULL, 'a' },
        { "depositors", required_argument, NULL, 'D' },
        { "withdrawers", required_argument, NULL, 'W' },
        { "rounds", required_argument, NULL, 'r' },
        { "seed", required_argument, NULL, 'S' },
        { "variant", required_argument, NULL, 'v' },
        { "scale", required_argument, NULL, 's' },
        CLI_TRACE, CLI_QUIZ, CLI_HELP, CLI_END,
    };
    for (int c; (c = cli_next(argc, argv, opts)) != -1;) {
        switch (c) {
        case 'd': dishes = (int)parse_long("--dishes", optarg, 1, MAX_DISHES); break;
        case 'a': accounts = (int)parse_long("--accounts", optarg, 1, MAX_ACCOUNTS); break;
        case 'D': depositors = (int)parse_long("--depositors", optarg, 1, MAX_TELLERS); break;
        case 'W': withdrawers = (int)parse_long("--withdrawers", optarg, 1, MAX_TELLERS); break;
        case 'r': rounds = parse_long("--rounds", optarg, 1, 10000000); break;
        case 'S': seed = parse_long("--seed", optarg, 0, INT32_MAX); break;
        case 'v': variant = (enum variant)parse_choice("--variant", optarg, variant_names); break;
        case 's': time_scale = parse_double("--scale", optarg, 0, 100); break;
        }
    }

    int most_cooks = share_the_pan(dishes);
    trace_done_or_die(); /* --trace covers part one: the bank records nothing */
    struct bank_result bank_books = run_the_bank(accounts, depositors, withdrawers, rounds, seed);

    bool ok = most_cooks == 1 && bank_books.balanced == accounts && bank_books.lowest >= 0;
    return verdict(ok, "variant=%s pan_max_cooks=%d accounts=%d balanced=%d balance=%lld "
                       "expected=%lld lowest=%lld",
                   variant_names[variant], most_cooks, accounts, bank_books.balanced,
                   bank_books.balance, bank_books.expected, bank_books.lowest);
}
