/* fuzz_pb2json.c: libFuzzer target for pb_to_json (and pb_field_to_json) on the kitchen test protos.
 *
 * Input: byte 0 picks the message type (high nibble) and the options (low nibble, see
 * transcode_common.h); the rest is protobuf wire bytes, as a backend might send them.
 * Checks, beyond no crash, leak or undefined behaviour: a refusal is INTERNAL with a message and
 * leaves the output untouched; a rendering is valid JSON (jansson also checks its UTF-8) that
 * json_to_pb reads back, and rendering what it wrote gives the same text (with default options). */
#include <string.h>

#include "transcode_common.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_load_pool("fuzz_pb2json");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    const pb_msg *m = fuzz_types[data[0] >> 4];
    json_opts o = fuzz_opts(data[0]);
    const uint8_t *p = data + 1;
    size_t n = size - 1;
    buf out = BUF_INIT, pb = BUF_INIT, out2 = BUF_INIT, out3 = BUF_INIT;
    json_error_t je;
    gw_err *e = pb_to_json(fuzz_pool, m, p, n, &o, &out);
    if (e) {
        FUZZ_CHECK(e->code == GRPC_STATUS_INTERNAL && e->message[0], "%d %s", e->code, e->message);
        FUZZ_CHECK(out.len == 0, "output written on error");
        gw_err_free(e);
        goto fields;
    }
    json_t *j = json_loadb((const char *)out.data, out.len, FUZZ_JSON_FLAGS, &je);
    /* jansson refuses U+0000 in object keys (a map<string, ...> key may hold one): valid JSON, but
     * nothing jansson can read back. */
    if (!j && strstr(je.text, "NUL") && strstr(je.text, "key")) goto fields;
    FUZZ_CHECK(j != NULL, "rendering is not JSON (%s): %s", je.text, (char *)out.data);
    json_decref(j);

    static const json_opts plain;
    e = pb_to_json(fuzz_pool, m, p, n, &plain, &out2);
    FUZZ_CHECK(e == NULL, "renders with options but not without: %s", e->message);
    j = json_loadb((const char *)out2.data, out2.len, FUZZ_JSON_FLAGS, NULL);
    FUZZ_CHECK(j != NULL, "rendering is not JSON: %s", (char *)out2.data);
    e = json_to_pb(fuzz_pool, m, j, &plain, &pb);
    FUZZ_CHECK(e == NULL, "rendering does not read back: %s\n  %s", e->message, (char *)out2.data);
    json_decref(j);
    e = pb_to_json(fuzz_pool, m, pb.data ? pb.data : (const uint8_t *)"", pb.len, &plain, &out3);
    FUZZ_CHECK(e == NULL, "re-encoded message does not render: %s", e->message);
    FUZZ_CHECK(out2.len == out3.len && memcmp(out2.data, out3.data, out2.len) == 0, "not stable:\n  %s\n  %s",
               (char *)out2.data, (char *)out3.data);
fields:
    /* response_body: every field of the message on its own. */
    for (size_t i = 0; i < m->n_fields && i < 8; i++) {
        const pb_field *f = &m->fields[(i * 17 + data[0]) % m->n_fields];
        buf_reset(&out3);
        e = pb_field_to_json(fuzz_pool, m, f, p, n, &o, &out3);
        if (e) {
            FUZZ_CHECK(e->code == GRPC_STATUS_INTERNAL, "%s", e->message);
            gw_err_free(e);
        } else {
            j = json_loadb((const char *)out3.data, out3.len, FUZZ_JSON_FLAGS, &je);
            FUZZ_CHECK(j != NULL || (strstr(je.text, "NUL") && strstr(je.text, "key")),
                       "field rendering is not JSON (%s): %s", je.text, (char *)out3.data);
            json_decref(j);
        }
    }
    buf_free(&out);
    buf_free(&pb);
    buf_free(&out2);
    buf_free(&out3);
    return 0;
}
