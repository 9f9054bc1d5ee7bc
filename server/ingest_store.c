/*
** ingest_store.c: evidence in, whether or not an incident covers it yet.
**
** Each parsed event goes one of three ways:
**  - access-log lines: kept as raw lines (rawstore.h, deduplicated by
**    source, time, line number and text) and counted into per-minute
**    series per source (access_series); after the input ends, a run of
**    minutes whose 5xx rate stands clearly above the minutes before it
**    becomes one `signal` evidence item;
**  - other log lines: kept as raw lines; error lines are grouped by their
**    message with digits folded, and a group of three or more becomes one
**    signal ("x N between 11:40 and 11:44"), a smaller one plain items;
**  - alerts, tickets and changes: one evidence item each, identified by a
**    fingerprint, so a replay adds nothing and an alert's resolved notice
**    closes the item its firing notice opened, whichever came first.
** Evidence items are copied into the timelines of the incidents they
** match (evidence.c), or of the run's incident when one is given.
** Everything happens in one write transaction per run (committed in
** slices of INGEST_BATCH rows, so a huge file does not hold one giant
** transaction); a report counts accepted, duplicate and rejected input.
**
** Crashes: derived evidence agrees with the raw lines stored at every
** commit. A slice carries its lines' minute cells into access_series in
** the same transaction (only new lines count, so a retry's duplicates are
** never counted twice). What is condensed at the end is recomputed: rate
** signals from the stored series over every minute the input touched,
** duplicates included; error groups from every error line of the input,
** duplicates included. So a crash at any point followed by the same
** command again gives the same series, signals and counts as one run.
**
** Memory: the minute series and the error groups are bounded tables
** (INGEST_MAX_GROUPS); raw lines stream straight to SQLite.
**
** Threading: a run belongs to one thread and its connection.
*/
#include "ingest_store.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "db.h"
#include "err.h"
#include "evidence.h"
#include "hash.h"
#include "incident.h"
#include "input.h"
#include "metrics.h"
#include "rawstore.h"
#include "redact.h"
#include "settings.h"
#include "sha256.h"
#include "timeline.h"
#include "utc.h"

#define INGEST_BATCH 100000       /* rows per committed slice */
#define INGEST_MAX_GROUPS 4096    /* error groups and minute cells */
#define BURST_MIN 3               /* identical errors that make a signal */
#define BURST_GAP_MS (5 * 60000)  /* a burst goes on across pushes this close */
#define BURST_SPAN_MS (60 * 60000) /* for at most this long, then a new item */

typedef struct MinuteCell {
  int bUsed;          /* 0 = empty slot */
  int64_t minute;     /* UTC ms at the minute's start */
  char zSource[64];   /* access-log source */
  int64_t aCount[4];  /* requests, 4xx, 5xx, bytes */
} MinuteCell;

typedef struct ErrorGroup {
  int bUsed;          /* 0 = empty slot */
  uint64_t hash;      /* of source + folded message */
  int64_t n;          /* lines in the group */
  int64_t nNew;       /* of which stored now (not duplicates) */
  int64_t first;      /* first time */
  int64_t last;       /* last time */
  char zSource[64];   /* source */
  char zComponent[64]; /* component or host */
  char zLevel[12];    /* level of the first line */
  char zTitle[208];   /* message of the first line */
  int64_t firstLine;  /* line number of the first line */
} ErrorGroup;

/* Sources whose series changed, to condense after the input ends. */
typedef struct SeriesKey {
  char zSource[64];   /* source */
  int64_t first;      /* earliest minute touched */
  int64_t last;       /* latest minute touched */
} SeriesKey;

struct IngestRun {
  IngestParser *pParser;    /* the format's parser */
  IngestTarget target;      /* where events go */
  char zFormat[32];         /* format name */
  int rcDb;                 /* sticky storage error */
  int64_t nInSlice;         /* rows written since the last commit */
  int64_t nBatch;           /* rows per slice (INGEST_BATCH) */
  int64_t nCommits;         /* slices committed */
  int64_t nCrashAfter;      /* tests: die after this many commits (0) */
  IngestReport report;      /* counts so far */
  int64_t nBadInput;        /* rejections of the input itself */
  MinuteCell *aCell;        /* open-addressed minute cells */
  ErrorGroup *aGroup;       /* open-addressed error groups */
  SeriesKey aSeries[64];    /* series touched */
  int nSeries;              /* entries in aSeries */
  int64_t aTouched[64];     /* incidents that received events */
  int nTouched;             /* entries in aTouched */
  SeriesKey aGiven[64];     /* sources and time ranges given to the
                               run's incident, for incident_sources */
  int nGiven;               /* entries in aGiven */
  Buf scratch;              /* redaction output */
  RawWriter *pRaw;          /* raw lines */
  int bEmails;              /* mask e-mail addresses (redact.emails) */
  int bAutoDeclare;         /* ingest.auto_declare */
  char *zExtraKeys;         /* NEW: redact.keys, commas made NULs */
  const char *azExtraKeys[17]; /* pointers into zExtraKeys, NULL-ended */
};

static int on_event(void *pArg, const IngestEvent *pEv);

