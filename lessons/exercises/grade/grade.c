/*
 * grade.c: the checkers' shared main (see grade.h). Each check runs in a child process, so
 * that a check which deadlocks, loses a wakeup or crashes costs only its own line: the
 * driver kills it after --limit seconds and goes on with the next. The driver itself starts
 * no thread, so forking is safe.
 */
#include "grade.h"

#include <signal.h>
#include <sys/wait.h>

static const char usage[] =
    "[--small] [--limit S] [--every] [--bench | --stages]\n"
    "  runs this exercise's checks, one child process each, and prints PASS or FAIL per check\n"
    "  --small  small sizes, for ThreadSanitizer and helgrind\n"
    "  --limit  seconds a check may take before it is killed as stuck, 0.1..600 (default 10)\n"
    "  --every  run every check, also those that wait for the core checks to pass\n"
    "  --bench  time this exercise against the reference solution instead (ns per operation)\n"
    "  --stages name the grader's stages for this exercise (plain tsan [helgrind] [speed])\n";

bool grade_small;

long grade_size(long n)
{
    return grade_small ? (n / 100 > 0 ? n / 100 : 1) : n;
}

void grade_run_threads(int n, void *(*fn)(void *), void *arg, size_t stride)
{
    pthread_t t[64];
    if (n > 64)
        die("grade_run_threads: at most 64 threads");
    for (int i = 0; i < n; i++)
        PT_CHECK(pthread_create(&t[i], NULL, fn, (char *)arg + (size_t)i * stride));
    for (int i = 0; i < n; i++)
        PT_CHECK(pthread_join(t[i], NULL));
}

bool grade_wait_flag(atomic_bool *flag, double seconds)
{
    int64_t until = now_ns() + (int64_t)(seconds * 1e9);
    while (!atomic_load(flag)) {
        if (now_ns() >= until)
            return false;
        nap(0.001);
    }
    return true;
}

void grade_tally_init(grade_tally *t)
{
    PT_CHECK(pthread_mutex_init(&t->mu, NULL));
    cond_init_monotonic(&t->cv);
    t->n = 0;
}

void grade_tally_destroy(grade_tally *t)
{
    PT_CHECK(pthread_cond_destroy(&t->cv));
    PT_CHECK(pthread_mutex_destroy(&t->mu));
}

void grade_tally_add(grade_tally *t, long k)
{
    PT_CHECK(pthread_mutex_lock(&t->mu));
    t->n += k;
    PT_CHECK(pthread_cond_broadcast(&t->cv));
    PT_CHECK(pthread_mutex_unlock(&t->mu));
}

long grade_tally_get(grade_tally *t)
{
    PT_CHECK(pthread_mutex_lock(&t->mu));
    long n = t->n;
    PT_CHECK(pthread_mutex_unlock(&t->mu));
    return n;
}

bool grade_tally_wait(grade_tally *t, long n, double seconds)
{
    struct timespec until = deadline_after(seconds);
    PT_CHECK(pthread_mutex_lock(&t->mu));
    int rc = 0;
    while (t->n < n && rc != ETIMEDOUT) {
        rc = pthread_cond_timedwait(&t->cv, &t->mu, &until);
        if (rc != 0 && rc != ETIMEDOUT)
            die_rc("pthread_cond_timedwait", rc);
    }
    bool reached = t->n >= n;
    PT_CHECK(pthread_mutex_unlock(&t->mu));
    return reached;
}

