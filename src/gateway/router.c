/* router.c: the route table (see router.h): a trie keyed by path segment, searched most specific
 * first.
 *
 * Each trie edge consumes one path segment: a literal edge (sorted by decoded bytes, binary-searched)
 * or the `*` edge. Templates end at a node (`ends`) or with `**` at a node (`dstar_ends`). Because a
 * node sits at a fixed segment depth, a search visits every node at most once, so matching costs at
 * most the size of the trie whatever the path.
 *
 * Most specific wins: at each segment a literal is tried before `*`, and `*` before `**`; a template
 * that ends exactly at the path's end comes before one whose `**` matches nothing. So of two templates
 * the one with the literal at the first segment where they differ wins (a longer literal prefix
 * first); a literal beats a variable even when `**` follows it (for "/v1/q/x",
 * the template "/v1/{a}/x/{rest=**}" beats "/v1/{a}/{b}"). A path ending in ":verb" is matched first against the templates with that verb; only
 * when none of them matches the path (under any method) is it matched whole against the templates
 * without a verb. So for "/v1/a:cancel", "/v1/{name}:cancel" beats "/v1/{name}", and a GET to it when
 * only POST has the :cancel template is 405, not GetThing with name "a:cancel" (Envoy's transcoder
 * behaves the same for registered verbs). Among the templates that match the path, the first one
 * that has a route for the request's method is taken; when none has, the result is 405 with every
 * matching route's method in Allow.
 *
 * GET and DELETE routes may take a body: the rule says what to bind, and the gateway does not second
 * guess it (grpc-gateway rejects GET with a body when it generates code; we accept it). */
#include "router.h"

#include <stdlib.h>
#include <string.h>

#include "httprule.h"

/* A route and the strings it owns. The public struct first: a route * is a route_entry *. */
typedef struct route_entry {
    route pub;
    char *http_method;
    char *pattern;
    char *body;
    char *response_body;
    pathtmpl *tmpl;
    bool automatic;                  /* the POST /<service>/<method> route */
} route_entry;

typedef struct route_list {
    route_entry **items;
    size_t n, cap;
} route_list;

typedef struct trie_node trie_node;

typedef struct trie_edge {
    const char *literal;             /* decoded, owned by the template that created the edge */
    size_t len;
    trie_node *child;
} trie_edge;

struct trie_node {
    trie_edge *lits;                 /* sorted by pathtmpl_segment_cmp order */
    size_t n_lits, cap_lits;
    trie_node *star;
    route_list ends;                 /* templates that end at this node */
    route_list dstar_ends;           /* templates whose final `**` starts at this node */
};

struct router {
    route_list routes;               /* in the order added */
    trie_node root;
    bool has_verbs;                  /* some template has a verb: try the verb split when matching */
};

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n);
    if (!p) abort();
    return p;
}

static char *xstrdup(const char *s)
{
    if (!s) return NULL;
    char *d = strdup(s);
    if (!d) abort();
    return d;
}

static void list_push(route_list *l, route_entry *e)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 4;
        l->items = xrealloc(l->items, l->cap * sizeof *l->items);
    }
    l->items[l->n++] = e;
}

static void node_free(trie_node *n)
{
    for (size_t i = 0; i < n->n_lits; i++) {
        node_free(n->lits[i].child);
        free(n->lits[i].child);
    }
    free(n->lits);
    if (n->star) {
        node_free(n->star);
        free(n->star);
    }
    free(n->ends.items);
    free(n->dstar_ends.items);
}

router *router_new(void)
{
    router *r = calloc(1, sizeof *r);
    if (!r) abort();
    return r;
}

static void entry_free(route_entry *e)
{
    pathtmpl_free(e->tmpl);
    free(e->http_method);
    free(e->pattern);
    free(e->body);
    free(e->response_body);
    free(e);
}

void router_free(router *r)
{
    if (!r) return;
    node_free(&r->root);
    for (size_t i = 0; i < r->routes.n; i++) entry_free(r->routes.items[i]);
    free(r->routes.items);
    free(r);
}

/* ------------------------------------------------------------------ building (start-up only) */

static int literal_cmp(const char *a, size_t an, const char *b, size_t bn)
{
    int c = memcmp(a, b, an < bn ? an : bn);
    if (c) return c;
    return an < bn ? -1 : an > bn;
}

static trie_node *new_node(void)
{
    trie_node *n = calloc(1, sizeof *n);
    if (!n) abort();
    return n;
}

