// fuzz-sources: server/tmpl.c server/md.c server/buf.c server/arena.c
// fuzz-libs: -lcmark -ljansson
/*
** fuzz_tmpl.c: libFuzzer target for tmpl.c.
**
** Input: the first byte picks the split and the output cap; the rest is cut
** into a main template A and a second template B. A is rendered against a
** fixed context (strings with markup, arrays, nested objects, numbers,
** SafeHtml). The loader returns B for partial names starting with "b" and A
** itself for every other name, so self-inclusion exercises the partial and
** section nesting caps and the step budget.
**
** Build: clang -fsanitize=fuzzer,address,undefined -Iserver
**   tests/fuzz/fuzz_tmpl.c server/tmpl.c server/md.c server/buf.c
**   server/arena.c -lcmark -ljansson
** Single-threaded, as libFuzzer runs it: the loader reads the current
** input through file-scope pointers because TmplLoader has no user data.
*/
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "err.h"
#include "md.h"
#include "tmpl.h"

static const char *zFuzzA; /* the main template of the current input */
static size_t nFuzzA;      /* its length */
static const char *zFuzzB; /* the second template */
static size_t nFuzzB;      /* its length */
static json_t *pFuzzCtx;   /* the fixed context, built once */

/* TmplLoader: B for names starting with "b", else A. NEW: free(). */
static char *fuzz_load(const char *zName, size_t *pn) {
  const char *z = zName[0] == 'b' ? zFuzzB : zFuzzA;
  size_t n = zName[0] == 'b' ? nFuzzB : nFuzzA;
  char *zCopy = xmalloc(n + 1);
  memcpy(zCopy, z, n);
  zCopy[n] = 0;
  *pn = n;
  return zCopy;
}

/* Builds the context every input is rendered against. */
static json_t *fuzz_context(void) {
  json_t *p = json_pack(
      "{s:s, s:s, s:i, s:f, s:f, s:b, s:b, s:n, s:s, s:[], s:{},"
      " s:[s,s,i,b,n,[i,i]],"
      " s:[{s:s, s:i, s:[{s:s}]}, {s:s, s:i, s:[]}],"
      " s:{s:{s:{s:s, s:[i]}}},"
      " s:{s:s, s:[{s:s, s:[]}]}}",
      "name", "<b>\"x\" & 'y'</b>", "ls", "a\xE2\x80\xA8" "b</script>",
      "n", 42, "r", 2.5, "z", 0.0, "t", 1, "f", 0, "nil", "empty", "",
      "ea", "eo",
      "list", "a", "<i>", 7, 1, 1, 2,
      "items", "id", "1", "n", 1, "kids", "name", "k", "id", "2", "n", 2,
      "kids",
      "a", "b", "c", "d", "deep", "e", 3,
      "tree", "name", "root", "kids", "name", "leaf", "kids");
  if (p) {
    json_object_set_new(p, "h", md_safe_html("**md** <script>x</script>"));
    json_object_set_new(p, "he", md_trusted_html(""));
  }
  return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *aData, size_t nData);

int LLVMFuzzerTestOneInput(const uint8_t *aData, size_t nData) {
  if (nData == 0) {
    return 0;
  }
  if (!pFuzzCtx) {
    pFuzzCtx = fuzz_context();
    if (!pFuzzCtx) {
      abort();
    }
  }
  const char *z = (const char *)aData + 1;
  size_t n = nData - 1;
  size_t iSplit = n * (aData[0] & 0x7F) / 127;
  zFuzzA = z;
  nFuzzA = iSplit;
  zFuzzB = z + iSplit;
  nFuzzB = n - iSplit;

  Buf out;
  buf_init(&out, (aData[0] & 0x80) ? 256 : ((size_t)1 << 20));
  char zErr[200];
  int rc = tmpl_render(zFuzzA, nFuzzA, pFuzzCtx, fuzz_load, &out, zErr,
                       sizeof(zErr));
  if (rc != 0 && rc != E_INVALID && rc != E_TOOBIG) {
    abort();
  }
  if (rc != 0 && (zErr[0] == 0 || strchr(zErr, '\n'))) {
    abort(); /* every failure explains itself on one line */
  }
  buf_free(&out);

  /* The named entry point too, with zErr NULL. */
  buf_init(&out, (size_t)1 << 16);
  rc = tmpl_render_named("a", pFuzzCtx, fuzz_load, &out, NULL, 0);
  if (rc != 0 && rc != E_INVALID && rc != E_TOOBIG) {
    abort();
  }
  buf_free(&out);
  return 0;
}
