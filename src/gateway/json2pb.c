/* json2pb.c: proto3 JSON (a jansson tree) -> protobuf wire bytes (see transcode.h).
 *
 * Runs on whichever thread handles the request; no globals. The tree is walked once, writing
 * records as it goes. A length-delimited record (sub-message, packed array, map entry) gets a
 * one-byte length placeholder; the few longer than 127 bytes are remembered and widened in a single
 * pass at the end, so nothing is copied while nesting and the cost stays linear. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "pbwire.h"
#include "transcode.h"
#include "wkt.h"

#define SEEN_STACK_WORDS 4              /* field bitmap on the stack for messages of <= 256 fields */
#define ONEOF_STACK_SLOTS 16
#define MAX_DESCRIBED_CHARS 64          /* longest bit of a bad value quoted in an error */
#define MAX_EXPONENT 1000               /* "1e999999" must not loop; anything this big overflows */
/* The smallest magnitude that no longer rounds to a finite float: FLT_MAX plus half its ulp (2^103;
 * the tie rounds to even, which is infinity). Values between FLT_MAX and this, such as the
 * 3.4028235e+38 that pb_to_json prints for FLT_MAX, round to FLT_MAX and are in range. */
#define FLOAT_OVERFLOW_LIMIT 0x1.ffffffp+127

/* ------------------------------------------------------------------ errors */

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

/* A short rendering of a bad value for an error message. */
static void describe_value(buf *b, const json_t *j)
{
    switch (json_typeof(j)) {
    case JSON_INTEGER: buf_printf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(j)); break;
    case JSON_REAL: {
        char tmp[32];
        buf_append(b, tmp, tc_format_double(json_real_value(j), tmp));
        break;
    }
    case JSON_STRING: {
        size_t n = json_string_length(j);
        buf_append_byte(b, '"');
        buf_append(b, json_string_value(j), n > MAX_DESCRIBED_CHARS ? MAX_DESCRIBED_CHARS : n);
        buf_append_str(b, n > MAX_DESCRIBED_CHARS ? "...\"" : "\"");
        break;
    }
    default: buf_append_str(b, json_kind(j));
    }
}

/* "invalid value for field 'a.b' (int32): <reason>". `reason` may contain one %V, replaced by the
 * description of the value j. */
static gw_err *bad_value(const tc_path *path, const pb_field *f, const pb_msg *m, const json_t *j,
                         const char *reason)
{
    buf where = BUF_INIT, b = BUF_INIT;
    tc_path_format(&where, path);
    if (where.len) buf_printf(&b, "invalid value for field '%s' ", (char *)where.data);
    else buf_append_str(&b, "invalid value for ");
    buf_printf(&b, "(%s): ", f ? tc_type_name(f) : m->full_name);
    const char *v = strstr(reason, "%V");
    if (v) {
        buf_append(&b, reason, (size_t)(v - reason));
        describe_value(&b, j);
        buf_append_str(&b, v + 2);
    } else {
        buf_append_str(&b, reason);
    }
    gw_err *e = gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "%s", (char *)b.data);
    buf_free(&where);
    buf_free(&b);
    return e;
}

static gw_err *expected(const tc_path *path, const pb_field *f, const pb_msg *m, const json_t *j, const char *what)
{
    buf b = BUF_INIT;
    buf_printf(&b, "expected %s, got %s", what, json_kind(j));
    gw_err *e = bad_value(path, f, m, j, (char *)b.data);
    buf_free(&b);
    return e;
}

/* ------------------------------------------------------------------ length prefixes */

j2p_len_mark j2p_begin_len(j2p_ctx *c)
{
    buf_append_byte(c->out, 0);
    j2p_len_mark mk = {c->out->len - 1, c->expansion};
    return mk;
}

void j2p_end_len(j2p_ctx *c, j2p_len_mark mk)
{
    size_t final = c->out->len - mk.pos - 1 + (c->expansion - mk.expansion_before);
    if (final < 0x80) {
        c->out->data[mk.pos] = (uint8_t)final;
        return;
    }
    if (c->n_fixups == c->cap_fixups) {
        c->cap_fixups = c->cap_fixups ? c->cap_fixups * 2 : 16;
        c->fixups = realloc(c->fixups, c->cap_fixups * sizeof *c->fixups);
        if (!c->fixups) abort();
    }
    c->fixups[c->n_fixups++] = (j2p_fixup){mk.pos, final};
    c->expansion += pbw_varint_size(final) - 1;
}

