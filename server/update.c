/*
** update.c: posting status updates on an incident. One post, in one
** transaction: the update row, the component statuses it changes (kept
** with their old value as its affected components), the incident's new
** status (with mitigated_at/resolved_at filled as the edit form does), the
** incident made public, and a status_update event on the timeline.
**
** It does not render the public page; status.c reads what this writes.
** Threading: none of its own; uses the calling thread's connection.
*/
#include "update.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "db.h"
#include "err.h"
#include "evidence.h"
#include "input.h"
#include "request_key.h"
#include "subs.h"
#include "utc.h"

#define BODY_MAX 65536
#define MAX_CHANGES 100

/* One requested component change. */
typedef struct CompChange {
  int64_t id;          /* components.id */
  const char *zStatus; /* the new status, BORROWED from the input */
} CompChange;

int update_text_ok(const char *z, size_t n) {
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)z[i];
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) {
      return 0;
    }
  }
  return 1;
}

json_t *update_list_json(int64_t id) {
  json_t *pList = json_array();
  DbStmt *p = db_prepare(
      "SELECT id, status, body, author, created_at FROM incident_updates"
      " WHERE incident_id = :id ORDER BY created_at DESC, id DESC");
  if (!p) {
    return pList;
  }
  db_bind_int(p, ":id", id);
  while (db_step(p) == DB_ROW) {
    char zAt[25];
    utc_format(db_col_int(p, 4), zAt);
    json_array_append_new(
        pList, json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:[]}", "id",
                         (json_int_t)db_col_int(p, 0), "incident_id",
                         (json_int_t)id, "status", db_col_text(p, 1), "body",
                         db_col_text(p, 2), "author", db_col_text(p, 3),
                         "created_at", zAt, "affected_components"));
  }
  db_reset(p);
  size_t i;
  json_t *pU;
  json_array_foreach(pList, i, pU) {
    p = db_prepare("SELECT c.id, c.name, uc.old_status, uc.new_status"
                   " FROM incident_update_components uc"
                   " JOIN components c ON c.id = uc.component_id"
                   " WHERE uc.update_id = :id ORDER BY c.position, c.name");
    if (!p) {
      break;
    }
    db_bind_int(p, ":id", json_integer_value(json_object_get(pU, "id")));
    json_t *pAff = json_object_get(pU, "affected_components");
    while (db_step(p) == DB_ROW) {
      char zCode[32];
      snprintf(zCode, sizeof(zCode), "c%lld", (long long)db_col_int(p, 0));
      json_array_append_new(pAff, json_pack("{s:s, s:s, s:s, s:s}", "code",
                                            zCode, "name", db_col_text(p, 1),
                                            "old_status", db_col_text(p, 2),
                                            "new_status", db_col_text(p, 3)));
    }
    db_reset(p);
  }
  return pList;
}

/* Looks up a component by name; 0 and *pId, or E_INVALID. */
static int component_by_name(const char *zName, int64_t *pId) {
  DbStmt *p = db_prepare("SELECT id FROM components WHERE name = :n");
  if (!p) {
    return E_DB;
  }
  db_bind_text(p, ":n", zName);
  int rc = db_step(p) == DB_ROW ? 0 : E_INVALID;
  if (rc == 0) {
    *pId = db_col_int(p, 0);
  }
  db_reset(p);
  return rc;
}

