/*
** syslog_frame.c: RFC 6587 framing, octet counting and newline framing
** detected per frame (see syslog_frame.h).
**
** Threading: pure; no shared state.
*/
#include "syslog_frame.h"

#include <stdlib.h>

#include "arena.h"

enum {
  FR_START = 0,  /* between frames */
  FR_COUNT,      /* reading the digits of an octet count */
  FR_COUNTED,    /* reading nCount bytes of message */
  FR_SKIP_COUNT, /* dropping nCount bytes of an oversized message */
  FR_LINE,       /* reading a newline-terminated message */
  FR_SKIP_LINE   /* dropping the rest of an oversized line */
};

#define FR_MAX_DIGITS 9 /* an octet count below 10^9 */

void syslog_framer_init(SyslogFramer *p, size_t nMax) {
  p->a = xmalloc(nMax);
  p->n = 0;
  p->nMax = nMax;
  p->state = FR_START;
  p->nCount = 0;
  p->nDigit = 0;
}

void syslog_framer_free(SyslogFramer *p) {
  free(p->a);
  p->a = NULL;
}

int syslog_framer_feed(SyslogFramer *p, const char *z, size_t n,
                       SyslogFrameFn xFrame, SyslogBadFn xBad, void *pArg,
                       size_t *pnUsed) {
  size_t i = 0;
  int rc = 0;
  while (i < n && rc == 0) {
    char c = z[i];
    switch (p->state) {
    case FR_START:
      if (c == '\n' || c == '\r' || c == 0) {
        i++; /* empty frames and stray terminators */
      } else if (c >= '0' && c <= '9') {
        p->state = FR_COUNT;
        p->nCount = 0;
        p->nDigit = 0;
      } else {
        p->state = FR_LINE;
        p->n = 0;
      }
      break;
    case FR_COUNT:
      i++;
      if (c >= '0' && c <= '9' && p->nDigit < FR_MAX_DIGITS) {
        p->nCount = p->nCount * 10 + (size_t)(c - '0');
        p->nDigit++;
      } else if (c == ' ' && p->nCount > 0) {
        p->n = 0;
        if (p->nCount > p->nMax) {
          xBad(pArg, "an octet-counted frame over the size cap");
          p->state = FR_SKIP_COUNT;
        } else {
          p->state = FR_COUNTED;
        }
      } else {
        /* Not "digits SP": a broken count; what follows is taken as a
        ** newline-framed message so the stream can find its feet. */
        xBad(pArg, "a malformed octet count");
        p->state = c == '\n' ? FR_START : FR_SKIP_LINE;
      }
      break;
    case FR_COUNTED:
    case FR_SKIP_COUNT: {
      size_t nTake = n - i < p->nCount ? n - i : p->nCount;
      if (p->state == FR_COUNTED) {
        for (size_t k = 0; k < nTake; k++) {
          p->a[p->n++] = z[i + k];
        }
      }
      i += nTake;
      p->nCount -= nTake;
      if (p->nCount == 0) {
        if (p->state == FR_COUNTED) {
          rc = xFrame(pArg, p->a, p->n);
        }
        p->state = FR_START;
      }
      break;
    }
    case FR_LINE:
      i++;
      if (c == '\n' || c == 0) {
        size_t m = p->n;
        if (m > 0 && p->a[m - 1] == '\r') {
          m--;
        }
        p->state = FR_START;
        rc = xFrame(pArg, p->a, m);
      } else if (p->n == p->nMax) {
        xBad(pArg, "a newline-framed message over the size cap");
        p->state = FR_SKIP_LINE;
      } else {
        p->a[p->n++] = c;
      }
      break;
    default: /* FR_SKIP_LINE */
      i++;
      if (c == '\n' || c == 0) {
        p->state = FR_START;
      }
      break;
    }
  }
  if (pnUsed) {
    *pnUsed = i;
  }
  return rc;
}

void syslog_framer_end(SyslogFramer *p, SyslogFrameFn xFrame, SyslogBadFn xBad,
                       void *pArg) {
  if (p->state == FR_LINE && p->n > 0) {
    xFrame(pArg, p->a, p->n);
  } else if (p->state == FR_COUNT || p->state == FR_COUNTED) {
    xBad(pArg, "the connection ended inside a frame");
  }
  p->state = FR_START;
  p->n = 0;
}
