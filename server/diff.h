/*
** diff.h: a line-based diff of two texts (longest common subsequence),
** for comparing postmortem revisions. Pure; thread-safe.
*/
#ifndef HS_DIFF_H
#define HS_DIFF_H

#include <jansson.h>

/* Lines compared at most per side, after the common head and tail are
** trimmed; beyond it the middle is shown as all removed, then all added. */
#define DIFF_MAX_LINES 4000

/*
** Compares zOld and zNew line by line ("\n" separated; a trailing "\r" is
** part of the line). Returns a NEW JSON array (json_decref) of
** {"op": "same"|"del"|"add", "text": line, "old": n|null, "new": n|null},
** in reading order, with 1-based line numbers. *pnAdd and *pnDel (may be
** NULL) receive the counts. Texts must be valid UTF-8 (jansson strings).
** Allocates O(n*m) bits for the middle part, capped by DIFF_MAX_LINES.
*/
json_t *diff_lines(const char *zOld, const char *zNew, int *pnAdd, int *pnDel);

#endif
