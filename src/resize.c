/* resize.c - scaling to the clustering size with stb_image_resize. */
#include "kq_internal.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <stb_image_resize.h>

/* perf: stb_image_resize weighs every source pixel into a kernel as wide as
 * the scale, so a photo of 12 MP shrunk to the default 240x320 took 250
 * ms, twice its decode and twenty times the clustering. A side more than
 * four times its target is therefore first averaged over blocks of f
 * pixels (exact integer means), f as large as leaves at least twice the
 * target, and the Mitchell filter shrinks the rest: its antialiasing still
 * spans several pre-shrunk pixels. Below four times nothing changes. */
static int box_factor(int from, int to)
{
    int f = from / 2 / to;
    return f > 1 ? f : 1;
}

/* The end of block b of f pixels on a side of n pixels: the last block
 * holds what is left. */
static int block_end(int b, int f, int n)
{
    return (b + 1) * f < n ? (b + 1) * f : n;
}

/* Adds source row y, block by block of fx pixels, to acc (3 per block). */
static void add_row(const kq_image *src, int y, int fx, int mid_w,
                    uint64_t *acc)
{
    const unsigned char *p = src->rgb + (size_t)y * (size_t)src->width * 3;
    for (int b = 0; b < mid_w; b++) {
        int x1 = block_end(b, fx, src->width);
        uint64_t red = 0, green = 0, blue = 0;
        for (int x = b * fx; x < x1; x++, p += 3) {
            red += p[0];
            green += p[1];
            blue += p[2];
        }
        acc[3 * b] += red;
        acc[3 * b + 1] += green;
        acc[3 * b + 2] += blue;
    }
}

/* The means of src's blocks of fx x fy pixels, rounded to nearest; the
 * last block of a row or column holds what is left (its own mean). */
static kq_status box_shrink(const kq_image *src, int fx, int fy,
                            kq_image *mid)
{
    int mid_w = (src->width + fx - 1) / fx, mid_h = (src->height + fy - 1) / fy;
    uint64_t *acc = malloc(sizeof(uint64_t) * 3 * (size_t)mid_w);
    mid->rgb = malloc((size_t)mid_w * (size_t)mid_h * 3);
    if (!acc || !mid->rgb) {
        free(acc);
        free(mid->rgb);
        mid->rgb = NULL;
        return KQ_ERR_NOMEM;
    }
    mid->width = mid_w;
    mid->height = mid_h;
    for (int r = 0; r < mid_h; r++) {
        int y1 = block_end(r, fy, src->height);
        memset(acc, 0, sizeof(uint64_t) * 3 * (size_t)mid_w);
        for (int y = r * fy; y < y1; y++)
            add_row(src, y, fx, mid_w, acc);
        unsigned char *out = mid->rgb + (size_t)r * (size_t)mid_w * 3;
        for (int b = 0; b < mid_w; b++) {
            int x1 = block_end(b, fx, src->width);
            uint64_t n = (uint64_t)(x1 - b * fx) * (uint64_t)(y1 - r * fy);
            for (int c = 0; c < 3; c++)
                out[3 * b + c] = (unsigned char)((acc[3 * b + c] + n / 2) / n);
        }
    }
    free(acc);
    return KQ_OK;
}

/* The part of an image's own pixels that covers the picture: a JPEG
 * decoded at 1/s of n pixels has n / s rounded up, its partial pixel from
 * fewer than s (jpeg.c), the last one or, turned upright, the first. */
typedef struct {
    float x0, y0;          /* where the picture starts */
    float width, height;   /* how much of them it spans */
} covered_area;

static covered_area area_of(const kq_image *src)
{
    covered_area a = {0.0f, 0.0f, (float)src->width, (float)src->height};
    if (src->reduced_by <= 1)
        return a;
    a.width = (float)src->source_width / (float)src->reduced_by;
    a.height = (float)src->source_height / (float)src->reduced_by;
    if (src->partial_left)
        a.x0 = (float)src->width - a.width;
    if (src->partial_top)
        a.y0 = (float)src->height - a.height;
    return a;
}

/* The area in the pixels of src pre-shrunk by blocks of fx x fy. */
static covered_area area_shrunk(covered_area a, int fx, int fy)
{
    return (covered_area){a.x0 / (float)fx, a.y0 / (float)fy,
                          a.width / (float)fx, a.height / (float)fy};
}

/* stb_image_resize's defaults (Mitchell shrinking, Catmull-Rom enlarging,
 * clamped edges, no alpha), reading the area of src that covers the
 * picture. */
static bool stb_resize(const kq_image *src, covered_area a,
                       unsigned char *pixels, int width, int height)
{
    float w = (float)src->width, h = (float)src->height;
    return stbir_resize_region(
               src->rgb, src->width, src->height, 0, pixels, width, height, 0,
               STBIR_TYPE_UINT8, 3, STBIR_ALPHA_CHANNEL_NONE, 0,
               STBIR_EDGE_CLAMP, STBIR_EDGE_CLAMP, STBIR_FILTER_DEFAULT,
               STBIR_FILTER_DEFAULT, STBIR_COLORSPACE_LINEAR, NULL,
               a.x0 / w, a.y0 / h, (a.x0 + a.width) / w,
               (a.y0 + a.height) / h) != 0;
}

/* Shrinks by blocks first where a side is over four times its target. */
static kq_status resample(const kq_image *src, unsigned char *pixels,
                          int width, int height)
{
    covered_area area = area_of(src);
    int fx = box_factor(src->width, width), fy = box_factor(src->height, height);
    if (fx == 1 && fy == 1) /* unreduced: stbir_resize_uint8's call */
        return stb_resize(src, area, pixels, width, height) ? KQ_OK
                                                            : KQ_ERR_INTERNAL;
    kq_image mid = {0};
    kq_status st = box_shrink(src, fx, fy, &mid);
    if (st != KQ_OK)
        return st;
    bool ok = stb_resize(&mid, area_shrunk(area, fx, fy), pixels, width,
                         height);
    kq_image_free(&mid);
    return ok ? KQ_OK : KQ_ERR_INTERNAL;
}

kq_status kq_image_resize(const kq_image *src, int width, int height,
                          kq_image *out)
{
    size_t n, bytes;
    if (width <= 0 || height <= 0 || !src->rgb || src->width <= 0 ||
        src->height <= 0)
        return KQ_ERR_ARGUMENT;
    /* stb_image_resize takes int strides (3 * width bytes). */
    if (width > INT_MAX / 3 || src->width > INT_MAX / 3 ||
        !kq_mul_size((size_t)width, (size_t)height, &n) ||
        !kq_mul_size(n, 3, &bytes))
        return KQ_ERR_ARGUMENT;
    unsigned char *pixels = malloc(bytes);
    if (!pixels)
        return KQ_ERR_NOMEM;
    if (width == src->width && height == src->height) {
        /* Same size: pass the pixels through bit for bit (a resampling
         * filter would still blur them slightly). */
        memcpy(pixels, src->rgb, bytes);
    } else {
        kq_status st = resample(src, pixels, width, height);
        if (st != KQ_OK) {
            free(pixels);
            return st;
        }
    }
    *out = (kq_image){.width = width, .height = height, .rgb = pixels};
    return KQ_OK;
}
