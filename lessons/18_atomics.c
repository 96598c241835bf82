/*
 * 18_atomics: two uses of C11 atomics without a lock. Part one passes messages through a
 * plain mailbox and an atomic flag; the flag's memory order decides whether that is
 * correct. Part two pushes onto a lock-free stack with a compare-and-swap retry loop.
 *
 *   make && ./build/18_atomics                     # release/acquire: correct
 *   ./build/18_atomics --variant relaxed           # WRONG, though on x86 it looks fine
 *   make tsan L=18 ARGS='--variant relaxed --iterations 1000'        # the proof
 *   ./build/18_atomics --threads 2 --iterations 1000000   # count the CAS retries
 *
 * Notice, part one: the producer writes a message (plain memory, several fields) and
 * then sets an atomic flag; the consumer spins until it sees the flag, then reads the
 * message. An atomic flag alone is not enough: the question is whether seeing the flag
 * means seeing the message. With memory_order_release on the store and
 * memory_order_acquire on the load, it does: everything the producer wrote before the
 * release store is visible to the thread whose acquire load reads that store (a
 * happens-before edge, the same one a mutex unlock/lock gives). With
 * memory_order_relaxed, the flag is still atomic but orders nothing else: the C memory
 * model lets the message arrive after the flag, so the consumer's read of the message
 * is a data race and the program has undefined behaviour. On x86 you will most likely
 * see no stale message at all: x86 hardware keeps stores in order and loads in order
 * (TSO), and compilers rarely move plain stores past an atomic one. The bug is real all
 * the same: ARM and POWER reorder such stores and loads in hardware, any compiler may
 * reorder them, and ThreadSanitizer, which checks the language's rules rather than one
 * machine's luck, reports the race on every machine.
 * Part two: N threads push nodes onto one stack whose top is an atomic pointer. A push
 * reads the top, points its node at it, and swaps the node in only if the top is still
 * what it read (atomic_compare_exchange_weak); if another thread got there first, the
 * CAS fails, hands back the new top, and the thread tries again. Nobody waits and no
 * push is lost; the retries are what contention costs. (_weak may also fail spuriously,
 * on machines with LL/SC; the loop absorbs that too.) Only pushes, no pops: popping
 * needs care with memory reuse (the ABA problem) that is beyond one lesson.
 * Try: --threads 1: no retries at all (on x86; see _weak above). Then 2, 4, 16, a few runs
 * each: a retry needs another push to land between a thread's read of the top and its CAS,
 * a window of nanoseconds. Nearly always that is two pushes at the same instant on
 * different cores (rarely, a thread preempted inside the window: a handful per run on one
 * core). So the count follows how often the threads really ran at once, which the cores and
 * the machine's other work decide, not --threads: on 2 cores 16 threads mostly wait their
 * turn (one run: 6.1, 4.7, 2.8, 5.7 retries per 100 pushes for 2, 4, 8, 16), and on a
 * busy machine any of them may see none at all.
 *
 * Verdict: "RESULT variant=V messages=N stale=S pushes=P listed=P duplicates=0
 * misordered=0 cas_retries=R OK" (exit 0) when every message arrived whole (S = 0) and
 * every node is on the stack exactly once, each thread's in reverse push order; FAIL
 * (exit 1) otherwise. --variant relaxed FAILs only if a stale message was actually seen;
 * OK there is luck, not correctness. A spin that waited longer than --timeout gives up
 * and the line ends "STUCK" (exit 3).
 */
#include "program.h"
#include "quizzes/18_atomics.h" /* --quiz and --answers: its questions */

#include <sched.h>
#include <stdatomic.h>

static const char usage[] =
    "[--variant release-acquire|relaxed] [--threads N] [--iterations M] [--timeout S]\n"
    "  part one: a producer passes M messages to a consumer through a flag;\n"
    "  part two: N threads push M nodes each onto a lock-free stack.\n"
    "  --variant     the flag's memory order: release-acquire (default), or relaxed:\n"
    "                a data race that x86 rarely shows and ThreadSanitizer always reports\n"
    "  --threads     part two's pushing threads, 1..64 (default 4)\n"
    "  --iterations  messages, and pushes per thread, 1..10000000 (default 100000);\n"
    "                threads x iterations at most 10000000\n"
    "  --timeout     seconds a spinning thread waits before giving up, 0.001..3600\n"
    "                (default 10)\n";

