/*
 * 12_port_scan: probe TCP ports on 127.0.0.1 one by one, then all at once through a thread
 * pool. A probe spends nearly all its time waiting for the network, and waiting threads
 * take no CPU: 200 of them can wait together on 2 cores.
 *
 *   make && ./build/12_port_scan                        # 100 ports: ~5 s serially, ~0.1 s pooled
 *   ./build/12_port_scan --ports 200 --latency 0.05     # 10 s against a fraction of a second
 *   ./build/12_port_scan --mode pool --workers 10       # 10 workers: ten rounds of probes
 *   ./build/12_port_scan --scale 0 --ports 1024         # bare loopback: now the pool loses
 *
 * The lesson first opens a few listening ports of its own (tiny services that greet each
 * connection with a one-line banner), so the scans have something to find; then it scans
 * the range serially and with the pool, and checks that both found the same open ports,
 * including every one of its own. Anything else found open belongs to another program:
 * the lesson never assumes a port is closed just because it did not open it.
 *
 * The simulated network. A real network takes a round trip (often tens of milliseconds)
 * before a probe learns "open" or "closed"; loopback answers in microseconds, and without
 * root nothing can slow the kernel's "connection refused" down. So every probe first waits
 * one round trip, nap(--latency), standing in for the SYN's trip out and the answer's trip
 * back, and then asks the kernel, which answers at once. Like the real wait, the nap uses
 * no CPU. The connection itself is real: a non-blocking connect() whose outcome is awaited
 * with poll() for at most --connect-timeout (net_connect, in net.c), so a port that never
 * answers cannot hang a probe; it is reported "filtered".
 *
 * Notice: the serial scan costs ports x latency; the pooled one about one latency plus the
 * pool's own work: starting, waking and joining its threads, and their probes, CPU time that
 * each scan's line shows (tens of ms for 100 threads on 2 cores, which keeps the speedup
 * well short of the port count). If over a quarter of a scan's time is neither its round
 * trips nor its CPU time, it waited for cores that other programs held: a Doubt says so
 * instead of trusting it. The open ports are announced in the order workers find them,
 * yet the SCAN lines list them in port order: tp_map puts each result in its input's slot.
 * With --scale 0 nothing is left to wait for, and 1024 threads cost more CPU than the
 * probes they share (compare the two scans' CPU times): a pool pays off when its tasks wait.
 * Python's tutorial did the same with ThreadPoolExecutor: 1024 ports took 235.8 s one by
 * one and 3.1 s with a thread pool.
 * Try: --ports 200 with --workers 1, 2, 10, 50: the pool takes about ceil(200 / workers)
 * round trips. Then --first-port 40000: above 32767 Linux lends ports to outgoing
 * connections, and a probe may, very rarely, connect to itself (TCP's "simultaneous open").
 *
 * Verdict (the last lines, printed after every thread is joined):
 *   SCAN mode=serial workers=1 seconds=S open=P1,P2,...      (ports in increasing order)
 *   SCAN mode=pool workers=W seconds=S open=P1,P2,...
 *   RESULT ports=N open=K expected_open=E missing=M same=yes|no|n/a speedup=X.Yx|n/a OK|FAIL
 * OK (exit 0) when every scan found each of the lesson's ports open (missing=0), the two
 * scans found the same open ports, and no probe failed; FAIL (exit 1) otherwise. (Another
 * program that opens or closes a port in the range between the two scans makes them differ:
 * that FAIL is the truth about what each scan saw.)
 */
#include "cpu.h"
#include "program.h"
#include "net.h"
#include "thread_pool.h"
#include "trace.h"
#include "quizzes/12_port_scan.h" /* --quiz and --answers: its questions */

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

static const char usage[] =
    "[--mode both|serial|pool] [--ports N] [--first-port P] [--open K] [--workers W]\n"
    "        [--latency S] [--connect-timeout T] [--scale F] [--trace PATH]\n"
    "  Scan TCP ports P..P+N-1 on 127.0.0.1 (only there, ever), serially and with a pool.\n"
    "  --mode             serial, pool, or both (default; prints the speedup)\n"
    "  --ports            how many ports to scan, 1..1024 (default 100)\n"
    "  --first-port       the first port, 1..65535 (default 20000; stay below 32768)\n"
    "  --open             listening ports the lesson opens in the range, 1..64 (default 3)\n"
    "  --workers          pool workers, 1..1024 (default: one per port)\n"
    "  --latency          simulated network round trip paid by every probe, seconds,\n"
    "                     0.001..10 (default 0.05)\n"
    "  --connect-timeout  longest wait for a port's answer or banner, seconds, 0.001..60\n"
    "                     (default 1; not scaled)\n"
    "  --scale            multiply every nap by F, 0..100 (default 1; 0 = no latency)\n"
    "  --trace            write which thread probed which port when to PATH (JSON)\n";

