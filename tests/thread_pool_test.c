/*
 * thread_pool_test: checks every promise of lessons/lib/thread_pool.h, one line per check.
 *
 *   thread_pool_test                       every group of checks
 *   thread_pool_test --only cancel_race    one group (--list names them)
 *   thread_pool_test stress --rounds 2000  create, submit, cancel at random, shut down, repeat
 *
 * Prints "ok - <check>" or "not ok - <check>" per check and ends with "N passed, M failed";
 * the exit status is 0 iff nothing failed (3 if the watchdog caught a hang, 2 bad usage).
 *
 * Timing never decides an outcome: slow tasks wait on a gate (latch.h) the test opens, and
 * when a test needs a thread to be blocked inside the pool it waits until tp_get_stats says
 * so. The only sleeps are the short timeouts whose expiry is the point of the check (the
 * gate is shut, so nothing can finish in time). The harness is tests/harness.h.
 */
#include "harness.h"
#include "cpu.h"
#include "thread_pool.h"

#include <sched.h>
#include <stdatomic.h>
#include <unistd.h>

/* ---- checks ------------------------------------------------------------------------ */

/* "rc == want", printing both codes' meaning when they differ. */
static bool check_rc(int rc, int want, const char *name)
{
    if (rc == want)
        return check(true, "%s", name);
    return check(false, "%s (got %d \"%s\", want %d \"%s\")", name, rc, tp_strerror(rc), want,
                 tp_strerror(want));
}

static double watchdog_s = 120;

/* ---- test furniture: helper threads (the gates are latch.h's) ------------------------ */

/* Polls the pool's counters until `n` threads wait for space / for futures. */
static void wait_blocked(tp_pool *p, int space, int futures)
{
    for (;;) {
        tp_stats st;
        tp_get_stats(p, &st);
        if (st.waiting_for_space >= space && st.waiting_for_futures >= futures)
            return;
        nap(0.001);
    }
}

/* ---- tasks --------------------------------------------------------------------------- */

static int task_double(void *arg, void **result)
{
    *result = (void *)(2 * (intptr_t)arg);
    return 0;
}

static int task_fail(void *arg, void **result)
{
    *result = "disk on fire";
    return (int)(intptr_t)arg;
}

static int task_count(void *arg, void **result)
{
    (void)result;
    atomic_fetch_add((atomic_int *)arg, 1);
    return 0;
}

/* Waits at a gate, counts its run, returns its value. */
typedef struct gated {
    latch *g;
    intptr_t value;
    atomic_int ran;
} gated;

static int task_gated(void *arg, void **result)
{
    gated *t = arg;
    atomic_fetch_add(&t->ran, 1);
    latch_wait(t->g);
    *result = (void *)t->value;
    return 0;
}

static int task_name(void *arg, void **result)
{
    (void)arg;
    const char *name = tp_current_worker_name();
    *result = name ? strdup(name) : NULL;
    return name ? 0 : 1;
}

/* A helper thread that blocks in one pool call and records what it returned. */
typedef struct blocked_call {
    pthread_t thread;
    tp_pool *pool;
    tp_future *future;
    tp_future **futures;
    size_t n;
    gated *task;
    int rc;
} blocked_call;

static void *call_result(void *arg)
{
    blocked_call *c = arg;
    c->rc = tp_future_result(c->future, -1, NULL);
    return NULL;
}

static void *call_wait_all(void *arg)
{
    blocked_call *c = arg;
    c->rc = tp_wait(c->futures, c->n, TP_ALL_COMPLETED, -1);
    return NULL;
}

static void *call_submit(void *arg)
{
    blocked_call *c = arg;
    c->rc = tp_submit(c->pool, task_gated, c->task, &c->future);
    return NULL;
}

static void *call_drain(void *arg)
{
    blocked_call *c = arg;
    c->rc = tp_drain(c->pool, -1);
    return NULL;
}

static void *call_join(void *arg)
{
    blocked_call *c = arg;
    c->rc = tp_join(c->pool);
    return NULL;
}

static void start_call(blocked_call *c, void *(*fn)(void *))
{
    PT_CHECK(pthread_create(&c->thread, NULL, fn, c));
}

static void finish_call(blocked_call *c)
{
    PT_CHECK(pthread_join(c->thread, NULL));
}

/* --caller-helps: every pool the checks and the stress make has .caller_helps set, so each
 * check also holds when tp_map's caller runs chunks. */
static bool opt_helps;

static tp_pool *make_pool_helped(int workers, size_t capacity, bool helps)
{
    tp_pool *p;
    int rc = tp_create(&p, &(tp_options){ .workers = workers, .queue_capacity = capacity,
                                          .caller_helps = helps });
    if (rc != TP_OK)
        die("tp_create: %s", tp_strerror(rc));
    return p;
}

static tp_pool *make_pool(int workers, size_t capacity)
{
    return make_pool_helped(workers, capacity, opt_helps);
}

/* submitted == succeeded + failed + cancelled, once the pool is joined. */
static void check_accounting(tp_pool *p, const char *name)
{
    tp_stats st;
    tp_get_stats(p, &st);
    check(st.submitted == st.succeeded + st.failed + st.cancelled && st.queued == 0 &&
              st.running == 0,
          "%s: submitted %llu == succeeded %llu + failed %llu + cancelled %llu", name,
          (unsigned long long)st.submitted, (unsigned long long)st.succeeded,
          (unsigned long long)st.failed, (unsigned long long)st.cancelled);
}

/* ---- the groups of checks ------------------------------------------------------------ */

static int opt_workers = 4;

static void test_create(void)
{
    tp_pool *p;
    check_rc(tp_create(&p, NULL), TP_OK, "create: NULL options mean defaults");
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    check(tp_pool_workers(p) == cpus, "create: default workers = online CPUs (%d == %ld)",
          tp_pool_workers(p), cpus);
    check_rc(tp_destroy(p), TP_OK, "create: destroy a fresh pool");
    p = (tp_pool *)&p;
    check_rc(tp_create(&p, &(tp_options){ .workers = -1 }), TP_EINVAL,
             "create: negative workers is TP_EINVAL");
    check(p == NULL, "create: a failed create sets *out to NULL");
    check_rc(tp_create(NULL, NULL), TP_EINVAL, "create: NULL out is TP_EINVAL");
    check_rc(tp_destroy(NULL), TP_OK, "create: destroy(NULL) is a no-op");

    /* The wait policy: the explicit option wins; TP_WAIT_DEFAULT follows $TP_WAIT_POLICY
     * (park or spin), and without it spins on 2+ CPUs. A spinning pool's idle worker spins
     * before it parks. */
    const char *env = getenv("TP_WAIT_POLICY");
    bool want_spin = env && strcmp(env, "park") == 0   ? false
                     : env && strcmp(env, "spin") == 0 ? true
                                                       : cpus_allowed() >= 2;
    tp_stats st;
    tp_create(&p, &(tp_options){ .workers = 2 });
    for (int i = 0; i < 50; i++)
        tp_apply(p, task_double, (void *)1, NULL, NULL);
    tp_get_stats(p, &st);
    check(st.spins == want_spin && (st.spun > 0) == want_spin,
          "wait: default policy %s (TP_WAIT_POLICY=%s); %llu spins, %llu found work",
          st.spins ? "spin" : "park", env ? env : "unset", (unsigned long long)st.spun,
          (unsigned long long)st.spun_into_work);
    tp_destroy(p);
    tp_create(&p, &(tp_options){ .workers = 2, .wait = TP_WAIT_SPIN, .spin_us = 200 });
    for (int i = 0; i < 50; i++)
        tp_apply(p, task_double, (void *)1, NULL, NULL);
    tp_get_stats(p, &st);
    check(st.spins && st.spun > 0, /* how many found work is timing: reported, not judged */
          "wait: .wait = TP_WAIT_SPIN spins whatever the environment (%llu spins, %llu found "
          "work)", (unsigned long long)st.spun, (unsigned long long)st.spun_into_work);
    tp_destroy(p);
    tp_create(&p, &(tp_options){ .workers = 2, .wait = TP_WAIT_PARK });
    for (int i = 0; i < 50; i++)
        tp_apply(p, task_double, (void *)1, NULL, NULL);
    tp_get_stats(p, &st);
    check(!st.spins && st.spun == 0, "wait: .wait = TP_WAIT_PARK never spins");
    tp_destroy(p);
}

/* A spinning worker gives up after spin_us and parks; a submit that lands in that moment
 * must still be seen: either the spinner sees work_seq move, or it re-checks the queue
 * under the mutex before it sleeps, or the submitter (seeing no spinner) signals. Here the
 * spin is 1 us and each submit comes 0-5 us after the previous task ended, so thousands of
 * submits land around the give-up, with one worker (nobody else to pick the task up) and
 * with two. A lost wakeup leaves a task queued: its timed result says so (the watchdog
 * ends the program if something hangs outright). */
/* Busy for 0-5 us (the same for the same i), then doubles i: finishes around the moment a
 * waiter spinning for its future gives up. */
static int task_double_late(void *arg, void **result)
{
    uint64_t h = (uint64_t)(intptr_t)arg * 0x9E3779B97F4A7C15u;
    int64_t until = now_ns() + (int64_t)((h >> 33) % 5000);
    while (now_ns() < until)
        ;
    return task_double(arg, result);
}

static void test_spin_edge(void)
{
    /* under a sanitizer or valgrind every submit costs 10-100x: a tenth of them */
    const int submits = timing_tool() ? 2000 : 20000;
    uint64_t rng = 11;
    for (int workers = 1; workers <= 2; workers++) {
        tp_pool *p;
        tp_create(&p, &(tp_options){ .workers = workers, .wait = TP_WAIT_SPIN, .spin_us = 1 });
        int lost = 0, wrong = 0;
        for (int i = 0; i < submits && lost == 0; i++) {
            int64_t until = now_ns() + (int64_t)rng_below(&rng, 5000);
            while (now_ns() < until) /* around the moment the spinner gives up */
                ;
            tp_future *f;
            void *r = NULL;
            tp_submit(p, task_double_late, (void *)(intptr_t)i, &f);
            int rc = tp_future_result(f, 10, &r); /* a lost wakeup: never done */
            lost += rc == TP_ETIMEDOUT;
            wrong += rc == TP_OK && (intptr_t)r != 2 * (intptr_t)i;
            tp_future_release(f);
        }
        tp_stats st;
        tp_get_stats(p, &st);
        check(lost == 0 && wrong == 0 && st.succeeded == (uint64_t)submits,
              "spin edge, %d worker(s): %d submits around the end of a worker's 1 us spin, "
              "each finishing around the end of its waiter's, none lost (%llu spins, %llu "
              "found work)", workers, submits, (unsigned long long)st.spun,
              (unsigned long long)st.spun_into_work);
        tp_destroy(p);
    }
}

