/*
 * 10_producer_consumer: request handlers hand log lines to a logger through a bounded
 * queue; one mutex and two condition variables make them wait for each other, not spin.
 *
 *   make && ./build/10_producer_consumer              # 3 handlers, 1 slow logger, room for 4
 *   ./build/10_producer_consumer --capacity 1         # handlers wait for room nearly always
 *   ./build/10_producer_consumer --loggers 3          # loggers outpace handlers: they wait
 *   ./build/10_producer_consumer --scale 0 --messages 1000 --producers 8   # no naps
 *
 * The queue itself lives in lessons/lib/bounded_queue.c: read it alongside this file. Its two
 * central functions, bq_put and bq_take, are a dozen lines each; this file is the story
 * around them (handlers, loggers, the shutdown), and lesson 20's server reuses the queue.
 *
 * Notice: a handler that finds the queue full waits on not_full; a logger that finds it
 * empty waits on not_empty. Each wait sits in a `while` that re-checks after waking:
 * another thread may have taken the slot first, and wakeups may be spurious. Nobody
 * sleeps or prints while holding the lock. Shutdown needs no polling: main closes the
 * queue and broadcasts; each logger drains what is left, sees "closed and empty", ends.
 * The [queue d/C] column shows the depth right after each put or take. Waits happen only
 * at full (C/C) and empty (0/C); a "(waited ...)" line shows the depth once its wait was
 * over, which others may have changed meanwhile (often, with --scale 0).
 * Lines may print in a surprising order: each thread prints after it lets go of the lock,
 * so a logger may write #1 before its handler's "queued #1" line appears. --trace PATH
 * records what the lines cannot: who did what when, waits included (make timeline L=10).
 * Try: in bq_close (lessons/lib/bounded_queue.c), turn the not_empty broadcast into a signal;
 * run --producers 1 --loggers 8: one idle logger hears it, the others would wait forever:
 * the watchdog says STUCK.
 *
 * Verdict: "RESULT produced=N consumed=N duplicates=0 out_of_order=0 OK" when every
 * message was logged exactly once and each logger saw each handler's messages in the
 * order they were sent; otherwise FAIL (exit 1). STUCK (exit 3, "RESULT stuck=put STUCK"
 * or stuck=take) if a wait saw nothing move through the queue for far longer than any nap
 * (a lost wakeup).
 */
#include "bounded_queue.h"
#include "program.h"
#include "trace.h"
#include "quizzes/10_producer_consumer.h" /* --quiz and --answers: its questions */

static const char usage[] =
    "[--producers N] [--messages M] [--capacity C] [--loggers L] [--scale F]\n"
    "       [--trace PATH]\n"
    "  N request handlers each queue M log messages; L loggers take and write them.\n"
    "  --producers  request handler threads, 1..64 (default 3)\n"
    "  --messages   messages per handler, 1..100000 (default 20)\n"
    "  --capacity   queue slots, 1..10000 (default 4)\n"
    "  --loggers    logger threads, 1..16 (default 1)\n"
    "  --scale      multiply every nap by F, 0..100 (default 1; 0 = no naps)\n"
    "  --trace      write who handled, queued, waited and wrote when to PATH (JSON)\n";

/* Classroom pace, before --scale: handlers are quicker than the logger, so the queue fills. */
static const double HANDLE_MAX_S = 0.2;   /* handling one request: 0..0.2 s, at random */
static const double WRITE_S = 0.06;       /* writing one log line */

/* ---- what the queue carries -------------------------------------------------------- */

/* The queue copies whole messages in and out: a handler never shares a message with the
 * logger, so neither has to wonder who frees it or when it may be reused. */
struct message {
    int producer;          /* which handler sent it */
    long seq;              /* 1, 2, 3, ... per handler */
    char text[40];
};

/* ---- the ledger: was every message logged exactly once, in order? ------------------- */

struct ledger {
    pthread_mutex_t lock;
    long messages;                /* per producer */
    unsigned char *times_seen;    /* [producer * messages + seq - 1] */
    long consumed, duplicates, out_of_order;
};

