/*
** postmortem.c: one postmortem per incident. Drafting it from a Markdown
** template in templates/ with generated sections filled from the incident,
** refreshing those sections without touching what people wrote, saving
** (every body change is a revision), comparing revisions, the status
** workflow draft -> in_review -> published with a completeness check, the
** blameless-language hints, the Markdown preview, and the exports.
**
** Generated sections sit between marker lines:
**   <!-- hs:generated:NAME -->
**   ...replaced on refresh...
**   <!-- /hs:generated -->
** Everything outside markers belongs to the authors. Values from the
** incident go into Markdown inline-escaped, so an event title can neither
** format the document nor forge a marker. Rendering is md.c's, safe mode.
**
** It does not show postmortems publicly (public_summary is stored for the
** status page) and does not edit action items (action.c does).
** Threading: none of its own; uses the calling thread's connection.
*/
#include "postmortem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "action.h"
#include "assets.h"
#include "audit.h"
#include "db.h"
#include "dbjson.h"
#include "diff.h"
#include "err.h"
#include "incident.h"
#include "input.h"
#include "md.h"
#include "request_key.h"
#include "users.h"
#include "utc.h"
#include "viewtz.h"

#define BODY_MAX ((size_t)512 << 10)   /* bytes of Markdown in a document */
#define SUMMARY_MAX ((size_t)64 << 10) /* bytes of the public summary */
#define REASON_MAX 1000                /* bytes of an override reason */
#define TIMELINE_MAX 200               /* events in the generated table */
#define HINTS_MAX 50                   /* blameless hints reported */

#define MARK_OPEN "<!-- hs:generated:"
#define MARK_CLOSE "<!-- /hs:generated -->"

/* Fields a client may send; the rest are refused by name. */
static const char *const azWritable[] = {"body",
                                         "status",
                                         "public_summary",
                                         "root_cause_category",
                                         "contributing_factors",
                                         "tags",
                                         "override_reason",
                                         NULL};
/* Extra fields an HTML form carries. */
static const char *const azFormMeta[] = {"csrf_token", "version", NULL};

/* Small helpers ------------------------------------------------------- */

/* A JSON array stored by us as text; [] if it is not one. NEW. */
static json_t *stored_list(const char *z) {
  json_t *p = json_loads(z, 0, NULL);
  if (!json_is_array(p)) {
    json_decref(p);
    return json_array();
  }
  return p;
}

/* Appends z as Markdown inline text: one line, every character that could
** start markup backslash-escaped. */
static void md_inline(Buf *pOut, const char *z) {
  for (; z && *z; z++) {
    char c = *z;
    if (c == '\n' || c == '\r' || c == '\t') {
      buf_putc(pOut, ' ');
    } else if (strchr("\\`*_{}[]<>()#+!|~&$-", c)) {
      buf_putc(pOut, '\\');
      buf_putc(pOut, c);
    } else {
      buf_putc(pOut, c);
    }
  }
}

/* "2026-11-20 10:38 UTC" for an RFC 3339 string from the API shape, in
** the display zone pVt ("2026-11-20 11:38 CET"; NULL: UTC). */
static void md_time(Buf *pOut, json_t *pAt, const ViewTz *pVt) {
  const char *z = json_string_value(pAt);
  int64_t ms;
  if (!z || utc_parse_iso(z, strlen(z), &ms) != 0) {
    buf_puts(pOut, "—");
    return;
  }
  char zOut[40];
  viewtz_format(pVt, ms, 0, zOut);
  buf_puts(pOut, zOut);
}

/* "1h 23m" for a duration in seconds. */
static void md_duration(Buf *pOut, json_t *pSeconds) {
  if (!json_is_integer(pSeconds)) {
    buf_puts(pOut, "—");
    return;
  }
  long long s = json_integer_value(pSeconds);
  if (s < 60) {
    buf_printf(pOut, "%llds", s);
  } else if (s < 3600) {
    buf_printf(pOut, "%lldm %llds", s / 60, s % 60);
  } else if (s < 86400) {
    buf_printf(pOut, "%lldh %lldm", s / 3600, (s % 3600) / 60);
  } else {
    buf_printf(pOut, "%lldd %lldh", s / 86400, (s % 86400) / 3600);
  }
}

/* Generated sections -------------------------------------------------- */

static void gen_header(Buf *pOut, json_t *pInc, const ViewTz *pVt) {
  buf_puts(pOut, "# Postmortem: ");
  md_inline(pOut, json_string_value(json_object_get(pInc, "title")));
  buf_printf(pOut, "\n\n- **Incident:** \\#%lld · %s · impact %s\n",
             (long long)json_integer_value(json_object_get(pInc, "id")),
             json_string_value(json_object_get(pInc, "severity")),
             json_string_value(json_object_get(pInc, "impact")));
  buf_puts(pOut, "- **Started:** ");
  md_time(pOut, json_object_get(pInc, "started_at"), pVt);
  buf_puts(pOut, "\n- **Resolved:** ");
  md_time(pOut, json_object_get(pInc, "resolved_at"), pVt);
  buf_puts(pOut, "\n- **Duration:** ");
  md_duration(pOut, json_object_get(json_object_get(pInc, "metrics"),
                                    "time_to_resolve_s"));
  buf_puts(pOut, "\n- **Components:** ");
  json_t *pNames = json_object_get(pInc, "components");
  size_t i;
  json_t *pName;
  json_array_foreach(pNames, i, pName) {
    buf_puts(pOut, i ? ", " : "");
    md_inline(pOut, json_string_value(pName));
  }
  if (json_array_size(pNames) == 0) {
    buf_puts(pOut, "none recorded");
  }
  buf_puts(pOut, "\n- **Commander:** ");
  md_inline(pOut, json_string_value(json_object_get(pInc, "commander")));
  buf_puts(pOut, "\n");
}

static void gen_clock(Buf *pOut, json_t *pInc, const ViewTz *pVt) {
  static const struct {
    const char *zLabel, *zField, *zMetric;
  } aRow[] = {{"Started", "started_at", NULL},
              {"Detected", "detected_at", "time_to_detect_s"},
              {"Acknowledged", "acknowledged_at", "time_to_acknowledge_s"},
              {"Mitigated", "mitigated_at", "time_to_mitigate_s"},
              {"Resolved", "resolved_at", "time_to_resolve_s"}};
  json_t *pMetrics = json_object_get(pInc, "metrics");
  for (size_t i = 0; i < sizeof(aRow) / sizeof(aRow[0]); i++) {
    json_t *pAt = json_object_get(pInc, aRow[i].zField);
    buf_printf(pOut, "- **%s:** ", aRow[i].zLabel);
    if (!json_is_string(pAt)) {
      buf_puts(pOut, "not marked\n");
      continue;
    }
    md_time(pOut, pAt, pVt);
    if (aRow[i].zMetric) {
      buf_puts(pOut, " · ");
      md_duration(pOut, json_object_get(pMetrics, aRow[i].zMetric));
      buf_puts(pOut, " after start");
    }
    buf_puts(pOut, "\n");
  }
}

