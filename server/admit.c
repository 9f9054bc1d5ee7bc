/*
** admit.c: the connection table, the head deadline and the head-phase cap
** (see admit.h for why MHD's own limits are not enough).
**
** Threading: `adm` is guarded by adm.mu; the counters are atomics.
*/
#include "admit.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "arena.h"
#include "err.h"
#include "linger.h"
#include "utc.h"
#include "worker.h"

#define ADMIT_SCAN_MS 250 /* how often the watchdog looks */

typedef struct Slot {
  int bUsed;     /* a live connection */
  int fd;        /* its socket */
  int64_t tHead; /* when its head phase began, ms; 0 when past it */
  int bLinger;   /* answered before its body was read: drain on close */
} Slot;

static struct {
  pthread_mutex_t mu; /* guards everything below */
  Slot *aSlot;        /* nSlot entries, NULL when not started */
  int nSlot;          /* size of aSlot */
  int nHead;          /* slots in the head phase */
  int nHeadMax;       /* cap on nHead */
  int64_t msDeadline; /* head deadline */
} adm = {.mu = PTHREAD_MUTEX_INITIALIZER};

static Worker watchdog = WORKER_INIT;
static atomic_ulong nDeadline; /* shut down at their deadline */
static atomic_ulong nShed;     /* shut down for the cap */

/* Ends slot p's head phase. adm.mu held. */
static void head_end(Slot *p) {
  if (p->tHead) {
    p->tHead = 0;
    adm.nHead--;
  }
}

static void watchdog_run(void *pArg) {
  (void)pArg;
  do {
    int64_t now = utc_now_ms();
    pthread_mutex_lock(&adm.mu);
    for (int i = 0; i < adm.nSlot; i++) {
      Slot *p = &adm.aSlot[i];
      if (p->bUsed && p->tHead && now - p->tHead > adm.msDeadline) {
        head_end(p);
        shutdown(p->fd, SHUT_RDWR);
        atomic_fetch_add(&nDeadline, 1);
      }
    }
    pthread_mutex_unlock(&adm.mu);
  } while (!worker_wait(&watchdog, ADMIT_SCAN_MS));
}

int admit_start(int nMaxConn, int nHeadTimeoutS) {
  pthread_mutex_lock(&adm.mu);
  /* MHD may report a connection closed a little after accepting the next
  ** one: some room above its limit. */
  adm.nSlot = nMaxConn + 64;
  adm.aSlot = xcalloc((size_t)adm.nSlot, sizeof(Slot));
  adm.nHead = 0;
  adm.nHeadMax = nMaxConn - nMaxConn / 4;
  if (adm.nHeadMax < 1) {
    adm.nHeadMax = 1;
  }
  adm.msDeadline = (int64_t)nHeadTimeoutS * 1000;
  pthread_mutex_unlock(&adm.mu);
  return worker_start(&watchdog, watchdog_run, NULL) ? E_IO : 0;
}

void admit_stop(void) {
  worker_stop(&watchdog);
  pthread_mutex_lock(&adm.mu);
  free(adm.aSlot);
  adm.aSlot = NULL;
  adm.nSlot = 0;
  adm.nHead = 0;
  pthread_mutex_unlock(&adm.mu);
}

void admit_notify(void *pCls, struct MHD_Connection *pConn,
                  void **ppSocket, enum MHD_ConnectionNotificationCode code) {
  (void)pCls;
  pthread_mutex_lock(&adm.mu);
  if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
    Slot *p = *ppSocket;
    if (p && adm.aSlot) {
      head_end(p);
      p->bUsed = 0;
      if (p->bLinger) {
        /* MHD closes its descriptor next; ours keeps the socket open
        ** (no RST over unread bytes) while linger.c drains it. */
        int fd = dup(p->fd);
        if (fd >= 0) {
          linger_adopt(fd);
        }
      }
    }
    *ppSocket = NULL;
    pthread_mutex_unlock(&adm.mu);
    return;
  }
  const union MHD_ConnectionInfo *pInfo =
      MHD_get_connection_info(pConn, MHD_CONNECTION_INFO_CONNECTION_FD);
  Slot *pFree = NULL;
  for (int i = 0; pInfo && !pFree && i < adm.nSlot; i++) {
    if (!adm.aSlot[i].bUsed) {
      pFree = &adm.aSlot[i];
    }
  }
  if (pFree) {
    int64_t now = utc_now_ms();
    if (adm.nHead >= adm.nHeadMax) {
      /* Full of heads: the oldest goes, so newcomers always get in. */
      Slot *pOld = NULL;
      for (int i = 0; i < adm.nSlot; i++) {
        Slot *p = &adm.aSlot[i];
        if (p->bUsed && p->tHead && (!pOld || p->tHead < pOld->tHead)) {
          pOld = p;
        }
      }
      if (pOld) {
        head_end(pOld);
        shutdown(pOld->fd, SHUT_RDWR);
        atomic_fetch_add(&nShed, 1);
      }
    }
    pFree->bUsed = 1;
    pFree->bLinger = 0;
    pFree->fd = pInfo->connect_fd;
    pFree->tHead = now ? now : 1;
    adm.nHead++;
  }
  *ppSocket = pFree;
  pthread_mutex_unlock(&adm.mu);
}

/* The connection's live slot, with adm.mu held; NULL (and not held) when
** it has none. */
static Slot *slot_lock(struct MHD_Connection *pConn) {
  const union MHD_ConnectionInfo *pInfo =
      MHD_get_connection_info(pConn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
  Slot *p = pInfo ? pInfo->socket_context : NULL;
  if (!p) {
    return NULL;
  }
  pthread_mutex_lock(&adm.mu);
  if (!adm.aSlot || !p->bUsed) {
    pthread_mutex_unlock(&adm.mu);
    return NULL;
  }
  return p;
}

void admit_head(struct MHD_Connection *pConn, int bDone) {
  Slot *p = slot_lock(pConn);
  if (!p) {
    return;
  }
  if (bDone) {
    head_end(p);
  } else if (!p->tHead) {
    int64_t now = utc_now_ms();
    p->tHead = now ? now : 1;
    adm.nHead++;
  }
  pthread_mutex_unlock(&adm.mu);
}

void admit_linger(struct MHD_Connection *pConn) {
  Slot *p = slot_lock(pConn);
  if (p) {
    p->bLinger = 1;
    pthread_mutex_unlock(&adm.mu);
  }
}

void admit_counts(unsigned long *pnDeadline, unsigned long *pnShed) {
  *pnDeadline = atomic_load(&nDeadline);
  *pnShed = atomic_load(&nShed);
}
