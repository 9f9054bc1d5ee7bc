/*
** door_otlp.c: OTLP log exports in JSON and protobuf into DoorLine
** callbacks (see door_otlp.h).
**
** Threading: pure; no shared state.
*/
#include "door_otlp.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "ingest.h"
#include "input.h"
#include "pbwire.h"

/* Hands over one record: text z (n bytes) or a rejection. */
static int emit(const DoorMeta *pMeta, uint64_t ns, uint64_t nsObserved,
                const char *z, size_t n, const char *zReject, size_t iRec,
                DoorEmit xEmit, void *pArg, char *zErr, size_t nErr) {
  if (!zReject && n > INGEST_MAX_LINE) {
    zReject = "the body is over 65536 bytes";
  }
  if (!zReject && !utf8_valid(z, n)) {
    snprintf(zErr, nErr, "log record %zu: the body is not valid UTF-8", iRec);
    return E_INVALID;
  }
  DoorLine line = {.tsMs = door_ns_to_ms(ns ? ns : nsObserved),
                   .z = zReject ? "" : z,
                   .n = zReject ? 0 : n,
                   .pMeta = pMeta,
                   .zReject = zReject};
  return xEmit(pArg, &line);
}

/* JSON ---------------------------------------------------------------- */

/* An AnyValue's scalar as text into zOut (nOut bytes); its pointer and
** length, or NULL when it is not a scalar. */
static const char *json_any_text(json_t *pAny, char *zOut, size_t nOut,
                                 size_t *pn) {
  json_t *pV;
  if ((pV = json_object_get(pAny, "stringValue")) && json_is_string(pV)) {
    *pn = json_string_length(pV);
    return json_string_value(pV);
  }
  if ((pV = json_object_get(pAny, "intValue"))) {
    if (json_is_string(pV)) {
      *pn = json_string_length(pV);
      return json_string_value(pV);
    } else if (json_is_integer(pV)) {
      *pn = (size_t)snprintf(zOut, nOut, "%lld",
                             (long long)json_integer_value(pV));
      return zOut;
    }
  }
  if ((pV = json_object_get(pAny, "doubleValue")) && json_is_number(pV)) {
    *pn = (size_t)snprintf(zOut, nOut, "%.17g", json_number_value(pV));
    return zOut;
  }
  if ((pV = json_object_get(pAny, "boolValue")) && json_is_boolean(pV)) {
    *pn = json_is_true(pV) ? 4 : 5;
    return json_is_true(pV) ? "true" : "false";
  }
  return NULL;
}

/* attributes: [{"key":..., "value":{AnyValue}}] into pMeta. */
static int json_attrs(json_t *pAttrs, DoorMeta *pMeta, char *zErr,
                      size_t nErr) {
  if (!pAttrs) {
    return 0;
  }
  if (!json_is_array(pAttrs)) {
    snprintf(zErr, nErr, "attributes: must be an array");
    return E_INVALID;
  }
  size_t i;
  json_t *pKv;
  json_array_foreach(pAttrs, i, pKv) {
    json_t *pKey = json_object_get(pKv, "key");
    if (!json_is_string(pKey)) {
      snprintf(zErr, nErr, "attributes[%zu].key: must be a string", i);
      return E_INVALID;
    }
    char zNum[40];
    size_t n = 0;
    const char *z =
        json_any_text(json_object_get(pKv, "value"), zNum, sizeof(zNum), &n);
    if (z) {
      door_meta_label(pMeta, json_string_value(pKey), json_string_length(pKey),
                      z, n);
    }
  }
  return 0;
}

/* A uint64 nanosecond field given as a string or a number; 0 if absent. */
static int json_ns(json_t *p, const char *zKey, uint64_t *pNs) {
  json_t *pV = json_object_get(p, zKey);
  *pNs = 0;
  if (!pV) {
    return 0;
  }
  if (json_is_string(pV)) {
    return door_parse_ns(json_string_value(pV), json_string_length(pV), pNs)
               ? E_INVALID
               : 0;
  }
  if (json_is_integer(pV) && json_integer_value(pV) >= 0) {
    *pNs = (uint64_t)json_integer_value(pV);
    return 0;
  }
  return E_INVALID;
}

/* A hex id (traceId, spanId): absent, "" or 2*nBytes hex digits. */
static int json_hex_ok(json_t *p, const char *zKey, size_t nBytes) {
  json_t *pV = json_object_get(p, zKey);
  if (!pV) {
    return 1;
  }
  if (!json_is_string(pV)) {
    return 0;
  }
  const char *z = json_string_value(pV);
  size_t n = json_string_length(pV);
  if (n != 0 && n != 2 * nBytes) {
    return 0;
  }
  return strspn(z, "0123456789abcdefABCDEF") == n;
}

