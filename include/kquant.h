/* kquant.h - the public interface of libkquant, a k-means colour quantizer.
 *
 * Usage example (error handling shortened):
 *
 *     kq_image img = {0}, small = {0}, out = {0};
 *     kq_load_options lo;
 *     kq_load_options_default(&lo);
 *     char err[256];
 *     if (kq_image_load_file("in.jpg", &lo, &img, err, sizeof err) != KQ_OK) ...
 *     kq_image_resize(&img, 240, 320, &small);
 *     size_t n;
 *     float *px = kq_pixels_flatten(&small, &n);       // N x 3 floats
 *     kq_kmeans_params p;
 *     kq_kmeans_params_default(&p);
 *     p.k = 3;
 *     kq_kmeans_result r = {0};
 *     kq_kmeans_fit(px, n, &p, &r);
 *     kq_recolor(&small, &r, &out);
 *     kq_image_write_file("out.png", &out, err, sizeof err);
 *     kq_kmeans_result_free(&r); kq_pixels_free(px);
 *     kq_image_free(&out); kq_image_free(&small); kq_image_free(&img);
 *
 * Conventions: every function returning kq_status returns KQ_OK on success.
 * Functions that touch files or decoders also take an optional error buffer
 * (err, err_len; may be NULL/0) that receives the detail (errno text, the
 * decoder's reason). Every allocating function names its free function, and
 * every free function accepts NULL. The library never prints and never exits.
 */
#ifndef KQUANT_H
#define KQUANT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KQ_VERSION "0.1.0"

/* ---- status codes ------------------------------------------------------ */

typedef enum {
    KQ_OK = 0,
    KQ_ERR_ARGUMENT,      /* a parameter is out of range */
    KQ_ERR_NOMEM,         /* an allocation failed */
    KQ_ERR_INPUT_MISSING, /* the input cannot be opened or read */
    KQ_ERR_INPUT_FORMAT,  /* the input is not an image we can decode */
    KQ_ERR_INPUT_TOO_LARGE, /* the input is larger than the configured limits */
    KQ_ERR_DATA,          /* the data does not fit the request (e.g. k > N) */
    KQ_ERR_OUTPUT,        /* an output file cannot be created */
    KQ_ERR_IO,            /* writing an output failed part way */
    KQ_ERR_NETWORK,       /* a download failed */
    KQ_ERR_NETWORK_TEMP,  /* a download timed out (may succeed later) */
    KQ_ERR_INTERNAL,      /* a bug or an unexpected library failure */
    KQ_STATUS_COUNT
} kq_status;

/* A short English description of a status; never NULL. */
const char *kq_strerror(kq_status status);

/* ---- images ------------------------------------------------------------ */

/* An 8-bit RGB image, rows top to bottom, 3 bytes per pixel, no padding. */
typedef struct {
    int width;
    int height;
    unsigned char *rgb;
} kq_image;

#define KQ_DEFAULT_MAX_PIXELS 100000000u    /* 100 megapixels */
#define KQ_DEFAULT_MAX_FILE_BYTES (1u << 30) /* 1 GiB read at most */

typedef struct {
    size_t max_pixels;       /* refuse images whose header claims more */
    size_t max_file_bytes;   /* refuse files larger than this */
    unsigned char background[3]; /* transparent pixels are blended onto this */
} kq_load_options;

/* Fills *opts with the defaults: 100 MP, 1 GiB, white background. */
void kq_load_options_default(kq_load_options *opts);

/* Decodes an image held in memory (any format stb_image reads). The header is
 * checked against opts->max_pixels before any pixel is decoded. Grey inputs
 * become RGB; inputs with alpha are composited onto opts->background.
 * On success *out owns new pixels: free them with kq_image_free. */
kq_status kq_image_load_memory(const unsigned char *data, size_t len,
                               const kq_load_options *opts, kq_image *out,
                               char *err, size_t err_len);

/* Reads the file at path (bounded by opts->max_file_bytes) and decodes it as
 * kq_image_load_memory does. Directories and unreadable files are refused. */
kq_status kq_image_load_file(const char *path, const kq_load_options *opts,
                             kq_image *out, char *err, size_t err_len);

/* Frees the pixels of img (which may be NULL) and zeroes it. */
void kq_image_free(kq_image *img);

/* Resizes src to width x height into *out (free with kq_image_free). When
 * the size already matches, the pixels are copied unchanged. */
kq_status kq_image_resize(const kq_image *src, int width, int height,
                          kq_image *out);

typedef enum {
    KQ_FORMAT_UNKNOWN = 0,
    KQ_FORMAT_PNG,
    KQ_FORMAT_JPEG,
    KQ_FORMAT_BMP,
    KQ_FORMAT_TGA
} kq_format;

/* The output format named by the extension of path (case-insensitive). */
kq_format kq_format_from_path(const char *path);

/* Encodes img in the format its extension names and writes it atomically:
 * a temporary file in the same folder is renamed over path only once the
 * whole image is written, so a failure never leaves a partial file. */
kq_status kq_image_write_file(const char *path, const kq_image *img,
                              char *err, size_t err_len);

/* ---- atomic output files ---------------------------------------------- */

/* A file being written: the data goes to a temporary file beside the
 * target and appears under the target name only on commit. */
typedef struct kq_atomic_file kq_atomic_file;

