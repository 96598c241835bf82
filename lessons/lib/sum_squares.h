/*
 * sum_squares.h: the CPU-bound kernel of lesson 14 and the benchmarks, the sum of i*i for
 * 0 <= i < n, and the closed form that checks it.
 *
 *   ss_u128 s = ss_sum_squares(5000000);            the loop: about 5 million multiply-adds
 *   ss_u128 e = ss_sum_squares_formula(5000000);    (n-1) n (2n-1) / 6, instantly
 *   ss_equal(s, e)                                  every lesson mode checks its answers so
 *   char buf[SS_DIGITS]; ss_format(s, buf)          "41666654166667500000"
 *
 * WHY TWO WORDS.  The Python tutorial computes these sums with unbounded integers. In C the
 * obvious uint64_t is too small: for n = 5,000,019 the sum is about 4.17e19, and UINT64_MAX
 * is about 1.84e19. Three honest ways out:
 *   - unsigned __int128 holds it, but it is a GNU extension (not C11), so not here;
 *   - compute modulo 2^64 (unsigned wrap-around is well defined) in both the loop and the
 *     formula; correct, but every number printed would be a stranger to the Python one;
 *   - keep the exact value in two 64-bit words, a high and a low half. We do this: the loop
 *     adds each square to the low word and carries into the high word when the low word
 *     wraps, which costs one add-with-carry per step. The totals match Python digit for
 *     digit.
 * Each square i*i fits in one word as long as i < 2^32, hence SS_MAX_N.
 *
 * WHY THE COMPILER DOES NOT FOLD THE LOOP.  Written the plain way, `for (i < n) s += i*i`,
 * clang -O2 recognizes the polynomial and replaces the whole loop by the closed form (look:
 * objdump -d shows a few multiplies and no loop), and the "benchmark" then measures nothing.
 * The carry is what stops it here: the high word depends on when the low word wraps, which
 * no closed-form rewrite of the loop (LLVM's and GCC's "scalar evolution") can express. We
 * checked with `objdump -d` that gcc 12 and clang 14 at -O2 both keep a loop of one
 * multiply, one add and one add-with-carry per i. No volatile and no compiler barrier is
 * needed, so the loop runs at the machine's real speed. If you change the kernel, look again.
 *
 * Everything is static inline so lessons, tests and benchmarks can include it freely.
 */
#ifndef LESSONS_SUM_SQUARES_H
#define LESSONS_SUM_SQUARES_H

#include <stdbool.h>
#include <stdint.h>

/* An unsigned 128-bit number as two 64-bit words: value = hi * 2^64 + lo. */
typedef struct {
    uint64_t hi, lo;
} ss_u128;

/* The largest n the kernel takes: every i < n must have i*i < 2^64. */
#define SS_MAX_N ((uint64_t)1 << 32)

/* Enough characters for any 128-bit number in decimal (39 digits) and the '\0'. */
#define SS_DIGITS 40

static inline ss_u128 ss_add(ss_u128 a, ss_u128 b)
{
    ss_u128 r;
    r.lo = a.lo + b.lo;
    r.hi = a.hi + b.hi + (r.lo < a.lo); /* the low word wrapped: carry one */
    return r;
}

static inline bool ss_equal(ss_u128 a, ss_u128 b)
{
    return a.hi == b.hi && a.lo == b.lo;
}

/* The kernel: sum of i*i for 0 <= i < n (n <= SS_MAX_N). One multiply and one two-word add
 * per step; see the header comment for why it is written exactly like this. */
static inline ss_u128 ss_sum_squares(uint64_t n)
{
    ss_u128 sum = {0, 0};
    for (uint64_t i = 0; i < n; i++) {
        uint64_t square = i * i;
        sum.lo += square;
        sum.hi += sum.lo < square; /* the low word wrapped around: carry into the high word */
    }
    return sum;
}

/* a * b exactly, for 64-bit a and b, from four 32 x 32 -> 64-bit products (schoolbook). */
static inline ss_u128 ss_mul64(uint64_t a, uint64_t b)
{
    uint64_t a_lo = a & 0xFFFFFFFFu, a_hi = a >> 32;
    uint64_t b_lo = b & 0xFFFFFFFFu, b_hi = b >> 32;
    uint64_t lo_lo = a_lo * b_lo, hi_lo = a_hi * b_lo, lo_hi = a_lo * b_hi, hi_hi = a_hi * b_hi;
    uint64_t middle = (lo_lo >> 32) + (hi_lo & 0xFFFFFFFFu) + (lo_hi & 0xFFFFFFFFu);
    ss_u128 r;
    r.lo = (middle << 32) | (lo_lo & 0xFFFFFFFFu);
    r.hi = hi_hi + (hi_lo >> 32) + (lo_hi >> 32) + (middle >> 32);
    return r;
}

/* The closed form (n-1) n (2n-1) / 6, exact. The division is done first, on the factors:
 * one of n-1 and n is even, and one of n-1, n and 2n-1 is a multiple of 3. What is left of
 * (n-1) n fits in 64 bits for n <= SS_MAX_N, so one 64 x 64 multiply finishes the job. */
static inline ss_u128 ss_sum_squares_formula(uint64_t n)
{
    if (n == 0)
        return (ss_u128){0, 0};
    uint64_t a = n - 1, b = n, c = 2 * n - 1;
    if (a % 2 == 0)
        a /= 2;
    else
        b /= 2;
    if (a % 3 == 0)
        a /= 3;
    else if (b % 3 == 0)
        b /= 3;
    else
        c /= 3;
    return ss_mul64(a * b, c);
}

/* v in decimal into buf (at least SS_DIGITS chars); returns buf. Long division by 10 on
 * 32-bit pieces, so every intermediate fits in 64 bits. */
static inline char *ss_format(ss_u128 v, char *buf)
{
    uint32_t part[4] = {(uint32_t)(v.hi >> 32), (uint32_t)v.hi, (uint32_t)(v.lo >> 32),
                        (uint32_t)v.lo};
    char digits[SS_DIGITS];
    int n = 0;
    do {
        uint64_t rem = 0;
        bool zero = true;
        for (int k = 0; k < 4; k++) {
            uint64_t cur = (rem << 32) | part[k];
            part[k] = (uint32_t)(cur / 10);
            rem = cur % 10;
            zero = zero && part[k] == 0;
        }
        digits[n++] = (char)('0' + rem);
        if (zero)
            break;
    } while (n < SS_DIGITS - 1);
    for (int k = 0; k < n; k++)
        buf[k] = digits[n - 1 - k];
    buf[n] = '\0';
    return buf;
}

#endif
