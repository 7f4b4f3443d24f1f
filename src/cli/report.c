/* report.c - the summary on stdout (stderr when the image goes to stdout):
 * a readable table or JSON. */
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

static void text_metrics(FILE *out, const kq_run_metrics *m)
{
    if (m->bit_depth)
        fprintf(out, "size:       %zu bytes, a %d-bit palette PNG", m->file_bytes,
               m->bit_depth);
    else
        fprintf(out, "size:       %zu bytes", m->file_bytes);
    fprintf(out, " = %.1f%% of the 24-bit PNG (%zu bytes), %.1f%% of raw RGB "
           "(%zu bytes)\n",
           100.0 * ratio(m->file_bytes, m->png24_bytes), m->png24_bytes,
           100.0 * ratio(m->file_bytes, m->raw_bytes), m->raw_bytes);
    fprintf(out, "quality:    MSE %.2f, PSNR %.2f dB, Delta E 2000 mean %.2f, "
           "max %.2f\n",
           m->mse, m->psnr_db, m->delta_e_mean, m->delta_e_max);
    if (m->palette)
        fprintf(out, "palette:    %s\n", m->palette);
}

static void json_number(FILE *out, const char *key, double v)
{
    if (isfinite(v))
        fprintf(out, ",\"%s\":%.17g", key, v);
    else
        fprintf(out, ",\"%s\":null", key); /* JSON has no infinity */
}

static void json_string(FILE *out, const char *s);

static void json_metrics(FILE *out, const kq_run_metrics *m)
{
    fprintf(out, ",\"file_bytes\":%zu,\"png24_bytes\":%zu,\"raw_bytes\":%zu",
           m->file_bytes, m->png24_bytes, m->raw_bytes);
    json_number(out, "ratio_png24", ratio(m->file_bytes, m->png24_bytes));
    json_number(out, "ratio_raw", ratio(m->file_bytes, m->raw_bytes));
    fprintf(out, ",\"bit_depth\":%d", m->bit_depth);
    json_number(out, "mse", m->mse);
    json_number(out, "psnr_db", m->psnr_db);
    json_number(out, "delta_e_mean", m->delta_e_mean);
    json_number(out, "delta_e_max", m->delta_e_max);
    fprintf(out, ",\"palette\":");
    if (m->palette)
        json_string(out, m->palette);
    else
        fprintf(out, "null");
}

void kq_report_text(const kq_run_report *rep)
{
    FILE *out = rep->stream;
    const kq_kmeans_result *r = rep->result;
    fprintf(out, "input:      %s (%dx%d), clustered at %dx%d\n", rep->input,
           rep->input_width, rep->input_height, rep->width, rep->height);
    if (rep->color_profile[0])
        fprintf(out, "profile:    %s, turned into sRGB\n", rep->color_profile);
    fprintf(out, "k-means:    N=%zu pixels, k=%d, seed=%llu, %d iterations, "
           "inertia %.6g\n",
           r->n, r->k, (unsigned long long)rep->seed, r->n_iter, r->inertia);
    if (rep->sklearn) /* sklearn mode: the attributes as sklearn names them */
        fprintf(out, "sklearn:    KMeans(n_clusters=%d, random_state=%llu, "
               "n_init=%d, algorithm=\"lloyd\"): n_iter_=%d, "
               "inertia_=%.17g\n",
               r->k, (unsigned long long)rep->seed, rep->n_init, r->n_iter,
               r->inertia);
    fprintf(out, "output:     %s%s%s\n", rep->output, rep->centroids ? ", " : "",
           rep->centroids ? rep->centroids : "");
    if (rep->metrics)
        text_metrics(out, rep->metrics); /* issue 7 */
    fprintf(out, "cluster        r        g        b  hex        pixels   share\n");
    for (int j = 0; j < r->k; j++) {
        const double *c = &r->centroids[3 * j];
        unsigned char rgb[3];
        kq_centroid_rgb(r, j, rgb);
        fprintf(out, "%7d  %7.2f  %7.2f  %7.2f  #%02X%02X%02X  %8zu  %5.1f%%\n", j,
               c[0], c[1], c[2], rgb[0], rgb[1], rgb[2], r->counts[j],
               100.0 * share_of(r, j));
    }
}

/* Prints s as a JSON string literal. */
static void json_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(out, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(out, "\\u%04x", *p);
        else
            fputc(*p, out);
    }
    fputc('"', out);
}

static void json_clusters(FILE *out, const kq_kmeans_result *r)
{
    fprintf(out, "\"clusters\":[");
    for (int j = 0; j < r->k; j++) {
        const double *c = &r->centroids[3 * j];
        unsigned char rgb[3];
        kq_centroid_rgb(r, j, rgb);
        fprintf(out, "%s{\"cluster\":%d,\"r\":%.17g,\"g\":%.17g,\"b\":%.17g,"
               "\"hex\":\"#%02X%02X%02X\",\"pixels\":%zu,\"share\":%.17g}",
               j ? "," : "", j, c[0], c[1], c[2], rgb[0], rgb[1], rgb[2],
               r->counts[j], share_of(r, j));
    }
    fprintf(out, "]");
}

/* One JSON object per k; a sweep (in_list) prints them as one array. */
void kq_report_json(const kq_run_report *rep, bool first, bool last,
                    bool in_list)
{
    FILE *out = rep->stream;
    const kq_kmeans_result *r = rep->result;
    if (in_list)
        fprintf(out, first ? "[" : ",\n");
    fprintf(out, "{\"input\":");
    json_string(out, rep->input);
    fprintf(out, ",\"input_width\":%d,\"input_height\":%d,\"width\":%d,"
           "\"height\":%d,\"n\":%zu,\"k\":%d,\"seed\":%llu,\"n_iter\":%d,"
           "\"inertia\":%.17g,\"output\":",
           rep->input_width, rep->input_height, rep->width, rep->height,
           r->n, r->k, (unsigned long long)rep->seed, r->n_iter, r->inertia);
    json_string(out, rep->output);
    fprintf(out, ",\"centroids\":");
    if (rep->centroids)
        json_string(out, rep->centroids);
    else
        fprintf(out, "null");
    fprintf(out, ",\"color_profile\":");
    if (rep->color_profile[0])
        json_string(out, rep->color_profile);
    else
        fprintf(out, "null");
    if (rep->metrics)
        json_metrics(out, rep->metrics); /* issue 7 */
    fprintf(out, ",\"sklearn\":%s", rep->sklearn ? "true" : "false"); /* sklearn mode */
    fputc(',', out);
    json_clusters(out, r);
    fprintf(out, "}");
    if (!in_list || last)
        fprintf(out, in_list ? "]\n" : "\n");
}
