/*
 * http_client.h: the client side of lessons 20 and 23, kept out of them so that each one
 * reads as its server. Both serve the same counter (GET or POST /add?k=N answers
 * "total=T", the counter after the add), and both test it the same way: a load of adds
 * from many keep-alive connections at once (http_load_run in http.h), whose answers must
 * all carry different totals summing up to the counter. Lesson 23 adds idle connections
 * held meanwhile and a probe of how long quick requests wait behind a slow one.
 *
 *   http_fetch             one request on a keep-alive connection, its answer read: a 200?
 *   http_fetch_text        connect, one request, the answer's status and body as text
 *   client_room_for_files  raise the open-files limit towards a need, up to the hard limit
 *   counter_load_run       the /add load: http_load_run with this counter's requests and
 *                          checks (every answer "total=T", T at least its k); then every
 *                          total distinct (no update lost), the sum of the k answered
 *   counter_load_report    the report lines the two lessons share, and whether they are OK
 *   idle_hold              open connections that make one exchange and then stay idle
 *   idle_holder_start      ... held by a forked child instead (its own open-files limit):
 *   idle_holder_hold         start before any thread exists, hold once the port is known,
 *   idle_holder_release      release at the end
 *   stall_probe_run        quick GET /stats requests, alone and while a GET /slow is
 *                          served: does one slow handler stall everyone? (lesson 23)
 *   stall_probe_report     its lines
 *
 * Output: every function that meets a failure says so in one line on stdout ("client: GET
 * /stats: connect: Connection refused", "idle: ...", "stall: ...") with the server's words
 * escaped; the caller decides the verdict. Running out of memory, or a pipe or fork that
 * fails, ends the program.
 * Ownership: the caller owns every struct; the functions allocate only for their own
 * duration, and close the connections they open, except idle_hold's (the caller's to
 * close) and the holder's (closed when its child exits).
 * Thread-safety: no globals; functions may run in several threads at once, each with its
 * own structs (the demos run them in a client thread beside the server). idle_holder_start
 * forks: call it before the process has other threads.
 */
#ifndef LESSONS_HTTP_CLIENT_H
#define LESSONS_HTTP_CLIENT_H

#include "http.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Sends METHOD TARGET (keep-alive) on c->fd and reads the answer into resp (its body in
 * c->buf), within timeout seconds: true for a whole 200. */
bool http_fetch(struct http_conn *c, struct http_response *resp, int port, const char *method,
                const char *target, double timeout);

/* Connects, sends GET target (Connection: close), and copies the body of a whole answer
 * into text[size] (cut to fit, NUL-terminated). Returns the answer's status; 0 if there was
 * none, after a line "client: GET <target>: connect: <why>" or "...: no answer (<why>)". */
int http_fetch_text(int port, const char *target, double timeout, char *text, size_t size);

/* Raises the soft limit on open files to `want`, or to the hard limit if that is lower:
 * returns the limit now (== want, or less). */
long client_room_for_files(long want);

/* ---- the /add load -------------------------------------------------------------------- */

struct counter_load {
    int port;
    long clients, requests, bad, slow;   /* as http_load's */
    double timeout;          /* to connect, and for each answer */
    double idle_timeout;     /* the server's: a silent client waits it out for its 408; a
                              * slow client sends a request every half of it */
    double max_hold;         /* the server's (0: none): a slow client must be cut by then */
    bool latency;            /* time every request to its answer, and report it */
    const char *wait_for;    /* NULL, or what a client waits for before its first answer
                              * ("a worker"): report that wait */
};

struct counter_run {
    struct http_load_result res;   /* res.wrong counts repeated totals too */
    long long sum;           /* of every k answered, the slow clients' too */
    long long largest;       /* the largest total any client was told */
    long duplicates;         /* totals told twice: an update lost */
    long timed;              /* with latency: answers timed */
    double lat_median, lat_p99, lat_max;   /* with latency: seconds */
};

/* Client i's r-th request is /add?k=K (K from 1 to 1000; slow clients add 1), by GET and
 * POST in turn. */
void counter_load_run(const struct counter_load *load, struct counter_run *run);

/* Prints, as they apply: the latency, the 503s, the bad clients that got their status, the
 * slow clients cut off, the wait for wait_for, the clients that got no answer. True if
 * every add was sent and answered right, every bad client got its status and every slow
 * one was cut off. (The first line and THROUGHPUT are the lesson's.) */
bool counter_load_report(const struct counter_run *run, const struct counter_load *load);

/* ---- idle connections ------------------------------------------------------------------ */

/* Opens *target connections (fewer if the hard limit on open files is lower: then *target
 * says how many, and a line says why), each makes one exchange (HEAD /) and then stays,
 * idle, in keep-alive: the typical many-clients load (browsers, phones, websockets). Their
 * descriptors go into fds[*target] (the caller closes them); returns how many are held. */
long idle_hold(int port, long *target, double timeout, int *fds);

/* The same, in a child process: its descriptors count against its own open-files limit,
 * not the server's. start forks it (before any thread exists, stdout flushed); hold tells
 * it the port and returns how many it holds (*target: how many it could); release closes
 * the connections (the child exits) and reaps it. */
struct idle_holder {
    pid_t pid;
    int go, told;            /* the parent's ends: write the port / read the count */
};
void idle_holder_start(struct idle_holder *h, long n, double timeout);
long idle_holder_hold(struct idle_holder *h, int port, long *target, double timeout);
void idle_holder_release(struct idle_holder *h);

/* ---- the stall probe (lesson 23's GET /slow) ------------------------------------------- */

enum { STALL_QUICK = 20 };   /* quick requests timed alone */

struct stall_probe {
    bool ok;                 /* every answer came, and proper */
    long during;             /* quick answers while /slow was in progress */
    double alone_median, alone_max, during_sum, during_max, slow_took;   /* seconds */
};

/* Quick GET /stats requests on one connection, STALL_QUICK alone, then as many as fit while
 * a GET /slow (expected to take about `block` seconds, answered "slept=...") on another
 * connection is being served, until its answer arrives. */
void stall_probe_run(int port, double block, double timeout, struct stall_probe *p);

/* Its lines ("stall: ..."), and what the server's --variant (cooperative or blocking)
 * makes of them; nothing if the probe failed (it said why). */
void stall_probe_report(const struct stall_probe *p, const char *variant, double block);

#endif
