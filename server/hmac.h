/*
** hmac.h: HMAC-SHA256 (RFC 2104 over FIPS 180-4 SHA-256), to sign outgoing
** webhook bodies and to derive per-subscriber tokens from a secret.
*/
#ifndef HS_HMAC_H
#define HS_HMAC_H

#include <stddef.h>
#include <stdint.h>

/* MAC of nMsg bytes of pMsg under the nKey-byte key pKey into out[32].
** Any key length (longer than a block is hashed first, as RFC 2104 says).
** Allocates a scratch copy of the message (xmalloc: aborts on OOM). */
void hmac_sha256(const void *pKey, size_t nKey, const void *pMsg, size_t nMsg,
                 uint8_t out[32]);
/* The same, written as 64 lowercase hex digits plus NUL into zHex[65]. */
void hmac_sha256_hex(const void *pKey, size_t nKey, const void *pMsg,
                     size_t nMsg, char zHex[65]);

#endif
