/*
** sha256.c: SHA-256 as specified in FIPS 180-4, one-shot only.
**
** Used to hash session and API tokens before they are stored, so a leaked
** database does not leak usable tokens. It is not a password hash (auth.c
** uses yescrypt) and not a MAC. Written for clarity, not speed: tokens are
** short. Input is read a byte at a time, so any alignment is fine and the
** result does not depend on the host's byte order.
**
** Threading: no state outside the caller's stack; thread-safe.
*/
#include "sha256.h"

#include <assert.h>
#include <string.h>

/* Working state for one message. */
typedef struct Sha256 {
  uint32_t aH[8]; /* the intermediate hash value H(i) */
} Sha256;

/* The first 32 bits of the fractional parts of the cube roots of the first
** 64 primes (FIPS 180-4 §4.2.2). */
static const uint32_t sha256_aK[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
    0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
    0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
    0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
    0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
    0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
    0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
    0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

/* The first 32 bits of the fractional parts of the square roots of the
** first 8 primes (FIPS 180-4 §5.3.3). */
static const uint32_t sha256_aH0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372,
                                       0xa54ff53a, 0x510e527f, 0x9b05688c,
                                       0x1f83d9ab, 0x5be0cd19};

/* Rotates right by n, 0 < n < 32 (so neither shift is by 32). */
static uint32_t sha256_rotr(uint32_t x, unsigned n) {
  assert(n > 0 && n < 32);
  return (x >> n) | (x << (32 - n));
}

/* Loads a big-endian word. Each byte is widened to uint32_t before the
** shift: a uint8_t would promote to int, and 0x80 << 24 overflows int. */
static uint32_t sha256_load_be32(const uint8_t *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
         ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static void sha256_store_be32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

/* Processes one 64-byte block (FIPS 180-4 §6.2.2). */
static void sha256_block(Sha256 *p, const uint8_t *pBlock) {
  uint32_t aW[64]; /* the message schedule */
  for (int t = 0; t < 16; t++) {
    aW[t] = sha256_load_be32(pBlock + 4 * t);
  }
  for (int t = 16; t < 64; t++) {
    uint32_t s0 = sha256_rotr(aW[t - 15], 7) ^ sha256_rotr(aW[t - 15], 18) ^
                  (aW[t - 15] >> 3);
    uint32_t s1 = sha256_rotr(aW[t - 2], 17) ^ sha256_rotr(aW[t - 2], 19) ^
                  (aW[t - 2] >> 10);
    aW[t] = aW[t - 16] + s0 + aW[t - 7] + s1;
  }

  uint32_t a = p->aH[0], b = p->aH[1], c = p->aH[2], d = p->aH[3];
  uint32_t e = p->aH[4], f = p->aH[5], g = p->aH[6], h = p->aH[7];
  for (int t = 0; t < 64; t++) {
    uint32_t S1 = sha256_rotr(e, 6) ^ sha256_rotr(e, 11) ^ sha256_rotr(e, 25);
    uint32_t ch = (e & f) ^ (~e & g);
    uint32_t t1 = h + S1 + ch + sha256_aK[t] + aW[t];
    uint32_t S0 = sha256_rotr(a, 2) ^ sha256_rotr(a, 13) ^ sha256_rotr(a, 22);
    uint32_t maj = (a & b) ^ (a & c) ^ (b & c);
    uint32_t t2 = S0 + maj;
    h = g;
    g = f;
    f = e;
    e = d + t1;
    d = c;
    c = b;
    b = a;
    a = t1 + t2;
  }
  p->aH[0] += a;
  p->aH[1] += b;
  p->aH[2] += c;
  p->aH[3] += d;
  p->aH[4] += e;
  p->aH[5] += f;
  p->aH[6] += g;
  p->aH[7] += h;
}

/*
** Hashes n bytes at p (any alignment; p may be NULL when n is 0) into
** out[32]. Does not allocate; cannot fail.
*/
void sha256(const void *p, size_t n, uint8_t out[32]) {
  const uint8_t *pIn = p;
  Sha256 s;
  uint8_t aTail[128]; /* the last partial block plus padding: 1 or 2 blocks */
  size_t nFull = n - n % 64;

  assert(p != NULL || n == 0);
  memcpy(s.aH, sha256_aH0, sizeof(s.aH));
  for (size_t i = 0; i < nFull; i += 64) {
    sha256_block(&s, pIn + i);
  }

  /* Padding (§5.1.1): a 1 bit, zeros, then the length in bits as a
  ** big-endian 64-bit number, filling out the last block. The length is
  ** taken mod 2^64 as the standard says. */
  size_t nRest = n - nFull;
  size_t nTail = nRest < 56 ? 64 : 128;
  memset(aTail, 0, sizeof(aTail));
  if (nRest > 0) {
    memcpy(aTail, pIn + nFull, nRest);
  }
  aTail[nRest] = 0x80;
  uint64_t nBit = (uint64_t)n << 3;
  for (size_t k = 0; k < 8; k++) {
    aTail[nTail - 1 - k] = (uint8_t)(nBit >> (8 * k));
  }
  for (size_t i = 0; i < nTail; i += 64) {
    sha256_block(&s, aTail + i);
  }

  for (int k = 0; k < 8; k++) {
    sha256_store_be32(out + 4 * k, s.aH[k]);
  }
}

/*
** Hashes n bytes at p and writes the digest as 64 lowercase hex digits
** plus a NUL into zHex[65]. Does not allocate; cannot fail.
*/
void sha256_hex(const void *p, size_t n, char zHex[65]) {
  static const char zDigit[] = "0123456789abcdef";
  uint8_t aOut[32];
  sha256(p, n, aOut);
  for (int k = 0; k < 32; k++) {
    zHex[2 * k] = zDigit[aOut[k] >> 4];
    zHex[2 * k + 1] = zDigit[aOut[k] & 15];
  }
  zHex[64] = 0;
}
