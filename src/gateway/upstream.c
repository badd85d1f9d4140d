/* upstream.c: channel, completion queue and its threads (see upstream.h). */
#include "upstream.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gnutls/gnutls.h>
#include <grpc/grpc_security.h>
#include <grpc/support/time.h>

#include "build-config.h"
#include "cliopt.h"
#include "grpc_timeout.h"
#include "pem_file.h"

/* Reconnect backoff towards a backend that went away: short, so that a restarted backend is used
 * again within a fraction of a second (gRPC's defaults grow to 120 s). */
#define UPSTREAM_INITIAL_RECONNECT_BACKOFF_MS 100
/* How often DNS may be asked again when replicas come and go (dns:/// targets). */
#define UPSTREAM_DNS_MIN_RERESOLUTION_MS 1000
/* How long a refreshed channel may take to become ready before the refresh gives up on it (the
 * channel in use stays). At least this, or twice --backend-connect-timeout. */
#define UPSTREAM_REFRESH_CONNECT_MIN_US 1000000
/* The shortest --backend-refresh period honoured (0 would renew the channel without pause). */
#define UPSTREAM_REFRESH_MIN_US 100000
/* Room for the channel arguments upstream_start sets. */
#define UPSTREAM_MAX_ARGS 16

/* One channel to the backend, with a registered call handle per method of the pool. */
typedef struct channel_gen {
    grpc_channel *channel;
    void **handles;                   /* [i] for upstream.methods[i] */
} channel_gen;

typedef struct method_slot {
    const pb_method *method;
    size_t index;                     /* into upstream.methods and channel_gen.handles */
} method_slot;

/* The refresh (see refresh_step): waiting for the next period, or connecting a new generation. */
enum refresh_phase { REFRESH_WAITING, REFRESH_CONNECTING };

struct upstream {
    /* New calls start on `current`; the refresh swaps it under the write lock. A call holds its
     * channel itself once created, so a swapped-out generation may go while its calls go on. */
    pthread_rwlock_t lock;
    channel_gen *current;
    grpc_completion_queue *cq;
    unsigned n_threads;
    pthread_t *threads;
    /* Open-addressed table pb_method* -> index; read-only after start. */
    size_t n_slots;
    method_slot *slots;
    size_t n_methods;
    const pb_method **methods;
    /* What every generation is made of, kept for the whole run: generations made of the same
     * target, arguments and credentials share gRPC's subchannels, so a new generation reuses the
     * open connections and only adds those to new addresses. */
    char *target;
    grpc_channel_credentials *creds;
    grpc_channel_args args;
    grpc_arg arg_storage[UPSTREAM_MAX_ARGS];
    char user_agent[64];
    /* The refresh. Its one outstanding watch completes on a completion-queue thread; everything
     * below is under refresh_mu. */
    int64_t refresh_us;               /* DURATION_NONE: no refresh */
    int64_t refresh_connect_us;
    pthread_mutex_t refresh_mu;
    upstream_tag refresh_tag;
    bool stopping;
    enum refresh_phase phase;
    gpr_timespec phase_deadline;
    channel_gen *candidate;           /* REFRESH_CONNECTING: the generation being connected */
    channel_gen *retired;             /* the generation before `current`, destroyed at the next swap */
    unsigned long refreshes;          /* generations swapped in */
};

static size_t slot_of(const upstream *u, const pb_method *m)
{
    uintptr_t h = (uintptr_t)m;
    h ^= h >> 17;
    h *= 0x9e3779b97f4a7c15ULL;
    return (size_t)(h >> 7) & (u->n_slots - 1);
}

static void *cq_thread(void *arg)
{
    upstream *u = arg;
    for (;;) {
        grpc_event ev = grpc_completion_queue_next(u->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
        if (ev.type == GRPC_QUEUE_SHUTDOWN) break;
        if (ev.type != GRPC_OP_COMPLETE) continue;
        upstream_tag *tag = ev.tag;
        tag->done(tag, ev.success != 0);
    }
    return NULL;
}

/* The PEM text of a --backend-* file: pem_file_read refuses an unreadable, empty, oversized or
 * non-PEM file at start-up, which gRPC would only notice at the first connection attempt (and then
 * fail every call with a vague UNAVAILABLE). */
static gw_err *read_file_text(const char *path, char **out)
{
    char why[512];
    if (!pem_file_read(path, out, why, sizeof why)) return gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "%s", why);
    return NULL;
}

