/* test_metrics.c: unit tests for src/gateway/metrics: what each observation counts, the Prometheus
 * text format (families, histogram buckets, label escaping), and exact counts under concurrency. */
#include <check.h>
#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "descpool.h"
#include "metrics.h"
#include "router.h"

#ifndef GW_TEST_DATADIR
#define GW_TEST_DATADIR "gen"
#endif

#define P "grpc_json_gateway_"

/* ------------------------------------------------------------------ helpers */

typedef struct fixture {
    descpool *pool;
    router *router;
} fixture;

static fixture greeter_routes(void)
{
    fixture f = {descpool_new(), router_new()};
    gw_err *e = descpool_add_file(f.pool, GW_TEST_DATADIR "/helloworld.desc");
    if (!e) e = descpool_finish(f.pool);
    if (!e) e = router_add_pool(f.router, f.pool);
    if (e) ck_abort_msg("loading the greeter's routes: %s", e->message);
    return f;
}

static void fixture_free(fixture *f)
{
    router_free(f->router);
    descpool_free(f->pool);
}

static const route *find_route(const router *r, const char *method, const char *pattern)
{
    for (size_t i = 0; i < router_count(r); i++) {
        const route *rt = router_route(r, i);
        if (!strcmp(rt->http_method, method) && !strcmp(rt->pattern, pattern)) return rt;
    }
    ck_abort_msg("no route %s %s", method, pattern);
    return NULL;
}

static char *render(const metrics *m)
{
    buf b = BUF_INIT;
    metrics_render(m, &b);
    return (char *)buf_steal(&b, NULL);
}

/* The value of the series whose name and labels are exactly `series`, or -1 when it is absent. */
static double value_of(const char *text, const char *series)
{
    size_t n = strlen(series);
    for (const char *line = text; *line;) {
        const char *end = strchr(line, '\n');
        if (!end) end = line + strlen(line);
        if ((size_t)(end - line) > n && !strncmp(line, series, n) && line[n] == ' ') return strtod(line + n + 1, NULL);
        line = *end ? end + 1 : end;
    }
    return -1;
}

static int count_lines_with(const char *text, const char *needle)
{
    int n = 0;
    for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle)) n++;
    return n;
}

#define EXPECT_VALUE(text, series, want) \
    ck_assert_msg(value_of(text, series) == (want), "%s: got %g, want %g\n%s", series, value_of(text, series), \
                  (double)(want), text)

/* ------------------------------------------------------------------ tests */

START_TEST(fresh_registry_has_every_family_and_route)
{
    fixture f = greeter_routes();
    metrics *m = metrics_new(f.router);
    char *t = render(m);
    const char *families[][2] = {
        {"requests_total", "counter"},      {"request_duration_seconds", "histogram"},
        {"request_bytes_total", "counter"}, {"response_bytes_total", "counter"},
        {"backend_errors_total", "counter"}, {"calls_in_flight", "gauge"},
        {"streams_open", "gauge"},           {"build_info", "gauge"},
    };
    for (size_t i = 0; i < sizeof families / sizeof families[0]; i++) {
        char want[256];
        snprintf(want, sizeof want, "# TYPE " P "%s %s\n", families[i][0], families[i][1]);
        ck_assert_msg(strstr(t, want), "missing '%s'", want);
        snprintf(want, sizeof want, "# HELP " P "%s ", families[i][0]);
        ck_assert_msg(strstr(t, want), "missing '%s'", want);
    }
    /* Every route (and the unrouted set) has its histogram and byte counters from the start. */
    for (size_t i = 0; i < router_count(f.router); i++) {
        const route *rt = router_route(f.router, i);
        char series[512];
        snprintf(series, sizeof series, P "request_duration_seconds_count{route=\"%s %s\"}", rt->http_method, rt->pattern);
        EXPECT_VALUE(t, series, 0);
        snprintf(series, sizeof series, P "request_bytes_total{route=\"%s %s\"}", rt->http_method, rt->pattern);
        EXPECT_VALUE(t, series, 0);
    }
    EXPECT_VALUE(t, P "request_duration_seconds_bucket{route=\"unrouted\",le=\"+Inf\"}", 0);
    EXPECT_VALUE(t, P "calls_in_flight", 0);
    EXPECT_VALUE(t, P "streams_open", 0);
    /* No request yet: no requests_total or backend_errors_total series. */
    ck_assert_ptr_null(strstr(t, P "requests_total{"));
    ck_assert_ptr_null(strstr(t, P "backend_errors_total{"));
    free(t);
    metrics_free(m);
    fixture_free(&f);
}
END_TEST

