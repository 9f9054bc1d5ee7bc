/*
** statusapi.c: builds the Statuspage v2 objects from the database (see
** statusapi.h). Ids are strings as in Statuspage: "c<n>" components,
** "g<n>" groups, "<n>" incidents, "m<n>" maintenances, "u<n>" and "mu<n>"
** updates. Times carry the page's offset. Lists are newest first.
**
** Privacy: the queries here read only published columns; every incident
** query has `public = 1` in its WHERE clause.
** Threading: none of its own; uses the calling thread's connection.
*/
#include "statusapi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "err.h"
#include "input.h"
#include "utc.h"

static void setting(const char *zKey, const char *zDefault, char *zOut,
                    size_t nOut) {
  snprintf(zOut, nOut, "%s", zDefault);
  DbStmt *p = db_prepare("SELECT value FROM settings WHERE key = :k");
  if (!p) {
    return;
  }
  db_bind_text(p, ":k", zKey);
  if (db_step(p) == DB_ROW) {
    const char *z = db_col_text(p, 0);
    if (*z && strlen(z) < nOut && utf8_valid(z, strlen(z))) {
      snprintf(zOut, nOut, "%s", z);
    }
  }
  db_reset(p);
}

void sp_page_load(SpPage *p) {
  setting("page_id", "hindsight", p->zId, sizeof(p->zId));
  setting("page_name", "Service status", p->zName, sizeof(p->zName));
  setting("page_url", "http://localhost:8080", p->zUrl, sizeof(p->zUrl));
  size_t n = strlen(p->zUrl);
  while (n > 0 && p->zUrl[n - 1] == '/') {
    p->zUrl[--n] = 0;
  }
  setting("time_zone", "Etc/UTC", p->zTz, sizeof(p->zTz));
  /* A zone that does not load (removed tzdata, a bad row) shows UTC. */
  int rc;
  p->pZone = tz_shared(p->zTz, &rc);
  if (!p->pZone) {
    p->pZone = tz_shared("UTC", &rc); /* built in: never fails */
    snprintf(p->zTz, sizeof(p->zTz), "Etc/UTC");
  }
}

int sp_offset_min(const SpPage *p, int64_t ms, char zLabel[16]) {
  char zAbbr[8];
  int off = tz_offset_abbr(p->pZone, ms, zAbbr) / 60;
  if (zLabel) {
    /* Numeric abbreviations ("+03") read better as "UTC+03:00". */
    if (zAbbr[0] == '+' || zAbbr[0] == '-' || !zAbbr[0]) {
      int a = off < 0 ? -off : off;
      snprintf(zLabel, 16, "UTC%c%02d:%02d", off < 0 ? '-' : '+',
               (a / 60) % 100, a % 60);
    } else {
      snprintf(zLabel, 16, "%s", zAbbr);
    }
  }
  return off;
}

void sp_time(const SpPage *p, int64_t ms, char z[32]) {
  char zUtc[25];
  int offMin = sp_offset_min(p, ms, NULL);
  utc_format(ms + (int64_t)offMin * 60000, zUtc);
  int off = offMin < 0 ? -offMin : offMin;
  int hh = (off / 60) % 24, mm = off % 60;
  memcpy(z, zUtc, 23);
  z[23] = offMin < 0 ? '-' : '+';
  z[24] = (char)('0' + hh / 10);
  z[25] = (char)('0' + hh % 10);
  z[26] = ':';
  z[27] = (char)('0' + mm / 10);
  z[28] = (char)('0' + mm % 10);
  z[29] = 0;
}

static json_t *time_json(const SpPage *pg, DbStmt *p, int i) {
  if (db_col_is_null(p, i)) {
    return json_null();
  }
  char z[32];
  sp_time(pg, db_col_int(p, i), z);
  return json_string(z);
}

static json_t *id_json(const char *zPrefix, int64_t id) {
  char z[40];
  snprintf(z, sizeof(z), "%s%lld", zPrefix, (long long)id);
  return json_string(z);
}

json_t *sp_page_json(const SpPage *p) {
  int64_t t = 0;
  DbStmt *q = db_prepare(
      "SELECT max(t) FROM (SELECT max(updated_at) AS t FROM components"
      " UNION ALL SELECT max(updated_at) FROM incidents WHERE public = 1"
      " UNION ALL SELECT max(updated_at) FROM maintenances"
      " UNION ALL SELECT 0) AS u");
  if (q && db_step(q) == DB_ROW) {
    t = db_col_int(q, 0);
  }
  db_reset(q);
  char z[32];
  sp_time(p, t, z);
  return json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", p->zId, "name", p->zName,
                   "url", p->zUrl, "time_zone", p->zTz, "updated_at", z);
}

