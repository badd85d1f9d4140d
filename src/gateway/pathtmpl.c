/* pathtmpl.c: google.api.http path templates (see pathtmpl.h for the grammar and matching rules). */
#include "pathtmpl.h"

#include <stdlib.h>
#include <string.h>

#include "uri.h"

/* The public struct first, so a pathtmpl * is also a pathtmpl_owned *. Fixed arrays keep a template
 * in one allocation plus its strings; the limits are small. */
typedef struct pathtmpl_owned {
    pathtmpl pub;
    pathtmpl_seg segs[PATHTMPL_MAX_SEGMENTS];
    pathtmpl_var vars[PATHTMPL_MAX_VARS];
    char *strings;                   /* text, decoded literals, field paths, verb: NUL-separated */
} pathtmpl_owned;

/* Parser state. Strings are collected in `strings` as offsets and turned into pointers at the end,
 * because the buffer moves while it grows. */
typedef struct parser {
    const char *text;
    size_t len;
    size_t pos;
    size_t end;                      /* where the segments stop: the verb's ':' or len */
    size_t n_segs;
    size_t seg_pos[PATHTMPL_MAX_SEGMENTS];
    size_t lit_off[PATHTMPL_MAX_SEGMENTS];
    size_t var_off[PATHTMPL_MAX_VARS];
    size_t var_pos[PATHTMPL_MAX_VARS];
    pathtmpl_owned *t;
    buf strings;
} parser;

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static bool is_alpha(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static bool is_unreserved(unsigned char c) { return is_alpha(c) || is_digit(c) || strchr("-._~", c) != NULL; }

/* RFC 3986 pchar less '*' (the wildcard) and '%' (handled as escapes). */
static bool is_literal_char(unsigned char c)
{
    return c && (is_unreserved(c) || strchr("!$&'()+,;=:@", c) != NULL);
}

static gw_err *fail_at(const parser *p, size_t pos, const char *reason)
{
    return gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "invalid path template '%s': position %zu: %s", p->text,
                      pos + 1, reason);
}

static size_t add_string(parser *p, const char *s, size_t n)
{
    size_t off = p->strings.len;
    buf_append(&p->strings, s, n);
    buf_append_byte(&p->strings, 0);
    return off;
}

/* One segment (not a variable) at p->pos: "*", "**" or a literal, ending at '/', '}' or p->end. */
static gw_err *parse_plain_segment(parser *p)
{
    const char *s = p->text;
    size_t start = p->pos;
    if (p->n_segs == PATHTMPL_MAX_SEGMENTS) return fail_at(p, start, "too many segments");
    pathtmpl_seg *seg = &p->t->segs[p->n_segs];
    p->seg_pos[p->n_segs] = start;
    if (s[start] == '*') {
        size_t n = (start + 1 < p->end && s[start + 1] == '*') ? 2 : 1;
        size_t next = start + n;
        if (next < p->end && s[next] != '/' && s[next] != '}')
            return fail_at(p, next, "a wildcard must be a whole segment ('*' or '**')");
        seg->kind = n == 2 ? PATHTMPL_DSTAR : PATHTMPL_STAR;
        p->pos = next;
        p->n_segs++;
        return NULL;
    }
    size_t i = start;
    while (i < p->end && s[i] != '/' && s[i] != '}') {
        unsigned char c = (unsigned char)s[i];
        if (c == '%') {
            if (i + 2 >= p->end || hexval((unsigned char)s[i + 1]) < 0 || hexval((unsigned char)s[i + 2]) < 0)
                return fail_at(p, i, "'%' must be followed by two hex digits");
            i += 3;
            continue;
        }
        if (c == '{') return fail_at(p, i, "a variable must be a whole segment");
        if (c == '*') return fail_at(p, i, "'*' inside a literal segment");
        if (!is_literal_char(c)) return fail_at(p, i, "character not allowed in a path template");
        i++;
    }
    if (i == start) return fail_at(p, start, "empty segment");
    buf decoded = BUF_INIT;
    uri_percent_decode(&decoded, s + start, i - start, NULL);   /* escapes were checked above */
    seg->kind = PATHTMPL_LITERAL;
    seg->literal_len = decoded.len;
    p->lit_off[p->n_segs] = add_string(p, (const char *)decoded.data, decoded.len);
    buf_free(&decoded);
    p->pos = i;
    p->n_segs++;
    return NULL;
}

