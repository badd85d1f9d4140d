/* conn_guard.h: the slow-request guard: a connection must deliver a request's headers within the
 * header timeout once the request has begun, or it is cut off (slow-loris). A connection that
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

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "evloop.h"

typedef struct conn_guard conn_guard;
typedef struct guarded_conn guarded_conn;

/* header_timeout_us: DURATION_NONE disables cutting (connections are still counted). */
gw_err *conn_guard_start(conn_guard **out, evloop *loop, int64_t header_timeout_us);
void conn_guard_stop(conn_guard *g);

guarded_conn *conn_guard_open(conn_guard *g, int fd);     /* a connection was accepted */
void conn_guard_close(conn_guard *g, guarded_conn *c);   /* libmicrohttpd is closing it */
void conn_guard_request_started(guarded_conn *c);        /* a request's headers are complete */
void conn_guard_request_done(guarded_conn *c);           /* the request is over: the next may begin */

size_t conn_guard_open_count(const conn_guard *g);
/* Connections cut so far for dribbling their headers. */
uint64_t conn_guard_cut_count(const conn_guard *g);

#endif
