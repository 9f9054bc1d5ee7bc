/*
** input.c: field validation shared by every handler and the CLI, and the
** SPEC §3 enumerations. No allocation except the lists it returns.
*/
#include "input.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "utc.h"

const char *const azSeverity[] = {"SEV1", "SEV2", "SEV3", "SEV4", NULL};
const char *const azIncidentStatus[] = {"investigating", "identified",
                                        "monitoring",    "resolved",
                                        "postmortem",    NULL};
const char *const azImpact[] = {"none",     "minor",       "major",
                                "critical", "maintenance", NULL};
const char *const azComponentStatus[] = {
    "operational",    "degraded_performance", "partial_outage",
    "major_outage",   "under_maintenance",    NULL};
const char *const azPostmortemStatus[] = {"draft", "in_review", "published",
                                          NULL};
const char *const azRootCause[] = {
    "change_config", "capacity", "dependency", "deploy",  "hardware",
    "software_bug",  "process",  "unknown",    NULL};
const char *const azActionType[] = {"corrective", "preventive", "detection",
                                    "mitigation", "process",    NULL};
const char *const azActionPriority[] = {"P1", "P2", "P3", NULL};
const char *const azActionStatus[] = {"open", "in_progress", "done",
                                      "wont_do", NULL};
const char *const azMaintStatus[] = {"scheduled", "in_progress", "verifying",
                                     "completed", NULL};

int enum_index(const char *const *az, const char *z) {
  if (!z) {
    return -1;
  }
  for (int i = 0; az[i]; i++) {
    if (strcmp(az[i], z) == 0) {
      return i;
    }
  }
  return -1;
}

json_t *enum_json(const char *const *az) {
  json_t *p = json_array();
  for (int i = 0; az[i]; i++) {
    json_array_append_new(p, json_string(az[i]));
  }
  return p;
}

