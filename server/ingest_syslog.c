/*
** ingest_syslog.c: the "syslog" format: RFC 5424 and RFC 3164 lines,
** told apart per line.
**
** RFC 5424: <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD [MSG], with
** "-" for any absent field, structured data with \" \\ \] escapes (decoded
** into the body as "SD-ID name=value ..." lines) and an optional BOM before
** MSG. A line without a TIMESTAMP is rejected: it cannot be placed.
**
** RFC 3164 and the files rsyslog/syslog-ng write: [<PRI>]Mmm dd hh:mm:ss
** [HOST] [TAG[PID]:] MSG, or the same with an ISO 8601 time instead. The
** year is the latest one that does not put the line more than two days
** after IngestOptions.nowMs (clock skew and --tz mistakes are common, a
** line from the future is not); the zone is --tz (IngestOptions.pZone or
** tzOffsetMin).
**
** Level from the PRI severity; without a PRI (the files rsyslog writes
** with RSYSLOG_TraditionalFileFormat or RSYSLOG_FileFormat) from the
** message's words (level_from_text). Component = host; source = APP-NAME
** or TAG, whose colon may be missing ("app[123] msg"). Title = message.
** Pure; no state between lines.
*/
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "buf.h"
#include "ingest_formats.h"
#include "utc.h"

#define SYSLOG_FUTURE_SLACK_MS (INT64_C(2) * 86400 * 1000)

/* A slice of the line. */
typedef struct Span {
  const char *z; /* start, not NUL-terminated */
  size_t n;      /* length */
} Span;

/* Reads the token at *pi up to the next space or the end of the line. */
static Span next_token(const char *z, size_t n, size_t *pi) {
  Span s = {z + *pi, 0};
  while (*pi < n && z[*pi] != ' ') {
    (*pi)++;
    s.n++;
  }
  return s;
}

/* 1 if the span is the NILVALUE "-". */
static int is_nil(Span s) { return s.n == 1 && s.z[0] == '-'; }

/* Copies a span into the arena, NULL for "-". */
static const char *span_str(IngestParser *p, Span s) {
  if (s.n == 0 || is_nil(s)) {
    return NULL;
  }
  return arena_strndup(ingest_arena(p), s.z, s.n);
}

/* Skips a UTF-8 BOM at the start of the message. */
static void skip_bom(const char **pz, size_t *pn) {
  if (*pn >= 3 && memcmp(*pz, "\xef\xbb\xbf", 3) == 0) {
    *pz += 3;
    *pn -= 3;
  }
}

/* Parses STRUCTURED-DATA at *pi ("-" or [..][..]) and writes it decoded,
** one element a line, into pOut. 0, or -1 when malformed. */
static int parse_sd(const char *z, size_t n, size_t *pi, Buf *pOut) {
  size_t i = *pi;
  if (i < n && z[i] == '-') {
    *pi = i + 1;
    return 0;
  }
  if (i >= n || z[i] != '[') {
    return -1;
  }
  while (i < n && z[i] == '[') {
    i++;
    size_t iId = i;
    while (i < n && z[i] != ' ' && z[i] != ']' && z[i] != '=' &&
           z[i] != '"') {
      i++;
    }
    if (i == iId || i >= n) {
      return -1;
    }
    if (pOut->n) {
      buf_putc(pOut, '\n');
    }
    buf_append(pOut, z + iId, i - iId);
    while (i < n && z[i] == ' ') {
      i++;
      size_t iName = i;
      while (i < n && z[i] != '=' && z[i] != ' ' && z[i] != ']' &&
             z[i] != '"') {
        i++;
      }
      if (i == iName || i + 1 >= n || z[i] != '=' || z[i + 1] != '"') {
        return -1;
      }
      buf_putc(pOut, ' ');
      buf_append(pOut, z + iName, i - iName);
      buf_putc(pOut, '=');
      i += 2;
      for (;;) {
        if (i >= n) {
          return -1;
        }
        if (z[i] == '"') {
          i++;
          break;
        }
        if (z[i] == '\\' && i + 1 < n &&
            (z[i + 1] == '"' || z[i + 1] == '\\' || z[i + 1] == ']')) {
          buf_putc(pOut, z[i + 1]);
          i += 2;
          continue;
        }
        buf_putc(pOut, z[i]);
        i++;
      }
    }
    if (i >= n || z[i] != ']') {
      return -1;
    }
    i++;
  }
  *pi = i;
  return 0;
}

