/*
 * lessons/22_wakeups.c's quiz: "predict, then run" questions, each with the command that
 * settles it and the answer. ./build/22_wakeups --quiz asks them, --answers answers
 * them, and tests/22_wakeups.bats runs every command (check_quiz). They live here, not
 * in the lesson, so that reading the lesson gives no answer away.
 */
static const struct quiz quiz[] = {
    { .ask = "--wait spin with a partner that thinks 200 us before each answer (--think 200 "
             "--rounds 10). Of the 20 waits, how many end asleep (the \"parked\" column)?",
      .run = "./build/22_wakeups --wait spin --think 200 --rounds 10",
      .status = 0,
      .shows = { "^spin +200 +10 .* 0/20$",
                 "^WAIT way=spin think_us=200 rounds=10 .* parked=0$",
                 "^RESULT rounds=10 handovers=20 expected=20 pool_sums=exact point=n/a OK$" },
      .why = "None. spin's budget is unlimited: wait_for_turn reads the token until it "
             "changes, however long that takes, and never reaches pthread_cond_wait. What a "
             "slow partner costs a spinner is CPU: it burns its core for the whole 200 us "
             "(the CPU column), where park would sleep." },
    { .ask = "All three ways (--wait all) with a slow partner (--think 1000 --rounds 10). "
             "Every handover must reach its player, or that player sleeps forever. How many "
             "tokens are received in all, and does the run end OK?",
      .run = "./build/22_wakeups --think 1000 --rounds 10",
      .status = 0,
      .shows = { "^WAIT way=park think_us=1000 rounds=10 round_trip_us=",
                 "^WAIT way=adaptive think_us=1000 rounds=10 round_trip_us=",
                 "^RESULT rounds=10 handovers=60 expected=60 pool_sums=exact point=n/a OK$" },
      .why = "60: 3 ways x 10 rounds x 2 handovers, and exit 0. A waiter announces that it "
             "is parking and then looks at the token once more; the one handing over writes "
             "the token and then looks for that announcement. With sequentially consistent "
             "atomics at least one of them sees the other, so no wakeup is lost." },
    { .ask = "Only one way is played (--wait park --think 0 --rounds 200). Can this run "
             "decide whether a wake-up costs more than a spin?",
      .run = "./build/22_wakeups --wait park --think 0 --rounds 200",
      .status = 0,
      .shows = { "^The point needs park and spin with a quick partner, on 2\\+ CPUs: n/a "
                 "here\\.$",
                 "^WAIT way=park think_us=0 rounds=200 round_trip_us=",
                 "^RESULT rounds=200 handovers=400 expected=400 pool_sums=exact point=n/a "
                 "OK$" },
      .why = "No: point=n/a. The judgement compares park's round trip with spin's, both "
             "with a quick partner and in the same run; with park alone there is nothing to "
             "compare it with, so the lesson says n/a instead of guessing, and ends OK." },
    { .ask = "--pool-only skips the token and runs only the thread pool's batches, with idle "
             "workers parked (TP_WAIT_PARK) and spinning (TP_WAIT_SPIN). Does the waiting "
             "policy change the sums the pool computes?",
      .run = "./build/22_wakeups --pool-only",
      .status = 0,
      .shows = { "^POOL wait=park caller=waits batch_us=[0-9.]+ speedup=[0-9.]+ cpu_us=[0-9.]+$",
                 "^POOL wait=spin caller=waits batch_us=[0-9.]+ speedup=[0-9.]+ cpu_us=[0-9.]+$",
                 "^RESULT rounds=2000 handovers=0 expected=0 pool_sums=exact point=n/a OK$" },
      .why = "No: pool_sums=exact under both. The policy only decides how an idle worker "
             "waits for the next task, spinning first or going to sleep at once; a task "
             "runs the same code either way. It changes what a batch costs in time and CPU, "
             "never what it computes. The same holds for the third pool, whose caller runs "
             "some of the tasks itself." },
};
