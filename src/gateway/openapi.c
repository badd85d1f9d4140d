/* openapi.c: the OpenAPI 3.0.3 document of the routes (see openapi.h). Built as a jansson tree (it
 * is generated rarely, and a tree keeps the many small objects readable), then printed into a buf. */
#include "openapi.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build-config.h"
#include "pathtmpl.h"

#define REF_PREFIX "#/components/schemas/"
#define STATUS_SCHEMA "google.rpc.Status"
#define ANY_SCHEMA "google.protobuf.Any"
#define MAX_FIELD_PATH 32               /* parts of a dotted field path we resolve */
#define MAX_PLACEHOLDERS PATHTMPL_MAX_SEGMENTS
#define MAX_NAME 256                    /* a path parameter's name */

typedef struct openapi_ctx {
    const descpool *pool;
    const json_opts *o;
    json_t *schemas;                    /* components.schemas */
    json_t *paths;
    json_t *tags;                       /* the top-level tag list */
    json_t *seen_tags;                  /* object used as a set of service names */
    json_t *op_ids;                     /* object used as a set of operationIds */
    json_t *hierarchies;                /* path with "{}" for every parameter -> array of the names used */
} openapi_ctx;

/* ------------------------------------------------------------------ small JSON helpers */

static void set(json_t *obj, const char *key, json_t *v) { json_object_set_new(obj, key, v); }

static void set_str(json_t *obj, const char *key, const char *v) { json_object_set_new(obj, key, json_string(v)); }

static json_t *typed(const char *type, const char *format)
{
    json_t *s = json_object();
    set_str(s, "type", type);
    if (format) set_str(s, "format", format);
    return s;
}

static json_t *ref(const char *component)
{
    buf b = BUF_INIT;
    buf_printf(&b, REF_PREFIX "%s", component);
    json_t *r = json_object();
    set(r, "$ref", json_stringn((const char *)b.data, b.len));
    buf_free(&b);
    return r;
}

/* Adds a description to a schema. OpenAPI 3.0 ignores siblings of $ref, so a reference is wrapped
 * in allOf first. Takes `s`, returns the schema to use. */
static json_t *describe(json_t *s, const char *text)
{
    if (json_object_get(s, "$ref")) {
        json_t *w = json_object();
        set(w, "allOf", json_pack("[o]", s));
        s = w;
    }
    set_str(s, "description", text);
    return s;
}

/* ------------------------------------------------------------------ schemas */

static json_t *message_schema(openapi_ctx *c, const pb_msg *m);
static json_t *field_schema(openapi_ctx *c, const pb_field *f);

static json_t *wrapper(const char *type, const char *format)
{
    json_t *s = typed(type, format);
    set(s, "nullable", json_true());
    return s;
}

/* The JSON forms of the well-known types (proto3 JSON mapping). */
static json_t *wkt_schema(enum pb_wkt w)
{
    json_t *s;
    switch (w) {
    case PB_WKT_ANY: return ref(ANY_SCHEMA);
    case PB_WKT_TIMESTAMP: return typed("string", "date-time");
    case PB_WKT_DURATION:
        s = typed("string", NULL);
        set_str(s, "pattern", "^-?[0-9]+(\\.[0-9]{1,9})?s$");
        set_str(s, "description", "A duration in seconds with up to nine fractional digits and the suffix s, such as 1.5s");
        return s;
    case PB_WKT_FIELD_MASK:
        s = typed("string", NULL);
        set_str(s, "description", "Comma-separated field paths in lowerCamelCase, such as user.displayName,photo");
        return s;
    case PB_WKT_EMPTY: return typed("object", NULL);
    case PB_WKT_STRUCT:
        s = typed("object", NULL);
        set(s, "additionalProperties", json_true());
        return s;
    case PB_WKT_VALUE: return json_pack("{s:s}", "description", "Any JSON value");
    case PB_WKT_LIST_VALUE:
        s = typed("array", NULL);
        set(s, "items", json_object());
        return s;
    case PB_WKT_DOUBLE_VALUE: return wrapper("number", "double");
    case PB_WKT_FLOAT_VALUE: return wrapper("number", "float");
    case PB_WKT_INT64_VALUE: return wrapper("string", "int64");
    case PB_WKT_UINT64_VALUE: return wrapper("string", "uint64");
    case PB_WKT_INT32_VALUE: return wrapper("integer", "int32");
    case PB_WKT_UINT32_VALUE:
        s = wrapper("integer", "uint32");
        set(s, "minimum", json_integer(0));
        return s;
    case PB_WKT_BOOL_VALUE: return wrapper("boolean", NULL);
    case PB_WKT_STRING_VALUE: return wrapper("string", NULL);
    case PB_WKT_BYTES_VALUE: return wrapper("string", "byte");
    case PB_WKT_NONE: break;
    }
    return json_object();
}

