/* test_router.c: unit tests for src/gateway/router: route selection, 404/405, collisions, and the
 * routes built from tests/proto/routes.proto (gen/tests/routes.desc). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "descpool.h"
#include "router.h"

#ifndef GW_TEST_DATADIR
#define GW_TEST_DATADIR "gen"
#endif

/* ------------------------------------------------------------------ helpers */

static void add_ok(router *r, const pb_method *m, const char *method, const char *pattern, const char *body,
                   const char *response_body)
{
    gw_err *e = router_add(r, m, method, pattern, body, response_body);
    if (e) ck_abort_msg("router_add %s %s: %s", method, pattern, e->message);
}

static void add_fails(router *r, const pb_method *m, const char *method, const char *pattern, const char *body,
                      const char *response_body, const char *want)
{
    size_t before = router_count(r);
    gw_err *e = router_add(r, m, method, pattern, body, response_body);
    ck_assert_msg(e != NULL, "router_add %s %s should fail with '%s'", method, pattern, want);
    ck_assert_int_eq(e->code, GRPC_STATUS_INVALID_ARGUMENT);
    ck_assert_msg(strstr(e->message, want) != NULL, "message '%s' lacks '%s'", e->message, want);
    ck_assert_uint_eq(router_count(r), before);
    gw_err_free(e);
}

/* Matches and describes the result: "PATTERN [var=value ...]" for a match, "404", "400" or
 * "405 Allow: ...". */
static const char *describe(const router *r, const char *method, const char *path)
{
    static char out[1024];
    route_match m;
    buf allow = BUF_INIT;
    enum route_result res = router_match(r, method, path, strlen(path), &m, &allow);
    switch (res) {
    case ROUTE_FOUND:
        snprintf(out, sizeof out, "%s %s", m.route->http_method, m.route->pattern);
        for (size_t i = 0; i < m.n_vars; i++) {
            ck_assert_uint_eq(strlen(m.vars[i].value), m.vars[i].value_len);
            snprintf(out + strlen(out), sizeof out - strlen(out), " %s=%s", m.vars[i].field_path, m.vars[i].value);
        }
        break;
    case ROUTE_NOT_FOUND: snprintf(out, sizeof out, "404"); break;
    case ROUTE_BAD_PATH: snprintf(out, sizeof out, "400"); break;
    case ROUTE_METHOD_NOT_ALLOWED: snprintf(out, sizeof out, "405 Allow: %s", allow.data ? (char *)allow.data : ""); break;
    }
    if (res != ROUTE_METHOD_NOT_ALLOWED) ck_assert_uint_eq(allow.len, 0);
    if (res != ROUTE_FOUND) ck_assert_ptr_null(m.route);
    route_match_free(&m);
    buf_free(&allow);
    return out;
}

#define EXPECT(r, method, path, want) \
    ck_assert_msg(strcmp(describe(r, method, path), want) == 0, "%s %s: got '%s', want '%s'", method, path, \
                  describe(r, method, path), want)

/* ------------------------------------------------------------------ template-only routes */

START_TEST(most_specific_template_wins)
{
    router *r = router_new();
    add_ok(r, NULL, "GET", "/v1/{name=**}", NULL, NULL);
    add_ok(r, NULL, "GET", "/v1/{shelf}/books/{book}", NULL, NULL);
    add_ok(r, NULL, "GET", "/v1/{shelf}/books/featured", NULL, NULL);
    add_ok(r, NULL, "GET", "/v1/shelves/{book}/{x}", NULL, NULL);
    add_ok(r, NULL, "GET", "/v1/{a}/{b}", NULL, NULL);
    add_ok(r, NULL, "GET", "/v1/shelves/featured", NULL, NULL);
    add_ok(r, NULL, "GET", "/v1/*/x/**", NULL, NULL);

    EXPECT(r, "GET", "/v1/shelves/featured", "GET /v1/shelves/featured");
    EXPECT(r, "GET", "/v1/shelves/other", "GET /v1/{a}/{b} a=shelves b=other");
    EXPECT(r, "GET", "/v1/s1/books/featured", "GET /v1/{shelf}/books/featured shelf=s1");
    EXPECT(r, "GET", "/v1/s1/books/b1", "GET /v1/{shelf}/books/{book} shelf=s1 book=b1");
    /* A longer literal prefix wins: shelves/... beats {shelf}/books/... */
    EXPECT(r, "GET", "/v1/shelves/books/b1", "GET /v1/shelves/{book}/{x} book=books x=b1");
    EXPECT(r, "GET", "/v1/q/x", "GET /v1/*/x/**");   /* a literal beats {b}, whatever follows */
    EXPECT(r, "GET", "/v1/q/z", "GET /v1/{a}/{b} a=q b=z");
    EXPECT(r, "GET", "/v1/q/x/y", "GET /v1/*/x/**");
    EXPECT(r, "GET", "/v1/q/y/z/w", "GET /v1/{name=**} name=q/y/z/w");
    EXPECT(r, "GET", "/v1", "GET /v1/{name=**} name=");
    EXPECT(r, "GET", "/v2", "404");
    router_free(r);
}
END_TEST

