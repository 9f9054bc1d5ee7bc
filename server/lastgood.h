/*
** lastgood.h: the last good render of a few public pages (`/` and
** /api/v2/summary.json), kept in files beside the database so that a
** render failing after a restart still has a good copy to serve (issue
** 20). status.c keeps every render in memory; this only survives the
** process.
**
** Files: <db path>.lastgood/index.html and summary.json, each written
** whole to a temporary file, synced, then renamed over the old one, so a
** crash leaves the old copy or the new one, never half of one. Nothing is
** written on a read-only database.
**
** Threading: any thread; writes are serialized by a mutex.
*/
#ifndef HS_LASTGOOD_H
#define HS_LASTGOOD_H

#include <stddef.h>

/* Keeps z[0..n) as the last good render of zPath if zPath is a kept page
** and the bytes differ from the kept ones (a failure is logged once). */
void lastgood_save(const char *zPath, const char *z, size_t n);

/* Called by lastgood_load() per kept file: TAKES z (free()). */
typedef void (*LastGoodEach)(const char *zPath, const char *zType, char *z,
                             size_t n);
/* Reads the kept files (those that exist and are readable) into xEach. */
void lastgood_load(LastGoodEach xEach);

#endif
