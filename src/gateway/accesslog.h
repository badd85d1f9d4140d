/* accesslog.h: the access log: one line per finished request, as text or JSON, written to a file
 * descriptor (standard output) with one write() per line.
 *
 * Text format, space-separated (`-` for an absent value):
 *   TIME PEER METHOD TARGET STATUS GRPC_CODE DURATION_MS BYTES_IN BYTES_OUT
 *   2026-11-26T01:41:27.123Z 127.0.0.1 POST /v1/hello?lang=en 200 OK 1.234 14 23
 * A field holding anything but printable ASCII (or holding `"`, `\` or nothing) is written in double
 * quotes with `\"`, `\\` and `\xHH` escapes, so no byte of a request reaches the log raw: no control
 * character, no line break, no byte >= 0x80.
 * JSON format, one object per line:
 *   {"time":"2026-11-26T01:41:27.123Z","peer":"127.0.0.1","method":"POST","target":"/v1/hello?lang=en",
 *    "status":200,"grpc_code":"OK","duration_ms":1.234,"bytes_in":14,"bytes_out":23}
 * with "grpc_code":null when no call was made and "peer":null when the address is unknown.
 *
 * Pure formatting plus one write(); safe on any thread (each line is built in its own buffer).
 * A line is at most a few KiB (request fields are cut at ACCESSLOG_MAX_*), so on a pipe or a terminal
 * each write() is atomic (PIPE_BUF) and lines from different threads never interleave. */
#ifndef GW_ACCESSLOG_H
#define GW_ACCESSLOG_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "buf.h"

#define ACCESSLOG_NO_CALL (-1)                /* grpc_code when the gateway answered by itself */
#define ACCESSLOG_MAX_TARGET_BYTES 2048       /* longer targets are cut and end in "..." */
#define ACCESSLOG_MAX_FIELD_BYTES 128         /* the same for the method and the peer */

enum accesslog_format {
    ACCESSLOG_OFF,
    ACCESSLOG_TEXT,
    ACCESSLOG_JSON,
};

/* One finished request. Strings are borrowed for the duration of the call; NULL means unknown. */
typedef struct access_record {
    struct timespec time;             /* CLOCK_REALTIME when the request arrived */
    const char *peer;                 /* the client's address */
    const char *method;               /* the HTTP method as received */
    const char *target;               /* path and query as received (still percent-encoded) */
    unsigned http_status;
    int grpc_code;                    /* the call's final gRPC status, or ACCESSLOG_NO_CALL */
    int64_t duration_us;              /* from arrival to the end of the response */
    uint64_t bytes_in;                /* request body bytes */
    uint64_t bytes_out;               /* response body bytes */
} access_record;

/* "off", "text" or "json" (as given to --access-log). Returns false for anything else. */
bool accesslog_parse_format(const char *s, enum accesslog_format *out);

/* Appends the record's line (newline included) to `out`; nothing for ACCESSLOG_OFF. */
void accesslog_format(enum accesslog_format f, const access_record *r, buf *out);

/* Formats the line and writes it to `fd` with one write() (retried only for EINTR or a partial
 * write). Returns false when it could not be written (the line is then dropped: logging never blocks
 * or fails a request). ACCESSLOG_OFF writes nothing and returns true. */
bool accesslog_write(int fd, enum accesslog_format f, const access_record *r);

#endif
