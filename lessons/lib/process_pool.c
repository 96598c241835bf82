/*
 * process_pool.c: the pool of worker processes described in process_pool.h (read that
 * first). From the bottom up:
 *
 *   bytes and frames   a growable buffer; every message is [u32 length][body]
 *   the worker         what a child does after fork: run tasks until its pipe says EOF
 *   jobs               a chunk of tasks: queued, running in a worker, or done
 *   workers            forking one, losing one (reap, report, replace), handing out tasks
 *   the pump           one poll() over every result pipe: the heart of every wait
 *   the API            create, apply, map, imap_unordered, close, join, terminate, destroy
 *
 * A message body is [u32 kind][u32 count] and then, for a task, the function pointer's
 * bytes; then `count` items, each [u32 status][u32 length][padding][bytes]. The padding makes
 * every item start at a multiple of PP_ALIGN from the start of the body, which sits in a
 * malloc'd buffer, so a task may read its argument as any type without memcpy.
 */
#include "process_pool.h"

#include "core.h"
#include "cpu.h"

#include <errno.h>
#include <fcntl.h>
#if defined(__linux__)
#include <sys/prctl.h> /* die_with_parent, Linux only */
#endif
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { MSG_TASK = 1, MSG_RESULTS, MSG_READY, MSG_INIT_FAILED };
enum { ITEM_OK = 0, ITEM_FAILED = 1 };

#define PP_MAX_FRAME (1u << 30) /* 1 GiB: a bigger length can only be garbage */
#ifndef PIPE_BUF /* limits.h may leave it out if it varies; POSIX promises at least 512 */
#define PIPE_BUF _POSIX_PIPE_BUF
#endif
#define PP_ALIGN _Alignof(max_align_t)

/* snprintf that may truncate a message on purpose (messages are one line for people). */
static void say(char *buf, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (vsnprintf(buf, n, fmt, ap) < 0 && n > 0)
        buf[0] = '\0';
    va_end(ap);
}

/* ---- bytes and frames -------------------------------------------------------------- */

typedef struct {
    unsigned char *data;
    size_t len, cap;
} bytes;

static void bytes_put(bytes *b, const void *src, size_t n)
{
    if (b->cap - b->len < n) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap - b->len < n)
            cap *= 2;
        b->data = xrealloc(b->data, cap);
        b->cap = cap;
    }
    if (n)
        memcpy(b->data + b->len, src, n);
    b->len += n;
}

static void bytes_put_u32(bytes *b, uint32_t v)
{
    bytes_put(b, &v, sizeof v);
}

static void bytes_free(bytes *b)
{
    free(b->data);
    *b = (bytes){0};
}

/* A frame is [u32 length of the body][body]: the 4 bytes are patched in by frame_end. */
static void frame_begin(bytes *b, uint32_t kind, uint32_t count)
{
    b->len = 0;
    bytes_put_u32(b, 0);
    bytes_put_u32(b, kind);
    bytes_put_u32(b, count);
}

static void frame_put_item(bytes *b, uint32_t status, const void *data, size_t len)
{
    static const unsigned char zeros[64];
    bytes_put_u32(b, status);
    bytes_put_u32(b, len > UINT32_MAX ? UINT32_MAX : (uint32_t)len); /* frame_end refuses */
    bytes_put(b, zeros, (PP_ALIGN - (b->len - 4) % PP_ALIGN) % PP_ALIGN);
    bytes_put(b, data, len);
}

/* false if the frame is too big to send. */
static bool frame_end(bytes *b)
{
    size_t body = b->len - 4;
    if (body > PP_MAX_FRAME)
        return false;
    uint32_t len = (uint32_t)body;
    memcpy(b->data, &len, sizeof len);
    return true;
}

/* Reading a body back: a cursor that refuses to run past the end. */
typedef struct {
    const unsigned char *base;
    size_t pos, len;
} reader;

static bool take(reader *r, void *out, size_t n)
{
    if (r->len - r->pos < n)
        return false;
    memcpy(out, r->base + r->pos, n);
    r->pos += n;
    return true;
}

static bool take_u32(reader *r, uint32_t *v)
{
    return take(r, v, sizeof *v);
}

static bool take_item(reader *r, uint32_t *status, const unsigned char **data, size_t *len)
{
    uint32_t n;
    if (!take_u32(r, status) || !take_u32(r, &n))
        return false;
    size_t pad = (PP_ALIGN - r->pos % PP_ALIGN) % PP_ALIGN;
    if (r->len - r->pos < pad || r->len - r->pos - pad < n)
        return false;
    *data = r->base + r->pos + pad;
    *len = n;
    r->pos += pad + n;
    return true;
}

/* Waits until fd is ready for `events` or the deadline (absolute, now_ns; -1 = none)
 * passes. The parent's pipe ends are non-blocking, so every wait of theirs is one of these
 * and has the pool's deadline: a worker that stops reading or stops writing halfway through
 * a message (stopped, or hung) cannot hold a call past its .timeout. Returns 0, ETIMEDOUT,
 * or an errno value. */
static int poll_ms(int64_t deadline);

static int wait_fd(int fd, short events, int64_t deadline)
{
    for (;;) {
        int ms = poll_ms(deadline);
        if (ms == 0)
            return ETIMEDOUT;
        struct pollfd pfd = {.fd = fd, .events = events};
        int r = poll(&pfd, 1, ms);
        if (r > 0)
            return 0;
        if (r < 0 && errno != EINTR)
            return errno;
    }
}

/* write() may write less than asked (a pipe holds 64 KiB on Linux; a big message goes in
 * pieces as the reader drains it) and a signal may interrupt it: loop until all is out.
 * On a non-blocking end (the parent's), EAGAIN waits for room until the deadline.
 * Returns 0 or an errno value (EPIPE: nobody reads the other end any more; ETIMEDOUT). */
