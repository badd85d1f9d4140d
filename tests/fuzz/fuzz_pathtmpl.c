/* fuzz_pathtmpl.c: libFuzzer target for path templates and the router.
 *
 * Input: "template1\ntemplate2\npath\npath...". Parses both templates (errors are fine), matches each
 * path with pathtmpl_match, and checks the router against it as a differential oracle: with the
 * parsed templates as GET routes, the router finds a route exactly when some template matches, the
 * route it finds matches, its variables are the ones pathtmpl_match extracts, and a path with a
 * malformed escape is ROUTE_BAD_PATH. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pathtmpl.h"
#include "router.h"

#define MAX_LINE 2048

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t next_line(const uint8_t *data, size_t size, size_t *pos, char *out)
{
    size_t start = *pos, n = 0;
    while (*pos < size && data[*pos] != '\n') (*pos)++;
    n = *pos - start;
    if (*pos < size) (*pos)++;
    if (n >= MAX_LINE) n = MAX_LINE - 1;
    memcpy(out, data + start, n);
    out[n] = 0;
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char line[3][MAX_LINE];
    size_t pos = 0;
    pathtmpl *t[2] = {NULL, NULL};
    router *r = router_new();
    for (int i = 0; i < 2; i++) {
        next_line(data, size, &pos, line[i]);
        gw_err *e = pathtmpl_parse(line[i], &t[i]);
        if (e) {
            if (!e->message || t[i]) abort();
            gw_err_free(e);
            continue;
        }
        e = router_add(r, NULL, "GET", line[i], NULL, NULL);
        if (e) {
            /* Only the second can fail, by colliding with the first. */
            if (i == 0 || !t[0] || !pathtmpl_same_shape(t[0], t[1]) || !strstr(e->message, "collides")) abort();
            gw_err_free(e);
            pathtmpl_free(t[1]);
            t[1] = NULL;
        }
    }
    while (pos < size) {
        size_t n = next_line(data, size, &pos, line[2]);
        const char *path = line[2];
        bool valid = pathtmpl_path_valid(path, n);
        bool matched[2] = {false, false};
        buf storage[2] = {BUF_INIT, BUF_INIT};
        pathtmpl_value values[2][PATHTMPL_MAX_VARS];
        for (int i = 0; i < 2; i++)
            if (t[i]) matched[i] = pathtmpl_match(t[i], path, n, &storage[i], values[i]);
        if (!valid && (matched[0] || matched[1])) abort();
        route_match m;
        buf allow = BUF_INIT;
        enum route_result res = router_match(r, "GET", path, n, &m, &allow);
        if (!valid) {
            if (n > 0 && path[0] == '/' && res != ROUTE_BAD_PATH) abort();
        } else if (matched[0] || matched[1]) {
            if (res != ROUTE_FOUND) abort();
            /* The router keeps its own parse of the same text. */
            int which = (t[0] && strcmp(m.route->pattern, t[0]->text) == 0) ? 0 : 1;
            if (!matched[which] || m.n_vars != t[which]->n_vars) abort();
            for (size_t v = 0; v < m.n_vars; v++) {
                const char *want = (const char *)storage[which].data + values[which][v].offset;
                if (m.vars[v].value_len != values[which][v].len || memcmp(m.vars[v].value, want, m.vars[v].value_len) != 0)
                    abort();
            }
            if (!router_path_taken(r, path) && memchr(path, 0, n) == NULL) abort();
        } else if (res == ROUTE_FOUND || res == ROUTE_METHOD_NOT_ALLOWED) {
            abort();
        }
        /* HEAD behaves as GET; another method sees 405 exactly where GET finds a route. */
        route_match m2;
        enum route_result res2 = router_match(r, "POST", path, n, &m2, &allow);
        if ((res == ROUTE_FOUND) != (res2 == ROUTE_METHOD_NOT_ALLOWED)) abort();
        route_match_free(&m2);
        route_match_free(&m);
        buf_free(&allow);
        buf_free(&storage[0]);
        buf_free(&storage[1]);
    }
    pathtmpl_free(t[0]);
    pathtmpl_free(t[1]);
    router_free(r);
    return 0;
}
