/*
 * event_loop.c: the loop behind event_loop.h. Read the header for what each function
 * promises; the comments here say why it is written the way it is.
 *
 * Layout: per-descriptor records in an array indexed by the descriptor's number (numbers
 * are small and dense: the kernel hands out the lowest free one); a timer heap of
 * descriptor numbers; and the backend, which only has to say which descriptors are ready.
 * The poll() backend is portable POSIX; the epoll one lives in the Linux-only section
 * below and nowhere else.
 */
#include "event_loop.h"

#include "core.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#if defined(__linux__)
#include <sys/epoll.h>
#endif

struct ev_fd {
    ev_handler *handler;     /* NULL: not watched */
    void *data;
    int events;              /* EV_READ | EV_WRITE: what it waits for now */
    long slot;               /* poll: its index in pfds (-1: none); epoll: 1 if in the set */
    long heap_pos;           /* its index in the timer heap, -1: no timer */
    double when;             /* its timer, if heap_pos >= 0 */
};

struct ev_fired {
    int fd, what;
};

struct ev_loop {
    enum ev_backend backend;
    struct ev_fd *fds;       /* [fd], cap_fds of them */
    size_t cap_fds, watched;
    int *heap;               /* descriptors with a timer, the earliest due at [0] */
    size_t heap_len, heap_cap;
    struct ev_fired *fired;  /* one turn's ready descriptors, collected before any handler
                              * runs (a handler may reorder pfds) */
    size_t fired_cap;
    struct pollfd *pfds;     /* poll: the watched descriptors, densely */
    int *owner;              /* poll: owner[i] is pfds[i]'s descriptor (pfds[i].fd may be -1) */
    size_t pfds_len, pfds_cap;
    int epfd;                /* epoll: the kernel's set */
};

static int ms_from(double seconds)
{
    if (seconds < 0)
        return -1;
    double ms = ceil(seconds * 1000.0);  /* round up: a timer never fires early */
    return ms > 1e9 ? 1000000000 : (int)ms;
}

static struct ev_fd *record(struct ev_loop *loop, int fd)
{
    if (fd < 0)
        die("event_loop: descriptor %d", fd);
    if ((size_t)fd >= loop->cap_fds) {
        size_t cap = loop->cap_fds ? loop->cap_fds : 256;
        while (cap <= (size_t)fd)
            cap *= 2;
        loop->fds = xrealloc(loop->fds, cap * sizeof *loop->fds);
        for (size_t i = loop->cap_fds; i < cap; i++)
            loop->fds[i] = (struct ev_fd){ .slot = -1, .heap_pos = -1 };
        loop->cap_fds = cap;
    }
    return &loop->fds[fd];
}

static struct ev_fd *watched(struct ev_loop *loop, int fd, const char *who)
{
    if (fd < 0 || (size_t)fd >= loop->cap_fds || !loop->fds[fd].handler)
        die("event_loop: %s(%d): that descriptor is not watched", who, fd);
    return &loop->fds[fd];
}

/* ---- the timer heap: parent of i is (i - 1) / 2; each one due no later than its children */

static double due(const struct ev_loop *loop, size_t i)
{
    return loop->fds[loop->heap[i]].when;
}

static void heap_place(struct ev_loop *loop, size_t i, int fd)
{
    loop->heap[i] = fd;
    loop->fds[fd].heap_pos = (long)i;
}

/* Moves the entry at i up or down until the order holds again. */
static void heap_fix(struct ev_loop *loop, size_t i)
{
    int fd = loop->heap[i];
    double when = loop->fds[fd].when;
    while (i > 0 && due(loop, (i - 1) / 2) > when) {
        heap_place(loop, i, loop->heap[(i - 1) / 2]);
        i = (i - 1) / 2;
    }
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= loop->heap_len)
            break;
        if (child + 1 < loop->heap_len && due(loop, child + 1) < due(loop, child))
            child++;
        if (due(loop, child) >= when)
            break;
        heap_place(loop, i, loop->heap[child]);
        i = child;
    }
    heap_place(loop, i, fd);
}

static void heap_remove(struct ev_loop *loop, struct ev_fd *r)
{
    size_t i = (size_t)r->heap_pos;
    r->heap_pos = -1;
    int last = loop->heap[--loop->heap_len];
    if (i < loop->heap_len) {
        heap_place(loop, i, last);
        heap_fix(loop, i);
    }
}

void ev_timer(struct ev_loop *loop, int fd, double when)
{
    struct ev_fd *r = watched(loop, fd, "ev_timer");
    if (when <= 0) {
        if (r->heap_pos >= 0)
            heap_remove(loop, r);
        return;
    }
    r->when = when;
    if (r->heap_pos < 0) {
        if (loop->heap_len == loop->heap_cap) {
            loop->heap_cap = loop->heap_cap ? 2 * loop->heap_cap : 256;
            loop->heap = xrealloc(loop->heap, loop->heap_cap * sizeof *loop->heap);
        }
        heap_place(loop, loop->heap_len++, fd);
    }
    heap_fix(loop, (size_t)r->heap_pos);
}

