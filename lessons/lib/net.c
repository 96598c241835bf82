/*
 * net.c: the TCP plumbing behind net.h (loopback only). Read the header for what each
 * function promises; the comments here say why it is written the way it is.
 */
#include "net.h"

#include "core.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static struct sockaddr_in loopback(int port)
{
    return (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                                 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
}

/* poll() wants whole milliseconds: round up, so a wait is never cut short. */
static int ms_from(double seconds)
{
    return seconds <= 0 ? 0 : (int)ceil(seconds * 1000.0);
}

bool net_room_for_files(long needed, unsigned long *hard)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        die_errno("getrlimit");
    if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= (rlim_t)needed)
        return true;
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < (rlim_t)needed) {
        *hard = (unsigned long)rl.rlim_max;
        return false;
    }
    rl.rlim_cur = (rlim_t)needed;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
        die_errno("setrlimit");
    return true;
}

void net_set_blocking(int fd, bool blocking)
{
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, blocking ? flags & ~O_NONBLOCK : flags | O_NONBLOCK))
        die_errno("fcntl O_NONBLOCK");
}

void net_set_send_timeout(int fd, double seconds)
{
    struct timeval tv = { .tv_sec = (time_t)seconds,
                          .tv_usec = (suseconds_t)((seconds - floor(seconds)) * 1e6) };
    if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) != 0)
        die_errno("setsockopt SO_SNDTIMEO");
}

int net_wait(int fd, short events, double timeout_s)
{
    struct pollfd pfd = { .fd = fd, .events = events };
    int rc;
    while ((rc = poll(&pfd, 1, ms_from(timeout_s))) < 0 && errno == EINTR)
        ;                  /* a signal (rare here) restarts the wait, timeout and all */
    return rc;
}

/* ---- listening, accepting, connecting ---------------------------------------------- */

/* -1 with errno as it was when the step failed (close may change errno). */
static int fail_closing(int fd)
{
    int err = errno;
    close(fd);
    errno = err;
    return -1;
}

int net_listen(int port, int *bound)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    /* A closed connection lingers in TIME_WAIT on its port for a minute; SO_REUSEADDR lets
     * the next run (or a restarted server) listen there anyway. It does not let two
     * programs listen on one port: a port someone listens on still gives EADDRINUSE. */
    int one = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0)
        die_errno("setsockopt SO_REUSEADDR");
    struct sockaddr_in addr = loopback(port);
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(fd, SOMAXCONN) != 0)
        return fail_closing(fd);
    net_set_blocking(fd, false);
    if (bound) {
        socklen_t len = sizeof addr;
        if (getsockname(fd, (struct sockaddr *)&addr, &len) != 0)
            die_errno("getsockname");
        *bound = ntohs(addr.sin_port);
    }
    return fd;
}

int net_accept(int listen_fd, int *peer_port)
{
    struct sockaddr_in peer;
    socklen_t len = sizeof peer;
    int fd = accept(listen_fd, (struct sockaddr *)&peer, &len);
    if (fd < 0) {
        /* The listener is non-blocking: between poll and accept the client may have gone. */
        if (errno == EWOULDBLOCK || errno == ECONNABORTED || errno == EINTR || errno == EPROTO)
            errno = EAGAIN;
        return -1;
    }
    net_set_blocking(fd, true);     /* POSIX leaves it open whether O_NONBLOCK is inherited */
    if (peer_port)
        *peer_port = ntohs(peer.sin_port);
    return fd;
}

int net_connect(int port, double timeout_s)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    net_set_blocking(fd, false);    /* so that connect cannot block past timeout_s */
    struct sockaddr_in addr = loopback(port);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        if (errno != EINPROGRESS)
            return fail_closing(fd);     /* ECONNREFUSED right away: nobody listens */
        int ready = net_wait(fd, POLLOUT, timeout_s);  /* the handshake is under way */
        if (ready < 0)
            return fail_closing(fd);
        int err = ETIMEDOUT;
        if (ready > 0) {                  /* writable: the handshake ended; how? */
            socklen_t len = sizeof err;
            if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
                err = errno;
        }
        if (err != 0) {
            errno = err;
            return fail_closing(fd);
        }
    }
    net_set_blocking(fd, true);
    return fd;
}

/* ---- writing ----------------------------------------------------------------------- */

/* MSG_NOSIGNAL: a peer that hung up gives EPIPE, not a SIGPIPE that would kill the whole
 * program. */
bool net_send_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t sent = send(fd, buf, len, MSG_NOSIGNAL);
        if (sent < 0 && errno == EINTR)
            continue;
        if (sent <= 0)
            return false;
        buf += sent;
        len -= (size_t)sent;
    }
    return true;
}

bool net_send_text(int fd, const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return net_send_all(fd, buf, (size_t)len < sizeof buf ? (size_t)len : sizeof buf - 1);
}

void net_hang_up(int fd, double linger_s)
{
    (void)shutdown(fd, SHUT_WR);
    double until = now_s() + linger_s;
    char junk[512];
    while (now_s() < until && net_wait(fd, POLLIN, 0) > 0 && recv(fd, junk, sizeof junk, 0) > 0)
        ;
    close(fd);
}

/* ---- reading lines ----------------------------------------------------------------- */

/* Takes the first line out of lb->buf (it holds a newline at nl) into line[size]. */
static void take_line(struct net_linebuf *lb, char *nl, char *line, size_t size)
{
    size_t n = (size_t)(nl - lb->buf);
    if (n > 0 && lb->buf[n - 1] == '\r')
        n--;
    if (n > size - 1)
        n = size - 1;
    for (size_t i = 0; i < n; i++)
        line[i] = lb->buf[i] ? lb->buf[i] : '?';
    line[n] = '\0';
    lb->len -= (size_t)(nl + 1 - lb->buf);
    memmove(lb->buf, nl + 1, lb->len);
}

int net_read_line(struct net_linebuf *lb, char *line, size_t size, double deadline)
{
    for (;;) {
        char *nl = memchr(lb->buf, '\n', lb->len);
        if (nl) {
            take_line(lb, nl, line, size);
            return NET_LINE_OK;
        }
        if (lb->len >= lb->limit)
            return NET_LINE_TOO_LONG;
        if (lb->stopping)
            return NET_LINE_STOP;
        double left = deadline - now_s();
        if (left <= 0)
            return NET_LINE_TIMEOUT;
        /* One poll for both: input from the peer, or the stop pipe's hang-up. */
        struct pollfd fds[2] = { { .fd = lb->fd, .events = POLLIN },
                                 { .fd = lb->stop_fd, .events = POLLIN } };
        if (poll(fds, lb->stop_fd >= 0 ? 2 : 1, ms_from(left)) < 0) {
            if (errno == EINTR)
                continue;
            return NET_LINE_ERROR;
        }
        if (lb->stop_fd >= 0 && fds[1].revents != 0)
            lb->stopping = true;  /* take in what has arrived (one read), then stop */
        if (fds[0].revents == 0)
            continue;
        ssize_t got = recv(lb->fd, lb->buf + lb->len, lb->limit - lb->len, 0);
        if (got == 0 || (got < 0 && errno == ECONNRESET))
            return NET_LINE_EOF;
        if (got < 0) {
            if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
                continue;
            return NET_LINE_ERROR;
        }
        lb->len += (size_t)got;
    }
}
