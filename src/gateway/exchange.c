/* exchange.c: one HTTP request <-> one gRPC call (see exchange.h).
 *
 * Life of an exchange, as states of `phase`:
 *   RECEIVING   the request body is arriving. Unary and server-streaming calls collect it; client and
 *               bidi streams have started their call already and send each JSON value as one message,
 *               suspending the connection while a send is in flight (back-pressure on the uploader).
 *   WAITING     the body is complete and the call is running; the connection is suspended until the
 *               response can start (the reply, the first streamed message, or the final status).
 *   READY       something to answer is rendered; the next handler invocation queues the response.
 *   STREAMING   a chunked response is queued; its reader drains `out`, suspending while it is empty.
 *   ANSWERED    a complete response is queued; libmicrohttpd finishes it.
 *
 * Locking: `lock` guards the fields marked (L). The libmicrohttpd thread suspends the connection
 * while holding `lock`; other threads resume it after releasing `lock`, having cleared `suspended`
 * under it, so exactly one thread resumes a suspended connection and never one that is not.
 *
 * References: one for libmicrohttpd's request (dropped in exchange_completed), one per gRPC batch in
 * flight (dropped at the end of its completion), one held by a streaming response's reader. */
#include "exchange.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <jansson.h>
#include <sys/epoll.h>

#include "bind.h"
#include "conn_guard.h"
#include "cors.h"
#include "grpc_names.h"
#include "grpc_timeout.h"
#include "json_parse.h"
#include "jsonsplit.h"
#include "metadata.h"
#include "response.h"
#include "status_map.h"
#include "transcode.h"
#include "websocket.h"

/* Largest piece handed to libmicrohttpd per reader call. libmicrohttpd allocates a buffer of this
 * size for every streaming response, so it is a per-stream cost: small, as NDJSON lines are. */
#define STREAM_BLOCK_BYTES 2048
/* Room kept in the connection's pool for the response head's own lines (status, Date, lengths,
 * CORS) besides the backend's metadata. */
#define RESPONSE_HEAD_RESERVE 768

enum x_kind { X_ERROR, X_UNARY, X_SERVER_STREAM, X_CLIENT_STREAM, X_BIDI };
enum x_phase { PH_RECEIVING, PH_WAITING, PH_READY, PH_STREAMING, PH_ANSWERED };
/* How streamed messages are written: NDJSON lines, Server-Sent Events, or WebSocket text frames
 * (kept in `out` as records of a 4-byte length and the frame's text until the event loop sends them). */
enum x_framing { FRAME_NDJSON, FRAME_SSE, FRAME_WS };

typedef struct framing_spec {
    const char *message_open, *message_close, *error_open, *error_close;
} framing_spec;

static const framing_spec FRAMINGS[] = {
    [FRAME_NDJSON] = {"{\"result\":", "}\n", "{\"error\":", "}\n"},
    [FRAME_SSE] = {"data: ", "\n\n", "event: error\ndata: ", "\n\n"},
    [FRAME_WS] = {"", "", "{\"error\":", "}"},
};

#define WS_RECORD_HEADER 4

typedef struct x_tag {
    upstream_tag base;
    struct exchange *x;
} x_tag;

struct exchange {
    const gateway *gw;
    struct MHD_Connection *conn;
    atomic_int refs;
    pthread_mutex_t lock;
    struct exchange *prev, *next;     /* the registry of live exchanges (registry_lock) */

    /* Set at creation, read-only afterwards. */
    enum x_kind kind;
    route_match match;
    const pb_method *method;
    enum x_framing framing;
    bool want_trailers;               /* TE: trailers */
    bool is_head;
    int64_t timeout_us;
    md_list send_md;
    query_param *query;
    size_t n_query;
    char *allow;                      /* X_ERROR: Allow header of a 405 */
    struct timespec started;
    guarded_conn *guard;              /* the connection's entry in the connection guard, or NULL */

    /* Request side: the libmicrohttpd thread only. */
    buf body;
    jsonsplit split;
    size_t body_bytes;
    size_t messages_sent;
    gw_err *request_err;              /* answer with this once the body is read */
    bool answer_before_body;          /* refuse without reading the body (declared too large) */
    bool headers_seen;                /* the handler's first invocation (headers only) is past */
    bool body_done;
    bool close_sent;

    /* The call. `call` is written once before any batch and read by other threads. */
    _Atomic(grpc_call *) call;
    atomic_bool client_gone;
    x_tag tag_unary, tag_metadata, tag_send, tag_recv, tag_status;
    grpc_byte_buffer *send_bb;        /* (L) the message in flight (kept until its batch completes) */
    buf ws_held;                      /* (L) a WebSocket message that came while a send was in flight */
    bool ws_holding;                  /* (L) */
    grpc_byte_buffer *recv_bb;        /* (L) the last message received, until rendered */
    grpc_byte_buffer *reply_bb;       /* (L) unary-style reply kept until the status arrives */
    grpc_metadata_array initial_md;   /* filled by the batch that receives it */
    grpc_metadata_array trailing_md;
    grpc_status_code status;
    grpc_slice status_details;
    bool send_pending;                /* (L) */
    bool recv_pending;                /* (L) */
    bool recv_done;                   /* (L) the backend has no more messages */
    bool status_done;                 /* (L) */
    bool initial_md_done;             /* (L) */
    bool finalized;                   /* (L) the end of the response is rendered */
    size_t messages_received;         /* (L) */

    /* Response side. */
    enum x_phase phase;               /* (L) */
    bool suspended;                   /* (L) */
    bool plain_answer;                /* (L) READY means a complete (non-streaming) response */
    unsigned http_status;             /* (L) */
    buf out;                          /* (L) rendered, not yet handed to libmicrohttpd */
    struct MHD_Response *stream_response;
    unsigned sent_status;             /* the status actually queued (0: none yet) */
    bool answered_raw;                /* the answer went to the socket directly (see answer_raw) */
    uint64_t bytes_out;               /* (L) body bytes handed to libmicrohttpd or the WebSocket */
    bool stream_counted;              /* counted in the open-streams gauge */
    bool counted_streaming;           /* counted in streaming_count (admission control) */
    unsigned retry_after_s;           /* Retry-After of an overload answer, 0: none */

    /* WebSocket transport (FRAME_WS). The ws_* callbacks run on the event-loop thread and take `lock`;
     * this is the only place the event-loop thread locks an exchange, and a WebSocket exchange never
     * takes the event loop's lock while holding its own (wake-ups go out after unlocking). */
    ws_conn *ws;                      /* (L) NULL before the upgrade and once the connection ended */
    ev_id ws_id;                      /* (L) names the connection for wake-ups from other threads */
    size_t ws_queued;                 /* (L) bytes handed to the WebSocket and not yet written */
    bool ws_peer_closed;              /* (L) the client sent its close frame */
    bool ws_request_seen;             /* (L) unary and server streams: the request has arrived */
    bool ws_close_queued;             /* (L) */
};

/* ------------------------------------------------------------------ registry of live exchanges */

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_size_t suspended_count;
static atomic_size_t live_count;               /* exchanges alive (admission control) */
static atomic_size_t streaming_count;          /* of which streaming calls */

size_t exchange_suspended_count(void) { return atomic_load(&suspended_count); }
static exchange *registry_head;
static size_t registry_count;

static void registry_add(exchange *x)
{
    pthread_mutex_lock(&registry_lock);
    x->next = registry_head;
    if (registry_head) registry_head->prev = x;
    registry_head = x;
    registry_count++;
    pthread_mutex_unlock(&registry_lock);
}

static void registry_remove(exchange *x)
{
    pthread_mutex_lock(&registry_lock);
    if (x->prev) x->prev->next = x->next;
    else registry_head = x->next;
    if (x->next) x->next->prev = x->prev;
    registry_count--;
    pthread_mutex_unlock(&registry_lock);
}

size_t exchange_live_count(void) { return atomic_load(&live_count); }
size_t exchange_streaming_count(void) { return atomic_load(&streaming_count); }

