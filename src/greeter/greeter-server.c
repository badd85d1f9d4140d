/* greeter-server.c: the helloworld.Greeter gRPC service (all four call kinds) plus
 * grpc.health.v1.Health/Check, served event-driven from one completion-queue thread.
 *
 *   greeter-server [--listen HOST:PORT] [--stream-count N] [--stream-interval-ms N] [--delay-ms N]
 *                  [--grace-ms N] [--tls-cert FILE --tls-key FILE [--tls-client-ca FILE]] [--quiet]
 *                  [--help] [--version]
 *
 * Behaviour:
 *   SayHello              "Hello <name>"
 *   SayHelloServerStream  "Hello <name> #0" ... "#<N-1>" (N = --stream-count, default 5), replies
 *                         --stream-interval-ms apart (default 0)
 *   SayHelloClientStream  "Hello a, b, c" once the client half-closes ("Hello " for no names)
 *   SayHelloBiStream      "Hello <name>" for each request, as it arrives
 *   Health/Check          SERVING for "" and "helloworld.Greeter", NOT_FOUND for other services
 *   an empty name         INVALID_ARGUMENT "name must not be empty" (streams: at that message, after
 *                         the replies already due)
 *   any other method      UNIMPLEMENTED
 *   --delay-ms N          every Greeter reply waits N ms more (a timer on the loop, not a sleep); in a
 *                         server stream each reply waits N ms plus the interval after the one before
 * A call stops being worked on as soon as the client cancels or its deadline passes.
 * Plain-text HTTP/2 by default; TLS with --tls-cert/--tls-key (PEM), and with --tls-client-ca every
 * client must present a certificate signed by those roots (mutual TLS).
 *
 * Stderr:
 *   "listening on HOST:PORT" once ready (the real port when PORT was 0);
 *   per finished call, unless --quiet (format documented in src/common/server_call.h):
 *     call <path> status=<NAME> cancelled=<0|1> in=<n> out=<n> deadline_ms=<n|none> ms=<n>
 * SIGINT/SIGTERM: stop accepting calls, let those in flight finish (at most --grace-ms, default 5 s,
 * then cancel them), exit 0. A listen address that cannot be bound (e.g. taken), or a certificate and
 * key that gRPC refuses, exits 1; bad arguments, and TLS files that cannot be read or are not PEM, exit 2. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <grpc/grpc.h>

#include "buf.h"
#include "build-config.h"
#include "greeter_opts.h"
#include "greeting.h"
#include "grpc/health/v1/health.pb-c.h"
#include "grpc_server_loop.h"
#include "server_call.h"

#define GREETER_SERVICE "helloworld.Greeter"
#define GREETER_PREFIX "/" GREETER_SERVICE "/"
#define HEALTH_CHECK_PATH "/grpc.health.v1.Health/Check"
#define EMPTY_NAME_MESSAGE "name must not be empty"
#define BAD_REQUEST_MESSAGE "request is not a valid HelloRequest"
#define MISSING_REQUEST_MESSAGE "request message missing"

static gopts_server g_opts;   /* set once in main, read-only afterwards */

/* Per-call state of a Greeter call (owned by the scall; freed in on_free). */
typedef struct greeter_call {
    char *name;                 /* server stream: the name being greeted */
    unsigned long next_index;   /* server stream: the next reply's number */
    buf collected;              /* client stream: "Hello a, b" so far */
    bool any_collected;
    bool got_request;           /* unary / server stream / health: the one request arrived */
} greeter_call;

static greeter_call *greeter_call_of(scall *c) { return scall_user(c); }

static void send_text(scall *c, const char *text, int64_t not_before_ms)
{
    buf msg = BUF_INIT;
    greeting_encode_reply(&msg, text);
    scall_send(c, msg.data, msg.len, not_before_ms);
    buf_free(&msg);
}

/* Decodes the request and checks the name; on failure finishes the call and returns NULL. */
static char *take_name(scall *c, const uint8_t *data, size_t len)
{
    char *name;
    if (!greeting_decode_request(data, len, &name)) {
        scall_finish(c, GRPC_STATUS_INVALID_ARGUMENT, BAD_REQUEST_MESSAGE);
        return NULL;
    }
    if (!*name) {
        free(name);
        scall_finish(c, GRPC_STATUS_INVALID_ARGUMENT, EMPTY_NAME_MESSAGE);
        return NULL;
    }
    return name;
}

