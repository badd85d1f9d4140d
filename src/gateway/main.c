/* main.c: grpc-json-gateway start-up and shutdown: settings, descriptors, routes, the backend
 * channel, the HTTP front end, and the signals that stop them. */
#include <grpc/grpc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "descpool.h"
#include "evloop.h"
#include "exchange.h"
#include "gateway.h"
#include "http_front.h"
#include "router.h"
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

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
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

    grpc_init();
    gateway gw = {.config = &cfg, .pool = pool, .router = routes};
    atomic_init(&gw.shutting_down, false);
    if ((e = evloop_start(&gw.evloop))) fatal("start-up", e, 1);
    if ((e = upstream_start(&gw.upstream, &cfg, pool))) fatal("backend", e, 2);
    http_front *front = NULL;
    if ((e = http_front_start(&front, &gw))) fatal("listen", e, 1);

    if (!cfg.quiet)
        fprintf(stderr, "grpc-json-gateway: %zu routes, backend %s\n", router_count(routes), cfg.backend);
    fprintf(stderr, "listening on %s\n", http_front_address(front));

    int sig = 0;
    sigwait(&sigs, &sig);
    if (!cfg.quiet) fprintf(stderr, "grpc-json-gateway: %s: shutting down\n", strsignal(sig));
    atomic_store(&gw.shutting_down, true);
    http_front_quiesce(front);

    /* End every call in flight; their connections resume, answer and complete. */
    exchange_cancel_all();
    for (int waited = 0; exchange_suspended_count() > 0 && waited < SHUTDOWN_RESUME_WAIT_MS; waited += 10) {
        sigset_t pending;
        if (sigpending(&pending) == 0 && (sigismember(&pending, SIGINT) || sigismember(&pending, SIGTERM))) _exit(1);
        sleep_ms(10);
        exchange_cancel_all();
    }
    if (exchange_suspended_count() > 0) {
        fprintf(stderr, "grpc-json-gateway: connections still waiting after %d ms; exiting\n", SHUTDOWN_RESUME_WAIT_MS);
        _exit(1);
    }
    http_front_stop(front);
    upstream_stop(gw.upstream);
    evloop_stop(gw.evloop);
    grpc_shutdown();
    router_free(routes);
    descpool_free(pool);
    config_free(&cfg);
    return 0;
}
