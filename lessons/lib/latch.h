/*
 * latch.h: a one-shot gate. Threads arrive and wait at it until someone opens it; whoever
 * will open it can first wait until n threads stand there.
 *
 *   latch go;  latch_init(&go);
 *   task:   latch_wait(&go);               arrive, then wait for "go"
 *   main:   latch_await_arrivals(&go, 2);  both workers are now busy, holding
 *           ... check something that needs them busy ...
 *           latch_open(&go);               everyone passes, now and later
 *           latch_destroy(&go);            once nobody uses it any more
 *
 * It makes "slow" deterministic: a task held at a latch finishes exactly when the program
 * says, not when a nap happens to end, so a check about ordering holds in every run. Lesson
 * 11 and the thread pool's tests hold tasks with it. Java calls the idea a CountDownLatch;
 * Python's threading.Event is the same gate without the arrival count.
 *
 * Nothing here waits with a bound: a program that may wait forever at a latch runs a
 * watchdog (watchdog.h).
 */
#ifndef LATCH_H
#define LATCH_H

#include <pthread.h>
#include <stdbool.h>

typedef struct latch {
    pthread_mutex_t mu;
    pthread_cond_t cv; /* arrivals and the opening both broadcast it */
    bool open;
    int arrived; /* how many latch_wait calls have begun */
} latch;

void latch_init(latch *l);
void latch_destroy(latch *l);

/* Counts this thread as arrived, then waits until the latch is open (returns at once if it
 * already is). */
void latch_wait(latch *l);

/* Waits until at least n threads have arrived (open or not). */
void latch_await_arrivals(latch *l, int n);

/* Opens the latch for good: every waiter passes, and so does every later one. */
void latch_open(latch *l);

#endif
