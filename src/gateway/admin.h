/* admin.h: the gateway's own endpoints: liveness, readiness (the backend's grpc.health.v1 check),
 * Prometheus metrics and the OpenAPI document. Their paths come from the settings; they are served on
 * the API listener or, with --admin-listen, on a listener of their own. */
#ifndef GW_ADMIN_H
#define GW_ADMIN_H

#include <microhttpd.h>

#include "gateway.h"

enum admin_endpoint { ADMIN_NONE, ADMIN_HEALTH, ADMIN_READY, ADMIN_METRICS, ADMIN_OPENAPI };

typedef struct admin_request admin_request;

/* Which endpoint `path` names (exact match), or ADMIN_NONE. */
enum admin_endpoint admin_lookup(const gateway *gw, const char *path);

/* Refuses start-up when an admin path is also an API route (the error names both). */
gw_err *admin_check_paths(const gateway *gw);

/* Starts a request for an endpoint (libmicrohttpd thread, first invocation). */
admin_request *admin_request_new(const gateway *gw, struct MHD_Connection *conn, enum admin_endpoint e);
/* The access handler for it: every invocation after the first as well. */
enum MHD_Result admin_handle_request(admin_request *a, const char *method, size_t *upload_data_size);
/* libmicrohttpd is done with the request. */
void admin_request_completed(admin_request *a);
/* The HTTP status that was sent (for the access log and metrics). */
unsigned admin_request_status(const admin_request *a);
size_t admin_request_bytes_out(const admin_request *a);
/* Readiness requests whose connection is suspended right now (shutdown waits for them). */
size_t admin_suspended_count(void);

#endif
