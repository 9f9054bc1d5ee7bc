/*
** statusapi.h: the public data in Atlassian Statuspage's v2 shapes (page,
** status, components, incidents with incident_updates, scheduled
** maintenances). Only published data: components, incidents with
** public = 1 and their status posts, maintenance windows. Never
** severities, commanders, summaries, timeline events or user names.
** status.c renders the HTML pages and feeds from the same objects.
*/
#ifndef HS_STATUSAPI_H
#define HS_STATUSAPI_H

#include <jansson.h>
#include <stdint.h>

#include "tz.h"

/* The page's settings (settings table, with defaults). */
typedef struct SpPage {
  char zId[64];    /* page_id, default "hindsight" */
  char zName[128]; /* page_name, default "Service status" */
  char zUrl[256];  /* page_url, no trailing slash */
  char zTz[64];    /* time_zone: an IANA name, "Etc/UTC" or "+HH:MM" */
  const TzZone *pZone; /* the zone itself (UTC when zTz cannot be loaded);
                          BORROWED from tz_shared() */
} SpPage;

enum {
  SP_ALL = 0,
  SP_UNRESOLVED = 1,
  SP_UPCOMING = 2,
  SP_ACTIVE = 3,
  SP_OPEN = 4 /* maintenances: upcoming or active */
};

/* Reads the settings into *p (defaults for missing or bad rows). */
void sp_page_load(SpPage *p);
/* The page zone's offset from UTC at ms, in minutes; its label ("CET",
** "UTC", "UTC+03:00") into zLabel when not NULL. */
int sp_offset_min(const SpPage *p, int64_t ms, char zLabel[16]);
/* Writes ms as "2026-11-20T11:38:00.000+00:00" in the page's zone. */
void sp_time(const SpPage *p, int64_t ms, char z[32]);

/* Each returns a NEW value, empty (never NULL) on a database error. */
json_t *sp_page_json(const SpPage *p);
json_t *sp_components(const SpPage *p);
json_t *sp_incidents(const SpPage *p, int eWhich);    /* SP_ALL: 50 newest */
json_t *sp_maintenances(const SpPage *p, int eWhich); /* SP_ALL: 50 newest */
/* Component id in the shape of components.json, or NULL. NEW. */
json_t *sp_component(const SpPage *p, int64_t id);
/* The public incident id, or NULL if missing or not public. NEW. */
json_t *sp_incident(const SpPage *p, int64_t id);
/* Maintenance id, or NULL. NEW. */
json_t *sp_maintenance(const SpPage *p, int64_t id);
/* {indicator, description}: the worst of the components and unresolved
** incidents; "Service Under Maintenance" when all is well but a window is
** in progress. NEW. */
json_t *sp_status(json_t *pComponents, json_t *pIncidents,
                  json_t *pMaintenances);

/* The body of /api/v2/<zName> ("summary.json", "incidents/unresolved.json"
** ...). 0 and NEW *ppOut, or E_NOTFOUND. */
int sp_api(const SpPage *p, const char *zName, json_t **ppOut);

#endif