static int write_all(int fd, const void *buf, size_t n, int64_t deadline)
{
    const unsigned char *p = buf;
    while (n > 0) {
        ssize_t k = write(fd, p, n);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                return errno;
            int rc = wait_fd(fd, POLLOUT, deadline);
            if (rc != 0)
                return rc;
            continue;
        }
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

/* read() may return less than asked, too. Returns how many bytes arrived: n, or fewer if
 * the other end was closed first; -1 with errno on an error (ETIMEDOUT: the deadline passed
 * with the message unfinished). */
static ssize_t read_all(int fd, void *buf, size_t n, int64_t deadline)
{
    unsigned char *p = buf;
    size_t got = 0;
    while (got < n) {
        ssize_t k = read(fd, p + got, n - got);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                return -1;
            int rc = wait_fd(fd, POLLIN, deadline);
            if (rc != 0) {
                errno = rc;
                return -1;
            }
            continue;
        }
        if (k == 0)
            break;
        got += (size_t)k;
    }
    return (ssize_t)got;
}

/* One frame into body (its body only). 1 = got it; 0 = end of file, before or in the middle
 * of a frame (the writer is gone); -1 = a read error or a length no frame can have; -2 = the
 * deadline passed in the middle of the frame. */
static int recv_frame(int fd, bytes *body, int64_t deadline)
{
    uint32_t len;
    ssize_t k = read_all(fd, &len, sizeof len, deadline);
    if (k < 0 && errno == ETIMEDOUT)
        return -2;
    if (k < 0)
        return -1;
    if (k < (ssize_t)sizeof len)
        return 0;
    if (len > PP_MAX_FRAME || len < 8)
        return -1;
    body->len = 0;
    if (body->cap < len) {
        free(body->data);
        body->data = xmalloc(len);
        body->cap = len;
    }
    k = read_all(fd, body->data, len, deadline);
    if (k < 0)
        return errno == ETIMEDOUT ? -2 : -1;
    if ((size_t)k < len)
        return 0;
    body->len = len;
    return 1;
}

/* ---- the pool's state -------------------------------------------------------------- */

typedef enum { JOB_QUEUED, JOB_RUNNING, JOB_DONE } job_state;

/* One message's worth of work: a single apply, or one chunk of a map. */
struct pp_job {
    pp_job *next;                /* in the queue, or in an iterator's list of ended jobs */
    pp_job *all_prev, *all_next; /* every job the pool owns, for pp_destroy */
    job_state state;
    bool orphan;       /* nobody will collect it: free it when it ends */
    pp_imap_it *iter;     /* imap_unordered: where it goes when it ends */
    size_t iter_slot;  /* ... and its place in the iterator's array */
    size_t first;      /* map: the index of its first item */
    size_t count;      /* items in it */
    bytes task;        /* the encoded message, until a worker takes it */
    pp_result *results; /* count of them, filled when it ends */
};

typedef enum { W_EMPTY, W_STARTING, W_READY } worker_state;

/* A worker holds at most two jobs: the one it runs, and the next one, already in its pipe,
 * so that it can start on it the moment it sends an answer instead of waiting a round trip
 * for us to notice and send more. */
#define DEPTH 2

typedef struct {
    worker_state state;
    pid_t pid;
    int to_fd;           /* our end of its task pipe (we write) */
    int from_fd;         /* our end of its result pipe (we read) */
    pp_job *jobs[DEPTH]; /* sent to it, oldest first: it runs jobs[0] */
    int njobs;
} worker;

/* RUNNING and CLOSED replace dead workers; the others never fork again. */
typedef enum { POOL_RUNNING, POOL_CLOSED, POOL_JOINING, POOL_JOINED, POOL_TERMINATED,
               POOL_BROKEN } pool_state;

struct pp_pool {
    pool_state state;
    bool creating; /* inside pp_create: a worker failing to start fails the create */
    int nworkers;
    worker *w;
    struct pollfd *pfd; /* poll's array, rebuilt on every pump ... */
    pid_t *pfd_pid;     /* ... with whose pipe each entry is */
    int *pfd_slot;
    pp_fn init;
    bytes init_arg;
    bytes rx; /* the message being received */
    double timeout;
    int64_t deadline; /* of the call under way (now_ns; -1 = none): every pipe wait's bound */
    bool no_respawn;
    pp_job *queue_head, *queue_tail; /* tasks waiting for a worker, first come first served */
    pp_job *jobs;                    /* every job the pool owns */
    char error[PP_ERROR_MAX];
    pp_stats stats;
    pp_pool *next_pool;
};

struct pp_imap_it {
    pp_pool *pool;
    pp_job **jobs; /* its chunks; NULL once handed out completely */
    size_t njobs;
    pp_job *done_head, *done_tail; /* chunks that ended, in the order they did */
    size_t cursor;                 /* the next item of done_head to hand out */
    size_t left;                   /* items not handed out yet */
};

/* Every live pool, so that a new worker can close the pipes of all the others. */
static pp_pool *all_pools;

/* ---- the worker: everything a child does --------------------------------------------- */

struct pp_reply {
    bytes data;
    bool failed;
    char error[PP_ERROR_MAX];
};

void pp_reply_bytes(pp_reply *reply, const void *data, size_t len)
{
    reply->data.len = 0;
    bytes_put(&reply->data, data, len);
    reply->failed = false;
}

void pp_reply_error(pp_reply *reply, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (vsnprintf(reply->error, sizeof reply->error, fmt, ap) < 0)
        say(reply->error, sizeof reply->error, "(unprintable error message)");
    va_end(ap);
    reply->failed = true;
}

/* The parent may have blocked or caught signals; a worker starts from the defaults, so that
 * pp_terminate's SIGTERM ends it and a write to a vanished parent ends it too. */
static void worker_signals(void)
{
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(SIGPIPE, &dfl, NULL);
    sigaction(SIGTERM, &dfl, NULL);
    sigaction(SIGINT, &dfl, NULL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL); /* fine here: the child has a single thread */
}

/* A child inherits every descriptor of its parent, including the parent's ends of the other
 * workers' pipes (of every pool). If it kept them, closing worker 1's task pipe would not
 * give worker 1 end-of-file, because worker 2 would still hold a copy of the write end. */
static void close_other_pipes(void)
{
    for (pp_pool *q = all_pools; q; q = q->next_pool)
        for (int i = 0; i < q->nworkers; i++) {
            if (q->w[i].to_fd >= 0)
                close(q->w[i].to_fd);
            if (q->w[i].from_fd >= 0)
                close(q->w[i].from_fd);
        }
}

static _Noreturn void worker_exit(int code, bytes *in, bytes *out, pp_reply *reply)
{
    bytes_free(in);
    bytes_free(out);
    bytes_free(&reply->data);
    fflush(NULL); /* what the tasks printed; the parent flushed its own before the fork */
    _exit(code);  /* not exit(): the atexit handlers belong to the parent */
}

