/* wkt.c: the special proto3 JSON forms of the well-known types, both ways: Any, Timestamp, Duration,
 * FieldMask, Struct, Value, ListValue and the nine wrappers (the google.protobuf package). Empty has no
 * special form. Pure functions on the contexts of json2pb.c and pb2json.c (see wkt.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "pbwire.h"
#include "wkt.h"

/* Range of Timestamp (0001-01-01T00:00:00Z .. 9999-12-31T23:59:59Z) and Duration (+-10000 years). */
#define TIMESTAMP_MIN_SECONDS (-62135596800LL)
#define TIMESTAMP_MAX_SECONDS 253402300799LL
#define DURATION_MAX_SECONDS 315576000000LL
#define NANOS_PER_SECOND 1000000000
#define SECONDS_PER_DAY 86400

/* ------------------------------------------------------------------ shared helpers */

/* The well-known type's field `number` as the standard .proto declares it; a descriptor set that
 * redefines google.protobuf.* differently gets an error instead of a crash. */
static const pb_field *std_field(const pb_msg *m, uint32_t number, enum pb_type type, bool repeated)
{
    const pb_field *f = pb_msg_field_by_number(m, number);
    if (!f || f->type != type || f->repeated != repeated) return NULL;
    if (type == PB_TYPE_MESSAGE && !f->message) return NULL;
    return f;
}

static gw_err *nonstandard(const pb_msg *m)
{
    return gw_err_new(GRPC_STATUS_INTERNAL, "the descriptor of %s does not match google/protobuf's", m->full_name);
}

/* Days since 1970-01-01 of a proleptic Gregorian date, and back (H. Hinnant's civil algorithms). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* Writes v as exactly `width` decimal digits at p. */
static void put_digits(uint8_t *p, unsigned v, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        p[i] = (uint8_t)('0' + v % 10);
        v /= 10;
    }
}

/* Fraction digits for nanos: none, 3, 6 or 9 (proto3 JSON). */
static void write_nanos(buf *out, int32_t nanos)
{
    if (nanos == 0) return;
    uint8_t tmp[10];
    int width = 9;
    unsigned v = (unsigned)nanos;
    if (nanos % 1000000 == 0) {
        width = 3;
        v /= 1000000;
    } else if (nanos % 1000 == 0) {
        width = 6;
        v /= 1000;
    }
    tmp[0] = '.';
    put_digits(tmp + 1, v, width);
    tc_put(out, tmp, (size_t)width + 1);
}

/* seconds (field 1, int64) and nanos (field 2, int32), last value wins, as Timestamp and Duration
 * are laid out. */
static bool read_seconds_nanos(const uint8_t *p, size_t n, int64_t *seconds, int32_t *nanos)
{
    pbw_reader r = pbw_reader_init(p, n);
    *seconds = 0;
    *nanos = 0;
    while (!pbw_at_end(&r)) {
        uint32_t f;
        int wt;
        uint64_t v;
        if (!pbw_read_tag(&r, &f, &wt)) return false;
        if ((f == 1 || f == 2) && wt == PBW_VARINT) {
            if (!pbw_read_varint(&r, &v)) return false;
            if (f == 1) *seconds = (int64_t)v;
            else *nanos = (int32_t)(uint32_t)v;
        } else if (!pbw_skip(&r, wt, f)) {
            return false;
        }
    }
    return true;
}

static void put_seconds_nanos(buf *out, int64_t seconds, int32_t nanos)
{
    if (seconds) {
        pbw_put_tag(out, 1, PBW_VARINT);
        pbw_put_varint(out, (uint64_t)seconds);
    }
    if (nanos) {
        pbw_put_tag(out, 2, PBW_VARINT);
        pbw_put_varint(out, (uint64_t)(int64_t)nanos);
    }
}

/* ================================================================== protobuf -> JSON */

