/*
** evidence.c: the incident-free evidence store and the one matching rule.
**
** Evidence e matches incident i when e's time lies in i's window,
** started_at - pad .. coalesce(resolved_at, now) + pad (pad =
** ingest.window_minutes), and, for an alert naming a component, i lists
** that component; for other evidence whose component or source is one of
** our components, i lists that one (names compared case-insensitively). EVIDENCE_MATCH is
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
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "db.h"
#include "err.h"
#include "input.h"
#include "settings.h"
#include "timeline.h"
#include "utc.h"

#define EVIDENCE_PAD_MINUTES 30 /* ingest.window_minutes' default */

/* e matches i; binds :pad and :now. An alert naming a component needs an
** incident listing it; other evidence whose component or source names one
** of our components (a CDN log sent with --source CDN) needs an incident
** listing that one; the rest matches by time alone. */
#define EVIDENCE_MATCH                                                         \
  " e.ts BETWEEN i.started_at - :pad AND coalesce(i.resolved_at, :now)"        \
  "  + :pad"                                                                   \
  " AND (CASE WHEN e.kind = 'alert' THEN e.component = ''"                     \
  "  ELSE NOT EXISTS (SELECT 1 FROM components c WHERE lower(c.name)"          \
  "   IN (lower(e.component), lower(e.source))) END"                           \
  "  OR EXISTS (SELECT 1 FROM incident_components ic JOIN components c"        \
  "  ON c.id = ic.component_id WHERE ic.incident_id = i.id"                    \
  "  AND lower(c.name) IN (lower(e.component), CASE WHEN e.kind = 'alert'"     \
  "   THEN lower(e.component) ELSE lower(e.source) END)))"

/* The copy of evidence e for incident i, as the INSERT's SELECT list. */
#define EVIDENCE_COPY                                                          \
  "INSERT INTO events (incident_id, ts, end_ts, kind, source, level,"          \
  " component, title, body, raw, fingerprint, count, author, created_at,"      \
  " updated_at, evidence_id, drawn)"                                           \
  " SELECT i.id, e.ts, e.end_ts, e.kind, e.source, e.level, e.component,"      \
  " e.title, e.body, e.raw, e.fingerprint, e.count, 'evidence', :now, :now,"   \
  " e.id, :drawn FROM incidents i JOIN evidence e"

int evidence_claim_source(const char *zSource, int64_t first, int64_t last) {
  DbStmt *q = db_prepare(
      "INSERT INTO incident_sources (incident_id, source, first_ts, last_ts)"
      " SELECT i.id, :source,"
      "  CASE WHEN :first > i.started_at - :pad THEN :first"
      "   ELSE i.started_at - :pad END,"
      "  CASE WHEN :last < coalesce(i.resolved_at, :now) + :pad THEN :last"
      "   ELSE coalesce(i.resolved_at, :now) + :pad END"
      " FROM incidents i"
      " WHERE i.started_at - :pad <= :last"
      " AND coalesce(i.resolved_at, :now) + :pad >= :first"
      " AND (NOT EXISTS (SELECT 1 FROM components c"
      "   WHERE lower(c.name) = lower(:source))"
      "  OR EXISTS (SELECT 1 FROM incident_components ic JOIN components c"
      "   ON c.id = ic.component_id WHERE ic.incident_id = i.id"
      "   AND lower(c.name) = lower(:source)))"
      " ON CONFLICT (incident_id, source) DO UPDATE SET"
      " first_ts = CASE WHEN excluded.first_ts < incident_sources.first_ts"
      "  THEN excluded.first_ts ELSE incident_sources.first_ts END,"
      " last_ts = CASE WHEN excluded.last_ts > incident_sources.last_ts"
      "  THEN excluded.last_ts ELSE incident_sources.last_ts END");
  if (!q) {
    return E_DB;
  }
  db_bind_text(q, ":source", zSource);
  db_bind_int(q, ":first", first);
  db_bind_int(q, ":last", last);
  db_bind_int(q, ":pad", evidence_pad_ms());
  db_bind_int(q, ":now", utc_now_ms());
  return db_run(q);
}

