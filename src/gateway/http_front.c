/* http_front.c: libmicrohttpd daemon and request dispatch (see http_front.h). */
#include "http_front.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "exchange.h"
#include "grpc_timeout.h"
#include "router.h"
#include "status_map.h"

#define LISTEN_BACKLOG 4096

struct http_front {
    gateway *gw;
    struct MHD_Daemon *daemon;
    int listen_fd;
    char address[128];
};

/* Splits "HOST:PORT" / "[V6]:PORT" / ":PORT" into host (NULL: any) and port. */
static gw_err *split_host_port(const char *s, char *host, size_t hn, char *port, size_t pn)
{
    const char *colon;
    if (s[0] == '[') {
        const char *end = strchr(s, ']');
        if (!end || end[1] != ':') goto bad;
        if ((size_t)(end - s - 1) >= hn) goto bad;
        memcpy(host, s + 1, (size_t)(end - s - 1));
        host[end - s - 1] = 0;
        colon = end + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon || (size_t)(colon - s) >= hn) goto bad;
        memcpy(host, s, (size_t)(colon - s));
        host[colon - s] = 0;
    }
    if (strlen(colon + 1) == 0 || strlen(colon + 1) >= pn) goto bad;
    snprintf(port, pn, "%s", colon + 1);
    return NULL;
bad:
    return gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "invalid listen address '%s' (expected HOST:PORT)", s);
}

static gw_err *bind_listener(http_front *f, const char *addr)
{
    char host[256], port[16];
    gw_err *e = split_host_port(addr, host, sizeof host, port, sizeof port);
    if (e) return e;
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE};
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(host[0] && strcmp(host, "*") ? host : NULL, port, &hints, &res);
    if (rc != 0) return gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "cannot resolve listen address '%s': %s", addr, gai_strerror(rc));
    int fd = -1, err = 0;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
        if (fd < 0) { err = errno; continue; }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, LISTEN_BACKLOG) == 0) break;
        err = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) return gw_err_new(GRPC_STATUS_UNAVAILABLE, "cannot listen on %s: %s", addr, strerror(err));
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    getsockname(fd, (struct sockaddr *)&ss, &sl);
    char ip[INET6_ADDRSTRLEN] = "?";
    unsigned p = 0;
    if (ss.ss_family == AF_INET) {
        inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, ip, sizeof ip);
        p = ntohs(((struct sockaddr_in *)&ss)->sin_port);
        snprintf(f->address, sizeof f->address, "%s:%u", ip, p);
    } else {
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, ip, sizeof ip);
        p = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
        snprintf(f->address, sizeof f->address, "[%s]:%u", ip, p);
    }
    f->listen_fd = fd;
    return NULL;
}

/* ------------------------------------------------------------------ the gateway's own endpoints */

static enum MHD_Result answer_static_json(struct MHD_Connection *conn, unsigned status, const char *json)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(json), (void *)json, MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    enum MHD_Result rc = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return rc;
}

/* Marks requests answered without an exchange (the request context must not be NULL after the
 * first call, or libmicrohttpd would treat the next invocation as a new request). */
static char ADMIN_REQUEST;

/* ------------------------------------------------------------------ dispatch */

