/*
** status.c: the public status page and the health check.
**
** Shows only what was published: components, and incidents marked public.
** The page is anonymous and identical for every visitor (its own layout,
** no session data), so it carries an ETag from the data version and can
** be cached.
**
** Threading: none of its own; uses the calling thread's connection.
*/
#include "status.h"

#include <stdio.h>
#include <string.h>

#include "db.h"
#include "err.h"
#include "incident.h"
#include "input.h"

/* The page indicator: the worst of the components and open incidents. */
static const char *indicator_for(int worstComponent, int worstImpact) {
  static const char *const az[] = {"none", "minor", "major", "critical"};
  int iComp = worstComponent >= 4 ? 0 : worstComponent >= 3 ? 3
                                    : worstComponent >= 2   ? 2
                                    : worstComponent >= 1   ? 1
                                                            : 0;
  int i = iComp > worstImpact ? iComp : worstImpact;
  return az[i < 0 ? 0 : i > 3 ? 3 : i];
}

int status_page(Req *r) {
  json_t *pComponents = json_array();
  int worstComponent = 0, worstImpact = 0;
  sqlite3_stmt *p = db_prepare("SELECT name, description, status"
                               " FROM components ORDER BY position, name");
  if (!p) {
    json_decref(pComponents);
    return E_DB;
  }
  while (db_step(p) == SQLITE_ROW) {
    const char *zStatus = db_col_text(p, 2);
    int i = enum_index(azComponentStatus, zStatus);
    if (i > worstComponent && i < 4) {
      worstComponent = i;
    }
    json_array_append_new(pComponents,
                          json_pack("{s:s, s:s, s:s}", "name",
                                    db_col_text(p, 0), "description",
                                    db_col_text(p, 1), "status", zStatus));
  }
  db_reset(p);
  json_t *pIncidents = json_array();
  p = db_prepare("SELECT id FROM incidents WHERE public = 1 AND status IN"
                 " ('investigating', 'identified', 'monitoring')"
                 " ORDER BY started_at DESC LIMIT 20");
  if (p) {
    int64_t aId[20];
    int nId = 0;
    while (db_step(p) == SQLITE_ROW && nId < 20) {
      aId[nId++] = db_col_int(p, 0);
    }
    db_reset(p);
    for (int i = 0; i < nId; i++) {
      json_t *pInc = incident_load(aId[i]);
      if (!pInc) {
        continue;
      }
      /* Only the public face: no commander, summary or internal times. */
      const char *zImpact =
          json_string_value(json_object_get(pInc, "impact"));
      int iImpact = enum_index(azImpact, zImpact);
      if (iImpact > worstImpact && iImpact < 4) {
        worstImpact = iImpact;
      }
      json_array_append_new(
          pIncidents,
          json_pack("{s:O, s:O, s:O, s:O, s:O, s:O}", "id",
                    json_object_get(pInc, "id"), "title",
                    json_object_get(pInc, "title"), "status",
                    json_object_get(pInc, "status"), "impact",
                    json_object_get(pInc, "impact"), "started_at",
                    json_object_get(pInc, "started_at"), "components",
                    json_object_get(pInc, "components")));
      json_decref(pInc);
    }
  }
  const char *zIndicator = indicator_for(worstComponent, worstImpact);
  static const struct {
    const char *zIndicator;
    const char *zText;
  } aText[] = {{"none", "All Systems Operational"},
               {"minor", "Minor Service Disruption"},
               {"major", "Partial System Outage"},
               {"critical", "Major System Outage"}};
  const char *zText = aText[0].zText;
  for (size_t i = 0; i < sizeof(aText) / sizeof(aText[0]); i++) {
    if (strcmp(aText[i].zIndicator, zIndicator) == 0) {
      zText = aText[i].zText;
    }
  }
  r->pModel = json_pack("{s:{s:s, s:s}, s:o, s:o}", "status", "indicator",
                        zIndicator, "description", zText, "components",
                        pComponents, "incidents", pIncidents);
  char zEtag[48];
  snprintf(zEtag, sizeof(zEtag), "\"s%llu\"",
           (unsigned long long)db_data_version());
  r->zEtag = arena_strdup(&r->arena, zEtag);
  r->zCacheControl = "public, max-age=10";
  r->zTemplate = "status";
  r->zLayout = "public_layout";
  r->zTitle = "Status";
  return 0;
}

int status_healthz(Req *r) {
  sqlite3_stmt *p = db_prepare("SELECT 1");
  int bOk = p && db_step(p) == SQLITE_ROW;
  db_reset(p);
  if (!bOk) {
    return req_fail(r, E_DB, "database unavailable");
  }
  r->bJsonOut = 1;
  r->pModel = json_pack("{s:s}", "status", "ok");
  return 0;
}