/* gRPC parses the backend's TLS files only when it first connects, and then fails every call with
 * a vague UNAVAILABLE ("empty address list"). GnuTLS (linked for the front end) checks them at
 * start-up instead: the roots must hold a certificate, and the key must be the certificate's. */
static gw_err *check_backend_pem(const gw_config *c, const char *ca, const char *cert, const char *key)
{
    gnutls_certificate_credentials_t probe;
    if (gnutls_certificate_allocate_credentials(&probe) < 0) abort();
    gw_err *e = NULL;
    if (ca) {
        gnutls_datum_t roots = {(unsigned char *)ca, (unsigned)strlen(ca)};
        int n = gnutls_certificate_set_x509_trust_mem(probe, &roots, GNUTLS_X509_FMT_PEM);
        if (n <= 0)
            e = gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "--backend-ca %s holds no usable certificate (%s)", c->backend_ca,
                           n < 0 ? gnutls_strerror(n) : "none found");
    }
    if (!e && cert) {
        gnutls_datum_t chain = {(unsigned char *)cert, (unsigned)strlen(cert)};
        gnutls_datum_t private_key = {(unsigned char *)key, (unsigned)strlen(key)};
        int r = gnutls_certificate_set_x509_key_mem2(probe, &chain, &private_key, GNUTLS_X509_FMT_PEM, NULL, 0);
        if (r < 0)
            e = gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "--backend-cert %s with --backend-key %s: %s", c->backend_cert,
                           c->backend_key, gnutls_strerror(r));
    }
    gnutls_certificate_free_credentials(probe);
    return e;
}

/* Plain-text HTTP/2, or TLS with the given roots (default: the system's) and an optional client
 * certificate for mutual TLS. */
static gw_err *backend_credentials(const gw_config *c, grpc_channel_credentials **out)
{
    if (!c->backend_tls) {
        if (*c->backend_ca || *c->backend_cert || *c->backend_key)
            return gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "--backend-ca/--backend-cert/--backend-key need --backend-tls");
        *out = grpc_insecure_credentials_create();
        return NULL;
    }
    if (!*c->backend_cert != !*c->backend_key)
        return gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "--backend-cert and --backend-key go together");
    char *ca = NULL, *cert = NULL, *key = NULL;
    gw_err *e = NULL;
    if (*c->backend_ca) e = read_file_text(c->backend_ca, &ca);
    if (!e && *c->backend_cert) e = read_file_text(c->backend_cert, &cert);
    if (!e && *c->backend_key) e = read_file_text(c->backend_key, &key);
    if (!e) e = check_backend_pem(c, ca, cert, key);
    if (!e) {
        grpc_ssl_pem_key_cert_pair pair = {key, cert};
        *out = grpc_ssl_credentials_create(ca, cert ? &pair : NULL, NULL, NULL);
        if (!*out) e = gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "cannot create TLS credentials for the backend");
    }
    free(ca);
    free(cert);
    free(key);
    return e;
}

/* A duration setting as the int milliseconds gRPC takes ("none" is the largest). */
static int ms_setting(int64_t us)
{
    int64_t ms = us / 1000;
    return ms > 0x7fffffff ? 0x7fffffff : ms < 1 ? 1 : (int)ms;
}

static gpr_timespec deadline_after(int64_t timeout_us)
{
    if (timeout_us == DURATION_NONE) return gpr_inf_future(GPR_CLOCK_MONOTONIC);
    return gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC), gpr_time_from_micros(timeout_us, GPR_TIMESPAN));
}

static channel_gen *gen_new(upstream *u)
{
    channel_gen *g = calloc(1, sizeof *g);
    if (!g) abort();
    g->channel = grpc_channel_create(u->target, u->creds, &u->args);
    if (!g->channel) {
        free(g);
        return NULL;
    }
    g->handles = calloc(u->n_methods ? u->n_methods : 1, sizeof *g->handles);
    if (!g->handles) abort();
    for (size_t i = 0; i < u->n_methods; i++)
        g->handles[i] = grpc_channel_register_call(g->channel, u->methods[i]->grpc_path, NULL, NULL);
    return g;
}

