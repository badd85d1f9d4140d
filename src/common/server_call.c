/* server_call.c: the server-side call state machine (see server_call.h).
 *
 * Thread: everything here runs on the loop thread of grpc_server_loop.
 * Lifetime: a call holds one reference for itself (released when RECV_CLOSE_ON_SERVER completes,
 * i.e. the call is over on the wire), one per batch in flight and one while its timer is queued. The
 * last reference logs the call and frees it. */
#include "server_call.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <grpc/byte_buffer_reader.h>
#include <grpc/support/alloc.h>

#include "grpc_names.h"

typedef struct scall_reply {
    struct scall_reply *next;
    int64_t not_before_ms;
    grpc_byte_buffer *payload;
} scall_reply;

typedef struct scall_md {            /* owned metadata: every key and value slice is ours */
    grpc_metadata *items;
    size_t count;
    size_t cap;
} scall_md;

typedef struct scall_op_tag {
    gsl_tag base;
    scall *call;
} scall_op_tag;

struct scall {
    gsl_loop *loop;
    grpc_call *call;
    grpc_call_details details;
    grpc_metadata_array request_md;
    char *method;
    bool log;
    const scall_handler *h;
    void *user;
    int refs;

    int64_t start_ms;
    int64_t deadline_ms;              /* INT64_MAX: none */

    scall_op_tag recv_tag, send_tag, status_tag, close_tag;
    th_timer timer;                   /* wakes the call when the head reply may be sent */

    /* receiving */
    grpc_byte_buffer *recv_payload;
    bool recv_pending;
    bool recv_done;                   /* half-close seen, or reading failed */
    unsigned long in;

    /* sending */
    scall_reply *queue_head, *queue_tail;
    size_t queue_len;
    grpc_byte_buffer *send_payload;   /* in flight */
    bool send_pending;
    bool initial_md_sent;
    unsigned long out;
    scall_md initial_md, trailing_md;

    /* ending */
    bool finishing;                   /* status decided */
    grpc_status_code status;
    grpc_slice status_message;
    bool status_started;
    int close_cancelled;              /* written by RECV_CLOSE_ON_SERVER */
    bool closed;
    bool cancelled;
    bool broken;                      /* a batch could not be started: the call was cancelled */
};

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n, size);
    if (!p) {
        fputs("server_call: out of memory\n", stderr);
        abort();
    }
    return p;
}

static void md_add(scall_md *md, const char *key, const uint8_t *value, size_t value_len)
{
    if (md->count == md->cap) {
        size_t cap = md->cap ? md->cap * 2 : 4;
        grpc_metadata *items = realloc(md->items, cap * sizeof *items);
        if (!items) {
            fputs("server_call: out of memory\n", stderr);
            abort();
        }
        md->items = items;
        md->cap = cap;
    }
    grpc_metadata *m = &md->items[md->count++];
    memset(m, 0, sizeof *m);
    m->key = grpc_slice_from_copied_string(key);
    m->value = grpc_slice_from_copied_buffer((const char *)value, value_len);
}

static void md_free(scall_md *md)
{
    for (size_t i = 0; i < md->count; i++) {
        grpc_slice_unref(md->items[i].key);
        grpc_slice_unref(md->items[i].value);
    }
    free(md->items);
    memset(md, 0, sizeof *md);
}

static void drop_queue(scall *c)
{
    while (c->queue_head) {
        scall_reply *r = c->queue_head;
        c->queue_head = r->next;
        grpc_byte_buffer_destroy(r->payload);
        free(r);
    }
    c->queue_tail = NULL;
    c->queue_len = 0;
}

int64_t scall_deadline_slack_ms(int64_t timeout_ms)
{
    int64_t slack = timeout_ms / SCALL_DEADLINE_SLACK_DIVISOR;
    if (slack < SCALL_DEADLINE_SLACK_MS) return SCALL_DEADLINE_SLACK_MS;
    return slack > SCALL_DEADLINE_SLACK_MAX_MS ? SCALL_DEADLINE_SLACK_MAX_MS : slack;
}

