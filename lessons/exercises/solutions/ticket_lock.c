/*
 * Reference solution of exercise "ticket_lock" (the exercise: lessons/exercises/ticket_lock.c).
 * One relaxed fetch-and-add hands out the ticket; an acquire load of `serving` that sees
 * it pairs with the previous holder's release store, which carries everything that holder
 * wrote. The spin relaxes the CPU each turn and yields it now and then, so a waiter whose
 * turn has not come does not keep the holder (or the next in line) off a busy machine.
 */
#include "ticket_lock.h"

#include "core.h"

#include <sched.h>

enum { SPINS_BEFORE_YIELD = 256 };

void ticket_lock_init(ticket_lock *l)
{
    atomic_init(&l->next, 0);
    atomic_init(&l->serving, 0);
}

void ticket_lock_acquire(ticket_lock *l)
{
    unsigned mine = atomic_fetch_add_explicit(&l->next, 1, memory_order_relaxed);
    for (unsigned spins = 1; atomic_load_explicit(&l->serving, memory_order_acquire) != mine; spins++) {
        cpu_relax();
        if (spins % SPINS_BEFORE_YIELD == 0)
            sched_yield();
    }
}

void ticket_lock_release(ticket_lock *l)
{
    unsigned now = atomic_load_explicit(&l->serving, memory_order_relaxed); /* only we write it */
    atomic_store_explicit(&l->serving, now + 1, memory_order_release);
}
