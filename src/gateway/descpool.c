/* descpool.c: the descriptor pool (see descpool.h): FileDescriptorSets parsed with protobuf-c's
 * generated descriptor.proto code, copied into pool-owned memory, resolved and indexed.
 *
 * Start-up code: runs on the main thread before any request is served. The lookups at the end of
 * the file are the only part on the request path; they are read-only and allocate nothing. */
#include "descpool.h"

#include <errno.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "google/protobuf/descriptor.pb-c.h"
#include "pbwire.h"

#define HTTP_RULE_EXTENSION 72295728u       /* google.api.http, an extension of MethodOptions */
#define MAX_FIELDS_PER_MESSAGE 65000         /* field indexes are stored in 16 bits */
#define DENSE_NUMBER_SLACK 32                /* by-number table when max number <= 2 * fields + slack */
#define ARENA_CHUNK_BYTES 16384
#define MAX_DESCRIPTOR_SET_BYTES (256u << 20)

/* ------------------------------------------------------------------------------------ arena */

/* Everything the pool hands out lives in its arena and is freed at once with the pool. */
typedef struct arena_chunk {
    struct arena_chunk *next;
    size_t used, cap;
    alignas(max_align_t) unsigned char data[];
} arena_chunk;

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fputs("fatal: out of memory\n", stderr);
        abort();
    }
    return p;
}

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p) {
        fputs("fatal: out of memory\n", stderr);
        abort();
    }
    return p;
}

static void *arena_alloc(arena_chunk **head, size_t n)
{
    size_t align = alignof(max_align_t);
    n = (n + align - 1) / align * align;
    arena_chunk *c = *head;
    if (!c || c->cap - c->used < n) {
        size_t cap = n > ARENA_CHUNK_BYTES ? n : ARENA_CHUNK_BYTES;
        c = xmalloc(sizeof *c + cap);
        c->used = 0;
        c->cap = cap;
        c->next = *head;
        *head = c;
    }
    void *p = c->data + c->used;
    c->used += n;
    memset(p, 0, n);
    return p;
}

static char *arena_strndup(arena_chunk **head, const char *s, size_t n)
{
    char *p = arena_alloc(head, n + 1);
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}

static char *arena_strdup(arena_chunk **head, const char *s) { return arena_strndup(head, s, strlen(s)); }

/* ------------------------------------------------------------------------------------ symbol table */

static uint32_t hash_bytes(const char *s, size_t n)
{
    uint32_t h = 2166136261u;                 /* FNV-1a */
    for (size_t i = 0; i < n; i++) {
        h ^= (uint8_t)s[i];
        h *= 16777619u;
    }
    return h;
}

enum sym_kind { SYM_MESSAGE = 1, SYM_ENUM, SYM_METHOD, SYM_FILE, SYM_OTHER };

typedef struct sym {
    const char *name;                          /* NULL: empty slot */
    size_t len;
    uint32_t hash;
    enum sym_kind kind;
    void *ptr;
} sym;

/* Open addressing, power-of-two capacity, at most half full. */
typedef struct symtab {
    sym *slots;
    size_t cap, count;
} symtab;

static sym *symtab_find(const symtab *t, const char *name, size_t len)
{
    if (!t->cap) return NULL;
    uint32_t h = hash_bytes(name, len);
    for (size_t i = h & (t->cap - 1);; i = (i + 1) & (t->cap - 1)) {
        sym *s = &t->slots[i];
        if (!s->name) return NULL;
        if (s->hash == h && s->len == len && memcmp(s->name, name, len) == 0) return s;
    }
}

static void symtab_put_slot(sym *slots, size_t cap, const sym *e)
{
    for (size_t i = e->hash & (cap - 1);; i = (i + 1) & (cap - 1)) {
        if (!slots[i].name) {
            slots[i] = *e;
            return;
        }
    }
}

/* Adds name -> (kind, ptr); `name` must outlive the table. Returns the existing entry when the name
 * is taken (nothing added), NULL when added. */
static sym *symtab_add(symtab *t, const char *name, enum sym_kind kind, void *ptr)
{
    size_t len = strlen(name);
    sym *old = symtab_find(t, name, len);
    if (old) return old;
    if ((t->count + 1) * 2 > t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        sym *slots = xmalloc(cap * sizeof *slots);
        memset(slots, 0, cap * sizeof *slots);
        for (size_t i = 0; i < t->cap; i++)
            if (t->slots[i].name) symtab_put_slot(slots, cap, &t->slots[i]);
        free(t->slots);
        t->slots = slots;
        t->cap = cap;
    }
    sym e = {name, len, hash_bytes(name, len), kind, ptr};
    symtab_put_slot(t->slots, t->cap, &e);
    t->count++;
    return NULL;
}

/* ------------------------------------------------------------------------------------ records */

/* The lookup tables of one message (pb_msg.index). */
typedef struct name_slot {
    const char *name;                          /* NULL: empty */
    uint32_t len;
    uint32_t hash;
    uint32_t index;                            /* into fields[] or values[] */
} name_slot;

