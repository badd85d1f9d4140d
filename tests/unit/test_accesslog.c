/* test_accesslog.c: unit tests for src/gateway/accesslog: the text and JSON lines, quoting of
 * hostile request fields, truncation, and whole lines under concurrent writers. */
#include <check.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "accesslog.h"

/* 2026-11-26T01:41:27.123Z */
#define T_SEC 1795657287
#define T_NSEC 123456789L

static access_record sample(void)
{
    access_record r = {
        .time = {T_SEC, T_NSEC},
        .peer = "127.0.0.1",
        .method = "POST",
        .target = "/v1/hello?lang=en",
        .http_status = 200,
        .grpc_code = 0,
        .duration_us = 1234,
        .bytes_in = 14,
        .bytes_out = 23,
    };
    return r;
}

static char *line_of(enum accesslog_format f, const access_record *r)
{
    buf b = BUF_INIT;
    accesslog_format(f, r, &b);
    if (!b.data) return strdup("");
    return (char *)buf_steal(&b, NULL);
}

/* No byte outside printable ASCII, except the one final newline. */
static void assert_clean_line(const char *line)
{
    size_t n = strlen(line);
    ck_assert_msg(n > 0 && line[n - 1] == '\n', "line does not end in a newline: %s", line);
    for (size_t i = 0; i + 1 < n; i++)
        ck_assert_msg((unsigned char)line[i] >= 0x20 && (unsigned char)line[i] < 0x7f, "raw byte 0x%02x at %zu in %s",
                      (unsigned char)line[i], i, line);
}

/* No control character (a JSON line keeps valid UTF-8 as it is), except the one final newline. */
static void assert_no_controls(const char *line)
{
    size_t n = strlen(line);
    ck_assert_msg(n > 0 && line[n - 1] == '\n', "line does not end in a newline: %s", line);
    for (size_t i = 0; i + 1 < n; i++)
        ck_assert_msg((unsigned char)line[i] >= 0x20, "control byte 0x%02x at %zu in %s", (unsigned char)line[i], i, line);
}

static json_t *parse_json_line(const char *line)
{
    json_error_t err;
    json_t *j = json_loads(line, JSON_REJECT_DUPLICATES, &err);
    ck_assert_msg(j != NULL, "not JSON (%s): %s", err.text, line);
    ck_assert(json_is_object(j));
    return j;
}

START_TEST(formats_are_parsed_by_name)
{
    enum accesslog_format f = ACCESSLOG_JSON;
    ck_assert(accesslog_parse_format("off", &f));
    ck_assert_int_eq(f, ACCESSLOG_OFF);
    ck_assert(accesslog_parse_format("text", &f));
    ck_assert_int_eq(f, ACCESSLOG_TEXT);
    ck_assert(accesslog_parse_format("json", &f));
    ck_assert_int_eq(f, ACCESSLOG_JSON);
    ck_assert(!accesslog_parse_format("JSON", &f));
    ck_assert(!accesslog_parse_format("", &f));
    ck_assert(!accesslog_parse_format("xml", &f));
    ck_assert(!accesslog_parse_format(NULL, &f));
    ck_assert_int_eq(f, ACCESSLOG_JSON);
}
END_TEST

START_TEST(text_line_has_every_field_in_order)
{
    access_record r = sample();
    char *l = line_of(ACCESSLOG_TEXT, &r);
    ck_assert_str_eq(l, "2026-11-26T01:41:27.123Z 127.0.0.1 POST /v1/hello?lang=en 200 OK 1.234 14 23\n");
    free(l);

    r.peer = NULL;
    r.grpc_code = ACCESSLOG_NO_CALL;
    r.http_status = 404;
    r.duration_us = 7;
    r.bytes_in = 0;
    r.bytes_out = 61;
    r.time.tv_nsec = 999999999L;
    l = line_of(ACCESSLOG_TEXT, &r);
    ck_assert_str_eq(l, "2026-11-26T01:41:27.999Z - POST /v1/hello?lang=en 404 - 0.007 0 61\n");
    free(l);

    r.grpc_code = 14;
    r.duration_us = 12345678;
    l = line_of(ACCESSLOG_TEXT, &r);
    ck_assert_str_eq(l, "2026-11-26T01:41:27.999Z - POST /v1/hello?lang=en 404 UNAVAILABLE 12345.678 0 61\n");
    free(l);
}
END_TEST

START_TEST(text_fields_are_quoted_and_escaped)
{
    access_record r = sample();
    r.target = "/v1/a b\"c\\d\r\n\x1b[31m\xc3\xa9\x7f";
    r.method = "";
    char *l = line_of(ACCESSLOG_TEXT, &r);
    assert_clean_line(l);
    ck_assert_str_eq(l, "2026-11-26T01:41:27.123Z 127.0.0.1 \"\" \"/v1/a b\\\"c\\\\d\\x0d\\x0a\\x1b[31m\\xc3\\xa9\\x7f\" "
                        "200 OK 1.234 14 23\n");
    free(l);

    /* Every single byte value in a target stays out of the line raw. */
    char target[256];
    for (int c = 1; c < 256; c++) target[c - 1] = (char)c;
    target[255] = 0;
    r.target = target;
    l = line_of(ACCESSLOG_TEXT, &r);
    assert_clean_line(l);
    free(l);
}
END_TEST

