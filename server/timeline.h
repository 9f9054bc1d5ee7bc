/*
** timeline.h: the events of an incident: notes people write, evidence
** ingest brings, key-moment marks, pins and hides, the change history of
** each event, and the live stream of changes.
*/
#ifndef HS_TIMELINE_H
#define HS_TIMELINE_H

#include <jansson.h>
#include <stdint.h>

#include "http.h"
#include "rawstore.h"

int timeline_list(Req *r);      /* GET  /api/v1/incidents/{id}/events */
int timeline_create(Req *r);    /* POST /api/v1/incidents/{id}/events,
                                   POST /app/incidents/{id}/events */
int timeline_get(Req *r);       /* GET  /api/v1/events/{id} */
int timeline_update(Req *r);    /* PATCH /api/v1/events/{id},
                                   POST /app/events/{id} */
int timeline_delete(Req *r);    /* DELETE /api/v1/events/{id} */
int timeline_history(Req *r);   /* GET  /api/v1/events/{id}/history */
/* Scans pQ's lines for a page (the request's ?cursor, 200 lines, the
** search.raw_budget_ms setting as its time budget) into *ppPage, NEW
** {lines: [{ts, source, line, bad}], next_cursor: string or null,
** partial: the budget ended the scan, searched_to: the time it reached
** when partial, else null}. 0, or an error already put to the request. */
int timeline_raw_lines(Req *r, RawQuery *pQ, json_t **ppPage);
int timeline_raw(Req *r);       /* GET  /api/v1/events/{id}/raw */
int timeline_stream(Req *r);    /* GET  /api/v1/incidents/{id}/stream */
int timeline_raw_search(Req *r); /* GET /api/v1/incidents/{id}/raw?q=,
                                   GET /app/incidents/{id}/raw?q= */

/*
** Adds a note (or change, status_update) to incident incidentId from pIn
** (the POST shape: ts, kind, title, body, key, level, source, component),
** as zActor, in its own transaction; a key mark moves the incident clock.
** 0 and *pEventId; E_INVALID with the field named in zErr; E_DB.
*/
int timeline_add(int64_t incidentId, json_t *pIn, const char *zActor,
                 int64_t *pEventId, char *zErr, size_t nErr);

/* Adds the timeline of incident id (filtered by the request's query) to
** r->pView for the incident page. 0 or E_DB. */
int timeline_view(Req *r, int64_t id);

/* Loads event id in its API shape. NEW, or NULL if missing or deleted. */
json_t *timeline_event_load(int64_t id);

/* The kinds and marks of SPEC §3, NULL-terminated. */
extern const char *const azEventKind[];
extern const char *const azEventKey[];
extern const char *const azEventLevel[];

#endif
