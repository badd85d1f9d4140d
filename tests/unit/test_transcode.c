/* test_transcode.c: unit tests for the transcoder (json2pb.c, pb2json.c, wkt.c) on the kitchen test
 * protos. Expectations come from three places: small hand-written cases for each rule; protoc
 * (--encode/--decode, text format <-> wire bytes) for wire data; Python protobuf's json_format
 * (tests/unit/transcode_oracle.py) for JSON both ways, on hand-written and on generated messages.
 * A micro-benchmark of the greeter's request and reply prints timings (never asserted). */
#include <check.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base64.h"
#include "pbwire.h"
#include "transcode.h"
#include "wkt.h"

#define KITCHEN_DESC GW_TEST_DATADIR "/tests/kitchen.desc"
#define GREETER_DESC GW_TEST_DATADIR "/helloworld.desc"
#define ORACLE GW_TEST_SRCDIR "/tests/unit/transcode_oracle.py"
#define RANDOM_MESSAGES 400             /* generated messages per property test */

static descpool *pool;
static const pb_msg *everything;
static const json_opts no_opts;

/* ------------------------------------------------------------------ helpers */

static const pb_msg *msg(const char *name)
{
    const pb_msg *m = descpool_find_message(pool, name);
    ck_assert_msg(m != NULL, "no message %s", name);
    return m;
}

static json_t *parse(const char *text)
{
    json_error_t je;
    json_t *j = json_loads(text, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je);
    ck_assert_msg(j != NULL, "bad test JSON %s: %s", text, je.text);
    return j;
}

static gw_err *encode(const pb_msg *m, const char *text, const json_opts *o, buf *out)
{
    json_t *j = parse(text);
    gw_err *e = json_to_pb(pool, m, j, o, out);
    json_decref(j);
    return e;
}

static char *hex(const uint8_t *p, size_t n)
{
    char *s = malloc(2 * n + 1);
    for (size_t i = 0; i < n; i++) sprintf(s + 2 * i, "%02x", p[i]);
    s[2 * n] = 0;
    return s;
}

static size_t unhex(const char *s, uint8_t *out)
{
    size_t n = 0;
    for (; s[0] && s[1]; s += 2) {
        unsigned v;
        sscanf(s, "%2x", &v);
        out[n++] = (uint8_t)v;
    }
    return n;
}

/* JSON in -> protobuf -> JSON out, checked against `want` (exact text). */
static void expect_json_o(const pb_msg *m, const char *in, const json_opts *o, const char *want)
{
    buf pb = BUF_INIT, out = BUF_INIT;
    gw_err *e = encode(m, in, o, &pb);
    ck_assert_msg(e == NULL, "%s: %s", in, e ? e->message : "");
    e = pb_to_json(pool, m, pb.data ? pb.data : (const uint8_t *)"", pb.len, o, &out);
    ck_assert_msg(e == NULL, "%s: %s", in, e ? e->message : "");
    ck_assert_msg(strcmp((char *)out.data, want) == 0, "%s\n  got  %s\n  want %s", in, (char *)out.data, want);
    buf_free(&pb);
    buf_free(&out);
}

static void expect_json(const char *in, const char *want) { expect_json_o(everything, in, &no_opts, want); }

/* JSON in -> protobuf bytes, checked against `want_hex`. */
static void expect_wire(const pb_msg *m, const char *in, const char *want_hex)
{
    buf pb = BUF_INIT;
    gw_err *e = encode(m, in, &no_opts, &pb);
    ck_assert_msg(e == NULL, "%s: %s", in, e ? e->message : "");
    char *h = hex(pb.data, pb.len);
    ck_assert_msg(strcmp(h, want_hex) == 0, "%s\n  got  %s\n  want %s", in, h, want_hex);
    free(h);
    buf_free(&pb);
}

static void expect_error_o(const pb_msg *m, const char *in, const json_opts *o, const char *want)
{
    buf pb = BUF_INIT;
    buf_append_str(&pb, "keep");
    gw_err *e = encode(m, in, o, &pb);
    ck_assert_msg(e != NULL, "%s: expected an error containing \"%s\"", in, want);
    ck_assert_int_eq(e->code, GRPC_STATUS_INVALID_ARGUMENT);
    ck_assert_msg(strstr(e->message, want) != NULL, "%s\n  error \"%s\"\n  lacks \"%s\"", in, e->message, want);
    ck_assert_uint_eq(pb.len, 4);                          /* output left as it was */
    ck_assert_str_eq((char *)pb.data, "keep");
    gw_err_free(e);
    buf_free(&pb);
}

static void expect_error(const char *in, const char *want) { expect_error_o(everything, in, &no_opts, want); }

/* Wire bytes (hex) -> JSON. */
static void expect_render(const pb_msg *m, const char *hexin, const json_opts *o, const char *want)
{
    uint8_t data[4096];
    size_t n = unhex(hexin, data);
    buf out = BUF_INIT;
    gw_err *e = pb_to_json(pool, m, data, n, o, &out);
    ck_assert_msg(e == NULL, "%s: %s", hexin, e ? e->message : "");
    ck_assert_msg(strcmp((char *)out.data, want) == 0, "%s\n  got  %s\n  want %s", hexin, (char *)out.data, want);
    buf_free(&out);
}

static void expect_render_error(const pb_msg *m, const char *hexin, const char *want)
{
    uint8_t data[4096];
    size_t n = unhex(hexin, data);
    buf out = BUF_INIT;
    buf_append_str(&out, "keep");
    gw_err *e = pb_to_json(pool, m, data, n, &no_opts, &out);
    ck_assert_msg(e != NULL, "%s: expected an error containing \"%s\", got %s", hexin, want, (char *)out.data);
    ck_assert_int_eq(e->code, GRPC_STATUS_INTERNAL);
    ck_assert_msg(strstr(e->message, want) != NULL, "%s\n  error \"%s\"\n  lacks \"%s\"", hexin, e->message, want);
    ck_assert_str_eq((char *)out.data, "keep");
    gw_err_free(e);
    buf_free(&out);
}

/* ------------------------------------------------------------------ semantic JSON comparison */

/* Float fields of the kitchen protos: their values compare as float32 (the shortest text of a
 * float is not the shortest text of the same value as a double). */
static bool is_float_key(const char *k)
{
    static const char *const keys[] = {"fFloat", "rFloat", "uFloat", "wFloat", "mFixed64Float", "f_float",
                                       "r_float", "u_float", "w_float", "m_fixed64_float"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (strcmp(k, keys[i]) == 0) return true;
    return false;
}

/* Equal as JSON values: objects ignore member order, numbers compare by value (1 == 1.0).
 * strip_nulls: members whose value is null count as absent. */
static bool sem_equal(const json_t *a, const json_t *b, bool as_float, bool strip_nulls)
{
    if (json_is_number(a) && json_is_number(b)) {
        double x = json_number_value(a), y = json_number_value(b);
        return as_float ? (float)x == (float)y : x == y;
    }
    if (json_typeof(a) != json_typeof(b)) return false;
    switch (json_typeof(a)) {
    case JSON_OBJECT: {
        const char *k;
        json_t *v;
        size_t na = 0, nb = 0;
        json_object_foreach((json_t *)a, k, v) {
            if (strip_nulls && json_is_null(v)) continue;
            na++;
            json_t *w = json_object_get(b, k);
            if (!w || !sem_equal(v, w, as_float || is_float_key(k), strip_nulls)) return false;
        }
        json_object_foreach((json_t *)b, k, v) {
            if (!(strip_nulls && json_is_null(v))) nb++;
        }
        return na == nb;
    }
    case JSON_ARRAY:
        if (json_array_size(a) != json_array_size(b)) return false;
        for (size_t i = 0; i < json_array_size(a); i++)
            if (!sem_equal(json_array_get(a, i), json_array_get(b, i), as_float, strip_nulls)) return false;
        return true;
    case JSON_STRING:
        return json_string_length(a) == json_string_length(b) &&
               memcmp(json_string_value(a), json_string_value(b), json_string_length(a)) == 0;
    default: return true;                          /* true, false, null */
    }
}

static bool sem_equal_text(const char *a, const char *b, bool strip_nulls)
{
    json_t *x = parse(a), *y = parse(b);
    bool eq = sem_equal(x, y, false, strip_nulls);
    json_decref(x);
    json_decref(y);
    return eq;
}

/* ------------------------------------------------------------------ external oracles */

static const char *env_or(const char *name, const char *fallback)
{
    const char *v = getenv(name);
    return v && *v ? v : fallback;
}

/* Runs the Python oracle over a batch of requests; returns the answers, one per request. */
static json_t *oracle(json_t *requests)
{
    char path[] = "/tmp/gw-oracle-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    FILE *f = fdopen(fd, "w");
    for (size_t i = 0; i < json_array_size(requests); i++) {
        char *s = json_dumps(json_array_get(requests, i), JSON_COMPACT | JSON_ENSURE_ASCII);
        fprintf(f, "%s\n", s);
        free(s);
    }
    fclose(f);
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "'%s' '%s' '%s' < '%s'", env_or("PYTHON3", GW_PYTHON3), ORACLE, KITCHEN_DESC, path);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    json_t *answers = json_array();
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, p) > 0) json_array_append_new(answers, parse(line));
    free(line);
    int st = pclose(p);
    unlink(path);
    ck_assert_msg(st == 0, "oracle failed (%d): %s", st, cmd);
    ck_assert_uint_eq(json_array_size(answers), json_array_size(requests));
    return answers;
}

static json_t *opts_json(const json_opts *o)
{
    return json_pack("{sbsbsbsb}", "emit_defaults", o->emit_defaults, "proto_names", o->proto_names,
                     "enums_as_ints", o->enums_as_ints, "allow_unknown", o->allow_unknown);
}

/* Runs a shell command with `in` as standard input; returns its standard output. */
static bool run_with_input(const char *cmd, const void *in, size_t in_len, buf *out)
{
    char ipath[] = "/tmp/gw-in-XXXXXX", opath[] = "/tmp/gw-out-XXXXXX";
    int ifd = mkstemp(ipath), ofd = mkstemp(opath);
    ck_assert(ifd >= 0 && ofd >= 0);
    ck_assert(write(ifd, in, in_len) == (ssize_t)in_len);
    close(ifd);
    close(ofd);
    char full[4096];
    snprintf(full, sizeof full, "%s < '%s' > '%s'", cmd, ipath, opath);
    int st = system(full);
    FILE *f = fopen(opath, "rb");
    char chunk[4096];
    size_t n;
    while (f && (n = fread(chunk, 1, sizeof chunk, f)) > 0) buf_append(out, chunk, n);
    if (f) fclose(f);
    unlink(ipath);
    unlink(opath);
    return st == 0;
}

static void protoc_cmd(char *cmd, size_t cap, const char *mode, const char *type)
{
    const char *src = env_or("GW_SRCDIR", GW_TEST_SRCDIR);
    snprintf(cmd, cap, "'%s' --%s=%s -I'%s/tests/proto' -I'%s/proto' -I'%s' '%s/tests/proto/kitchen.proto'",
             env_or("PROTOC", GW_PROTOC), mode, type, src, src, env_or("PROTO_INCLUDE", GW_PROTO_INCLUDE), src);
}

/* protoc --encode: text format -> wire bytes. */
static void protoc_encode(const char *type, const char *text, buf *out)
{
    char cmd[4096];
    protoc_cmd(cmd, sizeof cmd, "encode", type);
    ck_assert_msg(run_with_input(cmd, text, strlen(text), out), "protoc --encode failed on: %s", text);
}

/* protoc --decode: wire bytes -> text format. */
static void protoc_decode(const char *type, const uint8_t *p, size_t n, buf *out)
{
    char cmd[4096];
    protoc_cmd(cmd, sizeof cmd, "decode", type);
    ck_assert_msg(run_with_input(cmd, p, n, out), "protoc --decode failed");
}

/* ------------------------------------------------------------------ output primitives */

static void expect_string(const char *in, size_t n, const char *want)
{
    buf b = BUF_INIT;
    json_write_string(&b, in, n);
    ck_assert_msg(strcmp((char *)b.data, want) == 0, "got %s want %s", (char *)b.data, want);
    buf_free(&b);
}