size_t exchange_cancel_streams(void)
{
    size_t n = 0;
    pthread_mutex_lock(&registry_lock);
    for (exchange *x = registry_head; x; x = x->next) {
        if (x->kind == X_UNARY && x->framing != FRAME_WS) continue;
        grpc_call *call = atomic_load(&x->call);
        if (!call) continue;
        grpc_call_cancel_with_status(call, GRPC_STATUS_UNAVAILABLE, "the gateway is shutting down", NULL);
        n++;
    }
    pthread_mutex_unlock(&registry_lock);
    return n;
}

size_t exchange_unary_in_flight(void)
{
    size_t n = 0;
    pthread_mutex_lock(&registry_lock);
    for (exchange *x = registry_head; x; x = x->next) {
        if (x->kind != X_UNARY || x->framing == FRAME_WS) continue;
        pthread_mutex_lock(&x->lock);
        if (atomic_load(&x->call) && !x->status_done) n++;
        pthread_mutex_unlock(&x->lock);
    }
    pthread_mutex_unlock(&registry_lock);
    return n;
}

size_t exchange_cancel_all(void)
{
    pthread_mutex_lock(&registry_lock);
    for (exchange *x = registry_head; x; x = x->next) {
        grpc_call *call = atomic_load(&x->call);
        if (call) grpc_call_cancel_with_status(call, GRPC_STATUS_UNAVAILABLE, "the gateway is shutting down", NULL);
    }
    size_t n = registry_count;
    pthread_mutex_unlock(&registry_lock);
    return n;
}

/* ------------------------------------------------------------------ lifetime */

void exchange_ref(exchange *x) { atomic_fetch_add(&x->refs, 1); }

static void count_stream(exchange *x, int delta)
{
    if ((delta > 0) == x->stream_counted) return;
    x->stream_counted = delta > 0;
    metrics_streams_add(x->gw->metrics, delta);
}

void exchange_unref(exchange *x)
{
    if (atomic_fetch_sub(&x->refs, 1) != 1) return;
    registry_remove(x);
    atomic_fetch_sub(&live_count, 1);
    if (x->counted_streaming) atomic_fetch_sub(&streaming_count, 1);
    count_stream(x, -1);
    metrics_inflight_add(x->gw->metrics, -1);
    grpc_call *call = atomic_load(&x->call);
    if (call) grpc_call_unref(call);
    if (x->send_bb) grpc_byte_buffer_destroy(x->send_bb);
    if (x->recv_bb) grpc_byte_buffer_destroy(x->recv_bb);
    if (x->reply_bb) grpc_byte_buffer_destroy(x->reply_bb);
    grpc_metadata_array_destroy(&x->initial_md);
    grpc_metadata_array_destroy(&x->trailing_md);
    grpc_slice_unref(x->status_details);
    md_list_free(&x->send_md);
    route_match_free(&x->match);
    jsonsplit_free(&x->split);
    buf_free(&x->body);
    buf_free(&x->out);
    buf_free(&x->ws_held);
    gw_err_free(x->request_err);
    free(x->query);
    free(x->allow);
    pthread_mutex_destroy(&x->lock);
    free(x);
}

static void tag_init(exchange *x, x_tag *t, void (*done)(upstream_tag *, bool))
{
    t->base.done = done;
    t->x = x;
}

static bool create_call(exchange *x);
static void start_streaming_call(exchange *x);
static enum MHD_Result answer_request_error(exchange *x);
static void on_unary_done(upstream_tag *t, bool ok);
static void on_send_done(upstream_tag *t, bool ok);
static void on_metadata_done(upstream_tag *t, bool ok);
static void on_recv_done(upstream_tag *t, bool ok);
static void on_status_done(upstream_tag *t, bool ok);

static exchange *exchange_alloc(const gateway *gw, struct MHD_Connection *conn)
{
    exchange *x = calloc(1, sizeof *x);
    if (!x) abort();
    x->gw = gw;
    x->conn = conn;
    atomic_init(&x->refs, 1);
    atomic_init(&x->call, NULL);
    atomic_init(&x->client_gone, false);
    pthread_mutex_init(&x->lock, NULL);
    grpc_metadata_array_init(&x->initial_md);
    grpc_metadata_array_init(&x->trailing_md);
    x->status_details = grpc_empty_slice();
    md_list_init(&x->send_md);
    jsonsplit_init(&x->split, gw->config->max_message_bytes);
    tag_init(x, &x->tag_unary, on_unary_done);
    tag_init(x, &x->tag_metadata, on_metadata_done);
    tag_init(x, &x->tag_send, on_send_done);
    tag_init(x, &x->tag_recv, on_recv_done);
    tag_init(x, &x->tag_status, on_status_done);
    clock_gettime(CLOCK_MONOTONIC, &x->started);
    atomic_fetch_add(&live_count, 1);
    registry_add(x);
    metrics_inflight_add(gw->metrics, 1);
    return x;
}

exchange *exchange_new_refused(const gateway *gw, struct MHD_Connection *conn, gw_err *err)
{
    exchange *x = exchange_new_error(gw, conn, err, NULL);
    x->answer_before_body = true;
    return x;
}

exchange *exchange_new_overloaded(const gateway *gw, struct MHD_Connection *conn, const char *why)
{
    exchange *x = exchange_new_error(gw, conn, gw_err_new(GRPC_STATUS_UNAVAILABLE, "%s", why), NULL);
    x->retry_after_s = 1;
    x->answer_before_body = true;    /* shed load at once, without reading the body */
    return x;
}

exchange *exchange_new_error(const gateway *gw, struct MHD_Connection *conn, gw_err *err, const char *allow)
{
    exchange *x = exchange_alloc(gw, conn);
    x->kind = X_ERROR;
    x->request_err = err;
    if (allow) {
        x->allow = strdup(allow);
        gw_err_http(err, MHD_HTTP_METHOD_NOT_ALLOWED);
    }
    return x;
}

/* ------------------------------------------------------------------ request headers */

typedef struct header_scan {
    exchange *x;
    const gw_config *cfg;
    gw_err *err;
    const char *xff, *xfh, *host;
} header_scan;

static enum MHD_Result scan_header(void *cls, enum MHD_ValueKind kind, const char *name, const char *value)
{
    header_scan *h = cls;
    exchange *x = h->x;
    if (!value) value = "";
    /* The headers the gateway reads itself, found by their first letter (this runs for every header
     * of every request); all others are candidates for metadata. */
    switch (name[0] | 0x20) {
    case 'g':
        if (strcasecmp(name, "grpc-timeout") == 0) {
            int64_t us;
            if (!grpc_timeout_parse(value, strlen(value), &us)) {
                h->err = gw_err_new(GRPC_STATUS_INVALID_ARGUMENT,
                                    "invalid Grpc-Timeout header '%s': expected 1 to 8 digits and a unit among H M S m u n", value);
                return MHD_NO;
            }
            x->timeout_us = us;
            return MHD_YES;
        }
        break;
    case 't':
        if (strcasecmp(name, "te") == 0) {
            if (strcasestr(value, "trailers")) x->want_trailers = true;
            return MHD_YES;
        }
        break;
    case 'a':
        if (strcasecmp(name, "accept") == 0) {
            if (strcasestr(value, "text/event-stream")) x->framing = FRAME_SSE;
            return MHD_YES;
        }
        break;
    case 'x':
        if (strcasecmp(name, "x-forwarded-for") == 0) { h->xff = value; return MHD_YES; }
        if (strcasecmp(name, "x-forwarded-host") == 0) { h->xfh = value; return MHD_YES; }
        break;
    case 'h':
        if (strcasecmp(name, "host") == 0) { h->host = value; return MHD_YES; }
        break;
    }
    h->err = md_from_header(&x->send_md, &h->cfg->metadata, name, value);
    return h->err ? MHD_NO : MHD_YES;
}

typedef struct query_scan {
    exchange *x;
    size_t cap;
} query_scan;

