/*
 * program.c: the functions of program.h, and its state: the usage text and time_scale.
 */
#include "program.h"
#include "trace.h"

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND 0
#endif
#if defined(__has_feature) /* clang's way of saying which sanitizer is built in */
#if __has_feature(thread_sanitizer) && !defined(__SANITIZE_THREAD__)
#define __SANITIZE_THREAD__ 1
#endif
#if __has_feature(address_sanitizer) && !defined(__SANITIZE_ADDRESS__)
#define __SANITIZE_ADDRESS__ 1
#endif
#endif

#include <sys/stat.h>

#include <stdarg.h>

double time_scale = 1.0;

static const char *usage_text = "";
static const struct quiz *quiz_questions;
static size_t quiz_count;

/* The usage, and the quiz's two options if the program has a quiz. */
static void print_usage(FILE *out)
{
    fprintf(out, "usage: %s %s", prog_name, usage_text);
    if (quiz_count)
        fprintf(out, "  --quiz     questions to answer before running it (predict, then run)\n"
                     "  --answers  the same questions, what settles each one, and why\n");
}

void cli_setup(const char *argv0, const char *usage)
{
    const char *slash = strrchr(argv0, '/');
    prog_name = slash ? slash + 1 : argv0;
    usage_text = usage;
    setvbuf(stdout, NULL, _IOLBF, 0);
}

_Noreturn void usage_help(void)
{
    print_usage(stdout);
    exit(EXIT_OK);
}

_Noreturn void usage_error(const char *fmt, ...)
{
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vwarn_line(fmt, ap);
        va_end(ap);
    }
    print_usage(stderr);
    exit(EXIT_USAGE);
}

char *escape_into(char *out, size_t size, const char *text, size_t most)
{
    char *o = out, *end = out + size;
    size_t i = 0;
    for (; text[i] && i < most && end - o > 8; i++) { /* room for "\\xHH" and "..." */
        unsigned char c = (unsigned char)text[i];
        if (c == '\n')
            o += snprintf(o, (size_t)(end - o), "\\n");
        else if (c == '\t')
            o += snprintf(o, (size_t)(end - o), "\\t");
        else if (c == '\\' || c == '"')
            o += snprintf(o, (size_t)(end - o), "\\%c", c);
        else if (c < 0x20 || c >= 0x7f)
            o += snprintf(o, (size_t)(end - o), "\\x%02x", c);
        else
            *o++ = (char)c;
    }
    snprintf(o, (size_t)(end - o), "%s", text[i] ? "..." : "");
    return out;
}

const char *escaped(const char *text)
{
    enum { SHOWN = 40, SLOTS = 4 };
    static char slots[SLOTS][SHOWN * 4 + 8];
    static int next;
    return escape_into(slots[next++ % SLOTS], sizeof slots[0], text, SHOWN);
}

void cli_quiz(const struct quiz *questions, size_t count)
{
    quiz_questions = questions;
    quiz_count = count;
}

/* text after `lead`, words wrapped to lines of at most WIDTH columns (a longer word, a
 * command say, gets a line of its own), every further line indented to match. */
static void print_wrapped(const char *lead, const char *text)
{
    enum { WIDTH = 90 };
    int indent = (int)strlen(lead), col = indent;
    fputs(lead, stdout);
    for (const char *w = text; *w;) {
        size_t len = strcspn(w, " ");
        if (col > indent && col + 1 + (int)len > WIDTH) {
            printf("\n%*s", indent, "");
            col = indent;
        } else if (col > indent) {
            putchar(' ');
            col++;
        }
        fwrite(w, 1, len, stdout);
        col += (int)len;
        w += len;
        while (*w == ' ')
            w++;
    }
    putchar('\n');
}

/* --quiz: the questions and the command that settles each; --answers: also the exit status
 * and the lines that command prints (what tests/helper.bash's check_quiz reads: keep the
 * "run:", "exit:" and "shows:" lines as they are), and why. */
_Noreturn static void print_quiz(bool answers)
{
    if (!quiz_count)
        usage_error("this program has no quiz");
    printf("%s: predict, then run%s\n", prog_name,
           answers ? "" : " (the answers: --answers)");
    for (size_t i = 0; i < quiz_count; i++) {
        const struct quiz *q = &quiz_questions[i];
        char number[32];
        snprintf(number, sizeof number, "%zu. ", i + 1);
        putchar('\n');
        print_wrapped(number, q->ask);
        printf("   run:   %s\n", q->run);
        if (!answers)
            continue;
        printf("   exit:  %d\n", q->status);
        for (int k = 0; k < QUIZ_SHOWS && q->shows[k]; k++)
            printf("   shows: %s\n", q->shows[k]);
        print_wrapped("   why:   ", q->why);
    }
    exit(EXIT_OK);
}

