/*
** retention.c: the retention sweep and its worker. Each kind has its own
** cutoff (now - N days, settings retention.*_days, default 14). Evidence
** rows older than their cutoff with no copy on any timeline go; raw lines
** and access minutes older than the logs cutoff go unless they fall in an
** incident's window (started_at - pad .. coalesce(resolved_at, now) +
** pad) or a range ingested into it by hand (incident_sources), which
** rawstore_expire() receives as keep-windows.
**
** Deletes run in batches of RETENTION_BATCH rows, each its own write
** transaction, so a first sweep over a large backlog never holds the
** write lock for long.
**
** Threading: the worker thread only, on its own connection.
*/
#include "retention.h"

#include <stdio.h>
#include <stdlib.h>

#include "arena.h"
#include "db.h"
#include "err.h"
#include "evidence.h"
#include "metrics.h"
#include "rawstore.h"
#include "settings.h"
#include "utc.h"
#include "worker.h"

#define RETENTION_INTERVAL_MS (60LL * 60 * 1000) /* hourly */
/* How often the lead is asked for: a node that dies, or an older node
** after a rolling upgrade (db_schema_ahead), hands the job on this fast. */
#define RETENTION_TICK_MS (60LL * 1000)
#define RETENTION_BATCH 5000
#define RETENTION_DEFAULT_DAYS 14
#define RETENTION_MAX_WINDOWS 100000 /* incidents kept as windows */

static Worker sweeper = WORKER_INIT; /* "retention" */

static int64_t cutoff(int64_t now, const char *zKey) {
  long long days = settings_get_int(zKey, RETENTION_DEFAULT_DAYS);
  days = days < 1 ? 1 : days > 36500 ? 36500 : days;
  return now - days * 86400000LL;
}

/* Deletes unheld evidence of one class older than its cutoff, a batch a
** transaction. Returns how many went, or -1. */
static int64_t sweep_evidence(int bLogs, int bAlerts, int64_t before) {
  int64_t nGone = 0;
  /* A read first: with nothing old, no write lock is taken at all. */
  DbStmt *q0 =
      db_prepare("SELECT 1 FROM evidence WHERE ts < :before LIMIT 1");
  if (!q0) {
    return -1;
  }
  db_bind_int(q0, ":before", before);
  int bAny = db_step(q0) == DB_ROW;
  db_reset(q0);
  for (; bAny;) {
    if (db_begin_write()) {
      return -1;
    }
    DbStmt *q = db_prepare(
        "DELETE FROM evidence WHERE id IN (SELECT e.id FROM evidence e"
        " WHERE e.ts < :before AND coalesce(e.end_ts, e.ts) < :before"
        " AND CASE WHEN e.kind IN ('log', 'signal') THEN :logs"
        "  WHEN e.kind = 'alert' THEN :alerts"
        "  ELSE 1 - :logs - :alerts END = 1"
        " AND NOT EXISTS (SELECT 1 FROM events v WHERE v.evidence_id = e.id)"
        " LIMIT :batch)");
    if (!q) {
      db_rollback();
      return -1;
    }
    db_bind_int(q, ":before", before);
    db_bind_int(q, ":logs", bLogs);
    db_bind_int(q, ":alerts", bAlerts);
    db_bind_int(q, ":batch", RETENTION_BATCH);
    if (db_run(q)) {
      db_rollback();
      return -1;
    }
    int n = db_changes();
    if (db_commit()) {
      db_rollback();
      return -1;
    }
    nGone += n;
    if (n < RETENTION_BATCH || worker_stopping(&sweeper)) {
      return nGone;
    }
  }
  return 0;
}

static int one_line(void *pArg, const RawLine *pLine) {
  (void)pLine;
  *(int *)pArg = 1;
  return 1;
}

/* 1 if anything older than before may go (raw lines, series minutes,
** declared-alert marks), else 0: the sweep then writes nothing. */
static int anything_old(int64_t before, int64_t alertsBefore) {
  int bAny = 0;
  char zNext[64];
  RawQuery query = {.from = INT64_MIN, .to = before, .nLimit = 1};
  if (rawstore_scan(&query, one_line, &bAny, zNext, sizeof(zNext)) || bAny) {
    return 1;
  }
  DbStmt *q = db_prepare(
      "SELECT 1 FROM access_series WHERE minute < :before UNION ALL"
      " SELECT 1 FROM alert_declared WHERE created_at < :alerts LIMIT 1");
  if (!q) {
    return 1;
  }
  db_bind_int(q, ":before", before);
  db_bind_int(q, ":alerts", alertsBefore);
  bAny = db_step(q) == DB_ROW;
  db_reset(q);
  return bAny;
}