/* Linux only (prctl): the kernel kills the worker when the thread that forked it ends, even
 * a stopped worker, which could never read end-of-file from its task pipe. Elsewhere a
 * worker learns of its parent's end from that end-of-file alone. `parent` is the pid of the
 * pool's process: if it ended before the request took hold, go now. */
static void die_with_parent(pid_t parent)
{
#if defined(__linux__)
    prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
    if (getppid() != parent)
        _exit(0);
}

static _Noreturn void worker_main(const pp_pool *p, pid_t parent, int tasks, int results)
{
    die_in_forked_child();
    die_with_parent(parent);
    worker_signals();
    close_other_pipes();

    bytes in = {0}, out = {0};
    pp_reply reply = {0};
    if (p->init) {
        p->init(p->init_arg.data, p->init_arg.len, &reply);
        if (reply.failed) {
            frame_begin(&out, MSG_INIT_FAILED, 1);
            frame_put_item(&out, ITEM_FAILED, reply.error, strlen(reply.error));
            frame_end(&out);
            write_all(results, out.data, out.len, -1);
            worker_exit(1, &in, &out, &reply);
        }
    }
    frame_begin(&out, MSG_READY, 0);
    frame_end(&out);
    if (write_all(results, out.data, out.len, -1) != 0)
        worker_exit(1, &in, &out, &reply);

    for (;;) {
        int rc = recv_frame(tasks, &in, -1);
        if (rc == 0) /* the parent closed our task pipe (pp_join), or it died */
            worker_exit(0, &in, &out, &reply);
        reader r = {in.data, 0, in.len};
        uint32_t kind, count;
        pp_fn fn;
        if (rc < 0 || !take_u32(&r, &kind) || kind != MSG_TASK || !take_u32(&r, &count) ||
            !take(&r, &fn, sizeof fn))
            worker_exit(2, &in, &out, &reply);
        /* fn is a pointer from the parent's address space. We are a fork of the parent,
         * the same program at the same addresses, so it points at the same function. */
        frame_begin(&out, MSG_RESULTS, count);
        for (uint32_t k = 0; k < count; k++) {
            uint32_t unused;
            const unsigned char *arg;
            size_t len;
            if (!take_item(&r, &unused, &arg, &len))
                worker_exit(2, &in, &out, &reply);
            reply.data.len = 0;
            reply.failed = false;
            fn(arg, len, &reply);
            if (reply.failed)
                frame_put_item(&out, ITEM_FAILED, reply.error, strlen(reply.error));
            else
                frame_put_item(&out, ITEM_OK, reply.data.data, reply.data.len);
        }
        if (!frame_end(&out)) {
            static const char too_big[] = "results too large for one message";
            frame_begin(&out, MSG_RESULTS, count);
            for (uint32_t k = 0; k < count; k++)
                frame_put_item(&out, ITEM_FAILED, too_big, sizeof too_big - 1);
            frame_end(&out);
        }
        if (write_all(results, out.data, out.len, -1) != 0) /* the parent is gone */
            worker_exit(1, &in, &out, &reply);
    }
}

/* ---- results and jobs -------------------------------------------------------------- */

static const char *const status_names[] = {"ok", "failed", "died", "timeout", "broken",
                                           "closed", "terminated"};

const char *pp_status_name(pp_status s)
{
    return (unsigned)s < sizeof status_names / sizeof status_names[0] ? status_names[s] : "?";
}

void pp_result_free(pp_result *r)
{
    free(r->data);
    r->data = NULL;
    r->len = 0;
}

/* A result that is not a reply: overwrites r without freeing (r may be uninitialized). */
static void result_fail(pp_result *r, pp_status status, const char *fmt, ...)
{
    r->status = status;
    r->data = NULL;
    r->len = 0;
    va_list ap;
    va_start(ap, fmt);
    if (vsnprintf(r->error, sizeof r->error, fmt, ap) < 0)
        r->error[0] = '\0';
    va_end(ap);
}

static pp_job *job_new(pp_pool *p, size_t first, size_t count)
{
    pp_job *job = xcalloc(1, sizeof *job);
    job->first = first;
    job->count = count;
    job->results = xcalloc(count, sizeof *job->results);
    job->all_next = p->jobs;
    if (p->jobs)
        p->jobs->all_prev = job;
    p->jobs = job;
    return job;
}

static void job_free(pp_pool *p, pp_job *job)
{
    if (job->all_prev)
        job->all_prev->all_next = job->all_next;
    else
        p->jobs = job->all_next;
    if (job->all_next)
        job->all_next->all_prev = job->all_prev;
    for (size_t k = 0; k < job->count; k++)
        pp_result_free(&job->results[k]);
    free(job->results);
    bytes_free(&job->task);
    free(job);
}

/* The one place a job ends. */
static void job_end(pp_pool *p, pp_job *job)
{
    job->state = JOB_DONE;
    bytes_free(&job->task);
    if (job->orphan) {
        job_free(p, job);
    } else if (job->iter) {
        pp_imap_it *it = job->iter;
        job->next = NULL;
        if (it->done_tail)
            it->done_tail->next = job;
        else
            it->done_head = job;
        it->done_tail = job;
    }
}

/* Ends a job without answers: every item gets the same status and message. */
static void job_fail(pp_pool *p, pp_job *job, pp_status status, const char *msg)
{
    for (size_t k = 0; k < job->count; k++) {
        pp_result_free(&job->results[k]);
        result_fail(&job->results[k], status, "%s", msg);
    }
    job_end(p, job);
}

static void enqueue(pp_pool *p, pp_job *job)
{
    job->state = JOB_QUEUED;
    job->next = NULL;
    if (p->queue_tail)
        p->queue_tail->next = job;
    else
        p->queue_head = job;
    p->queue_tail = job;
}

static void push_front(pp_pool *p, pp_job *job)
{
    job->state = JOB_QUEUED;
    job->next = p->queue_head;
    p->queue_head = job;
    if (!p->queue_tail)
        p->queue_tail = job;
}

static pp_job *dequeue(pp_pool *p)
{
    pp_job *job = p->queue_head;
    p->queue_head = job->next;
    if (!p->queue_head)
        p->queue_tail = NULL;
    job->next = NULL;
    return job;
}

