/*
 * core.c: the few functions of core.h that are not inline, and the one piece of state it
 * has, the program's name in error messages.
 */
#include "core.h"

#include <stdarg.h>

const char *prog_name = "lesson";

static bool forked_child; /* die with _exit: see die_in_forked_child */

void die_in_forked_child(void)
{
    forked_child = true;
}

static _Noreturn void end(int status)
{
    if (forked_child)
        _exit(status);
    exit(status);
}

_Noreturn void die_rc(const char *what, int rc)
{
    fprintf(stderr, "%s: %s: %s\n", prog_name, what, strerror(rc));
    end(EXIT_FAIL);
}

_Noreturn void die_errno(const char *what)
{
    die_rc(what, errno);
}

void vwarn_line(const char *fmt, va_list ap)
{
    fprintf(stderr, "%s: ", prog_name);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void warn_line(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vwarn_line(fmt, ap);
    va_end(ap);
}

_Noreturn void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vwarn_line(fmt, ap);
    va_end(ap);
    end(EXIT_FAIL);
}

void vresult_line(const char *word, const char *fmt, va_list ap)
{
    fputs("RESULT ", stdout);
    vprintf(fmt, ap);
    printf(" %s\n", word);
    fflush(stdout);
}

_Noreturn void die_stuck(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vresult_line("STUCK", fmt, ap); /* flushed */
    va_end(ap);
    _exit(EXIT_STUCK); /* not exit: the stuck threads may hold what its handlers need */
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        die("out of memory (%zu bytes)", n);
    return p;
}

void *xcalloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p)
        die("out of memory (%zu items of %zu bytes)", count, size);
    return p;
}

void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        die("out of memory (%zu bytes)", n);
    return q;
}

struct timespec deadline_on(clockid_t clk, double seconds)
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

void cond_init_monotonic(pthread_cond_t *cond)
{
    pthread_condattr_t attr;
    PT_CHECK(pthread_condattr_init(&attr));
    PT_CHECK(pthread_condattr_setclock(&attr, CLOCK_MONOTONIC));
    PT_CHECK(pthread_cond_init(cond, &attr));
    PT_CHECK(pthread_condattr_destroy(&attr));
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double median(double *v, long n)
{
    for (long k = 0; k < n; k++)
        if (isnan(v[k]))
            return NAN; /* unknown, and it would not sort */
    qsort(v, (size_t)n, sizeof *v, compare_doubles);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* _SC_NPROCESSORS_ONLN is not in POSIX itself but in every libc we build on; 1 if the
 * system cannot say. */
int online_cpus(void)
{
#ifdef _SC_NPROCESSORS_ONLN
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n >= 1)
        return n > 4096 ? 4096 : (int)n;
#endif
    return 1;
}
