/*
** test_utc.c: unit tests for utc.c.
**
** Tables of accepted and rejected inputs for utc_parse_iso() and
** utc_parse_clf() with the expected milliseconds (computed independently
** with Python's datetime), formatting of negative, large and out-of-range
** values, format/parse round trips, and an exhaustive check of
** utc_days_from_civil() against a plain day counter for 0001..9999.
** Single-threaded.
*/
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "harness.h"
#include "utc.h"

/* 2023-02-15T11:30:00Z, the example in SPEC.md §2. */
#define T0 INT64_C(1676460600000)
/* 2016-12-31T23:59:59.999Z, where the 2016 leap second folds to. */
#define LEAP INT64_C(1483228799999)

/* One parser input and what it should give. */
typedef struct ParseCase {
  const char *z; /* input, NUL-terminated (the NUL is not passed) */
  int bOk;       /* 1 if it must parse */
  int64_t ms;    /* expected result when bOk */
} ParseCase;

static const ParseCase aIso[] = {
    /* The basics. */
    {"2023-02-15T11:30:00.000Z", 1, T0},
    {"1970-01-01T00:00:00Z", 1, 0},
    {"1969-12-31T23:59:59.999Z", 1, -1},
    {"2023-02-15T11:30:00Z", 1, T0},
    {"2023-02-15t11:30:00z", 1, T0},
    {"2023-02-15 11:30:00Z", 1, T0},
    {"2023-02-15T11:30:00", 1, T0},
    {"2023-02-15 11:30:00", 1, T0},
    /* Fractions: 1-9 digits, truncated to ms. */
    {"2023-02-15T11:30:00.1Z", 1, T0 + 100},
    {"2023-02-15T11:30:00.12Z", 1, T0 + 120},
    {"2023-02-15T11:30:00.123Z", 1, T0 + 123},
    {"2023-02-15T11:30:00.1239Z", 1, T0 + 123},
    {"2023-02-15T11:30:00.123456789Z", 1, T0 + 123},
    {"2023-02-15T11:30:00.999999999Z", 1, T0 + 999},
    {"2023-02-15T11:30:00.000000001", 1, T0},
    {"2023-02-15T11:30:00.5+01:00", 1, T0 - 3600000 + 500},
    /* Offsets in every accepted spelling. */
    {"2023-02-15T17:00:00+05:30", 1, T0},
    {"2023-02-15T17:00:00+0530", 1, T0},
    {"2023-02-15T16:30:00+05", 1, T0},
    {"2023-02-15T01:30:00-10:00", 1, T0},
    {"2023-02-15T01:30:00-1000", 1, T0},
    {"2023-02-15T01:30:00-10", 1, T0},
    {"2023-02-15T11:30:00+00:00", 1, T0},
    {"2023-02-15T11:30:00-00:00", 1, T0},
    {"2023-02-15T11:30:00+0000", 1, T0},
    {"2023-02-15T11:30:00+00", 1, T0},
    {"2023-02-16T01:30:00+14:00", 1, T0},
    {"2023-02-14T12:30:00-23:00", 1, T0},
    {"2023-02-16T11:29:00+23:59", 1, T0},
    {"2023-02-14T11:31:00-23:59", 1, T0},
    {"2023-02-15T11:30:00.000 +05:30", 0, 0},
    /* Bare dates are midnight UTC; leap years follow the Gregorian rule. */
    {"2023-02-15", 1, INT64_C(1676419200000)},
    {"2024-02-29", 1, INT64_C(1709164800000)},
    {"2000-02-29T12:00:00Z", 1, INT64_C(951825600000)},
    {"1600-03-01", 1, INT64_C(-11670912000000)},
    {"1900-01-01", 1, INT64_C(-2208988800000)},
    {"2100-01-01", 1, INT64_C(4102444800000)},
    {"1066-10-14T09:00:00Z", 1, INT64_C(-28502722800000)},
    {"2038-01-19T03:14:08Z", 1, INT64_C(2147483648000)},
    {"1901-12-13T20:45:51Z", 1, INT64_C(-2147483649000)},
    {"2023-12-31T23:59:59.999Z", 1, INT64_C(1704067199999)},
    {"2023-02-29", 0, 0},
    {"1900-02-29", 0, 0},
    {"2100-02-29T00:00:00Z", 0, 0},
    {"2023-04-31", 0, 0},
    {"2023-06-31T00:00:00Z", 0, 0},
    {"2023-01-32", 0, 0},
    {"2023-01-00", 0, 0},
    {"2023-00-10", 0, 0},
    {"2023-13-01", 0, 0},
    /* The ends of the range, after the offset is applied. */
    {"0001-01-01T00:00:00Z", 1, UTC_MIN_MS},
    {"0001-01-01", 1, UTC_MIN_MS},
    {"0001-01-01T00:00:00-01:00", 1, INT64_C(-62135593200000)},
    {"0001-01-01T00:00:00+01:00", 0, 0},
    {"0001-01-01T00:59:59.999+01:00", 0, 0},
    {"0001-01-01T01:00:00+01:00", 1, UTC_MIN_MS},
    {"9999-12-31T23:59:59.999Z", 1, UTC_MAX_MS},
    {"9999-12-31T23:59:59.999999999Z", 1, UTC_MAX_MS},
    {"9999-12-31T23:59:59.999-00:01", 0, 0},
    {"9999-12-31T23:59:59.999+00:01", 1, UTC_MAX_MS - 60000},
    {"0000-01-01T00:00:00Z", 0, 0},
    {"0000-12-31", 0, 0},
    {"10000-01-01", 0, 0},
    /* Leap seconds: only where UTC reads 23:59:60; fold to :59.999. */
    {"2016-12-31T23:59:60Z", 1, LEAP},
    {"2016-12-31T23:59:60.5Z", 1, LEAP},
    {"2016-12-31T23:59:60.000Z", 1, LEAP},
    {"2016-12-31T23:59:60", 1, LEAP},
    {"2016-12-31T15:59:60-08:00", 1, LEAP},
    {"2017-01-01T05:29:60+05:30", 1, LEAP},
    {"2016-12-31T23:59:60+01:00", 0, 0},
    {"2016-12-31T23:58:60Z", 0, 0},
    {"2023-02-15T11:30:60Z", 0, 0},
    {"9999-12-31T23:59:60Z", 1, UTC_MAX_MS},
    {"1969-12-31T23:59:60Z", 1, -1},
    {"1960-06-30T23:59:60.25Z", 1, INT64_C(-299894400001)},
    {"1960-06-30T22:59:60Z", 0, 0},
    {"0001-01-01T00:00:60+00:01", 0, 0},
    {"9999-12-31T23:59:60-00:01", 0, 0},
    {"2016-12-31T23:59:61Z", 0, 0},
    /* Time fields out of range. */
    {"2023-02-15T24:00:00Z", 0, 0},
    {"2023-02-15T23:60:00Z", 0, 0},
    {"2023-02-15T11:30:99Z", 0, 0},
    {"2023-02-15T11:30:00+24:00", 0, 0},
    {"2023-02-15T11:30:00+05:60", 0, 0},
    {"2023-02-15T11:30:00+0560", 0, 0},
    {"2023-02-15T11:30:00-99", 0, 0},
    /* Malformed. */
    {"", 0, 0},
    {"2023", 0, 0},
    {"2023-02", 0, 0},
    {"2023-2-15", 0, 0},
    {"23-02-15", 0, 0},
    {"2023/02/15", 0, 0},
    {"20230215", 0, 0},
    {"20230215T113000Z", 0, 0},
    {"2023-02-15T", 0, 0},
    {"2023-02-15Z", 0, 0},
    {"2023-02-15T11", 0, 0},
    {"2023-02-15T11:30", 0, 0},
    {"2023-02-15T11:30Z", 0, 0},
    {"2023-02-15T11:30:0Z", 0, 0},
    {"2023-02-15T1:30:00Z", 0, 0},
    {"2023-02-15T11:30:00.Z", 0, 0},
    {"2023-02-15T11:30:00.", 0, 0},
    {"2023-02-15T11:30:00.1234567890Z", 0, 0},
    {"2023-02-15T11:30:00,5Z", 0, 0},
    {"2023-02-15T11:30:00.1e3Z", 0, 0},
    {"2023-02-15T11:30:00ZZ", 0, 0},
    {"2023-02-15T11:30:00Z+01:00", 0, 0},
    {"2023-02-15T11:30:00UTC", 0, 0},
    {"2023-02-15T11:30:00GMT", 0, 0},
    {"2023-02-15T11:30:00+5:30", 0, 0},
    {"2023-02-15T11:30:00+05:3", 0, 0},
    {"2023-02-15T11:30:00+053", 0, 0},
    {"2023-02-15T11:30:00+5", 0, 0},
    {"2023-02-15T11:30:00+", 0, 0},
    {"2023-02-15T11:30:00+05:", 0, 0},
    {"2023-02-15T11:30:00+05:30:00", 0, 0},
    {"2023-02-15T11:30:00+05:30Z", 0, 0},
    {"2023-02-15T11:30:00 +05:30", 0, 0},
    {"2023-02-15T11:30:00 Z", 0, 0},
    {"2023-02-15  11:30:00Z", 0, 0},
    {"2023-02-15_11:30:00Z", 0, 0},
    {"2023-02-15\t11:30:00Z", 0, 0},
    /* Signs, whitespace and garbage around the value. */
    {"+2023-02-15", 0, 0},
    {"-2023-02-15", 0, 0},
    {"+002023-02-15", 0, 0},
    {" 2023-02-15", 0, 0},
    {"2023-02-15 ", 0, 0},
    {"2023-02-15\n", 0, 0},
    {"2023-02-15T11:30:00Z ", 0, 0},
    {"2023-02-15T11:30:00Z\n", 0, 0},
    {" 2023-02-15T11:30:00Z", 0, 0},
    {"2023-02-15T11:30:00Zx", 0, 0},
    {"2023-+2-15", 0, 0},
    {"2023-02-1 ", 0, 0},
    {"2023-02-15T11:3 :00Z", 0, 0},
    {"2023-02-15T-1:30:00Z", 0, 0},
    {"\xef\xbc\x92\xef\xbc\x90\xef\xbc\x92\xef\xbc\x93-02-15", 0, 0},
    {"2023-02-15T11:30:00\xc2\xa0", 0, 0},
};

