/* wkt.h: the transcoder's internal interface (not for use outside json2pb.c, pb2json.c and wkt.c):
 * the encoder and decoder contexts, the field-path type of error messages, and the well-known
 * types' special JSON forms, which recurse back into the generic code through these contexts. */
#ifndef GW_WKT_H
#define GW_WKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "descpool.h"
#include "error.h"
#include "transcode.h"

/* Hard ceiling on json_opts.max_depth: recursion costs C stack, so no setting may go beyond it. */
#define TC_MAX_DEPTH_CAP 512

/* ------------------------------------------------------------------ field paths (error messages) */

/* One step of the path from the top-level message to the value being converted. Nodes live on the
 * C stack of the recursion that creates them; the text is built only when an error is reported. */
enum tc_path_kind {
    TC_PATH_FIELD,                      /* name[0..len), or NUL-terminated name when len is 0 */
    TC_PATH_INDEX,                      /* [index] */
    TC_PATH_KEY,                        /* [name[0..len)]: a map key given as text */
    TC_PATH_INT_KEY,                    /* [index as int64]: an integer map key, printed on demand */
    TC_PATH_UINT_KEY,                   /* [index as uint64] */
};

typedef struct tc_path {
    const struct tc_path *parent;
    enum tc_path_kind kind;
    const char *name;
    size_t len;
    uint64_t index;
} tc_path;

/* Appends "a.b[2].c[key]" for the path ending at p (nothing for the top level). */
void tc_path_format(buf *out, const tc_path *p);

/* A short name for a field's type in messages: "int32", "enum kitchen.Color", "kitchen.Nested". */
const char *tc_type_name(const pb_field *f);

/* ------------------------------------------------------------------ JSON -> protobuf */

typedef struct j2p_fixup {
    size_t pos;                         /* the one-byte length placeholder */
    size_t len;                         /* the record's final length */
} j2p_fixup;

typedef struct j2p_ctx {
    const descpool *pool;
    const json_opts *o;
    buf *out;
    int max_depth;
    int depth;                          /* messages (and Struct/ListValue values) open right now */
    /* Length prefixes: every length-delimited record gets one placeholder byte; records longer than
     * 127 bytes are listed here and widened in one pass at the end (no copying while nesting). */
    j2p_fixup *fixups;
    size_t n_fixups, cap_fixups;
    size_t expansion;                   /* bytes the listed fixups will add */
} j2p_ctx;

typedef struct j2p_len_mark {
    size_t pos;
    size_t expansion_before;
} j2p_len_mark;

j2p_len_mark j2p_begin_len(j2p_ctx *c);
void j2p_end_len(j2p_ctx *c, j2p_len_mark mark);

/* Writes the fields of message m given as JSON j (its special form for a well-known type). */
gw_err *j2p_message(j2p_ctx *c, const pb_msg *m, const json_t *j, const tc_path *path);
/* Writes the fields of m from the members of object j, ignoring the key `skip_key` (Any's "@type"). */
gw_err *j2p_members(j2p_ctx *c, const pb_msg *m, const json_t *j, const char *skip_key, const tc_path *path);
/* Writes field f of m (tag and value) from the JSON value j as if it were the member j of an object;
 * arrays for repeated fields, objects for maps. null means unset, except for Value / NullValue. */
gw_err *j2p_field(j2p_ctx *c, const pb_msg *m, const pb_field *f, const json_t *j, const tc_path *path);

/* The well-known types with a special form (everything but PB_WKT_NONE and PB_WKT_EMPTY). */
gw_err *wkt_json_to_pb(j2p_ctx *c, const pb_msg *m, const json_t *j, const tc_path *path);

/* Parses a JSON number or numeric string as an integer (exactly, no double rounding for strings):
 * `bits` 32 or 64, signed or not. On failure returns false and sets *why to a static reason. */
bool tc_json_integer(const json_t *j, bool is_signed, int bits, uint64_t *out, const char **why);

/* ------------------------------------------------------------------ protobuf -> JSON */

typedef struct p2j_ctx {
    const descpool *pool;
    const json_opts *o;
    buf *out;
    int max_depth;
    int depth;
} p2j_ctx;

/* Renders message m from wire bytes p[0..n) (its special form for a well-known type). */
gw_err *p2j_message(p2j_ctx *c, const pb_msg *m, const uint8_t *p, size_t n, const tc_path *path);
/* Renders the members of m without the braces, each preceded by a comma when *comma is set (then
 * sets it). Any uses this to put the packed message's fields next to "@type". */
gw_err *p2j_members(p2j_ctx *c, const pb_msg *m, const uint8_t *p, size_t n, bool *comma, const tc_path *path);
/* Renders the JSON value of field f of message m found in p[0..n): the last value of a singular
 * scalar, the merge of a singular message's records, the array of a repeated field, the object of
 * a map; when absent, the type's default form ({} for a message). */
gw_err *p2j_field(p2j_ctx *c, const pb_msg *m, const pb_field *f, const uint8_t *p, size_t n,
                  const tc_path *path);
/* The same for bytes the caller has already walked record by record (no second validation). */
gw_err *p2j_field_validated(p2j_ctx *c, const pb_msg *m, const pb_field *f, const uint8_t *p, size_t n,
                            const tc_path *path);
/* An INTERNAL error for wire bytes that do not match the descriptor. */
gw_err *p2j_malformed(const pb_msg *m, const tc_path *path, const char *what);

gw_err *wkt_pb_to_json(p2j_ctx *c, const pb_msg *m, const uint8_t *p, size_t n, const tc_path *path);
gw_err *wkt_any_to_json(p2j_ctx *c, const char *url, size_t url_len, const uint8_t *value, size_t value_len,
                        const tc_path *path);

/* Number output: shortest text that reads back to the same value (finite values only). */
size_t tc_format_double(double d, char *out);    /* out: at least 32 bytes */
size_t tc_format_float(float f, char *out);
void tc_write_u64(buf *out, uint64_t v);
void tc_write_i64(buf *out, int64_t v);

/* Appends for the output hot path: the common case (room left) without a call into buf.c. */
static inline void tc_put_byte(buf *b, uint8_t ch)
{
    if (b->len + 2 <= b->cap) {
        b->data[b->len++] = ch;
        b->data[b->len] = 0;
    } else {
        buf_append_byte(b, ch);
    }
}

static inline void tc_put(buf *b, const void *p, size_t n)
{
    if (b->len + n + 1 <= b->cap) {
        memcpy(b->data + b->len, p, n);
        b->len += n;
        b->data[b->len] = 0;
    } else {
        buf_append(b, p, n);
    }
}

/* True for the well-known types whose JSON form is not an object of their fields. */
static inline bool wkt_is_special(enum pb_wkt w) { return w != PB_WKT_NONE && w != PB_WKT_EMPTY; }

#endif