START_TEST(method_not_allowed_lists_every_matching_method)
{
    router *r = router_new();
    add_ok(r, NULL, "GET", "/v1/shelves/{name}", NULL, NULL);
    add_ok(r, NULL, "DELETE", "/v1/shelves/{id}", NULL, NULL);
    add_ok(r, NULL, "POST", "/v1/shelves/special", "*", NULL);
    add_ok(r, NULL, "PATCH", "/v1/{p=**}", "*", NULL);
    add_ok(r, NULL, "GET", "/v1/shelves", NULL, NULL);

    /* The most specific template with the request's method wins, even when a more specific
     * template exists for another method. */
    EXPECT(r, "GET", "/v1/shelves/special", "GET /v1/shelves/{name} name=special");
    EXPECT(r, "POST", "/v1/shelves/special", "POST /v1/shelves/special");
    EXPECT(r, "DELETE", "/v1/shelves/s1", "DELETE /v1/shelves/{id} id=s1");
    EXPECT(r, "PATCH", "/v1/shelves/s1", "PATCH /v1/{p=**} p=shelves/s1");
    EXPECT(r, "PUT", "/v1/shelves/special", "405 Allow: POST, GET, DELETE, PATCH");
    EXPECT(r, "PUT", "/v1/shelves/s1", "405 Allow: GET, DELETE, PATCH");
    EXPECT(r, "POST", "/v1/shelves", "405 Allow: GET, PATCH");
    EXPECT(r, "POST", "/v2/shelves", "404");
    EXPECT(r, "get", "/v1/shelves", "405 Allow: GET, PATCH");   /* methods are case-sensitive */

    /* Allow is appended to what the buffer already holds. */
    route_match m;
    buf allow = BUF_INIT;
    buf_append_str(&allow, "X: ");
    ck_assert_int_eq(router_match(r, "PUT", "/v1/shelves", 11, &m, &allow), ROUTE_METHOD_NOT_ALLOWED);
    ck_assert_str_eq((char *)allow.data, "X: GET, PATCH");
    ck_assert_int_eq(router_match(r, "PUT", "/v1/shelves", 11, &m, NULL), ROUTE_METHOD_NOT_ALLOWED);
    buf_free(&allow);
    router_free(r);
}
END_TEST

START_TEST(head_matches_get_routes)
{
    router *r = router_new();
    add_ok(r, NULL, "GET", "/v1/{name}", NULL, NULL);
    add_ok(r, NULL, "GET", "/v2/{name}", NULL, NULL);
    add_ok(r, NULL, "HEAD", "/v2/{id}", NULL, NULL);
    add_ok(r, NULL, "POST", "/v3", "*", NULL);
    EXPECT(r, "HEAD", "/v1/x", "GET /v1/{name} name=x");
    EXPECT(r, "HEAD", "/v2/x", "HEAD /v2/{id} id=x");   /* a HEAD route of its own comes first */
    EXPECT(r, "HEAD", "/v3", "405 Allow: POST");
    router_free(r);
}
END_TEST

