/*
** ingest_access.c: the "nginx" and "apache" formats: access logs in the
** combined and common formats, one request a line.
**
** The core is found around the time field rather than from the start of
** the line, so prefixes (X-Forwarded-For lists, vhosts) and extra trailing
** fields do not matter:
**   ... CLIENT IDENT USER [dd/Mon/yyyy:hh:mm:ss +zzzz] "REQUEST" STATUS BYTES
**   [ "REFERER" "USER-AGENT" ...]
** CLIENT is the token three before the time ($remote_addr / %h: an IPv4 or
** unbracketed IPv6 address, or a host name). Quoted fields may contain
** Apache's \" and \\ escapes. BYTES may be "-". The request may be "", "-"
** or garbage: then zMethod and zPath are NULL.
**
** Level: error for 5xx, warning for 4xx, info otherwise. Title:
** "GET /checkout 502". Pure; no state between lines.
*/
#include <ctype.h>
#include <stdint.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "ingest_formats.h"
#include "utc.h"

#define CLF_TIME_LEN 26 /* "10/Oct/2023:13:55:36 -0700" */

/* Finds "[time]" and parses it. Sets *piOpen to the '['. 0; -1 when there
** is no time field; -2 when one is there but impossible. */
static int find_time(const char *z, size_t n, size_t *piOpen, int64_t *pMs) {
  const char *zAt = z;
  int rc = -1;
  while ((zAt = memchr(zAt, '[', n - (size_t)(zAt - z))) != NULL) {
    size_t i = (size_t)(zAt - z);
    if (n - i >= CLF_TIME_LEN + 2 && zAt[3] == '/' && zAt[7] == '/' &&
        zAt[12] == ':' && zAt[CLF_TIME_LEN + 1] == ']') {
      if (utc_parse_clf(zAt + 1, CLF_TIME_LEN, pMs) == 0) {
        *piOpen = i;
        return 0;
      }
      rc = -2;
    }
    zAt++;
  }
  return rc;
}

/* Reads a quoted field at z[*pi] (which must be '"'), decoding \" and \\
** into pOut. 0, or -1 when unterminated. */
static int read_quoted(const char *z, size_t n, size_t *pi, Buf *pOut) {
  size_t i = *pi + 1;
  size_t iRun = i;
  while (i < n) {
    if (z[i] == '"') {
      buf_append(pOut, z + iRun, i - iRun);
      *pi = i + 1;
      return 0;
    }
    if (z[i] == '\\' && i + 1 < n && (z[i + 1] == '"' || z[i + 1] == '\\')) {
      buf_append(pOut, z + iRun, i - iRun);
      buf_putc(pOut, z[i + 1]);
      i += 2;
      iRun = i;
      continue;
    }
    i++;
  }
  return -1;
}

