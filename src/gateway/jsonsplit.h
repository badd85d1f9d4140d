/* jsonsplit.h: finds the boundaries of consecutive JSON values in a byte stream (newline-delimited or
 * simply one after another), however the reads happen to split it. The request side of client and
 * bidirectional streams: each complete value becomes one gRPC message.
 *
 * It only delimits values (tracking strings, escapes and bracket depth); parsing and validation are
 * left to jansson and the transcoder. One splitter per stream; not thread-safe. */
#ifndef GW_JSONSPLIT_H
#define GW_JSONSPLIT_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "error.h"

/* Limits. The bracket depth is twice the transcoder's JSON_DEFAULT_MAX_DEPTH because a repeated message
 * field nests an array and an object per message level: anything the transcoder accepts passes here, and
 * the transcoder enforces its exact limit. The splitter itself needs no memory per level. */
#define JSONSPLIT_DEFAULT_MAX_DEPTH 128
#define JSONSPLIT_DEFAULT_MAX_VALUE_BYTES (4u << 20)   /* used when jsonsplit_init is given 0 */

/* Values are numbered from 0 in error messages ("value 3 is incomplete at end of body"), as the
 * exchange numbers the messages of a stream. */
typedef struct jsonsplit {
    buf value;                 /* the bytes of the value being collected */
    size_t max_value_bytes;    /* a longer value is an error (RESOURCE_EXHAUSTED) */
    size_t index;              /* number of values completed so far */
    int max_depth;             /* deeper bracket nesting is an error (INVALID_ARGUMENT); settable after
                                * init; 0 or less means JSONSPLIT_DEFAULT_MAX_DEPTH */
    /* scanner state (private) */
    int state;
    int depth;
    bool in_string;
    bool escape;
} jsonsplit;

enum jsonsplit_result {
    JSONSPLIT_NEED_MORE,       /* all input consumed, no value completed yet */
    JSONSPLIT_VALUE,           /* a value is complete: s->value holds it (valid until the next call) */
    JSONSPLIT_ERROR,           /* *err says why (value too large, a stray closing bracket, ...) */
};

void jsonsplit_init(jsonsplit *s, size_t max_value_bytes);
void jsonsplit_free(jsonsplit *s);

/* Consumes data[0..len) up to and including the end of the next value. *consumed tells how many
 * bytes were used; the caller passes the rest again on the next call (after it has dealt with the
 * value, which is how a stream applies back-pressure). Whitespace between values is skipped. A
 * scalar at the top level (number, true, ...) ends at the next whitespace or value start, or at
 * jsonsplit_finish. The results do not depend on how the stream is cut into calls.
 * A value is any JSON text; what is not JSON (a bare word) is delimited like a number and left for
 * the JSON parser to reject, as are mismatched brackets ("{]" is one value: brackets are counted, not
 * paired). Errors: a value longer than max_value_bytes (RESOURCE_EXHAUSTED); nesting deeper than
 * max_depth, or a '}', ']', ',' or ':' where a value should start (INVALID_ARGUMENT). They name the
 * value's index. After an error every call fails again. */
enum jsonsplit_result jsonsplit_next(jsonsplit *s, const char *data, size_t len, size_t *consumed,
                                     gw_err **err);

/* Ends the stream: returns JSONSPLIT_VALUE when a pending top-level scalar completes, JSONSPLIT_ERROR
 * when a value is cut off (the error names its index), else JSONSPLIT_NEED_MORE (nothing pending). */
enum jsonsplit_result jsonsplit_finish(jsonsplit *s, gw_err **err);

#endif
