/* test_config.c: unit tests for src/gateway/config.c (flags, environment, defaults). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "grpc_timeout.h"

static enum config_result load(gw_config *c, int argc, const char **argv)
{
    return config_load(c, argc, (char **)argv);
}

START_TEST(defaults)
{
    const char *argv[] = {"gw"};
    gw_config c;
    ck_assert_int_eq(load(&c, 1, argv), CONFIG_RUN);
    ck_assert_str_eq(c.listen, "0.0.0.0:8080");
    ck_assert_str_eq(c.backend, "127.0.0.1:50051");
    ck_assert_uint_eq(c.max_body_bytes, 4u << 20);
    ck_assert_int_eq(c.default_timeout_us, 30000000);
    ck_assert_int_eq(c.default_stream_timeout_us, DURATION_NONE);
    ck_assert_int_eq(c.max_timeout_us, DURATION_NONE);
    ck_assert(!c.json.emit_defaults && !c.json.proto_names && !c.json.enums_as_ints && !c.json.allow_unknown);
    ck_assert_uint_eq(c.n_descriptors, 0);
    config_free(&c);
}
END_TEST

START_TEST(flags_override_environment)
{
    setenv("GW_BACKEND", "dns:///env:1", 1);
    setenv("GW_MAX_BODY_BYTES", "1K", 1);
    setenv("GW_DESCRIPTOR", "a.desc,b.desc", 1);
    const char *argv[] = {"gw", "--backend", "flag:2", "--emit-defaults", "--descriptor=c.desc",
                          "--default-timeout", "1.5s", "--forward-header", "X-Request-Id", "--proto-names=false"};
    gw_config c;
    ck_assert_int_eq(load(&c, 10, argv), CONFIG_RUN);
    ck_assert_str_eq(c.backend, "flag:2");
    ck_assert_uint_eq(c.max_body_bytes, 1024);
    ck_assert(c.json.emit_defaults);
    ck_assert(!c.json.proto_names);
    ck_assert_int_eq(c.default_timeout_us, 1500000);
    ck_assert_uint_eq(c.n_descriptors, 3);
    ck_assert_str_eq(c.descriptors[0], "a.desc");
    ck_assert_str_eq(c.descriptors[2], "c.desc");
    ck_assert_uint_eq(c.metadata.n_forward, 1);
    ck_assert_str_eq(c.metadata.forward[0], "x-request-id");
    config_free(&c);
    unsetenv("GW_BACKEND");
    unsetenv("GW_MAX_BODY_BYTES");
    unsetenv("GW_DESCRIPTOR");
}
END_TEST

START_TEST(bad_usage)
{
    gw_config c;
    const char *a1[] = {"gw", "--no-such-flag"};
    ck_assert_int_eq(load(&c, 2, a1), CONFIG_EXIT_USAGE);
    config_free(&c);
    const char *a2[] = {"gw", "--max-body-bytes", "lots"};
    ck_assert_int_eq(load(&c, 3, a2), CONFIG_EXIT_USAGE);
    config_free(&c);
    const char *a3[] = {"gw", "--listen"};
    ck_assert_int_eq(load(&c, 2, a3), CONFIG_EXIT_USAGE);
    config_free(&c);
    const char *a4[] = {"gw", "stray"};
    ck_assert_int_eq(load(&c, 2, a4), CONFIG_EXIT_USAGE);
    config_free(&c);
    setenv("GW_DEFAULT_TIMEOUT", "soon", 1);
    const char *a5[] = {"gw"};
    ck_assert_int_eq(load(&c, 1, a5), CONFIG_EXIT_USAGE);
    config_free(&c);
    unsetenv("GW_DEFAULT_TIMEOUT");
}
END_TEST

START_TEST(help_and_version)
{
    gw_config c;
    const char *a1[] = {"gw", "--version"};
    ck_assert_int_eq(load(&c, 2, a1), CONFIG_EXIT_OK);
    config_free(&c);
    const char *a2[] = {"gw", "--help"};
    ck_assert_int_eq(load(&c, 2, a2), CONFIG_EXIT_OK);
    config_free(&c);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, defaults);
    tcase_add_test(tc, flags_override_environment);
    tcase_add_test(tc, bad_usage);
    tcase_add_test(tc, help_and_version);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
