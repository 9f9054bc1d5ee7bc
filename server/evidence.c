/*
** evidence.c: the incident-free evidence store and the one matching rule.
**
** Evidence e matches incident i when e's time lies in i's window,
** started_at - pad .. coalesce(resolved_at, now) + pad (pad =
** ingest.window_minutes), and, for an alert naming a component, i lists
** that component (names compared case-insensitively). EVIDENCE_MATCH is
** that rule as SQL, the only copy of it: ingest correlation
** (evidence_draw_item), auto-declare (which declares when that finds no
** incident) and draw-in/take-out (evidence_sync) all use it.
**
** Copies in events carry evidence_id; drawn = 1 marks those drawn by the
** rule, which take-out may delete again (never when pinned, edited, i.e.
** version > 1, or carrying a key moment). Ingest refreshes of a copy do
** not bump its version, so version > 1 means a person edited it.
**
** Threading: the calling thread's connection, inside its transaction.
*/
#include "evidence.h"

#include <stdio.h>
#include <string.h>

#include "db.h"
#include "err.h"
#include "input.h"
#include "settings.h"
#include "utc.h"

#define EVIDENCE_PAD_MINUTES 30 /* ingest.window_minutes' default */

/* e matches i; binds :pad and :now. */
#define EVIDENCE_MATCH                                                        \
  " e.ts BETWEEN i.started_at - :pad AND coalesce(i.resolved_at, :now)"       \
  "  + :pad"                                                                  \
  " AND (e.kind <> 'alert' OR e.component = '' OR EXISTS (SELECT 1"           \
  "  FROM incident_components ic JOIN components c"                           \
  "  ON c.id = ic.component_id WHERE ic.incident_id = i.id"                   \
  "  AND lower(c.name) = lower(e.component)))"

/* The copy of evidence e for incident i, as the INSERT's SELECT list. */
#define EVIDENCE_COPY                                                         \
  "INSERT INTO events (incident_id, ts, end_ts, kind, source, level,"         \
  " component, title, body, raw, fingerprint, count, author, created_at,"     \
  " updated_at, evidence_id, drawn)"                                          \
  " SELECT i.id, e.ts, e.end_ts, e.kind, e.source, e.level, e.component,"     \
  " e.title, e.body, e.raw, e.fingerprint, e.count, 'evidence', :now, :now,"  \
  " e.id, :drawn FROM incidents i JOIN evidence e"

int64_t evidence_pad_ms(void) {
  return settings_get_int("ingest.window_minutes", EVIDENCE_PAD_MINUTES) *
         60000;
}

int evidence_find(const char *zFp, int64_t *pId, int *pbEnded,
                  int64_t *pCount) {
  sqlite3_stmt *q = db_prepare("SELECT id, end_ts IS NOT NULL, count"
                               " FROM evidence WHERE fingerprint = :fp");
  if (!q) {
    return E_DB;
  }
  db_bind_text(q, ":fp", zFp);
  int bFound = db_step(q) == SQLITE_ROW;
  if (bFound) {
    *pId = db_col_int(q, 0);
    *pbEnded = (int)db_col_int(q, 1);
    *pCount = db_col_int(q, 2);
  }
  db_reset(q);
  return bFound;
}

int evidence_upsert(const Evidence *p, int64_t *pId) {
  static const char *const azLevel[] = {"debug",   "info",  "notice",
                                        "warning", "error", "critical",
                                        NULL};
  const char *zLevel = enum_index(azLevel, p->zLevel) < 0 ? "info"
                                                          : p->zLevel;
  int64_t id = 0, count = 0;
  int bEnded = 0;
  int rc = evidence_find(p->zFp, &id, &bEnded, &count);
  if (rc < 0) {
    return rc;
  }
  int64_t now = utc_now_ms();
  if (rc == 1) {
    sqlite3_stmt *q = db_prepare(
        "UPDATE evidence SET ts = min(ts, :ts), end_ts = coalesce(:end,"
        " end_ts), title = :title, body = :body, count = :count,"
        " updated_at = :now WHERE id = :id");
    if (!q) {
      return E_DB;
    }
    db_bind_int(q, ":ts", p->ts);
    db_bind_opt_int(q, ":end", p->endTs);
    db_bind_text(q, ":title", p->zTitle ? p->zTitle : "");
    db_bind_text(q, ":body", p->zBody ? p->zBody : "");
    db_bind_int(q, ":count", p->count);
    db_bind_int(q, ":now", now);
    db_bind_int(q, ":id", id);
    if (db_run(q)) {
      return E_DB;
    }
    /* The copies follow, except text a person edited. */
    q = db_prepare(
        "UPDATE events SET end_ts = coalesce(:end, end_ts), count = :count,"
        " title = CASE WHEN version = 1 THEN :title ELSE title END,"
        " body = CASE WHEN version = 1 THEN :body ELSE body END,"
        " updated_at = :now WHERE evidence_id = :id");
    if (!q) {
      return E_DB;
    }
    db_bind_opt_int(q, ":end", p->endTs);
    db_bind_text(q, ":title", p->zTitle ? p->zTitle : "");
    db_bind_text(q, ":body", p->zBody ? p->zBody : "");
    db_bind_int(q, ":count", p->count);
    db_bind_int(q, ":now", now);
    db_bind_int(q, ":id", id);
    if (db_run(q)) {
      return E_DB;
    }
    *pId = id;
    return 0;
  }
  sqlite3_stmt *q = db_prepare(
      "INSERT INTO evidence (fingerprint, ts, end_ts, kind, source, level,"
      " component, title, body, raw, count, grp, created_at, updated_at)"
      " VALUES (:fp, :ts, :end, :kind, :source, :level, :component, :title,"
      " :body, :raw, :count, :grp, :now, :now)");
  if (!q) {
    return E_DB;
  }
  db_bind_text(q, ":fp", p->zFp);
  db_bind_int(q, ":ts", p->ts);
  db_bind_opt_int(q, ":end", p->endTs);
  db_bind_text(q, ":kind", p->zKind);
  db_bind_text(q, ":source", p->zSource ? p->zSource : "");
  db_bind_text(q, ":level", zLevel);
  db_bind_text(q, ":component", p->zComponent ? p->zComponent : "");
  db_bind_text(q, ":title", p->zTitle ? p->zTitle : "");
  db_bind_text(q, ":body", p->zBody ? p->zBody : "");
  db_bind_text(q, ":raw", p->zRaw);
  db_bind_int(q, ":count", p->count);
  db_bind_int(q, ":grp", (int64_t)p->grp);
  db_bind_int(q, ":now", now);
  if (db_run(q)) {
    return E_DB;
  }
  *pId = db_last_id();
  return 1;
}

