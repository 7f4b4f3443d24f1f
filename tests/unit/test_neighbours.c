/* test_neighbours.c - the centres' sorted neighbour lists and the scans
 * that start from the own centre's neighbours: sorted rows that stay
 * sorted as centres move, and the very label, best and second of a full
 * scan, in both kernels, with ties and duplicate centres. */
#include "testutil.h"

#include "kq_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { N = 2000, K = 77 };

static unsigned lcg(unsigned *s)
{
    *s = *s * 1103515245u + 12345u;
    return *s >> 8;
}

/* Centres on a coarse grid (many equal distances), one duplicated. */
static void make_centres(float *cx, float *cy, float *cz, unsigned seed)
{
    unsigned s = seed;
    for (int j = 0; j < K; j++) {
        cx[j] = (float)(lcg(&s) % 16 * 16);
        cy[j] = (float)(lcg(&s) % 16 * 16);
        cz[j] = (float)(lcg(&s) % 64 * 4) + 0.5f * (float)(j % 2);
    }
    cx[K - 1] = cx[3];
    cy[K - 1] = cy[3];
    cz[K - 1] = cz[3];
}

static double sq(double v)
{
    return v * v;
}

static void assert_rows_sorted(const kq_neighbours *nb, const float *cx,
                               const float *cy, const float *cz)
{
    for (int a = 0; a < K; a++) {
        const int32_t *row = nb->order + (size_t)a * (size_t)nb->stride;
        int seen[K] = {0};
        double last = -1.0;
        for (int r = 0; r < K; r++) {
            int j = row[r];
            assert_true(j >= 0 && j < K);
            seen[j]++;
            double d = sq((double)cx[a] - cx[j]) + sq((double)cy[a] - cy[j]) +
                       sq((double)cz[a] - cz[j]);
            assert_true(d >= last);
            last = d;
            if (r % KQ_NB_GROUP == 0) /* a floor never exceeds the group */
                assert_true(nb->floor[(size_t)a * (size_t)nb->stride /
                                          KQ_NB_GROUP +
                                      (size_t)r / KQ_NB_GROUP] <= sqrt(d));
            size_t at = (size_t)a * (size_t)nb->stride + (size_t)r;
            assert_true(nb->x[at] == cx[j] && nb->y[at] == cy[j] &&
                        nb->z[at] == cz[j]);
        }
        for (int j = 0; j < K; j++)
            assert_int_equal(seen[j], 1);
        for (int r = K; r < nb->stride; r++) { /* padding: never nearest */
            size_t at = (size_t)a * (size_t)nb->stride + (size_t)r;
            assert_true(isinf(nb->x[at]) && isinf(nb->y[at]) &&
                        isinf(nb->z[at]));
        }
    }
}

/* With either kernel writing the lists' coordinates (K = 77: a partial
 * last group and padding). */
static void rows_stay_sorted_as_centres_move(void **state)
{
    (void)state;
    for (int simd = 0; simd < 2; simd++) {
        kq_kernels kern;
        kq_kernels_select(&kern, simd);
        float cx[K], cy[K], cz[K];
        make_centres(cx, cy, cz, 5);
        kq_neighbours nb;
        assert_int_equal(kq_neighbours_init(&nb, K), KQ_OK);
        assert_int_equal(nb.stride % KQ_NB_GROUP, 0);
        assert_true(nb.stride > K);
        kq_centres_f c = {cx, cy, cz, K};
        unsigned s = 17;
        for (int step = 0; step < 6; step++) {
            kq_neighbours_update(&nb, &c, kern.list_coords, NULL);
            assert_rows_sorted(&nb, cx, cy, cz);
            for (int j = 0; j < K; j++) { /* small moves, then a big jump */
                float span = step == 3 ? 200.0f : 3.0f;
                cx[j] += span * ((float)(lcg(&s) % 1000) / 1000.0f - 0.5f);
                cz[j] -= span * ((float)(lcg(&s) % 1000) / 1000.0f - 0.5f);
            }
        }
        kq_neighbours_free(&nb);
    }
}

/* The first sort of the rows (from no earlier order): by distance, ties
 * by index, as a comparison sort gives it. Centres on a coarse grid, with
 * duplicates, so that rows hold many ties. */
enum { K_WIDE = 300 };

typedef struct {
    double d2;
    int32_t j;
} ranked_ref;

static int by_distance_then_index(const void *pa, const void *pb)
{
    const ranked_ref *a = pa, *b = pb;
    if (a->d2 != b->d2)
        return a->d2 < b->d2 ? -1 : 1;
    return (a->j > b->j) - (a->j < b->j);
}