struct pb_msg_index {
    uint32_t max_number;                       /* by_number covers 0..max_number */
    const uint16_t *by_number;                 /* field index + 1, 0 for none; NULL: binary search */
    uint32_t name_mask;                        /* by_name has name_mask + 1 slots */
    const name_slot *by_name;                  /* proto names and json_names */
};

typedef struct enum_number {
    int32_t number;
    uint32_t index;                            /* the first value declared with this number */
} enum_number;

struct pb_enum_index {
    uint32_t name_mask;
    const name_slot *by_name;
    size_t n_numbers;
    const enum_number *by_number;              /* sorted by number, one entry per number */
};

/* Pool-private data kept next to each public record until descpool_finish resolves it. */
typedef struct msg_rec {
    pb_msg pub;
    pb_field *fields;                          /* == pub.fields, writable */
    const char **type_names;                   /* per field: the type_name to resolve, or NULL */
    const uint8_t *packed_options;             /* per field: field_build.packed_option */
    bool proto3;
    const char *origin;
    const char *file;
    bool resolved;
} msg_rec;

typedef struct enum_rec {
    pb_enum pub;
} enum_rec;

typedef struct method_rec {
    pb_method pub;
    const char *input_name, *output_name;
    const char *origin;
    bool resolved;
} method_rec;

struct descpool {
    arena_chunk *arena;
    symtab symbols;                            /* messages, enums, services, packages: full names */
    symtab files;                              /* file names already added */
    symtab paths;                              /* "/pkg.Service/Method" -> method_rec */
    msg_rec **msgs;
    size_t n_msgs, cap_msgs;
    enum_rec **enums;
    size_t n_enums, cap_enums;
    method_rec **methods;
    size_t n_methods, cap_methods;
};

#define GROW(arr, n, cap)                                                          \
    do {                                                                           \
        if ((n) == (cap)) {                                                        \
            (cap) = (cap) ? (cap) * 2 : 16;                                        \
            (arr) = xrealloc((arr), (cap) * sizeof *(arr));                        \
        }                                                                          \
    } while (0)

descpool *descpool_new(void)
{
    descpool *p = xmalloc(sizeof *p);
    memset(p, 0, sizeof *p);
    return p;
}

void descpool_free(descpool *pool)
{
    if (!pool) return;
    for (arena_chunk *c = pool->arena, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    free(pool->symbols.slots);
    free(pool->files.slots);
    free(pool->paths.slots);
    free(pool->msgs);
    free(pool->enums);
    free(pool->methods);
    free(pool);
}

/* ------------------------------------------------------------------------------------ adding */

typedef struct add_ctx {
    descpool *pool;
    const char *origin;                        /* arena copy */
    const char *file;                          /* arena copy of the file's name */
    bool proto3;
} add_ctx;

static char *join_name(descpool *pool, const char *scope, const char *name)
{
    if (!scope || !*scope) return arena_strdup(&pool->arena, name);
    size_t a = strlen(scope), b = strlen(name);
    char *s = arena_alloc(&pool->arena, a + b + 2);
    memcpy(s, scope, a);
    s[a] = '.';
    memcpy(s + a + 1, name, b + 1);
    return s;
}

static gw_err *define(add_ctx *c, const char *full_name, enum sym_kind kind, void *ptr)
{
    sym *old = symtab_add(&c->pool->symbols, full_name, kind, ptr);
    if (!old) return NULL;
    if (old->kind == SYM_OTHER && kind == SYM_OTHER) return NULL;   /* packages may repeat */
    return gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "%s: file '%s': '%s' is defined twice", c->origin,
                      c->file, full_name);
}

/* protoc's default json_name: drop each '_' and upper-case the letter after it. */
static char *default_json_name(descpool *pool, const char *name)
{
    size_t n = strlen(name);
    char *s = arena_alloc(&pool->arena, n + 1);
    size_t j = 0;
    bool upper = false;
    for (size_t i = 0; i < n; i++) {
        char ch = name[i];
        if (ch == '_') {
            upper = true;
            continue;
        }
        if (upper && ch >= 'a' && ch <= 'z') ch = (char)(ch - 'a' + 'A');
        upper = false;
        s[j++] = ch;
    }
    s[j] = 0;
    return s;
}

