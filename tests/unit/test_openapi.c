/* test_openapi.c: unit tests for src/gateway/openapi on the greeter (gen/helloworld.desc), the
 * router's library service (gen/tests/routes.desc) and the transcoder's kitchen protos
 * (gen/tests/kitchen.desc): operations, path and query parameters, bodies, streaming responses,
 * the proto3 JSON schemas, and the document's own consistency ($refs, path parameters, ids). */
#include <check.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "descpool.h"
#include "openapi.h"
#include "router.h"

#ifndef GW_TEST_DATADIR
#define GW_TEST_DATADIR "gen"
#endif

#define REF "#/components/schemas/"

/* ------------------------------------------------------------------ helpers */

/* Renders the document for one descriptor set and parses it back. */
static json_t *render(const char *desc, const json_opts *o)
{
    descpool *pool = descpool_new();
    router *r = router_new();
    gw_err *e = NULL;
    if (desc) {
        e = descpool_add_file(pool, desc);
        if (!e) e = descpool_finish(pool);
        if (!e) e = router_add_pool(r, pool);
    }
    buf out = BUF_INIT;
    if (!e) e = openapi_render(pool, r, o, &out);
    if (e) ck_abort_msg("%s: %s", desc ? desc : "(no descriptors)", e->message);
    json_error_t err;
    json_t *doc = json_loadb((const char *)out.data, out.len, JSON_REJECT_DUPLICATES, &err);
    ck_assert_msg(doc != NULL, "not JSON: %s (line %d)", err.text, err.line);
    buf_free(&out);
    router_free(r);
    descpool_free(pool);
    return doc;
}

/* Follows object keys (strings) until NULL; aborts the test when one is missing. */
static json_t *at(json_t *v, ...)
{
    va_list ap;
    va_start(ap, v);
    const char *trail[16];
    size_t n = 0;
    for (const char *k = va_arg(ap, const char *); k; k = va_arg(ap, const char *)) {
        if (n < 16) trail[n++] = k;
        json_t *next = json_object_get(v, k);
        if (!next) {
            char path[512] = "";
            for (size_t i = 0; i < n; i++) snprintf(path + strlen(path), sizeof path - strlen(path), "/%s", trail[i]);
            va_end(ap);
            ck_abort_msg("missing %s", path);
        }
        v = next;
    }
    va_end(ap);
    return v;
}

static const char *str_at(json_t *v, const char *key)
{
    const char *s = json_string_value(json_object_get(v, key));
    ck_assert_msg(s != NULL, "no string '%s'", key);
    return s;
}

static json_t *param(json_t *op, const char *name, const char *in)
{
    json_t *p;
    size_t i;
    json_array_foreach(json_object_get(op, "parameters"), i, p)
        if (!strcmp(str_at(p, "name"), name) && !strcmp(str_at(p, "in"), in)) return p;
    return NULL;
}

static size_t count_params(json_t *op, const char *in)
{
    json_t *p;
    size_t i, n = 0;
    json_array_foreach(json_object_get(op, "parameters"), i, p) n += !strcmp(str_at(p, "in"), in);
    return n;
}

static void expect_ref(json_t *schema, const char *component)
{
    char want[256];
    snprintf(want, sizeof want, REF "%s", component);
    const char *got = json_string_value(json_object_get(schema, "$ref"));
    ck_assert_msg(got && !strcmp(got, want), "expected $ref %s, got %s", want, got ? got : json_dumps(schema, 0));
}

/* type and format of a schema ("string/int64"; format may be absent). */
static void expect_type(json_t *schema, const char *type, const char *format)
{
    const char *t = json_string_value(json_object_get(schema, "type"));
    const char *f = json_string_value(json_object_get(schema, "format"));
    char *dump = json_dumps(schema, 0);
    ck_assert_msg(t && !strcmp(t, type), "type: want %s in %s", type, dump);
    ck_assert_msg(format ? f && !strcmp(f, format) : f == NULL, "format: want %s in %s", format ? format : "none", dump);
    free(dump);
}

