/*
** ingest_journal.c: the "journal" format: `journalctl -o json`, one entry
** a line.
**
** Every value is a string, except: a field given more than once is an
** array (the first value is used), a binary or unprintable value is an
** array of byte numbers (decoded: bytes that are not UTF-8 become U+FFFD
** rather than losing the record, which is often the error; the raw
** record keeps MESSAGE decoded so masking sees it), and a value
** too large for journalctl is null. Time from _SOURCE_REALTIME_TIMESTAMP
** (the sender's time) or else __REALTIME_TIMESTAMP (reception), both in
** microseconds. Level from PRIORITY, component from _HOSTNAME, source from
** SYSLOG_IDENTIFIER or _SYSTEMD_UNIT. Lines such as "-- No entries --" are
** skipped. Pure; no state between lines.
*/
#include <ctype.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "input.h"
#include "ingest_formats.h"
#include "utc.h"

/* Length of the valid UTF-8 sequence at z[0..n), or 0 if there is none. */
static size_t utf8_seq(const unsigned char *z, size_t n) {
  size_t k = z[0] < 0x80 ? 1 : z[0] < 0xc2 ? 0 : z[0] < 0xe0 ? 2
             : z[0] < 0xf0 ? 3 : z[0] < 0xf5 ? 4 : 0;
  if (k == 0 || k > n || !utf8_valid((const char *)z, k)) {
    return 0;
  }
  return k;
}

/* Decodes a byte array (journald's form of a value that is binary or not
** UTF-8) into the arena: valid UTF-8 is kept, every other byte (and NUL)
** becomes U+FFFD, so an error message in Latin-1 still reaches the
** timeline. NULL when an element is not a byte number. */
static const char *journal_bytes(IngestParser *p, json_t *pV) {
  size_t nByte = json_array_size(pV);
  unsigned char *a = arena_alloc(ingest_arena(p), nByte + 1);
  for (size_t i = 0; i < nByte; i++) {
    json_t *pB = json_array_get(pV, i);
    json_int_t v = json_is_integer(pB) ? json_integer_value(pB) : -1;
    if (v < 0 || v > 255) {
      return NULL;
    }
    a[i] = (unsigned char)v;
  }
  /* At most three output bytes per input byte. */
  char *z = arena_alloc(ingest_arena(p), nByte * 3 + 1);
  size_t j = 0;
  for (size_t i = 0; i < nByte;) {
    size_t k = a[i] ? utf8_seq(a + i, nByte - i) : 0;
    if (k) {
      memcpy(z + j, a + i, k);
      j += k;
      i += k;
    } else {
      memcpy(z + j, "\xef\xbf\xbd", 3);
      j += 3;
      i++;
    }
  }
  z[j] = 0;
  return z;
}

/* Reads field zKey. Sets *pz to its text (NULL when absent or null).
** Returns 0, or -1 when it is an array that is not bytes. */
static int journal_field(IngestParser *p, json_t *pObj, const char *zKey,
                         const char **pz) {
  json_t *pV = json_object_get(pObj, zKey);
  *pz = NULL;
  if (json_is_array(pV) && json_array_size(pV) > 0) {
    json_t *pFirst = json_array_get(pV, 0);
    if (json_is_string(pFirst) || json_is_array(pFirst) ||
        json_is_null(pFirst)) {
      pV = pFirst; /* a field given more than once */
    }
  }
  if (json_is_array(pV)) {
    *pz = journal_bytes(p, pV);
    return *pz ? 0 : -1;
  }
  if (json_is_string(pV)) {
    *pz = json_string_value(pV);
  } else if (json_is_integer(pV)) {
    char zNum[32];
    snprintf(zNum, sizeof(zNum), "%lld", (long long)json_integer_value(pV));
    *pz = arena_strdup(ingest_arena(p), zNum);
  }
  return 0;
}