static int cmp_fixup(const void *a, const void *b)
{
    const j2p_fixup *x = a, *y = b;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* Widens the listed placeholders, moving each stretch of bytes right once, back to front. */
static void apply_fixups(j2p_ctx *c)
{
    if (!c->n_fixups) return;
    qsort(c->fixups, c->n_fixups, sizeof *c->fixups, cmp_fixup);
    buf *out = c->out;
    size_t old_len = out->len;
    buf_reserve(out, c->expansion);
    size_t shift = c->expansion;
    for (size_t i = c->n_fixups; i-- > 0;) {
        size_t seg = c->fixups[i].pos + 1;
        size_t seg_end = i + 1 < c->n_fixups ? c->fixups[i + 1].pos : old_len;
        memmove(out->data + seg + shift, out->data + seg, seg_end - seg);
        shift -= pbw_varint_size(c->fixups[i].len) - 1;
        pbw_encode_varint(out->data + c->fixups[i].pos + shift, c->fixups[i].len);
    }
    out->len = old_len + c->expansion;
    out->data[out->len] = 0;
}

/* ------------------------------------------------------------------ numbers */

static bool is_digit(char ch) { return ch >= '0' && ch <= '9'; }

/* Checks the JSON number grammar over s[0..n): -?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)? and reports
 * where its parts are. */
typedef struct number_parts {
    bool neg;
    const char *int_digits, *frac_digits;
    size_t int_len, frac_len;
    long exponent;                      /* clamped to +-MAX_EXPONENT */
} number_parts;

static bool split_number(const char *s, size_t n, number_parts *np)
{
    size_t i = 0;
    memset(np, 0, sizeof *np);
    if (i < n && s[i] == '-') {
        np->neg = true;
        i++;
    }
    if (i >= n || !is_digit(s[i])) return false;
    np->int_digits = s + i;
    if (s[i] == '0') i++;
    else
        while (i < n && is_digit(s[i])) i++;
    np->int_len = (size_t)(s + i - np->int_digits);
    if (i < n && s[i] == '.') {
        i++;
        np->frac_digits = s + i;
        while (i < n && is_digit(s[i])) i++;
        np->frac_len = (size_t)(s + i - np->frac_digits);
        if (!np->frac_len) return false;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        bool eneg = false;
        if (i < n && (s[i] == '+' || s[i] == '-')) eneg = s[i++] == '-';
        if (i >= n || !is_digit(s[i])) return false;
        long e = 0;
        while (i < n && is_digit(s[i])) {
            if (e < MAX_EXPONENT) e = e * 10 + (s[i] - '0');
            i++;
        }
        if (e > MAX_EXPONENT) e = MAX_EXPONENT;
        np->exponent = eneg ? -e : e;
    }
    return i == n;
}

/* The exact integer value of a numeric string ("12", "1e2", "1.50e1"); no double rounding. */
static bool string_integer(const char *s, size_t n, bool *neg, uint64_t *mag, const char **why)
{
    number_parts np;
    if (!split_number(s, n, &np)) {
        *why = "%V is not a number";
        return false;
    }
    *neg = np.neg;
    size_t total = np.int_len + np.frac_len;
    long exp10 = np.exponent - (long)np.frac_len;
    size_t keep = total;                              /* digits that form the integer part */
    if (exp10 < 0) {
        size_t drop = (size_t)-exp10;
        for (size_t k = total > drop ? total - drop : 0; k < total; k++) {
            char d = k < np.int_len ? np.int_digits[k] : np.frac_digits[k - np.int_len];
            if (d != '0') {
                *why = "%V is not an integer";
                return false;
            }
        }
        keep = total > drop ? total - drop : 0;
        exp10 = 0;
    }
    uint64_t v = 0;
    for (size_t k = 0; k < keep; k++) {
        unsigned d = (unsigned)((k < np.int_len ? np.int_digits[k] : np.frac_digits[k - np.int_len]) - '0');
        if (v > (UINT64_MAX - d) / 10) {
            *why = "%V is out of range";
            return false;
        }
        v = v * 10 + d;
    }
    for (long k = 0; k < exp10 && v; k++) {
        if (v > UINT64_MAX / 10) {
            *why = "%V is out of range";
            return false;
        }
        v *= 10;
    }
    *mag = v;
    return true;
}

/* Fits sign and magnitude into the integer type; *out gets the two's complement bits. */
static bool range_check(bool neg, uint64_t mag, bool is_signed, int bits, uint64_t *out, const char **why)
{
    uint64_t max_pos = is_signed ? (bits == 32 ? (uint64_t)INT32_MAX : (uint64_t)INT64_MAX)
                                 : (bits == 32 ? (uint64_t)UINT32_MAX : UINT64_MAX);
    uint64_t max_neg = is_signed ? max_pos + 1 : 0;
    if (neg ? mag > max_neg : mag > max_pos) {
        *why = "%V is out of range";
        return false;
    }
    *out = neg ? (uint64_t)0 - mag : mag;
    return true;
}

bool tc_json_integer(const json_t *j, bool is_signed, int bits, uint64_t *out, const char **why)
{
    bool neg = false;
    uint64_t mag = 0;
    switch (json_typeof(j)) {
    case JSON_INTEGER: {
        json_int_t v = json_integer_value(j);
        neg = v < 0;
        mag = neg ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
        break;
    }
    case JSON_REAL: {
        double d = json_real_value(j);
        if (!isfinite(d) || d != floor(d)) {
            *why = "%V is not an integer";
            return false;
        }
        neg = d < 0;
        double a = fabs(d);
        if (a >= 18446744073709551616.0) {
            *why = "%V is out of range";
            return false;
        }
        mag = (uint64_t)a;
        break;
    }
    case JSON_STRING:
        if (!string_integer(json_string_value(j), json_string_length(j), &neg, &mag, why)) return false;
        break;
    default:
        *why = NULL;                                  /* caller reports the wrong kind */
        return false;
    }
    return range_check(neg, mag, is_signed, bits, out, why);
}

/* A double from a JSON number or string ("1.5", "NaN", "Infinity", "-Infinity"). */
static bool json_double(const json_t *j, double *out, const char **why)
{
    switch (json_typeof(j)) {
    case JSON_INTEGER: *out = (double)json_integer_value(j); return true;
    case JSON_REAL: *out = json_real_value(j); return true;
    case JSON_STRING: {
        const char *s = json_string_value(j);
        size_t n = json_string_length(j);
        if (n == 3 && memcmp(s, "NaN", 3) == 0) *out = NAN;
        else if (n == 8 && memcmp(s, "Infinity", 8) == 0) *out = INFINITY;
        else if (n == 9 && memcmp(s, "-Infinity", 9) == 0) *out = -INFINITY;
        else {
            number_parts np;
            if (!split_number(s, n, &np)) {
                *why = "%V is not a number";
                return false;
            }
            *out = strtod(s, NULL);
            if (isinf(*out)) {
                *why = "%V is out of range";
                return false;
            }
        }
        return true;
    }
    default:
        *why = NULL;
        return false;
    }
}

/* ------------------------------------------------------------------ scalars */

static bool null_is_a_value(const pb_field *f)
{
    return (f->type == PB_TYPE_MESSAGE && f->message->wkt == PB_WKT_VALUE) ||
           (f->type == PB_TYPE_ENUM && f->enumeration->is_null_value);
}

/* Converts a JSON value to the wire value of a numeric, bool or enum field: the varint (already
 * zigzagged / sign-extended) or the fixed32/64 bits. *skip: an unknown enum name ignored under
 * allow_unknown. */
static gw_err *convert_number(j2p_ctx *c, const pb_field *f, const json_t *j, const tc_path *path, uint64_t *wire,
                              bool *skip)
{
    const char *why = NULL;
    uint64_t u;
    double d;
    *skip = false;
    switch (f->type) {
    case PB_TYPE_INT32: case PB_TYPE_SFIXED32: case PB_TYPE_SINT32:
        if (!tc_json_integer(j, true, 32, &u, &why)) break;
        if (f->type == PB_TYPE_SINT32) *wire = pbw_zigzag32((int32_t)(uint32_t)u);
        else if (f->type == PB_TYPE_SFIXED32) *wire = (uint32_t)u;
        else *wire = u;                               /* negative int32: 10-byte varint */
        return NULL;
    case PB_TYPE_INT64: case PB_TYPE_SFIXED64: case PB_TYPE_SINT64:
        if (!tc_json_integer(j, true, 64, &u, &why)) break;
        *wire = f->type == PB_TYPE_SINT64 ? pbw_zigzag64((int64_t)u) : u;
        return NULL;
    case PB_TYPE_UINT32: case PB_TYPE_FIXED32:
        if (!tc_json_integer(j, false, 32, &u, &why)) break;
        *wire = u;
        return NULL;
    case PB_TYPE_UINT64: case PB_TYPE_FIXED64:
        if (!tc_json_integer(j, false, 64, &u, &why)) break;
        *wire = u;
        return NULL;
    case PB_TYPE_DOUBLE:
        if (!json_double(j, &d, &why)) break;
        *wire = pbw_double_bits(d);
        return NULL;
    case PB_TYPE_FLOAT:
        if (!json_double(j, &d, &why)) break;
        if (isfinite(d) && fabs(d) >= FLOAT_OVERFLOW_LIMIT) {
            why = "%V is out of range";
            break;
        }
        *wire = pbw_float_bits((float)d);
        return NULL;
    case PB_TYPE_BOOL:
        if (!json_is_boolean(j)) return expected(path, f, NULL, j, "true or false");
        *wire = json_is_true(j);
        return NULL;
    case PB_TYPE_ENUM: {
        const pb_enum *e = f->enumeration;
        if (e->is_null_value) {
            /* NullValue has one value: null, "NULL_VALUE" or 0. */
            bool zero = json_is_null(j) || (json_is_integer(j) && json_integer_value(j) == 0) ||
                        (json_is_string(j) && strcmp(json_string_value(j), "NULL_VALUE") == 0);
            if (!zero) return bad_value(path, f, NULL, j, "%V is not null");
            *wire = 0;
            return NULL;
        }
        if (json_is_string(j)) {
            const pb_enum_value *v = pb_enum_value_by_name(e, json_string_value(j), json_string_length(j));
            if (v) {
                *wire = (uint64_t)(int64_t)v->number;
                return NULL;
            }
        }
        if (json_is_number(j) || json_is_string(j)) {
            if (tc_json_integer(j, true, 32, &u, &why)) {
                *wire = (uint64_t)(int64_t)(int32_t)(uint32_t)u;   /* open enums keep unknown numbers */
                return NULL;
            }
            if (json_is_string(j)) {
                if (c->o->allow_unknown) {
                    *skip = true;
                    return NULL;
                }
                why = "unknown enum value %V";
            }
            break;
        }
        return expected(path, f, NULL, j, "an enum name or number");
    }
    default:
        return bad_value(path, f, NULL, j, "unsupported field type");
    }
    if (why) return bad_value(path, f, NULL, j, why);
    return expected(path, f, NULL, j, f->type == PB_TYPE_DOUBLE || f->type == PB_TYPE_FLOAT
                                          ? "a number or a numeric string"
                                          : "an integer or a numeric string");
}

static int wire_type_of(enum pb_type t)
{
    switch (t) {
    case PB_TYPE_DOUBLE: case PB_TYPE_FIXED64: case PB_TYPE_SFIXED64: return PBW_FIXED64;
    case PB_TYPE_FLOAT: case PB_TYPE_FIXED32: case PB_TYPE_SFIXED32: return PBW_FIXED32;
    case PB_TYPE_STRING: case PB_TYPE_BYTES: case PB_TYPE_MESSAGE: return PBW_LEN;
    case PB_TYPE_GROUP: return PBW_SGROUP;
    default: return PBW_VARINT;
    }
}

static void put_wire(buf *out, int wt, uint64_t v)
{
    if (wt == PBW_VARINT) pbw_put_varint(out, v);
    else if (wt == PBW_FIXED64) pbw_put_fixed64(out, v);
    else pbw_put_fixed32(out, (uint32_t)v);
}

/* Writes one value of field f (with its tag when `tagged`, as for singular fields, unpacked
 * elements and map entries; without, inside a packed record). `skip_default` leaves out an
 * implicit-presence field at its default value. */
static gw_err *write_single(j2p_ctx *c, const pb_field *f, const json_t *j, bool tagged, bool skip_default,
                            const tc_path *path)
{
    buf *out = c->out;
    switch (f->type) {
    case PB_TYPE_STRING: {
        if (!json_is_string(j)) return expected(path, f, NULL, j, "a string");
        size_t n = json_string_length(j);
        if (skip_default && n == 0) return NULL;
        pbw_put_len_field(out, f->number, json_string_value(j), n);
        return NULL;
    }
    case PB_TYPE_BYTES: {
        if (!json_is_string(j)) return expected(path, f, NULL, j, "a base64 string");
        size_t n = json_string_length(j);
        if (skip_default && n == 0) return NULL;
        pbw_put_tag(out, f->number, PBW_LEN);
        j2p_len_mark mk = j2p_begin_len(c);
        if (!base64_decode(out, json_string_value(j), n)) return bad_value(path, f, NULL, j, "%V is not base64");
        j2p_end_len(c, mk);
        return NULL;
    }
    case PB_TYPE_MESSAGE: {
        pbw_put_tag(out, f->number, PBW_LEN);
        j2p_len_mark mk = j2p_begin_len(c);
        gw_err *e = j2p_message(c, f->message, j, path);
        if (e) return e;
        j2p_end_len(c, mk);
        return NULL;
    }
    case PB_TYPE_GROUP:
        return bad_value(path, f, NULL, j, "proto2 groups are not supported");
    default: {
        uint64_t v = 0;
        bool skip;
        gw_err *e = convert_number(c, f, j, path, &v, &skip);
        if (e || skip) return e;
        if (skip_default && v == 0) return NULL;
        int wt = wire_type_of(f->type);
        if (tagged) pbw_put_tag(out, f->number, wt);
        put_wire(out, wt, v);
        return NULL;
    }
    }
}

/* ------------------------------------------------------------------ repeated fields and maps */

static gw_err *write_array(j2p_ctx *c, const pb_msg *m, const pb_field *f, const json_t *j, const tc_path *fp)
{
    if (!json_is_array(j)) return expected(fp, f, NULL, j, "an array");
    size_t n = json_array_size(j);
    if (!n) return NULL;
    j2p_len_mark mk = {0, 0};
    size_t before = c->out->len;
    if (f->packed) {
        pbw_put_tag(c->out, f->number, PBW_LEN);
        mk = j2p_begin_len(c);
    }
    for (size_t i = 0; i < n; i++) {
        const json_t *el = json_array_get(j, i);
        tc_path ep = {fp, TC_PATH_INDEX, NULL, 0, i};
        if (json_is_null(el) && !null_is_a_value(f)) return bad_value(&ep, f, NULL, el, "null is not allowed in an array");
        gw_err *e = write_single(c, f, el, !f->packed, false, &ep);
        if (e) return e;
    }
    if (f->packed && c->out->len == mk.pos + 1) {
        c->out->len = before;                 /* every element skipped (unknown enum names) */
        c->out->data[before] = 0;
    } else if (f->packed) {
        j2p_end_len(c, mk);
    }
    return NULL;
}

/* Map keys are JSON object keys: the key type's value as text. */
static gw_err *write_map_key(j2p_ctx *c, const pb_field *kf, const char *key, size_t klen,
                             const tc_path *kp)
{
    buf *out = c->out;
    if (kf->type == PB_TYPE_STRING) {
        pbw_put_len_field(out, 1, key, klen);
        return NULL;
    }
    uint64_t v = 0;
    bool ok = false;
    if (kf->type == PB_TYPE_BOOL) {
        ok = (klen == 4 && memcmp(key, "true", 4) == 0) || (klen == 5 && memcmp(key, "false", 5) == 0);
        v = klen == 4;
    } else {
        /* decimal digits with an optional '-', nothing else (leading zeros allowed, as Go's
         * and Python's parsers allow them) */
        size_t i = klen && key[0] == '-' ? 1 : 0;
        bool digits = klen > i;
        for (size_t k = i; k < klen; k++) digits = digits && is_digit(key[k]);
        if (digits) {
            size_t z = i;                                /* first significant digit */
            while (z + 1 < klen && key[z] == '0') z++;
            size_t nd = klen - z;
            char t[24];                                  /* '-' and at most 20 digits */
            const char *why;
            bool neg;
            uint64_t mag;
            bool is_signed = kf->type != PB_TYPE_UINT32 && kf->type != PB_TYPE_UINT64 &&
                             kf->type != PB_TYPE_FIXED32 && kf->type != PB_TYPE_FIXED64;
            bool wide = kf->type == PB_TYPE_INT64 || kf->type == PB_TYPE_UINT64 || kf->type == PB_TYPE_SINT64 ||
                        kf->type == PB_TYPE_FIXED64 || kf->type == PB_TYPE_SFIXED64;
            if (nd <= 20) {
                size_t tl = 0;
                if (i) t[tl++] = '-';
                memcpy(t + tl, key + z, nd);
                tl += nd;
                ok = string_integer(t, tl, &neg, &mag, &why) && range_check(neg, mag, is_signed, wide ? 64 : 32, &v, &why);
            }
            if (ok && kf->type == PB_TYPE_SINT32) v = pbw_zigzag32((int32_t)(uint32_t)v);
            else if (ok && kf->type == PB_TYPE_SINT64) v = pbw_zigzag64((int64_t)v);
            else if (ok && kf->type == PB_TYPE_SFIXED32) v = (uint32_t)v;
        }
    }
    if (!ok) {
        buf b = BUF_INIT;
        tc_path_format(&b, kp->parent);
        gw_err *e = gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "invalid value for field '%s': map key '%.*s' is not %s",
                               b.data ? (char *)b.data : "", (int)(klen > MAX_DESCRIBED_CHARS ? MAX_DESCRIBED_CHARS : klen), key,
                               kf->type == PB_TYPE_BOOL ? "true or false" : "an integer of the key type");
        buf_free(&b);
        return e;
    }
    int wt = wire_type_of(kf->type);
    pbw_put_tag(out, 1, wt);
    put_wire(out, wt, v);
    return NULL;
}

