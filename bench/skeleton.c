/* skeleton.c: the floor of the parts. A featureless HTTP/JSON to gRPC gateway built from exactly
 * the parts grpc-json-gateway uses, wired the same way, and nothing else: libmicrohttpd (epoll
 * thread pool, one thread per CPU, the same connection pool size) suspends the connection, gRPC
 * core makes one unary call with a single batch on a registered method (minimal stack, deadline
 * checks on, one completion-queue thread), jansson parses the request and writes the reply, and the
 * completion resumes the connection. No routing, descriptors, transcoder, metadata, limits, metrics,
 * logs, error mapping or hang-up detection: every request is SayHello. bench/unary.sh measures it
 * in the same run as the two gateways, to show how far above its parts grpc-json-gateway sits.
 *
 *   skeleton [--forwarded] BACKEND_HOST:PORT
 *       prints "listening on 127.0.0.1:PORT" (a free port) when ready. --forwarded adds what the
 *       issue asks of every gateway on top of the parts, done as cheaply as it can be: the
 *       round_robin policy, and x-forwarded-for (the client's address, written once per
 *       connection) and x-forwarded-host (its Host header) sent as metadata with each call.
 *
 * Built by bench/unary.sh with the compiler and pkg-config; not part of the product. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/support/time.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BODY_MAX 4096
#define POOL_BYTES (8 * 1024)     /* grpc-json-gateway's default: 6 KiB of headers + 2 KiB headroom */

static grpc_channel *channel;
static grpc_completion_queue *cq;
static void *say_hello;           /* registered method handle */
static int forwarded;             /* --forwarded */

typedef struct exchange {
    struct MHD_Connection *conn;
    char body[BODY_MAX];
    size_t body_len;
    int done;                     /* set by the completion, read after the resume */
    grpc_call *call;
    grpc_metadata_array initial_md, trailing_md;
    grpc_byte_buffer *request, *reply;
    grpc_status_code status;
    grpc_slice details;
    grpc_metadata md[2];          /* --forwarded: x-forwarded-for and x-forwarded-host */
    char *answer;                 /* JSON, owned until handed to libmicrohttpd */
    unsigned http_status;
} exchange;

/* The protobuf encoding of HelloRequest {name}: field 1, length-delimited. */
static size_t encode_hello(const char *name, size_t len, unsigned char *out, size_t cap)
{
    size_t n = 0;
    if (len + 11 > cap) return 0;
    out[n++] = 0x0a;
    for (size_t v = len; ; v >>= 7) {
        out[n++] = (unsigned char)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
        if (v <= 0x7f) break;
    }
    memcpy(out + n, name, len);
    return n + len;
}

/* The string of field 1 in a HelloReply, or NULL. */
static const char *decode_reply(const unsigned char *p, size_t len, size_t *out_len)
{
    if (len < 2 || p[0] != 0x0a) return NULL;
    size_t v = 0, i = 1;
    for (unsigned shift = 0; i < len && shift < 35; shift += 7) {
        v |= (size_t)(p[i] & 0x7f) << shift;
        if (!(p[i++] & 0x80)) break;
    }
    if (v > len - i) return NULL;
    *out_len = v;
    return (const char *)p + i;
}

static void complete(exchange *x, int ok)
{
    json_t *doc = NULL;
    if (ok && x->status == GRPC_STATUS_OK && x->reply) {
        grpc_byte_buffer_reader reader;
        grpc_byte_buffer_reader_init(&reader, x->reply);
        grpc_slice all = grpc_byte_buffer_reader_readall(&reader);
        grpc_byte_buffer_reader_destroy(&reader);
        size_t len;
        const char *msg = decode_reply(GRPC_SLICE_START_PTR(all), GRPC_SLICE_LENGTH(all), &len);
        if (msg) doc = json_pack("{s:s%}", "message", msg, len);
        grpc_slice_unref(all);
        x->http_status = 200;
    }
    if (!doc) {
        doc = json_pack("{s:i,s:s}", "code", (int)x->status, "message", "call failed");
        x->http_status = 503;
    }
    x->answer = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    x->done = 1;
    MHD_resume_connection(x->conn);
}

