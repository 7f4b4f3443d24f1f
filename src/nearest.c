/* nearest.c - the inner loops of k-means: nearest centres and seeding
 * potentials, in portable C and in AVX2 (chosen at run time).
 *
 * Both versions do the very same float operations in the same order (no
 * FMA; the build disables contraction), so they agree bit for bit and the
 * choice of kernel never changes a result. Ties go to the lower index. */
#include "kq_internal.h"

#include <math.h>
#include <string.h>

static inline float sq_dist_f(float x, float y, float z, float cx, float cy,
                              float cz)
{
    float dx = x - cx, dy = y - cy, dz = z - cz;
    return dx * dx + dy * dy + dz * dz;
}

float kq_sq_dist_f(float x, float y, float z, float cx, float cy, float cz)
{
    return sq_dist_f(x, y, z, cx, cy, cz);
}

static void nearest_one(const kq_centres_f *c, float x, float y, float z,
                        int32_t *label, float *best_out, float *second_out)
{
    float best = INFINITY, second = INFINITY;
    int32_t lab = 0;
    for (int j = 0; j < c->k; j++) {
        float d = sq_dist_f(x, y, z, c->x[j], c->y[j], c->z[j]);
        float hi = d < best ? best : d;
        second = hi < second ? hi : second;
        if (d < best) {
            best = d;
            lab = j;
        }
    }
    *label = lab;
    *best_out = best;
    *second_out = second;
}

void kq_nearest_portable(const kq_points_f *p, size_t begin, size_t end,
                         const kq_centres_f *c, int32_t *label, float *best,
                         float *second)
{
    for (size_t i = begin; i < end; i++)
        nearest_one(c, p->x[i], p->y[i], p->z[i], &label[i - begin],
                    &best[i - begin], &second[i - begin]);
}

/* ---- scans from the own centre's nearest neighbours (neighbours.c) ----
 * A centre j is at least |c_a c_j| - |x c_a| from a point x whose own
 * centre is a. Once that exceeds the second nearest distance found, for
 * every centre left in a's list (the group's floor), none of them can
 * change the label, the best or the second: the scan stops there with
 * the results of a full scan. Ties go to the lower index, as there. */

/* Whether every centre from group g on is farther than sqrt(second) from
 * a point within `upper` of the row's centre (with the bounds' slack). */
static bool rest_is_farther(const double *floor, int g, double upper,
                            float second)
{
    return floor[g] - upper > kq_upper_root(second);
}

/* Keeps (best, lab) and second the two smallest distances seen, the
 * lower index winning a tie for the best. */
static inline void take_near(float d, int32_t j, float *best, float *second,
                             int32_t *lab)
{
    float hi = d < *best ? *best : d;
    *second = hi < *second ? hi : *second;
    if (d < *best || (d == *best && j < *lab)) {
        *best = d;
        *lab = j;
    }
}

static void near_one(const kq_neighbours *nb, float x, float y, float z,
                     int32_t a, double upper, int32_t *label,
                     float *best_out, float *second_out)
{
    int groups = nb->stride / KQ_NB_GROUP;
    size_t row = (size_t)a * (size_t)nb->stride;
    const double *floor = nb->floor + (size_t)a * (size_t)groups;
    float best = INFINITY, second = INFINITY;
    int32_t lab = INT32_MAX;
    for (int g = 0; g < groups; g++) {
        if (g > 0 && rest_is_farther(floor, g, upper, second))
            break;
        size_t r0 = row + (size_t)g * KQ_NB_GROUP;
        for (size_t r = r0; r < r0 + KQ_NB_GROUP; r++)
            take_near(sq_dist_f(x, y, z, nb->x[r], nb->y[r], nb->z[r]),
                      nb->order[r], &best, &second, &lab);
    }
    *label = lab;
    *best_out = best;
    *second_out = second;
}

void kq_list_coords_portable(const kq_centres_f *c, const int32_t *order,
                             int stride, float *x, float *y, float *z)
{
    for (int r = 0; r < stride; r++) {
        bool real = r < c->k;
        x[r] = real ? c->x[order[r]] : INFINITY;
        y[r] = real ? c->y[order[r]] : INFINITY;
        z[r] = real ? c->z[order[r]] : INFINITY;
    }
}

void kq_nearest_near_portable(const float *x, const float *y, const float *z,
                              const int32_t *own, const double *upper,
                              size_t m, const kq_neighbours *nb,
                              int32_t *label, float *best, float *second)
{
    for (size_t q = 0; q < m; q++)
        near_one(nb, x[q], y[q], z[q], own[q], upper[q], &label[q], &best[q],
                 &second[q]);
}

/* 4 double accumulators, lane = local index mod 4, joined as
 * (a0 + a1) + (a2 + a3): the AVX2 version keeps exactly this order. */
