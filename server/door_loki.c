/*
** door_loki.c: the Loki push API's two encodings into DoorLine callbacks
** (see door_loki.h). Stream labels map to source, component and level
** through door_labels.c, the same as for the other doors.
**
** Threading: pure; no shared state.
*/
#include "door_loki.h"

#include <jansson.h>
#include <snappy-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "err.h"
#include "ingest.h"
#include "input.h"
#include "pbwire.h"

#define LOKI_MAX_LABELS 4096 /* bytes of one stream's label string */

/* Checks one entry's text and hands it over. */
static int emit_line(const DoorMeta *pMeta, uint64_t ns, const char *z,
                     size_t n, size_t iLine, DoorEmit xEmit, void *pArg,
                     char *zErr, size_t nErr) {
  if (n > INGEST_MAX_LINE) {
    snprintf(zErr, nErr, "entry %zu: a line is at most %d bytes", iLine,
             INGEST_MAX_LINE);
    return E_INVALID;
  }
  if (!utf8_valid(z, n)) {
    snprintf(zErr, nErr, "entry %zu: the line is not valid UTF-8", iLine);
    return E_INVALID;
  }
  DoorLine line = {.tsMs = door_ns_to_ms(ns), .z = z, .n = n, .pMeta = pMeta};
  return xEmit(pArg, &line);
}

int loki_decode_json(const char *z, size_t n, DoorEmit xEmit, void *pArg,
                     char *zErr, size_t nErr) {
  json_error_t err;
  json_t *pDoc = json_loadb(z, n, JSON_REJECT_DUPLICATES, &err);
  if (!pDoc) {
    snprintf(zErr, nErr, "malformed JSON at line %d, column %d: %s", err.line,
             err.column, err.text);
    return E_INVALID;
  }
  int rc = 0;
  json_t *pStreams = json_object_get(pDoc, "streams");
  if (!json_is_array(pStreams)) {
    snprintf(zErr, nErr, "streams: must be an array");
    rc = E_INVALID;
    goto cleanup;
  }
  size_t iStream, iLine = 0;
  json_t *pStream;
  json_array_foreach(pStreams, iStream, pStream) {
    json_t *pLabels = json_object_get(pStream, "stream");
    json_t *pValues = json_object_get(pStream, "values");
    if (!json_is_object(pLabels) || !json_is_array(pValues)) {
      snprintf(zErr, nErr,
               "streams[%zu]: needs a \"stream\" object and a "
               "\"values\" array",
               iStream);
      rc = E_INVALID;
      goto cleanup;
    }
    DoorMeta meta;
    door_meta_init(&meta);
    const char *zKey;
    json_t *pVal;
    json_object_foreach(pLabels, zKey, pVal) {
      if (!json_is_string(pVal)) {
        snprintf(zErr, nErr, "streams[%zu].stream.%.60s: must be a string",
                 iStream, zKey);
        rc = E_INVALID;
        goto cleanup;
      }
      door_meta_label(&meta, zKey, strlen(zKey), json_string_value(pVal),
                      json_string_length(pVal));
    }
    size_t iValue;
    json_t *pEntry;
    json_array_foreach(pValues, iValue, pEntry) {
      iLine++;
      json_t *pTs = json_array_get(pEntry, 0);
      json_t *pText = json_array_get(pEntry, 1);
      uint64_t ns = 0;
      if (!json_is_array(pEntry) || json_array_size(pEntry) < 2 ||
          json_array_size(pEntry) > 3 || !json_is_string(pTs) ||
          !json_is_string(pText) ||
          door_parse_ns(json_string_value(pTs), json_string_length(pTs), &ns)) {
        snprintf(zErr, nErr,
                 "streams[%zu].values[%zu]: must be "
                 "[\"<unix ns>\", \"line\"]",
                 iStream, iValue);
        rc = E_INVALID;
        goto cleanup;
      }
      rc = emit_line(&meta, ns, json_string_value(pText),
                     json_string_length(pText), iLine, xEmit, pArg, zErr, nErr);
      if (rc) {
        goto cleanup;
      }
    }
  }
cleanup:
  json_decref(pDoc);
  return rc;
}

/* Reads the next character of a quoted label value into *pc (escapes
** \\ \" \n undone). 1 for a character, 0 at the closing quote, -1 if
** malformed. */
static int label_char(const char **pz, const char *zEnd, char *pc) {
  const char *z = *pz;
  if (z >= zEnd) {
    return -1;
  }
  if (*z == '"') {
    *pz = z + 1;
    return 0;
  }
  if (*z == '\\') {
    if (z + 1 >= zEnd) {
      return -1;
    }
    *pc = z[1] == 'n' ? '\n' : z[1];
    *pz = z + 2;
    return 1;
  }
  *pc = *z;
  *pz = z + 1;
  return 1;
}