static void *cq_thread(void *arg)
{
    (void)arg;
    for (;;) {
        grpc_event ev = grpc_completion_queue_next(cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
        if (ev.type == GRPC_QUEUE_SHUTDOWN) break;
        if (ev.type == GRPC_OP_COMPLETE) complete(ev.tag, ev.success);
    }
    return NULL;
}

static enum MHD_Result answer(struct MHD_Connection *conn, unsigned status, char *json)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(json), json, MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    enum MHD_Result q = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return q;
}

static enum MHD_Result start_call(exchange *x)
{
    json_t *doc = json_loadb(x->body, x->body_len, 0, NULL);
    const char *name = doc ? json_string_value(json_object_get(doc, "name")) : NULL;
    if (!name) {
        json_decref(doc);
        return answer(x->conn, 400, strdup("{\"code\":3,\"message\":\"bad request\"}"));
    }
    unsigned char pb[BODY_MAX + 16];
    size_t pb_len = encode_hello(name, strlen(name), pb, sizeof pb);
    json_decref(doc);
    grpc_slice s = grpc_slice_from_copied_buffer((const char *)pb, pb_len);
    x->request = grpc_raw_byte_buffer_create(&s, 1);
    grpc_slice_unref(s);

    gpr_timespec deadline = gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC), gpr_time_from_seconds(30, GPR_TIMESPAN));
    x->call = grpc_channel_create_registered_call(channel, NULL, GRPC_PROPAGATE_DEFAULTS, cq, say_hello, deadline, NULL);
    grpc_op ops[6];
    memset(ops, 0, sizeof ops);
    ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
    if (forwarded) {
        const union MHD_ConnectionInfo *sc = MHD_get_connection_info(x->conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
        const char *host = MHD_lookup_connection_value(x->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
        /* Static slices: the peer text (freed when the connection closes), x and the Host header
         * (in libmicrohttpd's pool) all outlive the call, which on_completed unrefs first. */
        x->md[0].key = grpc_slice_from_static_string("x-forwarded-for");
        x->md[0].value = grpc_slice_from_static_string(sc && sc->socket_context ? sc->socket_context : "unknown");
        x->md[1].key = grpc_slice_from_static_string("x-forwarded-host");
        x->md[1].value = grpc_slice_from_static_string(host ? host : "");
        ops[0].data.send_initial_metadata.count = 2;
        ops[0].data.send_initial_metadata.metadata = x->md;
    }
    ops[1].op = GRPC_OP_SEND_MESSAGE;
    ops[1].data.send_message.send_message = x->request;
    ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
    ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
    ops[3].data.recv_initial_metadata.recv_initial_metadata = &x->initial_md;
    ops[4].op = GRPC_OP_RECV_MESSAGE;
    ops[4].data.recv_message.recv_message = &x->reply;
    ops[5].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
    ops[5].data.recv_status_on_client.trailing_metadata = &x->trailing_md;
    ops[5].data.recv_status_on_client.status = &x->status;
    ops[5].data.recv_status_on_client.status_details = &x->details;
    /* Suspended before the call starts: the completion may come before start_batch returns. */
    MHD_suspend_connection(x->conn);
    if (grpc_call_start_batch(x->call, ops, 6, x, NULL) != GRPC_CALL_OK) abort();
    return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *data, size_t *data_size, void **ctx)
{
    (void)cls, (void)url, (void)method, (void)version;
    exchange *x = *ctx;
    if (!x) {
        x = calloc(1, sizeof *x);
        if (!x) abort();
        x->conn = conn;
        grpc_metadata_array_init(&x->initial_md);
        grpc_metadata_array_init(&x->trailing_md);
        *ctx = x;
        return MHD_YES;
    }
    if (*data_size) {
        if (*data_size > BODY_MAX - x->body_len) return MHD_NO;
        memcpy(x->body + x->body_len, data, *data_size);
        x->body_len += *data_size;
        *data_size = 0;
        return MHD_YES;
    }
    if (x->done) {
        char *json = x->answer;
        x->answer = NULL;
        return answer(conn, x->http_status, json);
    }
    return start_call(x);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **ctx, enum MHD_RequestTerminationCode why)
{
    (void)cls, (void)conn, (void)why;
    exchange *x = *ctx;
    if (!x) return;
    if (x->call) grpc_call_unref(x->call);
    if (x->request) grpc_byte_buffer_destroy(x->request);
    if (x->reply) grpc_byte_buffer_destroy(x->reply);
    grpc_metadata_array_destroy(&x->initial_md);
    grpc_metadata_array_destroy(&x->trailing_md);
    grpc_slice_unref(x->details);
    free(x->answer);
    free(x);
    *ctx = NULL;
}

/* --forwarded: the client's address as text, once per connection (its socket context). */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    (void)cls;
    if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
        free(*socket_context);
        *socket_context = NULL;
        return;
    }
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    char *peer = malloc(INET_ADDRSTRLEN);
    if (peer && (!ci || !inet_ntop(AF_INET, &((const struct sockaddr_in *)ci->client_addr)->sin_addr, peer, INET_ADDRSTRLEN)))
        strcpy(peer, "unknown");
    *socket_context = peer;
}

