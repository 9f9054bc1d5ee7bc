/*
** tz.c: named IANA zones from TZif files (RFC 8536).
**
** The version 2+ block (64-bit times) is used when present, else the
** version 1 block. Leap-second records are skipped (log times are POSIX
** times). After the last transition the footer's POSIX TZ rule decides
** ("EST5EDT,M3.2.0,M11.1.0"); only its M month.week.day form is read,
** which is what the tz database writes for every zone with daylight time
** today; for any other form the last transition's offset stays.
**
** Does not: read /etc/localtime, call localtime_r or touch the TZ
** variable (setenv is not thread-safe). Threading: see tz.h.
*/
#include "tz.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "err.h"
#include "utc.h"

#define TZ_MAX_TRANS 4096 /* transitions kept */
#define TZ_MAX_TYPES 256  /* local time types in a file */

/* One end of daylight time in a POSIX rule: month m, week w (5 = last),
** weekday d (0 = Sunday), at secs local time. */
typedef struct TzRuleDate {
  int m, w, d;  /* 1..12, 1..5, 0..6 */
  int32_t secs; /* local time of the change, may be <0 or >24h */
} TzRuleDate;

typedef char TzAbbr[8]; /* "CEST", NUL-terminated, "" if none */

struct TzZone {
  int nTrans;          /* transitions */
  int64_t *aTrans;     /* UTC seconds, ascending */
  int32_t *aOff;       /* offset in force from aTrans[i] on */
  TzAbbr *aAbbr;       /* abbreviation in force from aTrans[i] on */
  int32_t offBefore;   /* offset before the first transition */
  TzAbbr zAbbrBefore;  /* and its abbreviation */
  TzAbbr zStd;         /* rule: standard time's abbreviation */
  TzAbbr zDst;         /* rule: daylight time's abbreviation */
  int bRule;           /* the footer rule below applies after the last */
  int bRuleDst;        /* the rule has daylight time */
  int32_t stdOff;      /* rule: standard offset, seconds east */
  int32_t dstOff;      /* rule: daylight offset, seconds east */
  TzRuleDate start;    /* rule: daylight time starts (local std time) */
  TzRuleDate end;      /* rule: daylight time ends (local dst time) */
};

void tz_free(TzZone *p) {
  if (!p) {
    return;
  }
  free(p->aTrans);
  free(p->aOff);
  free(p->aAbbr);
  free(p);
}

static int64_t be(const unsigned char *z, int nByte) {
  uint64_t v = 0;
  for (int i = 0; i < nByte; i++) {
    v = (v << 8) | z[i];
  }
  if (nByte == 4) {
    return (int32_t)(uint32_t)v;
  }
  return (int64_t)v;
}

/* Reads [+-]hh[:mm[:ss]] at *pz into seconds (POSIX sign: west is +). */
static int rule_time(const char **pz, int32_t *pSecs, int nMaxHour) {
  const char *z = *pz;
  int sign = 1;
  if (*z == '+' || *z == '-') {
    sign = *z == '-' ? -1 : 1;
    z++;
  }
  int32_t v = 0, part = 0;
  for (int k = 0; k < 3; k++) {
    if (!isdigit((unsigned char)*z)) {
      return -1;
    }
    part = 0;
    for (int j = 0; j < 3 && isdigit((unsigned char)*z); j++, z++) {
      part = part * 10 + (*z - '0');
    }
    if ((k == 0 && part > nMaxHour) || (k > 0 && part > 59)) {
      return -1;
    }
    v = v * 60 + part;
    if (*z != ':') {
      for (int j = k; j < 2; j++) {
        v *= 60;
      }
      break;
    }
    z++;
  }
  *pSecs = sign * v;
  *pz = z;
  return 0;
}

