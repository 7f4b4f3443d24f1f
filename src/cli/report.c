/* report.c - the summary on stdout: a readable table or JSON. */
#include "cli.h"

#include <stdio.h>

static double share_of(const kq_kmeans_result *r, int j)
{
    return r->n ? (double)r->counts[j] / (double)r->n : 0.0;
}

void kq_report_text(const kq_run_report *rep)
{
    const kq_kmeans_result *r = rep->result;
    printf("input:      %s (%dx%d), clustered at %dx%d\n", rep->input,
           rep->input_width, rep->input_height, rep->width, rep->height);
    printf("k-means:    N=%zu pixels, k=%d, seed=%llu, %d iterations, "
           "inertia %.6g\n",
           r->n, r->k, (unsigned long long)rep->seed, r->n_iter, r->inertia);
    if (rep->sklearn) /* sklearn mode: the attributes as sklearn names them */
        printf("sklearn:    KMeans(n_clusters=%d, random_state=%llu, "
               "n_init=%d, algorithm=\"lloyd\"): n_iter_=%d, "
               "inertia_=%.17g\n",
               r->k, (unsigned long long)rep->seed, rep->n_init, r->n_iter,
               r->inertia);
    printf("output:     %s%s%s\n", rep->output, rep->centroids ? ", " : "",
           rep->centroids ? rep->centroids : "");
    printf("cluster        r        g        b  hex        pixels   share\n");
    for (int j = 0; j < r->k; j++) {
        const double *c = &r->centroids[3 * j];
        unsigned char rgb[3];
        kq_centroid_rgb(r, j, rgb);
        printf("%7d  %7.2f  %7.2f  %7.2f  #%02X%02X%02X  %8zu  %5.1f%%\n", j,
               c[0], c[1], c[2], rgb[0], rgb[1], rgb[2], r->counts[j],
               100.0 * share_of(r, j));
    }
}

/* Prints s as a JSON string literal. */
static void json_string(const char *s)
{
    putchar('"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            printf("\\%c", *p);
        else if (*p < 0x20)
            printf("\\u%04x", *p);
        else
            putchar(*p);
    }
    putchar('"');
}

static void json_clusters(const kq_kmeans_result *r)
{
    printf("\"clusters\":[");
    for (int j = 0; j < r->k; j++) {
        const double *c = &r->centroids[3 * j];
        unsigned char rgb[3];
        kq_centroid_rgb(r, j, rgb);
        printf("%s{\"cluster\":%d,\"r\":%.17g,\"g\":%.17g,\"b\":%.17g,"
               "\"hex\":\"#%02X%02X%02X\",\"pixels\":%zu,\"share\":%.17g}",
               j ? "," : "", j, c[0], c[1], c[2], rgb[0], rgb[1], rgb[2],
               r->counts[j], share_of(r, j));
    }
    printf("]");
}

/* One JSON object per k; a sweep (in_list) prints them as one array. */
void kq_report_json(const kq_run_report *rep, bool first, bool last,
                    bool in_list)
{
    const kq_kmeans_result *r = rep->result;
    if (in_list)
        printf(first ? "[" : ",\n");
    printf("{\"input\":");
    json_string(rep->input);
    printf(",\"input_width\":%d,\"input_height\":%d,\"width\":%d,"
           "\"height\":%d,\"n\":%zu,\"k\":%d,\"seed\":%llu,\"n_iter\":%d,"
           "\"inertia\":%.17g,\"output\":",
           rep->input_width, rep->input_height, rep->width, rep->height,
           r->n, r->k, (unsigned long long)rep->seed, r->n_iter, r->inertia);
    json_string(rep->output);
    printf(",\"centroids\":");
    if (rep->centroids)
        json_string(rep->centroids);
    else
        printf("null");
    printf(",\"sklearn\":%s", rep->sklearn ? "true" : "false"); /* sklearn mode */
    putchar(',');
    json_clusters(r);
    printf("}");
    if (!in_list || last)
        printf(in_list ? "]\n" : "\n");
}