/* Destroying a channel fails only the calls still waiting for a connection on it; calls under way
 * keep their connection to the end. */
static void gen_free(channel_gen *g)
{
    if (!g) return;
    grpc_channel_destroy(g->channel);
    free(g->handles);
    free(g);
}

/* Whether the target's addresses can change: a DNS name (gRPC's default scheme) can; a list of
 * addresses, a socket path, an IP address written in a dns target ("127.0.0.1:50051",
 * "dns:///[::1]:50051") or "localhost" cannot. (Resolving "localhost" also leaks a few bytes in
 * Debian 12's c-ares each time.) A target that is not HOST:PORT is left to be refreshed. */
static bool target_is_resolved(const char *target)
{
    static const char *const fixed[] = {"ipv4:", "ipv6:", "unix:", "unix-abstract:", "vsock:"};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        if (strncmp(target, fixed[i], strlen(fixed[i])) == 0) return false;
    const char *hostport = target;
    if (strncmp(hostport, "dns:", 4) == 0) {
        hostport += 4;
        if (strncmp(hostport, "//", 2) == 0) {   /* dns://AUTHORITY/host:port */
            const char *slash = strchr(hostport + 2, '/');
            if (!slash) return true;
            hostport = slash + 1;
        }
    }
    int port, host_len;
    if (!cliopt_hostport(hostport, &port, &host_len)) return true;
    char host[256];
    bool bracketed = hostport[0] == '[';
    size_t n = (size_t)host_len - (bracketed ? 2 : 0);
    if (n >= sizeof host) return true;
    memcpy(host, hostport + bracketed, n);
    host[n] = '\0';
    if (strcasecmp(host, "localhost") == 0 || (n > 10 && strcasecmp(host + n - 10, ".localhost") == 0)) return false;
    unsigned char addr[sizeof(struct in6_addr)];
    return inet_pton(AF_INET, host, addr) != 1 && inet_pton(AF_INET6, host, addr) != 1;
}

/* ------------------------------------------------------------------------------------ refresh */

/* gRPC asks DNS again only when a connection closes or fails, so a backend whose servers keep their
 * connections open would never be seen to gain replicas. Every --backend-refresh the upstream makes
 * a new generation of the channel, which resolves the name afresh; once it is ready it takes the
 * new calls, and the one before is destroyed a period later. Generations share their connections
 * (see struct upstream), so a refresh costs a DNS query and connections to new addresses only.
 *
 * The timer is a connectivity watch with a deadline: it completes when the deadline passes or when
 * the watched channel changes state, whichever is first. Called with refresh_mu held. */
static void refresh_watch(upstream *u, channel_gen *g, gpr_timespec deadline)
{
    grpc_connectivity_state s = grpc_channel_check_connectivity_state(g->channel, 0);
    grpc_channel_watch_connectivity_state(g->channel, s, deadline, u->cq, &u->refresh_tag);
}

static void refresh_wait(upstream *u)
{
    u->phase = REFRESH_WAITING;
    u->phase_deadline = deadline_after(u->refresh_us);
    refresh_watch(u, u->current, u->phase_deadline);
}

