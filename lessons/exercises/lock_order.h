/*
 * lock_order.h: the API of exercise "lock_order" (lessons/exercises/lock_order.c).
 */
#ifndef EXERCISE_LOCK_ORDER_H
#define EXERCISE_LOCK_ORDER_H

#include <pthread.h>

typedef struct account {
    pthread_mutex_t mu; /* guards balance */
    int id;             /* unique per account */
    long balance;
} account;

void account_init(account *a, int id, long balance);
void account_destroy(account *a);

/* Moves amount from `from` to `to` (two different accounts; a balance may go negative),
 * holding both accounts' locks. Any number of threads may call it at once, in any
 * direction: transfer(a, b) in one thread and transfer(b, a) in another must not deadlock. */
void transfer(account *from, account *to, long amount);

/* The balance, read under the account's lock. */
long account_balance(account *a);

#endif
