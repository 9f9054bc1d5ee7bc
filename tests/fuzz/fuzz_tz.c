// fuzz-sources: server/tz.c server/utc.c server/arena.c
// fuzz-libs:
/*
** fuzz_tz.c: libFuzzer target for the TZif reader (tz.c) (run by
** tests/fuzz/run.sh). The input is a TZif file; a zone that loads must
** give offsets within RFC 8536's range at any instant, and a local time
** must map to a UTC time within a day of it. Single-threaded.
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tz.h"
#include "utc.h"

int LLVMFuzzerTestOneInput(const uint8_t *aData, size_t nData);

int LLVMFuzzerTestOneInput(const uint8_t *aData, size_t nData) {
  TzZone *p = NULL;
  if (tz_parse((const char *)aData, nData, &p) != 0) {
    if (p) {
      abort();
    }
    return 0;
  }
  /* Instants from 1900 to 2200, and the extremes. */
  static const int64_t aAt[] = {INT64_C(-2208988800000), 0,
                                INT64_C(1700000000000), INT64_C(2500000000000),
                                INT64_C(7258118400000), UTC_MIN_MS + 86400000,
                                UTC_MAX_MS - 86400000};
  for (size_t i = 0; i < sizeof(aAt) / sizeof(aAt[0]); i++) {
    int32_t off = tz_offset_at(p, aAt[i]);
    if (off < -89999 || off > 93599) {
      abort();
    }
    int64_t t = tz_local_to_utc(p, aAt[i]);
    if (t < aAt[i] - 93600000 || t > aAt[i] + 90000000) {
      abort();
    }
  }
  tz_free(p);
  return 0;
}
