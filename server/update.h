/*
** update.h: public status posts on incidents ("incident updates"): a
** status, a Markdown body and new statuses for components, published at
** once. Editors post them from /app and /api/v1.
*/
#ifndef HS_UPDATE_H
#define HS_UPDATE_H

#include <jansson.h>
#include <stdint.h>

#include "http.h"

int update_create(Req *r); /* POST /api/v1/incidents/{id}/updates,
                              POST /app/incidents/{id}/updates */
int update_list(Req *r);   /* GET  /api/v1/incidents/{id}/updates */

/* The updates of incident id, newest first, in the /api/v1 shape (times
** in UTC, author included: internal). NEW array; empty on a DB error. */
json_t *update_list_json(int64_t id);

/* 1 if z (n bytes) holds no control character but tab, LF and CR, so it
** is safe in XML feeds as well as HTML. */
int update_text_ok(const char *z, size_t n);

#endif
