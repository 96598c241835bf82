/*
 * lessons/04_deadlock.c's quiz: "predict, then run" questions, each with the command
 * that settles it and the answer. ./build/04_deadlock --quiz asks them, --answers
 * answers them, and tests/04_deadlock.bats runs every command (check_quiz). They live
 * here, not in the lesson, so that reading the lesson gives no answer away.
 */
static const struct quiz quiz[] = {
    { .ask = "Worker A copies database -> file, worker B file -> database, and each locks its "
             "source first (--variant bad-order). What does the watchdog find when its "
             "--timeout runs out, and how does the program end?",
      .run = "./build/04_deadlock --variant bad-order --timeout 0.5",
      .status = 3,
      .shows = { "^watchdog: worker A holds the database lock, waits for the file lock \\(held "
                 "by worker B\\)$",
                 "^watchdog: worker B holds the file lock, waits for the database lock \\(held "
                 "by worker A\\)$",
                 "^RESULT variant=bad-order timing=unlucky finished=0 expected=2 "
                 "deadlock=detected STUCK$" },
      .why = "A cycle: each holds the lock the other waits for, so neither wait can ever end. "
             "The watchdog names it, and main returns without joining, which ends the stuck "
             "threads with the process: STUCK, exit 3. The lesson stages the unlucky timing "
             "(neither reaches for its second lock before both hold their first), so it "
             "happens every run." },
    { .ask = "The same bad order, but B starts only after A is done (--variant bad-order "
             "--timing lucky). Does it finish?",
      .run = "./build/04_deadlock --variant bad-order --timing lucky --scale 0.01",
      .status = 0,
      .shows = { "^worker A: done$",
                 "^worker B: holds the file lock$",
                 "^RESULT variant=bad-order timing=lucky finished=2 expected=2 deadlock=none "
                 "OK$" },
      .why = "Yes. A cycle needs each worker to hold one lock while it waits for the other's; "
             "when only one worker holds locks at a time, none can form. The bug is still in "
             "the code and needs only the unlucky timing, which is why a deadlock can pass "
             "every test." },
    { .ask = "With one global order (--variant one-order, the default), B copies file -> "
             "database. Which lock does B reach for first?",
      .run = "./build/04_deadlock --scale 0.01",
      .status = 0,
      .shows = { "^worker B: reaching for the database lock$",
                 "^worker B: reaching for the file lock$",
                 "^RESULT variant=one-order timing=unlucky finished=2 expected=2 deadlock=none "
                 "OK$" },
      .why = "The database lock, though it copies into the database. Both workers sort the two "
             "locks by rank, whatever the job's direction. Whoever gets the database lock "
             "first gets the file lock too; the other waits holding nothing, and a waiter that "
             "holds nothing cannot close a cycle." },
    { .ask = "Build with `make tsan`, then run the lucky bad order under ThreadSanitizer "
             "(--variant bad-order --timing lucky). The run finishes; does ThreadSanitizer "
             "complain anyway?",
      .run = "./build/tsan/04_deadlock --variant bad-order --timing lucky --scale 0.01",
      .status = 66,
      .shows = { "^WARNING: ThreadSanitizer: lock-order-inversion \\(potential deadlock\\)",
                 "^RESULT variant=bad-order timing=lucky finished=2 expected=2 deadlock=none "
                 "OK$",
                 "^ThreadSanitizer: reported 1 warnings$" },
      .why = "Yes: one lock-order inversion, and exit 66. ThreadSanitizer notes the order of "
             "every two locks one thread holds together: A took database then file, B file "
             "then database. That cycle in its lock-order graph is a deadlock waiting for its "
             "timing, and it is reported though this run never hung." },
};
