/*
 * http.h: a small HTTP/1.1 for the lessons: a request parser, a response writer, a response
 * parser, and blocking helpers on top of net.h. The parsers do no I/O and keep no state
 * between calls, so one parser serves a thread per connection (lesson 20), a single-threaded
 * poll() loop (bytes arrive when they arrive: parse again when more came) and a client.
 *
 *   http_parse_request    one request from the front of a buffer: done (how many bytes it
 *                         took; what follows, a pipelined request, stays), incomplete (read
 *                         more, call again with all of it), or an error and its status
 *   http_query_long       a query parameter as a checked integer ("k=5" -> 5)
 *   http_reason           "Not Found" for 404, ...
 *   http_format_response  status line, headers and body into a buffer
 *   http_format_request   a request (GET or POST, no body) into a buffer, for clients
 *   http_parse_response   the client's side of http_parse_request
 *   http_read_request     blocking: the next request on a connection, with a deadline and a
 *                         stop pipe (a server's workers)
 *   http_read_response    blocking: the next response on a connection, with a deadline
 *   http_load_run         a load client: many keep-alive connections at once, each answer
 *                         checked, plus clients that misbehave on purpose
 *
 * What the request parser accepts (RFC 9112, strictly; anything else is an error):
 *   - lines end in CRLF; a bare LF, or a CR elsewhere, is 400
 *   - the request line is METHOD SP TARGET SP VERSION, one space each; METHOD a token of at
 *     most HTTP_METHOD_MAX - 1 characters (longer: 501); TARGET origin-form ("/path?query",
 *     visible ASCII only: no absolute-form, no "*"); VERSION "HTTP/1.1" or "HTTP/1.0" (any
 *     other "HTTP/d.d": 505; anything else: 400)
 *   - header names are tokens, the colon follows at once (a space before it: 400); values
 *     are visible characters, spaces and tabs (other control bytes: 400); no line folding
 *   - HTTP/1.1 needs exactly one Host (none, or two: 400); at most one Content-Length, plain
 *     digits (two, even equal: 400); over HTTP_BODY_MAX: 413; any Transfer-Encoding: 501
 *   - the request line over HTTP_LINE_MAX bytes, or the head (request line, headers and the
 *     empty line) over HTTP_HEAD_MAX bytes: 413 (as soon as the bytes so far prove it)
 *   - keep-alive: HTTP/1.1 keeps the connection unless a Connection header says "close";
 *     HTTP/1.0 closes it unless Connection says "keep-alive" (and not "close")
 * Feeding a request in pieces gives the same outcome as feeding it whole: an error is found
 * in the first line that shows it, whether or not more has arrived behind it.
 *
 * No globals, no static buffers: every function is safe to call from many threads at once,
 * each with its own structs. Nothing here allocates; nothing here owns a descriptor.
 */
#ifndef LESSONS_HTTP_H
#define LESSONS_HTTP_H

#include <stdbool.h>
#include <stddef.h>

enum {
    HTTP_LINE_MAX = 8192,    /* the longest request or status line, CRLF included */
    HTTP_HEAD_MAX = 16384,   /* the longest head: first line, headers, empty line */
    HTTP_BODY_MAX = 16384,   /* the longest body either parser takes (a Content-Length) */
    HTTP_MESSAGE_MAX = HTTP_HEAD_MAX + HTTP_BODY_MAX, /* so one buffer holds any message */
    HTTP_METHOD_MAX = 16,    /* a method's characters + 1 */
    HTTP_TYPE_MAX = 128,     /* a response's Content-Type kept, + 1 (longer: cut) */
};

/* What a parser found. */
enum http_parse {
    HTTP_PARSE_INCOMPLETE,   /* nothing wrong so far; more bytes are needed */
    HTTP_PARSE_DONE,         /* a whole message: ->size bytes from the front of the buffer */
    HTTP_PARSE_ERROR,        /* ->error is the status to answer, ->why a short reason */
};

/* ---- requests ------------------------------------------------------------------------ */

