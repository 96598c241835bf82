/*
 * cpu.h: how much processor time a program used, and which CPU a thread runs on.
 *
 *   cpu_seconds_self()          user + system seconds of this process, all its threads
 *   cpu_seconds_children()      the same for its children that have been waited for
 *   cpu_seconds_of_process(pid) the same for a child not yet waited for (a pool's worker);
 *                               Linux only, NAN elsewhere or if it cannot be read
 *   pin_thread_to_cpu(t, cpu)   keep thread t on one CPU; Linux only, ENOSYS elsewhere
 *   pin_process_to_cpu(pid, cpu)  the same for a single-threaded process (a pool's worker)
 *   cpus_allowed()              how many CPUs this thread may run on (taskset narrows it);
 *                               Linux only, online_cpus() elsewhere
 *   current_cpu()               the CPU this thread runs on now; Linux only, -1 elsewhere
 *   cpus_seen(cpus, n)          how many different CPUs n current_cpu() answers name
 *
 * Wall time says how long a run took; CPU time says what it burned. A pool whose idle
 * workers spin, or a process pool's pipes, show up here and not on the wall clock.
 * Subtract two readings around the work you time: cpu = cpu_seconds_self() - before.
 *
 * The Linux-only functions are the only place of the suite that uses Linux for this:
 * reading another process's CPU clock (POSIX lets a system refuse it, Linux grants it) and
 * CPU affinity and placement (pthread_setaffinity_np, sched_setaffinity, sched_getaffinity,
 * sched_getcpu: extensions; POSIX has none).
 */
#ifndef LESSONS_LIB_CPU_H
#define LESSONS_LIB_CPU_H

#include <pthread.h>
#include <sys/types.h>

double cpu_seconds_self(void);
double cpu_seconds_children(void);

/* Linux only: its CPU-time clock (clock_getcpuclockid), in seconds, to the nanosecond; NAN
 * if not on Linux, or if pid <= 0 or the process is gone (reaped). Includes every thread of
 * that process. */
double cpu_seconds_of_process(pid_t pid);

/* Linux only: pthread_setaffinity_np with a set of one CPU (0 <= cpu < online_cpus()).
 * Returns 0, or an error number (EINVAL for a CPU this process may not use; ENOSYS where
 * there is no such call). The scheduler then never moves the thread: no migrations, but
 * also no escape when another program wants that CPU. */
int pin_thread_to_cpu(pthread_t thread, int cpu);

/* Linux only: sched_setaffinity on a process from outside (the parent of a pool's worker,
 * which cannot learn its own index). It pins the thread whose id is pid: the whole process
 * while it has only that one thread, and the threads it creates afterwards inherit the
 * set. Returns 0 or an error number like pin_thread_to_cpu (ESRCH for pid <= 0). */
int pin_process_to_cpu(pid_t pid, int cpu);

/* Linux only: the CPUs in the calling thread's affinity mask (sched_getaffinity), which
 * threads it creates inherit. online_cpus() counts every CPU the system has up; under
 * `taskset -c 0` this says 1 while that still says 2. Elsewhere, or if the mask cannot be
 * read, online_cpus(). */
int cpus_allowed(void);

/* Linux only: sched_getcpu(), the CPU the calling thread was running on when it asked (it
 * may be moved the next moment, so it says where work ran, not where it will). -1
 * elsewhere, or if it cannot be told. */
int current_cpu(void);

/* How many different CPUs cpus[0..n) name (current_cpu's answers, one per piece of work):
 * 1 when all of it ran on one CPU. -1 if any is -1 (not known), 0 when n is 0. */
int cpus_seen(const int *cpus, long n);

#endif
