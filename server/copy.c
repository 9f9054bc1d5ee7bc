/*
** copy.c: `hindsight copy --from SRC --to DST` moves a whole installation
** between two databases, SQLite or PostgreSQL on either side, and proves it
** by counting and checksumming every table on both.
**
** How:
** - DST is migrated first (db_setup()), and must then hold no rows: we
**   never merge into, nor overwrite, a database in use. SRC is only read,
**   never migrated: it must be at this binary's schema version already.
** - Both are open at once through db.h's DbSide. SRC is read in one
**   snapshot (a read transaction; REPEATABLE READ on PostgreSQL), so a
**   running installation copies consistently; DST is written in one
**   transaction, committed only when every table verifies.
** - Tables go parents first (their foreign keys, which stay enforced),
**   rows in primary-key order, ids as they are. Rows stream from SRC into
**   multi-row INSERTs on DST, a batch capped in rows and bytes (Batch), so
**   memory does not grow with the data.
** - Triggers would fire on DST's inserts (queueing search documents,
**   writing component history). On PostgreSQL they are switched off for
**   the transaction (ALTER TABLE ... DISABLE TRIGGER USER: the owner may,
**   no superuser needed; foreign keys stay on). SQLite cannot switch a
**   trigger off, so they are dropped and created again from their own SQL
**   inside the same transaction (DDL is transactional there).
** - Engine-specific tables are not copied: the search index (an FTS5 table
**   and its shadows on SQLite, tsvectors on PostgreSQL), its vocabulary
**   search_terms and its queue, the schema version (hs_schema, sqlite_*).
**   Instead every document is queued on DST, as the migrations' backfills
**   do, and its own indexer builds the index after the first start.
** - PostgreSQL's identity sequences are set past the highest copied id.
** - Checksums: hash64() over each row's columns in primary-key order (all
**   columns for a table without one), each column as its length and
**   bytes: integers as decimal text, text as its bytes, BLOB/bytea as raw
**   bytes, NULL as a length no value has. Both engines give the same text
**   for our column types (integers, text, bytes), so equal data gives
**   equal sums, whatever the engine.
**
** Table and column names come from the databases' catalogs, never from the
** user; they are quoted as identifiers into the SQL this builds.
**
** Threading: main thread, before anything serves.
*/
#include "copy.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "arena.h"
#include "buf.h"
#include "db.h"
#include "err.h"
#include "hash.h"

#define COPY_MAX_COL 64 /* columns of one table (ours have at most 24) */
#define COPY_SQL_MAX ((size_t)64 << 10) /* built SQL text */
/* A batch: rows, values (SQLite's default limit is 32766) and bytes. */
#define COPY_BATCH_ROWS 500
#define COPY_BATCH_VALUES 4000
#define COPY_BATCH_BYTES ((size_t)8 << 20)
/* What a batch may hold past COPY_BATCH_BYTES: one more row, up to
** SQLite's value limit (db.c) per column, within reason. */
#define COPY_ROW_MAX ((size_t)1 << 30)

typedef struct CopyCol {
  char *zName; /* NEW */
  int bBlob;   /* BLOB/bytea: values travel as bytes */
  int iPk;     /* position in the primary key from 1, 0 if not in it */
} CopyCol;

typedef struct CopyTable {
  char *zName;                /* NEW */
  int nCol;                   /* columns in aCol */
  CopyCol aCol[COPY_MAX_COL]; /* in declaration order (equal on both) */
  int bDone;                  /* placed in copy order */
  int64_t nSrc;               /* rows read from SRC */
  int64_t nDst;               /* rows read back from DST */
  uint64_t hSrc;              /* checksum of SRC's rows */
  uint64_t hDst;              /* checksum of DST's rows */
} CopyTable;

typedef struct Copy {
  DbSide *pSrc;    /* read, in one snapshot */
  DbSide *pDst;    /* written, in one transaction */
  CopyTable *aTab; /* in copy order once sorted (NEW) */
  int nTab;
  char **azTrigger; /* SQLite DST: name, sql pairs dropped for the copy */
  int nTrigger;     /* pairs in azTrigger */
} Copy;

/* Rows of a catalog query: nRow * nCol strings (NEW, strings_free). */
typedef struct Strings {
  char **az;
  int nRow;
  int nCol;
} Strings;

static void strings_free(Strings *p) {
  for (int i = 0; i < p->nRow * p->nCol; i++) {
    free(p->az[i]);
  }
  free(p->az);
  memset(p, 0, sizeof(*p));
}