/* One component row (id, name, description, status, position, created_at,
** updated_at, group_id) in Statuspage's shape. */
static json_t *component_obj(const SpPage *pg, DbStmt *p) {
  json_t *pC = json_pack(
      "{s:o, s:s, s:s, s:o, s:o, s:I, s:s, s:b, s:n, s:o, s:s, s:b, s:b}", "id",
      id_json("c", db_col_int(p, 0)), "name", db_col_text(p, 1), "status",
      db_col_text(p, 3), "created_at", time_json(pg, p, 5), "updated_at",
      time_json(pg, p, 6), "position", (json_int_t)db_col_int(p, 4),
      "description", db_col_text(p, 2), "showcase", 1, "start_date", "group_id",
      db_col_is_null(p, 7) ? json_null() : id_json("g", db_col_int(p, 7)),
      "page_id", pg->zId, "group", 0, "only_show_if_degraded", 0);
  if (!*db_col_text(p, 2)) {
    json_object_set_new(pC, "description", json_null());
  }
  return pC;
}

json_t *sp_components(const SpPage *pg) {
  json_t *pList = json_array();
  /* Groups first (each followed by its members), then the rest. */
  DbStmt *p = db_prepare(
      "SELECT g.id, g.name, g.position, g.created_at, g.updated_at,"
      " (SELECT max(CASE c.status WHEN 'major_outage' THEN 4"
      "  WHEN 'partial_outage' THEN 3 WHEN 'degraded_performance' THEN 2"
      "  WHEN 'under_maintenance' THEN 1 ELSE 0 END)"
      "  FROM components c WHERE c.group_id = g.id)"
      " FROM component_groups g"
      " WHERE EXISTS (SELECT 1 FROM components c WHERE c.group_id = g.id)"
      " ORDER BY g.position, g.name");
  if (!p) {
    return pList;
  }
  static const char *const azByRank[] = {"operational", "under_maintenance",
                                         "degraded_performance",
                                         "partial_outage", "major_outage"};
  json_t *pGroups = json_array();
  while (db_step(p) == DB_ROW) {
    int iRank = (int)db_col_int(p, 5);
    json_array_append_new(
        pGroups,
        json_pack("{s:o, s:s, s:s, s:o, s:o, s:I, s:n, s:b, s:n, s:n,"
                  " s:s, s:b, s:b, s:[], s:I}",
                  "id", id_json("g", db_col_int(p, 0)), "name",
                  db_col_text(p, 1), "status",
                  azByRank[iRank < 0 || iRank > 4 ? 0 : iRank], "created_at",
                  time_json(pg, p, 3), "updated_at", time_json(pg, p, 4),
                  "position", (json_int_t)db_col_int(p, 2), "description",
                  "showcase", 0, "start_date", "group_id", "page_id", pg->zId,
                  "group", 1, "only_show_if_degraded", 0, "components", "_gid",
                  (json_int_t)db_col_int(p, 0)));
  }
  db_reset(p);
  size_t i;
  json_t *pG;
  json_array_foreach(pGroups, i, pG) {
    int64_t gid = json_integer_value(json_object_get(pG, "_gid"));
    json_object_del(pG, "_gid");
    json_array_append(pList, pG);
    p = db_prepare("SELECT id, name, description, status, position,"
                   " created_at, updated_at, group_id FROM components"
                   " WHERE group_id = :g ORDER BY position, name");
    if (!p) {
      break;
    }
    db_bind_int(p, ":g", gid);
    while (db_step(p) == DB_ROW) {
      json_array_append_new(json_object_get(pG, "components"),
                            id_json("c", db_col_int(p, 0)));
      json_array_append_new(pList, component_obj(pg, p));
    }
    db_reset(p);
  }
  json_decref(pGroups);
  p = db_prepare("SELECT id, name, description, status, position,"
                 " created_at, updated_at, group_id FROM components"
                 " WHERE group_id IS NULL ORDER BY position, name");
  if (p) {
    while (db_step(p) == DB_ROW) {
      json_array_append_new(pList, component_obj(pg, p));
    }
    db_reset(p);
  }
  return pList;
}

json_t *sp_component(const SpPage *pg, int64_t id) {
  DbStmt *p = db_prepare("SELECT id, name, description, status,"
                               " position, created_at, updated_at, group_id"
                               " FROM components WHERE id = :id");
  if (!p) {
    return NULL;
  }
  db_bind_int(p, ":id", id);
  json_t *pC = db_step(p) == DB_ROW ? component_obj(pg, p) : NULL;
  db_reset(p);
  return pC;
}

