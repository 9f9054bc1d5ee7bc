/*
** ingest_csv.c: the "tickets-csv" format: RFC 4180 CSV with a header row.
**
** The header must name at least id, created_at and subject (case and
** surrounding blanks ignored); body, requester, priority, status and tags
** are used when present, other columns stay in zRaw only. Quoted fields may
** hold commas, doubled quotes and line breaks, so a record can span lines:
** it is reported by its first line. A record with the wrong number of
** fields is rejected ("expected N fields, got M"). Cells are never
** interpreted beyond that (a leading = + - @ is kept as it is; neutralising
** it is the CSV exporter's job).
**
** One event of kind "ticket" per record: zKey = id, ts = created_at (a
** zoneless time is at --tz), title = subject, body = body plus status,
** requester and tags, level from priority (urgent critical, high error,
** normal warning, low info), zState = status.
**
** State between lines: the open record and the header, in a CsvState that
** lives in *ingest_state().
*/
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "ingest_formats.h"

/* Where the scanner stands inside a record. */
enum { CSV_START, CSV_BARE, CSV_QUOTED, CSV_QUOTE };

/* The columns the parser understands. */
enum { COL_ID, COL_CREATED, COL_SUBJECT, COL_BODY, COL_REQUESTER,
       COL_PRIORITY, COL_STATUS, COL_TAGS, COL_COUNT };

static const char *const azColName[COL_COUNT] = {
    "id", "created_at", "subject", "body", "requester", "priority",
    "status", "tags"};

typedef struct CsvState {
  Buf rec;             /* the record so far, line breaks included */
  int64_t iRecLine;    /* line where it starts; 0 when none is open */
  int eScan;           /* CSV_* at the end of rec */
  int bPrevCrlf;       /* the last line of rec ended with \r\n */
  int bHeader;         /* 1 once the header row was read */
  int bBadHeader;      /* 1 if the header lacked a required column */
  int nCol;            /* fields in the header */
  int aiCol[COL_COUNT]; /* field index of each known column, or -1 */
} CsvState;

void ingest_csv_free(void *pState) {
  CsvState *pS = pState;
  if (pS) {
    buf_free(&pS->rec);
    free(pS);
  }
}

/* Advances the scanner over z[0..n). */
static int scan(int e, const char *z, size_t n) {
  for (size_t i = 0; i < n; i++) {
    char c = z[i];
    switch (e) {
      case CSV_START:
        e = c == '"' ? CSV_QUOTED : c == ',' ? CSV_START : CSV_BARE;
        break;
      case CSV_BARE:
        e = c == ',' ? CSV_START : CSV_BARE;
        break;
      case CSV_QUOTED:
        e = c == '"' ? CSV_QUOTE : CSV_QUOTED;
        break;
      default: /* CSV_QUOTE: a doubled quote, the end of a field, or junk */
        e = c == '"' ? CSV_QUOTED : c == ',' ? CSV_START : CSV_BARE;
        break;
    }
  }
  return e;
}

