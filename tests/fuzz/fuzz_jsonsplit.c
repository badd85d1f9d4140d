/* fuzz_jsonsplit.c: libFuzzer target for the JSON stream splitter, with a differential oracle: the
 * values and the error from one contiguous feed must equal those from feeds cut at every point (for
 * short inputs), at pseudo-random points, and one byte at a time.
 *
 * Input: byte 0 picks max_value_bytes (0: the default, else 1..255), byte 1 picks max_depth (0: the
 * default, else 1..255), the rest is the stream. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsonsplit.h"

#define ALL_CUTS_MAX_LEN 256   /* inputs up to this long are cut at every point */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct params {
    size_t max_bytes;
    int max_depth;
} params;

/* Feeds data cut at cuts[0..n_cuts) (ascending) and returns the outcome: each value followed by a
 * 0xff byte, then "E<code>:<message>" or "." for a clean end. */
static void run(const params *p, const char *data, size_t len, const size_t *cuts, size_t n_cuts, buf *out)
{
    jsonsplit s;
    jsonsplit_init(&s, p->max_bytes);
    if (p->max_depth) s.max_depth = p->max_depth;
    size_t at = 0;
    for (size_t c = 0; c <= n_cuts; c++) {
        size_t to = c < n_cuts ? cuts[c] : len;
        const char *chunk = data + at;
        size_t left = to - at;
        at = to;
        for (;;) {
            size_t used = 0;
            gw_err *e = NULL;
            enum jsonsplit_result r = jsonsplit_next(&s, chunk, left, &used, &e);
            if (used > left) abort();
            chunk += used;
            left -= used;
            if (r == JSONSPLIT_ERROR) {
                if (!e) abort();
                buf_printf(out, "E%d:%s", (int)e->code, e->message);
                gw_err_free(e);
                jsonsplit_free(&s);
                return;
            }
            if (e) abort();
            if (r == JSONSPLIT_NEED_MORE) {
                if (left) abort();
                break;
            }
            if (s.value.len == 0 || s.value.len > s.max_value_bytes) abort();
            buf_append(out, s.value.data, s.value.len);
            buf_append_byte(out, 0xff);
        }
    }
    gw_err *e = NULL;
    enum jsonsplit_result r = jsonsplit_finish(&s, &e);
    if (r == JSONSPLIT_VALUE) {
        buf_append(out, s.value.data, s.value.len);
        buf_append_byte(out, 0xff);
        r = jsonsplit_finish(&s, &e);
        if (r != JSONSPLIT_NEED_MORE) abort();
    }
    if (r == JSONSPLIT_ERROR) {
        buf_printf(out, "E%d:%s", (int)e->code, e->message);
        gw_err_free(e);
    } else {
        buf_append_byte(out, '.');
    }
    jsonsplit_free(&s);
}

static void check_same(const params *p, const char *data, size_t len, const size_t *cuts, size_t n_cuts,
                       const buf *want)
{
    buf got = BUF_INIT;
    run(p, data, len, cuts, n_cuts, &got);
    if (got.len != want->len || memcmp(got.data, want->data, got.len) != 0) abort();
    buf_free(&got);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) return 0;
    params p = {.max_bytes = data[0], .max_depth = data[1]};
    const char *stream = (const char *)data + 2;
    size_t len = size - 2;
    buf whole = BUF_INIT;
    run(&p, stream, len, NULL, 0, &whole);
    if (len <= ALL_CUTS_MAX_LEN)
        for (size_t k = 0; k <= len; k++) check_same(&p, stream, len, &k, 1, &whole);
    /* Pseudo-random cuts from a hash of the input. */
    size_t cuts[16], n = 0;
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < size; i++) h = (h ^ data[i]) * 16777619u;
    for (size_t at = 0; n < 16 && len > 0;) {
        h = h * 1103515245u + 12345u;
        at += 1 + (h >> 8) % (len / 8 + 1);
        if (at >= len) break;
        cuts[n++] = at;
    }
    check_same(&p, stream, len, cuts, n, &whole);
    size_t *bytes = malloc((len + 1) * sizeof *bytes);
    for (size_t i = 0; i < len; i++) bytes[i] = i;
    check_same(&p, stream, len, bytes, len, &whole);
    free(bytes);
    buf_free(&whole);
    return 0;
}
