/* bind.c: builds the request message's JSON from the body, the path variables and the query string
 * (see bind.h). Runs on the HTTP thread of the request; pure (no globals, no I/O).
 *
 * Choices beyond the header:
 *   - A route without a body binding and a non-empty body: INVALID_ARGUMENT "this method takes no
 *     request body" (an empty body arrives as NULL and is fine). grpc-gateway ignores such a body;
 *     silently dropping data the client sent hides mistakes.
 *   - body "*": the body is the whole message, so every field is bound by it and any query parameter
 *     is an error (unless allow_unknown): the spec says such a rule has no query parameters.
 *   - Query keys are dotted field paths by proto or JSON names; `map_field[key]=value` sets one map
 *     entry; repeated keys append to repeated fields; a second value for a singular field, or a second
 *     member of a oneof, is an error.
 *   - Values: bools from true/false/1/0; numbers stay strings (the transcoder accepts strings for
 *     every numeric type and checks them); enums by name (kept as the name) or number; an unknown
 *     enum name is passed on as it is, so the transcoder applies allow_unknown in one place;
 *     Timestamp, Duration, FieldMask and the wrappers from their string forms; Struct, ListValue and
 *     Value from JSON text ("?filter={\"a\":1}"). Other messages have no text form.
 *   - Fields are written under their json_name, after removing any key naming the same field, so a
 *     path variable overrides the body whatever name the body used. */
#include "bind.h"

#include <stdlib.h>
#include <string.h>

#include "uri.h"

/* A resolved dotted field path. */
typedef struct field_chain {
    size_t n;
    const pb_field *f[BIND_MAX_FIELD_DEPTH];
} field_chain;

static bool is_message(const pb_field *f) { return f->type == PB_TYPE_MESSAGE || f->type == PB_TYPE_GROUP; }

/* ------------------------------------------------------------------ text values */

static gw_err *bad_value(const pb_field *f, const char *what, const char *text, size_t len)
{
    return gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "invalid value '%.*s' for field '%s': %s", (int)(len > 200 ? 200 : len),
                      text, f->name, what);
}

static json_t *text_string(const pb_field *f, const char *text, size_t len, gw_err **err)
{
    json_t *s = json_stringn(text, len);
    if (!s) *err = gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "value for field '%s' is not valid UTF-8", f->name);
    return s;
}

static json_t *text_bool(const pb_field *f, const char *text, size_t len, gw_err **err)
{
    if ((len == 4 && memcmp(text, "true", 4) == 0) || (len == 1 && text[0] == '1')) return json_true();
    if ((len == 5 && memcmp(text, "false", 5) == 0) || (len == 1 && text[0] == '0')) return json_false();
    *err = bad_value(f, "expected true, false, 1 or 0", text, len);
    return NULL;
}

/* An enum: a known name stays a name, an integer becomes a number, anything else is passed on as a
 * string for the transcoder to reject (or, with allow_unknown, to read as the default). */
static json_t *text_enum(const pb_field *f, const char *text, size_t len, gw_err **err)
{
    const pb_enum *e = f->enumeration;
    if (e && e->is_null_value && ((len == 4 && memcmp(text, "null", 4) == 0) || (len == 10 && memcmp(text, "NULL_VALUE", 10) == 0)))
        return json_null();
    if (e && pb_enum_value_by_name(e, text, len)) return text_string(f, text, len, err);
    size_t i = (len > 0 && text[0] == '-') ? 1 : 0;
    bool digits = i < len;
    for (size_t k = i; k < len && digits; k++) digits = text[k] >= '0' && text[k] <= '9';
    if (digits) {
        char tmp[16];
        long long v = 0;
        if (len < sizeof tmp) {
            memcpy(tmp, text, len);
            tmp[len] = 0;
            v = strtoll(tmp, NULL, 10);
        }
        if (len >= sizeof tmp || v < INT32_MIN || v > INT32_MAX) {
            *err = bad_value(f, "enum number out of the int32 range", text, len);
            return NULL;
        }
        return json_integer(v);
    }
    return text_string(f, text, len, err);
}