static json_t *enum_schema(openapi_ctx *c, const pb_enum *e)
{
    if (e->is_null_value) return json_pack("{s:b,s:s}", "nullable", 1, "description", "JSON null");
    if (!json_object_get(c->schemas, e->full_name)) {
        json_t *values = json_array();
        for (size_t i = 0; i < e->n_values; i++)
            json_array_append_new(values, c->o->enums_as_ints ? json_integer(e->values[i].number)
                                                              : json_string(e->values[i].name));
        json_t *s = c->o->enums_as_ints ? typed("integer", "int32") : typed("string", NULL);
        set(s, "enum", values);
        set_str(s, "description", c->o->enums_as_ints ? "Enum numbers (requests may also use the value names)"
                                                      : "Enum value names (requests may also use the numbers)");
        set(c->schemas, e->full_name, s);
    }
    return ref(e->full_name);
}

/* The schema of one value of field f's type (not minding `repeated`). */
static json_t *type_schema(openapi_ctx *c, const pb_field *f)
{
    json_t *s;
    switch (f->type) {
    case PB_TYPE_DOUBLE: return typed("number", "double");
    case PB_TYPE_FLOAT: return typed("number", "float");
    case PB_TYPE_INT64: case PB_TYPE_SINT64: case PB_TYPE_SFIXED64: return typed("string", "int64");
    case PB_TYPE_UINT64: case PB_TYPE_FIXED64: return typed("string", "uint64");
    case PB_TYPE_INT32: case PB_TYPE_SINT32: case PB_TYPE_SFIXED32: return typed("integer", "int32");
    case PB_TYPE_UINT32: case PB_TYPE_FIXED32:
        s = typed("integer", "uint32");
        set(s, "minimum", json_integer(0));
        return s;
    case PB_TYPE_BOOL: return typed("boolean", NULL);
    case PB_TYPE_STRING: return typed("string", NULL);
    case PB_TYPE_BYTES: return typed("string", "byte");
    case PB_TYPE_ENUM: return f->enumeration ? enum_schema(c, f->enumeration) : typed("string", NULL);
    case PB_TYPE_MESSAGE: case PB_TYPE_GROUP: return f->message ? message_schema(c, f->message) : typed("object", NULL);
    }
    return json_object();
}

static const char *map_key_note(const pb_field *key)
{
    switch (key ? key->type : PB_TYPE_STRING) {
    case PB_TYPE_STRING: return NULL;
    case PB_TYPE_BOOL: return "Keys are \"true\" or \"false\"";
    default: return "Keys are integers written as decimal strings";
    }
}

static json_t *field_schema(openapi_ctx *c, const pb_field *f)
{
    if (f->is_map && f->message) {
        const pb_field *kf = pb_msg_field_by_number(f->message, 1), *vf = pb_msg_field_by_number(f->message, 2);
        json_t *s = typed("object", NULL);
        set(s, "additionalProperties", vf ? type_schema(c, vf) : json_true());
        const char *note = map_key_note(kf);
        if (note) set_str(s, "description", note);
        return s;
    }
    if (f->repeated) {
        json_t *s = typed("array", NULL);
        set(s, "items", type_schema(c, f));
        return s;
    }
    return type_schema(c, f);
}

static const char *prop_name(const openapi_ctx *c, const pb_field *f) { return c->o->proto_names ? f->name : f->json_name; }

static const char *oneof_of(const pb_msg *m, const pb_field *f)
{
    return f->oneof_index >= 0 && (size_t)f->oneof_index < m->n_oneofs ? m->oneof_names[f->oneof_index] : NULL;
}

static json_t *message_schema(openapi_ctx *c, const pb_msg *m)
{
    if (m->wkt != PB_WKT_NONE) return wkt_schema(m->wkt);
    if (json_object_get(c->schemas, m->full_name)) return ref(m->full_name);
    /* Registered before its fields are described, so a recursive message refers to itself. */
    json_t *s = typed("object", NULL);
    set(c->schemas, m->full_name, s);
    json_t *props = json_object();
    for (size_t i = 0; i < m->n_fields; i++) {
        const pb_field *f = &m->fields[i];
        if (f->type == PB_TYPE_GROUP) continue;   /* proto2 groups: the gateway neither prints nor reads them */
        json_t *fs = field_schema(c, f);
        const char *oneof = oneof_of(m, f);
        if (oneof) {
            buf d = BUF_INIT;
            buf_printf(&d, "At most one field of the oneof `%s` may be set.", oneof);
            fs = describe(fs, (const char *)d.data);
            buf_free(&d);
        }
        set(props, prop_name(c, f), fs);
    }
    set(s, "properties", props);
    return ref(m->full_name);
}

