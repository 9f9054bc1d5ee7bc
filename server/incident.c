/*
** incident.c: declaring, listing, reading and editing incidents, for the
** pages under /app/incidents, the JSON API under /api/v1/incidents and the
** `hindsight incident` CLI.
**
** A row travels as a JSON object with times as integer milliseconds (or
** null); incident_api() turns it into the SPEC §4 shape (RFC 3339 times,
** metrics). Edits merge the input onto the loaded row, validate the whole
** result, and write it back with the version check in one transaction,
** logging before and after in `changes`.
**
** Threading: none of its own; uses the calling thread's connection.
*/
#include "incident.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "action.h"
#include "audit.h"
#include "chart.h"
#include "component.h"
#include "db.h"
#include "dbjson.h"
#include "err.h"
#include "evidence.h"
#include "input.h"
#include "md.h"
#include "request_key.h"
#include "search.h"
#include "timeline.h"
#include "update.h"
#include "utc.h"

/* Key moments in the order they must keep (escalated is outside it). */
static const char *const azMoment[] = {"started_at", "detected_at",
                                       "acknowledged_at", "mitigated_at",
                                       "resolved_at", NULL};
static const char *const azMetric[] = {
    NULL, "time_to_detect_s", "time_to_acknowledge_s", "time_to_mitigate_s",
    "time_to_resolve_s"};

/* Fields a client may send; the rest are refused by name. */
static const char *const azWritable[] = {
    "title",         "severity",        "status",       "impact",
    "public",        "components",      "commander",    "summary",
    "comms_lead",    "ops_lead",        "scribe",
    "started_at",    "detected_at",     "acknowledged_at", "escalated_at",
    "mitigated_at",  "resolved_at",     NULL};
/* Extra fields an HTML form carries. */
static const char *const azFormMeta[] = {"csrf_token", "version",
                                         "components_present", NULL};

#define TITLE_MAX 200
#define SUMMARY_MAX 65536

/* Loads the internal row (times in ms). NEW or NULL; *pRc says why. */
static json_t *incident_row(int64_t id, int *pRc) {
  DbStmt *p = db_prepare(
      "SELECT id, title, severity, status, impact, public, commander,"
      " summary, started_at, detected_at, acknowledged_at, escalated_at,"
      " mitigated_at, resolved_at, created_by, created_at, updated_at,"
      " version, comms_lead, ops_lead, scribe FROM incidents WHERE id = :id");
  if (!p) {
    *pRc = E_DB;
    return NULL;
  }
  db_bind_int(p, ":id", id);
  int rc = db_step(p);
  if (rc != DB_ROW) {
    db_reset(p);
    *pRc = rc == DB_DONE ? E_NOTFOUND : E_DB;
    return NULL;
  }
  json_t *pRow = json_pack(
      "{s:I, s:s, s:s, s:s, s:s, s:b, s:s, s:s, s:o, s:o, s:o, s:o, s:o,"
      " s:o, s:s, s:I, s:I, s:I}",
      "id", (json_int_t)db_col_int(p, 0), "title", db_col_text(p, 1),
      "severity", db_col_text(p, 2), "status", db_col_text(p, 3), "impact",
      db_col_text(p, 4), "public", (int)db_col_int(p, 5), "commander",
      db_col_text(p, 6), "summary", db_col_text(p, 7), "started_at",
      dbjson_int(p, 8), "detected_at", dbjson_int(p, 9),
      "acknowledged_at", dbjson_int(p, 10), "escalated_at",
      dbjson_int(p, 11), "mitigated_at", dbjson_int(p, 12),
      "resolved_at", dbjson_int(p, 13), "created_by", db_col_text(p, 14),
      "created_at", (json_int_t)db_col_int(p, 15), "updated_at",
      (json_int_t)db_col_int(p, 16), "version",
      (json_int_t)db_col_int(p, 17));
  static const char *const azRole[] = {"comms_lead", "ops_lead", "scribe"};
  for (int i = 0; i < 3; i++) {
    json_object_set_new(pRow, azRole[i], json_string(db_col_text(p, 18 + i)));
  }
  db_reset(p);
  p = db_prepare("SELECT c.name FROM incident_components ic"
                 " JOIN components c ON c.id = ic.component_id"
                 " WHERE ic.incident_id = :id ORDER BY c.position, c.name");
  json_t *pNames = json_array();
  if (p) {
    db_bind_int(p, ":id", id);
    while (db_step(p) == DB_ROW) {
      json_array_append_new(pNames, json_string(db_col_text(p, 0)));
    }
    db_reset(p);
  }
  json_object_set_new(pRow, "components", pNames);
  *pRc = 0;
  return pRow;
}

static json_t *time_json(json_t *pMs) {
  if (!json_is_integer(pMs)) {
    return json_null();
  }
  char z[25];
  utc_format(json_integer_value(pMs), z);
  return json_string(z);
}

