/* test_pixels.c - the N x 3 float array and recolouring. */
#include "testutil.h"

#include <stdlib.h>

static void flatten_keeps_row_major_rgb(void **state)
{
    (void)state;
    kq_image img = kq_test_image(3, 2, 0, 0, 0);
    kq_test_set_pixel(&img, 2, 1, 10, 20, 30);
    kq_test_set_pixel(&img, 1, 0, 255, 128, 1);
    size_t n = 0;
    float *px = kq_pixels_flatten(&img, &n);
    assert_non_null(px);
    assert_int_equal(n, 6);
    assert_true(px[3 * 1] == 255.0f && px[3 * 1 + 1] == 128.0f &&
                px[3 * 1 + 2] == 1.0f);
    assert_true(px[3 * 5] == 10.0f && px[3 * 5 + 1] == 20.0f &&
                px[3 * 5 + 2] == 30.0f);
    assert_true(px[0] == 0.0f);
    kq_pixels_free(px);
    kq_image_free(&img);
}

static void recolor_uses_rounded_centroids(void **state)
{
    (void)state;
    double centroids[] = {10.4, 10.5, 254.6, 0.49, 99.5, 300.0};
    kq_label labels[] = {1, 0, 0, 1};
    size_t counts[] = {2, 2};
    kq_kmeans_result r = {.k = 2, .n = 4, .centroids = centroids, .labels = labels, .counts = counts, .n_iter = 1};
    kq_image shape = kq_test_image(2, 2, 0, 0, 0), out = {0};
    assert_int_equal(kq_recolor(&shape, &r, &out), KQ_OK);
    const unsigned char expected[] = {0, 100, 255, 10, 11, 255,
                                      10, 11, 255, 0, 100, 255};
    assert_memory_equal(out.rgb, expected, sizeof expected);
    kq_image_free(&out);
    kq_image_free(&shape);
}

static void recolor_refuses_mismatched_sizes(void **state)
{
    (void)state;
    double centroids[] = {1, 2, 3};
    kq_label labels[] = {0, 0, 0};
    size_t counts[] = {3};
    kq_kmeans_result r = {.k = 1, .n = 3, .centroids = centroids, .labels = labels, .counts = counts, .n_iter = 1};
    kq_image shape = kq_test_image(2, 2, 0, 0, 0), out = {0};
    assert_int_equal(kq_recolor(&shape, &r, &out), KQ_ERR_ARGUMENT);
    assert_null(out.rgb);
    kq_image_free(&shape);
}

static void free_functions_accept_null(void **state)
{
    (void)state;
    kq_pixels_free(NULL);
    kq_image_free(NULL);
    kq_kmeans_result_free(NULL);
    kq_atomic_abort(NULL);
    kq_image empty = {0};
    kq_image_free(&empty);
    assert_null(empty.rgb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(flatten_keeps_row_major_rgb),
        cmocka_unit_test(recolor_uses_rounded_centroids),
        cmocka_unit_test(recolor_refuses_mismatched_sizes),
        cmocka_unit_test(free_functions_accept_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
