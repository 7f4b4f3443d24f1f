/* recolor.c - every pixel replaced by its cluster's rounded centroid. */
#include "kq_internal.h"

#include <math.h>
#include <stdlib.h>

static unsigned char round_channel(double v)
{
    if (!(v > 0.0))
        return 0;
    if (v >= 255.0)
        return 255;
    return (unsigned char)lround(v);
}

void kq_centroid_rgb(const kq_kmeans_result *result, int cluster,
                     unsigned char rgb_out[3])
{
    for (int c = 0; c < 3; c++)
        rgb_out[c] = round_channel(result->centroids[3 * cluster + c]);
}

kq_status kq_recolor(const kq_image *shape, const kq_kmeans_result *result,
                     kq_image *out)
{
    size_t n, bytes;
    if (shape->width < 0 || shape->height < 0 ||
        !kq_mul_size((size_t)shape->width, (size_t)shape->height, &n) ||
        !kq_mul_size(n, 3, &bytes) || n != result->n || result->k < 1 ||
        result->k > KQ_MAX_CLUSTERS)
        return KQ_ERR_ARGUMENT;
    unsigned char(*palette)[3] = malloc((size_t)result->k * 3);
    unsigned char *rgb = malloc(bytes);
    if (!palette || !rgb) {
        free(palette);
        free(rgb);
        return KQ_ERR_NOMEM;
    }
    for (int j = 0; j < result->k; j++)
        kq_centroid_rgb(result, j, palette[j]);
    for (size_t i = 0; i < n; i++) {
        const unsigned char *colour = palette[result->labels[i]];
        rgb[3 * i] = colour[0];
        rgb[3 * i + 1] = colour[1];
        rgb[3 * i + 2] = colour[2];
    }
    free(palette);
    *out = (kq_image){.width = shape->width, .height = shape->height,
                      .rgb = rgb};
    return KQ_OK;
}