/* The SPEC §4 shape of an internal row. NEW. */
static json_t *incident_api(json_t *pRow) {
  json_t *pOut = json_copy(pRow);
  static const char *const azTimes[] = {"started_at",   "detected_at",
                                        "acknowledged_at", "escalated_at",
                                        "mitigated_at", "resolved_at",
                                        "created_at",   "updated_at", NULL};
  for (int i = 0; azTimes[i]; i++) {
    json_object_set_new(pOut, azTimes[i],
                        time_json(json_object_get(pRow, azTimes[i])));
  }
  json_t *pMetrics = json_object();
  json_t *pStart = json_object_get(pRow, "started_at");
  for (int i = 1; azMoment[i]; i++) {
    json_t *pAt = json_object_get(pRow, azMoment[i]);
    if (json_is_integer(pStart) && json_is_integer(pAt)) {
      json_int_t d = json_integer_value(pAt) - json_integer_value(pStart);
      json_object_set_new(pMetrics, azMetric[i], json_integer(d / 1000));
    } else {
      json_object_set_new(pMetrics, azMetric[i], json_null());
    }
  }
  json_object_set_new(pOut, "metrics", pMetrics);
  return pOut;
}

json_t *incident_load(int64_t id) {
  int rc;
  json_t *pRow = incident_row(id, &rc);
  if (!pRow) {
    return NULL;
  }
  json_t *pOut = incident_api(pRow);
  json_decref(pRow);
  return pOut;
}

/* Key moments must not run backwards. 0 or E_INVALID naming both. */
static int check_moment_order(json_t *pRow, char *zErr, size_t nErr) {
  const char *zPrevName = NULL;
  json_int_t prev = 0;
  for (int i = 0; azMoment[i]; i++) {
    json_t *pAt = json_object_get(pRow, azMoment[i]);
    if (!json_is_integer(pAt)) {
      continue;
    }
    json_int_t at = json_integer_value(pAt);
    if (zPrevName && at < prev) {
      snprintf(zErr, nErr, "%s: cannot be before %s", azMoment[i],
               zPrevName);
      return E_INVALID;
    }
    zPrevName = azMoment[i];
    prev = at;
  }
  return 0;
}

/*
** Applies the fields of pIn onto pRow (internal form), validating each,
** then the moment order. bForm: the input came from an HTML form.
*/
static int incident_apply(json_t *pRow, json_t *pIn, int bForm, char *zErr,
                          size_t nErr) {
  int rc = in_only_known(pIn, azWritable, zErr, nErr);
  if (rc && bForm) {
    /* Forms also carry their own bookkeeping fields. */
    json_t *pCopy = json_copy(pIn);
    for (int i = 0; azFormMeta[i]; i++) {
      json_object_del(pCopy, azFormMeta[i]);
    }
    rc = in_only_known(pCopy, azWritable, zErr, nErr);
    json_decref(pCopy);
  }
  if (rc) {
    return rc;
  }
  const char *z = NULL;
  int bSet = 0;
  rc = in_string(pIn, "title", TITLE_MAX, 1, &z, &bSet, zErr, nErr);
  if (rc) {
    return rc;
  }
  if (bSet) {
    size_t n = strspn(z, " \t");
    if (z[n] == 0) {
      snprintf(zErr, nErr, "title: must not be empty");
      return E_INVALID;
    }
    json_object_set_new(pRow, "title", json_string(z));
  }
  static const struct {
    const char *zField;
    const char *const *az;
  } aEnum[] = {{"severity", azSeverity},
               {"status", azIncidentStatus},
               {"impact", azImpact}};
  const char *zOldStatus = json_string_value(json_object_get(pRow, "status"));
  int bWasOpen = zOldStatus && enum_index(azIncidentStatus, zOldStatus) < 3;
  for (size_t i = 0; i < sizeof(aEnum) / sizeof(aEnum[0]); i++) {
    z = NULL;
    rc = in_enum(pIn, aEnum[i].zField, aEnum[i].az, &z, zErr, nErr);
    if (rc) {
      return rc;
    }
    if (z) {
      json_object_set_new(pRow, aEnum[i].zField, json_string(z));
    }
  }
  static const char *const azRole[] = {"commander", "comms_lead", "ops_lead",
                                       "scribe", NULL};
  for (int i = 0; azRole[i]; i++) {
    z = NULL;
    rc = in_string(pIn, azRole[i], 100, 1, &z, NULL, zErr, nErr);
    if (rc) {
      return rc;
    }
    if (z) {
      json_object_set_new(pRow, azRole[i], json_string(z));
    }
  }
  z = NULL;
  rc = in_string(pIn, "summary", SUMMARY_MAX, 0, &z, NULL, zErr, nErr);
  if (rc) {
    return rc;
  }
  if (z) {
    json_object_set_new(pRow, "summary", json_string(z));
  }
  int bPublic = json_is_true(json_object_get(pRow, "public"));
  rc = in_bool(pIn, "public", &bPublic, zErr, nErr);
  if (rc) {
    return rc;
  }
  json_object_set_new(pRow, "public", json_boolean(bPublic));
  json_t *pList = NULL;
  rc = in_string_list(pIn, "components", 50, 100, &pList, zErr, nErr);
  if (rc) {
    return rc;
  }
  if (!pList && bForm && json_object_get(pIn, "components_present")) {
    pList = json_array(); /* every box unticked */
  }
  if (pList) {
    json_object_set_new(pRow, "components", pList);
  }
  static const char *const azTimes[] = {"started_at",      "detected_at",
                                        "acknowledged_at", "escalated_at",
                                        "mitigated_at",    "resolved_at",
                                        NULL};
  int abSet[6] = {0};
  for (int i = 0; azTimes[i]; i++) {
    int64_t ms = IN_UNSET;
    rc = in_time(pIn, azTimes[i], &ms, &abSet[i], zErr, nErr);
    if (rc) {
      return rc;
    }
    if (abSet[i]) {
      json_object_set_new(pRow, azTimes[i],
                          ms == IN_UNSET ? json_null() : json_integer(ms));
    }
  }
  if (!json_is_integer(json_object_get(pRow, "started_at"))) {
    snprintf(zErr, nErr, "started_at: is required");
    return E_INVALID;
  }
  /* A status change fills the moment it implies, unless given. */
  const char *zStatus = json_string_value(json_object_get(pRow, "status"));
  int iStatus = enum_index(azIncidentStatus, zStatus);
  int64_t now = utc_now_ms();
  if (iStatus >= 2 && !abSet[4] &&
      json_is_null(json_object_get(pRow, "mitigated_at"))) {
    json_object_set_new(pRow, "mitigated_at", json_integer(now));
  }
  if (iStatus >= 3 && !abSet[5] &&
      json_is_null(json_object_get(pRow, "resolved_at"))) {
    json_object_set_new(pRow, "resolved_at", json_integer(now));
  }
  if (iStatus < 3 && !bWasOpen && !abSet[5]) {
    json_object_set_new(pRow, "resolved_at", json_null()); /* reopened */
  }
  return check_moment_order(pRow, zErr, nErr);
}