static json_t *text_json(const pb_field *f, const char *text, size_t len, int want, gw_err **err)
{
    json_error_t jerr;
    json_t *v = json_loadb(text, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
    if (!v) {
        *err = bad_value(f, "expected JSON text", text, len);
        return NULL;
    }
    if (want != -1 && json_typeof(v) != (json_type)want) {
        json_decref(v);
        *err = bad_value(f, want == JSON_OBJECT ? "expected a JSON object" : "expected a JSON array", text, len);
        return NULL;
    }
    return v;
}

json_t *bind_text_value(const pb_field *f, const char *text, size_t len, gw_err **err)
{
    *err = NULL;
    switch (f->type) {
    case PB_TYPE_BOOL:
        return text_bool(f, text, len, err);
    case PB_TYPE_ENUM:
        return text_enum(f, text, len, err);
    case PB_TYPE_MESSAGE:
    case PB_TYPE_GROUP:
        break;
    default:   /* strings, bytes (base64) and every number: strings for the transcoder */
        return text_string(f, text, len, err);
    }
    switch (f->message ? f->message->wkt : PB_WKT_NONE) {
    case PB_WKT_BOOL_VALUE:
        return text_bool(f, text, len, err);
    case PB_WKT_TIMESTAMP: case PB_WKT_DURATION: case PB_WKT_FIELD_MASK:
    case PB_WKT_STRING_VALUE: case PB_WKT_BYTES_VALUE:
    case PB_WKT_DOUBLE_VALUE: case PB_WKT_FLOAT_VALUE: case PB_WKT_INT64_VALUE: case PB_WKT_UINT64_VALUE:
    case PB_WKT_INT32_VALUE: case PB_WKT_UINT32_VALUE:
        return text_string(f, text, len, err);
    case PB_WKT_STRUCT:
        return text_json(f, text, len, JSON_OBJECT, err);
    case PB_WKT_LIST_VALUE:
        return text_json(f, text, len, JSON_ARRAY, err);
    case PB_WKT_VALUE:
        return text_json(f, text, len, -1, err);
    default:
        *err = gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "field '%s' is a message (%s) without a text form", f->name,
                          f->message ? f->message->full_name : "?");
        return NULL;
    }
}

/* ------------------------------------------------------------------ JSON object helpers */

static json_t *obj_get(json_t *obj, const pb_field *f)
{
    json_t *v = json_object_get(obj, f->json_name);
    return v ? v : json_object_get(obj, f->name);
}

/* Sets field f of obj to v (stolen), replacing the field under either of its names. */
static void obj_set(json_t *obj, const pb_field *f, json_t *v)
{
    json_object_del(obj, f->name);
    json_object_del(obj, f->json_name);
    json_object_set_new(obj, f->json_name, v);
}

/* The object of message field f inside obj, created when absent or null. NULL when obj holds
 * something else there. */
static json_t *obj_child(json_t *obj, const pb_field *f)
{
    json_t *v = obj_get(obj, f);
    if (json_is_object(v)) return v;
    if (v && !json_is_null(v)) return NULL;
    v = json_object();
    obj_set(obj, f, v);
    return v;
}

/* ------------------------------------------------------------------ field paths */

enum resolve_result { RESOLVED, NO_FIELD, NOT_A_MESSAGE, TOO_DEEP };

/* Resolves path[0..len) ("a.b.c") from message m: every part but the last must be a singular message
 * that is not a well-known type. On failure *bad is the failing part's index. */
static enum resolve_result resolve_path(const pb_msg *m, const char *path, size_t len, size_t max_depth,
                                        field_chain *c, size_t *bad_at, size_t *bad_len)
{
    c->n = 0;
    size_t at = 0;
    for (;;) {
        const char *dot = memchr(path + at, '.', len - at);
        size_t n = dot ? (size_t)(dot - (path + at)) : len - at;
        *bad_at = at;
        *bad_len = n;
        if (c->n == max_depth || c->n == BIND_MAX_FIELD_DEPTH) return TOO_DEEP;
        const pb_field *f = n ? pb_msg_field_by_name(m, path + at, n) : NULL;
        if (!f) return NO_FIELD;
        c->f[c->n++] = f;
        if (!dot) return RESOLVED;
        if (!is_message(f) || f->repeated || !f->message || f->message->wkt != PB_WKT_NONE) return NOT_A_MESSAGE;
        m = f->message;
        at += n + 1;
    }
}

/* One chain is a prefix of the other: binding both would set the same field twice. */
static bool chains_overlap(const field_chain *a, const field_chain *b)
{
    size_t n = a->n < b->n ? a->n : b->n;
    for (size_t i = 0; i < n; i++)
        if (a->f[i] != b->f[i]) return false;
    return true;
}

/* ------------------------------------------------------------------ binding */

typedef struct binder {
    const route *rt;
    const pb_msg *input;
    size_t max_depth;                /* parts of a query key */
    json_t *msg;
    size_t n_vars;
    field_chain vars[ROUTE_MAX_VARS];
    buf key, value;                  /* the current query parameter, decoded */
} binder;