/* Counts a refusal; bInput: the input was malformed (not merely
** unattached to any incident). */
static void refuse(IngestRun *p, int64_t line, const char *zReason,
                   int bInput) {
  p->report.nRejected++;
  p->nBadInput += bInput;
  if (json_array_size(p->report.pErrors) < INGEST_MAX_ERRORS) {
    json_array_append_new(p->report.pErrors,
                          json_pack("{s:I, s:s}", "line", (json_int_t)line,
                                    "reason", zReason));
  }
}

static void reject(void *pArg, int64_t line, const char *zReason) {
  refuse(pArg, line, zReason, 1);
}

static void copy_str(char *zDst, size_t nDst, const char *zSrc) {
  snprintf(zDst, nDst, "%s", zSrc ? zSrc : "");
}

static void note_touched(IngestRun *p, int64_t incidentId) {
  for (int i = 0; i < p->nTouched; i++) {
    if (p->aTouched[i] == incidentId) {
      return;
    }
  }
  if (p->nTouched < 64) {
    p->aTouched[p->nTouched++] = incidentId;
  }
}

static void flush_given(IngestRun *p);
static void flush_minutes(IngestRun *p);

/* A positive number from the environment, or dflt. For tests only: a
** small HS_INGEST_BATCH makes slices of a small file. */
static int64_t env_count(const char *zName, int64_t dflt) {
  const char *z = getenv(zName);
  char *zEnd;
  long long n = z ? strtoll(z, &zEnd, 10) : 0;
  return z && *z && !*zEnd && n > 0 ? n : dflt;
}

/* Commits the slice with everything derived from its lines (minute cells,
** sources given) so a crash after it loses nothing the lines imply. */
static void commit_slice(IngestRun *p) {
  p->nInSlice = 0;
  flush_minutes(p);
  memset(p->aCell, 0, sizeof(MinuteCell) * INGEST_MAX_GROUPS);
  flush_given(p);
  p->rcDb = p->rcDb ? p->rcDb : rawstore_flush(p->pRaw);
  p->rcDb = p->rcDb ? p->rcDb : db_commit();
  if (p->rcDb == 0) {
    p->nCommits++;
    if (p->nCommits == p->nCrashAfter) {
      raise(SIGKILL); /* HS_INGEST_CRASH_AFTER: the crash tests' kill -9 */
    }
    p->rcDb = db_begin_write();
  }
}

/* Commits every nBatch rows so one file never holds one huge
** transaction; the report stays exact because dedupe is in the schema.
** Called once a row and what it implies are both written. */
static void slice_commit(IngestRun *p) {
  if (++p->nInSlice < p->nBatch || p->rcDb) {
    return;
  }
  commit_slice(p);
}

/* ingest.auto_declare: a firing critical alert that matches no incident
** declares one, once per alert fingerprint (alert_declared), with its
** component when one of ours has that name in any case. The slice so far
** is committed first: declaring runs its own transaction, and draws the
** alert in through the same matching rule. */
static void auto_declare(IngestRun *p, const IngestEvent *pEv,
                         const char *zFp) {
  DbStmt *q = db_prepare(
      "INSERT INTO alert_declared (fingerprint, created_at)"
      " VALUES (:fp, :now) ON CONFLICT DO NOTHING");
  if (!q) {
    p->rcDb = E_DB;
    return;
  }
  db_bind_text(q, ":fp", zFp);
  db_bind_int(q, ":now", utc_now_ms());
  p->rcDb = db_run(q);
  if (p->rcDb || db_changes() == 0) {
    return; /* declared before: a re-delivery never declares again */
  }
  char zComponent[200] = "";
  if (pEv->zComponent && *pEv->zComponent &&
      evidence_component(pEv->zComponent, zComponent,
                         sizeof(zComponent)) < 0) {
    p->rcDb = E_DB;
    return;
  }
  p->rcDb = db_commit();
  if (p->rcDb) {
    return;
  }
  char zTitle[240];
  snprintf(zTitle, sizeof(zTitle), "%.200s (declared by an alert)",
           pEv->zTitle && *pEv->zTitle ? pEv->zTitle : "Critical alert");
  char zStart[25];
  utc_format(pEv->ts, zStart);
  json_t *pIn = json_pack("{s:s, s:s, s:s, s:s}", "title", zTitle,
                          "severity", "SEV2", "impact", "major", "started_at",
                          zStart);
  if (zComponent[0]) {
    json_object_set_new(pIn, "components", json_pack("[s]", zComponent));
  }
  char zErr[256];
  int64_t id = 0;
  int rc = incident_declare(pIn, 0, "alert", &id, zErr, sizeof(zErr));
  json_decref(pIn);
  p->rcDb = db_begin_write();
  if (rc == 0 && p->rcDb == 0) {
    note_touched(p, id);
    q = db_prepare("UPDATE alert_declared SET incident_id = :inc"
                   " WHERE fingerprint = :fp");
    if (!q) {
      p->rcDb = E_DB;
      return;
    }
    db_bind_int(q, ":inc", id);
    db_bind_text(q, ":fp", zFp);
    p->rcDb = db_run(q);
  }
}