/* "{" FieldPath [ "=" Segments ] "}" at p->pos. */
static gw_err *parse_variable(parser *p)
{
    const char *s = p->text;
    size_t open = p->pos;
    pathtmpl_owned *t = p->t;
    if (t->pub.n_vars == PATHTMPL_MAX_VARS) return fail_at(p, open, "too many variables");
    size_t i = open + 1;
    for (;;) {   /* IDENT { "." IDENT } */
        if (i >= p->end || !(is_alpha((unsigned char)s[i]) || s[i] == '_'))
            return fail_at(p, i, "expected a field name");
        while (i < p->end && (is_alpha((unsigned char)s[i]) || is_digit((unsigned char)s[i]) || s[i] == '_')) i++;
        if (i < p->end && s[i] == '.') {
            i++;
            continue;
        }
        break;
    }
    size_t name_start = open + 1, name_end = i;
    for (size_t v = 0; v < t->pub.n_vars; v++) {
        const char *other = p->strings.data ? (const char *)p->strings.data + p->var_off[v] : "";
        if (strlen(other) == name_end - name_start && memcmp(other, s + name_start, name_end - name_start) == 0)
            return fail_at(p, name_start, "variable bound twice");
    }
    pathtmpl_var *var = &t->vars[t->pub.n_vars];
    size_t vi = t->pub.n_vars;
    p->var_pos[vi] = open;
    var->first_seg = p->n_segs;
    if (i < p->end && s[i] == '=') {
        p->pos = i + 1;
        for (;;) {
            if (p->pos < p->end && s[p->pos] == '{') return fail_at(p, p->pos, "variables cannot nest");
            gw_err *e = parse_plain_segment(p);
            if (e) return e;
            if (p->pos < p->end && s[p->pos] == '/') {
                p->pos++;
                continue;
            }
            break;
        }
        i = p->pos;
    } else {   /* {field} is {field=*} */
        if (p->n_segs == PATHTMPL_MAX_SEGMENTS) return fail_at(p, open, "too many segments");
        p->seg_pos[p->n_segs] = open;
        t->segs[p->n_segs].kind = PATHTMPL_STAR;
        p->n_segs++;
    }
    if (i >= p->end || s[i] != '}') return fail_at(p, i, "expected '}' to close the variable");
    var->n_segs = p->n_segs - var->first_seg;
    var->multi = var->n_segs > 1 || t->segs[var->first_seg].kind == PATHTMPL_DSTAR;
    p->var_off[vi] = add_string(p, s + name_start, name_end - name_start);
    t->pub.n_vars++;
    p->pos = i + 1;
    if (p->pos < p->end && s[p->pos] != '/')
        return fail_at(p, p->pos, s[p->pos] == '}' ? "unbalanced '}'" : "a variable must be a whole segment");
    return NULL;
}

/* The verb starts at the last ':' that follows the last '/' and lies outside braces. */
static size_t find_verb(const char *s, size_t len)
{
    size_t colon = len;
    int depth = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '{') depth++;
        else if (s[i] == '}') depth--;
        else if (depth == 0 && s[i] == '/') colon = len;
        else if (depth == 0 && s[i] == ':') colon = i;
    }
    return colon;
}

