/* test_httprule.c: unit tests for src/gateway/httprule (decoding google.api.HttpRule bytes). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "google/api/http.pb-c.h"
#include "httprule.h"

/* Packs a rule with protobuf-c and decodes it with httprule_decode. */
static gw_err *decode_rule(const Google__Api__HttpRule *rule, httprule *out)
{
    size_t n = google__api__http_rule__get_packed_size(rule);
    uint8_t *p = malloc(n ? n : 1);
    google__api__http_rule__pack(rule, p);
    gw_err *e = httprule_decode(p, n, out);
    free(p);   /* the decoded rule must not point into the input */
    return e;
}

static void expect_binding(const httprule_binding *b, const char *method, const char *pattern, const char *body,
                           const char *response_body)
{
    ck_assert_str_eq(b->http_method, method);
    ck_assert_str_eq(b->pattern, pattern);
    if (body) ck_assert_str_eq(b->body, body);
    else ck_assert_ptr_null(b->body);
    if (response_body) ck_assert_str_eq(b->response_body, response_body);
    else ck_assert_ptr_null(b->response_body);
}

START_TEST(decodes_each_method_kind)
{
    static const struct {
        Google__Api__HttpRule__PatternCase pc;
        const char *method;
    } kinds[] = {
        {GOOGLE__API__HTTP_RULE__PATTERN_GET, "GET"},       {GOOGLE__API__HTTP_RULE__PATTERN_PUT, "PUT"},
        {GOOGLE__API__HTTP_RULE__PATTERN_POST, "POST"},     {GOOGLE__API__HTTP_RULE__PATTERN_DELETE, "DELETE"},
        {GOOGLE__API__HTTP_RULE__PATTERN_PATCH, "PATCH"},
    };
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        Google__Api__HttpRule rule = GOOGLE__API__HTTP_RULE__INIT;
        rule.pattern_case = kinds[i].pc;
        switch (kinds[i].pc) {
        case GOOGLE__API__HTTP_RULE__PATTERN_GET: rule.get = "/v1/x"; break;
        case GOOGLE__API__HTTP_RULE__PATTERN_PUT: rule.put = "/v1/x"; break;
        case GOOGLE__API__HTTP_RULE__PATTERN_POST: rule.post = "/v1/x"; break;
        case GOOGLE__API__HTTP_RULE__PATTERN_DELETE: rule.delete_ = "/v1/x"; break;
        default: rule.patch = "/v1/x"; break;
        }
        httprule r;
        gw_err *e = decode_rule(&rule, &r);
        ck_assert_msg(e == NULL, "%s", e ? e->message : "");
        ck_assert_uint_eq(r.n_bindings, 1);
        expect_binding(&r.bindings[0], kinds[i].method, "/v1/x", NULL, NULL);
        httprule_free(&r);
    }
}
END_TEST

START_TEST(decodes_custom_body_response_body_and_additional_bindings)
{
    Google__Api__CustomHttpPattern custom = GOOGLE__API__CUSTOM_HTTP_PATTERN__INIT;
    custom.kind = "HEAD";
    custom.path = "/v1/{name=shelves/*}";
    Google__Api__HttpRule add1 = GOOGLE__API__HTTP_RULE__INIT, add2 = GOOGLE__API__HTTP_RULE__INIT;
    add1.pattern_case = GOOGLE__API__HTTP_RULE__PATTERN_CUSTOM;
    add1.custom = &custom;
    add2.pattern_case = GOOGLE__API__HTTP_RULE__PATTERN_POST;
    add2.post = "/v1/shelves:batch";
    add2.body = "shelf";
    Google__Api__HttpRule *adds[] = {&add1, &add2};
    Google__Api__HttpRule rule = GOOGLE__API__HTTP_RULE__INIT;
    rule.selector = "ignored.Selector";
    rule.pattern_case = GOOGLE__API__HTTP_RULE__PATTERN_PATCH;
    rule.patch = "/v1/{shelf.name=shelves/*}";
    rule.body = "*";
    rule.response_body = "shelf";
    rule.n_additional_bindings = 2;
    rule.additional_bindings = adds;
    httprule r;
    gw_err *e = decode_rule(&rule, &r);
    ck_assert_msg(e == NULL, "%s", e ? e->message : "");
    ck_assert_uint_eq(r.n_bindings, 3);
    expect_binding(&r.bindings[0], "PATCH", "/v1/{shelf.name=shelves/*}", "*", "shelf");
    expect_binding(&r.bindings[1], "HEAD", "/v1/{name=shelves/*}", NULL, NULL);
    expect_binding(&r.bindings[2], "POST", "/v1/shelves:batch", "shelf", NULL);
    httprule_free(&r);
    httprule_free(&r);   /* safe twice: the first call empties it */
}
END_TEST

