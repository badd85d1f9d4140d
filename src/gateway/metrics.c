/* metrics.c: the metrics registry and its Prometheus text rendering (see metrics.h). */
#include "metrics.h"

#include <inttypes.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "build-config.h"
#include "grpc_names.h"

#define PREFIX "grpc_json_gateway_"

/* The HTTP statuses the gateway answers with, each with its own counter per route; anything else is
 * counted under code="other". Kept short so that a route's counters stay a few cache lines. */
static const unsigned STATUS_CODES[] = {
    200, 204, 400, 401, 403, 404, 405, 406, 408, 409, 411, 412, 413, 414, 415,
    429, 431, 499, 500, 501, 502, 503, 504,
};
#define N_STATUS_CODES (sizeof STATUS_CODES / sizeof STATUS_CODES[0])
#define STATUS_OTHER N_STATUS_CODES           /* the slot of every status not in the table */
#define N_STATUS_SLOTS (N_STATUS_CODES + 1)
#define HTTP_STATUS_MAX 599

/* Latency buckets, from a cached answer on loopback (0.5 ms) to a slow backend near the default
 * deadline (10 s). Upper bounds in microseconds, with the `le` label text beside each. */
static const struct {
    int64_t upper_us;
    const char *le;
} BUCKETS[] = {
    {500, "0.0005"}, {1000, "0.001"}, {2500, "0.0025"}, {5000, "0.005"}, {10000, "0.01"},
    {25000, "0.025"}, {50000, "0.05"}, {100000, "0.1"}, {250000, "0.25"}, {500000, "0.5"},
    {1000000, "1"}, {2500000, "2.5"}, {5000000, "5"}, {10000000, "10"},
};
#define N_BUCKETS (sizeof BUCKETS / sizeof BUCKETS[0])

#define N_GRPC_CODES 17                       /* OK .. UNAUTHENTICATED */
#define GRPC_CODE_OTHER N_GRPC_CODES          /* any code outside 0..16 */

/* One route's series. Bucket counts are per bucket (not cumulative) so that an observation is one
 * add; rendering accumulates them. */
typedef struct route_series {
    const route *route;                       /* NULL for the unrouted set */
    char *label;                              /* the route label value, unescaped */
    atomic_uint_fast64_t by_status[N_STATUS_SLOTS];
    atomic_uint_fast64_t buckets[N_BUCKETS + 1];   /* the last one is +Inf only */
    atomic_uint_fast64_t sum_us;
    atomic_uint_fast64_t bytes_in;
    atomic_uint_fast64_t bytes_out;
} route_series;

struct metrics {
    size_t n_series;                          /* routes + 1; series[n_series - 1] is unrouted */
    route_series *series;
    /* Route pointer -> series index: open addressing, built once, read-only afterwards. */
    size_t table_mask;
    const route **table_keys;
    size_t *table_vals;
    atomic_uint_fast64_t backend_errors[N_GRPC_CODES + 1];
    atomic_long in_flight;
    atomic_long streams;
};

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    if (!p) abort();
    return p;
}

static size_t hash_ptr(const void *p, size_t mask)
{
    uint64_t h = (uint64_t)(uintptr_t)p;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return (size_t)h & mask;
}

static char *route_label(const route *r)
{
    size_t n = strlen(r->http_method) + 1 + strlen(r->pattern) + 1;
    char *s = malloc(n);
    if (!s) abort();
    strcpy(s, r->http_method);
    strcat(s, " ");
    strcat(s, r->pattern);
    return s;
}

static void series_init(route_series *s, const route *r, char *label)
{
    s->route = r;
    s->label = label;
    for (size_t i = 0; i < N_STATUS_SLOTS; i++) atomic_init(&s->by_status[i], 0);
    for (size_t i = 0; i <= N_BUCKETS; i++) atomic_init(&s->buckets[i], 0);
    atomic_init(&s->sum_us, 0);
    atomic_init(&s->bytes_in, 0);
    atomic_init(&s->bytes_out, 0);
}