static enum MHD_Result scan_query(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    query_scan *q = cls;
    exchange *x = q->x;
    if (x->n_query == q->cap) {
        q->cap = q->cap ? q->cap * 2 : 4;
        query_param *p = realloc(x->query, q->cap * sizeof *p);
        if (!p) abort();
        x->query = p;
    }
    /* libmicrohttpd keeps the strings for the lifetime of the request, which the exchange's use of
     * them never outlives (messages are built before the request completes). */
    x->query[x->n_query].key = key;
    x->query[x->n_query].value = value ? value : "";
    x->n_query++;
    return MHD_YES;
}

static exchange *exchange_setup(const gateway *gw, struct MHD_Connection *conn, route_match *m, bool websocket)
{
    exchange *x = exchange_alloc(gw, conn);
    if (websocket) x->framing = FRAME_WS;
    x->match = *m;
    memset(m, 0, sizeof *m);
    x->method = x->match.route->method;
    if (x->method->client_streaming) x->kind = x->method->server_streaming ? X_BIDI : X_CLIENT_STREAM;
    else x->kind = x->method->server_streaming ? X_SERVER_STREAM : X_UNARY;
    bool streaming = x->kind != X_UNARY;
    const gw_config *cfg = gw->config;
    if (streaming || websocket) {
        x->counted_streaming = true;
        if (atomic_fetch_add(&streaming_count, 1) >= cfg->max_streams) {
            x->kind = X_ERROR;
            x->request_err = gw_err_http(gw_err_new(GRPC_STATUS_UNAVAILABLE, "too many streams open (--max-streams %u)",
                                                    cfg->max_streams),
                                         MHD_HTTP_SERVICE_UNAVAILABLE);
            x->retry_after_s = 1;
            x->answer_before_body = true;    /* shed load at once */
            return x;
        }
    }
    x->timeout_us = streaming ? cfg->default_stream_timeout_us : cfg->default_timeout_us;

    header_scan h = {.x = x, .cfg = cfg};
    MHD_get_connection_values(conn, MHD_HEADER_KIND, scan_header, &h);
    if (websocket) x->framing = FRAME_WS;    /* whatever Accept said */
    if (h.err) {
        x->kind = X_ERROR;
        x->request_err = h.err;
        return x;
    }
    if (x->timeout_us > cfg->max_timeout_us) x->timeout_us = cfg->max_timeout_us;
    char peer[INET6_ADDRSTRLEN];
    peer_address_text(conn, peer, sizeof peer);
    md_add_forwarded(&x->send_md, peer[0] ? peer : NULL, h.xff, h.xfh, h.host);

    query_scan q = {.x = x};
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, scan_query, &q);
    if (websocket) return x;     /* the call starts once the connection is upgraded */

    if (!streaming || x->kind == X_SERVER_STREAM) {
        /* A body declared larger than the limit is refused before it is read. */
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) > cfg->max_body_bytes) {
            x->request_err = gw_err_http(gw_err_new(GRPC_STATUS_RESOURCE_EXHAUSTED,
                                                    "request body of %s bytes exceeds the limit of %zu bytes", cl,
                                                    cfg->max_body_bytes),
                                         MHD_HTTP_CONTENT_TOO_LARGE);
            x->answer_before_body = true;
            return x;
        }
    }
    if (streaming) {
        /* A stream may stay quiet for long: the connection's idle timeout must not cut it (a client
         * that goes away is noticed by the event loop instead). Restored in exchange_completed. */
        MHD_set_connection_option(conn, MHD_CONNECTION_OPTION_TIMEOUT, (unsigned int)0);
    }
    if (x->kind == X_CLIENT_STREAM || x->kind == X_BIDI) {
        if (!create_call(x)) {
            x->request_err = gw_err_new(GRPC_STATUS_INTERNAL, "could not create the call");
            return x;
        }
        pthread_mutex_lock(&x->lock);
        start_streaming_call(x);
        pthread_mutex_unlock(&x->lock);
    }
    return x;
}

exchange *exchange_new(const gateway *gw, struct MHD_Connection *conn, route_match *m)
{
    return exchange_setup(gw, conn, m, false);
}

exchange *exchange_new_websocket(const gateway *gw, struct MHD_Connection *conn, route_match *m)
{
    return exchange_setup(gw, conn, m, true);
}

/* ------------------------------------------------------------------ rendering */

/* Sets up a grpc_slice view of a received message without copying when it is one plain slice. */
static grpc_slice message_bytes(grpc_byte_buffer *bb)
{
    if (bb->type == GRPC_BB_RAW && bb->data.raw.compression == GRPC_COMPRESS_NONE &&
        bb->data.raw.slice_buffer.count == 1)
        return grpc_slice_ref(bb->data.raw.slice_buffer.slices[0]);
    grpc_byte_buffer_reader r;
    if (!grpc_byte_buffer_reader_init(&r, bb)) return grpc_empty_slice();
    grpc_slice s = grpc_byte_buffer_reader_readall(&r);
    grpc_byte_buffer_reader_destroy(&r);
    return s;
}

/* Appends the JSON of a response message (or of its response_body field) to out. */
static gw_err *render_message(exchange *x, grpc_byte_buffer *bb, buf *out)
{
    size_t limit = x->gw->config->max_message_bytes;
    size_t n = grpc_byte_buffer_length(bb);
    if (n > limit)
        return gw_err_new(GRPC_STATUS_RESOURCE_EXHAUSTED, "received message larger than max (%zu vs. %zu)", n, limit);
    grpc_slice s = message_bytes(bb);
    const route *r = x->match.route;
    gw_err *e;
    if (r->response_field)
        e = pb_field_to_json(x->gw->pool, x->method->output, r->response_field, GRPC_SLICE_START_PTR(s),
                             GRPC_SLICE_LENGTH(s), &x->gw->config->json, out);
    else
        e = pb_to_json(x->gw->pool, x->method->output, GRPC_SLICE_START_PTR(s), GRPC_SLICE_LENGTH(s),
                       &x->gw->config->json, out);
    grpc_slice_unref(s);
    return e;
}

/* Appends the google.rpc.Status JSON of the call's final status (or of `e` when given) to out. */
static void render_status(exchange *x, const gw_err *e, buf *out)
{
    if (e) {
        status_write_json(out, x->gw->pool, &x->gw->config->json, e->code, e->message, strlen(e->message), NULL, 0);
        return;
    }
    size_t dlen = 0;
    const char *details = md_find(&x->trailing_md, "grpc-status-details-bin", &dlen);
    status_write_json(out, x->gw->pool, &x->gw->config->json, x->status,
                      (const char *)GRPC_SLICE_START_PTR(x->status_details), GRPC_SLICE_LENGTH(x->status_details),
                      (const uint8_t *)details, dlen);
}

/* Starts a record in `out` for one streamed item; returns its start for finish_record. (L) */
static size_t begin_record(exchange *x, const char *open)
{
    size_t mark = x->out.len;
    if (x->framing == FRAME_WS) buf_append(&x->out, "\0\0\0\0", WS_RECORD_HEADER);
    buf_append_str(&x->out, open);
    return mark;
}

static void finish_record(exchange *x, size_t mark, const char *close)
{
    buf_append_str(&x->out, close);
    if (x->framing == FRAME_WS) {
        uint32_t n = (uint32_t)(x->out.len - mark - WS_RECORD_HEADER);
        memcpy(x->out.data + mark, &n, WS_RECORD_HEADER);
    }
}

/* One streamed message in the stream's framing. (L) */
static void render_stream_message(exchange *x, grpc_byte_buffer *bb)
{
    const framing_spec *f = &FRAMINGS[x->framing];
    size_t mark = begin_record(x, f->message_open);
    gw_err *e = render_message(x, bb, &x->out);
    if (e) {
        /* The backend sent bytes its own descriptor does not allow: end the stream with the error. */
        x->out.len = mark;
        grpc_call *call = atomic_load(&x->call);
        grpc_call_cancel_with_status(call, e->code, e->message, NULL);
        gw_err_free(e);
        return;
    }
    finish_record(x, mark, f->message_close);
}

/* The error that ends a stream after its first message. (L) */
static void render_stream_error(exchange *x)
{
    const framing_spec *f = &FRAMINGS[x->framing];
    size_t mark = begin_record(x, f->error_open);
    render_status(x, NULL, &x->out);
    finish_record(x, mark, f->error_close);
}

