/*
 * 17_rwlock: a warehouse's stock list, read all the time and changed now and then. A
 * reader-writer lock lets many readers in at once; a writer gets the list to itself.
 *
 *   make && ./build/17_rwlock                     # rwlock and mutex take turns, timed
 *   ./build/17_rwlock --readers 1 --variant both  # one reader: nothing to share
 *   ./build/17_rwlock --entries 4096 --ops 20000  # longer reads: where the rwlock can pay
 *   ./build/17_rwlock --variant no-lock           # no lock: readers may see half-done moves
 *
 * Notice: the list holds how many items sit on each of E shelves. A writer moves a few
 * items from one shelf to another: two stores, and between them the list is wrong (the
 * items are on neither shelf). A reader takes stock: it adds up every shelf and checks the
 * total, which never changes. Under a lock no reader can see the half-done move.
 * pthread_rwlock_rdlock lets any number of readers in together; pthread_rwlock_wrlock waits
 * until none are inside. A mutex lets one thread in, reader or not. The same workload runs
 * under each, in three rounds where the two take turns, and the table adds the rounds up:
 * what each lock cost (ns per operation = wall time / all operations). The last line names
 * the faster lock only if every round agrees (and the work was long enough to time); when
 * the rounds disagree, other programs or a gap too small to measure decided, and the run
 * names no winner. Honest numbers, which you should measure on your own machine: a rwlock
 * is not simply a faster mutex. Taking a read lock still WRITES to the lock (a count of
 * readers inside), so its cache line bounces between cores on every read just as a mutex's
 * does, and its bookkeeping is heavier. With one reader there is nobody to share with, so
 * the rwlock has nothing to gain (a round it wins, it wins by noise); with a read as short
 * as --entries 2, the bounce is most of the work, and on a quiet machine the two come out
 * about even (on a busy one, waking the mutex's sleeping waiters can cost it more). The
 * readers gain only once the read itself outlasts the bounce. On our shared 2-core VM (run
 * it several times: the numbers swing), the median over runs with one reader was never
 * better under the rwlock; with 2 to 4 readers of the default 64 shelves it took between
 * 0.4 and 1.0 of the mutex's time, and with --entries 4096 between 0.3 and 0.8. Also:
 * glibc's default rwlock prefers readers (POSIX leaves the policy open), so while readers
 * keep overlapping a writer may wait a long time, often until the readers are done: compare
 * the longest_write_ms column, rwlock against mutex.
 * --variant no-lock usually tears some stock-takes, but not in every run (when no reader
 * happens to run during a move); a run that tore none says that this was luck.
 * Try: make tsan L=17 ARGS='--variant no-lock --ops 2000': ThreadSanitizer names the two
 * lines that race, the writer's store and the reader's load, even in a run where no
 * stock-take happened to tear.
 *
 * Verdict: "RESULT variant=V readers=R writers=W reads=N writes=M torn=0 sum=S
 * expected_sum=S OK" (exit 0) when no reader ever saw a wrong total and the final total
 * is intact; FAIL (exit 1) otherwise, which --variant no-lock gets whenever a read tore.
 * With --variant both (the default) the two locks' fields, each added up over its three
 * rounds, are prefixed rwlock_ and mutex_.
 */
#include "program.h"
#include "quizzes/17_rwlock.h" /* --quiz and --answers: its questions */

static const char usage[] =
    "[--variant both|rwlock|mutex|no-lock] [--readers N] [--writers M] [--ops K]\n"
    "       [--write-percent P] [--entries E]\n"
    "  N readers each take stock K times (add up every shelf and check the total) while\n"
    "  M writers move items between shelves, P writes per 100 reads in all.\n"
    "  --variant        both (default): rwlock and mutex take turns at the same work;\n"
    "                   rwlock: a pthread_rwlock_t; mutex: a pthread_mutex_t;\n"
    "                   no-lock: no lock at all: readers may see half-done moves (exit 1)\n"
    "  --readers        reader threads, 1..64 (default 4)\n"
    "  --writers        writer threads, 0..64 (default 1)\n"
    "  --ops            stock-takes per reader, 1..100000000 (default 200000)\n"
    "  --write-percent  writes per 100 reads, 0..100 (default 1)\n"
    "  --entries        shelves in the list, 2..65536 (default 64): the length of a read\n";

enum lock_kind { LOCK_BOTH, LOCK_RWLOCK, LOCK_MUTEX, LOCK_NONE };
static const char *const lock_names[] = { "both", "rwlock", "mutex", "no-lock", NULL };

enum { MAX_READERS = 64, MAX_WRITERS = 64, MAX_ENTRIES = 65536, ITEMS_PER_SHELF = 100 };

