/*
** ingest.c: the ingest framework: the format table, the streaming line
** splitter and document buffer, event normalisation, and helpers shared by
** the per-format parsers in ingest_<fmt>.c.
**
** Lines: split on \n, a trailing \r is dropped, at most INGEST_MAX_LINE
** bytes each (the rest of a longer line is skipped without being buffered),
** numbered from 1. A line with a NUL byte or invalid UTF-8 is rejected
** before the format sees it. A UTF-8 BOM at the start of the input is
** skipped. Whole-JSON formats are buffered up to INGEST_MAX_DOC and parsed
** at ingest_parser_finish(). So memory stays flat whatever the input size,
** and the events do not depend on how the input was cut into chunks.
**
** Does not: store, deduplicate, condense or redact (ingest_store.c,
** redact.c). No globals that change; one parser per thread.
*/
#include "ingest.h"

#include <assert.h>
#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "buf.h"
#include "err.h"
#include "ingest_formats.h"
#include "input.h"
#include "sha256.h"
#include "utc.h"

/* One input format: either line-based (xLine) or a whole document (xDoc). */
typedef struct IngestFormat {
  const char *zName;             /* as in azIngestFormat */
  IngestLineFn xLine;            /* line formats: one call per line */
  IngestDocFn xDoc;              /* document formats: one call at the end */
  IngestEndFn xEnd;              /* line formats: end of input, or NULL */
  void (*xFreeState)(void *);    /* frees *ingest_state(), or NULL */
} IngestFormat;

static const IngestFormat aFormat[] = {
    {"syslog", ingest_syslog_line, NULL, NULL, NULL},
    {"nginx", ingest_nginx_line, NULL, NULL, NULL},
    {"apache", ingest_apache_line, NULL, NULL, NULL},
    {"jsonl", ingest_jsonl_line, NULL, NULL, NULL},
    {"journal", ingest_journal_line, NULL, NULL, NULL},
    {"alertmanager", NULL, ingest_alertmanager_doc, NULL, NULL},
    {"grafana", NULL, ingest_grafana_doc, NULL, NULL},
    {"tickets-csv", ingest_csv_line, NULL, ingest_csv_end, ingest_csv_free},
    {"zendesk", NULL, ingest_zendesk_doc, NULL, NULL},
    {"logfmt", ingest_logfmt_line, NULL, NULL, NULL},
    {"haproxy", ingest_haproxy_line, NULL, NULL, NULL},
    {"alb", ingest_alb_line, NULL, NULL, NULL},
    {"vpc-flow", ingest_vpc_line, NULL, ingest_vpc_end, ingest_vpc_free},
};

const char *const azIngestFormat[] = {
    "syslog",  "nginx",       "apache",  "jsonl", "journal", "alertmanager",
    "grafana", "tickets-csv", "zendesk", "logfmt",
    "haproxy", "alb",   "vpc-flow", NULL};

_Static_assert(sizeof(aFormat) / sizeof(aFormat[0]) + 1 ==
                   sizeof(azIngestFormat) / sizeof(azIngestFormat[0]),
               "aFormat and azIngestFormat must list the same formats");

struct IngestParser {
  const IngestFormat *pFmt; /* the format */
  IngestOptions opt;        /* copy of the options; zSource BORROWED */
  IngestEmit xEmit;         /* event callback */
  IngestReject xReject;     /* rejection callback */
  void *pArg;               /* first argument of both callbacks */
  Buf line;                 /* the line being collected (line formats) or
                               the document (document formats) */
  int64_t iLine;            /* number of the line being collected */
  int bSkip;                /* 1 while skipping the rest of a long line,
                               or (documents) a document over the cap */
  int bStop;                /* 1 once xEmit asked to stop */
  int bCrlf;                /* the current line ended with \r\n */
  int bBomChecked;          /* the start of the input has been looked at */
  const char *zCurLine;     /* the current line, for zRaw; or NULL */
  int64_t iCurLine;         /* its number (1 for documents) */
  Arena scratch;            /* per line or document, for formats */
  Arena emitArena;          /* per event, for normalised strings */
  void *pState;             /* the format's own state, or NULL */
  size_t nPeak;             /* most bytes ever held in line */
};