static void add_fixed_schemas(openapi_ctx *c)
{
    json_t *any = typed("object", NULL);
    set_str(any, "description", "google.protobuf.Any: the message's JSON fields plus @type naming its type "
                                "(a well-known type's JSON form goes in \"value\")");
    set(any, "properties", json_pack("{s:{s:s,s:s}}", "@type", "type", "string", "description",
                                     "type.googleapis.com/<full message name>"));
    set(any, "required", json_pack("[s]", "@type"));
    set(any, "additionalProperties", json_true());
    set(c->schemas, ANY_SCHEMA, any);

    json_t *status = typed("object", NULL);
    set_str(status, "description", "google.rpc.Status: the body of every error response and the error of a stream");
    json_t *props = json_object();
    set(props, "code", describe(typed("integer", "int32"), "The gRPC status code (3 INVALID_ARGUMENT, 5 NOT_FOUND, ...)"));
    set(props, "message", describe(typed("string", NULL), "What went wrong"));
    json_t *details = typed("array", NULL);
    set(details, "items", ref(ANY_SCHEMA));
    set(props, "details", details);
    set(status, "properties", props);
    set(c->schemas, STATUS_SCHEMA, status);
}

/* ------------------------------------------------------------------ field paths */

typedef struct field_chain {
    size_t n;
    const pb_field *f[MAX_FIELD_PATH];
} field_chain;

/* Resolves a dotted field path ("book.name") from message m; false when some part is missing. */
static bool resolve_chain(const pb_msg *m, const char *path, field_chain *out)
{
    out->n = 0;
    for (const char *p = path; m;) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        const pb_field *f = pb_msg_field_by_name(m, p, len);
        if (!f || out->n == MAX_FIELD_PATH) return false;
        out->f[out->n++] = f;
        if (!dot) return true;
        p = dot + 1;
        m = f->message;
    }
    return false;
}

static bool chain_equal(const field_chain *a, const pb_field *const *b, size_t n)
{
    if (a->n != n) return false;
    for (size_t i = 0; i < n; i++)
        if (a->f[i] != b[i]) return false;
    return true;
}

/* ------------------------------------------------------------------ paths and path parameters */

typedef struct placeholder {
    char name[MAX_NAME];
    const pathtmpl_var *var;            /* NULL: a wildcard outside any variable */
    size_t seg;                         /* the template segment it stands for */
} placeholder;

typedef struct path_shape {
    buf key;                            /* the OpenAPI path */
    buf hierarchy;                      /* the same with "{}" for every parameter */
    size_t n;
    placeholder ph[MAX_PLACEHOLDERS];
} path_shape;

static const pathtmpl_var *var_at(const pathtmpl *t, size_t seg)
{
    for (size_t i = 0; i < t->n_vars; i++)
        if (seg >= t->vars[i].first_seg && seg < t->vars[i].first_seg + t->vars[i].n_segs) return &t->vars[i];
    return NULL;
}

static size_t wildcards_in(const pathtmpl *t, const pathtmpl_var *v)
{
    size_t n = 0;
    for (size_t s = v->first_seg; s < v->first_seg + v->n_segs; s++) n += t->segs[s].kind != PATHTMPL_LITERAL;
    return n;
}

/* Appends a decoded literal percent-encoded for a path: unreserved, sub-delims, ':' and '@' stay. */
static void append_literal(buf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (isalnum(ch) || strchr("-._~!$&'()*+,;=:@", ch)) buf_append_byte(b, ch);
        else buf_printf(b, "%%%02X", ch);
    }
}

