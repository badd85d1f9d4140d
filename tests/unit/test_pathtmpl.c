/* test_pathtmpl.c: unit tests for src/gateway/pathtmpl (template parsing, matching, decoding). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pathtmpl.h"

static pathtmpl *parse_ok(const char *text)
{
    pathtmpl *t = NULL;
    gw_err *e = pathtmpl_parse(text, &t);
    if (e) ck_abort_msg("parse '%s' failed: %s", text, e->message);
    ck_assert_ptr_nonnull(t);
    ck_assert_str_eq(t->text, text);
    return t;
}

/* Asserts that parsing fails with a message holding `want` (the reason and its position). */
static void parse_fails(const char *text, const char *want)
{
    pathtmpl *t = NULL;
    gw_err *e = pathtmpl_parse(text, &t);
    ck_assert_msg(e != NULL, "parse '%s' should fail", text);
    ck_assert_ptr_null(t);
    ck_assert_int_eq(e->code, GRPC_STATUS_INVALID_ARGUMENT);
    ck_assert_msg(strstr(e->message, want) != NULL, "'%s': message '%s' lacks '%s'", text, e->message, want);
    gw_err_free(e);
}

/* Matches `path` and returns the variables as "name=value;name=value" (or NULL for no match). */
static char *match_str(const pathtmpl *t, const char *path)
{
    static char out[1024];
    buf storage = BUF_INIT;
    pathtmpl_value v[PATHTMPL_MAX_VARS];
    if (!pathtmpl_match(t, path, strlen(path), &storage, v)) {
        buf_free(&storage);
        return NULL;
    }
    out[0] = 0;
    for (size_t i = 0; i < t->n_vars; i++) {
        const char *val = (const char *)storage.data + v[i].offset;
        ck_assert_uint_eq(strlen(val), v[i].len);   /* NUL-terminated at len */
        if (i) strcat(out, ";");
        strcat(out, t->vars[i].field_path);
        strcat(out, "=");
        strcat(out, val);
    }
    buf_free(&storage);
    return out;
}

static void expect_match(const char *tmpl, const char *path, const char *vars)
{
    pathtmpl *t = parse_ok(tmpl);
    char *got = match_str(t, path);
    if (!vars) ck_assert_msg(got == NULL, "%s should not match %s (got '%s')", tmpl, path, got ? got : "");
    else if (!got) ck_abort_msg("%s should match %s", tmpl, path);
    else ck_assert_msg(strcmp(got, vars) == 0, "%s on %s: got '%s', want '%s'", tmpl, path, got, vars);
    pathtmpl_free(t);
}

START_TEST(parses_segments_and_variables)
{
    pathtmpl *t = parse_ok("/v1/{name=shelves/*/books/*}/x/**:list");
    ck_assert_uint_eq(t->n_segs, 7);
    ck_assert_int_eq(t->segs[0].kind, PATHTMPL_LITERAL);
    ck_assert_str_eq(t->segs[0].literal, "v1");
    ck_assert_int_eq(t->segs[1].kind, PATHTMPL_LITERAL);
    ck_assert_int_eq(t->segs[2].kind, PATHTMPL_STAR);
    ck_assert_int_eq(t->segs[6].kind, PATHTMPL_DSTAR);
    ck_assert_uint_eq(t->n_vars, 1);
    ck_assert_str_eq(t->vars[0].field_path, "name");
    ck_assert_uint_eq(t->vars[0].first_seg, 1);
    ck_assert_uint_eq(t->vars[0].n_segs, 4);
    ck_assert(t->vars[0].multi);
    ck_assert_str_eq(t->verb, "list");
    ck_assert_uint_eq(t->verb_len, 4);
    pathtmpl_free(t);

    t = parse_ok("/v1/{book.shelf_id}/{id=*}/{kind=lit}");
    ck_assert_uint_eq(t->n_vars, 3);
    ck_assert_str_eq(t->vars[0].field_path, "book.shelf_id");
    ck_assert(!t->vars[0].multi && !t->vars[1].multi && !t->vars[2].multi);
    ck_assert_int_eq(t->segs[3].kind, PATHTMPL_LITERAL);
    ck_assert_ptr_null(t->verb);
    pathtmpl_free(t);

    t = parse_ok("/");
    ck_assert_uint_eq(t->n_segs, 0);
    pathtmpl_free(t);

    t = parse_ok("/v1/a%2Fb/c:d");   /* ':' in a non-final literal; escapes decoded */
    ck_assert_str_eq(t->segs[1].literal, "a/b");
    ck_assert_str_eq(t->segs[2].literal, "c");
    ck_assert_str_eq(t->verb, "d");
    pathtmpl_free(t);

    t = parse_ok("/v1/a:b/c");
    ck_assert_str_eq(t->segs[1].literal, "a:b");
    ck_assert_ptr_null(t->verb);
    pathtmpl_free(t);

    t = parse_ok("/{path=**}");
    ck_assert(t->vars[0].multi);
    pathtmpl_free(t);
}
END_TEST

