/*
 * http_test: checks lessons/lib/http.h's parsers and writers, one line per check.
 *
 *   http_test                       every check, and a fuzz run of 3000 inputs
 *   http_test --fuzz 20000 --seed 7 more random inputs, another seed
 *
 * Prints "ok - <check>" or "not ok - <check>" per check and ends with "N passed, M failed";
 * the exit status is 0 iff nothing failed (2: bad usage). No sockets, no threads, no
 * timing: the parsers do no I/O, so every check is a buffer in and a verdict out. Every
 * request is parsed whole and also fed a byte at a time (each prefix parsed, as a poll()
 * loop would as bytes arrive): the first prefix that is not "incomplete" must give the
 * whole buffer's verdict.
 */
#include "harness.h"
#include "http.h"

#include <sys/socket.h>
#include <unistd.h>

static const char *parse_name(enum http_parse p)
{
    return p == HTTP_PARSE_DONE ? "done" : p == HTTP_PARSE_ERROR ? "error" : "incomplete";
}

/* Parses buf[0..len) whole, then prefix by prefix; false (and why, in `why`) if a prefix
 * disagrees. `step` > 1 looks only at every step-th prefix (and the last), for big inputs. */
static bool pieces_agree(const char *buf, size_t len, size_t step, char *why, size_t size)
{
    struct http_request *whole = xmalloc(sizeof *whole), *part = xmalloc(sizeof *part);
    enum http_parse w = http_parse_request(buf, len, whole);
    bool ok = true;
    for (size_t k = 1; k <= len; k = k + step > len && k < len ? len : k + step) {
        enum http_parse p = http_parse_request(buf, k, part);
        if (p == HTTP_PARSE_INCOMPLETE)
            continue;
        if (p != w || part->error != whole->error || part->size != whole->size ||
            part->why != whole->why) {
            snprintf(why, size, "after %zu of %zu bytes: %s %d (%s), whole: %s %d (%s)", k, len,
                     parse_name(p), part->error, part->why ? part->why : "-", parse_name(w),
                     whole->error, whole->why ? whole->why : "-");
            ok = false;
        }
        break;
    }
    free(whole);
    free(part);
    return ok;
}

/* A request that must end in `want` (and, for errors, `status`), whole and in pieces. */
static void expect_request(const char *name, const char *text, enum http_parse want, int status)
{
    struct http_request *req = xmalloc(sizeof *req);
    size_t len = strlen(text);
    enum http_parse got = http_parse_request(text, len, req);
    char why[300] = "";
    bool same = got == want && (want != HTTP_PARSE_ERROR || req->error == status);
    if (!same)
        snprintf(why, sizeof why, "got %s %d (%s)", parse_name(got), req->error,
                 req->why ? req->why : "-");
    else
        same = pieces_agree(text, len, 1, why, sizeof why);
    if (want == HTTP_PARSE_ERROR)
        check(same, "%s -> %d%s%s", name, status, why[0] ? ": " : "", why);
    else
        check(same, "%s -> %s%s%s", name, parse_name(want), why[0] ? ": " : "", why);
    free(req);
}

