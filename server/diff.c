/*
** diff.c: line diff by longest common subsequence.
**
** The common head and tail are trimmed first (the usual case: a few lines
** edited in a long document), then an LCS table over the middle decides
** which lines stay. The middle is capped at DIFF_MAX_LINES per side so the
** table stays under 16M cells; past it the middle is shown as replaced.
**
** It does not diff within lines, and knows nothing of Markdown.
** Threading: no shared state.
*/
#include "diff.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"

typedef struct Lines {
  const char **az; /* start of each line, BORROWED from the text */
  size_t *an;      /* length of each line, without the "\n" */
  size_t n;        /* number of lines */
} Lines;

/* Splits z into lines. A final line without "\n" counts; an empty text
** has no lines. Fills p with NEW arrays (lines_free). */
static void lines_split(const char *z, Lines *p) {
  size_t nAlloc = 1;
  for (const char *q = z; *q; q++) {
    nAlloc += *q == '\n';
  }
  p->az = xmalloc(nAlloc * sizeof(*p->az));
  p->an = xmalloc(nAlloc * sizeof(*p->an));
  p->n = 0;
  while (*z) {
    const char *zEnd = strchr(z, '\n');
    size_t n = zEnd ? (size_t)(zEnd - z) : strlen(z);
    p->az[p->n] = z;
    p->an[p->n] = n;
    p->n++;
    z += n + (zEnd ? 1 : 0);
  }
}

static void lines_free(Lines *p) {
  free(p->az);
  free(p->an);
}

static int line_eq(const Lines *a, size_t i, const Lines *b, size_t j) {
  return a->an[i] == b->an[j] && memcmp(a->az[i], b->az[j], a->an[i]) == 0;
}

static void emit(json_t *pOut, const char *zOp, const char *z, size_t n,
                 size_t iOld, size_t iNew) {
  json_t *pText = json_stringn(z, n);
  json_array_append_new(
      pOut,
      json_pack("{s:s, s:o, s:o, s:o}", "op", zOp, "text",
                pText ? pText : json_string(""), "old",
                iOld ? json_integer((json_int_t)iOld) : json_null(), "new",
                iNew ? json_integer((json_int_t)iNew) : json_null()));
}

json_t *diff_lines(const char *zOld, const char *zNew, int *pnAdd, int *pnDel) {
  Lines a, b;
  lines_split(zOld ? zOld : "", &a);
  lines_split(zNew ? zNew : "", &b);
  json_t *pOut = json_array();
  int nAdd = 0, nDel = 0;
  size_t nHead = 0;
  while (nHead < a.n && nHead < b.n && line_eq(&a, nHead, &b, nHead)) {
    emit(pOut, "same", a.az[nHead], a.an[nHead], nHead + 1, nHead + 1);
    nHead++;
  }
  size_t nTail = 0;
  while (nTail < a.n - nHead && nTail < b.n - nHead &&
         line_eq(&a, a.n - 1 - nTail, &b, b.n - 1 - nTail)) {
    nTail++;
  }
  size_t n = a.n - nHead - nTail; /* middle of the old text */
  size_t m = b.n - nHead - nTail; /* middle of the new text */
  if (n > DIFF_MAX_LINES || m > DIFF_MAX_LINES) {
    for (size_t i = 0; i < n; i++) {
      emit(pOut, "del", a.az[nHead + i], a.an[nHead + i], nHead + i + 1, 0);
    }
    for (size_t j = 0; j < m; j++) {
      emit(pOut, "add", b.az[nHead + j], b.an[nHead + j], 0, nHead + j + 1);
    }
    nDel = (int)n;
    nAdd = (int)m;
  } else {
    /* aLen[i][j]: LCS length of old[i..n) and new[j..m), as uint16
    ** (DIFF_MAX_LINES fits), walked forwards from (0,0) afterwards. */
    size_t w = m + 1;
    uint16_t *aLen = xcalloc((n + 1) * w, sizeof(*aLen));
    for (size_t i = n; i-- > 0;) {
      for (size_t j = m; j-- > 0;) {
        if (line_eq(&a, nHead + i, &b, nHead + j)) {
          aLen[i * w + j] = (uint16_t)(aLen[(i + 1) * w + j + 1] + 1);
        } else {
          uint16_t x = aLen[(i + 1) * w + j], y = aLen[i * w + j + 1];
          aLen[i * w + j] = x > y ? x : y;
        }
      }
    }
    size_t i = 0, j = 0;
    while (i < n || j < m) {
      size_t iA = nHead + i, iB = nHead + j;
      if (i < n && j < m && line_eq(&a, iA, &b, iB)) {
        emit(pOut, "same", a.az[iA], a.an[iA], iA + 1, iB + 1);
        i++;
        j++;
      } else if (i < n &&
                 (j == m || aLen[(i + 1) * w + j] >= aLen[i * w + j + 1])) {
        emit(pOut, "del", a.az[iA], a.an[iA], iA + 1, 0);
        nDel++;
        i++;
      } else {
        emit(pOut, "add", b.az[iB], b.an[iB], 0, iB + 1);
        nAdd++;
        j++;
      }
    }
    free(aLen);
  }
  for (size_t k = 0; k < nTail; k++) {
    size_t iA = a.n - nTail + k, iB = b.n - nTail + k;
    emit(pOut, "same", a.az[iA], a.an[iA], iA + 1, iB + 1);
  }
  lines_free(&a);
  lines_free(&b);
  if (pnAdd) {
    *pnAdd = nAdd;
  }
  if (pnDel) {
    *pnDel = nDel;
  }
  return pOut;
}
