/*
 * lessons/12_port_scan.c's quiz: "predict, then run" questions, each with the command
 * that settles it and the answer. ./build/12_port_scan --quiz asks them, --answers
 * answers them, and tests/12_port_scan.bats runs every command (check_quiz). They live
 * here, not in the lesson, so that reading the lesson gives no answer away.
 */
static const struct quiz quiz[] = {
    { .ask = "--workers 200 for --ports 40: 160 workers have no port to probe. Over both "
             "scans, how many connections do the lesson's 3 services greet?",
      .run = "./build/12_port_scan --ports 40 --workers 200 --scale 0.01",
      .status = 0,
      .shows = { "^pool: 40 probes in [0-9.]+ s \\(CPU [0-9.]+ s\\)$",
                 "^the lesson's 3 services greeted 6 connections \\(one per service per "
                 "scan\\)$",
                 "^RESULT ports=40 open=[0-9]+ expected_open=3 missing=0 same=yes speedup=" },
      .why = "6: one per service per scan. tp_map makes one task per port, and a task runs "
             "once, in one worker; the other 160 workers wait for work that never comes. A "
             "probe of an open port connects and reads the banner before it hangs up, so "
             "each service accepts exactly one connection per scan." },
    { .ask = "Every port in the range is the lesson's (--ports 8 --open 8). The pool's "
             "workers announce open ports in whatever order they find them. In what order "
             "does the pool's SCAN line list them?",
      .run = "./build/12_port_scan --ports 8 --open 8 --first-port 20200 --scale 0.01",
      .status = 0,
      .shows = { "^SCAN mode=serial workers=1 seconds=[0-9.]+ "
                 "open=20200,20201,20202,20203,20204,20205,20206,20207$",
                 "^SCAN mode=pool workers=8 seconds=[0-9.]+ "
                 "open=20200,20201,20202,20203,20204,20205,20206,20207$",
                 "^RESULT ports=8 open=8 expected_open=8 missing=0 same=yes speedup=" },
      .why = "In port order, like the serial scan's. tp_map writes each probe's answer into "
             "the slot of its input, probes[i] for port first+i, whatever order the tasks "
             "finish in, and the SCAN line walks that array from the first port up." },
    { .ask = "Can you scan 100 ports starting at port 65500 (--first-port 65500 --ports 100)?",
      .run = "./build/12_port_scan --first-port 65500 --ports 100",
      .status = 2,
      .shows = { "^12_port_scan: --ports: 100 ports from 65500 would run past port 65535$",
                 "^usage: 12_port_scan \\[--mode both\\|serial\\|pool\\]" },
      .why = "No. A TCP port is a 16-bit number, so 65535 is the last one. The lesson checks "
             "the range before it opens anything, prints one line and the usage, and exits "
             "2, as for every bad command line." },
    { .ask = "--scale 0 removes the simulated round trip: a probe is only a connect() on "
             "loopback, answered at once. What is left for the pool's 100 threads to "
             "overlap, and what does the lesson print about the pool's time?",
      .run = "./build/12_port_scan --scale 0",
      .status = 0,
      .shows = { "^nothing to wait for: the pool's 100 threads used [0-9.]+ s of CPU, serial "
                 "[0-9.]+ s for the same probes$",
                 "^SCAN mode=pool workers=100 seconds=[0-9.]+ open=",
                 "^RESULT ports=100 open=[0-9]+ expected_open=3 missing=0 same=yes speedup=" },
      .why = "Nothing. A pool pays off by letting waits overlap; with no wait left, its "
             "threads only add work: starting 100 threads, waking them, joining them. The "
             "lesson says so and prints both scans' CPU time: compare them yourself." },
};
