/*
** utc.c: parsing and formatting of timestamps (SPEC.md §2).
**
** Every time in Hindsight is an int64 count of milliseconds since
** 1970-01-01T00:00:00Z. This module turns the textual forms with an explicit
** date (RFC 3339 / ISO 8601 extended format, nginx/Apache common log format)
** into that count, and writes the count back as RFC 3339 with milliseconds.
**
** It does not handle RFC 3164 dates, epoch numbers or journald microseconds
** (the ingest parsers own those and build on utc_days_from_civil()), named
** time zones, ISO week or ordinal dates, or the basic format without
** separators.
**
** Threading: integer arithmetic on the caller's buffers only. No timegm(),
** mktime(), TZ or other process state, so every function is thread-safe.
*/
#include "utc.h"

#include <assert.h>
#include <string.h>
#include <time.h>

#include "err.h"

#define UTC_MS_PER_DAY INT64_C(86400000)
#define UTC_MS_PER_HOUR INT64_C(3600000)
#define UTC_MS_PER_MIN INT64_C(60000)

/* A cursor over input that need not be NUL-terminated. Errors are sticky,
** as in Buf: after the first mismatch every read is a no-op returning 0, and
** the parser checks bBad once at the end. */
typedef struct UtcCursor {
  const char *z; /* the input; may hold NULs, which never match */
  size_t n;      /* bytes in z */
  size_t i;      /* next byte to read, 0..n */
  int bBad;      /* set by the first mismatch */
} UtcCursor;

/* The broken-down fields of a parsed time, before validation. */
typedef struct UtcParts {
  int y;    /* year as written; valid 1..9999 */
  int mon;  /* month; valid 1..12 */
  int d;    /* day of month; valid 1..days in that month */
  int h;    /* hour; valid 0..23 */
  int mi;   /* minute; valid 0..59 */
  int s;    /* second; valid 0..60, 60 only for a leap second */
  int ms;   /* millisecond, already truncated from the fraction: 0..999 */
  int nOff; /* offset east of UTC in minutes; valid -1439..1439 */
} UtcParts;

/* Returns the next byte (0..255), or -1 at the end or after an error. */
static int utc_peek(const UtcCursor *p) {
  if (p->bBad || p->i >= p->n) {
    return -1;
  }
  return (unsigned char)p->z[p->i];
}

static int utc_is_digit(int c) { return c >= '0' && c <= '9'; }

/* Reads exactly nDigit ASCII digits (at most 4, so no overflow) and
** returns their value; on anything else sets bBad and returns 0. */
static int utc_num(UtcCursor *p, int nDigit) {
  int v = 0;
  assert(nDigit >= 1 && nDigit <= 4);
  for (int k = 0; k < nDigit; k++) {
    int c = utc_peek(p);
    if (!utc_is_digit(c)) {
      p->bBad = 1;
      return 0;
    }
    v = v * 10 + (c - '0');
    p->i++;
  }
  return v;
}

/* Consumes the byte c, or sets bBad. */
static void utc_expect(UtcCursor *p, char c) {
  if (utc_peek(p) != (unsigned char)c) {
    p->bBad = 1;
    return;
  }
  p->i++;
}

/* Reads the 1-9 digits after a '.' and returns them as milliseconds,
** truncating (not rounding) past the third digit, because rounding could
** carry into the next second, minute or year. */
static int utc_fraction(UtcCursor *p) {
  int ms = 0;
  int nDigit = 0;
  while (utc_is_digit(utc_peek(p))) {
    if (nDigit < 3) {
      ms = ms * 10 + (utc_peek(p) - '0');
    }
    nDigit++;
    p->i++;
  }
  if (nDigit < 1 || nDigit > 9) {
    p->bBad = 1;
    return 0;
  }
  for (int k = nDigit; k < 3; k++) {
    ms *= 10;
  }
  return ms;
}

