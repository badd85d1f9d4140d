/* transcode_common.h: what the transcoder's two fuzz targets share: the kitchen descriptor set
 * (embedded at build time from gen/tests/kitchen.desc, so the binaries run from anywhere) and the
 * choice of message type and options from an input's first byte. */
#ifndef GW_FUZZ_TRANSCODE_COMMON_H
#define GW_FUZZ_TRANSCODE_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "descpool.h"
#include "transcode.h"

extern const unsigned char gw_fuzz_kitchen_desc[];
extern const size_t gw_fuzz_kitchen_desc_len;

/* Sixteen message types: high nibble of byte 0. */
static const char *const FUZZ_TYPES[16] = {
    "kitchen.Everything", "kitchen.Everything", "kitchen.Everything", "kitchen.Everything",
    "kitchen.Nested", "kitchen.legacy.Legacy", "google.rpc.Status", "google.protobuf.Any",
    "google.protobuf.Value", "google.protobuf.Struct", "google.protobuf.Timestamp", "google.protobuf.Duration",
    "google.protobuf.FieldMask", "google.protobuf.ListValue", "google.protobuf.Int64Value", "google.protobuf.BytesValue",
};

static descpool *fuzz_pool;
static const pb_msg *fuzz_types[16];

static void fuzz_load_pool(const char *target)
{
    fuzz_pool = descpool_new();
    gw_err *e = descpool_add_set(fuzz_pool, gw_fuzz_kitchen_desc, gw_fuzz_kitchen_desc_len, "kitchen.desc");
    if (!e) e = descpool_finish(fuzz_pool);
    if (e) {
        fprintf(stderr, "%s: %s\n", target, e->message);
        exit(1);
    }
    for (int i = 0; i < 16; i++) {
        fuzz_types[i] = descpool_find_message(fuzz_pool, FUZZ_TYPES[i]);
        if (!fuzz_types[i]) {
            fprintf(stderr, "%s: no message %s\n", target, FUZZ_TYPES[i]);
            exit(1);
        }
    }
}

/* Low nibble of byte 0: the options. */
static json_opts fuzz_opts(uint8_t b)
{
    json_opts o = {.emit_defaults = b & 1, .proto_names = (b & 2) != 0, .enums_as_ints = (b & 4) != 0,
                   .allow_unknown = (b & 8) != 0};
    return o;
}

#define FUZZ_JSON_FLAGS (JSON_DECODE_ANY | JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL)

/* A broken invariant: print what is needed to reproduce it and stop (libFuzzer saves the input). */
#define FUZZ_CHECK(cond, ...)                                                    \
    do {                                                                         \
        if (!(cond)) {                                                           \
            fprintf(stderr, "invariant failed: %s\n  ", #cond);                  \
            fprintf(stderr, __VA_ARGS__);                                        \
            fputc('\n', stderr);                                                 \
            abort();                                                             \
        }                                                                        \
    } while (0)

#endif
