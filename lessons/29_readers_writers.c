/*
 * 29_readers_writers: many readers and a few writers share one record. A lock that lets
 * readers in whenever other readers are inside can keep a writer out for good; a lock where
 * a waiting writer stops new readers bounds the writer's wait.
 *
 *   make && ./build/29_readers_writers                          # fair: writers get in
 *   ./build/29_readers_writers --variant readers-first          # writers starve
 *   ./build/29_readers_writers --variant readers-first --readers 1   # one reader: no overlap
 *
 * The record has three fields that must always be equal; a writer sets them one by one,
 * pausing between, so a reader let in beside a writer would see them differ ("torn"). Both
 * locks are built the textbook way from one mutex, a count of readers inside and two
 * condition variables:
 *   readers-first  a reader waits only while a writer is inside; a writer waits until no
 *                  reader is inside. R readers whose reads overlap keep that count above
 *                  zero, and the writer waits, however long, while reader after reader
 *                  walks past it.
 *   fair           a writer that waits counts itself as waiting, and a new reader waits
 *                  while any writer waits or writes: the readers inside finish, the writer
 *                  goes in, so its wait is bounded by the longest read (plus the writes
 *                  queued before it).
 * Each writer plans one write every --interval seconds for --seconds; readers read without
 * a pause for the same time. A writer still waiting when the time is up gives up (a timed
 * wait: never a hang) and that write, with its remaining plan, is counted as not done.
 *
 * Notice: the writers' line: how many of the planned writes were done, and the longest
 * wait for the lock (a write that gave up waited until the end). Under readers-first with
 * the default 4 readers, most writes never happen; under fair nearly all do, and the
 * longest wait is a few reads long. The figures are measured, so they change from run to
 * run; the readers' longest wait is printed too: under fair, readers pay for the writers.
 * Try: --variant readers-first --readers 1, then 2: how many overlapping readers does it
 * take to starve the writers?
 *
 * Verdict: "RESULT variant=V readers=R writers=W reads=N writes=D planned=P torn=0
 * overlap=0 OK" (exit 0) when no reader saw a torn record, no writer ever shared the
 * record with another thread (checked by atomic counts of who is inside), the record ends
 * intact with every field equal to the writes done, and every planned write was either
 * done or counted as given up; FAIL (exit 1) otherwise. Starvation does not decide the
 * verdict: it is reported, as measured. A thread not finished 10 s after the time is up
 * (a lock that lost a wakeup) ends the run: "RESULT variant=V stuck_after=Xs STUCK" (exit 3).
 */
#include "program.h"
#include "watchdog.h"
#include "quizzes/29_readers_writers.h" /* --quiz and --answers: its questions */

#include <stdatomic.h>

static const char usage[] =
    "[--variant fair|readers-first] [--readers R] [--writers W] [--seconds S]\n"
    "       [--interval I] [--read S] [--write S]\n"
    "  --variant   fair (default): a waiting writer stops new readers;\n"
    "              readers-first: readers go in while readers are inside: writers starve\n"
    "  --readers   reader threads, 1..64 (default 4)\n"
    "  --writers   writer threads, 1..64 (default 2)\n"
    "  --seconds   how long the run lasts, 0.01..60 (default 1)\n"
    "  --interval  each writer plans one write every I seconds, 0.0001..10 (default 0.01)\n"
    "  --read      seconds a read holds the lock, 0..1 (default 0.002)\n"
    "  --write     seconds a write holds the lock, 0..1 (default 0.0005)\n";

enum variant { VARIANT_FAIR, VARIANT_READERS_FIRST };
static const char *const variant_names[] = { "fair", "readers-first", NULL };

enum { MAX_THREADS = 64 };

/* ---- the lock ------------------------------------------------------------------------ */

static struct {
    pthread_mutex_t mu;
    pthread_cond_t may_read, may_write;   /* monotonic clocks: the writer's wait is timed */
    int readers;                          /* inside now */
    bool writer;                          /* a writer inside */
    int writers_waiting;
} rw = { .mu = PTHREAD_MUTEX_INITIALIZER };

static enum variant variant = VARIANT_FAIR;

static void read_lock(void)
{
    PT_CHECK(pthread_mutex_lock(&rw.mu));
    /* BROKEN (readers-first): wait only while a writer is inside; a waiting writer
     * does not stop us, so overlapping readers can keep it out for ever.
     * FIXED (fair): a waiting writer stops new readers too. */
    while (rw.writer || (variant == VARIANT_FAIR && rw.writers_waiting > 0))
        PT_CHECK(pthread_cond_wait(&rw.may_read, &rw.mu));
    rw.readers++;
    PT_CHECK(pthread_mutex_unlock(&rw.mu));
}

