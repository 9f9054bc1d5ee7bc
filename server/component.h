/*
** component.h: the components of the service (web, API, checkout...) whose
** status the public page shows and that incidents affect.
*/
#ifndef HS_COMPONENT_H
#define HS_COMPONENT_H

#include "http.h"

int component_list(Req *r);   /* GET  /app/components, /api/v1/components */
int component_create(Req *r); /* POST /app/components, /api/v1/components */
int component_update(Req *r); /* PATCH /api/v1/components/{id},
                                 POST /app/components/{id} */
/* POST /app/components/{id}/move and /api/v1/components/{id}/move
** (admins): dir=up|down swaps it with its neighbour in its group; the
** group is numbered 1..n (position) in the order shown. Audited. */
int component_move(Req *r);
/* POST /app/components/order and /api/v1/components/order (admins): saves
** the whole order in one transaction. components: every component id once,
** in the new order (a JSON array, or "3,1,2" from a form); each keeps its
** group and a group's members are numbered 1..n as listed. groups
** (optional): every group with members, in order. Changed positions are
** audited like moves. E_INVALID names an unknown, repeated or missing id;
** nothing is saved then. */
int component_order(Req *r);
int component_delete(Req *r); /* POST /app/components/{id}/delete */

/* Creates a component if no component has that name (demo, tests).
** 0 or E_DB. */
int component_ensure(const char *zName, const char *zDescription);

/* What component_link() links components to. */
enum { COMPONENT_LINK_INCIDENT, COMPONENT_LINK_MAINTENANCE };

/* Replaces the components linked to incident or maintenance id (eOwner
** says which) with those named in pNames, a JSON array of strings
** (BORROWED; NULL unlinks all). One function so that incidents and
** maintenance windows accept and reject names alike. Call inside
** db_begin_write(). 0; E_INVALID with the message in zErr if a name is
** unknown; E_DB or E_CONFLICT. Allocates nothing. */
int component_link(int eOwner, int64_t id, json_t *pNames, char *zErr,
                   size_t nErr);

#endif
