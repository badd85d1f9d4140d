/* test_cors.c: unit tests for src/gateway/cors: origin parsing and matching, preflight answers,
 * headers of actual responses and the expose list. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cors.h"

/* Collects produced headers as "Name: value\n" lines. */
static void collect(void *cls, const char *name, const char *value)
{
    buf_printf((buf *)cls, "%s: %s\n", name, value);
}

static cors *policy(const char *const *origins, size_t n, unsigned max_age)
{
    cors *c = NULL;
    gw_err *e = cors_new(&c, origins, n, max_age);
    if (e) ck_abort_msg("cors_new: %s", e->message);
    return c;
}

static void expect_invalid(const char *origin)
{
    cors *c = NULL;
    gw_err *e = cors_new(&c, &origin, 1, 0);
    ck_assert_msg(e != NULL, "'%s' should be refused", origin);
    ck_assert_int_eq(e->code, GRPC_STATUS_INVALID_ARGUMENT);
    ck_assert_msg(strstr(e->message, "--cors-origin") && strstr(e->message, origin), "message: %s", e->message);
    ck_assert_ptr_null(c);
    gw_err_free(e);
}

static const char *text(const buf *b) { return b->data ? (const char *)b->data : ""; }

START_TEST(configured_origins_are_validated)
{
    expect_invalid("example.com");
    expect_invalid("https://");
    expect_invalid("https://example.com/app");
    expect_invalid("https://example.com?x=1");
    expect_invalid("https://user@example.com");
    expect_invalid("https://example.com:99999");
    expect_invalid("https://example.com:");
    expect_invalid("null");
    expect_invalid("");
    expect_invalid("://example.com");
    expect_invalid("https://[::1");
    expect_invalid("https://exa mple.com");
    char longo[CORS_MAX_ORIGIN_BYTES + 20];
    snprintf(longo, sizeof longo, "https://%0*d.com", CORS_MAX_ORIGIN_BYTES, 0);
    expect_invalid(longo);

    const char *ok[] = {"https://Example.COM/", "http://localhost:3000", "https://[::1]:8443", "*"};
    cors *c = policy(ok, 4, 0);
    ck_assert(cors_enabled(c));
    cors_free(c);
}
END_TEST

START_TEST(disabled_policy_allows_nothing_and_adds_nothing)
{
    cors *c = policy(NULL, 0, CORS_DEFAULT_MAX_AGE_S);
    ck_assert(!cors_enabled(c));
    ck_assert(!cors_enabled(NULL));
    ck_assert(!cors_origin_allowed(c, "https://example.com"));
    buf b = BUF_INIT;
    cors_response_headers(c, "https://example.com", "X", collect, &b);
    ck_assert_uint_eq(b.len, 0);
    ck_assert_int_eq(cors_preflight_headers(c, "https://example.com", "GET", NULL, "GET", collect, &b),
                     CORS_PREFLIGHT_DENIED);
    ck_assert_uint_eq(b.len, 0);
    buf_free(&b);
    cors_free(c);
}
END_TEST

START_TEST(origins_match_as_serialized_origins)
{
    const char *list[] = {"https://App.Example.com", "http://localhost:3000", "https://api.example.com:443",
                          "http://[::1]:80/"};
    cors *c = policy(list, 4, 0);
    ck_assert(cors_origin_allowed(c, "https://app.example.com"));
    ck_assert(cors_origin_allowed(c, "HTTPS://APP.EXAMPLE.COM"));
    ck_assert(cors_origin_allowed(c, "https://app.example.com:443"));   /* the default port */
    ck_assert(cors_origin_allowed(c, "https://api.example.com"));
    ck_assert(cors_origin_allowed(c, "http://localhost:3000"));
    ck_assert(cors_origin_allowed(c, "http://[::1]"));
    ck_assert(!cors_origin_allowed(c, "http://app.example.com"));       /* another scheme */
    ck_assert(!cors_origin_allowed(c, "https://app.example.com:8443")); /* another port */
    ck_assert(!cors_origin_allowed(c, "http://localhost:30001"));
    ck_assert(!cors_origin_allowed(c, "https://app.example.com.evil.net"));
    ck_assert(!cors_origin_allowed(c, "https://evilapp.example.com"));
    ck_assert(!cors_origin_allowed(c, "null"));
    ck_assert(!cors_origin_allowed(c, ""));
    ck_assert(!cors_origin_allowed(c, NULL));
    ck_assert(!cors_origin_allowed(c, "https://app.example.com\r\nX-Evil: 1"));
    cors_free(c);

    const char *any[] = {"*"};
    c = policy(any, 1, 0);
    ck_assert(cors_origin_allowed(c, "https://anything.example"));
    ck_assert(cors_origin_allowed(c, "null"));
    ck_assert(!cors_origin_allowed(c, NULL));
    cors_free(c);
}
END_TEST

