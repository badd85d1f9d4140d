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
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "accesslog.h"
#include "admin.h"
#include "conn_guard.h"
#include "cors.h"
#include "exchange.h"
#include "grpc_timeout.h"
#include "metrics.h"
#include "pem_file.h"
#include "response.h"
#include "router.h"

#define LISTEN_BACKLOG 4096

struct http_front {
    gateway *gw;
    bool is_admin;                    /* the --admin-listen listener: admin endpoints only */
    struct MHD_Daemon *daemon;
    int listen_fd;
    char address[128];
    char *tls_cert, *tls_key;         /* PEM text handed to libmicrohttpd (it keeps pointers) */
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

/* ------------------------------------------------------------------ per-request bookkeeping */

/* What the front end keeps about every request: which handler owns it, and what the access log
 * and the metrics need once it is over. Allocated on the first invocation, freed at completion. */
typedef struct front_request {
    bool dispatched;                  /* the first access-handler invocation happened */
    size_t target_len;                /* the request target as received (path and query) */
    char *target;                     /* its copy for the access log (only when logging), cut short */
    exchange *x;                      /* an API request (or one refused by the gateway) */
    admin_request *a;                 /* one of the gateway's own endpoints */
    unsigned status;                  /* answered here directly (CORS preflight) */
    const char *method;               /* libmicrohttpd's copy, valid until completion */
    const char *url;
    struct timespec arrived;          /* CLOCK_REALTIME, for the log */
    struct timespec started;          /* CLOCK_MONOTONIC, for the duration */
} front_request;

static void add_header(void *cls, const char *name, const char *value)
{
    MHD_add_response_header(cls, name, value);
}

/* A CORS preflight (OPTIONS with Origin and Access-Control-Request-Method), answered here. */
static enum MHD_Result answer_preflight(http_front *f, front_request *fr, struct MHD_Connection *conn,
                                        const char *url, const char *origin, const char *req_method)
{
    route_match m;
    memset(&m, 0, sizeof m);
    buf allow = BUF_INIT;
    enum route_result rr = router_match(f->gw->router, "OPTIONS", url, strlen(url), &m, &allow);
    route_match_free(&m);
    const char *req_headers = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Access-Control-Request-Headers");
    struct MHD_Response *r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    enum cors_preflight verdict = CORS_PREFLIGHT_DENIED;
    if (rr == ROUTE_METHOD_NOT_ALLOWED)
        verdict = cors_preflight_headers(f->gw->cors, origin, req_method, req_headers, (const char *)allow.data,
                                         add_header, r);
    buf_free(&allow);
    fr->status = verdict == CORS_PREFLIGHT_ALLOWED ? MHD_HTTP_NO_CONTENT : MHD_HTTP_FORBIDDEN;
    enum MHD_Result rc = MHD_queue_response(conn, fr->status, r);
    MHD_destroy_response(r);
    return rc;
}

/* ------------------------------------------------------------------ dispatch */

/* A GET carrying Upgrade: websocket (the token may sit in a list). */
static bool is_websocket_handshake(struct MHD_Connection *conn, const char *method)
{
    if (strcmp(method, "GET") != 0) return false;
    const char *up = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_UPGRADE);
    return up && strcasestr(up, "websocket") != NULL;
}

/* What the checks of a request head look at, in one pass over the headers. */
typedef struct head_scan {
    unsigned count;
    size_t bytes;
    unsigned content_length;          /* Content-Length headers seen */
    const char *first_length;
    bool lengths_differ;
    unsigned transfer_encoding;       /* Transfer-Encoding headers seen */
    bool te_not_chunked;
    bool bad_name;                    /* a header name that is not an HTTP token */
    bool not_as_sent;                 /* a header that is not the line the client sent (see below) */
    const char *prev_end;             /* the end of the previous header's value */
    size_t max_gap;                   /* the most bytes that can separate two header lines */
} head_scan;

