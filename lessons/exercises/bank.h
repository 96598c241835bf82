/*
 * bank.h: the API of exercise "bank" (lessons/exercises/bank.c implements it; the grader
 * calls it from many threads at once).
 */
#ifndef EXERCISE_BANK_H
#define EXERCISE_BANK_H

#include <pthread.h>
#include <stdbool.h>

enum { BANK_MAX_ACCOUNTS = 64 };

typedef struct bank {
    pthread_mutex_t mu; /* guards every balance */
    int accounts;
    long balance[BANK_MAX_ACCOUNTS];
} bank;

/* accounts (1..BANK_MAX_ACCOUNTS) accounts holding `initial` each. */
void bank_init(bank *b, int accounts, long initial);
void bank_destroy(bank *b);

/* Moves amount (> 0) from account `from` to account `to` if `from` holds at least that
 * much, and returns true; otherwise moves nothing and returns false. Safe to call from
 * any number of threads at once. */
bool bank_transfer(bank *b, int from, int to, long amount);

/* The sum of all balances, as of one instant (no transfer half done). */
long bank_total(bank *b);

/* One balance, as of one instant. */
long bank_balance(bank *b, int account);

#endif