START_TEST(observation_counts_status_latency_and_bytes)
{
    fixture f = greeter_routes();
    metrics *m = metrics_new(f.router);
    const route *post = find_route(f.router, "POST", "/v1/hello");
    const route *get = find_route(f.router, "GET", "/v1/hello/{name}");
    metrics_observe(m, post, 200, 0, 1500, 14, 23);
    metrics_observe(m, post, 200, 0, 20000, 10, 20);
    metrics_observe(m, post, 400, 3, 250, 2, 60);
    metrics_observe(m, get, 200, 0, 12000000, 0, 23);   /* beyond the last bucket */
    char *t = render(m);

    EXPECT_VALUE(t, P "requests_total{route=\"POST /v1/hello\",code=\"200\"}", 2);
    EXPECT_VALUE(t, P "requests_total{route=\"POST /v1/hello\",code=\"400\"}", 1);
    EXPECT_VALUE(t, P "requests_total{route=\"GET /v1/hello/{name}\",code=\"200\"}", 1);
    ck_assert_int_eq(value_of(t, P "requests_total{route=\"GET /v1/hello/{name}\",code=\"400\"}"), -1);

    /* Buckets are cumulative: 250 us <= 0.0005, 1500 us <= 0.0025, 20 ms <= 0.025. */
    const char *h = P "request_duration_seconds_bucket{route=\"POST /v1/hello\",le=";
    char s[256];
    const struct { const char *le; int want; } buckets[] = {
        {"0.0005", 1}, {"0.001", 1}, {"0.0025", 2}, {"0.01", 2}, {"0.025", 3}, {"10", 3}, {"+Inf", 3},
    };
    for (size_t i = 0; i < sizeof buckets / sizeof buckets[0]; i++) {
        snprintf(s, sizeof s, "%s\"%s\"}", h, buckets[i].le);
        EXPECT_VALUE(t, s, buckets[i].want);
    }
    EXPECT_VALUE(t, P "request_duration_seconds_count{route=\"POST /v1/hello\"}", 3);
    ck_assert_ptr_nonnull(strstr(t, P "request_duration_seconds_sum{route=\"POST /v1/hello\"} 0.021750\n"));
    EXPECT_VALUE(t, P "request_duration_seconds_bucket{route=\"GET /v1/hello/{name}\",le=\"10\"}", 0);
    EXPECT_VALUE(t, P "request_duration_seconds_bucket{route=\"GET /v1/hello/{name}\",le=\"+Inf\"}", 1);
    ck_assert_ptr_nonnull(strstr(t, P "request_duration_seconds_sum{route=\"GET /v1/hello/{name}\"} 12.000000\n"));

    EXPECT_VALUE(t, P "request_bytes_total{route=\"POST /v1/hello\"}", 26);
    EXPECT_VALUE(t, P "response_bytes_total{route=\"POST /v1/hello\"}", 103);
    EXPECT_VALUE(t, P "response_bytes_total{route=\"GET /v1/hello/{name}\"}", 23);
    EXPECT_VALUE(t, P "backend_errors_total{grpc_code=\"INVALID_ARGUMENT\"}", 1);
    ck_assert_int_eq(count_lines_with(t, P "backend_errors_total{"), 1);
    free(t);
    metrics_free(m);
    fixture_free(&f);
}
END_TEST

