/* kq_internal.h - declarations shared between libkquant's stages; not
 * installed. Public API: include/kquant.h. */
#ifndef KQ_INTERNAL_H
#define KQ_INTERNAL_H

#include "kquant.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>

/* ---- errors (error.c) ---- */

/* Formats a message into err (if err is non-NULL) and returns status, so
 * that failures read `return kq_fail(status, err, len, "...", ...);`. */
kq_status kq_fail(kq_status status, char *err, size_t err_len,
                  const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Drops every byte of text that is not printable ASCII, and trailing
 * spaces, in place: for text from a file or a library that a message or
 * the summary shows (it must stay one line and must not steer a
 * terminal). */
void kq_keep_printable(char *text);

/* ---- k-means parameters (kmeans.c) ---- */

/* KQ_ERR_ARGUMENT for parameters out of range, KQ_ERR_DATA when n samples
 * cannot hold k clusters; the checks every engine makes first. */
kq_status kq_kmeans_check_params(const kq_kmeans_params *p, size_t n);

/* ---- paths (write.c) ---- */

/* The extension of path's last component, from its dot ("a/b.png" ->
 * ".png"), or NULL when it has none. */
const char *kq_path_extension(const char *path);

/* ---- checked arithmetic (error.c) ---- */

/* Sets *out = a * b and returns true, or returns false on overflow. */
bool kq_mul_size(size_t a, size_t b, size_t *out);

/* ---- input guards (guard.c) ---- */

/* Refuses (KQ_ERR_INPUT_FORMAT, with the reason in err) files that would
 * reach a known fault of stb_image 2.27, and PNG or JPEG files whose header
 * claims more than max_pixels (KQ_ERR_INPUT_TOO_LARGE); KQ_OK for
 * everything else. Called before any stb function sees the data. */
kq_status kq_guard_input(const unsigned char *data, size_t len,
                         size_t max_pixels, char *err, size_t err_len);

/* ---- random numbers (rng.c) ----
 * MT19937 seeded like numpy's RandomState(seed) for seeds < 2^32
 * (init_genrand), with numpy's randint and uniform draws. Our own code. */

#define KQ_MT_N 624

typedef struct {
    uint32_t state[KQ_MT_N];
    int index;
} kq_rng;

/* Seeds with init_genrand(seed mod 2^32) as numpy's RandomState(seed). */
void kq_rng_seed(kq_rng *rng, uint32_t seed);

/* The next tempered 32-bit output. */
uint32_t kq_rng_next32(kq_rng *rng);

/* A uniform integer in 0..n-1 by masked rejection, as numpy's
 * RandomState.randint(n). Draws nothing when n == 1. n must be >= 1. */
uint64_t kq_rng_below(kq_rng *rng, uint64_t n);

/* A uniform double in [0, 1) with 53 random bits (numpy's random_sample). */
double kq_rng_uniform(kq_rng *rng);

/* ---- recognising data by its first bytes (sniff.c; issue 3) ---- */

/* A phrase naming what data holds when its magic bytes (or a BMP's header)
 * say so and stb_image cannot decode it ("an HTML page", "a BMP
 * compressed with RLE8"), for error messages;
 * NULL when the data is a format stb_image reads or is not recognised. */
const char *kq_sniff_unsupported(const unsigned char *data, size_t len);
/* What kquant reads instead of the data kq_sniff_unsupported named, to
 * end the message: "uncompressed BMPs" for a compressed BMP, the list of
 * formats for anything else. */
const char *kq_sniff_reads_instead(const unsigned char *data, size_t len);
/* True for an ISO base media file (ftyp box) with a HEIF or AVIF brand. */
bool kq_sniff_heif(const unsigned char *data, size_t len);
/* "a PNG file", "a JPEG file"...: a format kquant reads, named by its
 * magic bytes, so that a file cut short before its header's end is
 * called truncated rather than unknown; NULL when none matches. */
const char *kq_sniff_readable(const unsigned char *data, size_t len);

/* ---- WebP decoding (webp.c) ---- */

/* True when data starts like a WebP file (RIFF ... WEBP). */
bool kq_webp_is(const unsigned char *data, size_t len);

/* The size a WebP's header gives (an animation's canvas); allocates
 * nothing. KQ_ERR_INPUT_FORMAT with err set when it cannot be read. */
kq_status kq_webp_info(const unsigned char *data, size_t len, int *width,
                       int *height, char *err, size_t err_len);

/* Decodes a WebP whose header said width x height (checked against the
 * limits), an animated one by its first frame on the canvas, to a new
 * *px_out of 3 (RGB) or 4 (RGBA, not premultiplied) channels, *comp_out;
 * KQ_ERR_INPUT_FORMAT with err set when the data is corrupt. */
kq_status kq_webp_decode(const unsigned char *data, size_t len, int width,
                         int height, unsigned char **px_out, int *comp_out,
                         char *err, size_t err_len);

/* ---- libraries opened on first use (dl_open.c) ---- */

/* A library opened by its soname when a feature first needs it, once per
 * process, so that its dependencies do not load on every run: find_all
 * looks its functions up, start (or NULL) sets it up once opened. Define
 * one with KQ_LAZY_LIBRARY. */
typedef struct {
    const char *soname;
    bool (*find_all)(void *lib);
    bool (*start)(char *why, size_t why_len);
    pthread_mutex_t lock;
    int state; /* 0 not tried yet, 1 ready, -1 failed */
    char why[256];
} kq_lazy_library;

#define KQ_LAZY_LIBRARY(soname, find_all, start) \
    {(soname), (find_all), (start), PTHREAD_MUTEX_INITIALIZER, 0, ""}

/* Whether lib is open and ready (opening it on the first call; safe from
 * any thread); when not, *why (if given) says why. */
bool kq_lazy_library_ready(kq_lazy_library *lib, const char **why);

/* ---- HEIC and AVIF input (heif.c; libheif opened in heif_load.c) ---- */

/* True when data is an ISO base media file with a HEIF or AVIF brand. */
bool kq_heif_is(const unsigned char *data, size_t len);

/* The primary image's size, its rotation and cropping applied, without
 * decoding it; KQ_ERR_INPUT_FORMAT when libheif cannot read the file,
 * KQ_ERR_INTERNAL when libheif cannot be loaded. */
kq_status kq_heif_info(const unsigned char *data, size_t len, int *width,
                       int *height, char *err, size_t err_len);

/* Decodes the primary image, of width x height (kq_heif_info's, checked
 * against the limits), to 8-bit samples of *comp_out channels (3, or 4
 * with alpha) in a new *px_out. */
kq_status kq_heif_decode(const unsigned char *data, size_t len, int width,
                         int height, unsigned char **px_out, int *comp_out,
                         char *err, size_t err_len);

/* ---- TIFF input (tiff.c; libtiff opened in tiff_load.c) ---- */

/* True when data starts like a TIFF or BigTIFF file. */
bool kq_tiff_is(const unsigned char *data, size_t len);

/* The first image's size, without decoding it; KQ_ERR_INPUT_FORMAT when
 * libtiff cannot read the file, KQ_ERR_INTERNAL when libtiff cannot be
 * loaded. */
kq_status kq_tiff_info(const unsigned char *data, size_t len, int *width,
                       int *height, char *err, size_t err_len);

/* Decodes the first image, of width x height (kq_tiff_info's, checked
 * against the limits), rows as stored, to 8-bit RGB in a new *rgb_out,
 * any alpha composited onto opts->background, in bands on opts->threads
 * threads (the pixels do not depend on them). */
kq_status kq_tiff_decode(const unsigned char *data, size_t len, int width,
                         int height, const kq_load_options *opts,
                         unsigned char **rgb_out, char *err, size_t err_len);

/* The first image's Orientation tag (1-8, EXIF's meanings); 1 when it has
 * none or an unreadable one. */
int kq_tiff_orientation(const unsigned char *data, size_t len);

/* ---- EXIF orientation (orient.c) ---- */

/* The EXIF orientation (1-8) of JPEG data; 1 (as stored) when it has
 * none or an unreadable one. */
int kq_exif_orientation(const unsigned char *data, size_t len);

/* Turns or mirrors img in place (a new buffer) from the stored order of
 * an image with that EXIF orientation to upright; 5-8 swap its sides.
 * KQ_ERR_NOMEM leaves img as it was. */
kq_status kq_image_orient(kq_image *img, int orientation);

/* ---- JPEG decoding (jpeg.c) ---- */

/* True when data starts like a JPEG (SOI and a marker). */
bool kq_jpeg_is(const unsigned char *data, size_t len);

/* Decodes a JPEG whose header said width x height (already checked
 * against the limits) to 8-bit RGB in a new *rgb_out, at 1/(*reduced_by)
 * of that size on each side, rounded up (1 unless opts->resize_width asks
 * for less; kq_jpeg_reduced_side gives the sides). Returns KQ_OK with
 * *rgb_out NULL for CMYK and YCCK JPEGs, which libjpeg cannot turn into
 * RGB (the caller decodes those otherwise); KQ_ERR_INPUT_FORMAT with err
 * set when the data is corrupt or truncated. */
kq_status kq_jpeg_decode(const unsigned char *data, size_t len, int width,
                         int height, const kq_load_options *opts,
                         unsigned char **rgb_out, int *reduced_by, char *err,
                         size_t err_len);

/* A side of n pixels decoded at 1/by of its size: libjpeg rounds up. */
int kq_jpeg_reduced_side(int n, int by);

/* ---- colour profiles (icc.c; the profile readers in jpeg.c,
 * png_read.c, webp.c, heif.c and tiff.c) ---- */

/* The ICC profile embedded in JPEG data (APP2 markers), PNG data (iCCP),
 * WebP data (ICCP), HEIF data (colr: an ICC profile, or an nclx box with
 * primaries other than BT.709's, made into one) or TIFF data (tag 34675),
 * in a new buffer (free()) of *icc_len bytes; NULL
 * when there is none or the data cannot be read that far. */
unsigned char *kq_jpeg_icc_profile(const unsigned char *data, size_t len,
                                   size_t *icc_len);
unsigned char *kq_png_icc_profile(const unsigned char *data, size_t len,
                                  size_t *icc_len);
unsigned char *kq_webp_icc_profile(const unsigned char *data, size_t len,
                                   size_t *icc_len);
unsigned char *kq_heif_icc_profile(const unsigned char *data, size_t len,
                                   size_t *icc_len);
unsigned char *kq_tiff_icc_profile(const unsigned char *data, size_t len,
                                   size_t *icc_len);

/* Colour primaries and white point (CIE xy) with a transfer curve: what a
 * video-style colour description (HEIF's nclx box) gives instead of an
 * ICC profile. */
typedef enum {
    KQ_TRANSFER_SRGB,   /* IEC 61966-2-1 */
    KQ_TRANSFER_BT709,  /* BT.709's (and BT.601's, BT.2020's SDR) */
    KQ_TRANSFER_LINEAR
} kq_transfer;

typedef struct {
    double red[2], green[2], blue[2], white[2];
    kq_transfer transfer;
    const char *description; /* the summary's name for it */
} kq_colour_space;

/* An ICC profile describing space, in a new buffer (free()) of *icc_len
 * bytes; NULL when Little CMS cannot make one. */
unsigned char *kq_icc_profile_for(const kq_colour_space *space,
                                  size_t *icc_len);

typedef struct kq_srgb_transform kq_srgb_transform;

/* The transform from the RGB colour profile embedded in image data (JPEG,
 * PNG, WebP, HEIF, TIFF) to sRGB; NULL when there is none, when it cannot
 * be read or is no RGB profile (the pixels then stay as stored), and when
 * it is sRGB already: when no colour would move by more than one level. */
kq_srgb_transform *kq_srgb_transform_for(const unsigned char *data,
                                         size_t len);

/* Turns img's pixels from the profile's colours to sRGB, in place, on
 * threads (<= 0: all cores) when it can start them. */
void kq_srgb_apply(const kq_srgb_transform *t, kq_image *img, int threads);

void kq_srgb_transform_free(kq_srgb_transform *t);

/* ---- joining raw deflate streams (deflate_join.c) ---- */

/* Bytes a joinable stream may take beyond the stream it came from. */
#define KQ_DEFLATE_JOIN_EXTRA 5

/* Makes the raw deflate stream data[0..bytes-1] joinable: its final
 * block no longer final, and an empty stored block after it, so it ends
 * on a byte boundary and another raw deflate stream may follow it as the
 * same stream. data has room bytes (at least bytes +
 * KQ_DEFLATE_JOIN_EXTRA). Returns the new length, or 0 when data is not
 * one whole raw deflate stream (or room is short, or memory). */
size_t kq_deflate_make_joinable(unsigned char *data, size_t bytes,
                                size_t room);

/* ---- PNG encoding of RGB images (indexed_png.c) ---- */

/* True when img has pixels and its rows, with one filter byte each, fit
 * KQ_MAX_ENCODE_BYTES (write.c; every encoder's limit). */
bool kq_image_encodable(const kq_image *img);

/* Encodes img as a 24-bit PNG to stream, or, with stream NULL, only counts
 * its bytes into *counted. */
kq_status kq_rgb_encode_png(FILE *stream, const kq_image *img,
                            size_t *counted, char *err, size_t err_len);

/* ---- PNG decoding (png_read.c) ---- */

/* True when data starts with the PNG signature. */
bool kq_png_is(const unsigned char *data, size_t len);

/* Decodes a PNG whose header said width x height (already checked against
 * the limits) to the samples stb_image would give: *comp_out channels of
 * 8 bits (1 grey, 2 grey+alpha, 3 RGB, 4 RGBA) in a new *px_out.
 * KQ_ERR_INPUT_FORMAT with err set when the data is corrupt or truncated. */
kq_status kq_png_decode(const unsigned char *data, size_t len, int width,
                        int height, unsigned char **px_out, int *comp_out,
                        char *err, size_t err_len);
/* ---- scikit-learn compatibility (sklearn mode: npsum.c, npselect.c,
 * sklearn_kmeans.c) ---- */

/* np.sum of a contiguous array: pairwise summation (eight partial sums,
 * blocks of 128 split in halves) within buffers of 8192 elements. */
double kq_np_sum(const double *a, size_t n);

/* numpy's pairwise_sum of one buffer (no 8192 split). */
double kq_np_pairwise_sum(const double *a, size_t n);

/* order = np.argpartition(values, kth), numpy 1.24's introselect order
 * (order has n entries; kth < n). */
void kq_np_argpartition(const double *values, size_t n, size_t kth,
                        size_t *order);

/* The samples as scikit-learn's KMeans sees them after fit's preamble. */
typedef struct {
    size_t n;
    double *x;       /* n x 3: samples minus mean */
    double *xsq;     /* n: squared norms of x, einsum's order */
    double mean[3];  /* column means (np.mean) */
    double tol_abs;  /* tol times the mean column variance (np.var) */
} kq_skl_data;

/* Fills *d from n pixels; free with kq_skl_data_free. */
kq_status kq_skl_data_init(kq_skl_data *d, const float *pixels, size_t n,
                           double tol);
void kq_skl_data_free(kq_skl_data *d);

/* Greedy k-means++ seeding: k x 3 centred centres, drawing from rng. */
kq_status kq_skl_kmeanspp(const kq_skl_data *d, int k, kq_rng *rng,
                          double *centres);

/* Lloyd step 1: each sample's first nearest centre, by -2 c.x + |c|^2. */
void kq_skl_assign(const kq_skl_data *d, const double *centres, int k,
                   int32_t *labels);

/* Lloyd step 2: per-cluster sums (k x 3, sample order) and counts. */
void kq_skl_accumulate(const kq_skl_data *d, const int32_t *labels, int k,
                       double *sums, size_t *counts);

/* Lloyd step 3: empty clusters (ascending) take the samples farthest from
 * their old centres, in np.argpartition's order. dist and order are n-entry
 * scratch arrays. Labels are not changed (as in scikit-learn). */
void kq_skl_relocate_empty(const kq_skl_data *d, const double *old_centres,
                           const int32_t *labels, int k, double *sums,
                           size_t *counts, double *dist, size_t *order);

/* Lloyd step 4: sums times 1/count in place (empty clusters unchanged). */
void kq_skl_average(double *sums, const size_t *counts, int k);

/* Lloyd step 5: np.sum of the squared centre shifts (sqrt, then square). */
double kq_skl_shift_total(const double *old_centres,
                          const double *new_centres, int k);

/* Sum of squared distances to the own centre, in sample order. */
double kq_skl_inertia(const kq_skl_data *d, const double *centres,
                      const int32_t *labels);

/* scikit-learn's _is_same_clustering: true when mapping each label of a,
 * on first sight, to b's label at that sample never conflicts (labels
 * 0..k-1). One-directional, as scikit-learn's. */
bool kq_skl_same_partition(const int32_t *a, const int32_t *b, size_t n,
                           int k);

/* One Lloyd run from centres (updated in place), scikit-learn's stopping
 * rules; fills labels (n), n_iter and the (centred) inertia. */
kq_status kq_skl_lloyd(const kq_skl_data *d, int k, int max_iter,
                       double *centres, int32_t *labels, int *n_iter,
                       double *inertia);

/* ---- perf: thread pool (pool.c) ---- */

typedef struct kq_pool kq_pool;
typedef void (*kq_task_fn)(void *ctx, size_t task);

/* sysconf(_SC_NPROCESSORS_ONLN), at least 1. */
int kq_default_threads(void);

/* A pool of `threads` threads counting the caller (<= 0: all cores). Free
 * with kq_pool_free. */
kq_status kq_pool_create(int threads, kq_pool **out);
void kq_pool_free(kq_pool *pool);
int kq_pool_threads(const kq_pool *pool);

/* Runs fn(ctx, t) for t in 0..n_tasks-1 across the pool (pool may be NULL:
 * serial) and returns when all are done. */
void kq_pool_run(kq_pool *pool, size_t n_tasks, kq_task_fn fn, void *ctx);

/* ---- perf: distinct colours (histogram.c) ---- */

typedef struct {
    size_t n_pixels;
    size_t n_colours;      /* U */
    uint32_t *colour;      /* U packed 0xRRGGBB, in Z-order (ascending
                              Morton code): neighbours in the array are
                              neighbours in the RGB cube */
    uint32_t *count;       /* U pixel counts */
    uint32_t *pixel_index; /* sort path: n_pixels distinct indices */
    unsigned char *table;  /* table path: 2^24 bytes by Morton code; the
                              counts mod 256 while counting, then free
                              for labels (histogram.c) */
    uint64_t *seen;        /* table path: one bit per code that occurs */
    uint32_t *rank;        /* table path: the colours below each word of
                              seen (code -> index: rank + bits below) */
    int32_t *label_of;     /* after relabel, unless byte_labels: U labels */
    bool byte_labels;      /* table path, relabelled with k <= 256: the
                              table's bytes hold the labels */
    kq_label *label_buffer; /* NULL, or room for n_pixels labels that the
                               decode counter faulted in (histogram.c) */
} kq_histogram;

/* Asks for transparent huge pages on a large array that is about to be
 * written all over (fewer page faults and TLB misses); only a hint. */
void kq_advise_huge_pages(void *p, size_t bytes);

/* malloc for a large array about to be written all over: from 1 MiB on,
 * on huge pages where the kernel offers them (histogram.c). Free it with
 * free(). */
void *kq_alloc_large(size_t bytes);

/* pool may be NULL; the result does not depend on it. */
kq_status kq_histogram_build(const unsigned char *rgb, size_t n,
                             kq_pool *pool, kq_histogram *h);

/* What kq_histogram_build(rgb, n) makes, from a counter that counted rgb
 * while it decoded (*taken true; the rest is counted now); *taken false
 * when the counter did not count this image. */
kq_status kq_colours_counter_take(kq_colours_counter *c,
                                  const unsigned char *rgb, size_t n,
                                  kq_pool *pool, kq_histogram *h,
                                  bool *taken);
/* The pixels its thread has counted so far (for tests). */
size_t kq_colours_counter_counted(kq_colours_counter *c);
void kq_histogram_free(kq_histogram *h);

/* The histogram's label_buffer, now the caller's to fill and free (NULL
 * when it has none): the first fit's per-pixel labels go there. */
kq_label *kq_histogram_take_label_buffer(kq_histogram *h);

/* The Morton (Z-order) code of a colour: its bits interleaved r g b. */
uint32_t kq_colour_morton(const unsigned char rgb[3]);

/* The distinct index of pixel i of rgb (the image the histogram counted),
 * before kq_histogram_relabel. */
uint32_t kq_histogram_index(const kq_histogram *h, const unsigned char *rgb,
                            size_t i);

/* Gives every distinct colour index its label colour_label[index], each
 * in 0..k-1 (once, after clustering); kq_histogram_labels then yields
 * labels. */
kq_status kq_histogram_relabel(kq_histogram *h, const int32_t *colour_label,
                               int k);

/* Back to distinct indices after kq_histogram_relabel (a k sweep fits
 * the same colours again). */
void kq_histogram_unlabel(kq_histogram *h);

/* The histogram of counted colours (in index state) and the pixels it
 * counted. */
const kq_histogram *kq_colours_histogram(const kq_colours *c,
                                         const unsigned char **rgb,
                                         size_t *n);

/* Where the counted colours keep their L*a*b* values (3 per distinct
 * colour, in histogram order; NULL until color.c fills it; freed with
 * them). */
double **kq_colours_lab(kq_colours *c);

/* index[i - begin] = the distinct index of pixel i's colour, for i in
 * begin..end-1; not while relabelled. */
void kq_histogram_indices(const kq_histogram *h, const unsigned char *rgb,
                          size_t begin, size_t end, uint32_t *index);

/* labels[i - begin] = the label of pixel i's colour, for i in begin..end-1;
 * only between kq_histogram_relabel and kq_histogram_unlabel. */
void kq_histogram_labels(const kq_histogram *h, const unsigned char *rgb,
                         size_t begin, size_t end, kq_label *labels);

/* ---- perf: nearest-centre kernels (nearest.c) ---- */

typedef struct {
    const float *x, *y, *z; /* structure of arrays */
    const double *w;        /* weights (pixel counts) */
    size_t n;
} kq_points_f;

typedef struct {
    const float *x, *y, *z;
    int k;
} kq_centres_f;

/* For points begin..end-1: label[i-begin] = nearest centre (lowest index on
 * ties), best = its squared distance, second = the second smallest. */
typedef void (*kq_nearest_fn)(const kq_points_f *p, size_t begin, size_t end,
                              const kq_centres_f *c, int32_t *label,
                              float *best, float *second);

/* The sum of w[i] * min(dist[i], |p_i - cand|^2) over begin..end-1, in a
 * fixed order (4 lanes by index mod 4, joined pairwise). */
typedef double (*kq_seed_pot_fn)(const kq_points_f *p, size_t begin,
                                 size_t end, const float cand[3],
                                 const float *dist);

/* dist[i] = min(dist[i], |p_i - cand|^2); returns the same sum as
 * kq_seed_pot_fn and sets *max_out to the largest new dist. */
typedef double (*kq_seed_apply_fn)(const kq_points_f *p, size_t begin,
                                   size_t end, const float cand[3],
                                   float *dist, float *max_out);

/* Hamerly's bounds of the points, and the last centre moves. */
typedef struct {
    const int32_t *label;
    double *upper, *lower;     /* updated in place */
    const double *delta;       /* k: how far each centre moved */
    const double *half_gap;    /* k: half the gap to the nearest centre */
    double max_delta, second_delta;
    int32_t max_at;            /* the centre that moved most */
    /* Per own centre a, with neighbour lists (else NULL): the largest move
     * among a's nearest neighbours, and a lower bound on a's distance to
     * every other centre */
    const double *near_delta, *far_floor;
    kq_points_f points;        /* to tighten upper bounds that fail */
    kq_centres_f centres;
} kq_bounds_args;

/* Moves the bounds of points begin..end-1 by the centre moves, sets the
 * upper bound of those that fail the test to their distance (rounded up
 * with the slack) and tests again; writes the indices of the points whose
 * label the bounds still cannot vouch for into fail; returns how many. */
typedef size_t (*kq_bounds_fn)(const kq_bounds_args *a, size_t begin,
                               size_t end, uint32_t *fail);

/* Bounds carry this slack, far above the kernels' float rounding (~3e-7
 * relative), so a bound never vouches for a label a full scan would
 * change. */
#define KQ_SLACK_REL 1e-5
#define KQ_SLACK_ABS 1e-6

/* An upper bound on the distance whose square a kernel computed. The
 * root is taken in float: correctly rounded, it is off by 6e-8 relative
 * at most, far inside the slack, and it vectorises. */
static inline double kq_upper_root(float sq)
{
    return (double)sqrtf(sq) * (1.0 + KQ_SLACK_REL) + KQ_SLACK_ABS;
}

/* Every centre's list of all centres, nearest first (neighbours.c), so a
 * scan can stop once no further centre can come closer than the second
 * nearest found. Rows are KQ_NB_GROUP-aligned; padding sits at +inf. */
#define KQ_NB_GROUP 8
#define KQ_NB_MAX_K 1024 /* the lists take 16 x k^2 bytes: 16 MiB at 1024;
                            at 2048 they were no faster (12 MP photo) */
typedef struct {
    int k, stride;       /* stride: k rounded up to KQ_NB_GROUP */
    int32_t *order;      /* k x stride: centre indices, nearest first */
    float *x, *y, *z;    /* k x stride: their coordinates */
    double *floor;       /* k x stride / KQ_NB_GROUP: a lower bound on the
                            distance from the row's centre to every centre
                            from that group on */
    double *gap2;        /* k: squared distance to the nearest other centre */
    bool sorted;         /* rows sorted once (later sorts start from there) */
} kq_neighbours;

/* k in 1..KQ_NB_MAX_K. */
kq_status kq_neighbours_init(kq_neighbours *nb, int k);
void kq_neighbours_free(kq_neighbours *nb);
/* A neighbour list's coordinates: x[r] = c->x[order[r]] (and y, z) for
 * r < c->k, +inf in the padding up to stride. */
typedef void (*kq_list_coords_fn)(const kq_centres_f *c, const int32_t *order,
                                  int stride, float *x, float *y, float *z);

/* Re-sorts the lists for new centres, rows split across the pool (which
 * may be NULL), and writes their coordinates with list_coords. Centres
 * move little between iterations, so the last order is kept and
 * insertion-sorted. */
void kq_neighbours_update(kq_neighbours *nb, const kq_centres_f *c,
                          kq_list_coords_fn list_coords, kq_pool *pool);

/* For the m points (x, y, z)[q], each no farther than upper[q] from its
 * own centre own[q]: the same label, best and second as a full scan of
 * the centres (kq_nearest_fn), from the own centre's nearest neighbours
 * only. The AVX2 kernel walks consecutive points of one own centre
 * together, so callers hand them over grouped by it. */
typedef void (*kq_nearest_near_fn)(const float *x, const float *y,
                                   const float *z, const int32_t *own,
                                   const double *upper, size_t m,
                                   const kq_neighbours *nb, int32_t *label,
                                   float *best, float *second);

typedef struct {
    kq_nearest_fn nearest;
    kq_nearest_near_fn nearest_near;
    kq_list_coords_fn list_coords;
    kq_seed_pot_fn seed_pot;
    kq_seed_apply_fn seed_apply;
    kq_bounds_fn bounds;
    bool simd;
} kq_kernels;

/* AVX2 kernels when allow_simd and the CPU has AVX2, else portable ones;
 * both give bit-identical results. */
void kq_kernels_select(kq_kernels *kernels, bool allow_simd);

void kq_nearest_portable(const kq_points_f *p, size_t begin, size_t end,
                         const kq_centres_f *c, int32_t *label, float *best,
                         float *second);
double kq_seed_pot_portable(const kq_points_f *p, size_t begin, size_t end,
                            const float cand[3], const float *dist);
double kq_seed_apply_portable(const kq_points_f *p, size_t begin, size_t end,
                              const float cand[3], float *dist,
                              float *max_out);

size_t kq_bounds_portable(const kq_bounds_args *a, size_t begin, size_t end,
                          uint32_t *fail);
void kq_list_coords_portable(const kq_centres_f *c, const int32_t *order,
                             int stride, float *x, float *y, float *z);
void kq_nearest_near_portable(const float *x, const float *y, const float *z,
                              const int32_t *own, const double *upper,
                              size_t m, const kq_neighbours *nb,
                              int32_t *label, float *best, float *second);

/* The kernels' squared distance, for code that must agree with them. */
float kq_sq_dist_f(float x, float y, float z, float cx, float cy, float cz);

/* ---- perf: engine switches for tests (kmeans.c) ---- */

typedef enum {
    KQ_LOOP_AUTO = 0, /* Hamerly above a k threshold, plain Lloyd below */
    KQ_LOOP_PLAIN,
    KQ_LOOP_HAMERLY,
    KQ_LOOP_DRIFT     /* one margin per point, blocks skipped whole */
} kq_loop_kind;

typedef struct {
    kq_loop_kind loop;
    bool no_simd;   /* force the portable kernels */
    bool no_dedup;  /* cluster every pixel as its own point (weight 1) */
    bool no_refine; /* skip the merge/split refinement after Lloyd */
    bool no_coarse; /* no coarse stage on 8x8x8 colour cells first */
    bool no_prune;  /* seeding computes every block's potential */
    const double *init_centres; /* k x 3: skip seeding, start from these */
} kq_kmeans_engine_options;

/* kq_kmeans_fit_rgb with engine switches (opts may be NULL). */
kq_status kq_kmeans_fit_rgb_with(const unsigned char *rgb, size_t n,
                                 const kq_kmeans_params *params,
                                 const kq_kmeans_engine_options *opts,
                                 kq_kmeans_result *out);

#endif /* KQ_INTERNAL_H */
