/*
 * trace.h: who ran when, recorded as Chrome's Trace Event Format, the JSON that Perfetto
 * (https://ui.perfetto.dev) and chrome://tracing open, and that `make timeline` draws.
 *
 *   trace_or_die(path)          a lesson's --trace PATH: start recording (NULL: stay off), or
 *                               die naming it; before any thread or process starts
 *   trace_open(path)            the same, returning false with errno instead
 *   trace_thread_name(fmt, ...) the calling thread's row label ("main", "pool-0", ...); the
 *                               first call names it, later ones do nothing
 *   int64_t t0 = trace_start(); ... trace_span(t0, "sumsq", "task %zu", k);
 *                               one bar: this thread, from t0 to now, named and categorised
 *   trace_begin("lock", "holds %s", name); ... trace_end();
 *                               the same bar as a begin and an end: one that may never end
 *                               (a deadlock) is still drawn, up to the end of the trace
 *   trace_done_or_die()         write the file (if on), or die naming it; says on stderr how
 *                               many events, and how many did not fit
 *   trace_close()               the same, returning false with errno instead
 *
 * Off (no trace_open), every call is one predictable branch on a flag that never changes, and
 * trace_start() returns 0 without reading a clock. On, an event costs a clock read and an
 * atomic increment (measured by `make timeline`'s test lesson run: see README).
 *
 * Threads and processes alike: the events go into one buffer mapped MAP_SHARED from a
 * temporary file, so a process pool's workers, forked after trace_open, record into the same
 * buffer as the threads of the parent; each event carries its process and a thread number
 * unique across them. Timestamps come from CLOCK_MONOTONIC, one clock for every process.
 * Slots are claimed with one atomic increment (a lock-free atomic in shared memory, which
 * works across processes wherever it is lock-free, as on every platform this suite runs).
 * The buffer has room for TRACE_MAX_EVENTS; beyond that, events are counted and dropped.
 */
#ifndef LESSONS_LIB_TRACE_H
#define LESSONS_LIB_TRACE_H

#include "core.h"

enum { TRACE_MAX_EVENTS = 1 << 16 };

extern bool trace_enabled; /* set once by trace_open, before any thread starts */

/* Starts recording into path (written by trace_close). false with errno set if the file or
 * the buffer cannot be made; nothing is recorded then. */
bool trace_open(const char *path);

/* Writes every recorded event as JSON, and a line on stderr saying how many went where.
 * false with errno set if the file cannot be written. Call it once every thread and
 * process that recorded has finished. */
bool trace_close(void);

void trace_or_die(const char *path);
void trace_done_or_die(void);

void trace_thread_name_on(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void trace_span_on(int64_t start_ns, const char *cat, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void trace_begin_on(const char *cat, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void trace_end_on(void);

#define trace_thread_name(...) (trace_enabled ? trace_thread_name_on(__VA_ARGS__) : (void)0)
#define trace_span(start, ...) (trace_enabled ? trace_span_on((start), __VA_ARGS__) : (void)0)
#define trace_begin(...) (trace_enabled ? trace_begin_on(__VA_ARGS__) : (void)0)
#define trace_end() (trace_enabled ? trace_end_on() : (void)0)

static inline int64_t trace_start(void)
{
    return trace_enabled ? now_ns() : 0;
}

#endif
