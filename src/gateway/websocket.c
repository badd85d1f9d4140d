/* websocket.c: WebSocket connections on libwslay's frame layer, driven by the side event loop (see
 * websocket.h). Incoming frames are assembled into messages here (continuations, control frames in
 * between, size limit); outgoing messages wait in a queue and are written as single frames. */
#include "websocket.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <gnutls/crypto.h>
#include <wslay/wslay.h>

#include "base64.h"
#include "buf.h"

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#define WS_MAX_CONTROL_PAYLOAD 125
/* After our close frame, what a client may still send before it closes too (then we cut it off). */
#define WS_DRAIN_LIMIT_BYTES (256 * 1024)

typedef struct ws_out {
    struct ws_out *next;
    uint8_t opcode;
    size_t off;                       /* payload bytes already written */
    size_t len;
    uint8_t data[];
} ws_out;

struct ws_conn {
    evloop *loop;
    ev_id id;
    int fd;
    struct MHD_UpgradeResponseHandle *urh;
    wslay_frame_context_ptr frames;
    const ws_handler *h;
    void *cls;
    size_t max_message;
    buf extra;                        /* bytes libmicrohttpd read past the handshake: read first */
    size_t extra_pos;
    /* receiving */
    buf message;                      /* the data message being assembled */
    uint8_t message_opcode;           /* its opcode; 0 while none is open */
    buf control;                      /* the control frame being received */
    uint8_t frame_opcode;             /* the current frame */
    uint64_t frame_left;              /* its payload bytes still to come */
    bool frame_open;
    bool read_paused;
    bool peer_closed;                 /* close frame received, or the peer went away */
    size_t drained;
    /* sending */
    ws_out *out_head, *out_tail;      /* data messages */
    ws_out *ctrl_head, *ctrl_tail;    /* control frames go first, between messages */
    ws_out *sending;                  /* the frame being written (partially sent) */
    size_t queued_bytes;
    bool close_queued;
    bool close_sent;
    bool failed;
    bool finished;
    uint32_t events;
};

bool ws_accept_key(const char *client_key, char out[29])
{
    buf raw = BUF_INIT;
    bool ok = client_key && base64_decode(&raw, client_key, strlen(client_key)) && raw.len == 16;
    buf_free(&raw);
    if (!ok) return false;
    buf in = BUF_INIT;
    buf_append_str(&in, client_key);
    buf_append_str(&in, WS_GUID);
    uint8_t digest[20];
    gnutls_hash_fast(GNUTLS_DIG_SHA1, in.data, in.len, digest);
    buf_free(&in);
    buf enc = BUF_INIT;
    base64_encode(&enc, digest, sizeof digest, true);
    memcpy(out, enc.data, 28);
    out[28] = 0;
    buf_free(&enc);
    return true;
}

/* ------------------------------------------------------------------ socket I/O for wslay */

static ssize_t frame_recv(uint8_t *dst, size_t len, int flags, void *user)
{
    ws_conn *c = user;
    if (c->extra_pos < c->extra.len) {
        size_t n = c->extra.len - c->extra_pos;
        if (n > len) n = len;
        memcpy(dst, c->extra.data + c->extra_pos, n);
        c->extra_pos += n;
        return (ssize_t)n;
    }
    ssize_t r;
    do r = recv(c->fd, dst, len, 0); while (r < 0 && errno == EINTR);
    if (r == 0) {
        c->peer_closed = true;     /* the peer went away (with or without a close frame) */
        c->failed = !c->close_sent;
        return -1;
    }
    if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK) c->failed = true;
    return r;   /* -1 with EAGAIN: wslay reports WANT_READ */
}

static ssize_t frame_send(const uint8_t *data, size_t len, int flags, void *user)
{
    ws_conn *c = user;
    ssize_t r;
    do r = send(c->fd, data, len, MSG_NOSIGNAL | ((flags & WSLAY_MSG_MORE) ? MSG_MORE : 0)); while (r < 0 && errno == EINTR);
    if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK) c->failed = true;
    return r;
}

/* ------------------------------------------------------------------ output queue */

static void push_out(ws_out **head, ws_out **tail, uint8_t opcode, const void *data, size_t len, ws_conn *c)
{
    ws_out *o = malloc(sizeof *o + len);
    if (!o) abort();
    o->next = NULL;
    o->opcode = opcode;
    o->off = 0;
    o->len = len;
    if (len) memcpy(o->data, data, len);
    if (*tail) (*tail)->next = o;
    else *head = o;
    *tail = o;
    c->queued_bytes += len;
}

static ws_out *pop_next(ws_conn *c)
{
    ws_out **head = c->ctrl_head ? &c->ctrl_head : &c->out_head;
    ws_out **tail = c->ctrl_head ? &c->ctrl_tail : &c->out_tail;
    ws_out *o = *head;
    if (!o) return NULL;
    *head = o->next;
    if (!*head) *tail = NULL;
    return o;
}

static void queue_control(ws_conn *c, uint8_t opcode, const void *data, size_t len)
{
    if (len > WS_MAX_CONTROL_PAYLOAD) len = WS_MAX_CONTROL_PAYLOAD;
    push_out(&c->ctrl_head, &c->ctrl_tail, opcode, data, len, c);
}

