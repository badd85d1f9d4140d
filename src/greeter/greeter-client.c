/* greeter-client.c: calls helloworld.Greeter from the command line, one call per run.
 *
 *   greeter-client [--target HOST:PORT] [--timeout-ms N] [--cancel-after-ms N] [TLS options]
 *                  unary|server-stream|client-stream|bidi NAME...
 *   greeter-client [--target HOST:PORT] [--timeout-ms N] [TLS options] health [SERVICE]
 *   TLS options: --tls [--ca FILE] [--cert FILE --key FILE] [--authority NAME]
 *
 * unary and server-stream send one NAME; client-stream sends every NAME then half-closes; bidi sends
 * a NAME, waits for and prints its reply, then sends the next. Every reply message is printed on its
 * own line on stdout as it arrives. health calls grpc.health.v1.Health/Check and prints the serving
 * status name (e.g. SERVING). A call that does not end OK prints "<STATUS_NAME>: <message>"
 * on stderr and exits 1 (e.g. "DEADLINE_EXCEEDED: Deadline Exceeded"); bad arguments exit 2.
 * --timeout-ms sets the call's deadline; --cancel-after-ms cancels the call that long after it
 * started (it then ends CANCELLED). --tls calls over TLS, checking the server's certificate against
 * --ca (default: the system's roots) and the name --authority (default: the target's host); --cert
 * and --key present a client certificate (mutual TLS). A TLS file that cannot be read or is not PEM
 * exits 2; a failed handshake ends the call UNAVAILABLE (exit 1). Single-threaded: one batch is in
 * flight at a time. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/support/alloc.h>
#include <grpc/support/time.h>

#include "buf.h"
#include "build-config.h"
#include "greeter_opts.h"
#include "greeting.h"
#include "grpc/health/v1/health.pb-c.h"
#include "grpc_names.h"
#include "pem_file.h"

typedef struct client {
    greeter_kind kind;
    grpc_channel *channel;
    grpc_completion_queue *cq;
    grpc_call *call;
    int64_t cancel_at_ms;            /* INT64_MAX: no cancel pending */
    grpc_metadata_array initial_md, trailing_md;
    bool initial_md_requested;
    bool close_sent;                 /* SEND_CLOSE_FROM_CLIENT went out */
    grpc_status_code status;
    grpc_slice status_details;
    bool bad_reply;                  /* a reply could not be decoded: the call was cancelled */
} client;