static void unqueue(pp_pool *p, pp_job *job)
{
    pp_job **link = &p->queue_head, *prev = NULL;
    while (*link && *link != job) {
        prev = *link;
        link = &(*link)->next;
    }
    if (!*link)
        return;
    *link = job->next;
    if (p->queue_tail == job)
        p->queue_tail = prev;
    job->next = NULL;
}

/* Ends every queued job with the same status: the pool will never run them. */
static void fail_queue(pp_pool *p, pp_status status, const char *msg)
{
    while (p->queue_head)
        job_fail(p, dequeue(p), status, msg);
}

/* The caller stops waiting for a job: free it, or let it finish unobserved. */
static void abandon(pp_pool *p, pp_job *job)
{
    switch (job->state) {
    case JOB_QUEUED:
        unqueue(p, job);
        job_free(p, job);
        break;
    case JOB_RUNNING:
        job->orphan = true; /* its worker frees it when the answer comes */
        job->iter = NULL;
        break;
    case JOB_DONE:
        job_free(p, job);
        break;
    }
}

/* ---- workers: forking, losing, handing out tasks ------------------------------------ */

/* pipe2(fds, O_CLOEXEC) would set close-on-exec in the same step, but it is not in
 * POSIX.1-2008. Between pipe() and fcntl() another thread could fork and exec and leak the
 * descriptors into that program; we fork only from a single-threaded program, so the
 * window cannot matter here. Close-on-exec keeps our pipes out of programs the tasks run. */
static bool make_pipe(int fds[2])
{
    if (pipe(fds) != 0)
        return false;
    for (int k = 0; k < 2; k++)
        if (fcntl(fds[k], F_SETFD, FD_CLOEXEC) != 0) {
            int e = errno;
            close(fds[0]);
            close(fds[1]);
            errno = e;
            return false;
        }
    return true;
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

/* Forks the worker for `slot`. It starts W_STARTING; its "ready" message makes it W_READY. */
static bool spawn(pp_pool *p, int slot, char *err, size_t err_len)
{
    int down[2], up[2]; /* tasks go down to the worker, results come up */
    if (!make_pipe(down)) {
        say(err, err_len, "pipe: %s", strerror(errno));
        return false;
    }
    if (!make_pipe(up)) {
        say(err, err_len, "pipe: %s", strerror(errno));
        close(down[0]);
        close(down[1]);
        return false;
    }
    fflush(NULL); /* else the child inherits our unwritten output and may write it again */
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        say(err, err_len, "fork: %s", strerror(errno));
        close(down[0]);
        close(down[1]);
        close(up[0]);
        close(up[1]);
        return false;
    }
    if (pid == 0) {
        close(down[1]);
        close(up[0]);
        worker_main(p, parent, down[0], up[1]); /* never returns */
    }
    close(down[0]);
    close(up[1]);
    /* Our ends do not block: every wait on them is a poll with the call's deadline. */
    if (fcntl(down[1], F_SETFL, O_NONBLOCK) != 0 || fcntl(up[0], F_SETFL, O_NONBLOCK) != 0)
        die_errno("fcntl O_NONBLOCK");
    worker *w = &p->w[slot];
    *w = (worker){.state = W_STARTING, .pid = pid, .to_fd = down[1], .from_fd = up[0]};
    p->stats.forked++;
    return true;
}

/* waitpid for one child, through EINTR. */
static pid_t wait_for(pid_t pid, int *status, int flags)
{
    pid_t r;
    while ((r = waitpid(pid, status, flags)) < 0 && errno == EINTR)
        ;
    return r;
}

/* Reaps worker `slot` and says how it ended: "worker 1 (pid 4242) killed by signal 9
 * (Killed)". `force`: we do not know that it is exiting (its pipe was closed under us), so
 * if it has not ended yet, SIGKILL makes sure the wait is short. A process that is already
 * exiting keeps the status it exits with. Returns true if it exited with status 0. */
static bool reap(const pp_pool *p, int slot, bool force, char *why, size_t n)
{
    pid_t pid = p->w[slot].pid;
    int status = 0;
    pid_t r = 0;
    if (force) {
        r = wait_for(pid, &status, WNOHANG);
        if (r == 0)
            kill(pid, SIGKILL);
    }
    if (r == 0)
        r = wait_for(pid, &status, 0);
    if (r < 0) { /* ECHILD: someone else reaped it, e.g. SIGCHLD set to SIG_IGN */
        say(why, n, "worker %d (pid %ld) is gone, its exit status is unknown (%s)", slot,
            (long)pid, strerror(errno));
        return false;
    }
    if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        say(why, n, "worker %d (pid %ld) killed by signal %d (%s)", slot, (long)pid, sig,
            strsignal(sig));
        return false;
    }
    if (WIFEXITED(status)) {
        say(why, n, "worker %d (pid %ld) exited with status %d", slot, (long)pid,
            WEXITSTATUS(status));
        return WEXITSTATUS(status) == 0;
    }
    say(why, n, "worker %d (pid %ld) ended with wait status %#x", slot, (long)pid,
        (unsigned)status);
    return false;
}

static void break_pool(pp_pool *p, const char *why);

/* Worker `slot` is gone (end-of-file on its result pipe, or EPIPE on its task pipe) or must
 * go. Close its pipes, reap it, end the job it was running with the reason, put the one
 * it had not started back in the queue, and replace it if the pool still needs workers. */
