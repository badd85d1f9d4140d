/* bind.h: assembles the JSON form of a request message from the parts of an HTTP request: the body
 * (per the rule's `body`), the path variables and the query parameters. The result goes to
 * json_to_pb(), so there is one path from HTTP to protobuf whatever the binding. */
#ifndef GW_BIND_H
#define GW_BIND_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "descpool.h"
#include "error.h"
#include "router.h"
#include "transcode.h"

#define BIND_MAX_FIELD_DEPTH 32       /* parts of a dotted query key or path variable ("a.b.c" is 3) */

/* One query parameter as received: '+' already turned into a space, %XX escapes still in place. */
typedef struct query_param {
    const char *key;
    const char *value;                /* "" for a key without '=' */
} query_param;

/* Builds the request message's JSON object for a matched route.
 *   body: the parsed request body, or NULL when the request had none. Ownership passes to bind_request
 *         (it is used in place or released).
 * Path variables are converted to the JSON form of their field's type and set at their dotted field
 * path (creating nested objects); they override what the body set. Query parameters bind fields
 * that neither the path nor the body binds: `a.b=v` for nested fields, repeated keys for repeated
 * fields, enums by name or number, well-known types from their string forms (Timestamp, Duration,
 * FieldMask, wrappers, ...). A query parameter naming no field, or a field already bound by the path
 * or the body, is INVALID_ARGUMENT naming it unless o->allow_unknown (then it is ignored).
 * A map entry is set with `field[key]=value`; a second value for a singular field, or a second member
 * of a oneof, is INVALID_ARGUMENT. Empty components (no key, no value: "?&a=1") are skipped.
 * A route without a body binding rejects a body (`body` not NULL: "this method takes no request
 * body"); with body "*" every field is bound by the body, so any query parameter counts as already
 * bound. Errors name the parameter or variable and the field.
 * On success *out is a new reference the caller releases with json_decref(). */
gw_err *bind_request(const descpool *pool, const route_match *m, json_t *body, const query_param *query,
                     size_t n_query, const json_opts *o, json_t **out);

/* Converts the text form of one value to the JSON form of field f's type (a path or query value):
 * bool from "true"/"false"/"1"/"0", enums by name or number, numbers kept as strings where proto3
 * JSON accepts strings, messages with a string form (Timestamp, Duration, FieldMask, wrappers) from
 * that form, Struct / ListValue / Value from JSON text. An enum name that the enum lacks is passed on
 * as a string (the transcoder rejects it, or applies allow_unknown). For a repeated field it converts
 * one element. Returns a new reference, or NULL with *err set. */
json_t *bind_text_value(const pb_field *f, const char *text, size_t len, gw_err **err);

#endif
