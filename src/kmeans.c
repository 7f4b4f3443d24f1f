/* kmeans.c - the default k-means engine: greedy k-means++ seeding and
 * Lloyd iterations on the distinct colours, weighted by their counts.
 *
 * Why it is fast and still exact:
 * - The points are the U distinct colours (histogram.c), each weighted by
 *   its pixel count: the same fixed point as clustering all N pixels.
 * - Work is split into fixed chunks of points; every sum is formed per
 *   chunk and the chunk results are added in chunk order, so the thread
 *   count never changes a bit of the result. For 8-bit colours the centroid
 *   sums (count x colour) are integers below 2^53, hence exact.
 * - Above a k threshold the assignment uses Hamerly's bounds (one upper
 *   bound to the own centre, one lower bound to all others per point). The
 *   bounds carry a relative slack far above the kernels' float rounding, so
 *   a point is skipped only when the full scan would surely keep its label:
 *   plain and bounded loops give identical labels and iteration counts.
 *   From NEAR_MIN_K, every centre keeps its neighbours sorted by distance
 *   (neighbours.c): a lower bound then loses only the moves of the own
 *   centre's near neighbours, and a rescan stops at the first neighbours
 *   too far to matter, with the full scan's result.
 * - The nearest-centre, seeding and bound loops are the kernels of
 *   nearest.c (AVX2 or portable, bit-identical).
 * - k-means++ candidates skip whole blocks of 64 points (in Z-order, so a
 *   block is a small box of the cube) that they cannot come closer to.
 * - At small k (<= REFINE_MAX_K), a merge/split refinement escapes poor
 *   local optima and a final run iterates to convergence (see refine()).
 * - With many colours, Lloyd and the refinement run first on coarse
 *   colour cells (seeded from the colours themselves when there are many),
 *   and Lloyd on the colours starts from there (see "coarse to fine").
 *   Near a fixed point the drift loop (one margin per point, whole blocks
 *   skipped) replaces Hamerly's up to DRIFT_MAX_K.
 *
 * The seeding follows scikit-learn's greedy k-means++ with sample weights
 * (2 + floor(ln k) candidates per centre, the one that lowers the weighted
 * potential most wins), drawing from numpy's MT19937 stream. --sklearn mode
 * has its own bit-exact engine elsewhere. */
#include "kq_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CHUNK 4096        /* points per task at least; depends on n and k
                             only: sums must not depend on the thread count */
#define MAX_PARTIALS ((size_t)1 << 21) /* chunks x k partial sums at most */
#define BLOCK 64          /* points per pruning box in seeding; divides CHUNK */
#define SUPER 8           /* blocks per superblock, whose box and largest
                             distance let seeding skip 8 blocks at once;
                             SUPER x BLOCK divides CHUNK */
#define BOUNDS_STEP 256   /* points per bounds pass in Hamerly's loop */
#define BATCH 64          /* points per full scan of contiguous or drift
                             points, and per run of arrivals (apply_scan) */
#define SCAN_BATCH 512    /* failing points gathered for one scan in
                             Hamerly's loop: the neighbour kernel walks
                             those of one own centre together (nearest.c),
                             so more points fill more of its lanes */
#define LABEL_TASK 65536  /* pixels per task when mapping labels */
#define PARALLEL_WORK ((size_t)1 << 18) /* points x k below which threads
                             cost more in wake-ups than they save */
#define HAMERLY_MIN_K 24  /* below this, plain Lloyd wins (measured) */
#define NEAR_MIN_K 65     /* Hamerly with sorted neighbour lists from this k
                             to KQ_NB_MAX_K (measured: no gain at 32 and 64;
                             12 MP photo, k=512: 1.18 -> 0.80 s, k=1024:
                             2.87 -> 1.63 s) */
#define NEAR_GROUPS 3     /* list groups whose moves a lower bound takes */
#define REFINE_MAX_K 32   /* merge/split refinement up to this k */
#define DRIFT_MAX_K 64    /* the drift loop near a fixed point up to this k */
#define REFINE_TRIES 2    /* split candidates tried before giving up */
#define REFINE_MAX 3      /* Lloyd reruns at most */
#define REFINE_PROBE 4    /* iterations before a rerun must look better */
#define POLISH_BOUNDED_K 4 /* polish with Hamerly's loop from this k */
#define COARSE_MIN_POINTS 8192 /* below, a coarse stage saves nothing */
#define COARSE_DROP_BITS 3 /* cells of 8 x 8 x 8 colours at most */
#define CELLS_PER_CENTRE 100
#define SEED_ON_COLOURS_MIN 65536 /* colours from which the coarse stage's
                             seeds are drawn from the colours themselves */
#define FINE_TOL_SHARE 0.3 /* of tol for the run on the colours, k <= 64 */
#define LEVEL_SHRINK 2
/* Over-relaxed steps (see run_lloyd; in runs to unchanged labels only for
 * centres that keep their direction) in the run on the colours after the
 * cells, and above DRIFT_MAX_K also in the run from the seeds. Measured
 * on 13 photos (12 from mate-backgrounds and the 12 MP one) at k = 8, 16,
 * 64, 100 and 256: iterations' time -15% in sum (12 MP, k=256, the
 * k-means part side by side: 433 / 463 -> 378 / 397 ms min / median),
 * inertia at most +0.07% above the plain steps' and down to -1.6% (the
 * plain run stops at the tolerance while still creeping). From the seeds
 * at k <= 64 it was not safe: one photo at k=16 ended 3.2% higher.
 * Below 2 by a margin: near a fixed point the relaxed step multiplies each
 * error mode by 1 - step x (its share of the plain step's pull, in 0..1],
 * so steps of 2 or more do not shrink the modes the plain step settles at
 * once (measured: 2.1 ran away, +58,000% inertia on one photo). 1.5 saved
 * less and ended up to 0.8% higher at k=256. In runs that stop at the
 * tolerance, keeping the longer step only for centres whose plain steps
 * keep their direction (steps 1.8, 2.5, 3.5) was no faster in sum and
 * ended up to 1% higher; runs to unchanged labels use it (run_lloyd). */
#define RELAX_STEP 1.8
/* Above DRIFT_MAX_K the relaxed steps also go on by this share of the
 * centre's last move (Polyak's heavy ball), except after an iteration
 * whose plain step grew: the slow error modes that still creep after the
 * relaxed step shrink by about the square root of their rate instead of
 * the rate. Measured with kq_engine_bench on 13 photos (12 from
 * mate-backgrounds and the 12 MP one) x 3 seeds, against no momentum:
 * k=80: iterations -19%, mean inertia -0.23% (worst +0.40%); k=128: -22%,
 * -0.31% (worst +0.57%); k=256: -10%, -0.48% (worst +0.07%); k=512:
 * -19%, -0.61% (worst +0.07%). 0.4 lowered inertia less, 0.7 ran to
 * max_iter on some photos (oscillation: the steps' stability needs
 * step < 2 (1 + momentum) but label changes break the linear picture).
 * At k <= 64 (the run on the colours only, in the drift loop) it saved
 * 3-8% of the time for a worst case of +0.63%: not kept there. */
#define MOMENTUM 0.5
#define REFINE_GAIN 1e-6  /* relative inertia gain that counts */
#define MAX_TRIALS 16     /* k-means++ candidates per centre, 2 + ln k:
                             10 at KQ_MAX_CLUSTERS */
_Static_assert(KQ_MAX_CLUSTERS <= 1000000, "2 + ln k must fit MAX_TRIALS");
_Static_assert(SCAN_BATCH % BATCH == 0, "apply_scan's runs end at BATCH");
_Static_assert(CHUNK % (SUPER * BLOCK) == 0, "chunks hold whole superblocks");

/* ---- points: the distinct colours (or the raw samples) ---- */

typedef struct {
    kq_points_f p;
    float *xyz;   /* 3 x n floats behind p.x, p.y, p.z */
    double *w;    /* n weights behind p.w */
} point_set;

static void points_free(point_set *ps)
{
    free(ps->xyz);
    free(ps->w);
    memset(ps, 0, sizeof *ps);
}

static kq_status points_alloc(point_set *ps, size_t n)
{
    memset(ps, 0, sizeof *ps);
    size_t values;
    if (!kq_mul_size(n, 3, &values) || values > SIZE_MAX / sizeof(float))
        return KQ_ERR_NOMEM;
    ps->xyz = kq_alloc_large(values * sizeof(float));
    ps->w = kq_alloc_large(n * sizeof(double));
    if (!ps->xyz || !ps->w) {
        points_free(ps);
        return KQ_ERR_NOMEM;
    }
    ps->p.x = ps->xyz;
    ps->p.y = ps->xyz + n;
    ps->p.z = ps->xyz + 2 * n;
    ps->p.w = ps->w;
    ps->p.n = n;
    return KQ_OK;
}

/* The distinct colours, in the histogram's Z-order: consecutive points
 * make compact boxes for the seeding's pruning and the coarse cells. */
static kq_status points_from_histogram(point_set *ps, const kq_histogram *h)
{
    kq_status st = points_alloc(ps, h->n_colours);
    if (st != KQ_OK)
        return st;
    float *x = ps->xyz, *y = x + h->n_colours, *z = y + h->n_colours;
    for (size_t i = 0; i < h->n_colours; i++) {
        uint32_t c = h->colour[i];
        x[i] = (float)(c >> 16);
        y[i] = (float)((c >> 8) & 255);
        z[i] = (float)(c & 255);
        ps->w[i] = h->count[i];
    }
    return KQ_OK;
}

/* Every sample its own point of weight 1 (floats are kept as they are). */
static kq_status points_from_samples(point_set *ps, const unsigned char *rgb,
                                     const float *xyz, size_t n)
{
    kq_status st = points_alloc(ps, n);
    if (st != KQ_OK)
        return st;
    float *x = ps->xyz, *y = x + n, *z = y + n;
    for (size_t i = 0; i < n; i++) {
        x[i] = rgb ? rgb[3 * i] : xyz[3 * i];
        y[i] = rgb ? rgb[3 * i + 1] : xyz[3 * i + 1];
        z[i] = rgb ? rgb[3 * i + 2] : xyz[3 * i + 2];
        ps->w[i] = 1.0;
    }
    return KQ_OK;
}

/* ---- the engine's state for one fit ---- */

typedef struct {
    const kq_points_f *p;
    int k;
    size_t chunk, n_chunks;
    kq_pool *pool;
    kq_kernels kern;
    kq_loop_kind loop;
    double *centres;          /* k x 3, double: the reported centroids */
    float *cx, *cy, *cz;      /* the same rounded to float, for kernels */
    int32_t *label;           /* n */
    float *dist;              /* n: seeding potential / refill distances */
    size_t n_blocks;
    float *box;               /* n_blocks x 6: min, max per channel */
    bool boxes_ready;
    bool prune;               /* seeding skips blocks (off: tests) */
    float *bmax;              /* n_blocks: largest dist in the block */
    size_t n_supers;
    float *sbox;              /* n_supers x 6: the union of SUPER boxes */
    float *sbmax;             /* n_supers: the largest of their bmax */
    double *bpot;             /* n_blocks: the block's potential */
    double *upper, *lower;    /* n: Hamerly bounds (distances, not squared) */
    double *chunk_pot;        /* n_chunks */
    double *chunk_pot_trial;  /* trials x n_chunks (inertia: n_chunks) */
    double *chunk_sums;       /* n_chunks x k x 3 */
    double *chunk_w;          /* n_chunks x k */
    size_t *chunk_changed;    /* n_chunks */
    double *sums, *wsum;      /* k x 3, k: exact for integer colours */
    double *delta, *half_gap; /* k: centre moves, half the gap to the
                                 nearest other centre (Hamerly) */
    double max_delta, second_delta;
    int max_delta_at;
    double *key;              /* n: drift loop, margin + drift when scanned */
    double *bkey;             /* n_blocks: the smallest key of each block */
    double drift;             /* drift loop: twice the summed largest moves */
    kq_neighbours nb;         /* Hamerly from NEAR_MIN_K: sorted neighbours */
    double *near_delta, *far_floor; /* k, with nb: see kq_bounds_args */
    int trials;               /* seeding: candidates per centre */
    float cand[MAX_TRIALS][3]; /* seeding: the candidates being tried */
    int assign_mode;          /* see assign_task */
    double relax;             /* > 1: over-relaxed steps, see run_lloyd */
    double momentum;          /* > 0: heavy-ball steps, see run_lloyd */
    const uint32_t *cell_of;  /* n, or NULL: each point's coarse cell, whose */
    const int32_t *cell_label; /* label starts its first scan (see below) */
} engine;