static void ledger_init(struct ledger *lg, long producers, long messages)
{
    *lg = (struct ledger){ .messages = messages };
    lg->times_seen = xcalloc((size_t)(producers * messages), 1);
    PT_CHECK(pthread_mutex_init(&lg->lock, NULL));
}

static void ledger_destroy(struct ledger *lg)
{
    PT_CHECK(pthread_mutex_destroy(&lg->lock));
    free(lg->times_seen);
}

static void ledger_record(struct ledger *lg, const struct message *m, bool in_order)
{
    PT_CHECK(pthread_mutex_lock(&lg->lock));
    unsigned char *seen = &lg->times_seen[m->producer * lg->messages + m->seq - 1];
    if (*seen > 0)
        lg->duplicates++;
    if (*seen < UCHAR_MAX)
        (*seen)++;
    if (!in_order)
        lg->out_of_order++;
    lg->consumed++;
    PT_CHECK(pthread_mutex_unlock(&lg->lock));
}

/* ---- the threads -------------------------------------------------------------------- */

struct shared {
    bq_queue queue;
    struct ledger ledger;
    long producers, messages, loggers;
};

struct producer { pthread_t tid; struct shared *sh; int id; };
struct logger { pthread_t tid; struct shared *sh; int id; };

static void *producer_main(void *arg)
{
    struct producer *self = arg;
    uint64_t rng = 0x5EED0000u + (uint64_t)self->id;
    trace_thread_name("handler %d", self->id);
    for (long seq = 1; seq <= self->sh->messages; seq++) {
        int64_t t0 = trace_start();
        nap(HANDLE_MAX_S * (double)rng_below(&rng, 1001) / 1000.0);   /* serve the request */
        trace_span(t0, "handle", "request #%ld", seq);
        struct message m = { .producer = self->id, .seq = seq };
        snprintf(m.text, sizeof m.text, "GET /items/%d -> 200", (int)rng_below(&rng, 1000));
        bq_move mv;       /* waits while the queue is full; the watchdog bounds the wait */
        t0 = trace_start();
        if (bq_put(&self->sh->queue, &m, BQ_FOREVER, &mv) != BQ_OK)
            die("put on a closed queue (main closes it only after every handler is done)");
        trace_span(t0, mv.waited ? "wait" : "queue", "put #%ld", seq);
        printf("handler %d queued #%ld  [queue %ld/%ld]%s\n", self->id, seq, mv.depth,
               bq_capacity(&self->sh->queue), mv.waited ? "  (waited for room)" : "");
    }
    return NULL;
}

static void *logger_main(void *arg)
{
    struct logger *self = arg;
    struct shared *sh = self->sh;
    /* The last sequence number this logger saw from each handler. The queue is FIFO and
     * a handler sends in order, so a lone logger must see exactly last + 1 every time;
     * with several loggers each one still sees increasing numbers (the gaps went to the
     * other loggers), and the ledger checks that nothing is missing or doubled. */
    long *last = xcalloc((size_t)sh->producers, sizeof *last);
    struct message m;
    bq_move mv;
    trace_thread_name("logger %d", self->id);
    int64_t t0 = trace_start();
    /* BQ_CLOSED comes only when the queue is closed and drained: nothing is left behind. */
    while (bq_take(&sh->queue, &m, BQ_FOREVER, &mv) == BQ_OK) {
        trace_span(t0, mv.waited ? "wait" : "queue", "take");
        bool in_order = sh->loggers == 1 ? m.seq == last[m.producer] + 1
                                         : m.seq > last[m.producer];
        last[m.producer] = m.seq;
        ledger_record(&sh->ledger, &m, in_order);
        printf("    logger %d writes: handler %d #%ld %s  [queue %ld/%ld]%s\n", self->id,
               m.producer, m.seq, m.text, mv.depth, bq_capacity(&sh->queue),
               mv.waited ? "  (waited for work)" : "");
        t0 = trace_start();
        nap(WRITE_S);                          /* writing is slow; the lock is free meanwhile */
        trace_span(t0, "write", "handler %d #%ld", m.producer, m.seq);
        t0 = trace_start();
    }
    free(last);
    return NULL;
}

