/*
 * event_loop.h: one thread serving many sockets, the way Redis's ae.c, libuv, nginx and
 * Python's asyncio do: wait for whichever descriptors are ready, run their handlers, wait
 * again. A handler must never block; it does what it can without waiting and returns, and
 * the loop calls it again when its descriptor is ready or its timer is due.
 *
 *   ev_create(backend)          a loop: EV_POLL (POSIX poll(), anywhere) or EV_EPOLL (Linux)
 *   ev_watch(loop, fd, events, handler, data)   start watching fd for EV_READ | EV_WRITE
 *   ev_change(loop, fd, events) what fd waits for from now on (0: nothing, for now)
 *   ev_unwatch(loop, fd)        forget fd (its timer too): call it before close(fd)
 *   ev_timer(loop, fd, when)    fd's one timer: its handler gets EV_TIMEOUT once now_s()
 *                               passes `when` (0: no timer); set again to move it
 *   ev_run_once(loop, max_wait) wait for events (at most max_wait seconds, less if a timer
 *                               is due sooner; < 0: no limit but the timers), run handlers
 *   ev_accept(listen_fd)        the next connection, non-blocking, without Nagle's delay
 *
 * The backends. poll() hands the kernel the whole list of descriptors on every call, and
 * the loop scans the whole list for the ready ones afterwards: each wake-up costs O(all
 * watched descriptors), so 10,000 idle connections slow down every request of the busy
 * ones. epoll keeps the list in the kernel (epoll_ctl changes it) and returns only the
 * ready descriptors: a wake-up costs O(ready ones). Both are level-triggered: a descriptor
 * with unread input is reported again on the next turn, so a handler may stop reading
 * whenever it likes. EV_EPOLL is Linux-only; ev_backend_available says whether it is here.
 *
 * Timers: one per descriptor, kept in a binary heap ordered by when it is due (O(log n) to
 * set, move or cancel; the next one due is at the top), so the loop knows how long it may
 * sleep without scanning every connection. (ae.c keeps an unsorted list and says sorry for
 * it in a comment.)
 *
 * A handler gets (loop, fd, what, data): `what` is EV_READ and/or EV_WRITE when fd is
 * ready (an error or a hang-up is reported as both, so the handler's next read or write
 * sees it), or EV_TIMEOUT when its timer is due. Handlers may watch, change, unwatch and
 * close any descriptor, their own included. If a handler closes a descriptor and a new one
 * gets the same number within the same turn, the new one may get a spurious EV_READ: a
 * read then says EAGAIN, which every non-blocking handler must take in its stride anyway.
 *
 * One loop belongs to one thread: nothing here locks. Dies (core.h) on errors only a bug
 * can cause (an fd watched twice, epoll_ctl failing on our own descriptor).
 */
#ifndef LESSONS_EVENT_LOOP_H
#define LESSONS_EVENT_LOOP_H

#include <stdbool.h>
#include <stddef.h>

enum { EV_READ = 1, EV_WRITE = 2, EV_TIMEOUT = 4 };

enum ev_backend { EV_POLL, EV_EPOLL };

struct ev_loop;
typedef void ev_handler(struct ev_loop *loop, int fd, int what, void *data);

/* Is this backend compiled in (EV_EPOLL: Linux only)? */
bool ev_backend_available(enum ev_backend backend);

/* "poll" or "epoll". */
const char *ev_backend_name(enum ev_backend backend);

/* A new loop watching nothing. Dies if the backend is not available here. */
struct ev_loop *ev_create(enum ev_backend backend);
void ev_destroy(struct ev_loop *loop);

/* Start watching fd (not watched yet) for events (EV_READ, EV_WRITE, both or 0). */
void ev_watch(struct ev_loop *loop, int fd, int events, ev_handler *handler, void *data);

/* What a watched fd waits for from now on. */
void ev_change(struct ev_loop *loop, int fd, int events);

/* Stop watching fd and cancel its timer. Before close(fd): a closed descriptor's number is
 * reused by the next accept. */
void ev_unwatch(struct ev_loop *loop, int fd);

/* fd's timer (fd must be watched): due at `when` on now_s()'s clock; 0 cancels it. */
void ev_timer(struct ev_loop *loop, int fd, double when);

/* One turn: wait until something is ready or a timer is due (at most max_wait seconds;
 * max_wait < 0: no limit but the timers), then run the handlers of everything ready and
 * of every timer due. Returns how many handlers ran. A signal that interrupts the wait
 * ends the turn early (0 handlers): check your flags and call again. */
int ev_run_once(struct ev_loop *loop, double max_wait);

/* How many descriptors are watched, and with a timer set. */
size_t ev_watched(const struct ev_loop *loop);
size_t ev_timers(const struct ev_loop *loop);

/* accept() on a non-blocking listening socket (net_listen's): the connection in
 * non-blocking mode with TCP_NODELAY (a small answer leaves at once instead of waiting for
 * the previous one's acknowledgement), its peer's port in *peer_port (if not NULL). -1
 * with errno otherwise: EAGAIN when nobody is waiting any more (accept until then), EMFILE
 * or ENFILE when out of descriptors. */
int ev_accept(int listen_fd, int *peer_port);

#endif