static void engine_free(engine *e)
{
    void *arrays[] = {e->centres, e->cx, e->label, e->dist, e->box,
                      e->bmax, e->sbox, e->sbmax, e->bpot, e->upper,
                      e->lower, e->chunk_pot, e->chunk_pot_trial,
                      e->chunk_sums,
                      e->chunk_w, e->chunk_changed, e->sums, e->wsum,
                      e->delta, e->half_gap, e->key, e->bkey};
    for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++)
        free(arrays[i]);
    kq_neighbours_free(&e->nb);
    free(e->near_delta);
    free(e->far_floor);
    memset(e, 0, sizeof *e);
}

static kq_status engine_init(engine *e, const kq_points_f *p, int k,
                             kq_pool *pool, const kq_kmeans_engine_options *o)
{
    memset(e, 0, sizeof *e);
    e->p = p;
    e->k = k;
    e->pool = pool;
    e->chunk = CHUNK;
    while ((p->n / e->chunk + 1) * (size_t)k > MAX_PARTIALS)
        e->chunk *= 2;
    e->n_chunks = (p->n + e->chunk - 1) / e->chunk;
    kq_kernels_select(&e->kern, !(o && o->no_simd));
    e->prune = !(o && o->no_prune);
    e->loop = o ? o->loop : KQ_LOOP_AUTO;
    if (e->loop == KQ_LOOP_AUTO)
        e->loop = k >= HAMERLY_MIN_K ? KQ_LOOP_HAMERLY : KQ_LOOP_PLAIN;
    size_t kk = (size_t)k, nc = e->n_chunks, n = p->n;
    e->centres = malloc(sizeof(double) * 3 * kk);
    e->cx = malloc(sizeof(float) * 3 * kk);
    e->label = kq_alloc_large(sizeof(int32_t) * n);
    e->dist = kq_alloc_large(sizeof(float) * n);
    e->chunk_pot = malloc(sizeof(double) * nc);
    e->trials = 2 + (int)log((double)k);
    e->chunk_pot_trial = malloc(sizeof(double) * nc * (size_t)e->trials);
    e->n_blocks = (n + BLOCK - 1) / BLOCK;
    e->box = malloc(sizeof(float) * 6 * e->n_blocks);
    e->bmax = malloc(sizeof(float) * e->n_blocks);
    e->n_supers = (e->n_blocks + SUPER - 1) / SUPER;
    e->sbox = malloc(sizeof(float) * 6 * e->n_supers);
    e->sbmax = malloc(sizeof(float) * e->n_supers);
    e->bpot = malloc(sizeof(double) * e->n_blocks);
    e->chunk_sums = malloc(sizeof(double) * 3 * kk * nc);
    e->chunk_w = malloc(sizeof(double) * kk * nc);
    e->chunk_changed = malloc(sizeof(size_t) * nc);
    e->sums = malloc(sizeof(double) * 3 * kk);
    e->wsum = malloc(sizeof(double) * kk);
    e->delta = malloc(sizeof(double) * kk);
    e->half_gap = malloc(sizeof(double) * kk);
    if (!e->centres || !e->cx || !e->label || !e->dist || !e->chunk_pot ||
        !e->chunk_pot_trial || !e->box || !e->bmax || !e->sbox ||
        !e->sbmax || !e->bpot ||
        !e->chunk_sums ||
        !e->chunk_w || !e->chunk_changed || !e->sums || !e->wsum ||
        !e->delta || !e->half_gap) {
        engine_free(e);
        return KQ_ERR_NOMEM;
    }
    e->cy = e->cx + kk;
    e->cz = e->cx + 2 * kk;
    return KQ_OK;
}

static void chunk_range(const engine *e, size_t t, size_t *begin, size_t *end)
{
    *begin = t * e->chunk;
    *end = *begin + e->chunk < e->p->n ? *begin + e->chunk : e->p->n;
}

static double sum_in_order(const double *v, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += v[i];
    return s;
}

static void set_centre(engine *e, int j, const double c[3])
{
    for (int d = 0; d < 3; d++)
        e->centres[3 * j + d] = c[d];
    e->cx[j] = (float)c[0];
    e->cy[j] = (float)c[1];
    e->cz[j] = (float)c[2];
}

static void set_centre_at_point(engine *e, int j, size_t i)
{
    double c[3] = {e->p->x[i], e->p->y[i], e->p->z[i]};
    set_centre(e, j, c);
}

static kq_centres_f centres_view(const engine *e, int k)
{
    kq_centres_f c = {e->cx, e->cy, e->cz, k};
    return c;
}

/* ---- seeding: scikit-learn's greedy k-means++ with weights ----
 * The points are cut into blocks of BLOCK consecutive colours (sorted, so a
 * block spans a small box of the RGB cube). Each block keeps its potential
 * and its largest distance; a candidate farther from a block's box than
 * that distance cannot lower any of its points, so the block's potential
 * is reused as it is. Potentials are summed block by block in a fixed
 * order, pruned or not, so pruning never changes a draw. */

static void block_range(const engine *e, size_t b, size_t *begin,
                        size_t *end)
{
    *begin = b * BLOCK;
    *end = *begin + BLOCK < e->p->n ? *begin + BLOCK : e->p->n;
}

/* into becomes the smallest box (min, max per channel) holding box too */
static void widen_box(float *into, const float *box)
{
    for (int c = 0; c < 3; c++) {
        float lo = box[2 * c], hi = box[2 * c + 1];
        into[2 * c] = lo < into[2 * c] ? lo : into[2 * c];
        into[2 * c + 1] = hi > into[2 * c + 1] ? hi : into[2 * c + 1];
    }
}

static void compute_boxes(engine *e)
{
    const float *ch[3] = {e->p->x, e->p->y, e->p->z};
    for (size_t b = 0; b < e->n_blocks; b++) {
        size_t i0, i1;
        block_range(e, b, &i0, &i1);
        float *box = &e->box[6 * b];
        for (int c = 0; c < 3; c++) {
            box[2 * c] = box[2 * c + 1] = ch[c][i0];
            for (size_t i = i0 + 1; i < i1; i++) {
                box[2 * c] = ch[c][i] < box[2 * c] ? ch[c][i] : box[2 * c];
                box[2 * c + 1] =
                    ch[c][i] > box[2 * c + 1] ? ch[c][i] : box[2 * c + 1];
            }
        }
    }
    for (size_t s = 0; s < e->n_supers; s++) {
        float *sbox = &e->sbox[6 * s];
        memcpy(sbox, &e->box[6 * s * SUPER], sizeof(float) * 6);
        for (size_t b = s * SUPER + 1; b < (s + 1) * SUPER && b < e->n_blocks;
             b++)
            widen_box(sbox, &e->box[6 * b]);
    }
}

/* True when no point in box (min, max per channel), none of them farther
 * from its nearest centre than farthest, can come closer to cand. */
static bool box_unaffected(const float *box, float farthest,
                           const float cand[3])
{
    double d2 = 0.0;
    for (int c = 0; c < 3; c++) {
        /* lo - v below the box, v - hi above it, 0 inside, without the
         * branches that mispredicted on half the boxes (perf: seeding's
         * largest cost at 12 MP, k=256). In double, sums and differences
         * of these floats (colour values and means) are exact, so this is
         * the gap the branches gave. */
        double v = cand[c], lo = box[2 * c], hi = box[2 * c + 1];
        double gap = 0.5 * (fabs(v - lo) + fabs(v - hi) - (hi - lo));
        d2 += gap * gap;
    }
    /* slack far above the kernels' float rounding (~3e-7 relative) */
    return d2 * (1.0 - KQ_SLACK_REL) > farthest;
}

static bool block_unaffected(const engine *e, size_t b, const float cand[3])
{
    return e->prune && box_unaffected(&e->box[6 * b], e->bmax[b], cand);
}

/* A superblock's box holds its blocks' boxes and its farthest is the
 * largest of theirs, so when it is unaffected each of its blocks is: the
 * same decisions as block by block, for one test instead of SUPER (late
 * in the seeding most candidates reach a few superblocks only). */
static bool super_unaffected(const engine *e, size_t s, const float cand[3])
{
    return e->prune && box_unaffected(&e->sbox[6 * s], e->sbmax[s], cand);
}

static void blocks_of_chunk(const engine *e, size_t t, size_t *b0,
                            size_t *b1)
{
    size_t per = e->chunk / BLOCK;
    *b0 = t * per;
    *b1 = *b0 + per < e->n_blocks ? *b0 + per : e->n_blocks;
}

/* The block after the superblock that starts at block s0, in a chunk
 * whose blocks end at b1. */
static size_t super_end(size_t s0, size_t b1)
{
    return s0 + SUPER < b1 ? s0 + SUPER : b1;
}

/* pot plus the potential of blocks s0..s1-1 (a superblock) with candidate
 * c added, block by block in order. The blocks the candidate may reach
 * are listed first, without a branch per block: whether a block is
 * reached is a coin toss that mispredicted (perf, 12 MP, k=256). */
static double super_trial(const engine *e, size_t s0, size_t s1, int c,
                          double pot)
{
    if (super_unaffected(e, s0 / SUPER, e->cand[c])) {
        for (size_t b = s0; b < s1; b++)
            pot += e->bpot[b];
        return pot;
    }
    double val[SUPER];
    size_t reached[SUPER], m = 0;
    for (size_t b = s0; b < s1; b++) {
        val[b - s0] = e->bpot[b];
        reached[m] = b;
        m += !block_unaffected(e, b, e->cand[c]);
    }
    for (size_t q = 0; q < m; q++) {
        size_t i0, i1;
        block_range(e, reached[q], &i0, &i1);
        val[reached[q] - s0] =
            e->kern.seed_pot(e->p, i0, i1, e->cand[c], e->dist);
    }
    for (size_t b = s0; b < s1; b++)
        pot += val[b - s0];
    return pot;
}

/* chunk_pot_trial[c x n_chunks + t] = chunk t's potential with candidate
 * c added, for every candidate in one task: one wake-up of the pool per
 * centre instead of one per candidate (12 MP, k=256: 256 x 7 jobs of
 * ~10 us each, where the wake-ups made two threads slower than one).
 * Each candidate's sum still runs over the blocks in order. */
static void seed_try_task(void *ctx, size_t t)
{
    engine *e = ctx;
    size_t b0, b1; /* b0 is a multiple of SUPER: chunks are */
    blocks_of_chunk(e, t, &b0, &b1);
    double pot[MAX_TRIALS] = {0};
    for (size_t s0 = b0; s0 < b1; s0 += SUPER) {
        size_t s1 = super_end(s0, b1);
        for (int c = 0; c < e->trials; c++)
            pot[c] = super_trial(e, s0, s1, c, pot[c]);
    }
    for (int c = 0; c < e->trials; c++)
        e->chunk_pot_trial[(size_t)c * e->n_chunks + t] = pot[c];
}

/* Blocks s0..s1-1 (a superblock) with e->cand added: dist, bmax, bpot
 * and the superblock's largest distance. */
static void apply_to_super(engine *e, size_t s0, size_t s1)
{
    float farthest = 0.0f;
    for (size_t b = s0; b < s1; b++) {
        if (!block_unaffected(e, b, e->cand[0])) {
            size_t i0, i1;
            block_range(e, b, &i0, &i1);
            e->bpot[b] = e->kern.seed_apply(e->p, i0, i1, e->cand[0], e->dist,
                                            &e->bmax[b]);
        }
        farthest = e->bmax[b] > farthest ? e->bmax[b] : farthest;
    }
    e->sbmax[s0 / SUPER] = farthest;
}