static void worker_lost(pp_pool *p, int slot, bool force)
{
    worker *w = &p->w[slot];
    char why[PP_ERROR_MAX], msg[PP_ERROR_MAX];
    close_fd(&w->to_fd);
    close_fd(&w->from_fd);
    bool clean = reap(p, slot, force, why, sizeof why);
    worker_state was = w->state;
    worker gone = *w;
    *w = (worker){.state = W_EMPTY, .to_fd = -1, .from_fd = -1};

    for (int k = gone.njobs - 1; k >= 1; k--) /* never started: back to the queue's front */
        push_front(p, gone.jobs[k]);
    if (gone.njobs > 0) {
        pp_job *job = gone.jobs[0];
        if (p->state == POOL_TERMINATED) {
            say(msg, sizeof msg, "pool terminated: %s", why);
            job_fail(p, job, PP_TERMINATED, msg);
        } else if (p->state == POOL_BROKEN) {
            say(msg, sizeof msg, "pool broken: %s", p->error);
            job_fail(p, job, PP_BROKEN, msg);
        } else {
            job_fail(p, job, PP_DIED, why);
        }
    }
    if (p->state == POOL_TERMINATED)
        fail_queue(p, PP_TERMINATED, "pool terminated before the task started");
    else if (p->state == POOL_BROKEN) {
        say(msg, sizeof msg, "pool broken: %s", p->error);
        fail_queue(p, PP_BROKEN, msg);
    }
    if (p->state == POOL_JOINING && !clean && !p->error[0])
        say(p->error, sizeof p->error, "%s", why);
    if (p->state != POOL_RUNNING && p->state != POOL_CLOSED)
        return; /* joining, terminated or broken: nobody is replaced */

    if (was == W_STARTING && p->init) { /* it died in its initializer, or it failed */
        if (!p->error[0])
            say(p->error, sizeof p->error, "%s while running its initializer", why);
        if (!p->creating)
            break_pool(p, NULL); /* a replacement failed to start: never retry in a loop */
        return;
    }
    /* Without an initializer, a worker that dies before saying it is ready (a kill that
     * hits a fresh replacement) died like any other: it is counted and replaced below. A
     * worker that cannot even start (fork refused) breaks the pool in spawn's branch. */
    p->stats.died++;
    say(p->stats.last_death, sizeof p->stats.last_death, "%s", why);
    if (p->no_respawn) {
        break_pool(p, why);
        return;
    }
    char err[PP_ERROR_MAX];
    if (!spawn(p, slot, err, sizeof err)) {
        say(msg, sizeof msg, "cannot replace %s: %s", why, err);
        break_pool(p, msg);
        return;
    }
    p->stats.replaced++;
}

/* The pool cannot go on: end every task with the reason, kill and reap every worker. */
static void break_pool(pp_pool *p, const char *why)
{
    if (p->state == POOL_BROKEN)
        return;
    p->state = POOL_BROKEN;
    if (why)
        say(p->error, sizeof p->error, "%s", why);
    char msg[PP_ERROR_MAX];
    say(msg, sizeof msg, "pool broken: %s", p->error);
    fail_queue(p, PP_BROKEN, msg);
    for (int i = 0; i < p->nworkers; i++)
        if (p->w[i].state != W_EMPTY) {
            kill(p->w[i].pid, SIGKILL);
            worker_lost(p, i, false);
        }
}

/* Hands queued jobs to workers: first one to every worker that has none, then a second one
 * to every worker that has one, for it to start on as soon as it answers the first.
 *
 * Only a message of at most PIPE_BUF bytes goes second. Writing it can then never wait: the
 * worker either is still reading its first task (and empties the pipe as it does) or has
 * read all of it, and an empty pipe takes PIPE_BUF bytes at once. A big second task could
 * fill the pipe while the worker, done with the first, waits for us to read its big answer:
 * each would wait for the other forever. */
static void dispatch(pp_pool *p)
{
    if (p->deadline >= 0 && now_ns() >= p->deadline)
        return; /* the call is over: what is queued waits for the next one */
    for (int depth = 0; depth < DEPTH; depth++)
        for (int i = 0; i < p->nworkers && p->queue_head; i++) {
            worker *w = &p->w[i];
            if (w->state != W_READY || w->njobs != depth)
                continue;
            if (depth > 0 && p->queue_head->task.len > PIPE_BUF)
                return;
            pp_job *job = dequeue(p);
            if (write_all(w->to_fd, job->task.data, job->task.len, p->deadline) != 0) {
                /* EPIPE: the worker died before it read the task; ETIMEDOUT: it stopped
                 * reading (stopped, hung) and the call's deadline passed, with half a
                 * message in its pipe. Either way the task never ran: back to the front of
                 * the queue it goes, and the worker is killed if need be and replaced.
                 * (SIGPIPE is ignored: see pp_create.) */
                push_front(p, job);
                worker_lost(p, i, true);
                continue;
            }
            job->state = JOB_RUNNING; /* its message is kept: see worker_lost */
            w->jobs[w->njobs++] = job;
        }
}

/* ---- the pump ---------------------------------------------------------------------- */

/* Reads one message from worker `slot`, which poll() said is readable (or closed). */
static void receive(pp_pool *p, int slot)
{
    worker *w = &p->w[slot];
    bytes *body = &p->rx;
    int rc = recv_frame(w->from_fd, body, p->deadline);
    if (rc == -2) { /* the deadline passed halfway through its answer: it is stuck */
        if (w->njobs > 0) {
            pp_job *job = w->jobs[0];
            w->njobs--;
            memmove(&w->jobs[0], &w->jobs[1], (size_t)w->njobs * sizeof w->jobs[0]);
            char msg[PP_ERROR_MAX];
            say(msg, sizeof msg, "worker %d (pid %ld) stopped halfway through its answer; "
                "killed after %g s", slot, (long)w->pid, p->timeout);
            job_fail(p, job, PP_TIMEOUT, msg);
        }
        kill(w->pid, SIGKILL);
        worker_lost(p, slot, true);
        return;
    }
    if (rc <= 0) { /* end-of-file: the worker is gone (or sent garbage: then it goes) */
        worker_lost(p, slot, true);
        return;
    }
    reader r = {body->data, 0, body->len};
    uint32_t kind, count, status;
    const unsigned char *data;
    size_t len;
    bool ok = take_u32(&r, &kind) && take_u32(&r, &count);
    if (ok && kind == MSG_READY && w->state == W_STARTING) {
        w->state = W_READY;
    } else if (ok && kind == MSG_INIT_FAILED && w->state == W_STARTING &&
               take_item(&r, &status, &data, &len)) {
        if (!p->error[0])
            say(p->error, sizeof p->error, "worker %d (pid %ld): initializer failed: %.*s",
                slot, (long)w->pid, (int)(len < PP_ERROR_MAX ? len : PP_ERROR_MAX),
                (const char *)data);
        worker_lost(p, slot, false); /* it exits right after saying so */
    } else if (ok && kind == MSG_RESULTS && w->njobs > 0 && count == w->jobs[0]->count) {
        pp_job *job = w->jobs[0]; /* answers come back in the order the tasks went out */
        for (size_t k = 0; ok && k < count; k++) {
            pp_result *res = &job->results[k];
            ok = take_item(&r, &status, &data, &len);
            if (ok && status == ITEM_OK) {
                res->status = PP_OK;
                res->len = len;
                res->data = len ? xmalloc(len) : NULL;
                if (len)
                    memcpy(res->data, data, len);
                res->error[0] = '\0';
            } else if (ok) {
                result_fail(res, PP_FAILED, "%.*s", (int)(len < PP_ERROR_MAX ? len : PP_ERROR_MAX),
                            (const char *)data);
            }
        }
        if (ok) {
            w->njobs--;
            memmove(&w->jobs[0], &w->jobs[1], (size_t)w->njobs * sizeof w->jobs[0]);
            job_end(p, job);
        }
    } else {
        ok = false;
    }
    if (!ok) { /* a message we did not expect: a bug, or memory trampled by a task */
        kill(w->pid, SIGKILL);
        worker_lost(p, slot, false);
    }
}

