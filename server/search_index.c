/*
** search_index.c: keeps the knowledge-base index (FTS5 table search_index)
** in step with its sources. schema/005_search.sql queues changed documents
** by trigger (FTS5 cannot be written from triggers under
** trusted_schema=OFF); search_flush() rewrites the queued index rows, from
** the source rows, before every search, so the index never drifts and only
** lags until the next search.
**
** Threading: no state of its own; uses the calling thread's connection.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "db.h"
#include "err.h"
#include "search.h"

#define FLUSH_BATCH 500 /* documents per write transaction */
#define DOC_MAX ((size_t)4 << 20) /* bytes of one indexed column */

/* Appends the items of a stored JSON array of strings, space-separated. */
static void append_list(Buf *pOut, const char *zJson) {
  json_t *p = json_loads(zJson, 0, NULL);
  size_t i;
  json_t *pItem;
  json_array_foreach(p, i, pItem) {
    if (json_is_string(pItem)) {
      buf_putc(pOut, ' ');
      buf_puts(pOut, json_string_value(pItem));
    }
  }
  json_decref(p);
}

/* Appends the "## Root cause" section of plain Markdown z (to the next
** heading of level 1 or 2), if there is one. */
static void append_root_cause(Buf *pOut, const char *z) {
  const char *p = z;
  while (*p) {
    const char *zEol = strchr(p, '\n');
    size_t nLine = zEol ? (size_t)(zEol - p) : strlen(p);
    if (nLine >= 13 && strncasecmp(p, "## root cause", 13) == 0) {
      const char *zStart = zEol ? zEol + 1 : p + nLine;
      const char *q = zStart;
      while (*q) {
        if ((q[0] == '#' && q[1] == ' ') ||
            (q[0] == '#' && q[1] == '#' && q[2] == ' ')) {
          break;
        }
        const char *zNext = strchr(q, '\n');
        q = zNext ? zNext + 1 : q + strlen(q);
      }
      buf_putc(pOut, ' ');
      buf_append(pOut, zStart, (size_t)(q - zStart));
      return;
    }
    p = zEol ? zEol + 1 : p + nLine;
  }
}

/* Writes one document's index row (or removes it when its source is gone
** or no longer indexed). Inside the caller's write transaction. */
static int index_doc(int64_t docId) {
  sqlite3_stmt *p =
      db_prepare("DELETE FROM search_index WHERE rowid = :rowid");
  if (!p) {
    return E_DB;
  }
  db_bind_int(p, ":rowid", docId);
  int rc = db_run(p);
  if (rc) {
    return rc;
  }
  int iType = (int)(docId & 3);
  int64_t id = docId >> 2;
  switch (iType) {
  case 0:
    p = db_prepare("SELECT id, title, '', summary FROM incidents"
                   " WHERE id = :id");
    break;
  case 1:
    p = db_prepare("SELECT p.incident_id, i.title, p.root_cause_category,"
                   " p.body, p.tags, p.contributing_factors"
                   " FROM postmortems p JOIN incidents i"
                   " ON i.id = p.incident_id WHERE p.id = :id");
    break;
  case 2:
    p = db_prepare("SELECT incident_id, title, '', body FROM events"
                   " WHERE id = :id AND deleted = 0"
                   " AND kind IN ('note', 'change', 'status_update')");
    break;
  default:
    p = db_prepare("SELECT incident_id, title, '', description FROM actions"
                   " WHERE id = :id");
    break;
  }
  if (!p) {
    return E_DB;
  }
  db_bind_int(p, ":id", id);
  rc = db_step(p);
  if (rc != SQLITE_ROW) {
    db_reset(p);
    return rc == SQLITE_DONE ? 0 : E_DB;
  }
  int64_t incidentId = db_col_int(p, 0);
  Buf title, root, body;
  buf_init(&title, DOC_MAX);
  buf_init(&root, DOC_MAX);
  buf_init(&body, DOC_MAX);
  buf_puts(&title, db_col_text(p, 1));
  search_plain(db_col_text(p, 3), &body);
  if (iType == 1) {
    const char *zCat = db_col_text(p, 2);
    if (strcmp(zCat, "unknown") != 0) {
      for (const char *c = zCat; *c; c++) {
        buf_putc(&root, *c == '_' ? ' ' : *c);
      }
    }
    append_list(&root, db_col_text(p, 4));
    append_list(&root, db_col_text(p, 5));
    append_root_cause(&root, buf_str(&body));
  }
  db_reset(p);
  if (buf_err(&title) || buf_err(&root) || buf_err(&body)) {
    rc = E_TOOBIG; /* a cap of 4 MiB per column: a bug upstream */
  } else {
    p = db_prepare("INSERT INTO search_index (rowid, title, root_cause, body,"
                   " kind, incident_id) VALUES (:rowid, :title, :root,"
                   " :body, :kind, :inc)");
    rc = E_DB;
    if (p) {
      db_bind_int(p, ":rowid", docId);
      db_bind_text(p, ":title", buf_str(&title));
      db_bind_text(p, ":root", buf_str(&root));
      db_bind_text(p, ":body", buf_str(&body));
      db_bind_text(p, ":kind", azSearchType[iType]);
      db_bind_int(p, ":inc", incidentId);
      rc = db_run(p);
    }
  }
  buf_free(&body);
  buf_free(&root);
  buf_free(&title);
  return rc;
}

int search_flush(void) {
  for (;;) {
    sqlite3_stmt *p = db_prepare("SELECT 1 FROM search_queue LIMIT 1");
    if (!p) {
      return E_DB;
    }
    int bAny = db_step(p) == SQLITE_ROW;
    db_reset(p);
    if (!bAny) {
      return 0;
    }
    int rc = db_begin_write();
    if (rc) {
      return rc;
    }
    int64_t aId[FLUSH_BATCH];
    int nId = 0;
    p = db_prepare("SELECT doc_id FROM search_queue ORDER BY doc_id"
                   " LIMIT :n");
    if (!p) {
      db_rollback();
      return E_DB;
    }
    db_bind_int(p, ":n", FLUSH_BATCH);
    while (nId < FLUSH_BATCH && (rc = db_step(p)) == SQLITE_ROW) {
      aId[nId++] = db_col_int(p, 0);
    }
    db_reset(p);
    rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : E_DB;
    for (int i = 0; i < nId && rc == 0; i++) {
      rc = index_doc(aId[i]);
      if (rc == 0) {
        p = db_prepare("DELETE FROM search_queue WHERE doc_id = :id");
        rc = E_DB;
        if (p) {
          db_bind_int(p, ":id", aId[i]);
          rc = db_run(p);
        }
      }
    }
    rc = rc == 0 ? db_commit() : rc;
    if (rc) {
      db_rollback();
      return rc;
    }
  }
}
