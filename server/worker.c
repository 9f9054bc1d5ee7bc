/*
** worker.c: a background thread with a stop flag and interruptible waits
** (see worker.h).
**
** Threading: each Worker's bStop is guarded by its own mu; the rest of
** the struct belongs to the thread that starts and stops it.
*/
#include "worker.h"

#include <assert.h>
#include <time.h>

#include "err.h"

/* pthread's entry point: runs the body, which owns the thread until it
** returns. */
static void *worker_main(void *pArg) {
  Worker *p = pArg;
  p->xRun(p->pArg);
  return NULL;
}

int worker_start(Worker *p, void (*xRun)(void *), void *pArg) {
  assert(!p->bStarted);
  p->xRun = xRun;
  p->pArg = pArg;
  p->bStop = 0; /* no lock needed: the thread does not exist yet */
  if (pthread_create(&p->thread, NULL, worker_main, p) != 0) {
    return E_IO;
  }
  p->bStarted = 1;
  return 0;
}

int worker_wait(Worker *p, int64_t ms) {
  /* The condition variable keeps its default clock, CLOCK_REALTIME, so
  ** the deadline is on that clock too. */
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_sec += (time_t)(ms / 1000);
  ts.tv_nsec += (long)(ms % 1000) * 1000000L;
  if (ts.tv_nsec >= 1000000000L) {
    ts.tv_sec++;
    ts.tv_nsec -= 1000000000L;
  }
  pthread_mutex_lock(&p->mu);
  /* Loop: a wakeup can be spurious; only a timeout or bStop ends it. */
  while (!p->bStop) {
    if (pthread_cond_timedwait(&p->cond, &p->mu, &ts) != 0) {
      break;
    }
  }
  int bStop = p->bStop;
  pthread_mutex_unlock(&p->mu);
  return bStop;
}

int worker_stopping(Worker *p) {
  pthread_mutex_lock(&p->mu);
  int bStop = p->bStop;
  pthread_mutex_unlock(&p->mu);
  return bStop;
}

void worker_stop(Worker *p) {
  if (!p->bStarted) {
    return;
  }
  pthread_mutex_lock(&p->mu);
  p->bStop = 1;
  pthread_cond_signal(&p->cond);
  pthread_mutex_unlock(&p->mu);
  pthread_join(p->thread, NULL);
  p->bStarted = 0;
}
