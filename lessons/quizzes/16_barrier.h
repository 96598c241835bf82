/*
 * lessons/16_barrier.c's quiz: "predict, then run" questions, each with the command that
 * settles it and the answer. ./build/16_barrier --quiz asks them, --answers answers
 * them, and tests/16_barrier.bats runs every command (check_quiz). They live here, not
 * in the lesson, so that reading the lesson gives no answer away.
 */
static const struct quiz quiz[] = {
    { .ask = "--variant no-barrier skips both barrier waits. With a single thread (--threads "
             "1), does the rod still equal the serial one?",
      .run = "./build/16_barrier --variant no-barrier --threads 1 --cells 1000 --steps 100",
      .status = 0,
      .shows = { "^main: the threads' rod equals the serial rod, cell for cell$",
                 "^RESULT variant=no-barrier threads=1 cells=1000 steps=100 mismatches=0 "
                 "overlaps=0 OK$" },
      .why = "Yes. A barrier orders threads against each other; one thread's steps already run "
             "in program order, and it swaps the rows itself after each step. The bug needs a "
             "second thread that reads cells, or the row pointers, while another is still "
             "writing them." },
    { .ask = "The thread that swaps the rows prints a progress line every few steps. With "
             "--threads 3 --cells 300 --steps 8, how many threads does each line say had "
             "finished that step?",
      .run = "./build/16_barrier --threads 3 --cells 300 --steps 8",
      .status = 0,
      .shows = { "^after step 2: 3 of 3 threads had finished it; ",
                 "^after step 8: 3 of 3 threads had finished it; ",
                 "^RESULT variant=barrier threads=3 cells=300 steps=8 mismatches=0 overlaps=0 "
                 "OK$" },
      .why = "All 3, on every line. The line is printed by the thread that "
             "pthread_barrier_wait returned PTHREAD_BARRIER_SERIAL_THREAD to, and no wait "
             "returns until all 3 threads have arrived, each after finishing the step. The "
             "second barrier keeps the others from starting the next step until the swap is "
             "done." },
    { .ask = "The two end cells are held fixed and every thread needs a cell of its own. What "
             "does --threads 8 --cells 9 do?",
      .run = "./build/16_barrier --threads 8 --cells 9",
      .status = 2,
      .shows = { "^16_barrier: --cells must be at least --threads \\+ 2 \\(every thread needs "
                 "a cell\\)$",
                 "^usage: 16_barrier " },
      .why = "It refuses before starting any thread: one line saying why, then the usage, exit "
             "2. 9 cells minus the 2 fixed ends leave 7 to compute, one short of 8 threads." },
    { .ask = "make tsan builds the lesson with ThreadSanitizer. Does it report --variant "
             "no-barrier with 2 threads on a small rod (--cells 200 --steps 20), even in a run "
             "whose rod happens to come out right?",
      .run = "./build/tsan/16_barrier --variant no-barrier --threads 2 --cells 200 --steps 20",
      .status = 66,
      .shows = { "^WARNING: ThreadSanitizer: data race",
                 "^SUMMARY: ThreadSanitizer: data race .*lessons/16_barrier\\.c:[0-9]+ in "
                 "[a-z_]+$",
                 "^RESULT variant=no-barrier threads=2 cells=200 steps=20 mismatches=[0-9]+ "
                 "overlaps=[0-9]+ (OK|FAIL)$" },
      .why = "Yes, and the exit status becomes 66. ThreadSanitizer checks whether "
             "synchronization orders two accesses (happens-before), not what a run computed: "
             "one thread writes cells and swaps the row pointers while the other reads them, "
             "and nothing orders the two. That is so in every run, whatever the rod says." },
};
