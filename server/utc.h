/*
** utc.h: time parsing and formatting. Every time is stored as UTC
** milliseconds since the epoch (int64). Pure functions, thread-safe.
**
** The representable range is 0001-01-01T00:00:00.000Z (UTC_MIN_MS) to
** 9999-12-31T23:59:59.999Z (UTC_MAX_MS): every parser rejects an instant
** outside it, so whatever a parser returns utc_format() writes back exactly.
*/
#ifndef HS_UTC_H
#define HS_UTC_H

#include <stddef.h>
#include <stdint.h>

/* 0001-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z. */
#define UTC_MIN_MS INT64_C(-62135596800000)
#define UTC_MAX_MS INT64_C(253402300799999)

/* Milliseconds since the epoch, now (CLOCK_REALTIME). Never fails. */
int64_t utc_now_ms(void);

/*
** Parses an RFC 3339 / ISO 8601 date-time: "2023-02-15T11:30:00Z",
** "2023-02-15T11:30:00.123+05:30", "2023-02-15 11:30:00Z", lower-case
** t/z, 1-9 fraction digits (truncated to ms), "23:59:60" (folded to :59.999).
** A time without an offset is taken as UTC. A bare date "2023-02-15" is
** midnight UTC. Years 0001..9999 only; offsets up to +-23:59.
**
** Accepted shape, and nothing else (no signs, spaces or bytes around it):
**   YYYY-MM-DD
**   YYYY-MM-DD{T|t| }HH:MM:SS[.f{1,9}][Z|z|{+|-}HH:MM|{+|-}HHMM|{+|-}HH]
** Month, day (leap years included), hour and minute are range-checked.
** Second 60 is accepted only where a leap second can be, i.e. when the
** instant is 23:59 UTC once the offset is applied ("15:59:60-08:00" is
** fine); it reads as 23:59:59.999 UTC. "-00:00" is the same as "Z".
** The instant after applying the offset must also lie within
** UTC_MIN_MS..UTC_MAX_MS ("0001-01-01T00:00:00+01:00" is rejected).
**
** z need not be NUL-terminated (n bytes; a NUL inside is just a bad byte).
** Returns 0 and sets *pMs, or E_INVALID and leaves *pMs untouched.
** Does not allocate.
*/
int utc_parse_iso(const char *z, size_t n, int64_t *pMs);

/*
** Parses nginx/Apache's "10/Oct/2023:13:55:36 -0700" (no brackets):
** two-digit day, English month abbreviation with exactly nginx's
** capitalisation ("Oct", not "oct" or "OCT"), four-digit year, one space,
** and a {+|-}HHMM offset ("+0000" included). Ranges, leap seconds and the
** representable range are checked as for utc_parse_iso().
** z need not be NUL-terminated. Returns 0 and sets *pMs, or E_INVALID and
** leaves *pMs untouched. Does not allocate.
*/
int utc_parse_clf(const char *z, size_t n, int64_t *pMs);

/*
** Writes "2023-02-15T11:30:00.000Z" (24 chars + NUL) into z[25].
** Negative ms (before 1970) are fine: the date is found by floor division.
** ms outside UTC_MIN_MS..UTC_MAX_MS is clamped to the nearest end, so the
** output is always 24 characters that utc_parse_iso() accepts.
*/
void utc_format(int64_t ms, char z[25]);

/*
** Days since 1970-01-01 for a proleptic Gregorian date (month 1..12,
** day 1..31, |y| < 10^12 so nothing overflows; asserted). Negative before
** 1970. The day is not checked against the month: "February 30" comes out
** as March 2 (or 1), so callers validate first.
*/
int64_t utc_days_from_civil(int64_t y, unsigned m, unsigned d);

#endif
