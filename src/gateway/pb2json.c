/* pb2json.c: protobuf wire bytes -> proto3 JSON text, written straight into a buf (see transcode.h).
 *
 * Runs on whichever thread renders a response; no globals, no json_t tree. A message is first
 * scanned once for structure (bounds, wire types, field order); the common case, fields in number
 * order with no repeats of singular fields, is then rendered in a single pass without allocating.
 * Anything else (out-of-order fields, a singular field given twice, two members of a oneof) takes
 * the general path, which sorts the records by field first and applies protobuf's merge rules:
 * the last scalar wins, repeated messages merge, the last oneof member wins. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "pbwire.h"
#include "transcode.h"
#include "wkt.h"

#define MAP_STACK_ENTRIES 16            /* map entries sorted on the stack before going to the heap */
#define SMALL_SORT 64                   /* up to this many records, insertion sort (no quadratic risk) */

/* ------------------------------------------------------------------ strings */

/* 0: copied as is; 1: ASCII that needs an escape; 2: the lead byte of a multi-byte sequence. */
static const uint8_t STRING_CLASS[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
};

/* Length of the well-formed UTF-8 sequence at p (RFC 3629: no overlongs, no surrogates, nothing
 * above U+10FFFF), or 0 when the bytes there are not one. */
static size_t utf8_sequence_len(const uint8_t *p, const uint8_t *end)
{
    uint8_t c = p[0];
    size_t avail = (size_t)(end - p);
    if (c >= 0xc2 && c <= 0xdf) return avail >= 2 && (p[1] & 0xc0) == 0x80 ? 2 : 0;
    if (c >= 0xe0 && c <= 0xef) {
        if (avail < 3 || (p[2] & 0xc0) != 0x80) return 0;
        uint8_t lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
        return p[1] >= lo && p[1] <= hi ? 3 : 0;
    }
    if (c >= 0xf0 && c <= 0xf4) {
        if (avail < 4 || (p[2] & 0xc0) != 0x80 || (p[3] & 0xc0) != 0x80) return 0;
        uint8_t lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
        return p[1] >= lo && p[1] <= hi ? 4 : 0;
    }
    return 0;
}

static bool utf8_valid(const uint8_t *p, size_t n)
{
    const uint8_t *end = p + n;
    while (p < end) {
        if (*p < 0x80) {
            p++;
            continue;
        }
        size_t len = utf8_sequence_len(p, end);
        if (!len) return false;
        p += len;
    }
    return true;
}

/* Appends p[0..n) with U+FFFD for each byte that starts no character (as json_write_string does). */
static void utf8_sanitize(buf *out, const uint8_t *p, size_t n)
{
    const uint8_t *end = p + n;
    while (p < end) {
        size_t len = *p < 0x80 ? 1 : utf8_sequence_len(p, end);
        if (len) {
            buf_append(out, p, len);
            p += len;
        } else {
            buf_append(out, "\xef\xbf\xbd", 3);
            p++;
        }
    }
}

/* Writes straight into the buffer: room for the plain bytes is reserved up front, and again before
 * each escape (which may take up to 6 bytes for 1 input byte). */
void json_write_string(buf *out, const char *s, size_t n)
{
    static const char HEX[] = "0123456789abcdef";
    const uint8_t *p = (const uint8_t *)s, *end = p + n;
    if (out->len + n + 3 > out->cap) buf_reserve(out, n + 2);
    uint8_t *o = out->data + out->len;
    *o++ = '"';
    while (p < end) {
        const uint8_t *run = p;
        while (p < end && STRING_CLASS[*p] == 0) p++;
        memcpy(o, run, (size_t)(p - run));
        o += p - run;
        if (p == end) break;
        out->len = (size_t)(o - out->data);
        buf_reserve(out, (size_t)(end - p) + 8);
        o = out->data + out->len;
        uint8_t ch = *p;
        if (ch < 0x80) {
            *o++ = '\\';
            switch (ch) {
            case '"': *o++ = '"'; break;
            case '\\': *o++ = '\\'; break;
            case '\b': *o++ = 'b'; break;
            case '\f': *o++ = 'f'; break;
            case '\n': *o++ = 'n'; break;
            case '\r': *o++ = 'r'; break;
            case '\t': *o++ = 't'; break;
            default:                          /* other controls, and <, >, & for HTML safety */
                *o++ = 'u';
                *o++ = '0';
                *o++ = '0';
                *o++ = (uint8_t)HEX[ch >> 4];
                *o++ = (uint8_t)HEX[ch & 15];
            }
            p++;
            continue;
        }
        size_t len = utf8_sequence_len(p, end);
        if (len == 0) {
            memcpy(o, "\xef\xbf\xbd", 3);  /* U+FFFD for each byte that starts no character */
            o += 3;
            p++;
        } else if (len == 3 && p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9)) {
            memcpy(o, p[2] == 0xa8 ? "\\u2028" : "\\u2029", 6);   /* line separators break JS */
            o += 6;
            p += 3;
        } else {
            memcpy(o, p, len);
            o += len;
            p += len;
        }
    }
    *o++ = '"';
    out->len = (size_t)(o - out->data);
    out->data[out->len] = 0;
}

/* ------------------------------------------------------------------ numbers */

void tc_write_u64(buf *out, uint64_t v)
{
    char tmp[24];
    char *e = tmp + sizeof tmp, *q = e;
    do {
        *--q = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    tc_put(out, q, (size_t)(e - q));
}

void tc_write_i64(buf *out, int64_t v)
{
    if (v < 0) {
        tc_put_byte(out, '-');
        tc_write_u64(out, (uint64_t)0 - (uint64_t)v);
    } else {
        tc_write_u64(out, (uint64_t)v);
    }
}

/* "-0" would be shorter, but jansson (which reads the gateway's requests) and others read it as
 * the integer 0, losing the sign; "-0.0" reads back as negative zero everywhere. */
#define NEGATIVE_ZERO "-0.0"

static const double POW10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9,
                               1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17};
