/* test_greeter.c: unit tests for src/greeter (reply texts, message coding, command-line options). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "greeter_opts.h"
#include "greeting.h"

START_TEST(reply_texts)
{
    buf b = BUF_INIT;
    greeting_hello(&b, "you");
    ck_assert_str_eq((char *)b.data, "Hello you");
    buf_reset(&b);
    greeting_stream_reply(&b, "x", 4);
    ck_assert_str_eq((char *)b.data, "Hello x #4");
    buf_free(&b);
}
END_TEST

START_TEST(collected_names_are_joined)
{
    buf b = BUF_INIT;
    greeting_collect_init(&b);
    ck_assert_str_eq((char *)b.data, "Hello ");
    greeting_collect_add(&b, "a", true);
    greeting_collect_add(&b, "b", false);
    greeting_collect_add(&b, "c", false);
    ck_assert_str_eq((char *)b.data, "Hello a, b, c");
    buf_free(&b);
}
END_TEST

START_TEST(messages_round_trip)
{
    buf b = BUF_INIT;
    char *s = NULL;
    greeting_encode_request(&b, "h\xc3\xa9 \"q\"");
    /* field 1, length-delimited: 0x0a, length, bytes */
    ck_assert_uint_eq(b.data[0], 0x0a);
    ck_assert_uint_eq(b.data[1], 7);
    ck_assert(greeting_decode_request(b.data, b.len, &s));
    ck_assert_str_eq(s, "h\xc3\xa9 \"q\"");
    free(s);
    buf_reset(&b);
    greeting_encode_reply(&b, "");
    ck_assert_uint_eq(b.len, 0);            /* proto3: the default value is not on the wire */
    ck_assert(greeting_decode_reply(b.data, b.len, &s));
    ck_assert_str_eq(s, "");
    free(s);
    static const uint8_t truncated[] = {0x0a, 0x05, 'a'};
    ck_assert(!greeting_decode_request(truncated, sizeof truncated, &s));
    buf_free(&b);
}
END_TEST

#define ARGV(...) ((char *[]){"prog", __VA_ARGS__, NULL})
#define ARGC(...) ((int)(sizeof((char *[]){"prog", __VA_ARGS__}) / sizeof(char *)))
#define PARSE_SERVER(o, ...) gopts_parse_server(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), (o), err, sizeof err)
#define PARSE_CLIENT(o, ...) gopts_parse_client(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), (o), err, sizeof err)

START_TEST(server_options)
{
    gopts_server o;
    char err[256];
    char *none[] = {"prog", NULL};
    ck_assert_int_eq(gopts_parse_server(1, none, &o, err, sizeof err), GOPTS_RUN);
    ck_assert_str_eq(o.listen, GREETER_DEFAULT_LISTEN);
    ck_assert_int_eq(o.stream_count, GREETER_DEFAULT_STREAM_COUNT);
    ck_assert_int_eq(o.grace_ms, GREETER_DEFAULT_GRACE_MS);
    ck_assert(!o.quiet);

    ck_assert_int_eq(PARSE_SERVER(&o, "--listen", "127.0.0.1:0", "--stream-count=3", "--stream-interval-ms", "10",
                                  "--delay-ms=250", "--grace-ms", "40", "--quiet"),
                     GOPTS_RUN);
    ck_assert_str_eq(o.listen, "127.0.0.1:0");
    ck_assert_int_eq(o.stream_count, 3);
    ck_assert_int_eq(o.stream_interval_ms, 10);
    ck_assert_int_eq(o.delay_ms, 250);
    ck_assert_int_eq(o.grace_ms, 40);
    ck_assert(o.quiet);

    ck_assert_int_eq(PARSE_SERVER(&o, "--help"), GOPTS_HELP);
    ck_assert_int_eq(PARSE_SERVER(&o, "--version"), GOPTS_VERSION);
    ck_assert_int_eq(PARSE_SERVER(&o, "--bogus"), GOPTS_BAD);
    ck_assert_ptr_nonnull(strstr(err, "--bogus"));
    ck_assert_int_eq(PARSE_SERVER(&o, "--listen"), GOPTS_BAD);
    ck_assert_ptr_nonnull(strstr(err, "needs a value"));
    ck_assert_int_eq(PARSE_SERVER(&o, "--listen", "50051"), GOPTS_BAD);
    ck_assert_int_eq(PARSE_SERVER(&o, "--delay-ms", "-5"), GOPTS_BAD);
    ck_assert_int_eq(PARSE_SERVER(&o, "--stream-count", "lots"), GOPTS_BAD);
    ck_assert_int_eq(PARSE_SERVER(&o, "--listenx=1:1"), GOPTS_BAD);
}
END_TEST

