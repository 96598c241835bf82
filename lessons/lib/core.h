/*
 * core.h: what every file of the suite may use, the library included: checked calls, dying
 * with a reason, clocks and deadlines, and two small facts about the machine. The programs'
 * own plumbing (command line, --scale, the verdict) is in program.h, which includes this.
 *
 *   PT_CHECK(call)        run a pthread call (always), die with strerror(rc) if it failed
 *   warn_line / vwarn_line  one line on stderr naming the program: "<program>: <message>"
 *   die / die_errno       the same line, then exit 1
 *   die_stuck(...)        a watchdog's end: "RESULT ... STUCK" on stdout, exit 3
 *   die_in_forked_child   from now on, die with _exit (a forked worker, lesson 14's pool)
 *   xmalloc / xcalloc / xrealloc   allocate or die
 *   now_s / now_ns        CLOCK_MONOTONIC, for timing and deadlines
 *   deadline_after        an absolute time for pthread_cond_timedwait and friends
 *   cond_init_monotonic   a condition variable whose timed waits use CLOCK_MONOTONIC
 *   median(v, n)          the median of n timings (sorts them)
 *   online_cpus()         how many CPUs are online, the default number of workers
 *   cpu_relax()           one turn of a spin loop (x86 pause, Arm yield)
 *   HELGRIND_IGNORE(var)  keep helgrind, which cannot see C11 atomics, off an atomic
 *   HELGRIND_SENDS(var) / HELGRIND_RECEIVES(var)  tell it of a hand-over through one
 *
 * Exit statuses shared by every program: 0 OK, 1 FAIL (or a system error), 2 bad usage,
 * 3 STUCK (a watchdog caught a deadlock or a lost wakeup and ended the program).
 */
#ifndef LESSONS_LIB_CORE_H
#define LESSONS_LIB_CORE_H

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2, EXIT_STUCK = 3 };

/* The polite busy-wait, one turn of a spin loop: tells the CPU (and a hyperthread sibling)
 * that this is a spin, so it may save power and give the sibling the core. */
static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* helgrind does not understand C11 atomics: two threads' atomic loads and stores of one
 * variable look like a race to it. HELGRIND_IGNORE(var) tells it not to check that variable,
 * when valgrind's headers are installed (a no-op otherwise, and outside valgrind). Only for
 * atomics, whose accesses cannot race: the carve-out must not hide a real race. When one
 * thread hands data to another through an atomic (a release store, an acquire load that sees
 * it), helgrind sees no lock between them either: HELGRIND_SENDS(var) just before the store
 * and HELGRIND_RECEIVES(var) just after the load tell it that the first thread's earlier
 * writes happen before the second's later reads, as the atomics make them. */
#if defined(__has_include)
#if __has_include(<valgrind/helgrind.h>)
#include <valgrind/helgrind.h>
#define HELGRIND_IGNORE(var) VALGRIND_HG_DISABLE_CHECKING(&(var), sizeof(var))
#define HELGRIND_SENDS(var) ANNOTATE_HAPPENS_BEFORE(&(var))
#define HELGRIND_RECEIVES(var) ANNOTATE_HAPPENS_AFTER(&(var))
#endif
#endif
#ifndef HELGRIND_IGNORE
#define HELGRIND_IGNORE(var) ((void)0)
#define HELGRIND_SENDS(var) ((void)0)
#define HELGRIND_RECEIVES(var) ((void)0)
#endif

/* ---- errors --------------------------------------------------------------------- */

/* The name that starts every error line: the program's, once cli_setup (program.h) has
 * run; "lesson" before that. */
extern const char *prog_name;

/* pthread functions return an error number (they do not set errno): say which call failed
 * and why, then exit 1. */
_Noreturn void die_rc(const char *what, int rc);

/* The call is always evaluated, whatever NDEBUG says; never hide it in assert(). */
#define PT_CHECK(call)                                                                  \
    do {                                                                                \
        int rc_ = (call);                                                               \
        if (rc_ != 0)                                                                   \
            die_rc(#call, rc_);                                                         \
    } while (0)

/* For calls that report through errno (fork, pipe, socket, clock_gettime, ...). */
_Noreturn void die_errno(const char *what);

/* printf-style: "<program>: <message>" on stderr, and go on (progress, a warning). */
void vwarn_line(const char *fmt, va_list ap);
void warn_line(const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

/* printf-style: "<program>: <message>" on stderr, exit 1. */
_Noreturn void die(const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

/* "RESULT <fields> <word>" on stdout, flushed: the verdict line every program ends with
 * (program.h's verdict and verdict_stuck print it; so do die_stuck and the watchdog). */
void vresult_line(const char *word, const char *fmt, va_list ap);

/* A watchdog's verdict: "RESULT <fields> STUCK" on stdout, then _exit(3), since the stuck
 * threads may hold locks that exit()'s handlers would wait for. Say on stderr
 * first what was stuck and for how long. */
_Noreturn void die_stuck(const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

/* In a child made by fork that runs code of ours but must never run the parent's atexit
 * handlers or flush its copy of the parent's stdio buffers: from now on every die* ends
 * the process with _exit. */
void die_in_forked_child(void);

/* malloc, calloc and realloc that die with a reason instead of returning NULL (0 bytes
 * still gives a pointer that free accepts). For memory the program cannot go on without;
 * the thread pool reports TP_ENOMEM instead, because its callers can. */
void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);

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
struct timespec deadline_on(clockid_t clk, double seconds);

/* Deadlines for condition variables made by cond_init_monotonic. */
static inline struct timespec deadline_after(double seconds)
{
    return deadline_on(CLOCK_MONOTONIC, seconds);
}

/* pthread_cond_timedwait measures against the condition's clock, CLOCK_REALTIME unless
 * told otherwise; a jump of the wall clock would then stretch or cut the wait. */
void cond_init_monotonic(pthread_cond_t *cond);

/* ---- numbers and the machine ---------------------------------------------------- */

/* The median of n values (n >= 1); sorts v in place. NAN if one of them is NAN (a CPU time
 * that could not be read, say): then nothing is sorted. A timing is reported as the median of
 * several runs: one run can always be unlucky. */
double median(double *v, long n);

/* How many CPUs are online: the default worker count of the pools and lessons. */
int online_cpus(void);

#endif