metrics *metrics_new(const router *r)
{
    metrics *m = xcalloc(1, sizeof *m);
    size_t n_routes = r ? router_count(r) : 0;
    m->n_series = n_routes + 1;
    m->series = xcalloc(m->n_series, sizeof *m->series);
    size_t cap = 4;
    while (cap < 2 * m->n_series) cap *= 2;
    m->table_mask = cap - 1;
    m->table_keys = xcalloc(cap, sizeof *m->table_keys);
    m->table_vals = xcalloc(cap, sizeof *m->table_vals);
    for (size_t i = 0; i < n_routes; i++) {
        const route *rt = router_route(r, i);
        series_init(&m->series[i], rt, route_label(rt));
        size_t h = hash_ptr(rt, m->table_mask);
        while (m->table_keys[h]) h = (h + 1) & m->table_mask;
        m->table_keys[h] = rt;
        m->table_vals[h] = i;
    }
    char *unrouted = malloc(sizeof METRICS_UNROUTED);
    if (!unrouted) abort();
    memcpy(unrouted, METRICS_UNROUTED, sizeof METRICS_UNROUTED);
    series_init(&m->series[n_routes], NULL, unrouted);
    for (size_t i = 0; i <= N_GRPC_CODES; i++) atomic_init(&m->backend_errors[i], 0);
    atomic_init(&m->in_flight, 0);
    atomic_init(&m->streams, 0);
    return m;
}

void metrics_free(metrics *m)
{
    if (!m) return;
    for (size_t i = 0; i < m->n_series; i++) free(m->series[i].label);
    free(m->series);
    free(m->table_keys);
    free(m->table_vals);
    free(m);
}

/* ------------------------------------------------------------------ hot path (any thread) */

static route_series *series_of(metrics *m, const route *r)
{
    if (r) {
        for (size_t h = hash_ptr(r, m->table_mask); m->table_keys[h]; h = (h + 1) & m->table_mask)
            if (m->table_keys[h] == r) return &m->series[m->table_vals[h]];
    }
    return &m->series[m->n_series - 1];
}

static size_t status_slot(unsigned status)
{
    /* The table is short and sorted: a binary search touches at most five entries. */
    size_t lo = 0, hi = N_STATUS_CODES;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (STATUS_CODES[mid] == status) return mid;
        if (STATUS_CODES[mid] < status) lo = mid + 1;
        else hi = mid;
    }
    return STATUS_OTHER;
}

static size_t bucket_of(int64_t us)
{
    size_t i = 0;
    while (i < N_BUCKETS && us > BUCKETS[i].upper_us) i++;
    return i;
}

#define ADD(counter, n) atomic_fetch_add_explicit(&(counter), (n), memory_order_relaxed)

void metrics_observe(metrics *m, const route *r, unsigned http_status, int grpc_code, int64_t duration_us,
                     size_t bytes_in, size_t bytes_out)
{
    route_series *s = series_of(m, r);
    if (duration_us < 0) duration_us = 0;
    ADD(s->by_status[status_slot(http_status)], 1);
    ADD(s->buckets[bucket_of(duration_us)], 1);
    ADD(s->sum_us, (uint_fast64_t)duration_us);
    if (bytes_in) ADD(s->bytes_in, bytes_in);
    if (bytes_out) ADD(s->bytes_out, bytes_out);
    if (grpc_code != METRICS_NO_CALL && grpc_code != 0)
        ADD(m->backend_errors[grpc_code > 0 && grpc_code < N_GRPC_CODES ? (size_t)grpc_code : GRPC_CODE_OTHER], 1);
}

void metrics_inflight_add(metrics *m, int delta) { atomic_fetch_add_explicit(&m->in_flight, delta, memory_order_relaxed); }

void metrics_streams_add(metrics *m, int delta) { atomic_fetch_add_explicit(&m->streams, delta, memory_order_relaxed); }

/* ------------------------------------------------------------------ rendering */

#define LOAD(counter) ((uint64_t)atomic_load_explicit(&(counter), memory_order_relaxed))

void metrics_escape_label(buf *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\') buf_append_str(out, "\\\\");
        else if (*s == '"') buf_append_str(out, "\\\"");
        else if (*s == '\n') buf_append_str(out, "\\n");
        else buf_append_byte(out, (uint8_t)*s);
    }
}

static void family(buf *out, const char *name, const char *type, const char *help)
{
    buf_printf(out, "# HELP " PREFIX "%s %s\n# TYPE " PREFIX "%s %s\n", name, help, name, type);
}

void metrics_render_counter(buf *out, const char *name, const char *help, uint64_t value)
{
    family(out, name, "counter", help);
    buf_printf(out, PREFIX "%s %" PRIu64 "\n", name, value);
}

