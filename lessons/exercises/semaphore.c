/*
 * Exercise "semaphore": a counting semaphore from a mutex and a condition variable.
 *
 *   make exercise E=semaphore              # grade this file
 *   make exercise E=semaphore SOLUTION=1   # grade the reference solution
 *
 * A semaphore holds K permits (semaphore.h; lesson 15 uses POSIX's sem_t): at most K
 * threads can be between csem_wait and csem_post at once. As given, csem_wait never waits
 * and nothing is locked, so any number get in. Your job, at each TODO(exercise):
 *   - csem_wait: under the mutex, wait on the condition variable while permits == 0 (in a
 *     loop), then take one.
 *   - csem_post: under the mutex, give one back and signal one waiter.
 * The grader checks: with 0 permits, a wait waits for a post; with K permits, K waits pass
 * at once; 8 threads through a semaphore of 3 never have more than 3 inside, and all get
 * through; ThreadSanitizer and helgrind report nothing.
 * Notice: signal, not broadcast, is enough here: one permit can let one waiter through,
 * and every waiter waits for the same thing. (Lesson 06 shows when it is not enough.)
 * Try: broadcast instead of signal in csem_post: still correct, but every post wakes
 * every waiter, and all but one go back to sleep.
 */
#include "semaphore.h"

#include "core.h"

void csem_init(csem *s, int permits)
{
    PT_CHECK(pthread_mutex_init(&s->mu, NULL));
    PT_CHECK(pthread_cond_init(&s->cv, NULL));
    s->permits = permits;
}

void csem_destroy(csem *s)
{
    PT_CHECK(pthread_cond_destroy(&s->cv));
    PT_CHECK(pthread_mutex_destroy(&s->mu));
}

void csem_wait(csem *s)
{
    /* TODO(exercise): under the mutex, wait while there is no permit, then take one.
     * As given: takes one even when there is none. */
    s->permits--;
}

void csem_post(csem *s)
{
    /* TODO(exercise): under the mutex, give a permit back and wake one waiter. */
    s->permits++;
}
