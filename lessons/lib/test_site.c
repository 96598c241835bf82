/*
 * test_site.c: lesson 24's made-up web site and its large-response reader (test_site.h).
 *
 * The server: an acceptor thread polls the listening socket and a stop pipe; each connection
 * gets a thread of its own that reads requests with http_read_request (which also watches
 * the stop pipe), counts the target, waits the page's delay (a poll on the stop pipe, so a
 * stop cuts it short) and answers with http_format_response. A crawler keeps one connection
 * per worker, so a thread per connection is a handful of threads: never the bottleneck.
 * site_stop hangs up the stop pipe and joins every thread; a request that had reached a
 * connection by then is still read and counted (http_read_request's last look).
 */
#include "test_site.h"

#include "core.h"
#include "net.h"

#include <poll.h>
#include <stdatomic.h>
#include <strings.h>
#include <sys/socket.h>

struct target {
    enum site_kind kind;
    bool slow, large;
    long *links, nlinks, cap;
    char *body;
    size_t len;
};

struct site {
    struct site_options o;
    long ntargets;
    struct target *t;
    atomic_long *fetches;
    atomic_long requests;
    int listen_fd, port;
    int stop_pipe[2];
    bool stopped;
    pthread_t acceptor;
    pthread_mutex_t lock;          /* guards conns, nconns */
    pthread_t *conns;
    size_t nconns, capconns;
};

/* ---- generating the site ----------------------------------------------------------- */

static uint64_t splitmix(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

static long below(uint64_t *rng, long n)
{
    return (long)(splitmix(rng) % (uint64_t)n);
}

static void add_link(struct target *from, long to)
{
    if (from->nlinks == from->cap) {
        from->cap = from->cap ? 2 * from->cap : 4;
        from->links = xrealloc(from->links, (size_t)from->cap * sizeof *from->links);
    }
    from->links[from->nlinks++] = to;
}

/* A growing string. */
struct text {
    char *s;
    size_t len, cap;
};

static void put(struct text *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct text *b, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0)
            die("test_site: vsnprintf failed");
        if (b->s && b->len + (size_t)n < b->cap) {
            b->len += (size_t)n;
            return;
        }
        b->cap = 2 * (b->cap + (size_t)n + 64);
        b->s = xrealloc(b->s, b->cap);
    }
}

static const char *const filler[] = { "threads", "wait", "for", "the", "network", "while",
                                      "others", "run;", "a", "crawler", "keeps", "many",
                                      "requests", "in", "flight." };

static void make_body(struct site *s, long i, uint64_t *rng)
{
    struct target *t = &s->t[i];
    struct text b = { 0 };
    if (t->kind == SITE_DEAD) {
        put(&b, "<!doctype html>\n<html><body><h1>404 Not Found</h1></body></html>\n");
    } else {
        put(&b, "<!doctype html>\n<html><head><title>Page %ld</title></head>\n<body>\n"
                "<h1 id=\"top\">Page %ld</h1>\n<p>Not followed: <a href=\"https://example.com/"
                "p/1\">another host</a>, <a href=\"mailto:web@example.com\">mail</a>, "
                "<a href=\"#top\">a fragment</a>.</p>\n", i, i);
        if (t->large)
            while (b.len < SITE_LARGE_BYTES + (size_t)below(rng, 16384)) {
                put(&b, "<p>");
                for (int w = 0; w < 60; w++)
                    put(&b, "%s ", filler[below(rng, sizeof filler / sizeof *filler)]);
                put(&b, "</p>\n");
            }
        put(&b, "<ul>\n");
        for (long k = 0; k < t->nlinks; k++)
            put(&b, "<li><a href=\"/p/%ld\">page %ld</a></li>\n", t->links[k], t->links[k]);
        put(&b, "</ul>\n</body></html>\n");
    }
    t->body = b.s;
    t->len = b.len;
}