static void name_placeholder(const pathtmpl *t, placeholder *p, size_t *bare_count)
{
    const pathtmpl_var *v = p->var;
    if (!v) {
        snprintf(p->name, sizeof p->name, "wildcard%zu", ++*bare_count);
        return;
    }
    if (wildcards_in(t, v) == 1) {
        snprintf(p->name, sizeof p->name, "%s", v->field_path);
        return;
    }
    /* Several wildcards: name each after the literal before it (shelves/{name.shelves}), else number. */
    char tail[64] = "";
    if (p->seg > v->first_seg && t->segs[p->seg - 1].kind == PATHTMPL_LITERAL) {
        const pathtmpl_seg *lit = &t->segs[p->seg - 1];
        size_t j = 0;
        for (size_t i = 0; i < lit->literal_len && j + 1 < sizeof tail; i++)
            if (isalnum((unsigned char)lit->literal[i]) || lit->literal[i] == '_' || lit->literal[i] == '-')
                tail[j++] = lit->literal[i];
        tail[j] = 0;
    }
    if (!tail[0]) {
        size_t k = 0;
        for (size_t s = v->first_seg; s <= p->seg; s++) k += t->segs[s].kind != PATHTMPL_LITERAL;
        snprintf(tail, sizeof tail, "%zu", k);
    }
    snprintf(p->name, sizeof p->name, "%s.%s", v->field_path, tail);
}

static bool name_taken(const path_shape *sh, size_t upto, const char *name)
{
    for (size_t i = 0; i < upto; i++)
        if (!strcmp(sh->ph[i].name, name)) return true;
    return false;
}

static void build_shape(openapi_ctx *c, const pathtmpl *t, path_shape *sh)
{
    size_t bare = 0;
    sh->n = 0;
    for (size_t i = 0; i < t->n_segs; i++) {
        buf_append_byte(&sh->hierarchy, '/');
        const pathtmpl_seg *seg = &t->segs[i];
        if (seg->kind == PATHTMPL_LITERAL) {
            append_literal(&sh->hierarchy, seg->literal, seg->literal_len);
            continue;
        }
        placeholder *p = &sh->ph[sh->n];
        p->var = var_at(t, i);
        p->seg = i;
        name_placeholder(t, p, &bare);
        /* Unique within the route ("a.1" and "a.1" cannot both exist, but stay safe). */
        for (int k = 2; name_taken(sh, sh->n, p->name); k++) {
            char base[MAX_NAME];
            snprintf(base, sizeof base, "%s", p->name);
            snprintf(p->name, sizeof p->name, "%.200s_%d", base, k);
        }
        sh->n++;
        buf_append_str(&sh->hierarchy, "{}");
    }
    if (t->n_segs == 0) buf_append_byte(&sh->hierarchy, '/');
    if (t->verb) {
        buf_append_byte(&sh->hierarchy, ':');
        append_literal(&sh->hierarchy, t->verb, t->verb_len);
    }
    /* Paths OpenAPI considers the same (differing only in parameter names) take the first names. */
    json_t *names = json_object_get(c->hierarchies, (const char *)sh->hierarchy.data);
    if (names && json_array_size(names) == sh->n) {
        for (size_t i = 0; i < sh->n; i++)
            snprintf(sh->ph[i].name, sizeof sh->ph[i].name, "%s", json_string_value(json_array_get(names, i)));
    } else if (!names) {
        names = json_array();
        for (size_t i = 0; i < sh->n; i++) json_array_append_new(names, json_string(sh->ph[i].name));
        set(c->hierarchies, (const char *)sh->hierarchy.data, names);
    }
    /* The key: literals as they are, each parameter by its final name. */
    size_t k = 0;
    for (size_t i = 0; i < t->n_segs; i++) {
        buf_append_byte(&sh->key, '/');
        const pathtmpl_seg *seg = &t->segs[i];
        if (seg->kind == PATHTMPL_LITERAL) append_literal(&sh->key, seg->literal, seg->literal_len);
        else buf_printf(&sh->key, "{%s}", sh->ph[k++].name);
    }
    if (t->n_segs == 0) buf_append_byte(&sh->key, '/');
    if (t->verb) {
        buf_append_byte(&sh->key, ':');
        append_literal(&sh->key, t->verb, t->verb_len);
    }
}

/* The text a variable sets its field to, each wildcard shown as its parameter: shelves/{name.shelves} */
static void var_value_text(const pathtmpl *t, const pathtmpl_var *v, const path_shape *sh, buf *out)
{
    for (size_t s = v->first_seg; s < v->first_seg + v->n_segs; s++) {
        if (s > v->first_seg) buf_append_byte(out, '/');
        if (t->segs[s].kind == PATHTMPL_LITERAL) {
            append_literal(out, t->segs[s].literal, t->segs[s].literal_len);
            continue;
        }
        for (size_t i = 0; i < sh->n; i++)
            if (sh->ph[i].seg == s) buf_printf(out, "{%s}", sh->ph[i].name);
    }
}

