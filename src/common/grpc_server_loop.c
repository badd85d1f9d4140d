/* grpc_server_loop.c: one-thread completion-queue server loop with timers and signal drain
 * (see grpc_server_loop.h).
 *
 * Threads: the thread that calls gsl_serve() runs the loop: every tag callback, every timer and the
 * on_call hook run there, so call state needs no locks. A second thread waits in sigwait(); on the
 * first SIGINT/SIGTERM it calls grpc_server_shutdown_and_notify() (thread-safe in gRPC core) and
 * exits. The loop notices the stop when the pending grpc_server_request_call() fails, arms the grace
 * timer, and finishes once the shutdown tag has arrived and no call is alive. */
#include "grpc_server_loop.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <grpc/grpc_security.h>
#include <grpc/support/time.h>

#include "pem_file.h"

struct gsl_loop {
    const gsl_config *cfg;
    grpc_server *server;
    grpc_completion_queue *cq;
    th_heap timers;

    /* The one outstanding grpc_server_request_call(); its fields are handed to on_call. */
    struct {
        gsl_tag tag;
        grpc_call *call;
        grpc_call_details details;
        grpc_metadata_array md;
    } request;

    gsl_tag shutdown_tag;
    th_timer grace_timer;
    bool stopping;          /* a stop was seen on the loop thread: no new call is requested */
    bool shutdown_done;     /* the server's shutdown tag arrived */
    bool cq_shutdown;       /* grpc_completion_queue_shutdown() was called */
    long live_calls;

    sigset_t stop_signals;
    pthread_t signal_thread;
    atomic_int stop_signal; /* the signal that started the stop, 0 before */
};

/* The PEM text of the TLS files (heap strings, NULL when not configured); freed once the listener
 * is bound, as gRPC keeps its own copies. */
typedef struct tls_pem {
    char *cert, *key, *client_ca;
} tls_pem;