static void refresh_step(upstream *u)
{
    bool due = gpr_time_cmp(gpr_now(GPR_CLOCK_MONOTONIC), u->phase_deadline) >= 0;
    if (u->phase == REFRESH_WAITING) {
        if (!due) {
            refresh_watch(u, u->current, u->phase_deadline);   /* a state change, not the timer */
            return;
        }
        u->candidate = gen_new(u);
        if (!u->candidate) {
            refresh_wait(u);
            return;
        }
        grpc_channel_check_connectivity_state(u->candidate->channel, 1);   /* resolve and connect now */
        u->phase = REFRESH_CONNECTING;
        u->phase_deadline = deadline_after(u->refresh_connect_us);
        due = false;
    }
    /* The candidate shares the connections already open, so it is often ready at once: the state
     * read here is the one the watch starts from, so that no change can slip between the two. */
    grpc_connectivity_state s = grpc_channel_check_connectivity_state(u->candidate->channel, 0);
    if (s == GRPC_CHANNEL_READY) {
        pthread_rwlock_wrlock(&u->lock);
        channel_gen *old = u->current;
        u->current = u->candidate;
        pthread_rwlock_unlock(&u->lock);
        gen_free(u->retired);
        u->retired = old;
        u->candidate = NULL;
        u->refreshes++;
        refresh_wait(u);
    } else if (!due && s != GRPC_CHANNEL_SHUTDOWN) {
        grpc_channel_watch_connectivity_state(u->candidate->channel, s, u->phase_deadline, u->cq, &u->refresh_tag);
    } else {
        /* Not ready in time (the backend is down or slow to answer): the channel in use stays, and
         * handles the failure itself. */
        gen_free(u->candidate);
        u->candidate = NULL;
        refresh_wait(u);
    }
}

static void refresh_done(upstream_tag *tag, bool ok)
{
    (void)ok;   /* false when the deadline passed: refresh_step looks at the clock itself */
    upstream *u = (upstream *)((char *)tag - offsetof(upstream, refresh_tag));
    pthread_mutex_lock(&u->refresh_mu);
    if (!u->stopping) refresh_step(u);
    pthread_mutex_unlock(&u->refresh_mu);
}

/* ------------------------------------------------------------------------------------ start, stop */

