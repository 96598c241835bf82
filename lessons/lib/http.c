/*
 * http.c: the HTTP/1.1 behind http.h. Read the header for what each function promises; the
 * comments here say why it is written the way it is.
 *
 * The parsers walk the buffer line by line from the front on every call. A head is at most
 * 16 KiB, so parsing again when more bytes came costs little, and keeping no state between
 * calls means a poll() loop needs nothing per connection but the bytes themselves.
 */
#include "http.h"

#include "core.h"
#include "net.h"
#include "program.h"
#include "thread_pool.h"

#include <poll.h>
#include <stdatomic.h>
#include <sys/socket.h>

/* ---- characters ------------------------------------------------------------------------ */

/* Not <ctype.h>: its answers depend on the locale, and a protocol's must not. */
static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static bool is_vchar(char c) { return c > ' ' && c < 127; }  /* visible ASCII */

/* A token's characters (RFC 9110 5.6.2): header names and methods. */
static bool is_tchar(char c)
{
    return is_alpha(c) || is_digit(c) || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c));
}

static char lower(char c) { return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c; }

/* Does s[0..n) equal word, ignoring ASCII case? */
static bool same_word(const char *s, size_t n, const char *word)
{
    size_t i = 0;
    for (; i < n && word[i]; i++)
        if (lower(s[i]) != word[i])
            return false;
    return i == n && word[i] == '\0';
}

/* ---- lines ----------------------------------------------------------------------------- */

enum line { LINE_WHOLE, LINE_MORE, LINE_BARE_LF, LINE_STRAY_CR, LINE_TOO_LONG };

/* The line starting at buf[pos]: LINE_WHOLE with its end (the CR) in *end, or why not. At
 * most `cap` bytes, its CRLF included, are looked at: a line that does not end within them
 * is too long, whatever comes after. So the verdict on a line depends only on bytes both a
 * whole buffer and a piece of it agree on: feeding in pieces changes nothing. */
static enum line find_line(const char *buf, size_t len, size_t pos, size_t cap, size_t *end)
{
    for (size_t i = pos; i < len; i++) {
        if (i - pos >= cap)
            return LINE_TOO_LONG;
        if (buf[i] == '\n')
            return LINE_BARE_LF;
        if (buf[i] == '\r') {
            if (i + 2 - pos > cap)
                return LINE_TOO_LONG;     /* even with its LF: before looking for it */
            if (i + 1 == len)
                return LINE_MORE;
            if (buf[i + 1] != '\n')
                return LINE_STRAY_CR;
            *end = i;
            return LINE_WHOLE;
        }
    }
    return len - pos >= cap ? LINE_TOO_LONG : LINE_MORE;
}

/* A header line "Name: value" in buf[pos..end): the name and the value without the spaces
 * around it. False if it is not one. */
static bool split_header(const char *buf, size_t pos, size_t end, size_t *name_len,
                         const char **value, size_t *value_len)
{
    size_t i = pos;
    while (i < end && is_tchar(buf[i]))
        i++;
    if (i == pos || i == end || buf[i] != ':')
        return false;                     /* no name, or a space (or else) before the colon */
    *name_len = i - pos;
    for (size_t j = i + 1; j < end; j++)
        if (buf[j] != ' ' && buf[j] != '\t' && !is_vchar(buf[j]) && (unsigned char)buf[j] < 128)
            return false;                 /* a control byte (bytes >= 128 pass: obs-text) */
    i++;
    while (i < end && (buf[i] == ' ' || buf[i] == '\t'))
        i++;
    size_t e = end;
    while (e > i && (buf[e - 1] == ' ' || buf[e - 1] == '\t'))
        e--;
    *value = buf + i;
    *value_len = e - i;
    return true;
}

/* Does a Connection value ("close", "keep-alive, Upgrade") name `word`? */
static bool connection_has(const char *v, size_t n, const char *word)
{
    size_t i = 0;
    while (i < n) {
        size_t start = i;
        while (i < n && v[i] != ',')
            i++;
        size_t s = start, e = i;
        while (s < e && (v[s] == ' ' || v[s] == '\t'))
            s++;
        while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
            e--;
        if (same_word(v + s, e - s, word))
            return true;
        i++;
    }
    return false;
}