static void bind_row(DbStmt *p, json_t *pRow) {
  static const char *const azText[] = {
      "title",   "severity",   "status",   "impact", "commander",
      "summary", "comms_lead", "ops_lead", "scribe", NULL};
  char zParam[32];
  for (int i = 0; azText[i]; i++) {
    snprintf(zParam, sizeof(zParam), ":%s", azText[i]);
    db_bind_text(p, zParam,
                 json_string_value(json_object_get(pRow, azText[i])));
  }
  db_bind_int(p, ":public", json_is_true(json_object_get(pRow, "public")));
  static const char *const azTimes[] = {"started_at",      "detected_at",
                                        "acknowledged_at", "escalated_at",
                                        "mitigated_at",    "resolved_at",
                                        NULL};
  for (int i = 0; azTimes[i]; i++) {
    json_t *pAt = json_object_get(pRow, azTimes[i]);
    snprintf(zParam, sizeof(zParam), ":%s", azTimes[i]);
    db_bind_opt_int(p, zParam,
                    json_is_integer(pAt) ? json_integer_value(pAt)
                                         : IN_UNSET);
  }
}

/* Writes the whole row back inside the caller's transaction; version -1
** skips the version check. 0, E_CONFLICT (stale or gone) or E_DB. */
static int incident_write(int64_t id, json_t *pRow, int64_t version) {
  DbStmt *p = db_prepare(
      "UPDATE incidents SET title = :title, severity = :severity,"
      " status = :status, impact = :impact, public = :public,"
      " commander = :commander, summary = :summary,"
      " comms_lead = :comms_lead, ops_lead = :ops_lead, scribe = :scribe,"
      " started_at = :started_at, detected_at = :detected_at,"
      " acknowledged_at = :acknowledged_at, escalated_at = :escalated_at,"
      " mitigated_at = :mitigated_at, resolved_at = :resolved_at,"
      " updated_at = :now, version = version + 1"
      " WHERE id = :id AND (:version < 0 OR version = :version)");
  if (!p) {
    return E_DB;
  }
  bind_row(p, pRow);
  db_bind_int(p, ":now", utc_now_ms());
  db_bind_int(p, ":id", id);
  db_bind_int(p, ":version", version);
  int rc = db_run(p);
  if (rc == 0 && db_changes() == 0) {
    rc = E_CONFLICT;
  }
  return rc;
}

int incident_set_moment(int64_t id, const char *zKey, int64_t ms,
                        const char *zActor, char *zErr, size_t nErr) {
  static const char *const azKeys[] = {"started",   "detected",
                                       "acknowledged", "escalated",
                                       "mitigated", "resolved", NULL};
  if (enum_index(azKeys, zKey) < 0) {
    snprintf(zErr, nErr, "key: must be one of started, detected,"
                         " acknowledged, escalated, mitigated, resolved");
    return E_INVALID;
  }
  int rc;
  json_t *pBefore = incident_row(id, &rc);
  if (!pBefore) {
    return rc;
  }
  char zField[32];
  snprintf(zField, sizeof(zField), "%s_at", zKey);
  json_t *pRow = json_deep_copy(pBefore);
  if (ms != IN_UNSET) {
    json_object_set_new(pRow, zField, json_integer(ms));
  } else if (strcmp(zKey, "started") != 0) {
    json_object_set_new(pRow, zField, json_null()); /* started stays */
  }
  rc = check_moment_order(pRow, zErr, nErr);
  if (rc == 0 && !json_equal(pRow, pBefore)) {
    rc = incident_write(id, pRow, -1);
    if (rc == 0) {
      rc = evidence_sync(id); /* its window moved */
    }
    if (rc == 0) {
      rc = audit_log("incident", id, zActor, "update", pBefore, pRow);
    }
  }
  json_decref(pRow);
  json_decref(pBefore);
  return rc;
}

