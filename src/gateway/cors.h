/* cors.h: Cross-Origin Resource Sharing for browsers calling the gateway from another origin
 * (--cors-origin ORIGIN, repeatable, or `*`).
 *
 * The rules (the Fetch standard's CORS protocol, without credentials):
 *   - An Origin is allowed when the policy is `*` or it equals a configured origin. Origins compare as
 *     serialized origins: scheme://host[:port], scheme and host case-insensitively, the scheme's
 *     default port (http 80, https 443) the same as none, a trailing '/' ignored. `null` (sandboxed
 *     documents, file: pages) is allowed only by `*`.
 *   - A preflight is an OPTIONS request with Origin and Access-Control-Request-Method. An allowed
 *     one is answered 204 with Access-Control-Allow-Origin (the origin itself, or `*` under `*`),
 *     Access-Control-Allow-Methods (the methods the path's routes accept, given by the caller),
 *     Access-Control-Allow-Headers (the requested headers, echoed once checked to be header names),
 *     Access-Control-Max-Age, and Vary on the three request headers the answer depends on.
 *   - Actual responses (successes and errors alike) to an allowed Origin carry
 *     Access-Control-Allow-Origin and Access-Control-Expose-Headers naming the response's own
 *     non-safelisted headers (Grpc-Metadata-*, Allow, ...): browsers hide every other header from
 *     scripts, and the gateway never sends credentials, so explicit names are what works everywhere.
 *     Under a list of origins (not `*`) every response carries Vary: Origin, so that a shared cache
 *     never hands one origin's answer to another.
 *
 * Headers are produced through a callback as (name, value) pairs; nothing here touches HTTP. A
 * policy is built at start-up and read-only afterwards: any thread may use it. */
#ifndef GW_CORS_H
#define GW_CORS_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "error.h"

#define CORS_DEFAULT_MAX_AGE_S 600            /* how long a browser may cache a preflight answer */
#define CORS_MAX_ORIGIN_BYTES 512             /* a longer Origin (configured or received) is refused */
#define CORS_MAX_REQUEST_HEADERS_BYTES 4096   /* a longer Access-Control-Request-Headers is refused */

typedef struct cors cors;

/* Receives one response header. `name` and `value` are valid during the call only. */
typedef void (*cors_header_fn)(void *cls, const char *name, const char *value);

/* Builds a policy from the --cors-origin values. No origins: a disabled policy (every call below
 * then does nothing and allows nothing). Errors (INVALID_ARGUMENT) name the bad value: not `*`,
 * not scheme://host[:port], a path, query, fragment or user part, `null`. */
gw_err *cors_new(cors **out, const char *const *origins, size_t n_origins, unsigned max_age_s);
void cors_free(cors *c);

/* True when at least one origin is configured (c may be NULL). */
bool cors_enabled(const cors *c);
bool cors_origin_allowed(const cors *c, const char *origin);

/* True for a CORS preflight: OPTIONS with both Origin and Access-Control-Request-Method present. */
bool cors_is_preflight(const char *method, const char *origin, const char *request_method);

enum cors_preflight {
    CORS_PREFLIGHT_ALLOWED,           /* answer 204 with the headers produced */
    CORS_PREFLIGHT_DENIED,            /* answer 403; only Vary was produced */
};

/* Answers a preflight. `allowed_methods` is the comma-separated list of methods the request path
 * accepts ("GET, POST", as router_match gives for a 405; HEAD is implied by GET). Denied when the
 * origin is not allowed, the requested method is not in the list, or the requested headers are not
 * a list of header names. */
enum cors_preflight cors_preflight_headers(const cors *c, const char *origin, const char *request_method,
                                           const char *request_headers, const char *allowed_methods,
                                           cors_header_fn add, void *cls);

/* Headers for an actual (non-preflight) response. `origin` is the request's Origin or NULL;
 * `expose` is the comma-separated list built with cors_expose_add (NULL or "" for none). */
void cors_response_headers(const cors *c, const char *origin, const char *expose, cors_header_fn add, void *cls);

/* Adds a response header name to an expose list ("A, B") unless the name is CORS-safelisted
 * (Cache-Control, Content-Language, Content-Length, Content-Type, Expires, Last-Modified, Pragma),
 * a CORS header itself, or already listed (case-insensitively). */
void cors_expose_add(buf *list, const char *name);

#endif