/* ---- the stock list and its lock -------------------------------------------------------- */

/* Why volatile: under --variant no-lock this is a data race, and C then promises nothing;
 * the compiler could add up the shelves once and reuse the total for every stock-take,
 * hiding the very thing the lesson shows. volatile keeps every read where the code puts
 * it. It is not a lock and makes nothing atomic; under a lock it is simply harmless (and
 * every variant pays for it alike, so the comparison stays fair). */
static volatile long shelf[MAX_ENTRIES];
static int nshelves;

static enum lock_kind lock_kind;        /* for this run: rwlock, mutex or no lock */
static pthread_rwlock_t rwlock = PTHREAD_RWLOCK_INITIALIZER;
static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;

static void lock_for_reading(void)
{
    switch (lock_kind) {
    case LOCK_RWLOCK: PT_CHECK(pthread_rwlock_rdlock(&rwlock)); break;  /* shared */
    case LOCK_MUTEX:  PT_CHECK(pthread_mutex_lock(&mutex)); break;      /* alone */
    default:          break;                                            /* BROKEN */
    }
}

static void lock_for_writing(void)
{
    switch (lock_kind) {
    case LOCK_RWLOCK: PT_CHECK(pthread_rwlock_wrlock(&rwlock)); break;  /* alone */
    case LOCK_MUTEX:  PT_CHECK(pthread_mutex_lock(&mutex)); break;      /* alone */
    default:          break;                                            /* BROKEN */
    }
}

static void unlock(void)
{
    switch (lock_kind) {
    case LOCK_RWLOCK: PT_CHECK(pthread_rwlock_unlock(&rwlock)); break;  /* either kind */
    case LOCK_MUTEX:  PT_CHECK(pthread_mutex_unlock(&mutex)); break;
    default:          break;
    }
}

/* ---- readers and writers ------------------------------------------------------------- */

/* Take stock: add up every shelf. Returns false if the total is not what it must be. */
static bool take_stock(long expected_total)
{
    lock_for_reading();
    long total = 0;
    for (int i = 0; i < nshelves; i++)
        total += shelf[i];
    unlock();
    return total == expected_total;
}

/* The clerk's paperwork between taking the items off one shelf and putting them on the
 * other: a short busy loop. It widens the window in which --variant no-lock shows a
 * torn list; a real program has such a window too, only narrower. */
static void fill_in_the_form(void)
{
    for (volatile int line = 0; line < 50; line++)
        ;
}

/* Move up to 10 items from shelf `from` to shelf `to`: two stores, and between them the
 * items are on neither shelf. Only a writer's exclusive lock hides that moment. */
static void move_items(int from, int to, long count)
{
    lock_for_writing();
    if (shelf[from] >= count) {
        shelf[from] -= count;
        fill_in_the_form();
        shelf[to] += count;
    }
    unlock();
}

struct worker {
    pthread_t tid;
    bool writer;
    long ops;                    /* stock-takes, or moves */
    pthread_barrier_t *start;
    uint64_t rng;                /* a writer's own random numbers */
    long torn;                   /* a reader's count of wrong totals */
    int64_t longest_wait;        /* a writer's longest wait for its lock, ns */
    int64_t began, ended;        /* read by main after the join */
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    long expected_total = (long)nshelves * ITEMS_PER_SHELF;

    /* All start together, or the first reader could finish before the last one starts. */
    int rc = pthread_barrier_wait(w->start);
    if (rc != 0 && rc != PTHREAD_BARRIER_SERIAL_THREAD)
        die_rc("pthread_barrier_wait", rc);
    w->began = now_ns();
    for (long i = 0; i < w->ops; i++) {
        if (!w->writer) {
            w->torn += !take_stock(expected_total);
            continue;
        }
        int from = (int)rng_below(&w->rng, (uint64_t)nshelves);
        int to = (from + 1 + (int)rng_below(&w->rng, (uint64_t)nshelves - 1)) % nshelves;
        int64_t asked = now_ns();
        move_items(from, to, 1 + (long)rng_below(&w->rng, 10));
        int64_t waited = now_ns() - asked;     /* includes the move itself: tiny */
        if (waited > w->longest_wait)
            w->longest_wait = waited;
    }
    w->ended = now_ns();
    return NULL;
}

/* ---- one run: the same workload under one kind of lock ---------------------------------- */

struct config {
    int readers, writers;
    long ops, write_percent;
    long reads_before;           /* a round of a longer run: reads in the rounds before it */
};

/* The writes that go with the first `reads` reads: P per 100, rounded down (in two steps,
 * so that reads * P cannot overflow). */
