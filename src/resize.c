/* resize.c - scaling to the clustering size with stb_image_resize. */
#include "kq_internal.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <stb_image_resize.h>

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
    } else if (!stbir_resize_uint8(src->rgb, src->width, src->height, 0,
                                   pixels, width, height, 0, 3)) {
        free(pixels);
        return KQ_ERR_INTERNAL;
    }
    out->width = width;
    out->height = height;
    out->rgb = pixels;
    return KQ_OK;
}
