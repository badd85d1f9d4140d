/* test_descpool.c: unit tests for src/gateway/descpool.c, on the kitchen test protos (built into
 * gen/tests/kitchen.desc by protoc) and on small descriptor sets built here with protobuf-c. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "descpool.h"
#include "google/api/http.pb-c.h"
#include "google/protobuf/descriptor.pb-c.h"

#define KITCHEN_DESC GW_TEST_DATADIR "/tests/kitchen.desc"

static descpool *load_kitchen(void)
{
    descpool *p = descpool_new();
    gw_err *e = descpool_add_file(p, KITCHEN_DESC);
    ck_assert_msg(e == NULL, "%s", e ? e->message : "");
    e = descpool_finish(p);
    ck_assert_msg(e == NULL, "%s", e ? e->message : "");
    return p;
}

static const pb_field *field(const pb_msg *m, const char *name)
{
    const pb_field *f = pb_msg_field_by_name(m, name, strlen(name));
    ck_assert_msg(f != NULL, "no field %s in %s", name, m->full_name);
    return f;
}

START_TEST(loads_kitchen_and_sorts_fields)
{
    descpool *p = load_kitchen();
    const pb_msg *m = descpool_find_message(p, "kitchen.Everything");
    ck_assert_ptr_nonnull(m);
    ck_assert_str_eq(m->full_name, "kitchen.Everything");
    ck_assert_ptr_eq(descpool_find_message(p, ".kitchen.Everything"), m);
    ck_assert_ptr_null(descpool_find_message(p, "kitchen.Nope"));
    ck_assert_ptr_null(descpool_find_message(p, "kitchen.Color"));      /* an enum, not a message */
    ck_assert_ptr_nonnull(descpool_find_enum(p, "kitchen.Color"));
    ck_assert_ptr_eq(descpool_find_message_n(p, "kitchen.Everything.trailing", 18), m);
    for (size_t i = 1; i < m->n_fields; i++) ck_assert_uint_lt(m->fields[i - 1].number, m->fields[i].number);
    ck_assert_int_eq(m->wkt, PB_WKT_NONE);
    ck_assert(!m->map_entry);
    /* Every message is listed, including nested map entries and the imported well-known types. */
    bool saw_entry = false, saw_ts = false;
    for (size_t i = 0; i < descpool_message_count(p); i++) {
        const pb_msg *x = descpool_message(p, i);
        if (strcmp(x->full_name, "kitchen.Everything.MStringInt32Entry") == 0) saw_entry = true;
        if (strcmp(x->full_name, "google.protobuf.Timestamp") == 0) saw_ts = true;
    }
    ck_assert(saw_entry && saw_ts);
    ck_assert_ptr_null(descpool_message(p, descpool_message_count(p)));
    descpool_free(p);
}
END_TEST

