/*
 * Reference solution of exercise "pool_worker" (the exercise: lessons/exercises/pool_worker.c).
 * The worker's one invariant: it decides to sleep, and to leave, only while holding the
 * mutex that submit and shutdown change the queue and the flag under, so no wakeup falls
 * between its check and its wait. It runs each task with the mutex released.
 */
#include "pool_worker.h"

#include "core.h"

void pool_start(pool *p, int nthreads)
{
    PT_CHECK(pthread_mutex_init(&p->mu, NULL));
    PT_CHECK(pthread_cond_init(&p->work, NULL));
    p->head = p->tail = NULL;
    p->shutting_down = false;
    p->nthreads = nthreads;
    for (int i = 0; i < nthreads; i++)
        PT_CHECK(pthread_create(&p->threads[i], NULL, pool_worker, p));
}

void pool_submit(pool *p, void (*fn)(void *), void *arg)
{
    pool_task *t = xmalloc(sizeof *t);
    *t = (pool_task){ .fn = fn, .arg = arg, .next = NULL };
    PT_CHECK(pthread_mutex_lock(&p->mu));
    if (p->tail)
        p->tail->next = t;
    else
        p->head = t;
    p->tail = t;
    PT_CHECK(pthread_cond_signal(&p->work));
    PT_CHECK(pthread_mutex_unlock(&p->mu));
}

void *pool_worker(void *arg)
{
    pool *p = arg;
    PT_CHECK(pthread_mutex_lock(&p->mu));
    for (;;) {
        while (!p->head && !p->shutting_down)
            PT_CHECK(pthread_cond_wait(&p->work, &p->mu));
        pool_task *t = p->head;
        if (!t) /* shutting down, and nothing left to run */
            break;
        p->head = t->next;
        if (!p->head)
            p->tail = NULL;
        PT_CHECK(pthread_mutex_unlock(&p->mu)); /* never hold it while a task runs */
        t->fn(t->arg);
        free(t);
        PT_CHECK(pthread_mutex_lock(&p->mu));
    }
    PT_CHECK(pthread_mutex_unlock(&p->mu));
    return NULL;
}

void pool_shutdown(pool *p)
{
    PT_CHECK(pthread_mutex_lock(&p->mu));
    p->shutting_down = true;
    PT_CHECK(pthread_cond_broadcast(&p->work)); /* every sleeper must see it */
    PT_CHECK(pthread_mutex_unlock(&p->mu));
    for (int i = 0; i < p->nthreads; i++)
        PT_CHECK(pthread_join(p->threads[i], NULL));
    PT_CHECK(pthread_cond_destroy(&p->work));
    PT_CHECK(pthread_mutex_destroy(&p->mu));
}
