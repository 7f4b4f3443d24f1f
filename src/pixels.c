/* pixels.c - the image as an N x 3 float array (the tutorial's img_flat). */
#include "kq_internal.h"

#include <stdlib.h>

float *kq_pixels_flatten(const kq_image *img, size_t *n_out)
{
    size_t n, values;
    if (img->width < 0 || img->height < 0 ||
        !kq_mul_size((size_t)img->width, (size_t)img->height, &n) ||
        !kq_mul_size(n, 3, &values) || values > SIZE_MAX / sizeof(float))
        return NULL;
    float *pixels = malloc(values * sizeof(float));
    if (!pixels)
        return NULL;
    for (size_t i = 0; i < values; i++)
        pixels[i] = (float)img->rgb[i];
    *n_out = n;
    return pixels;
}

void kq_pixels_free(float *pixels)
{
    free(pixels);
}
