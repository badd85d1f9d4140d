/* test_bind.c: unit tests for src/gateway/bind: body, path variables and query parameters into the
 * request message's JSON, on the routes of tests/proto/routes.proto (gen/tests/routes.desc). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bind.h"
#include "descpool.h"
#include "router.h"

#ifndef GW_TEST_DATADIR
#define GW_TEST_DATADIR "gen"
#endif

static descpool *pool;
static router *routes;

static void setup(void)
{
    pool = descpool_new();
    gw_err *e = descpool_add_file(pool, GW_TEST_DATADIR "/tests/routes.desc");
    if (!e) e = descpool_finish(pool);
    if (!e) {
        routes = router_new();
        e = router_add_pool(routes, pool);
        /* Extra routes for path variables of every kind. */
        const pb_method *list = descpool_find_method(pool, "/routes.Library/ListBooks");
        const pb_method *edition = descpool_find_method(pool, "/routes.Library/GetEdition");
        if (!e) e = router_add(routes, list, "GET", "/v9/unread/{include_unread}", NULL, NULL);
        if (!e) e = router_add(routes, list, "GET", "/v9/rating/{min_rating}/{max_age}/{token}", NULL, NULL);
        if (!e) e = router_add(routes, edition, "GET", "/v9/genre/{edition.genre}", NULL, NULL);
        if (!e) e = router_add(routes, edition, "POST", "/v9/edition/{edition.number}", "edition", NULL);
    }
    if (e) {
        fprintf(stderr, "setup: %s\n", e->message);
        abort();
    }
}

static void teardown(void)
{
    router_free(routes);
    descpool_free(pool);
}

/* Parses "k=v&k2=v2" ('+' left as it is: the caller of bind_request has already turned it into a
 * space, so tests write spaces directly). */
static size_t split_query(char *q, query_param *out, size_t max)
{
    size_t n = 0;
    if (!q || !*q) return 0;
    for (char *tok = strtok(q, "&"); tok && n < max; tok = strtok(NULL, "&")) {
        char *eq = strchr(tok, '=');
        if (eq) *eq = 0;
        out[n].key = tok;
        out[n].value = eq ? eq + 1 : "";
        n++;
    }
    return n;
}

/* Runs one request through the router and the binder; returns the compact sorted JSON, or "ERR <code>:
 * <message>". */
