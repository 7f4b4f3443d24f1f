/* pipeline.c - the CLI's pipeline on in-memory bytes (see pipeline.h). */
#include "pipeline.h"

#include <stdbool.h>
#include <stdlib.h>

#include <stb_image_write.h>

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

typedef struct {
    size_t bytes;
    unsigned sum; /* touches every byte, so a bad buffer shows up in ASan */
} sink;

static void sink_write(void *context, void *data, int size)
{
    sink *s = context;
    const unsigned char *p = data;
    for (int i = 0; i < size; i++)
        s->sum += p[i];
    s->bytes += (size_t)size;
}

static int encode(int format, const kq_image *img, sink *s)
{
    int w = img->width, h = img->height;
    switch (format) {
    case 0: return stbi_write_png_to_func(sink_write, s, w, h, 3, img->rgb, w * 3);
    case 1: return stbi_write_jpg_to_func(sink_write, s, w, h, 3, img->rgb, 95);
    case 2: return stbi_write_bmp_to_func(sink_write, s, w, h, 3, img->rgb);
    default: return stbi_write_tga_to_func(sink_write, s, w, h, 3, img->rgb);
    }
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
    sink s = {0, 0};
    if (st == KQ_OK && !encode(ch.format, &out, &s))
        st = KQ_ERR_INTERNAL;
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