/* RFC 5424; z[*pi] is just after "<PRI>1 ". */
static int parse_5424(IngestParser *p, const char *z, size_t n, size_t i,
                      int iPri, int64_t iLine) {
  IngestEvent ev = {0};
  Span aTok[5];
  Buf sd;
  int rc = 0;
  buf_init(&sd, INGEST_MAX_LINE);
  for (int k = 0; k < 5; k++) {
    aTok[k] = next_token(z, n, &i);
    if (i >= n || aTok[k].n == 0) {
      ingest_reject(p, iLine, "truncated RFC 5424 header");
      goto cleanup;
    }
    i++;
  }
  if (is_nil(aTok[0])) {
    ingest_reject(p, iLine, "no TIMESTAMP");
    goto cleanup;
  }
  if (utc_parse_iso(aTok[0].z, aTok[0].n, &ev.ts)) {
    ingest_reject(p, iLine, "invalid TIMESTAMP");
    goto cleanup;
  }
  if (parse_sd(z, n, &i, &sd) || (i < n && z[i] != ' ')) {
    ingest_reject(p, iLine, "malformed STRUCTURED-DATA");
    goto cleanup;
  }
  const char *zMsg = i < n ? z + i + 1 : "";
  size_t nMsg = i < n ? n - i - 1 : 0;
  skip_bom(&zMsg, &nMsg);
  char *zMsgCopy = arena_strndup(ingest_arena(p), zMsg, nMsg);
  const char *zSd = buf_str(&sd);
  ev.endTs = INT64_MIN;
  ev.zKind = "log";
  ev.zLevel = ingest_level_severity(iPri & 7);
  ev.zComponent = span_str(p, aTok[1]);
  ev.zSource = span_str(p, aTok[2]);
  ev.zTitle = nMsg ? zMsgCopy : zSd;
  if (sd.n && nMsg) {
    Buf body;
    buf_init(&body, INGEST_MAX_LINE * 2);
    buf_append(&body, zMsg, nMsg);
    buf_puts(&body, "\n\n");
    buf_append(&body, sd.z, sd.n);
    ev.zBody = arena_strdup(ingest_arena(p), buf_str(&body));
    buf_free(&body);
  } else {
    ev.zBody = nMsg ? zMsgCopy : zSd;
  }
  if (buf_err(&sd)) {
    ingest_reject(p, iLine, "malformed STRUCTURED-DATA");
    goto cleanup;
  }
  rc = ingest_emit(p, &ev);
cleanup:
  buf_free(&sd);
  return rc;
}

static const char *const azMonth[] = {"Jan", "Feb", "Mar", "Apr",
                                      "May", "Jun", "Jul", "Aug",
                                      "Sep", "Oct", "Nov", "Dec"};

/* Days in month m (1..12) of year y. */
static unsigned month_days(int64_t y, unsigned m) {
  static const unsigned aDays[] = {31, 28, 31, 30, 31, 30,
                                   31, 31, 30, 31, 30, 31};
  if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) {
    return 29;
  }
  return aDays[m - 1];
}

/* Reads exactly two digits at z (the first may be a space when bPad). */
static int two_digits(const char *z, int bPad, unsigned *pv) {
  if (!(isdigit((unsigned char)z[0]) || (bPad && z[0] == ' ')) ||
      !isdigit((unsigned char)z[1])) {
    return -1;
  }
  *pv = (z[0] == ' ' ? 0 : (unsigned)(z[0] - '0') * 10) +
        (unsigned)(z[1] - '0');
  return 0;
}

