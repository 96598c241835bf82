/*
 * 07_event: an event, like Python's threading.Event, built from a mutex, a condition
 * variable and one bool: set, clear, is_set, wait, and wait with a timeout.
 *
 *   make && ./build/07_event                     # one starter releases four runners
 *   ./build/07_event --waiters 16 --scale 0.01   # sixteen runners, 100x faster
 *   ./build/07_event --timeout 1.5               # the unanswered wait gives up after 1.5 s
 *
 * Notice: the event is 06's fix in a box. The bool is the state and the condition
 * variable only a nudge to look at it, so a set is never lost: a late waiter passes
 * straight through. event_set broadcasts, so one set releases every waiter at once.
 * After event_clear, waits block again; a wait with a timeout on an event that nobody
 * sets returns "not set" once its time is up, never before: the line shows how long it
 * took, never less than the timeout. Its deadline is on CLOCK_MONOTONIC, so changing the
 * wall clock cannot stretch or cut it.
 * Try: in event_set, use pthread_cond_signal instead of broadcast: one runner starts,
 * and the others are stuck until their patience runs out.
 *
 * Verdict: "RESULT waiters=N released=N timed_out_wait=not_set OK" (exit 0) when every
 * runner was released, the cleared event reads as not set, and the timed wait on it
 * returned "not set"; FAIL (exit 1) otherwise.
 */
#include "program.h"
#include "quizzes/07_event.h" /* --quiz and --answers: its questions */

static const char usage[] =
    "[--waiters N] [--timeout S] [--scale F]\n"
    "  N runners wait for one starter's event; then a timed wait on the cleared event.\n"
    "  --waiters  runners, 1..64 (default 4)\n"
    "  --timeout  seconds of the timed wait that nobody answers, 0.001..3600 (default 0.5);\n"
    "             real seconds, not scaled\n"
    "  --scale    multiply the starter's delay by F, 0.0001..100 (default 1)\n";

/* ---- the event ---------------------------------------------------------------------- */

struct event {
    pthread_mutex_t mu;
    pthread_cond_t changed;   /* broadcast whenever flag becomes true */
    bool flag;                /* the state: set or not; the waits look at this */
};

static void event_init(struct event *e)
{
    PT_CHECK(pthread_mutex_init(&e->mu, NULL));
    cond_init_monotonic(&e->changed);   /* timed waits measure on CLOCK_MONOTONIC */
    e->flag = false;
}

static void event_destroy(struct event *e)
{
    PT_CHECK(pthread_cond_destroy(&e->changed));
    PT_CHECK(pthread_mutex_destroy(&e->mu));
}

/* Set the flag and wake every waiter. Waiters arriving later see the flag and pass. */
static void event_set(struct event *e)
{
    PT_CHECK(pthread_mutex_lock(&e->mu));
    e->flag = true;
    PT_CHECK(pthread_cond_broadcast(&e->changed));
    PT_CHECK(pthread_mutex_unlock(&e->mu));
}

/* Lower the flag: waits block again until the next set. */
static void event_clear(struct event *e)
{
    PT_CHECK(pthread_mutex_lock(&e->mu));
    e->flag = false;
    PT_CHECK(pthread_mutex_unlock(&e->mu));
}

/* A snapshot: by the time the caller looks at it, another thread may have changed it. */
static bool event_is_set(struct event *e)
{
    PT_CHECK(pthread_mutex_lock(&e->mu));
    bool flag = e->flag;
    PT_CHECK(pthread_mutex_unlock(&e->mu));
    return flag;
}

/* Block until the flag is set. The while loop makes spurious wakeups harmless. */
static void event_wait(struct event *e)
{
    PT_CHECK(pthread_mutex_lock(&e->mu));
    while (!e->flag)
        PT_CHECK(pthread_cond_wait(&e->changed, &e->mu));
    PT_CHECK(pthread_mutex_unlock(&e->mu));
}

/* Block until the flag is set or `seconds` have passed; returns the flag, as Python's
 * Event.wait(timeout) does: true if set (even at the last moment), false on timeout.
 * The deadline is computed once, so spurious wakeups do not extend the wait. */