START_TEST(strings_are_escaped_and_sanitised)
{
    expect_string("", 0, "\"\"");
    expect_string("plain", 5, "\"plain\"");
    expect_string("q\"b\\s/", 6, "\"q\\\"b\\\\s/\"");
    expect_string("\b\f\n\r\t\x01\x1f\x7f", 8, "\"\\b\\f\\n\\r\\t\\u0001\\u001f\x7f\"");
    expect_string("<a&b>", 5, "\"\\u003ca\\u0026b\\u003e\"");
    expect_string("\0x", 2, "\"\\u0000x\"");
    expect_string("h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 12, "\"h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
    expect_string("\xe2\x80\xa8\xe2\x80\xa9", 6, "\"\\u2028\\u2029\"");
    /* Invalid UTF-8: each byte that starts no character becomes U+FFFD. */
    expect_string("a\xff" "b", 3, "\"a\xef\xbf\xbd" "b\"");
    expect_string("\xc0\x80", 2, "\"\xef\xbf\xbd\xef\xbf\xbd\"");               /* overlong NUL */
    expect_string("\xed\xa0\x80", 3, "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");  /* surrogate */
    expect_string("\xe2\x82", 2, "\"\xef\xbf\xbd\xef\xbf\xbd\"");               /* truncated */
    expect_string("\xf4\x8f\xbf\xbf", 4, "\"\xf4\x8f\xbf\xbf\"");               /* U+10FFFF */
    expect_string("\xf4\x90\x80\x80", 4, "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
    expect_string("\xe0\x9f\xbf", 3, "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");  /* overlong 3-byte */
    /* The output is valid JSON that jansson reads back. */
    buf b = BUF_INIT;
    char all[256];
    for (int i = 0; i < 256; i++) all[i] = (char)i;
    json_write_string(&b, all, sizeof all);
    json_t *j = parse((char *)b.data);
    ck_assert(json_is_string(j));
    json_decref(j);
    buf_free(&b);
}
END_TEST

static void expect_double(double d, const char *want)
{
    char tmp[32];
    tc_format_double(d, tmp);
    ck_assert_msg(strcmp(tmp, want) == 0, "%.17g: got %s want %s", d, tmp, want);
    ck_assert(strtod(tmp, NULL) == d);
}

static void expect_float(float f, const char *want)
{
    char tmp[32];
    tc_format_float(f, tmp);
    ck_assert_msg(strcmp(tmp, want) == 0, "%.9g: got %s want %s", (double)f, tmp, want);
    ck_assert(strtof(tmp, NULL) == f);
}

START_TEST(numbers_print_shortest)
{
    expect_double(0.1, "0.1");
    expect_double(-0.0, "-0.0");
    expect_double(1.0 / 3, "0.3333333333333333");
    expect_double(2.0 / 3, "0.6666666666666666");
    expect_double(1e300, "1e+300");
    expect_double(5e-324, "5e-324");
    expect_double(2.2250738585072014e-308, "2.2250738585072014e-308");
    expect_double(DBL_MAX, "1.7976931348623157e+308");
    expect_double(9007199254740993.0, "9007199254740992");
    expect_double(123456789.5, "123456789.5");
    expect_double(-42, "-42");
    expect_double(1e15, "1e+15");
    expect_float(0.1f, "0.1");
    expect_float(1.1f, "1.1");
    expect_float(3.4028235e38f, "3.4028235e+38");
    expect_float(1e-45f, "1e-45");
    expect_float(16777216.0f, "16777216");
    expect_float(0.3f, "0.3");
    expect_float(-2.5f, "-2.5");
    expect_float(1.17549435e-38f, "1.1754944e-38");
    /* Every float32 in a sample reads back; the text is never longer than 9 significant digits. */
    uint32_t x = 12345;
    for (int i = 0; i < 100000; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        float f = pbw_float_from_bits(x);
        if (!isfinite(f)) continue;
        char tmp[32];
        tc_format_float(f, tmp);
        ck_assert_msg(strtof(tmp, NULL) == f, "%s", tmp);
    }
}
END_TEST

/* ------------------------------------------------------------------ scalars */

START_TEST(scalars_both_ways)
{
    expect_json("{\"fInt32\":5,\"fString\":\"you\"}", "{\"fInt32\":5,\"fString\":\"you\"}");
    expect_json("{\"fString\":\"you\",\"fInt32\":5}", "{\"fInt32\":5,\"fString\":\"you\"}");   /* number order */
    expect_json("{\"fInt64\":\"-9223372036854775808\",\"fUint64\":\"18446744073709551615\"}",
                "{\"fInt64\":\"-9223372036854775808\",\"fUint64\":\"18446744073709551615\"}");
    expect_json("{\"fInt64\":-5,\"fUint64\":5,\"fFixed64\":7,\"fSfixed64\":-7,\"fSint64\":-9}",
                "{\"fInt64\":\"-5\",\"fUint64\":\"5\",\"fFixed64\":\"7\",\"fSfixed64\":\"-7\",\"fSint64\":\"-9\"}");
    expect_json("{\"fInt32\":-2147483648,\"fUint32\":4294967295,\"fFixed32\":4294967295,\"fSfixed32\":-1,"
                "\"fSint32\":-2147483648}",
                "{\"fInt32\":-2147483648,\"fFixed32\":4294967295,\"fUint32\":4294967295,\"fSfixed32\":-1,"
                "\"fSint32\":-2147483648}");
    expect_json("{\"fBool\":true,\"fDouble\":-1.5,\"fFloat\":0.1}", "{\"fDouble\":-1.5,\"fFloat\":0.1,\"fBool\":true}");
    expect_json("{\"fDouble\":\"NaN\",\"fFloat\":\"-Infinity\",\"rDouble\":[\"Infinity\",1e308,\"-2.5\"]}",
                "{\"fDouble\":\"NaN\",\"fFloat\":\"-Infinity\",\"rDouble\":[\"Infinity\",1e+308,-2.5]}");
    expect_json("{\"fBytes\":\"AAEC/w==\"}", "{\"fBytes\":\"AAEC/w==\"}");
    expect_json("{\"fBytes\":\"AAEC_w\"}", "{\"fBytes\":\"AAEC/w==\"}");                 /* URL-safe, unpadded */
    expect_json("{\"fEnum\":\"COLOR_INFRARED\",\"rEnum\":[1,\"COLOR_BLUE\",7]}",
                "{\"fEnum\":\"COLOR_INFRARED\",\"rEnum\":[\"COLOR_RED\",\"COLOR_BLUE\",7]}");
    expect_json("{\"fString\":\"\\u003c\\u0000\\ud83d\\ude00\"}", "{\"fString\":\"\\u003c\\u0000\xf0\x9f\x98\x80\"}");
    /* Defaults of implicit-presence fields are not written, so they do not come back. */
    expect_json("{\"fInt32\":0,\"fString\":\"\",\"fBool\":false,\"fEnum\":\"COLOR_UNSPECIFIED\",\"fBytes\":\"\","
                "\"fDouble\":0,\"fInt64\":\"0\"}", "{}");
    expect_json("{\"fDouble\":-0.0}", "{\"fDouble\":-0.0}");                             /* -0 is not 0 */
    expect_json("{\"fFloat\":-0.0,\"rDouble\":[-0.0,0]}", "{\"fFloat\":-0.0,\"rDouble\":[-0.0,0]}");
    expect_json("{}", "{}");
    /* Both names are accepted on input. */
    expect_json("{\"f_int32\":1,\"field__name2\":2,\"_field_name3\":3,\"renamed\":\"r\"}",
                "{\"fInt32\":1,\"fieldName2\":2,\"FieldName3\":3,\"customJson\":\"r\"}");
    expect_json("{\"customJson\":\"r\",\"fieldName4X\":4,\"a1b2c3\":6}",
                "{\"fieldName4X\":4,\"customJson\":\"r\",\"a1b2c3\":6}");
    /* Exact wire bytes for a few: tags, zigzag, sign extension, fixed widths. */
    expect_wire(everything, "{\"fInt32\":-1}", "28ffffffffffffffffff01");
    expect_wire(everything, "{\"fSint32\":-1,\"fSint64\":1}", "7801800102");
    expect_wire(everything, "{\"fFixed32\":1,\"fSfixed64\":-2}", "3d0100000071feffffffffffffff");
    expect_wire(everything, "{\"fString\":\"you\"}", "4a03796f75");
}
END_TEST

START_TEST(integer_input_rules)
{
    expect_json("{\"fInt32\":1e2,\"fUint32\":\"1e2\",\"fInt64\":1.0,\"fUint64\":\"100e-2\",\"fSint32\":\"-0\"}",
                "{\"fInt64\":\"1\",\"fUint64\":\"1\",\"fInt32\":100,\"fUint32\":100}");
    expect_json("{\"fInt32\":\"-2147483648\",\"fInt64\":\"9223372036854775807\",\"fUint64\":\"1.8446744073709551615e19\"}",
                "{\"fInt64\":\"9223372036854775807\",\"fUint64\":\"18446744073709551615\",\"fInt32\":-2147483648}");
    expect_json("{\"fFixed64\":9007199254740993}", "{\"fFixed64\":\"9007199254740993\"}");   /* exact, not via double */
    expect_json("{\"fInt32\":\"0.0e5\",\"fInt64\":\"0e99999\"}", "{}");
    expect_error("{\"fInt32\":1.5}", "invalid value for field 'fInt32' (int32): 1.5 is not an integer");
    expect_error("{\"fInt32\":\"1.5\"}", "(int32): \"1.5\" is not an integer");
    expect_error("{\"fInt32\":\"15e-1\"}", "is not an integer");
    expect_error("{\"fInt32\":2147483648}", "(int32): 2147483648 is out of range");
    expect_error("{\"fInt32\":-2147483649}", "out of range");
    expect_error("{\"fUint32\":-1}", "(uint32): -1 is out of range");
    expect_error("{\"fUint32\":4294967296}", "out of range");
    expect_error("{\"fSfixed32\":\"2147483648\"}", "out of range");
    expect_error("{\"fInt64\":\"9223372036854775808\"}", "(int64): \"9223372036854775808\" is out of range");
    expect_error("{\"fInt64\":1e19}", "out of range");
    expect_error("{\"fUint64\":\"-1\"}", "(uint64): \"-1\" is out of range");
    expect_error("{\"fUint64\":\"18446744073709551616\"}", "out of range");
    expect_error("{\"fUint64\":\"1e20\"}", "out of range");
    expect_error("{\"fInt64\":\"1e999999999\"}", "out of range");
    expect_error("{\"fInt32\":\"\"}", "\"\" is not a number");
    expect_error("{\"fInt32\":\" 1\"}", "is not a number");
    expect_error("{\"fInt32\":\"01\"}", "is not a number");
    expect_error("{\"fInt32\":\"0x10\"}", "is not a number");
    expect_error("{\"fInt32\":\"+1\"}", "is not a number");
    expect_error("{\"fInt32\":\"1.\"}", "is not a number");
    expect_error("{\"fInt32\":true}", "(int32): expected an integer or a numeric string, got a boolean");
    expect_error("{\"fInt64\":{}}", "expected an integer or a numeric string, got an object");
}
END_TEST

START_TEST(float_bool_bytes_enum_input_rules)
{
    expect_json("{\"fDouble\":\"1.5e3\",\"fFloat\":3,\"rFloat\":[\"NaN\",\"Infinity\",3.4028234663852886e38]}",
                "{\"fDouble\":1500,\"fFloat\":3,\"rFloat\":[\"NaN\",\"Infinity\",3.4028235e+38]}");
    expect_error("{\"fFloat\":3.5e38}", "(float): 3.5e+38 is out of range");
    expect_error("{\"fFloat\":\"-1e39\"}", "out of range");
    /* FLT_MAX prints as 3.4028235e+38, a little above FLT_MAX: it must read back (anything that
     * rounds to a finite float is in range; FLT_MAX + half an ulp rounds to infinity). */
    expect_json("{\"fFloat\":3.4028235e+38,\"rFloat\":[-3.4028235e38,\"3.4028235e38\",3.4028235677973362e38]}",
                "{\"fFloat\":3.4028235e+38,\"rFloat\":[-3.4028235e+38,3.4028235e+38,3.4028235e+38]}");
    expect_error("{\"fFloat\":3.4028235677973366e38}", "out of range");
    expect_error("{\"wFloat\":-3.4028235677973366e38}", "out of range");
    expect_error("{\"fDouble\":\"1e999\"}", "(double): \"1e999\" is out of range");
    expect_error("{\"fDouble\":\"nan\"}", "\"nan\" is not a number");
    expect_error("{\"fDouble\":\"1,5\"}", "is not a number");
    expect_error("{\"fDouble\":[]}", "(double): expected a number or a numeric string, got an array");
    expect_error("{\"fBool\":\"true\"}", "(bool): expected true or false, got a string");
    expect_error("{\"fBool\":1}", "expected true or false, got a number");
    expect_error("{\"fString\":5}", "invalid value for field 'fString' (string): expected a string, got a number");
    expect_error("{\"fBytes\":\"!!!\"}", "(bytes): \"!!!\" is not base64");
    expect_error("{\"fBytes\":\"A\"}", "is not base64");
    expect_error("{\"fBytes\":3}", "expected a base64 string, got a number");
    expect_error("{\"fEnum\":\"PURPLE\"}", "invalid value for field 'fEnum' (kitchen.Color): unknown enum value \"PURPLE\"");
    expect_error("{\"fEnum\":\"color_red\"}", "unknown enum value");
    expect_error("{\"fEnum\":2147483648}", "out of range");
    expect_error("{\"fEnum\":1.5}", "not an integer");
    expect_error("{\"fEnum\":true}", "expected an enum name or number, got a boolean");
    /* allow_unknown drops unknown enum names (the field stays unset) but still checks types. */
    json_opts lax = {.allow_unknown = true};
    expect_json_o(everything, "{\"fEnum\":\"PURPLE\",\"rEnum\":[\"COLOR_RED\",\"PURPLE\"],\"fInt32\":1}", &lax,
                  "{\"fInt32\":1,\"rEnum\":[\"COLOR_RED\"]}");
    expect_error_o(everything, "{\"fEnum\":true}", &lax, "expected an enum name or number");
    /* Enum numbers, known or not, and numeric strings. */
    expect_json("{\"fEnum\":-1,\"oEnum\":\"2\"}", "{\"fEnum\":\"COLOR_INFRARED\",\"oEnum\":\"COLOR_GREEN\"}");
    expect_json("{\"fEnum\":12345}", "{\"fEnum\":12345}");
}
END_TEST

/* ------------------------------------------------------------------ structure */

START_TEST(repeated_maps_and_nesting)
{
    expect_json("{\"rInt32\":[1,-2,0],\"uInt32\":[3,0],\"rString\":[\"\",\"a\"],\"rBytes\":[\"AA==\"],\"rBool\":[false]}",
                "{\"rInt32\":[1,-2,0],\"rBool\":[false],\"rString\":[\"\",\"a\"],\"rBytes\":[\"AA==\"],\"uInt32\":[3,0]}");
    expect_json("{\"rInt32\":[]}", "{}");
    expect_wire(everything, "{\"rInt32\":[1,2]}", "ca01020102");                /* packed */
    expect_wire(everything, "{\"uInt32\":[1,2]}", "e80201e80202");              /* [packed=false] */
    expect_wire(everything, "{\"rFixed32\":[1]}", "da010401000000");
    expect_json("{\"nested\":{\"label\":\"x\",\"child\":{\"count\":2,\"tags\":[\"t\"]}},\"rNested\":[{},{\"count\":1}]}",
                "{\"nested\":{\"label\":\"x\",\"child\":{\"count\":2,\"tags\":[\"t\"]}},\"rNested\":[{},{\"count\":1}]}");
    expect_json("{\"recursive\":{\"recursive\":{\"fInt32\":3}}}", "{\"recursive\":{\"recursive\":{\"fInt32\":3}}}");
    /* Maps: keys stringified and validated, entries sorted by key on output. */
    expect_json("{\"mStringInt32\":{\"b\":2,\"a\":0,\"\":1},\"mBoolString\":{\"true\":\"t\",\"false\":\"\"}}",
                "{\"mStringInt32\":{\"\":1,\"a\":0,\"b\":2},\"mBoolString\":{\"false\":\"\",\"true\":\"t\"}}");
    expect_json("{\"mInt64Nested\":{\"-5\":{},\"9223372036854775807\":{\"count\":1},\"007\":{\"label\":\"l\"}}}",
                "{\"mInt64Nested\":{\"-5\":{},\"7\":{\"label\":\"l\"},\"9223372036854775807\":{\"count\":1}}}");
    expect_json("{\"mInt32Enum\":{\"1\":\"COLOR_RED\",\"2\":0},\"mUint64Bytes\":{\"18446744073709551615\":\"AQ==\"},"
                "\"mSint32Double\":{\"-1\":0.5},\"mFixed64Float\":{\"3\":\"NaN\"}}",
                "{\"mInt32Enum\":{\"1\":\"COLOR_RED\",\"2\":\"COLOR_UNSPECIFIED\"},\"mUint64Bytes\":{\"18446744073709551615\":"
                "\"AQ==\"},\"mSint32Double\":{\"-1\":0.5},\"mFixed64Float\":{\"3\":\"NaN\"}}");
    expect_json("{\"mStringEverything\":{\"x\":{\"mStringEverything\":{\"y\":{}}}}}",
                "{\"mStringEverything\":{\"x\":{\"mStringEverything\":{\"y\":{}}}}}");
    expect_wire(everything, "{\"mStringInt32\":{\"a\":0}}", "820505" "0a0161" "1000");   /* key and value always */
    expect_error("{\"mInt64Nested\":{\"x\":{}}}", "invalid value for field 'mInt64Nested': map key 'x' is not an integer");
    expect_error("{\"mInt64Nested\":{\"1.0\":{}}}", "map key '1.0'");
    expect_error("{\"mInt32Enum\":{\"2147483648\":1}}", "map key '2147483648'");
    expect_error("{\"mUint64Bytes\":{\"-1\":\"\"}}", "map key '-1'");
    expect_error("{\"mBoolString\":{\"yes\":\"\"}}", "map key 'yes' is not true or false");
    expect_error("{\"mStringInt32\":{\"k\":1.5}}", "invalid value for field 'mStringInt32[k]' (int32): 1.5 is not an integer");
    expect_error("{\"mStringInt32\":{\"k\":null}}", "'mStringInt32[k]' (int32): null is not allowed as a map value");
    expect_error("{\"mStringInt32\":[]}", "(kitchen.Everything.MStringInt32Entry): expected an object, got an array");
    expect_error("{\"rInt32\":1}", "invalid value for field 'rInt32' (int32): expected an array, got a number");
    expect_error("{\"rInt32\":[1,null]}", "invalid value for field 'rInt32[1]' (int32): null is not allowed in an array");
    expect_error("{\"rNested\":[{},{\"count\":\"x\"}]}", "invalid value for field 'rNested[1].count' (int32): \"x\" is not a number");
    expect_error("{\"nested\":5}", "invalid value for field 'nested' (kitchen.Nested): expected an object, got a number");
    expect_error("{\"mStringEverything\":{\"k\":{\"nested\":{\"child\":{\"tags\":[1]}}}}}",
                 "'mStringEverything[k].nested.child.tags[0]' (string): expected a string, got a number");
    expect_error_o(everything, "[]", &no_opts, "invalid value for kitchen.Everything: expected an object, got an array");
    /* null: unset, wherever it is allowed. */
    expect_json("{\"fInt32\":null,\"nested\":null,\"rInt32\":null,\"mStringInt32\":null,\"wInt32\":null}", "{}");
}
END_TEST

START_TEST(unknown_and_duplicate_fields_and_oneofs)
{
    expect_error_o(msg("kitchen.Nested"), "{\"lable\":\"x\"}", &no_opts, "unknown field 'lable' in message kitchen.Nested");
    expect_error("{\"nested\":{\"nme\":1}}", "unknown field 'nested.nme' in message kitchen.Nested");
    expect_error("{\"rNested\":[{\"a\":1}]}", "unknown field 'rNested[0].a' in message kitchen.Nested");
    expect_error("{\"@type\":\"x\"}", "unknown field '@type' in message kitchen.Everything");
    expect_error("{\"FInt32\":1}", "unknown field 'FInt32'");                   /* names are case-sensitive */
    json_opts lax = {.allow_unknown = true};
    expect_json_o(everything, "{\"nme\":1,\"nested\":{\"x\":[1,{}]},\"fInt32\":2}", &lax,
                  "{\"fInt32\":2,\"nested\":{}}");
    expect_error("{\"fInt32\":1,\"f_int32\":2}", "invalid value for field 'f_int32' (int32): the field is given twice");
    expect_error("{\"renamed\":\"a\",\"customJson\":\"b\"}", "given twice");
    /* Oneofs: one member at most; null does not count. */
    expect_json("{\"choiceStr\":\"\"}", "{\"choiceStr\":\"\"}");                 /* presence: "" is kept */
    expect_json("{\"choiceInt\":0}", "{\"choiceInt\":\"0\"}");
    expect_json("{\"choiceEnum\":\"COLOR_UNSPECIFIED\"}", "{\"choiceEnum\":\"COLOR_UNSPECIFIED\"}");
    expect_json("{\"choiceMsg\":{}}", "{\"choiceMsg\":{}}");
    expect_json("{\"choiceStr\":null,\"choiceInt\":5}", "{\"choiceInt\":\"5\"}");
    expect_error("{\"choiceStr\":\"a\",\"choiceInt\":5}",
                 "invalid value for field 'choiceInt' (int64): oneof 'choice' already has field 'choiceStr' set");
    expect_error("{\"choice_msg\":{},\"choiceEnum\":1}", "oneof 'choice' already has field 'choiceMsg' set");
    /* proto3 optional: presence without a oneof. */
    expect_json("{\"oInt32\":0,\"oString\":\"\",\"oEnum\":0,\"oDouble\":0,\"oBool\":false,\"oNested\":{}}",
                "{\"oInt32\":0,\"oString\":\"\",\"oEnum\":\"COLOR_UNSPECIFIED\",\"oDouble\":0,\"oBool\":false,\"oNested\":{}}");
    /* proto2: presence for scalars, groups refused on input. */
    expect_json("{\"legacy\":{\"optInt\":0,\"reqStr\":\"\",\"unpackedInts\":[1],\"packedInts\":[2],\"mood\":\"MOOD_SAD\"}}",
                "{\"legacy\":{\"optInt\":0,\"reqStr\":\"\",\"unpackedInts\":[1],\"packedInts\":[2],\"mood\":\"MOOD_SAD\"}}");
    expect_wire(msg("kitchen.legacy.Legacy"), "{\"unpackedInts\":[1,2],\"packedInts\":[3]}", "18011802220103");
    expect_error("{\"legacy\":{\"blob\":{}}}", "invalid value for field 'legacy.blob' (kitchen.legacy.Legacy.Blob): proto2 groups are not supported");
}
END_TEST

START_TEST(output_options)
{
    json_opts names = {.proto_names = true};
    expect_json_o(everything, "{\"fInt32\":1,\"renamed\":\"x\",\"mStringInt32\":{\"a\":1},\"nested\":{\"label\":\"l\"}}",
                  &names, "{\"f_int32\":1,\"nested\":{\"label\":\"l\"},\"m_string_int32\":{\"a\":1},\"renamed\":\"x\"}");
    json_opts ints = {.enums_as_ints = true};
    expect_json_o(everything, "{\"fEnum\":\"COLOR_BLUE\",\"rEnum\":[\"COLOR_INFRARED\"],\"mInt32Enum\":{\"1\":1}}", &ints,
                  "{\"fEnum\":3,\"rEnum\":[-1],\"mInt32Enum\":{\"1\":1}}");
    json_opts dflt = {.emit_defaults = true};
    const pb_msg *nested = msg("kitchen.Nested");
    expect_json_o(nested, "{}", &dflt, "{\"label\":\"\",\"count\":0,\"tags\":[],\"child\":null}");
    expect_json_o(nested, "{\"child\":{}}", &dflt,
                  "{\"label\":\"\",\"count\":0,\"tags\":[],\"child\":{\"label\":\"\",\"count\":0,\"tags\":[],\"child\":null}}");
    /* Unset oneof members and proto3 optional fields stay out; set ones print even at default. */
    buf out = BUF_INIT, pb = BUF_INIT;
    ck_assert_ptr_null(encode(everything, "{\"oInt32\":0}", &no_opts, &pb));
    ck_assert_ptr_null(pb_to_json(pool, everything, pb.data, pb.len, &dflt, &out));
    json_t *j = parse((char *)out.data);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "oInt32")), 0);
    ck_assert_ptr_null(json_object_get(j, "oString"));
    ck_assert_ptr_null(json_object_get(j, "oNested"));
    ck_assert_ptr_null(json_object_get(j, "choiceStr"));
    ck_assert(json_is_null(json_object_get(j, "nested")));
    ck_assert(json_is_null(json_object_get(j, "wTimestamp")));
    ck_assert(json_is_null(json_object_get(j, "wNull")));            /* NullValue's default is null */
    ck_assert_str_eq(json_string_value(json_object_get(j, "fInt64")), "0");
    ck_assert_str_eq(json_string_value(json_object_get(j, "fEnum")), "COLOR_UNSPECIFIED");
    ck_assert(json_is_array(json_object_get(j, "rNested")) && json_array_size(json_object_get(j, "rNested")) == 0);
    ck_assert(json_is_object(json_object_get(j, "mStringInt32")));
    ck_assert(json_is_null(json_object_get(j, "legacy")));
    json_decref(j);
    buf_free(&out);
    buf_free(&pb);
}
END_TEST

