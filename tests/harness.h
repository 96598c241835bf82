/*
 * harness.h: what the C test programs (tests/NAME_test.c) share.
 *
 * Output, TAP-like: one verdict per line, "ok - what" or "not ok - what: why", then last
 * "N passed, M failed". A program's exit status is harness_summary()'s: 0 if nothing failed,
 * 1 if something did; 3 if the watchdog ended it; 2 for bad usage (program.h).
 *
 *   check(cond, "claim", ...)   a verdict of its own: prints "ok - claim" or "not ok - claim"
 *                               and counts it. The thread pool's tests, one line per promise.
 *   expect(cond, "why", ...)    silent while it holds; the first one that fails becomes the
 *                               "why" of the current test's verdict. Is cond.
 *   test_begin(name) ... test_end()   one verdict for a test made of expects. The process
 *                               pool's tests, one line per test.
  *   test_group(name)              "# name": a heading; the watchdog names it if it fires.
 *   harness_watchdog_start(s)   ends the program (not ok ... STUCK, exit 3) if it runs
 *   harness_watchdog_stop()     longer than s seconds. A thread: not in a program that forks.
 *   latch (latch.h)             the start gate: tasks wait at it until the test opens it, so
 *                               "slow" is a decision of the test, never a nap's length.
 *
 * check and expect are macros so that the message's arguments are evaluated after cond, and
 * expect's only if cond is false: expect(pp_join(p), "%s", pp_error(p)) shows the error of
 * the join it just made.
 */
#ifndef HARNESS_H
#define HARNESS_H

#include "latch.h"
#include "program.h"

#if defined(__GNUC__) || defined(__clang__)
#define HARNESS_PRINTF(i, j) __attribute__((format(printf, i, j)))
#else
#define HARNESS_PRINTF(i, j)
#endif

#define check(cond, ...)                                                                  \
    ((bool)((cond) ? harness_verdict(true, __VA_ARGS__) : harness_verdict(false, __VA_ARGS__)))
#define expect(cond, ...) ((cond) ? true : (harness_record_failure(__VA_ARGS__), false))

/* Prints "ok - <message>" or "not ok - <message>", counts it, returns ok. */
HARNESS_PRINTF(2, 3) bool harness_verdict(bool ok, const char *fmt, ...);

/* Records why the current test fails, unless an earlier failure already says so. */
HARNESS_PRINTF(1, 2) void harness_record_failure(const char *fmt, ...);

void test_begin(const char *name);
bool test_end(void); /* prints and counts the test's verdict; true if it passed */

void test_group(const char *name);

void harness_watchdog_start(double seconds);
void harness_watchdog_stop(void);

int harness_count(void);    /* verdicts so far, passed and failed */
int harness_summary(void);  /* prints "N passed, M failed"; returns the exit status */

#endif
