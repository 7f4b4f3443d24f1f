/* palette.c - the centroid table. */
#include "kq_internal.h"

kq_status kq_centroids_write_csv(FILE *stream, const kq_kmeans_result *result)
{
    fprintf(stream, "cluster,r,g,b,hex,pixels,share\n");
    for (int j = 0; j < result->k; j++) {
        const double *c = &result->centroids[3 * j];
        unsigned char rgb[3];
        kq_centroid_rgb(result, j, rgb);
        double share = result->n ? (double)result->counts[j] / result->n : 0;
        fprintf(stream, "%d,%.17g,%.17g,%.17g,#%02X%02X%02X,%zu,%.17g\n", j,
                c[0], c[1], c[2], rgb[0], rgb[1], rgb[2], result->counts[j],
                share);
    }
    return ferror(stream) ? KQ_ERR_IO : KQ_OK;
}
