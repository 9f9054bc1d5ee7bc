// fuzz-sources: server/utc.c
// fuzz-libs:
/*
** fuzz_utc.c: libFuzzer target for utc.c (run by tests/fuzz/run.sh).
**
** Feeds the input, unterminated, to utc_parse_iso() and utc_parse_clf().
** Whatever either accepts must lie within UTC_MIN_MS..UTC_MAX_MS, and
** utc_format() of it must parse back to the same milliseconds; the first
** 8 bytes, read as an int64, must also format to text that parses back to
** the clamped value, and folded into the range to text that parses back
** exactly. A broken property calls abort(), so libFuzzer reports it and
** keeps the input as a crash artifact. Single-threaded, no allocation.
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "utc.h"

/* Formats msIn and aborts unless the text has the fixed 24-character
** shape and parses back to msWant. */
static void check_format(int64_t msIn, int64_t msWant) {
  char z[25];
  int64_t ms2 = 0;
  utc_format(msIn, z);
  if (strlen(z) != 24 || utc_parse_iso(z, 24, &ms2) != 0 || ms2 != msWant) {
    abort();
  }
}

/* Checks one parser's result on the input. */
static void check_parser(int (*xParse)(const char *, size_t, int64_t *),
                         const char *z, size_t n) {
  int64_t ms = 0;
  if (xParse(z, n, &ms) != 0) {
    return;
  }
  if (ms < UTC_MIN_MS || ms > UTC_MAX_MS) {
    abort();
  }
  check_format(ms, ms);
}

int LLVMFuzzerTestOneInput(const uint8_t *aData, size_t nData);

int LLVMFuzzerTestOneInput(const uint8_t *aData, size_t nData) {
  const char *z = (const char *)aData;

  check_parser(utc_parse_iso, z, nData);
  check_parser(utc_parse_clf, z, nData);

  if (nData >= 8) {
    uint64_t u = 0;
    for (int k = 0; k < 8; k++) {
      u = (u << 8) | aData[k];
    }
    /* memcpy, not a cast: converting an out-of-range uint64_t to int64_t
    ** is implementation-defined. Most raw values are out of range and test
    ** the clamp; the value folded into the range tests every date. */
    int64_t ms;
    memcpy(&ms, &u, sizeof(ms));
    int64_t msClamped = ms;
    if (ms < UTC_MIN_MS) {
      msClamped = UTC_MIN_MS;
    } else if (ms > UTC_MAX_MS) {
      msClamped = UTC_MAX_MS;
    }
    check_format(ms, msClamped);
    uint64_t nSpan = (uint64_t)(UTC_MAX_MS - UTC_MIN_MS) + 1;
    int64_t msFolded = UTC_MIN_MS + (int64_t)(u % nSpan);
    check_format(msFolded, msFolded);
  }
  return 0;
}
