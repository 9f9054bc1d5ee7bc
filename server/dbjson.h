/*
** dbjson.h: a result column as a JSON value for the API shapes, with SQL
** NULL as JSON null. Times are stored as UTC milliseconds and leave as
** ISO 8601 strings (utc_format).
**
** Threading: pure, on the caller's statement.
*/
#ifndef HS_DBJSON_H
#define HS_DBJSON_H

#include <jansson.h>

#include "db.h"

/* Column i of p: "2026-12-07T11:30:00.000Z", or null. NEW. */
json_t *dbjson_time(DbStmt *p, int i);
/* Column i of p: its text, or null. NEW. */
json_t *dbjson_text(DbStmt *p, int i);
/* Column i of p: its integer, or null. NEW. */
json_t *dbjson_int(DbStmt *p, int i);

#endif
