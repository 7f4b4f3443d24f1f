/* kmeans.c - greedy k-means++ seeding and Lloyd iterations.
 *
 * The seeding follows scikit-learn's greedy k-means++ (2 + floor(ln k)
 * candidates per centre, the one that lowers the potential most wins) and
 * draws from numpy's MT19937 stream, so that the same seed tends to reach
 * the same solution as KMeans(random_state=seed). Arithmetic is plain
 * double precision; --sklearn mode has its own bit-exact path. */
#include "kq_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const float *x;   /* n x 3 samples */
    size_t n;
    int k;
    double *centres;  /* k x 3 */
    double *sums;     /* k x 3 */
    size_t *counts;   /* k */
    int32_t *labels;  /* n */
    double *dist;     /* n: squared distance to the nearest centre */
    double *trial;    /* n: seeding, distances with a candidate added */
    double *best;     /* n: seeding, the best candidate's distances */
    double *cumsum;   /* n: seeding, running sums of dist */
} workspace;

static double sq_dist(const float *x, const double *c)
{
    double d0 = x[0] - c[0], d1 = x[1] - c[1], d2 = x[2] - c[2];
    return d0 * d0 + d1 * d1 + d2 * d2;
}

static void workspace_free(workspace *w)
{
    free(w->centres);
    free(w->sums);
    free(w->counts);
    free(w->labels);
    free(w->dist);
    free(w->trial);
    free(w->best);
    free(w->cumsum);
}

/* malloc of count items of size bytes; NULL when the product overflows. */
static void *alloc_array(size_t count, size_t size)
{
    size_t bytes;
    return kq_mul_size(count, size, &bytes) ? malloc(bytes) : NULL;
}

static kq_status workspace_init(workspace *w, const float *x, size_t n, int k)
{
    memset(w, 0, sizeof *w);
    w->x = x;
    w->n = n;
    w->k = k;
    w->centres = alloc_array(3 * (size_t)k, sizeof(double));
    w->sums = alloc_array(3 * (size_t)k, sizeof(double));
    w->counts = alloc_array((size_t)k, sizeof(size_t));
    w->labels = alloc_array(n, sizeof(int32_t));
    w->dist = alloc_array(n, sizeof(double));
    w->trial = alloc_array(n, sizeof(double));
    w->best = alloc_array(n, sizeof(double));
    w->cumsum = alloc_array(n, sizeof(double));
    if (!w->centres || !w->sums || !w->counts || !w->labels || !w->dist ||
        !w->trial || !w->best || !w->cumsum) {
        workspace_free(w);
        return KQ_ERR_NOMEM;
    }
    return KQ_OK;
}

/* ---- seeding ---- */

static void set_centre(workspace *w, int j, size_t sample)
{
    for (int c = 0; c < 3; c++)
        w->centres[3 * j + c] = w->x[3 * sample + c];
}

/* trial[i] = min(dist[i], |x_i - x_cand|^2); returns the sum of trial. */
static double potential_with(workspace *w, size_t cand, double *trial)
{
    double c[3] = {w->x[3 * cand], w->x[3 * cand + 1], w->x[3 * cand + 2]};
    double pot = 0.0;
    for (size_t i = 0; i < w->n; i++) {
        double d = sq_dist(&w->x[3 * i], c);
        trial[i] = d < w->dist[i] ? d : w->dist[i];
        pot += trial[i];
    }
    return pot;
}

/* The first index whose running sum of dist reaches r (numpy's
 * searchsorted on the cumulative sum), clipped to n-1. */
static size_t pick_by_weight(const workspace *w, double r)
{
    size_t lo = 0, hi = w->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (w->cumsum[mid] < r)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < w->n ? lo : w->n - 1;
}

static void prefix_sums(workspace *w)
{
    double run = 0.0;
    for (size_t i = 0; i < w->n; i++) {
        run += w->dist[i];
        w->cumsum[i] = run;
    }
}

