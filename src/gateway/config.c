/* config.c: the flag table and its parser (see config.h). Each setting is declared once below with
 * its flag, default and help; the environment variable is GW_ + the flag in upper snake case
 * (--max-body-bytes -> GW_MAX_BODY_BYTES). Precedence: default < environment < command line. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build-config.h"
#include "grpc_timeout.h"

enum flag_kind {
    FLAG_STRING,       /* char * */
    FLAG_STRING_LIST,  /* appends to a (count, char **) pair: the count precedes the list */
    FLAG_BOOL,         /* bool; "--flag" alone sets it, "--flag=false" clears it */
    FLAG_UINT,         /* unsigned */
    FLAG_BYTES,        /* size_t; accepts K/M/G (binary) suffixes */
    FLAG_DURATION,     /* int64_t us; "none"/"0" means no limit */
};

typedef struct flag {
    const char *name;
    enum flag_kind kind;
    size_t offset;
    const char *def;       /* default as text (NULL: empty / zero) */
    const char *metavar;
    const char *help;
} flag;

#define F(field) offsetof(gw_config, field)

static const flag FLAGS[] = {
    {"listen", FLAG_STRING, F(listen), "0.0.0.0:8080", "HOST:PORT", "HTTP listen address (port 0 picks a free port)"},
    {"backend", FLAG_STRING, F(backend), "127.0.0.1:50051", "TARGET",
     "gRPC backend: host:port, dns:///host:port, ipv4:A:P,B:P or unix:PATH (several addresses: round-robin)"},
    {"descriptor", FLAG_STRING_LIST, F(n_descriptors), NULL, "FILE",
     "descriptor set (protoc --include_imports --descriptor_set_out); repeatable; default: the greeter's"},
    {"emit-defaults", FLAG_BOOL, F(json.emit_defaults), "false", NULL, "print fields that hold their default value"},
    {"proto-names", FLAG_BOOL, F(json.proto_names), "false", NULL, "print proto field names instead of lowerCamelCase"},
    {"enums-as-ints", FLAG_BOOL, F(json.enums_as_ints), "false", NULL, "print enum numbers instead of names"},
    {"allow-unknown-fields", FLAG_BOOL, F(json.allow_unknown), "false", NULL,
     "ignore unknown JSON fields and query parameters instead of answering 400"},
    {"default-timeout", FLAG_DURATION, F(default_timeout_us), "30s", "DURATION", "deadline of unary calls without Grpc-Timeout"},
    {"default-stream-timeout", FLAG_DURATION, F(default_stream_timeout_us), "none", "DURATION",
     "deadline of streaming calls without Grpc-Timeout"},
    {"max-timeout", FLAG_DURATION, F(max_timeout_us), "none", "DURATION", "upper bound on any call deadline"},
    {"max-body-bytes", FLAG_BYTES, F(max_body_bytes), "4M", "BYTES", "largest unary request body (413 above)"},
    {"max-message-bytes", FLAG_BYTES, F(max_message_bytes), "4M", "BYTES", "largest gRPC message to or from the backend"},
    {"max-header-bytes", FLAG_BYTES, F(max_header_bytes), "6K", "BYTES", "request line plus headers (431 above)"},
    {"max-url-bytes", FLAG_BYTES, F(max_url_bytes), "4K", "BYTES", "request target: path and query (414 above)"},
    {"max-header-count", FLAG_UINT, F(max_header_count), "100", "N", "request headers (431 above)"},
    {"header-timeout", FLAG_DURATION, F(header_timeout_us), "10s", "DURATION",
     "a request that has begun must complete its headers within this (slow clients are cut off)"},
    {"body-timeout", FLAG_DURATION, F(body_timeout_us), "60s", "DURATION",
     "a unary or server-stream request body must arrive whole within this (streams are exempt)"},
    {"max-inflight", FLAG_UINT, F(max_inflight), "10000", "N", "requests handled at once (503 with Retry-After above)"},
    {"max-streams", FLAG_UINT, F(max_streams), "10000", "N", "streaming calls open at once (503 with Retry-After above)"},
    {"stream-buffer-bytes", FLAG_BYTES, F(stream_buffer_bytes), "64K", "BYTES",
     "stream output held for a slow client before the backend is paused"},
    {"max-connections", FLAG_UINT, F(max_connections), "10000", "N", "concurrent HTTP connections"},
    {"idle-timeout", FLAG_DURATION, F(idle_timeout_us), "60s", "DURATION", "close keep-alive connections idle this long"},
    {"http-threads", FLAG_UINT, F(http_threads), "0", "N", "HTTP worker threads (0: one per CPU)"},
    {"upstream-threads", FLAG_UINT, F(upstream_threads), "1", "N", "gRPC completion-queue threads"},
    {"backend-connect-timeout", FLAG_DURATION, F(backend_connect_timeout_us), "2s", "DURATION",
     "time one connection attempt to the backend may take (TCP, TLS and HTTP/2 settings)"},
    {"backend-max-backoff", FLAG_DURATION, F(backend_max_backoff_us), "500ms", "DURATION",
     "longest wait between attempts to reach a backend that is down (how soon it is used again)"},
    {"backend-refresh", FLAG_DURATION, F(backend_refresh_us), "10s", "DURATION",
     "resolve a DNS backend name afresh this often, so that added replicas get calls (none: only when a connection drops)"},
    {"forward-header", FLAG_STRING_LIST, F(metadata.n_forward), NULL, "NAME",
     "also forward this request header as metadata; repeatable"},
    {"access-log", FLAG_STRING, F(access_log), "off", "off|text|json", "one line per request on standard output"},
    {"admin-listen", FLAG_STRING, F(admin_listen), "", "HOST:PORT",
     "serve the health, readiness, metrics and OpenAPI endpoints on this address instead of --listen"},
    {"health-path", FLAG_STRING, F(health_path), "/healthz", "PATH", "liveness endpoint (200 while the process runs)"},
    {"ready-path", FLAG_STRING, F(ready_path), "/readyz", "PATH",
     "readiness endpoint (200 when the backend answers its health check with SERVING)"},
    {"metrics-path", FLAG_STRING, F(metrics_path), "/metrics", "PATH", "Prometheus metrics endpoint"},
    {"openapi-path", FLAG_STRING, F(openapi_path), "/openapi.json", "PATH", "OpenAPI 3 document of the routes"},
    {"cors-origin", FLAG_STRING_LIST, F(n_cors_origins), NULL, "ORIGIN",
     "allow cross-origin requests from ORIGIN (scheme://host[:port], or *); repeatable; default: CORS off"},
    {"drain-timeout", FLAG_DURATION, F(drain_timeout_us), "10s", "DURATION",
     "at SIGTERM/SIGINT, how long unary calls in flight may finish (streams end at once)"},
    {"tls-cert", FLAG_STRING, F(tls_cert), "", "FILE", "serve HTTPS with this PEM certificate (chain)"},
    {"tls-key", FLAG_STRING, F(tls_key), "", "FILE", "the PEM private key of --tls-cert"},
    {"backend-tls", FLAG_BOOL, F(backend_tls), "false", NULL, "call the backend over TLS"},
    {"backend-ca", FLAG_STRING, F(backend_ca), "", "FILE",
     "PEM roots that sign the backend's certificate (default: the system's)"},
    {"backend-cert", FLAG_STRING, F(backend_cert), "", "FILE", "client certificate for mutual TLS with the backend"},
    {"backend-key", FLAG_STRING, F(backend_key), "", "FILE", "the PEM private key of --backend-cert"},
    {"backend-authority", FLAG_STRING, F(backend_authority), "", "NAME",
     "name the backend's TLS certificate must carry (default: the target's host)"},
    {"quiet", FLAG_BOOL, F(quiet), "false", NULL, "no start-up messages besides the listening line"},
};
#define N_FLAGS (sizeof FLAGS / sizeof FLAGS[0])

