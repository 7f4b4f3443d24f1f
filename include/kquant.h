/* kquant.h - the public interface of libkquant, a k-means colour quantizer.
 *
 * Usage example (error handling shortened):
 *
 *     kq_image img = {0}, small = {0}, out = {0};
 *     kq_load_options lo;
 *     kq_load_options_default(&lo);
 *     lo.resize_width = 240, lo.resize_height = 320; // a big JPEG decodes reduced
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

#include <stdbool.h>
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
    /* A JPEG decoded at a reduced scale (see kq_load_options.resize_width):
     * reduced_by is 2, 4 or 8 and source_width x source_height is the size
     * its header gives (upright); kq_image_resize maps exactly that area.
     * All 0 for an image at its full size. The pixels made from fewer
     * source pixels than the others are the last column and row, or the
     * first where partial_left or partial_top says so (a JPEG turned
     * upright by its EXIF orientation). */
    int reduced_by;
    int source_width, source_height;
    bool partial_left, partial_top;
    /* The description of the embedded colour profile its pixels were
     * turned into sRGB from (printable ASCII, "an RGB profile" when it
     * has none); "" when they were not. */
    char color_profile[64];
} kq_image;

#define KQ_DEFAULT_MAX_PIXELS 100000000u    /* 100 megapixels */
#define KQ_DEFAULT_MAX_FILE_BYTES (1u << 30) /* 1 GiB read at most */
/* Inputs that are not regular files (pipes, FIFOs, devices) are read up to
 * this many bytes at most, whatever max_file_bytes says. */
#define KQ_MAX_STREAM_BYTES (64u << 20) /* 64 MiB */

typedef struct {
    size_t max_pixels;       /* refuse images whose header claims more */
    size_t max_file_bytes;   /* refuse files larger than this */
    unsigned char background[3]; /* transparent pixels are blended onto this */
    /* perf: when set, called as a JPEG decodes: rows 0..rows_done-1 of
     * rgb (width x height pixels, the image being loaded) are final. With
     * rgb NULL the decode failed: rgb must not be read once that call
     * returns. Other decoders do not call it. NULL by default. */
    void (*on_rows)(void *ctx, const unsigned char *rgb, int width,
                    int height, int rows_done);
    void *on_rows_ctx;
    /* A JPEG whose EXIF orientation (a TIFF whose Orientation tag) says it
     * is stored turned or mirrored is turned upright after decoding, as
     * viewers show it (then not reported row by row; resize_width and
     * resize_height stay the upright target), unless this is true: pixels
     * then stay in stored order, as Pillow's Image.open gives them. */
    bool ignore_orientation;
    /* A JPEG, PNG, WebP, HEIF or TIFF with an embedded RGB colour profile
     * other than sRGB has its pixels turned into sRGB after decoding, as
     * viewers show them (then not reported row by row), unless this is
     * true: pixels then stay the stored numbers, as Pillow's Image.open
     * gives them. */
    bool ignore_color_profile;
    /* perf: threads for that conversion and for decoding a TIFF (<= 0,
     * the default: all cores); the pixels do not depend on it. */
    int threads;
    /* perf: the size the caller resizes the image to next (0 x 0, the
     * default: none). A JPEG is then decoded at 1/8, 1/4 or 1/2 of its
     * size (libjpeg-turbo's DCT scaling), the first of those that keeps at
     * least twice this size on both sides (none: full size), and says so
     * in kq_image.reduced_by. */
    int resize_width, resize_height;
} kq_load_options;

/* Fills *opts with the defaults: 100 MP, 1 GiB, white background, full
 * size. */
void kq_load_options_default(kq_load_options *opts);

/* The image formats kq_image_load_memory reads, in words: "PNG, JPEG,
 * ... PIC and PNM". */
const char *kq_image_formats(void);

/* Decodes an image held in memory (any of kq_image_formats()). The header
 * is checked against opts->max_pixels before any pixel is decoded. Grey
 * inputs
 * become RGB; inputs with alpha are composited onto opts->background.
 * On success *out owns new pixels: free them with kq_image_free. */
kq_status kq_image_load_memory(const unsigned char *data, size_t len,
                               const kq_load_options *opts, kq_image *out,
                               char *err, size_t err_len);