/* Masks secrets in z; returns the masked text, BORROWED until the next
** call (z itself when nothing was masked). bCount: add what was masked to
** the report. The report counts the secrets of each record's raw text
** once, whether the record is new or a duplicate, so running the same
** input twice reports the same number (titles and bodies cut from the raw
** text are masked without counting again). */
static const char *mask(IngestRun *p, const char *z, int bCount) {
  if (!z) {
    return NULL;
  }
  buf_reset(&p->scratch);
  int n = redact_text_keys(z, strlen(z), p->bEmails, p->azExtraKeys,
                           &p->scratch);
  if (n <= 0 || buf_err(&p->scratch)) {
    return z;
  }
  if (bCount) {
    p->report.nMasked += n;
  }
  return buf_str(&p->scratch);
}


/* The run's incident takes the raw lines of zSource in its window and in
** the time range given to it (recorded by flush_given); without one, the
** incidents they match do (evidence_claim_source). */
static void note_source(IngestRun *p, const char *zSource, int64_t ts) {
  for (int i = 0; i < p->nGiven; i++) {
    SeriesKey *k = &p->aGiven[i];
    if (strncmp(k->zSource, zSource, sizeof(k->zSource) - 1) == 0) {
      k->first = ts < k->first ? ts : k->first;
      k->last = ts > k->last ? ts : k->last;
      return;
    }
  }
  if (p->nGiven < 64) {
    SeriesKey *k = &p->aGiven[p->nGiven++];
    copy_str(k->zSource, sizeof(k->zSource), zSource);
    k->first = k->last = ts;
  }
}

/* Writes the given sources and ranges; before every commit. */
static void flush_given(IngestRun *p) {
  for (int i = 0; i < p->nGiven && !p->rcDb; i++) {
    SeriesKey *k = &p->aGiven[i];
    if (!p->target.incidentId) {
      p->rcDb = evidence_claim_source(k->zSource, k->first, k->last);
      continue;
    }
    DbStmt *q = db_prepare(
        "INSERT INTO incident_sources (incident_id, source, first_ts,"
        " last_ts) VALUES (:inc, :source, :first, :last)"
        " ON CONFLICT (incident_id, source) DO UPDATE SET"
        " first_ts = CASE WHEN excluded.first_ts < incident_sources.first_ts"
        "  THEN excluded.first_ts ELSE incident_sources.first_ts END,"
        " last_ts = CASE WHEN excluded.last_ts > incident_sources.last_ts"
        "  THEN excluded.last_ts ELSE incident_sources.last_ts END");
    if (!q) {
      p->rcDb = E_DB;
      return;
    }
    db_bind_int(q, ":inc", p->target.incidentId);
    db_bind_text(q, ":source", k->zSource);
    db_bind_int(q, ":first", k->first);
    db_bind_int(q, ":last", k->last);
    p->rcDb = db_run(q);
  }
}

/* Stores one raw line. Returns 1 if new, 0 if a duplicate, -1 on error. */
static int store_raw(IngestRun *p, const IngestEvent *pEv, int bBad,
                     uint64_t grp) {
  const char *zSource = pEv->zSource ? pEv->zSource : p->zFormat;
  const char *zLine = mask(p, pEv->zRaw, 1);
  int rc = rawstore_append(p->pRaw, zSource, pEv->ts, pEv->line, zLine,
                           strlen(zLine), bBad, bBad ? grp : 0);
  if (rc < 0) {
    p->rcDb = rc;
    return -1;
  }
  if (rc > 0) {
    note_source(p, zSource, pEv->ts);
  }
  return p->rcDb ? -1 : rc;
}

static int64_t minute_of(int64_t ts) {
  return ts - ((ts % 60000) + 60000) % 60000;
}

static void note_series(IngestRun *p, const char *zSource, int64_t minute) {
  for (int i = 0; i < p->nSeries; i++) {
    SeriesKey *k = &p->aSeries[i];
    if (strncmp(k->zSource, zSource, sizeof(k->zSource) - 1) == 0) {
      k->first = minute < k->first ? minute : k->first;
      k->last = minute > k->last ? minute : k->last;
      return;
    }
  }
  if (p->nSeries < 64) {
    SeriesKey *k = &p->aSeries[p->nSeries++];
    copy_str(k->zSource, sizeof(k->zSource), zSource);
    k->first = k->last = minute;
  }
}

static void add_minute(IngestRun *p, const IngestEvent *pEv) {
  int64_t minute = minute_of(pEv->ts);
  const char *zSource = pEv->zSource ? pEv->zSource : p->zFormat;
  note_series(p, zSource, minute);
  uint64_t h = hash64(zSource, strlen(zSource), (uint64_t)minute);
  for (int i = 0; i < INGEST_MAX_GROUPS; i++) {
    MinuteCell *c = &p->aCell[(h + (uint64_t)i) % INGEST_MAX_GROUPS];
    if (!c->bUsed) {
      c->bUsed = 1;
      c->minute = minute;
      copy_str(c->zSource, sizeof(c->zSource), zSource);
    } else if (c->minute != minute ||
               strncmp(c->zSource, zSource, sizeof(c->zSource) - 1) != 0) {
      continue;
    }
    c->aCount[0]++;
    c->aCount[1] += pEv->status >= 400 && pEv->status < 500;
    c->aCount[2] += pEv->status >= 500;
    c->aCount[3] += pEv->bytes;
    return;
  }
  /* Table full (over 68 hours of minutes at once): flush and retry. */
  flush_minutes(p);
  memset(p->aCell, 0, sizeof(MinuteCell) * INGEST_MAX_GROUPS);
  add_minute(p, pEv);
}