/* Runs zSql on side with an optional text parameter and keeps its first
** nCol columns of every row (NULL as ""). 0 or E_DB. */
static int side_strings(DbSide *pSide, const char *zSql, const char *zParam,
                        int nCol, Strings *pOut) {
  memset(pOut, 0, sizeof(*pOut));
  pOut->nCol = nCol;
  DbValue v = {DB_VTEXT, zParam, zParam ? strlen(zParam) : 0};
  int rc = db_side_query(pSide, zSql, zParam ? 1 : 0, &v);
  int nAlloc = 0;
  while (rc == 0 && (rc = db_side_next(pSide)) == DB_ROW) {
    rc = 0;
    if (pOut->nRow * nCol + nCol > nAlloc) {
      nAlloc = nAlloc ? nAlloc * 2 : 64;
      pOut->az = xrealloc(pOut->az, (size_t)nAlloc * sizeof(char *));
    }
    for (int i = 0; i < nCol; i++) {
      DbValue c;
      db_side_col(pSide, i, &c);
      char *z = xmalloc(c.n + 1);
      if (c.n) {
        memcpy(z, c.a, c.n);
      }
      z[c.n] = 0;
      pOut->az[pOut->nRow * nCol + i] = z;
    }
    pOut->nRow++;
  }
  if (rc != DB_DONE) {
    strings_free(pOut);
    return E_DB;
  }
  return 0;
}

/* One value of a one-row query (NEW), or NULL after a logged error. */
static char *side_value(DbSide *pSide, const char *zSql) {
  Strings s;
  if (side_strings(pSide, zSql, NULL, 1, &s) || s.nRow != 1) {
    strings_free(&s);
    return NULL;
  }
  char *z = s.az[0];
  s.az[0] = xstrdup("");
  strings_free(&s);
  return z;
}

static void put_ident(Buf *b, const char *zName) {
  buf_putc(b, '"');
  for (const char *z = zName; *z; z++) {
    if (*z == '"') {
      buf_putc(b, '"');
    }
    buf_putc(b, *z);
  }
  buf_putc(b, '"');
}

/* Whether table zName stays behind (see the file header). */
static int copy_skipped(const char *zName) {
  return strcmp(zName, "search_index") == 0 ||
         strncmp(zName, "search_index_", 13) == 0 || /* FTS5 shadows */
         strcmp(zName, "search_queue") == 0 ||
         strcmp(zName, "search_terms") == 0 ||
         strcmp(zName, "hs_schema") == 0 || strncmp(zName, "sqlite_", 7) == 0;
}

/* The schema version of a side: user_version or hs_schema; 0 for an empty
** database, E_DB if unreadable. */
static int side_version(DbSide *pSide) {
  char *z;
  if (db_side_is_pg(pSide)) {
    z = side_value(pSide, "SELECT to_regclass('hs_schema') IS NULL");
    int bNone = z && z[0] == 't';
    int bErr = z == NULL;
    free(z);
    if (bErr) {
      return E_DB;
    }
    if (bNone) {
      return 0;
    }
    z = side_value(pSide, "SELECT max(version) FROM hs_schema");
  } else {
    z = side_value(pSide, "PRAGMA user_version");
  }
  int v = z ? atoi(z) : E_DB;
  free(z);
  return v;
}