/* A Content-Length: digits only. Saturates far above any limit instead of overflowing. */
static bool parse_length(const char *v, size_t n, long *out)
{
    if (n == 0)
        return false;
    long x = 0;
    for (size_t i = 0; i < n; i++) {
        if (!is_digit(v[i]))
            return false;
        x = x > 100000000L ? x : x * 10 + (v[i] - '0');
    }
    *out = x;
    return true;
}

/* "HTTP/1.1" -> 11, "HTTP/1.0" -> 10, "HTTP/d.d" otherwise -> 0 (505), anything else -> -1. */
static int parse_version(const char *s, size_t n)
{
    if (n != 8 || memcmp(s, "HTTP/", 5) != 0 || !is_digit(s[5]) || s[6] != '.' ||
        !is_digit(s[7]))
        return -1;
    int v = (s[5] - '0') * 10 + (s[7] - '0');
    return v == 10 || v == 11 ? v : 0;
}

/* ---- the head: what requests and responses share ------------------------------------------ */

/* What the header lines said. */
struct headers {
    int hosts, lengths;
    long content_length;
    bool close, keep_alive, transfer_encoding;
    const char *type;
    size_t type_len;
};

/* Walks the header lines from pos to the empty line. 1: done, *head_end after it. 0: more
 * bytes needed. -1: an error, *status and *why set. */
static int parse_headers(const char *buf, size_t len, size_t pos, struct headers *h,
                         size_t *head_end, int *status, const char **why)
{
    for (;;) {
        size_t cap = HTTP_HEAD_MAX - pos < HTTP_LINE_MAX ? HTTP_HEAD_MAX - pos : HTTP_LINE_MAX;
        size_t end;
        enum line got = find_line(buf, len, pos, cap, &end);
        if (got == LINE_MORE)
            return 0;
        *status = 400;
        if (got == LINE_TOO_LONG) {
            *status = 413;
            *why = "header block too large";
            return -1;
        }
        if (got != LINE_WHOLE) {
            *why = got == LINE_BARE_LF ? "bare LF (lines end in CRLF)" : "CR without LF";
            return -1;
        }
        if (end == pos) {                        /* the empty line: the head is whole */
            *head_end = end + 2;
            return 1;
        }
        if (end + 2 + 2 > HTTP_HEAD_MAX) {       /* no room left for the empty line */
            *status = 413;
            *why = "header block too large";
            return -1;
        }
        size_t name_len, value_len;
        const char *value;
        if (buf[pos] == ' ' || buf[pos] == '\t') {
            *why = "folded header line";
            return -1;
        }
        if (!split_header(buf, pos, end, &name_len, &value, &value_len)) {
            *why = "malformed header line";
            return -1;
        }
        const char *name = buf + pos;
        if (same_word(name, name_len, "host")) {
            h->hosts++;
        } else if (same_word(name, name_len, "content-length")) {
            if (++h->lengths > 1 || !parse_length(value, value_len, &h->content_length)) {
                *why = h->lengths > 1 ? "more than one Content-Length" : "bad Content-Length";
                return -1;
            }
        } else if (same_word(name, name_len, "transfer-encoding")) {
            h->transfer_encoding = true;
        } else if (same_word(name, name_len, "connection")) {
            h->close = h->close || connection_has(value, value_len, "close");
            h->keep_alive = h->keep_alive || connection_has(value, value_len, "keep-alive");
        } else if (same_word(name, name_len, "content-type")) {
            h->type = value;
            h->type_len = value_len;
        }
        pos = end + 2;
    }
}

/* ---- requests ---------------------------------------------------------------------------- */

static enum http_parse request_error(struct http_request *req, int status, const char *why)
{
    req->error = status;
    req->why = why;
    return HTTP_PARSE_ERROR;
}

