/*
 * primitives: what one operation of each synchronization primitive costs, in nanoseconds.
 *
 *   make benches && ./build/bench/primitives > primitives.csv
 *   ./build/bench/primitives --reps 5 --rep-ms 5          # quick and rougher
 *
 * Each primitive runs for about --rep-ms per repetition, --reps times, after a warm-up
 * that also picks how many operations fill a repetition. Output, one CSV line each:
 *
 *   primitive,threads,median_ns,min_ns,max_ns,reps
 *
 * The rows: mutex, spinlock, atomic_add, cas_add, tls_add, tls_key_add and rwlock_read
 * with 1 thread (uncontended) and 2..--threads threads; barrier_wait with 2..--threads;
 * sem_post_wait (one thread posts then waits); cond_pingpong (a round trip between two
 * threads through one condition variable); event_set_wake (one hand-off through a
 * Python-style event: half a ping-pong of two); thread_create_join; pool_submit_wait (our
 * thread pool: submit an empty task and wait on its future); fork_wait (fork a child that
 * exits at once, wait for it); pipe_roundtrip (one byte to a child process and back).
 *
 * The rows of lessons 15-19, side by side: cas_add is the compare-and-swap retry loop of
 * lesson 18 (read, compute, swap in only if unchanged, else retry) against atomic_add's
 * one fetch-and-add; tls_add increments a _Thread_local counter (lesson 19) and
 * tls_key_add a counter found through pthread_getspecific, each thread adding its tally to
 * the shared atomic once at the end; barrier_wait is one phase of lesson 16: the time for
 * all the threads to pass one pthread_barrier_wait; rwlock_read (lesson 17) reads under a
 * read lock, beside mutex's increment under a mutex. Every counting row checks its total.
 *
 * With threads > 1 every thread hammers the same object (tls_*: each its own counter) and
 * the figure is the wall time divided by all the operations of all threads: a number above
 * the threads=1 line is the price of contention (the cache line holding the lock travels
 * between cores). A thread times its own work (see run_threads in bench.h). When the
 * threads of such a row ran at the same time for less than 80% of it (other programs held
 * the cores), a line on stderr says so: that figure measured less contention than it claims.
 *
 * Notice: an uncontended mutex costs a few ns, a hand-off between threads microseconds
 * (the waiter must be woken and scheduled), a thread create+join tens of µs, a fork+wait
 * a hundred µs or more: that is why pools exist. A thread-local counter stays cheap at any
 * thread count (nothing is shared); a shared atomic pays for its cache line travelling,
 * and a CAS loop pays that plus its retries (progress on stderr counts them).
 * Try: --threads 8 on a 2-core machine, and watch the spinlock (a waiter spins while the
 * holder is not even running).
 */
#include "bench.h"

#include <fcntl.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/wait.h>

#include "thread_pool.h"

static const char usage[] =
    "[--reps R] [--rep-ms MS] [--threads N] [--help]\n"
    "  --reps R      repetitions per primitive; the median and range are over these (default 11)\n"
    "  --rep-ms MS   about how long one repetition lasts, in milliseconds (default 20)\n"
    "  --threads N   contended figures for 2..N threads (default: the CPUs online, at least 2)\n"
    "Prints CSV on stdout: primitive,threads,median_ns,min_ns,max_ns,reps\n";

/* ---- the objects under test, shared by all threads ------------------------------------- */

static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_spinlock_t spin;
static pthread_rwlock_t rwlock = PTHREAD_RWLOCK_INITIALIZER;
static atomic_long counter;
static long plain_counter; /* protected by mutex or spin: the work inside the lock */
static sem_t sem;
static pthread_barrier_t phase_barrier; /* made anew for each repetition's thread count */
static pthread_key_t tally_key;         /* each thread's counter for tls_key_add */

/* Each thread's own counter for tls_add. volatile keeps one increment per pass of the loop,
 * as every other row has: without it the compiler turns the loop into one addition. */
static _Thread_local volatile long tls_tally;

static long ops_per_thread; /* set before each repetition, read by the workers */

static void *mutex_loop(void *arg)
{
    (void)arg;
    for (long i = 0; i < ops_per_thread; i++) {
        PT_CHECK(pthread_mutex_lock(&mutex));
        plain_counter++;
        PT_CHECK(pthread_mutex_unlock(&mutex));
    }
    return NULL;
}