static int poll_ms(int64_t deadline)
{
    if (deadline < 0)
        return -1; /* no deadline: wait as long as it takes */
    int64_t left = deadline - now_ns();
    if (left <= 0)
        return 0;
    int64_t ms = (left + 999999) / 1000000; /* round up, or we would wake just too early */
    return ms > INT_MAX ? INT_MAX : (int)ms;
}

/* Every wait of the pool is this: hand out what is queued, sleep in poll() until some
 * worker's result pipe has something (an answer, "ready", or end-of-file because the worker
 * died), handle it, hand out more. No helper thread, no sleep loop. Returns false only if
 * the deadline (absolute, now_ns; -1 = none) passed with nothing to do. */
static bool pump(pp_pool *p, int64_t deadline)
{
    p->deadline = deadline;
    dispatch(p);
    int n = 0;
    for (int i = 0; i < p->nworkers; i++)
        if (p->w[i].state != W_EMPTY) {
            p->pfd[n] = (struct pollfd){.fd = p->w[i].from_fd, .events = POLLIN};
            p->pfd_pid[n] = p->w[i].pid;
            p->pfd_slot[n] = i;
            n++;
        }
    if (n == 0) { /* cannot happen while anything waits, but never wait on nothing */
        break_pool(p, "no worker is left");
        return true;
    }
    int ready;
    while ((ready = poll(p->pfd, (nfds_t)n, poll_ms(deadline))) < 0)
        if (errno != EINTR)
            die_errno("poll");
    if (ready == 0)
        return false;
    for (int k = 0; k < n; k++) {
        worker *w = &p->w[p->pfd_slot[k]];
        /* Handling one entry may have replaced another worker (a new pipe can reuse the
         * old descriptor number): the pid tells whether the entry is still that worker. */
        if (p->pfd[k].revents && w->state != W_EMPTY && w->pid == p->pfd_pid[k])
            receive(p, p->pfd_slot[k]);
    }
    dispatch(p);
    return true;
}

static int64_t deadline_of(const pp_pool *p)
{
    return p->timeout > 0 ? now_ns() + (int64_t)(p->timeout * 1e9) : -1;
}

static int live_workers(const pp_pool *p)
{
    int n = 0;
    for (int i = 0; i < p->nworkers; i++)
        n += p->w[i].state != W_EMPTY;
    return n;
}

/* Nothing queued, nobody busy or starting. */
static bool quiet(const pp_pool *p)
{
    if (p->queue_head)
        return false;
    for (int i = 0; i < p->nworkers; i++)
        if (p->w[i].njobs > 0 || p->w[i].state == W_STARTING)
            return false;
    return true;
}

/* ---- creating and ending ----------------------------------------------------------- */

/* Writing to a pipe whose reader has died raises SIGPIPE, whose default action ends the
 * program: our program, because a worker died. Ignored, the write fails with EPIPE instead
 * and we handle it. (MSG_NOSIGNAL does this per call, but only for sockets.) A handler or
 * an "ignore" that the program installed itself is left alone. */
static void ignore_sigpipe(void)
{
    struct sigaction old;
    if (sigaction(SIGPIPE, NULL, &old) != 0)
        die_errno("sigaction");
    if (!(old.sa_flags & SA_SIGINFO) && old.sa_handler == SIG_DFL) {
        struct sigaction ign;
        memset(&ign, 0, sizeof ign);
        ign.sa_handler = SIG_IGN;
        sigemptyset(&ign.sa_mask);
        if (sigaction(SIGPIPE, &ign, NULL) != 0)
            die_errno("sigaction");
    }
}

static void pool_free(pp_pool *p)
{
    while (p->jobs)
        job_free(p, p->jobs);
    for (pp_pool **link = &all_pools; *link; link = &(*link)->next_pool)
        if (*link == p) {
            *link = p->next_pool;
            break;
        }
    bytes_free(&p->init_arg);
    bytes_free(&p->rx);
    free(p->w);
    free(p->pfd);
    free(p->pfd_pid);
    free(p->pfd_slot);
    free(p);
}

pp_status pp_create(pp_pool **out, const pp_options *opt, char *err, size_t err_len)
{
    *out = NULL;
    if (!opt || opt->workers < 1 || opt->workers > PP_MAX_WORKERS) {
        say(err, err_len, "workers: expected 1 to %d, got %d", PP_MAX_WORKERS,
            opt ? opt->workers : 0);
        return PP_FAILED;
    }
    if (!(opt->timeout >= 0 && opt->timeout <= 1e6)) {
        say(err, err_len, "timeout: expected 0 to 1e6 seconds, got %g", opt->timeout);
        return PP_FAILED;
    }
    if (opt->init_len > 0 && !opt->init_arg) {
        say(err, err_len, "init_len is %zu but init_arg is NULL", opt->init_len);
        return PP_FAILED;
    }
    ignore_sigpipe();

    pp_pool *p = xcalloc(1, sizeof *p);
    p->nworkers = opt->workers;
    p->w = xcalloc((size_t)p->nworkers, sizeof *p->w);
    p->pfd = xcalloc((size_t)p->nworkers, sizeof *p->pfd);
    p->pfd_pid = xcalloc((size_t)p->nworkers, sizeof *p->pfd_pid);
    p->pfd_slot = xcalloc((size_t)p->nworkers, sizeof *p->pfd_slot);
    for (int i = 0; i < p->nworkers; i++)
        p->w[i] = (worker){.state = W_EMPTY, .to_fd = -1, .from_fd = -1};
    p->init = opt->init;
    bytes_put(&p->init_arg, opt->init_arg, opt->init_len);
    p->timeout = opt->timeout;
    p->deadline = -1;
    p->no_respawn = opt->no_respawn;
    p->next_pool = all_pools;
    all_pools = p;

    /* Fork every worker first, then wait for all the "ready"s: their initializers run in
     * parallel. */
    p->creating = true;
    for (int i = 0; i < p->nworkers && !p->error[0]; i++)
        spawn(p, i, p->error, sizeof p->error);
    int64_t deadline = deadline_of(p);
    pp_status status = PP_FAILED;
    while (!p->error[0] && !quiet(p))
        if (!pump(p, deadline)) {
            say(p->error, sizeof p->error,
                "the workers' initializers did not finish within %g s", p->timeout);
            status = PP_TIMEOUT;
        }
    p->creating = false;
    if (p->error[0]) {
        say(err, err_len, "%s", p->error);
        pp_terminate(p, 0); /* no respawn: the first failure is final */
        pool_free(p);
        return status;
    }
    *out = p;
    return PP_OK;
}

