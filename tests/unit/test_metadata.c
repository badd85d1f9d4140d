/* test_metadata.c: unit tests for src/gateway/metadata.c (headers <-> gRPC metadata). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metadata.h"

static const char *value_of(const md_list *md, const char *key)
{
    static char out[256];
    for (size_t i = 0; i < md->count; i++) {
        const grpc_slice *k = &md->items[i].key;
        if (GRPC_SLICE_LENGTH(*k) == strlen(key) && memcmp(GRPC_SLICE_START_PTR(*k), key, strlen(key)) == 0) {
            size_t n = GRPC_SLICE_LENGTH(md->items[i].value);
            memcpy(out, GRPC_SLICE_START_PTR(md->items[i].value), n);
            out[n] = 0;
            return out;
        }
    }
    return NULL;
}

START_TEST(prefixed_headers_are_forwarded_lowercased)
{
    md_list md;
    md_list_init(&md);
    ck_assert_ptr_null(md_from_header(&md, NULL, "Grpc-Metadata-Foo-Bar", "baz"));
    ck_assert_ptr_null(md_from_header(&md, NULL, "Authorization", "Bearer t"));
    ck_assert_ptr_null(md_from_header(&md, NULL, "X-Other", "dropped"));
    ck_assert_ptr_null(md_from_header(&md, NULL, "Cookie", "c=1"));
    ck_assert_uint_eq(md.count, 2);
    ck_assert_str_eq(value_of(&md, "foo-bar"), "baz");
    ck_assert_str_eq(value_of(&md, "authorization"), "Bearer t");
    md_list_free(&md);
}
END_TEST

START_TEST(forward_header_flag)
{
    char *names[] = {"x-request-id"};
    md_rules rules = {1, names};
    md_list md;
    md_list_init(&md);
    ck_assert_ptr_null(md_from_header(&md, &rules, "X-Request-ID", "abc"));
    ck_assert_str_eq(value_of(&md, "x-request-id"), "abc");
    md_list_free(&md);
}
END_TEST

START_TEST(binary_headers_are_decoded)
{
    md_list md;
    md_list_init(&md);
    ck_assert_ptr_null(md_from_header(&md, NULL, "Grpc-Metadata-Blob-Bin", "AAEC"));
    ck_assert_uint_eq(md.count, 1);
    ck_assert_uint_eq(GRPC_SLICE_LENGTH(md.items[0].value), 3);
    ck_assert_uint_eq(GRPC_SLICE_START_PTR(md.items[0].value)[2], 2);
    gw_err *e = md_from_header(&md, NULL, "Grpc-Metadata-Blob-Bin", "not base64!");
    ck_assert_ptr_nonnull(e);
    ck_assert_int_eq(e->code, GRPC_STATUS_INVALID_ARGUMENT);
    ck_assert(strstr(e->message, "Grpc-Metadata-Blob-Bin") != NULL);
    gw_err_free(e);
    md_list_free(&md);
}
END_TEST

START_TEST(reserved_and_hop_by_hop_never_forwarded)
{
    md_list md;
    md_list_init(&md);
    ck_assert_ptr_null(md_from_header(&md, NULL, "Grpc-Metadata-Grpc-Status", "0"));
    ck_assert_ptr_null(md_from_header(&md, NULL, "Grpc-Metadata-Content-Type", "text/plain"));
    ck_assert_ptr_null(md_from_header(&md, NULL, "Grpc-Metadata-Connection", "close"));
    ck_assert_ptr_null(md_from_header(&md, NULL, "Grpc-Metadata-Te", "trailers"));
    ck_assert_uint_eq(md.count, 0);
    md_list_free(&md);
}
END_TEST

START_TEST(illegal_metadata_is_an_error)
{
    md_list md;
    md_list_init(&md);
    gw_err *e = md_from_header(&md, NULL, "Grpc-Metadata-Bad Name", "x");
    ck_assert_ptr_nonnull(e);
    gw_err_free(e);
    e = md_from_header(&md, NULL, "Grpc-Metadata-Ctl", "a\x01" "b");
    ck_assert_ptr_nonnull(e);
    ck_assert(strstr(e->message, "Grpc-Metadata-Ctl") != NULL);
    gw_err_free(e);
    e = md_from_header(&md, NULL, "Grpc-Metadata-Utf", "caf\xc3\xa9");
    ck_assert_ptr_nonnull(e);
    gw_err_free(e);
    ck_assert_uint_eq(md.count, 0);
    md_list_free(&md);
}
END_TEST

START_TEST(forwarded_for_and_host)
{
    md_list md;
    md_list_init(&md);
    md_add_forwarded(&md, "10.0.0.2", "192.0.2.1", NULL, "example.com:8080");
    ck_assert_str_eq(value_of(&md, "x-forwarded-for"), "192.0.2.1, 10.0.0.2");
    ck_assert_str_eq(value_of(&md, "x-forwarded-host"), "example.com:8080");
    md_list_free(&md);
    md_list_init(&md);
    md_add_forwarded(&md, "10.0.0.2", NULL, "front.example", "example.com");
    ck_assert_str_eq(value_of(&md, "x-forwarded-for"), "10.0.0.2");
    ck_assert_str_eq(value_of(&md, "x-forwarded-host"), "front.example");
    md_list_free(&md);
}
END_TEST

START_TEST(forwarded_illegal_incoming_values_give_way)
{
    /* A proxy list or host with a byte outside 0x20-0x7E cannot be metadata: the client's own
     * address and the Host header are sent instead, never nothing. */
    md_list md;
    md_list_init(&md);
    md_add_forwarded(&md, "10.0.0.2", "192.0.2.1\x01", "front\x7f.example", "example.com");
    ck_assert_str_eq(value_of(&md, "x-forwarded-for"), "10.0.0.2");
    ck_assert_str_eq(value_of(&md, "x-forwarded-host"), "example.com");
    md_list_free(&md);
    md_list_init(&md);
    md_add_forwarded(&md, NULL, NULL, NULL, NULL);
    ck_assert_uint_eq(md.count, 0);
    md_list_free(&md);
}
END_TEST

