/* cors.c: origin checks and CORS response headers (see cors.h). */
#include "cors.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define VARY_PREFLIGHT "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"
#define MAX_PORT 65535

struct cors {
    bool any;                         /* `*` was given */
    size_t n_origins;
    char **origins;                   /* normalized serialized origins */
    char max_age[24];                 /* Access-Control-Max-Age value, "" for none */
};

/* ------------------------------------------------------------------ origins */

static bool is_scheme_char(char c) { return isalnum((unsigned char)c) || c == '+' || c == '-' || c == '.'; }

static bool is_host_char(char c) { return isalnum((unsigned char)c) || c == '-' || c == '.' || c == '_'; }

/* Writes the normalized form of a serialized origin ("scheme://host[:port]") to out: lowercase,
 * default port dropped, one trailing '/' tolerated. False when `s` is no such origin. */
static bool origin_normalize(const char *s, char *out, size_t n)
{
    size_t len = strlen(s);
    if (len == 0 || len >= CORS_MAX_ORIGIN_BYTES || len >= n) return false;
    if (s[len - 1] == '/') len--;
    const char *sep = strstr(s, "://");
    if (!sep || sep == s || (size_t)(sep - s) >= len || !isalpha((unsigned char)s[0])) return false;
    for (const char *p = s; p < sep; p++)
        if (!is_scheme_char(*p)) return false;
    const char *host = sep + 3, *end = s + len, *port = NULL;
    const char *h = host;
    if (h < end && *h == '[') {           /* an IPv6 literal */
        h++;
        while (h < end && (isxdigit((unsigned char)*h) || *h == ':' || *h == '.')) h++;
        if (h >= end || *h != ']' || h == host + 1) return false;
        h++;
    } else {
        while (h < end && is_host_char(*h)) h++;
        if (h == host) return false;
    }
    if (h < end) {
        if (*h != ':') return false;       /* a path, query, fragment or user part */
        port = h + 1;
        if (port == end || end - port > 5) return false;
        for (const char *p = port; p < end; p++)
            if (!isdigit((unsigned char)*p)) return false;
        if (atol(port) > MAX_PORT) return false;
    }
    size_t host_len = (size_t)(h - s);
    for (size_t i = 0; i < host_len; i++) out[i] = (char)tolower((unsigned char)s[i]);
    out[host_len] = 0;
    if (port) {
        size_t scheme_len = (size_t)(sep - s);
        long p = atol(port);
        bool is_default = (scheme_len == 4 && !strncmp(out, "http", 4) && p == 80) ||
                          (scheme_len == 5 && !strncmp(out, "https", 5) && p == 443);
        if (!is_default) snprintf(out + host_len, n - host_len, ":%ld", p);
    }
    return true;
}

gw_err *cors_new(cors **out, const char *const *origins, size_t n_origins, unsigned max_age_s)
{
    cors *c = calloc(1, sizeof *c);
    if (!c) abort();
    if (max_age_s > 0) snprintf(c->max_age, sizeof c->max_age, "%u", max_age_s);
    for (size_t i = 0; i < n_origins; i++) {
        const char *o = origins[i];
        if (!strcmp(o, "*")) {
            c->any = true;
            continue;
        }
        char norm[CORS_MAX_ORIGIN_BYTES];
        if (!strcmp(o, "null") || !origin_normalize(o, norm, sizeof norm)) {
            cors_free(c);
            return gw_err_new(GRPC_STATUS_INVALID_ARGUMENT,
                              "invalid --cors-origin '%s': expected * or scheme://host[:port] (such as https://app.example.com)",
                              o);
        }
        char **p = realloc(c->origins, (c->n_origins + 1) * sizeof *p);
        if (!p) abort();
        c->origins = p;
        c->origins[c->n_origins] = strdup(norm);
        if (!c->origins[c->n_origins]) abort();
        c->n_origins++;
    }
    *out = c;
    return NULL;
}

void cors_free(cors *c)
{
    if (!c) return;
    for (size_t i = 0; i < c->n_origins; i++) free(c->origins[i]);
    free(c->origins);
    free(c);
}

bool cors_enabled(const cors *c) { return c && (c->any || c->n_origins > 0); }

bool cors_origin_allowed(const cors *c, const char *origin)
{
    if (!cors_enabled(c) || !origin) return false;
    if (c->any) return true;
    char norm[CORS_MAX_ORIGIN_BYTES];
    if (!origin_normalize(origin, norm, sizeof norm)) return false;
    for (size_t i = 0; i < c->n_origins; i++)
        if (!strcmp(norm, c->origins[i])) return true;
    return false;
}

