/* nearest.c - the inner loops of k-means: nearest centres and seeding
 * potentials, in portable C and in AVX2 (chosen at run time).
 *
 * Both versions do the very same float operations in the same order (no
 * FMA; the build disables contraction), so they agree bit for bit and the
 * choice of kernel never changes a result. Ties go to the lower index. */
#include "kq_internal.h"

#include <math.h>

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

/* 4 double accumulators, lane = local index mod 4, joined as
 * (a0 + a1) + (a2 + a3): the AVX2 version keeps exactly this order. */
static double join_lanes(const double acc[4])
{
    return (acc[0] + acc[1]) + (acc[2] + acc[3]);
}

double kq_seed_pot_portable(const kq_points_f *p, size_t begin, size_t end,
                            const float cand[3], const float *dist)
{
    double acc[4] = {0, 0, 0, 0};
    for (size_t i = begin; i < end; i++) {
        float d = sq_dist_f(p->x[i], p->y[i], p->z[i], cand[0], cand[1],
                            cand[2]);
        float t = d < dist[i] ? d : dist[i];
        acc[(i - begin) & 3] += (double)t * p->w[i];
    }
    return join_lanes(acc);
}

double kq_seed_apply_portable(const kq_points_f *p, size_t begin, size_t end,
                              const float cand[3], float *dist, float *max_out)
{
    double acc[4] = {0, 0, 0, 0};
    float max = 0.0f;
    for (size_t i = begin; i < end; i++) {
        float d = sq_dist_f(p->x[i], p->y[i], p->z[i], cand[0], cand[1],
                            cand[2]);
        float t = d < dist[i] ? d : dist[i];
        dist[i] = t;
        max = t > max ? t : max;
        acc[(i - begin) & 3] += (double)t * p->w[i];
    }
    *max_out = max;
    return join_lanes(acc);
}

size_t kq_bounds_portable(const kq_bounds_args *a, size_t begin, size_t end,
                          uint32_t *fail)
{
    size_t m = 0;
    for (size_t i = begin; i < end; i++) {
        int32_t j = a->label[i];
        double u = a->upper[i] + a->delta[j];
        double l = a->lower[i] - (j == a->max_at ? a->second_delta
                                                 : a->max_delta);
        double g = a->half_gap[j];
        double floor_d = g > l ? g : l;
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
    for (; i < end; i++) {
        float d = sq_dist_f(p->x[i], p->y[i], p->z[i], cand[0], cand[1],
                            cand[2]);
        float t = d < dist[i] ? d : dist[i];
        lanes[(i - begin) & 3] += (double)t * p->w[i];
    }
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
    for (; i < end; i++) {
        float d = sq_dist_f(p->x[i], p->y[i], p->z[i], cand[0], cand[1],
                            cand[2]);
        float t = d < dist[i] ? d : dist[i];
        dist[i] = t;
        max = t > max ? t : max;
        lanes[(i - begin) & 3] += (double)t * p->w[i];
    }
    *max_out = max;
    return join_lanes(lanes);
}

/* The same bound updates and test as kq_bounds_portable, 4 points at a
 * time (max_pd(g, l) is g > l ? g : l, as the portable code). */
AVX2 static size_t bounds_avx2(const kq_bounds_args *a, size_t begin,
                               size_t end, uint32_t *fail)
{
    size_t m = 0, i = begin;
    __m128i max_at = _mm_set1_epi32(a->max_at);
    __m256d maxd = _mm256_set1_pd(a->max_delta),
            secd = _mm256_set1_pd(a->second_delta);
    for (; i + 4 <= end; i += 4) {
        __m128i j = _mm_loadu_si128((const __m128i *)(a->label + i));
        __m256d u = _mm256_add_pd(_mm256_loadu_pd(a->upper + i),
                                  _mm256_i32gather_pd(a->delta, j, 8));
        __m256d own = _mm256_castsi256_pd(
            _mm256_cvtepi32_epi64(_mm_cmpeq_epi32(j, max_at)));
        __m256d l = _mm256_sub_pd(_mm256_loadu_pd(a->lower + i),
                                  _mm256_blendv_pd(maxd, secd, own));
        __m256d g = _mm256_i32gather_pd(a->half_gap, j, 8);
        __m256d floor_d = _mm256_max_pd(g, l);
        _mm256_storeu_pd(a->upper + i, u);
        _mm256_storeu_pd(a->lower + i, l);
        int bad = ~_mm256_movemask_pd(_mm256_cmp_pd(u, floor_d, _CMP_LE_OQ))
                  & 15;
        while (bad) {
            int q = __builtin_ctz((unsigned)bad);
            fail[m++] = (uint32_t)(i + (size_t)q);
            bad &= bad - 1;
        }
    }
    return m + kq_bounds_portable(a, i, end, fail + m);
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
    k->seed_pot = kq_seed_pot_portable;
    k->seed_apply = kq_seed_apply_portable;
    k->bounds = kq_bounds_portable;
    k->simd = false;
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    if (allow_simd && cpu_has_avx2()) {
        k->nearest = nearest_avx2;
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
