/*
** throttle.c: failure counts per key in fixed windows (see throttle.h).
**
** Threading: the one table `aSlot` is guarded by `slotMutex`. A lookup is
** a linear scan of THROTTLE_SLOTS short keys, which costs microseconds;
** it only runs on login attempts, each of which costs a password hash.
*/
#include "throttle.h"

#include <assert.h>
#include <pthread.h>
#include <string.h>

typedef struct Slot {
  char zKey[THROTTLE_KEY_MAX + 1]; /* the key; "" for a free slot */
  int64_t tStart;                  /* when this window began, ms */
  int nFail;                       /* failures in this window */
} Slot;

static Slot aSlot[THROTTLE_SLOTS];                            /* guarded */
static pthread_mutex_t slotMutex = PTHREAD_MUTEX_INITIALIZER; /* guards aSlot */

/* The slot holding zKey, or NULL. Call with slotMutex held. */
static Slot *slot_find(const char *zKey) {
  assert(zKey && zKey[0]);
  for (int i = 0; i < THROTTLE_SLOTS; i++) {
    if (aSlot[i].zKey[0] &&
        strncmp(aSlot[i].zKey, zKey, THROTTLE_KEY_MAX) == 0) {
      return &aSlot[i];
    }
  }
  return NULL;
}

int throttle_blocked(const char *zKey, int64_t tNow) {
  pthread_mutex_lock(&slotMutex);
  const Slot *p = slot_find(zKey);
  int bBlocked = p && tNow - p->tStart < THROTTLE_WINDOW_MS &&
                 p->nFail >= THROTTLE_MAX_FAILS;
  pthread_mutex_unlock(&slotMutex);
  return bBlocked;
}

int throttle_fail_window(const char *zKey, int64_t tNow, int64_t msWindow) {
  pthread_mutex_lock(&slotMutex);
  Slot *p = slot_find(zKey);
  if (!p) {
    /* A free slot, else the one whose window began first. */
    p = &aSlot[0];
    for (int i = 0; i < THROTTLE_SLOTS && p->zKey[0]; i++) {
      if (!aSlot[i].zKey[0] || aSlot[i].tStart < p->tStart) {
        p = &aSlot[i];
      }
    }
    size_t n = strnlen(zKey, THROTTLE_KEY_MAX);
    memcpy(p->zKey, zKey, n);
    p->zKey[n] = 0;
    p->nFail = 0;
    p->tStart = tNow;
  }
  if (tNow - p->tStart >= msWindow) {
    p->nFail = 0;
    p->tStart = tNow;
  }
  int n = ++p->nFail;
  pthread_mutex_unlock(&slotMutex);
  return n;
}

void throttle_fail(const char *zKey, int64_t tNow) {
  throttle_fail_window(zKey, tNow, THROTTLE_WINDOW_MS);
}

void throttle_reset(void) {
  pthread_mutex_lock(&slotMutex);
  memset(aSlot, 0, sizeof(aSlot));
  pthread_mutex_unlock(&slotMutex);
}
