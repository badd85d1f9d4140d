/* admin.c: liveness, readiness, metrics and OpenAPI endpoints (see admin.h).
 *
 * Readiness asks the backend each time: a grpc.health.v1.Health/Check call (service "") with a short
 * deadline, during which the connection is suspended exactly as an exchange suspends (the request
 * thread suspends under `lock`; the completion resumes after releasing it). */
#include "admin.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>

#include "grpc_names.h"
#include "openapi.h"
#include "pbwire.h"
#include "response.h"
#include "router.h"
#include "transcode.h"
#include "upstream.h"

#define READINESS_TIMEOUT_US 1000000          /* the backend's health check must answer within this */
#define HEALTH_CHECK_PATH "/grpc.health.v1.Health/Check"
#define HEALTH_SERVING 1                      /* grpc.health.v1.HealthCheckResponse.ServingStatus */

enum admin_phase { ADMIN_START, ADMIN_WAITING, ADMIN_READY_TO_ANSWER, ADMIN_ANSWERED };

static atomic_size_t suspended_count;

size_t admin_suspended_count(void) { return atomic_load(&suspended_count); }

struct admin_request {
    const gateway *gw;
    struct MHD_Connection *conn;
    enum admin_endpoint endpoint;
    atomic_int refs;                  /* libmicrohttpd's request + the health call's batch */
    pthread_mutex_t lock;             /* guards phase and suspended */
    enum admin_phase phase;
    bool suspended;
    unsigned http_status;
    size_t bytes_out;
    /* the health check call */
    upstream_tag tag;
    grpc_call *call;
    grpc_metadata_array initial_md, trailing_md;
    grpc_byte_buffer *reply;
    grpc_status_code status;
    grpc_slice details;
};

enum admin_endpoint admin_lookup(const gateway *gw, const char *path)
{
    const gw_config *c = gw->config;
    if (*c->health_path && strcmp(path, c->health_path) == 0) return ADMIN_HEALTH;
    if (*c->ready_path && strcmp(path, c->ready_path) == 0) return ADMIN_READY;
    if (*c->metrics_path && strcmp(path, c->metrics_path) == 0) return ADMIN_METRICS;
    if (*c->openapi_path && strcmp(path, c->openapi_path) == 0) return ADMIN_OPENAPI;
    return ADMIN_NONE;
}

gw_err *admin_check_paths(const gateway *gw)
{
    const gw_config *c = gw->config;
    const char *paths[] = {c->health_path, c->ready_path, c->metrics_path, c->openapi_path};
    const char *flags[] = {"--health-path", "--ready-path", "--metrics-path", "--openapi-path"};
    if (*c->admin_listen) return NULL;   /* a listener of their own: no collision possible */
    for (size_t i = 0; i < 4; i++) {
        if (!*paths[i]) continue;
        if (paths[i][0] != '/') return gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "%s must start with '/': %s", flags[i], paths[i]);
        if (router_path_taken(gw->router, paths[i]))
            return gw_err_new(GRPC_STATUS_ALREADY_EXISTS,
                              "%s %s collides with an API route; choose another path or use --admin-listen",
                              flags[i], paths[i]);
    }
    return NULL;
}

static void admin_unref(admin_request *a)
{
    if (atomic_fetch_sub(&a->refs, 1) != 1) return;
    if (a->call) grpc_call_unref(a->call);
    if (a->reply) grpc_byte_buffer_destroy(a->reply);
    grpc_metadata_array_destroy(&a->initial_md);
    grpc_metadata_array_destroy(&a->trailing_md);
    grpc_slice_unref(a->details);
    pthread_mutex_destroy(&a->lock);
    free(a);
}

admin_request *admin_request_new(const gateway *gw, struct MHD_Connection *conn, enum admin_endpoint e)
{
    admin_request *a = calloc(1, sizeof *a);
    if (!a) abort();
    a->gw = gw;
    a->conn = conn;
    a->endpoint = e;
    atomic_init(&a->refs, 1);
    pthread_mutex_init(&a->lock, NULL);
    grpc_metadata_array_init(&a->initial_md);
    grpc_metadata_array_init(&a->trailing_md);
    a->details = grpc_empty_slice();
    return a;
}