static void gen_timeline(Buf *pOut, json_t *pInc, const ViewTz *pVt) {
  int64_t id = json_integer_value(json_object_get(pInc, "id"));
  int64_t start = 0;
  utc_parse_iso(json_string_value(json_object_get(pInc, "started_at")), 24,
                &start);
  DbStmt *p =
      db_prepare("SELECT ts, kind, key, title, component FROM events"
                 " WHERE incident_id = :id AND deleted = 0"
                 "  AND (pinned = 1 OR key IS NOT NULL)"
                 " ORDER BY ts, id LIMIT 200");
  if (!p) {
    buf_puts(pOut, "_The timeline could not be read._\n");
    return;
  }
  db_bind_int(p, ":id", id);
  int n = 0;
  while (db_step(p) == DB_ROW && n < TIMELINE_MAX) {
    n++;
    if (pVt && pVt->pZone) {
      char z[40];
      viewtz_format(pVt, db_col_int(p, 0), 1, z);
      buf_printf(pOut, "- **%s** · ", z);
    } else {
      char z[25]; /* the stored form, as it always was: UTC */
      utc_format(db_col_int(p, 0), z);
      buf_printf(pOut, "- **%.10s %.8s** · ", z, z + 11);
    }
    json_t *pSince = json_integer((db_col_int(p, 0) - start) / 1000);
    if (db_col_int(p, 0) >= start) {
      buf_puts(pOut, "\\+");
      md_duration(pOut, pSince);
    } else {
      buf_puts(pOut, "before start");
    }
    json_decref(pSince);
    buf_puts(pOut, " · ");
    if (!db_col_is_null(p, 2)) {
      buf_printf(pOut, "**%s** · ", db_col_text(p, 2));
    }
    buf_printf(pOut, "%s: ", db_col_text(p, 1));
    md_inline(pOut, db_col_text(p, 3));
    if (*db_col_text(p, 4)) {
      buf_puts(pOut, " (");
      md_inline(pOut, db_col_text(p, 4));
      buf_puts(pOut, ")");
    }
    buf_puts(pOut, "\n");
  }
  db_reset(p);
  if (n == 0) {
    buf_puts(pOut, "_No key moments or pinned events yet. Pin events on the "
                   "timeline, then refresh the generated sections._\n");
  }
}

static void gen_actions(Buf *pOut, json_t *pInc, const ViewTz *pVt) {
  (void)pVt; /* due dates are calendar days: no zone */
  json_t *pList =
      action_for_incident(json_integer_value(json_object_get(pInc, "id")));
  if (json_array_size(pList) == 0) {
    buf_puts(pOut, "_No action items yet._\n");
  }
  size_t i;
  json_t *pA;
  json_array_foreach(pList, i, pA) {
    buf_printf(pOut, "- **\\#%lld** ",
               (long long)json_integer_value(json_object_get(pA, "id")));
    md_inline(pOut, json_string_value(json_object_get(pA, "title")));
    buf_printf(pOut, " · %s · %s · owner: ",
               json_string_value(json_object_get(pA, "type")),
               json_string_value(json_object_get(pA, "priority")));
    const char *zOwner = json_string_value(json_object_get(pA, "owner"));
    if (zOwner && *zOwner) {
      md_inline(pOut, zOwner);
    } else {
      buf_puts(pOut, "_none_");
    }
    const char *zDue = json_string_value(json_object_get(pA, "due_date"));
    buf_printf(pOut, " · due: %s · %s%s\n", zDue ? zDue : "_none_",
               json_string_value(json_object_get(pA, "status")),
               json_is_true(json_object_get(pA, "overdue")) ? " **(overdue)**"
                                                            : "");
  }
  json_decref(pList);
}

/* Writes the generated section zName (nName bytes) into pOut. 0, or -1 for
** a name we do not know (the section is then left as it is). */
static int gen_section(const char *zName, size_t nName, const char *zOnly,
                       json_t *pInc, const ViewTz *pVt, Buf *pOut) {
  if (zOnly && (strlen(zOnly) != nName || memcmp(zOnly, zName, nName))) {
    return -1;
  }
  static const struct {
    const char *zName;
    void (*xGen)(Buf *, json_t *, const ViewTz *);
  } aGen[] = {{"header", gen_header},
              {"clock", gen_clock},
              {"timeline", gen_timeline},
              {"actions", gen_actions}};
  for (size_t i = 0; i < sizeof(aGen) / sizeof(aGen[0]); i++) {
    if (strlen(aGen[i].zName) == nName &&
        memcmp(aGen[i].zName, zName, nName) == 0) {
      aGen[i].xGen(pOut, pInc, pVt);
      return 0;
    }
  }
  return -1;
}

/* Copies zBody into pOut with every known generated section (or only the
** one named zOnly, when not NULL) replaced by fresh content from pInc (API
** shape). Text outside markers, other sections and a marker without its
** closing line are copied unchanged. */
static void pm_fill(const char *zBody, json_t *pInc, const char *zOnly,
                    const ViewTz *pVt, Buf *pOut) {
  const char *z = zBody;
  for (;;) {
    const char *zOpen = strstr(z, MARK_OPEN);
    if (!zOpen) {
      break;
    }
    const char *zName = zOpen + strlen(MARK_OPEN);
    size_t nName = strspn(zName, "abcdefghijklmnopqrstuvwxyz_");
    const char *zEol = strchr(zOpen, '\n');
    const char *zClose = zEol ? strstr(zEol, MARK_CLOSE) : NULL;
    if (nName == 0 || strncmp(zName + nName, " -->", 4) != 0 || !zClose) {
      buf_append(pOut, z, (size_t)(zName - z));
      z = zName;
      continue;
    }
    buf_append(pOut, z, (size_t)(zEol + 1 - z));
    Buf gen;
    buf_init(&gen, BODY_MAX);
    if (gen_section(zName, nName, zOnly, pInc, pVt, &gen) == 0 &&
        !buf_err(&gen)) {
      buf_append(pOut, buf_str(&gen), gen.n);
    } else {
      buf_append(pOut, zEol + 1, (size_t)(zClose - zEol - 1));
    }
    buf_free(&gen);
    buf_puts(pOut, MARK_CLOSE);
    z = zClose + strlen(MARK_CLOSE);
  }
  buf_puts(pOut, z);
}

/* The body of a stored row with its action-items section filled from the
** tracker, so that section never goes stale: saves store it, and every
** read and export shows it. NEW (free()). */
static char *pm_body_fresh(json_t *pRow) {
  json_t *pInc = json_pack("{s:O}", "id", json_object_get(pRow, "incident_id"));
  Buf body;
  buf_init(&body, BODY_MAX + (BODY_MAX >> 2));
  pm_fill(json_string_value(json_object_get(pRow, "body")), pInc, "actions",
          NULL, &body);
  json_decref(pInc);
  if (buf_err(&body)) {
    buf_free(&body);
    return xstrdup(json_string_value(json_object_get(pRow, "body")));
  }
  return buf_take(&body, NULL);
}

