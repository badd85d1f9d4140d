/* transcode.h: proto3 JSON <-> protobuf wire format, driven by the descriptor pool at run time.
 *
 * Pure functions: no I/O, no globals, safe on any thread. Input JSON arrives as a jansson tree; output
 * JSON is written straight into a buf as compact text (no intermediate json_t), which is the hot path
 * of every response. Implemented in json2pb.c (JSON -> protobuf), pb2json.c (protobuf -> JSON) and
 * wkt.c (the well-known types' special forms), on top of pbwire.h (the wire-format primitives). */
#ifndef GW_TRANSCODE_H
#define GW_TRANSCODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "buf.h"
#include "descpool.h"
#include "error.h"

#define JSON_DEFAULT_MAX_DEPTH 64   /* nesting of messages / Struct values, in and out */

/* The JSON printing and parsing options (the gateway's --emit-defaults, --proto-names,
 * --enums-as-ints, --allow-unknown-fields flags). */
typedef struct json_opts {
    bool emit_defaults;   /* output: also print unpopulated fields, as protojson's EmitUnpopulated
                           * does: implicit-presence scalars at their default (0, "", false, the enum's
                           * zero value, "0" for 64-bit), [] for repeated fields, {} for maps, and
                           * null for unset singular message fields (well-known types included).
                           * Unset oneof members, proto3 `optional` and proto2 scalars stay omitted. */
    bool proto_names;     /* output: proto field names instead of lowerCamelCase json_name */
    bool enums_as_ints;   /* output: enum numbers instead of names */
    bool allow_unknown;   /* input: ignore unknown fields (and unknown enum names, which become the
                           * default) instead of failing */
    int max_depth;        /* nesting limit; 0 means JSON_DEFAULT_MAX_DEPTH; capped at 512. A level is
                           * a message or a google.protobuf.Value (a Struct or ListValue is the JSON
                           * object or array of its Value, not a level of its own) */
} json_opts;

/* Encodes `json` as message `m` and appends the wire bytes to `out` (fields in the JSON's member
 * order; on error `out` is left as it was). `json` is normally an object; a well-known type takes
 * its special form (a string for Timestamp, any value for Value, ...).
 *
 * Input rules (proto3 JSON): fields by json_name or proto name; null means unset (for Value it is
 * NullValue); integers as JSON numbers or strings, exponents allowed ("1e2"), 1.0 accepted, 1.5
 * and out-of-range values refused; floats as numbers or "NaN", "Infinity", "-Infinity" or numeric
 * strings; bytes as standard or URL-safe base64, padding optional; enums by name or number; two
 * members of one oneof, or one field by both of its names, are errors; Any's "@type" may be
 * anywhere in its object, and {"@type": url, "value": base64} is accepted for a type the pool
 * does not know (the form pb_to_json prints for one).
 * jansson: integers arrive as json_integer (int64) and reals as json_real; both are accepted for
 * every numeric field. The gateway parses bodies without JSON_DECODE_INT_AS_REAL, so jansson
 * itself refuses unquoted integers beyond int64: a uint64 above 2^63-1 must be sent as a string
 * (which is also how pb_to_json prints it).
 * Errors are INVALID_ARGUMENT and name the field path (as the client spelled it), for example
 *   "invalid value for field 'items[2].price' (double): expected a number, got a string" or
 *   "unknown field 'nme' in message helloworld.HelloRequest". */
gw_err *json_to_pb(const descpool *pool, const pb_msg *m, const json_t *json, const json_opts *o, buf *out);

/* Renders the wire bytes p[0..n) of message `m` as JSON text appended to `out` (compact, fields in
 * field-number order, map entries sorted by key; on error `out` is left as it was).
 * Output rules (proto3 JSON): lowerCamelCase json_name (proto names with o->proto_names); 64-bit
 * integers as strings; floats in the shortest form that reads back exactly (negative zero as
 * -0.0, which jansson reads back as a real), NaN and infinities as "NaN", "Infinity", "-Infinity";
 * bytes as padded standard base64; enums by name, or the number when it has none (NullValue is
 * always null); strings that are not UTF-8 get U+FFFD; unknown fields skipped; proto2 groups
 * skipped. Repeated values may arrive packed
 * or not; a singular field given twice keeps the last value (messages merge), a oneof its last
 * member, a map its last entry per key. An Any whose type the pool lacks prints as
 * {"@type": url, "value": "<base64>"}.
 * Malformed wire data is INTERNAL (the backend sent something its own descriptor does not allow),
 * and so are values JSON cannot carry (a Timestamp out of range, a Value holding NaN). */
gw_err *pb_to_json(const descpool *pool, const pb_msg *m, const uint8_t *p, size_t n, const json_opts *o,
                   buf *out);

/* Renders only field `f` of message `m` (the http rule's response_body): its JSON value as it would
 * appear in the message, or the field type's default form when absent (`{}` for a message, `[]` for a
 * repeated field, `""`, 0, ...). */
gw_err *pb_field_to_json(const descpool *pool, const pb_msg *m, const pb_field *f, const uint8_t *p,
                         size_t n, const json_opts *o, buf *out);

/* Renders a google.protobuf.Any given as its two parts (for google.rpc.Status details):
 * {"@type": url, ...fields} when the type is in the pool, else {"@type": url, "value": "<base64>"}. */
gw_err *pb_any_to_json(const descpool *pool, const char *type_url, size_t url_len, const uint8_t *value,
                       size_t value_len, const json_opts *o, buf *out);

/* Appends `s[0..n)` as a JSON string literal (quotes included), escaping as RFC 8259 requires plus
 * '<', '>', '&' and U+2028/U+2029 (safe inside HTML and JavaScript). Invalid UTF-8 becomes U+FFFD. */
void json_write_string(buf *out, const char *s, size_t n);

#endif
