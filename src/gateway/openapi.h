/* openapi.h: an OpenAPI 3.0.3 document describing the gateway's routes, generated at run time from
 * the descriptor pool and the route table (for GET /openapi.json and for client generators).
 *
 * What it documents, per route (custom HTTP methods such as LOCK, which OpenAPI cannot name, go in a
 * path item extension "x-custom-method-<METHOD>" holding the same operation object; a route OpenAPI
 * cannot tell from an earlier one with the same method, such as GET /v1/{b=**} after GET /v1/{a},
 * goes in the path item's "x-more-operations" list as {"method": ..., "operation": ...}):
 *   - the operation: operationId <Service>_<Method> (suffixed _2, _3 ... for further bindings),
 *     summary = the full gRPC method name, tags = [the full service name];
 *   - path parameters: OpenAPI paths cannot hold google.api.http sub-patterns, so a variable's
 *     literal segments are written into the path and each of its wildcards becomes a parameter (the
 *     examples write a wildcard segment as STAR): `{name}` and `{name=STAR}` give `/{name}`, named as
 *     written; `{name=shelves/STAR}` gives `/shelves/{name}`; `{name=shelves/STAR/books/STAR}` gives
 *     `/shelves/{name.shelves}/books/{name.books}` (with several wildcards, each is named after the
 *     literal before it, or numbered); a wildcard outside any variable is `{wildcardN}`. Each
 *     parameter's description says which field it sets and to what. Paths that differ only in
 *     parameter names share the first route's names (OpenAPI treats them as one path). A `**` part
 *     takes several segments: its '/' must be sent as is, not as %2F;
 *   - query parameters: the request fields bound by neither the path nor the body, dotted for fields
 *     of nested messages (up to OPENAPI_MAX_QUERY_DEPTH levels, a message never inside itself),
 *     repeated fields as arrays (repeat the key), enums as string enums, maps as deepObject
 *     (`field[key]=value`), well-known types in their string forms; fields without a text form
 *     (other messages in lists, Any, Empty) are left out;
 *   - the request body: the message (body "*") or the body field; client and bidirectional streams
 *     take a sequence of JSON values, one per message;
 *   - responses: 200 with the response message (or the response_body field); server and
 *     bidirectional streams as application/x-ndjson lines {"result": ...} / {"error": Status} and
 *     as text/event-stream; `default`: the google.rpc.Status error body.
 * components.schemas holds every message and enum reachable from the routes, in the proto3 JSON
 * mapping (64-bit integers as strings, bytes as base64 strings, enums by name or number per the
 * options, maps as objects, well-known types in their JSON forms), with property names as the
 * gateway prints them (json_name, or proto names with o->proto_names).
 *
 * Pure: reads the pool and routes, writes `out`; safe on any thread. Generating costs about as much
 * as printing the document, so callers that serve it often should render once and keep the text. */
#ifndef GW_OPENAPI_H
#define GW_OPENAPI_H

#include "buf.h"
#include "descpool.h"
#include "error.h"
#include "router.h"
#include "transcode.h"

#define OPENAPI_MAX_QUERY_DEPTH 3       /* nested messages flattened into dotted query parameters */
#define OPENAPI_CONTENT_TYPE "application/json"

/* Appends the document (indented JSON text) to `out`. Routes without a method (as tests add them)
 * are not documented. Errors: INTERNAL when the document cannot be printed; `out` is then left as
 * it was. */
gw_err *openapi_render(const descpool *pool, const router *r, const json_opts *o, buf *out);

/* The same with more path items: `extra_paths` is the JSON text of an object mapping paths to OpenAPI
 * path items (the gateway's own endpoints, such as /healthz; they may refer to
 * #/components/schemas/google.rpc.Status), added after the routes. NULL adds nothing. Errors
 * (INVALID_ARGUMENT): text that is not such an object, a path not starting with '/', a path the
 * routes already document. */
gw_err *openapi_render_with(const descpool *pool, const router *r, const json_opts *o, const char *extra_paths,
                            buf *out);

#endif