static void read_unlock(void)
{
    PT_CHECK(pthread_mutex_lock(&rw.mu));
    if (--rw.readers == 0)
        PT_CHECK(pthread_cond_signal(&rw.may_write));
    PT_CHECK(pthread_mutex_unlock(&rw.mu));
}

/* Wait for the record until `until` (monotonic). Returns false if the time ran out. */
static bool write_lock_until(const struct timespec *until)
{
    PT_CHECK(pthread_mutex_lock(&rw.mu));
    rw.writers_waiting++;
    int rc = 0;
    while ((rw.writer || rw.readers > 0) && rc != ETIMEDOUT) {
        rc = pthread_cond_timedwait(&rw.may_write, &rw.mu, until);
        if (rc != 0 && rc != ETIMEDOUT)
            die_rc("pthread_cond_timedwait", rc);
    }
    rw.writers_waiting--;
    bool got = !rw.writer && rw.readers == 0;
    if (got)
        rw.writer = true;
    else if (rw.writers_waiting == 0)
        PT_CHECK(pthread_cond_broadcast(&rw.may_read));   /* fair: readers may go on */
    PT_CHECK(pthread_mutex_unlock(&rw.mu));
    return got;
}

static void write_unlock(void)
{
    PT_CHECK(pthread_mutex_lock(&rw.mu));
    rw.writer = false;
    PT_CHECK(pthread_cond_signal(&rw.may_write));    /* a waiting writer, if any */
    PT_CHECK(pthread_cond_broadcast(&rw.may_read));  /* fair: they wait again if it is */
    PT_CHECK(pthread_mutex_unlock(&rw.mu));
}

/* ---- the record and the checks -------------------------------------------------------- */

static struct { long a, b, c; } record;          /* a == b == c, except inside a write */
static atomic_int readers_inside, writers_inside; /* who is inside, by their own count */
static atomic_long overlaps;                      /* a writer beside anyone else */
static atomic_bool time_up;
static double read_s = 0.002, write_s = 0.0005, interval_s = 0.01, seconds = 1.0;
static struct timespec run_end;
static int64_t start_ns;

struct reader {
    long reads, torn;
    int64_t longest_ns;
};

struct writer {
    long planned, done, gave_up;
    int64_t longest_ns;
};

static void *reader_main(void *arg)
{
    struct reader *r = arg;
    while (!atomic_load(&time_up)) {
        int64_t t0 = now_ns();
        read_lock();
        int64_t waited = now_ns() - t0;
        r->longest_ns = waited > r->longest_ns ? waited : r->longest_ns;
        atomic_fetch_add(&readers_inside, 1);
        if (atomic_load(&writers_inside) != 0)
            atomic_fetch_add(&overlaps, 1);
        long a = record.a;
        nap(read_s);
        long b = record.b, c = record.c;
        r->torn += a != b || b != c;
        r->reads++;
        atomic_fetch_sub(&readers_inside, 1);
        read_unlock();
    }
    return NULL;
}

static void *writer_main(void *arg)
{
    struct writer *w = arg;
    for (long k = 0; k < w->planned; k++) {
        /* the plan: write k is due at start + k * interval */
        double due = (double)k * interval_s - (double)(now_ns() - start_ns) / 1e9;
        if (due > 0)
            nap(due);
        int64_t t0 = now_ns();
        bool got = write_lock_until(&run_end);
        int64_t waited = now_ns() - t0;
        w->longest_ns = waited > w->longest_ns ? waited : w->longest_ns;
        if (!got) {
            w->gave_up = w->planned - k;   /* this write and the rest of the plan */
            break;
        }
        if (atomic_fetch_add(&writers_inside, 1) != 0 || atomic_load(&readers_inside) != 0)
            atomic_fetch_add(&overlaps, 1);
        long v = record.a + 1;
        record.a = v;
        nap(write_s);
        record.b = v;
        record.c = v;
        w->done++;
        atomic_fetch_sub(&writers_inside, 1);
        write_unlock();
    }
    return NULL;
}

/* Once the time is up every thread finishes its read or write at most and returns, and a
 * writer still waiting gives up at once. Should one not (a bug in a lock: a wakeup that
 * never comes), main's joins are bounded anyway: this ends the run, and says so. */
static double join_limit_s; /* 10 s, and the longest read and write */

static void joins_stuck(void *unused)
{
    (void)unused;
    printf("stuck: a thread has not finished %g s after the time was up (inside the record "
           "now: %d readers, %d writers)\n", join_limit_s, atomic_load(&readers_inside),
           atomic_load(&writers_inside));
    verdict_stuck("variant=%s stuck_after=%gs", variant_names[variant], join_limit_s);
    _exit(EXIT_STUCK);
}

/* ---- main --------------------------------------------------------------------------- */

