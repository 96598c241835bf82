/*
 * trace.c: the event buffer behind trace.h, and its JSON.
 */
#include "trace.h"
#include "program.h"

#include <fcntl.h>
#include <stdatomic.h>
#include <sys/mman.h>

enum { NAME_LEN = 40, CAT_LEN = 12 };

struct event {
    int64_t ts, dur;         /* ns since trace_open; dur for a complete event ("X") */
    int32_t pid, tid;
    char ph;                 /* 'X' complete, 'B' begin, 'E' end, 'M' a thread's name */
    char cat[CAT_LEN];
    char name[NAME_LEN];
};

/* Shared by every process forked after trace_open (MAP_SHARED). */
struct buffer {
    atomic_size_t claimed;   /* slots handed out; past TRACE_MAX_EVENTS they are dropped */
    atomic_int next_tid;     /* thread numbers, unique across processes */
    int64_t origin;          /* trace_open's CLOCK_MONOTONIC time, ns */
    struct event events[TRACE_MAX_EVENTS];
};

bool trace_enabled;
static struct buffer *buf;
static char *out_path;
static _Thread_local int my_tid = -1;
static _Thread_local bool named;

/* A forked child's thread is a new row: the parent's thread number and name stay behind. */
static void forget_thread_in_child(void)
{
    my_tid = -1;
    named = false;
}

bool trace_open(const char *path)
{
    FILE *probe = fopen(path, "w"); /* say now, not after the run, if it cannot be written */
    if (!probe)
        return false;
    fclose(probe);
    /* Shared memory from a temporary file: mmap of a file is POSIX, where an anonymous
     * shared mapping is an extension. The name is gone at once; the mapping stays. */
    char tmpl[] = "/tmp/trace-XXXXXX";
    int fd = mkstemp(tmpl);
    if (fd < 0)
        return false;
    unlink(tmpl);
    int rc = ftruncate(fd, (off_t)sizeof *buf);
    void *m = rc == 0 ? mmap(NULL, sizeof *buf, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)
                      : MAP_FAILED;
    int saved = errno;
    close(fd);
    if (m == MAP_FAILED) {
        errno = saved;
        return false;
    }
    buf = m;
    atomic_init(&buf->claimed, 0);
    atomic_init(&buf->next_tid, 0);
    buf->origin = now_ns();
    PT_CHECK(pthread_atfork(NULL, NULL, forget_thread_in_child));
    out_path = strdup(path);
    trace_enabled = out_path != NULL;
    return trace_enabled;
}

/* A slot for one event of the calling thread, or NULL when the buffer is full. */
static struct event *claim(void)
{
    if (my_tid < 0)
        my_tid = atomic_fetch_add(&buf->next_tid, 1);
    size_t i = atomic_fetch_add(&buf->claimed, 1);
    if (i >= TRACE_MAX_EVENTS)
        return NULL;
    struct event *e = &buf->events[i];
    e->pid = (int32_t)getpid();
    e->tid = my_tid;
    return e;
}

/* One event of the calling thread; the name from fmt and ap. */
static void record(char ph, int64_t ts, int64_t dur, const char *cat, const char *fmt,
                   va_list ap)
{
    struct event *e = claim();
    if (!e)
        return;
    e->ph = ph;
    e->ts = ts - buf->origin;
    e->dur = dur;
    snprintf(e->cat, sizeof e->cat, "%s", cat);
    vsnprintf(e->name, sizeof e->name, fmt, ap);
}

void trace_thread_name_on(const char *fmt, ...)
{
    if (named)
        return;
    named = true;
    va_list ap;
    va_start(ap, fmt);
    record('M', now_ns(), 0, "", fmt, ap);
    va_end(ap);
}

void trace_span_on(int64_t start_ns, const char *cat, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    record('X', start_ns, now_ns() - start_ns, cat, fmt, ap);
    va_end(ap);
}

void trace_begin_on(const char *cat, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    record('B', now_ns(), 0, cat, fmt, ap);
    va_end(ap);
}

void trace_end_on(void)
{
    struct event *e = claim(); /* an end names nothing: it closes its thread's last begin */
    if (!e)
        return;
    e->ph = 'E';
    e->ts = now_ns() - buf->origin;
    e->cat[0] = e->name[0] = '\0';
}

void trace_or_die(const char *path)
{
    if (path && !trace_open(path))
        die("--trace %s: %s", escaped(path), strerror(errno));
}

void trace_done_or_die(void)
{
    if (!trace_enabled)
        return;
    char path[256];
    snprintf(path, sizeof path, "%s", out_path); /* trace_close frees it */
    if (!trace_close())
        die("--trace %s: %s", escaped(path), strerror(errno));
}

/* A string as JSON wants it: quotes and backslashes escaped, control bytes as \u00XX. */
static void put_json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

bool trace_close(void)
{
    if (!trace_enabled)
        return true;
    trace_enabled = false;
    size_t claimed = atomic_load(&buf->claimed);
    size_t n = claimed < TRACE_MAX_EVENTS ? claimed : TRACE_MAX_EVENTS;
    FILE *f = fopen(out_path, "w");
    if (!f)
        return false;
    fprintf(f, "{\"displayTimeUnit\": \"ms\", \"traceEvents\": [\n");
    for (size_t i = 0; i < n; i++) {
        const struct event *e = &buf->events[i];
        fprintf(f, "%s{\"pid\": %d, \"tid\": %d, ", i ? ",\n" : "", (int)e->pid, (int)e->tid);
        if (e->ph == 'M') {
            fprintf(f, "\"ph\": \"M\", \"name\": \"thread_name\", \"args\": {\"name\": ");
            put_json_string(f, e->name);
            fprintf(f, "}}");
        } else if (e->ph == 'B') {
            fprintf(f, "\"ph\": \"B\", \"ts\": %.3f, \"cat\": ", (double)e->ts / 1e3);
            put_json_string(f, e->cat);
            fprintf(f, ", \"name\": ");
            put_json_string(f, e->name);
            fprintf(f, "}");
        } else if (e->ph == 'E') {
            fprintf(f, "\"ph\": \"E\", \"ts\": %.3f}", (double)e->ts / 1e3);
        } else {
            fprintf(f, "\"ph\": \"X\", \"ts\": %.3f, \"dur\": %.3f, \"cat\": ",
                    (double)e->ts / 1e3, (double)e->dur / 1e3);
            put_json_string(f, e->cat);
            fprintf(f, ", \"name\": ");
            put_json_string(f, e->name);
            fprintf(f, "}");
        }
    }
    /* The moment of closing: a bar that never ended (a deadlock's wait) is drawn up to it. */
    fprintf(f, "%s{\"pid\": %d, \"tid\": 0, \"ph\": \"i\", \"s\": \"g\", \"ts\": %.3f, "
            "\"name\": \"trace closed\"}\n]}\n", n ? ",\n" : "", (int)getpid(),
            (double)(now_ns() - buf->origin) / 1e3);
    bool ok = fclose(f) == 0;
    if (ok)
        warn_line("trace: %zu events in %s (open it in https://ui.perfetto.dev, or make "
                  "timeline)%s", n, out_path, claimed > n ? "; the buffer was full" : "");
    if (claimed > n)
        warn_line("trace: %zu events did not fit (at most %d) and are missing", claimed - n,
                  (int)TRACE_MAX_EVENTS);
    munmap(buf, sizeof *buf);
    free(out_path);
    return ok;
}
