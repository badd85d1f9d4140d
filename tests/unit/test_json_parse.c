/* test_json_parse.c: unit tests for src/gateway/json_parse.c (the gateway's JSON reading rules). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "json_parse.h"

static json_t *parse(const char *s, gw_err **e) { return json_parse_text(s, strlen(s), "body", e); }

START_TEST(blank_is_no_value)
{
    gw_err *e = (gw_err *)1;
    ck_assert_ptr_null(parse("  \r\n\t", &e));
    ck_assert_ptr_null(e);
}
END_TEST

START_TEST(nul_in_strings_is_kept)
{
    gw_err *e;
    json_t *j = json_parse_text("{\"s\":\"a\\u0000b\"}", 16, NULL, &e);
    ck_assert_ptr_nonnull(j);
    json_t *s = json_object_get(j, "s");
    ck_assert_uint_eq(json_string_length(s), 3);
    ck_assert_int_eq(json_string_value(s)[1], 0);
    json_decref(j);
}
END_TEST

START_TEST(big_integers_become_strings)
{
    gw_err *e;
    json_t *j = parse("{\"u\":18446744073709551615,\"a\":[1,-123456789012345678901],\"d\":1.5e300,\"s\":\"99999999999999999999\"}", &e);
    ck_assert_ptr_null(e);
    ck_assert_ptr_nonnull(j);
    ck_assert(json_is_string(json_object_get(j, "u")));
    ck_assert_str_eq(json_string_value(json_object_get(j, "u")), "18446744073709551615");
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(j, "a"), 1)), "-123456789012345678901");
    ck_assert(json_is_integer(json_array_get(json_object_get(j, "a"), 0)));
    ck_assert(json_is_real(json_object_get(j, "d")));
    ck_assert_str_eq(json_string_value(json_object_get(j, "s")), "99999999999999999999");
    json_decref(j);
}
END_TEST

START_TEST(small_integers_stay_numbers)
{
    gw_err *e;
    json_t *j = parse("{\"i\":9223372036854775807}", &e);
    ck_assert(json_is_integer(json_object_get(j, "i")));
    json_decref(j);
}
END_TEST

START_TEST(errors_give_position)
{
    gw_err *e;
    ck_assert_ptr_null(parse("{\"a\":1,\"a\":2}", &e));
    ck_assert_ptr_nonnull(e);
    ck_assert_int_eq(e->code, GRPC_STATUS_INVALID_ARGUMENT);
    ck_assert(strstr(e->message, "duplicate") != NULL);
    gw_err_free(e);
    ck_assert_ptr_null(parse("{\"a\":", &e));
    ck_assert(strstr(e->message, "malformed JSON body at line 1, column") != NULL);
    gw_err_free(e);
    ck_assert_ptr_null(parse("{} x", &e));
    gw_err_free(e);
    ck_assert_ptr_null(parse("\"\\ud800\"", &e));
    gw_err_free(e);
    ck_assert_ptr_null(json_parse_text("\"\xff\"", 3, NULL, &e));
    ck_assert_ptr_nonnull(e);
    gw_err_free(e);
    /* A big integer inside an otherwise broken document is still an error. */
    ck_assert_ptr_null(parse("{\"a\":123456789012345678901,", &e));
    ck_assert_ptr_nonnull(e);
    gw_err_free(e);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("json_parse");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, blank_is_no_value);
    tcase_add_test(tc, nul_in_strings_is_kept);
    tcase_add_test(tc, big_integers_become_strings);
    tcase_add_test(tc, small_integers_stay_numbers);
    tcase_add_test(tc, errors_give_position);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