/* ------------------------------------------------------------------ well-known types */

START_TEST(wkt_timestamp_and_duration)
{
    expect_json("{\"wTimestamp\":\"1972-01-01T10:00:20.021Z\"}", "{\"wTimestamp\":\"1972-01-01T10:00:20.021Z\"}");
    expect_json("{\"wTimestamp\":\"1972-01-01T10:00:20.021+01:30\"}", "{\"wTimestamp\":\"1972-01-01T08:30:20.021Z\"}");
    expect_json("{\"wTimestamp\":\"1969-12-31T23:59:59-00:01\"}", "{\"wTimestamp\":\"1970-01-01T00:00:59Z\"}");
    expect_json("{\"rTimestamp\":[\"0001-01-01T00:00:00Z\",\"9999-12-31T23:59:59.999999999Z\",\"1970-01-01T00:00:00Z\","
                "\"2000-02-29T12:00:00.1Z\",\"1960-06-01T00:00:00.000001Z\",\"2024-01-01T00:00:00.0000001Z\","
                "\"2024-01-01T00:00:00.000Z\"]}",
                "{\"rTimestamp\":[\"0001-01-01T00:00:00Z\",\"9999-12-31T23:59:59.999999999Z\",\"1970-01-01T00:00:00Z\","
                "\"2000-02-29T12:00:00.100Z\",\"1960-06-01T00:00:00.000001Z\",\"2024-01-01T00:00:00.000000100Z\","
                "\"2024-01-01T00:00:00Z\"]}");
    expect_wire(everything, "{\"wTimestamp\":\"1970-01-01T00:00:01.5Z\"}", "aa0608" "0801" "1080cab5ee01");
    const char *bad[] = {"1972-01-01T10:00:20", "1972-01-01t10:00:20Z", "1972-01-01T10:00:20z", "0000-12-31T00:00:00Z",
                         "10000-01-01T00:00:00Z", "1900-02-29T00:00:00Z", "2021-04-31T00:00:00Z", "2021-01-01T24:00:00Z",
                         "2021-01-01T23:59:60Z", "2021-01-01T00:00:00.1234567891Z", "2021-01-01T00:00:00.Z",
                         "0001-01-01T00:30:00+01:00", "9999-12-31T23:30:00-01:00", "2021-01-01T00:00:00+1:00",
                         "2021-01-01T00:00:00Zjunk", "2021-1-01T00:00:00Z", " 2021-01-01T00:00:00Z", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char in[128];
        snprintf(in, sizeof in, "{\"wTimestamp\":\"%s\"}", bad[i]);
        expect_error(in, "invalid value for field 'wTimestamp' (google.protobuf.Timestamp): '");
    }
    expect_error("{\"wTimestamp\":0}", "(google.protobuf.Timestamp): expected an RFC 3339 string, got a number");

    expect_json("{\"wDuration\":\"1.5s\",\"rAny\":[]}", "{\"wDuration\":\"1.500s\"}");
    expect_json("{\"wDuration\":\"-0.5s\"}", "{\"wDuration\":\"-0.500s\"}");
    expect_json("{\"wDuration\":\"0s\"}", "{\"wDuration\":\"0s\"}");
    expect_json("{\"wDuration\":\"-315576000000.999999999s\"}", "{\"wDuration\":\"-315576000000.999999999s\"}");
    expect_json("{\"wDuration\":\"1.000001s\"}", "{\"wDuration\":\"1.000001s\"}");
    expect_json("{\"wDuration\":\"3.10s\"}", "{\"wDuration\":\"3.100s\"}");
    const char *bad_d[] = {"1", "1.5", "s", "-s", "1.s", ".5s", "1.1234567891s", "315576000001s", "1e3s", " 1s",
                           "+1s", "1S", "--1s", ""};
    for (size_t i = 0; i < sizeof bad_d / sizeof bad_d[0]; i++) {
        char in[128];
        snprintf(in, sizeof in, "{\"wDuration\":\"%s\"}", bad_d[i]);
        expect_error(in, "invalid value for field 'wDuration' (google.protobuf.Duration): '");
    }
    expect_error("{\"wDuration\":1.5}", "expected a string such as \"1.5s\", got a number");

    /* Values the backend may send that JSON cannot carry. */
    const pb_msg *ts = msg("google.protobuf.Timestamp"), *du = msg("google.protobuf.Duration");
    expect_render(ts, "", &no_opts, "\"1970-01-01T00:00:00Z\"");
    expect_render(ts, "088092b8c398feffffff01", &no_opts, "\"0001-01-01T00:00:00Z\"");   /* -62135596800 */
    expect_render_error(ts, "0880efb2c398feffffff01", "timestamp out of range");          /* one day earlier */
    expect_render_error(ts, "0801108094ebdc03", "timestamp out of range");                /* nanos 1e9 */
    expect_render_error(ts, "10ffffffffffffffffff01", "timestamp out of range");          /* nanos -1 */
    expect_render(du, "08ffffffffffffffffff0110ffffffffffffffffff01", &no_opts, "\"-1.000000001s\"");
    expect_render_error(du, "080110ffffffffffffffffff01", "mixed signs");
    expect_render_error(du, "0881bcaece9709", "duration out of range");                   /* 315576000001 */
}
END_TEST