/* libmicrohttpd 0.9.75 parses the head in place: each header line stays where it arrived, the
 * colon and the line end overwritten with NULs, so a header's value follows its name after blanks,
 * and the next header follows the value after the NULs of the line end (and any trailing blanks).
 * Two of its readings break that layout, and the layout is how the gateway detects them:
 * - a folded continuation line (obs-fold) is appended to the header's NAME, which is copied
 *   elsewhere in the pool: "Transfer-Encodin: chunked" folded with " g" would be read as
 *   Transfer-Encoding, a framing header that a proxy in front never saw;
 * - a NUL inside a value ends the value there, and the rest of the line would vanish unseen.
 * RFC 9112 5.2 and RFC 9110 5.5 allow refusing both; the gateway answers 400. Later libmicrohttpd
 * versions parse differently, so the check is for the versions that behave so. */
#define HEAD_PARSED_IN_PLACE (MHD_VERSION <= 0x00097500)

static bool only_blanks_or_nuls(const char *from, const char *to, size_t max_gap)
{
    if (to < from || (size_t)(to - from) > max_gap) return false;
    for (const char *p = from; p < to; p++)
        if (*p != '\0' && *p != ' ' && *p != '\t') return false;
    return true;
}

static void check_layout(head_scan *h, const char *name, size_t name_len, const char *value, size_t value_len)
{
    if (!HEAD_PARSED_IN_PLACE || !value) return;
    /* the previous line ends (at least one NUL) before this name begins */
    if (h->prev_end && (name <= h->prev_end || !only_blanks_or_nuls(h->prev_end, name, h->max_gap)))
        h->not_as_sent = true;
    /* the value follows the name's NUL (the colon) after blanks */
    if (!only_blanks_or_nuls(name + name_len + 1, value, h->max_gap)) h->not_as_sent = true;
    h->prev_end = value + value_len;
}

static bool is_token_char(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

static enum MHD_Result scan_head(void *cls, enum MHD_ValueKind kind, const char *name, size_t name_len,
                                  const char *value, size_t value_len)
{
    head_scan *h = cls;
    h->count++;
    h->bytes += name_len + value_len + 4;   /* ": " and CRLF */
    /* A NUL inside a name or value: libmicrohttpd's C strings would stop at it, and what follows it
     * would vanish silently (RFC 9110 5.5: reject). */
    if (!*name || strlen(name) != name_len || (value && strlen(value) != value_len)) h->bad_name = true;
    check_layout(h, name, name_len, value, value_len);
    for (const char *p = name; *p; p++)
        if (!is_token_char((unsigned char)*p)) h->bad_name = true;
    if (strcasecmp(name, "Content-Length") == 0) {
        if (h->content_length++ && strcmp(h->first_length, value ? value : "") != 0) h->lengths_differ = true;
        if (h->content_length == 1) h->first_length = value ? value : "";
    } else if (strcasecmp(name, "Transfer-Encoding") == 0) {
        h->transfer_encoding++;
        if (!value || strcasecmp(value, "chunked") != 0) h->te_not_chunked = true;
    }
    return MHD_YES;
}

/* Refuses a request head that is over a limit (414, 431) or whose framing is ambiguous, which a
 * proxy must never guess at (RFC 9112 section 6.3: request smuggling): both Content-Length and
 * Transfer-Encoding, Content-Lengths that disagree, a transfer coding other than chunked (501), a
 * header name that is not a token. libmicrohttpd would pick one reading; the gateway answers
 * before reading the body, and the connection closes. NULL when the head is acceptable. */
static gw_err *check_request_head(const gw_config *c, struct MHD_Connection *conn, size_t url_bytes)
{
    if (url_bytes > c->max_url_bytes)
        return gw_err_http(gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "request target of %zu bytes exceeds the limit of %zu",
                                      url_bytes, c->max_url_bytes),
                           MHD_HTTP_URI_TOO_LONG);
    head_scan h;
    memset(&h, 0, sizeof h);
    h.max_gap = c->max_header_bytes + MHD_POOL_HEADROOM;
    MHD_get_connection_values_n(conn, MHD_HEADER_KIND, scan_head, &h);
    /* after the last value: the NUL of its line end, then a NUL of that line end or of the empty line */
    if (HEAD_PARSED_IN_PLACE && h.prev_end && (h.prev_end[0] != '\0' || h.prev_end[1] != '\0')) h.not_as_sent = true;
    if (h.count > c->max_header_count)
        return gw_err_http(gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "%u request headers exceed the limit of %u", h.count,
                                      c->max_header_count),
                           MHD_HTTP_REQUEST_HEADER_FIELDS_TOO_LARGE);
    if (h.bytes + url_bytes > c->max_header_bytes)
        return gw_err_http(gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "request head of %zu bytes exceeds the limit of %zu",
                                      h.bytes + url_bytes, c->max_header_bytes),
                           MHD_HTTP_REQUEST_HEADER_FIELDS_TOO_LARGE);
    if (h.bad_name)
        return gw_err_http(gw_err_new(GRPC_STATUS_INVALID_ARGUMENT,
                                      "a request header name is not an HTTP token, or a header holds a NUL byte"),
                           MHD_HTTP_BAD_REQUEST);
    if (h.not_as_sent)
        return gw_err_http(gw_err_new(GRPC_STATUS_INVALID_ARGUMENT,
                                      "a folded header line (obs-fold) or a NUL byte in a header value"),
                           MHD_HTTP_BAD_REQUEST);
    if (h.content_length && h.transfer_encoding)
        return gw_err_http(gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "both Content-Length and Transfer-Encoding"),
                           MHD_HTTP_BAD_REQUEST);
    if (h.lengths_differ)
        return gw_err_http(gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "Content-Length headers that disagree"),
                           MHD_HTTP_BAD_REQUEST);
    if (h.transfer_encoding > 1 || h.te_not_chunked)
        return gw_err_http(gw_err_new(GRPC_STATUS_UNIMPLEMENTED, "only Transfer-Encoding: chunked is supported"),
                           MHD_HTTP_NOT_IMPLEMENTED);
    return NULL;
}

