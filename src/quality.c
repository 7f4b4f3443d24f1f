/* quality.c - how far the recoloured image is from its input. */
#include "kq_internal.h"

#include <math.h>

kq_status kq_quality_mse(const kq_image *a, const kq_image *b, double *mse,
                         double *psnr_db)
{
    if (a->width != b->width || a->height != b->height || !a->rgb || !b->rgb)
        return KQ_ERR_ARGUMENT;
    size_t values = (size_t)a->width * (size_t)a->height * 3;
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
