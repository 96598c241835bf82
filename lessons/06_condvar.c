/*
 * 06_condvar: the chefs wait for the kitchen staff to call "ready". A condition variable
 * carries the call, but only a predicate, a plain bool under the mutex, remembers it.
 *
 *   make && ./build/06_condvar                   # fixed: every chef cooks, late or not
 *   ./build/06_condvar --variant lost            # the late chef never hears: exit 3
 *   ./build/06_condvar --waiters 8 --scale 0.01  # eight chefs, 100x faster
 *
 * Notice: pthread_cond_broadcast wakes the threads waiting at that moment, and nobody
 * else; a condition variable keeps no memory. The staff calls once. The chefs already
 * waiting are woken; the last chef arrives after the call and, in --variant lost, waits
 * for a call that has come and gone: a lost wakeup. (Its wait has a deadline only so the
 * lesson ends; without one it would wait forever.) Each chef's first line says what it
 * found: "waits for the kitchen" or "arrives late, after the call" (the last chef always;
 * with a small --scale, now and then an early one too). The fix is to wait for the state,
 * not for the call: the staff sets `ready` under the mutex before broadcasting, and each
 * chef checks `ready` in a while loop around the wait. A late chef finds it true and
 * never waits; a chef woken for no reason (POSIX allows spurious wakeups) just looks
 * again. Broadcast, not signal, because every chef needs the news.
 * Try: in call_ready(), use pthread_cond_signal instead of broadcast and run
 * --variant fixed: one waiting chef wakes, the others run out of patience.
 *
 * Verdict: "RESULT variant=V woken=N expected=N OK" (exit 0) when every chef heard the
 * call in time (woken, or found the kitchen already ready); otherwise each chef who did
 * not says why ("lost wakeup: ..."), then "RESULT variant=V woken=W expected=N missed=M
 * STUCK" (exit 3).
 */
#include "program.h"
#include "quizzes/06_condvar.h" /* --quiz and --answers: its questions */

static const char usage[] =
    "[--variant fixed|lost] [--waiters N] [--timeout S] [--scale F]\n"
    "  N chefs wait for the kitchen staff's \"ready\"; the last chef arrives after it.\n"
    "  --variant  fixed (default): wait while !ready, under the mutex\n"
    "             lost: wait for the signal itself; the late chef never hears it (exit 3)\n"
    "  --waiters  chefs, 1..64 (default 4)\n"
    "  --timeout  seconds a chef waits before giving up, 0.001..3600 (default 2);\n"
    "             real seconds, times F when --scale F is above 1\n"
    "  --scale    multiply the staff's preparation time by F, 0.0001..100 (default 1)\n";

enum variant { VARIANT_FIXED, VARIANT_LOST };
static const char *const variant_names[] = { "fixed", "lost", NULL };

static const double prep_time = 0.5;   /* the staff's work before the call, before --scale */
enum { MAX_CHEFS = 64 };

/* ---- the kitchen: a mutex, a condition variable, and the fact they protect -------- */

struct kitchen {
    pthread_mutex_t mu;
    pthread_cond_t called;   /* made monotonic in main: the chefs' deadlines use it */
    bool ready;              /* the predicate: what the chefs really wait for */
    double called_at;        /* when the staff called (now_s), for the story */
};

static struct kitchen kitchen = { .mu = PTHREAD_MUTEX_INITIALIZER };

/* The staff: prepare, then tell everyone, once. Set the state first, under the mutex;
 * the broadcast is only a nudge to look at it. */
static void call_ready(void)
{
    PT_CHECK(pthread_mutex_lock(&kitchen.mu));
    kitchen.ready = true;
    kitchen.called_at = now_s();
    PT_CHECK(pthread_cond_broadcast(&kitchen.called));
    PT_CHECK(pthread_mutex_unlock(&kitchen.mu));
}

static void *staff_main(void *arg)
{
    (void)arg;
    printf("staff: preparing the kitchen (%.2f s)\n", prep_time * time_scale);
    nap(prep_time);
    printf("staff: \"kitchen ready!\" (one broadcast, heard by whoever waits right now)\n");
    call_ready();
    return NULL;
}

/* ---- the chefs ---------------------------------------------------------------------- */

struct chef {
    int id;
    enum variant variant;
    double timeout;
    bool heard;              /* result: woken in time, or found the kitchen ready */
};

/* pthread_cond_timedwait, where running out of time is an answer, not an error.
 * Returns false once the deadline has passed. */
static bool wait_until(pthread_cond_t *cond, pthread_mutex_t *mu, const struct timespec *deadline)
{
    int rc = pthread_cond_timedwait(cond, mu, deadline);
    if (rc == ETIMEDOUT)
        return false;
    if (rc != 0)
        die_rc("pthread_cond_timedwait", rc);
    return true;
}

/* Why a chef never heard the call. Call with kitchen.mu held. `give_up_s` is the chef's
 * deadline on the now_s() clock. */