/* A complete (non-streaming) answer: status code and JSON body. (L) */
static void set_plain_answer(exchange *x, unsigned http_status)
{
    x->http_status = http_status;
    x->plain_answer = true;
    x->phase = PH_READY;
}

/* The answer is final: a status that arrives later (that of a call cancelled for a bad request
 * message, say) must not replace it. (L) */
static void answer_with_error(exchange *x, const gw_err *e)
{
    x->finalized = true;
    buf_reset(&x->out);
    render_status(x, e, &x->out);
    set_plain_answer(x, e && e->http_status ? e->http_status : status_to_http(e ? e->code : x->status));
}

/* ------------------------------------------------------------------ suspend / resume */

/* Suspends the connection until a completion wakes it. Called on the libmicrohttpd thread with `lock`
 * held. While suspended, libmicrohttpd does not look at the socket: the connection guard watches it
 * for a hang-up and calls exchange_client_gone. */
static void suspend_locked(exchange *x)
{
    x->suspended = true;
    atomic_fetch_add(&suspended_count, 1);
    MHD_suspend_connection(x->conn);
}

typedef struct wakeup {
    bool resume;
    ev_id ws;
} wakeup;

/* Called with `lock` held: claims the wake-up of a suspended connection (at most one thread does),
 * or names the WebSocket connection to poke. */
static wakeup take_wakeup_locked(exchange *x)
{
    wakeup w = {x->suspended, x->ws_id};
    x->suspended = false;
    return w;
}

static void unlock_and_wake(exchange *x, wakeup w)
{
    pthread_mutex_unlock(&x->lock);
    if (w.ws) evloop_wake(x->gw->evloop, w.ws);
    if (w.resume) {
        MHD_resume_connection(x->conn);
        atomic_fetch_sub(&suspended_count, 1);
    }
}

/* ------------------------------------------------------------------ the call */

static grpc_call_error start_batch(exchange *x, const grpc_op *ops, size_t n, x_tag *tag)
{
    exchange_ref(x);
    grpc_call_error rc = grpc_call_start_batch(atomic_load(&x->call), ops, n, &tag->base, NULL);
    if (rc != GRPC_CALL_OK) exchange_unref(x);
    return rc;
}

static bool create_call(exchange *x)
{
    grpc_call *call = upstream_call_new(x->gw->upstream, x->method, x->timeout_us);
    if (!call) return false;
    atomic_store(&x->call, call);
    /* The client may have hung up between the request and now: exchange_client_gone saw no call. */
    if (atomic_load(&x->client_gone)) grpc_call_cancel(call, NULL);
    return true;
}

static grpc_byte_buffer *byte_buffer_from(buf *msg)
{
    size_t len;
    uint8_t *data = buf_steal(msg, &len);
    grpc_slice s = data ? grpc_slice_new(data, len, free) : grpc_empty_slice();
    grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&s, 1);
    grpc_slice_unref(s);
    return bb;
}

/* Starts the next RECV_MESSAGE when nothing is pending, the backend may still send, and the rendered
 * output is below the stream buffer limit (a slow reader thereby pauses the backend). (L) */
static void maybe_start_recv(exchange *x)
{
    if (x->recv_pending || x->recv_done || x->out.len + x->ws_queued >= x->gw->config->stream_buffer_bytes) return;
    grpc_op ops[2];
    memset(ops, 0, sizeof ops);
    size_t n = 0;
    if (!x->initial_md_done) {
        ops[n].op = GRPC_OP_RECV_INITIAL_METADATA;
        ops[n].data.recv_initial_metadata.recv_initial_metadata = &x->initial_md;
        n++;
    }
    ops[n].op = GRPC_OP_RECV_MESSAGE;
    ops[n].data.recv_message.recv_message = &x->recv_bb;
    n++;
    x->recv_pending = true;
    if (start_batch(x, ops, n, &x->tag_recv) != GRPC_CALL_OK) {
        x->recv_pending = false;
        x->recv_done = true;
    }
}

static void start_status(exchange *x)
{
    grpc_op op;
    memset(&op, 0, sizeof op);
    op.op = GRPC_OP_RECV_STATUS_ON_CLIENT;
    op.data.recv_status_on_client.trailing_metadata = &x->trailing_md;
    op.data.recv_status_on_client.status = &x->status;
    op.data.recv_status_on_client.status_details = &x->status_details;
    start_batch(x, &op, 1, &x->tag_status);
}

/* Unary: one batch carries the whole call. (L) */
static void start_unary_call(exchange *x, buf *msg)
{
    x->send_bb = byte_buffer_from(msg);
    grpc_op ops[6];
    upstream_unary_results r = {&x->initial_md, &x->reply_bb, &x->trailing_md, &x->status, &x->status_details};
    size_t n = upstream_unary_ops(ops, x->send_md.items, x->send_md.count, x->send_bb, &r);
    x->send_pending = x->recv_pending = true;
    if (start_batch(x, ops, n, &x->tag_unary) != GRPC_CALL_OK) {
        x->send_pending = x->recv_pending = false;
        gw_err *e = gw_err_new(GRPC_STATUS_INTERNAL, "could not start the call");
        answer_with_error(x, e);
        gw_err_free(e);
    }
}

/* Server streaming: the request goes out with the half-close; replies are read one at a time. (L) */
static void start_server_stream_call(exchange *x, buf *msg)
{
    x->send_bb = byte_buffer_from(msg);
    grpc_op ops[3];
    size_t n = upstream_send_ops(ops, x->send_md.items, x->send_md.count, x->send_bb);
    x->send_pending = true;
    x->close_sent = true;
    if (start_batch(x, ops, n, &x->tag_send) != GRPC_CALL_OK) x->send_pending = false;
    start_status(x);
    maybe_start_recv(x);
}

/* Client and bidi streams: the call opens as soon as the headers are in. The initial metadata has
 * a batch and a tag of its own: `send_pending` tracks only the messages and the half-close, which
 * gRPC takes one at a time (a message may be started while the metadata is still going out). (L) */
static void start_streaming_call(exchange *x)
{
    grpc_op op;
    memset(&op, 0, sizeof op);
    op.op = GRPC_OP_SEND_INITIAL_METADATA;
    op.data.send_initial_metadata.count = x->send_md.count;
    op.data.send_initial_metadata.metadata = x->send_md.items;
    start_batch(x, &op, 1, &x->tag_metadata);
    start_status(x);
    maybe_start_recv(x);
}

/* A send that gRPC refused to start: the call cannot go on, and must not look as if it could. (L) */
static void fail_send(exchange *x, const char *what)
{
    grpc_call *call = atomic_load(&x->call);
    grpc_call_cancel_with_status(call, GRPC_STATUS_INTERNAL, what, NULL);
    x->close_sent = true;
}

/* Sends one request message of a client or bidi stream. Only one is ever in flight: the callers
 * wait for `send_pending` to clear (back-pressure). (L) */
static void send_stream_message(exchange *x, buf *msg)
{
    if (x->send_pending) {
        fail_send(x, "internal error: a second message send was started");
        return;
    }
    if (x->send_bb) grpc_byte_buffer_destroy(x->send_bb);   /* the previous batch has completed */
    x->send_bb = byte_buffer_from(msg);
    grpc_op op;
    memset(&op, 0, sizeof op);
    op.op = GRPC_OP_SEND_MESSAGE;
    op.data.send_message.send_message = x->send_bb;
    x->send_pending = true;
    if (start_batch(x, &op, 1, &x->tag_send) != GRPC_CALL_OK) {
        x->send_pending = false;
        fail_send(x, "could not send a request message");
        return;
    }
    x->messages_sent++;
}

static void send_half_close(exchange *x)
{
    grpc_op op;
    memset(&op, 0, sizeof op);
    op.op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
    x->close_sent = true;
    x->send_pending = true;
    if (start_batch(x, &op, 1, &x->tag_send) != GRPC_CALL_OK) {
        x->send_pending = false;
        fail_send(x, "could not half-close the call");
    }
}