enum mode { MODE_BOTH, MODE_SERIAL, MODE_POOL };
static const char *const mode_names[] = { "both", "serial", "pool", NULL };

/* Python's tutorial, quoted for comparison (ThreadPoolExecutor, 1024 ports). */
static const double PY_SERIAL_S = 235.8, PY_POOL_S = 3.1;

/* Fixed in main before any thread starts, read-only afterwards: no lock needed. */
struct config {
    int first_port, nports;
    double latency;   /* seconds per probe, before --scale */
    double timeout;   /* --connect-timeout */
};

/* ---- the lesson's own services: something for the scans to find --------------------- */

struct service {
    pthread_t tid;
    int port, listen_fd;
    int stop_fd;      /* the read end of the stop pipe: readable (hung up) = time to stop */
    long greeted;     /* connections served; only this thread writes it, main reads it after join */
};

struct services {
    struct service *list;
    int count;
    int stop_pipe[2]; /* main closes [1] to stop every service at once */
};

static void banner_for(int port, char *buf, size_t size)
{
    snprintf(buf, size, "hello from the lesson's service on port %d", port);
}

/* One thread per service: wait for a connection (or the stop signal), greet, hang up. */
static void *service_main(void *arg)
{
    struct service *s = arg;
    char banner[80];
    banner_for(s->port, banner, sizeof banner);
    strcat(banner, "\n");
    for (;;) {
        /* No timeout needed: main always closes the stop pipe before joining us. */
        struct pollfd fds[2] = { { .fd = s->listen_fd, .events = POLLIN },
                                 { .fd = s->stop_fd, .events = POLLIN } };
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            die_errno("poll (service)");
        }
        if (fds[1].revents != 0)
            return NULL;                          /* the stop pipe hung up: main says stop */
        if (!(fds[0].revents & POLLIN))
            continue;
        int conn = net_accept(s->listen_fd, NULL);
        if (conn < 0) {
            if (errno == EAGAIN)
                continue;                         /* the scanner has already gone */
            die_errno("accept");
        }
        /* A scanner that already hung up cannot kill us (net_send_all: no SIGPIPE); whether
         * the banner arrived is the scanner's business. */
        (void)net_send_all(conn, banner, strlen(banner));
        close(conn);
        s->greeted++;
    }
}

static bool is_ours(const struct services *sv, int port)
{
    for (int i = 0; i < sv->count; i++)
        if (sv->list[i].port == port)
            return true;
    return false;
}

/* Opens `count` services spread over the range. A port that is taken (EADDRINUSE: another
 * program listens there) or forbidden (EACCES: below 1024 without root) is passed over for
 * the next one up, wrapping around inside the range. */
static void services_start(struct services *sv, const struct config *cfg, int count)
{
    *sv = (struct services){ .list = xcalloc((size_t)count, sizeof *sv->list) };
    if (pipe(sv->stop_pipe) != 0)
        die_errno("pipe");
    for (int i = 0; i < count; i++) {
        int spot = (int)((2L * i + 1) * cfg->nports / (2L * count)); /* the middle of slice i */
        int port = -1, fd = -1;
        for (int tries = 0; tries < cfg->nports && fd < 0; tries++) {
            port = cfg->first_port + (spot + tries) % cfg->nports;
            if (is_ours(sv, port))
                continue;
            fd = net_listen(port, NULL);
            if (fd < 0 && errno != EADDRINUSE && errno != EACCES)
                die_errno("bind/listen");
        }
        if (fd < 0)
            die("could open only %d of %d listening ports in %d..%d (the rest are taken); "
                "try another --first-port", i, count, cfg->first_port,
                cfg->first_port + cfg->nports - 1);
        sv->list[i] = (struct service){ .port = port, .listen_fd = fd,
                                        .stop_fd = sv->stop_pipe[0] };
        sv->count = i + 1;
        PT_CHECK(pthread_create(&sv->list[i].tid, NULL, service_main, &sv->list[i]));
    }
}