static int utc_is_leap_year(int y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days in month mon (1..12) of year y. */
static int utc_days_in_month(int y, int mon) {
  static const unsigned char aDays[12] = {31, 28, 31, 30, 31, 30,
                                          31, 31, 30, 31, 30, 31};
  assert(mon >= 1 && mon <= 12);
  if (mon == 2 && utc_is_leap_year(y)) {
    return 29;
  }
  return aDays[mon - 1];
}

/* Validates every field of *p and converts it to UTC milliseconds.
** Returns 0 and sets *pMs, or E_INVALID and leaves *pMs alone. */
static int utc_assemble(const UtcParts *p, int64_t *pMs) {
  if (p->y < 1 || p->y > 9999 || p->mon < 1 || p->mon > 12) {
    return E_INVALID;
  }
  if (p->d < 1 || p->d > utc_days_in_month(p->y, p->mon)) {
    return E_INVALID;
  }
  if (p->h < 0 || p->h > 23 || p->mi < 0 || p->mi > 59 || p->s < 0 ||
      p->s > 60 || p->ms < 0 || p->ms > 999) {
    return E_INVALID;
  }
  if (p->nOff < -1439 || p->nOff > 1439) {
    return E_INVALID;
  }

  /* A leap second has no instant of its own in epoch time; it becomes the
  ** last millisecond of 23:59:59, so events keep their order. */
  int bLeap = p->s == 60;
  int64_t ms = utc_days_from_civil(p->y, (unsigned)p->mon, (unsigned)p->d) *
               UTC_MS_PER_DAY;
  ms += p->h * UTC_MS_PER_HOUR + p->mi * UTC_MS_PER_MIN;
  ms += bLeap ? 59999 : p->s * INT64_C(1000) + p->ms;
  ms -= p->nOff * UTC_MS_PER_MIN;

  if (ms < UTC_MIN_MS || ms > UTC_MAX_MS) {
    return E_INVALID;
  }
  if (bLeap) {
    /* Leap seconds are inserted only at the end of a UTC day. */
    int64_t msOfDay = ms % UTC_MS_PER_DAY;
    if (msOfDay < 0) {
      msOfDay += UTC_MS_PER_DAY;
    }
    if (msOfDay != UTC_MS_PER_DAY - 1) {
      return E_INVALID;
    }
  }
  *pMs = ms;
  return 0;
}

int64_t utc_days_from_civil(int64_t y, unsigned m, unsigned d) {
  assert(m >= 1 && m <= 12);
  assert(d >= 1 && d <= 31);
  assert(y > -INT64_C(1000000000000) && y < INT64_C(1000000000000));

  /* Howard Hinnant's days_from_civil: count years from March 1st so the
  ** leap day is the last day of the year, then split the year into
  ** 400-year eras of exactly 146097 days. */
  if (m <= 2) {
    y -= 1;
  }
  /* The same names as in utc_civil_from_days() below. */
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t mp = m > 2 ? (int64_t)m - 3 : (int64_t)m + 9;
  int64_t doy = (153 * mp + 2) / 5 + (int64_t)d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

/* The inverse of utc_days_from_civil (Hinnant's civil_from_days). */
static void utc_civil_from_days(int64_t nDay, int64_t *pY, int *pMon, int *pD) {
  nDay += 719468;
  /* era counts 400-year eras; doe is the day of the era (0..146096), yoe
  ** the year of the era (0..399), doy the day of the March-based year
  ** (0..365) and mp the month counted from March (0..11). */
  int64_t era = (nDay >= 0 ? nDay : nDay - 146096) / 146097;
  int64_t doe = nDay - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int mon = (int)(mp < 10 ? mp + 3 : mp - 9);
  *pD = (int)(doy - (153 * mp + 2) / 5 + 1);
  *pMon = mon;
  *pY = yoe + era * 400 + (mon <= 2);
}

/* Writes v as exactly nDigit decimal digits, zero-padded; v >= 0 and
** small enough to fit. */
static void utc_put_digits(char *z, int64_t v, int nDigit) {
  assert(v >= 0);
  for (int k = nDigit - 1; k >= 0; k--) {
    z[k] = (char)('0' + v % 10);
    v /= 10;
  }
  assert(v == 0);
}

int64_t utc_now_ms(void) {
  struct timespec ts;
  int rc = clock_gettime(CLOCK_REALTIME, &ts);
  /* CLOCK_REALTIME is mandatory in POSIX and the pointer is valid. */
  assert(rc == 0);
  (void)rc;
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int utc_parse_iso(const char *z, size_t n, int64_t *pMs) {
  UtcCursor c = {z, n, 0, z == NULL};
  UtcParts t = {0};

  t.y = utc_num(&c, 4);
  utc_expect(&c, '-');
  t.mon = utc_num(&c, 2);
  utc_expect(&c, '-');
  t.d = utc_num(&c, 2);
  if (!c.bBad && c.i == c.n) {
    return utc_assemble(&t, pMs); /* bare date: midnight UTC */
  }

  int ch = utc_peek(&c);
  if (ch == 'T' || ch == 't' || ch == ' ') {
    c.i++;
  } else {
    c.bBad = 1;
  }
  t.h = utc_num(&c, 2);
  utc_expect(&c, ':');
  t.mi = utc_num(&c, 2);
  utc_expect(&c, ':');
  t.s = utc_num(&c, 2);
  if (utc_peek(&c) == '.') {
    c.i++;
    t.ms = utc_fraction(&c);
  }

  ch = utc_peek(&c);
  if (ch == 'Z' || ch == 'z') {
    c.i++;
  } else if (ch == '+' || ch == '-') {
    c.i++;
    int nOffH = utc_num(&c, 2);
    int nOffM = 0;
    if (utc_peek(&c) == ':') {
      c.i++;
      nOffM = utc_num(&c, 2);
    } else if (utc_is_digit(utc_peek(&c))) {
      nOffM = utc_num(&c, 2);
    }
    /* utc_assemble() sees only the total, in which "+05:60" would pass
    ** as a valid +06:00; so the minutes are checked here. */
    if (nOffM > 59) {
      c.bBad = 1;
    }
    t.nOff = (ch == '-' ? -1 : 1) * (nOffH * 60 + nOffM);
  }
  if (c.bBad || c.i != c.n) {
    return E_INVALID;
  }
  return utc_assemble(&t, pMs);
}

int utc_parse_clf(const char *z, size_t n, int64_t *pMs) {
  static const char azMonth[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  UtcCursor c = {z, n, 0, z == NULL};
  UtcParts t = {0};

  t.d = utc_num(&c, 2);
  utc_expect(&c, '/');
  if (!c.bBad && c.n - c.i >= 3) {
    for (int k = 0; k < 12; k++) {
      if (memcmp(c.z + c.i, azMonth[k], 3) == 0) {
        t.mon = k + 1;
        break;
      }
    }
  }
  if (t.mon == 0) {
    c.bBad = 1;
  } else {
    c.i += 3;
  }
  utc_expect(&c, '/');
  t.y = utc_num(&c, 4);
  utc_expect(&c, ':');
  t.h = utc_num(&c, 2);
  utc_expect(&c, ':');
  t.mi = utc_num(&c, 2);
  utc_expect(&c, ':');
  t.s = utc_num(&c, 2);
  utc_expect(&c, ' ');

  int ch = utc_peek(&c);
  if (ch == '+' || ch == '-') {
    c.i++;
  } else {
    c.bBad = 1;
  }
  int nOffH = utc_num(&c, 2);
  int nOffM = utc_num(&c, 2);
  /* As in utc_parse_iso(): the total alone would let "+0560" through. */
  if (nOffM > 59) {
    c.bBad = 1;
  }
  t.nOff = (ch == '-' ? -1 : 1) * (nOffH * 60 + nOffM);
  if (c.bBad || c.i != c.n) {
    return E_INVALID;
  }
  return utc_assemble(&t, pMs);
}

void utc_format(int64_t ms, char z[25]) {
  if (ms < UTC_MIN_MS) {
    ms = UTC_MIN_MS;
  } else if (ms > UTC_MAX_MS) {
    ms = UTC_MAX_MS;
  }

  /* Floor division, so -1 ms is 1969-12-31T23:59:59.999, not 1970. */
  int64_t nDay = ms / UTC_MS_PER_DAY;
  int64_t msOfDay = ms % UTC_MS_PER_DAY;
  if (msOfDay < 0) {
    msOfDay += UTC_MS_PER_DAY;
    nDay--;
  }
  int64_t y;
  int mon, d;
  utc_civil_from_days(nDay, &y, &mon, &d);

  utc_put_digits(z, y, 4);
  z[4] = '-';
  utc_put_digits(z + 5, mon, 2);
  z[7] = '-';
  utc_put_digits(z + 8, d, 2);
  z[10] = 'T';
  utc_put_digits(z + 11, msOfDay / UTC_MS_PER_HOUR, 2);
  z[13] = ':';
  utc_put_digits(z + 14, msOfDay / UTC_MS_PER_MIN % 60, 2);
  z[16] = ':';
  utc_put_digits(z + 17, msOfDay / 1000 % 60, 2);
  z[19] = '.';
  utc_put_digits(z + 20, msOfDay % 1000, 3);
  z[23] = 'Z';
  z[24] = 0;
}