/* Decides what the response is once the call has progressed. (L)
 * Nothing is decided while the body is still arriving: libmicrohttpd cannot respond before the
 * request has ended, so bidi output waits in `out` (bounded by the stream buffer). */
static void advance_response(exchange *x)
{
    if (x->phase == PH_RECEIVING || x->finalized) return;
    bool ended = x->status_done && x->recv_done;
    if (x->framing == FRAME_WS) {
        /* Every kind streams over a WebSocket: replies as they come, then the status. */
        if (ended) {
            x->finalized = true;
            if (x->status != GRPC_STATUS_OK) render_stream_error(x);
        }
        return;
    }
    if (x->kind == X_UNARY || x->kind == X_CLIENT_STREAM) {
        /* One reply: answer once both the reply and the status are in. */
        if (!ended) return;
        x->finalized = true;
        if (x->status != GRPC_STATUS_OK) {
            answer_with_error(x, NULL);
        } else if (!x->reply_bb) {
            gw_err *e = gw_err_new(GRPC_STATUS_INTERNAL, "the backend ended the call without a response message");
            answer_with_error(x, e);
            gw_err_free(e);
        } else {
            buf_reset(&x->out);
            gw_err *e = render_message(x, x->reply_bb, &x->out);
            if (e) answer_with_error(x, e);
            else set_plain_answer(x, MHD_HTTP_OK);
            gw_err_free(e);
        }
        return;
    }
    /* Streams: the response starts with the first message; a failure before it is a plain error. */
    if (x->phase == PH_WAITING) {
        if (x->messages_received == 0) {
            if (!ended) return;
            x->finalized = true;
            if (x->status != GRPC_STATUS_OK) answer_with_error(x, NULL);
            else x->phase = PH_READY;     /* an empty stream: 200 and no lines */
            return;
        }
        x->phase = PH_READY;
    }
    if (ended) {
        x->finalized = true;
        if (x->status != GRPC_STATUS_OK) render_stream_error(x);
    }
}

/* ------------------------------------------------------------------ completions (cq threads) */

static void on_unary_done(upstream_tag *t, bool ok)
{
    exchange *x = ((x_tag *)t)->x;
    pthread_mutex_lock(&x->lock);
    x->send_pending = x->recv_pending = false;
    x->recv_done = x->status_done = x->initial_md_done = true;
    advance_response(x);
    unlock_and_wake(x, take_wakeup_locked(x));
    exchange_unref(x);
}

static void on_metadata_done(upstream_tag *t, bool ok)
{
    /* A failure shows in the call's status; nothing waits on the metadata by itself. */
    exchange_unref(((x_tag *)t)->x);
}

static void on_send_done(upstream_tag *t, bool ok)
{
    exchange *x = ((x_tag *)t)->x;
    pthread_mutex_lock(&x->lock);
    x->send_pending = false;
    /* A failed send means the call is over; its status tells why. Further sends are pointless. */
    if (!ok) x->close_sent = true;
    unlock_and_wake(x, take_wakeup_locked(x));
    exchange_unref(x);
}

static void on_recv_done(upstream_tag *t, bool ok)
{
    exchange *x = ((x_tag *)t)->x;
    pthread_mutex_lock(&x->lock);
    x->recv_pending = false;
    x->initial_md_done = true;
    grpc_byte_buffer *bb = x->recv_bb;
    x->recv_bb = NULL;
    if (!ok || !bb) {
        x->recv_done = true;
    } else if (x->kind == X_CLIENT_STREAM && x->framing != FRAME_WS) {
        if (x->reply_bb) grpc_byte_buffer_destroy(x->reply_bb);
        x->reply_bb = bb;
        bb = NULL;
        x->messages_received++;
        maybe_start_recv(x);      /* reads the end of the stream */
    } else {
        x->messages_received++;
        render_stream_message(x, bb);
        maybe_start_recv(x);
    }
    if (bb) grpc_byte_buffer_destroy(bb);
    advance_response(x);
    unlock_and_wake(x, take_wakeup_locked(x));
    exchange_unref(x);
}

static void on_status_done(upstream_tag *t, bool ok)
{
    exchange *x = ((x_tag *)t)->x;
    pthread_mutex_lock(&x->lock);
    x->status_done = true;
    advance_response(x);
    unlock_and_wake(x, take_wakeup_locked(x));
    exchange_unref(x);
}

void exchange_client_gone(void *cls)
{
    exchange *x = cls;
    atomic_store(&x->client_gone, true);
    grpc_call *call = atomic_load(&x->call);
    if (call) grpc_call_cancel(call, NULL);
}

/* ------------------------------------------------------------------ building request messages */

/* Parses one JSON text (a body or a streamed value) and encodes it as the request message. */
static gw_err *build_request_message(exchange *x, const char *text, size_t len, bool is_body, buf *msg)
{
    gw_err *e = NULL;
    json_t *json = json_parse_text(text, len, is_body ? "body" : NULL, &e);
    if (e) return e;
    json_t *msg_json = NULL;
    e = bind_request(x->gw->pool, &x->match, json, x->query, x->n_query, &x->gw->config->json, &msg_json);
    if (e) return e;
    e = json_to_pb(x->gw->pool, x->method->input, msg_json, &x->gw->config->json, msg);
    json_decref(msg_json);
    if (!e && msg->len > x->gw->config->max_message_bytes)
        e = gw_err_http(gw_err_new(GRPC_STATUS_RESOURCE_EXHAUSTED, "request message of %zu bytes exceeds the limit of %zu",
                                   msg->len, x->gw->config->max_message_bytes),
                        MHD_HTTP_CONTENT_TOO_LARGE);
    return e;
}

/* ------------------------------------------------------------------ responses */

typedef struct header_sink {
    struct MHD_Response *r;
} header_sink;

static void add_header(void *cls, const char *name, const char *value)
{
    MHD_add_response_header(((header_sink *)cls)->r, name, value);
}

static void add_footer(void *cls, const char *name, const char *value)
{
    MHD_add_response_footer(((header_sink *)cls)->r, name, value);
}

/* libmicrohttpd writes the response head into the connection's pool, next to the request head:
 * the bytes left there for header lines beyond the head's own (RESPONSE_HEAD_RESERVE). The backend's
 * metadata that would not fit is left out (and counted in Grpc-Metadata-Omitted) rather than losing
 * the whole answer; with no room at all, see answer_raw. */
static size_t response_head_room(exchange *x)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(x->conn, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
    size_t pool = x->gw->config->max_header_bytes + MHD_POOL_HEADROOM;
    size_t used = (ci ? ci->header_size : x->gw->config->max_header_bytes) + RESPONSE_HEAD_RESERVE;
    return used < pool ? pool - used : 0;
}

static void add_metadata_headers(exchange *x, struct MHD_Response *r, bool with_trailing)
{
    size_t budget = response_head_room(x);
    header_sink s = {r};
    size_t left_out = md_to_headers(&x->initial_md, "Grpc-Metadata-", &budget, add_header, &s);
    if (with_trailing) left_out += md_to_headers(&x->trailing_md, "Grpc-Trailer-", &budget, add_header, &s);
    if (left_out) {
        char n[24];
        snprintf(n, sizeof n, "%zu", left_out);
        MHD_add_response_header(r, "Grpc-Metadata-Omitted", n);
    }
}

/* libmicrohttpd 0.9.75 writes a response's head into the connection's pool, behind the request's
 * head. A refused request head that fills nearly the whole pool leaves no room for it, and
 * libmicrohttpd then closes the connection without a word. On a plain-TCP connection the gateway
 * writes that short error answer to the socket itself (nothing else is being written to it: the
 * previous response has gone, and the connection closes after this one). Returns false when the
 * ordinary path is to be taken. */