static gw_err *write_map(j2p_ctx *c, const pb_msg *m, const pb_field *f, const json_t *j, const tc_path *fp)
{
    if (!json_is_object(j)) return expected(fp, f, NULL, j, "an object");
    const pb_field *kf = &f->message->fields[0], *vf = &f->message->fields[1];
    /* jansson's iterator directly: its foreach macros look every key up again. */
    for (void *it = json_object_iter((json_t *)j); it; it = json_object_iter_next((json_t *)j, it)) {
        const char *key = json_object_iter_key(it);
        size_t klen = json_object_iter_key_len(it);
        json_t *v = json_object_iter_value(it);
        tc_path kp = {fp, TC_PATH_KEY, key, klen, 0};
        if (json_is_null(v) && !null_is_a_value(vf)) return bad_value(&kp, vf, NULL, v, "null is not allowed as a map value");
        pbw_put_tag(c->out, f->number, PBW_LEN);
        j2p_len_mark mk = j2p_begin_len(c);
        gw_err *e = write_map_key(c, kf, key, klen, &kp);
        if (!e) e = write_single(c, vf, v, true, false, &kp);
        if (e) return e;
        j2p_end_len(c, mk);
    }
    return NULL;
}

/* ------------------------------------------------------------------ messages */

gw_err *j2p_field(j2p_ctx *c, const pb_msg *m, const pb_field *f, const json_t *j, const tc_path *fp)
{
    if (json_is_null(j) && !(null_is_a_value(f) && !f->repeated)) return NULL;   /* null: unset */
    if (f->is_map) return write_map(c, m, f, j, fp);
    if (f->repeated) return write_array(c, m, f, j, fp);
    return write_single(c, f, j, true, !f->has_presence, fp);
}

