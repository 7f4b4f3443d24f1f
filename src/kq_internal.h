/* kq_internal.h - declarations shared between libkquant's stages; not
 * installed. Public API: include/kquant.h. */
#ifndef KQ_INTERNAL_H
#define KQ_INTERNAL_H

#include "kquant.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- errors (error.c) ---- */

/* Formats a message into err (if err is non-NULL) and returns status, so
 * that failures read `return kq_fail(status, err, len, "...", ...);`. */
kq_status kq_fail(kq_status status, char *err, size_t err_len,
                  const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

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

/* A phrase naming what data holds when its magic bytes say so and stb_image
 * cannot decode it ("a WebP image", "an HTML page"), for error messages;
 * NULL when the data is a format stb_image reads or is not recognised. */
const char *kq_sniff_unsupported(const unsigned char *data, size_t len);
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

#endif /* KQ_INTERNAL_H */