static void *spin_loop(void *arg)
{
    (void)arg;
    for (long i = 0; i < ops_per_thread; i++) {
        PT_CHECK(pthread_spin_lock(&spin));
        plain_counter++;
        PT_CHECK(pthread_spin_unlock(&spin));
    }
    return NULL;
}

static void *atomic_loop(void *arg)
{
    (void)arg;
    for (long i = 0; i < ops_per_thread; i++)
        atomic_fetch_add(&counter, 1);
    return NULL;
}

/* Lesson 18's retry loop: read the value, and swap in value + 1 only if nobody changed it
 * in between; if somebody did, the failed CAS hands back the new value and we try again.
 * The retries go to *arg. */
static void *cas_loop(void *arg)
{
    long retries = 0;
    for (long i = 0; i < ops_per_thread; i++) {
        long seen = atomic_load_explicit(&counter, memory_order_relaxed);
        while (!atomic_compare_exchange_weak(&counter, &seen, seen + 1))
            retries++;
    }
    *(long *)arg = retries;
    return NULL;
}

/* Lesson 19: count in a variable of one's own, publish the tally once at the end. */
static void *tls_loop(void *arg)
{
    (void)arg;
    tls_tally = 0;
    for (long i = 0; i < ops_per_thread; i++)
        tls_tally++;
    atomic_fetch_add(&counter, tls_tally);
    return NULL;
}

/* The same through POSIX's key: each increment first asks for this thread's pointer. */
static void *tls_key_loop(void *arg)
{
    (void)arg;
    long tally = 0;
    PT_CHECK(pthread_setspecific(tally_key, &tally));
    for (long i = 0; i < ops_per_thread; i++)
        (*(long *)pthread_getspecific(tally_key))++;
    PT_CHECK(pthread_setspecific(tally_key, NULL)); /* &tally dies with this frame */
    atomic_fetch_add(&counter, tally);
    return NULL;
}

/* Lesson 16: every pass is one phase that nobody leaves before all have arrived. */
static void *barrier_loop(void *arg)
{
    (void)arg;
    for (long i = 0; i < ops_per_thread; i++) {
        int rc = pthread_barrier_wait(&phase_barrier);
        if (rc != 0 && rc != PTHREAD_BARRIER_SERIAL_THREAD)
            die_rc("pthread_barrier_wait", rc);
    }
    return NULL;
}

static void *rwlock_read_loop(void *arg)
{
    long *seen = arg, sum = 0;
    for (long i = 0; i < ops_per_thread; i++) {
        PT_CHECK(pthread_rwlock_rdlock(&rwlock));
        sum += plain_counter;
        PT_CHECK(pthread_rwlock_unlock(&rwlock));
    }
    *seen = sum;
    return NULL;
}

static void *sem_loop(void *arg)
{
    (void)arg;
    for (long i = 0; i < ops_per_thread; i++) {
        if (sem_post(&sem) != 0)
            die_errno("sem_post");
        while (sem_wait(&sem) != 0)
            if (errno != EINTR)
                die_errno("sem_wait");
    }
    return NULL;
}

/* ---- hand-offs between two threads ----------------------------------------------------- */

/* Condition-variable ping-pong: `turn` says who may go; each round trip is two hand-offs. */
static pthread_cond_t turn_changed = PTHREAD_COND_INITIALIZER;
static int turn;

static void *pong(void *arg)
{
    (void)arg;
    PT_CHECK(pthread_mutex_lock(&mutex));
    for (long i = 0; i < ops_per_thread; i++) {
        while (turn != 1)
            PT_CHECK(pthread_cond_wait(&turn_changed, &mutex));
        turn = 0;
        PT_CHECK(pthread_cond_signal(&turn_changed));
    }
    PT_CHECK(pthread_mutex_unlock(&mutex));
    return NULL;
}

static void *ping(void *arg)
{
    (void)arg;
    PT_CHECK(pthread_mutex_lock(&mutex));
    for (long i = 0; i < ops_per_thread; i++) {
        turn = 1;
        PT_CHECK(pthread_cond_signal(&turn_changed));
        while (turn != 0)
            PT_CHECK(pthread_cond_wait(&turn_changed, &mutex));
    }
    PT_CHECK(pthread_mutex_unlock(&mutex));
    return NULL;
}

/* An event as in Python's threading.Event: a flag that waiters sleep on until it is set. */
typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    bool set;
} event_t;

static event_t ev_go = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false};
static event_t ev_back = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false};

static void event_set(event_t *e)
{
    PT_CHECK(pthread_mutex_lock(&e->lock));
    e->set = true;
    PT_CHECK(pthread_cond_broadcast(&e->changed));
    PT_CHECK(pthread_mutex_unlock(&e->lock));
}