static enum pb_wkt wkt_of(const char *full_name)
{
    static const struct { const char *name; enum pb_wkt wkt; } table[] = {
        {"google.protobuf.Any", PB_WKT_ANY},
        {"google.protobuf.Timestamp", PB_WKT_TIMESTAMP},
        {"google.protobuf.Duration", PB_WKT_DURATION},
        {"google.protobuf.FieldMask", PB_WKT_FIELD_MASK},
        {"google.protobuf.Empty", PB_WKT_EMPTY},
        {"google.protobuf.Struct", PB_WKT_STRUCT},
        {"google.protobuf.Value", PB_WKT_VALUE},
        {"google.protobuf.ListValue", PB_WKT_LIST_VALUE},
        {"google.protobuf.DoubleValue", PB_WKT_DOUBLE_VALUE},
        {"google.protobuf.FloatValue", PB_WKT_FLOAT_VALUE},
        {"google.protobuf.Int64Value", PB_WKT_INT64_VALUE},
        {"google.protobuf.UInt64Value", PB_WKT_UINT64_VALUE},
        {"google.protobuf.Int32Value", PB_WKT_INT32_VALUE},
        {"google.protobuf.UInt32Value", PB_WKT_UINT32_VALUE},
        {"google.protobuf.BoolValue", PB_WKT_BOOL_VALUE},
        {"google.protobuf.StringValue", PB_WKT_STRING_VALUE},
        {"google.protobuf.BytesValue", PB_WKT_BYTES_VALUE},
    };
    if (strncmp(full_name, "google.protobuf.", 16) != 0) return PB_WKT_NONE;
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcmp(full_name, table[i].name) == 0) return table[i].wkt;
    return PB_WKT_NONE;
}

static bool type_is_packable(enum pb_type t)
{
    return t != PB_TYPE_STRING && t != PB_TYPE_BYTES && t != PB_TYPE_MESSAGE && t != PB_TYPE_GROUP;
}

static gw_err *add_enum(add_ctx *c, const char *scope, const Google__Protobuf__EnumDescriptorProto *ed)
{
    if (!ed->name || !*ed->name)
        return gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "%s: file '%s': an enum in '%s' has no name",
                          c->origin, c->file, scope && *scope ? scope : "(file scope)");
    descpool *pool = c->pool;
    enum_rec *e = arena_alloc(&pool->arena, sizeof *e);
    e->pub.full_name = join_name(pool, scope, ed->name);
    if (ed->n_value == 0)
        return gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "%s: enum %s has no values", c->origin,
                          e->pub.full_name);
    pb_enum_value *values = arena_alloc(&pool->arena, ed->n_value * sizeof *values);
    for (size_t i = 0; i < ed->n_value; i++) {
        const Google__Protobuf__EnumValueDescriptorProto *v = ed->value[i];
        if (!v->name || !*v->name)
            return gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "%s: enum %s: value %zu has no name", c->origin,
                              e->pub.full_name, i);
        values[i].name = arena_strdup(&pool->arena, v->name);
        values[i].number = v->number;
    }
    e->pub.n_values = ed->n_value;
    e->pub.values = values;
    e->pub.is_null_value = strcmp(e->pub.full_name, "google.protobuf.NullValue") == 0;
    gw_err *err = define(c, e->pub.full_name, SYM_ENUM, e);
    if (err) return err;
    GROW(pool->enums, pool->n_enums, pool->cap_enums);
    pool->enums[pool->n_enums++] = e;
    return NULL;
}

/* A field while its message is being added: the public part plus what resolving needs. */
typedef struct field_build {
    pb_field f;
    const char *type_name;
    uint8_t packed_option;                     /* 0: not given, 1: [packed=false], 2: [packed=true] */
} field_build;

static int cmp_field_number(const void *a, const void *b)
{
    const field_build *x = a, *y = b;
    return x->f.number < y->f.number ? -1 : x->f.number > y->f.number;
}

