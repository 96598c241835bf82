/*
 * 24_crawler: a web crawler, the homework of Python's threading tutorials (a URL queue, a
 * results queue, a shutdown event), over a site the lesson serves itself on 127.0.0.1.
 * Pool workers fetch pages over HTTP, find their links, and queue the ones nobody has seen;
 * a writer thread drains the results. The crawl is over when no URL is queued AND no worker
 * is busy, which an empty queue alone does not tell.
 *
 *   make && ./build/24_crawler                          # serial, then 8 workers: ~4 s
 *   ./build/24_crawler --variant empty-queue            # ends at the first empty queue: FAIL
 *   ./build/24_crawler --mode pool --pages 1000 --out crawl.txt  # then Ctrl-C mid-crawl
 *   ./build/24_crawler --max-pages 10                   # the shutdown event, from a count
 *   ./build/24_crawler --page-timeout 0.1               # the slow pages time out
 *   ./build/24_crawler --trace crawl.json               # then: make timeline L=24
 *
 * The site (lessons/lib/test_site.c, generated from --seed): pages /p/0.. all reachable
 * from /p/0, linking to each other in cycles; dead links whose targets answer 404; orphan
 * pages that no page links to; every answer waits --latency seconds (the server thinking),
 * a slow page 4 times as long; a few pages are over 100 KiB, their links at the end.
 *
 * The crawl (pool mode), in the order a URL lives through it:
 *   queue    a URL is a task on the pool's queue (tp_submit_detached); `outstanding` counts
 *            URLs queued or being crawled, under the crawl's one mutex
 *   claim    before each fetch the worker looks at the shutdown event; if it is set the URL
 *            is dropped, else the fetch is claimed (counted); --max-pages sets the event as
 *            it claims the last one allowed
 *   fetch    on the worker's own kept-alive connection, whole within --page-timeout
 *   links    href="/..." only (see extract_links); each one checked against the visited set
 *            and added to it in one critical section, then queued (outstanding += 1)
 *   result   one record to the writer through a bounded queue
 *   done     outstanding -= 1; at 0, main (waiting on a condition variable) is woken
 * SIGINT or SIGTERM reach a thread that waits for them (sigwait) and sets the shutdown event:
 * fetches already claimed finish, nothing new is fetched, queued URLs are dropped.
 *
 * Notice: the serial crawl's time is the sum of every page's wait; the pool's is bounded
 * below by the longest chain of waits from /p/0 (a page is only known once a page that links
 * to it has come back), printed beside it, however many workers there are.
 * Notice: --variant empty-queue waits for "the queue is empty", as Python code that polls
 * url_queue.empty() does: the moment a worker takes /p/0 the queue is empty, while /p/0's
 * links are still on the server. It stops after one page.
 * Notice: in the timeline (--trace), /p/0 is fetched alone, then the workers fan out.
 * Try: --workers 1, 2, 4, 16, 64: the pool's time falls until it meets the chain, then stays.
 *
 * Verdict: per crawl a line
 *   CRAWL mode=pool workers=8 seconds=S requests=P+D pages=P fetched=P dead=D reported_dead=D
 *         timed_out=0 duplicates=0 unreported=0 extra=0 missed=0 after_shutdown=0 stopped=no
 * from the server's own counts: every reachable page fetched once (a page that timed out
 * counts as fetched; what only it links to is not expected), every dead link's target once
 * and reported once by the writer (unreported: fetched but not reported, or the reverse),
 * nothing that no page links to (extra), no request after the shutdown event beyond those
 * claimed before it (after_shutdown). Then
 *   RESULT mode=both pages=P dead=D duplicates=0 extra=0 missed=0 after_shutdown=0 stopped=no OK
 * Stopped on purpose (stopped=SIGINT or max-pages), missing pages are no failure; the rest
 * still holds, and with --max-pages K at most K requests reach the server.
 */
