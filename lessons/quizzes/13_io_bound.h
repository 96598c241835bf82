/*
 * lessons/13_io_bound.c's quiz: "predict, then run" questions, each with the command
 * that settles it and the answer. ./build/13_io_bound --quiz asks them, --answers
 * answers them, and tests/13_io_bound.bats runs every command (check_quiz). They live
 * here, not in the lesson, so that reading the lesson gives no answer away.
 */
static const struct quiz quiz[] = {
    { .ask = "9 downloads (--tasks 9) through pools of 1 to 9 workers (--mode pool). How many "
             "rounds of waiting does a pool of 5 need, one of 8, and one of 9?",
      .run = "./build/13_io_bound --tasks 9 --mode pool --scale 0.02",
      .status = 0,
      .shows = { "^pool +5 +[0-9]+\\.[0-9]{3} +[0-9.]+ +2 +- *$",
                 "^pool +8 +[0-9]+\\.[0-9]{3} +[0-9.]+ +2 +- *$",
                 "^pool +9 +[0-9]+\\.[0-9]{3} +[0-9.]+ +1 +- *$" },
      .why = "2, 2 and 1: the \"ideal\" column, ceil(9 / workers). A worker does one "
             "download at a time, so 8 workers leave the ninth download for a second round, "
             "and every size from 5 to 8 needs those two rounds. The ninth worker takes it "
             "in the first round. The measured \"rounds\" column follows these steps on an "
             "idle machine; a Doubt under the table says when it did not." },
    { .ask = "--mode threads --tasks 1000 starts one thread per download: 1000 threads on a "
             "machine with far fewer cores. Does every download's result come back to its "
             "own slot through pthread_join?",
      .run = "./build/13_io_bound --mode threads --tasks 1000 --scale 0.01",
      .status = 0,
      .shows = { "^1000 simulated downloads; each waits 0\\.003 s \\(the network\\)",
                 "^threads +1000 +[0-9]+\\.[0-9]{3} +[0-9.]+ +1 +- *$",
                 "^RESULT tasks=1000 modes=threads runs=1 results=all_correct OK$" },
      .why = "Yes, all 1000. Thread i returns a pointer to download i's result, and main "
             "joins thread i to get it, so a result cannot land in another slot. The threads "
             "spend nearly all their time asleep in the nap, so a few cores are enough for "
             "all of them; what they cost is starting them." },
    { .ask = "What does the lesson do with --workers 3 --max-workers 5, one pool size and a "
             "range of sizes at once?",
      .run = "./build/13_io_bound --workers 3 --max-workers 5",
      .status = 2,
      .shows = { "^13_io_bound: --workers: give --workers W \\(one pool size\\) or "
                 "--max-workers M \\(sizes 1\\.\\.M\\), not both$",
                 "^usage: 13_io_bound \\[--mode all\\|serial\\|threads\\|pool\\]" },
      .why = "It refuses them: exit 2, one line saying why, and the usage. The two options "
             "contradict each other, and picking one silently would run something other "
             "than what was asked." },
    { .ask = "With --scale 0 no download waits at all. What does the \"rounds\" column "
             "(seconds / latency) show then, and do the results still come back right?",
      .run = "./build/13_io_bound --tasks 4 --scale 0",
      .status = 0,
      .shows = { "^serial +1 +[0-9]+\\.[0-9]{3} +- +4 +1\\.00x$",
                 "^pool +2 +[0-9]+\\.[0-9]{3} +- +2 +[0-9.]+x$",
                 "^RESULT tasks=4 modes=serial,threads,pool runs=6 results=all_correct OK$" },
      .why = "A dash: with no latency there is no round to count, so the lesson prints no "
             "rounds and does not judge the steps; the ideal column, ceil(tasks / workers), is "
             "still printed. The results are right: waiting or not, each download's body "
             "goes to its own slot. The runs are serial, threads and pools of 1 to 4: 6." },
};
