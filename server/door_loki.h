/*
** door_loki.h: decoding Loki push requests (POST /loki/api/v1/push), in
** JSON ({"streams":[{"stream":{labels},"values":[["<ns>","line"],...]}]})
** and in protobuf (logproto.PushRequest, snappy block-compressed, as
** Promtail, Alloy and winston-loki send it). The handler is in
** door_http.c.
**
** Pure: bytes in, DoorLine callbacks out; bounded by the input (a line is
** at most INGEST_MAX_LINE bytes, a decompressed body LOKI_MAX_RAW).
** Threading: none.
*/
#ifndef HS_DOOR_LOKI_H
#define HS_DOOR_LOKI_H

#include <stddef.h>

#include "door_labels.h"

#define LOKI_MAX_RAW ((size_t)64 << 20) /* bytes of a decompressed body */

/* Each returns 0; E_INVALID with a reason in zErr (nErr bytes) for a
** malformed body (no line after the bad one is handed over); E_TOOBIG
** when the snappy body would decompress past LOKI_MAX_RAW; or the first
** nonzero value xEmit returned. */
int loki_decode_json(const char *z, size_t n, DoorEmit xEmit, void *pArg,
                     char *zErr, size_t nErr);
int loki_decode_proto(const void *p, size_t n, DoorEmit xEmit, void *pArg,
                      char *zErr, size_t nErr);
/* Decompresses a snappy block, then loki_decode_proto(). */
int loki_decode_snappy(const void *p, size_t n, DoorEmit xEmit, void *pArg,
                       char *zErr, size_t nErr);

/* Parses a Prometheus label set such as {job="api", level="error"} into
** pMeta. 0 or E_INVALID. */
int loki_parse_labels(const char *z, size_t n, DoorMeta *pMeta);

#endif
