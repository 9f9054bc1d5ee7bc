/*
** audit.h: the change log. Every create, update and delete of a record is
** written to `changes` with who, when, before and after, inside the same
** transaction as the change itself.
*/
#ifndef HS_AUDIT_H
#define HS_AUDIT_H

#include <jansson.h>
#include <stdint.h>

/* Appends one change row inside the caller's write transaction. pBefore
** and pAfter may be NULL (create, delete). Returns 0 or E_DB. */
int audit_log(const char *zEntity, int64_t id, const char *zActor,
              const char *zAction, json_t *pBefore, json_t *pAfter);

/* The history of one record, oldest first, as a NEW array of
** {id, ts, actor, action, before, after}. */
json_t *audit_history(const char *zEntity, int64_t id);

#endif
