/*
** demo.c: the flash-sale outage scenario for first starts and tours.
** Deterministic: fixed times and texts, no randomness, so screenshots and
** tests see the same incident every time.
*/
#include "demo.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "component.h"
#include "db.h"
#include "err.h"
#include "incident.h"

int demo_db_is_empty(void) {
  sqlite3_stmt *p = db_prepare("SELECT count(*) FROM incidents");
  int bEmpty = p && db_step(p) == SQLITE_ROW && db_col_int(p, 0) == 0;
  db_reset(p);
  return bEmpty;
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
  }
  return rc;
}