START_TEST(field_lookup_by_name_json_name_and_number)
{
    descpool *p = load_kitchen();
    const pb_msg *m = descpool_find_message(p, "kitchen.Everything");
    struct { const char *proto, *json; } names[] = {
        {"f_int64", "fInt64"}, {"field_name1", "fieldName1"}, {"field__name2", "fieldName2"},
        {"_field_name3", "FieldName3"}, {"field_name_4_x", "fieldName4X"}, {"fieldName5", "fieldName5"},
        {"renamed", "customJson"}, {"a1b2c3", "a1b2c3"}, {"m_string_int32", "mStringInt32"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const pb_field *a = field(m, names[i].proto), *b = field(m, names[i].json);
        ck_assert_ptr_eq(a, b);
        ck_assert_str_eq(a->name, names[i].proto);
        ck_assert_str_eq(a->json_name, names[i].json);
        ck_assert_ptr_eq(pb_msg_field_by_number(m, a->number), a);
    }
    ck_assert_ptr_null(pb_msg_field_by_name(m, "renamedd", 8));
    ck_assert_ptr_null(pb_msg_field_by_name(m, "", 0));
    ck_assert_ptr_eq(pb_msg_field_by_name(m, "f_int64XYZ", 7), field(m, "f_int64"));   /* length-bounded */
    ck_assert_ptr_null(pb_msg_field_by_number(m, 0));
    ck_assert_ptr_null(pb_msg_field_by_number(m, 17));
    ck_assert_ptr_null(pb_msg_field_by_number(m, 536870911));
    ck_assert_uint_eq(pb_msg_field_by_number(m, 140)->number, 140);
    descpool_free(p);
}
END_TEST

START_TEST(types_packing_and_presence)
{
    descpool *p = load_kitchen();
    const pb_msg *m = descpool_find_message(p, "kitchen.Everything");
    ck_assert_int_eq(field(m, "f_sint64")->type, PB_TYPE_SINT64);
    ck_assert_int_eq(field(m, "f_enum")->type, PB_TYPE_ENUM);
    ck_assert_str_eq(field(m, "f_enum")->enumeration->full_name, "kitchen.Color");
    ck_assert_str_eq(field(m, "nested")->message->full_name, "kitchen.Nested");
    ck_assert_ptr_eq(field(m, "recursive")->message, m);

    /* proto3 repeated scalars pack by default, [packed=false] turns it off, strings never pack. */
    ck_assert(field(m, "r_int32")->packed && field(m, "r_int32")->repeated);
    ck_assert(field(m, "r_enum")->packed);
    ck_assert(field(m, "r_double")->packed);
    ck_assert(!field(m, "u_int32")->packed && field(m, "u_int32")->repeated);
    ck_assert(!field(m, "u_enum")->packed);
    ck_assert(!field(m, "r_string")->packed && !field(m, "r_bytes")->packed && !field(m, "r_nested")->packed);
    ck_assert(!field(m, "f_int32")->packed);

    /* Presence: implicit for plain proto3 scalars; explicit for optional, messages, oneof members. */
    ck_assert(!field(m, "f_int32")->has_presence);
    ck_assert(!field(m, "r_int32")->has_presence);
    ck_assert(field(m, "o_int32")->has_presence && field(m, "o_int32")->oneof_index == -1);
    ck_assert(field(m, "o_nested")->has_presence && field(m, "o_nested")->oneof_index == -1);
    ck_assert(field(m, "nested")->has_presence);
    ck_assert(field(m, "w_int32")->has_presence);
    ck_assert(!field(m, "w_null")->has_presence);

    /* The synthetic oneofs of proto3 `optional` are not oneofs. */
    ck_assert_uint_eq(m->n_oneofs, 1);
    ck_assert_str_eq(m->oneof_names[0], "choice");
    const char *members[] = {"choice_str", "choice_int", "choice_msg", "choice_enum"};
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(field(m, members[i])->oneof_index, 0);
        ck_assert(field(m, members[i])->has_presence);
    }

    /* proto2: presence for every singular field, packed only on request; groups are message-typed. */
    const pb_msg *l = descpool_find_message(p, "kitchen.legacy.Legacy");
    ck_assert_ptr_nonnull(l);
    ck_assert(field(l, "opt_int")->has_presence && field(l, "req_str")->has_presence);
    ck_assert(!field(l, "unpacked_ints")->packed && field(l, "packed_ints")->packed);
    ck_assert_int_eq(field(l, "blob")->type, PB_TYPE_GROUP);
    ck_assert_str_eq(field(l, "blob")->message->full_name, "kitchen.legacy.Legacy.Blob");
    ck_assert_uint_eq(l->n_oneofs, 0);
    descpool_free(p);
}
END_TEST

