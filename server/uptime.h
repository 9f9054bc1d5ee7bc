/*
** uptime.h: daily uptime of one component from its status history.
**
** A day is a UTC calendar day (uptime_days) or any day the caller bounds,
** such as the status page's local days with their DST lengths
** (uptime_days_between). Time in major_outage counts fully as down,
** time in partial_outage counts 30% down (Statuspage weighs it so);
** degraded_performance and under_maintenance count as up. Time before the
** first history row is unknown and left out of the percentage.
** Pure functions, thread-safe, no allocation.
*/
#ifndef HS_UPTIME_H
#define HS_UPTIME_H

#include <stdint.h>

#define UPTIME_DAY_MS INT64_C(86400000)

/* The component was in status iStatus (index in azComponentStatus) from
** tFrom until the next span's tFrom (or now). Spans are sorted by tFrom. */
typedef struct UptimeSpan {
  int64_t tFrom; /* UTC ms */
  int iStatus;   /* 0 operational .. 4 under_maintenance */
} UptimeSpan;

typedef struct UptimeDay {
  int64_t tDay;    /* UTC ms at 00:00 of the day */
  int64_t msKnown; /* ms of the day with a known status (0: no data) */
  int64_t msDown;  /* weighted down time, ms */
  int64_t aMs[5];  /* ms in each status */
  int iWorst;      /* worst of 0..3 seen that day; -1 without data */
} UptimeDay;

/*
** Fills aOut[0..nDay) with the nDay UTC days ending with the one holding
** tNow (aOut[nDay-1] is today, counted up to tNow), oldest first.
*/
void uptime_days(const UptimeSpan *aSpan, int nSpan, int64_t tNow, int nDay,
                 UptimeDay *aOut);

/*
** The same over days the caller bounds: day i is [aStart[i], aStart[i+1]),
** aStart has nDay + 1 rising entries, and the last day is counted up to
** tNow (aStart[nDay] - 1 at most). aOut[i].tDay is aStart[i].
*/
void uptime_days_between(const UptimeSpan *aSpan, int nSpan, int64_t tNow,
                         int nDay, const int64_t *aStart, UptimeDay *aOut);

/* Uptime of a day or a sum of days in percent (0..100), or -1 when
** msKnown is 0. */
double uptime_percent(int64_t msKnown, int64_t msDown);

#endif