static const ParseCase aClf[] = {
    {"10/Oct/2023:13:55:36 -0700", 1, INT64_C(1696971336000)},
    {"10/Oct/2023:20:55:36 +0000", 1, INT64_C(1696971336000)},
    {"10/Oct/2023:20:55:36 -0000", 1, INT64_C(1696971336000)},
    {"11/Oct/2023:02:25:36 +0530", 1, INT64_C(1696971336000)},
    {"01/Jan/1970:00:00:00 +0000", 1, 0},
    {"31/Dec/1969:23:59:59 +0000", 1, -1000},
    {"29/Feb/2024:12:00:00 +0100", 1, INT64_C(1709204400000)},
    {"15/Feb/2023:11:30:00 +0000", 1, T0},
    {"31/Dec/2016:23:59:60 +0000", 1, LEAP},
    {"01/Jan/0001:00:00:00 +0000", 1, UTC_MIN_MS},
    {"31/Dec/9999:23:59:59 +0000", 1, UTC_MAX_MS - 999},
    {"31/Dec/9999:23:59:59 -2359", 0, 0},
    {"01/Jan/0001:00:00:00 +0001", 0, 0},
    {"29/Feb/2023:12:00:00 +0000", 0, 0},
    {"31/Apr/2023:12:00:00 +0000", 0, 0},
    {"00/Oct/2023:13:55:36 -0700", 0, 0},
    {"10/Oct/2023:24:00:00 +0000", 0, 0},
    {"10/Oct/2023:13:60:00 +0000", 0, 0},
    {"10/Oct/2023:13:55:60 +0000", 0, 0},
    {"10/Oct/2023:13:55:36 -0760", 0, 0},
    {"10/Oct/2023:13:55:36 +2400", 0, 0},
    {"10/oct/2023:13:55:36 -0700", 0, 0},
    {"10/OCT/2023:13:55:36 -0700", 0, 0},
    {"10/Foo/2023:13:55:36 -0700", 0, 0},
    {"10/October/2023:13:55:36 -0700", 0, 0},
    {"1/Oct/2023:13:55:36 -0700", 0, 0},
    {" 1/Oct/2023:13:55:36 -0700", 0, 0},
    {"10/Oct/23:13:55:36 -0700", 0, 0},
    {"10/Oct/2023 13:55:36 -0700", 0, 0},
    {"10/Oct/2023:13:55:36", 0, 0},
    {"10/Oct/2023:13:55:36 ", 0, 0},
    {"10/Oct/2023:13:55:36 Z", 0, 0},
    {"10/Oct/2023:13:55:36 -07", 0, 0},
    {"10/Oct/2023:13:55:36 -07:00", 0, 0},
    {"10/Oct/2023:13:55:36  -0700", 0, 0},
    {"10/Oct/2023:13:55:36.123 -0700", 0, 0},
    {"10/Oct/2023:13:55:36 -0700 ", 0, 0},
    {"10/Oct/2023:13:55:36 -0700]", 0, 0},
    {"[10/Oct/2023:13:55:36 -0700]", 0, 0},
    {"10/Oct/2023:13:55:36 0700", 0, 0},
    {"", 0, 0},
    {"10", 0, 0},
    {"10/", 0, 0},
    {"10/O", 0, 0},
    {"10/Oc", 0, 0},
    {"10/Oct", 0, 0},
    {"10/Oct/", 0, 0},
    {"2023-02-15T11:30:00Z", 0, 0},
};