START_TEST(maps_and_well_known_types)
{
    descpool *p = load_kitchen();
    const pb_msg *m = descpool_find_message(p, "kitchen.Everything");
    const pb_field *f = field(m, "m_int64_nested");
    ck_assert(f->is_map && f->repeated);
    ck_assert(f->message->map_entry);
    ck_assert_uint_eq(f->message->n_fields, 2);
    ck_assert_int_eq(f->message->fields[0].type, PB_TYPE_INT64);
    ck_assert_str_eq(f->message->fields[1].message->full_name, "kitchen.Nested");
    ck_assert(field(m, "m_bool_string")->is_map);
    ck_assert(!field(m, "r_nested")->is_map);
    ck_assert(!field(m, "nested")->is_map);

    struct { const char *field; enum pb_wkt wkt; } w[] = {
        {"w_any", PB_WKT_ANY}, {"w_timestamp", PB_WKT_TIMESTAMP}, {"w_duration", PB_WKT_DURATION},
        {"w_field_mask", PB_WKT_FIELD_MASK}, {"w_empty", PB_WKT_EMPTY}, {"w_struct", PB_WKT_STRUCT},
        {"w_value", PB_WKT_VALUE}, {"w_list_value", PB_WKT_LIST_VALUE}, {"w_double", PB_WKT_DOUBLE_VALUE},
        {"w_float", PB_WKT_FLOAT_VALUE}, {"w_int64", PB_WKT_INT64_VALUE}, {"w_uint64", PB_WKT_UINT64_VALUE},
        {"w_int32", PB_WKT_INT32_VALUE}, {"w_uint32", PB_WKT_UINT32_VALUE}, {"w_bool", PB_WKT_BOOL_VALUE},
        {"w_string", PB_WKT_STRING_VALUE}, {"w_bytes", PB_WKT_BYTES_VALUE},
    };
    for (size_t i = 0; i < sizeof w / sizeof w[0]; i++)
        ck_assert_int_eq(field(m, w[i].field)->message->wkt, w[i].wkt);
    ck_assert(field(m, "w_null")->enumeration->is_null_value);
    ck_assert(!field(m, "f_enum")->enumeration->is_null_value);
    ck_assert_int_eq(descpool_find_message(p, "kitchen.Nested")->wkt, PB_WKT_NONE);

    ck_assert_ptr_eq(descpool_find_type_url(p, "type.googleapis.com/kitchen.Detail", 34),
                     descpool_find_message(p, "kitchen.Detail"));
    ck_assert_ptr_eq(descpool_find_type_url(p, "x/y/google.protobuf.Duration", 28),
                     descpool_find_message(p, "google.protobuf.Duration"));
    ck_assert_ptr_eq(descpool_find_type_url(p, "kitchen.Detail", 14),         /* no '/' */
                     descpool_find_message(p, "kitchen.Detail"));
    ck_assert_ptr_null(descpool_find_type_url(p, "type.googleapis.com/", 20));
    ck_assert_ptr_nonnull(descpool_find_message(p, "google.rpc.Status"));
    descpool_free(p);
}
END_TEST

START_TEST(enums)
{
    descpool *p = load_kitchen();
    const pb_enum *e = descpool_find_enum(p, ".kitchen.Color");
    ck_assert_ptr_nonnull(e);
    ck_assert_uint_eq(e->n_values, 5);
    ck_assert_str_eq(e->values[0].name, "COLOR_UNSPECIFIED");
    ck_assert_int_eq(pb_enum_value_by_name(e, "COLOR_INFRARED", 14)->number, -1);
    ck_assert_str_eq(pb_enum_value_by_number(e, -1)->name, "COLOR_INFRARED");
    ck_assert_str_eq(pb_enum_value_by_number(e, 3)->name, "COLOR_BLUE");
    ck_assert_ptr_null(pb_enum_value_by_number(e, 4));
    ck_assert_ptr_null(pb_enum_value_by_name(e, "COLOR_RE", 8));
    ck_assert_ptr_null(pb_enum_value_by_name(e, "color_red", 9));
    const pb_enum *mood = descpool_find_enum(p, "kitchen.legacy.Mood");
    ck_assert_int_eq(mood->values[0].number, 1);          /* proto2 default: first declared */
    ck_assert(descpool_find_enum(p, "google.protobuf.NullValue")->is_null_value);
    descpool_free(p);
}
END_TEST

