/*
** ingest_logfmt.c: the "logfmt" format: one line of key=value pairs
** (go-kit, logrus's text formatter, Heroku, Grafana Loki/Promtail).
**
** Grammar, as go-logfmt decodes it: pairs are separated by blanks; a key
** is a run of bytes above space other than '=' and '"'; a key alone (no
** '=') or "key=" has an empty value; a value is either bare (bytes above
** space, no '=' or '"') or a double-quoted string with JSON escapes (\" \\
** \/ \b \f \n \r \t \uXXXX). Anything else (a quote in a key or a bare
** value, "=value" with no key, an unterminated string, a bad escape) is
** rejected with the column where it went wrong, since guessing what a
** broken line meant would put wrong fields on the timeline.
**
** Time from the first of ts, time, timestamp (RFC 3339, or epoch
** seconds/ms/us/ns as digits); level from level, lvl, severity; message
** from msg, message; source from source, app, service; component from
** component. A key given twice keeps its first value. A line without a
** message has the whole line as its title. Pure; no state between lines.
*/
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "err.h"
#include "ingest_formats.h"
#include "input.h"

/* The fields we map, by role. */
enum { F_TIME, F_LEVEL, F_MSG, F_SOURCE, F_COMPONENT, F_COUNT };

/* Keys per role, in order of preference (lower index wins). */
static const char *const aazKey[F_COUNT][4] = {
    {"ts", "time", "timestamp", NULL},
    {"level", "lvl", "severity", NULL},
    {"msg", "message", NULL, NULL},
    {"source", "app", "service", NULL},
    {"component", NULL, NULL, NULL},
};

/* The role and rank of key z[0..n), or -1. */
static int key_role(const char *z, size_t n, int *pRank) {
  for (int r = 0; r < F_COUNT; r++) {
    for (int k = 0; aazKey[r][k]; k++) {
      if (strlen(aazKey[r][k]) == n && memcmp(aazKey[r][k], z, n) == 0) {
        *pRank = k;
        return r;
      }
    }
  }
  return -1;
}

/* Value of four hex digits at z, or -1. */
static long hex4(const char *z, size_t nLeft) {
  long v = 0;
  if (nLeft < 4) {
    return -1;
  }
  for (int i = 0; i < 4; i++) {
    int c = (unsigned char)z[i];
    v <<= 4;
    if (c >= '0' && c <= '9') {
      v |= c - '0';
    } else if (c >= 'a' && c <= 'f') {
      v |= c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      v |= c - 'A' + 10;
    } else {
      return -1;
    }
  }
  return v;
}

/* Appends code point u as UTF-8. */
static void put_utf8(Buf *b, long u) {
  char a[4];
  if (u < 0x80) {
    a[0] = (char)u;
    buf_append(b, a, 1);
  } else if (u < 0x800) {
    a[0] = (char)(0xc0 | (u >> 6));
    a[1] = (char)(0x80 | (u & 0x3f));
    buf_append(b, a, 2);
  } else if (u < 0x10000) {
    a[0] = (char)(0xe0 | (u >> 12));
    a[1] = (char)(0x80 | ((u >> 6) & 0x3f));
    a[2] = (char)(0x80 | (u & 0x3f));
    buf_append(b, a, 3);
  } else {
    a[0] = (char)(0xf0 | (u >> 18));
    a[1] = (char)(0x80 | ((u >> 12) & 0x3f));
    a[2] = (char)(0x80 | ((u >> 6) & 0x3f));
    a[3] = (char)(0x80 | (u & 0x3f));
    buf_append(b, a, 4);
  }
}

/* Decodes the quoted string at z[*pi] (just after the opening quote) into
** pOut. NULL, or a static reason (and *pi at the bad byte, or at the
** opening quote of an unterminated string). */
static const char *quoted(const char *z, size_t n, size_t *pi, Buf *pOut) {
  size_t i = *pi;
  for (;;) {
    if (i >= n) {
      *pi -= 1; /* at the opening quote */
      return "unterminated quoted value";
    }
    char c = z[i];
    if (c == '"') {
      *pi = i + 1;
      return NULL;
    }
    if (c != '\\') {
      buf_putc(pOut, c);
      i++;
      continue;
    }
    if (i + 1 >= n) {
      *pi -= 1;
      return "unterminated quoted value";
    }
    char e = z[i + 1];
    const char *zMap = strchr("\"\\/bfnrt", e);
    if (e && zMap) {
      static const char aTo[] = "\"\\/\b\f\n\r\t";
      buf_putc(pOut, aTo[zMap - "\"\\/bfnrt"]);
      i += 2;
      continue;
    }
    if (e != 'u') {
      *pi = i;
      return "invalid escape in quoted value";
    }
    long u = hex4(z + i + 2, n - i - 2);
    i += 6;
    if (u >= 0xd800 && u < 0xdc00 && i + 1 < n && z[i] == '\\' &&
        z[i + 1] == 'u') {
      long lo = hex4(z + i + 2, n - i - 2);
      if (lo >= 0xdc00 && lo < 0xe000) {
        u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
        i += 6;
      }
    }
    if (u <= 0 || (u >= 0xd800 && u < 0xe000)) {
      *pi = i - 6;
      return "invalid \\u escape in quoted value";
    }
    put_utf8(pOut, u);
  }
}