enum order { ORDER_RELEASE_ACQUIRE, ORDER_RELAXED };
static const char *const order_names[] = { "release-acquire", "relaxed", NULL };

enum { MAX_THREADS = 64, MAX_PUSHES = 10000000, FIELDS = 4 };

/* ---- a bounded spin -------------------------------------------------------------------- */

static double spin_timeout;
static atomic_bool gave_up;      /* a side gave up: the other stops waiting too; main reports */

/* Spins until *flag >= value (loaded with `order`), counting the spins. Now and then it
 * looks at the clock and yields the CPU (if there are fewer cores than threads, the
 * thread it waits for may need this one's core). Returns false after spin_timeout. */
static bool spin_until(atomic_long *flag, long value, memory_order order, long *spins)
{
    int64_t give_up_at = now_ns() + (int64_t)(spin_timeout * 1e9);
    for (long n = 0;; n++) {
        if (atomic_load_explicit(flag, order) >= value) {
            *spins += n;
            return true;
        }
        if (n % 1024 == 1023) {
            if (atomic_load(&gave_up) || now_ns() > give_up_at) {
                atomic_store(&gave_up, true);
                *spins += n;
                return false;
            }
            sched_yield();
        }
    }
}

/* ---- part one: message passing ------------------------------------------------------- */

/* The message is plain memory: no atomics, no lock. Whether the consumer may read it is
 * decided entirely by the flag below. */
struct message {
    long seq;
    long field[FIELDS];          /* field[i] == seq * (i + 1): a whole message is consistent */
};

static struct message mailbox;
static atomic_long published;    /* THE FLAG: the seq of the message now in the mailbox */
static atomic_long consumed;     /* the consumer's reply: "done with message seq" */

struct mp_config {
    long messages;
    memory_order store_order, load_order;   /* for the flag only */
};

struct mp_result {
    long stale;                  /* messages read before they were all there */
    long producer_spins, consumer_spins;
};

static struct mp_config mp;
static struct mp_result mp_out;

static void *producer_main(void *arg)
{
    (void)arg;
    for (long seq = 1; seq <= mp.messages; seq++) {
        /* Wait until the consumer is done with the previous message. This reply is
         * always release/acquire, so only the flag differs between the two orders. */
        if (!spin_until(&consumed, seq - 1, memory_order_acquire, &mp_out.producer_spins))
            return NULL;                                    /* gave up: main says STUCK */
        mailbox.seq = seq;                                  /* write the message ... */
        for (int i = 0; i < FIELDS; i++)
            mailbox.field[i] = seq * (i + 1);
        atomic_store_explicit(&published, seq, mp.store_order);   /* ... then the flag */
    }
    return NULL;
}

static void *consumer_main(void *arg)
{
    long *stale = arg;
    long spins = 0;
    for (long seq = 1; seq <= mp.messages; seq++) {
        if (!spin_until(&published, seq, mp.load_order, &spins))     /* see the flag ... */
            break;                                                   /* (or give up) */
        bool whole = mailbox.seq == seq;                           /* ... then the message */
        for (int i = 0; i < FIELDS; i++)
            whole = whole && mailbox.field[i] == seq * (i + 1);
        *stale += !whole;
        atomic_store_explicit(&consumed, seq, memory_order_release);
    }
    mp_out.consumer_spins = spins;
    return NULL;
}

