/*
** tz.c: a small reader for compiled tzdata (RFC 8536 TZif, versions 1 to
** 4). Only what a status page needs: the offset and abbreviation in force
** at a moment. Leap-second records and the POSIX footer are skipped (see
** tz.h). No state; thread-safe.
*/
#include "tz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

#define TZ_FILE_MAX (256 * 1024) /* real files are under 4 KiB */

int tz_name_ok(const char *zName) {
  size_t n = strlen(zName);
  if (n == 0 || n >= 64) {
    return 0;
  }
  if ((zName[0] == '+' || zName[0] == '-') && n == 6 && zName[3] == ':') {
    return strspn(zName + 1, "0123456789") == 2 &&
           strspn(zName + 4, "0123456789") == 2 &&
           atoi(zName + 1) <= 14 && atoi(zName + 4) < 60;
  }
  int bStart = 1;
  for (const char *z = zName; *z; z++) {
    char c = *z;
    if (c == '/') {
      if (bStart) {
        return 0; /* empty part, or a leading slash */
      }
      bStart = 1;
      continue;
    }
    if (bStart && (c == '.' || c == '-')) {
      return 0;
    }
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || c == '_' || c == '+' || c == '-')) {
      return 0;
    }
    bStart = 0;
  }
  return !bStart;
}

static uint32_t be32(const unsigned char *z) {
  return (uint32_t)z[0] << 24 | (uint32_t)z[1] << 16 | (uint32_t)z[2] << 8 |
         (uint32_t)z[3];
}

static int64_t be64(const unsigned char *z) {
  return (int64_t)((uint64_t)be32(z) << 32 | be32(z + 4));
}

/* The six counts of a header at z (44 bytes). */
typedef struct TzHead {
  uint32_t nUt, nStd, nLeap, nTime, nType, nChar; /* RFC 8536 3.1 */
} TzHead;

static int head_read(const unsigned char *z, size_t n, TzHead *h) {
  if (n < 44 || memcmp(z, "TZif", 4) != 0) {
    return E_INVALID;
  }
  h->nUt = be32(z + 20);
  h->nStd = be32(z + 24);
  h->nLeap = be32(z + 28);
  h->nTime = be32(z + 32);
  h->nType = be32(z + 36);
  h->nChar = be32(z + 40);
  /* Caps keep the size arithmetic below far from overflow. */
  if (h->nType == 0 || h->nType > 256 || h->nChar == 0 || h->nChar > 4096 ||
      h->nTime > 100000 || h->nLeap > 10000 ||
      (h->nUt && h->nUt != h->nType) || (h->nStd && h->nStd != h->nType)) {
    return E_INVALID;
  }
  return 0;
}

/* Bytes of the data block after a header, with times of nTimeSize bytes. */
static size_t block_size(const TzHead *h, size_t nTimeSize) {
  return h->nTime * nTimeSize + h->nTime + h->nType * 6 + h->nChar +
         h->nLeap * (nTimeSize + 4) + h->nStd + h->nUt;
}