/* The folded form of a message: digits and hex runs become '#', so
** "timeout after 3012 ms" and "timeout after 2999 ms" group together. */
static uint64_t message_group(const char *zSource, const char *zMsg) {
  char aFold[512];
  size_t n = 0;
  for (const char *z = zMsg; *z && n < sizeof(aFold) - 1; z++) {
    if ((*z >= '0' && *z <= '9')) {
      if (n == 0 || aFold[n - 1] != '#') {
        aFold[n++] = '#';
      }
    } else {
      aFold[n++] = *z;
    }
  }
  return hash64(aFold, n, hash64(zSource, strlen(zSource), 7)) | 1;
}


static void add_error(IngestRun *p, const IngestEvent *pEv, uint64_t grp,
                      int bNew) {
  for (int i = 0; i < INGEST_MAX_GROUPS; i++) {
    ErrorGroup *g = &p->aGroup[(grp + (uint64_t)i) % INGEST_MAX_GROUPS];
    if (!g->bUsed) {
      g->bUsed = 1;
      g->hash = grp;
      g->first = g->last = pEv->ts;
      g->firstLine = pEv->line;
      copy_str(g->zSource, sizeof(g->zSource),
               pEv->zSource ? pEv->zSource : p->zFormat);
      copy_str(g->zComponent, sizeof(g->zComponent), pEv->zComponent);
      copy_str(g->zLevel, sizeof(g->zLevel), pEv->zLevel);
      copy_str(g->zTitle, sizeof(g->zTitle), mask(p, pEv->zTitle, 0));
    } else if (g->hash != grp) {
      continue;
    }
    g->n++;
    g->nNew += bNew;
    g->first = pEv->ts < g->first ? pEv->ts : g->first;
    g->last = pEv->ts > g->last ? pEv->ts : g->last;
    return;
  }
  /* More distinct errors than the table holds: the rest stay raw lines. */
}

/* Stores an evidence item and puts it on the timelines it belongs on:
** the run's incident, or every incident it matches. Returns the number
** of incidents it went to, or -1 on error (p->rcDb set). */
static int put_evidence(IngestRun *p, const Evidence *pE) {
  int64_t id = 0;
  int rc = evidence_upsert(pE, &id);
  if (rc < 0) {
    p->rcDb = rc;
    return -1;
  }
  int nMatched = 0;
  if (p->target.incidentId) {
    rc = evidence_attach(id, p->target.incidentId, 0);
    if (rc < 0 && rc != E_NOTFOUND) {
      p->rcDb = rc;
      return -1;
    }
    note_touched(p, p->target.incidentId);
    nMatched = 1;
  } else {
    int64_t aInc[64];
    nMatched = evidence_draw_item(id, aInc, 64);
    if (nMatched < 0) {
      p->rcDb = nMatched;
      return -1;
    }
    for (int i = 0; i < nMatched && i < 64; i++) {
      note_touched(p, aInc[i]);
    }
  }
  slice_commit(p);
  return nMatched;
}

/* A condensed item (signal, burst): written unless already there as it
** is, so re-running a file, or the retry after a crash that stored it,
** changes nothing and tells no timeline to refresh. */
static void put_condensed(IngestRun *p, const Evidence *pE) {
  DbStmt *q = db_prepare(
      "SELECT 1 FROM evidence WHERE fingerprint = :fp AND count = :count"
      " AND kind = :kind AND title = :title"
      " AND coalesce(end_ts, -1) = coalesce(:end, -1)");
  if (!q) {
    p->rcDb = E_DB;
    return;
  }
  db_bind_text(q, ":fp", pE->zFp);
  db_bind_int(q, ":count", pE->count);
  db_bind_text(q, ":kind", pE->zKind);
  db_bind_text(q, ":title", pE->zTitle);
  db_bind_opt_int(q, ":end", pE->endTs);
  int bSame = db_step(q) == DB_ROW;
  db_reset(q);
  if (!bSame) {
    put_evidence(p, pE);
  }
}