#include "bounded_queue.h"
#include "net.h"
#include "program.h"
#include "test_site.h"
#include "thread_pool.h"
#include "trace.h"
#include "quizzes/24_crawler.h" /* --quiz and --answers: its questions */

#include <signal.h>

static const char usage[] =
    "[--mode serial|pool|both] [--variant outstanding|empty-queue] [--workers W]\n"
    "        [--pages N] [--dead D] [--seed S] [--latency S] [--page-timeout S]\n"
    "        [--max-pages K] [--out PATH] [--trace PATH]\n"
    "  Crawls a site served on 127.0.0.1 from /p/0: one page at a time, with W workers, or both.\n"
    "  --mode          serial, pool or both (default)\n"
    "  --variant       outstanding (default): the crawl ends when no URL is queued or being\n"
    "                  crawled; empty-queue: when the queue is empty (broken)\n"
    "  --workers       pool workers, 1..64 (default 8)\n"
    "  --pages         linked pages, 1..2000 (default 40)\n"
    "  --dead          dead links' targets (404), 0..500 (default 6)\n"
    "  --seed          the site's shape, 0..2147483647 (default 1)\n"
    "  --latency       seconds the server waits per page (slow pages 4x), 0..2 (default 0.05)\n"
    "  --page-timeout  seconds a fetch may take, 0.001..60 (default 2)\n"
    "  --max-pages     set the shutdown event at the K-th fetch, 1..1000000 (default: none)\n"
    "  --out           one line per page: mode, path, status, bytes, links, seconds\n"
    "  --trace         each fetch as a bar on its worker's row (JSON; make timeline L=24)\n";

enum mode { MODE_SERIAL, MODE_POOL, MODE_BOTH };
static const char *const mode_names[] = { "serial", "pool", "both", NULL };
enum variant { OUTSTANDING, EMPTY_QUEUE };
static const char *const variant_names[] = { "outstanding", "empty-queue", NULL };

enum { MAX_WORKERS = 64, PATH_MAX_LEN = 200, ORPHANS = 4 };
enum { TIMED_OUT = -1, FAILED = -2 };        /* a result's status when there was no answer */

/* Set in main before any thread starts, then read-only. */
static struct {
    enum mode mode;
    enum variant variant;
    long workers, pages, dead, seed, max_pages;
    double latency, page_timeout;
    FILE *out;
} cfg = { MODE_BOTH, OUTSTANDING, 8, 40, 6, 1, 0, 0.05, 2.0, NULL };

/* ---- the visited set: paths seen, a small hash set (guarded by the crawl's lock) -- */

struct visited {
    char **slot;
    size_t cap, count;
};

static size_t hash(const char *s)
{
    size_t h = 14695981039346656037u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h;
}

/* Adds path if it is new: true. false if it was there already. */
static bool visited_add(struct visited *v, const char *path)
{
    if (2 * (v->count + 1) > v->cap) {                       /* keep it at most half full */
        struct visited bigger = { xcalloc(v->cap ? 2 * v->cap : 64, sizeof(char *)),
                                  v->cap ? 2 * v->cap : 64, 0 };
        for (size_t i = 0; i < v->cap; i++)
            if (v->slot[i])
                visited_add(&bigger, v->slot[i]);
        free(v->slot);
        *v = bigger;                                          /* (the strings moved over) */
    }
    size_t i = hash(path) & (v->cap - 1);
    for (; v->slot[i]; i = (i + 1) & (v->cap - 1))
        if (strcmp(v->slot[i], path) == 0)
            return false;
    v->slot[i] = (char *)path;                               /* the set owns it now */
    v->count++;
    return true;
}

/* ---- the crawl's shared state -------------------------------------------------- */

struct result {
    char path[PATH_MAX_LEN + 1];
    int status;                /* 200, 404, ..., TIMED_OUT or FAILED */
    long bytes, links;
    double seconds;
};

