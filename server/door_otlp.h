/*
** door_otlp.h: decoding OTLP/HTTP log exports (POST /v1/logs):
** ExportLogsServiceRequest from opentelemetry-proto logs/v1, in the OTLP
** JSON encoding (camelCase names, int64 as strings, hex ids) and in
** protobuf. Resource attributes, then log attributes, then severity map to
** source, component and level through door_labels.c. A record whose body
** is not a scalar is handed over as rejected (zReject), for the answer's
** partial_success. The handler is in door_http.c.
**
** Pure; bounded by the input. Threading: none.
*/
#ifndef HS_DOOR_OTLP_H
#define HS_DOOR_OTLP_H

#include <stddef.h>

#include "door_labels.h"

/* Each returns 0; E_INVALID with a reason in zErr (nErr bytes) for a
** malformed body; or the first nonzero value xEmit returned. */
int otlp_decode_json(const void *p, size_t n, DoorEmit xEmit, void *pArg,
                     char *zErr, size_t nErr);
int otlp_decode_proto(const void *p, size_t n, DoorEmit xEmit, void *pArg,
                      char *zErr, size_t nErr);

#endif