/* Alerts, tickets, changes: one evidence item each, by fingerprint. */
static void store_item(IngestRun *p, const IngestEvent *pEv) {
  const char *zKind = pEv->zKind;
  if (enum_index(azEventKind, zKind) < 0 || strcmp(zKind, "note") == 0 ||
      strcmp(zKind, "signal") == 0 || strcmp(zKind, "status_update") == 0) {
    zKind = "log";
  }
  char zFp[160];
  int bAlert = strcmp(zKind, "alert") == 0;
  if (bAlert && pEv->zKey) {
    /* One firing instance: the key and its start time. */
    snprintf(zFp, sizeof(zFp), "alert:%.100s:%lld", pEv->zKey,
             (long long)pEv->ts);
  } else if (pEv->zKey) {
    snprintf(zFp, sizeof(zFp), "%s:%.120s", zKind, pEv->zKey);
  } else {
    char zHex[65];
    const char *zRaw = pEv->zRaw ? pEv->zRaw : "";
    sha256_hex(zRaw, strlen(zRaw), zHex);
    snprintf(zFp, sizeof(zFp), "%s:%lld:%.32s", zKind, (long long)pEv->ts,
             zHex);
  }
  int bResolved = pEv->zState && strcmp(pEv->zState, "resolved") == 0;
  /* Counted before the duplicate check: see mask(). */
  if (pEv->zRaw) {
    mask(p, pEv->zRaw, 1);
  } else {
    mask(p, pEv->zTitle, 1);
    mask(p, pEv->zBody, 1);
  }
  /* Was this exact notice seen before? Then it is a duplicate. A firing
  ** after its resolved notice (out of order) is one too. */
  int64_t id = 0, count = 0;
  int bEnded = 0;
  int bExists = evidence_find(zFp, &id, &bEnded, &count);
  if (bExists < 0) {
    p->rcDb = bExists;
    return;
  }
  if (bExists && (!bAlert || !bResolved || bEnded)) {
    p->report.nDuplicate++;
    return;
  }
  char *zTitle = xstrdup(mask(p, pEv->zTitle ? pEv->zTitle : "", 0));
  char *zBody = xstrdup(mask(p, pEv->zBody ? pEv->zBody : "", 0));
  char *zRaw = pEv->zRaw ? xstrdup(mask(p, pEv->zRaw, 0)) : NULL;
  Evidence e = {.zFp = zFp,
                .ts = pEv->ts,
                .endTs = bResolved && pEv->endTs != INT64_MIN ? pEv->endTs
                                                              : IN_UNSET,
                .zKind = zKind,
                .zSource = pEv->zSource,
                .zLevel = pEv->zLevel,
                .zComponent = pEv->zComponent,
                .zTitle = zTitle,
                .zBody = zBody,
                .zRaw = zRaw,
                .count = bExists ? count + 1 : 1};
  int nMatched = put_evidence(p, &e);
  free(zTitle);
  free(zBody);
  free(zRaw);
  if (nMatched < 0) {
    return;
  }
  p->report.nAccepted++;
  if (nMatched == 0 && bAlert && !bResolved && p->bAutoDeclare &&
      pEv->zLevel && strcmp(pEv->zLevel, "critical") == 0) {
    auto_declare(p, pEv, zFp);
  }
}

int ingest_run_event(IngestRun *p, const IngestEvent *pEv) {
  return on_event(p, pEv) ? (p->rcDb ? p->rcDb : E_DB) : 0;
}

static int on_event(void *pArg, const IngestEvent *pEv) {
  IngestRun *p = pArg;
  if (p->rcDb) {
    return 1;
  }
  const char *zKind = pEv->zKind ? pEv->zKind : "log";
  if (strcmp(zKind, "log") != 0 || !pEv->zRaw) {
    store_item(p, pEv);
    return p->rcDb != 0;
  }
  const char *zSource = pEv->zSource ? pEv->zSource : p->zFormat;
  int bAccess = pEv->status > 0;
  int bBad = bAccess ? pEv->status >= 500
                     : (pEv->zLevel && (strcmp(pEv->zLevel, "error") == 0 ||
                                        strcmp(pEv->zLevel, "critical") == 0));
  uint64_t grp = !bAccess && bBad
                     ? message_group(zSource, pEv->zTitle ? pEv->zTitle : "")
                     : 0;
  int bNew = store_raw(p, pEv, bBad, grp);
  if (bNew < 0) {
    return 1;
  }
  /* Error groups count duplicates too (a retry sees the lines a crashed
  ** run stored as duplicates); the series counts only new lines, but
  ** its condensing covers the duplicates' minutes. */
  if (!bAccess && bBad) {
    add_error(p, pEv, grp, bNew);
  }
  if (!bNew) {
    p->report.nDuplicate++;
    if (bAccess) {
      note_series(p, zSource, minute_of(pEv->ts));
    }
    return 0;
  }
  p->report.nAccepted++;
  if (p->target.incidentId) {
    note_touched(p, p->target.incidentId);
  }
  if (bAccess) {
    add_minute(p, pEv);
  }
  slice_commit(p);
  return p->rcDb != 0;
}
IngestRun *ingest_run_new(const char *zFormat, const IngestOptions *pOpt,
                          const IngestTarget *pTarget, int *pRc) {
  *pRc = 0;
  if (pTarget->incidentId) {
    DbStmt *q = db_prepare("SELECT 1 FROM incidents WHERE id = :id");
    if (!q) {
      *pRc = E_DB;
      return NULL;
    }
    db_bind_int(q, ":id", pTarget->incidentId);
    int bFound = db_step(q) == DB_ROW;
    db_reset(q);
    if (!bFound) {
      *pRc = E_NOTFOUND;
      return NULL;
    }
  }
  IngestRun *p = xcalloc(1, sizeof(*p));
  p->target = *pTarget;
  copy_str(p->zFormat, sizeof(p->zFormat), zFormat);
  p->report.pErrors = json_array();
  buf_init(&p->scratch, (size_t)1 << 20);
  /* "generic" has no parser: its caller hands over events directly. */
  int bGeneric = strcmp(zFormat, "generic") == 0;
  p->pParser = bGeneric ? NULL
                        : ingest_parser_new(zFormat, pOpt, on_event, reject,
                                            p);
  if (!p->pParser && !bGeneric) {
    *pRc = E_INVALID;
    ingest_run_free(p);
    return NULL;
  }
  p->aCell = xcalloc(INGEST_MAX_GROUPS, sizeof(MinuteCell));
  p->aGroup = xcalloc(INGEST_MAX_GROUPS, sizeof(ErrorGroup));
  p->pRaw = rawstore_writer_new();
  p->nBatch = env_count("HS_INGEST_BATCH", INGEST_BATCH);
  p->nCrashAfter = env_count("HS_INGEST_CRASH_AFTER", 0);
  p->bEmails = settings_get_int("redact.emails", 0) == 1;
  p->bAutoDeclare = settings_get_int("ingest.auto_declare", 0) == 1;
  p->zExtraKeys = settings_get("redact.keys", "");
  int nKey = 0;
  for (char *z = strtok(p->zExtraKeys, ", "); z && nKey < 16;
       z = strtok(NULL, ", ")) {
    p->azExtraKeys[nKey++] = z;
  }
  *pRc = db_begin_write();
  if (*pRc) {
    ingest_run_free(p);
    return NULL;
  }
  return p;
}