static void seed_kmeanspp(workspace *w, kq_rng *rng)
{
    size_t first = (size_t)kq_rng_below(rng, w->n);
    set_centre(w, 0, first);
    double pot = 0.0;
    for (size_t i = 0; i < w->n; i++) {
        w->dist[i] = sq_dist(&w->x[3 * i], w->centres);
        pot += w->dist[i];
    }
    int trials = 2 + (int)log((double)w->k);
    double draws[64];
    for (int j = 1; j < w->k; j++) {
        for (int t = 0; t < trials; t++)
            draws[t] = kq_rng_uniform(rng) * pot;
        prefix_sums(w);
        size_t best = 0;
        double best_pot = INFINITY;
        for (int t = 0; t < trials; t++) {
            size_t cand = pick_by_weight(w, draws[t]);
            double p = potential_with(w, cand, w->trial);
            if (p < best_pot) { /* first minimum wins, as numpy argmin */
                best_pot = p;
                best = cand;
                double *swap = w->best;
                w->best = w->trial;
                w->trial = swap;
            }
        }
        double *swap = w->dist;
        w->dist = w->best;
        w->best = swap;
        pot = best_pot;
        set_centre(w, j, best);
    }
}

/* ---- Lloyd ---- */

static int nearest_centre(const workspace *w, const float *x, double *d_out)
{
    int best = 0;
    double best_d = sq_dist(x, w->centres);
    for (int j = 1; j < w->k; j++) {
        double d = sq_dist(x, &w->centres[3 * j]);
        if (d < best_d) {
            best_d = d;
            best = j;
        }
    }
    *d_out = best_d;
    return best;
}

/* Assigns every sample to its nearest centre; returns how many changed. */
static size_t assign_labels(workspace *w)
{
    size_t changed = 0;
    for (size_t i = 0; i < w->n; i++) {
        int j = nearest_centre(w, &w->x[3 * i], &w->dist[i]);
        changed += (w->labels[i] != j);
        w->labels[i] = j;
    }
    return changed;
}

static void accumulate(workspace *w)
{
    memset(w->sums, 0, sizeof(double) * 3 * (size_t)w->k);
    memset(w->counts, 0, sizeof(size_t) * (size_t)w->k);
    for (size_t i = 0; i < w->n; i++) {
        int j = w->labels[i];
        for (int c = 0; c < 3; c++)
            w->sums[3 * j + c] += w->x[3 * i + c];
        w->counts[j]++;
    }
}

/* The sample farthest from its centre among clusters that can spare one
 * (count > 1), ties to the lowest index; n if there is none. */
static size_t farthest_spare_sample(const workspace *w)
{
    size_t best = w->n;
    double best_d = -1.0;
    for (size_t i = 0; i < w->n; i++) {
        if (w->counts[w->labels[i]] > 1 && w->dist[i] > best_d) {
            best_d = w->dist[i];
            best = i;
        }
    }
    return best;
}

/* Empty clusters (in ascending order) each take the sample that is
 * farthest from its own centre, as scikit-learn does; that sample leaves
 * its old cluster, which always keeps at least one member. */
static void refill_empty_clusters(workspace *w)
{
    for (int e = 0; e < w->k; e++) {
        if (w->counts[e] != 0)
            continue;
        size_t f = farthest_spare_sample(w);
        if (f == w->n)
            return;
        int old = w->labels[f];
        for (int c = 0; c < 3; c++) {
            w->sums[3 * old + c] -= w->x[3 * f + c];
            w->sums[3 * e + c] = w->x[3 * f + c];
        }
        w->counts[old]--;
        w->counts[e] = 1;
        w->labels[f] = e;
        w->dist[f] = 0.0;
    }
}

/* Moves centres to their means; returns the summed squared shift. */
static double update_centres(workspace *w)
{
    double shift = 0.0;
    for (int j = 0; j < w->k; j++) {
        if (w->counts[j] == 0)
            continue;
        for (int c = 0; c < 3; c++) {
            double m = w->sums[3 * j + c] / (double)w->counts[j];
            double d = m - w->centres[3 * j + c];
            shift += d * d;
            w->centres[3 * j + c] = m;
        }
    }
    return shift;
}

static double total_inertia(const workspace *w)
{
    double sum = 0.0;
    for (size_t i = 0; i < w->n; i++)
        sum += sq_dist(&w->x[3 * i], &w->centres[3 * w->labels[i]]);
    return sum;
}

