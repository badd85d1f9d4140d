/* buf.h: a growable byte buffer, the one way the project builds output (JSON text, protobuf bytes). */
#ifndef GW_BUF_H
#define GW_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* A buffer owns `data` (heap, may be NULL while empty). `len` bytes are used out of `cap`.
 * The bytes are always followed by a NUL (not counted in len) once anything was appended, so text
 * built in a buffer can be used as a C string. Allocation failure aborts the process: the gateway
 * bounds every input first, so an allocation that fails means the machine is out of memory. */
typedef struct buf {
    uint8_t *data;
    size_t len;
    size_t cap;
} buf;

#define BUF_INIT {NULL, 0, 0}

void buf_init(buf *b);
void buf_free(buf *b);                         /* releases data and resets to empty */
void buf_reset(buf *b);                        /* len = 0, keeps the allocation */
void buf_reserve(buf *b, size_t extra);        /* room for `extra` more bytes (+ NUL) */
void buf_append(buf *b, const void *p, size_t n);
void buf_append_str(buf *b, const char *s);
void buf_append_byte(buf *b, uint8_t c);
void buf_printf(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(buf *b, const char *fmt, va_list ap);
void buf_consume(buf *b, size_t n);            /* drops the first n bytes (moves the rest down) */
uint8_t *buf_steal(buf *b, size_t *len);       /* hands data to the caller (free()), leaves b empty */

#endif