/* Every $ref in the document names an existing component. */
static void check_refs(json_t *doc, json_t *v)
{
    if (json_is_object(v)) {
        const char *k;
        json_t *x;
        json_object_foreach(v, k, x) {
            if (!strcmp(k, "$ref")) {
                const char *r = json_string_value(x);
                ck_assert_msg(r && !strncmp(r, REF, strlen(REF)), "odd $ref %s", r ? r : "?");
                ck_assert_msg(json_object_get(at(doc, "components", "schemas", NULL), r + strlen(REF)),
                              "dangling $ref %s", r);
            } else {
                check_refs(doc, x);
            }
        }
    } else if (json_is_array(v)) {
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x) check_refs(doc, x);
    }
}

/* Each operation declares exactly the parameters its path holds, all required; operationIds are
 * unique; every operation has a 200 and a default response. Returns the number of operations. */
static size_t check_operations(json_t *doc)
{
    json_t *ids = json_object();
    const char *key;
    json_t *item;
    size_t n_ops = 0;
    json_object_foreach(at(doc, "paths", NULL), key, item) {
        ck_assert_msg(key[0] == '/', "path %s", key);
        size_t n_placeholders = 0;
        for (const char *p = key; (p = strchr(p, '{')); p++) n_placeholders++;
        const char *method;
        json_t *op;
        json_object_foreach(item, method, op) {
            if (!strncmp(method, "x-", 2) && strncmp(method, "x-custom-method-", 16)) continue;
            n_ops++;
            const char *id = str_at(op, "operationId");
            ck_assert_msg(!json_object_get(ids, id), "operationId %s used twice", id);
            json_object_set_new(ids, id, json_true());
            ck_assert_uint_eq(count_params(op, "path"), n_placeholders);
            for (const char *p = key; (p = strchr(p, '{')); p++) {
                const char *end = strchr(p, '}');
                char name[256];
                snprintf(name, sizeof name, "%.*s", (int)(end - p - 1), p + 1);
                json_t *pp = param(op, name, "path");
                ck_assert_msg(pp != NULL, "%s %s: no path parameter '%s'", method, key, name);
                ck_assert(json_is_true(json_object_get(pp, "required")));
            }
            at(op, "responses", "200", "content", NULL);
            expect_ref(at(op, "responses", "default", "content", "application/json", "schema", NULL), "google.rpc.Status");
        }
    }
    json_decref(ids);
    return n_ops;
}

static void check_document(json_t *doc)
{
    ck_assert_str_eq(str_at(doc, "openapi"), "3.0.3");
    at(doc, "info", "title", NULL);
    at(doc, "info", "version", NULL);
    check_refs(doc, doc);
    check_operations(doc);
}

/* ------------------------------------------------------------------ the greeter */