/* A submit that finds the queue empty and a worker spinning hands the task straight to that
 * worker (thread_pool.h, WAITING; thread_pool.c, hand_over): claimed before the submit
 * returns, so the future is no longer PENDING then, a cancel is refused, and the task runs
 * once. To make the hand-over certain rather than a matter of timing, the spin is long
 * (2 s) and each round first waits until the idle worker has registered its next spin
 * (tp_stats.spun moves). Through the queue instead, the task would often still be PENDING
 * when the submit returns, and cancellable. */
static void test_hand_over(void)
{
    const int rounds = timing_tool() ? 20 : 200;
    tp_pool *p;
    tp_create(&p, &(tp_options){ .workers = 1, .wait = TP_WAIT_SPIN, .spin_us = 2e6 });
    int not_spinning = 0, pending = 0, cancelled = 0, wrong = 0;
    for (int i = 0; i < rounds && not_spinning == 0; i++) {
        tp_stats st;
        int64_t give_up = now_ns() + 10 * (int64_t)1000000000;
        do /* the worker's (i + 1)th spin has begun: it spins until work comes */
            tp_get_stats(p, &st);
        while (st.spun < (uint64_t)i + 1 && now_ns() < give_up);
        not_spinning += st.spun < (uint64_t)i + 1;
        tp_future *f;
        void *r = NULL;
        tp_submit(p, task_double, (void *)(intptr_t)i, &f);
        pending += tp_future_state(f) == TP_PENDING;
        cancelled += tp_future_cancel(f);
        wrong += tp_future_result(f, 10, &r) != TP_OK || (intptr_t)r != 2 * (intptr_t)i;
        tp_future_release(f);
    }
    tp_stats st;
    tp_get_stats(p, &st);
    check(not_spinning == 0 && pending == 0 && cancelled == 0 && wrong == 0 &&
              st.spun_into_work == (uint64_t)rounds && st.succeeded == (uint64_t)rounds,
          "hand-over: %d submits to a spinning worker, each claimed before the submit "
          "returned (%d pending, %d cancelled), each run once and right (%llu spins found "
          "work)",
          rounds, pending, cancelled, (unsigned long long)st.spun_into_work);
    tp_destroy(p);
}

static int init_calls_fail_at = -1;
static atomic_int init_calls;
static atomic_int init_named;

static int init_counting(void *arg)
{
    atomic_fetch_add(&init_calls, 1);
    const char *name = tp_current_worker_name();
    if (name && strncmp(name, "init-", 5) == 0)
        atomic_fetch_add(&init_named, 1);
    int *magic = arg;
    if (*magic != 42)
        return EINVAL;
    return tp_current_worker_index() == init_calls_fail_at ? EACCES : 0;
}

static void test_initializer(void)
{
    int magic = 42;
    tp_pool *p;
    atomic_store(&init_calls, 0);
    atomic_store(&init_named, 0);
    init_calls_fail_at = -1;
    tp_options o = { .workers = 3, .name_prefix = "init", .initializer = init_counting,
                     .initarg = &magic };
    check_rc(tp_create(&p, &o), TP_OK, "initializer: a pool whose initializer succeeds");
    check(atomic_load(&init_calls) == 3, "initializer: ran once per worker (%d)",
          atomic_load(&init_calls));
    check(atomic_load(&init_named) == 3, "initializer: runs in the named worker");
    void *r;
    check_rc(tp_apply(p, task_double, (void *)21, &r, NULL), TP_OK,
             "initializer: the pool then works");
    tp_destroy(p);

    atomic_store(&init_calls, 0);
    init_calls_fail_at = 1;
    p = (tp_pool *)&p;
    check_rc(tp_create(&p, &o), TP_EINIT, "initializer: one failing initializer fails create");
    check(p == NULL, "initializer: no pool comes out of a failed create");
    check(atomic_load(&init_calls) == 3,
          "initializer: each worker tried once, nothing respawned (%d calls)",
          atomic_load(&init_calls));
    check(strstr(tp_strerror(TP_EINIT), "initializer") != NULL,
          "initializer: tp_strerror names the cause: %s", tp_strerror(TP_EINIT));
    init_calls_fail_at = -1;
}

static void test_worker_names(void)
{
    tp_pool *p;
    tp_create(&p, &(tp_options){ .workers = 3, .name_prefix = "io" });
    enum { N = 60 };
    tp_future *fs[N];
    for (int i = 0; i < N; i++)
        tp_submit(p, task_name, NULL, &fs[i]);
    int good = 0;
    for (int i = 0; i < N; i++) {
        void *r = NULL;
        if (tp_future_result(fs[i], -1, &r) == TP_OK && r &&
            (!strcmp(r, "io-0") || !strcmp(r, "io-1") || !strcmp(r, "io-2")))
            good++;
        free(r);
        tp_future_release(fs[i]);
    }
    check(good == N, "names: every task sees its worker's name io-0..io-2 (%d/%d)", good, N);
    check(tp_current_worker_name() == NULL && tp_current_worker_index() == -1,
          "names: the main thread is no pool worker");
    tp_destroy(p);
}

static void test_submit_result(void)
{
    tp_pool *p = make_pool(opt_workers, 0);
    tp_future *f;
    check_rc(tp_submit(p, task_double, (void *)21, &f), TP_OK, "submit: returns a future");
    void *r = NULL;
    check_rc(tp_future_result(f, -1, &r), TP_OK, "submit: result waits for the task");
    check((intptr_t)r == 42, "submit: the result is the task's (%ld)", (long)(intptr_t)r);
    check(tp_future_state(f) == TP_DONE_OK && tp_future_done(f),
          "submit: state is done-ok, done() is true");
    int status = -1;
    check(tp_future_exception(f, 0, &status) == TP_OK && status == 0,
          "submit: exception() of a successful task is 0");
    check_rc(tp_future_wait(f, 0), TP_OK, "submit: wait(0) on a done future");
    tp_future_retain(f);
    tp_future_release(f);
    check(tp_future_result(f, 0, &r) == TP_OK, "submit: retain + release keeps it alive");
    tp_future_release(f);

    r = NULL;
    int st = -1;
    check(tp_apply(p, task_double, (void *)5, &r, &st) == TP_OK && (intptr_t)r == 10 && st == 0,
          "apply: submit and wait in one call");

    atomic_int counter = 0;
    for (int i = 0; i < 1000; i++)
        tp_submit_detached(p, task_count, &counter);
    check_rc(tp_drain(p, -1), TP_OK, "detached: drain waits for fire-and-forget tasks");
    check(atomic_load(&counter) == 1000, "detached: all 1000 ran exactly once (%d)",
          atomic_load(&counter));

    /* A future dropped at once still runs its task. */
    atomic_store(&counter, 0);
    for (int i = 0; i < 100; i++) {
        tp_submit(p, task_count, &counter, &f);
        tp_future_release(f);
    }
    tp_drain(p, -1);
    check(atomic_load(&counter) == 100, "release: a released future's task still runs");
    tp_destroy(p);
}

static void test_failure(void)
{
    tp_pool *p = make_pool(2, 0);
    tp_future *f;
    tp_submit(p, task_fail, (void *)EIO, &f);
    void *r = NULL;
    check_rc(tp_future_result(f, -1, &r), TP_EFAILED, "failure: result says the task failed");
    check(r && !strcmp(r, "disk on fire"), "failure: *result carries what the task stored");
    int status = 0;
    check(tp_future_exception(f, -1, &status) == TP_OK && status == EIO,
          "failure: exception() gives the task's status (EIO)");
    check(tp_future_state(f) == TP_DONE_FAILED, "failure: state is done-failed");
    tp_future_release(f);
    int st = 0;
    check(tp_apply(p, task_fail, (void *)7, &r, &st) == TP_EFAILED && st == 7,
          "failure: apply returns TP_EFAILED and the status");
    tp_submit_detached(p, task_fail, (void *)3);
    tp_drain(p, -1);
    tp_stats s;
    tp_get_stats(p, &s);
    check(s.failed == 3, "failure: the counters saw 3 failures (%llu)",
          (unsigned long long)s.failed);
    check(tp_apply(p, task_double, (void *)4, &r, NULL) == TP_OK && (intptr_t)r == 8,
          "failure: the pool keeps working after failures");
    tp_destroy(p);
}

static void test_timeout(void)
{
    tp_pool *p = make_pool(1, 0);
    latch g;
    latch_init(&g);
    gated a = { .g = &g, .value = 1 }, b = { .g = &g, .value = 2 };
    tp_future *fa, *fb;
    tp_submit(p, task_gated, &a, &fa);
    tp_submit(p, task_gated, &b, &fb);
    latch_await_arrivals(&g, 1);
    void *r = NULL;
    double t0 = now_s();
    check_rc(tp_future_result(fa, 0.05, &r), TP_ETIMEDOUT,
             "timeout: result of a running task times out");
    check(now_s() - t0 >= 0.04, "timeout: it waited for the timeout first");
    check(tp_future_state(fa) == TP_RUNNING, "timeout: the task is still running");
    check_rc(tp_future_wait(fb, 0), TP_ETIMEDOUT, "timeout: wait(0) only looks");
    int st;
    check_rc(tp_future_exception(fb, 0.01, &st), TP_ETIMEDOUT,
             "timeout: exception() times out too");
    check(tp_future_state(fb) == TP_PENDING, "timeout: a queued task stays queued");
    latch_open(&g);
    check(tp_future_result(fa, -1, &r) == TP_OK && (intptr_t)r == 1,
          "timeout: the timed-out task completes later with its result");
    check(tp_future_result(fb, 5, &r) == TP_OK && (intptr_t)r == 2,
          "timeout: so does the queued one");
    check(atomic_load(&a.ran) == 1 && atomic_load(&b.ran) == 1,
          "timeout: a timeout cancelled nothing");
    tp_future_release(fa);
    tp_future_release(fb);
    tp_destroy(p);
    latch_destroy(&g);
}