static struct crawl {
    pthread_mutex_t lock;      /* everything below but the writer's tallies */
    pthread_cond_t changed;    /* outstanding reached 0, or the queue became empty */
    struct visited visited;    /* owns the strings (copies of every path queued) */
    long outstanding;          /* URLs queued or being crawled: 0 means the crawl is over */
    long queued;               /* URLs queued, not yet taken by a worker */
    long claimed, finished;    /* fetches begun, fetches done */
    bool stop;                 /* the shutdown event: no new fetch from now on */
    const char *stopped_by;    /* "SIGINT", "SIGTERM", "max-pages" */
    long claimed_at_stop, finished_at_stop;
    bool interrupted;          /* a signal came: no further crawl starts */
    bool declared_over;        /* main said the crawl is over (the broken variant: early) */
    /* one crawl's setup, written by main before its workers start */
    struct site *site;
    tp_pool *pool;             /* NULL: the serial crawl */
    char **frontier;           /* the serial crawl's queue: a plain FIFO array */
    long front, back, room;
    bq_queue results;          /* workers -> the writer */
    /* the writer's tallies, read by main after joining it (indexed by site target) */
    long *reports, *timeouts, results_seen, failed;
    bool *opaque;              /* pages whose links the crawl could not read */
} crawl = { .lock = PTHREAD_MUTEX_INITIALIZER, .changed = PTHREAD_COND_INITIALIZER };

/* Sets the shutdown event (the caller holds the lock). */
static void set_stop(struct crawl *c, const char *why)
{
    if (c->stop)
        return;
    c->stop = true;
    c->stopped_by = why;
    c->claimed_at_stop = c->claimed;
    c->finished_at_stop = c->finished;
}

/* ---- one worker's connection, kept alive between pages ------------------------- */

static struct site_reader conns[MAX_WORKERS];   /* conns[w]: worker w's (the serial crawl: 0) */

static int fetch(struct site_reader *in, const char *path, struct site_response *resp)
{
    int port = site_port(crawl.site);
    double deadline = now_s() + cfg.page_timeout;  /* the whole page, not each read */
    char req[PATH_MAX_LEN + 100];
    size_t n = http_format_request(req, sizeof req, "GET", path, port, true);
    for (int attempt = 1;; attempt++) {
        if (in->fd < 0 && (in->fd = net_connect(port, deadline - now_s())) < 0)
            return errno == ETIMEDOUT ? TIMED_OUT : FAILED;
        enum http_read got = net_send_all(in->fd, req, n)
                                 ? site_read_response(in, resp, deadline) : HTTP_READ_CLOSED;
        if (got != HTTP_READ_OK || !resp->keep_alive) {  /* that connection is done for */
            close(in->fd);
            *in = (struct site_reader){ .fd = -1, .buf = in->buf, .cap = in->cap };
        }
        if (got == HTTP_READ_OK)
            return resp->status;
        if (got == HTTP_READ_CLOSED && attempt == 1)
            continue;   /* the server had closed it, before our request: connect again */
        return got == HTTP_READ_TIMEOUT ? TIMED_OUT : FAILED;
    }
}

/* The links a same-site crawler follows: href="/..." in double quotes, up to a '#'. Not
 * followed: another host ("http://...", "//host/..."), a relative path ("p/3"), mailto:,
 * a bare fragment ("#top"), single-quoted or unquoted attributes, paths of control bytes or
 * over PATH_MAX_LEN characters. Returns how many went into out[] (heap strings). */
static long extract_links(const char *body, size_t len, char ***out)
{
    long n = 0;
    *out = NULL;
    for (size_t i = 0; i + 7 < len; i++) {
        if (memcmp(body + i, "href=\"/", 7) != 0 || body[i + 7] == '/')
            continue;
        size_t start = i + 6, end = start;
        while (end < len && body[end] != '"' && body[end] != '#' && end - start <= PATH_MAX_LEN &&
               body[end] > ' ' && body[end] < 127)
            end++;
        if (end == len || (body[end] != '"' && body[end] != '#'))
            continue;
        *out = xrealloc(*out, (size_t)(n + 1) * sizeof **out);
        (*out)[n] = xmalloc(end - start + 1);
        memcpy((*out)[n], body + start, end - start);
        (*out)[n++][end - start] = '\0';
    }
    return n;
}

