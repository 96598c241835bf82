/*
 * Exercise "lock_order": fix the lock order.
 *
 *   make exercise E=lock_order              # grade this file
 *   make exercise E=lock_order SOLUTION=1   # grade the reference solution
 *
 * Each account has a lock of its own (lock_order.h), so transfers between different pairs
 * of accounts run in parallel. transfer() as given locks `from`, then `to`. When one
 * thread runs transfer(a, b) while another runs transfer(b, a), each can take its first
 * lock and then wait forever for the other's: a deadlock (lesson 04 shows it happening).
 * Your job, at the TODO(exercise): take the two locks in one global order that does not
 * depend on the direction of the transfer (say, lower id first), so that no cycle of
 * waiting can form.
 * The grader checks: two threads transferring in opposite directions, and four threads
 * around a ring of three accounts, finish (a watchdog kills a deadlocked run: FAIL stuck)
 * and conserve the money; ThreadSanitizer reports no lock-order inversion even in a run that
 * happened not to deadlock, and helgrind reports no lock order violated.
 * Notice: a deadlock needs a cycle in the "holds A, waits for B" graph. One order for all
 * locks makes every path in that graph go uphill, so no path comes back.
 * Try: grade the skeleton a few times: the deadlock checks fail in most runs, by luck; the
 * lock-order check and ThreadSanitizer's lock-order-inversion report in every run.
 */
#include "lock_order.h"

#include "core.h"

void account_init(account *a, int id, long balance)
{
    PT_CHECK(pthread_mutex_init(&a->mu, NULL));
    a->id = id;
    a->balance = balance;
}

void account_destroy(account *a)
{
    PT_CHECK(pthread_mutex_destroy(&a->mu));
}

void transfer(account *from, account *to, long amount)
{
    /* TODO(exercise): lock the account with the lower id first, whichever way the money
     * goes. As given, the order follows the direction: opposite transfers deadlock. */
    PT_CHECK(pthread_mutex_lock(&from->mu));
    PT_CHECK(pthread_mutex_lock(&to->mu));
    from->balance -= amount;
    to->balance += amount;
    PT_CHECK(pthread_mutex_unlock(&to->mu));
    PT_CHECK(pthread_mutex_unlock(&from->mu));
}

long account_balance(account *a)
{
    PT_CHECK(pthread_mutex_lock(&a->mu));
    long v = a->balance;
    PT_CHECK(pthread_mutex_unlock(&a->mu));
    return v;
}
