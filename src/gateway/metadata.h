/* metadata.h: HTTP request headers -> gRPC call metadata, and the backend's metadata -> HTTP response
 * headers (Grpc-Metadata-<key> for initial metadata, Grpc-Trailer-<key> for trailing metadata).
 *
 * Request side rules: `Grpc-Metadata-<Key>` is forwarded as `<key>` (prefix removed), `Authorization`
 * as `authorization`, and each configured forward header under its own name; names are lowercased;
 * `-bin` values are base64-decoded (gRPC core re-encodes them on the wire); reserved names (grpc-*,
 * pseudo-headers, content-type, user-agent, te) and hop-by-hop headers are never forwarded;
 * x-forwarded-for gets the peer address appended and x-forwarded-host is set. A header that cannot be
 * legal metadata (bad name characters, control characters in a value, bad base64) is an
 * INVALID_ARGUMENT error naming it: the request is refused instead of the call failing in gRPC core. */
#ifndef GW_METADATA_H
#define GW_METADATA_H

#include <stdbool.h>
#include <stddef.h>

#include <grpc/grpc.h>

#include "buf.h"
#include "error.h"

/* Which request headers become metadata (from the --forward-header flags); read-only after start-up. */
typedef struct md_rules {
    size_t n_forward;
    char **forward;                   /* lowercased header names */
} md_rules;

/* Metadata to send with a call. Owns the slices of its entries. */
typedef struct md_list {
    grpc_metadata *items;
    size_t count;
    size_t cap;
} md_list;

void md_list_init(md_list *md);
void md_list_free(md_list *md);
void md_list_add(md_list *md, const char *key, size_t key_len, const char *value, size_t value_len);

/* Looks at one request header. Adds what it maps to (nothing for most headers); returns an error
 * for a header that should be forwarded but cannot be. x-forwarded-* are handled by md_add_forwarded. */
gw_err *md_from_header(md_list *md, const md_rules *rules, const char *name, const char *value);

/* Adds x-forwarded-for (`xff` + ", " + peer, or peer) and x-forwarded-host (`xfh`, else `host`).
 * Any argument may be NULL; an incoming value that cannot be metadata gives way to the peer or Host. */
void md_add_forwarded(md_list *md, const char *peer, const char *xff, const char *xfh, const char *host);

/* Calls add(cls, "<prefix><key>", value) for each entry of a received metadata array, with binary
 * (-bin) values base64-encoded; gRPC's own grpc-* keys are skipped. Keys and values are
 * NUL-terminated for the callee's convenience and valid only during the callback. With `budget`
 * (bytes of header lines still allowed; decreased as they are used), entries that do not fit are
 * left out. Returns how many were left out. */
typedef void (*md_header_fn)(void *cls, const char *name, const char *value);
size_t md_to_headers(const grpc_metadata_array *md, const char *prefix, size_t *budget, md_header_fn add, void *cls);

/* The value of `key` in a received metadata array, or NULL (not NUL-terminated: see *len). */
const char *md_find(const grpc_metadata_array *md, const char *key, size_t *len);

#endif