static int64_t reply_due(void) { return gsl_now_ms() + g_opts.delay_ms; }

static void missing_request(scall *c)
{
    if (!greeter_call_of(c)->got_request) scall_finish(c, GRPC_STATUS_INVALID_ARGUMENT, MISSING_REQUEST_MESSAGE);
}

/* ---- SayHello */
static void unary_message(scall *c, const uint8_t *data, size_t len)
{
    greeter_call *g = greeter_call_of(c);
    if (g->got_request) return;
    g->got_request = true;
    char *name = take_name(c, data, len);
    if (!name) return;
    buf text = BUF_INIT;
    greeting_hello(&text, name);
    send_text(c, (char *)text.data, reply_due());
    scall_finish(c, GRPC_STATUS_OK, NULL);
    buf_free(&text);
    free(name);
}

/* ---- SayHelloServerStream */
static void server_stream_next(scall *c, int64_t due_ms)
{
    greeter_call *g = greeter_call_of(c);
    if (g->next_index >= (unsigned long)g_opts.stream_count) {
        scall_finish(c, GRPC_STATUS_OK, NULL);
        return;
    }
    buf text = BUF_INIT;
    greeting_stream_reply(&text, g->name, g->next_index++);
    send_text(c, (char *)text.data, due_ms);
    buf_free(&text);
}

static void server_stream_message(scall *c, const uint8_t *data, size_t len)
{
    greeter_call *g = greeter_call_of(c);
    if (g->got_request) return;
    g->got_request = true;
    g->name = take_name(c, data, len);
    if (g->name) server_stream_next(c, reply_due());
}

/* The next reply is produced only once the previous one is out, so a long stream holds one reply
 * in memory at a time and stops as soon as the call is cancelled. */
static void server_stream_sent(scall *c) { server_stream_next(c, reply_due() + g_opts.stream_interval_ms); }

/* ---- SayHelloClientStream */
static void client_stream_message(scall *c, const uint8_t *data, size_t len)
{
    greeter_call *g = greeter_call_of(c);
    char *name = take_name(c, data, len);
    if (!name) return;
    greeting_collect_add(&g->collected, name, !g->any_collected);
    g->any_collected = true;
    free(name);
}

static void client_stream_half_close(scall *c)
{
    greeter_call *g = greeter_call_of(c);
    send_text(c, (char *)g->collected.data, reply_due());
    scall_finish(c, GRPC_STATUS_OK, NULL);
}

/* ---- SayHelloBiStream */
static void bidi_message(scall *c, const uint8_t *data, size_t len)
{
    char *name = take_name(c, data, len);
    if (!name) return;
    buf text = BUF_INIT;
    greeting_hello(&text, name);
    send_text(c, (char *)text.data, reply_due());
    buf_free(&text);
    free(name);
}

static void bidi_half_close(scall *c) { scall_finish(c, GRPC_STATUS_OK, NULL); }

/* ---- grpc.health.v1.Health/Check */
static void health_message(scall *c, const uint8_t *data, size_t len)
{
    greeter_call *g = greeter_call_of(c);
    if (g->got_request) return;
    g->got_request = true;
    Grpc__Health__V1__HealthCheckRequest *req = grpc__health__v1__health_check_request__unpack(NULL, len, data);
    if (!req) {
        scall_finish(c, GRPC_STATUS_INVALID_ARGUMENT, "request is not a valid HealthCheckRequest");
        return;
    }
    const char *service = req->service ? req->service : "";
    if (*service && strcmp(service, GREETER_SERVICE) != 0) {
        buf msg = BUF_INIT;
        buf_printf(&msg, "unknown service %s", service);
        scall_finish(c, GRPC_STATUS_NOT_FOUND, (char *)msg.data);
        buf_free(&msg);
    } else {
        Grpc__Health__V1__HealthCheckResponse resp = GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__INIT;
        resp.status = GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING;
        uint8_t out[16];   /* one enum field: tag + varint */
        size_t n = grpc__health__v1__health_check_response__pack(&resp, out);
        scall_send(c, out, n, gsl_now_ms());
        scall_finish(c, GRPC_STATUS_OK, NULL);
    }
    grpc__health__v1__health_check_request__free_unpacked(req, NULL);
}

static void greeter_call_free(scall *c)
{
    greeter_call *g = greeter_call_of(c);
    if (!g) return;
    free(g->name);
    buf_free(&g->collected);
    free(g);
}