static void expect_error(const Google__Api__HttpRule *rule, const char *want)
{
    httprule r;
    gw_err *e = decode_rule(rule, &r);
    ck_assert_msg(e != NULL, "expected an error with '%s'", want);
    ck_assert_int_eq(e->code, GRPC_STATUS_INVALID_ARGUMENT);
    ck_assert_msg(strstr(e->message, want) != NULL, "message '%s' lacks '%s'", e->message, want);
    ck_assert_uint_eq(r.n_bindings, 0);
    ck_assert_ptr_null(r.bindings);
    gw_err_free(e);
}

START_TEST(rejects_invalid_rules)
{
    Google__Api__HttpRule rule = GOOGLE__API__HTTP_RULE__INIT;
    rule.body = "*";
    expect_error(&rule, "no HTTP method and path");

    rule.pattern_case = GOOGLE__API__HTTP_RULE__PATTERN_GET;
    rule.get = "";
    expect_error(&rule, "GET with an empty path");

    Google__Api__CustomHttpPattern custom = GOOGLE__API__CUSTOM_HTTP_PATTERN__INIT;
    custom.kind = "BAD KIND";
    custom.path = "/x";
    rule.pattern_case = GOOGLE__API__HTTP_RULE__PATTERN_CUSTOM;
    rule.custom = &custom;
    expect_error(&rule, "custom kind 'BAD KIND' is not an HTTP method name");
    custom.kind = "";
    expect_error(&rule, "custom kind '' is not");

    /* Nested additional_bindings. */
    Google__Api__HttpRule inner = GOOGLE__API__HTTP_RULE__INIT, outer = GOOGLE__API__HTTP_RULE__INIT;
    inner.pattern_case = GOOGLE__API__HTTP_RULE__PATTERN_GET;
    inner.get = "/inner";
    Google__Api__HttpRule *inners[] = {&inner};
    outer.pattern_case = GOOGLE__API__HTTP_RULE__PATTERN_GET;
    outer.get = "/outer";
    outer.n_additional_bindings = 1;
    outer.additional_bindings = inners;
    Google__Api__HttpRule *outers[] = {&outer};
    Google__Api__HttpRule top = GOOGLE__API__HTTP_RULE__INIT;
    top.pattern_case = GOOGLE__API__HTTP_RULE__PATTERN_GET;
    top.get = "/top";
    top.n_additional_bindings = 1;
    top.additional_bindings = outers;
    expect_error(&top, "additional_bindings[0]: an additional binding cannot have additional_bindings");

    /* An additional binding without a pattern names its index. */
    Google__Api__HttpRule empty = GOOGLE__API__HTTP_RULE__INIT;
    Google__Api__HttpRule *two[] = {&inner, &empty};
    top.n_additional_bindings = 2;
    top.additional_bindings = two;
    expect_error(&top, "additional_bindings[1]: no HTTP method and path");
}
END_TEST

START_TEST(rejects_bytes_that_are_no_rule)
{
    httprule r;
    static const uint8_t garbage[] = {0x12, 0x7f, 'a'};   /* field 2 claims 127 bytes, has 1 */
    gw_err *e = httprule_decode(garbage, sizeof garbage, &r);
    ck_assert_ptr_nonnull(e);
    ck_assert(strstr(e->message, "not a valid HttpRule") != NULL);
    gw_err_free(e);
    /* Empty bytes decode to a rule without a pattern. */
    e = httprule_decode((const uint8_t *)"", 0, &r);
    ck_assert_ptr_nonnull(e);
    ck_assert(strstr(e->message, "no HTTP method and path") != NULL);
    gw_err_free(e);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("httprule");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, decodes_each_method_kind);
    tcase_add_test(tc, decodes_custom_body_response_body_and_additional_bindings);
    tcase_add_test(tc, rejects_invalid_rules);
    tcase_add_test(tc, rejects_bytes_that_are_no_rule);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