static gw_err *timestamp_to_json(p2j_ctx *c, const pb_msg *m, const uint8_t *p, size_t n, const tc_path *path)
{
    int64_t s;
    int32_t nanos;
    if (!read_seconds_nanos(p, n, &s, &nanos)) return p2j_malformed(m, path, "truncated or invalid record");
    if (s < TIMESTAMP_MIN_SECONDS || s > TIMESTAMP_MAX_SECONDS || nanos < 0 || nanos >= NANOS_PER_SECOND)
        return p2j_malformed(m, path, "timestamp out of range (years 1 to 9999)");
    int64_t days = s >= 0 ? s / SECONDS_PER_DAY : -((-s + SECONDS_PER_DAY - 1) / SECONDS_PER_DAY);
    int64_t rem = s - days * SECONDS_PER_DAY;
    int64_t y;
    unsigned mo, d;
    civil_from_days(days, &y, &mo, &d);
    uint8_t text[21] = "\"0000-00-00T00:00:00";
    put_digits(text + 1, (unsigned)y, 4);
    put_digits(text + 6, mo, 2);
    put_digits(text + 9, d, 2);
    put_digits(text + 12, (unsigned)(rem / 3600), 2);
    put_digits(text + 15, (unsigned)(rem / 60 % 60), 2);
    put_digits(text + 18, (unsigned)(rem % 60), 2);
    tc_put(c->out, text, 20);
    write_nanos(c->out, nanos);
    tc_put(c->out, "Z\"", 2);
    return NULL;
}

static gw_err *duration_to_json(p2j_ctx *c, const pb_msg *m, const uint8_t *p, size_t n, const tc_path *path)
{
    int64_t s;
    int32_t nanos;
    if (!read_seconds_nanos(p, n, &s, &nanos)) return p2j_malformed(m, path, "truncated or invalid record");
    if (s < -DURATION_MAX_SECONDS || s > DURATION_MAX_SECONDS || nanos <= -NANOS_PER_SECOND ||
        nanos >= NANOS_PER_SECOND || (s > 0 && nanos < 0) || (s < 0 && nanos > 0))
        return p2j_malformed(m, path, "duration out of range or with mixed signs");
    tc_put_byte(c->out, '"');
    if (s < 0 || nanos < 0) tc_put_byte(c->out, '-');
    tc_write_u64(c->out, s < 0 ? (uint64_t)-s : (uint64_t)s);
    write_nanos(c->out, nanos < 0 ? -nanos : nanos);
    tc_put(c->out, "s\"", 2);
    return NULL;
}

/* FieldMask paths print in lowerCamelCase; a path that would not come back the same ("a_1",
 * "fooBar", "a__b") cannot be printed. */
static gw_err *field_mask_to_json(p2j_ctx *c, const pb_msg *m, const uint8_t *p, size_t n, const tc_path *path)
{
    buf joined = BUF_INIT;
    pbw_reader r = pbw_reader_init(p, n);
    gw_err *err = NULL;
    bool first = true;
    while (!pbw_at_end(&r) && !err) {
        uint32_t f;
        int wt;
        const uint8_t *s;
        size_t sn;
        if (!pbw_read_tag(&r, &f, &wt)) {
            err = p2j_malformed(m, path, "truncated or invalid record");
            break;
        }
        if (f != 1 || wt != PBW_LEN) {
            if (!pbw_skip(&r, wt, f)) err = p2j_malformed(m, path, "truncated or invalid record");
            continue;
        }
        if (!pbw_read_len(&r, &s, &sn)) {
            err = p2j_malformed(m, path, "truncated or invalid record");
            break;
        }
        if (!first) tc_put_byte(&joined, ',');
        first = false;
        if (sn == 0) {
            err = p2j_malformed(m, path, "a FieldMask path is empty");
            break;
        }
        for (size_t i = 0; i < sn; i++) {
            uint8_t ch = s[i];
            if (ch >= 'A' && ch <= 'Z') {
                err = p2j_malformed(m, path, "a FieldMask path has an upper-case letter");
                break;
            }
            if (!(ch >= 'a' && ch <= 'z') && !(ch >= '0' && ch <= '9') && ch != '_' && ch != '.') {
                err = p2j_malformed(m, path, "a FieldMask path has a character no field name has");
                break;
            }
            if (ch == '_') {
                if (i + 1 >= sn || s[i + 1] < 'a' || s[i + 1] > 'z') {
                    err = p2j_malformed(m, path, "a FieldMask path has '_' not followed by a lower-case letter");
                    break;
                }
                tc_put_byte(&joined, (uint8_t)(s[++i] - 'a' + 'A'));
            } else {
                tc_put_byte(&joined, ch);
            }
        }
    }
    if (!err) json_write_string(c->out, joined.data ? (const char *)joined.data : "", joined.len);
    buf_free(&joined);
    return err;
}