/* Wait until set, then clear it for the next round (Python: e.wait(); e.clear()). */
static void event_wait_clear(event_t *e)
{
    PT_CHECK(pthread_mutex_lock(&e->lock));
    while (!e->set)
        PT_CHECK(pthread_cond_wait(&e->changed, &e->lock));
    e->set = false;
    PT_CHECK(pthread_mutex_unlock(&e->lock));
}

static void *event_setter(void *arg)
{
    (void)arg;
    for (long i = 0; i < ops_per_thread; i++) {
        event_set(&ev_go);
        event_wait_clear(&ev_back);
    }
    return NULL;
}

static void *event_waiter(void *arg)
{
    (void)arg;
    for (long i = 0; i < ops_per_thread; i++) {
        event_wait_clear(&ev_go);
        event_set(&ev_back);
    }
    return NULL;
}

/* ---- one repetition of each measurement, returning nanoseconds per operation ----------- */

typedef double (*rep_fn)(int threads, long ops);

/* `threads` threads each do `ops` operations on the same object; each thread's long (its
 * retries, or what it read) lands in out[] when out is not NULL. */
static double rep_hammer(void *(*loop)(void *), int threads, long ops, long *out)
{
    ops_per_thread = ops;
    long seen[1024];
    void *args[1024];
    for (int i = 0; i < threads; i++)
        args[i] = &seen[i];
    int64_t dt = run_threads(threads, loop, args);
    if (out)
        memcpy(out, seen, (size_t)threads * sizeof *seen);
    return (double)dt / ((double)ops * threads);
}

/* A counting row: the counter starts at 0 and must end at every thread's every increment. */
static double rep_counted(void *(*loop)(void *), int threads, long ops, long *out)
{
    plain_counter = 0;
    atomic_store(&counter, 0);
    double ns = rep_hammer(loop, threads, ops, out);
    long got = plain_counter + atomic_load(&counter), want = ops * threads;
    if (got != want)
        die("a count came out %ld, expected %ld: the measurement is wrong", got, want);
    return ns;
}

static double rep_mutex(int t, long ops)  { return rep_counted(mutex_loop, t, ops, NULL); }
static double rep_spin(int t, long ops)   { return rep_counted(spin_loop, t, ops, NULL); }
static double rep_atomic(int t, long ops) { return rep_counted(atomic_loop, t, ops, NULL); }
static double rep_tls(int t, long ops)    { return rep_counted(tls_loop, t, ops, NULL); }
static double rep_tlskey(int t, long ops) { return rep_counted(tls_key_loop, t, ops, NULL); }
static double rep_rwread(int t, long ops) { return rep_hammer(rwlock_read_loop, t, ops, NULL); }
static double rep_sem(int t, long ops)    { return rep_hammer(sem_loop, t, ops, NULL); }

/* The CAS loop also keeps its retries per increment, summed over the repetitions. */
static double cas_retries, cas_increments;

static double rep_cas(int t, long ops)
{
    long retries[1024];
    double ns = rep_counted(cas_loop, t, ops, retries);
    for (int i = 0; i < t; i++)
        cas_retries += (double)retries[i];
    cas_increments += (double)ops * t;
    return ns;
}

/* One phase: the time for all t threads to pass the barrier once. */
static double rep_barrier(int t, long ops)
{
    PT_CHECK(pthread_barrier_init(&phase_barrier, NULL, (unsigned)t));
    ops_per_thread = ops;
    int64_t dt = run_threads(t, barrier_loop, NULL);
    PT_CHECK(pthread_barrier_destroy(&phase_barrier));
    return (double)dt / (double)ops;
}

/* Two threads, `ops` round trips; the figure is one round trip. */
static double rep_pair(void *(*a)(void *), void *(*b)(void *), long ops)
{
    ops_per_thread = ops;
    pthread_t tb;
    PT_CHECK(pthread_create(&tb, NULL, b, NULL));
    int64_t t0 = now_ns();
    a(NULL);
    int64_t dt = now_ns() - t0;
    PT_CHECK(pthread_join(tb, NULL));
    return (double)dt / (double)ops;
}

static double rep_cond(int t, long ops)
{
    (void)t;
    turn = 0;
    return rep_pair(ping, pong, ops);
}

/* One set -> wake hand-off is half a round trip of two events. */
static double rep_event(int t, long ops)
{
    (void)t;
    return rep_pair(event_setter, event_waiter, ops) / 2;
}