/* The path of a request target in absolute form ("http://host/v1/hello", which HTTP/1.1 servers
 * must accept, RFC 9112 3.2.2); any other target is returned as it is. */
static const char *origin_form(const char *url)
{
    size_t scheme = strncasecmp(url, "http://", 7) == 0 ? 7 : strncasecmp(url, "https://", 8) == 0 ? 8 : 0;
    if (!scheme) return url;
    const char *path = strchr(url + scheme, '/');
    return path ? path : "/";
}

/* Routes an API request to a new exchange (or to one that will answer the routing error). */
static exchange *route_request(gateway *gw, struct MHD_Connection *conn, const char *url, const char *method,
                               size_t target_len)
{
    if (atomic_load(&gw->shutting_down))
        return exchange_new_error(gw, conn, gw_err_new(GRPC_STATUS_UNAVAILABLE, "the gateway is shutting down"), NULL);
    if (exchange_live_count() >= gw->config->max_inflight)
        return exchange_new_overloaded(gw, conn, "too many requests in flight");
    gw_err *bad_head = check_request_head(gw->config, conn, target_len);
    if (bad_head) return exchange_new_refused(gw, conn, bad_head);
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
    exchange *x;
    switch (rr) {
    case ROUTE_FOUND:
        x = websocket ? exchange_new_websocket(gw, conn, &m) : exchange_new(gw, conn, &m);
        break;
    case ROUTE_METHOD_NOT_ALLOWED:
        x = exchange_new_error(gw, conn, gw_err_new(GRPC_STATUS_UNIMPLEMENTED, "method %s is not allowed on %s", method, url),
                               (const char *)allow.data);
        break;
    case ROUTE_BAD_PATH:
        x = exchange_new_error(gw, conn, gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "malformed percent-encoding in path %s", url),
                               NULL);
        break;
    case ROUTE_NOT_FOUND:
    default:
        x = exchange_new_error(gw, conn, gw_err_new(GRPC_STATUS_NOT_FOUND, "no route for %s %s", method, url), NULL);
        break;
    }
    buf_free(&allow);
    route_match_free(&m);
    return x;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **req_cls)
{
    http_front *f = cls;
    gateway *gw = f->gw;
    front_request *fr = *req_cls;   /* made by on_uri */
    if (fr->dispatched) {
        if (fr->x) return exchange_handle_request(fr->x, upload_data, upload_data_size);
        if (fr->a) return admin_handle_request(fr->a, method, upload_data_size);
        *upload_data_size = 0;    /* answered already (preflight): the body is ignored */
        return MHD_YES;
    }

    /* First invocation: headers are in, the body (if any) is not. */
    fr->dispatched = true;
    url = origin_form(url);
    fr->method = method;
    fr->url = url;
    const union MHD_ConnectionInfo *sc = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    guarded_conn *gc = sc ? sc->socket_context : NULL;

    enum admin_endpoint e = (f->is_admin || !*gw->config->admin_listen) ? admin_lookup(gw, url) : ADMIN_NONE;
    if (e != ADMIN_NONE) {
        conn_guard_request_started(gc, NULL, NULL, false);
        fr->a = admin_request_new(gw, conn, e);
        return admin_handle_request(fr->a, method, upload_data_size);
    }
    if (f->is_admin) {
        conn_guard_request_started(gc, NULL, NULL, false);
        fr->status = MHD_HTTP_NOT_FOUND;
        return response_queue_static(gw, conn, MHD_HTTP_NOT_FOUND, "application/json",
                                     "{\"code\":5,\"message\":\"not an admin endpoint\",\"details\":[]}");
    }
    if (cors_enabled(gw->cors) && strcmp(method, "OPTIONS") == 0) {
        const char *origin = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin");
        const char *req_method = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Access-Control-Request-Method");
        if (cors_is_preflight(method, origin, req_method)) {
            conn_guard_request_started(gc, NULL, NULL, false);
            return answer_preflight(f, fr, conn, url, origin, req_method);
        }
    }
    fr->x = route_request(gw, conn, url, method, fr->target_len);
    conn_guard_request_started(gc, exchange_client_gone, fr->x, exchange_attach_guard(fr->x, gc));
    return exchange_handle_request(fr->x, upload_data, upload_data_size);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls, enum MHD_RequestTerminationCode toe)
{
    http_front *f = cls;
    gateway *gw = f->gw;
    front_request *fr = *req_cls;
    *req_cls = NULL;
    if (!fr) return;
    const union MHD_ConnectionInfo *sc = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    if (sc && sc->socket_context) conn_guard_request_done(sc->socket_context);
    if (!fr->dispatched) {
        /* The request ended before its headers were complete (a malformed head, or a client that
         * left): libmicrohttpd answered (or closed) by itself. */
        free(fr->target);
        free(fr);
        return;
    }
    exchange_outcome o = {.grpc_code = -1};
    if (fr->x) {
        exchange_get_outcome(fr->x, &o);
        exchange_completed(fr->x, toe);
    } else if (fr->a) {
        o.http_status = admin_request_status(fr->a);
        o.bytes_out = admin_request_bytes_out(fr->a);
        admin_request_completed(fr->a);
    } else {
        o.http_status = fr->status;
    }
    /* A client that left before its answer: logged as 499 (client closed request), as nginx does. */
    if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK && !o.streamed && !o.answered &&
        toe != MHD_REQUEST_TERMINATED_DAEMON_SHUTDOWN)
        o.http_status = 499;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    int64_t us = (int64_t)(now.tv_sec - fr->started.tv_sec) * 1000000 + (now.tv_nsec - fr->started.tv_nsec) / 1000;
    if (!fr->a) metrics_observe(gw->metrics, o.route, o.http_status, o.grpc_code, us, o.bytes_in, o.bytes_out);
    if (gw->access_log != ACCESSLOG_OFF) {
        char peer[INET6_ADDRSTRLEN];
        peer_address_text(conn, peer, sizeof peer);
        access_record rec = {.time = fr->arrived, .peer = peer[0] ? peer : NULL, .method = fr->method,
                             .target = fr->target, .http_status = o.http_status, .grpc_code = o.grpc_code,
                             .duration_us = us, .bytes_in = o.bytes_in, .bytes_out = o.bytes_out};
        accesslog_write(STDOUT_FILENO, gw->access_log, &rec);
    }
    free(fr->target);
    free(fr);
}

