/*
 * lessons/11_thread_pool.c's quiz: "predict, then run" questions, each with the command
 * that settles it and the answer. ./build/11_thread_pool --quiz asks them, --answers
 * answers them, and tests/11_thread_pool.bats runs every command (check_quiz). They live
 * here, not in the lesson, so that reading the lesson gives no answer away.
 */
static const struct quiz quiz[] = {
    { .ask = "In --section timeouts, main waits for a running download with a timeout shorter "
             "than the download. When that wait times out, is the download cancelled?",
      .run = "./build/11_thread_pool --section timeouts --scale 0.1",
      .status = 0,
      .shows = { "^  result\\(timeout 0\\.03 s\\): timed out \\(the task was not cancelled\\), "
                 "state running$",
                 "^  result\\(no timeout\\):  success, 1048576 bytes$",
                 "^RESULT sections=1 passed=1 OK$" },
      .why = "No. A timeout ends the caller's wait and nothing else: the future stays "
             "\"running\" and the worker goes on with the task. The next wait, without a "
             "timeout, gets the full result. The task is held on a latch until after the "
             "first wait, so it is still running then in every run." },
    { .ask = "In --section cancel, a pool of one worker is busy with \"first\" while "
             "\"second\" waits in the queue. main cancels both. Which cancel succeeds?",
      .run = "./build/11_thread_pool --section cancel --scale 0.1",
      .status = 0,
      .shows = { "^  cancel\\(first, running\\): refused; cancel\\(second, queued\\): "
                 "cancelled$",
                 "^  second: cancelled before it ran; third: success, 3$",
                 "^RESULT sections=1 passed=1 OK$" },
      .why = "Only the queued one. The pool cannot stop a thread in the middle of a C "
             "function, so a running task is refused; a queued task is simply taken out of "
             "the queue and never runs. \"third\", queued behind it, still runs." },
    { .ask = "In --section map, later items nap less, so with 4 workers they finish out of "
             "order. With one worker (--workers 1), in what order do they finish, and in "
             "what order does map return the results?",
      .run = "./build/11_thread_pool --section map --workers 1 --scale 0.01",
      .status = 0,
      .shows = { "^  finished in the order: 0 1 2 3 4 5 6 7$",
                 "^  map results \\(input order\\): 0 1 4 9 16 25 36 49$",
                 "^RESULT sections=1 passed=1 OK$" },
      .why = "Both in input order. One worker takes the queued tasks one at a time, first in "
             "first out, so naps cannot reorder them. The results are in input order with "
             "any number of workers: tp_map writes each result into its input's slot." },
    { .ask = "In --section shutdown, a pool of 2 workers has 2 jobs running and 4 queued. "
             "How many jobs run after tp_close, and how many after tp_terminate?",
      .run = "./build/11_thread_pool --section shutdown --scale 0.1",
      .status = 0,
      .shows = { "^    ran 6, cancelled 0$", "^    ran 2, cancelled 4$",
                 "^RESULT sections=1 passed=1 OK$" },
      .why = "close: all 6; terminate: 2. tp_close only refuses new work and lets the queue "
             "drain. tp_terminate also cancels what is still queued; the 2 running jobs "
             "finish, because a running task is never stopped. The first two jobs are held "
             "on a latch, so the other 4 are still queued when the pool is shut." },
};