/* Parses "Mmm dd hh:mm:ss" at z[*pi] into UTC ms with the inferred year.
** 0; -1 when it is not such a time; -2 for an impossible date. */
static int parse_bsd_time(IngestParser *p, const char *z, size_t n,
                          size_t *pi, int64_t *pMs) {
  const IngestOptions *pOpt = ingest_options(p);
  size_t i = *pi;
  unsigned mon = 0, day, hh, mm, ss;
  if (n - i < 15) {
    return -1;
  }
  for (unsigned k = 0; k < 12; k++) {
    if (strncasecmp(z + i, azMonth[k], 3) == 0) {
      mon = k + 1;
    }
  }
  if (mon == 0 || z[i + 3] != ' ') {
    return -1;
  }
  i += 4;
  /* "Feb  5", "Feb 05" and (seen in the wild) "Feb 5". */
  if (isdigit((unsigned char)z[i]) && z[i + 1] == ' ') {
    day = (unsigned)(z[i] - '0');
    i += 2;
  } else if (two_digits(z + i, 1, &day) == 0 && z[i + 2] == ' ') {
    i += 3;
  } else {
    return -1;
  }
  if (n - i < 8 || two_digits(z + i, 0, &hh) || z[i + 2] != ':' ||
      two_digits(z + i + 3, 0, &mm) || z[i + 5] != ':' ||
      two_digits(z + i + 6, 0, &ss)) {
    return -1;
  }
  i += 8;
  if (i < n && z[i] != ' ') {
    return -1;
  }
  if (day == 0 || day > 31 || hh > 23 || mm > 59 || ss > 60) {
    return -2;
  }
  char zNow[25];
  int64_t nowLocal = ingest_utc_to_local(p, pOpt->nowMs);
  utc_format(nowLocal, zNow);
  int64_t yNow = (zNow[0] - '0') * 1000 + (zNow[1] - '0') * 100 +
                 (zNow[2] - '0') * 10 + (zNow[3] - '0');
  for (int64_t y = yNow + 1; y >= yNow - 8 && y >= 1; y--) {
    if (y > 9999 || day > month_days(y, mon)) {
      continue;
    }
    int64_t ms = ingest_local_to_utc(
        p, (utc_days_from_civil(y, mon, day) * 86400 + hh * 3600 + mm * 60 +
            (ss == 60 ? 59 : ss)) *
                   1000 +
               (ss == 60 ? 999 : 0));
    if (ms <= pOpt->nowMs + SYSLOG_FUTURE_SLACK_MS) {
      if (ms < UTC_MIN_MS || ms > UTC_MAX_MS) {
        return -2;
      }
      *pMs = ms;
      *pi = i;
      return 0;
    }
  }
  return -2;
}

/* 1 if tok looks like "tag:", "tag[pid]:" or "tag[pid]" (rsyslog's file
** templates write a tag without its colon when the message came in as RFC
** 5424; a host name never holds '[', so the bracket alone is enough); sets
** the tag's length. */
static int is_tag(Span tok, size_t *pnTag) {
  if (tok.n < 2) {
    return 0;
  }
  int bColon = tok.z[tok.n - 1] == ':';
  size_t nEnd = tok.n - (size_t)bColon;
  const char *zBr = memchr(tok.z, '[', nEnd);
  size_t nTag = zBr ? (size_t)(zBr - tok.z) : nEnd;
  if (zBr && (nEnd < 3 || tok.z[nEnd - 1] != ']' ||
              (size_t)(zBr - tok.z) + 2 >= nEnd ||
              memchr(zBr + 1, '[', (size_t)(tok.z + nEnd - 1 - zBr - 1)))) {
    return 0;
  }
  if (!bColon && !zBr) {
    return 0;
  }
  if (nTag == 0 || nTag > 48 || memchr(tok.z, ':', nTag)) {
    return 0;
  }
  *pnTag = nTag;
  return 1;
}