/* Puts a change to the header (status, severity, roles, components) on the
** timeline as a "change" event at ts with who, inside the caller's
** transaction. The incident's own audit row already holds the change, so
** the event gets none. */
static int add_change_event(int64_t id, const char *zActor, int64_t ts,
                            const char *zTitle) {
  int64_t now = utc_now_ms();
  DbStmt *p = db_prepare(
      "INSERT INTO events (incident_id, ts, kind, source, level, title, body,"
      " author, created_at, updated_at) VALUES (:inc, :ts, 'change',"
      " 'hindsight', 'info', :title, '', :author, :now, :now)");
  if (!p) {
    return E_DB;
  }
  db_bind_int(p, ":inc", id);
  db_bind_int(p, ":ts", ts);
  db_bind_int(p, ":now", now);
  db_bind_text(p, ":title", zTitle);
  db_bind_text(p, ":author", zActor);
  return db_run(p);
}

static const char *row_text(json_t *pRow, const char *zKey) {
  const char *z = json_string_value(json_object_get(pRow, zKey));
  return z ? z : "";
}

/* Whether the JSON array pList holds the string z. */
static int has_name(json_t *pList, const char *z) {
  size_t i;
  json_t *p;
  json_array_foreach(pList, i, p) {
    if (strcmp(json_string_value(p), z) == 0) {
      return 1;
    }
  }
  return 0;
}

static int note_changes(int64_t id, const char *zActor, json_t *pBefore,
                        json_t *pRow) {
  char zTitle[300];
  int rc = 0;
  int64_t now = utc_now_ms();
  if (!pBefore) {
    /* Declared after the fact (a start in the past): the declaration heads
    ** the timeline at the impact's start; its created_at says when. */
    json_t *pStart = json_object_get(pRow, "started_at");
    int64_t ts = json_is_integer(pStart) && json_integer_value(pStart) < now
                     ? json_integer_value(pStart)
                     : now;
    snprintf(zTitle, sizeof(zTitle), "Declared %s incident",
             row_text(pRow, "severity"));
    return add_change_event(id, zActor, ts, zTitle);
  }
  static const struct {
    const char *zKey, *zWhat;
  } aField[] = {{"severity", "Severity changed"},
                {"status", "Status changed"},
                {"impact", "Customer impact changed"},
                {"commander", "Commander assigned"},
                {"comms_lead", "Communications lead assigned"},
                {"ops_lead", "Operations lead assigned"},
                {"scribe", "Scribe assigned"}};
  for (size_t i = 0; rc == 0 && i < sizeof(aField) / sizeof(aField[0]);
       i++) {
    const char *zOld = row_text(pBefore, aField[i].zKey);
    const char *zNew = row_text(pRow, aField[i].zKey);
    if (strcmp(zOld, zNew) != 0) {
      snprintf(zTitle, sizeof(zTitle), "%s: %.100s \xe2\x86\x92 %.100s",
               aField[i].zWhat, *zOld ? zOld : "nobody",
               *zNew ? zNew : "nobody");
      rc = add_change_event(id, zActor, now, zTitle);
    }
  }
  json_t *pOld = json_object_get(pBefore, "components");
  json_t *pNew = json_object_get(pRow, "components");
  size_t i;
  json_t *pName;
  json_array_foreach(pNew, i, pName) {
    if (rc == 0 && !has_name(pOld, json_string_value(pName))) {
      snprintf(zTitle, sizeof(zTitle), "Component added: %.200s",
               json_string_value(pName));
      rc = add_change_event(id, zActor, now, zTitle);
    }
  }
  json_array_foreach(pOld, i, pName) {
    if (rc == 0 && !has_name(pNew, json_string_value(pName))) {
      snprintf(zTitle, sizeof(zTitle), "Component removed: %.200s",
               json_string_value(pName));
      rc = add_change_event(id, zActor, now, zTitle);
    }
  }
  return rc;
}