START_TEST(methods_and_http_rules)
{
    descpool *p = load_kitchen();
    ck_assert_uint_eq(descpool_method_count(p), 4);
    const char *names[] = {"Echo", "EchoServerStream", "EchoClientStream", "EchoBidi"};
    const char *paths[] = {"/v1/echo", "/v1/echo:stream", "/v1/echo:collect", "/v1/echo:chat"};
    for (size_t i = 0; i < 4; i++) {
        const pb_method *m = descpool_method(p, i);
        ck_assert_str_eq(m->name, names[i]);
        ck_assert_str_eq(m->service, "kitchen.Echo");
        char buf[128];
        snprintf(buf, sizeof buf, "/kitchen.Echo/%s", names[i]);
        ck_assert_str_eq(m->grpc_path, buf);
        ck_assert_ptr_eq(descpool_find_method(p, buf), m);
        snprintf(buf, sizeof buf, "kitchen.Echo.%s", names[i]);
        ck_assert_str_eq(m->full_name, buf);
        ck_assert_str_eq(m->input->full_name, "kitchen.Everything");
        ck_assert_str_eq(m->output->full_name, "kitchen.Everything");
        ck_assert_int_eq(m->client_streaming, i == 2 || i == 3);
        ck_assert_int_eq(m->server_streaming, i == 1 || i == 3);
        ck_assert_ptr_nonnull(m->http_rule);
        Google__Api__HttpRule *rule = google__api__http_rule__unpack(NULL, m->http_rule_len, m->http_rule);
        ck_assert_ptr_nonnull(rule);
        ck_assert_int_eq(rule->pattern_case, GOOGLE__API__HTTP_RULE__PATTERN_POST);
        ck_assert_str_eq(rule->post, paths[i]);
        ck_assert_str_eq(rule->body, "*");
        google__api__http_rule__free_unpacked(rule, NULL);
    }
    ck_assert_ptr_null(descpool_method(p, 4));
    ck_assert_ptr_null(descpool_find_method(p, "/kitchen.Echo/Nope"));
    ck_assert_ptr_null(descpool_find_method(p, "kitchen.Echo/Echo"));
    descpool_free(p);
}
END_TEST

/* ------------------------------------------------------------------ hand-built descriptor sets */

typedef struct set_builder {
    Google__Protobuf__FileDescriptorSet set;
    Google__Protobuf__FileDescriptorProto files[4], *file_ptrs[4];
    Google__Protobuf__DescriptorProto msgs[8], *msg_ptrs[8];
    Google__Protobuf__FieldDescriptorProto fields[16], *field_ptrs[16];
    size_t n_files, n_msgs, n_fields;
} set_builder;

static Google__Protobuf__FileDescriptorProto *sb_file(set_builder *b, const char *name, const char *package)
{
    Google__Protobuf__FileDescriptorProto init = GOOGLE__PROTOBUF__FILE_DESCRIPTOR_PROTO__INIT;
    Google__Protobuf__FileDescriptorProto *f = &b->files[b->n_files];
    *f = init;
    f->name = (char *)name;
    f->package = (char *)package;
    f->syntax = (char *)"proto3";
    b->file_ptrs[b->n_files++] = f;
    Google__Protobuf__FileDescriptorSet sinit = GOOGLE__PROTOBUF__FILE_DESCRIPTOR_SET__INIT;
    b->set = sinit;
    b->set.n_file = b->n_files;
    b->set.file = b->file_ptrs;
    return f;
}

static Google__Protobuf__DescriptorProto *sb_msg(set_builder *b, Google__Protobuf__FileDescriptorProto *f,
                                                 const char *name)
{
    Google__Protobuf__DescriptorProto init = GOOGLE__PROTOBUF__DESCRIPTOR_PROTO__INIT;
    Google__Protobuf__DescriptorProto *m = &b->msgs[b->n_msgs];
    *m = init;
    m->name = (char *)name;
    b->msg_ptrs[b->n_msgs++] = m;
    if (f) {
        if (!f->message_type) f->message_type = &b->msg_ptrs[b->n_msgs - 1];
        f->n_message_type++;
    }
    return m;
}

/* Fields of one message must be added consecutively. */
static void sb_field(set_builder *b, Google__Protobuf__DescriptorProto *m, const char *name, int number,
                     Google__Protobuf__FieldDescriptorProto__Type type, const char *type_name)
{
    Google__Protobuf__FieldDescriptorProto init = GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__INIT;
    Google__Protobuf__FieldDescriptorProto *f = &b->fields[b->n_fields];
    *f = init;
    f->name = (char *)name;
    f->has_number = 1;
    f->number = number;
    f->has_label = 1;
    f->label = GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__LABEL__LABEL_OPTIONAL;
    f->has_type = type != 0;
    f->type = type;
    f->type_name = (char *)type_name;
    b->field_ptrs[b->n_fields++] = f;
    if (!m->field) m->field = &b->field_ptrs[b->n_fields - 1];
    m->n_field++;
}

static gw_err *sb_load(set_builder *b, descpool *p, const char *origin)
{
    size_t n = google__protobuf__file_descriptor_set__get_packed_size(&b->set);
    uint8_t *data = malloc(n + 1);
    google__protobuf__file_descriptor_set__pack(&b->set, data);
    gw_err *e = descpool_add_set(p, data, n, origin);
    free(data);
    if (!e) e = descpool_finish(p);
    return e;
}