/* The request line buf[0..end): fills method, path, query, version. */
static enum http_parse request_line(const char *buf, size_t end, struct http_request *req)
{
    size_t i = 0;
    while (i < end && is_tchar(buf[i]))
        i++;
    if (i == 0 || i == end || buf[i] != ' ')
        return request_error(req, 400, "malformed method");
    if (i >= HTTP_METHOD_MAX)
        return request_error(req, 501, "method too long");
    memcpy(req->method, buf, i);
    req->method[i] = '\0';
    size_t t = ++i;
    while (i < end && is_vchar(buf[i]))
        i++;
    if (i == t || i == end || buf[i] != ' ')
        return request_error(req, 400, "malformed request target");
    if (buf[t] != '/')
        return request_error(req, 400, "the target must start with /");
    const char *q = memchr(buf + t, '?', i - t);
    size_t path_len = (size_t)((q ? q : buf + i) - (buf + t));
    memcpy(req->path, buf + t, path_len);
    req->path[path_len] = '\0';
    size_t query_len = q ? (size_t)(buf + i - (q + 1)) : 0;
    memcpy(req->query, q ? q + 1 : "", query_len);
    req->query[query_len] = '\0';
    i++;
    req->version = parse_version(buf + i, end - i);
    if (req->version < 0)
        return request_error(req, 400, "malformed HTTP version");
    if (req->version == 0)
        return request_error(req, 505, "HTTP version not 1.0 or 1.1");
    return HTTP_PARSE_DONE;
}

enum http_parse http_parse_request(const char *buf, size_t len, struct http_request *req)
{
    *req = (struct http_request){ .version = 0 };
    size_t end;
    enum line got = find_line(buf, len, 0, HTTP_LINE_MAX, &end);
    if (got == LINE_MORE)
        return HTTP_PARSE_INCOMPLETE;
    if (got == LINE_TOO_LONG)
        return request_error(req, 413, "request line too long");
    if (got != LINE_WHOLE)
        return request_error(req, 400, got == LINE_BARE_LF ? "bare LF (lines end in CRLF)"
                                                           : "CR without LF");
    if (request_line(buf, end, req) != HTTP_PARSE_DONE)
        return HTTP_PARSE_ERROR;

    struct headers h = { 0 };
    size_t head_end;
    int status;
    const char *why;
    int rc = parse_headers(buf, len, end + 2, &h, &head_end, &status, &why);
    if (rc == 0)
        return HTTP_PARSE_INCOMPLETE;
    if (rc < 0)
        return request_error(req, status, why);
    if (h.transfer_encoding)
        return request_error(req, 501, "Transfer-Encoding is not supported");
    if (req->version == 11 && h.hosts != 1)
        return request_error(req, 400, h.hosts ? "more than one Host" : "no Host (HTTP/1.1)");
    if (h.hosts > 1)
        return request_error(req, 400, "more than one Host");
    if (h.content_length > HTTP_BODY_MAX)
        return request_error(req, 413, "body too large");
    req->keep_alive = !h.close && (req->version == 11 || h.keep_alive);
    req->content_length = h.content_length;
    req->head_size = head_end;
    if (len - head_end < (size_t)h.content_length)
        return HTTP_PARSE_INCOMPLETE;
    req->size = head_end + (size_t)h.content_length;
    req->body = h.content_length ? buf + head_end : NULL;
    return HTTP_PARSE_DONE;
}

int http_query_long(const char *query, const char *name, long min, long max, long *out)
{
    size_t name_len = strlen(name);
    int found = 0;
    for (const char *p = query; *p;) {
        const char *amp = strchr(p, '&');
        size_t n = amp ? (size_t)(amp - p) : strlen(p);
        if (n > name_len && memcmp(p, name, name_len) == 0 && p[name_len] == '=') {
            const char *v = p + name_len + 1;
            size_t vn = n - name_len - 1;
            long x = 0;
            bool ok = found == 0 && vn > 0 && vn <= 18 && !(v[0] == '0' && vn > 1);
            for (size_t i = 0; ok && i < vn; i++) {
                ok = is_digit(v[i]);
                x = x * 10 + (v[i] - '0');
            }
            if (!ok || x < min || x > max)
                return -1;
            *out = x;
            found = 1;
        } else if (n == name_len && memcmp(p, name, name_len) == 0) {
            return -1;                                     /* "k" without a value */
        }
        p += n + (amp != NULL);
    }
    return found;
}

/* ---- responses ----------------------------------------------------------------------------- */

const char *http_reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 413: return "Content Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
    }
}

size_t http_format_response(char *buf, size_t size, const struct http_reply *r)
{
    int n = snprintf(buf, size,
                     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                     "Connection: %s\r\n%s%s%s\r\n",
                     r->status, http_reason(r->status),
                     r->content_type ? r->content_type : "text/plain; charset=utf-8",
                     r->body_len, r->keep_alive ? "keep-alive" : "close",
                     r->allow ? "Allow: " : "", r->allow ? r->allow : "", r->allow ? "\r\n" : "");
    if (n < 0)
        die("http_format_response: snprintf failed");
    size_t head = (size_t)n, body = r->head_only || !r->body ? 0 : r->body_len;
    if (head + body < size)
        memcpy(buf + head, r->body, body);
    return head + body;
}

