/*
** demo.c: the flash-sale outage scenario for first starts and tours.
** Deterministic: fixed times and texts, no randomness, so screenshots and
** tests see the same incident every time.
*/
#include "demo.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "component.h"
#include "db.h"
#include "err.h"
#include "incident.h"
#include "utc.h"

int demo_db_is_empty(void) {
  sqlite3_stmt *p = db_prepare("SELECT count(*) FROM incidents");
  int bEmpty = p && db_step(p) == SQLITE_ROW && db_col_int(p, 0) == 0;
  db_reset(p);
  return bEmpty;
}

/* The status page side of the demo: the components exist since
** 2026-08-01, and the incident got four public updates that moved
** Checkout and Website through the outage. Fixed times, so the uptime
** bars look the same on every run (relative to today). */
static int demo_status_history(int64_t id) {
  static const struct {
    const char *zAt, *zStatus, *zBody;
    const char *zComp, *zOld, *zNew; /* one component change, or NULL */
  } aUpd[] = {
      {"2026-11-20T11:45:00Z", "investigating",
       "We are investigating errors at checkout and slow pages during the "
       "sale.",
       "Checkout", "operational", "major_outage"},
      {"2026-11-20T11:52:00Z", "identified",
       "A load balancer change sent all traffic to one web server. We are "
       "rolling it back.",
       "Website", "operational", "partial_outage"},
      {"2026-11-20T11:58:00Z", "monitoring",
       "The change is rolled back and checkout works again. We are watching "
       "error rates.",
       "Checkout", "major_outage", "operational"},
      {"2026-11-20T12:05:00Z", "resolved",
       "Error rates are back to normal. We will publish a postmortem.",
       "Website", "partial_outage", "operational"},
  };
  int64_t tBorn = 0;
  utc_parse_iso("2026-08-01T00:00:00Z", 20, &tBorn);
  int rc = db_begin_write();
  sqlite3_stmt *p = rc ? NULL
                       : db_prepare("UPDATE component_history SET from_ts ="
                                    " :t WHERE from_ts > :t AND id IN"
                                    " (SELECT min(id) FROM component_history"
                                    "  GROUP BY component_id)");
  if (rc == 0 && p) {
    db_bind_int(p, ":t", tBorn);
    rc = db_run(p);
  }
  for (size_t i = 0; rc == 0 && i < sizeof(aUpd) / sizeof(aUpd[0]); i++) {
    int64_t at = 0;
    utc_parse_iso(aUpd[i].zAt, strlen(aUpd[i].zAt), &at);
    p = db_prepare("INSERT INTO incident_updates (incident_id, status, body,"
                   " author, created_at, updated_at)"
                   " VALUES (:i, :s, :b, 'demo', :at, :at)");
    rc = E_DB;
    if (p) {
      db_bind_int(p, ":i", id);
      db_bind_text(p, ":s", aUpd[i].zStatus);
      db_bind_text(p, ":b", aUpd[i].zBody);
      db_bind_int(p, ":at", at);
      rc = db_run(p);
    }
    int64_t updateId = db_last_id();
    p = rc ? NULL
           : db_prepare("INSERT INTO incident_update_components (update_id,"
                        " component_id, old_status, new_status)"
                        " SELECT :u, id, :old, :new FROM components"
                        " WHERE name = :c");
    if (p) {
      db_bind_int(p, ":u", updateId);
      db_bind_text(p, ":old", aUpd[i].zOld);
      db_bind_text(p, ":new", aUpd[i].zNew);
      db_bind_text(p, ":c", aUpd[i].zComp);
      rc = db_run(p);
    }
    p = rc ? NULL
           : db_prepare("INSERT INTO component_history (component_id,"
                        " status, from_ts) SELECT id, :new, :at"
                        " FROM components WHERE name = :c");
    if (p) {
      db_bind_text(p, ":new", aUpd[i].zNew);
      db_bind_int(p, ":at", at);
      db_bind_text(p, ":c", aUpd[i].zComp);
      rc = db_run(p);
    }
  }
  rc = rc == 0 ? db_commit() : rc;
  if (rc) {
    db_rollback();
  }
  return rc;
}

int demo_load(void) {
  static const char *const aazComponent[][2] = {
      {"Website", "Storefront pages and product search"},
      {"Checkout", "Cart, checkout and order confirmation"},
      {"Payments", "Card payments through our payment provider"},
      {"API", "Public REST API for partners"},
      {"Load balancer", "Edge load balancers in front of the web tier"},
  };
  for (size_t i = 0; i < sizeof(aazComponent) / sizeof(aazComponent[0]);
       i++) {
    int rc = component_ensure(aazComponent[i][0], aazComponent[i][1]);
    if (rc) {
      return rc;
    }
  }
  json_t *pIn = json_pack(
      "{s:s, s:s, s:s, s:s, s:b, s:[s, s, s], s:s, s:s, s:s, s:s, s:s, s:s,"
      " s:s}",
      "title", "Flash sale: checkout errors and slow pages", "severity",
      "SEV1", "status", "resolved", "impact", "major", "public", 1,
      "components", "Website", "Checkout", "Load balancer", "commander",
      "admin", "summary",
      "During the Black Friday flash sale a load balancer change sent all "
      "traffic to **web-1**. It ran out of workers; checkout returned 502s "
      "for about 25 minutes.\n\n- 38% of requests failed at the peak\n"
      "- 1,214 orders could not be placed\n",
      "started_at", "2026-11-20T11:38:00Z", "detected_at",
      "2026-11-20T11:41:30Z", "acknowledged_at", "2026-11-20T11:43:00Z",
      "mitigated_at", "2026-11-20T11:58:00Z", "resolved_at",
      "2026-11-20T12:05:00Z");
  char zErr[256];
  int64_t id = 0;
  int rc = incident_declare(pIn, 0, "demo", &id, zErr, sizeof(zErr));
  json_decref(pIn);
  if (rc) {
    fprintf(stderr, "hindsight: demo incident: %s\n",
            rc == E_INVALID ? zErr : "database error");
    return rc;
  }
  rc = demo_status_history(id);
  if (rc) {
    fprintf(stderr, "hindsight: demo status history: database error\n");
  }
  return rc;
}
