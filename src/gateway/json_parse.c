/* json_parse.c: the gateway's JSON reading rules (see json_parse.h). */
#include "json_parse.h"

#include <stdbool.h>
#include <string.h>

#include "buf.h"

#define JSON_PARSE_FLAGS (JSON_DECODE_ANY | JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL)
/* An integer literal longer than this may not fit 64 bits (INT64_MAX has 19 digits). */
#define INT64_SAFE_DIGITS 18

/* Copies text to out with every integer literal (outside strings) of more than INT64_SAFE_DIGITS
 * digits wrapped in quotes. Returns false when there was none (nothing to retry). */
static bool quote_big_integers(const char *t, size_t n, buf *out)
{
    bool changed = false, in_string = false, escape = false;
    for (size_t i = 0; i < n;) {
        char c = t[i];
        if (in_string) {
            buf_append_byte(out, (uint8_t)c);
            if (escape) escape = false;
            else if (c == '\\') escape = true;
            else if (c == '"') in_string = false;
            i++;
            continue;
        }
        if (c == '"') {
            in_string = true;
            buf_append_byte(out, '"');
            i++;
            continue;
        }
        if (c == '-' || (c >= '0' && c <= '9')) {
            size_t j = i + (c == '-');
            size_t digits_start = j;
            while (j < n && t[j] >= '0' && t[j] <= '9') j++;
            size_t digits = j - digits_start;
            /* The whole number token: fraction and exponent included. */
            size_t end = j;
            bool integer = true;
            while (end < n && (strchr("0123456789.eE+-", t[end]) != NULL)) {
                if (t[end] == '.' || t[end] == 'e' || t[end] == 'E') integer = false;
                end++;
            }
            if (integer && digits > INT64_SAFE_DIGITS) {
                buf_append_byte(out, '"');
                buf_append(out, t + i, end - i);
                buf_append_byte(out, '"');
                changed = true;
            } else {
                buf_append(out, t + i, end - i);
            }
            i = end;
            continue;
        }
        buf_append_byte(out, (uint8_t)c);
        i++;
    }
    return changed;
}

json_t *json_parse_text(const char *text, size_t len, const char *what, gw_err **err)
{
    *err = NULL;
    bool blank = true;
    for (size_t i = 0; i < len && blank; i++)
        if (text[i] != ' ' && text[i] != '\t' && text[i] != '\r' && text[i] != '\n') blank = false;
    if (blank) return NULL;
    json_error_t jerr;
    json_t *json = json_loadb(text, len, JSON_PARSE_FLAGS, &jerr);
    if (!json && strstr(jerr.text, "too big integer")) {
        buf quoted = BUF_INIT;
        if (quote_big_integers(text, len, &quoted)) {
            json_error_t jerr2;
            json = json_loadb((const char *)quoted.data, quoted.len, JSON_PARSE_FLAGS, &jerr2);
        }
        buf_free(&quoted);
    }
    if (!json)
        *err = gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "malformed JSON%s%s at line %d, column %d: %s", what ? " " : "",
                          what ? what : "", jerr.line, jerr.column, jerr.text);
    return json;
}
