// fuzz-sources: server/tz.c
// fuzz-libs:
/*
** fuzz_tz.c: libFuzzer target for tz.c's TZif reader (run by
** tests/fuzz/run.sh). Whatever tz_parse() accepts must give offsets
** within a day and NUL-terminated abbreviations at any moment asked.
** Single-threaded.
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static Tz z;
  if (tz_parse(data, size, &z) != 0) {
    return 0;
  }
  if (z.nType < 1 || z.nType > TZ_MAX_TYPES || z.nTrans < 0 ||
      z.nTrans > TZ_MAX_TRANS) {
    abort();
  }
  static const int64_t aMs[] = {INT64_MIN / 2, -1, 0, 1700000000000LL,
                                INT64_MAX / 2};
  for (size_t i = 0; i < sizeof(aMs) / sizeof(aMs[0]); i++) {
    char zAbbr[8];
    int off = tz_offset(&z, aMs[i], zAbbr);
    if (off < -26 * 3600 || off > 26 * 3600 || memchr(zAbbr, 0, 8) == NULL) {
      abort();
    }
  }
  return 0;
}
