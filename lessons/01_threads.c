/*
 * 01_threads: start a thread and keep going; then start N threads, each with its own
 * argument.
 *
 *   make && ./build/01_threads                 # a counter thread while main boils water,
 *                                              # then 4 workers, each with its own number
 *   ./build/01_threads --threads 16            # more workers
 *   ./build/01_threads --scale 0.01            # 100x faster: naps too short to set the
 *                                              # order; run it a few times and compare
 *
 * Notice: pthread_create returns at once. The counter thread prints 1, 2, 3 ... while main
 * is still boiling water, so their lines interleave: "water boiled" lands among the
 * counter's lines. Only the naps place it there; nothing makes either thread wait for the
 * other, and whether "counter: 1" or "main: kettle on" comes first is the scheduler's
 * choice. In part two the workers finish in another order than main started them (of
 * every four, the later ones nap less), yet each one reports the number it was given: each
 * gets a pointer to its OWN struct, which nobody else writes.
 * Try: in start_workers, hand every thread the same struct (fill one `struct job shared`
 * in the loop and pass `&shared`): the threads read a number that has already moved on,
 * some slots are marked twice, others never, and the verdict says FAIL. (It is a data race
 * too: `make tsan` reports it.)
 *
 * Verdict: every worker marks the slot of the number it was given; after joining them all,
 * main checks each slot was marked exactly once:
 *   "RESULT threads=N ran_once=K OK" (K == N, exit 0) or "... FAIL" (K < N, exit 1).
 */
#include "program.h"
#include "quizzes/01_threads.h" /* --quiz and --answers: its questions */

static const char usage[] =
    "[--threads N] [--scale F]\n"
    "  part one: a thread counts to 5 while main boils water;\n"
    "  part two: N worker threads, each given its own number, each marks its own slot.\n"
    "  --threads  worker threads, 1..1024 (default 4)\n"
    "  --scale    multiply every sleep by F, 0..100 (default 1; 0.01 for tests)\n";

enum { MAX_THREADS = 1024, COUNT_TO = 5 };

/* ---- part one: a thread runs while main carries on ---------------------------------- */

/* A thread function takes one void * and returns one void *: that is the whole interface.
 * This one needs no argument and returns nothing useful. */
static void *count_to_five(void *unused)
{
    (void)unused;
    for (int n = 1; n <= COUNT_TO; n++) {
        printf("  counter: %d\n", n);
        nap(0.3);
    }
    return NULL;
}

static void part_one(void)
{
    printf("part one: a thread counts while main boils water\n");

    pthread_t counter;
    PT_CHECK(pthread_create(&counter, NULL, count_to_five, NULL));

    /* pthread_create has already returned: main goes on while the counter counts. */
    printf("main: kettle on\n");
    nap(0.8);
    printf("main: water boiled\n");

    /* Wait for the counter before going on (lesson 02 is about this). */
    PT_CHECK(pthread_join(counter, NULL));
    printf("main: the counter has finished\n");
}

/* ---- part two: N threads, each with its own argument -------------------------------- */

/* Everything one worker needs, in a struct of its own. */
struct job {
    int number;      /* the argument: which slot this worker marks */
    int *slots;      /* shared array, but every worker writes a different element */
};

static void *worker(void *arg)
{
    const struct job *job = arg;         /* turn the void * back into what we passed */
    int me = job->number;
    nap(0.1 * (3 - me % 4));             /* of every four, the later ones nap less */
    job->slots[me] += 1;                 /* my slot, nobody else's: no lock needed */
    printf("  worker %d: done\n", me);
    return NULL;
}

/* Each thread gets &jobs[i]: memory that stays put and belongs to that thread alone.
 * The classic bug is to pass the address of something the loop keeps changing (&i, or
 * one struct refilled each time round): a thread reads it whenever it happens to run,
 * by which time the loop may have moved on. */
static void start_workers(pthread_t *tids, struct job *jobs, int n, int *slots)
{
    for (int i = 0; i < n; i++) {
        jobs[i].number = i;
        jobs[i].slots = slots;
        PT_CHECK(pthread_create(&tids[i], NULL, worker, &jobs[i]));
    }
}

/* pthread_join also makes everything the worker wrote visible to main: after the joins,
 * reading the slots is safe. */
static void join_workers(const pthread_t *tids, int n)
{
    for (int i = 0; i < n; i++)
        PT_CHECK(pthread_join(tids[i], NULL));
}

static int count_marked_once(const int *slots, int n)
{
    int once = 0;
    for (int i = 0; i < n; i++) {
        if (slots[i] == 1)
            once++;
        else
            printf("main: slot %d was marked %d times\n", i, slots[i]);
    }
    return once;
}

/* ---- main: the outline ---------------------------------------------------------------- */

int main(int argc, char **argv)
{
    cli_setup(argv[0], usage);
    QUIZ(quiz);
    int threads = 4;
    static const struct option opts[] = {
        { "threads", required_argument, NULL, 't' },
        { "scale", required_argument, NULL, 's' },
        CLI_QUIZ, CLI_HELP, CLI_END,
    };
    for (int c; (c = cli_next(argc, argv, opts)) != -1;) {
        switch (c) {
        case 't': threads = (int)parse_long("--threads", optarg, 1, MAX_THREADS); break;
        case 's': time_scale = parse_double("--scale", optarg, 0, 100); break;
        }
    }

    part_one();

    printf("part two: %d workers, each given its own number\n", threads);
    static pthread_t tids[MAX_THREADS];
    static struct job jobs[MAX_THREADS];
    static int slots[MAX_THREADS];      /* all zero: no worker has run yet */
    start_workers(tids, jobs, threads, slots);
    printf("main: all %d started; waiting for them\n", threads);
    join_workers(tids, threads);

    int once = count_marked_once(slots, threads);
    return verdict(once == threads, "threads=%d ran_once=%d", threads, once);
}
