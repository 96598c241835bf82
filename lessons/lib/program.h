/*
 * program.h: what a lesson, a test or a benchmark program shares, kept out of it so that
 * each one reads as the idea it shows. The library does not include this; it includes
 * core.h, which this brings along (checked calls, die, clocks, median, online_cpus).
 *
 *   cli_setup / usage_*   the program name and usage text; bad input exits 2
 *   cli_next              getopt_long with --help, unknown options and stray operands handled
 *   parse_long / _double  plain decimal in a range: "12x", "", " 5", "+5", "0x10", "1e3",
 *                         overflow all rejected
 *   escaped(text)         user text made safe for an error line (no raw newline or escape)
 *   parse_choice          one word out of a fixed list (--variant mutex|atomic|unsafe)
 *   nap(seconds)          sleep seconds * time_scale (tests shrink time with --scale)
 *   scaled_timeout(s)     a --timeout that stretches with --scale > 1 (no false STUCK)
 *   rng_next / rng_below  a tiny seeded generator (xorshift64*), one state per thread
 *   verdict(ok, ...)      the final "RESULT ... OK|FAIL" line; returns the exit status
 *   verdict_stuck(...)    the final "RESULT ... STUCK" line of a watchdog; returns 3
 *   QUIZ(table)           --quiz and --answers: questions to predict, then run
 */
#ifndef LESSONS_LIB_PROGRAM_H
#define LESSONS_LIB_PROGRAM_H

#include "core.h"

#include <getopt.h>
#include <limits.h>

/* ---- command line --------------------------------------------------------------- */

/* Call first thing in main: names the program (prog_name, in every error line), remembers
 * the usage text, and makes stdout line-buffered so piped output keeps whole lines. */
void cli_setup(const char *argv0, const char *usage);

/* --help: the usage on stdout, exit 0. */
_Noreturn void usage_help(void);

/* Bad input: one line saying what is wrong, then the usage, exit 2.
 * Pass NULL when getopt has already printed its own line. */