/*
** Reads the requested component changes: JSON "components": {"Name":
** "status"}, or form fields "cs_<id>" whose empty value means no change.
** Fills aChange (MAX_CHANGES). 0, or E_INVALID with zErr.
*/
static int read_changes(json_t *pIn, int bForm, CompChange *aChange,
                        int *pnChange, char *zErr, size_t nErr) {
  const char *zKey;
  json_t *pVal;
  int n = 0;
  if (!bForm) {
    json_t *pMap = json_object_get(pIn, "components");
    if (!pMap) {
      *pnChange = 0;
      return 0;
    }
    if (!json_is_object(pMap)) {
      snprintf(zErr, nErr,
               "components: must be an object of component "
               "name to status");
      return E_INVALID;
    }
    json_object_foreach(pMap, zKey, pVal) {
      const char *zStatus = json_string_value(pVal);
      if (n >= MAX_CHANGES) {
        snprintf(zErr, nErr, "components: at most %d", MAX_CHANGES);
        return E_INVALID;
      }
      if (enum_index(azComponentStatus, zStatus) < 0) {
        snprintf(zErr, nErr,
                 "components: status of \"%.80s\" must be one"
                 " of operational, degraded_performance,"
                 " partial_outage, major_outage,"
                 " under_maintenance",
                 zKey);
        return E_INVALID;
      }
      int rc = component_by_name(zKey, &aChange[n].id);
      if (rc) {
        snprintf(zErr, nErr, "components: no component named \"%.80s\"", zKey);
        return rc;
      }
      aChange[n++].zStatus = zStatus;
    }
    *pnChange = n;
    return 0;
  }
  json_object_foreach(pIn, zKey, pVal) {
    if (strncmp(zKey, "cs_", 3) != 0) {
      continue;
    }
    const char *zStatus = json_string_value(pVal);
    if (!zStatus || !*zStatus) {
      continue; /* "no change" */
    }
    char *zEnd = NULL;
    long long id = strtoll(zKey + 3, &zEnd, 10);
    if (n >= MAX_CHANGES || id <= 0 || *zEnd ||
        enum_index(azComponentStatus, zStatus) < 0) {
      snprintf(zErr, nErr, "%.40s: must be a component status", zKey);
      return E_INVALID;
    }
    aChange[n].id = id;
    aChange[n++].zStatus = zStatus;
  }
  *pnChange = n;
  return 0;
}

/* Applies one component change inside the transaction and records it on
** the update. */
static int apply_change(int64_t updateId, int64_t incidentId,
                        const CompChange *pC, int64_t now, char *zErr,
                        size_t nErr) {
  DbStmt *p = db_prepare("SELECT status FROM components WHERE id = :id");
  if (!p) {
    return E_DB;
  }
  db_bind_int(p, ":id", pC->id);
  if (db_step(p) != DB_ROW) {
    db_reset(p);
    snprintf(zErr, nErr, "cs_%lld: no such component", (long long)pC->id);
    return E_INVALID;
  }
  char zOld[32];
  snprintf(zOld, sizeof(zOld), "%s", db_col_text(p, 0));
  db_reset(p);
  if (strcmp(zOld, pC->zStatus) == 0) {
    return 0;
  }
  p = db_prepare("UPDATE components SET status = :s, updated_at = :now,"
                 " version = version + 1 WHERE id = :id");
  if (!p) {
    return E_DB;
  }
  db_bind_text(p, ":s", pC->zStatus);
  db_bind_int(p, ":now", now);
  db_bind_int(p, ":id", pC->id);
  int rc = db_run(p);
  if (rc) {
    return rc;
  }
  p = db_prepare("INSERT INTO incident_update_components (update_id,"
                 " component_id, old_status, new_status)"
                 " VALUES (:u, :c, :old, :new)");
  if (!p) {
    return E_DB;
  }
  db_bind_int(p, ":u", updateId);
  db_bind_int(p, ":c", pC->id);
  db_bind_text(p, ":old", zOld);
  db_bind_text(p, ":new", pC->zStatus);
  rc = db_run(p);
  if (rc) {
    return rc;
  }
  p = db_prepare("INSERT INTO incident_components (incident_id,"
                 " component_id) VALUES (:i, :c) ON CONFLICT DO NOTHING");
  if (!p) {
    return E_DB;
  }
  db_bind_int(p, ":i", incidentId);
  db_bind_int(p, ":c", pC->id);
  return db_run(p);
}