static double join_lanes(const double acc[4])
{
    return (acc[0] + acc[1]) + (acc[2] + acc[3]);
}

/* Points from..end-1 of the range that starts at begin, added to the
 * lanes: the whole range in the portable kernel, the tail after the last
 * group of 8 in the AVX2 one. */
static void seed_pot_lanes(const kq_points_f *p, size_t begin, size_t from,
                           size_t end, const float cand[3], const float *dist,
                           double acc[4])
{
    for (size_t i = from; i < end; i++) {
        float d = sq_dist_f(p->x[i], p->y[i], p->z[i], cand[0], cand[1],
                            cand[2]);
        float t = d < dist[i] ? d : dist[i];
        acc[(i - begin) & 3] += (double)t * p->w[i];
    }
}

double kq_seed_pot_portable(const kq_points_f *p, size_t begin, size_t end,
                            const float cand[3], const float *dist)
{
    double acc[4] = {0, 0, 0, 0};
    seed_pot_lanes(p, begin, begin, end, cand, dist, acc);
    return join_lanes(acc);
}

/* As seed_pot_lanes, keeping each point's new distance; returns the
 * largest of them and max. */
static float seed_apply_lanes(const kq_points_f *p, size_t begin, size_t from,
                              size_t end, const float cand[3], float *dist,
                              double acc[4], float max)
{
    for (size_t i = from; i < end; i++) {
        float d = sq_dist_f(p->x[i], p->y[i], p->z[i], cand[0], cand[1],
                            cand[2]);
        float t = d < dist[i] ? d : dist[i];
        dist[i] = t;
        max = t > max ? t : max;
        acc[(i - begin) & 3] += (double)t * p->w[i];
    }
    return max;
}

double kq_seed_apply_portable(const kq_points_f *p, size_t begin, size_t end,
                              const float cand[3], float *dist, float *max_out)
{
    double acc[4] = {0, 0, 0, 0};
    *max_out = seed_apply_lanes(p, begin, begin, end, cand, dist, acc, 0.0f);
    return join_lanes(acc);
}

/* Hamerly's lower bound after the moves: every other centre moved by at
 * most the largest move; the own centre's near neighbours by at most
 * near_delta, and the others are at least far_floor - u from the point
 * (u: its distance bound to the own centre). */
static inline double lower_after_moves(const kq_bounds_args *a, double lower,
                                       double u, int32_t j)
{
    double any = lower - (j == a->max_at ? a->second_delta : a->max_delta);
    if (!a->near_delta)
        return any;
    double far = a->far_floor[j] - u;
    double rest = far > any ? far : any;
    double near = lower - a->near_delta[j];
    return near < rest ? near : rest;
}