/* Microseconds as digits into UTC ms. 0 or -1. */
static int parse_usec(const char *z, int64_t *pMs) {
  int64_t v = 0;
  size_t i = 0;
  if (!z) {
    return -1;
  }
  for (; isdigit((unsigned char)z[i]); i++) {
    if (i >= 18) {
      return -1;
    }
    v = v * 10 + (z[i] - '0');
  }
  if (i == 0 || z[i] != 0 || v / 1000 > UTC_MAX_MS) {
    return -1;
  }
  *pMs = v / 1000;
  return 0;
}

int ingest_journal_line(IngestParser *p, const char *z, size_t n,
                        int64_t iLine) {
  IngestEvent ev = {0};
  json_t *pJ = NULL;
  int rc = 0;
  if (!z || strspn(z, " \t") == n || (n >= 3 && memcmp(z, "-- ", 3) == 0)) {
    return 0;
  }
  pJ = ingest_json_load(p, z, n, iLine);
  if (!pJ) {
    goto cleanup;
  }
  if (!json_is_object(pJ)) {
    ingest_reject(p, iLine, "not a JSON object");
    goto cleanup;
  }
  const char *zTime = NULL, *zMsg = NULL, *zPrio = NULL, *zHost = NULL;
  const char *zIdent = NULL;
  if (journal_field(p, pJ, "_SOURCE_REALTIME_TIMESTAMP", &zTime) ||
      parse_usec(zTime, &ev.ts)) {
    if (journal_field(p, pJ, "__REALTIME_TIMESTAMP", &zTime) || !zTime) {
      ingest_reject(p, iLine, "no __REALTIME_TIMESTAMP");
      goto cleanup;
    }
    if (parse_usec(zTime, &ev.ts)) {
      ingest_reject(p, iLine, "invalid time in \"__REALTIME_TIMESTAMP\"");
      goto cleanup;
    }
  }
  if (journal_field(p, pJ, "MESSAGE", &zMsg)) {
    ingest_reject(p, iLine, "MESSAGE is an array but not of bytes");
    goto cleanup;
  }
  if (!zMsg) {
    json_t *pM = json_object_get(pJ, "MESSAGE");
    ingest_reject(p, iLine, pM ? "MESSAGE is null (too large)"
                               : "no MESSAGE");
    goto cleanup;
  }
  if (journal_field(p, pJ, "PRIORITY", &zPrio) ||
      journal_field(p, pJ, "_HOSTNAME", &zHost) ||
      journal_field(p, pJ, "SYSLOG_IDENTIFIER", &zIdent)) {
    ingest_reject(p, iLine, "a field is an array but not of bytes");
    goto cleanup;
  }
  if (!zIdent && journal_field(p, pJ, "_SYSTEMD_UNIT", &zIdent)) {
    ingest_reject(p, iLine, "a field is an array but not of bytes");
    goto cleanup;
  }
  ev.endTs = INT64_MIN;
  ev.zKind = "log";
  ev.zLevel = zPrio && isdigit((unsigned char)zPrio[0]) && zPrio[1] == 0
                  ? ingest_level_severity(zPrio[0] - '0')
                  : "info";
  ev.zComponent = zHost;
  ev.zSource = zIdent;
  ev.zTitle = zMsg;
  ev.zBody = zMsg;
  /* A MESSAGE of bytes is kept decoded in the raw record too, so that
  ** masking sees its text (a password as byte numbers would pass). */
  json_t *pFirst = json_array_get(json_object_get(pJ, "MESSAGE"), 0);
  if (json_is_integer(pFirst) || json_is_array(pFirst)) {
    zMsg = arena_strdup(ingest_arena(p), zMsg); /* outlives the array */
    ev.zTitle = zMsg;
    ev.zBody = zMsg;
    json_object_set_new(pJ, "MESSAGE", json_string(zMsg));
    char *zRaw = json_dumps(pJ, JSON_COMPACT);
    if (zRaw) {
      ev.zRaw = arena_strdup(ingest_arena(p), zRaw);
      free(zRaw);
    }
  }
  rc = ingest_emit(p, &ev);
cleanup:
  json_decref(pJ);
  return rc;
}