static gw_err *add_message(add_ctx *c, const char *scope, const Google__Protobuf__DescriptorProto *md)
{
    descpool *pool = c->pool;
    if (!md->name || !*md->name)
        return gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "%s: file '%s': a message in '%s' has no name",
                          c->origin, c->file, scope && *scope ? scope : "(file scope)");
    msg_rec *m = arena_alloc(&pool->arena, sizeof *m);
    const char *full = join_name(pool, scope, md->name);
    m->pub.full_name = full;
    m->origin = c->origin;
    m->file = c->file;
    m->pub.map_entry = md->options && md->options->has_map_entry && md->options->map_entry;
    m->pub.wkt = wkt_of(full);
    if (md->n_field > MAX_FIELDS_PER_MESSAGE)
        return gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "%s: message %s has too many fields (%zu)", c->origin,
                          full, md->n_field);

    /* Oneofs: a oneof whose members are proto3 `optional` fields is synthetic and is not a oneof for
     * JSON purposes; number the real ones 0..n-1. */
    int *oneof_map = NULL;
    size_t n_real = 0;
    if (md->n_oneof_decl) {
        oneof_map = xmalloc(md->n_oneof_decl * sizeof *oneof_map);
        for (size_t i = 0; i < md->n_oneof_decl; i++) oneof_map[i] = 0;
        for (size_t i = 0; i < md->n_field; i++) {
            const Google__Protobuf__FieldDescriptorProto *fd = md->field[i];
            if (fd->has_oneof_index && fd->oneof_index >= 0 && (size_t)fd->oneof_index < md->n_oneof_decl &&
                fd->has_proto3_optional && fd->proto3_optional)
                oneof_map[fd->oneof_index] = -1;
        }
        const char **names = arena_alloc(&pool->arena, md->n_oneof_decl * sizeof *names);
        for (size_t i = 0; i < md->n_oneof_decl; i++) {
            if (oneof_map[i] < 0) continue;
            const char *on = md->oneof_decl[i]->name;
            names[n_real] = arena_strdup(&pool->arena, on ? on : "");
            oneof_map[i] = (int)n_real++;
        }
        m->pub.oneof_names = names;
    }
    m->pub.n_oneofs = n_real;

    gw_err *err = NULL;
    size_t nf = md->n_field;
    field_build *fb = xmalloc((nf ? nf : 1) * sizeof *fb);
    memset(fb, 0, (nf ? nf : 1) * sizeof *fb);
    for (size_t i = 0; i < nf; i++) {
        const Google__Protobuf__FieldDescriptorProto *fd = md->field[i];
        pb_field *f = &fb[i].f;
        if (!fd->name || !*fd->name) {
            err = gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "%s: message %s: field %zu has no name", c->origin,
                             full, i);
            goto done;
        }
        f->name = arena_strdup(&pool->arena, fd->name);
        f->json_name = fd->json_name && *fd->json_name ? arena_strdup(&pool->arena, fd->json_name)
                                                        : default_json_name(pool, fd->name);
        if (!fd->has_number || fd->number < 1 || (uint32_t)fd->number > PBW_MAX_FIELD_NUMBER) {
            err = gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "%s: message %s: field '%s' has an invalid number",
                             c->origin, full, f->name);
            goto done;
        }
        f->number = (uint32_t)fd->number;
        if (fd->has_type && (int)fd->type >= PB_TYPE_DOUBLE && (int)fd->type <= PB_TYPE_SINT64) {
            f->type = (enum pb_type)fd->type;
        } else if (!fd->has_type && fd->type_name && *fd->type_name) {
            f->type = 0;             /* a message or an enum: decided when the name is resolved */
        } else {
            err = gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "%s: message %s: field '%s' has no valid type",
                             c->origin, full, f->name);
            goto done;
        }
        f->repeated = fd->label == GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__LABEL__LABEL_REPEATED;
        fb[i].packed_option = fd->options && fd->options->has_packed ? (fd->options->packed ? 2 : 1) : 0;
        f->oneof_index = -1;
        f->proto3_optional = c->proto3 && fd->has_proto3_optional && fd->proto3_optional;
        bool in_oneof = fd->has_oneof_index && fd->oneof_index >= 0 && (size_t)fd->oneof_index < md->n_oneof_decl;
        if (in_oneof && oneof_map[fd->oneof_index] >= 0) f->oneof_index = oneof_map[fd->oneof_index];
        if (f->repeated)
            f->has_presence = false;
        else if (!c->proto3)
            f->has_presence = true;
        else
            f->has_presence = f->type == PB_TYPE_MESSAGE || f->type == PB_TYPE_GROUP || f->type == 0 ||
                              (fd->has_proto3_optional && fd->proto3_optional) || f->oneof_index >= 0;
        if (f->type == PB_TYPE_MESSAGE || f->type == PB_TYPE_GROUP || f->type == PB_TYPE_ENUM || f->type == 0) {
            if (!fd->type_name || !*fd->type_name) {
                err = gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "%s: message %s: field '%s' has no type name",
                                 c->origin, full, f->name);
                goto done;
            }
            fb[i].type_name = arena_strdup(&pool->arena, fd->type_name);
        }
    }
    qsort(fb, nf, sizeof *fb, cmp_field_number);   /* the wire codec wants them by number */
    pb_field *fields = arena_alloc(&pool->arena, (nf ? nf : 1) * sizeof *fields);
    const char **type_names = arena_alloc(&pool->arena, (nf ? nf : 1) * sizeof *type_names);
    uint8_t *packed_options = arena_alloc(&pool->arena, nf ? nf : 1);
    for (size_t i = 0; i < nf; i++) {
        fields[i] = fb[i].f;
        type_names[i] = fb[i].type_name;
        packed_options[i] = fb[i].packed_option;
        if (i > 0 && fields[i].number == fields[i - 1].number) {
            err = gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "%s: message %s: fields '%s' and '%s' share number %u",
                             c->origin, full, fields[i - 1].name, fields[i].name, fields[i].number);
            goto done;
        }
    }
    m->proto3 = c->proto3;
    m->packed_options = packed_options;
    m->fields = fields;
    m->type_names = type_names;
    m->pub.fields = fields;
    m->pub.n_fields = nf;

    err = define(c, full, SYM_MESSAGE, m);
    if (err) goto done;
    GROW(pool->msgs, pool->n_msgs, pool->cap_msgs);
    pool->msgs[pool->n_msgs++] = m;

    for (size_t i = 0; i < md->n_enum_type && !err; i++) err = add_enum(c, full, md->enum_type[i]);
    for (size_t i = 0; i < md->n_nested_type && !err; i++) err = add_message(c, full, md->nested_type[i]);
