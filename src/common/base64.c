/* base64.c: base64 encoding and lenient decoding (see base64.h). */
#include "base64.h"

static const char ALPHABET[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void base64_encode(buf *out, const uint8_t *p, size_t n, bool pad)
{
    buf_reserve(out, (n + 2) / 3 * 4);
    uint8_t *o = out->data + out->len;
    size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        *o++ = (uint8_t)ALPHABET[v >> 18 & 63];
        *o++ = (uint8_t)ALPHABET[v >> 12 & 63];
        *o++ = (uint8_t)ALPHABET[v >> 6 & 63];
        *o++ = (uint8_t)ALPHABET[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)p[i] << 16;
        *o++ = (uint8_t)ALPHABET[v >> 18 & 63];
        *o++ = (uint8_t)ALPHABET[v >> 12 & 63];
        if (pad) { *o++ = '='; *o++ = '='; }
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
        *o++ = (uint8_t)ALPHABET[v >> 18 & 63];
        *o++ = (uint8_t)ALPHABET[v >> 12 & 63];
        *o++ = (uint8_t)ALPHABET[v >> 6 & 63];
        if (pad) *o++ = '=';
    }
    out->len = (size_t)(o - out->data);
    out->data[out->len] = 0;
}

static int sextet(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
}

bool base64_decode(buf *out, const char *s, size_t n)
{
    /* Padding: up to two '=' at the very end, and only so as to complete a 4-character group. */
    size_t pad = 0;
    while (n > 0 && s[n - 1] == '=' && pad < 2) { n--; pad++; }
    if (pad && (n + pad) % 4 != 0) return false;
    if (n % 4 == 1) return false;
    size_t start = out->len;
    buf_reserve(out, n / 4 * 3 + 2);
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = sextet((unsigned char)s[i]);
        if (v < 0) { out->len = start; if (out->data) out->data[start] = 0; return false; }
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out->data[out->len++] = (uint8_t)(acc >> bits);
        }
    }
    out->data[out->len] = 0;
    return true;
}
