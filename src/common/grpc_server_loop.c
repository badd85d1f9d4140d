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

/* Binds the listener; returns the bound port, or 0. */
static int bind_listener(gsl_loop *loop)
{
    grpc_arg args[] = {
        {.type = GRPC_ARG_INTEGER, .key = GRPC_ARG_ALLOW_REUSEPORT, .value.integer = 0},
    };
    grpc_channel_args channel_args = {.num_args = sizeof args / sizeof args[0], .args = args};
    loop->server = grpc_server_create(&channel_args, NULL);
    grpc_server_register_completion_queue(loop->server, loop->cq, NULL);
    grpc_server_credentials *creds = grpc_insecure_server_credentials_create();
    int port = grpc_server_add_http2_port(loop->server, loop->cfg->listen, creds);
    grpc_server_credentials_release(creds);
    return port;
}

int gsl_serve(const gsl_config *cfg)
{
    gsl_loop loop_storage;
    gsl_loop *loop = &loop_storage;
    memset(loop, 0, sizeof *loop);
    loop->cfg = cfg;
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
    int port = bind_listener(loop);
    if (port == 0) {
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
    const char *colon = strrchr(cfg->listen, ':');
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