START_TEST(server_tls_options)
{
    gopts_server o;
    char err[256];
    ck_assert_int_eq(PARSE_SERVER(&o, "--quiet"), GOPTS_RUN);
    ck_assert_ptr_null(o.tls_cert);
    ck_assert_ptr_null(o.tls_key);
    ck_assert_ptr_null(o.tls_client_ca);

    ck_assert_int_eq(PARSE_SERVER(&o, "--tls-cert", "s.pem", "--tls-key=s.key"), GOPTS_RUN);
    ck_assert_str_eq(o.tls_cert, "s.pem");
    ck_assert_str_eq(o.tls_key, "s.key");
    ck_assert_ptr_null(o.tls_client_ca);
    ck_assert_int_eq(PARSE_SERVER(&o, "--tls-client-ca", "ca.pem", "--tls-key", "s.key", "--tls-cert", "s.pem"),
                     GOPTS_RUN);
    ck_assert_str_eq(o.tls_client_ca, "ca.pem");

    ck_assert_int_eq(PARSE_SERVER(&o, "--tls-cert", "s.pem"), GOPTS_BAD);
    ck_assert_str_eq(err, "--tls-cert and --tls-key go together");
    ck_assert_int_eq(PARSE_SERVER(&o, "--tls-key", "s.key"), GOPTS_BAD);
    ck_assert_str_eq(err, "--tls-cert and --tls-key go together");
    ck_assert_int_eq(PARSE_SERVER(&o, "--tls-client-ca", "ca.pem"), GOPTS_BAD);
    ck_assert_ptr_nonnull(strstr(err, "--tls-client-ca needs"));
    ck_assert_int_eq(PARSE_SERVER(&o, "--tls-cert="), GOPTS_BAD);
    ck_assert_ptr_nonnull(strstr(err, "must not be empty"));
    ck_assert_int_eq(PARSE_SERVER(&o, "--tls-cert", "s.pem", "--tls-key"), GOPTS_BAD);
    ck_assert_ptr_nonnull(strstr(err, "needs a value"));
}
END_TEST

START_TEST(client_options)
{
    gopts_client o;
    char err[256];
    /* o.names points into argv: the arrays inspected afterwards must outlive the call. */
    char *unary_argv[] = {"prog", "unary", "you", NULL};
    ck_assert_int_eq(gopts_parse_client(3, unary_argv, &o, err, sizeof err), GOPTS_RUN);
    ck_assert_str_eq(o.target, GREETER_DEFAULT_TARGET);
    ck_assert_int_eq(o.kind, GREETER_UNARY);
    ck_assert_int_eq(o.timeout_ms, -1);
    ck_assert_int_eq(o.cancel_after_ms, -1);
    ck_assert_int_eq(o.n_names, 1);
    ck_assert_str_eq(o.names[0], "you");

    char *stream_argv[] = {"prog", "--target", "[::1]:9", "--timeout-ms=5", "--cancel-after-ms", "7",
                           "client-stream", "a", "-b", "c", NULL};
    ck_assert_int_eq(gopts_parse_client(10, stream_argv, &o, err, sizeof err), GOPTS_RUN);
    ck_assert_str_eq(o.target, "[::1]:9");
    ck_assert_int_eq(o.timeout_ms, 5);
    ck_assert_int_eq(o.cancel_after_ms, 7);
    ck_assert_int_eq(o.kind, GREETER_CLIENT_STREAM);
    ck_assert_int_eq(o.n_names, 3);
    ck_assert_str_eq(o.names[1], "-b");

    ck_assert_int_eq(PARSE_CLIENT(&o, "bidi"), GOPTS_RUN);
    ck_assert_int_eq(o.n_names, 0);
    char *empty_argv[] = {"prog", "server-stream", "", NULL};
    ck_assert_int_eq(gopts_parse_client(3, empty_argv, &o, err, sizeof err), GOPTS_RUN);
    ck_assert_str_eq(o.names[0], "");
    ck_assert_str_eq(greeter_method_path(o.kind), "/helloworld.Greeter/SayHelloServerStream");

    ck_assert_int_eq(PARSE_CLIENT(&o, "health"), GOPTS_RUN);
    ck_assert_int_eq(o.kind, GREETER_HEALTH);
    ck_assert_int_eq(o.n_names, 0);
    ck_assert_int_eq(PARSE_CLIENT(&o, "health", "a", "b"), GOPTS_BAD);

    ck_assert_int_eq(PARSE_CLIENT(&o, "unary"), GOPTS_BAD);
    ck_assert_int_eq(PARSE_CLIENT(&o, "unary", "a", "b"), GOPTS_BAD);
    ck_assert_int_eq(PARSE_CLIENT(&o, "shout", "a"), GOPTS_BAD);
    ck_assert_ptr_nonnull(strstr(err, "shout"));
    ck_assert_int_eq(PARSE_CLIENT(&o, "--timeout-ms", "soon", "unary", "a"), GOPTS_BAD);
    ck_assert_int_eq(PARSE_CLIENT(&o, "--target", "nohost", "unary", "a"), GOPTS_BAD);
    ck_assert_int_eq(PARSE_CLIENT(&o, "--frobnicate", "unary", "a"), GOPTS_BAD);
    ck_assert_int_eq(PARSE_CLIENT(&o, "--timeout-ms", "5"), GOPTS_BAD);
    ck_assert_int_eq(PARSE_CLIENT(&o, "--help"), GOPTS_HELP);
}
END_TEST

