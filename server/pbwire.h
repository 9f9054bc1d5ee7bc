/*
** pbwire.h: a small bounded reader of the protobuf wire format, enough for
** the messages the streaming doors take (Loki's PushRequest, OTLP's
** ExportLogsServiceRequest). It walks one message's fields; a nested
** message is read with a new reader over its bytes, and the caller bounds
** the depth. Every length is checked against the end of the buffer.
**
** Pure; header-only (static inline). Threading: a PbReader belongs to one
** thread.
*/
#ifndef HS_PBWIRE_H
#define HS_PBWIRE_H

#include <stddef.h>
#include <stdint.h>

typedef struct PbReader {
  const uint8_t *p;   /* next byte */
  const uint8_t *end; /* one past the last byte */
} PbReader;

typedef struct PbField {
  uint32_t num;     /* field number */
  int wire;         /* 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32 */
  uint64_t v;       /* the value for wire types 0, 1 and 5 */
  const uint8_t *z; /* the bytes for wire type 2, BORROWED */
  size_t n;         /* their length */
} PbField;

static inline void pb_init(PbReader *r, const void *p, size_t n) {
  r->p = p;
  r->end = r->p + n;
}

static inline int pb_varint(PbReader *r, uint64_t *pV) {
  uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (r->p >= r->end) {
      return -1;
    }
    uint8_t b = *r->p++;
    v |= (uint64_t)(b & 0x7F) << shift;
    if (!(b & 0x80)) {
      *pV = v;
      return 0;
    }
  }
  return -1;
}

/* The next field: 1, 0 at the end of the message, -1 when malformed
** (truncated, a group, an unknown wire type, field number 0). */
static inline int pb_next(PbReader *r, PbField *f) {
  if (r->p == r->end) {
    return 0;
  }
  uint64_t key;
  if (pb_varint(r, &key) || (key >> 3) == 0 || (key >> 3) > 0x1FFFFFFF) {
    return -1;
  }
  f->num = (uint32_t)(key >> 3);
  f->wire = (int)(key & 7);
  f->z = NULL;
  f->n = 0;
  f->v = 0;
  switch (f->wire) {
  case 0:
    return pb_varint(r, &f->v) ? -1 : 1;
  case 1:
  case 5: {
    size_t n = f->wire == 1 ? 8 : 4;
    if ((size_t)(r->end - r->p) < n) {
      return -1;
    }
    for (size_t i = 0; i < n; i++) {
      f->v |= (uint64_t)r->p[i] << (8 * i);
    }
    r->p += n;
    return 1;
  }
  case 2: {
    uint64_t n;
    if (pb_varint(r, &n) || n > (uint64_t)(r->end - r->p)) {
      return -1;
    }
    f->z = r->p;
    f->n = (size_t)n;
    r->p += n;
    return 1;
  }
  default:
    return -1;
  }
}

#endif