_Noreturn void usage_error(const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

/* The end of every program's option table: --help, then the terminator.
 *     static const struct option opts[] = {
 *         { "threads", required_argument, NULL, 't' },
 *         CLI_HELP, CLI_END,
 *     };                                                                      */
enum { CLI_OPT_HELP = 0x100, CLI_OPT_TRACE, CLI_OPT_QUIZ, CLI_OPT_ANSWERS };
#define CLI_HELP { "help", no_argument, NULL, CLI_OPT_HELP }
#define CLI_END { NULL, 0, NULL, 0 }
/* --trace PATH, for a lesson that records a timeline (trace.h): cli_next starts recording
 * into PATH (or dies naming it); the lesson calls trace_done_or_die() once every thread
 * and process that recorded has finished. Put it before CLI_HELP. */
#define CLI_TRACE { "trace", required_argument, NULL, CLI_OPT_TRACE }

/* --quiz and --answers, for a lesson with a quiz (below). Put it before CLI_HELP. */
#define CLI_QUIZ                                 \
    { "quiz", no_argument, NULL, CLI_OPT_QUIZ }, \
    { "answers", no_argument, NULL, CLI_OPT_ANSWERS }

/* getopt_long for long options, with what every program does alike done here: --help
 * prints the usage and exits 0; --quiz and --answers print the quiz and exit 0; --trace
 * PATH (CLI_TRACE) starts trace.h's recording; an unknown option, a missing value or a
 * value given to an option that takes none is a usage error (one line, the option
 * escaped); after the last option, a stray operand is one too.
 * Returns the next option of the program's own, or -1 when there are no more.
 *     for (int c; (c = cli_next(argc, argv, opts)) != -1;)
 *         switch (c) { case 't': threads = parse_long("--threads", optarg, 1, 64); break; }
 */
int cli_next(int argc, char **argv, const struct option *opts);

/* Text from the command line as an error line may show it: printable ASCII as is, anything
 * else (a newline, an escape sequence, a byte of UTF-8) as \n, \t or \xHH, quotes and
 * backslashes escaped, and at most 40 bytes of it, then "...". Four buffers used in turn:
 * up to four escaped texts in one message; not for threads. */
const char *escaped(const char *text);

/* The same into out (size bytes, at least 16), at most `most` bytes of text: for threads,
 * and for text from the network (a server's answer shown by a client). Returns out. */
char *escape_into(char *out, size_t size, const char *text, size_t most);

/* A whole-string integer in plain decimal ("-" only if min < 0, no "+", no spaces, no
 * leading zeros, no hex) in [min, max]; anything else is a usage error that shows the text
 * escaped. */
long parse_long(const char *opt, const char *text, long min, long max);

/* A whole-string number in plain decimal with an optional fraction ("0.25"; no exponent, no
 * "nan" or "inf") in [min, max]. */
double parse_double(const char *opt, const char *text, double min, double max);

/* A file the program writes and then reads back (a log, a ledger) must be a regular file, or
 * not exist yet: /dev/zero would never end when read back, /dev/full refuses every write, a
 * FIFO blocks. Anything else is a usage error naming the option. */
void require_regular_file(const char *opt, const char *path);

/* Do two paths name one file (the same text, or the same device and inode)? */
bool same_file(const char *a, const char *b);

/* One of a NULL-terminated list of words; returns its index. */
int parse_choice(const char *opt, const char *text, const char *const choices[]);

/* ---- the quiz: predict, then run ------------------------------------------------------ */

/* Every lesson ends with a few questions a student answers before running anything, each
 * settled by one command whose output shows the answer in every run (a count, a verdict, a
 * line that is always there: never one interleaving, never a time). `--quiz` prints the
 * questions and their commands; `--answers` adds what the output shows and why.
 * tests/helper.bash's check_quiz runs each command and checks that it does show it. The
 * table lives in lessons/quizzes/NN_topic.h, apart from the lesson, so that reading the
 * lesson gives no answer away; the lesson includes it:
 *     static const struct quiz quiz[] = {
 *         { .ask = "Can \"main: the counter has finished\" come before \"counter: 5\"?",
 *           .run = "./build/01_threads --scale 0.01",
 *           .status = 0, .shows = { "^  counter: 5$", "^main: the counter has finished$" },
 *           .why = "No. pthread_join returns only after the thread's function has ..." },
 *     };
 *     ...  QUIZ(quiz);  right after cli_setup, and CLI_QUIZ in the option table.      */
enum { QUIZ_SHOWS = 3 };
struct quiz {
    const char *ask;                /* the question */
    const char *run;                /* the command that settles it, from the repository root */
    int status;                     /* the exit status that command ends with */
    const char *shows[QUIZ_SHOWS];  /* POSIX extended regular expressions: each matches a
                                       line of its output (stdout and stderr), after the
                                       line the one before it matched */
    const char *why;                /* the answer, explained */
};

void cli_quiz(const struct quiz *questions, size_t count);
#define QUIZ(table) cli_quiz((table), sizeof(table) / sizeof((table)[0]))

/* ---- time ----------------------------------------------------------------------- */

/* Every sleep in the lessons goes through nap(); --scale 0.01 makes a lesson 100x faster.
 * Set time_scale from the command line, before any thread starts. */
extern double time_scale;

void nap(double seconds);

/* The tool this program runs under that distorts its timings, or NULL: "ThreadSanitizer" or
 * "AddressSanitizer" (known when built), "valgrind" (asked at run time). A lesson that
 * times something doubts its figures then, rather than draw a conclusion from the tool's
 * overhead (each tool slows some operations far more than others). */
const char *timing_tool(void);

/* How long to wait for work that naps before calling it stuck: `seconds` real seconds,
 * stretched by --scale when the lesson runs slower than normal (time_scale > 1), never
 * shrunk when it runs faster (a valgrind run needs real time). A watchdog or a timed wait
 * whose bound is a --timeout uses this, so a slow-motion run is never called stuck. */
static inline double scaled_timeout(double seconds)
{
    return time_scale > 1 ? seconds * time_scale : seconds;
}

/* ---- randomness ----------------------------------------------------------------- */

/* xorshift64*: small, fast, and each thread keeps its own state, so no lock is needed. */
static inline uint64_t rng_next(uint64_t *state)
{
    uint64_t x = *state ? *state : 0x9E3779B97F4A7C15u;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545F4914F6CDD1Du;
}

/* A number in [0, n). */
static inline uint64_t rng_below(uint64_t *state, uint64_t n)
{
    return rng_next(state) % n;
}

/* ---- the verdict ---------------------------------------------------------------- */

/* Prints "RESULT <fields> OK" or "... FAIL" and returns the matching exit status:
 *     return verdict(counter == expected, "counter=%ld expected=%ld", counter, expected); */
int verdict(bool ok, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* A watchdog's verdict: "RESULT <fields> STUCK", and EXIT_STUCK to return or exit with:
 *     return verdict_stuck("variant=bad-order deadlock=detected"); */
int verdict_stuck(const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

#endif
