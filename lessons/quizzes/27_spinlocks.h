/*
 * lessons/27_spinlocks.c's quiz: "predict, then run" questions, each with the command
 * that settles it and the answer. ./build/27_spinlocks --quiz asks them, --answers
 * answers them, and tests/27_spinlocks.bats runs every command (check_quiz). They live
 * here, not in the lesson, so that reading the lesson gives no answer away.
 */
static const struct quiz quiz[] = {
    { .ask = "--variant broken is a plain bool: \"while (held) wait; held = true;\". With one "
             "thread taking it 50000 times (--variant broken --threads 1 --iterations 50000 "
             "--seconds 0), how many updates are lost?",
      .run = "./build/27_spinlocks --variant broken --threads 1 --iterations 50000 --seconds 0",
      .status = 0,
      .shows = { "^broken +50000 +50000 +0 +[0-9.]+$",
                 "^broken: one thread has nobody to race with: nothing lost",
                 "^RESULT variant=broken locks=broken counter=50000 expected=50000 lost=0 "
                 "torn=0 OK$" },
      .why = "None. To get in together, two threads must both see held == false before "
             "either sets it; one thread has nobody to race with. A lock that passes every "
             "single-threaded test can still be no lock at all." },
    { .ask = "Built with `make tsan`, run --variant broken with 2 threads of only 1000 "
             "acquisitions each (--variant broken --threads 2 --iterations 1000 --seconds 0): "
             "often nothing is lost. Does ThreadSanitizer stay quiet when the counter comes "
             "out right?",
      .run = "./build/tsan/27_spinlocks --variant broken --threads 2 --iterations 1000 "
             "--seconds 0",
      .status = 66,
      .shows = { "^WARNING: ThreadSanitizer: data race",
                 "^SUMMARY: ThreadSanitizer: data race .*lessons/27_spinlocks\\.c:[0-9]+",
                 "^RESULT variant=broken locks=broken counter=[0-9]+ expected=2000 "
                 "lost=[0-9]+ torn=[0-9]+ (OK|FAIL)$" },
      .why = "No: it reports a data race, and the exit status becomes 66 whatever the "
             "verdict. It does not wait for an update to be lost: it sees two threads "
             "touch the plain bool and the counter with nothing ordering them (no lock, no "
             "atomic), and names the lines. The verdict may well say OK." },
    { .ask = "Eight threads, more than most classroom machines have CPUs, take each of the "
             "five locks 200 times (--threads 8 --iterations 200 --seconds 0). What counter "
             "does the verdict add up to, and does any lock fall short?",
      .run = "./build/27_spinlocks --threads 8 --iterations 200 --seconds 0",
      .status = 0,
      .shows = { "^ticket +1600 +1600 +0 +[0-9.]+$",
                 "^RESULT variant=fixed locks=tas,ttas,ticket,futex,mutex counter=8000 "
                 "expected=8000 lost=0 torn=0 OK$" },
      .why = "8000 (5 locks x 8 threads x 200), none short. A preempted holder, or a "
             "preempted next ticket, makes the spinners wait longer (they yield after "
             "--yield-after turns); it never lets two in at once. More threads than CPUs "
             "costs a spinlock time, not correctness." },
    { .ask = "The watchdog allows --timeout seconds beyond part two's planned time (--seconds "
             "x --rounds x the locks). Part one alone needs seconds here (--lock tas --threads "
             "2 --iterations 100000000 --timeout 0.2 --seconds 0.1 --rounds 1): after how "
             "long is the run called stuck?",
      .run = "./build/27_spinlocks --lock tas --threads 2 --iterations 100000000 --timeout 0.2 "
             "--seconds 0.1 --rounds 1",
      .status = 3,
      .shows = { "^27_spinlocks: after 0\\.3 s the tas lock's threads were still at part "
                 "exact",
                 "^RESULT lock=tas part=exact stuck_after=0\\.3s STUCK$" },
      .why = "After 0.3 s: 0.2 s of --timeout plus 0.1 s planned for part two (1 lock x 1 "
             "round x 0.1 s). 200 million contended acquisitions take far longer, so the "
             "watchdog ends the run with exit 3 rather than let it hang. It cannot tell "
             "stuck from slow, and says so." },
};
