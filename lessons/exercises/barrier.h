/*
 * barrier.h: the API of exercise "barrier" (lessons/exercises/barrier.c): a reusable
 * barrier for n threads, like pthread_barrier_t.
 */
#ifndef EXERCISE_BARRIER_H
#define EXERCISE_BARRIER_H

#include <pthread.h>

typedef struct cbarrier {
    pthread_mutex_t mu;    /* guards the fields below */
    pthread_cond_t cv;     /* the last arrival of a round broadcasts it */
    int n;                 /* threads per round */
    int arrived;           /* how many have arrived in the current round */
    unsigned long round;   /* which round this is: a waiter waits for it to change */
} cbarrier;

void cbarrier_init(cbarrier *b, int n); /* n >= 1 */
void cbarrier_destroy(cbarrier *b);

/* Waits until n threads have called it in this round; then all n return and the barrier
 * is ready for the next round at once (a fast thread may arrive for round r + 1 while slow
 * ones are still leaving round r). */
void cbarrier_wait(cbarrier *b);

#endif