/* ---- the poll() backend (POSIX) ------------------------------------------------------- */

static short poll_events(int events)
{
    return (short)((events & EV_READ ? POLLIN : 0) | (events & EV_WRITE ? POLLOUT : 0));
}

static void poll_set(struct ev_loop *loop, int fd, struct ev_fd *r, int events)
{
    if (r->slot < 0) {
        if (loop->pfds_len == loop->pfds_cap) {
            loop->pfds_cap = loop->pfds_cap ? 2 * loop->pfds_cap : 256;
            loop->pfds = xrealloc(loop->pfds, loop->pfds_cap * sizeof *loop->pfds);
            loop->owner = xrealloc(loop->owner, loop->pfds_cap * sizeof *loop->owner);
        }
        loop->owner[loop->pfds_len] = fd;
        r->slot = (long)loop->pfds_len++;
    }
    /* poll reports a hang-up even to a descriptor that asked for nothing; a negative fd is
     * skipped altogether, so one that waits for nothing is parked as -1. */
    loop->pfds[r->slot] = (struct pollfd){ .fd = events ? fd : -1, .events = poll_events(events) };
}

static void poll_remove(struct ev_loop *loop, struct ev_fd *r)
{
    size_t slot = (size_t)r->slot, last = --loop->pfds_len;
    r->slot = -1;
    if (slot != last) {                   /* the last one fills the hole */
        loop->pfds[slot] = loop->pfds[last];
        loop->owner[slot] = loop->owner[last];
        loop->fds[loop->owner[slot]].slot = (long)slot;
    }
}

/* Waits; fills loop->fired. O(watched) per call, twice: the kernel walks the array, and so
 * does this loop looking for revents. */
static size_t poll_wait(struct ev_loop *loop, int ms)
{
    int n = poll(loop->pfds, (nfds_t)loop->pfds_len, ms);
    if (n < 0) {
        if (errno == EINTR)
            return 0;
        die_errno("poll");
    }
    size_t got = 0;
    for (size_t i = 0; i < loop->pfds_len && got < (size_t)n; i++) {
        short re = loop->pfds[i].revents;
        if (!re)
            continue;
        int what = (re & (POLLIN | POLLHUP | POLLERR | POLLNVAL) ? EV_READ : 0) |
                   (re & (POLLOUT | POLLHUP | POLLERR | POLLNVAL) ? EV_WRITE : 0);
        loop->fired[got++] = (struct ev_fired){ .fd = loop->pfds[i].fd, .what = what };
    }
    return got;
}

/* ---- the epoll backend: Linux-only, this section and nowhere else ---------------------- */

#if defined(__linux__)
static void epoll_set(struct ev_loop *loop, int fd, struct ev_fd *r, int events)
{
    /* epoll, like poll, reports a hang-up to a descriptor that asked for nothing: one that
     * waits for nothing leaves the kernel's set until it waits for something again. */
    struct epoll_event ev = { .events = (events & EV_READ ? EPOLLIN : 0u) |
                                        (events & EV_WRITE ? EPOLLOUT : 0u),
                              .data.fd = fd };
    int op = events == 0 ? EPOLL_CTL_DEL : r->slot < 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
    if (events == 0 && r->slot < 0)
        return;
    if (epoll_ctl(loop->epfd, op, fd, &ev) != 0)
        die_errno("epoll_ctl");
    r->slot = events ? 1 : -1;
}

static size_t epoll_wait_fired(struct ev_loop *loop, int ms)
{
    /* at most 256 a turn: more wait for the next one (level-triggered, nothing is lost) */
    struct epoll_event evs[256];
    size_t room = loop->fired_cap < 256 ? loop->fired_cap : 256;
    int n = epoll_wait(loop->epfd, evs, (int)room, ms);
    if (n < 0) {
        if (errno == EINTR)
            return 0;
        die_errno("epoll_wait");
    }
    for (int i = 0; i < n; i++) {
        uint32_t re = evs[i].events;
        int what = (re & (EPOLLIN | EPOLLHUP | EPOLLERR) ? EV_READ : 0) |
                   (re & (EPOLLOUT | EPOLLHUP | EPOLLERR) ? EV_WRITE : 0);
        loop->fired[i] = (struct ev_fired){ .fd = evs[i].data.fd, .what = what };
    }
    return (size_t)n;
}
#endif

bool ev_backend_available(enum ev_backend backend)
{
#if defined(__linux__)
    return backend == EV_POLL || backend == EV_EPOLL;
#else
    return backend == EV_POLL;
#endif
}

const char *ev_backend_name(enum ev_backend backend)
{
    return backend == EV_EPOLL ? "epoll" : "poll";
}

/* ---- the loop -------------------------------------------------------------------------- */

