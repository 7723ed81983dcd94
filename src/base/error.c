/* Status strings and the per-thread error message. */
#include "base/base.h"

#include <stdio.h>
#include <string.h>

static _Thread_local char last_error[MN_ERROR_MAX];

const char *mnlp_strerror(mnlp_status status)
{
    switch (status) {
    case MNLP_OK: return "success";
    case MNLP_ERR_INVALID_ARGUMENT: return "invalid argument";
    case MNLP_ERR_OUT_OF_MEMORY: return "out of memory";
    case MNLP_ERR_IO: return "input/output error";
    case MNLP_ERR_NOT_FOUND: return "not found";
    case MNLP_ERR_FORMAT: return "malformed input";
    case MNLP_ERR_UNSUPPORTED: return "unsupported";
    case MNLP_ERR_LIMIT: return "limit exceeded";
    case MNLP_ERR_MISMATCH: return "mismatch";
    case MNLP_ERR_INTERNAL: return "internal error";
    }
    return "unknown status";
}

const char *mnlp_last_error(void)
{
    return last_error;
}

const char *mnlp_version(void)
{
    return MNLP_VERSION_STRING;
}

mnlp_status mn_errorf(mnlp_status status, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    mn_debug("error: %s", last_error);
    return status;
}

mnlp_status mn_error_prefix(mnlp_status status, const char *fmt, ...)
{
    char prefix[MN_ERROR_MAX];
    char old[MN_ERROR_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, last_error, sizeof old);
    /* Build "prefix: old" by pieces; a long message is cut at the buffer's end. */
    snprintf(last_error, sizeof last_error, "%s", prefix);
    size_t used = strlen(last_error);
    if (used + 2 < sizeof last_error) {
        memcpy(last_error + used, ": ", 2);
        snprintf(last_error + used + 2, sizeof last_error - used - 2, "%s", old);
    }
    return status;
}

mnlp_status mn_error_keep(char *handle_error, mnlp_status status)
{
    if (status != MNLP_OK)
        memcpy(handle_error, last_error, MN_ERROR_MAX);
    return status;
}
