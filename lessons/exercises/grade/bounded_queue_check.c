/* bounded_queue_check.c: the checks of exercise "bounded_queue" (see grade.h). */
#include "bounded_queue.h"
#include "grade.h"

enum { PRODUCERS = 3, CONSUMERS = 2, CAPACITY = 2, STOP = -1 };
#define ITEM(p, seq) ((long)(p) * 1000000 + (seq))

typedef struct one_call {
    bqueue q;
    long item;
    atomic_bool started, returned;
} one_call;

static void *get_one(void *arg)
{
    one_call *c = arg;
    atomic_store(&c->started, true);
    c->item = bqueue_get(&c->q);
    atomic_store(&c->returned, true);
    return NULL;
}

static void *put_one(void *arg)
{
    one_call *c = arg;
    atomic_store(&c->started, true);
    bqueue_put(&c->q, c->item);
    atomic_store(&c->returned, true);
    return NULL;
}

static bool get_waits_when_empty(char *why, size_t size)
{
    one_call c = { .item = 0 };
    bqueue_init(&c.q, CAPACITY);
    pthread_t t;
    PT_CHECK(pthread_create(&t, NULL, get_one, &c));
    grade_wait_flag(&c.started, 5);
    nap(0.05); /* time for a get that does not wait to return */
    bool early = atomic_load(&c.returned);
    bqueue_put(&c.q, 42);
    PT_CHECK(pthread_join(t, NULL));
    bqueue_destroy(&c.q);
    snprintf(why, size, "a get on the empty queue %s, and then returned %ld (42 was put)",
             early ? "returned before any put" : "waited", c.item);
    return !early && c.item == 42;
}

static bool put_waits_when_full(char *why, size_t size)
{
    one_call c = { .item = 3 };
    bqueue_init(&c.q, CAPACITY);
    bqueue_put(&c.q, 1);
    bqueue_put(&c.q, 2); /* full now */
    pthread_t t;
    PT_CHECK(pthread_create(&t, NULL, put_one, &c));
    grade_wait_flag(&c.started, 5);
    nap(0.05); /* time for a put that does not wait to return */
    bool early = atomic_load(&c.returned);
    long a = bqueue_get(&c.q);
    PT_CHECK(pthread_join(t, NULL));
    long b = bqueue_get(&c.q), d = bqueue_get(&c.q);
    bqueue_destroy(&c.q);
    snprintf(why, size, "a put of 3 on a full queue of 2 %s; the gets returned %ld %ld %ld (1 2 3 expected)",
             early ? "returned before any get" : "waited", a, b, d);
    return !early && a == 1 && b == 2 && d == 3;
}

typedef struct crowd {
    bqueue q;
    long per_producer;
    long *got[CONSUMERS]; /* what each consumer took, in order */
    long n_got[CONSUMERS];
} crowd;

typedef struct role {
    crowd *c;
    int id;
} role;

static void *producer(void *arg)
{
    role *r = arg;
    for (long seq = 0; seq < r->c->per_producer; seq++)
        bqueue_put(&r->c->q, ITEM(r->id, seq));
    return NULL;
}

static void *consumer(void *arg)
{
    role *r = arg;
    crowd *c = r->c;
    long most = PRODUCERS * c->per_producer;
    for (long item; (item = bqueue_get(&c->q)) != STOP && c->n_got[r->id] < most;)
        c->got[r->id][c->n_got[r->id]++] = item;
    return NULL;
}

static bool exactly_once_in_order(char *why, size_t size)
{
    crowd c = { .per_producer = grade_size(3000) };
    long total = PRODUCERS * c.per_producer;
    bqueue_init(&c.q, CAPACITY);
    for (int i = 0; i < CONSUMERS; i++)
        c.got[i] = xcalloc((size_t)total, sizeof(long));
    pthread_t prod[PRODUCERS], cons[CONSUMERS];
    role pr[PRODUCERS], cr[CONSUMERS];
    for (int i = 0; i < CONSUMERS; i++) {
        cr[i] = (role){ &c, i };
        PT_CHECK(pthread_create(&cons[i], NULL, consumer, &cr[i]));
    }
    for (int i = 0; i < PRODUCERS; i++) {
        pr[i] = (role){ &c, i };
        PT_CHECK(pthread_create(&prod[i], NULL, producer, &pr[i]));
    }
    for (int i = 0; i < PRODUCERS; i++)
        PT_CHECK(pthread_join(prod[i], NULL));
    for (int i = 0; i < CONSUMERS; i++) /* after every item: FIFO hands them out last */
        bqueue_put(&c.q, STOP);
    for (int i = 0; i < CONSUMERS; i++)
        PT_CHECK(pthread_join(cons[i], NULL));

    unsigned char *seen = xcalloc((size_t)total, 1);
    long missing = 0, twice = 0, foreign = 0, misordered = 0;
    for (int i = 0; i < CONSUMERS; i++) {
        long last[PRODUCERS] = { -1, -1, -1 };
        for (long k = 0; k < c.n_got[i]; k++) {
            long item = c.got[i][k], p = item / 1000000, seq = item % 1000000;
            if (item < 0 || p >= PRODUCERS || seq >= c.per_producer) {
                foreign++;
                continue;
            }
            if (seen[p * c.per_producer + seq]++)
                twice++;
            if (seq <= last[p])
                misordered++;
            last[p] = seq;
        }
        free(c.got[i]);
    }
    for (long k = 0; k < total; k++)
        missing += !seen[k];
    free(seen);
    bqueue_destroy(&c.q);
    snprintf(why, size, "%ld items: %ld missing, %ld twice, %ld never put, %ld out of a producer's order",
             total, missing, twice, foreign, misordered);
    return missing == 0 && twice == 0 && foreign == 0 && misordered == 0;
}

const grade_exercise grade_this = {
    .name = "bounded_queue",
    .helgrind = true,
    .checks = {
        { .name = "get on an empty queue waits for a put", .run = get_waits_when_empty },
        { .name = "put on a full queue waits for a get", .run = put_waits_when_full },
        { .name = "invariant: every item exactly once, FIFO per producer (3 producers, 2 consumers, 2 slots)", .run = exactly_once_in_order },
    },
};