int main(int argc, char **argv)
{
    /* The one free lever the gateway also takes: Debian's absl keeps its mutex deadlock detector on. */
    void (*set_mode)(int) = (void (*)(int))dlsym(RTLD_DEFAULT, "_ZN4absl7debian329SetMutexDeadlockDetectionModeENS0_15OnDeadlockCycleE");
    if (set_mode) set_mode(0);
    forwarded = argc == 3 && strcmp(argv[1], "--forwarded") == 0;
    if (argc != 2 + forwarded) {
        fprintf(stderr, "usage: skeleton [--forwarded] BACKEND_HOST:PORT\n");
        return 2;
    }
    grpc_init();
    grpc_arg args[] = {
        {GRPC_ARG_INTEGER, GRPC_ARG_MINIMAL_STACK, {.integer = 1}},
        {GRPC_ARG_INTEGER, GRPC_ARG_ENABLE_DEADLINE_CHECKS, {.integer = 1}},
        {GRPC_ARG_STRING, GRPC_ARG_LB_POLICY_NAME, {.string = "round_robin"}},
    };
    grpc_channel_args channel_args = {forwarded ? 3 : 2, args};
    grpc_channel_credentials *creds = grpc_insecure_credentials_create();
    channel = grpc_channel_create(argv[argc - 1], creds, &channel_args);
    grpc_channel_credentials_release(creds);
    say_hello = grpc_channel_register_call(channel, "/helloworld.Greeter/SayHello", NULL, NULL);
    cq = grpc_completion_queue_create_for_next(NULL);
    pthread_t cq_tid;
    if (pthread_create(&cq_tid, NULL, cq_thread, NULL) != 0) abort();

    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sa_len = sizeof sa;
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 1024) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &sa_len) != 0) {
        perror("skeleton: listen");
        return 1;
    }
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ITC, 0, NULL, NULL, on_request, NULL,
        MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)(cpus > 1 ? cpus : 1),
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)POOL_BYTES,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
        MHD_OPTION_NOTIFY_CONNECTION, forwarded ? on_connection : NULL, NULL,
        MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "skeleton: libmicrohttpd did not start\n");
        return 1;
    }
    fprintf(stderr, "listening on 127.0.0.1:%u\n", (unsigned)ntohs(sa.sin_port));
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    int sig;
    sigwait(&set, &sig);
    MHD_stop_daemon(d);
    return 0;
}
