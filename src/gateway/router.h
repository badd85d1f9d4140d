/* router.h: the route table: (HTTP method, path) -> the gRPC method and how the request binds to it.
 *
 * Built at start-up from every method's google.api.http rule and its additional_bindings, plus
 * `POST /<package>.<Service>/<Method>` (body "*") for every method, annotated or not. Read-only after
 * building, so any thread may match against it without locks. */
#ifndef GW_ROUTER_H
#define GW_ROUTER_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "descpool.h"
#include "error.h"
#include "pathtmpl.h"

typedef struct route {
    const pb_method *method;
    const char *http_method;          /* "GET", "PUT", "POST", "DELETE", "PATCH" or a custom kind */
    const char *pattern;              /* the path template as written in the rule */
    const char *body;                 /* NULL: no body; "*": the whole request message; else a field name */
    const char *response_body;        /* NULL: the whole response message; else a field name */
    const pb_field *body_field;       /* resolved `body` field (NULL for none or "*") */
    const pb_field *response_field;   /* resolved `response_body` field, or NULL */
    const pathtmpl *tmpl;
} route;

#define ROUTE_MAX_VARS 16

typedef struct route_var {
    const char *field_path;           /* dotted field path named by the template variable */
    const char *value;                /* percent-decoded, NUL-terminated; points into the match */
    size_t value_len;
} route_var;

/* The result of one match. Values live in `storage`; release with route_match_free(). */
typedef struct route_match {
    const route *route;
    size_t n_vars;
    route_var vars[ROUTE_MAX_VARS];
    buf storage;
} route_match;

enum route_result {
    ROUTE_FOUND,
    ROUTE_NOT_FOUND,                  /* no template matches the path (404) */
    ROUTE_METHOD_NOT_ALLOWED,         /* the path matches, the method does not (405 + Allow) */
    ROUTE_BAD_PATH,                   /* malformed percent-encoding in the path (400) */
};

typedef struct router router;

router *router_new(void);
void router_free(router *r);

/* Adds the routes of every method in the pool: its http rule, the rule's additional_bindings and the
 * POST /<service>/<method> route. Errors: an invalid template, a body/response_body naming no field,
 * a variable naming no field, two routes that collide ("... collides with ..." naming both). */
gw_err *router_add_pool(router *r, const descpool *pool);

/* Adds one route (also used by tests). Strings are copied. `m` may be NULL (template-only tests):
 * then no field is checked. GET and DELETE may have a body binding (allowed, unlike grpc-gateway). */
gw_err *router_add(router *r, const pb_method *m, const char *http_method, const char *pattern,
                   const char *body, const char *response_body);

/* Matches a request. `path` is the raw (still percent-encoded) URL path without the query string.
 * HEAD matches GET routes. On ROUTE_FOUND fills `m` (free it with route_match_free); on
 * ROUTE_METHOD_NOT_ALLOWED appends the allowed methods to `allow` as "GET, POST".
 * `m` need not be initialised: it is overwritten whatever the result (free a previous match first),
 * and route_match_free(m) is safe after any result. `allow` may be NULL.
 * Precedence (router.c has the details): the most specific template wins: at the first segment where
 * two templates differ a literal beats `*`, and `*` beats `**`; a path ending in ":verb" goes to the
 * templates with that verb when any of them matches it; the first matching template with a route for
 * the method is taken. A malformed %-escape anywhere in the path is ROUTE_BAD_PATH.
 * Allocates only m->storage (once, when the route has variables). */
enum route_result router_match(const router *r, const char *http_method, const char *path, size_t path_len,
                               route_match *m, buf *allow);
void route_match_free(route_match *m);

/* Every route, in the order added (for documentation and logging). */
size_t router_count(const router *r);
const route *router_route(const router *r, size_t i);

/* True when some route's template matches `path` under any method (used to keep admin paths such as
 * /healthz from shadowing API routes). */
bool router_path_taken(const router *r, const char *path);

#endif