START_TEST(preflight_detection)
{
    ck_assert(cors_is_preflight("OPTIONS", "https://a.example", "POST"));
    ck_assert(!cors_is_preflight("OPTIONS", NULL, "POST"));
    ck_assert(!cors_is_preflight("OPTIONS", "https://a.example", NULL));
    ck_assert(!cors_is_preflight("POST", "https://a.example", "POST"));
}
END_TEST

START_TEST(allowed_preflight_lists_methods_headers_and_max_age)
{
    const char *list[] = {"https://app.example.com"};
    cors *c = policy(list, 1, 600);
    buf b = BUF_INIT;
    ck_assert_int_eq(cors_preflight_headers(c, "https://app.example.com", "POST", "content-type, grpc-timeout",
                                            "GET, POST", collect, &b),
                     CORS_PREFLIGHT_ALLOWED);
    ck_assert_str_eq(text(&b), "Vary: Origin, Access-Control-Request-Method, Access-Control-Request-Headers\n"
                               "Access-Control-Allow-Origin: https://app.example.com\n"
                               "Access-Control-Allow-Methods: GET, POST\n"
                               "Access-Control-Allow-Headers: content-type, grpc-timeout\n"
                               "Access-Control-Max-Age: 600\n");
    buf_reset(&b);
    /* No request headers asked for, HEAD through GET, no max age configured elsewhere. */
    ck_assert_int_eq(cors_preflight_headers(c, "https://app.example.com", "HEAD", NULL, "GET", collect, &b),
                     CORS_PREFLIGHT_ALLOWED);
    ck_assert_ptr_null(strstr(text(&b), "Allow-Headers"));
    ck_assert_ptr_nonnull(strstr(text(&b), "Access-Control-Allow-Methods: GET\n"));
    buf_reset(&b);
    ck_assert_int_eq(cors_preflight_headers(c, "https://app.example.com", "GET", " ", "GET", collect, &b),
                     CORS_PREFLIGHT_ALLOWED);
    ck_assert_ptr_null(strstr(text(&b), "Allow-Headers"));
    buf_free(&b);
    cors_free(c);

    const char *any[] = {"*"};
    c = policy(any, 1, 0);
    buf_init(&b);
    ck_assert_int_eq(cors_preflight_headers(c, "https://x.example", "DELETE", "authorization", "DELETE, GET", collect, &b),
                     CORS_PREFLIGHT_ALLOWED);
    ck_assert_ptr_nonnull(strstr(text(&b), "Access-Control-Allow-Origin: *\n"));
    ck_assert_ptr_nonnull(strstr(text(&b), "Access-Control-Allow-Headers: authorization\n"));
    ck_assert_ptr_null(strstr(text(&b), "Max-Age"));
    buf_free(&b);
    cors_free(c);
}
END_TEST

