/*
 * Reference solution of exercise "event" (the exercise: lessons/exercises/event.c).
 * The flag lives under the mutex; waiters check it in a loop around the condition
 * variable, and the timed wait computes its deadline once, on CLOCK_MONOTONIC, which the
 * condition variable was told to use.
 */
#include "event.h"

#include "core.h"

void event_init(event *e)
{
    PT_CHECK(pthread_mutex_init(&e->mu, NULL));
    cond_init_monotonic(&e->cv);
    e->set = false;
}

void event_destroy(event *e)
{
    PT_CHECK(pthread_cond_destroy(&e->cv));
    PT_CHECK(pthread_mutex_destroy(&e->mu));
}

void event_set(event *e)
{
    PT_CHECK(pthread_mutex_lock(&e->mu));
    e->set = true;
    PT_CHECK(pthread_cond_broadcast(&e->cv));
    PT_CHECK(pthread_mutex_unlock(&e->mu));
}

void event_clear(event *e)
{
    PT_CHECK(pthread_mutex_lock(&e->mu));
    e->set = false;
    PT_CHECK(pthread_mutex_unlock(&e->mu));
}

bool event_is_set(event *e)
{
    PT_CHECK(pthread_mutex_lock(&e->mu));
    bool set = e->set;
    PT_CHECK(pthread_mutex_unlock(&e->mu));
    return set;
}

void event_wait(event *e)
{
    PT_CHECK(pthread_mutex_lock(&e->mu));
    while (!e->set) /* a loop: wakeups may be spurious, the flag cleared again */
        PT_CHECK(pthread_cond_wait(&e->cv, &e->mu));
    PT_CHECK(pthread_mutex_unlock(&e->mu));
}

bool event_timed_wait(event *e, double seconds)
{
    struct timespec until = deadline_after(seconds); /* once: the loop must not extend it */
    PT_CHECK(pthread_mutex_lock(&e->mu));
    int rc = 0;
    while (!e->set && rc != ETIMEDOUT) {
        rc = pthread_cond_timedwait(&e->cv, &e->mu, &until);
        if (rc != 0 && rc != ETIMEDOUT)
            die_rc("pthread_cond_timedwait", rc);
    }
    bool set = e->set;
    PT_CHECK(pthread_mutex_unlock(&e->mu));
    return set;
}