/* Reads a zone abbreviation, letters or <...>, into zName (cut to fit). */
static int rule_name(const char **pz, TzAbbr zName) {
  const char *z = *pz;
  if (*z == '<') {
    const char *zEnd = strchr(z, '>');
    if (!zEnd || zEnd - z < 4) {
      return -1;
    }
    snprintf(zName, sizeof(TzAbbr), "%.*s", (int)(zEnd - z - 1), z + 1);
    *pz = zEnd + 1;
    return 0;
  }
  int n = 0;
  while (isalpha((unsigned char)z[n])) {
    n++;
  }
  if (n < 3) {
    return -1;
  }
  snprintf(zName, sizeof(TzAbbr), "%.*s", n, z);
  *pz = z + n;
  return 0;
}

/* Reads ",Mm.w.d[/time]". */
static int rule_date(const char **pz, TzRuleDate *pD) {
  const char *z = *pz;
  if (z[0] != ',' || z[1] != 'M') {
    return -1;
  }
  z += 2;
  int a[3];
  for (int k = 0; k < 3; k++) {
    if (!isdigit((unsigned char)*z)) {
      return -1;
    }
    a[k] = 0;
    for (int j = 0; j < 2 && isdigit((unsigned char)*z); j++, z++) {
      a[k] = a[k] * 10 + (*z - '0');
    }
    if (k < 2) {
      if (*z != '.') {
        return -1;
      }
      z++;
    }
  }
  if (a[0] < 1 || a[0] > 12 || a[1] < 1 || a[1] > 5 || a[2] > 6) {
    return -1;
  }
  pD->m = a[0];
  pD->w = a[1];
  pD->d = a[2];
  pD->secs = 7200;
  if (*z == '/') {
    z++;
    if (rule_time(&z, &pD->secs, 167)) {
      return -1;
    }
  }
  *pz = z;
  return 0;
}

/* Parses the footer's POSIX TZ string z (NUL-terminated). */
static void parse_rule(TzZone *p, const char *z) {
  int32_t std, dst;
  if (rule_name(&z, p->zStd) || rule_time(&z, &std, 24)) {
    return;
  }
  p->stdOff = -std;
  if (*z == 0) {
    p->bRule = 1; /* standard time only */
    return;
  }
  if (rule_name(&z, p->zDst)) {
    return;
  }
  dst = std - 3600;
  if (*z != ',' && rule_time(&z, &dst, 24)) {
    return;
  }
  p->dstOff = -dst;
  if (rule_date(&z, &p->start) || rule_date(&z, &p->end) || *z != 0) {
    return;
  }
  p->bRule = 1;
  p->bRuleDst = 1;
}

