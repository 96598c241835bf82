/*
 * 05_trylock_timeout: the same two workers and two locks as 04_deadlock, still taken in
 * opposite orders, and yet both always finish: never wait forever while holding a lock.
 *
 *   make && ./build/05_trylock_timeout                  # 5 rounds each, a few retries
 *   ./build/05_trylock_timeout --rounds 20 --seed 7     # another run of the dice
 *   ./build/05_trylock_timeout --scale 0.01             # the same story, 100x faster
 *
 * Notice: each worker takes its first lock, holds it a moment, then asks for the second
 * with a deadline (pthread_mutex_timedlock). If the other worker holds it, the deadline
 * passes, and instead of waiting on, the worker gives BACK the lock it holds, pauses for
 * a random while and starts the round again. The first round is staged (as in 04) so that
 * this happens in every run: at least one "gave back" line, at least one retry. Giving
 * back is what breaks the cycle that deadlocked 04; the random pause (jitter) is what
 * keeps the two from meeting again in lockstep, round after round. Retries cost time, so
 * this is a fallback for when one global lock order (04's fix) is impossible, not a
 * replacement.
 * Try: make the pause a constant (return backoff_max / 2 from backoff): the two fall into
 * lockstep and nearly every round costs a retry; or raise --rounds and compare seeds.
 * Tools: `valgrind --tool=helgrind` reports 'lock order "..." violated' here, and it is
 * right: the order IS inverted, on purpose; the deadline is what makes that safe, and
 * helgrind cannot know it (use --track-lockorders=no to look for other problems).
 * ThreadSanitizer treats a timed lock like a trylock and stays quiet.
 *
 * Verdict: "RESULT rounds=R done=2R expected=2R retries=N attempts=2R+N OK" (exit 0)
 * when both workers finished all R rounds and every attempt is either a finished round
 * or a counted retry; FAIL (exit 1) otherwise, e.g. when a worker gave up after
 * MAX_RETRIES. The number of retries depends on the interleaving, so it is only reported.
 */
#include "program.h"
#include "quizzes/05_trylock_timeout.h" /* --quiz and --answers: its questions */

static const char usage[] =
    "[--rounds N] [--seed N] [--scale F]\n"
    "  Worker A locks database then file, worker B locks file then database, N rounds\n"
    "  each; the second lock is awaited with a deadline, and on timeout the worker\n"
    "  releases its first lock, backs off for a random pause and retries.\n"
    "  --rounds  rounds per worker, 1..1000 (default 5)\n"
    "  --seed    seed for the random back-off pauses, 0..2147483647 (default 1)\n"
    "  --scale   multiply every pause and deadline by F, 0.0001..100 (default 1)\n";

/* The story's times, in seconds before --scale. */
static const double hold_first = 0.05;    /* work with the first lock before reaching on */
static const double patience = 0.1;       /* how long to wait for the second lock */
static const double backoff_max = 0.1;    /* back-off pauses are random in [0, this) */
static const double work = 0.02;          /* work with both locks */

enum { NWORKERS = 2, MAX_RETRIES = 10000 };

struct resource {
    const char *name;
    pthread_mutex_t lock;
};

static struct resource database = { "database", PTHREAD_MUTEX_INITIALIZER };
static struct resource file = { "file", PTHREAD_MUTEX_INITIALIZER };

struct worker {
    const char *name;
    struct resource *first, *second;
    long rounds;
    pthread_barrier_t *meet;       /* the staged first collision: see meet_the_other */
    uint64_t rng;                  /* this worker's own random state: no lock needed */
    /* results, read by main after the join */
    long done, retries, attempts;
    bool gave_up;
};

/* Wait for r at most `seconds` (story time: scaled by --scale, like nap); false if the
 * deadline passed.
 * POSIX gives pthread_mutex_timedlock no choice of clock: the deadline is on
 * CLOCK_REALTIME, so a jump of the wall clock could stretch or cut this wait. Here the
 * worst case is one extra retry or one longer wait; condition variables (06, 07) can
 * and do use CLOCK_MONOTONIC. */
static bool lock_within(struct resource *r, double seconds)
{
    struct timespec deadline = deadline_on(CLOCK_REALTIME, seconds * time_scale);
    int rc = pthread_mutex_timedlock(&r->lock, &deadline);
    if (rc == ETIMEDOUT)
        return false;
    if (rc != 0)
        die_rc("pthread_mutex_timedlock", rc);
    return true;
}