/* A GET carrying Upgrade: websocket (the token may sit in a list). */
static bool is_websocket_handshake(struct MHD_Connection *conn, const char *method)
{
    if (strcmp(method, "GET") != 0) return false;
    const char *up = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_UPGRADE);
    return up && strcasestr(up, "websocket") != NULL;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **req_cls)
{
    http_front *f = cls;
    gateway *gw = f->gw;
    if (*req_cls == &ADMIN_REQUEST) {
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (*req_cls) return exchange_handle_request(*req_cls, upload_data, upload_data_size);

    /* First invocation: headers are in, the body (if any) is not. */
    if (strcmp(url, "/healthz") == 0 && !router_path_taken(gw->router, url)) {
        *req_cls = &ADMIN_REQUEST;
        return answer_static_json(conn, MHD_HTTP_OK, "{\"status\":\"SERVING\"}");
    }
    exchange *x;
    if (atomic_load(&gw->shutting_down)) {
        x = exchange_new_error(gw, conn, gw_err_new(GRPC_STATUS_UNAVAILABLE, "the gateway is shutting down"), NULL);
    } else {
        route_match m;
        memset(&m, 0, sizeof m);
        buf allow = BUF_INIT;
        bool websocket = is_websocket_handshake(conn, method);
        enum route_result rr;
        if (websocket) {
            /* A WebSocket opens with GET on the method's route, whatever verb the route has. Streams
             * are usually bound with POST, and a GET binding such as /v1/hello/{name} may match the
             * same path, so the POST binding is preferred, then GET, then any verb allowed. */
            rr = router_match(gw->router, "POST", url, strlen(url), &m, &allow);
            if (rr != ROUTE_FOUND) {
                buf_reset(&allow);
                rr = router_match(gw->router, "GET", url, strlen(url), &m, &allow);
            }
            if (rr == ROUTE_METHOD_NOT_ALLOWED) {
                char first[32];
                size_t n = strcspn((const char *)allow.data, ", ");
                if (n < sizeof first) {
                    memcpy(first, allow.data, n);
                    first[n] = 0;
                    buf_reset(&allow);
                    rr = router_match(gw->router, first, url, strlen(url), &m, &allow);
                }
            }
        } else {
            rr = router_match(gw->router, method, url, strlen(url), &m, &allow);
        }
        switch (rr) {
        case ROUTE_FOUND:
            x = websocket ? exchange_new_websocket(gw, conn, &m) : exchange_new(gw, conn, &m);
            break;
        case ROUTE_METHOD_NOT_ALLOWED:
            x = exchange_new_error(gw, conn,
                                   gw_err_new(GRPC_STATUS_UNIMPLEMENTED, "method %s is not allowed on %s", method, url),
                                   (const char *)allow.data);
            break;
        case ROUTE_BAD_PATH:
            x = exchange_new_error(gw, conn,
                                   gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "malformed percent-encoding in path %s", url), NULL);
            break;
        case ROUTE_NOT_FOUND:
        default:
            x = exchange_new_error(gw, conn, gw_err_new(GRPC_STATUS_NOT_FOUND, "no route for %s %s", method, url), NULL);
            break;
        }
        buf_free(&allow);
        route_match_free(&m);
    }
    *req_cls = x;
    return exchange_handle_request(x, upload_data, upload_data_size);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls, enum MHD_RequestTerminationCode toe)
{
    if (*req_cls && *req_cls != &ADMIN_REQUEST) exchange_completed(*req_cls, toe);
    *req_cls = NULL;
}

/* Paths are matched raw: percent-decoding follows the google.api.http rules in the router, and query
 * values are decoded by the binder, so libmicrohttpd must leave both untouched. */
static size_t keep_escaped(void *cls, struct MHD_Connection *c, char *s)
{
    return strlen(s);
}

static void log_mhd(void *cls, const char *fmt, va_list ap)
{
    fputs("grpc-json-gateway: http: ", stderr);
    vfprintf(stderr, fmt, ap);
}

gw_err *http_front_start(http_front **out, gateway *gw)
{
    http_front *f = calloc(1, sizeof *f);
    if (!f) abort();
    f->gw = gw;
    f->listen_fd = -1;
    gw_err *e = bind_listener(f, gw->config->listen);
    if (e) {
        free(f);
        return e;
    }
    const gw_config *c = gw->config;
    unsigned threads = c->http_threads;
    if (threads == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        threads = n > 0 ? (unsigned)n : 1;
    }
    unsigned idle_s = c->idle_timeout_us == DURATION_NONE ? 0 : (unsigned)(c->idle_timeout_us / 1000000);
    if (c->idle_timeout_us != DURATION_NONE && idle_s == 0) idle_s = 1;
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_ALLOW_UPGRADE | MHD_USE_ITC |
                     MHD_USE_ERROR_LOG;
    f->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, f,
        MHD_OPTION_EXTERNAL_LOGGER, log_mhd, f,
        MHD_OPTION_LISTEN_SOCKET, (MHD_socket)f->listen_fd,
        MHD_OPTION_THREAD_POOL_SIZE, threads,
        MHD_OPTION_CONNECTION_LIMIT, c->max_connections,
        MHD_OPTION_CONNECTION_TIMEOUT, idle_s,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, c->max_header_bytes,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, f,
        MHD_OPTION_UNESCAPE_CALLBACK, keep_escaped, f,
        MHD_OPTION_END);
    if (!f->daemon) {
        close(f->listen_fd);
        free(f);
        return gw_err_new(GRPC_STATUS_INTERNAL, "cannot start the HTTP server");
    }
    f->listen_fd = -1;   /* the daemon owns it now (until quiesced) */
    *out = f;
    return NULL;
}

const char *http_front_address(const http_front *f) { return f->address; }

void http_front_quiesce(http_front *f)
{
    MHD_socket s = MHD_quiesce_daemon(f->daemon);
    if (s != MHD_INVALID_SOCKET) {
        close(s);
        f->listen_fd = -1;
    }
}

void http_front_stop(http_front *f)
{
    if (!f) return;
    MHD_stop_daemon(f->daemon);
    if (f->listen_fd >= 0) close(f->listen_fd);
    free(f);
}
