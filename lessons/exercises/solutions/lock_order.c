/*
 * Reference solution of exercise "lock_order" (the exercise: lessons/exercises/lock_order.c).
 * Both locks are taken lower id first, whichever way the money goes: every thread climbs
 * the same order, so no cycle of waiting can form.
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
    account *first = from->id < to->id ? from : to;
    account *second = first == from ? to : from;
    PT_CHECK(pthread_mutex_lock(&first->mu));
    PT_CHECK(pthread_mutex_lock(&second->mu));
    from->balance -= amount;
    to->balance += amount;
    PT_CHECK(pthread_mutex_unlock(&second->mu));
    PT_CHECK(pthread_mutex_unlock(&first->mu));
}

long account_balance(account *a)
{
    PT_CHECK(pthread_mutex_lock(&a->mu));
    long v = a->balance;
    PT_CHECK(pthread_mutex_unlock(&a->mu));
    return v;
}
