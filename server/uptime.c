/*
** uptime.c: daily uptime from status spans (see uptime.h for the rules).
** Pure arithmetic over the caller's arrays; thread-safe.
*/
#include "uptime.h"

#include <assert.h>
#include <string.h>

/* Floor division, so days before 1970 start at their own midnight. */
static int64_t day_start(int64_t t) {
  int64_t d = t / UPTIME_DAY_MS;
  if (t % UPTIME_DAY_MS < 0) {
    d--;
  }
  return d * UPTIME_DAY_MS;
}

/* Counts ms of status iStatus (0..4) in day p. */
static void day_add(UptimeDay *p, int iStatus, int64_t ms) {
  p->aMs[iStatus] += ms;
  p->msKnown += ms;
  if (iStatus == 3) {
    p->msDown += ms;
  } else if (iStatus == 2) {
    p->msDown += ms * 3 / 10;
  }
  int iLevel = iStatus == 4 ? 0 : iStatus;
  if (iLevel > p->iWorst) {
    p->iWorst = iLevel;
  }
}

void uptime_days(const UptimeSpan *aSpan, int nSpan, int64_t tNow, int nDay,
                 UptimeDay *aOut) {
  assert(nDay > 0);
  int64_t tFirst = day_start(tNow) - (int64_t)(nDay - 1) * UPTIME_DAY_MS;
  for (int i = 0; i < nDay; i++) {
    memset(&aOut[i], 0, sizeof(aOut[i]));
    aOut[i].tDay = tFirst + (int64_t)i * UPTIME_DAY_MS;
    aOut[i].iWorst = -1;
  }
  for (int s = 0; s < nSpan; s++) {
    int64_t t0 = aSpan[s].tFrom;
    int64_t t1 = s + 1 < nSpan ? aSpan[s + 1].tFrom : tNow;
    int iStatus = aSpan[s].iStatus;
    if (t1 > tNow) {
      t1 = tNow;
    }
    if (t0 < tFirst) {
      t0 = tFirst;
    }
    if (t1 <= t0 || iStatus < 0 || iStatus > 4) {
      continue;
    }
    for (int64_t d = day_start(t0); d < t1; d += UPTIME_DAY_MS) {
      int i = (int)((d - tFirst) / UPTIME_DAY_MS);
      int64_t a = t0 > d ? t0 : d;
      int64_t b = t1 < d + UPTIME_DAY_MS ? t1 : d + UPTIME_DAY_MS;
      if (i < 0 || i >= nDay || b <= a) {
        continue;
      }
      day_add(&aOut[i], iStatus, b - a);
    }
  }
}

/* The day of aStart[0..nDay) holding t: the last start <= t, or -1. */
static int day_index(const int64_t *aStart, int nDay, int64_t t) {
  int lo = 0, hi = nDay;
  while (lo < hi) {
    int mid = lo + (hi - lo) / 2;
    if (aStart[mid] <= t) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo - 1;
}

void uptime_days_between(const UptimeSpan *aSpan, int nSpan, int64_t tNow,
                         int nDay, const int64_t *aStart, UptimeDay *aOut) {
  assert(nDay > 0);
  for (int i = 0; i < nDay; i++) {
    assert(aStart[i] < aStart[i + 1]);
    memset(&aOut[i], 0, sizeof(aOut[i]));
    aOut[i].tDay = aStart[i];
    aOut[i].iWorst = -1;
  }
  int64_t tEnd = tNow < aStart[nDay] ? tNow : aStart[nDay];
  for (int s = 0; s < nSpan; s++) {
    int64_t t0 = aSpan[s].tFrom;
    int64_t t1 = s + 1 < nSpan ? aSpan[s + 1].tFrom : tEnd;
    int iStatus = aSpan[s].iStatus;
    if (t1 > tEnd) {
      t1 = tEnd;
    }
    if (t0 < aStart[0]) {
      t0 = aStart[0];
    }
    if (t1 <= t0 || iStatus < 0 || iStatus > 4) {
      continue;
    }
    for (int i = day_index(aStart, nDay, t0); i >= 0 && i < nDay &&
                                              aStart[i] < t1;
         i++) {
      int64_t a = t0 > aStart[i] ? t0 : aStart[i];
      int64_t b = t1 < aStart[i + 1] ? t1 : aStart[i + 1];
      if (b <= a) {
        continue;
      }
      day_add(&aOut[i], iStatus, b - a);
    }
  }
}

double uptime_percent(int64_t msKnown, int64_t msDown) {
  if (msKnown <= 0) {
    return -1;
  }
  return 100.0 * (double)(msKnown - msDown) / (double)msKnown;
}