int ingest_run_feed(IngestRun *p, const char *z, size_t n) {
  if (p->rcDb) {
    return p->rcDb;
  }
  if (p->pParser) {
    ingest_parser_feed(p->pParser, z, n);
  }
  return p->rcDb;
}

/* Writes the minute cells still in memory. */
static void flush_minutes(IngestRun *p) {
  for (int i = 0; i < INGEST_MAX_GROUPS && !p->rcDb; i++) {
    MinuteCell *c = &p->aCell[i];
    if (!c->bUsed) {
      continue;
    }
    DbStmt *q = db_prepare(
        "INSERT INTO access_series (source, minute, requests, s4xx, s5xx,"
        " bytes) VALUES (:source, :minute, :n, :n4, :n5, :bytes)"
        " ON CONFLICT (source, minute) DO UPDATE SET"
        " requests = access_series.requests + :n,"
        " s4xx = access_series.s4xx + :n4, s5xx = access_series.s5xx + :n5,"
        " bytes = access_series.bytes + :bytes");
    if (!q) {
      p->rcDb = E_DB;
      return;
    }
    db_bind_text(q, ":source", c->zSource);
    db_bind_int(q, ":minute", c->minute);
    db_bind_int(q, ":n", c->aCount[0]);
    db_bind_int(q, ":n4", c->aCount[1]);
    db_bind_int(q, ":n5", c->aCount[2]);
    db_bind_int(q, ":bytes", c->aCount[3]);
    p->rcDb = db_run(q);
  }
}

static void format_hm(int64_t ms, char z[6]) {
  char zFull[25];
  utc_format(ms, zFull);
  memcpy(z, zFull + 11, 5);
  z[5] = 0;
}

/* Formats n with thousands separators into z. */
static void format_count(int64_t n, char *z, size_t nZ) {
  char aDigits[32];
  int nD = snprintf(aDigits, sizeof(aDigits), "%lld", (long long)n);
  size_t j = 0;
  for (int i = 0; i < nD && j + 2 < nZ; i++) {
    if (i > 0 && (nD - i) % 3 == 0) {
      z[j++] = ',';
    }
    z[j++] = aDigits[i];
  }
  z[j] = 0;
}

/* One run of high-error minutes becomes (or refreshes) a signal. */
static void emit_rate_signal(IngestRun *p, const char *zSource, double baseline,
                             int64_t start, int64_t peakMinute,
                             double peakRate, int64_t end, int64_t nReq,
                             int64_t n5xx) {
  char zStart[6], zPeak[6], zEnd[6], zReq[32], zTitle[300], zBody[600];
  char zFp[160];
  format_hm(start, zStart);
  format_hm(peakMinute, zPeak);
  format_hm(end, zEnd);
  format_count(nReq, zReq, sizeof(zReq));
  snprintf(zTitle, sizeof(zTitle),
           "5xx rate rose from %.1f%% to %.0f%% on %s at %s, peak %s, back "
           "to normal %s (%s requests)",
           baseline * 100, peakRate * 100, zSource, zStart, zPeak, zEnd,
           zReq);
  snprintf(zBody, sizeof(zBody),
           "%lld of %lld requests failed with 5xx between %s and %s UTC "
           "(baseline before: %.2f%%).",
           (long long)n5xx, (long long)nReq, zStart, zEnd, baseline * 100);
  snprintf(zFp, sizeof(zFp), "signal:5xx:%.100s:%lld", zSource,
           (long long)start);
  /* Its lines: the source's error lines from start to end (grp 0). */
  Evidence e = {.zFp = zFp,
                .ts = start,
                .endTs = end,
                .zKind = "signal",
                .zSource = zSource,
                .zLevel = peakRate >= 0.25 ? "critical" : "error",
                .zComponent = zSource,
                .zTitle = zTitle,
                .zBody = zBody,
                .count = n5xx};
  put_condensed(p, &e);
}