static json_t *path_parameter(openapi_ctx *c, const route *r, const path_shape *sh, const placeholder *p)
{
    const pathtmpl *t = r->tmpl;
    bool dstar = t->segs[p->seg].kind == PATHTMPL_DSTAR;
    buf d = BUF_INIT;
    json_t *schema = NULL;
    if (!p->var) {
        buf_append_str(&d, dstar ? "Any number of path segments, not bound to a field; send '/' as it is, not as %2F."
                                 : "Any one path segment, not bound to a field.");
    } else if (p->var->n_segs == 1) {
        buf_printf(&d, "Sets the request field `%s`.", p->var->field_path);
        if (dstar) buf_append_str(&d, " Takes any number of path segments: send '/' as it is, not as %2F.");
        field_chain fc;
        if (!dstar && resolve_chain(r->method->input, p->var->field_path, &fc) && !fc.f[fc.n - 1]->repeated &&
            !fc.f[fc.n - 1]->is_map)
            schema = type_schema(c, fc.f[fc.n - 1]);
    } else {
        buf_printf(&d, "Part of the request field `%s`, which is set to `", p->var->field_path);
        var_value_text(t, p->var, sh, &d);
        buf_append_str(&d, "`.");
        if (dstar) buf_append_str(&d, " Takes any number of path segments: send '/' as it is, not as %2F.");
    }
    if (!schema) schema = typed("string", NULL);
    json_t *param = json_object();
    set_str(param, "name", p->name);
    set_str(param, "in", "path");
    set(param, "required", json_true());
    set_str(param, "description", (const char *)d.data);
    set(param, "schema", schema);
    buf_free(&d);
    return param;
}

/* ------------------------------------------------------------------ query parameters */

/* Fields whose values have a text form the binder accepts in a query string. */
static bool has_text_form(const pb_field *f)
{
    if (f->type != PB_TYPE_MESSAGE && f->type != PB_TYPE_GROUP) return true;
    switch (f->message ? f->message->wkt : PB_WKT_NONE) {
    case PB_WKT_NONE: case PB_WKT_ANY: case PB_WKT_EMPTY: return false;
    default: return true;
    }
}

static bool is_json_text_wkt(const pb_field *f)
{
    enum pb_wkt w = f->message ? f->message->wkt : PB_WKT_NONE;
    return (f->type == PB_TYPE_MESSAGE) && (w == PB_WKT_STRUCT || w == PB_WKT_LIST_VALUE || w == PB_WKT_VALUE);
}

typedef struct query_walk {
    openapi_ctx *c;
    const route *r;
    json_t *params;
    size_t n_bound;
    field_chain bound[PATHTMPL_MAX_VARS];   /* fields the path variables set */
    const pb_field *chain[OPENAPI_MAX_QUERY_DEPTH + 1];
    const pb_msg *stack[OPENAPI_MAX_QUERY_DEPTH + 1];
} query_walk;

static bool bound_by_path(const query_walk *w, size_t depth)
{
    for (size_t i = 0; i < w->n_bound; i++)
        if (chain_equal(&w->bound[i], w->chain, depth + 1)) return true;
    return false;
}

static void add_query_param(query_walk *w, const char *name, const pb_msg *m, const pb_field *f)
{
    json_t *param = json_object();
    set_str(param, "name", name);
    set_str(param, "in", "query");
    buf d = BUF_INIT;
    const char *oneof = oneof_of(m, f);
    if (f->is_map) {
        set_str(param, "style", "deepObject");
        set(param, "explode", json_true());
        buf_printf(&d, "Map entries as %s[key]=value.", name);
        set(param, "schema", field_schema(w->c, f));
    } else if (is_json_text_wkt(f) && !f->repeated) {
        buf_append_str(&d, "JSON text.");
        set(param, "content", json_pack("{s:{s:o}}", "application/json", "schema", field_schema(w->c, f)));
    } else {
        if (f->repeated) buf_append_str(&d, "Repeat the parameter for each element.");
        set(param, "schema", field_schema(w->c, f));
    }
    if (oneof) buf_printf(&d, "%sAt most one field of the oneof `%s` may be set.", d.len ? " " : "", oneof);
    if (d.len) set_str(param, "description", (const char *)d.data);
    buf_free(&d);
    json_array_append_new(w->params, param);
}