static void generate(struct site *s)
{
    long P = s->o.pages, D = s->o.dead, O = s->o.orphans;
    uint64_t rng = s->o.seed ^ 0x5173u;
    s->ntargets = P + D + O;
    s->t = xcalloc((size_t)s->ntargets, sizeof *s->t);
    for (long i = 0; i < s->ntargets; i++)
        s->t[i].kind = i < P ? SITE_PAGE : i < P + D ? SITE_DEAD : SITE_ORPHAN;
    for (long i = 1; i < P; i++)                      /* a tree from the root: all reachable */
        add_link(&s->t[below(&rng, i)], i);
    for (long i = 0; i < s->ntargets; i++) {           /* more links anywhere: cycles */
        if (s->t[i].kind == SITE_DEAD)
            continue;
        for (long k = 1 + below(&rng, 3); k > 0; k--)
            add_link(&s->t[i], below(&rng, P));
    }
    for (long d = P; d < P + D; d++)                   /* each dead target, 1..3 links to it */
        for (long k = 1 + below(&rng, 3); k > 0; k--)
            add_link(&s->t[below(&rng, P)], d);
    long slow = 0, large = 0;
    for (long i = 1; i < s->ntargets; i++) {
        if (s->t[i].kind == SITE_DEAD)
            continue;
        s->t[i].slow = below(&rng, 8) == 0;
        s->t[i].large = below(&rng, 10) == 0;
        slow += s->t[i].kind == SITE_PAGE && s->t[i].slow;
        large += s->t[i].kind == SITE_PAGE && s->t[i].large;
    }
    if (P >= 2 && slow == 0)                           /* at least one of each, when it can */
        s->t[1 + below(&rng, P - 1)].slow = true;
    if (P >= 2 && large == 0)
        s->t[1 + below(&rng, P - 1)].large = true;
    for (long i = 0; i < s->ntargets; i++)
        make_body(s, i, &rng);
}

/* ---- serving ----------------------------------------------------------------------- */

struct conn_arg {
    struct site *s;
    int fd;
};

/* Waits `seconds`, or less if the site stops meanwhile. */
static void delay(struct site *s, double seconds)
{
    double until = now_s() + seconds;
    for (double left; (left = until - now_s()) > 0;) {
        struct pollfd p = { .fd = s->stop_pipe[0], .events = POLLIN };
        int rc = poll(&p, 1, (int)ceil(left * 1000));
        if (rc > 0 || (rc < 0 && errno != EINTR))
            return;
    }
}

static bool answer(struct site *s, int fd, const struct http_request *req, bool keep_alive)
{
    long i = site_target(s, req->path);
    struct http_reply reply = { .status = 404, .keep_alive = keep_alive,
                                .content_type = "text/html; charset=utf-8",
                                .head_only = strcmp(req->method, "HEAD") == 0 };
    bool get = reply.head_only || strcmp(req->method, "GET") == 0;
    atomic_fetch_add(&s->requests, 1);
    if (i >= 0) {
        atomic_fetch_add(&s->fetches[i], 1);
        delay(s, site_delay(s, i));
        reply.body = s->t[i].body;
        reply.body_len = s->t[i].len;
        if (s->t[i].kind != SITE_DEAD)
            reply.status = 200;
    } else {
        delay(s, s->o.latency);
        reply.body = "<!doctype html>\n<html><body><h1>404 Not Found</h1></body></html>\n";
        reply.body_len = strlen(reply.body);
    }
    if (!get) {
        reply = (struct http_reply){ .status = 405, .allow = "GET, HEAD",
                                     .keep_alive = keep_alive };
    }
    size_t size = reply.body_len + 512;
    char *out = xmalloc(size);
    size_t n = http_format_response(out, size, &reply);
    bool sent = n < size && net_send_all(fd, out, n);
    free(out);
    return sent;
}