/* The body as shown in display zone pVt: stored bodies keep UTC, so with
** another zone every generated section is written afresh in it (they are
** ours, read-only in the editor); without one, pm_body_fresh(). pInc is the
** incident (API shape). NEW (free()). */
static char *pm_body_view(json_t *pRow, json_t *pInc, const ViewTz *pVt) {
  if (!pVt || !pVt->pZone) {
    return pm_body_fresh(pRow);
  }
  Buf body;
  buf_init(&body, BODY_MAX + (BODY_MAX >> 2));
  pm_fill(json_string_value(json_object_get(pRow, "body")), pInc, NULL, pVt,
          &body);
  if (buf_err(&body)) {
    buf_free(&body);
    return pm_body_fresh(pRow);
  }
  return buf_take(&body, NULL);
}

/* Sections, completeness and hints ----------------------------------- */

/* Finds the "## zTitle" section of zBody (case-insensitive) and writes its
** text, without HTML comments and generated blocks, trimmed, into pOut.
** Returns 1 if the heading exists. */
static int pm_section_text(const char *zBody, const char *zTitle, Buf *pOut) {
  size_t nTitle = strlen(zTitle);
  const char *z = zBody;
  const char *zStart = NULL;
  while (*z) {
    const char *zEol = strchr(z, '\n');
    size_t nLine = zEol ? (size_t)(zEol - z) : strlen(z);
    if (zStart && nLine >= 2 && z[0] == '#' && (z[1] == '#' || z[1] == ' ') &&
        strncmp(z, "###", 3) != 0) {
      break; /* the next heading of level 1 or 2 ends the section */
    }
    if (zStart) {
      buf_append(pOut, z, nLine);
      buf_putc(pOut, '\n');
    } else if (nLine >= 3 + nTitle && strncmp(z, "## ", 3) == 0 &&
               strncasecmp(z + 3, zTitle, nTitle) == 0 &&
               strspn(z + 3 + nTitle, " \t#\r") == nLine - 3 - nTitle) {
      zStart = z;
    }
    z += nLine + (zEol ? 1 : 0);
  }
  /* Drop comments (template guidance and markers) in place. */
  char *zText = pOut->z;
  if (zText) {
    char *zCom;
    while ((zCom = strstr(zText, "<!--")) != NULL) {
      char *zEnd = strstr(zCom, "-->");
      size_t nCut = zEnd ? (size_t)(zEnd + 3 - zCom) : strlen(zCom);
      memmove(zCom, zCom + nCut, strlen(zCom + nCut) + 1);
      pOut->n -= nCut;
    }
  }
  return zStart != NULL;
}

static int pm_section_filled(const char *zBody, const char *zTitle,
                             int bNeedDigit) {
  Buf text;
  buf_init(&text, BODY_MAX + 1);
  pm_section_text(zBody, zTitle, &text);
  const char *z = buf_str(&text);
  int bFilled = z[strspn(z, " \t\r\n")] != 0;
  if (bFilled && bNeedDigit) {
    bFilled = strpbrk(z, "0123456789") != NULL;
  }
  buf_free(&text);
  return bFilled;
}

/* What is missing before review or publishing, as a NEW array of
** sentences; empty when complete. pInc is the incident's API shape. */
static json_t *pm_missing(json_t *pInc, const char *zBody) {
  json_t *pOut = json_array();
  static const struct {
    const char *zField, *zSay;
  } aMoment[] = {{"detected_at", "The incident has no detected moment."},
                 {"mitigated_at", "The incident has no mitigated moment."},
                 {"resolved_at", "The incident has no resolved moment."}};
  for (size_t i = 0; i < sizeof(aMoment) / sizeof(aMoment[0]); i++) {
    if (!json_is_string(json_object_get(pInc, aMoment[i].zField))) {
      json_array_append_new(pOut, json_string(aMoment[i].zSay));
    }
  }
  if (!pm_section_filled(zBody, "Impact", 1)) {
    json_array_append_new(pOut,
                          json_string("Impact is not written with numbers."));
  }
  if (!pm_section_filled(zBody, "Root cause", 0)) {
    json_array_append_new(pOut, json_string("Root cause is not written."));
  }
  if (!pm_section_filled(zBody, "Lessons learned", 0)) {
    json_array_append_new(pOut,
                          json_string("Lessons learned are not written."));
  }
  json_t *pActions =
      action_for_incident(json_integer_value(json_object_get(pInc, "id")));
  size_t i;
  json_t *pA;
  json_array_foreach(pActions, i, pA) {
    const char *zOwner = json_string_value(json_object_get(pA, "owner"));
    int bDue = json_is_string(json_object_get(pA, "due_date"));
    if (!zOwner || !*zOwner || !bDue) {
      char z[400];
      snprintf(z, sizeof(z), "Action #%lld \"%.200s\" has no %s.",
               (long long)json_integer_value(json_object_get(pA, "id")),
               json_string_value(json_object_get(pA, "title")),
               !zOwner || !*zOwner ? (bDue ? "owner" : "owner or due date")
                                   : "due date");
      json_array_append_new(pOut, json_string(z));
    }
  }
  json_decref(pActions);
  return pOut;
}

/* Phrases that blame people, and what to write instead. */
static const struct {
  const char *zPhrase, *zSuggest;
} aBlame[] = {
    {"human error", "Describe the conditions that made the mistake easy: a "
                    "missing guardrail, unclear tooling, time pressure."},
    {"should have", "Say what would have helped: \"the runbook did not "
                    "cover this case\"."},
    {"careless", "Describe the situation and its pressures, not the person."},
    {"junior engineer", "Name the role or the step, not seniority: \"the "
                        "on-call engineer\"."},
    {"forgot to", "Say what the process did not prompt for: \"the checklist "
                  "has no step for...\"."},
    {"negligen", "Describe the gap in the process or tooling."},
    {"blame", "Focus on contributing factors rather than who is at fault."},
    {"stupid", "Describe what made the action reasonable at the time."},
    {"fault of", "Describe the contributing factors instead of a culprit."},
};

/* Blameless-language hints for zBody: a NEW array of {line, phrase,
** suggestion}, at most HINTS_MAX. Hints only; nothing is refused. */
static json_t *pm_hints(const char *zBody) {
  json_t *pOut = json_array();
  int iLine = 1;
  const char *z = zBody ? zBody : "";
  while (*z && json_array_size(pOut) < HINTS_MAX) {
    const char *zEol = strchr(z, '\n');
    size_t nLine = zEol ? (size_t)(zEol - z) : strlen(z);
    char *zLine = xstrndup(z, nLine);
    for (size_t i = 0; i < sizeof(aBlame) / sizeof(aBlame[0]); i++) {
      if (strcasestr(zLine, aBlame[i].zPhrase)) {
        json_array_append_new(pOut,
                              json_pack("{s:i, s:s, s:s}", "line", iLine,
                                        "phrase", aBlame[i].zPhrase,
                                        "suggestion", aBlame[i].zSuggest));
      }
    }
    free(zLine);
    z += nLine + (zEol ? 1 : 0);
    iLine++;
  }
  return pOut;
}

/* Loading ------------------------------------------------------------- */

