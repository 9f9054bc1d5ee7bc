/* test_buf: Buf's growth, cap, sticky error and hand-over; Arena. */
#include <stdlib.h>

#include "arena.h"
#include "buf.h"
#include "err.h"
#include "harness.h"

int main(void) {
  Buf b;
  buf_init(&b, 16);
  CHECK_STR("empty buf is \"\"", buf_str(&b), "");
  buf_puts(&b, "hello");
  buf_putc(&b, ' ');
  buf_printf(&b, "%d", 42);
  CHECK_STR("appends concatenate", buf_str(&b), "hello 42");
  CHECK_INT("length tracks appends", b.n, 8);
  buf_puts(&b, "0123456789");
  CHECK_INT("an append past the cap fails", buf_err(&b), E_TOOBIG);
  CHECK_STR("a failed append leaves the contents", buf_str(&b), "hello 42");
  buf_puts(&b, "x");
  CHECK_STR("the error is sticky", buf_str(&b), "hello 42");
  buf_reset(&b);
  CHECK_INT("reset clears the error", buf_err(&b), 0);
  buf_append(&b, "a\0b", 3);
  CHECK_INT("binary-safe append", b.n, 3);
  size_t n = 0;
  char *z = buf_take(&b, &n);
  CHECK("take hands over the bytes", n == 3 && z[0] == 'a' && z[2] == 'b');
  CHECK_INT("take leaves the buf empty", b.n, 0);
  free(z);

  Buf big;
  buf_init(&big, 1 << 20);
  for (int i = 0; i < 10000; i++) {
    buf_printf(&big, "line %d with some padding to grow the buffer\n", i);
  }
  CHECK_INT("grows across many appends", buf_err(&big), 0);
  CHECK("long printf output is complete",
        strstr(buf_str(&big), "line 9999 with") != NULL);
  buf_reset(&big);
  char aLong[600];
  memset(aLong, 'x', sizeof(aLong) - 1);
  aLong[sizeof(aLong) - 1] = 0;
  buf_printf(&big, "[%s]", aLong);
  CHECK_INT("printf longer than the stack buffer", big.n, 601);
  buf_free(&big);
  buf_free(&b);

  Arena a = {0};
  char *z1 = arena_strdup(&a, "one");
  void *pBig = arena_alloc(&a, 100000);
  char *z2 = arena_strndup(&a, "twofold", 3);
  CHECK_STR("arena strings survive later allocations", z1, "one");
  CHECK_STR("arena strndup cuts", z2, "two");
  CHECK("large arena allocations are zeroed",
        ((unsigned char *)pBig)[99999] == 0);
  CHECK("arena strdup of NULL is NULL", arena_strdup(&a, NULL) == NULL);
  arena_free(&a);
  CHECK("arena is empty after free", a.pHead == NULL);
  return harness_exit();
}
