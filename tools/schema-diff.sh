#!/bin/sh
# schema-diff.sh [-q] SQLITE_FILE PG_CONNINFO: checks that a SQLite database
# and a PostgreSQL database have the same schema (schema/NNN_x.sql and
# schema/pg/NNN_x.sql, applied by each engine).
#
# Each side is described in one canonical form, a line per fact, sorted:
#   table T
#   column T NN NAME FAMILY null|notnull default|nodefault [auto]
#   pk T (COLS)                    unique T (COLS)       checks T N
#   index T NAME (COLS) [unique] [partial]
#   fk T (COLS) -> R (COLS) delete ACTION update ACTION
#   trigger T NAME TIMING EVENT [when]     view V
# FAMILY is integer, text, blob or real (SQLite's type affinity; on
# PostgreSQL bigint/integer, text, bytea, double precision). A PostgreSQL
# text column must be COLLATE "C" to count as text: SQLite compares text as
# bytes. auto is SQLite's INTEGER PRIMARY KEY (the rowid) and PostgreSQL's
# identity column. A primary key's columns are NOT NULL on both sides.
# unique is a UNIQUE constraint (SQLite names its index sqlite_autoindex_*,
# PostgreSQL T_col_key: only the columns are compared). checks counts CHECK
# constraints (on SQLite, "CHECK (" in the table's SQL), not their text.
# A trigger is compared by name, timing (before, after, instead), event
# (insert, delete, update, update-of: UPDATE OF columns) and whether it has
# a WHEN; its body is not (tests/http/t0100-pg-schema.sh runs both).
#
# Prints both descriptions (not with -q) and their diff. Exit status: 0 the
# same, 1 different, 2 a tool failed. Needs sqlite3 and psql. HS_FTS: the
# tokenizer extension the SQLite file's search_index needs (default:
# build/hs_fts beside this script; make build/hs_fts.so).
set -u

# Allowed differences: left out of the descriptions, each with its reason.
# - SQLite's own tables (sqlite_*): SQLite's internals.
# - FTS5's shadow tables (V_data, V_idx, V_content, V_docsize, V_config of
#   every virtual table V): FTS5's storage; PostgreSQL has none.
# - hs_schema (PostgreSQL): the schema version, which SQLite keeps in
#   PRAGMA user_version.
PG_ONLY_TABLES="'hs_schema'"
# - FTS_TABLES: SQLite's FTS5 tables, plain tables on PostgreSQL. FTS5
#   columns have no type, so only their names and order are compared
#   (FAMILY "fts" on both sides). On PostgreSQL the table also has rowid
#   (SQLite's implicit rowid, the document id; its primary key), tsv and
#   facet_tsv (the tsvectors PostgreSQL searches, GIN-indexed): those
#   columns, the key and the indexes on them are left out.
FTS_TABLES="'search_index'"
PG_FTS_EXTRA_COLUMNS="'rowid', 'tsv', 'facet_tsv'"
# A later COLLATE NOCASE UNIQUE (a unique index on lower(col) on
# PostgreSQL) or an expression index will differ here: add it to this list
# with its reason.

quiet=0
if [ "${1:-}" = -q ]; then
  quiet=1
  shift
