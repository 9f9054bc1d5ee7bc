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

#include "db.h"

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

/* Binds :k (the key as stored: its first THROTTLE_KEY_MAX bytes) and :now
** and :win. */
static void bind_key(DbStmt *p, const char *zKey, int64_t tNow,
                     int64_t msWindow) {
  db_bind_textn(p, ":k", zKey, (int)strnlen(zKey, THROTTLE_KEY_MAX));
  db_bind_int(p, ":now", tNow);
  db_bind_int(p, ":win", msWindow);
}

/* Shared counts (PostgreSQL): failures of zKey in the window containing
** tNow, or -1 if the database cannot tell. */
static int shared_count(const char *zKey, int64_t tNow) {
  DbStmt *p = db_prepare("SELECT failures FROM throttles WHERE key = :k"
                         " AND :now - window_start < :win");
  if (!p) {
    return -1;
  }
  bind_key(p, zKey, tNow, THROTTLE_WINDOW_MS);
  int rc = db_step(p);
  int n = rc == DB_ROW ? (int)db_col_int(p, 0) : rc == DB_DONE ? 0 : -1;
  db_reset(p);
  return n;
}

/* Counts a failure of zKey in the shared table; the failures in its window
** after it, or -1 if the database cannot count. Old windows go first. */
static int shared_fail(const char *zKey, int64_t tNow, int64_t msWindow) {
  DbStmt *d = db_prepare("DELETE FROM throttles WHERE window_start < :old");
  if (d) {
    /* Windows are at most a day long (auth.c's are shorter). */
    db_bind_int(d, ":old", tNow - 24 * 3600 * 1000LL);
    db_run(d);
  }
  DbStmt *p = db_prepare(
      "INSERT INTO throttles (key, window_start, failures)"
      " VALUES (:k, :now, 1) ON CONFLICT (key) DO UPDATE SET"
      " failures = CASE WHEN :now - throttles.window_start >= :win THEN 1"
      "  ELSE throttles.failures + 1 END,"
      " window_start = CASE WHEN :now - throttles.window_start >= :win"
      "  THEN :now ELSE throttles.window_start END"
      " RETURNING failures");
  if (!p) {
    return -1;
  }
  bind_key(p, zKey, tNow, msWindow);
  int n = db_step(p) == DB_ROW ? (int)db_col_int(p, 0) : -1;
  db_reset(p);
  return n;
}

int throttle_blocked(const char *zKey, int64_t tNow) {
  if (db_is_pg()) {
    int n = shared_count(zKey, tNow);
    if (n >= 0) {
      return n >= THROTTLE_MAX_FAILS;
    }
  }
  pthread_mutex_lock(&slotMutex);
  const Slot *p = slot_find(zKey);
  int bBlocked = p && tNow - p->tStart < THROTTLE_WINDOW_MS &&
                 p->nFail >= THROTTLE_MAX_FAILS;
  pthread_mutex_unlock(&slotMutex);
  return bBlocked;
}

int throttle_fail_window(const char *zKey, int64_t tNow, int64_t msWindow) {
  if (db_is_pg()) {
    int n = shared_fail(zKey, tNow, msWindow);
    if (n >= 0) {
      return n;
    }
  }
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