static const char *final_status_name(const scall *c)
{
    if (c->cancelled) {
        bool deadline_passed =
            c->deadline_ms != INT64_MAX &&
            gsl_now_ms() + scall_deadline_slack_ms(c->deadline_ms - c->start_ms) >= c->deadline_ms;
        return deadline_passed ? "DEADLINE_EXCEEDED" : "CANCELLED";
    }
    return grpc_status_name(c->status);
}

static void log_call(const scall *c)
{
    char deadline[32];
    if (c->deadline_ms == INT64_MAX)
        snprintf(deadline, sizeof deadline, "none");
    else
        snprintf(deadline, sizeof deadline, "%" PRId64, c->deadline_ms - c->start_ms);
    /* One fprintf per line, so that lines of different calls never interleave. */
    fprintf(stderr, "call %s status=%s cancelled=%d in=%lu out=%lu deadline_ms=%s ms=%" PRId64 "\n", c->method,
            final_status_name(c), c->cancelled ? 1 : 0, c->in, c->out, deadline, gsl_now_ms() - c->start_ms);
}

static void call_free(scall *c)
{
    if (c->log) log_call(c);
    if (c->h && c->h->on_free) c->h->on_free(c);
    drop_queue(c);
    md_free(&c->initial_md);
    md_free(&c->trailing_md);
    grpc_slice_unref(c->status_message);
    grpc_call_details_destroy(&c->details);
    grpc_metadata_array_destroy(&c->request_md);
    grpc_call_unref(c->call);
    gsl_call_closed(c->loop);
    free(c->method);
    free(c);
}

static void call_ref(scall *c) { c->refs++; }
static void call_unref(scall *c)
{
    if (--c->refs == 0) call_free(c);
}

/* Starts a batch holding a reference until its tag completes. */
static bool start_batch(scall *c, const grpc_op *ops, size_t n, scall_op_tag *tag)
{
    call_ref(c);
    grpc_call_error e = grpc_call_start_batch(c->call, ops, n, &tag->base, NULL);
    if (e == GRPC_CALL_OK) return true;
    fprintf(stderr, "server_call: %s: grpc_call_start_batch failed (%d), cancelling the call\n", c->method, (int)e);
    c->broken = true;
    grpc_call_cancel(c->call, NULL);
    call_unref(c);
    return false;
}

/* Adds SEND_INITIAL_METADATA to ops if it has not gone out yet; returns the number of ops added. */
static size_t add_initial_md_op(scall *c, grpc_op *op)
{
    if (c->initial_md_sent) return 0;
    c->initial_md_sent = true;
    op->op = GRPC_OP_SEND_INITIAL_METADATA;
    op->data.send_initial_metadata.count = c->initial_md.count;
    op->data.send_initial_metadata.metadata = c->initial_md.items;
    return 1;
}

static void arm_timer(scall *c, int64_t due_ms)
{
    if (th_timer_queued(&c->timer)) {
        if (c->timer.due_ms == due_ms) return;
        gsl_timer_remove(c->loop, &c->timer);
        call_unref(c);
    }
    call_ref(c);
    gsl_timer_add(c->loop, &c->timer, due_ms);
}

static void disarm_timer(scall *c)
{
    if (!th_timer_queued(&c->timer)) return;
    gsl_timer_remove(c->loop, &c->timer);
    call_unref(c);
}

