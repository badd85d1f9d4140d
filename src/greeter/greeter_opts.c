/* greeter_opts.c: greeter command-line parsing (see greeter_opts.h). */
#include "greeter_opts.h"

#include <stdio.h>
#include <string.h>

#include "cliopt.h"

typedef struct opt_cursor {
    int argc;
    char **argv;
    int i;              /* the argument being looked at */
    char *err;
    size_t err_len;
} opt_cursor;

/* If argv[i] is `name` ("--name value" or "--name=value"), stores the value, advances past it and
 * returns 1; returns 0 when it is another argument and -1 when the value is missing. */
static int take_value(opt_cursor *cur, const char *name, const char **value)
{
    const char *arg = cur->argv[cur->i];
    size_t n = strlen(name);
    if (strncmp(arg, name, n) != 0) return 0;
    if (arg[n] == '=') {
        *value = arg + n + 1;
        cur->i++;
        return 1;
    }
    if (arg[n] != '\0') return 0;
    if (cur->i + 1 >= cur->argc) {
        snprintf(cur->err, cur->err_len, "%s needs a value", name);
        return -1;
    }
    *value = cur->argv[cur->i + 1];
    cur->i += 2;
    return 1;
}

/* Like take_value for a number in 0..max. */
static int take_number(opt_cursor *cur, const char *name, long max, long *out)
{
    const char *v;
    int r = take_value(cur, name, &v);
    if (r <= 0) return r;
    if (!cliopt_uint(v, max, out)) {
        snprintf(cur->err, cur->err_len, "%s: expected a whole number from 0 to %ld, got '%s'", name, max, v);
        return -1;
    }
    return 1;
}

static int take_hostport(opt_cursor *cur, const char *name, const char **out)
{
    const char *v;
    int port;
    int r = take_value(cur, name, &v);
    if (r <= 0) return r;
    /* A Unix domain socket (unix:PATH) is taken as it is: gRPC core binds it. */
    if (strncmp(v, "unix:", 5) == 0 && v[5]) {
        *out = v;
        return 1;
    }
    if (!cliopt_hostport(v, &port, NULL)) {
        snprintf(cur->err, cur->err_len, "%s: expected HOST:PORT (port 0-65535, IPv6 in brackets) or unix:PATH, got '%s'",
                 name, v);
        return -1;
    }
    *out = v;
    return 1;
}

/* Like take_value for a file name or other text that must not be empty. */
static int take_text(opt_cursor *cur, const char *name, const char **out)
{
    const char *v;
    int r = take_value(cur, name, &v);
    if (r <= 0) return r;
    if (!*v) {
        snprintf(cur->err, cur->err_len, "%s: the value must not be empty", name);
        return -1;
    }
    *out = v;
    return 1;
}

static bool is_flag(const char *arg, const char *name) { return strcmp(arg, name) == 0; }

/* The server's TLS flags make sense together: a certificate with its key, client roots only on top. */
static bool server_tls_consistent(const gopts_server *o, char *err, size_t err_len)
{
    if (!o->tls_cert != !o->tls_key) {
        snprintf(err, err_len, "--tls-cert and --tls-key go together");
        return false;
    }
    if (o->tls_client_ca && !o->tls_cert) {
        snprintf(err, err_len, "--tls-client-ca needs --tls-cert and --tls-key");
        return false;
    }
    return true;
}

/* The client's: files only with --tls, a certificate with its key. */
static bool client_tls_consistent(const gopts_client *o, char *err, size_t err_len)
{
    if (!o->tls && (o->ca || o->cert || o->key)) {
        snprintf(err, err_len, "--ca, --cert and --key need --tls");
        return false;
    }
    if (!o->cert != !o->key) {
        snprintf(err, err_len, "--cert and --key go together");
        return false;
    }
    return true;
}

gopts_result gopts_parse_server(int argc, char **argv, gopts_server *o, char *err, size_t err_len)
{
    o->listen = GREETER_DEFAULT_LISTEN;
    o->stream_count = GREETER_DEFAULT_STREAM_COUNT;
    o->stream_interval_ms = 0;
    o->delay_ms = 0;
    o->grace_ms = GREETER_DEFAULT_GRACE_MS;
    o->quiet = false;
    o->tls_cert = o->tls_key = o->tls_client_ca = NULL;
    opt_cursor cur = {argc, argv, 1, err, err_len};
    while (cur.i < argc) {
        const char *arg = argv[cur.i];
        int r;
        if (is_flag(arg, "--help") || is_flag(arg, "-h")) return GOPTS_HELP;
        if (is_flag(arg, "--version")) return GOPTS_VERSION;
        if (is_flag(arg, "--quiet")) {
            o->quiet = true;
            cur.i++;
            continue;
        }
        if ((r = take_hostport(&cur, "--listen", &o->listen)) ||
            (r = take_number(&cur, "--stream-count", GREETER_MAX_STREAM_COUNT, &o->stream_count)) ||
            (r = take_number(&cur, "--stream-interval-ms", GREETER_MAX_MS, &o->stream_interval_ms)) ||
            (r = take_number(&cur, "--delay-ms", GREETER_MAX_MS, &o->delay_ms)) ||
            (r = take_number(&cur, "--grace-ms", GREETER_MAX_MS, &o->grace_ms)) ||
            (r = take_text(&cur, "--tls-cert", &o->tls_cert)) ||
            (r = take_text(&cur, "--tls-key", &o->tls_key)) ||
            (r = take_text(&cur, "--tls-client-ca", &o->tls_client_ca))) {
            if (r < 0) return GOPTS_BAD;
            continue;
        }
        snprintf(err, err_len, "unknown argument '%s'", arg);
        return GOPTS_BAD;
    }
    return server_tls_consistent(o, err, err_len) ? GOPTS_RUN : GOPTS_BAD;
}

