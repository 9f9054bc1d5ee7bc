/*
** lane.c: lanes, the body budget and the in-flight count (see lane.h).
**
** Threading: atomics, and the job queue `run` behind run.mu (its cond
** wakes the slow-lane threads); the limits are set before serving.
*/
#include "lane.h"

#include <assert.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "arena.h"
#include "db.h"
#include "err.h"
#include "worker.h"

typedef struct Lane {
  const char *zName;    /* for logs and /metrics */
  int nMax;             /* places; set before serving */
  atomic_int nBusy;     /* places taken */
  atomic_ulong nRefused; /* requests refused because it was full */
} Lane;

static Lane aLane[N_LANE] = {{.zName = "slow", .nMax = 1},
                             {.zName = "ingest", .nMax = 2}};
static size_t nBodyMax = (size_t)64 << 20; /* set before serving */
static atomic_size_t nBodyHeld;            /* body bytes reserved now */
static atomic_ulong nBodyRefused;          /* reservations refused */
static atomic_int nInFlight;               /* requests begun, not ended */

void lane_configure(int nSlow, int nIngest, size_t nBodyMemory) {
  aLane[LANE_SLOW].nMax = nSlow;
  aLane[LANE_INGEST].nMax = nIngest;
  nBodyMax = nBodyMemory;
}

int lane_enter(int iLane) {
  assert(iLane >= 0 && iLane < N_LANE);
  Lane *p = &aLane[iLane];
  if (atomic_fetch_add(&p->nBusy, 1) >= p->nMax) {
    atomic_fetch_sub(&p->nBusy, 1);
    atomic_fetch_add(&p->nRefused, 1);
    return 0;
  }
  return 1;
}

void lane_leave(int iLane) {
  assert(iLane >= 0 && iLane < N_LANE);
  atomic_fetch_sub(&aLane[iLane].nBusy, 1);
}

const char *lane_name(int iLane) {
  assert(iLane >= 0 && iLane < N_LANE);
  return aLane[iLane].zName;
}

void lane_counts(int iLane, int *pnBusy, int *pnMax,
                 unsigned long *pnRefused) {
  assert(iLane >= 0 && iLane < N_LANE);
  *pnBusy = atomic_load(&aLane[iLane].nBusy);
  *pnMax = aLane[iLane].nMax;
  *pnRefused = atomic_load(&aLane[iLane].nRefused);
}

int lane_body_reserve(size_t n) {
  size_t nOld = atomic_fetch_add(&nBodyHeld, n);
  if (nOld + n > nBodyMax) {
    atomic_fetch_sub(&nBodyHeld, n);
    atomic_fetch_add(&nBodyRefused, 1);
    return 0;
  }
  return 1;
}

void lane_body_release(size_t n) { atomic_fetch_sub(&nBodyHeld, n); }

void lane_body_counts(size_t *pnHeld, unsigned long *pnRefused) {
  *pnHeld = atomic_load(&nBodyHeld);
  *pnRefused = atomic_load(&nBodyRefused);
}

void lane_request_begin(void) { atomic_fetch_add(&nInFlight, 1); }
void lane_request_end(void) { atomic_fetch_sub(&nInFlight, 1); }
int lane_requests(void) { return atomic_load(&nInFlight); }

/* The slow-lane threads and their queue. */
#define RUN_MAX 64 /* threads at most; the queue holds as many jobs */

typedef struct Job {
  void (*xRun)(void *); /* the work */
  void *pArg;           /* its argument */
} Job;

static struct {
  pthread_mutex_t mu;   /* guards the queue and bStop */
  pthread_cond_t cond;  /* a job was queued, or stop */
  Job aJob[RUN_MAX];    /* ring of queued jobs */
  int iHead, nJob;      /* first queued job, jobs queued */
  int bStarted, bStop;  /* threads running; asked to stop */
  int nThread;          /* threads started */
} run = {.mu = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};
static Worker aRunner[RUN_MAX];

static void runner_main(void *pArg) {
  (void)pArg;
  for (;;) {
    pthread_mutex_lock(&run.mu);
    while (run.nJob == 0 && !run.bStop) {
      pthread_cond_wait(&run.cond, &run.mu);
    }
    if (run.nJob == 0) {
      pthread_mutex_unlock(&run.mu); /* stopping, and nothing left */
      break;
    }
    Job job = run.aJob[run.iHead];
    run.iHead = (run.iHead + 1) % RUN_MAX;
    run.nJob--;
    pthread_mutex_unlock(&run.mu);
    job.xRun(job.pArg);
  }
  db_close_thread(); /* this thread's connection */
}

int lane_run_start(int nThread) {
  if (nThread > RUN_MAX) {
    nThread = RUN_MAX;
  }
  for (int i = 0; i < nThread; i++) {
    aRunner[i] = (Worker)WORKER_INIT;
    if (worker_start(&aRunner[i], runner_main, NULL)) {
      break;
    }
    run.nThread++;
  }
  pthread_mutex_lock(&run.mu);
  run.bStarted = run.nThread > 0;
  run.bStop = 0;
  pthread_mutex_unlock(&run.mu);
  return run.nThread == nThread ? 0 : E_IO;
}

void lane_run_stop(void) {
  pthread_mutex_lock(&run.mu);
  run.bStop = 1;
  pthread_cond_broadcast(&run.cond);
  pthread_mutex_unlock(&run.mu);
  for (int i = 0; i < run.nThread; i++) {
    worker_stop(&aRunner[i]); /* joins once the queue is empty */
  }
  pthread_mutex_lock(&run.mu);
  run.bStarted = 0;
  run.nThread = 0;
  pthread_mutex_unlock(&run.mu);
}

int lane_submit(void (*xRun)(void *), void *pArg) {
  pthread_mutex_lock(&run.mu);
  int bOk = run.bStarted && !run.bStop && run.nJob < RUN_MAX;
  if (bOk) {
    run.aJob[(run.iHead + run.nJob) % RUN_MAX] = (Job){xRun, pArg};
    run.nJob++;
    pthread_cond_signal(&run.cond);
  }
  pthread_mutex_unlock(&run.mu);
  return bOk;
}

int lane_run_started(void) {
  pthread_mutex_lock(&run.mu);
  int b = run.bStarted && !run.bStop;
  pthread_mutex_unlock(&run.mu);
  return b;
}
