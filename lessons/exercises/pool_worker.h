/*
 * pool_worker.h: the API of exercise "pool_worker" (lessons/exercises/pool_worker.c): a
 * fixed set of worker threads that run submitted tasks, first in first out.
 */
#ifndef EXERCISE_POOL_WORKER_H
#define EXERCISE_POOL_WORKER_H

#include <pthread.h>
#include <stdbool.h>

enum { POOL_MAX_THREADS = 16 };

typedef struct pool_task {
    void (*fn)(void *arg);
    void *arg;
    struct pool_task *next;
} pool_task;

typedef struct pool {
    pthread_mutex_t mu;      /* guards the queue and shutting_down */
    pthread_cond_t work;     /* a task arrived, or shutdown began */
    pool_task *head, *tail;  /* the queue, oldest first */
    bool shutting_down;
    int nthreads;
    pthread_t threads[POOL_MAX_THREADS];
} pool;

/* Starts nthreads (1..POOL_MAX_THREADS) workers, each running pool_worker(p). */
void pool_start(pool *p, int nthreads);

/* Queues fn(arg) to run once on some worker. Not after pool_shutdown has begun. */
void pool_submit(pool *p, void (*fn)(void *), void *arg);

/* A worker's loop: run queued tasks, one at a time, until shutdown and the queue is empty. */
void *pool_worker(void *arg);

/* Runs every task already queued, then stops the workers and joins them all; the pool
 * can be thrown away when it returns. */
void pool_shutdown(pool *p);

#endif