bool ws_queue_text(ws_conn *c, const char *data, size_t len)
{
    if (c->close_queued || c->failed) return false;
    push_out(&c->out_head, &c->out_tail, WSLAY_TEXT_FRAME, data, len, c);
    return true;
}

size_t ws_queued_bytes(const ws_conn *c) { return c->queued_bytes; }

void ws_queue_close(ws_conn *c, uint16_t code, const char *reason)
{
    if (c->close_queued) return;
    c->close_queued = true;
    uint8_t payload[WS_MAX_CONTROL_PAYLOAD];
    size_t n = reason ? strlen(reason) : 0;
    if (n > WS_MAX_CONTROL_PAYLOAD - 2) n = WS_MAX_CONTROL_PAYLOAD - 2;
    payload[0] = (uint8_t)(code >> 8);
    payload[1] = (uint8_t)code;
    if (n) memcpy(payload + 2, reason, n);
    /* The close frame goes after the data already queued: it is a data-queue entry, not a priority one. */
    push_out(&c->out_head, &c->out_tail, WSLAY_CONNECTION_CLOSE, payload, n + 2, c);
}

/* Writes what it can. Returns false on a socket failure. */
static bool write_queued(ws_conn *c)
{
    while (!c->close_sent) {
        if (!c->sending) c->sending = pop_next(c);
        ws_out *o = c->sending;
        if (!o) return true;
        struct wslay_frame_iocb io = {.fin = 1, .opcode = o->opcode, .mask = 0, .payload_length = o->len,
                                      .data = o->data + o->off, .data_length = o->len - o->off};
        ssize_t r = wslay_frame_send(c->frames, &io);
        if (r == WSLAY_ERR_WANT_WRITE) return !c->failed;
        if (r < 0) return false;
        o->off += (size_t)r;
        if (o->off < o->len) continue;
        c->queued_bytes -= o->len;
        if (o->opcode == WSLAY_CONNECTION_CLOSE) {
            c->close_sent = true;
            shutdown(c->fd, SHUT_WR);
        }
        free(o);
        c->sending = NULL;
    }
    return true;
}

/* ------------------------------------------------------------------ input */

static void report_peer_closed(ws_conn *c, uint16_t code, bool error)
{
    if (c->message_opcode == 0xff) return;
    c->message_opcode = 0xff;      /* no more messages */
    c->h->on_peer_closed(c->cls, c, code, error);
}

static void fail_protocol(ws_conn *c, uint16_t code, const char *why)
{
    ws_queue_close(c, code, why);
    c->peer_closed = true;
    report_peer_closed(c, code, true);
}

/* A frame's payload is complete. */
static void frame_done(ws_conn *c, bool fin)
{
    uint8_t op = c->frame_opcode;
    if (op == WSLAY_PING) {
        if (!c->close_queued) queue_control(c, WSLAY_PONG, c->control.data, c->control.len);
    } else if (op == WSLAY_CONNECTION_CLOSE) {
        uint16_t code = 1005;
        if (c->control.len >= 2) code = (uint16_t)(c->control.data[0] << 8 | c->control.data[1]);
        c->peer_closed = true;
        report_peer_closed(c, code, false);
    } else if (op != WSLAY_PONG && fin && c->message_opcode != 0xff) {
        c->h->on_message(c->cls, c, c->message.data ? c->message.data : (const uint8_t *)"", c->message.len);
        buf_reset(&c->message);
        c->message_opcode = 0;
    }
    buf_reset(&c->control);
}

/* Reads and dispatches frames until the socket has nothing more (or reading is paused). */
static bool read_frames(ws_conn *c)
{
    while ((!c->read_paused || c->close_sent) && !c->failed && (!c->peer_closed || c->close_sent)) {
        struct wslay_frame_iocb io;
        memset(&io, 0, sizeof io);
        ssize_t r = wslay_frame_recv(c->frames, &io);
        if (r == WSLAY_ERR_WANT_READ) return !c->failed;
        if (r < 0) {
            if (c->peer_closed && !c->failed) return true;
            fail_protocol(c, 1002, "malformed frame");
            return true;
        }
        if (c->close_sent) {
            /* Our close is out: discard what the client still sends, within a bound. */
            c->drained += (size_t)r;
            if (c->drained > WS_DRAIN_LIMIT_BYTES) c->failed = true;
            if (!c->frame_open) { c->frame_open = true; c->frame_opcode = io.opcode; c->frame_left = io.payload_length; }
            c->frame_left -= (uint64_t)r;
            if (c->frame_left == 0) {
                c->frame_open = false;
                if (c->frame_opcode == WSLAY_CONNECTION_CLOSE) c->peer_closed = true;
            }
            continue;
        }
        if (!c->frame_open) {
            /* First piece of a frame: check it. Clients must mask; no extensions are negotiated. */
            if (!io.mask || io.rsv) { fail_protocol(c, 1002, "unmasked frame or reserved bits set"); return true; }
            bool control = wslay_is_ctrl_frame(io.opcode);
            if (control) {
                if (!io.fin || io.payload_length > WS_MAX_CONTROL_PAYLOAD) { fail_protocol(c, 1002, "bad control frame"); return true; }
            } else if (io.opcode == WSLAY_CONTINUATION_FRAME) {
                if (c->message_opcode == 0) { fail_protocol(c, 1002, "continuation without a message"); return true; }
            } else if (io.opcode == WSLAY_TEXT_FRAME || io.opcode == WSLAY_BINARY_FRAME) {
                if (c->message_opcode != 0 && c->message_opcode != 0xff) { fail_protocol(c, 1002, "new message inside a fragmented one"); return true; }
                if (c->message_opcode == 0) c->message_opcode = io.opcode;
            } else {
                fail_protocol(c, 1002, "unknown opcode");
                return true;
            }
            if (!control && c->message.len + io.payload_length > c->max_message) {
                fail_protocol(c, 1009, "message too big");
                return true;
            }
            c->frame_open = true;
            c->frame_opcode = io.opcode;
            c->frame_left = io.payload_length;
        }
        if (r > 0) {
            buf *dst = wslay_is_ctrl_frame(c->frame_opcode) ? &c->control : &c->message;
            if (c->message_opcode != 0xff || dst == &c->control) buf_append(dst, io.data, (size_t)r);
            c->frame_left -= (uint64_t)r;
        }
        if (c->frame_left == 0) {
            c->frame_open = false;
            frame_done(c, io.fin);
        }
    }
    return !c->failed;
}

