/*
 * ticket_lock.h: the API of exercise "ticket_lock" (lessons/exercises/ticket_lock.c): a
 * spinlock that lets threads in in the order they arrived, like a bakery's ticket machine.
 */
#ifndef EXERCISE_TICKET_LOCK_H
#define EXERCISE_TICKET_LOCK_H

#include <stdatomic.h>

typedef struct ticket_lock {
    atomic_uint next;    /* the next ticket to hand out: acquire takes one (the grader
                            watches it to know that a waiter has taken its ticket) */
    atomic_uint serving; /* the ticket now allowed in: release moves it on by one */
} ticket_lock;

void ticket_lock_init(ticket_lock *l);

/* Takes a ticket, then spins until it is served. */
void ticket_lock_acquire(ticket_lock *l);

/* Lets the next ticket in. Only by the thread that holds the lock. */
void ticket_lock_release(ticket_lock *l);

#endif
