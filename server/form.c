/*
** form.c: urlencoded form bodies into JSON objects, and URL unescaping
** (see form.h). Moved out of http.c so the parser can be fuzzed alone.
**
** It does not know about requests or Content-Type; http.c decides when a
** body is a form. Threading: no shared state.
*/
#include "form.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "err.h"
#include "input.h"

static int hex_value(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

/* Decodes one urlencoded component into zOut (room for n + 1 bytes).
** Returns 0 and *pnOut, or E_INVALID for a malformed escape. */
static int decode_component(const char *z, size_t n, char *zOut,
                            size_t *pnOut) {
  size_t j = 0;
  for (size_t i = 0; i < n; i++) {
    if (z[i] == '+') {
      zOut[j++] = ' ';
    } else if (z[i] == '%') {
      int hi = i + 1 < n ? hex_value(z[i + 1]) : -1;
      int lo = i + 2 < n ? hex_value(z[i + 2]) : -1;
      if (hi < 0 || lo < 0) {
        return E_INVALID;
      }
      zOut[j++] = (char)(hi * 16 + lo);
      i += 2;
    } else {
      zOut[j++] = z[i];
    }
  }
  zOut[j] = 0;
  *pnOut = j;
  return 0;
}

/* Adds zVal under zKey; a repeated key turns into an array. */
static void add_field(json_t *pForm, const char *zKey, const char *zVal) {
  json_t *pOld = json_object_get(pForm, zKey);
  if (!pOld) {
    json_object_set_new(pForm, zKey, json_string(zVal));
  } else if (json_is_array(pOld)) {
    json_array_append_new(pOld, json_string(zVal));
  } else {
    json_t *pArr = json_array();
    json_array_append(pArr, pOld);
    json_array_append_new(pArr, json_string(zVal));
    json_object_set_new(pForm, zKey, pArr);
  }
}

int form_parse_urlencoded(const char *z, size_t n, json_t **ppOut, char *zErr,
                          size_t nErr) {
  int rc = 0;
  int nField = 0;
  json_t *pForm = json_object();
  char *zKey = NULL;
  char *zVal = NULL;
  size_t i = 0;
  *ppOut = NULL;
  while (i < n && rc == 0) {
    const char *zAmp = memchr(z + i, '&', n - i);
    size_t nPair = zAmp ? (size_t)(zAmp - (z + i)) : n - i;
    if (nPair > 0) {
      const char *zPair = z + i;
      const char *zEq = memchr(zPair, '=', nPair);
      size_t nKey = zEq ? (size_t)(zEq - zPair) : nPair;
      size_t nValIn = zEq ? nPair - nKey - 1 : 0;
      size_t nK = 0, nV = 0;
      zKey = xmalloc(nKey + 1);
      zVal = xmalloc(nValIn + 1);
      if (decode_component(zPair, nKey, zKey, &nK) ||
          decode_component(zEq ? zEq + 1 : zPair, nValIn, zVal, &nV)) {
        snprintf(zErr, nErr, "malformed form encoding");
        rc = E_INVALID;
      } else if (!utf8_valid(zKey, nK) || !utf8_valid(zVal, nV)) {
        snprintf(zErr, nErr, "field %s is not valid UTF-8",
                 utf8_valid(zKey, nK) ? zKey : "(name)");
        rc = E_INVALID;
      } else if (++nField > FORM_MAX_FIELDS) {
        snprintf(zErr, nErr, "too many form fields");
        rc = E_TOOBIG;
      } else {
        add_field(pForm, zKey, zVal);
      }
      free(zKey);
      free(zVal);
      zKey = zVal = NULL;
    }
    i += nPair + 1;
  }
  if (rc) {
    json_decref(pForm);
    return rc;
  }
  *ppOut = pForm;
  return 0;
}

size_t form_unescape_url(char *z) {
  size_t j = 0;
  for (size_t i = 0; z[i]; i++) {
    int hi = z[i] == '%' ? hex_value(z[i + 1]) : -1;
    int lo = hi >= 0 ? hex_value(z[i + 2]) : -1;
    if (lo >= 0 && (hi | lo) != 0) {
      z[j++] = (char)(hi * 16 + lo);
      i += 2;
    } else {
      z[j++] = z[i];
    }
  }
  z[j] = 0;
  return j;
}
