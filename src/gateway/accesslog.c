/* accesslog.c: access log lines in text and JSON (see accesslog.h). */
#include "accesslog.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "grpc_names.h"
#include "transcode.h"

#define TRUNCATED_MARK "..."

bool accesslog_parse_format(const char *s, enum accesslog_format *out)
{
    static const struct {
        const char *name;
        enum accesslog_format format;
    } NAMES[] = {{"off", ACCESSLOG_OFF}, {"text", ACCESSLOG_TEXT}, {"json", ACCESSLOG_JSON}};
    for (size_t i = 0; s && i < sizeof NAMES / sizeof NAMES[0]; i++)
        if (!strcmp(s, NAMES[i].name)) {
            *out = NAMES[i].format;
            return true;
        }
    return false;
}

/* RFC 3339, UTC, milliseconds: 2026-11-26T01:41:27.123Z */
static void write_time(buf *out, struct timespec t)
{
    struct tm tm;
    time_t sec = t.tv_sec;
    if (!gmtime_r(&sec, &tm)) memset(&tm, 0, sizeof tm);
    char s[40];
    size_t n = strftime(s, sizeof s, "%Y-%m-%dT%H:%M:%S", &tm);
    long ms = t.tv_nsec >= 0 && t.tv_nsec < 1000000000L ? t.tv_nsec / 1000000L : 0;
    buf_append(out, s, n);
    buf_printf(out, ".%03ldZ", ms);
}

/* Milliseconds with microsecond precision: 1.234 */
static void write_duration_ms(buf *out, int64_t us)
{
    if (us < 0) us = 0;
    buf_printf(out, "%" PRId64 ".%03" PRId64, us / 1000, us % 1000);
}

static const char *grpc_code_name(int code)
{
    return code == ACCESSLOG_NO_CALL ? NULL : grpc_status_name((grpc_status_code)code);
}

/* Text fields: bare when every byte is printable ASCII other than '"' and '\', quoted and escaped
 * otherwise. `limit` caps the bytes taken from `s` (then TRUNCATED_MARK follows). */
static bool is_bare(unsigned char c) { return c > 0x20 && c < 0x7f && c != '"' && c != '\\'; }

static void write_text_field(buf *out, const char *s, size_t limit)
{
    if (!s) {
        buf_append_byte(out, '-');
        return;
    }
    size_t n = strlen(s);
    bool cut = n > limit;
    if (cut) n = limit;
    bool bare = n > 0;
    for (size_t i = 0; bare && i < n; i++) bare = is_bare((unsigned char)s[i]);
    if (bare) {
        buf_append(out, s, n);
        if (cut) buf_append_str(out, TRUNCATED_MARK);
        return;
    }
    buf_append_byte(out, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            buf_append_byte(out, '\\');
            buf_append_byte(out, c);
        } else if (c < 0x20 || c >= 0x7f) {
            buf_printf(out, "\\x%02x", c);
        } else {
            buf_append_byte(out, c);
        }
    }
    if (cut) buf_append_str(out, TRUNCATED_MARK);
    buf_append_byte(out, '"');
}

/* JSON strings: json_write_string escapes control characters and replaces invalid UTF-8 (which a cut
 * in the middle of a character also produces) with U+FFFD. */
static void write_json_field(buf *out, const char *s, size_t limit)
{
    if (!s) {
        buf_append_str(out, "null");
        return;
    }
    size_t n = strlen(s);
    if (n <= limit) {
        json_write_string(out, s, n);
        return;
    }
    buf cut = BUF_INIT;
    buf_append(&cut, s, limit);
    buf_append_str(&cut, TRUNCATED_MARK);
    json_write_string(out, (const char *)cut.data, cut.len);
    buf_free(&cut);
}

static void format_text(const access_record *r, buf *out)
{
    write_time(out, r->time);
    buf_append_byte(out, ' ');
    write_text_field(out, r->peer, ACCESSLOG_MAX_FIELD_BYTES);
    buf_append_byte(out, ' ');
    write_text_field(out, r->method, ACCESSLOG_MAX_FIELD_BYTES);
    buf_append_byte(out, ' ');
    write_text_field(out, r->target, ACCESSLOG_MAX_TARGET_BYTES);
    buf_printf(out, " %u ", r->http_status);
    const char *code = grpc_code_name(r->grpc_code);
    buf_append_str(out, code ? code : "-");
    buf_append_byte(out, ' ');
    write_duration_ms(out, r->duration_us);
    buf_printf(out, " %" PRIu64 " %" PRIu64 "\n", r->bytes_in, r->bytes_out);
}

static void format_json(const access_record *r, buf *out)
{
    buf_append_str(out, "{\"time\":\"");
    write_time(out, r->time);
    buf_append_str(out, "\",\"peer\":");
    write_json_field(out, r->peer, ACCESSLOG_MAX_FIELD_BYTES);
    buf_append_str(out, ",\"method\":");
    write_json_field(out, r->method, ACCESSLOG_MAX_FIELD_BYTES);
    buf_append_str(out, ",\"target\":");
    write_json_field(out, r->target, ACCESSLOG_MAX_TARGET_BYTES);
    buf_printf(out, ",\"status\":%u,\"grpc_code\":", r->http_status);
    const char *code = grpc_code_name(r->grpc_code);
    if (code) buf_printf(out, "\"%s\"", code);
    else buf_append_str(out, "null");
    buf_append_str(out, ",\"duration_ms\":");
    write_duration_ms(out, r->duration_us);
    buf_printf(out, ",\"bytes_in\":%" PRIu64 ",\"bytes_out\":%" PRIu64 "}\n", r->bytes_in, r->bytes_out);
}

void accesslog_format(enum accesslog_format f, const access_record *r, buf *out)
{
    switch (f) {
    case ACCESSLOG_OFF: break;
    case ACCESSLOG_TEXT: format_text(r, out); break;
    case ACCESSLOG_JSON: format_json(r, out); break;
    }
}

bool accesslog_write(int fd, enum accesslog_format f, const access_record *r)
{
    if (f == ACCESSLOG_OFF) return true;
    buf line = BUF_INIT;
    accesslog_format(f, r, &line);
    size_t done = 0;
    bool ok = true;
    while (done < line.len) {
        ssize_t n = write(fd, line.data + done, line.len - done);
        if (n > 0) done += (size_t)n;
        else if (n < 0 && errno == EINTR) continue;
        else {
            ok = false;   /* EAGAIN on a non-blocking stdout, a closed pipe, a full disk: drop it */
            break;
        }
    }
    buf_free(&line);
    return ok;
}