int incident_declare(json_t *pIn, int bForm, const char *zActor,
                     int64_t *pId, char *zErr, size_t nErr) {
  int64_t now = utc_now_ms();
  json_t *pRow = json_pack(
      "{s:s, s:s, s:s, s:s, s:b, s:s, s:s, s:s, s:s, s:s, s:I, s:n, s:n,"
      " s:n, s:n, s:n, s:[]}",
      "title", "", "severity", "SEV3", "status", "investigating", "impact",
      "minor", "public", 0, "commander", zActor, "comms_lead", "",
      "ops_lead", "", "scribe", "", "summary", "", "started_at",
      (json_int_t)now, "detected_at", "acknowledged_at", "escalated_at",
      "mitigated_at", "resolved_at", "components");
  RequestKey reqKey;
  int rc = request_key_read(pIn, "incidents", &reqKey, zErr, nErr);
  if (rc == 0 && !json_object_get(pIn, "title")) {
    snprintf(zErr, nErr, "title: is required");
    rc = E_INVALID;
  }
  if (rc == 0) {
    rc = incident_apply(pRow, pIn, bForm, zErr, nErr);
  }
  if (rc == 0) {
    rc = db_begin_write();
  }
  if (rc == 0) {
    /* Declared again (its first answer lost): the first try's incident. */
    rc = request_key_find(zActor, &reqKey, pId);
    if (rc) {
      db_rollback();
      json_decref(pRow);
      return rc == 1 ? 0 : rc;
    }

    DbStmt *p = db_prepare(
        "INSERT INTO incidents (title, severity, status, impact, public,"
        " commander, summary, comms_lead, ops_lead, scribe, started_at,"
        " detected_at, acknowledged_at,"
        " escalated_at, mitigated_at, resolved_at, created_by, created_at,"
        " updated_at) VALUES (:title, :severity, :status, :impact, :public,"
        " :commander, :summary, :comms_lead, :ops_lead, :scribe, :started_at, :detected_at, :acknowledged_at,"
        " :escalated_at, :mitigated_at, :resolved_at, :actor, :now, :now)");
    rc = E_DB;
    if (p) {
      bind_row(p, pRow);
      db_bind_text(p, ":actor", zActor);
      db_bind_int(p, ":now", now);
      rc = db_run(p);
    }
    if (rc == 0) {
      *pId = db_last_id();
      rc = request_key_save(zActor, &reqKey, *pId);
    }
    if (rc == 0) {
      rc = component_link(COMPONENT_LINK_INCIDENT, *pId,
                          json_object_get(pRow, "components"), zErr, nErr);
    }
    if (rc == 0) {
      rc = evidence_sync(*pId); /* what came before it was declared */
    }
    if (rc == 0) {
      rc = audit_log("incident", *pId, zActor, "create", NULL, pRow);
    }
    if (rc == 0) {
      rc = note_changes(*pId, zActor, NULL, pRow);
    }
    rc = rc == 0 ? db_commit() : rc;
    if (rc) {
      db_rollback();
    }
  }
  json_decref(pRow);
  return rc;
}

/* Handlers ------------------------------------------------------------- */

/* Enumerations and components for the forms of the HTML view; pChosen
** (may be NULL) lists the component names to show ticked. */
static void add_form_choices(Req *r, json_t *pChosen) {
  if (!r->pView) {
    r->pView = json_object();
  }
  json_object_set_new(r->pView, "severities", enum_json(azSeverity));
  json_object_set_new(r->pView, "statuses", enum_json(azIncidentStatus));
  json_object_set_new(r->pView, "impacts", enum_json(azImpact));
  json_t *pAll = json_array();
  DbStmt *p =
      db_prepare("SELECT name FROM components ORDER BY position, name");
  if (p) {
    while (db_step(p) == DB_ROW) {
      const char *zName = db_col_text(p, 0);
      int bChecked = 0;
      size_t i;
      json_t *pName;
      json_array_foreach(pChosen, i, pName) {
        bChecked |= strcmp(json_string_value(pName), zName) == 0;
      }
      json_array_append_new(pAll, json_pack("{s:s, s:b}", "name", zName,
                                            "checked", bChecked));
    }
    db_reset(p);
  }
  json_object_set_new(r->pView, "all_components", pAll);
}