/* Writes "zWhich \"z\"" into zOut[nOut] with bytes outside printable
** ASCII as \xHH, so every result stays one line for tests/run.sh. */
static void case_name(char *zOut, size_t nOut, const char *zWhich,
                      const char *z) {
  size_t j = (size_t)snprintf(zOut, nOut, "%s \"", zWhich);
  assert(j + 2 < nOut);
  for (; *z && j + 6 < nOut; z++) {
    unsigned char c = (unsigned char)*z;
    if (c >= 0x20 && c < 0x7f) {
      zOut[j++] = (char)c;
    } else {
      j += (size_t)snprintf(zOut + j, nOut - j, "\\x%02x", c);
    }
  }
  zOut[j++] = '"';
  zOut[j] = 0;
}

/* Runs one table through a parser. */
static void check_table(const char *zWhich, const ParseCase *a, size_t n,
                        int (*xParse)(const char *, size_t, int64_t *)) {
  for (size_t i = 0; i < n; i++) {
    char zName[128];
    int64_t ms = INT64_C(0x5eed);
    int rc = xParse(a[i].z, strlen(a[i].z), &ms);
    case_name(zName, sizeof(zName), zWhich, a[i].z);
    if (a[i].bOk) {
      CHECK_INT(zName, rc, 0);
      CHECK_INT(zName, ms, a[i].ms);
    } else {
      CHECK_INT(zName, rc, E_INVALID);
      /* A failed parse leaves the output alone. */
      CHECK_INT(zName, ms, 0x5eed);
    }
  }
}