/* The status posts of incident id or maintenance id (bMaint), newest first,
** as Statuspage's incident_updates. Maintenance posts have no updated_at
** (their created_at stands in); both record the components they moved. */
static json_t *status_updates(const SpPage *pg, int64_t id, int bMaint) {
  json_t *pList = json_array();
  DbStmt *p =
      bMaint ? db_prepare("SELECT id, status, body, created_at, created_at"
                          " FROM maintenance_updates"
                          " WHERE maintenance_id = :id"
                          " ORDER BY created_at DESC, id DESC")
             : db_prepare("SELECT id, status, body, created_at, updated_at"
                          " FROM incident_updates WHERE incident_id = :id"
                          " ORDER BY created_at DESC, id DESC");
  if (!p) {
    return pList;
  }
  db_bind_int(p, ":id", id);
  while (db_step(p) == DB_ROW) {
    json_array_append_new(
        pList,
        json_pack("{s:o, s:s, s:s, s:o, s:o, s:o, s:o, s:[], s:b, s:n,"
                  " s:n, s:I}",
                  "id", id_json(bMaint ? "mu" : "u", db_col_int(p, 0)),
                  "status", db_col_text(p, 1), "body", db_col_text(p, 2),
                  "incident_id", id_json(bMaint ? "m" : "", id), "created_at",
                  time_json(pg, p, 3), "updated_at", time_json(pg, p, 4),
                  "display_at", time_json(pg, p, 3), "affected_components",
                  "deliver_notifications", 1, "custom_tweet", "tweet_id", "_id",
                  (json_int_t)db_col_int(p, 0)));
  }
  db_reset(p);
  size_t i;
  json_t *pU;
  json_array_foreach(pList, i, pU) {
    int64_t uid = json_integer_value(json_object_get(pU, "_id"));
    json_object_del(pU, "_id");
    p = bMaint ? db_prepare("SELECT c.id, c.name, uc.old_status,"
                            " uc.new_status"
                            " FROM maintenance_update_components uc"
                            " JOIN components c ON c.id = uc.component_id"
                            " WHERE uc.update_id = :u"
                            " ORDER BY c.position, c.name")
               : db_prepare("SELECT c.id, c.name, uc.old_status,"
                            " uc.new_status"
                            " FROM incident_update_components uc"
                            " JOIN components c ON c.id = uc.component_id"
                            " WHERE uc.update_id = :u"
                            " ORDER BY c.position, c.name");
    if (!p) {
      break;
    }
    db_bind_int(p, ":u", uid);
    json_t *pAff = json_object_get(pU, "affected_components");
    while (db_step(p) == DB_ROW) {
      json_array_append_new(pAff, json_pack("{s:o, s:s, s:s, s:s}", "code",
                                            id_json("c", db_col_int(p, 0)),
                                            "name", db_col_text(p, 1),
                                            "old_status", db_col_text(p, 2),
                                            "new_status", db_col_text(p, 3)));
    }
    db_reset(p);
  }
  return pList;
}

/* Components linked to an incident or a maintenance. */
static json_t *linked_components(const SpPage *pg, int64_t id, int bMaint) {
  json_t *pList = json_array();
  DbStmt *p =
      bMaint ? db_prepare("SELECT c.id, c.name, c.description, c.status,"
                          " c.position, c.created_at, c.updated_at,"
                          " c.group_id FROM maintenance_components mc"
                          " JOIN components c ON c.id = mc.component_id"
                          " WHERE mc.maintenance_id = :id"
                          " ORDER BY c.position, c.name")
             : db_prepare("SELECT c.id, c.name, c.description, c.status,"
                          " c.position, c.created_at, c.updated_at,"
                          " c.group_id FROM incident_components ic"
                          " JOIN components c ON c.id = ic.component_id"
                          " WHERE ic.incident_id = :id"
                          " ORDER BY c.position, c.name");
  if (!p) {
    return pList;
  }
  db_bind_int(p, ":id", id);
  while (db_step(p) == DB_ROW) {
    json_array_append_new(pList, component_obj(pg, p));
  }
  db_reset(p);
  return pList;
}

/* Beyond the v2 fields (named as in Statuspage's manage API): the
** postmortem's public summary (Markdown) and when it was published, null
** until the postmortem is published or when the summary is empty. */
static void add_postmortem(const SpPage *pg, json_t *pI, int64_t id) {
  DbStmt *p = db_prepare(
      "SELECT public_summary, published_at FROM postmortems"
      " WHERE incident_id = :id AND status = 'published'"
      " AND public_summary <> '' AND published_at IS NOT NULL");
  json_t *pBody = json_null(), *pAt = json_null();
  if (p) {
    db_bind_int(p, ":id", id);
    if (db_step(p) == DB_ROW) {
      json_decref(pBody);
      json_decref(pAt);
      pBody = json_string(db_col_text(p, 0));
      pAt = time_json(pg, p, 1);
    }
    db_reset(p);
  }
  json_object_set_new(pI, "postmortem_body", pBody ? pBody : json_null());
  json_object_set_new(pI, "postmortem_published_at", pAt);
}

