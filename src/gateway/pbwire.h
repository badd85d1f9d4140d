/* pbwire.h: protobuf wire-format primitives: varint, zigzag, fixed32/64, length-delimited records,
 * tags, skipping, and a bounds-checked reader that never reads past its end.
 *
 * Pure functions on caller-owned memory; safe on any thread. The small hot ones are inline. */
#ifndef GW_PBWIRE_H
#define GW_PBWIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"

enum pbw_wire_type {
    PBW_VARINT = 0, PBW_FIXED64 = 1, PBW_LEN = 2, PBW_SGROUP = 3, PBW_EGROUP = 4, PBW_FIXED32 = 5,
};

#define PBW_MAX_FIELD_NUMBER 536870911u      /* 2^29 - 1 */
#define PBW_MAX_VARINT_BYTES 10
#define PBW_MAX_GROUP_DEPTH 64               /* nesting of groups that pbw_skip walks through */

/* A reader over p[0..end). Every read checks the bounds; on failure it returns false and leaves the
 * position unspecified (callers stop reading after a failure). */
typedef struct pbw_reader {
    const uint8_t *p;
    const uint8_t *end;
} pbw_reader;

/* p may be NULL when n is 0 (an absent message). */
static inline pbw_reader pbw_reader_init(const uint8_t *p, size_t n)
{
    pbw_reader r = {p, p ? p + n : p};
    return r;
}

static inline bool pbw_at_end(const pbw_reader *r) { return r->p >= r->end; }

bool pbw_read_varint_slow(pbw_reader *r, uint64_t *v);

/* Varints of up to 10 bytes; bits beyond 64 are dropped (as protobuf parsers do), an 11th byte is an
 * error. */
static inline bool pbw_read_varint(pbw_reader *r, uint64_t *v)
{
    if (r->p < r->end && r->p[0] < 0x80) {
        *v = r->p[0];
        r->p++;
        return true;
    }
    if (r->end - r->p >= 2 && r->p[1] < 0x80) {      /* two bytes: tags of fields 16..2047 */
        *v = (uint64_t)(r->p[0] & 0x7f) | (uint64_t)r->p[1] << 7;
        r->p += 2;
        return true;
    }
    return pbw_read_varint_slow(r, v);
}

/* A tag: field number 1..2^29-1 and wire type 0..5. */
static inline bool pbw_read_tag(pbw_reader *r, uint32_t *field, int *wire_type)
{
    uint64_t t;
    if (!pbw_read_varint(r, &t) || t > UINT32_MAX) return false;
    uint32_t number = (uint32_t)(t >> 3);
    int wt = (int)(t & 7);
    if (number == 0 || wt > PBW_FIXED32) return false;
    *field = number;
    *wire_type = wt;
    return true;
}

static inline bool pbw_read_fixed32(pbw_reader *r, uint32_t *v)
{
    if (r->end - r->p < 4) return false;
    const uint8_t *p = r->p;
    *v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    r->p += 4;
    return true;
}

static inline bool pbw_read_fixed64(pbw_reader *r, uint64_t *v)
{
    if (r->end - r->p < 8) return false;
    const uint8_t *p = r->p;
    *v = (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24 |
         (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48 | (uint64_t)p[7] << 56;
    r->p += 8;
    return true;
}

/* A length-delimited payload: *data points into the reader's memory. */
static inline bool pbw_read_len(pbw_reader *r, const uint8_t **data, size_t *n)
{
    uint64_t len;
    if (!pbw_read_varint(r, &len) || len > (uint64_t)(r->end - r->p)) return false;
    *data = r->p;
    *n = (size_t)len;
    r->p += len;
    return true;
}

/* Skips the value of a field whose tag was just read. A start-group is skipped through its matching
 * end-group (nested groups up to PBW_MAX_GROUP_DEPTH); a stray end-group is an error. */
bool pbw_skip(pbw_reader *r, int wire_type, uint32_t field);

/* Zigzag (sint32/sint64). */
static inline uint32_t pbw_zigzag32(int32_t v) { return ((uint32_t)v << 1) ^ (uint32_t)-(int32_t)((uint32_t)v >> 31); }
static inline uint64_t pbw_zigzag64(int64_t v) { return ((uint64_t)v << 1) ^ (uint64_t)-(int64_t)((uint64_t)v >> 63); }
static inline int32_t pbw_unzigzag32(uint32_t v) { return (int32_t)((v >> 1) ^ (uint32_t)-(v & 1)); }
static inline int64_t pbw_unzigzag64(uint64_t v) { return (int64_t)((v >> 1) ^ (uint64_t)-(v & 1)); }

static inline size_t pbw_varint_size(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

/* Writes a varint at p (room for PBW_MAX_VARINT_BYTES); returns the bytes written. */
static inline size_t pbw_encode_varint(uint8_t *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

/* Writers: append to a buf. */
static inline void pbw_put_varint(buf *b, uint64_t v)
{
    buf_reserve(b, PBW_MAX_VARINT_BYTES);
    b->len += pbw_encode_varint(b->data + b->len, v);
    b->data[b->len] = 0;
}

static inline void pbw_put_tag(buf *b, uint32_t field, int wire_type)
{
    pbw_put_varint(b, (uint64_t)field << 3 | (uint64_t)wire_type);
}

static inline void pbw_put_fixed32(buf *b, uint32_t v)
{
    uint8_t t[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    buf_append(b, t, 4);
}

static inline void pbw_put_fixed64(buf *b, uint64_t v)
{
    uint8_t t[8];
    for (int i = 0; i < 8; i++) t[i] = (uint8_t)(v >> (8 * i));
    buf_append(b, t, 8);
}

/* A whole length-delimited record: tag, length, bytes. */
static inline void pbw_put_len_field(buf *b, uint32_t field, const void *p, size_t n)
{
    pbw_put_tag(b, field, PBW_LEN);
    pbw_put_varint(b, n);
    buf_append(b, p, n);
}

/* Bit-exact float/double <-> fixed conversions. */
static inline float pbw_float_from_bits(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
static inline double pbw_double_from_bits(uint64_t u) { double d; memcpy(&d, &u, 8); return d; }
static inline uint32_t pbw_float_bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static inline uint64_t pbw_double_bits(double d) { uint64_t u; memcpy(&u, &d, 8); return u; }

#endif