#define EXACT_INT_LIMIT 9007199254740992.0   /* 2^53 */

/* m / 10^k as text, with the sign: "12.5", "0.0125". */
static size_t write_decimal(char *out, bool neg, uint64_t m, int k)
{
    char digits[24];
    int nd = 0;
    do {
        digits[nd++] = (char)('0' + m % 10);
        m /= 10;
    } while (m);
    size_t n = 0;
    if (neg) out[n++] = '-';
    if (nd <= k) {
        out[n++] = '0';
        out[n++] = '.';
        for (int i = nd; i < k; i++) out[n++] = '0';
    }
    for (int i = nd - 1; i >= 0; i--) {
        out[n++] = digits[i];
        if (i == k && k > 0 && nd > k) out[n++] = '.';
    }
    out[n] = 0;
    return n;
}

/* The fast path for ordinary magnitudes: the fewest decimals k for which some integer m gives
 * m / 10^k == a exactly after rounding. Both m (< 2^53) and 10^k (k <= 17) are exact doubles, so
 * the division rounds the exact quotient just as strtod rounds the text "m e-k": the text reads
 * back to a. Returns 0 when no such form is found (the caller falls back to printf). */
static size_t format_double_fixed(double d, char *out)
{
    double a = fabs(d);
    if (!(a >= 1e-4 && a < 1e15)) return 0;
    for (int k = 0; k <= 17; k++) {
        double scaled = a * POW10[k];
        if (scaled >= EXACT_INT_LIMIT) return 0;
        double r = nearbyint(scaled);
        for (int delta = 0; delta <= 2; delta++) {
            double m = delta == 0 ? r : delta == 1 ? r - 1 : r + 1;
            if (m > 0 && m / POW10[k] == a) return write_decimal(out, d < 0, (uint64_t)m, k);
            if (scaled < EXACT_INT_LIMIT / 8) break;   /* far from 2^53 the nearest integer is right */
        }
    }
    return 0;
}

/* The same for floats: m / 10^k must round to the float f. The double quotient q is within half a
 * double ulp of the exact one, so q strictly inside f's rounding interval, by more than that, is
 * proof; a q too close to the interval's edge is left to the slow path. */
static size_t format_float_fixed(float f, char *out)
{
    float a = fabsf(f);
    if (!(a >= 1e-4f && a < 1e9f)) return 0;
    double lo = ((double)a + (double)nextafterf(a, 0)) / 2, hi = ((double)a + (double)nextafterf(a, INFINITY)) / 2;
    for (int k = 0; k <= 12; k++) {
        double scaled = (double)a * POW10[k];
        if (scaled >= EXACT_INT_LIMIT) return 0;
        double m = nearbyint(scaled);
        double q = m / POW10[k];
        if (m > 0 && q > lo && q < hi) {
            if (nextafter(q, -INFINITY) > lo && nextafter(q, INFINITY) < hi) return write_decimal(out, f < 0, (uint64_t)m, k);
            return 0;
        }
    }
    return 0;
}

/* Shortest round-trip text. Ordinary values take the exact fast path above; others use %.Ng with
 * the smallest N that reads back exactly. A normal double needs at least 15 digits unless fewer
 * print the same (%g drops trailing zeros), a float 6; subnormals carry fewer significant bits, so
 * their search starts at 1. (printf relies on the C locale's '.', which the gateway never changes.) */
size_t tc_format_double(double d, char *out)
{
    if (d == 0) return (size_t)snprintf(out, 32, signbit(d) ? NEGATIVE_ZERO : "0");
    size_t n = format_double_fixed(d, out);
    if (n) return n;
    int len = 0;
    for (int prec = fabs(d) < DBL_MIN ? 1 : 15; prec <= 17; prec++) {
        len = snprintf(out, 32, "%.*g", prec, d);
        if (strtod(out, NULL) == d) break;
    }
    return (size_t)len;
}

size_t tc_format_float(float f, char *out)
{
    if (f == 0) return (size_t)snprintf(out, 32, signbit(f) ? NEGATIVE_ZERO : "0");
    size_t n = format_float_fixed(f, out);
    if (n) return n;
    int len = 0;
    for (int prec = fabsf(f) < FLT_MIN ? 1 : 6; prec <= 9; prec++) {
        len = snprintf(out, 32, "%.*g", prec, (double)f);
        if (strtof(out, NULL) == f) break;
    }
    return (size_t)len;
}

static void write_double(buf *out, double d)
{
    if (isnan(d)) {
        tc_put(out, "\"NaN\"", 5);
    } else if (isinf(d)) {
        if (d > 0) tc_put(out, "\"Infinity\"", 10);
        else tc_put(out, "\"-Infinity\"", 11);
    } else {
        char tmp[32];
        tc_put(out, tmp, tc_format_double(d, tmp));
    }
}

static void write_float(buf *out, float f)
{
    if (isnan(f) || isinf(f)) {
        write_double(out, (double)f);
    } else {
        char tmp[32];
        tc_put(out, tmp, tc_format_float(f, tmp));
    }
}

/* ------------------------------------------------------------------ errors and paths */

/* Nodes link child -> parent; print the parents first. Paths are as deep as the data, which the
 * depth limit bounds. */