/* Starts whatever the call's state allows next: a read, the next due reply, or the status. */
static void pump(scall *c)
{
    if (c->cancelled || c->broken || c->closed || !c->h) return;
    if (!c->recv_pending && !c->recv_done && !c->finishing && c->queue_len < SCALL_MAX_QUEUED_REPLIES) {
        grpc_op op;
        memset(&op, 0, sizeof op);
        op.op = GRPC_OP_RECV_MESSAGE;
        op.data.recv_message.recv_message = &c->recv_payload;
        c->recv_pending = true;
        if (!start_batch(c, &op, 1, &c->recv_tag)) return;
    }
    if (c->send_pending || c->status_started) return;
    grpc_op ops[2];
    memset(ops, 0, sizeof ops);
    if (c->queue_head) {
        scall_reply *r = c->queue_head;
        if (r->not_before_ms > gsl_now_ms()) {
            arm_timer(c, r->not_before_ms);
            return;
        }
        disarm_timer(c);
        c->queue_head = r->next;
        if (!c->queue_head) c->queue_tail = NULL;
        c->queue_len--;
        c->send_payload = r->payload;
        free(r);
        size_t n = add_initial_md_op(c, &ops[0]);
        ops[n].op = GRPC_OP_SEND_MESSAGE;
        ops[n].data.send_message.send_message = c->send_payload;
        c->send_pending = true;
        start_batch(c, ops, n + 1, &c->send_tag);
    } else if (c->finishing) {
        size_t n = add_initial_md_op(c, &ops[0]);
        ops[n].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
        ops[n].data.send_status_from_server.status = c->status;
        ops[n].data.send_status_from_server.status_details = &c->status_message;
        ops[n].data.send_status_from_server.trailing_metadata_count = c->trailing_md.count;
        ops[n].data.send_status_from_server.trailing_metadata = c->trailing_md.items;
        c->status_started = true;
        start_batch(c, ops, n + 1, &c->status_tag);
    }
}

static void on_timer(th_timer *t)
{
    scall *c = (scall *)((char *)t - offsetof(scall, timer));
    pump(c);
    call_unref(c);    /* the timer's reference (taken in arm_timer) */
}

static void on_recv_done(gsl_tag *tag, bool ok)
{
    scall *c = ((scall_op_tag *)tag)->call;
    c->recv_pending = false;
    grpc_byte_buffer *payload = c->recv_payload;
    c->recv_payload = NULL;
    if (!ok || !payload) {
        c->recv_done = true;
        if (ok && !c->cancelled && !c->finishing && c->h->on_half_close) c->h->on_half_close(c);
    } else {
        c->in++;
        grpc_byte_buffer_reader reader;
        if (grpc_byte_buffer_reader_init(&reader, payload)) {
            grpc_slice s = grpc_byte_buffer_reader_readall(&reader);
            grpc_byte_buffer_reader_destroy(&reader);
            if (!c->cancelled && !c->finishing)
                c->h->on_message(c, GRPC_SLICE_START_PTR(s), GRPC_SLICE_LENGTH(s));
            grpc_slice_unref(s);
        } else if (!c->finishing) {
            scall_fail_now(c, GRPC_STATUS_INTERNAL, "cannot read the request message");
        }
        grpc_byte_buffer_destroy(payload);
    }
    pump(c);
    call_unref(c);
}

static void on_send_done(gsl_tag *tag, bool ok)
{
    scall *c = ((scall_op_tag *)tag)->call;
    c->send_pending = false;
    grpc_byte_buffer_destroy(c->send_payload);
    c->send_payload = NULL;
    if (ok) {
        c->out++;
        if (!c->cancelled && c->h->on_sent) c->h->on_sent(c);
    } else {
        c->broken = true;     /* the stream is gone; RECV_CLOSE_ON_SERVER reports how */
    }
    pump(c);
    call_unref(c);
}

static void on_status_done(gsl_tag *tag, bool ok)
{
    scall *c = ((scall_op_tag *)tag)->call;
    call_unref(c);
}

static void on_close_done(gsl_tag *tag, bool ok)
{
    scall *c = ((scall_op_tag *)tag)->call;
    c->closed = true;
    if (c->close_cancelled || !c->status_started) {
        c->cancelled = true;
        disarm_timer(c);
        drop_queue(c);
    }
    call_unref(c);    /* the call's own reference: it is over on the wire */
}