static void pass_messages(void)
{
    pthread_t producer, consumer;
    long stale = 0;
    double began = now_s();
    PT_CHECK(pthread_create(&consumer, NULL, consumer_main, &stale));
    PT_CHECK(pthread_create(&producer, NULL, producer_main, NULL));
    PT_CHECK(pthread_join(producer, NULL));
    PT_CHECK(pthread_join(consumer, NULL));
    double seconds = now_s() - began;
    mp_out.stale = stale;

    printf("part one: %ld messages in %.1f ms (%.0f ns per round trip); the consumer "
           "spun %.1f times per message on average\n", mp.messages, seconds * 1e3,
           seconds * 1e9 / (double)mp.messages,
           (double)mp_out.consumer_spins / (double)mp.messages);
    if (atomic_load(&gave_up))
        printf("part one: a thread spun for %.1f s without seeing the other's flag\n",
               spin_timeout);
    else if (stale > 0)
        printf("part one: %ld messages were read before they had fully arrived: the flag "
               "came first\n", stale);
    else if (mp.load_order == memory_order_relaxed)
        printf("part one: no stale message this time. That is this machine's luck, not "
               "correctness: the C memory model allows it, ARM/POWER do it, and "
               "ThreadSanitizer reports the race (make tsan)\n");
}

/* ---- part two: a lock-free stack, push only -------------------------------------------- */

struct node {
    struct node *next;
    int thread;
    long seq;                    /* this thread's seq-th push */
};

static _Atomic(struct node *) top;

/* The CAS retry loop. `seen` is what this thread believes the top to be; the CAS
 * installs `node` only if the top is still `seen`, and otherwise writes the real top
 * into `seen`, so the next attempt starts from there. Release on success: a thread that
 * reads the new top with acquire (a pop, say) also sees node->next, node->seq. */
static long push(struct node *node)
{
    long retries = 0;
    struct node *seen = atomic_load_explicit(&top, memory_order_relaxed);
    node->next = seen;
    while (!atomic_compare_exchange_weak_explicit(&top, &seen, node, memory_order_release,
                                                  memory_order_relaxed)) {
        node->next = seen;       /* another push got in first: `seen` is the new top */
        retries++;
    }
    return retries;
}

struct pusher {
    pthread_t tid;
    int id;
    long iterations;
    struct node *nodes;          /* this thread's own nodes, preallocated */
    pthread_barrier_t *start;
    long retries;
};

static void *pusher_main(void *arg)
{
    struct pusher *p = arg;
    int rc = pthread_barrier_wait(p->start);        /* all start together: contention */
    if (rc != 0 && rc != PTHREAD_BARRIER_SERIAL_THREAD)
        die_rc("pthread_barrier_wait", rc);
    for (long i = 0; i < p->iterations; i++)
        p->retries += push(&p->nodes[i]);
    return NULL;
}

struct stack_result {
    long listed, duplicates, misordered, retries;
};

/* After the joins: walk the stack once. Every node must be there exactly once, and each
 * thread's nodes must appear newest first (a stack is last in, first out). */
static struct stack_result check_stack(const struct node *all, int nthreads, long iterations)
{
    struct stack_result r = { 0 };
    size_t total = (size_t)nthreads * (size_t)iterations;
    bool *seen = xcalloc(total, sizeof *seen);
    long *last_seq = xmalloc((size_t)nthreads * sizeof *last_seq);
    for (int t = 0; t < nthreads; t++)
        last_seq[t] = iterations;
    for (const struct node *n = atomic_load(&top); n && r.listed <= (long)total; n = n->next) {
        size_t index = (size_t)(n - all);
        r.listed++;
        r.duplicates += seen[index];
        seen[index] = true;
        r.misordered += n->seq >= last_seq[n->thread];
        last_seq[n->thread] = n->seq;
    }
    free(seen);
    free(last_seq);
    return r;
}

static struct stack_result push_everything(int nthreads, long iterations)
{
    struct pusher pushers[MAX_THREADS];
    struct node *all = xcalloc((size_t)nthreads * (size_t)iterations, sizeof *all);
    /* Main labels every node before the threads start (touching all the memory once),
     * so the timed loop is nothing but the pushes. */
    for (int t = 0; t < nthreads; t++) {
        struct node *mine = all + (size_t)t * (size_t)iterations;
        for (long i = 0; i < iterations; i++)
            mine[i] = (struct node){ .thread = t, .seq = i };
    }
    pthread_barrier_t start;
    PT_CHECK(pthread_barrier_init(&start, NULL, (unsigned)nthreads));

