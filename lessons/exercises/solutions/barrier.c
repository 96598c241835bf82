/*
 * Reference solution of exercise "barrier" (the exercise: lessons/exercises/barrier.c).
 * The last arrival of a round opens the next one and broadcasts; the others wait for the
 * round number to change, which, unlike the arrival count, nobody resets under their feet.
 */
#include "barrier.h"

#include "core.h"

void cbarrier_init(cbarrier *b, int n)
{
    PT_CHECK(pthread_mutex_init(&b->mu, NULL));
    PT_CHECK(pthread_cond_init(&b->cv, NULL));
    b->n = n;
    b->arrived = 0;
    b->round = 0;
}

void cbarrier_destroy(cbarrier *b)
{
    PT_CHECK(pthread_cond_destroy(&b->cv));
    PT_CHECK(pthread_mutex_destroy(&b->mu));
}

void cbarrier_wait(cbarrier *b)
{
    PT_CHECK(pthread_mutex_lock(&b->mu));
    unsigned long mine = b->round;
    if (++b->arrived == b->n) { /* the last one: open the next round */
        b->arrived = 0;
        b->round++;
        PT_CHECK(pthread_cond_broadcast(&b->cv));
    } else {
        while (b->round == mine)
            PT_CHECK(pthread_cond_wait(&b->cv, &b->mu));
    }
    PT_CHECK(pthread_mutex_unlock(&b->mu));
}
