/* test_diff: the line diff behind the postmortem revision comparison. */
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "diff.h"
#include "harness.h"

/* Renders the diff as one line per entry: " x", "-x", "+x". NEW. */
static char *show(const char *zOld, const char *zNew, int *pnAdd, int *pnDel) {
  json_t *p = diff_lines(zOld, zNew, pnAdd, pnDel);
  Buf b;
  buf_init(&b, 1 << 20);
  size_t i;
  json_t *pItem;
  json_array_foreach(p, i, pItem) {
    const char *zOp = json_string_value(json_object_get(pItem, "op"));
    buf_putc(&b, zOp[0] == 's' ? ' ' : zOp[0] == 'a' ? '+' : '-');
    buf_puts(&b, json_string_value(json_object_get(pItem, "text")));
    buf_putc(&b, '|');
  }
  json_decref(p);
  return buf_take(&b, NULL);
}

int main(void) {
  int nAdd = -1, nDel = -1;
  char *z = show("a\nb\nc\n", "a\nb\nc\n", &nAdd, &nDel);
  CHECK_STR("identical texts are all same", z, " a| b| c|");
  CHECK_INT("identical: nothing added", nAdd, 0);
  CHECK_INT("identical: nothing removed", nDel, 0);
  free(z);

  z = show("a\nb\nc\n", "a\nB\nc\n", &nAdd, &nDel);
  CHECK_STR("one changed line is a del and an add", z, " a|-b|+B| c|");
  CHECK_INT("one added", nAdd, 1);
  CHECK_INT("one removed", nDel, 1);
  free(z);

  z = show("", "x\ny", &nAdd, &nDel);
  CHECK_STR("from empty: all added", z, "+x|+y|");
  CHECK_INT("two added", nAdd, 2);
  free(z);

  z = show("x\ny\n", "", &nAdd, &nDel);
  CHECK_STR("to empty: all removed", z, "-x|-y|");
  free(z);

  z = show(NULL, NULL, &nAdd, &nDel);
  CHECK_STR("NULL texts are empty", z, "");
  free(z);

  z = show("a\nb\nc\nd\n", "a\nc\nd\ne\n", NULL, NULL);
  CHECK_STR("insert and delete in one diff", z, " a|-b| c| d|+e|");
  free(z);

  z = show("x\na\nb\n", "a\nb\nx\n", &nAdd, &nDel);
  CHECK_STR("a moved line is removed then added", z, "-x| a| b|+x|");
  free(z);

  z = show("a\nb", "a\nb\n", &nAdd, &nDel);
  CHECK_STR("a missing final newline is not a change", z, " a| b|");
  free(z);

  z = show("a\r\nb\n", "a\nb\n", &nAdd, &nDel);
  CHECK_INT("CR is part of the line", nDel, 1);
  free(z);

  /* Line numbers: old and new positions, null on the side that lacks it. */
  json_t *p = diff_lines("a\nb\n", "a\nz\nb\n", NULL, NULL);
  CHECK_INT("three entries", json_array_size(p), 3);
  json_t *pAdd = json_array_get(p, 1);
  CHECK_STR("middle is the add", json_string_value(json_object_get(pAdd, "op")),
            "add");
  CHECK_INT("added line has its new number",
            json_integer_value(json_object_get(pAdd, "new")), 2);
  CHECK("added line has no old number",
        json_is_null(json_object_get(pAdd, "old")));
  CHECK_INT(
      "the last line keeps both numbers",
      json_integer_value(json_object_get(json_array_get(p, 2), "old")) * 10 +
          json_integer_value(json_object_get(json_array_get(p, 2), "new")),
      23);
  json_decref(p);

  /* A large document with one edit in the middle is cheap (trimmed ends),
  ** and past the cap the middle is shown as replaced, not refused. */
  Buf big, big2;
  buf_init(&big, 8 << 20);
  buf_init(&big2, 8 << 20);
  for (int i = 0; i < 20000; i++) {
    buf_printf(&big, "line %d\n", i);
    buf_printf(&big2, "line %d\n", i == 10000 ? -1 : i);
  }
  p = diff_lines(buf_str(&big), buf_str(&big2), &nAdd, &nDel);
  CHECK_INT("20000 lines, one edit: one add", nAdd, 1);
  CHECK_INT("20000 lines, one edit: one del", nDel, 1);
  json_decref(p);
  buf_reset(&big2);
  for (int i = 0; i < 20000; i++) {
    buf_printf(&big2, "other %d\n", i);
  }
  p = diff_lines(buf_str(&big), buf_str(&big2), &nAdd, &nDel);
  CHECK_INT("over the cap: every new line added", nAdd, 20000);
  CHECK_INT("over the cap: every old line removed", nDel, 20000);
  json_decref(p);
  buf_free(&big);
  buf_free(&big2);
  return harness_exit();
}