json_t *sp_incident(const SpPage *pg, int64_t id) {
  DbStmt *p =
      db_prepare("SELECT id, title, status, created_at, updated_at,"
                 " (SELECT min(created_at) FROM incident_updates u"
                 "  WHERE u.incident_id = i.id AND u.status = 'monitoring'),"
                 " resolved_at, impact, started_at"
                 " FROM incidents i WHERE id = :id AND public = 1");
  if (!p) {
    return NULL;
  }
  db_bind_int(p, ":id", id);
  if (db_step(p) != DB_ROW) {
    db_reset(p);
    return NULL;
  }
  char zLink[320];
  snprintf(zLink, sizeof(zLink), "%s/incidents/%lld", pg->zUrl, (long long)id);
  json_t *pI = json_pack(
      "{s:o, s:s, s:s, s:o, s:o, s:o, s:o, s:s, s:s, s:o, s:s}", "id",
      id_json("", id), "name", db_col_text(p, 1), "status", db_col_text(p, 2),
      "created_at", time_json(pg, p, 3), "updated_at", time_json(pg, p, 4),
      "monitoring_at", time_json(pg, p, 5), "resolved_at", time_json(pg, p, 6),
      "impact", db_col_text(p, 7), "shortlink", zLink, "started_at",
      time_json(pg, p, 8), "page_id", pg->zId);
  db_reset(p);
  json_object_set_new(pI, "incident_updates", status_updates(pg, id, 0));
  json_object_set_new(pI, "components", linked_components(pg, id, 0));
  add_postmortem(pg, pI, id);
  return pI;
}

json_t *sp_incidents(const SpPage *pg, int eWhich) {
  json_t *pList = json_array();
  DbStmt *p = db_prepare(
      "SELECT id FROM incidents WHERE public = 1 AND (:open = 0 OR status"
      " IN ('investigating', 'identified', 'monitoring'))"
      " ORDER BY started_at DESC, id DESC LIMIT 50");
  if (!p) {
    return pList;
  }
  db_bind_int(p, ":open", eWhich == SP_UNRESOLVED);
  int64_t aId[50];
  int nId = 0;
  while (nId < 50 && db_step(p) == DB_ROW) {
    aId[nId++] = db_col_int(p, 0);
  }
  db_reset(p);
  for (int i = 0; i < nId; i++) {
    json_t *pI = sp_incident(pg, aId[i]);
    if (pI) {
      json_array_append_new(pList, pI);
    }
  }
  return pList;
}

json_t *sp_maintenance(const SpPage *pg, int64_t id) {
  DbStmt *p = db_prepare(
      "SELECT id, title, status, created_at, updated_at, completed_at,"
      " coalesce(started_at, scheduled_for), scheduled_for,"
      " scheduled_until FROM maintenances WHERE id = :id");
  if (!p) {
    return NULL;
  }
  db_bind_int(p, ":id", id);
  if (db_step(p) != DB_ROW) {
    db_reset(p);
    return NULL;
  }
  char zLink[320];
  snprintf(zLink, sizeof(zLink), "%s/maintenance/%lld", pg->zUrl,
           (long long)id);
  json_t *pM = json_pack(
      "{s:o, s:s, s:s, s:o, s:o, s:n, s:o, s:s, s:s, s:o, s:s, s:o, s:o}", "id",
      id_json("m", id), "name", db_col_text(p, 1), "status", db_col_text(p, 2),
      "created_at", time_json(pg, p, 3), "updated_at", time_json(pg, p, 4),
      "monitoring_at", "resolved_at", time_json(pg, p, 5), "impact",
      "maintenance", "shortlink", zLink, "started_at", time_json(pg, p, 6),
      "page_id", pg->zId, "scheduled_for", time_json(pg, p, 7),
      "scheduled_until", time_json(pg, p, 8));
  db_reset(p);
  json_object_set_new(pM, "incident_updates", status_updates(pg, id, 1));
  json_object_set_new(pM, "components", linked_components(pg, id, 1));
  return pM;
}

