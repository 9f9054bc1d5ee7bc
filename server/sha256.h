/*
** sha256.h: SHA-256 (FIPS 180-4), for hashing session and API tokens before
** they are stored. Not for passwords (those use yescrypt, see auth.c).
*/
#ifndef HS_SHA256_H
#define HS_SHA256_H

#include <stddef.h>
#include <stdint.h>

/* Hashes n bytes of p into out[32]. */
void sha256(const void *p, size_t n, uint8_t out[32]);
/* Hashes and writes 64 lowercase hex digits plus NUL into zHex[65]. */
void sha256_hex(const void *p, size_t n, char zHex[65]);

#endif