static gw_err *value_to_json(p2j_ctx *c, const pb_msg *m, const uint8_t *p, size_t n, const tc_path *path)
{
    /* kind is a oneof: the last member on the wire wins. */
    static const int kind_wire[7] = {-1, PBW_VARINT, PBW_FIXED64, PBW_LEN, PBW_VARINT, PBW_LEN, PBW_LEN};
    pbw_reader r = pbw_reader_init(p, n);
    uint32_t kind = 0;
    uint64_t number_bits = 0;
    while (!pbw_at_end(&r)) {
        uint32_t f;
        int wt;
        const uint8_t *start;
        if (!pbw_read_tag(&r, &f, &wt)) return p2j_malformed(m, path, "truncated or invalid record");
        start = r.p;
        if (!pbw_skip(&r, wt, f)) return p2j_malformed(m, path, "truncated or invalid record");
        if (f >= 1 && f <= 6 && wt == kind_wire[f]) {
            kind = f;
            if (f == 2) {
                pbw_reader v = pbw_reader_init(start, 8);
                pbw_read_fixed64(&v, &number_bits);
            }
        }
    }
    static const enum pb_type kind_type[7] = {0, PB_TYPE_ENUM, PB_TYPE_DOUBLE, PB_TYPE_STRING, PB_TYPE_BOOL,
                                              PB_TYPE_MESSAGE, PB_TYPE_MESSAGE};
    switch (kind) {
    case 0:                                   /* no kind set: printed as null, as Python does */
    case 1: tc_put(c->out, "null", 4); return NULL;
    case 2:
        if (!isfinite(pbw_double_from_bits(number_bits)))
            return p2j_malformed(m, path, "a Value number is NaN or infinite, which JSON cannot hold");
        break;
    default: break;
    }
    const pb_field *f = std_field(m, kind, kind_type[kind], false);
    if (!f) return nonstandard(m);
    return p2j_field_validated(c, m, f, p, n, path);     /* the loop above walked every record */
}

gw_err *wkt_any_to_json(p2j_ctx *c, const char *url, size_t url_len, const uint8_t *value, size_t value_len,
                        const tc_path *path)
{
    buf *out = c->out;
    if (url_len == 0) {
        if (value_len == 0) {
            tc_put(out, "{}", 2);
            return NULL;
        }
        return gw_err_new(GRPC_STATUS_INTERNAL, "invalid protobuf data for google.protobuf.Any: a value without a type URL");
    }
    const pb_msg *m = descpool_find_type_url(c->pool, url, url_len);
    buf_append_str(out, "{\"@type\":");
    json_write_string(out, url, url_len);
    if (!m) {
        /* A type the pool does not know: keep the bytes, base64 (json_to_pb reads this form back). */
        buf_append_str(out, ",\"value\":\"");
        base64_encode(out, value, value_len, true);
        buf_append_str(out, "\"}");
        return NULL;
    }
    gw_err *e;
    if (wkt_is_special(m->wkt)) {
        buf_append_str(out, ",\"value\":");
        e = p2j_message(c, m, value, value_len, path);
    } else {
        bool comma = true;
        e = p2j_members(c, m, value, value_len, &comma, path);
    }
    tc_put_byte(out, '}');
    return e;
}

