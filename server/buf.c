/*
** buf.c: Buf, the growable NUL-terminated string with a cap and a sticky
** error. Not thread-safe per Buf.
*/
#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "err.h"

void buf_init(Buf *p, size_t nMax) {
  memset(p, 0, sizeof(*p));
  p->nMax = nMax ? nMax : BUF_DEFAULT_MAX;
}

/* Makes room for n more bytes plus the NUL; returns 0 or sets the error. */
static int buf_reserve(Buf *p, size_t n) {
  if (p->rc) {
    return p->rc;
  }
  if (n > p->nMax - p->n) {
    p->rc = E_TOOBIG;
    return p->rc;
  }
  size_t nNeed = p->n + n + 1;
  if (nNeed > p->nAlloc) {
    size_t nNew = p->nAlloc ? p->nAlloc : 64;
    while (nNew < nNeed) {
      nNew += nNew / 2 + 64;
    }
    p->z = xrealloc(p->z, nNew);
    p->nAlloc = nNew;
  }
  return 0;
}

void buf_append(Buf *p, const void *z, size_t n) {
  if (buf_reserve(p, n)) {
    return;
  }
  if (n) {
    memcpy(p->z + p->n, z, n);
  }
  p->n += n;
  p->z[p->n] = 0;
}

void buf_puts(Buf *p, const char *z) { buf_append(p, z, strlen(z)); }

void buf_putc(Buf *p, char c) { buf_append(p, &c, 1); }

void buf_vprintf(Buf *p, const char *zFmt, va_list ap) {
  va_list ap2;
  va_copy(ap2, ap);
  char aSmall[256];
  int n = vsnprintf(aSmall, sizeof(aSmall), zFmt, ap2);
  va_end(ap2);
  if (n < 0) {
    return;
  }
  if ((size_t)n < sizeof(aSmall)) {
    buf_append(p, aSmall, (size_t)n);
    return;
  }
  if (buf_reserve(p, (size_t)n)) {
    return;
  }
  vsnprintf(p->z + p->n, (size_t)n + 1, zFmt, ap);
  p->n += (size_t)n;
}

void buf_printf(Buf *p, const char *zFmt, ...) {
  va_list ap;
  va_start(ap, zFmt);
  buf_vprintf(p, zFmt, ap);
  va_end(ap);
}

const char *buf_str(const Buf *p) { return p->z ? p->z : ""; }

int buf_err(const Buf *p) { return p->rc; }

void buf_reset(Buf *p) {
  p->n = 0;
  p->rc = 0;
  if (p->z) {
    p->z[0] = 0;
  }
}

char *buf_take(Buf *p, size_t *pn) {
  char *z = p->z ? p->z : xstrdup("");
  if (pn) {
    *pn = p->n;
  }
  size_t nMax = p->nMax;
  buf_init(p, nMax);
  return z;
}

void buf_free(Buf *p) {
  free(p->z);
  buf_init(p, p->nMax);
}