IngestParser *ingest_parser_new(const char *zFormat, const IngestOptions *pOpt,
                                IngestEmit xEmit, IngestReject xReject,
                                void *pArg) {
  const IngestFormat *pFmt = NULL;
  if (!zFormat) {
    return NULL;
  }
  for (size_t i = 0; i < sizeof(aFormat) / sizeof(aFormat[0]); i++) {
    if (strcmp(aFormat[i].zName, zFormat) == 0) {
      pFmt = &aFormat[i];
    }
  }
  if (!pFmt) {
    return NULL;
  }
  IngestParser *p = xcalloc(1, sizeof(*p));
  p->pFmt = pFmt;
  if (pOpt) {
    p->opt = *pOpt;
  }
  if (p->opt.nowMs == 0) {
    p->opt.nowMs = utc_now_ms();
  }
  p->xEmit = xEmit;
  p->xReject = xReject;
  p->pArg = pArg;
  /* One byte over the cap so a line of exactly INGEST_MAX_LINE bytes can
  ** still carry its \r until the \n shows up. */
  buf_init(&p->line, pFmt->xDoc ? INGEST_MAX_DOC : INGEST_MAX_LINE + 1);
  p->iLine = 1;
  return p;
}

void ingest_parser_free(IngestParser *p) {
  if (!p) {
    return;
  }
  if (p->pFmt->xFreeState) {
    p->pFmt->xFreeState(p->pState);
  }
  arena_free(&p->emitArena);
  arena_free(&p->scratch);
  buf_free(&p->line);
  free(p);
}

size_t ingest_parser_peak(const IngestParser *p) { return p->nPeak; }

void ingest_reject(IngestParser *p, int64_t iLine, const char *zFmt, ...) {
  char zReason[256];
  va_list ap;
  va_start(ap, zFmt);
  vsnprintf(zReason, sizeof(zReason), zFmt, ap);
  va_end(ap);
  /* vsnprintf may cut a multi-byte character in half. */
  size_t n = strlen(zReason);
  while (n > 0 && !utf8_valid(zReason, n)) {
    n--;
  }
  zReason[n] = 0;
  if (p->xReject) {
    p->xReject(p->pArg, iLine, zReason);
  }
}

const IngestOptions *ingest_options(const IngestParser *p) { return &p->opt; }
Arena *ingest_arena(IngestParser *p) { return &p->scratch; }
void **ingest_state(IngestParser *p) { return &p->pState; }
int ingest_line_crlf(const IngestParser *p) { return p->bCrlf; }
const char *ingest_format_name(const IngestParser *p) {
  return p->pFmt->zName;
}

/* Copies z[0..n) into the arena with control characters replaced by
** spaces (\t and, when bKeepNl, \n kept), cut to at most nMax bytes at a
** character boundary, leading and trailing blanks trimmed when bTrim. */
static const char *clean_text(Arena *pA, const char *z, size_t n, size_t nMax,
                              int bKeepNl, int bTrim) {
  if (n > nMax) {
    n = nMax;
    /* Step back over continuation bytes to a character start. */
    while (n > 0 && ((unsigned char)z[n] & 0xc0) == 0x80) {
      n--;
    }
  }
  char *zOut = arena_strndup(pA, z, n);
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)zOut[i];
    if ((c < 0x20 && c != '\t' && !(bKeepNl && c == '\n')) || c == 0x7f) {
      zOut[i] = ' ';
    }
  }
  if (bTrim) {
    while (n > 0 && (zOut[n - 1] == ' ' || zOut[n - 1] == '\t')) {
      zOut[--n] = 0;
    }
    while (zOut[0] == ' ' || zOut[0] == '\t') {
      zOut++;
    }
  }
  return zOut;
}

/* A one-line field: NULL stays NULL. */
static const char *clean_field(Arena *pA, const char *z, size_t nMax) {
  if (!z) {
    return NULL;
  }
  return clean_text(pA, z, strlen(z), nMax, 0, 1);
}