done:
    free(fb);
    free(oneof_map);
    return err;
}

/* The google.api.http option is an extension protobuf-c does not know, so it stays among the
 * MethodOptions' unknown fields. protobuf-c keeps the record's varint length prefix in `data`. */
static void find_http_rule(descpool *pool, const Google__Protobuf__MethodOptions *opt, pb_method *m)
{
    if (!opt) return;
    for (size_t i = 0; i < opt->base.n_unknown_fields; i++) {
        const ProtobufCMessageUnknownField *u = &opt->base.unknown_fields[i];
        if (u->tag != HTTP_RULE_EXTENSION || u->wire_type != PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED) continue;
        const uint8_t *data = u->data;
        size_t len = u->len;
        pbw_reader r = pbw_reader_init(u->data, u->len);
        const uint8_t *payload;
        size_t plen;
        if (pbw_read_len(&r, &payload, &plen) && pbw_at_end(&r)) {
            data = payload;
            len = plen;
        }
        uint8_t *copy = arena_alloc(&pool->arena, len ? len : 1);
        if (len) memcpy(copy, data, len);
        m->http_rule = copy;             /* a repeated option record: the last one wins */
        m->http_rule_len = len;
    }
}

static gw_err *add_service(add_ctx *c, const char *package, const Google__Protobuf__ServiceDescriptorProto *sd)
{
    descpool *pool = c->pool;
    if (!sd->name || !*sd->name)
        return gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "%s: file '%s': a service has no name", c->origin, c->file);
    const char *service = join_name(pool, package, sd->name);
    gw_err *err = define(c, service, SYM_OTHER, NULL);
    if (err) return err;
    for (size_t i = 0; i < sd->n_method; i++) {
        const Google__Protobuf__MethodDescriptorProto *md = sd->method[i];
        if (!md->name || !*md->name || !md->input_type || !md->output_type)
            return gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "%s: service %s: method %zu is incomplete", c->origin,
                              service, i);
        method_rec *m = arena_alloc(&pool->arena, sizeof *m);
        m->origin = c->origin;
        m->pub.service = service;
        m->pub.name = arena_strdup(&pool->arena, md->name);
        m->pub.full_name = join_name(pool, service, md->name);
        size_t a = strlen(service), b = strlen(md->name);
        char *path = arena_alloc(&pool->arena, a + b + 3);
        path[0] = '/';
        memcpy(path + 1, service, a);
        path[a + 1] = '/';
        memcpy(path + a + 2, md->name, b + 1);
        m->pub.grpc_path = path;
        m->pub.client_streaming = md->has_client_streaming && md->client_streaming;
        m->pub.server_streaming = md->has_server_streaming && md->server_streaming;
        m->input_name = arena_strdup(&pool->arena, md->input_type);
        m->output_name = arena_strdup(&pool->arena, md->output_type);
        find_http_rule(pool, md->options, &m->pub);
        if (symtab_add(&pool->paths, path, SYM_METHOD, m))
            return gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "%s: method %s is defined twice", c->origin, path);
        GROW(pool->methods, pool->n_methods, pool->cap_methods);
        pool->methods[pool->n_methods++] = m;
    }
    return NULL;
}

/* Every prefix of a package ("a", "a.b") is a scope name; define them so that a message cannot
 * take a package's name unnoticed. */
static gw_err *define_package(add_ctx *c, const char *package)
{
    if (!package || !*package) return NULL;
    for (const char *p = package;; p++) {
        if (*p == '.' || *p == 0) {
            char *prefix = arena_strndup(&c->pool->arena, package, (size_t)(p - package));
            sym *old = symtab_add(&c->pool->symbols, prefix, SYM_OTHER, NULL);
            if (old && old->kind != SYM_OTHER)
                return gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "%s: file '%s': package '%s' clashes with a type",
                                  c->origin, c->file, prefix);
            if (*p == 0) return NULL;
        }
    }
}

static gw_err *add_file(descpool *pool, const char *origin, const Google__Protobuf__FileDescriptorProto *fd)
{
    if (!fd->name || !*fd->name)
        return gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "%s: a file has no name", origin);
    if (symtab_find(&pool->files, fd->name, strlen(fd->name))) return NULL;   /* already added */
    add_ctx c = {pool, origin, arena_strdup(&pool->arena, fd->name), false};
    const char *syntax = fd->syntax && *fd->syntax ? fd->syntax : "proto2";
    if (strcmp(syntax, "proto3") == 0) c.proto3 = true;
    else if (strcmp(syntax, "proto2") != 0)
        return gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "%s: file '%s': unsupported syntax '%s'", origin, fd->name,
                          syntax);
    symtab_add(&pool->files, c.file, SYM_FILE, NULL);
    const char *package = fd->package ? fd->package : "";
    gw_err *err = define_package(&c, package);
    for (size_t i = 0; i < fd->n_enum_type && !err; i++) err = add_enum(&c, package, fd->enum_type[i]);
    for (size_t i = 0; i < fd->n_message_type && !err; i++) err = add_message(&c, package, fd->message_type[i]);
    for (size_t i = 0; i < fd->n_service && !err; i++) err = add_service(&c, package, fd->service[i]);
    return err;
}

