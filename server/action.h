/*
** action.h: action items (corrective, preventive, ...) across incidents:
** the dashboard /app/actions, the JSON API /api/v1/actions, and the CSV,
** Atom and iCalendar exports. Postmortems and the incident pages list an
** incident's items through action_for_incident().
*/
#ifndef HS_ACTION_H
#define HS_ACTION_H

#include <jansson.h>
#include <stdint.h>

#include "http.h"

int action_list(Req *r);   /* GET /app/actions, /api/v1/actions */
int action_get(Req *r);    /* GET /api/v1/actions/{id} */
int action_create(Req *r); /* POST /app/actions, /api/v1/actions */
int action_update(Req *r); /* PATCH /api/v1/actions/{id},
                              POST /app/actions/{id} */
int action_csv(Req *r);    /* GET /app/actions.csv */
int action_atom(Req *r);   /* GET /app/actions.atom: overdue items */
int action_ics(Req *r);    /* GET /app/actions.ics: due dates */

/* The action items of one incident in their API shape, oldest first.
** NEW array (json_decref); empty on a storage error (logged). */
json_t *action_for_incident(int64_t incidentId);

/* Open (open or in_progress) and overdue item counts of one incident.
** 0 or E_DB. */
int action_counts(int64_t incidentId, int *pnOpen, int *pnOverdue);

/* Writes the UTC calendar day of nowMs as "YYYY-MM-DD" into zDay[11]. */
void action_today(int64_t nowMs, char zDay[11]);

/* Whether an item is overdue at nowMs: its due date (zDue, "YYYY-MM-DD",
** or NULL/"" when none) is before today in UTC and zStatus is open or
** in_progress. Due today is not overdue. Pure. */
int action_is_overdue(const char *zDue, const char *zStatus, int64_t nowMs);

#endif
