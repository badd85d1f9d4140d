/* test_jsonsplit.c: unit tests for src/gateway/jsonsplit: value boundaries in JSON streams, limits,
 * errors, and identical results for every way of cutting the stream. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonsplit.h"

/* The outcome of feeding a stream: the values, joined by '|', then "!" and the error message if one
 * occurred, or "." when the stream ended cleanly. */
typedef struct outcome {
    buf text;
    bool failed;
} outcome;

static void record_value(outcome *o, const jsonsplit *s)
{
    if (o->text.len) buf_append_byte(&o->text, '|');
    buf_append(&o->text, s->value.data ? (const void *)s->value.data : (const void *)"", s->value.len);
}

static void record_error(outcome *o, gw_err *e)
{
    buf_printf(&o->text, "!%d:%s", (int)e->code, e->message);
    o->failed = true;
    gw_err_free(e);
}

/* Feeds one chunk, handing back what each call leaves unconsumed (as a caller applying back-pressure
 * would). */
static void feed(jsonsplit *s, outcome *o, const char *data, size_t len)
{
    while (!o->failed) {
        size_t used = 0;
        gw_err *e = NULL;
        enum jsonsplit_result r = jsonsplit_next(s, data, len, &used, &e);
        ck_assert_uint_le(used, len);
        data += used;
        len -= used;
        if (r == JSONSPLIT_ERROR) {
            ck_assert_ptr_nonnull(e);
            record_error(o, e);
            return;
        }
        ck_assert_ptr_null(e);
        if (r == JSONSPLIT_NEED_MORE) {
            ck_assert_uint_eq(len, 0);
            return;
        }
        record_value(o, s);
    }
}

static void finish(jsonsplit *s, outcome *o)
{
    if (o->failed) return;
    gw_err *e = NULL;
    enum jsonsplit_result r = jsonsplit_finish(s, &e);
    if (r == JSONSPLIT_VALUE) {
        record_value(o, s);
        r = jsonsplit_finish(s, &e);   /* a second finish finds nothing pending */
        ck_assert_int_eq(r, JSONSPLIT_NEED_MORE);
    }
    if (r == JSONSPLIT_ERROR) record_error(o, e);
    else buf_append_str(&o->text, ".");
}

/* Feeds data cut at the given positions (sorted, each in 0..len). Returns a malloc'd outcome string. */
static char *run_cuts(const char *data, size_t len, const size_t *cuts, size_t n_cuts, size_t max_bytes, int max_depth)
{
    jsonsplit s;
    jsonsplit_init(&s, max_bytes);
    if (max_depth) s.max_depth = max_depth;
    outcome o = {BUF_INIT, false};
    size_t at = 0;
    for (size_t i = 0; i <= n_cuts; i++) {
        size_t to = i < n_cuts ? cuts[i] : len;
        feed(&s, &o, data + at, to - at);
        at = to;
    }
    finish(&s, &o);
    jsonsplit_free(&s);
    buf_append_byte(&o.text, 0);
    return (char *)buf_steal(&o.text, NULL);
}

/* The outcome of one contiguous feed, after checking that every single cut, every pair of cuts in
 * short streams, and a byte-at-a-time feed give the same outcome. */
static char *split_everywhere(const char *data, size_t len, size_t max_bytes, int max_depth)
{
    char *whole = run_cuts(data, len, NULL, 0, max_bytes, max_depth);
    for (size_t k = 0; k <= len; k++) {
        char *got = run_cuts(data, len, &k, 1, max_bytes, max_depth);
        ck_assert_msg(strcmp(got, whole) == 0, "cut at %zu: '%s' vs whole '%s'", k, got, whole);
        free(got);
    }
    if (len <= 64) {
        for (size_t a = 0; a <= len; a++)
            for (size_t b = a; b <= len; b++) {
                size_t cuts[2] = {a, b};
                char *got = run_cuts(data, len, cuts, 2, max_bytes, max_depth);
                ck_assert_msg(strcmp(got, whole) == 0, "cuts at %zu,%zu: '%s' vs '%s'", a, b, got, whole);
                free(got);
            }
    }
    size_t *bytes = malloc((len + 1) * sizeof *bytes);
    for (size_t i = 0; i < len; i++) bytes[i] = i;
    char *got = run_cuts(data, len, bytes, len, max_bytes, max_depth);
    ck_assert_msg(strcmp(got, whole) == 0, "byte at a time: '%s' vs '%s'", got, whole);
    free(got);
    free(bytes);
    return whole;
}

static void expect(const char *data, const char *want)
{
    char *got = split_everywhere(data, strlen(data), 0, 0);
    ck_assert_msg(strcmp(got, want) == 0, "stream '%s': got '%s', want '%s'", data, got, want);
    free(got);
}

