/* fuzz_json2pb.c: libFuzzer target for json_to_pb on the kitchen test protos.
 *
 * Input: byte 0 picks the message type (high nibble) and the options (low nibble, see
 * transcode_common.h); the rest is JSON text, parsed as the gateway parses bodies.
 * Checks, beyond no crash, leak or undefined behaviour: a refusal is INVALID_ARGUMENT with a
 * message and leaves the output untouched; accepted input renders back (pb_to_json succeeds), the
 * rendering is valid JSON, and encoding that rendering and rendering again gives the same text. */
#include <string.h>

#include "transcode_common.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_load_pool("fuzz_json2pb");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    const pb_msg *m = fuzz_types[data[0] >> 4];
    json_opts o = fuzz_opts(data[0]);
    json_t *j = json_loadb((const char *)data + 1, size - 1, FUZZ_JSON_FLAGS, NULL);
    if (!j) return 0;
    buf pb = BUF_INIT, out1 = BUF_INIT, pb2 = BUF_INIT, out2 = BUF_INIT;
    gw_err *e = json_to_pb(fuzz_pool, m, j, &o, &pb);
    if (e) {
        FUZZ_CHECK(e->code == GRPC_STATUS_INVALID_ARGUMENT && e->message[0], "%d %s", e->code, e->message);
        FUZZ_CHECK(pb.len == 0, "output written on error");
        gw_err_free(e);
        goto done;
    }
    static const json_opts plain;
    e = pb_to_json(fuzz_pool, m, pb.data ? pb.data : (const uint8_t *)"", pb.len, &plain, &out1);
    FUZZ_CHECK(e == NULL, "accepted JSON does not render: %s", e->message);
    json_t *j2 = json_loadb((const char *)out1.data, out1.len, FUZZ_JSON_FLAGS, NULL);
    FUZZ_CHECK(j2 != NULL, "rendering is not JSON: %s", (char *)out1.data);
    e = json_to_pb(fuzz_pool, m, j2, &plain, &pb2);
    FUZZ_CHECK(e == NULL, "rendering does not encode: %s\n  %s", e->message, (char *)out1.data);
    json_decref(j2);
    e = pb_to_json(fuzz_pool, m, pb2.data ? pb2.data : (const uint8_t *)"", pb2.len, &plain, &out2);
    FUZZ_CHECK(e == NULL, "second rendering fails: %s", e->message);
    FUZZ_CHECK(out1.len == out2.len && memcmp(out1.data, out2.data, out1.len) == 0, "not stable:\n  %s\n  %s",
               (char *)out1.data, (char *)out2.data);
    /* The other output options must render it too. */
    buf_reset(&out2);
    e = pb_to_json(fuzz_pool, m, pb.data ? pb.data : (const uint8_t *)"", pb.len, &o, &out2);
    FUZZ_CHECK(e == NULL, "rendering with options fails: %s", e->message);
done:
    json_decref(j);
    buf_free(&pb);
    buf_free(&out1);
    buf_free(&pb2);
    buf_free(&out2);
    return 0;
}
