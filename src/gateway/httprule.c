/* httprule.c: google.api.HttpRule decoding (see httprule.h), with the protobuf-c code generated from
 * proto/google/api/http.proto. */
#include "httprule.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "google/api/http.pb-c.h"

/* RFC 9110 token characters: a method name is a token. */
static bool is_token(const char *s)
{
    if (!*s) return false;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  (c && strchr("!#$%&'*+-.^_`|~", c) != NULL);
        if (!ok) return false;
    }
    return true;
}

static const char *empty_to_null(const char *s) { return s && *s ? s : NULL; }

/* Fills b from one rule (the top-level one or an additional binding). */
static gw_err *binding_from_rule(const Google__Api__HttpRule *rule, httprule_binding *b)
{
    switch (rule->pattern_case) {
    case GOOGLE__API__HTTP_RULE__PATTERN_GET: b->http_method = "GET"; b->pattern = rule->get; break;
    case GOOGLE__API__HTTP_RULE__PATTERN_PUT: b->http_method = "PUT"; b->pattern = rule->put; break;
    case GOOGLE__API__HTTP_RULE__PATTERN_POST: b->http_method = "POST"; b->pattern = rule->post; break;
    case GOOGLE__API__HTTP_RULE__PATTERN_DELETE: b->http_method = "DELETE"; b->pattern = rule->delete_; break;
    case GOOGLE__API__HTTP_RULE__PATTERN_PATCH: b->http_method = "PATCH"; b->pattern = rule->patch; break;
    case GOOGLE__API__HTTP_RULE__PATTERN_CUSTOM:
        if (!rule->custom || !is_token(rule->custom->kind))
            return gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "custom kind '%s' is not an HTTP method name",
                              rule->custom ? rule->custom->kind : "");
        b->http_method = rule->custom->kind;
        b->pattern = rule->custom->path;
        break;
    default:
        return gw_err_new(GRPC_STATUS_INVALID_ARGUMENT,
                          "no HTTP method and path (one of get, put, post, delete, patch, custom)");
    }
    if (!b->pattern || !*b->pattern)
        return gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "%s with an empty path", b->http_method);
    b->body = empty_to_null(rule->body);
    b->response_body = empty_to_null(rule->response_body);
    return NULL;
}

gw_err *httprule_decode(const uint8_t *p, size_t n, httprule *out)
{
    memset(out, 0, sizeof *out);
    Google__Api__HttpRule *rule = google__api__http_rule__unpack(NULL, n, p);
    if (!rule) return gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "google.api.http option is not a valid HttpRule");
    gw_err *e = NULL;
    if (rule->n_additional_bindings >= HTTPRULE_MAX_BINDINGS) {
        e = gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "more than %d additional_bindings", HTTPRULE_MAX_BINDINGS - 1);
        goto fail;
    }
    size_t count = 1 + rule->n_additional_bindings;
    httprule_binding *bs = calloc(count, sizeof *bs);
    if (!bs) abort();
    out->bindings = bs;
    out->msg = rule;
    if ((e = binding_from_rule(rule, &bs[0])) != NULL) goto fail;
    for (size_t i = 0; i < rule->n_additional_bindings; i++) {
        const Google__Api__HttpRule *add = rule->additional_bindings[i];
        if (add->n_additional_bindings) {
            e = gw_err_new(GRPC_STATUS_INVALID_ARGUMENT,
                           "additional_bindings[%zu]: an additional binding cannot have additional_bindings", i);
            goto fail;
        }
        if ((e = binding_from_rule(add, &bs[i + 1])) != NULL) {
            e = gw_err_prefix(e, "additional_bindings[%zu]", i);
            goto fail;
        }
    }
    out->n_bindings = count;
    return NULL;
fail:
    free(out->bindings);
    google__api__http_rule__free_unpacked(rule, NULL);
    memset(out, 0, sizeof *out);
    return e;
}

void httprule_free(httprule *r)
{
    if (!r) return;
    free(r->bindings);
    if (r->msg) google__api__http_rule__free_unpacked(r->msg, NULL);
    memset(r, 0, sizeof *r);
}
