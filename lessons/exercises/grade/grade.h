/*
 * grade.h: the one driver every exercise's checker shares (grade.c), and what a checker
 * (grade/NAME_check.c) gives it: a table of checks.
 *
 *   const grade_exercise grade_this = {
 *       .name = "bank", .helgrind = true,
 *       .checks = { { .name = "invariant: total conserved", .run = check_total }, ... },
 *   };
 *
 * The driver is the checker's main, never the student's: it runs each check in a child
 * process of its own (fork), waits at most --limit seconds for it, kills it if it is stuck
 * (a deadlock, a lost wakeup), and prints one line per check:
 *     PASS invariant: total conserved
 *     FAIL invariant: total conserved (total=99 expected=100)
 * then "RESULT exercise=bank passed=P checks=N OK|FAIL". A check returns true or false and
 * may say why in `why`. The core checks are those a skeleton fails in every run. A check
 * that code doing nothing passes (a barrier of 1 never waits, an idle pool shuts down), or
 * that wrong code passes when a race or a deadlock happens not to strike, is marked
 * `.after_core = true`: it proves something only of code that does the core job, so it runs
 * after the core checks and only once they all pass, else it is a FAIL "not run". So a
 * skeleton scores 0 in every run. --small shrinks every size for ThreadSanitizer and helgrind;
 * --bench times the student's code against the reference's instead (ticket_lock); --stages
 * names the stages that apply (plain tsan [helgrind] [speed]). scripts/grade.sh runs these
 * binaries plain, under ThreadSanitizer and under helgrind, and compares the speeds.
 */
#ifndef EXERCISES_GRADE_H
#define EXERCISES_GRADE_H

#include "program.h"

#include <stdatomic.h>

enum { GRADE_MAX_CHECKS = 8, GRADE_WHY = 200 };

typedef struct grade_check {
    const char *name;
    bool (*run)(char *why, size_t size);
    bool after_core; /* run only once every core check (after_core false) has passed */
} grade_check;

/* A speed check's figures: the student's and the reference's cost per operation, timed in
 * one process turn about, and the median of the per-turn ratios (student / reference). */
typedef struct grade_speed {
    double ns, ref_ns, ratio;
    int pairs;        /* how many turns about the ratio is the median of */
} grade_speed;

typedef struct grade_exercise {
    const char *name;
    bool helgrind;         /* helgrind's verdict is meaningful (no C11 atomics in the way) */
    grade_speed (*bench)(void); /* the speed check; NULL: none */
    const char *bench_what;     /* what it times, per operation: "CPU per uncontended ..." */
    grade_check checks[GRADE_MAX_CHECKS];
} grade_exercise;

/* Each checker defines this one. */
extern const grade_exercise grade_this;

/* --small: ThreadSanitizer and helgrind runs, where every operation is slow. */
extern bool grade_small;

/* n, or a hundredth of it (at least 1) under --small. */
long grade_size(long n);

/* Starts n threads running fn(arg + i * stride) and joins them all. */
void grade_run_threads(int n, void *(*fn)(void *), void *arg, size_t stride);

/* Sleeps until *flag holds, or `seconds` pass; returns whether it holds. The checks'
 * bounded wait for another thread's progress. */
bool grade_wait_flag(atomic_bool *flag, double seconds);

/* A count that threads add to and others wait for, under a mutex (not atomics, which
 * helgrind cannot see): the checks' way to learn that n things have happened. */
typedef struct grade_tally {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    long n;
} grade_tally;

void grade_tally_init(grade_tally *t);
void grade_tally_destroy(grade_tally *t);
void grade_tally_add(grade_tally *t, long k);
long grade_tally_get(grade_tally *t);
/* Waits until the count reaches at least n, or `seconds` pass; returns whether it did. */
bool grade_tally_wait(grade_tally *t, long n, double seconds);

#endif
