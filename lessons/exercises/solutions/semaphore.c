/*
 * Reference solution of exercise "semaphore" (the exercise: lessons/exercises/semaphore.c).
 * The permit count lives under the mutex; a waiter sleeps in a loop while it is zero, and
 * each post wakes one waiter, because one permit can let only one through.
 */
#include "semaphore.h"

#include "core.h"

void csem_init(csem *s, int permits)
{
    PT_CHECK(pthread_mutex_init(&s->mu, NULL));
    PT_CHECK(pthread_cond_init(&s->cv, NULL));
    s->permits = permits;
}

void csem_destroy(csem *s)
{
    PT_CHECK(pthread_cond_destroy(&s->cv));
    PT_CHECK(pthread_mutex_destroy(&s->mu));
}

void csem_wait(csem *s)
{
    PT_CHECK(pthread_mutex_lock(&s->mu));
    while (s->permits == 0)
        PT_CHECK(pthread_cond_wait(&s->cv, &s->mu));
    s->permits--;
    PT_CHECK(pthread_mutex_unlock(&s->mu));
}

void csem_post(csem *s)
{
    PT_CHECK(pthread_mutex_lock(&s->mu));
    s->permits++;
    PT_CHECK(pthread_cond_signal(&s->cv));
    PT_CHECK(pthread_mutex_unlock(&s->mu));
}