static void *conn_thread(void *arg)
{
    struct conn_arg *a = arg;
    struct http_conn *c = xmalloc(sizeof *c);
    struct http_request *req = xmalloc(sizeof *req);
    *c = (struct http_conn){ .fd = a->fd, .stop_fd = a->s->stop_pipe[0] };
    net_set_send_timeout(a->fd, 5.0);   /* a client that stops reading cannot hold us */
    for (;;) {
        enum http_read got = http_read_request(c, req, now_s() + 30.0);
        if (got == HTTP_READ_BAD) {
            struct http_reply reply = { .status = req->error };
            char out[256];
            size_t n = http_format_response(out, sizeof out, &reply);
            if (n < sizeof out)
                net_send_all(a->fd, out, n);
        }
        if (got != HTTP_READ_OK)
            break;
        bool keep = req->keep_alive && !c->stopping;
        if (!answer(a->s, a->fd, req, keep) || !keep)
            break;
    }
    close(a->fd);
    free(req);
    free(c);
    free(a);
    return NULL;
}

static void *acceptor_thread(void *arg)
{
    struct site *s = arg;
    for (;;) {
        struct pollfd fds[2] = { { .fd = s->listen_fd, .events = POLLIN },
                                 { .fd = s->stop_pipe[0], .events = POLLIN } };
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            die_errno("test_site: poll");
        }
        if (fds[1].revents)
            return NULL;
        int fd = net_accept(s->listen_fd, NULL);
        if (fd < 0) {
            if (errno == EAGAIN)
                continue;
            die_errno("test_site: accept");
        }
        struct conn_arg *a = xmalloc(sizeof *a);
        *a = (struct conn_arg){ .s = s, .fd = fd };
        PT_CHECK(pthread_mutex_lock(&s->lock));
        if (s->nconns == s->capconns) {
            s->capconns = s->capconns ? 2 * s->capconns : 16;
            s->conns = xrealloc(s->conns, s->capconns * sizeof *s->conns);
        }
        PT_CHECK(pthread_create(&s->conns[s->nconns++], NULL, conn_thread, a));
        PT_CHECK(pthread_mutex_unlock(&s->lock));
    }
}

/* ---- the interface ----------------------------------------------------------------- */

struct site *site_start(const struct site_options *opts)
{
    struct site *s = xcalloc(1, sizeof *s);
    s->o = *opts;
    if (s->o.pages < 1)
        die("site_start: a site needs at least one page");
    generate(s);
    s->fetches = xcalloc((size_t)s->ntargets, sizeof *s->fetches);
    for (long i = 0; i < s->ntargets; i++)
        atomic_init(&s->fetches[i], 0);
    atomic_init(&s->requests, 0);
    PT_CHECK(pthread_mutex_init(&s->lock, NULL));
    if (pipe(s->stop_pipe) != 0)
        die_errno("test_site: pipe");
    s->listen_fd = net_listen(0, &s->port);
    if (s->listen_fd < 0)
        die_errno("test_site: listen on 127.0.0.1");
    PT_CHECK(pthread_create(&s->acceptor, NULL, acceptor_thread, s));
    return s;
}

int site_port(const struct site *s) { return s->port; }
const char *site_root(void) { return "/p/0"; }
long site_targets(const struct site *s) { return s->ntargets; }
enum site_kind site_kind(const struct site *s, long i) { return s->t[i].kind; }
bool site_slow(const struct site *s, long i) { return s->t[i].slow; }

void site_describe(const struct site *s, char *buf, size_t size)
{
    long slow = 0, large = 0;
    for (long i = 0; i < s->o.pages; i++) {
        slow += s->t[i].slow;
        large += s->t[i].large;
    }
    snprintf(buf, size, "%ld pages (%ld slow, %ld large), %ld dead links, %ld orphans",
             s->o.pages, slow, large, s->o.dead, s->o.orphans);
}

long site_target(const struct site *s, const char *path)
{
    if (strncmp(path, "/p/", 3) != 0)
        return -1;
    const char *d = path + 3;
    if (*d < '0' || *d > '9' || (*d == '0' && d[1] != '\0'))
        return -1;                        /* "/p/", "/p/x", "/p/07": no such page */
    long n = 0;
    for (; *d >= '0' && *d <= '9'; d++) {
        n = n * 10 + (*d - '0');
        if (n >= s->ntargets)
            return -1;
    }
    return *d == '\0' ? n : -1;
}

