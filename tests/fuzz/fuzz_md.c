// fuzz-sources: server/md.c server/arena.c server/buf.c
// fuzz-libs: -lcmark -ljansson
/*
** fuzz_md.c: libFuzzer target for md.c.
**
** Renders arbitrary bytes (NULs and invalid UTF-8 included) with
** md_render(), wraps the result as SafeHtml and checks the wrapper always
** serializes: md.c repairs invalid UTF-8 so a model never becomes
** unencodable. md_plain() (the search index's text) of the same bytes must
** stay within four bytes a byte (a NUL or a bad byte becomes U+FFFD, a tab
** in a code block up to four spaces; markup only shrinks).
**
** Build: clang -fsanitize=fuzzer,address,undefined -Iserver
**   tests/fuzz/fuzz_md.c server/md.c server/arena.c -lcmark -ljansson
** Single-threaded, as libFuzzer runs it.
*/
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "md.h"

int LLVMFuzzerTestOneInput(const uint8_t *aData, size_t nData);

int LLVMFuzzerTestOneInput(const uint8_t *aData, size_t nData) {
  char *zHtml = md_render((const char *)aData, nData);
  if (!zHtml) {
    abort();
  }
  json_t *pSafe = md_trusted_html(zHtml);
  const char *zBack = md_safe_html_str(pSafe);
  char *zJson = json_dumps(pSafe, JSON_COMPACT);
  if (!zBack || !zJson) {
    abort();
  }
  /* Valid UTF-8 HTML must come back unchanged. */
  json_t *pCheck = json_string(zHtml);
  if (pCheck && strcmp(zBack, zHtml) != 0) {
    abort();
  }
  json_decref(pCheck);
  Buf plain;
  buf_init(&plain, 0);
  md_plain((const char *)aData, nData, &plain);
  if (buf_err(&plain) || plain.n > 4 * nData + 1) {
    abort();
  }
  buf_free(&plain);
  free(zJson);
  json_decref(pSafe);
  free(zHtml);
  return 0;
}
