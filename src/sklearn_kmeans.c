/* sklearn_kmeans.c - scikit-learn's KMeans (lloyd, k-means++), bit for bit.
 *
 * kq_kmeans_fit_sklearn computes what Debian's scikit-learn 1.2.1 (numpy
 * 1.24, reference BLAS, one thread) computes for
 * KMeans(n_clusters=k, random_state=seed, n_init=n, algorithm="lloyd"):
 * the same cluster_centers_, labels_, inertia_ and n_iter_. Every sum is
 * done in the order scikit-learn's code does it (see
 * shared/sklearn-kmeans-compat.md and the README); the library is compiled
 * with -ffp-contract=off so that no multiply-add is fused. Do not
 * "simplify" an expression here: reordering a sum changes the results.
 *
 * Notation: nrm(a) = (a0*a0 + a2*a2) + a1*a1 (numpy einsum's order),
 * dot(c, x) = (c0*x0 + c1*x1) + c2*x2 (reference BLAS dgemm), sq(d) =
 * (d0*d0 + d1*d1) + d2*d2. Samples are centred on their mean first, as
 * scikit-learn does; the centres are shifted back at the end. */
#include "kq_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- small vector helpers (the order of each sum matters) ---- */

static double nrm3(const double *a)
{
    return (a[0] * a[0] + a[2] * a[2]) + a[1] * a[1];
}

static double dot3(const double *c, const double *x)
{
    return (c[0] * x[0] + c[1] * x[1]) + c[2] * x[2];
}

static double sq_diff3(const double *a, const double *b)
{
    double d0 = a[0] - b[0], d1 = a[1] - b[1], d2 = a[2] - b[2];
    return (d0 * d0 + d1 * d1) + d2 * d2;
}

static void *alloc_array(size_t count, size_t size)
{
    size_t bytes;
    if (!kq_mul_size(count, size, &bytes))
        return NULL;
    return malloc(bytes ? bytes : 1);
}

/* ---- data ---- */

void kq_skl_data_free(kq_skl_data *d)
{
    if (!d)
        return;
    free(d->x);
    free(d->xsq);
    memset(d, 0, sizeof *d);
}

/* mean per channel: column sum in sample order, divided by n (np.mean);
 * variance per channel: the same for the squared deviations (np.var). */
static void column_stats(const double *x, size_t n, double mean[3],
                         double var[3])
{
    for (int f = 0; f < 3; f++) {
        double sum = 0.0;
        for (size_t i = 0; i < n; i++)
            sum += x[3 * i + f];
        mean[f] = sum / (double)n;
        double dev = 0.0;
        for (size_t i = 0; i < n; i++) {
            double t = x[3 * i + f] - mean[f];
            dev += t * t;
        }
        var[f] = dev / (double)n;
    }
}

kq_status kq_skl_data_init(kq_skl_data *d, const float *pixels, size_t n,
                           double tol)
{
    memset(d, 0, sizeof *d);
    size_t values;
    if (n == 0 || !kq_mul_size(n, 3, &values))
        return KQ_ERR_ARGUMENT;
    d->n = n;
    d->x = alloc_array(values, sizeof(double));
    d->xsq = alloc_array(n, sizeof(double));
    if (!d->x || !d->xsq) {
        kq_skl_data_free(d);
        return KQ_ERR_NOMEM;
    }
    for (size_t i = 0; i < values; i++)
        d->x[i] = pixels[i];
    double var[3];
    column_stats(d->x, n, d->mean, var);
    /* scikit-learn's _tolerance: mean of the variances (of the data
     * before centring) times tol. */
    d->tol_abs = (((var[0] + var[1]) + var[2]) / 3.0) * tol;
    for (size_t i = 0; i < n; i++) {
        for (int f = 0; f < 3; f++)
            d->x[3 * i + f] -= d->mean[f];
        d->xsq[i] = nrm3(&d->x[3 * i]);
    }
    return KQ_OK;
}

/* ---- greedy k-means++ ---- */

/* Squared distance of sample i to sample c as _euclidean_distances
 * computes it: -2 dot, plus both norms, clipped at 0. */
static double seed_distance(const kq_skl_data *d, size_t c, size_t i)
{
    double v = ((-2.0 * dot3(&d->x[3 * c], &d->x[3 * i])) + d->xsq[c]) +
               d->xsq[i];
    return v < 0.0 ? 0.0 : v;
}

