/*
** mirror.h: `serve --mirror DIR`: keeps a static copy of the public status
** site in DIR, rewritten on every public change, so a web server (or a
** sync job to another host) keeps answering with the last state when
** Hindsight or its host is down.
**
** DIR is a symbolic link that Hindsight owns: each copy is built whole in
** a sibling directory DIR.site-<n> and the link is then swapped with one
** rename(), so a reader sees the old site or the new one, never half of
** one. The previous copy is removed after the swap.
**
** Threading: one named worker ("hs-mirror", worker.c) with its own
** database connection; mirror_start() and mirror_stop() from main.
*/
#ifndef HS_MIRROR_H
#define HS_MIRROR_H

/* Checks zDir (absent, or a symbolic link: anything else is refused so a
** real directory is never replaced), writes the first copy, then starts
** the worker. 0, E_INVALID (zDir unusable, with a message on stderr) or
** E_IO. zDir is BORROWED for the life of the process. */
int mirror_start(const char *zDir);

/* Stops the worker (a copy in progress finishes first). Safe if
** mirror_start() was not called or failed. */
void mirror_stop(void);

#endif
