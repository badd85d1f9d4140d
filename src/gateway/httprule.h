/* httprule.h: decodes a method's google.api.http option (encoded google.api.HttpRule bytes) into
 * the flat list of HTTP bindings the router adds: the rule's own binding, then its
 * additional_bindings in order. Start-up only. */
#ifndef GW_HTTPRULE_H
#define GW_HTTPRULE_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define HTTPRULE_MAX_BINDINGS 64     /* the rule plus its additional_bindings */

typedef struct httprule_binding {
    const char *http_method;         /* "GET", "PUT", "POST", "DELETE", "PATCH" or the custom kind */
    const char *pattern;             /* the path template, not yet parsed */
    const char *body;                /* NULL when the rule's body is empty */
    const char *response_body;       /* NULL when empty */
} httprule_binding;

/* The decoded rule. Strings point into the unpacked message and live until httprule_free(). */
typedef struct httprule {
    size_t n_bindings;
    httprule_binding *bindings;      /* [0] is the rule itself, then its additional_bindings */
    void *msg;                       /* the unpacked Google__Api__HttpRule (private) */
} httprule;

/* Decodes p[0..n). Errors (INVALID_ARGUMENT): bytes that are no HttpRule, a binding without a pattern
 * (none of get/put/post/delete/patch/custom set), an empty path, a custom kind that is not an HTTP
 * method token, additional_bindings nested inside an additional binding (the spec forbids it).
 * Messages name the binding ("additional_bindings[1]: ..."). On error *out is left empty. */
gw_err *httprule_decode(const uint8_t *p, size_t n, httprule *out);
void httprule_free(httprule *r);

#endif