void tc_path_format(buf *out, const tc_path *p)
{
    if (!p) return;
    tc_path_format(out, p->parent);
    switch (p->kind) {
    case TC_PATH_FIELD:
        if (p->parent) tc_put_byte(out, '.');
        tc_put(out, p->name, p->len ? p->len : strlen(p->name));
        break;
    case TC_PATH_INDEX:
        tc_put_byte(out, '[');
        tc_write_u64(out, p->index);
        tc_put_byte(out, ']');
        break;
    case TC_PATH_INT_KEY:
    case TC_PATH_UINT_KEY:
        tc_put_byte(out, '[');
        if (p->kind == TC_PATH_INT_KEY) tc_write_i64(out, (int64_t)p->index);
        else tc_write_u64(out, p->index);
        tc_put_byte(out, ']');
        break;
    case TC_PATH_KEY:
        tc_put_byte(out, '[');
        tc_put(out, p->name, p->len);
        tc_put_byte(out, ']');
        break;
    }
}

const char *tc_type_name(const pb_field *f)
{
    static const char *const names[] = {
        [PB_TYPE_DOUBLE] = "double", [PB_TYPE_FLOAT] = "float", [PB_TYPE_INT64] = "int64",
        [PB_TYPE_UINT64] = "uint64", [PB_TYPE_INT32] = "int32", [PB_TYPE_FIXED64] = "fixed64",
        [PB_TYPE_FIXED32] = "fixed32", [PB_TYPE_BOOL] = "bool", [PB_TYPE_STRING] = "string",
        [PB_TYPE_GROUP] = "group", [PB_TYPE_MESSAGE] = "message", [PB_TYPE_BYTES] = "bytes",
        [PB_TYPE_UINT32] = "uint32", [PB_TYPE_ENUM] = "enum", [PB_TYPE_SFIXED32] = "sfixed32",
        [PB_TYPE_SFIXED64] = "sfixed64", [PB_TYPE_SINT32] = "sint32", [PB_TYPE_SINT64] = "sint64",
    };
    if ((f->type == PB_TYPE_MESSAGE || f->type == PB_TYPE_GROUP) && f->message) return f->message->full_name;
    if (f->type == PB_TYPE_ENUM && f->enumeration) return f->enumeration->full_name;
    if (f->type >= PB_TYPE_DOUBLE && f->type <= PB_TYPE_SINT64) return names[f->type];
    return "?";
}

gw_err *p2j_malformed(const pb_msg *m, const tc_path *path, const char *what)
{
    buf b = BUF_INIT;
    tc_path_format(&b, path);
    gw_err *e;
    if (b.len)
        e = gw_err_new(GRPC_STATUS_INTERNAL, "invalid protobuf data for %s at field '%s': %s", m->full_name,
                       (char *)b.data, what);
    else
        e = gw_err_new(GRPC_STATUS_INTERNAL, "invalid protobuf data for %s: %s", m->full_name, what);
    buf_free(&b);
    return e;
}

/* ------------------------------------------------------------------ records */

/* The wire type a field's values use when not packed (-1: not rendered, i.e. groups). */
static int wire_type_of(enum pb_type t)
{
    switch (t) {
    case PB_TYPE_DOUBLE: case PB_TYPE_FIXED64: case PB_TYPE_SFIXED64: return PBW_FIXED64;
    case PB_TYPE_FLOAT: case PB_TYPE_FIXED32: case PB_TYPE_SFIXED32: return PBW_FIXED32;
    case PB_TYPE_STRING: case PB_TYPE_BYTES: case PB_TYPE_MESSAGE: return PBW_LEN;
    case PB_TYPE_GROUP: return -1;
    default: return PBW_VARINT;
    }
}

/* Whether a record of wire type wt holds field f's data. Other records of the same number are
 * treated as unknown fields, as protobuf parsers do. Repeated scalars accept packed and unpacked. */
static bool wire_ok(const pb_field *f, int wt)
{
    int want = wire_type_of(f->type);
    if (wt == want) return want >= 0;
    return wt == PBW_LEN && f->repeated && want != PBW_LEN && want >= 0;
}

/* One decoded record. */
typedef struct record {
    uint32_t number;
    int wt;
    uint64_t v;                          /* VARINT, FIXED32, FIXED64 */
    const uint8_t *d;                    /* LEN payload */
    size_t dn;
} record;

/* Reads the record at r; false on malformed data. Groups are skipped (number set, wt SGROUP). */
static bool read_record(pbw_reader *r, record *rec)
{
    if (!pbw_read_tag(r, &rec->number, &rec->wt)) return false;
    uint32_t u32;
    switch (rec->wt) {
    case PBW_VARINT: return pbw_read_varint(r, &rec->v);
    case PBW_FIXED64: return pbw_read_fixed64(r, &rec->v);
    case PBW_FIXED32:
        if (!pbw_read_fixed32(r, &u32)) return false;
        rec->v = u32;
        return true;
    case PBW_LEN: return pbw_read_len(r, &rec->d, &rec->dn);
    default: return pbw_skip(r, rec->wt, rec->number);     /* a stray end-group fails here */
    }
}

/* A stretch of a message's wire bytes holding (among others) the records of the field rendered. */
typedef struct span {
    const uint8_t *begin, *end;
} span;

/* ------------------------------------------------------------------ values */

static void write_key(p2j_ctx *c, const pb_field *f, bool *comma)
{
    if (*comma) tc_put_byte(c->out, ',');
    *comma = true;
    const char *name = c->o->proto_names ? f->name : f->json_name;
    json_write_string(c->out, name, strlen(name));
    tc_put_byte(c->out, ':');
}

static void write_enum(p2j_ctx *c, const pb_enum *e, int32_t n)
{
    if (e->is_null_value) {
        tc_put(c->out, "null", 4);
        return;
    }
    const pb_enum_value *v = c->o->enums_as_ints ? NULL : pb_enum_value_by_number(e, n);
    if (v) json_write_string(c->out, v->name, strlen(v->name));
    else tc_write_i64(c->out, n);                /* unknown numbers of open enums stay numbers */
}