/* Runs one check in a child; returns whether it passed, with the reason in why. */
static bool run_check(const grade_check *c, double limit, char *why, size_t size)
{
    int fd[2];
    if (pipe(fd) != 0)
        die_errno("pipe");
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0)
        die_errno("fork");
    if (pid == 0) { /* the child: run the check, send the reason, exit 0 (pass) or 1 */
        close(fd[0]);
        char text[GRADE_WHY] = "";
        bool ok = c->run(text, sizeof text);
        ssize_t unused = write(fd[1], text, strlen(text)); /* < PIPE_BUF: never blocks */
        (void)unused;
        exit(ok ? 0 : 1); /* exit, not _exit: ThreadSanitizer sets the status at exit */
    }
    close(fd[1]);
    int status = 0;
    int64_t until = now_ns() + (int64_t)(limit * 1e9);
    pid_t done;
    while ((done = waitpid(pid, &status, WNOHANG)) == 0 && now_ns() < until)
        nap(0.002);
    if (done == 0) {
        kill(pid, SIGKILL);
        if (waitpid(pid, &status, 0) < 0)
            die_errno("waitpid");
        snprintf(why, size, "stuck: killed after %gs (a deadlock? a lost wakeup?)", limit);
        close(fd[0]);
        return false;
    }
    if (done < 0)
        die_errno("waitpid");
    ssize_t n = read(fd[0], why, size - 1);
    why[n > 0 ? n : 0] = '\0';
    close(fd[0]);
    if (WIFSIGNALED(status)) {
        snprintf(why, size, "crashed: %s", strsignal(WTERMSIG(status)));
        return false;
    }
    if (WEXITSTATUS(status) == 66) { /* the check's own verdict was fine: the tool's was not */
        static const char said[] = "ThreadSanitizer reported; ";
        size_t p = sizeof said - 1, n = strlen(why);
        if (n + p >= size)
            n = size - p - 1;
        memmove(why + p, why, n); /* the check's own words after the tool's */
        memcpy(why, said, p);
        why[n ? p + n : p - 2] = '\0';
    }
    return WEXITSTATUS(status) == 0;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "small", no_argument, NULL, 's' },
        { "every", no_argument, NULL, 'e' },
        { "limit", required_argument, NULL, 'l' },
        { "bench", no_argument, NULL, 'b' },
        { "stages", no_argument, NULL, 'S' },
        CLI_HELP,
        CLI_END,
    };
    cli_setup(argv[0], usage);
    double limit = 10;
    bool bench = false, stages = false, every = false;
    for (int c; (c = cli_next(argc, argv, opts)) != -1;)
        switch (c) {
        case 's': grade_small = true; break;
        case 'e': every = true; break;
        case 'l': limit = parse_double("--limit", optarg, 0.1, 600); break;
        case 'b': bench = true; break;
        case 'S': stages = true; break;
        }
    const grade_exercise *ex = &grade_this;

    if (stages) { /* for scripts/grade.sh */
        printf("plain tsan%s%s\n", ex->helgrind ? " helgrind" : "", ex->bench ? " speed" : "");
        return EXIT_OK;
    }
    if (bench) {
        if (!ex->bench)
            usage_error("--bench: %s has no timed workload", ex->name);
        grade_speed sp = ex->bench();
        printf("timed: %s\n", ex->bench_what);
        return verdict(true, "exercise=%s ns=%.2f ref_ns=%.2f ratio=%.3f pairs=%d", ex->name,
                       sp.ns, sp.ref_ns, sp.ratio, sp.pairs);
    }

    /* the core checks first, then the others, which run only if every core one passed */
    int passed = 0, checks = 0, core_failed = 0;
    for (int later = 0; later <= 1; later++)
        for (const grade_check *c = ex->checks; c->name; c++) {
            if (c->after_core != (later == 1))
                continue;
            char why[GRADE_WHY] = "";
            bool ok = false;
            if (later && core_failed && !every)
                snprintf(why, sizeof why, "not run: fix the core checks above first");
            else
                ok = run_check(c, limit, why, sizeof why);
            checks++;
            passed += ok;
            core_failed += !later && !ok;
            printf("%s %s%s%s%s\n", ok ? "PASS" : "FAIL", c->name, why[0] ? " (" : "", why,
                   why[0] ? ")" : "");
        }
    return verdict(passed == checks, "exercise=%s passed=%d checks=%d", ex->name, passed, checks);
}
