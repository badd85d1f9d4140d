/* test_server_call.c: unit tests for the pure parts of src/common/server_call (deadline slack). */
#include <check.h>
#include <stdlib.h>

#include "server_call.h"

START_TEST(deadline_slack_is_a_bounded_tenth)
{
    ck_assert_int_eq(scall_deadline_slack_ms(0), SCALL_DEADLINE_SLACK_MS);
    ck_assert_int_eq(scall_deadline_slack_ms(300), SCALL_DEADLINE_SLACK_MS);
    ck_assert_int_eq(scall_deadline_slack_ms(2000), 200);
    ck_assert_int_eq(scall_deadline_slack_ms(30000), SCALL_DEADLINE_SLACK_MAX_MS);
    ck_assert_int_eq(scall_deadline_slack_ms(-5), SCALL_DEADLINE_SLACK_MS);   /* arrived past its deadline */
}
END_TEST

int main(void)
{
    Suite *s = suite_create("server_call");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, deadline_slack_is_a_bounded_tenth);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