gw_err *pathtmpl_parse(const char *text, pathtmpl **out)
{
    *out = NULL;
    parser p = {.text = text, .len = strlen(text)};
    if (p.len > PATHTMPL_MAX_LEN)
        return gw_err_new(GRPC_STATUS_INVALID_ARGUMENT, "invalid path template: longer than %d characters",
                          PATHTMPL_MAX_LEN);
    if (text[0] != '/') return fail_at(&p, 0, "must start with '/'");
    p.t = calloc(1, sizeof *p.t);
    if (!p.t) abort();
    pathtmpl_owned *t = p.t;
    gw_err *e = NULL;
    size_t text_off = add_string(&p, text, p.len);
    p.end = find_verb(text, p.len);
    p.pos = 1;
    if (p.end > 1) {
        for (;;) {
            if (text[p.pos] == '}') {
                e = fail_at(&p, p.pos, "unbalanced '}'");
                goto fail;
            }
            e = text[p.pos] == '{' ? parse_variable(&p) : parse_plain_segment(&p);
            if (e) goto fail;
            if (p.pos == p.end) break;
            if (text[p.pos] != '/') {
                e = fail_at(&p, p.pos, text[p.pos] == '}' ? "unbalanced '}'" : "expected '/'");
                goto fail;
            }
            p.pos++;
            if (p.pos == p.end) {
                e = fail_at(&p, p.pos - 1, "trailing '/'");
                goto fail;
            }
        }
    }
    for (size_t i = 0; i + 1 < p.n_segs; i++) {
        if (t->segs[i].kind == PATHTMPL_DSTAR) {
            e = fail_at(&p, p.seg_pos[i], "'**' must be the last segment");
            goto fail;
        }
    }
    size_t verb_off = 0;
    if (p.end < p.len) {
        if (p.end + 1 == p.len) {
            e = fail_at(&p, p.end, "empty verb after ':'");
            goto fail;
        }
        for (size_t i = p.end + 1; i < p.len; i++) {
            if (!is_unreserved((unsigned char)text[i])) {
                e = fail_at(&p, i, "a verb may only hold letters, digits, '-', '.', '_' and '~'");
                goto fail;
            }
        }
        t->pub.verb_len = p.len - p.end - 1;
        verb_off = add_string(&p, text + p.end + 1, t->pub.verb_len);
    }
    /* The strings are final: turn offsets into pointers. */
    t->strings = (char *)buf_steal(&p.strings, NULL);
    t->pub.text = t->strings + text_off;
    t->pub.verb = t->pub.verb_len ? t->strings + verb_off : NULL;
    t->pub.n_segs = p.n_segs;
    t->pub.segs = t->segs;
    t->pub.vars = t->vars;
    for (size_t i = 0; i < p.n_segs; i++)
        if (t->segs[i].kind == PATHTMPL_LITERAL) t->segs[i].literal = t->strings + p.lit_off[i];
    for (size_t i = 0; i < t->pub.n_vars; i++) t->vars[i].field_path = t->strings + p.var_off[i];
    *out = &t->pub;
    return NULL;
fail:
    buf_free(&p.strings);
    free(t);
    return e;
}

void pathtmpl_free(pathtmpl *tp)
{
    if (!tp) return;
    pathtmpl_owned *t = (pathtmpl_owned *)tp;
    free(t->strings);
    free(t);
}

bool pathtmpl_path_valid(const char *path, size_t len)
{
    const char *p = path, *end = path + len;
    while ((p = memchr(p, '%', (size_t)(end - p))) != NULL) {
        if (end - p < 3 || hexval((unsigned char)p[1]) < 0 || hexval((unsigned char)p[2]) < 0) return false;
        p += 3;
    }
    return true;
}

int pathtmpl_segment_cmp(const char *seg, size_t seg_len, const char *lit, size_t lit_len)
{
    size_t i = 0, j = 0;
    while (i < seg_len && j < lit_len) {
        unsigned char c = (unsigned char)seg[i];
        int hi, lo;
        if (c == '%' && i + 2 < seg_len && (hi = hexval((unsigned char)seg[i + 1])) >= 0 &&
            (lo = hexval((unsigned char)seg[i + 2])) >= 0) {
            c = (unsigned char)(hi << 4 | lo);
            i += 3;
        } else {
            i++;
        }
        unsigned char l = (unsigned char)lit[j++];
        if (c != l) return c < l ? -1 : 1;
    }
    if (i < seg_len) return 1;
    if (j < lit_len) return -1;
    return 0;
}

