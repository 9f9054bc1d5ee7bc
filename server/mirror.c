/*
** mirror.c: the continuously updated static mirror (see mirror.h).
**
** A round runs when the data version moved (a commit: a status post, a
** component change, a maintenance move) or a minute passed (today's
** uptime bar and the day list move with the clock), at most once a
** second. Rendering uses status.c's renderers with served links, so the
** mirror's files are the bytes Hindsight itself answers for the same data.
**
** Shared state: none beyond `mirror` (the Worker and the paths), owned by
** main until the worker starts and by the worker afterwards.
*/
#include "mirror.h"

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db.h"
#include "err.h"
#include "maintenance.h"
#include "status.h"
#include "utc.h"
#include "worker.h"

#define MIRROR_POLL_MS 1000   /* how often a change is looked for */
#define MIRROR_MAX_AGE 60000  /* a copy is rewritten at least this often */

static struct Mirror {
  Worker worker;           /* the named worker */
  const char *zDir;        /* BORROWED: the link the web server serves */
  char zOld[PATH_MAX];     /* the copy the link points at, or "" */
  unsigned long nBuild;    /* copies built, for unique names */
} mirror = {.worker = WORKER_INIT};

static int rm_one(const char *zPath, const struct stat *pSt, int flag,
                  struct FTW *pFtw) {
  (void)pSt;
  (void)flag;
  (void)pFtw;
  return remove(zPath) == 0 || errno == ENOENT ? 0 : -1;
}

/* Removes a copy directory built by us (name checked by the caller). */
static void rm_tree(const char *zPath) {
  nftw(zPath, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Whether zPath is one of our copies: "<dir>.site-" followed by digits
** and dashes, so a bad link target can never make us delete elsewhere. */
static int is_our_copy(const char *zPath) {
  size_t n = strlen(mirror.zDir);
  return strncmp(zPath, mirror.zDir, n) == 0 &&
         strncmp(zPath + n, ".site-", 6) == 0 && zPath[n + 6] &&
         strspn(zPath + n + 6, "0123456789-") == strlen(zPath + n + 6);
}

/* Builds one copy and swaps the link to it. 0 or an error (the old copy
** stays in place). */
static int mirror_round(int64_t now) {
  char zBuild[PATH_MAX], zLink[PATH_MAX];
  mirror.nBuild++;
  snprintf(zBuild, sizeof(zBuild), "%s.site-%lld-%lu", mirror.zDir,
           (long long)now, mirror.nBuild);
  snprintf(zLink, sizeof(zLink), "%s.link-%lu", mirror.zDir, mirror.nBuild);
  if (mkdir(zBuild, 0755)) {
    fprintf(stderr, "hindsight: mirror: cannot create %s: %s\n", zBuild,
            strerror(errno));
    return E_IO;
  }
  int rc = status_write_site(zBuild, 1, now);
  if (rc) {
    rm_tree(zBuild);
    return rc;
  }
  /* The link's target is relative, so DIR and its copies can move
  ** together (a bind mount, a container volume). */
  const char *zBase = strrchr(zBuild, '/');
  zBase = zBase ? zBase + 1 : zBuild;
  unlink(zLink);
  if (symlink(zBase, zLink) || rename(zLink, mirror.zDir)) {
    fprintf(stderr, "hindsight: mirror: cannot swap %s: %s\n", mirror.zDir,
            strerror(errno));
    unlink(zLink);
    rm_tree(zBuild);
    return E_IO;
  }
  if (mirror.zOld[0] && is_our_copy(mirror.zOld)) {
    rm_tree(mirror.zOld);
  }
  snprintf(mirror.zOld, sizeof(mirror.zOld), "%s", zBuild);
  return 0;
}

static void mirror_main(void *pArg) {
  (void)pArg;
  pthread_setname_np(pthread_self(), "hs-mirror");
  uint64_t version = db_data_version();
  int64_t tLast = utc_now_ms();
  while (!worker_wait(&mirror.worker, MIRROR_POLL_MS)) {
    int64_t now = utc_now_ms();
    if (!db_lead(DB_JOB_MIRROR)) {
      continue; /* another node writes the mirror */
    }
    /* Due maintenance moves first: they are public changes too. */
    maintenance_tick(now, NULL);
    uint64_t v = db_data_version();
    if (v == version && now - tLast < MIRROR_MAX_AGE) {
      continue;
    }
    /* Read the version before rendering: a commit during the round
    ** makes the next round run again. */
    if (mirror_round(now) == 0) {
      version = v;
      tLast = now;
    }
  }
  db_close_thread();
}

int mirror_start(const char *zDir) {
  struct stat st;
  mirror.zDir = zDir;
  size_t n = strlen(zDir);
  if (n == 0 || n > PATH_MAX - 64 || zDir[n - 1] == '/') {
    fprintf(stderr, "hindsight: --mirror needs a path without a trailing"
                    " slash\n");
    return E_INVALID;
  }
  if (lstat(zDir, &st) == 0) {
    if (!S_ISLNK(st.st_mode)) {
      fprintf(stderr, "hindsight: --mirror %s exists and is not a symbolic"
                      " link; give a new path (Hindsight makes the link)\n",
              zDir);
      return E_INVALID;
    }
    /* Remember the copy it points at, to remove after the first swap. */
    char zTarget[PATH_MAX];
    ssize_t k = readlink(zDir, zTarget, sizeof(zTarget) - 1);
    if (k > 0) {
      zTarget[k] = 0;
      const char *zSlash = strrchr(zDir, '/');
      int nOut = snprintf(mirror.zOld, sizeof(mirror.zOld), "%.*s%s",
                          zSlash ? (int)(zSlash - zDir + 1) : 0, zDir,
                          zTarget);
      if (nOut < 0 || (size_t)nOut >= sizeof(mirror.zOld)) {
        mirror.zOld[0] = 0; /* too long to be ours */
      }
    }
  } else if (errno != ENOENT) {
    fprintf(stderr, "hindsight: --mirror %s: %s\n", zDir, strerror(errno));
    return E_INVALID;
  }
  int64_t now = utc_now_ms();
  maintenance_tick(now, NULL);
  int rc = mirror_round(now);
  if (rc) {
    fprintf(stderr, "hindsight: --mirror: the first copy failed\n");
    return rc == E_INVALID ? E_INVALID : E_IO;
  }
  if (worker_start(&mirror.worker, mirror_main, NULL)) {
    fprintf(stderr, "hindsight: cannot start the mirror worker\n");
    return E_IO;
  }
  return 0;
}

void mirror_stop(void) { worker_stop(&mirror.worker); }
