/* barrier_check.c: the checks of exercise "barrier" (see grade.h). A barrier that strands
 * a thread is killed by the driver and FAILs as stuck. */
#include "barrier.h"
#include "grade.h"

enum { THREADS = 4 };

typedef struct phases {
    cbarrier b;
    long rounds;
    pthread_mutex_t mu;    /* guards reached and early (helgrind cannot see atomics) */
    long reached[THREADS]; /* how many rounds each thread has arrived at */
    long early;            /* times a thread left round r before all had arrived at it */
} phases;

typedef struct member {
    phases *ph;
    int id;
} member;

static void *work_in_phases(void *arg)
{
    member *m = arg;
    phases *ph = m->ph;
    for (long r = 1; r <= ph->rounds; r++) {
        PT_CHECK(pthread_mutex_lock(&ph->mu));
        ph->reached[m->id] = r;
        PT_CHECK(pthread_mutex_unlock(&ph->mu));
        if (r % 7 == m->id) /* someone is late now and then */
            for (int spin = 0; spin < 2000; spin++)
                cpu_relax();
        cbarrier_wait(&ph->b);
        PT_CHECK(pthread_mutex_lock(&ph->mu));
        for (int t = 0; t < THREADS; t++)
            if (ph->reached[t] < r)
                ph->early++;
        PT_CHECK(pthread_mutex_unlock(&ph->mu));
    }
    return NULL;
}

static long run_phases(long rounds)
{
    phases ph = { .rounds = rounds };
    cbarrier_init(&ph.b, THREADS);
    PT_CHECK(pthread_mutex_init(&ph.mu, NULL));
    member m[THREADS];
    for (int i = 0; i < THREADS; i++)
        m[i] = (member){ &ph, i };
    grade_run_threads(THREADS, work_in_phases, m, sizeof m[0]);
    PT_CHECK(pthread_mutex_destroy(&ph.mu));
    cbarrier_destroy(&ph.b);
    return ph.early;
}

static bool nobody_early(char *why, size_t size)
{
    long rounds = grade_size(200), early = run_phases(rounds);
    snprintf(why, size, "%d threads, %ld rounds: %ld times a thread left a round before all had arrived",
             THREADS, rounds, early);
    return early == 0;
}

static bool reusable(char *why, size_t size)
{
    long rounds = grade_size(1000), early = run_phases(rounds);
    snprintf(why, size, "%d threads passed %ld rounds in a row, %ld early", THREADS, rounds, early);
    return early == 0;
}

static bool barrier_of_one(char *why, size_t size)
{
    cbarrier b;
    cbarrier_init(&b, 1);
    for (int i = 0; i < 3; i++)
        cbarrier_wait(&b); /* must not block: a hang is killed */
    cbarrier_destroy(&b);
    snprintf(why, size, "3 waits returned");
    return true;
}

const grade_exercise grade_this = {
    .name = "barrier",
    .helgrind = true,
    .checks = {
        { .name = "invariant: nobody leaves a round before all 4 have arrived", .run = nobody_early },
        { .name = "reusable: 4 threads pass a thousand rounds in a row", .run = reusable },
        { .name = "a barrier of 1 never waits", .run = barrier_of_one, .after_core = true },
    },
};
