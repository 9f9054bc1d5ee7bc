/*
** test_uptime.c: unit tests for uptime.c: spans split at UTC midnight,
** the month boundary, weights of partial and major outages, days without
** data, and today counted only up to now. Single-threaded.
*/
#include <stdint.h>

#include "harness.h"
#include "uptime.h"
#include "utc.h"

static int64_t at(const char *z) {
  int64_t ms = 0;
  utc_parse_iso(z, strlen(z), &ms);
  return ms;
}

int main(void) {
  UptimeDay a[90];
  const int64_t H = 3600000;

  /* A major outage from 23:00 on Jan 31 to 01:00 on Feb 1 (a month
  ** boundary) counts one hour down on each day. */
  UptimeSpan s1[] = {{at("2026-01-01T00:00:00Z"), 0},
                     {at("2026-01-31T23:00:00Z"), 3},
                     {at("2026-02-01T01:00:00Z"), 0}};
  int64_t now = at("2026-02-02T12:00:00Z");
  uptime_days(s1, 3, now, 3, a);
  CHECK_INT("oldest day is Jan 31", a[0].tDay, at("2026-01-31T00:00:00Z"));
  CHECK_INT("today is the last day", a[2].tDay, at("2026-02-02T00:00:00Z"));
  CHECK_INT("Jan 31: one hour down before midnight", a[0].msDown, H);
  CHECK_INT("Feb 1: one hour down after midnight", a[1].msDown, H);
  CHECK_INT("Jan 31 fully known", a[0].msKnown, 24 * H);
  CHECK_INT("today counts only up to now", a[2].msKnown, 12 * H);
  CHECK_INT("today has no down time", a[2].msDown, 0);
  CHECK_INT("worst of Jan 31 is major_outage", a[0].iWorst, 3);
  CHECK_INT("worst of today is operational", a[2].iWorst, 0);
  CHECK("Jan 31 uptime is 23/24",
        uptime_percent(a[0].msKnown, a[0].msDown) > 95.83 &&
            uptime_percent(a[0].msKnown, a[0].msDown) < 95.84);

  /* Partial outage weighs 30%; maintenance and degraded count as up. */
  UptimeSpan s2[] = {{at("2026-03-10T00:00:00Z"), 2},
                     {at("2026-03-10T10:00:00Z"), 4},
                     {at("2026-03-10T12:00:00Z"), 1},
                     {at("2026-03-10T14:00:00Z"), 0}};
  uptime_days(s2, 4, at("2026-03-11T00:00:00Z"), 2, a);
  CHECK_INT("10 h partial outage = 3 h down", a[0].msDown, 3 * H);
  CHECK_INT("maintenance time is recorded", a[0].aMs[4], 2 * H);
  CHECK_INT("worst is partial_outage", a[0].iWorst, 2);
  CHECK_INT("a day starting at now has nothing known", a[1].msKnown, 0);

  /* A component created mid-day: earlier days have no data. */
  UptimeSpan s3[] = {{at("2026-05-05T18:00:00Z"), 0}};
  uptime_days(s3, 1, at("2026-05-06T06:00:00Z"), 90, a);
  CHECK_INT("days before creation have no data", a[0].iWorst, -1);
  CHECK("no data gives -1 percent", uptime_percent(a[0].msKnown, 0) < 0);
  CHECK_INT("creation day known from 18:00", a[88].msKnown, 6 * H);
  CHECK_INT("today known up to 06:00", a[89].msKnown, 6 * H);

  /* A span that ended exactly at midnight leaves the next day alone. */
  UptimeSpan s4[] = {{at("2026-07-01T20:00:00Z"), 3},
                     {at("2026-07-02T00:00:00Z"), 0}};
  uptime_days(s4, 2, at("2026-07-02T10:00:00Z"), 2, a);
  CHECK_INT("outage up to midnight stays on its day", a[0].msDown, 4 * H);
  CHECK_INT("the next day starts clean", a[1].msDown, 0);
  CHECK_INT("the next day is operational", a[1].iWorst, 0);
  /* Local days (Europe/Berlin): 29 March 2026 has 23 hours. An outage
  ** from 23:30 to 00:30 local time is split at local midnight. */
  int64_t aStart[3] = {at("2026-03-28T23:00:00Z"), at("2026-03-29T22:00:00Z"),
                       at("2026-03-30T22:00:00Z")};
  UptimeSpan s9[] = {{at("2026-03-01T00:00:00Z"), 0},
                     {at("2026-03-29T21:30:00Z"), 3},
                     {at("2026-03-29T22:30:00Z"), 0}};
  uptime_days_between(s9, 3, at("2026-03-31T12:00:00Z"), 2, aStart, a);
  CHECK_INT("local day: starts at local midnight", a[0].tDay, aStart[0]);
  CHECK_INT("local day: the DST day has 23 hours", a[0].msKnown, 23 * H);
  CHECK_INT("local day: half the outage before midnight", a[0].msDown,
            H / 2);
  CHECK_INT("local day: half after", a[1].msDown, H / 2);
  CHECK_INT("local day: the next day has 24 hours", a[1].msKnown, 24 * H);
  CHECK_INT("local day: worst is major", a[1].iWorst, 3);
  uptime_days_between(s9, 3, at("2026-03-30T06:00:00Z"), 2, aStart, a);
  CHECK_INT("local day: today counts up to now", a[1].msKnown, 8 * H);
  return harness_exit();
}
