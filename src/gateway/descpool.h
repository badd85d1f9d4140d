/* descpool.h: the descriptor pool: every message, enum and method of the loaded descriptor sets,
 * resolved and indexed for the router and the transcoder.
 *
 * Built once at start-up (descpool_add_* then descpool_finish); read-only afterwards, so every thread
 * reads it without locks. Every pointer it hands out lives as long as the pool. */
#ifndef GW_DESCPOOL_H
#define GW_DESCPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* google.protobuf.FieldDescriptorProto.Type numbers. */
enum pb_type {
    PB_TYPE_DOUBLE = 1, PB_TYPE_FLOAT = 2, PB_TYPE_INT64 = 3, PB_TYPE_UINT64 = 4, PB_TYPE_INT32 = 5,
    PB_TYPE_FIXED64 = 6, PB_TYPE_FIXED32 = 7, PB_TYPE_BOOL = 8, PB_TYPE_STRING = 9, PB_TYPE_GROUP = 10,
    PB_TYPE_MESSAGE = 11, PB_TYPE_BYTES = 12, PB_TYPE_UINT32 = 13, PB_TYPE_ENUM = 14,
    PB_TYPE_SFIXED32 = 15, PB_TYPE_SFIXED64 = 16, PB_TYPE_SINT32 = 17, PB_TYPE_SINT64 = 18,
};

/* Messages with a special proto3 JSON form. */
enum pb_wkt {
    PB_WKT_NONE = 0,
    PB_WKT_ANY, PB_WKT_TIMESTAMP, PB_WKT_DURATION, PB_WKT_FIELD_MASK, PB_WKT_EMPTY,
    PB_WKT_STRUCT, PB_WKT_VALUE, PB_WKT_LIST_VALUE,
    PB_WKT_DOUBLE_VALUE, PB_WKT_FLOAT_VALUE, PB_WKT_INT64_VALUE, PB_WKT_UINT64_VALUE,
    PB_WKT_INT32_VALUE, PB_WKT_UINT32_VALUE, PB_WKT_BOOL_VALUE, PB_WKT_STRING_VALUE, PB_WKT_BYTES_VALUE,
};

typedef struct pb_enum_value {
    const char *name;
    int32_t number;
} pb_enum_value;

typedef struct pb_enum {
    const char *full_name;            /* "pkg.Outer.Color", no leading dot */
    size_t n_values;
    const pb_enum_value *values;      /* declaration order; values[0] is the default */
    bool is_null_value;               /* google.protobuf.NullValue: JSON null */
    const struct pb_enum_index *index; /* lookup tables, private to descpool.c (NULL: linear search) */
} pb_enum;

struct pb_msg;

typedef struct pb_field {
    const char *name;                 /* proto name, "user_name" */
    const char *json_name;            /* "userName" (protoc fills it in) */
    uint32_t number;
    enum pb_type type;
    bool repeated;
    bool packed;                      /* repeated scalar written packed (proto3 default, or [packed=true]) */
    bool has_presence;                /* proto3 optional, proto2 optional/required, message, oneof member */
    bool proto3_optional;             /* declared `optional` in proto3 (a synthetic oneof, not a real one) */
    bool is_map;                      /* repeated field of a map-entry message */
    int oneof_index;                  /* index into the message's oneof_names, -1 when none */
    const struct pb_msg *message;     /* PB_TYPE_MESSAGE / PB_TYPE_GROUP */
    const pb_enum *enumeration;       /* PB_TYPE_ENUM */
} pb_field;

typedef struct pb_msg {
    const char *full_name;            /* "helloworld.HelloRequest", no leading dot */
    size_t n_fields;
    const pb_field *fields;           /* sorted by number */
    size_t n_oneofs;
    const char *const *oneof_names;   /* real oneofs only: proto3 `optional` synthetic oneofs excluded */
    bool map_entry;                   /* key is field number 1, value field number 2 */
    enum pb_wkt wkt;
    const struct pb_msg_index *index; /* lookup tables, private to descpool.c (NULL: linear search) */
} pb_msg;

typedef struct pb_method {
    const char *full_name;            /* "helloworld.Greeter.SayHello" */
    const char *service;              /* "helloworld.Greeter" */
    const char *name;                 /* "SayHello" */
    const char *grpc_path;            /* "/helloworld.Greeter/SayHello" */
    const pb_msg *input;
    const pb_msg *output;
    bool client_streaming;
    bool server_streaming;
    /* The method's google.api.http option (MethodOptions extension 72295728) as encoded
     * google.api.HttpRule bytes, without the length prefix; NULL/0 when the method has none. */
    const uint8_t *http_rule;
    size_t http_rule_len;
} pb_method;

typedef struct descpool descpool;

descpool *descpool_new(void);
void descpool_free(descpool *pool);

/* Adds an encoded google.protobuf.FileDescriptorSet. `origin` names it in error messages (a file
 * path). A file already added (same name) is skipped, so sets built with --include_imports can share
 * dependencies. Errors ("<origin>: <reason>") leave the pool partly filled: free it. */
gw_err *descpool_add_set(descpool *pool, const uint8_t *data, size_t len, const char *origin);
/* Reads a descriptor set file and adds it. */
gw_err *descpool_add_file(descpool *pool, const char *path);
/* Resolves every type reference; an unresolved one is an error naming it. Call once, after the adds. */
gw_err *descpool_finish(descpool *pool);

/* Lookups by full name, without a leading dot (one is tolerated). NULL when absent. */
const pb_msg *descpool_find_message(const descpool *pool, const char *full_name);
const pb_enum *descpool_find_enum(const descpool *pool, const char *full_name);
/* The same for a name that is not NUL-terminated: name[0..len). */
const pb_msg *descpool_find_message_n(const descpool *pool, const char *name, size_t len);
/* The message a google.protobuf.Any type URL names: the part after the last '/'
 * ("type.googleapis.com/pkg.Msg" -> pkg.Msg; like protobuf's resolvers, a URL without '/' is the
 * name itself). NULL when absent. */
const pb_msg *descpool_find_type_url(const descpool *pool, const char *url, size_t len);
/* By gRPC path "/pkg.Service/Method". */
const pb_method *descpool_find_method(const descpool *pool, const char *grpc_path);

/* Every method of every service, in file and declaration order. */
size_t descpool_method_count(const descpool *pool);
const pb_method *descpool_method(const descpool *pool, size_t i);

/* Every message (for documentation generators), in file and declaration order. */
size_t descpool_message_count(const descpool *pool);
const pb_msg *descpool_message(const descpool *pool, size_t i);

/* Field lookups. By name accepts the json_name or the proto name (not NUL-terminated: name[0..len)). */
const pb_field *pb_msg_field_by_number(const pb_msg *m, uint32_t number);
const pb_field *pb_msg_field_by_name(const pb_msg *m, const char *name, size_t len);
const pb_enum_value *pb_enum_value_by_name(const pb_enum *e, const char *name, size_t len);
const pb_enum_value *pb_enum_value_by_number(const pb_enum *e, int32_t number);

#endif
