/*
** harness.h: the tiny unit-test harness. Each CHECK prints "PASS name" or
** "FAIL name (file:line)"; tests/run.sh adds the lines up over every suite.
** main() returns harness_exit() so a failing suite also exits nonzero.
*/
#ifndef HS_HARNESS_H
#define HS_HARNESS_H

#include <stdio.h>
#include <string.h>

static int harness_nPass, harness_nFail;

#define CHECK(name, cond)                                                     \
  do {                                                                        \
    if (cond) {                                                               \
      harness_nPass++;                                                        \
      printf("PASS %s\n", (name));                                            \
    } else {                                                                  \
      harness_nFail++;                                                        \
      printf("FAIL %s (%s:%d)\n", (name), __FILE__, __LINE__);                \
    }                                                                         \
  } while (0)

#define CHECK_STR(name, got, want)                                            \
  do {                                                                        \
    const char *zGot_ = (got), *zWant_ = (want);                              \
    int bOk_ = zGot_ && zWant_ && strcmp(zGot_, zWant_) == 0;                 \
    CHECK(name, bOk_);                                                        \
    if (!bOk_) {                                                              \
      printf("  got:  %s\n  want: %s\n", zGot_ ? zGot_ : "(null)",            \
             zWant_ ? zWant_ : "(null)");                                     \
    }                                                                         \
  } while (0)

#define CHECK_INT(name, got, want)                                            \
  do {                                                                        \
    long long nGot_ = (long long)(got), nWant_ = (long long)(want);           \
    CHECK(name, nGot_ == nWant_);                                             \
    if (nGot_ != nWant_) {                                                    \
      printf("  got:  %lld\n  want: %lld\n", nGot_, nWant_);                  \
    }                                                                         \
  } while (0)

static inline int harness_exit(void) { return harness_nFail ? 1 : 0; }

#endif
