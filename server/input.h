/*
** input.h: validating fields of a JSON object that came from a request
** body, an HTML form or the CLI. Each getter returns 0 and the value, or
** E_INVALID with a message that names the field written into zErr[nErr].
** An absent field leaves the out-value untouched and sets nothing, so
** callers can preset defaults. Pure functions; thread-safe.
*/
#ifndef HS_INPUT_H
#define HS_INPUT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define IN_UNSET INT64_MIN /* an absent or null time */

/* 1 if z[0..n) is valid UTF-8 with no NUL, no overlong forms, no
** surrogates. */
int utf8_valid(const char *z, size_t n);

/* A string of at most nMax bytes. bLine: one line, no control characters.
** *pbSet is set to 1 when the field was present (may be NULL). *pz is
** BORROWED from pIn. */
int in_string(json_t *pIn, const char *zField, size_t nMax, int bLine,
              const char **pz, int *pbSet, char *zErr, size_t nErr);
/* A string that must be one of the NULL-terminated azAllowed. */
int in_enum(json_t *pIn, const char *zField, const char *const *azAllowed,
            const char **pz, char *zErr, size_t nErr);
/* A time: RFC 3339 string, "YYYY-MM-DDTHH:MM" (UTC), epoch seconds or
** milliseconds as a number; null or "" clears it (*pMs = IN_UNSET).
** *pbSet is set to 1 when present. */
int in_time(json_t *pIn, const char *zField, int64_t *pMs, int *pbSet,
            char *zErr, size_t nErr);
/* A boolean: true/false, or from forms "1"/"0"/"on"/"off"/"true"/"false"/
** "yes"/"no". */
int in_bool(json_t *pIn, const char *zField, int *pb, char *zErr,
            size_t nErr);
/* A list of one-line strings (an array, or one string from a form).
** *ppList is a NEW array (json_decref) when present. */
int in_string_list(json_t *pIn, const char *zField, size_t nMaxItems,
                   size_t nMaxLen, json_t **ppList, char *zErr, size_t nErr);
/* Refuses keys not in the NULL-terminated azKnown (a typo must not pass
** silently). */
int in_only_known(json_t *pIn, const char *const *azKnown, char *zErr,
                  size_t nErr);

/* Index of z in the NULL-terminated list az, or -1. */
int enum_index(const char *const *az, const char *z);
/* The list as a NEW JSON array of strings. */
json_t *enum_json(const char *const *az);

/* SPEC §3 enumerations, NULL-terminated. */
extern const char *const azSeverity[];
extern const char *const azIncidentStatus[];
extern const char *const azImpact[];
extern const char *const azComponentStatus[];
extern const char *const azPostmortemStatus[];
extern const char *const azRootCause[];
extern const char *const azActionType[];
extern const char *const azActionPriority[];
extern const char *const azActionStatus[];
extern const char *const azMaintStatus[];

#endif