static void assert_error(gw_err *e, const char *part1, const char *part2)
{
    ck_assert_msg(e != NULL, "expected an error containing '%s'", part1);
    ck_assert_int_eq(e->code, GRPC_STATUS_INVALID_ARGUMENT);
    ck_assert_msg(strstr(e->message, part1) != NULL, "'%s' lacks '%s'", e->message, part1);
    if (part2) ck_assert_msg(strstr(e->message, part2) != NULL, "'%s' lacks '%s'", e->message, part2);
    gw_err_free(e);
}

START_TEST(rejects_garbage_and_missing_files)
{
    descpool *p = descpool_new();
    const uint8_t junk[] = {0x0a, 0x05, 0x01};
    assert_error(descpool_add_set(p, junk, sizeof junk, "junk.desc"), "junk.desc", "not a valid FileDescriptorSet");
    assert_error(descpool_add_set(p, junk, 0, "empty.desc"), "empty.desc", "no files");
    assert_error(descpool_add_file(p, "/nonexistent/x.desc"), "/nonexistent/x.desc", "cannot open");
    descpool_free(p);
}
END_TEST

START_TEST(rejects_unresolved_types)
{
    set_builder b = {0};
    Google__Protobuf__FileDescriptorProto *f = sb_file(&b, "bad.proto", "pkg");
    Google__Protobuf__DescriptorProto *m = sb_msg(&b, f, "M");
    sb_field(&b, m, "x", 1, GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_MESSAGE, ".pkg.Missing");
    descpool *p = descpool_new();
    assert_error(sb_load(&b, p, "bad.desc"), "bad.desc", "field 'x' names unknown type '.pkg.Missing'");
    descpool_free(p);
}
END_TEST

START_TEST(resolves_relative_names_and_missing_types)
{
    /* pkg.Outer { Inner a = 1 (relative, type left out); } pkg.Outer.Inner { sub.Leaf b = 1; }
     * pkg.sub.Leaf {} -- names resolved like C++ scopes, innermost first. */
    set_builder b = {0};
    Google__Protobuf__FileDescriptorProto *f = sb_file(&b, "rel.proto", "pkg");
    Google__Protobuf__DescriptorProto *outer = sb_msg(&b, f, "Outer");
    sb_field(&b, outer, "a", 1, 0, "Inner");
    Google__Protobuf__DescriptorProto *inner = sb_msg(&b, NULL, "Inner");
    sb_field(&b, inner, "b", 1, GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_MESSAGE, "Leaf");
    outer->n_nested_type = 1;
    outer->nested_type = &b.msg_ptrs[1];
    Google__Protobuf__DescriptorProto *leaf = sb_msg(&b, NULL, "Leaf");
    (void)leaf;
    f->n_message_type = 2;                       /* Outer and Leaf: msg_ptrs[0] and [2] */
    Google__Protobuf__DescriptorProto *top[2] = {b.msg_ptrs[0], b.msg_ptrs[2]};
    f->message_type = top;
    descpool *p = descpool_new();
    gw_err *e = sb_load(&b, p, "rel.desc");
    ck_assert_msg(e == NULL, "%s", e ? e->message : "");
    const pb_msg *o = descpool_find_message(p, "pkg.Outer");
    ck_assert_int_eq(o->fields[0].type, PB_TYPE_MESSAGE);
    ck_assert_str_eq(o->fields[0].message->full_name, "pkg.Outer.Inner");
    ck_assert_str_eq(o->fields[0].json_name, "a");
    ck_assert_str_eq(o->fields[0].message->fields[0].message->full_name, "pkg.Leaf");
    descpool_free(p);
}
END_TEST

