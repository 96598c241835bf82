/* event_check.c: the checks of exercise "event" (see grade.h). A wait that never returns
 * is killed by the driver after --limit and reported stuck. */
#include "event.h"
#include "grade.h"

enum { WAITERS = 3 };

/* Which clock each condition variable was given. A deadline on the wall clock jumps when
 * the clock is set (NTP, a user), and no test can set it, so this asks instead: the
 * checker is linked with -Wl,--wrap=pthread_cond_init (a GNU ld option; the Makefile's
 * rule for this exercise), which sends every pthread_cond_init of the program, the
 * student's included, through here first. */
enum { CV_SEEN_MAX = 64 };
static struct { const pthread_cond_t *cv; clockid_t clock; } cv_seen[CV_SEEN_MAX];
static atomic_int cv_seen_n;

int __real_pthread_cond_init(pthread_cond_t *cv, const pthread_condattr_t *attr);
int __wrap_pthread_cond_init(pthread_cond_t *cv, const pthread_condattr_t *attr);
int __wrap_pthread_cond_init(pthread_cond_t *cv, const pthread_condattr_t *attr)
{
    clockid_t clock = CLOCK_REALTIME; /* the default without an attribute */
    if (attr)
        PT_CHECK(pthread_condattr_getclock(attr, &clock));
    int i = atomic_fetch_add(&cv_seen_n, 1);
    if (i < CV_SEEN_MAX)
        cv_seen[i].cv = cv, cv_seen[i].clock = clock;
    return __real_pthread_cond_init(cv, attr);
}

static bool monotonic_cv(char *why, size_t size)
{
    event e;
    int from = atomic_load(&cv_seen_n);
    event_init(&e);
    int to = atomic_load(&cv_seen_n);
    const char *got = "never initialised by event_init";
    bool ok = false;
    for (int i = from; i < to && i < CV_SEEN_MAX; i++)
        if (cv_seen[i].cv == &e.cv) {
            ok = cv_seen[i].clock == CLOCK_MONOTONIC;
            got = ok ? "CLOCK_MONOTONIC" : "the wall clock (CLOCK_REALTIME): a timed wait jumps when it is set";
        }
    event_destroy(&e);
    snprintf(why, size, "event_init gave e.cv %s", got);
    return ok;
}

typedef struct waiters {
    event e;
    atomic_int started, returned, early; /* early: returned before event_set was called */
    atomic_bool set_called;
} waiters;

static void *waiter(void *arg)
{
    waiters *w = arg;
    atomic_fetch_add(&w->started, 1);
    event_wait(&w->e);
    if (!atomic_load(&w->set_called))
        atomic_fetch_add(&w->early, 1);
    atomic_fetch_add(&w->returned, 1);
    return NULL;
}

static bool wait_until_set(char *why, size_t size)
{
    waiters w = { .started = 0 };
    event_init(&w.e);
    pthread_t t[WAITERS];
    for (int i = 0; i < WAITERS; i++)
        PT_CHECK(pthread_create(&t[i], NULL, waiter, &w));
    while (atomic_load(&w.started) < WAITERS)
        nap(0.001);
    nap(0.05); /* time for a wrong wait to return early */
    atomic_store(&w.set_called, true);
    event_set(&w.e);
    for (int i = 0; i < WAITERS; i++)
        PT_CHECK(pthread_join(t[i], NULL));
    event_destroy(&w.e);
    snprintf(why, size, "%d waiters: %d returned, %d of them before event_set", WAITERS,
             atomic_load(&w.returned), atomic_load(&w.early));
    return atomic_load(&w.early) == 0;
}

static bool set_before_wait(char *why, size_t size)
{
    event e;
    event_init(&e);
    event_set(&e);
    event_wait(&e); /* must return at once: a hang is killed */
    bool timed = event_timed_wait(&e, 5), is_set = event_is_set(&e);
    event_destroy(&e);
    snprintf(why, size, "after set: wait returned, timed wait returned %s, is_set %s",
             timed ? "true" : "false", is_set ? "true" : "false");
    return timed && is_set;
}

/* A timed wait of `timeout` on e (clear): false, and not before the timeout. */
static bool times_out(event *e, double timeout, char *why, size_t size)
{
    int64_t start = now_ns();
    bool got = event_timed_wait(e, timeout);
    double took = (double)(now_ns() - start) / 1e9;
    snprintf(why, size, "timed wait of %gs on a clear event returned %s after %.3fs", timeout,
             got ? "true" : "false", took);
    return !got && took >= timeout;
}

static bool timed_wait_times_out(char *why, size_t size)
{
    event e;
    event_init(&e);
    bool ok = times_out(&e, 0.2, why, size);
    event_destroy(&e);
    return ok;
}

static bool clear_closes_again(char *why, size_t size)
{
    event e;
    event_init(&e);
    event_set(&e);
    event_clear(&e);
    bool is_set = event_is_set(&e);
    bool ok = times_out(&e, 0.1, why, size);
    event_destroy(&e);
    if (is_set)
        snprintf(why, size, "is_set after set then clear returned true");
    return ok && !is_set;
}

typedef struct timed_waiter {
    event e;
    atomic_bool started;
    bool got;
} timed_waiter;

static void *wait_long(void *arg)
{
    timed_waiter *w = arg;
    atomic_store(&w->started, true);
    w->got = event_timed_wait(&w->e, 60); /* the driver's limit ends it sooner if stuck */
    return NULL;
}

static bool set_ends_timed_wait(char *why, size_t size)
{
    timed_waiter w = { .got = false };
    event_init(&w.e);
    pthread_t t;
    PT_CHECK(pthread_create(&t, NULL, wait_long, &w));
    grade_wait_flag(&w.started, 5);
    nap(0.05);
    event_set(&w.e);
    PT_CHECK(pthread_join(t, NULL));
    event_destroy(&w.e);
    snprintf(why, size, "a timed wait of 60s, set after 0.05s, returned %s", w.got ? "true" : "false");
    return w.got;
}

const grade_exercise grade_this = {
    .name = "event",
    .helgrind = true,
    .checks = {
        { .name = "invariant: wait returns only after set, and set wakes all 3 waiters", .run = wait_until_set },
        { .name = "a set event: wait and timed wait return at once, true", .run = set_before_wait, .after_core = true },
        { .name = "timed wait on a clear event returns false, not before its timeout", .run = timed_wait_times_out },
        { .name = "a set during a timed wait makes it return true", .run = set_ends_timed_wait },
        { .name = "clear: after set and clear, a timed wait times out again", .run = clear_closes_again },
        { .name = "the condition variable runs on CLOCK_MONOTONIC", .run = monotonic_cv },
    },
};