/* ------------------------------------------------------------------ preflight */

bool cors_is_preflight(const char *method, const char *origin, const char *request_method)
{
    return method && !strcmp(method, "OPTIONS") && origin && request_method;
}

/* RFC 9110 token characters (header names and methods). */
static bool is_tchar(char c)
{
    return isalnum((unsigned char)c) || (c && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static bool is_token(const char *s)
{
    if (!*s) return false;
    for (; *s; s++)
        if (!is_tchar(*s)) return false;
    return true;
}

/* True when `list` ("A, B,C") is a comma-separated list of tokens (empty elements tolerated). */
static bool is_token_list(const char *list)
{
    if (strlen(list) > CORS_MAX_REQUEST_HEADERS_BYTES) return false;
    for (const char *p = list; *p; p++)
        if (!is_tchar(*p) && *p != ',' && *p != ' ' && *p != '\t') return false;
    return true;
}

/* True when the comma-separated `list` holds `item` (case-sensitive: methods are). */
static bool list_has(const char *list, const char *item)
{
    size_t n = strlen(item);
    for (const char *p = list; *p;) {
        while (*p == ' ' || *p == '\t' || *p == ',') p++;
        const char *start = p;
        while (*p && *p != ',' && *p != ' ' && *p != '\t') p++;
        if ((size_t)(p - start) == n && n > 0 && !strncmp(start, item, n)) return true;
    }
    return false;
}

enum cors_preflight cors_preflight_headers(const cors *c, const char *origin, const char *request_method,
                                           const char *request_headers, const char *allowed_methods,
                                           cors_header_fn add, void *cls)
{
    if (!cors_enabled(c)) return CORS_PREFLIGHT_DENIED;
    add(cls, "Vary", VARY_PREFLIGHT);
    if (!cors_origin_allowed(c, origin) || !request_method || !is_token(request_method) || !allowed_methods)
        return CORS_PREFLIGHT_DENIED;
    bool method_ok = list_has(allowed_methods, request_method) ||
                     (!strcmp(request_method, "HEAD") && list_has(allowed_methods, "GET"));
    if (!method_ok) return CORS_PREFLIGHT_DENIED;
    if (request_headers && !is_token_list(request_headers)) return CORS_PREFLIGHT_DENIED;

    add(cls, "Access-Control-Allow-Origin", c->any ? "*" : origin);
    add(cls, "Access-Control-Allow-Methods", allowed_methods);
    /* Echo only when something non-blank was asked for. */
    bool any_header = false;
    for (const char *p = request_headers; p && *p && !any_header; p++) any_header = is_tchar(*p);
    if (any_header) add(cls, "Access-Control-Allow-Headers", request_headers);
    if (c->max_age[0]) add(cls, "Access-Control-Max-Age", c->max_age);
    return CORS_PREFLIGHT_ALLOWED;
}

/* ------------------------------------------------------------------ actual responses */

void cors_response_headers(const cors *c, const char *origin, const char *expose, cors_header_fn add, void *cls)
{
    if (!cors_enabled(c)) return;
    if (!c->any) add(cls, "Vary", "Origin");
    if (!cors_origin_allowed(c, origin)) return;
    add(cls, "Access-Control-Allow-Origin", c->any ? "*" : origin);
    if (expose && *expose) add(cls, "Access-Control-Expose-Headers", expose);
}

static const char *const SAFELISTED[] = {
    "Cache-Control", "Content-Language", "Content-Length", "Content-Type", "Expires", "Last-Modified", "Pragma",
};

void cors_expose_add(buf *list, const char *name)
{
    if (!name || !is_token(name)) return;
    for (size_t i = 0; i < sizeof SAFELISTED / sizeof SAFELISTED[0]; i++)
        if (!strcasecmp(name, SAFELISTED[i])) return;
    if (!strncasecmp(name, "Access-Control-", 15) || !strcasecmp(name, "Vary")) return;
    size_t n = strlen(name);
    const char *p = list->data ? (const char *)list->data : "";
    while (*p) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == n && !strncasecmp(p, name, n)) return;
        if (!end) break;
        p = end + 2;   /* ", " */
    }
    if (list->len) buf_append_str(list, ", ");
    buf_append_str(list, name);
}