static void test_cancel(void)
{
    tp_pool *p = make_pool(1, 0);
    latch g;
    latch_init(&g);
    gated a = { .g = &g, .value = 1 }, b = { .g = &g, .value = 2 };
    tp_future *fa, *fb;
    tp_submit(p, task_gated, &a, &fa);
    tp_submit(p, task_gated, &b, &fb);
    latch_await_arrivals(&g, 1);
    check(!tp_future_cancel(fa), "cancel: a running task cannot be cancelled");
    check(tp_future_cancel(fb), "cancel: a queued task can");
    check(tp_future_cancel(fb), "cancel: cancelling twice still says cancelled");
    check(tp_future_state(fb) == TP_CANCELLED && tp_future_done(fb),
          "cancel: state is cancelled, and done");
    void *r;
    check_rc(tp_future_result(fb, -1, &r), TP_ECANCELLED, "cancel: result says cancelled");
    int st;
    check_rc(tp_future_exception(fb, -1, &st), TP_ECANCELLED,
             "cancel: exception() says cancelled");
    latch_open(&g);
    tp_future_result(fa, -1, &r);
    check(!tp_future_cancel(fa), "cancel: a finished task cannot be cancelled");
    tp_drain(p, -1);
    check(atomic_load(&b.ran) == 0, "cancel: the cancelled task never ran");
    tp_future_release(fa);
    tp_future_release(fb);
    tp_destroy(p);
    latch_destroy(&g);
}

static void count_callback(tp_future *f, void *ctx)
{
    (void)f;
    atomic_fetch_add((atomic_int *)ctx, 1);
}

static void test_cancel_race(void)
{
    enum { N = 3000 };
    tp_pool *p = make_pool(2, 0);
    static atomic_int ran[N], calls[N];
    static tp_future *fs[N];
    static bool cancelled[N];
    uint64_t rng = 7;
    for (int i = 0; i < N; i++) {
        atomic_store(&ran[i], 0);
        atomic_store(&calls[i], 0);
        tp_submit(p, task_count, &ran[i], &fs[i]);
        tp_future_add_done_callback(fs[i], count_callback, &calls[i]);
        /* Wait a random 0..~100 us, about as long as a worker takes to wake, so that the
         * cancel below sometimes comes first and sometimes second. */
        int64_t until = now_ns() + (int64_t)rng_below(&rng, 100000);
        while (now_ns() < until)
            ;
        cancelled[i] = tp_future_cancel(fs[i]); /* races with a worker starting it */
    }
    tp_drain(p, -1);
    int bad = 0, ncancelled = 0, once = 0;
    for (int i = 0; i < N; i++) {
        int want = cancelled[i] ? 0 : 1;
        bad += atomic_load(&ran[i]) != want;
        ncancelled += cancelled[i];
        once += atomic_load(&calls[i]) == 1;
        tp_state s = tp_future_state(fs[i]);
        bad += cancelled[i] ? s != TP_CANCELLED : s != TP_DONE_OK;
        tp_future_release(fs[i]);
    }
    check(bad == 0, "cancel race: cancelled tasks never ran, the others ran once (%d cancelled "
                    "of %d, %d wrong)", ncancelled, N, bad);
    check(once == N, "cancel race: every callback ran exactly once (%d/%d)", once, N);
    tp_shutdown(p, true, false);
    check_accounting(p, "cancel race");
    tp_destroy(p);
}

/* Callback furniture: where it ran, and re-entry into the pool. */
typedef struct cb_probe {
    atomic_int calls;
    atomic_int in_worker;
    tp_state seen;
    int order[4];
    atomic_int norder;
    tp_pool *pool;
    int rc_join, rc_drain, rc_shutdown, rc_submit, rc_result;
    atomic_int nested_ran;
} cb_probe;

static void probe_callback(tp_future *f, void *ctx)
{
    cb_probe *c = ctx;
    c->seen = tp_future_state(f); /* re-entry: the future's own API */
    if (tp_current_worker_name())
        atomic_fetch_add(&c->in_worker, 1);
    atomic_fetch_add(&c->calls, 1);
}

static void order_callback_1(tp_future *f, void *ctx)
{
    (void)f;
    cb_probe *c = ctx;
    c->order[atomic_fetch_add(&c->norder, 1)] = 1;
}

static void order_callback_2(tp_future *f, void *ctx)
{
    (void)f;
    cb_probe *c = ctx;
    c->order[atomic_fetch_add(&c->norder, 1)] = 2;
}

/* Calls everything a callback should not be able to wedge the pool with. */
static void reentrant_callback(tp_future *f, void *ctx)
{
    cb_probe *c = ctx;
    void *r;
    c->rc_result = tp_future_result(f, -1, &r); /* it is done: returns at once */
    c->rc_join = tp_join(c->pool);
    c->rc_drain = tp_drain(c->pool, -1);
    c->rc_shutdown = tp_shutdown(c->pool, true, false);
    tp_future *g;
    c->rc_submit = tp_submit(c->pool, task_count, &c->nested_ran, &g);
    if (c->rc_submit == TP_OK)
        tp_future_release(g);
    atomic_fetch_add(&c->calls, 1);
}

static void test_callbacks(void)
{
    tp_pool *p = make_pool(2, 0);
    latch g;
    latch_init(&g);
    gated a = { .g = &g, .value = 1 };
    tp_future *f;
    cb_probe c = { 0 };

    tp_submit(p, task_gated, &a, &f);
    tp_future_add_done_callback(f, probe_callback, &c);
    tp_future_add_done_callback(f, order_callback_1, &c);
    tp_future_add_done_callback(f, order_callback_2, &c);
    check(atomic_load(&c.calls) == 0, "callbacks: not called before the task is done");
    latch_await_arrivals(&g, 1); /* a worker has it (a helping waiter would run it itself) */
    latch_open(&g);
    tp_future_wait(f, -1);
    tp_drain(p, -1); /* callbacks run right after the state changes: let them finish */
    check(atomic_load(&c.calls) == 1, "callbacks: called once when the task finished");
    check(atomic_load(&c.in_worker) == 1, "callbacks: ran in the worker");
    check(c.seen == TP_DONE_OK, "callbacks: the callback sees the final state");
    check(atomic_load(&c.norder) == 2 && c.order[0] == 1 && c.order[1] == 2,
          "callbacks: run in the order they were added");

    tp_future_add_done_callback(f, probe_callback, &c);
    check(atomic_load(&c.calls) == 2 && atomic_load(&c.in_worker) == 1,
          "callbacks: added to a done future, runs at once in the caller");
    tp_future_release(f);

    /* Cancel: the callback runs in the thread that cancelled. */
    latch g2;
    latch_init(&g2);
    gated b = { .g = &g2 }, d = { .g = &g2 };
    tp_pool *one = make_pool(1, 0);
    tp_future *fb, *fd;
    tp_submit(one, task_gated, &b, &fb);
    tp_submit(one, task_gated, &d, &fd);
    cb_probe cc = { 0 };
    tp_future_add_done_callback(fd, probe_callback, &cc);
    tp_future_cancel(fd);
    check(atomic_load(&cc.calls) == 1 && cc.seen == TP_CANCELLED && atomic_load(&cc.in_worker) == 0,
          "callbacks: a cancelled future's callback runs in the cancelling thread");
    tp_future_cancel(fd);
    check(atomic_load(&cc.calls) == 1, "callbacks: cancelling again calls nothing");
    latch_open(&g2);
    tp_future_release(fb);
    tp_future_release(fd);
    tp_destroy(one);
    latch_destroy(&g2);

    /* apply_async: the callback is attached before queueing, so it runs in the worker. */
    cb_probe ca = { 0 };
    check_rc(tp_apply_async(p, task_fail, (void *)9, probe_callback, &ca, NULL), TP_OK,
             "apply_async: without a future");
    tp_drain(p, -1);
    check(atomic_load(&ca.calls) == 1 && ca.seen == TP_DONE_FAILED &&
              atomic_load(&ca.in_worker) == 1,
          "apply_async: the callback ran once, in a worker, and saw the failure");

    /* Re-entry: a callback that calls back into the pool cannot wedge it. */
    cb_probe cr = { .pool = p };
    tp_apply_async(p, task_double, (void *)1, reentrant_callback, &cr, NULL);
    tp_drain(p, -1);
    tp_drain(p, -1); /* the nested task, too */
    check(atomic_load(&cr.calls) == 1, "re-entry: the callback finished (no deadlock)");
    check_rc(cr.rc_result, TP_OK, "re-entry: result of its own future inside the callback");
    check_rc(cr.rc_join, TP_EDEADLK, "re-entry: join from a worker is TP_EDEADLK");
    check_rc(cr.rc_drain, TP_EDEADLK, "re-entry: drain from a worker is TP_EDEADLK");
    check_rc(cr.rc_shutdown, TP_EDEADLK, "re-entry: shutdown(wait) from a worker is TP_EDEADLK");
    check_rc(cr.rc_submit, TP_OK, "re-entry: submit from a callback works");
    check(atomic_load(&cr.nested_ran) == 1, "re-entry: and its task ran");
    tp_destroy(p);
    latch_destroy(&g);
}

/* A callback, run by a worker, that submits to its own full queue: no waiting, TP_EFULL. */
typedef struct full_probe {
    tp_pool *pool;
    gated *task;
    int rc;
} full_probe;

static void submit_from_worker(tp_future *f, void *ctx)
{
    (void)f;
    full_probe *fp = ctx;
    fp->rc = tp_submit(fp->pool, task_gated, fp->task, NULL);
}