/* The whole post in one transaction. 0 and *pUpdateId, or an error (with
** zErr for E_INVALID). */
static int post_update(int64_t id, const char *zStatus, const char *zBody,
                       const CompChange *aChange, int nChange,
                       const char *zActor, const RequestKey *pKey,
                       int64_t *pUpdateId, char *zErr, size_t nErr) {
  int64_t now = utc_now_ms();
  int64_t mark = 0;
  int rc = db_begin_write();
  if (rc) {
    return rc;
  }
  /* Sent again (its first answer lost): the update the first try posted. */
  rc = request_key_find(zActor, pKey, pUpdateId);
  if (rc) {
    db_rollback();
    return rc == 1 ? 0 : rc;
  }
  /* Where this post's component changes start in component_history. */
  rc = subs_component_mark(&mark);
  DbStmt *p = NULL;
  if (rc == 0) {
    p = db_prepare(
        "INSERT INTO incident_updates (incident_id, status, body, author,"
        " created_at, updated_at) VALUES (:i, :s, :b, :a, :now, :now)");
    rc = E_DB;
  }
  if (p) {
    db_bind_int(p, ":i", id);
    db_bind_text(p, ":s", zStatus);
    db_bind_text(p, ":b", zBody);
    db_bind_text(p, ":a", zActor);
    db_bind_int(p, ":now", now);
    rc = db_run(p);
  }
  if (rc == 0) {
    *pUpdateId = db_last_id();
    rc = request_key_save(zActor, pKey, *pUpdateId);
  }
  for (int i = 0; rc == 0 && i < nChange; i++) {
    rc = apply_change(*pUpdateId, id, &aChange[i], now, zErr, nErr);
  }
  if (rc == 0) {
    p = db_prepare(
        "UPDATE incidents SET status = :s, public = 1, updated_at = :now,"
        " version = version + 1,"
        " mitigated_at = CASE WHEN :s IN ('monitoring', 'resolved',"
        "  'postmortem') THEN coalesce(mitigated_at, :now) ELSE"
        "  mitigated_at END,"
        " resolved_at = CASE WHEN :s IN ('resolved', 'postmortem')"
        "  THEN coalesce(resolved_at, :now) ELSE NULL END"
        " WHERE id = :id");
    rc = E_DB;
    if (p) {
      db_bind_text(p, ":s", zStatus);
      db_bind_int(p, ":now", now);
      db_bind_int(p, ":id", id);
      rc = db_run(p);
    }
  }
  if (rc == 0) {
    rc = evidence_sync(id); /* resolved or reopened: its window changed */
  }
  if (rc == 0) {
    p = db_prepare(
        "INSERT INTO events (incident_id, ts, kind, source, title, body,"
        " author, created_at, updated_at) VALUES (:i, :now,"
        " 'status_update', 'status page', :title, :b, :a, :now, :now)");
    rc = E_DB;
    if (p) {
      char zTitle[64];
      snprintf(zTitle, sizeof(zTitle), "Status update: %s", zStatus);
      db_bind_int(p, ":i", id);
      db_bind_int(p, ":now", now);
      db_bind_text(p, ":title", zTitle);
      db_bind_text(p, ":b", zBody);
      db_bind_text(p, ":a", zActor);
      rc = db_run(p);
    }
  }
  if (rc == 0) {
    /* Subscribers are told in the same transaction: no update without its
    ** messages, no message without its update. */
    rc = subs_queue_incident_update(*pUpdateId, id);
  }
  if (rc == 0) {
    json_t *pAfter = json_pack("{s:I, s:s, s:s, s:o}", "incident_id",
                               (json_int_t)id, "status", zStatus, "body", zBody,
                               "components", json_object());
    for (int i = 0; i < nChange; i++) {
      char zId[24];
      snprintf(zId, sizeof(zId), "%lld", (long long)aChange[i].id);
      json_object_set_new(json_object_get(pAfter, "components"), zId,
                          json_string(aChange[i].zStatus));
    }
    rc = audit_log("update", *pUpdateId, zActor, "create", NULL, pAfter);
    json_decref(pAfter);
    if (rc == 0) {
      /* Webhooks also get Statuspage's component_update per change; e-mail
      ** has it in the update's message. */
      rc = subs_queue_component_updates(mark, 0);
    }
  }
  rc = rc == 0 ? db_commit() : rc;
  if (rc) {
    db_rollback();
  }
  return rc;
}