START_TEST(unrouted_other_status_and_backend_codes)
{
    fixture f = greeter_routes();
    metrics *m = metrics_new(f.router);
    metrics_observe(m, NULL, 404, METRICS_NO_CALL, 100, 0, 70);
    metrics_observe(m, NULL, 418, METRICS_NO_CALL, 100, 0, 0);
    metrics_observe(m, NULL, 999, METRICS_NO_CALL, -5, 0, 0);          /* nonsense in, still counted */
    route foreign = {0};                                               /* a route the registry never saw */
    metrics_observe(m, &foreign, 503, 14, 100, 0, 0);
    metrics_observe(m, NULL, 499, 1, 100, 0, 0);
    metrics_observe(m, NULL, 500, 42, 100, 0, 0);                      /* a code outside 0..16 */
    char *t = render(m);
    EXPECT_VALUE(t, P "requests_total{route=\"unrouted\",code=\"404\"}", 1);
    EXPECT_VALUE(t, P "requests_total{route=\"unrouted\",code=\"other\"}", 2);
    EXPECT_VALUE(t, P "requests_total{route=\"unrouted\",code=\"503\"}", 1);
    EXPECT_VALUE(t, P "request_duration_seconds_count{route=\"unrouted\"}", 6);
    EXPECT_VALUE(t, P "request_duration_seconds_bucket{route=\"unrouted\",le=\"0.0005\"}", 6);
    EXPECT_VALUE(t, P "backend_errors_total{grpc_code=\"UNAVAILABLE\"}", 1);
    EXPECT_VALUE(t, P "backend_errors_total{grpc_code=\"CANCELLED\"}", 1);
    EXPECT_VALUE(t, P "backend_errors_total{grpc_code=\"UNKNOWN_CODE\"}", 1);
    ck_assert_int_eq(count_lines_with(t, P "backend_errors_total{"), 3);
    free(t);
    metrics_free(m);
    fixture_free(&f);
}
END_TEST

START_TEST(gauges_move_both_ways)
{
    metrics *m = metrics_new(NULL);
    metrics_inflight_add(m, 1);
    metrics_inflight_add(m, 1);
    metrics_streams_add(m, 1);
    metrics_inflight_add(m, -1);
    char *t = render(m);
    EXPECT_VALUE(t, P "calls_in_flight", 1);
    EXPECT_VALUE(t, P "streams_open", 1);
    free(t);
    metrics_streams_add(m, -1);
    metrics_inflight_add(m, -1);
    t = render(m);
    EXPECT_VALUE(t, P "calls_in_flight", 0);
    EXPECT_VALUE(t, P "streams_open", 0);
    free(t);
    metrics_free(m);
}
END_TEST

START_TEST(label_values_are_escaped)
{
    buf b = BUF_INIT;
    metrics_escape_label(&b, "a\"b\\c\nd/{x}");
    ck_assert_str_eq((char *)b.data, "a\\\"b\\\\c\\nd/{x}");

    /* Route labels cannot hold these characters (templates and method tokens exclude them), but the
     * build_info version and any future label go through the same function. */
    buf_reset(&b);
    metrics_escape_label(&b, "");
    ck_assert_uint_eq(b.len, 0);
    buf_free(&b);
}
END_TEST

/* Every line is a comment (# HELP / # TYPE) or `name{label="value",...} number`, and every sample
 * belongs to the family declared last (histogram samples with _bucket/_sum/_count). */
