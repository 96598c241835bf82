/*
 * lessons/26_false_sharing.c's quiz: "predict, then run" questions, each with the
 * command that settles it and the answer. ./build/26_false_sharing --quiz asks them,
 * --answers answers them, and tests/26_false_sharing.bats runs every command
 * (check_quiz). They live here, not in the lesson, so that reading the lesson gives no
 * answer away.
 */
static const struct quiz quiz[] = {
    { .ask = "--show-layout prints each counter's address. With --threads 3, how far apart are "
             "packed's counters, and padded's?",
      .run = "./build/26_false_sharing --show-layout --threads 3 --increments 1000 --rounds 1",
      .status = 0,
      .shows = { "^layout packed: 0x[0-9a-f]*[048c]0 0x[0-9a-f]*[048c]8 0x[0-9a-f]*[159d]0$",
                 "^layout padded: 0x[0-9a-f]*[048c]0 0x[0-9a-f]*[048c]0 0x[0-9a-f]*[048c]0$",
                 "^RESULT threads=3 increments=1000 rounds=1 expected=3000 packed=3000 "
                 "padded=3000 local=3000 wrong_counts=0 OK$" },
      .why = "Packed's are 8 bytes apart, one long each, from the start of a 64-byte line "
             "(offsets 0x00, 0x08 and 0x10 past a multiple of 0x40): all three in one line. "
             "Padded's each start a line of their own, 64 bytes apart: 8 bytes of counter, 56 "
             "of padding." },
    { .ask = "With --threads 8 packed's eight counters fill one cache line, and every core "
             "running a thread writes it. Is any increment lost (--increments 100000 "
             "--rounds 1)?",
      .run = "./build/26_false_sharing --threads 8 --increments 100000 --rounds 1",
      .status = 0,
      .shows = { "^RESULT threads=8 increments=100000 rounds=1 expected=800000 packed=800000 "
                 "padded=800000 local=800000 wrong_counts=0 OK$" },
      .why = "None. Each counter has one writer, its own thread, so nothing is shared but the "
             "line. Cache coherence lets a core write the line only while it holds it "
             "exclusively, and hands the whole line over, so no write is lost. False sharing "
             "costs time, never correctness." },
    { .ask = "make tsan builds the lesson with ThreadSanitizer. Does it report packed's "
             "neighbouring counters as a data race (--threads 4 --increments 20000 "
             "--rounds 2)?",
      .run = "./build/tsan/26_false_sharing --threads 4 --increments 20000 --rounds 2",
      .status = 0,
      .shows = { "^RESULT threads=4 increments=20000 rounds=2 expected=80000 packed=80000 "
                 "padded=80000 local=80000 wrong_counts=0 OK$" },
      .why = "No, exit 0. A data race is two threads at one memory location, unordered, one of "
             "them writing; here each counter is a location of its own, and main reads them "
             "only after pthread_join. ThreadSanitizer sees variables, not cache lines: false "
             "sharing shows only on the clock." },
    { .ask = "With one thread (--threads 1), is there anything for the cache line to travel "
             "between?",
      .run = "./build/26_false_sharing --threads 1 --increments 1000 --rounds 1",
      .status = 0,
      .shows = { "^one (thread|CPU): nothing to share between cores \\(",
                 "^RESULT threads=1 increments=1000 rounds=1 expected=1000 packed=1000 "
                 "padded=1000 local=1000 wrong_counts=0 OK$" },
      .why = "No. A line travels only when another core writes it; with one writer it stays in "
             "that core's cache, as padded's lines do. The lesson says so from the options (or "
             "from having one CPU), not from the times, which on such a run are noise." },
};