/* The start of every request, with its target exactly as received (before any parsing): the
 * front end's bookkeeping begins here and ends in on_completed. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    http_front *f = cls;
    front_request *fr = calloc(1, sizeof *fr);
    if (!fr) abort();
    fr->target_len = strlen(uri);
    if (f->gw->access_log != ACCESSLOG_OFF) {
        fr->target = strndup(uri, ACCESSLOG_MAX_TARGET_BYTES + 1);
        clock_gettime(CLOCK_REALTIME, &fr->arrived);
    }
    clock_gettime(CLOCK_MONOTONIC, &fr->started);
    return fr;
}

/* Connections open and close (libmicrohttpd thread): the slow-request guard follows them. */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context, enum MHD_ConnectionNotificationCode code)
{
    http_front *f = cls;
    if (!f->gw->guard) return;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        *socket_context = ci ? conn_guard_open(f->gw->guard, ci->connect_fd) : NULL;
    } else if (*socket_context) {
        conn_guard_close(f->gw->guard, *socket_context);
        *socket_context = NULL;
    }
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

/* The PEM text of --tls-cert or --tls-key: pem_file_read refuses an unreadable, empty, oversized or
 * non-PEM file (a directory or /dev/zero too) with a message naming it. */
static gw_err *read_pem(const char *path, char **out)
{
    char why[512];
    if (!pem_file_read(path, out, why, sizeof why)) return gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "%s", why);
    return NULL;
}