START_TEST(greeter_operations_bodies_and_responses)
{
    json_t *doc = render(GW_TEST_DATADIR "/helloworld.desc", NULL);
    check_document(doc);

    json_t *post = at(doc, "paths", "/v1/hello", "post", NULL);
    ck_assert_str_eq(str_at(post, "operationId"), "Greeter_SayHello");
    ck_assert_str_eq(str_at(post, "summary"), "helloworld.Greeter.SayHello");
    ck_assert_str_eq(json_string_value(json_array_get(at(post, "tags", NULL), 0)), "helloworld.Greeter");
    expect_ref(at(post, "requestBody", "content", "application/json", "schema", NULL), "helloworld.HelloRequest");
    expect_ref(at(post, "responses", "200", "content", "application/json", "schema", NULL), "helloworld.HelloReply");
    ck_assert_uint_eq(json_array_size(json_object_get(post, "parameters")), 0);   /* body "*": no query */

    json_t *get = at(doc, "paths", "/v1/hello/{name}", "get", NULL);
    ck_assert_str_eq(str_at(get, "operationId"), "Greeter_SayHello_2");
    json_t *name = param(get, "name", "path");
    ck_assert_ptr_nonnull(name);
    expect_type(at(name, "schema", NULL), "string", NULL);
    ck_assert_uint_eq(count_params(get, "query"), 0);   /* the only field is bound by the path */
    ck_assert_ptr_null(json_object_get(get, "requestBody"));

    /* Every method also answers POST /<service>/<method>. */
    at(doc, "paths", "/helloworld.Greeter/SayHelloBiStream", "post", NULL);

    /* Server streaming: NDJSON lines of {"result"} / {"error"}, and server-sent events. */
    json_t *stream = at(doc, "paths", "/v1/hello/stream", "post", "responses", "200", "content", NULL);
    json_t *line = at(stream, "application/x-ndjson", "schema", "properties", NULL);
    expect_ref(at(line, "result", NULL), "helloworld.HelloReply");
    expect_ref(at(line, "error", NULL), "google.rpc.Status");
    at(stream, "text/event-stream", "schema", NULL);
    ck_assert_ptr_null(json_object_get(stream, "application/json"));

    /* Client streaming: the body is a sequence of messages; one JSON response. */
    json_t *collect = at(doc, "paths", "/v1/hello/collect", "post", NULL);
    ck_assert_ptr_nonnull(strstr(str_at(at(collect, "requestBody", NULL), "description"), "sequence of JSON values"));
    expect_ref(at(collect, "requestBody", "content", "application/x-ndjson", "schema", NULL), "helloworld.HelloRequest");
    at(collect, "responses", "200", "content", "application/json", NULL);

    json_t *chat = at(doc, "paths", "/v1/hello/chat", "post", NULL);
    at(chat, "requestBody", "content", "application/x-ndjson", NULL);
    at(chat, "responses", "200", "content", "application/x-ndjson", NULL);

    json_t *req = at(doc, "components", "schemas", "helloworld.HelloRequest", NULL);
    expect_type(req, "object", NULL);
    expect_type(at(req, "properties", "name", NULL), "string", NULL);
    at(doc, "components", "schemas", "google.rpc.Status", "properties", "details", NULL);
    json_t *tag = json_array_get(at(doc, "tags", NULL), 0);
    ck_assert_ptr_nonnull(tag);
    ck_assert_str_eq(str_at(tag, "name"), "helloworld.Greeter");
    json_decref(doc);
}
END_TEST

/* ------------------------------------------------------------------ routes.proto */

START_TEST(routes_path_parameters_from_templates)
{
    json_t *doc = render(GW_TEST_DATADIR "/tests/routes.desc", NULL);
    check_document(doc);
    json_t *paths = at(doc, "paths", NULL);

    /* {name=shelves/STAR}: the literal moves into the path, the wildcard keeps the field's name. */
    json_t *get_shelf = at(paths, "/v1/shelves/{name}", "get", NULL);
    ck_assert_str_eq(str_at(get_shelf, "operationId"), "Library_GetShelf");
    ck_assert_ptr_nonnull(strstr(str_at(param(get_shelf, "name", "path"), "description"), "`shelves/{name}`"));
    at(paths, "/v1/shelves/{name}", "delete", NULL);
    at(paths, "/v1/shelves/featured", "get", NULL);

    /* {name=shelves/STAR/books/STAR}: one parameter per wildcard, named after the literal before it;
     * GET, PATCH, PUT and the custom LOCK share the path. */
    json_t *book = at(paths, "/v1/shelves/{name.shelves}/books/{name.books}", NULL);
    at(book, "get", NULL);
    at(book, "patch", NULL);
    at(book, "put", NULL);
    ck_assert_str_eq(str_at(at(book, "x-custom-method-LOCK", NULL), "operationId"), "Library_LockBook");
    ck_assert_ptr_nonnull(strstr(str_at(param(at(book, "get", NULL), "name.books", "path"), "description"),
                                 "`shelves/{name.shelves}/books/{name.books}`"));
    /* UpdateBook binds book.name in the same place: same parameter names, its own field named. */
    ck_assert_ptr_nonnull(strstr(str_at(param(at(book, "patch", NULL), "name.shelves", "path"), "description"), "`book.name`"));

    /* Verbs stay in the path; a nested field variable is typed as its field. */
    at(paths, "/v1/shelves/{name.shelves}/books/{name.books}:move", "post", NULL);
    json_t *edition = at(paths, "/v1/shelves/{name.shelves}/books/{name.books}/editions/{edition.number}", "get", NULL);
    expect_type(at(param(edition, "edition.number", "path"), "schema", NULL), "integer", "int32");
    ck_assert_ptr_null(param(edition, "edition.number", "query"));
    ck_assert_ptr_nonnull(param(edition, "edition.printRun", "query"));

    /* ** takes several segments; a bare * is a wildcard parameter; a Timestamp variable is a date-time. */
    json_t *file = at(paths, "/v1/files/{path}", "get", NULL);
    ck_assert_ptr_nonnull(strstr(str_at(param(file, "path", "path"), "description"), "%2F"));
    ck_assert_ptr_nonnull(param(at(paths, "/v1/stats/{wildcard1}/top", "get", NULL), "wildcard1", "path"));
    expect_type(at(param(at(paths, "/v1/books/since/{published_after}", "get", NULL), "published_after", "path"), "schema", NULL),
                "string", "date-time");
    json_decref(doc);
}
END_TEST

