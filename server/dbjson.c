/*
** dbjson.c: see dbjson.h.
*/
#include "dbjson.h"

#include "utc.h"

json_t *dbjson_time(DbStmt *p, int i) {
  if (db_col_is_null(p, i)) {
    return json_null();
  }
  char z[25];
  utc_format(db_col_int(p, i), z);
  return json_string(z);
}

json_t *dbjson_text(DbStmt *p, int i) {
  return db_col_is_null(p, i) ? json_null() : json_string(db_col_text(p, i));
}

json_t *dbjson_int(DbStmt *p, int i) {
  return db_col_is_null(p, i) ? json_null() : json_integer(db_col_int(p, i));
}
