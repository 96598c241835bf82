/*
 * stop_pipe.c: the signal self-pipe behind stop_pipe.h. Read the header for what each
 * function promises.
 */
#include "stop_pipe.h"

#include "core.h"
#include "net.h"

#include <unistd.h>

/* The one global: the handler takes no argument, so it must find the pipe here. */
static int stop_pipe[2] = { -1, -1 };

static void on_signal(int signo)
{
    int saved = errno;                   /* the interrupted code may be looking at errno */
    unsigned char byte = (unsigned char)signo;
    ssize_t n = write(stop_pipe[1], &byte, 1);    /* non-blocking: a full pipe says enough */
    (void)n;
    errno = saved;
}

int stop_pipe_install(void)
{
    if (pipe(stop_pipe) != 0)
        die_errno("pipe");
    net_set_blocking(stop_pipe[0], false);
    net_set_blocking(stop_pipe[1], false);
    struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESTART };
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGINT, &sa, NULL) != 0 || sigaction(SIGTERM, &sa, NULL) != 0)
        die_errno("sigaction");
    return stop_pipe[0];
}

int stop_pipe_take(void)
{
    unsigned char signo;
    for (;;) {
        ssize_t n = read(stop_pipe[0], &signo, 1);
        if (n == 1)
            return signo ? signo : -1;
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno != EAGAIN)
            die_errno("read (stop pipe)");
        return 0;
    }
}

const char *stop_pipe_name(int signo)
{
    return signo == SIGINT ? "SIGINT" : signo == SIGTERM ? "SIGTERM" : "a signal";
}

static void mask(int how, sigset_t *old)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    PT_CHECK(pthread_sigmask(how, &set, old));
}

void stop_pipe_block(sigset_t *old)
{
    mask(SIG_BLOCK, old);
}

void stop_pipe_unblock(const sigset_t *old)
{
    PT_CHECK(pthread_sigmask(SIG_SETMASK, old, NULL));
}