static void walk_query(query_walk *w, const pb_msg *m, size_t depth, const char *prefix)
{
    w->stack[depth] = m;
    for (size_t i = 0; i < m->n_fields; i++) {
        const pb_field *f = &m->fields[i];
        w->chain[depth] = f;
        if (f->type == PB_TYPE_GROUP || (depth == 0 && f == w->r->body_field)) continue;
        if (bound_by_path(w, depth)) continue;
        buf name = BUF_INIT;
        buf_printf(&name, "%s%s", prefix, prop_name(w->c, f));
        bool is_msg = f->type == PB_TYPE_MESSAGE;
        if (f->is_map) {
            const pb_field *vf = f->message ? pb_msg_field_by_number(f->message, 2) : NULL;
            if (vf && has_text_form(vf)) add_query_param(w, (const char *)name.data, m, f);
        } else if (is_msg && f->message && f->message->wkt == PB_WKT_NONE) {
            /* A nested message: its fields as name.field, unless repeated, too deep or recursive. */
            bool on_stack = false;
            for (size_t k = 0; k <= depth; k++) on_stack |= w->stack[k] == f->message;
            if (!f->repeated && depth + 1 < OPENAPI_MAX_QUERY_DEPTH && !on_stack) {
                buf_append_byte(&name, '.');
                walk_query(w, f->message, depth + 1, (const char *)name.data);
            }
        } else if (has_text_form(f) && !(f->repeated && is_json_text_wkt(f))) {
            add_query_param(w, (const char *)name.data, m, f);
        }
        buf_free(&name);
    }
}

static void query_parameters(openapi_ctx *c, const route *r, json_t *params)
{
    if (r->body && !strcmp(r->body, "*")) return;   /* the body binds every field */
    query_walk w = {.c = c, .r = r, .params = params};
    for (size_t i = 0; i < r->tmpl->n_vars && w.n_bound < PATHTMPL_MAX_VARS; i++)
        if (resolve_chain(r->method->input, r->tmpl->vars[i].field_path, &w.bound[w.n_bound])) w.n_bound++;
    walk_query(&w, r->method->input, 0, "");
}

/* ------------------------------------------------------------------ operations */

static const char *STREAM_BODY_NOTE =
    "A sequence of JSON values, one request message each: concatenated, newline-delimited or "
    "whitespace-separated. The end of the body ends the request stream.";
static const char *STREAM_RESPONSE_NOTE =
    "A stream of response messages, sent as they arrive. application/x-ndjson (the default): one line "
    "{\"result\": <message>} per message; a failure after the first message ends the stream with "
    "{\"error\": <google.rpc.Status>}. text/event-stream (Accept: text/event-stream): one event "
    "\"data: <message>\" per message and \"event: error\" with \"data: <google.rpc.Status>\" on failure.";

static json_t *request_body(openapi_ctx *c, const route *r)
{
    const pb_method *m = r->method;
    json_t *schema;
    const char *what;
    if (!strcmp(r->body, "*")) {
        schema = message_schema(c, m->input);
        what = r->tmpl->n_vars ? "The request message; fields bound by the path take the path's values." : "The request message.";
    } else if (r->body_field) {
        schema = field_schema(c, r->body_field);
        what = NULL;
    } else {
        return NULL;
    }
    json_t *body = json_object();
    buf d = BUF_INIT;
    if (what) buf_append_str(&d, what);
    else buf_printf(&d, "The request field `%s`.", r->body);
    if (m->client_streaming) buf_printf(&d, " %s", STREAM_BODY_NOTE);
    set_str(body, "description", (const char *)d.data);
    buf_free(&d);
    json_t *content = json_object();
    set(content, "application/json", json_pack("{s:O}", "schema", schema));
    if (m->client_streaming) set(content, "application/x-ndjson", json_pack("{s:O}", "schema", schema));
    json_decref(schema);
    set(body, "content", content);
    return body;
}

static json_t *responses(openapi_ctx *c, const route *r)
{
    const pb_method *m = r->method;
    json_t *result = r->response_field ? field_schema(c, r->response_field) : message_schema(c, m->output);
    json_t *ok = json_object();
    json_t *content = json_object();
    if (m->server_streaming) {
        set_str(ok, "description", STREAM_RESPONSE_NOTE);
        json_t *line = typed("object", NULL);
        set(line, "properties", json_pack("{s:o,s:o}", "result", result, "error", ref(STATUS_SCHEMA)));
        set(content, "application/x-ndjson", json_pack("{s:o}", "schema", line));
        set(content, "text/event-stream", json_pack("{s:{s:s,s:s}}", "schema", "type", "string", "description",
                                                    "Server-sent events: data: <message JSON>, or event: error"));
    } else {
        set_str(ok, "description", r->response_field ? "The response field" : "The response message");
        set(content, "application/json", json_pack("{s:o}", "schema", result));
    }
    set(ok, "content", content);
    json_t *err = json_object();
    set_str(err, "description", "An error: the HTTP status follows the gRPC status code");
    set(err, "content", json_pack("{s:{s:o}}", "application/json", "schema", ref(STATUS_SCHEMA)));
    return json_pack("{s:o,s:o}", "200", ok, "default", err);
}

