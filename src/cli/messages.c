/* messages.c - the one place kquant words its errors, and exit codes. */
#include "cli.h"

#include <stdarg.h>
#include <stdio.h>

void kq_cli_error(const char *what, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "kquant: %s: ", what);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

int kq_cli_fail(const char *what, kq_status status, const char *detail)
{
    kq_cli_error(what, "%s", detail && *detail ? detail : kq_strerror(status));
    return kq_cli_exit_code(status);
}

int kq_cli_exit_code(kq_status status)
{
    switch (status) {
    case KQ_OK:
        return KQ_EXIT_OK;
    case KQ_ERR_ARGUMENT:
        return KQ_EXIT_USAGE;
    case KQ_ERR_INPUT_MISSING:
        return KQ_EXIT_NOINPUT;
    case KQ_ERR_INPUT_FORMAT:
    case KQ_ERR_INPUT_TOO_LARGE:
    case KQ_ERR_DATA:
        return KQ_EXIT_DATAERR;
    case KQ_ERR_OUTPUT:
        return KQ_EXIT_CANTCREAT;
    case KQ_ERR_IO:
        return KQ_EXIT_IOERR;
    case KQ_ERR_NETWORK:
        return KQ_EXIT_UNAVAILABLE;
    case KQ_ERR_NETWORK_TEMP:
        return KQ_EXIT_TEMPFAIL;
    default:
        return KQ_EXIT_SOFTWARE;
    }
}