/*
** Finds runs of minutes whose 5xx rate stands clearly above the minutes
** before: at least 20 requests, a rate of at least 5% and over three times
** the baseline plus two points. The baseline is weighted by requests: all
** 5xx over all requests of the 15 unflagged minutes before the run, so a
** quiet minute (one request, one 503) cannot pass for a 100% norm. A run
** may have a one-minute gap.
*/
static void condense_series(IngestRun *p, const SeriesKey *pKey) {
  /* The minutes this run touched, the baseline's before them and a run's
  ** tail after them. */
  DbStmt *q = db_prepare(
      "SELECT minute, requests, s5xx FROM access_series"
      " WHERE source = :source AND minute >= :from AND minute <= :to"
      " ORDER BY minute");
  if (!q) {
    p->rcDb = E_DB;
    return;
  }
  db_bind_text(q, ":source", pKey->zSource);
  db_bind_int(q, ":from", pKey->first - 60LL * 60000);
  db_bind_int(q, ":to", pKey->last + 60LL * 60000);
  enum { WINDOW = 15, MAX_RUNS = 32 };
  int64_t aWinReq[WINDOW], aWin5xx[WINDOW];
  int nWin = 0, iWin = 0;
  /* Runs are collected first: the statement must finish before writes. */
  typedef struct Run {
    int64_t start, peak, lastBad, nReq, n5xx;
    double base, rate;
  } Run;
  Run aRun[MAX_RUNS];
  int nRun = 0, bIn = 0;
  Run cur = {0};
  while (db_step(q) == DB_ROW) {
    int64_t minute = db_col_int(q, 0);
    int64_t req = db_col_int(q, 1), e5 = db_col_int(q, 2);
    double rate = req ? (double)e5 / (double)req : 0;
    int64_t nBaseReq = 0, nBase5xx = 0;
    for (int i = 0; i < nWin; i++) {
      nBaseReq += aWinReq[i];
      nBase5xx += aWin5xx[i];
    }
    double base = nBaseReq ? (double)nBase5xx / (double)nBaseReq : 0;
    int bHigh = req >= 20 && rate >= 0.05 && rate > base * 3 + 0.02;
    /* A run tolerates one normal minute; a second one ends it. */
    if (bIn && (minute - cur.lastBad > 2 * 60000 ||
                (!bHigh && minute - cur.lastBad > 60000))) {
      if (nRun < MAX_RUNS) {
        aRun[nRun++] = cur;
      }
      bIn = 0;
    }
    if (bHigh) {
      if (!bIn) {
        bIn = 1;
        cur = (Run){minute, minute, minute, 0, 0, base, rate};
      }
      cur.nReq += req;
      cur.n5xx += e5;
      cur.lastBad = minute;
      if (rate > cur.rate) {
        cur.rate = rate;
        cur.peak = minute;
      }
    } else if (!bIn) {
      aWinReq[iWin] = req;
      aWin5xx[iWin] = e5;
      iWin = (iWin + 1) % WINDOW;
      nWin = nWin < WINDOW ? nWin + 1 : WINDOW;
    }
  }
  db_reset(q);
  if (bIn && nRun < MAX_RUNS) {
    aRun[nRun++] = cur;
  }
  for (int i = 0; i < nRun && !p->rcDb; i++) {
    emit_rate_signal(p, pKey->zSource, aRun[i].base, aRun[i].start,
                     aRun[i].peak, aRun[i].rate, aRun[i].lastBad + 60000,
                     aRun[i].nReq, aRun[i].n5xx);
  }
}

/* What a burst continues: its item's fingerprint, the message it shows
** (its first line's), and its range and count widened by the new lines. */
typedef struct BurstSoFar {
  char zFp[160];
  char zMessage[340];
  int64_t first, last, count;
} BurstSoFar;

/* The item of group g's message that a streamed push continues: one whose
** time range comes within BURST_GAP_MS of g's, and that started at most
** BURST_SPAN_MS before g's last line (an error that never stops makes an
** item an hour, not one that grows for weeks). 1 found (*pB filled), 0 not.
** A signal's title is "MESSAGE (xN on SOURCE, HH:MM to HH:MM)"; a plain
** item's is the message. */
static int burst_continued(IngestRun *p, const ErrorGroup *g, BurstSoFar *pB) {
  DbStmt *q = db_prepare(
      "SELECT fingerprint, ts, coalesce(end_ts, ts), count, kind, title"
      " FROM evidence"
      " WHERE grp = :grp AND ts <= :last AND coalesce(end_ts, ts) >= :first"
      " AND ts >= :oldest ORDER BY ts DESC LIMIT 1");
  if (!q) {
    p->rcDb = E_DB;
    return 0;
  }
  db_bind_int(q, ":grp", (int64_t)g->hash);
  db_bind_int(q, ":first", g->first - BURST_GAP_MS);
  db_bind_int(q, ":last", g->last + BURST_GAP_MS);
  db_bind_int(q, ":oldest", g->last - BURST_SPAN_MS);
  int bFound = db_step(q) == DB_ROW;
  if (bFound) {
    snprintf(pB->zFp, sizeof(pB->zFp), "%s", db_col_text(q, 0));
    pB->first = db_col_int(q, 1) < g->first ? db_col_int(q, 1) : g->first;
    pB->last = db_col_int(q, 2) > g->last ? db_col_int(q, 2) : g->last;
    pB->count = db_col_int(q, 3) + g->nNew;
    copy_str(pB->zMessage, sizeof(pB->zMessage), db_col_text(q, 5));
    char *zSuffix = strcmp(db_col_text(q, 4), "signal") == 0
                        ? strrchr(pB->zMessage, '(')
                        : NULL;
    if (zSuffix && zSuffix > pB->zMessage && zSuffix[-1] == ' ' &&
        zSuffix[1] == 'x') {
      zSuffix[-1] = 0;
    }
  }
  db_reset(q);
  return bFound;
}

