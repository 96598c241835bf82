/*
 * watchdog.h: ends a program that has not finished in time, and says so.
 *
 *   watchdog dog;
 *   watchdog_start(&dog, 60, report_stuck, NULL);   a thread now waits up to 60 s
 *   ... work that might hang: a lost wakeup, a deadlock ...
 *   watchdog_stop(&dog);                            finished in time: the thread goes
 *
 * If the limit passes first, the watchdog thread calls expired(ctx), which prints the
 * program's verdict (for a lesson, verdict_stuck) and ends the process with _exit or _Exit:
 * the stuck threads cannot be joined, and exit() would run atexit handlers beside them. If
 * expired returns, or is NULL, the watchdog ends it with die_stuck (core.h):
 * "RESULT stuck_after=<limit>s STUCK", exit status 3.
 *
 * The limit is in real seconds on CLOCK_MONOTONIC, so changing the wall clock does not move it.
 * It is a thread: a program that forks (the process pool) must not run one while it forks.
 * Lesson 4's watchdog is different on purpose: reporting who holds which lock is its point.
 */
#ifndef WATCHDOG_H
#define WATCHDOG_H

#include <pthread.h>
#include <stdbool.h>

typedef struct watchdog {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool finished;
    double limit_s;
    void (*expired)(void *ctx);
    void *ctx;
    pthread_t thread;
} watchdog;

void watchdog_start(watchdog *w, double limit_s, void (*expired)(void *ctx), void *ctx);
void watchdog_stop(watchdog *w);

#endif
