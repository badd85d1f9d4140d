/* pem_file.h: reads the PEM files that TLS options name (certificates, keys, roots), with clear errors. */
#ifndef GW_PEM_FILE_H
#define GW_PEM_FILE_H

#include <stdbool.h>
#include <stddef.h>

/* A PEM file larger than this is refused: certificate chains and keys are a few KiB, root bundles a
 * few hundred KiB, and a cap keeps a wrong path such as /dev/zero from eating memory. */
#define PEM_FILE_MAX_BYTES (4L * 1024L * 1024L)

/* Reads the whole file at `path` into a NUL-terminated heap string (*out, the caller frees it).
 * Fails, with a message naming the file in `err`, when the file cannot be read, is empty, is larger
 * than PEM_FILE_MAX_BYTES, holds a NUL byte, or has no "-----BEGIN " line (it is not PEM). Whether the
 * PEM blocks are valid certificates or keys is left to the TLS library. */
bool pem_file_read(const char *path, char **out, char *err, size_t err_len);

#endif
