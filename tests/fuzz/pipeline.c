/* pipeline.c - the CLI's pipeline on in-memory bytes (see pipeline.h). */
#include "pipeline.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

/* The parameters the fuzzer steers with the input's last three bytes (the
 * first bytes are the format's magic, better left to the decoder). */
typedef struct {
    int width, height; /* resize target, 1..32 each, or native */
    int k;             /* 1..16 */
    int format;        /* 0..3: png, jpeg, bmp, tga */
} fuzz_choice;

static uint8_t byte_from_end(const uint8_t *data, size_t len, size_t back)
{
    return len > back ? data[len - 1 - back] : 0;
}

/* Small inputs may also stay at their native size. */
static bool wants_native(const uint8_t *data, size_t len)
{
    return (byte_from_end(data, len, 1) & 0x80) != 0;
}

static fuzz_choice choose(const uint8_t *data, size_t len)
{
    uint8_t a = byte_from_end(data, len, 0), b = byte_from_end(data, len, 1),
            c = byte_from_end(data, len, 2);
    return (fuzz_choice){1 + a % 32, 1 + b % 32, 1 + c % 16, (a >> 5) & 3};
}

/* Every byte written is read, so a bad buffer shows up in ASan. */
static volatile unsigned written_sum;

static void touch(const char *buf, size_t size)
{
    unsigned sum = 0;
    for (size_t i = 0; i < size; i++)
        sum += (unsigned char)buf[i];
    written_sum += sum;
}

/* A palette PNG of the labels, as the CLI writes a .png with k <= 256. */
static kq_status encode_palette(FILE *f, const kq_image *img,
                                const kq_kmeans_result *r)
{
    unsigned char palette[256][3];
    for (int j = 0; j < r->k && j < 256; j++)
        kq_centroid_rgb(r, j, palette[j]);
    return kq_indexed_encode_png_threads(
        f, img->width, img->height, r->labels,
        (const unsigned char(*)[3])palette, r->k, 1, NULL, 0);
}

/* The CLI's encoders into memory: the recoloured image in the format
 * chosen (kquant's own 24-bit PNG writer, stb for the others), and for
 * PNG the palette PNG too. */
static kq_status encode(int format, const kq_image *img,
                        const kq_kmeans_result *r)
{
    static const kq_format formats[] = {KQ_FORMAT_PNG, KQ_FORMAT_JPEG,
                                        KQ_FORMAT_BMP, KQ_FORMAT_TGA};
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    if (!f)
        return KQ_ERR_NOMEM;
    kq_status st = kq_image_encode(f, formats[format], img, NULL, 0);
    if (st == KQ_OK && format == 0 && kq_indexed_bit_depth(r->k) > 0)
        st = encode_palette(f, img, r);
    if (fclose(f) != 0 && st == KQ_OK)
        st = KQ_ERR_IO;
    if (st == KQ_OK && buf)
        touch(buf, size);
    free(buf);
    return st;
}

static kq_status cluster_and_encode(const kq_image *small, fuzz_choice ch)
{
    size_t n = 0;
    float *px = kq_pixels_flatten(small, &n);
    if (!px)
        return KQ_ERR_NOMEM;
    kq_kmeans_params p;
    kq_kmeans_params_default(&p);
    p.k = (size_t)ch.k <= n ? ch.k : (int)n;
    p.max_iter = 50;
    kq_kmeans_result r = {0};
    kq_status st = kq_kmeans_fit(px, n, &p, &r);
    kq_image out = {0};
    if (st == KQ_OK)
        st = kq_recolor(small, &r, &out);
    if (st == KQ_OK)
        st = encode(ch.format, &out, &r);
    kq_image_free(&out);
    kq_kmeans_result_free(&r);
    kq_pixels_free(px);
    return st;
}

kq_status fuzz_pipeline_run(const uint8_t *data, size_t len)
{
    kq_load_options lo;
    kq_load_options_default(&lo);
    lo.max_pixels = FUZZ_MAX_PIXELS;
    fuzz_choice ch = choose(data, len);
    if (!wants_native(data, len)) { /* as the CLI: a JPEG may decode reduced */
        lo.resize_width = ch.width;
        lo.resize_height = ch.height;
    }
    kq_image img = {0}, small = {0};
    char err[256];
    kq_status st = kq_image_load_memory(data, len, &lo, &img, err, sizeof err);
    if (st != KQ_OK)
        return st;
    if (wants_native(data, len) &&
        (size_t)img.width * (size_t)img.height <= 1024) {
        ch.width = img.width;
        ch.height = img.height;
    }
    st = kq_image_resize(&img, ch.width, ch.height, &small);
    if (st == KQ_OK)
        st = cluster_and_encode(&small, ch);
    kq_image_free(&small);
    kq_image_free(&img);
    return st;
}
