/*
** assets.h: the schema, templates and web/ files compiled into the binary
** (tools/embed.sh writes the table at build time). With --dev, reads come
** from the source tree instead, so an edited template shows on reload.
** The table is immutable; asset_set_dev() is called once before threads start.
*/
#ifndef HS_ASSETS_H
#define HS_ASSETS_H

#include <stddef.h>

typedef struct Asset {
  const char *zName;          /* path from the repository root */
  const unsigned char *pData; /* contents, followed by a NUL byte */
  unsigned long nData;        /* length without the NUL */
} Asset;

/* Turns on reading from zRoot (a checkout) instead of the embedded copies.
** Call once at startup, before any thread reads an asset. */
void asset_set_dev(const char *zRoot);
int asset_is_dev(void);

/* The embedded asset zName, or NULL. BORROWED for the life of the process. */
const Asset *asset_find(const char *zName);

/* The contents of zName (from disk in dev mode), NUL-terminated.
** NEW: free(); NULL if missing. */
char *asset_load(const char *zName, size_t *pn);

/* Calls xEach for every embedded asset whose name starts with zPrefix,
** in name order. */
void asset_each(const char *zPrefix, void (*xEach)(const Asset *, void *),
                void *pArg);

#endif
