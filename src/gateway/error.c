/* error.c: the gateway's error type (see error.h). */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

gw_err *gw_err_new(grpc_status_code code, const char *fmt, ...)
{
    gw_err *e = malloc(sizeof *e);
    buf b = BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(&b, fmt, ap);
    va_end(ap);
    if (!e || !b.data) abort();
    e->code = code;
    e->message = (char *)buf_steal(&b, NULL);
    e->http_status = 0;
    return e;
}

gw_err *gw_err_http(gw_err *e, unsigned http_status)
{
    if (e) e->http_status = http_status;
    return e;
}

gw_err *gw_err_prefix(gw_err *e, const char *fmt, ...)
{
    if (!e) return NULL;
    buf b = BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(&b, fmt, ap);
    va_end(ap);
    buf_append_str(&b, ": ");
    buf_append_str(&b, e->message);
    free(e->message);
    e->message = (char *)buf_steal(&b, NULL);
    return e;
}

void gw_err_free(gw_err *e)
{
    if (!e) return;
    free(e->message);
    free(e);
}