json_t *sp_maintenances(const SpPage *pg, int eWhich) {
  json_t *pList = json_array();
  DbStmt *p =
      db_prepare("SELECT id FROM maintenances WHERE :w = 0"
                 " OR (:w = 2 AND status = 'scheduled')"
                 " OR (:w = 3 AND status IN ('in_progress', 'verifying'))"
                 " OR (:w = 4 AND status <> 'completed')"
                 " ORDER BY scheduled_for DESC, id DESC LIMIT 50");
  if (!p) {
    return pList;
  }
  db_bind_int(p, ":w", eWhich);
  int64_t aId[50];
  int nId = 0;
  while (nId < 50 && db_step(p) == DB_ROW) {
    aId[nId++] = db_col_int(p, 0);
  }
  db_reset(p);
  for (int i = 0; i < nId; i++) {
    json_t *pM = sp_maintenance(pg, aId[i]);
    if (pM) {
      json_array_append_new(pList, pM);
    }
  }
  return pList;
}

json_t *sp_status(json_t *pComponents, json_t *pIncidents,
                  json_t *pMaintenances) {
  static const char *const azIndicator[] = {"none", "minor", "major",
                                            "critical"};
  static const char *const azText[] = {
      "All Systems Operational", "Minor Service Outage",
      "Partial System Outage", "Major Service Outage"};
  int iWorst = 0;
  size_t i;
  json_t *p;
  json_array_foreach(pComponents, i, p) {
    /* degraded -> minor, partial -> major, major outage -> critical */
    int iStatus = enum_index(azComponentStatus,
                             json_string_value(json_object_get(p, "status")));
    if (iStatus >= 1 && iStatus <= 3 && iStatus > iWorst) {
      iWorst = iStatus;
    }
  }
  json_array_foreach(pIncidents, i, p) {
    int iImpact =
        enum_index(azImpact, json_string_value(json_object_get(p, "impact")));
    const char *zStatus = json_string_value(json_object_get(p, "status"));
    int bOpen = enum_index(azIncidentStatus, zStatus) < 3;
    if (bOpen && iImpact >= 1 && iImpact <= 3 && iImpact > iWorst) {
      iWorst = iImpact;
    }
  }
  int bMaint = 0;
  json_array_foreach(pMaintenances, i, p) {
    const char *zStatus = json_string_value(json_object_get(p, "status"));
    bMaint |= strcmp(zStatus, "in_progress") == 0 ||
              strcmp(zStatus, "verifying") == 0;
  }
  return json_pack(
      "{s:s, s:s}", "indicator", azIndicator[iWorst], "description",
      iWorst == 0 && bMaint ? "Service Under Maintenance" : azText[iWorst]);
}

int sp_api(const SpPage *pg, const char *zName, json_t **ppOut) {
  json_t *pOut = json_pack("{s:o}", "page", sp_page_json(pg));
  if (strcmp(zName, "summary.json") == 0 || strcmp(zName, "status.json") == 0) {
    json_t *pC = sp_components(pg);
    json_t *pI = sp_incidents(pg, SP_UNRESOLVED);
    json_t *pM = sp_maintenances(pg, SP_OPEN);
    json_object_set_new(pOut, "status", sp_status(pC, pI, pM));
    if (strcmp(zName, "summary.json") == 0) {
      json_object_set_new(pOut, "components", pC);
      json_object_set_new(pOut, "incidents", pI);
      json_object_set_new(pOut, "scheduled_maintenances", pM);
    } else {
      json_decref(pC);
      json_decref(pI);
      json_decref(pM);
    }
  } else if (strcmp(zName, "components.json") == 0) {
    json_object_set_new(pOut, "components", sp_components(pg));
  } else if (strcmp(zName, "incidents.json") == 0) {
    json_object_set_new(pOut, "incidents", sp_incidents(pg, SP_ALL));
  } else if (strcmp(zName, "incidents/unresolved.json") == 0) {
    json_object_set_new(pOut, "incidents", sp_incidents(pg, SP_UNRESOLVED));
  } else if (strcmp(zName, "scheduled-maintenances.json") == 0) {
    json_object_set_new(pOut, "scheduled_maintenances",
                        sp_maintenances(pg, SP_ALL));
  } else if (strcmp(zName, "scheduled-maintenances/upcoming.json") == 0) {
    json_object_set_new(pOut, "scheduled_maintenances",
                        sp_maintenances(pg, SP_UPCOMING));
  } else if (strcmp(zName, "scheduled-maintenances/active.json") == 0) {
    json_object_set_new(pOut, "scheduled_maintenances",
                        sp_maintenances(pg, SP_ACTIVE));
  } else {
    json_decref(pOut);
    return E_NOTFOUND;
  }
  *ppOut = pOut;
  return 0;
}
