/* conn_guard.h: follows every HTTP connection of the API listener for two jobs libmicrohttpd does
 * not do. (1) Hang-ups: while a request waits for its call the connection is suspended and
 * libmicrohttpd does not look at it, so the guard watches each connection's socket for the peer
 * hanging up (one edge-triggered EPOLLRDHUP registration per connection, not per request) and tells
 * the request in progress. (2) The slow-request guard: a connection must deliver a request's headers
 * within the header timeout once the request has begun, or it is cut off (slow-loris). A connection that
 * sends nothing at all is left to the idle timeout instead, so an idle keep-alive connection is not
 * mistaken for a slow one: "begun" means the kernel has received bytes since the previous request
 * ended (TCP_INFO's byte counter), which libmicrohttpd does not expose.
 *
 * Threads: conn_guard_open/_close/_request_* run on libmicrohttpd threads; the sweep runs once a
 * second on the event-loop thread. A connection is cut with shutdown(2), never close(2), so
 * libmicrohttpd sees the end of the stream and closes it the usual way; the entry is removed (under
 * the guard's lock) before libmicrohttpd closes the descriptor, so a reused descriptor is never hit. */
#ifndef GW_CONN_GUARD_H
#define GW_CONN_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "evloop.h"

typedef struct conn_guard conn_guard;
typedef struct guarded_conn guarded_conn;

/* header_timeout_us / body_timeout_us: DURATION_NONE disables that cut. */
gw_err *conn_guard_start(conn_guard **out, evloop *loop, int64_t header_timeout_us, int64_t body_timeout_us);
void conn_guard_stop(conn_guard *g);

/* Called on the event-loop thread, under the guard's lock, when the peer of a connection with a
 * request in progress hangs up: keep it short (cancel a call). */
typedef void (*conn_hangup_fn)(void *cls);

guarded_conn *conn_guard_open(conn_guard *g, int fd);     /* a connection was accepted */
void conn_guard_close(conn_guard *g, guarded_conn *c);   /* libmicrohttpd is closing it */
/* A request's headers are complete; `on_hangup(cls)` is called if the peer hangs up before
 * conn_guard_request_done. With `body_deadline`, the request's body must then arrive whole within
 * the body timeout (conn_guard_body_done), or the connection is cut: unary and server-stream
 * requests, whose body is one message, not client streams. */
void conn_guard_request_started(guarded_conn *c, conn_hangup_fn on_hangup, void *cls, bool body_deadline);
void conn_guard_body_done(guarded_conn *c);
void conn_guard_request_done(guarded_conn *c);           /* the request is over: the next may begin */
/* The connection is handed over (WebSocket upgrade): stop watching its socket. */
void conn_guard_release(guarded_conn *c);

size_t conn_guard_open_count(const conn_guard *g);
/* Connections cut so far for dribbling their headers. */
uint64_t conn_guard_cut_count(const conn_guard *g);

#endif