static void *nothing(void *arg)
{
    return arg;
}

static double rep_thread(int t, long ops)
{
    (void)t;
    int64_t t0 = now_ns();
    for (long i = 0; i < ops; i++) {
        pthread_t tid;
        PT_CHECK(pthread_create(&tid, NULL, nothing, NULL));
        PT_CHECK(pthread_join(tid, NULL));
    }
    return (double)(now_ns() - t0) / (double)ops;
}

static pid_t fork_checked(void)
{
    fflush(stdout); /* or the child would print our buffered lines a second time */
    pid_t pid = fork();
    if (pid < 0)
        die_errno("fork");
    return pid;
}

static void wait_child(pid_t pid)
{
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            die_errno("waitpid");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        die("child %ld did not exit cleanly", (long)pid);
}

static double rep_fork(int t, long ops)
{
    (void)t;
    int64_t t0 = now_ns();
    for (long i = 0; i < ops; i++) {
        pid_t pid = fork_checked();
        if (pid == 0)
            _exit(0);
        wait_child(pid);
    }
    return (double)(now_ns() - t0) / (double)ops;
}

static void write_byte(int fd, char c)
{
    while (write(fd, &c, 1) != 1)
        if (errno != EINTR)
            die_errno("write");
}

/* 1 on a byte read, 0 at end of file. */
static int read_byte(int fd, char *c)
{
    ssize_t n;
    while ((n = read(fd, c, 1)) < 0)
        if (errno != EINTR)
            die_errno("read");
    return (int)n;
}

/* A child echoes each byte back until the parent closes its end: one round trip is a
 * write and a read on each side, and two trips through the scheduler. */
static double rep_pipe(int t, long ops)
{
    (void)t;
    int down[2], up[2];
    if (pipe(down) != 0 || pipe(up) != 0)
        die_errno("pipe");
    pid_t pid = fork_checked();
    if (pid == 0) {
        close(down[1]);
        close(up[0]);
        char c;
        while (read_byte(down[0], &c))
            write_byte(up[1], c);
        _exit(0);
    }
    close(down[0]);
    close(up[1]);
    char c = 'x';
    int64_t t0 = now_ns();
    for (long i = 0; i < ops; i++) {
        write_byte(down[1], c);
        if (!read_byte(up[0], &c))
            die("pipe: the child went away");
    }
    int64_t dt = now_ns() - t0;
    close(down[1]);
    close(up[0]);
    wait_child(pid);
    return (double)dt / (double)ops;
}

/* Our thread pool: submit an empty task and wait on its future, one at a time. This is
 * the round trip a caller pays for one small task: queue it, wake a worker, run, complete
 * the future, wake the caller. */
static tp_pool *pool;

static int empty_task(void *arg, void **result)
{
    (void)arg;
    (void)result;
    return 0;
}

static double rep_pool(int t, long ops)
{
    (void)t;
    int64_t t0 = now_ns();
    for (long i = 0; i < ops; i++) {
        tp_future *f;
        tp_check(tp_submit(pool, empty_task, NULL, &f), "tp_submit");
        tp_check(tp_future_result(f, -1, NULL), "tp_future_result");
        tp_future_release(f);
    }
    return (double)(now_ns() - t0) / (double)ops;
}

/* ---- the measurement loop -------------------------------------------------------------- */

static int reps = 11;
static double rep_ms = 20;

/* How a row's figure relates to its repetition: per_thread rows give ns per operation of
 * each thread (ops * threads operations in all); the others ns per round (ops rounds). */
enum per { PER_THREAD_OP, PER_ROUND };

/* Warm up while finding how many operations fill rep_ms: double the count until a
 * repetition lasts a quarter of that, then scale. Each size is tried three times and the
 * fastest counts: a disturbance only ever makes a run slower, and one slow first try at a
 * tiny count would otherwise leave us timing single operations. */
