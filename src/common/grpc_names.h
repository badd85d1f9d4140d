/* grpc_names.h: names of gRPC status codes, as the gRPC specification spells them. */
#ifndef GW_GRPC_NAMES_H
#define GW_GRPC_NAMES_H

#include <grpc/status.h>

/* "OK", "CANCELLED", ... "UNAUTHENTICATED"; "UNKNOWN_CODE" outside 0..16. */
const char *grpc_status_name(grpc_status_code code);

#endif