static void test_bounded_queue(void)
{
    tp_pool *p = make_pool(1, 2);
    latch g;
    latch_init(&g);
    gated t[6];
    for (int i = 0; i < 6; i++)
        t[i] = (gated){ .g = &g, .value = i };
    tp_future *f0;
    tp_submit(p, task_gated, &t[0], &f0); /* running */
    latch_await_arrivals(&g, 1);
    check_rc(tp_try_submit(p, task_gated, &t[1], NULL), TP_OK, "bounded: try-submit with room");
    check_rc(tp_submit(p, task_gated, &t[2], NULL), TP_OK, "bounded: submit with room");
    check_rc(tp_try_submit(p, task_gated, &t[3], NULL), TP_EFULL,
             "bounded: try-submit refuses when full");
    check_rc(tp_submit_timed(p, task_gated, &t[3], 0.05, NULL), TP_EFULL,
             "bounded: timed submit gives up when full");
    blocked_call c = { .pool = p, .task = &t[4] };
    start_call(&c, call_submit);
    wait_blocked(p, 1, 0);
    check(true, "bounded: a blocking submit blocks while full");
    latch_open(&g);
    finish_call(&c);
    check_rc(c.rc, TP_OK, "bounded: and goes through once there is room");
    tp_future_result(c.future, -1, NULL);
    tp_future_release(c.future);
    tp_drain(p, -1);
    check(atomic_load(&t[3].ran) == 0 && atomic_load(&t[1].ran) == 1 &&
              atomic_load(&t[2].ran) == 1 && atomic_load(&t[4].ran) == 1,
          "bounded: what was accepted ran once, what was refused never");
    tp_future_release(f0);
    tp_destroy(p);
    latch_destroy(&g);

    /* A worker never waits for room in its own queue: only it could make the room. The one
     * worker finishes s0 while s1 fills the queue, and s0's callback (run by that worker)
     * submits: a blocking submit there would wait for itself forever. */
    p = make_pool(1, 1);
    latch g2;
    latch_init(&g2);
    gated s0 = { .g = &g2 }, s1 = { .g = &g2 }, s2 = { .g = &g2 };
    full_probe fp = { .pool = p, .task = &s2, .rc = 1 };
    tp_apply_async(p, task_gated, &s0, submit_from_worker, &fp, NULL);
    latch_await_arrivals(&g2, 1);
    tp_submit(p, task_gated, &s1, NULL);
    latch_open(&g2);
    tp_drain(p, -1);
    check_rc(fp.rc, TP_EFULL, "bounded: a worker's submit to its own full queue returns TP_EFULL");
    check(atomic_load(&s1.ran) == 1 && atomic_load(&s2.ran) == 0,
          "bounded: ... and the pool went on");
    tp_destroy(p);
    latch_destroy(&g2);
}

static void test_wait(void)
{
    tp_pool *p = make_pool(3, 0);
    latch g0, g1, g2;
    latch_init(&g0);
    latch_init(&g1);
    latch_init(&g2);
    gated t0 = { .g = &g0, .value = 0 }, t1 = { .g = &g1, .value = 1 },
          t2 = { .g = &g2, .value = 2 };
    tp_future *fs[3];
    tp_submit(p, task_gated, &t0, &fs[0]);
    tp_submit(p, task_gated, &t1, &fs[1]);
    tp_submit(p, task_gated, &t2, &fs[2]);
    check_rc(tp_wait(fs, 3, TP_FIRST_COMPLETED, 0.05), TP_ETIMEDOUT,
             "wait: first-completed times out while none is done");
    latch_open(&g1);
    check_rc(tp_wait(fs, 3, TP_FIRST_COMPLETED, -1), TP_OK,
             "wait: first-completed returns when one is done");
    check(tp_future_done(fs[1]) && !tp_future_done(fs[0]) && !tp_future_done(fs[2]),
          "wait: ... and it is the one whose gate opened");
    check_rc(tp_wait(fs, 3, TP_ALL_COMPLETED, 0.05), TP_ETIMEDOUT,
             "wait: all-completed times out while two run");
    check_rc(tp_wait(fs, 3, TP_FIRST_EXCEPTION, 0.02), TP_ETIMEDOUT,
             "wait: first-exception waits without a failure");
    tp_future *ff;
    tp_submit(p, task_fail, (void *)5, &ff);
    tp_future *fe[3] = { fs[0], ff, fs[2] };
    check_rc(tp_wait(fe, 3, TP_FIRST_EXCEPTION, -1), TP_OK,
             "wait: first-exception returns on a failure while others run");
    check(!tp_future_done(fs[0]) && !tp_future_done(fs[2]), "wait: ... the others still run");
    latch_open(&g0);
    latch_open(&g2);
    check_rc(tp_wait(fs, 3, TP_ALL_COMPLETED, -1), TP_OK, "wait: all-completed");
    check_rc(tp_wait(fs, 3, TP_FIRST_EXCEPTION, -1), TP_OK,
             "wait: first-exception with no failure = all completed");
    check_rc(tp_wait(NULL, 0, TP_ALL_COMPLETED, -1), TP_OK, "wait: no futures, nothing to wait");
    tp_pool *q = make_pool(1, 0);
    tp_future *fq;
    tp_submit(q, task_double, NULL, &fq);
    tp_future *mixed[2] = { fs[0], fq };
    check_rc(tp_wait(mixed, 2, TP_ALL_COMPLETED, -1), TP_EINVAL,
             "wait: futures of two pools are refused");
    tp_future_release(fq);
    tp_destroy(q);
    for (int i = 0; i < 3; i++)
        tp_future_release(fs[i]);
    tp_future_release(ff);
    tp_destroy(p);
    latch_destroy(&g0);
    latch_destroy(&g1);
    latch_destroy(&g2);
}

static void test_as_completed(void)
{
    enum { N = 4 };
    tp_pool *p = make_pool(N, 0);
    latch g[N];
    gated t[N];
    tp_future *fs[N];
    for (int i = 0; i < N; i++) {
        latch_init(&g[i]);
        t[i] = (gated){ .g = &g[i], .value = i };
        tp_submit(p, task_gated, &t[i], &fs[i]);
    }
    tp_as_completed_it it;
    tp_as_completed_init(&it, fs, N);
    tp_future *f;
    check_rc(tp_as_completed_next(&it, 0.02, &f), TP_ETIMEDOUT,
             "as_completed: times out while nothing is done");
    const int order[N] = { 2, 0, 3, 1 };
    int good = 0;
    for (int k = 0; k < N; k++) {
        latch_open(&g[order[k]]);
        void *r = NULL;
        if (tp_as_completed_next(&it, -1, &f) == TP_OK && tp_future_result(f, 0, &r) == TP_OK &&
            (intptr_t)r == order[k])
            good++;
    }
    check(good == N, "as_completed: yields futures in the order they finish (2 0 3 1)");
    int placed = 0;
    for (int k = 0; k < N; k++) {
        void *r = NULL;
        placed += tp_future_result(fs[k], 0, &r) == TP_OK && (intptr_t)r == order[k];
    }
    check(placed == N, "as_completed: the array is left in finishing order");
    check_rc(tp_as_completed_next(&it, -1, &f), TP_EDONE, "as_completed: then TP_EDONE");
    for (int i = 0; i < N; i++) {
        tp_future_release(fs[i]);
        latch_destroy(&g[i]);
    }
    tp_destroy(p);
}

/* Map furniture: each item records which worker ran it and when (a global sequence). */
enum { MAP_MAX = 2000 };
static int ran_by[MAP_MAX];
static long ran_seq[MAP_MAX];
static atomic_long seq;

static int task_square_traced(void *arg, void **result)
{
    intptr_t i = (intptr_t)arg;
    ran_by[i] = tp_current_worker_index();
    ran_seq[i] = atomic_fetch_add(&seq, 1);
    if (i % 7 == 0)
        nap(0.0001); /* uneven work, so the workers finish out of order */
    *result = (void *)(i * i);
    return i == 13 || i == 7 ? 100 + (int)i : 0;
}

/* Items of one chunk ran in one worker, one after another. */
static bool chunks_contiguous(size_t n, size_t chunk)
{
    for (size_t i = 1; i < n; i++)
        if (i % chunk != 0 && (ran_by[i] != ran_by[i - 1] || ran_seq[i] <= ran_seq[i - 1]))
            return false;
    return true;
}

static int run_map(tp_pool *p, size_t n, size_t chunk, void **results, int *statuses)
{
    static void *args[MAP_MAX];
    for (size_t i = 0; i < n; i++) {
        args[i] = (void *)(intptr_t)i;
        results[i] = NULL;
        statuses[i] = -1;
    }
    return tp_map(p, task_square_traced, args, n, chunk, results, statuses);
}

static void test_map(void)
{
    tp_pool *p = make_pool(opt_workers, 0);
    static void *results[MAP_MAX];
    static int statuses[MAP_MAX];
    size_t n = 1000;
    int rc = run_map(p, n, 0, results, statuses);
    check_rc(rc, TP_EFAILED, "map: two failing items make the map fail");
    int in_order = 0;
    for (size_t i = 0; i < n; i++)
        in_order += (intptr_t)results[i] == (intptr_t)(i * i) &&
                    statuses[i] == (i == 7 || i == 13 ? 100 + (int)i : 0);
    check(in_order == (int)n, "map: results[i] belong to args[i], in input order (%d/%zu)",
          in_order, n);
    size_t dflt = tp_default_chunksize(n, opt_workers);
    check(chunks_contiguous(n, dflt), "map: items of a default chunk (%zu) ran together", dflt);

    check(tp_default_chunksize(100, 2) == 13 && tp_default_chunksize(8, 2) == 1 &&
              tp_default_chunksize(9, 2) == 2 && tp_default_chunksize(0, 2) == 1 &&
              tp_default_chunksize(1, 64) == 1,
          "map: default chunk size is ceil(n / (4 * workers))");

    tp_future *f;
    check_rc(tp_map_async(p, task_square_traced, NULL, 0, 0, results, statuses, &f), TP_OK,
             "map: zero items");
    check(tp_future_done(f) && tp_future_result(f, 0, NULL) == TP_OK,
          "map: zero items give a future that is already done-ok");
    tp_future_release(f);

    check(run_map(p, 1, 0, results, statuses) == TP_OK && (intptr_t)results[0] == 0 &&
              statuses[0] == 0,
          "map: one item");
    rc = run_map(p, 5, 100, results, statuses);
    check(rc == TP_OK && (intptr_t)results[4] == 16 && chunks_contiguous(5, 100),
          "map: chunk larger than n: one chunk, one worker");
    rc = run_map(p, 50, 1, results, statuses);
    int ok = 0;
    for (int i = 0; i < 50; i++)
        ok += (intptr_t)results[i] == i * i;
    check(rc == TP_EFAILED && ok == 50, "map: chunk size 1");
    rc = run_map(p, 21, 4, results, statuses);
    check(chunks_contiguous(21, 4) && (intptr_t)results[20] == 400 && statuses[20] == 0,
          "map: a last chunk shorter than the others");

    /* map_async: the future's exception is the lowest failed item's status. */
    static void *args[MAP_MAX];
    for (int i = 0; i < 30; i++)
        args[i] = (void *)(intptr_t)i;
    tp_map_async(p, task_square_traced, args, 30, 3, results, statuses, &f);
    int st = 0;
    check(tp_future_exception(f, -1, &st) == TP_OK && st == 107,
          "map_async: exception is the lowest failed item's status (item 7)");
    void *r = NULL;
    check(tp_future_result(f, 0, &r) == TP_EFAILED && r == (void *)results,
          "map_async: its result is the results array");
    tp_future_release(f);

    /* Items without results/statuses arrays. */
    check_rc(tp_map(p, task_square_traced, args, 5, 0, NULL, NULL), TP_OK,
             "map: results and statuses may be NULL");
    check_rc(tp_map(p, NULL, args, 5, 0, NULL, NULL), TP_EINVAL, "map: NULL fn is TP_EINVAL");
    tp_destroy(p);
}

