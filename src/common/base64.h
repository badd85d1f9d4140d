/* base64.h: base64 as gRPC metadata and proto3 JSON use it (RFC 4648). */
#ifndef GW_BASE64_H
#define GW_BASE64_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Appends the standard alphabet encoding of p[0..n) to out, padded with '=' when `pad`. */
void base64_encode(buf *out, const uint8_t *p, size_t n, bool pad);

/* Decodes standard or URL-safe base64, padded or not, and appends the bytes to out.
 * Returns false (out unchanged in length) on a character outside both alphabets, bad padding or an
 * impossible length. Whitespace is not accepted. */
bool base64_decode(buf *out, const char *s, size_t n);

#endif