static int64_t now_ms(void)
{
    gpr_timespec t = gpr_now(GPR_CLOCK_MONOTONIC);
    return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Runs one batch to completion; returns its success flag. Fires the pending cancel when it is due
 * while waiting. */
static bool run_batch(client *cl, const grpc_op *ops, size_t n)
{
    int tag;
    grpc_call_error e = grpc_call_start_batch(cl->call, ops, n, &tag, NULL);
    if (e != GRPC_CALL_OK) {
        fprintf(stderr, "greeter-client: grpc_call_start_batch failed (%d)\n", (int)e);
        exit(1);
    }
    for (;;) {
        gpr_timespec wait = cl->cancel_at_ms == INT64_MAX ? gpr_inf_future(GPR_CLOCK_MONOTONIC)
                                                          : gpr_time_from_millis(cl->cancel_at_ms, GPR_CLOCK_MONOTONIC);
        grpc_event ev = grpc_completion_queue_next(cl->cq, wait, NULL);
        if (ev.type == GRPC_QUEUE_TIMEOUT) {
            grpc_call_cancel(cl->call, NULL);
            cl->cancel_at_ms = INT64_MAX;
            continue;
        }
        if (ev.type == GRPC_OP_COMPLETE && ev.tag == &tag) return ev.success != 0;
    }
}

/* Sends one request: a HelloRequest, or for health a HealthCheckRequest naming the service. */
static bool send_name(client *cl, const char *name)
{
    buf msg = BUF_INIT;
    if (cl->kind == GREETER_HEALTH) {
        Grpc__Health__V1__HealthCheckRequest req = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
        req.service = (char *)name;
        buf_reserve(&msg, grpc__health__v1__health_check_request__get_packed_size(&req));
        msg.len = grpc__health__v1__health_check_request__pack(&req, msg.data);
    } else {
        greeting_encode_request(&msg, name);
    }
    grpc_slice s = grpc_slice_from_copied_buffer((const char *)msg.data, msg.len);
    grpc_byte_buffer *payload = grpc_raw_byte_buffer_create(&s, 1);
    grpc_slice_unref(s);
    buf_free(&msg);
    grpc_op op;
    memset(&op, 0, sizeof op);
    op.op = GRPC_OP_SEND_MESSAGE;
    op.data.send_message.send_message = payload;
    bool ok = run_batch(cl, &op, 1);
    grpc_byte_buffer_destroy(payload);
    return ok;
}

static bool send_simple(client *cl, grpc_op_type type)
{
    grpc_op op;
    memset(&op, 0, sizeof op);
    op.op = type;
    if (type == GRPC_OP_SEND_CLOSE_FROM_CLIENT) cl->close_sent = true;
    return run_batch(cl, &op, 1);
}

/* Decodes a HealthCheckResponse into the name of its serving status (malloc'ed). */
static bool decode_health(const uint8_t *data, size_t len, char **text)
{
    Grpc__Health__V1__HealthCheckResponse *resp = grpc__health__v1__health_check_response__unpack(NULL, len, data);
    if (!resp) return false;
    const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(
        &grpc__health__v1__health_check_response__serving_status__descriptor, resp->status);
    *text = strdup(v ? v->name : "UNKNOWN");
    grpc__health__v1__health_check_response__free_unpacked(resp, NULL);
    return *text != NULL;
}

/* Prints a received reply; false (and the call cancelled) when it cannot be decoded. */
static bool print_reply(client *cl, grpc_byte_buffer *payload)
{
    grpc_byte_buffer_reader reader;
    char *message = NULL;
    bool ok = false;
    if (grpc_byte_buffer_reader_init(&reader, payload)) {
        grpc_slice s = grpc_byte_buffer_reader_readall(&reader);
        grpc_byte_buffer_reader_destroy(&reader);
        if (cl->kind == GREETER_HEALTH)
            ok = decode_health(GRPC_SLICE_START_PTR(s), GRPC_SLICE_LENGTH(s), &message);
        else
            ok = greeting_decode_reply(GRPC_SLICE_START_PTR(s), GRPC_SLICE_LENGTH(s), &message);
        grpc_slice_unref(s);
    }
    grpc_byte_buffer_destroy(payload);
    if (!ok) {
        cl->bad_reply = true;
        grpc_call_cancel(cl->call, NULL);
        return false;
    }
    printf("%s\n", message);
    fflush(stdout);
    free(message);
    return true;
}

/* Receives and prints one reply (with the initial metadata the first time); false at the end of
 * the replies or on failure. */
static bool recv_reply(client *cl)
{
    grpc_op ops[2];
    memset(ops, 0, sizeof ops);
    grpc_byte_buffer *payload = NULL;
    size_t n = 0;
    if (!cl->initial_md_requested) {
        cl->initial_md_requested = true;
        ops[n].op = GRPC_OP_RECV_INITIAL_METADATA;
        ops[n++].data.recv_initial_metadata.recv_initial_metadata = &cl->initial_md;
    }
    ops[n].op = GRPC_OP_RECV_MESSAGE;
    ops[n++].data.recv_message.recv_message = &payload;
    if (!run_batch(cl, ops, n) || !payload) {
        if (payload) grpc_byte_buffer_destroy(payload);
        return false;
    }
    return print_reply(cl, payload);
}

/* Collects the status. gRPC core completes RECV_STATUS_ON_CLIENT only once the client has closed its
 * sending side and asked for the initial metadata, so both are done first when a failed send cut the
 * flow short (e.g. the server ended the call while names were still being sent). */
static void recv_status(client *cl)
{
    if (!cl->close_sent) send_simple(cl, GRPC_OP_SEND_CLOSE_FROM_CLIENT);
    grpc_op ops[2];
    memset(ops, 0, sizeof ops);
    size_t n = 0;
    if (!cl->initial_md_requested) {
        cl->initial_md_requested = true;
        ops[n].op = GRPC_OP_RECV_INITIAL_METADATA;
        ops[n++].data.recv_initial_metadata.recv_initial_metadata = &cl->initial_md;
    }
    ops[n].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
    ops[n].data.recv_status_on_client.trailing_metadata = &cl->trailing_md;
    ops[n].data.recv_status_on_client.status = &cl->status;
    ops[n++].data.recv_status_on_client.status_details = &cl->status_details;
    run_batch(cl, ops, n);
}

/* The call's message flow for each kind; the status is collected afterwards. */
static void run_call(client *cl, const gopts_client *o)
{
    if (!send_simple(cl, GRPC_OP_SEND_INITIAL_METADATA)) return;
    switch (o->kind) {
    case GREETER_UNARY:
    case GREETER_SERVER_STREAM:
    case GREETER_HEALTH:
        if (!send_name(cl, o->n_names ? o->names[0] : "")) return;
        if (!send_simple(cl, GRPC_OP_SEND_CLOSE_FROM_CLIENT)) return;
        while (recv_reply(cl)) {
        }
        return;
    case GREETER_CLIENT_STREAM:
        for (int i = 0; i < o->n_names; i++)
            if (!send_name(cl, o->names[i])) return;
        if (!send_simple(cl, GRPC_OP_SEND_CLOSE_FROM_CLIENT)) return;
        while (recv_reply(cl)) {
        }
        return;
    case GREETER_BIDI:
        for (int i = 0; i < o->n_names; i++) {
            if (!send_name(cl, o->names[i])) return;
            if (!recv_reply(cl)) return;
        }
        if (!send_simple(cl, GRPC_OP_SEND_CLOSE_FROM_CLIENT)) return;
        while (recv_reply(cl)) {
        }
        return;
    }
}

/* The channel's credentials: plain text, or TLS with the --ca roots and the --cert/--key client
 * certificate. NULL after explaining on stderr when a file cannot be used. */
static grpc_channel_credentials *channel_credentials(const gopts_client *o)
{
    if (!o->tls) return grpc_insecure_credentials_create();
    char *ca = NULL, *cert = NULL, *key = NULL;
    char err[512];
    grpc_channel_credentials *creds = NULL;
    if ((o->ca && !pem_file_read(o->ca, &ca, err, sizeof err)) ||
        (o->cert && !pem_file_read(o->cert, &cert, err, sizeof err)) ||
        (o->key && !pem_file_read(o->key, &key, err, sizeof err))) {
        fprintf(stderr, "greeter-client: %s\n", err);
    } else {
        grpc_ssl_pem_key_cert_pair pair = {.private_key = key, .cert_chain = cert};
        creds = grpc_ssl_credentials_create_ex(ca, cert ? &pair : NULL, NULL, NULL);
        if (!creds) fprintf(stderr, "greeter-client: cannot create TLS credentials\n");
    }
    free(ca);
    free(cert);
    free(key);
    return creds;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: greeter-client [--target HOST:PORT] [--timeout-ms N] [--cancel-after-ms N]\n"
            "                      [--tls [--ca FILE] [--cert FILE --key FILE]] [--authority NAME]\n"
            "                      unary|server-stream|client-stream|bidi NAME...\n"
            "Calls helloworld.Greeter and prints each reply on its own line.\n"
            "  --target HOST:PORT     server address (default %s)\n"
            "  --timeout-ms N         deadline of the call\n"
            "  --cancel-after-ms N    cancel the call after N ms\n"
            "  --tls                  call over TLS (default: plain-text HTTP/2)\n"
            "  --ca FILE              PEM roots that sign the server's certificate (default: the system's)\n"
            "  --cert FILE            PEM client certificate for mutual TLS; needs --key\n"
            "  --key FILE             the PEM private key of --cert\n"
            "  --authority NAME       :authority of the call, and with --tls the name the server's\n"
            "                         certificate must carry (default: the target's host)\n"
            "   or: greeter-client [--target HOST:PORT] [--timeout-ms N] [TLS options] health [SERVICE]\n"
            "unary and server-stream take one NAME; client-stream and bidi send every NAME;\n"
            "health prints the serving status of SERVICE (default \"\", the whole server).\n"
            "On failure prints \"STATUS: message\" to stderr and exits 1.\n",
            GREETER_DEFAULT_TARGET);
}