static int star_add(void *const argv[], size_t nargs, void **result)
{
    intptr_t sum = 0;
    for (size_t k = 0; k < nargs; k++)
        sum += (intptr_t)argv[k];
    *result = (void *)sum;
    return nargs == 2 ? 0 : 1;
}

static void test_starmap(void)
{
    tp_pool *p = make_pool(opt_workers, 0);
    enum { N = 100 };
    void *args[N * 2];
    void *results[N];
    int statuses[N];
    for (int i = 0; i < N; i++) {
        args[2 * i] = (void *)(intptr_t)i;
        args[2 * i + 1] = (void *)(intptr_t)(1000 * i);
    }
    int rc = tp_starmap(p, star_add, args, N, 2, 0, results, statuses);
    int ok = 0;
    for (int i = 0; i < N; i++)
        ok += (intptr_t)results[i] == 1001 * i && statuses[i] == 0;
    check(rc == TP_OK && ok == N, "starmap: fn(*row) for each row, in order (%d/%d)", ok, N);
    tp_future *f;
    tp_starmap_async(p, star_add, args, N, 2, 7, results, statuses, &f);
    check_rc(tp_future_result(f, -1, NULL), TP_OK, "starmap_async: a future for the lot");
    tp_future_release(f);
    check_rc(tp_starmap(p, star_add, args, N, 0, 0, results, statuses), TP_EINVAL,
             "starmap: zero arguments per row is TP_EINVAL");
    tp_destroy(p);
}

static void test_map_timeout(void)
{
    tp_pool *p = make_pool(2, 0);
    latch g;
    latch_init(&g);
    gated t[4];
    void *args[4], *results[4];
    for (int i = 0; i < 4; i++) {
        t[i] = (gated){ .g = &g, .value = 10 + i };
        args[i] = &t[i];
    }
    tp_future *f;
    tp_map_async(p, task_gated, args, 4, 1, results, NULL, &f);
    check_rc(tp_future_wait(f, 0.05), TP_ETIMEDOUT,
             "map timeout: waiting on a map with a timeout times out");
    latch_open(&g);
    check(tp_future_result(f, -1, NULL) == TP_OK && (intptr_t)results[3] == 13,
          "map timeout: the map still completes afterwards");
    tp_future_release(f);
    tp_destroy(p);
    latch_destroy(&g);
}

/* .caller_helps: tp_map's caller claims chunks while it waits. A thread blocked in tp_map: */
typedef struct blocked_map {
    pthread_t thread;
    tp_pool *pool;
    void **args, **results;
    int *statuses;
    size_t n;
    int rc;
} blocked_map;

static void *call_map(void *arg)
{
    blocked_map *m = arg;
    m->rc = tp_map(m->pool, task_gated, m->args, m->n, 1, m->results, m->statuses);
    return NULL;
}

/* A task that maps on its own pool: with one worker and no helping it would wait for
 * itself forever. */
static int task_map_on_own_pool(void *arg, void **result)
{
    tp_pool *p = arg;
    static void *args[8];
    static void *results[8];
    static int statuses[8];
    for (int i = 0; i < 8; i++)
        args[i] = (void *)(intptr_t)i;
    int rc = tp_map(p, task_square_traced, args, 8, 1, results, statuses);
    int right = 0;
    for (int i = 0; i < 8; i++)
        right += (intptr_t)results[i] == i * i && ran_by[i] == 0;
    *result = (void *)(intptr_t)right;
    return rc == TP_EFAILED ? 0 : 1; /* item 7 fails, as task_square_traced's always does */
}

/* Who ran a task: tp_current_worker_index() and _name() inside it. */
typedef struct identity {
    int index;
    const char *name;
} identity;

static int task_identity(void *arg, void **result)
{
    identity *id = arg;
    id->index = tp_current_worker_index();
    id->name = tp_current_worker_name();
    (void)result;
    return 0;
}

/* A task of one pool that waits, without a timeout, for a task of another (helping) pool. */
typedef struct cross_wait {
    tp_pool *other;
    identity id;
    int rc;
} cross_wait;

static int task_wait_on_other_pool(void *arg, void **result)
{
    cross_wait *c = arg;
    tp_future *f;
    c->rc = tp_submit(c->other, task_identity, &c->id, &f);
    if (c->rc == TP_OK) {
        c->rc = tp_future_result(f, -1, NULL);
        tp_future_release(f);
    }
    (void)result;
    return 0;
}

static void test_caller_helps(void)
{
    /* The only worker is held at a gate: the map still completes, the caller ran it all. */
    tp_pool *p = make_pool_helped(1, 0, true);
    latch g;
    latch_init(&g);
    gated hold = { .g = &g };
    tp_future *held;
    tp_submit(p, task_gated, &hold, &held);
    latch_await_arrivals(&g, 1);
    static void *results[MAP_MAX];
    static int statuses[MAP_MAX];
    int rc = run_map(p, 20, 3, results, statuses);
    int by_caller = 0, right = 0;
    for (int i = 0; i < 20; i++) {
        by_caller += ran_by[i] == -1;
        int status = i == 7 || i == 13 ? 100 + i : 0; /* task_square_traced's failures */
        right += (intptr_t)results[i] == i * i && statuses[i] == status;
    }
    check(rc == TP_EFAILED && by_caller == 20 && right == 20,
          "caller helps: with the only worker busy, tp_map's caller runs all 20 items itself "
          "(%d by the caller, %d right), tp_current_worker_index() -1 in them", by_caller, right);
    check(!tp_future_done(held), "caller helps: the worker's own task is still at its gate");

    /* A caller running a chunk counts as running: tp_drain waits for it. */
    gated t[3];
    void *args[3], *mres[3];
    int mst[3];
    for (int i = 0; i < 3; i++) {
        t[i] = (gated){ .g = &g, .value = 50 + i };
        args[i] = &t[i];
        mst[i] = -1;
    }
    blocked_map m = { .pool = p, .args = args, .results = mres, .statuses = mst, .n = 3 };
    PT_CHECK(pthread_create(&m.thread, NULL, call_map, &m));
    latch_await_arrivals(&g, 2); /* the worker's task and the caller's first item */
    tp_stats st;
    tp_get_stats(p, &st);
    check(st.running == 2, "caller helps: tp_stats.running counts the helping caller (%zu)",
          st.running);
    check_rc(tp_drain(p, 0.05), TP_ETIMEDOUT, "caller helps: tp_drain waits for its chunk");

    /* tp_terminate while the caller is inside its first item: the rest are cancelled. */
    tp_terminate(p);
    latch_open(&g);
    PT_CHECK(pthread_join(m.thread, NULL));
    check(m.rc == TP_EFAILED && mst[0] == 0 && (intptr_t)mres[0] == 50 &&
              mst[1] == TP_ECANCELLED && mst[2] == TP_ECANCELLED && atomic_load(&t[1].ran) == 0,
          "caller helps: tp_terminate cancels the chunks nobody has claimed; the caller's "
          "finishes (rc %d, statuses %d %d %d)", m.rc, mst[0], mst[1], mst[2]);
    tp_join(p);
    check_accounting(p, "caller helps");
    tp_future_release(held);
    tp_destroy(p);
    latch_destroy(&g);

    /* A task may map on its own pool: its worker runs the chunks. (A timed wait, so that the
     * caller leaves the task to the worker instead of running it.) */
    p = make_pool_helped(1, 0, true);
    void *right_items = NULL;
    tp_future *f;
    tp_submit(p, task_map_on_own_pool, p, &f);
    rc = tp_future_result(f, 60, &right_items);
    tp_future_release(f);
    check(rc == TP_OK && (intptr_t)right_items == 8,
          "caller helps: a task's tp_map on its own one-worker pool completes, the worker "
          "running all 8 items itself (%d right)", (int)(intptr_t)right_items);
    tp_destroy(p);

    /* A wait without a timeout helps too. With the only worker held at a gate, a timed wait
     * for the third of five queued tasks times out, all five still pending; an untimed one
     * runs the first three in the caller, up to its own, and stops there. */
    p = make_pool_helped(1, 0, true);
    latch gw;
    latch_init(&gw);
    gated hold_w = { .g = &gw };
    tp_submit(p, task_gated, &hold_w, &held);
    latch_await_arrivals(&gw, 1);
    tp_future *fs[5];
    for (intptr_t i = 0; i < 5; i++) {
        ran_by[i] = -2;
        tp_submit(p, task_square_traced, (void *)i, &fs[i]);
    }
    check(tp_future_wait(fs[2], 0.05) == TP_ETIMEDOUT && tp_future_state(fs[0]) == TP_PENDING,
          "caller helps: a timed wait for a queued task runs nothing itself");
    void *r2 = NULL;
    rc = tp_future_result(fs[2], -1, &r2);
    int pending_after = 0;
    for (int i = 3; i < 5; i++)
        pending_after += tp_future_state(fs[i]) == TP_PENDING;
    check(rc == TP_OK && (intptr_t)r2 == 4 && ran_by[0] == -1 && ran_by[1] == -1 &&
              ran_by[2] == -1 && pending_after == 2,
          "caller helps: an untimed wait runs the queued tasks up to its own in the caller "
          "(ran by %d %d %d), then stops (%d of the 2 after it still pending)", ran_by[0],
          ran_by[1], ran_by[2], pending_after);
    latch_open(&gw);
    tp_drain(p, -1);
    for (int i = 0; i < 5; i++)
        tp_future_release(fs[i]);
    tp_future_release(held);
    check_accounting(p, "caller helps, waits");
    tp_destroy(p);
    latch_destroy(&gw);

    /* A worker of another pool helps as any other caller, and is no worker of this pool
     * while it does: the task it runs sees -1 and NULL, not its own pool's index and name. */
    p = make_pool_helped(1, 0, true);
    latch_init(&gw);
    gated hold_x = { .g = &gw };
    tp_submit(p, task_gated, &hold_x, &held);
    latch_await_arrivals(&gw, 1);
    tp_pool *other = make_pool_helped(1, 0, false);
    cross_wait cw = { .other = p, .id = { .index = -2 } };
    rc = tp_apply(other, task_wait_on_other_pool, &cw, NULL, NULL);
    check(rc == TP_OK && cw.rc == TP_OK && cw.id.index == -1 && cw.id.name == NULL,
          "caller helps: another pool's worker waiting here runs the task as a caller "
          "(index %d, name %s)", cw.id.index, cw.id.name ? cw.id.name : "NULL");
    latch_open(&gw);
    tp_destroy(other);
    tp_future_release(held);
    tp_destroy(p);
    latch_destroy(&gw);

    /* Caller and workers share out a map: every item once, in its slot. */
    p = make_pool_helped(opt_workers, 0, true);
    int bad = 0, caller_ran = 0;
    for (int round = 0; round < 50; round++) {
        size_t chunk = 1 + (size_t)round % 7;
        rc = run_map(p, 500, chunk, results, statuses);
        right = 0;
        for (int i = 0; i < 500; i++) {
            right += (intptr_t)results[i] == i * i;
            caller_ran += ran_by[i] == -1;
        }
        bad += !(rc == TP_EFAILED && right == 500 && chunks_contiguous(500, chunk));
    }
    check(bad == 0, "caller helps: 50 maps of 500 items shared by the caller and %d workers, "
          "each item once in its slot, chunks whole (%d bad maps; the caller ran %d items)",
          opt_workers, bad, caller_ran);
    tp_destroy(p);
}

