/* echo_controls.h: the echo backend's per-call controls, read from request metadata (x-echo-*), and
 * which request metadata it echoes back. */
#ifndef GW_ECHO_CONTROLS_H
#define GW_ECHO_CONTROLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ECHO_MAX_REPEAT 10000L
#define ECHO_MAX_MS 3600000L
#define ECHO_MAX_FAIL_AFTER 1000000L
#define ECHO_MAX_STATUS 16L
#define ECHO_DEFAULT_FAIL_STATUS 13L         /* INTERNAL */
#define ECHO_MAX_TEXT 4096                   /* x-echo-message and x-echo-details-bin */

typedef struct echo_controls {
    bool has_status;
    long status;                 /* x-echo-status */
    bool has_message;
    char message[ECHO_MAX_TEXT + 1];         /* x-echo-message */
    bool has_details;
    uint8_t details[ECHO_MAX_TEXT];          /* x-echo-details-bin, raw bytes */
    size_t details_len;
    long repeat;                 /* x-echo-repeat, default 1 */
    long interval_ms;            /* x-echo-interval-ms */
    long delay_ms;               /* x-echo-delay-ms */
    bool has_fail_after;
    long fail_after;             /* x-echo-fail-after */
} echo_controls;

void echo_controls_init(echo_controls *ctl);

/* Applies one request metadata entry. Returns 1 when it was a control, 0 when it is not one (keys
 * outside the x-echo- family) and -1 when it is malformed (an unknown x-echo- key or a bad value;
 * err says which). */
int echo_controls_apply(echo_controls *ctl, const char *key, size_t key_len, const uint8_t *value,
                        size_t value_len, char *err, size_t err_len);

/* The status the call ends with: after the replies (normally) and at x-echo-fail-after. */
long echo_final_status(const echo_controls *ctl);
long echo_fail_status(const echo_controls *ctl);

/* Whether a request metadata key is echoed back as "echo-<key>": not a control (x-echo-*), not
 * reserved (grpc-*, pseudo-headers, user-agent, content-type, te). */
bool echo_key_is_echoed(const char *key, size_t key_len);

/* Whether a method path selects mode "last" (its last segment ends with "ClientStream"). */
bool echo_method_is_last_mode(const char *path);

#endif
