/* palette_order.c - renumbering clusters by share, luminance or hue.
 *
 * The order is applied once, as a permutation of the result itself
 * (centroids, counts and labels), so the table, the palette files, the
 * indexed PNG and the summary made from it cannot disagree. */
#include "kq_internal.h"

#include <stdlib.h>
#include <string.h>

/* A cluster's sort keys: primary, secondary, then the old index. */
typedef struct {
    double key1, key2;
    int cluster;
} order_entry;

static int compare_entries(const void *pa, const void *pb)
{
    const order_entry *a = pa, *b = pb;
    if (a->key1 != b->key1)
        return a->key1 < b->key1 ? -1 : 1;
    if (a->key2 != b->key2)
        return a->key2 < b->key2 ? -1 : 1;
    return (a->cluster > b->cluster) - (a->cluster < b->cluster);
}

/* HSV hue in degrees 0..360 of a colour that is not grey. */
static double hsv_hue(const unsigned char rgb[3])
{
    int r = rgb[0], g = rgb[1], b = rgb[2];
    int hi = r > g ? (r > b ? r : b) : (g > b ? g : b);
    int lo = r < g ? (r < b ? r : b) : (g < b ? g : b);
    double span = hi - lo, h;
    if (hi == r)
        h = 60.0 * (g - b) / span;
    else if (hi == g)
        h = 60.0 * (b - r) / span + 120.0;
    else
        h = 60.0 * (r - g) / span + 240.0;
    return h < 0.0 ? h + 360.0 : h;
}

static order_entry entry_for(const kq_kmeans_result *r, int j,
                             kq_palette_order order)
{
    unsigned char rgb[3];
    kq_centroid_rgb(r, j, rgb);
    order_entry e = {0.0, 0.0, j};
    switch (order) {
    case KQ_ORDER_SHARE:
        e.key1 = -(double)r->counts[j]; /* exact below 2^53 pixels */
        break;
    case KQ_ORDER_LUMINANCE:
        e.key1 = kq_color_luminance(rgb);
        break;
    case KQ_ORDER_HUE: {
        int grey = rgb[0] == rgb[1] && rgb[1] == rgb[2];
        e.key1 = grey ? -1.0 : hsv_hue(rgb); /* greys before hue 0 */
        e.key2 = grey ? rgb[0] : 0.0;
        break;
    }
    default:
        break;
    }
    return e;
}

/* Moves the clusters so that new cluster i is old cluster from[i]. */
static kq_status permute(kq_kmeans_result *r, const int *from)
{
    int k = r->k;
    double *centroids = malloc(sizeof(double) * 3 * (size_t)k);
    size_t *counts = malloc(sizeof(size_t) * (size_t)k);
    kq_label *to = malloc(sizeof(kq_label) * (size_t)k);
    if (!centroids || !counts || !to) {
        free(centroids);
        free(counts);
        free(to);
        return KQ_ERR_NOMEM;
    }
    for (int i = 0; i < k; i++) {
        memcpy(&centroids[3 * i], &r->centroids[3 * from[i]],
               3 * sizeof(double));
        counts[i] = r->counts[from[i]];
        to[from[i]] = (kq_label)i;
    }
    memcpy(r->centroids, centroids, sizeof(double) * 3 * (size_t)k);
    memcpy(r->counts, counts, sizeof(size_t) * (size_t)k);
    for (size_t n = 0; n < r->n; n++)
        r->labels[n] = to[r->labels[n]];
    free(centroids);
    free(counts);
    free(to);
    return KQ_OK;
}

kq_status kq_kmeans_result_sort(kq_kmeans_result *result,
                                kq_palette_order order)
{
    if (order < KQ_ORDER_CLUSTER || order > KQ_ORDER_HUE || result->k < 1)
        return KQ_ERR_ARGUMENT;
    if (order == KQ_ORDER_CLUSTER)
        return KQ_OK;
    int k = result->k;
    order_entry *entries = malloc(sizeof *entries * (size_t)k);
    int *from = malloc(sizeof *from * (size_t)k);
    kq_status st = KQ_ERR_NOMEM;
    if (entries && from) {
        for (int j = 0; j < k; j++)
            entries[j] = entry_for(result, j, order);
        qsort(entries, (size_t)k, sizeof *entries, compare_entries);
        for (int i = 0; i < k; i++)
            from[i] = entries[i].cluster;
        st = permute(result, from);
    }
    free(entries);
    free(from);
    return st;
}
