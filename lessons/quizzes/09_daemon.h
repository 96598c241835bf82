/*
 * lessons/09_daemon.c's quiz: "predict, then run" questions, each with the command that
 * settles it and the answer. ./build/09_daemon --quiz asks them, --answers answers them,
 * and tests/09_daemon.bats runs every command (check_quiz). They live here, not in the
 * lesson, so that reading the lesson gives no answer away.
 */
static const struct quiz quiz[] = {
    { .ask = "By default main works about half the ticker's run, then returns from main. With "
             "10 ticks planned (--ticks 10), does the detached ticker get to finish?",
      .run = "./build/09_daemon --ticks 10 --scale 0.2",
      .status = 0,
      .shows = { "^main: returning from main: the process ends now, ticker or not$",
                 "^RESULT mode=return main=short ticks=[0-9] planned=10 OK$" },
      .why = "No: it is cut off mid-count, without a word. Returning from main calls exit(), "
             "which ends the whole process and every thread in it. Detaching only means nobody "
             "will join the ticker; it does not keep the process alive." },
    { .ask = "Now main ends with pthread_exit instead of return (--mode pthread_exit). Does "
             "the ticker finish?",
      .run = "./build/09_daemon --mode pthread_exit --ticks 10 --scale 0.15",
      .status = 0,
      .shows = { "^main: pthread_exit: main's thread ends, the process waits for the ticker$",
                 "^  ticker: tick 10/10$",
                 "^RESULT mode=pthread_exit main=short ticks=10 planned=10 OK$" },
      .why = "Yes, all 10 ticks, after main has gone. pthread_exit ends only main's thread; "
             "the process lives while any thread does, and ends when the ticker, the last one, "
             "returns. The verdict comes from an atexit handler, since main cannot print any "
             "more." },
    { .ask = "Back to return, but main now works half as long again as the ticker's whole run "
             "(--main-works long, here with --ticks 2). Is anything cut off?",
      .run = "./build/09_daemon --main-works long --ticks 2 --scale 0.5",
      .status = 0,
      .shows = { "^  ticker: tick 2/2$",
                 "^main: returning from main: the process ends now, ticker or not$",
                 "^RESULT mode=return main=long ticks=2 planned=2 OK$" },
      .why = "No. The ticker finished before main returned, so exit() found nothing to cut "
             "off. Being a daemon decides nothing by itself: what matters is who finishes "
             "first." },
    { .ask = "What do --mode return (the default) and --scale 0 together do? Predict the exit "
             "status and the first line.",
      .run = "./build/09_daemon --scale 0",
      .status = 2,
      .shows = { "^09_daemon: --scale 0 with --mode return: without sleeps, whether main or "
                 "the ticker finishes first is a race$",
                 "^usage: 09_daemon " },
      .why = "A usage error, exit 2. With no sleeps, main's work and the ticker's run take "
             "almost no time, so whether the ticker is cut off would be the scheduler's "
             "choice, and no verdict could say what to expect. --mode pthread_exit allows "
             "--scale 0: there the ticker always finishes, whoever is first." },
};
