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

/* Creates a component if no component has that name (demo, tests).
** 0 or E_DB. */
int component_ensure(const char *zName, const char *zDescription);

#endif
