/* pool_worker_check.c: the checks of exercise "pool_worker" (see grade.h). A pool that
 * hangs (a lost wakeup, a join that never returns) is killed by the driver and FAILs. */
#include "grade.h"
#include "pool_worker.h"

enum { WORKERS = 3 };

typedef struct job {
    grade_tally *done;
    int runs;    /* this job's runs: only the worker running it writes it */
    double nap_s;
} job;

static void run_job(void *arg)
{
    job *j = arg;
    if (j->nap_s > 0)
        nap(j->nap_s);
    j->runs++;
    grade_tally_add(j->done, 1);
}

static bool every_task_once(char *why, size_t size)
{
    long n = grade_size(5000);
    grade_tally done;
    grade_tally_init(&done);
    job *jobs = xcalloc((size_t)n, sizeof *jobs);
    pool p;
    pool_start(&p, WORKERS);
    for (long i = 0; i < n; i++) {
        jobs[i].done = &done;
        pool_submit(&p, run_job, &jobs[i]);
    }
    pool_shutdown(&p);
    long never = 0, again = 0;
    for (long i = 0; i < n; i++) {
        never += jobs[i].runs == 0;
        again += jobs[i].runs > 1;
    }
    free(jobs);
    grade_tally_destroy(&done);
    snprintf(why, size, "%ld tasks on %d workers: %ld never ran, %ld ran more than once", n,
             WORKERS, never, again);
    return never == 0 && again == 0;
}

static bool no_lost_wakeup(char *why, size_t size)
{
    long n = grade_size(500);
    double bound = grade_small ? 20 : 2; /* a tool slows every step */
    grade_tally done;
    grade_tally_init(&done);
    job *jobs = xcalloc((size_t)n, sizeof *jobs);
    pool p;
    pool_start(&p, WORKERS);
    long ran = 0;
    for (; ran < n; ran++) { /* one at a time: every worker idle when the task arrives */
        jobs[ran].done = &done;
        pool_submit(&p, run_job, &jobs[ran]);
        if (!grade_tally_wait(&done, ran + 1, bound))
            break;
    }
    snprintf(why, size, "%ld tasks submitted one at a time to idle workers: %ld ran", n, ran);
    if (ran < n) {
        snprintf(why + strlen(why), size - strlen(why),
                 " (the next was not run within %g s: a lost wakeup?)", bound);
        return false; /* shutdown may hang on such a pool: leave it */
    }
    pool_shutdown(&p);
    free(jobs);
    grade_tally_destroy(&done);
    return true;
}

static bool shutdown_drains(char *why, size_t size)
{
    enum { N = 40 };
    grade_tally done;
    grade_tally_init(&done);
    job jobs[N];
    pool p;
    pool_start(&p, 2);
    for (int i = 0; i < N; i++) {
        jobs[i] = (job){ .done = &done, .nap_s = 0.001 };
        pool_submit(&p, run_job, &jobs[i]);
    }
    pool_shutdown(&p); /* at once: most tasks are still queued */
    long at_return = grade_tally_get(&done);
    nap(0.02);
    long later = grade_tally_get(&done);
    grade_tally_destroy(&done);
    snprintf(why, size, "%d tasks queued, shutdown at once: %ld had run when it returned, %ld after 20 ms more",
             N, at_return, later);
    return at_return == N && later == N;
}

/* Two tasks that each wait (bounded) for the other to start: they can both finish only if
 * the workers run tasks side by side, i.e. a worker lets go of the pool's mutex while its
 * task runs. A worker that runs the task under the mutex makes the other worker wait for
 * it, and the first task gives up waiting. */
typedef struct meeting {
    grade_tally *started;
    double bound_s;
    bool met;
} meeting;

static void meet(void *arg)
{
    meeting *m = arg;
    grade_tally_add(m->started, 1);
    m->met = grade_tally_wait(m->started, 2, m->bound_s);
}

static bool tasks_side_by_side(char *why, size_t size)
{
    grade_tally started;
    grade_tally_init(&started);
    double bound = grade_small ? 20 : 2; /* a tool slows every step */
    meeting a = { .started = &started, .bound_s = bound }, b = a;
    pool p;
    pool_start(&p, 2);
    pool_submit(&p, meet, &a);
    pool_submit(&p, meet, &b);
    pool_shutdown(&p);
    grade_tally_destroy(&started);
    snprintf(why, size, "2 workers, 2 tasks that each wait up to %g s for the other to start: %s",
             bound, a.met && b.met ? "both met" : "one waited alone (is a task run under the mutex?)");
    return a.met && b.met;
}

static bool idle_shutdown(char *why, size_t size)
{
    pool p;
    pool_start(&p, WORKERS);
    nap(0.05); /* the workers are asleep now, waiting for work */
    pool_shutdown(&p); /* a worker that misses the wakeup hangs this: killed */
    snprintf(why, size, "%d idle workers joined", WORKERS);
    return true;
}

const grade_exercise grade_this = {
    .name = "pool_worker",
    .helgrind = true,
    .checks = {
        { .name = "invariant: every task runs exactly once", .run = every_task_once },
        { .name = "no lost wakeup: tasks submitted one at a time to idle workers all run", .run = no_lost_wakeup },
        { .name = "tasks run side by side: a worker does not hold the mutex while its task runs", .run = tasks_side_by_side, .after_core = true },
        { .name = "shutdown runs every queued task first, and joins", .run = shutdown_drains },
        { .name = "an idle pool shuts down", .run = idle_shutdown, .after_core = true },
    },
};
