/*
** syslog_frame.h: splitting a syslog TCP stream into messages (RFC 6587).
** Each frame is detected on its own: one that starts with a digit is
** octet-counted ("MSG-LEN SP MSG"), any other is newline-terminated (LF;
** a NUL also ends one, as some senders use it). A frame over the cap, or
** an octet count that is not a number, is reported through xBad and
** skipped, and the stream goes on with the next frame.
**
** Pure: bytes in, callbacks out; memory is one buffer of nMax bytes.
** Threading: a SyslogFramer belongs to one thread.
*/
#ifndef HS_SYSLOG_FRAME_H
#define HS_SYSLOG_FRAME_H

#include <stddef.h>

typedef struct SyslogFramer {
  char *a;       /* NEW: the frame being gathered (nMax bytes) */
  size_t n;      /* bytes of it so far */
  size_t nMax;   /* the frame cap */
  int state;     /* FR_* in syslog_frame.c */
  size_t nCount; /* octet counting: the announced length */
  size_t nDigit; /* digits read of the count */
} SyslogFramer;

/* A complete frame (z[n] is not NUL); nonzero stops the feed. */
typedef int (*SyslogFrameFn)(void *pArg, const char *z, size_t n);
/* A frame that was dropped, with why. */
typedef void (*SyslogBadFn)(void *pArg, const char *zReason);

void syslog_framer_init(SyslogFramer *p, size_t nMax);
/* Feeds n bytes. 0, or what xFrame returned when it stopped (the bytes
** after that frame are then unread: *pnUsed says how many were used). */
int syslog_framer_feed(SyslogFramer *p, const char *z, size_t n,
                       SyslogFrameFn xFrame, SyslogBadFn xBad, void *pArg,
                       size_t *pnUsed);
/* The stream ended: a partial newline frame is handed over, a partial
** octet-counted one is reported as truncated. */
void syslog_framer_end(SyslogFramer *p, SyslogFrameFn xFrame, SyslogBadFn xBad,
                       void *pArg);
void syslog_framer_free(SyslogFramer *p);

#endif
