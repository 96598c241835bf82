/* cpu.c: see cpu.h. */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE /* Linux: pthread_setaffinity_np, CPU_COUNT, sched_getcpu, below */
#endif
#include "cpu.h"

#include "core.h"

#include <sys/resource.h>
#include <sys/time.h>

#if defined(__linux__)
#include <sched.h>
#endif

static double seconds_of(const struct rusage *ru)
{
    return (double)ru->ru_utime.tv_sec + (double)ru->ru_utime.tv_usec / 1e6 +
           (double)ru->ru_stime.tv_sec + (double)ru->ru_stime.tv_usec / 1e6;
}

double cpu_seconds_self(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        die_errno("getrusage");
    return seconds_of(&ru);
}

double cpu_seconds_children(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_CHILDREN, &ru) != 0)
        die_errno("getrusage");
    return seconds_of(&ru);
}

/* Linux only: the process's CPU-time clock, which POSIX offers (clock_getcpuclockid) but
 * lets a system refuse for another process; Linux grants it for any process we can see,
 * to the nanosecond. (/proc/<pid>/stat has the same sum, but in clock ticks, usually 10 ms:
 * too coarse for a run of a few tens of milliseconds.) pid 0 would mean this process. */
double cpu_seconds_of_process(pid_t pid)
{
#if defined(__linux__)
    clockid_t clock;
    struct timespec ts;
    if (pid <= 0 || clock_getcpuclockid(pid, &clock) != 0 || clock_gettime(clock, &ts) != 0)
        return NAN;
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
#else
    (void)pid;
    return NAN;
#endif
}

/* Linux only: glibc's pthread_setaffinity_np. */
int pin_thread_to_cpu(pthread_t thread, int cpu)
{
#if defined(__linux__)
    if (cpu < 0 || cpu >= CPU_SETSIZE)
        return EINVAL;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return pthread_setaffinity_np(thread, sizeof set, &set);
#else
    (void)thread;
    (void)cpu;
    return ENOSYS;
#endif
}

/* Linux only: sched_setaffinity, which takes a thread id; a process's id is that of its
 * first thread. pid 0 would mean the calling thread: refused. */
int pin_process_to_cpu(pid_t pid, int cpu)
{
#if defined(__linux__)
    if (pid <= 0)
        return ESRCH;
    if (cpu < 0 || cpu >= CPU_SETSIZE)
        return EINVAL;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(pid, sizeof set, &set) == 0 ? 0 : errno;
#else
    (void)pid;
    (void)cpu;
    return ENOSYS;
#endif
}

/* Linux only: sched_getaffinity of the calling thread (pid 0), counted. */
int cpus_allowed(void)
{
#if defined(__linux__)
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) >= 1)
        return CPU_COUNT(&set);
#endif
    return online_cpus();
}

/* Linux only: glibc's sched_getcpu. */
int current_cpu(void)
{
#if defined(__linux__)
    return sched_getcpu();
#else
    return -1;
#endif
}

int cpus_seen(const int *cpus, long n)
{
    int seen = 0;
    for (long i = 0; i < n; i++) {
        if (cpus[i] < 0)
            return -1;
        long j = 0;
        while (j < i && cpus[j] != cpus[i])
            j++;
        seen += j == i; /* the first time this CPU appears */
    }
    return seen;
}