/* The first index whose running sum reaches r (np.searchsorted, side
 * left, on np.cumsum), or n - 1 when none does (scikit-learn's clip). */
static size_t first_reaching(const double *cum, size_t n, double r)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cum[mid] < r)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n ? lo : n - 1;
}

static void running_sums(const double *v, size_t n, double *cum)
{
    double run = 0.0;
    for (size_t i = 0; i < n; i++) {
        run += v[i];
        cum[i] = run;
    }
}

/* trial[i] = np.minimum(dist[i], D(cand, i)); returns np.sum(trial). */
static double potential_with(const kq_skl_data *d, size_t cand,
                             const double *dist, double *trial)
{
    for (size_t i = 0; i < d->n; i++) {
        double c = seed_distance(d, cand, i);
        trial[i] = dist[i] <= c ? dist[i] : c;
    }
    return kq_np_sum(trial, d->n);
}

static void copy_sample(const kq_skl_data *d, size_t i, double *dst)
{
    memcpy(dst, &d->x[3 * i], 3 * sizeof(double));
}

kq_status kq_skl_kmeanspp(const kq_skl_data *d, int k, kq_rng *rng,
                          double *centres)
{
    size_t n = d->n;
    double *dist = alloc_array(n, sizeof(double));
    double *cum = alloc_array(n, sizeof(double));
    double *trial = alloc_array(n, sizeof(double));
    double *best = alloc_array(n, sizeof(double));
    if (!dist || !cum || !trial || !best) {
        free(dist), free(cum), free(trial), free(best);
        return KQ_ERR_NOMEM;
    }
    size_t first = (size_t)kq_rng_below(rng, n);
    copy_sample(d, first, centres);
    for (size_t i = 0; i < n; i++)
        dist[i] = seed_distance(d, first, i);
    double pot = kq_np_sum(dist, n);
    int trials = 2 + (int)log((double)k);
    double draws[2 + 9]; /* log(KQ_MAX_CLUSTERS) < 9 */
    for (int j = 1; j < k; j++) {
        for (int t = 0; t < trials; t++)
            draws[t] = kq_rng_uniform(rng) * pot;
        running_sums(dist, n, cum);
        size_t chosen = 0;
        double chosen_pot = 0.0;
        for (int t = 0; t < trials; t++) {
            size_t cand = first_reaching(cum, n, draws[t]);
            double p = potential_with(d, cand, dist, trial);
            if (t == 0 || p < chosen_pot) { /* np.argmin: first minimum */
                chosen = cand;
                chosen_pot = p;
                double *swap = best;
                best = trial;
                trial = swap;
            }
        }
        double *swap = dist;
        dist = best;
        best = swap;
        pot = chosen_pot;
        copy_sample(d, chosen, &centres[3 * j]);
    }
    free(dist), free(cum), free(trial), free(best);
    return KQ_OK;
}

/* ---- the Lloyd steps ---- */

void kq_skl_assign(const kq_skl_data *d, const double *centres, int k,
                   int32_t *labels)
{
    double cn[KQ_MAX_CLUSTERS];
    for (int j = 0; j < k; j++)
        cn[j] = nrm3(&centres[3 * j]);
    for (size_t i = 0; i < d->n; i++) {
        const double *x = &d->x[3 * i];
        int32_t label = 0;
        double min = (-2.0 * dot3(centres, x)) + cn[0];
        for (int j = 1; j < k; j++) {
            double v = (-2.0 * dot3(&centres[3 * j], x)) + cn[j];
            if (v < min) {
                min = v;
                label = j;
            }
        }
        labels[i] = label;
    }
}

void kq_skl_accumulate(const kq_skl_data *d, const int32_t *labels, int k,
                       double *sums, size_t *counts)
{
    memset(sums, 0, sizeof(double) * 3 * (size_t)k);
    memset(counts, 0, sizeof(size_t) * (size_t)k);
    for (size_t i = 0; i < d->n; i++) {
        int32_t j = labels[i];
        for (int f = 0; f < 3; f++)
            sums[3 * j + f] += d->x[3 * i + f];
        counts[j]++;
    }
}

