/*
** viewtz.c: the display zone of a request (see viewtz.h).
*/
#include "viewtz.h"

#include <stdio.h>
#include <string.h>

#include "cookie.h"
#include "err.h"
#include "utc.h"

/* 0 and p filled for zName, or E_INVALID / E_NOTFOUND. */
static int viewtz_load(const char *zName, ViewTz *p) {
  if (strlen(zName) >= sizeof(p->zName) || !tz_name_ok(zName)) {
    return E_INVALID;
  }
  snprintf(p->zName, sizeof(p->zName), "%s", zName);
  if (strcmp(zName, "UTC") == 0 || strcmp(zName, "Etc/UTC") == 0) {
    return 0; /* the stored form: nothing to convert */
  }
  /* Loaded for this request, not with tz_shared(): its table holds 64
  ** names for the process, and names chosen by users would fill it and
  ** leave the status page's zone out. A TZif file is a few KiB. */
  int rc = tz_load(zName, &p->pOwned);
  if (rc) {
    p->zName[0] = 0;
    return rc;
  }
  p->pZone = p->pOwned;
  return 0;
}

int viewtz_get(Req *r, ViewTz *p) {
  memset(p, 0, sizeof(*p));
  const char *zTz = req_query(r, "tz");
  if (zTz && *zTz) {
    int rc = viewtz_load(zTz, p);
    if (rc) {
      return req_fail(r, E_INVALID, "tz: not a time zone we know");
    }
    return 0;
  }
  const char *zCookie = r->pConn ? cookie_get(r->pConn, "hs_tz") : NULL;
  if (zCookie && *zCookie && viewtz_load(zCookie, p) != 0) {
    memset(p, 0, sizeof(*p));
  }
  return 0;
}

void viewtz_done(ViewTz *p) {
  tz_free(p->pOwned);
  memset(p, 0, sizeof(*p));
}

void viewtz_format(const ViewTz *p, int64_t utcMs, int nSec, char z[40]) {
  char zAbbr[8] = "UTC";
  int32_t off = p && p->pZone ? tz_offset_abbr(p->pZone, utcMs, zAbbr) : 0;
  char zIso[25];
  utc_format(utcMs + (int64_t)off * 1000, zIso);
  if (!zAbbr[0]) { /* a zone file without abbreviations: the offset */
    int32_t a = off < 0 ? -off : off;
    snprintf(zAbbr, sizeof(zAbbr), "%c%02d%02d", off < 0 ? '-' : '+',
             (int)(a / 3600 % 100), (int)(a / 60 % 60));
  }
  snprintf(z, 40, "%.10s %.*s %s", zIso, nSec ? 8 : 5, zIso + 11, zAbbr);
}
