/*
** viewtz.h: the display zone a request asks for (issue 18, "one clock"):
** the zone the user picked in the browser (localStorage hindsight.tz)
** reaches the server as a `tz` query parameter on the app's export links,
** or as the `hs_tz` cookie app.js keeps in step with the setting, so the
** postmortem page and its exports write times in that zone, labelled.
** No zone (or "UTC") keeps UTC, the stored form.
**
** Threading: per request; a zone is loaded with tz_load() for the request
** (not tz_shared(), whose 64 names users could fill).
*/
#ifndef HS_VIEWTZ_H
#define HS_VIEWTZ_H

#include <stdint.h>

#include "http.h"
#include "tz.h"

typedef struct ViewTz {
  const TzZone *pZone; /* pOwned, or NULL: UTC, the default */
  TzZone *pOwned;      /* NEW (tz_load); viewtz_done() frees it */
  char zName[72];      /* the zone's name as asked, "" for none */
} ViewTz;

/* Reads ?tz= (a bad or unknown zone: 400 after req_fail()), else the
** hs_tz cookie (a bad one is ignored: a stale cookie must not break
** pages). 0 with p filled (p->pZone NULL for UTC), or the error. */
int viewtz_get(Req *r, ViewTz *p);

void viewtz_done(ViewTz *p);

/* "2026-03-29 03:30:00 CEST" (nSec 1) or "2026-03-29 03:30 CEST" (nSec
** 0) for utcMs in p's zone, or UTC with "UTC" when p has none. */
void viewtz_format(const ViewTz *p, int64_t utcMs, int nSec, char z[40]);

#endif
