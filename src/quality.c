/* quality.c - how far the recoloured image is from its input. */
#include "kq_internal.h"

#include <math.h>

kq_status kq_quality_mse(const kq_image *a, const kq_image *b, double *mse,
                         double *psnr_db)
{
    size_t n, values;
    if (a->width != b->width || a->height != b->height || !a->rgb ||
        !b->rgb || a->width < 0 || a->height < 0 ||
        !kq_mul_size((size_t)a->width, (size_t)a->height, &n) ||
        !kq_mul_size(n, 3, &values))
        return KQ_ERR_ARGUMENT;
    uint64_t sum = 0; /* exact: at most 65025 per value */
    for (size_t i = 0; i < values; i++) {
        int d = (int)a->rgb[i] - (int)b->rgb[i];
        sum += (uint64_t)(d * d);
    }
    double m = values ? (double)sum / (double)values : 0.0;
    *mse = m;
    *psnr_db = m > 0.0 ? 10.0 * log10(255.0 * 255.0 / m) : INFINITY;
    return KQ_OK;
}