/* Every incident's window, as rawstore_expire() takes them. NEW (free()).
** -1 on error, else how many. */
static int load_windows(int64_t now, int64_t **paKeep) {
  DbStmt *q =
      db_prepare("SELECT started_at - :pad, coalesce(resolved_at, :now) + :pad"
                 " FROM incidents UNION ALL SELECT first_ts, last_ts"
                 " FROM incident_sources LIMIT :max");
  if (!q) {
    return -1;
  }
  db_bind_int(q, ":pad", evidence_pad_ms());
  db_bind_int(q, ":now", now);
  db_bind_int(q, ":max", RETENTION_MAX_WINDOWS);
  int nAlloc = 64, n = 0;
  int64_t *a = xmalloc(sizeof(int64_t) * 2 * (size_t)nAlloc);
  while (db_step(q) == DB_ROW) {
    if (n == nAlloc) {
      nAlloc *= 2;
      a = xrealloc(a, sizeof(int64_t) * 2 * (size_t)nAlloc);
    }
    a[2 * n] = db_col_int(q, 0);
    a[2 * n + 1] = db_col_int(q, 1);
    n++;
  }
  db_reset(q);
  *paKeep = a;
  return n;
}

int retention_sweep(int64_t now, RetentionCounts *pOut) {
  int64_t logs = cutoff(now, "retention.logs_days");
  int64_t n1 = sweep_evidence(1, 0, logs);
  int64_t n2 = sweep_evidence(0, 1, cutoff(now, "retention.alerts_days"));
  int64_t n3 = sweep_evidence(0, 0, cutoff(now, "retention.tickets_days"));
  if (n1 < 0 || n2 < 0 || n3 < 0) {
    return E_DB;
  }
  pOut->nEvidence += n1 + n2 + n3;
  if (!anything_old(logs, cutoff(now, "retention.alerts_days"))) {
    return 0;
  }
  int64_t *aKeep = NULL;
  int nKeep = load_windows(now, &aKeep);
  if (nKeep < 0) {
    return E_DB;
  }
  int rc = db_begin_write();
  int64_t nRaw = -1;
  if (rc == 0) {
    nRaw = rawstore_expire(logs, aKeep, nKeep);
    rc = nRaw < 0 ? E_DB : 0;
  }
  free(aKeep);
  if (rc == 0) {
    DbStmt *q = db_prepare(
        "DELETE FROM access_series WHERE minute < :before AND NOT EXISTS"
        " (SELECT 1 FROM incidents i WHERE access_series.minute BETWEEN"
        "  i.started_at - :pad AND coalesce(i.resolved_at, :now) + :pad)"
        " AND NOT EXISTS (SELECT 1 FROM incident_sources s WHERE"
        "  access_series.minute BETWEEN s.first_ts - 60000 AND s.last_ts)");
    rc = E_DB;
    if (q) {
      db_bind_int(q, ":before", logs);
      db_bind_int(q, ":pad", evidence_pad_ms());
      db_bind_int(q, ":now", now);
      rc = db_run(q);
    }
  }
  if (rc == 0) {
    pOut->nMinutes += db_changes();
    /* Declared-by-alert marks outlive their alerts' re-deliveries. */
    DbStmt *q =
        db_prepare("DELETE FROM alert_declared WHERE created_at < :before");
    rc = E_DB;
    if (q) {
      db_bind_int(q, ":before", cutoff(now, "retention.alerts_days"));
      rc = db_run(q);
    }
  }
  rc = rc == 0 ? db_commit() : rc;
  if (rc) {
    db_rollback();
    return rc;
  }
  pOut->nRaw += nRaw;
  return 0;
}

static void sweep_loop(void *pArg) {
  (void)pArg;
  int64_t nextSweep = 0; /* utc ms: at start, then hourly */
  do {
    RetentionCounts counts = {0};
    if (!db_lead(DB_JOB_RETENTION)) {
      nextSweep = 0; /* another node sweeps; when it stops, sweep at once */
      continue;
    }
    int64_t now = utc_now_ms();
    if (now < nextSweep) {
      continue;
    }
    nextSweep = now + RETENTION_INTERVAL_MS;
    if (retention_sweep(now, &counts)) {
      fprintf(stderr, "hindsight: retention sweep failed; next round"
                      " tries again\n");
    }
    metrics_retention(counts.nEvidence, counts.nRaw, counts.nMinutes);
  } while (!worker_wait(&sweeper, RETENTION_TICK_MS));
  db_close_thread();
}

int retention_start(void) {
  return worker_start(&sweeper, sweep_loop, NULL) ? E_IO : 0;
}

void retention_stop(void) { worker_stop(&sweeper); }