int tz_parse(const char *zIn, size_t n, TzZone **ppZone) {
  const unsigned char *z = (const unsigned char *)zIn;
  *ppZone = NULL;
  if (n > TZ_MAX_FILE || n < 44 || memcmp(z, "TZif", 4) != 0) {
    return E_INVALID;
  }
  int bV2 = z[4] >= '2';
  size_t i = 0;
  int nTime = 4;
  for (int pass = 0; pass < 1 + bV2; pass++) {
    if (n - i < 44 || memcmp(z + i, "TZif", 4) != 0) {
      return E_INVALID;
    }
    int64_t aCnt[6];
    for (int k = 0; k < 6; k++) {
      aCnt[k] = be(z + i + 20 + 4 * k, 4);
      if (aCnt[k] < 0 || aCnt[k] > 100000) {
        return E_INVALID;
      }
    }
    int64_t isut = aCnt[0], isstd = aCnt[1], leap = aCnt[2];
    int64_t timecnt = aCnt[3], typecnt = aCnt[4], charcnt = aCnt[5];
    nTime = bV2 && pass == 1 ? 8 : 4;
    int64_t nBlock = timecnt * nTime + timecnt + typecnt * 6 + charcnt +
                     leap * (nTime + 4) + isstd + isut;
    i += 44;
    if (nBlock > (int64_t)(n - i)) {
      return E_INVALID;
    }
    if (bV2 && pass == 0) {
      i += (size_t)nBlock; /* the 32-bit block: skipped */
      continue;
    }
    if (typecnt < 1 || typecnt > TZ_MAX_TYPES || timecnt > TZ_MAX_TRANS) {
      return E_INVALID;
    }
    const unsigned char *aT = z + i;
    const unsigned char *aIdx = aT + timecnt * nTime;
    const unsigned char *aType = aIdx + timecnt;
    const unsigned char *aChar = aType + typecnt * 6;
    int32_t aTypeOff[TZ_MAX_TYPES];
    int aTypeDst[TZ_MAX_TYPES];
    TzAbbr aTypeAbbr[TZ_MAX_TYPES];
    for (int64_t k = 0; k < typecnt; k++) {
      int64_t off = be(aType + 6 * k, 4);
      /* RFC 8536: -89999..93599 (more than a day either way is junk). */
      if (off < -89999 || off > 93599 || aType[6 * k + 4] > 1) {
        return E_INVALID;
      }
      aTypeOff[k] = (int32_t)off;
      aTypeDst[k] = aType[6 * k + 4];
      /* Its designation: printable bytes from index desigidx up to a NUL
      ** inside the designation block. */
      int64_t iChar = aType[6 * k + 5];
      size_t nName = 0;
      while (iChar + (int64_t)nName < charcnt &&
             aChar[iChar + (int64_t)nName] &&
             nName < sizeof(TzAbbr) - 1 &&
             isprint(aChar[iChar + (int64_t)nName])) {
        nName++;
      }
      memcpy(aTypeAbbr[k], aChar + (iChar < charcnt ? iChar : 0),
             iChar < charcnt ? nName : 0);
      aTypeAbbr[k][iChar < charcnt ? nName : 0] = 0;
    }
    TzZone *p = xcalloc(1, sizeof(*p));
    p->aTrans = xmalloc(sizeof(int64_t) * (size_t)(timecnt + 1));
    p->aOff = xmalloc(sizeof(int32_t) * (size_t)(timecnt + 1));
    p->aAbbr = xmalloc(sizeof(TzAbbr) * (size_t)(timecnt + 1));
    for (int64_t k = 0; k < timecnt; k++) {
      int64_t t = be(aT + k * nTime, nTime);
      if (aIdx[k] >= typecnt || (k > 0 && t <= p->aTrans[p->nTrans - 1])) {
        tz_free(p);
        return E_INVALID;
      }
      p->aTrans[p->nTrans] = t;
      p->aOff[p->nTrans] = aTypeOff[aIdx[k]];
      memcpy(p->aAbbr[p->nTrans], aTypeAbbr[aIdx[k]], sizeof(TzAbbr));
      p->nTrans++;
    }
    /* RFC 8536: before the first transition, type 0 (its first standard
    ** type in older files). */
    int iBefore = 0;
    for (int64_t k = 0; aTypeDst[0] && k < typecnt; k++) {
      if (!aTypeDst[k]) {
        iBefore = (int)k;
        break;
      }
    }
    p->offBefore = aTypeOff[iBefore];
    memcpy(p->zAbbrBefore, aTypeAbbr[iBefore], sizeof(TzAbbr));
    i += (size_t)nBlock;
    /* Footer: "\n" TZ-string "\n". */
    if (bV2 && i < n && z[i] == '\n') {
      const unsigned char *zNl = memchr(z + i + 1, '\n', n - i - 1);
      if (zNl && zNl - (z + i + 1) < 64) {
        char zRule[64];
        size_t nRule = (size_t)(zNl - (z + i + 1));
        memcpy(zRule, z + i + 1, nRule);
        zRule[nRule] = 0;
        if (strlen(zRule) == nRule) {
          parse_rule(p, zRule);
        }
      }
    }
    *ppZone = p;
    return 0;
  }
  return E_INVALID;
}