START_TEST(wkt_field_mask_struct_value_wrappers_empty)
{
    expect_json("{\"wFieldMask\":\"fooBar,baz.quxQuux,a\"}", "{\"wFieldMask\":\"fooBar,baz.quxQuux,a\"}");
    expect_wire(everything, "{\"wFieldMask\":\"fooBar,a.bC\"}", "ba06100a07666f6f5f6261720a05612e625f63");
    expect_json("{\"wFieldMask\":\"\"}", "{\"wFieldMask\":\"\"}");
    expect_error("{\"wFieldMask\":\"foo_bar\"}", "(google.protobuf.FieldMask): 'foo_bar' is not a list of lowerCamelCase paths");
    expect_error("{\"wFieldMask\":\"a,,b\"}", "has an empty path");
    expect_error("{\"wFieldMask\":[\"a\"]}", "expected a string of comma-separated paths, got an array");
    const pb_msg *fm = msg("google.protobuf.FieldMask");
    expect_render_error(fm, "0a03614263", "upper-case");                  /* "aBc" would print as "aBc" */
    expect_render_error(fm, "0a03615f31", "'_' not followed");            /* "a_1" */
    expect_render_error(fm, "0a02615f", "'_' not followed");              /* "a_" */

    expect_json("{\"wStruct\":{\"a\":[1,\"x\",null,true,{\"b\":{}},[]],\"c\":-0.5}}",
                "{\"wStruct\":{\"a\":[1,\"x\",null,true,{\"b\":{}},[]],\"c\":-0.5}}");
    expect_json("{\"wStruct\":{}}", "{\"wStruct\":{}}");
    expect_json("{\"wValue\":null}", "{\"wValue\":null}");
    expect_json("{\"wValue\":\"s\"}", "{\"wValue\":\"s\"}");
    expect_json("{\"wValue\":1.2345678901234567e19}", "{\"wValue\":1.2345678901234567e+19}");
    expect_json("{\"wValue\":{\"k\":{\"k\":[false]}}}", "{\"wValue\":{\"k\":{\"k\":[false]}}}");
    expect_json("{\"wListValue\":[],\"rValue\":[null,1.5,[]],\"mStringValue\":{\"n\":null}}",
                "{\"mStringValue\":{\"n\":null},\"wListValue\":[],\"rValue\":[null,1.5,[]]}");
    expect_error("{\"wStruct\":[]}", "invalid value for field 'wStruct' (google.protobuf.Struct): expected an object, got an array");
    expect_error("{\"wListValue\":{}}", "(google.protobuf.ListValue): expected an array, got an object");
    expect_json("{\"wStruct\":{\"@type\":{\"b\":[{\"c\":{\"@type\":1}}]}}}",   /* Struct keys are free */
                "{\"wStruct\":{\"@type\":{\"b\":[{\"c\":{\"@type\":1}}]}}}");
    const pb_msg *value = msg("google.protobuf.Value");
    expect_render(value, "", &no_opts, "null");                          /* no kind: null, as Python prints it */
    expect_render(value, "1a0161" "2001", &no_opts, "true");             /* the last oneof member wins */
    expect_render_error(value, "11000000000000f87f", "NaN or infinite");
    expect_render_error(value, "11000000000000f07f", "NaN or infinite");

    expect_json("{\"wDouble\":1.5,\"wFloat\":\"NaN\",\"wInt64\":\"-1\",\"wUint64\":2,\"wInt32\":-3,\"wUint32\":4,"
                "\"wBool\":true,\"wString\":\"s\",\"wBytes\":\"AQ==\"}",
                "{\"wDouble\":1.5,\"wFloat\":\"NaN\",\"wInt64\":\"-1\",\"wUint64\":\"2\",\"wInt32\":-3,\"wUint32\":4,"
                "\"wBool\":true,\"wString\":\"s\",\"wBytes\":\"AQ==\"}");
    expect_json("{\"wDouble\":0,\"wInt64\":0,\"wBool\":false,\"wString\":\"\",\"wBytes\":\"\",\"rWrappedInt32\":[0,5]}",
                "{\"wDouble\":0,\"wInt64\":\"0\",\"wBool\":false,\"wString\":\"\",\"wBytes\":\"\",\"rWrappedInt32\":[0,5]}");
    expect_wire(everything, "{\"wInt32\":0}", "820700");
    expect_error("{\"wInt32\":\"x\"}", "invalid value for field 'wInt32' (int32): \"x\" is not a number");
    expect_error("{\"wUint32\":-1}", "(uint32): -1 is out of range");
    expect_error("{\"wBool\":{\"value\":true}}", "(bool): expected true or false, got an object");
    expect_error("{\"rWrappedInt32\":[null]}", "'rWrappedInt32[0]' (google.protobuf.Int32Value): null is not allowed in an array");
    expect_json("{\"wEmpty\":{}}", "{\"wEmpty\":{}}");
    expect_error("{\"wEmpty\":{\"a\":1}}", "unknown field 'wEmpty.a' in message google.protobuf.Empty");
    expect_json("{\"wNull\":null,\"rValue\":[null]}", "{\"rValue\":[null]}");
    expect_json("{\"wNull\":\"NULL_VALUE\"}", "{}");
    /* The well-known types at the top level take their special forms too. */
    expect_json_o(msg("google.protobuf.Duration"), "\"2s\"", &no_opts, "\"2s\"");
    expect_json_o(msg("google.protobuf.Struct"), "{\"a\":1}", &no_opts, "{\"a\":1}");
    expect_json_o(msg("google.protobuf.Int64Value"), "\"7\"", &no_opts, "\"7\"");
    expect_json_o(value, "[{}]", &no_opts, "[{}]");
    expect_error_o(msg("google.protobuf.Duration"), "true", &no_opts, "invalid value for google.protobuf.Duration: expected");
}
END_TEST

START_TEST(wkt_any)
{
    const char *T = "type.googleapis.com/";
    char in[1024], want[1024];
    expect_json("{\"wAny\":{\"@type\":\"type.googleapis.com/kitchen.Detail\",\"reason\":\"r\",\"metadata\":{\"k\":\"v\"}}}",
                "{\"wAny\":{\"@type\":\"type.googleapis.com/kitchen.Detail\",\"reason\":\"r\",\"metadata\":{\"k\":\"v\"}}}");
    /* "@type" may come anywhere; output puts it first. */
    expect_json("{\"wAny\":{\"reason\":\"r\",\"@type\":\"type.googleapis.com/kitchen.Detail\"}}",
                "{\"wAny\":{\"@type\":\"type.googleapis.com/kitchen.Detail\",\"reason\":\"r\"}}");
    static const char *special[][2] = {
        {"google.protobuf.Duration", "\"1.500s\""}, {"google.protobuf.Timestamp", "\"2020-01-01T00:00:00Z\""},
        {"google.protobuf.FieldMask", "\"a.bC\""}, {"google.protobuf.Struct", "{\"a\":[1]}"},
        {"google.protobuf.Value", "null"}, {"google.protobuf.Value", "{\"x\":\"y\"}"}, {"google.protobuf.ListValue", "[true]"},
        {"google.protobuf.Int32Value", "-1"}, {"google.protobuf.StringValue", "\"\""}, {"google.protobuf.BytesValue", "\"AA==\""},
        {"google.protobuf.Any", "{\"@type\":\"type.googleapis.com/kitchen.Nested\",\"count\":1}"},
        {"google.protobuf.Any", "{}"},
    };
    for (size_t i = 0; i < sizeof special / sizeof special[0]; i++) {
        snprintf(in, sizeof in, "{\"wAny\":{\"value\":%s,\"@type\":\"%s%s\"}}", special[i][1], T, special[i][0]);
        snprintf(want, sizeof want, "{\"wAny\":{\"@type\":\"%s%s\",\"value\":%s}}", T, special[i][0], special[i][1]);
        expect_json(in, want);
    }
    /* Empty has no special form: its (no) fields sit next to "@type". */
    expect_json("{\"wAny\":{\"@type\":\"x.com/google.protobuf.Empty\"}}", "{\"wAny\":{\"@type\":\"x.com/google.protobuf.Empty\"}}");
    expect_json("{\"wAny\":{}}", "{\"wAny\":{}}");
    /* A type the pool does not know keeps its bytes, both ways. */
    expect_json("{\"rAny\":[{\"@type\":\"type.googleapis.com/nope.T\",\"value\":\"AQI=\"}]}",
                "{\"rAny\":[{\"@type\":\"type.googleapis.com/nope.T\",\"value\":\"AQI=\"}]}");
    expect_json("{\"wAny\":{\"@type\":\"kitchen.Detail\",\"reason\":\"no slash\"}}",
                "{\"wAny\":{\"@type\":\"kitchen.Detail\",\"reason\":\"no slash\"}}");
    json_opts dflt = {.emit_defaults = true};
    buf pb = BUF_INIT, out = BUF_INIT;
    ck_assert_ptr_null(encode(msg("google.protobuf.Any"), "{\"@type\":\"t/kitchen.Detail\"}", &no_opts, &pb));
    ck_assert_ptr_null(pb_to_json(pool, msg("google.protobuf.Any"), pb.data, pb.len, &dflt, &out));
    ck_assert_str_eq((char *)out.data, "{\"@type\":\"t/kitchen.Detail\",\"reason\":\"\",\"metadata\":{}}");
    buf_free(&pb);
    buf_free(&out);

    expect_error("{\"wAny\":{\"reason\":\"r\"}}", "invalid value for field 'wAny' (google.protobuf.Any): \"@type\" is missing");
    expect_error("{\"wAny\":{\"@type\":5}}", "\"@type\" must be a non-empty string");
    expect_error("{\"wAny\":{\"@type\":\"\"}}", "\"@type\" must be a non-empty string");
    expect_error("{\"wAny\":{\"@type\":\"t/nope.T\",\"x\":1}}", "type 't/nope.T' named by \"@type\" is not known");
    expect_error("{\"wAny\":{\"@type\":\"t/nope.T\",\"value\":\"!\"}}", "must be base64");
    expect_error("{\"wAny\":{\"@type\":\"t/google.protobuf.Duration\"}}", "\"value\" is missing");
    expect_error("{\"wAny\":{\"@type\":\"t/google.protobuf.Duration\",\"value\":\"1s\",\"x\":1}}",
                 "unknown field 'x' next to \"@type\" and \"value\"");
    expect_error("{\"wAny\":{\"@type\":\"t/google.protobuf.Duration\",\"value\":1}}",
                 "invalid value for field 'wAny.value' (google.protobuf.Duration)");
    expect_error("{\"wAny\":{\"@type\":\"t/kitchen.Detail\",\"bogus\":1}}", "unknown field 'wAny.bogus' in message kitchen.Detail");
    expect_error("{\"wAny\":{\"@type\":\"t/kitchen.Detail\",\"value\":\"x\"}}", "unknown field 'wAny.value' in message kitchen.Detail");
    expect_error("{\"wAny\":[]}", "expected an object with \"@type\", got an array");
    expect_render_error(msg("google.protobuf.Any"), "1201ff", "a value without a type URL");
}
END_TEST

