/* harness.c: see harness.h. */
#include "harness.h"

#include "watchdog.h"

#include <stdatomic.h>

static int passed, failed;
static _Atomic(const char *) current = ""; /* the group or test under way; the watchdog reads it */
static char failure[512]; /* the current test's first failure, "" if none */
static watchdog dog;

bool harness_verdict(bool ok, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("%s - ", ok ? "ok" : "not ok");
    vprintf(fmt, ap);
    putchar('\n');
    va_end(ap);
    if (ok)
        passed++;
    else
        failed++;
    return ok;
}

void harness_record_failure(const char *fmt, ...)
{
    if (failure[0])
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(failure, sizeof failure, fmt, ap);
    va_end(ap);
}

void test_begin(const char *name)
{
    atomic_store(&current, name);
    failure[0] = '\0';
}

bool test_end(void)
{
    if (failure[0])
        return harness_verdict(false, "%s: %s", atomic_load(&current), failure);
    return harness_verdict(true, "%s", atomic_load(&current));
}

void test_group(const char *name)
{
    atomic_store(&current, name);
    printf("# %s\n", name);
}

static void stuck(void *limit_s)
{
    printf("not ok - watchdog: still running after %g s in %s: STUCK\n", *(double *)limit_s,
           atomic_load(&current));
    fflush(stdout);
    _exit(EXIT_STUCK);
}

static double watchdog_limit_s;

void harness_watchdog_start(double seconds)
{
    watchdog_limit_s = seconds;
    watchdog_start(&dog, seconds, stuck, &watchdog_limit_s);
}

void harness_watchdog_stop(void)
{
    watchdog_stop(&dog);
}

int harness_count(void)
{
    return passed + failed;
}

int harness_summary(void)
{
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? EXIT_FAIL : EXIT_OK;
}