int loki_parse_labels(const char *z, size_t n, DoorMeta *pMeta) {
  const char *zEnd = z + n;
  char zVal[LOKI_MAX_LABELS];
  if (n > LOKI_MAX_LABELS || !utf8_valid(z, n)) {
    return E_INVALID;
  }
  while (z < zEnd && *z == ' ') {
    z++;
  }
  if (z >= zEnd || *z++ != '{') {
    return E_INVALID;
  }
  for (;;) {
    while (z < zEnd && (*z == ' ' || *z == ',')) {
      z++;
    }
    if (z < zEnd && *z == '}') {
      z++;
      break;
    }
    const char *zKey = z;
    while (z < zEnd &&
           (*z == '_' || *z == '.' || (*z >= 'a' && *z <= 'z') ||
            (*z >= 'A' && *z <= 'Z') || (z > zKey && *z >= '0' && *z <= '9'))) {
      z++;
    }
    size_t nKey = (size_t)(z - zKey);
    if (nKey == 0 || z + 1 >= zEnd || z[0] != '=' || z[1] != '"') {
      return E_INVALID;
    }
    z += 2;
    size_t nVal = 0;
    char c;
    int more;
    while ((more = label_char(&z, zEnd, &c)) == 1) {
      zVal[nVal++] = c; /* nVal < n <= sizeof(zVal): escapes shrink */
    }
    if (more < 0) {
      return E_INVALID;
    }
    door_meta_label(pMeta, zKey, nKey, zVal, nVal);
  }
  while (z < zEnd && *z == ' ') {
    z++;
  }
  return z == zEnd ? 0 : E_INVALID;
}

/* One EntryAdapter: timestamp (1: seconds 1, nanos 2), line (2). */
static int proto_entry(const PbField *pE, const DoorMeta *pMeta, size_t iLine,
                       DoorEmit xEmit, void *pArg, char *zErr, size_t nErr) {
  PbReader r;
  PbField f;
  int got;
  uint64_t ns = 0;
  const char *zLine = "";
  size_t nLine = 0;
  pb_init(&r, pE->z, pE->n);
  while ((got = pb_next(&r, &f)) == 1) {
    if (f.num == 1 && f.wire == 2) {
      PbReader rt;
      PbField ft;
      int64_t sec = 0, nano = 0;
      pb_init(&rt, f.z, f.n);
      while ((got = pb_next(&rt, &ft)) == 1) {
        if (ft.num == 1 && ft.wire == 0) {
          sec = (int64_t)ft.v;
        } else if (ft.num == 2 && ft.wire == 0) {
          nano = (int32_t)ft.v;
        }
      }
      if (got < 0 || sec < 0 || sec > 253402300799LL || nano < 0 ||
          nano > 999999999) {
        snprintf(zErr, nErr, "entry %zu: malformed timestamp", iLine);
        return E_INVALID;
      }
      ns = (uint64_t)sec * 1000000000u + (uint64_t)nano;
    } else if (f.num == 2 && f.wire == 2) {
      zLine = (const char *)f.z;
      nLine = f.n;
    }
  }
  if (got < 0) {
    snprintf(zErr, nErr, "entry %zu: malformed protobuf", iLine);
    return E_INVALID;
  }
  return emit_line(pMeta, ns, zLine, nLine, iLine, xEmit, pArg, zErr, nErr);
}

int loki_decode_proto(const void *p, size_t n, DoorEmit xEmit, void *pArg,
                      char *zErr, size_t nErr) {
  PbReader rReq;
  PbField fStream;
  int got;
  size_t iStream = 0, iLine = 0;
  pb_init(&rReq, p, n);
  while ((got = pb_next(&rReq, &fStream)) == 1) {
    if (fStream.num != 1 || fStream.wire != 2) {
      continue;
    }
    iStream++;
    /* Labels (1) may follow entries (2) on the wire: find them first. */
    PbReader r;
    PbField f;
    DoorMeta meta;
    door_meta_init(&meta);
    int bLabels = 0;
    pb_init(&r, fStream.z, fStream.n);
    while ((got = pb_next(&r, &f)) == 1) {
      if (f.num == 1 && f.wire == 2) {
        if (loki_parse_labels((const char *)f.z, f.n, &meta)) {
          snprintf(zErr, nErr, "stream %zu: malformed labels", iStream);
          return E_INVALID;
        }
        bLabels = 1;
      }
    }
    if (got < 0 || !bLabels) {
      snprintf(zErr, nErr, "stream %zu: %s", iStream,
               got < 0 ? "malformed protobuf" : "no labels");
      return E_INVALID;
    }
    pb_init(&r, fStream.z, fStream.n);
    while (pb_next(&r, &f) == 1) {
      if (f.num == 2 && f.wire == 2) {
        int rc = proto_entry(&f, &meta, ++iLine, xEmit, pArg, zErr, nErr);
        if (rc) {
          return rc;
        }
      }
    }
  }
  if (got < 0) {
    snprintf(zErr, nErr, "malformed protobuf PushRequest");
    return E_INVALID;
  }
  return 0;
}

int loki_decode_snappy(const void *p, size_t n, DoorEmit xEmit, void *pArg,
                       char *zErr, size_t nErr) {
  size_t nRaw = 0;
  if (snappy_uncompressed_length(p, n, &nRaw) != SNAPPY_OK) {
    snprintf(zErr, nErr, "the body is not a snappy block");
    return E_INVALID;
  }
  if (nRaw > LOKI_MAX_RAW) {
    snprintf(zErr, nErr, "the body decompresses to more than %zu bytes",
             LOKI_MAX_RAW);
    return E_TOOBIG;
  }
  char *aRaw = xmalloc(nRaw ? nRaw : 1);
  int rc;
  if (snappy_uncompress(p, n, aRaw, &nRaw) != SNAPPY_OK) {
    snprintf(zErr, nErr, "the body is not a valid snappy block");
    rc = E_INVALID;
  } else {
    rc = loki_decode_proto(aRaw, nRaw, xEmit, pArg, zErr, nErr);
  }
  free(aRaw);
  return rc;
}
