/*
 * 09_daemon: what Python calls a daemon thread, in C. A detached ticker runs in the
 * background; whether it gets to finish depends on how main ends.
 *
 *   make && ./build/09_daemon                        # main returns: the ticker is cut off
 *   ./build/09_daemon --mode pthread_exit            # main leaves, the ticker finishes
 *   ./build/09_daemon --main-works long              # main outlasts the ticker
 *   ./build/09_daemon --ticks 4 --scale 0.01         # short and fast, for tests
 *
 * Notice: returning from main is exit(): the whole process ends at once, every thread
 * with it, mid-count, without a word (Python's daemon=True behaves like this). When main
 * calls pthread_exit instead, only main's thread ends; the process lives until its last
 * thread is done (as Python waits for its non-daemon threads), so all the ticks arrive.
 * Detached or not makes no difference here: detaching only means nobody will join the
 * thread. And because main's locals die with it, whatever the ticker reads lives in
 * static storage, never on main's stack.
 * Try: --main-works long: main works half as long again as the ticker's whole run, so the
 * ticker finishes first and returning from main cuts nothing off. Being a daemon decides
 * nothing by itself: what happens depends on who finishes first.
 *
 * Verdict: main cannot print after pthread_exit, and after returning it is too late to
 * count. So the verdict is printed by an atexit handler, report(), which runs when the
 * process ends, whichever thread ends it: main returning (mode return) or the ticker,
 * the last thread, returning when its count is done (mode pthread_exit). Under the lock
 * the ticker prints with, report() counts, prints, and tells the ticker to stay quiet,
 * so no tick can follow the verdict. OK means the run showed what its mode and main's
 * work promise:
 *   "RESULT mode=return main=short ticks=K planned=N OK"  K < N: the ticker was cut off
 *   "RESULT mode=return main=long ticks=N planned=N OK"   it was done before main returned
 *   "RESULT mode=pthread_exit main=... ticks=N planned=N OK"  every tick ran
 * Otherwise "... FAIL" and exit 1 (report() ends the process with _exit(1): calling
 * exit() again from inside an atexit handler is undefined).
 */
#include "program.h"
#include "quizzes/09_daemon.h" /* --quiz and --answers: its questions */

#include <unistd.h>

static const char usage[] =
    "[--mode return|pthread_exit] [--main-works short|long] [--ticks N] [--scale F]\n"
    "  a detached ticker thread ticks N times while main works, then\n"
    "  --mode        return (default): main returns and the process ends, ticker or not;\n"
    "                pthread_exit: main's thread ends, the process waits for the ticker\n"
    "  --main-works  short (default): about half the ticker's run; long: one and a half\n"
    "                times all of it\n"
    "  --ticks       ticks the ticker means to make, 1..1000 (default 10)\n"
    "  --scale       multiply every sleep by F, 0..100 (default 1; 0.01 for tests; 0 only\n"
    "                with --mode pthread_exit: without sleeps, who finishes first is a race)\n";

enum mode { MODE_RETURN, MODE_PTHREAD_EXIT };
static const char *const mode_names[] = { "return", "pthread_exit", NULL };
static const char *const work_names[] = { "short", "long", NULL };

static const double tick_seconds = 0.3;

/* Is this a ThreadSanitizer build (`make tsan`)? gcc says so with __SANITIZE_THREAD__,
 * clang with __has_feature. See the end of ticker() for why it matters. */
#if defined(__SANITIZE_THREAD__)
#define TSAN_BUILD 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TSAN_BUILD 1
#endif
#endif
#ifndef TSAN_BUILD
#define TSAN_BUILD 0
#endif

/* Shared by main, the ticker and report(). Static, because main's stack frame is gone
 * once main returns or calls pthread_exit, while the ticker may still be reading. */
static struct {
    pthread_mutex_t lock;   /* guards ticks and over, and keeps tick lines whole */
    int ticks;              /* ticks made so far */
    bool over;              /* report() has printed the verdict: no more ticks */
    int planned;            /* set by main before the ticker starts */
    enum mode mode;
    bool main_long;         /* main works longer than the whole ticker */
} show = { PTHREAD_MUTEX_INITIALIZER, 0, false, 0, MODE_RETURN, false };

/* ---- the background ticker ------------------------------------------------------------ */