static bool answer_raw(exchange *x)
{
    if (response_head_room(x) > 0) return false;
    if (MHD_get_connection_info(x->conn, MHD_CONNECTION_INFO_GNUTLS_SESSION)) return false;   /* TLS */
    const union MHD_ConnectionInfo *fd = MHD_get_connection_info(x->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (!fd) return false;
    const char *reason = MHD_get_reason_phrase_for(x->http_status);
    buf out = BUF_INIT;
    buf_printf(&out, "HTTP/1.1 %u %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n",
               x->http_status, reason && *reason ? reason : "Error", x->out.len);
    /* The same headers queue_plain sets (an overloaded gateway's 503 keeps its Retry-After). */
    if (x->allow) buf_printf(&out, "Allow: %s\r\n", x->allow);
    if (x->retry_after_s) buf_printf(&out, "Retry-After: %u\r\n", x->retry_after_s);
    buf_append_str(&out, "Connection: close\r\n\r\n");
    buf_append(&out, x->out.data, x->out.len);
    ssize_t n = send(fd->connect_fd, out.data, out.len, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n == (ssize_t)out.len) {
        x->sent_status = x->http_status;
        x->bytes_out = x->out.len;
        x->answered_raw = true;
    }
    buf_free(&out);
    x->phase = PH_ANSWERED;
    return true;
}

static enum MHD_Result queue_plain(exchange *x)
{
    if (x->kind == X_ERROR && answer_raw(x)) return MHD_NO;   /* libmicrohttpd closes the connection */
    size_t len;
    uint8_t *body = buf_steal(&x->out, &len);
    struct MHD_Response *r = MHD_create_response_from_buffer_with_free_callback(len, body, free);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    if (x->allow) MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, x->allow);
    if (x->retry_after_s) {
        char v[16];
        snprintf(v, sizeof v, "%u", x->retry_after_s);
        MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, v);
    }
    if (atomic_load(&x->call)) add_metadata_headers(x, r, true);
    response_finish(x->gw, x->conn, r);
    x->sent_status = x->http_status;
    x->bytes_out = len;
    enum MHD_Result rc = MHD_queue_response(x->conn, x->http_status, r);
    MHD_destroy_response(r);
    x->phase = PH_ANSWERED;
    return rc;
}

/* Answers a gateway-side error right away (in the handler). */
static enum MHD_Result answer_now(exchange *x, gw_err *e)
{
    pthread_mutex_lock(&x->lock);
    answer_with_error(x, e);
    pthread_mutex_unlock(&x->lock);
    gw_err_free(e);
    return queue_plain(x);
}

static ssize_t stream_reader(void *cls, uint64_t pos, char *out, size_t max);
static void stream_response_done(void *cls) { exchange_unref(cls); }

static enum MHD_Result queue_stream(exchange *x)
{
    exchange_ref(x);
    struct MHD_Response *r =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, STREAM_BLOCK_BYTES, stream_reader, x, stream_response_done);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                            x->framing == FRAME_SSE ? "text/event-stream" : "application/x-ndjson");
    if (x->framing == FRAME_SSE) MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    if (x->want_trailers) MHD_add_response_header(r, MHD_HTTP_HEADER_TRAILER, "Grpc-Status, Grpc-Message");
    add_metadata_headers(x, r, false);
    response_finish(x->gw, x->conn, r);
    x->stream_response = r;
    x->phase = PH_STREAMING;
    x->sent_status = MHD_HTTP_OK;
    count_stream(x, 1);
    enum MHD_Result rc = MHD_queue_response(x->conn, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return rc;
}

/* The chunked response's reader: hands out rendered output, suspends while there is none. */
static ssize_t stream_reader(void *cls, uint64_t pos, char *dst, size_t max)
{
    exchange *x = cls;
    pthread_mutex_lock(&x->lock);
    if (x->out.len > 0) {
        size_t n = x->out.len < max ? x->out.len : max;
        memcpy(dst, x->out.data, n);
        buf_consume(&x->out, n);
        x->bytes_out += n;
        maybe_start_recv(x);
        pthread_mutex_unlock(&x->lock);
        return (ssize_t)n;
    }
    if (x->finalized) {
        if (x->want_trailers && x->stream_response) {
            char code[16];
            snprintf(code, sizeof code, "%d", (int)x->status);
            MHD_add_response_footer(x->stream_response, "Grpc-Status", code);
            if (GRPC_SLICE_LENGTH(x->status_details)) {
                buf msg = BUF_INIT;
                buf_append(&msg, GRPC_SLICE_START_PTR(x->status_details), GRPC_SLICE_LENGTH(x->status_details));
                MHD_add_response_footer(x->stream_response, "Grpc-Message", (char *)msg.data);
                buf_free(&msg);
            }
            header_sink s = {x->stream_response};
            size_t budget = response_head_room(x);
            md_to_headers(&x->trailing_md, "Grpc-Trailer-", &budget, add_footer, &s);
        }
        pthread_mutex_unlock(&x->lock);
        return MHD_CONTENT_READER_END_OF_STREAM;
    }
    maybe_start_recv(x);
    suspend_locked(x);
    pthread_mutex_unlock(&x->lock);
    return 0;
}

/* ------------------------------------------------------------------ WebSocket transport */

/* Moves rendered records into the WebSocket's queue and closes it once the status is out.
 * Event-loop thread, `lock` held. */
static void ws_flush_locked(exchange *x, ws_conn *c)
{
    size_t pos = 0;
    while (x->out.len - pos >= WS_RECORD_HEADER) {
        uint32_t n;
        memcpy(&n, x->out.data + pos, WS_RECORD_HEADER);
        ws_queue_text(c, (const char *)x->out.data + pos + WS_RECORD_HEADER, n);
        x->bytes_out += n;
        pos += WS_RECORD_HEADER + n;
    }
    buf_consume(&x->out, pos);
    x->ws_queued = ws_queued_bytes(c);
    if (x->finalized && x->out.len == 0 && !x->ws_close_queued) {
        /* The close code matches the status: 1000 for OK, 4000 + the gRPC code otherwise. */
        x->ws_close_queued = true;
        uint16_t code = x->status == GRPC_STATUS_OK ? 1000 : (uint16_t)(4000 + (int)x->status);
        ws_queue_close(c, code, grpc_status_name(x->status));
    }
    maybe_start_recv(x);
}

/* Client and bidi streams: the client's close half-closes the call once no send is in flight. (L) */
static void ws_maybe_half_close(exchange *x)
{
    if (x->ws_peer_closed && !x->send_pending && !x->ws_holding && !x->close_sent &&
        (x->kind == X_CLIENT_STREAM || x->kind == X_BIDI))
        send_half_close(x);
}

static void ws_on_message(void *cls, ws_conn *c, const uint8_t *data, size_t len)
{
    exchange *x = cls;
    pthread_mutex_lock(&x->lock);
    grpc_call *call = atomic_load(&x->call);
    if (x->close_sent || x->finalized) {
        /* The call is over (or its request side is): the message has nowhere to go. */
        pthread_mutex_unlock(&x->lock);
        return;
    }
    bool one_request = x->kind == X_UNARY || x->kind == X_SERVER_STREAM;
    if (one_request && x->ws_request_seen) {
        grpc_call_cancel_with_status(call, GRPC_STATUS_INVALID_ARGUMENT,
                                     "this method takes a single request message", NULL);
        x->close_sent = true;
        pthread_mutex_unlock(&x->lock);
        return;
    }
    size_t index = x->messages_sent;
    x->body_bytes += len;
    pthread_mutex_unlock(&x->lock);
    buf msg = BUF_INIT;
    gw_err *e = build_request_message(x, (const char *)data, len, false, &msg);
    pthread_mutex_lock(&x->lock);
    if (x->close_sent || x->finalized) {
        gw_err_free(e);     /* the call ended meanwhile */
    } else if (e) {
        e = gw_err_prefix(e, "message %zu", index);
        grpc_call_cancel_with_status(call, e->code, e->message, NULL);
        x->close_sent = true;
        gw_err_free(e);
    } else if (one_request) {
        x->ws_request_seen = true;
        x->messages_sent++;
        start_server_stream_call(x, &msg);
    } else if (x->send_pending) {
        /* Reading pauses after each message until its send completes, so at most this one waits. */
        buf_free(&x->ws_held);
        x->ws_held = msg;
        buf_init(&msg);
        x->ws_holding = true;
        ws_pause_read(c);
    } else {
        send_stream_message(x, &msg);
        ws_pause_read(c);     /* until the send completes: back-pressure on the client */
    }
    buf_free(&msg);
    pthread_mutex_unlock(&x->lock);
}