static gw_err *bind_path_var(binder *b, const route_var *v, field_chain *c)
{
    size_t bad_at, bad_len;
    const char *path = v->field_path;
    if (resolve_path(b->input, path, strlen(path), BIND_MAX_FIELD_DEPTH, c, &bad_at, &bad_len) != RESOLVED)
        return gw_err_new(GRPC_STATUS_INTERNAL, "path variable '%s' names no field of %s", path, b->input->full_name);
    json_t *obj = b->msg;
    for (size_t i = 0; i + 1 < c->n; i++) {
        obj = obj_child(obj, c->f[i]);
        if (!obj)
            return gw_err_new(GRPC_STATUS_INVALID_ARGUMENT,
                              "path variable '%s': field '%s' in the request body is not an object", path, c->f[i]->name);
    }
    gw_err *e = NULL;
    json_t *val = bind_text_value(c->f[c->n - 1], v->value, v->value_len, &e);
    if (!val) return gw_err_prefix(e, "path variable '%s'", path);
    obj_set(obj, c->f[c->n - 1], val);
    return NULL;
}

/* Another member of f's oneof already set in obj: its name, else NULL. */
static const char *oneof_rival(json_t *obj, const pb_msg *m, const pb_field *f)
{
    if (f->oneof_index < 0) return NULL;
    for (size_t i = 0; i < m->n_fields; i++) {
        const pb_field *g = &m->fields[i];
        if (g != f && g->oneof_index == f->oneof_index && obj_get(obj, g)) return g->name;
    }
    return NULL;
}

/* Binds one query parameter (already decoded into b->key / b->value). Returns an error, or NULL;
 * *ignore tells that the parameter named no bindable field (allowed with allow_unknown). */
static gw_err *bind_query_param(binder *b, bool *skip)
{
    const char *key = (const char *)b->key.data;
    size_t key_len = b->key.len;
    const char *val = (const char *)b->value.data;
    size_t val_len = b->value.len;
    *skip = false;
    /* "field[mapkey]" */
    const char *map_key = NULL;
    size_t map_key_len = 0, path_len = key_len;
    const char *open = memchr(key, '[', key_len);
    if (open) {
        if (key[key_len - 1] != ']')
            return gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "query parameter '%s': expected 'field[key]'", key);
        path_len = (size_t)(open - key);
        map_key = open + 1;
        map_key_len = key_len - path_len - 2;
    }
    field_chain c;
    size_t bad_at, bad_len;
    switch (resolve_path(b->input, key, path_len, b->max_depth, &c, &bad_at, &bad_len)) {
    case RESOLVED:
        break;
    case NO_FIELD: {
        *skip = true;
        const pb_msg *m = c.n ? c.f[c.n - 1]->message : b->input;
        return gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "query parameter '%s': no field '%.*s' in message %s", key,
                          (int)bad_len, key + bad_at, m->full_name);
    }
    case NOT_A_MESSAGE:
        return gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "query parameter '%s': field '%s' is not a message with fields",
                          key, c.f[c.n - 1]->name);
    case TOO_DEEP:
        return gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "query parameter '%s': nested deeper than %zu fields", key,
                          b->max_depth);
    }
    const pb_field *f = c.f[c.n - 1];
    /* Fields the body or the path already bind. */
    const char *bound_by = NULL;
    if (b->rt->body && strcmp(b->rt->body, "*") == 0) bound_by = "the request body (body \"*\")";
    else if (b->rt->body_field && c.f[0] == b->rt->body_field) bound_by = "the request body";
    for (size_t i = 0; i < b->n_vars && !bound_by; i++)
        if (chains_overlap(&c, &b->vars[i])) bound_by = "the URL path";
    if (bound_by) {
        *skip = true;
        return gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "query parameter '%s': field '%s' is already bound by %s", key,
                          f->name, bound_by);
    }
    json_t *obj = b->msg;
    for (size_t i = 0; i + 1 < c.n; i++) {
        const pb_msg *parent = i ? c.f[i - 1]->message : b->input;
        const char *rival = oneof_rival(obj, parent, c.f[i]);
        if (rival && !obj_get(obj, c.f[i]))
            return gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "query parameter '%s': field '%s' is already set in the same oneof",
                              key, rival);
        obj = obj_child(obj, c.f[i]);
        if (!obj)
            return gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "query parameter '%s': field '%s' is not an object", key,
                              c.f[i]->name);
    }
    const pb_msg *parent = c.n > 1 ? c.f[c.n - 2]->message : b->input;
    gw_err *e = NULL;
    if (f->is_map) {
        if (!map_key)
            return gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "query parameter '%s': field '%s' is a map: use '%s[key]=value'",
                              key, f->name, key);
        const pb_field *vf = f->message ? pb_msg_field_by_number(f->message, 2) : NULL;
        if (!vf) return gw_err_new(GRPC_STATUS_INTERNAL, "map field '%s' has no value field", f->name);
        json_t *map = obj_child(obj, f);
        if (!map)
            return gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "query parameter '%s': field '%s' is not an object", key, f->name);
        json_t *k = memchr(map_key, 0, map_key_len) ? NULL : json_stringn(map_key, map_key_len);
        if (!k) return gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "query parameter '%s': map key is not valid UTF-8 text", key);
        json_decref(k);
        char *kz = strndup(map_key, map_key_len);
        if (!kz) abort();
        if (json_object_get(map, kz)) {
            free(kz);
            return gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "query parameter '%s' given more than once", key);
        }
        json_t *v = bind_text_value(vf, val, val_len, &e);
        if (v) json_object_set_new(map, kz, v);
        free(kz);
        return e ? gw_err_prefix(e, "query parameter '%s'", key) : NULL;
    }
    if (map_key)
        return gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "query parameter '%s': field '%s' is not a map", key, f->name);
    json_t *v = bind_text_value(f, val, val_len, &e);
    if (!v) return gw_err_prefix(e, "query parameter '%s'", key);
    json_t *cur = obj_get(obj, f);
    if (f->repeated) {
        if (!json_is_array(cur)) {
            cur = json_array();
            obj_set(obj, f, cur);
        }
        json_array_append_new(cur, v);
        return NULL;
    }
    if (cur) {
        json_decref(v);
        return gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "query parameter '%s': field '%s' given more than once", key,
                          f->name);
    }
    const char *rival = oneof_rival(obj, parent, f);
    if (rival) {
        json_decref(v);
        return gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "query parameter '%s': field '%s' of the same oneof is already set",
                          key, rival);
    }
    obj_set(obj, f, v);
    return NULL;
}