void pp_close(pp_pool *p)
{
    if (p->state == POOL_RUNNING)
        p->state = POOL_CLOSED;
}

void pp_terminate(pp_pool *p, double grace)
{
    if (p->state != POOL_BROKEN && p->state != POOL_JOINED)
        p->state = POOL_TERMINATED;
    fail_queue(p, PP_TERMINATED, "pool terminated before the task started");
    for (int i = 0; i < p->nworkers; i++)
        if (p->w[i].state != W_EMPTY)
            kill(p->w[i].pid, SIGTERM);
    /* The grace period: answers that arrive still count; each worker that ends is reaped
     * as its pipe closes. */
    int64_t deadline = now_ns() + (int64_t)(grace > 0 ? grace * 1e9 : 0);
    while (live_workers(p) > 0 && pump(p, deadline))
        ;
    for (int i = 0; i < p->nworkers; i++)
        if (p->w[i].state != W_EMPTY) {
            kill(p->w[i].pid, SIGKILL);
            worker_lost(p, i, false);
        }
}

bool pp_join(pp_pool *p)
{
    if (p->state == POOL_RUNNING)
        p->state = POOL_CLOSED;
    if (p->state == POOL_JOINED)
        return !p->error[0];
    if (p->state != POOL_CLOSED)
        return false; /* broken or terminated: pp_error says why, the workers are gone */
    int64_t deadline = deadline_of(p);
    while (!quiet(p))
        if (!pump(p, deadline)) {
            say(p->error, sizeof p->error,
                "pp_join: tasks still running after %g s; the workers were terminated",
                p->timeout);
            pp_terminate(p, 0);
            return false;
        }
    if (p->state != POOL_CLOSED)
        return false; /* it broke while we waited */
    /* Everybody idle. Closing a worker's task pipe is its signal to leave: it reads
     * end-of-file, exits 0, and we see end-of-file on its result pipe. */
    p->state = POOL_JOINING;
    for (int i = 0; i < p->nworkers; i++)
        close_fd(&p->w[i].to_fd);
    while (live_workers(p) > 0)
        if (!pump(p, deadline)) {
            if (!p->error[0])
                say(p->error, sizeof p->error, "pp_join: workers still alive after %g s",
                    p->timeout);
            for (int i = 0; i < p->nworkers; i++)
                if (p->w[i].state != W_EMPTY) {
                    kill(p->w[i].pid, SIGKILL);
                    worker_lost(p, i, false);
                }
        }
    p->state = POOL_JOINED;
    return !p->error[0];
}

void pp_destroy(pp_pool *p)
{
    if (!p)
        return;
    if (live_workers(p) > 0) {
        if ((p->state == POOL_RUNNING || p->state == POOL_CLOSED) && quiet(p))
            pp_join(p); /* all idle: let them leave the polite way */
        else
            pp_terminate(p, 1.0);
    }
    pool_free(p);
}

const char *pp_error(const pp_pool *p)
{
    return p->error[0] ? p->error : NULL;
}

int pp_workers(const pp_pool *p)
{
    return p->nworkers;
}

pid_t pp_worker_pid(const pp_pool *p, int i)
{
    return i >= 0 && i < p->nworkers && p->w[i].state != W_EMPTY ? p->w[i].pid : 0;
}

double pp_cpu_seconds(const pp_pool *p)
{
    double sum = 0;
    for (int i = 0; i < pp_workers(p); i++)
        sum += cpu_seconds_of_process(pp_worker_pid(p, i));
    return sum;
}

void pp_get_stats(const pp_pool *p, pp_stats *out)
{
    *out = p->stats;
}

/* ---- submitting and collecting ------------------------------------------------------ */

/* A job for a pool that takes no more work ends at once, with the reason. */
static bool refused(pp_pool *p, pp_job *job)
{
    char msg[PP_ERROR_MAX];
    switch (p->state) {
    case POOL_RUNNING:
        return false;
    case POOL_BROKEN:
        say(msg, sizeof msg, "pool broken: %s", p->error);
        job_fail(p, job, PP_BROKEN, msg);
        return true;
    case POOL_TERMINATED:
        job_fail(p, job, PP_TERMINATED, "pool terminated");
        return true;
    default:
        job_fail(p, job, PP_CLOSED, "pool closed: it takes no new tasks");
        return true;
    }
}

/* The job's message: [kind TASK][count][fn] + count items (frame_begin/put_item/end). */
static void submit(pp_pool *p, pp_job *job)
{
    if (refused(p, job))
        return;
    if (!frame_end(&job->task)) {
        job_fail(p, job, PP_FAILED, "arguments larger than the 1 GiB message limit");
        return;
    }
    enqueue(p, job);
    dispatch(p); /* within the call's deadline, p->deadline, which the caller has set */
}

static pp_job *apply_job(pp_pool *p, pp_fn fn, const void *arg, size_t len)
{
    pp_job *job = job_new(p, 0, 1);
    frame_begin(&job->task, MSG_TASK, 1);
    bytes_put(&job->task, &fn, sizeof fn); /* the pointer's bytes: see worker_main */
    frame_put_item(&job->task, 0, arg, len);
    submit(p, job);
    return job;
}