/* ------------------------------------------------------------------ lifetime and events */

static void finish(ws_conn *c)
{
    if (c->finished) return;
    c->finished = true;
    report_peer_closed(c, 1006, true);
    evloop_remove(c->loop, c->id);
    wslay_frame_context_free(c->frames);
    MHD_upgrade_action(c->urh, MHD_UPGRADE_ACTION_CLOSE);
    for (ws_out *o = c->sending ? c->sending : pop_next(c); o; o = pop_next(c)) {
        if (o == c->sending) c->sending = NULL;
        free(o);
    }
    buf_free(&c->extra);
    buf_free(&c->message);
    buf_free(&c->control);
    const ws_handler *h = c->h;
    void *cls = c->cls;
    free(c);
    h->on_finished(cls);
}

static void pump(ws_conn *c, uint32_t events)
{
    if (events == 0) c->h->on_wake(c->cls, c);
    size_t before = c->queued_bytes;
    if (!read_frames(c)) { finish(c); return; }
    if (!write_queued(c) || c->failed) { finish(c); return; }
    if (c->queued_bytes < before) c->h->on_drained(c->cls, c);
    if (c->failed) { finish(c); return; }
    /* Done when our close is out and the peer has closed too (or was cut off). */
    if (c->close_sent && c->peer_closed) { finish(c); return; }
    if ((events & (EPOLLHUP | EPOLLERR)) && !(events & EPOLLIN)) { finish(c); return; }
    bool want_write = c->sending || c->ctrl_head || c->out_head;
    bool want_read = (!c->read_paused && !c->peer_closed) || (c->close_sent && !c->peer_closed);
    uint32_t ev = (want_read ? EPOLLIN | EPOLLRDHUP : 0) | (want_write ? EPOLLOUT : 0);
    if (ev != c->events) {
        c->events = ev;
        evloop_modify(c->loop, c->id, ev);
    }
}

static void on_event(void *cls, uint32_t events) { pump(cls, events); }

ws_conn *ws_conn_start(evloop *loop, MHD_socket sock, const char *extra, size_t extra_len,
                       struct MHD_UpgradeResponseHandle *urh, size_t max_message_bytes, const ws_handler *h, void *cls)
{
    ws_conn *c = calloc(1, sizeof *c);
    if (!c) abort();
    c->loop = loop;
    c->fd = sock;
    c->urh = urh;
    c->h = h;
    c->cls = cls;
    c->max_message = max_message_bytes;
    if (extra_len) buf_append(&c->extra, extra, extra_len);
    struct wslay_frame_callbacks cb = {.send_callback = frame_send, .recv_callback = frame_recv};
    if (wslay_frame_context_init(&c->frames, &cb, c) != 0) {
        MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
        buf_free(&c->extra);
        free(c);
        return NULL;
    }
    c->events = EPOLLIN | EPOLLRDHUP;
    c->id = evloop_add(loop, sock, c->events, on_event, c);
    if (!c->id) {
        wslay_frame_context_free(c->frames);
        MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
        buf_free(&c->extra);
        free(c);
        return NULL;
    }
    /* Bytes that arrived with the handshake are processed on the loop thread. */
    if (extra_len) evloop_wake(loop, c->id);
    return c;
}

void ws_conn_wake(ws_conn *c) { evloop_wake(c->loop, c->id); }

ev_id ws_conn_id(const ws_conn *c) { return c->id; }

void ws_pause_read(ws_conn *c) { c->read_paused = true; }

void ws_resume_read(ws_conn *c)
{
    /* Called on the loop thread from a handler: the pump that runs the handler reads next (or the
     * re-armed EPOLLIN interest fires). */
    c->read_paused = false;
}