/* imap furniture: a lazy input that counts how far it has been pulled. */
typedef struct lazy_input {
    size_t n, pulled;
    gated *tasks;
} lazy_input;

static bool lazy_next(void *ctx, void **arg)
{
    lazy_input *in = ctx;
    if (in->pulled == in->n)
        return false;
    *arg = &in->tasks[in->pulled++];
    return true;
}

/* Tracks how many imap tasks run at once. */
static atomic_int concurrent, max_concurrent;

static int task_tracked(void *arg, void **result)
{
    int now = atomic_fetch_add(&concurrent, 1) + 1;
    int seen = atomic_load(&max_concurrent);
    while (now > seen && !atomic_compare_exchange_weak(&max_concurrent, &seen, now))
        ;
    nap(0.0005); /* long enough for the other workers to be tempted */
    int rc = task_gated(arg, result);
    atomic_fetch_sub(&concurrent, 1);
    return rc;
}

static void test_imap(void)
{
    enum { N = 200, BOUND = 3 }; /* fewer than the workers, so the bound binds */
    tp_pool *p = make_pool(opt_workers, 0);
    latch g;
    latch_init(&g);
    latch_open(&g);
    static gated t[N];
    for (int i = 0; i < N; i++)
        t[i] = (gated){ .g = &g, .value = i };
    lazy_input in = { .n = N, .tasks = t };
    tp_imap_it *it;
    atomic_store(&max_concurrent, 0);
    check_rc(tp_imap(p, task_tracked, lazy_next, &in, BOUND, &it), TP_OK, "imap: starts");
    check(in.pulled == BOUND, "imap: pulls only max_inflight inputs up front (%zu)", in.pulled);
    size_t handed = 0, worst = 0;
    int in_order = 0;
    tp_item item;
    int rc;
    while ((rc = tp_imap_next(it, -1, &item)) != TP_EDONE) {
        if (rc == TP_OK && item.index == handed && (intptr_t)item.result == (intptr_t)handed)
            in_order++;
        handed++;
        size_t ahead = in.pulled - handed;
        if (ahead > worst)
            worst = ahead;
        if (tp_imap_inflight(it) > BOUND)
            worst = 1000;
    }
    check(in_order == N, "imap: every item, in input order (%d/%d)", in_order, N);
    check(worst <= BOUND, "imap: in flight never above the bound (max %zu <= %d)", worst, BOUND);
    check(atomic_load(&max_concurrent) <= BOUND, "imap: never more than %d tasks at once (%d)",
          BOUND, atomic_load(&max_concurrent));
    check(handed == N && in.pulled == N, "imap: all %d pulled and handed out", N);
    tp_imap_free(it);

    /* Failures come out as items with a status; the iteration goes on. */
    void *fails[3] = { (void *)0, (void *)(intptr_t)EIO, (void *)0 };
    tp_array_cursor cur = { .items = fails, .n = 3 };
    tp_imap(p, task_fail, tp_array_next, &cur, 2, &it);
    int seq_rc[4];
    for (int k = 0; k < 4; k++)
        seq_rc[k] = tp_imap_next(it, -1, &item);
    check(seq_rc[0] == TP_OK && seq_rc[1] == TP_EFAILED && seq_rc[2] == TP_OK &&
              seq_rc[3] == TP_EDONE,
          "imap: a failed item is TP_EFAILED, then the rest, then TP_EDONE");
    tp_imap_free(it);
    tp_destroy(p);
    latch_destroy(&g);
}

static void test_imap_unordered(void)
{
    enum { N = 4 };
    tp_pool *p = make_pool(N, 0);
    latch g[N];
    gated t[N];
    for (int i = 0; i < N; i++) {
        latch_init(&g[i]);
        t[i] = (gated){ .g = &g[i], .value = i };
    }
    lazy_input in = { .n = N, .tasks = t };
    tp_imap_it *it;
    tp_imap_unordered(p, task_gated, lazy_next, &in, N, &it);
    tp_item item;
    check_rc(tp_imap_next(it, 0.02, &item), TP_ETIMEDOUT,
             "imap_unordered: times out while nothing is done");
    const int order[N] = { 3, 1, 0, 2 };
    int good = 0;
    for (int k = 0; k < N; k++) {
        latch_open(&g[order[k]]);
        if (tp_imap_next(it, -1, &item) == TP_OK && item.index == (size_t)order[k] &&
            (intptr_t)item.result == order[k])
            good++;
    }
    check(good == N, "imap_unordered: items come in finishing order (3 1 0 2)");
    check_rc(tp_imap_next(it, -1, &item), TP_EDONE, "imap_unordered: then TP_EDONE");
    tp_imap_free(it);
    for (int i = 0; i < N; i++)
        latch_destroy(&g[i]);
    tp_destroy(p);
}

static void test_first_result(void)
{
    enum { N = 8 };
    tp_pool *p = make_pool(2, 0);
    latch slow, fast;
    latch_init(&slow);
    latch_init(&fast);
    latch_open(&fast);
    gated t[N];
    for (int i = 0; i < N; i++)
        t[i] = (gated){ .g = i == 1 ? &fast : &slow, .value = i };
    lazy_input in = { .n = N, .tasks = t };
    tp_imap_it *it;
    tp_imap_unordered(p, task_gated, lazy_next, &in, N, &it);
    tp_item item;
    check(tp_imap_next(it, -1, &item) == TP_OK && item.index == 1,
          "first result: imap_unordered's first item is the fast one");
    tp_imap_free(it); /* cancels what is still queued */
    latch_open(&slow);
    tp_shutdown(p, true, false);
    int ran = 0;
    for (int i = 0; i < N; i++)
        ran += atomic_load(&t[i].ran);
    tp_stats st;
    tp_get_stats(p, &st);
    check(ran < N && (uint64_t)ran + st.cancelled == N,
          "first result: the rest were cancelled, none lost (%d ran + %llu cancelled = %d)", ran,
          (unsigned long long)st.cancelled, N);
    tp_destroy(p);

    /* The same with futures: tp_wait(FIRST_COMPLETED), then cancel the others. */
    p = make_pool(2, 0);
    latch slow2;
    latch_init(&slow2);
    for (int i = 0; i < N; i++)
        t[i] = (gated){ .g = i == 1 ? &fast : &slow2, .value = i };
    tp_future *fs[N];
    for (int i = 0; i < N; i++)
        tp_submit(p, task_gated, &t[i], &fs[i]);
    tp_wait(fs, N, TP_FIRST_COMPLETED, -1);
    int winners = 0, cancelled = 0;
    for (int i = 0; i < N; i++) {
        if (tp_future_state(fs[i]) == TP_DONE_OK)
            winners += fs[i] == fs[1];
        else
            cancelled += tp_future_cancel(fs[i]);
    }
    latch_open(&slow2);
    tp_shutdown(p, true, false);
    check(winners == 1 && cancelled >= N - 3,
          "first result: tp_wait(first-completed) finds the winner, the queued rest cancel");
    for (int i = 0; i < N; i++)
        tp_future_release(fs[i]);
    tp_destroy(p);
    latch_destroy(&slow);
    latch_destroy(&slow2);
    latch_destroy(&fast);
}

/* One running task (gate shut), two queued futures, one queued fire-and-forget task, a full
 * queue and a thread blocked submitting; three threads blocked waiting. Then `how` ends it. */
enum end_how { END_CLOSE, END_TERMINATE, END_SHUTDOWN_NOWAIT_CANCEL, END_SHUTDOWN_WAIT };