int cli_next(int argc, char **argv, const struct option *opts)
{
    opterr = 0; /* getopt would echo a bad option raw: say it here, escaped */
    int c = getopt_long(argc, argv, "", opts, NULL);
    if (c == CLI_OPT_HELP)
        usage_help();
    if (c == CLI_OPT_QUIZ || c == CLI_OPT_ANSWERS)
        print_quiz(c == CLI_OPT_ANSWERS);
    if (c == CLI_OPT_TRACE) { /* before any thread: the lesson has only parsed so far */
        trace_or_die(optarg);
        return cli_next(argc, argv, opts);
    }
    if (c == '?' || c == ':') {
        const char *arg = argv[optind - 1];
        if (optopt && strchr(arg, '='))
            usage_error("option \"%s\" takes no value", escaped(arg));
        if (optopt)
            usage_error("option \"%s\" needs a value", escaped(arg));
        usage_error("unknown option \"%s\"", escaped(arg));
    }
    if (c == -1 && optind < argc)
        usage_error("unexpected argument \"%s\"", escaped(argv[optind]));
    return c;
}

/* Plain decimal: digits, a leading '-' only if negatives are allowed, a fraction ".ddd" only
 * for real numbers, no leading zero before another digit. strtol and strtod would also take
 * " 5", "+5", "0x10" (16!), "1e3", "nan" and "5\n": each a surprise in a command line. */
static bool plain_decimal(const char *t, bool negative_ok, bool fraction_ok)
{
    if (*t == '-' && negative_ok)
        t++;
    if (*t < '0' || *t > '9' || (t[0] == '0' && t[1] >= '0' && t[1] <= '9'))
        return false;
    while (*t >= '0' && *t <= '9')
        t++;
    if (fraction_ok && *t == '.') {
        if (t[1] < '0' || t[1] > '9')
            return false;
        for (t++; *t >= '0' && *t <= '9'; t++)
            ;
    }
    return *t == '\0';
}

long parse_long(const char *opt, const char *text, long min, long max)
{
    char *end;
    errno = 0;
    long v = plain_decimal(text, min < 0, false) ? strtol(text, &end, 10) : 0;
    if (!plain_decimal(text, min < 0, false) || errno == ERANGE || v < min || v > max)
        usage_error("%s: expected an integer from %ld to %ld, got \"%s\"", opt, min, max,
                    escaped(text));
    return v;
}

double parse_double(const char *opt, const char *text, double min, double max)
{
    char *end;
    errno = 0;
    double v = plain_decimal(text, min < 0, true) ? strtod(text, &end) : 0;
    if (!plain_decimal(text, min < 0, true) || errno == ERANGE || !isfinite(v) || v < min ||
        v > max)
        usage_error("%s: expected a number from %g to %g, got \"%s\"", opt, min, max,
                    escaped(text));
    return v;
}

void require_regular_file(const char *opt, const char *path)
{
    struct stat st;
    if (!*path)
        usage_error("%s: needs a file name", opt);
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
        usage_error("%s: \"%s\" is not a regular file (the program reads it back)", opt,
                    escaped(path));
}

bool same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return strcmp(a, b) == 0 ||
           (stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
            sa.st_ino == sb.st_ino);
}

int parse_choice(const char *opt, const char *text, const char *const choices[])
{
    for (int i = 0; choices[i]; i++)
        if (strcmp(text, choices[i]) == 0)
            return i;
    char list[256] = "";
    for (int i = 0; choices[i]; i++) {
        if (i)
            strncat(list, "|", sizeof list - strlen(list) - 1);
        strncat(list, choices[i], sizeof list - strlen(list) - 1);
    }
    usage_error("%s: expected one of %s, got \"%s\"", opt, list, escaped(text));
}

void nap(double seconds)
{
    struct timespec until = deadline_after(seconds * time_scale);
    int rc;
    while ((rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL)) == EINTR)
        ;
    if (rc != 0)
        die_rc("clock_nanosleep", rc);
}

const char *timing_tool(void)
{
#if defined(__SANITIZE_THREAD__)
    return "ThreadSanitizer";
#elif defined(__SANITIZE_ADDRESS__)
    return "AddressSanitizer";
#else
    return RUNNING_ON_VALGRIND ? "valgrind" : NULL;
#endif
}

int verdict(bool ok, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vresult_line(ok ? "OK" : "FAIL", fmt, ap);
    va_end(ap);
    return ok ? EXIT_OK : EXIT_FAIL;
}

int verdict_stuck(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vresult_line("STUCK", fmt, ap);
    va_end(ap);
    return EXIT_STUCK;
}