static void env_name(const flag *f, char *out, size_t n)
{
    size_t j = 0;
    for (const char *p = "GW_"; *p && j + 1 < n; p++) out[j++] = *p;
    for (const char *p = f->name; *p && j + 1 < n; p++) out[j++] = *p == '-' ? '_' : (char)toupper((unsigned char)*p);
    out[j] = 0;
}

static bool parse_bytes(const char *s, size_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s || errno || s[0] == '-') return false;
    unsigned long long mul = 1;
    if (*end == 'K' || *end == 'k') mul = 1024ULL, end++;
    else if (*end == 'M' || *end == 'm') mul = 1024ULL * 1024, end++;
    else if (*end == 'G' || *end == 'g') mul = 1024ULL * 1024 * 1024, end++;
    if (*end == 'i' && mul > 1) end++;
    if (*end == 'B' && mul > 1) end++;
    if (*end) return false;
    if (v > SIZE_MAX / mul) return false;
    *out = (size_t)(v * mul);
    return true;
}

static void list_add(gw_config *c, const flag *f, const char *v)
{
    size_t *count = (size_t *)((char *)c + f->offset);
    char ***items = (char ***)((char *)c + f->offset + sizeof(size_t));
    /* The (count, items) layout is checked by the static asserts below. */
    char **p = realloc(*items, (*count + 1) * sizeof *p);
    if (!p) abort();
    *items = p;
    p[(*count)++] = strdup(v);
}