static bool event_wait_for(struct event *e, double seconds)
{
    struct timespec deadline = deadline_after(seconds);
    PT_CHECK(pthread_mutex_lock(&e->mu));
    int rc = 0;
    while (!e->flag && rc != ETIMEDOUT) {
        rc = pthread_cond_timedwait(&e->changed, &e->mu, &deadline);
        if (rc != 0 && rc != ETIMEDOUT)
            die_rc("pthread_cond_timedwait", rc);
    }
    bool flag = e->flag;
    PT_CHECK(pthread_mutex_unlock(&e->mu));
    return flag;
}

/* ---- the race ----------------------------------------------------------------------- */

static const double start_delay = 0.5;   /* "on your marks" before "go", before --scale */
static const double slack = 5.0;         /* runners give up this long after the delay */
enum { MAX_RUNNERS = 64 };

static struct event go;

struct runner {
    int id;
    bool released;   /* result, read by main after the join */
};

static void *runner_main(void *arg)
{
    struct runner *r = arg;
    printf("runner %d: on the line, waiting for go\n", r->id);
    /* Patience with a bound, so a broken event (see Try) ends the lesson instead of
     * hanging it; a working one never comes near it. */
    double patience = start_delay * time_scale + slack;
    double began = now_s();
    bool set = event_wait_for(&go, patience);
    double waited = now_s() - began;

    /* Released means woken by the set. A wait that runs out of patience returns true
     * too if the flag was set meanwhile (as Python's does), but then the set did not
     * wake this runner: its own deadline did. */
    r->released = set && waited < patience;
    if (r->released)
        printf("runner %d: off!\n", r->id);
    else
        printf("runner %d: gave up after %.2f s: the set %s\n", r->id, waited,
               set ? "came, but never woke this runner" : "never came");
    return NULL;
}

static void *starter_main(void *arg)
{
    (void)arg;
    printf("starter: on your marks ... (%.2f s)\n", start_delay * time_scale);
    nap(start_delay);
    printf("starter: go! (one event_set)\n");
    event_set(&go);
    return NULL;
}

/* ---- main --------------------------------------------------------------------------- */

int main(int argc, char **argv)
{
    cli_setup(argv[0], usage);
    QUIZ(quiz);
    long nrunners = 4;
    double timeout = 0.5;

    static const struct option opts[] = {
        { "waiters", required_argument, NULL, 'w' },
        { "timeout", required_argument, NULL, 't' },
        { "scale", required_argument, NULL, 's' },
        CLI_QUIZ, CLI_HELP, CLI_END,
    };
    for (int c; (c = cli_next(argc, argv, opts)) != -1;) {
        switch (c) {
        case 'w': nrunners = parse_long("--waiters", optarg, 1, MAX_RUNNERS); break;
        case 't': timeout = parse_double("--timeout", optarg, 0.001, 3600); break;
        case 's': time_scale = parse_double("--scale", optarg, 0.0001, 100); break;
        }
    }

    event_init(&go);

    /* 1. One set releases many waiters. */
    struct runner runners[MAX_RUNNERS];
    pthread_t tids[MAX_RUNNERS], starter;
    for (long i = 0; i < nrunners; i++) {
        runners[i] = (struct runner){ .id = (int)i + 1 };
        PT_CHECK(pthread_create(&tids[i], NULL, runner_main, &runners[i]));
    }
    PT_CHECK(pthread_create(&starter, NULL, starter_main, NULL));
    PT_CHECK(pthread_join(starter, NULL));
    long released = 0;
    for (long i = 0; i < nrunners; i++) {
        PT_CHECK(pthread_join(tids[i], NULL));
        released += runners[i].released;
    }

    /* 2. The event remembers: a wait after the set returns at once (06's late chef
     *    would have waited forever on a bare condition variable). */
    event_wait(&go);
    printf("main: a late event_wait returns at once: the event is still set\n");

    /* 3. Clear it, and nobody will set it again: a timed wait gives up on time. */
    event_clear(&go);
    bool cleared = !event_is_set(&go);
    printf("main: after event_clear, is_set says %s\n", cleared ? "no" : "yes");
    double began = now_s();
    bool got = event_wait_for(&go, timeout);
    printf("main: event_wait_for(%.3g s) on the cleared event returned \"%s\" after %.3f s\n",
           timeout, got ? "set" : "not set", now_s() - began);

    event_destroy(&go);
    return verdict(released == nrunners && cleared && !got,
                   "waiters=%ld released=%ld timed_out_wait=%s", nrunners, released,
                   got ? "set" : "not_set");
}
