/*
 * 04_deadlock: two workers take the same two locks in opposite orders and wait for each
 * other forever; a watchdog notices, says who holds what, and ends the program.
 *
 *   make && ./build/04_deadlock --variant bad-order   # deadlock: the watchdog reports, exit 3
 *   ./build/04_deadlock --variant one-order           # one global lock order: always finishes
 *   ./build/04_deadlock --variant bad-order --timing lucky   # finishes; the bug is still there
 *   ./build/04_deadlock --variant bad-order --timeout 0.5 --scale 0.1   # quicker, for tests
 *
 * Notice: worker A copies database -> file and worker B copies file -> database. Locking
 * "in the order of the job" means A holds the database lock and wants the file lock
 * while B holds the file lock and wants the database lock: a cycle, so neither can ever
 * move. The fix is not a cleverer wait but a rule: every thread takes the locks in one
 * global order (here the database lock before the file lock), whatever the job's
 * direction. Then no cycle can form. A watchdog cannot undo a deadlock; it can only
 * notice, explain and stop. Real deadlocks need bad luck in the timing; this lesson
 * arranges that luck (see meet_the_other) so it happens every time, not once a month.
 * With --timing lucky, B starts after A is done: the bad order then finishes fine, which
 * is exactly why such bugs survive testing.
 * Try: make tsan L=04 ARGS='--variant bad-order --timing lucky' (or make helgrind L=04 with
 * the same ARGS, which names the locks by the addresses printed first): the run finishes,
 * yet both tools report the inversion, because they check the order in which locks are
 * taken, not whether a hang happened. (On the real deadlock they report no inversion: they
 * learn an order only when a lock is acquired, and there the second locks never are.)
 *
 * The default is --variant one-order, as in every lesson: the bare command is the correct
 * program and the broken one is asked for by name (and "run each lesson, expect exit 0"
 * stays true).
 *
 * Verdict: "RESULT variant=V timing=T finished=2 expected=2 deadlock=none OK" (exit 0) when
 * both workers finish; otherwise the watchdog prints who holds and waits for what, then
 * "RESULT variant=V timing=T finished=F expected=2 deadlock=detected STUCK" (exit 3;
 * deadlock=unknown if the table shows no cycle, e.g. a run under valgrind that was merely
 * slow). V is one-order or bad-order, T is unlucky or lucky.
 */
#include "program.h"
#include "trace.h"
#include "quizzes/04_deadlock.h" /* --quiz and --answers: its questions */

static const char usage[] =
    "[--variant one-order|bad-order] [--timing unlucky|lucky] [--timeout S]\n"
    "       [--scale F] [--trace PATH]\n"
    "  Worker A copies database -> file, worker B copies file -> database; each needs\n"
    "  both the database lock and the file lock.\n"
    "  --variant  one-order (default): both take the locks in one global order,\n"
    "             the database lock first, then the file lock;\n"
    "             bad-order: each takes its source's lock first: a deadlock (exit 3) if unlucky\n"
    "  --timing   unlucky (default): both reach for their first lock before either reaches\n"
    "             for its second, every run; lucky: B starts only after A is done\n"
    "  --timeout  seconds the watchdog waits for both to finish, 0.001..3600 (default 2);\n"
    "             real seconds (give valgrind more), times F when --scale F is above 1\n"
    "  --scale    multiply the workers' naps by F, 0.0001..100 (default 1)\n"
    "  --trace    write who held and waited for which lock when to PATH (JSON; make timeline\n"
    "             L=04 draws it: in a deadlock, two waits that never end)\n";

enum variant { VARIANT_ONE_ORDER, VARIANT_BAD_ORDER };
static const char *const variant_names[] = { "one-order", "bad-order", NULL };
enum timing { TIMING_UNLUCKY, TIMING_LUCKY };
static const char *const timing_names[] = { "unlucky", "lucky", NULL };

/* ---- the two resources -------------------------------------------------------------- */

