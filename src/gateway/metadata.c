/* metadata.c: HTTP headers <-> gRPC metadata (see metadata.h). */
#include "metadata.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base64.h"

#define GRPC_METADATA_PREFIX "grpc-metadata-"

void md_list_init(md_list *md) { memset(md, 0, sizeof *md); }

void md_list_free(md_list *md)
{
    for (size_t i = 0; i < md->count; i++) {
        grpc_slice_unref(md->items[i].key);
        grpc_slice_unref(md->items[i].value);
    }
    free(md->items);
    md_list_init(md);
}

void md_list_add(md_list *md, const char *key, size_t key_len, const char *value, size_t value_len)
{
    if (md->count == md->cap) {
        size_t cap = md->cap ? md->cap * 2 : 4;   /* x-forwarded-for and -host, plus a couple */
        grpc_metadata *p = realloc(md->items, cap * sizeof *p);
        if (!p) abort();
        md->items = p;
        md->cap = cap;
    }
    grpc_metadata *m = &md->items[md->count++];
    memset(m, 0, sizeof *m);
    /* Copied slices: values up to GRPC_SLICE_INLINED_SIZE bytes are stored inline (no allocation). */
    m->key = grpc_slice_from_copied_buffer(key, key_len);
    m->value = grpc_slice_from_copied_buffer(value, value_len);
}

/* Names gRPC reserves or that only mean something on one HTTP/1.1 hop. */
static bool is_reserved_or_hop_by_hop(const char *key)
{
    static const char *const NAMES[] = {
        "content-type", "user-agent", "te", "host", "connection", "keep-alive", "proxy-connection",
        "transfer-encoding", "upgrade", "trailer", "content-length", "expect", "http2-settings",
    };
    if (key[0] == ':' || strncmp(key, "grpc-", 5) == 0) return true;
    for (size_t i = 0; i < sizeof NAMES / sizeof NAMES[0]; i++)
        if (strcmp(key, NAMES[i]) == 0) return true;
    return false;
}

static bool is_forwarded_name(const md_rules *rules, const char *name)
{
    if (!rules) return false;
    for (size_t i = 0; i < rules->n_forward; i++)
        if (strcasecmp(name, rules->forward[i]) == 0) return true;
    return false;
}

static gw_err *add_checked(md_list *md, const char *header, const char *key, size_t key_len, const char *value)
{
    char lower[256];
    if (key_len == 0 || key_len >= sizeof lower)
        return gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "header '%s' cannot be sent as gRPC metadata: bad name length", header);
    for (size_t i = 0; i < key_len; i++) {
        char c = key[i];
        lower[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    lower[key_len] = 0;
    if (is_reserved_or_hop_by_hop(lower)) return NULL;
    grpc_slice ks = grpc_slice_from_static_buffer(lower, key_len);
    if (!grpc_header_key_is_legal(ks))
        return gw_err_new(GRPC_STATUS_INVALID_ARGUMENT,
                          "header '%s' cannot be sent as gRPC metadata: name may only hold 0-9 a-z _ . -", header);
    size_t vlen = strlen(value);
    if (grpc_is_binary_header(ks)) {
        buf raw = BUF_INIT;
        /* Several values of one binary header may arrive comma-joined: not supported here, as a
         * comma is not base64 and fails the decode with a clear message. */
        if (!base64_decode(&raw, value, vlen)) {
            buf_free(&raw);
            return gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "header '%s' is a binary (-bin) header but its value is not base64", header);
        }
        md_list_add(md, lower, key_len, raw.data ? (char *)raw.data : "", raw.len);
        buf_free(&raw);
        return NULL;
    }
    grpc_slice vs = grpc_slice_from_static_buffer(value, vlen);
    if (!grpc_header_nonbin_value_is_legal(vs))
        return gw_err_new(GRPC_STATUS_INVALID_ARGUMENT,
                          "header '%s' cannot be sent as gRPC metadata: value holds characters outside 0x20-0x7E", header);
    md_list_add(md, lower, key_len, value, vlen);
    return NULL;
}