int incident_list(Req *r) {
  int64_t limit = 50, cursor = INT64_MAX;
  const char *zLimit = req_query(r, "limit");
  const char *zCursor = req_query(r, "cursor");
  if (zLimit) {
    char *zEnd;
    limit = strtoll(zLimit, &zEnd, 10);
    if (*zEnd || limit < 1 || limit > 500) {
      return req_fail(r, E_INVALID, "limit: must be 1 to 500");
    }
  }
  /* The page lists incidents by start, newest first (the API keeps id
  ** order); its cursor is "<started ms>.<id>". */
  int bByStart = !r->bJsonOut;
  int64_t cursorMs = INT64_MAX;
  if (zCursor && *zCursor) {
    char *zEnd;
    if (bByStart) {
      cursorMs = strtoll(zCursor, &zEnd, 10);
      if (*zEnd == '.') {
        cursor = strtoll(zEnd + 1, &zEnd, 10);
      } else {
        cursor = 0;
      }
    } else {
      cursor = strtoll(zCursor, &zEnd, 10);
    }
    if (*zEnd || cursor < 1) {
      return req_fail(r, E_INVALID, "cursor: not a cursor from this list");
    }
  }
  const char *zStatus = req_query(r, "status");
  if (zStatus && *zStatus && strcmp(zStatus, "open") &&
      strcmp(zStatus, "closed") &&
      enum_index(azIncidentStatus, zStatus) < 0) {
    return req_fail(r, E_INVALID,
                    "status: must be open, closed or an incident status");
  }
  DbStmt *p = db_prepare(
      bByStart
          ? "SELECT id, started_at FROM incidents WHERE (started_at < :ms"
            "  OR (started_at = :ms AND id < :cursor))"
            " AND (:status IS NULL OR status = :status OR (:status = 'open'"
            "  AND status IN ('investigating', 'identified', 'monitoring'))"
            "  OR (:status = 'closed' AND status IN ('resolved',"
            "  'postmortem')))"
            " ORDER BY started_at DESC, id DESC LIMIT :limit"
          : "SELECT id, 0 FROM incidents WHERE id < :cursor"
            " AND (:status IS NULL OR status = :status OR (:status = 'open'"
            "  AND status IN ('investigating', 'identified', 'monitoring'))"
            "  OR (:status = 'closed' AND status IN ('resolved',"
            "  'postmortem')))"
            " ORDER BY id DESC LIMIT :limit");
  if (!p) {
    return E_DB;
  }
  if (bByStart) {
    db_bind_int(p, ":ms", cursorMs);
  }
  db_bind_int(p, ":cursor", cursor);
  db_bind_text(p, ":status", zStatus && *zStatus ? zStatus : NULL);
  db_bind_int(p, ":limit", limit + 1);
  int64_t aId[501], aMs[501];
  int nId = 0;
  while (db_step(p) == DB_ROW && nId < limit + 1) {
    aMs[nId] = db_col_int(p, 1);
    aId[nId++] = db_col_int(p, 0);
  }
  db_reset(p);
  json_t *pList = json_array();
  int nShow = nId > limit ? (int)limit : nId;
  for (int i = 0; i < nShow; i++) {
    json_t *pInc = incident_load(aId[i]);
    int nOpen = 0, nOverdue = 0;
    if (pInc && action_counts(aId[i], &nOpen, &nOverdue) == 0) {
      json_object_set_new(pInc, "actions_open", json_integer(nOpen));
      json_object_set_new(pInc, "actions_overdue", json_integer(nOverdue));
    }
    if (pInc) {
      json_array_append_new(pList, pInc);
    }
  }
  r->pModel = json_pack("{s:o}", "incidents", pList);
  if (!r->bJsonOut) {
    json_object_set_new(r->pView ? r->pView : (r->pView = json_object()),
                        "filter", json_string(zStatus ? zStatus : ""));
  }
  if (nId > limit) {
    char zNext[48];
    if (bByStart) {
      snprintf(zNext, sizeof(zNext), "%lld.%lld", (long long)aMs[limit - 1],
               (long long)aId[limit - 1]);
    } else {
      snprintf(zNext, sizeof(zNext), "%lld", (long long)aId[limit - 1]);
    }
    json_object_set_new(r->pModel, "next_cursor", json_string(zNext));
  } else {
    json_object_set_new(r->pModel, "next_cursor", json_null());
  }
  r->zTemplate = "incidents";
  r->zTitle = "Incidents";
  return 0;
}

int incident_new_page(Req *r) {
  char zNow[25];
  utc_format(utc_now_ms(), zNow);
  /* Prefilled from the Evidence page: ?title= &started_at= &component=. */
  const char *zTitle = req_query(r, "title");
  const char *zStart = req_query(r, "started_at");
  const char *zComponent = req_query(r, "component");
  int64_t ms;
  if (!zTitle || strlen(zTitle) > 200 || !utf8_valid(zTitle, strlen(zTitle))) {
    zTitle = "";
  }
  if (zStart && utc_parse_iso(zStart, strlen(zStart), &ms) == 0) {
    utc_format(ms, zNow);
  }
  json_t *pChosen = json_array();
  if (zComponent && *zComponent && strlen(zComponent) < 200) {
    char zName[200];
    if (evidence_component(zComponent, zName, sizeof(zName)) == 1) {
      json_array_append_new(pChosen, json_string(zName));
    }
  }
  r->pModel = json_pack("{s:s, s:s, s:s, s:s, s:s}", "severity", "SEV3",
                        "impact", "minor", "commander", r->zUser,
                        "started_at", zNow, "title", zTitle);
  add_form_choices(r, pChosen);
  json_decref(pChosen);
  /* Declaring twice after a lost answer finds the first (request_key.h). */
  json_object_set_new(r->pView, "request_key", request_key_new());
  r->zTemplate = "incident_new";
  r->zTitle = "Declare an incident";
  return 0;
}

int incident_create(Req *r) {
  json_t *pIn = NULL;
  int rcIn = req_input(r, &pIn);
  rcIn = rcIn ? rcIn : request_key_header(r, pIn);
  if (rcIn) {
    return rcIn;
  }
  char zErr[256];
  int64_t id = 0;
  int rc = incident_declare(pIn, req_is_form(r), r->zUser, &id, zErr,
                            sizeof(zErr));
  if (rc == E_INVALID) {
    return req_fail(r, rc, "%s", zErr);
  }
  if (rc) {
    return rc;
  }
  if (!r->bJsonOut) {
    char zTo[64];
    snprintf(zTo, sizeof(zTo), "/app/incidents/%lld", (long long)id);
    r->zRedirect = arena_strdup(&r->arena, zTo);
    return 0;
  }
  r->pModel = incident_load(id);
  r->status = 201;
  return r->pModel ? 0 : E_DB;
}