/* Closing the write end wakes every service at once (its poll sees the hang-up). */
static void services_stop(struct services *sv)
{
    close(sv->stop_pipe[1]);
    for (int i = 0; i < sv->count; i++) {
        PT_CHECK(pthread_join(sv->list[i].tid, NULL));
        close(sv->list[i].listen_fd);
    }
    close(sv->stop_pipe[0]);
}

/* ---- one probe -------------------------------------------------------------------- */

enum port_state { PORT_CLOSED, PORT_OPEN, PORT_FILTERED };

struct probe {
    const struct config *cfg;
    int port;
    enum port_state state; /* written only by the thread that probes this port */
    char banner[80];       /* the first line an open port sent ("" if none) */
};

/* What an open port says first, if it says anything within timeout_s (a banner). */
static void read_banner(int fd, char *buf, size_t size, double timeout_s)
{
    buf[0] = '\0';
    if (net_wait(fd, POLLIN, timeout_s) <= 0)
        return;
    ssize_t got = recv(fd, buf, size - 1, 0);
    if (got <= 0)
        return;
    buf[got] = '\0';
    buf[strcspn(buf, "\r\n")] = '\0';
    for (char *c = buf; *c; c++)     /* it is printed; keep only printable ASCII */
        if (*c < 32 || *c > 126)
            *c = '?';
}

/* Probes one port: 0, or an errno value if the probe itself failed (out of sockets...). */
static int probe_port(struct probe *p)
{
    int64_t t0 = trace_start();
    nap(p->cfg->latency);            /* the network's round trip (see the header) */
    trace_span(t0, "wait", "port %d", p->port);
    p->state = PORT_CLOSED;
    p->banner[0] = '\0';
    int fd = net_connect(p->port, p->cfg->timeout);   /* waits at most the timeout */
    if (fd >= 0) {
        p->state = PORT_OPEN;
        read_banner(fd, p->banner, sizeof p->banner, p->cfg->timeout);
        close(fd);
        return 0;
    }
    if (errno == ECONNREFUSED)                  /* nobody listens there */
        return 0;
    if (errno == ETIMEDOUT) {                   /* no answer at all */
        p->state = PORT_FILTERED;
        return 0;
    }
    return errno;                               /* the probe itself failed */
}

static void announce(const struct probe *p, const char *who)
{
    if (p->state == PORT_OPEN && p->banner[0])
        printf("  [%s] %d open: \"%s\"\n", who, p->port, p->banner);
    else if (p->state == PORT_OPEN)
        printf("  [%s] %d open, silent for %g s (not one of the lesson's)\n", who, p->port,
               p->cfg->timeout);
    else if (p->state == PORT_FILTERED)
        printf("  [%s] %d filtered: no answer in %g s\n", who, p->port, p->cfg->timeout);
}

/* The same probe as a pool task. Its status is the task's status: a failed probe reaches
 * main through tp_map's statuses[], the pool's way of raising an exception. */
static int probe_task(void *arg, void **result)
{
    (void)result;                    /* the answer is in the probe itself */
    struct probe *p = arg;
    int status = probe_port(p);
    if (status == 0)
        announce(p, tp_current_worker_name());
    return status;
}

/* ---- the two scans ---------------------------------------------------------------- */

struct scan {
    const char *mode;
    int workers;
    double seconds, cpu;   /* wall time, and the CPU time the whole process used meanwhile */
    struct probe *probes;  /* probes[i] is port first_port + i */
    int *statuses;         /* 0, or the errno of a probe that failed */
};

static void scan_init(struct scan *s, const char *mode, int workers, const struct config *cfg)
{
    *s = (struct scan){ .mode = mode, .workers = workers,
                        .probes = xcalloc((size_t)cfg->nports, sizeof *s->probes),
                        .statuses = xcalloc((size_t)cfg->nports, sizeof *s->statuses) };
    for (int i = 0; i < cfg->nports; i++)
        s->probes[i] = (struct probe){ .cfg = cfg, .port = cfg->first_port + i };
}