static void explain(const struct chef *c, double began, double give_up_s)
{
    if (!kitchen.ready)
        printf("chef %d: gave up after %.2f s: the staff had not called yet (raise --timeout)\n",
               c->id, now_s() - began);
    else if (kitchen.called_at >= give_up_s)   /* a busy machine: the call came just late */
        printf("chef %d: gave up after %.2f s: the staff called %.1f ms after its deadline "
               "(raise --timeout)\n", c->id, give_up_s - began,
               (kitchen.called_at - give_up_s) * 1e3);
    else if (kitchen.called_at <= began)
        printf("chef %d: lost wakeup: the staff called %.1f ms before this chef began to wait; "
               "a condition variable does not remember, so it waited %.2f s for nothing\n",
               c->id, (began - kitchen.called_at) * 1e3, now_s() - began);
    else
        printf("chef %d: lost wakeup: the staff called while this chef waited, but the "
               "wakeup never reached it (signal instead of broadcast?)\n", c->id);
}

static void *chef_main(void *arg)
{
    struct chef *c = arg;
    struct timespec give_up = deadline_after(scaled_timeout(c->timeout));
    double give_up_s = now_s() + scaled_timeout(c->timeout);

    PT_CHECK(pthread_mutex_lock(&kitchen.mu));
    double began = now_s();
    bool found_ready = false;
    printf("chef %d: %s\n", c->id,
           kitchen.ready ? "arrives late, after the call" : "waits for the kitchen");

    if (c->variant == VARIANT_LOST) {
        /* BROKEN: waits for the call itself. If it came before this line, it is gone,
         * and this chef never looks at what the kitchen remembers (`ready`). */
        c->heard = wait_until(&kitchen.called, &kitchen.mu, &give_up);
    } else {
        /* FIXED: waits for the state. The textbook form is
         *     while (!kitchen.ready)
         *         pthread_cond_wait(&kitchen.called, &kitchen.mu);
         * here each wait also has a deadline, so an edit that breaks it cannot hang. */
        found_ready = kitchen.ready;
        bool in_time = true;
        while (!kitchen.ready && in_time)
            in_time = wait_until(&kitchen.called, &kitchen.mu, &give_up);
        c->heard = kitchen.ready;   /* a call that came as the deadline passed still counts */
    }

    double waited = now_s() - began;
    if (!c->heard)
        explain(c, began, give_up_s);
    else if (found_ready)
        printf("chef %d: the kitchen is already ready: cooking without waiting\n", c->id);
    else
        printf("chef %d: woken after %.2f s: cooking\n", c->id, waited);
    PT_CHECK(pthread_mutex_unlock(&kitchen.mu));
    return NULL;
}

/* ---- main --------------------------------------------------------------------------- */

int main(int argc, char **argv)
{
    cli_setup(argv[0], usage);
    QUIZ(quiz);
    enum variant variant = VARIANT_FIXED;
    long nchefs = 4;
    double timeout = 2.0;

    static const struct option opts[] = {
        { "variant", required_argument, NULL, 'v' },
        { "waiters", required_argument, NULL, 'w' },
        { "timeout", required_argument, NULL, 't' },
        { "scale", required_argument, NULL, 's' },
        CLI_QUIZ, CLI_HELP, CLI_END,
    };
    for (int c; (c = cli_next(argc, argv, opts)) != -1;) {
        switch (c) {
        case 'v': variant = (enum variant)parse_choice("--variant", optarg, variant_names); break;
        case 'w': nchefs = parse_long("--waiters", optarg, 1, MAX_CHEFS); break;
        case 't': timeout = parse_double("--timeout", optarg, 0.001, 3600); break;
        case 's': time_scale = parse_double("--scale", optarg, 0.0001, 100); break;
        }
    }

    cond_init_monotonic(&kitchen.called);
    struct chef chefs[MAX_CHEFS];
    pthread_t chef_tids[MAX_CHEFS], staff;
    for (long i = 0; i < nchefs; i++)
        chefs[i] = (struct chef){ .id = (int)i + 1, .variant = variant,
                                  .timeout = timeout };

    /* The early chefs start waiting while the staff prepares ... */
    for (long i = 0; i < nchefs - 1; i++)
        PT_CHECK(pthread_create(&chef_tids[i], NULL, chef_main, &chefs[i]));
    PT_CHECK(pthread_create(&staff, NULL, staff_main, NULL));

    /* ... and the last chef comes in only after the staff has called: joining the staff
     * makes that order certain, so --variant lost loses a wakeup on every run. */
    PT_CHECK(pthread_join(staff, NULL));
    PT_CHECK(pthread_create(&chef_tids[nchefs - 1], NULL, chef_main, &chefs[nchefs - 1]));

    int woken = 0;
    for (long i = 0; i < nchefs; i++) {
        PT_CHECK(pthread_join(chef_tids[i], NULL));
        woken += chefs[i].heard;
    }
    PT_CHECK(pthread_cond_destroy(&kitchen.called));

    if (woken < nchefs)
        return verdict_stuck("variant=%s woken=%d expected=%ld missed=%ld",
                             variant_names[variant], woken, nchefs, nchefs - woken);
    return verdict(true, "variant=%s woken=%d expected=%ld", variant_names[variant], woken,
                   nchefs);
}
