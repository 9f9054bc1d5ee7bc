/* test_throttle: failure counts per key in fixed windows, bounded table. */
#include <stdio.h>

#include "harness.h"
#include "throttle.h"

int main(void) {
  const int64_t t0 = 1000000;
  throttle_reset();
  CHECK("an unknown key is not blocked", !throttle_blocked("10.0.0.1", t0));
  for (int i = 0; i < THROTTLE_MAX_FAILS - 1; i++) {
    throttle_fail("10.0.0.1", t0 + i);
  }
  CHECK("one below the limit is not blocked",
        !throttle_blocked("10.0.0.1", t0 + 100));
  throttle_fail("10.0.0.1", t0 + 100);
  CHECK("at the limit it is blocked", throttle_blocked("10.0.0.1", t0 + 101));
  CHECK("another key is not blocked", !throttle_blocked("10.0.0.2", t0 + 101));
  CHECK("still blocked just before the window ends",
        throttle_blocked("10.0.0.1", t0 + THROTTLE_WINDOW_MS - 1));
  CHECK("free again when the window ends",
        !throttle_blocked("10.0.0.1", t0 + THROTTLE_WINDOW_MS));
  throttle_fail("10.0.0.1", t0 + THROTTLE_WINDOW_MS);
  CHECK("a failure after the window starts a new count",
        !throttle_blocked("10.0.0.1", t0 + THROTTLE_WINDOW_MS + 1));

  /* Filling the table evicts the oldest window, never grows memory. */
  throttle_reset();
  for (int i = 0; i < THROTTLE_MAX_FAILS; i++) {
    throttle_fail("victim", t0 + 5000);
  }
  char zKey[32];
  for (int i = 0; i < THROTTLE_SLOTS - 1; i++) {
    snprintf(zKey, sizeof(zKey), "k%d", i);
    throttle_fail(zKey, t0 + 10000 + i);
  }
  CHECK("a full table keeps its entries",
        throttle_blocked("victim", t0 + 20000));
  throttle_fail("newcomer", t0 + 20000);
  CHECK("the oldest window is evicted for a new key",
        !throttle_blocked("victim", t0 + 20001));
  for (int i = 1; i < THROTTLE_MAX_FAILS; i++) {
    throttle_fail("newcomer", t0 + 20000 + i);
  }
  CHECK("the new key counts from its own start",
        throttle_blocked("newcomer", t0 + 30000));

  char zLong[200];
  memset(zLong, 'a', sizeof(zLong) - 1);
  zLong[sizeof(zLong) - 1] = 0;
  throttle_reset();
  for (int i = 0; i < THROTTLE_MAX_FAILS; i++) {
    throttle_fail(zLong, t0);
  }
  CHECK("a long key is cut, not overflowed", throttle_blocked(zLong, t0 + 1));

  /* Counts with their own window (login names nobody has: an hour). */
  throttle_reset();
  const int64_t hour = 3600LL * 1000;
  int n = 0;
  for (int i = 0; i < 100; i++) {
    n = throttle_fail_window("name:ghost", t0 + i, hour);
  }
  CHECK_INT("the window count is returned", n, 100);
  CHECK_INT("it holds past the default window",
            throttle_fail_window("name:ghost", t0 + THROTTLE_WINDOW_MS + 1,
                                 hour),
            101);
  CHECK_INT("and starts again when its own window ends",
            throttle_fail_window("name:ghost", t0 + hour, hour), 1);
  return harness_exit();
}