/* dist = min(dist, distance to e->cand), block data and chunk_pot too. */
static void seed_apply_task(void *ctx, size_t t)
{
    engine *e = ctx;
    size_t b0, b1;
    blocks_of_chunk(e, t, &b0, &b1);
    double pot = 0.0;
    for (size_t s0 = b0; s0 < b1; s0 += SUPER) {
        size_t s1 = super_end(s0, b1);
        if (!super_unaffected(e, s0 / SUPER, e->cand[0]))
            apply_to_super(e, s0, s1);
        for (size_t b = s0; b < s1; b++)
            pot += e->bpot[b];
    }
    e->chunk_pot[t] = pot;
}

static void set_candidate(engine *e, int c, size_t i)
{
    e->cand[c][0] = e->p->x[i];
    e->cand[c][1] = e->p->y[i];
    e->cand[c][2] = e->p->z[i];
}

/* The candidate (of e->trials points) whose addition as a centre leaves
 * the least potential; the first of equals, as numpy's argmin. */
static size_t best_candidate(engine *e, const size_t *cand)
{
    for (int c = 0; c < e->trials; c++)
        set_candidate(e, c, cand[c]);
    kq_pool_run(e->pool, e->n_chunks, seed_try_task, e);
    size_t best = 0;
    double best_pot = INFINITY;
    for (int c = 0; c < e->trials; c++) {
        double pot = sum_in_order(
            e->chunk_pot_trial + (size_t)c * e->n_chunks, e->n_chunks);
        if (pot < best_pot) {
            best_pot = pot;
            best = cand[c];
        }
    }
    return best;
}

static double add_centre_point(engine *e, int j, size_t i)
{
    set_centre_at_point(e, j, i);
    set_candidate(e, 0, i);
    kq_pool_run(e->pool, e->n_chunks, seed_apply_task, e);
    return sum_in_order(e->chunk_pot, e->n_chunks);
}

/* The first point where the running sum of w * dist reaches r (numpy's
 * searchsorted on the cumulative sum), clipped to the last point. */
static size_t pick_by_potential(const engine *e, double r)
{
    double run = 0.0;
    for (size_t b = 0; b < e->n_blocks; b++) {
        if (run + e->bpot[b] < r) {
            run += e->bpot[b];
            continue;
        }
        size_t i0, i1;
        block_range(e, b, &i0, &i1);
        for (size_t i = i0; i < i1; i++) {
            run += e->p->w[i] * e->dist[i];
            if (run >= r)
                return i;
        }
        return i1 - 1;
    }
    return e->p->n - 1;
}

/* A uniformly random pixel's point: randint(N) as numpy draws it, then the
 * point whose cumulative weight passes it. */
static size_t pick_first(const engine *e, kq_rng *rng, double total_w)
{
    double r = (double)kq_rng_below(rng, (uint64_t)total_w);
    double run = 0.0;
    for (size_t i = 0; i < e->p->n; i++) {
        run += e->p->w[i];
        if (run > r)
            return i;
    }
    return e->p->n - 1;
}

static void seed_kmeanspp(engine *e, kq_rng *rng, double total_w)
{
    if (!e->boxes_ready) /* only seeding needs them */
        compute_boxes(e);
    e->boxes_ready = true;
    for (size_t i = 0; i < e->p->n; i++)
        e->dist[i] = INFINITY;
    for (size_t b = 0; b < e->n_blocks; b++)
        e->bmax[b] = INFINITY;
    for (size_t s = 0; s < e->n_supers; s++)
        e->sbmax[s] = INFINITY;
    double pot = add_centre_point(e, 0, pick_first(e, rng, total_w));
    for (int j = 1; j < e->k; j++) {
        double draws[MAX_TRIALS];
        size_t cand[MAX_TRIALS];
        for (int t = 0; t < e->trials; t++)
            draws[t] = kq_rng_uniform(rng) * pot;
        for (int t = 0; t < e->trials; t++)
            cand[t] = pick_by_potential(e, draws[t]);
        pot = add_centre_point(e, j, best_candidate(e, cand));
    }
}

/* ---- assignment ---- */

enum { ASSIGN_PLAIN, ASSIGN_FULL_BOUNDS, ASSIGN_BOUNDED, ASSIGN_GUIDED,
       ASSIGN_FULL_DRIFT, ASSIGN_DRIFT };

/* Distance bounds from the kernels' squared distances (kq_upper_root
 * and this): four float roots cost what one double root does (they were
 * the scans' bottleneck). */
static double lower_of(float sq)
{
    return (double)sqrtf(sq) * (1.0 - KQ_SLACK_REL) - KQ_SLACK_ABS;
}

/* Label changes move weighted colour sums between clusters; a chunk's
 * changes are added up in chunk order later. Arrivals come in runs of one
 * label (the points are Z-ordered), so they are summed in registers and
 * added once per run instead of through memory once per point. For 8-bit
 * colours every sum is an integer below 2^53 and this order changes no
 * bit; for float samples it is still fixed by the points' order within
 * their chunk, whatever the thread count. */
typedef struct {
    double w, x, y, z;
} weighted_colour;

/* Adds c to cluster j's changes (none for j < 0, no cluster yet); a
 * negated c takes it off (negation is exact). */
static void add_colour(double *delta_sums, double *delta_w, int32_t j,
                       weighted_colour c)
{
    if (j < 0)
        return;
    delta_w[j] += c.w;
    delta_sums[3 * j] += c.x;
    delta_sums[3 * j + 1] += c.y;
    delta_sums[3 * j + 2] += c.z;
}

/* What a full scan found for a run of points (the kernel's outputs). */
typedef struct {
    int32_t lab[SCAN_BATCH];
    float best[SCAN_BATCH], second[SCAN_BATCH];
} scan_out;

/* The bounds of the scanned points in a loop of its own, which the
 * compiler vectorises: square roots in SIMD lanes, not one per point
 * between the label updates (perf showed the roots' latency as the
 * largest cost of a drift scan at 240x320, k=8). */
static void bounds_of_scan(const scan_out *s, size_t m, double *up,
                           double *lo)
{
    for (size_t q = 0; q < m; q++) {
        up[q] = kq_upper_root(s->best[q]);
        lo[q] = lower_of(s->second[q]);
    }
}

/* The scanned points' bounds (Hamerly) or keys (drift; see below). */
static void renew_bounds(engine *e, const size_t *idx, size_t i0, size_t m,
                         const scan_out *s)
{
    double up[SCAN_BATCH], lo[SCAN_BATCH];
    bounds_of_scan(s, m, up, lo);
    for (size_t q = 0; q < m; q++) {
        size_t i = idx ? idx[q] : i0 + q;
        if (e->assign_mode >= ASSIGN_FULL_DRIFT) {
            e->key[i] = lo[q] - up[q] + e->drift;
        } else {
            e->upper[i] = up[q];
            e->lower[i] = lo[q];
        }
    }
}

/* Applies a full scan of the points idx[0..m-1] (idx NULL: i0..i0+m-1):
 * moves the changed labels, renews the bounds (Hamerly) or keys (drift;
 * see below); returns how many changed label. Runs of arrivals end at
 * every BATCH points, so the sums of float samples are added in the same
 * order whatever the number of points a scan took. */
static size_t apply_scan(engine *e, const size_t *idx, size_t i0, size_t m,
                         const scan_out *s, double *delta_sums,
                         double *delta_w)
{
    weighted_colour run = {0, 0, 0, 0};
    int32_t run_to = -1;
    size_t changed = 0;
    for (size_t q = 0; q < m; q++) {
        if (q % BATCH == 0) {
            add_colour(delta_sums, delta_w, run_to, run);
            run = (weighted_colour){0, 0, 0, 0};
            run_to = -1;
        }
        size_t i = idx ? idx[q] : i0 + q;
        int32_t to = s->lab[q];
        if (e->label[i] == to)
            continue;
        double w = e->p->w[i];
        weighted_colour c = {w, w * e->p->x[i], w * e->p->y[i],
                             w * e->p->z[i]};
        add_colour(delta_sums, delta_w, e->label[i],
                   (weighted_colour){-c.w, -c.x, -c.y, -c.z});
        if (to != run_to) {
            add_colour(delta_sums, delta_w, run_to, run);
            run = (weighted_colour){0, 0, 0, 0};
            run_to = to;
        }
        run.w += c.w;
        run.x += c.x;
        run.y += c.y;
        run.z += c.z;
        e->label[i] = to;
        changed++;
    }
    add_colour(delta_sums, delta_w, run_to, run);
    if (e->assign_mode != ASSIGN_PLAIN)
        renew_bounds(e, idx, i0, m, s);
    return changed;
}

/* perm: 0..m-1 ordered by own[q], stably (a counting sort; k is at most
 * KQ_NB_MAX_K where there are neighbour lists). */
static void order_by_own(const int32_t *own, size_t m, int k, uint32_t *perm)
{
    uint32_t start[KQ_NB_MAX_K + 1];
    memset(start, 0, sizeof(uint32_t) * ((size_t)k + 1));
    for (size_t q = 0; q < m; q++)
        start[own[q] + 1]++;
    for (int j = 0; j < k; j++)
        start[j + 1] += start[j];
    for (size_t q = 0; q < m; q++)
        perm[start[own[q]]++] = (uint32_t)q;
}

/* Neighbour scans of the points idx[0..m-1], m <= SCAN_BATCH, each within
 * up[q] of its own centre own[q]; results in s, in the points' order.
 * The kernel gets them gathered and grouped by own centre: it walks the
 * points of one centre together (nearest.c), and a point's results do not
 * depend on its neighbours in the batch. */
static void scan_near(engine *e, const size_t *idx, const int32_t *own,
                      const double *up, size_t m, scan_out *s)
{
    if (m == 0)
        return;
    uint32_t perm[SCAN_BATCH];
    struct {
        float x[SCAN_BATCH], y[SCAN_BATCH], z[SCAN_BATCH];
        int32_t own[SCAN_BATCH];
        double up[SCAN_BATCH];
    } g; /* the points in perm's order */
    scan_out r;
    order_by_own(own, m, e->k, perm);
    size_t q = 0;
    do { /* m >= 1: a do loop, or gcc 12 warns that g may be unset */
        size_t i = idx[perm[q]];
        /* apply_scan reads the weight of those that change label: without
         * this its load missed the cache (a fifth of the rescans' loop) */
        __builtin_prefetch(e->p->w + i);
        g.x[q] = e->p->x[i];
        g.y[q] = e->p->y[i];
        g.z[q] = e->p->z[i];
        g.own[q] = own[perm[q]];
        g.up[q] = up[perm[q]];
    } while (++q < m);
    e->kern.nearest_near(g.x, g.y, g.z, g.own, g.up, m, &e->nb, r.lab,
                         r.best, r.second);
    for (q = 0; q < m; q++) {
        s->lab[perm[q]] = r.lab[q];
        s->best[perm[q]] = r.best[q];
        s->second[perm[q]] = r.second[q];
    }
}

/* Full scans of the points idx[0..m-1], m <= SCAN_BATCH, for the bounded
 * loops: from the own centre's neighbour list where there is one, else
 * of every centre (gathered so the kernel sees contiguous arrays). */
static size_t scan_points(engine *e, const size_t *idx, size_t m,
                          double *delta_sums, double *delta_w)
{
    scan_out s;
    if (e->assign_mode == ASSIGN_BOUNDED && e->nb.order) {
        int32_t own[SCAN_BATCH];
        double up[SCAN_BATCH];
        for (size_t q = 0; q < m; q++) {
            own[q] = e->label[idx[q]];
            up[q] = e->upper[idx[q]];
        }
        scan_near(e, idx, own, up, m, &s);
    } else {
        float x[SCAN_BATCH], y[SCAN_BATCH], z[SCAN_BATCH];
        for (size_t q = 0; q < m; q++) {
            x[q] = e->p->x[idx[q]];
            y[q] = e->p->y[idx[q]];
            z[q] = e->p->z[idx[q]];
        }
        kq_points_f batch = {x, y, z, NULL, m};
        kq_centres_f c = centres_view(e, e->k);
        e->kern.nearest(&batch, 0, m, &c, s.lab, s.best, s.second);
    }
    return apply_scan(e, idx, 0, m, &s, delta_sums, delta_w);
}

