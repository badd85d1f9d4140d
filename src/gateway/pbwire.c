/* pbwire.c: protobuf wire-format primitives (see pbwire.h); the rarely taken, larger paths. */
#include "pbwire.h"

bool pbw_read_varint_slow(pbw_reader *r, uint64_t *v)
{
    uint64_t x = 0;
    for (int i = 0; i < PBW_MAX_VARINT_BYTES; i++) {
        if (r->p >= r->end) return false;
        uint8_t c = *r->p++;
        if (i < 9) x |= (uint64_t)(c & 0x7f) << (7 * i);
        else x |= (uint64_t)(c & 0x01) << 63;          /* the 10th byte carries bit 63 only */
        if (c < 0x80) {
            *v = x;
            return true;
        }
    }
    return false;
}

static bool skip_value(pbw_reader *r, int wire_type)
{
    uint64_t v;
    const uint8_t *d;
    size_t n;
    switch (wire_type) {
    case PBW_VARINT: return pbw_read_varint(r, &v);
    case PBW_FIXED64:
        if (r->end - r->p < 8) return false;
        r->p += 8;
        return true;
    case PBW_LEN: return pbw_read_len(r, &d, &n);
    case PBW_FIXED32:
        if (r->end - r->p < 4) return false;
        r->p += 4;
        return true;
    default: return false;
    }
}

bool pbw_skip(pbw_reader *r, int wire_type, uint32_t field)
{
    if (wire_type == PBW_EGROUP) return false;
    if (wire_type != PBW_SGROUP) return skip_value(r, wire_type);

    /* Groups nest: keep the open group numbers on a small stack, iterate instead of recursing. */
    uint32_t open[PBW_MAX_GROUP_DEPTH];
    int depth = 0;
    open[depth++] = field;
    while (depth > 0) {
        uint32_t f;
        int wt;
        if (!pbw_read_tag(r, &f, &wt)) return false;
        if (wt == PBW_SGROUP) {
            if (depth == PBW_MAX_GROUP_DEPTH) return false;
            open[depth++] = f;
        } else if (wt == PBW_EGROUP) {
            if (open[depth - 1] != f) return false;
            depth--;
        } else if (!skip_value(r, wt)) {
            return false;
        }
    }
    return true;
}