gw_err *descpool_add_set(descpool *pool, const uint8_t *data, size_t len, const char *origin)
{
    if (!origin) origin = "(descriptor set)";
    Google__Protobuf__FileDescriptorSet *set = google__protobuf__file_descriptor_set__unpack(NULL, len, data);
    if (!set)
        return gw_err_new(GRPC_STATUS_INVALID_ARGUMENT,
                          "%s: not a valid FileDescriptorSet (build it with protoc --include_imports "
                          "--descriptor_set_out)", origin);
    const char *o = arena_strdup(&pool->arena, origin);
    gw_err *err = NULL;
    if (set->n_file == 0)
        err = gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "%s: the descriptor set holds no files", origin);
    for (size_t i = 0; i < set->n_file && !err; i++) err = add_file(pool, o, set->file[i]);
    google__protobuf__file_descriptor_set__free_unpacked(set, NULL);
    return err;
}

gw_err *descpool_add_file(descpool *pool, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "%s: cannot open: %s", path, strerror(errno));
    buf b = BUF_INIT;
    char chunk[65536];
    size_t n;
    gw_err *err = NULL;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        buf_append(&b, chunk, n);
        if (b.len > MAX_DESCRIPTOR_SET_BYTES) {
            err = gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "%s: larger than %u bytes", path,
                             MAX_DESCRIPTOR_SET_BYTES);
            break;
        }
    }
    if (!err && ferror(f)) err = gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "%s: read error", path);
    fclose(f);
    if (!err) err = descpool_add_set(pool, b.data ? b.data : (const uint8_t *)"", b.len, path);
    buf_free(&b);
    return err;
}

/* ------------------------------------------------------------------------------------ resolving */

/* Resolves a type name as protoc writes it: fully qualified with a leading dot. A relative name is
 * looked up in the enclosing scopes, innermost first (the C++ scoping rule). */
static sym *resolve_name(const descpool *pool, const char *scope, const char *name)
{
    if (name[0] == '.') return symtab_find(&pool->symbols, name + 1, strlen(name + 1));
    size_t sl = strlen(scope), nl = strlen(name);
    char *tmp = xmalloc(sl + nl + 2);
    sym *found = NULL;
    for (;;) {
        size_t len = 0;
        if (sl) {
            memcpy(tmp, scope, sl);
            tmp[sl] = '.';
            len = sl + 1;
        }
        memcpy(tmp + len, name, nl);
        found = symtab_find(&pool->symbols, tmp, len + nl);
        if (found && found->kind != SYM_OTHER) break;
        found = NULL;
        if (!sl) break;
        while (sl > 0 && scope[sl - 1] != '.') sl--;
        if (sl > 0) sl--;                       /* drop the '.' too */
    }
    free(tmp);
    return found;
}

static gw_err *resolve_message(descpool *pool, msg_rec *m)
{
    for (size_t i = 0; i < m->pub.n_fields; i++) {
        pb_field *f = &m->fields[i];
        const char *tn = m->type_names[i];
        if (!tn) continue;
        sym *s = resolve_name(pool, m->pub.full_name, tn);
        if (!s || (s->kind != SYM_MESSAGE && s->kind != SYM_ENUM))
            return gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "%s: message %s: field '%s' names unknown type '%s'",
                              m->origin, m->pub.full_name, f->name, tn);
        if (f->type == 0) f->type = s->kind == SYM_MESSAGE ? PB_TYPE_MESSAGE : PB_TYPE_ENUM;
        if (s->kind == SYM_MESSAGE && (f->type == PB_TYPE_MESSAGE || f->type == PB_TYPE_GROUP)) {
            f->message = &((msg_rec *)s->ptr)->pub;
        } else if (s->kind == SYM_ENUM && f->type == PB_TYPE_ENUM) {
            f->enumeration = &((enum_rec *)s->ptr)->pub;
        } else {
            return gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "%s: message %s: field '%s': type '%s' is not a %s",
                              m->origin, m->pub.full_name, f->name, tn,
                              f->type == PB_TYPE_ENUM ? "enum" : "message");
        }
        f->is_map = f->repeated && f->type == PB_TYPE_MESSAGE && f->message->map_entry;
    }
    /* Packing needs the final type: proto3 packs repeated scalars by default, proto2 only on request. */
    for (size_t i = 0; i < m->pub.n_fields; i++) {
        pb_field *f = &m->fields[i];
        if (f->repeated && type_is_packable(f->type))
            f->packed = m->packed_options[i] ? m->packed_options[i] == 2 : m->proto3;
    }
    if (m->pub.map_entry) {
        const pb_field *k = m->pub.n_fields == 2 ? &m->fields[0] : NULL;
        const pb_field *v = m->pub.n_fields == 2 ? &m->fields[1] : NULL;
        if (!k || k->number != 1 || v->number != 2 || k->repeated || v->repeated || k->type == PB_TYPE_DOUBLE ||
            k->type == PB_TYPE_FLOAT || k->type == PB_TYPE_BYTES || k->type == PB_TYPE_MESSAGE ||
            k->type == PB_TYPE_GROUP || k->type == PB_TYPE_ENUM)
            return gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "%s: %s is marked map_entry but is not a valid map entry",
                              m->origin, m->pub.full_name);
    }
    return NULL;
}

