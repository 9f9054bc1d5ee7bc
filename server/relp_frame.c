/*
** relp_frame.c: RELP framing (see relp_frame.h).
**
** Threading: pure; no shared state.
*/
#include "relp_frame.h"

#include <stdlib.h>
#include <string.h>

#include "arena.h"

enum {
  RS_TXNR = 0, /* reading TXNR's digits (between frames when nDigit 0) */
  RS_CMD,      /* reading the command */
  RS_LEN,      /* reading DATALEN's digits */
  RS_DATA,     /* reading DATALEN bytes */
  RS_TRAILER,  /* expecting the LF */
  RS_ZERO_SP,  /* DATALEN 0 followed by a space: expecting the LF */
  RS_BAD       /* malformed: stopped for good */
};

#define RS_MAX_DIGITS 9 /* TXNR and DATALEN stay below 10^9 */

void relp_parser_init(RelpParser *p, size_t nMax) {
  memset(p, 0, sizeof(*p));
  p->a = xmalloc(nMax ? nMax : 1);
  p->nMax = nMax;
  p->state = RS_TXNR;
}

void relp_parser_free(RelpParser *p) {
  free(p->a);
  p->a = NULL;
}

int relp_parser_partial(const RelpParser *p) {
  return p->state != RS_BAD && (p->state != RS_TXNR || p->nDigit > 0);
}

static int bad(RelpParser *p, const char *zWhy) {
  p->state = RS_BAD;
  p->zErr = zWhy;
  return RELP_BAD;
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* The frame is whole: hand it over and get ready for the next one. */
static int frame_done(RelpParser *p, RelpFrameFn xFrame, void *pArg) {
  RelpFrame f = {.txnr = p->txnr, .zCmd = p->zCmd, .z = p->a, .n = p->n};
  int rc = xFrame(pArg, &f);
  p->state = RS_TXNR;
  p->txnr = 0;
  p->nDigit = 0;
  p->nCmd = 0;
  p->zCmd[0] = 0;
  p->n = 0;
  p->nData = 0;
  return rc;
}

int relp_parser_feed(RelpParser *p, const char *z, size_t n, RelpFrameFn xFrame,
                     void *pArg, size_t *pnUsed) {
  size_t i = 0;
  int rc = 0;
  while (i < n && rc == 0) {
    char c = z[i];
    switch (p->state) {
    case RS_TXNR:
      i++;
      if (is_digit(c) && p->nDigit < RS_MAX_DIGITS) {
        p->txnr = p->txnr * 10 + (uint32_t)(c - '0');
        p->nDigit++;
      } else if (c == ' ' && p->nDigit > 0 && p->txnr > 0) {
        p->state = RS_CMD;
      } else {
        p->txnr = 0; /* not a number we could answer to */
        rc = bad(p, "a malformed transaction number");
      }
      break;
    case RS_CMD:
      i++;
      if (((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_') &&
          p->nCmd < RELP_MAX_CMD) {
        p->zCmd[p->nCmd++] = c;
        p->zCmd[p->nCmd] = 0;
      } else if (c == ' ' && p->nCmd > 0) {
        p->state = RS_LEN;
        p->nDigit = 0;
      } else {
        rc = bad(p, "a malformed command");
      }
      break;
    case RS_LEN:
      i++;
      if (is_digit(c) && p->nDigit < RS_MAX_DIGITS) {
        p->nData = p->nData * 10 + (size_t)(c - '0');
        p->nDigit++;
      } else if (p->nDigit == 0) {
        rc = bad(p, "a malformed data length");
      } else if (c == '\n' && p->nData == 0) {
        rc = frame_done(p, xFrame, pArg);
      } else if (c == ' ' && p->nData == 0) {
        p->state = RS_ZERO_SP;
      } else if (c == ' ' && p->nData > p->nMax) {
        rc = bad(p, "a frame over the size cap");
      } else if (c == ' ') {
        p->state = RS_DATA;
      } else {
        rc = bad(p, "a malformed data length");
      }
      break;
    case RS_DATA: {
      size_t nTake = n - i < p->nData - p->n ? n - i : p->nData - p->n;
      memcpy(p->a + p->n, z + i, nTake);
      p->n += nTake;
      i += nTake;
      if (p->n == p->nData) {
        p->state = RS_TRAILER;
      }
      break;
    }
    case RS_TRAILER:
    case RS_ZERO_SP:
      i++;
      if (c == '\n') {
        rc = frame_done(p, xFrame, pArg);
      } else {
        rc = bad(p, "a frame without its LF trailer");
      }
      break;
    default: /* RS_BAD */
      rc = RELP_BAD;
      break;
    }
  }
  if (p->state == RS_BAD) {
    rc = RELP_BAD;
  }
  if (pnUsed) {
    *pnUsed = i;
  }
  return rc;
}

void relp_rsp(Buf *pOut, uint32_t txnr, const char *zText) {
  size_t n = strlen(zText);
  buf_printf(pOut, "%u rsp %zu", (unsigned)txnr, n);
  if (n > 0) {
    buf_putc(pOut, ' ');
    buf_append(pOut, zText, n);
  }
  buf_putc(pOut, '\n');
}