int main(int argc, char **argv)
{
    cli_setup(argv[0], usage);
    QUIZ(quiz);
    int nreaders = 4, nwriters = 2;
    static const struct option opts[] = {
        { "variant", required_argument, NULL, 'v' },
        { "readers", required_argument, NULL, 'r' },
        { "writers", required_argument, NULL, 'w' },
        { "seconds", required_argument, NULL, 's' },
        { "interval", required_argument, NULL, 'i' },
        { "read", required_argument, NULL, 'R' },
        { "write", required_argument, NULL, 'W' },
        CLI_QUIZ, CLI_HELP, CLI_END,
    };
    for (int c; (c = cli_next(argc, argv, opts)) != -1;) {
        switch (c) {
        case 'v': variant = (enum variant)parse_choice("--variant", optarg, variant_names); break;
        case 'r': nreaders = (int)parse_long("--readers", optarg, 1, MAX_THREADS); break;
        case 'w': nwriters = (int)parse_long("--writers", optarg, 1, MAX_THREADS); break;
        case 's': seconds = parse_double("--seconds", optarg, 0.01, 60); break;
        case 'i': interval_s = parse_double("--interval", optarg, 0.0001, 10); break;
        case 'R': read_s = parse_double("--read", optarg, 0, 1); break;
        case 'W': write_s = parse_double("--write", optarg, 0, 1); break;
        }
    }
    long plan = (long)(seconds / interval_s + 1e-9);   /* 0.3 / 0.1 is 2.9999...: 3 writes */
    if (plan < 1)
        usage_error("--interval: %g s leaves no write in a run of %g s", interval_s, seconds);
    printf("variant=%s: %d readers reading for %g s, %d writers planning %ld writes each\n",
           variant_names[variant], nreaders, seconds, nwriters, plan);

    cond_init_monotonic(&rw.may_read);
    cond_init_monotonic(&rw.may_write);
    HELGRIND_IGNORE(readers_inside);
    HELGRIND_IGNORE(writers_inside);
    HELGRIND_IGNORE(overlaps);
    HELGRIND_IGNORE(time_up);

    struct reader readers[MAX_THREADS] = { { 0 } };
    struct writer writers[MAX_THREADS] = { { 0 } };
    pthread_t rt[MAX_THREADS], wt[MAX_THREADS];
    start_ns = now_ns();
    run_end = deadline_after(seconds);
    for (int i = 0; i < nreaders; i++)
        PT_CHECK(pthread_create(&rt[i], NULL, reader_main, &readers[i]));
    for (int i = 0; i < nwriters; i++) {
        writers[i].planned = plan;
        PT_CHECK(pthread_create(&wt[i], NULL, writer_main, &writers[i]));
    }
    nap(seconds);             /* the readers read until the time is up */
    atomic_store(&time_up, true);
    watchdog dog;
    join_limit_s = 10 + read_s + write_s;
    watchdog_start(&dog, join_limit_s, joins_stuck, NULL);
    for (int i = 0; i < nreaders; i++)
        PT_CHECK(pthread_join(rt[i], NULL));
    for (int i = 0; i < nwriters; i++)
        PT_CHECK(pthread_join(wt[i], NULL));
    watchdog_stop(&dog);
    double elapsed = (double)(now_ns() - start_ns) / 1e9;

    long reads = 0, torn = 0, done = 0, planned = 0, gave_up = 0;
    int64_t reader_longest = 0, writer_longest = 0;
    for (int i = 0; i < nreaders; i++) {
        reads += readers[i].reads;
        torn += readers[i].torn;
        if (readers[i].longest_ns > reader_longest)
            reader_longest = readers[i].longest_ns;
    }
    for (int i = 0; i < nwriters; i++) {
        done += writers[i].done;
        planned += writers[i].planned;
        gave_up += writers[i].gave_up;
        if (writers[i].longest_ns > writer_longest)
            writer_longest = writers[i].longest_ns;
    }
    printf("writers (measured): finished %ld of %ld planned writes in %.2f s; the longest "
           "wait %.3f s; %ld writes not done (given up at the end)\n",
           done, planned, elapsed, (double)writer_longest / 1e9, gave_up);
    printf("readers (measured): %ld reads; the longest wait %.3f s\n", reads,
           (double)reader_longest / 1e9);
    bool intact = record.a == record.b && record.b == record.c && record.a == done;
    long overlap = atomic_load(&overlaps);
    PT_CHECK(pthread_cond_destroy(&rw.may_read));
    PT_CHECK(pthread_cond_destroy(&rw.may_write));
    return verdict(torn == 0 && overlap == 0 && intact && done + gave_up == planned,
                   "variant=%s readers=%d writers=%d reads=%ld writes=%ld planned=%ld "
                   "torn=%ld overlap=%ld",
                   variant_names[variant], nreaders, nwriters, reads, done, planned, torn,
                   overlap);
}
