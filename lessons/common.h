/*
 * common.h: the plumbing every lesson shares, kept out of the lessons so that
 * each one reads as the concurrency idea it teaches.
 *
 *   PT_CHECK(call)        run a pthread call (always), die with strerror(rc) if it failed
 *   die / die_errno       one line on stderr and exit 1 (for calls that set errno)
 *   cli_setup / usage_*   the program name and usage text; bad input exits 2
 *   cli_next              getopt_long with --help, unknown options and stray operands handled
 *   parse_long / _double  strict number parsing with a range: "12x", "", overflow all rejected
 *   parse_choice          one word out of a fixed list (--mode unsafe|mutex|atomic)
 *   now_s / now_ns        CLOCK_MONOTONIC, for timing and deadlines
 *   median(v, n)          the median of n timings (sorts them)
 *   online_cpus()         how many CPUs are online, the default number of workers
 *   deadline_after        an absolute time for pthread_cond_timedwait and friends
 *   cond_init_monotonic   a condition variable whose timed waits use CLOCK_MONOTONIC
 *   nap(seconds)          sleep seconds * time_scale (tests shrink time with --scale)
 *   rng_next / rng_below  a tiny seeded generator (xorshift64*), one state per thread
 *   verdict(ok, ...)      the final "RESULT ... OK|FAIL" line; returns the exit status
 *   verdict_stuck(...)    the final "RESULT ... STUCK" line of a watchdog; returns 3
 *
 * Exit statuses shared by every lesson: 0 OK, 1 FAIL (or a system error), 2 bad usage,
 * 3 STUCK (a watchdog caught a deadlock or a lost wakeup and ended the program).
 */
#ifndef LESSONS_COMMON_H
#define LESSONS_COMMON_H

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2, EXIT_STUCK = 3 };

/* ---- errors --------------------------------------------------------------------- */

/* The name in error messages: cli_setup sets it from argv[0]. Library files that include
 * this header (the pools) define COMMON_PROG first, so their errors name the library. */
#ifndef COMMON_PROG
#define COMMON_PROG "lesson"
#endif
static const char *cli_prog = COMMON_PROG;
static const char *cli_usage = "";

/* pthread functions return an error number (they do not set errno). */
static inline _Noreturn void die_rc(const char *what, int rc)
{
    fprintf(stderr, "%s: %s: %s\n", cli_prog, what, strerror(rc));
    exit(EXIT_FAIL);
}

/* The call is always evaluated, whatever NDEBUG says; never hide it in assert(). */
#define PT_CHECK(call)                                                                  \
    do {                                                                                \
        int rc_ = (call);                                                               \
        if (rc_ != 0)                                                                   \
            die_rc(#call, rc_);                                                         \
    } while (0)

/* For calls that report through errno (fork, pipe, socket, clock_gettime, ...). */
static inline _Noreturn void die_errno(const char *what)
{
    die_rc(what, errno);
}

static inline _Noreturn void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", cli_prog);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(EXIT_FAIL);
}

/* ---- command line --------------------------------------------------------------- */

/* Call first thing in main: names the program, remembers the usage text, and makes
 * stdout line-buffered so piped output keeps whole lines. */
static inline void cli_setup(const char *argv0, const char *usage)
{
    const char *slash = strrchr(argv0, '/');
    cli_prog = slash ? slash + 1 : argv0;
    cli_usage = usage;
    setvbuf(stdout, NULL, _IOLBF, 0);
}

/* --help: the usage on stdout, exit 0. */
static inline _Noreturn void usage_help(void)
{
    printf("usage: %s %s", cli_prog, cli_usage);
    exit(EXIT_OK);
}

/* Bad input: one line saying what is wrong, then the usage, exit 2.
 * Pass NULL when getopt has already printed its own line. */
static inline _Noreturn void usage_error(const char *fmt, ...)
{
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        fprintf(stderr, "%s: ", cli_prog);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
    }
    fprintf(stderr, "usage: %s %s", cli_prog, cli_usage);
    exit(EXIT_USAGE);
}

/* After the getopt loop: refuse stray positional arguments. */
static inline void cli_no_operands(int optind_, int argc, char **argv)
{
    if (optind_ < argc)
        usage_error("unexpected argument \"%s\"", argv[optind_]);
}

/* The end of every lesson's option table: --help, then the terminator.
 *     static const struct option opts[] = {
 *         { "threads", required_argument, NULL, 't' },
 *         CLI_HELP, CLI_END,
 *     };                                                                      */
enum { CLI_OPT_HELP = 0x100 };
#define CLI_HELP { "help", no_argument, NULL, CLI_OPT_HELP }
#define CLI_END { NULL, 0, NULL, 0 }

/* getopt_long for long options, with what every lesson does alike done here: --help prints
 * the usage and exits 0; an unknown option or a missing value is a usage error (getopt has
 * printed its line); after the last option, a stray operand is one too. Returns the next
 * option of the lesson's own, or -1 when there are no more.
 *     for (int c; (c = cli_next(argc, argv, opts)) != -1;)
 *         switch (c) { case 't': threads = parse_long("--threads", optarg, 1, 64); break; }
 */
static inline int cli_next(int argc, char **argv, const struct option *opts)
{
    int c = getopt_long(argc, argv, "", opts, NULL);
    if (c == CLI_OPT_HELP)
        usage_help();
    if (c == '?' || c == ':')
        usage_error(NULL);
    if (c == -1)
        cli_no_operands(optind, argc, argv);
    return c;
}