static void scan_free(struct scan *s)
{
    free(s->probes);
    free(s->statuses);
}

/* One port after another: every probe waits its round trip in turn. */
static void scan_serial(struct scan *s, const struct config *cfg)
{
    printf("serial: one probe at a time\n");
    double t0 = now_s(), cpu0 = cpu_seconds_self();
    for (int i = 0; i < cfg->nports; i++) {
        s->statuses[i] = probe_port(&s->probes[i]);
        if (s->statuses[i] == 0)
            announce(&s->probes[i], "main");
    }
    s->seconds = now_s() - t0;
    s->cpu = cpu_seconds_self() - cpu0;
    printf("serial: %d probes in %.3f s (CPU %.3f s)\n", cfg->nports, s->seconds, s->cpu);
}

/* Every port is a task; `workers` threads wait out their round trips together. The time
 * counts everything a program pays for the pool: starting the workers, the map, the join. */
static void scan_pool(struct scan *s, const struct config *cfg)
{
    void **args = xcalloc((size_t)cfg->nports, sizeof *args);
    for (int i = 0; i < cfg->nports; i++)
        args[i] = &s->probes[i];

    double t0 = now_s(), cpu0 = cpu_seconds_self();
    tp_pool *pool;
    int rc = tp_create(&pool, &(tp_options){ .workers = s->workers, .name_prefix = "scan" });
    if (rc != TP_OK)
        die("tp_create (%d workers): %s", s->workers, tp_strerror(rc));
    double started = now_s() - t0;
    printf("pool: %d workers (started in %.3f s), tp_map with one port per task\n",
           s->workers, started);
    /* Like Python's pool.map(probe, ports, chunksize=1). It returns when every probe is
     * done; each one is bounded (a nap and two timed waits), so this cannot hang. */
    rc = tp_map(pool, probe_task, args, (size_t)cfg->nports, 1, NULL, s->statuses);
    if (rc != TP_OK && rc != TP_EFAILED)     /* TP_EFAILED: see statuses[] */
        die("tp_map: %s", tp_strerror(rc));
    rc = tp_destroy(pool);
    if (rc != TP_OK)
        die("tp_destroy: %s", tp_strerror(rc));
    s->seconds = now_s() - t0;
    s->cpu = cpu_seconds_self() - cpu0;
    printf("pool: %d probes in %.3f s (CPU %.3f s)\n", cfg->nports, s->seconds, s->cpu);
    free(args);
}

/* ---- the verdict ------------------------------------------------------------------ */

/* "20016,20049,20083" (or "none"): the open ports, in port order because probes[] is. */
static char *open_list(const struct scan *s, int nports)
{
    size_t size = (size_t)nports * 6 + 8;
    char *buf = xmalloc(size);
    size_t len = 0;
    buf[0] = '\0';
    for (int i = 0; i < nports; i++)
        if (s->probes[i].state == PORT_OPEN)
            len += (size_t)snprintf(buf + len, size - len, "%s%d", len ? "," : "",
                                    s->probes[i].port);
    if (len == 0)
        strcpy(buf, "none");
    return buf;
}

static int count_open(const struct scan *s, int nports)
{
    int open = 0;
    for (int i = 0; i < nports; i++)
        open += s->probes[i].state == PORT_OPEN;
    return open;
}

/* Did this scan find each of our services open, with its banner? Returns how many it missed. */
static int count_missing(const struct scan *s, const struct services *sv, const struct config *cfg)
{
    int missing = 0;
    char expected[80];
    for (int i = 0; i < sv->count; i++) {
        const struct probe *p = &s->probes[sv->list[i].port - cfg->first_port];
        banner_for(p->port, expected, sizeof expected);
        if (p->state != PORT_OPEN || strcmp(p->banner, expected) != 0) {
            printf("%s scan missed the lesson's port %d (%s, banner \"%s\")\n", s->mode,
                   p->port, p->state == PORT_OPEN ? "open" : "not open", p->banner);
            missing++;
        }
    }
    return missing;
}

static int count_errors(const struct scan *s, int nports)
{
    int errors = 0;
    for (int i = 0; i < nports; i++)
        if (s->statuses[i] != 0) {
            fprintf(stderr, "%s: %s scan: probing port %d failed: %s\n", prog_name, s->mode,
                    s->probes[i].port, strerror(s->statuses[i]));
            errors++;
        }
    return errors;
}

