/*
 * Exercise "bounded_queue": the bounded queue (put blocks when full, get blocks when empty).
 *
 *   make exercise E=bounded_queue              # grade this file
 *   make exercise E=bounded_queue SOLUTION=1   # grade the reference solution
 *
 * Producers put items, consumers get them (bounded_queue.h; lessons 10 and 11 stand on one).
 * As given, the ring works for one thread that never overfills it: nothing locks, a put on
 * a full queue overwrites the oldest item, and a get on an empty one returns -1. Your job,
 * at each TODO(exercise):
 *   - bqueue_put: under the mutex, wait on not_full while the queue is full (in a loop);
 *     then store the item at the tail and signal not_empty.
 *   - bqueue_get: under the mutex, wait on not_empty while it is empty; then take the head
 *     item and signal not_full.
 * The grader checks: a get on an empty queue waits for a put; a put on a full queue waits
 * for a get; with 3 producers and 2 consumers through a queue of 2 slots, every item
 * arrives exactly once and each consumer sees each producer's items in order;
 * ThreadSanitizer and helgrind report nothing.
 * Notice: two condition variables, one per reason to wait, so a put wakes a consumer and
 * never another producer. With one shared variable you would need broadcast.
 * Try: write `if` instead of `while` around a wait, and grade a few times: a thread that
 * wakes to find its item (or slot) already taken goes on regardless.
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
    /* TODO(exercise): lock; wait on not_full while the queue is full; store; signal
     * not_empty; unlock. As given: no lock, and a full queue loses its oldest item. */
    if (q->count == q->capacity) {
        q->head = (q->head + 1) % q->capacity;
        q->count--;
    }
    q->items[(q->head + q->count) % q->capacity] = item;
    q->count++;
}

long bqueue_get(bqueue *q)
{
    /* TODO(exercise): lock; wait on not_empty while the queue is empty; take the head;
     * signal not_full; unlock. As given: no lock, and an empty queue gives -1. */
    if (q->count == 0)
        return -1;
    long item = q->items[q->head];
    q->head = (q->head + 1) % q->capacity;
    q->count--;
    return item;
}
