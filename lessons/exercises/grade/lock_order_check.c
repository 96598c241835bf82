/* lock_order_check.c: the checks of exercise "lock_order" (see grade.h). A deadlocked
 * check never returns: the driver kills it after --limit and reports it stuck. */
#include "grade.h"
#include "lock_order.h"

enum { INITIAL = 1000 };

typedef struct mover {
    account *from, *to;
} mover;

static void *move_money(void *arg)
{
    mover *m = arg;
    for (long i = grade_size(200000); i > 0; i--)
        transfer(m->from, m->to, 1 + i % 7);
    return NULL;
}

/* Runs the movers, one thread each; true if the accounts' total is intact. */
static bool run_movers(account *a, int accounts, mover *m, int threads, char *why, size_t size)
{
    grade_run_threads(threads, move_money, m, sizeof m[0]);
    long total = 0;
    for (int i = 0; i < accounts; i++)
        total += account_balance(&a[i]);
    snprintf(why, size, "finished, total=%ld expected=%d", total, accounts * INITIAL);
    return total == (long)accounts * INITIAL;
}

static bool opposite_directions(char *why, size_t size)
{
    account a[2];
    for (int i = 0; i < 2; i++)
        account_init(&a[i], i, INITIAL);
    /* Both directions once from one thread first: that cannot deadlock, but it shows a
     * lock-order checker (tsan, helgrind) both orders in every run, deadlock or not. */
    transfer(&a[0], &a[1], 1);
    transfer(&a[1], &a[0], 1);
    mover m[2] = { { &a[0], &a[1] }, { &a[1], &a[0] } };
    bool ok = run_movers(a, 2, m, 2, why, size);
    for (int i = 0; i < 2; i++)
        account_destroy(&a[i]);
    return ok;
}

static bool ring_of_three(char *why, size_t size)
{
    account a[3];
    for (int i = 0; i < 3; i++)
        account_init(&a[i], i, INITIAL);
    mover m[4] = { { &a[0], &a[1] }, { &a[1], &a[2] }, { &a[2], &a[0] }, { &a[1], &a[0] } };
    bool ok = run_movers(a, 3, m, 4, why, size);
    for (int i = 0; i < 3; i++)
        account_destroy(&a[i]);
    return ok;
}

const grade_exercise grade_this = {
    .name = "lock_order",
    .helgrind = true,
    .checks = {
        { "no deadlock: transfer(a, b) and transfer(b, a) at once; money conserved", opposite_directions },
        { "no deadlock: 4 threads around a ring of 3 accounts; money conserved", ring_of_three },
    },
};