static const char *kind_note(const pb_method *m)
{
    if (m->client_streaming && m->server_streaming)
        return "Bidirectional streaming call: over HTTP/1.1 the responses follow the end of the request body; "
               "a WebSocket upgrade on the same path gives full duplex.";
    if (m->client_streaming) return "Client streaming call: one response after the request stream ends.";
    if (m->server_streaming) return "Server streaming call.";
    return "Unary call.";
}

static void operation_id(openapi_ctx *c, const pb_method *m, buf *out)
{
    const char *dot = strrchr(m->service, '.');
    const char *svc = dot ? dot + 1 : m->service;
    buf_printf(out, "%s_%s", svc, m->name);
    size_t base = out->len;
    for (int k = 2; json_object_get(c->op_ids, (const char *)out->data); k++) {
        out->len = base;
        buf_printf(out, "_%d", k);
    }
    set(c->op_ids, (const char *)out->data, json_true());
}

static void add_tag(openapi_ctx *c, const char *service)
{
    if (json_object_get(c->seen_tags, service)) return;
    set(c->seen_tags, service, json_true());
    buf d = BUF_INIT;
    buf_printf(&d, "gRPC service %s", service);
    json_array_append_new(c->tags, json_pack("{s:s,s:s}", "name", service, "description", (const char *)d.data));
    buf_free(&d);
}

static bool is_standard_method(const char *m)
{
    static const char *const STANDARD[] = {"GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE"};
    for (size_t i = 0; i < sizeof STANDARD / sizeof STANDARD[0]; i++)
        if (!strcmp(m, STANDARD[i])) return true;
    return false;
}

static void add_route(openapi_ctx *c, const route *r)
{
    const pb_method *m = r->method;
    path_shape sh;
    buf_init(&sh.key);
    buf_init(&sh.hierarchy);
    build_shape(c, r->tmpl, &sh);

    json_t *op = json_object();
    buf id = BUF_INIT;
    operation_id(c, m, &id);
    set_str(op, "operationId", (const char *)id.data);
    buf_free(&id);
    set_str(op, "summary", m->full_name);
    buf d = BUF_INIT;
    buf_printf(&d, "%s gRPC method %s.", kind_note(m), m->grpc_path);
    /* A variable over literals only ({x=lit}) has no parameter: say what it sets. */
    for (size_t i = 0; i < r->tmpl->n_vars; i++)
        if (wildcards_in(r->tmpl, &r->tmpl->vars[i]) == 0) {
            buf_printf(&d, " The path sets `%s` to `", r->tmpl->vars[i].field_path);
            var_value_text(r->tmpl, &r->tmpl->vars[i], &sh, &d);
            buf_append_str(&d, "`.");
        }
    set_str(op, "description", (const char *)d.data);
    buf_free(&d);
    set(op, "tags", json_pack("[s]", m->service));
    add_tag(c, m->service);

    json_t *params = json_array();
    for (size_t i = 0; i < sh.n; i++) json_array_append_new(params, path_parameter(c, r, &sh, &sh.ph[i]));
    query_parameters(c, r, params);
    if (json_array_size(params)) set(op, "parameters", params);
    else json_decref(params);
    if (r->body) {
        json_t *body = request_body(c, r);
        if (body) set(op, "requestBody", body);
    }
    set(op, "responses", responses(c, r));

    const char *key = (const char *)sh.key.data;
    json_t *item = json_object_get(c->paths, key);
    if (!item) {
        item = json_object();
        set(c->paths, key, item);
    }
    buf method = BUF_INIT;
    if (is_standard_method(r->http_method)) {
        for (const char *p = r->http_method; *p; p++) buf_append_byte(&method, (uint8_t)tolower((unsigned char)*p));
    } else {
        buf_printf(&method, "x-custom-method-%s", r->http_method);
    }
    /* Two routes the router tells apart can still look the same to OpenAPI (GET /v1/{a} and
     * GET /v1/{b=**}): the first takes the method's slot, later ones are listed beside it. */
    if (!json_object_get(item, (const char *)method.data)) {
        set(item, (const char *)method.data, op);
    } else {
        json_t *more = json_object_get(item, "x-more-operations");
        if (!more) {
            more = json_array();
            set(item, "x-more-operations", more);
        }
        json_array_append_new(more, json_pack("{s:s,s:o}", "method", r->http_method, "operation", op));
    }
    buf_free(&method);
    buf_free(&sh.key);
    buf_free(&sh.hierarchy);
}

