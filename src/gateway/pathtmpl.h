/* pathtmpl.h: google.api.http path templates: parsing at start-up and matching request paths.
 *
 * Grammar (google/api/http.proto):
 *   Template = "/" Segments [ Verb ] ;        Segments = Segment { "/" Segment } ;
 *   Segment  = "*" | "**" | LITERAL | Variable ;
 *   Variable = "{" FieldPath [ "=" Segments ] "}" ;   FieldPath = IDENT { "." IDENT } ;
 *   Verb     = ":" LITERAL ;
 * plus the template "/" alone, which matches only the path "/".
 *
 * Matching rules (the gateway's reading of the spec):
 *   - The path is split on '/' after its leading '/': "/" has no segments, "/a/" has "a" and "", and
 *     "//" is two empty segments. Nothing is collapsed; an empty segment matches no `*` and no literal.
 *   - `*` matches one non-empty segment. `**` (only allowed last, before the verb) matches zero or
 *     more segments, whatever they hold, empty ones included.
 *   - Literals compare after percent-decoding both sides (the template's literal is decoded when it
 *     is parsed), so "/v1/a%62c" matches the literal "abc" and "a%2Fb" matches the literal "a%2Fb".
 *   - A template with a verb matches only a path ending in ":" + verb (compared as written: "%3A"
 *     is not a verb separator), and its segments match what precedes it. A template without a verb
 *     matches the whole path, so "/v1/{name}" binds name="a:b" for "/v1/a:b".
 *   - A variable over exactly one segment (`{x}`, `{x=*}`, `{x=lit}`) is fully percent-decoded. A
 *     variable over several segments or `**` keeps "%2F"/"%2f" encoded and decodes everything else
 *     (the spec: "The server side does the reverse decoding, except "%2F" and "%2f" are left
 *     unchanged."), so its '/' characters are exactly the segment separators.
 *   - A '%' not followed by two hex digits anywhere in the path makes the path malformed.
 *
 * A parsed template is immutable: any thread may match against it. */
#ifndef GW_PATHTMPL_H
#define GW_PATHTMPL_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "error.h"

#define PATHTMPL_MAX_SEGMENTS 64     /* segments in one template (bounds the router's trie depth) */
#define PATHTMPL_MAX_VARS 16         /* variables in one template (= ROUTE_MAX_VARS) */
#define PATHTMPL_MAX_LEN 4096        /* characters in one template */
/* Percent-escapes a multi-segment variable keeps encoded (decoded characters, for uri_percent_decode). */
#define PATHTMPL_MULTI_KEEP_ENCODED "/"

enum pathtmpl_seg_kind {
    PATHTMPL_LITERAL,                /* matches one segment equal to `literal` after decoding */
    PATHTMPL_STAR,                   /* `*`: one non-empty segment */
    PATHTMPL_DSTAR,                  /* `**`: zero or more segments; always the last segment */
};

typedef struct pathtmpl_seg {
    enum pathtmpl_seg_kind kind;
    const char *literal;             /* PATHTMPL_LITERAL: percent-decoded, NUL-terminated */
    size_t literal_len;              /* may contain a NUL from "%00"; compare with this length */
} pathtmpl_seg;

typedef struct pathtmpl_var {
    const char *field_path;          /* "book.name" */
    size_t first_seg;                /* the variable covers segs[first_seg .. first_seg + n_segs) */
    size_t n_segs;
    bool multi;                      /* several segments or `**`: "%2F" stays encoded */
} pathtmpl_var;

typedef struct pathtmpl {
    const char *text;                /* the template as written */
    size_t n_segs;
    const pathtmpl_seg *segs;
    size_t n_vars;
    const pathtmpl_var *vars;        /* in template order */
    const char *verb;                /* without the ':'; NULL when the template has none */
    size_t verb_len;
} pathtmpl;

/* One bound variable of a match: value = storage->data + offset, `len` bytes, NUL-terminated. Offsets
 * rather than pointers, so the storage may grow while values are added. */
typedef struct pathtmpl_value {
    size_t offset;
    size_t len;
} pathtmpl_value;

/* Parses `text`. Errors are INVALID_ARGUMENT: "invalid path template '/v1/{x': position 7: ..."
 * (positions count characters from 1). On success *out is a new template (pathtmpl_free). */
gw_err *pathtmpl_parse(const char *text, pathtmpl **out);
void pathtmpl_free(pathtmpl *t);

/* True when every '%' in path[0..len) starts a valid escape ("%" + two hex digits). */
bool pathtmpl_path_valid(const char *path, size_t len);

/* Matches a raw (percent-encoded) path without its query string. On a match returns true and, when
 * `values` is not NULL, appends the variables' decoded values to `storage` and fills values[0 ..
 * t->n_vars). A malformed escape in the path never matches (check pathtmpl_path_valid first to tell
 * the two apart). Allocates only through `storage`, at most once (it reserves len + n_vars). */
bool pathtmpl_match(const pathtmpl *t, const char *path, size_t len, buf *storage, pathtmpl_value *values);

/* Compares one raw path segment, percent-decoded on the fly, with decoded text lit[0..lit_len)
 * (memcmp order on the decoded bytes). The segment's escapes must be valid. No allocation. */
int pathtmpl_segment_cmp(const char *seg, size_t seg_len, const char *lit, size_t lit_len);

/* Two templates match exactly the same paths: same segment kinds, same literals, same verb. */
bool pathtmpl_same_shape(const pathtmpl *a, const pathtmpl *b);

#endif
