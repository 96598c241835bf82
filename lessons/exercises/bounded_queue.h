/*
 * bounded_queue.h: the API of exercise "bounded_queue" (lessons/exercises/bounded_queue.c):
 * a first-in first-out queue of at most `capacity` items (longs).
 */
#ifndef EXERCISE_BOUNDED_QUEUE_H
#define EXERCISE_BOUNDED_QUEUE_H

#include <pthread.h>

typedef struct bqueue {
    pthread_mutex_t mu;        /* guards everything below */
    pthread_cond_t not_full;   /* a slot was freed: a waiting put may go on */
    pthread_cond_t not_empty;  /* an item arrived: a waiting get may go on */
    long *items;               /* a ring: the oldest item at head, count of them */
    int capacity, head, count;
} bqueue;

void bqueue_init(bqueue *q, int capacity); /* capacity >= 1 */
void bqueue_destroy(bqueue *q);

/* Adds item at the tail; waits while the queue is full. */
void bqueue_put(bqueue *q, long item);

/* Removes and returns the item at the head; waits while the queue is empty. */
long bqueue_get(bqueue *q);

#endif