START_TEST(every_line_follows_the_text_format)
{
    fixture f = greeter_routes();
    metrics *m = metrics_new(f.router);
    metrics_observe(m, router_route(f.router, 0), 200, 0, 700, 1, 2);
    metrics_observe(m, NULL, 404, METRICS_NO_CALL, 70, 0, 2);
    metrics_observe(m, NULL, 502, 14, 70, 0, 2);
    char *t = render(m);
    regex_t sample, comment;
    ck_assert_int_eq(regcomp(&sample,
                             "^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{[a-zA-Z_][a-zA-Z0-9_]*=\"([^\"\\\\]|\\\\.)*\""
                             "(,[a-zA-Z_][a-zA-Z0-9_]*=\"([^\"\\\\]|\\\\.)*\")*\\})? (-?[0-9]+(\\.[0-9]+)?)$",
                             REG_EXTENDED), 0);
    ck_assert_int_eq(regcomp(&comment, "^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$", REG_EXTENDED), 0);
    char family[128] = "", type[32] = "";
    int samples = 0;
    ck_assert(t[strlen(t) - 1] == '\n');
    for (char *save = NULL, *line = strtok_r(t, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        regmatch_t g[8];
        if (line[0] == '#') {
            ck_assert_msg(regexec(&comment, line, 4, g, 0) == 0, "bad comment line: %s", line);
            ck_assert_msg(!strncmp(line + g[2].rm_so, P, strlen(P)), "unprefixed name: %s", line);
            if (!strncmp(line, "# TYPE", 6)) {
                snprintf(family, sizeof family, "%.*s", (int)(g[2].rm_eo - g[2].rm_so), line + g[2].rm_so);
                snprintf(type, sizeof type, "%s", line + g[3].rm_so);
                ck_assert_msg(!strcmp(type, "counter") || !strcmp(type, "gauge") || !strcmp(type, "histogram"),
                              "type %s", type);
                if (!strcmp(type, "counter"))
                    ck_assert_msg(strlen(family) > 6 && !strcmp(family + strlen(family) - 6, "_total"),
                                  "counter without _total: %s", family);
            }
            continue;
        }
        ck_assert_msg(regexec(&sample, line, 8, g, 0) == 0, "bad sample line: %s", line);
        char name[128];
        snprintf(name, sizeof name, "%.*s", (int)(g[1].rm_eo - g[1].rm_so), line);
        if (!strcmp(type, "histogram")) {
            size_t fl = strlen(family);
            ck_assert_msg(!strncmp(name, family, fl) &&
                              (!strcmp(name + fl, "_bucket") || !strcmp(name + fl, "_sum") || !strcmp(name + fl, "_count")),
                          "%s outside family %s", name, family);
        } else {
            ck_assert_msg(!strcmp(name, family), "%s outside family %s", name, family);
        }
        samples++;
    }
    ck_assert_int_gt(samples, 20);
    regfree(&sample);
    regfree(&comment);
    free(t);
    metrics_free(m);
    fixture_free(&f);
}
END_TEST

#define THREADS 8
#define PER_THREAD 20000

typedef struct worker {
    metrics *m;
    const route *r;
} worker;

static void *hammer(void *arg)
{
    worker *w = arg;
    for (int i = 0; i < PER_THREAD; i++) {
        metrics_inflight_add(w->m, 1);
        metrics_observe(w->m, w->r, i % 2 ? 200 : 503, i % 2 ? 0 : 14, i % 3000, 3, 5);
        metrics_inflight_add(w->m, -1);
    }
    return NULL;
}

START_TEST(concurrent_observations_are_all_counted)
{
    fixture f = greeter_routes();
    metrics *m = metrics_new(f.router);
    const route *post = find_route(f.router, "POST", "/v1/hello");
    pthread_t th[THREADS];
    worker w = {m, post};
    for (int i = 0; i < THREADS; i++) ck_assert_int_eq(pthread_create(&th[i], NULL, hammer, &w), 0);
    for (int i = 0; i < THREADS; i++) pthread_join(th[i], NULL);
    char *t = render(m);
    EXPECT_VALUE(t, P "requests_total{route=\"POST /v1/hello\",code=\"200\"}", THREADS * PER_THREAD / 2);
    EXPECT_VALUE(t, P "requests_total{route=\"POST /v1/hello\",code=\"503\"}", THREADS * PER_THREAD / 2);
    EXPECT_VALUE(t, P "request_duration_seconds_count{route=\"POST /v1/hello\"}", THREADS * PER_THREAD);
    EXPECT_VALUE(t, P "request_bytes_total{route=\"POST /v1/hello\"}", 3 * THREADS * PER_THREAD);
    EXPECT_VALUE(t, P "backend_errors_total{grpc_code=\"UNAVAILABLE\"}", THREADS * PER_THREAD / 2);
    EXPECT_VALUE(t, P "calls_in_flight", 0);
    free(t);
    metrics_free(m);
    fixture_free(&f);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("metrics");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, fresh_registry_has_every_family_and_route);
    tcase_add_test(tc, observation_counts_status_latency_and_bytes);
    tcase_add_test(tc, unrouted_other_status_and_backend_codes);
    tcase_add_test(tc, gauges_move_both_ways);
    tcase_add_test(tc, label_values_are_escaped);
    tcase_add_test(tc, every_line_follows_the_text_format);
    tcase_add_test(tc, concurrent_observations_are_all_counted);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