typedef struct seen {
    char names[8][64];
    char values[8][64];
    int n;
} seen;

static void collect(void *cls, const char *name, const char *value)
{
    seen *s = cls;
    snprintf(s->names[s->n], 64, "%s", name);
    snprintf(s->values[s->n], 64, "%s", value);
    s->n++;
}

START_TEST(response_headers)
{
    grpc_metadata items[2];
    memset(items, 0, sizeof items);
    items[0].key = grpc_slice_from_static_string("x-server");
    items[0].value = grpc_slice_from_static_string("v1");
    items[1].key = grpc_slice_from_static_string("trace-bin");
    items[1].value = grpc_slice_from_static_buffer("\x00\x01\x02", 3);
    grpc_metadata_array arr = {2, 2, items};
    seen s = {.n = 0};
    ck_assert_uint_eq(md_to_headers(&arr, "Grpc-Metadata-", NULL, collect, &s), 0);
    ck_assert_int_eq(s.n, 2);
    ck_assert_str_eq(s.names[0], "Grpc-Metadata-x-server");
    ck_assert_str_eq(s.values[0], "v1");
    ck_assert_str_eq(s.names[1], "Grpc-Metadata-trace-bin");
    ck_assert_str_eq(s.values[1], "AAEC");
    /* A budget leaves out what does not fit, and counts it. */
    seen t = {.n = 0};
    size_t budget = 40;   /* "Grpc-Metadata-x-server: v1\r\n" is 28 bytes; the next one does not fit */
    ck_assert_uint_eq(md_to_headers(&arr, "Grpc-Metadata-", &budget, collect, &t), 1);
    ck_assert_int_eq(t.n, 1);
    ck_assert_uint_eq(budget, 12);
    size_t len;
    const char *v = md_find(&arr, "x-server", &len);
    ck_assert(v && len == 2 && memcmp(v, "v1", 2) == 0);
    ck_assert_ptr_null(md_find(&arr, "absent", &len));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("metadata");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, prefixed_headers_are_forwarded_lowercased);
    tcase_add_test(tc, forward_header_flag);
    tcase_add_test(tc, binary_headers_are_decoded);
    tcase_add_test(tc, reserved_and_hop_by_hop_never_forwarded);
    tcase_add_test(tc, illegal_metadata_is_an_error);
    tcase_add_test(tc, forwarded_for_and_host);
    tcase_add_test(tc, forwarded_illegal_incoming_values_give_way);
    tcase_add_test(tc, response_headers);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