START_TEST(routes_query_parameters_and_bodies)
{
    json_t *doc = render(GW_TEST_DATADIR "/tests/routes.desc", NULL);
    json_t *paths = at(doc, "paths", NULL);

    json_t *list = at(paths, "/v1/shelves/{parent}/books", "get", NULL);
    ck_assert_ptr_null(param(list, "parent", "query"));              /* bound by the path */
    expect_type(at(param(list, "pageSize", "query"), "schema", NULL), "integer", "int32");
    expect_type(at(param(list, "publishedAfter", "query"), "schema", NULL), "string", "date-time");
    expect_type(at(param(list, "ids", "query"), "schema", NULL), "array", NULL);
    expect_type(at(param(list, "ids", "query"), "schema", "items", NULL), "string", "int64");
    expect_ref(at(param(list, "genre", "query"), "schema", NULL), "routes.Genre");
    expect_ref(at(param(list, "genres", "query"), "schema", "items", NULL), "routes.Genre");
    json_t *labels = param(list, "labels", "query");
    ck_assert_str_eq(str_at(labels, "style"), "deepObject");
    expect_type(at(labels, "schema", "additionalProperties", NULL), "string", NULL);
    expect_type(at(param(list, "edition.publisher.countryCode", "query"), "schema", NULL), "string", NULL);
    expect_type(at(param(list, "minRating", "query"), "schema", NULL), "integer", "int32");
    ck_assert(json_is_true(at(param(list, "minRating", "query"), "schema", "nullable", NULL)));
    at(param(list, "extra", "query"), "content", "application/json", NULL);   /* Struct: JSON text */
    ck_assert_ptr_nonnull(strstr(str_at(param(list, "orderBy", "query"), "description"), "oneof `order`"));
    ck_assert_ptr_null(param(list, "nothing", "query"));             /* Empty has no text form */
    ck_assert_ptr_null(param(list, "editions", "query"));            /* repeated messages neither */
    ck_assert_ptr_null(param(list, "edition", "query"));
    ck_assert_ptr_null(json_object_get(list, "requestBody"));

    /* The other binding of the same method has no path variable: parent becomes a query parameter. */
    ck_assert_ptr_nonnull(param(at(paths, "/v1/books", "get", NULL), "parent", "query"));

    /* body: "shelf": the field is the body, the other fields are query parameters. */
    json_t *create = at(paths, "/v1/shelves", "post", NULL);
    expect_ref(at(create, "requestBody", "content", "application/json", "schema", NULL), "routes.Shelf");
    ck_assert_ptr_nonnull(param(create, "shelfId", "query"));
    ck_assert_ptr_null(param(create, "shelf", "query"));
    ck_assert_ptr_null(param(create, "shelf.name", "query"));

    /* PATCH with body "book" and book.name in the path: only update_mask is left for the query. */
    json_t *patch = at(paths, "/v1/shelves/{name.shelves}/books/{name.books}", "patch", NULL);
    ck_assert_uint_eq(count_params(patch, "query"), 1);
    ck_assert_ptr_nonnull(param(patch, "updateMask", "query"));
    /* body "*": no query parameters at all. */
    ck_assert_uint_eq(count_params(at(paths, "/v1/shelves/{name.shelves}/books/{name.books}", "put", NULL), "query"), 0);

    /* response_body: the response is the field. */
    expect_type(at(paths, "/v1/shelves/{name.shelves}/books/{name.books}:title", "get", "responses", "200", "content",
                   "application/json", "schema", NULL),
                "string", NULL);
    /* google.protobuf.Empty as input and output: an object. */
    expect_type(at(paths, "/routes.Library/Ping", "post", "responses", "200", "content", "application/json", "schema", NULL),
                "object", NULL);
    json_decref(doc);
}
END_TEST

