/*
 * lessons/08_race_counter.c's quiz: "predict, then run" questions, each with the command
 * that settles it and the answer. ./build/08_race_counter --quiz asks them, --answers
 * answers them, and tests/08_race_counter.bats runs every command (check_quiz). They
 * live here, not in the lesson, so that reading the lesson gives no answer away.
 */
static const struct quiz quiz[] = {
    { .ask = "With --variant unsafe and a single thread (--threads 1), how many of its 1000000 "
             "increments are lost?",
      .run = "./build/08_race_counter --variant unsafe --threads 1 --iterations 1000000",
      .status = 0,
      .shows = { "^unsafe: one thread has nobody to race with: nothing lost$",
                 "^RESULT variant=unsafe counter=1000000 expected=1000000 lost=0 OK$" },
      .why = "None. An update is lost only when another thread stores between this one's load "
             "and its store; one thread does its loads and stores in program order, so every "
             "increment lands. The code is just as wrong: it takes a second thread to show "
             "it." },
    { .ask = "The bare command runs all four variants in turn (here --threads 4 --iterations "
             "200000). Can the unsafe row ever count above the expected 800000? What exit "
             "status does the run end with?",
      .run = "./build/08_race_counter --threads 4 --iterations 200000",
      .status = 0,
      .shows = { "^verdict: the safe variants \\(mutex, atomic, local\\) must be exact; the "
                 "unsafe row is for comparison$",
                 "^RESULT variant=all expected=800000 unsafe=[0-9]+ unsafe_lost=[0-9]+ "
                 "mutex=800000 atomic=800000 local=800000 "
                 "point=(shown|not-shown|untrusted|n/a) OK$" },
      .why = "Never above, and exit 0. Each store writes one more than a value that some store "
             "left before, so the counter can fall behind but never run ahead: unsafe_lost is "
             "0 or more. The verdict judges only the three safe variants, which are exact; the "
             "unsafe row is there to compare." },
    { .ask = "The atomic variant (--variant atomic) uses atomic_fetch_add with "
             "memory_order_relaxed, the weakest ordering C offers. With 8 threads of 100000 "
             "each (--threads 8 --iterations 100000), does it lose any update?",
      .run = "./build/08_race_counter --variant atomic --threads 8 --iterations 100000",
      .status = 0, .shows = { "^RESULT variant=atomic counter=800000 expected=800000 OK$" },
      .why = "No: exactly 800000. Relaxed gives up ordering against other memory, not "
             "atomicity: each fetch_add is still one indivisible read-modify-write (lock xadd "
             "on x86). The counter publishes nothing else, and pthread_join orders main's "
             "final read after every increment." },
    { .ask = "Build with `make tsan`, then run --variant unsafe under ThreadSanitizer with "
             "only 1000 increments a thread (--iterations 1000), so few that often none is "
             "lost. Does it report the race?",
      .run = "./build/tsan/08_race_counter --variant unsafe --iterations 1000",
      .status = 66,
      .shows = { "^WARNING: ThreadSanitizer: data race",
                 "^  Location is global 'counter' of size 8 ",
                 "^ThreadSanitizer: reported [1-9][0-9]* warnings$" },
      .why = "Yes, in every run, naming the variable (counter) and the lines of the load and "
             "the store; the report makes the exit status 66. ThreadSanitizer does not wait "
             "for an update to be lost: it reports two accesses to one variable, one a write, "
             "that no lock, atomic or join orders. Whether this run lost any, the RESULT line "
             "says." },
};