START_TEST(entry_points_for_fields_and_status_details)
{
    /* pb_field_to_json: one field's value (response_body), or its default form when absent. */
    buf pb = BUF_INIT, out = BUF_INIT;
    ck_assert_ptr_null(encode(everything, "{\"nested\":{\"label\":\"x\"},\"rInt32\":[1,2],\"fString\":\"s\","
                                          "\"mStringInt32\":{\"a\":1},\"wTimestamp\":\"1970-01-01T00:00:00Z\"}", &no_opts, &pb));
    struct { const char *field, *want; } cases[] = {
        {"nested", "{\"label\":\"x\"}"}, {"r_int32", "[1,2]"}, {"f_string", "\"s\""}, {"m_string_int32", "{\"a\":1}"},
        {"w_timestamp", "\"1970-01-01T00:00:00Z\""}, {"f_int32", "0"}, {"f_int64", "\"0\""}, {"r_nested", "[]"},
        {"recursive", "{}"}, {"w_duration", "\"0s\""}, {"w_value", "null"}, {"m_bool_string", "{}"},
        {"f_enum", "\"COLOR_UNSPECIFIED\""}, {"w_int32", "0"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        buf_reset(&out);
        const pb_field *f = pb_msg_field_by_name(everything, cases[i].field, strlen(cases[i].field));
        gw_err *e = pb_field_to_json(pool, everything, f, pb.data, pb.len, &no_opts, &out);
        ck_assert_msg(e == NULL, "%s", e ? e->message : "");
        ck_assert_msg(strcmp((char *)out.data, cases[i].want) == 0, "%s: got %s want %s", cases[i].field,
                      (char *)out.data, cases[i].want);
    }
    buf_reset(&out);
    const uint8_t bad[] = {0x28};
    gw_err *e = pb_field_to_json(pool, everything, pb_msg_field_by_number(everything, 5), bad, 1, &no_opts, &out);
    ck_assert_ptr_nonnull(e);
    ck_assert_int_eq(e->code, GRPC_STATUS_INTERNAL);
    gw_err_free(e);

    /* pb_any_to_json: google.rpc.Status details. */
    buf_reset(&pb);
    ck_assert_ptr_null(encode(msg("kitchen.Detail"), "{\"reason\":\"quota\",\"metadata\":{\"b\":\"2\",\"a\":\"1\"}}", &no_opts, &pb));
    const char *url = "type.googleapis.com/kitchen.Detail";
    buf_reset(&out);
    ck_assert_ptr_null(pb_any_to_json(pool, url, strlen(url), pb.data, pb.len, &no_opts, &out));
    ck_assert_str_eq((char *)out.data,
                     "{\"@type\":\"type.googleapis.com/kitchen.Detail\",\"reason\":\"quota\",\"metadata\":{\"a\":\"1\",\"b\":\"2\"}}");
    const char *unknown = "type.googleapis.com/google.rpc.ErrorInfo";
    buf_reset(&out);
    ck_assert_ptr_null(pb_any_to_json(pool, unknown, strlen(unknown), (const uint8_t *)"\x0a\x01x", 3, &no_opts, &out));
    ck_assert_str_eq((char *)out.data, "{\"@type\":\"type.googleapis.com/google.rpc.ErrorInfo\",\"value\":\"CgF4\"}");
    const char *dur = "type.googleapis.com/google.protobuf.Duration";
    buf_reset(&out);
    ck_assert_ptr_null(pb_any_to_json(pool, dur, strlen(dur), (const uint8_t *)"\x08\x05", 2, &no_opts, &out));
    ck_assert_str_eq((char *)out.data, "{\"@type\":\"type.googleapis.com/google.protobuf.Duration\",\"value\":\"5s\"}");
    /* A whole google.rpc.Status with details. */
    const pb_msg *status = msg("google.rpc.Status");
    expect_json_o(status, "{\"code\":5,\"message\":\"not found\",\"details\":[{\"@type\":\"type.googleapis.com/kitchen.Retry\","
                          "\"delay\":\"2s\"},{\"@type\":\"type.googleapis.com/kitchen.Detail\",\"reason\":\"r\"}]}", &no_opts,
                  "{\"code\":5,\"message\":\"not found\",\"details\":[{\"@type\":\"type.googleapis.com/kitchen.Retry\","
                  "\"delay\":\"2s\"},{\"@type\":\"type.googleapis.com/kitchen.Detail\",\"reason\":\"r\"}]}");
    buf_free(&pb);
    buf_free(&out);
}
END_TEST

/* ------------------------------------------------------------------ depth limits */

static char *nested_json(const char *open, const char *inner, const char *close, int levels)
{
    buf b = BUF_INIT;
    for (int i = 0; i < levels; i++) buf_append_str(&b, open);
    buf_append_str(&b, inner);
    for (int i = 0; i < levels; i++) buf_append_str(&b, close);
    return (char *)buf_steal(&b, NULL);
}

/* levels nested `recursive` fields around an fInt32, as wire bytes built inside out. */
static void nested_wire(int levels, buf *out)
{
    buf cur = BUF_INIT, next = BUF_INIT;
    pbw_put_tag(&cur, 5, PBW_VARINT);
    pbw_put_varint(&cur, 1);
    for (int i = 0; i < levels; i++) {
        buf_reset(&next);
        pbw_put_len_field(&next, 72, cur.data, cur.len);
        buf tmp = cur;
        cur = next;
        next = tmp;
    }
    buf_append(out, cur.data, cur.len);
    buf_free(&cur);
    buf_free(&next);
}

START_TEST(depth_limits_both_ways)
{
    json_opts five = {.max_depth = 5};
    char *ok = nested_json("{\"recursive\":", "{}", "}", 4);            /* 5 messages */
    char *deep = nested_json("{\"recursive\":", "{}", "}", 5);          /* 6 messages */
    buf pb = BUF_INIT, out = BUF_INIT;
    ck_assert_ptr_null(encode(everything, ok, &five, &pb));
    expect_error_o(everything, deep, &five, "nesting exceeds the limit of 5 levels at field 'recursive.recursive.recursive.recursive.recursive'");
    free(ok);
    free(deep);
    /* Value nesting counts too (a Struct or a ListValue is not a level of its own). */
    char *vals = nested_json("[", "1", "]", 3);
    char in[256];
    snprintf(in, sizeof in, "{\"wValue\":%s}", vals);
    ck_assert_ptr_null(encode(everything, in, &five, &pb));            /* Everything + 4 Values */
    free(vals);
    vals = nested_json("[", "1", "]", 4);
    snprintf(in, sizeof in, "{\"wValue\":%s}", vals);
    expect_error_o(everything, in, &five, "nesting exceeds the limit of 5");
    free(vals);
    /* Hostile depth within what jansson parses: refused, no stack overflow. */
    char *hostile = nested_json("[", "null", "]", 2000);
    json_t *j = parse(hostile);
    gw_err *e = json_to_pb(pool, msg("google.protobuf.Value"), j, &no_opts, &pb);
    ck_assert_ptr_nonnull(e);
    ck_assert(strstr(e->message, "nesting exceeds the limit of 64") != NULL);
    gw_err_free(e);
    json_decref(j);
    free(hostile);
    json_opts huge = {.max_depth = 1000000};                              /* capped */
    hostile = nested_json("{\"recursive\":", "{}", "}", 600);
    expect_error_o(everything, hostile, &huge, "nesting exceeds the limit of 512");
    free(hostile);

    /* Output side. */
    buf_reset(&pb);
    nested_wire(4, &pb);
    ck_assert_ptr_null(pb_to_json(pool, everything, pb.data, pb.len, &five, &out));
    buf_reset(&pb);
    nested_wire(5, &pb);
    e = pb_to_json(pool, everything, pb.data, pb.len, &five, &out);
    ck_assert_ptr_nonnull(e);
    ck_assert_int_eq(e->code, GRPC_STATUS_INTERNAL);
    ck_assert_msg(strstr(e->message, "nesting exceeds the limit of 5") != NULL, "%s", e->message);
    gw_err_free(e);
    buf_reset(&pb);
    nested_wire(3000, &pb);
    e = pb_to_json(pool, everything, pb.data, pb.len, &no_opts, &out);
    ck_assert_ptr_nonnull(e);
    gw_err_free(e);
    buf_free(&pb);
    buf_free(&out);
}
END_TEST

/* ------------------------------------------------------------------ wire decoding */

static void w_varint(buf *b, uint32_t f, uint64_t v)
{
    pbw_put_tag(b, f, PBW_VARINT);
    pbw_put_varint(b, v);
}

static void w_str(buf *b, uint32_t f, const char *s) { pbw_put_len_field(b, f, s, strlen(s)); }
static void w_buf(buf *b, uint32_t f, const buf *inner) { pbw_put_len_field(b, f, inner->data, inner->len); }

/* Kitchen field numbers used below. */
enum { F_DOUBLE = 1, F_INT32 = 5, F_STRING = 9, F_ENUM = 12, F_BOOL = 8, R_INT32 = 25, U_INT32 = 45,
       R_STRING = 29, NESTED = 70, R_NESTED = 71, M_STRING_INT32 = 80, CHOICE_STR = 90, CHOICE_INT = 91,
       LEGACY = 140 };

typedef struct wire_case {
    const char *name;
    buf data;
    const char *want;                     /* exact expected JSON, or NULL for "as Python renders it" */
} wire_case;

static void build_wire_cases(wire_case *c, size_t *n)
{
    buf t = BUF_INIT, e = BUF_INIT;
    size_t k = 0;
#define CASE(nm, wanted) (c[k].name = (nm), c[k].want = (wanted), buf_init(&c[k].data), &c[k++].data)
    buf *b = CASE("packed field sent unpacked", "{\"rInt32\":[1,2]}");
    w_varint(b, R_INT32, 1);
    w_varint(b, R_INT32, 2);
    b = CASE("unpacked field sent packed", "{\"uInt32\":[1,2]}");
    pbw_put_len_field(b, U_INT32, "\x01\x02", 2);
    b = CASE("packed and unpacked mixed", "{\"rInt32\":[1,2,3,4]}");
    pbw_put_len_field(b, R_INT32, "\x01\x02", 2);
    w_varint(b, R_INT32, 3);
    pbw_put_len_field(b, R_INT32, "\x04", 1);
    b = CASE("fields out of order", "{\"fDouble\":0.5,\"fInt32\":5,\"fString\":\"a\"}");
    w_str(b, F_STRING, "a");
    w_varint(b, F_INT32, 5);
    pbw_put_tag(b, F_DOUBLE, PBW_FIXED64);
    pbw_put_fixed64(b, pbw_double_bits(0.5));
    b = CASE("singular scalar twice: last wins", "{\"fInt32\":2}");
    w_varint(b, F_INT32, 1);
    w_varint(b, F_INT32, 2);
    b = CASE("singular message twice: merged", "{\"fInt32\":3,\"nested\":{\"label\":\"b\",\"count\":2,\"tags\":[\"x\",\"y\"]}}");
    buf_reset(&t);
    w_str(&t, 1, "a");
    w_str(&t, 3, "x");
    w_buf(b, NESTED, &t);
    w_varint(b, F_INT32, 3);
    buf_reset(&t);
    w_varint(&t, 2, 2);
    w_str(&t, 3, "y");
    w_str(&t, 1, "b");
    w_buf(b, NESTED, &t);
    b = CASE("oneof twice: last member wins", "{\"choiceInt\":\"5\"}");
    w_str(b, CHOICE_STR, "a");
    w_varint(b, CHOICE_INT, 5);
    b = CASE("oneof twice, other order", "{\"choiceStr\":\"a\"}");
    w_varint(b, CHOICE_INT, 5);
    w_str(b, CHOICE_STR, "a");
    b = CASE("map key repeated: last entry wins", "{\"mStringInt32\":{\"a\":3,\"b\":2}}");
    for (int i = 0; i < 3; i++) {
        buf_reset(&e);
        w_str(&e, 1, i == 1 ? "b" : "a");
        w_varint(&e, 2, (uint64_t)i + 1);
        w_buf(b, M_STRING_INT32, &e);
    }
    b = CASE("map entries: value first, value missing, key missing", "{\"mStringInt32\":{\"\":7,\"k\":1,\"m\":0}}");
    buf_reset(&e);
    w_varint(&e, 2, 1);
    w_str(&e, 1, "k");
    w_buf(b, M_STRING_INT32, &e);
    buf_reset(&e);
    w_str(&e, 1, "m");
    w_buf(b, M_STRING_INT32, &e);
    buf_reset(&e);
    w_varint(&e, 2, 7);
    w_buf(b, M_STRING_INT32, &e);
    b = CASE("unknown fields of every wire type are skipped", "{\"fInt32\":1}");
    w_varint(b, 999, 5);
    pbw_put_tag(b, 998, PBW_FIXED64);
    pbw_put_fixed64(b, 1);
    w_str(b, 997, "zz");
    pbw_put_tag(b, 996, PBW_SGROUP);
    w_varint(b, 1, 1);
    pbw_put_tag(b, 995, PBW_SGROUP);
    pbw_put_tag(b, 995, PBW_EGROUP);
    pbw_put_tag(b, 996, PBW_EGROUP);
    pbw_put_tag(b, 994, PBW_FIXED32);
    pbw_put_fixed32(b, 1);
    w_varint(b, F_INT32, 1);
    w_varint(b, 993, 1);
    b = CASE("known numbers with the wrong wire type are unknown fields", "{\"fString\":\"s\"}");
    w_str(b, F_INT32, "x");
    w_varint(b, F_STRING, 3);
    w_str(b, F_STRING, "s");
    b = CASE("repeated message split by another field", "{\"fInt32\":1,\"rNested\":[{},{\"count\":1}]}");
    pbw_put_len_field(b, R_NESTED, "", 0);
    w_varint(b, F_INT32, 1);
    buf_reset(&t);
    w_varint(&t, 2, 1);
    w_buf(b, R_NESTED, &t);
    b = CASE("repeated string split by another field", "{\"fInt32\":1,\"rString\":[\"a\",\"b\"]}");
    w_str(b, R_STRING, "a");
    w_varint(b, F_INT32, 1);
    w_str(b, R_STRING, "b");
    b = CASE("overlong varint, 5-byte int32, bool 2, unknown enum", "{\"fInt32\":-1,\"fBool\":true,\"fEnum\":99,\"oInt32\":5}");
    buf_append(b, "\x28\xff\xff\xff\xff\x0f", 6);
    w_varint(b, F_BOOL, 2);
    w_varint(b, F_ENUM, 99);
    buf_append(b, "\xe8\x03\x85\x80\x00", 5);                         /* o_int32 (61) = 5, padded */
    b = CASE("NaN with a payload", "{\"fDouble\":\"NaN\"}");
    pbw_put_tag(b, F_DOUBLE, PBW_FIXED64);
    pbw_put_fixed64(b, 0x7ff0000000000001ull);
    b = CASE("implicit fields sent at their default are not printed", "{}");
    w_varint(b, F_INT32, 0);
    w_str(b, F_STRING, "");
    w_varint(b, F_ENUM, 0);
    b = CASE("a long nested message", NULL);
    buf_reset(&t);
    for (int i = 0; i < 50; i++) w_str(&t, 3, "a tag of some length");
    w_buf(b, NESTED, &t);
#undef CASE
    *n = k;
    buf_free(&t);
    buf_free(&e);
}

START_TEST(wire_variants_match_python)
{
    wire_case cases[32];
    size_t n;
    build_wire_cases(cases, &n);
    json_t *reqs = json_array();
    for (size_t i = 0; i < n; i++) {
        char *h = hex(cases[i].data.data, cases[i].data.len);
        json_array_append_new(reqs, json_pack("{sssssss{}}", "op", "render", "type", "kitchen.Everything", "hex", h, "opts"));
        free(h);
    }
    json_t *answers = oracle(reqs);
    for (size_t i = 0; i < n; i++) {
        buf out = BUF_INIT;
        gw_err *e = pb_to_json(pool, everything, cases[i].data.data, cases[i].data.len, &no_opts, &out);
        ck_assert_msg(e == NULL, "%s: %s", cases[i].name, e ? e->message : "");
        if (cases[i].want)
            ck_assert_msg(strcmp((char *)out.data, cases[i].want) == 0, "%s: got %s want %s", cases[i].name,
                          (char *)out.data, cases[i].want);
        json_t *a = json_array_get(answers, i);
        ck_assert_msg(json_is_true(json_object_get(a, "ok")), "%s: python: %s", cases[i].name,
                      json_string_value(json_object_get(a, "error")));
        const char *py = json_string_value(json_object_get(a, "json"));
        ck_assert_msg(sem_equal_text((char *)out.data, py, false), "%s:\n  ours   %s\n  python %s", cases[i].name,
                      (char *)out.data, py);
        buf_free(&out);
        buf_free(&cases[i].data);
    }
    json_decref(reqs);
    json_decref(answers);

    /* Beyond Python's reach: groups (skipped) and invalid UTF-8 (replaced). */
    buf b = BUF_INIT, l = BUF_INIT, g = BUF_INIT;
    w_varint(&l, 1, 1);
    pbw_put_tag(&l, 6, PBW_SGROUP);
    w_varint(&l, 7, 5);
    pbw_put_tag(&l, 6, PBW_EGROUP);
    w_str(&l, 2, "r");
    w_buf(&b, LEGACY, &l);
    w_str(&b, F_STRING, "a\xff\xc0z");
    buf out = BUF_INIT;
    ck_assert_ptr_null(pb_to_json(pool, everything, b.data, b.len, &no_opts, &out));
    ck_assert_str_eq((char *)out.data, "{\"fString\":\"a\xef\xbf\xbd\xef\xbf\xbdz\",\"legacy\":{\"optInt\":1,\"reqStr\":\"r\"}}");
    buf_free(&b);
    buf_free(&l);
    buf_free(&g);
    buf_free(&out);
}
END_TEST

/* Regressions found by fuzzing (tests/fuzz). */
START_TEST(fuzz_regressions)
{
    /* Negative zero survives a round trip through jansson (which reads "-0" as the integer 0). */
    expect_json("{\"rDouble\":[\"Infinity\",-0.0],\"wDouble\":-0.0,\"wValue\":-0.0}",
                "{\"rDouble\":[\"Infinity\",-0.0],\"wValue\":-0.0,\"wDouble\":-0.0}");
    /* No data at all (NULL, 0) is the empty message, not pointer arithmetic on NULL. */
    buf out = BUF_INIT;
    ck_assert_ptr_null(pb_to_json(pool, everything, NULL, 0, &no_opts, &out));
    ck_assert_str_eq((char *)out.data, "{}");
    buf_reset(&out);
    ck_assert_ptr_null(pb_field_to_json(pool, everything, pb_msg_field_by_number(everything, 70), NULL, 0, &no_opts, &out));
    ck_assert_str_eq((char *)out.data, "{}");
    /* NullValue: only null (or NULL_VALUE, 0) on input; any number on the wire is its one value. */
    expect_error("{\"wNull\":5}", "invalid value for field 'wNull' (google.protobuf.NullValue): 5 is not null");
    expect_error("{\"wNull\":\"x\"}", "\"x\" is not null");
    expect_json("{\"wNull\":0,\"rAny\":[]}", "{}");
    expect_render(everything, "a80705", &no_opts, "{}");
    json_opts dflt = {.emit_defaults = true};
    buf_reset(&out);
    ck_assert_ptr_null(pb_to_json(pool, msg("google.protobuf.Value"), (const uint8_t *)"\x08\x05", 2, &dflt, &out));
    ck_assert_str_eq((char *)out.data, "null");
    buf_free(&out);
    /* A 32-bit field's varint with only high bits set is 0, the default: not printed. */
    expect_render(everything, "288080808010" "608180808010", &no_opts, "{\"fEnum\":\"COLOR_RED\"}");
    /* Map keys that are not UTF-8 print with U+FFFD; keys that print alike are one key (the last). */
    expect_render(everything, "820505" "0a01ff" "1001" "820505" "0a01fe" "1002" "820504" "0a00" "1003", &no_opts,
                  "{\"mStringInt32\":{\"\":3,\"\xef\xbf\xbd\":2}}");
    /* Unknown enum names dropped under allow_unknown leave no empty packed record behind. */
    json_opts lax = {.allow_unknown = true};
    buf_reset(&out);
    ck_assert_ptr_null(encode(everything, "{\"rEnum\":[\"PURPLE\"]}", &lax, &out));
    ck_assert_uint_eq(out.len, 0);
    /* A repeated field sent as empty packed records has no elements: it is not printed. */
    expect_render(everything, "e20100" "ca0100" "28" "01", &no_opts, "{\"fInt32\":1}");
    buf_reset(&out);
    ck_assert_ptr_null(pb_to_json(pool, everything, (const uint8_t *)"\xe2\x01\x00", 3, &dflt, &out));
    ck_assert(strstr((char *)out.data, "\"rBool\":[],") != NULL);
    /* FieldMask paths that could not be read back are refused both ways. */
    const pb_msg *fm = msg("google.protobuf.FieldMask");
    expect_render_error(fm, "0a0300612e", "a character no field name has");    /* "\0a." */
    expect_render_error(fm, "0a03612c62", "a character no field name has");    /* "a,b" */
    expect_render_error(fm, "0a00", "a FieldMask path is empty");
    expect_error("{\"wFieldMask\":\"a-b\"}", "is not a list of lowerCamelCase paths");
    expect_error("{\"wFieldMask\":\"a b\"}", "is not a list of lowerCamelCase paths");
    expect_json("{\"wFieldMask\":\"A.b1C\"}", "{\"wFieldMask\":\"A.b1C\"}");
    /* U+0000 in a map key prints as \u0000 (valid JSON, even if jansson cannot read such keys). */
    expect_render(everything, "8205070a03610062" "1001", &no_opts, "{\"mStringInt32\":{\"a\\u0000b\":1}}");
    buf_free(&out);
}
END_TEST

START_TEST(malformed_wire_is_internal)
{
    expect_render_error(everything, "28", "invalid protobuf data for kitchen.Everything: truncated or invalid record");
    expect_render_error(everything, "4a05ab", "truncated or invalid record");
    expect_render_error(everything, "00", "truncated or invalid record");
    expect_render_error(everything, "0f", "truncated or invalid record");
    expect_render_error(everything, "0c", "truncated or invalid record");
    expect_render_error(everything, "0b", "truncated or invalid record");
    expect_render_error(everything, "28ffffffffffffffffffff01", "truncated or invalid record");
    expect_render_error(everything, "b2040128", "invalid protobuf data for kitchen.Nested at field 'nested': truncated");
    expect_render_error(everything, "b20403220128",
                        "invalid protobuf data for kitchen.Nested at field 'nested.child': truncated");
    expect_render_error(everything, "ca010201ff", "at field 'r_int32[1]': truncated packed value");
    expect_render_error(everything, "da0103010203", "at field 'r_fixed32[0]': truncated packed value");
    expect_render_error(everything, "8205020a05", "at field 'm_string_int32[0]': malformed map entry");
    expect_render_error(everything, "a20603120100", "google.protobuf.Any: a value without a type URL");
    /* Every truncation of a valid message fails cleanly or renders a prefix, never crashes. */
    buf pb = BUF_INIT, out = BUF_INIT;
    ck_assert_ptr_null(encode(everything, "{\"fInt32\":5,\"nested\":{\"label\":\"xyz\",\"child\":{\"count\":3}},"
                                          "\"rInt32\":[1,300,70000],\"mStringInt32\":{\"a\":1},\"wAny\":{\"@type\":\"t/kitchen.Detail\","
                                          "\"reason\":\"q\"},\"fDouble\":1.5}", &no_opts, &pb));
    for (size_t cut = 0; cut < pb.len; cut++) {
        buf_reset(&out);
        gw_err *e = pb_to_json(pool, everything, pb.data, cut, &no_opts, &out);
        if (e) {
            ck_assert_int_eq(e->code, GRPC_STATUS_INTERNAL);
            gw_err_free(e);
        }
    }
    buf_free(&pb);
    buf_free(&out);
}
END_TEST

/* ------------------------------------------------------------------ protoc as the wire oracle */

START_TEST(protoc_encoded_messages_render)
{
    static const struct { const char *text, *want; } cases[] = {
        {"f_double: 1.5 f_float: -0.25 f_int64: -1 f_uint64: 18446744073709551615 f_int32: -2147483648 f_fixed64: 1 "
         "f_fixed32: 4294967295 f_bool: true f_string: \"h\\303\\251\" f_bytes: \"\\000\\377\" f_uint32: 7 "
         "f_enum: COLOR_INFRARED f_sfixed32: -3 f_sfixed64: -4 f_sint32: -5 f_sint64: -6",
         "{\"fDouble\":1.5,\"fFloat\":-0.25,\"fInt64\":\"-1\",\"fUint64\":\"18446744073709551615\",\"fInt32\":-2147483648,"
         "\"fFixed64\":\"1\",\"fFixed32\":4294967295,\"fBool\":true,\"fString\":\"h\xc3\xa9\",\"fBytes\":\"AP8=\",\"fUint32\":7,"
         "\"fEnum\":\"COLOR_INFRARED\",\"fSfixed32\":-3,\"fSfixed64\":\"-4\",\"fSint32\":-5,\"fSint64\":\"-6\"}"},
        {"r_int32: [1, -1] r_sint64: [-2] u_int32: [3] u_enum: [COLOR_RED, COLOR_BLUE] r_string: [\"a\", \"\"] "
         "r_bytes: [\"x\"] r_double: [0.5] r_float: [0.1] r_bool: [true, false] u_sfixed64: [-9]",
         "{\"rDouble\":[0.5],\"rFloat\":[0.1],\"rInt32\":[1,-1],\"rBool\":[true,false],\"rString\":[\"a\",\"\"],"
         "\"rBytes\":[\"eA==\"],\"rSint64\":[\"-2\"],\"uInt32\":[3],\"uEnum\":[\"COLOR_RED\",\"COLOR_BLUE\"],\"uSfixed64\":[\"-9\"]}"},
        {"m_string_int32 { key: \"b\" value: 2 } m_string_int32 { key: \"a\" value: 1 } "
         "m_int64_nested { key: -1 value { label: \"x\" } } m_bool_string { key: true value: \"t\" } "
         "m_sint32_double { key: -7 value: 0.25 }",
         "{\"mStringInt32\":{\"a\":1,\"b\":2},\"mInt64Nested\":{\"-1\":{\"label\":\"x\"}},\"mBoolString\":{\"true\":\"t\"},"
         "\"mSint32Double\":{\"-7\":0.25}}"},
        {"o_int32: 0 o_string: \"\" choice_msg { count: 1 }", "{\"oInt32\":0,\"oString\":\"\",\"choiceMsg\":{\"count\":1}}"},
        {"w_any { [type.googleapis.com/kitchen.Detail] { reason: \"r\" } } w_timestamp { seconds: 1 nanos: 1000 } "
         "w_duration { seconds: -1 nanos: -500000000 } w_field_mask { paths: \"a_b.c\" paths: \"d\" } w_empty {} "
         "w_struct { fields { key: \"k\" value { list_value { values { number_value: 1 } values { null_value: NULL_VALUE } } } } } "
         "w_value { bool_value: true } w_list_value {} w_double { value: 0 } w_string { value: \"s\" }",
         "{\"wAny\":{\"@type\":\"type.googleapis.com/kitchen.Detail\",\"reason\":\"r\"},\"wTimestamp\":\"1970-01-01T00:00:01.000001Z\","
         "\"wDuration\":\"-1.500s\",\"wFieldMask\":\"aB.c,d\",\"wEmpty\":{},\"wStruct\":{\"k\":[1,null]},\"wValue\":true,"
         "\"wListValue\":[],\"wDouble\":0,\"wString\":\"s\"}"},
        {"legacy { opt_int: 0 req_str: \"r\" unpacked_ints: [1, 2] packed_ints: [3] Blob { blob_id: 5 } mood: MOOD_SAD }",
         "{\"legacy\":{\"optInt\":0,\"reqStr\":\"r\",\"unpackedInts\":[1,2],\"packedInts\":[3],\"mood\":\"MOOD_SAD\"}}"},
        {"recursive { recursive { f_int32: 1 } r_recursive { f_string: \"x\" } r_recursive {} } field_name1: 1 "
         "_field_name3: 3 renamed: \"j\"",
         "{\"recursive\":{\"recursive\":{\"fInt32\":1},\"rRecursive\":[{\"fString\":\"x\"},{}]},\"fieldName1\":1,"
         "\"FieldName3\":3,\"customJson\":\"j\"}"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        buf pb = BUF_INIT, out = BUF_INIT, back = BUF_INIT;
        protoc_encode("kitchen.Everything", cases[i].text, &pb);
        gw_err *e = pb_to_json(pool, everything, pb.data, pb.len, &no_opts, &out);
        ck_assert_msg(e == NULL, "%s: %s", cases[i].text, e ? e->message : "");
        ck_assert_msg(strcmp((char *)out.data, cases[i].want) == 0, "case %zu\n  got  %s\n  want %s", i, (char *)out.data,
                      cases[i].want);
        /* ...and back: our encoding of that JSON decodes (protoc) to the same text as the original bytes. */
        buf t1 = BUF_INIT, t2 = BUF_INIT;
        e = encode(everything, (char *)out.data, &no_opts, &back);
        ck_assert_msg(e == NULL, "%s", e ? e->message : "");
        protoc_decode("kitchen.Everything", pb.data, pb.len, &t1);
        protoc_decode("kitchen.Everything", back.data, back.len, &t2);
        if (i != 5)   /* the proto2 group is not carried through JSON */
            ck_assert_msg(t1.len == t2.len && memcmp(t1.data, t2.data, t1.len) == 0, "case %zu:\n%s\nvs\n%s", i,
                          (char *)t1.data, (char *)t2.data);
        buf_free(&t1);
        buf_free(&t2);
        buf_free(&pb);
        buf_free(&out);
        buf_free(&back);
    }
}
END_TEST

START_TEST(protoc_decodes_what_we_encode)
{
    buf pb = BUF_INIT, text = BUF_INIT;
    ck_assert_ptr_null(encode(everything, "{\"fInt32\":5,\"fString\":\"you\",\"rInt32\":[1,2],\"nested\":{\"label\":\"x\"},"
                                          "\"mStringInt32\":{\"a\":1},\"wTimestamp\":\"1970-01-01T00:00:01Z\",\"fSint64\":\"-3\"}",
                              &no_opts, &pb));
    protoc_decode("kitchen.Everything", pb.data, pb.len, &text);
    ck_assert_str_eq((char *)text.data, "f_int32: 5\nf_string: \"you\"\nf_sint64: -3\nr_int32: 1\nr_int32: 2\n"
                                        "nested {\n  label: \"x\"\n}\nm_string_int32 {\n  key: \"a\"\n  value: 1\n}\n"
                                        "w_timestamp {\n  seconds: 1\n}\n");
    /* Length prefixes wider than one byte, nested, in every position. */
    buf big = BUF_INIT, in = BUF_INIT;
    for (int i = 0; i < 200; i++) buf_append_byte(&big, (uint8_t)('a' + i % 26));
    buf_printf(&in, "{\"nested\":{\"label\":\"%s\",\"child\":{\"label\":\"%s\",\"child\":{\"tags\":[\"%s\",\"x\"]}},"
                    "\"count\":1},\"rNested\":[{\"label\":\"%s\"},{}],\"rInt32\":[", big.data, big.data, big.data, big.data);
    for (int i = 0; i < 100; i++) buf_printf(&in, "%s%d", i ? "," : "", i * 1000);
    buf_printf(&in, "],\"mStringEverything\":{\"k\":{\"fString\":\"%s\",\"recursive\":{\"fBytes\":\"%s\"}}},\"fInt32\":7}",
               big.data, big.data);
    buf_reset(&pb);
    ck_assert_ptr_null(encode(everything, (char *)in.data, &no_opts, &pb));
    buf_reset(&text);
    protoc_decode("kitchen.Everything", pb.data, pb.len, &text);
    ck_assert(strstr((char *)text.data, "f_int32: 7\n") != NULL);
    ck_assert(strstr((char *)text.data, "r_int32: 99000\n") != NULL);
    buf out = BUF_INIT;
    ck_assert_ptr_null(pb_to_json(pool, everything, pb.data, pb.len, &no_opts, &out));
    ck_assert(sem_equal_text((char *)in.data, (char *)out.data, false));
    buf_free(&pb);
    buf_free(&text);
    buf_free(&big);
    buf_free(&in);
    buf_free(&out);
}
END_TEST

/* ------------------------------------------------------------------ Python as the JSON oracle */

/* For each sample: our bytes must equal Python's parse of the same JSON, and our rendering of
 * Python's bytes must equal Python's rendering, under each option set. */
static void cross_check(const char *const *samples, size_t n, const json_opts *opt_sets, size_t n_opts)
{
    json_t *reqs = json_array();
    char **ours = calloc(n * n_opts, sizeof *ours);
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < n_opts; k++) {
            buf pb = BUF_INIT;
            gw_err *e = encode(everything, samples[i], &opt_sets[k], &pb);
            ck_assert_msg(e == NULL, "%s: %s", samples[i], e ? e->message : "");
            ours[i * n_opts + k] = hex(pb.data, pb.len);
            json_array_append_new(reqs, json_pack("{s:s,s:s,s:s,s:s,s:o}", "op", "check", "type", "kitchen.Everything", "json",
                                                  samples[i], "ours", ours[i * n_opts + k], "opts", opts_json(&opt_sets[k])));
            buf_free(&pb);
        }
    json_t *answers = oracle(reqs);
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < n_opts; k++) {
            json_t *a = json_array_get(answers, i * n_opts + k);
            ck_assert_msg(json_is_true(json_object_get(a, "py_ok")), "python refused %s: %s", samples[i],
                          json_string_value(json_object_get(a, "py_error")));
            ck_assert_msg(json_is_true(json_object_get(a, "same")), "%s\n  ours:\n%s\n  python:\n%s", samples[i],
                          json_string_value(json_object_get(a, "ours_text")),
                          json_string_value(json_object_get(a, "py_text")));
            const char *py_hex = json_string_value(json_object_get(a, "py_hex"));
            const char *py_json = json_string_value(json_object_get(a, "py_json"));
            ck_assert_msg(py_json != NULL, "python could not render %s: %s", samples[i],
                          json_string_value(json_object_get(a, "py_error")));
            uint8_t *data = malloc(strlen(py_hex) / 2 + 1);
            size_t len = unhex(py_hex, data);
            buf out = BUF_INIT;
            gw_err *e = pb_to_json(pool, everything, data, len, &opt_sets[k], &out);
            ck_assert_msg(e == NULL, "%s: %s", samples[i], e ? e->message : "");
            ck_assert_msg(sem_equal_text((char *)out.data, py_json, opt_sets[k].emit_defaults),
                          "%s (opts %zu)\n  ours   %s\n  python %s", samples[i], k, (char *)out.data, py_json);
            buf_free(&out);
            free(data);
            free(ours[i * n_opts + k]);
        }
    free(ours);
    json_decref(reqs);
    json_decref(answers);
}