/* A random pause in [0, backoff_max): two workers that timed out together rarely pick
 * the same pause, so one of them gets both locks on the next try. */
static double backoff(struct worker *w)
{
    return backoff_max * (double)rng_below(&w->rng, 1000) / 1000.0;
}

/* Stage direction, as in 04: on its first attempt each worker, holding its first lock,
 * waits here until the other holds its own. Both then ask for a lock the other holds, so
 * in every run at least one deadline passes and one lock is given back, however the
 * threads happen to be scheduled. Later rounds collide or not as the pauses fall. */
static void meet_the_other(struct worker *w)
{
    int rc = pthread_barrier_wait(w->meet);
    if (rc != 0 && rc != PTHREAD_BARRIER_SERIAL_THREAD)
        die_rc("pthread_barrier_wait", rc);
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    while (w->done < w->rounds) {
        w->attempts++;

        /* Holding nothing, we may wait as long as it takes: no cycle can close on us. */
        PT_CHECK(pthread_mutex_lock(&w->first->lock));
        if (w->attempts == 1)
            meet_the_other(w);
        nap(hold_first);

        /* Holding a lock, we may only wait with a deadline. */
        double asked = now_s();
        if (lock_within(w->second, patience)) {
            nap(work);
            PT_CHECK(pthread_mutex_unlock(&w->second->lock));
            PT_CHECK(pthread_mutex_unlock(&w->first->lock));
            w->done++;
            printf("worker %s: round %ld done (%s, then %s)\n", w->name, w->done,
                   w->first->name, w->second->name);
            continue;
        }

        double waited = now_s() - asked;
        PT_CHECK(pthread_mutex_unlock(&w->first->lock));   /* give back: break the cycle */
        w->retries++;
        double pause = backoff(w);
        printf("worker %s: the %s lock stayed busy for %.0f ms; gave back the %s lock, "
               "backing off %.0f ms (retry %ld)\n", w->name, w->second->name, waited * 1e3,
               w->first->name, pause * time_scale * 1e3, w->retries);
        if (w->retries >= MAX_RETRIES) {
            w->gave_up = true;     /* never hang, not even in a livelock */
            break;
        }
        nap(pause);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    cli_setup(argv[0], usage);
    QUIZ(quiz);
    long rounds = 5, seed = 1;

    static const struct option opts[] = {
        { "rounds", required_argument, NULL, 'r' },
        { "seed", required_argument, NULL, 'S' },
        { "scale", required_argument, NULL, 's' },
        CLI_QUIZ, CLI_HELP, CLI_END,
    };
    for (int c; (c = cli_next(argc, argv, opts)) != -1;) {
        switch (c) {
        case 'r': rounds = parse_long("--rounds", optarg, 1, 1000); break;
        case 'S': seed = parse_long("--seed", optarg, 0, 2147483647); break;
        case 's': time_scale = parse_double("--scale", optarg, 0.0001, 100); break;
        }
    }

    pthread_barrier_t meet;
    PT_CHECK(pthread_barrier_init(&meet, NULL, NWORKERS));
    struct worker workers[NWORKERS] = {
        { .name = "A", .first = &database, .second = &file },
        { .name = "B", .first = &file, .second = &database },   /* the opposite order */
    };
    pthread_t tids[NWORKERS];
    for (int i = 0; i < NWORKERS; i++) {
        workers[i].rounds = rounds;
        workers[i].meet = &meet;
        workers[i].rng = (uint64_t)seed * 2654435761u + (uint64_t)i + 1;  /* distinct per worker */
        PT_CHECK(pthread_create(&tids[i], NULL, worker_main, &workers[i]));
    }

    long done = 0, retries = 0, attempts = 0;
    bool gave_up = false;
    for (int i = 0; i < NWORKERS; i++) {
        PT_CHECK(pthread_join(tids[i], NULL));
        done += workers[i].done;
        retries += workers[i].retries;
        attempts += workers[i].attempts;
        gave_up = gave_up || workers[i].gave_up;
        printf("worker %s: %ld rounds, %ld retries\n", workers[i].name, workers[i].done,
               workers[i].retries);
    }
    PT_CHECK(pthread_barrier_destroy(&meet));

    long expected = NWORKERS * rounds;
    return verdict(!gave_up && done == expected && attempts == done + retries,
                   "rounds=%ld done=%ld expected=%ld retries=%ld attempts=%ld", rounds, done,
                   expected, retries, attempts);
}