static gw_err *unknown_field(const pb_msg *m, const tc_path *path, const char *key, size_t klen)
{
    buf b = BUF_INIT;
    tc_path kp = {path, TC_PATH_FIELD, key, klen, 0};
    tc_path_format(&b, &kp);
    gw_err *e = gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "unknown field '%s' in message %s", (char *)b.data,
                           m->full_name);
    buf_free(&b);
    return e;
}

gw_err *j2p_members(j2p_ctx *c, const pb_msg *m, const json_t *j, const char *skip_key, const tc_path *path)
{
    if (!json_is_object(j)) {
        if (path) return expected(path, NULL, m, j, "an object");
        return gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "invalid value for %s: expected an object, got %s",
                          m->full_name, json_kind(j));
    }
    /* Which fields and oneofs were set, to refuse a field given twice (by both of its names) and
     * two members of one oneof. */
    uint64_t seen_stack[SEEN_STACK_WORDS] = {0};
    int oneof_stack[ONEOF_STACK_SLOTS];
    uint64_t *seen = seen_stack;
    int *oneof_set = oneof_stack;
    size_t words = (m->n_fields + 63) / 64;
    if (words > SEEN_STACK_WORDS && !(seen = calloc(words, sizeof *seen))) abort();
    if (m->n_oneofs > ONEOF_STACK_SLOTS && !(oneof_set = malloc(m->n_oneofs * sizeof *oneof_set))) abort();
    for (size_t i = 0; i < m->n_oneofs; i++) oneof_set[i] = -1;

    gw_err *err = NULL;
    for (void *it = json_object_iter((json_t *)j); it; it = json_object_iter_next((json_t *)j, it)) {
        const char *key = json_object_iter_key(it);
        size_t klen = json_object_iter_key_len(it);
        json_t *v = json_object_iter_value(it);
        if (skip_key && strcmp(key, skip_key) == 0) continue;
        const pb_field *f = pb_msg_field_by_name(m, key, klen);
        if (!f) {
            if (c->o->allow_unknown) continue;
            err = unknown_field(m, path, key, klen);
            break;
        }
        tc_path fp = {path, TC_PATH_FIELD, key, klen, 0};
        size_t fi = (size_t)(f - m->fields);
        if (seen[fi / 64] & (uint64_t)1 << (fi % 64)) {
            err = bad_value(&fp, f, NULL, v, "the field is given twice (by its proto name and its JSON name)");
            break;
        }
        seen[fi / 64] |= (uint64_t)1 << (fi % 64);
        if (json_is_null(v) && !null_is_a_value(f)) continue;
        if (f->oneof_index >= 0) {
            int *slot = &oneof_set[f->oneof_index];
            if (*slot >= 0) {
                buf b = BUF_INIT;
                buf_printf(&b, "oneof '%s' already has field '%s' set", m->oneof_names[f->oneof_index],
                           c->o->proto_names ? m->fields[*slot].name : m->fields[*slot].json_name);
                err = bad_value(&fp, f, NULL, v, (char *)b.data);
                buf_free(&b);
                break;
            }
            *slot = (int)fi;
        }
        err = j2p_field(c, m, f, v, &fp);
        if (err) break;
    }
    if (seen != seen_stack) free(seen);
    if (oneof_set != oneof_stack) free(oneof_set);
    return err;
}

