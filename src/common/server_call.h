/* server_call.h: one server-side gRPC call as an event-driven state machine: reads request messages,
 * queues replies (each with an earliest send time), sends the final status after the replies, notices
 * cancellation and deadlines, and logs one line when the call is over. */
#ifndef GW_SERVER_CALL_H
#define GW_SERVER_CALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <grpc/grpc.h>

#include "grpc_server_loop.h"

/* The log line, one per finished call, on stderr (the format is stable: tests grep it):
 *   call <path> status=<NAME> cancelled=<0|1> in=<n> out=<n> deadline_ms=<n|none> ms=<n>
 * status   the status the server sent; for a call cancelled by the client or by gRPC it is
 *          DEADLINE_EXCEEDED when the call's deadline had passed or nearly (see scall_deadline_slack_ms),
 *          CANCELLED otherwise
 * cancelled 1 when the call ended by cancellation (client cancel or disconnect, deadline, server stop)
 * in/out   request messages received / reply messages sent
 * deadline_ms  the time left until the call's deadline when it arrived, or "none"
 * ms       the call's duration */

typedef struct scall scall;

/* The service's side of a call. Every hook runs on the loop thread, and none runs once the call was
 * cancelled. A hook may call any scall_* function on its own call. */
typedef struct scall_handler {
    void (*on_message)(scall *c, const uint8_t *data, size_t len);   /* one request message */
    void (*on_half_close)(scall *c);     /* the client will send no more messages */
    void (*on_sent)(scall *c);           /* optional: a reply was sent (scall_out_count() counts it) */
    void (*on_free)(scall *c);           /* optional: release the user state (also after a cancel) */
} scall_handler;

/* Takes over a call handed to gsl_call_fn (call, details and request metadata all belong to the scall
 * from now on). Nothing happens on the wire until scall_begin(). */
scall *scall_create(gsl_loop *loop, grpc_call *call, grpc_call_details *details,
                    grpc_metadata_array *request_md, bool log);
/* Starts the call: watches for cancellation and starts reading request messages into `h`. */
void scall_begin(scall *c, const scall_handler *h, void *user);

const char *scall_method(const scall *c);               /* "/package.Service/Method" */
const grpc_metadata_array *scall_request_md(const scall *c);
void *scall_user(const scall *c);
unsigned long scall_in_count(const scall *c);
unsigned long scall_out_count(const scall *c);

/* Metadata to send: initial metadata goes with the first reply (or the status), trailing metadata
 * with the status. Keys and values are copied; keys must be lowercase and legal. Call before the
 * metadata goes out. */
void scall_add_initial_md(scall *c, const char *key, const uint8_t *value, size_t value_len);
void scall_add_trailing_md(scall *c, const char *key, const uint8_t *value, size_t value_len);

/* Queues a reply (copied), to be sent no earlier than not_before_ms (gsl_now_ms() clock) and after
 * every reply queued before it. Ignored once the status is decided. */
void scall_send(scall *c, const uint8_t *data, size_t len, int64_t not_before_ms);
/* Decides the final status; it is sent after the queued replies. Later calls are ignored. */
void scall_finish(scall *c, grpc_status_code code, const char *message);
/* Drops the replies not yet sent, then finishes with this status (replacing one decided by
 * scall_finish() that has not gone out yet). */
void scall_fail_now(scall *c, grpc_status_code code, const char *message);

/* Reading pauses while this many replies wait to be sent (the client is faster than the replies). */
#define SCALL_MAX_QUEUED_REPLIES 64
/* A cancellation this close to the deadline counts as the deadline: the client's own deadline timer
 * usually fires first, and its clock started before the server's (connection set-up, queueing), so
 * its cancel can arrive a little before the server's deadline. The slack is a tenth
 * (SCALL_DEADLINE_SLACK_DIVISOR) of the time the call was given, kept within
 * SCALL_DEADLINE_SLACK_MS..SCALL_DEADLINE_SLACK_MAX_MS. */
#define SCALL_DEADLINE_SLACK_MS 50
#define SCALL_DEADLINE_SLACK_MAX_MS 500
#define SCALL_DEADLINE_SLACK_DIVISOR 10
int64_t scall_deadline_slack_ms(int64_t timeout_ms);

#endif
