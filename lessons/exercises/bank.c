/*
 * Exercise "bank": make the bank account safe.
 *
 *   make exercise E=bank              # grade this file: checks, ThreadSanitizer, helgrind
 *   make exercise E=bank SOLUTION=1   # grade the reference solution (no peeking first!)
 *
 * Several threads move money between the accounts of one bank (bank.h) at once. As given,
 * bank_transfer moves money with no lock and no check: two transfers can interleave their
 * read-modify-write of one balance and lose an update, and an account can go negative.
 * Your job, at each TODO(exercise):
 *   - bank_transfer: under the bank's mutex, refuse (return false) a transfer the source
 *     cannot cover; otherwise move the money and return true.
 *   - bank_total and bank_balance: read under the same mutex, so that nobody sees a
 *     transfer half done.
 * The grader checks: a transfer larger than the balance is refused; the total is conserved
 * while 4 threads transfer; an auditor thread never sees a wrong total or a negative
 * balance; ThreadSanitizer and helgrind report nothing.
 * Notice: the lock protects an invariant (the total), not a variable: every access that can
 * see or break it must hold the lock, the readers too.
 * Try: lock only bank_transfer at first, and grade: the unlocked readers can still see a
 * transfer half done, and ThreadSanitizer reports them.
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
    /* TODO(exercise): take b->mu; if b->balance[from] < amount, release it and return
     * false; otherwise move the money, release the lock and return true. */
    b->balance[from] -= amount;
    b->balance[to] += amount;
    return true;
}

long bank_total(bank *b)
{
    /* TODO(exercise): add up the balances while holding b->mu. */
    long total = 0;
    for (int i = 0; i < b->accounts; i++)
        total += b->balance[i];
    return total;
}

long bank_balance(bank *b, int account)
{
    /* TODO(exercise): read the balance while holding b->mu. */
    return b->balance[account];
}