int ingest_emit(IngestParser *p, IngestEvent *pEv) {
  Arena *pA = &p->emitArena;
  IngestEvent ev = *pEv;
  int rc = 0;
  if (p->bStop) {
    return 1;
  }
  if (ev.line == 0) {
    ev.line = p->iCurLine;
  }
  if (!ev.zRaw) {
    ev.zRaw = p->zCurLine;
  }
  if (!ev.zSource || !ev.zSource[0]) {
    ev.zSource = p->opt.zSource;
  }
  const char *azCheck[] = {ev.zKind,  ev.zSource, ev.zLevel,  ev.zComponent,
                           ev.zTitle, ev.zBody,   ev.zRaw,    ev.zKey,
                           ev.zState, ev.zMethod, ev.zPath,   ev.zClient};
  for (size_t i = 0; i < sizeof(azCheck) / sizeof(azCheck[0]); i++) {
    if (azCheck[i] && !utf8_valid(azCheck[i], strlen(azCheck[i]))) {
      ingest_reject(p, ev.line, "invalid UTF-8");
      goto cleanup;
    }
  }
  if (ev.ts < UTC_MIN_MS || ev.ts > UTC_MAX_MS) {
    ingest_reject(p, ev.line, "time out of range");
    goto cleanup;
  }
  if (ev.endTs != INT64_MIN && (ev.endTs < UTC_MIN_MS || ev.endTs > UTC_MAX_MS)) {
    ev.endTs = INT64_MIN;
  }
  const char *zTitle = ev.zTitle ? ev.zTitle : "";
  const char *zNl = strchr(zTitle, '\n');
  size_t nTitle = zNl ? (size_t)(zNl - zTitle) : strlen(zTitle);
  ev.zTitle = clean_text(pA, zTitle, nTitle, INGEST_MAX_TITLE, 0, 1);
  if (ev.zBody) {
    ev.zBody = clean_text(pA, ev.zBody, strlen(ev.zBody), (size_t)-1, 1, 0);
  }
  ev.zSource = clean_field(pA, ev.zSource, INGEST_MAX_TITLE);
  ev.zComponent = clean_field(pA, ev.zComponent, INGEST_MAX_TITLE);
  ev.zKey = clean_field(pA, ev.zKey, INGEST_MAX_TITLE);
  ev.zState = clean_field(pA, ev.zState, 32);
  ev.zMethod = clean_field(pA, ev.zMethod, 32);
  ev.zPath = clean_field(pA, ev.zPath, INGEST_MAX_LINE);
  ev.zClient = clean_field(pA, ev.zClient, INGEST_MAX_TITLE);
  if (!ev.zLevel) {
    ev.zLevel = "info";
  }
  if (p->xEmit && p->xEmit(p->pArg, &ev)) {
    p->bStop = 1;
    rc = 1;
  }
cleanup:
  arena_reset(pA);
  return rc;
}

/* Hands one complete line (without its \n) in p->line to the format. */
static int process_line(IngestParser *p) {
  char *z = p->line.z ? p->line.z : "";
  size_t n = p->line.n;
  int64_t iLine = p->iLine;
  int rc = 0;
  p->bCrlf = 0;
  if (n > 0 && z[n - 1] == '\r') {
    n--;
    z[n] = 0;
    p->bCrlf = 1;
  }
  if (iLine == 1 && n >= 3 && memcmp(z, "\xef\xbb\xbf", 3) == 0) {
    z += 3;
    n -= 3;
  }
  const char *zWhy = NULL;
  if (n > INGEST_MAX_LINE) {
    zWhy = "line longer than 65536 bytes";
  } else if (memchr(z, 0, n)) {
    zWhy = "NUL byte";
  } else if (!utf8_valid(z, n)) {
    zWhy = "invalid UTF-8";
  }
  if (zWhy) {
    ingest_reject(p, iLine, "%s", zWhy);
    rc = p->pFmt->xLine(p, NULL, 0, iLine);
  } else {
    p->zCurLine = z;
    p->iCurLine = iLine;
    rc = p->pFmt->xLine(p, z, n, iLine);
    p->zCurLine = NULL;
  }
  arena_reset(&p->scratch);
  return rc || p->bStop;
}

