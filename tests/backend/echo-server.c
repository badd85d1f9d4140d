/* echo-server.c: a generic gRPC test backend that answers any method by echoing request bytes, for
 * the gateway's end-to-end tests (it needs no generated code: the gateway transcodes from descriptor
 * sets, the backend only moves bytes).
 *
 *   echo-server [--listen HOST:PORT] [--tls-cert FILE --tls-key FILE [--tls-client-ca FILE]] [--quiet]
 *   (default 127.0.0.1:0, plain text; the TLS flags are greeter-server's: TLS, and mutual TLS)
 *
 * Per call (any method path):
 *   mode "each" (default): every request message is sent back unchanged, as it arrives;
 *   mode "last" (the method name ends with "ClientStream"): nothing until the client half-closes,
 *     then the last request message once (an empty message if there was none).
 *   After the client half-closes and the replies are out, the status is OK unless told otherwise.
 * Controls, from request metadata (all optional):
 *   x-echo-status: N, x-echo-message: TEXT   the final status code and message
 *   x-echo-details-bin: BYTES                 returned as trailing grpc-status-details-bin
 *   x-echo-repeat: N                          each echo is sent N times
 *   x-echo-interval-ms: N                     spacing between replies
 *   x-echo-delay-ms: N                        delay before the first reply
 *   x-echo-fail-after: N                      after N replies, end at once with x-echo-status
 *                                             (default 13 INTERNAL); 0 fails before any reply
 *   A malformed control (bad number, unknown x-echo- key) ends the call with INVALID_ARGUMENT.
 * Metadata: initial metadata holds "echo-<key>: <value>" for each request entry that is not a
 * control or reserved (grpc-*, user-agent, content-type, te, pseudo-headers); -bin keys keep their
 * suffix and bytes. Trailing metadata holds "x-echo-trailer: done".
 * Stderr: "listening on HOST:PORT" when ready, then per finished call (unless --quiet):
 *   call <path> status=<NAME> cancelled=<0|1> in=<n> out=<n> deadline_ms=<n|none> ms=<n>
 * SIGINT/SIGTERM drain in-flight calls (5 s at most) and exit 0. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <grpc/grpc.h>

#include "buf.h"
#include "cliopt.h"
#include "echo_controls.h"
#include "grpc_server_loop.h"
#include "server_call.h"

#define ECHO_DEFAULT_LISTEN "127.0.0.1:0"
#define ECHO_PREFIX "echo-"

static bool g_quiet;

typedef struct echo_call {
    echo_controls ctl;
    bool last_mode;
    bool scheduled_any;         /* a reply was queued: the next one follows the interval */
    int64_t last_due_ms;
    buf last;                   /* mode "last": the latest request message */
} echo_call;

static echo_call *echo_call_of(scall *c) { return scall_user(c); }

static int64_t next_due(echo_call *e)
{
    int64_t now = gsl_now_ms();
    int64_t due = e->scheduled_any ? e->last_due_ms + e->ctl.interval_ms : now + e->ctl.delay_ms;
    if (due < now) due = now;
    e->scheduled_any = true;
    e->last_due_ms = due;
    return due;
}

static const char *status_message(const echo_call *e) { return e->ctl.has_message ? e->ctl.message : ""; }

static void echo_message(scall *c, const uint8_t *data, size_t len)
{
    echo_call *e = echo_call_of(c);
    if (e->last_mode) {
        buf_reset(&e->last);
        buf_append(&e->last, data, len);
        return;
    }
    for (long i = 0; i < e->ctl.repeat; i++) scall_send(c, data, len, next_due(e));
}

static void echo_half_close(scall *c)
{
    echo_call *e = echo_call_of(c);
    if (e->last_mode) scall_send(c, e->last.data, e->last.len, next_due(e));
    scall_finish(c, (grpc_status_code)echo_final_status(&e->ctl), status_message(e));
}

static void echo_sent(scall *c)
{
    echo_call *e = echo_call_of(c);
    if (e->ctl.has_fail_after && scall_out_count(c) >= (unsigned long)e->ctl.fail_after)
        scall_fail_now(c, (grpc_status_code)echo_fail_status(&e->ctl), status_message(e));
}