void kq_skl_relocate_empty(const kq_skl_data *d, const double *old_centres,
                           const int32_t *labels, int k, double *sums,
                           size_t *counts, double *dist, size_t *order)
{
    int empty[KQ_MAX_CLUSTERS];
    int n_empty = 0;
    for (int j = 0; j < k; j++)
        if (counts[j] == 0)
            empty[n_empty++] = j;
    if (n_empty == 0)
        return;
    size_t n = d->n;
    for (size_t i = 0; i < n; i++)
        dist[i] = sq_diff3(&d->x[3 * i], &old_centres[3 * labels[i]]);
    /* np.argpartition(dist, -n_empty)[:-n_empty-1:-1] */
    kq_np_argpartition(dist, n, n - (size_t)n_empty, order);
    for (int e = 0; e < n_empty; e++) {
        size_t far = order[n - 1 - (size_t)e];
        int32_t old = labels[far];
        int fresh = empty[e];
        for (int f = 0; f < 3; f++) {
            sums[3 * old + f] -= d->x[3 * far + f];
            sums[3 * fresh + f] = d->x[3 * far + f];
        }
        counts[fresh] = 1;
        counts[old] -= 1;
    }
}

void kq_skl_average(double *sums, const size_t *counts, int k)
{
    for (int j = 0; j < k; j++) {
        if (counts[j] == 0)
            continue;
        double alpha = 1.0 / (double)counts[j]; /* multiply, not divide */
        for (int f = 0; f < 3; f++)
            sums[3 * j + f] *= alpha;
    }
}

double kq_skl_shift_total(const double *old_centres,
                          const double *new_centres, int k)
{
    double shift2[KQ_MAX_CLUSTERS];
    for (int j = 0; j < k; j++) {
        double s = sqrt(sq_diff3(&new_centres[3 * j], &old_centres[3 * j]));
        shift2[j] = s * s; /* (center_shift ** 2).sum() */
    }
    return kq_np_sum(shift2, (size_t)k);
}

double kq_skl_inertia(const kq_skl_data *d, const double *centres,
                      const int32_t *labels)
{
    double sum = 0.0;
    for (size_t i = 0; i < d->n; i++)
        sum += sq_diff3(&d->x[3 * i], &centres[3 * labels[i]]);
    return sum;
}

/* ---- one run ---- */

typedef struct {
    double *next;      /* k x 3: sums, then the new centres */
    size_t *counts;    /* k */
    int32_t *old;      /* n: the previous labels */
    double *dist;      /* n: relocation distances */
    size_t *order;     /* n: relocation order */
} lloyd_scratch;

static void scratch_free(lloyd_scratch *s)
{
    free(s->next);
    free(s->counts);
    free(s->old);
    free(s->dist);
    free(s->order);
}

static kq_status scratch_init(lloyd_scratch *s, size_t n, int k)
{
    s->next = alloc_array(3 * (size_t)k, sizeof(double));
    s->counts = alloc_array((size_t)k, sizeof(size_t));
    s->old = alloc_array(n, sizeof(int32_t));
    s->dist = alloc_array(n, sizeof(double));
    s->order = alloc_array(n, sizeof(size_t));
    if (!s->next || !s->counts || !s->old || !s->dist || !s->order) {
        scratch_free(s);
        return KQ_ERR_NOMEM;
    }
    return KQ_OK;
}

kq_status kq_skl_lloyd(const kq_skl_data *d, int k, int max_iter,
                       double *centres, int32_t *labels, int *n_iter,
                       double *inertia)
{
    lloyd_scratch s;
    if (scratch_init(&s, d->n, k) != KQ_OK)
        return KQ_ERR_NOMEM;
    for (size_t i = 0; i < d->n; i++)
        s.old[i] = labels[i] = -1;
    size_t centre_bytes = sizeof(double) * 3 * (size_t)k;
    bool strict = false;
    int it;
    for (it = 0; it < max_iter; it++) {
        kq_skl_assign(d, centres, k, labels);
        kq_skl_accumulate(d, labels, k, s.next, s.counts);
        kq_skl_relocate_empty(d, centres, labels, k, s.next, s.counts,
                              s.dist, s.order);
        kq_skl_average(s.next, s.counts, k);
        double shift = kq_skl_shift_total(centres, s.next, k);
        memcpy(centres, s.next, centre_bytes);
        if (memcmp(labels, s.old, sizeof(int32_t) * d->n) == 0) {
            strict = true;
            break;
        }
        if (shift <= d->tol_abs)
            break;
        memcpy(s.old, labels, sizeof(int32_t) * d->n);
    }
    *n_iter = it < max_iter ? it + 1 : max_iter;
    if (!strict) /* labels for the final centres; centres stay */
        kq_skl_assign(d, centres, k, labels);
    *inertia = kq_skl_inertia(d, centres, labels);
    scratch_free(&s);
    return KQ_OK;
}

