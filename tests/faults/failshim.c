/*
** failshim.c: an LD_PRELOAD shim that makes the N-th write or sync of a
** database file fail with EIO, for tests/http/t0043-eio.sh (THREATS.md
** item 39).
**
** Build: gcc -shared -fPIC -O1 -o build/failshim.so tests/faults/failshim.c -ldl
**
** What it does: interposes pwrite, pwrite64, write, fsync and fdatasync.
** A call is a candidate when its name is in FAILSHIM_CALLS and its file
** descriptor resolves (/proc/self/fd/N) to a path ending in one of the
** FAILSHIM_SUFFIXES. Candidates are counted only while the trigger file
** exists, so start-up and migrations run untouched and the test arms the
** shim right before the requests under test.
**
** Environment (read once, at the first interposed call):
**   FAILSHIM_TRIGGER   path of the trigger file; unset: the shim is inert
**   FAILSHIM_CALLS     comma list: pwrite,write,fsync (pwrite covers
**                      pwrite64, fsync covers fdatasync); default pwrite
**   FAILSHIM_SUFFIXES  comma list of path suffixes; default .db,.db-wal
**   FAILSHIM_MODE      once (only the N-th candidate fails) or always
**                      (the N-th and every later one fail); default once
**   FAILSHIM_ERRNO     errno to fail with; default EIO (5)
** The trigger file holds "ROUND N": the count restarts whenever ROUND
** changes, so the test can re-arm with a new N without a restart. Each
** injected failure is logged on stderr as "failshim: ...".
**
** What it does not do: fail malloc. The server aborts on OOM by design
** (STYLE.md section 4), and ASan's allocator cannot be interposed; see
** TESTING.md. Nor does it model lost writes: the data of a failed call is
** simply not written (pwrite, write) or not synced (fsync: the data is
** already in the page cache, as with a real failing disk whose error the
** kernel reports once).
**
** Threads: the server calls these from several threads. The count is an
** atomic; the configuration is read once under pthread_once.
*/
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

enum { C_PWRITE = 1, C_WRITE = 2, C_FSYNC = 4 };

typedef ssize_t (*PwriteFn)(int, const void *, size_t, off_t);
typedef ssize_t (*WriteFn)(int, const void *, size_t);
typedef int (*SyncFn)(int);

static pthread_once_t once = PTHREAD_ONCE_INIT;
static const char *zTrigger;     /* FAILSHIM_TRIGGER, or NULL: inert */
static int mCalls = C_PWRITE;    /* C_* bits of the calls that may fail */
static char zSuffixes[256] = ".db,.db-wal"; /* FAILSHIM_SUFFIXES */
static int bAlways;              /* FAILSHIM_MODE=always */
static int iErrno = EIO;         /* FAILSHIM_ERRNO */
static atomic_long iRound = -1;  /* ROUND of the trigger last seen */
static atomic_long nSeen;        /* candidates counted in this round */
static PwriteFn real_pwrite, real_pwrite64;
static WriteFn real_write;
static SyncFn real_fsync, real_fdatasync;

static void init(void) {
  real_pwrite = (PwriteFn)dlsym(RTLD_NEXT, "pwrite");
  real_pwrite64 = (PwriteFn)dlsym(RTLD_NEXT, "pwrite64");
  real_write = (WriteFn)dlsym(RTLD_NEXT, "write");
  real_fsync = (SyncFn)dlsym(RTLD_NEXT, "fsync");
  real_fdatasync = (SyncFn)dlsym(RTLD_NEXT, "fdatasync");
  zTrigger = getenv("FAILSHIM_TRIGGER");
  const char *z = getenv("FAILSHIM_CALLS");
  if (z) {
    mCalls = 0;
    while (*z) {
      size_t n = strcspn(z, ",");
      if (n == 6 && memcmp(z, "pwrite", 6) == 0) {
        mCalls |= C_PWRITE;
      } else if (n == 5 && memcmp(z, "write", 5) == 0) {
        mCalls |= C_WRITE;
      } else if (n >= 5 && memcmp(z + n - 4, "sync", 4) == 0) {
        mCalls |= C_FSYNC; /* fsync or fdatasync */
      }
      z += n + (z[n] == ',');
    }
  }
  z = getenv("FAILSHIM_SUFFIXES");
  if (z) {
    snprintf(zSuffixes, sizeof(zSuffixes), "%s", z);
  }
  z = getenv("FAILSHIM_MODE");
  bAlways = z && strcmp(z, "always") == 0;
  z = getenv("FAILSHIM_ERRNO");
  if (z && atoi(z) > 0) {
    iErrno = atoi(z);
  }
}

