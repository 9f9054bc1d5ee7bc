/*
** hmac.c: HMAC-SHA256 on top of the one-shot sha256(): each of the two
** hashes runs over a scratch buffer holding the padded key block followed
** by the message. Fine for our sizes (webhook bodies are capped).
**
** Threading: no state outside the caller's stack and the heap; thread-safe.
*/
#include "hmac.h"

#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "sha256.h"

#define HMAC_BLOCK 64 /* SHA-256's block size in bytes */

void hmac_sha256(const void *pKey, size_t nKey, const void *pMsg, size_t nMsg,
                 uint8_t out[32]) {
  uint8_t aKey[HMAC_BLOCK];
  memset(aKey, 0, sizeof(aKey));
  if (nKey > HMAC_BLOCK) {
    sha256(pKey, nKey, aKey);
  } else if (nKey > 0) {
    memcpy(aKey, pKey, nKey);
  }
  /* inner = H((K ^ ipad) || msg) */
  uint8_t *aScratch = xmalloc(HMAC_BLOCK + (nMsg > 32 ? nMsg : 32));
  for (int i = 0; i < HMAC_BLOCK; i++) {
    aScratch[i] = aKey[i] ^ 0x36;
  }
  if (nMsg > 0) {
    memcpy(aScratch + HMAC_BLOCK, pMsg, nMsg);
  }
  uint8_t aInner[32];
  sha256(aScratch, HMAC_BLOCK + nMsg, aInner);
  /* outer = H((K ^ opad) || inner) */
  for (int i = 0; i < HMAC_BLOCK; i++) {
    aScratch[i] = aKey[i] ^ 0x5c;
  }
  memcpy(aScratch + HMAC_BLOCK, aInner, 32);
  sha256(aScratch, HMAC_BLOCK + 32, out);
  memset(aKey, 0, sizeof(aKey));
  free(aScratch);
}

void hmac_sha256_hex(const void *pKey, size_t nKey, const void *pMsg,
                     size_t nMsg, char zHex[65]) {
  static const char azDigit[] = "0123456789abcdef";
  uint8_t aMac[32];
  hmac_sha256(pKey, nKey, pMsg, nMsg, aMac);
  for (int i = 0; i < 32; i++) {
    zHex[2 * i] = azDigit[aMac[i] >> 4];
    zHex[2 * i + 1] = azDigit[aMac[i] & 15];
  }
  zHex[64] = 0;
}