static void *ticker(void *unused)
{
    (void)unused;
    bool over = false;
    for (int i = 1; i <= show.planned && !over; i++) {
        nap(tick_seconds);
        PT_CHECK(pthread_mutex_lock(&show.lock));
        over = show.over;   /* the process is ending: stay quiet */
        if (!over) {
            show.ticks = i;
            printf("  ticker: tick %d/%d\n", i, show.planned);
        }
        PT_CHECK(pthread_mutex_unlock(&show.lock));
    }
    /* In mode pthread_exit main is gone and this is the last thread: returning ends the
     * process, as exit(0) would, and report() runs. Except under ThreadSanitizer, which
     * keeps a helper thread of its own that never ends (and blocks signals): there the
     * process would wait for it forever, deaf even to Ctrl-C. So in a tsan build the
     * ticker ends the process itself. (Only in this mode: in mode return main calls
     * exit(), and two threads must not call exit() at once.) */
    if (TSAN_BUILD && show.mode == MODE_PTHREAD_EXIT)
        exit(EXIT_OK);
    return NULL;
}

static void start_detached_ticker(void)
{
    pthread_t tid;
    PT_CHECK(pthread_create(&tid, NULL, ticker, NULL));
    PT_CHECK(pthread_detach(tid));   /* nobody will join it; its resources free themselves */
}

/* ---- the verdict, printed on the way out ---------------------------------------------- */

static void report(void)
{
    /* Count and print under the ticker's lock, and tell it to stay quiet from now on: a
     * tick line after the verdict would break "the last line is the verdict". (If a lock
     * call failed, die() would call exit() from inside exit(); locking a default mutex
     * that nobody holds for long does not fail.) */
    PT_CHECK(pthread_mutex_lock(&show.lock));
    show.over = true;
    bool cut_off = show.ticks < show.planned;
    bool ok = show.mode == MODE_RETURN && !show.main_long ? cut_off : !cut_off;
    int status = verdict(ok, "mode=%s main=%s ticks=%d planned=%d", mode_names[show.mode],
                         work_names[show.main_long], show.ticks, show.planned);
    PT_CHECK(pthread_mutex_unlock(&show.lock));
    if (status != EXIT_OK)
        _exit(status);   /* verdict() has flushed stdout */
}

/* ---- main: the outline ---------------------------------------------------------------- */

int main(int argc, char **argv)
{
    cli_setup(argv[0], usage);
    QUIZ(quiz);
    static const struct option opts[] = {
        { "mode", required_argument, NULL, 'm' },
        { "main-works", required_argument, NULL, 'w' },
        { "ticks", required_argument, NULL, 't' },
        { "scale", required_argument, NULL, 's' },
        CLI_QUIZ, CLI_HELP, CLI_END,
    };
    enum mode mode = MODE_RETURN;
    bool main_long = false;
    int ticks = 10;
    for (int c; (c = cli_next(argc, argv, opts)) != -1;) {
        switch (c) {
        case 'm': mode = (enum mode)parse_choice("--mode", optarg, mode_names); break;
        case 'w': main_long = parse_choice("--main-works", optarg, work_names) == 1; break;
        case 't': ticks = (int)parse_long("--ticks", optarg, 1, 1000); break;
        case 's': time_scale = parse_double("--scale", optarg, 0, 100); break;
        }
    }

    if (mode == MODE_RETURN && time_scale == 0)
        usage_error("--scale 0 with --mode return: without sleeps, whether main or the ticker "
                    "finishes first is a race");
    show.mode = mode;
    show.main_long = main_long;
    show.planned = ticks;
    if (atexit(report) != 0)
        die("atexit failed");

    start_detached_ticker();

    /* Main's own work, ending between two ticks: about half the ticker's run, or half as
     * long again as all of it (a margin of half the run, for a slow machine). */
    printf("main: the ticker runs in the background; main works %s\n",
           main_long ? "longer than the ticker will" : "for about half its run");
    nap(tick_seconds * (main_long ? ticks + ticks / 2 + 0.5 : ticks / 2 + 0.5));

    if (mode == MODE_RETURN) {
        printf("main: returning from main: the process ends now, ticker or not\n");
        return EXIT_OK;   /* = exit(EXIT_OK): report() runs, then every thread is gone */
    }
    printf("main: pthread_exit: main's thread ends, the process waits for the ticker\n");
    pthread_exit(NULL);   /* the process goes on while any thread does */
}
