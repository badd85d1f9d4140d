/* test_echo_controls.c: unit tests for tests/backend/echo_controls (x-echo-* controls, echo rules). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "echo_controls.h"

static int apply(echo_controls *ctl, const char *key, const char *value, char *err, size_t err_len)
{
    return echo_controls_apply(ctl, key, strlen(key), (const uint8_t *)value, strlen(value), err, err_len);
}

START_TEST(controls_are_parsed)
{
    echo_controls ctl;
    char err[128];
    echo_controls_init(&ctl);
    ck_assert_int_eq(ctl.repeat, 1);
    ck_assert_int_eq(echo_final_status(&ctl), 0);
    ck_assert_int_eq(echo_fail_status(&ctl), ECHO_DEFAULT_FAIL_STATUS);
    ck_assert_int_eq(apply(&ctl, "x-echo-status", "5", err, sizeof err), 1);
    ck_assert_int_eq(apply(&ctl, "x-echo-message", "not here", err, sizeof err), 1);
    ck_assert_int_eq(apply(&ctl, "x-echo-repeat", "3", err, sizeof err), 1);
    ck_assert_int_eq(apply(&ctl, "x-echo-interval-ms", "20", err, sizeof err), 1);
    ck_assert_int_eq(apply(&ctl, "x-echo-delay-ms", "100", err, sizeof err), 1);
    ck_assert_int_eq(apply(&ctl, "x-echo-fail-after", "0", err, sizeof err), 1);
    static const uint8_t details[] = {0x08, 0x05, 0x00, 0xff};
    ck_assert_int_eq(echo_controls_apply(&ctl, "x-echo-details-bin", 18, details, sizeof details, err, sizeof err), 1);
    ck_assert_int_eq(ctl.status, 5);
    ck_assert_int_eq(echo_final_status(&ctl), 5);
    ck_assert_int_eq(echo_fail_status(&ctl), 5);
    ck_assert_str_eq(ctl.message, "not here");
    ck_assert_int_eq(ctl.repeat, 3);
    ck_assert_int_eq(ctl.interval_ms, 20);
    ck_assert_int_eq(ctl.delay_ms, 100);
    ck_assert(ctl.has_fail_after && ctl.fail_after == 0);
    ck_assert_uint_eq(ctl.details_len, sizeof details);
    ck_assert(memcmp(ctl.details, details, sizeof details) == 0);
}
END_TEST

START_TEST(bad_controls_are_reported)
{
    echo_controls ctl;
    char err[128];
    echo_controls_init(&ctl);
    ck_assert_int_eq(apply(&ctl, "x-echo-status", "17", err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "x-echo-status"));
    ck_assert_int_eq(apply(&ctl, "x-echo-repeat", "", err, sizeof err), -1);
    ck_assert_int_eq(apply(&ctl, "x-echo-delay-ms", "1.5", err, sizeof err), -1);
    ck_assert_int_eq(apply(&ctl, "x-echo-colour", "red", err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "x-echo-colour"));
    ck_assert_int_eq(apply(&ctl, "x-other", "1", err, sizeof err), 0);
    char big[ECHO_MAX_TEXT + 2];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = 0;
    ck_assert_int_eq(apply(&ctl, "x-echo-message", big, err, sizeof err), -1);
}
END_TEST

static bool echoed(const char *key) { return echo_key_is_echoed(key, strlen(key)); }

START_TEST(echoed_keys)
{
    ck_assert(echoed("x-trace-id"));
    ck_assert(echoed("authorization"));
    ck_assert(echoed("trace-bin"));
    ck_assert(!echoed("x-echo-status"));
    ck_assert(!echoed("grpc-timeout"));
    ck_assert(!echoed("user-agent"));
    ck_assert(!echoed("content-type"));
    ck_assert(!echoed("te"));
    ck_assert(!echoed(":authority"));
    ck_assert(echoed("tea"));
}
END_TEST

START_TEST(last_mode_by_method_name)
{
    ck_assert(echo_method_is_last_mode("/helloworld.Greeter/SayHelloClientStream"));
    ck_assert(echo_method_is_last_mode("/a.B/ClientStream"));
    ck_assert(!echo_method_is_last_mode("/helloworld.Greeter/SayHelloBiStream"));
    ck_assert(!echo_method_is_last_mode("/a.ClientStream/Other"));
    ck_assert(!echo_method_is_last_mode("/a.B/ClientStreamX"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("echo_controls");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, controls_are_parsed);
    tcase_add_test(tc, bad_controls_are_reported);
    tcase_add_test(tc, echoed_keys);
    tcase_add_test(tc, last_mode_by_method_name);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
