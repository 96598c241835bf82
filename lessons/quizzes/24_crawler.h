/*
 * lessons/24_crawler.c's quiz: "predict, then run" questions, each with the command that
 * settles it and the answer. ./build/24_crawler --quiz asks them, --answers answers
 * them, and tests/24_crawler.bats runs every command (check_quiz). They live here, not
 * in the lesson, so that reading the lesson gives no answer away.
 */
static const struct quiz quiz[] = {
    { .ask = "--variant empty-queue declares the pool crawl over as soon as the URL queue is "
             "empty, as code that polls url_queue.empty() does. With 8 workers and every page "
             "taking 0.5 s at the server (--mode pool --variant empty-queue --workers 8 "
             "--latency 0.5), how many of the 40 pages are fetched?",
      .run = "./build/24_crawler --mode pool --variant empty-queue --workers 8 --latency 0.5",
      .status = 1,
      .shows = { "^pool crawl: declared over with the queue empty and 1 URL still being "
                 "crawled: its links will not be followed$",
                 "^CRAWL mode=pool workers=8 seconds=[0-9.]+ requests=1 pages=40 fetched=1 "
                 "dead=6 .* duplicates=0 .* missed=45 after_shutdown=0 stopped=no$",
                 "^RESULT mode=pool pages=40 dead=6 duplicates=0 extra=0 missed=45 "
                 "after_shutdown=0 stopped=no FAIL$" },
      .why = "One: /p/0. The queue is empty the moment a worker takes /p/0, while its links "
             "are still 0.5 s away on the server, and main takes that for the end. More "
             "workers change nothing. The fix counts URLs queued or being crawled "
             "(outstanding), as Python's Queue.join() and task_done() do." },
    { .ask = "The same broken test, \"the queue is empty, so we are done\", in the serial "
             "crawl (--mode serial --variant empty-queue --latency 0.002). Does it stop early "
             "too?",
      .run = "./build/24_crawler --mode serial --variant empty-queue --latency 0.002",
      .status = 0,
      .shows = { "^CRAWL mode=serial workers=1 seconds=[0-9.]+ requests=46 pages=40 "
                 "fetched=40 dead=6 reported_dead=6 timed_out=0 duplicates=0 unreported=0 "
                 "extra=0 missed=0 after_shutdown=0 stopped=no$",
                 "^RESULT mode=serial pages=40 dead=6 duplicates=0 extra=0 missed=0 "
                 "after_shutdown=0 stopped=no OK$" },
      .why = "No: all 40 pages and the 6 dead links, once each. One thread looks at the queue "
             "only between pages, after the last page's links were queued, so there an empty "
             "queue does mean the end. The test breaks only when another thread can be "
             "between taking a URL and queueing its links." },
    { .ask = "--max-pages 7 sets the shutdown event as the 7th fetch is claimed, while 8 "
             "workers are busy (--mode pool --workers 8 --max-pages 7 --latency 0.005). How "
             "many requests reach the server: 7, or 7 plus what the other workers had "
             "started?",
      .run = "./build/24_crawler --mode pool --workers 8 --max-pages 7 --latency 0.005",
      .status = 0,
      .shows = { "^pool crawl: the shutdown event \\(max-pages\\) came after 7 fetches had "
                 "begun, [0-9]+ of them still in flight; they finished, and 0 requests beyond "
                 "them reached the server$",
                 "^CRAWL mode=pool workers=8 seconds=[0-9.]+ requests=7 .* after_shutdown=0 "
                 "stopped=max-pages$",
                 "^RESULT mode=pool .* duplicates=0 extra=0 missed=[0-9]+ after_shutdown=0 "
                 "stopped=max-pages OK$" },
      .why = "Exactly 7. A worker looks at the event and claims its fetch in one critical "
             "section, so a fetch either began before the event or never begins. The fetches "
             "in flight finish and the URLs still queued are dropped; pages missed are no "
             "failure when the crawl was stopped on purpose." },
    { .ask = "400 pages linking to each other in cycles, 16 workers and no waits, so workers "
             "often find the same link at the same moment (--mode pool --pages 400 --dead 40 "
             "--workers 16 --latency 0). How many requests reach the server?",
      .run = "./build/24_crawler --mode pool --pages 400 --dead 40 --workers 16 --latency 0",
      .status = 0,
      .shows = { "^CRAWL mode=pool workers=16 seconds=[0-9.]+ requests=440 pages=400 "
                 "fetched=400 dead=40 reported_dead=40 timed_out=0 duplicates=0 unreported=0 "
                 "extra=0 missed=0 after_shutdown=0 stopped=no$",
                 "^RESULT mode=pool pages=400 dead=40 duplicates=0 extra=0 missed=0 "
                 "after_shutdown=0 stopped=no OK$" },
      .why = "440: every page and every dead link exactly once. Looking a link up in the "
             "visited set and adding it happen in one critical section, so of two workers "
             "that found the same link only one sees it as new. Look under the lock and add "
             "later, and now and then both fetch it." },
    { .ask = "A slow page waits 4 times --latency: 0.4 s here, longer than --page-timeout "
             "0.25 (--mode pool --workers 8 --pages 20 --dead 3 --latency 0.1 --page-timeout "
             "0.25). The crawl waits until no URL is outstanding: does it still end, and say "
             "OK? The first line says how many pages are slow.",
      .run = "./build/24_crawler --mode pool --workers 8 --pages 20 --dead 3 --latency 0.1 "
             "--page-timeout 0.25",
      .status = 0,
      .shows = { "^site: 20 pages \\(3 slow, 1 large\\), 3 dead links, 4 orphans; each answer "
                 "waits 0\\.100 s \\(slow pages 4 x\\); page timeout 0\\.250 s$",
                 "^CRAWL mode=pool workers=8 seconds=[0-9.]+ requests=[0-9]+ pages=([0-9]+) "
                 "fetched=\\1 dead=([0-9]+) reported_dead=\\2 timed_out=[1-9][0-9]* "
                 "duplicates=0 unreported=0 extra=0 missed=0 after_shutdown=0 stopped=no$",
                 "^RESULT mode=pool pages=[0-9]+ dead=[0-9]+ duplicates=0 extra=0 missed=0 "
                 "after_shutdown=0 stopped=no OK$" },
      .why = "It ends, OK, and the slow pages are reported as timed out (all 3, and nothing "
             "else, on an idle machine). A fetch has one deadline for the whole page; a page "
             "cut off counts as fetched and is done like any other, so outstanding still "
             "reaches 0. Its links are never read, so a page only it links to is not "
             "expected: 19 pages here, not 20." },
};