/* z is read for exactly n bytes: a NUL inside is a bad byte, and a prefix
** of a longer buffer is parsed on its own. */
static void test_lengths(void) {
  static const char zFull[] = "2023-02-15T11:30:00Z";
  static const char zNul[] = "2023-02-15T11:30:00Z\0";
  static const char zMidNul[] = "2023-02-15T11\0:30:00Z";
  static const char zClfNul[] = "10/Oct/2023:13:55:36 -0700\0";
  int64_t ms = 0;

  CHECK_INT("iso prefix n=10 is the bare date", utc_parse_iso(zFull, 10, &ms),
            0);
  CHECK_INT("iso prefix n=10 value", ms, INT64_C(1676419200000));
  CHECK_INT("iso prefix n=19 has no offset", utc_parse_iso(zFull, 19, &ms), 0);
  CHECK_INT("iso prefix n=19 value", ms, T0);
  CHECK_INT("iso prefix n=18", utc_parse_iso(zFull, 18, &ms), E_INVALID);
  CHECK_INT("iso prefix n=11", utc_parse_iso(zFull, 11, &ms), E_INVALID);
  CHECK_INT("iso prefix n=0", utc_parse_iso(zFull, 0, &ms), E_INVALID);
  CHECK_INT("iso trailing NUL", utc_parse_iso(zNul, sizeof(zNul) - 1, &ms),
            E_INVALID);
  CHECK_INT("iso embedded NUL",
            utc_parse_iso(zMidNul, sizeof(zMidNul) - 1, &ms), E_INVALID);
  CHECK_INT("iso date then NUL", utc_parse_iso("2023-02-15\0", 11, &ms),
            E_INVALID);
  CHECK_INT("iso NULL", utc_parse_iso(NULL, 0, &ms), E_INVALID);
  CHECK_INT("clf trailing NUL",
            utc_parse_clf(zClfNul, sizeof(zClfNul) - 1, &ms), E_INVALID);
  CHECK_INT("clf prefix without offset", utc_parse_clf(zClfNul, 20, &ms),
            E_INVALID);
  CHECK_INT("clf NULL", utc_parse_clf(NULL, 0, &ms), E_INVALID);
}