/* A whole-string integer in [min, max]; anything else is a usage error. */
static inline long parse_long(const char *opt, const char *text, long min, long max)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (end == text || *end != '\0' || errno == ERANGE || v < min || v > max)
        usage_error("%s: expected an integer from %ld to %ld, got \"%s\"", opt, min, max, text);
    return v;
}

/* A whole-string finite number in [min, max]. */
static inline double parse_double(const char *opt, const char *text, double min, double max)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text || *end != '\0' || errno == ERANGE || !isfinite(v) || v < min || v > max)
        usage_error("%s: expected a number from %g to %g, got \"%s\"", opt, min, max, text);
    return v;
}

/* One of a NULL-terminated list of words; returns its index. */
static inline int parse_choice(const char *opt, const char *text, const char *const choices[])
{
    for (int i = 0; choices[i]; i++)
        if (strcmp(text, choices[i]) == 0)
            return i;
    char list[256] = "";
    for (int i = 0; choices[i]; i++) {
        if (i)
            strncat(list, "|", sizeof list - strlen(list) - 1);
        strncat(list, choices[i], sizeof list - strlen(list) - 1);
    }
    usage_error("%s: expected one of %s, got \"%s\"", opt, list, text);
}

/* ---- time ----------------------------------------------------------------------- */

static inline struct timespec mono_now(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        die_errno("clock_gettime");
    return ts;
}

static inline int64_t now_ns(void)
{
    struct timespec ts = mono_now();
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline double now_s(void)
{
    return (double)now_ns() / 1e9;
}

/* The absolute time `seconds` from now on clock `clk`, as timed waits want it. */
static inline struct timespec deadline_on(clockid_t clk, double seconds)
{
    struct timespec ts;
    if (clock_gettime(clk, &ts) != 0)
        die_errno("clock_gettime");
    int64_t ns = ts.tv_nsec + (int64_t)llround(seconds * 1e9);
    ts.tv_sec += (time_t)(ns / 1000000000);
    ts.tv_nsec = (long)(ns % 1000000000);
    if (ts.tv_nsec < 0) {
        ts.tv_nsec += 1000000000;
        ts.tv_sec -= 1;
    }
    return ts;
}

/* Deadlines for condition variables made by cond_init_monotonic. */
static inline struct timespec deadline_after(double seconds)
{
    return deadline_on(CLOCK_MONOTONIC, seconds);
}

/* pthread_cond_timedwait measures against the condition's clock, CLOCK_REALTIME unless
 * told otherwise; a jump of the wall clock would then stretch or cut the wait. */
static inline void cond_init_monotonic(pthread_cond_t *cond)
{
    pthread_condattr_t attr;
    PT_CHECK(pthread_condattr_init(&attr));
    PT_CHECK(pthread_condattr_setclock(&attr, CLOCK_MONOTONIC));
    PT_CHECK(pthread_cond_init(cond, &attr));
    PT_CHECK(pthread_condattr_destroy(&attr));
}

/* The median of n timings (n >= 1); sorts v in place. Lessons that time something report
 * the median of several runs: one run can always be unlucky. */
static inline int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static inline double median(double *v, long n)
{
    qsort(v, (size_t)n, sizeof *v, compare_doubles);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* How many CPUs are online: the default worker count of the pools and lessons. The name
 * is not in POSIX itself but in every libc we build on; 1 if the system cannot say. */
static inline int online_cpus(void)
{
#ifdef _SC_NPROCESSORS_ONLN
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n >= 1)
        return n > 4096 ? 4096 : (int)n;
#endif
    return 1;
}

/* Every sleep in the lessons goes through nap(); --scale 0.01 makes a lesson 100x faster. */
static double time_scale = 1.0;

static inline void nap(double seconds)
{
    struct timespec until = deadline_after(seconds * time_scale);
    int rc;
    while ((rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL)) == EINTR)
        ;
    if (rc != 0)
        die_rc("clock_nanosleep", rc);
}

/* ---- randomness ----------------------------------------------------------------- */

/* xorshift64*: small, fast, and each thread keeps its own state, so no lock is needed. */
static inline uint64_t rng_next(uint64_t *state)
{
    uint64_t x = *state ? *state : 0x9E3779B97F4A7C15u;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545F4914F6CDD1Du;
}

/* A number in [0, n). */
static inline uint64_t rng_below(uint64_t *state, uint64_t n)
{
    return rng_next(state) % n;
}

/* ---- the verdict ---------------------------------------------------------------- */

static inline void verdict_line(const char *word, const char *fmt, va_list ap)
{
    fputs("RESULT ", stdout);
    vprintf(fmt, ap);
    printf(" %s\n", word);
    fflush(stdout);
}

/* Prints "RESULT <fields> OK" or "... FAIL" and returns the matching exit status:
 *     return verdict(counter == expected, "counter=%ld expected=%ld", counter, expected); */
static inline int verdict(bool ok, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    verdict_line(ok ? "OK" : "FAIL", fmt, ap);
    va_end(ap);
    return ok ? EXIT_OK : EXIT_FAIL;
}

/* A watchdog's verdict: "RESULT <fields> STUCK", and EXIT_STUCK to return or exit with:
 *     return verdict_stuck("order=bad deadlock=detected"); */
static inline int verdict_stuck(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    verdict_line("STUCK", fmt, ap);
    va_end(ap);
    return EXIT_STUCK;
}

#endif