/* `rank` is the global lock order: lower ranks are always locked first (in one-order). */
struct resource {
    const char *name;
    int rank;
    pthread_mutex_t lock;
};

static struct resource database = { "database", 0, PTHREAD_MUTEX_INITIALIZER };
static struct resource file = { "file", 1, PTHREAD_MUTEX_INITIALIZER };

/* ---- who holds what: a table for the watchdog --------------------------------------- */

/* Nobody can ask a pthread mutex who holds it, so the workers write it down. The table
 * has its own small lock, never held while waiting for database or file, so the
 * watchdog can always read it, even when the workers are stuck for good. */
enum { NWORKERS = 2 };

struct worker {
    const char *name;
    struct resource *from, *to;          /* the job: copy from -> to */
    enum variant variant;
    enum timing timing;
    struct resource *holds[2];           /* what it holds now (NULL = nothing) */
    struct resource *wants;              /* what it reaches for (NULL = nothing) */
    bool done;
};

static struct worker workers[NWORKERS];
static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t table_changed;     /* monotonic; broadcast on every change */

/* The worker holding r, or NULL. Call with table_lock held. */
static struct worker *holder_of(const struct resource *r)
{
    for (int i = 0; i < NWORKERS; i++)
        for (int j = 0; j < 2; j++)
            if (workers[i].holds[j] == r)
                return &workers[i];
    return NULL;
}

static void note_wants(struct worker *w, struct resource *r)
{
    PT_CHECK(pthread_mutex_lock(&table_lock));
    w->wants = r;
    PT_CHECK(pthread_cond_broadcast(&table_changed));
    PT_CHECK(pthread_mutex_unlock(&table_lock));
}

static void note_holds(struct worker *w, struct resource *r, bool held)
{
    PT_CHECK(pthread_mutex_lock(&table_lock));
    if (held) {
        w->wants = NULL;
        w->holds[w->holds[0] ? 1 : 0] = r;
    } else {
        for (int j = 0; j < 2; j++)
            if (w->holds[j] == r)
                w->holds[j] = NULL;
    }
    PT_CHECK(pthread_cond_broadcast(&table_changed));
    PT_CHECK(pthread_mutex_unlock(&table_lock));
}

/* ---- the workers -------------------------------------------------------------------- */

static void take(struct worker *w, struct resource *r)
{
    printf("worker %s: reaching for the %s lock\n", w->name, r->name);
    trace_thread_name("worker %s", w->name);     /* --trace: before the table, whose lock */
    trace_begin("wait", "waits for %s", r->name); /* hands the events on to the watchdog */
    note_wants(w, r);
    PT_CHECK(pthread_mutex_lock(&r->lock));
    trace_end();
    trace_begin("lock", "holds %s", r->name);
    note_holds(w, r, true);
    printf("worker %s: holds the %s lock\n", w->name, r->name);
}

/* The table is updated before the unlock, so it never shows two holders of one lock. */
static void release(struct worker *w, struct resource *r)
{
    note_holds(w, r, false);
    trace_end();
    PT_CHECK(pthread_mutex_unlock(&r->lock));
}

/* Has the other worker made its first move? It has if it holds a lock, is blocked on a
 * lock someone holds, or is finished. */
static bool has_moved(const struct worker *other)
{
    return other->done || other->holds[0] || other->holds[1]
        || (other->wants && holder_of(other->wants));
}

/* The unlucky moment, made certain. Holding its first lock, each worker waits here until
 * the other has made its first move. In bad-order that means both hold their first
 * lock before either reaches for its second: the deadlock happens every run. In one-order
 * the other worker's first move is to queue behind the database lock we hold, so we
 * go on: the same unlucky timing, and it does no harm. A real program needs no such
 * stage direction; a busy machine provides it, rarely and at the worst time. */
static void meet_the_other(struct worker *w)
{
    const struct worker *other = (w == &workers[0]) ? &workers[1] : &workers[0];
    PT_CHECK(pthread_mutex_lock(&table_lock));
    while (!has_moved(other))
        PT_CHECK(pthread_cond_wait(&table_changed, &table_lock));
    PT_CHECK(pthread_mutex_unlock(&table_lock));
}

