/*
 * stop_pipe.h: SIGINT and SIGTERM as an ordinary event: the self-pipe trick lessons 20 and
 * 23 share. The handler only writes the signal's number into a pipe (write is
 * async-signal-safe; printf and locks are not); the program polls the pipe's read end
 * beside its sockets, and a signal is one more descriptor turning readable.
 *
 *   stop_pipe_install   make the pipe, install the handler for SIGINT and SIGTERM; returns
 *                       the read end (non-blocking), for poll() or an event loop
 *   stop_pipe_take      the next signal's number from the pipe, or 0 if none is waiting
 *   stop_pipe_name      "SIGINT", "SIGTERM", or "a signal"
 *   stop_pipe_block     block SIGINT and SIGTERM in the calling thread, keeping the old mask
 *   stop_pipe_unblock   restore the mask stop_pipe_block kept
 *
 * Threads inherit the signal mask of the thread that creates them: block the two signals
 * around pthread_create (or tp_create), unblock them afterwards, and only the creating
 * thread (main) ever runs the handler.
 *
 * Globals: the pipe's two ends, because the handler must find the write end and a handler
 * takes no argument. One pipe per process: install it once, before the threads start.
 * Errors (pipe, sigaction, a failed read) can only be bugs or a broken system: they end
 * the program. Ownership: the pipe lives as long as the process; nobody closes it.
 * Thread-safety: stop_pipe_take is meant for one thread (the one that polls the pipe);
 * stop_pipe_block and stop_pipe_unblock act on the calling thread only.
 */
#ifndef LESSONS_STOP_PIPE_H
#define LESSONS_STOP_PIPE_H

#include <signal.h>

int stop_pipe_install(void);
int stop_pipe_take(void);
const char *stop_pipe_name(int signo);
void stop_pipe_block(sigset_t *old);
void stop_pipe_unblock(const sigset_t *old);

#endif