int64_t gsl_now_ms(void)
{
    gpr_timespec t = gpr_now(GPR_CLOCK_MONOTONIC);
    return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

int64_t gsl_deadline_ms(gpr_timespec deadline)
{
    if (gpr_time_cmp(deadline, gpr_inf_future(deadline.clock_type)) == 0) return INT64_MAX;
    gpr_timespec m = gpr_convert_clock_type(deadline, GPR_CLOCK_MONOTONIC);
    if (m.tv_sec > INT64_MAX / 1000 - 1) return INT64_MAX;
    return m.tv_sec * 1000 + m.tv_nsec / 1000000;
}

grpc_completion_queue *gsl_cq(gsl_loop *loop) { return loop->cq; }
void gsl_timer_add(gsl_loop *loop, th_timer *t, int64_t due_ms) { th_add(&loop->timers, t, due_ms); }
void gsl_timer_remove(gsl_loop *loop, th_timer *t) { th_remove(&loop->timers, t); }
void gsl_call_opened(gsl_loop *loop) { loop->live_calls++; }
void gsl_call_closed(gsl_loop *loop) { loop->live_calls--; }

static gsl_loop *loop_of_grace_timer(th_timer *t)
{
    return (gsl_loop *)((char *)t - offsetof(gsl_loop, grace_timer));
}

static void grace_expired(th_timer *t)
{
    gsl_loop *loop = loop_of_grace_timer(t);
    if (loop->live_calls > 0)
        fprintf(stderr, "%s: grace period over, cancelling %ld call(s)\n", loop->cfg->prog, loop->live_calls);
    grpc_server_cancel_all_calls(loop->server);
}

static void begin_stop(gsl_loop *loop)
{
    if (loop->stopping) return;
    loop->stopping = true;
    th_add(&loop->timers, &loop->grace_timer, gsl_now_ms() + loop->cfg->grace_ms);
}

static void request_next_call(gsl_loop *loop);

static void on_request_done(gsl_tag *tag, bool ok)
{
    gsl_loop *loop = (gsl_loop *)((char *)tag - offsetof(gsl_loop, request.tag));
    if (!ok) {
        /* Only a server shutdown fails a requested call. */
        grpc_call_details_destroy(&loop->request.details);
        grpc_metadata_array_destroy(&loop->request.md);
        begin_stop(loop);
        return;
    }
    loop->cfg->on_call(loop, loop->request.call, &loop->request.details, &loop->request.md, loop->cfg->user);
    if (!loop->stopping) request_next_call(loop);
}

static void request_next_call(gsl_loop *loop)
{
    loop->request.call = NULL;
    grpc_call_details_init(&loop->request.details);
    grpc_metadata_array_init(&loop->request.md);
    grpc_call_error e = grpc_server_request_call(loop->server, &loop->request.call, &loop->request.details,
                                                 &loop->request.md, loop->cq, loop->cq, &loop->request.tag);
    if (e != GRPC_CALL_OK) {
        fprintf(stderr, "%s: grpc_server_request_call failed (%d)\n", loop->cfg->prog, (int)e);
        grpc_call_details_destroy(&loop->request.details);
        grpc_metadata_array_destroy(&loop->request.md);
        begin_stop(loop);
    }
}

static void on_shutdown_done(gsl_tag *tag, bool ok)
{
    gsl_loop *loop = (gsl_loop *)((char *)tag - offsetof(gsl_loop, shutdown_tag));
    begin_stop(loop);
    loop->shutdown_done = true;
}

static void *signal_thread_main(void *arg)
{
    gsl_loop *loop = arg;
    int sig = 0;
    while (sigwait(&loop->stop_signals, &sig) != 0) {
    }
    atomic_store(&loop->stop_signal, sig);
    fprintf(stderr, "%s: %s received, draining (up to %d ms)\n", loop->cfg->prog,
            sig == SIGINT ? "SIGINT" : "SIGTERM", loop->cfg->grace_ms);
    grpc_server_shutdown_and_notify(loop->server, loop->cq, &loop->shutdown_tag);
    return NULL;
}

static void run_loop(gsl_loop *loop)
{
    for (;;) {
        int64_t due = th_next_due(&loop->timers);
        gpr_timespec wait = due == INT64_MAX ? gpr_inf_future(GPR_CLOCK_MONOTONIC)
                                             : gpr_time_from_millis(due, GPR_CLOCK_MONOTONIC);
        grpc_event ev = grpc_completion_queue_next(loop->cq, wait, NULL);
        if (ev.type == GRPC_QUEUE_SHUTDOWN) break;
        if (ev.type == GRPC_OP_COMPLETE) {
            gsl_tag *tag = ev.tag;
            tag->done(tag, ev.success != 0);
        }
        th_run_due(&loop->timers, gsl_now_ms());
        if (loop->shutdown_done && loop->live_calls == 0 && !loop->cq_shutdown) {
            th_remove(&loop->timers, &loop->grace_timer);
            grpc_completion_queue_shutdown(loop->cq);
            loop->cq_shutdown = true;
        }
    }
}

static bool is_set(const char *path) { return path && *path; }

static void tls_pem_free(tls_pem *pem)
{
    free(pem->cert);
    free(pem->key);
    free(pem->client_ca);
    memset(pem, 0, sizeof *pem);
}

/* Checks the TLS settings and reads their files (before gRPC starts). Returns 0, or 2 after saying
 * why on stderr. */
static int tls_pem_load(const gsl_config *cfg, tls_pem *pem)
{
    memset(pem, 0, sizeof *pem);
    if (!is_set(cfg->tls_cert) && !is_set(cfg->tls_key) && !is_set(cfg->tls_client_ca)) return 0;
    if (!is_set(cfg->tls_cert) || !is_set(cfg->tls_key)) {
        fprintf(stderr, "%s: TLS needs both a certificate and its private key%s\n", cfg->prog,
                is_set(cfg->tls_client_ca) ? " (client roots alone are not enough)" : "");
        return 2;
    }
    char err[512];
    if (!pem_file_read(cfg->tls_cert, &pem->cert, err, sizeof err) ||
        !pem_file_read(cfg->tls_key, &pem->key, err, sizeof err) ||
        (is_set(cfg->tls_client_ca) && !pem_file_read(cfg->tls_client_ca, &pem->client_ca, err, sizeof err))) {
        fprintf(stderr, "%s: %s\n", cfg->prog, err);
        tls_pem_free(pem);
        return 2;
    }
    return 0;
}

/* Plain-text credentials, or TLS with the server's certificate and, given client roots, a demand
 * for a client certificate that they sign. */
static grpc_server_credentials *server_credentials(const tls_pem *pem)
{
    if (!pem->cert) return grpc_insecure_server_credentials_create();
    grpc_ssl_pem_key_cert_pair pair = {.private_key = pem->key, .cert_chain = pem->cert};
    grpc_ssl_server_certificate_config *certs = grpc_ssl_server_certificate_config_create(pem->client_ca, &pair, 1);
    grpc_ssl_client_certificate_request_type request =
        pem->client_ca ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
                       : GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE;
    /* The options take ownership of the certificate config, and the credentials of the options. */
    grpc_ssl_server_credentials_options *options =
        grpc_ssl_server_credentials_create_options_using_config(request, certs);
    return grpc_ssl_server_credentials_create_with_options(options);
}

#define GSL_MAX_CONNECTION_AGE_MS 30000
#define GSL_MAX_CONNECTION_AGE_GRACE_MS 3600000

/* Binds the listener; returns the bound port, or 0. */
static int bind_listener(gsl_loop *loop, const tls_pem *pem)
{
    grpc_arg args[] = {
        {.type = GRPC_ARG_INTEGER, .key = GRPC_ARG_ALLOW_REUSEPORT, .value.integer = 0},
        /* Clients hold one connection and resolve the server's name again only when it closes: by
         * closing connections after GSL_MAX_CONNECTION_AGE_MS (calls in flight get the grace below),
         * replicas that join behind a DNS name start receiving calls. */
        {.type = GRPC_ARG_INTEGER, .key = GRPC_ARG_MAX_CONNECTION_AGE_MS, .value.integer = GSL_MAX_CONNECTION_AGE_MS},
        {.type = GRPC_ARG_INTEGER, .key = GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS, .value.integer = GSL_MAX_CONNECTION_AGE_GRACE_MS},
    };
    grpc_channel_args channel_args = {.num_args = sizeof args / sizeof args[0], .args = args};
    loop->server = grpc_server_create(&channel_args, NULL);
    grpc_server_register_completion_queue(loop->server, loop->cq, NULL);
    grpc_server_credentials *creds = server_credentials(pem);
    int port = creds ? grpc_server_add_http2_port(loop->server, loop->cfg->listen, creds) : 0;
    if (creds) grpc_server_credentials_release(creds);
    return port;
}

int gsl_serve(const gsl_config *cfg)
{
    gsl_loop loop_storage;
    gsl_loop *loop = &loop_storage;
    memset(loop, 0, sizeof *loop);
    loop->cfg = cfg;
    tls_pem pem;
    int tls_status = tls_pem_load(cfg, &pem);
    if (tls_status != 0) return tls_status;
    loop->request.tag.done = on_request_done;
    loop->shutdown_tag.done = on_shutdown_done;
    th_heap_init(&loop->timers);
    th_timer_init(&loop->grace_timer, grace_expired);
    atomic_init(&loop->stop_signal, 0);

    /* Block the stop signals before gRPC starts its threads, so that they inherit the mask and only
     * the signal thread ever takes them. */
    sigemptyset(&loop->stop_signals);
    sigaddset(&loop->stop_signals, SIGINT);
    sigaddset(&loop->stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &loop->stop_signals, NULL);

    grpc_init();
    loop->cq = grpc_completion_queue_create_for_next(NULL);
    int port = bind_listener(loop, &pem);
    bool tls = pem.cert != NULL, mutual_tls = pem.client_ca != NULL;
    tls_pem_free(&pem);
    if (port == 0) {
        if (tls)
            fprintf(stderr, "%s: cannot listen on %s with TLS (address in use or not local, or the certificate "
                            "and key were refused: gRPC's message above says which)\n", cfg->prog, cfg->listen);
        else
            fprintf(stderr, "%s: cannot listen on %s (address in use, or not a local address)\n", cfg->prog,
                    cfg->listen);
        grpc_server_destroy(loop->server);   /* no listener, never started: may be destroyed directly */
        grpc_completion_queue_shutdown(loop->cq);
        while (grpc_completion_queue_next(loop->cq, gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL).type !=
               GRPC_QUEUE_SHUTDOWN) {
        }
        grpc_completion_queue_destroy(loop->cq);
        th_heap_free(&loop->timers);
        grpc_shutdown();
        return 1;
    }
    grpc_server_start(loop->server);
    request_next_call(loop);

    int err = pthread_create(&loop->signal_thread, NULL, signal_thread_main, loop);
    if (err != 0) {
        fprintf(stderr, "%s: cannot start the signal thread: %s\n", cfg->prog, strerror(err));
        abort();
    }
    if (tls)
        fprintf(stderr, "%s: serving TLS%s\n", cfg->prog,
                mutual_tls ? ", client certificates required (mutual TLS)" : "");
    const char *colon = strrchr(cfg->listen, ':');
    if (strncmp(cfg->listen, "unix:", 5) == 0)
        fprintf(stderr, "listening on %s\n", cfg->listen);
    else
        fprintf(stderr, "listening on %.*s:%d\n", (int)(colon - cfg->listen), cfg->listen, port);
    fflush(stderr);

    run_loop(loop);

    /* The loop only ends after the signal thread began the shutdown; wait until it has returned from
     * grpc_server_shutdown_and_notify() before the server goes away. */
    pthread_join(loop->signal_thread, NULL);
    grpc_server_destroy(loop->server);
    grpc_completion_queue_destroy(loop->cq);
    th_heap_free(&loop->timers);
    grpc_shutdown();
    return 0;
}
