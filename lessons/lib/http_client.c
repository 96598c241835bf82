/*
 * http_client.c: the counter client behind http_client.h. Read the header for what each
 * function promises; the comments here say why it is written the way it is.
 */
#include "http_client.h"

#include "net.h"
#include "program.h"

#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

bool http_fetch(struct http_conn *c, struct http_response *resp, int port, const char *method,
                const char *target, double timeout)
{
    char req[200];
    size_t n = http_format_request(req, sizeof req, method, target, port, true);
    return n < sizeof req && net_send_all(c->fd, req, n) &&
           http_read_response(c, resp, strcmp(method, "HEAD") == 0, now_s() + timeout) ==
               HTTP_READ_OK &&
           resp->status == 200;
}

int http_fetch_text(int port, const char *target, double timeout, char *text, size_t size)
{
    int fd = net_connect(port, timeout);
    text[0] = '\0';
    if (fd < 0) {
        printf("client: GET %s: connect: %s\n", target, strerror(errno));
        return 0;
    }
    struct http_conn *c = xmalloc(sizeof *c);
    struct http_response *resp = xmalloc(sizeof *resp);
    *c = (struct http_conn){ .fd = fd, .stop_fd = -1 };
    char req[200];
    size_t n = http_format_request(req, sizeof req, "GET", target, port, false);
    enum http_read got = n < sizeof req && net_send_all(fd, req, n)
                             ? http_read_response(c, resp, false, now_s() + timeout)
                             : HTTP_READ_ERROR;
    int status = 0;
    if (got == HTTP_READ_OK) {
        size_t len = resp->body_len < size ? resp->body_len : size - 1;
        memcpy(text, resp->body, len);
        text[len] = '\0';
        status = resp->status;
    } else {
        printf("client: GET %s: no answer (%s)\n", target, http_read_name(got));
    }
    close(fd);
    free(resp);
    free(c);
    return status;
}

long client_room_for_files(long want)
{
    unsigned long hard = 0;
    if (net_room_for_files(want, &hard))
        return want;
    if (!net_room_for_files((long)hard, &hard))
        die("cannot raise the open-files limit to %lu", hard);
    return (long)hard;
}

/* ---- the /add load -------------------------------------------------------------------- */

/* What the load's clients record. Each client writes only its own slots. */
struct counter_ctx {
    long clients, requests;
    long long *totals;       /* good client i's r-th total at [i * requests + r] */
    long long *sums;         /* per client (slow ones too): the sum of its answered k */
    long long *largest;      /* per client: the largest total it was told */
    double *sent_at;         /* with latency: per client, when its request went out */
    double *latency;         /* with latency: [i * requests + r], request to answer */
};

static long k_of(const struct counter_ctx *cx, long i, long r)
{
    return i >= cx->clients ? 1 : 1 + (i * 7919L + r * 104729L) % 1000;
}

static void add_request(void *ctx, long i, long r, char *method, char *target, size_t size)
{
    struct counter_ctx *cx = ctx;
    strcpy(method, r % 2 ? "POST" : "GET");
    snprintf(target, size, "/add?k=%ld", k_of(cx, i, r));
    if (cx->sent_at)
        cx->sent_at[i] = now_s();     /* called just before the request is sent */
}

/* The answer must be "total=T\n" with T at least our k. */
static bool add_check(void *ctx, long i, long r, const char *body, size_t len)
{
    struct counter_ctx *cx = ctx;
    char text[48];
    long long total;
    long k = k_of(cx, i, r);
    int end = 0;
    if (len >= sizeof text)
        return false;
    memcpy(text, body, len);
    text[len] = '\0';
    if (sscanf(text, "total=%lld\n%n", &total, &end) != 1 || (size_t)end != len || total < k)
        return false;
    cx->sums[i] += k;
    cx->largest[i] = total > cx->largest[i] ? total : cx->largest[i];
    if (i < cx->clients) {
        cx->totals[i * cx->requests + r] = total;
        if (cx->latency)
            cx->latency[i * cx->requests + r] = now_s() - cx->sent_at[i];
    }
    return true;
}

static int by_total(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return (x > y) - (x < y);
}