int update_create(Req *r) {
  int64_t id;
  int rc = req_param_id(r, "id", &id);
  if (rc) {
    return rc;
  }
  json_t *pIn = NULL;
  rc = req_input(r, &pIn);
  rc = rc ? rc : request_key_header(r, pIn);
  if (rc) {
    return rc;
  }
  int bForm = req_is_form(r);
  char zErr[256] = "";
  RequestKey reqKey;
  char zScope[48];
  snprintf(zScope, sizeof(zScope), "incident %lld updates", (long long)id);
  if (request_key_read(pIn, zScope, &reqKey, zErr, sizeof(zErr))) {
    return req_fail(r, E_INVALID, "%s", zErr);
  }
  const char *zKey;
  json_t *pVal;
  json_object_foreach(pIn, zKey, pVal) {
    int bKnown = strcmp(zKey, "status") == 0 || strcmp(zKey, "body") == 0 ||
                 strcmp(zKey, "components") == 0 ||
                 (bForm && (strcmp(zKey, "csrf_token") == 0 ||
                            strncmp(zKey, "cs_", 3) == 0));
    if (!bKnown) {
      return req_fail(r, E_INVALID, "%.60s: is not a known field", zKey);
    }
  }
  DbStmt *p = db_prepare("SELECT status FROM incidents WHERE id = :id");
  if (!p) {
    return E_DB;
  }
  db_bind_int(p, ":id", id);
  if (db_step(p) != DB_ROW) {
    db_reset(p);
    return req_fail(r, E_NOTFOUND, "no incident %lld", (long long)id);
  }
  const char *zStatus =
      arena_strdup(&r->arena, db_col_text(p, 0)); /* default: unchanged */
  db_reset(p);
  const char *zBody = NULL;
  rc = in_enum(pIn, "status", azIncidentStatus, &zStatus, zErr, sizeof(zErr));
  if (rc == 0) {
    rc = in_string(pIn, "body", BODY_MAX, 0, &zBody, NULL, zErr, sizeof(zErr));
  }
  if (rc == 0 && (!zBody || strspn(zBody, " \t\r\n") == strlen(zBody))) {
    snprintf(zErr, sizeof(zErr), "body: is required");
    rc = E_INVALID;
  }
  if (rc == 0 && !update_text_ok(zBody, strlen(zBody))) {
    snprintf(zErr, sizeof(zErr),
             "body: must not contain control "
             "characters");
    rc = E_INVALID;
  }
  CompChange aChange[MAX_CHANGES];
  int nChange = 0;
  if (rc == 0) {
    rc = read_changes(pIn, bForm, aChange, &nChange, zErr, sizeof(zErr));
  }
  int64_t updateId = 0;
  if (rc == 0) {
    rc = post_update(id, zStatus, zBody, aChange, nChange, r->zUser, &reqKey,
                     &updateId, zErr, sizeof(zErr));
  }
  if (rc == E_INVALID) {
    return req_fail(r, rc, "%s", zErr);
  }
  if (rc) {
    return rc;
  }
  if (!r->bJsonOut) {
    char zTo[64];
    snprintf(zTo, sizeof(zTo), "/app/incidents/%lld#updates", (long long)id);
    r->zRedirect = arena_strdup(&r->arena, zTo);
    return 0;
  }
  json_t *pList = update_list_json(id);
  size_t i;
  json_array_foreach(pList, i, pVal) {
    if (json_integer_value(json_object_get(pVal, "id")) == updateId) {
      r->pModel = json_incref(pVal);
    }
  }
  json_decref(pList);
  r->status = 201;
  return r->pModel ? 0 : E_DB;
}

int update_list(Req *r) {
  int64_t id;
  int rc = req_param_id(r, "id", &id);
  if (rc) {
    return rc;
  }
  DbStmt *p = db_prepare("SELECT 1 FROM incidents WHERE id = :id");
  if (!p) {
    return E_DB;
  }
  db_bind_int(p, ":id", id);
  int bFound = db_step(p) == DB_ROW;
  db_reset(p);
  if (!bFound) {
    return req_fail(r, E_NOTFOUND, "no incident %lld", (long long)id);
  }
  r->pModel = json_pack("{s:o}", "updates", update_list_json(id));
  return 0;
}