int main(int argc, char **argv)
{
    gopts_client o;
    char err[256];
    switch (gopts_parse_client(argc, argv, &o, err, sizeof err)) {
    case GOPTS_HELP:
        usage(stdout);
        return 0;
    case GOPTS_VERSION:
        printf("greeter-client %s\n", PACKAGE_VERSION);
        return 0;
    case GOPTS_BAD:
        fprintf(stderr, "greeter-client: %s\n", err);
        usage(stderr);
        return 2;
    case GOPTS_RUN:
        break;
    }

    grpc_init();
    grpc_channel_credentials *creds = channel_credentials(&o);
    if (!creds) {
        grpc_shutdown();
        return 2;
    }
    client cl;
    memset(&cl, 0, sizeof cl);
    grpc_metadata_array_init(&cl.initial_md);
    grpc_metadata_array_init(&cl.trailing_md);
    cl.status_details = grpc_empty_slice();
    cl.status = GRPC_STATUS_UNKNOWN;
    cl.kind = o.kind;
    grpc_arg authority_args[] = {
        {GRPC_ARG_STRING, GRPC_SSL_TARGET_NAME_OVERRIDE_ARG, {.string = (char *)o.authority}},
        {GRPC_ARG_STRING, GRPC_ARG_DEFAULT_AUTHORITY, {.string = (char *)o.authority}},
    };
    grpc_channel_args channel_args = {sizeof authority_args / sizeof authority_args[0], authority_args};
    cl.channel = grpc_channel_create(o.target, creds, o.authority ? &channel_args : NULL);
    grpc_channel_credentials_release(creds);
    cl.cq = grpc_completion_queue_create_for_next(NULL);

    int64_t start = now_ms();
    gpr_timespec deadline = o.timeout_ms < 0 ? gpr_inf_future(GPR_CLOCK_MONOTONIC)
                                             : gpr_time_from_millis(start + o.timeout_ms, GPR_CLOCK_MONOTONIC);
    cl.cancel_at_ms = o.cancel_after_ms < 0 ? INT64_MAX : start + o.cancel_after_ms;
    grpc_slice method = grpc_slice_from_static_string(greeter_method_path(o.kind));
    cl.call = grpc_channel_create_call(cl.channel, NULL, GRPC_PROPAGATE_DEFAULTS, cl.cq, method, NULL, deadline, NULL);

    run_call(&cl, &o);
    recv_status(&cl);

    int rc = 0;
    if (cl.bad_reply) {
        fprintf(stderr, "INTERNAL: the reply cannot be decoded\n");
        rc = 1;
    } else if (cl.status != GRPC_STATUS_OK) {
        char *details = grpc_slice_to_c_string(cl.status_details);
        fprintf(stderr, "%s: %s\n", grpc_status_name(cl.status), details);
        gpr_free(details);
        rc = 1;
    }

    grpc_metadata_array_destroy(&cl.initial_md);
    grpc_metadata_array_destroy(&cl.trailing_md);
    grpc_slice_unref(cl.status_details);
    grpc_call_unref(cl.call);
    grpc_completion_queue_shutdown(cl.cq);
    while (grpc_completion_queue_next(cl.cq, gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL).type != GRPC_QUEUE_SHUTDOWN) {
    }
    grpc_completion_queue_destroy(cl.cq);
    grpc_channel_destroy(cl.channel);
    grpc_shutdown();
    return rc;
}
