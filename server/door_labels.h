/*
** door_labels.h: the one mapping from a streaming door's labels (Loki
** stream labels, OTLP resource and log attributes, syslog fields) to our
** event fields: source, component and level; and the shape every door's
** decoder hands its lines over in.
**
** Keys, first match wins (README "Streaming doors"):
**   source:    service.name service_name job app application container
**              container_name k8s.container.name host.name hostname host
**   component: component service service.name service_name job app
**   level:     level severity detected_level log.level loglevel lvl
**
** Pure: no database, no I/O. Threading: a DoorMeta belongs to one thread.
*/
#ifndef HS_DOOR_LABELS_H
#define HS_DOOR_LABELS_H

#include <stddef.h>
#include <stdint.h>

#define DOOR_MAX_VALUE 200 /* bytes kept of a label value */

typedef struct DoorMeta {
  char zSource[DOOR_MAX_VALUE + 1];    /* "" when no key gave one */
  char zComponent[DOOR_MAX_VALUE + 1]; /* "" when no key gave one */
  const char *zLevel; /* static level word, or NULL when unknown */
  int rankSource;     /* rank of the key that set zSource (lower wins) */
  int rankComponent;  /* same for zComponent */
  int rankLevel;      /* same for zLevel */
} DoorMeta;

/* One line a decoder hands over; every pointer BORROWED until the
** callback returns. */
typedef struct DoorLine {
  int64_t tsMs;          /* UTC ms, or INT64_MIN when the sender gave none */
  const char *z;         /* the text (valid UTF-8, not NUL-terminated) */
  size_t n;              /* its length */
  const DoorMeta *pMeta; /* source, component, level */
  const char *zReject;   /* non-NULL: this record is refused for this
                            reason (OTLP partial success); z is unset */
} DoorLine;

/* Called for each decoded line; nonzero stops the decoder. */
typedef int (*DoorEmit)(void *pArg, const DoorLine *pLine);

/* Empties p (no source, component or level). */
void door_meta_init(DoorMeta *p);

/* Applies one label zKey=zVal (lengths nKey, nVal; not NUL-terminated).
** Keys outside the lists above are ignored; a value over DOOR_MAX_VALUE
** is cut at a character boundary. The caller has checked UTF-8. */
void door_meta_label(DoorMeta *p, const char *zKey, size_t nKey,
                     const char *zVal, size_t nVal);

/* Sets the level from an explicit severity (it outranks every label):
** OTLP severity_number 1..24 (0: none), or a word such as "WARN". */
void door_meta_severity_number(DoorMeta *p, int64_t iNumber);
void door_meta_severity_text(DoorMeta *p, const char *z, size_t n);

/* Nanoseconds since the epoch to UTC ms; 0 (unset) gives INT64_MIN. */
int64_t door_ns_to_ms(uint64_t ns);

/* Parses a decimal string of nanoseconds (Loki, OTLP JSON) into *pNs.
** 0 or -1 if it is not 1..20 digits that fit in 64 bits. */
int door_parse_ns(const char *z, size_t n, uint64_t *pNs);

#endif