static uint32_t pow2_at_least(size_t n)
{
    uint32_t c = 8;
    while (c < n) c *= 2;
    return c;
}

static void name_insert(name_slot *slots, uint32_t mask, const char *name, uint32_t index)
{
    uint32_t len = (uint32_t)strlen(name);
    uint32_t h = hash_bytes(name, len);
    for (uint32_t i = h & mask;; i = (i + 1) & mask) {
        if (!slots[i].name) {
            slots[i] = (name_slot){name, len, h, index};
            return;
        }
        if (slots[i].hash == h && slots[i].len == len && memcmp(slots[i].name, name, len) == 0) return;
    }
}

static const name_slot *name_lookup(const name_slot *slots, uint32_t mask, const char *name, size_t len)
{
    uint32_t h = hash_bytes(name, len);
    for (uint32_t i = h & mask;; i = (i + 1) & mask) {
        const name_slot *s = &slots[i];
        if (!s->name) return NULL;
        if (s->hash == h && s->len == len && memcmp(s->name, name, len) == 0) return s;
    }
}

static void index_message(descpool *pool, msg_rec *m)
{
    struct pb_msg_index *ix = arena_alloc(&pool->arena, sizeof *ix);
    size_t n = m->pub.n_fields;
    uint32_t max = n ? m->fields[n - 1].number : 0;
    if (max <= 2 * n + DENSE_NUMBER_SLACK) {
        uint16_t *t = arena_alloc(&pool->arena, ((size_t)max + 1) * sizeof *t);
        for (size_t i = 0; i < n; i++) t[m->fields[i].number] = (uint16_t)(i + 1);
        ix->by_number = t;
        ix->max_number = max;
    }
    uint32_t cap = pow2_at_least(4 * n);
    name_slot *slots = arena_alloc(&pool->arena, cap * sizeof *slots);
    for (size_t i = 0; i < n; i++) name_insert(slots, cap - 1, m->fields[i].name, (uint32_t)i);
    for (size_t i = 0; i < n; i++) name_insert(slots, cap - 1, m->fields[i].json_name, (uint32_t)i);
    ix->by_name = slots;
    ix->name_mask = cap - 1;
    m->pub.index = ix;
}

static int cmp_enum_number(const void *a, const void *b)
{
    const enum_number *x = a, *y = b;
    if (x->number != y->number) return x->number < y->number ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

static void index_enum(descpool *pool, enum_rec *e)
{
    struct pb_enum_index *ix = arena_alloc(&pool->arena, sizeof *ix);
    size_t n = e->pub.n_values;
    uint32_t cap = pow2_at_least(2 * n);
    name_slot *slots = arena_alloc(&pool->arena, cap * sizeof *slots);
    for (size_t i = 0; i < n; i++) name_insert(slots, cap - 1, e->pub.values[i].name, (uint32_t)i);
    enum_number *nums = arena_alloc(&pool->arena, n * sizeof *nums);
    for (size_t i = 0; i < n; i++) nums[i] = (enum_number){e->pub.values[i].number, (uint32_t)i};
    qsort(nums, n, sizeof *nums, cmp_enum_number);
    size_t k = 0;                               /* aliases: keep the first declared name per number */
    for (size_t i = 0; i < n; i++)
        if (k == 0 || nums[k - 1].number != nums[i].number) nums[k++] = nums[i];
    ix->by_name = slots;
    ix->name_mask = cap - 1;
    ix->by_number = nums;
    ix->n_numbers = k;
    e->pub.index = ix;
}

gw_err *descpool_finish(descpool *pool)
{
    for (size_t i = 0; i < pool->n_msgs; i++) {
        msg_rec *m = pool->msgs[i];
        if (m->resolved) continue;
        gw_err *err = resolve_message(pool, m);
        if (err) return err;
    }
    /* Second pass: is_map needs the entry types' map_entry flags, which are set at add time, and
     * the indexes need final fields. */
    for (size_t i = 0; i < pool->n_msgs; i++) {
        msg_rec *m = pool->msgs[i];
        if (m->resolved) continue;
        index_message(pool, m);
        m->resolved = true;
    }
    for (size_t i = 0; i < pool->n_enums; i++)
        if (!pool->enums[i]->pub.index) index_enum(pool, pool->enums[i]);
    for (size_t i = 0; i < pool->n_methods; i++) {
        method_rec *m = pool->methods[i];
        if (m->resolved) continue;
        sym *in = resolve_name(pool, m->pub.service, m->input_name);
        sym *out = resolve_name(pool, m->pub.service, m->output_name);
        if (!in || in->kind != SYM_MESSAGE)
            return gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "%s: method %s: unknown input type '%s'", m->origin,
                              m->pub.full_name, m->input_name);
        if (!out || out->kind != SYM_MESSAGE)
            return gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "%s: method %s: unknown output type '%s'", m->origin,
                              m->pub.full_name, m->output_name);
        m->pub.input = &((msg_rec *)in->ptr)->pub;
        m->pub.output = &((msg_rec *)out->ptr)->pub;
        m->resolved = true;
    }
    return NULL;
}