gw_err *upstream_start(upstream **out, const gw_config *c, const descpool *pool)
{
    upstream *u = calloc(1, sizeof *u);
    if (!u) abort();
    snprintf(u->user_agent, sizeof u->user_agent, "grpc-json-gateway/%s", PACKAGE_VERSION);
    int max_msg = c->max_message_bytes > 0x7fffffff ? 0x7fffffff : (int)c->max_message_bytes;
    int connect_ms = ms_setting(c->backend_connect_timeout_us);
    int max_backoff_ms = ms_setting(c->backend_max_backoff_us);
    grpc_arg args[] = {
        {GRPC_ARG_STRING, GRPC_ARG_LB_POLICY_NAME, {.string = "round_robin"}},
        {GRPC_ARG_INTEGER, GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH, {.integer = max_msg}},
        {GRPC_ARG_INTEGER, GRPC_ARG_MAX_SEND_MESSAGE_LENGTH, {.integer = max_msg}},
        /* gRPC 1.51 takes its "minimum reconnect backoff" as the time a connection attempt may take
         * (TCP, TLS, the HTTP/2 settings exchange): --backend-connect-timeout. Between failed
         * attempts it waits from UPSTREAM_INITIAL_RECONNECT_BACKOFF_MS up to --backend-max-backoff,
         * which is how soon a backend that comes back is used again. */
        {GRPC_ARG_INTEGER, GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, {.integer = connect_ms}},
        {GRPC_ARG_INTEGER, GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, {.integer = UPSTREAM_INITIAL_RECONNECT_BACKOFF_MS}},
        {GRPC_ARG_INTEGER, GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, {.integer = max_backoff_ms}},
        {GRPC_ARG_INTEGER, GRPC_ARG_DNS_MIN_TIME_BETWEEN_RESOLUTIONS_MS, {.integer = UPSTREAM_DNS_MIN_RERESOLUTION_MS}},
        {GRPC_ARG_STRING, GRPC_ARG_PRIMARY_USER_AGENT_STRING, {.string = u->user_agent}},
        {GRPC_ARG_INTEGER, GRPC_ARG_ENABLE_HTTP_PROXY, {.integer = 0}},
        /* The minimal channel stack costs about a tenth less CPU per call. It leaves out the
         * deadline filter (turned back on just below: without it deadlines would not fire) and the
         * message-size filter (the exchange checks received sizes itself; the transport buffers a
         * whole message before either check can run, so nothing is lost). */
        {GRPC_ARG_INTEGER, GRPC_ARG_MINIMAL_STACK, {.integer = 1}},
        {GRPC_ARG_INTEGER, GRPC_ARG_ENABLE_DEADLINE_CHECKS, {.integer = 1}},
    };
    _Static_assert(sizeof args / sizeof args[0] + 2 <= UPSTREAM_MAX_ARGS, "UPSTREAM_MAX_ARGS too small");
    size_t n_args = sizeof args / sizeof args[0];
    memcpy(u->arg_storage, args, sizeof args);
    if (*c->backend_authority) {
        /* The name the backend's certificate carries, and the :authority the calls send. */
        u->arg_storage[n_args++] = (grpc_arg){GRPC_ARG_STRING, GRPC_SSL_TARGET_NAME_OVERRIDE_ARG, {.string = c->backend_authority}};
        u->arg_storage[n_args++] = (grpc_arg){GRPC_ARG_STRING, GRPC_ARG_DEFAULT_AUTHORITY, {.string = c->backend_authority}};
    }
    u->args = (grpc_channel_args){n_args, u->arg_storage};
    gw_err *e = backend_credentials(c, &u->creds);
    if (e) {
        free(u);
        return e;
    }
    u->target = strdup(c->backend);
    if (!u->target) abort();

    u->n_methods = descpool_method_count(pool);
    u->methods = calloc(u->n_methods ? u->n_methods : 1, sizeof *u->methods);
    u->n_slots = 16;
    while (u->n_slots < u->n_methods * 2) u->n_slots *= 2;
    u->slots = calloc(u->n_slots, sizeof *u->slots);
    if (!u->methods || !u->slots) abort();
    for (size_t i = 0; i < u->n_methods; i++) {
        const pb_method *m = descpool_method(pool, i);
        u->methods[i] = m;
        size_t s = slot_of(u, m);
        while (u->slots[s].method) s = (s + 1) & (u->n_slots - 1);
        u->slots[s] = (method_slot){m, i};
    }

    u->current = gen_new(u);
    if (!u->current) {
        grpc_channel_credentials_release(u->creds);
        free(u->target);
        free(u->methods);
        free(u->slots);
        free(u);
        return gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "cannot create a channel to '%s'", c->backend);
    }
    pthread_rwlock_init(&u->lock, NULL);
    pthread_mutex_init(&u->refresh_mu, NULL);
    u->cq = grpc_completion_queue_create_for_next(NULL);

    u->n_threads = c->upstream_threads ? c->upstream_threads : 1;
    u->threads = calloc(u->n_threads, sizeof *u->threads);
    if (!u->threads) abort();
    for (unsigned i = 0; i < u->n_threads; i++)
        if (pthread_create(&u->threads[i], NULL, cq_thread, u) != 0) abort();

    u->refresh_us = target_is_resolved(c->backend) ? c->backend_refresh_us : DURATION_NONE;
    if (u->refresh_us < UPSTREAM_REFRESH_MIN_US) u->refresh_us = UPSTREAM_REFRESH_MIN_US;
    /* Twice the time of one connection attempt (no overflow when that is "none"). */
    int64_t attempt_us = c->backend_connect_timeout_us;
    u->refresh_connect_us = attempt_us > INT64_MAX / 2 ? INT64_MAX : 2 * attempt_us;
    if (u->refresh_connect_us < UPSTREAM_REFRESH_CONNECT_MIN_US) u->refresh_connect_us = UPSTREAM_REFRESH_CONNECT_MIN_US;
    u->refresh_tag.done = refresh_done;
    if (u->refresh_us != DURATION_NONE) {
        pthread_mutex_lock(&u->refresh_mu);
        refresh_wait(u);
        pthread_mutex_unlock(&u->refresh_mu);
    }
    *out = u;
    return NULL;
}

/* The generation new calls start on, held by the read lock until the call exists. */
static channel_gen *current_gen(upstream *u)
{
    pthread_rwlock_rdlock(&u->lock);
    return u->current;
}

static void release_gen(upstream *u)
{
    pthread_rwlock_unlock(&u->lock);
}