/* Writes one value of field f held by a record's data (for LEN: d/dn; else v). */
static gw_err *write_scalar(p2j_ctx *c, const pb_msg *m, const pb_field *f, uint64_t v, const uint8_t *d,
                            size_t dn, const tc_path *path)
{
    buf *out = c->out;
    switch (f->type) {
    case PB_TYPE_DOUBLE: write_double(out, pbw_double_from_bits(v)); break;
    case PB_TYPE_FLOAT: write_float(out, pbw_float_from_bits((uint32_t)v)); break;
    case PB_TYPE_INT64: case PB_TYPE_SFIXED64:
        tc_put_byte(out, '"');
        tc_write_i64(out, (int64_t)v);
        tc_put_byte(out, '"');
        break;
    case PB_TYPE_SINT64:
        tc_put_byte(out, '"');
        tc_write_i64(out, pbw_unzigzag64(v));
        tc_put_byte(out, '"');
        break;
    case PB_TYPE_UINT64: case PB_TYPE_FIXED64:
        tc_put_byte(out, '"');
        tc_write_u64(out, v);
        tc_put_byte(out, '"');
        break;
    case PB_TYPE_INT32: case PB_TYPE_SFIXED32: tc_write_i64(out, (int32_t)(uint32_t)v); break;
    case PB_TYPE_SINT32: tc_write_i64(out, pbw_unzigzag32((uint32_t)v)); break;
    case PB_TYPE_UINT32: case PB_TYPE_FIXED32: tc_write_u64(out, (uint32_t)v); break;
    case PB_TYPE_BOOL:
        if (v) tc_put(out, "true", 4);
        else tc_put(out, "false", 5);
        break;
    case PB_TYPE_ENUM: write_enum(c, f->enumeration, (int32_t)(uint32_t)v); break;
    case PB_TYPE_STRING: json_write_string(out, (const char *)d, dn); break;
    case PB_TYPE_BYTES:
        tc_put_byte(out, '"');
        base64_encode(out, d, dn, true);
        tc_put_byte(out, '"');
        break;
    case PB_TYPE_MESSAGE: return p2j_message(c, f->message, d, dn, path);
    default: return p2j_malformed(m, path, "unsupported field type");
    }
    return NULL;
}

/* The JSON of an implicit-presence field at its default, or of an absent field's default form. */
static gw_err *write_default(p2j_ctx *c, const pb_msg *m, const pb_field *f, const tc_path *path)
{
    if (f->is_map) {
        tc_put(c->out, "{}", 2);
        return NULL;
    }
    if (f->repeated) {
        tc_put(c->out, "[]", 2);
        return NULL;
    }
    return write_scalar(c, m, f, 0, (const uint8_t *)"", 0, path);
}

/* Every record of f in the spans, in wire order, as callbacks would be: implemented as an iterator. */
typedef struct field_iter {
    const span *spans;
    size_t n_spans, i;
    pbw_reader r;
    const pb_field *f;
} field_iter;

static void iter_init(field_iter *it, const pb_field *f, const span *sp, size_t n)
{
    it->spans = sp;
    it->n_spans = n;
    it->i = 0;
    it->f = f;
    it->r = n ? pbw_reader_init(sp[0].begin, (size_t)(sp[0].end - sp[0].begin)) : pbw_reader_init(NULL, 0);
}

/* Next record of the field: 1, 0 at the end, -1 on malformed data (already validated by the scan,
 * so this only happens for callers that skipped it). */
static int iter_next(field_iter *it, record *rec)
{
    for (;;) {
        while (pbw_at_end(&it->r)) {
            if (++it->i >= it->n_spans) return 0;
            it->r = pbw_reader_init(it->spans[it->i].begin,
                                    (size_t)(it->spans[it->i].end - it->spans[it->i].begin));
        }
        if (!read_record(&it->r, rec)) return -1;
        if (rec->number == it->f->number && wire_ok(it->f, rec->wt)) return 1;
    }
}

/* ------------------------------------------------------------------ repeated fields */

static gw_err *write_array(p2j_ctx *c, const pb_msg *m, const pb_field *f, const span *sp, size_t nsp,
                           const tc_path *fp)
{
    tc_put_byte(c->out, '[');
    field_iter it;
    iter_init(&it, f, sp, nsp);
    record rec;
    int st;
    size_t index = 0;
    int want = wire_type_of(f->type);
    while ((st = iter_next(&it, &rec)) > 0) {
        if (rec.wt == PBW_LEN && want != PBW_LEN) {
            /* packed: a run of values without tags */
            pbw_reader pr = pbw_reader_init(rec.d, rec.dn);
            while (!pbw_at_end(&pr)) {
                uint64_t v = 0;
                uint32_t u32 = 0;
                bool ok;
                if (want == PBW_VARINT) {
                    ok = pbw_read_varint(&pr, &v);
                } else if (want == PBW_FIXED64) {
                    ok = pbw_read_fixed64(&pr, &v);
                } else {
                    ok = pbw_read_fixed32(&pr, &u32);
                    v = u32;
                }
                tc_path ep = {fp, TC_PATH_INDEX, NULL, 0, index};
                if (!ok) return p2j_malformed(m, &ep, "truncated packed value");
                if (index++) tc_put_byte(c->out, ',');
                gw_err *e = write_scalar(c, m, f, v, NULL, 0, &ep);
                if (e) return e;
            }
        } else {
            tc_path ep = {fp, TC_PATH_INDEX, NULL, 0, index};
            if (index++) tc_put_byte(c->out, ',');
            gw_err *e = write_scalar(c, m, f, rec.v, rec.d, rec.dn, &ep);
            if (e) return e;
        }
    }
    if (st < 0) return p2j_malformed(m, fp, "truncated record");
    tc_put_byte(c->out, ']');
    return NULL;
}