/* The health check finished (completion-queue thread). */
static void on_health_done(upstream_tag *t, bool ok)
{
    admin_request *a = (admin_request *)((char *)t - offsetof(admin_request, tag));
    pthread_mutex_lock(&a->lock);
    a->phase = ADMIN_READY_TO_ANSWER;
    bool resume = a->suspended;
    a->suspended = false;
    pthread_mutex_unlock(&a->lock);
    if (resume) {
        MHD_resume_connection(a->conn);
        atomic_fetch_sub(&suspended_count, 1);
    }
    admin_unref(a);
}

static bool start_health_check(admin_request *a)
{
    a->call = upstream_call_new_path(a->gw->upstream, HEALTH_CHECK_PATH, READINESS_TIMEOUT_US);
    if (!a->call) return false;
    grpc_slice empty = grpc_empty_slice();
    grpc_byte_buffer *req = grpc_raw_byte_buffer_create(&empty, 1);
    grpc_op ops[6];
    upstream_unary_results r = {&a->initial_md, &a->reply, &a->trailing_md, &a->status, &a->details};
    size_t n = upstream_unary_ops(ops, NULL, 0, req, &r);
    a->tag.done = on_health_done;
    atomic_fetch_add(&a->refs, 1);
    grpc_call_error rc = grpc_call_start_batch(a->call, ops, n, &a->tag, NULL);
    /* The byte buffer's slices were taken by the batch; the buffer itself is ours to destroy. */
    grpc_byte_buffer_destroy(req);
    if (rc != GRPC_CALL_OK) {
        atomic_fetch_sub(&a->refs, 1);
        return false;
    }
    return true;
}

/* The ServingStatus in a HealthCheckResponse (field 1, varint); 0 (UNKNOWN) when absent. */
static uint64_t serving_status(grpc_byte_buffer *bb)
{
    if (!bb) return 0;
    grpc_byte_buffer_reader r;
    if (!grpc_byte_buffer_reader_init(&r, bb)) return 0;
    grpc_slice s = grpc_byte_buffer_reader_readall(&r);
    grpc_byte_buffer_reader_destroy(&r);
    pbw_reader pr = pbw_reader_init(GRPC_SLICE_START_PTR(s), GRPC_SLICE_LENGTH(s));
    uint64_t status = 0;
    while (!pbw_at_end(&pr)) {
        uint32_t field;
        int wt;
        if (!pbw_read_tag(&pr, &field, &wt)) break;
        if (field == 1 && wt == PBW_VARINT) {
            if (!pbw_read_varint(&pr, &status)) break;
        } else if (!pbw_skip(&pr, wt, field)) {
            break;
        }
    }
    grpc_slice_unref(s);
    return status;
}

static const char *connectivity_name(grpc_connectivity_state s)
{
    switch (s) {
    case GRPC_CHANNEL_IDLE: return "IDLE";
    case GRPC_CHANNEL_CONNECTING: return "CONNECTING";
    case GRPC_CHANNEL_READY: return "READY";
    case GRPC_CHANNEL_TRANSIENT_FAILURE: return "TRANSIENT_FAILURE";
    case GRPC_CHANNEL_SHUTDOWN: return "SHUTDOWN";
    }
    return "UNKNOWN";
}

static enum MHD_Result answer_json(admin_request *a, unsigned status, buf *body)
{
    a->http_status = status;
    a->bytes_out = body->len;
    a->phase = ADMIN_ANSWERED;
    return response_queue_owned(a->gw, a->conn, status, "application/json", body);
}

static enum MHD_Result answer_readiness(admin_request *a)
{
    buf body = BUF_INIT;
    const char *channel = connectivity_name(upstream_state(a->gw->upstream));
    uint64_t serving = a->status == GRPC_STATUS_OK ? serving_status(a->reply) : 0;
    if (a->status == GRPC_STATUS_OK && serving == HEALTH_SERVING) {
        buf_printf(&body, "{\"status\":\"SERVING\",\"channel\":\"%s\"}", channel);
        return answer_json(a, MHD_HTTP_OK, &body);
    }
    buf reason = BUF_INIT;
    if (a->status != GRPC_STATUS_OK) {
        buf_printf(&reason, "backend health check failed: %s: ", grpc_status_name(a->status));
        buf_append(&reason, GRPC_SLICE_START_PTR(a->details), GRPC_SLICE_LENGTH(a->details));
    } else {
        buf_printf(&reason, "backend health status is %llu, not SERVING", (unsigned long long)serving);
    }
    buf_printf(&body, "{\"status\":\"NOT_SERVING\",\"channel\":\"%s\",\"reason\":", channel);
    json_write_string(&body, (const char *)reason.data, reason.len);
    buf_append_str(&body, "}");
    buf_free(&reason);
    return answer_json(a, MHD_HTTP_SERVICE_UNAVAILABLE, &body);
}

