/*
** audit.h: the change log. Every create, update and delete of a record is
** written to `changes` with who, when, before and after, inside the same
** transaction as the change itself; admins read it at /app/audit and
** GET /api/v1/audit.
*/
#ifndef HS_AUDIT_H
#define HS_AUDIT_H

#include <jansson.h>
#include <stdint.h>

#include "http.h"

/* Appends one change row inside the caller's write transaction. pBefore
** and pAfter may be NULL (create, delete). Returns 0 or E_DB. */
int audit_log(const char *zEntity, int64_t id, const char *zActor,
              const char *zAction, json_t *pBefore, json_t *pAfter);

/* The history of one record, oldest first, as a NEW array of
** {id, ts, actor, action, before, after}. */
json_t *audit_history(const char *zEntity, int64_t id);

/*
** GET /app/audit and /api/v1/audit (admins): the change log, newest first,
** filtered by ?entity= (and &entity_id=), &actor=, &action=, &from= and
** &to= (RFC 3339 times or dates; a date in `to` includes that whole day),
** paged by &limit= (1..500, default 50) and &cursor= (the next_cursor of
** the page before). Answers {changes: [...], next_cursor, filters};
** E_INVALID names a bad parameter.
*/
int audit_list(Req *r);

#endif