/* Parses one access-log line for either format. */
static int parse_access(IngestParser *p, const char *z, size_t n,
                        int64_t iLine) {
  IngestEvent ev = {0};
  Arena *pA = ingest_arena(p);
  Buf req;
  size_t iOpen = 0;
  int rc = 0;
  buf_init(&req, INGEST_MAX_LINE);
  if (!z) {
    goto cleanup;
  }
  while (n > 0 && (z[n - 1] == ' ' || z[n - 1] == '\t')) {
    n--;
  }
  if (n == 0) {
    goto cleanup;
  }
  int rcTime = find_time(z, n, &iOpen, &ev.ts);
  if (rcTime == -2) {
    ingest_reject(p, iLine, "invalid time in [time_local]");
    goto cleanup;
  } else if (rcTime) {
    ingest_reject(p, iLine, "no [time_local] field");
    goto cleanup;
  }
  /* CLIENT IDENT USER: the last three tokens before the '['. */
  size_t aStart[3] = {0}, aLen[3] = {0};
  size_t j = iOpen;
  int k;
  for (k = 2; k >= 0; k--) {
    while (j > 0 && z[j - 1] == ' ') {
      j--;
    }
    size_t iEnd = j;
    while (j > 0 && z[j - 1] != ' ') {
      j--;
    }
    if (j == iEnd) {
      break;
    }
    aStart[k] = j;
    aLen[k] = iEnd - j;
  }
  if (k >= 0) {
    ingest_reject(p, iLine, "expected client, ident and user before the time");
    goto cleanup;
  }
  size_t i = iOpen + CLF_TIME_LEN + 2;
  if (n - i < 2 || z[i] != ' ' || z[i + 1] != '"') {
    ingest_reject(p, iLine, "expected a quoted request after the time");
    goto cleanup;
  }
  i++;
  if (read_quoted(z, n, &i, &req)) {
    ingest_reject(p, iLine, "unterminated quoted request");
    goto cleanup;
  }
  if (n - i < 5 || z[i] != ' ' || !isdigit((unsigned char)z[i + 1]) ||
      !isdigit((unsigned char)z[i + 2]) || !isdigit((unsigned char)z[i + 3]) ||
      (i + 4 < n && z[i + 4] != ' ')) {
    ingest_reject(p, iLine, "expected a three-digit status");
    goto cleanup;
  }
  ev.status = (z[i + 1] - '0') * 100 + (z[i + 2] - '0') * 10 + (z[i + 3] - '0');
  i += 4;
  if (i >= n || z[i] != ' ') {
    ingest_reject(p, iLine, "expected a byte count");
    goto cleanup;
  }
  i++;
  if (z[i] == '-' && (i + 1 == n || z[i + 1] == ' ')) {
    ev.bytes = 0;
  } else {
    size_t iDigits = i;
    int64_t v = 0;
    while (i < n && isdigit((unsigned char)z[i])) {
      if (v > (INT64_MAX - 9) / 10) {
        break;
      }
      v = v * 10 + (z[i] - '0');
      i++;
    }
    if (i == iDigits || (i < n && z[i] != ' ')) {
      ingest_reject(p, iLine, "expected a byte count");
      goto cleanup;
    }
    ev.bytes = v;
  }
  if (buf_err(&req)) {
    ingest_reject(p, iLine, "request too long");
    goto cleanup;
  }
  /* The rest (referer, user agent, extra fields) stays in zRaw. */
  const char *zReq = buf_str(&req);
  const char *zSp1 = strchr(zReq, ' ');
  int bMethod = zSp1 && zSp1 > zReq && zSp1 - zReq <= 20;
  for (const char *zC = zReq; bMethod && zC < zSp1; zC++) {
    if (!isupper((unsigned char)*zC) && *zC != '-' && *zC != '_') {
      bMethod = 0;
    }
  }
  if (bMethod) {
    const char *zTarget = zSp1 + 1;
    size_t nTarget = strcspn(zTarget, " ");
    size_t nPath = strcspn(zTarget, "?# ");
    if (nTarget > 0) {
      ev.zMethod = arena_strndup(pA, zReq, (size_t)(zSp1 - zReq));
      ev.zPath = arena_strndup(pA, zTarget, nPath);
    }
  }
  /* "METHOD /path 503", assembled by hand: this runs for every line and
  ** printf would be a fifth of the parse. */
  char zTitle[INGEST_MAX_TITLE + 64];
  size_t nTitle = 0;
  if (ev.zMethod) {
    size_t nMethod = strlen(ev.zMethod); /* at most 20, checked above */
    size_t nPath = strlen(ev.zPath);
    nPath = nPath > INGEST_MAX_TITLE ? INGEST_MAX_TITLE : nPath;
    memcpy(zTitle, ev.zMethod, nMethod);
    zTitle[nMethod] = ' ';
    memcpy(zTitle + nMethod + 1, ev.zPath, nPath);
    nTitle = nMethod + 1 + nPath;
  } else {
    const char *zWhat = zReq[0] == 0 || strcmp(zReq, "-") == 0
                            ? "(no request)"
                            : "(bad request)";
    nTitle = strlen(zWhat);
    memcpy(zTitle, zWhat, nTitle);
  }
  char aDigit[12];
  int nDigit = 0;
  int64_t v = ev.status < 0 ? 0 : ev.status; /* parsed as digits above */
  do {
    aDigit[nDigit++] = (char)('0' + v % 10);
    v /= 10;
  } while (v > 0 && nDigit < 11);
  zTitle[nTitle++] = ' ';
  while (nDigit > 0) {
    zTitle[nTitle++] = aDigit[--nDigit];
  }
  ev.zTitle = arena_strndup(pA, zTitle, nTitle);
  ev.zClient = arena_strndup(pA, z + aStart[0], aLen[0]);
  ev.endTs = INT64_MIN;
  ev.zKind = "log";
  ev.zLevel = ev.status >= 500 ? "error" : ev.status >= 400 ? "warning"
                                                           : "info";
  ev.zSource = ingest_options(p)->zSource ? NULL : ingest_format_name(p);
  rc = ingest_emit(p, &ev);
cleanup:
  buf_free(&req);
  return rc;
}

int ingest_nginx_line(IngestParser *p, const char *z, size_t n,
                      int64_t iLine) {
  return parse_access(p, z, n, iLine);
}

int ingest_apache_line(IngestParser *p, const char *z, size_t n,
                       int64_t iLine) {
  return parse_access(p, z, n, iLine);
}