static gw_err *any_to_json(p2j_ctx *c, const pb_msg *m, const uint8_t *p, size_t n, const tc_path *path)
{
    const uint8_t *url = NULL, *value = NULL;
    size_t url_len = 0, value_len = 0;
    pbw_reader r = pbw_reader_init(p, n);
    while (!pbw_at_end(&r)) {
        uint32_t f;
        int wt;
        if (!pbw_read_tag(&r, &f, &wt)) return p2j_malformed(m, path, "truncated or invalid record");
        if ((f == 1 || f == 2) && wt == PBW_LEN) {
            const uint8_t *d;
            size_t dn;
            if (!pbw_read_len(&r, &d, &dn)) return p2j_malformed(m, path, "truncated or invalid record");
            if (f == 1) {
                url = d;
                url_len = dn;
            } else {
                value = d;
                value_len = dn;
            }
        } else if (!pbw_skip(&r, wt, f)) {
            return p2j_malformed(m, path, "truncated or invalid record");
        }
    }
    return wkt_any_to_json(c, (const char *)url, url_len, value, value_len, path);
}

gw_err *wkt_pb_to_json(p2j_ctx *c, const pb_msg *m, const uint8_t *p, size_t n, const tc_path *path)
{
    const pb_field *f;
    switch (m->wkt) {
    case PB_WKT_ANY: return any_to_json(c, m, p, n, path);
    case PB_WKT_TIMESTAMP: return timestamp_to_json(c, m, p, n, path);
    case PB_WKT_DURATION: return duration_to_json(c, m, p, n, path);
    case PB_WKT_FIELD_MASK: return field_mask_to_json(c, m, p, n, path);
    case PB_WKT_VALUE: return value_to_json(c, m, p, n, path);
    case PB_WKT_STRUCT:
        f = std_field(m, 1, PB_TYPE_MESSAGE, true);
        if (!f || !f->is_map) return nonstandard(m);
        return p2j_field(c, m, f, p, n, path);
    case PB_WKT_LIST_VALUE:
        f = std_field(m, 1, PB_TYPE_MESSAGE, true);
        if (!f) return nonstandard(m);
        return p2j_field(c, m, f, p, n, path);
    default:                                  /* the wrappers: their field 1's value */
        f = pb_msg_field_by_number(m, 1);
        if (!f || f->repeated || f->type == PB_TYPE_MESSAGE || f->type == PB_TYPE_GROUP) return nonstandard(m);
        return p2j_field(c, m, f, p, n, path);
    }
}

/* ================================================================== JSON -> protobuf */

static gw_err *invalid(const tc_path *path, const pb_msg *m, const char *fmt, const char *detail)
{
    buf where = BUF_INIT, b = BUF_INIT;
    tc_path_format(&where, path);
    if (where.len) buf_printf(&b, "invalid value for field '%s' (%s): ", (char *)where.data, m->full_name);
    else buf_printf(&b, "invalid value for %s: ", m->full_name);
    buf_printf(&b, fmt, detail);
    gw_err *e = gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "%s", (char *)b.data);
    buf_free(&where);
    buf_free(&b);
    return e;
}

static const char *json_kind(const json_t *j)
{
    switch (json_typeof(j)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: case JSON_REAL: return "a number";
    case JSON_TRUE: case JSON_FALSE: return "a boolean";
    default: return "null";
    }
}

static bool digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return false;
    return true;
}

static unsigned num(const char *s, size_t n)
{
    unsigned v = 0;
    for (size_t i = 0; i < n; i++) v = v * 10 + (unsigned)(s[i] - '0');
    return v;
}