gw_err *bind_request(const descpool *pool, const route_match *m, json_t *body, const query_param *query,
                     size_t n_query, const json_opts *o, json_t **out)
{
    *out = NULL;
    const route *rt = m->route;
    if (!rt || !rt->method) {
        json_decref(body);
        return gw_err_new(GRPC_STATUS_INTERNAL, "route without a method");
    }
    static const json_opts defaults = {0};
    if (!o) o = &defaults;
    size_t depth = o->max_depth > 0 ? (size_t)o->max_depth : JSON_DEFAULT_MAX_DEPTH;
    /* Set field by field: an initializer would zero all of vars[] (4 KiB) on every request; only
     * the first n_vars entries, counted as they are filled, are ever read. */
    binder b;
    b.rt = rt;
    b.input = rt->method->input;
    b.max_depth = depth < BIND_MAX_FIELD_DEPTH ? depth : BIND_MAX_FIELD_DEPTH;
    b.msg = NULL;
    b.n_vars = 0;
    buf_init(&b.key);
    buf_init(&b.value);
    gw_err *e = NULL;
    if (!rt->body) {
        if (body) {
            json_decref(body);
            return gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "this method takes no request body");
        }
        b.msg = json_object();
    } else if (strcmp(rt->body, "*") == 0) {
        if (!body || json_is_null(body)) {
            json_decref(body);
            b.msg = json_object();
        } else if (json_is_object(body)) {
            b.msg = body;
        } else if (b.input->wkt != PB_WKT_NONE && m->n_vars == 0 && n_query == 0) {
            *out = body;   /* a well-known input type in its own JSON form (a Timestamp string, ...) */
            return NULL;
        } else {
            json_decref(body);
            return gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "the request body must be a JSON object");
        }
    } else {
        if (!rt->body_field) {
            json_decref(body);
            return gw_err_new(GRPC_STATUS_INTERNAL, "route body field '%s' is not resolved", rt->body);
        }
        b.msg = json_object();
        if (body) obj_set(b.msg, rt->body_field, body);
    }
    for (size_t i = 0; i < m->n_vars; i++, b.n_vars++)
        if ((e = bind_path_var(&b, &m->vars[i], &b.vars[i])) != NULL) goto fail;
    for (size_t i = 0; i < n_query; i++) {
        const char *k = query[i].key ? query[i].key : "", *v = query[i].value ? query[i].value : "";
        /* An empty component ("?&a=1", "a=1&&b=2", a lone "="): nothing to bind; URL query parsers
         * skip these, and a trailing "&" already yields none. */
        if (!*k && !*v) continue;
        buf_reset(&b.key);
        buf_reset(&b.value);
        if (!uri_percent_decode(&b.key, k, strlen(k), NULL) || !uri_percent_decode(&b.value, v, strlen(v), NULL)) {
            e = gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "query parameter '%s': malformed percent-encoding", k);
            goto fail;
        }
        buf_append_byte(&b.key, 0);   /* make both C strings (the NUL is not counted) */
        b.key.len--;
        buf_append_byte(&b.value, 0);
        b.value.len--;
        bool skip;
        if ((e = bind_query_param(&b, &skip)) != NULL) {
            if (skip && o->allow_unknown) {
                gw_err_free(e);
                e = NULL;
                continue;
            }
            goto fail;
        }
    }
    (void)pool;
    buf_free(&b.key);
    buf_free(&b.value);
    *out = b.msg;
    return NULL;
fail:
    buf_free(&b.key);
    buf_free(&b.value);
    json_decref(b.msg);
    return e;
}