/* ---- one URL, from the queue to done -------------------------------------------- */

static int page_task(void *arg, void **result);

/* Puts a URL on the queue: the pool's, or the serial crawl's FIFO. */
static void enqueue(struct crawl *c, char *path)
{
    if (!c->pool) {
        if (c->back == c->room)
            c->frontier = xrealloc(c->frontier, (size_t)(c->room = 2 * c->room + 16) *
                                                    sizeof *c->frontier);
        c->frontier[c->back++] = path;
        return;
    }
    if (tp_submit_detached(c->pool, page_task, path) != TP_OK) {
        PT_CHECK(pthread_mutex_lock(&c->lock));     /* the pool closed under us: dropped */
        c->queued--;
        c->outstanding--;
        PT_CHECK(pthread_mutex_unlock(&c->lock));
    }
}

static void crawl_page(struct crawl *c, struct site_reader *conn, const char *path)
{
    /* The shutdown event is checked before each fetch, in the same critical section that
     * claims it: a fetch either began before the event or never begins. */
    PT_CHECK(pthread_mutex_lock(&c->lock));
    if (--c->queued == 0)
        PT_CHECK(pthread_cond_broadcast(&c->changed));      /* only the broken wait cares */
    bool go = !c->stop && !c->declared_over;
    if (go && ++c->claimed == cfg.max_pages)
        set_stop(c, "max-pages");
    PT_CHECK(pthread_mutex_unlock(&c->lock));

    if (go) {
        struct result r = { .status = FAILED };
        snprintf(r.path, sizeof r.path, "%s", path);
        struct site_response resp;
        int64_t t0 = trace_start();
        double started = now_s();
        r.status = fetch(conn, path, &resp);
        r.seconds = now_s() - started;
        trace_span(t0, "fetch", "%s %d", path, r.status);
        char **links = NULL;
        if (r.status == 200) {
            r.bytes = (long)resp.body_len;
            r.links = extract_links(resp.body, resp.body_len, &links);
        }
        /* Check-and-insert in one critical section. A naive "if not visited: visit" (look
         * under the lock, add later) lets two workers that found the same link both see it
         * unvisited and both fetch it: a duplicate, now and then. */
        long fresh = 0;
        PT_CHECK(pthread_mutex_lock(&c->lock));
        for (long k = 0; k < r.links; k++) {
            if (!c->stop && !c->declared_over && visited_add(&c->visited, links[k])) {
                links[fresh++] = links[k];    /* the set holds it now; we queue it below */
                c->outstanding++;             /* before this page is done: never 0 between */
                c->queued++;
            } else {
                free(links[k]);
            }
        }
        c->finished++;
        PT_CHECK(pthread_mutex_unlock(&c->lock));
        for (long k = 0; k < fresh; k++)
            enqueue(c, links[k]);
        free(links);
        bq_put(&c->results, &r, BQ_FOREVER, NULL);
    }
    PT_CHECK(pthread_mutex_lock(&c->lock));
    if (--c->outstanding == 0)                               /* nothing queued, nobody busy */
        PT_CHECK(pthread_cond_broadcast(&c->changed));
    PT_CHECK(pthread_mutex_unlock(&c->lock));
}

static int page_task(void *arg, void **result)
{
    (void)result;
    crawl_page(&crawl, &conns[tp_current_worker_index()], arg);
    return 0;
}

/* ---- the writer: drains the results queue --------------------------------------- */