/* Opens a temporary file in the folder of path. Free with kq_atomic_commit
 * or kq_atomic_abort (exactly one of them). */
kq_status kq_atomic_open(const char *path, kq_atomic_file **out,
                         char *err, size_t err_len);

/* The stream to write the contents to. */
FILE *kq_atomic_stream(kq_atomic_file *file);

/* Flushes, syncs and renames the temporary file onto the target, then frees
 * the handle. On failure the temporary file is removed and the target left
 * as it was. */
kq_status kq_atomic_commit(kq_atomic_file *file, char *err, size_t err_len);

/* Removes the temporary file and frees the handle; accepts NULL. */
void kq_atomic_abort(kq_atomic_file *file);

/* ---- pixels ------------------------------------------------------------ */

/* Flattens img into a new N x 3 array of floats (R, G, B per row, 0..255),
 * the tutorial's img_flat. Sets *n_out to N = width * height. Returns NULL
 * when memory runs out. Free with kq_pixels_free. */
float *kq_pixels_flatten(const kq_image *img, size_t *n_out);

/* Frees an array from kq_pixels_flatten; accepts NULL. */
void kq_pixels_free(float *pixels);

/* ---- k-means ----------------------------------------------------------- */

#define KQ_MAX_CLUSTERS 4096

typedef struct {
    int k;            /* number of clusters, 1..KQ_MAX_CLUSTERS */
    uint64_t seed;    /* random seed (scikit-learn's random_state) */
    int n_init;       /* independent restarts; the lowest inertia wins */
    int max_iter;     /* Lloyd iteration cap per restart */
    double tol;       /* relative tolerance, scikit-learn's meaning */
    int threads;      /* worker threads counting the caller; 0: all cores.
                         The result never depends on it. */
} kq_kmeans_params;

/* k = 8, seed = 42, n_init = 1, max_iter = 300, tol = 1e-4, threads = 0. */
void kq_kmeans_params_default(kq_kmeans_params *params);

typedef struct {
    int k;
    size_t n;           /* number of samples */
    double *centroids;  /* k x 3 */
    int32_t *labels;    /* n entries, each in 0..k-1 */
    size_t *counts;     /* k entries: samples per cluster */
    int n_iter;         /* Lloyd iterations of the chosen restart */
    double inertia;     /* sum of squared distances to the own centroid */
    int k_requested;    /* params->k; more than k when the data has fewer
                           distinct colours (then k = that number) */
    size_t n_colours;   /* distinct colours (distinct samples) clustered */
    double seconds_histogram;  /* counting distinct colours */
    double seconds_seeding;    /* k-means++ seeding, all restarts */
    double seconds_iterations; /* Lloyd iterations and labelling */
} kq_kmeans_result;

/* Clusters the n pixels of an 8-bit RGB buffer (3 bytes each) with greedy
 * k-means++ seeding and Lloyd iterations, run on the distinct colours
 * weighted by their pixel counts (the same fixed point as clustering every
 * pixel, much faster). When the pixels have fewer than params->k distinct
 * colours, the result has exactly those colours: out->k is their number and
 * out->k_requested keeps params->k. Fails with KQ_ERR_ARGUMENT for bad
 * parameters and KQ_ERR_DATA when k > n. On success *out owns its arrays:
 * free with kq_kmeans_result_free. Deterministic for a given seed, whatever
 * params->threads is. */
kq_status kq_kmeans_fit_rgb(const unsigned char *rgb, size_t n,
                            const kq_kmeans_params *params,
                            kq_kmeans_result *out);

/* As kq_kmeans_fit_rgb, for n samples of 3 floats. Samples that are all
 * integers in 0..255 (as kq_pixels_flatten makes) take the distinct-colour
 * path; other data is clustered sample by sample. */
kq_status kq_kmeans_fit(const float *pixels, size_t n,
                        const kq_kmeans_params *params, kq_kmeans_result *out);

/* Frees the arrays of result (which may be NULL) and zeroes it. */
void kq_kmeans_result_free(kq_kmeans_result *result);

/* ---- recolouring and centroid tables ----------------------------------- */

/* The centroid rounded to the nearest integer and clamped to 0..255. */
void kq_centroid_rgb(const kq_kmeans_result *result, int cluster,
                     unsigned char rgb_out[3]);

/* Writes a copy of shape's size where every pixel is its cluster's rounded
 * centroid. result->n must equal shape->width * shape->height. Free *out
 * with kq_image_free. */
kq_status kq_recolor(const kq_image *shape, const kq_kmeans_result *result,
                     kq_image *out);

/* Writes the centroid table as CSV with the header
 * cluster,r,g,b,hex,pixels,share (r, g, b with %.17g). Returns KQ_ERR_IO if
 * the stream reports an error. */
kq_status kq_centroids_write_csv(FILE *stream, const kq_kmeans_result *result);

/* ---- quality ----------------------------------------------------------- */

/* Mean squared error over all channels of two images of the same size, and
 * the PSNR in dB for 8-bit data (INFINITY when the images are equal).
 * Returns KQ_ERR_ARGUMENT when the sizes differ. */
kq_status kq_quality_mse(const kq_image *a, const kq_image *b, double *mse,
                         double *psnr_db);

#ifdef __cplusplus
}
#endif

#endif /* KQUANT_H */
