/* bank_check.c: the checks of exercise "bank" (see grade.h). */
#include "bank.h"
#include "grade.h"

enum { ACCOUNTS = 8, INITIAL = 100, THREADS = 4 };

static bool refuses_overdraft(char *why, size_t size)
{
    bank b;
    bank_init(&b, 2, INITIAL);
    bool moved = bank_transfer(&b, 0, 1, INITIAL + 1);
    long from = bank_balance(&b, 0), to = bank_balance(&b, 1);
    bank_destroy(&b);
    snprintf(why, size, "transfer of %d from a balance of %d returned %s, balances now %ld and %ld",
             INITIAL + 1, INITIAL, moved ? "true" : "false", from, to);
    return !moved && from == INITIAL && to == INITIAL;
}

typedef struct mover {
    bank *b;
    uint64_t seed;
    int64_t until; /* go on at least until then (now_ns) */
    long refused;
} mover;

/* At least 200,000 transfers, and for at least STORM_S seconds: long enough that the
 * threads overlap, and that an unlocked transfer loses an update in every run, even on a
 * busy machine where they take turns on one CPU (a preemption must land in its window). */
static void *move_money(void *arg)
{
    mover *m = arg;
    for (long i = 0, n = grade_size(200000); i < n || now_ns() < m->until; i++) {
        int from = (int)rng_below(&m->seed, ACCOUNTS), to = (int)rng_below(&m->seed, ACCOUNTS);
        if (from != to && !bank_transfer(m->b, from, to, 1 + (long)rng_below(&m->seed, 40)))
            m->refused++;
    }
    return NULL;
}

static void transfer_storm(bank *b)
{
    const double STORM_S = 0.1;
    mover m[THREADS];
    int64_t until = now_ns() + (int64_t)(STORM_S * 1e9);
    for (int i = 0; i < THREADS; i++)
        m[i] = (mover){ .b = b, .seed = 0x1234u + (uint64_t)i, .until = until };
    grade_run_threads(THREADS, move_money, m, sizeof m[0]);
}

static bool total_conserved(char *why, size_t size)
{
    bank b;
    bank_init(&b, ACCOUNTS, INITIAL);
    transfer_storm(&b);
    long total = bank_total(&b);
    bank_destroy(&b);
    snprintf(why, size, "total=%ld expected=%d after %d threads' transfers", total,
             ACCOUNTS * INITIAL, THREADS);
    return total == ACCOUNTS * INITIAL;
}

typedef struct audit {
    bank *b;
    atomic_bool stop;
    long audits, wrong_total, negative;
} audit;

static void *auditor(void *arg)
{
    audit *a = arg;
    while (!atomic_load(&a->stop)) {
        a->audits++;
        if (bank_total(a->b) != ACCOUNTS * INITIAL)
            a->wrong_total++;
        for (int i = 0; i < ACCOUNTS; i++)
            if (bank_balance(a->b, i) < 0)
                a->negative++;
    }
    return NULL;
}

static bool audits_consistent(char *why, size_t size)
{
    bank b;
    bank_init(&b, ACCOUNTS, INITIAL);
    audit a = { .b = &b };
    pthread_t t;
    PT_CHECK(pthread_create(&t, NULL, auditor, &a));
    transfer_storm(&b);
    atomic_store(&a.stop, true);
    PT_CHECK(pthread_join(t, NULL));
    bank_destroy(&b);
    snprintf(why, size, "%ld audits during the transfers: %ld saw a wrong total; %ld balances read were negative",
             a.audits, a.wrong_total, a.negative);
    return a.wrong_total == 0 && a.negative == 0;
}

const grade_exercise grade_this = {
    .name = "bank",
    .helgrind = true,
    .checks = {
        { .name = "single thread: a transfer the balance cannot cover is refused", .run = refuses_overdraft },
        { .name = "invariant: total conserved", .run = total_conserved, .after_core = true },
        { .name = "invariant: audits see the right total and no negative balance", .run = audits_consistent },
    },
};
