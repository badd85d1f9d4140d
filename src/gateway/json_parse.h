/* json_parse.h: how the gateway reads JSON text (request bodies, streamed values, WebSocket
 * messages) into a jansson tree for the transcoder: duplicate keys refused, NUL allowed in strings
 * (proto strings may hold it, and the gateway prints it as \u0000), any value at the top level (the
 * well-known types), and integers beyond 64 bits kept (jansson refuses them: they are re-read as
 * strings, which the proto3 JSON mapping accepts for every numeric type). */
#ifndef GW_JSON_PARSE_H
#define GW_JSON_PARSE_H

#include <stddef.h>

#include <jansson.h>

#include "error.h"

/* Parses text[0..len). Returns a new reference, or NULL with *err set (INVALID_ARGUMENT, with the
 * line and column of the problem; `what` names the text in the message, e.g. "body"). Blank text
 * is not an error: it returns NULL with *err NULL (no value). */
json_t *json_parse_text(const char *text, size_t len, const char *what, gw_err **err);

#endif