long site_reachable(const struct site *s, const bool *opaque, bool *out)
{
    long *queue = xmalloc((size_t)s->ntargets * sizeof *queue), head = 0, tail = 0;
    memset(out, 0, (size_t)s->ntargets * sizeof *out);
    out[0] = true;
    queue[tail++] = 0;
    while (head < tail) {
        long i = queue[head++];
        if (opaque && opaque[i])
            continue;
        for (long k = 0; k < s->t[i].nlinks; k++)
            if (!out[s->t[i].links[k]]) {
                out[s->t[i].links[k]] = true;
                queue[tail++] = s->t[i].links[k];
            }
    }
    free(queue);
    return tail;
}

double site_delay(const struct site *s, long i)
{
    return s->o.latency * (s->t[i].slow ? SITE_SLOW_FACTOR : 1);
}

/* Dijkstra, the simple O(T^2) way (T is a few thousand at most). */
static double capped(const struct site *s, long i, double cap)
{
    return site_delay(s, i) < cap ? site_delay(s, i) : cap;
}

double site_chain(const struct site *s, const bool *opaque, double cap)
{
    double *dist = xmalloc((size_t)s->ntargets * sizeof *dist), longest = 0;
    bool *done = xcalloc((size_t)s->ntargets, sizeof *done);
    for (long i = 0; i < s->ntargets; i++)
        dist[i] = INFINITY;
    dist[0] = capped(s, 0, cap);
    for (;;) {
        long u = -1;
        for (long i = 0; i < s->ntargets; i++)
            if (!done[i] && dist[i] < INFINITY && (u < 0 || dist[i] < dist[u]))
                u = i;
        if (u < 0)
            break;
        done[u] = true;
        longest = dist[u];
        if (opaque && opaque[u])
            continue;
        for (long k = 0; k < s->t[u].nlinks; k++) {
            long v = s->t[u].links[k];
            if (dist[u] + capped(s, v, cap) < dist[v])
                dist[v] = dist[u] + capped(s, v, cap);
        }
    }
    free(dist);
    free(done);
    return longest;
}

long site_fetches(const struct site *s, long i)
{
    return atomic_load(&((struct site *)s)->fetches[i]);
}

long site_requests(const struct site *s)
{
    return atomic_load(&((struct site *)s)->requests);
}

void site_stop(struct site *s)
{
    if (s->stopped)
        return;
    s->stopped = true;
    close(s->stop_pipe[1]);           /* the hang-up every thread of the site watches */
    PT_CHECK(pthread_join(s->acceptor, NULL));
    for (size_t k = 0; k < s->nconns; k++)  /* the acceptor is gone: the list is final */
        PT_CHECK(pthread_join(s->conns[k], NULL));
    close(s->listen_fd);
    close(s->stop_pipe[0]);
}

void site_free(struct site *s)
{
    if (!s)
        return;
    site_stop(s);
    for (long i = 0; i < s->ntargets; i++) {
        free(s->t[i].links);
        free(s->t[i].body);
    }
    free(s->t);
    free(s->fetches);
    free(s->conns);
    PT_CHECK(pthread_mutex_destroy(&s->lock));
    free(s);
}

/* ---- the client's side: a response of any size ------------------------------------- */

enum { SITE_BODY_MAX = 16 << 20 };

/* The value of header `name` in head[0..len) (after the status line), or NULL. */
static const char *header(const char *head, size_t len, const char *name, size_t *vlen)
{
    size_t nl = strlen(name);
    const char *end = head + len;
    for (const char *line = memchr(head, '\n', len); line && line + 1 < end;
         line = memchr(line + 1, '\n', (size_t)(end - line - 1))) {
        const char *p = line + 1;
        if ((size_t)(end - p) > nl && strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
            p += nl + 1;
            while (p < end && (*p == ' ' || *p == '\t'))
                p++;
            const char *e = p;
            while (e < end && *e != '\r' && *e != '\n')
                e++;
            *vlen = (size_t)(e - p);
            return p;
        }
    }
    return NULL;
}

