/*
 * lessons/17_rwlock.c's quiz: "predict, then run" questions, each with the command that
 * settles it and the answer. ./build/17_rwlock --quiz asks them, --answers answers them,
 * and tests/17_rwlock.bats runs every command (check_quiz). They live here, not in the
 * lesson, so that reading the lesson gives no answer away.
 */
static const struct quiz quiz[] = {
    { .ask = "--variant no-lock takes no lock at all. With no writers (--writers 0 --ops "
             "10000), can a stock-take see a wrong total?",
      .run = "./build/17_rwlock --variant no-lock --writers 0 --ops 10000",
      .status = 0,
      .shows = { "^RESULT variant=no-lock readers=4 writers=0 reads=40000 writes=0 torn=0 "
                 "sum=6400 expected_sum=6400 OK$" },
      .why = "No. A race needs a write; with no writer the shelves never change, and readers "
             "that only load cannot disturb each other. That is why a reader-writer lock may "
             "let every reader in at once." },
    { .ask = "make tsan builds the lesson with ThreadSanitizer. Does it report --variant "
             "no-lock --ops 2000, even in a run where no stock-take tore?",
      .run = "./build/tsan/17_rwlock --variant no-lock --ops 2000",
      .status = 66,
      .shows = { "^WARNING: ThreadSanitizer: data race",
                 "^SUMMARY: ThreadSanitizer: data race .*lessons/17_rwlock\\.c:[0-9]+ in "
                 "(move_items|take_stock)$",
                 "^RESULT variant=no-lock readers=4 writers=1 reads=8000 writes=80 torn=[0-9]+ "
                 "sum=6400 expected_sum=6400 (OK|FAIL)$" },
      .why = "Yes, exit 66. No lock orders the writer's stores against the readers' loads of "
             "the same shelves, and ThreadSanitizer reports that from the order of events, not "
             "from a wrong total: a run that tore nothing was lucky. The final sum is right "
             "all the same, because only one thread writes." },
    { .ask = "By default the rwlock and the mutex take turns in three rounds, and the last "
             "line names the faster lock when every round agrees. Which one does it name with "
             "--ops 2?",
      .run = "./build/17_rwlock --ops 2",
      .status = 0,
      .shows = { "^rwlock / mutex time: [^ ]+ \\(by round: [^ ]+ [^ ]+; too little work to "
                 "time: no winner in this run\\)$",
                 "^RESULT variant=both readers=4 writers=1 reads=8 writes=0 rwlock_torn=0 "
                 "rwlock_sum=6400 mutex_torn=0 mutex_sum=6400 expected_sum=6400 OK$" },
      .why = "Neither. Two stock-takes per reader make two rounds, not three, and a winner "
             "also needs 10 ms of work under each lock. With this little work, starting the "
             "threads costs more than the reads, so the ratios are noise and the lesson says "
             "so." },
    { .ask = "--variant rwlock --readers 4 --ops 1000 --write-percent 5: how many moves does "
             "the writer make, and how many items are on the 64 shelves at the end?",
      .run = "./build/17_rwlock --variant rwlock --readers 4 --ops 1000 --write-percent 5",
      .status = 0,
      .shows = { "^RESULT variant=rwlock readers=4 writers=1 reads=4000 writes=200 torn=0 "
                 "sum=6400 expected_sum=6400 OK$" },
      .why = "200 moves (5 per 100 of the 4000 reads) and 6400 items, 100 a shelf, as at the "
             "start. A move takes items off one shelf and puts them on another while it holds "
             "the write lock, so no reader sees the moment between, and no move changes the "
             "total." },
};
