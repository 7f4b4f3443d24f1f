/* compression.c - the CLI side of issue 7: palette PNG or 24-bit output,
 * size and quality numbers, palette files, and the --sort and --background
 * values. */
#include "cli.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define ERR_LEN 512

bool kq_cli_parse_sort(const char *text, kq_palette_order *out)
{
    static const struct {
        const char *name;
        kq_palette_order order;
    } names[] = {
        {"cluster", KQ_ORDER_CLUSTER}, {"share", KQ_ORDER_SHARE},
        {"luminance", KQ_ORDER_LUMINANCE}, {"hue", KQ_ORDER_HUE},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcmp(text, names[i].name) == 0) {
            *out = names[i].order;
            return true;
        }
    }
    return false;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

bool kq_cli_parse_background(const char *text, unsigned char rgb[3])
{
    if (*text == '#')
        text++;
    if (strlen(text) != 6)
        return false;
    unsigned char parsed[3];
    for (int c = 0; c < 3; c++) {
        int hi = hex_digit(text[2 * c]), lo = hex_digit(text[2 * c + 1]);
        if (hi < 0 || lo < 0)
            return false;
        parsed[c] = (unsigned char)(hi * 16 + lo);
    }
    memcpy(rgb, parsed, 3);
    return true;
}

int kq_cli_check_palette_name(const kq_cli_options *opts)
{
    if (opts->palette &&
        kq_palette_format_from_path(opts->palette) == KQ_PALETTE_UNKNOWN) {
        kq_cli_error(opts->palette, "unsupported palette format (use .gpl, "
                     ".json, .css, .txt or .csv)");
        return KQ_EXIT_USAGE;
    }
    return KQ_EXIT_OK;
}

bool kq_cli_wants_palette_png(const kq_cli_options *opts, const char *path,
                              int k)
{
    return !opts->truecolor && kq_cli_output_format(path) == KQ_FORMAT_PNG &&
           kq_indexed_bit_depth(k) > 0;
}

typedef struct {
    int width, height;
    const kq_kmeans_result *result;
    int threads;
} palette_png_job;

static kq_status encode_palette_png(FILE *stream, const void *data,
                                    char *err, size_t err_len)
{
    const palette_png_job *job = data;
    const kq_kmeans_result *r = job->result;
    unsigned char(*palette)[3] = malloc((size_t)r->k * 3);
    if (!palette)
        return KQ_ERR_NOMEM;
    for (int j = 0; j < r->k; j++)
        kq_centroid_rgb(r, j, palette[j]);
    kq_status st = kq_indexed_encode_png_threads(
        stream, job->width, job->height, r->labels,
        (const unsigned char(*)[3])palette, r->k, job->threads, err, err_len);
    free(palette);
    return st;
}

int kq_cli_write_image(const kq_cli_options *opts, const char *path,
                       const kq_image *clustered, const kq_image *recoloured,
                       const kq_kmeans_result *r, kq_run_metrics *m)
{
    char err[ERR_LEN] = "";
    kq_status st;
    m->bit_depth = 0;
    if (kq_cli_wants_palette_png(opts, path, r->k)) {
        palette_png_job job = {clustered->width, clustered->height, r,
                               opts->kmeans.threads};
        st = kq_cli_write_output(path, encode_palette_png, &job,
                                 &m->file_bytes, err, sizeof err);
        m->bit_depth = kq_indexed_bit_depth(r->k);
    } else {
        st = kq_cli_save_image(path, recoloured, &m->file_bytes, err,
                               sizeof err);
    }
    return st == KQ_OK ? KQ_EXIT_OK
                       : kq_cli_fail(kq_cli_output_name(path), st, err);
}

static void *count_png24(void *arg)
{
    kq_cli_png24 *job = arg;
    job->status = kq_image_png_bytes(job->image, &job->bytes);
    return NULL;
}

void kq_cli_png24_start(kq_cli_png24 *job, const kq_image *recoloured,
                        int threads)
{
    *job = (kq_cli_png24){recoloured, 0, KQ_OK, 0, false};
    job->apart = threads != 1 &&
                 pthread_create(&job->thread, NULL, count_png24, job) == 0;
}

kq_status kq_cli_png24_finish(kq_cli_png24 *job, bool wanted)
{
    if (job->apart)
        pthread_join(job->thread, NULL);
    else if (wanted)
        count_png24(job);
    job->apart = false;
    return job->status;
}

int kq_cli_quality(const kq_image *clustered, kq_colours *colours,
                   const kq_image *recoloured, kq_run_metrics *m)
{
    kq_status st = kq_quality_mse(clustered, recoloured, &m->mse,
                                  &m->psnr_db);
    if (st == KQ_OK)
        st = kq_quality_delta_e_colours(colours, recoloured,
                                        &m->delta_e_mean, &m->delta_e_max);
    return st == KQ_OK ? KQ_EXIT_OK : kq_cli_fail("quality", st, NULL);
}

int kq_cli_sizes(const kq_image *recoloured, kq_cli_png24 *png24,
                 kq_run_metrics *m)
{
    m->raw_bytes = (size_t)recoloured->width * (size_t)recoloured->height * 3;
    kq_status st = kq_cli_png24_finish(png24, true);
    m->png24_bytes = png24->bytes;
    return st == KQ_OK ? KQ_EXIT_OK : kq_cli_fail("quality", st, NULL);
}

typedef struct {
    kq_palette_format format;
    const kq_kmeans_result *result;
} palette_file_job;

static kq_status encode_palette_file(FILE *stream, const void *data,
                                     char *err, size_t err_len)
{
    const palette_file_job *job = data;
    (void)err;
    (void)err_len;
    return kq_palette_write(stream, job->format, job->result);
}

int kq_cli_write_palette(const char *path, const kq_kmeans_result *r,
                         kq_run_metrics *m)
{
    char err[ERR_LEN] = "";
    palette_file_job job = {kq_palette_format_from_path(path), r};
    kq_status st = kq_cli_write_file(path, encode_palette_file, &job, err,
                                     sizeof err);
    if (st != KQ_OK)
        return kq_cli_fail(path, st, err);
    m->palette = path;
    return KQ_EXIT_OK;
}