static void echo_free(scall *c)
{
    echo_call *e = echo_call_of(c);
    if (!e) return;
    buf_free(&e->last);
    free(e);
}

static const scall_handler ECHO_HANDLER = {echo_message, echo_half_close, echo_sent, echo_free};

/* Reads the controls and prepares the metadata; false (and the call finished) on a bad control. */
static bool apply_request_md(scall *c, echo_call *e)
{
    const grpc_metadata_array *md = scall_request_md(c);
    buf key = BUF_INIT;
    bool ok = true;
    for (size_t i = 0; i < md->count && ok; i++) {
        const char *k = (const char *)GRPC_SLICE_START_PTR(md->metadata[i].key);
        size_t klen = GRPC_SLICE_LENGTH(md->metadata[i].key);
        const uint8_t *v = GRPC_SLICE_START_PTR(md->metadata[i].value);
        size_t vlen = GRPC_SLICE_LENGTH(md->metadata[i].value);
        char err[128];
        int r = echo_controls_apply(&e->ctl, k, klen, v, vlen, err, sizeof err);
        if (r < 0) {
            scall_finish(c, GRPC_STATUS_INVALID_ARGUMENT, err);
            ok = false;
        } else if (r == 0 && echo_key_is_echoed(k, klen)) {
            buf_reset(&key);
            buf_append_str(&key, ECHO_PREFIX);
            buf_append(&key, k, klen);
            scall_add_initial_md(c, (char *)key.data, v, vlen);
        }
    }
    buf_free(&key);
    return ok;
}

/* Loop thread: every call, whatever its method, is an echo call. */
static void on_call(gsl_loop *loop, grpc_call *call, grpc_call_details *details, grpc_metadata_array *md,
                    void *user)
{
    scall *c = scall_create(loop, call, details, md, !g_quiet);
    echo_call *e = calloc(1, sizeof *e);
    if (!e) abort();
    echo_controls_init(&e->ctl);
    e->last_mode = echo_method_is_last_mode(scall_method(c));
    static const uint8_t DONE[] = "done";
    scall_add_trailing_md(c, "x-echo-trailer", DONE, sizeof DONE - 1);
    if (apply_request_md(c, e)) {
        if (e->ctl.has_details)
            scall_add_trailing_md(c, "grpc-status-details-bin", e->ctl.details, e->ctl.details_len);
        if (e->ctl.has_fail_after && e->ctl.fail_after == 0)
            scall_finish(c, (grpc_status_code)echo_fail_status(&e->ctl), status_message(e));
    }
    scall_begin(c, &ECHO_HANDLER, e);
}

static void usage(FILE *f)
{
    fprintf(f, "usage: echo-server [--listen HOST:PORT] [--tls-cert FILE --tls-key FILE [--tls-client-ca FILE]]\n"
               "                   [--quiet]\n"
               "A gRPC backend for tests: echoes request messages of any method (see the source for controls).\n");
}

int main(int argc, char **argv)
{
    const char *listen = ECHO_DEFAULT_LISTEN;
    const char *tls_cert = NULL, *tls_key = NULL, *tls_client_ca = NULL;
    for (int i = 1; i < argc; i++) {
        int port;
        bool has_value = i + 1 < argc;
        if (strcmp(argv[i], "--quiet") == 0) {
            g_quiet = true;
        } else if (strcmp(argv[i], "--listen") == 0 && has_value && cliopt_hostport(argv[i + 1], &port, NULL)) {
            listen = argv[++i];
        } else if (strcmp(argv[i], "--tls-cert") == 0 && has_value) {
            tls_cert = argv[++i];
        } else if (strcmp(argv[i], "--tls-key") == 0 && has_value) {
            tls_key = argv[++i];
        } else if (strcmp(argv[i], "--tls-client-ca") == 0 && has_value) {
            tls_client_ca = argv[++i];
        } else if (strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "echo-server: bad argument '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    gsl_config cfg = {
        .prog = "echo-server",
        .listen = listen,
        .grace_ms = GSL_DEFAULT_GRACE_MS,
        .tls_cert = tls_cert,    /* gsl_serve checks that they go together */
        .tls_key = tls_key,
        .tls_client_ca = tls_client_ca,
        .on_call = on_call,
        .user = NULL,
    };
    return gsl_serve(&cfg);
}