/* Parses the head in r->buf[0..head_len): status, Content-Length, keep-alive. */
static bool parse_head(const char *h, size_t head_len, struct site_response *resp,
                       size_t *body_len)
{
    if (head_len < 16 || strncmp(h, "HTTP/1.", 7) != 0 || (h[7] != '0' && h[7] != '1') ||
        h[8] != ' ' || h[9] < '1' || h[9] > '5' || h[10] < '0' || h[10] > '9' ||
        h[11] < '0' || h[11] > '9')
        return false;
    resp->status = (h[9] - '0') * 100 + (h[10] - '0') * 10 + (h[11] - '0');
    size_t n;
    if (header(h, head_len, "Transfer-Encoding", &n))
        return false;
    const char *v = header(h, head_len, "Content-Length", &n);
    if (!v || n == 0 || n > 9)
        return false;
    *body_len = 0;
    for (size_t k = 0; k < n; k++) {
        if (v[k] < '0' || v[k] > '9')
            return false;
        *body_len = *body_len * 10 + (size_t)(v[k] - '0');
    }
    if (*body_len > SITE_BODY_MAX)
        return false;
    const char *c = header(h, head_len, "Connection", &n);
    bool close_ = c && n == 5 && strncasecmp(c, "close", 5) == 0;
    bool keep = c && n == 10 && strncasecmp(c, "keep-alive", 10) == 0;
    resp->keep_alive = h[7] == '1' ? !close_ : keep;
    return true;
}

enum http_read site_read_response(struct site_reader *r, struct site_response *resp,
                                  double deadline)
{
    if (r->done) {                                   /* drop the last response */
        r->len -= r->done;
        memmove(r->buf, r->buf + r->done, r->len);
        r->done = 0;
    }
    size_t head_len = 0, body_len = 0;
    for (;;) {
        if (!head_len && r->len > 0) {
            size_t scan = r->len < HTTP_HEAD_MAX ? r->len : HTTP_HEAD_MAX;
            for (size_t k = 3; k < scan && !head_len; k++)
                if (memcmp(r->buf + k - 3, "\r\n\r\n", 4) == 0)
                    head_len = k + 1;
            if (!head_len && r->len >= HTTP_HEAD_MAX)
                return HTTP_READ_BAD;
            if (head_len && !parse_head(r->buf, head_len, resp, &body_len))
                return HTTP_READ_BAD;
        }
        if (head_len && r->len >= head_len + body_len) {
            resp->body = r->buf + head_len;
            resp->body_len = body_len;
            r->done = head_len + body_len;
            return HTTP_READ_OK;
        }
        double left = deadline - now_s();
        if (left <= 0)
            return HTTP_READ_TIMEOUT;
        int ready = net_wait(r->fd, POLLIN, left);
        if (ready < 0)
            return HTTP_READ_ERROR;
        if (ready == 0)
            continue;                                /* the deadline, seen above */
        size_t want = head_len ? head_len + body_len : HTTP_HEAD_MAX;
        if (r->cap < want) {
            r->cap = want;
            r->buf = xrealloc(r->buf, r->cap);
        }
        if (r->len == r->cap) {                      /* a pipelined extra: make room */
            r->cap *= 2;
            r->buf = xrealloc(r->buf, r->cap);
        }
        ssize_t got = recv(r->fd, r->buf + r->len, r->cap - r->len, 0);
        if (got == 0 || (got < 0 && errno == ECONNRESET))
            return r->len ? HTTP_READ_HUNG_UP : HTTP_READ_CLOSED;
        if (got < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            return HTTP_READ_ERROR;
        }
        r->len += (size_t)got;
    }
}
