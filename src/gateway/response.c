/* response.c: headers common to every response, and queueing of simple responses (see response.h). */
#include "response.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cors.h"

typedef struct expose_scan {
    buf list;
} expose_scan;

static enum MHD_Result collect_name(void *cls, enum MHD_ValueKind kind, const char *name, const char *value)
{
    if (kind == MHD_HEADER_KIND) cors_expose_add(&((expose_scan *)cls)->list, name);
    return MHD_YES;
}

static void add_header(void *cls, const char *name, const char *value)
{
    MHD_add_response_header(cls, name, value);
}

void response_finish(const gateway *gw, struct MHD_Connection *conn, struct MHD_Response *r)
{
    if (!cors_enabled(gw->cors)) return;
    const char *origin = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin");
    if (!origin) return;
    expose_scan s = {BUF_INIT};
    MHD_get_response_headers(r, collect_name, &s);
    cors_response_headers(gw->cors, origin, s.list.data ? (const char *)s.list.data : "", add_header, r);
    buf_free(&s.list);
}

enum MHD_Result response_queue_static(const gateway *gw, struct MHD_Connection *conn, unsigned status,
                                      const char *content_type, const char *body)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    response_finish(gw, conn, r);
    enum MHD_Result rc = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return rc;
}

enum MHD_Result response_queue_owned(const gateway *gw, struct MHD_Connection *conn, unsigned status,
                                     const char *content_type, buf *body)
{
    size_t len;
    uint8_t *data = buf_steal(body, &len);
    struct MHD_Response *r = MHD_create_response_from_buffer_with_free_callback(len, data, free);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    response_finish(gw, conn, r);
    enum MHD_Result rc = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return rc;
}

/* Dotted-quad text of four address bytes. inet_ntop does the same through sprintf, which cost a
 * noticeable share of the gateway's own work per request (the peer goes into x-forwarded-for). */
static void ipv4_text(const uint8_t a[4], char *out, size_t n)
{
    char text[INET_ADDRSTRLEN];
    size_t len = 0;
    for (int i = 0; i < 4; i++) {
        unsigned v = a[i];
        if (i) text[len++] = '.';
        if (v >= 100) text[len++] = (char)('0' + v / 100);
        if (v >= 10) text[len++] = (char)('0' + v / 10 % 10);
        text[len++] = (char)('0' + v % 10);
    }
    text[len] = 0;
    if (len < n) memcpy(out, text, len + 1);
}

void peer_address_text(struct MHD_Connection *conn, char *out, size_t n)
{
    out[0] = 0;
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (!ci || !ci->client_addr) return;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET) {
        ipv4_text((const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr, out, n);
    } else if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(a)) ipv4_text(&a->s6_addr[12], out, n);
        else inet_ntop(AF_INET6, a, out, (socklen_t)n);
    }
}