static void *writer_thread(void *arg)
{
    struct crawl *c = arg;
    const char *mode = c->pool ? "pool" : "serial";
    struct result r;
    while (bq_take(&c->results, &r, BQ_FOREVER, NULL) == BQ_OK) {
        long t = site_target(c->site, r.path);  /* for the verdict: which page was this */
        if (t >= 0) {
            c->reports[t]++;
            c->opaque[t] = r.status != 200 && r.status != 404;
            c->timeouts[t] += r.status == TIMED_OUT;
        }
        c->failed += r.status == FAILED;
        if (cfg.out)
            fprintf(cfg.out, "%s %s %s %ld bytes %ld links %.3f s\n", mode, r.path,
                    r.status == TIMED_OUT ? "timeout" : r.status == FAILED ? "failed"
                    : r.status == 200 ? "200" : r.status == 404 ? "404" : "other",
                    r.bytes, r.links, r.seconds);
        if (++c->results_seen % 10 == 0)
            printf("  %s: %ld URLs crawled\n", mode, c->results_seen);
    }
    return NULL;
}

/* ---- SIGINT and SIGTERM: a thread that waits for them --------------------------- */

static void *signal_thread(void *arg)
{
    const sigset_t *set = arg;
    for (int sig;;) {
        if (sigwait(set, &sig) != 0 || sig == SIGUSR1)      /* SIGUSR1: main is done */
            return NULL;
        PT_CHECK(pthread_mutex_lock(&crawl.lock));
        crawl.interrupted = true;
        set_stop(&crawl, sig == SIGINT ? "SIGINT" : "SIGTERM");
        PT_CHECK(pthread_mutex_unlock(&crawl.lock));
    }
}

/* ---- one crawl, and its judgement --------------------------------------------- */

/* What the shutdown event saw, copied under the lock when the crawl is over. */
struct stop_seen {
    bool stop;
    const char *by;
    long claimed, finished;
};

struct tally {
    long pages, fetched, dead, reported_dead, timed_out, duplicates, unreported, extra, missed;
    long after, requests;
    double seconds, waits, chain;
    const char *stopped;
};

static struct tally judge(struct crawl *c, const struct stop_seen *st)
{
    long n = site_targets(c->site);
    bool *expect = xcalloc((size_t)n, sizeof *expect);
    site_reachable(c->site, c->opaque, expect);
    struct tally t = { .stopped = st->stop ? st->by : "no" };
    long served = 0;
    for (long i = 0; i < n; i++) {
        long f = site_fetches(c->site, i), rep = c->reports[i];
        served += f;
        t.duplicates += (f > 1 ? f - 1 : 0) + (rep > 1 ? rep - 1 : 0);
        t.unreported += (f > 0) != (rep > 0);       /* fetched, not reported, or the reverse */
        t.extra += f > 0 && !expect[i];
        t.missed += expect[i] && f == 0;
        t.timed_out += c->timeouts[i];
        if (expect[i] && site_kind(c->site, i) == SITE_DEAD) {
            t.dead++;
            t.reported_dead += rep == 1;
        } else if (expect[i]) {
            t.pages++;
            t.fetched += f > 0;
        }
        if (f > 0)                        /* the wait, or the timeout that cut it short */
            t.waits += fmin(site_delay(c->site, i), cfg.page_timeout);
    }
    t.requests = site_requests(c->site);
    t.extra += t.requests - served;      /* paths the site does not have */
    if (st->stop && site_requests(c->site) > st->claimed)
        t.after = site_requests(c->site) - st->claimed;
    t.chain = site_chain(c->site, c->opaque, cfg.page_timeout);
    free(expect);
    return t;
}

