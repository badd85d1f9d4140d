/* grpc_timeout.c: Grpc-Timeout header and duration flag parsing (see grpc_timeout.h). */
#include "grpc_timeout.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GRPC_TIMEOUT_MAX_DIGITS 8

bool grpc_timeout_parse(const char *s, size_t n, int64_t *us)
{
    if (n < 2 || n > GRPC_TIMEOUT_MAX_DIGITS + 1) return false;
    int64_t v = 0;
    for (size_t i = 0; i + 1 < n; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        v = v * 10 + (s[i] - '0');
    }
    switch (s[n - 1]) {
    case 'H': *us = v * 3600 * 1000000; break;
    case 'M': *us = v * 60 * 1000000; break;
    case 'S': *us = v * 1000000; break;
    case 'm': *us = v * 1000; break;
    case 'u': *us = v; break;
    case 'n': *us = (v + 999) / 1000; break;   /* round up: a deadline of 1n is not "no time" */
    default: return false;
    }
    return true;
}

bool duration_parse(const char *s, int64_t *us, bool zero_is_none)
{
    if (!s || !*s) return false;
    if (strcmp(s, "none") == 0 || strcmp(s, "off") == 0) {
        if (!zero_is_none) return false;
        *us = DURATION_NONE;
        return true;
    }
    char *end;
    double v = strtod(s, &end);
    if (end == s || v < 0 || v != v) return false;
    double scale;
    if (*end == 0 || strcmp(end, "s") == 0) scale = 1e6;
    else if (strcmp(end, "ms") == 0) scale = 1e3;
    else if (strcmp(end, "us") == 0) scale = 1;
    else if (strcmp(end, "m") == 0 || strcmp(end, "min") == 0) scale = 60e6;
    else if (strcmp(end, "h") == 0) scale = 3600e6;
    else return false;
    double r = v * scale;
    if (r > 9.0e18) return false;
    if (r == 0 && zero_is_none) {
        *us = DURATION_NONE;
        return true;
    }
    *us = (int64_t)(r + 0.5);
    return true;
}

void duration_format(int64_t us, char *out, size_t n)
{
    if (us == DURATION_NONE) snprintf(out, n, "none");
    else if (us % 3600000000LL == 0 && us) snprintf(out, n, "%lldh", (long long)(us / 3600000000LL));
    else if (us % 60000000LL == 0 && us) snprintf(out, n, "%lldm", (long long)(us / 60000000LL));
    else if (us % 1000000 == 0) snprintf(out, n, "%llds", (long long)(us / 1000000));
    else if (us % 1000 == 0) snprintf(out, n, "%lldms", (long long)(us / 1000));
    else snprintf(out, n, "%lldus", (long long)us);
}