/* "+HH:MM" or "-HH:MM" (up to 14:00) into seconds east; -1 if not one. */
static int fixed_offset(const char *z, int32_t *pOff) {
  if ((z[0] != '+' && z[0] != '-') || strlen(z) != 6 || z[3] != ':' ||
      !isdigit((unsigned char)z[1]) || !isdigit((unsigned char)z[2]) ||
      !isdigit((unsigned char)z[4]) || !isdigit((unsigned char)z[5])) {
    return -1;
  }
  int h = (z[1] - '0') * 10 + (z[2] - '0');
  int m = (z[4] - '0') * 10 + (z[5] - '0');
  if (m > 59 || h * 60 + m > 14 * 60) {
    return -1;
  }
  *pOff = (z[0] == '-' ? -1 : 1) * (h * 3600 + m * 60);
  return 0;
}

int tz_name_ok(const char *zName) {
  int32_t off;
  size_t n = zName ? strlen(zName) : 0;
  if (n == 0 || n > 64 || zName[0] == '/' || zName[0] == '.' ||
      zName[n - 1] == '/' || strstr(zName, "..") || strstr(zName, "//")) {
    return 0;
  }
  if (zName[0] == '+' || (zName[0] == '-' && n == 6)) {
    return fixed_offset(zName, &off) == 0;
  }
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)zName[i];
    if (!isalnum(c) && c != '/' && c != '_' && c != '-' && c != '+') {
      return 0;
    }
  }
  return 1;
}

