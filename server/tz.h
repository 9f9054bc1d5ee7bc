/*
** tz.h: named IANA time zones (Europe/Berlin, America/New_York) read from
** the system's compiled tzdata (TZif files under /usr/share/zoneinfo, or
** $TZDIR), so offsets follow daylight saving time. Also fixed "+HH:MM"
** offsets and "UTC". A Tz is a plain value (no allocation): copy it,
** keep it on the stack. Thread-safe: no shared state.
**
** Beyond the file's last transition the last offset holds (Debian ships
** "fat" files with transitions written out to 2037).
*/
#ifndef HS_TZ_H
#define HS_TZ_H

#include <stddef.h>
#include <stdint.h>

#define TZ_MAX_TRANS 400 /* transitions kept (the newest) */
#define TZ_MAX_TYPES 32  /* local time types kept */

typedef struct Tz {
  char zName[64];                 /* the zone's name as given */
  int nTrans;                     /* entries used in aAt/aType */
  int64_t aAt[TZ_MAX_TRANS];      /* transition times, UTC seconds, rising */
  unsigned char aType[TZ_MAX_TRANS]; /* type in force from aAt[i] on */
  int nType;                      /* entries used in aOff/aAbbr */
  int aOff[TZ_MAX_TYPES];         /* offset from UTC in seconds */
  char aAbbr[TZ_MAX_TYPES][8];    /* "CET", "EDT", "+03" */
  int iFirst;                     /* type before the first transition */
} Tz;

/* Whether zName is a well-formed zone name: "UTC", "+HH:MM"/"-HH:MM", or
** letters, digits and "_+-" in "/"-separated parts, none starting with a
** dot, under 64 bytes. Checks the form only. */
int tz_name_ok(const char *zName);

/* Loads zone zName into *p. 0, E_INVALID (bad name), E_NOTFOUND (no such
** zone file) or E_INVALID (not a TZif file). */
int tz_load(const char *zName, Tz *p);

/* Parses TZif bytes z[0..n) into *p (pure; the fuzz target's entry).
** 0 or E_INVALID. */
int tz_parse(const unsigned char *z, size_t n, Tz *p);

/* The offset from UTC in seconds at ms (UTC), and its abbreviation
** (copied into zAbbr, always NUL-terminated) when zAbbr is not NULL. */
int tz_offset(const Tz *p, int64_t ms, char zAbbr[8]);

#endif