/* ------------------------------------------------------------------ maps */

typedef struct map_item {
    uint64_t key;                         /* integer keys, as uint64 or int64 bits */
    const uint8_t *ks;                    /* string keys */
    size_t kn;
    const uint8_t *entry;                 /* the entry message */
    size_t en;
    size_t order;
} map_item;

static int cmp_order(const map_item *x, const map_item *y) { return x->order < y->order ? -1 : x->order > y->order; }

static int cmp_str_key(const void *a, const void *b)
{
    const map_item *x = a, *y = b;
    size_t n = x->kn < y->kn ? x->kn : y->kn;
    int r = n ? memcmp(x->ks, y->ks, n) : 0;
    if (r) return r;
    if (x->kn != y->kn) return x->kn < y->kn ? -1 : 1;
    return cmp_order(x, y);
}

static int cmp_signed_key(const void *a, const void *b)
{
    const map_item *x = a, *y = b;
    if (x->key != y->key) return (int64_t)x->key < (int64_t)y->key ? -1 : 1;
    return cmp_order(x, y);
}

static int cmp_unsigned_key(const void *a, const void *b)
{
    const map_item *x = a, *y = b;
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    return cmp_order(x, y);
}

static bool key_is_signed(enum pb_type t)
{
    return t == PB_TYPE_INT32 || t == PB_TYPE_INT64 || t == PB_TYPE_SINT32 || t == PB_TYPE_SINT64 ||
           t == PB_TYPE_SFIXED32 || t == PB_TYPE_SFIXED64;
}

/* The key of one entry, normalised so that equal keys compare equal whatever their encoding. */
static bool read_map_key(const pb_field *kf, const uint8_t *e, size_t en, map_item *it)
{
    it->key = 0;
    it->ks = (const uint8_t *)"";
    it->kn = 0;
    pbw_reader r = pbw_reader_init(e, en);
    record rec;
    while (!pbw_at_end(&r)) {
        if (!read_record(&r, &rec)) return false;
        if (rec.number != 1 || !wire_ok(kf, rec.wt)) continue;
        switch (kf->type) {
        case PB_TYPE_STRING: it->ks = rec.d; it->kn = rec.dn; break;
        case PB_TYPE_BOOL: it->key = rec.v != 0; break;
        case PB_TYPE_INT32: case PB_TYPE_SFIXED32: it->key = (uint64_t)(int64_t)(int32_t)(uint32_t)rec.v; break;
        case PB_TYPE_SINT32: it->key = (uint64_t)(int64_t)pbw_unzigzag32((uint32_t)rec.v); break;
        case PB_TYPE_SINT64: it->key = (uint64_t)pbw_unzigzag64(rec.v); break;
        case PB_TYPE_UINT32: case PB_TYPE_FIXED32: it->key = (uint32_t)rec.v; break;
        default: it->key = rec.v; break;                 /* int64, uint64, fixed64, sfixed64 */
        }
    }
    return true;
}

static void write_map_key(p2j_ctx *c, const pb_field *kf, const map_item *it)
{
    buf *out = c->out;
    if (kf->type == PB_TYPE_STRING) {
        json_write_string(out, (const char *)it->ks, it->kn);
    } else if (kf->type == PB_TYPE_BOOL) {
        buf_append_str(out, it->key ? "\"true\"" : "\"false\"");
    } else {
        tc_put_byte(out, '"');
        if (key_is_signed(kf->type)) tc_write_i64(out, (int64_t)it->key);
        else tc_write_u64(out, it->key);
        tc_put_byte(out, '"');
    }
}

/* Map entries: sorted by key (so output is deterministic, as in Go's protojson), and when a key
 * repeats, the last entry on the wire wins (protobuf's rule). */
static gw_err *write_map(p2j_ctx *c, const pb_msg *m, const pb_field *f, const span *sp, size_t nsp,
                         const tc_path *fp)
{
    const pb_msg *em = f->message;
    const pb_field *kf = &em->fields[0], *vf = &em->fields[1];
    map_item stack_items[MAP_STACK_ENTRIES], *items = stack_items;
    size_t n = 0, cap = MAP_STACK_ENTRIES;
    buf fixed = BUF_INIT;
    gw_err *err = NULL;
    field_iter it;
    iter_init(&it, f, sp, nsp);
    record rec;
    int st;
    while ((st = iter_next(&it, &rec)) > 0) {
        if (n == cap) {
            cap *= 2;
            map_item *grown = malloc(cap * sizeof *grown);
            if (!grown) abort();
            memcpy(grown, items, n * sizeof *items);
            if (items != stack_items) free(items);
            items = grown;
        }
        map_item *mi = &items[n];
        mi->entry = rec.d;
        mi->en = rec.dn;
        mi->order = n;
        if (!read_map_key(kf, rec.d, rec.dn, mi)) {
            tc_path ep = {fp, TC_PATH_INDEX, NULL, 0, n};
            err = p2j_malformed(m, &ep, "malformed map entry");
            goto done;
        }
        n++;
    }
    if (st < 0) {
        err = p2j_malformed(m, fp, "truncated record");
        goto done;
    }
    if (kf->type == PB_TYPE_STRING) {
        /* Keys that are not UTF-8 print with U+FFFD, so distinct keys may print alike: compare
         * (and so deduplicate) them as printed. The sanitised copies live in `fixed`. */
        size_t *offsets = NULL;
        for (size_t i = 0; i < n; i++) {
            if (utf8_valid(items[i].ks, items[i].kn)) continue;
            if (!offsets && !(offsets = calloc(n, sizeof *offsets))) abort();
            offsets[i] = fixed.len + 1;
            utf8_sanitize(&fixed, items[i].ks, items[i].kn);
            items[i].kn = fixed.len - (offsets[i] - 1);
        }
        for (size_t i = 0; offsets && i < n; i++)
            if (offsets[i]) items[i].ks = fixed.data + offsets[i] - 1;
        free(offsets);
    }
    int (*cmp)(const void *, const void *) = kf->type == PB_TYPE_STRING ? cmp_str_key
                                             : key_is_signed(kf->type) ? cmp_signed_key : cmp_unsigned_key;
    if (n > SMALL_SORT) {
        qsort(items, n, sizeof *items, cmp);
    } else {
        for (size_t i = 1; i < n; i++) {          /* small maps: insertion sort, no calls into libc */
            map_item x = items[i];
            size_t k = i;
            for (; k > 0 && cmp(&items[k - 1], &x) > 0; k--) items[k] = items[k - 1];
            items[k] = x;
        }
    }
    tc_put_byte(c->out, '{');
    bool comma = false;
    for (size_t i = 0; i < n; i++) {
        map_item *mi = &items[i];
        if (i + 1 < n) {
            map_item *nx = &items[i + 1];
            bool same = kf->type == PB_TYPE_STRING ? mi->kn == nx->kn && (!mi->kn || !memcmp(mi->ks, nx->ks, mi->kn))
                                                    : mi->key == nx->key;
            if (same) continue;                    /* a later entry has this key */
        }
        if (comma) tc_put_byte(c->out, ',');
        comma = true;
        write_map_key(c, kf, mi);
        tc_put_byte(c->out, ':');
        tc_path kp = {fp, TC_PATH_KEY, (const char *)mi->ks, mi->kn, 0};
        if (kf->type != PB_TYPE_STRING) {
            kp.kind = key_is_signed(kf->type) ? TC_PATH_INT_KEY : TC_PATH_UINT_KEY;
            kp.index = mi->key;
        }
        err = p2j_field_validated(c, em, vf, mi->entry, mi->en, &kp);   /* read_map_key walked it */
        if (err) goto done;
    }
    tc_put_byte(c->out, '}');
done:
    if (items != stack_items) free(items);
    buf_free(&fixed);
    return err;
}