int tz_parse(const unsigned char *z, size_t n, Tz *p) {
  TzHead h;
  memset(p->aAt, 0, sizeof(p->aAt));
  p->nTrans = p->nType = p->iFirst = 0;
  if (head_read(z, n, &h)) {
    return E_INVALID;
  }
  size_t nTimeSize = 4;
  size_t iData = 44;
  if (z[4] >= '2') {
    /* Skip the 32-bit block; the 64-bit one follows with its header. */
    size_t nSkip = 44 + block_size(&h, 4);
    if (nSkip > n || head_read(z + nSkip, n - nSkip, &h)) {
      return E_INVALID;
    }
    nTimeSize = 8;
    iData = nSkip + 44;
  }
  if (iData > n || block_size(&h, nTimeSize) > n - iData) {
    return E_INVALID;
  }
  const unsigned char *zTimes = z + iData;
  const unsigned char *zIdx = zTimes + h.nTime * nTimeSize;
  const unsigned char *zTypes = zIdx + h.nTime;
  const char *zChars = (const char *)(zTypes + h.nType * 6);
  p->nType = h.nType < TZ_MAX_TYPES ? (int)h.nType : TZ_MAX_TYPES;
  for (int i = 0; i < p->nType; i++) {
    const unsigned char *t = zTypes + (size_t)i * 6;
    int32_t off = (int32_t)be32(t);
    unsigned iAbbr = t[5];
    if (off < -25 * 3600 || off > 26 * 3600 || iAbbr >= h.nChar) {
      return E_INVALID;
    }
    p->aOff[i] = off;
    size_t k = 0;
    while (k < 7 && iAbbr + k < h.nChar && zChars[iAbbr + k]) {
      p->aAbbr[i][k] = zChars[iAbbr + k];
      k++;
    }
    p->aAbbr[i][k] = 0;
  }
  /* Keep the newest transitions: a status page shows recent times. */
  uint32_t iFrom = h.nTime > TZ_MAX_TRANS ? h.nTime - TZ_MAX_TRANS : 0;
  int64_t tLast = INT64_MIN;
  for (uint32_t i = iFrom; i < h.nTime; i++) {
    int64_t t = nTimeSize == 8 ? be64(zTimes + (size_t)i * 8)
                               : (int64_t)(int32_t)be32(zTimes + (size_t)i * 4);
    if (t <= tLast && i > iFrom) {
      return E_INVALID; /* times must rise */
    }
    tLast = t;
    if (zIdx[i] >= p->nType) {
      return E_INVALID;
    }
    p->aAt[p->nTrans] = t;
    p->aType[p->nTrans] = zIdx[i];
    p->nTrans++;
  }
  /* Before the first transition: the first standard-time type. */
  p->iFirst = iFrom > 0 ? zIdx[iFrom - 1] : 0;
  if (p->iFirst >= p->nType) {
    p->iFirst = 0;
  }
  return 0;
}

/* A fixed offset "+HH:MM" or "UTC" as a zone of one type. */
static void fixed_zone(Tz *p, int off) {
  p->nTrans = 0;
  p->nType = 1;
  p->iFirst = 0;
  p->aOff[0] = off;
  if (off == 0) {
    snprintf(p->aAbbr[0], sizeof(p->aAbbr[0]), "UTC");
  } else {
    int a = off < 0 ? -off : off;
    /* Seven bytes: "+05:30" fits. */
    snprintf(p->aAbbr[0], sizeof(p->aAbbr[0]), "%c%02d:%02d",
             off < 0 ? '-' : '+', (a / 3600) % 100, (a / 60) % 60);
  }
}

int tz_load(const char *zName, Tz *p) {
  memset(p, 0, sizeof(*p));
  if (!tz_name_ok(zName)) {
    return E_INVALID;
  }
  snprintf(p->zName, sizeof(p->zName), "%s", zName);
  if (zName[0] == '+' || zName[0] == '-') {
    int off = (atoi(zName + 1) * 60 + atoi(zName + 4)) * 60;
    fixed_zone(p, zName[0] == '-' ? -off : off);
    return 0;
  }
  if (strcmp(zName, "UTC") == 0 || strcmp(zName, "Etc/UTC") == 0) {
    fixed_zone(p, 0);
    return 0;
  }
  const char *zDir = getenv("TZDIR");
  char zPath[512];
  snprintf(zPath, sizeof(zPath), "%s/%s",
           zDir && *zDir ? zDir : "/usr/share/zoneinfo", zName);
  FILE *f = fopen(zPath, "rb");
  if (!f) {
    return E_NOTFOUND;
  }
  unsigned char *z = malloc(TZ_FILE_MAX);
  size_t n = z ? fread(z, 1, TZ_FILE_MAX, f) : 0;
  fclose(f);
  int rc = z ? tz_parse(z, n, p) : E_INVALID;
  free(z);
  if (rc == 0) {
    snprintf(p->zName, sizeof(p->zName), "%s", zName);
  }
  return rc;
}

int tz_offset(const Tz *p, int64_t ms, char zAbbr[8]) {
  int64_t t = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
  int iType = p->iFirst;
  /* The last transition at or before t (binary search). */
  int lo = 0, hi = p->nTrans;
  while (lo < hi) {
    int mid = lo + (hi - lo) / 2;
    if (p->aAt[mid] <= t) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  if (lo > 0) {
    iType = p->aType[lo - 1];
  }
  if (p->nType == 0) {
    if (zAbbr) {
      snprintf(zAbbr, 8, "UTC");
    }
    return 0;
  }
  if (zAbbr) {
    memcpy(zAbbr, p->aAbbr[iType], 8);
  }
  return p->aOff[iType];
}
