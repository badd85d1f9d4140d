/* gateway.h: the context every request shares: settings, descriptors, routes, the backend channel
 * and the side event loop. Built at start-up by main.c and read-only afterwards (the counters in
 * `stats` are atomics), so every thread uses it without locks. */
#ifndef GW_GATEWAY_H
#define GW_GATEWAY_H

#include <stdatomic.h>
#include <stdbool.h>

#include "config.h"
#include "descpool.h"
#include "evloop.h"
#include "router.h"
#include "upstream.h"

typedef struct gateway {
    const gw_config *config;
    const descpool *pool;
    const router *router;
    upstream *upstream;
    evloop *evloop;
    atomic_bool shutting_down;        /* set once by the signal handling in main.c */
} gateway;

#endif