static int name_cmp(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The tables a side would copy, sorted by name (NEW strings_free). */
static int side_tables(DbSide *pSide, Strings *pOut) {
  Strings all;
  int rc = side_strings(
      pSide,
      db_side_is_pg(pSide)
          ? "SELECT c.relname FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE c.relkind IN ('r', 'p') AND n.nspname = current_schema()"
          : "SELECT name FROM sqlite_schema WHERE type = 'table'",
      NULL, 1, &all);
  if (rc) {
    return rc;
  }
  memset(pOut, 0, sizeof(*pOut));
  pOut->nCol = 1;
  pOut->az = xcalloc((size_t)all.nRow + 1, sizeof(char *));
  for (int i = 0; i < all.nRow; i++) {
    if (!copy_skipped(all.az[i])) {
      pOut->az[pOut->nRow++] = all.az[i];
      all.az[i] = NULL;
    }
  }
  strings_free(&all);
  qsort(pOut->az, (size_t)pOut->nRow, sizeof(char *), name_cmp);
  return 0;
}

/* Whether every table of tables on pSide is empty: 1, 0 (the first table
** with rows in *pzFull, BORROWED from tables), or E_DB. */
static int side_empty(DbSide *pSide, const Strings *pTables,
                      const char **pzFull) {
  for (int i = 0; i < pTables->nRow; i++) {
    Buf b;
    buf_init(&b, COPY_SQL_MAX);
    buf_puts(&b, "SELECT count(*) FROM (SELECT 1 FROM ");
    put_ident(&b, pTables->az[i]);
    buf_puts(&b, " LIMIT 1) AS t");
    char *z = side_value(pSide, buf_str(&b));
    buf_free(&b);
    if (!z) {
      return E_DB;
    }
    int bRows = atoi(z) > 0;
    free(z);
    if (bRows) {
      *pzFull = pTables->az[i];
      return 0;
    }
  }
  return 1;
}

/* An identity of the database a PostgreSQL side is on: the same text from
** two connections means one database. NEW, or NULL. */
static char *pg_identity(DbSide *pSide) {
  return side_value(pSide, "SELECT current_database() || '/' ||"
                           " current_setting('port') || '/' ||"
                           " pg_postmaster_start_time()");
}

/* Reads table t's columns from pSide. 0, or E_INVALID (too many). */
static int table_columns(DbSide *pSide, CopyTable *t) {
  Strings s;
  int rc = side_strings(
      pSide,
      db_side_is_pg(pSide)
          ? "SELECT a.attname, format_type(a.atttypid, a.atttypmod),"
            " COALESCE((SELECT k.n FROM unnest(i.indkey::int2[])"
            " WITH ORDINALITY AS k(att, n) WHERE k.att = a.attnum), 0)"
            " FROM pg_attribute a LEFT JOIN pg_index i"
            " ON i.indrelid = a.attrelid AND i.indisprimary"
            " WHERE a.attrelid = (quote_ident(current_schema()) || '.' ||"
            " quote_ident($1))::regclass"
            " AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum"
          : "SELECT name, type, pk FROM pragma_table_info(?1) ORDER BY cid",
      t->zName, 3, &s);
  if (rc) {
    return rc;
  }
  if (s.nRow > COPY_MAX_COL || s.nRow == 0) {
    fprintf(stderr, "hindsight: table %s has %d columns\n", t->zName, s.nRow);
    strings_free(&s);
    return E_INVALID;
  }
  t->nCol = s.nRow;
  for (int i = 0; i < s.nRow; i++) {
    CopyCol *c = &t->aCol[i];
    c->zName = s.az[i * 3];
    s.az[i * 3] = NULL;
    const char *zType = s.az[i * 3 + 1];
    c->bBlob = strcasestr(zType, "blob") || strcmp(zType, "bytea") == 0;
    c->iPk = atoi(s.az[i * 3 + 2]);
  }
  strings_free(&s);
  return 0;
}

/* Puts the tables in an order where each comes after the tables its
** foreign keys refer to (by name among equals, so the order is stable). */
static int tables_order(Copy *c) {
  Strings fk;
  int rc = side_strings(
      c->pDst,
      db_side_is_pg(c->pDst)
          ? "SELECT a.relname, b.relname FROM pg_constraint k"
            " JOIN pg_class a ON a.oid = k.conrelid"
            " JOIN pg_class b ON b.oid = k.confrelid"
            " JOIN pg_namespace n ON n.oid = a.relnamespace"
            " WHERE k.contype = 'f' AND n.nspname = current_schema()"
          : "SELECT m.name, f.\"table\" FROM sqlite_schema m,"
            " pragma_foreign_key_list(m.name) f WHERE m.type = 'table'",
      NULL, 2, &fk);
  if (rc) {
    return rc;
  }
  CopyTable *aOut = xcalloc((size_t)c->nTab, sizeof(CopyTable));
  int nOut = 0;
  while (nOut < c->nTab) {
    int nBefore = nOut;
    for (int i = 0; i < c->nTab; i++) {
      CopyTable *t = &c->aTab[i];
      int bReady = !t->bDone;
      for (int k = 0; bReady && k < fk.nRow; k++) {
        const char *zFrom = fk.az[k * 2], *zTo = fk.az[k * 2 + 1];
        if (strcmp(zFrom, t->zName) != 0 || strcmp(zTo, t->zName) == 0) {
          continue;
        }
        for (int j = 0; j < c->nTab; j++) {
          if (strcmp(c->aTab[j].zName, zTo) == 0 && !c->aTab[j].bDone) {
            bReady = 0;
          }
        }
      }
      if (bReady) {
        t->bDone = 1;
        aOut[nOut++] = *t;
      }
    }
    if (nOut == nBefore) {
      /* A cycle of foreign keys: the rest in name order; the copy fails
      ** on a key if the data really needs another order. */
      for (int i = 0; i < c->nTab; i++) {
        if (!c->aTab[i].bDone) {
          c->aTab[i].bDone = 1;
          aOut[nOut++] = c->aTab[i];
        }
      }
    }
  }
  free(c->aTab);
  c->aTab = aOut;
  strings_free(&fk);
  return 0;
}

/* SELECT of every column of t in primary-key order; the text is valid on
** both engines (NULLS FIRST is SQLite's order, PostgreSQL's on request). */
static void select_sql(const CopyTable *t, Buf *b) {
  buf_puts(b, "SELECT ");
  for (int i = 0; i < t->nCol; i++) {
    buf_puts(b, i ? ", " : "");
    put_ident(b, t->aCol[i].zName);
  }
  buf_puts(b, " FROM ");
  put_ident(b, t->zName);
  buf_puts(b, " ORDER BY ");
  int nKey = 0;
  for (int k = 1; k <= t->nCol; k++) {
    for (int i = 0; i < t->nCol; i++) {
      if (t->aCol[i].iPk == k) {
        buf_puts(b, nKey++ ? ", " : "");
        put_ident(b, t->aCol[i].zName);
      }
    }
  }
  if (nKey == 0) {
    for (int i = 0; i < t->nCol; i++) {
      buf_puts(b, i ? ", " : "");
      put_ident(b, t->aCol[i].zName);
      buf_puts(b, " NULLS FIRST");
    }
  }
}

/* INSERT of nRow rows of t, the values numbered row by row. */
static void insert_sql(const CopyTable *t, int bPg, int nRow, Buf *b) {
  buf_puts(b, "INSERT INTO ");
  put_ident(b, t->zName);
  buf_puts(b, " (");
  for (int i = 0; i < t->nCol; i++) {
    buf_puts(b, i ? ", " : "");
    put_ident(b, t->aCol[i].zName);
  }
  buf_puts(b, ") VALUES ");
  for (int r = 0; r < nRow; r++) {
    buf_puts(b, r ? ", (" : "(");
    for (int i = 0; i < t->nCol; i++) {
      buf_printf(b, "%s%c%d", i ? ", " : "", bPg ? '$' : '?',
                 r * t->nCol + i + 1);
    }
    buf_putc(b, ')');
  }
}

/* Reads column i of the current row of pSide for table t's checksum and
** the insert: a BLOB column's value is bytes even if stored as text. */
static void read_col(DbSide *pSide, const CopyTable *t, int i, DbValue *v) {
  db_side_col(pSide, i, v);
  if (t->aCol[i].bBlob && v->eType == DB_VTEXT) {
    v->eType = DB_VBLOB;
  }
}

static uint64_t hash_value(uint64_t h, const DbValue *v) {
  uint64_t nLen = v->eType == DB_VNULL ? UINT64_MAX : (uint64_t)v->n;
  h = hash64((const char *)&nLen, sizeof(nLen), h);
  return v->n ? hash64(v->a, v->n, h) : h;
}

/* Rows read from SRC and not yet inserted: one multi-row INSERT saves a
** round trip per row (PostgreSQL), and its size is capped in rows, values
** and bytes, so memory stays bounded whatever the table holds. */
typedef struct Batch {
  Buf bytes;                       /* the values' bytes, back to back */
  int nRow;                        /* rows held */
  int nVal;                        /* values held: nRow * the table's nCol */
  int aType[COPY_BATCH_VALUES];    /* DB_V* per value */
  size_t aOff[COPY_BATCH_VALUES];  /* where its bytes start in bytes */
  size_t aLen[COPY_BATCH_VALUES];  /* how many */
  DbValue aVal[COPY_BATCH_VALUES]; /* the values, pointing into bytes */
} Batch;

/* Reads the current row of pSide, which holds t's columns, and returns
** its checksum; with pB also adds the row to that batch (table_copy),
** without only sums it (table_verify), so both sides sum alike. */
static uint64_t row_read(DbSide *pSide, const CopyTable *t, Batch *pB) {
  uint64_t h = 0;
  for (int i = 0; i < t->nCol; i++) {
    DbValue v;
    read_col(pSide, t, i, &v);
    h = hash_value(h, &v);
    if (pB) {
      pB->aType[pB->nVal] = v.eType;
      pB->aOff[pB->nVal] = pB->bytes.n;
      pB->aLen[pB->nVal] = v.n;
      if (v.n) {
        buf_append(&pB->bytes, v.a, v.n);
      }
      pB->nVal++;
    }
  }
  if (pB) {
    pB->nRow++;
  }
  return h;
}

/* Inserts the batch's rows into t on DST and empties it. 0 or E_DB. */
static int batch_flush(Copy *c, const CopyTable *t, Batch *pB) {
  if (pB->nRow == 0) {
    return 0;
  }
  if (buf_err(&pB->bytes)) {
    fprintf(stderr, "hindsight: a row of %s is too large to copy\n", t->zName);
    return E_TOOBIG;
  }
  const char *aBytes = buf_str(&pB->bytes);
  for (int i = 0; i < pB->nVal; i++) {
    pB->aVal[i].eType = pB->aType[i];
    pB->aVal[i].a = pB->aType[i] == DB_VNULL ? NULL : aBytes + pB->aOff[i];
    pB->aVal[i].n = pB->aLen[i];
  }
  Buf ins;
  buf_init(&ins, COPY_SQL_MAX + (size_t)pB->nVal * 12);
  insert_sql(t, db_side_is_pg(c->pDst), pB->nRow, &ins);
  int rc = db_side_query(c->pDst, buf_str(&ins), pB->nVal, pB->aVal);
  if (rc == 0) {
    rc = db_side_next(c->pDst) == DB_DONE ? 0 : E_DB;
  }
  buf_free(&ins);
  buf_reset(&pB->bytes);
  pB->nRow = 0;
  pB->nVal = 0;
  return rc;
}

/* Streams t's rows from SRC into DST, summing SRC's. 0 or E_DB. */
static int table_copy(Copy *c, CopyTable *t) {
  Buf sel;
  buf_init(&sel, COPY_SQL_MAX);
  select_sql(t, &sel);
  Batch *pB = xcalloc(1, sizeof(*pB));
  buf_init(&pB->bytes, COPY_ROW_MAX);
  int nRowMax = COPY_BATCH_VALUES / t->nCol;
  if (nRowMax > COPY_BATCH_ROWS) {
    nRowMax = COPY_BATCH_ROWS;
  }
  int rc = db_side_query(c->pSrc, buf_str(&sel), 0, NULL);
  while (rc == 0 && (rc = db_side_next(c->pSrc)) == DB_ROW) {
    rc = 0;
    uint64_t h = row_read(c->pSrc, t, pB);
    /* Rows are summed in key order: a row moved, lost or repeated
    ** changes the sum. */
    t->hSrc = hash64((const char *)&h, sizeof(h), t->hSrc);
    t->nSrc++;
    if (pB->nRow == nRowMax || pB->bytes.n >= COPY_BATCH_BYTES ||
        buf_err(&pB->bytes)) {
      rc = batch_flush(c, t, pB);
    }
  }
  if (rc == DB_DONE) {
    rc = batch_flush(c, t, pB);
  }
  if (rc) {
    fprintf(stderr, "hindsight: copying %s failed near row %lld\n", t->zName,
            (long long)t->nSrc);
    db_side_finish(c->pSrc);
  }
  buf_free(&pB->bytes);
  free(pB);
  buf_free(&sel);
  return rc ? E_DB : 0;
}

/* Reads t back from DST and sums it as table_copy() summed SRC. */
static int table_verify(Copy *c, CopyTable *t) {
  Buf sel;
  buf_init(&sel, COPY_SQL_MAX);
  select_sql(t, &sel);
  int rc = db_side_query(c->pDst, buf_str(&sel), 0, NULL);
  while (rc == 0 && (rc = db_side_next(c->pDst)) == DB_ROW) {
    uint64_t h = row_read(c->pDst, t, NULL);
    t->hDst = hash64((const char *)&h, sizeof(h), t->hDst);
    t->nDst++;
    rc = 0;
  }
  buf_free(&sel);
  return rc == DB_DONE ? 0 : E_DB;
}

/* Switches DST's triggers off (bOff) or on again; see the file header. */
static int triggers_switch(Copy *c, int bOff) {
  int rc = 0;
  if (db_side_is_pg(c->pDst)) {
    for (int i = 0; rc == 0 && i < c->nTab; i++) {
      Buf b;
      buf_init(&b, COPY_SQL_MAX);
      buf_puts(&b, "ALTER TABLE ");
      put_ident(&b, c->aTab[i].zName);
      buf_puts(&b, bOff ? " DISABLE TRIGGER USER" : " ENABLE TRIGGER USER");
      rc = db_side_exec(c->pDst, buf_str(&b));
      buf_free(&b);
    }
    return rc;
  }
  if (bOff) {
    Strings s;
    rc = side_strings(c->pDst,
                      "SELECT name, sql FROM sqlite_schema"
                      " WHERE type = 'trigger' ORDER BY name",
                      NULL, 2, &s);
    if (rc) {
      return rc;
    }
    c->azTrigger = s.az;
    c->nTrigger = s.nRow;
  }
  for (int i = 0; rc == 0 && i < c->nTrigger; i++) {
    if (bOff) {
      Buf b;
      buf_init(&b, COPY_SQL_MAX);
      buf_puts(&b, "DROP TRIGGER ");
      put_ident(&b, c->azTrigger[i * 2]);
      rc = db_side_exec(c->pDst, buf_str(&b));
      buf_free(&b);
    } else {
      rc = db_side_exec(c->pDst, c->azTrigger[i * 2 + 1]);
    }
  }
  return rc;
}

/* PostgreSQL DST: every identity sequence continues after the highest id
** copied, as SQLite's rowids do. */
/* The last id SRC's sequence for the identity column a (table as a quoted
** identifier, column) handed out, deleted rows' included, as text into
** zOut; "0" when SRC is SQLite (its rowids continue after the highest) or
** the sequence has handed out none. 0 or E_DB. */
static int src_sequence(Copy *c, const DbValue *a, char *zOut, size_t nOut) {
  snprintf(zOut, nOut, "0");
  if (!db_side_is_pg(c->pSrc)) {
    return 0;
  }
  int rc = db_side_query(c->pSrc,
                         "SELECT COALESCE(pg_sequence_last_value("
                         "pg_get_serial_sequence($1, $2)::regclass), 0)",
                         2, a);
  while (rc == 0 && (rc = db_side_next(c->pSrc)) == DB_ROW) {
    DbValue v;
    db_side_col(c->pSrc, 0, &v);
    snprintf(zOut, nOut, "%.*s", (int)v.n, (const char *)v.a);
    rc = 0;
  }
  return rc == DB_DONE ? 0 : E_DB;
}

static int sequences_set(Copy *c) {
  if (!db_side_is_pg(c->pDst)) {
    return 0;
  }
  Strings s;
  /* Past the highest id copied, and on from PostgreSQL past the last id
  ** SRC handed out, so a deleted incident's number is not given again. */
  int rc = side_strings(c->pDst,
                        "SELECT c.relname, a.attname FROM pg_attribute a"
                        " JOIN pg_class c ON c.oid = a.attrelid"
                        " JOIN pg_namespace n ON n.oid = c.relnamespace"
                        " WHERE a.attidentity <> '' AND c.relkind = 'r'"
                        " AND n.nspname = current_schema()",
                        NULL, 2, &s);
  for (int i = 0; rc == 0 && i < s.nRow; i++) {
    Buf b, t;
    buf_init(&b, COPY_SQL_MAX);
    buf_init(&t, COPY_SQL_MAX);
    put_ident(&t, s.az[i * 2]);
    buf_puts(&b, "SELECT setval(pg_get_serial_sequence($1, $2),"
                 " GREATEST(COALESCE((SELECT max(");
    put_ident(&b, s.az[i * 2 + 1]);
    buf_puts(&b, ") FROM ");
    buf_puts(&b, buf_str(&t));
    buf_puts(&b, "), 0), $3::bigint) + 1, false)");
    char zLast[24];
    DbValue a[3] = {{DB_VTEXT, buf_str(&t), strlen(buf_str(&t))},
                    {DB_VTEXT, s.az[i * 2 + 1], strlen(s.az[i * 2 + 1])},
                    {DB_VTEXT, zLast, 0}};
    rc = src_sequence(c, a, zLast, sizeof(zLast));
    a[2].n = strlen(zLast);
    if (rc == 0) {
      rc = db_side_query(c->pDst, buf_str(&b), 3, a);
    }
    while (rc == 0 && (rc = db_side_next(c->pDst)) == DB_ROW) {
      rc = 0;
    }
    rc = rc == DB_DONE ? 0 : E_DB;
    buf_free(&b);
    buf_free(&t);
  }
  strings_free(&s);
  return rc;
}

/* Queues every search document on DST (the backfill of schema/014), and
** says how many. */
static int search_requeue(Copy *c, int64_t *pn) {
  int rc = db_side_exec(
      c->pDst,
      "INSERT INTO search_queue (doc_id)"
      " SELECT id * 4 FROM incidents"
      " UNION SELECT id * 4 + 1 FROM postmortems"
      " UNION SELECT id * 4 + 2 FROM events"
      " WHERE kind IN ('note', 'change', 'status_update') AND deleted = 0"
      " UNION SELECT id * 4 + 3 FROM actions");
  if (rc) {
    return rc;
  }
  char *z = side_value(c->pDst, "SELECT count(*) FROM search_queue");
  if (!z) {
    return E_DB;
  }
  *pn = strtoll(z, NULL, 10);
  free(z);
  return 0;
}

/* Fills c->aTab from both sides' catalogs, refusing different schemas. */
static int tables_load(Copy *c) {
  Strings src, dst;
  int rc = side_tables(c->pSrc, &src);
  if (rc) {
    return rc;
  }
  rc = side_tables(c->pDst, &dst);
  if (rc) {
    strings_free(&src);
    return rc;
  }
  for (int i = 0; rc == 0 && (i < src.nRow || i < dst.nRow); i++) {
    if (i >= src.nRow || i >= dst.nRow || strcmp(src.az[i], dst.az[i]) != 0) {
      fprintf(stderr,
              "hindsight: the source and destination have different tables"
              " (%s); is one of them not a Hindsight database?\n",
              i < src.nRow ? src.az[i] : dst.az[i]);
      rc = E_INVALID;
    }
  }
  c->nTab = rc ? 0 : dst.nRow;
  c->aTab = xcalloc((size_t)dst.nRow + 1, sizeof(CopyTable));
  for (int i = 0; rc == 0 && i < c->nTab; i++) {
    CopyTable *t = &c->aTab[i];
    t->zName = xstrdup(dst.az[i]);
    CopyTable other = {.zName = dst.az[i]};
    rc = table_columns(c->pDst, t);
    if (rc == 0) {
      rc = table_columns(c->pSrc, &other);
    }
    for (int k = 0; rc == 0 && k < t->nCol; k++) {
      if (k >= other.nCol || strcmp(t->aCol[k].zName, other.aCol[k].zName)) {
        fprintf(stderr,
                "hindsight: table %s has other columns in the source and"
                " the destination\n",
                t->zName);
        rc = E_INVALID;
      }
    }
    if (rc == 0 && other.nCol != t->nCol) {
      fprintf(stderr,
              "hindsight: table %s has other columns in the source"
              " and the destination\n",
              t->zName);
      rc = E_INVALID;
    }
    for (int k = 0; k < other.nCol; k++) {
      free(other.aCol[k].zName);
    }
  }
  strings_free(&src);
  strings_free(&dst);
  return rc;
}

static void copy_free(Copy *c) {
  for (int i = 0; i < c->nTab; i++) {
    for (int k = 0; k < c->aTab[i].nCol; k++) {
      free(c->aTab[i].aCol[k].zName);
    }
    free(c->aTab[i].zName);
  }
  free(c->aTab);
  for (int i = 0; i < c->nTrigger * 2; i++) {
    free(c->azTrigger[i]);
  }
  free(c->azTrigger);
  db_side_close(c->pSrc);
  db_side_close(c->pDst);
}

/* Whether zA and zB are one database: the same text, or the same file. */
static int same_target(const char *zA, const char *zB) {
  if (strcmp(zA, zB) == 0) {
    return 1;
  }
  struct stat a, b;
  return !db_target_is_pg(zA) && !db_target_is_pg(zB) && stat(zA, &a) == 0 &&
         stat(zB, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* Before DST is migrated: refuses one that holds data (or is newer). */
static int dst_precheck(const char *zDst, DbSide *pSrc) {
  struct stat st;
  if (!db_target_is_pg(zDst) && stat(zDst, &st) != 0) {
    return 0; /* a new file */
  }
  DbSide *pDst = NULL;
  int rc = db_side_open(zDst, 0, "destination", &pDst);
  if (rc) {
    return rc;
  }
  if (db_side_is_pg(pDst) && db_side_is_pg(pSrc)) {
    char *zA = pg_identity(pSrc);
    char *zB = pg_identity(pDst);
    if (!zA || !zB) {
      rc = E_DB;
    } else if (strcmp(zA, zB) == 0) {
      fprintf(stderr, "hindsight: the source and the destination are the"
                      " same database\n");
      rc = E_INVALID;
    }
    free(zA);
    free(zB);
  }
  int v = rc ? 0 : side_version(pDst);
  if (rc == 0 && v < 0) {
    fprintf(stderr,
            "hindsight: the destination %s is not a readable"
            " Hindsight database\n",
            db_target_is_pg(zDst) ? "" : zDst);
    rc = E_DB;
  } else if (rc == 0 && v > 0) {
    Strings tables;
    rc = side_tables(pDst, &tables);
    const char *zFull = NULL;
    int bEmpty = rc ? 0 : side_empty(pDst, &tables, &zFull);
    if (rc == 0 && bEmpty == 0) {
      fprintf(stderr,
              "hindsight: the destination is not empty (table %s has rows);"
              " copy only into a new database\n",
              zFull);
      rc = E_CONFLICT;
    } else if (rc == 0 && bEmpty < 0) {
      rc = bEmpty;
    }
    strings_free(&tables);
  }
  db_side_close(pDst);
  return rc;
}

/* The copy itself, both sides open and DST migrated. */
static int copy_run(Copy *c) {
  int rc = tables_load(c);
  if (rc == 0) {
    rc = tables_order(c);
  }
  if (rc) {
    return rc;
  }
  rc = db_side_exec(c->pSrc, db_side_is_pg(c->pSrc)
                                 ? "BEGIN ISOLATION LEVEL REPEATABLE READ,"
                                   " READ ONLY"
                                 : "BEGIN");
  if (rc == 0) {
    rc = db_side_exec(c->pDst,
                      db_side_is_pg(c->pDst) ? "BEGIN" : "BEGIN IMMEDIATE");
  }
  if (rc) {
    return rc;
  }
  /* Checked again inside the transaction: nobody wrote since. */
  Strings names = {.az = xcalloc((size_t)c->nTab + 1, sizeof(char *)),
                   .nRow = c->nTab,
                   .nCol = 1};
  for (int i = 0; i < c->nTab; i++) {
    names.az[i] = xstrdup(c->aTab[i].zName);
  }
  const char *zFull = NULL;
  int bEmpty = side_empty(c->pDst, &names, &zFull);
  if (bEmpty == 0) {
    fprintf(stderr,
            "hindsight: the destination is not empty (table %s has"
            " rows)\n",
            zFull);
    rc = E_CONFLICT;
  } else if (bEmpty < 0) {
    rc = bEmpty;
  }
  strings_free(&names);
  if (rc == 0) {
    rc = triggers_switch(c, 1);
  }
  for (int i = 0; rc == 0 && i < c->nTab; i++) {
    rc = table_copy(c, &c->aTab[i]);
  }
  int64_t nQueued = 0;
  if (rc == 0) {
    rc = search_requeue(c, &nQueued);
  }
  if (rc == 0) {
    rc = triggers_switch(c, 0);
  }
  if (rc == 0) {
    rc = sequences_set(c);
  }
  for (int i = 0; rc == 0 && i < c->nTab; i++) {
    rc = table_verify(c, &c->aTab[i]);
  }
  if (rc) {
    return rc;
  }
  int nBad = 0;
  int64_t nRows = 0;
  printf("%-32s %10s  %-16s  %s\n", "table", "rows", "checksum", "ok");
  for (int i = 0; i < c->nTab; i++) {
    CopyTable *t = &c->aTab[i];
    int bOk = t->nSrc == t->nDst && t->hSrc == t->hDst;
    nBad += !bOk;
    nRows += t->nSrc;
    printf("%-32s %10lld  %016llx  %s\n", t->zName, (long long)t->nSrc,
           (unsigned long long)t->hSrc, bOk ? "ok" : "MISMATCH");
    if (!bOk) {
      printf("%-32s %10lld  %016llx  (destination)\n", "", (long long)t->nDst,
             (unsigned long long)t->hDst);
    }
  }
  if (nBad) {
    fprintf(stderr,
            "hindsight: %d tables differ after copying; nothing was"
            " committed\n",
            nBad);
    return E_CONFLICT;
  }
  rc = db_side_exec(c->pDst, "COMMIT");
  if (rc == 0) {
    printf("copied %d tables, %lld rows, all verified; %lld search documents"
           " queued for the destination's index\n",
           c->nTab, (long long)nRows, (long long)nQueued);
  }
  return rc;
}

static const char *zCopyUsage =
    "usage: hindsight copy --from SRC --to DST\n"
    "  copies a whole installation: SRC and DST are each a SQLite file or a\n"
    "  PostgreSQL connection string (postgresql://... or \"host=...\n"
    "  dbname=...\"). DST is created or migrated, and must hold no data.\n"
    "  SRC is only read, and must be at this binary's schema version.\n"
    "  Prints each table's rows and checksum, as read from SRC and read\n"
    "  back from DST; commits only when all match (exit 0). --db is not\n"
    "  used.\n";

int copy_cli(int argc, char **argv) {
  const char *zSrc = NULL, *zDst = NULL;
  for (int i = 0; i < argc; i++) {
    if (strcmp(argv[i], "--help") == 0) {
      fputs(zCopyUsage, stdout);
      return 0;
    } else if (strcmp(argv[i], "--from") == 0 && i + 1 < argc) {
      zSrc = argv[++i];
    } else if (strcmp(argv[i], "--to") == 0 && i + 1 < argc) {
      zDst = argv[++i];
    } else {
      fprintf(stderr,
              "hindsight: copy: unknown argument %s (try hindsight"
              " copy --help)\n",
              argv[i]);
      return 2;
    }
  }
  if (!zSrc || !zDst || !zSrc[0] || !zDst[0]) {
    fputs("hindsight: copy needs --from SRC and --to DST (try hindsight"
          " copy --help)\n",
          stderr);
    return 2;
  }
  return copy_databases(zSrc, zDst);
}

int copy_databases(const char *zSrc, const char *zDst) {
  if (same_target(zSrc, zDst)) {
    fputs("hindsight: the source and the destination are the same"
          " database\n",
          stderr);
    return 1;
  }
  Copy c = {0};
  int rc = db_side_open(zSrc, 1, "source", &c.pSrc);
  int v = rc ? 0 : side_version(c.pSrc);
  if (rc == 0 && v != db_schema_version()) {
    if (v < 0) {
      fputs("hindsight: the source is not a readable Hindsight database\n",
            stderr);
    } else if (v < db_schema_version()) {
      fprintf(stderr,
              "hindsight: the source has schema version %d, older"
              " than this binary's %d: run `hindsight --db SRC"
              " migrate` first\n",
              v, db_schema_version());
    } else {
      fprintf(stderr,
              "hindsight: the source has schema version %d, newer"
              " than this binary knows (%d): use a newer"
              " hindsight\n",
              v, db_schema_version());
    }
    rc = E_INVALID;
  }
  if (rc == 0) {
    rc = dst_precheck(zDst, c.pSrc);
  }
  /* Migrated by the engine seam, as `hindsight migrate` would. */
  int bMigrated = 0;
  if (rc == 0) {
    rc = db_setup(zDst);
    db_close_thread();
    bMigrated = rc == 0;
  }
  if (rc == 0) {
    rc = db_side_open(zDst, 0, "destination", &c.pDst);
  }
  if (rc == 0) {
    rc = copy_run(&c);
  }
  if (rc && bMigrated) {
    fputs("hindsight: copy failed; nothing was written to the destination"
          " (beyond its schema)\n",
          stderr);
  }
  copy_free(&c);
  return rc ? 1 : 0;
}