fi
if [ $# -ne 2 ]; then
  echo "usage: schema-diff.sh [-q] SQLITE_FILE PG_CONNINFO" >&2
  exit 2
fi
DBFILE=$1
CONNINFO=$2
if [ ! -f "$DBFILE" ]; then
  echo "schema-diff: no such file: $DBFILE" >&2
  exit 2
fi
HERE=$(cd "$(dirname "$0")" && pwd)
HS_FTS=${HS_FTS:-$HERE/../build/hs_fts}
W=$(mktemp -d "${TMPDIR:-/tmp}/schema-diff.XXXXXX")
trap 'rm -rf "$W"' EXIT

# ---- SQLite ----
LOAD=
if [ -f "$HS_FTS.so" ] || [ -f "$HS_FTS" ]; then
  LOAD=".load $HS_FTS"
fi
sqlite3 -readonly -batch -noheader -bail ${LOAD:+-cmd "$LOAD"} "$DBFILE" \
  >"$W/sqlite.raw" 2>"$W/sqlite.err" <<'SQL'
CREATE TEMP VIEW vt AS
  SELECT name FROM sqlite_schema
  WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%';
CREATE TEMP VIEW t AS
  SELECT name, sql, EXISTS (SELECT 1 FROM vt WHERE vt.name = s.name) AS v
  FROM sqlite_schema s
  WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\'
    AND name NOT IN (SELECT vt.name || '_' || x.suffix FROM vt,
      (SELECT 'data' AS suffix UNION ALL SELECT 'idx' UNION ALL
       SELECT 'content' UNION ALL SELECT 'docsize' UNION ALL
       SELECT 'config') x);
-- A rowid table's single INTEGER PRIMARY KEY is the rowid: no index holds
-- it (a WITHOUT ROWID table's key, or any other key, has an index 'pk').
CREATE TEMP VIEW auto AS
  SELECT t.name AS tbl, p.name AS col FROM t, pragma_table_info(t.name) p
  WHERE NOT t.v AND p.pk = 1 AND upper(p.type) = 'INTEGER'
    AND (SELECT count(*) FROM pragma_table_info(t.name) q WHERE q.pk > 0) = 1
    AND NOT EXISTS (SELECT 1 FROM pragma_index_list(t.name) i
                    WHERE i.origin = 'pk');

SELECT 'table ' || name FROM t;
SELECT 'view ' || name FROM sqlite_schema WHERE type = 'view';

SELECT 'column ' || t.name || ' ' || printf('%02d', p.cid + 1) || ' '
  || p.name || ' ' ||
  CASE WHEN t.v THEN 'fts' ELSE
    CASE
      WHEN upper(p.type) LIKE '%INT%' THEN 'integer'
      WHEN upper(p.type) LIKE '%CHAR%' OR upper(p.type) LIKE '%CLOB%'
        OR upper(p.type) LIKE '%TEXT%' THEN 'text'
      WHEN upper(p.type) LIKE '%BLOB%' OR p.type = '' THEN 'blob'
      WHEN upper(p.type) LIKE '%REAL%' OR upper(p.type) LIKE '%FLOA%'
        OR upper(p.type) LIKE '%DOUB%' THEN 'real'
      ELSE 'numeric'
    END
    || CASE WHEN p."notnull" OR p.pk > 0 THEN ' notnull' ELSE ' null' END
    || CASE WHEN p.dflt_value IS NOT NULL THEN ' default' ELSE ' nodefault'
       END
    || CASE WHEN EXISTS (SELECT 1 FROM auto
                         WHERE auto.tbl = t.name AND auto.col = p.name)
       THEN ' auto' ELSE '' END
  END
FROM t, pragma_table_info(t.name) p;

SELECT 'pk ' || tbl || ' (' || group_concat(name, ',') || ')' FROM (
  SELECT t.name AS tbl, p.name FROM t, pragma_table_info(t.name) p
  WHERE p.pk > 0 ORDER BY t.name, p.pk)
GROUP BY tbl;

-- Index columns: a name, or <expr> for an expression.
CREATE TEMP VIEW idx AS
  SELECT t.name AS tbl, i.name, i."unique" AS u, i.origin, i.partial,
    (SELECT group_concat(c, ',') FROM (
       SELECT coalesce(x.name, '<expr>') AS c FROM pragma_index_xinfo(i.name) x
       WHERE x.key ORDER BY x.seqno)) AS cols
  FROM t, pragma_index_list(t.name) i;
SELECT 'unique ' || tbl || ' (' || cols || ')' FROM idx WHERE origin = 'u';
SELECT 'index ' || tbl || ' ' || name || ' (' || cols || ')'
  || CASE WHEN u THEN ' unique' ELSE '' END
  || CASE WHEN partial THEN ' partial' ELSE '' END
FROM idx WHERE origin = 'c';

SELECT 'fk ' || tbl || ' (' || group_concat(f, ',') || ') -> ' || r
  || ' (' || group_concat(tcol, ',') || ') delete ' || d || ' update ' || up
FROM (
  SELECT t.name AS tbl, k.id, k."from" AS f, k."table" AS r,
    coalesce(k."to", (SELECT q.name FROM pragma_table_info(k."table") q
                      WHERE q.pk = k.seq + 1)) AS tcol,
    k.on_delete AS d, k.on_update AS up
  FROM t, pragma_foreign_key_list(t.name) k ORDER BY t.name, k.id, k.seq)
GROUP BY tbl, id;

SELECT 'checks ' || name || ' ' || ((length(s) - length(replace(
  replace(s, 'CHECK(', 'CHECK ('), 'CHECK (', ''))) / 7)
FROM (SELECT name, upper(sql) AS s FROM t WHERE NOT v);

-- A trigger's timing and event are in its SQL before " ON TABLE", its
-- WHEN between there and BEGIN.
SELECT 'trigger ' || tbl_name || ' ' || name
  || CASE WHEN head LIKE '% BEFORE %' THEN ' before'
     WHEN head LIKE '% INSTEAD OF %' THEN ' instead' ELSE ' after' END
  || CASE WHEN head LIKE '% INSERT %' THEN ' insert'
     WHEN head LIKE '% DELETE %' THEN ' delete'
     WHEN head LIKE '% UPDATE OF %' THEN ' update-of'
     ELSE ' update' END
  || CASE WHEN rest LIKE '% WHEN %' THEN ' when' ELSE '' END
FROM (SELECT tbl_name, name, substr(s, 1, instr(s, ' ON ')) AS head,
        substr(s, instr(s, ' ON '), instr(s, ' BEGIN ') - instr(s, ' ON '))
          AS rest
      FROM (SELECT tbl_name, name, upper(replace(replace(sql, char(10), ' '),
              char(9), ' ')) || ' ' AS s
            FROM sqlite_schema WHERE type = 'trigger'));
SQL
if [ $? -ne 0 ]; then
  echo "schema-diff: sqlite3 failed on $DBFILE:" >&2
  cat "$W/sqlite.err" >&2
  echo "(its search_index needs the tokenizer: make build/hs_fts.so," \
    "or set HS_FTS)" >&2
  exit 2
fi

# ---- PostgreSQL (the connection's current schema) ----
psql -X -q -A -t -v ON_ERROR_STOP=1 "$CONNINFO" >"$W/pg.raw" \
  2>"$W/pg.err" <<SQL
CREATE TEMP VIEW t AS
  SELECT c.oid, c.relname AS name, c.relname IN ($FTS_TABLES) AS v
  FROM pg_class c
  WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r'
    AND c.relname NOT IN ($PG_ONLY_TABLES);
-- A table's columns, with the FTS tables' extra columns left out.
CREATE TEMP VIEW col AS
  SELECT t.oid AS rel, t.name AS tbl, t.v, a.attnum, a.attname AS name,
    row_number() OVER (PARTITION BY t.oid ORDER BY a.attnum) AS pos
  FROM t JOIN pg_attribute a ON a.attrelid = t.oid
  WHERE a.attnum > 0 AND NOT a.attisdropped
    AND NOT (t.v AND a.attname IN ($PG_FTS_EXTRA_COLUMNS));
-- Names of columns by number (0: an expression); NULL if one is left out.
CREATE TEMP VIEW keys AS
  SELECT rel, nums, (SELECT CASE WHEN bool_and(c.name IS NOT NULL
        OR k.n = 0) THEN string_agg(CASE WHEN k.n = 0 THEN '<expr>'
        ELSE c.name END, ',' ORDER BY k.o) END
      FROM unnest(nums) WITH ORDINALITY k(n, o)
      LEFT JOIN col c ON c.rel = x.rel AND c.attnum = k.n) AS cols
  FROM (SELECT conrelid AS rel, conkey AS nums FROM pg_constraint
        UNION SELECT confrelid, confkey FROM pg_constraint
        WHERE contype = 'f'
        UNION SELECT indrelid, indkey::int2[] FROM pg_index) x;

SELECT 'table ' || name FROM t;
SELECT 'view ' || c.relname FROM pg_class c
WHERE c.relnamespace = current_schema()::regnamespace
  AND c.relkind IN ('v', 'm');

SELECT 'column ' || c.table_name || ' ' || lpad(col.pos::text, 2, '0')
  || ' ' || c.column_name || ' ' ||
  CASE WHEN col.v THEN 'fts' ELSE
    CASE
      WHEN c.data_type IN ('bigint', 'integer', 'smallint') THEN 'integer'
      WHEN c.data_type IN ('text', 'character varying', 'character') THEN
        CASE WHEN c.collation_name = 'C' THEN 'text'
        ELSE 'text(collate ' || coalesce(c.collation_name, 'default') || ')'
        END
      WHEN c.data_type = 'bytea' THEN 'blob'
      WHEN c.data_type IN ('double precision', 'real') THEN 'real'
      WHEN c.data_type = 'numeric' THEN 'numeric'
      ELSE replace(c.data_type, ' ', '_')
    END
    || CASE WHEN c.is_nullable = 'NO' THEN ' notnull' ELSE ' null' END
    || CASE WHEN c.column_default IS NOT NULL THEN ' default'
       ELSE ' nodefault' END
    || CASE WHEN c.is_identity = 'YES' THEN ' auto' ELSE '' END
  END
FROM information_schema.columns c
JOIN col ON col.tbl = c.table_name AND col.name = c.column_name
WHERE c.table_schema = current_schema();

-- Keys and indexes on a left-out column are left out (keys.cols NULL).
SELECT CASE con.contype WHEN 'p' THEN 'pk ' ELSE 'unique ' END || t.name
  || ' (' || k.cols || ')'
FROM pg_constraint con JOIN t ON t.oid = con.conrelid
JOIN keys k ON k.rel = con.conrelid AND k.nums = con.conkey
WHERE con.contype IN ('p', 'u') AND k.cols IS NOT NULL;

SELECT 'index ' || t.name || ' ' || ic.relname || ' (' || k.cols || ')'
  || CASE WHEN i.indisunique THEN ' unique' ELSE '' END
  || CASE WHEN i.indpred IS NOT NULL THEN ' partial' ELSE '' END
FROM pg_index i JOIN t ON t.oid = i.indrelid
JOIN pg_class ic ON ic.oid = i.indexrelid
JOIN keys k ON k.rel = i.indrelid AND k.nums = i.indkey::int2[]
WHERE k.cols IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM pg_constraint con
                  WHERE con.conindid = i.indexrelid
                    AND con.contype IN ('p', 'u'));

SELECT 'fk ' || t.name || ' (' || k.cols || ') -> ' || r.relname || ' ('
  || rk.cols || ') delete ' || a.d || ' update ' || b.d
FROM pg_constraint con JOIN t ON t.oid = con.conrelid
JOIN pg_class r ON r.oid = con.confrelid
JOIN keys k ON k.rel = con.conrelid AND k.nums = con.conkey
JOIN keys rk ON rk.rel = con.confrelid AND rk.nums = con.confkey
JOIN (VALUES ('a', 'NO ACTION'), ('r', 'RESTRICT'), ('c', 'CASCADE'),
  ('n', 'SET NULL'), ('d', 'SET DEFAULT')) a(c, d) ON a.c = con.confdeltype
JOIN (VALUES ('a', 'NO ACTION'), ('r', 'RESTRICT'), ('c', 'CASCADE'),
  ('n', 'SET NULL'), ('d', 'SET DEFAULT')) b(c, d) ON b.c = con.confupdtype
WHERE con.contype = 'f';

SELECT 'checks ' || t.name || ' ' || (SELECT count(*) FROM pg_constraint con
  WHERE con.conrelid = t.oid AND con.contype = 'c')
FROM t WHERE NOT t.v;

-- tgtype bits: 2 before, 4 insert, 8 delete, 16 update, 64 instead.
SELECT 'trigger ' || t.name || ' ' || g.tgname
  || CASE WHEN g.tgtype & 2 <> 0 THEN ' before'
     WHEN g.tgtype & 64 <> 0 THEN ' instead' ELSE ' after' END
  || CASE WHEN g.tgtype & 4 <> 0 THEN ' insert'
     WHEN g.tgtype & 8 <> 0 THEN ' delete'
     WHEN g.tgattr <> '' THEN ' update-of' ELSE ' update' END
  || CASE WHEN g.tgqual IS NOT NULL THEN ' when' ELSE '' END
FROM pg_trigger g JOIN t ON t.oid = g.tgrelid
WHERE NOT g.tgisinternal;
SQL
if [ $? -ne 0 ]; then
  echo "schema-diff: psql failed:" >&2
  cat "$W/pg.err" >&2
  exit 2
fi

LC_ALL=C sort "$W/sqlite.raw" >"$W/sqlite"
LC_ALL=C sort "$W/pg.raw" >"$W/postgresql"
if [ $quiet -eq 0 ]; then
  echo "== sqlite: $DBFILE"
  cat "$W/sqlite"
  echo "== postgresql"
  cat "$W/postgresql"
fi
if (cd "$W" && diff -u sqlite postgresql); then
  echo "schema-diff: the same schema ($(wc -l <"$W/sqlite") facts)"
  exit 0
fi
echo "schema-diff: the schemas differ (- sqlite, + postgresql)"
exit 1
