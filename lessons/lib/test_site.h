/*
 * test_site.h: a made-up web site on 127.0.0.1 for lesson 24's crawler to crawl, and the
 * client-side read the crawler needs for its big pages. Plumbing, kept out of the lesson so
 * that the lesson reads as the crawl: the URL queue, the visited set, the count of
 * outstanding work, the results queue, the shutdown event.
 *
 *   site_start(&opts)      generate the site from a seed and serve it (a thread per
 *                          connection, keep-alive HTTP/1.1 through http.h's parser and writer)
 *   site_port / site_root  where it listens; the page every crawl starts from ("/p/0")
 *   site_describe          "40 pages (5 slow, 4 large), 6 dead links, 4 orphans"
 *   site_target            a path's number ("/p/17" -> 17), or -1 if the site has no such page
 *   site_kind              what a target is: a page, a dead link's target (404), an orphan
 *   site_reachable         which targets a crawl from the root should reach, given the pages
 *                          whose links it could not read (they timed out)
 *   site_delay / _chain    one answer's wait; the longest chain of waits a crawl cannot avoid
 *   site_fetches           how often the server answered a target: the server's own count,
 *                          so "exactly once" is proven where the requests arrive
 *   site_requests          every request the server has taken in, whatever the path
 *   site_stop / site_free  stop serving (every connection thread joined, so every request that
 *                          reached the server is counted) / free what is left
 *   site_read_response     http_read_response (http.h) for bodies of any size: http.h caps a
 *                          body at HTTP_BODY_MAX (16 KiB); a large page here is 100+ KiB
 *
 * The site. Targets are /p/0 .. /p/T-1: first the linked pages, each reachable from /p/0
 * (page i > 0 is linked from some page before it, and every page links to one to three
 * others anywhere, so the graph has cycles, the root included); then the dead links' targets,
 * each linked from one to three pages, answering 404; then orphans, pages that answer 200
 * but that no page links to (a crawler that fetches one followed a link that is not there).
 * Every page also carries links a same-site crawler ignores (another host, a mailto:, a
 * fragment). Every answer waits `latency` seconds first (the server thinking); one page in
 * eight (never the root) waits SITE_SLOW_FACTOR times as long; one in ten (never the root)
 * is large, its links at the end. The same seed gives the same site.
 *
 * Every function but site_start, site_stop and site_free may be called from any thread while
 * the site runs. Failures to serve (a port, a thread) end the program with a reason.
 */
#ifndef LESSONS_LIB_TEST_SITE_H
#define LESSONS_LIB_TEST_SITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http.h"

enum { SITE_SLOW_FACTOR = 4, SITE_LARGE_BYTES = 100 * 1024 };

struct site_options {
    long pages;        /* linked pages, 1 or more */
    long dead;         /* dead links' targets */
    long orphans;      /* pages nobody links to */
    uint64_t seed;
    double latency;    /* seconds each answer waits (slow pages: SITE_SLOW_FACTOR x) */
};

enum site_kind { SITE_PAGE, SITE_DEAD, SITE_ORPHAN };

struct site;

struct site *site_start(const struct site_options *opts);
int site_port(const struct site *s);
const char *site_root(void);
long site_targets(const struct site *s);          /* pages + dead + orphans */
void site_describe(const struct site *s, char *buf, size_t size);
long site_target(const struct site *s, const char *path);
enum site_kind site_kind(const struct site *s, long target);
bool site_slow(const struct site *s, long target);

/* out[t] = true for each target a crawl from the root reaches when the pages with opaque[t]
 * (may be NULL) are fetched but their links never read. Returns how many. */
long site_reachable(const struct site *s, const bool *opaque, bool *out);

/* The seconds the server waits before it answers target t. */
double site_delay(const struct site *s, long target);

/* The floor under any crawl's time, however many workers: a page's link is only seen once
 * the page is fetched, so reaching target t takes the waits of a chain of pages from the
 * root to t. The longest of the shortest such chains (the pages with opaque[t] are not
 * followed; a wait counts at most `cap` seconds, a client's timeout), in seconds. */
double site_chain(const struct site *s, const bool *opaque, double cap);

long site_fetches(const struct site *s, long target);
long site_requests(const struct site *s);

void site_stop(struct site *s);
void site_free(struct site *s);

/* ---- the client's side ---------------------------------------------------------------- */

/* One connection's input, for responses of any size (the buffer grows). Set it up with
 *     struct site_reader r = { .fd = fd };   and free(r.buf) when done with it.        */
struct site_reader {
    int fd;
    char *buf;
    size_t len, cap;
    size_t done;       /* the response last returned: dropped at the next read */
};

struct site_response {
    int status;
    bool keep_alive;
    const char *body;  /* into r->buf, valid until the next read */
    size_t body_len;
};

/* The next response on r->fd, whole by `deadline` (now_s()'s clock). Returns what
 * http_read_response would: OK, CLOSED (the peer closed between responses), HUNG_UP,
 * TIMEOUT, BAD (not a response this reader takes: it needs a Content-Length, no
 * Transfer-Encoding, a head within HTTP_HEAD_MAX, a body within 16 MiB) or ERROR. */
enum http_read site_read_response(struct site_reader *r, struct site_response *resp,
                                  double deadline);

#endif
