/*
** buf.h: Buf, our only growable string.
**
** Always NUL-terminated, binary-safe, with a maximum size fixed at init.
** An append past the maximum sets a sticky error (E_TOOBIG) and is dropped;
** callers check buf_err() once at the end instead of after every append.
*/
#ifndef HS_BUF_H
#define HS_BUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct Buf {
  char *z;     /* the bytes, NUL-terminated; NULL until the first append */
  size_t n;    /* bytes used, not counting the NUL */
  size_t nAlloc; /* bytes allocated for z */
  size_t nMax; /* cap on n; an append past it fails */
  int rc;      /* sticky error: 0 or E_TOOBIG */
} Buf;

#define BUF_DEFAULT_MAX ((size_t)64 << 20)

void buf_init(Buf *p, size_t nMax);
void buf_append(Buf *p, const void *z, size_t n);
void buf_puts(Buf *p, const char *z);
void buf_putc(Buf *p, char c);
void buf_printf(Buf *p, const char *zFmt, ...)
    __attribute__((format(printf, 2, 3)));
void buf_vprintf(Buf *p, const char *zFmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* Returns the NUL-terminated contents ("" when empty). BORROWED until the
** next append or buf_free. */
const char *buf_str(const Buf *p);
/* Returns 0 or the sticky error. */
int buf_err(const Buf *p);
/* Forgets the contents but keeps the allocation and the cap. */
void buf_reset(Buf *p);
/* Hands over the bytes (never NULL) and leaves p empty. NEW: free(). */
char *buf_take(Buf *p, size_t *pn);
void buf_free(Buf *p);

#endif