static trie_node *literal_child(trie_node *n, const char *lit, size_t len)
{
    size_t lo = 0, hi = n->n_lits;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = literal_cmp(lit, len, n->lits[mid].literal, n->lits[mid].len);
        if (c == 0) return n->lits[mid].child;
        if (c < 0) hi = mid;
        else lo = mid + 1;
    }
    if (n->n_lits == n->cap_lits) {
        n->cap_lits = n->cap_lits ? 2 * n->cap_lits : 4;
        n->lits = xrealloc(n->lits, n->cap_lits * sizeof *n->lits);
    }
    memmove(&n->lits[lo + 1], &n->lits[lo], (n->n_lits - lo) * sizeof *n->lits);
    n->lits[lo] = (trie_edge){lit, len, new_node()};
    n->n_lits++;
    return n->lits[lo].child;
}

/* The list a template ends in, creating the nodes on its way. */
static route_list *terminal_for(router *r, const pathtmpl *t)
{
    trie_node *n = &r->root;
    for (size_t i = 0; i < t->n_segs; i++) {
        const pathtmpl_seg *s = &t->segs[i];
        if (s->kind == PATHTMPL_DSTAR) return &n->dstar_ends;   /* always the last segment */
        if (s->kind == PATHTMPL_STAR) {
            if (!n->star) n->star = new_node();
            n = n->star;
        } else {
            n = literal_child(n, s->literal, s->literal_len);
        }
    }
    return &n->ends;
}

static bool same_verb(const pathtmpl *a, const char *verb, size_t verb_len)
{
    if (!a->verb || !verb) return !a->verb && !verb;
    return a->verb_len == verb_len && memcmp(a->verb, verb, verb_len) == 0;
}

static const char *method_name(const pb_method *m) { return m ? m->full_name : "(no method)"; }

static bool is_string_form_wkt(enum pb_wkt w)
{
    switch (w) {
    case PB_WKT_TIMESTAMP: case PB_WKT_DURATION: case PB_WKT_FIELD_MASK:
    case PB_WKT_DOUBLE_VALUE: case PB_WKT_FLOAT_VALUE: case PB_WKT_INT64_VALUE: case PB_WKT_UINT64_VALUE:
    case PB_WKT_INT32_VALUE: case PB_WKT_UINT32_VALUE: case PB_WKT_BOOL_VALUE: case PB_WKT_STRING_VALUE:
    case PB_WKT_BYTES_VALUE:
        return true;
    default:
        return false;
    }
}

/* A template variable must name a singular scalar, enum or string-form well-known type, reached
 * through singular (non well-known) messages. */
static gw_err *check_var_field(const pb_msg *msg, const char *path)
{
    const char *p = path;
    for (;;) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        const pb_field *f = pb_msg_field_by_name(msg, p, n);
        if (!f)
            return gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "variable '%s': no field '%.*s' in message %s", path,
                              (int)n, p, msg->full_name);
        bool is_msg = f->type == PB_TYPE_MESSAGE || f->type == PB_TYPE_GROUP;
        if (f->repeated)
            return gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "variable '%s': field '%.*s' is %s", path, (int)n, p,
                              f->is_map ? "a map" : "repeated");
        if (dot) {
            if (!is_msg || !f->message || f->message->wkt != PB_WKT_NONE)
                return gw_err_new(GRPC_STATUS_INVALID_ARGUMENT,
                                  "variable '%s': field '%.*s' is not a message with fields", path, (int)n, p);
            msg = f->message;
            p = dot + 1;
            continue;
        }
        if (is_msg && !(f->message && is_string_form_wkt(f->message->wkt)))
            return gw_err_new(GRPC_STATUS_INVALID_ARGUMENT,
                              "variable '%s': field '%.*s' is a message without a string form", path, (int)n, p);
        return NULL;
    }
}

static gw_err *resolve_fields(route_entry *e, const pb_method *m)
{
    if (!m) return NULL;
    if (e->body && strcmp(e->body, "*") != 0) {
        e->pub.body_field = pb_msg_field_by_name(m->input, e->body, strlen(e->body));
        if (!e->pub.body_field)
            return gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "body: no field '%s' in message %s", e->body,
                              m->input->full_name);
    }
    if (e->response_body) {
        e->pub.response_field = pb_msg_field_by_name(m->output, e->response_body, strlen(e->response_body));
        if (!e->pub.response_field)
            return gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "response_body: no field '%s' in message %s",
                              e->response_body, m->output->full_name);
    }
    for (size_t i = 0; i < e->tmpl->n_vars; i++) {
        gw_err *err = check_var_field(m->input, e->tmpl->vars[i].field_path);
        if (err) return err;
    }
    return NULL;
}

/* Adds a route. An automatic route (POST /<service>/<method>) that collides with a route of the same
 * method is skipped: the method is already reachable there. */