START_TEST(verbs_and_colons)
{
    router *r = router_new();
    add_ok(r, NULL, "POST", "/v1/{name=operations/*}:cancel", "*", NULL);
    add_ok(r, NULL, "GET", "/v1/{name=operations/*}", NULL, NULL);
    add_ok(r, NULL, "GET", "/v1/{name=operations/*}:wait", NULL, NULL);
    add_ok(r, NULL, "GET", "/v1/{path=**}:list", NULL, NULL);
    add_ok(r, NULL, "GET", "/v1/a:b/{id}", NULL, NULL);
    add_ok(r, NULL, "GET", "/v1/things/{id}", NULL, NULL);

    EXPECT(r, "POST", "/v1/operations/op1:cancel", "POST /v1/{name=operations/*}:cancel name=operations/op1");
    EXPECT(r, "GET", "/v1/operations/op1:wait", "GET /v1/{name=operations/*}:wait name=operations/op1");
    /* An unknown verb is part of the last segment for templates without a verb. */
    EXPECT(r, "GET", "/v1/operations/op1:other", "GET /v1/{name=operations/*} name=operations/op1:other");
    EXPECT(r, "GET", "/v1/operations/op1", "GET /v1/{name=operations/*} name=operations/op1");
    /* A verb that some template matches is not part of a segment for others. */
    EXPECT(r, "GET", "/v1/operations/op1:cancel", "405 Allow: POST");
    EXPECT(r, "GET", "/v1/things/t1:cancel", "GET /v1/things/{id} id=t1:cancel");   /* no :cancel template matches */
    EXPECT(r, "GET", "/v1/x/y/z:list", "GET /v1/{path=**}:list path=x/y/z");
    EXPECT(r, "GET", "/v1/:list", "GET /v1/{path=**}:list path=");
    EXPECT(r, "GET", "/v1/a:b/7", "GET /v1/a:b/{id} id=7");
    EXPECT(r, "GET", "/v1/operations/op1:", "GET /v1/{name=operations/*} name=operations/op1:");
    router_free(r);
}
END_TEST

START_TEST(percent_decoding_and_bad_paths)
{
    router *r = router_new();
    add_ok(r, NULL, "GET", "/v1/users/{id}", NULL, NULL);
    add_ok(r, NULL, "GET", "/v1/{name=files/*/parts/*}", NULL, NULL);
    add_ok(r, NULL, "GET", "/v1/blobs/{path=**}", NULL, NULL);
    add_ok(r, NULL, "GET", "/v1/a%20b", NULL, NULL);
    EXPECT(r, "GET", "/v1/users/a%2Fb%20c", "GET /v1/users/{id} id=a/b c");
    EXPECT(r, "GET", "/v1/files/a%2Fb/parts/%41", "GET /v1/{name=files/*/parts/*} name=files/a%2Fb/parts/A");
    EXPECT(r, "GET", "/v1/blobs/x%2fy/z%3F", "GET /v1/blobs/{path=**} path=x%2fy/z?");
    EXPECT(r, "GET", "/v1/%75sers/7", "GET /v1/users/{id} id=7");   /* literals compare decoded */
    EXPECT(r, "GET", "/v1/a%20b", "GET /v1/a%20b");
    EXPECT(r, "GET", "/v1/users/a%2", "400");
    EXPECT(r, "GET", "/v1/users/%zz", "400");
    EXPECT(r, "GET", "/nothing/%", "400");   /* malformed anywhere: 400 before any matching */
    EXPECT(r, "GET", "/v1/users/", "404");   /* an empty segment matches no variable */
    EXPECT(r, "GET", "/v1//users/1", "404");
    EXPECT(r, "GET", "", "404");
    EXPECT(r, "GET", "*", "404");
    router_free(r);
}
END_TEST

START_TEST(collisions_are_rejected)
{
    router *r = router_new();
    add_ok(r, NULL, "GET", "/v1/{name=shelves/*}", NULL, NULL);
    add_fails(r, NULL, "GET", "/v1/{id=shelves/*}", NULL, NULL,
              "GET /v1/{id=shelves/*} collides with GET /v1/{name=shelves/*}");
    add_fails(r, NULL, "GET", "/v1/shelves/*", NULL, NULL, "collides with GET /v1/{name=shelves/*}");
    add_fails(r, NULL, "GET", "/v1/%73helves/{x}", NULL, NULL, "collides");   /* same decoded literal */
    add_ok(r, NULL, "POST", "/v1/{id=shelves/*}", "*", NULL);                /* other method */
    add_ok(r, NULL, "GET", "/v1/{id=shelves/*}:x", NULL, NULL);              /* verb */
    add_fails(r, NULL, "GET", "/v1/shelves/{y}:x", NULL, NULL, "collides");
    add_ok(r, NULL, "GET", "/v1/{id=shelves/**}", NULL, NULL);               /* `**` differs from `*` */
    add_fails(r, NULL, "GET", "/v1/shelves/{rest=**}", NULL, NULL, "collides");
    add_fails(r, NULL, "GET", "/v1/{bad", NULL, NULL, "invalid path template");
    add_fails(r, NULL, "", "/v1/x", NULL, NULL, "needs an HTTP method");
    ck_assert_uint_eq(router_count(r), 4);
    ck_assert_str_eq(router_route(r, 1)->pattern, "/v1/{id=shelves/*}");
    ck_assert_str_eq(router_route(r, 1)->body, "*");
    ck_assert_ptr_null(router_route(r, 4));
    router_free(r);
}
END_TEST