size_t http_format_request(char *buf, size_t size, const char *method, const char *target,
                           int port, bool keep_alive)
{
    bool post = strcmp(method, "POST") == 0;
    int n = snprintf(buf, size, "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n%s%s\r\n", method,
                     target, port, keep_alive ? "" : "Connection: close\r\n",
                     post ? "Content-Length: 0\r\n" : "");
    if (n < 0)
        die("http_format_request: snprintf failed");
    return (size_t)n;
}

static enum http_parse response_error(struct http_response *resp, const char *why)
{
    resp->why = why;
    return HTTP_PARSE_ERROR;
}

enum http_parse http_parse_response(const char *buf, size_t len, bool head_request, bool eof,
                                    struct http_response *resp)
{
    *resp = (struct http_response){ .content_length = -1 };
    size_t end;
    enum line got = find_line(buf, len, 0, HTTP_LINE_MAX, &end);
    if (got == LINE_MORE)
        return HTTP_PARSE_INCOMPLETE;
    if (got != LINE_WHOLE)
        return response_error(resp, got == LINE_TOO_LONG ? "status line too long"
                                                         : "malformed status line");
    /* HTTP/1.1 SP 3DIGIT SP reason (the reason may be empty, its space too) */
    resp->version = end >= 8 ? parse_version(buf, 8) : -1;
    if (resp->version <= 0 || end < 12 || buf[8] != ' ' || !is_digit(buf[9]) ||
        !is_digit(buf[10]) || !is_digit(buf[11]) || (end > 12 && buf[12] != ' '))
        return response_error(resp, "malformed status line");
    resp->status = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + (buf[11] - '0');
    if (resp->status < 200 || resp->status > 599)
        return response_error(resp, "status not 200..599 (1xx is not handled)");

    struct headers h = { 0 };
    size_t head_end;
    int status;
    const char *why;
    int rc = parse_headers(buf, len, end + 2, &h, &head_end, &status, &why);
    if (rc == 0)
        return HTTP_PARSE_INCOMPLETE;
    if (rc < 0)
        return response_error(resp, why);
    if (h.transfer_encoding)
        return response_error(resp, "Transfer-Encoding (chunked) is not handled");
    if (h.lengths && h.content_length > HTTP_BODY_MAX)
        return response_error(resp, "body too large");
    size_t type_len = h.type_len < HTTP_TYPE_MAX - 1 ? h.type_len : HTTP_TYPE_MAX - 1;
    memcpy(resp->content_type, h.type ? h.type : "", type_len);
    resp->content_type[type_len] = '\0';
    resp->head_size = head_end;
    resp->keep_alive = !h.close && (resp->version == 11 || h.keep_alive);
    resp->content_length = h.lengths ? h.content_length : -1;
    size_t body;
    if (head_request || resp->status == 204 || resp->status == 304) {
        body = 0;
    } else if (h.lengths) {
        body = (size_t)h.content_length;
        if (len - head_end < body)
            return HTTP_PARSE_INCOMPLETE;
    } else {                              /* no length: the body ends when the peer closes */
        resp->keep_alive = false;
        if (len - head_end > HTTP_BODY_MAX)
            return response_error(resp, "body too large");
        if (!eof)
            return HTTP_PARSE_INCOMPLETE;
        body = len - head_end;
    }
    resp->body = buf + head_end;
    resp->body_len = body;
    resp->size = head_end + body;
    return HTTP_PARSE_DONE;
}

/* ---- blocking I/O ---------------------------------------------------------------------------- */

const char *http_read_name(enum http_read r)
{
    static const char *const names[] = { "ok", "closed", "hung up", "timeout", "bad", "stop",
                                         "error" };
    return (unsigned)r < sizeof names / sizeof *names ? names[r] : "?";
}

/* Drops the message the last read returned: what follows it moves to the front. */
static void drop_done(struct http_conn *c)
{
    c->len -= c->done;
    memmove(c->buf, c->buf + c->done, c->len);
    c->done = 0;
}