static const json_opts OPT_SETS[] = {
    {0}, {.emit_defaults = true}, {.proto_names = true, .enums_as_ints = true},
};

START_TEST(hand_samples_match_python)
{
    static const char *const samples[] = {
        "{}",
        "{\"fDouble\":1e-300,\"fFloat\":3.4e38,\"fInt64\":\"-42\",\"fUint64\":\"18446744073709551615\",\"fInt32\":-7,"
        "\"fFixed64\":\"9007199254740993\",\"fFixed32\":4294967295,\"fBool\":true,\"fString\":\"\\u00e9\\u2028<>&\\\"\\\\\","
        "\"fBytes\":\"/+8=\",\"fUint32\":1,\"fEnum\":\"COLOR_BLUE\",\"fSfixed32\":-2147483648,\"fSfixed64\":\"-1\","
        "\"fSint32\":2147483647,\"fSint64\":\"-9223372036854775808\"}",
        "{\"rDouble\":[0,-0.0,1.5,\"NaN\",\"-Infinity\"],\"rFloat\":[0.1,1e-45,\"Infinity\"],\"rInt64\":[\"1\",2],"
        "\"rUint64\":[\"0\"],\"rInt32\":[-1,0,1],\"rFixed64\":[\"5\"],\"rFixed32\":[6],\"rBool\":[true,false],"
        "\"rString\":[\"\",\"x\"],\"rBytes\":[\"\",\"AA==\"],\"rUint32\":[7],\"rEnum\":[\"COLOR_RED\",5,-1],"
        "\"rSfixed32\":[-8],\"rSfixed64\":[\"-9\"],\"rSint32\":[-10],\"rSint64\":[\"-11\"]}",
        "{\"uDouble\":[1],\"uFloat\":[2],\"uInt64\":[\"3\"],\"uUint64\":[\"4\"],\"uInt32\":[5],\"uFixed64\":[\"6\"],"
        "\"uFixed32\":[7],\"uBool\":[true],\"uUint32\":[8],\"uEnum\":[\"COLOR_GREEN\"],\"uSfixed32\":[-9],"
        "\"uSfixed64\":[\"-10\"],\"uSint32\":[-11],\"uSint64\":[\"-12\"]}",
        "{\"oInt32\":0,\"oString\":\"\",\"oEnum\":\"COLOR_UNSPECIFIED\",\"oDouble\":0,\"oBool\":false,\"oNested\":{}}",
        "{\"nested\":{\"label\":\"l\",\"count\":1,\"tags\":[\"a\"],\"child\":{\"child\":{}}},\"rNested\":[{},{\"count\":2}],"
        "\"recursive\":{\"fInt32\":1,\"recursive\":{}},\"rRecursive\":[{\"fString\":\"s\"}]}",
        "{\"mStringInt32\":{\"a\":1,\"\":0},\"mInt64Nested\":{\"-9223372036854775808\":{\"label\":\"min\"}},"
        "\"mBoolString\":{\"false\":\"f\"},\"mStringEverything\":{\"e\":{\"fInt32\":3}},\"mInt32Enum\":{\"-1\":\"COLOR_RED\"},"
        "\"mUint64Bytes\":{\"18446744073709551615\":\"AQID\"},\"mSint32Double\":{\"-2147483648\":\"Infinity\"},"
        "\"mFixed64Float\":{\"0\":1.5},\"mStringValue\":{\"n\":null,\"s\":\"x\",\"l\":[1,{}]}}",
        "{\"choiceStr\":\"s\"}", "{\"choiceInt\":\"-5\"}", "{\"choiceMsg\":{\"label\":\"m\"}}", "{\"choiceEnum\":\"COLOR_RED\"}",
        "{\"wAny\":{\"@type\":\"type.googleapis.com/kitchen.Detail\",\"reason\":\"r\",\"metadata\":{\"k\":\"v\",\"a\":\"b\"}},"
        "\"wTimestamp\":\"2024-02-29T23:59:59.123456789+05:30\",\"wDuration\":\"-12.000000500s\",\"wFieldMask\":\"a.bC,dE\","
        "\"wEmpty\":{},\"wStruct\":{\"x\":{\"y\":[null,true,\"s\",2.5]}},\"wValue\":[],\"wListValue\":[{}],"
        "\"wDouble\":-1.25,\"wFloat\":0.5,\"wInt64\":\"-1\",\"wUint64\":\"1\",\"wInt32\":0,\"wUint32\":4294967295,"
        "\"wBool\":false,\"wString\":\"w\",\"wBytes\":\"AQ==\",\"wNull\":null}",
        "{\"rAny\":[{\"@type\":\"type.googleapis.com/google.protobuf.Timestamp\",\"value\":\"1970-01-01T00:00:00Z\"},"
        "{\"@type\":\"type.googleapis.com/google.protobuf.Any\",\"value\":{\"@type\":\"type.googleapis.com/kitchen.Nested\","
        "\"count\":5}},{\"@type\":\"type.googleapis.com/google.protobuf.Empty\"},{\"@type\":\"type.googleapis.com/"
        "google.protobuf.Struct\",\"value\":{\"a\":{}}},{\"@type\":\"type.googleapis.com/google.protobuf.Int32Value\","
        "\"value\":7},{\"@type\":\"type.googleapis.com/kitchen.Everything\",\"fInt32\":1,\"wAny\":{\"@type\":"
        "\"type.googleapis.com/kitchen.Retry\",\"delay\":\"1s\"}}],\"rTimestamp\":[\"1970-01-01T00:00:00.5Z\"],"
        "\"rValue\":[1,\"a\",null,[],{}],\"rWrappedInt32\":[0,1]}",
        "{\"fieldName1\":1,\"fieldName2\":2,\"FieldName3\":3,\"fieldName4X\":4,\"fieldName5\":5,\"customJson\":\"c\",\"a1b2c3\":6}",
        "{\"f_int32\":1,\"r_string\":[\"p\"],\"m_string_int32\":{\"k\":2},\"w_timestamp\":\"0001-01-01T00:00:00Z\"}",
    };
    cross_check(samples, sizeof samples / sizeof samples[0], OPT_SETS, sizeof OPT_SETS / sizeof OPT_SETS[0]);
    /* proto2 (not with emit_defaults: Python prints unset proto2 scalars' defaults, protojson does not) */
    static const char *const proto2[] = {
        "{\"legacy\":{\"optInt\":0,\"reqStr\":\"\",\"unpackedInts\":[1,2],\"packedInts\":[3,4],\"mood\":\"MOOD_HAPPY\","
        "\"withDefault\":\"\"}}",
    };
    const json_opts proto2_opts[] = {OPT_SETS[0], OPT_SETS[2]};
    cross_check(proto2, 1, proto2_opts, 2);
}
END_TEST

