/* error.h: the gateway's one error type: a gRPC status code and a message, created where a failure
 * happens and carried outward unchanged until status_map turns it into an HTTP response. */
#ifndef GW_ERROR_H
#define GW_ERROR_H

#include <grpc/status.h>

/* Functions that can fail return `gw_err *`: NULL means success, anything else is a heap object the
 * caller owns and must release with gw_err_free() (or pass on). Only failures allocate. */
typedef struct gw_err {
    grpc_status_code code;
    char *message;       /* UTF-8, no trailing newline */
    unsigned http_status;/* the HTTP status to answer with when the code's usual one is not right
                          * (413 for a request over a size limit); 0: the code's own */
} gw_err;

gw_err *gw_err_new(grpc_status_code code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prepends "prefix: " to the message (for adding context such as a field path as the error travels up). */
gw_err *gw_err_prefix(gw_err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void gw_err_free(gw_err *e);
/* Sets e->http_status and returns e (for `return gw_err_http(gw_err_new(...), 413);`). */
gw_err *gw_err_http(gw_err *e, unsigned http_status);

#endif
