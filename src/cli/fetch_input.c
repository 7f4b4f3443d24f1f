/* fetch_input.c - the --url input and --save-input (issue 3).
 *
 * The download is held in memory and decoded from there: no temporary file.
 * Every failure is one line, "kquant: <url>: <why>", and the exit code of
 * its status (64 refused URL, 65 not an image or too large, 69 network,
 * 75 timeout). */
#include "cli.h"

#include <stdio.h>

#define ERR_LEN 512

/* Which option lifts the limit that stopped the download, if any. */
static const char *hint_for(kq_status st)
{
    if (st == KQ_ERR_INPUT_TOO_LARGE)
        return "; see --max-bytes";
    if (st == KQ_ERR_NETWORK_TEMP)
        return "; see --timeout";
    return "";
}

static void options_for(const kq_cli_options *opts, kq_fetch_options *fo)
{
    kq_fetch_options_default(fo);
    fo->timeout_ms = opts->timeout_ms;
    if (fo->connect_timeout_ms > fo->timeout_ms)
        fo->connect_timeout_ms = fo->timeout_ms;
    fo->max_bytes = opts->max_bytes;
}

int kq_cli_fetch_input(const kq_cli_options *opts, const kq_load_options *lo,
                       kq_image *out)
{
    kq_fetch_options fo;
    options_for(opts, &fo);
    kq_fetch_info info;
    unsigned char *data = NULL;
    size_t len = 0;
    char err[ERR_LEN] = "";
    kq_status st = kq_fetch_url(opts->url, &fo, &data, &len, &info, err,
                                sizeof err);
    if (st != KQ_OK) {
        kq_cli_error(opts->url, "%s%s", *err ? err : kq_strerror(st),
                     hint_for(st));
        return kq_cli_exit_code(st);
    }
    if (len == 0) {
        kq_fetch_free(data);
        kq_cli_error(opts->url, "empty response body (HTTP %ld)",
                     info.http_status);
        return KQ_EXIT_DATAERR;
    }
    st = kq_image_load_memory(data, len, lo, out, err, sizeof err);
    kq_fetch_free(data);
    return st == KQ_OK ? KQ_EXIT_OK : kq_cli_fail(opts->url, st, err);
}

int kq_cli_check_save_input(const kq_cli_options *opts)
{
    if (opts->save_input &&
        kq_format_from_path(opts->save_input) == KQ_FORMAT_UNKNOWN) {
        kq_cli_error(opts->save_input, "unsupported format for --save-input "
                     "(use .png, .jpg, .jpeg, .bmp or .tga)");
        return KQ_EXIT_USAGE;
    }
    return KQ_EXIT_OK;
}

int kq_cli_save_input(const kq_cli_options *opts, const kq_image *img)
{
    if (!opts->save_input)
        return KQ_EXIT_OK;
    char err[ERR_LEN] = "";
    kq_status st =
        kq_cli_save_image(opts->save_input, img, NULL, err, sizeof err);
    return st == KQ_OK ? KQ_EXIT_OK : kq_cli_fail(opts->save_input, st, err);
}