/* Every month abbreviation maps to its month. */
static void test_clf_months(void) {
  static const char *azMonth[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (int k = 0; k < 12; k++) {
    char zClf[64], zIso[64], zName[64];
    int64_t msClf = 0, msIso = 1;
    snprintf(zClf, sizeof(zClf), "28/%s/2023:06:07:08 +0200", azMonth[k]);
    snprintf(zIso, sizeof(zIso), "2023-%02d-28T06:07:08+02:00", k + 1);
    int rcClf = utc_parse_clf(zClf, strlen(zClf), &msClf);
    int rcIso = utc_parse_iso(zIso, strlen(zIso), &msIso);
    snprintf(zName, sizeof(zName), "clf month %s", azMonth[k]);
    CHECK(zName, rcClf == 0 && rcIso == 0 && msClf == msIso);
  }
}

/* One utc_format input and its expected text. */
typedef struct FormatCase {
  int64_t ms;        /* input */
  const char *zWant; /* expected output */
} FormatCase;

static const FormatCase aFormat[] = {
    {0, "1970-01-01T00:00:00.000Z"},
    {1, "1970-01-01T00:00:00.001Z"},
    {-1, "1969-12-31T23:59:59.999Z"},
    {-999, "1969-12-31T23:59:59.001Z"},
    {-1000, "1969-12-31T23:59:59.000Z"},
    {-1001, "1969-12-31T23:59:58.999Z"},
    {INT64_C(-86400000), "1969-12-31T00:00:00.000Z"},
    {INT64_C(-86400001), "1969-12-30T23:59:59.999Z"},
    {T0, "2023-02-15T11:30:00.000Z"},
    {T0 + 123, "2023-02-15T11:30:00.123Z"},
    {INT64_C(951782400000), "2000-02-29T00:00:00.000Z"},
    {INT64_C(1709164800000), "2024-02-29T00:00:00.000Z"},
    {INT64_C(1704067199999), "2023-12-31T23:59:59.999Z"},
    {INT64_C(-2208988800000), "1900-01-01T00:00:00.000Z"},
    {INT64_C(-11670912000000), "1600-03-01T00:00:00.000Z"},
    {INT64_C(-28502722800000), "1066-10-14T09:00:00.000Z"},
    {INT64_C(4102444800000), "2100-01-01T00:00:00.000Z"},
    {INT64_C(2147483648000), "2038-01-19T03:14:08.000Z"},
    {INT64_C(-2147483649000), "1901-12-13T20:45:51.000Z"},
    {UTC_MIN_MS, "0001-01-01T00:00:00.000Z"},
    {UTC_MIN_MS + 1, "0001-01-01T00:00:00.001Z"},
    {UTC_MAX_MS, "9999-12-31T23:59:59.999Z"},
    {UTC_MAX_MS - 1, "9999-12-31T23:59:59.998Z"},
    /* Outside the range: clamped to the nearest end. */
    {UTC_MIN_MS - 1, "0001-01-01T00:00:00.000Z"},
    {UTC_MAX_MS + 1, "9999-12-31T23:59:59.999Z"},
    {INT64_MIN, "0001-01-01T00:00:00.000Z"},
    {INT64_MAX, "9999-12-31T23:59:59.999Z"},
};

static void test_format(void) {
  for (size_t i = 0; i < sizeof(aFormat) / sizeof(aFormat[0]); i++) {
    char z[25];
    char zName[64];
    memset(z, 'x', sizeof(z));
    utc_format(aFormat[i].ms, z);
    snprintf(zName, sizeof(zName), "format %lld", (long long)aFormat[i].ms);
    CHECK_STR(zName, z, aFormat[i].zWant);
  }
}

/* format(parse(x)) parses back to the same ms, for every accepted row. */
static void test_round_trip_table(void) {
  for (size_t i = 0; i < sizeof(aIso) / sizeof(aIso[0]); i++) {
    int64_t ms = 0, ms2 = 1;
    char z[25], zName[128];
    if (!aIso[i].bOk) {
      continue;
    }
    utc_parse_iso(aIso[i].z, strlen(aIso[i].z), &ms);
    utc_format(ms, z);
    int rc = utc_parse_iso(z, strlen(z), &ms2);
    case_name(zName, sizeof(zName), "round trip", aIso[i].z);
    CHECK(zName, rc == 0 && ms2 == ms);
    if (rc != 0 || ms2 != ms) {
      printf("  formatted as %s\n", z);
    }
  }
}

/* A sweep over the whole range: every format re-parses to its input. */
static void test_round_trip_sweep(void) {
  int bOk = 1;
  int64_t nStep = INT64_C(86400000) * 3 + 3600000 * 7 + 60000 * 13 + 1777;
  for (int64_t ms = UTC_MIN_MS; ms <= UTC_MAX_MS; ms += nStep) {
    char z[25];
    int64_t ms2 = 0;
    utc_format(ms, z);
    if (utc_parse_iso(z, strlen(z), &ms2) != 0 || ms2 != ms) {
      printf("  round trip failed at %lld (%s)\n", (long long)ms, z);
      bOk = 0;
      break;
    }
  }
  CHECK("round trip sweep over 0001..9999", bOk);
}

/* utc_days_from_civil agrees with counting days one at a time, and the
** date parser agrees on every day of every year. */
static void test_days_from_civil(void) {
  static const int aDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int64_t nDay = -719162; /* 0001-01-01 */
  int bCivil = 1, bParse = 1;
  for (int y = 1; y <= 9999 && bCivil; y++) {
    int bLeapYear = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    for (int m = 1; m <= 12 && bCivil; m++) {
      int nMonth = aDays[m - 1] + (m == 2 && bLeapYear);
      for (int d = 1; d <= nMonth; d++, nDay++) {
        if (utc_days_from_civil(y, (unsigned)m, (unsigned)d) != nDay) {
          printf("  civil %04d-%02d-%02d: got %lld want %lld\n", y, m, d,
                 (long long)utc_days_from_civil(y, (unsigned)m, (unsigned)d),
                 (long long)nDay);
          bCivil = 0;
          break;
        }
      }
      /* One day past the end of the month must be rejected. */
      char z[48];
      int64_t ms = 0;
      snprintf(z, sizeof(z), "%04d-%02d-%02d", y, m, nMonth + 1);
      if (utc_parse_iso(z, 10, &ms) != E_INVALID) {
        printf("  accepted %s\n", z);
        bParse = 0;
      }
      snprintf(z, sizeof(z), "%04d-%02d-%02d", y, m, nMonth);
      if (utc_parse_iso(z, 10, &ms) != 0 ||
          ms != (nDay - 1) * INT64_C(86400000)) {
        printf("  rejected or misread %s\n", z);
        bParse = 0;
      }
    }
  }
  CHECK("days_from_civil matches a day counter for 0001..9999", bCivil);
  CHECK_INT("days_from_civil reaches 10000-01-01", nDay, 2932897);
  CHECK("last day of every month parses; the day after does not", bParse);
  CHECK_INT("days_from_civil 1970-01-01", utc_days_from_civil(1970, 1, 1), 0);
  CHECK_INT("days_from_civil 1969-12-31", utc_days_from_civil(1969, 12, 31),
            -1);
  CHECK_INT("days_from_civil 0000-03-01", utc_days_from_civil(0, 3, 1),
            -719468);
  CHECK_INT("days_from_civil -0001-12-31", utc_days_from_civil(-1, 12, 31),
            -719529);
  CHECK_INT("days_from_civil 2000-03-01", utc_days_from_civil(2000, 3, 1),
            11017);
}

static void test_now(void) {
  int64_t ms = utc_now_ms();
  /* After 2020-01-01 and before the end of the range. */
  CHECK("utc_now_ms is plausible",
        ms > INT64_C(1577836800000) && ms < UTC_MAX_MS);
  CHECK("utc_now_ms does not go back", utc_now_ms() >= ms - 1000);
}

int main(void) {
  check_table("iso", aIso, sizeof(aIso) / sizeof(aIso[0]), utc_parse_iso);
  check_table("clf", aClf, sizeof(aClf) / sizeof(aClf[0]), utc_parse_clf);
  test_lengths();
  test_clf_months();
  test_format();
  test_round_trip_table();
  test_round_trip_sweep();
  test_days_from_civil();
  test_now();
  return harness_exit();
}