static void ws_on_peer_closed(void *cls, ws_conn *c, uint16_t code, bool error)
{
    exchange *x = cls;
    pthread_mutex_lock(&x->lock);
    x->ws_peer_closed = true;
    grpc_call *call = atomic_load(&x->call);
    if (error) {
        if (!x->status_done) grpc_call_cancel(call, NULL);
    } else if ((x->kind == X_UNARY || x->kind == X_SERVER_STREAM) && !x->ws_request_seen) {
        grpc_call_cancel_with_status(call, GRPC_STATUS_INVALID_ARGUMENT,
                                     "the WebSocket was closed before a request message", NULL);
    } else {
        ws_maybe_half_close(x);
    }
    pthread_mutex_unlock(&x->lock);
}

static void ws_on_wake(void *cls, ws_conn *c)
{
    exchange *x = cls;
    pthread_mutex_lock(&x->lock);
    if (!x->send_pending && x->ws_holding) {
        x->ws_holding = false;
        if (!x->close_sent && !x->finalized) send_stream_message(x, &x->ws_held);
        buf_free(&x->ws_held);
    }
    if (!x->send_pending) {
        ws_maybe_half_close(x);
        ws_resume_read(c);
    }
    ws_flush_locked(x, c);
    pthread_mutex_unlock(&x->lock);
}

static void ws_on_drained(void *cls, ws_conn *c)
{
    exchange *x = cls;
    pthread_mutex_lock(&x->lock);
    ws_flush_locked(x, c);
    pthread_mutex_unlock(&x->lock);
}

static void ws_on_finished(void *cls)
{
    exchange *x = cls;
    pthread_mutex_lock(&x->lock);
    x->ws = NULL;
    x->ws_id = 0;
    bool running = !x->status_done;
    pthread_mutex_unlock(&x->lock);
    grpc_call *call = atomic_load(&x->call);
    if (running && call) grpc_call_cancel(call, NULL);
    exchange_unref(x);
}

static const ws_handler WS_HANDLER = {
    .on_message = ws_on_message,
    .on_peer_closed = ws_on_peer_closed,
    .on_wake = ws_on_wake,
    .on_drained = ws_on_drained,
    .on_finished = ws_on_finished,
};

/* libmicrohttpd sent the 101 answer and hands over the socket (its thread). */
static void on_upgraded(void *cls, struct MHD_Connection *conn, void *req_cls, const char *extra_in,
                        size_t extra_in_size, MHD_socket sock, struct MHD_UpgradeResponseHandle *urh)
{
    exchange *x = cls;
    /* The socket is the WebSocket's now: the connection guard stops watching it. */
    const union MHD_ConnectionInfo *sc = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    if (sc && sc->socket_context) conn_guard_release(sc->socket_context);
    /* The call starts before the socket is watched, so that the first message finds it. */
    bool ok = create_call(x);
    pthread_mutex_lock(&x->lock);
    x->phase = PH_STREAMING;
    if (ok) {
        if (x->kind == X_CLIENT_STREAM || x->kind == X_BIDI) {
            start_streaming_call(x);
        } else {
            start_status(x);
            maybe_start_recv(x);
        }
    }
    count_stream(x, 1);
    pthread_mutex_unlock(&x->lock);
    exchange_ref(x);   /* the WebSocket's reference, dropped in ws_on_finished */
    ws_conn *c = ws_conn_start(x->gw->evloop, sock, extra_in, extra_in_size, urh, x->gw->config->max_message_bytes,
                               &WS_HANDLER, x);
    if (!c) {
        grpc_call *call = atomic_load(&x->call);
        if (call) grpc_call_cancel(call, NULL);
        exchange_unref(x);
        return;
    }
    if (!ok) {
        /* No call: say so and close. */
        pthread_mutex_lock(&x->lock);
        x->status = GRPC_STATUS_INTERNAL;
        x->finalized = true;
        pthread_mutex_unlock(&x->lock);
    }
    pthread_mutex_lock(&x->lock);
    x->ws = c;
    x->ws_id = ws_conn_id(c);
    ev_id id = x->ws_id;
    pthread_mutex_unlock(&x->lock);
    evloop_wake(x->gw->evloop, id);   /* completions that came before the id was known */
}

/* The handshake: 101 with Sec-WebSocket-Accept, or a plain error. */
static enum MHD_Result websocket_handshake(exchange *x)
{
    const char *version = MHD_lookup_connection_value(x->conn, MHD_HEADER_KIND, "Sec-WebSocket-Version");
    const char *key = MHD_lookup_connection_value(x->conn, MHD_HEADER_KIND, "Sec-WebSocket-Key");
    char accept[29];
    if (!version || strcmp(version, "13") != 0) {
        x->request_err = gw_err_http(gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "unsupported WebSocket version (13 is supported)"),
                                     MHD_HTTP_UPGRADE_REQUIRED);
        return answer_request_error(x);
    }
    if (!ws_accept_key(key, accept)) {
        x->request_err = gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "missing or malformed Sec-WebSocket-Key");
        return answer_request_error(x);
    }
    /* Browsers apply no CORS check to WebSockets, so with --cors-origin set the gateway checks the
     * Origin itself: a page from another site must not open a call with the user's credentials. */
    const char *origin = MHD_lookup_connection_value(x->conn, MHD_HEADER_KIND, "Origin");
    if (cors_enabled(x->gw->cors) && origin && !cors_origin_allowed(x->gw->cors, origin)) {
        x->request_err = gw_err_http(gw_err_new(GRPC_STATUS_PERMISSION_DENIED, "WebSocket from origin %s is not allowed", origin),
                                     MHD_HTTP_FORBIDDEN);
        return answer_request_error(x);
    }
    struct MHD_Response *r = MHD_create_response_for_upgrade(on_upgraded, x);
    MHD_add_response_header(r, MHD_HTTP_HEADER_UPGRADE, "websocket");
    MHD_add_response_header(r, "Sec-WebSocket-Accept", accept);
    response_finish(x->gw, x->conn, r);
    x->phase = PH_ANSWERED;
    x->sent_status = MHD_HTTP_SWITCHING_PROTOCOLS;
    enum MHD_Result rc = MHD_queue_response(x->conn, MHD_HTTP_SWITCHING_PROTOCOLS, r);
    MHD_destroy_response(r);
    return rc;
}

/* ------------------------------------------------------------------ the access handler */

/* Answers the recorded request error (the handler's thread, `lock` not held). The call of a client
 * or bidi stream may still be completing on a completion-queue thread, so the answer is queued
 * under the lock. */
static enum MHD_Result answer_request_error(exchange *x)
{
    pthread_mutex_lock(&x->lock);
    gw_err *e = x->request_err;
    x->request_err = NULL;
    answer_with_error(x, e);
    enum MHD_Result rc = queue_plain(x);
    pthread_mutex_unlock(&x->lock);
    gw_err_free(e);
    return rc;
}

/* The request body is complete and no error is pending: start or finish the call. (L held on entry,
 * released on return.) */
static enum MHD_Result body_complete_locked(exchange *x)
{
    x->body_done = true;
    if (x->kind == X_UNARY || x->kind == X_SERVER_STREAM) {
        pthread_mutex_unlock(&x->lock);
        buf msg = BUF_INIT;
        gw_err *e = build_request_message(x, (const char *)x->body.data, x->body.len, true, &msg);
        buf_free(&x->body);
        if (e) {
            buf_free(&msg);
            return answer_now(x, e);
        }
        if (!create_call(x)) {
            buf_free(&msg);
            return answer_now(x, gw_err_new(GRPC_STATUS_INTERNAL, "could not create the call"));
        }
        pthread_mutex_lock(&x->lock);
        x->phase = PH_WAITING;
        if (x->kind == X_UNARY) start_unary_call(x, &msg);
        else start_server_stream_call(x, &msg);
        buf_free(&msg);
    } else {
        /* Client and bidi streams: everything was sent; half-close once the last send is done. */
        if (x->send_pending) {
            x->body_done = false;   /* come back here after the send */
            suspend_locked(x);
            pthread_mutex_unlock(&x->lock);
            return MHD_YES;
        }
        if (!x->close_sent) send_half_close(x);
        x->phase = PH_WAITING;
    }
    advance_response(x);
    if (x->phase == PH_WAITING) {
        suspend_locked(x);
        pthread_mutex_unlock(&x->lock);
        return MHD_YES;
    }
    pthread_mutex_unlock(&x->lock);
    return x->plain_answer ? queue_plain(x) : queue_stream(x);
}

