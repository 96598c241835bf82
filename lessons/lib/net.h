/*
 * net.h: the TCP plumbing lessons 12 and 20 share, kept out of them so that each one reads
 * as the concurrency it teaches (a pool of probes; a server's pool, logger and shutdown).
 * Loopback only: every address here is 127.0.0.1, so nothing ever leaves the machine.
 *
 *   net_room_for_files   raise the soft limit on open files (each socket is one)
 *   net_listen           a non-blocking listening socket on 127.0.0.1:port (0: any port)
 *   net_accept           the next connection, or EAGAIN when the client already gave up
 *   net_connect          a connection to 127.0.0.1:port within a timeout, never hanging
 *   net_wait             poll() one socket for reading or writing, at most so long
 *   net_set_blocking     switch O_NONBLOCK off or on
 *   net_set_send_timeout a send that takes longer fails, so no peer holds a thread forever
 *   net_send_all         all of a buffer, or false; a peer that hung up is not a SIGPIPE
 *   net_send_text        printf into a socket
 *   net_read_line        the next line, with a deadline, a length limit and a stop pipe
 *   net_hang_up          close so that our last line reaches the peer (no reset)
 *
 * Errors a user can cause (a port taken, nobody listening, no answer, out of files) come
 * back as -1 or false with errno set, for the lesson to explain in its own words; the
 * ones only a bug can cause (fcntl or setsockopt on our own socket) end the program with
 * a line that names this file.
 */
#ifndef LESSONS_NET_H
#define LESSONS_NET_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>

/* Raises the soft limit on open files to `needed` if it is lower. False (and the hard
 * limit in *hard) when the hard limit is lower still: nothing was changed. */
bool net_room_for_files(long needed, unsigned long *hard);

/* A listening socket on 127.0.0.1:port, non-blocking (a client that gives up between poll
 * and accept must not block the caller), with SO_REUSEADDR. port 0: the OS picks one.
 * *bound (if not NULL) gets the port. -1 with errno set if it failed (EADDRINUSE: someone
 * listens there; EACCES: below 1024 without root). */
int net_listen(int port, int *bound);

/* accept() on net_listen's socket: the connection, in blocking mode (reads are polled; see
 * net_set_send_timeout for writes), and the peer's port in *peer_port (if not NULL). -1 with
 * errno set otherwise; EAGAIN means "nobody after all" (no connection waits, or the client
 * gave up before we got to it, or a signal came): poll again. */
int net_accept(int listen_fd, int *peer_port);

/* A connection to 127.0.0.1:port, in blocking mode: a non-blocking connect() whose outcome
 * is awaited with poll() for at most timeout_s. -1 with errno set if there is none:
 * ECONNREFUSED (nobody listens), ETIMEDOUT (no answer in time), EMFILE (out of files)... */
int net_connect(int port, double timeout_s);

/* poll() one socket for `events` (POLLIN, POLLOUT), at most timeout_s (0: only look):
 * 1 ready, 0 timed out, -1 error. */
int net_wait(int fd, short events, double timeout_s);

void net_set_blocking(int fd, bool blocking);

/* A send that takes longer than this fails with EAGAIN: a peer that stops reading cannot
 * hold a thread forever. */
void net_set_send_timeout(int fd, double seconds);

/* All of buf, or false (errno says why). */
bool net_send_all(int fd, const char *buf, size_t len);

/* printf into a socket (at most 255 bytes): all of it, or false. */
bool net_send_text(int fd, const char *fmt, ...);

/* ---- reading lines ------------------------------------------------------------------ */

enum { NET_LINE_MAX = 4096 };  /* the longest line a net_linebuf holds, newline included */

/* What net_read_line found. */
enum { NET_LINE_OK, NET_LINE_EOF, NET_LINE_TIMEOUT, NET_LINE_TOO_LONG, NET_LINE_STOP,
       NET_LINE_ERROR };

/* One connection's input: what has arrived and is not yet a whole line. Set it up with
 *     *lb = (struct net_linebuf){ .fd = fd, .stop_fd = -1, .limit = 256 };           */
struct net_linebuf {
    int fd;
    int stop_fd;     /* -1, or a pipe whose hang-up means "stop" (a server's workers) */
    size_t limit;    /* the longest line, its newline included (at most NET_LINE_MAX) */
    bool stopping;   /* the stop pipe hung up: serve what has arrived, then NET_LINE_STOP */
    size_t len;      /* bytes in buf: the start of the next line(s) */
    char buf[NET_LINE_MAX];
};

/* The next line, without its newline (or "\r\n"), into line[size] (size > limit; NUL
 * bytes become '?', so "ADD 5\0junk" cannot pass for "ADD 5"): NET_LINE_OK. Otherwise why
 * there is none: the peer hung up (EOF), now_s() passed deadline (TIMEOUT), limit bytes
 * and no newline (TOO_LONG), the stop pipe hung up (STOP), or a socket error (ERROR). */
int net_read_line(struct net_linebuf *lb, char *line, size_t size, double deadline);

/* Closing a socket whose input we have not read makes the kernel send a reset, and a reset
 * can destroy our last line before the peer reads it. So: say we are done writing (FIN),
 * read and discard what has already arrived (for at most linger_s), then close. */
void net_hang_up(int fd, double linger_s);

#endif