static void route_label_pair(buf *out, const route_series *s)
{
    buf_append_str(out, "route=\"");
    metrics_escape_label(out, s->label);
    buf_append_byte(out, '"');
}

static void render_seconds(buf *out, uint64_t us)
{
    buf_printf(out, "%" PRIu64 ".%06" PRIu64, us / 1000000, us % 1000000);
}

void metrics_render(const metrics *m, buf *out)
{
    family(out, "requests_total", "counter", "HTTP requests answered, by route and HTTP status code.");
    for (size_t i = 0; i < m->n_series; i++) {
        const route_series *s = &m->series[i];
        for (size_t k = 0; k < N_STATUS_SLOTS; k++) {
            uint64_t v = LOAD(s->by_status[k]);
            if (!v) continue;   /* a (route, code) series appears once it has happened */
            buf_append_str(out, PREFIX "requests_total{");
            route_label_pair(out, s);
            if (k == STATUS_OTHER) buf_append_str(out, ",code=\"other\"}");
            else buf_printf(out, ",code=\"%u\"}", STATUS_CODES[k]);
            buf_printf(out, " %" PRIu64 "\n", v);
        }
    }

    family(out, "request_duration_seconds", "histogram",
           "Time from the start of a request to the end of its response, by route.");
    for (size_t i = 0; i < m->n_series; i++) {
        const route_series *s = &m->series[i];
        uint64_t cumulative = 0;
        for (size_t b = 0; b <= N_BUCKETS; b++) {
            cumulative += LOAD(s->buckets[b]);
            buf_append_str(out, PREFIX "request_duration_seconds_bucket{");
            route_label_pair(out, s);
            buf_printf(out, ",le=\"%s\"} %" PRIu64 "\n", b < N_BUCKETS ? BUCKETS[b].le : "+Inf", cumulative);
        }
        buf_append_str(out, PREFIX "request_duration_seconds_sum{");
        route_label_pair(out, s);
        buf_append_str(out, "} ");
        render_seconds(out, LOAD(s->sum_us));
        buf_append_str(out, "\n" PREFIX "request_duration_seconds_count{");
        route_label_pair(out, s);
        buf_printf(out, "} %" PRIu64 "\n", cumulative);
    }

    family(out, "request_bytes_total", "counter", "Request body bytes received, by route.");
    for (size_t i = 0; i < m->n_series; i++) {
        buf_append_str(out, PREFIX "request_bytes_total{");
        route_label_pair(out, &m->series[i]);
        buf_printf(out, "} %" PRIu64 "\n", LOAD(m->series[i].bytes_in));
    }
    family(out, "response_bytes_total", "counter", "Response body bytes sent, by route.");
    for (size_t i = 0; i < m->n_series; i++) {
        buf_append_str(out, PREFIX "response_bytes_total{");
        route_label_pair(out, &m->series[i]);
        buf_printf(out, "} %" PRIu64 "\n", LOAD(m->series[i].bytes_out));
    }

    family(out, "backend_errors_total", "counter", "Backend calls that ended with a gRPC status other than OK, by code.");
    for (size_t k = 1; k <= N_GRPC_CODES; k++) {
        uint64_t v = LOAD(m->backend_errors[k]);
        if (!v) continue;
        const char *name = k == GRPC_CODE_OTHER ? grpc_status_name((grpc_status_code)-1)
                                                : grpc_status_name((grpc_status_code)k);
        buf_printf(out, PREFIX "backend_errors_total{grpc_code=\"%s\"} %" PRIu64 "\n", name, v);
    }

    family(out, "calls_in_flight", "gauge", "Requests being handled right now.");
    buf_printf(out, PREFIX "calls_in_flight %ld\n", atomic_load_explicit(&m->in_flight, memory_order_relaxed));
    family(out, "streams_open", "gauge", "Streaming calls whose response is in progress.");
    buf_printf(out, PREFIX "streams_open %ld\n", atomic_load_explicit(&m->streams, memory_order_relaxed));

    family(out, "build_info", "gauge", "Always 1; the version label names the running build.");
    buf_printf(out, PREFIX "build_info{version=\"");
    metrics_escape_label(out, PACKAGE_VERSION);
    buf_append_str(out, "\"} 1\n");
}