/* Loads the stored row of incident id's postmortem (times as RFC 3339).
** NEW or NULL; *pRc is E_NOTFOUND or E_DB then. */
static json_t *pm_row(int64_t id, int *pRc) {
  DbStmt *p = db_prepare(
      "SELECT status, body, public_summary, root_cause_category,"
      " contributing_factors, tags, publish_override_reason, created_by,"
      " created_at, updated_at, published_at, version"
      " FROM postmortems WHERE incident_id = :id");
  if (!p) {
    *pRc = E_DB;
    return NULL;
  }
  db_bind_int(p, ":id", id);
  int rc = db_step(p);
  if (rc != DB_ROW) {
    db_reset(p);
    *pRc = rc == DB_DONE ? E_NOTFOUND : E_DB;
    return NULL;
  }
  json_t *pRow = json_pack(
      "{s:I, s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:s, s:o, s:o, s:o, s:I}",
      "incident_id", (json_int_t)id, "status", db_col_text(p, 0), "body",
      db_col_text(p, 1), "public_summary", db_col_text(p, 2),
      "root_cause_category", db_col_text(p, 3), "contributing_factors",
      stored_list(db_col_text(p, 4)), "tags", stored_list(db_col_text(p, 5)),
      "publish_override_reason", dbjson_text(p, 6),
      "created_by", db_col_text(p, 7), "created_at", dbjson_time(p, 8),
      "updated_at", dbjson_time(p, 9), "published_at", dbjson_time(p, 10),
      "version", (json_int_t)db_col_int(p, 11));
  db_reset(p);
  *pRc = 0;
  return pRow;
}

/* The SPEC §4 shape: the row plus "html", the rendered body. NEW. */
static json_t *pm_api(json_t *pRow) {
  json_t *pOut = json_copy(pRow);
  char *zBody = pm_body_fresh(pRow);
  json_object_set_new(pOut, "body", json_string(zBody));
  json_t *pSafe = md_safe_html(zBody);
  free(zBody);
  json_object_set_new(pOut, "html", json_string(md_safe_html_str(pSafe)));
  json_decref(pSafe);
  return pOut;
}

/* Loads the incident (API shape) or fails the request with 404. */
static int load_incident(Req *r, int64_t *pId, json_t **ppInc) {
  int rc = req_param_id(r, "id", pId);
  if (rc) {
    return rc;
  }
  *ppInc = incident_load(*pId);
  if (!*ppInc) {
    return req_fail(r, E_NOTFOUND, "no incident %lld", (long long)*pId);
  }
  return 0;
}

static const char *postmortem_path(Req *r, int64_t id, const char *zTail) {
  char z[96];
  snprintf(z, sizeof(z), "/app/incidents/%lld/postmortem%s", (long long)id,
           zTail);
  return arena_strdup(&r->arena, z);
}

/* Writing ------------------------------------------------------------- */

/* Inserts a revision of zBody by zAuthor (inside the caller's write). */
static int pm_add_revision(int64_t id, const char *zBody, const char *zAuthor,
                           int64_t now) {
  DbStmt *p =
      db_prepare("INSERT INTO postmortem_revisions (incident_id, body, author,"
                 " created_at) VALUES (:id, :body, :author, :now)");
  if (!p) {
    return E_DB;
  }
  db_bind_int(p, ":id", id);
  db_bind_text(p, ":body", zBody);
  db_bind_text(p, ":author", zAuthor);
  db_bind_int(p, ":now", now);
  return db_run(p);
}

/* How long autosaves by one author fold into one revision. */
#define AUTOSAVE_COALESCE_MS (5 * 60 * 1000)

/*
** Records zBody as a revision (inside the caller's write). An autosave
** folds into the newest revision while that is an autosave by the same
** author started less than AUTOSAVE_COALESCE_MS ago, so a session of typing
** is one revision, not one per five seconds. A Save or a status change
** (bAutosave 0) leaves a revision of its own unless the newest already
** holds this text as a Save: when the body is the newest autosave's, that
** one becomes the Save's.
*/
static int pm_record_revision(int64_t id, const char *zBody,
                              const char *zAuthor, int64_t now, int bAutosave,
                              int bBodyChanged, int bStatusChanged) {
  DbStmt *p = db_prepare(
      "SELECT id, author, created_at, autosave, body = :body"
      " FROM postmortem_revisions WHERE incident_id = :id"
      " ORDER BY id DESC LIMIT 1");
  if (!p) {
    return E_DB;
  }
  db_bind_int(p, ":id", id);
  db_bind_text(p, ":body", zBody);
  int64_t lastId = 0, lastAt = 0;
  int bLastAuto = 0, bSameAuthor = 0, bSameBody = 0;
  if (db_step(p) == DB_ROW) {
    lastId = db_col_int(p, 0);
    bSameAuthor = strcmp(db_col_text(p, 1), zAuthor) == 0;
    lastAt = db_col_int(p, 2);
    bLastAuto = db_col_int(p, 3) != 0;
    bSameBody = db_col_int(p, 4) != 0;
  }
  db_reset(p);
  /* What to do: fold into the newest revision, promote it to a Save, add
  ** one, or nothing. A status change always adds one. */
  enum { NOTHING, FOLD, PROMOTE, ADD } what = NOTHING;
  if (bStatusChanged) {
    what = ADD;
  } else if (bAutosave && bLastAuto && bSameAuthor &&
             now - lastAt < AUTOSAVE_COALESCE_MS) {
    what = bBodyChanged ? FOLD : NOTHING;
  } else if (!bAutosave && bLastAuto && bSameBody) {
    what = PROMOTE;
  } else if (bBodyChanged || (!bAutosave && !bSameBody)) {
    what = ADD;
  }
  if (what == NOTHING) {
    return 0;
  }
  if (what == ADD) {
    p = db_prepare("INSERT INTO postmortem_revisions (incident_id, body,"
                   " author, created_at, autosave)"
                   " VALUES (:id, :body, :author, :now, :auto)");
    if (!p) {
      return E_DB;
    }
    db_bind_int(p, ":id", id);
    db_bind_text(p, ":body", zBody);
    db_bind_text(p, ":author", zAuthor);
    db_bind_int(p, ":now", now);
    db_bind_int(p, ":auto", bAutosave);
    return db_run(p);
  }
  if (what == FOLD) {
    p = db_prepare(
        "UPDATE postmortem_revisions SET body = :body WHERE id = :rid");
    if (!p) {
      return E_DB;
    }
    db_bind_text(p, ":body", zBody);
  } else {
    p = db_prepare("UPDATE postmortem_revisions SET autosave = 0,"
                   " author = :author, created_at = :now WHERE id = :rid");
    if (!p) {
      return E_DB;
    }
    db_bind_text(p, ":author", zAuthor);
    db_bind_int(p, ":now", now);
  }
  db_bind_int(p, ":rid", lastId);
  return db_run(p);
}

/* Copies z with CRLF and lone CR turned into LF: browsers post textareas
** with CRLF, scripts with LF, and a diff must not see every line change.
** NEW (free()). */
static char *lf_only(const char *z) {
  char *zOut = xstrdup(z);
  size_t j = 0;
  for (size_t i = 0; z[i]; i++) {
    if (z[i] == '\r') {
      zOut[j++] = '\n';
      i += z[i + 1] == '\n';
    } else {
      zOut[j++] = z[i];
    }
  }
  zOut[j] = 0;
  return zOut;
}

