/*
** request_key.h: a client's key for one create request, so that sending
** the same request again after an unclear answer (db_commit_unknown during
** a failover, a connection lost before the answer) finds what the first
** try made instead of making it twice. Declaring, notes, status updates,
** action items and maintenances use it.
**
** The key comes from the Idempotency-Key header or a request_key field
** (the incident page's forms carry one per page). It counts as the same
** request only with the same user, scope and fields (a sha256 of them): a
** key sent again with other text makes a new record, so nothing typed is
** ever dropped as a "duplicate". Keys are kept a day (schema/017).
*/
#ifndef HS_REQUEST_KEY_H
#define HS_REQUEST_KEY_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "http.h"

enum { REQUEST_KEY_MAX = 100 };

typedef struct RequestKey {
  char zKey[REQUEST_KEY_MAX + 1]; /* "" when the request has none */
  char zScope[48];  /* where it creates: "incident 5 events" */
  char zHash[65];   /* sha256 of the scope and fields, as hex */
} RequestKey;

/* A fresh key for a form on a page (32 hex digits), as a JSON string. */
json_t *request_key_new(void);

/* Moves r's Idempotency-Key header into pIn's request_key field (unless
** the field is there). 0, or E_INVALID (req_fail) for a bad header. */
int request_key_header(Req *r, json_t *pIn);

/* Takes pIn's request_key field (it is removed, so the fields that remain
** are the record's own) into pKey for zScope. 0, or E_INVALID with the
** field named in zErr: a key is 1 to REQUEST_KEY_MAX bytes of letters,
** digits, '.', '_', ':' and '-' (a UUID, say). */
int request_key_read(json_t *pIn, const char *zScope, RequestKey *pKey,
                     char *zErr, size_t nErr);

/* In the caller's write transaction: 1 and *pId when zActor sent this key
** with the same scope and fields within the day; 0 when not (or no key);
** E_DB. */
int request_key_find(const char *zActor, const RequestKey *pKey,
                     int64_t *pId);

/* In the caller's write transaction: records that the key made id (the
** latest use of a key wins) and prunes keys older than a day; nothing
** without a key. 0 or E_DB. */
int request_key_save(const char *zActor, const RequestKey *pKey, int64_t id);

#endif
