/* safety.c - checks that keep a run from harming the user's files or the
 * machine: an output must not replace the input, and the clustering size
 * must stay within --max-pixels. */
#include "cli.h"

#include <sys/stat.h>

int kq_cli_check_limits(const kq_cli_options *opts)
{
    /* Sides are at most 65535 (options.c): 64-bit products are exact. */
    uint64_t w = (uint64_t)opts->width, h = (uint64_t)opts->height;
    if (!opts->native_size && w * h > opts->max_pixels) {
        kq_cli_error("--size", "%dx%d is %llu pixels, more than the limit of "
                     "%zu (--max-pixels)", opts->width, opts->height,
                     (unsigned long long)(w * h), opts->max_pixels);
        return KQ_EXIT_USAGE;
    }
    /* Refused now rather than after minutes of clustering. */
    if (!opts->native_size && (3 * w + 1) * h > KQ_MAX_ENCODE_BYTES) {
        kq_cli_error("--size", "%dx%d is too large to encode", opts->width,
                     opts->height);
        return KQ_EXIT_USAGE;
    }
    return KQ_EXIT_OK;
}

/* "-" as an output is stdout, whatever a file named - may be. */
static bool same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return a && b && !kq_cli_is_dash(b) && stat(a, &sa) == 0 && stat(b, &sb) == 0 &&
           sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

int kq_cli_check_not_input(const char *input, const char *output)
{
    if (!same_file(input, output))
        return KQ_EXIT_OK;
    kq_cli_error(output, "is the input image too; refusing to overwrite it");
    return KQ_EXIT_USAGE;
}
