/* config.h: the gateway's settings: every flag, its environment variable (GW_<FLAG>), its default and
 * its help text live in one table in config.c. Start-up code only; the result is read-only after. */
#ifndef GW_CONFIG_H
#define GW_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "metadata.h"
#include "transcode.h"

typedef struct gw_config {
    /* front end */
    char *listen;                     /* HOST:PORT of the HTTP listener */
    unsigned http_threads;            /* libmicrohttpd worker threads (0: number of CPUs) */
    unsigned max_connections;         /* concurrent HTTP connections */
    int64_t idle_timeout_us;          /* keep-alive connection without a request in progress */
    size_t max_header_bytes;          /* request line + headers */
    size_t max_url_bytes;             /* request target (path and query) */
    unsigned max_header_count;
    int64_t header_timeout_us;        /* a begun request must complete its headers within this */
    int64_t body_timeout_us;          /* and a one-message body within this */
    unsigned max_inflight;            /* requests being handled at once (over: 503 + Retry-After) */
    unsigned max_streams;             /* streaming calls open at once */
    size_t max_body_bytes;            /* unary request body */
    /* backend */
    char *backend;                    /* gRPC target */
    unsigned upstream_threads;        /* completion-queue threads */
    int64_t backend_connect_timeout_us; /* one connection attempt (TCP + TLS + HTTP/2 settings) */
    int64_t backend_max_backoff_us;   /* longest wait between attempts to reach a backend that is down */
    int64_t backend_refresh_us;       /* how often a DNS target is resolved afresh (DURATION_NONE: never) */
    size_t max_message_bytes;         /* one gRPC message, either direction */
    /* descriptors and JSON */
    size_t n_descriptors;
    char **descriptors;               /* descriptor set files; none: the greeter's */
    json_opts json;
    /* calls */
    int64_t default_timeout_us;       /* unary calls without Grpc-Timeout */
    int64_t default_stream_timeout_us;/* streaming calls without Grpc-Timeout */
    int64_t max_timeout_us;           /* cap on any deadline */
    size_t stream_buffer_bytes;       /* rendered stream output waiting for a slow HTTP reader */
    md_rules metadata;                /* --forward-header */
    /* operations */
    char *access_log;                 /* off | text | json */
    char *admin_listen;               /* "": the admin endpoints share the API listener */
    char *health_path, *ready_path, *metrics_path, *openapi_path;
    size_t n_cors_origins;
    char **cors_origins;
    int64_t drain_timeout_us;         /* how long in-flight unary calls may finish at shutdown */
    /* TLS */
    char *tls_cert, *tls_key;         /* HTTPS front end when both are set */
    bool backend_tls;
    char *backend_ca, *backend_cert, *backend_key;
    char *backend_authority;          /* TLS name / :authority expected of the backend */
    bool quiet;                       /* no start-up chatter beyond the "listening on" line */
} gw_config;

/* Result of config_load: run, or exit with the given status (help/version printed: 0; bad usage: 2). */
enum config_result { CONFIG_RUN, CONFIG_EXIT_OK, CONFIG_EXIT_USAGE };

/* Fills `c` from defaults, then GW_* environment variables, then argv. Prints help, version or a
 * usage error itself. */
enum config_result config_load(gw_config *c, int argc, char **argv);
void config_free(gw_config *c);

#endif
