/*
** form.h: application/x-www-form-urlencoded bodies and percent-decoding
** of URLs. Pure functions: bytes in, values out; no HTTP, no database.
**
** Threading: no shared state; safe from any thread.
*/
#ifndef HS_FORM_H
#define HS_FORM_H

#include <jansson.h>
#include <stddef.h>

#define FORM_MAX_FIELDS 1000 /* more fields is E_TOOBIG */

/* Parses z[0..n) (need not be NUL-terminated) as name=value pairs
** separated by '&', with '+' for space and %XX escapes. A repeated name
** becomes an array of its values in order. Names and values must be valid
** UTF-8 without NUL. Returns 0 with *ppOut a NEW object (json_decref), or
** E_INVALID (a malformed escape, invalid UTF-8) or E_TOOBIG (more than
** FORM_MAX_FIELDS fields) with *ppOut NULL and a message in zErr[nErr]. */
int form_parse_urlencoded(const char *z, size_t n, json_t **ppOut, char *zErr,
                          size_t nErr);

/* Decodes %XX escapes of the NUL-terminated z in place, except "%00",
** which stays as those three characters, so that a NUL can never cut a
** path or a query value short behind the back of the code checking it.
** Malformed escapes stay as they are; '+' is not touched. Returns the new
** length. */
size_t form_unescape_url(char *z);

#endif