_Static_assert(offsetof(gw_config, descriptors) == offsetof(gw_config, n_descriptors) + sizeof(size_t),
               "descriptor list layout");
_Static_assert(offsetof(gw_config, metadata.forward) == offsetof(gw_config, metadata.n_forward) + sizeof(size_t),
               "forward header list layout");
_Static_assert(offsetof(gw_config, cors_origins) == offsetof(gw_config, n_cors_origins) + sizeof(size_t),
               "CORS origin list layout");

/* Sets one flag from text; `from` names the source for error messages. */
static bool set_flag(gw_config *c, const flag *f, const char *v, const char *from)
{
    void *dst = (char *)c + f->offset;
    switch (f->kind) {
    case FLAG_STRING:
        free(*(char **)dst);
        *(char **)dst = strdup(v);
        return true;
    case FLAG_STRING_LIST:
        if (*v) list_add(c, f, v);
        return true;
    case FLAG_BOOL:
        if (!strcmp(v, "true") || !strcmp(v, "1") || !strcmp(v, "yes") || !strcmp(v, "on")) *(bool *)dst = true;
        else if (!strcmp(v, "false") || !strcmp(v, "0") || !strcmp(v, "no") || !strcmp(v, "off")) *(bool *)dst = false;
        else break;
        return true;
    case FLAG_UINT: {
        char *end;
        errno = 0;
        unsigned long x = strtoul(v, &end, 10);
        if (end == v || *end || errno || x > 0xffffffffUL || v[0] == '-') break;
        *(unsigned *)dst = (unsigned)x;
        return true;
    }
    case FLAG_BYTES:
        if (!parse_bytes(v, (size_t *)dst)) break;
        return true;
    case FLAG_DURATION:
        if (!duration_parse(v, (int64_t *)dst, true)) break;
        return true;
    }
    fprintf(stderr, "grpc-json-gateway: invalid value '%s' for %s%s\n", v, from, f->name);
    return false;
}

