/* error.c - status strings, error-buffer formatting, checked arithmetic. */
#include "kq_internal.h"

#include <stdio.h>

static const char *const status_text[KQ_STATUS_COUNT] = {
    [KQ_OK] = "success",
    [KQ_ERR_ARGUMENT] = "invalid argument",
    [KQ_ERR_NOMEM] = "out of memory",
    [KQ_ERR_INPUT_MISSING] = "cannot read input",
    [KQ_ERR_INPUT_FORMAT] = "not a decodable image",
    [KQ_ERR_INPUT_TOO_LARGE] = "input too large",
    [KQ_ERR_DATA] = "data does not fit the request",
    [KQ_ERR_OUTPUT] = "cannot create output",
    [KQ_ERR_IO] = "write error",
    [KQ_ERR_NETWORK] = "network error",
    [KQ_ERR_NETWORK_TEMP] = "network timeout",
    [KQ_ERR_INTERNAL] = "internal error",
};

const char *kq_strerror(kq_status status)
{
    if ((int)status < 0 || status >= KQ_STATUS_COUNT)
        return "unknown status";
    return status_text[status];
}

kq_status kq_fail(kq_status status, char *err, size_t err_len,
                  const char *fmt, ...)
{
    if (err && err_len > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, err_len, fmt, ap);
        va_end(ap);
    }
    return status;
}

bool kq_mul_size(size_t a, size_t b, size_t *out)
{
    return !__builtin_mul_overflow(a, b, out);
}

void kq_keep_printable(char *text)
{
    size_t kept = 0;
    for (size_t i = 0; text[i]; i++)
        if (text[i] >= 0x20 && text[i] < 0x7F)
            text[kept++] = text[i];
    while (kept > 0 && text[kept - 1] == ' ')
        kept--;
    text[kept] = '\0';
}
