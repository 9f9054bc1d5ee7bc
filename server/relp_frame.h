/*
** relp_frame.h: RELP framing (librelp's protocol, as rsyslog's omrelp
** speaks it): "TXNR SP COMMAND SP DATALEN [SP DATA] LF". TXNR is 1-9
** digits, COMMAND 1-32 letters (and '_'), DATALEN 1-9 digits; DATA is
** DATALEN bytes (absent when DATALEN is 0; a space before the LF is then
** tolerated). Frames are split out of a byte stream; a malformed frame
** stops the parser for good (RELP has no way to find the next frame), and
** the caller answers and closes the connection. Also formats the answers
** ("TXNR rsp DATALEN SP DATA LF").
**
** Pure: bytes in, frames out; memory is one buffer of nMax bytes.
** Threading: a RelpParser belongs to one thread.
*/
#ifndef HS_RELP_FRAME_H
#define HS_RELP_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define RELP_MAX_CMD 32 /* letters of a command */
#define RELP_BAD (-1)   /* relp_parser_feed: malformed framing */

typedef struct RelpFrame {
  uint32_t txnr;    /* the transaction number */
  const char *zCmd; /* the command, NUL-terminated (BORROWED) */
  const char *z;    /* DATA (not NUL-terminated; BORROWED) */
  size_t n;         /* bytes of DATA */
} RelpFrame;

typedef struct RelpParser {
  char *a;                     /* NEW: DATA being gathered (nMax bytes) */
  size_t n;                    /* bytes of it so far */
  size_t nMax;                 /* the DATALEN cap */
  int state;                   /* RS_* in relp_frame.c */
  uint32_t txnr;               /* this frame's TXNR (0: not read yet) */
  int nDigit;                  /* digits read of TXNR or DATALEN */
  char zCmd[RELP_MAX_CMD + 1]; /* the command so far */
  int nCmd;                    /* its letters */
  size_t nData;                /* the announced DATALEN */
  const char *zErr;            /* why the stream is malformed, or NULL */
} RelpParser;

/* A complete frame, BORROWED until the next feed; nonzero stops the feed. */
typedef int (*RelpFrameFn)(void *pArg, const RelpFrame *pFrame);

void relp_parser_init(RelpParser *p, size_t nMax);
void relp_parser_free(RelpParser *p);

/* Feeds n bytes. Returns 0 (all used), what xFrame returned when it
** stopped the feed (*pnUsed, when not NULL, says how many bytes were
** used), or RELP_BAD: the framing is malformed, p->zErr says why (static
** text) and p->txnr is the broken frame's TXNR if it was read (else 0);
** every later feed returns RELP_BAD too. */
int relp_parser_feed(RelpParser *p, const char *z, size_t n, RelpFrameFn xFrame,
                     void *pArg, size_t *pnUsed);

/* 1 if a frame has begun and not ended (the stream ended inside it). */
int relp_parser_partial(const RelpParser *p);

/* Appends "TXNR rsp LEN SP zText LF" to pOut (zText NUL-terminated, may
** hold LFs, as the open command's offers do). */
void relp_rsp(Buf *pOut, uint32_t txnr, const char *zText);

#endif