/* 1 when path zPath ends in one of zSuffixes. */
static int suffix_match(const char *zPath) {
  size_t nPath = strlen(zPath);
  const char *z = zSuffixes;
  while (*z) {
    size_t n = strcspn(z, ",");
    if (n > 0 && n <= nPath && memcmp(zPath + nPath - n, z, n) == 0) {
      return 1;
    }
    z += n + (z[n] == ',');
  }
  return 0;
}

/* The N of the armed trigger (restarting the count on a new ROUND), or 0
** when the trigger file does not exist. Uses open/read, which are not
** interposed, so it cannot recurse. */
static long armed_n(void) {
  int fd = open(zTrigger, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return 0;
  }
  char a[64];
  ssize_t n = read(fd, a, sizeof(a) - 1);
  close(fd);
  long round = 0, nth = 0;
  a[n > 0 ? n : 0] = 0;
  if (sscanf(a, "%ld %ld", &round, &nth) != 2 || nth < 1) {
    return 0;
  }
  long old = atomic_exchange(&iRound, round);
  if (old != round) {
    atomic_store(&nSeen, 0);
  }
  return nth;
}

/* 1 when this call (kind, name) on fd must fail; then errno is set and a
** line logged. Counting happens here, so call it once per call. */
static int should_fail(int kind, const char *zName, int fd) {
  pthread_once(&once, init);
  if (!zTrigger || !(mCalls & kind)) {
    return 0;
  }
  long nth = armed_n();
  if (nth == 0) {
    return 0;
  }
  char zLink[64], zPath[4096];
  snprintf(zLink, sizeof(zLink), "/proc/self/fd/%d", fd);
  ssize_t n = readlink(zLink, zPath, sizeof(zPath) - 1);
  if (n <= 0) {
    return 0;
  }
  zPath[n] = 0;
  if (!suffix_match(zPath)) {
    return 0;
  }
  long i = atomic_fetch_add(&nSeen, 1) + 1;
  if (i != nth && !(bAlways && i > nth)) {
    return 0;
  }
  char zMsg[4200];
  int m = snprintf(zMsg, sizeof(zMsg), "failshim: %s #%ld on %s fails\n",
                   zName, i, zPath);
  if (m > 0) {
    ssize_t w = real_write(2, zMsg, (size_t)m < sizeof(zMsg) ? (size_t)m
                                                            : sizeof(zMsg));
    (void)w;
  }
  errno = iErrno;
  return 1;
}

ssize_t pwrite(int fd, const void *p, size_t n, off_t off) {
  if (should_fail(C_PWRITE, "pwrite", fd)) {
    return -1;
  }
  return real_pwrite(fd, p, n, off);
}

ssize_t pwrite64(int fd, const void *p, size_t n, off_t off) {
  if (should_fail(C_PWRITE, "pwrite64", fd)) {
    return -1;
  }
  return real_pwrite64(fd, p, n, off);
}

ssize_t write(int fd, const void *p, size_t n) {
  if (should_fail(C_WRITE, "write", fd)) {
    return -1;
  }
  return real_write(fd, p, n);
}

int fsync(int fd) {
  if (should_fail(C_FSYNC, "fsync", fd)) {
    return -1;
  }
  return real_fsync(fd);
}

int fdatasync(int fd) {
  if (should_fail(C_FSYNC, "fdatasync", fd)) {
    return -1;
  }
  return real_fdatasync(fd);
}
