/*
 * lessons/05_trylock_timeout.c's quiz: "predict, then run" questions, each with the
 * command that settles it and the answer. ./build/05_trylock_timeout --quiz asks them,
 * --answers answers them, and tests/05_trylock_timeout.bats runs every command
 * (check_quiz). They live here, not in the lesson, so that reading the lesson gives no
 * answer away.
 */
static const struct quiz quiz[] = {
    { .ask = "The first round is staged as in 04: each worker holds its first lock and asks "
             "for the other's. With one round each (--rounds 1), does it deadlock? How many "
             "retries at least?",
      .run = "./build/05_trylock_timeout --rounds 1 --scale 0.01",
      .status = 0,
      .shows = { "^worker [AB]: the (database|file) lock stayed busy for [0-9]+ ms; gave back "
                 "the (file|database) lock, backing off [0-9]+ ms \\(retry 1\\)$",
                 "^RESULT rounds=1 done=2 expected=2 retries=[1-9][0-9]* attempts=[0-9]+ OK$" },
      .why = "No deadlock, and at least one retry. Each asks for its second lock with "
             "pthread_mutex_timedlock; when the deadline passes, the worker unlocks the lock "
             "it holds, which breaks the cycle, and the other can get through. Both deadlines "
             "can pass before either gets through, so one retry is a minimum, not the count." },
    { .ask = "When a worker's deadline passes, which lock does it give back: the one it waited "
             "for, or the one it holds?",
      .run = "./build/05_trylock_timeout --rounds 3 --scale 0.01",
      .status = 0,
      .shows = { "^worker (A: the file lock stayed busy for [0-9]+ ms; gave back the database "
                 "lock|B: the database lock stayed busy for [0-9]+ ms; gave back the file "
                 "lock), backing off [0-9]+ ms \\(retry [0-9]+\\)$",
                 "^RESULT rounds=3 done=6 expected=6 retries=[1-9][0-9]* attempts=[0-9]+ OK$" },
      .why = "The one it holds: A gives back the database lock, B the file lock. It never got "
             "the one it waited for. Releasing its own lets the other worker take both; the "
             "random pause that follows keeps the two from meeting again in lockstep." },
    { .ask = "Giving back breaks the cycle. Does it also change the order? After 20 rounds "
             "each (--rounds 20), in what order does worker B take the two locks?",
      .run = "./build/05_trylock_timeout --rounds 20 --seed 7 --scale 0.01",
      .status = 0,
      .shows = { "^worker B: round 20 done \\(file, then database\\)$",
                 "^worker B: 20 rounds, [0-9]+ retries$",
                 "^RESULT rounds=20 done=40 expected=40 retries=[1-9][0-9]* attempts=[0-9]+ "
                 "OK$" },
      .why = "File, then database, every round: still the opposite of A's order. Nothing sorts "
             "the locks here, as 04's fix does. It is safe because a worker that holds a lock "
             "waits only with a deadline, so no cycle of waits can last; the price is the "
             "retries." },
    { .ask = "Build with `make tsan`. The two workers take the locks in opposite orders, as in "
             "04 --timing lucky, where ThreadSanitizer reports a lock-order inversion. Does it "
             "report one here?",
      .run = "./build/tsan/05_trylock_timeout --rounds 3 --scale 0.01",
      .status = 0,
      .shows = { "^worker A: 3 rounds, [0-9]+ retries$",
                 "^worker B: 3 rounds, [0-9]+ retries$",
                 "^RESULT rounds=3 done=6 expected=6 retries=[1-9][0-9]* attempts=[0-9]+ OK$" },
      .why = "No: exit 0, where a report would make it 66. ThreadSanitizer treats a lock taken "
             "with pthread_mutex_timedlock like a trylock: a wait that gives up cannot close a "
             "deadlock, so it adds nothing to the lock-order graph. helgrind makes no such "
             "exception and does report the inversion." },
};