gw_err *md_from_header(md_list *md, const md_rules *rules, const char *name, const char *value)
{
    size_t n = strlen(name);
    size_t plen = sizeof GRPC_METADATA_PREFIX - 1;
    if (n > plen && strncasecmp(name, GRPC_METADATA_PREFIX, plen) == 0)
        return add_checked(md, name, name + plen, n - plen, value);
    if (strcasecmp(name, "authorization") == 0 || is_forwarded_name(rules, name))
        return add_checked(md, name, name, n, value);
    return NULL;
}

static bool legal_value(const char *v, size_t n)
{
    return n && grpc_header_nonbin_value_is_legal(grpc_slice_from_static_buffer(v, n));
}

void md_add_forwarded(md_list *md, const char *peer, const char *xff, const char *xfh, const char *host)
{
    /* The client's address, appended to the list of a proxy in front if there is one. A list that
     * cannot be metadata is replaced by the address alone: the backend never loses the client. */
    buf b = BUF_INIT;
    if (xff && *xff) {
        buf_append_str(&b, xff);
        if (peer) {
            buf_append_str(&b, ", ");
            buf_append_str(&b, peer);
        }
    }
    if (legal_value((const char *)b.data, b.len)) md_list_add(md, "x-forwarded-for", 15, (const char *)b.data, b.len);
    else if (peer && legal_value(peer, strlen(peer))) md_list_add(md, "x-forwarded-for", 15, peer, strlen(peer));
    buf_free(&b);
    /* An incoming x-forwarded-host is kept; without one (or with one that cannot be metadata), Host. */
    if (xfh && legal_value(xfh, strlen(xfh))) md_list_add(md, "x-forwarded-host", 16, xfh, strlen(xfh));
    else if (host && legal_value(host, strlen(host))) md_list_add(md, "x-forwarded-host", 16, host, strlen(host));
}

size_t md_to_headers(const grpc_metadata_array *md, const char *prefix, size_t *budget, md_header_fn add, void *cls)
{
    buf name = BUF_INIT, value = BUF_INIT;
    size_t left_out = 0;
    for (size_t i = 0; i < md->count; i++) {
        const grpc_metadata *m = &md->metadata[i];
        /* gRPC's own keys (grpc-status-details-bin, grpc-message, ...) are protocol, not the
         * application's metadata: they are answered in the body, not echoed as headers. */
        if (GRPC_SLICE_LENGTH(m->key) >= 5 && memcmp(GRPC_SLICE_START_PTR(m->key), "grpc-", 5) == 0) continue;
        buf_reset(&name);
        buf_reset(&value);
        buf_append_str(&name, prefix);
        buf_append(&name, GRPC_SLICE_START_PTR(m->key), GRPC_SLICE_LENGTH(m->key));
        if (grpc_is_binary_header(m->key))
            base64_encode(&value, GRPC_SLICE_START_PTR(m->value), GRPC_SLICE_LENGTH(m->value), true);
        else
            buf_append(&value, GRPC_SLICE_START_PTR(m->value), GRPC_SLICE_LENGTH(m->value));
        buf_append(&value, "", 0);
        size_t line = name.len + value.len + 4;   /* ": " and CRLF */
        if (budget) {
            if (line > *budget) {
                left_out++;
                continue;
            }
            *budget -= line;
        }
        add(cls, (const char *)name.data, (const char *)value.data);
    }
    buf_free(&name);
    buf_free(&value);
    return left_out;
}

const char *md_find(const grpc_metadata_array *md, const char *key, size_t *len)
{
    size_t kl = strlen(key);
    for (size_t i = 0; i < md->count; i++) {
        const grpc_slice *k = &md->metadata[i].key;
        if (GRPC_SLICE_LENGTH(*k) == kl && memcmp(GRPC_SLICE_START_PTR(*k), key, kl) == 0) {
            *len = GRPC_SLICE_LENGTH(md->metadata[i].value);
            return (const char *)GRPC_SLICE_START_PTR(md->metadata[i].value);
        }
    }
    return NULL;
}
