/*
** assets.c: lookup in the embedded asset table, or on disk in dev mode.
** Read-only after asset_set_dev(), so safe from any thread.
*/
#include "assets.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "buf.h"

extern const Asset hs_assets[]; /* written by tools/embed.sh, sorted */

static const char *zDevRoot; /* set once at startup; NULL unless --dev */

void asset_set_dev(const char *zRoot) { zDevRoot = zRoot; }

int asset_is_dev(void) { return zDevRoot != NULL; }

const Asset *asset_find(const char *zName) {
  for (const Asset *p = hs_assets; p->zName; p++) {
    if (strcmp(p->zName, zName) == 0) {
      return p;
    }
  }
  return NULL;
}

/* Reads a whole file; NEW or NULL. Refuses names that climb out of root. */
static char *read_file(const char *zRoot, const char *zName, size_t *pn) {
  if (strstr(zName, "..")) {
    return NULL;
  }
  Buf path;
  buf_init(&path, 4096);
  buf_printf(&path, "%s/%s", zRoot, zName);
  FILE *f = buf_err(&path) ? NULL : fopen(buf_str(&path), "rb");
  buf_free(&path);
  if (!f) {
    return NULL;
  }
  Buf data;
  buf_init(&data, (size_t)256 << 20);
  char aChunk[65536];
  size_t n;
  while ((n = fread(aChunk, 1, sizeof(aChunk), f)) > 0) {
    buf_append(&data, aChunk, n);
  }
  int bErr = ferror(f) || buf_err(&data);
  fclose(f);
  if (bErr) {
    buf_free(&data);
    return NULL;
  }
  return buf_take(&data, pn);
}

char *asset_load(const char *zName, size_t *pn) {
  size_t nDummy;
  if (!pn) {
    pn = &nDummy;
  }
  if (zDevRoot) {
    return read_file(zDevRoot, zName, pn);
  }
  const Asset *p = asset_find(zName);
  if (!p) {
    return NULL;
  }
  *pn = p->nData;
  return xstrndup((const char *)p->pData, p->nData);
}

void asset_each(const char *zPrefix, void (*xEach)(const Asset *, void *),
                void *pArg) {
  size_t nPrefix = strlen(zPrefix);
  for (const Asset *p = hs_assets; p->zName; p++) {
    if (strncmp(p->zName, zPrefix, nPrefix) == 0) {
      xEach(p, pArg);
    }
  }
}