/* ---- restarts and the public entry ---- */

bool kq_skl_same_partition(const int32_t *a, const int32_t *b, size_t n,
                           int k)
{
    int32_t map[KQ_MAX_CLUSTERS];
    for (int j = 0; j < k; j++)
        map[j] = -1;
    for (size_t i = 0; i < n; i++) {
        if (map[a[i]] == -1)
            map[a[i]] = b[i];
        else if (map[a[i]] != b[i])
            return false;
    }
    return true;
}

/* The engines' shared checks, plus numpy's seed range (RandomState takes
 * 0..2^32-1). */
static kq_status check_params(const kq_kmeans_params *p, size_t n)
{
    if (p->seed > UINT32_MAX)
        return KQ_ERR_ARGUMENT;
    return kq_kmeans_check_params(p, n);
}

typedef struct {
    double *centres;  /* k x 3, centred */
    int32_t *labels;  /* n */
    int n_iter;
    double inertia;
} run_result;

static void run_free(run_result *r)
{
    free(r->centres);
    free(r->labels);
    r->centres = NULL;
    r->labels = NULL;
}

static kq_status run_init(run_result *r, size_t n, int k)
{
    r->centres = alloc_array(3 * (size_t)k, sizeof(double));
    r->labels = alloc_array(n, sizeof(int32_t));
    if (!r->centres || !r->labels) {
        run_free(r);
        return KQ_ERR_NOMEM;
    }
    return KQ_OK;
}

static kq_status export_result(const kq_skl_data *d, int k,
                               const run_result *best, kq_kmeans_result *out)
{
    out->centroids = alloc_array(3 * (size_t)k, sizeof(double));
    out->labels = alloc_array(d->n, sizeof(kq_label));
    out->counts = calloc((size_t)k, sizeof(size_t));
    if (!out->centroids || !out->labels || !out->counts)
        return KQ_ERR_NOMEM;
    for (int j = 0; j < k; j++)
        for (int f = 0; f < 3; f++)
            out->centroids[3 * j + f] = best->centres[3 * j + f] + d->mean[f];
    for (size_t i = 0; i < d->n; i++) {
        out->labels[i] = (kq_label)best->labels[i];
        out->counts[best->labels[i]]++;
    }
    out->k = k;
    out->k_requested = k; /* this engine keeps k even over equal colours */
    out->n = d->n;
    out->n_iter = best->n_iter;
    out->inertia = best->inertia;
    return KQ_OK;
}

static kq_status run_restarts(const kq_skl_data *d,
                              const kq_kmeans_params *p, run_result *best,
                              run_result *cur)
{
    kq_rng rng;
    kq_rng_seed(&rng, (uint32_t)p->seed);
    for (int run = 0; run < p->n_init; run++) {
        run_result *r = run == 0 ? best : cur;
        kq_status st = kq_skl_kmeanspp(d, p->k, &rng, r->centres);
        if (st == KQ_OK)
            st = kq_skl_lloyd(d, p->k, p->max_iter, r->centres, r->labels,
                              &r->n_iter, &r->inertia);
        if (st != KQ_OK)
            return st;
        if (run > 0 && cur->inertia < best->inertia &&
            !kq_skl_same_partition(cur->labels, best->labels, d->n, p->k)) {
            run_result swap = *best;
            *best = *cur;
            *cur = swap;
        }
    }
    return KQ_OK;
}

kq_status kq_kmeans_fit_sklearn(const float *pixels, size_t n,
                                const kq_kmeans_params *params,
                                kq_kmeans_result *out)
{
    memset(out, 0, sizeof *out);
    kq_status st = check_params(params, n);
    if (st != KQ_OK)
        return st;
    kq_skl_data d;
    if ((st = kq_skl_data_init(&d, pixels, n, params->tol)) != KQ_OK)
        return st;
    run_result best = {0}, cur = {0};
    st = run_init(&best, n, params->k);
    if (st == KQ_OK)
        st = run_init(&cur, n, params->k);
    if (st == KQ_OK)
        st = run_restarts(&d, params, &best, &cur);
    if (st == KQ_OK)
        st = export_result(&d, params->k, &best, out);
    if (st != KQ_OK)
        kq_kmeans_result_free(out);
    run_free(&best);
    run_free(&cur);
    kq_skl_data_free(&d);
    return st;
}