static int by_seconds(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void counter_load_run(const struct counter_load *load, struct counter_run *run)
{
    long n = load->clients + 3 * load->bad + load->slow;
    long slots = load->clients * load->requests;
    struct counter_ctx cx = { .clients = load->clients, .requests = load->requests,
                              .totals = xcalloc((size_t)slots, sizeof *cx.totals),
                              .sums = xcalloc((size_t)n, sizeof *cx.sums),
                              .largest = xcalloc((size_t)n, sizeof *cx.largest) };
    if (load->latency) {
        cx.sent_at = xcalloc((size_t)n, sizeof *cx.sent_at);
        cx.latency = xcalloc((size_t)slots, sizeof *cx.latency);
    }
    struct http_load hl = { .port = load->port, .clients = load->clients,
                            .requests = load->requests, .bad = load->bad, .slow = load->slow,
                            .timeout = load->timeout, .silent_wait = load->idle_timeout,
                            .slow_pause = load->idle_timeout / 2,
                            .slow_limit = load->max_hold + load->timeout,
                            .request = add_request, .check = add_check, .ctx = &cx };
    *run = (struct counter_run){ .lat_median = NAN };
    http_load_run(&hl, &run->res);
    for (long i = 0; i < n; i++) {
        run->sum += cx.sums[i];
        run->largest = cx.largest[i] > run->largest ? cx.largest[i] : run->largest;
    }
    /* Every add makes the counter grow, so no two answers may carry the same total. */
    qsort(cx.totals, (size_t)slots, sizeof *cx.totals, by_total);
    for (long i = 1; i < slots; i++)
        run->duplicates += cx.totals[i] != 0 && cx.totals[i] == cx.totals[i - 1];
    run->res.wrong += run->duplicates;
    if (load->latency) {
        qsort(cx.latency, (size_t)slots, sizeof *cx.latency, by_seconds);
        double *lat = cx.latency;
        while (slots > 0 && lat[0] == 0)   /* unanswered: 0, sorted first */
            lat++, slots--;
        if (slots > 0) {
            run->timed = slots;
            run->lat_median = lat[slots / 2];
            run->lat_p99 = lat[(slots * 99) / 100 < slots ? (slots * 99) / 100 : slots - 1];
            run->lat_max = lat[slots - 1];
        }
    }
    free(cx.totals);
    free(cx.sums);
    free(cx.largest);
    free(cx.sent_at);
    free(cx.latency);
}

bool counter_load_report(const struct counter_run *run, const struct counter_load *load)
{
    const struct http_load_result *r = &run->res;
    long expected = load->clients * load->requests;
    if (run->timed > 0)
        printf("client: request to answer: median %.3f ms, 99th percentile %.3f ms, longest "
               "%.3f ms\n", run->lat_median * 1e3, run->lat_p99 * 1e3, run->lat_max * 1e3);
    if (r->refused > 0)
        printf("client: %ld requests refused with 503 (the server was shutting down or full)\n",
               r->refused);
    if (r->bad_sent > 0)
        printf("client: %ld of %ld bad clients got their status (bare LF: 400, oversized: 413, "
               "silent: 408)\n", r->rejected, r->bad_sent);
    if (load->slow > 0)
        printf("client: %ld of %ld slow clients were cut off at --max-hold, after %ld answers "
               "between them\n", r->slow_cut, load->slow, r->slow_answered);
    if (load->wait_for && r->first_answers > 0)
        printf("client: %ld good clients waited for %s (connect to first answer): median "
               "%.3f s, longest %.3f s\n", r->first_answers, load->wait_for, r->wait_median,
               r->wait_max);
    if (r->first_answers < load->clients)
        printf("client: %ld good clients got no answer within --timeout %g s\n",
               load->clients - r->first_answers, load->timeout);
    return r->sent == expected && r->answered == expected && r->rejected == r->bad_sent &&
           r->slow_cut == load->slow && r->wrong == 0;
}

/* ---- idle connections ------------------------------------------------------------------ */

long idle_hold(int port, long *target, double timeout, int *fds)
{
    long n = *target, asked = n, limit = client_room_for_files(n + 64);
    if (limit < n + 64) {
        n = *target = limit > 64 ? limit - 64 : 0;
        printf("idle: the hard limit on open files is %ld: holding %ld idle connections, not "
               "%ld (raise it: ulimit -Hn, as root)\n", limit, n, asked);
    }
    char req[200], head[1024];
    size_t len = http_format_request(req, sizeof req, "HEAD", "/", port, true);
    long held = 0;
    for (; held < n; held++) {
        int fd = net_connect(port, timeout);
        if (fd < 0) {
            printf("idle: connection %ld: connect: %s\n", held + 1, strerror(errno));
            break;
        }
        /* The head only (a HEAD has no body): no http_conn of 32 KiB per connection. */
        size_t got = 0;
        double end = now_s() + timeout;
        bool sent = net_send_all(fd, req, len);
        head[0] = '\0';
        while (sent && !strstr(head, "\r\n\r\n") && got < sizeof head - 1 &&
               net_wait(fd, POLLIN, end - now_s()) > 0) {
            ssize_t r = recv(fd, head + got, sizeof head - 1 - got, 0);
            if (r <= 0)
                break;
            head[got += (size_t)r] = '\0';
        }
        if (strncmp(head, "HTTP/1.1 200 ", 13) != 0 || !strstr(head, "\r\n\r\n")) {
            printf("idle: connection %ld: no answer to HEAD /\n", held + 1);
            close(fd);
            break;
        }
        fds[held] = fd;
    }
    return held;
}

/* The child waits for the port, holds, says how many, and lets go when the go pipe closes
 * (or the parent dies: the same end of file). */
void idle_holder_start(struct idle_holder *h, long n, double timeout)
{
    int go[2], told[2];
    if (pipe(go) != 0 || pipe(told) != 0)
        die_errno("pipe");
    fflush(stdout);
    if ((h->pid = fork()) < 0)
        die_errno("fork");
    if (h->pid == 0) {
        die_in_forked_child();
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        close(go[1]);
        close(told[0]);
        int port;
        if (read(go[0], &port, sizeof port) != sizeof port)
            _exit(0);
        int *fds = xcalloc((size_t)n, sizeof *fds);
        long said[2] = { idle_hold(port, &n, timeout, fds), n };
        fflush(stdout);
        if (write(told[1], said, sizeof said) != sizeof said)
            _exit(1);
        char byte;
        while (read(go[0], &byte, 1) > 0)
            ;
        _exit(0);                             /* the kernel closes every descriptor */
    }
    close(go[0]);
    close(told[1]);
    h->go = go[1];
    h->told = told[0];
}

long idle_holder_hold(struct idle_holder *h, int port, long *target, double timeout)
{
    long said[2] = { 0, *target };
    if (write(h->go, &port, sizeof port) != sizeof port ||
        net_wait(h->told, POLLIN, timeout + 0.002 * (double)*target) <= 0 ||
        read(h->told, said, sizeof said) != sizeof said)
        printf("idle: the child holding the idle connections did not answer\n");
    *target = said[1];
    return said[0];
}

void idle_holder_release(struct idle_holder *h)
{
    close(h->go);
    close(h->told);
    int status;
    while (waitpid(h->pid, &status, 0) < 0 && errno == EINTR)
        ;
}

/* ---- the stall probe ------------------------------------------------------------------- */

void stall_probe_run(int port, double block, double timeout, struct stall_probe *p)
{
    struct http_conn *q = xmalloc(sizeof *q), *s = xmalloc(sizeof *s);
    struct http_response *resp = xmalloc(sizeof *resp);
    *q = (struct http_conn){ .fd = net_connect(port, timeout), .stop_fd = -1 };
    *s = (struct http_conn){ .fd = net_connect(port, timeout), .stop_fd = -1 };
    *p = (struct stall_probe){ .ok = q->fd >= 0 && s->fd >= 0 };
    double lat[STALL_QUICK], t;
    for (int i = 0; p->ok && i < STALL_QUICK; i++) {
        t = now_s();
        p->ok = http_fetch(q, resp, port, "GET", "/stats", timeout);
        lat[i] = now_s() - t;
        p->alone_max = fmax(p->alone_max, lat[i]);
    }
    if (p->ok) {
        p->alone_median = median(lat, STALL_QUICK);
        char req[200];
        size_t n = http_format_request(req, sizeof req, "GET", "/slow", port, true);
        double t0 = now_s();
        p->ok = net_send_all(s->fd, req, n);
        while (p->ok && net_wait(s->fd, POLLIN, 0) == 0 && now_s() < t0 + block + timeout) {
            t = now_s();
            p->ok = http_fetch(q, resp, port, "GET", "/stats", timeout);
            p->during_max = fmax(p->during_max, now_s() - t);
            p->during_sum += now_s() - t;
            p->during++;
        }
        p->ok = p->ok && http_read_response(s, resp, false, t0 + block + timeout) ==
                             HTTP_READ_OK && resp->status == 200 &&
                resp->body_len > 6 && memcmp(resp->body, "slept=", 6) == 0;
        p->slow_took = now_s() - t0;
    }
    if (!p->ok)
        printf("stall: the probe got no proper answer (a quick GET /stats or the GET /slow)\n");
    if (q->fd >= 0)
        close(q->fd);
    if (s->fd >= 0)
        close(s->fd);
    free(resp);
    free(q);
    free(s);
}

void stall_probe_report(const struct stall_probe *p, const char *variant, double block)
{
    if (!p->ok)
        return;
    printf("stall: %d quick GET /stats alone: median %.3f ms, longest %.3f ms\n", STALL_QUICK,
           p->alone_median * 1e3, p->alone_max * 1e3);
    printf("stall: while a GET /slow took %.3f s (--block %g): %ld quick answers, mean %.3f ms, "
           "longest %.3f ms\n", p->slow_took, block, p->during,
           p->during > 0 ? p->during_sum / (double)p->during * 1e3 : 0.0, p->during_max * 1e3);
    if (strcmp(variant, "blocking") == 0)
        printf("stall: --variant blocking: the /slow handler slept, and the loop is the only "
               "thread: nobody was served until it returned\n");
    else
        printf("stall: --variant cooperative: the /slow handler set a timer and returned; "
               "the loop served everyone else meanwhile\n");
}