    double began = now_s();
    for (int t = 0; t < nthreads; t++) {
        pushers[t] = (struct pusher){ .id = t, .iterations = iterations, .start = &start,
                                      .nodes = all + (size_t)t * (size_t)iterations };
        PT_CHECK(pthread_create(&pushers[t].tid, NULL, pusher_main, &pushers[t]));
    }
    long retries = 0;
    for (int t = 0; t < nthreads; t++) {
        PT_CHECK(pthread_join(pushers[t].tid, NULL));
        retries += pushers[t].retries;
    }
    double seconds = now_s() - began;
    PT_CHECK(pthread_barrier_destroy(&start));

    struct stack_result r = check_stack(all, nthreads, iterations);
    r.retries = retries;
    long pushes = nthreads * iterations;
    printf("part two: %d thread%s pushed %ld nodes in %.1f ms (%.1f ns per push); "
           "%ld CAS retries (%.2f per 100 pushes)\n", nthreads, nthreads == 1 ? "" : "s",
           pushes, seconds * 1e3, seconds * 1e9 / (double)pushes, retries,
           100.0 * (double)retries / (double)pushes);
    free(all);
    return r;
}

/* ---- main ---------------------------------------------------------------------------- */

int main(int argc, char **argv)
{
    cli_setup(argv[0], usage);
    QUIZ(quiz);
    enum order order = ORDER_RELEASE_ACQUIRE;
    int nthreads = 4;
    long iterations = 100000;
    spin_timeout = 10;

    static const struct option opts[] = {
        { "variant", required_argument, NULL, 'v' },
        { "threads", required_argument, NULL, 't' },
        { "iterations", required_argument, NULL, 'i' },
        { "timeout", required_argument, NULL, 'T' },
        CLI_QUIZ, CLI_HELP, CLI_END,
    };
    for (int c; (c = cli_next(argc, argv, opts)) != -1;) {
        switch (c) {
        case 'v': order = (enum order)parse_choice("--variant", optarg, order_names); break;
        case 't': nthreads = (int)parse_long("--threads", optarg, 1, MAX_THREADS); break;
        case 'i': iterations = parse_long("--iterations", optarg, 1, MAX_PUSHES); break;
        case 'T': spin_timeout = parse_double("--timeout", optarg, 0.001, 3600); break;
        }
    }
    if (iterations > MAX_PUSHES / nthreads)
        usage_error("--threads x --iterations must be at most %d", MAX_PUSHES);

    mp = (struct mp_config){
        .messages = iterations,
        .store_order = order == ORDER_RELAXED ? memory_order_relaxed : memory_order_release,
        .load_order = order == ORDER_RELAXED ? memory_order_relaxed : memory_order_acquire,
    };
    printf("part one: the flag is stored %s and loaded %s\n",
           order == ORDER_RELAXED ? "relaxed" : "with release",
           order == ORDER_RELAXED ? "relaxed" : "with acquire");
    pass_messages();
    struct stack_result st = push_everything(nthreads, iterations);

    long pushes = nthreads * iterations;
    const char *fmt = "variant=%s messages=%ld stale=%ld pushes=%ld listed=%ld duplicates=%ld "
                      "misordered=%ld cas_retries=%ld";
    if (atomic_load(&gave_up)) {
        fputs("RESULT ", stdout);
        printf(fmt, order_names[order], iterations, mp_out.stale, pushes, st.listed,
               st.duplicates, st.misordered, st.retries);
        printf(" STUCK\n");
        return EXIT_STUCK;
    }
    bool ok = mp_out.stale == 0 && st.listed == pushes && st.duplicates == 0 &&
              st.misordered == 0;
    return verdict(ok, fmt, order_names[order], iterations, mp_out.stale, pushes, st.listed,
                   st.duplicates, st.misordered, st.retries);
}