/* Adds the view-only parts of the incident page. */
static void add_incident_view(Req *r, json_t *pInc) {
  add_form_choices(r, json_object_get(pInc, "components"));
  /* Roles are users: the header's pickers list them (a name no longer a
  ** user, e.g. from before roles were pickers, stays selectable). */
  static const char *const azRole[] = {"commander", "comms_lead", "ops_lead",
                                       "scribe"};
  static const char *const azRoleName[] = {
      "Commander", "Communications lead", "Operations lead", "Scribe"};
  json_t *pUsers = json_array();
  DbStmt *pq = db_prepare("SELECT name FROM users ORDER BY name");
  while (pq && db_step(pq) == DB_ROW) {
    json_array_append_new(pUsers, json_string(db_col_text(pq, 0)));
  }
  db_reset(pq);
  json_t *pRoles = json_array();
  for (int i = 0; i < 4; i++) {
    const char *zWho = json_string_value(json_object_get(pInc, azRole[i]));
    zWho = zWho ? zWho : "";
    json_t *pChoices = json_array();
    int bFound = !*zWho;
    size_t k;
    json_t *pU;
    json_array_foreach(pUsers, k, pU) {
      int bSel = strcmp(json_string_value(pU), zWho) == 0;
      bFound |= bSel;
      json_array_append_new(pChoices,
                            json_pack("{s:O, s:b}", "name", pU, "sel", bSel));
    }
    if (!bFound) {
      json_array_append_new(pChoices,
                            json_pack("{s:s, s:b}", "name", zWho, "sel", 1));
    }
    json_array_append_new(pRoles, json_pack("{s:s, s:s, s:s, s:o}", "field",
                                            azRole[i], "label", azRoleName[i],
                                            "who", zWho, "choices", pChoices));
  }
  json_object_set_new(r->pView, "user_names", pUsers);
  json_object_set_new(r->pView, "roles", pRoles);
  const char *zSummary = json_string_value(json_object_get(pInc, "summary"));
  json_object_set_new(r->pView, "summary_html",
                      md_safe_html(zSummary ? zSummary : ""));
  const char *zStatus = json_string_value(json_object_get(pInc, "status"));
  json_object_set_new(r->pView, "is_open",
                      json_boolean(enum_index(azIncidentStatus, zStatus) < 3));
  /* Action items, edited in place (the partials action_new and
  ** actions_table); and whether a postmortem exists yet. */
  json_t *pId = json_object_get(pInc, "id");
  json_object_set_new(r->pView, "actions",
                      action_for_incident(json_integer_value(pId)));
  json_object_set_new(r->pView, "action_types", enum_json(azActionType));
  json_object_set_new(r->pView, "action_priorities",
                      enum_json(azActionPriority));
  json_object_set_new(r->pView, "action_statuses", enum_json(azActionStatus));
  json_object_set_new(r->pView, "return_to", json_string("incident"));
  json_object_set_new(r->pView, "action_incident_id", json_copy(pId));
  json_object_set_new(r->pView, "action_request_key", request_key_new());
  DbStmt *p = db_prepare("SELECT status FROM postmortems"
                               " WHERE incident_id = :id");
  if (p) {
    db_bind_int(p, ":id", json_integer_value(pId));
    if (db_step(p) == DB_ROW) {
      json_object_set_new(r->pView, "postmortem_status",
                          json_string(db_col_text(p, 0)));
    }
    db_reset(p);
  }
  json_t *pUpdates = update_list_json(
      json_integer_value(json_object_get(pInc, "id")));
  size_t i;
  json_t *pU;
  json_array_foreach(pUpdates, i, pU) {
    const char *zBody = json_string_value(json_object_get(pU, "body"));
    json_object_set_new(pU, "body_html", md_safe_html(zBody ? zBody : ""));
  }
  json_object_set_new(r->pView, "updates", pUpdates);
  json_t *pChoices = json_array();
  json_t *pAffected = json_object_get(pInc, "components");
  p = db_prepare(
      "SELECT id, name, status FROM components ORDER BY position, name");
  while (p && db_step(p) == DB_ROW) {
    /* "affected" lets the resolve flow reset exactly these; the label is
    ** the status as people say it ("partial outage"). */
    const char *zName = db_col_text(p, 1);
    int bAffected = 0;
    size_t k;
    json_t *pName;
    json_array_foreach(pAffected, k, pName) {
      bAffected |= strcmp(json_string_value(pName), zName) == 0;
    }
    char zLabel[40];
    snprintf(zLabel, sizeof(zLabel), "%s", db_col_text(p, 2));
    for (char *c = zLabel; *c; c++) {
      *c = *c == '_' ? ' ' : *c;
    }
    json_array_append_new(
        pChoices,
        json_pack("{s:I, s:s, s:s, s:s, s:b}", "id",
                  (json_int_t)db_col_int(p, 0), "name", zName, "status",
                  db_col_text(p, 2), "status_label", zLabel, "affected",
                  bAffected));
  }
  db_reset(p);
  json_object_set_new(r->pView, "component_choices", pChoices);
  json_object_set_new(r->pView, "component_statuses",
                      enum_json(azComponentStatus));
}

int incident_get(Req *r) {
  int64_t id;
  int rc = req_param_id(r, "id", &id);
  if (rc) {
    return rc;
  }
  r->pModel = incident_load(id);
  if (!r->pModel) {
    return req_fail(r, E_NOTFOUND, "no incident %lld", (long long)id);
  }
  if (!r->bJsonOut) {
    add_incident_view(r, r->pModel);
    /* The status update form's key (request_key.h). */
    json_object_set_new(r->pView, "update_request_key", request_key_new());
    rc = timeline_view(r, id);
    if (rc == 0) {
      rc = chart_view(r, r->pModel);
    }
    if (rc == 0) {
      rc = search_similar_view(r, r->pModel);
    }
    if (rc) {
      return rc;
    }
  }
  if (r->bJsonOut) {
    /* The page also shows the timeline, so only the JSON is this version. */
    char zEtag[32];
    snprintf(zEtag, sizeof(zEtag), "\"%lld\"",
             (long long)json_integer_value(json_object_get(r->pModel,
                                                           "version")));
    r->zEtag = arena_strdup(&r->arena, zEtag);
  }
  r->zTemplate = "incident";
  r->zTitle = json_string_value(json_object_get(r->pModel, "title"));
  return 0;
}