static const struct {
    const char *word;
    greeter_kind kind;
    const char *path;
} KINDS[] = {
    {"unary", GREETER_UNARY, "/helloworld.Greeter/SayHello"},
    {"server-stream", GREETER_SERVER_STREAM, "/helloworld.Greeter/SayHelloServerStream"},
    {"client-stream", GREETER_CLIENT_STREAM, "/helloworld.Greeter/SayHelloClientStream"},
    {"bidi", GREETER_BIDI, "/helloworld.Greeter/SayHelloBiStream"},
    {"health", GREETER_HEALTH, "/grpc.health.v1.Health/Check"},
};
#define N_KINDS (sizeof KINDS / sizeof KINDS[0])

const char *greeter_method_path(greeter_kind kind)
{
    for (size_t k = 0; k < N_KINDS; k++)
        if (KINDS[k].kind == kind) return KINDS[k].path;
    return NULL;
}

gopts_result gopts_parse_client(int argc, char **argv, gopts_client *o, char *err, size_t err_len)
{
    o->target = GREETER_DEFAULT_TARGET;
    o->timeout_ms = -1;
    o->cancel_after_ms = -1;
    o->names = NULL;
    o->n_names = 0;
    o->tls = false;
    o->ca = o->cert = o->key = o->authority = NULL;
    opt_cursor cur = {argc, argv, 1, err, err_len};
    while (cur.i < argc && argv[cur.i][0] == '-') {
        const char *arg = argv[cur.i];
        int r;
        if (is_flag(arg, "--")) {
            cur.i++;
            break;
        }
        if (is_flag(arg, "--help") || is_flag(arg, "-h")) return GOPTS_HELP;
        if (is_flag(arg, "--version")) return GOPTS_VERSION;
        if (is_flag(arg, "--tls")) {
            o->tls = true;
            cur.i++;
            continue;
        }
        if ((r = take_hostport(&cur, "--target", &o->target)) ||
            (r = take_number(&cur, "--timeout-ms", GREETER_MAX_MS, &o->timeout_ms)) ||
            (r = take_number(&cur, "--cancel-after-ms", GREETER_MAX_MS, &o->cancel_after_ms)) ||
            (r = take_text(&cur, "--ca", &o->ca)) ||
            (r = take_text(&cur, "--cert", &o->cert)) ||
            (r = take_text(&cur, "--key", &o->key)) ||
            (r = take_text(&cur, "--authority", &o->authority))) {
            if (r < 0) return GOPTS_BAD;
            continue;
        }
        snprintf(err, err_len, "unknown option '%s'", arg);
        return GOPTS_BAD;
    }
    if (!client_tls_consistent(o, err, err_len)) return GOPTS_BAD;
    if (cur.i >= argc) {
        snprintf(err, err_len, "missing the call kind (unary, server-stream, client-stream, bidi or health)");
        return GOPTS_BAD;
    }
    const char *word = argv[cur.i++];
    size_t k = 0;
    while (k < N_KINDS && strcmp(KINDS[k].word, word) != 0) k++;
    if (k == N_KINDS) {
        snprintf(err, err_len, "unknown call kind '%s' (unary, server-stream, client-stream, bidi or health)", word);
        return GOPTS_BAD;
    }
    o->kind = KINDS[k].kind;
    o->names = argv + cur.i;
    o->n_names = argc - cur.i;
    if ((o->kind == GREETER_UNARY || o->kind == GREETER_SERVER_STREAM) && o->n_names != 1) {
        snprintf(err, err_len, "%s takes exactly one NAME", word);
        return GOPTS_BAD;
    }
    if (o->kind == GREETER_HEALTH && o->n_names > 1) {
        snprintf(err, err_len, "health takes at most one SERVICE");
        return GOPTS_BAD;
    }
    return GOPTS_RUN;
}
