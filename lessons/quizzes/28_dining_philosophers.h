/*
 * lessons/28_dining_philosophers.c's quiz: "predict, then run" questions, each with the
 * command that settles it and the answer. ./build/28_dining_philosophers --quiz asks
 * them, --answers answers them, and tests/28_dining_philosophers.bats runs every command
 * (check_quiz). They live here, not in the lesson, so that reading the lesson gives no
 * answer away.
 */
static const struct quiz quiz[] = {
    { .ask = "--variant naive: each philosopher takes the left fork, then the right, and the "
             "lesson's latch lets all five take their left fork before anyone reaches for the "
             "right (--variant naive --timeout 0.2 --think 0.0005 --eat 0.0005). How many "
             "meals are eaten, and what does the watchdog find?",
      .run = "./build/28_dining_philosophers --variant naive --timeout 0.2 --think 0.0005 "
             "--eat 0.0005",
      .status = 3,
      .shows = { "^watchdog: philosopher 4 holds fork 4, waits for fork 0 \\(held by "
                 "philosopher 0\\)$",
                 "^watchdog: deadlock: 0 -> 1 -> 2 -> 3 -> 4 -> 0 \\(each waits for a fork "
                 "the next one holds\\)$",
                 "^RESULT variant=naive philosophers=5 meals=0 expected=150 "
                 "deadlock=detected STUCK$" },
      .why = "None. Philosopher i holds fork i and waits for fork i+1, which its neighbour "
             "holds and will not put down: a cycle of waits round the table. The watchdog "
             "follows who waits for whom, names the cycle, and ends the run with exit 3." },
    { .ask = "The same naive rule, but --timing lucky seats them one after another, each "
             "starting when the one before has finished (--variant naive --timing lucky "
             "--meals 5 --think 0.0005 --eat 0.0005). Deadlock or not?",
      .run = "./build/28_dining_philosophers --variant naive --timing lucky --meals 5 "
             "--think 0.0005 --eat 0.0005",
      .status = 0,
      .shows = { "^philosopher 4: 5 meals, waited [0-9.]+ ms in all",
                 "^RESULT variant=naive philosophers=5 meals=25 expected=25 "
                 "neighbours_together=0 OK$" },
      .why = "No deadlock: all 25 meals are eaten, OK. A cycle needs all five to hold a fork "
             "at once, and with one at the table at a time nobody ever waits. The code is the "
             "same; the timing hid the deadlock, which is how such bugs survive testing." },
    { .ask = "That lucky run finishes OK. Built with `make tsan`, does ThreadSanitizer still "
             "object to it (--variant naive --timing lucky --meals 2 --timeout 30)?",
      .run = "./build/tsan/28_dining_philosophers --variant naive --timing lucky --meals 2 "
             "--timeout 30",
      .status = 66,
      .shows = { "^WARNING: ThreadSanitizer: lock-order-inversion \\(potential deadlock\\)",
                 "^RESULT variant=naive philosophers=5 meals=10 expected=10 "
                 "neighbours_together=0 OK$" },
      .why = "Yes: a lock-order-inversion, and exit 66. It records the order each thread takes "
             "its locks in (fork 0 then 1, 1 then 2, ..., 4 then 0) and finds a cycle in those "
             "orders, whether or not anyone ever waited. The ordered variant takes the "
             "lower-numbered fork first, so its orders form no cycle." },
    { .ask = "The watchdog gives up after --timeout seconds without a meal. With the default "
             "ordered rule, meals of 0.2 s and --timeout 0.001 (--eat 0.2 --think 0 --timeout "
             "0.001), does it report a deadlock?",
      .run = "./build/28_dining_philosophers --eat 0.2 --think 0 --timeout 0.001",
      .status = 3,
      .shows = { "^watchdog: no cycle of waits; just slow\\? try a larger --timeout$",
                 "^RESULT variant=ordered philosophers=5 meals=[0-9]+ expected=150 "
                 "deadlock=unknown STUCK$" },
      .why = "No: it ends the run (exit 3) but says deadlock=unknown. A timeout alone cannot "
             "tell a deadlock from slowness; the graph of who holds which fork and waits for "
             "which can, and here it has no cycle: some philosophers are eating, only "
             "slowly." },
};
