/* test_worker: the background thread runs, its waits time out or end early
** when it is stopped, and worker_stop() joins it promptly. */
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include "harness.h"
#include "worker.h"

static Worker w = WORKER_INIT;

/* What the thread saw, for the main thread to check. */
static atomic_int nRounds;    /* rounds run by loop_body */
static atomic_int bEntered;   /* wait_once_body is about to wait */
static atomic_int bWaitStop;  /* what its wait returned */
static atomic_int bDone;      /* the body returned */
static atomic_llong waitedMs; /* how long its wait took */

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* Polls until *p is nonzero or ms pass; returns *p. */
static int await(atomic_int *p, int ms) {
  for (int64_t t0 = now_ms(); !atomic_load(p) && now_ms() - t0 < ms;) {
    sleep_ms(1);
  }
  return atomic_load(p);
}

/* A worker's usual shape: a round, then a short wait, until stopped. */
static void loop_body(void *pArg) {
  Worker *p = pArg;
  while (!worker_stopping(p)) {
    atomic_fetch_add(&nRounds, 1);
    if (worker_wait(p, 5)) {
      break;
    }
  }
  atomic_store(&bDone, 1);
}

/* One timed wait of waitArgMs. */
static int waitArgMs;
static void wait_once_body(void *pArg) {
  (void)pArg;
  atomic_store(&bEntered, 1);
  int64_t t0 = now_ms();
  atomic_store(&bWaitStop, worker_wait(&w, waitArgMs));
  atomic_store(&waitedMs, now_ms() - t0);
  atomic_store(&bDone, 1);
}

/* Waits only once stop was asked, as the indexer's retry wait can. */
static void late_wait_body(void *pArg) {
  (void)pArg;
  while (!worker_stopping(&w)) {
    sleep_ms(1);
  }
  wait_once_body(NULL);
}

static void reset(void) {
  atomic_store(&nRounds, 0);
  atomic_store(&bEntered, 0);
  atomic_store(&bWaitStop, -1);
  atomic_store(&bDone, 0);
  atomic_store(&waitedMs, -1);
}

int main(void) {
  worker_stop(&w);
  CHECK("stopping a worker never started does nothing", !w.bStarted);

  /* The thread runs its body, round after round, until stopped. */
  reset();
  CHECK_INT("start", worker_start(&w, loop_body, &w), 0);
  for (int64_t t0 = now_ms();
       atomic_load(&nRounds) < 3 && now_ms() - t0 < 5000;) {
    sleep_ms(1);
  }
  CHECK("the body runs and loops", atomic_load(&nRounds) >= 3);
  CHECK("not asked to stop yet", !worker_stopping(&w));
  worker_stop(&w);
  CHECK("worker_stop returns after the body did", atomic_load(&bDone));
  CHECK("and marks the worker stopped", !w.bStarted);
  int n = atomic_load(&nRounds);
  sleep_ms(20);
  CHECK_INT("no rounds after stop", atomic_load(&nRounds), n);

  /* A wait nobody interrupts lasts its time and says "go on". */
  reset();
  waitArgMs = 50;
  CHECK_INT("restart after a stop", worker_start(&w, wait_once_body, NULL), 0);
  await(&bDone, 5000);
  CHECK_INT("an uninterrupted wait returns 0", atomic_load(&bWaitStop), 0);
  CHECK("an uninterrupted wait lasts about its time",
        atomic_load(&waitedMs) >= 45);
  worker_stop(&w);

  /* A long wait ends as soon as worker_stop() is called, which joins
  ** promptly instead of after the wait's minute. */
  reset();
  waitArgMs = 60000;
  CHECK_INT("start a long wait", worker_start(&w, wait_once_body, NULL), 0);
  CHECK("the thread reaches its wait", await(&bEntered, 5000));
  sleep_ms(20); /* most likely blocked in the wait by now */
  CHECK("the body is still waiting", !atomic_load(&bDone));
  int64_t t0 = now_ms();
  worker_stop(&w);
  int64_t stopMs = now_ms() - t0;
  CHECK("worker_stop joins promptly", stopMs < 2000);
  CHECK("the body has returned", atomic_load(&bDone));
  CHECK_INT("the interrupted wait returns 1", atomic_load(&bWaitStop), 1);
  CHECK("the interrupted wait ended early", atomic_load(&waitedMs) < 2000);

  /* A stop asked before the wait starts is not missed. */
  reset();
  waitArgMs = 60000;
  CHECK_INT("start a late wait", worker_start(&w, late_wait_body, NULL), 0);
  t0 = now_ms();
  worker_stop(&w);
  stopMs = now_ms() - t0;
  CHECK("a wait after the stop returns at once", stopMs < 2000);
  CHECK_INT("a wait after the stop returns 1", atomic_load(&bWaitStop), 1);
  return harness_exit();
}