/* ------------------------------------------------------------------ fields */

/* A singular message field given in several records: protobuf merges them, which for the wire
 * format is the same as parsing the concatenation of their payloads. */
static gw_err *write_singular_message(p2j_ctx *c, const pb_msg *m, const pb_field *f, const span *sp, size_t nsp,
                                      const tc_path *fp)
{
    field_iter it;
    iter_init(&it, f, sp, nsp);
    record rec, first = {0};
    size_t count = 0, total = 0;
    int st;
    while ((st = iter_next(&it, &rec)) > 0) {
        if (!count) first = rec;
        count++;
        total += rec.dn;
    }
    if (st < 0) return p2j_malformed(m, fp, "truncated record");
    if (count <= 1) return p2j_message(c, f->message, count ? first.d : NULL, count ? first.dn : 0, fp);
    uint8_t *joined = malloc(total ? total : 1);
    if (!joined) abort();
    size_t off = 0;
    iter_init(&it, f, sp, nsp);
    while (iter_next(&it, &rec) > 0) {
        memcpy(joined + off, rec.d, rec.dn);
        off += rec.dn;
    }
    gw_err *e = p2j_message(c, f->message, joined, total, fp);
    free(joined);
    return e;
}

/* The last record of a singular scalar field, or false when it has none. */
static bool last_record(const pb_field *f, const span *sp, size_t nsp, record *out)
{
    field_iter it;
    iter_init(&it, f, sp, nsp);
    record rec;
    bool found = false;
    while (iter_next(&it, &rec) > 0) {
        *out = rec;
        found = true;
    }
    return found;
}

static gw_err *write_value(p2j_ctx *c, const pb_msg *m, const pb_field *f, const span *sp, size_t nsp,
                           const tc_path *fp)
{
    if (f->is_map) return write_map(c, m, f, sp, nsp, fp);
    if (f->repeated) return write_array(c, m, f, sp, nsp, fp);
    if (f->type == PB_TYPE_MESSAGE) return write_singular_message(c, m, f, sp, nsp, fp);
    record rec;
    if (!last_record(f, sp, nsp, &rec)) return write_default(c, m, f, fp);
    return write_scalar(c, m, f, rec.v, rec.d, rec.dn, fp);
}

/* Whether a record holds the default value of its (implicit-presence) field. NullValue has one
 * value; whatever number the wire holds, it prints as null, so it counts as its default (printing
 * null for it would read back as 0, absent). */
static bool is_default_value(const pb_field *f, const record *rec)
{
    if (f->type == PB_TYPE_ENUM && f->enumeration->is_null_value) return true;
    if (rec->wt == PBW_LEN) return rec->dn == 0;
    switch (f->type) {
    case PB_TYPE_INT32: case PB_TYPE_UINT32: case PB_TYPE_SINT32: case PB_TYPE_ENUM:
        return (uint32_t)rec->v == 0;          /* 32-bit values keep the low 32 bits of the varint */
    default: return rec->v == 0;
    }
}

/* One member "name":value for field f, whose records lie in the spans. Implicit-presence scalars
 * at their default value are left out unless emit_defaults. */
