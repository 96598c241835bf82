/*
 * lessons/18_atomics.c's quiz: "predict, then run" questions, each with the command that
 * settles it and the answer. ./build/18_atomics --quiz asks them, --answers answers
 * them, and tests/18_atomics.bats runs every command (check_quiz). They live here, not
 * in the lesson, so that reading the lesson gives no answer away.
 */
static const struct quiz quiz[] = {
    { .ask = "Part two: 8 threads push 250 nodes each onto one stack, with no lock, only a "
             "compare-and-swap loop (--threads 8 --iterations 250). How many nodes end up on "
             "the stack, and how many of them twice?",
      .run = "./build/18_atomics --threads 8 --iterations 250",
      .status = 0,
      .shows = { "^RESULT variant=release-acquire messages=250 stale=0 pushes=2000 "
                 "listed=2000 duplicates=0 misordered=0 cas_retries=[0-9]+ OK$" },
      .why = "All 2000, none twice, each thread's newest first. The CAS installs a node only "
             "if the top is still the one its thread read; if another push landed in between, "
             "it fails, hands back the new top, and the loop tries again. A retry costs time "
             "and loses nothing; how many there are depends on how often two pushes met." },
    { .ask = "make tsan builds the lesson with ThreadSanitizer. Does it report --variant "
             "relaxed --iterations 200, and in which function?",
      .run = "./build/tsan/18_atomics --variant relaxed --iterations 200",
      .status = 66,
      .shows = { "^WARNING: ThreadSanitizer: data race",
                 "^SUMMARY: ThreadSanitizer: data race .*lessons/18_atomics\\.c:[0-9]+ in "
                 "consumer_main$",
                 "^RESULT variant=relaxed messages=200 stale=[0-9]+ pushes=800 listed=800 "
                 "duplicates=0 misordered=0 cas_retries=[0-9]+ (OK|FAIL)$" },
      .why = "Yes, exit 66, at the consumer's read of the message. A relaxed flag is atomic "
             "but orders nothing else, so the producer's plain writes of the message and the "
             "consumer's plain reads of it are unordered: a data race. The verdict may still "
             "say OK, since x86 rarely shows a stale message; ThreadSanitizer checks the "
             "language's rules, not this machine's luck." },
    { .ask = "The same ThreadSanitizer build with the default release/acquire flag "
             "(--iterations 200). Does it report anything?",
      .run = "./build/tsan/18_atomics --iterations 200",
      .status = 0,
      .shows = { "^RESULT variant=release-acquire messages=200 stale=0 pushes=800 "
                 "listed=800 duplicates=0 misordered=0 cas_retries=[0-9]+ OK$" },
      .why = "No: exit 0, where a report would make it 66. The consumer's acquire load reads "
             "the value of the producer's release store, so everything written before the "
             "store happens before everything read after the load. The message and the flag "
             "are the same as in relaxed; only the two memory orders differ." },
    { .ask = "Every node is allocated before the threads start. What does --threads 64 "
             "--iterations 200000 do?",
      .run = "./build/18_atomics --threads 64 --iterations 200000",
      .status = 2,
      .shows = { "^18_atomics: --threads x --iterations must be at most 10000000$",
                 "^usage: 18_atomics " },
      .why = "It refuses before starting: one line, the usage, exit 2. Each value alone is in "
             "range, but 64 x 200000 is 12,800,000 nodes, over the limit of 10,000,000 "
             "pushes." },
};
