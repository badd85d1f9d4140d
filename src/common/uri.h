/* uri.h: percent-decoding of URL paths and query strings (RFC 3986 section 2.1). */
#ifndef GW_URI_H
#define GW_URI_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/* Appends s[0..n) to out with every %XX escape decoded, except escapes that decode to a character
 * listed in `keep_encoded` (NULL: none), which are copied as they are. google.api.http keeps reserved
 * characters such as "%2F" encoded in multi-segment path variables this way.
 * Returns false on a '%' not followed by two hex digits (out may hold a partial result). */
bool uri_percent_decode(buf *out, const char *s, size_t n, const char *keep_encoded);

#endif