START_TEST(long_fields_are_cut)
{
    char *longt = malloc(ACCESSLOG_MAX_TARGET_BYTES * 3);
    memset(longt, 'a', ACCESSLOG_MAX_TARGET_BYTES * 3 - 1);
    longt[0] = '/';
    longt[ACCESSLOG_MAX_TARGET_BYTES * 3 - 1] = 0;
    access_record r = sample();
    r.target = longt;
    char *l = line_of(ACCESSLOG_TEXT, &r);
    const char *field = strchr(strchr(strchr(l, ' ') + 1, ' ') + 1, ' ') + 1;
    size_t len = (size_t)(strchr(field, ' ') - field);
    ck_assert_uint_eq(len, ACCESSLOG_MAX_TARGET_BYTES + 3);
    ck_assert(!strncmp(field + ACCESSLOG_MAX_TARGET_BYTES, "...", 3));
    free(l);

    l = line_of(ACCESSLOG_JSON, &r);
    json_t *j = parse_json_line(l);
    ck_assert_uint_eq(strlen(json_string_value(json_object_get(j, "target"))), ACCESSLOG_MAX_TARGET_BYTES + 3);
    json_decref(j);
    free(l);
    free(longt);
}
END_TEST

START_TEST(json_line_is_one_object_with_typed_fields)
{
    access_record r = sample();
    char *l = line_of(ACCESSLOG_JSON, &r);
    ck_assert_str_eq(l, "{\"time\":\"2026-11-26T01:41:27.123Z\",\"peer\":\"127.0.0.1\",\"method\":\"POST\","
                        "\"target\":\"/v1/hello?lang=en\",\"status\":200,\"grpc_code\":\"OK\",\"duration_ms\":1.234,"
                        "\"bytes_in\":14,\"bytes_out\":23}\n");
    free(l);

    r.peer = NULL;
    r.grpc_code = ACCESSLOG_NO_CALL;
    r.target = "/v1/x\n\"y\"\\\x01\xc3\xa9";
    l = line_of(ACCESSLOG_JSON, &r);
    assert_no_controls(l);
    json_t *j = parse_json_line(l);
    ck_assert(json_is_null(json_object_get(j, "peer")));
    ck_assert(json_is_null(json_object_get(j, "grpc_code")));
    ck_assert_str_eq(json_string_value(json_object_get(j, "target")), "/v1/x\n\"y\"\\\x01\xc3\xa9");
    ck_assert_int_eq(json_integer_value(json_object_get(j, "status")), 200);
    ck_assert(json_is_real(json_object_get(j, "duration_ms")));
    ck_assert_int_eq(json_integer_value(json_object_get(j, "bytes_out")), 23);
    json_decref(j);
    free(l);

    /* Invalid UTF-8 from the request becomes U+FFFD, so the line stays valid JSON. */
    r.target = "/v1/\xff\xfe";
    l = line_of(ACCESSLOG_JSON, &r);
    j = parse_json_line(l);
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(j, "target")), "\xef\xbf\xbd"));
    json_decref(j);
    free(l);
}
END_TEST

START_TEST(off_writes_nothing)
{
    access_record r = sample();
    char *l = line_of(ACCESSLOG_OFF, &r);
    ck_assert_str_eq(l, "");
    free(l);
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    ck_assert(accesslog_write(p[1], ACCESSLOG_OFF, &r));
    close(p[1]);
    char c;
    ck_assert_int_eq(read(p[0], &c, 1), 0);
    close(p[0]);
}
END_TEST

START_TEST(write_failure_is_reported_not_fatal)
{
    access_record r = sample();
    ck_assert(!accesslog_write(-1, ACCESSLOG_TEXT, &r));
}
END_TEST

#define WRITERS 8
#define LINES_EACH 300

typedef struct writer_arg {
    int fd;
    int id;
} writer_arg;

static void *writer(void *arg)
{
    writer_arg *w = arg;
    char target[1500];
    for (int i = 0; i < LINES_EACH; i++) {
        /* Lines of different lengths, up to ~1.6 KiB. */
        int n = snprintf(target, sizeof target, "/w%d/%d/", w->id, i);
        memset(target + n, 'x', (size_t)((i * 37) % 1400));
        target[n + (i * 37) % 1400] = 0;
        access_record r = sample();
        r.target = target;
        r.bytes_in = (uint64_t)w->id;
        r.bytes_out = (uint64_t)i;
        ck_assert(accesslog_write(w->fd, ACCESSLOG_JSON, &r));
    }
    return NULL;
}

START_TEST(concurrent_lines_never_interleave)
{
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    pthread_t th[WRITERS];
    writer_arg args[WRITERS];
    for (int i = 0; i < WRITERS; i++) {
        args[i] = (writer_arg){p[1], i};
        ck_assert_int_eq(pthread_create(&th[i], NULL, writer, &args[i]), 0);
    }
    FILE *in = fdopen(p[0], "r");
    char *line = NULL;
    size_t cap = 0;
    int seen[WRITERS] = {0};
    for (int n = 0; n < WRITERS * LINES_EACH; n++) {
        ck_assert(getline(&line, &cap, in) > 0);
        json_t *j = parse_json_line(line);
        int id = (int)json_integer_value(json_object_get(j, "bytes_in"));
        ck_assert(id >= 0 && id < WRITERS);
        ck_assert_int_eq(json_integer_value(json_object_get(j, "bytes_out")), seen[id]);   /* in order per writer */
        seen[id]++;
        json_decref(j);
    }
    for (int i = 0; i < WRITERS; i++) pthread_join(th[i], NULL);
    close(p[1]);
    ck_assert_int_eq(getline(&line, &cap, in), -1);
    free(line);
    fclose(in);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("accesslog");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, formats_are_parsed_by_name);
    tcase_add_test(tc, text_line_has_every_field_in_order);
    tcase_add_test(tc, text_fields_are_quoted_and_escaped);
    tcase_add_test(tc, long_fields_are_cut);
    tcase_add_test(tc, json_line_is_one_object_with_typed_fields);
    tcase_add_test(tc, off_writes_nothing);
    tcase_add_test(tc, write_failure_is_reported_not_fatal);
    tcase_add_test(tc, concurrent_lines_never_interleave);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