static void unknown_method_message(scall *c, const uint8_t *data, size_t len) {}

static const struct {
    const char *path;
    scall_handler handler;
} METHODS[] = {
    {GREETER_PREFIX "SayHello", {unary_message, missing_request, NULL, greeter_call_free}},
    {GREETER_PREFIX "SayHelloServerStream", {server_stream_message, missing_request, server_stream_sent, greeter_call_free}},
    {GREETER_PREFIX "SayHelloClientStream", {client_stream_message, client_stream_half_close, NULL, greeter_call_free}},
    {GREETER_PREFIX "SayHelloBiStream", {bidi_message, bidi_half_close, NULL, greeter_call_free}},
    {HEALTH_CHECK_PATH, {health_message, missing_request, NULL, greeter_call_free}},
};

static const scall_handler UNKNOWN_METHOD = {unknown_method_message, NULL, NULL, greeter_call_free};

/* Loop thread: picks the handler for a new call by its method path. */
static void on_call(gsl_loop *loop, grpc_call *call, grpc_call_details *details, grpc_metadata_array *md,
                    void *user)
{
    scall *c = scall_create(loop, call, details, md, !g_opts.quiet);
    const char *path = scall_method(c);
    greeter_call *g = calloc(1, sizeof *g);
    if (!g) abort();
    greeting_collect_init(&g->collected);
    for (size_t i = 0; i < sizeof METHODS / sizeof METHODS[0]; i++) {
        if (strcmp(path, METHODS[i].path) == 0) {
            scall_begin(c, &METHODS[i].handler, g);
            return;
        }
    }
    /* Finished before it begins, so that no request message is read. */
    buf msg = BUF_INIT;
    buf_printf(&msg, "unknown method %s", path);
    scall_finish(c, GRPC_STATUS_UNIMPLEMENTED, (char *)msg.data);
    buf_free(&msg);
    scall_begin(c, &UNKNOWN_METHOD, g);
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: greeter-server [--listen HOST:PORT] [--stream-count N] [--stream-interval-ms N]\n"
            "                      [--delay-ms N] [--grace-ms N] [--tls-cert FILE --tls-key FILE\n"
            "                      [--tls-client-ca FILE]] [--quiet] [--help] [--version]\n"
            "Serves helloworld.Greeter and grpc.health.v1.Health over HTTP/2, plain text or TLS.\n"
            "  --listen HOST:PORT        address to listen on (default %s; port 0 picks a free port;\n"
            "                            unix:PATH for a Unix domain socket)\n"
            "  --stream-count N          replies of SayHelloServerStream (default %d)\n"
            "  --stream-interval-ms N    pause between server-stream replies (default 0)\n"
            "  --delay-ms N              delay every reply by N ms (default 0)\n"
            "  --grace-ms N              after SIGINT/SIGTERM, cancel calls still running after N ms\n"
            "                            (default %ld)\n"
            "  --tls-cert FILE           serve TLS with this PEM certificate (chain); needs --tls-key\n"
            "  --tls-key FILE            the PEM private key of --tls-cert\n"
            "  --tls-client-ca FILE      require client certificates signed by these PEM roots\n"
            "                            (mutual TLS)\n"
            "  --quiet                   no per-call log lines on stderr\n"
            "Prints \"listening on HOST:PORT\" to stderr when ready; SIGINT/SIGTERM drain and exit 0.\n",
            GREETER_DEFAULT_LISTEN, GREETER_DEFAULT_STREAM_COUNT, GREETER_DEFAULT_GRACE_MS);
}

int main(int argc, char **argv)
{
    char err[256];
    switch (gopts_parse_server(argc, argv, &g_opts, err, sizeof err)) {
    case GOPTS_HELP:
        usage(stdout);
        return 0;
    case GOPTS_VERSION:
        printf("greeter-server %s\n", PACKAGE_VERSION);
        return 0;
    case GOPTS_BAD:
        fprintf(stderr, "greeter-server: %s\n", err);
        usage(stderr);
        return 2;
    case GOPTS_RUN:
        break;
    }
    gsl_config cfg = {
        .prog = "greeter-server",
        .listen = g_opts.listen,
        .grace_ms = (int)g_opts.grace_ms,
        .tls_cert = g_opts.tls_cert,
        .tls_key = g_opts.tls_key,
        .tls_client_ca = g_opts.tls_client_ca,
        .on_call = on_call,
        .user = NULL,
    };
    return gsl_serve(&cfg);
}