static void test_good_requests(void)
{
    test_group("good requests");
    struct http_request *r = xmalloc(sizeof *r);
    const char *get = "GET /add?k=5&x=1 HTTP/1.1\r\nHost: 127.0.0.1:7000\r\nUser-Agent: t\r\n\r\n";
    enum http_parse p = http_parse_request(get, strlen(get), r);
    check(p == HTTP_PARSE_DONE && strcmp(r->method, "GET") == 0 && strcmp(r->path, "/add") == 0 &&
              strcmp(r->query, "k=5&x=1") == 0 && r->version == 11 && r->keep_alive &&
              r->content_length == 0 && r->size == strlen(get) && r->body == NULL,
          "GET with a query: method, path, query, version, keep-alive, size");
    long k = 0;
    check(http_query_long(r->query, "k", 1, 1000000, &k) == 1 && k == 5, "query k=5 -> 5");

    const char *post = "POST /add?k=7 HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello";
    p = http_parse_request(post, strlen(post), r);
    check(p == HTTP_PARSE_DONE && r->content_length == 5 && r->size == strlen(post) &&
              r->body && memcmp(r->body, "hello", 5) == 0 && r->head_size == strlen(post) - 5,
          "POST with a body: the body follows the head, size covers both");
    check(http_parse_request(post, strlen(post) - 1, r) == HTTP_PARSE_INCOMPLETE,
          "POST with one body byte missing: incomplete");

    /* Pipelined: two requests back to back; the first takes only its own bytes. */
    const char *two = "GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n";
    p = http_parse_request(two, strlen(two), r);
    size_t first = r->size;
    bool a = p == HTTP_PARSE_DONE && strcmp(r->path, "/a") == 0 && first == strlen(two) / 2;
    p = http_parse_request(two + first, strlen(two) - first, r);
    check(a && p == HTTP_PARSE_DONE && strcmp(r->path, "/b") == 0 &&
              r->size == strlen(two) - first,
          "pipelined: the first request takes its bytes, the second follows");

    expect_request("header value with spaces, tabs and obs-text",
                   "GET / HTTP/1.1\r\nHost: h\r\nX-A: \t a b\xe9 \t\r\n\r\n", HTTP_PARSE_DONE, 0);
    expect_request("header names case-insensitive (hOsT)", "GET / HTTP/1.1\r\nhOsT: h\r\n\r\n",
                   HTTP_PARSE_DONE, 0);
    expect_request("HTTP/1.0 without Host", "GET / HTTP/1.0\r\n\r\n", HTTP_PARSE_DONE, 0);
    expect_request("Content-Length: 0", "POST /add HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n",
                   HTTP_PARSE_DONE, 0);
    expect_request("an unknown method is the server's business (405), not the parser's",
                   "BREW /pot HTTP/1.1\r\nHost: h\r\n\r\n", HTTP_PARSE_DONE, 0);
    free(r);
}

static void test_keep_alive(void)
{
    test_group("keep-alive");
    static const struct { const char *text; bool keep; } cases[] = {
        { "GET / HTTP/1.1\r\nHost: h\r\n\r\n", true },
        { "GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", false },
        { "GET / HTTP/1.1\r\nHost: h\r\nConnection: CLOSE\r\n\r\n", false },
        { "GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade, close\r\n\r\n", false },
        { "GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive\r\n\r\n", true },
        { "GET / HTTP/1.1\r\nHost: h\r\nConnection: closed\r\n\r\n", true },
        { "GET / HTTP/1.0\r\n\r\n", false },
        { "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true },
        { "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", true },
        { "GET / HTTP/1.0\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n", false },
    };
    struct http_request *r = xmalloc(sizeof *r);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        enum http_parse p = http_parse_request(cases[i].text, strlen(cases[i].text), r);
        char shown[120];
        check(p == HTTP_PARSE_DONE && r->keep_alive == cases[i].keep, "keep_alive=%d for \"%s\"",
              cases[i].keep, escape_into(shown, sizeof shown, cases[i].text, 90));
    }
    free(r);
}

