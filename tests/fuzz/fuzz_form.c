// fuzz-sources: server/form.c server/input.c server/utc.c server/arena.c
// fuzz-libs: -ljansson -lm
/*
** fuzz_form.c: libFuzzer target for form.c.
**
** form_parse_urlencoded() gets the bytes as they are (not NUL-terminated,
** so ASan catches any read past n). On success every member must be a
** string or an array of at least two strings, all of which re-encode as
** JSON; on failure there is no object and a message. form_unescape_url()
** gets a NUL-terminated copy: the result may only shrink, its length must
** be what it returns, and it must never contain a NUL or a decoded %00.
** A broken property calls abort(). Single-threaded.
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "form.h"

int LLVMFuzzerTestOneInput(const uint8_t *aData, size_t nData);

int LLVMFuzzerTestOneInput(const uint8_t *aData, size_t nData) {
  /* An exact-size heap copy, so reading one byte too far is caught. */
  char *z = malloc(nData ? nData : 1);
  memcpy(z, aData, nData);
  json_t *pForm = NULL;
  char zErr[256] = "";
  int rc = form_parse_urlencoded(z, nData, &pForm, zErr, sizeof(zErr));
  if (rc == 0) {
    if (!json_is_object(pForm)) {
      abort();
    }
    const char *zKey;
    json_t *pVal;
    json_object_foreach(pForm, zKey, pVal) {
      if (json_is_array(pVal)) {
        if (json_array_size(pVal) < 2) {
          abort();
        }
        size_t i;
        json_t *pItem;
        json_array_foreach(pVal, i, pItem) {
          if (!json_is_string(pItem)) {
            abort();
          }
        }
      } else if (!json_is_string(pVal)) {
        abort();
      }
    }
    char *zJson = json_dumps(pForm, JSON_COMPACT);
    if (!zJson) {
      abort();
    }
    free(zJson);
    json_decref(pForm);
  } else if (pForm || !zErr[0] || (rc != E_INVALID && rc != E_TOOBIG)) {
    abort();
  }

  char *zUrl = malloc(nData + 1);
  memcpy(zUrl, aData, nData);
  zUrl[nData] = 0;
  size_t nIn = strlen(zUrl);
  size_t nOut = form_unescape_url(zUrl);
  if (nOut > nIn || strlen(zUrl) != nOut) {
    abort();
  }
  free(zUrl);
  free(z);
  return 0;
}
