/* jsonsplit.c: delimits consecutive JSON values in a byte stream (see jsonsplit.h).
 *
 * A byte-at-a-time state machine whose whole state is a few fields, so a value may be cut anywhere
 * (inside a string, an escape or a UTF-8 sequence: only ASCII bytes are structural) and the result is
 * the same as for one contiguous feed. Errors are detected at the byte that causes them, which keeps
 * them independent of the cut too. */
#include "jsonsplit.h"

#include "transcode.h"

_Static_assert(JSONSPLIT_DEFAULT_MAX_DEPTH >= 2 * JSON_DEFAULT_MAX_DEPTH,
               "the splitter must accept every nesting the transcoder accepts");

enum jsonsplit_state {
    JS_BETWEEN,                /* between values: skipping whitespace */
    JS_NESTED,                 /* in an object, array or string: ends when depth is 0 outside a string */
    JS_SCALAR,                 /* in a number or literal: ends at whitespace or a structural byte */
    JS_FAILED,                 /* an error was reported; the stream is unusable */
};

void jsonsplit_init(jsonsplit *s, size_t max_value_bytes)
{
    *s = (jsonsplit){.value = BUF_INIT,
                     .max_value_bytes = max_value_bytes ? max_value_bytes : JSONSPLIT_DEFAULT_MAX_VALUE_BYTES,
                     .max_depth = JSONSPLIT_DEFAULT_MAX_DEPTH,
                     .state = JS_BETWEEN};
}

void jsonsplit_free(jsonsplit *s) { buf_free(&s->value); }

static bool is_ws(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* Bytes that end a top-level number or literal (and are not part of it). */
static bool ends_scalar(unsigned char c)
{
    return is_ws(c) || c == '{' || c == '[' || c == '"' || c == '}' || c == ']' || c == ',' || c == ':';
}

static enum jsonsplit_result fail(jsonsplit *s, gw_err **err, gw_err *e)
{
    s->state = JS_FAILED;
    buf_reset(&s->value);
    *err = e;
    return JSONSPLIT_ERROR;
}

static void take(jsonsplit *s, const char *data, size_t from, size_t to)
{
    if (to > from) buf_append(&s->value, data + from, to - from);
}

enum jsonsplit_result jsonsplit_next(jsonsplit *s, const char *data, size_t len, size_t *consumed, gw_err **err)
{
    *consumed = 0;
    *err = NULL;
    if (s->state == JS_FAILED)
        return fail(s, err, gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "the request stream already failed"));
    if (s->state == JS_BETWEEN) buf_reset(&s->value);   /* drop the value returned last time */
    size_t run = 0;                                      /* this call's bytes of the value start here */
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)data[i];
        if (s->state == JS_BETWEEN) {
            if (is_ws(c)) continue;
            if (c == '}' || c == ']' || c == ',' || c == ':') {
                *consumed = i;
                return fail(s, err, gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "unexpected '%c' where value %zu should start",
                                               c, s->index));
            }
            run = i;
            s->depth = 0;
            s->in_string = s->escape = false;
            s->state = (c == '{' || c == '[' || c == '"') ? JS_NESTED : JS_SCALAR;
        } else if (s->state == JS_SCALAR && ends_scalar(c)) {
            take(s, data, run, i);
            s->state = JS_BETWEEN;
            s->index++;
            *consumed = i;
            return JSONSPLIT_VALUE;
        }
        if (s->value.len + (i - run) >= s->max_value_bytes) {
            *consumed = i;
            return fail(s, err, gw_err_new(GRPC_STATUS_RESOURCE_EXHAUSTED, "value %zu is larger than %zu bytes",
                                           s->index, s->max_value_bytes));
        }
        if (s->state == JS_SCALAR) continue;
        if (s->in_string) {
            if (s->escape) s->escape = false;
            else if (c == '\\') s->escape = true;
            else if (c == '"') s->in_string = false;
        } else if (c == '"') {
            s->in_string = true;
        } else if (c == '{' || c == '[') {
            int limit = s->max_depth > 0 ? s->max_depth : JSONSPLIT_DEFAULT_MAX_DEPTH;
            if (s->depth >= limit) {
                *consumed = i;
                return fail(s, err, gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "value %zu nests deeper than %d levels",
                                               s->index, limit));
            }
            s->depth++;
        } else if (c == '}' || c == ']') {
            s->depth--;
        }
        if (s->depth == 0 && !s->in_string) {
            take(s, data, run, i + 1);
            s->state = JS_BETWEEN;
            s->index++;
            *consumed = i + 1;
            return JSONSPLIT_VALUE;
        }
    }
    if (s->state != JS_BETWEEN) take(s, data, run, len);
    *consumed = len;
    return JSONSPLIT_NEED_MORE;
}

enum jsonsplit_result jsonsplit_finish(jsonsplit *s, gw_err **err)
{
    *err = NULL;
    switch (s->state) {
    case JS_FAILED:
        return fail(s, err, gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "the request stream already failed"));
    case JS_SCALAR:
        s->state = JS_BETWEEN;
        s->index++;
        return JSONSPLIT_VALUE;
    case JS_NESTED:
        return fail(s, err, gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "value %zu is incomplete at end of body",
                                       s->index));
    default:
        buf_reset(&s->value);
        return JSONSPLIT_NEED_MORE;
    }
}