static long writes_for(long reads, const struct config *cfg)
{
    return cfg->writers ? reads / 100 * cfg->write_percent + reads % 100 * cfg->write_percent / 100
                        : 0;
}

struct outcome {
    long reads, writes, torn, sum;
    double seconds, longest_wait_s;
};

static struct outcome run_with(enum lock_kind kind, const struct config *cfg)
{
    static struct worker workers[MAX_READERS + MAX_WRITERS];
    int n = cfg->readers + cfg->writers;
    long reads = cfg->readers * cfg->ops;
    long writes = writes_for(cfg->reads_before + reads, cfg) - writes_for(cfg->reads_before, cfg);
    pthread_barrier_t start;

    lock_kind = kind;
    for (int i = 0; i < nshelves; i++)
        shelf[i] = ITEMS_PER_SHELF;       /* no thread runs yet: plain writes are safe */
    PT_CHECK(pthread_barrier_init(&start, NULL, (unsigned)n));
    for (int i = 0; i < n; i++) {
        bool writer = i >= cfg->readers;
        int k = i - cfg->readers;         /* the writers share the writes out evenly */
        workers[i] = (struct worker){
            .writer = writer, .start = &start, .rng = 17 + (uint64_t)i,
            .ops = writer ? writes / cfg->writers + (k < writes % cfg->writers) : cfg->ops,
        };
        PT_CHECK(pthread_create(&workers[i].tid, NULL, worker_main, &workers[i]));
    }

    struct outcome out = { .reads = reads, .writes = writes };
    int64_t first = INT64_MAX, last = INT64_MIN, longest = 0;
    for (int i = 0; i < n; i++) {
        const struct worker *w = &workers[i];
        PT_CHECK(pthread_join(w->tid, NULL));
        out.torn += w->torn;
        first = w->began < first ? w->began : first;
        last = w->ended > last ? w->ended : last;
        longest = w->longest_wait > longest ? w->longest_wait : longest;
    }
    PT_CHECK(pthread_barrier_destroy(&start));
    for (int i = 0; i < nshelves; i++)
        out.sum += shelf[i];              /* every thread has been joined */
    out.seconds = (double)(last - first) / 1e9;
    out.longest_wait_s = (double)longest / 1e9;
    return out;
}

static void print_header(void)
{
    printf("%-7s %7s %7s %10s %8s %9s %12s %8s %17s %6s\n", "lock", "readers", "writers",
           "reads", "writes", "ms", "reads/s", "ns/op", "longest_write_ms", "torn");
}

static void print_row(enum lock_kind kind, const struct config *cfg, struct outcome o)
{
    double ops = (double)(o.reads + o.writes);
    printf("%-7s %7d %7d %10ld %8ld %9.1f %12.0f %8.1f %17.3f %6ld\n", lock_names[kind],
           cfg->readers, cfg->writers, o.reads, o.writes, o.seconds * 1e3,
           (double)o.reads / o.seconds, o.seconds * 1e9 / ops, o.longest_wait_s * 1e3, o.torn);
}

/* ---- both: the two locks take turns ------------------------------------------------- */

enum { ROUNDS = 3 };

/* Adds one round into a total: counts and times add up, the longest wait is the longest of
 * all, and the sum kept is the first wrong one (the last one when every round kept it). */
static void add_round(struct outcome *total, struct outcome round, long expected)
{
    if (total->reads == 0 || total->sum == expected)
        total->sum = round.sum;
    total->reads += round.reads;
    total->writes += round.writes;
    total->torn += round.torn;
    total->seconds += round.seconds;
    total->longest_wait_s = fmax(total->longest_wait_s, round.longest_wait_s);
}

/* The same work under each lock in three rounds, a third of the stock-takes each, the two
 * locks taking turns (rwlock then mutex, mutex then rwlock, rwlock then mutex): whatever
 * else the machine does meanwhile falls on both alike. A winner is named only when every
 * round agrees: rounds that disagree mean the machine's other work, or a difference too
 * small to measure, decided this run. Under 3 stock-takes (no three rounds) or 10 ms a
 * lock, starting the threads costs more than the work: no winner either. */
