/* grpc_names.c: gRPC status code names (see grpc_names.h). */
#include "grpc_names.h"

static const char *const STATUS_NAMES[] = {
    "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
    "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED",
    "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
};

const char *grpc_status_name(grpc_status_code code)
{
    if ((int)code < 0 || (unsigned)code >= sizeof STATUS_NAMES / sizeof STATUS_NAMES[0]) return "UNKNOWN_CODE";
    return STATUS_NAMES[code];
}
