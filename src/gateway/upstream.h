/* upstream.h: the gRPC side of the gateway: one long-lived channel to the backend shared by every
 * request, one completion queue, and the threads that drain it. For a DNS target the channel is
 * renewed every --backend-refresh, so that replicas added behind the name get calls; the renewed
 * channel reuses the open connections.
 *
 * Threads: upstream_start() spawns the completion-queue threads; every upstream_tag's `done`
 * runs on one of them. Everything else may be called from any thread. */
#ifndef GW_UPSTREAM_H
#define GW_UPSTREAM_H

#include <stdbool.h>
#include <stdint.h>

#include <grpc/grpc.h>

#include "config.h"
#include "descpool.h"
#include "error.h"

/* The tag of a batch: embed one in the object that started the batch. `ok` is the batch's success
 * flag from the completion queue. */
typedef struct upstream_tag {
    void (*done)(struct upstream_tag *tag, bool ok);
} upstream_tag;

typedef struct upstream upstream;

/* Creates the channel (round-robin over the target's addresses, message size limits, reconnect
 * backoff from the config) and registers every method of the pool. */
gw_err *upstream_start(upstream **out, const gw_config *c, const descpool *pool);

/* A new call to method `m` on the shared channel, bound to the upstream's completion queue.
 * `timeout_us` is relative (DURATION_NONE: no deadline). The caller owns the returned call
 * (grpc_call_unref when done). */
grpc_call *upstream_call_new(upstream *u, const pb_method *m, int64_t timeout_us);

/* The same for a method outside the pool (such as the health check), by gRPC path. */
grpc_call *upstream_call_new_path(upstream *u, const char *grpc_path, int64_t timeout_us);

/* The ops that send a request: initial metadata, the message and the half-close (ops[0..2]).
 * Returns 3. Everything pointed to must stay valid until the batch completes. */
size_t upstream_send_ops(grpc_op ops[3], const grpc_metadata *md, size_t md_count, grpc_byte_buffer *request);

/* Where a unary call's results land. */
typedef struct upstream_unary_results {
    grpc_metadata_array *initial_md;
    grpc_byte_buffer **reply;
    grpc_metadata_array *trailing_md;
    grpc_status_code *status;
    grpc_slice *details;
} upstream_unary_results;

/* A whole unary call in one batch: upstream_send_ops, then receive the initial metadata, the reply
 * and the status (ops[0..5]). Returns 6. */
size_t upstream_unary_ops(grpc_op ops[6], const grpc_metadata *md, size_t md_count, grpc_byte_buffer *request,
                          const upstream_unary_results *r);

/* Channel connectivity, without triggering a connection attempt. */
grpc_connectivity_state upstream_state(upstream *u);

/* How many times --backend-refresh has swapped in a new channel. */
unsigned long upstream_refreshes(upstream *u);

/* Stops the completion-queue threads once every call has finished, then releases everything. */
void upstream_stop(upstream *u);

#endif