gw_err *http_front_start(http_front **out, gateway *gw, const char *addr, bool admin_only)
{
    http_front *f = calloc(1, sizeof *f);
    if (!f) abort();
    f->gw = gw;
    f->is_admin = admin_only;
    f->listen_fd = -1;
    const gw_config *c = gw->config;
    gw_err *e = NULL;
    bool tls = *c->tls_cert || *c->tls_key;
    if (tls && (!*c->tls_cert || !*c->tls_key))
        e = gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "--tls-cert and --tls-key go together");
    if (!e && tls) e = read_pem(c->tls_cert, &f->tls_cert);
    if (!e && tls) e = read_pem(c->tls_key, &f->tls_key);
    if (!e) e = bind_listener(f, addr);
    if (e) {
        free(f->tls_cert);
        free(f->tls_key);
        free(f);
        return e;
    }
    unsigned threads = c->http_threads;
    if (threads == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        threads = n > 0 ? (unsigned)n : 1;
    }
    if (admin_only) threads = 1;
    /* A pool of one thread is what the daemon's own thread is: libmicrohttpd warns about it. */
    unsigned pool_threads = threads > 1 ? threads : 0;
    unsigned idle_s = c->idle_timeout_us == DURATION_NONE ? 0 : (unsigned)(c->idle_timeout_us / 1000000);
    if (c->idle_timeout_us != DURATION_NONE && idle_s == 0) idle_s = 1;
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_ALLOW_UPGRADE | MHD_USE_ITC |
                     MHD_USE_ERROR_LOG | (tls ? MHD_USE_TLS : 0);
    /* Options that are there or not: the thread pool, the certificate and key. */
    struct MHD_OptionItem extra[4];
    size_t n_extra = 0;
    if (pool_threads) extra[n_extra++] = (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE, pool_threads, NULL};
    if (tls) {
        extra[n_extra++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, f->tls_cert};
        extra[n_extra++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, f->tls_key};
    }
    extra[n_extra] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    f->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, f,
        MHD_OPTION_EXTERNAL_LOGGER, log_mhd, f,
        MHD_OPTION_LISTEN_SOCKET, (MHD_socket)f->listen_fd,
        MHD_OPTION_CONNECTION_LIMIT, c->max_connections,
        MHD_OPTION_CONNECTION_TIMEOUT, idle_s,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, c->max_header_bytes + MHD_POOL_HEADROOM,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, f,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, f,
        MHD_OPTION_URI_LOG_CALLBACK, on_uri, f,
        MHD_OPTION_STRICT_FOR_CLIENT, (int)1,    /* HTTP/1.1 needs Host; no spaces in the target */
        MHD_OPTION_UNESCAPE_CALLBACK, keep_escaped, f,
        MHD_OPTION_ARRAY, extra,
        MHD_OPTION_END);
    if (!f->daemon) {
        close(f->listen_fd);
        free(f->tls_cert);
        free(f->tls_key);
        free(f);
        return gw_err_new(GRPC_STATUS_INTERNAL, tls ? "cannot start the HTTPS server (check the certificate and key)"
                                                    : "cannot start the HTTP server");
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
    free(f->tls_cert);
    free(f->tls_key);
    free(f);
}
