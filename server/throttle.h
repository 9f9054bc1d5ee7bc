/*
** throttle.h: counting failures per key (a client address) in a fixed
** window. Used for login attempts per address, next to the per-account
** count that auth.c keeps in the database.
**
** On SQLite (one process) the counts are in memory: the table has a fixed
** number of slots; when it is full the slot whose window started first is
** reused, so memory stays bounded whatever an attacker sends, and counts
** are lost on restart, which is acceptable for a throttle. On PostgreSQL
** several nodes serve one site, so the counts are in the database (table
** throttles, windows pruned by age): an address refused by one node is
** refused by every node. If the database cannot answer, memory counts.
**
** Keys are non-empty strings; only their first THROTTLE_KEY_MAX bytes count.
**
** Threading: every function is safe from any thread (one mutex inside).
*/
#ifndef HS_THROTTLE_H
#define HS_THROTTLE_H

#include <stdint.h>

#define THROTTLE_MAX_FAILS 20                 /* failures per key... */
#define THROTTLE_WINDOW_MS (10LL * 60 * 1000) /* ...in this window */
#define THROTTLE_SLOTS 4096                   /* keys tracked at once */
#define THROTTLE_KEY_MAX 72                   /* longer keys are cut */

/* 1 if zKey has THROTTLE_MAX_FAILS or more failures in the window that
** contains tNow (ms), else 0. */
int throttle_blocked(const char *zKey, int64_t tNow);

/* Counts one failure for zKey at tNow; starts a new window when the last
** one has ended. */
void throttle_fail(const char *zKey, int64_t tNow);

/* Counts one failure for zKey at tNow in a window of msWindow (a new one
** when the last has ended) and returns the failures in the window. For
** counts with their own window, such as login names nobody has. */
int throttle_fail_window(const char *zKey, int64_t tNow, int64_t msWindow);

/* Forgets every key (unit tests). */
void throttle_reset(void);

#endif