int64_t evidence_pad_ms(void) {
  return settings_get_int("ingest.window_minutes", EVIDENCE_PAD_MINUTES) *
         60000;
}

int evidence_scope(int64_t incidentId, int64_t *pFrom, int64_t *pTo) {
  DbStmt *q = db_prepare(
      "SELECT i.started_at - :pad, coalesce(i.resolved_at, :now) + :pad,"
      " (SELECT min(first_ts) FROM incident_sources WHERE incident_id = i.id),"
      " (SELECT max(last_ts) FROM incident_sources WHERE incident_id = i.id)"
      " FROM incidents i WHERE i.id = :inc");
  if (!q) {
    return E_DB;
  }
  db_bind_int(q, ":inc", incidentId);
  db_bind_int(q, ":pad", evidence_pad_ms());
  db_bind_int(q, ":now", utc_now_ms());
  int bFound = db_step(q) == DB_ROW;
  if (bFound) {
    *pFrom = db_col_int(q, 0);
    *pTo = db_col_int(q, 1);
    if (!db_col_is_null(q, 2) && db_col_int(q, 2) < *pFrom) {
      *pFrom = db_col_int(q, 2);
    }
    if (!db_col_is_null(q, 3) && db_col_int(q, 3) > *pTo) {
      *pTo = db_col_int(q, 3);
    }
  }
  db_reset(q);
  return bFound;
}

int evidence_find(const char *zFp, int64_t *pId, int *pbEnded,
                  int64_t *pCount) {
  DbStmt *q = db_prepare("SELECT id, end_ts IS NOT NULL, count"
                               " FROM evidence WHERE fingerprint = :fp");
  if (!q) {
    return E_DB;
  }
  db_bind_text(q, ":fp", zFp);
  int bFound = db_step(q) == DB_ROW;
  if (bFound) {
    *pId = db_col_int(q, 0);
    *pbEnded = (int)db_col_int(q, 1);
    *pCount = db_col_int(q, 2);
  }
  db_reset(q);
  return bFound;
}