int ingest_parser_feed(IngestParser *p, const char *z, size_t n) {
  if (p->bStop) {
    return 1;
  }
  if (p->pFmt->xDoc) {
    if (p->bSkip) {
      return 0;
    }
    if (n > INGEST_MAX_DOC - p->line.n) {
      ingest_reject(p, 1, "document larger than %zu bytes", INGEST_MAX_DOC);
      p->bSkip = 1;
      buf_free(&p->line);
      return 0;
    }
    buf_append(&p->line, z, n);
    if (p->line.n > p->nPeak) {
      p->nPeak = p->line.n;
    }
    return 0;
  }
  size_t i = 0;
  while (i < n) {
    const char *zNl = memchr(z + i, '\n', n - i);
    size_t nSeg = zNl ? (size_t)(zNl - (z + i)) : n - i;
    if (!p->bSkip) {
      if (nSeg > INGEST_MAX_LINE + 1 - p->line.n) {
        ingest_reject(p, p->iLine, "line longer than 65536 bytes");
        p->bSkip = 1;
        buf_reset(&p->line);
        if (p->pFmt->xLine(p, NULL, 0, p->iLine) || p->bStop) {
          p->bStop = 1;
          return 1;
        }
      } else {
        buf_append(&p->line, z + i, nSeg);
        if (p->line.n > p->nPeak) {
          p->nPeak = p->line.n;
        }
      }
    }
    i += nSeg;
    if (zNl) {
      i++;
      int rc = 0;
      if (!p->bSkip) {
        rc = process_line(p);
      }
      p->bSkip = 0;
      buf_reset(&p->line);
      p->iLine++;
      if (rc) {
        p->bStop = 1;
        return 1;
      }
    }
  }
  return 0;
}

int ingest_parser_finish(IngestParser *p) {
  int rc = 0;
  if (p->bStop) {
    return 1;
  }
  if (p->pFmt->xDoc) {
    if (!p->bSkip) {
      const char *z = p->line.z ? p->line.z : "";
      size_t n = p->line.n;
      if (n >= 3 && memcmp(z, "\xef\xbb\xbf", 3) == 0) {
        z += 3;
        n -= 3;
      }
      p->iCurLine = 1;
      rc = p->pFmt->xDoc(p, z, n);
      arena_free(&p->scratch);
    }
    buf_free(&p->line);
    p->bSkip = 1;
  } else {
    if (!p->bSkip && p->line.n > 0) {
      rc = process_line(p);
    }
    buf_reset(&p->line);
    p->bSkip = 0;
    if (!rc && p->pFmt->xEnd) {
      rc = p->pFmt->xEnd(p);
      arena_free(&p->scratch);
    }
  }
  if (rc || p->bStop) {
    p->bStop = 1;
    return 1;
  }
  return 0;
}

int ingest_parse_tz(const char *z, int *pOffsetMin) {
  if (!z) {
    return E_INVALID;
  }
  if (strcasecmp(z, "UTC") == 0 || strcasecmp(z, "Z") == 0 ||
      strcasecmp(z, "GMT") == 0) {
    *pOffsetMin = 0;
    return 0;
  }
  size_t n = strlen(z);
  if ((z[0] != '+' && z[0] != '-') || (n != 3 && n != 5 && n != 6)) {
    return E_INVALID;
  }
  int h, m = 0;
  if (!isdigit((unsigned char)z[1]) || !isdigit((unsigned char)z[2])) {
    return E_INVALID;
  }
  h = (z[1] - '0') * 10 + (z[2] - '0');
  if (n > 3) {
    const char *zM = z + 3;
    if (n == 6) {
      if (z[3] != ':') {
        return E_INVALID;
      }
      zM++;
    }
    if (!isdigit((unsigned char)zM[0]) || !isdigit((unsigned char)zM[1])) {
      return E_INVALID;
    }
    m = (zM[0] - '0') * 10 + (zM[1] - '0');
  }
  /* Real zones lie within -12:00..+14:00; allow up to 18 hours like most
  ** libraries, and no more. */
  if (m > 59 || h * 60 + m > 18 * 60) {
    return E_INVALID;
  }
  *pOffsetMin = (z[0] == '-' ? -1 : 1) * (h * 60 + m);
  return 0;
}

int ingest_options_tz(IngestOptions *pOpt, const char *z) {
  pOpt->pZone = NULL;
  if (ingest_parse_tz(z, &pOpt->tzOffsetMin) == 0) {
    return 0;
  }
  pOpt->tzOffsetMin = 0;
  return tz_load(z, &pOpt->pZone);
}

/* ---- Helpers shared by the formats. ---- */

int64_t ingest_local_to_utc(const IngestParser *p, int64_t localMs) {
  if (p->opt.pZone) {
    return tz_local_to_utc(p->opt.pZone, localMs);
  }
  return localMs - (int64_t)p->opt.tzOffsetMin * 60000;
}

