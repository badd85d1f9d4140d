/* greeting.h: what the greeter says (reply texts) and the HelloRequest/HelloReply wire form. */
#ifndef GW_GREETING_H
#define GW_GREETING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Appends "Hello <name>". */
void greeting_hello(buf *out, const char *name);
/* Appends "Hello <name> #<index>" (a server-stream reply). */
void greeting_stream_reply(buf *out, const char *name, unsigned long index);
/* Collects client-stream names: greeting_collect_add() for each name into a buffer that started as
 * "Hello " (greeting_collect_init), giving "Hello a, b, c"; with no names it stays "Hello ". */
void greeting_collect_init(buf *out);
void greeting_collect_add(buf *out, const char *name, bool first);

/* Decodes a HelloRequest; *name is a malloc'ed copy (free()). False when the bytes are not one. */
bool greeting_decode_request(const uint8_t *data, size_t len, char **name);
/* Encodes a HelloReply / HelloRequest into out (appended). */
void greeting_encode_reply(buf *out, const char *message);
void greeting_encode_request(buf *out, const char *name);
/* Decodes a HelloReply; *message is a malloc'ed copy (free()). */
bool greeting_decode_reply(const uint8_t *data, size_t len, char **message);

#endif
