/*
 * lessons/31_h2o.c's quiz: "predict, then run" questions, each with the command that
 * settles it and the answer. ./build/31_h2o --quiz asks them, --answers answers them,
 * and tests/31_h2o.bats runs every command (check_quiz). They live here, not in the
 * lesson, so that reading the lesson gives no answer away.
 */
static const struct quiz quiz[] = {
    { .ask = "900 threads, 600 hydrogen and 300 oxygen, arrive in a seeded random order with "
             "no naps at all (--molecules 300 --scale 0). How many molecules mix atoms that "
             "were not let in together?",
      .run = "./build/31_h2o --molecules 300 --scale 0",
      .status = 0,
      .shows = { "^300 molecules formed, 0 of them mixed \\(not two H and one O let in "
                 "together\\)$",
                 "^RESULT variant=fixed molecules=300 oxygen=300 hydrogen=600 mixed=0 OK$" },
      .why = "None. The arrival that completes a group lets exactly two H and one O in and "
             "keeps the mutex; the oxygen gives it back only after the barrier, once all "
             "three have bonded. No other group can form while one is on its way, whatever "
             "the order or the speed." },
    { .ask = "--variant no-barrier lets each atom leave as soon as it has bonded, and the "
             "oxygen opens the door for the next group at once. With a single molecule "
             "(--variant no-barrier --molecules 1), does it mix?",
      .run = "./build/31_h2o --variant no-barrier --molecules 1",
      .status = 0,
      .shows = { "^1 molecules formed, 0 of them mixed \\(not two H and one O let in "
                 "together\\)$",
                 "^RESULT variant=no-barrier molecules=1 oxygen=1 hydrogen=2 mixed=0 OK$" },
      .why = "No. Mixing needs a second group let in while an atom of the first is still "
             "travelling to the bonding site; one group has nobody to mix with. The race is "
             "still in the code: a small case that passes proves nothing about it." },
    { .ask = "Atoms read the group number without the mutex its writer holds, and the mutex, "
             "a semaphore, is given back by another thread than the one that took it. Built "
             "with `make tsan`, does ThreadSanitizer report anything in the fixed reaction "
             "(--molecules 40 --scale 0.3)?",
      .run = "./build/tsan/31_h2o --molecules 40 --scale 0.3",
      .status = 0,
      .shows = { "^40 molecules formed, 0 of them mixed \\(not two H and one O let in "
                 "together\\)$",
                 "^RESULT variant=fixed molecules=40 oxygen=40 hydrogen=80 mixed=0 OK$" },
      .why = "Nothing, and the exit status stays 0 (a report would make it 66). The group "
             "number is an atomic_int, written before the sem_posts that let the group in and "
             "read after their sem_waits, so each read is ordered after its write. A "
             "semaphore has no owner, so any thread may post it; a pthread mutex unlocked by "
             "another thread would be an error." },
};
