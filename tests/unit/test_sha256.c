/*
** test_sha256.c: unit tests for sha256.c.
**
** NIST FIPS 180-4 example vectors, plus messages whose lengths sit on
** every padding boundary (55/56 bytes: the length field fits or spills into
** a second block; 63/64/65: around a full block; 119/120/128: the same one
** block later), a message holding every byte value (catches sign and
** promotion bugs), and unaligned input. The boundary digests were computed
** with coreutils sha256sum, e.g. `head -c 55 /dev/zero | tr '\0' a`.
** Single-threaded.
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "sha256.h"

/* One message of nByte copies of cFill, and its digest. */
typedef struct FillCase {
  size_t nByte;     /* message length */
  char cFill;       /* the byte repeated */
  const char *zHex; /* expected digest, lowercase hex */
} FillCase;

static const FillCase aFill[] = {
    {55, 'a',
     "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"},
    {56, 'a',
     "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"},
    {63, 'a',
     "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34"},
    {64, 'a',
     "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"},
    {65, 'a',
     "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0"},
    {119, 'a',
     "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb"},
    {120, 'a',
     "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c"},
    {128, 'a',
     "6836cf13bac400e9105071cd6af47084dfacad4e5e302c94bfed24e013afb73e"},
    /* NIST: one million 'a'. */
    {1000000, 'a',
     "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"},
};

/* Hashes the NUL-terminated string z and compares the hex digest. */
static void check_str(const char *zName, const char *z, const char *zWant) {
  char zHex[65];
  sha256_hex(z, strlen(z), zHex);
  CHECK_STR(zName, zHex, zWant);
}

static void test_nist(void) {
  check_str("sha256 nist empty", "",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  check_str("sha256 nist abc", "abc",
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  check_str("sha256 nist 448 bits",
            "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  check_str("sha256 nist 896 bits",
            "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
            "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
            "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

static void test_empty_null(void) {
  char zHex[65];
  sha256_hex(NULL, 0, zHex);
  CHECK_STR("sha256 NULL with length 0", zHex,
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_fill(void) {
  char *zMsg = malloc(1000000);
  if (zMsg == NULL) {
    CHECK("sha256 fill malloc", 0);
    return;
  }
  for (size_t i = 0; i < sizeof(aFill) / sizeof(aFill[0]); i++) {
    char zName[64];
    char zHex[65];
    memset(zMsg, aFill[i].cFill, aFill[i].nByte);
    sha256_hex(zMsg, aFill[i].nByte, zHex);
    snprintf(zName, sizeof(zName), "sha256 %zu x '%c'", aFill[i].nByte,
             aFill[i].cFill);
    CHECK_STR(zName, zHex, aFill[i].zHex);
  }
  free(zMsg);
}

/* Bytes 0..255 in order: every high-bit byte passes through the loads. */
static void test_all_bytes(void) {
  uint8_t aMsg[256];
  char zHex[65];
  for (int i = 0; i < 256; i++) {
    aMsg[i] = (uint8_t)i;
  }
  sha256_hex(aMsg, sizeof(aMsg), zHex);
  CHECK_STR("sha256 bytes 0..255", zHex,
            "40aff2e9d2d8922e47afd4648e6967497158785fbd1da870e7110266bf944880");
}

/* The same message at every offset into a buffer hashes the same. */
static void test_unaligned(void) {
  char aBuf[128 + 8];
  int bSame = 1;
  for (int k = 0; k < 8; k++) {
    char zHex[65];
    memset(aBuf, 0, sizeof(aBuf));
    memset(aBuf + k, 'a', 65);
    sha256_hex(aBuf + k, 65, zHex);
    if (strcmp(zHex, aFill[4].zHex) != 0) {
      bSame = 0;
    }
  }
  CHECK("sha256 unaligned input, offsets 0..7", bSame);
}

/* sha256() and sha256_hex() agree, and the raw digest is big-endian. */
static void test_raw(void) {
  uint8_t aOut[32];
  sha256("abc", 3, aOut);
  CHECK_INT("sha256 raw first byte", aOut[0], 0xba);
  CHECK_INT("sha256 raw last byte", aOut[31], 0xad);
}

int main(void) {
  test_nist();
  test_empty_null();
  test_fill();
  test_all_bytes();
  test_unaligned();
  test_raw();
  return harness_exit();
}