START_TEST(rejects_malformed_templates_with_position)
{
    parse_fails("v1/x", "position 1: must start with '/'");
    parse_fails("", "position 1: must start with '/'");
    parse_fails("/v1//x", "position 5: empty segment");
    parse_fails("/v1/x/", "position 6: trailing '/'");
    parse_fails("/v1/{name", "position 10: expected '}'");
    parse_fails("/v1/{}", "position 6: expected a field name");
    parse_fails("/v1/{1x}", "position 6: expected a field name");
    parse_fails("/v1/{a.}", "position 8: expected a field name");
    parse_fails("/v1/{a=}", "position 8: empty segment");
    parse_fails("/v1/{a={b}}", "variables cannot nest");
    parse_fails("/v1/**/x", "position 5: '**' must be the last segment");
    parse_fails("/v1/{a=**}/x", "'**' must be the last segment");
    parse_fails("/v1/***", "a wildcard must be a whole segment");
    parse_fails("/v1/*x", "a wildcard must be a whole segment");
    parse_fails("/v1/x*", "'*' inside a literal");
    parse_fails("/v1/x{a}", "a variable must be a whole segment");
    parse_fails("/v1/{a}x", "a variable must be a whole segment");
    parse_fails("/v1/{a}/{a}", "variable bound twice");
    parse_fails("/v1/x:", "empty verb");
    parse_fails("/v1/x:a%20b", "a verb may only hold");
    parse_fails("/v1/%zz", "'%' must be followed by two hex digits");
    parse_fails("/v1/%2", "'%' must be followed by two hex digits");
    parse_fails("/v1/a b", "character not allowed");
    parse_fails("/v1/a?b", "character not allowed");
    parse_fails("/v1/}", "unbalanced '}'");
    parse_fails("/v1/{a}}", "unbalanced '}'");

    char many[PATHTMPL_MAX_SEGMENTS * 2 + 8] = "";
    for (int i = 0; i <= PATHTMPL_MAX_SEGMENTS; i++) strcat(many, "/a");
    parse_fails(many, "too many segments");
    char vars[512] = "";
    for (int i = 0; i <= PATHTMPL_MAX_VARS; i++) sprintf(vars + strlen(vars), "/{v%d}", i);
    parse_fails(vars, "too many variables");
}
END_TEST