/* Feeds upload data to a client/bidi stream: sends complete values as messages. (L) */
static enum MHD_Result feed_stream_locked(exchange *x, const char *data, size_t *size)
{
    while (*size > 0) {
        if (x->send_pending) {
            suspend_locked(x);            /* back-pressure: wait for the send to finish */
            return MHD_YES;
        }
        size_t used = 0;
        gw_err *e = NULL;
        enum jsonsplit_result r = jsonsplit_next(&x->split, data, *size, &used, &e);
        data += used;
        *size -= used;
        if (r == JSONSPLIT_NEED_MORE) break;
        if (r == JSONSPLIT_ERROR) {
            x->request_err = e;
            break;
        }
        buf msg = BUF_INIT;
        e = build_request_message(x, (const char *)x->split.value.data, x->split.value.len, false, &msg);
        if (e) {
            x->request_err = gw_err_prefix(e, "message %zu", x->split.index - 1);
            buf_free(&msg);
            break;
        }
        if (x->close_sent) {
            /* The call already ended (its status will be the answer): drop the rest. */
            buf_free(&msg);
            continue;
        }
        send_stream_message(x, &msg);
        buf_free(&msg);
    }
    if (x->request_err) {
        grpc_call *call = atomic_load(&x->call);
        if (call) grpc_call_cancel_with_status(call, GRPC_STATUS_CANCELLED, "invalid request message", NULL);
        x->close_sent = true;
        x->body_bytes += *size;
        *size = 0;
    }
    return MHD_YES;
}

enum MHD_Result exchange_handle_request(exchange *x, const char *upload_data, size_t *upload_data_size)
{
    const gw_config *cfg = x->gw->config;
    size_t size = *upload_data_size;

    if (x->framing == FRAME_WS && x->kind != X_ERROR && x->phase == PH_RECEIVING) return websocket_handshake(x);

    pthread_mutex_lock(&x->lock);
    switch (x->phase) {
    case PH_READY:
        pthread_mutex_unlock(&x->lock);
        return x->plain_answer ? queue_plain(x) : queue_stream(x);
    case PH_WAITING:
        /* Resumed while still waiting (a stream's back-pressure wake-up): keep waiting. */
        advance_response(x);
        if (x->phase == PH_READY) {
            pthread_mutex_unlock(&x->lock);
            return x->plain_answer ? queue_plain(x) : queue_stream(x);
        }
        suspend_locked(x);
        pthread_mutex_unlock(&x->lock);
        return MHD_YES;
    case PH_STREAMING:
    case PH_ANSWERED:
        pthread_mutex_unlock(&x->lock);
        *upload_data_size = 0;
        return MHD_YES;
    case PH_RECEIVING:
        break;
    }

    /* Receiving the request. */
    if (x->answer_before_body) {
        pthread_mutex_unlock(&x->lock);
        return answer_request_error(x);
    }
    if (!x->headers_seen) {
        /* The first invocation carries the headers only; the body (if any) and the end follow. */
        x->headers_seen = true;
        pthread_mutex_unlock(&x->lock);
        return MHD_YES;
    }
    if (size > 0) {
        x->body_bytes += size;
        if (x->request_err || x->kind == X_ERROR) {
            /* Discard the body of a request that will be refused, but not without bound. */
            *upload_data_size = 0;
            pthread_mutex_unlock(&x->lock);
            return x->body_bytes > cfg->max_body_bytes * 2 ? MHD_NO : MHD_YES;
        }
        if (x->kind == X_UNARY || x->kind == X_SERVER_STREAM) {
            if (x->body.len + size > cfg->max_body_bytes) {
                x->request_err = gw_err_http(gw_err_new(GRPC_STATUS_RESOURCE_EXHAUSTED,
                                                        "request body exceeds the limit of %zu bytes", cfg->max_body_bytes),
                                             MHD_HTTP_CONTENT_TOO_LARGE);
                buf_free(&x->body);
            } else {
                buf_append(&x->body, upload_data, size);
            }
            *upload_data_size = 0;
            pthread_mutex_unlock(&x->lock);
            return MHD_YES;
        }
        x->body_bytes -= size;
        size_t before = *upload_data_size;
        enum MHD_Result rc = feed_stream_locked(x, upload_data, upload_data_size);
        x->body_bytes += before - *upload_data_size;
        pthread_mutex_unlock(&x->lock);
        return rc;
    }

    /* The whole body has arrived. */
    conn_guard_body_done(x->guard);
    if (!x->request_err && (x->kind == X_CLIENT_STREAM || x->kind == X_BIDI) && !x->close_sent) {
        if (x->send_pending) {
            suspend_locked(x);
            pthread_mutex_unlock(&x->lock);
            return MHD_YES;
        }
        gw_err *e = NULL;
        if (jsonsplit_finish(&x->split, &e) == JSONSPLIT_VALUE) {
            buf msg = BUF_INIT;
            e = build_request_message(x, (const char *)x->split.value.data, x->split.value.len, false, &msg);
            if (e) {
                x->request_err = gw_err_prefix(e, "message %zu", x->split.index - 1);
            } else {
                send_stream_message(x, &msg);
                suspend_locked(x);        /* half-close after this send completes */
                buf_free(&msg);
                pthread_mutex_unlock(&x->lock);
                return MHD_YES;
            }
            buf_free(&msg);
        } else if (e) {
            x->request_err = e;
        }
        if (x->request_err) {
            grpc_call *call = atomic_load(&x->call);
            if (call) grpc_call_cancel_with_status(call, GRPC_STATUS_CANCELLED, "invalid request message", NULL);
            x->close_sent = true;
        }
    }
    if (x->request_err) {
        pthread_mutex_unlock(&x->lock);
        return answer_request_error(x);
    }
    return body_complete_locked(x);
}

bool exchange_attach_guard(exchange *x, guarded_conn *gc)
{
    x->guard = gc;
    /* A body that is one message must arrive whole in time; streams and WebSockets have none. */
    return x->framing != FRAME_WS && (x->kind == X_UNARY || x->kind == X_SERVER_STREAM || x->kind == X_ERROR);
}

void exchange_get_outcome(exchange *x, exchange_outcome *o)
{
    pthread_mutex_lock(&x->lock);
    o->route = x->match.route;
    o->http_status = x->sent_status;
    o->grpc_code = x->status_done ? (int)x->status : -1;
    o->bytes_in = x->body_bytes;
    o->bytes_out = x->bytes_out;
    o->streamed = x->stream_counted || x->framing == FRAME_WS;
    o->answered = x->answered_raw;
    pthread_mutex_unlock(&x->lock);
}

void exchange_completed(exchange *x, enum MHD_RequestTerminationCode toe)
{
    if (x->framing == FRAME_WS && x->kind != X_ERROR) {
        /* After an upgrade the WebSocket owns the call (and its own reference). */
        exchange_unref(x);
        return;
    }
    if (x->kind != X_UNARY && x->kind != X_ERROR) {
        int64_t idle_s = x->gw->config->idle_timeout_us == DURATION_NONE ? 0 : x->gw->config->idle_timeout_us / 1000000;
        MHD_set_connection_option(x->conn, MHD_CONNECTION_OPTION_TIMEOUT, (unsigned int)idle_s);
    }
    pthread_mutex_lock(&x->lock);
    bool call_running = !x->status_done;
    pthread_mutex_unlock(&x->lock);
    grpc_call *call = atomic_load(&x->call);
    if (call && call_running) grpc_call_cancel(call, NULL);
    exchange_unref(x);
}
