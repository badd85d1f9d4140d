/* grpc_timeout.h: the Grpc-Timeout header (gRPC over HTTP/2: TimeoutValue TimeoutUnit, at most
 * 8 ASCII digits, unit one of H M S m u n) and the gateway's duration flags ("30s", "500ms", "none"). */
#ifndef GW_GRPC_TIMEOUT_H
#define GW_GRPC_TIMEOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Durations are carried as microseconds in an int64 (the largest header, 99999999H, is about 3.6e17
 * us: no overflow). DURATION_NONE means "no limit". */
#define DURATION_NONE INT64_MAX

/* Parses a Grpc-Timeout header value into *us. Returns false (and leaves *us alone) for anything
 * but 1..8 digits followed by exactly one unit letter: no sign, no spaces, no 9-digit values.
 * Zero is accepted (it expires at once, as gRPC does). */
bool grpc_timeout_parse(const char *s, size_t n, int64_t *us);

/* Parses a human duration for flags: "250ms", "1.5s", "30s", "2m", "1h", "100us", a bare number of
 * seconds, or "none"/"0" for no limit when `zero_is_none`. Returns false on anything else. */
bool duration_parse(const char *s, int64_t *us, bool zero_is_none);

/* Formats a duration for --help and logs ("30s", "500ms", "none") into out[n]. */
void duration_format(int64_t us, char *out, size_t n);

#endif