START_TEST(input_errors_match_python)
{
    /* Inputs both the proto3 JSON rules and Python refuse (Python's messages differ; both must fail). */
    static const char *const bad[] = {
        "{\"nme\":1}", "{\"fInt32\":1.5}", "{\"fInt32\":2147483648}", "{\"fUint32\":-1}", "{\"fInt64\":\"9223372036854775808\"}",
        "{\"fFloat\":1e39}", "{\"fBool\":\"true\"}", "{\"fString\":1}", "{\"fEnum\":\"NOPE\"}",
        "{\"rInt32\":[null]}", "{\"rInt32\":5}", "{\"mBoolString\":{\"maybe\":\"x\"}}", "{\"mInt32Enum\":{\"x\":1}}",
        "{\"choiceStr\":\"a\",\"choiceInt\":1}", "{\"nested\":5}",
        "{\"wTimestamp\":\"1970-01-01T00:00:00\"}", "{\"wTimestamp\":\"10000-01-01T00:00:00Z\"}", "{\"wDuration\":\"1\"}",
        "{\"wDuration\":\"315576000001s\"}", "{\"wFieldMask\":\"a_b\"}", "{\"wAny\":{\"reason\":\"x\"}}",
        "{\"wAny\":{\"@type\":\"type.googleapis.com/kitchen.Detail\",\"nope\":1}}", "{\"wStruct\":[]}", "{\"wInt32\":\"x\"}",
        "{\"mStringInt32\":{\"a\":null}}",
    };
    size_t n = sizeof bad / sizeof bad[0];
    json_t *reqs = json_array();
    for (size_t i = 0; i < n; i++) {
        buf pb = BUF_INIT;
        gw_err *e = encode(everything, bad[i], &no_opts, &pb);
        ck_assert_msg(e != NULL, "we accepted %s", bad[i]);
        ck_assert_int_eq(e->code, GRPC_STATUS_INVALID_ARGUMENT);
        gw_err_free(e);
        buf_free(&pb);
        json_array_append_new(reqs, json_pack("{sssssssns{}}", "op", "check", "type", "kitchen.Everything", "json", bad[i],
                                              "ours", "opts"));
    }
    json_t *answers = oracle(reqs);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(json_is_false(json_object_get(json_array_get(answers, i), "py_ok")), "python accepted %s", bad[i]);
    json_decref(reqs);
    json_decref(answers);
}
END_TEST

/* ------------------------------------------------------------------ generated messages */

/* xorshift64*: reproducible across runs and machines. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ull;
}

static bool chance(int percent) { return (int)(rnd() % 100) < percent; }
static int pick(int n) { return (int)(rnd() % (uint64_t)n); }

/* Integers biased towards the edges of their type. */
static int64_t rnd_int(int64_t lo, int64_t hi)
{
    switch (pick(5)) {
    case 0: return lo;
    case 1: return hi;
    case 2: {
        int64_t v = (int64_t)(rnd() % 100) - 50;                     /* small, around zero */
        return v < lo ? lo : v > hi ? hi : v;
    }
    default: {
        uint64_t span = (uint64_t)hi - (uint64_t)lo;
        return span == UINT64_MAX ? (int64_t)rnd() : (int64_t)((uint64_t)lo + rnd() % (span + 1));
    }
    }
}

static json_t *rnd_string_json(void)
{
    static const char *const parts[] = {"a", "Z", "0", " ", "\"", "\\", "/", "\n", "\t", "<", ">", "&", "\x7f",
                                        "\xc3\xa9", "\xe2\x82\xac", "\xe2\x80\xa8", "\xf0\x9f\x98\x80", "\x01", "long text "};
    buf b = BUF_INIT;
    int n = 1 + pick(8);
    for (int i = 0; i < n; i++) buf_append_str(&b, parts[pick(sizeof parts / sizeof parts[0])]);
    json_t *s = json_stringn((char *)b.data, b.len);
    buf_free(&b);
    return s;
}

static json_t *rnd_bytes_json(bool canonical)
{
    uint8_t raw[32];
    size_t n = 1 + (size_t)pick(sizeof raw - 1);
    for (size_t i = 0; i < n; i++) raw[i] = (uint8_t)rnd();
    buf b = BUF_INIT;
    base64_encode(&b, raw, n, canonical || chance(50));
    if (!canonical && chance(30))
        for (size_t i = 0; i < b.len; i++) b.data[i] = b.data[i] == '+' ? '-' : b.data[i] == '/' ? '_' : b.data[i];
    json_t *s = json_stringn((char *)b.data, b.len);
    buf_free(&b);
    return s;
}

static double rnd_double(void)
{
    for (;;) {
        double d = pbw_double_from_bits(rnd());
        if (isfinite(d) && d != 0) return chance(50) ? d : (double)(int64_t)(rnd() % 2000000) / 64 - 15000;
    }
}

/* Floats with a short exact decimal form, so that the JSON text of the input is its shortest. */
static json_t *rnd_float_json(void)
{
    double d = (double)(pick(2000001) - 1000000) / (double)(1 << pick(4));
    if (d == 0) d = 0.5;
    return json_real(d);
}

static json_t *int64_json(int64_t v, bool canonical)
{
    if (canonical || chance(50)) {
        char s[32];
        snprintf(s, sizeof s, "%lld", (long long)v);
        return json_string(s);
    }
    return json_integer(v);
}

static json_t *uint64_json(uint64_t v, bool canonical)
{
    char s[32];
    snprintf(s, sizeof s, "%llu", (unsigned long long)v);
    if (!canonical && v <= INT64_MAX && chance(50)) return json_integer((json_int_t)v);
    return json_string(s);
}

static json_t *rnd_enum_json(const pb_enum *e, bool canonical)
{
    const pb_enum_value *v = &e->values[pick((int)e->n_values)];
    if (!canonical && chance(30)) return json_integer(v->number);
    if (chance(10) && e->values[0].number == 0) return json_integer(7 + pick(3));   /* open enums keep unknowns */
    return json_string(v->name);
}

/* The JSON form of one value of a scalar type (as proto3 JSON prints it when canonical). */
static json_t *rnd_scalar(const pb_field *f, bool canonical)
{
    switch (f->type) {
    case PB_TYPE_DOUBLE: return json_real(rnd_double());
    case PB_TYPE_FLOAT: return rnd_float_json();
    case PB_TYPE_INT64: case PB_TYPE_SFIXED64: case PB_TYPE_SINT64: return int64_json(rnd_int(INT64_MIN, INT64_MAX), canonical);
    case PB_TYPE_UINT64: case PB_TYPE_FIXED64: return uint64_json(rnd(), canonical);
    case PB_TYPE_INT32: case PB_TYPE_SFIXED32: case PB_TYPE_SINT32: return json_integer(rnd_int(INT32_MIN, INT32_MAX));
    case PB_TYPE_UINT32: case PB_TYPE_FIXED32: return json_integer(rnd_int(0, UINT32_MAX));
    case PB_TYPE_BOOL: return json_boolean(chance(50));
    case PB_TYPE_STRING: return rnd_string_json();
    case PB_TYPE_BYTES: return rnd_bytes_json(canonical);
    case PB_TYPE_ENUM: return rnd_enum_json(f->enumeration, canonical);
    default: return json_null();
    }
}

static bool is_default_json(const json_t *j)
{
    if (json_is_integer(j)) return json_integer_value(j) == 0;
    if (json_is_real(j)) return json_real_value(j) == 0;
    if (json_is_string(j))
        return json_string_length(j) == 0 || strcmp(json_string_value(j), "0") == 0 ||
               strcmp(json_string_value(j), "COLOR_UNSPECIFIED") == 0;
    return json_is_false(j);
}

static json_t *rnd_message(const pb_msg *m, int depth, bool canonical);

static json_t *rnd_value(int depth)
{
    switch (depth > 2 ? pick(4) : pick(6)) {
    case 0: return json_null();
    case 1: return json_real(rnd_double());
    case 2: return rnd_string_json();
    case 3: return json_boolean(chance(50));
    case 4: {
        json_t *o = json_object();
        for (int i = pick(3); i > 0; i--) {
            json_t *k = rnd_string_json();
            json_object_set_new(o, json_string_value(k), rnd_value(depth + 1));
            json_decref(k);
        }
        return o;
    }
    default: {
        json_t *a = json_array();
        for (int i = pick(3); i > 0; i--) json_array_append_new(a, rnd_value(depth + 1));
        return a;
    }
    }
}

static json_t *rnd_timestamp(void)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y = 1 + pick(9999), mo = 1 + pick(12), d = 1 + pick(mdays[mo - 1]);
    char s[64];
    int n = snprintf(s, sizeof s, "%04d-%02d-%02dT%02d:%02d:%02d", y, mo, d, pick(24), pick(60), pick(60));
    switch (pick(4)) {
    case 1: n += snprintf(s + n, sizeof s - (size_t)n, ".%03d", 1 + pick(999)); break;
    case 2: n += snprintf(s + n, sizeof s - (size_t)n, ".%06d", 1 + pick(999999)); break;
    case 3: n += snprintf(s + n, sizeof s - (size_t)n, ".%09d", 1 + pick(999999999)); break;
    default: break;
    }
    /* canonical forms only: a fraction whose digits end in 000 prints shorter */
    if (n > 20) {
        size_t digits = (size_t)n - 20;
        if ((digits == 6 && strcmp(s + n - 3, "000") == 0) || (digits == 9 && strcmp(s + n - 3, "000") == 0)) s[n - 3] = '1';
    }
    snprintf(s + n, sizeof s - (size_t)n, "Z");
    return json_string(s);
}

static json_t *rnd_duration(void)
{
    char s[64];
    long long secs = (long long)(rnd() % 315576000001ull);
    int nanos = pick(4) == 0 ? 0 : 1 + pick(999999999);
    if (nanos % 1000 == 0) nanos += 1;
    bool neg = chance(50) && (secs || nanos);
    if (nanos) snprintf(s, sizeof s, "%s%lld.%09ds", neg ? "-" : "", secs, nanos);
    else snprintf(s, sizeof s, "%s%llds", neg ? "-" : "", secs);
    return json_string(s);
}

static json_t *rnd_field_mask(void)
{
    static const char *const paths[] = {"a", "fooBar", "a.b", "x.yZ.w", "abc1"};
    buf b = BUF_INIT;
    for (int i = 1 + pick(3); i > 0; i--) buf_printf(&b, "%s%s", b.len ? "," : "", paths[pick(5)]);
    json_t *s = json_string((char *)b.data);
    buf_free(&b);
    return s;
}

static json_t *rnd_any(int depth, bool canonical)
{
    json_t *o;
    switch (pick(4)) {
    case 0:
        o = rnd_message(msg("kitchen.Detail"), depth + 1, canonical);
        json_object_set_new(o, "@type", json_string("type.googleapis.com/kitchen.Detail"));
        return o;
    case 1:
        return json_pack("{ssso}", "@type", "type.googleapis.com/google.protobuf.Duration", "value", rnd_duration());
    case 2:
        return json_pack("{ss}", "@type", "type.googleapis.com/google.protobuf.Empty");
    default:
        return json_pack("{ssso}", "@type", "type.googleapis.com/google.protobuf.Value", "value", rnd_value(depth));
    }
}