/* Runs Lloyd from the current centres; returns the iterations done. */
static int run_lloyd(workspace *w, int max_iter, double tol_abs)
{
    for (size_t i = 0; i < w->n; i++)
        w->labels[i] = -1;
    int it;
    int strict = 0;
    for (it = 0; it < max_iter; it++) {
        size_t changed = assign_labels(w);
        if (changed == 0) {
            strict = 1;
            break;
        }
        accumulate(w);
        refill_empty_clusters(w);
        if (update_centres(w) <= tol_abs)
            break;
    }
    if (!strict) /* labels must match the final centres */
        assign_labels(w);
    accumulate(w);
    return it < max_iter ? it + 1 : max_iter;
}

/* scikit-learn's tolerance: tol times the mean per-channel variance. */
static double absolute_tolerance(const float *x, size_t n, double tol)
{
    double var_sum = 0.0;
    for (int c = 0; c < 3; c++) {
        double mean = 0.0, sq = 0.0;
        for (size_t i = 0; i < n; i++)
            mean += x[3 * i + c];
        mean /= (double)n;
        for (size_t i = 0; i < n; i++) {
            double d = x[3 * i + c] - mean;
            sq += d * d;
        }
        var_sum += sq / (double)n;
    }
    return tol * var_sum / 3.0;
}

/* ---- public ---- */

void kq_kmeans_params_default(kq_kmeans_params *params)
{
    params->k = 8;
    params->seed = 42;
    params->n_init = 1;
    params->max_iter = 300;
    params->tol = 1e-4;
}

void kq_kmeans_result_free(kq_kmeans_result *result)
{
    if (!result)
        return;
    free(result->centroids);
    free(result->labels);
    free(result->counts);
    memset(result, 0, sizeof *result);
}

static kq_status check_params(const kq_kmeans_params *p, size_t n)
{
    if (p->k < 1 || p->k > KQ_MAX_CLUSTERS || p->n_init < 1 ||
        p->max_iter < 1 || !(p->tol >= 0.0) || isinf(p->tol))
        return KQ_ERR_ARGUMENT;
    if (n == 0 || (size_t)p->k > n || n > (size_t)INT32_MAX)
        return KQ_ERR_DATA;
    return KQ_OK;
}

/* Copies the workspace's solution into out, allocating on first use. */
static kq_status keep_solution(const workspace *w, int n_iter, double inertia,
                               kq_kmeans_result *out)
{
    if (!out->centroids) {
        out->centroids = alloc_array(3 * (size_t)w->k, sizeof(double));
        out->labels = alloc_array(w->n, sizeof(int32_t));
        out->counts = alloc_array((size_t)w->k, sizeof(size_t));
        if (!out->centroids || !out->labels || !out->counts)
            return KQ_ERR_NOMEM;
    }
    memcpy(out->centroids, w->centres, sizeof(double) * 3 * (size_t)w->k);
    memcpy(out->labels, w->labels, sizeof(int32_t) * w->n);
    memcpy(out->counts, w->counts, sizeof(size_t) * (size_t)w->k);
    out->k = w->k;
    out->n = w->n;
    out->n_iter = n_iter;
    out->inertia = inertia;
    return KQ_OK;
}

kq_status kq_kmeans_fit(const float *pixels, size_t n,
                        const kq_kmeans_params *params, kq_kmeans_result *out)
{
    kq_status st = check_params(params, n);
    if (st != KQ_OK)
        return st;
    workspace w;
    if ((st = workspace_init(&w, pixels, n, params->k)) != KQ_OK)
        return st;
    memset(out, 0, sizeof *out);
    kq_rng rng;
    kq_rng_seed(&rng, (uint32_t)params->seed);
    double tol_abs = absolute_tolerance(pixels, n, params->tol);
    for (int run = 0; run < params->n_init && st == KQ_OK; run++) {
        seed_kmeanspp(&w, &rng);
        int n_iter = run_lloyd(&w, params->max_iter, tol_abs);
        double inertia = total_inertia(&w);
        if (run == 0 || inertia < out->inertia)
            st = keep_solution(&w, n_iter, inertia, out);
    }
    workspace_free(&w);
    if (st != KQ_OK)
        kq_kmeans_result_free(out);
    return st;
}
