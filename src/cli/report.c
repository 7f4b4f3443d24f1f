/* report.c - the summary on stdout: a readable table or JSON. */
#include "cli.h"

#include <math.h>
#include <stdio.h>

static double share_of(const kq_kmeans_result *r, int j)
{
    return r->n ? (double)r->counts[j] / (double)r->n : 0.0;
}

/* ---- sizes and quality (issue 7) ---- */

static double ratio(size_t part, size_t whole)
{
    return whole ? (double)part / (double)whole : 0.0;
}

static void text_metrics(const kq_run_metrics *m)
{
    if (m->bit_depth)
        printf("size:       %zu bytes, a %d-bit palette PNG", m->file_bytes,
               m->bit_depth);
    else
        printf("size:       %zu bytes", m->file_bytes);
    printf(" = %.1f%% of the 24-bit PNG (%zu bytes), %.1f%% of raw RGB "
           "(%zu bytes)\n",
           100.0 * ratio(m->file_bytes, m->png24_bytes), m->png24_bytes,
           100.0 * ratio(m->file_bytes, m->raw_bytes), m->raw_bytes);
    printf("quality:    MSE %.2f, PSNR %.2f dB, Delta E 2000 mean %.2f, "
           "max %.2f\n",
           m->mse, m->psnr_db, m->delta_e_mean, m->delta_e_max);
    if (m->palette)
        printf("palette:    %s\n", m->palette);
}

static void json_number(const char *key, double v)
{
    if (isfinite(v))
        printf(",\"%s\":%.17g", key, v);
    else
        printf(",\"%s\":null", key); /* JSON has no infinity */
}

static void json_string(const char *s);

static void json_metrics(const kq_run_metrics *m)
{
    printf(",\"file_bytes\":%zu,\"png24_bytes\":%zu,\"raw_bytes\":%zu",
           m->file_bytes, m->png24_bytes, m->raw_bytes);
    json_number("ratio_png24", ratio(m->file_bytes, m->png24_bytes));
    json_number("ratio_raw", ratio(m->file_bytes, m->raw_bytes));
    printf(",\"bit_depth\":%d", m->bit_depth);
    json_number("mse", m->mse);
    json_number("psnr_db", m->psnr_db);
    json_number("delta_e_mean", m->delta_e_mean);
    json_number("delta_e_max", m->delta_e_max);
    printf(",\"palette\":");
    if (m->palette)
        json_string(m->palette);
    else
        printf("null");
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
    if (rep->metrics)
        text_metrics(rep->metrics); /* issue 7 */
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
    if (rep->metrics)
        json_metrics(rep->metrics); /* issue 7 */
    printf(",\"sklearn\":%s", rep->sklearn ? "true" : "false"); /* sklearn mode */
    putchar(',');
    json_clusters(r);
    printf("}");
    if (!in_list || last)
        printf(in_list ? "]\n" : "\n");
}
