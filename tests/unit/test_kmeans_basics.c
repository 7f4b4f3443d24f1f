/* test_kmeans_basics.c - the k-means contracts any engine must keep: exact
 * means, determinism, self-consistency, restarts, limits, bad parameters.
 * (Fewer colours than k: test_kmeans.c.) */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kq_internal.h"

static kq_kmeans_params params_for(int k)
{
    kq_kmeans_params p;
    kq_kmeans_params_default(&p);
    p.k = k;
    return p;
}

/* n pseudo-random pixels from a fixed generator. */
static float *random_pixels(size_t n, uint32_t seed)
{
    kq_rng rng;
    kq_rng_seed(&rng, seed);
    float *x = malloc(n * 3 * sizeof *x);
    for (size_t i = 0; i < n * 3; i++)
        x[i] = (float)kq_rng_below(&rng, 256);
    return x;
}

static double sq(const float *x, const double *c)
{
    double d0 = x[0] - c[0], d1 = x[1] - c[1], d2 = x[2] - c[2];
    return d0 * d0 + d1 * d1 + d2 * d2;
}

static void two_blobs_give_their_exact_means(void **state)
{
    (void)state;
    const float x[] = {10, 10, 10, 12, 10, 10, 10, 14, 10, 10, 10, 16,
                       200, 220, 240, 202, 220, 240, 200, 224, 240, 200, 220, 246};
    kq_kmeans_params p = params_for(2);
    kq_kmeans_result r = {0};
    assert_int_equal(kq_kmeans_fit(x, 8, &p, &r), KQ_OK);
    int low = r.centroids[0] < 100 ? 0 : 1, high = 1 - low;
    const double low_mean[] = {10.5, 11, 11.5}, high_mean[] = {200.5, 221, 241.5};
    assert_memory_equal(&r.centroids[3 * low], low_mean, sizeof low_mean);
    assert_memory_equal(&r.centroids[3 * high], high_mean, sizeof high_mean);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(r.labels[i], low);
        assert_int_equal(r.labels[4 + i], high);
    }
    assert_int_equal(r.counts[0], 4);
    assert_int_equal(r.counts[1], 4);
    /* Each blob: squared deviations 0.25+1+2.25 ... computed by hand. */
    double blob = (0.25 + 1 + 2.25) + (2.25 + 1 + 2.25) + (0.25 + 9 + 2.25) +
                  (0.25 + 1 + 20.25);
    assert_true(fabs(r.inertia - 2 * blob) < 1e-9);
    kq_kmeans_result_free(&r);
}

static void one_cluster_is_the_mean(void **state)
{
    (void)state;
    const float x[] = {0, 0, 0, 4, 8, 12, 8, 4, 0, 0, 0, 4};
    kq_kmeans_params p = params_for(1);
    kq_kmeans_result r = {0};
    assert_int_equal(kq_kmeans_fit(x, 4, &p, &r), KQ_OK);
    const double mean[] = {3, 3, 4};
    assert_memory_equal(r.centroids, mean, sizeof mean);
    assert_int_equal(r.counts[0], 4);
    assert_true(fabs(r.inertia - (9 + 9 + 16 + 1 + 25 + 64 + 25 + 1 + 16 + 9 +
                                  9 + 0)) < 1e-12);
    kq_kmeans_result_free(&r);
}

static void same_seed_gives_same_result(void **state)
{
    (void)state;
    float *x = random_pixels(3000, 7);
    kq_kmeans_params p = params_for(6);
    p.n_init = 2;
    kq_kmeans_result a = {0}, b = {0}, c = {0};
    assert_int_equal(kq_kmeans_fit(x, 3000, &p, &a), KQ_OK);
    assert_int_equal(kq_kmeans_fit(x, 3000, &p, &b), KQ_OK);
    assert_memory_equal(a.centroids, b.centroids, 6 * 3 * sizeof(double));
    assert_memory_equal(a.labels, b.labels, 3000 * sizeof(kq_label));
    assert_int_equal(a.n_iter, b.n_iter);
    p.seed = 8;
    assert_int_equal(kq_kmeans_fit(x, 3000, &p, &c), KQ_OK);
    assert_memory_not_equal(a.centroids, c.centroids, 6 * 3 * sizeof(double));
    kq_kmeans_result_free(&a);
    kq_kmeans_result_free(&b);
    kq_kmeans_result_free(&c);
    free(x);
}

