/* evloop.h: the gateway's side event loop: one thread with its own epoll set for the file descriptors
 * that libmicrohttpd is not watching -- a suspended connection (whose peer may hang up while its call
 * is in flight) and upgraded WebSocket connections.
 *
 * Handlers run on the event-loop thread, one at a time, under the loop's lock: keep them short.
 * Registrations are named by an ev_id (slot and generation), never by pointer, so an event that was
 * already fetched for a registration removed meanwhile is recognised as stale and dropped. */
#ifndef GW_EVLOOP_H
#define GW_EVLOOP_H

#include <stdint.h>

#include "error.h"

typedef struct evloop evloop;
typedef uint64_t ev_id;               /* 0 is never a valid id */

typedef void (*ev_handler)(void *cls, uint32_t events);

gw_err *evloop_start(evloop **out);
/* Stops the thread; registrations left are dropped. */
void evloop_stop(evloop *l);

/* Watches fd for `events` (EPOLLRDHUP, EPOLLIN, EPOLLOUT, EPOLLONESHOT, ...). */
ev_id evloop_add(evloop *l, int fd, uint32_t events, ev_handler fn, void *cls);
/* Changes the events of a registration (re-arms a one-shot one). */
void evloop_modify(evloop *l, ev_id id, uint32_t events);
/* Removes a registration. Once it returns, the handler is not running and will not run again for
 * this id. Must not be called from a handler of the same loop except for its own id. */
void evloop_remove(evloop *l, ev_id id);
/* Runs fn(cls, 0) on the loop thread soon (to hand work to the loop from another thread, or to a
 * later point of the current round when called from a handler). Stale ids are ignored. */
void evloop_wake(evloop *l, ev_id id);

#endif