static char *bind_str(const char *method, const char *path, const char *query, const char *body, bool allow_unknown)
{
    static char out[4096];
    route_match m;
    ck_assert_msg(router_match(routes, method, path, strlen(path), &m, NULL) == ROUTE_FOUND, "%s %s: no route", method,
                  path);
    json_t *jbody = NULL;
    if (body) {
        json_error_t jerr;
        jbody = json_loads(body, JSON_DECODE_ANY, &jerr);
        ck_assert_msg(jbody != NULL, "bad test body %s", body);
    }
    char *qcopy = query ? strdup(query) : NULL;
    query_param params[32];
    size_t n = split_query(qcopy, params, 32);
    json_opts o = {.allow_unknown = allow_unknown};
    json_t *res = NULL;
    gw_err *e = bind_request(pool, &m, jbody, params, n, &o, &res);
    if (e) {
        ck_assert_ptr_null(res);
        snprintf(out, sizeof out, "ERR %d: %s", (int)e->code, e->message);
        gw_err_free(e);
    } else {
        char *s = json_dumps(res, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
        snprintf(out, sizeof out, "%s", s);
        free(s);
        json_decref(res);
    }
    free(qcopy);
    route_match_free(&m);
    return out;
}

#define BIND(method, path, query, body, want) \
    do { \
        const char *q_ = (query), *got_ = bind_str(method, path, q_, body, false); \
        ck_assert_msg(strcmp(got_, want) == 0, "%s %s?%s: got\n  %s\nwant\n  %s", method, path, q_ ? q_ : "", got_, \
                      want); \
    } while (0)

#define BIND_ERR(method, path, query, body, want) \
    do { \
        const char *q_ = (query), *got_ = bind_str(method, path, q_, body, false); \
        ck_assert_msg(strncmp(got_, "ERR 3: ", 7) == 0 && strstr(got_, want) != NULL, "%s %s?%s: got '%s', want error '%s'", \
                      method, path, q_ ? q_ : "", got_, want); \
    } while (0)

START_TEST(path_variables_without_body)
{
    BIND("GET", "/v1/shelves/s1", NULL, NULL, "{\"name\":\"shelves/s1\"}");
    BIND("GET", "/v1/shelves/s%201", NULL, NULL, "{\"name\":\"shelves/s 1\"}");
    BIND("GET", "/v1/shelves/s1/books/b1/editions/2", NULL, NULL,
         "{\"edition\":{\"number\":\"2\"},\"name\":\"shelves/s1/books/b1\"}");
    BIND("GET", "/v1/books/since/2024-01-01T00:00:00Z", NULL, NULL, "{\"publishedAfter\":\"2024-01-01T00:00:00Z\"}");
    BIND("GET", "/v1/files/a/b%2Fc", NULL, NULL, "{\"path\":\"a/b%2Fc\"}");
    BIND("GET", "/v9/unread/true", NULL, NULL, "{\"includeUnread\":true}");
    BIND("GET", "/v9/unread/0", NULL, NULL, "{\"includeUnread\":false}");
    BIND_ERR("GET", "/v9/unread/maybe", NULL, NULL,
             "path variable 'include_unread': invalid value 'maybe' for field 'include_unread': expected true, false, 1 or 0");
    BIND("GET", "/v9/rating/4/3.5s/YWJj", NULL, NULL, "{\"maxAge\":\"3.5s\",\"minRating\":\"4\",\"token\":\"YWJj\"}");
    BIND("GET", "/v9/genre/FICTION", NULL, NULL, "{\"edition\":{\"genre\":\"FICTION\"}}");
    BIND("GET", "/v9/genre/3", NULL, NULL, "{\"edition\":{\"genre\":3}}");
    BIND("GET", "/v9/genre/-1", NULL, NULL, "{\"edition\":{\"genre\":-1}}");
    /* An unknown name is left for the transcoder (which rejects it, or reads the default). */
    BIND("GET", "/v9/genre/POETRY", NULL, NULL, "{\"edition\":{\"genre\":\"POETRY\"}}");
    BIND_ERR("GET", "/v9/genre/99999999999", NULL, NULL, "enum number out of the int32 range");
    BIND_ERR("GET", "/v1/shelves/%FF", NULL, NULL, "path variable 'name': value for field 'name' is not valid UTF-8");
}
END_TEST

START_TEST(body_bindings)
{
    /* No body binding: an empty body is fine, any other is rejected. */
    BIND_ERR("GET", "/v1/shelves/s1", NULL, "{}", "this method takes no request body");
    /* body "*": the whole message; path variables override what the body says, under either name. */
    BIND("PUT", "/v1/shelves/s1/books/b1", NULL, "{\"book\":{\"name\":\"evil\",\"title\":\"T\"},\"updateMask\":\"title\"}",
         "{\"book\":{\"name\":\"shelves/s1/books/b1\",\"title\":\"T\"},\"updateMask\":\"title\"}");
    BIND("POST", "/v1/shelves/s1/books/b1:move", NULL, "{\"other_shelf\":\"shelves/s2\",\"name\":\"x\"}",
         "{\"name\":\"shelves/s1/books/b1\",\"other_shelf\":\"shelves/s2\"}");
    BIND("POST", "/v1/shelves/s1/books/b1:move", NULL, NULL, "{\"name\":\"shelves/s1/books/b1\"}");
    BIND("POST", "/v1/shelves/s1/books/b1:move", NULL, "null", "{\"name\":\"shelves/s1/books/b1\"}");
    BIND_ERR("POST", "/v1/shelves/s1/books/b1:move", NULL, "[1]", "the request body must be a JSON object");
    BIND("POST", "/routes.Library/GetBook", NULL, "{\"name\":\"n\",\"view\":\"FICTION\"}",
         "{\"name\":\"n\",\"view\":\"FICTION\"}");
    /* A well-known input type keeps its own JSON form. */
    BIND("POST", "/routes.Library/Ping", NULL, "\"x\"", "\"x\"");
    /* body "field": the body is that field's value. */
    BIND("POST", "/v1/shelves/s1/books", NULL, "{\"title\":\"T\"}", "{\"book\":{\"title\":\"T\"},\"parent\":\"shelves/s1\"}");
    BIND("POST", "/v1/shelves", NULL, "{\"name\":\"n\"}", "{\"shelf\":{\"name\":\"n\"}}");
    BIND("POST", "/v1/shelves", NULL, NULL, "{}");
    BIND("PATCH", "/v1/shelves/s1/books/b1", NULL, "{\"name\":\"evil\",\"read\":true}",
         "{\"book\":{\"name\":\"shelves/s1/books/b1\",\"read\":true}}");
    BIND("PATCH", "/v1/shelves/s1/books/b1", NULL, NULL, "{\"book\":{\"name\":\"shelves/s1/books/b1\"}}");
    BIND("PATCH", "/v1/shelves/s1/books/b1", NULL, "null", "{\"book\":{\"name\":\"shelves/s1/books/b1\"}}");
    BIND_ERR("PATCH", "/v1/shelves/s1/books/b1", NULL, "\"str\"",
             "path variable 'book.name': field 'book' in the request body is not an object");
    BIND("POST", "/v9/edition/7", NULL, "{\"genre\":\"HISTORY\",\"number\":1}",
         "{\"edition\":{\"genre\":\"HISTORY\",\"number\":\"7\"}}");
}
END_TEST

START_TEST(query_parameters_of_every_kind)
{
    /* Scalars by proto or JSON name, percent-decoded keys and values; numbers stay strings. */
    BIND("GET", "/v1/books", "page_size=10&filter=a%20b c%26d&min%5Fscore=-1.5e3&cursor=YWJj&author=", NULL,
         "{\"author\":\"\",\"cursor\":\"YWJj\",\"filter\":\"a b c&d\",\"minScore\":\"-1.5e3\",\"pageSize\":\"10\"}");
    BIND("GET", "/v1/books", "pageSize=10&includeUnread=1", NULL, "{\"includeUnread\":true,\"pageSize\":\"10\"}");
    /* Enums by name or number; repeated keys append, in order. */
    BIND("GET", "/v1/books", "genre=HISTORY&genres=1&genres=SCIENCE&ids=5&ids=-7", NULL,
         "{\"genre\":\"HISTORY\",\"genres\":[1,\"SCIENCE\"],\"ids\":[\"5\",\"-7\"]}");
    /* Nested singular messages, created as needed. */
    BIND("GET", "/v1/books", "edition.number=2&edition.publisher.country_code=NL&edition.genre=FICTION", NULL,
         "{\"edition\":{\"genre\":\"FICTION\",\"number\":\"2\",\"publisher\":{\"countryCode\":\"NL\"}}}");
    /* Well-known types from their text forms. */
    BIND("GET", "/v1/books",
         "published_after=2024-01-01T00:00:00Z&max_age=3.5s&read_mask=title,edition.number&min_rating=4&only_read=false"
         "&title_prefix=Th&token=YWJj",
         NULL,
         "{\"maxAge\":\"3.5s\",\"minRating\":\"4\",\"onlyRead\":false,\"publishedAfter\":\"2024-01-01T00:00:00Z\","
         "\"readMask\":\"title,edition.number\",\"titlePrefix\":\"Th\",\"token\":\"YWJj\"}");
    BIND("GET", "/v1/books", "extra=%7B%22a%22%3A1%7D&any_value=%5B1%2C%22x%22%5D&keys=[true]", NULL,
         "{\"anyValue\":[1,\"x\"],\"extra\":{\"a\":1},\"keys\":[true]}");
    BIND("GET", "/v1/books", "any_value=\"s\"", NULL, "{\"anyValue\":\"s\"}");
    /* Maps: field[key]=value. */
    BIND("GET", "/v1/books", "labels[color]=red&labels%5Bsize%5D=big&genre_by_year[1999]=FICTION&labels[a.b]=c", NULL,
         "{\"genreByYear\":{\"1999\":\"FICTION\"},\"labels\":{\"a.b\":\"c\",\"color\":\"red\",\"size\":\"big\"}}");
    /* One oneof member. */
    BIND("GET", "/v1/books", "order_by=title", NULL, "{\"orderBy\":\"title\"}");
    /* Query parameters next to path variables and a body field. */
    BIND("GET", "/v1/shelves/s1/books", "page_size=3", NULL, "{\"pageSize\":\"3\",\"parent\":\"shelves/s1\"}");
    BIND_ERR("POST", "/v1/shelves/s1/books", "book_typo=x", "{}", "no field 'book_typo' in message routes.CreateBookRequest");
}
END_TEST

START_TEST(query_parameter_errors)
{
    BIND_ERR("GET", "/v1/books", "nope=1", NULL, "query parameter 'nope': no field 'nope' in message routes.ListBooksRequest");
    BIND_ERR("GET", "/v1/books", "edition.nope=1", NULL, "query parameter 'edition.nope': no field 'nope' in message routes.Edition");
    BIND_ERR("GET", "/v1/books", "=1", NULL, "query parameter '': no field '' in message");
    /* An empty component (libmicrohttpd gives "?&&page_size=2" as key "" without a value) binds nothing. */
    BIND("GET", "/v1/books", "=&page_size=2&=", NULL, "{\"pageSize\":\"2\"}");
    BIND_ERR("GET", "/v1/books", "page_size=1&pageSize=2", NULL, "query parameter 'pageSize': field 'page_size' given more than once");
    BIND_ERR("GET", "/v1/books", "labels[k]=1&labels[k]=2", NULL, "query parameter 'labels[k]' given more than once");
    BIND_ERR("GET", "/v1/books", "labels=x", NULL, "field 'labels' is a map: use 'labels[key]=value'");
    BIND_ERR("GET", "/v1/books", "filter[k]=x", NULL, "field 'filter' is not a map");
    BIND_ERR("GET", "/v1/books", "labels[k=x", NULL, "expected 'field[key]'");
    BIND_ERR("GET", "/v1/books", "page_size.x=1", NULL, "query parameter 'page_size.x': field 'page_size' is not a message with fields");
    BIND_ERR("GET", "/v1/books", "editions.number=1", NULL, "field 'editions' is not a message with fields");
    BIND_ERR("GET", "/v1/books", "published_after.seconds=1", NULL, "field 'published_after' is not a message with fields");
    BIND_ERR("GET", "/v1/books", "edition=x", NULL, "query parameter 'edition': field 'edition' is a message (routes.Edition) without a text form");
    BIND_ERR("GET", "/v1/books", "editions=x", NULL, "field 'editions' is a message (routes.Edition) without a text form");
    BIND_ERR("GET", "/v1/books", "nothing=x", NULL, "without a text form");
    BIND_ERR("GET", "/v1/books", "include_unread=yes", NULL, "query parameter 'include_unread': invalid value 'yes' for field 'include_unread': expected true, false, 1 or 0");
    BIND_ERR("GET", "/v1/books", "include_unread", NULL, "invalid value '' for field 'include_unread'");
    BIND_ERR("GET", "/v1/books", "only_read=TRUE", NULL, "field 'only_read': expected true, false, 1 or 0");
    BIND_ERR("GET", "/v1/books", "extra=[1]", NULL, "query parameter 'extra': invalid value '[1]' for field 'extra': expected a JSON object");
    BIND_ERR("GET", "/v1/books", "keys={}", NULL, "expected a JSON array");
    BIND_ERR("GET", "/v1/books", "any_value=hello", NULL, "invalid value 'hello' for field 'any_value': expected JSON text");
    BIND_ERR("GET", "/v1/books", "order_by=a&shuffle=true", NULL, "query parameter 'shuffle': field 'order_by' of the same oneof is already set");
    BIND_ERR("GET", "/v1/books", "filter=%zz", NULL, "query parameter 'filter': malformed percent-encoding");
    BIND_ERR("GET", "/v1/books", "fil%2", NULL, "malformed percent-encoding");
    BIND_ERR("GET", "/v1/books", "filter=%FF", NULL, "query parameter 'filter': value for field 'filter' is not valid UTF-8");
    BIND_ERR("GET", "/v1/books", "labels[%FF]=x", NULL, "map key is not valid UTF-8");
    BIND_ERR("GET", "/v1/books", "labels[a%00]=x", NULL, "map key is not valid UTF-8");
    BIND_ERR("GET", "/v1/books", "genre=4294967296", NULL, "enum number out of the int32 range");
    /* Fields bound by the path or the body. */
    BIND_ERR("GET", "/v1/shelves/s1/books", "parent=x", NULL, "query parameter 'parent': field 'parent' is already bound by the URL path");
    BIND_ERR("GET", "/v1/shelves/s1/books/b1/editions/2", "edition.number=3", NULL, "already bound by the URL path");
    BIND_ERR("GET", "/v1/shelves/s1/books/b1/editions/2", "edition=3", NULL, "already bound by the URL path");
    BIND_ERR("POST", "/v1/shelves/s1/books", "book.title=x", "{}", "query parameter 'book.title': field 'title' is already bound by the request body");
    BIND_ERR("PUT", "/v1/shelves/s1/books/b1", "update_mask=title", "{}", "field 'update_mask' is already bound by the request body (body \"*\")");
    /* Deeply nested keys stop at the limit. */
    char deep[4096] = "category";
    for (int i = 1; i < BIND_MAX_FIELD_DEPTH - 1; i++) strcat(deep, ".parent");
    strcat(deep, ".name=ok");
    char want[4096] = "{\"category\":";
    for (int i = 1; i < BIND_MAX_FIELD_DEPTH - 1; i++) strcat(want, "{\"parent\":");
    strcat(want, "{\"name\":\"ok\"}");
    for (int i = 0; i < BIND_MAX_FIELD_DEPTH - 1; i++) strcat(want, "}");
    BIND("GET", "/v1/books", deep, NULL, want);
    strcpy(strstr(deep, ".name=ok"), ".parent.name=deep");
    BIND_ERR("GET", "/v1/books", deep, NULL, "nested deeper than 32 fields");
}
END_TEST

START_TEST(allow_unknown_ignores_unknown_and_bound_parameters)
{
    const char *got = bind_str("GET", "/v1/shelves/s1/books", "nope=1&parent=x&page_size=2&a.b.c=d", NULL, true);
    ck_assert_str_eq(got, "{\"pageSize\":\"2\",\"parent\":\"shelves/s1\"}");
    got = bind_str("PUT", "/v1/shelves/s1/books/b1", "update_mask=x", "{}", true);
    ck_assert_str_eq(got, "{\"book\":{\"name\":\"shelves/s1/books/b1\"}}");
    /* Other errors stay errors. */
    got = bind_str("GET", "/v1/books", "page_size=1&page_size=2", NULL, true);
    ck_assert(strstr(got, "given more than once") != NULL);
    got = bind_str("GET", "/v1/books", "edition=x", NULL, true);
    ck_assert(strstr(got, "without a text form") != NULL);
}
END_TEST

START_TEST(text_values_direct)
{
    const pb_msg *m = descpool_find_message(pool, "routes.ListBooksRequest");
    ck_assert_ptr_nonnull(m);
    gw_err *e = NULL;
    const pb_field *f = pb_msg_field_by_name(m, "include_unread", 14);
    json_t *v = bind_text_value(f, "1", 1, &e);
    ck_assert(json_is_true(v));
    json_decref(v);
    f = pb_msg_field_by_name(m, "genres", 6);   /* repeated: one element */
    v = bind_text_value(f, "SCIENCE", 7, &e);
    ck_assert_str_eq(json_string_value(v), "SCIENCE");
    json_decref(v);
    f = pb_msg_field_by_name(m, "filter", 6);
    v = bind_text_value(f, "a\0b", 3, &e);   /* embedded NUL kept */
    ck_assert_uint_eq(json_string_length(v), 3);
    json_decref(v);
    f = pb_msg_field_by_name(m, "only_read", 9);
    v = bind_text_value(f, "x", 1, &e);
    ck_assert_ptr_null(v);
    ck_assert_ptr_nonnull(e);
    ck_assert_int_eq(e->code, GRPC_STATUS_INVALID_ARGUMENT);
    gw_err_free(e);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("bind");
    TCase *tc = tcase_create("core");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_add_test(tc, path_variables_without_body);
    tcase_add_test(tc, body_bindings);
    tcase_add_test(tc, query_parameters_of_every_kind);
    tcase_add_test(tc, query_parameter_errors);
    tcase_add_test(tc, allow_unknown_ignores_unknown_and_bound_parameters);
    tcase_add_test(tc, text_values_direct);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