/* Returns at once, unless an idle worker stopped reading a big task: then at .timeout. */
pp_job *pp_apply_async(pp_pool *p, pp_fn fn, const void *arg, size_t len)
{
    p->deadline = deadline_of(p);
    return apply_job(p, fn, arg, len);
}

static pp_status get_until(pp_pool *p, pp_job *job, pp_result *out, int64_t deadline)
{
    while (job->state != JOB_DONE)
        if (!pump(p, deadline)) {
            abandon(p, job);
            result_fail(out, PP_TIMEOUT, "no answer within %g s", p->timeout);
            return PP_TIMEOUT;
        }
    *out = job->results[0];
    job->results[0].data = NULL; /* the bytes are the caller's now */
    job_free(p, job);
    return out->status;
}

pp_status pp_get(pp_pool *p, pp_job *job, pp_result *out)
{
    return get_until(p, job, out, deadline_of(p));
}

bool pp_ready(pp_pool *p, pp_job *job)
{
    if (job->state != JOB_DONE)
        pump(p, now_ns()); /* poll() with a zero timeout: look, do not wait */
    return job->state == JOB_DONE;
}

/* One deadline for the whole call, handing the task over included. */
pp_status pp_apply(pp_pool *p, pp_fn fn, const void *arg, size_t len, pp_result *out)
{
    int64_t deadline = deadline_of(p);
    p->deadline = deadline;
    return get_until(p, apply_job(p, fn, arg, len), out, deadline);
}

size_t pp_default_chunk(const pp_pool *p, size_t n)
{
    size_t per = 4 * (size_t)p->nworkers;
    size_t chunk = (n + per - 1) / per;
    return chunk ? chunk : 1;
}

/* Cuts items into jobs of `chunk` and queues them all. */
static pp_job **submit_chunks(pp_pool *p, pp_fn fn, const void *items, size_t size, size_t n,
                              size_t chunk, size_t *njobs, pp_imap_it *it)
{
    if (chunk == 0)
        chunk = pp_default_chunk(p, n);
    *njobs = n / chunk + (n % chunk != 0);
    pp_job **jobs = xcalloc(*njobs, sizeof *jobs);
    const unsigned char *base = items;
    for (size_t j = 0; j < *njobs; j++) {
        size_t first = j * chunk, count = n - first < chunk ? n - first : chunk;
        pp_job *job = job_new(p, first, count);
        job->iter = it;
        job->iter_slot = j;
        if (count > UINT32_MAX) { /* the wire counts items in 32 bits */
            job_fail(p, job, PP_FAILED, "chunk larger than 2^32 - 1 items");
        } else {
            frame_begin(&job->task, MSG_TASK, (uint32_t)count);
            bytes_put(&job->task, &fn, sizeof fn);
            for (size_t k = 0; k < count; k++)
                frame_put_item(&job->task, 0, base + (first + k) * size, size);
            submit(p, job);
        }
        jobs[j] = job;
    }
    return jobs;
}

size_t pp_map(pp_pool *p, pp_fn fn, const void *items, size_t size, size_t n, size_t chunk,
              pp_result results[])
{
    if (n == 0)
        return 0;
    size_t njobs;
    int64_t deadline = deadline_of(p); /* one deadline for the whole call */
    p->deadline = deadline;
    pp_job **jobs = submit_chunks(p, fn, items, size, n, chunk, &njobs, NULL);
    bool timed_out = false;
    for (size_t j = 0; j < njobs && !timed_out; j++)
        while (jobs[j]->state != JOB_DONE)
            if (!pump(p, deadline)) {
                timed_out = true;
                break;
            }
    size_t not_ok = 0;
    for (size_t j = 0; j < njobs; j++) {
        pp_job *job = jobs[j];
        for (size_t k = 0; k < job->count; k++) {
            pp_result *r = &results[job->first + k];
            if (job->state == JOB_DONE) {
                *r = job->results[k];
                job->results[k].data = NULL;
            } else {
                result_fail(r, PP_TIMEOUT, "no answer within %g s", p->timeout);
            }
            not_ok += r->status != PP_OK;
        }
        abandon(p, job);
    }
    free(jobs);
    return not_ok;
}

pp_imap_it *pp_imap_unordered(pp_pool *p, pp_fn fn, const void *items, size_t size, size_t n,
                           size_t chunk)
{
    pp_imap_it *it = xcalloc(1, sizeof *it);
    it->pool = p;
    it->left = n;
    p->deadline = deadline_of(p);
    if (n > 0)
        it->jobs = submit_chunks(p, fn, items, size, n, chunk, &it->njobs, it);
    return it;
}

/* .timeout passed: every chunk not ended yet is replaced by one that ended PP_TIMEOUT. */
static void iter_time_out(pp_imap_it *it)
{
    pp_pool *p = it->pool;
    for (size_t j = 0; j < it->njobs; j++) {
        pp_job *job = it->jobs[j];
        if (!job || job->state == JOB_DONE)
            continue;
        pp_job *stand_in = job_new(p, job->first, job->count);
        stand_in->iter = it;
        stand_in->iter_slot = j;
        char msg[PP_ERROR_MAX];
        say(msg, sizeof msg, "no answer within %g s", p->timeout);
        abandon(p, job);
        it->jobs[j] = stand_in;
        job_fail(p, stand_in, PP_TIMEOUT, msg);
    }
}

bool pp_imap_next(pp_imap_it *it, size_t *index, pp_result *out)
{
    if (it->left == 0)
        return false;
    int64_t deadline = deadline_of(it->pool);
    while (!it->done_head)
        if (!pump(it->pool, deadline))
            iter_time_out(it);
    pp_job *job = it->done_head;
    *index = job->first + it->cursor;
    *out = job->results[it->cursor];
    job->results[it->cursor].data = NULL;
    it->left--;
    if (++it->cursor == job->count) { /* this chunk is all handed out */
        it->done_head = job->next;
        if (!it->done_head)
            it->done_tail = NULL;
        it->cursor = 0;
        it->jobs[job->iter_slot] = NULL;
        job_free(it->pool, job);
    }
    return true;
}

void pp_imap_free(pp_imap_it *it)
{
    if (!it)
        return;
    for (size_t j = 0; j < it->njobs; j++)
        if (it->jobs[j])
            abandon(it->pool, it->jobs[j]);
    free(it->jobs);
    free(it);
}
