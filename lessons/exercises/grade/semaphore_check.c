/* semaphore_check.c: the checks of exercise "semaphore" (see grade.h). */
#include "grade.h"
#include "semaphore.h"

enum { K = 3, THREADS = 8 };

typedef struct one_wait {
    csem s;
    atomic_bool started, returned;
} one_wait;

static void *wait_once(void *arg)
{
    one_wait *w = arg;
    atomic_store(&w->started, true);
    csem_wait(&w->s);
    atomic_store(&w->returned, true);
    return NULL;
}

static bool zero_waits_for_post(char *why, size_t size)
{
    one_wait w = { .started = false };
    csem_init(&w.s, 0);
    pthread_t t;
    PT_CHECK(pthread_create(&t, NULL, wait_once, &w));
    grade_wait_flag(&w.started, 5);
    nap(0.05); /* time for a wait that does not wait to return */
    bool early = atomic_load(&w.returned);
    csem_post(&w.s);
    PT_CHECK(pthread_join(t, NULL)); /* a post that wakes nobody hangs this: killed */
    csem_destroy(&w.s);
    snprintf(why, size, "a wait with 0 permits %s", early ? "returned before any post"
                                                          : "waited, and returned after the post");
    return !early;
}

static bool k_waits_pass(char *why, size_t size)
{
    csem s;
    csem_init(&s, K);
    for (int i = 0; i < K; i++)
        csem_wait(&s); /* must not block: a hang is killed */
    csem_post(&s);
    csem_wait(&s);
    csem_destroy(&s);
    snprintf(why, size, "%d waits on %d permits, then a post and a wait, all returned", K, K);
    return true;
}

typedef struct crowd {
    csem s;
    pthread_mutex_t mu; /* guards inside and most (helgrind cannot see atomics) */
    int inside, most;
    long rounds;
} crowd;

static void *go_through(void *arg)
{
    crowd *c = arg;
    for (long i = 0; i < c->rounds; i++) {
        csem_wait(&c->s);
        PT_CHECK(pthread_mutex_lock(&c->mu));
        if (++c->inside > c->most)
            c->most = c->inside;
        PT_CHECK(pthread_mutex_unlock(&c->mu));
        for (int spin = 0; spin < 100; spin++) /* stay inside a moment: let others try */
            cpu_relax();
        PT_CHECK(pthread_mutex_lock(&c->mu));
        c->inside--;
        PT_CHECK(pthread_mutex_unlock(&c->mu));
        csem_post(&c->s);
    }
    return NULL;
}

static bool never_more_than_k(char *why, size_t size)
{
    crowd c = { .rounds = grade_size(2000) };
    csem_init(&c.s, K);
    PT_CHECK(pthread_mutex_init(&c.mu, NULL));
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        PT_CHECK(pthread_create(&t[i], NULL, go_through, &c));
    for (int i = 0; i < THREADS; i++)
        PT_CHECK(pthread_join(t[i], NULL));
    PT_CHECK(pthread_mutex_destroy(&c.mu));
    csem_destroy(&c.s);
    snprintf(why, size, "%d threads x %ld rounds through %d permits: at most %d inside at once",
             THREADS, c.rounds, K, c.most);
    return c.most <= K;
}

const grade_exercise grade_this = {
    .name = "semaphore",
    .helgrind = true,
    .checks = {
        { .name = "with 0 permits, a wait waits for a post", .run = zero_waits_for_post },
        { .name = "with K permits, K waits pass at once", .run = k_waits_pass, .after_core = true },
        { .name = "invariant: never more than K inside (8 threads, K = 3); all get through", .run = never_more_than_k },
    },
};
