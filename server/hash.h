/*
** hash.h: a fast 64-bit hash for recognising the same evidence again (raw
** line identities, message groups, minute cells). Stable across runs and
** machines of one byte order: stored fingerprints depend on it, so it must
** never change. Not a security boundary (tokens use sha256.h).
**
** Threading: pure.
*/
#ifndef HS_HASH_H
#define HS_HASH_H

#include <stddef.h>
#include <stdint.h>

/* Hashes z[0..n) with seed; eight bytes a step. */
uint64_t hash64(const char *z, size_t n, uint64_t seed);

#endif