START_TEST(denied_preflights_produce_only_vary)
{
    const char *list[] = {"https://app.example.com"};
    cors *c = policy(list, 1, 600);
    const struct {
        const char *origin, *method, *headers, *allowed;
    } cases[] = {
        {"https://other.example.com", "POST", NULL, "POST"},          /* origin not allowed */
        {"https://app.example.com", "PUT", NULL, "GET, POST"},        /* method not accepted by the path */
        {"https://app.example.com", "POS", NULL, "POST"},             /* a prefix is not a method */
        {"https://app.example.com", "POST", "x-a\r\nx-b", "POST"},    /* not a list of header names */
        {"https://app.example.com", "POST", "x-a:1", "POST"},
        {"https://app.example.com", "P O", NULL, "P O"},              /* not a method token */
        {"https://app.example.com", "POST", NULL, NULL},              /* no allowed methods known */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        buf b = BUF_INIT;
        ck_assert_int_eq(cors_preflight_headers(c, cases[i].origin, cases[i].method, cases[i].headers,
                                                cases[i].allowed, collect, &b),
                         CORS_PREFLIGHT_DENIED);
        ck_assert_msg(!strcmp(text(&b), "Vary: Origin, Access-Control-Request-Method, Access-Control-Request-Headers\n"),
                      "case %zu produced %s", i, text(&b));
        buf_free(&b);
    }
    char *huge = malloc(CORS_MAX_REQUEST_HEADERS_BYTES + 2);
    memset(huge, 'a', CORS_MAX_REQUEST_HEADERS_BYTES + 1);
    huge[CORS_MAX_REQUEST_HEADERS_BYTES + 1] = 0;
    buf b = BUF_INIT;
    ck_assert_int_eq(cors_preflight_headers(c, "https://app.example.com", "POST", huge, "POST", collect, &b),
                     CORS_PREFLIGHT_DENIED);
    buf_free(&b);
    free(huge);
    cors_free(c);
}
END_TEST

START_TEST(actual_responses_carry_origin_expose_and_vary)
{
    const char *list[] = {"https://app.example.com"};
    cors *c = policy(list, 1, 600);
    buf b = BUF_INIT;
    cors_response_headers(c, "https://app.example.com", "Grpc-Metadata-X-Trace, Allow", collect, &b);
    ck_assert_str_eq(text(&b), "Vary: Origin\nAccess-Control-Allow-Origin: https://app.example.com\n"
                               "Access-Control-Expose-Headers: Grpc-Metadata-X-Trace, Allow\n");
    buf_reset(&b);
    cors_response_headers(c, "https://app.example.com", "", collect, &b);
    ck_assert_str_eq(text(&b), "Vary: Origin\nAccess-Control-Allow-Origin: https://app.example.com\n");
    buf_reset(&b);
    cors_response_headers(c, "https://evil.example.com", "X", collect, &b);
    ck_assert_str_eq(text(&b), "Vary: Origin\n");
    buf_reset(&b);
    cors_response_headers(c, NULL, "X", collect, &b);   /* same-origin or not a browser: still Vary */
    ck_assert_str_eq(text(&b), "Vary: Origin\n");
    buf_free(&b);
    cors_free(c);

    const char *any[] = {"*"};
    c = policy(any, 1, 600);
    buf_init(&b);
    cors_response_headers(c, "https://x.example", NULL, collect, &b);
    ck_assert_str_eq(text(&b), "Access-Control-Allow-Origin: *\n");
    buf_reset(&b);
    cors_response_headers(c, NULL, NULL, collect, &b);
    ck_assert_uint_eq(b.len, 0);
    buf_free(&b);
    cors_free(c);
}
END_TEST

START_TEST(expose_list_skips_safelisted_and_duplicates)
{
    buf l = BUF_INIT;
    cors_expose_add(&l, "Content-Type");
    cors_expose_add(&l, "content-length");
    ck_assert_uint_eq(l.len, 0);
    cors_expose_add(&l, "Grpc-Metadata-X-Id");
    cors_expose_add(&l, "Allow");
    cors_expose_add(&l, "grpc-metadata-x-id");
    cors_expose_add(&l, "Grpc-Metadata-X");       /* a prefix of a listed name is another name */
    cors_expose_add(&l, "Access-Control-Allow-Origin");
    cors_expose_add(&l, "Vary");
    cors_expose_add(&l, "Bad Name");
    cors_expose_add(&l, "");
    cors_expose_add(&l, NULL);
    cors_expose_add(&l, "Allow");
    ck_assert_str_eq((char *)l.data, "Grpc-Metadata-X-Id, Allow, Grpc-Metadata-X");
    buf_free(&l);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cors");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, configured_origins_are_validated);
    tcase_add_test(tc, disabled_policy_allows_nothing_and_adds_nothing);
    tcase_add_test(tc, origins_match_as_serialized_origins);
    tcase_add_test(tc, preflight_detection);
    tcase_add_test(tc, allowed_preflight_lists_methods_headers_and_max_age);
    tcase_add_test(tc, denied_preflights_produce_only_vary);
    tcase_add_test(tc, actual_responses_carry_origin_expose_and_vary);
    tcase_add_test(tc, expose_list_skips_safelisted_and_duplicates);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
