/* timerheap.h: a binary min-heap of timers ordered by due time, with O(log n) removal. */
#ifndef GW_TIMERHEAP_H
#define GW_TIMERHEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A timer is embedded in its owner's struct; the heap stores pointers and never allocates or frees
 * timers. `heap_index` is the timer's slot while it is in a heap and TH_NOT_QUEUED otherwise.
 * Not thread-safe: one thread owns a heap and every timer in it. */
typedef struct th_timer th_timer;
struct th_timer {
    int64_t due_ms;                 /* when it fires, on the caller's clock */
    size_t heap_index;
    void (*fire)(th_timer *t);      /* called by th_run_due() after the timer left the heap */
};

#define TH_NOT_QUEUED ((size_t)-1)

typedef struct th_heap {
    th_timer **slots;
    size_t len;
    size_t cap;
} th_heap;

void th_heap_init(th_heap *h);
void th_heap_free(th_heap *h);                 /* drops the slots array; timers are the owners' */

void th_timer_init(th_timer *t, void (*fire)(th_timer *t));
bool th_timer_queued(const th_timer *t);

/* Queues t to fire at due_ms; a timer already queued is moved to the new time. */
void th_add(th_heap *h, th_timer *t, int64_t due_ms);
/* Removes t if it is queued; returns whether it was. */
bool th_remove(th_heap *h, th_timer *t);

/* The earliest due time, or INT64_MAX when the heap is empty. */
int64_t th_next_due(const th_heap *h);
/* Removes and fires, in due order, every timer due at or before now_ms; returns how many fired.
 * A fire callback may add or remove timers (also itself). */
size_t th_run_due(th_heap *h, int64_t now_ms);

#endif