struct ev_loop *ev_create(enum ev_backend backend)
{
    if (!ev_backend_available(backend))
        die("event_loop: the %s backend is not available on this system",
            ev_backend_name(backend));
    struct ev_loop *loop = xcalloc(1, sizeof *loop);
    loop->backend = backend;
    loop->epfd = -1;
#if defined(__linux__)
    if (backend == EV_EPOLL && (loop->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0)
        die_errno("epoll_create1");
#endif
    return loop;
}

void ev_destroy(struct ev_loop *loop)
{
    if (loop->epfd >= 0)
        close(loop->epfd);
    free(loop->fds);
    free(loop->heap);
    free(loop->fired);
    free(loop->pfds);
    free(loop->owner);
    free(loop);
}

static void backend_set(struct ev_loop *loop, int fd, struct ev_fd *r, int events)
{
#if defined(__linux__)
    if (loop->backend == EV_EPOLL) {
        epoll_set(loop, fd, r, events);
        return;
    }
#endif
    poll_set(loop, fd, r, events);
}

void ev_watch(struct ev_loop *loop, int fd, int events, ev_handler *handler, void *data)
{
    struct ev_fd *r = record(loop, fd);
    if (r->handler)
        die("event_loop: ev_watch(%d): already watched", fd);
    *r = (struct ev_fd){ .handler = handler, .data = data, .events = events, .slot = -1,
                         .heap_pos = -1 };
    loop->watched++;
    if (loop->fired_cap < loop->watched) {
        loop->fired_cap = loop->fired_cap ? 2 * loop->fired_cap : 256;
        loop->fired = xrealloc(loop->fired, loop->fired_cap * sizeof *loop->fired);
    }
    backend_set(loop, fd, r, events);    /* poll: a slot even for 0 (parked as -1) */
}

void ev_change(struct ev_loop *loop, int fd, int events)
{
    struct ev_fd *r = watched(loop, fd, "ev_change");
    if (r->events == events)
        return;                          /* the common case costs no system call */
    r->events = events;
    backend_set(loop, fd, r, events);
}

void ev_unwatch(struct ev_loop *loop, int fd)
{
    struct ev_fd *r = watched(loop, fd, "ev_unwatch");
    if (r->heap_pos >= 0)
        heap_remove(loop, r);
    if (loop->backend == EV_POLL)
        poll_remove(loop, r);
    else
        backend_set(loop, fd, r, 0);
    r->handler = NULL;
    loop->watched--;
}

int ev_run_once(struct ev_loop *loop, double max_wait)
{
    double wait = max_wait;
    if (loop->heap_len > 0) {
        double until_timer = fmax(0, due(loop, 0) - now_s());
        wait = wait < 0 ? until_timer : fmin(wait, until_timer);
    }
    size_t n;
#if defined(__linux__)
    if (loop->backend == EV_EPOLL)
        n = epoll_wait_fired(loop, ms_from(wait));
    else
#endif
        n = poll_wait(loop, ms_from(wait));
    int ran = 0;
    for (size_t i = 0; i < n; i++) {
        int fd = loop->fired[i].fd;
        struct ev_fd *r = &loop->fds[fd];
        /* an earlier handler may have unwatched it, or changed what it waits for */
        int what = r->handler ? loop->fired[i].what & r->events : 0;
        if (what) {
            r->handler(loop, fd, what, r->data);
            ran++;
        }
    }
    /* Timers due now. A handler that sets its timer again for now or earlier gets it on
     * the next turn, not this one: at most the timers due when we looked run here. */
    double now = now_s();
    for (size_t left = loop->heap_len; left > 0 && loop->heap_len > 0 && due(loop, 0) <= now;
         left--) {
        int fd = loop->heap[0];
        struct ev_fd *r = &loop->fds[fd];
        heap_remove(loop, r);
        r->handler(loop, fd, EV_TIMEOUT, r->data);
        ran++;
    }
    return ran;
}

size_t ev_watched(const struct ev_loop *loop)
{
    return loop->watched;
}

size_t ev_timers(const struct ev_loop *loop)
{
    return loop->heap_len;
}

int ev_accept(int listen_fd, int *peer_port)
{
    struct sockaddr_in peer;
    socklen_t len = sizeof peer;
    int fd = accept(listen_fd, (struct sockaddr *)&peer, &len);
    if (fd < 0) {
        if (errno == EWOULDBLOCK || errno == ECONNABORTED || errno == EINTR || errno == EPROTO)
            errno = EAGAIN;               /* nobody (any more): poll again */
        return -1;
    }
    /* A fresh socket has no other status flag set: one fcntl, no F_GETFL first. */
    int one = 1;
    if (fcntl(fd, F_SETFL, O_NONBLOCK) != 0 ||
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0)
        die_errno("event_loop: fcntl O_NONBLOCK / TCP_NODELAY on an accepted socket");
    if (peer_port)
        *peer_port = ntohs(peer.sin_port);
    return fd;
}
