/*
** hash.c: see hash.h.
*/
#include "hash.h"

#include <string.h>

uint64_t hash64(const char *z, size_t n, uint64_t seed) {
  uint64_t h = 0x9e3779b97f4a7c15ULL ^ seed ^ (n * 0xff51afd7ed558ccdULL);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    memcpy(&w, z + i, 8);
    h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 29;
  }
  uint64_t w = 0;
  memcpy(&w, z + i, n - i);
  h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 32;
  return h;
}