START_TEST(matches_literals_and_wildcards)
{
    expect_match("/v1/shelves", "/v1/shelves", "");
    expect_match("/v1/shelves", "/v1/shelves/", NULL);
    expect_match("/v1/shelves", "/v1/shelve", NULL);
    expect_match("/v1/shelves", "/v1/shelvesx", NULL);
    expect_match("/v1/shelves", "/v1", NULL);
    expect_match("/v1/shelves", "v1/shelves", NULL);
    expect_match("/v1/shelves", "", NULL);
    expect_match("/v1/*", "/v1/abc", "");
    expect_match("/v1/*", "/v1/", NULL);             /* `*` needs a non-empty segment */
    expect_match("/v1/*/x", "/v1//x", NULL);          /* no collapsing of "//" */
    expect_match("/", "/", "");
    expect_match("/", "//", NULL);
    expect_match("/v1/{id}", "/v1/42", "id=42");
    expect_match("/v1/{id}", "/v1/42/43", NULL);
    expect_match("/v1/{book.id}/x", "/v1/7/x", "book.id=7");
    expect_match("/v1/{name=shelves/*}", "/v1/shelves/s1", "name=shelves/s1");
    expect_match("/v1/{name=shelves/*}", "/v1/shelf/s1", NULL);
    expect_match("/v1/{name=shelves/*/books/*}", "/v1/shelves/s1/books/b2", "name=shelves/s1/books/b2");
    expect_match("/v1/{name=shelves/*/books/*}", "/v1/shelves/s1/books", NULL);
    expect_match("/v1/{s}/books/{b}", "/v1/s1/books/b2", "s=s1;b=b2");
}
END_TEST

START_TEST(double_star_matches_zero_or_more_segments)
{
    expect_match("/v1/**", "/v1", "");
    expect_match("/v1/**", "/v1/", "");
    expect_match("/v1/**", "/v1/a/b/c", "");
    expect_match("/v1/{path=**}", "/v1", "path=");
    expect_match("/v1/{path=**}", "/v1/a/b/c", "path=a/b/c");
    expect_match("/v1/{path=**}", "/v1/a//c/", "path=a//c/");
    expect_match("/v1/{path=files/**}", "/v1/files", "path=files");
    expect_match("/v1/{path=files/**}", "/v1/files/a/b", "path=files/a/b");
    expect_match("/v1/{path=files/**}", "/v1/filesx/a", NULL);
    expect_match("/{path=**}", "/", "path=");
    expect_match("/{path=**}", "/x", "path=x");
    expect_match("/v1/{path=**}:get", "/v1/a/b:get", "path=a/b");
}
END_TEST

START_TEST(verbs_split_only_when_the_template_has_one)
{
    expect_match("/v1/{name}:cancel", "/v1/op1:cancel", "name=op1");
    expect_match("/v1/{name}:cancel", "/v1/op1:cancelx", NULL);
    expect_match("/v1/{name}:cancel", "/v1/op1", NULL);
    expect_match("/v1/{name}:cancel", "/v1/a:b", NULL);
    expect_match("/v1/{name}:cancel", "/v1/:cancel", NULL);   /* the segment before the verb is empty */
    expect_match("/v1/{name}:cancel", "/v1/a:b:cancel", "name=a:b");
    expect_match("/v1/{name}:cancel", "/v1/op1%3Acancel", NULL);   /* an escaped ':' is no separator */
    expect_match("/v1/{name}", "/v1/a:b", "name=a:b");
    expect_match("/v1/{name}", "/v1/op1:cancel", "name=op1:cancel");
    expect_match("/v1/ops:run", "/v1/ops:run", "");
    expect_match("/v1/ops:run", "/v1/ops", NULL);
    expect_match("/:run", "/:run", "");
    expect_match("/v1/a:b/{x}", "/v1/a:b/c", "x=c");
}
END_TEST

START_TEST(percent_decoding_single_vs_multi_segment)
{
    /* One segment: fully decoded, %2F included. */
    expect_match("/v1/{name}", "/v1/a%2Fb", "name=a/b");
    expect_match("/v1/{name}", "/v1/a%20b%3F%25", "name=a b?%");
    expect_match("/v1/{name=*}", "/v1/%E2%82%AC", "name=\xe2\x82\xac");
    /* Several segments: %2F and %2f stay as written, everything else decoded. */
    expect_match("/v1/{name=shelves/*}", "/v1/shelves/a%2Fb%20c", "name=shelves/a%2Fb c");
    expect_match("/v1/{name=shelves/*}", "/v1/shelves/a%2fb", "name=shelves/a%2fb");
    expect_match("/v1/{path=**}", "/v1/a%2Fb/c%3Ad", "path=a%2Fb/c:d");
    /* Literals compare decoded on both sides. */
    expect_match("/v1/shelves", "/v1/%73helves", "");
    expect_match("/v1/a%2Fb", "/v1/a%2fb", "");
    expect_match("/v1/a%2Fb", "/v1/a/b", NULL);
    expect_match("/v1/{name=shelves/*}", "/v1/%73helves/x", "name=shelves/x");
    /* Malformed escapes never match. */
    expect_match("/v1/{name}", "/v1/a%2", NULL);
    expect_match("/v1/{name}", "/v1/a%zz", NULL);
    ck_assert(pathtmpl_path_valid("/a%20b%2F", 9));
    ck_assert(!pathtmpl_path_valid("/a%2", 4));
    ck_assert(!pathtmpl_path_valid("/a%g0", 5));
    ck_assert(!pathtmpl_path_valid("/%", 2));
}
END_TEST