int tz_load(const char *zName, TzZone **ppZone) {
  *ppZone = NULL;
  if (!tz_name_ok(zName)) {
    return E_INVALID;
  }
  int32_t off = 0;
  if (strcmp(zName, "UTC") == 0 || strcmp(zName, "Z") == 0 ||
      fixed_offset(zName, &off) == 0) {
    TzZone *p = xcalloc(1, sizeof(*p));
    p->offBefore = off;
    int a = off < 0 ? -off : off;
    if (off == 0) {
      snprintf(p->zAbbrBefore, sizeof(TzAbbr), "UTC");
    } else {
      /* "+0530", numeric like the tz database's own "+03". */
      int h = a / 3600 % 100, m = a / 60 % 60;
      p->zAbbrBefore[0] = off < 0 ? '-' : '+';
      p->zAbbrBefore[1] = (char)('0' + h / 10);
      p->zAbbrBefore[2] = (char)('0' + h % 10);
      p->zAbbrBefore[3] = (char)('0' + m / 10);
      p->zAbbrBefore[4] = (char)('0' + m % 10);
      p->zAbbrBefore[5] = 0;
    }
    *ppZone = p;
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
  char *z = xmalloc(TZ_MAX_FILE + 1);
  size_t nRead = fread(z, 1, TZ_MAX_FILE + 1, f);
  int bErr = ferror(f);
  fclose(f);
  int rc = bErr || nRead > TZ_MAX_FILE ? E_INVALID
                                       : tz_parse(z, nRead, ppZone);
  free(z);
  return rc;
}

/* UTC seconds of the rule date d in year y, given the local offset off
** in force just before it. */
static int64_t rule_instant(int64_t y, const TzRuleDate *d, int32_t off) {
  static const int aDays[] = {31, 28, 31, 30, 31, 30,
                              31, 31, 30, 31, 30, 31};
  int64_t day1 = utc_days_from_civil(y, (unsigned)d->m, 1);
  /* 1970-01-01 was a Thursday (4). */
  int64_t wd1 = ((day1 % 7) + 7 + 4) % 7;
  int64_t day = day1 + ((d->d - wd1) + 7) % 7 + 7 * (d->w - 1);
  int nDays = aDays[d->m - 1] +
              (d->m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
  while (day >= day1 + nDays) {
    day -= 7; /* week 5: the last one */
  }
  return day * 86400 + d->secs - off;
}

/* The footer rule's offset at UTC second t. */
static int32_t rule_offset(const TzZone *p, int64_t t) {
  if (!p->bRuleDst) {
    return p->stdOff;
  }
  char zDate[25];
  utc_format((t + p->stdOff) * 1000, zDate);
  int64_t y = (zDate[0] - '0') * 1000 + (zDate[1] - '0') * 100 +
              (zDate[2] - '0') * 10 + (zDate[3] - '0');
  int64_t tStart = rule_instant(y, &p->start, p->stdOff);
  int64_t tEnd = rule_instant(y, &p->end, p->dstOff);
  int bDst = tStart < tEnd ? (t >= tStart && t < tEnd)
                           : (t >= tStart || t < tEnd);
  return bDst ? p->dstOff : p->stdOff;
}

/* The footer rule's abbreviation at UTC second t. */
static const char *rule_abbr(const TzZone *p, int64_t t) {
  return p->bRuleDst && rule_offset(p, t) == p->dstOff ? p->zDst : p->zStd;
}

int32_t tz_offset_abbr(const TzZone *p, int64_t utcMs, char zAbbr[8]) {
  int64_t t = utcMs >= 0 ? utcMs / 1000 : -((-utcMs + 999) / 1000);
  int32_t off;
  const char *zName;
  if (p->nTrans == 0 || t < p->aTrans[0]) {
    int bRule = p->nTrans == 0 && p->bRule;
    off = bRule ? rule_offset(p, t) : p->offBefore;
    zName = bRule ? rule_abbr(p, t) : p->zAbbrBefore;
  } else if (t >= p->aTrans[p->nTrans - 1]) {
    off = p->bRule ? rule_offset(p, t) : p->aOff[p->nTrans - 1];
    zName = p->bRule ? rule_abbr(p, t) : p->aAbbr[p->nTrans - 1];
  } else {
    int lo = 0, hi = p->nTrans - 1; /* aTrans[lo] <= t < aTrans[hi] */
    while (hi - lo > 1) {
      int mid = lo + (hi - lo) / 2;
      if (p->aTrans[mid] <= t) {
        lo = mid;
      } else {
        hi = mid;
      }
    }
    off = p->aOff[lo];
    zName = p->aAbbr[lo];
  }
  if (zAbbr) {
    snprintf(zAbbr, sizeof(TzAbbr), "%s", zName);
  }
  return off;
}

int32_t tz_offset_at(const TzZone *p, int64_t utcMs) {
  return tz_offset_abbr(p, utcMs, NULL);
}

static pthread_mutex_t sharedMu = PTHREAD_MUTEX_INITIALIZER;
static struct {
  char zName[65];
  TzZone *pZone;
} aShared[TZ_MAX_SHARED]; /* guarded by sharedMu; zones never freed */
static int nShared;

const TzZone *tz_shared(const char *zName, int *pRc) {
  *pRc = 0;
  if (!tz_name_ok(zName)) {
    *pRc = E_INVALID;
    return NULL;
  }
  pthread_mutex_lock(&sharedMu);
  for (int i = 0; i < nShared; i++) {
    if (strcmp(aShared[i].zName, zName) == 0) {
      TzZone *p = aShared[i].pZone;
      pthread_mutex_unlock(&sharedMu);
      return p;
    }
  }
  TzZone *p = NULL;
  *pRc = nShared < TZ_MAX_SHARED ? tz_load(zName, &p) : E_INVALID;
  if (p) {
    snprintf(aShared[nShared].zName, sizeof(aShared[0].zName), "%s", zName);
    aShared[nShared++].pZone = p;
  }
  pthread_mutex_unlock(&sharedMu);
  return p;
}

int64_t tz_local_to_utc(const TzZone *p, int64_t localMs) {
  /* Offsets change at most once within two days: the ones in force a day
  ** either side are the only candidates. */
  int32_t oBefore = tz_offset_at(p, localMs - 86400000);
  int32_t oAfter = tz_offset_at(p, localMs + 86400000);
  int64_t tBefore = localMs - (int64_t)oBefore * 1000;
  int64_t tAfter = localMs - (int64_t)oAfter * 1000;
  int bBefore = tz_offset_at(p, tBefore) == oBefore;
  int bAfter = tz_offset_at(p, tAfter) == oAfter;
  if (bBefore && bAfter) {
    return tBefore < tAfter ? tBefore : tAfter; /* the first occurrence */
  }
  if (bAfter && !bBefore) {
    return tAfter;
  }
  return tBefore; /* valid, or in a gap: the offset before the change */
}