/* ------------------------------------------------------------------ kitchen.proto: the schemas */

START_TEST(kitchen_schemas_follow_proto3_json)
{
    json_t *doc = render(GW_TEST_DATADIR "/tests/kitchen.desc", NULL);
    check_document(doc);
    json_t *p = at(doc, "components", "schemas", "kitchen.Everything", "properties", NULL);
    const struct {
        const char *prop, *type, *format;
    } scalars[] = {
        {"fDouble", "number", "double"}, {"fFloat", "number", "float"},     {"fInt64", "string", "int64"},
        {"fUint64", "string", "uint64"}, {"fInt32", "integer", "int32"},    {"fFixed64", "string", "uint64"},
        {"fFixed32", "integer", "uint32"}, {"fBool", "boolean", NULL},      {"fString", "string", NULL},
        {"fBytes", "string", "byte"},    {"fUint32", "integer", "uint32"},  {"fSfixed32", "integer", "int32"},
        {"fSfixed64", "string", "int64"}, {"fSint32", "integer", "int32"},  {"fSint64", "string", "int64"},
        {"wTimestamp", "string", "date-time"}, {"wDuration", "string", NULL}, {"wFieldMask", "string", NULL},
        {"wEmpty", "object", NULL},      {"wStruct", "object", NULL},       {"wListValue", "array", NULL},
        {"wDouble", "number", "double"}, {"wInt64", "string", "int64"},     {"wUint64", "string", "uint64"},
        {"wInt32", "integer", "int32"},  {"wBool", "boolean", NULL},        {"wString", "string", NULL},
        {"wBytes", "string", "byte"},    {"customJson", "string", NULL},    {"fieldName1", "integer", "int32"},
        {"oInt32", "integer", "int32"},
    };
    for (size_t i = 0; i < sizeof scalars / sizeof scalars[0]; i++)
        expect_type(at(p, scalars[i].prop, NULL), scalars[i].type, scalars[i].format);
    ck_assert(json_is_true(at(p, "wString", "nullable", NULL)));            /* wrappers may be null */
    ck_assert_ptr_null(json_object_get(at(p, "fString", NULL), "nullable"));
    ck_assert_ptr_null(json_object_get(at(p, "wValue", NULL), "type"));      /* Value: any JSON */
    ck_assert(json_is_true(at(p, "wNull", "nullable", NULL)));
    expect_ref(at(p, "fEnum", NULL), "kitchen.Color");
    expect_ref(at(p, "wAny", NULL), "google.protobuf.Any");
    expect_ref(at(p, "nested", NULL), "kitchen.Nested");
    expect_ref(at(p, "recursive", NULL), "kitchen.Everything");
    expect_type(at(p, "rInt64", NULL), "array", NULL);
    expect_type(at(p, "rInt64", "items", NULL), "string", "int64");
    expect_ref(at(p, "rRecursive", "items", NULL), "kitchen.Everything");
    expect_type(at(p, "rWrappedInt32", "items", NULL), "integer", "int32");
    /* Maps: objects whose values have the value type; non-string keys are described. */
    expect_type(at(p, "mStringInt32", NULL), "object", NULL);
    expect_type(at(p, "mStringInt32", "additionalProperties", NULL), "integer", "int32");
    expect_ref(at(p, "mInt64Nested", "additionalProperties", NULL), "kitchen.Nested");
    at(p, "mInt64Nested", "description", NULL);
    /* Oneof members say so; a message member keeps its $ref inside allOf. */
    ck_assert_ptr_nonnull(strstr(str_at(at(p, "choiceStr", NULL), "description"), "`choice`"));
    expect_ref(json_array_get(at(p, "choiceMsg", "allOf", NULL), 0), "kitchen.Nested");

    json_t *color = at(doc, "components", "schemas", "kitchen.Color", NULL);
    expect_type(color, "string", NULL);
    ck_assert_str_eq(json_string_value(json_array_get(at(color, "enum", NULL), 4)), "COLOR_INFRARED");
    /* The proto2 message from another file: its group is left out (the gateway skips groups). */
    json_t *legacy = at(doc, "components", "schemas", "kitchen.legacy.Legacy", "properties", NULL);
    at(legacy, "reqStr", NULL);
    ck_assert_ptr_null(json_object_get(legacy, "blob"));
    ck_assert_ptr_null(json_object_get(legacy, "Blob"));
    expect_ref(at(legacy, "mood", NULL), "kitchen.legacy.Mood");
    /* Well-known types are inlined, never components (except Any). */
    ck_assert_ptr_null(json_object_get(at(doc, "components", "schemas", NULL), "google.protobuf.Timestamp"));
    json_decref(doc);
}
END_TEST

