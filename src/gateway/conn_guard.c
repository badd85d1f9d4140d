/* conn_guard.c: the slow-request guard (see conn_guard.h). */
#include "conn_guard.h"

#include <errno.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "grpc_timeout.h"

#define CONN_GUARD_SWEEP_MS 1000

enum conn_phase {
    CONN_BETWEEN_REQUESTS,            /* waiting for a request to begin (or to be completed) */
    CONN_IN_BODY,                     /* headers complete, a one-message body still arriving */
    CONN_IN_REQUEST,                  /* the request is being handled */
};

struct guarded_conn {
    struct guarded_conn *prev, *next;
    struct conn_guard *guard;
    int fd;
    ev_id watch;                      /* hang-up watch, 0 once released */
    conn_hangup_fn on_hangup;         /* (guard lock) the request in progress, if any */
    void *hangup_cls;
    enum conn_phase phase;            /* (guard lock) */
    bool baseline_known;              /* (guard lock) bytes_at_boundary holds the counter */
    uint64_t bytes_at_boundary;       /* TCP bytes received when the previous request ended */
    int64_t began_ms;                 /* when bytes beyond the boundary were first seen, 0: not yet */
    int64_t body_since_ms;            /* CONN_IN_BODY: when the headers completed */
};

struct conn_guard {
    pthread_mutex_t lock;             /* guards the list and every entry's fields */
    guarded_conn *head;
    size_t count;
    atomic_uint_fast64_t cut;
    int64_t timeout_ms;               /* headers; <= 0: never cut */
    int64_t body_timeout_ms;          /* one-message bodies; <= 0: never cut */
    evloop *loop;
    int timer_fd;
    ev_id timer_id;
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool tcp_bytes_received(int fd, uint64_t *out)
{
    struct tcp_info ti;
    socklen_t len = sizeof ti;
    memset(&ti, 0, sizeof ti);
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0) return false;
    if (len < offsetof(struct tcp_info, tcpi_bytes_received) + sizeof ti.tcpi_bytes_received) return false;
    *out = ti.tcpi_bytes_received;
    return true;
}

/* Once a second: connections between requests that have received bytes for longer than the
 * timeout without completing a request's headers are cut. Event-loop thread. */
static void sweep(void *cls, uint32_t events)
{
    conn_guard *g = cls;
    uint64_t expirations;
    if (read(g->timer_fd, &expirations, sizeof expirations) < 0 && errno != EAGAIN) return;
    int64_t now = now_ms();
    pthread_mutex_lock(&g->lock);
    for (guarded_conn *c = g->head; c; c = c->next) {
        if (c->phase == CONN_IN_BODY) {
            if (g->body_timeout_ms > 0 && now - c->body_since_ms >= g->body_timeout_ms) {
                shutdown(c->fd, SHUT_RDWR);
                c->phase = CONN_IN_REQUEST;   /* cut once */
                atomic_fetch_add(&g->cut, 1);
            }
            continue;
        }
        if (c->phase != CONN_BETWEEN_REQUESTS || g->timeout_ms <= 0) continue;
        uint64_t bytes;
        if (!tcp_bytes_received(c->fd, &bytes)) continue;
        if (!c->baseline_known) {
            c->baseline_known = true;
            c->bytes_at_boundary = bytes;
            continue;
        }
        if (bytes == c->bytes_at_boundary) continue;
        if (!c->began_ms) {
            c->began_ms = now;
            continue;
        }
        if (now - c->began_ms >= g->timeout_ms) {
            shutdown(c->fd, SHUT_RDWR);
            c->began_ms = INT64_MAX / 2;   /* cut once */
            atomic_fetch_add(&g->cut, 1);
        }
    }
    pthread_mutex_unlock(&g->lock);
}

gw_err *conn_guard_start(conn_guard **out, evloop *loop, int64_t header_timeout_us, int64_t body_timeout_us)
{
    conn_guard *g = calloc(1, sizeof *g);
    if (!g) abort();
    pthread_mutex_init(&g->lock, NULL);
    atomic_init(&g->cut, 0);
    g->loop = loop;
    g->timeout_ms = header_timeout_us == DURATION_NONE ? 0 : header_timeout_us / 1000;
    g->body_timeout_ms = body_timeout_us == DURATION_NONE ? 0 : body_timeout_us / 1000;
    g->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (g->timer_fd < 0) {
        free(g);
        return gw_err_new(GRPC_STATUS_INTERNAL, "timerfd: %s", strerror(errno));
    }
    struct itimerspec its = {{CONN_GUARD_SWEEP_MS / 1000, (CONN_GUARD_SWEEP_MS % 1000) * 1000000L},
                             {CONN_GUARD_SWEEP_MS / 1000, (CONN_GUARD_SWEEP_MS % 1000) * 1000000L}};
    timerfd_settime(g->timer_fd, 0, &its, NULL);
    g->timer_id = evloop_add(loop, g->timer_fd, EPOLLIN, sweep, g);
    *out = g;
    return NULL;
}