gw_err *j2p_message(j2p_ctx *c, const pb_msg *m, const json_t *j, const tc_path *path)
{
    /* Struct and ListValue are the JSON object and array themselves; only Value adds a level. */
    bool counts = m->wkt != PB_WKT_STRUCT && m->wkt != PB_WKT_LIST_VALUE;
    if (counts && c->depth >= c->max_depth) {
        buf b = BUF_INIT;
        tc_path_format(&b, path);
        gw_err *e = gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "nesting exceeds the limit of %d levels at field '%s'",
                               c->max_depth, b.data ? (char *)b.data : "");
        buf_free(&b);
        return e;
    }
    c->depth += counts;
    gw_err *e = wkt_is_special(m->wkt) ? wkt_json_to_pb(c, m, j, path) : j2p_members(c, m, j, NULL, path);
    c->depth -= counts;
    return e;
}

gw_err *json_to_pb(const descpool *pool, const pb_msg *m, const json_t *json, const json_opts *o, buf *out)
{
    static const json_opts defaults = {0};
    j2p_ctx c = {0};
    c.pool = pool;
    c.o = o ? o : &defaults;
    c.out = out;
    c.max_depth = c.o->max_depth > 0 ? c.o->max_depth : JSON_DEFAULT_MAX_DEPTH;
    if (c.max_depth > TC_MAX_DEPTH_CAP) c.max_depth = TC_MAX_DEPTH_CAP;
    size_t start = out->len;
    gw_err *e = json ? j2p_message(&c, m, json, NULL)
                     : gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "invalid value for %s: no JSON value", m->full_name);
    if (e) {
        out->len = start;
        if (out->data) out->data[start] = 0;
    } else {
        apply_fixups(&c);
    }
    free(c.fixups);
    return e;
}
