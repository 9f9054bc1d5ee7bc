/*
** tz.h: named IANA time zones (America/New_York) from the tz database's
** TZif files, for reading log times that carry no zone (--tz) and for
** the status page's times (its time_zone setting). Fixed offsets ("UTC",
** "+05:30") load as zones without changes.
**
** A zone is parsed once into a table of UTC transitions and offsets, plus
** the POSIX TZ rule of the file's footer for times after the last
** transition, so lookups need no locale, no setenv("TZ") and no lock.
**
** Threading: a TzZone is immutable once loaded; any thread may read it.
*/
#ifndef HS_TZ_H
#define HS_TZ_H

#include <stddef.h>
#include <stdint.h>

#define TZ_MAX_FILE (256 * 1024) /* bytes in a TZif file we accept */

typedef struct TzZone TzZone;

/* 1 if zName has the shape of a zone name or fixed offset ("Europe/Berlin",
** "Etc/GMT+5", "+05:30"; never "..", a leading "/" or odd bytes). */
int tz_name_ok(const char *zName);

/* Loads zone zName ("Europe/Berlin") from the tz database directory
** (/usr/share/zoneinfo, or $TZDIR), or a fixed offset ("UTC", "Z",
** "+HH:MM", "-HH:MM", at most 14:00). 0 and *ppZone (NEW: tz_free);
** E_INVALID for a name that is not a zone name (".." or odd bytes, over
** 64 bytes) or a file that is not TZif; E_NOTFOUND when there is no such
** zone. */
int tz_load(const char *zName, TzZone **ppZone);

/* Parses TZif bytes z[0..n) (version 1, 2 or later). 0 and *ppZone (NEW:
** tz_free), or E_INVALID. Bounded: at most TZ_MAX_FILE bytes are read. */
int tz_parse(const char *z, size_t n, TzZone **ppZone);

void tz_free(TzZone *p);

/* A zone loaded once and kept for the life of the process (at most
** TZ_MAX_SHARED names), for readers on any thread: BORROWED, never
** freed. NULL with *pRc as tz_load's, or E_INVALID when that many other
** names are kept already. */
#define TZ_MAX_SHARED 64
const TzZone *tz_shared(const char *zName, int *pRc);

/* The zone's offset from UTC, in seconds east, at UTC time utcMs. */
int32_t tz_offset_at(const TzZone *p, int64_t utcMs);

/* The same, and the zone's abbreviation then ("CEST", "EST", "+03";
** "UTC", or "+0530" for a fixed offset: numeric like the tz database's
** own "+03") into zAbbr (NUL-terminated, "" when the file has none). */
int32_t tz_offset_abbr(const TzZone *p, int64_t utcMs, char zAbbr[8]);

/* The UTC time of local wall-clock time localMs (ms since the epoch as if
** local were UTC). A time that occurs twice (the hour after a fall-back
** change) is taken at its first occurrence, in the earlier offset; a time
** that does not exist (the hour skipped by a spring-forward change) is
** read with the offset in force before the change, so 02:30 in New York's
** March gap is 07:30Z, the same instant as 03:30 daylight time. */
int64_t tz_local_to_utc(const TzZone *p, int64_t localMs);

#endif