/* A scan waits ceil(ports / workers) round trips, then does its own work, at most all the
 * CPU time it used (less, spread over the cores). If over a quarter of its time (and over
 * half a round trip) is neither, it waited for something else, on a busy machine for cores
 * that other programs held: a Doubt says so, and that its time is not its own to explain.
 * Returns the time beyond both (or 0), or -1 after a Doubt. */
static double beyond(const struct scan *s, const struct config *cfg)
{
    double trip = cfg->latency * time_scale;
    int rounds = (cfg->nports + s->workers - 1) / s->workers;
    double unexplained = s->seconds - rounds * trip - s->cpu;
    if (trip == 0 || unexplained <= 0.25 * s->seconds || unexplained <= 0.5 * trip)
        return unexplained > 0 ? unexplained : 0;
    printf("Doubt: the %s scan took %.3f s, %.3f s more than its %d round trip%s and all its "
           "CPU time: it waited for something else, most likely for cores that other "
           "programs held. Its time says more about the machine's load than about the scan: "
           "run it again.\n", s->mode, s->seconds, unexplained, rounds, rounds == 1 ? "" : "s");
    return -1;
}

/* What the pool's time is made of, unless a scan's time is in doubt. */
static void explain_pool(const struct scan *pool, const struct scan *serial,
                         const struct config *cfg)
{
    double trip = cfg->latency * time_scale, serial_rest = serial ? beyond(serial, cfg) : 0;
    double rest = beyond(pool, cfg);
    int rounds = (cfg->nports + pool->workers - 1) / pool->workers;
    if (serial_rest < 0 || rest < 0)
        return;
    if (trip == 0 && serial)
        printf("nothing to wait for: the pool's %d threads used %.3f s of CPU, serial "
               "%.3f s for the same probes\n", pool->workers, pool->cpu, serial->cpu);
    else if (trip > 0)
        printf("the pool's %.3f s: %d round trip%s (%.3f s), its own work (%.3f s of CPU over "
               "all cores: its %d thread%s and their probes), %.3f s beyond both\n",
               pool->seconds, rounds, rounds == 1 ? "" : "s", rounds * trip, pool->cpu,
               pool->workers, pool->workers == 1 ? "" : "s", rest);
}

/* scans[] holds the ones that ran (one or two); called after every thread is joined. */
static int report(const struct scan *scans, int nscans, const struct services *sv,
                  const struct config *cfg)
{
    int missing = 0, errors = 0;
    for (int k = 0; k < nscans; k++) {
        missing += count_missing(&scans[k], sv, cfg);
        errors += count_errors(&scans[k], cfg->nports);
    }
    long greeted = 0;
    for (int i = 0; i < sv->count; i++)
        greeted += sv->list[i].greeted;
    printf("the lesson's %d services greeted %ld connections (one per service per scan)\n",
           sv->count, greeted);

    char same[8] = "n/a", speedup[32] = "n/a";
    bool agree = true;
    if (nscans == 2) {
        for (int i = 0; i < cfg->nports; i++)
            agree = agree && (scans[0].probes[i].state == PORT_OPEN) ==
                                 (scans[1].probes[i].state == PORT_OPEN);
        strcpy(same, agree ? "yes" : "no");
        snprintf(speedup, sizeof speedup, "%.1fx", scans[0].seconds / scans[1].seconds);
        printf("speedup %s: serial %.3f s / pool %.3f s (Python's tutorial: %.1f s / %.1f s "
               "= %.0fx for 1024 ports)\n", speedup, scans[0].seconds, scans[1].seconds,
               PY_SERIAL_S, PY_POOL_S, PY_SERIAL_S / PY_POOL_S);
    }

    if (strcmp(scans[nscans - 1].mode, "pool") == 0)
        explain_pool(&scans[nscans - 1], nscans == 2 ? &scans[0] : NULL, cfg);
    else
        beyond(&scans[0], cfg);                 /* serial alone: only a Doubt, if any */

    for (int k = 0; k < nscans; k++) {
        char *list = open_list(&scans[k], cfg->nports);
        printf("SCAN mode=%s workers=%d seconds=%.3f open=%s\n", scans[k].mode,
               scans[k].workers, scans[k].seconds, list);
        free(list);
    }
    const struct scan *last = &scans[nscans - 1];
    return verdict(missing == 0 && errors == 0 && agree,
                   "ports=%d open=%d expected_open=%d missing=%d same=%s speedup=%s",
                   cfg->nports, count_open(last, cfg->nports), sv->count, missing, same,
                   speedup);
}