/* Splits the record z[0..n) into fields, decoded into the arena. Returns
** the number of fields (up to nMax are stored in az). */
static int split(Arena *pA, const char *z, size_t n, char **az, int nMax) {
  int nField = 0;
  size_t i = 0;
  char *zOut = arena_alloc(pA, n + 1);
  size_t o = 0;
  for (;;) {
    size_t oStart = o;
    if (i < n && z[i] == '"') {
      i++;
      while (i < n) {
        if (z[i] == '"') {
          if (i + 1 < n && z[i + 1] == '"') {
            zOut[o++] = '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        zOut[o++] = z[i++];
      }
    }
    /* Bare text, or junk after a closing quote: kept literally. */
    while (i < n && z[i] != ',') {
      zOut[o++] = z[i++];
    }
    zOut[o++] = 0;
    if (nField < nMax) {
      az[nField] = zOut + oStart;
    }
    nField++;
    if (i >= n) {
      break;
    }
    i++; /* the comma */
  }
  return nField;
}

/* Trims blanks in place and lowercases; for header names. */
static char *norm_name(char *z) {
  while (*z == ' ' || *z == '\t') {
    z++;
  }
  size_t n = strlen(z);
  while (n > 0 && (z[n - 1] == ' ' || z[n - 1] == '\t')) {
    z[--n] = 0;
  }
  for (size_t i = 0; i < n; i++) {
    z[i] = (char)tolower((unsigned char)z[i]);
  }
  return z;
}

/* Handles the complete record in pS->rec. */
static int do_record(IngestParser *p, CsvState *pS) {
  Arena *pA = ingest_arena(p);
  int64_t iLine = pS->iRecLine;
  const char *zRec = buf_str(&pS->rec);
  size_t nRec = pS->rec.n;
  int nMax = (int)(nRec + 1 < 4096 ? nRec + 1 : 4096);
  char **az = arena_alloc(pA, sizeof(char *) * (size_t)nMax);
  int nField = split(pA, zRec, nRec, az, nMax);
  Buf body;
  int rc = 0;
  buf_init(&body, INGEST_MAX_LINE * 2);
  if (!pS->bHeader) {
    pS->bHeader = 1;
    pS->nCol = nField;
    for (int k = 0; k < COL_COUNT; k++) {
      pS->aiCol[k] = -1;
    }
    for (int j = 0; j < nField && j < nMax; j++) {
      const char *zName = norm_name(az[j]);
      for (int k = 0; k < COL_COUNT; k++) {
        if (pS->aiCol[k] < 0 && strcmp(zName, azColName[k]) == 0) {
          pS->aiCol[k] = j;
        }
      }
    }
    if (pS->aiCol[COL_ID] < 0 || pS->aiCol[COL_CREATED] < 0 ||
        pS->aiCol[COL_SUBJECT] < 0) {
      pS->bBadHeader = 1;
      ingest_reject(p, iLine,
                    "header row needs columns id, created_at and subject");
    }
    goto cleanup;
  }
  if (pS->bBadHeader) {
    ingest_reject(p, iLine, "no valid header row");
    goto cleanup;
  }
  if (nField != pS->nCol) {
    ingest_reject(p, iLine, "expected %d fields, got %d", pS->nCol, nField);
    goto cleanup;
  }
  const char *azVal[COL_COUNT];
  for (int k = 0; k < COL_COUNT; k++) {
    azVal[k] = pS->aiCol[k] >= 0 ? az[pS->aiCol[k]] : NULL;
  }
  IngestEvent ev = {0};
  const char *zId = azVal[COL_ID];
  while (*zId == ' ') {
    zId++;
  }
  if (!zId[0]) {
    ingest_reject(p, iLine, "empty \"id\"");
    goto cleanup;
  }
  const char *zTime = azVal[COL_CREATED];
  size_t nTime = strlen(zTime);
  while (nTime > 0 && zTime[0] == ' ') {
    zTime++;
    nTime--;
  }
  while (nTime > 0 && zTime[nTime - 1] == ' ') {
    nTime--;
  }
  if (ingest_parse_time(p, zTime, nTime, &ev.ts)) {
    ingest_reject(p, iLine, "invalid time in \"created_at\"");
    goto cleanup;
  }
  if (azVal[COL_BODY] && azVal[COL_BODY][0]) {
    buf_puts(&body, azVal[COL_BODY]);
    buf_puts(&body, "\n\n");
  }
  if (azVal[COL_STATUS] && azVal[COL_STATUS][0]) {
    buf_printf(&body, "Status: %s\n", azVal[COL_STATUS]);
  }
  if (azVal[COL_PRIORITY] && azVal[COL_PRIORITY][0]) {
    buf_printf(&body, "Priority: %s\n", azVal[COL_PRIORITY]);
  }
  if (azVal[COL_REQUESTER] && azVal[COL_REQUESTER][0]) {
    buf_printf(&body, "Requester: %s\n", azVal[COL_REQUESTER]);
  }
  if (azVal[COL_TAGS] && azVal[COL_TAGS][0]) {
    buf_printf(&body, "Tags: %s\n", azVal[COL_TAGS]);
  }
  ev.endTs = INT64_MIN;
  ev.zKind = "ticket";
  ev.zKey = zId;
  ev.zTitle = azVal[COL_SUBJECT];
  ev.zBody = body.n ? buf_str(&body) : NULL;
  ev.zLevel = ingest_level(azVal[COL_PRIORITY], "info");
  ev.zState = azVal[COL_STATUS] && azVal[COL_STATUS][0] ? azVal[COL_STATUS]
                                                          : NULL;
  ev.zSource = ingest_options(p)->zSource ? NULL : "tickets-csv";
  ev.zRaw = zRec;
  ev.line = iLine;
  rc = ingest_emit(p, &ev);
cleanup:
  buf_free(&body);
  return rc;
}

/* Forgets the open record. */
static void reset_record(CsvState *pS) {
  buf_reset(&pS->rec);
  pS->iRecLine = 0;
  pS->eScan = CSV_START;
}

int ingest_csv_line(IngestParser *p, const char *z, size_t n, int64_t iLine) {
  void **ppState = ingest_state(p);
  CsvState *pS = *ppState;
  int rc = 0;
  if (!pS) {
    pS = xcalloc(1, sizeof(*pS));
    buf_init(&pS->rec, INGEST_MAX_LINE);
    *ppState = pS;
  }
  if (!z) {
    if (pS->iRecLine && pS->iRecLine != iLine) {
      ingest_reject(p, pS->iRecLine, "record dropped: line %lld rejected",
                    (long long)iLine);
    }
    reset_record(pS);
    return 0;
  }
  if (pS->iRecLine == 0) {
    if (strspn(z, " \t") == n) {
      return 0; /* a blank line between records */
    }
    pS->iRecLine = iLine;
  } else {
    /* Inside a quoted field: the line break is part of the value. */
    buf_puts(&pS->rec, pS->bPrevCrlf ? "\r\n" : "\n");
  }
  pS->bPrevCrlf = ingest_line_crlf(p);
  buf_append(&pS->rec, z, n);
  if (buf_err(&pS->rec)) {
    ingest_reject(p, pS->iRecLine, "record longer than %d bytes",
                  INGEST_MAX_LINE);
    buf_free(&pS->rec);
    buf_init(&pS->rec, INGEST_MAX_LINE);
    reset_record(pS);
    return 0;
  }
  pS->eScan = scan(pS->eScan, z, n);
  if (pS->eScan == CSV_QUOTED) {
    return 0;
  }
  rc = do_record(p, pS);
  reset_record(pS);
  return rc;
}

int ingest_csv_end(IngestParser *p) {
  CsvState *pS = *ingest_state(p);
  if (pS && pS->iRecLine) {
    ingest_reject(p, pS->iRecLine, "unterminated quoted field");
    reset_record(pS);
  }
  return 0;
}
