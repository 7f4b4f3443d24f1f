/* palette_files.c - the rounded centroids as palettes other programs read:
 * GIMP/Inkscape .gpl, JSON, CSS custom properties, plain #RRGGBB lines and
 * the centroid CSV. Colours are written in table order. */
#include "kq_internal.h"

#include <string.h>
#include <strings.h>

kq_palette_format kq_palette_format_from_path(const char *path)
{
    const char *dot = kq_path_extension(path);
    if (!dot)
        return KQ_PALETTE_UNKNOWN;
    static const struct {
        const char *ext;
        kq_palette_format format;
    } table[] = {
        {".gpl", KQ_PALETTE_GPL}, {".json", KQ_PALETTE_JSON},
        {".css", KQ_PALETTE_CSS}, {".txt", KQ_PALETTE_TXT},
        {".csv", KQ_PALETTE_CSV},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcasecmp(dot, table[i].ext) == 0)
            return table[i].format;
    return KQ_PALETTE_UNKNOWN;
}

static double share_of(const kq_kmeans_result *r, int j)
{
    return r->n ? (double)r->counts[j] / (double)r->n : 0.0;
}

/* GIMP's format: a magic line, Name, Columns, then "R G B<TAB>name". */
static void write_gpl(FILE *f, const kq_kmeans_result *r)
{
    fprintf(f, "GIMP Palette\nName: kquant k=%d\nColumns: %d\n#\n", r->k,
            r->k < 16 ? r->k : 16);
    for (int j = 0; j < r->k; j++) {
        unsigned char c[3];
        kq_centroid_rgb(r, j, c);
        fprintf(f, "%3d %3d %3d\t#%02X%02X%02X %.1f%%\n", c[0], c[1], c[2],
                c[0], c[1], c[2], 100.0 * share_of(r, j));
    }
}

static void write_json(FILE *f, const kq_kmeans_result *r)
{
    fprintf(f, "{\"k\":%d,\"colors\":[", r->k);
    for (int j = 0; j < r->k; j++) {
        unsigned char c[3];
        kq_centroid_rgb(r, j, c);
        fprintf(f, "%s\n{\"index\":%d,\"hex\":\"#%02X%02X%02X\",\"rgb\":"
                   "[%d,%d,%d],\"pixels\":%zu,\"share\":%.17g}",
                j ? "," : "", j, c[0], c[1], c[2], c[0], c[1], c[2],
                r->counts[j], share_of(r, j));
    }
    fprintf(f, "\n]}\n");
}

static void write_css(FILE *f, const kq_kmeans_result *r)
{
    fprintf(f, "/* kquant palette, k=%d */\n:root {\n", r->k);
    for (int j = 0; j < r->k; j++) {
        unsigned char c[3];
        kq_centroid_rgb(r, j, c);
        fprintf(f, "  --kq-color-%d: #%02X%02X%02X; /* %.1f%% */\n", j, c[0],
                c[1], c[2], 100.0 * share_of(r, j));
    }
    fprintf(f, "}\n");
}

static void write_txt(FILE *f, const kq_kmeans_result *r)
{
    for (int j = 0; j < r->k; j++) {
        unsigned char c[3];
        kq_centroid_rgb(r, j, c);
        fprintf(f, "#%02X%02X%02X\n", c[0], c[1], c[2]);
    }
}

kq_status kq_palette_write(FILE *stream, kq_palette_format format,
                           const kq_kmeans_result *result)
{
    switch (format) {
    case KQ_PALETTE_GPL: write_gpl(stream, result); break;
    case KQ_PALETTE_JSON: write_json(stream, result); break;
    case KQ_PALETTE_CSS: write_css(stream, result); break;
    case KQ_PALETTE_TXT: write_txt(stream, result); break;
    case KQ_PALETTE_CSV: return kq_centroids_write_csv(stream, result);
    default: return KQ_ERR_ARGUMENT;
    }
    return ferror(stream) ? KQ_ERR_IO : KQ_OK;
}

kq_status kq_palette_write_file(const char *path,
                                const kq_kmeans_result *result, char *err,
                                size_t err_len)
{
    kq_palette_format format = kq_palette_format_from_path(path);
    if (format == KQ_PALETTE_UNKNOWN)
        return kq_fail(KQ_ERR_ARGUMENT, err, err_len,
                       "unsupported palette format (use .gpl, .json, .css, "
                       ".txt or .csv)");
    kq_atomic_file *file;
    kq_status st = kq_atomic_open(path, &file, err, err_len);
    if (st != KQ_OK)
        return st;
    if (kq_palette_write(kq_atomic_stream(file), format, result) != KQ_OK) {
        kq_atomic_abort(file);
        return kq_fail(KQ_ERR_IO, err, err_len, "write error");
    }
    return kq_atomic_commit(file, err, err_len);
}