static gw_err *write_member(p2j_ctx *c, const pb_msg *m, const pb_field *f, const span *sp, size_t nsp,
                            const record *only, bool *comma, const tc_path *path)
{
    tc_path fp = {path, TC_PATH_FIELD, f->name, 0, 0};
    if (only && !f->repeated) {                   /* the field's one record, already decoded */
        if (f->type == PB_TYPE_MESSAGE) {
            write_key(c, f, comma);
            return p2j_message(c, f->message, only->d, only->dn, &fp);
        }
        if (is_default_value(f, only) && !f->has_presence && !c->o->emit_defaults) return NULL;
        write_key(c, f, comma);
        return write_scalar(c, m, f, only->v, only->d, only->dn, &fp);
    }
    if (!f->repeated && f->type != PB_TYPE_MESSAGE) {
        record rec;
        if (!last_record(f, sp, nsp, &rec)) return NULL;
        if (is_default_value(f, &rec) && !f->has_presence && !c->o->emit_defaults) return NULL;
        write_key(c, f, comma);
        return write_scalar(c, m, f, rec.v, rec.d, rec.dn, &fp);
    }
    size_t mark = c->out->len;
    bool had_comma = *comma;
    write_key(c, f, comma);
    gw_err *e = write_value(c, m, f, sp, nsp, &fp);
    if (!e && f->repeated && !f->is_map && !c->o->emit_defaults && c->out->data[c->out->len - 2] == '[') {
        /* only empty packed records: no elements, so the field is not populated */
        c->out->len = mark;
        c->out->data[mark] = 0;
        *comma = had_comma;
    }
    return e;
}

/* emit_defaults: the member of a field absent from the wire (protojson's EmitUnpopulated): [] and
 * {} for repeated fields and maps, null for singular messages, the zero value for implicit-presence
 * scalars; nothing for oneof members, proto3 `optional` fields and other fields with explicit
 * presence, nor for groups. */
static gw_err *write_absent(p2j_ctx *c, const pb_msg *m, const pb_field *f, bool *comma, const tc_path *path)
{
    if (f->type == PB_TYPE_GROUP || f->oneof_index >= 0 || f->proto3_optional) return NULL;
    if (f->repeated) {
        write_key(c, f, comma);
        return write_default(c, m, f, path);
    }
    if (f->type == PB_TYPE_MESSAGE) {
        write_key(c, f, comma);
        tc_put(c->out, "null", 4);
        return NULL;
    }
    if (f->has_presence) return NULL;
    write_key(c, f, comma);
    tc_path fp = {path, TC_PATH_FIELD, f->name, 0, 0};
    return write_default(c, m, f, &fp);
}

static gw_err *write_absent_range(p2j_ctx *c, const pb_msg *m, size_t from, size_t to, bool *comma,
                                  const tc_path *path)
{
    if (!c->o->emit_defaults) return NULL;
    for (size_t i = from; i < to; i++) {
        gw_err *e = write_absent(c, m, &m->fields[i], comma, path);
        if (e) return e;
    }
    return NULL;
}

/* The general path: records sorted by field (stable), oneof conflicts resolved to the last member
 * seen on the wire. */
typedef struct sorted_record {
    uint32_t field_index;
    uint32_t order;
    span where;
} sorted_record;

