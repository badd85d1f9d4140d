/* test_grpc_timeout.c: unit tests for src/gateway/grpc_timeout.c (Grpc-Timeout header, durations). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "grpc_timeout.h"

static int64_t parse_ok(const char *s)
{
    int64_t us = -1;
    ck_assert_msg(grpc_timeout_parse(s, strlen(s), &us), "expected '%s' to parse", s);
    return us;
}

static void parse_bad(const char *s)
{
    int64_t us = 12345;
    ck_assert_msg(!grpc_timeout_parse(s, strlen(s), &us), "expected '%s' to be refused", s);
    ck_assert_int_eq(us, 12345);
}

START_TEST(every_unit)
{
    ck_assert_int_eq(parse_ok("1H"), 3600LL * 1000000);
    ck_assert_int_eq(parse_ok("2M"), 120LL * 1000000);
    ck_assert_int_eq(parse_ok("3S"), 3000000);
    ck_assert_int_eq(parse_ok("250m"), 250000);
    ck_assert_int_eq(parse_ok("7u"), 7);
    ck_assert_int_eq(parse_ok("1500n"), 2);    /* rounded up to whole microseconds */
    ck_assert_int_eq(parse_ok("1n"), 1);
    ck_assert_int_eq(parse_ok("0S"), 0);
}
END_TEST

START_TEST(largest_values_do_not_overflow)
{
    ck_assert_int_eq(parse_ok("99999999H"), 99999999LL * 3600 * 1000000);
    ck_assert_int_eq(parse_ok("99999999n"), 100000);
}
END_TEST

START_TEST(malformed_values)
{
    parse_bad("");
    parse_bad("S");
    parse_bad("5");
    parse_bad("1x");
    parse_bad("-1m");
    parse_bad("+1m");
    parse_bad(" 1m");
    parse_bad("1 m");
    parse_bad("1.5S");
    parse_bad("123456789S");   /* nine digits */
    parse_bad("1mm");
    parse_bad("abc");
}
END_TEST

START_TEST(durations)
{
    int64_t us;
    ck_assert(duration_parse("30s", &us, true) && us == 30000000);
    ck_assert(duration_parse("1.5s", &us, true) && us == 1500000);
    ck_assert(duration_parse("250ms", &us, true) && us == 250000);
    ck_assert(duration_parse("2m", &us, true) && us == 120000000);
    ck_assert(duration_parse("1h", &us, true) && us == 3600000000LL);
    ck_assert(duration_parse("10", &us, true) && us == 10000000);
    ck_assert(duration_parse("none", &us, true) && us == DURATION_NONE);
    ck_assert(duration_parse("0", &us, true) && us == DURATION_NONE);
    ck_assert(!duration_parse("none", &us, false));
    ck_assert(!duration_parse("-1s", &us, true));
    ck_assert(!duration_parse("5 parsecs", &us, true));
    ck_assert(!duration_parse("", &us, true));
    char out[32];
    duration_format(30000000, out, sizeof out);
    ck_assert_str_eq(out, "30s");
    duration_format(250000, out, sizeof out);
    ck_assert_str_eq(out, "250ms");
    duration_format(DURATION_NONE, out, sizeof out);
    ck_assert_str_eq(out, "none");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("grpc_timeout");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, every_unit);
    tcase_add_test(tc, largest_values_do_not_overflow);
    tcase_add_test(tc, malformed_values);
    tcase_add_test(tc, durations);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
