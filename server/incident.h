/*
** incident.h: incidents: declare, list, read, edit, change status, close.
** Pages under /app/incidents and JSON under /api/v1/incidents share the
** handlers (one model, two views).
*/
#ifndef HS_INCIDENT_H
#define HS_INCIDENT_H

#include <jansson.h>
#include <stdint.h>

#include "http.h"

int incident_list(Req *r);     /* GET  /app/incidents, /api/v1/incidents */
int incident_new_page(Req *r); /* GET  /app/incidents/new */
int incident_create(Req *r);   /* POST /app/incidents, /api/v1/incidents */
int incident_get(Req *r);      /* GET  .../incidents/{id} */
int incident_update(Req *r);   /* PATCH /api/v1/incidents/{id},
                                  POST /app/incidents/{id} */

/* Loads incident id as its API shape. NEW, or NULL if there is none. */
json_t *incident_load(int64_t id);

/*
** Declares an incident from a JSON object of the POST shape (title,
** severity, impact, components, commander, summary, started_at, public,
** status), as zActor. bForm: pIn came from an HTML form (it may carry
** csrf_token and such); a request_key (request_key.h) declared again gives
** the first try's id. Returns 0 and *pId; E_INVALID with the field named
** in zErr (nErr bytes).
*/
int incident_declare(json_t *pIn, int bForm, const char *zActor,
                     int64_t *pId, char *zErr, size_t nErr);

/*
** Sets the key moment zKey ("detected" sets detected_at...) to ms, or
** clears it when ms is IN_UNSET (started_at is never cleared), inside the
** caller's write transaction; logs the change. 0, E_INVALID with the two
** moments named in zErr when the order would break, E_NOTFOUND, E_DB.
*/
int incident_set_moment(int64_t id, const char *zKey, int64_t ms,
                        const char *zActor, char *zErr, size_t nErr);

/* CLI: hindsight incident open TITLE [--severity S] [--component N]... */
int incident_cli(int argc, char **argv);

#endif