int utf8_valid(const char *zIn, size_t n) {
  const unsigned char *z = (const unsigned char *)zIn;
  size_t i = 0;
  while (i < n) {
    /* Eight ASCII bytes at a time (no high bit, no NUL): most log text. */
    while (n - i >= 8) {
      uint64_t w;
      memcpy(&w, z + i, 8);
      uint64_t bZero = (w - 0x0101010101010101ULL) & ~w & 0x8080808080808080ULL;
      if ((w & 0x8080808080808080ULL) || bZero) {
        break;
      }
      i += 8;
    }
    if (i >= n) {
      break;
    }
    unsigned c = z[i];
    size_t nCont;
    unsigned min;
    if (c == 0) {
      return 0;
    } else if (c < 0x80) {
      i++;
      continue;
    } else if ((c & 0xe0) == 0xc0) {
      nCont = 1;
      min = 0x80;
      c &= 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      nCont = 2;
      min = 0x800;
      c &= 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      nCont = 3;
      min = 0x10000;
      c &= 0x07;
    } else {
      return 0;
    }
    if (n - i <= nCont) {
      return 0;
    }
    for (size_t k = 1; k <= nCont; k++) {
      if ((z[i + k] & 0xc0) != 0x80) {
        return 0;
      }
      c = (c << 6) | (z[i + k] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) {
      return 0;
    }
    i += nCont + 1;
  }
  return 1;
}

static int fail(char *zErr, size_t nErr, const char *zField,
                const char *zWhat) {
  snprintf(zErr, nErr, "%s: %s", zField, zWhat);
  return E_INVALID;
}

/* Checks a string value for the one-line rule and size. */
static int check_text(const char *z, size_t nMax, int bLine,
                      const char *zField, char *zErr, size_t nErr) {
  size_t n = strlen(z);
  if (n > nMax) {
    char zWhat[64];
    snprintf(zWhat, sizeof(zWhat), "longer than %zu bytes", nMax);
    return fail(zErr, nErr, zField, zWhat);
  }
  if (!utf8_valid(z, n)) {
    return fail(zErr, nErr, zField, "is not valid UTF-8");
  }
  if (bLine) {
    for (size_t i = 0; i < n; i++) {
      unsigned char c = (unsigned char)z[i];
      if (c < 0x20 || c == 0x7f) {
        return fail(zErr, nErr, zField,
                    "must be one line without control characters");
      }
    }
  }
  return 0;
}

int in_string(json_t *pIn, const char *zField, size_t nMax, int bLine,
              const char **pz, int *pbSet, char *zErr, size_t nErr) {
  json_t *p = json_object_get(pIn, zField);
  if (!p) {
    return 0;
  }
  if (!json_is_string(p)) {
    return fail(zErr, nErr, zField, "must be a string");
  }
  const char *z = json_string_value(p);
  if (strlen(z) != json_string_length(p)) {
    return fail(zErr, nErr, zField, "must not contain NUL");
  }
  int rc = check_text(z, nMax, bLine, zField, zErr, nErr);
  if (rc) {
    return rc;
  }
  *pz = z;
  if (pbSet) {
    *pbSet = 1;
  }
  return 0;
}

int in_enum(json_t *pIn, const char *zField, const char *const *azAllowed,
            const char **pz, char *zErr, size_t nErr) {
  const char *z = NULL;
  int rc = in_string(pIn, zField, 64, 1, &z, NULL, zErr, nErr);
  if (rc || !z) {
    return rc;
  }
  if (enum_index(azAllowed, z) < 0) {
    char zWhat[256];
    size_t n = (size_t)snprintf(zWhat, sizeof(zWhat), "must be one of");
    for (int i = 0; azAllowed[i] && n < sizeof(zWhat); i++) {
      n += (size_t)snprintf(zWhat + n, sizeof(zWhat) - n, "%s %s",
                            i ? "," : "", azAllowed[i]);
    }
    return fail(zErr, nErr, zField, zWhat);
  }
  *pz = z;
  return 0;
}

int in_time(json_t *pIn, const char *zField, int64_t *pMs, int *pbSet,
            char *zErr, size_t nErr) {
  json_t *p = json_object_get(pIn, zField);
  if (!p) {
    return 0;
  }
  int64_t ms = IN_UNSET;
  if (json_is_null(p)) {
    ms = IN_UNSET;
  } else if (json_is_integer(p)) {
    json_int_t v = json_integer_value(p);
    /* Below 1e11 it can only be seconds (1e11 s is the year 5138). */
    if (v < -62135596800LL || v > 253402300799999LL) {
      return fail(zErr, nErr, zField, "is out of range");
    }
    ms = (v > -100000000000LL && v < 100000000000LL) ? v * 1000 : v;
  } else if (json_is_string(p)) {
    const char *z = json_string_value(p);
    size_t n = json_string_length(p);
    if (n == 0) {
      ms = IN_UNSET;
    } else if (n == 16 && z[10] == 'T') {
      /* An HTML datetime-local value, minutes only: taken as UTC. */
      char zFull[20];
      memcpy(zFull, z, 16);
      memcpy(zFull + 16, ":00", 3);
      if (utc_parse_iso(zFull, 19, &ms)) {
        return fail(zErr, nErr, zField, "is not a valid time");
      }
    } else if (utc_parse_iso(z, n, &ms)) {
      return fail(zErr, nErr, zField,
                  "is not an RFC 3339 time like 2023-02-15T11:30:00Z");
    }
  } else {
    return fail(zErr, nErr, zField, "must be an RFC 3339 string or null");
  }
  *pMs = ms;
  if (pbSet) {
    *pbSet = 1;
  }
  return 0;
}

int in_bool(json_t *pIn, const char *zField, int *pb, char *zErr,
            size_t nErr) {
  json_t *p = json_object_get(pIn, zField);
  if (!p) {
    return 0;
  }
  if (json_is_boolean(p)) {
    *pb = json_is_true(p);
    return 0;
  }
  static const char *const azTrue[] = {"1", "on", "true", "yes", NULL};
  static const char *const azFalse[] = {"0", "off", "false", "no", "", NULL};
  const char *z = json_string_value(p);
  if (enum_index(azTrue, z) >= 0) {
    *pb = 1;
    return 0;
  }
  if (enum_index(azFalse, z) >= 0) {
    *pb = 0;
    return 0;
  }
  return fail(zErr, nErr, zField, "must be true or false");
}

int in_string_list(json_t *pIn, const char *zField, size_t nMaxItems,
                   size_t nMaxLen, json_t **ppList, char *zErr, size_t nErr) {
  json_t *p = json_object_get(pIn, zField);
  if (!p) {
    return 0;
  }
  json_t *pList = json_array();
  if (json_is_string(p)) {
    if (json_string_length(p) > 0) {
      json_array_append(pList, p);
    }
  } else if (json_is_array(p)) {
    json_array_extend(pList, p);
  } else if (!json_is_null(p)) {
    json_decref(pList);
    return fail(zErr, nErr, zField, "must be a list of strings");
  }
  if (json_array_size(pList) > nMaxItems) {
    json_decref(pList);
    return fail(zErr, nErr, zField, "has too many items");
  }
  size_t i;
  json_t *pItem;
  json_array_foreach(pList, i, pItem) {
    if (!json_is_string(pItem) ||
        strlen(json_string_value(pItem)) != json_string_length(pItem)) {
      json_decref(pList);
      return fail(zErr, nErr, zField, "must be a list of strings");
    }
    int rc = check_text(json_string_value(pItem), nMaxLen, 1, zField, zErr,
                        nErr);
    if (rc) {
      json_decref(pList);
      return rc;
    }
  }
  *ppList = pList;
  return 0;
}

int in_only_known(json_t *pIn, const char *const *azKnown, char *zErr,
                  size_t nErr) {
  const char *zKey;
  json_t *pVal;
  json_object_foreach(pIn, zKey, pVal) {
    if (enum_index(azKnown, zKey) < 0) {
      char zShown[64];
      snprintf(zShown, sizeof(zShown), "%.40s", zKey);
      for (char *q = zShown; *q; q++) {
        if ((unsigned char)*q < 0x20 || (unsigned char)*q >= 0x7f) {
          *q = '?';
        }
      }
      return fail(zErr, nErr, zShown, "is not a known field");
    }
  }
  return 0;
}
