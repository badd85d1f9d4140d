/* pem_file.c: PEM file reading for the TLS options (see pem_file.h). */
#include "pem_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PEM_BEGIN_MARK "-----BEGIN "

/* Why `text` (len bytes, NUL-terminated) is not a PEM file we accept, or NULL when it is. */
static const char *pem_text_problem(const char *text, size_t len)
{
    if (len == 0) return "is empty";
    if (len > PEM_FILE_MAX_BYTES) return "is too large to be a PEM certificate or key";
    if (memchr(text, '\0', len)) return "holds a NUL byte (it is not PEM)";
    if (!strstr(text, PEM_BEGIN_MARK)) return "is not PEM (no \"" PEM_BEGIN_MARK "...\" line)";
    return NULL;
}

bool pem_file_read(const char *path, char **out, char *err, size_t err_len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        snprintf(err, err_len, "cannot read %s: %s", path, strerror(errno));
        return false;
    }
    /* Reading one byte past the cap tells "too large" apart from "exactly the cap". */
    char *text = malloc(PEM_FILE_MAX_BYTES + 2);
    if (!text) abort();
    size_t len = fread(text, 1, PEM_FILE_MAX_BYTES + 1, fp);
    int read_errno = ferror(fp) ? errno : 0;
    fclose(fp);
    text[len] = '\0';
    const char *problem = read_errno ? NULL : pem_text_problem(text, len);
    if (read_errno) {
        snprintf(err, err_len, "cannot read %s: %s", path, strerror(read_errno));
    } else if (problem) {
        if (len > PEM_FILE_MAX_BYTES)
            snprintf(err, err_len, "%s %s (over %ld bytes)", path, problem, PEM_FILE_MAX_BYTES);
        else
            snprintf(err, err_len, "%s %s", path, problem);
    }
    if (read_errno || problem) {
        free(text);
        return false;
    }
    char *fitted = realloc(text, len + 1);
    *out = fitted ? fitted : text;
    return true;
}