/* A copy of a row for the change log: the body lives in revisions. NEW. */
static json_t *log_copy(json_t *pRow) {
  json_t *p = json_copy(pRow);
  json_object_del(p, "body");
  return p;
}

/*
** Writes pAfter over the stored postmortem of incident id if it is still
** at version, with a revision when the body changed and a change-log row
** (zAction). Returns 0, E_CONFLICT (after req_fail) or E_DB.
*/
static int pm_store(Req *r, int64_t id, int64_t version, json_t *pBefore,
                    json_t *pAfter, const char *zAction) {
  int64_t now = utc_now_ms();
  char *zFresh = pm_body_fresh(pAfter);
  json_object_set_new(pAfter, "body", json_string(zFresh));
  free(zFresh);
  const char *zBody = json_string_value(json_object_get(pAfter, "body"));
  int bBodyChanged =
      strcmp(zBody, json_string_value(json_object_get(pBefore, "body"))) != 0;
  char *zFactors =
      json_dumps(json_object_get(pAfter, "contributing_factors"), 0);
  char *zTags = json_dumps(json_object_get(pAfter, "tags"), 0);
  int rc = db_begin_write();
  if (rc) {
    goto done;
  }
  DbStmt *p =
      db_prepare("UPDATE postmortems SET status = :status, body = :body,"
                 " public_summary = :summary, root_cause_category = :category,"
                 " contributing_factors = :factors, tags = :tags,"
                 " publish_override_reason = :reason, updated_at = :now,"
                 " published_at = CASE WHEN :status = 'published'"
                 "  THEN coalesce(published_at, :now) ELSE NULL END,"
                 " version = version + 1"
                 " WHERE incident_id = :id AND version = :version");
  rc = E_DB;
  if (p) {
    db_bind_text(p, ":status",
                 json_string_value(json_object_get(pAfter, "status")));
    db_bind_text(p, ":body", zBody);
    db_bind_text(p, ":summary",
                 json_string_value(json_object_get(pAfter, "public_summary")));
    db_bind_text(
        p, ":category",
        json_string_value(json_object_get(pAfter, "root_cause_category")));
    db_bind_text(p, ":factors", zFactors);
    db_bind_text(p, ":tags", zTags);
    db_bind_text(
        p, ":reason",
        json_string_value(json_object_get(pAfter, "publish_override_reason")));
    db_bind_int(p, ":now", now);
    db_bind_int(p, ":id", id);
    db_bind_int(p, ":version", version);
    rc = db_run(p);
  }
  if (rc == 0 && db_changes() == 0) {
    rc = req_fail(r, E_CONFLICT, "this postmortem was changed meanwhile");
  }
  /* A status change is a revision too: the text as it was reviewed. */
  int bStatusChanged =
      strcmp(json_string_value(json_object_get(pAfter, "status")),
             json_string_value(json_object_get(pBefore, "status"))) != 0;
  const char *zAuto = req_query(r, "autosave");
  int bAutosave = zAuto && strcmp(zAuto, "1") == 0 && !bStatusChanged;
  if (rc == 0 && (bBodyChanged || bStatusChanged || !bAutosave)) {
    rc = pm_record_revision(id, zBody, r->zUser, now, bAutosave,
                            bBodyChanged, bStatusChanged);
  }
  if (rc == 0) {
    json_t *pB = log_copy(pBefore), *pA = log_copy(pAfter);
    rc = audit_log("postmortem", id, r->zUser, zAction, pB, pA);
    json_decref(pB);
    json_decref(pA);
  }
  rc = rc == 0 ? db_commit() : rc;
  if (rc) {
    db_rollback();
  }
done:
  free(zFactors);
  free(zTags);
  return rc;
}

/* The answer after a write: the page again, or the API shape. */
static int pm_answer(Req *r, int64_t id, const char *zTail) {
  if (!r->bJsonOut) {
    r->zRedirect = postmortem_path(r, id, zTail);
    return 0;
  }
  int rc;
  json_t *pRow = pm_row(id, &rc);
  if (!pRow) {
    return rc;
  }
  r->pModel = pm_api(pRow);
  json_decref(pRow);
  return 0;
}

/* Splits a form's "a, b" (or one item a line) into a list; arrays from
** JSON pass through in_string_list unchanged. */
static int in_list_field(Req *r, json_t *pIn, const char *zField,
                         const char *zSep, json_t **ppList, char *zErr,
                         size_t nErr) {
  json_t *pVal = json_object_get(pIn, zField);
  if (req_is_form(r) && json_is_string(pVal)) {
    json_t *pSplit = json_array();
    const char *z = json_string_value(pVal);
    while (*z) {
      size_t n = strcspn(z, zSep);
      const char *zItem = z;
      size_t nItem = n;
      while (nItem && (*zItem == ' ' || *zItem == '\t')) {
        zItem++;
        nItem--;
      }
      while (nItem && strchr(" \t\r", zItem[nItem - 1])) {
        nItem--;
      }
      if (nItem) {
        json_array_append_new(pSplit, json_stringn(zItem, nItem));
      }
      z += n + (z[n] ? 1 : 0);
    }
    json_t *pWrap = json_pack("{s:o}", zField, pSplit);
    int rc = in_string_list(pWrap, zField, 50, 200, ppList, zErr, nErr);
    json_decref(pWrap);
    return rc;
  }
  return in_string_list(pIn, zField, 50, 200, ppList, zErr, nErr);
}

/* Sets pRow's zField from pIn's, with line ends as lf_only() makes them,
** if pIn has it (up to nMax bytes). 0 or E_INVALID with zErr. */
static int apply_text(json_t *pRow, json_t *pIn, const char *zField,
                      size_t nMax, char *zErr, size_t nErr) {
  const char *z = NULL;
  int rc = in_string(pIn, zField, nMax, 0, &z, NULL, zErr, nErr);
  if (rc == 0 && z) {
    char *zLf = lf_only(z);
    json_object_set_new(pRow, zField, json_string(zLf));
    free(zLf);
  }
  return rc;
}

