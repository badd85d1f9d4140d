/* evloop.c: the side event loop (see evloop.h). */
#include "evloop.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define EVLOOP_BATCH 64
#define WAKE_SLOT 0xffffffffu

typedef struct ev_slot {
    uint32_t gen;                     /* bumped on every removal: stale ids stop matching */
    bool used;
    bool wake_pending;
    int fd;
    ev_handler fn;
    void *cls;
    uint32_t next_free;
} ev_slot;

struct evloop {
    int epfd;
    int wakefd;                       /* eventfd: stop requests and evloop_wake */
    pthread_t thread;
    bool stopping;
    /* `lock` guards everything below and is held while a handler runs. */
    pthread_mutex_t lock;
    ev_slot *slots;
    uint32_t n_slots;
    uint32_t free_head;               /* UINT32_MAX: none */
    ev_id *wakes;                     /* registrations that asked for a wake-up */
    size_t n_wakes, cap_wakes;
};

static ev_id make_id(uint32_t slot, uint32_t gen) { return ((uint64_t)gen << 32) | (uint64_t)(slot + 1); }
static uint32_t id_slot(ev_id id) { return (uint32_t)(id & 0xffffffffu) - 1; }
static uint32_t id_gen(ev_id id) { return (uint32_t)(id >> 32); }

static ev_slot *slot_for(evloop *l, ev_id id)
{
    uint32_t s = id_slot(id);
    if (id == 0 || s >= l->n_slots) return NULL;
    ev_slot *e = &l->slots[s];
    return (e->used && e->gen == id_gen(id)) ? e : NULL;
}

static void run_wakes(evloop *l)
{
    /* A handler may ask for more wakes while this runs: take the list as it is now. */
    while (l->n_wakes) {
        ev_id id = l->wakes[--l->n_wakes];
        ev_slot *e = slot_for(l, id);
        if (e && e->wake_pending) {
            e->wake_pending = false;
            e->fn(e->cls, 0);
        }
    }
}

static void *loop_thread(void *arg)
{
    evloop *l = arg;
    struct epoll_event evs[EVLOOP_BATCH];
    for (;;) {
        int n = epoll_wait(l->epfd, evs, EVLOOP_BATCH, -1);
        if (n < 0 && errno != EINTR) break;
        pthread_mutex_lock(&l->lock);
        for (int i = 0; i < n; i++) {
            if (evs[i].data.u64 == WAKE_SLOT) {
                uint64_t v;
                if (read(l->wakefd, &v, sizeof v) < 0) { /* nothing to drain */ }
                continue;
            }
            ev_slot *e = slot_for(l, evs[i].data.u64);
            if (e) e->fn(e->cls, evs[i].events);
        }
        run_wakes(l);
        bool stop = l->stopping;
        pthread_mutex_unlock(&l->lock);
        if (stop) break;
    }
    return NULL;
}

gw_err *evloop_start(evloop **out)
{
    evloop *l = calloc(1, sizeof *l);
    if (!l) abort();
    l->epfd = epoll_create1(EPOLL_CLOEXEC);
    l->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (l->epfd < 0 || l->wakefd < 0) {
        gw_err *e = gw_err_new(GRPC_STATUS_INTERNAL, "event loop: %s", strerror(errno));
        free(l);
        return e;
    }
    l->free_head = UINT32_MAX;
    pthread_mutex_init(&l->lock, NULL);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = WAKE_SLOT};
    epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->wakefd, &ev);
    if (pthread_create(&l->thread, NULL, loop_thread, l) != 0) abort();
    *out = l;
    return NULL;
}

/* Handlers run on the loop thread with the lock held: calls they make must not take it again. */
static bool lock_unless_loop_thread(evloop *l)
{
    if (pthread_equal(pthread_self(), l->thread)) return false;
    pthread_mutex_lock(&l->lock);
    return true;
}

static void kick(evloop *l)
{
    uint64_t one = 1;
    if (write(l->wakefd, &one, sizeof one) < 0) { /* counter saturated: a wake is pending anyway */ }
}

void evloop_stop(evloop *l)
{
    if (!l) return;
    pthread_mutex_lock(&l->lock);
    l->stopping = true;
    pthread_mutex_unlock(&l->lock);
    kick(l);
    pthread_join(l->thread, NULL);
    close(l->epfd);
    close(l->wakefd);
    pthread_mutex_destroy(&l->lock);
    free(l->slots);
    free(l->wakes);
    free(l);
}

ev_id evloop_add(evloop *l, int fd, uint32_t events, ev_handler fn, void *cls)
{
    bool locked = lock_unless_loop_thread(l);
    uint32_t s;
    if (l->free_head != UINT32_MAX) {
        s = l->free_head;
        l->free_head = l->slots[s].next_free;
    } else {
        if (l->n_slots % 1024 == 0) {
            ev_slot *p = realloc(l->slots, (l->n_slots + 1024) * sizeof *p);
            if (!p) abort();
            l->slots = p;
        }
        s = l->n_slots++;
        l->slots[s].gen = 1;
    }
    ev_slot *e = &l->slots[s];
    e->used = true;
    e->wake_pending = false;
    e->fd = fd;
    e->fn = fn;
    e->cls = cls;
    ev_id id = make_id(s, e->gen);
    struct epoll_event ev = {.events = events, .data.u64 = id};
    if (fd >= 0 && epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
        e->used = false;
        e->gen++;
        e->next_free = l->free_head;
        l->free_head = s;
        id = 0;
    }
    if (locked) pthread_mutex_unlock(&l->lock);
    return id;
}

void evloop_modify(evloop *l, ev_id id, uint32_t events)
{
    bool locked = lock_unless_loop_thread(l);
    ev_slot *e = slot_for(l, id);
    if (e && e->fd >= 0) {
        struct epoll_event ev = {.events = events, .data.u64 = id};
        epoll_ctl(l->epfd, EPOLL_CTL_MOD, e->fd, &ev);
    }
    if (locked) pthread_mutex_unlock(&l->lock);
}

static void remove_locked(evloop *l, ev_id id)
{
    ev_slot *e = slot_for(l, id);
    if (!e) return;
    if (e->fd >= 0) epoll_ctl(l->epfd, EPOLL_CTL_DEL, e->fd, NULL);
    e->used = false;
    e->gen++;
    uint32_t s = id_slot(id);
    e->next_free = l->free_head;
    l->free_head = s;
}

void evloop_remove(evloop *l, ev_id id)
{
    if (!id) return;
    bool locked = lock_unless_loop_thread(l);
    remove_locked(l, id);
    if (locked) pthread_mutex_unlock(&l->lock);
}

void evloop_wake(evloop *l, ev_id id)
{
    bool locked = lock_unless_loop_thread(l);
    ev_slot *e = slot_for(l, id);
    if (e && !e->wake_pending) {
        e->wake_pending = true;
        if (l->n_wakes == l->cap_wakes) {
            size_t cap = l->cap_wakes ? l->cap_wakes * 2 : 64;
            ev_id *p = realloc(l->wakes, cap * sizeof *p);
            if (!p) abort();
            l->wakes = p;
            l->cap_wakes = cap;
        }
        l->wakes[l->n_wakes++] = id;
    }
    if (!locked) return;      /* on the loop thread: run_wakes follows the handlers of this round */
    pthread_mutex_unlock(&l->lock);
    kick(l);
}