START_TEST(path_taken_checks_every_method)
{
    router *r = router_new();
    add_ok(r, NULL, "POST", "/v1/{name}", "*", NULL);
    add_ok(r, NULL, "GET", "/files/{p=**}", NULL, NULL);
    ck_assert(router_path_taken(r, "/v1/healthz"));
    ck_assert(router_path_taken(r, "/files"));
    ck_assert(!router_path_taken(r, "/healthz"));
    ck_assert(!router_path_taken(r, "/v1/a/b"));
    ck_assert(!router_path_taken(r, "/v1/%zz"));
    ck_assert(!router_path_taken(r, ""));
    router_free(r);
}
END_TEST

START_TEST(root_and_empty_router)
{
    router *r = router_new();
    EXPECT(r, "GET", "/", "404");
    ck_assert(!router_path_taken(r, "/"));
    add_ok(r, NULL, "GET", "/", NULL, NULL);
    EXPECT(r, "GET", "/", "GET /");
    EXPECT(r, "GET", "//", "404");
    router_free(r);
}
END_TEST

START_TEST(many_routes_and_deep_paths)
{
    router *r = router_new();
    char pattern[96];
    for (int i = 0; i < 300; i++) {
        snprintf(pattern, sizeof pattern, "/pkg.Service%d/Method%d", i % 7, i);
        add_ok(r, NULL, "POST", pattern, "*", NULL);
    }
    add_ok(r, NULL, "GET", "/deep/{p=**}", NULL, NULL);
    for (int i = 0; i < 300; i++) {
        char path[64];
        snprintf(path, sizeof path, "/pkg.Service%d/Method%d", i % 7, i);
        snprintf(pattern, sizeof pattern, "POST %s", path);
        EXPECT(r, "POST", path, pattern);
    }
    EXPECT(r, "POST", "/pkg.Service1/Method0", "404");
    /* A path of many segments costs nothing special. */
    size_t n = 20000;
    char *deep = malloc(n + 8);
    strcpy(deep, "/deep");
    for (size_t i = 5; i + 2 < n; i += 2) memcpy(deep + i, "/x", 2), deep[i + 2] = 0;
    route_match m;
    ck_assert_int_eq(router_match(r, "GET", deep, strlen(deep), &m, NULL), ROUTE_FOUND);
    ck_assert_uint_eq(m.vars[0].value_len, strlen(deep) - 6);
    route_match_free(&m);
    free(deep);
    router_free(r);
}
END_TEST

/* ------------------------------------------------------------------ routes from routes.desc */

static descpool *load_pool(void)
{
    descpool *pool = descpool_new();
    gw_err *e = descpool_add_file(pool, GW_TEST_DATADIR "/tests/routes.desc");
    if (!e) e = descpool_finish(pool);
    if (e) ck_abort_msg("loading routes.desc: %s", e->message);
    return pool;
}

static const pb_method *method(const descpool *pool, const char *name)
{
    char path[128];
    snprintf(path, sizeof path, "/routes.Library/%s", name);
    const pb_method *m = descpool_find_method(pool, path);
    ck_assert_msg(m != NULL, "no method %s", path);
    return m;
}