/* ------------------------------------------------------------------------------------ lookups */

const pb_msg *descpool_find_message_n(const descpool *pool, const char *name, size_t len)
{
    if (len && name[0] == '.') {
        name++;
        len--;
    }
    sym *s = symtab_find(&pool->symbols, name, len);
    if (!s || s->kind != SYM_MESSAGE || !((msg_rec *)s->ptr)->resolved) return NULL;
    return &((msg_rec *)s->ptr)->pub;
}

const pb_msg *descpool_find_message(const descpool *pool, const char *full_name)
{
    return descpool_find_message_n(pool, full_name, strlen(full_name));
}

const pb_msg *descpool_find_type_url(const descpool *pool, const char *url, size_t len)
{
    size_t start = len;
    while (start > 0 && url[start - 1] != '/') start--;
    if (start == len) return NULL;             /* "host/" names nothing */
    return descpool_find_message_n(pool, url + start, len - start);
}

const pb_enum *descpool_find_enum(const descpool *pool, const char *full_name)
{
    if (full_name[0] == '.') full_name++;
    sym *s = symtab_find(&pool->symbols, full_name, strlen(full_name));
    if (!s || s->kind != SYM_ENUM) return NULL;
    return &((enum_rec *)s->ptr)->pub;
}

const pb_method *descpool_find_method(const descpool *pool, const char *grpc_path)
{
    sym *s = symtab_find(&pool->paths, grpc_path, strlen(grpc_path));
    if (!s || !((method_rec *)s->ptr)->resolved) return NULL;
    return &((method_rec *)s->ptr)->pub;
}

size_t descpool_method_count(const descpool *pool) { return pool->n_methods; }

const pb_method *descpool_method(const descpool *pool, size_t i)
{
    return i < pool->n_methods ? &pool->methods[i]->pub : NULL;
}

size_t descpool_message_count(const descpool *pool) { return pool->n_msgs; }

const pb_msg *descpool_message(const descpool *pool, size_t i)
{
    return i < pool->n_msgs ? &pool->msgs[i]->pub : NULL;
}

const pb_field *pb_msg_field_by_number(const pb_msg *m, uint32_t number)
{
    const struct pb_msg_index *ix = m->index;
    if (ix && ix->by_number) {
        if (number > ix->max_number) return NULL;
        uint16_t k = ix->by_number[number];
        return k ? &m->fields[k - 1] : NULL;
    }
    size_t lo = 0, hi = m->n_fields;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        uint32_t x = m->fields[mid].number;
        if (x == number) return &m->fields[mid];
        if (x < number) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

const pb_field *pb_msg_field_by_name(const pb_msg *m, const char *name, size_t len)
{
    const struct pb_msg_index *ix = m->index;
    if (ix) {
        const name_slot *s = name_lookup(ix->by_name, ix->name_mask, name, len);
        return s ? &m->fields[s->index] : NULL;
    }
    for (size_t i = 0; i < m->n_fields; i++) {
        const pb_field *f = &m->fields[i];
        if (strlen(f->name) == len && memcmp(f->name, name, len) == 0) return f;
        if (strlen(f->json_name) == len && memcmp(f->json_name, name, len) == 0) return f;
    }
    return NULL;
}

const pb_enum_value *pb_enum_value_by_name(const pb_enum *e, const char *name, size_t len)
{
    const struct pb_enum_index *ix = e->index;
    if (ix) {
        const name_slot *s = name_lookup(ix->by_name, ix->name_mask, name, len);
        return s ? &e->values[s->index] : NULL;
    }
    for (size_t i = 0; i < e->n_values; i++)
        if (strlen(e->values[i].name) == len && memcmp(e->values[i].name, name, len) == 0) return &e->values[i];
    return NULL;
}

const pb_enum_value *pb_enum_value_by_number(const pb_enum *e, int32_t number)
{
    const struct pb_enum_index *ix = e->index;
    if (ix) {
        size_t lo = 0, hi = ix->n_numbers;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            int32_t x = ix->by_number[mid].number;
            if (x == number) return &e->values[ix->by_number[mid].index];
            if (x < number) lo = mid + 1;
            else hi = mid;
        }
        return NULL;
    }
    for (size_t i = 0; i < e->n_values; i++)
        if (e->values[i].number == number) return &e->values[i];
    return NULL;
}
