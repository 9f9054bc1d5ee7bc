/*
** test_tz.c: unit tests for tz.c: zone names (path tricks refused), DST
** transitions of Europe/Berlin and America/New_York from the system's
** tzdata, fixed offsets, and truncated files refused. Single-threaded.
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "harness.h"
#include "tz.h"
#include "utc.h"

static int64_t at(const char *z) {
  int64_t ms = 0;
  utc_parse_iso(z, strlen(z), &ms);
  return ms;
}

int main(void) {
  TzZone *z = NULL;
  char zAbbr[8];

  CHECK("Europe/Berlin is a name", tz_name_ok("Europe/Berlin"));
  CHECK("America/Argentina/Buenos_Aires is a name",
        tz_name_ok("America/Argentina/Buenos_Aires"));
  CHECK("Etc/GMT+5 is a name", tz_name_ok("Etc/GMT+5"));
  CHECK("+05:30 is a name", tz_name_ok("+05:30"));
  CHECK("../etc/passwd refused", !tz_name_ok("../etc/passwd"));
  CHECK("Europe/../x refused", !tz_name_ok("Europe/../x"));
  CHECK("/etc/passwd refused", !tz_name_ok("/etc/passwd"));
  CHECK("trailing slash refused", !tz_name_ok("Europe/"));
  CHECK("empty refused", !tz_name_ok(""));
  CHECK("space refused", !tz_name_ok("Europe/Ber lin"));
  CHECK("+15:00 refused", !tz_name_ok("+15:00"));
  CHECK_INT("unknown zone is not found", tz_load("Nowhere/Atlantis", &z),
            E_NOTFOUND);
  CHECK_INT("bad name is invalid", tz_load("../../etc/passwd", &z),
            E_INVALID);

  tz_free(z);
  CHECK_INT("Europe/Berlin loads", tz_load("Europe/Berlin", &z), 0);
  /* 2026: CEST from 29 March 01:00 UTC to 25 October 01:00 UTC. */
  CHECK_INT("Berlin winter +1h",
            tz_offset_abbr(z, at("2026-03-29T00:59:59Z"), zAbbr), 3600);
  CHECK_STR("Berlin winter is CET", zAbbr, "CET");
  CHECK_INT("Berlin summer +2h",
            tz_offset_abbr(z, at("2026-03-29T01:00:00Z"), zAbbr), 7200);
  CHECK_STR("Berlin summer is CEST", zAbbr, "CEST");
  CHECK_INT("Berlin autumn back to +1h",
            tz_offset_abbr(z, at("2026-10-25T01:00:00Z"), NULL), 3600);
  CHECK_INT("Berlin 2030 summer", tz_offset_abbr(z, at("2030-07-01T00:00:00Z"),
                                            NULL), 7200);
  CHECK_INT("Berlin 1990 summer", tz_offset_abbr(z, at("1990-07-01T00:00:00Z"),
                                            NULL), 7200);

  tz_free(z);
  CHECK_INT("America/New_York loads", tz_load("America/New_York", &z), 0);
  CHECK_INT("New York EDT", tz_offset_abbr(z, at("2026-11-01T05:59:59Z"), zAbbr),
            -4 * 3600);
  CHECK_STR("abbreviation EDT", zAbbr, "EDT");
  CHECK_INT("New York EST", tz_offset_abbr(z, at("2026-11-01T06:00:00Z"), zAbbr),
            -5 * 3600);
  CHECK_STR("abbreviation EST", zAbbr, "EST");

  tz_free(z);
  CHECK_INT("fixed +05:30", tz_load("+05:30", &z), 0);
  CHECK_INT("fixed offset", tz_offset_abbr(z, 0, NULL), 19800);
  tz_free(z);
  CHECK_INT("UTC loads", tz_load("UTC", &z), 0);
  CHECK_INT("UTC offset", tz_offset_abbr(z, at("2026-07-01T00:00:00Z"), zAbbr), 0);
  CHECK_STR("UTC abbreviation", zAbbr, "UTC");
  tz_free(z);
  z = NULL;

  /* Every prefix of a real file is refused or parsed, never read past. */
  FILE *f = fopen("/usr/share/zoneinfo/Europe/Paris", "rb");
  CHECK("Europe/Paris readable", f != NULL);
  if (f) {
    unsigned char a[8192];
    size_t n = fread(a, 1, sizeof(a), f);
    fclose(f);
    CHECK_INT("whole file parses", tz_parse((const char *)a, n, &z), 0);
    tz_free(z);
    int nBad = 0;
    for (size_t k = 0; k < 200 && k < n; k++) {
      char *p = malloc(k ? k : 1);
      memcpy(p, a, k);
      if (tz_parse(p, k, &z) == 0) {
        nBad++;
        tz_free(z);
      }
      free(p);
    }
    CHECK_INT("short prefixes refused", nBad, 0);
  }
  int rc;
  const TzZone *pA = tz_shared("Europe/Berlin", &rc);
  CHECK("a shared zone loads once", pA && pA == tz_shared("Europe/Berlin", &rc));
  CHECK("a bad name is not shared", !tz_shared("../x", &rc) && rc == E_INVALID);
  return harness_exit();
}
