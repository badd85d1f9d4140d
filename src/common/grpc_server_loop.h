/* grpc_server_loop.h: a gRPC server driven by one completion-queue thread, with timers, optional TLS
 * (and mutual TLS) and a bounded drain on SIGINT/SIGTERM. Shared by greeter-server and the echo test
 * backend. */
#ifndef GW_GRPC_SERVER_LOOP_H
#define GW_GRPC_SERVER_LOOP_H

#include <stdbool.h>
#include <stdint.h>

#include <grpc/grpc.h>

#include "timerheap.h"

/* Every tag posted to the loop's completion queue points at one of these, usually embedded in the
 * object that started the operation. The loop calls done(tag, ok) on its thread. */
typedef struct gsl_tag gsl_tag;
struct gsl_tag {
    void (*done)(gsl_tag *tag, bool ok);
};

typedef struct gsl_loop gsl_loop;

/* A new call arrived (loop thread). The callee takes ownership of `call` (grpc_call_unref), `details`
 * (grpc_call_details_destroy) and `request_md` (grpc_metadata_array_destroy): it copies the structs,
 * which the loop then reuses. The request metadata stays valid while the call is referenced. */
typedef void (*gsl_call_fn)(gsl_loop *loop, grpc_call *call, grpc_call_details *details,
                            grpc_metadata_array *request_md, void *user);

#define GSL_DEFAULT_GRACE_MS 5000

typedef struct gsl_config {
    const char *prog;      /* program name for messages */
    const char *listen;    /* "HOST:PORT"; port 0 picks a free port */
    int grace_ms;          /* how long in-flight calls may run after a stop signal before they are cancelled */
    /* TLS: all NULL serves plain-text HTTP/2. tls_cert (PEM certificate chain) and tls_key (its PEM
     * private key) together serve TLS; tls_client_ca (PEM roots) also requires every client to present
     * a certificate that they sign (mutual TLS). Paths; the files are read once, before binding. */
    const char *tls_cert, *tls_key, *tls_client_ca;
    gsl_call_fn on_call;
    void *user;            /* passed to on_call */
} gsl_config;

/* The whole life of a server, on the calling thread: binds (SO_REUSEPORT off, so a taken port is an
 * error), prints "listening on HOST:PORT" with the real port to stderr, serves calls (handing each to
 * on_call) until SIGINT or SIGTERM, then stops accepting, lets in-flight calls finish for up to
 * grace_ms, cancels the rest, and releases everything. SIGINT and SIGTERM are blocked in every thread
 * and taken by a dedicated signal thread; only the first one counts (the grace period bounds the
 * wait). Returns the process exit status: 0 after a clean stop; 1 when the address cannot be bound
 * (with TLS also when gRPC refuses the certificate or key, e.g. a key that does not match); 2 when
 * the TLS settings are incomplete (a certificate without its key, client roots without a certificate)
 * or a TLS file cannot be read or is not PEM. Every failure is explained on stderr. */
int gsl_serve(const gsl_config *cfg);

/* For on_call and the tag callbacks (loop thread only). */
grpc_completion_queue *gsl_cq(gsl_loop *loop);
void gsl_timer_add(gsl_loop *loop, th_timer *t, int64_t due_ms);   /* due on the gsl_now_ms() clock */
void gsl_timer_remove(gsl_loop *loop, th_timer *t);
void gsl_call_opened(gsl_loop *loop);   /* live-call count: the loop ends only once it is back to 0 */
void gsl_call_closed(gsl_loop *loop);

/* Milliseconds on the monotonic clock (any thread). */
int64_t gsl_now_ms(void);
/* A call deadline as milliseconds on the gsl_now_ms() clock, or INT64_MAX when there is none. */
int64_t gsl_deadline_ms(gpr_timespec deadline);

#endif