/* ------------------------------------------------------------------ the document */

static int dump_to_buf(const char *p, size_t n, void *cls)
{
    buf_append((buf *)cls, p, n);
    return 0;
}

/* Adds the caller's path items (see openapi_render_with). Takes nothing; leaves `paths` as it was on
 * error. */
static gw_err *add_extra_paths(json_t *paths, const char *text)
{
    json_error_t jerr;
    json_t *extra = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
    if (!extra || !json_is_object(extra)) {
        gw_err *e = gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "extra OpenAPI paths: %s",
                               extra ? "expected a JSON object of path items" : jerr.text);
        json_decref(extra);
        return e;
    }
    const char *key;
    json_t *item;
    json_object_foreach(extra, key, item) {
        gw_err *e = NULL;
        if (key[0] != '/') e = gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "extra OpenAPI path '%s' does not start with '/'", key);
        else if (json_object_get(paths, key))
            e = gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "extra OpenAPI path '%s' is already a route's path", key);
        else if (!json_is_object(item))
            e = gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "extra OpenAPI path '%s' is not a path item object", key);
        if (e) {
            json_decref(extra);
            return e;
        }
    }
    json_object_foreach(extra, key, item) json_object_set(paths, key, item);
    json_decref(extra);
    return NULL;
}

gw_err *openapi_render(const descpool *pool, const router *r, const json_opts *o, buf *out)
{
    return openapi_render_with(pool, r, o, NULL, out);
}

gw_err *openapi_render_with(const descpool *pool, const router *r, const json_opts *o, const char *extra_paths,
                            buf *out)
{
    static const json_opts DEFAULT_OPTS;
    openapi_ctx c = {
        .pool = pool,
        .o = o ? o : &DEFAULT_OPTS,
        .schemas = json_object(),
        .paths = json_object(),
        .tags = json_array(),
        .seen_tags = json_object(),
        .op_ids = json_object(),
        .hierarchies = json_object(),
    };
    add_fixed_schemas(&c);
    for (size_t i = 0; i < router_count(r); i++) {
        const route *rt = router_route(r, i);
        if (rt->method && rt->tmpl) add_route(&c, rt);   /* routes without a method (tests) document nothing */
    }
    gw_err *e = extra_paths ? add_extra_paths(c.paths, extra_paths) : NULL;
    if (e) {
        json_decref(c.schemas);
        json_decref(c.paths);
        json_decref(c.tags);
        json_decref(c.seen_tags);
        json_decref(c.op_ids);
        json_decref(c.hierarchies);
        return e;
    }

    buf d = BUF_INIT;
    buf_append_str(&d, "The REST/JSON interface of ");
    size_t n_tags = json_array_size(c.tags);
    for (size_t i = 0; i < n_tags; i++)
        buf_printf(&d, "%s%s", i ? (i + 1 == n_tags ? " and " : ", ") : "",
                   json_string_value(json_object_get(json_array_get(c.tags, i), "name")));
    if (!n_tags) buf_append_str(&d, "no service");
    buf_append_str(&d, ", served by grpc-json-gateway from descriptor sets and google.api.http rules. "
                       "Errors are google.rpc.Status JSON objects.");
    json_t *doc = json_object();
    set_str(doc, "openapi", "3.0.3");
    set(doc, "info", json_pack("{s:s,s:s,s:s}", "title", "grpc-json-gateway", "version", PACKAGE_VERSION,
                               "description", (const char *)d.data));
    buf_free(&d);
    set(doc, "tags", c.tags);
    set(doc, "paths", c.paths);
    set(doc, "components", json_pack("{s:o}", "schemas", c.schemas));
    json_decref(c.seen_tags);
    json_decref(c.op_ids);
    json_decref(c.hierarchies);

    size_t mark = out->len;
    int rc = json_dump_callback(doc, dump_to_buf, out, JSON_INDENT(2));
    json_decref(doc);
    if (rc != 0) {
        out->len = mark;
        if (out->data) out->data[mark] = 0;
        return gw_err_new(GRPC_STATUS_INTERNAL, "cannot print the OpenAPI document");
    }
    buf_append_byte(out, '\n');
    return NULL;
}
