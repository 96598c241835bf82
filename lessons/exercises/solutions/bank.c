/*
 * Reference solution of exercise "bank" (the exercise: lessons/exercises/bank.c).
 * One mutex guards every balance; the transfer checks the funds and moves them in one
 * critical section, and the readers take the same lock, so nobody sees half a transfer.
 */
#include "bank.h"

#include "core.h"

void bank_init(bank *b, int accounts, long initial)
{
    PT_CHECK(pthread_mutex_init(&b->mu, NULL));
    b->accounts = accounts;
    for (int i = 0; i < accounts; i++)
        b->balance[i] = initial;
}

void bank_destroy(bank *b)
{
    PT_CHECK(pthread_mutex_destroy(&b->mu));
}

bool bank_transfer(bank *b, int from, int to, long amount)
{
    PT_CHECK(pthread_mutex_lock(&b->mu));
    bool enough = b->balance[from] >= amount; /* checked and moved under one lock */
    if (enough) {
        b->balance[from] -= amount;
        b->balance[to] += amount;
    }
    PT_CHECK(pthread_mutex_unlock(&b->mu));
    return enough;
}

long bank_total(bank *b)
{
    PT_CHECK(pthread_mutex_lock(&b->mu));
    long total = 0;
    for (int i = 0; i < b->accounts; i++)
        total += b->balance[i];
    PT_CHECK(pthread_mutex_unlock(&b->mu));
    return total;
}

long bank_balance(bank *b, int account)
{
    PT_CHECK(pthread_mutex_lock(&b->mu));
    long v = b->balance[account];
    PT_CHECK(pthread_mutex_unlock(&b->mu));
    return v;
}