static void measure(const char *name, int threads, rep_fn rep, enum per per)
{
    double target_ns = rep_ms * 1e6;
    double units = per == PER_THREAD_OP ? threads : 1; /* operations per count of ops */
    long ops = 1;
    for (;;) {
        double fastest = INFINITY;
        for (int k = 0; k < 3; k++) {
            double ns = rep(threads, ops) * (double)ops * units;
            fastest = ns < fastest ? ns : fastest;
        }
        if (fastest >= target_ns / 4 || ops >= (1L << 40)) {
            double scaled = (double)ops * target_ns / (fastest > 0 ? fastest : 1);
            ops = scaled < (double)ops ? ops : (long)scaled;
            rep(threads, ops); /* one more warm-up at the final size */
            break;
        }
        ops *= 2;
    }
    double samples[1001], overlaps[1001];
    int measured_overlap = 0;
    for (int r = 0; r < reps; r++) {
        run_threads_overlap = -1;
        samples[r] = rep(threads, ops);
        if (run_threads_overlap >= 0)
            overlaps[measured_overlap++] = run_threads_overlap;
    }
    stats_t s = stats_of(samples, reps);
    printf("%s,%d,%.2f,%.2f,%.2f,%d\n", name, threads, s.median, s.min, s.max, reps);
    warn_line("%-20s threads=%-3d %10.1f ns  (%.1f .. %.1f)", name, threads, s.median, s.min,
             s.max);
    /* Several threads on one object: did they really run at the same time? */
    if (threads > 1 && measured_overlap > 0) {
        double overlap = stats_of(overlaps, measured_overlap).median;
        if (overlap < 0.8)
            warn_line("%-20s threads=%-3d ran at the same time for only %.0f%% of it (other "
                     "programs on the cores?): partly an uncontended figure", name, threads,
                     overlap * 100);
    }
}

int main(int argc, char **argv)
{
    cli_setup(argv[0], usage);
    int max_threads = online_cpus() < 2 ? 2 : online_cpus();
    static const struct option longopts[] = {
        {"reps", required_argument, NULL, 'r'},
        {"rep-ms", required_argument, NULL, 'm'},
        {"threads", required_argument, NULL, 't'},
        CLI_HELP, CLI_END,
    };
    for (int opt; (opt = cli_next(argc, argv, longopts)) != -1;) {
        switch (opt) {
        case 'r': reps = (int)parse_long("--reps", optarg, 1, 1001); break;
        case 'm': rep_ms = parse_double("--rep-ms", optarg, 0.01, 10000); break;
        case 't': max_threads = (int)parse_long("--threads", optarg, 2, 1024); break;
        }
    }

    PT_CHECK(pthread_spin_init(&spin, PTHREAD_PROCESS_PRIVATE));
    if (sem_init(&sem, 0, 0) != 0)
        die_errno("sem_init");
    PT_CHECK(pthread_key_create(&tally_key, NULL));

    printf("primitive,threads,median_ns,min_ns,max_ns,reps\n");
    struct {
        const char *name;
        rep_fn rep;
        int min_threads; /* measured with min_threads..max_threads threads (1: just 1) */
        bool contended;
    } const table[] = {
        {"mutex", rep_mutex, 1, true},
        {"spinlock", rep_spin, 1, true},
        {"atomic_add", rep_atomic, 1, true},
        {"cas_add", rep_cas, 1, true},
        {"tls_add", rep_tls, 1, true},
        {"tls_key_add", rep_tlskey, 1, true},
        {"rwlock_read", rep_rwread, 1, true},
        {"sem_post_wait", rep_sem, 1, false},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        int last = table[i].contended ? max_threads : table[i].min_threads;
        for (int t = table[i].min_threads; t <= last; t++) {
            cas_retries = cas_increments = 0;
            measure(table[i].name, t, table[i].rep, PER_THREAD_OP);
            if (table[i].rep == rep_cas)
                warn_line("%-20s threads=%-3d %10.3f failed CAS per increment", table[i].name, t,
                         cas_retries / cas_increments);
        }
    }
    for (int t = 2; t <= max_threads; t++)
        measure("barrier_wait", t, rep_barrier, PER_ROUND);
    measure("cond_pingpong", 2, rep_cond, PER_ROUND);
    measure("event_set_wake", 2, rep_event, PER_ROUND);
    measure("thread_create_join", 1, rep_thread, PER_ROUND);
    tp_check(tp_create(&pool, &(tp_options){.workers = online_cpus()}), "tp_create");
    measure("pool_submit_wait", 1, rep_pool, PER_ROUND);
    tp_check(tp_destroy(pool), "tp_destroy");
    measure("fork_wait", 1, rep_fork, PER_ROUND);
    measure("pipe_roundtrip", 2, rep_pipe, PER_ROUND);

    PT_CHECK(pthread_spin_destroy(&spin));
    if (sem_destroy(&sem) != 0)
        die_errno("sem_destroy");
    PT_CHECK(pthread_key_delete(tally_key));
    return EXIT_OK;
}