START_TEST(rejects_duplicates_but_skips_repeated_files)
{
    descpool *p = descpool_new();
    ck_assert_ptr_null(descpool_add_file(p, KITCHEN_DESC));
    size_t n = descpool_message_count(p);
    ck_assert_ptr_null(descpool_add_file(p, KITCHEN_DESC));    /* same files: skipped by name */
    ck_assert_uint_eq(descpool_message_count(p), n);
    ck_assert_ptr_null(descpool_finish(p));
    ck_assert_uint_eq(descpool_method_count(p), 4);

    /* A different file defining a name that exists. */
    set_builder b = {0};
    Google__Protobuf__FileDescriptorProto *f = sb_file(&b, "other.proto", "kitchen");
    sb_msg(&b, f, "Nested");
    assert_error(sb_load(&b, p, "other.desc"), "other.desc", "'kitchen.Nested' is defined twice");
    descpool_free(p);

    set_builder c = {0};
    f = sb_file(&c, "dup.proto", "d");
    Google__Protobuf__DescriptorProto *m = sb_msg(&c, f, "M");
    sb_field(&c, m, "a", 3, GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_INT32, NULL);
    sb_field(&c, m, "b", 3, GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_INT32, NULL);
    p = descpool_new();
    assert_error(sb_load(&c, p, "dup.desc"), "dup.desc", "share number 3");
    descpool_free(p);

    set_builder d = {0};
    f = sb_file(&d, "num.proto", "d");
    m = sb_msg(&d, f, "M");
    sb_field(&d, m, "a", 0, GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_INT32, NULL);
    p = descpool_new();
    assert_error(sb_load(&d, p, "num.desc"), "num.desc", "field 'a' has an invalid number");
    descpool_free(p);

    set_builder s = {0};
    f = sb_file(&s, "syn.proto", "d");
    f->syntax = (char *)"editions";
    p = descpool_new();
    assert_error(sb_load(&s, p, "syn.desc"), "syn.desc", "unsupported syntax 'editions'");
    descpool_free(p);
}
END_TEST

START_TEST(sparse_numbers_and_linear_fallback)
{
    set_builder b = {0};
    Google__Protobuf__FileDescriptorProto *f = sb_file(&b, "sparse.proto", "");
    Google__Protobuf__DescriptorProto *m = sb_msg(&b, f, "Sparse");
    sb_field(&b, m, "big", 536870911, GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_STRING, NULL);
    sb_field(&b, m, "one", 1, GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_INT32, NULL);
    sb_field(&b, m, "mid_field", 1000, GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_INT32, NULL);
    descpool *p = descpool_new();
    gw_err *e = sb_load(&b, p, "sparse.desc");
    ck_assert_msg(e == NULL, "%s", e ? e->message : "");
    const pb_msg *s = descpool_find_message(p, "Sparse");       /* no package */
    ck_assert_ptr_nonnull(s);
    ck_assert_str_eq(pb_msg_field_by_number(s, 536870911)->name, "big");
    ck_assert_str_eq(pb_msg_field_by_number(s, 1000)->name, "mid_field");
    ck_assert_str_eq(pb_msg_field_by_number(s, 1)->name, "one");
    ck_assert_ptr_null(pb_msg_field_by_number(s, 2));
    ck_assert_str_eq(pb_msg_field_by_name(s, "midField", 8)->name, "mid_field");   /* json_name filled in */
    ck_assert(!s->fields[0].has_presence);                       /* proto3 */

    /* A pb_msg built by hand (no index) still answers lookups. */
    pb_msg copy = *s;
    copy.index = NULL;
    ck_assert_str_eq(pb_msg_field_by_number(&copy, 1000)->name, "mid_field");
    ck_assert_ptr_null(pb_msg_field_by_number(&copy, 999));
    ck_assert_str_eq(pb_msg_field_by_name(&copy, "midField", 8)->name, "mid_field");
    ck_assert_str_eq(pb_msg_field_by_name(&copy, "big", 3)->name, "big");
    ck_assert_ptr_null(pb_msg_field_by_name(&copy, "bi", 2));
    descpool_free(p);
}
END_TEST

static Suite *descpool_suite(void)
{
    Suite *s = suite_create("descpool");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, loads_kitchen_and_sorts_fields);
    tcase_add_test(tc, field_lookup_by_name_json_name_and_number);
    tcase_add_test(tc, types_packing_and_presence);
    tcase_add_test(tc, maps_and_well_known_types);
    tcase_add_test(tc, enums);
    tcase_add_test(tc, methods_and_http_rules);
    tcase_add_test(tc, rejects_garbage_and_missing_files);
    tcase_add_test(tc, rejects_unresolved_types);
    tcase_add_test(tc, resolves_relative_names_and_missing_types);
    tcase_add_test(tc, rejects_duplicates_but_skips_repeated_files);
    tcase_add_test(tc, sparse_numbers_and_linear_fallback);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(descpool_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