START_TEST(delimits_objects_ndjson_and_concatenated)
{
    expect("", ".");
    expect("  \n\t\r ", ".");
    expect("{\"a\":1}", "{\"a\":1}.");
    expect("{\"a\":1}\n{\"b\":2}\n", "{\"a\":1}|{\"b\":2}.");
    expect("{\"a\":1}{\"b\":2}", "{\"a\":1}|{\"b\":2}.");
    expect("  {\"a\": [1, {\"b\": []}]}  {}\r\n[]", "{\"a\": [1, {\"b\": []}]}|{}|[].");
    expect("{\"a\":{\"b\":{\"c\":{}}}}[[[]]]", "{\"a\":{\"b\":{\"c\":{}}}}|[[[]]].");
}
END_TEST

START_TEST(delimits_scalars_and_strings)
{
    expect("1 2\n3", "1|2|3.");
    expect("-2.5e3 true false null", "-2.5e3|true|false|null.");
    expect("\"a\"\"b\"", "\"a\"|\"b\".");
    expect("1\"x\"{}[]2", "1|\"x\"|{}|[]|2.");
    expect("12{\"a\":1}", "12|{\"a\":1}.");
    expect("truefalse", "truefalse.");   /* not JSON, left for the parser */
    expect("\"\"", "\"\".");
}
END_TEST

START_TEST(strings_hide_brackets_quotes_and_backslashes)
{
    expect("{\"a\":\"}\"}{\"b\":\"{[\"}", "{\"a\":\"}\"}|{\"b\":\"{[\"}.");
    expect("{\"q\":\"say \\\"hi\\\"\"}{}", "{\"q\":\"say \\\"hi\\\"\"}|{}.");
    expect("[\"\\\\\"][\"\\\\\\\"]\"]", "[\"\\\\\"]|[\"\\\\\\\"]\"].");
    expect("\"a\\\"b\" \"c\\\\\"", "\"a\\\"b\"|\"c\\\\\".");
    /* Multi-byte UTF-8 (2, 3 and 4 bytes) and a \u escape, cut anywhere. */
    expect("{\"n\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"}\n\"\\u00e9\xc3\xa9\"",
           "{\"n\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"}|\"\\u00e9\xc3\xa9\".");
    expect("{\"a\":\"x\ny\"}", "{\"a\":\"x\ny\"}.");   /* raw newline inside a string: the parser's call */
}
END_TEST

START_TEST(stray_closers_and_separators_name_the_value)
{
    expect("{}}", "{}!3:unexpected '}' where value 1 should start");
    expect("]", "!3:unexpected ']' where value 0 should start");
    expect("{\"a\":1},{\"b\":2}", "{\"a\":1}!3:unexpected ',' where value 1 should start");
    expect("1 2 3]", "1|2|3!3:unexpected ']' where value 3 should start");
    expect("\"k\":1", "\"k\"!3:unexpected ':' where value 1 should start");
    /* Brackets are counted, not paired: the parser reports the mismatch. */
    expect("{]", "{].");
}
END_TEST

START_TEST(truncated_values_are_reported_at_finish)
{
    expect("{\"a\":1}\n{\"b\":", "{\"a\":1}!3:value 1 is incomplete at end of body");
    expect("{} [] \"abc", "{}|[]!3:value 2 is incomplete at end of body");
    expect("[\"\\", "!3:value 0 is incomplete at end of body");
    expect("{} 42", "{}|42.");   /* a scalar completes at the end */
}
END_TEST

START_TEST(depth_is_limited)
{
    char deep[JSONSPLIT_DEFAULT_MAX_DEPTH + 2];
    memset(deep, '[', JSONSPLIT_DEFAULT_MAX_DEPTH + 1);
    deep[JSONSPLIT_DEFAULT_MAX_DEPTH + 1] = 0;
    char *got = run_cuts(deep, strlen(deep), NULL, 0, 0, 0);
    char want[128];
    snprintf(want, sizeof want, "!3:value 0 nests deeper than %d levels", JSONSPLIT_DEFAULT_MAX_DEPTH);
    ck_assert_str_eq(got, want);
    free(got);
    /* Exactly the limit is fine. */
    buf ok = BUF_INIT;
    for (int i = 0; i < JSONSPLIT_DEFAULT_MAX_DEPTH; i++) buf_append_byte(&ok, '[');
    for (int i = 0; i < JSONSPLIT_DEFAULT_MAX_DEPTH; i++) buf_append_byte(&ok, ']');
    got = run_cuts((char *)ok.data, ok.len, NULL, 0, 0, 0);
    ck_assert_uint_eq(strlen(got), ok.len + 1);
    free(got);
    buf_free(&ok);
    /* A custom limit; brackets inside strings do not count. */
    const char *nested = "[[\"[[[[\"]] [[[]]]";
    got = split_everywhere(nested, strlen(nested), 0, 2);
    ck_assert_str_eq(got, "[[\"[[[[\"]]!3:value 1 nests deeper than 2 levels");
    free(got);
}
END_TEST

