/* status_map.h: gRPC status <-> HTTP: the status code table and the google.rpc.Status JSON body
 * that every error response carries (the gateway's own errors and the backend's alike). */
#ifndef GW_STATUS_MAP_H
#define GW_STATUS_MAP_H

#include <stddef.h>
#include <stdint.h>

#include <grpc/status.h>

#include "buf.h"
#include "descpool.h"
#include "transcode.h"

/* HTTP status for a gRPC code (OK 200, CANCELLED 499, UNKNOWN 500, INVALID_ARGUMENT 400,
 * DEADLINE_EXCEEDED 504, NOT_FOUND 404, ALREADY_EXISTS 409, PERMISSION_DENIED 403,
 * RESOURCE_EXHAUSTED 429, FAILED_PRECONDITION 400, ABORTED 409, OUT_OF_RANGE 400,
 * UNIMPLEMENTED 501, INTERNAL 500, UNAVAILABLE 503, DATA_LOSS 500, UNAUTHENTICATED 401; other 500). */
unsigned status_to_http(grpc_status_code code);

/* Appends {"code":N,"message":"...","details":[...]} to out. `details_bin` is the raw value of the
 * backend's grpc-status-details-bin trailer (an encoded google.rpc.Status) or NULL; its `details`
 * (each a google.protobuf.Any) are rendered through the pool, as {"@type": ..., fields...} when the
 * type is known and {"@type": ..., "value": "<base64>"} otherwise. A details blob that does not
 * decode is left out rather than failing the response. */
void status_write_json(buf *out, const descpool *pool, const json_opts *o, grpc_status_code code,
                       const char *message, size_t message_len, const uint8_t *details_bin,
                       size_t details_len);

#endif