START_TEST(options_change_names_and_enums)
{
    json_opts o = {.proto_names = true, .enums_as_ints = true};
    json_t *doc = render(GW_TEST_DATADIR "/tests/kitchen.desc", &o);
    check_document(doc);
    json_t *p = at(doc, "components", "schemas", "kitchen.Everything", "properties", NULL);
    at(p, "f_int64", NULL);
    at(p, "renamed", NULL);
    ck_assert_ptr_null(json_object_get(p, "fInt64"));
    ck_assert_ptr_null(json_object_get(p, "customJson"));
    json_t *color = at(doc, "components", "schemas", "kitchen.Color", NULL);
    expect_type(color, "integer", "int32");
    ck_assert_int_eq(json_integer_value(json_array_get(at(color, "enum", NULL), 4)), -1);
    json_decref(doc);

    doc = render(GW_TEST_DATADIR "/tests/routes.desc", &o);
    json_t *list = at(doc, "paths", "/v1/shelves/{parent}/books", "get", NULL);
    ck_assert_ptr_nonnull(param(list, "page_size", "query"));
    ck_assert_ptr_nonnull(param(list, "edition.publisher.country_code", "query"));
    ck_assert_ptr_null(param(list, "pageSize", "query"));
    json_decref(doc);
}
END_TEST

START_TEST(empty_router_gives_a_valid_document)
{
    json_t *doc = render(NULL, NULL);
    check_document(doc);
    ck_assert_uint_eq(json_object_size(at(doc, "paths", NULL)), 0);
    ck_assert_ptr_nonnull(strstr(str_at(at(doc, "info", NULL), "description"), "no service"));
    /* The error schemas are there regardless. */
    at(doc, "components", "schemas", "google.rpc.Status", NULL);
    json_decref(doc);

    /* Routes OpenAPI cannot tell apart: the second is listed beside the first, not lost. */
    descpool *kp = descpool_new();
    gw_err *ke = descpool_add_file(kp, GW_TEST_DATADIR "/helloworld.desc");
    if (!ke) ke = descpool_finish(kp);
    if (ke) ck_abort_msg("%s", ke->message);
    const pb_method *say = descpool_find_method(kp, "/helloworld.Greeter/SayHello");
    router *kr = router_new();
    ke = router_add(kr, say, "GET", "/v1/files/{name}", NULL, NULL);
    if (!ke) ke = router_add(kr, say, "GET", "/v1/files/{name=**}", NULL, NULL);
    if (ke) ck_abort_msg("%s", ke->message);
    buf kb = BUF_INIT;
    ck_assert_ptr_null(openapi_render(kp, kr, NULL, &kb));
    json_t *kd = json_loads((char *)kb.data, 0, NULL);
    json_t *more = at(kd, "paths", "/v1/files/{name}", "x-more-operations", NULL);
    ck_assert_uint_eq(json_array_size(more), 1);
    ck_assert_str_eq(str_at(json_array_get(more, 0), "method"), "GET");
    ck_assert_str_eq(str_at(at(json_array_get(more, 0), "operation", NULL), "operationId"), "Greeter_SayHello_2");
    check_document(kd);
    json_decref(kd);
    buf_free(&kb);
    router_free(kr);
    descpool_free(kp);

    /* Routes without a method (as tests add them) document nothing; appending keeps earlier text. */
    router *r = router_new();
    gw_err *e = router_add(r, NULL, "GET", "/v1/x", NULL, NULL);
    if (e) ck_abort_msg("%s", e->message);
    descpool *pool = descpool_new();
    buf out = BUF_INIT;
    buf_append_str(&out, "prefix:");
    ck_assert_ptr_null(openapi_render(pool, r, NULL, &out));
    ck_assert(!strncmp((char *)out.data, "prefix:{", 8));
    json_t *d2 = json_loads((char *)out.data + 7, 0, NULL);
    ck_assert_ptr_nonnull(d2);
    ck_assert_uint_eq(json_object_size(at(d2, "paths", NULL)), 0);
    json_decref(d2);
    buf_free(&out);
    descpool_free(pool);
    router_free(r);
}
END_TEST