/* After every join: how full the queue got, who waited, and the verdict. No lock is
 * needed any more: pthread_join made every thread's writes visible to main. */
static int report(struct shared *sh)
{
    const struct ledger *lg = &sh->ledger;
    bq_stats q;
    bq_get_stats(&sh->queue, &q);
    printf("queue: %ld slots, deepest %ld; handlers waited for room %ld times, "
           "loggers waited for work %ld times\n",
           q.capacity, q.deepest, q.waits_for_room, q.waits_for_work);
    long produced = sh->producers * sh->messages;
    return verdict(lg->consumed == produced && lg->duplicates == 0 && lg->out_of_order == 0,
                   "produced=%ld consumed=%ld duplicates=%ld out_of_order=%ld",
                   produced, lg->consumed, lg->duplicates, lg->out_of_order);
}

/* ---- main: start loggers and handlers, join handlers, close, join loggers ----------- */

int main(int argc, char **argv)
{
    cli_setup(argv[0], usage);
    QUIZ(quiz);
    long producers = 3, messages = 20, capacity = 4, loggers = 1;

    static const struct option opts[] = {
        { "producers", required_argument, NULL, 'p' },
        { "messages", required_argument, NULL, 'm' },
        { "capacity", required_argument, NULL, 'c' },
        { "loggers", required_argument, NULL, 'l' },
        { "scale", required_argument, NULL, 's' },
        CLI_TRACE, CLI_QUIZ, CLI_HELP, CLI_END,
    };
    for (int c; (c = cli_next(argc, argv, opts)) != -1;) {
        switch (c) {
        case 'p': producers = parse_long("--producers", optarg, 1, 64); break;
        case 'm': messages = parse_long("--messages", optarg, 1, 100000); break;
        case 'c': capacity = parse_long("--capacity", optarg, 1, 10000); break;
        case 'l': loggers = parse_long("--loggers", optarg, 1, 16); break;
        case 's': time_scale = parse_double("--scale", optarg, 0, 100); break;
        }
    }

    struct shared sh = { .producers = producers, .messages = messages, .loggers = loggers };
    /* While the program works, something moves through the queue at least every few
     * naps. Silence for five naps' worth plus two seconds (slack for a loaded machine
     * or valgrind) means everyone waits for a wakeup that will never come. */
    bq_init(&sh.queue, capacity, sizeof(struct message),
            2.0 + 5.0 * (HANDLE_MAX_S + WRITE_S) * time_scale);
    ledger_init(&sh.ledger, producers, messages);
    printf("%ld handlers x %ld messages -> queue of %ld -> %ld logger%s\n", producers,
           messages, capacity, loggers, loggers == 1 ? "" : "s");

    struct logger log_threads[16];
    struct producer handlers[64];
    for (int i = 0; i < loggers; i++) {
        log_threads[i] = (struct logger){ .sh = &sh, .id = i };
        PT_CHECK(pthread_create(&log_threads[i].tid, NULL, logger_main, &log_threads[i]));
    }
    for (int i = 0; i < producers; i++) {
        handlers[i] = (struct producer){ .sh = &sh, .id = i };
        PT_CHECK(pthread_create(&handlers[i].tid, NULL, producer_main, &handlers[i]));
    }

    for (int i = 0; i < producers; i++)
        PT_CHECK(pthread_join(handlers[i].tid, NULL));
    bq_stats left;
    bq_get_stats(&sh.queue, &left);
    printf("main: every handler is done, %ld message%s still queued: closing the queue\n",
           left.depth, left.depth == 1 ? "" : "s");
    bq_close(&sh.queue);                /* every message is in; loggers drain and stop */
    for (int i = 0; i < loggers; i++)
        PT_CHECK(pthread_join(log_threads[i].tid, NULL));

    trace_done_or_die();
    int status = report(&sh);
    ledger_destroy(&sh.ledger);
    bq_destroy(&sh.queue);
    return status;
}
