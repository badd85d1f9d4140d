/* greeting.c: greeter reply texts and message coding (see greeting.h). */
#include "greeting.h"

#include <stdlib.h>
#include <string.h>

#include "helloworld.pb-c.h"

void greeting_hello(buf *out, const char *name) { buf_printf(out, "Hello %s", name); }

void greeting_stream_reply(buf *out, const char *name, unsigned long index)
{
    buf_printf(out, "Hello %s #%lu", name, index);
}

void greeting_collect_init(buf *out) { buf_append_str(out, "Hello "); }

void greeting_collect_add(buf *out, const char *name, bool first)
{
    if (!first) buf_append_str(out, ", ");
    buf_append_str(out, name);
}

static char *dup_or_abort(const char *s)
{
    char *d = strdup(s ? s : "");
    if (!d) abort();
    return d;
}

bool greeting_decode_request(const uint8_t *data, size_t len, char **name)
{
    Helloworld__HelloRequest *req = helloworld__hello_request__unpack(NULL, len, data);
    if (!req) return false;
    *name = dup_or_abort(req->name);
    helloworld__hello_request__free_unpacked(req, NULL);
    return true;
}

bool greeting_decode_reply(const uint8_t *data, size_t len, char **message)
{
    Helloworld__HelloReply *rep = helloworld__hello_reply__unpack(NULL, len, data);
    if (!rep) return false;
    *message = dup_or_abort(rep->message);
    helloworld__hello_reply__free_unpacked(rep, NULL);
    return true;
}

void greeting_encode_reply(buf *out, const char *message)
{
    Helloworld__HelloReply rep = HELLOWORLD__HELLO_REPLY__INIT;
    rep.message = (char *)message;
    size_t n = helloworld__hello_reply__get_packed_size(&rep);
    buf_reserve(out, n);
    out->len += helloworld__hello_reply__pack(&rep, out->data + out->len);
    out->data[out->len] = 0;
}

void greeting_encode_request(buf *out, const char *name)
{
    Helloworld__HelloRequest req = HELLOWORLD__HELLO_REQUEST__INIT;
    req.name = (char *)name;
    size_t n = helloworld__hello_request__get_packed_size(&req);
    buf_reserve(out, n);
    out->len += helloworld__hello_request__pack(&req, out->data + out->len);
    out->data[out->len] = 0;
}