static struct tally run_crawl(bool pool, const char *mode)
{
    struct crawl *c = &crawl;
    c->site = site_start(&(struct site_options){ .pages = cfg.pages, .dead = cfg.dead,
        .orphans = ORPHANS, .seed = (uint64_t)cfg.seed, .latency = cfg.latency });
    long n = site_targets(c->site);
    static bool described;
    if (!described) {
        char about[160];
        site_describe(c->site, about, sizeof about);
        printf("site: %s; each answer waits %.3f s (slow pages %d x); page timeout %.3f s%s\n",
               about, cfg.latency, SITE_SLOW_FACTOR, cfg.page_timeout,
               cfg.variant == EMPTY_QUEUE ? "; variant empty-queue (broken)" : "");
        described = true;
    }
    c->reports = xcalloc((size_t)n, sizeof *c->reports);
    c->timeouts = xcalloc((size_t)n, sizeof *c->timeouts);
    c->opaque = xcalloc((size_t)n, sizeof *c->opaque);
    c->frontier = NULL;
    c->front = c->back = c->room = c->results_seen = c->failed = 0;
    for (int w = 0; w < MAX_WORKERS; w++)
        conns[w] = (struct site_reader){ .fd = -1 };
    bq_init(&c->results, 64, sizeof(struct result), 0);
    if (pool) {
        int rc = tp_create(&c->pool, &(tp_options){ .workers = (int)cfg.workers,
                                                    .name_prefix = "crawl" });
        if (rc != TP_OK)
            die("tp_create (%ld workers): %s", cfg.workers, tp_strerror(rc));
    }
    pthread_t writer;
    PT_CHECK(pthread_create(&writer, NULL, writer_thread, c));

    PT_CHECK(pthread_mutex_lock(&c->lock));
    c->visited = (struct visited){ 0 };
    c->claimed = c->finished = 0;
    c->stop = c->interrupted;             /* a signal during the last crawl: stop at once */
    c->stopped_by = c->interrupted ? "SIGINT" : NULL;
    c->claimed_at_stop = c->finished_at_stop = 0;
    c->declared_over = false;
    char *root = strdup(site_root());
    visited_add(&c->visited, root);
    c->outstanding = c->queued = 1;
    PT_CHECK(pthread_mutex_unlock(&c->lock));

    double t0 = now_s();
    enqueue(c, root);
    if (!pool) {
        /* One thread: when it looks at the queue, no page is in flight, so an empty queue
         * does mean the end here. */
        while (c->front < c->back)
            crawl_page(c, &conns[0], c->frontier[c->front++]);
    } else {
        PT_CHECK(pthread_mutex_lock(&c->lock));
        if (cfg.variant == EMPTY_QUEUE)
            /* BROKEN: "nothing is queued" is not "nothing is left": a worker that has just
             * taken the last URL is still fetching it, and its links are not queued yet. */
            while (c->queued > 0)
                PT_CHECK(pthread_cond_wait(&c->changed, &c->lock));
        else
            /* FIXED: outstanding counts queued and in-flight URLs alike, and a page's new
             * links are counted before the page itself is uncounted (Python's Queue.join()
             * and task_done() keep the same count). */
            while (c->outstanding > 0)
                PT_CHECK(pthread_cond_wait(&c->changed, &c->lock));
        c->declared_over = true;          /* what is still queued now is dropped */
        long left = c->outstanding;
        PT_CHECK(pthread_mutex_unlock(&c->lock));
        if (left > 0)
            printf("pool crawl: declared over with the queue empty and %ld URL%s still being "
                   "crawled: %s links will not be followed\n", left, left == 1 ? "" : "s",
                   left == 1 ? "its" : "their");
        int rc = tp_destroy(c->pool);     /* close, let the queue drain, join the workers */
        if (rc != TP_OK)
            die("tp_destroy: %s", tp_strerror(rc));
        c->pool = NULL;
    }
    double seconds = now_s() - t0;
    PT_CHECK(pthread_mutex_lock(&c->lock));
    struct stop_seen st = { c->stop, c->stopped_by, c->claimed_at_stop, c->finished_at_stop };
    PT_CHECK(pthread_mutex_unlock(&c->lock));
    bq_close(&c->results);
    PT_CHECK(pthread_join(writer, NULL));
    bq_destroy(&c->results);
    for (int w = 0; w < MAX_WORKERS; w++) {
        if (conns[w].fd >= 0)
            close(conns[w].fd);
        free(conns[w].buf);
    }
    site_stop(c->site);                   /* every request that reached it is counted now */