/* A line without <PRI> carries no severity: the level is a level word
** leading the message ("ERROR", "error:", "[warn]", "level=error"), else
** "error" when the message says error, failed, fatal or panic as a word,
** else info. So an rsyslog file of error lines still condenses. */
static const char *level_from_text(const char *z, size_t n) {
  size_t i = 0;
  while (i < n && (z[i] == '[' || z[i] == '<' || z[i] == ' ')) {
    i++;
  }
  if (n - i > 6 && strncasecmp(z + i, "level=", 6) == 0) {
    i += 6;
  }
  char zWord[16];
  size_t k = 0;
  while (i + k < n && k + 1 < sizeof(zWord) &&
         isalpha((unsigned char)z[i + k])) {
    zWord[k] = z[i + k];
    k++;
  }
  zWord[k] = 0;
  if (k > 0 && (i + k == n || !isalnum((unsigned char)z[i + k]))) {
    const char *zLevel = ingest_level(zWord, NULL);
    /* "alert" or "page" in front of a message is seldom a level. */
    if (zLevel && strcasecmp(zWord, "alert") && strcasecmp(zWord, "page") &&
        strcasecmp(zWord, "none") && strcasecmp(zWord, "normal")) {
      return zLevel;
    }
  }
  static const char *const azWord[] = {"error", "failed", "fatal", "panic",
                                       NULL};
  for (size_t j = 0; j < n; j++) {
    if (j > 0 && isalnum((unsigned char)z[j - 1])) {
      continue;
    }
    for (int w = 0; azWord[w]; w++) {
      size_t nW = strlen(azWord[w]);
      if (n - j >= nW && strncasecmp(z + j, azWord[w], nW) == 0 &&
          (j + nW == n || !isalnum((unsigned char)z[j + nW]))) {
        return "error";
      }
    }
  }
  return "info";
}

/* RFC 3164 and syslog files; z[i] is just after the PRI, if any. */
static int parse_3164(IngestParser *p, const char *z, size_t n, size_t i,
                      int iPri, int64_t iLine) {
  IngestEvent ev = {0};
  int rc = parse_bsd_time(p, z, n, &i, &ev.ts);
  if (rc == -1 && i < n && isdigit((unsigned char)z[i])) {
    size_t iStart = i;
    Span t = next_token(z, n, &i);
    rc = ingest_parse_time(p, t.z, t.n, &ev.ts) ? -1 : 0;
    if (rc) {
      i = iStart;
    }
  }
  if (rc == -2) {
    ingest_reject(p, iLine, "invalid date in TIMESTAMP");
    return 0;
  } else if (rc) {
    ingest_reject(p, iLine, "no syslog timestamp");
    return 0;
  }
  while (i < n && z[i] == ' ') {
    i++;
  }
  Span host = {NULL, 0}, tag = {NULL, 0};
  size_t iTok = i, nTag;
  Span tok = next_token(z, n, &i);
  if (is_tag(tok, &nTag)) {
    tag = (Span){tok.z, nTag};
  } else if (tok.n) {
    host = tok;
    while (i < n && z[i] == ' ') {
      i++;
    }
    iTok = i;
    tok = next_token(z, n, &i);
    if (is_tag(tok, &nTag)) {
      tag = (Span){tok.z, nTag};
    } else {
      i = iTok;
    }
  }
  if (tag.z && i < n && z[i] == ' ') {
    i++;
  }
  ev.endTs = INT64_MIN;
  ev.zKind = "log";
  ev.zLevel = iPri >= 0 ? ingest_level_severity(iPri & 7)
                        : level_from_text(z + i, n - i);
  ev.zComponent = span_str(p, host);
  ev.zSource = span_str(p, tag);
  ev.zTitle = arena_strndup(ingest_arena(p), z + i, n - i);
  ev.zBody = ev.zTitle;
  return ingest_emit(p, &ev);
}

int ingest_syslog_line(IngestParser *p, const char *z, size_t n,
                       int64_t iLine) {
  size_t i = 0;
  int iPri = -1;
  if (!z) {
    return 0;
  }
  while (n > 0 && (z[n - 1] == ' ' || z[n - 1] == '\t')) {
    n--;
  }
  if (n == 0) {
    return 0;
  }
  if (z[0] == '<') {
    int v = 0;
    size_t k = 1;
    while (k < n && k <= 3 && isdigit((unsigned char)z[k])) {
      v = v * 10 + (z[k] - '0');
      k++;
    }
    if (k == 1 || k >= n || z[k] != '>' || v > 191 ||
        (k > 2 && z[1] == '0')) {
      ingest_reject(p, iLine, "invalid PRI");
      return 0;
    }
    iPri = v;
    i = k + 1;
    if (n - i >= 2 && z[i] == '1' && z[i + 1] == ' ') {
      return parse_5424(p, z, n, i + 2, iPri, iLine);
    }
  }
  return parse_3164(p, z, n, i, iPri, iLine);
}