/* Lucky timing: B waits until A is done, as if the scheduler had run them one after the
 * other. No cycle can form when only one worker holds locks at a time. */
static void wait_for_turn(struct worker *w)
{
    if (w == &workers[0])
        return;
    PT_CHECK(pthread_mutex_lock(&table_lock));
    while (!workers[0].done)
        PT_CHECK(pthread_cond_wait(&table_changed, &table_lock));
    PT_CHECK(pthread_mutex_unlock(&table_lock));
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;

    /* BROKEN (bad-order): lock in the order of the job.
     * FIXED (one-order): lock in the one global order, by rank. */
    struct resource *first = w->from, *second = w->to;
    if (w->variant == VARIANT_ONE_ORDER && first->rank > second->rank) {
        first = w->to;
        second = w->from;
    }

    if (w->timing == TIMING_LUCKY)
        wait_for_turn(w);
    take(w, first);
    if (w->timing == TIMING_UNLUCKY)
        meet_the_other(w);
    take(w, second);
    printf("worker %s: copying %s -> %s\n", w->name, w->from->name, w->to->name);
    nap(0.2);
    release(w, second);
    release(w, first);
    printf("worker %s: done\n", w->name);

    PT_CHECK(pthread_mutex_lock(&table_lock));
    w->done = true;
    PT_CHECK(pthread_cond_broadcast(&table_changed));
    PT_CHECK(pthread_mutex_unlock(&table_lock));
    return NULL;
}

/* ---- the watchdog ------------------------------------------------------------------- */

/* Follow "waits for a lock held by" from w; a cycle back to w is a deadlock.
 * Call with table_lock held. */
static bool in_cycle(struct worker *w)
{
    struct worker *at = w;
    for (int step = 0; step < NWORKERS; step++) {
        if (!at->wants)
            return false;
        at = holder_of(at->wants);
        if (!at)
            return false;
        if (at == w)
            return true;
    }
    return false;
}

/* What w holds, in words: "the database lock", "the database and file locks", "no lock". */
static const char *holdings(const struct worker *w, char *buf, size_t size)
{
    const struct resource *one = w->holds[0] ? w->holds[0] : w->holds[1];
    const struct resource *two = w->holds[0] ? w->holds[1] : NULL;
    if (!one)
        snprintf(buf, size, "no lock");
    else if (!two)
        snprintf(buf, size, "the %s lock", one->name);
    else
        snprintf(buf, size, "the %s and %s locks", one->name, two->name);
    return buf;
}

/* Say what the table shows. Returns true if it shows a deadlock. Call with table_lock held. */
static bool report_stuck(double timeout, int finished)
{
    printf("watchdog: %d of %d workers finished after %.3g s\n", finished, NWORKERS, timeout);
    bool cycle = false;
    for (int i = 0; i < NWORKERS; i++) {
        struct worker *w = &workers[i];
        if (w->done)
            continue;
        char held[64];
        holdings(w, held, sizeof held);
        struct worker *blocker = w->wants ? holder_of(w->wants) : NULL;
        if (w->wants)
            printf("watchdog: worker %s holds %s, waits for the %s lock (held by %s%s)\n",
                   w->name, held, w->wants->name, blocker ? "worker " : "nobody",
                   blocker ? blocker->name : "");
        else
            printf("watchdog: worker %s holds %s, waits for no lock\n", w->name, held);
        cycle = cycle || in_cycle(w);
    }
    if (cycle)
        printf("watchdog: deadlock: A waits for B and B waits for A; neither can ever move\n");
    else
        printf("watchdog: no cycle in the table; just slow? try a larger --timeout\n");
    return cycle;
}

/* Wait for both workers to finish, at most `timeout` seconds. Returns how many did;
 * *deadlock says whether the table showed a cycle when time ran out. */