/* A message with a random selection of its fields, canonical (as pb_to_json would print it) or
 * exercising the other accepted input forms. */
static json_t *rnd_wkt(const pb_msg *m, int depth, bool canonical)
{
    switch (m->wkt) {
    case PB_WKT_ANY: return rnd_any(depth, canonical);
    case PB_WKT_TIMESTAMP: return rnd_timestamp();
    case PB_WKT_DURATION: return rnd_duration();
    case PB_WKT_FIELD_MASK: return rnd_field_mask();
    case PB_WKT_EMPTY: return json_object();
    case PB_WKT_STRUCT: {
        json_t *v;
        do {
            v = rnd_value(depth);
            if (json_is_object(v)) return v;
            json_decref(v);
        } while (1);
    }
    case PB_WKT_VALUE: return rnd_value(depth);
    case PB_WKT_LIST_VALUE: {
        json_t *a = json_array();
        for (int i = pick(3); i > 0; i--) json_array_append_new(a, rnd_value(depth + 1));
        return a;
    }
    default: return rnd_scalar(&m->fields[0], canonical);
    }
}

static json_t *rnd_map_key(const pb_field *kf)
{
    char s[32];
    switch (kf->type) {
    case PB_TYPE_STRING: return rnd_string_json();
    case PB_TYPE_BOOL: return json_string(chance(50) ? "true" : "false");
    case PB_TYPE_INT64: case PB_TYPE_SINT64: case PB_TYPE_SFIXED64:
        snprintf(s, sizeof s, "%lld", (long long)rnd_int(INT64_MIN, INT64_MAX));
        break;
    case PB_TYPE_UINT64: case PB_TYPE_FIXED64: snprintf(s, sizeof s, "%llu", (unsigned long long)rnd()); break;
    case PB_TYPE_UINT32: case PB_TYPE_FIXED32: snprintf(s, sizeof s, "%lld", (long long)rnd_int(0, UINT32_MAX)); break;
    default: snprintf(s, sizeof s, "%lld", (long long)rnd_int(INT32_MIN, INT32_MAX)); break;
    }
    return json_string(s);
}

static json_t *rnd_field_value(const pb_field *f, int depth, bool canonical)
{
    if (f->type == PB_TYPE_MESSAGE)
        return wkt_is_special(f->message->wkt) || f->message->wkt == PB_WKT_EMPTY ? rnd_wkt(f->message, depth, canonical)
                                                                                : rnd_message(f->message, depth + 1, canonical);
    return rnd_scalar(f, canonical);
}

/* Python prints proto2 scalars' defaults under emit_defaults where protojson (and the gateway)
 * leaves them out; the Python cross-checks leave proto2 messages out of generated samples. */
static bool generate_proto2 = true;

static json_t *rnd_message(const pb_msg *m, int depth, bool canonical)
{
    json_t *o = json_object();
    bool oneof_used = false;
    for (size_t i = 0; i < m->n_fields; i++) {
        const pb_field *f = &m->fields[i];
        if (f->type == PB_TYPE_GROUP || !chance(depth ? 15 : 30)) continue;
        if (f->type == PB_TYPE_MESSAGE && !f->is_map && depth >= 3) continue;
        if (f->type == PB_TYPE_ENUM && f->enumeration->is_null_value) continue;
        if (!generate_proto2 && f->type == PB_TYPE_MESSAGE && strncmp(f->message->full_name, "kitchen.legacy.", 15) == 0)
            continue;
        if (f->oneof_index >= 0) {
            if (oneof_used) continue;
            oneof_used = true;
        }
        const char *name = canonical || chance(70) ? f->json_name : f->name;
        json_t *v;
        if (f->is_map) {
            if (depth >= 3) continue;
            v = json_object();
            for (int k = 1 + pick(3); k > 0; k--) {
                json_t *key = rnd_map_key(&f->message->fields[0]);
                json_object_set_new(v, json_string_value(key), rnd_field_value(&f->message->fields[1], depth + 1, canonical));
                json_decref(key);
            }
        } else if (f->repeated) {
            v = json_array();
            for (int k = 1 + pick(3); k > 0; k--) json_array_append_new(v, rnd_field_value(f, depth + 1, canonical));
        } else {
            v = rnd_field_value(f, depth, canonical);
            if (canonical && !f->has_presence && is_default_json(v)) {
                json_decref(v);
                continue;
            }
        }
        json_object_set_new(o, name, v);
    }
    if (strcmp(m->full_name, "kitchen.legacy.Legacy") == 0 && !json_object_get(o, "reqStr") && !json_object_get(o, "req_str"))
        json_object_set_new(o, "reqStr", json_string("required"));
    return o;
}

/* Property: for generated messages in canonical form, JSON -> protobuf -> JSON gives the same JSON
 * back; for messages in any accepted form, a second round trip changes nothing (text-identical). */
START_TEST(round_trip_property)
{
    rng_state = 0x2545f4914f6cdd1dull + (uint64_t)_i;
    for (int round = 0; round < RANDOM_MESSAGES; round++) {
        bool canonical = round % 2 == 0;
        json_t *j = rnd_message(everything, 0, canonical);
        char *text = json_dumps(j, JSON_COMPACT);
        buf pb1 = BUF_INIT, j2 = BUF_INIT, pb2 = BUF_INIT, j3 = BUF_INIT;
        gw_err *e = json_to_pb(pool, everything, j, &no_opts, &pb1);
        ck_assert_msg(e == NULL, "%s: %s", text, e ? e->message : "");
        e = pb_to_json(pool, everything, pb1.data, pb1.len, &no_opts, &j2);
        ck_assert_msg(e == NULL, "%s: %s", text, e ? e->message : "");
        if (canonical) ck_assert_msg(sem_equal_text(text, (char *)j2.data, false), "\n  in  %s\n  out %s", text, (char *)j2.data);
        e = encode(everything, (char *)j2.data, &no_opts, &pb2);
        ck_assert_msg(e == NULL, "%s: %s", (char *)j2.data, e ? e->message : "");
        e = pb_to_json(pool, everything, pb2.data, pb2.len, &no_opts, &j3);
        ck_assert_msg(e == NULL, "%s", e ? e->message : "");
        ck_assert_msg(strcmp((char *)j2.data, (char *)j3.data) == 0, "\n  %s\n  %s", (char *)j2.data, (char *)j3.data);
        /* Rendering from field-ordered bytes (pb2) and JSON-ordered bytes (pb1) agree. */
        ck_assert(pb1.len == pb2.len);
        /* Every option set renders it, and emit_defaults output reads back to the same message. */
        for (size_t k = 1; k < sizeof OPT_SETS / sizeof OPT_SETS[0]; k++) {
            buf o = BUF_INIT, pb3 = BUF_INIT, j4 = BUF_INIT;
            ck_assert_ptr_null(pb_to_json(pool, everything, pb2.data, pb2.len, &OPT_SETS[k], &o));
            e = encode(everything, (char *)o.data, &no_opts, &pb3);
            ck_assert_msg(e == NULL, "%s: %s", (char *)o.data, e ? e->message : "");
            ck_assert_ptr_null(pb_to_json(pool, everything, pb3.data, pb3.len, &no_opts, &j4));
            /* emit_defaults prints an unset Value field as null, which reads back as a Value set to
             * null (protojson has the same ambiguity): compare without nulls. */
            ck_assert_msg(sem_equal_text((char *)j2.data, (char *)j4.data, OPT_SETS[k].emit_defaults), "opts %zu\n  %s\n  %s", k,
                          (char *)j2.data, (char *)j4.data);
            buf_free(&o);
            buf_free(&pb3);
            buf_free(&j4);
        }
        free(text);
        json_decref(j);
        buf_free(&pb1);
        buf_free(&j2);
        buf_free(&pb2);
        buf_free(&j3);
    }
}
END_TEST

/* The same generated messages, cross-checked with Python both ways. */
START_TEST(generated_messages_match_python)
{
    rng_state = 0x853c49e6748fea9bull;
    generate_proto2 = false;
    enum { N = 150 };
    char *samples[N];
    for (int i = 0; i < N; i++) {
        json_t *j = rnd_message(everything, 0, i % 2 == 0);
        samples[i] = json_dumps(j, JSON_COMPACT);
        json_decref(j);
    }
    cross_check((const char *const *)samples, N, OPT_SETS, sizeof OPT_SETS / sizeof OPT_SETS[0]);
    for (int i = 0; i < N; i++) free(samples[i]);
}
END_TEST

/* ------------------------------------------------------------------ micro-benchmark (prints only) */

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

START_TEST(benchmark_greeter_messages)
{
    descpool *g = descpool_new();
    ck_assert_ptr_null(descpool_add_file(g, GREETER_DESC));
    ck_assert_ptr_null(descpool_finish(g));
    const pb_msg *req = descpool_find_message(g, "helloworld.HelloRequest");
    const pb_msg *rep = descpool_find_message(g, "helloworld.HelloReply");
    json_t *j = parse("{\"name\":\"you\"}");
    const uint8_t reply[] = {0x0a, 0x09, 'H', 'e', 'l', 'l', 'o', ' ', 'y', 'o', 'u'};
    buf out = BUF_INIT;
    enum { ITER = 1000000 };
    double t0 = now_ns();
    for (int i = 0; i < ITER; i++) {
        buf_reset(&out);
        gw_err *e = json_to_pb(g, req, j, &no_opts, &out);
        if (e) ck_abort_msg("%s", e->message);
    }
    double t1 = now_ns();
    ck_assert_uint_eq(out.len, 5);
    for (int i = 0; i < ITER; i++) {
        buf_reset(&out);
        gw_err *e = pb_to_json(g, rep, reply, sizeof reply, &no_opts, &out);
        if (e) ck_abort_msg("%s", e->message);
    }
    double t2 = now_ns();
    ck_assert_str_eq((char *)out.data, "{\"message\":\"Hello you\"}");
    /* jansson's own share, for comparison: parsing the request body. */
    for (int i = 0; i < ITER / 10; i++) json_decref(json_loads("{\"name\":\"you\"}", 0, NULL));
    double t3 = now_ns();

    /* A larger message: the kitchen sink with many fields, maps and well-known types. */
    json_t *big = parse("{\"fDouble\":1.5,\"fFloat\":0.25,\"fInt64\":\"-42\",\"fUint64\":\"42\",\"fInt32\":7,\"fBool\":true,"
                        "\"fString\":\"some text\",\"fBytes\":\"AAECAwQF\",\"fEnum\":\"COLOR_RED\",\"rInt32\":[1,2,3,4,5,6,7,8],"
                        "\"rString\":[\"a\",\"b\",\"c\"],\"nested\":{\"label\":\"l\",\"count\":3,\"tags\":[\"x\",\"y\"]},"
                        "\"rNested\":[{\"label\":\"a\"},{\"count\":2}],\"mStringInt32\":{\"one\":1,\"two\":2,\"three\":3},"
                        "\"wTimestamp\":\"2024-01-02T03:04:05.678Z\",\"wDuration\":\"1.5s\",\"wStruct\":{\"k\":[1,\"v\",null]},"
                        "\"wInt32\":5,\"choiceStr\":\"c\"}");
    /* Responses come from serializers that write fields in number order: render bytes like those
     * (json_to_pb writes the JSON's member order), obtained by one round trip. */
    buf pb = BUF_INIT, text = BUF_INIT;
    ck_assert_ptr_null(json_to_pb(pool, everything, big, &no_opts, &pb));
    ck_assert_ptr_null(pb_to_json(pool, everything, pb.data, pb.len, &no_opts, &text));
    buf_reset(&pb);
    ck_assert_ptr_null(encode(everything, (char *)text.data, &no_opts, &pb));
    buf_free(&text);
    enum { BIG_ITER = 100000 };
    double t4 = now_ns();
    for (int i = 0; i < BIG_ITER; i++) {
        buf_reset(&out);
        ck_assert_ptr_null(json_to_pb(pool, everything, big, &no_opts, &out));
    }
    double t5 = now_ns();
    for (int i = 0; i < BIG_ITER; i++) {
        buf_reset(&out);
        ck_assert_ptr_null(pb_to_json(pool, everything, pb.data, pb.len, &no_opts, &out));
    }
    double t6 = now_ns();
    fprintf(stderr,
            "transcode benchmark: HelloRequest json_to_pb %.0f ns, HelloReply pb_to_json %.0f ns "
            "(jansson parse of the body alone: %.0f ns); kitchen message (%zu bytes pb, %zu bytes JSON): "
            "json_to_pb %.0f ns, pb_to_json %.0f ns\n",
            (t1 - t0) / ITER, (t2 - t1) / ITER, (t3 - t2) / (ITER / 10), pb.len, out.len, (t5 - t4) / BIG_ITER,
            (t6 - t5) / BIG_ITER);
    json_decref(j);
    json_decref(big);
    buf_free(&out);
    buf_free(&pb);
    descpool_free(g);
}
END_TEST

static Suite *transcode_suite(void)
{
    Suite *s = suite_create("transcode");
    TCase *tc = tcase_create("rules");
    tcase_add_test(tc, strings_are_escaped_and_sanitised);
    tcase_add_test(tc, numbers_print_shortest);
    tcase_add_test(tc, scalars_both_ways);
    tcase_add_test(tc, integer_input_rules);
    tcase_add_test(tc, float_bool_bytes_enum_input_rules);
    tcase_add_test(tc, repeated_maps_and_nesting);
    tcase_add_test(tc, unknown_and_duplicate_fields_and_oneofs);
    tcase_add_test(tc, output_options);
    tcase_add_test(tc, wkt_timestamp_and_duration);
    tcase_add_test(tc, wkt_field_mask_struct_value_wrappers_empty);
    tcase_add_test(tc, wkt_any);
    tcase_add_test(tc, entry_points_for_fields_and_status_details);
    tcase_add_test(tc, depth_limits_both_ways);
    tcase_add_test(tc, wire_variants_match_python);
    tcase_add_test(tc, malformed_wire_is_internal);
    tcase_add_test(tc, fuzz_regressions);
    suite_add_tcase(s, tc);

    TCase *oracles = tcase_create("oracles");
    tcase_set_timeout(oracles, 120);
    tcase_add_test(oracles, protoc_encoded_messages_render);
    tcase_add_test(oracles, protoc_decodes_what_we_encode);
    tcase_add_test(oracles, hand_samples_match_python);
    tcase_add_test(oracles, input_errors_match_python);
    tcase_add_loop_test(oracles, round_trip_property, 0, 4);
    tcase_add_test(oracles, generated_messages_match_python);
    suite_add_tcase(s, oracles);

    TCase *bench = tcase_create("benchmark");
    tcase_set_timeout(bench, 120);
    tcase_add_test(bench, benchmark_greeter_messages);
    suite_add_tcase(s, bench);
    return s;
}

int main(void)
{
    pool = descpool_new();
    gw_err *e = descpool_add_file(pool, KITCHEN_DESC);
    if (!e) e = descpool_finish(pool);
    if (e) {
        fprintf(stderr, "cannot load %s: %s\n", KITCHEN_DESC, e->message);
        return EXIT_FAILURE;
    }
    everything = descpool_find_message(pool, "kitchen.Everything");
    SRunner *sr = srunner_create(transcode_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    descpool_free(pool);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