static void test_bad_requests(void)
{
    test_group("bad requests");
    static const struct { const char *name, *text; int status; } cases[] = {
        { "bare LF in the request line", "GET / HTTP/1.1\nHost: h\r\n\r\n", 400 },
        { "bare LF in a header", "GET / HTTP/1.1\r\nHost: h\n\r\n", 400 },
        { "CR without LF", "GET / HTTP/1.1\rHost: h\r\n\r\n", 400 },
        { "two spaces after the method", "GET  / HTTP/1.1\r\nHost: h\r\n\r\n", 400 },
        { "no version", "GET /\r\nHost: h\r\n\r\n", 400 },
        { "lowercase version", "GET / http/1.1\r\nHost: h\r\n\r\n", 400 },
        { "version with junk", "GET / HTTP/1.1x\r\nHost: h\r\n\r\n", 400 },
        { "HTTP/2.0", "GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505 },
        { "HTTP/0.9", "GET / HTTP/0.9\r\n\r\n", 505 },
        { "HTTP/1.2", "GET / HTTP/1.2\r\nHost: h\r\n\r\n", 505 },
        { "absolute-form target", "GET http://h/ HTTP/1.1\r\nHost: h\r\n\r\n", 400 },
        { "asterisk target", "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n", 400 },
        { "a control byte in the target", "GET /a\x01 HTTP/1.1\r\nHost: h\r\n\r\n", 400 },
        { "a method with a slash", "G/T / HTTP/1.1\r\nHost: h\r\n\r\n", 400 },
        { "an empty line first", "\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", 400 },
        { "a method of 16 letters", "ABCDEFGHIJKLMNOP / HTTP/1.1\r\nHost: h\r\n\r\n", 501 },
        { "HTTP/1.1 without Host", "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", 400 },
        { "two Hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400 },
        { "a space before the colon", "GET / HTTP/1.1\r\nHost : h\r\n\r\n", 400 },
        { "a header without a colon", "GET / HTTP/1.1\r\nHost: h\r\nJunk\r\n\r\n", 400 },
        { "a header with an empty name", "GET / HTTP/1.1\r\nHost: h\r\n: x\r\n\r\n", 400 },
        { "a folded header line", "GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n", 400 },
        { "a control byte in a value", "GET / HTTP/1.1\r\nHost: h\x7f\r\n\r\n", 400 },
        { "a NUL in a value", "GET / HTTP/1.1\r\nHost: h\r\nX: a\0b\r\n\r\n", 400 },
        { "two Content-Lengths, equal", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n"
                                        "Content-Length: 1\r\n\r\nx", 400 },
        { "Content-Length with a sign", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +1\r\n\r\nx",
          400 },
        { "Content-Length empty", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length:\r\n\r\n", 400 },
        { "Content-Length in hex", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0x1\r\n\r\n",
          400 },
        { "Content-Length as a list", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1, 1\r\n\r\nx",
          400 },
        { "Content-Length past the body limit", "POST / HTTP/1.1\r\nHost: h\r\n"
                                                "Content-Length: 99999999999999999999\r\n\r\n", 413 },
        { "Transfer-Encoding: chunked", "POST / HTTP/1.1\r\nHost: h\r\n"
                                        "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 501 },
        { "Transfer-Encoding and Content-Length", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3"
                                                  "\r\nTransfer-Encoding: chunked\r\n\r\n", 501 },
        { "a line-protocol request (lesson 20 before HTTP)", "ADD 5\r\n", 400 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        /* A NUL inside needs its length given: the texts above hold at most one, in "a\0b". */
        const char *t = cases[i].text;
        if (strstr(cases[i].name, "NUL")) {
            char buf[64];
            const char *head = "GET / HTTP/1.1\r\nHost: h\r\nX: a";
            size_t n = strlen(head);
            memcpy(buf, head, n);
            memcpy(buf + n, "\0b\r\n\r\n", 6);
            struct http_request *r = xmalloc(sizeof *r);
            enum http_parse p = http_parse_request(buf, n + 6, r);
            char why[300] = "";
            bool ok = p == HTTP_PARSE_ERROR && r->error == 400 &&
                      pieces_agree(buf, n + 6, 1, why, sizeof why);
            check(ok, "%s -> 400%s", cases[i].name, why);
            free(r);
            continue;
        }
        expect_request(cases[i].name, t, HTTP_PARSE_ERROR, cases[i].status);
    }
    /* An error shows as soon as its line is whole, with more still to come. */
    struct http_request *r = xmalloc(sizeof *r);
    const char *early = "GET / HTTP/7.0\r\nHost: h\r\n";
    check(http_parse_request(early, strlen(early), r) == HTTP_PARSE_ERROR && r->error == 505,
          "a bad request line is an error before the head is whole");
    free(r);
}

/* A request whose request line is `line_len` bytes (CRLF included). */
static char *request_with_line(size_t line_len)
{
    const char *rest = "Host: h\r\n\r\n";
    size_t fixed = strlen("GET /") + strlen(" HTTP/1.1\r\n");
    char *buf = xmalloc(line_len + strlen(rest) + 1);
    size_t n = 0;
    n += (size_t)sprintf(buf, "GET /");
    memset(buf + n, 'a', line_len - fixed);
    n += line_len - fixed;
    n += (size_t)sprintf(buf + n, " HTTP/1.1\r\n%s", rest);
    return buf;
}

/* A request whose head is `head_len` bytes: filler headers of at most 1000 bytes. */
static char *request_with_head(size_t head_len)
{
    char *buf = xmalloc(head_len + 1);
    size_t n = (size_t)sprintf(buf, "GET / HTTP/1.1\r\nHost: h\r\n");
    while (n < head_len - 2) {
        size_t left = head_len - 2 - n;              /* bytes before the final CRLF */
        size_t line = left > 1000 ? 1000 : left;
        if (left > 1000 && left - 1000 < 6)
            line = left - 6;                         /* leave room for one more header */
        /* "X: " + filler + CRLF */
        n += (size_t)sprintf(buf + n, "X: ");
        memset(buf + n, 'v', line - 5);
        n += line - 5;
        n += (size_t)sprintf(buf + n, "\r\n");
    }
    n += (size_t)sprintf(buf + n, "\r\n");
    return buf;
}

static void test_limits(void)
{
    test_group("limits");
    struct http_request *r = xmalloc(sizeof *r);
    char why[300];
    char *at = request_with_line(HTTP_LINE_MAX), *over = request_with_line(HTTP_LINE_MAX + 1);
    why[0] = '\0';
    check(http_parse_request(at, strlen(at), r) == HTTP_PARSE_DONE && r->size == strlen(at) &&
              pieces_agree(at, strlen(at), 97, why, sizeof why),
          "a request line of exactly %d bytes is taken%s", HTTP_LINE_MAX, why);
    check(http_parse_request(over, strlen(over), r) == HTTP_PARSE_ERROR && r->error == 413 &&
              pieces_agree(over, strlen(over), 1, why, sizeof why),
          "one byte more is 413, also fed a byte at a time%s", why);
    check(http_parse_request(over, HTTP_LINE_MAX, r) == HTTP_PARSE_ERROR && r->error == 413,
          "%d bytes with no line end yet are already 413", HTTP_LINE_MAX);
    check(http_parse_request(over, HTTP_LINE_MAX - 1, r) == HTTP_PARSE_INCOMPLETE,
          "%d bytes with no line end yet are still incomplete", HTTP_LINE_MAX - 1);
    free(at);
    free(over);

    at = request_with_head(HTTP_HEAD_MAX);
    over = request_with_head(HTTP_HEAD_MAX + 1);
    check(strlen(at) == HTTP_HEAD_MAX && strlen(over) == HTTP_HEAD_MAX + 1,
          "the test's heads are %d and %d bytes", HTTP_HEAD_MAX, HTTP_HEAD_MAX + 1);
    check(http_parse_request(at, strlen(at), r) == HTTP_PARSE_DONE && r->size == HTTP_HEAD_MAX &&
              pieces_agree(at, strlen(at), 1, why, sizeof why),
          "a head of exactly %d bytes is taken, whole and a byte at a time%s", HTTP_HEAD_MAX,
          why);
    check(http_parse_request(over, strlen(over), r) == HTTP_PARSE_ERROR && r->error == 413 &&
              pieces_agree(over, strlen(over), 1, why, sizeof why),
          "one byte more is 413, whole and a byte at a time%s", why);
    free(at);
    free(over);

    /* One header line of 9000 bytes: too long a line, though the head would fit. */
    char *big = xmalloc(20000);
    int n = sprintf(big, "GET / HTTP/1.1\r\nHost: h\r\nX: ");
    memset(big + n, 'v', 9000);
    strcpy(big + n + 9000, "\r\n\r\n");
    check(http_parse_request(big, strlen(big), r) == HTTP_PARSE_ERROR && r->error == 413 &&
              pieces_agree(big, strlen(big), 1, why, sizeof why),
          "a header line over %d bytes is 413%s", HTTP_LINE_MAX, why);

    /* Bodies: HTTP_BODY_MAX is taken, one more is 413 as soon as the head says so. */
    for (long len = HTTP_BODY_MAX; len <= HTTP_BODY_MAX + 1; len++) {
        n = sprintf(big, "POST /add HTTP/1.1\r\nHost: h\r\nContent-Length: %ld\r\n\r\n", len);
        memset(big + n, 'b', (size_t)len);
        enum http_parse p = http_parse_request(big, (size_t)n + (size_t)len, r);
        enum http_parse head_only = http_parse_request(big, (size_t)n, r);
        if (len == HTTP_BODY_MAX)
            check(p == HTTP_PARSE_DONE && head_only == HTTP_PARSE_INCOMPLETE,
                  "a body of exactly %ld bytes is taken (incomplete until it is all there)", len);
        else
            check(p == HTTP_PARSE_ERROR && head_only == HTTP_PARSE_ERROR && r->error == 413,
                  "a body of %ld bytes is 413 as soon as the head is whole", len);
    }
    free(big);
    free(r);
}

static void test_query(void)
{
    test_group("query parameters");
    static const struct { const char *query; int want; long value; } cases[] = {
        { "k=5", 1, 5 }, { "a=1&k=1000000&b=2", 1, 1000000 }, { "k=1", 1, 1 },
        { "", 0, 0 }, { "kk=5", 0, 0 }, { "a=k", 0, 0 }, { "k=", -1, 0 }, { "k", -1, 0 },
        { "k=0", -1, 0 }, { "k=1000001", -1, 0 }, { "k=05", -1, 0 }, { "k=+5", -1, 0 },
        { "k=-5", -1, 0 }, { "k=5x", -1, 0 }, { "k=%35", -1, 0 }, { "k=5&k=6", -1, 0 },
        { "k= 5", -1, 0 }, { "k=99999999999999999999999", -1, 0 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        long v = -7;
        int got = http_query_long(cases[i].query, "k", 1, 1000000, &v);
        check(got == cases[i].want && (got != 1 || v == cases[i].value),
              "k in \"%s\": %d (got %d, %ld)", cases[i].query, cases[i].want, got, v);
    }
}

static void test_responses(void)
{
    test_group("responses");
    char buf[1024];
    size_t n = http_format_response(buf, sizeof buf, &(struct http_reply){
        .status = 200, .keep_alive = true, .body = "total=5\n", .body_len = 8 });
    const char *want = "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n"
                       "Content-Length: 8\r\nConnection: keep-alive\r\n\r\ntotal=5\n";
    check(n == strlen(want) && memcmp(buf, want, n) == 0, "a 200 with a body, keep-alive");
    n = http_format_response(buf, sizeof buf, &(struct http_reply){
        .status = 405, .allow = "GET, POST", .body = "no\n", .body_len = 3 });
    check(n < sizeof buf && strstr(buf, "HTTP/1.1 405 Method Not Allowed\r\n") == buf &&
              strstr(buf, "\r\nAllow: GET, POST\r\n") && strstr(buf, "\r\nConnection: close\r\n"),
          "a 405 carries Allow and Connection: close");
    n = http_format_response(buf, sizeof buf, &(struct http_reply){
        .status = 200, .keep_alive = true, .body = "abc", .body_len = 3, .head_only = true });
    check(n < sizeof buf && strstr(buf, "Content-Length: 3\r\n") &&
              memcmp(buf + n - 4, "\r\n\r\n", 4) == 0,
          "HEAD: Content-Length of the body, no body");
    check(http_format_response(buf, 20, &(struct http_reply){ .status = 200 }) >= 20,
          "too small a buffer: the length it needs, >= size");
    static const int codes[] = { 200, 400, 404, 405, 408, 413, 501, 503, 505 };
    bool named = true;
    for (size_t i = 0; i < sizeof codes / sizeof *codes; i++)
        named = named && strcmp(http_reason(codes[i]), "Unknown") != 0;
    check(named && strcmp(http_reason(413), "Content Too Large") == 0,
          "every status the lessons answer has its reason phrase");

    /* What the writer writes, the reader reads: the round trip. */
    struct http_response *r = xmalloc(sizeof *r);
    n = http_format_response(buf, sizeof buf, &(struct http_reply){
        .status = 404, .keep_alive = true, .content_type = "text/html", .body = "<p>no</p>",
        .body_len = 9 });
    memcpy(buf + n, "HTTP/1.1 200", 12);        /* the start of a next response, pipelined */
    enum http_parse p = http_parse_response(buf, n + 12, false, false, r);
    check(p == HTTP_PARSE_DONE && r->status == 404 && r->keep_alive && r->size == n &&
              r->body_len == 9 && memcmp(r->body, "<p>no</p>", 9) == 0 &&
              strcmp(r->content_type, "text/html") == 0 && r->content_length == 9,
          "round trip: status, keep-alive, type, body; the next response's bytes stay");
    bool agree = true;
    for (size_t k = 1; k < n; k++)
        agree = agree && http_parse_response(buf, k, false, false, r) == HTTP_PARSE_INCOMPLETE;
    check(agree, "a response fed a byte at a time is incomplete until whole");

    const char *to_close = "HTTP/1.0 200 OK\r\n\r\nall of it";
    check(http_parse_response(to_close, strlen(to_close), false, false, r) ==
              HTTP_PARSE_INCOMPLETE,
          "no Content-Length: the body is incomplete until the close");
    p = http_parse_response(to_close, strlen(to_close), false, true, r);
    check(p == HTTP_PARSE_DONE && r->body_len == 9 && !r->keep_alive,
          "... and at the close it is whole, and the connection is not kept");
    const char *head = "HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n";
    p = http_parse_response(head, strlen(head), true, false, r);
    check(p == HTTP_PARSE_DONE && r->body_len == 0 && r->content_length == 50,
          "the answer to HEAD has no body whatever Content-Length says");
    static const char *const bad[] = {
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
        "HTTP/1.1 100 Continue\r\n\r\n", "HTTP/1.1 20 OK\r\n\r\n", "HTTP/1.1 200OK\r\n\r\n",
        "HTTP/2.0 200 OK\r\n\r\n", "ICY 200 OK\r\n\r\n", "HTTP/1.1 200 OK\nX: y\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 99999\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char shown[100];
        p = http_parse_response(bad[i], strlen(bad[i]), false, true, r);
        check(p == HTTP_PARSE_ERROR && r->why, "response refused: \"%s\" (%s)",
              escape_into(shown, sizeof shown, bad[i], 60), r->why ? r->why : "no reason");
    }
    n = http_format_request(buf, sizeof buf, "POST", "/add?k=3", 7000, false);
    struct http_request *q = xmalloc(sizeof *q);
    p = http_parse_request(buf, n, q);
    check(p == HTTP_PARSE_DONE && strcmp(q->method, "POST") == 0 &&
              strcmp(q->query, "k=3") == 0 && !q->keep_alive && q->size == n,
          "http_format_request writes what http_parse_request takes");
    free(q);
    free(r);
}

/* Random inputs: bytes drawn mostly from HTTP's own alphabet, mutations of a good request,
 * and good requests cut short. None may crash (ASan watches), every verdict must be one of
 * the three, an error must carry a status the header names, and pieces must agree. */
static void test_fuzz(long rounds, uint64_t seed)
{
    test_group("fuzz");
    static const char alphabet[] = "GET POST/ HTTP/1.01\r\n\r\n:Host: Content-Length: "
                                   "Connection: close keep-alive Transfer-Encoding 0123456789?&=k";
    const char *good = "POST /add?k=5 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n"
                       "Connection: keep-alive\r\n\r\nabc";
    uint64_t rng = seed;
    char *buf = xmalloc(4096);
    struct http_request *r = xmalloc(sizeof *r);
    long done = 0, incomplete = 0, errors = 0, disagree = 0, bad_status = 0;
    char why[300] = "", first_why[340] = "";
    for (long i = 0; i < rounds; i++) {
        size_t len;
        switch (i % 3) {
        case 0:                                   /* random bytes from the alphabet, or any */
            len = 1 + rng_below(&rng, 300);
            for (size_t j = 0; j < len; j++)
                buf[j] = rng_below(&rng, 4) ? alphabet[rng_below(&rng, sizeof alphabet - 1)]
                                            : (char)rng_below(&rng, 256);
            break;
        case 1:                                   /* a good request, a few bytes changed */
            len = strlen(good);
            memcpy(buf, good, len);
            for (int m = 0; m < 1 + (int)rng_below(&rng, 3); m++)
                buf[rng_below(&rng, len)] = (char)rng_below(&rng, 256);
            break;
        default:                                  /* a good request, cut short */
            len = strlen(good);
            memcpy(buf, good, len);
            len = rng_below(&rng, len) + 1;
            break;
        }
        enum http_parse p = http_parse_request(buf, len, r);
        done += p == HTTP_PARSE_DONE;
        incomplete += p == HTTP_PARSE_INCOMPLETE;
        if (p == HTTP_PARSE_ERROR) {
            errors++;
            bad_status += r->error != 400 && r->error != 413 && r->error != 501 &&
                          r->error != 505;
        }
        if (p == HTTP_PARSE_DONE && (r->size > len || r->size == 0))
            bad_status++;
        if (!pieces_agree(buf, len, 1, why, sizeof why) && disagree++ == 0)
            snprintf(first_why, sizeof first_why, "input %ld: %s", i, why);
    }
    check(bad_status == 0 && done + incomplete + errors == rounds,
          "fuzz: %ld inputs (seed %llu): %ld done, %ld incomplete, %ld errors, each a known "
          "status", rounds, (unsigned long long)seed, done, incomplete, errors);
    check(disagree == 0, "fuzz: fed a byte at a time, every input gives its whole verdict%s%s",
          first_why[0] ? ": " : "", first_why);
    check(done > 0 && errors > 0 && incomplete > 0, "fuzz: every outcome was reached");
    free(r);
    free(buf);
}


/* ---- the blocking helpers, over a socketpair (no network, no port) ---------------------- */

static void put(int fd, const char *text)
{
    if (write(fd, text, strlen(text)) != (ssize_t)strlen(text))
        die_errno("write");
}

static void test_blocking(void)
{
    test_group("blocking reads");
    int sv[2], stop[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0 || pipe(stop) != 0)
        die_errno("socketpair");
    struct http_conn *c = xmalloc(sizeof *c);
    struct http_request *req = xmalloc(sizeof *req);
    *c = (struct http_conn){ .fd = sv[0], .stop_fd = stop[0] };
    double later = now_s() + 10;
    put(sv[1], "GET /a HTTP/1.1\r\nHost: h\r\n\r\nPOST /b HTTP/1.1\r\nHost: h\r\n"
               "Content-Length: 2\r\n\r\nhiGET /c HTTP/1.0\r\n\r\n");
    enum http_read a = http_read_request(c, req, later);
    bool first = a == HTTP_READ_OK && strcmp(req->path, "/a") == 0;
    enum http_read b = http_read_request(c, req, later);
    bool second = b == HTTP_READ_OK && strcmp(req->path, "/b") == 0 && req->body &&
                  memcmp(req->body, "hi", 2) == 0;
    enum http_read d = http_read_request(c, req, later);
    check(first && second && d == HTTP_READ_OK && strcmp(req->path, "/c") == 0 &&
              !req->keep_alive,
          "three pipelined requests come back one by one, the body with its own");

    put(sv[1], "GET /slow HTTP/1.1\r\nHo");
    enum http_read t = http_read_request(c, req, now_s() + 0.05);
    check(t == HTTP_READ_TIMEOUT, "half a request by the deadline: timeout (got %s)",
          http_read_name(t));
    put(sv[1], "st: h\r\n\r\nGET /next HTTP/1.1\r\nHost: h\r\n\r\n");
    t = http_read_request(c, req, later);
    check(t == HTTP_READ_OK && strcmp(req->path, "/slow") == 0,
          "... the rest arrives: the request is whole (nothing was lost)");
    put(sv[1], "GET /bad HTTP/3.0\r\n");
    t = http_read_request(c, req, later);  /* /next first */
    enum http_read bad = http_read_request(c, req, later);
    check(t == HTTP_READ_OK && bad == HTTP_READ_BAD && req->error == 505,
          "a bad request after a good one: bad, with its status (got %s %d)",
          http_read_name(bad), req->error);

    /* The stop pipe: what has arrived is still served, then STOP. */
    *c = (struct http_conn){ .fd = sv[0], .stop_fd = stop[0] };
    put(sv[1], "GET /last HTTP/1.1\r\nHost: h\r\n\r\nGET /cut");
    close(stop[1]);
    enum http_read s1 = http_read_request(c, req, later);
    bool served = s1 == HTTP_READ_OK && strcmp(req->path, "/last") == 0 && c->stopping;
    enum http_read s2 = http_read_request(c, req, later);
    check(served && s2 == HTTP_READ_STOP,
          "stop: a whole request that arrived is served, then stop (got %s, %s)",
          http_read_name(s1), http_read_name(s2));

    /* Hung up in the middle, and a clean close between requests. */
    *c = (struct http_conn){ .fd = sv[0], .stop_fd = -1 };
    put(sv[1], "GET /x HTTP/1.1\r\nHost: h\r\n\r\nGET /half");
    shutdown(sv[1], SHUT_WR);
    enum http_read h1 = http_read_request(c, req, later);
    enum http_read h2 = http_read_request(c, req, later);
    check(h1 == HTTP_READ_OK && h2 == HTTP_READ_HUNG_UP,
          "the peer closes in the middle of a request: hung up (got %s)", http_read_name(h2));
    close(sv[0]);
    close(sv[1]);

    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
        die_errno("socketpair");
    *c = (struct http_conn){ .fd = sv[0], .stop_fd = -1 };
    put(sv[1], "GET /x HTTP/1.1\r\nHost: h\r\n\r\n");
    shutdown(sv[1], SHUT_WR);
    h1 = http_read_request(c, req, later);
    h2 = http_read_request(c, req, later);
    check(h1 == HTTP_READ_OK && h2 == HTTP_READ_CLOSED,
          "the peer closes between requests: closed (got %s)", http_read_name(h2));

    /* Responses: two on one connection (keep-alive), then one that runs to the close. */
    struct http_response *resp = xmalloc(sizeof *resp);
    *c = (struct http_conn){ .fd = sv[1], .stop_fd = -1 };
    put(sv[0], "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcHTTP/1.1 404 Not Found\r\n"
               "Content-Length: 0\r\n\r\nHTTP/1.0 200 OK\r\n\r\nto the end");
    shutdown(sv[0], SHUT_WR);
    enum http_read r1 = http_read_response(c, resp, false, later);
    bool one = r1 == HTTP_READ_OK && resp->status == 200 && resp->body_len == 3 &&
               resp->keep_alive;
    enum http_read r2 = http_read_response(c, resp, false, later);
    bool two = r2 == HTTP_READ_OK && resp->status == 404 && resp->body_len == 0;
    enum http_read r3 = http_read_response(c, resp, false, later);
    bool three = r3 == HTTP_READ_OK && resp->body_len == 10 && !resp->keep_alive &&
                 memcmp(resp->body, "to the end", 10) == 0;
    enum http_read r4 = http_read_response(c, resp, false, later);
    check(one && two && three && r4 == HTTP_READ_CLOSED,
          "responses: two kept-alive, one to the close, then closed (got %s %s %s %s)",
          http_read_name(r1), http_read_name(r2), http_read_name(r3), http_read_name(r4));
    close(sv[0]);
    close(sv[1]);
    close(stop[0]);
    free(resp);
    free(req);
    free(c);
}

static const char usage[] =
    "[--fuzz N] [--seed S]\n"
    "  Checks lessons/lib/http.h's parsers and writers; ends with \"N passed, M failed\".\n"
    "  --fuzz  random inputs to parse, 0..1000000 (default 3000)\n"
    "  --seed  the random inputs' seed, 0..4294967295 (default 2026)\n";

int main(int argc, char **argv)
{
    cli_setup(argv[0], usage);
    long fuzz = 3000, seed = 2026;
    static const struct option opts[] = {
        { "fuzz", required_argument, NULL, 'f' },
        { "seed", required_argument, NULL, 's' },
        CLI_HELP, CLI_END,
    };
    for (int c; (c = cli_next(argc, argv, opts)) != -1;) {
        if (c == 'f')
            fuzz = parse_long("--fuzz", optarg, 0, 1000000);
        else if (c == 's')
            seed = parse_long("--seed", optarg, 0, 4294967295L);
    }
    test_good_requests();
    test_keep_alive();
    test_bad_requests();
    test_limits();
    test_query();
    test_responses();
    test_blocking();
    if (fuzz > 0)
        test_fuzz(fuzz, (uint64_t)seed);
    return harness_summary();
}
