/* websocket.h: a WebSocket (RFC 6455) connection on a socket that libmicrohttpd handed over after a
 * 101 Switching Protocols answer. Frames are read and written with libwslay's frame layer; messages,
 * control frames and the closing handshake are handled here, because the gateway needs a half-close
 * that wslay's event layer does not allow: after the client's close frame (the end of its requests)
 * the server still sends the remaining replies and the final status before its own close frame.
 * The socket is driven by the side event loop.
 *
 * Threads: every callback of ws_handler runs on the event-loop thread, and so must every ws_*
 * function except ws_conn_wake. The handler's cls must stay valid until on_finished. */
#ifndef GW_WEBSOCKET_H
#define GW_WEBSOCKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <microhttpd.h>

#include "evloop.h"

typedef struct ws_conn ws_conn;

typedef struct ws_handler {
    /* One complete text (or binary) message from the client. */
    void (*on_message)(void *cls, ws_conn *c, const uint8_t *data, size_t len);
    /* The client sent its close frame (`code`, 1005 when it had none) or the connection failed
     * (`error`). No more on_message after this. Output can still be queued (unless `error`) until
     * ws_queue_close. */
    void (*on_peer_closed)(void *cls, ws_conn *c, uint16_t code, bool error);
    /* Asked for with ws_conn_wake (from any thread): the owner may queue output now. */
    void (*on_wake)(void *cls, ws_conn *c);
    /* Queued output went out (the queue shrank): a paused producer may continue. */
    void (*on_drained)(void *cls, ws_conn *c);
    /* The connection is closed and freed; last call. */
    void (*on_finished)(void *cls);
} ws_handler;

/* The Sec-WebSocket-Accept value for a client's Sec-WebSocket-Key: base64(SHA-1(key + GUID)).
 * out must hold 29 bytes. Returns false when the key is not a 16-byte base64 nonce. */
bool ws_accept_key(const char *client_key, char out[29]);

/* Takes over an upgraded socket (from libmicrohttpd's upgrade callback: sock, extra bytes already
 * read, and the handle to close it with). Messages longer than max_message_bytes close the
 * connection with 1009. Returns NULL (and closes the upgrade) on failure. */
ws_conn *ws_conn_start(evloop *loop, MHD_socket sock, const char *extra, size_t extra_len,
                       struct MHD_UpgradeResponseHandle *urh, size_t max_message_bytes,
                       const ws_handler *h, void *cls);

/* Any thread: schedules on_wake on the event-loop thread. Safe until on_finished has run. */
void ws_conn_wake(ws_conn *c);
/* The connection's event-loop id: evloop_wake(loop, id) runs on_wake, and is harmless (ignored) once
 * the connection has ended, unlike a pointer. */
ev_id ws_conn_id(const ws_conn *c);

/* Event-loop thread only. */
bool ws_queue_text(ws_conn *c, const char *data, size_t len);
size_t ws_queued_bytes(const ws_conn *c);
/* Sends a close frame; the connection ends once both sides have closed (or on error). */
void ws_queue_close(ws_conn *c, uint16_t code, const char *reason);
/* Stops / restarts reading client messages (back-pressure towards the client). */
void ws_pause_read(ws_conn *c);
void ws_resume_read(ws_conn *c);

#endif