static void shutdown_scenario(enum end_how how, const char *name)
{
    /* never a helping pool (--caller-helps): its blocked waiters would run the queued tasks
     * themselves instead of waiting for them (THE CALLER HELPS) */
    tp_pool *p = make_pool_helped(1, 3, false);
    latch g;
    latch_init(&g);
    gated run = { .g = &g, .value = 1 }, q1 = { .g = &g, .value = 2 },
          q2 = { .g = &g, .value = 3 }, qd = { .g = &g, .value = 4 },
          extra = { .g = &g, .value = 5 };
    tp_future *fr, *f1, *f2;
    tp_submit(p, task_gated, &run, &fr);
    latch_await_arrivals(&g, 1);
    tp_submit(p, task_gated, &q1, &f1);
    tp_submit(p, task_gated, &q2, &f2);
    tp_submit_detached(p, task_gated, &qd); /* the queue (3) is full now */

    tp_future *pair[2] = { f1, f2 };
    blocked_call on_result = { .future = f1 }, on_wait = { .futures = pair, .n = 2 },
                 on_running = { .future = fr }, on_submit = { .pool = p, .task = &extra };
    start_call(&on_result, call_result);
    start_call(&on_wait, call_wait_all);
    start_call(&on_running, call_result);
    start_call(&on_submit, call_submit);
    wait_blocked(p, 1, 3); /* all four are inside the pool, blocked */

    bool cancels = how == END_TERMINATE || how == END_SHUTDOWN_NOWAIT_CANCEL;
    int rc = TP_OK;
    switch (how) {
    case END_CLOSE: tp_close(p); break;
    case END_TERMINATE: tp_terminate(p); break;
    case END_SHUTDOWN_NOWAIT_CANCEL: rc = tp_shutdown(p, false, true); break;
    case END_SHUTDOWN_WAIT: break; /* below, once the gate is open */
    }
    if (how != END_SHUTDOWN_WAIT) {
        finish_call(&on_submit);
        char what[128];
        snprintf(what, sizeof what, "%s: the blocked submitter woke with TP_ECLOSED", name);
        check_rc(on_submit.rc, TP_ECLOSED, what);
        check_rc(tp_submit(p, task_double, NULL, NULL), TP_ECLOSED,
                 "submit after close is TP_ECLOSED");
        check_rc(tp_try_submit(p, task_double, NULL, NULL), TP_ECLOSED,
                 "try_submit after close is TP_ECLOSED");
        tp_future *fm;
        void *args[1] = { NULL };
        check_rc(tp_map_async(p, task_double, args, 1, 0, NULL, NULL, &fm), TP_ECLOSED,
                 "map after close is TP_ECLOSED");
        tp_array_cursor cur = { .items = args, .n = 1 };
        tp_imap_it *it;
        check_rc(tp_imap(p, task_double, tp_array_next, &cur, 0, &it), TP_ECLOSED,
                 "imap after close is TP_ECLOSED");
    }
    if (cancels) {
        /* The queued futures are cancelled: their waiters wake now, the gate still shut. */
        finish_call(&on_result);
        finish_call(&on_wait);
        check(on_result.rc == TP_ECANCELLED && on_wait.rc == TP_OK,
              "%s: waiters on queued futures woke (cancelled) while a task still runs", name);
        check(tp_future_state(fr) == TP_RUNNING && rc == TP_OK,
              "%s: returned at once; the running task was left to finish", name);
    }
    latch_open(&g);
    if (how == END_SHUTDOWN_WAIT) {
        check_rc(tp_shutdown(p, true, false), TP_OK, "shutdown(wait): drains and joins");
        finish_call(&on_submit);
        check(on_submit.rc == TP_OK || on_submit.rc == TP_ECLOSED,
              "shutdown(wait): the blocked submitter got in or was refused");
        if (on_submit.rc == TP_OK)
            tp_future_release(on_submit.future);
    }
    if (!cancels) {
        finish_call(&on_result);
        finish_call(&on_wait);
        void *r = NULL;
        check(on_result.rc == TP_OK && on_wait.rc == TP_OK &&
                  tp_future_result(f2, 0, &r) == TP_OK && (intptr_t)r == 3,
              "%s: queued tasks still ran; their waiters got results", name);
    }
    finish_call(&on_running);
    check_rc(on_running.rc, TP_OK, "the running task's waiter got its result");
    check_rc(tp_join(p), TP_OK, "join after the end");
    check_rc(tp_join(p), TP_OK, "join twice is fine");
    int ran = atomic_load(&run.ran) + atomic_load(&q1.ran) + atomic_load(&q2.ran) +
              atomic_load(&qd.ran) + atomic_load(&extra.ran);
    tp_stats st;
    tp_get_stats(p, &st);
    check(cancels ? ran == 1 && st.cancelled == 3 : ran >= 4 && st.cancelled == 0,
          "%s: ran %d, cancelled %llu, as the mode promises", name, ran,
          (unsigned long long)st.cancelled);
    check_accounting(p, name);
    tp_future_release(fr);
    tp_future_release(f1);
    tp_future_release(f2);
    tp_destroy(p);
    latch_destroy(&g);
}

static void test_shutdown(void)
{
    shutdown_scenario(END_CLOSE, "close");
    shutdown_scenario(END_TERMINATE, "terminate");
    shutdown_scenario(END_SHUTDOWN_NOWAIT_CANCEL, "shutdown(nowait, cancel)");
    shutdown_scenario(END_SHUTDOWN_WAIT, "shutdown(wait)");

    tp_pool *p = make_pool(2, 0);
    check_rc(tp_join(p), TP_EINVAL, "join: an open pool must be closed first");
    latch g;
    latch_init(&g);
    gated t = { .g = &g };
    tp_submit_detached(p, task_gated, &t);
    tp_close(p);
    tp_close(p);
    blocked_call j1 = { .pool = p }, j2 = { .pool = p };
    start_call(&j1, call_join);
    start_call(&j2, call_join);
    latch_open(&g);
    finish_call(&j1);
    finish_call(&j2);
    check(j1.rc == TP_OK && j2.rc == TP_OK, "join: two threads may join at once");
    tp_destroy(p);
    latch_destroy(&g);

    /* Futures outlive the pool. */
    p = make_pool(2, 0);
    tp_future *f;
    tp_submit(p, task_double, (void *)8, &f);
    tp_destroy(p);
    void *r = NULL;
    check(tp_future_result(f, -1, &r) == TP_OK && (intptr_t)r == 16,
          "destroy: a future held past tp_destroy still answers");
    tp_future_release(f);

    /* Terminating a map that has started: running chunks finish, the rest cancel. */
    p = make_pool(1, 0);
    latch gm;
    latch_init(&gm);
    gated mt[6];
    void *args[6], *results[6];
    int statuses[6];
    for (int i = 0; i < 6; i++) {
        mt[i] = (gated){ .g = &gm, .value = i };
        args[i] = &mt[i];
    }
    tp_future *fm;
    tp_map_async(p, task_gated, args, 6, 2, results, statuses, &fm);
    latch_await_arrivals(&gm, 1);
    tp_terminate(p);
    latch_open(&gm);
    int st = 0;
    check(tp_future_exception(fm, -1, &st) == TP_OK && st == TP_ECANCELLED &&
              tp_future_state(fm) == TP_DONE_FAILED,
          "terminate: a started map ends done-failed, status TP_ECANCELLED");
    check(statuses[0] == 0 && statuses[1] == 0 && statuses[2] == TP_ECANCELLED &&
              statuses[5] == TP_ECANCELLED && atomic_load(&mt[2].ran) == 0,
          "terminate: its first chunk ran, the others are marked cancelled");
    tp_future_release(fm);
    tp_join(p);
    check_accounting(p, "terminate map");
    tp_destroy(p);
    latch_destroy(&gm);
}

static void test_drain(void)
{
    tp_pool *p = make_pool(1, 0);
    latch g;
    latch_init(&g);
    gated a = { .g = &g }, b = { .g = &g };
    tp_submit_detached(p, task_gated, &a);
    tp_submit_detached(p, task_gated, &b);
    latch_await_arrivals(&g, 1);
    check_rc(tp_drain(p, 0.05), TP_ETIMEDOUT, "drain: times out while a task runs");
    check_rc(tp_drain(p, 0), TP_ETIMEDOUT, "drain: drain(0) only looks");
    /* A drainer must wake when the last task ends, even if the pool was closed meanwhile
     * and the workers exit instead of going idle. */
    blocked_call d = { .pool = p };
    start_call(&d, call_drain);
    tp_close(p);
    latch_open(&g);
    finish_call(&d);
    check_rc(d.rc, TP_OK, "drain: wakes when a closed pool runs dry");
    check(atomic_load(&a.ran) == 1 && atomic_load(&b.ran) == 1, "drain: both tasks ran");
    tp_stats st;
    tp_get_stats(p, &st);
    check(st.queued == 0 && st.running == 0 && st.succeeded == 2, "drain: nothing left");
    tp_destroy(p);
    latch_destroy(&g);
}

static void test_errors(void)
{
    const int codes[] = { TP_OK,     TP_EFAILED, TP_ETIMEDOUT, TP_ECANCELLED,
                          TP_ECLOSED, TP_EFULL,   TP_EINIT,     TP_EINVAL,
                          TP_ENOMEM, TP_EDEADLK, TP_EDONE,     TP_ESYSTEM };
    int n = sizeof codes / sizeof codes[0], distinct = 0;
    for (int i = 0; i < n; i++) {
        bool unique = true;
        for (int j = 0; j < i; j++)
            unique &= strcmp(tp_strerror(codes[i]), tp_strerror(codes[j])) != 0;
        distinct += unique && strcmp(tp_strerror(codes[i]), tp_strerror(12345)) != 0;
    }
    check(distinct == n, "errors: every code has its own message");
    check(tp_strerror(12345) != NULL, "errors: unknown codes get a message too");
    check(!strcmp(tp_state_name(TP_PENDING), "pending") &&
              !strcmp(tp_state_name(TP_CANCELLED), "cancelled"),
          "errors: state names");
    check_rc(tp_submit(NULL, task_double, NULL, NULL), TP_EINVAL, "errors: NULL pool");
}

/* ---- stress: create -> submit many -> cancel at random -> shut down, many times ------- */

typedef struct stress_opts {
    long rounds, tasks, max_workers;
    uint64_t seed;
} stress_opts;

static int task_stress(void *arg, void **result)
{
    atomic_int *ran = arg;
    int n = atomic_fetch_add(ran, 1) + 1;
    *result = (void *)(intptr_t)n;
    return n == 1 ? 0 : EEXIST; /* a second run would fail loudly */
}

/* --caller-helps: the stress's map, from a thread of its own that waits in tp_map. */
typedef struct stress_map {
    pthread_t thread;
    tp_pool *pool;
    void **args, **results;
    int *statuses;
    size_t n, chunk;
    int rc;
} stress_map;