    struct tally t = judge(c, &st);
    t.seconds = seconds;
    if (st.stop)
        printf("%s crawl: the shutdown event (%s) came after %ld fetches had begun, %ld of "
               "them still in flight; they finished, and %ld request%s beyond them reached "
               "the server\n", mode, st.by, st.claimed, st.claimed - st.finished, t.after,
               t.after == 1 ? "" : "s");
    if (c->failed)
        printf("%s crawl: %ld fetches failed without an answer\n", mode, c->failed);
    printf("CRAWL mode=%s workers=%ld seconds=%.3f requests=%ld pages=%ld fetched=%ld "
           "dead=%ld reported_dead=%ld timed_out=%ld duplicates=%ld unreported=%ld extra=%ld "
           "missed=%ld after_shutdown=%ld stopped=%s\n", mode, pool ? cfg.workers : 1,
           seconds, t.requests, t.pages, t.fetched, t.dead, t.reported_dead, t.timed_out,
           t.duplicates, t.unreported, t.extra, t.missed, t.after, t.stopped);
    for (size_t i = 0; i < c->visited.cap; i++)
        free(c->visited.slot[i]);
    free(c->visited.slot);
    free(c->frontier);
    free(c->reports);
    free(c->timeouts);
    free(c->opaque);
    site_free(c->site);
    return t;
}

/* ---- main: the crawls, the times, the verdict ---------------------------------- */

static bool tally_ok(const struct tally *t)
{
    return t->duplicates == 0 && t->unreported == 0 && t->extra == 0 && t->after == 0 &&
           (strcmp(t->stopped, "no") != 0 || t->missed == 0);
}

/* Serial waits for every page in turn. W workers wait for W pages at a time, but cannot
 * fetch a page before one that links to it has come back: the longest chain of waits. */
static void compare(const struct tally *serial, const struct tally *pool)
{
    double floor = fmax(pool->chain, pool->waits / (double)cfg.workers);
    printf("serial %.3f s: the server's waits for the pages it fetched add up to %.3f s\n",
           serial->seconds, serial->waits);
    printf("pool %.3f s with %ld worker%s: at best the longer of the waits / %ld (%.3f s) and "
           "the longest chain of waits from %s (%.3f s)\n", pool->seconds, cfg.workers,
           cfg.workers == 1 ? "" : "s", cfg.workers, pool->waits / (double)cfg.workers, site_root(), pool->chain);
    const char *doubt = timing_tool() ? timing_tool() : NULL;
    if (!doubt && serial->waits < 0.1)
        doubt = "waits this short (--latency)";
    else if (!doubt && serial->seconds > 1.5 * serial->waits + 0.1)
        doubt = "a busy machine (the serial crawl took far longer than its waits)";
    if (doubt)
        printf("Doubt: under %s the times say more about the overheads than about the "
               "crawl: speedup %.1fx, not to be trusted\n", doubt, serial->seconds / pool->seconds);
    else
        printf("speedup %.1fx (the waits allow about %.1fx: serial waits / the pool's best)\n",
               serial->seconds / pool->seconds, serial->waits / floor);
}

