/*
 * event.h: the API of exercise "event" (lessons/exercises/event.c): a gate that is open
 * (set) or closed (clear), like Python's threading.Event.
 */
#ifndef EXERCISE_EVENT_H
#define EXERCISE_EVENT_H

#include <pthread.h>
#include <stdbool.h>

typedef struct event {
    pthread_mutex_t mu;
    pthread_cond_t cv; /* broadcast when the event is set */
    bool set;          /* guarded by mu */
} event;

void event_init(event *e); /* starts clear */
void event_destroy(event *e);

/* Sets the event and wakes every waiting thread: each returns (true) once it sees the
 * event set (an event cleared again before a waiter runs may keep it waiting). */
void event_set(event *e);

/* Clears it: later waits block again until the next event_set. */
void event_clear(event *e);

/* Is it set, now? */
bool event_is_set(event *e);

/* Returns once the event is set (at once if it already is). */
void event_wait(event *e);

/* The same, but gives up after `seconds` (measured on CLOCK_MONOTONIC): returns true if
 * the event is set, false if the time ran out first. */
bool event_timed_wait(event *e, double seconds);

#endif
