/* response.h: what every HTTP response of the gateway carries besides its own headers (CORS), added
 * in one place whichever part of the gateway built the response. */
#ifndef GW_RESPONSE_H
#define GW_RESPONSE_H

#include <microhttpd.h>

#include "gateway.h"

/* Adds the headers common to all responses to `r` for the request on `conn`: with --cors-origin and
 * an allowed Origin, Access-Control-Allow-Origin, Vary and Access-Control-Expose-Headers naming the
 * response's headers (so call it after the response's own headers are set). libmicrohttpd thread. */
void response_finish(const gateway *gw, struct MHD_Connection *conn, struct MHD_Response *r);

/* The client's address as text ("" when unknown; IPv4-mapped IPv6 addresses as IPv4), for
 * x-forwarded-for and the access log. out must hold INET6_ADDRSTRLEN bytes. */
void peer_address_text(struct MHD_Connection *conn, char *out, size_t n);

/* A complete JSON (or `content_type`) response from a static or owned body, finished and queued. */
enum MHD_Result response_queue_static(const gateway *gw, struct MHD_Connection *conn, unsigned status,
                                      const char *content_type, const char *body);
enum MHD_Result response_queue_owned(const gateway *gw, struct MHD_Connection *conn, unsigned status,
                                     const char *content_type, buf *body);

#endif