enum MHD_Result admin_handle_request(admin_request *a, const char *method, size_t *upload_data_size)
{
    if (*upload_data_size) {
        *upload_data_size = 0;   /* these endpoints take no body: ignore one */
        return MHD_YES;
    }
    if (a->phase == ADMIN_ANSWERED) return MHD_YES;
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
        a->http_status = MHD_HTTP_METHOD_NOT_ALLOWED;
        a->phase = ADMIN_ANSWERED;
        static const char body[] = "{\"code\":12,\"message\":\"only GET is allowed here\",\"details\":[]}";
        struct MHD_Response *r = MHD_create_response_from_buffer(sizeof body - 1, (void *)body, MHD_RESPMEM_PERSISTENT);
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
        response_finish(a->gw, a->conn, r);
        enum MHD_Result rc = MHD_queue_response(a->conn, MHD_HTTP_METHOD_NOT_ALLOWED, r);
        MHD_destroy_response(r);
        return rc;
    }
    buf body = BUF_INIT;
    switch (a->endpoint) {
    case ADMIN_HEALTH:
        buf_append_str(&body, "{\"status\":\"SERVING\"}");
        return answer_json(a, MHD_HTTP_OK, &body);
    case ADMIN_METRICS:
        metrics_render(a->gw->metrics, &body);
        metrics_render_counter(&body, "backend_channel_refreshes_total",
                               "Times the backend's DNS name was resolved afresh into a new ready channel "
                               "(--backend-refresh).",
                               upstream_refreshes(a->gw->upstream));
        a->http_status = MHD_HTTP_OK;
        a->bytes_out = body.len;
        a->phase = ADMIN_ANSWERED;
        return response_queue_owned(a->gw, a->conn, MHD_HTTP_OK, METRICS_CONTENT_TYPE, &body);
    case ADMIN_OPENAPI:
        a->http_status = MHD_HTTP_OK;
        a->bytes_out = a->gw->openapi.len;
        a->phase = ADMIN_ANSWERED;
        return response_queue_static(a->gw, a->conn, MHD_HTTP_OK, OPENAPI_CONTENT_TYPE,
                                     (const char *)a->gw->openapi.data);
    case ADMIN_READY:
        break;
    case ADMIN_NONE:
        return MHD_NO;
    }
    /* Readiness. */
    if (atomic_load(&a->gw->shutting_down)) {
        buf_append_str(&body, "{\"status\":\"NOT_SERVING\",\"reason\":\"the gateway is shutting down\"}");
        return answer_json(a, MHD_HTTP_SERVICE_UNAVAILABLE, &body);
    }
    pthread_mutex_lock(&a->lock);
    if (a->phase == ADMIN_START) {
        if (!start_health_check(a)) {
            pthread_mutex_unlock(&a->lock);
            buf_append_str(&body, "{\"status\":\"NOT_SERVING\",\"reason\":\"could not start the backend health check\"}");
            return answer_json(a, MHD_HTTP_SERVICE_UNAVAILABLE, &body);
        }
        a->phase = ADMIN_WAITING;
    }
    if (a->phase == ADMIN_WAITING) {
        a->suspended = true;
        atomic_fetch_add(&suspended_count, 1);
        MHD_suspend_connection(a->conn);
        pthread_mutex_unlock(&a->lock);
        return MHD_YES;
    }
    pthread_mutex_unlock(&a->lock);
    return answer_readiness(a);
}

void admin_request_completed(admin_request *a)
{
    if (a->call && a->phase == ADMIN_WAITING) grpc_call_cancel(a->call, NULL);
    admin_unref(a);
}

unsigned admin_request_status(const admin_request *a) { return a->http_status; }
size_t admin_request_bytes_out(const admin_request *a) { return a->bytes_out; }
