/*
** test_hmac.c: unit tests for hmac.c: the seven HMAC-SHA-256 vectors of
** RFC 4231 §4 (case 5 compares the 128-bit truncation, as the RFC does),
** an empty key and message, and keys on the 64-byte block boundary
** (computed with Python's hmac module). Single-threaded.
*/
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "hmac.h"

/* One RFC 4231 case: key and data as repeated bytes or a string. */
typedef struct HmacCase {
  const char *zName; /* check name */
  uint8_t aKey[131]; /* the key bytes */
  size_t nKey;       /* key length */
  const char *zData; /* the data, or NULL for nData copies of cData */
  uint8_t cData;     /* the repeated data byte */
  size_t nData;      /* data length when zData is NULL */
  const char *zHex;  /* expected MAC, lowercase hex (maybe truncated) */
} HmacCase;

static void fill(uint8_t *a, uint8_t c, size_t n) { memset(a, c, n); }

int main(void) {
  HmacCase aCase[7];
  memset(aCase, 0, sizeof(aCase));
  aCase[0].zName = "RFC 4231 case 1";
  fill(aCase[0].aKey, 0x0b, 20);
  aCase[0].nKey = 20;
  aCase[0].zData = "Hi There";
  aCase[0].zHex =
      "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7";
  aCase[1].zName = "RFC 4231 case 2 (key shorter than the output)";
  memcpy(aCase[1].aKey, "Jefe", 4);
  aCase[1].nKey = 4;
  aCase[1].zData = "what do ya want for nothing?";
  aCase[1].zHex =
      "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
  aCase[2].zName = "RFC 4231 case 3";
  fill(aCase[2].aKey, 0xaa, 20);
  aCase[2].nKey = 20;
  aCase[2].cData = 0xdd;
  aCase[2].nData = 50;
  aCase[2].zHex =
      "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe";
  aCase[3].zName = "RFC 4231 case 4";
  for (int i = 0; i < 25; i++) {
    aCase[3].aKey[i] = (uint8_t)(i + 1);
  }
  aCase[3].nKey = 25;
  aCase[3].cData = 0xcd;
  aCase[3].nData = 50;
  aCase[3].zHex =
      "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b";
  aCase[4].zName = "RFC 4231 case 5 (truncated to 128 bits)";
  fill(aCase[4].aKey, 0x0c, 20);
  aCase[4].nKey = 20;
  aCase[4].zData = "Test With Truncation";
  aCase[4].zHex = "a3b6167473100ee06e0c796c2955552b";
  aCase[5].zName = "RFC 4231 case 6 (key larger than a block)";
  fill(aCase[5].aKey, 0xaa, 131);
  aCase[5].nKey = 131;
  aCase[5].zData = "Test Using Larger Than Block-Size Key - Hash Key First";
  aCase[5].zHex =
      "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54";
  aCase[6].zName = "RFC 4231 case 7 (key and data larger than a block)";
  fill(aCase[6].aKey, 0xaa, 131);
  aCase[6].nKey = 131;
  aCase[6].zData =
      "This is a test using a larger than block-size key and a larger "
      "than block-size data. The key needs to be hashed before being "
      "used by the HMAC algorithm.";
  aCase[6].zHex =
      "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2";

  for (int i = 0; i < 7; i++) {
    const HmacCase *p = &aCase[i];
    uint8_t aData[64];
    const void *pData = p->zData;
    size_t nData = p->zData ? strlen(p->zData) : p->nData;
    if (!p->zData) {
      fill(aData, p->cData, p->nData);
      pData = aData;
    }
    char zHex[65];
    hmac_sha256_hex(p->aKey, p->nKey, pData, nData, zHex);
    zHex[strlen(p->zHex)] = 0;
    CHECK_STR(p->zName, zHex, p->zHex);
  }

  char zHex[65];
  hmac_sha256_hex("", 0, "", 0, zHex);
  CHECK_STR("empty key and message", zHex,
            "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
  uint8_t aKey[65];
  fill(aKey, 'k', sizeof(aKey));
  hmac_sha256_hex(aKey, 64, "msg", 3, zHex);
  CHECK_STR("64-byte key is used as is", zHex,
            "d62ad25bb128e96ab6ef43464aaf2bb91b5b85f013381e9ba6be747e8d0911b2");
  hmac_sha256_hex(aKey, 65, "msg", 3, zHex);
  CHECK_STR("65-byte key is hashed first", zHex,
            "c65585780e821bd312cfaa440c33cb28d6af6b323d4977ae83934834ce589e38");
  uint8_t aMac[32];
  hmac_sha256("key", 3, "The quick brown fox jumps over the lazy dog", 43,
              aMac);
  CHECK_INT("binary form matches the hex form (first byte)", aMac[0], 0xf7);
  return harness_exit();
}