/*
** Applies the input onto pRow (stored shape): body, public_summary,
** root_cause_category, contributing_factors, tags, and a status change,
** which going forward runs the completeness check: with anything missing
** it needs override_reason, which is then recorded. 0 or E_INVALID with
** zErr.
*/
static int pm_apply(Req *r, json_t *pRow, json_t *pIn, json_t *pInc, char *zErr,
                    size_t nErr) {
  int rc = in_only_known(pIn, azWritable, zErr, nErr);
  if (rc && req_is_form(r)) {
    json_t *pCopy = json_copy(pIn);
    for (int i = 0; azFormMeta[i]; i++) {
      json_object_del(pCopy, azFormMeta[i]);
    }
    rc = in_only_known(pCopy, azWritable, zErr, nErr);
    json_decref(pCopy);
  }
  if (rc) {
    return rc;
  }
  rc = apply_text(pRow, pIn, "body", BODY_MAX, zErr, nErr);
  if (rc) {
    return rc;
  }
  rc = apply_text(pRow, pIn, "public_summary", SUMMARY_MAX, zErr, nErr);
  if (rc) {
    return rc;
  }
  const char *z = NULL;
  rc = in_enum(pIn, "root_cause_category", azRootCause, &z, zErr, nErr);
  if (rc) {
    return rc;
  }
  if (z) {
    json_object_set_new(pRow, "root_cause_category", json_string(z));
  }
  static const struct {
    const char *zField, *zSep;
  } aList[] = {{"tags", ","}, {"contributing_factors", "\n"}};
  for (size_t i = 0; i < sizeof(aList) / sizeof(aList[0]); i++) {
    json_t *pList = NULL;
    rc = in_list_field(r, pIn, aList[i].zField, aList[i].zSep, &pList, zErr,
                       nErr);
    if (rc) {
      return rc;
    }
    if (pList) {
      json_object_set_new(pRow, aList[i].zField, pList);
    }
  }
  const char *zReason = NULL;
  rc = in_string(pIn, "override_reason", REASON_MAX, 0, &zReason, NULL, zErr,
                 nErr);
  if (rc) {
    return rc;
  }
  z = NULL;
  rc = in_enum(pIn, "status", azPostmortemStatus, &z, zErr, nErr);
  if (rc) {
    return rc;
  }
  const char *zOld = json_string_value(json_object_get(pRow, "status"));
  if (z && enum_index(azPostmortemStatus, z) >
               enum_index(azPostmortemStatus, zOld)) {
    json_t *pMissing =
        pm_missing(pInc, json_string_value(json_object_get(pRow, "body")));
    size_t nMissing = json_array_size(pMissing);
    if (nMissing && (!zReason || !zReason[strspn(zReason, " \t\r\n")])) {
      size_t n =
          (size_t)snprintf(zErr, nErr, "status: the postmortem is incomplete:");
      size_t i;
      json_t *pItem;
      json_array_foreach(pMissing, i, pItem) {
        if (n < nErr) {
          n += (size_t)snprintf(zErr + n, nErr - n, " %s",
                                json_string_value(pItem));
        }
      }
      if (n < nErr) {
        snprintf(zErr + n, nErr - n,
                 " Give an override_reason to move it on anyway.");
      }
      json_decref(pMissing);
      return E_INVALID;
    }
    json_decref(pMissing);
    json_object_set_new(pRow, "publish_override_reason",
                        nMissing ? json_string(zReason) : json_null());
  }
  if (z) {
    json_object_set_new(pRow, "status", json_string(z));
  }
  return 0;
}

/* Handlers ------------------------------------------------------------ */

/* Enumerations and the incident's action items for the editor page. */
static void add_editor_view(Req *r, json_t *pInc, json_t *pRow,
                            const ViewTz *pVt) {
  int64_t id = json_integer_value(json_object_get(pInc, "id"));
  r->pView = json_pack(
      "{s:O, s:o, s:o, s:o, s:o, s:o, s:o, s:s, s:s, s:I}", "incident", pInc,
      "statuses", enum_json(azPostmortemStatus), "root_causes",
      enum_json(azRootCause), "action_types", enum_json(azActionType),
      "action_priorities", enum_json(azActionPriority), "action_statuses",
      enum_json(azActionStatus), "actions", action_for_incident(id),
      "page_script", "postmortem.js", "return_to", "postmortem",
      "action_incident_id", (json_int_t)id);
  json_object_set_new(r->pView, "user_names", users_names());
  json_object_set_new(r->pView, "action_request_key", request_key_new());
  if (!pRow) {
    return;
  }
  char *zBody = pm_body_view(pRow, pInc, pVt);
  json_object_set_new(r->pView, "body_html", md_safe_html(zBody));
  /* app.js fetches the page again when it was written in another zone. */
  json_object_set_new(r->pView, "view_tz",
                      json_string(pVt && pVt->zName[0] ? pVt->zName : "UTC"));
  json_object_set_new(r->pView, "missing", pm_missing(pInc, zBody));
  json_object_set_new(r->pView, "hints", pm_hints(zBody));
  free(zBody);
  json_t *pTags = json_object_get(pRow, "tags");
  Buf b;
  buf_init(&b, 64 << 10);
  size_t i;
  json_t *pItem;
  json_array_foreach(pTags, i, pItem) {
    buf_printf(&b, "%s%s", i ? ", " : "", json_string_value(pItem));
  }
  json_object_set_new(r->pView, "tags_text", json_string(buf_str(&b)));
  buf_reset(&b);
  json_array_foreach(json_object_get(pRow, "contributing_factors"), i, pItem) {
    buf_printf(&b, "%s%s", i ? "\n" : "", json_string_value(pItem));
  }
  json_object_set_new(r->pView, "factors_text", json_string(buf_str(&b)));
  buf_free(&b);
  const char *zStatus = json_string_value(json_object_get(pRow, "status"));
  int iStatus = enum_index(azPostmortemStatus, zStatus);
  if (iStatus < 2) {
    json_object_set_new(r->pView, "next_status",
                        json_string(azPostmortemStatus[iStatus + 1]));
  }
  if (iStatus > 0) {
    json_object_set_new(r->pView, "prev_status",
                        json_string(azPostmortemStatus[iStatus - 1]));
  }
}

int postmortem_get(Req *r) {
  int64_t id;
  json_t *pInc = NULL;
  ViewTz vt;
  int rc = viewtz_get(r, &vt);
  if (rc) {
    return rc;
  }
  rc = load_incident(r, &id, &pInc);
  if (rc) {
    viewtz_done(&vt);
    return rc;
  }
  json_t *pRow = pm_row(id, &rc);
  if (!pRow && rc == E_NOTFOUND && !r->bJsonOut) {
    /* The page offers "Draft postmortem". */
    r->pModel =
        json_pack("{s:I, s:b}", "incident_id", (json_int_t)id, "exists", 0);
    add_editor_view(r, pInc, NULL, NULL);
    rc = 0;
  } else if (!pRow) {
    rc = rc == E_NOTFOUND
             ? req_fail(r, rc, "incident %lld has no postmortem yet",
                        (long long)id)
             : rc;
  } else {
    r->pModel = pm_api(pRow);
    json_object_set_new(r->pModel, "exists", json_true());
    if (!r->bJsonOut) {
      add_editor_view(r, pInc, pRow, &vt);
    }
    /* The page's times follow the zone: a zone change is a new entity. */
    char zEtag[128];
    snprintf(zEtag, sizeof(zEtag), "\"%lld%s%s\"",
             (long long)json_integer_value(json_object_get(pRow, "version")),
             vt.zName[0] ? "-" : "", vt.zName);
    r->zEtag = arena_strdup(&r->arena, zEtag);
  }
  r->zTemplate = "postmortem";
  Buf title;
  buf_init(&title, 512);
  buf_printf(&title, "Postmortem: %s",
             json_string_value(json_object_get(pInc, "title")));
  r->zTitle = arena_strdup(&r->arena, buf_str(&title));
  buf_free(&title);
  json_decref(pRow);
  json_decref(pInc);
  viewtz_done(&vt);
  return rc;
}

