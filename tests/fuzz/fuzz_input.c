// fuzz-sources: server/input.c server/utc.c server/arena.c
// fuzz-libs: -ljansson -lm
/*
** fuzz_input.c: libFuzzer target for input.c, the JSON field validation
** every handler uses.
**
** The bytes are decoded the way req_input() does (json_loadb with
** JSON_REJECT_DUPLICATES); an object then goes through each in_* getter
** for the fields the handlers read. Properties: a string accepted by
** in_string() is within its cap, valid UTF-8 and, for one-line fields,
** free of control characters; in_enum() only returns allowed words;
** in_time() only returns times in range or IN_UNSET; every failure leaves
** a message naming the field. utf8_valid() on the raw bytes must agree
** with jansson's own validator. A broken property calls abort().
** Single-threaded.
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "input.h"
#include "utc.h"

static void check_err(int rc, const char *zErr, const char *zField) {
  if (rc == 0) {
    return;
  }
  if (rc != E_INVALID || strncmp(zErr, zField, strlen(zField)) != 0) {
    abort();
  }
}

static void check_object(json_t *pIn) {
  static const char *const azField[] = {"title", "summary", "body", "source",
                                        NULL};
  static const char *const azKnown[] = {"title",      "summary", "severity",
                                        "started_at", "public",  "components",
                                        NULL};
  char zErr[256];
  for (int i = 0; azField[i]; i++) {
    for (int bLine = 0; bLine < 2; bLine++) {
      const char *z = NULL;
      int bSet = 0;
      zErr[0] = 0;
      int rc =
          in_string(pIn, azField[i], 200, bLine, &z, &bSet, zErr, sizeof(zErr));
      check_err(rc, zErr, azField[i]);
      if (rc == 0 && z) {
        size_t n = strlen(z);
        if (n > 200 || !utf8_valid(z, n) || !bSet) {
          abort();
        }
        for (size_t k = 0; bLine && k < n; k++) {
          if ((unsigned char)z[k] < 0x20 || z[k] == 0x7f) {
            abort();
          }
        }
      }
    }
  }
  const char *zSev = NULL;
  int rc = in_enum(pIn, "severity", azSeverity, &zSev, zErr, sizeof(zErr));
  check_err(rc, zErr, "severity");
  if (rc == 0 && zSev && enum_index(azSeverity, zSev) < 0) {
    abort();
  }
  int64_t ms = 0;
  int bSet = 0;
  rc = in_time(pIn, "started_at", &ms, &bSet, zErr, sizeof(zErr));
  check_err(rc, zErr, "started_at");
  if (rc == 0 && bSet && ms != IN_UNSET &&
      (ms < UTC_MIN_MS || ms > UTC_MAX_MS)) {
    abort();
  }
  int b = 7;
  rc = in_bool(pIn, "public", &b, zErr, sizeof(zErr));
  check_err(rc, zErr, "public");
  if (rc == 0 && b != 7 && b != 0 && b != 1) {
    abort();
  }
  json_t *pList = NULL;
  rc = in_string_list(pIn, "components", 10, 64, &pList, zErr, sizeof(zErr));
  check_err(rc, zErr, "components");
  if (rc == 0 && pList) {
    if (!json_is_array(pList) || json_array_size(pList) > 10) {
      abort();
    }
    json_decref(pList);
  }
  zErr[0] = 0;
  rc = in_only_known(pIn, azKnown, zErr, sizeof(zErr));
  if (rc != 0 && (rc != E_INVALID || !zErr[0])) {
    abort();
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *aData, size_t nData);

int LLVMFuzzerTestOneInput(const uint8_t *aData, size_t nData) {
  const char *z = (const char *)aData;
  /* Our validator and jansson's must agree on what is UTF-8 (jansson
  ** allows NUL in json_stringn, we never do). */
  if (utf8_valid(z, nData)) {
    json_t *p = json_stringn(z, nData);
    if (!p) {
      abort();
    }
    json_decref(p);
  } else if (!memchr(z, 0, nData)) {
    json_t *p = json_stringn(z, nData);
    if (p) {
      abort();
    }
  }
  json_error_t err;
  json_t *pIn = json_loadb(z, nData, JSON_REJECT_DUPLICATES, &err);
  if (pIn && json_is_object(pIn)) {
    check_object(pIn);
  }
  json_decref(pIn);
  return 0;
}
