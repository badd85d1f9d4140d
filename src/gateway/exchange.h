/* exchange.h: one HTTP request <-> one gRPC call: the state machine at the heart of the gateway.
 *
 * Unary calls, server streams, client streams and bidirectional streams all go through it: the body
 * is turned into request messages as it arrives, the call runs on the shared channel, and the
 * backend's messages are rendered as the response (one JSON body, or NDJSON lines / SSE events for
 * streams) with back-pressure both ways.
 *
 * Threads: exchange_handle_request/exchange_completed run on the connection's libmicrohttpd thread;
 * the gRPC completions run on completion-queue threads; exchange_client_gone runs on the event-loop
 * thread. An exchange is reference-counted and freed when the last of them lets go. */
#ifndef GW_EXCHANGE_H
#define GW_EXCHANGE_H

#include <stddef.h>

#include <microhttpd.h>

#include "conn_guard.h"
#include "error.h"
#include "gateway.h"
#include "router.h"

typedef struct exchange exchange;

/* A request that matched route m->route (the match is moved into the exchange). */
exchange *exchange_new(const gateway *gw, struct MHD_Connection *conn, route_match *m);
/* A WebSocket handshake (GET with Upgrade: websocket) on route m->route: answered with 101, then
 * the call runs over the upgraded connection (every kind of method; see exchange.c). */
exchange *exchange_new_websocket(const gateway *gw, struct MHD_Connection *conn, route_match *m);
/* A request refused on its head alone (over a limit, ambiguous framing): answered at once, without
 * reading the body; libmicrohttpd then closes the connection. Takes `err`. */
exchange *exchange_new_refused(const gateway *gw, struct MHD_Connection *conn, gw_err *err);
/* A request refused because the gateway is at a limit: 503 with Retry-After, answered at once. */
exchange *exchange_new_overloaded(const gateway *gw, struct MHD_Connection *conn, const char *why);
/* A request that will be answered with `err` once its body has been read (and discarded): routing
 * failures and the like. `allow` (may be NULL) becomes the Allow header of a 405. Takes `err`. */
exchange *exchange_new_error(const gateway *gw, struct MHD_Connection *conn, gw_err *err, const char *allow);

/* The access handler for the request: call it for every invocation libmicrohttpd makes. */
enum MHD_Result exchange_handle_request(exchange *x, const char *upload_data, size_t *upload_data_size);

/* libmicrohttpd is done with the request (MHD_OPTION_NOTIFY_COMPLETED): cancels a call still
 * running and drops the request's reference. */
void exchange_completed(exchange *x, enum MHD_RequestTerminationCode toe);

/* The client's connection hung up while the request was in progress: cancel the call. A
 * conn_hangup_fn (its argument is the exchange), called on the event-loop thread. */
void exchange_client_gone(void *x);

/* Tells the exchange its connection's guard entry (it reports when the body is complete); returns
 * whether the body must arrive within the body timeout (one-message bodies, not streams). */
bool exchange_attach_guard(exchange *x, guarded_conn *gc);

/* What happened, for the access log and the metrics (libmicrohttpd thread, at completion). */
typedef struct exchange_outcome {
    const route *route;               /* NULL when the request matched no route */
    unsigned http_status;             /* as sent (101 for a WebSocket upgrade), 0 if nothing was */
    int grpc_code;                    /* the call's final status, or -1 when no call finished */
    uint64_t bytes_in, bytes_out;     /* body bytes */
    bool streamed;                    /* a streaming response (chunked or WebSocket) */
    bool answered;                    /* answered in full although libmicrohttpd ends the request with an error */
} exchange_outcome;
void exchange_get_outcome(exchange *x, exchange_outcome *o);

void exchange_ref(exchange *x);
void exchange_unref(exchange *x);

/* Shutdown, first step: ends every streaming call with UNAVAILABLE (streams get their error line)
 * while unary calls go on. Returns how many were cancelled. */
size_t exchange_cancel_streams(void);
/* Unary calls still waiting for the backend (shutdown drains them). */
size_t exchange_unary_in_flight(void);
/* Shutdown: ends every call in flight with UNAVAILABLE (streams get their error line), so that every
 * suspended connection is resumed. Returns the number of exchanges still alive. */
size_t exchange_cancel_all(void);
size_t exchange_live_count(void);
size_t exchange_streaming_count(void);
/* Exchanges whose connection is suspended right now (libmicrohttpd cannot stop while any is). */
size_t exchange_suspended_count(void);

#endif