void conn_guard_stop(conn_guard *g)
{
    if (!g) return;
    evloop_remove(g->loop, g->timer_id);
    close(g->timer_fd);
    pthread_mutex_lock(&g->lock);
    while (g->head) {
        guarded_conn *c = g->head;
        g->head = c->next;
        free(c);
    }
    pthread_mutex_unlock(&g->lock);
    pthread_mutex_destroy(&g->lock);
    free(g);
}

/* The peer hung up (event-loop thread; the registration is edge-triggered: once per hang-up). */
static void on_hangup_event(void *cls, uint32_t events)
{
    guarded_conn *c = cls;
    conn_guard *g = c->guard;
    pthread_mutex_lock(&g->lock);
    if (c->on_hangup) c->on_hangup(c->hangup_cls);
    pthread_mutex_unlock(&g->lock);
}

guarded_conn *conn_guard_open(conn_guard *g, int fd)
{
    guarded_conn *c = calloc(1, sizeof *c);
    if (!c) abort();
    c->guard = g;
    c->fd = fd;
    /* Registered before the entry is listed: the event-loop lock is never taken under the guard's. */
    c->watch = evloop_add(g->loop, fd, EPOLLRDHUP | EPOLLET, on_hangup_event, c);
    c->phase = CONN_BETWEEN_REQUESTS;
    c->baseline_known = true;         /* a new connection has received nothing yet */
    c->bytes_at_boundary = 0;
    pthread_mutex_lock(&g->lock);
    c->next = g->head;
    if (g->head) g->head->prev = c;
    g->head = c;
    g->count++;
    pthread_mutex_unlock(&g->lock);
    return c;
}

void conn_guard_close(conn_guard *g, guarded_conn *c)
{
    if (!c) return;
    /* After this the hang-up handler is not running and will not run for this entry. */
    evloop_remove(g->loop, c->watch);
    pthread_mutex_lock(&g->lock);
    if (c->prev) c->prev->next = c->next;
    else g->head = c->next;
    if (c->next) c->next->prev = c->prev;
    g->count--;
    pthread_mutex_unlock(&g->lock);
    free(c);
}

/* The per-request updates touch one entry's fields: they take the guard's lock, which the sweep
 * holds while it reads them. */
static conn_guard *guard_of(guarded_conn *c) { return c->guard; }

void conn_guard_request_started(guarded_conn *c, conn_hangup_fn on_hangup, void *cls, bool body_deadline)
{
    if (!c) return;
    conn_guard *g = guard_of(c);
    pthread_mutex_lock(&g->lock);
    c->phase = body_deadline ? CONN_IN_BODY : CONN_IN_REQUEST;
    if (body_deadline) c->body_since_ms = now_ms();
    c->on_hangup = on_hangup;
    c->hangup_cls = cls;
    pthread_mutex_unlock(&g->lock);
}

void conn_guard_body_done(guarded_conn *c)
{
    if (!c) return;
    conn_guard *g = guard_of(c);
    pthread_mutex_lock(&g->lock);
    if (c->phase == CONN_IN_BODY) c->phase = CONN_IN_REQUEST;
    pthread_mutex_unlock(&g->lock);
}

void conn_guard_release(guarded_conn *c)
{
    if (!c) return;
    conn_guard *g = guard_of(c);
    evloop_remove(g->loop, c->watch);
    pthread_mutex_lock(&g->lock);
    c->watch = 0;
    c->on_hangup = NULL;
    c->phase = CONN_IN_REQUEST;       /* not a slow request either: the socket is someone else's */
    pthread_mutex_unlock(&g->lock);
}

void conn_guard_request_done(guarded_conn *c)
{
    if (!c) return;
    conn_guard *g = guard_of(c);
    pthread_mutex_lock(&g->lock);
    c->on_hangup = NULL;
    if (c->watch) {                   /* a released (upgraded) connection stays out of the sweep */
        c->phase = CONN_BETWEEN_REQUESTS;
        c->baseline_known = false;    /* the sweep reads the counter at its next pass */
        c->began_ms = 0;
    }
    pthread_mutex_unlock(&g->lock);
}

size_t conn_guard_open_count(const conn_guard *g) { return g->count; }
uint64_t conn_guard_cut_count(const conn_guard *g) { return atomic_load(&g->cut); }
