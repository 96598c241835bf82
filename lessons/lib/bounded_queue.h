/*
 * bounded_queue.h: the bounded queue of lesson 10, for any program in which some threads
 * hand items to others (request handlers to a logger, an accept loop to workers, ...).
 * One mutex and two condition variables: a full queue makes producers wait on not_full,
 * an empty one makes consumers wait on not_empty, and nobody spins.
 *
 *     bq_queue q;
 *     bq_init(&q, 64, sizeof(struct record), 0);       64 slots, no stall watchdog
 *     bq_put(&q, &rec, BQ_FOREVER, NULL)          ->   BQ_OK (waited while full)
 *     bq_put(&q, &rec, 0.5, NULL)                 ->   BQ_OK, or BQ_TIMEDOUT after 0.5 s full
 *     bq_take(&q, &rec, BQ_FOREVER, &mv)          ->   BQ_OK, or BQ_CLOSED: closed and drained
 *     bq_close(&q)                                     no more puts; takers drain, then stop
 *     bq_destroy(&q)                                   after every thread is done with it
 *
 * ITEMS are fixed-size records copied in and out (item_size bytes each): no allocation per
 * item, and nothing for the two sides to agree about who frees what.
 *
 * ORDER: first in, first out. One consumer sees each producer's items in the order that
 * producer put them; several consumers share them out, each item to exactly one.
 *
 * CLOSING: bq_close wakes everyone. A put on a closed queue returns BQ_CLOSED and adds
 * nothing; a take returns the items still queued, then BQ_CLOSED. So shutdown needs no
 * polling and drops nothing: close, then join the consumers.
 *
 * TIMEOUTS are in seconds on CLOCK_MONOTONIC (a wall-clock jump changes nothing);
 * BQ_FOREVER (any negative number) waits as long as it takes; 0 only looks.
 *
 * THE STALL WATCHDOG (stall_s > 0): a wait that sees nothing at all move through the queue
 * for stall_s seconds is a lost wakeup or a deadlock. The program says so on stderr, prints
 * "RESULT stuck=put|take STUCK" and exits 3, instead of hanging. A wait while others keep
 * moving items is only slow, never stuck; a timed put or take still ends at its timeout.
 */
#ifndef LESSONS_BOUNDED_QUEUE_H
#define LESSONS_BOUNDED_QUEUE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#define BQ_FOREVER (-1.0)

enum { BQ_OK = 0, BQ_TIMEDOUT = 1, BQ_CLOSED = 2 };

/* Every field but capacity, item_size and stall_s is guarded by lock; those three are set
 * by bq_init before any other thread can see the queue and never change. Read the rest
 * through bq_get_stats. */
typedef struct bq_queue {
    pthread_mutex_t lock;
    pthread_cond_t not_full;   /* a slot was freed, or the queue closed: producers may go */
    pthread_cond_t not_empty;  /* an item arrived, or the queue closed: consumers may go */
    unsigned char *slots;      /* a ring of capacity items: the oldest at head, count in use */
    size_t item_size;
    long capacity;
    long head, count;
    bool closed;
    long moves;                /* puts + takes so far: the watchdog's sign of life */
    double stall_s;            /* 0: no watchdog */
    long deepest, waits_for_room, waits_for_work;
} bq_queue;

/* What one put or take saw: the depth right after it, and whether it had to wait. */
typedef struct bq_move {
    long depth;
    bool waited;
} bq_move;

typedef struct bq_stats {
    long capacity, depth, deepest;
    long waits_for_room;       /* puts that found the queue full */
    long waits_for_work;       /* takes that found it empty (and open) */
    long moves;
    bool closed;
} bq_stats;

/* capacity >= 1 items of item_size >= 1 bytes; stall_s > 0 turns the watchdog on.
 * Dies (exit 1) if memory runs out. */
void bq_init(bq_queue *q, long capacity, size_t item_size, double stall_s);
void bq_destroy(bq_queue *q);

/* Copies item in at the tail; waits while the queue is full, at most timeout_s.
 * BQ_OK, BQ_TIMEDOUT (nothing added), or BQ_CLOSED (nothing added). mv may be NULL. */
int bq_put(bq_queue *q, const void *item, double timeout_s, bq_move *mv);

/* Copies the oldest item out; waits while the queue is empty and open, at most timeout_s.
 * BQ_OK, BQ_TIMEDOUT, or BQ_CLOSED once the queue is closed and empty. mv may be NULL. */
int bq_take(bq_queue *q, void *out, double timeout_s, bq_move *mv);

/* No more puts from now on; wakes every waiting producer and consumer. Idempotent. */
void bq_close(bq_queue *q);

/* Fixed at bq_init: safe to read without the lock. */
long bq_capacity(const bq_queue *q);

void bq_get_stats(bq_queue *q, bq_stats *out);

#endif