scall *scall_create(gsl_loop *loop, grpc_call *call, grpc_call_details *details,
                    grpc_metadata_array *request_md, bool log)
{
    scall *c = xcalloc(1, sizeof *c);
    c->loop = loop;
    c->call = call;
    c->details = *details;
    c->request_md = *request_md;
    c->log = log;
    c->refs = 1;
    c->start_ms = gsl_now_ms();
    c->deadline_ms = gsl_deadline_ms(details->deadline);
    size_t mlen = GRPC_SLICE_LENGTH(details->method);
    c->method = xcalloc(1, mlen + 1);
    memcpy(c->method, GRPC_SLICE_START_PTR(details->method), mlen);
    c->status_message = grpc_empty_slice();
    th_timer_init(&c->timer, on_timer);
    c->recv_tag = (scall_op_tag){{on_recv_done}, c};
    c->send_tag = (scall_op_tag){{on_send_done}, c};
    c->status_tag = (scall_op_tag){{on_status_done}, c};
    c->close_tag = (scall_op_tag){{on_close_done}, c};
    gsl_call_opened(loop);
    return c;
}

void scall_begin(scall *c, const scall_handler *h, void *user)
{
    c->h = h;
    c->user = user;
    grpc_op op;
    memset(&op, 0, sizeof op);
    op.op = GRPC_OP_RECV_CLOSE_ON_SERVER;
    op.data.recv_close_on_server.cancelled = &c->close_cancelled;
    /* This batch holds the call's own reference: on_close_done releases it, so take none extra. */
    grpc_call_error e = grpc_call_start_batch(c->call, &op, 1, &c->close_tag.base, NULL);
    if (e != GRPC_CALL_OK) {
        fprintf(stderr, "server_call: %s: cannot watch the call (%d)\n", c->method, (int)e);
        c->broken = true;
        c->cancelled = true;
        grpc_call_cancel(c->call, NULL);
        call_unref(c);
        return;
    }
    pump(c);
}

const char *scall_method(const scall *c) { return c->method; }
const grpc_metadata_array *scall_request_md(const scall *c) { return &c->request_md; }
void *scall_user(const scall *c) { return c->user; }
unsigned long scall_in_count(const scall *c) { return c->in; }
unsigned long scall_out_count(const scall *c) { return c->out; }

void scall_add_initial_md(scall *c, const char *key, const uint8_t *value, size_t value_len)
{
    if (!c->initial_md_sent) md_add(&c->initial_md, key, value, value_len);
}

void scall_add_trailing_md(scall *c, const char *key, const uint8_t *value, size_t value_len)
{
    if (!c->status_started) md_add(&c->trailing_md, key, value, value_len);
}

void scall_send(scall *c, const uint8_t *data, size_t len, int64_t not_before_ms)
{
    if (c->finishing || c->cancelled) return;
    scall_reply *r = xcalloc(1, sizeof *r);
    grpc_slice s = grpc_slice_from_copied_buffer((const char *)data, len);
    r->payload = grpc_raw_byte_buffer_create(&s, 1);
    grpc_slice_unref(s);
    r->not_before_ms = not_before_ms;
    if (c->queue_tail)
        c->queue_tail->next = r;
    else
        c->queue_head = r;
    c->queue_tail = r;
    c->queue_len++;
    pump(c);
}

void scall_finish(scall *c, grpc_status_code code, const char *message)
{
    if (c->finishing || c->cancelled) return;
    c->finishing = true;
    c->status = code;
    grpc_slice_unref(c->status_message);
    c->status_message = grpc_slice_from_copied_string(message ? message : "");
    pump(c);
}

void scall_fail_now(scall *c, grpc_status_code code, const char *message)
{
    if (c->status_started || c->cancelled) return;
    drop_queue(c);
    disarm_timer(c);
    c->finishing = false;     /* overrides a status decided earlier but not yet sent */
    scall_finish(c, code, message);
}