int evidence_draw_item(int64_t id, int64_t *aInc, int nInc) {
  sqlite3_stmt *q = db_prepare(
      "SELECT i.id FROM incidents i JOIN evidence e ON e.id = :id"
      " WHERE" EVIDENCE_MATCH " ORDER BY i.started_at DESC, i.id");
  if (!q) {
    return E_DB;
  }
  int64_t pad = evidence_pad_ms(), now = utc_now_ms();
  db_bind_int(q, ":id", id);
  db_bind_int(q, ":pad", pad);
  db_bind_int(q, ":now", now);
  int n = 0;
  int64_t aFound[64];
  while (db_step(q) == SQLITE_ROW && n < 64) {
    aFound[n++] = db_col_int(q, 0);
  }
  db_reset(q);
  for (int i = 0; i < n; i++) {
    sqlite3_stmt *w = db_prepare(EVIDENCE_COPY
                                 " ON e.id = :id WHERE i.id = :inc"
                                 " ON CONFLICT DO NOTHING");
    if (!w) {
      return E_DB;
    }
    db_bind_int(w, ":id", id);
    db_bind_int(w, ":inc", aFound[i]);
    db_bind_int(w, ":now", now);
    db_bind_int(w, ":drawn", 1);
    if (db_run(w)) {
      return E_DB;
    }
    if (i < nInc) {
      aInc[i] = aFound[i];
    }
  }
  return n;
}

int evidence_attach(int64_t id, int64_t incidentId, int bPin) {
  sqlite3_stmt *q = db_prepare(EVIDENCE_COPY
                               " ON e.id = :id WHERE i.id = :inc"
                               " ON CONFLICT DO NOTHING");
  if (!q) {
    return E_DB;
  }
  db_bind_int(q, ":id", id);
  db_bind_int(q, ":inc", incidentId);
  db_bind_int(q, ":now", utc_now_ms());
  db_bind_int(q, ":drawn", 0);
  if (db_run(q)) {
    return E_DB;
  }
  /* Already drawn in: it is now held on purpose. */
  q = db_prepare("UPDATE events SET drawn = 0,"
                 " pinned = CASE WHEN :pin THEN 1 ELSE pinned END"
                 " WHERE incident_id = :inc AND evidence_id = :id");
  if (!q) {
    return E_DB;
  }
  db_bind_int(q, ":pin", bPin != 0);
  db_bind_int(q, ":inc", incidentId);
  db_bind_int(q, ":id", id);
  if (db_run(q)) {
    return E_DB;
  }
  return db_changes() > 0 ? 0 : E_NOTFOUND;
}

int evidence_sync(int64_t incidentId) {
  int64_t pad = evidence_pad_ms(), now = utc_now_ms();
  sqlite3_stmt *q = db_prepare(
      "DELETE FROM events WHERE incident_id = :inc AND drawn = 1"
      " AND evidence_id IS NOT NULL AND pinned = 0 AND version = 1"
      " AND key IS NULL AND NOT EXISTS (SELECT 1 FROM incidents i"
      "  JOIN evidence e ON e.id = events.evidence_id"
      "  WHERE i.id = :inc AND" EVIDENCE_MATCH ")");
  if (!q) {
    return E_DB;
  }
  db_bind_int(q, ":inc", incidentId);
  db_bind_int(q, ":pad", pad);
  db_bind_int(q, ":now", now);
  if (db_run(q)) {
    return E_DB;
  }
  q = db_prepare(EVIDENCE_COPY " ON" EVIDENCE_MATCH " WHERE i.id = :inc"
                 " ON CONFLICT DO NOTHING");
  if (!q) {
    return E_DB;
  }
  db_bind_int(q, ":inc", incidentId);
  db_bind_int(q, ":pad", pad);
  db_bind_int(q, ":now", now);
  db_bind_int(q, ":drawn", 1);
  return db_run(q) ? E_DB : 0;
}

int evidence_component(const char *zName, char *z, size_t n) {
  sqlite3_stmt *q = db_prepare("SELECT name FROM components"
                               " WHERE lower(name) = lower(:name)"
                               " ORDER BY id LIMIT 1");
  if (!q) {
    return E_DB;
  }
  db_bind_text(q, ":name", zName);
  int bFound = db_step(q) == SQLITE_ROW;
  if (bFound) {
    snprintf(z, n, "%s", db_col_text(q, 0));
  }
  db_reset(q);
  return bFound;
}
