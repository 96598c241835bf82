/*
 * Exercise "event": an event (set, clear, wait, timed wait) from a mutex and a condition
 * variable.
 *
 *   make exercise E=event              # grade this file
 *   make exercise E=event SOLUTION=1   # grade the reference solution
 *
 * An event is a flag that threads can wait for (event.h; lesson 07 uses one). As given,
 * nothing waits: event_wait returns at once, event_timed_wait answers without waiting, and
 * event_set wakes nobody. Your job, at each TODO(exercise):
 *   - event_init: a condition variable whose timed waits use CLOCK_MONOTONIC (core.h's
 *     cond_init_monotonic), so a change of the wall clock cannot stretch or cut them.
 *   - event_set / event_clear / event_is_set: the flag under the mutex; set broadcasts.
 *   - event_wait: wait on the condition variable in a loop while the flag is clear (a
 *     wakeup can be spurious, or the flag cleared again before you run).
 *   - event_timed_wait: the same with pthread_cond_timedwait and an absolute deadline on
 *     CLOCK_MONOTONIC computed once, before the loop (core.h's deadline_after); ETIMEDOUT
 *     means give up, returning whether the flag is set after all.
 * The grader checks: a wait returns only after set; set wakes every waiter; a timed wait
 * on a clear event returns false, and not before its timeout; a set during a timed wait
 * makes it return true early; clear makes waits block again; ThreadSanitizer and helgrind
 * report nothing.
 * Notice: the flag, not the signal, is the truth. A broadcast that nobody is waiting for is
 * lost; a flag set before the wait begins is still seen, because the waiter checks it under
 * the same mutex before it sleeps.
 * Try: compute the deadline inside the loop instead of once: every wakeup (spurious or a
 * set that was cleared again) would then restart the timeout, which might never end.
 */
#include "event.h"

#include "core.h"

void event_init(event *e)
{
    PT_CHECK(pthread_mutex_init(&e->mu, NULL));
    /* TODO(exercise): make the condition variable's timed waits use CLOCK_MONOTONIC. */
    PT_CHECK(pthread_cond_init(&e->cv, NULL));
    e->set = false;
}

void event_destroy(event *e)
{
    PT_CHECK(pthread_cond_destroy(&e->cv));
    PT_CHECK(pthread_mutex_destroy(&e->mu));
}

void event_set(event *e)
{
    /* TODO(exercise): set the flag under the mutex and wake every waiter. */
    e->set = true;
}

void event_clear(event *e)
{
    /* TODO(exercise): clear the flag under the mutex. */
    e->set = false;
}

bool event_is_set(event *e)
{
    /* TODO(exercise): read the flag under the mutex. */
    return e->set;
}

void event_wait(event *e)
{
    /* TODO(exercise): wait (in a loop) until the flag is set. */
    (void)e;
}

bool event_timed_wait(event *e, double seconds)
{
    /* TODO(exercise): wait until the flag is set or `seconds` have passed on
     * CLOCK_MONOTONIC; return whether the flag is set. */
    (void)seconds;
    return e->set;
}