START_TEST(client_tls_options)
{
    gopts_client o;
    char err[256];
    ck_assert_int_eq(PARSE_CLIENT(&o, "unary", "a"), GOPTS_RUN);
    ck_assert(!o.tls);
    ck_assert_ptr_null(o.ca);
    ck_assert_ptr_null(o.cert);
    ck_assert_ptr_null(o.key);
    ck_assert_ptr_null(o.authority);

    ck_assert_int_eq(PARSE_CLIENT(&o, "--tls", "unary", "a"), GOPTS_RUN);
    ck_assert(o.tls);
    ck_assert_ptr_null(o.ca);
    ck_assert_int_eq(PARSE_CLIENT(&o, "--tls", "--ca=ca.pem", "--cert", "c.pem", "--key", "c.key", "--authority",
                                  "localhost", "--cancel-after-ms", "9", "unary", "a"),
                     GOPTS_RUN);
    ck_assert(o.tls);
    ck_assert_str_eq(o.ca, "ca.pem");
    ck_assert_str_eq(o.cert, "c.pem");
    ck_assert_str_eq(o.key, "c.key");
    ck_assert_str_eq(o.authority, "localhost");
    ck_assert_int_eq(o.cancel_after_ms, 9);   /* --ca does not swallow --cancel-after-ms */
    ck_assert_int_eq(o.kind, GREETER_UNARY);
    /* --authority alone sets :authority on a plain-text call. */
    ck_assert_int_eq(PARSE_CLIENT(&o, "--authority", "greeter.example", "health"), GOPTS_RUN);
    ck_assert(!o.tls);
    ck_assert_str_eq(o.authority, "greeter.example");

    ck_assert_int_eq(PARSE_CLIENT(&o, "--ca", "ca.pem", "unary", "a"), GOPTS_BAD);
    ck_assert_str_eq(err, "--ca, --cert and --key need --tls");
    ck_assert_int_eq(PARSE_CLIENT(&o, "--cert", "c.pem", "--key", "c.key", "unary", "a"), GOPTS_BAD);
    ck_assert_str_eq(err, "--ca, --cert and --key need --tls");
    ck_assert_int_eq(PARSE_CLIENT(&o, "--tls", "--cert", "c.pem", "unary", "a"), GOPTS_BAD);
    ck_assert_str_eq(err, "--cert and --key go together");
    ck_assert_int_eq(PARSE_CLIENT(&o, "--tls", "--key", "c.key", "unary", "a"), GOPTS_BAD);
    ck_assert_str_eq(err, "--cert and --key go together");
    ck_assert_int_eq(PARSE_CLIENT(&o, "--tls", "--authority=", "unary", "a"), GOPTS_BAD);
    ck_assert_ptr_nonnull(strstr(err, "must not be empty"));
    ck_assert_int_eq(PARSE_CLIENT(&o, "--tls=yes", "unary", "a"), GOPTS_BAD);
    ck_assert_ptr_nonnull(strstr(err, "--tls=yes"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("greeter");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, reply_texts);
    tcase_add_test(tc, collected_names_are_joined);
    tcase_add_test(tc, messages_round_trip);
    tcase_add_test(tc, server_options);
    tcase_add_test(tc, client_options);
    tcase_add_test(tc, server_tls_options);
    tcase_add_test(tc, client_tls_options);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
