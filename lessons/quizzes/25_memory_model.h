/*
 * lessons/25_memory_model.c's quiz: "predict, then run" questions, each with the command
 * that settles it and the answer. ./build/25_memory_model --quiz asks them, --answers
 * answers them, and tests/25_memory_model.bats runs every command (check_quiz). They
 * live here, not in the lesson, so that reading the lesson gives no answer away.
 */
static const struct quiz quiz[] = {
    { .ask = "--order seq-cst --trials 1000: every store and load is seq_cst. In how many "
             "trials do both loads read 0?",
      .run = "./build/25_memory_model --order seq-cst --trials 1000",
      .status = 0,
      .shows = { "^seq-cst: 0 of 1000 trials saw \\(0,0\\), as sequential consistency "
                 "requires",
                 "^RESULT trials=1000 seq_cst_00=0 OK$" },
      .why = "None. All seq_cst operations fall in one total order that both threads agree on; "
             "whichever load is last in it comes after the other thread's store and reads 1. "
             "On x86 the seq_cst store is an xchg, which drains the store buffer before the "
             "load runs." },
    { .ask = "--order fence keeps the stores and loads relaxed but puts "
             "atomic_thread_fence(memory_order_seq_cst) between them. Can (0,0) appear in "
             "1000 trials?",
      .run = "./build/25_memory_model --order fence --trials 1000",
      .status = 0,
      .shows = { "^fence: 0 of 1000 trials saw \\(0,0\\), as sequential consistency requires",
                 "^RESULT trials=1000 fence_00=0 OK$" },
      .why = "No. The two seq_cst fences are ordered one before the other, each thread's store "
             "is before its fence and its load after it, so the load after the later fence "
             "sees the other thread's store. On x86 the fence is an mfence or a locked "
             "instruction: it waits for the store buffer to drain, as xchg does." },
    { .ask = "make tsan builds the lesson with ThreadSanitizer. Does it report a data race for "
             "--order relaxed --trials 200, the order that shows (0,0)?",
      .run = "./build/tsan/25_memory_model --order relaxed --trials 200",
      .status = 0,
      .shows = { "^relaxed: [0-9]+ of 200 trials saw \\(0,0\\)",
                 "^RESULT trials=200 relaxed_00=[0-9]+ OK$" },
      .why = "No, exit 0. Every shared access here is atomic, and atomic accesses never race, "
             "relaxed ones included: (0,0) is an outcome the C11 model allows, not undefined "
             "behaviour. In lesson 18 the relaxed flag guards a message in plain memory, and "
             "the plain read of the message is the race." },
    { .ask = "The default runs all four orders in turn (here with --trials 1000). Which of "
             "the four counts in the RESULT line can you write down before the run, and can "
             "(0,0) under relaxed or acq-rel make it FAIL?",
      .run = "./build/25_memory_model --trials 1000",
      .status = 0,
      .shows = { "^RESULT trials=1000 relaxed_00=[0-9]+ acq_rel_00=[0-9]+ seq_cst_00=0 "
                 "fence_00=0 OK$" },
      .why = "seq_cst_00 and fence_00, always 0. relaxed_00 and acq_rel_00 are what this run "
             "saw: some, on x86 with two free CPUs; none, on one CPU. A release store and an "
             "acquire load do not keep a store before a later load, so acq-rel allows (0,0) as "
             "relaxed does, and an allowed outcome never makes the verdict FAIL." },
};