/* Reads the file at path (bounded by opts->max_file_bytes, and by
 * KQ_MAX_STREAM_BYTES when it is not a regular file) and decodes it as
 * kq_image_load_memory does. Directories and unreadable files are refused;
 * opening a FIFO does not wait for a writer (without one it reads as
 * empty). */
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

/* The largest encoded image, counted as (3 * width + 1) * height bytes:
 * stb_image_write computes its buffer sizes in int. */
#define KQ_MAX_ENCODE_BYTES (1u << 30)

/* Encodes img in format to stream (not closed). KQ_ERR_ARGUMENT for an
 * unknown format or an image above KQ_MAX_ENCODE_BYTES, KQ_ERR_IO when the
 * stream reports an error. */
kq_status kq_image_encode(FILE *stream, kq_format format, const kq_image *img,
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

/* The temporary file's path (valid until commit or abort), so that a
 * program can remove it from a signal handler. */
const char *kq_atomic_temp_path(const kq_atomic_file *file);

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

/* A pixel's cluster, 0..k-1. 16 bits hold every k up to KQ_MAX_CLUSTERS
 * and halve the per-pixel labels' memory and traffic against 32 bits (a
 * 12 MP photo: 24 MB instead of 48). */
typedef uint16_t kq_label;
_Static_assert(KQ_MAX_CLUSTERS <= 65536, "kq_label holds every cluster");

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
    kq_label *labels;   /* n entries, each in 0..k-1 */
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

/* The distinct colours of n pixels of 8-bit RGB and their counts, counted
 * once (threads as in kq_kmeans_params) for several fits of the same
 * pixels: a k sweep, and the Delta E numbers of each result. rgb must stay
 * alive and unchanged until kq_colours_free. */
typedef struct kq_colours kq_colours;

/* Fails with KQ_ERR_ARGUMENT for no pixels, more than 2^32 - 1 of them or
 * threads < 0, KQ_ERR_NOMEM when memory runs out; *out is then NULL. */
kq_status kq_colours_count(const unsigned char *rgb, size_t n, int threads,
                           kq_colours **out);
size_t kq_colours_distinct(const kq_colours *colours);
double kq_colours_seconds(const kq_colours *colours); /* counting took */
void kq_colours_free(kq_colours *colours);

/* perf: the colours counted while the image decodes, on a thread of the
 * counter's own (the decode uses one core). Pass kq_colours_counter_rows
 * and the counter as kq_load_options.on_rows and on_rows_ctx, load, then
 * kq_colours_counter_finish gives what kq_colours_count(rgb, n, threads)
 * would, bit for bit. Only images of 2^19 pixels or more, and decoders
 * that report rows (JPEG), are counted ahead; finish counts anything
 * else itself. One image per counter; free it after finish, or instead
 * when the load fails. start fails with KQ_ERR_NOMEM or KQ_ERR_INTERNAL
 * (no thread): count with kq_colours_count then. */
typedef struct kq_colours_counter kq_colours_counter;
kq_status kq_colours_counter_start(kq_colours_counter **out);
void kq_colours_counter_rows(void *counter, const unsigned char *rgb,
                             int width, int height, int rows_done);
kq_status kq_colours_counter_finish(kq_colours_counter *counter,
                                    const unsigned char *rgb, size_t n,
                                    int threads, kq_colours **out);
void kq_colours_counter_free(kq_colours_counter *counter);

/* kq_kmeans_fit_rgb on counted colours: the same result, without counting
 * them again (out->seconds_histogram is 0). One fit at a time per
 * kq_colours: a fit labels its colours and restores them after. */
kq_status kq_kmeans_fit_colours(kq_colours *colours,
                                const kq_kmeans_params *params,
                                kq_kmeans_result *out);

/* As kq_kmeans_fit_rgb, for n samples of 3 floats. Samples that are all
 * integers in 0..255 (as kq_pixels_flatten makes) take the distinct-colour
 * path; other data is clustered sample by sample. */
kq_status kq_kmeans_fit(const float *pixels, size_t n,
                        const kq_kmeans_params *params, kq_kmeans_result *out);

/* scikit-learn mode: computes bit for bit what Debian's scikit-learn 1.2.1
 * (numpy 1.24, one thread) computes for KMeans(n_clusters=k,
 * random_state=seed, n_init=n_init, max_iter, tol, algorithm="lloyd")
 * .fit(pixels): centroids are cluster_centers_ in scikit-learn's order,
 * labels are labels_, n_iter is n_iter_ and inertia is inertia_ (computed,
 * as scikit-learn does, on mean-centred samples). counts are the label
 * counts. Slower than kq_kmeans_fit. seed must be below 2^32 (numpy's
 * RandomState). Errors and ownership as kq_kmeans_fit. */
kq_status kq_kmeans_fit_sklearn(const float *pixels, size_t n,
                                const kq_kmeans_params *params,
                                kq_kmeans_result *out);

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

/* The same rows with a leading column k (result->k_requested), for the
 * tables of several k in one stream: the header
 * k,cluster,r,g,b,hex,pixels,share is written only when header is true. */
kq_status kq_centroids_write_csv_with_k(FILE *stream,
                                        const kq_kmeans_result *result,
                                        bool header);

/* ---- quality ----------------------------------------------------------- */

/* Mean squared error over all channels of two images of the same size, and
 * the PSNR in dB for 8-bit data (INFINITY when the images are equal).
 * Returns KQ_ERR_ARGUMENT when the sizes differ. */
kq_status kq_quality_mse(const kq_image *a, const kq_image *b, double *mse,
                         double *psnr_db);

/* ---- compression, palettes and quality (issue 7) ----------------------- */

/* The smallest PNG bit depth (1, 2, 4 or 8) whose indices hold k colours,
 * or 0 when k is outside 1..256. */
int kq_indexed_bit_depth(int k);

/* Writes a palette PNG (colour type 3) of width x height pixels, atomically:
 * pixel i is palette[labels[i]], the palette holds k entries in the given
 * order and the bit depth is kq_indexed_bit_depth(k). No timestamp or
 * other varying chunk is written, so equal inputs give equal bytes.
 * Returns KQ_ERR_ARGUMENT for k outside 1..256, a bad size or a label
 * outside 0..k-1 (nothing is written then), KQ_ERR_OUTPUT or KQ_ERR_IO when
 * the file cannot be created or written. */
kq_status kq_indexed_write_png(const char *path, int width, int height,
                               const kq_label *labels,
                               const unsigned char (*palette)[3], int k,
                               char *err, size_t err_len);

/* The same palette PNG encoded to stream (for callers that manage their
 * own output files); the same checks and errors, KQ_ERR_IO when libpng
 * fails. */
kq_status kq_indexed_encode_png(FILE *stream, int width, int height,
                                const kq_label *labels,
                                const unsigned char (*palette)[3], int k,
                                char *err, size_t err_len);

/* kq_indexed_encode_png on `threads` threads (0: all cores): images of 1
 * MiB of packed rows or more are deflated in segments side by side. The
 * bytes are the same for every thread count, and the same as
 * kq_indexed_encode_png's. KQ_ERR_NOMEM when memory runs out. */
kq_status kq_indexed_encode_png_threads(FILE *stream, int width, int height,
                                        const kq_label *labels,
                                        const unsigned char (*palette)[3],
                                        int k, int threads, char *err,
                                        size_t err_len);

/* Sets *bytes_out to the size img takes as a 24-bit PNG, encoded in memory
 * by the same encoder kq_image_write_file uses for .png. */
kq_status kq_image_png_bytes(const kq_image *img, size_t *bytes_out);

/* CIE L*a*b* (D65 white) of an 8-bit sRGB colour (IEC 61966-2-1 transfer
 * curve and matrix; the white point is the matrix's image of RGB white, so
 * that white is exactly L* = 100, a* = b* = 0). */
void kq_color_srgb_to_lab(const unsigned char rgb[3], double lab_out[3]);

/* The CIEDE2000 colour difference of two L*a*b* colours with
 * kL = kC = kH = 1 (Sharma, Wu and Dalal, 2005). Symmetric. */
double kq_color_ciede2000(const double lab1[3], const double lab2[3]);

/* Mean and maximum CIEDE2000 difference between the pixels of two images
 * of the same size. Returns KQ_ERR_ARGUMENT when the sizes differ. */
kq_status kq_quality_delta_e(const kq_image *a, const kq_image *b,
                             double *mean, double *max);

/* The same numbers for b against the pixels colours were counted from
 * (one kq_colours serves a k sweep's fits and their numbers); b must have
 * as many pixels. Keeps the colours' L*a*b* values for the next call. Not
 * during a kq_kmeans_fit_colours on the same colours. */
kq_status kq_quality_delta_e_colours(kq_colours *colours, const kq_image *b,
                                     double *mean, double *max);

/* The order of a palette (the centroid table, palette files, the indexed
 * PNG's palette). All keys use the rounded colour; ties keep cluster order.
 *   CLUSTER    k-means' own order
 *   SHARE      most pixels first
 *   LUMINANCE  darkest first, by Rec. 709 relative luminance of the
 *              linearised sRGB colour
 *   HUE        greys (R = G = B) first, darkest first; then by HSV hue,
 *              0 (red) -> 60 (yellow) -> 120 (green) -> 240 (blue) -> 360 */
typedef enum {
    KQ_ORDER_CLUSTER = 0,
    KQ_ORDER_SHARE,
    KQ_ORDER_LUMINANCE,
    KQ_ORDER_HUE
} kq_palette_order;

/* Renumbers the clusters of result in the given order: centroids and counts
 * move, labels are remapped, so every output made afterwards agrees. */
kq_status kq_kmeans_result_sort(kq_kmeans_result *result,
                                kq_palette_order order);

/* Rec. 709 relative luminance (0..1) of an 8-bit sRGB colour. */
double kq_color_luminance(const unsigned char rgb[3]);

typedef enum {
    KQ_PALETTE_UNKNOWN = 0,
    KQ_PALETTE_GPL,   /* GIMP/Inkscape palette */
    KQ_PALETTE_JSON,
    KQ_PALETTE_CSS,   /* custom properties --kq-color-<i> on :root */
    KQ_PALETTE_TXT,   /* one #RRGGBB per line */
    KQ_PALETTE_CSV    /* the centroid table, as kq_centroids_write_csv */
} kq_palette_format;

/* The palette format named by the extension of path (case-insensitive). */
kq_palette_format kq_palette_format_from_path(const char *path);

/* Writes the rounded centroids of result, in table order, to stream.
 * Returns KQ_ERR_ARGUMENT for an unknown format, KQ_ERR_IO if the stream
 * reports an error. */
kq_status kq_palette_write(FILE *stream, kq_palette_format format,
                           const kq_kmeans_result *result);

/* Writes the palette to path, atomically, in the format its extension
 * names. */
kq_status kq_palette_write_file(const char *path,
                                const kq_kmeans_result *result, char *err,
                                size_t err_len);
/* ---- fetching an input over HTTP(S) (fetch.c; issue 3) ---------------- */

#define KQ_FETCH_DEFAULT_CONNECT_TIMEOUT_MS 10000L /* 10 s to connect */
#define KQ_FETCH_DEFAULT_TIMEOUT_MS 60000L         /* 60 s in all */
#define KQ_FETCH_DEFAULT_MAX_BYTES ((size_t)64 << 20) /* 64 MiB of body */
#define KQ_FETCH_MAX_REDIRECTS 5

typedef struct {
    long connect_timeout_ms; /* limit for connecting (DNS, TCP, TLS) */
    long timeout_ms;         /* limit for the whole transfer */
    size_t max_bytes;        /* the body may not be larger than this */
    const char *user_agent;  /* NULL: "kquant/<KQ_VERSION>" */
} kq_fetch_options;

/* What a transfer did; filled on success and on failure. */
typedef struct {
    long http_status;       /* status of the last response; 0 if none */
    size_t bytes_received;  /* body bytes that arrived, including the ones
                               past max_bytes that ended the transfer */
    int redirects;          /* redirects followed */
    char content_type[64];  /* the last response's Content-Type
                               (printable ASCII, may be cut short) */
} kq_fetch_info;

/* Fills *opts with the defaults: 10 s to connect, 60 s in all, 64 MiB. */
void kq_fetch_options_default(kq_fetch_options *opts);

/* Sets up the HTTP library for the process. Call once, before any thread
 * starts and before kq_fetch_url; pair with kq_fetch_global_cleanup. */
kq_status kq_fetch_global_init(void);
void kq_fetch_global_cleanup(void);

/* Downloads url into memory. Only http:// and https:// are accepted, for
 * the URL itself (refused with KQ_ERR_ARGUMENT before any connection) and
 * for each of at most KQ_FETCH_MAX_REDIRECTS redirects. TLS certificates
 * are always verified. The transfer stops as soon as the body passes
 * opts->max_bytes (KQ_ERR_INPUT_TOO_LARGE). Non-2xx responses, DNS,
 * connection and TLS failures give KQ_ERR_NETWORK, timeouts
 * KQ_ERR_NETWORK_TEMP; err then names the cause ("HTTP 404 Not Found").
 * opts may be NULL (defaults), info may be NULL. On success *data_out
 * holds *len_out bytes (possibly 0): free with kq_fetch_free. On failure
 * *data_out is NULL. */
kq_status kq_fetch_url(const char *url, const kq_fetch_options *opts,
                       unsigned char **data_out, size_t *len_out,
                       kq_fetch_info *info_out, char *err, size_t err_len);

/* Frees a buffer from kq_fetch_url; accepts NULL. */
void kq_fetch_free(unsigned char *data);
/* ---- figures (plots) ---------------------------------------------------
 * The tutorial's figures as RGB images: the pixels as points in the RGB
 * cube, the same points coloured by cluster, a grid of recoloured images
 * and an elbow plot. Each function fills *out with a new image (free with
 * kq_image_free) ready for kq_image_write_file, and returns KQ_ERR_ARGUMENT
 * for bad sizes or views. Same inputs always give the same pixels. */

#define KQ_PLOT_SCATTER_WIDTH 800
#define KQ_PLOT_SCATTER_HEIGHT 800
#define KQ_PLOT_ELBOW_WIDTH 800
#define KQ_PLOT_ELBOW_HEIGHT 500
#define KQ_PLOT_MIN_SIZE 64 /* smallest width or height a figure takes */

/* Where the camera of the 3-D scatter plots sits. It always looks at the
 * centre of the cube with B pointing up on the screen. */
typedef struct {
    double azimuth;   /* degrees in the R-G plane, from +R towards +G */
    double elevation; /* degrees above the R-G plane, -90..90 */
} kq_plot_view;

/* The default camera: azimuth 60, elevation 22 degrees (eye on the +G
 * side, above the R-G plane; as in plotly, R grows towards the lower left
 * and G towards the lower right). plotly's default eye, (1.25, 1.25,
 * 1.25), is azimuth 45 and elevation 35.26: it looks straight down the
 * grey diagonal, where most of a photo's pixels lie. */
void kq_plot_view_default(kq_plot_view *view);

/* Where the RGB point rgb (0..255 each) lands on a width x height scatter
 * plot drawn with view: *x and *y in pixels, y down (the point falls in
 * pixel (floor(*x), floor(*y))). */
kq_status kq_plot_project(const kq_plot_view *view, int width, int height,
                          const double rgb[3], double *x, double *y);

/* Every one of the n pixels (N x 3 floats, 0..255) as a half transparent
 * point in its own colour, drawn far to near, inside the cube with its
 * edges, ticks and axis titles, on a light background. */
kq_status kq_plot_pixel_scatter(const float *pixels, size_t n,
                                const kq_plot_view *view, int width,
                                int height, kq_image *out);

/* The same points in their cluster's (rounded) centroid colour, with every
 * centroid drawn on top as a larger black disc. result->n is the number of
 * pixels. */
kq_status kq_plot_cluster_scatter(const float *pixels,
                                  const kq_kmeans_result *result,
                                  const kq_plot_view *view, int width,
                                  int height, kq_image *out);

typedef struct {
    int x, y, width, height;
} kq_plot_rect;

#define KQ_PLOT_GRID_COLUMNS 3

/* The grid of count recoloured images (all of one size), panel i titled
 * "k=<ks[i]>", in rows of KQ_PLOT_GRID_COLUMNS. Large panels are shrunk and
 * tiny ones enlarged by nearest neighbour, so no new colour appears. */
kq_status kq_plot_grid(const kq_image *panels, const int *ks, int count,
                       kq_image *out);

/* Where panel `index` of such a grid lies (the image only, without its
 * title), and the whole grid's size in grid_out (x = y = 0). */
kq_status kq_plot_grid_layout(int count, int panel_width, int panel_height,
                              int index, kq_plot_rect *panel_out,
                              kq_plot_rect *grid_out);

/* The elbow plot: inertia[i] against ks[i] as points joined by a line,
 * with labelled axes. */
kq_status kq_plot_elbow(const int *ks, const double *inertia, int count,
                        int width, int height, kq_image *out);

#ifdef __cplusplus
}
#endif

#endif /* KQUANT_H */