size_t kq_bounds_portable(const kq_bounds_args *a, size_t begin, size_t end,
                          uint32_t *fail)
{
    size_t m = 0;
    const kq_points_f *p = &a->points;
    const kq_centres_f *c = &a->centres;
    for (size_t i = begin; i < end; i++) {
        int32_t j = a->label[i];
        double u = a->upper[i] + a->delta[j];
        double l = lower_after_moves(a, a->lower[i], u, j);
        double g = a->half_gap[j];
        double floor_d = g > l ? g : l;
        if (!(u <= floor_d))
            u = kq_upper_root(sq_dist_f(p->x[i], p->y[i], p->z[i], c->x[j],
                                        c->y[j], c->z[j]));
        a->upper[i] = u;
        a->lower[i] = l;
        if (!(u <= floor_d))
            fail[m++] = (uint32_t)i;
    }
    return m;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#define AVX2 __attribute__((target("avx2")))

AVX2 static inline __m256 sq_dist8(__m256 x, __m256 y, __m256 z, __m256 cx,
                                   __m256 cy, __m256 cz)
{
    __m256 dx = _mm256_sub_ps(x, cx), dy = _mm256_sub_ps(y, cy),
           dz = _mm256_sub_ps(z, cz);
    __m256 d = _mm256_add_ps(_mm256_mul_ps(dx, dx), _mm256_mul_ps(dy, dy));
    return _mm256_add_ps(d, _mm256_mul_ps(dz, dz));
}

AVX2 static void nearest8(const kq_centres_f *c, const kq_points_f *p,
                          size_t i, int32_t *label, float *best_out,
                          float *second_out)
{
    __m256 x = _mm256_loadu_ps(p->x + i), y = _mm256_loadu_ps(p->y + i),
           z = _mm256_loadu_ps(p->z + i);
    __m256 best = _mm256_set1_ps(INFINITY), second = best;
    __m256i lab = _mm256_setzero_si256();
    for (int j = 0; j < c->k; j++) {
        __m256 d = sq_dist8(x, y, z, _mm256_set1_ps(c->x[j]),
                            _mm256_set1_ps(c->y[j]), _mm256_set1_ps(c->z[j]));
        __m256 closer = _mm256_cmp_ps(d, best, _CMP_LT_OQ);
        __m256 hi = _mm256_blendv_ps(d, best, closer);
        second = _mm256_min_ps(hi, second);
        best = _mm256_blendv_ps(best, d, closer);
        lab = _mm256_blendv_epi8(lab, _mm256_set1_epi32(j),
                                 _mm256_castps_si256(closer));
    }
    _mm256_storeu_si256((__m256i *)label, lab);
    _mm256_storeu_ps(best_out, best);
    _mm256_storeu_ps(second_out, second);
}

/* Two vectors of 8 points per centre: the centre's broadcasts are shared
 * and the two dependency chains overlap. Same arithmetic as nearest8. */
AVX2 static void nearest16(const kq_centres_f *c, const kq_points_f *p,
                           size_t i, int32_t *label, float *best_out,
                           float *second_out)
{
    __m256 xa = _mm256_loadu_ps(p->x + i), ya = _mm256_loadu_ps(p->y + i),
           za = _mm256_loadu_ps(p->z + i);
    __m256 xb = _mm256_loadu_ps(p->x + i + 8),
           yb = _mm256_loadu_ps(p->y + i + 8),
           zb = _mm256_loadu_ps(p->z + i + 8);
    __m256 best_a = _mm256_set1_ps(INFINITY), second_a = best_a;
    __m256 best_b = best_a, second_b = best_a;
    __m256i lab_a = _mm256_setzero_si256(), lab_b = lab_a;
    for (int j = 0; j < c->k; j++) {
        __m256 cx = _mm256_set1_ps(c->x[j]), cy = _mm256_set1_ps(c->y[j]),
               cz = _mm256_set1_ps(c->z[j]);
        __m256i jv = _mm256_set1_epi32(j);
        __m256 da = sq_dist8(xa, ya, za, cx, cy, cz);
        __m256 db = sq_dist8(xb, yb, zb, cx, cy, cz);
        __m256 ca = _mm256_cmp_ps(da, best_a, _CMP_LT_OQ);
        __m256 cb = _mm256_cmp_ps(db, best_b, _CMP_LT_OQ);
        second_a = _mm256_min_ps(_mm256_blendv_ps(da, best_a, ca), second_a);
        second_b = _mm256_min_ps(_mm256_blendv_ps(db, best_b, cb), second_b);
        best_a = _mm256_blendv_ps(best_a, da, ca);
        best_b = _mm256_blendv_ps(best_b, db, cb);
        lab_a = _mm256_blendv_epi8(lab_a, jv, _mm256_castps_si256(ca));
        lab_b = _mm256_blendv_epi8(lab_b, jv, _mm256_castps_si256(cb));
    }
    _mm256_storeu_si256((__m256i *)label, lab_a);
    _mm256_storeu_si256((__m256i *)(label + 8), lab_b);
    _mm256_storeu_ps(best_out, best_a);
    _mm256_storeu_ps(best_out + 8, best_b);
    _mm256_storeu_ps(second_out, second_a);
    _mm256_storeu_ps(second_out + 8, second_b);
}

AVX2 static void nearest_avx2(const kq_points_f *p, size_t begin, size_t end,
                              const kq_centres_f *c, int32_t *label,
                              float *best, float *second)
{
    size_t i = begin;
    for (; i + 16 <= end; i += 16)
        nearest16(c, p, i, &label[i - begin], &best[i - begin],
                  &second[i - begin]);
    for (; i + 8 <= end; i += 8)
        nearest8(c, p, i, &label[i - begin], &best[i - begin],
                 &second[i - begin]);
    for (; i < end; i++)
        nearest_one(c, p->x[i], p->y[i], p->z[i], &label[i - begin],
                    &best[i - begin], &second[i - begin]);
}

/* The smallest of 8 lanes, in every lane. */
AVX2 static inline __m256 lanes_min(__m256 v)
{
    v = _mm256_min_ps(v, _mm256_permute2f128_ps(v, v, 1));
    v = _mm256_min_ps(v, _mm256_shuffle_ps(v, v, _MM_SHUFFLE(1, 0, 3, 2)));
    return _mm256_min_ps(v, _mm256_shuffle_ps(v, v, _MM_SHUFFLE(2, 3, 0, 1)));
}

AVX2 static inline int32_t lanes_min_epi32(__m256i v)
{
    v = _mm256_min_epi32(v, _mm256_permute2x128_si256(v, v, 1));
    v = _mm256_min_epi32(v, _mm256_shuffle_epi32(v, _MM_SHUFFLE(1, 0, 3, 2)));
    v = _mm256_min_epi32(v, _mm256_shuffle_epi32(v, _MM_SHUFFLE(2, 3, 0, 1)));
    return _mm256_cvtsi256_si32(v);
}

/* The lanes of a neighbour scan joined: the union's two smallest, the
 * lowest index among the lanes tied for the best. */
AVX2 static void join_near_lanes(__m256 best_v, __m256 second_v, __m256i lab_v,
                                 int32_t *label, float *best_out,
                                 float *second_out)
{
    __m256 inf = _mm256_set1_ps(INFINITY);
    __m256 best = lanes_min(best_v);
    __m256 at_best = _mm256_cmp_ps(best_v, best, _CMP_EQ_OQ);
    int tied = __builtin_popcount((unsigned)_mm256_movemask_ps(at_best));
    /* the lanes' second smallest best: the best again when two lanes tie */
    __m256 next = tied > 1 ? best
                           : lanes_min(_mm256_blendv_ps(best_v, inf, at_best));
    __m256 second = _mm256_min_ps(next, lanes_min(second_v));
    *label = lanes_min_epi32(_mm256_blendv_epi8(
        _mm256_set1_epi32(INT32_MAX), lab_v, _mm256_castps_si256(at_best)));
    *best_out = _mm256_cvtss_f32(best);
    *second_out = _mm256_cvtss_f32(second);
}

/* take_near in 8 lanes, with its very comparisons. */
AVX2 static inline void take_near8(__m256 d, __m256i j, __m256 *best,
                                   __m256 *second, __m256i *lab)
{
    __m256 lt = _mm256_cmp_ps(d, *best, _CMP_LT_OQ);
    *second = _mm256_min_ps(_mm256_blendv_ps(d, *best, lt), *second);
    __m256 tie = _mm256_and_ps(_mm256_cmp_ps(d, *best, _CMP_EQ_OQ),
                               _mm256_castsi256_ps(_mm256_cmpgt_epi32(*lab, j)));
    __m256 closer = _mm256_or_ps(lt, tie);
    *best = _mm256_blendv_ps(*best, d, closer);
    *lab = _mm256_blendv_epi8(*lab, j, _mm256_castps_si256(closer));
}

AVX2 static inline void near_group_avx2(const kq_neighbours *nb, size_t r,
                                        __m256 px, __m256 py, __m256 pz,
                                        __m256 *best, __m256 *second,
                                        __m256i *lab)
{
    __m256 d = sq_dist8(px, py, pz, _mm256_loadu_ps(nb->x + r),
                        _mm256_loadu_ps(nb->y + r), _mm256_loadu_ps(nb->z + r));
    take_near8(d, _mm256_loadu_si256((const __m256i *)(nb->order + r)), best,
               second, lab);
}

/* The row's centres in lanes, each lane keeping its own two smallest.
 * After the first group (the own centre and its nearest neighbours), any
 * two of its distances bound the second nearest from above: lane 0 and
 * the nearest of the others. That bounds how many groups can matter;
 * they are scanned without further checks, and the lanes joined once. */
AVX2 static void near_one_avx2(const kq_neighbours *nb, float x, float y,
                               float z, int32_t a, double upper,
                               int32_t *label, float *best_out,
                               float *second_out)
{
    int groups = nb->stride / KQ_NB_GROUP;
    size_t row = (size_t)a * (size_t)nb->stride;
    const double *floor = nb->floor + (size_t)a * (size_t)groups;
    __m256 px = _mm256_set1_ps(x), py = _mm256_set1_ps(y),
           pz = _mm256_set1_ps(z);
    __m256 best = _mm256_set1_ps(INFINITY), second = best;
    __m256i lab = _mm256_set1_epi32(INT32_MAX);
    near_group_avx2(nb, row, px, py, pz, &best, &second, &lab);
    float first = _mm256_cvtss_f32(best);
    float others = _mm256_cvtss_f32(lanes_min(
        _mm256_blend_ps(best, _mm256_set1_ps(INFINITY), 1)));
    float second_at_most = first > others ? first : others;
    int last = 1;
    while (last < groups &&
           !rest_is_farther(floor, last, upper, second_at_most))
        last++;
    for (int g = 1; g < last; g++)
        near_group_avx2(nb, row + (size_t)g * KQ_NB_GROUP, px, py, pz, &best,
                        &second, &lab);
    join_near_lanes(best, second, lab, label, best_out, second_out);
}

/* ---- neighbour scans of points that share their own centre ----
 * Rescans come grouped by own centre (kmeans.c orders them so). A run of
 * points of one centre walks its list together, one point per lane: each
 * centre is a broadcast, and no lanes are joined, where near_one_avx2
 * joins 8 lanes for every point. A lane may scan groups its point alone
 * would have skipped; every centre there is farther than that point's
 * second nearest (the floor test), so it changes neither the label, the
 * best nor the second. */

enum { NEAR_LANES_MIN = 2 /* points of one centre worth a lane walk */ };

/* kq_upper_root of 4 squared distances. */
AVX2 static inline __m256d upper_root4(__m128 sq)
{
    __m256d root = _mm256_cvtps_pd(_mm_sqrt_ps(sq));
    return _mm256_add_pd(_mm256_mul_pd(root, _mm256_set1_pd(1.0 + KQ_SLACK_REL)),
                         _mm256_set1_pd(KQ_SLACK_ABS));
}

/* kq_upper_root of the 8 lanes' squares (lanes 0-3, then 4-7). */
AVX2 static inline void upper_roots8(__m256 sq, __m256d root[2])
{
    root[0] = upper_root4(_mm256_castps256_ps128(sq));
    root[1] = upper_root4(_mm256_extractf128_ps(sq, 1));
}

/* rest_is_farther for all 8 lanes, given their upper_roots8. */
AVX2 static inline bool lanes_rest_farther(double floor_g, const __m256d up[2],
                                           const __m256d root[2])
{
    __m256d f = _mm256_set1_pd(floor_g);
    __m256d lo = _mm256_cmp_pd(_mm256_sub_pd(f, up[0]), root[0], _CMP_GT_OQ);
    __m256d hi = _mm256_cmp_pd(_mm256_sub_pd(f, up[1]), root[1], _CMP_GT_OQ);
    return _mm256_movemask_pd(_mm256_and_pd(lo, hi)) == 0xF;
}

/* The two smallest of a lane's (best, second) pairs from two chains,
 * the lower index winning a tie for the best: the pair of the union. */
AVX2 static inline void join_chains(__m256 b1, __m256 s1, __m256i j1,
                                    __m256 *best, __m256 *second,
                                    __m256i *lab)
{
    __m256 take = _mm256_or_ps(
        _mm256_cmp_ps(b1, *best, _CMP_LT_OQ),
        _mm256_and_ps(_mm256_cmp_ps(b1, *best, _CMP_EQ_OQ),
                      _mm256_castsi256_ps(_mm256_cmpgt_epi32(*lab, j1))));
    __m256 other = _mm256_max_ps(*best, b1);
    *second = _mm256_min_ps(_mm256_min_ps(*second, s1), other);
    *best = _mm256_min_ps(*best, b1);
    *lab = _mm256_blendv_epi8(*lab, j1, _mm256_castps_si256(take));
}

/* take_near8 of centre r of the lists. */
AVX2 static inline void take_row8(const kq_neighbours *nb, size_t r,
                                  __m256 px, __m256 py, __m256 pz,
                                  __m256 *best, __m256 *second, __m256i *lab)
{
    __m256 d = sq_dist8(px, py, pz, _mm256_broadcast_ss(nb->x + r),
                        _mm256_broadcast_ss(nb->y + r),
                        _mm256_broadcast_ss(nb->z + r));
    take_near8(d, _mm256_set1_epi32(nb->order[r]), best, second, lab);
}

/* take_row8 of the centres of a group, even ones into one chain and odd
 * ones into another: one chain's compare-and-blend per centre would be
 * the walk's critical path. */
AVX2 static inline void take_group8(const kq_neighbours *nb, size_t r0,
                                    __m256 px, __m256 py, __m256 pz,
                                    __m256 *best, __m256 *second,
                                    __m256i *lab, __m256 *b1, __m256 *s1,
                                    __m256i *j1)
{
    for (size_t r = r0; r < r0 + KQ_NB_GROUP; r += 2) {
        take_row8(nb, r, px, py, pz, best, second, lab);
        take_row8(nb, r + 1, px, py, pz, b1, s1, j1);
    }
}

/* near_one for the 8 points in lanes, all of own centre a. The floor
 * test takes each lane's second after the first group: a larger second
 * than the running one stops no earlier, and it saves a root per group. */
AVX2 static void near_lanes8(const kq_neighbours *nb, int32_t a, __m256 px,
                             __m256 py, __m256 pz, const __m256d up[2],
                             __m256 *best, __m256 *second, __m256i *lab)
{
    int groups = nb->stride / KQ_NB_GROUP;
    size_t row = (size_t)a * (size_t)nb->stride;
    const double *floor = nb->floor + (size_t)a * (size_t)groups;
    __m256 inf = _mm256_set1_ps(INFINITY), b1 = inf, s1 = inf;
    __m256i j1 = _mm256_set1_epi32(INT32_MAX);
    *best = *second = inf;
    *lab = j1;
    take_group8(nb, row, px, py, pz, best, second, lab, &b1, &s1, &j1);
    __m256d root[2];
    upper_roots8(_mm256_min_ps(_mm256_min_ps(*second, s1),
                               _mm256_max_ps(*best, b1)), root);
    for (int g = 1; g < groups && !lanes_rest_farther(floor[g], up, root); g++)
        take_group8(nb, row + (size_t)g * KQ_NB_GROUP, px, py, pz, best,
                    second, lab, &b1, &s1, &j1);
    join_chains(b1, s1, j1, best, second, lab);
}

/* The points q..q+len-1 (len 1..8, all of own centre a) in lanes; lanes
 * past len repeat the last point and are not stored. */
AVX2 static void near_lanes_at(const kq_neighbours *nb, const float *x,
                               const float *y, const float *z, int32_t a,
                               const double *upper, size_t q, size_t len,
                               int32_t *label, float *best, float *second)
{
    float tx[8], ty[8], tz[8];
    double tu[8];
    const float *px = x + q, *py = y + q, *pz = z + q;
    const double *pu = upper + q;
    if (len < 8) {
        for (size_t l = 0; l < 8; l++) {
            size_t at = l < len ? l : len - 1;
            tx[l] = px[at];
            ty[l] = py[at];
            tz[l] = pz[at];
            tu[l] = pu[at];
        }
        px = tx;
        py = ty;
        pz = tz;
        pu = tu;
    }
    __m256d up[2] = {_mm256_loadu_pd(pu), _mm256_loadu_pd(pu + 4)};
    __m256 b, s;
    __m256i j;
    near_lanes8(nb, a, _mm256_loadu_ps(px), _mm256_loadu_ps(py),
                _mm256_loadu_ps(pz), up, &b, &s, &j);
    float bl[8], sl[8];
    int32_t jl[8];
    _mm256_storeu_ps(bl, b);
    _mm256_storeu_ps(sl, s);
    _mm256_storeu_si256((__m256i *)jl, j);
    memcpy(label + q, jl, sizeof(int32_t) * len);
    memcpy(best + q, bl, sizeof(float) * len);
    memcpy(second + q, sl, sizeof(float) * len);
}

/* Each run of one own centre in lanes of 8; a run's last point alone as
 * near_one_avx2. */
AVX2 static void nearest_near_avx2(const float *x, const float *y,
                                   const float *z, const int32_t *own,
                                   const double *upper, size_t m,
                                   const kq_neighbours *nb, int32_t *label,
                                   float *best, float *second)
{
    for (size_t q = 0; q < m;) {
        size_t end = q + 1;
        while (end < m && own[end] == own[q])
            end++;
        while (q + NEAR_LANES_MIN <= end) {
            size_t len = end - q < 8 ? end - q : 8;
            near_lanes_at(nb, x, y, z, own[q], upper, q, len, label, best,
                          second);
            q += len;
        }
        for (; q < end; q++)
            near_one_avx2(nb, x[q], y[q], z[q], own[q], upper[q], &label[q],
                          &best[q], &second[q]);
    }
}

/* min(dist, |p - cand|^2) for 8 points at i (min_ps returns the second
 * operand on equality, as the portable d < dist ? d : dist). */
AVX2 static inline __m256 seed_min8(const kq_points_f *p, size_t i,
                                    __m256 cx, __m256 cy, __m256 cz,
                                    const float *dist)
{
    __m256 d = sq_dist8(_mm256_loadu_ps(p->x + i), _mm256_loadu_ps(p->y + i),
                        _mm256_loadu_ps(p->z + i), cx, cy, cz);
    return _mm256_min_ps(d, _mm256_loadu_ps(dist + i));
}

/* acc lanes += w * t, lane = index mod 4, points i..i+3 then i+4..i+7. */
AVX2 static inline __m256d add_weighted8(__m256d acc, __m256 t,
                                         const double *w)
{
    __m256d lo = _mm256_cvtps_pd(_mm256_castps256_ps128(t));
    __m256d hi = _mm256_cvtps_pd(_mm256_extractf128_ps(t, 1));
    acc = _mm256_add_pd(acc, _mm256_mul_pd(lo, _mm256_loadu_pd(w)));
    return _mm256_add_pd(acc, _mm256_mul_pd(hi, _mm256_loadu_pd(w + 4)));
}

AVX2 static double seed_pot_avx2(const kq_points_f *p, size_t begin,
                                 size_t end, const float cand[3],
                                 const float *dist)
{
    __m256 cx = _mm256_set1_ps(cand[0]), cy = _mm256_set1_ps(cand[1]),
           cz = _mm256_set1_ps(cand[2]);
    __m256d acc = _mm256_setzero_pd();
    size_t i = begin;
    for (; i + 8 <= end; i += 8)
        acc = add_weighted8(acc, seed_min8(p, i, cx, cy, cz, dist), p->w + i);
    double lanes[4];
    _mm256_storeu_pd(lanes, acc);
    seed_pot_lanes(p, begin, i, end, cand, dist, lanes);
    return join_lanes(lanes);
}

AVX2 static double seed_apply_avx2(const kq_points_f *p, size_t begin,
                                   size_t end, const float cand[3],
                                   float *dist, float *max_out)
{
    __m256 cx = _mm256_set1_ps(cand[0]), cy = _mm256_set1_ps(cand[1]),
           cz = _mm256_set1_ps(cand[2]);
    __m256d acc = _mm256_setzero_pd();
    __m256 vmax = _mm256_setzero_ps();
    size_t i = begin;
    for (; i + 8 <= end; i += 8) {
        __m256 t = seed_min8(p, i, cx, cy, cz, dist);
        _mm256_storeu_ps(dist + i, t);
        vmax = _mm256_max_ps(vmax, t);
        acc = add_weighted8(acc, t, p->w + i);
    }
    double lanes[4];
    float m8[8], max = 0.0f;
    _mm256_storeu_pd(lanes, acc);
    _mm256_storeu_ps(m8, vmax);
    for (int q = 0; q < 8; q++)
        max = m8[q] > max ? m8[q] : max;
    *max_out = seed_apply_lanes(p, begin, i, end, cand, dist, lanes, max);
    return join_lanes(lanes);
}

/* v[j] for the 4 labels j; one broadcast when they are all the same
 * label (points come in Z-order, so runs of a label are common and the
 * gathers were the bound pass's largest cost). */
AVX2 static inline __m256d per_centre4(const double *v, __m128i j, bool same)
{
    return same ? _mm256_set1_pd(v[_mm_cvtsi128_si32(j)])
                : _mm256_i32gather_pd(v, j, 8);
}

/* lower_after_moves for 4 points (any: their bound after the largest
 * moves); blends, not min/max, to keep the portable code's choice on
 * equal operands. */
AVX2 static inline __m256d lower_near4(const kq_bounds_args *a, __m256d lower,
                                       __m256d any, __m256d u, __m128i j,
                                       bool same)
{
    __m256d far = _mm256_sub_pd(per_centre4(a->far_floor, j, same), u);
    __m256d near = _mm256_sub_pd(lower, per_centre4(a->near_delta, j, same));
    __m256d rest = _mm256_blendv_pd(any, far,
                                    _mm256_cmp_pd(far, any, _CMP_GT_OQ));
    return _mm256_blendv_pd(rest, near, _mm256_cmp_pd(near, rest, _CMP_LT_OQ));
}

/* c[j] for the 4 labels j, as per_centre4. */
AVX2 static inline __m128 centre_coord4(const float *c, __m128i j, bool same)
{
    return same ? _mm_set1_ps(c[_mm_cvtsi128_si32(j)])
                : _mm_i32gather_ps(c, j, 4);
}

/* kq_upper_root of the distances of points i..i+3 to their centres j. */
AVX2 static inline __m256d tight_upper4(const kq_bounds_args *a, size_t i,
                                        __m128i j, bool same)
{
    const kq_points_f *p = &a->points;
    const kq_centres_f *c = &a->centres;
    __m128 dx = _mm_sub_ps(_mm_loadu_ps(p->x + i), centre_coord4(c->x, j, same));
    __m128 dy = _mm_sub_ps(_mm_loadu_ps(p->y + i), centre_coord4(c->y, j, same));
    __m128 dz = _mm_sub_ps(_mm_loadu_ps(p->z + i), centre_coord4(c->z, j, same));
    return upper_root4(_mm_add_ps(
        _mm_add_ps(_mm_mul_ps(dx, dx), _mm_mul_ps(dy, dy)), _mm_mul_ps(dz, dz)));
}

/* For each mask of 4 lanes, the set lanes in order (then zeros). */
static const uint32_t set_lanes[16][4] __attribute__((aligned(16))) = {
    {0}, {0}, {1}, {0, 1}, {2}, {0, 2}, {1, 2}, {0, 1, 2},
    {3}, {0, 3}, {1, 3}, {0, 1, 3}, {2, 3}, {0, 2, 3}, {1, 2, 3},
    {0, 1, 2, 3}};

/* The same bound updates and test as kq_bounds_portable, 4 points at a
 * time (max_pd(g, l) is g > l ? g : l, as the portable code). Which of 4
 * points fail is close to random, so the loop does not branch on it: the
 * upper bounds are tightened in every lane and kept where the test
 * failed, and the failing indices are stored 4 at a time through a table
 * (m <= i - begin, so the store stays within end - begin entries).
 * Mispredicted branches there were the pass's largest cost: 12 MP,
 * k=256, the k-means part 0.285 -> 0.251 s, median of 24 fits. */
AVX2 static size_t bounds_avx2(const kq_bounds_args *args, size_t begin,
                               size_t end, uint32_t *fail)
{
    /* a copy: stores through fail or the bounds cannot change it, so its
     * fields need not be reloaded after every store */
    const kq_bounds_args copy = *args, *a = &copy;
    size_t m = 0, i = begin;
    __m128i max_at = _mm_set1_epi32(a->max_at);
    __m256d maxd = _mm256_set1_pd(a->max_delta),
            secd = _mm256_set1_pd(a->second_delta);
    for (; i + 4 <= end; i += 4) {
        __m128i j = _mm_loadu_si128((const __m128i *)(a->label + i));
        bool same = _mm_movemask_epi8(_mm_cmpeq_epi32(
                        j, _mm_shuffle_epi32(j, 0))) == 0xFFFF;
        __m256d u = _mm256_add_pd(_mm256_loadu_pd(a->upper + i),
                                  per_centre4(a->delta, j, same));
        __m256d own = _mm256_castsi256_pd(
            _mm256_cvtepi32_epi64(_mm_cmpeq_epi32(j, max_at)));
        __m256d lower = _mm256_loadu_pd(a->lower + i);
        __m256d l = _mm256_sub_pd(lower, _mm256_blendv_pd(maxd, secd, own));
        if (a->near_delta)
            l = lower_near4(a, lower, l, u, j, same);
        __m256d g = per_centre4(a->half_gap, j, same);
        __m256d floor_d = _mm256_max_pd(g, l);
        __m256d bad_v = _mm256_cmp_pd(u, floor_d, _CMP_NLE_UQ);
        u = _mm256_blendv_pd(u, tight_upper4(a, i, j, same), bad_v);
        int bad = _mm256_movemask_pd(_mm256_cmp_pd(u, floor_d, _CMP_NLE_UQ));
        _mm256_storeu_pd(a->upper + i, u);
        _mm256_storeu_pd(a->lower + i, l);
        _mm_storeu_si128(
            (__m128i *)(fail + m),
            _mm_add_epi32(_mm_set1_epi32((int)(uint32_t)i),
                          _mm_load_si128((const __m128i *)set_lanes[bad])));
        m += (size_t)__builtin_popcount((unsigned)bad);
    }
    return m + kq_bounds_portable(a, i, end, fail + m);
}

/* perf: the lists' coordinates are rewritten every iteration (k^2 x 3
 * floats: 768 KiB at k=256, more than the L2), and one scalar store per
 * float filled the store queue with misses: the copy was over half of
 * the lists' update. A gather and a 32-byte store per 8 entries: 12 MP,
 * k=256, k-means part median 0.249 -> 0.234 s on 2 threads, 0.479 ->
 * 0.441 s on one (ab_engines.sh 8 x 3 and 6 x 3). */
static AVX2 void list_coords_avx2(const kq_centres_f *c, const int32_t *order,
                                  int stride, float *x, float *y, float *z)
{
    int r = 0;
    for (; r + 8 <= c->k; r += 8) {
        __m256i at = _mm256_loadu_si256((const __m256i *)(order + r));
        _mm256_storeu_ps(x + r, _mm256_i32gather_ps(c->x, at, 4));
        _mm256_storeu_ps(y + r, _mm256_i32gather_ps(c->y, at, 4));
        _mm256_storeu_ps(z + r, _mm256_i32gather_ps(c->z, at, 4));
    }
    kq_centres_f rest = *c; /* the last k % 8 entries and the padding */
    rest.k = c->k - r;
    kq_list_coords_portable(&rest, order + r, stride - r, x + r, y + r,
                            z + r);
}

static bool cpu_has_avx2(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2");
}
#else
static bool cpu_has_avx2(void)
{
    return false;
}
#endif

void kq_kernels_select(kq_kernels *k, bool allow_simd)
{
    k->nearest = kq_nearest_portable;
    k->nearest_near = kq_nearest_near_portable;
    k->list_coords = kq_list_coords_portable;
    k->seed_pot = kq_seed_pot_portable;
    k->seed_apply = kq_seed_apply_portable;
    k->bounds = kq_bounds_portable;
    k->simd = false;
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    if (allow_simd && cpu_has_avx2()) {
        k->nearest = nearest_avx2;
        k->nearest_near = nearest_near_avx2;
        k->list_coords = list_coords_avx2;
        k->seed_pot = seed_pot_avx2;
        k->seed_apply = seed_apply_avx2;
        k->bounds = bounds_avx2;
        k->simd = true;
    }
#else
    (void)allow_simd;
    (void)cpu_has_avx2;
#endif
}