/* Full scans of the contiguous points b..end-1. */
static size_t assign_range_full(engine *e, size_t b, size_t end,
                                double *delta_sums, double *delta_w)
{
    scan_out s;
    kq_centres_f c = centres_view(e, e->k);
    size_t changed = 0;
    for (size_t i0 = b; i0 < end; i0 += BATCH) {
        size_t i1 = i0 + BATCH < end ? i0 + BATCH : end;
        e->kern.nearest(e->p, i0, i1, &c, s.lab, s.best, s.second);
        changed += apply_scan(e, NULL, i0, i1 - i0, &s, delta_sums, delta_w);
    }
    return changed;
}

/* The first scan of the run on the colours after the cells: each colour's
 * nearest centre is almost always its cell's or a near neighbour of it,
 * so the scan starts from the cell's label and walks that centre's
 * neighbour list (nearest.c), with the full scan's label, best and
 * second, instead of scanning every centre (12 MP, k=256: 408,819
 * colours x 256 centres). */
static size_t assign_range_guided(engine *e, size_t b, size_t end,
                                  double *delta_sums, double *delta_w)
{
    const kq_points_f *p = e->p;
    scan_out s;
    size_t idx[SCAN_BATCH];
    int32_t own[SCAN_BATCH];
    double up[SCAN_BATCH];
    size_t changed = 0;
    for (size_t i0 = b; i0 < end; i0 += SCAN_BATCH) {
        size_t m = end - i0 < SCAN_BATCH ? end - i0 : SCAN_BATCH;
        for (size_t q = 0; q < m; q++) {
            size_t i = i0 + q;
            int32_t j = e->cell_label[e->cell_of[i]];
            idx[q] = i;
            own[q] = j;
            up[q] = kq_upper_root(kq_sq_dist_f(p->x[i], p->y[i], p->z[i],
                                               e->cx[j], e->cy[j], e->cz[j]));
        }
        scan_near(e, idx, own, up, m, &s);
        changed += apply_scan(e, NULL, i0, m, &s, delta_sums, delta_w);
    }
    return changed;
}

/* Hamerly: the bounds kernel moves the bounds by the last centre shifts,
 * skips points whose own centre is provably the strict nearest and
 * tightens the upper bound of the others; what is left is scanned. */
static size_t assign_range_bounded(engine *e, size_t b, size_t end,
                                   double *delta_sums, double *delta_w)
{
    kq_bounds_args args = {e->label, e->upper, e->lower, e->delta,
                           e->half_gap, e->max_delta, e->second_delta,
                           e->max_delta_at, e->near_delta, e->far_floor,
                           *e->p, centres_view(e, e->k)};
    uint32_t fail[BOUNDS_STEP];
    size_t idx[SCAN_BATCH], m = 0, changed = 0;
    for (size_t s0 = b; s0 < end; s0 += BOUNDS_STEP) {
        size_t s1 = s0 + BOUNDS_STEP < end ? s0 + BOUNDS_STEP : end;
        size_t n_fail = e->kern.bounds(&args, s0, s1, fail);
        for (size_t f = 0; f < n_fail; f++) {
            idx[m++] = fail[f];
            if (m == SCAN_BATCH) {
                changed += scan_points(e, idx, m, delta_sums, delta_w);
                m = 0;
            }
        }
    }
    return changed + scan_points(e, idx, m, delta_sums, delta_w);
}

/* ---- the drift loop (small k, near a fixed point) ----
 * Hamerly's loop still visits every point each iteration. Here a point
 * keeps one number: key = (lower bound - upper bound) when last scanned,
 * plus the drift at that time, where the drift sums twice the largest
 * centre move of every iteration since. Its label is provably still the
 * strict nearest while key > drift. Points are in Z-order and each block
 * of BLOCK points keeps its smallest key, so an iteration looks only at
 * the blocks that hold a point whose key the drift has reached: near the
 * fixed point, a few blocks along the Voronoi boundaries. */

/* The smallest key of block b, in four interleaved chains: one chain of
 * dependent compares cost 4 cycles a key (a minimum is exact, so the
 * order changes nothing). */
static void block_min_key(engine *e, size_t b)
{
    size_t i0, i1;
    block_range(e, b, &i0, &i1);
    double m[4] = {INFINITY, INFINITY, INFINITY, INFINITY};
    size_t i = i0;
    for (; i + 4 <= i1; i += 4)
        for (int q = 0; q < 4; q++)
            m[q] = e->key[i + (size_t)q] < m[q] ? e->key[i + (size_t)q] : m[q];
    for (; i < i1; i++)
        m[0] = e->key[i] < m[0] ? e->key[i] : m[0];
    double lo = m[0] < m[1] ? m[0] : m[1], hi = m[2] < m[3] ? m[2] : m[3];
    e->bkey[b] = lo < hi ? lo : hi;
}

/* Scans the gathered points (in kernel-sized batches), then renews the
 * smallest key of the blocks they came from. */
static size_t scan_gathered(engine *e, const size_t *idx, size_t m,
                            const size_t *blocks, size_t n_blocks,
                            double *delta_sums, double *delta_w)
{
    size_t changed = 0;
    for (size_t q = 0; q < m; q += BATCH)
        changed += scan_points(e, idx + q, m - q < BATCH ? m - q : BATCH,
                               delta_sums, delta_w);
    for (size_t q = 0; q < n_blocks; q++)
        block_min_key(e, blocks[q]);
    return changed;
}

/* The first drift pass: chunk t scanned whole, then its blocks' keys. */
static size_t assign_chunk_full_drift(engine *e, size_t t, double *delta_sums,
                                      double *delta_w)
{
    size_t b0, b1, i0, i1;
    chunk_range(e, t, &i0, &i1);
    size_t changed = assign_range_full(e, i0, i1, delta_sums, delta_w);
    blocks_of_chunk(e, t, &b0, &b1);
    for (size_t b = b0; b < b1; b++)
        block_min_key(e, b);
    return changed;
}

/* The points of chunk t whose key the drift has reached. Near the fixed
 * point a block holds one or two such points, so they are gathered across
 * blocks: the SIMD kernel then fills its lanes instead of scanning one
 * point at a time. */
static size_t assign_blocks_drift(engine *e, size_t t, double *delta_sums,
                                  double *delta_w)
{
    size_t b0, b1, i0, i1, idx[BATCH + BLOCK], blocks[BATCH];
    size_t m = 0, n_blocks = 0, changed = 0;
    blocks_of_chunk(e, t, &b0, &b1);
    for (size_t b = b0; b < b1; b++) {
        if (e->bkey[b] > e->drift)
            continue;
        block_range(e, b, &i0, &i1);
        for (size_t i = i0; i < i1; i++) { /* branch-free: mostly not */
            idx[m] = i;
            m += e->key[i] <= e->drift;
        }
        blocks[n_blocks++] = b;
        if (m >= BATCH || n_blocks == BATCH) {
            changed += scan_gathered(e, idx, m, blocks, n_blocks, delta_sums,
                                     delta_w);
            m = n_blocks = 0;
        }
    }
    return changed + scan_gathered(e, idx, m, blocks, n_blocks, delta_sums,
                                   delta_w);
}

static void assign_task(void *ctx, size_t t)
{
    engine *e = ctx;
    size_t b, end;
    chunk_range(e, t, &b, &end);
    size_t kk = (size_t)e->k;
    double *ds = e->chunk_sums + 3 * kk * t, *dw = e->chunk_w + kk * t;
    memset(ds, 0, sizeof(double) * 3 * kk);
    memset(dw, 0, sizeof(double) * kk);
    if (e->assign_mode == ASSIGN_BOUNDED)
        e->chunk_changed[t] = assign_range_bounded(e, b, end, ds, dw);
    else if (e->assign_mode == ASSIGN_GUIDED)
        e->chunk_changed[t] = assign_range_guided(e, b, end, ds, dw);
    else if (e->assign_mode == ASSIGN_FULL_DRIFT)
        e->chunk_changed[t] = assign_chunk_full_drift(e, t, ds, dw);
    else if (e->assign_mode == ASSIGN_DRIFT)
        e->chunk_changed[t] = assign_blocks_drift(e, t, ds, dw);
    else
        e->chunk_changed[t] = assign_range_full(e, b, end, ds, dw);
}

/* Near the fixed point a drift iteration scans a few blocks: waking the
 * workers would cost more than the scans (the result never depends on
 * which thread runs a chunk). */
static bool drift_scan_is_small(const engine *e)
{
    size_t blocks = 0;
    for (size_t b = 0; b < e->n_blocks; b++)
        blocks += e->bkey[b] <= e->drift;
    return blocks * BLOCK * (size_t)e->k < PARALLEL_WORK;
}

/* Assigns every point to its nearest centre; returns how many changed. */
static size_t assign_labels(engine *e, bool first)
{
    if (e->loop == KQ_LOOP_PLAIN)
        e->assign_mode = ASSIGN_PLAIN;
    else if (e->loop == KQ_LOOP_DRIFT)
        e->assign_mode = first ? ASSIGN_FULL_DRIFT : ASSIGN_DRIFT;
    else if (!first)
        e->assign_mode = ASSIGN_BOUNDED;
    else
        e->assign_mode = e->cell_of && e->nb.order ? ASSIGN_GUIDED
                                                   : ASSIGN_FULL_BOUNDS;
    bool serial = e->assign_mode == ASSIGN_DRIFT && drift_scan_is_small(e);
    kq_pool_run(serial ? NULL : e->pool, e->n_chunks, assign_task, e);
    size_t changed = 0, kk = (size_t)e->k;
    for (size_t t = 0; t < e->n_chunks; t++) {
        changed += e->chunk_changed[t];
        if (e->chunk_changed[t] == 0)
            continue;
        for (size_t v = 0; v < 3 * kk; v++)
            e->sums[v] += e->chunk_sums[3 * kk * t + v];
        for (size_t j = 0; j < kk; j++)
            e->wsum[j] += e->chunk_w[kk * t + j];
    }
    return changed;
}

/* ---- centroid sums ----
 * assign_labels keeps e->sums and e->wsum current: each chunk adds up what
 * its label changes moved, and the chunks' changes are applied in chunk
 * order. For 8-bit colours every sum is an integer below 2^53, so the
 * result is exact and the same as summing from scratch. */

/* The point farthest from its centre among clusters that keep another
 * point without it, ties to the lowest index; n if there is none. */
static size_t farthest_spare_point(const engine *e)
{
    size_t best = e->p->n;
    float best_d = -1.0f;
    for (size_t i = 0; i < e->p->n; i++) {
        if (e->wsum[e->label[i]] > e->p->w[i] && e->dist[i] > best_d) {
            best_d = e->dist[i];
            best = i;
        }
    }
    return best;
}

/* Empty clusters (in ascending order) each take the point farthest from
 * its own centre, as scikit-learn does. Rare, so plainly serial. */