static gw_err *add_route(router *r, const pb_method *m, const char *http_method, const char *pattern,
                         const char *body, const char *response_body, bool automatic)
{
    if (!http_method || !*http_method)
        return gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "%s: a route needs an HTTP method", method_name(m));
    route_entry *e = calloc(1, sizeof *e);
    if (!e) abort();
    gw_err *err = pathtmpl_parse(pattern, &e->tmpl);
    if (err) {
        free(e);
        return gw_err_prefix(err, "%s: %s %s", method_name(m), http_method, pattern);
    }
    e->http_method = xstrdup(http_method);
    e->pattern = xstrdup(pattern);
    e->body = body && *body ? xstrdup(body) : NULL;
    e->response_body = response_body && *response_body ? xstrdup(response_body) : NULL;
    e->automatic = automatic;
    e->pub = (route){.method = m, .http_method = e->http_method, .pattern = e->pattern, .body = e->body,
                     .response_body = e->response_body, .tmpl = e->tmpl};
    if ((err = resolve_fields(e, m)) != NULL) {
        err = gw_err_prefix(err, "%s: %s %s", method_name(m), http_method, pattern);
        entry_free(e);
        return err;
    }
    route_list *l = terminal_for(r, e->tmpl);
    for (size_t i = 0; i < l->n; i++) {
        const route_entry *o = l->items[i];
        if (strcmp(o->http_method, e->http_method) != 0 || !same_verb(o->tmpl, e->tmpl->verb, e->tmpl->verb_len))
            continue;
        if (automatic && o->pub.method == m) {   /* the method's own rule already serves this path */
            entry_free(e);
            return NULL;
        }
        err = gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "%s: %s %s collides with %s %s of %s", method_name(m),
                         http_method, pattern, o->http_method, o->pattern, method_name(o->pub.method));
        entry_free(e);
        return err;
    }
    list_push(l, e);
    list_push(&r->routes, e);
    if (e->tmpl->verb) r->has_verbs = true;
    return NULL;
}

gw_err *router_add(router *r, const pb_method *m, const char *http_method, const char *pattern,
                   const char *body, const char *response_body)
{
    return add_route(r, m, http_method, pattern, body, response_body, false);
}

gw_err *router_add_pool(router *r, const descpool *pool)
{
    size_t n = descpool_method_count(pool);
    for (size_t i = 0; i < n; i++) {
        const pb_method *m = descpool_method(pool, i);
        if (m->http_rule) {
            httprule rule;
            gw_err *err = httprule_decode(m->http_rule, m->http_rule_len, &rule);
            if (err) return gw_err_prefix(err, "%s: google.api.http", m->full_name);
            for (size_t b = 0; b < rule.n_bindings && !err; b++) {
                const httprule_binding *hb = &rule.bindings[b];
                err = add_route(r, m, hb->http_method, hb->pattern, hb->body, hb->response_body, false);
            }
            httprule_free(&rule);
            if (err) return err;
        }
        gw_err *err = add_route(r, m, "POST", m->grpc_path, "*", NULL, true);
        if (err) return err;
    }
    return NULL;
}

size_t router_count(const router *r) { return r->routes.n; }

const route *router_route(const router *r, size_t i) { return i < r->routes.n ? &r->routes.items[i]->pub : NULL; }

/* ------------------------------------------------------------------ matching (any thread) */

enum search_mode {
    SEARCH_FIND,                     /* stop at the first route with the request's method */
    SEARCH_ANY,                      /* stop at the first route of any method */
    SEARCH_ALLOW,                    /* visit every matching route, collecting methods */
};

typedef struct search {
    enum search_mode mode;
    const char *path;
    const char *verb;                /* the path's verb for this pass, or NULL (templates without one) */
    size_t verb_len;
    const char *method;
    bool head;                       /* HEAD request: GET routes also qualify */
    const route_entry *found;
    bool path_matched;               /* some template matched the path */
    buf *allow;
    size_t allow_start;
} search;

static bool allow_has(const search *s, const char *method)
{
    if (s->allow->len == s->allow_start) return false;
    size_t n = strlen(method);
    const char *p = (const char *)s->allow->data + s->allow_start, *end = (const char *)s->allow->data + s->allow->len;
    while (p < end) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        size_t len = comma ? (size_t)(comma - p) : (size_t)(end - p);
        if (len == n && memcmp(p, method, n) == 0) return true;
        p = comma ? comma + 2 : end;
    }
    return false;
}

