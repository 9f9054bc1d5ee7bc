/*
** maintenance.h: maintenance windows. Editors schedule them from
** /app/maintenances and /api/v1/maintenances; the public page shows the
** upcoming and active ones. Their components go under_maintenance while
** a window is in progress (or verifying) and back when it completes.
*/
#ifndef HS_MAINTENANCE_H
#define HS_MAINTENANCE_H

#include <jansson.h>
#include <stdint.h>

#include "http.h"

int maintenance_list(Req *r);   /* GET  /app/maintenances, /api/v1/... */
int maintenance_create(Req *r); /* POST /app/maintenances, /api/v1/... */
int maintenance_get(Req *r);    /* GET  /api/v1/maintenances/{id} */
int maintenance_update(Req *r); /* PATCH /api/v1/maintenances/{id},
                                   POST /app/maintenances/{id} */
int maintenance_delete(Req *r); /* DELETE /api/v1/maintenances/{id} */

/*
** Moves windows whose time has come: scheduled -> in_progress at
** scheduled_for, in_progress/verifying -> completed at scheduled_until,
** with their components' statuses. Run lazily, before the public page is
** rendered and before the lists are read. Returns 0 or E_DB; *pNext (may
** be NULL) receives the next time a window is due to move (INT64_MAX if
** none).
*/
int maintenance_tick(int64_t now, int64_t *pNext);

#endif
