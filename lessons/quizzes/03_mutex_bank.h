/*
 * lessons/03_mutex_bank.c's quiz: "predict, then run" questions, each with the command
 * that settles it and the answer. ./build/03_mutex_bank --quiz asks them, --answers
 * answers them, and tests/03_mutex_bank.bats runs every command (check_quiz). They live
 * here, not in the lesson, so that reading the lesson gives no answer away.
 */
static const struct quiz quiz[] = {
    { .ask = "Eight cooks share one frying pan (--dishes 8), and each locks the pan's mutex "
             "before it cooks. What is the most cooks ever at the pan at once?",
      .run = "./build/03_mutex_bank --dishes 8 --rounds 1000 --scale 0.01",
      .status = 0,
      .shows = { "^  [a-z]+ *: in the pan \\(1 cook at the pan\\)$",
                 "^main: at most 1 cook at the pan at once$",
                 "^RESULT variant=locked pan_max_cooks=1 accounts=1 balanced=1 balance=[0-9]+ "
                 "expected=[0-9]+ lowest=[0-9]+ OK$" },
      .why = "One. A cook counts itself in only after pthread_mutex_lock returns and counts "
             "itself out before it unlocks, so however many cooks wait, the count cannot pass "
             "1. The count is atomic, so it stays right without the lock too: in --variant "
             "unsafe it can climb above 1." },
    { .ask = "One depositor against eight withdrawers (--depositors 1 --withdrawers 8) on four "
             "accounts, each behind its own mutex. Can a withdrawal leave a balance below "
             "zero?",
      .run = "./build/03_mutex_bank --dishes 1 --accounts 4 --depositors 1 --withdrawers 8 "
             "--rounds 20000 --scale 0.01",
      .status = 0,
      .shows = { "^  withdrawer 7: took out [0-9]+, refused [0-9]+ times$",
                 "^RESULT variant=locked pan_max_cooks=1 accounts=4 balanced=4 balance=[0-9]+ "
                 "expected=[0-9]+ lowest=[0-9]+ OK$" },
      .why = "No: lowest stays at 0 or above, and all four accounts balance. A withdrawer "
             "checks the balance and takes the money under one lock, so no other teller can "
             "empty the account between the check and the withdrawal; when the money is not "
             "there, it refuses. Without the lock two withdrawers can pass the check on the "
             "same balance." },
    { .ask = "Build with `make tsan`, then run the unsafe variant under ThreadSanitizer with "
             "only 1000 rounds (--variant unsafe --rounds 1000). Does it report a data race, "
             "and on what?",
      .run = "./build/tsan/03_mutex_bank --variant unsafe --rounds 1000 --scale 0.01",
      .status = 66,
      .shows = { "^WARNING: ThreadSanitizer: data race",
                 "^  Location is global 'bank' ",
                 "^ThreadSanitizer: reported [1-9][0-9]* warnings$" },
      .why = "Yes, in every run, on the accounts (the global bank), in deposit and withdraw; a "
             "report makes the exit status 66. ThreadSanitizer flags two accesses to one "
             "place, one a write, that no lock or join orders. It does not need the books to "
             "come out wrong: it sees the missing order, not the damage." },
    { .ask = "And the same under ThreadSanitizer with the locks in place (--variant locked, "
             "the default)?",
      .run = "./build/tsan/03_mutex_bank --rounds 1000 --scale 0.01",
      .status = 0,
      .shows = { "^main: at most 1 cook at the pan at once$",
                 "^RESULT variant=locked pan_max_cooks=1 accounts=1 balanced=1 balance=[0-9]+ "
                 "expected=[0-9]+ lowest=[0-9]+ OK$" },
      .why = "Silence: exit 0, where a report would have made it 66. Each unlock of an "
             "account's mutex is ordered before the next lock of the same mutex, so every "
             "access to a balance is ordered after the one before it, and there is no race to "
             "report." },
};
