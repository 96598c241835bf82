/*
 * lessons/19_thread_local.c's quiz: "predict, then run" questions, each with the command
 * that settles it and the answer. ./build/19_thread_local --quiz asks them, --answers
 * answers them, and tests/19_thread_local.bats runs every command (check_quiz). They
 * live here, not in the lesson, so that reading the lesson gives no answer away.
 */
static const struct quiz quiz[] = {
    { .ask = "main counts 3 requests of its own in requests_handled, a _Thread_local variable, "
             "before it starts any worker. What does worker 1's copy start at (--threads 2 "
             "--iterations 1)?",
      .run = "./build/19_thread_local --threads 2 --iterations 1",
      .status = 0,
      .shows = { "^main: my requests_handled is at 0x[0-9a-f]+ and holds 3$",
                 "^worker 1: my requests_handled is at 0x[0-9a-f]+ and starts at 0$",
                 "^main: the workers handled 2 requests; their log buffers, retired by 2 "
                 "destructor calls, logged 2 lines; my own copy still holds 3$" },
      .why = "At 0. A _Thread_local variable exists once per thread, and each new thread's "
             "copy starts at the initial value, not at a copy of its creator's. The workers' "
             "increments go to their own copies, so main's still holds 3 at the end." },
    { .ask = "Every worker stores its request number in current_request, also _Thread_local, "
             "and the logger stamps it on each line. With --threads 3 --iterations 5, which "
             "request do worker 2's first and last lines name?",
      .run = "./build/19_thread_local --threads 3 --iterations 5",
      .status = 0,
      .shows = { "^worker 2: my requests_handled is at 0x[0-9a-f]+ and starts at 0$",
                 "^worker 2, request 2000000000: handled$",
                 "^worker 2, request 2000000004: handled$" },
      .why = "Its own, 2000000000 and 2000000004, however the three workers interleave. Each "
             "thread writes and reads its own current_request, so no other worker can "
             "overwrite it between the store and the log line. One thread's lines come in the "
             "order it prints them." },
    { .ask = "Each worker prints the address of requests_handled, and main compares them all "
             "after the joins. With --threads 8, how many different addresses are there among "
             "main's and the 8 workers'?",
      .run = "./build/19_thread_local --threads 8 --iterations 1000",
      .status = 0,
      .shows = { "^RESULT threads=8 iterations=1000 handled=8000 expected=8000 main_handled=3 "
                 "lines_logged=8000 destructor_calls=8 distinct_addresses=9 OK$" },
      .why = "9, one per thread, main included. The code names one variable, but the compiler "
             "reaches it through the running thread's own thread-local block, which the thread "
             "library allocates for every thread. Drop _Thread_local and all nine would print "
             "one address." },
    { .ask = "Each worker's log buffer hangs on a pthread key with a destructor. With "
             "--threads 16 --iterations 100, how many times does the destructor run, and how "
             "many lines do the buffers hand over?",
      .run = "./build/19_thread_local --threads 16 --iterations 100",
      .status = 0,
      .shows = { "^main: the workers handled 1600 requests; their log buffers, retired by 16 "
                 "destructor calls, logged 1600 lines; my own copy still holds 3$",
                 "^RESULT threads=16 iterations=100 handled=1600 expected=1600 main_handled=3 "
                 "lines_logged=1600 destructor_calls=16 distinct_addresses=17 OK$" },
      .why = "16 calls, one per worker, handing over 1600 lines. A key's destructor runs in "
             "each exiting thread whose value under the key is not NULL, with that value. main "
             "never takes a buffer, and destructors do not run when main returns, so there is "
             "no 17th call." },
};