static void result_is_self_consistent(void **state)
{
    (void)state;
    const size_t n = 2000;
    float *x = random_pixels(n, 3);
    kq_kmeans_params p = params_for(9);
    kq_kmeans_result r = {0};
    assert_int_equal(kq_kmeans_fit(x, n, &p, &r), KQ_OK);
    size_t counts[9] = {0};
    double inertia = 0;
    for (size_t i = 0; i < n; i++) {
        int j = r.labels[i];
        assert_true(j >= 0 && j < 9);
        counts[j]++;
        double own = sq(&x[3 * i], &r.centroids[3 * j]);
        inertia += own;
        for (int m = 0; m < 9; m++) /* every label is a nearest centre */
            assert_true(own <= sq(&x[3 * i], &r.centroids[3 * m]));
    }
    for (int j = 0; j < 9; j++)
        assert_int_equal(counts[j], r.counts[j]);
    assert_true(fabs(inertia - r.inertia) <= 1e-9 * inertia);
    assert_true(r.n_iter >= 1 && r.n_iter <= 300);
    kq_kmeans_result_free(&r);
    free(x);
}

static void restarts_never_do_worse(void **state)
{
    (void)state;
    float *x = random_pixels(1500, 11);
    kq_kmeans_params p = params_for(5);
    kq_kmeans_result one = {0}, many = {0};
    assert_int_equal(kq_kmeans_fit(x, 1500, &p, &one), KQ_OK);
    p.n_init = 4; /* the first restart is the n_init=1 run */
    assert_int_equal(kq_kmeans_fit(x, 1500, &p, &many), KQ_OK);
    assert_true(many.inertia <= one.inertia);
    kq_kmeans_result_free(&one);
    kq_kmeans_result_free(&many);
    free(x);
}

static void iteration_cap_is_respected(void **state)
{
    (void)state;
    float *x = random_pixels(1000, 5);
    kq_kmeans_params p = params_for(8);
    p.max_iter = 1;
    kq_kmeans_result r = {0};
    assert_int_equal(kq_kmeans_fit(x, 1000, &p, &r), KQ_OK);
    assert_int_equal(r.n_iter, 1);
    kq_kmeans_result_free(&r);
    free(x);
}

static void k_equal_to_n_fits_exactly(void **state)
{
    (void)state;
    const float x[] = {1, 2, 3, 50, 60, 70, 200, 100, 0};
    kq_kmeans_params p = params_for(3);
    kq_kmeans_result r = {0};
    assert_int_equal(kq_kmeans_fit(x, 3, &p, &r), KQ_OK);
    assert_true(r.inertia == 0.0);
    for (int j = 0; j < 3; j++)
        assert_int_equal(r.counts[j], 1);
    kq_kmeans_result_free(&r);
}

static void bad_parameters_are_refused(void **state)
{
    (void)state;
    const float x[] = {1, 2, 3, 4, 5, 6};
    kq_kmeans_result r = {0};
    kq_kmeans_params p = params_for(0);
    assert_int_equal(kq_kmeans_fit(x, 2, &p, &r), KQ_ERR_ARGUMENT);
    p = params_for(3);
    assert_int_equal(kq_kmeans_fit(x, 2, &p, &r), KQ_ERR_DATA);
    p = params_for(1);
    p.n_init = 0;
    assert_int_equal(kq_kmeans_fit(x, 2, &p, &r), KQ_ERR_ARGUMENT);
    p = params_for(1);
    p.max_iter = 0;
    assert_int_equal(kq_kmeans_fit(x, 2, &p, &r), KQ_ERR_ARGUMENT);
    p = params_for(1);
    p.tol = NAN;
    assert_int_equal(kq_kmeans_fit(x, 2, &p, &r), KQ_ERR_ARGUMENT);
    p.tol = -1;
    assert_int_equal(kq_kmeans_fit(x, 2, &p, &r), KQ_ERR_ARGUMENT);
    assert_null(r.centroids);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(two_blobs_give_their_exact_means),
        cmocka_unit_test(one_cluster_is_the_mean),
        cmocka_unit_test(same_seed_gives_same_result),
        cmocka_unit_test(result_is_self_consistent),
        cmocka_unit_test(restarts_never_do_worse),
        cmocka_unit_test(iteration_cap_is_respected),
        cmocka_unit_test(k_equal_to_n_fits_exactly),
        cmocka_unit_test(bad_parameters_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
