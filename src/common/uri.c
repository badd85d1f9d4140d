/* uri.c: percent-decoding (see uri.h). */
#include "uri.h"

#include <string.h>

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool uri_percent_decode(buf *out, const char *s, size_t n, const char *keep_encoded)
{
    buf_reserve(out, n);
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '%') {
            buf_append_byte(out, (unsigned char)s[i]);
            continue;
        }
        if (i + 2 >= n) return false;
        int hi = hexval((unsigned char)s[i + 1]), lo = hexval((unsigned char)s[i + 2]);
        if (hi < 0 || lo < 0) return false;
        unsigned char c = (unsigned char)(hi << 4 | lo);
        if (keep_encoded && c && strchr(keep_encoded, c))
            buf_append(out, s + i, 3);
        else
            buf_append_byte(out, c);
        i += 2;
    }
    return true;
}