START_TEST(pool_routes_cover_every_binding)
{
    descpool *pool = load_pool();
    router *r = router_new();
    gw_err *e = router_add_pool(r, pool);
    if (e) ck_abort_msg("router_add_pool: %s", e->message);
    /* 16 methods, 15 with rules: 18 rule bindings (ListBooks has 3, UpdateBook 2) + 16 automatic
     * POST /routes.Library/<Method> routes. */
    ck_assert_uint_eq(router_count(r), 18 + 16);

    EXPECT(r, "GET", "/v1/shelves", "GET /v1/shelves");
    EXPECT(r, "GET", "/v1/shelves/s1", "GET /v1/{name=shelves/*} name=shelves/s1");
    EXPECT(r, "GET", "/v1/shelves/featured", "GET /v1/shelves/featured");
    EXPECT(r, "DELETE", "/v1/shelves/featured", "DELETE /v1/{name=shelves/*} name=shelves/featured");
    EXPECT(r, "POST", "/v1/shelves", "POST /v1/shelves");
    EXPECT(r, "PUT", "/v1/shelves", "405 Allow: GET, POST");
    EXPECT(r, "GET", "/v1/shelves/s1/books", "GET /v1/{parent=shelves/*}/books parent=shelves/s1");
    EXPECT(r, "GET", "/v1/books", "GET /v1/books");
    EXPECT(r, "GET", "/v1/books/since/2024-01-01T00:00:00Z",
           "GET /v1/books/since/{published_after} published_after=2024-01-01T00:00:00Z");
    EXPECT(r, "GET", "/v1/shelves/s1/books/b1", "GET /v1/{name=shelves/*/books/*} name=shelves/s1/books/b1");
    EXPECT(r, "GET", "/v1/shelves/s1/books/b1/editions/2",
           "GET /v1/{name=shelves/*/books/*}/editions/{edition.number} name=shelves/s1/books/b1 edition.number=2");
    EXPECT(r, "PATCH", "/v1/shelves/s1/books/b1", "PATCH /v1/{book.name=shelves/*/books/*} book.name=shelves/s1/books/b1");
    EXPECT(r, "PUT", "/v1/shelves/s1/books/b1", "PUT /v1/{book.name=shelves/*/books/*} book.name=shelves/s1/books/b1");
    EXPECT(r, "LOCK", "/v1/shelves/s1/books/b1", "LOCK /v1/{name=shelves/*/books/*} name=shelves/s1/books/b1");
    EXPECT(r, "POST", "/v1/shelves/s1/books/b1:move", "POST /v1/{name=shelves/*/books/*}:move name=shelves/s1/books/b1");
    EXPECT(r, "GET", "/v1/shelves/s1/books/b1:title", "GET /v1/{name=shelves/*/books/*}:title name=shelves/s1/books/b1");
    EXPECT(r, "POST", "/v1/shelves/s1/books/b1", "405 Allow: GET, PATCH, PUT, LOCK");
    EXPECT(r, "GET", "/v1/files/a/b%2Fc.txt", "GET /v1/files/{path=**} path=a/b%2Fc.txt");
    EXPECT(r, "GET", "/v1/stats/anything/top", "GET /v1/stats/*/top");
    EXPECT(r, "POST", "/routes.Library/Ping", "POST /routes.Library/Ping");
    EXPECT(r, "POST", "/routes.Library/GetBook", "POST /routes.Library/GetBook");
    EXPECT(r, "GET", "/routes.Library/GetBook", "405 Allow: POST");
    EXPECT(r, "GET", "/v1/shelves/s1/books/b1/x", "404");

    /* Resolved fields. */
    route_match m;
    const char *p = "/v1/shelves/s1/books/b1:title";
    ck_assert_int_eq(router_match(r, "GET", p, strlen(p), &m, NULL), ROUTE_FOUND);
    ck_assert_ptr_eq(m.route->method, method(pool, "GetBookTitle"));
    ck_assert_ptr_null(m.route->body);
    ck_assert_str_eq(m.route->response_body, "title");
    ck_assert_str_eq(m.route->response_field->name, "title");
    route_match_free(&m);
    p = "/v1/shelves/s1/books";
    ck_assert_int_eq(router_match(r, "POST", p, strlen(p), &m, NULL), ROUTE_FOUND);
    ck_assert_str_eq(m.route->body, "book");
    ck_assert_str_eq(m.route->body_field->name, "book");
    ck_assert_ptr_null(m.route->response_field);
    route_match_free(&m);
    p = "/v1/shelves/s1/books/b1";
    ck_assert_int_eq(router_match(r, "PUT", p, strlen(p), &m, NULL), ROUTE_FOUND);
    ck_assert_str_eq(m.route->body, "*");
    ck_assert_ptr_null(m.route->body_field);
    route_match_free(&m);
    p = "/routes.Library/Ping";
    ck_assert_int_eq(router_match(r, "POST", p, strlen(p), &m, NULL), ROUTE_FOUND);
    ck_assert_str_eq(m.route->body, "*");
    ck_assert_ptr_eq(m.route->method, method(pool, "Ping"));
    route_match_free(&m);

    /* A method's own POST /<service>/<method> rule does not collide with its automatic route. */
    router *r2 = router_new();
    add_ok(r2, method(pool, "Ping"), "POST", "/routes.Library/Ping", "*", NULL);
    e = router_add_pool(r2, pool);
    if (e) ck_abort_msg("router_add_pool: %s", e->message);
    ck_assert_uint_eq(router_count(r2), 1 + 18 + 15);
    router_free(r2);

    /* Adding the pool twice collides. */
    e = router_add_pool(r, pool);
    ck_assert_ptr_nonnull(e);
    ck_assert(strstr(e->message, "routes.Library.ListShelves: GET /v1/shelves collides with GET /v1/shelves of "
                                 "routes.Library.ListShelves") != NULL);
    gw_err_free(e);
    router_free(r);
    descpool_free(pool);
}
END_TEST

