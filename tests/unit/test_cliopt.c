/* test_cliopt.c: unit tests for src/common/cliopt (numbers and HOST:PORT). */
#include <check.h>
#include <stdlib.h>

#include "cliopt.h"

START_TEST(numbers_in_range)
{
    long v = -1;
    ck_assert(cliopt_uint("0", 10, &v) && v == 0);
    ck_assert(cliopt_uint("10", 10, &v) && v == 10);
    ck_assert(cliopt_uint("007", 10, &v) && v == 7);
    ck_assert(!cliopt_uint("11", 10, &v));
    ck_assert(!cliopt_uint("", 10, &v));
    ck_assert(!cliopt_uint("-1", 10, &v));
    ck_assert(!cliopt_uint("+1", 10, &v));
    ck_assert(!cliopt_uint("1x", 10, &v));
    ck_assert(!cliopt_uint(" 1", 10, &v));
    ck_assert(!cliopt_uint("99999999999999999999999", 2147483647L, &v));
    ck_assert(cliopt_uint("2147483647", 2147483647L, &v) && v == 2147483647L);
}
END_TEST

START_TEST(host_and_port)
{
    int port = -1, hl = -1;
    ck_assert(cliopt_hostport("127.0.0.1:0", &port, &hl) && port == 0 && hl == 9);
    ck_assert(cliopt_hostport("0.0.0.0:50051", &port, NULL) && port == 50051);
    ck_assert(cliopt_hostport("localhost:65535", &port, NULL) && port == 65535);
    ck_assert(cliopt_hostport("[::1]:80", &port, &hl) && port == 80 && hl == 5);
    ck_assert(cliopt_hostport("[::]:1", &port, NULL));
    ck_assert(!cliopt_hostport("127.0.0.1", &port, NULL));
    ck_assert(!cliopt_hostport(":80", &port, NULL));
    ck_assert(!cliopt_hostport("host:", &port, NULL));
    ck_assert(!cliopt_hostport("host:65536", &port, NULL));
    ck_assert(!cliopt_hostport("host:-1", &port, NULL));
    ck_assert(!cliopt_hostport("::1:80", &port, NULL));
    ck_assert(!cliopt_hostport("[::1:80", &port, NULL));
    ck_assert(!cliopt_hostport("[]:80", &port, NULL));
    ck_assert(!cliopt_hostport("a b:80", &port, NULL));
    ck_assert(!cliopt_hostport(NULL, &port, NULL));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cliopt");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, numbers_in_range);
    tcase_add_test(tc, host_and_port);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
