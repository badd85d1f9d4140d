/* fuzz_query.c: libFuzzer target for routing plus binding on the routes of tests/proto/routes.proto:
 * a random path is matched, and a matched route is bound with a random body and random query
 * parameters, and the result goes through json_to_pb as in the exchange. Checks: no crash or leak,
 * binder errors are INVALID_ARGUMENT with a message, a bound request is a JSON object (or, for a
 * well-known input type, its own form).
 *
 * Input: byte 0 picks the HTTP method (low 3 bits) and allow_unknown (bit 3); then lines: the path,
 * the body (JSON text; an empty line is no body), then one "key=value" query parameter per line.
 * The descriptor set is $FUZZ_ROUTES_DESC, or gen/tests/routes.desc of the build. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bind.h"
#include "descpool.h"
#include "router.h"
#include "transcode.h"

#ifndef GW_TEST_DATADIR
#define GW_TEST_DATADIR "gen"
#endif

#define MAX_PARAMS 64

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static descpool *pool;
static router *routes;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *path = getenv("FUZZ_ROUTES_DESC");
    if (!path) path = GW_TEST_DATADIR "/tests/routes.desc";
    pool = descpool_new();
    routes = router_new();
    gw_err *e = descpool_add_file(pool, path);
    if (!e) e = descpool_finish(pool);
    if (!e) e = router_add_pool(routes, pool);
    if (e) {
        fprintf(stderr, "fuzz_query: %s: %s\n", path, e->message);
        exit(1);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const methods[] = {"GET", "POST", "PUT", "PATCH", "DELETE", "LOCK", "HEAD", "OPTIONS"};
    if (size < 1) return 0;
    const char *method = methods[data[0] & 7];
    json_opts o = {.allow_unknown = (data[0] & 8) != 0};
    /* Copy the rest as NUL-separated lines. */
    char *text = malloc(size);
    memcpy(text, data + 1, size - 1);
    text[size - 1] = 0;
    char *lines[2 + MAX_PARAMS];
    size_t n_lines = 0;
    for (char *p = text; n_lines < 2 + MAX_PARAMS;) {
        lines[n_lines++] = p;
        char *nl = memchr(p, '\n', (size_t)(text + size - 1 - p));
        if (!nl) break;
        *nl = 0;
        p = nl + 1;
    }
    const char *path = lines[0];
    route_match m;
    buf allow = BUF_INIT;
    if (router_match(routes, method, path, strlen(path), &m, &allow) != ROUTE_FOUND) goto done;
    json_t *body = NULL;
    if (n_lines > 1 && lines[1][0]) {
        json_error_t jerr;
        body = json_loads(lines[1], JSON_DECODE_ANY, &jerr);
    }
    query_param params[MAX_PARAMS];
    size_t n_params = 0;
    for (size_t i = 2; i < n_lines; i++) {
        char *eq = strchr(lines[i], '=');
        if (eq) *eq = 0;
        params[n_params].key = lines[i];
        params[n_params].value = eq ? eq + 1 : "";
        n_params++;
    }
    json_t *out = NULL;
    gw_err *e = bind_request(pool, &m, body, params, n_params, &o, &out);
    if (e) {
        if (out || e->code != GRPC_STATUS_INVALID_ARGUMENT || !e->message[0]) abort();
        gw_err_free(e);
    } else {
        if (!out) abort();
        if (!json_is_object(out) && m.route->method->input->wkt == PB_WKT_NONE) abort();
        /* What the exchange does next: the transcoder must take the binder's output without crashing
         * (it may reject values, such as a number that is not one). */
        buf msg = BUF_INIT;
        e = json_to_pb(pool, m.route->method->input, out, &o, &msg);
        if (e) {
            if (!e->message[0]) abort();
            gw_err_free(e);
        }
        buf_free(&msg);
        json_decref(out);
    }
    route_match_free(&m);
done:
    buf_free(&allow);
    free(text);
    return 0;
}
