/*
 * bounded_queue.c: the queue behind bounded_queue.h, the one lesson 10 teaches and lesson
 * 20's server logs through. Read it as part of lesson 10.
 *
 * The whole idea fits in two functions. bq_put: lock; WHILE the queue is full, wait on
 * not_full; add at the tail; signal not_empty; unlock. bq_take is its mirror image. The
 * waits sit in `while`, not `if`: after waking, another thread may already have taken the
 * slot (or the item), and a wakeup may be spurious, so the condition is checked again.
 * Nobody sleeps or does slow work while holding the lock, and each side wakes the other
 * only when it has changed what the other waits for.
 */
#include "bounded_queue.h"

#include "core.h"

void bq_init(bq_queue *q, long capacity, size_t item_size, double stall_s)
{
    if (capacity < 1 || item_size < 1)
        die("bq_init: capacity %ld and item size %zu must be at least 1", capacity, item_size);
    *q = (bq_queue){ .capacity = capacity, .item_size = item_size, .stall_s = stall_s };
    q->slots = xcalloc((size_t)capacity, item_size);
    PT_CHECK(pthread_mutex_init(&q->lock, NULL));
    cond_init_monotonic(&q->not_full);
    cond_init_monotonic(&q->not_empty);
}

void bq_destroy(bq_queue *q)
{
    PT_CHECK(pthread_cond_destroy(&q->not_empty));
    PT_CHECK(pthread_cond_destroy(&q->not_full));
    PT_CHECK(pthread_mutex_destroy(&q->lock));
    free(q->slots);
}

long bq_capacity(const bq_queue *q)
{
    return q->capacity;
}

static bool earlier(const struct timespec *a, const struct timespec *b)
{
    return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* Nothing moved for stall_s seconds while this thread waited: nobody is ever going to wake
 * it. Say so and end the program instead of hanging. */
static _Noreturn void stuck(bq_queue *q, const char *who)
{
    fprintf(stderr, "%s: STUCK: a %s waited %.1f s and nothing moved (queue %ld/%ld, %s)\n",
            prog_name, who, q->stall_s, q->count, q->capacity, q->closed ? "closed" : "open");
    die_stuck("stuck=%s", who);
}

/* One wait on cond, called with the lock held from inside the caller's while loop, which
 * re-checks its condition after every return. Returns BQ_OK when woken (perhaps spuriously)
 * or BQ_TIMEDOUT once `until` (NULL: no deadline) has passed. With the watchdog on, a
 * timeout alone never ends the wait (that would hide a lost wakeup): while others keep
 * moving items, this thread waits on; only silence for stall_s seconds is stuck. */
static int wait_turn(bq_queue *q, pthread_cond_t *cond, const struct timespec *until,
                     const char *who)
{
    if (!until && q->stall_s <= 0) {
        PT_CHECK(pthread_cond_wait(cond, &q->lock));
        return BQ_OK;
    }
    for (;;) {
        long moves_before = q->moves;
        struct timespec watch = deadline_after(q->stall_s);
        bool watching = q->stall_s > 0 && (!until || earlier(&watch, until));
        int rc = pthread_cond_timedwait(cond, &q->lock, watching ? &watch : until);
        if (rc == 0)
            return BQ_OK;
        if (rc != ETIMEDOUT)
            die_rc("pthread_cond_timedwait", rc);
        if (!watching)
            return BQ_TIMEDOUT;                  /* the caller's own deadline */
        if (q->moves == moves_before)
            stuck(q, who);
    }
}

/* The absolute deadline for a timeout in seconds, or NULL for "forever". */
static const struct timespec *deadline_for(double timeout_s, struct timespec *buf)
{
    if (!(timeout_s >= 0))                       /* negative or NaN: forever */
        return NULL;
    *buf = deadline_after(timeout_s);
    return buf;
}

/* Producer side: wait while full (and open); add at the tail; wake one consumer. */
int bq_put(bq_queue *q, const void *item, double timeout_s, bq_move *mv)
{
    struct timespec buf;
    const struct timespec *until = deadline_for(timeout_s, &buf);
    bq_move seen = { 0, false };
    int rc = BQ_OK;
    PT_CHECK(pthread_mutex_lock(&q->lock));
    while (q->count == q->capacity && !q->closed && rc == BQ_OK) {  /* while: re-check */
        if (!seen.waited)
            q->waits_for_room++;
        seen.waited = true;
        rc = wait_turn(q, &q->not_full, until, "put");
    }
    if (q->closed) {
        rc = BQ_CLOSED;
    } else if (q->count < q->capacity) {         /* room, even if the timeout also passed */
        memcpy(q->slots + (size_t)((q->head + q->count) % q->capacity) * q->item_size, item,
               q->item_size);
        q->count++;
        q->moves++;
        if (q->count > q->deepest)
            q->deepest = q->count;
        rc = BQ_OK;
        PT_CHECK(pthread_cond_signal(&q->not_empty));   /* one item: one consumer is enough */
    }
    seen.depth = q->count;
    PT_CHECK(pthread_mutex_unlock(&q->lock));
    if (mv)
        *mv = seen;
    return rc;
}

/* Consumer side: wait while empty and open; take the oldest; wake one producer. */
int bq_take(bq_queue *q, void *out, double timeout_s, bq_move *mv)
{
    struct timespec buf;
    const struct timespec *until = deadline_for(timeout_s, &buf);
    bq_move seen = { 0, false };
    int rc = BQ_OK;
    PT_CHECK(pthread_mutex_lock(&q->lock));
    while (q->count == 0 && !q->closed && rc == BQ_OK) {
        if (!seen.waited)
            q->waits_for_work++;
        seen.waited = true;
        rc = wait_turn(q, &q->not_empty, until, "take");
    }
    if (q->count > 0) {                          /* closed or not, what is queued goes out */
        memcpy(out, q->slots + (size_t)q->head * q->item_size, q->item_size);
        q->head = (q->head + 1) % q->capacity;
        q->count--;
        q->moves++;
        rc = BQ_OK;
        PT_CHECK(pthread_cond_signal(&q->not_full));    /* one free slot: one producer */
    } else if (q->closed) {
        rc = BQ_CLOSED;                          /* closed and empty: nothing left, ever */
    }
    seen.depth = q->count;
    PT_CHECK(pthread_mutex_unlock(&q->lock));
    if (mv)
        *mv = seen;
    return rc;
}

/* Every waiter must hear this one, hence broadcast, not signal: a signal would wake one
 * consumer, and the others would wait for an item that will never come. */
void bq_close(bq_queue *q)
{
    PT_CHECK(pthread_mutex_lock(&q->lock));
    q->closed = true;
    PT_CHECK(pthread_cond_broadcast(&q->not_empty));
    PT_CHECK(pthread_cond_broadcast(&q->not_full));
    PT_CHECK(pthread_mutex_unlock(&q->lock));
}

void bq_get_stats(bq_queue *q, bq_stats *out)
{
    PT_CHECK(pthread_mutex_lock(&q->lock));
    *out = (bq_stats){ .capacity = q->capacity, .depth = q->count, .deepest = q->deepest,
                       .waits_for_room = q->waits_for_room,
                       .waits_for_work = q->waits_for_work, .moves = q->moves,
                       .closed = q->closed };
    PT_CHECK(pthread_mutex_unlock(&q->lock));
}