/* Up to nine fraction digits after a '.', as nanoseconds; *used gets the characters consumed. */
static bool parse_fraction(const char *s, size_t n, int32_t *nanos, size_t *used)
{
    size_t k = 0;
    int32_t v = 0;
    while (k < n && s[k] >= '0' && s[k] <= '9') {
        if (k == 9) return false;
        v = v * 10 + (s[k] - '0');
        k++;
    }
    if (k == 0) return false;
    for (size_t i = k; i < 9; i++) v *= 10;
    *nanos = v;
    *used = k;
    return true;
}

/* RFC 3339 as proto3 JSON takes it: "YYYY-MM-DDTHH:MM:SS[.fffffffff](Z|+HH:MM|-HH:MM)", upper-case
 * T and Z, years 0001 to 9999 after the offset is applied. */
static bool parse_timestamp(const char *s, size_t n, int64_t *seconds, int32_t *nanos)
{
    if (n < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':') return false;
    if (!digits(s, 4) || !digits(s + 5, 2) || !digits(s + 8, 2) || !digits(s + 11, 2) || !digits(s + 14, 2) ||
        !digits(s + 17, 2))
        return false;
    unsigned y = num(s, 4), mo = num(s + 5, 2), d = num(s + 8, 2);
    unsigned h = num(s + 11, 2), mi = num(s + 14, 2), sec = num(s + 17, 2);
    static const unsigned mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || sec > 59) return false;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (mo == 2 && d == 29 && !leap) return false;
    size_t i = 19;
    *nanos = 0;
    if (i < n && s[i] == '.') {
        size_t used;
        if (!parse_fraction(s + i + 1, n - i - 1, nanos, &used)) return false;
        i += 1 + used;
    }
    int64_t offset = 0;
    if (i < n && s[i] == 'Z') {
        i++;
    } else if (i + 6 <= n && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':' && digits(s + i + 1, 2) &&
               digits(s + i + 4, 2)) {
        unsigned oh = num(s + i + 1, 2), om = num(s + i + 4, 2);
        if (oh > 23 || om > 59) return false;
        offset = (int64_t)(oh * 3600 + om * 60) * (s[i] == '-' ? -1 : 1);
        i += 6;
    } else {
        return false;
    }
    if (i != n) return false;
    int64_t t = days_from_civil(y, mo, d) * SECONDS_PER_DAY + h * 3600 + mi * 60 + sec - offset;
    if (t < TIMESTAMP_MIN_SECONDS || t > TIMESTAMP_MAX_SECONDS) return false;
    *seconds = t;
    return true;
}

/* "-?\d+(\.\d{1,9})?s" within +-315576000000 seconds. */
static bool parse_duration(const char *s, size_t n, int64_t *seconds, int32_t *nanos)
{
    size_t i = 0;
    bool neg = false;
    if (n < 2 || s[n - 1] != 's') return false;
    n--;
    if (s[0] == '-') {
        neg = true;
        i++;
    }
    size_t int_start = i;
    int64_t v = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9') {
        if (i - int_start >= 12) return false;
        v = v * 10 + (s[i] - '0');
        i++;
    }
    if (i == int_start) return false;
    int32_t frac = 0;
    if (i < n && s[i] == '.') {
        size_t used;
        if (!parse_fraction(s + i + 1, n - i - 1, &frac, &used)) return false;
        i += 1 + used;
    }
    if (i != n || v > DURATION_MAX_SECONDS) return false;
    *seconds = neg ? -v : v;
    *nanos = neg ? -frac : frac;
    return true;
}

static gw_err *timestamp_from_json(j2p_ctx *c, const pb_msg *m, const json_t *j, const tc_path *path)
{
    if (!json_is_string(j)) return invalid(path, m, "expected an RFC 3339 string, got %s", json_kind(j));
    int64_t s;
    int32_t nanos;
    if (!parse_timestamp(json_string_value(j), json_string_length(j), &s, &nanos))
        return invalid(path, m, "'%.64s' is not an RFC 3339 time between years 1 and 9999 (e.g. 2024-01-02T03:04:05.5Z)",
                       json_string_value(j));
    put_seconds_nanos(c->out, s, nanos);
    return NULL;
}