static void print_help(FILE *out)
{
    fprintf(out,
            "Usage: grpc-json-gateway [OPTION]...\n"
            "A REST/JSON front end for gRPC services, driven by descriptor sets and google.api.http rules.\n"
            "\nOptions (each can also be set by the environment variable shown):\n");
    for (size_t i = 0; i < N_FLAGS; i++) {
        const flag *f = &FLAGS[i];
        char env[64], head[96];
        env_name(f, env, sizeof env);
        snprintf(head, sizeof head, "--%s%s%s", f->name, f->metavar ? " " : "", f->metavar ? f->metavar : "");
        fprintf(out, "  %-32s %s", head, f->help);
        if (f->def && f->kind != FLAG_BOOL) fprintf(out, " [default: %s]", f->def);
        fprintf(out, "\n  %-32s env %s\n", "", env);
    }
    fprintf(out, "  %-32s show this help\n  %-32s show the version\n", "--help", "--version");
    fprintf(out, "\nDURATION: 250ms, 1.5s, 30s, 2m, 1h, or none. BYTES: 65536, 64K, 4M, 1G.\n");
}

enum config_result config_load(gw_config *c, int argc, char **argv)
{
    memset(c, 0, sizeof *c);
    for (size_t i = 0; i < N_FLAGS; i++)
        if (FLAGS[i].def && !set_flag(c, &FLAGS[i], FLAGS[i].def, "default of --")) abort();

    for (size_t i = 0; i < N_FLAGS; i++) {
        char env[64];
        env_name(&FLAGS[i], env, sizeof env);
        const char *v = getenv(env);
        if (!v) continue;
        char from[128];
        snprintf(from, sizeof from, "%s (environment) for --", env);
        if (FLAGS[i].kind == FLAG_STRING_LIST) {
            /* A list from the environment is comma-separated. */
            char *copy = strdup(v), *save = NULL;
            for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) list_add(c, &FLAGS[i], tok);
            free(copy);
        } else if (!set_flag(c, &FLAGS[i], v, from)) {
            return CONFIG_EXIT_USAGE;
        }
    }

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            print_help(stdout);
            return CONFIG_EXIT_OK;
        }
        if (!strcmp(a, "--version")) {
            printf("grpc-json-gateway %s\n", PACKAGE_VERSION);
            return CONFIG_EXIT_OK;
        }
        if (strncmp(a, "--", 2) != 0) {
            fprintf(stderr, "grpc-json-gateway: unexpected argument '%s' (see --help)\n", a);
            return CONFIG_EXIT_USAGE;
        }
        const char *name = a + 2, *eq = strchr(name, '=');
        size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
        const flag *f = NULL;
        for (size_t k = 0; k < N_FLAGS; k++)
            if (strlen(FLAGS[k].name) == nlen && !strncmp(FLAGS[k].name, name, nlen)) f = &FLAGS[k];
        if (!f) {
            fprintf(stderr, "grpc-json-gateway: unknown option '%s' (see --help)\n", a);
            return CONFIG_EXIT_USAGE;
        }
        const char *v;
        if (eq) v = eq + 1;
        else if (f->kind == FLAG_BOOL) v = "true";
        else if (i + 1 < argc) v = argv[++i];
        else {
            fprintf(stderr, "grpc-json-gateway: option '--%s' needs a value (see --help)\n", f->name);
            return CONFIG_EXIT_USAGE;
        }
        if (!set_flag(c, f, v, "--")) return CONFIG_EXIT_USAGE;
    }
    for (size_t i = 0; i < c->metadata.n_forward; i++)
        for (char *p = c->metadata.forward[i]; *p; p++) *p = (char)tolower((unsigned char)*p);
    return CONFIG_RUN;
}

void config_free(gw_config *c)
{
    for (size_t i = 0; i < N_FLAGS; i++) {
        const flag *f = &FLAGS[i];
        if (f->kind == FLAG_STRING) {
            free(*(char **)((char *)c + f->offset));
        } else if (f->kind == FLAG_STRING_LIST) {
            size_t *count = (size_t *)((char *)c + f->offset);
            char ***items = (char ***)((char *)c + f->offset + sizeof(size_t));
            for (size_t k = 0; k < *count; k++) free((*items)[k]);
            free(*items);
        }
    }
    memset(c, 0, sizeof *c);
}