int64_t ingest_utc_to_local(const IngestParser *p, int64_t utcMs) {
  if (p->opt.pZone) {
    return utcMs + (int64_t)tz_offset_at(p->opt.pZone, utcMs) * 1000;
  }
  return utcMs + (int64_t)p->opt.tzOffsetMin * 60000;
}

int ingest_parse_time(const IngestParser *p, const char *z, size_t n,
                      int64_t *pMs) {
  int64_t ms;
  if (utc_parse_iso(z, n, &ms)) {
    return E_INVALID;
  }
  /* Zoneless: a date-time with no Z and no offset after the seconds. */
  int bZone = n <= 10;
  for (size_t i = 19; i < n; i++) {
    if (z[i] == 'Z' || z[i] == 'z' || z[i] == '+' || z[i] == '-') {
      bZone = 1;
    }
  }
  if (!bZone) {
    ms = ingest_local_to_utc(p, ms);
    if (ms < UTC_MIN_MS || ms > UTC_MAX_MS) {
      return E_INVALID;
    }
  }
  *pMs = ms;
  return 0;
}

int ingest_epoch_ms(double r, int64_t *pMs) {
  if (!isfinite(r)) {
    return E_INVALID;
  }
  double a = fabs(r);
  /* Seconds up to 1e11 (year 5138), then ms, us, ns by magnitude. */
  if (a < 1e11) {
    r *= 1000.0;
  } else if (a >= 1e17) {
    r /= 1e6;
  } else if (a >= 1e14) {
    r /= 1e3;
  }
  r = floor(r);
  if (r < (double)UTC_MIN_MS || r > (double)UTC_MAX_MS) {
    return E_INVALID;
  }
  *pMs = (int64_t)r;
  return 0;
}

/* The same for an exact integer (no double rounding for ns values). */
static int epoch_int_ms(int64_t v, int64_t *pMs) {
  int64_t a = v < 0 ? -(v + 1) : v; /* no overflow at INT64_MIN */
  int64_t ms;
  if (a < INT64_C(100000000000)) {
    ms = v * 1000;
  } else if (a < INT64_C(100000000000000)) {
    ms = v;
  } else if (a < INT64_C(100000000000000000)) {
    ms = v / 1000 - (v % 1000 < 0);
  } else {
    ms = v / 1000000 - (v % 1000000 < 0);
  }
  if (ms < UTC_MIN_MS || ms > UTC_MAX_MS) {
    return E_INVALID;
  }
  *pMs = ms;
  return 0;
}

/* One word of the level table. */
typedef struct LevelWord {
  const char *zWord;  /* lower case */
  const char *zLevel; /* the level it means */
} LevelWord;

static const LevelWord aLevelWord[] = {
    {"trace", "debug"},       {"debug", "debug"},
    {"dbg", "debug"},         {"verbose", "debug"},
    {"fine", "debug"},        {"finer", "debug"},
    {"finest", "debug"},      {"info", "info"},
    {"information", "info"},  {"informational", "info"},
    {"inf", "info"},          {"low", "info"},
    {"none", "info"},         {"notice", "notice"},
    {"warn", "warning"},      {"warning", "warning"},
    {"wrn", "warning"},       {"minor", "warning"},
    {"medium", "warning"},    {"normal", "warning"},
    {"moderate", "warning"},  {"err", "error"},
    {"error", "error"},       {"eror", "error"},
    {"fail", "error"},        {"failure", "error"},
    {"high", "error"},        {"major", "error"},
    {"crit", "critical"},     {"critical", "critical"},
    {"fatal", "critical"},    {"panic", "critical"},
    {"dpanic", "critical"},   {"emerg", "critical"},
    {"emergency", "critical"}, {"alert", "critical"},
    {"severe", "critical"},   {"urgent", "critical"},
    {"page", "critical"},     {"disaster", "critical"},
};

const char *ingest_level_severity(int iSev) {
  static const char *const azSev[] = {"critical", "critical", "critical",
                                      "error",    "warning",  "notice",
                                      "info",     "debug"};
  if (iSev < 0 || iSev > 7) {
    return "info";
  }
  return azSev[iSev];
}