static void first_sort_orders_ties_by_index(void **state)
{
    (void)state;
    static float cx[K_WIDE], cy[K_WIDE], cz[K_WIDE];
    unsigned s = 11;
    for (int j = 0; j < K_WIDE; j++) {
        cx[j] = (float)(lcg(&s) % 8 * 32);
        cy[j] = (float)(lcg(&s) % 8 * 32);
        cz[j] = (float)(lcg(&s) % 8 * 32) + (j % 7 == 0 ? 0.25f : 0.0f);
    }
    kq_neighbours nb;
    assert_int_equal(kq_neighbours_init(&nb, K_WIDE), KQ_OK);
    kq_centres_f c = {cx, cy, cz, K_WIDE};
    kq_neighbours_update(&nb, &c, kq_list_coords_portable, NULL);
    int ties = 0;
    for (int a = 0; a < K_WIDE; a++) {
        static ranked_ref want[K_WIDE];
        for (int j = 0; j < K_WIDE; j++)
            want[j] = (ranked_ref){sq((double)cx[a] - cx[j]) +
                                       sq((double)cy[a] - cy[j]) +
                                       sq((double)cz[a] - cz[j]),
                                   j};
        qsort(want, K_WIDE, sizeof want[0], by_distance_then_index);
        const int32_t *row = nb.order + (size_t)a * (size_t)nb.stride;
        for (int r = 0; r < K_WIDE; r++) {
            assert_int_equal(row[r], want[r].j);
            ties += r > 0 && want[r].d2 == want[r - 1].d2;
        }
    }
    assert_true(ties > K_WIDE); /* the rows really hold ties */
    kq_neighbours_free(&nb);
}

/* Every point, from its true nearest centre and from a random other
 * one (as after a move), through both kernels. */
static void near_scans_match_full_scans(void **state)
{
    (void)state;
    float cx[K], cy[K], cz[K], x[N], y[N], z[N];
    make_centres(cx, cy, cz, 9);
    unsigned s = 3;
    for (int i = 0; i < N; i++) {
        /* grid points: many exact ties between centres */
        x[i] = (float)(lcg(&s) % 32 * 8);
        y[i] = (float)(lcg(&s) % 32 * 8);
        z[i] = (float)(lcg(&s) % 256);
    }
    kq_points_f p = {x, y, z, NULL, N};
    kq_centres_f c = {cx, cy, cz, K};
    static int32_t lab[N], own[N], la[N], lb[N];
    static float best[N], second[N], ba[N], bb[N], sa[N], sb[N];
    static double upper[N];
    kq_nearest_portable(&p, 0, N, &c, lab, best, second);
    kq_neighbours nb;
    assert_int_equal(kq_neighbours_init(&nb, K), KQ_OK);
    kq_kernels simd, portable;
    kq_kernels_select(&simd, true);
    kq_kernels_select(&portable, false);
    kq_neighbours_update(&nb, &c, simd.list_coords, NULL);
    int32_t run_own = 0;
    for (int pass = 0; pass < 3; pass++) {
        for (int i = 0, run = 0; i < N; i++) {
            /* pass 2: runs of 1 to 20 points of one own centre, which
             * the AVX2 kernel walks in lanes of 8 (full, partial, alone) */
            if (pass == 2 && run-- == 0) {
                run = (int)(lcg(&s) % 20);
                run_own = (int32_t)(lcg(&s) % K);
            }
            own[i] = pass == 0   ? lab[i]
                     : pass == 1 ? (int32_t)(lcg(&s) % K)
                                 : run_own;
            upper[i] = kq_upper_root(kq_sq_dist_f(x[i], y[i], z[i],
                                                  cx[own[i]], cy[own[i]],
                                                  cz[own[i]]));
        }
        simd.nearest_near(x, y, z, own, upper, N, &nb, la, ba, sa);
        portable.nearest_near(x, y, z, own, upper, N, &nb, lb, bb, sb);
        assert_memory_equal(la, lab, sizeof lab);
        assert_memory_equal(ba, best, sizeof best);
        assert_memory_equal(sa, second, sizeof second);
        assert_memory_equal(lb, lab, sizeof lab);
        assert_memory_equal(bb, best, sizeof best);
        assert_memory_equal(sb, second, sizeof second);
    }
    int ties = 0; /* the data really has them */
    for (int i = 0; i < N; i++)
        ties += best[i] == second[i];
    assert_true(ties > 10);
    kq_neighbours_free(&nb);
}

/* Above KQ_NB_MAX_K the lists are refused (the engine then scans all
 * centres): their k^2 memory would grow past what they save. */
static void lists_are_bounded_in_k(void **state)
{
    (void)state;
    kq_neighbours nb;
    assert_int_equal(kq_neighbours_init(&nb, KQ_NB_MAX_K + 1),
                     KQ_ERR_ARGUMENT);
    assert_null(nb.order);
    assert_int_equal(kq_neighbours_init(&nb, KQ_NB_MAX_K), KQ_OK);
    assert_int_equal(nb.stride, KQ_NB_MAX_K);
    kq_neighbours_free(&nb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lists_are_bounded_in_k),
        cmocka_unit_test(rows_stay_sorted_as_centres_move),
        cmocka_unit_test(first_sort_orders_ties_by_index),
        cmocka_unit_test(near_scans_match_full_scans),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
