/*
 * program.c: the functions of program.h, and its state: the usage text and time_scale.
 */
#include "program.h"

#include <stdarg.h>

double time_scale = 1.0;

static const char *usage_text = "";

void cli_setup(const char *argv0, const char *usage)
{
    const char *slash = strrchr(argv0, '/');
    prog_name = slash ? slash + 1 : argv0;
    usage_text = usage;
    setvbuf(stdout, NULL, _IOLBF, 0);
}

_Noreturn void usage_help(void)
{
    printf("usage: %s %s", prog_name, usage_text);
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
    fprintf(stderr, "usage: %s %s", prog_name, usage_text);
    exit(EXIT_USAGE);
}

int cli_next(int argc, char **argv, const struct option *opts)
{
    int c = getopt_long(argc, argv, "", opts, NULL);
    if (c == CLI_OPT_HELP)
        usage_help();
    if (c == '?' || c == ':')
        usage_error(NULL);
    if (c == -1 && optind < argc)
        usage_error("unexpected argument \"%s\"", argv[optind]);
    return c;
}

long parse_long(const char *opt, const char *text, long min, long max)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (end == text || *end != '\0' || errno == ERANGE || v < min || v > max)
        usage_error("%s: expected an integer from %ld to %ld, got \"%s\"", opt, min, max, text);
    return v;
}

double parse_double(const char *opt, const char *text, double min, double max)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text || *end != '\0' || errno == ERANGE || !isfinite(v) || v < min || v > max)
        usage_error("%s: expected a number from %g to %g, got \"%s\"", opt, min, max, text);
    return v;
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
    usage_error("%s: expected one of %s, got \"%s\"", opt, list, text);
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