static grpc_call *call_by_path(upstream *u, channel_gen *g, const char *grpc_path, int64_t timeout_us)
{
    grpc_slice method = grpc_slice_from_copied_string(grpc_path);
    grpc_call *call = grpc_channel_create_call(g->channel, NULL, GRPC_PROPAGATE_DEFAULTS, u->cq, method, NULL,
                                               deadline_after(timeout_us), NULL);
    grpc_slice_unref(method);
    return call;
}

grpc_call *upstream_call_new(upstream *u, const pb_method *m, int64_t timeout_us)
{
    size_t s = slot_of(u, m);
    while (u->slots[s].method && u->slots[s].method != m) s = (s + 1) & (u->n_slots - 1);
    channel_gen *g = current_gen(u);
    grpc_call *call = u->slots[s].method
                          ? grpc_channel_create_registered_call(g->channel, NULL, GRPC_PROPAGATE_DEFAULTS, u->cq,
                                                                g->handles[u->slots[s].index],
                                                                deadline_after(timeout_us), NULL)
                          : call_by_path(u, g, m->grpc_path, timeout_us);
    release_gen(u);
    return call;
}

grpc_call *upstream_call_new_path(upstream *u, const char *grpc_path, int64_t timeout_us)
{
    channel_gen *g = current_gen(u);
    grpc_call *call = call_by_path(u, g, grpc_path, timeout_us);
    release_gen(u);
    return call;
}

size_t upstream_send_ops(grpc_op ops[3], const grpc_metadata *md, size_t md_count, grpc_byte_buffer *request)
{
    memset(ops, 0, 3 * sizeof *ops);
    ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
    ops[0].data.send_initial_metadata.count = md_count;
    ops[0].data.send_initial_metadata.metadata = (grpc_metadata *)md;
    ops[1].op = GRPC_OP_SEND_MESSAGE;
    ops[1].data.send_message.send_message = request;
    ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
    return 3;
}

size_t upstream_unary_ops(grpc_op ops[6], const grpc_metadata *md, size_t md_count, grpc_byte_buffer *request,
                          const upstream_unary_results *r)
{
    upstream_send_ops(ops, md, md_count, request);
    memset(ops + 3, 0, 3 * sizeof *ops);
    ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
    ops[3].data.recv_initial_metadata.recv_initial_metadata = r->initial_md;
    ops[4].op = GRPC_OP_RECV_MESSAGE;
    ops[4].data.recv_message.recv_message = r->reply;
    ops[5].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
    ops[5].data.recv_status_on_client.trailing_metadata = r->trailing_md;
    ops[5].data.recv_status_on_client.status = r->status;
    ops[5].data.recv_status_on_client.status_details = r->details;
    return 6;
}

grpc_connectivity_state upstream_state(upstream *u)
{
    channel_gen *g = current_gen(u);
    grpc_connectivity_state s = grpc_channel_check_connectivity_state(g->channel, 0);
    release_gen(u);
    return s;
}

unsigned long upstream_refreshes(upstream *u)
{
    pthread_mutex_lock(&u->refresh_mu);
    unsigned long n = u->refreshes;
    pthread_mutex_unlock(&u->refresh_mu);
    return n;
}

void upstream_stop(upstream *u)
{
    if (!u) return;
    /* Destroying the channels completes the refresh's outstanding watch (as SHUTDOWN), which then
     * finds `stopping` set and arms no other; the queue can then drain. */
    pthread_mutex_lock(&u->refresh_mu);
    u->stopping = true;
    gen_free(u->candidate);
    gen_free(u->retired);
    pthread_rwlock_wrlock(&u->lock);
    channel_gen *last = u->current;
    u->current = NULL;
    pthread_rwlock_unlock(&u->lock);
    gen_free(last);
    pthread_mutex_unlock(&u->refresh_mu);
    grpc_completion_queue_shutdown(u->cq);
    for (unsigned i = 0; i < u->n_threads; i++) pthread_join(u->threads[i], NULL);
    grpc_completion_queue_destroy(u->cq);
    grpc_channel_credentials_release(u->creds);
    pthread_rwlock_destroy(&u->lock);
    pthread_mutex_destroy(&u->refresh_mu);
    free(u->target);
    free(u->threads);
    free(u->methods);
    free(u->slots);
    free(u);
}
