/*
 * semaphore.h: the API of exercise "semaphore" (lessons/exercises/semaphore.c): a counting
 * semaphore, like POSIX sem_t, from a mutex and a condition variable.
 */
#ifndef EXERCISE_SEMAPHORE_H
#define EXERCISE_SEMAPHORE_H

#include <pthread.h>

typedef struct csem {
    pthread_mutex_t mu;
    pthread_cond_t cv; /* a permit was returned */
    int permits;       /* guarded by mu; never negative */
} csem;

void csem_init(csem *s, int permits); /* permits >= 0 */
void csem_destroy(csem *s);

/* Takes a permit; waits while there is none. */
void csem_wait(csem *s);

/* Returns a permit, waking one waiter if any. */
void csem_post(csem *s);

#endif
