/* gateway.h: the context every request shares: settings, descriptors, routes, the backend channel
 * and the side event loop. Built at start-up by main.c and read-only afterwards (the counters in
 * `stats` are atomics), so every thread uses it without locks. */
#ifndef GW_GATEWAY_H
#define GW_GATEWAY_H

#include <stdatomic.h>
#include <stdbool.h>

#include "accesslog.h"
#include "buf.h"
#include "config.h"
#include "conn_guard.h"
#include "cors.h"
#include "descpool.h"
#include "metrics.h"
#include "evloop.h"
#include "router.h"
#include "upstream.h"

/* libmicrohttpd keeps the request head, its read buffer and the response head in one per-connection
 * pool of --max-header-bytes plus this: the response head (and the gateway's own 431, for a request
 * head near the limit) needs the room. */
#define MHD_POOL_HEADROOM (2 * 1024)

typedef struct gateway {
    const gw_config *config;
    const descpool *pool;
    const router *router;
    upstream *upstream;
    evloop *evloop;
    conn_guard *guard;                /* slow-request guard of the API listener's connections */
    metrics *metrics;
    cors *cors;                       /* disabled policy when no --cors-origin */
    enum accesslog_format access_log;
    buf openapi;                      /* the OpenAPI document, rendered at start-up */
    atomic_bool shutting_down;        /* set once by the signal handling in main.c */
} gateway;

#endif
