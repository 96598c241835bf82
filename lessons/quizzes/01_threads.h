/*
 * lessons/01_threads.c's quiz: "predict, then run" questions, each with the command that
 * settles it and the answer. ./build/01_threads --quiz asks them, --answers answers
 * them, and tests/01_threads.bats runs every command (check_quiz). They live here, not
 * in the lesson, so that reading the lesson gives no answer away.
 */
static const struct quiz quiz[] = {
    { .ask = "pthread_create returns before the new thread has done anything. Does \"main: "
             "kettle on\" come before the counter's last line, \"counter: 5\"?",
      .run = "./build/01_threads",
      .status = 0, .shows = { "^main: kettle on$", "^  counter: 5$" },
      .why = "Yes. main prints \"kettle on\" straight after pthread_create returns, while the "
             "counter is still on its first nap; it takes the counter 1.2 s to reach 5. Which "
             "of \"counter: 1\" and \"kettle on\" comes first is the scheduler's choice: "
             "run it a few times." },
    { .ask = "Can \"main: the counter has finished\" ever come before \"counter: 5\", say with "
             "every nap shrunk to almost nothing (--scale 0.01)?",
      .run = "./build/01_threads --scale 0.01",
      .status = 0, .shows = { "^  counter: 5$", "^main: the counter has finished$" },
      .why = "No. pthread_join returns only after the thread's function has returned, and "
             "the counter prints \"counter: 5\" before it returns. Naps only move lines "
             "that nothing orders; the join orders these two in every run." },
    { .ask = "Part two hands each worker a pointer to its own struct. With 1024 workers and no "
             "naps at all, how many of them report the number they were given exactly once?",
      .run = "./build/01_threads --threads 1024 --scale 0",
      .status = 0, .shows = { "^RESULT threads=1024 ran_once=1024 OK$" },
      .why = "All 1024. No other thread writes a worker's struct, so however late a worker "
             "starts, its number is still there. Hand them all one struct that the loop "
             "refills (the Try in the header) and slots go unmarked: FAIL." },
};