struct http_request {
    char method[HTTP_METHOD_MAX];   /* "GET", case as sent (methods are case-sensitive) */
    char path[HTTP_LINE_MAX];       /* "/add": the target up to '?', as sent (no decoding) */
    char query[HTTP_LINE_MAX];      /* "k=5": after the '?' ("" if none) */
    int version;                    /* 10 or 11 (HTTP/1.0, HTTP/1.1) */
    bool keep_alive;                /* the client wants the connection kept after this */
    long content_length;            /* the body's length (0: none) */
    size_t head_size;               /* the head's bytes; the body follows */
    size_t size;                    /* head + body: what to drop from the buffer */
    const char *body;               /* into the caller's buffer (NULL if no body) */
    int error;                      /* HTTP_PARSE_ERROR: 400, 413, 501 or 505 */
    const char *why;                /* HTTP_PARSE_ERROR: "bare LF", "no Host", ... (static) */
};

/* Parses the request at the front of buf[0..len). DONE: *req describes it (req->body points
 * into buf); INCOMPLETE: call again once more bytes arrived behind these; ERROR: answer
 * req->error with Connection: close and close (the bytes cannot be trusted to say where
 * the next request would start). Each call starts from the front: nothing is remembered. */
enum http_parse http_parse_request(const char *buf, size_t len, struct http_request *req);

/* The value of NAME in a query ("a=1&k=5&b=x", name "k") as a plain decimal number (no sign,
 * no leading zero, no spaces, no %-escapes) in [min, max]: 1 and *out set. 0: NAME is not
 * there. -1: it is there but is not such a number, or is there twice. */
int http_query_long(const char *query, const char *name, long min, long max, long *out);

/* ---- responses ----------------------------------------------------------------------- */

/* "OK" for 200, ... for 200 400 404 405 408 413 500 501 503 505; "Unknown" otherwise. */
const char *http_reason(int status);

/* What a server answers. */
struct http_reply {
    int status;                 /* 200, 404, ... */
    bool keep_alive;            /* Connection: keep-alive (HTTP/1.1 default) or close */
    const char *content_type;   /* NULL: "text/plain; charset=utf-8" */
    const char *allow;          /* 405: the methods allowed, "GET, POST" (the Allow header) */
    const char *body;           /* NULL or body_len bytes */
    size_t body_len;
    bool head_only;             /* the answer to HEAD: Content-Length of the body, no body */
};

/* Writes the response into buf[size]: "HTTP/1.1 <status> <reason>", Content-Type,
 * Content-Length, Connection, Allow (if given), an empty line, the body. Returns its length;
 * if that is >= size, buf holds no usable response (like snprintf: make buf bigger). */
size_t http_format_response(char *buf, size_t size, const struct http_reply *reply);

/* Writes "METHOD TARGET HTTP/1.1" with Host: 127.0.0.1:port, Connection: close if
 * !keep_alive, and Content-Length: 0 for POST. Returns the length (>= size: did not fit). */
size_t http_format_request(char *buf, size_t size, const char *method, const char *target,
                           int port, bool keep_alive);

struct http_response {
    int version;                    /* 10 or 11 */
    int status;                     /* 100..599 */
    bool keep_alive;                /* the server keeps the connection after this one */
    long content_length;            /* -1: none given (the body runs to the close) */
    char content_type[HTTP_TYPE_MAX];
    size_t head_size, size;         /* as for a request */
    const char *body;               /* into the caller's buffer */
    size_t body_len;
    const char *why;                /* HTTP_PARSE_ERROR: what it could not take (static) */
};

/* Parses the response at the front of buf[0..len). head_request: it answers a HEAD (no
 * body follows, whatever Content-Length says). eof: the peer has closed, so a body without
 * Content-Length ends here. ERROR: malformed, a Transfer-Encoding (chunked is not spoken
 * here), a 1xx, a body over HTTP_BODY_MAX, a head over HTTP_HEAD_MAX; ->why says which. */
enum http_parse http_parse_response(const char *buf, size_t len, bool head_request, bool eof,
                                    struct http_response *resp);

/* ---- blocking I/O on a connection (net.h's sockets) ---------------------------------- */

/* One connection's input, either side. Set it up with
 *     *c = (struct http_conn){ .fd = fd, .stop_fd = -1 };
 * (about 32 KiB: allocate it, or keep it off small stacks). */