int postmortem_create(Req *r) {
  int64_t id;
  json_t *pInc = NULL;
  int rc = load_incident(r, &id, &pInc);
  if (rc) {
    return rc;
  }
  json_t *pIn = NULL;
  rc = req_input(r, &pIn);
  if (rc) {
    json_decref(pInc);
    return rc;
  }
  /* An admin may add templates/postmortem_NAME.md; default by default. */
  const char *zName = json_string_value(json_object_get(pIn, "template"));
  if (!zName || !*zName) {
    zName = "default";
  }
  if (strlen(zName) > 40 ||
      strspn(zName, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(zName)) {
    json_decref(pInc);
    return req_fail(r, E_INVALID, "template: must be a template name");
  }
  char zPath[80];
  snprintf(zPath, sizeof(zPath), "templates/postmortem_%s.md", zName);
  size_t nTmpl = 0;
  char *zTmpl = asset_load(zPath, &nTmpl);
  if (!zTmpl) {
    json_decref(pInc);
    return req_fail(r, E_INVALID, "template: no template named %s", zName);
  }
  Buf body;
  buf_init(&body, BODY_MAX);
  pm_fill(zTmpl, pInc, NULL, NULL, &body);
  free(zTmpl);
  json_decref(pInc);
  if (buf_err(&body)) {
    buf_free(&body);
    return req_fail(r, E_TOOBIG, "the drafted postmortem is too large");
  }
  int64_t now = utc_now_ms();
  rc = db_begin_write();
  if (rc == 0) {
    DbStmt *p = db_prepare(
        "INSERT INTO postmortems (incident_id, body, created_by, created_at,"
        " updated_at) VALUES (:id, :body, :actor, :now, :now)");
    rc = E_DB;
    if (p) {
      db_bind_int(p, ":id", id);
      db_bind_text(p, ":body", buf_str(&body));
      db_bind_text(p, ":actor", r->zUser);
      db_bind_int(p, ":now", now);
      rc = db_run(p);
    }
    if (rc == E_CONFLICT) {
      req_fail(r, rc, "incident %lld already has a postmortem", (long long)id);
    }
    if (rc == 0) {
      rc = pm_add_revision(id, buf_str(&body), r->zUser, now);
    }
    if (rc == 0) {
      rc = audit_log("postmortem", id, r->zUser, "create", NULL, NULL);
    }
    rc = rc == 0 ? db_commit() : rc;
    if (rc) {
      db_rollback();
    }
  }
  buf_free(&body);
  if (rc) {
    return rc;
  }
  r->status = r->bJsonOut ? 201 : 0;
  return pm_answer(r, id, "");
}

/* Loads what an edit needs: incident, stored row, input, edited version.
** On failure everything is released and the rc returned. */
static int pm_begin_edit(Req *r, int64_t *pId, json_t **ppInc, json_t **ppRow,
                         json_t **ppIn, int64_t *pVersion) {
  int rc = load_incident(r, pId, ppInc);
  if (rc) {
    return rc;
  }
  rc = req_input(r, ppIn);
  if (rc == 0) {
    rc = req_version(r, *ppIn, pVersion);
  }
  if (rc == 0) {
    *ppRow = pm_row(*pId, &rc);
    if (rc == E_NOTFOUND) {
      req_fail(r, rc, "incident %lld has no postmortem yet", (long long)*pId);
    }
  }
  if (rc == 0) {
    int64_t current = json_integer_value(json_object_get(*ppRow, "version"));
    if (current != *pVersion) {
      r->pErrCurrent = pm_api(*ppRow);
      rc = req_fail(r, E_CONFLICT,
                    "this postmortem was changed by someone else (version "
                    "%lld, you edited %lld); review it and apply your edit "
                    "again",
                    (long long)current, (long long)*pVersion);
    }
  }
  if (rc) {
    json_decref(*ppInc);
    json_decref(*ppRow);
    *ppInc = *ppRow = NULL;
  }
  return rc;
}

int postmortem_update(Req *r) {
  int64_t id, version = 0;
  json_t *pInc = NULL, *pBefore = NULL, *pIn = NULL;
  int rc = pm_begin_edit(r, &id, &pInc, &pBefore, &pIn, &version);
  if (rc) {
    return rc;
  }
  json_t *pAfter = json_deep_copy(pBefore);
  char zErr[2048];
  rc = pm_apply(r, pAfter, pIn, pInc, zErr, sizeof(zErr));
  if (rc) {
    rc = req_fail(r, rc, "%s", zErr);
  } else {
    rc = pm_store(r, id, version, pBefore, pAfter, "update");
  }
  if (rc == 0) {
    rc = pm_answer(r, id, "");
  }
  json_decref(pAfter);
  json_decref(pBefore);
  json_decref(pInc);
  return rc;
}

int postmortem_refresh(Req *r) {
  int64_t id, version = 0;
  json_t *pInc = NULL, *pBefore = NULL, *pIn = NULL;
  int rc = pm_begin_edit(r, &id, &pInc, &pBefore, &pIn, &version);
  if (rc) {
    return rc;
  }
  Buf body;
  buf_init(&body, BODY_MAX);
  pm_fill(json_string_value(json_object_get(pBefore, "body")), pInc, NULL,
          NULL, &body);
  json_t *pAfter = json_deep_copy(pBefore);
  if (buf_err(&body)) {
    rc = req_fail(r, E_TOOBIG, "the refreshed postmortem is too large");
  } else {
    json_object_set_new(pAfter, "body", json_string(buf_str(&body)));
    rc = pm_store(r, id, version, pBefore, pAfter, "refresh");
  }
  if (rc == 0) {
    rc = pm_answer(r, id, "");
  }
  buf_free(&body);
  json_decref(pAfter);
  json_decref(pBefore);
  json_decref(pInc);
  return rc;
}

/* Reads revision rid of incident id: its body (NEW, free()) or NULL. */
static char *revision_body(int64_t id, int64_t rid) {
  DbStmt *p = db_prepare("SELECT body FROM postmortem_revisions"
                               " WHERE id = :rid AND incident_id = :id");
  if (!p) {
    return NULL;
  }
  db_bind_int(p, ":rid", rid);
  db_bind_int(p, ":id", id);
  char *z = db_step(p) == DB_ROW ? xstrdup(db_col_text(p, 0)) : NULL;
  db_reset(p);
  return z;
}

static int query_id(Req *r, const char *zName, int64_t *pId) {
  const char *z = req_query(r, zName);
  if (!z || !*z) {
    *pId = 0;
    return 0;
  }
  char *zEnd;
  long long v = strtoll(z, &zEnd, 10);
  if (*zEnd || v < 1) {
    return req_fail(r, E_INVALID, "%s: must be a revision id", zName);
  }
  *pId = v;
  return 0;
}

int postmortem_revisions(Req *r) {
  int64_t id, iFrom = 0, iTo = 0;
  json_t *pInc = NULL;
  int rc = load_incident(r, &id, &pInc);
  if (rc == 0) {
    rc = query_id(r, "from", &iFrom);
  }
  if (rc == 0) {
    rc = query_id(r, "to", &iTo);
  }
  if (rc) {
    json_decref(pInc);
    return rc;
  }
  /* Revisions are numbered per postmortem (1 is the draft); "n" counts the
  ** ones before, so the newest 500 still carry their true numbers. */
  DbStmt *p = db_prepare(
      "SELECT r.id, r.author, r.created_at, length(r.body), r.autosave,"
      " (SELECT count(*) FROM postmortem_revisions o"
      "  WHERE o.incident_id = r.incident_id AND o.id <= r.id)"
      " FROM postmortem_revisions r"
      " WHERE r.incident_id = :id ORDER BY r.id DESC LIMIT 500");
  if (!p) {
    json_decref(pInc);
    return E_DB;
  }
  db_bind_int(p, ":id", id);
  json_t *pList = json_array();
  json_int_t nFrom = 0, nTo = 0;
  while (db_step(p) == DB_ROW) {
    json_int_t rid = (json_int_t)db_col_int(p, 0);
    json_int_t n = (json_int_t)db_col_int(p, 5);
    nFrom = rid == iFrom ? n : nFrom;
    nTo = rid == iTo ? n : nTo;
    json_array_append_new(
        pList,
        json_pack("{s:I, s:I, s:s, s:o, s:I, s:b}", "id", rid, "n", n,
                  "author", db_col_text(p, 1), "created_at", dbjson_time(p, 2),
                  "bytes", (json_int_t)db_col_int(p, 3), "autosave",
                  (int)db_col_int(p, 4)));
  }
  db_reset(p);
  r->pModel = json_pack("{s:I, s:o}", "incident_id", (json_int_t)id,
                        "revisions", pList);
  if (iFrom && iTo) {
    char *zA = revision_body(id, iFrom);
    char *zB = revision_body(id, iTo);
    if (!zA || !zB) {
      rc = req_fail(r, E_NOTFOUND, "no such revision of this postmortem");
    } else {
      int nAdd = 0, nDel = 0;
      json_t *pDiff = diff_lines(zA, zB, &nAdd, &nDel);
      json_object_set_new(r->pModel, "diff",
                          json_pack("{s:I, s:I, s:I, s:I, s:i, s:i, s:o}",
                                    "from", (json_int_t)iFrom, "to",
                                    (json_int_t)iTo, "from_n", nFrom, "to_n",
                                    nTo, "added", nAdd, "removed", nDel,
                                    "lines", pDiff));
    }
    free(zA);
    free(zB);
  }
  r->pView = json_pack("{s:O}", "incident", pInc);
  json_decref(pInc);
  r->zTemplate = "postmortem_revisions";
  r->zTitle = "Postmortem revisions";
  return rc;
}

/* Exports ------------------------------------------------------------- */

/* What both exports start from. */
typedef struct Export {
  int64_t id;   /* the incident */
  json_t *pInc; /* NEW: the incident (API shape) */
  json_t *pRow; /* NEW: its postmortem's stored row */
  ViewTz vt;    /* the viewer's time zone */
} Export;

/* Fills *p for the request's incident; on success export_close() releases
** it, on failure nothing is held. */
static int export_open(Req *r, Export *p) {
  int rc = viewtz_get(r, &p->vt);
  if (rc) {
    return rc;
  }
  rc = load_incident(r, &p->id, &p->pInc);
  if (rc) {
    viewtz_done(&p->vt);
    return rc;
  }
  p->pRow = pm_row(p->id, &rc);
  if (!p->pRow) {
    json_decref(p->pInc);
    viewtz_done(&p->vt);
    return rc == E_NOTFOUND ? req_fail(r, rc, "no postmortem here") : rc;
  }
  return 0;
}

static void export_close(Export *p) {
  json_decref(p->pRow);
  json_decref(p->pInc);
  viewtz_done(&p->vt);
}

/* Content-Disposition for an export of incident id, zExt "md" or "html". */
static void export_name(Req *r, int64_t id, const char *zExt) {
  char z[96];
  snprintf(z, sizeof(z), "attachment; filename=\"postmortem-%lld.%s\"",
           (long long)id, zExt);
  r->zDisposition = arena_strdup(&r->arena, z);
}

int postmortem_export_md(Req *r) {
  Export x;
  int rc = export_open(r, &x);
  if (rc) {
    return rc;
  }
  r->zRaw = pm_body_view(x.pRow, x.pInc, &x.vt);
  r->nRaw = strlen(r->zRaw);
  r->zRawType = "text/markdown; charset=utf-8";
  export_name(r, x.id, "md");
  export_close(&x);
  return 0;
}

int postmortem_export_html(Req *r) {
  Export x;
  int rc = export_open(r, &x);
  if (rc) {
    return rc;
  }
  r->pModel = pm_api(x.pRow);
  char *zBody = pm_body_view(x.pRow, x.pInc, &x.vt);
  int64_t savedMs = 0;
  const char *zSaved =
      json_string_value(json_object_get(r->pModel, "updated_at"));
  char zSavedAt[40] = "";
  if (zSaved && utc_parse_iso(zSaved, strlen(zSaved), &savedMs) == 0) {
    viewtz_format(&x.vt, savedMs, 1, zSavedAt);
  }
  r->pView = json_pack("{s:O, s:o, s:s}", "incident", x.pInc, "body_html",
                       md_safe_html(zBody), "saved_at", zSavedAt);
  free(zBody);
  /* One file with its own styles and no scripts: opened from disk it
  ** needs nothing else, and its own CSP keeps it script-free there. */
  r->zTemplate = "postmortem_export";
  r->zLayout = "bare";
  export_name(r, x.id, "html");
  export_close(&x);
  return 0;
}

int postmortem_preview(Req *r) {
  json_t *pIn = NULL;
  int rc = req_input(r, &pIn);
  if (rc) {
    return rc;
  }
  static const char *const azKnown[] = {"markdown", "incident_id", NULL};
  char zErr[256];
  const char *z = "";
  rc = in_only_known(pIn, azKnown, zErr, sizeof(zErr));
  if (rc == 0) {
    rc = in_string(pIn, "markdown", BODY_MAX, 0, &z, NULL, zErr, sizeof(zErr));
  }
  json_t *pId = json_object_get(pIn, "incident_id");
  if (rc == 0 && pId && (!json_is_integer(pId) || json_integer_value(pId) < 1)) {
    snprintf(zErr, sizeof(zErr), "incident_id: must be an incident id");
    rc = E_INVALID;
  }
  if (rc) {
    return req_fail(r, rc, "%s", zErr);
  }
  json_t *pSafe = md_safe_html(z);
  r->pModel = json_pack("{s:s, s:o}", "html", md_safe_html_str(pSafe), "hints",
                        pm_hints(z));
  json_decref(pSafe);
  /* With incident_id, the editor's checklist follows the text too. */
  if (pId) {
    json_t *pInc = incident_load(json_integer_value(pId));
    if (!pInc) {
      return req_fail(r, E_NOTFOUND, "no incident %lld",
                      (long long)json_integer_value(pId));
    }
    json_object_set_new(r->pModel, "missing", pm_missing(pInc, z));
    json_decref(pInc);
  }
  return 0;
}
