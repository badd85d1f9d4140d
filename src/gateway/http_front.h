/* http_front.h: the HTTP/1.1 front end on libmicrohttpd: the listening socket, the daemon (epoll with
 * a thread pool, suspend/resume), and the dispatch of each request to the gateway's own endpoints or
 * to an exchange. */
#ifndef GW_HTTP_FRONT_H
#define GW_HTTP_FRONT_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "gateway.h"

typedef struct http_front http_front;

/* Binds `addr` and starts serving: the API (and the admin endpoints unless --admin-listen moved them),
 * or, with `admin_only`, the admin endpoints alone. HTTPS when --tls-cert/--tls-key are set. */
gw_err *http_front_start(http_front **out, gateway *gw, const char *addr, bool admin_only);
/* The address actually bound, "HOST:PORT" (the real port when 0 was asked for). */
const char *http_front_address(const http_front *f);
/* Stops accepting new connections (shutdown, first step). */
void http_front_quiesce(http_front *f);
/* Stops the daemon. Every suspended connection must have been resumed first (libmicrohttpd aborts
 * otherwise): see exchange_cancel_all. */
void http_front_stop(http_front *f);

#endif
