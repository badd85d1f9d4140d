/* metrics.h: the gateway's counters, gauges and latency histograms, rendered in the Prometheus text
 * exposition format (version 0.0.4) for GET /metrics.
 *
 * Series (all names carry the grpc_json_gateway_ prefix):
 *   requests_total{route,code}            counter: requests answered, by route and HTTP status
 *   request_duration_seconds{route}       histogram: time from request start to the end of the answer
 *   request_bytes_total{route}            counter: request body bytes received
 *   response_bytes_total{route}           counter: response body bytes sent
 *   backend_errors_total{grpc_code}       counter: calls the backend ended with a status other than OK
 *   calls_in_flight                       gauge: requests being handled (exchanges alive)
 *   streams_open                          gauge: streaming calls whose response is in progress
 * `route` is "METHOD PATTERN" as in the route table ("POST /v1/hello"), or METRICS_UNROUTED for
 * requests that matched no route.
 *
 * Threads: metrics_new/metrics_free at start-up and shutdown; every other function from any thread at
 * any time. The hot-path calls (observe, *_add) are a handful of relaxed atomic adds on series
 * created up front: no lock, no allocation. Rendering reads the same atomics, so a scrape taken while
 * requests complete may see one request's counter before its histogram; each histogram's _count is
 * computed from its own buckets, so it always equals its +Inf bucket. */
#ifndef GW_METRICS_H
#define GW_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "router.h"

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define METRICS_UNROUTED "unrouted"   /* route label of requests no route matched */
#define METRICS_NO_CALL (-1)          /* grpc_code when the gateway answered without calling the backend */

typedef struct metrics metrics;

/* Creates the registry with a series set for every route of `r` (read now, not kept) plus one for
 * unrouted requests. `r` may be NULL (then only the unrouted set exists). */
metrics *metrics_new(const router *r);
void metrics_free(metrics *m);

/* Records one finished request. `r` is the matched route, or NULL when none matched (a route not
 * known at metrics_new counts as unrouted). `http_status` is the status sent; `grpc_code` is the
 * call's final gRPC status, or METRICS_NO_CALL; a code other than OK counts as a backend error.
 * `bytes_in`/`bytes_out` are the request and response body sizes. */
void metrics_observe(metrics *m, const route *r, unsigned http_status, int grpc_code, int64_t duration_us,
                     size_t bytes_in, size_t bytes_out);

/* Gauges: +1 when a request's exchange starts, -1 when it ends (and the same for streams). */
void metrics_inflight_add(metrics *m, int delta);
void metrics_streams_add(metrics *m, int delta);

/* Appends the whole exposition to `out` (serve it with METRICS_CONTENT_TYPE). */
void metrics_render(const metrics *m, buf *out);

/* Appends one counter family kept elsewhere (such as the upstream's), under the same prefix. */
void metrics_render_counter(buf *out, const char *name, const char *help, uint64_t value);

/* Appends `s` escaped as a Prometheus label value (backslash, double quote and newline escaped). */
void metrics_escape_label(buf *out, const char *s);

#endif
