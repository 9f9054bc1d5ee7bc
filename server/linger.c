/*
** linger.c: drains sockets answered before their body was read, then
** closes them (see linger.h for why).
**
** Threading: `lg` is guarded by lg.mu. Only the worker removes entries, and
** pool threads only append, so the worker polls a copy taken under the lock
** and the first n entries stay where they were while it is unlocked.
*/
#include "linger.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "worker.h"

#define LINGER_MAX 64                        /* sockets at once */
#define LINGER_MS 5000                       /* per socket, at most */
#define LINGER_MAX_BYTES ((int64_t)16 << 20) /* read per socket, at most */
#define LINGER_POLL_MS 100                   /* a round of the worker */

typedef struct Lingering {
  int fd;          /* the duplicate descriptor; ours to close */
  int64_t tEnd;    /* monotonic ms: closed then, drained or not */
  int64_t nRead;   /* bytes read and dropped so far */
} Lingering;

static struct {
  pthread_mutex_t mu;           /* guards everything below */
  Lingering aSock[LINGER_MAX];  /* nSock entries in use */
  int nSock;                    /* entries in aSock */
  int bRunning;                 /* the worker is there to drain */
} lg = {.mu = PTHREAD_MUTEX_INITIALIZER};

static Worker lingerer = WORKER_INIT;
static atomic_ulong nAdopted; /* sockets adopted since the start */

/* Monotonic milliseconds: deadlines must not move with the wall clock. */
static int64_t mono_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Reads what is waiting on p. 1 when p is done with: the client closed,
** an error, or its byte cap passed. The socket is non-blocking (MHD's). */
static int drain_some(Lingering *p) {
  char aScratch[16384];
  for (int i = 0; i < 16; i++) {
    ssize_t n = recv(p->fd, aScratch, sizeof(aScratch), MSG_DONTWAIT);
    if (n == 0) {
      return 1;
    }
    if (n < 0) {
      return errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
    }
    p->nRead += n;
    if (p->nRead > LINGER_MAX_BYTES) {
      return 1;
    }
  }
  return 0;
}

static void lingerer_run(void *pArg) {
  (void)pArg;
  struct pollfd aPoll[LINGER_MAX];
  int aDone[LINGER_MAX];
  while (!worker_stopping(&lingerer)) {
    pthread_mutex_lock(&lg.mu);
    int n = lg.nSock;
    for (int i = 0; i < n; i++) {
      aPoll[i].fd = lg.aSock[i].fd;
      aPoll[i].events = POLLIN;
      aPoll[i].revents = 0;
    }
    pthread_mutex_unlock(&lg.mu);
    if (n <= 0 || n > LINGER_MAX) {
      worker_wait(&lingerer, LINGER_POLL_MS);
      continue;
    }
    poll(aPoll, (nfds_t)n, LINGER_POLL_MS);
    int64_t now = mono_ms();
    pthread_mutex_lock(&lg.mu);
    for (int i = 0; i < n; i++) {
      Lingering *p = &lg.aSock[i];
      aDone[i] = now >= p->tEnd ||
                 (aPoll[i].revents && drain_some(p));
    }
    /* Close the finished ones; entries past n (new) move down intact. */
    int iOut = 0;
    for (int i = 0; i < lg.nSock; i++) {
      if (i < n && aDone[i]) {
        close(lg.aSock[i].fd);
      } else {
        lg.aSock[iOut++] = lg.aSock[i];
      }
    }
    lg.nSock = iOut;
    pthread_mutex_unlock(&lg.mu);
  }
}

int linger_start(void) {
  pthread_mutex_lock(&lg.mu);
  lg.bRunning = 1;
  pthread_mutex_unlock(&lg.mu);
  if (worker_start(&lingerer, lingerer_run, NULL)) {
    pthread_mutex_lock(&lg.mu);
    lg.bRunning = 0;
    pthread_mutex_unlock(&lg.mu);
    return E_IO;
  }
  return 0;
}

void linger_stop(void) {
  worker_stop(&lingerer);
  pthread_mutex_lock(&lg.mu);
  for (int i = 0; i < lg.nSock; i++) {
    close(lg.aSock[i].fd);
  }
  lg.nSock = 0;
  lg.bRunning = 0;
  pthread_mutex_unlock(&lg.mu);
}

void linger_adopt(int fd) {
  /* FIN after the answer: the client reads it, then sees the end. */
  shutdown(fd, SHUT_WR);
  pthread_mutex_lock(&lg.mu);
  if (!lg.bRunning || lg.nSock >= LINGER_MAX) {
    pthread_mutex_unlock(&lg.mu);
    close(fd);
    return;
  }
  lg.aSock[lg.nSock].fd = fd;
  lg.aSock[lg.nSock].tEnd = mono_ms() + LINGER_MS;
  lg.aSock[lg.nSock].nRead = 0;
  lg.nSock++;
  pthread_mutex_unlock(&lg.mu);
  atomic_fetch_add(&nAdopted, 1);
}

unsigned long linger_count(void) {
  return atomic_load(&nAdopted);
}