static int cmp_sorted_record(const void *a, const void *b)
{
    const sorted_record *x = a, *y = b;
    if (x->field_index != y->field_index) return x->field_index < y->field_index ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

static gw_err *members_general(p2j_ctx *c, const pb_msg *m, const uint8_t *p, size_t n, size_t n_records,
                               bool *comma, const tc_path *path)
{
    sorted_record *recs = malloc((n_records ? n_records : 1) * sizeof *recs);
    int *oneof_winner = calloc(m->n_oneofs ? m->n_oneofs : 1, sizeof *oneof_winner);
    span *spans = malloc((n_records ? n_records : 1) * sizeof *spans);
    if (!recs || !oneof_winner || !spans) abort();
    size_t k = 0;
    pbw_reader r = pbw_reader_init(p, n);
    record rec;
    while (!pbw_at_end(&r)) {
        const uint8_t *start = r.p;
        read_record(&r, &rec);                       /* validated by the scan */
        const pb_field *f = pb_msg_field_by_number(m, rec.number);
        if (!f || !wire_ok(f, rec.wt)) continue;
        size_t fi = (size_t)(f - m->fields);
        recs[k] = (sorted_record){(uint32_t)fi, (uint32_t)k, {start, r.p}};
        k++;
        if (f->oneof_index >= 0) oneof_winner[f->oneof_index] = (int)fi + 1;
    }
    if (k > SMALL_SORT) {
        qsort(recs, k, sizeof *recs, cmp_sorted_record);
    } else {
        for (size_t i = 1; i < k; i++) {           /* few records, nearly in order: insertion sort */
            sorted_record x = recs[i];
            size_t j = i;
            for (; j > 0 && cmp_sorted_record(&recs[j - 1], &x) > 0; j--) recs[j] = recs[j - 1];
            recs[j] = x;
        }
    }
    gw_err *err = NULL;
    size_t next_field = 0;
    for (size_t i = 0; i < k && !err;) {
        size_t j = i;
        while (j < k && recs[j].field_index == recs[i].field_index) {
            spans[j - i] = recs[j].where;
            j++;
        }
        const pb_field *f = &m->fields[recs[i].field_index];
        err = write_absent_range(c, m, next_field, recs[i].field_index, comma, path);
        if (!err && (f->oneof_index < 0 || oneof_winner[f->oneof_index] == (int)recs[i].field_index + 1))
            err = write_member(c, m, f, spans, j - i, NULL, comma, path);
        next_field = recs[i].field_index + 1;
        i = j;
    }
    if (!err) err = write_absent_range(c, m, next_field, m->n_fields, comma, path);
    free(recs);
    free(oneof_winner);
    free(spans);
    return err;
}

gw_err *p2j_members(p2j_ctx *c, const pb_msg *m, const uint8_t *p, size_t n, bool *comma, const tc_path *path)
{
    /* Scan: validate the records and check whether the fast path applies. */
    pbw_reader r = pbw_reader_init(p, n);
    const pb_field *last = NULL;
    uint64_t oneofs_seen = 0;
    bool ordered = m->n_oneofs <= 64;
    size_t n_records = 0;
    record rec;
    while (!pbw_at_end(&r)) {
        if (!read_record(&r, &rec)) return p2j_malformed(m, path, "truncated or invalid record");
        n_records++;
        const pb_field *f = pb_msg_field_by_number(m, rec.number);
        if (!f || !wire_ok(f, rec.wt)) continue;
        if (f == last) {
            if (!f->repeated) ordered = false;
            continue;
        }
        if (last && f < last) ordered = false;
        if (f->oneof_index >= 0 && f->oneof_index < 64) {
            uint64_t bit = (uint64_t)1 << f->oneof_index;
            if (oneofs_seen & bit) ordered = false;
            oneofs_seen |= bit;
        }
        last = f;
    }
    if (!ordered) return members_general(c, m, p, n, n_records, comma, path);

    /* Fast path: each field's records form one run, runs in field order. A run of one record
     * (the usual case for singular fields) is rendered from the record already decoded. */
    r = pbw_reader_init(p, n);
    const pb_field *run_field = NULL;
    const uint8_t *run_start = p;
    record run_first;
    size_t run_records = 0, next_field = 0;
    for (;;) {
        const uint8_t *start = r.p;
        const pb_field *f = NULL;
        bool end = pbw_at_end(&r);
        if (!end) {
            read_record(&r, &rec);
            f = pb_msg_field_by_number(m, rec.number);
            if (!f || !wire_ok(f, rec.wt)) continue;
            if (f == run_field) {
                run_records++;
                continue;
            }
        }
        if (run_field) {
            size_t fi = (size_t)(run_field - m->fields);
            gw_err *e = write_absent_range(c, m, next_field, fi, comma, path);
            span sp = {run_start, start};
            if (!e) e = write_member(c, m, run_field, &sp, 1, run_records == 1 ? &run_first : NULL, comma, path);
            if (e) return e;
            next_field = fi + 1;
        }
        if (end) break;
        run_field = f;
        run_start = start;
        run_first = rec;
        run_records = 1;
    }
    return write_absent_range(c, m, next_field, m->n_fields, comma, path);
}

gw_err *p2j_message(p2j_ctx *c, const pb_msg *m, const uint8_t *p, size_t n, const tc_path *path)
{
    /* Levels are counted as json2pb counts them (Struct and ListValue are the JSON object and array
     * themselves; only Value adds a level), so whatever the gateway accepts it can also print. */
    bool counts = m->wkt != PB_WKT_STRUCT && m->wkt != PB_WKT_LIST_VALUE;
    if (counts && c->depth >= c->max_depth)
        return gw_err_new(GRPC_STATUS_INTERNAL, "response nesting exceeds the limit of %d levels in %s",
                          c->max_depth, m->full_name);
    c->depth += counts;
    gw_err *e;
    if (wkt_is_special(m->wkt)) {
        e = wkt_pb_to_json(c, m, p, n, path);
    } else {
        tc_put_byte(c->out, '{');
        bool comma = false;
        e = p2j_members(c, m, p, n, &comma, path);
        tc_put_byte(c->out, '}');
    }
    c->depth -= counts;
    return e;
}

gw_err *p2j_field_validated(p2j_ctx *c, const pb_msg *m, const pb_field *f, const uint8_t *p, size_t n,
                            const tc_path *path)
{
    span sp = {p, p ? p + n : p};
    return write_value(c, m, f, &sp, 1, path);
}

gw_err *p2j_field(p2j_ctx *c, const pb_msg *m, const pb_field *f, const uint8_t *p, size_t n, const tc_path *path)
{
    /* Validate first: the record iterator assumes well-formed input. */
    pbw_reader r = pbw_reader_init(p, n);
    record rec;
    while (!pbw_at_end(&r))
        if (!read_record(&r, &rec)) return p2j_malformed(m, path, "truncated or invalid record");
    span sp = {p, p ? p + n : p};
    return write_value(c, m, f, &sp, 1, path);
}

/* ------------------------------------------------------------------ public entry points */

static void ctx_init(p2j_ctx *c, const descpool *pool, const json_opts *o, buf *out)
{
    static const json_opts defaults = {0};
    c->pool = pool;
    c->o = o ? o : &defaults;
    c->out = out;
    c->max_depth = c->o->max_depth > 0 ? c->o->max_depth : JSON_DEFAULT_MAX_DEPTH;
    if (c->max_depth > TC_MAX_DEPTH_CAP) c->max_depth = TC_MAX_DEPTH_CAP;
    c->depth = 0;
}

static gw_err *finish(buf *out, size_t start, gw_err *e)
{
    if (e) {
        out->len = start;
        if (out->data) out->data[start] = 0;
    }
    return e;
}

gw_err *pb_to_json(const descpool *pool, const pb_msg *m, const uint8_t *p, size_t n, const json_opts *o, buf *out)
{
    p2j_ctx c;
    ctx_init(&c, pool, o, out);
    size_t start = out->len;
    return finish(out, start, p2j_message(&c, m, p, n, NULL));
}

gw_err *pb_field_to_json(const descpool *pool, const pb_msg *m, const pb_field *f, const uint8_t *p, size_t n,
                         const json_opts *o, buf *out)
{
    p2j_ctx c;
    ctx_init(&c, pool, o, out);
    size_t start = out->len;
    tc_path fp = {NULL, TC_PATH_FIELD, f->name, 0, 0};
    return finish(out, start, p2j_field(&c, m, f, p, n, &fp));
}

gw_err *pb_any_to_json(const descpool *pool, const char *type_url, size_t url_len, const uint8_t *value,
                       size_t value_len, const json_opts *o, buf *out)
{
    p2j_ctx c;
    ctx_init(&c, pool, o, out);
    size_t start = out->len;
    return finish(out, start, wkt_any_to_json(&c, type_url, url_len, value, value_len, NULL));
}
