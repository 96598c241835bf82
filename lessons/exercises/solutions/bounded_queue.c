/*
 * Reference solution of exercise "bounded_queue" (the exercise:
 * lessons/exercises/bounded_queue.c). One mutex, two condition variables: a put waits for
 * room and announces an item, a get waits for an item and announces room. Each wait is a
 * loop on its condition, so a spurious wakeup, or another thread taking the slot first,
 * only sends the thread back to sleep.
 */
#include "bounded_queue.h"

#include "core.h"

void bqueue_init(bqueue *q, int capacity)
{
    PT_CHECK(pthread_mutex_init(&q->mu, NULL));
    PT_CHECK(pthread_cond_init(&q->not_full, NULL));
    PT_CHECK(pthread_cond_init(&q->not_empty, NULL));
    q->items = xcalloc((size_t)capacity, sizeof q->items[0]);
    q->capacity = capacity;
    q->head = q->count = 0;
}

void bqueue_destroy(bqueue *q)
{
    free(q->items);
    PT_CHECK(pthread_cond_destroy(&q->not_empty));
    PT_CHECK(pthread_cond_destroy(&q->not_full));
    PT_CHECK(pthread_mutex_destroy(&q->mu));
}

void bqueue_put(bqueue *q, long item)
{
    PT_CHECK(pthread_mutex_lock(&q->mu));
    while (q->count == q->capacity)
        PT_CHECK(pthread_cond_wait(&q->not_full, &q->mu));
    q->items[(q->head + q->count) % q->capacity] = item;
    q->count++;
    PT_CHECK(pthread_cond_signal(&q->not_empty));
    PT_CHECK(pthread_mutex_unlock(&q->mu));
}

long bqueue_get(bqueue *q)
{
    PT_CHECK(pthread_mutex_lock(&q->mu));
    while (q->count == 0)
        PT_CHECK(pthread_cond_wait(&q->not_empty, &q->mu));
    long item = q->items[q->head];
    q->head = (q->head + 1) % q->capacity;
    q->count--;
    PT_CHECK(pthread_cond_signal(&q->not_full));
    PT_CHECK(pthread_mutex_unlock(&q->mu));
    return item;
}
