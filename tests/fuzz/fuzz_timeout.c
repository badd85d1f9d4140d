/* fuzz_timeout.c: libFuzzer target for the Grpc-Timeout header and duration parsers
 * (src/gateway/grpc_timeout.c). Checks, beyond "no crash": an accepted header is exactly 1 to 8
 * digits and one unit letter, and its value agrees with a straightforward recomputation; an accepted
 * duration is never negative. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "grpc_timeout.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int64_t us = -1;
    if (grpc_timeout_parse((const char *)data, size, &us)) {
        if (size < 2 || size > 9) abort();
        int64_t v = 0;
        for (size_t i = 0; i + 1 < size; i++) {
            if (data[i] < '0' || data[i] > '9') abort();
            v = v * 10 + (data[i] - '0');
        }
        int64_t want;
        switch (data[size - 1]) {
        case 'H': want = v * 3600000000LL; break;
        case 'M': want = v * 60000000LL; break;
        case 'S': want = v * 1000000LL; break;
        case 'm': want = v * 1000LL; break;
        case 'u': want = v; break;
        case 'n': want = (v + 999) / 1000; break;
        default: abort();
        }
        if (us != want || us < 0) abort();
    }
    char *s = malloc(size + 1);
    if (!s) return 0;
    memcpy(s, data, size);
    s[size] = 0;
    int64_t d;
    if (duration_parse(s, &d, true) && d < 0) abort();
    char out[32];
    if (duration_parse(s, &d, false)) duration_format(d, out, sizeof out);
    free(s);
    return 0;
}
