/* test_common.c: unit tests for src/common (buf, base64, uri, grpc_names). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "buf.h"
#include "grpc_names.h"
#include "uri.h"

START_TEST(buf_appends_and_consumes)
{
    buf b = BUF_INIT;
    buf_append_str(&b, "hello");
    buf_printf(&b, " %d %s", 42, "x");
    ck_assert_str_eq((char *)b.data, "hello 42 x");
    buf_consume(&b, 6);
    ck_assert_str_eq((char *)b.data, "42 x");
    for (int i = 0; i < 1000; i++) buf_append_byte(&b, 'a');
    ck_assert_uint_eq(b.len, 1004);
    buf_free(&b);
    ck_assert_ptr_null(b.data);
}
END_TEST

static void check_roundtrip(const char *plain, const char *padded, const char *unpadded)
{
    buf b = BUF_INIT;
    base64_encode(&b, (const uint8_t *)plain, strlen(plain), true);
    ck_assert_str_eq((char *)b.data, padded);
    buf_reset(&b);
    base64_encode(&b, (const uint8_t *)plain, strlen(plain), false);
    ck_assert_str_eq((char *)b.data, unpadded);
    buf_reset(&b);
    ck_assert(base64_decode(&b, padded, strlen(padded)));
    ck_assert_uint_eq(b.len, strlen(plain));
    ck_assert(memcmp(b.data ? (void *)b.data : (void *)"", plain, b.len) == 0);
    buf_reset(&b);
    ck_assert(base64_decode(&b, unpadded, strlen(unpadded)));
    ck_assert_uint_eq(b.len, strlen(plain));
    buf_free(&b);
}

START_TEST(base64_rfc4648_vectors)
{
    check_roundtrip("", "", "");
    check_roundtrip("f", "Zg==", "Zg");
    check_roundtrip("fo", "Zm8=", "Zm8");
    check_roundtrip("foo", "Zm9v", "Zm9v");
    check_roundtrip("foob", "Zm9vYg==", "Zm9vYg");
    check_roundtrip("fooba", "Zm9vYmE=", "Zm9vYmE");
    check_roundtrip("foobar", "Zm9vYmFy", "Zm9vYmFy");
}
END_TEST

START_TEST(base64_accepts_url_safe_and_rejects_garbage)
{
    buf b = BUF_INIT;
    ck_assert(base64_decode(&b, "-_8", 3));   /* URL-safe for 0xfb 0xff */
    ck_assert_uint_eq(b.len, 2);
    ck_assert_uint_eq(b.data[0], 0xfb);
    ck_assert_uint_eq(b.data[1], 0xff);
    buf_reset(&b);
    ck_assert(!base64_decode(&b, "Zm9v!", 5));
    ck_assert(!base64_decode(&b, "Z", 1));
    ck_assert(!base64_decode(&b, "Zg=", 3));
    ck_assert(!base64_decode(&b, "Zm9v Zg", 7));
    buf_free(&b);
}
END_TEST

START_TEST(uri_decodes_and_keeps_reserved)
{
    buf b = BUF_INIT;
    ck_assert(uri_percent_decode(&b, "a%20b%2Fc", 9, NULL));
    ck_assert_str_eq((char *)b.data, "a b/c");
    buf_reset(&b);
    ck_assert(uri_percent_decode(&b, "a%20b%2fc", 9, "/"));
    ck_assert_str_eq((char *)b.data, "a b%2fc");
    buf_reset(&b);
    ck_assert(!uri_percent_decode(&b, "abc%2", 5, NULL));
    buf_reset(&b);
    ck_assert(!uri_percent_decode(&b, "%zz", 3, NULL));
    buf_free(&b);
}
END_TEST

START_TEST(status_names)
{
    ck_assert_str_eq(grpc_status_name(GRPC_STATUS_OK), "OK");
    ck_assert_str_eq(grpc_status_name(GRPC_STATUS_UNAUTHENTICATED), "UNAUTHENTICATED");
    ck_assert_str_eq(grpc_status_name((grpc_status_code)99), "UNKNOWN_CODE");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("common");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, buf_appends_and_consumes);
    tcase_add_test(tc, base64_rfc4648_vectors);
    tcase_add_test(tc, base64_accepts_url_safe_and_rejects_garbage);
    tcase_add_test(tc, uri_decodes_and_keeps_reserved);
    tcase_add_test(tc, status_names);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
