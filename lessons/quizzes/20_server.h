/*
 * lessons/20_server.c's quiz: "predict, then run" questions, each with the command that
 * settles it and the answer. ./build/20_server --quiz asks them, --answers answers them,
 * and tests/20_server.bats runs every command (check_quiz). They live here, not in the
 * lesson, so that reading the lesson gives no answer away.
 */
static const struct quiz quiz[] = {
    { .ask = "32 workers add to one counter for 100 keep-alive clients of 10 adds each "
             "(--workers 32 --clients 100 --requests 10 --bad 0). Is any total told to two "
             "clients? The demo sends SIGTERM right after the last answer: how many of the "
             "1000 answers reach the log?",
      .run = "./build/20_server --workers 32 --clients 100 --requests 10 --bad 0",
      .status = 0,
      .shows = { "^log: 1200 lines, 1000 of them answers; .*, 0 lines dropped$",
                 "^client: 1000 answers of 1000 requests; every total different \\(no update "
                 "lost\\)",
                 "^RESULT sent=1000 answered=1000 logged=1000 ledger=1000 adds_up=yes "
                 "bad_sent=0 rejected=0 bad_answers=0 counter=495000 expected=495000 OK$" },
      .why = "No total repeats, and all 1000 answers are logged. ledger_add adds and reads the "
             "new total under one mutex, so each add gets a total of its own. At shutdown the "
             "log queue is closed, and the logger's bq_take says closed only once the queue is "
             "also empty, so every line is written before the logger is joined. The other 200 "
             "lines are each client arriving and leaving." },
    { .ask = "One worker, and a silent client that connects and never sends a byte, with a "
             "0.2 s idle timeout (--workers 1 --clients 5 --bad 1 --idle-timeout 0.2). Does "
             "the silent client keep the five good clients from being served?",
      .run = "./build/20_server --workers 1 --clients 5 --bad 1 --idle-timeout 0.2",
      .status = 0,
      .shows = { "^  log [0-9.]+ srv-0 client [0-9]+: closed \\(idle timeout\\) after 0 "
                 "answered, 1 bad$",
                 "^client: 3 of 3 bad clients got their status \\(bare LF: 400, "
                 "oversized: 413, silent: 408\\)$",
                 "^RESULT sent=15 answered=15 logged=15 ledger=15 adds_up=yes bad_sent=3 "
                 "rejected=3 bad_answers=0 counter=7520 expected=7520 OK$" },
      .why = "No. A worker waits at most --idle-timeout for a whole request, then answers 408 "
             "and hangs up. If the silent client got the only worker first, the others waited "
             "0.2 s for it, well inside their --timeout of 10 s. It holds one worker, never "
             "the server." },
    { .ask = "Four slow clients take both workers first and send a good request every 0.1 s "
             "(--workers 2 --slow 4 --max-hold 0.3 --idle-timeout 0.2 --clients 10 --bad 0). "
             "Is every slow client cut off, and are the 10 good clients all served?",
      .run = "./build/20_server --workers 2 --slow 4 --max-hold 0.3 --idle-timeout 0.2 "
             "--clients 10 --bad 0",
      .status = 0,
      .shows = { "^server: 4 clients held a worker for --max-hold \\(cut off there\\), 0 did "
                 "not read their answers \\(hung up on\\)$",
                 "^client: 4 of 4 slow clients were cut off at --max-hold, after [0-9]+ "
                 "answers between them$",
                 "^RESULT sent=30 answered=30 logged=([0-9]+) ledger=\\1 adds_up=yes "
                 "bad_sent=0 rejected=0 bad_answers=0 counter=([0-9]+) expected=\\2 OK$" },
      .why = "Yes to both. The first answer after --max-hold says Connection: close, so no "
             "client keeps a worker much past 0.3 s. Two rounds of slow clients hold the two "
             "workers for about 0.6 s; then the good clients are served, late but well inside "
             "their --timeout of 10 s." },
    { .ask = "Two slow clients on two workers again, but now every client waits at most "
             "0.3 s for an answer, less than --max-hold (--workers 2 --slow 2 --max-hold 1 "
             "--idle-timeout 0.4 --clients 5 --bad 0 --timeout 0.3). Is any good client "
             "answered?",
      .run = "./build/20_server --workers 2 --slow 2 --max-hold 1 --idle-timeout 0.4 "
             "--clients 5 --bad 0 --timeout 0.3",
      .status = 1,
      .shows = { "^client 4 \\(good\\): request 1: timeout$",
                 "^client: 5 good clients got no answer within --timeout 0\\.3 s$",
                 "^RESULT sent=5 answered=0 .* FAIL$" },
      .why = "None, and the demo says FAIL. The slow clients connect first and keep both "
             "workers until --max-hold: every wait is bounded, but the bound is 1 s and the "
             "good clients wait only 0.3 s. A pool of W workers is only as available as its W "
             "slowest clients allow; an event loop (lesson 23) holds a waiting connection "
             "without a thread." },
};