START_TEST(pool_route_validation)
{
    descpool *pool = load_pool();
    router *r = router_new();
    const pb_method *get_book = method(pool, "GetBook"), *edition = method(pool, "GetEdition");
    const pb_method *update = method(pool, "UpdateBook"), *list = method(pool, "ListBooks");
    add_fails(r, get_book, "GET", "/v1/{nme}", NULL, NULL,
              "routes.Library.GetBook: GET /v1/{nme}: variable 'nme': no field 'nme' in message routes.GetBookRequest");
    add_fails(r, get_book, "POST", "/v1/x", "bdy", NULL, "body: no field 'bdy' in message routes.GetBookRequest");
    add_fails(r, get_book, "GET", "/v1/x", NULL, "titel", "response_body: no field 'titel' in message routes.Book");
    add_fails(r, edition, "GET", "/v1/{edition}", NULL, NULL, "field 'edition' is a message without a string form");
    add_fails(r, edition, "GET", "/v1/{edition.publisher}", NULL, NULL, "is a message without a string form");
    add_fails(r, edition, "GET", "/v1/{name.x}", NULL, NULL, "field 'name' is not a message with fields");
    add_fails(r, edition, "GET", "/v1/{edition.nope}", NULL, NULL, "no field 'nope' in message routes.Edition");
    add_fails(r, update, "GET", "/v1/{book.tags}", NULL, NULL, "field 'tags' is repeated");
    add_fails(r, update, "GET", "/v1/{book.labels}", NULL, NULL, "field 'labels' is a map");
    add_fails(r, update, "GET", "/v1/{book.publish_time.seconds}", NULL, NULL,
              "field 'publish_time' is not a message with fields");
    add_fails(r, list, "GET", "/v1/{editions.number}", NULL, NULL, "field 'editions' is repeated");
    add_fails(r, list, "GET", "/v1/{extra}", NULL, NULL, "message without a string form");
    /* Accepted: nested scalars, enums, string-form well-known types, json names, GET with a body. */
    add_ok(r, edition, "GET", "/v1/{edition.publisher.country_code}/{edition.genre}", NULL, NULL);
    add_ok(r, list, "GET", "/v2/{published_after}/{max_age}/{read_mask}/{min_rating}/{only_read}/{token}", NULL,
           NULL);
    add_ok(r, update, "GET", "/v3/{book.publishTime}", "*", NULL);
    add_ok(r, update, "DELETE", "/v3/{book.name}", "book", "name");
    ck_assert_uint_eq(router_count(r), 4);
    router_free(r);
    descpool_free(pool);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("router");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, most_specific_template_wins);
    tcase_add_test(tc, method_not_allowed_lists_every_matching_method);
    tcase_add_test(tc, head_matches_get_routes);
    tcase_add_test(tc, verbs_and_colons);
    tcase_add_test(tc, percent_decoding_and_bad_paths);
    tcase_add_test(tc, collisions_are_rejected);
    tcase_add_test(tc, path_taken_checks_every_method);
    tcase_add_test(tc, root_and_empty_router);
    tcase_add_test(tc, many_routes_and_deep_paths);
    tcase_add_test(tc, pool_routes_cover_every_binding);
    tcase_add_test(tc, pool_route_validation);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