int main(int argc, char **argv)
{
    cli_setup(argv[0], usage);
    QUIZ(quiz);
    const char *out_path = NULL;
    static const struct option opts[] = {
        { "mode", required_argument, NULL, 'm' },
        { "variant", required_argument, NULL, 'v' },
        { "workers", required_argument, NULL, 'w' },
        { "pages", required_argument, NULL, 'p' },
        { "dead", required_argument, NULL, 'd' },
        { "seed", required_argument, NULL, 'S' },
        { "latency", required_argument, NULL, 'l' },
        { "page-timeout", required_argument, NULL, 't' },
        { "max-pages", required_argument, NULL, 'k' },
        { "out", required_argument, NULL, 'o' },
        CLI_TRACE, CLI_QUIZ, CLI_HELP, CLI_END,
    };
    for (int c; (c = cli_next(argc, argv, opts)) != -1;) {
        switch (c) {
        case 'm': cfg.mode = (enum mode)parse_choice("--mode", optarg, mode_names); break;
        case 'v': cfg.variant = (enum variant)parse_choice("--variant", optarg, variant_names); break;
        case 'w': cfg.workers = parse_long("--workers", optarg, 1, MAX_WORKERS); break;
        case 'p': cfg.pages = parse_long("--pages", optarg, 1, 2000); break;
        case 'd': cfg.dead = parse_long("--dead", optarg, 0, 500); break;
        case 'S': cfg.seed = parse_long("--seed", optarg, 0, 2147483647); break;
        case 'l': cfg.latency = parse_double("--latency", optarg, 0, 2); break;
        case 't': cfg.page_timeout = parse_double("--page-timeout", optarg, 0.001, 60); break;
        case 'k': cfg.max_pages = parse_long("--max-pages", optarg, 1, 1000000); break;
        case 'o': out_path = optarg; break;
        }
    }
    if (out_path) {
        if (!*out_path)
            usage_error("--out: needs a file name");
        require_regular_file("--out", out_path);
        if (!(cfg.out = fopen(out_path, "w")))
            die("--out: cannot write %s: %s", out_path, strerror(errno));
        setvbuf(cfg.out, NULL, _IOLBF, 0);
    }
    trace_thread_name("main");

    /* Block SIGINT and SIGTERM before any thread starts (threads inherit the mask), so
     * they go to the one thread that waits for them, never into a worker mid-fetch. A shell
     * starts a background job with SIGINT ignored, and an ignored signal is discarded, never
     * waited for: give both their default action back (blocked, it cannot kill us). */
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    static sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGUSR1);
    PT_CHECK(pthread_sigmask(SIG_BLOCK, &set, NULL));
    pthread_t sig_thread;
    PT_CHECK(pthread_create(&sig_thread, NULL, signal_thread, &set));

    struct tally tallies[2];
    int crawls = 0;
    bool skipped = false;
    if (cfg.mode != MODE_POOL)
        tallies[crawls++] = run_crawl(false, "serial");
    if (cfg.mode != MODE_SERIAL) {
        PT_CHECK(pthread_mutex_lock(&crawl.lock));
        skipped = crawl.interrupted;
        PT_CHECK(pthread_mutex_unlock(&crawl.lock));
        if (skipped)
            printf("pool crawl: not started, the crawl was interrupted\n");
        else
            tallies[crawls++] = run_crawl(true, "pool");
    }
    if (crawls == 2 && tally_ok(&tallies[0]) && tally_ok(&tallies[1]) &&
        strcmp(tallies[0].stopped, "no") == 0 && strcmp(tallies[1].stopped, "no") == 0)
        compare(&tallies[0], &tallies[1]);    /* two whole crawls: their times compare */

    PT_CHECK(pthread_kill(sig_thread, SIGUSR1));
    PT_CHECK(pthread_join(sig_thread, NULL));
    if (cfg.out && fclose(cfg.out) != 0)
        die("--out: %s", strerror(errno));
    trace_done_or_die();

    struct tally sum = { .stopped = skipped ? "SIGINT" : "no" };
    bool ok = true;
    for (int k = 0; k < crawls; k++) {
        ok = ok && tally_ok(&tallies[k]);
        sum.duplicates += tallies[k].duplicates;
        sum.extra += tallies[k].extra;
        sum.missed += tallies[k].missed;
        sum.after += tallies[k].after;
        if (strcmp(tallies[k].stopped, "no") != 0)
            sum.stopped = tallies[k].stopped;
    }
    return verdict(ok, "mode=%s pages=%ld dead=%ld duplicates=%ld extra=%ld missed=%ld "
                   "after_shutdown=%ld stopped=%s", mode_names[cfg.mode], tallies[0].pages,
                   tallies[0].dead, sum.duplicates, sum.extra, sum.missed, sum.after,
                   sum.stopped);
}