static int json_record(json_t *pRec, const DoorMeta *pRes, size_t iRec,
                       DoorEmit xEmit, void *pArg, char *zErr, size_t nErr) {
  DoorMeta meta = *pRes;
  uint64_t ns, nsObs;
  if (!json_is_object(pRec)) {
    snprintf(zErr, nErr, "log record %zu: must be an object", iRec);
    return E_INVALID;
  }
  if (json_ns(pRec, "timeUnixNano", &ns) ||
      json_ns(pRec, "observedTimeUnixNano", &nsObs)) {
    snprintf(zErr, nErr,
             "log record %zu: timeUnixNano: must be a string "
             "of nanoseconds",
             iRec);
    return E_INVALID;
  }
  if (!json_hex_ok(pRec, "traceId", 16) || !json_hex_ok(pRec, "spanId", 8)) {
    snprintf(zErr, nErr, "log record %zu: traceId and spanId must be hex",
             iRec);
    return E_INVALID;
  }
  int rc = json_attrs(json_object_get(pRec, "attributes"), &meta, zErr, nErr);
  if (rc) {
    return rc;
  }
  json_t *pSev = json_object_get(pRec, "severityText");
  if (json_is_string(pSev)) {
    door_meta_severity_text(&meta, json_string_value(pSev),
                            json_string_length(pSev));
  }
  pSev = json_object_get(pRec, "severityNumber");
  if (pSev && !json_is_integer(pSev)) {
    snprintf(zErr, nErr, "log record %zu: severityNumber: must be a number",
             iRec);
    return E_INVALID;
  }
  door_meta_severity_number(&meta, json_integer_value(pSev));
  char zNum[40];
  size_t n = 0;
  json_t *pBody = json_object_get(pRec, "body");
  const char *z = pBody ? json_any_text(pBody, zNum, sizeof(zNum), &n) : "";
  return emit(&meta, ns, nsObs, z, n,
              z ? NULL : "the body is not a string or number", iRec, xEmit,
              pArg, zErr, nErr);
}

int otlp_decode_json(const void *p, size_t n, DoorEmit xEmit, void *pArg,
                     char *zErr, size_t nErr) {
  json_error_t err;
  json_t *pDoc = json_loadb(p, n, JSON_REJECT_DUPLICATES, &err);
  if (!pDoc) {
    snprintf(zErr, nErr, "malformed JSON at line %d, column %d: %s", err.line,
             err.column, err.text);
    return E_INVALID;
  }
  int rc = 0;
  size_t iRec = 0;
  json_t *pAll = json_object_get(pDoc, "resourceLogs");
  if (!json_is_array(pAll)) {
    snprintf(zErr, nErr, "resourceLogs: must be an array");
    rc = E_INVALID;
    goto cleanup;
  }
  size_t i, j, k;
  json_t *pRl, *pSl, *pRec;
  json_array_foreach(pAll, i, pRl) {
    DoorMeta res;
    door_meta_init(&res);
    rc = json_attrs(
        json_object_get(json_object_get(pRl, "resource"), "attributes"), &res,
        zErr, nErr);
    json_t *pScopes = json_object_get(pRl, "scopeLogs");
    if (rc == 0 && pScopes && !json_is_array(pScopes)) {
      snprintf(zErr, nErr, "resourceLogs[%zu].scopeLogs: must be an array", i);
      rc = E_INVALID;
    }
    if (rc) {
      goto cleanup;
    }
    json_array_foreach(pScopes, j, pSl) {
      json_t *pRecs = json_object_get(pSl, "logRecords");
      if (pRecs && !json_is_array(pRecs)) {
        snprintf(zErr, nErr, "logRecords: must be an array");
        rc = E_INVALID;
        goto cleanup;
      }
      json_array_foreach(pRecs, k, pRec) {
        rc = json_record(pRec, &res, ++iRec, xEmit, pArg, zErr, nErr);
        if (rc) {
          goto cleanup;
        }
      }
    }
  }
cleanup:
  json_decref(pDoc);
  return rc;
}

/* Protobuf ------------------------------------------------------------ */

/* An AnyValue: its scalar as text (zOut for numbers), or NULL. -1 when
** malformed. */
static int pb_any_text(const PbField *pAny, char *zOut, size_t nOut,
                       const char **pz, size_t *pn) {
  PbReader r;
  PbField f;
  int got;
  *pz = NULL;
  *pn = 0;
  pb_init(&r, pAny->z, pAny->n);
  while ((got = pb_next(&r, &f)) == 1) {
    if (f.num == 1 && f.wire == 2) {
      if (!utf8_valid((const char *)f.z, f.n)) {
        return -1;
      }
      *pz = (const char *)f.z;
      *pn = f.n;
    } else if (f.num == 2 && f.wire == 0) {
      *pz = f.v ? "true" : "false";
      *pn = f.v ? 4 : 5;
    } else if (f.num == 3 && f.wire == 0) {
      *pn = (size_t)snprintf(zOut, nOut, "%lld", (long long)(int64_t)f.v);
      *pz = zOut;
    } else if (f.num == 4 && f.wire == 1) {
      double d;
      memcpy(&d, &f.v, sizeof(d));
      *pn = (size_t)snprintf(zOut, nOut, "%.17g", d);
      *pz = zOut;
    } else if (f.wire == 2 && f.num >= 5 && f.num <= 7) {
      *pz = NULL; /* array, kvlist, bytes: not a line of text */
    }
  }
  return got < 0 ? -1 : 0;
}

