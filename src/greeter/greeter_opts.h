/* greeter_opts.h: command-line options of greeter-server and greeter-client. */
#ifndef GW_GREETER_OPTS_H
#define GW_GREETER_OPTS_H

#include <stdbool.h>
#include <stddef.h>

#define GREETER_DEFAULT_LISTEN "0.0.0.0:50051"
#define GREETER_DEFAULT_TARGET "127.0.0.1:50051"
#define GREETER_DEFAULT_STREAM_COUNT 5
#define GREETER_MAX_STREAM_COUNT 1000000L
#define GREETER_DEFAULT_GRACE_MS 5000L      /* how long in-flight calls may finish after SIGTERM */
#define GREETER_MAX_MS 86400000L            /* one day: the bound of every time option */

typedef enum { GOPTS_RUN, GOPTS_HELP, GOPTS_VERSION, GOPTS_BAD } gopts_result;

typedef struct gopts_server {
    const char *listen;            /* HOST:PORT */
    long stream_count;             /* replies of SayHelloServerStream */
    long stream_interval_ms;       /* pause between them */
    long delay_ms;                 /* added before every reply */
    long grace_ms;                 /* drain limit after SIGINT/SIGTERM */
    bool quiet;                    /* no per-call log lines */
    /* TLS (NULL: not set; the parse checks that they make sense together): serve TLS with this
     * certificate chain and key; tls_client_ca also requires client certificates it signs. */
    const char *tls_cert, *tls_key, *tls_client_ca;
} gopts_server;

/* GREETER_HEALTH is grpc.health.v1.Health/Check (NAME: the service, default ""). */
typedef enum { GREETER_UNARY, GREETER_SERVER_STREAM, GREETER_CLIENT_STREAM, GREETER_BIDI, GREETER_HEALTH } greeter_kind;

typedef struct gopts_client {
    const char *target;
    long timeout_ms;               /* -1: no deadline */
    long cancel_after_ms;          /* -1: never */
    greeter_kind kind;
    char **names;                  /* points into argv */
    int n_names;
    /* TLS (the strings NULL when not set): ca are the roots that sign the server's certificate
     * (NULL: the system's); cert and key (together) a client certificate for mutual TLS. */
    bool tls;
    const char *ca, *cert, *key;
    const char *authority;         /* :authority, and with TLS the name the server's certificate must carry */
} gopts_client;

/* Both parse argv[1..argc) ("--flag value" and "--flag=value"; "--" ends the options). On GOPTS_BAD
 * `err` says why. Neither prints anything nor keeps state between calls. */
gopts_result gopts_parse_server(int argc, char **argv, gopts_server *o, char *err, size_t err_len);
gopts_result gopts_parse_client(int argc, char **argv, gopts_client *o, char *err, size_t err_len);

/* The method path of a kind, e.g. "/helloworld.Greeter/SayHello". */
const char *greeter_method_path(greeter_kind kind);

#endif