static gw_err *duration_from_json(j2p_ctx *c, const pb_msg *m, const json_t *j, const tc_path *path)
{
    if (!json_is_string(j)) return invalid(path, m, "expected a string such as \"1.5s\", got %s", json_kind(j));
    int64_t s;
    int32_t nanos;
    if (!parse_duration(json_string_value(j), json_string_length(j), &s, &nanos))
        return invalid(path, m, "'%.64s' is not a duration in seconds such as \"1.5s\" (at most 315576000000s)",
                       json_string_value(j));
    put_seconds_nanos(c->out, s, nanos);
    return NULL;
}

/* "fooBar,baz.quxQuux" -> paths foo_bar and baz.qux_quux. */
static gw_err *field_mask_from_json(j2p_ctx *c, const pb_msg *m, const json_t *j, const tc_path *path)
{
    if (!json_is_string(j)) return invalid(path, m, "expected a string of comma-separated paths, got %s", json_kind(j));
    const char *s = json_string_value(j);
    size_t n = json_string_length(j);
    if (n == 0) return NULL;
    buf snake = BUF_INIT;
    gw_err *err = NULL;
    size_t start = 0;
    for (size_t i = 0; i <= n && !err; i++) {
        if (i < n && s[i] != ',') continue;
        buf_reset(&snake);
        for (size_t k = start; k < i; k++) {
            char ch = s[k];
            if (!(ch >= 'a' && ch <= 'z') && !(ch >= 'A' && ch <= 'Z') && !(ch >= '0' && ch <= '9') && ch != '.') {
                err = invalid(path, m, "'%.64s' is not a list of lowerCamelCase paths", s);
                break;
            }
            if (ch >= 'A' && ch <= 'Z') {
                tc_put_byte(&snake, '_');
                ch = (char)(ch - 'A' + 'a');
            }
            tc_put_byte(&snake, (uint8_t)ch);
        }
        if (!err && i == start) err = invalid(path, m, "'%.64s' has an empty path", s);
        if (!err) pbw_put_len_field(c->out, 1, snake.data, snake.len);
        start = i + 1;
    }
    buf_free(&snake);
    return err;
}

static gw_err *value_from_json(j2p_ctx *c, const pb_msg *m, const json_t *j, const tc_path *path)
{
    buf *out = c->out;
    switch (json_typeof(j)) {
    case JSON_NULL:
        pbw_put_tag(out, 1, PBW_VARINT);
        pbw_put_varint(out, 0);
        return NULL;
    case JSON_INTEGER: case JSON_REAL:
        pbw_put_tag(out, 2, PBW_FIXED64);
        pbw_put_fixed64(out, pbw_double_bits(json_number_value(j)));
        return NULL;
    case JSON_STRING:
        pbw_put_len_field(out, 3, json_string_value(j), json_string_length(j));
        return NULL;
    case JSON_TRUE: case JSON_FALSE:
        pbw_put_tag(out, 4, PBW_VARINT);
        pbw_put_varint(out, json_is_true(j));
        return NULL;
    default: break;
    }
    const pb_field *f = json_is_object(j) ? std_field(m, 5, PB_TYPE_MESSAGE, false) : std_field(m, 6, PB_TYPE_MESSAGE, false);
    if (!f) return nonstandard(m);
    pbw_put_tag(out, f->number, PBW_LEN);
    j2p_len_mark mk = j2p_begin_len(c);
    gw_err *e = j2p_message(c, f->message, j, path);
    if (e) return e;
    j2p_end_len(c, mk);
    return NULL;
}

