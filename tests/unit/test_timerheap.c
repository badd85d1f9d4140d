/* test_timerheap.c: unit tests for src/common/timerheap (ordering, removal, re-arming). */
#include <check.h>
#include <stdlib.h>

#include "timerheap.h"

#define N_TIMERS 200

typedef struct probe {
    th_timer t;
    int id;
} probe;

static int g_fired[N_TIMERS * 2];
static int g_n_fired;

static void record(th_timer *t)
{
    g_fired[g_n_fired++] = ((probe *)t)->id;
}

START_TEST(fires_in_due_order)
{
    th_heap h;
    th_heap_init(&h);
    probe p[N_TIMERS];
    g_n_fired = 0;
    /* A scrambled but deterministic order of due times 0..N-1. */
    for (int i = 0; i < N_TIMERS; i++) {
        p[i].id = (i * 37) % N_TIMERS;
        th_timer_init(&p[i].t, record);
        th_add(&h, &p[i].t, p[i].id);
    }
    ck_assert_int_eq(th_next_due(&h), 0);
    ck_assert_uint_eq(th_run_due(&h, 49), 50);
    ck_assert_int_eq(th_next_due(&h), 50);
    ck_assert_uint_eq(th_run_due(&h, 1000), N_TIMERS - 50);
    for (int i = 0; i < N_TIMERS; i++) ck_assert_int_eq(g_fired[i], i);
    ck_assert(th_next_due(&h) == INT64_MAX);
    for (int i = 0; i < N_TIMERS; i++) ck_assert(!th_timer_queued(&p[i].t));
    th_heap_free(&h);
}
END_TEST

START_TEST(removes_from_any_position)
{
    th_heap h;
    th_heap_init(&h);
    probe p[N_TIMERS];
    g_n_fired = 0;
    for (int i = 0; i < N_TIMERS; i++) {
        p[i].id = i;
        th_timer_init(&p[i].t, record);
        th_add(&h, &p[i].t, (i * 53) % N_TIMERS);
    }
    /* Remove every third timer: the rest must still fire in due order. */
    for (int i = 0; i < N_TIMERS; i += 3) ck_assert(th_remove(&h, &p[i].t));
    ck_assert(!th_remove(&h, &p[0].t));
    th_run_due(&h, N_TIMERS);
    ck_assert_int_eq(g_n_fired, N_TIMERS - (N_TIMERS + 2) / 3);
    int64_t prev = -1;
    for (int i = 0; i < g_n_fired; i++) {
        int id = g_fired[i];
        ck_assert_int_ne(id % 3, 0);
        ck_assert_int_ge(p[id].t.due_ms, prev);
        prev = p[id].t.due_ms;
    }
    th_heap_free(&h);
}
END_TEST

START_TEST(re_adding_moves_a_timer)
{
    th_heap h;
    th_heap_init(&h);
    probe a = {.id = 1}, b = {.id = 2};
    th_timer_init(&a.t, record);
    th_timer_init(&b.t, record);
    g_n_fired = 0;
    th_add(&h, &a.t, 10);
    th_add(&h, &b.t, 20);
    th_add(&h, &a.t, 30);     /* moved behind b, not queued twice */
    ck_assert_uint_eq(h.len, 2);
    ck_assert_uint_eq(th_run_due(&h, 25), 1);
    ck_assert_int_eq(g_fired[0], 2);
    ck_assert_uint_eq(th_run_due(&h, 30), 1);
    ck_assert_int_eq(g_fired[1], 1);
    th_heap_free(&h);
}
END_TEST

/* A fire callback that re-arms itself a few times, as a periodic timer would. */
static th_heap g_rearm_heap;
static int g_rearm_count;
static void rearm(th_timer *t)
{
    if (++g_rearm_count < 3) th_add(&g_rearm_heap, t, t->due_ms + 5);
}

START_TEST(callback_may_rearm)
{
    th_heap_init(&g_rearm_heap);
    th_timer t;
    th_timer_init(&t, rearm);
    g_rearm_count = 0;
    th_add(&g_rearm_heap, &t, 0);
    ck_assert_uint_eq(th_run_due(&g_rearm_heap, 4), 1);   /* re-armed at 5: not due yet */
    ck_assert_uint_eq(th_run_due(&g_rearm_heap, 100), 2); /* 5, then 10; then it stops */
    ck_assert_int_eq(g_rearm_count, 3);
    ck_assert(!th_timer_queued(&t));
    th_heap_free(&g_rearm_heap);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("timerheap");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, fires_in_due_order);
    tcase_add_test(tc, removes_from_any_position);
    tcase_add_test(tc, re_adding_moves_a_timer);
    tcase_add_test(tc, callback_may_rearm);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
