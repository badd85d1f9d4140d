/* main.c: grpc-json-gateway start-up and shutdown: settings, descriptors, routes, the backend
 * channel, the HTTP front end, and the signals that stop them. */
#include <dlfcn.h>
#include <grpc/grpc.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "accesslog.h"
#include "admin.h"
#include "build-config.h"
#include "config.h"
#include "cors.h"
#include "descpool.h"
#include "evloop.h"
#include "exchange.h"
#include "gateway.h"
#include "grpc_timeout.h"
#include "http_front.h"
#include "metrics.h"
#include "openapi.h"
#include "router.h"
#include "transcode.h"
#include "upstream.h"

/* The greeter's descriptor set compiled into the program (gen/helloworld_desc.c): the default when
 * no --descriptor is given and the installed copy is missing (a build tree). */
extern const unsigned char gw_embedded_greeter_desc[];
extern const size_t gw_embedded_greeter_desc_len;

#define DEFAULT_DESCRIPTOR GW_PKGDATADIR "/helloworld.desc"
#define SHUTDOWN_RESUME_WAIT_MS 5000  /* time for cancelled calls to hand back their connections */

static void fatal(const char *what, gw_err *e, int code)
{
    fprintf(stderr, "grpc-json-gateway: %s: %s\n", what, e->message);
    gw_err_free(e);
    exit(code);
}

static descpool *load_descriptors(const gw_config *c)
{
    descpool *pool = descpool_new();
    gw_err *e = NULL;
    if (c->n_descriptors == 0) {
        if (access(DEFAULT_DESCRIPTOR, R_OK) == 0)
            e = descpool_add_file(pool, DEFAULT_DESCRIPTOR);
        else
            e = descpool_add_set(pool, gw_embedded_greeter_desc, gw_embedded_greeter_desc_len, "built-in greeter descriptors");
    }
    for (size_t i = 0; !e && i < c->n_descriptors; i++) e = descpool_add_file(pool, c->descriptors[i]);
    if (!e) e = descpool_finish(pool);
    if (e) fatal("descriptors", e, 2);
    return pool;
}

/* gRPC core locks with absl::Mutex, and Debian's absl build keeps the mutex deadlock detector on: a
 * lock-order graph updated on every lock, a few percent of the gateway's CPU. It is a debugging aid,
 * so it is turned off when the library offers the switch (looked up by name: it is a C++ function of
 * a versioned namespace; when absent, nothing changes). */
static void disable_absl_deadlock_detection(void)
{
    static const char *const NAMES[] = {
        "_ZN4absl7debian329SetMutexDeadlockDetectionModeENS0_15OnDeadlockCycleE",
        "_ZN4absl12lts_2022062329SetMutexDeadlockDetectionModeENS0_15OnDeadlockCycleE",
        "_ZN4absl29SetMutexDeadlockDetectionModeENS_15OnDeadlockCycleE",
    };
    for (size_t i = 0; i < sizeof NAMES / sizeof NAMES[0]; i++) {
        void (*set_mode)(int) = (void (*)(int))dlsym(RTLD_DEFAULT, NAMES[i]);
        if (set_mode) {
            set_mode(0);   /* absl::OnDeadlockCycle::kIgnore */
            return;
        }
    }
}

/* Every connection costs a descriptor (two for a call in flight, with the backend's shared ones
 * aside): take the hard limit rather than the usual soft 1024. */
static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static bool signal_pending(void)
{
    sigset_t pending;
    return sigpending(&pending) == 0 && (sigismember(&pending, SIGINT) || sigismember(&pending, SIGTERM));
}

/* Waits (polling every 10 ms) until done() or `limit_ms` passed; a second signal exits at once. */
static void wait_until(bool (*done)(void), long limit_ms)
{
    for (long waited = 0; !done() && waited < limit_ms; waited += 10) {
        if (signal_pending()) {
            fputs("grpc-json-gateway: second signal: exiting now\n", stderr);
            _exit(1);
        }
        sleep_ms(10);
    }
}

static bool unary_drained(void) { return exchange_unary_in_flight() == 0; }
static bool nothing_suspended(void) { return exchange_suspended_count() == 0 && admin_suspended_count() == 0; }
static bool no_exchange_left(void) { return exchange_live_count() == 0 && admin_suspended_count() == 0; }

/* The gateway's own endpoints as OpenAPI path items (when they share the API listener). */
static void admin_openapi_paths(const gw_config *c, buf *out)
{
    static const char STATUS_REF[] =
        "\"default\":{\"description\":\"An error\",\"content\":{\"application/json\":{\"schema\":"
        "{\"$ref\":\"#/components/schemas/google.rpc.Status\"}}}}";
    struct { const char *path, *id, *summary, *type; } items[] = {
        {c->health_path, "gateway_healthz", "Liveness of the gateway", "application/json"},
        {c->ready_path, "gateway_readyz", "Readiness: the backend answers its health check with SERVING (503 otherwise)",
         "application/json"},
        {c->metrics_path, "gateway_metrics", "Prometheus metrics (text exposition format 0.0.4)", "text/plain"},
        {c->openapi_path, "gateway_openapi", "This document", "application/json"},
    };
    buf_append_byte(out, '{');
    bool first = true;
    for (size_t i = 0; i < sizeof items / sizeof items[0]; i++) {
        if (!*items[i].path) continue;
        if (!first) buf_append_byte(out, ',');
        first = false;
        json_write_string(out, items[i].path, strlen(items[i].path));
        buf_printf(out, ":{\"get\":{\"operationId\":\"%s\",\"summary\":\"%s\",\"tags\":[\"gateway\"],"
                        "\"responses\":{\"200\":{\"description\":\"OK\",\"content\":{\"%s\":{\"schema\":{}}}},%s}}}",
                   items[i].id, items[i].summary, items[i].type, STATUS_REF);
    }
    buf_append_byte(out, '}');
    if (first) buf_reset(out);
}