/* Error groups: a burst becomes one signal, a few lines plain events. A
** streamed push in one transaction (the doors: often one line a push)
** continues the item its message already has close by, counting only its
** new lines, so one line a second still makes one burst; a re-push of
** lines already there changes nothing. Files and uploads keep items of
** their own, counted from every error line of the input, duplicates
** included (see the top of the file: that is what makes a retry after a
** crash come out right). */
static void condense_errors(IngestRun *p) {
  int bContinue = p->target.bStream && p->nCommits == 0;
  for (int i = 0; i < INGEST_MAX_GROUPS && !p->rcDb; i++) {
    ErrorGroup *g = &p->aGroup[i];
    if (!g->bUsed) {
      continue;
    }
    char zTitle[340], zFirst[6], zLast[6];
    BurstSoFar b = {.first = g->first, .last = g->last, .count = g->n};
    int bFound = bContinue && burst_continued(p, g, &b);
    if (p->rcDb) {
      return;
    }
    if (bFound && g->nNew == 0) {
      continue; /* a re-push: its item already counts these lines */
    }
    if (!bFound) {
      snprintf(b.zFp, sizeof(b.zFp), "burst:%016llx:%lld",
               (unsigned long long)g->hash, (long long)g->first);
      copy_str(b.zMessage, sizeof(b.zMessage), g->zTitle);
    }
    const char *zFp = b.zFp;
    int64_t first = b.first, last = b.last, n = b.count;
    /* Its lines: the group's, found by grp in its time range. */
    Evidence e = {.zFp = zFp,
                  .ts = first,
                  .endTs = IN_UNSET,
                  .zKind = "log",
                  .zSource = g->zSource,
                  .zLevel = g->zLevel,
                  .zComponent = g->zComponent,
                  .zTitle = b.zMessage,
                  .zBody = "",
                  .count = n,
                  .grp = g->hash};
    if (bContinue && last > first) {
      e.endTs = last; /* two lines apart: the next push finds where it ends */
    }
    if (n >= BURST_MIN) {
      format_hm(first, zFirst);
      format_hm(last, zLast);
      snprintf(zTitle, sizeof(zTitle), "%.200s (x%lld on %s, %s to %s)",
               b.zMessage, (long long)n, g->zSource, zFirst, zLast);
      e.zKind = "signal";
      e.endTs = last;
      e.zTitle = zTitle;
    }
    put_condensed(p, &e);
  }
}

int ingest_run_finish(IngestRun *p, IngestReport *pReport) {
  if (!p->rcDb && p->pParser) {
    ingest_parser_finish(p->pParser);
  }
  /* A run already in slices commits its last one before condensing (a
  ** smaller run stays one transaction; webhooks stay all or nothing). */
  if (!p->rcDb && p->nCommits > 0 && !p->target.bAllOrNothing) {
    commit_slice(p);
  }
  flush_minutes(p);
  for (int i = 0; i < p->nSeries && !p->rcDb; i++) {
    condense_series(p, &p->aSeries[i]);
  }
  if (!p->rcDb) {
    condense_errors(p);
  }
  for (int i = 0; i < p->nTouched && !p->rcDb; i++) {
    /* One change row per incident tells live pages to refresh. */
    json_t *pWhat = json_pack("{s:s, s:I}", "ingest", p->zFormat, "accepted",
                              (json_int_t)p->report.nAccepted);
    p->rcDb = audit_log("incident", p->aTouched[i], p->target.zActor,
                        "ingest", NULL, pWhat);
    json_decref(pWhat);
  }
  flush_given(p);
  if (!p->rcDb) {
    p->rcDb = rawstore_flush(p->pRaw);
  }
  int rc = p->rcDb;
  if (rc == 0 && p->target.bAllOrNothing && p->nBadInput > 0) {
    rc = E_INVALID;
  }
  if (rc == 0) {
    rc = db_commit();
  }
  if (rc) {
    db_rollback();
  } else {
    metrics_ingest(p->report.nAccepted, p->report.nDuplicate,
                   p->report.nRejected);
  }
  *pReport = p->report;
  p->report.pErrors = NULL;
  return rc;
}

void ingest_run_free(IngestRun *p) {
  if (!p) {
    return;
  }
  db_rollback(); /* no-op once committed */
  ingest_parser_free(p->pParser);
  rawstore_writer_free(p->pRaw);
  json_decref(p->report.pErrors);
  buf_free(&p->scratch);
  free(p->aCell);
  free(p->aGroup);
  free(p->zExtraKeys);
  free(p);
}

json_t *ingest_report_json(const IngestReport *p) {
  return json_pack("{s:I, s:I, s:I, s:I, s:o}", "accepted",
                   (json_int_t)p->nAccepted, "duplicates",
                   (json_int_t)p->nDuplicate, "rejected",
                   (json_int_t)p->nRejected, "masked",
                   (json_int_t)p->nMasked, "errors",
                   p->pErrors ? json_incref(p->pErrors) : json_array());
}