/* Waits (until deadline) for bytes or the stop pipe, and reads what came. HTTP_READ_OK: some
 * bytes (or, with c->stopping now set, perhaps none); CLOSED: end of input. */
static enum http_read fill(struct http_conn *c, double deadline)
{
    for (;;) {
        if (c->len == sizeof c->buf)
            return HTTP_READ_BAD;                 /* cannot happen: the parser stops first */
        double left = deadline - now_s();
        if (left <= 0)
            return HTTP_READ_TIMEOUT;
        struct pollfd fds[2] = { { .fd = c->fd, .events = POLLIN },
                                 { .fd = c->stop_fd, .events = POLLIN } };
        int ms = (int)ceil(left * 1000.0);
        if (poll(fds, c->stop_fd >= 0 ? 2 : 1, ms) < 0) {
            if (errno == EINTR)
                continue;
            return HTTP_READ_ERROR;
        }
        if (c->stop_fd >= 0 && fds[1].revents != 0)
            c->stopping = true;        /* take in what has arrived (one read), then stop */
        if (fds[0].revents == 0) {
            if (c->stopping)
                return HTTP_READ_OK;
            continue;
        }
        ssize_t got = recv(c->fd, c->buf + c->len, sizeof c->buf - c->len,
                           c->stopping ? MSG_DONTWAIT : 0);
        if (got == 0 || (got < 0 && errno == ECONNRESET))
            return HTTP_READ_CLOSED;
        if (got < 0) {
            if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
                continue;
            return HTTP_READ_ERROR;
        }
        c->len += (size_t)got;
        return HTTP_READ_OK;
    }
}

enum http_read http_read_request(struct http_conn *c, struct http_request *req, double deadline)
{
    drop_done(c);
    for (bool last_look = false;; ) {
        if (c->len > 0) {
            enum http_parse p = http_parse_request(c->buf, c->len, req);
            if (p == HTTP_PARSE_DONE) {
                c->done = req->size;
                return HTTP_READ_OK;
            }
            if (p == HTTP_PARSE_ERROR)
                return HTTP_READ_BAD;
        }
        if (last_look)
            return HTTP_READ_STOP;
        enum http_read r = fill(c, deadline);
        if (r == HTTP_READ_CLOSED)
            return c->len ? HTTP_READ_HUNG_UP : HTTP_READ_CLOSED;
        if (r == HTTP_READ_BAD) {
            *req = (struct http_request){ .error = 413, .why = "request too large" };
            return r;
        }
        if (r != HTTP_READ_OK)
            return r;
        last_look = c->stopping;
    }
}

enum http_read http_read_response(struct http_conn *c, struct http_response *resp,
                                  bool head_request, double deadline)
{
    drop_done(c);
    for (bool eof = false, last_look = false;;) {
        if (c->len > 0 || eof) {
            enum http_parse p = http_parse_response(c->buf, c->len, head_request, eof, resp);
            if (p == HTTP_PARSE_DONE) {
                c->done = resp->size;
                return HTTP_READ_OK;
            }
            if (p == HTTP_PARSE_ERROR)
                return HTTP_READ_BAD;
            if (eof)
                return c->len ? HTTP_READ_HUNG_UP : HTTP_READ_CLOSED;
        }
        if (last_look)
            return HTTP_READ_STOP;
        enum http_read r = fill(c, deadline);
        if (r == HTTP_READ_BAD) {
            resp->why = "response too large";
            return r;
        }
        if (r != HTTP_READ_OK && r != HTTP_READ_CLOSED)
            return r;
        eof = r == HTTP_READ_CLOSED;
        last_look = c->stopping;
    }
}

/* ---- the load client --------------------------------------------------------------------- */

enum kind { GOOD, GARBAGE, OVERSIZED, SILENT, SLOW };
static const char *const kind_names[] = { "good", "garbage", "oversized", "silent", "slow" };
static const int expected_status[] = { 200, 400, 413, 408, 0 };

struct load_client {
    const struct http_load *load;
    long id;
    enum kind kind;
    atomic_long *ready;      /* slow clients: counts them in once connected and asking */
    /* Written only by the task that runs this client; read after the pool is joined. */
    long sent, answered, refused, wrong;
    bool rejected;           /* a bad client that got its status; a slow one that was cut */
    double waited;           /* connect to the first answer (-1: none) */
    double finished;
    char note[160];
};