static void refill_empty_clusters(engine *e)
{
    bool any = false;
    for (int j = 0; j < e->k && !any; j++)
        any = e->wsum[j] == 0.0;
    if (!any)
        return;
    for (size_t i = 0; i < e->p->n; i++) {
        int a = e->label[i];
        e->dist[i] = kq_sq_dist_f(e->p->x[i], e->p->y[i], e->p->z[i],
                                  e->cx[a], e->cy[a], e->cz[a]);
    }
    for (int empty = 0; empty < e->k; empty++) {
        if (e->wsum[empty] != 0.0)
            continue;
        size_t f = farthest_spare_point(e);
        if (f == e->p->n)
            return;
        int old = e->label[f];
        double w = e->p->w[f], xyz[3] = {e->p->x[f], e->p->y[f], e->p->z[f]};
        for (int d = 0; d < 3; d++) {
            e->sums[3 * old + d] -= w * xyz[d];
            e->sums[3 * empty + d] = w * xyz[d];
        }
        e->wsum[old] -= w;
        e->wsum[empty] = w;
        e->label[f] = empty;
        e->dist[f] = 0.0f;
        if (e->upper) { /* force a full scan next time */
            e->upper[f] = INFINITY;
            e->lower[f] = 0.0;
        }
        if (e->key) {
            e->key[f] = -INFINITY;
            e->bkey[f / BLOCK] = -INFINITY;
        }
    }
}

/* Half gaps from each centre's squared distance to its nearest other one
 * (gap_sq may be e->half_gap itself). */
static void half_gaps_of(engine *e, const double *gap_sq)
{
    for (int j = 0; j < e->k; j++)
        e->half_gap[j] = 0.5 * sqrt(gap_sq[j]) * (1.0 - KQ_SLACK_REL);
}

/* Half the distance from each centre to its nearest other one. Each pair
 * once, squared distances compared and one root taken per centre (sqrt is
 * monotonic and correctly rounded: the same result as comparing roots);
 * this runs serially on every bounded iteration (12 MP, k=256: 118). */
static void update_half_gaps(engine *e)
{
    double *gap_sq = e->half_gap;
    for (int j = 0; j < e->k; j++)
        gap_sq[j] = INFINITY;
    for (int i = 0; i < e->k; i++) {
        double xi = e->cx[i], yi = e->cy[i], zi = e->cz[i], own = gap_sq[i];
        for (int j = i + 1; j < e->k; j++) {
            double dx = xi - e->cx[j], dy = yi - e->cy[j], dz = zi - e->cz[j];
            double d = dx * dx + dy * dy + dz * dz;
            own = d < own ? d : own;
            gap_sq[j] = d < gap_sq[j] ? d : gap_sq[j];
        }
        gap_sq[i] = own;
    }
    half_gaps_of(e, gap_sq);
}

/* Per centre a, for Hamerly's lower bounds: the largest move among the
 * centres of a's first NEAR_GROUPS list groups, and a lower bound on a's
 * distance to all others (measured at 12 MP, k=256: 20% fewer points
 * fail their bounds than with the largest move of all, 35% fewer scans;
 * 3 groups did best of 1 to 6). */
_Static_assert(NEAR_MIN_K > NEAR_GROUPS * KQ_NB_GROUP,
               "the near groups must leave centres beyond them");
static void update_near_moves(engine *e)
{
    const kq_neighbours *nb = &e->nb;
    int groups = nb->stride / KQ_NB_GROUP;
    for (int a = 0; a < e->k; a++) {
        const int32_t *order = nb->order + (size_t)a * (size_t)nb->stride;
        double most = 0.0;
        for (int r = 0; r < NEAR_GROUPS * KQ_NB_GROUP; r++)
            if (order[r] != a && e->delta[order[r]] > most)
                most = e->delta[order[r]];
        e->near_delta[a] = most;
        e->far_floor[a] = nb->floor[(size_t)a * (size_t)groups + NEAR_GROUPS];
    }
}

/* Hamerly's per-centre numbers after a move (old float centres in prev). */
static void update_bounds_data(engine *e, const float *prev)
{
    e->max_delta = e->second_delta = 0.0;
    e->max_delta_at = -1; /* matches no label */
    size_t kk = (size_t)e->k;
    for (int j = 0; j < e->k; j++) {
        double dx = (double)e->cx[j] - prev[j],
               dy = (double)e->cy[j] - prev[kk + j],
               dz = (double)e->cz[j] - prev[2 * kk + j];
        double d = sqrt(dx * dx + dy * dy + dz * dz);
        d = d > 0.0 ? d * (1.0 + KQ_SLACK_REL) + KQ_SLACK_ABS : 0.0;
        e->delta[j] = d;
        if (d > e->max_delta) {
            e->second_delta = e->max_delta;
            e->max_delta = d;
            e->max_delta_at = j;
        } else if (d > e->second_delta) {
            e->second_delta = d;
        }
    }
    if (e->nb.order) {
        kq_centres_f c = centres_view(e, e->k);
        kq_neighbours_update(&e->nb, &c, e->kern.list_coords, e->pool);
        half_gaps_of(e, e->nb.gap2);
        update_near_moves(e);
    } else {
        update_half_gaps(e);
    }
}

/* Centre j's plain step: from where it is to its cluster's mean. */
static void step_to_mean(const engine *e, int j, double d[3])
{
    for (int q = 0; q < 3; q++)
        d[q] = e->sums[3 * j + q] / e->wsum[j] - e->centres[3 * j + q];
}

/* The summed squared shift of the centres to their means. */
static double shift_to_means(const engine *e)
{
    double shift = 0.0;
    for (int j = 0; j < e->k; j++) {
        if (e->wsum[j] == 0.0)
            continue;
        double d[3];
        step_to_mean(e, j, d);
        for (int q = 0; q < 3; q++)
            shift += d[q] * d[q];
    }
    return shift;
}

/* The step for centre j whose plain step is d: `step`, unless `last`
 * (its plain step of the last iteration, zero after a plain iteration)
 * is given and d does not go on in its direction. */
static double step_of(const double d[3], const double *last, double step)
{
    if (!last || step == 1.0)
        return step;
    double along = d[0] * last[0] + d[1] * last[1] + d[2] * last[2];
    return along > 0.0 ? step : 1.0;
}

/* Moves centres to their means (step 1), or past them along the same
 * line (step > 1); last: see step_of, renewed here (NULL: none). With
 * `before` (the centres before the last update, renewed here) a relaxed
 * step also goes on by `beta` times the last move (heavy ball). */
static void update_centres(engine *e, float *prev, double step, double *last,
                           double *before, double beta)
{
    memcpy(prev, e->cx, sizeof(float) * 3 * (size_t)e->k);
    for (int j = 0; j < e->k; j++) {
        double *c = &e->centres[3 * j];
        if (e->wsum[j] == 0.0) {
            if (before)
                memcpy(&before[3 * j], c, sizeof(double) * 3);
            continue;
        }
        double m[3], d[3];
        step_to_mean(e, j, d);
        double s = step_of(d, last ? &last[3 * j] : NULL, step);
        for (int q = 0; q < 3; q++) {
            m[q] = s == 1.0 ? e->sums[3 * j + q] / e->wsum[j]
                            : c[q] + s * d[q];
            if (s != 1.0 && before)
                m[q] += beta * (c[q] - before[3 * j + q]);
            if (last)
                last[3 * j + q] = step == 1.0 ? 0.0 : d[q];
            if (before)
                before[3 * j + q] = c[q];
        }
        set_centre(e, j, m);
    }
    if (e->loop == KQ_LOOP_HAMERLY || e->loop == KQ_LOOP_DRIFT)
        update_bounds_data(e, prev);
    if (e->loop == KQ_LOOP_DRIFT)
        e->drift += 2.0 * e->max_delta;
}

/* Hamerly's loop keeps sorted neighbour lists for these k. */
static bool keeps_neighbour_lists(int k)
{
    return k >= NEAR_MIN_K && k <= KQ_NB_MAX_K;
}

static kq_status alloc_bounds(engine *e)
{
    if (e->loop == KQ_LOOP_DRIFT && !e->key) {
        e->key = kq_alloc_large(sizeof(double) * e->p->n);
        e->bkey = malloc(sizeof(double) * e->n_blocks);
        return e->key && e->bkey ? KQ_OK : KQ_ERR_NOMEM;
    }
    if (e->loop != KQ_LOOP_HAMERLY || e->upper)
        return KQ_OK;
    e->upper = kq_alloc_large(sizeof(double) * e->p->n);
    e->lower = kq_alloc_large(sizeof(double) * e->p->n);
    if (!e->upper || !e->lower)
        return KQ_ERR_NOMEM;
    if (!keeps_neighbour_lists(e->k))
        return KQ_OK;
    e->near_delta = malloc(sizeof(double) * (size_t)e->k);
    e->far_floor = malloc(sizeof(double) * (size_t)e->k);
    if (!e->near_delta || !e->far_floor)
        return KQ_ERR_NOMEM;
    return kq_neighbours_init(&e->nb, e->k);
}

/* Runs Lloyd from the current centres; returns the iterations done, or -1
 * when memory runs out. Stops as scikit-learn does: on unchanged labels,
 * or once the step to the means is no more than tol_abs; either way the
 * centres end at the means of their clusters.
 *
 * With e->relax > 1 the centres step that much farther than the means
 * while labels change (over-relaxation). Near a fixed point Lloyd creeps:
 * the clusters' means move a little in the same direction iteration after
 * iteration, and a longer step saves iterations. Each step still goes to
 * where the means pull, and a run ends with a plain step, so it ends at a
 * fixed point or at the tolerance as a plain run would (not the same one:
 * the path differs). Unchanged labels after a longer step mean the means
 * did not move, but the centres are past them: a plain step goes back.
 * A run to unchanged labels (tol_abs 0) takes the longer step only for
 * centres whose plain step goes on in the direction of their last one:
 * near its end a longer step overshoots and unsettles the boundary
 * colours. The tutorial photo at k=3 took 9 iterations in all with plain
 * steps, 15 with longer steps for every centre, 9 with this rule (k-means
 * part 1.00 / 1.50 / 1.15 ms, medians side by side). On 14 photos at
 * 240x320, k = 2..10: 3,283 iterations plain, 2,433 longer for all, 2,377
 * with the rule, never a higher inertia than plain. Runs that stop at the
 * tolerance keep the longer step for every centre: there the rule ended
 * up to 1% higher (k = 100, 256). With e->momentum (runs to a tolerance
 * above 0 only) each relaxed step also goes on by that share of the
 * centre's last move, but not right after an iteration whose plain step
 * grew (see MOMENTUM). */
static int run_lloyd(engine *e, int max_iter, double tol_abs)
{
    bool directional = e->relax > 1.0 && tol_abs == 0.0;
    bool heavy = e->relax > 1.0 && !directional && e->momentum > 0.0;
    float *prev = malloc(sizeof(float) * 3 * (size_t)e->k);
    double *last =
        directional ? calloc(3 * (size_t)e->k, sizeof(double)) : NULL;
    double *before = heavy ? malloc(sizeof(double) * 3 * (size_t)e->k) : NULL;
    if (!prev || (directional && !last) || (heavy && !before) ||
        alloc_bounds(e) != KQ_OK) {
        free(prev);
        free(last);
        free(before);
        return -1;
    }
    if (before)
        memcpy(before, e->centres, sizeof(double) * 3 * (size_t)e->k);
    if (e->cell_of && e->nb.order) { /* the guided first scan needs them */
        kq_centres_f c = centres_view(e, e->k);
        kq_neighbours_update(&e->nb, &c, e->kern.list_coords, e->pool);
    }
    double last_shift = INFINITY;
    for (size_t i = 0; i < e->p->n; i++)
        e->label[i] = -1;
    memset(e->sums, 0, sizeof(double) * 3 * (size_t)e->k);
    memset(e->wsum, 0, sizeof(double) * (size_t)e->k);
    int it;
    bool strict = false, past_means = false;
    for (it = 0; it < max_iter; it++) {
        size_t changed = assign_labels(e, it == 0);
        if (changed == 0 && !past_means) {
            strict = true;
            break;
        }
        refill_empty_clusters(e);
        double shift = shift_to_means(e);
        if (shift <= tol_abs) {
            update_centres(e, prev, 1.0, last, NULL, 0.0);
            break;
        }
        past_means = e->relax > 1.0 && changed > 0 && it + 1 < max_iter;
        double beta = shift <= last_shift ? e->momentum : 0.0;
        last_shift = shift;
        update_centres(e, prev, past_means ? e->relax : 1.0, last, before,
                       beta);
    }
    if (!strict) /* labels must match the final centres */
        assign_labels(e, false);
    free(prev);
    free(last);
    free(before);
    return it < max_iter ? it + 1 : max_iter;
}