/* Looks at the routes of one template end; returns true to stop the search. */
static bool visit(search *s, const route_list *l)
{
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < l->n; i++) {
            const route_entry *e = l->items[i];
            if (!same_verb(e->tmpl, s->verb, s->verb_len)) continue;
            s->path_matched = true;
            switch (s->mode) {
            case SEARCH_ANY:
                return true;
            case SEARCH_FIND:
                if (strcmp(e->http_method, pass == 0 ? s->method : "GET") == 0) {
                    s->found = e;
                    return true;
                }
                break;
            case SEARCH_ALLOW:
                if (pass == 0 && !allow_has(s, e->http_method)) {
                    if (s->allow->len > s->allow_start) buf_append_str(s->allow, ", ");
                    buf_append_str(s->allow, e->http_method);
                }
                break;
            }
        }
        if (!(s->mode == SEARCH_FIND && s->head)) break;
    }
    return false;
}

/* Searches below node n for the path's segments from `pos` (more: a segment starts at pos). The
 * recursion depth is bounded by the trie's depth (PATHTMPL_MAX_SEGMENTS). */
static bool search_node(search *s, const trie_node *n, size_t pos, size_t len, bool more)
{
    if (!more) return visit(s, &n->ends) || visit(s, &n->dstar_ends);
    const char *seg = s->path + pos;
    const char *slash = memchr(seg, '/', len - pos);
    size_t seg_len = slash ? (size_t)(slash - seg) : len - pos;
    size_t next = pos + seg_len + 1;
    if (n->n_lits) {
        size_t lo = 0, hi = n->n_lits;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            int c = pathtmpl_segment_cmp(seg, seg_len, n->lits[mid].literal, n->lits[mid].len);
            if (c == 0) {
                if (search_node(s, n->lits[mid].child, next, len, slash != NULL)) return true;
                break;
            }
            if (c < 0) hi = mid;
            else lo = mid + 1;
        }
    }
    if (n->star && seg_len > 0 && search_node(s, n->star, next, len, slash != NULL)) return true;
    return visit(s, &n->dstar_ends);
}

/* Runs the search: first with the path's trailing ":verb" split off (templates with that verb), then,
 * only when no template with that verb matched, on the whole path (templates without a verb). */
static void run_search(const router *r, search *s, const char *path, size_t len)
{
    s->path = path;
    if (r->has_verbs) {
        size_t i = len;
        while (i > 0 && path[i - 1] != '/' && path[i - 1] != ':') i--;
        if (i > 1 && i < len && path[i - 1] == ':') {
            s->verb = path + i;
            s->verb_len = len - i;
            search_node(s, &r->root, 1, i - 1, i - 1 > 1);
            if (s->path_matched) return;
        }
    }
    s->verb = NULL;
    s->verb_len = 0;
    search_node(s, &r->root, 1, len, len > 1);
}

enum route_result router_match(const router *r, const char *http_method, const char *path, size_t path_len,
                               route_match *m, buf *allow)
{
    memset(m, 0, sizeof *m);
    if (path_len == 0 || path[0] != '/') return ROUTE_NOT_FOUND;
    if (!pathtmpl_path_valid(path, path_len)) return ROUTE_BAD_PATH;
    search s = {.mode = SEARCH_FIND, .method = http_method, .head = strcmp(http_method, "HEAD") == 0};
    run_search(r, &s, path, path_len);
    if (s.found) {
        const pathtmpl *t = s.found->tmpl;
        pathtmpl_value values[PATHTMPL_MAX_VARS];
        if (!pathtmpl_match(t, path, path_len, &m->storage, values)) {   /* cannot happen: same rules */
            route_match_free(m);
            return ROUTE_NOT_FOUND;
        }
        m->route = &s.found->pub;
        m->n_vars = t->n_vars;
        for (size_t i = 0; i < t->n_vars; i++) {
            m->vars[i].field_path = t->vars[i].field_path;
            m->vars[i].value = (const char *)m->storage.data + values[i].offset;
            m->vars[i].value_len = values[i].len;
        }
        return ROUTE_FOUND;
    }
    if (!s.path_matched) return ROUTE_NOT_FOUND;
    if (allow) {
        search a = {.mode = SEARCH_ALLOW, .allow = allow, .allow_start = allow->len};
        run_search(r, &a, path, path_len);
    }
    return ROUTE_METHOD_NOT_ALLOWED;
}

void route_match_free(route_match *m)
{
    buf_free(&m->storage);
    m->route = NULL;
    m->n_vars = 0;
}

bool router_path_taken(const router *r, const char *path)
{
    size_t len = strlen(path);
    if (len == 0 || path[0] != '/' || !pathtmpl_path_valid(path, len)) return false;
    search s = {.mode = SEARCH_ANY};
    run_search(r, &s, path, len);
    return s.path_matched;
}
