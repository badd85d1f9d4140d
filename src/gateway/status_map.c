/* status_map.c: gRPC status -> HTTP status and the google.rpc.Status JSON body (see status_map.h). */
#include "status_map.h"

#include "pbwire.h"

unsigned status_to_http(grpc_status_code code)
{
    switch (code) {
    case GRPC_STATUS_OK: return 200;
    case GRPC_STATUS_CANCELLED: return 499;
    case GRPC_STATUS_UNKNOWN: return 500;
    case GRPC_STATUS_INVALID_ARGUMENT: return 400;
    case GRPC_STATUS_DEADLINE_EXCEEDED: return 504;
    case GRPC_STATUS_NOT_FOUND: return 404;
    case GRPC_STATUS_ALREADY_EXISTS: return 409;
    case GRPC_STATUS_PERMISSION_DENIED: return 403;
    case GRPC_STATUS_RESOURCE_EXHAUSTED: return 429;
    case GRPC_STATUS_FAILED_PRECONDITION: return 400;
    case GRPC_STATUS_ABORTED: return 409;
    case GRPC_STATUS_OUT_OF_RANGE: return 400;
    case GRPC_STATUS_UNIMPLEMENTED: return 501;
    case GRPC_STATUS_INTERNAL: return 500;
    case GRPC_STATUS_UNAVAILABLE: return 503;
    case GRPC_STATUS_DATA_LOSS: return 500;
    case GRPC_STATUS_UNAUTHENTICATED: return 401;
    default: return 500;
    }
}

/* google.rpc.Status: code = 1, message = 2, details = 3 (repeated google.protobuf.Any);
 * google.protobuf.Any: type_url = 1, value = 2. Renders the details array's elements, comma-separated,
 * into out. Returns false when the blob does not decode (out is then rolled back by the caller). */
static bool write_details(buf *out, const descpool *pool, const json_opts *o, const uint8_t *p, size_t n)
{
    pbw_reader r = pbw_reader_init(p, n);
    bool first = true;
    while (!pbw_at_end(&r)) {
        uint32_t field;
        int wt;
        if (!pbw_read_tag(&r, &field, &wt)) return false;
        if (field != 3 || wt != PBW_LEN) {
            if (!pbw_skip(&r, wt, field)) return false;
            continue;
        }
        const uint8_t *any;
        size_t any_len;
        if (!pbw_read_len(&r, &any, &any_len)) return false;
        const uint8_t *url = NULL, *value = NULL;
        size_t url_len = 0, value_len = 0;
        pbw_reader a = pbw_reader_init(any, any_len);
        while (!pbw_at_end(&a)) {
            uint32_t f;
            int awt;
            if (!pbw_read_tag(&a, &f, &awt)) return false;
            if (f == 1 && awt == PBW_LEN) {
                if (!pbw_read_len(&a, &url, &url_len)) return false;
            } else if (f == 2 && awt == PBW_LEN) {
                if (!pbw_read_len(&a, &value, &value_len)) return false;
            } else if (!pbw_skip(&a, awt, f)) {
                return false;
            }
        }
        if (!first) buf_append_byte(out, ',');
        first = false;
        gw_err *e = pb_any_to_json(pool, (const char *)url, url_len, value, value_len, o, out);
        if (e) {
            gw_err_free(e);
            return false;
        }
    }
    return true;
}

void status_write_json(buf *out, const descpool *pool, const json_opts *o, grpc_status_code code,
                       const char *message, size_t message_len, const uint8_t *details_bin, size_t details_len)
{
    buf_printf(out, "{\"code\":%d,\"message\":", (int)code);
    json_write_string(out, message ? message : "", message ? message_len : 0);
    buf_append_str(out, ",\"details\":[");
    if (details_bin && details_len) {
        size_t mark = out->len;
        if (!write_details(out, pool, o, details_bin, details_len)) {
            out->len = mark;
            out->data[mark] = 0;
        }
    }
    buf_append_str(out, "]}");
}
