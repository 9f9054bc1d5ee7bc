/*
** lastgood.c: last good public renders kept on disk (lastgood.h).
**
** Files rather than a table: a row written on each new render would bump
** the data version that makes the cached page stale, and a render must
** not need the write lock. The hash of what is on disk is kept in memory,
** so an unchanged page is not written again (renders happen at least once
** a minute).
*/
#include "lastgood.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arena.h"
#include "db.h"
#include "sha256.h"

#define LG_MAX_BYTES ((size_t)16 << 20) /* a render's budget (http.c) */

/* The kept pages: their path, file and type (status.c's for that path). */
static const struct {
  const char *zPath;
  const char *zFile;
  const char *zType;
} aKeep[] = {
    {"/", "index.html", "text/html; charset=utf-8"},
    {"/api/v2/summary.json", "summary.json", "application/json; charset=utf-8"},
};
#define N_KEEP ((int)(sizeof(aKeep) / sizeof(aKeep[0])))

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER; /* guards below */
static uint8_t aaHash[N_KEEP][32]; /* hash of the file's body */
static int abHave[N_KEEP];         /* aaHash[i] is set */
static atomic_int bWarned;         /* a write failure was logged */

static int keep_index(const char *zPath) {
  for (int i = 0; i < N_KEEP; i++) {
    if (strcmp(aKeep[i].zPath, zPath) == 0) {
      return i;
    }
  }
  return -1;
}

/* "<db>.lastgood" or "<db>.lastgood/<file><zSuffix>". NEW, or NULL when
** there is no database path. */
static char *keep_name(int i, const char *zSuffix) {
  const char *zDb = db_local_name();
  if (!zDb || !*zDb) {
    return NULL;
  }
  size_t n = strlen(zDb) + 64;
  char *z = xmalloc(n);
  if (i < 0) {
    snprintf(z, n, "%s.lastgood", zDb);
  } else {
    snprintf(z, n, "%s.lastgood/%s%s", zDb, aKeep[i].zFile, zSuffix);
  }
  return z;
}

/* Writes z[0..n) to zTmp, syncs it and renames it to zName. 0 or errno. */
static int write_atomic(const char *zTmp, const char *zName, const char *z,
                        size_t n) {
  int fd = open(zTmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    return errno;
  }
  int err = 0;
  for (size_t k = 0; k < n && !err;) {
    ssize_t m = write(fd, z + k, n - k);
    if (m < 0 && errno != EINTR) {
      err = errno;
    } else if (m > 0) {
      k += (size_t)m;
    }
  }
  if (!err && fsync(fd) != 0) {
    err = errno;
  }
  if (close(fd) != 0 && !err) {
    err = errno;
  }
  if (!err && rename(zTmp, zName) != 0) {
    err = errno;
  }
  if (err) {
    unlink(zTmp);
  }
  return err;
}

void lastgood_save(const char *zPath, const char *z, size_t n) {
  int i = keep_index(zPath);
  if (i < 0 || db_read_only() || n > LG_MAX_BYTES) {
    return;
  }
  uint8_t aHash[32];
  sha256(z, n, aHash);
  pthread_mutex_lock(&mu);
  if (abHave[i] && memcmp(aaHash[i], aHash, 32) == 0) {
    pthread_mutex_unlock(&mu);
    return;
  }
  char *zDir = keep_name(-1, "");
  char *zName = keep_name(i, "");
  char *zTmp = keep_name(i, ".tmp");
  int err = 0;
  if (!zDir) {
    err = ENOENT;
  } else if (mkdir(zDir, 0700) != 0 && errno != EEXIST) {
    err = errno;
  } else {
    err = write_atomic(zTmp, zName, z, n);
  }
  if (!err) {
    memcpy(aaHash[i], aHash, 32);
    abHave[i] = 1;
  } else if (!atomic_exchange(&bWarned, 1)) {
    fprintf(stderr,
            "hindsight: cannot keep the last good render of %s in %s: %s"
            " (logged once)\n",
            zPath, zName ? zName : "(no database path)", strerror(err));
  }
  pthread_mutex_unlock(&mu);
  free(zDir);
  free(zName);
  free(zTmp);
}

/* The whole of file zName, NEW, or NULL (missing, unreadable, too big). */
static char *read_all(const char *zName, size_t *pn) {
  FILE *f = fopen(zName, "rb");
  if (!f) {
    return NULL;
  }
  size_t nAlloc = 65536, n = 0;
  char *z = xmalloc(nAlloc);
  size_t m;
  while ((m = fread(z + n, 1, nAlloc - n, f)) > 0) {
    n += m;
    if (n == nAlloc) {
      if (nAlloc > LG_MAX_BYTES) {
        break;
      }
      nAlloc *= 2;
      z = xrealloc(z, nAlloc);
    }
  }
  int bBad = ferror(f) || n > LG_MAX_BYTES;
  fclose(f);
  if (bBad) {
    free(z);
    return NULL;
  }
  *pn = n;
  return z;
}

void lastgood_load(LastGoodEach xEach) {
  for (int i = 0; i < N_KEEP; i++) {
    char *zName = keep_name(i, "");
    size_t n = 0;
    char *z = zName ? read_all(zName, &n) : NULL;
    free(zName);
    if (!z || n == 0) {
      free(z);
      continue;
    }
    pthread_mutex_lock(&mu);
    sha256(z, n, aaHash[i]);
    abHave[i] = 1;
    pthread_mutex_unlock(&mu);
    xEach(aKeep[i].zPath, aKeep[i].zType, z, n);
  }
}