/* Walks the segments of a path: after the leading '/', pieces separated by '/'. */
typedef struct seg_cursor {
    const char *path;
    size_t len;
    size_t pos;                      /* start of the next segment */
    bool more;                       /* a next segment exists */
} seg_cursor;

static void cursor_init(seg_cursor *c, const char *path, size_t len)
{
    c->path = path;
    c->len = len;
    c->pos = 1;
    c->more = len > 1;
}

static size_t cursor_next(seg_cursor *c, size_t *start)
{
    *start = c->pos;
    const char *slash = memchr(c->path + c->pos, '/', c->len - c->pos);
    size_t end = slash ? (size_t)(slash - c->path) : c->len;
    if (slash) c->pos = end + 1;
    else c->more = false;
    return end - *start;
}

bool pathtmpl_match(const pathtmpl *t, const char *path, size_t len, buf *storage, pathtmpl_value *values)
{
    if (len == 0 || path[0] != '/') return false;
    if (t->verb) {
        if (len < t->verb_len + 2) return false;
        size_t colon = len - t->verb_len - 1;
        if (path[colon] != ':' || memcmp(path + colon + 1, t->verb, t->verb_len) != 0) return false;
        len = colon;
    }
    if (!pathtmpl_path_valid(path, len)) return false;
    size_t seg_start[PATHTMPL_MAX_SEGMENTS], seg_end[PATHTMPL_MAX_SEGMENTS];
    seg_cursor c;
    cursor_init(&c, path, len);
    for (size_t i = 0; i < t->n_segs; i++) {
        const pathtmpl_seg *ts = &t->segs[i];
        if (ts->kind == PATHTMPL_DSTAR) {
            seg_start[i] = c.more ? c.pos : len;
            seg_end[i] = len;
            c.more = false;
            continue;
        }
        if (!c.more) return false;
        size_t start, n = cursor_next(&c, &start);
        if (ts->kind == PATHTMPL_STAR ? n == 0
                                      : pathtmpl_segment_cmp(path + start, n, ts->literal, ts->literal_len) != 0)
            return false;
        seg_start[i] = start;
        seg_end[i] = start + n;
    }
    if (c.more) return false;
    if (!values || t->n_vars == 0) return true;
    buf_reserve(storage, len + t->n_vars);
    for (size_t v = 0; v < t->n_vars; v++) {
        const pathtmpl_var *var = &t->vars[v];
        size_t from = seg_start[var->first_seg], to = seg_end[var->first_seg + var->n_segs - 1];
        values[v].offset = storage->len;
        uri_percent_decode(storage, path + from, to - from, var->multi ? PATHTMPL_MULTI_KEEP_ENCODED : NULL);
        values[v].len = storage->len - values[v].offset;
        buf_append_byte(storage, 0);
    }
    return true;
}

bool pathtmpl_same_shape(const pathtmpl *a, const pathtmpl *b)
{
    if (a->n_segs != b->n_segs) return false;
    if ((a->verb == NULL) != (b->verb == NULL)) return false;
    if (a->verb && (a->verb_len != b->verb_len || memcmp(a->verb, b->verb, a->verb_len) != 0)) return false;
    for (size_t i = 0; i < a->n_segs; i++) {
        const pathtmpl_seg *x = &a->segs[i], *y = &b->segs[i];
        if (x->kind != y->kind) return false;
        if (x->kind == PATHTMPL_LITERAL &&
            (x->literal_len != y->literal_len || memcmp(x->literal, y->literal, x->literal_len) != 0))
            return false;
    }
    return true;
}