static void *stress_map_call(void *arg)
{
    stress_map *m = arg;
    m->rc = tp_map(m->pool, task_stress, m->args, m->n, m->chunk, m->results, m->statuses);
    return NULL;
}

static void stress(const stress_opts *o)
{
    atomic_int *ran = calloc((size_t)o->tasks, sizeof *ran);
    atomic_int *calls = calloc((size_t)o->tasks, sizeof *calls);
    tp_future **fs = calloc((size_t)o->tasks, sizeof *fs);
    void **args = calloc((size_t)o->tasks, sizeof *args);
    void **results = calloc((size_t)o->tasks, sizeof *results);
    int *statuses = calloc((size_t)o->tasks, sizeof *statuses);
    if (!ran || !calls || !fs || !args || !results || !statuses)
        die("out of memory");
    uint64_t rng = o->seed;
    long bad_rounds = 0, total = 0, executed = 0, cancelled = 0;
    double t0 = now_s();
    for (long round = 0; round < o->rounds; round++) {
        int workers = 1 + (int)rng_below(&rng, (uint64_t)o->max_workers);
        size_t cap = rng_below(&rng, 2) ? 0 : 1 + rng_below(&rng, 8);
        tp_pool *p = make_pool(workers, cap);
        size_t n = (size_t)o->tasks;
        for (size_t i = 0; i < n; i++) {
            atomic_store(&ran[i], 0);
            atomic_store(&calls[i], 0);
            fs[i] = NULL;
            args[i] = &ran[i];
        }
        /* The last quarter of the tasks goes in as one map; the rest one by one, a third of
         * them fire-and-forget, the others with a future and a counting callback. */
        size_t nmap = n / 4, single = n - nmap;
        bool early_end = rng_below(&rng, 4) == 0;
        for (size_t i = 0; i < single; i++) {
            if (i % 3 == 0) {
                tp_submit_detached(p, task_stress, &ran[i]);
            } else {
                tp_apply_async(p, task_stress, &ran[i], count_callback, &calls[i], &fs[i]);
                if (rng_below(&rng, 3) == 0)
                    tp_future_cancel(fs[i]);
            }
        }
        tp_future *fmap = NULL;
        stress_map sm = { .pool = p, .args = args + single, .results = results + single,
                          .statuses = statuses + single, .n = nmap,
                          .chunk = 1 + rng_below(&rng, 5) };
        if (opt_helps) {
            /* A thread blocked in tp_map runs chunks beside the workers while this one
             * cancels and ends the pool; the map is queued before anything is ended. */
            PT_CHECK(pthread_create(&sm.thread, NULL, stress_map_call, &sm));
            for (tp_stats st; tp_get_stats(p, &st), st.submitted < n;)
                sched_yield();
        } else {
            tp_map_async(p, task_stress, sm.args, nmap, sm.chunk, sm.results, sm.statuses,
                         &fmap);
            if (rng_below(&rng, 4) == 0)
                tp_future_cancel(fmap);
        }
        for (size_t i = 1; i < single; i += 3)
            if (rng_below(&rng, 5) == 0)
                tp_future_cancel(fs[i]); /* later cancels race with the workers */
        int mode = (int)rng_below(&rng, 4);
        if (early_end || mode == 0)
            tp_terminate(p);
        else if (mode == 1)
            tp_shutdown(p, false, true);
        else if (mode == 2)
            tp_shutdown(p, true, false);
        else
            tp_close(p);
        tp_join(p);
        if (opt_helps)
            PT_CHECK(pthread_join(sm.thread, NULL));

        /* Every task ran at most once; a future's state agrees with its run count; every
         * callback ran exactly once; the pool's books balance. */
        bool ok = true;
        long round_ran = 0;
        for (size_t i = 0; i < n; i++) {
            int r = atomic_load(&ran[i]);
            ok &= r <= 1;
            round_ran += r;
            if (fs[i]) {
                tp_state s = tp_future_state(fs[i]);
                ok &= (s == TP_DONE_OK && r == 1) || (s == TP_CANCELLED && r == 0);
                ok &= atomic_load(&calls[i]) == 1;
                tp_future_release(fs[i]);
            }
        }
        for (size_t i = single; i < n; i++)
            ok &= atomic_load(&ran[i]) == (statuses[i] == TP_ECANCELLED ? 0 : 1);
        if (opt_helps) {
            /* EFAILED: terminated midway; ECANCELLED: before any chunk started */
            ok &= sm.rc == TP_OK || sm.rc == TP_EFAILED || sm.rc == TP_ECANCELLED;
        } else {
            ok &= tp_future_done(fmap);
            tp_future_release(fmap);
        }
        tp_stats st;
        tp_get_stats(p, &st);
        ok &= st.submitted == n && st.succeeded == (uint64_t)round_ran && st.failed == 0 &&
              st.succeeded + st.cancelled == n;
        if (!ok && bad_rounds++ < 5)
            printf("# round %ld: workers=%d cap=%zu ran=%ld submitted=%llu succeeded=%llu "
                   "cancelled=%llu\n", round, workers, cap, round_ran,
                   (unsigned long long)st.submitted, (unsigned long long)st.succeeded,
                   (unsigned long long)st.cancelled);
        total += (long)n;
        executed += round_ran;
        cancelled += (long)st.cancelled;
        tp_destroy(p);
    }
    check(bad_rounds == 0,
          "stress: %ld rounds, %ld tasks: %ld ran + %ld cancelled, none lost or run twice, "
          "every callback once (%.2f s)",
          o->rounds, total, executed, cancelled, now_s() - t0);
    check(executed + cancelled == total, "stress: executed + cancelled == submitted");
    free(ran);
    free(calls);
    free(fs);
    free(args);
    free(results);
    free(statuses);
}

/* ---- main ---------------------------------------------------------------------------- */

typedef struct group {
    const char *name;
    void (*run)(void);
} group;

static const group groups[] = {
    { "create", test_create },
    { "spin_edge", test_spin_edge },
    { "hand_over", test_hand_over },
    { "initializer", test_initializer },
    { "worker_names", test_worker_names },
    { "submit_result", test_submit_result },
    { "failure", test_failure },
    { "timeout", test_timeout },
    { "cancel", test_cancel },
    { "cancel_race", test_cancel_race },
    { "callbacks", test_callbacks },
    { "bounded_queue", test_bounded_queue },
    { "wait", test_wait },
    { "as_completed", test_as_completed },
    { "map", test_map },
    { "starmap", test_starmap },
    { "map_timeout", test_map_timeout },
    { "caller_helps", test_caller_helps },
    { "imap", test_imap },
    { "imap_unordered", test_imap_unordered },
    { "first_result", test_first_result },
    { "shutdown", test_shutdown },
    { "drain", test_drain },
    { "errors", test_errors },
};
enum { NGROUPS = sizeof groups / sizeof groups[0] };

static const char usage[] =
    "[--only GROUP] [--list] [--workers N] [--watchdog SECONDS] [--caller-helps]\n"
    "       thread_pool_test stress [--rounds N] [--tasks N] [--workers MAX] [--seed N]\n"
    "                               [--caller-helps]\n"
    "  Checks the thread pool; prints \"ok - ...\" / \"not ok - ...\" per check and a final\n"
    "  \"N passed, M failed\". Exit 0 all passed, 1 a check failed, 2 bad usage, 3 stuck.\n"
    "  stress: each round makes a pool of 1..MAX workers (default 4) with a random queue\n"
    "  bound, submits --tasks tasks (default 200), cancels some, ends it a random way, and\n"
    "  checks that each task ran at most once and executed + cancelled == submitted.\n"
    "  --caller-helps: every pool has .caller_helps; the stress's map then comes from a\n"
    "  thread waiting in tp_map, which runs chunks while the pool is cancelled and ended.\n";

int main(int argc, char **argv)
{
    cli_setup(argv[0], usage);
    bool is_stress = argc > 1 && strcmp(argv[1], "stress") == 0;
    if (is_stress) {
        argv[1] = argv[0];
        argv++;
        argc--;
    }
    static const struct option longopts[] = {
        { "only", required_argument, NULL, 'o' },    { "list", no_argument, NULL, 'l' },
        { "workers", required_argument, NULL, 'w' }, { "rounds", required_argument, NULL, 'r' },
        { "tasks", required_argument, NULL, 't' },   { "seed", required_argument, NULL, 's' },
        { "watchdog", required_argument, NULL, 'd' }, { "caller-helps", no_argument, NULL, 'c' },
        CLI_HELP,
        CLI_END,
    };
    const char *only = NULL;
    stress_opts so = { .rounds = 2000, .tasks = 200, .max_workers = 4, .seed = 1 };
    for (int c; (c = cli_next(argc, argv, longopts)) != -1;) {
        switch (c) {
        case 'o': only = optarg; break;
        case 'l':
            for (int i = 0; i < NGROUPS; i++)
                puts(groups[i].name);
            return EXIT_OK;
        case 'w':
            opt_workers = (int)parse_long("--workers", optarg, 1, 256);
            so.max_workers = opt_workers;
            break;
        case 'r': so.rounds = parse_long("--rounds", optarg, 1, 100000000); break;
        case 't': so.tasks = parse_long("--tasks", optarg, 1, 1000000); break;
        case 's': so.seed = (uint64_t)parse_long("--seed", optarg, 0, LONG_MAX); break;
        case 'd': watchdog_s = parse_double("--watchdog", optarg, 0.1, 86400); break;
        case 'c': opt_helps = true; break;
        }
    }
    if (only && is_stress)
        usage_error("--only: not with stress");
    int chosen = -1;
    if (only) {
        for (int i = 0; i < NGROUPS; i++)
            if (strcmp(only, groups[i].name) == 0)
                chosen = i;
        if (chosen < 0)
            usage_error("--only: no group named \"%s\" (see --list)", only);
    }

    harness_watchdog_start(watchdog_s);

    if (is_stress) {
        test_group("stress");
        stress(&so);
    } else {
        for (int i = 0; i < NGROUPS; i++) {
            if (chosen >= 0 && i != chosen)
                continue;
            test_group(groups[i].name);
            groups[i].run();
        }
    }

    harness_watchdog_stop();
    return harness_summary();
}
