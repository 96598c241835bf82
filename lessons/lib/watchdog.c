/* watchdog.c: see watchdog.h. */
#include "watchdog.h"

#include "core.h"

static void *watch(void *arg)
{
    watchdog *w = arg;
    struct timespec until = deadline_after(w->limit_s);
    PT_CHECK(pthread_mutex_lock(&w->mu));
    int rc = 0;
    while (!w->finished && rc != ETIMEDOUT) {
        rc = pthread_cond_timedwait(&w->cv, &w->mu, &until);
        if (rc != 0 && rc != ETIMEDOUT)
            die_rc("pthread_cond_timedwait", rc);
    }
    bool finished = w->finished;
    PT_CHECK(pthread_mutex_unlock(&w->mu));
    if (!finished) {
        if (w->expired)
            w->expired(w->ctx);
        die_stuck("stuck_after=%gs", w->limit_s);
    }
    return NULL;
}

void watchdog_start(watchdog *w, double limit_s, void (*expired)(void *ctx), void *ctx)
{
    PT_CHECK(pthread_mutex_init(&w->mu, NULL));
    cond_init_monotonic(&w->cv);
    w->finished = false;
    w->limit_s = limit_s;
    w->expired = expired;
    w->ctx = ctx;
    PT_CHECK(pthread_create(&w->thread, NULL, watch, w));
}

void watchdog_stop(watchdog *w)
{
    PT_CHECK(pthread_mutex_lock(&w->mu));
    w->finished = true;
    PT_CHECK(pthread_cond_signal(&w->cv));
    PT_CHECK(pthread_mutex_unlock(&w->mu));
    PT_CHECK(pthread_join(w->thread, NULL));
    PT_CHECK(pthread_cond_destroy(&w->cv));
    PT_CHECK(pthread_mutex_destroy(&w->mu));
}