START_TEST(segment_compare_orders_decoded_bytes)
{
    ck_assert_int_eq(pathtmpl_segment_cmp("abc", 3, "abc", 3), 0);
    ck_assert_int_eq(pathtmpl_segment_cmp("a%62c", 5, "abc", 3), 0);
    ck_assert_int_lt(pathtmpl_segment_cmp("ab", 2, "abc", 3), 0);
    ck_assert_int_gt(pathtmpl_segment_cmp("abcd", 4, "abc", 3), 0);
    ck_assert_int_gt(pathtmpl_segment_cmp("%FF", 3, "a", 1), 0);
    ck_assert_int_lt(pathtmpl_segment_cmp("", 0, "a", 1), 0);
    ck_assert_int_eq(pathtmpl_segment_cmp("%00", 3, "\0", 1), 0);
}
END_TEST

START_TEST(same_shape_ignores_variable_names)
{
    pathtmpl *a = parse_ok("/v1/{a}/x/{b=**}");
    pathtmpl *b = parse_ok("/v1/*/x/**");
    pathtmpl *c = parse_ok("/v1/*/y/**");
    pathtmpl *d = parse_ok("/v1/*/x/**:v");
    ck_assert(pathtmpl_same_shape(a, b));
    ck_assert(!pathtmpl_same_shape(a, c));
    ck_assert(!pathtmpl_same_shape(a, d));
    pathtmpl_free(a);
    pathtmpl_free(b);
    pathtmpl_free(c);
    pathtmpl_free(d);
}
END_TEST

START_TEST(values_reserve_storage_once)
{
    pathtmpl *t = parse_ok("/v1/{a}/{b}/{c=**}");
    buf storage = BUF_INIT;
    pathtmpl_value v[PATHTMPL_MAX_VARS];
    const char *path = "/v1/x%20y/zz/p/q/r";
    ck_assert(pathtmpl_match(t, path, strlen(path), &storage, v));
    const uint8_t *data = storage.data;
    ck_assert_uint_le(storage.len, strlen(path) + t->n_vars);
    ck_assert_str_eq((char *)data + v[0].offset, "x y");
    ck_assert_str_eq((char *)data + v[1].offset, "zz");
    ck_assert_str_eq((char *)data + v[2].offset, "p/q/r");
    /* Matching without values allocates nothing. */
    buf none = BUF_INIT;
    ck_assert(pathtmpl_match(t, path, strlen(path), &none, NULL));
    ck_assert_ptr_null(none.data);
    buf_free(&storage);
    pathtmpl_free(t);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pathtmpl");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, parses_segments_and_variables);
    tcase_add_test(tc, rejects_malformed_templates_with_position);
    tcase_add_test(tc, matches_literals_and_wildcards);
    tcase_add_test(tc, double_star_matches_zero_or_more_segments);
    tcase_add_test(tc, verbs_split_only_when_the_template_has_one);
    tcase_add_test(tc, percent_decoding_single_vs_multi_segment);
    tcase_add_test(tc, segment_compare_orders_decoded_bytes);
    tcase_add_test(tc, same_shape_ignores_variable_names);
    tcase_add_test(tc, values_reserve_storage_once);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
