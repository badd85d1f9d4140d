/* timerheap.c: binary min-heap of timers (see timerheap.h). */
#include "timerheap.h"

#include <stdio.h>
#include <stdlib.h>

#define TH_INITIAL_CAP 16

void th_heap_init(th_heap *h)
{
    h->slots = NULL;
    h->len = 0;
    h->cap = 0;
}

void th_heap_free(th_heap *h)
{
    for (size_t i = 0; i < h->len; i++) h->slots[i]->heap_index = TH_NOT_QUEUED;
    free(h->slots);
    th_heap_init(h);
}

void th_timer_init(th_timer *t, void (*fire)(th_timer *t))
{
    t->due_ms = 0;
    t->heap_index = TH_NOT_QUEUED;
    t->fire = fire;
}

bool th_timer_queued(const th_timer *t) { return t->heap_index != TH_NOT_QUEUED; }

static void heap_set(th_heap *h, size_t i, th_timer *t)
{
    h->slots[i] = t;
    t->heap_index = i;
}

static void sift_up(th_heap *h, size_t i)
{
    th_timer *t = h->slots[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (h->slots[parent]->due_ms <= t->due_ms) break;
        heap_set(h, i, h->slots[parent]);
        i = parent;
    }
    heap_set(h, i, t);
}

static void sift_down(th_heap *h, size_t i)
{
    th_timer *t = h->slots[i];
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= h->len) break;
        if (child + 1 < h->len && h->slots[child + 1]->due_ms < h->slots[child]->due_ms) child++;
        if (t->due_ms <= h->slots[child]->due_ms) break;
        heap_set(h, i, h->slots[child]);
        i = child;
    }
    heap_set(h, i, t);
}

void th_add(th_heap *h, th_timer *t, int64_t due_ms)
{
    if (th_timer_queued(t)) th_remove(h, t);
    if (h->len == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : TH_INITIAL_CAP;
        th_timer **slots = realloc(h->slots, cap * sizeof *slots);
        if (!slots) {
            fputs("timerheap: out of memory\n", stderr);
            abort();
        }
        h->slots = slots;
        h->cap = cap;
    }
    t->due_ms = due_ms;
    heap_set(h, h->len++, t);
    sift_up(h, t->heap_index);
}

bool th_remove(th_heap *h, th_timer *t)
{
    size_t i = t->heap_index;
    if (i == TH_NOT_QUEUED || i >= h->len || h->slots[i] != t) return false;
    t->heap_index = TH_NOT_QUEUED;
    h->len--;
    if (i == h->len) return true;
    /* Move the last timer into the hole, then restore the order in whichever direction it is off. */
    heap_set(h, i, h->slots[h->len]);
    if (i > 0 && h->slots[(i - 1) / 2]->due_ms > h->slots[i]->due_ms)
        sift_up(h, i);
    else
        sift_down(h, i);
    return true;
}

int64_t th_next_due(const th_heap *h) { return h->len ? h->slots[0]->due_ms : INT64_MAX; }

size_t th_run_due(th_heap *h, int64_t now_ms)
{
    size_t fired = 0;
    while (h->len && h->slots[0]->due_ms <= now_ms) {
        th_timer *t = h->slots[0];
        th_remove(h, t);
        fired++;
        t->fire(t);
    }
    return fired;
}
