/*
 * lessons/23_event_loop.c's quiz: "predict, then run" questions, each with the command
 * that settles it and the answer. ./build/23_event_loop --quiz asks them, --answers
 * answers them, and tests/23_event_loop.bats runs every command (check_quiz). They live
 * here, not in the lesson, so that reading the lesson gives no answer away.
 */
static const struct quiz quiz[] = {
    { .ask = "One thread, 300 idle keep-alive connections held by a child process, and 30 "
             "active clients meanwhile (--backend poll --idle 300 --clients 30 --requests 5 "
             "--bad 0; --block 0.05 shortens the stall probe). How many connections does the "
             "server count open while the idle ones wait, and are all 150 adds answered?",
      .run = "./build/23_event_loop --backend poll --idle 300 --clients 30 --requests 5 "
             "--bad 0 --block 0.05",
      .status = 0,
      .shows = { "^idle: 300 idle keep-alive connections held \\(by a child process\\); the "
                 "server counts 301 open, in one thread$",
                 "^client: 150 answers of 150 requests on 30 connections at once; every total "
                 "different \\(no update lost\\)$",
                 "^RESULT sent=150 answered=150 bad_sent=0 rejected=0 bad_answers=0 idle=300 "
                 "closed=333 counter=74675 expected=74675 OK$" },
      .why = "301: the 300 idle ones and the one asking, and every add is answered. An idle "
             "connection costs the loop a small struct and a descriptor in its poll set, not "
             "a thread, so one thread holds them all and still serves the active clients. "
             "Lesson 20 would give each idle connection a worker, or queue it." },
    { .ask = "In lesson 20 a silent client holds a worker until the idle timeout. Here one "
             "thread serves everybody: does a client that connects and never sends stall "
             "the others (--clients 10 --bad 1 --idle-timeout 0.2 --block 0.05)?",
      .run = "./build/23_event_loop --clients 10 --bad 1 --idle-timeout 0.2 --block 0.05",
      .status = 0,
      .shows = { "^server: stopped by SIGTERM after [0-9.]+ s; 15 connections .*; 3 bad "
                 "\\(1 timed out\\), [0-9]+ refused \\(503\\)",
                 "^client: 3 of 3 bad clients got their status \\(bare LF: 400, "
                 "oversized: 413, silent: 408\\)$",
                 "^RESULT sent=30 answered=30 bad_sent=3 rejected=3 bad_answers=0 idle=0 "
                 "closed=15 counter=13965 expected=13965 OK$" },
      .why = "No. The silent connection costs the loop a timer, not a thread: the loop keeps "
             "serving the others, and when the timer fires after 0.2 s it answers 408 and "
             "hangs up. The bare LF and the oversized request get 400 and 413 as soon as "
             "they are parsed." },
    { .ask = "--variant blocking makes the GET /slow handler sleep --block seconds in the "
             "loop's only thread. Does that make any /add answer wrong or lost, or only late "
             "(--variant blocking --clients 20 --bad 0 --block 0.05)?",
      .run = "./build/23_event_loop --variant blocking --clients 20 --bad 0 --block 0.05",
      .status = 0,
      .shows = { "^compare: one handler blocks +\\| its own client waits +\\| every client "
                 "waits: [0-9.]+ s here",
                 "^server: one thread, [a-z]+: .*; 1 /slow \\(blocking\\); 0 did not read "
                 "their answers$",
                 "^RESULT sent=60 answered=60 bad_sent=0 rejected=0 bad_answers=0 idle=0 "
                 "closed=22 counter=28630 expected=28630 OK$" },
      .why = "Only late. While the handler sleeps nothing else runs, so whatever arrives "
             "meanwhile waits out the sleep; but all the state belongs to the one thread, so "
             "no answer is wrong and none is lost. Blocking in an event loop costs everyone "
             "latency, not correctness." },
    { .ask = "In --mode server with nobody connecting, --max-seconds 0.2 sets a time limit. "
             "With no event at all, does the loop notice it, and what does the verdict "
             "count?",
      .run = "./build/23_event_loop --mode server --max-seconds 0.2",
      .status = 0,
      .shows = { "^LISTENING port=[0-9]+$",
                 "^server: stopped by the time limit \\(--max-seconds\\) after [0-9.]+ s; 0 "
                 "connections \\(at most 0 open at once\\)",
                 "^RESULT accepted=0 closed=0 answered=0 bad=0 counter=0 OK$" },
      .why = "Yes. The loop's wait (poll or epoll_wait) gets a timeout, the time left until "
             "the limit, so it wakes with no event at all, and without spinning meanwhile. "
             "The same shutdown then runs as for SIGTERM; nobody came, so every count is 0 "
             "and the books agree." },
};