/* ---- main: open the services, scan twice, stop the services, judge ----------------- */

int main(int argc, char **argv)
{
    cli_setup(argv[0], usage);
    QUIZ(quiz);
    struct config cfg = { .first_port = 20000, .nports = 100, .latency = 0.05, .timeout = 1.0 };
    long open_count = 3, workers = 0;   /* 0: one worker per port */
    int mode = MODE_BOTH;

    static const struct option opts[] = {
        { "mode", required_argument, NULL, 'm' },
        { "ports", required_argument, NULL, 'n' },
        { "first-port", required_argument, NULL, 'f' },
        { "open", required_argument, NULL, 'o' },
        { "workers", required_argument, NULL, 'w' },
        { "latency", required_argument, NULL, 'l' },
        { "connect-timeout", required_argument, NULL, 't' },
        { "scale", required_argument, NULL, 's' },
        CLI_TRACE, CLI_QUIZ, CLI_HELP, CLI_END,
    };
    for (int c; (c = cli_next(argc, argv, opts)) != -1;) {
        switch (c) {
        case 'm': mode = parse_choice("--mode", optarg, mode_names); break;
        case 'n': cfg.nports = (int)parse_long("--ports", optarg, 1, 1024); break;
        case 'f': cfg.first_port = (int)parse_long("--first-port", optarg, 1, 65535); break;
        case 'o': open_count = parse_long("--open", optarg, 1, 64); break;
        case 'w': workers = parse_long("--workers", optarg, 1, 1024); break;
        case 'l': cfg.latency = parse_double("--latency", optarg, 0.001, 10); break;
        case 't': cfg.timeout = parse_double("--connect-timeout", optarg, 0.001, 60); break;
        case 's': time_scale = parse_double("--scale", optarg, 0, 100); break;
        }
    }
    trace_thread_name("main");
    int last_port = cfg.first_port + cfg.nports - 1;
    if (last_port > 65535)
        usage_error("--ports: %d ports from %d would run past port 65535", cfg.nports,
                    cfg.first_port);
    if (open_count > cfg.nports)
        usage_error("--open: %ld listening ports do not fit in %d ports", open_count,
                    cfg.nports);
    if (workers == 0)
        workers = cfg.nports;
    /* Each pool worker holds one socket at a time: make room for that many open files (the
     * soft limit is often 1024) by raising the soft limit toward the hard one. */
    long files = workers + 4 * open_count + 64;
    unsigned long hard;
    if (!net_room_for_files(files, &hard))
        die("this needs %ld open files, and the hard limit is %lu: use fewer --workers", files,
            hard);

    printf("scanning 127.0.0.1 ports %d..%d (%d ports); each probe first waits %.3f s, "
           "a simulated network round trip\n", cfg.first_port, last_port, cfg.nports,
           cfg.latency * time_scale);
    printf("Python's tutorial, for comparison: 1024 ports took %.1f s one by one and %.1f s "
           "with a thread pool\n", PY_SERIAL_S, PY_POOL_S);

    struct services sv;
    services_start(&sv, &cfg, (int)open_count);
    printf("the lesson listens on %d of them:", sv.count);
    for (int i = 0; i < sv.count; i++)
        printf(" %d", sv.list[i].port);
    printf(" (anything else found open belongs to another program)\n");

    struct scan scans[2];
    int nscans = 0;
    if (mode != MODE_POOL) {
        scan_init(&scans[nscans], "serial", 1, &cfg);
        scan_serial(&scans[nscans++], &cfg);
    }
    if (mode != MODE_SERIAL) {
        scan_init(&scans[nscans], "pool", (int)workers, &cfg);
        scan_pool(&scans[nscans++], &cfg);
    }

    services_stop(&sv);                 /* every service thread is joined before the verdict */
    trace_done_or_die();
    int status = report(scans, nscans, &sv, &cfg);
    for (int k = 0; k < nscans; k++)
        scan_free(&scans[k]);
    free(sv.list);
    return status;
}
