/*
 * lessons/14_sum_squares.c's quiz: "predict, then run" questions, each with the command
 * that settles it and the answer. ./build/14_sum_squares --quiz asks them, --answers
 * answers them, and tests/14_sum_squares.bats runs every command (check_quiz). They live
 * here, not in the lesson, so that reading the lesson gives no answer away.
 */
static const struct quiz quiz[] = {
    { .ask = "--kill-one sends SIGKILL to a process pool worker while it holds a task. "
             "Python's multiprocessing.Pool would wait forever for that task. Does this run "
             "hang, or lose that task's sum?",
      .run = "./build/14_sum_squares --mode processes --workers 2 --kill-one",
      .status = 0,
      .shows = { "^kill-one: SIGKILL to worker 0 \\(pid [0-9]+\\) while it holds a task$",
                 "^MODE name=processes workers=2 seconds=[0-9.]+ speedup=n/a exact=20/20 "
                 "first=",
                 "^RESULT tasks=20 total=833337833344750010830 "
                 "expected=833337833344750010830 modes=processes point=n/a OK$" },
      .why = "Neither. A dead worker's end of its pipe closes, so the pool reads end-of-file, "
             "reaps it, hands the task back as failed (\"killed by signal 9\") and forks a "
             "replacement; the lesson retries the task. If the worker answered just before "
             "the signal landed, nothing was lost in the first place. Either way all 20 "
             "sums are exact." },
    { .ask = "Each sum of i*i for i < n, with n near 5,000,000, is about 4.2e19: more than a "
             "uint64_t holds (1.8e19). Does --mode serial get all 20 sums and their total "
             "exact?",
      .run = "./build/14_sum_squares --mode serial",
      .status = 0,
      .shows = { "^MODE name=serial workers=1 seconds=[0-9.]+ speedup=1\\.00 exact=20/20 "
                 "first=",
                 "^RESULT tasks=20 total=833337833344750010830 "
                 "expected=833337833344750010830 modes=serial point=n/a OK$" },
      .why = "Yes. lessons/lib/sum_squares.h keeps each sum in two 64-bit words and carries "
             "from the low word into the high one, so nothing wraps around. Each sum is "
             "checked against the closed form (n-1) n (2n-1) / 6, computed the same exact "
             "way." },
    { .ask = "Can --kill-one be used with --mode threads, killing one thread of the threads "
             "mode instead of a worker process?",
      .run = "./build/14_sum_squares --mode threads --kill-one",
      .status = 2,
      .shows = { "^14_sum_squares: --kill-one needs --mode processes or all, not threads$",
                 "^usage: 14_sum_squares \\[--mode all\\|serial\\|threads\\|pool\\|"
                 "processes\\]" },
      .why = "No: exit 2, a usage error. SIGKILL ends a whole process, every thread in it, "
             "so there is no killing one thread and carrying on. A process pool's worker is "
             "a process of its own: it can die alone while the parent sees it and goes on." },
    { .ask = "With --workers 1, every mode runs on one worker. Can this run show that "
             "concurrency pays, and does it still end OK?",
      .run = "./build/14_sum_squares --workers 1 --count 4 --runs 1",
      .status = 0,
      .shows = { "^  The point needs serial and a mode with 2\\+ workers on 2\\+ CPUs: n/a "
                 "here\\.$",
                 "^MODE name=processes workers=1 seconds=[0-9.]+ speedup=[0-9.]+ exact=4/4 "
                 "first=",
                 "^RESULT tasks=4 total=166666766666710000006 expected=166666766666710000006 "
                 "modes=serial,threads,pool,processes point=n/a OK$" },
      .why = "It cannot show it, and it says so: point=n/a, exit 0. One worker does the same "
             "work as serial, one task after another, plus the cost of handing it over; "
             "only a mode with 2 or more workers on 2 or more CPUs can run faster. The sums "
             "are still checked, and all are exact." },
};
