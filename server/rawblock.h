/*
** rawblock.h: the payload of one raw-line block (rawstore.c), encoded and
** decoded. Pure: bytes in, bytes out, no database; fuzzed by
** tests/fuzz/fuzz_rawblock.c.
**
** Payload format 1 (the raw_blocks.codec column says 1): one zstd frame
** whose content size is in its header and whose content is
**   "HSRB" 0x01                 magic and format version
**   varint nLine                1 .. RAWBLOCK_MAX_LINES
**   nLine varints               ts deltas, zigzag: first from the block's
**                               ts_min column, then from the previous line
**   nLine bytes                 flags: bit 0 an error line; others zero
**   8 bytes LE per error line   its message group (0: none)
**   nLine varints               text lengths
**   the texts, each followed by '\n'
** Lines are in (ts, arrival) order. The texts come last and newline-ended
** so the frame compresses like the log itself. Every length and count is
** checked against what remains; a payload that does not add up exactly
** is refused (E_DB), never read past.
**
** Threading: a RawBlock belongs to one thread; the functions keep no state.
*/
#ifndef HS_RAWBLOCK_H
#define HS_RAWBLOCK_H

#include <stddef.h>
#include <stdint.h>

#define RAWBLOCK_MAX_LINES 65536
/* Largest decoded content accepted (a block is sealed near 256 KiB; one
** long line may make a block bigger, up to this). */
#define RAWBLOCK_MAX_RAW ((size_t)16 << 20)

typedef struct RawBlockLine {
  int64_t ts;       /* UTC ms */
  uint64_t grp;     /* message group, 0 if none */
  size_t off;       /* text offset in the block's text */
  uint32_t n;       /* text length */
  uint8_t bBad;     /* an error line */
} RawBlockLine;

/* A decoded block, reused across decodes (its buffers only grow). */
typedef struct RawBlock {
  char *zRaw;            /* decoded content; texts point into it */
  size_t nRaw;           /* bytes of content */
  size_t nRawAlloc;      /* bytes allocated for zRaw */
  RawBlockLine *aLine;   /* the lines, (ts, arrival) order */
  int nLine;             /* how many */
  int nLineAlloc;        /* allocated entries of aLine */
  const char *zText;     /* start of the texts inside zRaw */
} RawBlock;

/* Decodes a format-1 payload of a block whose ts_min is tsMin and whose
** raw_bytes column is nRaw into p (its old content is dropped). Line i's
** text is p->zText + aLine[i].off, followed by '\n'. 0, or E_DB for
** anything that is not a well-formed block. */
int rawblock_decode(RawBlock *p, int64_t tsMin, size_t nRaw,
                    const void *pPay, size_t nPay);

/* Frees p's buffers (p itself is the caller's). */
void rawblock_free(RawBlock *p);

/* Encodes nLine lines (sorted by the caller, ts ascending, tsMin the first
** one's ts) whose texts are at zText + aLine[i].off into a zstd frame at
** level iLevel. *ppOut is NEW (free()) with *pnOut bytes; *pnRaw gets the
** content size (the raw_bytes column). zCtx is a ZSTD_CCtx reused by the
** caller (void * so this header does not need zstd.h). 0 or E_DB. */
int rawblock_encode(void *zCtx, int iLevel, const RawBlockLine *aLine,
                    int nLine, const char *zText, int64_t tsMin,
                    void **ppOut, size_t *pnOut, size_t *pnRaw);

#endif