static int watch(double timeout, bool *deadlock)
{
    struct timespec give_up = deadline_after(timeout);
    int finished = 0, rc = 0;
    *deadlock = false;

    PT_CHECK(pthread_mutex_lock(&table_lock));
    for (;;) {
        finished = 0;
        for (int i = 0; i < NWORKERS; i++)
            finished += workers[i].done;
        if (finished == NWORKERS || rc == ETIMEDOUT)
            break;
        rc = pthread_cond_timedwait(&table_changed, &table_lock, &give_up);
        if (rc != 0 && rc != ETIMEDOUT)
            die_rc("pthread_cond_timedwait", rc);
    }
    if (finished < NWORKERS)
        *deadlock = report_stuck(timeout, finished);
    PT_CHECK(pthread_mutex_unlock(&table_lock));
    return finished;
}

/* ---- main --------------------------------------------------------------------------- */

int main(int argc, char **argv)
{
    cli_setup(argv[0], usage);
    QUIZ(quiz);
    enum variant variant = VARIANT_ONE_ORDER;
    enum timing timing = TIMING_UNLUCKY;
    double timeout = 2.0;

    static const struct option opts[] = {
        { "variant", required_argument, NULL, 'v' },
        { "timing", required_argument, NULL, 'g' },
        { "timeout", required_argument, NULL, 't' },
        { "scale", required_argument, NULL, 's' },
        CLI_TRACE, CLI_QUIZ, CLI_HELP, CLI_END,
    };
    for (int c; (c = cli_next(argc, argv, opts)) != -1;) {
        switch (c) {
        case 'v': variant = (enum variant)parse_choice("--variant", optarg, variant_names); break;
        case 'g': timing = (enum timing)parse_choice("--timing", optarg, timing_names); break;
        case 't': timeout = parse_double("--timeout", optarg, 0.001, 3600); break;
        case 's': time_scale = parse_double("--scale", optarg, 0.0001, 100); break;
        }
    }

    cond_init_monotonic(&table_changed);
    workers[0] = (struct worker){ .name = "A", .from = &database, .to = &file,
                                  .variant = variant, .timing = timing };
    workers[1] = (struct worker){ .name = "B", .from = &file, .to = &database,
                                  .variant = variant, .timing = timing };
    printf("variant=%s: %s\n", variant_names[variant],
           variant == VARIANT_ONE_ORDER ? "both take the database lock first, then the file lock"
                                        : "each takes the lock of what it copies from first");
    printf("timing=%s: %s\n", timing_names[timing],
           timing == TIMING_UNLUCKY
               ? "both reach for their first lock before either reaches for its second"
               : "B starts only after A is done");
    /* For a lock-order checker, which names a lock by its address: `make helgrind L=04`. */
    printf("locks: database at %p, file at %p\n", (void *)&database.lock, (void *)&file.lock);

    pthread_t tids[NWORKERS];
    for (int i = 0; i < NWORKERS; i++)
        PT_CHECK(pthread_create(&tids[i], NULL, worker_main, &workers[i]));

    bool deadlock;
    int finished = watch(scaled_timeout(timeout), &deadlock);
    if (finished < NWORKERS) {
        /* No join: the stuck workers will never return. Returning from main ends the
         * process, and them with it; that is the only way out of a deadlock. Their last
         * events reached us through the table's lock; the waits stay open in the trace. */
        trace_done_or_die();
        return verdict_stuck("variant=%s timing=%s finished=%d expected=%d deadlock=%s",
                             variant_names[variant], timing_names[timing], finished, NWORKERS,
                             deadlock ? "detected" : "unknown");
    }

    for (int i = 0; i < NWORKERS; i++)
        PT_CHECK(pthread_join(tids[i], NULL));
    trace_done_or_die();
    PT_CHECK(pthread_cond_destroy(&table_changed));
    return verdict(true, "variant=%s timing=%s finished=%d expected=%d deadlock=none",
                   variant_names[variant], timing_names[timing], finished, NWORKERS);
}