START_TEST(extra_paths_are_added_and_checked)
{
    descpool *pool = descpool_new();
    router *r = router_new();
    gw_err *e = descpool_add_file(pool, GW_TEST_DATADIR "/helloworld.desc");
    if (!e) e = descpool_finish(pool);
    if (!e) e = router_add_pool(r, pool);
    if (e) ck_abort_msg("%s", e->message);

    const char *admin = "{\"/healthz\": {\"get\": {\"operationId\": \"healthz\", \"responses\": {\"200\": "
                        "{\"description\": \"serving\"}, \"default\": {\"description\": \"error\", \"content\": "
                        "{\"application/json\": {\"schema\": {\"$ref\": \"" REF "google.rpc.Status\"}}}}}}}}";
    buf out = BUF_INIT;
    ck_assert_ptr_null(openapi_render_with(pool, r, NULL, admin, &out));
    json_t *doc = json_loadb((const char *)out.data, out.len, 0, NULL);
    ck_assert_ptr_nonnull(doc);
    ck_assert_str_eq(str_at(at(doc, "paths", "/healthz", "get", NULL), "operationId"), "healthz");
    at(doc, "paths", "/v1/hello", "post", NULL);
    check_refs(doc, doc);
    json_decref(doc);

    const struct {
        const char *extra, *want;
    } bad[] = {
        {"{\"/v1/hello\": {}}", "already a route's path"},
        {"{\"healthz\": {}}", "does not start with '/'"},
        {"{\"/x\": 1}", "not a path item"},
        {"[1]", "expected a JSON object"},
        {"{\"/x\": ", "extra OpenAPI paths:"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        buf_reset(&out);
        buf_append_str(&out, "kept");
        e = openapi_render_with(pool, r, NULL, bad[i].extra, &out);
        ck_assert_msg(e != NULL, "'%s' was accepted", bad[i].extra);
        ck_assert_int_eq(e->code, GRPC_STATUS_INVALID_ARGUMENT);
        ck_assert_msg(strstr(e->message, bad[i].want) != NULL, "'%s': %s", bad[i].extra, e->message);
        ck_assert_str_eq((char *)out.data, "kept");
        gw_err_free(e);
    }
    buf_free(&out);
    router_free(r);
    descpool_free(pool);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("openapi");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, greeter_operations_bodies_and_responses);
    tcase_add_test(tc, routes_path_parameters_from_templates);
    tcase_add_test(tc, routes_query_parameters_and_bodies);
    tcase_add_test(tc, kitchen_schemas_follow_proto3_json);
    tcase_add_test(tc, options_change_names_and_enums);
    tcase_add_test(tc, empty_router_gives_a_valid_document);
    tcase_add_test(tc, extra_paths_are_added_and_checked);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
