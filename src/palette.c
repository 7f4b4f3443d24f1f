/* palette.c - the centroid table. */
#include "kq_internal.h"

static void write_rows(FILE *stream, const kq_kmeans_result *result,
                       const char *prefix)
{
    for (int j = 0; j < result->k; j++) {
        const double *c = &result->centroids[3 * j];
        unsigned char rgb[3];
        kq_centroid_rgb(result, j, rgb);
        double share = result->n ? (double)result->counts[j] / result->n : 0;
        fprintf(stream, "%s%d,%.17g,%.17g,%.17g,#%02X%02X%02X,%zu,%.17g\n",
                prefix, j, c[0], c[1], c[2], rgb[0], rgb[1], rgb[2],
                result->counts[j], share);
    }
}

kq_status kq_centroids_write_csv(FILE *stream, const kq_kmeans_result *result)
{
    fprintf(stream, "cluster,r,g,b,hex,pixels,share\n");
    write_rows(stream, result, "");
    return ferror(stream) ? KQ_ERR_IO : KQ_OK;
}

kq_status kq_centroids_write_csv_with_k(FILE *stream,
                                        const kq_kmeans_result *result,
                                        bool header)
{
    if (header)
        fprintf(stream, "k,cluster,r,g,b,hex,pixels,share\n");
    char prefix[16];
    snprintf(prefix, sizeof prefix, "%d,", result->k_requested);
    write_rows(stream, result, prefix);
    return ferror(stream) ? KQ_ERR_IO : KQ_OK;
}