struct http_conn {
    int fd;
    int stop_fd;         /* -1, or a pipe whose hang-up means "stop" (a server's workers) */
    bool stopping;       /* the stop pipe hung up */
    size_t len;          /* bytes in buf */
    size_t done;         /* the message last returned: dropped at the next read */
    char buf[HTTP_MESSAGE_MAX];
};

/* What http_read_request and http_read_response found. */
enum http_read {
    HTTP_READ_OK,        /* a whole message; its body stays in c->buf until the next read */
    HTTP_READ_CLOSED,    /* the peer closed (or reset) between messages: a clean end */
    HTTP_READ_HUNG_UP,   /* the peer closed in the middle of a message */
    HTTP_READ_TIMEOUT,   /* the deadline passed before the message was whole (a server: 408) */
    HTTP_READ_BAD,       /* the parser's error: req->error (400, 413, 501, 505) / resp->why */
    HTTP_READ_STOP,      /* the stop pipe hung up and no whole message had arrived */
    HTTP_READ_ERROR,     /* a socket error: errno says which */
};

/* The next request on c, whole by `deadline` (now_s()'s clock): one deadline for the whole
 * head and body, not a timer each byte restarts, so a client trickling bytes (slowloris) is
 * cut off all the same. A request already in c->buf (pipelined) comes back at once. When the
 * stop pipe hangs up, what has already arrived is read once more: a whole request there is
 * still OK (c->stopping tells), otherwise STOP. */
enum http_read http_read_request(struct http_conn *c, struct http_request *req, double deadline);

/* The next response on c (to a HEAD if head_request), whole by deadline. */
enum http_read http_read_response(struct http_conn *c, struct http_response *resp,
                                  bool head_request, double deadline);

/* "ok", "closed", "hung up", "timeout", "bad", "stop", "error". */
const char *http_read_name(enum http_read r);

/* ---- a load client ------------------------------------------------------------------- */

/* What http_load_run does: `clients` connections at once (a thread each), each sending
 * `requests` requests one after the other on its one keep-alive connection and checking
 * every answer; then `bad` clients of each bad kind, each expecting its status:
 *   garbage    "GET / HTTP/1.0" ending in a bare LF                      -> 400
 *   oversized  a request line of HTTP_LINE_MAX + 1000 bytes              -> 413
 *   silent     connects and says nothing (waits timeout + silent_wait)   -> 408
 * and `slow` clients, which connect first (one by one, before everyone else) and send a
 * request every slow_pause seconds, reading each answer, until the server ends the
 * connection (a close, or Connection: close): "cut", if within slow_limit seconds. */
struct http_load {
    int port;
    long clients, requests, bad, slow;
    double timeout;          /* to connect, and for each answer */
    double silent_wait;      /* what a silent client waits beyond timeout (the idle timeout) */
    double slow_pause, slow_limit;
    /* The r-th request of client i (slow clients: i >= clients), written into method (at
     * most 8 bytes) and target. Called from that client's thread. */
    void (*request)(void *ctx, long i, long r, char *method, char *target, size_t size);
    /* A 200's body: true if it is right. From the client's thread; the only 200s of a good
     * client not passed here are none: every one is. */
    bool (*check)(void *ctx, long i, long r, const char *body, size_t len);
    void *ctx;
};

struct http_load_result {
    long sent, answered;     /* good clients: requests sent, 200s that passed check */
    long refused;            /* good clients: 503s (the server is shutting down or full) */
    long wrong;              /* any client: an answer that is not what it should be */
    long bad_sent, rejected; /* bad clients, and those that got exactly their status */
    long slow_answered, slow_cut;
    long first_answers;      /* good clients that got an answer at all */
    double wait_median, wait_max;  /* their connect-to-first-answer time: the wait for a worker */
    double seconds;          /* from the start to the last good client's end */
};

/* Runs the load (the threads are its own, joined before it returns). Prints at most ten
 * lines "client N (kind): what went wrong" on stdout, the server's words escaped. */
void http_load_run(const struct http_load *load, struct http_load_result *res);

#endif
