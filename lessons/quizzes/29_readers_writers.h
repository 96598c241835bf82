/*
 * lessons/29_readers_writers.c's quiz: "predict, then run" questions, each with the
 * command that settles it and the answer. ./build/29_readers_writers --quiz asks them,
 * --answers answers them, and tests/29_readers_writers.bats runs every command
 * (check_quiz). They live here, not in the lesson, so that reading the lesson gives no
 * answer away.
 */
static const struct quiz quiz[] = {
    { .ask = "Under --variant readers-first, 4 readers whose reads overlap can keep both "
             "writers out for the whole run (--variant readers-first --seconds 0.2). When "
             "planned writes are never done, does the verdict say FAIL?",
      .run = "./build/29_readers_writers --variant readers-first --seconds 0.2",
      .status = 0,
      .shows = { "^variant=readers-first: 4 readers reading for 0\\.2 s, 2 writers planning "
                 "20 writes each$",
                 "^writers \\(measured\\): finished [0-9]+ of 40 planned writes in [0-9.]+ s; "
                 "the longest wait [0-9.]+ s; [0-9]+ writes not done \\(given up at the "
                 "end\\)$",
                 "^RESULT variant=readers-first readers=4 writers=2 reads=[0-9]+ "
                 "writes=[0-9]+ planned=40 torn=0 overlap=0 OK$" },
      .why = "No: OK, exit 0. Starving writers is unfair, not unsafe: no reader saw a torn "
             "record, no writer shared it, and every planned write was either done or counted "
             "as given up. The writers' line reports how many got through; that depends on "
             "the timing, so it never decides the verdict." },
    { .ask = "Under fair, the default, a writer that waits stops new readers from going in. "
             "With the same 4 readers and 2 writers (--seconds 0.2), are any writes done?",
      .run = "./build/29_readers_writers --seconds 0.2",
      .status = 0,
      .shows = { "^writers \\(measured\\): finished [1-9][0-9]* of 40 planned writes in "
                 "[0-9.]+ s;",
                 "^RESULT variant=fair readers=4 writers=2 reads=[0-9]+ writes=[1-9][0-9]* "
                 "planned=40 torn=0 overlap=0 OK$" },
      .why = "Yes. Once a writer waits, the readers inside finish their reads, no new one "
             "comes in, and the writer goes in: its wait is bounded by the longest read (2 ms "
             "here) plus the writes queued before it. How many writes are done is measured "
             "and changes from run to run; none at all would point to a broken lock." },
    { .ask = "A writer sets the record's three fields one by one. With no pauses inside the "
             "lock, 6 readers and 5 writers planning a write every millisecond (--seconds 0.2 "
             "--readers 6 --writers 5 --read 0 --write 0 --interval 0.001), does a reader "
             "ever see the fields differ?",
      .run = "./build/29_readers_writers --seconds 0.2 --readers 6 --writers 5 --read 0 "
             "--write 0 --interval 0.001",
      .status = 0,
      .shows = { "^variant=fair: 6 readers reading for 0\\.2 s, 5 writers planning 200 "
                 "writes each$",
                 "^RESULT variant=fair readers=6 writers=5 reads=[0-9]+ writes=[0-9]+ "
                 "planned=1000 torn=0 overlap=0 OK$" },
      .why = "Never: torn=0 and overlap=0. A writer goes in only when nobody else is inside, "
             "and a reader only when no writer is, so nobody reads a record half written. "
             "The pauses only widen the window a broken lock would need; without them the "
             "lock is just as exclusive." },
    { .ask = "Each writer plans one write every --interval seconds for --seconds. What "
             "happens when not even one fits (--seconds 0.1 --interval 1)?",
      .run = "./build/29_readers_writers --seconds 0.1 --interval 1",
      .status = 2,
      .shows = { "^29_readers_writers: --interval: 1 s leaves no write in a run of 0\\.1 s$",
                 "^usage: 29_readers_writers \\[--variant fair\\|readers-first\\]" },
      .why = "A usage error, exit 2, before any thread starts. The plan is --seconds / "
             "--interval writes, rounded down: 0 here, and a run that plans no write could "
             "not show a writer waiting. The line names the option, then comes the usage." },
};