static void compare_in_rounds(const struct config *cfg, long expected, struct outcome *rw,
                              struct outcome *mu)
{
    int rounds = cfg->ops < ROUNDS ? (int)cfg->ops : ROUNDS, faster = 0, slower = 0;
    char ratios[ROUNDS * 16] = "";
    *rw = *mu = (struct outcome){ 0 };
    for (int r = 0; r < rounds; r++) {
        struct config part = *cfg;
        part.ops = cfg->ops * (r + 1) / rounds - cfg->ops * r / rounds;
        part.reads_before = cfg->readers * (cfg->ops * r / rounds);
        struct outcome a, b;         /* a: the rwlock, b: the mutex; who goes first alternates */
        if (r % 2 == 0) {
            a = run_with(LOCK_RWLOCK, &part);
            b = run_with(LOCK_MUTEX, &part);
        } else {
            b = run_with(LOCK_MUTEX, &part);
            a = run_with(LOCK_RWLOCK, &part);
        }
        double ratio = round(a.seconds / b.seconds * 100) / 100; /* words match the digits */
        faster += ratio < 0.95;
        slower += ratio > 1.05;
        snprintf(ratios + strlen(ratios), sizeof ratios - strlen(ratios), " %.2f", ratio);
        add_round(rw, a, expected);
        add_round(mu, b, expected);
    }
    print_row(LOCK_RWLOCK, cfg, *rw);
    print_row(LOCK_MUTEX, cfg, *mu);
    bool timed = rounds == ROUNDS && fmin(rw->seconds, mu->seconds) >= 0.010;
    printf("rwlock / mutex time: %.2f (by round:%s; %s)\n", rw->seconds / mu->seconds, ratios,
           !timed                 ? "too little work to time: no winner in this run"
           : faster == rounds     ? "the rwlock was faster in every round"
           : slower == rounds     ? "the mutex was faster in every round"
           : faster + slower == 0 ? "about the same in every round, within 5%"
                                  : "the rounds disagree: no winner in this run");
}

/* ---- main ---------------------------------------------------------------------------- */

int main(int argc, char **argv)
{
    cli_setup(argv[0], usage);
    QUIZ(quiz);
    enum lock_kind kind = LOCK_BOTH;
    struct config cfg = { .readers = 4, .writers = 1, .ops = 200000, .write_percent = 1 };
    nshelves = 64;

    static const struct option opts[] = {
        { "variant", required_argument, NULL, 'v' },
        { "readers", required_argument, NULL, 'r' },
        { "writers", required_argument, NULL, 'w' },
        { "ops", required_argument, NULL, 'o' },
        { "write-percent", required_argument, NULL, 'p' },
        { "entries", required_argument, NULL, 'e' },
        CLI_QUIZ, CLI_HELP, CLI_END,
    };
    for (int c; (c = cli_next(argc, argv, opts)) != -1;) {
        switch (c) {
        case 'v': kind = (enum lock_kind)parse_choice("--variant", optarg, lock_names); break;
        case 'r': cfg.readers = (int)parse_long("--readers", optarg, 1, MAX_READERS); break;
        case 'w': cfg.writers = (int)parse_long("--writers", optarg, 0, MAX_WRITERS); break;
        case 'o': cfg.ops = parse_long("--ops", optarg, 1, 100000000); break;
        case 'p': cfg.write_percent = parse_long("--write-percent", optarg, 0, 100); break;
        case 'e': nshelves = (int)parse_long("--entries", optarg, 2, MAX_ENTRIES); break;
        }
    }

    long expected = (long)nshelves * ITEMS_PER_SHELF;
    printf("%d shelves of %d items; %d readers x %ld stock-takes; %d writers, %ld writes per "
           "100 reads\n", nshelves, ITEMS_PER_SHELF, cfg.readers, cfg.ops, cfg.writers,
           cfg.writers ? cfg.write_percent : 0L);
    print_header();

    if (kind != LOCK_BOTH) {
        struct outcome o = run_with(kind, &cfg);
        print_row(kind, &cfg, o);
        if (o.torn > 0)
            printf("%ld of %ld stock-takes saw a wrong total: a move was half done\n",
                   o.torn, o.reads);
        else if (kind == LOCK_NONE && o.writes > 0)
            printf("no stock-take tore this time. That is luck, not correctness: no reader "
                   "happened to run during a move, and ThreadSanitizer reports the race "
                   "(make tsan)\n");
        return verdict(o.torn == 0 && o.sum == expected,
                       "variant=%s readers=%d writers=%d reads=%ld writes=%ld torn=%ld sum=%ld "
                       "expected_sum=%ld", lock_names[kind], cfg.readers, cfg.writers, o.reads,
                       o.writes, o.torn, o.sum, expected);
    }

    struct outcome rw, mu;
    compare_in_rounds(&cfg, expected, &rw, &mu);
    return verdict(rw.torn == 0 && mu.torn == 0 && rw.sum == expected && mu.sum == expected,
                   "variant=both readers=%d writers=%d reads=%ld writes=%ld rwlock_torn=%ld "
                   "rwlock_sum=%ld mutex_torn=%ld mutex_sum=%ld expected_sum=%ld",
                   cfg.readers, cfg.writers, rw.reads, rw.writes, rw.torn, rw.sum, mu.torn,
                   mu.sum, expected);
}