int ingest_logfmt_line(IngestParser *p, const char *z, size_t n,
                       int64_t iLine) {
  Arena *pA = ingest_arena(p);
  const char *azVal[F_COUNT] = {0};
  int aRank[F_COUNT];
  IngestEvent ev = {0};
  Buf val;
  int rc = 0;
  if (!z || strspn(z, " \t") == n) {
    return 0;
  }
  buf_init(&val, INGEST_MAX_LINE);
  for (int r = 0; r < F_COUNT; r++) {
    aRank[r] = 99;
  }
  size_t i = 0;
  for (;;) {
    while (i < n && (unsigned char)z[i] <= ' ') {
      i++;
    }
    if (i >= n) {
      break;
    }
    size_t iKey = i;
    while (i < n && (unsigned char)z[i] > ' ' && z[i] != '=' &&
           z[i] != '"') {
      i++;
    }
    if (i < n && z[i] == '"') {
      ingest_reject(p, iLine, "unexpected '\"' in a key at column %zu",
                    i + 1);
      goto cleanup;
    }
    if (i == iKey) {
      ingest_reject(p, iLine, "'=' without a key at column %zu", i + 1);
      goto cleanup;
    }
    size_t nKey = i - iKey;
    buf_reset(&val);
    if (i < n && z[i] == '=') {
      i++;
      if (i < n && z[i] == '"') {
        i++;
        const char *zWhy = quoted(z, n, &i, &val);
        if (zWhy) {
          ingest_reject(p, iLine, "%s at column %zu", zWhy, i + 1);
          goto cleanup;
        }
        if (i < n && (unsigned char)z[i] > ' ') {
          ingest_reject(p, iLine,
                        "unexpected byte after a quoted value at column %zu",
                        i + 1);
          goto cleanup;
        }
      } else {
        size_t iVal = i;
        while (i < n && (unsigned char)z[i] > ' ' && z[i] != '=' &&
               z[i] != '"') {
          i++;
        }
        if (i < n && (z[i] == '=' || z[i] == '"')) {
          ingest_reject(p, iLine, "unexpected '%c' in a value at column %zu",
                        z[i], i + 1);
          goto cleanup;
        }
        buf_append(&val, z + iVal, i - iVal);
      }
    }
    int iRank;
    int iRole = key_role(z + iKey, nKey, &iRank);
    if (iRole >= 0 && iRank < aRank[iRole] && val.n > 0) {
      aRank[iRole] = iRank;
      azVal[iRole] = arena_strndup(pA, buf_str(&val), val.n);
    }
  }
  if (buf_err(&val)) {
    ingest_reject(p, iLine, "value too long");
    goto cleanup;
  }
  const char *zTime = azVal[F_TIME];
  if (!zTime) {
    ingest_reject(p, iLine, "no time field (ts, time or timestamp)");
    goto cleanup;
  }
  size_t nTime = strlen(zTime);
  int bDigits = nTime > 0 && nTime <= 19 && strspn(zTime, "0123456789") == nTime;
  int bBad = bDigits ? ingest_epoch_ms(strtod(zTime, NULL), &ev.ts) != 0
                     : ingest_parse_time(p, zTime, nTime, &ev.ts) != 0;
  if (bBad) {
    ingest_reject(p, iLine, "invalid time \"%.40s\"", zTime);
    goto cleanup;
  }
  ev.endTs = INT64_MIN;
  ev.zKind = "log";
  ev.zLevel = ingest_level(azVal[F_LEVEL], "info");
  ev.zSource = azVal[F_SOURCE];
  ev.zComponent = azVal[F_COMPONENT];
  if (azVal[F_MSG] && !utf8_valid(azVal[F_MSG], strlen(azVal[F_MSG]))) {
    ingest_reject(p, iLine, "invalid UTF-8 in message");
    goto cleanup;
  }
  ev.zTitle = azVal[F_MSG] ? azVal[F_MSG] : arena_strndup(pA, z, n);
  ev.zBody = ev.zTitle;
  rc = ingest_emit(p, &ev);
cleanup:
  buf_free(&val);
  return rc;
}