static double point_cost(const engine *e, size_t i)
{
    const double *c = &e->centres[3 * e->label[i]];
    double dx = e->p->x[i] - c[0], dy = e->p->y[i] - c[1],
           dz = e->p->z[i] - c[2];
    return e->p->w[i] * (dx * dx + dy * dy + dz * dz);
}

/* Chain q sums the points b + q, b + q + 4, ... (the same order as
 * before, so the same bits): four named chains stay in registers, where an
 * array indexed by (i - b) & 3 went through memory (perf, 240x320 k=8:
 * 5.7% -> 4.5% of the fit). */
static void inertia_task(void *ctx, size_t t)
{
    engine *e = ctx;
    size_t b, end;
    chunk_range(e, t, &b, &end);
    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
    size_t i = b;
    for (; i + 4 <= end; i += 4) {
        s0 += point_cost(e, i);
        s1 += point_cost(e, i + 1);
        s2 += point_cost(e, i + 2);
        s3 += point_cost(e, i + 3);
    }
    if (i < end)
        s0 += point_cost(e, i++);
    if (i < end)
        s1 += point_cost(e, i++);
    if (i < end)
        s2 += point_cost(e, i);
    e->chunk_pot_trial[t] = (s0 + s1) + (s2 + s3);
}

static double total_inertia(engine *e)
{
    kq_pool_run(e->pool, e->n_chunks, inertia_task, e);
    return sum_in_order(e->chunk_pot_trial, e->n_chunks);
}

/* scikit-learn's tolerance: tol times the mean per-channel variance.
 * One pass of sums of w, w x and w x^2: exact for integer colours and
 * counts, and free of the long dependent chain of a two-pass variance. */
static double tolerance_of_sums(const double s[3], const double q[3],
                                double total_w, double tol)
{
    double mx = s[0] / total_w, my = s[1] / total_w, mz = s[2] / total_w;
    double var_sum = q[0] / total_w - mx * mx + q[1] / total_w - my * my +
                     q[2] / total_w - mz * mz;
    return tol * (var_sum > 0.0 ? var_sum : 0.0) / 3.0;
}

static double absolute_tolerance(const kq_points_f *p, double total_w,
                                 double tol)
{
    double s[3] = {0, 0, 0}, q[3] = {0, 0, 0};
    for (size_t i = 0; i < p->n; i++) {
        double w = p->w[i], x = p->x[i], y = p->y[i], z = p->z[i];
        s[0] += w * x;
        s[1] += w * y;
        s[2] += w * z;
        q[0] += w * x * x;
        q[1] += w * y * y;
        q[2] += w * z * z;
    }
    return tolerance_of_sums(s, q, total_w, tol);
}

/* The same from integer sums of count x v and count x v^2 per channel
 * (the double sums above are exact for integer colours: the same bits). */
typedef struct {
    uint64_t s[3], q[3];
} colour_moments;

static double tolerance_of_moments(const colour_moments *m, double total_w,
                                   double tol)
{
    double s[3], q[3];
    for (int c = 0; c < 3; c++) {
        s[c] = (double)m->s[c];
        q[c] = (double)m->q[c];
    }
    return tolerance_of_sums(s, q, total_w, tol);
}

/* ---- public ---- */

void kq_kmeans_params_default(kq_kmeans_params *params)
{
    params->k = 8;
    params->seed = 42;
    params->n_init = 1;
    params->max_iter = 300;
    params->tol = 1e-4;
    params->threads = 0;
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

kq_status kq_kmeans_check_params(const kq_kmeans_params *p, size_t n)
{
    if (p->k < 1 || p->k > KQ_MAX_CLUSTERS || p->n_init < 1 ||
        p->max_iter < 1 || !(p->tol >= 0.0) || isinf(p->tol) ||
        p->threads < 0)
        return KQ_ERR_ARGUMENT;
    if (n == 0 || (size_t)p->k > n || n > (size_t)INT32_MAX)
        return KQ_ERR_DATA;
    return KQ_OK;
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) +
           (double)(t1.tv_nsec - t0->tv_nsec) * 1e-9;
}

/* The best restart so far, per point. */
typedef struct {
    double *centres;
    int32_t *label;
    double *wsum;
    int n_iter;
    double inertia;
    bool any;
} best_run;

static kq_status keep_if_better(best_run *b, const engine *e, int n_iter,
                                double inertia)
{
    if (b->any && !(inertia < b->inertia))
        return KQ_OK;
    size_t kk = (size_t)e->k;
    if (!b->centres) {
        b->centres = malloc(sizeof(double) * 3 * kk);
        b->label = kq_alloc_large(sizeof(int32_t) * e->p->n);
        b->wsum = malloc(sizeof(double) * kk);
        if (!b->centres || !b->label || !b->wsum)
            return KQ_ERR_NOMEM;
    }
    memcpy(b->centres, e->centres, sizeof(double) * 3 * kk);
    memcpy(b->label, e->label, sizeof(int32_t) * e->p->n);
    memcpy(b->wsum, e->wsum, sizeof(double) * kk);
    b->n_iter = n_iter;
    b->inertia = inertia;
    b->any = true;
    return KQ_OK;
}

static void best_run_free(best_run *b)
{
    free(b->centres);
    free(b->label);
    free(b->wsum);
}

/* ---- escaping a poor local optimum (small k) ----
 * Lloyd stops in the nearest local optimum; at small k a poor one (two
 * centres sharing one mode of the colours while one centre straddles two)
 * costs percents of inertia. After Lloyd, merge the two clusters that cost
 * least to merge, split the cluster with the largest squared error along
 * its principal axis, rerun Lloyd from there and keep the result only if
 * its inertia is lower. Deterministic: no random draws. */

/* Per cluster: squared error, weighted covariance (6 values) of the best
 * run's labels. */
