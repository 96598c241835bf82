/*
 * lessons/06_condvar.c's quiz: "predict, then run" questions, each with the command that
 * settles it and the answer. ./build/06_condvar --quiz asks them, --answers answers
 * them, and tests/06_condvar.bats runs every command (check_quiz). They live here, not
 * in the lesson, so that reading the lesson gives no answer away.
 */
static const struct quiz quiz[] = {
    { .ask = "With --variant lost and a single chef (--waiters 1), the chef comes in only "
             "after the staff has called. What happens to it?",
      .run = "./build/06_condvar --variant lost --waiters 1 --timeout 0.1 --scale 0.01",
      .status = 3,
      .shows = { "^chef 1: arrives late, after the call$",
                 "^chef 1: lost wakeup: the staff called [0-9.]+ ms before this chef began to "
                 "wait",
                 "^RESULT variant=lost woken=0 expected=1 missed=1 STUCK$" },
      .why = "It waits for nothing until its --timeout, and the run ends STUCK, exit 3. "
             "pthread_cond_broadcast wakes only the threads waiting at that moment; the call "
             "came before this chef began to wait, and a condition variable keeps no record of "
             "it. Without the timeout it would wait forever." },
    { .ask = "The same late chef with the fix (--variant fixed, the default), which checks "
             "`ready` in a while loop around the wait. Does it wait at all?",
      .run = "./build/06_condvar --waiters 1 --scale 0.01",
      .status = 0,
      .shows = { "^chef 1: arrives late, after the call$",
                 "^chef 1: the kitchen is already ready: cooking without waiting$",
                 "^RESULT variant=fixed woken=1 expected=1 OK$" },
      .why = "No. The staff set ready under the mutex before it broadcast, so the state "
             "outlives the call. The chef takes the mutex, finds ready true and never calls "
             "pthread_cond_wait. Wait for the state, not for the signal." },
    { .ask = "Eight chefs (--waiters 8): seven are started before the staff, the last only "
             "after the staff has called. How many of them cook?",
      .run = "./build/06_condvar --waiters 8 --scale 0.01",
      .status = 0,
      .shows = { "^staff: \"kitchen ready!\" \\(one broadcast, heard by whoever waits right "
                 "now\\)$",
                 "^chef 8: the kitchen is already ready: cooking without waiting$",
                 "^RESULT variant=fixed woken=8 expected=8 OK$" },
      .why = "All eight. The one broadcast wakes every chef waiting at that moment, and each "
             "woken chef sees ready and cooks; a chef that comes later finds ready already "
             "true. Broadcast, not signal: pthread_cond_signal would wake only one of the "
             "waiting chefs." },
    { .ask = "The chefs' patience (--timeout 0.05) is shorter than the staff's preparation "
             "(0.30 s at --scale 0.6). With two chefs (--waiters 2), what does the early chef "
             "report?",
      .run = "./build/06_condvar --waiters 2 --timeout 0.05 --scale 0.6",
      .status = 3,
      .shows = { "^chef 1: gave up after [0-9.]+ s: the staff had not called yet \\(raise "
                 "--timeout\\)$",
                 "^chef 2: the kitchen is already ready: cooking without waiting$",
                 "^RESULT variant=fixed woken=1 expected=2 missed=1 STUCK$" },
      .why = "It gave up before the call: the while loop cannot help a chef whose deadline "
             "passes first. Its timed wait returned ETIMEDOUT with ready still false, so it "
             "reports a timeout, not a lost wakeup. The late chef 2 still finds ready set and "
             "cooks: one of two missed, exit 3." },
};
