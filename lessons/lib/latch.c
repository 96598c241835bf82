/* latch.c: see latch.h. */
#include "latch.h"

#include "core.h"

void latch_init(latch *l)
{
    PT_CHECK(pthread_mutex_init(&l->mu, NULL));
    cond_init_monotonic(&l->cv);
    l->open = false;
    l->arrived = 0;
}

void latch_destroy(latch *l)
{
    PT_CHECK(pthread_cond_destroy(&l->cv));
    PT_CHECK(pthread_mutex_destroy(&l->mu));
}

void latch_wait(latch *l)
{
    PT_CHECK(pthread_mutex_lock(&l->mu));
    l->arrived++;
    PT_CHECK(pthread_cond_broadcast(&l->cv)); /* someone may await this arrival */
    while (!l->open)
        PT_CHECK(pthread_cond_wait(&l->cv, &l->mu));
    PT_CHECK(pthread_mutex_unlock(&l->mu));
}

void latch_await_arrivals(latch *l, int n)
{
    PT_CHECK(pthread_mutex_lock(&l->mu));
    while (l->arrived < n)
        PT_CHECK(pthread_cond_wait(&l->cv, &l->mu));
    PT_CHECK(pthread_mutex_unlock(&l->mu));
}

void latch_open(latch *l)
{
    PT_CHECK(pthread_mutex_lock(&l->mu));
    l->open = true;
    PT_CHECK(pthread_cond_broadcast(&l->cv));
    PT_CHECK(pthread_mutex_unlock(&l->mu));
}