static gw_err *any_from_json(j2p_ctx *c, const pb_msg *m, const json_t *j, const tc_path *path)
{
    if (!json_is_object(j)) return invalid(path, m, "expected an object with \"@type\", got %s", json_kind(j));
    const json_t *type = json_object_get(j, "@type");
    if (!type) {
        if (json_object_size(j) == 0) return NULL;          /* {}: the empty Any */
        return invalid(path, m, "%s", "\"@type\" is missing");
    }
    if (!json_is_string(type) || json_string_length(type) == 0)
        return invalid(path, m, "%s", "\"@type\" must be a non-empty string");
    const char *url = json_string_value(type);
    size_t url_len = json_string_length(type);
    const pb_msg *packed = descpool_find_type_url(c->pool, url, url_len);
    const json_t *value = json_object_get(j, "value");
    buf *out = c->out;
    if (!packed) {
        /* The form pb_to_json gives a type it does not know: {"@type": url, "value": base64}. */
        if (!value || json_object_size(j) != 2 || !json_is_string(value))
            return invalid(path, m, "type '%.200s' named by \"@type\" is not known", url);
        pbw_put_len_field(out, 1, url, url_len);
        pbw_put_tag(out, 2, PBW_LEN);
        j2p_len_mark mk = j2p_begin_len(c);
        if (!base64_decode(out, json_string_value(value), json_string_length(value)))
            return invalid(path, m, "%s", "\"value\" of an unknown type must be base64");
        j2p_end_len(c, mk);
        return NULL;
    }
    pbw_put_len_field(out, 1, url, url_len);
    pbw_put_tag(out, 2, PBW_LEN);
    j2p_len_mark mk = j2p_begin_len(c);
    gw_err *e;
    tc_path vp = {path, TC_PATH_FIELD, "value", 5, 0};
    if (wkt_is_special(packed->wkt)) {
        if (!value) return invalid(path, m, "%s", "\"value\" is missing (the packed type has a special JSON form)");
        if (json_object_size(j) != 2) {
            const char *key;
            json_t *v;
            json_object_foreach((json_t *)j, key, v) {
                if (strcmp(key, "@type") != 0 && strcmp(key, "value") != 0)
                    return invalid(path, m, "unknown field '%.64s' next to \"@type\" and \"value\"", key);
            }
        }
        e = j2p_message(c, packed, value, path ? &vp : NULL);
    } else {
        /* Any is one level; the packed message's fields sit in the same object. */
        e = j2p_members(c, packed, j, "@type", path);
    }
    if (e) return e;
    j2p_end_len(c, mk);
    return NULL;
}

gw_err *wkt_json_to_pb(j2p_ctx *c, const pb_msg *m, const json_t *j, const tc_path *path)
{
    const pb_field *f;
    switch (m->wkt) {
    case PB_WKT_ANY: return any_from_json(c, m, j, path);
    case PB_WKT_TIMESTAMP: return timestamp_from_json(c, m, j, path);
    case PB_WKT_DURATION: return duration_from_json(c, m, j, path);
    case PB_WKT_FIELD_MASK: return field_mask_from_json(c, m, j, path);
    case PB_WKT_VALUE: return value_from_json(c, m, j, path);
    case PB_WKT_STRUCT:
        if (!json_is_object(j)) return invalid(path, m, "expected an object, got %s", json_kind(j));
        f = std_field(m, 1, PB_TYPE_MESSAGE, true);
        if (!f || !f->is_map) return nonstandard(m);
        return j2p_field(c, m, f, j, path);
    case PB_WKT_LIST_VALUE:
        if (!json_is_array(j)) return invalid(path, m, "expected an array, got %s", json_kind(j));
        f = std_field(m, 1, PB_TYPE_MESSAGE, true);
        if (!f) return nonstandard(m);
        return j2p_field(c, m, f, j, path);
    default:                                  /* the wrappers: the wrapped value itself */
        f = pb_msg_field_by_number(m, 1);
        if (!f || f->repeated || f->type == PB_TYPE_MESSAGE || f->type == PB_TYPE_GROUP) return nonstandard(m);
        if (json_is_null(j)) return invalid(path, m, "%s", "null is not a value here");
        return j2p_field(c, m, f, j, path);
    }
}