static void cluster_spread(const engine *e, const best_run *b, double *sse,
                           double *cov)
{
    size_t kk = (size_t)e->k;
    memset(sse, 0, sizeof(double) * kk);
    memset(cov, 0, sizeof(double) * 6 * kk);
    for (size_t i = 0; i < e->p->n; i++) {
        int j = b->label[i];
        const double *c = &b->centres[3 * j];
        double d[3] = {e->p->x[i] - c[0], e->p->y[i] - c[1],
                       e->p->z[i] - c[2]};
        double w = e->p->w[i];
        sse[j] += w * (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
        double *v = &cov[6 * j];
        v[0] += w * d[0] * d[0];
        v[1] += w * d[0] * d[1];
        v[2] += w * d[0] * d[2];
        v[3] += w * d[1] * d[1];
        v[4] += w * d[1] * d[2];
        v[5] += w * d[2] * d[2];
    }
}

/* The principal axis of a covariance, scaled by its standard deviation. */
static void principal_axis(const double *v, double w, double axis[3])
{
    double m[3][3] = {{v[0], v[1], v[2]}, {v[1], v[3], v[4]},
                      {v[2], v[4], v[5]}};
    double a[3] = {1.0, 0.7, 0.4};
    double norm = 1.0;
    for (int it = 0; it < 30; it++) {
        double t[3];
        for (int r = 0; r < 3; r++)
            t[r] = m[r][0] * a[0] + m[r][1] * a[1] + m[r][2] * a[2];
        norm = sqrt(t[0] * t[0] + t[1] * t[1] + t[2] * t[2]);
        if (!(norm > 0.0))
            break;
        for (int r = 0; r < 3; r++)
            a[r] = t[r] / norm;
    }
    double sd = norm > 0.0 && w > 0.0 ? sqrt(norm / w) : 0.0;
    for (int r = 0; r < 3; r++)
        axis[r] = a[r] * sd;
}

/* The pair of clusters whose merge raises the squared error least. */
static double cheapest_merge(const engine *e, const best_run *b, int *ma,
                             int *mb)
{
    double best = INFINITY;
    *ma = 0;
    *mb = 1;
    for (int i = 0; i < e->k; i++) {
        for (int j = i + 1; j < e->k; j++) {
            const double *ci = &b->centres[3 * i], *cj = &b->centres[3 * j];
            double d2 = 0.0;
            for (int c = 0; c < 3; c++)
                d2 += (ci[c] - cj[c]) * (ci[c] - cj[c]);
            double wi = b->wsum[i], wj = b->wsum[j];
            double cost = wi + wj > 0 ? wi * wj / (wi + wj) * d2 : 0.0;
            if (cost < best) {
                best = cost;
                *ma = i;
                *mb = j;
            }
        }
    }
    return best;
}

/* The rank-th largest squared error among clusters other than a and b. */
static int split_candidate(const engine *e, const double *sse, int a, int b,
                           int rank)
{
    int pick = -1;
    double below = INFINITY;
    for (int r = 0; r <= rank; r++) {
        pick = -1;
        for (int j = 0; j < e->k; j++)
            if (j != a && j != b && sse[j] < below &&
                (pick < 0 || sse[j] > sse[pick]))
                pick = j;
        if (pick < 0)
            return -1;
        below = sse[pick];
    }
    return pick;
}

/* Centres of the best run with a and b merged into a, s split into s and
 * b. False when s cannot be split. */
static bool merge_and_split(engine *e, const best_run *b, const double *cov,
                            int a, int bb, int s, double merge_cost)
{
    double axis[3];
    principal_axis(&cov[6 * s], b->wsum[s], axis);
    (void)merge_cost; /* a gain estimate cannot prune: Lloyd moves more
                         than the two clusters (measured) */
    if (axis[0] == 0.0 && axis[1] == 0.0 && axis[2] == 0.0)
        return false;
    for (int j = 0; j < e->k; j++)
        set_centre(e, j, &b->centres[3 * j]);
    double wa = b->wsum[a], wb = b->wsum[bb], merged[3], lo[3], hi[3];
    for (int c = 0; c < 3; c++) {
        merged[c] = wa + wb > 0 ? (wa * b->centres[3 * a + c] +
                                   wb * b->centres[3 * bb + c]) / (wa + wb)
                                : b->centres[3 * a + c];
        lo[c] = b->centres[3 * s + c] - axis[c];
        hi[c] = b->centres[3 * s + c] + axis[c];
    }
    set_centre(e, a, merged);
    set_centre(e, s, lo);
    set_centre(e, bb, hi);
    return true;
}

static kq_status refine(engine *e, best_run *b, int max_iter, double tol_abs)
{
    size_t kk = (size_t)e->k;
    double *sse = malloc(sizeof(double) * kk);
    double *cov = malloc(sizeof(double) * 6 * kk);
    kq_status st = sse && cov ? KQ_OK : KQ_ERR_NOMEM;
    int rank = 0, attempts = 0;
    while (st == KQ_OK && rank < REFINE_TRIES && attempts < REFINE_MAX) {
        cluster_spread(e, b, sse, cov);
        int a, bb;
        double cost = cheapest_merge(e, b, &a, &bb);
        int s = split_candidate(e, sse, a, bb, rank);
        if (s < 0 || !merge_and_split(e, b, cov, a, bb, s, cost)) {
            rank++;
            continue;
        }
        attempts++;
        /* a few iterations tell most hopeless moves apart cheaply */
        int n_iter = run_lloyd(e, REFINE_PROBE, tol_abs);
        double inertia = n_iter < 0 ? 0.0 : total_inertia(e);
        if (n_iter == REFINE_PROBE && inertia < b->inertia)
            n_iter = run_lloyd(e, max_iter, tol_abs);
        if (n_iter < 0) {
            st = KQ_ERR_NOMEM;
            break;
        }
        inertia = total_inertia(e);
        bool better = inertia < b->inertia * (1.0 - REFINE_GAIN);
        if (better)
            st = keep_if_better(b, e, n_iter, inertia);
        rank = better ? 0 : rank + 1;
    }
    free(sse);
    free(cov);
    return st;
}

/* Lloyd from the best centres until no label changes (or max_iter): at
 * small k the last fraction of a percent of inertia is worth a few cheap
 * bounded iterations, so the result is at least as good as a run stopped
 * by the tolerance. */
static kq_status polish(engine *e, best_run *b, int max_iter)
{
    for (int j = 0; j < e->k; j++)
        set_centre(e, j, &b->centres[3 * j]);
    int n_iter = run_lloyd(e, max_iter, 0.0);
    return n_iter < 0 ? KQ_ERR_NOMEM
                      : keep_if_better(b, e, n_iter, total_inertia(e));
}

/* One k-means++ draw on the seeder's points, copied to e's centres. */
static void seed_from(engine *e, engine *seeder, kq_rng *rng, double total_w)
{
    seed_kmeanspp(seeder, rng, total_w);
    for (int j = 0; j < e->k; j++)
        set_centre(e, j, &seeder->centres[3 * j]);
}

/* `restarts` seedings from rng, each followed by Lloyd on the points; the
 * best run in *best, refined at small k. Seeds are drawn from seed_points
 * (NULL: from p). */
static kq_status cluster_level(const kq_points_f *p, double total_w,
                               double tol_abs, const kq_kmeans_params *params,
                               const kq_kmeans_engine_options *opts,
                               const kq_points_f *seed_points, kq_rng *rng,
                               int restarts, kq_pool *pool, best_run *best,
                               kq_kmeans_result *out)
{
    engine e, seeder = {0};
    kq_status st = engine_init(&e, p, params->k, pool, opts);
    e.relax = params->k > DRIFT_MAX_K ? RELAX_STEP : 1.0;
    e.momentum = params->k > DRIFT_MAX_K ? MOMENTUM : 0.0;
    if (st == KQ_OK && seed_points)
        st = engine_init(&seeder, seed_points, params->k, pool, opts);
    if (st != KQ_OK) {
        engine_free(&e);
        return st;
    }
    for (int run = 0; run < restarts && st == KQ_OK; run++) {
        struct timespec t0;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        if (opts && opts->init_centres) {
            for (int j = 0; j < e.k; j++)
                set_centre(&e, j, &opts->init_centres[3 * j]);
        } else if (seed_points) {
            seed_from(&e, &seeder, rng, total_w);
        } else {
            seed_kmeanspp(&e, rng, total_w);
        }
        out->seconds_seeding += seconds_since(&t0);
        clock_gettime(CLOCK_MONOTONIC, &t0);
        int n_iter = run_lloyd(&e, params->max_iter, tol_abs);
        if (n_iter < 0)
            st = KQ_ERR_NOMEM;
        else
            st = keep_if_better(best, &e, n_iter, total_inertia(&e));
        out->seconds_iterations += seconds_since(&t0);
    }
    if (st == KQ_OK && e.k >= 3 && e.k <= REFINE_MAX_K &&
        !(opts && opts->no_refine)) {
        struct timespec t0;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        /* reruns start near an optimum: few labels move, bounds pay */
        if (e.loop == KQ_LOOP_PLAIN && !(opts && opts->loop) &&
            e.k >= POLISH_BOUNDED_K)
            e.loop = KQ_LOOP_HAMERLY;
        st = refine(&e, best, params->max_iter, tol_abs);
        if (st == KQ_OK)
            st = polish(&e, best, params->max_iter);
        out->seconds_iterations += seconds_since(&t0);
    }
    engine_free(&seeder);
    engine_free(&e);
    return st;
}

/* ---- coarse to fine ----
 * Most of Lloyd's iterations only move centres across the cube, which
 * the colours' 8x8x8 cells (each its weighted mean) show almost as well
 * at a fraction of the points. Seeding, Lloyd and the refinement run on
 * the cells; Lloyd on the distinct colours then starts next to its fixed
 * point and needs a few (mostly bounded) iterations. Each restart goes
 * through both levels: restarts compete on the colours' inertia. */

/* Z-ordered colours sharing their top 8 - drop bits per channel are
 * consecutive (a Z-order property); each run becomes one point, its
 * weighted mean. The cells are found on the histogram's packed colours
 * and counts: integer masks and sums, which the compiler vectorises or
 * chains with one-cycle adds (these passes run on every fit). */
static uint32_t cell_mask(int drop)
{
    uint32_t low = (1u << drop) - 1u;
    return 0xFFFFFFu & ~(low << 16 | low << 8 | low);
}

static size_t count_cells(const kq_histogram *h, int drop)
{
    uint32_t mask = cell_mask(drop);
    size_t cells = h->n_colours > 0;
    for (size_t i = 1; i < h->n_colours; i++)
        cells += (h->colour[i] & mask) != (h->colour[i - 1] & mask);
    return cells;
}

/* The cells of the histogram's colours (there are `cells` of them at this
 * drop), and on the way the colours' moments for the tolerance (a pass of
 * its own cost as much as this one). The sums are exact integers, so each
 * mean is the correctly rounded quotient whatever order the colours were
 * added in. */
static kq_status points_coarsen(const kq_histogram *h, int drop, size_t cells,
                                point_set *out, colour_moments *m,
                                uint32_t *cell_of)
{
    if (points_alloc(out, cells) != KQ_OK)
        return KQ_ERR_NOMEM;
    memset(m, 0, sizeof *m);
    float *x = out->xyz, *y = x + cells, *z = y + cells;
    uint64_t w = 0, sx = 0, sy = 0, sz = 0;
    uint32_t mask = cell_mask(drop);
    size_t at = 0, n = h->n_colours;
    for (size_t i = 0; i < n; i++) {
        uint32_t c = h->colour[i], r = c >> 16, g = c >> 8 & 255u,
                 b = c & 255u;
        uint64_t count = h->count[i];
        w += count;
        sx += count * r;
        sy += count * g;
        sz += count * b;
        m->q[0] += count * (r * r);
        m->q[1] += count * (g * g);
        m->q[2] += count * (b * b);
        if (cell_of)
            cell_of[i] = (uint32_t)at;
        if (i + 1 < n && (h->colour[i + 1] & mask) == (c & mask))
            continue;
        x[at] = (float)((double)sx / (double)w);
        y[at] = (float)((double)sy / (double)w);
        z[at] = (float)((double)sz / (double)w);
        out->w[at++] = (double)w;
        m->s[0] += sx;
        m->s[1] += sy;
        m->s[2] += sz;
        w = sx = sy = sz = 0;
    }
    return KQ_OK;
}

/* The run on the colours starts next to the cells' fixed point, where
 * scikit-learn's criterion fires while centres still drift together (12
 * MP, k=64: +0.51% above scikit-learn's inertia with tol, +0.39% with a
 * third of it). Up to REFINE_MAX_K it runs to convergence like polish();
 * up to DRIFT_MAX_K the extra iterations are cheap (the drift loop visits
 * boundary blocks only); above, Hamerly's are not (12 MP, k=256: +20%). */
static double fine_tolerance(int k, double tol_abs)
{
    if (k <= REFINE_MAX_K)
        return 0.0;
    return k <= DRIFT_MAX_K ? tol_abs * FINE_TOL_SHARE : tol_abs;
}

static kq_status refine_on_points(const kq_points_f *p, const best_run *from,
                                  const uint32_t *cell_of, double tol_abs,
                                  const kq_kmeans_params *params,
                                  const kq_kmeans_engine_options *opts,
                                  kq_pool *pool, best_run *best)
{
    engine e;
    kq_status st = engine_init(&e, p, params->k, pool, opts);
    if (st != KQ_OK)
        return st;
    if (!(opts && opts->loop) && e.k >= POLISH_BOUNDED_K)
        e.loop = e.k <= DRIFT_MAX_K ? KQ_LOOP_DRIFT : KQ_LOOP_HAMERLY;
    for (int j = 0; j < e.k; j++)
        set_centre(&e, j, &from->centres[3 * j]);
    e.relax = RELAX_STEP;
    e.momentum = e.k > DRIFT_MAX_K ? MOMENTUM : 0.0;
    e.cell_of = cell_of;
    e.cell_label = from->label;
    int n_iter = run_lloyd(&e, params->max_iter, fine_tolerance(e.k, tol_abs));
    st = n_iter < 0 ? KQ_ERR_NOMEM
                    : keep_if_better(best, &e, n_iter + from->n_iter,
                                     total_inertia(&e));
    engine_free(&e);
    return st;
}

/* The coarsest cells that still give every centre CELLS_PER_CENTRE cells
 * on average (measured: at 12 MP and k=256 the 8x8x8 cells left Lloyd on
 * the colours 30% more work than 4x4x4 ones); 0 for no coarse stage, also
 * when the cells would not even halve the points. */
static int coarse_drop_bits(const kq_histogram *h,
                            const kq_kmeans_engine_options *opts, int k,
                            size_t *cells)
{
    if ((opts && (opts->init_centres || opts->no_coarse)) ||
        h->n_colours < COARSE_MIN_POINTS)
        return 0;
    for (int drop = COARSE_DROP_BITS; drop >= 1; drop--) {
        *cells = count_cells(h, drop);
        if (*cells >= CELLS_PER_CENTRE * (size_t)k)
            return *cells * 2 <= h->n_colours ? drop : 0;
    }
    return 0;
}

/* Seeds drawn from the colours rather than the cells: the cells' means
 * are a coarser distribution to draw from. Measured with
 * tests/bench/compare_engines.py (12 photos x 3 seeds, together with
 * fine_tolerance()): mean inertia -0.06% at k=8, 0 at k=16, -0.04% at
 * k=32, -0.25% at k=64, for +3%, +5%, +1%, +23% time. Above DRIFT_MAX_K
 * the seeding costs more than it saves (12 MP, k=256: +0.1 s for no
 * gain), and on small images (240x320: ~40,000 colours) it would double
 * the k-means time. */
static bool seeds_on_colours(const kq_points_f *p, int k)
{
    return p->n >= SEED_ON_COLOURS_MIN && k <= DRIFT_MAX_K;
}

/* One restart on the cells, then Lloyd on the colours from its result:
 * restarts compete on the colours' inertia, not the cells'. */
static kq_status coarse_restart(const kq_points_f *p, const point_set *cells,
                                const uint32_t *cell_of, double total_w,
                                double tol_abs,
                                const kq_kmeans_params *params,
                                const kq_kmeans_engine_options *opts,
                                kq_rng *rng, kq_pool *pool, best_run *best,
                                kq_kmeans_result *out)
{
    best_run coarse = {0};
    kq_status st = cluster_level(&cells->p, total_w, tol_abs, params, opts,
                                 seeds_on_colours(p, params->k) ? p : NULL,
                                 rng, 1, pool, &coarse, out);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (st == KQ_OK)
        st = refine_on_points(p, &coarse, cell_of, tol_abs, params, opts,
                              pool, best);
    out->seconds_iterations += seconds_since(&t0);
    best_run_free(&coarse);
    return st;
}

/* h: the histogram the points p came from (its Z-ordered colours allow
 * the coarse stage), or NULL when p are samples. */
static kq_status cluster_points(const kq_points_f *p, double total_w,
                                const kq_histogram *h,
                                const kq_kmeans_params *params,
                                const kq_kmeans_engine_options *opts,
                                kq_pool *pool, best_run *best,
                                kq_kmeans_result *out)
{
    struct timespec t0; /* the set-up passes count as iterations */
    clock_gettime(CLOCK_MONOTONIC, &t0);
    size_t n_cells = 0;
    int drop = h ? coarse_drop_bits(h, opts, params->k, &n_cells) : 0;
    kq_rng rng;
    kq_rng_seed(&rng, (uint32_t)params->seed);
    point_set cells = {0};
    colour_moments moments;
    /* the guided first scan walks neighbour lists, which only these k keep */
    bool guided = drop && keeps_neighbour_lists(params->k);
    uint32_t *cell_of =
        guided ? kq_alloc_large(sizeof(uint32_t) * p->n) : NULL;
    kq_status st = guided && !cell_of ? KQ_ERR_NOMEM : KQ_OK;
    if (drop && st == KQ_OK)
        st = points_coarsen(h, drop, n_cells, &cells, &moments, cell_of);
    double tol_abs = drop && st == KQ_OK
                         ? tolerance_of_moments(&moments, total_w, params->tol)
                         : absolute_tolerance(p, total_w, params->tol);
    out->seconds_iterations += seconds_since(&t0);
    if (drop == 0)
        return cluster_level(p, total_w, tol_abs, params, opts, NULL, &rng,
                             params->n_init, pool, best, out);
    for (int run = 0; run < params->n_init && st == KQ_OK; run++)
        st = coarse_restart(p, &cells, cell_of, total_w, tol_abs, params,
                            opts, &rng, pool, best, out);
    points_free(&cells);
    free(cell_of);
    return st;
}

typedef struct {
    kq_histogram *h; /* NULL: point i is pixel i */
    const unsigned char *rgb;
    const int32_t *point_label;
    kq_label *pixel_label;
    size_t n;
} label_map;

static void label_task(void *ctx, size_t t)
{
    label_map *m = ctx;
    size_t b = t * LABEL_TASK;
    size_t end = b + LABEL_TASK < m->n ? b + LABEL_TASK : m->n;
    if (m->h) {
        kq_histogram_labels(m->h, m->rgb, b, end, m->pixel_label + b);
        return;
    }
    for (size_t i = b; i < end; i++)
        m->pixel_label[i] = (kq_label)m->point_label[i];
}

static kq_status fill_result(const kq_points_f *p, const best_run *b, int k,
                             label_map *map, kq_pool *pool,
                             kq_kmeans_result *out)
{
    out->centroids = malloc(sizeof(double) * 3 * (size_t)k);
    out->labels = map->h ? kq_histogram_take_label_buffer(map->h) : NULL;
    if (!out->labels)
        out->labels = kq_alloc_large(sizeof(kq_label) * map->n);
    out->counts = malloc(sizeof(size_t) * (size_t)k);
    if (!out->centroids || !out->labels || !out->counts)
        return KQ_ERR_NOMEM;
    memcpy(out->centroids, b->centres, sizeof(double) * 3 * (size_t)k);
    for (int j = 0; j < k; j++)
        out->counts[j] = (size_t)b->wsum[j];
    map->point_label = b->label;
    map->pixel_label = out->labels;
    if (map->h && kq_histogram_relabel(map->h, b->label, k) != KQ_OK)
        return KQ_ERR_NOMEM;
    kq_pool_run(pool, (map->n + LABEL_TASK - 1) / LABEL_TASK, label_task,
                map);
    out->k = k;
    out->n = map->n;
    out->n_colours = p->n;
    out->n_iter = b->n_iter;
    out->inertia = b->inertia;
    return KQ_OK;
}

/* Fewer distinct points than k: those points are the centroids. */
static void all_points_as_centres(const kq_points_f *p, best_run *b)
{
    for (size_t i = 0; i < p->n; i++) {
        b->centres[3 * i] = p->x[i];
        b->centres[3 * i + 1] = p->y[i];
        b->centres[3 * i + 2] = p->z[i];
        b->label[i] = (int32_t)i;
        b->wsum[i] = p->w[i];
    }
    b->n_iter = 0;
    b->inertia = 0.0;
}

/* A thread pool when n samples at this k are worth one, else NULL. */
static kq_status start_pool(size_t n, const kq_kmeans_params *params,
                            kq_pool **pool)
{
    *pool = NULL;
    size_t work;
    bool big = !kq_mul_size(n, (size_t)params->k, &work) ||
               work >= PARALLEL_WORK;
    return big && params->threads != 1 ? kq_pool_create(params->threads, pool)
                                       : KQ_OK;
}

static kq_status fit_points(const kq_points_f *p, label_map *map,
                            const kq_kmeans_params *params,
                            const kq_kmeans_engine_options *opts,
                            kq_pool *pool, kq_kmeans_result *out)
{
    kq_status st = KQ_OK;
    best_run best = {0};
    int k = params->k;
    if (p->n < (size_t)k) {
        k = (int)p->n;
        best.centres = malloc(sizeof(double) * 3 * p->n);
        best.label = malloc(sizeof(int32_t) * p->n);
        best.wsum = malloc(sizeof(double) * p->n);
        if (!best.centres || !best.label || !best.wsum)
            st = KQ_ERR_NOMEM;
        else
            all_points_as_centres(p, &best);
    } else {
        st = cluster_points(p, (double)map->n, map->h, params,
                            opts, pool, &best, out);
    }
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (st == KQ_OK)
        st = fill_result(p, &best, k, map, pool, out);
    out->seconds_iterations += seconds_since(&t0);
    best_run_free(&best);
    out->k_requested = params->k;
    if (st != KQ_OK)
        kq_kmeans_result_free(out);
    return st;
}

/* ---- colours counted once, fitted at several k ---- */

struct kq_colours {
    const unsigned char *rgb; /* the caller's pixels */
    size_t n;
    kq_histogram h;           /* index state between fits */
    point_set ps;             /* the distinct colours, weighted */
    double seconds;           /* counting them */
    double *lab;              /* U x 3: their L*a*b*, once Delta E needs it */
};

static void colours_clear(kq_colours *c)
{
    points_free(&c->ps);
    kq_histogram_free(&c->h);
    free(c->lab);
    c->lab = NULL;
}

/* counter: NULL, or one that may have counted rgb as it decoded. */
static kq_status count_colours(kq_colours *c, const unsigned char *rgb,
                               size_t n, kq_colours_counter *counter,
                               kq_pool *pool)
{
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    memset(c, 0, sizeof *c);
    c->rgb = rgb;
    c->n = n;
    bool counted = false;
    kq_status st = counter ? kq_colours_counter_take(counter, rgb, n, pool,
                                                     &c->h, &counted)
                           : KQ_OK;
    if (st == KQ_OK && !counted)
        st = kq_histogram_build(rgb, n, pool, &c->h);
    if (st == KQ_OK)
        st = points_from_histogram(&c->ps, &c->h);
    if (st != KQ_OK)
        colours_clear(c);
    c->seconds = seconds_since(&t0);
    return st;
}

/* One fit on counted colours; their histogram leaves in index state, so
 * the next fit (or the quality numbers) can use it again. */
static kq_status fit_counted(kq_colours *c, const kq_kmeans_params *params,
                             const kq_kmeans_engine_options *opts,
                             kq_pool *pool, kq_kmeans_result *out)
{
    label_map map = {&c->h, c->rgb, NULL, NULL, c->n};
    kq_status st = fit_points(&c->ps.p, &map, params, opts, pool, out);
    kq_histogram_unlabel(&c->h);
    return st;
}

kq_status kq_colours_counter_finish(kq_colours_counter *counter,
                                    const unsigned char *rgb, size_t n,
                                    int threads, kq_colours **out)
{
    *out = NULL;
    if (!rgb || n == 0 || n > UINT32_MAX || threads < 0)
        return KQ_ERR_ARGUMENT;
    kq_colours *c = malloc(sizeof *c);
    kq_pool *pool = NULL;
    kq_status st = c ? KQ_OK : KQ_ERR_NOMEM;
    if (st == KQ_OK && threads != 1 && n >= PARALLEL_WORK)
        st = kq_pool_create(threads, &pool);
    if (st == KQ_OK)
        st = count_colours(c, rgb, n, counter, pool);
    kq_pool_free(pool);
    if (st != KQ_OK) {
        free(c);
        return st;
    }
    *out = c;
    return KQ_OK;
}

kq_status kq_colours_count(const unsigned char *rgb, size_t n, int threads,
                           kq_colours **out)
{
    return kq_colours_counter_finish(NULL, rgb, n, threads, out);
}

size_t kq_colours_distinct(const kq_colours *c)
{
    return c->h.n_colours;
}

double kq_colours_seconds(const kq_colours *c)
{
    return c->seconds;
}

const kq_histogram *kq_colours_histogram(const kq_colours *c,
                                         const unsigned char **rgb,
                                         size_t *n)
{
    *rgb = c->rgb;
    *n = c->n;
    return &c->h;
}

double **kq_colours_lab(kq_colours *c)
{
    return &c->lab;
}

void kq_colours_free(kq_colours *c)
{
    if (!c)
        return;
    colours_clear(c);
    free(c);
}

kq_status kq_kmeans_fit_colours(kq_colours *c, const kq_kmeans_params *params,
                                kq_kmeans_result *out)
{
    memset(out, 0, sizeof *out);
    kq_status st = kq_kmeans_check_params(params, c->n);
    kq_pool *pool = NULL;
    if (st == KQ_OK)
        st = start_pool(c->n, params, &pool);
    if (st != KQ_OK)
        return st;
    st = fit_counted(c, params, NULL, pool, out);
    kq_pool_free(pool);
    return st;
}

/* Every pixel its own point (the engine's no_dedup switch). */
static kq_status fit_samples(const unsigned char *rgb, size_t n,
                             const kq_kmeans_params *params,
                             const kq_kmeans_engine_options *opts,
                             kq_pool *pool, kq_kmeans_result *out)
{
    point_set ps = {0};
    kq_status st = points_from_samples(&ps, rgb, NULL, n);
    label_map map = {NULL, rgb, NULL, NULL, n};
    if (st == KQ_OK)
        st = fit_points(&ps.p, &map, params, opts, pool, out);
    points_free(&ps);
    return st;
}

kq_status kq_kmeans_fit_rgb_with(const unsigned char *rgb, size_t n,
                                 const kq_kmeans_params *params,
                                 const kq_kmeans_engine_options *opts,
                                 kq_kmeans_result *out)
{
    memset(out, 0, sizeof *out);
    kq_status st = kq_kmeans_check_params(params, n);
    kq_pool *pool = NULL;
    if (st == KQ_OK)
        st = start_pool(n, params, &pool);
    if (st != KQ_OK)
        return st;
    if (opts && opts->no_dedup) {
        st = fit_samples(rgb, n, params, opts, pool, out);
    } else {
        kq_colours c;
        st = count_colours(&c, rgb, n, NULL, pool);
        if (st == KQ_OK)
            st = fit_counted(&c, params, opts, pool, out);
        if (st == KQ_OK)
            out->seconds_histogram = c.seconds;
        colours_clear(&c);
    }
    kq_pool_free(pool);
    return st;
}

kq_status kq_kmeans_fit_rgb(const unsigned char *rgb, size_t n,
                            const kq_kmeans_params *params,
                            kq_kmeans_result *out)
{
    return kq_kmeans_fit_rgb_with(rgb, n, params, NULL, out);
}

/* The samples as 8-bit RGB when every value is an integer in 0..255. */
static unsigned char *as_rgb(const float *pixels, size_t n)
{
    size_t values;
    if (!kq_mul_size(n, 3, &values))
        return NULL;
    unsigned char *rgb = malloc(values ? values : 1);
    for (size_t i = 0; rgb && i < values; i++) {
        float v = pixels[i];
        if (!(v >= 0.0f && v <= 255.0f) || v != (float)(int)v) {
            free(rgb);
            return NULL;
        }
        rgb[i] = (unsigned char)v;
    }
    return rgb;
}

kq_status kq_kmeans_fit(const float *pixels, size_t n,
                        const kq_kmeans_params *params, kq_kmeans_result *out)
{
    memset(out, 0, sizeof *out);
    kq_status st = kq_kmeans_check_params(params, n);
    if (st != KQ_OK)
        return st;
    unsigned char *rgb = as_rgb(pixels, n);
    if (rgb) {
        st = kq_kmeans_fit_rgb(rgb, n, params, out);
        free(rgb);
        return st;
    }
    point_set ps;
    kq_pool *pool = NULL;
    if ((st = points_from_samples(&ps, NULL, pixels, n)) != KQ_OK ||
        (st = start_pool(n, params, &pool)) != KQ_OK) {
        points_free(&ps);
        return st;
    }
    label_map map = {NULL, NULL, NULL, NULL, n};
    st = fit_points(&ps.p, &map, params, NULL, pool, out);
    points_free(&ps);
    kq_pool_free(pool);
    return st;
}
