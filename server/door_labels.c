/*
** door_labels.c: labels to source, component and level, the same for
** every door (see door_labels.h for the key lists and why one place).
**
** Threading: pure; no shared state.
*/
#include "door_labels.h"

#include <string.h>

#include "ingest_formats.h"

static const char *const azSourceKey[] = {"service.name",
                                          "service_name",
                                          "job",
                                          "app",
                                          "application",
                                          "container",
                                          "container_name",
                                          "k8s.container.name",
                                          "host.name",
                                          "hostname",
                                          "host",
                                          NULL};
static const char *const azComponentKey[] = {
    "component", "service", "service.name", "service_name", "job", "app", NULL};
static const char *const azLevelKey[] = {
    "level", "severity", "detected_level", "log.level", "loglevel",
    "lvl",   NULL};

#define RANK_NONE 1000
#define RANK_SEVERITY (-1) /* an explicit severity beats any label */

void door_meta_init(DoorMeta *p) {
  p->zSource[0] = 0;
  p->zComponent[0] = 0;
  p->zLevel = NULL;
  p->rankSource = RANK_NONE;
  p->rankComponent = RANK_NONE;
  p->rankLevel = RANK_NONE;
}

/* Rank of zKey in az, or -1. */
static int key_rank(const char *const *az, const char *zKey, size_t nKey) {
  for (int i = 0; az[i]; i++) {
    if (strlen(az[i]) == nKey && memcmp(az[i], zKey, nKey) == 0) {
      return i;
    }
  }
  return -1;
}

/* Copies at most DOOR_MAX_VALUE bytes, not splitting a UTF-8 character. */
static void copy_value(char *zOut, const char *z, size_t n) {
  if (n > DOOR_MAX_VALUE) {
    n = DOOR_MAX_VALUE;
    while (n > 0 && ((unsigned char)z[n] & 0xC0) == 0x80) {
      n--;
    }
  }
  memcpy(zOut, z, n);
  zOut[n] = 0;
}

void door_meta_label(DoorMeta *p, const char *zKey, size_t nKey,
                     const char *zVal, size_t nVal) {
  if (nVal == 0) {
    return;
  }
  int i = key_rank(azSourceKey, zKey, nKey);
  if (i >= 0 && i < p->rankSource) {
    copy_value(p->zSource, zVal, nVal);
    p->rankSource = i;
  }
  i = key_rank(azComponentKey, zKey, nKey);
  if (i >= 0 && i < p->rankComponent) {
    copy_value(p->zComponent, zVal, nVal);
    p->rankComponent = i;
  }
  i = key_rank(azLevelKey, zKey, nKey);
  if (i >= 0 && i < p->rankLevel) {
    char zWord[24];
    copy_value(zWord, zVal, nVal < sizeof(zWord) ? nVal : sizeof(zWord) - 1);
    const char *zLevel = ingest_level(zWord, NULL);
    if (zLevel) {
      p->zLevel = zLevel;
      p->rankLevel = i;
    }
  }
}

void door_meta_severity_number(DoorMeta *p, int64_t iNumber) {
  /* OTLP: 1-4 trace, 5-8 debug, 9-12 info, 13-16 warn, 17-20 error,
  ** 21-24 fatal. */
  static const char *const azLevel[] = {"debug",   "debug", "info",
                                        "warning", "error", "critical"};
  if (iNumber < 1 || iNumber > 24) {
    return;
  }
  p->zLevel = azLevel[(iNumber - 1) / 4];
  p->rankLevel = RANK_SEVERITY;
}

void door_meta_severity_text(DoorMeta *p, const char *z, size_t n) {
  if (n == 0 || p->rankLevel == RANK_SEVERITY) {
    return; /* severity_number, when given, is the precise one */
  }
  char zWord[24];
  n = n < sizeof(zWord) ? n : sizeof(zWord) - 1;
  memcpy(zWord, z, n);
  zWord[n] = 0;
  const char *zLevel = ingest_level(zWord, NULL);
  if (zLevel) {
    p->zLevel = zLevel;
    p->rankLevel = RANK_SEVERITY;
  }
}

int64_t door_ns_to_ms(uint64_t ns) {
  if (ns == 0) {
    return INT64_MIN;
  }
  return (int64_t)(ns / 1000000u);
}

int door_parse_ns(const char *z, size_t n, uint64_t *pNs) {
  uint64_t v = 0;
  if (n == 0 || n > 20) {
    return -1;
  }
  for (size_t i = 0; i < n; i++) {
    if (z[i] < '0' || z[i] > '9') {
      return -1;
    }
    unsigned d = (unsigned)(z[i] - '0');
    if (v > (UINT64_MAX - d) / 10) {
      return -1;
    }
    v = v * 10 + d;
  }
  *pNs = v;
  return 0;
}