/* A KeyValue (key 1, value 2) into pMeta. -1 when malformed. */
static int pb_attr(const PbField *pKv, DoorMeta *pMeta) {
  PbReader r;
  PbField f;
  int got;
  const char *zKey = NULL, *zVal = NULL;
  size_t nKey = 0, nVal = 0;
  char zNum[40];
  pb_init(&r, pKv->z, pKv->n);
  while ((got = pb_next(&r, &f)) == 1) {
    if (f.num == 1 && f.wire == 2) {
      zKey = (const char *)f.z;
      nKey = f.n;
    } else if (f.num == 2 && f.wire == 2 &&
               pb_any_text(&f, zNum, sizeof(zNum), &zVal, &nVal)) {
      return -1;
    }
  }
  if (got < 0 || !zKey || !utf8_valid(zKey, nKey)) {
    return -1;
  }
  if (zVal) {
    door_meta_label(pMeta, zKey, nKey, zVal, nVal);
  }
  return 0;
}

/* A LogRecord. */
static int pb_record(const PbField *pRec, const DoorMeta *pRes, size_t iRec,
                     DoorEmit xEmit, void *pArg, char *zErr, size_t nErr) {
  DoorMeta meta = *pRes;
  PbReader r;
  PbField f;
  int got, bBody = 0;
  uint64_t ns = 0, nsObs = 0;
  int64_t iSev = 0;
  const char *zSev = NULL, *zBody = NULL;
  size_t nSev = 0, nBody = 0;
  char zNum[40];
  pb_init(&r, pRec->z, pRec->n);
  while ((got = pb_next(&r, &f)) == 1) {
    if (f.num == 1 && f.wire == 1) {
      ns = f.v;
    } else if (f.num == 11 && f.wire == 1) {
      nsObs = f.v;
    } else if (f.num == 2 && f.wire == 0) {
      iSev = (int64_t)f.v;
    } else if (f.num == 3 && f.wire == 2) {
      zSev = (const char *)f.z;
      nSev = f.n;
    } else if (f.num == 5 && f.wire == 2) {
      bBody = 1;
      if (pb_any_text(&f, zNum, sizeof(zNum), &zBody, &nBody)) {
        got = -1;
        break;
      }
    } else if (f.num == 6 && f.wire == 2 && pb_attr(&f, &meta)) {
      got = -1;
      break;
    }
  }
  if (got < 0 || (zSev && !utf8_valid(zSev, nSev))) {
    snprintf(zErr, nErr, "log record %zu: malformed protobuf", iRec);
    return E_INVALID;
  }
  if (zSev) {
    door_meta_severity_text(&meta, zSev, nSev);
  }
  door_meta_severity_number(&meta, iSev);
  if (!bBody) {
    zBody = "";
  }
  return emit(&meta, ns, nsObs, zBody, nBody,
              zBody ? NULL : "the body is not a string or number", iRec, xEmit,
              pArg, zErr, nErr);
}

int otlp_decode_proto(const void *p, size_t n, DoorEmit xEmit, void *pArg,
                      char *zErr, size_t nErr) {
  PbReader rReq;
  PbField fRl;
  int got;
  size_t iRec = 0;
  pb_init(&rReq, p, n);
  while ((got = pb_next(&rReq, &fRl)) == 1) {
    if (fRl.num != 1 || fRl.wire != 2) {
      continue;
    }
    /* The resource (1) first, wherever it sits, then scope_logs (2). */
    DoorMeta res;
    door_meta_init(&res);
    PbReader r;
    PbField f;
    pb_init(&r, fRl.z, fRl.n);
    while ((got = pb_next(&r, &f)) == 1) {
      if (f.num == 1 && f.wire == 2) {
        PbReader rRes;
        PbField fA;
        pb_init(&rRes, f.z, f.n);
        while ((got = pb_next(&rRes, &fA)) == 1) {
          if (fA.num == 1 && fA.wire == 2 && pb_attr(&fA, &res)) {
            got = -1;
            break;
          }
        }
        if (got < 0) {
          break;
        }
      }
    }
    if (got < 0) {
      snprintf(zErr, nErr, "malformed protobuf resource");
      return E_INVALID;
    }
    pb_init(&r, fRl.z, fRl.n);
    while (pb_next(&r, &f) == 1) {
      if (f.num != 2 || f.wire != 2) {
        continue;
      }
      PbReader rScope;
      PbField fRec;
      pb_init(&rScope, f.z, f.n);
      while ((got = pb_next(&rScope, &fRec)) == 1) {
        if (fRec.num == 2 && fRec.wire == 2) {
          int rc = pb_record(&fRec, &res, ++iRec, xEmit, pArg, zErr, nErr);
          if (rc) {
            return rc;
          }
        }
      }
      if (got < 0) {
        snprintf(zErr, nErr, "malformed protobuf ScopeLogs");
        return E_INVALID;
      }
    }
  }
  if (got < 0) {
    snprintf(zErr, nErr, "malformed protobuf ExportLogsServiceRequest");
    return E_INVALID;
  }
  return 0;
}