/* A slow client is in line (or could not get there): the others may start. */
static void signal_ready(struct load_client *cl)
{
    if (cl->ready)
        atomic_fetch_add(cl->ready, 1);
    cl->ready = NULL;
}

/* Sends one request of the client's; reads the answer into *resp. */
static enum http_read exchange(struct load_client *cl, struct http_conn *c, long r,
                               struct http_response *resp)
{
    char method[16] = "GET", target[256] = "/", req[400];
    cl->load->request(cl->load->ctx, cl->id, r, method, target, sizeof target);
    size_t n = http_format_request(req, sizeof req, method, target, cl->load->port, true);
    bool sent = n < sizeof req && net_send_all(c->fd, req, n);
    signal_ready(cl);
    if (!sent)
        return HTTP_READ_ERROR;
    cl->sent++;
    return http_read_response(c, resp, strcmp(method, "HEAD") == 0,
                              now_s() + cl->load->timeout);
}

static void note(struct load_client *cl, const char *what, const struct http_response *resp,
                 enum http_read got)
{
    char shown[100];
    if (got == HTTP_READ_OK)
        snprintf(cl->note, sizeof cl->note, "%s: %d \"%s\"", what, resp->status,
                 escape_into(shown, sizeof shown, resp->body, resp->body_len < 60 ? resp->body_len : 60));
    else
        snprintf(cl->note, sizeof cl->note, "%s: %s%s%s", what, http_read_name(got),
                 got == HTTP_READ_BAD ? " " : "", got == HTTP_READ_BAD ? resp->why : "");
    cl->wrong++;
}

static void run_good(struct load_client *cl, struct http_conn *c, struct http_response *resp,
                     double t0)
{
    for (long r = 0; r < cl->load->requests; r++) {
        enum http_read got = exchange(cl, c, r, resp);
        if (got == HTTP_READ_OK && cl->waited < 0)
            cl->waited = now_s() - t0;
        if (got == HTTP_READ_OK && resp->status == 503) {
            cl->refused++;                       /* not done: the server said so */
            return;
        }
        if (got != HTTP_READ_OK || resp->status != 200 ||
            !cl->load->check(cl->load->ctx, cl->id, r, resp->body, resp->body_len)) {
            char what[40];
            snprintf(what, sizeof what, "request %ld", r + 1);
            note(cl, what, resp, got);
            return;
        }
        cl->answered++;
        if (!resp->keep_alive && r + 1 < cl->load->requests) {
            snprintf(cl->note, sizeof cl->note, "the server closed after %ld answers", r + 1);
            cl->wrong++;
            return;
        }
    }
}

/* Good requests, a pause between them, until the server ends the connection. */
static void run_slow(struct load_client *cl, struct http_conn *c, struct http_response *resp)
{
    double t0 = now_s();
    for (long r = 0; now_s() < t0 + cl->load->slow_limit; r++) {
        enum http_read got = exchange(cl, c, r, resp);
        if (got == HTTP_READ_CLOSED || got == HTTP_READ_ERROR) {
            cl->rejected = true;                 /* closed while we paused: cut */
            return;
        }
        if (got != HTTP_READ_OK || resp->status != 200 ||
            !cl->load->check(cl->load->ctx, cl->id, r, resp->body, resp->body_len)) {
            note(cl, "slow request", resp, got);
            return;
        }
        cl->answered++;
        if (!resp->keep_alive) {
            cl->rejected = true;                 /* the server said this was the last one */
            return;
        }
        nap(cl->load->slow_pause);
    }
    snprintf(cl->note, sizeof cl->note, "never cut off within %g s", cl->load->slow_limit);
    cl->wrong++;
}

static void run_bad(struct load_client *cl, struct http_conn *c, struct http_response *resp)
{
    double wait = cl->load->timeout;
    bool sent = true;
    if (cl->kind == GARBAGE) {
        sent = net_send_text(c->fd, "GET / HTTP/1.0\n\n");      /* a bare LF */
    } else if (cl->kind == OVERSIZED) {
        size_t n = HTTP_LINE_MAX + 1000;
        char *big = xmalloc(n);
        memcpy(big, "GET /", 5);
        memset(big + 5, 'x', n - 5);
        sent = net_send_all(c->fd, big, n);
        free(big);
    } else {
        wait += cl->load->silent_wait;                         /* SILENT: say nothing */
    }
    enum http_read got = sent ? http_read_response(c, resp, false, now_s() + wait)
                              : HTTP_READ_ERROR;
    cl->rejected = got == HTTP_READ_OK && resp->status == expected_status[cl->kind] &&
                   !resp->keep_alive;
    if (!cl->rejected) {
        char what[60];
        snprintf(what, sizeof what, "expected %d and a close", expected_status[cl->kind]);
        note(cl, what, resp, got);
    }
}

