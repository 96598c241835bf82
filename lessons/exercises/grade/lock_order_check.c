/* lock_order_check.c: the checks of exercise "lock_order" (see grade.h). A deadlock is
 * recognised by its stall: no transfer completes for STALL_S seconds (a slow machine is
 * slow, it does not stop). The driver's --limit stays behind that, as a safety net. */
#include "grade.h"
#include "lock_order.h"

enum { INITIAL = 1000, MAX_MOVERS = 4 };

typedef struct mover {
    account *from, *to;
    atomic_long done; /* transfers completed: the watcher's sign of life */
    atomic_bool finished;
} mover;

static void *move_money(void *arg)
{
    mover *m = arg;
    for (long i = grade_size(200000); i > 0; i--) {
        transfer(m->from, m->to, 1 + i % 7);
        atomic_fetch_add_explicit(&m->done, 1, memory_order_relaxed);
    }
    atomic_store(&m->finished, true);
    return NULL;
}

/* Runs the movers, one thread each, watching them; true if they all finished and the
 * accounts' total is intact. On a deadlock it returns false at once and leaves the
 * threads and the locks as they are: the check's process ends with them. */
static bool run_movers(account *a, int accounts, mover *m, int threads, char *why, size_t size)
{
    const double stall_s = grade_small ? 10 : 1; /* a tool slows every step */
    pthread_t t[MAX_MOVERS];
    for (int i = 0; i < threads; i++) {
        HELGRIND_IGNORE(m[i].done); /* atomics: helgrind would call them races */
        HELGRIND_IGNORE(m[i].finished);
        PT_CHECK(pthread_create(&t[i], NULL, move_money, &m[i]));
    }
    long seen = -1;
    for (int64_t last_move = now_ns();; nap(0.01)) {
        long done = 0;
        int finished = 0;
        for (int i = 0; i < threads; i++) {
            done += atomic_load(&m[i].done);
            finished += atomic_load(&m[i].finished);
        }
        if (finished == threads)
            break;
        if (done != seen) {
            seen = done;
            last_move = now_ns();
        } else if (now_ns() - last_move > (int64_t)(stall_s * 1e9)) {
            snprintf(why, size, "stalled: no transfer completed for %g s, after %ld (a deadlock)", stall_s, done);
            return false;
        }
    }
    for (int i = 0; i < threads; i++)
        PT_CHECK(pthread_join(t[i], NULL));
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
    mover m[2] = { { .from = &a[0], .to = &a[1] }, { .from = &a[1], .to = &a[0] } };
    if (!run_movers(a, 2, m, 2, why, size))
        return false;
    for (int i = 0; i < 2; i++)
        account_destroy(&a[i]);
    return true;
}

static bool ring_of_three(char *why, size_t size)
{
    account a[3];
    for (int i = 0; i < 3; i++)
        account_init(&a[i], i, INITIAL);
    mover m[4] = { { .from = &a[0], .to = &a[1] }, { .from = &a[1], .to = &a[2] },
                   { .from = &a[2], .to = &a[0] }, { .from = &a[1], .to = &a[0] } };
    if (!run_movers(a, 3, m, 4, why, size))
        return false;
    for (int i = 0; i < 3; i++)
        account_destroy(&a[i]);
    return true;
}

typedef struct probe {
    account *from, *to;
    atomic_bool calling;
} probe;

static void *transfer_once(void *arg)
{
    probe *p = arg;
    atomic_store(&p->calling, true);
    transfer(p->from, p->to, 1);
    return NULL;
}

/* Holding a[0]'s lock, runs transfer(from, to) in a thread: does it lock a[1] first (and
 * then wait for a[0])? A transfer that takes a[0] first waits at once and leaves a[1] free. */
static bool takes_a1_first(account *a, account *from, account *to)
{
    probe p = { .from = from, .to = to };
    PT_CHECK(pthread_mutex_lock(&a[0].mu));
    pthread_t t;
    PT_CHECK(pthread_create(&t, NULL, transfer_once, &p));
    grade_wait_flag(&p.calling, 5);
    bool taken = false;
    for (int64_t until = now_ns() + 200000000; !taken && now_ns() < until; nap(0.001)) {
        int rc = pthread_mutex_trylock(&a[1].mu);
        if (rc == 0)
            PT_CHECK(pthread_mutex_unlock(&a[1].mu));
        else if (rc == EBUSY)
            taken = true;
        else
            die_rc("pthread_mutex_trylock", rc);
    }
    PT_CHECK(pthread_mutex_unlock(&a[0].mu));
    PT_CHECK(pthread_join(t, NULL));
    return taken;
}

/* Deterministic where the deadlock checks need luck: which lock does each direction take
 * first? A global order takes the same one in both directions. */
static bool same_order_both_ways(char *why, size_t size)
{
    account a[2];
    for (int i = 0; i < 2; i++)
        account_init(&a[i], i, INITIAL);
    bool forward = takes_a1_first(a, &a[0], &a[1]), backward = takes_a1_first(a, &a[1], &a[0]);
    for (int i = 0; i < 2; i++)
        account_destroy(&a[i]);
    snprintf(why, size, "while the grader held a0: transfer(a0, a1) %s, transfer(a1, a0) %s",
             forward ? "locked a1" : "left a1 free for 0.2 s",
             backward ? "locked a1" : "left a1 free for 0.2 s");
    return forward == backward;
}

const grade_exercise grade_this = {
    .name = "lock_order",
    .helgrind = true,
    .checks = {
        { .name = "lock order: transfer(a, b) and transfer(b, a) take the same lock first", .run = same_order_both_ways },
        { .name = "no deadlock: transfer(a, b) and transfer(b, a) at once; money conserved", .run = opposite_directions, .after_core = true },
        { .name = "no deadlock: 4 threads around a ring of 3 accounts; money conserved", .run = ring_of_three, .after_core = true },
    },
};
