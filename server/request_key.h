/*
** request_key.h: a client's key for one create request, so that sending
** the same request again after an unclear answer (db_commit_unknown during
** a failover, a connection lost before the answer) finds what the first
** try made instead of making it twice.
**
** The key comes from the Idempotency-Key header or a request_key field
** (the note form carries one per page). It counts as the same request
** only with the same user, scope and fields (a sha256 of them): a key
** sent again with other text makes a new record, so nothing typed is ever
** dropped as a "duplicate". Keys are kept a day (schema/017).
*/
#ifndef HS_REQUEST_KEY_H
#define HS_REQUEST_KEY_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

enum { REQUEST_KEY_MAX = 100 };

/* 1 if z is a usable key: 1 to REQUEST_KEY_MAX bytes of letters, digits,
** '.', '_', ':' and '-' (a UUID, say). */
int request_key_valid(const char *z);

/* The hash of the request: zScope and pIn's fields but csrf_token and
** request_key, as 64 hex digits in zHash. */
void request_key_hash(const char *zScope, json_t *pIn, char zHash[65]);

/* In the caller's write transaction: 1 and *pId when zActor sent zKey with
** the same scope and hash within the day; 0 when not; E_DB. */
int request_key_find(const char *zActor, const char *zKey,
                     const char *zScope, const char *zHash, int64_t *pId);

/* In the caller's write transaction: records that zKey made id (the
** latest use of a key wins) and prunes keys older than a day. 0 or E_DB. */
int request_key_save(const char *zActor, const char *zKey,
                     const char *zScope, const char *zHash, int64_t id);

#endif