const char *ingest_level(const char *z, const char *zDefault) {
  char zWord[24];
  size_t n = 0;
  if (!z) {
    return zDefault;
  }
  while (*z == ' ') {
    z++;
  }
  if (isdigit((unsigned char)z[0])) {
    long v = 0;
    for (size_t i = 0; i < 6 && isdigit((unsigned char)z[i]); i++) {
      v = v * 10 + (z[i] - '0');
    }
    if (v <= 7) {
      return ingest_level_severity((int)v);
    }
    /* bunyan/pino: 10 trace, 20 debug, 30 info, 40 warn, 50 error, 60. */
    if (v >= 10 && v < 30) {
      return "debug";
    } else if (v >= 30 && v < 40) {
      return "info";
    } else if (v >= 40 && v < 50) {
      return "warning";
    } else if (v >= 50 && v < 60) {
      return "error";
    } else if (v >= 60 && v < 100) {
      return "critical";
    }
    return zDefault;
  }
  while (n + 1 < sizeof(zWord) && isalpha((unsigned char)z[n])) {
    zWord[n] = (char)tolower((unsigned char)z[n]);
    n++;
  }
  zWord[n] = 0;
  for (size_t i = 0; i < sizeof(aLevelWord) / sizeof(aLevelWord[0]); i++) {
    if (strcmp(aLevelWord[i].zWord, zWord) == 0) {
      return aLevelWord[i].zLevel;
    }
  }
  return zDefault;
}

/* 1 if z is an optional '-' then digits with at most one '.'. */
static int is_number_text(const char *z) {
  int nDigit = 0, nDot = 0;
  if (*z == '-') {
    z++;
  }
  for (; *z; z++) {
    if (isdigit((unsigned char)*z)) {
      nDigit++;
    } else if (*z == '.' && nDot == 0) {
      nDot++;
    } else {
      return 0;
    }
  }
  return nDigit > 0 && nDigit <= 20;
}

int ingest_json_time(const IngestParser *p, json_t *pObj, const char *zKey,
                     int64_t *pMs) {
  json_t *pV = json_object_get(pObj, zKey);
  if (!pV || json_is_null(pV)) {
    return E_NOTFOUND;
  }
  if (json_is_integer(pV)) {
    return epoch_int_ms(json_integer_value(pV), pMs);
  }
  if (json_is_real(pV)) {
    return ingest_epoch_ms(json_real_value(pV), pMs);
  }
  if (json_is_string(pV)) {
    const char *z = json_string_value(pV);
    size_t n = json_string_length(pV);
    if (is_number_text(z)) {
      if (!strchr(z, '.')) {
        char *zEnd = NULL;
        long long v = strtoll(z, &zEnd, 10);
        if (*zEnd == 0 && v != LLONG_MAX && v != LLONG_MIN) {
          return epoch_int_ms((int64_t)v, pMs);
        }
        return E_INVALID;
      }
      return ingest_epoch_ms(strtod(z, NULL), pMs);
    }
    return ingest_parse_time(p, z, n, pMs);
  }
  return E_INVALID;
}

const char *ingest_json_str(IngestParser *p, json_t *pObj, const char *zKey) {
  json_t *pV = json_object_get(pObj, zKey);
  char zNum[40];
  if (json_is_string(pV)) {
    return json_string_value(pV);
  } else if (json_is_integer(pV)) {
    snprintf(zNum, sizeof(zNum), "%lld", (long long)json_integer_value(pV));
  } else if (json_is_real(pV)) {
    snprintf(zNum, sizeof(zNum), "%.17g", json_real_value(pV));
  } else if (json_is_boolean(pV)) {
    return json_is_true(pV) ? "true" : "false";
  } else {
    return NULL;
  }
  return arena_strdup(&p->scratch, zNum);
}

json_t *ingest_json_load(IngestParser *p, const char *z, size_t n,
                         int64_t iLine) {
  json_error_t err;
  json_t *pJ = json_loadb(z, n, JSON_REJECT_DUPLICATES, &err);
  if (!pJ) {
    int64_t iAt = iLine;
    if (err.line > 1) {
      iAt = iLine + err.line - 1;
    }
    ingest_reject(p, iAt, "invalid JSON: %s", err.text);
  }
  return pJ;
}

const char *ingest_hash16(IngestParser *p, const char *z, size_t n) {
  char zHex[65];
  sha256_hex(z, n, zHex);
  return arena_strndup(&p->scratch, zHex, 16);
}