START_TEST(value_size_is_limited)
{
    char *got = split_everywhere("{\"a\":1} {\"ab\":12}", 17, 8, 0);
    ck_assert_str_eq(got, "{\"a\":1}!8:value 1 is larger than 8 bytes");
    free(got);
    got = split_everywhere("12345678 123456789", 18, 8, 0);   /* whitespace does not count */
    ck_assert_str_eq(got, "12345678!8:value 1 is larger than 8 bytes");
    free(got);
    got = split_everywhere("\"123456\"   \"1234567\"", 20, 8, 0);
    ck_assert_str_eq(got, "\"123456\"!8:value 1 is larger than 8 bytes");
    free(got);
    /* max_depth 0 or less means the default. */
    got = run_cuts("[[1]]", 5, NULL, 0, 0, -1);
    ck_assert_str_eq(got, "[[1]].");
    free(got);
    jsonsplit s;
    jsonsplit_init(&s, 0);
    ck_assert_uint_eq(s.max_value_bytes, JSONSPLIT_DEFAULT_MAX_VALUE_BYTES);
    ck_assert_int_eq(s.max_depth, JSONSPLIT_DEFAULT_MAX_DEPTH);
    jsonsplit_free(&s);
}
END_TEST

START_TEST(errors_are_sticky_and_values_valid_until_next_call)
{
    jsonsplit s;
    jsonsplit_init(&s, 0);
    size_t used;
    gw_err *e = NULL;
    const char *in = "{\"a\":1}  {\"b\":2}";
    ck_assert_int_eq(jsonsplit_next(&s, in, strlen(in), &used, &e), JSONSPLIT_VALUE);
    ck_assert_uint_eq(used, 7);
    ck_assert_uint_eq(s.value.len, 7);
    ck_assert_str_eq((char *)s.value.data, "{\"a\":1}");   /* NUL-terminated */
    ck_assert_uint_eq(s.index, 1);
    ck_assert_int_eq(jsonsplit_next(&s, in + used, strlen(in) - used, &used, &e), JSONSPLIT_VALUE);
    ck_assert_uint_eq(used, 9);
    ck_assert_str_eq((char *)s.value.data, "{\"b\":2}");
    ck_assert_int_eq(jsonsplit_next(&s, "", 0, &used, &e), JSONSPLIT_NEED_MORE);
    ck_assert_uint_eq(s.value.len, 0);
    ck_assert_int_eq(jsonsplit_next(&s, "]", 1, &used, &e), JSONSPLIT_ERROR);
    ck_assert_ptr_nonnull(e);
    gw_err_free(e);
    e = NULL;
    ck_assert_int_eq(jsonsplit_next(&s, "{}", 2, &used, &e), JSONSPLIT_ERROR);
    ck_assert_ptr_nonnull(e);
    ck_assert(strstr(e->message, "already failed") != NULL);
    gw_err_free(e);
    e = NULL;
    ck_assert_int_eq(jsonsplit_finish(&s, &e), JSONSPLIT_ERROR);
    ck_assert_ptr_nonnull(e);
    gw_err_free(e);
    jsonsplit_free(&s);
}
END_TEST

/* A long stream of mixed values, cut at every point and fed byte by byte. */
START_TEST(long_mixed_stream_is_split_invariant)
{
    buf in = BUF_INIT, want = BUF_INIT;
    static const char *const values[] = {
        "{\"name\":\"a\\\"}b\",\"n\":[1,2,{\"x\":null}]}", "\"str\\\\\"", "-0.5e-3", "true", "[]", "{}",
        "\"\xe2\x82\xac\"", "[\"]\",\"[\"]", "null", "{\"k\":\"\\u0041\"}",
    };
    for (int i = 0; i < 40; i++) {
        const char *v = values[i % 10];
        buf_append_str(&in, v);
        buf_append_str(&in, i % 3 == 0 ? "\n" : i % 3 == 1 ? " \r\n\t" : (i % 10 == 2 || i % 10 == 3 || i % 10 == 8) ? " " : "");
        if (want.len) buf_append_byte(&want, '|');
        buf_append_str(&want, v);
    }
    buf_append_byte(&want, '.');
    char *got = split_everywhere((char *)in.data, in.len, 0, 0);
    ck_assert_str_eq(got, (char *)want.data);
    free(got);
    buf_free(&in);
    buf_free(&want);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("jsonsplit");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, delimits_objects_ndjson_and_concatenated);
    tcase_add_test(tc, delimits_scalars_and_strings);
    tcase_add_test(tc, strings_hide_brackets_quotes_and_backslashes);
    tcase_add_test(tc, stray_closers_and_separators_name_the_value);
    tcase_add_test(tc, truncated_values_are_reported_at_finish);
    tcase_add_test(tc, depth_is_limited);
    tcase_add_test(tc, value_size_is_limited);
    tcase_add_test(tc, errors_are_sticky_and_values_valid_until_next_call);
    tcase_add_test(tc, long_mixed_stream_is_split_invariant);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
