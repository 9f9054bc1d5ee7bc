/*
** arena.h: aborting allocators and the per-request arena.
**
** An Arena hands out memory that lives until arena_free(); nothing is freed
** one piece at a time. One Arena belongs to one request (one thread).
*/
#ifndef HS_ARENA_H
#define HS_ARENA_H

#include <stddef.h>

/* Allocators that abort on OOM: user-controlled sizes are always capped,
** so running out of memory means a bug. NEW: free with free(). */
void *xmalloc(size_t n);
void *xcalloc(size_t nMemb, size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *z);
char *xstrndup(const char *z, size_t n);

typedef struct ArenaChunk ArenaChunk;
typedef struct Arena {
  ArenaChunk *pHead; /* newest chunk first; NULL when empty */
} Arena;

/* Returns n bytes aligned for any type, zeroed. BORROWED until arena_free. */
void *arena_alloc(Arena *p, size_t n);
/* Copies z (or its first n bytes) NUL-terminated. BORROWED until arena_free.
** A NULL z gives NULL. */
char *arena_strdup(Arena *p, const char *z);
char *arena_strndup(Arena *p, const char *z, size_t n);
/* Releases every allocation; the arena can be reused afterwards. */
void arena_free(Arena *p);
/* Releases every allocation but keeps one chunk for the next use: for
** loops that fill and empty an arena per item (ingest, per line). Still
** needs arena_free() at the end. */
void arena_reset(Arena *p);

#endif
