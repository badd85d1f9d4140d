/* cliopt.h: checks for command-line option values shared by the programs (greeter, gateway, test
 * backends). */
#ifndef GW_CLIOPT_H
#define GW_CLIOPT_H

#include <stdbool.h>

/* Parses a decimal integer in 0..max (no sign, no spaces, no trailing garbage). */
bool cliopt_uint(const char *s, long max, long *out);

/* Checks "HOST:PORT" where HOST is a name, an IPv4 address or a bracketed IPv6 address ("[::1]:80")
 * and PORT is 0..65535. On success *port is set and, if host_len is not NULL, *host_len is the length
 * of the HOST part (brackets included). */
bool cliopt_hostport(const char *s, int *port, int *host_len);

#endif