int incident_update(Req *r) {
  int64_t id, version = 0;
  int rc = req_param_id(r, "id", &id);
  if (rc) {
    return rc;
  }
  json_t *pIn = NULL;
  int rcIn = req_input(r, &pIn);
  if (rcIn) {
    return rcIn;
  }
  rc = req_version(r, pIn, &version);
  if (rc) {
    return rc;
  }
  json_t *pBefore = incident_row(id, &rc);
  if (!pBefore) {
    return rc == E_NOTFOUND
               ? req_fail(r, rc, "no incident %lld", (long long)id)
               : rc;
  }
  json_t *pRow = json_deep_copy(pBefore);
  char zErr[256];
  int64_t current = json_integer_value(json_object_get(pBefore, "version"));
  if (current != version) {
    r->pErrCurrent = incident_api(pBefore);
    rc = req_fail(r, E_CONFLICT,
                  "this incident was changed by someone else (version %lld, "
                  "you edited %lld); review it and apply your edit again",
                  (long long)current, (long long)version);
    goto done;
  }
  rc = incident_apply(pRow, pIn, req_is_form(r), zErr, sizeof(zErr));
  if (rc) {
    rc = req_fail(r, rc, "%s", zErr);
    goto done;
  }
  rc = db_begin_write();
  if (rc) {
    goto done;
  }
  rc = incident_write(id, pRow, version);
  if (rc == E_CONFLICT) {
    rc = req_fail(r, E_CONFLICT, "this incident was changed meanwhile");
  }
  if (rc == 0) {
    rc = component_link(COMPONENT_LINK_INCIDENT, id,
                        json_object_get(pRow, "components"), zErr,
                        sizeof(zErr));
    if (rc == E_INVALID) {
      req_fail(r, rc, "%s", zErr);
    }
  }
  if (rc == 0) {
    rc = evidence_sync(id); /* window or components may have changed */
  }
  if (rc == 0) {
    rc = audit_log("incident", id, r->zUser, "update", pBefore, pRow);
  }
  if (rc == 0) {
    rc = note_changes(id, r->zUser, pBefore, pRow);
  }
  rc = rc == 0 ? db_commit() : rc;
  if (rc) {
    db_rollback();
    goto done;
  }
  if (!r->bJsonOut) {
    char zTo[64];
    snprintf(zTo, sizeof(zTo), "/app/incidents/%lld", (long long)id);
    r->zRedirect = arena_strdup(&r->arena, zTo);
  } else {
    r->pModel = incident_load(id);
    rc = r->pModel ? 0 : E_DB;
  }
done:
  json_decref(pRow);
  json_decref(pBefore);
  return rc;
}

/* CLI ------------------------------------------------------------------ */

int incident_cli(int argc, char **argv) {
  static const char *zUsage =
      "usage: hindsight incident open TITLE [--severity SEV1..SEV4]"
      " [--impact none|minor|major|critical] [--component NAME]...\n";
  if (argc >= 1 && strcmp(argv[0], "--help") == 0) {
    fputs(zUsage, stdout);
    return 0;
  }
  if (argc < 2 || strcmp(argv[0], "open") != 0) {
    fputs(zUsage, stderr);
    return 2;
  }
  for (int i = 1; i < argc; i++) {
    if (!utf8_valid(argv[i], strlen(argv[i]))) {
      fprintf(stderr, "hindsight: argument %d is not valid UTF-8\n", i + 1);
      return 2;
    }
  }
  json_t *pIn = json_pack("{s:s, s:[]}", "title", argv[1], "components");
  for (int i = 2; i < argc; i++) {
    if (i + 1 < argc && strcmp(argv[i], "--severity") == 0) {
      json_object_set_new(pIn, "severity", json_string(argv[++i]));
    } else if (i + 1 < argc && strcmp(argv[i], "--impact") == 0) {
      json_object_set_new(pIn, "impact", json_string(argv[++i]));
    } else if (i + 1 < argc && strcmp(argv[i], "--component") == 0) {
      json_array_append_new(json_object_get(pIn, "components"),
                            json_string(argv[++i]));
    } else {
      fputs(zUsage, stderr);
      json_decref(pIn);
      return 2;
    }
  }
  char zErr[256] = "";
  int64_t id = 0;
  int rc = incident_declare(pIn, 0, "cli", &id, zErr, sizeof(zErr));
  json_decref(pIn);
  if (rc == E_INVALID) {
    fprintf(stderr, "hindsight: %s\n", zErr);
    return 2;
  }
  if (rc) {
    fprintf(stderr, "hindsight: could not declare the incident\n");
    return 1;
  }
  printf("%lld\n", (long long)id);
  return 0;
}
