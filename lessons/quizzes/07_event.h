/*
 * lessons/07_event.c's quiz: "predict, then run" questions, each with the command that
 * settles it and the answer. ./build/07_event --quiz asks them, --answers answers them,
 * and tests/07_event.bats runs every command (check_quiz). They live here, not in the
 * lesson, so that reading the lesson gives no answer away.
 */
static const struct quiz quiz[] = {
    { .ask = "Sixteen runners wait on one event (--waiters 16), and the starter calls "
             "event_set once. How many runners are off?",
      .run = "./build/07_event --waiters 16 --scale 0.01 --timeout 0.05",
      .status = 0,
      .shows = { "^starter: go! \\(one event_set\\)$",
                 "^runner [0-9]+: off!$",
                 "^RESULT waiters=16 released=16 timed_out_wait=not_set OK$" },
      .why = "All sixteen. event_set raises the flag under the mutex and broadcasts, which "
             "wakes every waiting runner; each rechecks the flag, finds it set and goes. None "
             "can be off before the go: its wait loop ends only once the flag is up." },
    { .ask = "With --scale 0.0001 the starter says go after 50 microseconds, perhaps before "
             "some of the 64 runners (--waiters 64) have even reached the line. How many are "
             "off?",
      .run = "./build/07_event --waiters 64 --scale 0.0001 --timeout 0.05",
      .status = 0,
      .shows = { "^starter: go! \\(one event_set\\)$",
                 "^RESULT waiters=64 released=64 timed_out_wait=not_set OK$" },
      .why = "All 64. The event is a state, not a call: a runner that arrives after the set "
             "finds the flag up and passes without waiting. This is 06's fix in a box; a bare "
             "condition variable would lose the wakeup of every runner that came late." },
    { .ask = "After every runner is off, main itself calls event_wait on the same event, and "
             "nobody will set it again. Does main block?",
      .run = "./build/07_event --waiters 2 --scale 0.01 --timeout 0.05",
      .status = 0,
      .shows = { "^runner [0-9]+: off!$",
                 "^main: a late event_wait returns at once: the event is still set$",
                 "^RESULT waiters=2 released=2 timed_out_wait=not_set OK$" },
      .why = "No. A set stays set until someone clears it, so event_wait finds the flag up and "
             "returns without waiting. 06's late chef, waiting on a bare condition variable, "
             "waited for nothing." },
    { .ask = "Then main clears the event and waits on it for 0.25 s (--timeout 0.25); nobody "
             "sets it. What does the timed wait return, and can it return before 0.25 s have "
             "passed?",
      .run = "./build/07_event --waiters 1 --scale 0.01 --timeout 0.25",
      .status = 0,
      .shows = { "^main: after event_clear, is_set says no$",
                 "^main: event_wait_for\\(0\\.25 s\\) on the cleared event returned \"not "
                 "set\" after (0\\.2[5-9][0-9]|0\\.[3-9][0-9][0-9]|[1-9][0-9]*\\.[0-9]{3}) s$",
                 "^RESULT waiters=1 released=1 timed_out_wait=not_set OK$" },
      .why = "\"not set\", after 0.250 s or more, never less. The deadline is computed once on "
             "CLOCK_MONOTONIC, and the loop goes back to waiting after any early wakeup until "
             "pthread_cond_timedwait says ETIMEDOUT. On a busy machine it can return late, "
             "never early, and a change of the wall clock does not move it." },
};
