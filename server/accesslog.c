/*
** accesslog.c: batching the access log (see accesslog.h). One buffer under
** one mutex, held only to copy a line in or swap the buffer out; the
** write(2) happens outside it. Before this, a write per request (and the
** contention on stderr's lock) cost a quarter of serving cached pages.
*/
#include "accesslog.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ACCESSLOG_BUF (64 * 1024)

static pthread_mutex_t logMutex = PTHREAD_MUTEX_INITIALIZER;
static char aPending[ACCESSLOG_BUF]; /* lines not yet written */
static size_t nPending;
static char aOut[ACCESSLOG_BUF];     /* the batch being written */
static pthread_mutex_t outMutex = PTHREAD_MUTEX_INITIALIZER; /* for aOut */
static pthread_t flusher;
static atomic_int bRunning;          /* the thread is up */
static atomic_int bStop;

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

/* Moves the pending lines to aOut and writes them. */
static void flush_pending(void) {
  pthread_mutex_lock(&outMutex);
  pthread_mutex_lock(&logMutex);
  size_t n = nPending;
  memcpy(aOut, aPending, n);
  nPending = 0;
  pthread_mutex_unlock(&logMutex);
  write_all(aOut, n);
  pthread_mutex_unlock(&outMutex);
}

static void *flush_loop(void *pArg) {
  (void)pArg;
  struct timespec ts = {0, ACCESSLOG_FLUSH_MS * 1000000L};
  while (!atomic_load(&bStop)) {
    nanosleep(&ts, NULL);
    flush_pending();
  }
  return NULL;
}

int accesslog_start(void) {
  atomic_store(&bStop, 0);
  if (pthread_create(&flusher, NULL, flush_loop, NULL) != 0) {
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
    atomic_store(&bStop, 1);
    pthread_join(flusher, NULL);
    atomic_store(&bRunning, 0);
  }
  flush_pending();
}