/* The operations pieces: metrics, CORS, access log, OpenAPI document, admin path checks. */
static void setup_operations(gateway *gw, const gw_config *cfg)
{
    gw_err *e;
    if (!accesslog_parse_format(cfg->access_log, &gw->access_log))
        fatal("settings", gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "--access-log must be off, text or json, not '%s'", cfg->access_log), 2);
    if ((e = cors_new(&gw->cors, (const char *const *)cfg->cors_origins, cfg->n_cors_origins, CORS_DEFAULT_MAX_AGE_S)))
        fatal("--cors-origin", e, 2);
    if ((e = admin_check_paths(gw))) fatal("settings", e, 2);
    gw->metrics = metrics_new(gw->router);
    buf_init(&gw->openapi);
    buf admin_paths = BUF_INIT;
    if (!*cfg->admin_listen) admin_openapi_paths(cfg, &admin_paths);
    if ((e = openapi_render_with(gw->pool, gw->router, &cfg->json, admin_paths.len ? (const char *)admin_paths.data : NULL,
                                 &gw->openapi)))
        fatal("OpenAPI document", e, 1);
    buf_free(&admin_paths);
}

int main(int argc, char **argv)
{
    gw_config cfg;
    switch (config_load(&cfg, argc, argv)) {
    case CONFIG_RUN: break;
    case CONFIG_EXIT_OK: config_free(&cfg); return 0;
    case CONFIG_EXIT_USAGE: config_free(&cfg); return 2;
    }

    /* Signals are taken synchronously by the main thread; every thread started from here on
     * inherits the blocked mask. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    descpool *pool = load_descriptors(&cfg);
    router *routes = router_new();
    gw_err *e = router_add_pool(routes, pool);
    if (e) fatal("routes", e, 2);

    gateway gw = {.config = &cfg, .pool = pool, .router = routes};
    atomic_init(&gw.shutting_down, false);
    setup_operations(&gw, &cfg);

    disable_absl_deadlock_detection();
    grpc_init();
    raise_fd_limit();
    if ((e = evloop_start(&gw.evloop))) fatal("start-up", e, 1);
    if ((e = conn_guard_start(&gw.guard, gw.evloop, cfg.header_timeout_us, cfg.body_timeout_us))) fatal("start-up", e, 1);
    if ((e = upstream_start(&gw.upstream, &cfg, pool))) fatal("backend", e, 2);
    http_front *front = NULL, *admin = NULL;
    /* A bad setting (address, certificate) exits 2 like every other usage error; failing to bind is 1. */
    if ((e = http_front_start(&front, &gw, cfg.listen, false)))
        fatal("listen", e, e->code == GRPC_STATUS_INVALID_ARGUMENT ? 2 : 1);
    if (*cfg.admin_listen && (e = http_front_start(&admin, &gw, cfg.admin_listen, true)))
        fatal("admin listen", e, e->code == GRPC_STATUS_INVALID_ARGUMENT ? 2 : 1);

    if (!cfg.quiet) {
        fprintf(stderr, "grpc-json-gateway %s: %zu routes, backend %s%s\n", PACKAGE_VERSION, router_count(routes),
                cfg.backend, cfg.backend_tls ? " (TLS)" : "");
        if (admin) fprintf(stderr, "admin endpoints on %s\n", http_front_address(admin));
    }
    fprintf(stderr, "listening on %s\n", http_front_address(front));

    int sig = 0;
    sigwait(&sigs, &sig);
    if (!cfg.quiet) fprintf(stderr, "grpc-json-gateway: %s: draining\n", strsignal(sig));
    /* Readiness turns 503 at once, no new connections are taken, streams end with UNAVAILABLE,
     * unary calls in flight get up to --drain-timeout to finish; a second signal exits at once. */
    atomic_store(&gw.shutting_down, true);
    http_front_quiesce(front);
    if (admin) http_front_quiesce(admin);
    exchange_cancel_streams();
    long drain_ms = cfg.drain_timeout_us == DURATION_NONE ? 24L * 3600 * 1000 : (long)(cfg.drain_timeout_us / 1000);
    wait_until(unary_drained, drain_ms);
    exchange_cancel_all();
    wait_until(nothing_suspended, SHUTDOWN_RESUME_WAIT_MS);
    if (!nothing_suspended()) {
        fprintf(stderr, "grpc-json-gateway: connections still waiting after %d ms; exiting\n", SHUTDOWN_RESUME_WAIT_MS);
        _exit(1);
    }
    /* Let answered requests and WebSockets finish their last bytes (bounded). */
    wait_until(no_exchange_left, SHUTDOWN_RESUME_WAIT_MS);
    if (admin) http_front_stop(admin);
    http_front_stop(front);
    upstream_stop(gw.upstream);
    conn_guard_stop(gw.guard);
    evloop_stop(gw.evloop);
    grpc_shutdown();
    metrics_free(gw.metrics);
    cors_free(gw.cors);
    buf_free(&gw.openapi);
    router_free(routes);
    descpool_free(pool);
    config_free(&cfg);
    return 0;
}