int evidence_upsert(const Evidence *p, int64_t *pId) {
  static const char *const azLevel[] = {
      "debug", "info", "notice", "warning", "error", "critical", NULL};
  const char *zLevel = enum_index(azLevel, p->zLevel) < 0 ? "info" : p->zLevel;
  int64_t id = 0, count = 0;
  int bEnded = 0;
  int rc = evidence_find(p->zFp, &id, &bEnded, &count);
  if (rc < 0) {
    return rc;
  }
  int64_t now = utc_now_ms();
  if (rc == 1) {
    DbStmt *q = db_prepare(
        "UPDATE evidence SET ts = CASE WHEN :ts < ts THEN :ts ELSE ts END,"
        " end_ts = coalesce(:end,"
        " end_ts), kind = :kind, title = :title, body = :body,"
        " count = :count, updated_at = :now WHERE id = :id");
    if (!q) {
      return E_DB;
    }
    /* The kind follows too: a group of two lines stored by a run cut
    ** short becomes a burst signal once the rest of its lines come. */
    db_bind_text(q, ":kind", p->zKind);
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
        " kind = CASE WHEN version = 1 THEN :kind ELSE kind END,"
        " title = CASE WHEN version = 1 THEN :title ELSE title END,"
        " body = CASE WHEN version = 1 THEN :body ELSE body END,"
        " updated_at = :now WHERE evidence_id = :id");
    if (!q) {
      return E_DB;
    }
    db_bind_opt_int(q, ":end", p->endTs);
    db_bind_text(q, ":kind", p->zKind);
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
  DbStmt *q = db_prepare(
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
  DbStmt *q =
      db_prepare("SELECT i.id FROM incidents i JOIN evidence e ON e.id = :id"
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
  while (db_step(q) == DB_ROW && n < 64) {
    aFound[n++] = db_col_int(q, 0);
  }
  db_reset(q);
  for (int i = 0; i < n; i++) {
    DbStmt *w =
        db_prepare(EVIDENCE_COPY " ON e.id = :id WHERE i.id = :inc"
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
  DbStmt *q = db_prepare(EVIDENCE_COPY " ON e.id = :id WHERE i.id = :inc"
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
  DbStmt *q =
      db_prepare("DELETE FROM events WHERE incident_id = :inc AND drawn = 1"
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
  DbStmt *q = db_prepare("SELECT name FROM components"
                               " WHERE lower(name) = lower(:name)"
                               " ORDER BY id LIMIT 1");
  if (!q) {
    return E_DB;
  }
  db_bind_text(q, ":name", zName);
  int bFound = db_step(q) == DB_ROW;
  if (bFound) {
    snprintf(z, n, "%s", db_col_text(q, 0));
  }
  db_reset(q);
  return bFound;
}

/* Handlers ------------------------------------------------------------- */

static const char *const azEvidenceKind[] = {"signal", "alert", "ticket",
                                             "change", "log",   NULL};

/* A UTC time from the query (ISO 8601), or dflt when absent. 0 or an
** error already put to the request. */
static int query_time(Req *r, const char *zName, int64_t dflt, int64_t *pMs) {
  const char *z = req_query(r, zName);
  *pMs = dflt;
  if (!z || !*z) {
    return 0;
  }
  if (strlen(z) > 40 || utc_parse_iso(z, strlen(z), pMs)) {
    return req_fail(r, E_INVALID, "%s: a UTC time like 2026-11-20T11:38:00Z",
                    zName);
  }
  return 0;
}

/* A short text filter from the query, or NULL. 0 or an error. */
static int query_text(Req *r, const char *zName, const char **pz) {
  const char *z = req_query(r, zName);
  *pz = NULL;
  if (!z || !*z) {
    return 0;
  }
  if (strlen(z) > 200 || !utf8_valid(z, strlen(z))) {
    return req_fail(r, E_INVALID, "%s: at most 200 bytes of UTF-8", zName);
  }
  *pz = z;
  return 0;
}

/* The incidents holding copies of evidence id, as a JSON array of ids. */
static json_t *holders(int64_t id) {
  json_t *pOut = json_array();
  DbStmt *q = db_prepare(
      "SELECT DISTINCT incident_id FROM events WHERE evidence_id = :id"
      " ORDER BY incident_id LIMIT 20");
  if (!q) {
    return pOut;
  }
  db_bind_int(q, ":id", id);
  while (db_step(q) == DB_ROW) {
    json_array_append_new(pOut, json_integer(db_col_int(q, 0)));
  }
  db_reset(q);
  return pOut;
}

/* Values for the filter selects: distinct sources or components. */
static json_t *distinct_values(int bComponents) {
  json_t *pOut = json_array();
  DbStmt *q =
      bComponents ? db_prepare("SELECT DISTINCT component FROM evidence"
                               " WHERE component <> '' ORDER BY 1 LIMIT 200")
                  : db_prepare("SELECT DISTINCT source FROM evidence"
                               " WHERE source <> '' ORDER BY 1 LIMIT 200");
  if (!q) {
    return pOut;
  }
  while (db_step(q) == DB_ROW) {
    json_array_append_new(pOut, json_string(db_col_text(q, 0)));
  }
  db_reset(q);
  return pOut;
}

/* The raw-lines link of an item: a signal's or log item's own source and
** time range; for alerts and tickets every source around their time. */
static void raw_link(json_t *pItem, const char *zKind, const char *zSource,
                     int64_t ts, int64_t endTs) {
  int bLines = strcmp(zKind, "signal") == 0 || strcmp(zKind, "log") == 0;
  int64_t from = bLines ? ts : ts - 10 * 60000;
  int64_t to = bLines ? (endTs != IN_UNSET ? endTs + 60000 : ts + 60000)
                      : ts + 10 * 60000;
  char zFrom[25], zTo[25], zUrl[600];
  utc_format(from, zFrom);
  utc_format(to, zTo);
  char zEnc[400] = "";
  size_t j = 0;
  for (const char *z = bLines ? zSource : ""; *z && j + 4 < sizeof(zEnc); z++) {
    unsigned char c = (unsigned char)*z;
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
        (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_') {
      zEnc[j++] = (char)c;
    } else {
      j += (size_t)snprintf(zEnc + j, sizeof(zEnc) - j, "%%%02X", c);
    }
  }
  zEnc[j] = 0;
  snprintf(zUrl, sizeof(zUrl), "/app/evidence/raw?from=%s&to=%s%s%s", zFrom,
           zTo, zEnc[0] ? "&source=" : "", zEnc);
  json_object_set_new(pItem, "raw_url", json_string(zUrl));
}

int evidence_list(Req *r) {
  const char *zSource, *zComponent, *zKind = req_query(r, "kind");
  int64_t from, to;
  int rc = query_text(r, "source", &zSource);
  rc = rc ? rc : query_text(r, "component", &zComponent);
  rc = rc ? rc : query_time(r, "from", INT64_MIN, &from);
  rc = rc ? rc : query_time(r, "to", INT64_MAX, &to);
  if (rc) {
    return rc;
  }
  if (zKind && *zKind && enum_index(azEvidenceKind, zKind) < 0) {
    return req_fail(r, E_INVALID,
                    "kind: one of signal, alert, ticket, change, log");
  }
  if (zKind && !*zKind) {
    zKind = NULL;
  }
  /* Newest first; the cursor is the last item's "ts:id". */
  int64_t curTs = INT64_MAX, curId = INT64_MAX;
  const char *zCursor = req_query(r, "cursor");
  if (zCursor && *zCursor) {
    long long a, b;
    char cExtra;
    if (strlen(zCursor) > 64 ||
        sscanf(zCursor, "%lld:%lld%c", &a, &b, &cExtra) != 2) {
      return req_fail(r, E_INVALID, "cursor: not a cursor from this list");
    }
    curTs = a;
    curId = b;
  }
  enum { PAGE = 50 };
  DbStmt *q = db_prepare(
      "SELECT id, ts, end_ts, kind, source, level, component, title, count"
      " FROM evidence"
      " WHERE ((:kind IS NULL AND kind IN ('signal', 'alert', 'ticket'))"
      "  OR kind = :kind)"
      " AND (:source IS NULL OR source = :source)"
      " AND (:component IS NULL OR lower(component) = lower(:component))"
      " AND ts >= :from AND ts < :to"
      " AND (ts < :cur_ts OR (ts = :cur_ts AND id < :cur_id))"
      " ORDER BY ts DESC, id DESC LIMIT :limit");
  if (!q) {
    return E_DB;
  }
  db_bind_text(q, ":kind", zKind);
  db_bind_text(q, ":source", zSource);
  db_bind_text(q, ":component", zComponent);
  db_bind_int(q, ":from", from);
  db_bind_int(q, ":to", to);
  db_bind_int(q, ":cur_ts", curTs);
  db_bind_int(q, ":cur_id", curId);
  db_bind_int(q, ":limit", PAGE + 1);
  json_t *pItems = json_array();
  int n = 0;
  char zNext[64] = "";
  int64_t lastTs = 0, lastId = 0;
  while (db_step(q) == DB_ROW) {
    if (n == PAGE) {
      snprintf(zNext, sizeof(zNext), "%lld:%lld", (long long)lastTs,
               (long long)lastId);
      break;
    }
    lastId = db_col_int(q, 0);
    lastTs = db_col_int(q, 1);
    int64_t endTs = db_col_is_null(q, 2) ? IN_UNSET : db_col_int(q, 2);
    char zTs[25], zEnd[25];
    utc_format(lastTs, zTs);
    if (endTs != IN_UNSET) {
      utc_format(endTs, zEnd);
    }
    const char *zK = db_col_text(q, 3);
    json_t *pItem =
        json_pack("{s:I, s:s, s:o, s:s, s:s, s:s, s:s, s:s, s:I}", "id",
                  (json_int_t)lastId, "ts", zTs, "end_ts",
                  endTs != IN_UNSET ? json_string(zEnd) : json_null(), "kind",
                  zK, "source", db_col_text(q, 4), "level", db_col_text(q, 5),
                  "component", db_col_text(q, 6), "title", db_col_text(q, 7),
                  "count", (json_int_t)db_col_int(q, 8));
    raw_link(pItem, zK, db_col_text(q, 4), lastTs, endTs);
    json_array_append_new(pItems, pItem);
    n++;
  }
  db_reset(q);
  size_t i;
  json_t *pItem;
  json_array_foreach(pItems, i, pItem) {
    json_object_set_new(
        pItem, "incidents",
        holders(json_integer_value(json_object_get(pItem, "id"))));
  }
  r->pModel = json_pack("{s:o, s:o}", "items", pItems, "next_cursor",
                        zNext[0] ? json_string(zNext) : json_null());
  if (r->bJsonOut) {
    return 0;
  }
  /* The page: its filters as given, the choices, and open incidents to
  ** attach to. */
  r->pView =
      json_pack("{s:{s:s, s:s, s:s, s:s, s:s}, s:o, s:o, s:o, s:[]}", "filters",
                "source", zSource ? zSource : "", "component",
                zComponent ? zComponent : "", "kind", zKind ? zKind : "",
                "from", req_query(r, "from") ? req_query(r, "from") : "", "to",
                req_query(r, "to") ? req_query(r, "to") : "", "sources",
                distinct_values(0), "components", distinct_values(1), "kinds",
                json_pack("[s, s, s, s, s]", "signal", "alert", "ticket",
                          "change", "log"),
                "open_incidents");
  q = db_prepare("SELECT id, title FROM incidents WHERE resolved_at IS NULL"
                 " ORDER BY started_at DESC LIMIT 50");
  if (q) {
    json_t *pOpen = json_object_get(r->pView, "open_incidents");
    while (db_step(q) == DB_ROW) {
      json_array_append_new(pOpen, json_pack("{s:I, s:s}", "id",
                                             (json_int_t)db_col_int(q, 0),
                                             "title", db_col_text(q, 1)));
    }
    db_reset(q);
  }
  r->zTemplate = "evidence";
  r->zTitle = "Evidence";
  return 0;
}

int evidence_raw(Req *r) {
  const char *zSource, *zQ;
  int64_t from, to;
  int rc = query_text(r, "source", &zSource);
  rc = rc ? rc : query_text(r, "q", &zQ);
  rc = rc ? rc : query_time(r, "from", INT64_MIN, &from);
  rc = rc ? rc : query_time(r, "to", INT64_MAX, &to);
  if (rc) {
    return rc;
  }
  if (from == INT64_MIN || to == INT64_MAX || to <= from) {
    return req_fail(r, E_INVALID,
                    "from, to: a time window is required"
                    " (from before to)");
  }
  const char *azSource[2] = {zSource, NULL};
  RawQuery query = {.from = from,
                    .to = to,
                    .azSource = zSource ? azSource : NULL,
                    .bBadOnly = req_query(r, "bad") &&
                                strcmp(req_query(r, "bad"), "1") == 0,
                    .zText = zQ,
                    .bNoCase = 1};
  json_t *pPage = NULL;
  rc = timeline_raw_lines(r, &query, &pPage);
  if (rc) {
    return rc;
  }
  char zFrom[25], zTo[25], zWindow[120];
  utc_format(from, zFrom);
  utc_format(to, zTo);
  snprintf(zWindow, sizeof(zWindow), "%s to %s%s%.40s", zFrom, zTo,
           zSource ? " on " : "", zSource ? zSource : "");
  json_t *pKeep = json_pack("[{s:s, s:s}, {s:s, s:s}]", "name", "from", "value",
                            zFrom, "name", "to", "value", zTo);
  if (zSource) {
    json_array_append_new(
        pKeep, json_pack("{s:s, s:s}", "name", "source", "value", zSource));
  }
  r->pModel =
      json_pack("{s:s, s:s, s:s, s:o}", "q", zQ ? zQ : "", "window", zWindow,
                "raw_base", "/app/evidence/raw", "raw_keep", pKeep);
  json_object_update(r->pModel, pPage);
  json_decref(pPage);
  r->zTemplate = "raw_lines";
  r->zTitle = "Raw lines";
  return 0;
}

int evidence_attach_http(Req *r) {
  int64_t id, incidentId = 0;
  int rc = req_param_id(r, "id", &id);
  if (rc) {
    return rc;
  }
  json_t *pIn = NULL;
  rc = req_input(r, &pIn);
  if (rc) {
    return rc;
  }
  json_t *pInc = json_object_get(pIn, "incident_id");
  if (json_is_integer(pInc)) {
    incidentId = json_integer_value(pInc);
  } else if (json_is_string(pInc)) {
    char *zEnd;
    incidentId = strtoll(json_string_value(pInc), &zEnd, 10);
    incidentId = *zEnd ? 0 : incidentId;
  }
  if (incidentId < 1) {
    return req_fail(r, E_INVALID, "incident_id: choose an incident");
  }
  rc = db_begin_write();
  if (rc) {
    return rc;
  }
  DbStmt *q =
      db_prepare("SELECT (SELECT count(*) FROM evidence WHERE id = :id),"
                 " (SELECT count(*) FROM incidents WHERE id = :inc)");
  rc = E_DB;
  if (q) {
    db_bind_int(q, ":id", id);
    db_bind_int(q, ":inc", incidentId);
    rc = db_step(q) == DB_ROW
             ? (db_col_int(q, 0) && db_col_int(q, 1) ? 0 : E_NOTFOUND)
             : E_DB;
    db_reset(q);
  }
  /* Pinned: held on purpose, never taken out by a later edit. */
  rc = rc ? rc : evidence_attach(id, incidentId, 1);
  if (rc == 0) {
    json_t *pWhat = json_pack("{s:I}", "evidence_id", (json_int_t)id);
    rc = audit_log("incident", incidentId, r->zUser, "attach", NULL, pWhat);
    json_decref(pWhat);
  }
  rc = rc == 0 ? db_commit() : rc;
  if (rc) {
    db_rollback();
    return rc == E_NOTFOUND ? req_fail(r, rc, "no such evidence or incident")
                            : rc;
  }
  if (!r->bJsonOut) {
    char zTo[64];
    snprintf(zTo, sizeof(zTo), "/app/incidents/%lld", (long long)incidentId);
    r->zRedirect = arena_strdup(&r->arena, zTo);
    return 0;
  }
  q = db_prepare("SELECT id FROM events WHERE incident_id = :inc"
                 " AND evidence_id = :id");
  if (!q) {
    return E_DB;
  }
  db_bind_int(q, ":inc", incidentId);
  db_bind_int(q, ":id", id);
  int64_t eventId = db_step(q) == DB_ROW ? db_col_int(q, 0) : 0;
  db_reset(q);
  r->pModel =
      json_pack("{s:I, s:I, s:I}", "evidence_id", (json_int_t)id, "incident_id",
                (json_int_t)incidentId, "event_id", (json_int_t)eventId);
  return 0;
}
