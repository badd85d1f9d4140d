/* cliopt.c: command-line option value checks (see cliopt.h). */
#include "cliopt.h"

#include <string.h>

#define CLIOPT_MAX_PORT 65535

bool cliopt_uint(const char *s, long max, long *out)
{
    long v = 0;
    if (!s || !*s) return false;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9') return false;
        int d = *p - '0';
        if (v > (max - d) / 10) return false;       /* v * 10 + d would exceed max */
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

bool cliopt_hostport(const char *s, int *port, int *host_len)
{
    if (!s) return false;
    const char *colon = strrchr(s, ':');
    if (!colon || colon == s) return false;
    size_t hl = (size_t)(colon - s);
    if (s[0] == '[') {
        /* Bracketed IPv6: "[" ... "]" right before the port separator, nothing else bracketed. */
        if (hl < 3 || s[hl - 1] != ']' || memchr(s + 1, ']', hl - 2) || memchr(s + 1, '[', hl - 2)) return false;
    } else if (memchr(s, ':', hl) || memchr(s, '[', hl) || memchr(s, ']', hl)) {
        return false;                              /* a bare IPv6 address is ambiguous: demand brackets */
    }
    for (size_t i = 0; i < hl; i++)
        if ((unsigned char)s[i] <= ' ' || s[i] == '/') return false;
    long p;
    if (!cliopt_uint(colon + 1, CLIOPT_MAX_PORT, &p)) return false;
    *port = (int)p;
    if (host_len) *host_len = (int)hl;
    return true;
}