static int load_task(void *arg, void **result)
{
    (void)result;
    struct load_client *cl = arg;
    double t0 = now_s();
    cl->waited = -1;
    int fd = net_connect(cl->load->port, cl->load->timeout);
    if (fd < 0) {
        signal_ready(cl);
        snprintf(cl->note, sizeof cl->note, "connect: %s", strerror(errno));
    } else {
        net_set_send_timeout(fd, cl->load->timeout);
        struct http_conn *c = xmalloc(sizeof *c);
        struct http_response *resp = xmalloc(sizeof *resp);
        *c = (struct http_conn){ .fd = fd, .stop_fd = -1 };
        if (cl->kind == GOOD)
            run_good(cl, c, resp, t0);
        else if (cl->kind == SLOW)
            run_slow(cl, c, resp);
        else
            run_bad(cl, c, resp);
        close(fd);
        free(resp);
        free(c);
    }
    cl->finished = now_s();
    return 0;
}

void http_load_run(const struct http_load *load, struct http_load_result *res)
{
    long goods = load->clients, bads = 3 * load->bad, n = goods + bads + load->slow;
    struct load_client *list = xcalloc((size_t)n, sizeof *list);
    void **args = xcalloc((size_t)n, sizeof *args);
    for (long i = 0; i < n; i++) {
        enum kind kind = i < goods ? GOOD : i < goods + bads ? (enum kind)(1 + (i - goods) % 3)
                                                             : SLOW;
        list[i] = (struct load_client){ .load = load, .id = i, .kind = kind };
        args[i] = &list[i];
    }
    tp_pool *pool;
    int rc = tp_create(&pool, &(tp_options){ .workers = (int)n, .name_prefix = "client" });
    if (rc != TP_OK)
        die("tp_create (%ld client threads): %s", n, tp_strerror(rc));
    /* The slow clients go first: each connects and sends its first request before anyone
     * else starts, so that they hold the server's workers (a server takes connections in
     * the order they came). The pool has a thread for every client: all run at once. */
    atomic_long ready = 0;
    for (long i = goods + bads; i < n; i++) {
        list[i].ready = &ready;
        if ((rc = tp_submit_detached(pool, load_task, &list[i])) != TP_OK)
            die("tp_submit_detached: %s", tp_strerror(rc));
    }
    while (atomic_load(&ready) < load->slow)
        nap(0.001);
    double t0 = now_s(), last = t0;
    if ((rc = tp_map(pool, load_task, args, (size_t)(goods + bads), 1, NULL, NULL)) != TP_OK)
        die("tp_map: %s", tp_strerror(rc));
    if ((rc = tp_destroy(pool)) != TP_OK)          /* the slow clients end too */
        die("tp_destroy: %s", tp_strerror(rc));

    *res = (struct http_load_result){ .wait_median = NAN };
    double *waits = xcalloc((size_t)goods + 1, sizeof *waits);
    long notes = 0;
    for (long i = 0; i < n; i++) {
        const struct load_client *cl = &list[i];
        if (cl->kind == GOOD) {
            res->sent += cl->sent;
            res->answered += cl->answered;
            res->refused += cl->refused;
            last = fmax(last, cl->finished);
            if (cl->waited >= 0) {
                waits[res->first_answers++] = cl->waited;
                res->wait_max = fmax(res->wait_max, cl->waited);
            }
        } else if (cl->kind == SLOW) {
            res->slow_answered += cl->answered;
            res->slow_cut += cl->rejected;
        } else {
            res->bad_sent++;
            res->rejected += cl->rejected;
        }
        res->wrong += cl->wrong;
        if (cl->note[0] && notes++ < 10)
            printf("client %ld (%s): %s\n", cl->id, kind_names[cl->kind], cl->note);
    }
    if (res->first_answers > 0)
        res->wait_median = median(waits, res->first_answers);
    res->seconds = last - t0;
    free(waits);
    free(args);
    free(list);
}
