/*
** accesslog.c: batching the access log (see accesslog.h). One buffer under
** one mutex, held only to copy a line in or to swap the two buffers (a
** pointer, not a copy: copying 64 KiB under the lock made request threads
** wait on it); the write(2) happens outside it. Before this, a write per
** request (and the contention on stderr's lock) cost a quarter of serving
** cached pages.
*/
#include "accesslog.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "worker.h"

/* A batch: 50 ms of lines at 100k requests/s is about 750 KiB, so a busy
** server still has request threads write now and then; that costs the one
** request a write, not the others a wait. */
#define ACCESSLOG_BUF (256 * 1024)

static pthread_mutex_t logMutex = PTHREAD_MUTEX_INITIALIZER; /* aPending */
static char aBuf[2][ACCESSLOG_BUF];  /* pending lines, and the batch out */
static char *aPending = aBuf[0];     /* lines not yet written */
static size_t nPending;              /* bytes used in aPending */
static pthread_mutex_t outMutex = PTHREAD_MUTEX_INITIALIZER; /* the other
                                     ** buffer, while it is written */
static Worker flusher = WORKER_INIT; /* writes a batch every interval */
static atomic_int bRunning;          /* the thread is up */

static void write_all(const char *z, size_t n) {
  while (n > 0) {
    ssize_t k = write(STDERR_FILENO, z, n);
    if (k < 0 && errno == EINTR) {
      continue;
    }
    if (k <= 0) {
      return; /* nowhere to log to; serving goes on */
    }
    z += k;
    n -= (size_t)k;
  }
}

/* Swaps the buffers and writes the pending lines. */
static void flush_pending(void) {
  pthread_mutex_lock(&outMutex);
  pthread_mutex_lock(&logMutex);
  char *aOut = aPending;
  size_t n = nPending;
  aPending = aOut == aBuf[0] ? aBuf[1] : aBuf[0];
  nPending = 0;
  pthread_mutex_unlock(&logMutex);
  write_all(aOut, n);
  pthread_mutex_unlock(&outMutex);
}

static void flush_loop(void *pArg) {
  (void)pArg;
  while (!worker_wait(&flusher, ACCESSLOG_FLUSH_MS)) {
    flush_pending();
  }
}

int accesslog_start(void) {
  if (worker_start(&flusher, flush_loop, NULL) != 0) {
    return -1;
  }
  atomic_store(&bRunning, 1);
  return 0;
}

void accesslog_write(const char *z, size_t n) {
  if (!atomic_load(&bRunning)) {
    write_all(z, n);
    return;
  }
  for (;;) {
    pthread_mutex_lock(&logMutex);
    if (ACCESSLOG_BUF - nPending >= n) {
      memcpy(aPending + nPending, z, n);
      nPending += n;
      pthread_mutex_unlock(&logMutex);
      return;
    }
    int bEmpty = nPending == 0;
    pthread_mutex_unlock(&logMutex);
    if (bEmpty) {
      write_all(z, n); /* a line bigger than the buffer */
      return;
    }
    flush_pending(); /* full: this request pays for the write */
  }
}

void accesslog_stop(void) {
  if (atomic_load(&bRunning)) {
    worker_stop(&flusher); /* at once, not after the interval */
    atomic_store(&bRunning, 0);
  }
  flush_pending();
}
