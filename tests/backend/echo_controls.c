/* echo_controls.c: echo backend controls and metadata echo rules (see echo_controls.h). */
#include "echo_controls.h"

#include <stdio.h>
#include <string.h>

#include "cliopt.h"

#define CONTROL_PREFIX "x-echo-"
#define LAST_MODE_SUFFIX "ClientStream"

void echo_controls_init(echo_controls *ctl)
{
    memset(ctl, 0, sizeof *ctl);
    ctl->repeat = 1;
}

static bool key_is(const char *key, size_t key_len, const char *name)
{
    return key_len == strlen(name) && memcmp(key, name, key_len) == 0;
}

static bool has_prefix(const char *key, size_t key_len, const char *prefix)
{
    size_t n = strlen(prefix);
    return key_len >= n && memcmp(key, prefix, n) == 0;
}

/* Parses a numeric control value in 0..max. */
static int number(const char *name, const uint8_t *value, size_t value_len, long max, long *out, char *err,
                  size_t err_len)
{
    char text[24];
    if (value_len >= sizeof text) value_len = sizeof text - 1;   /* too long to be valid anyway */
    memcpy(text, value, value_len);
    text[value_len] = 0;
    if (value_len == 0 || !cliopt_uint(text, max, out)) {
        snprintf(err, err_len, "%s must be a whole number from 0 to %ld", name, max);
        return -1;
    }
    return 1;
}

int echo_controls_apply(echo_controls *ctl, const char *key, size_t key_len, const uint8_t *value,
                        size_t value_len, char *err, size_t err_len)
{
    if (!has_prefix(key, key_len, CONTROL_PREFIX)) return 0;
    if (key_is(key, key_len, "x-echo-status")) {
        ctl->has_status = true;
        return number("x-echo-status", value, value_len, ECHO_MAX_STATUS, &ctl->status, err, err_len);
    }
    if (key_is(key, key_len, "x-echo-repeat"))
        return number("x-echo-repeat", value, value_len, ECHO_MAX_REPEAT, &ctl->repeat, err, err_len);
    if (key_is(key, key_len, "x-echo-interval-ms"))
        return number("x-echo-interval-ms", value, value_len, ECHO_MAX_MS, &ctl->interval_ms, err, err_len);
    if (key_is(key, key_len, "x-echo-delay-ms"))
        return number("x-echo-delay-ms", value, value_len, ECHO_MAX_MS, &ctl->delay_ms, err, err_len);
    if (key_is(key, key_len, "x-echo-fail-after")) {
        ctl->has_fail_after = true;
        return number("x-echo-fail-after", value, value_len, ECHO_MAX_FAIL_AFTER, &ctl->fail_after, err, err_len);
    }
    if (key_is(key, key_len, "x-echo-message") || key_is(key, key_len, "x-echo-details-bin")) {
        bool message = key[7] == 'm';
        if (value_len > ECHO_MAX_TEXT) {
            snprintf(err, err_len, "%.*s is longer than %d bytes", (int)key_len, key, ECHO_MAX_TEXT);
            return -1;
        }
        if (message) {
            ctl->has_message = true;
            memcpy(ctl->message, value, value_len);
            ctl->message[value_len] = 0;
        } else {
            ctl->has_details = true;
            memcpy(ctl->details, value, value_len);
            ctl->details_len = value_len;
        }
        return 1;
    }
    snprintf(err, err_len, "unknown control %.*s", (int)(key_len > 64 ? 64 : key_len), key);
    return -1;
}

long echo_final_status(const echo_controls *ctl) { return ctl->has_status ? ctl->status : 0; }

long echo_fail_status(const echo_controls *ctl) { return ctl->has_status ? ctl->status : ECHO_DEFAULT_FAIL_STATUS; }

bool echo_key_is_echoed(const char *key, size_t key_len)
{
    static const char *const RESERVED[] = {"user-agent", "content-type", "te", ":authority"};
    if (key_len == 0 || key[0] == ':') return false;
    if (has_prefix(key, key_len, CONTROL_PREFIX) || has_prefix(key, key_len, "grpc-")) return false;
    for (size_t i = 0; i < sizeof RESERVED / sizeof RESERVED[0]; i++)
        if (key_is(key, key_len, RESERVED[i])) return false;
    return true;
}

bool echo_method_is_last_mode(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *name = slash ? slash + 1 : path;
    size_t n = strlen(name), s = strlen(LAST_MODE_SUFFIX);
    return n >= s && strcmp(name + n - s, LAST_MODE_SUFFIX) == 0;
}
