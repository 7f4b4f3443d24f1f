/* test_resize.c - scaling to the clustering size. */
#include "testutil.h"

#include <stdlib.h>

static void same_size_is_bit_identical(void **state)
{
    (void)state;
    kq_image src = kq_test_image(7, 5, 0, 0, 0);
    for (size_t i = 0; i < 7 * 5 * 3; i++)
        src.rgb[i] = (unsigned char)(i * 37 % 256);
    kq_image out = {0};
    assert_int_equal(kq_image_resize(&src, 7, 5, &out), KQ_OK);
    assert_int_equal(out.width, 7);
    assert_int_equal(out.height, 5);
    assert_ptr_not_equal(out.rgb, src.rgb);
    assert_memory_equal(out.rgb, src.rgb, 7 * 5 * 3);
    kq_image_free(&out);
    kq_image_free(&src);
}

static void flat_colour_stays_flat_at_any_size(void **state)
{
    (void)state;
    kq_image src = kq_test_image(30, 20, 12, 200, 99);
    const int sizes[][2] = {{240, 320}, {3, 2}, {1, 1}, {31, 7}};
    for (size_t s = 0; s < 4; s++) {
        kq_image out = {0};
        assert_int_equal(kq_image_resize(&src, sizes[s][0], sizes[s][1], &out),
                         KQ_OK);
        assert_int_equal(out.width, sizes[s][0]);
        assert_int_equal(out.height, sizes[s][1]);
        for (int i = 0; i < out.width * out.height; i++) {
            assert_int_equal(out.rgb[3 * i], 12);
            assert_int_equal(out.rgb[3 * i + 1], 200);
            assert_int_equal(out.rgb[3 * i + 2], 99);
        }
        kq_image_free(&out);
    }
    kq_image_free(&src);
}

static void halves_keep_their_sides(void **state)
{
    (void)state;
    /* Left half black, right half white: after halving the width the
     * outer columns keep their colour. */
    kq_image src = kq_test_image(8, 2, 0, 0, 0);
    for (int y = 0; y < 2; y++)
        for (int x = 4; x < 8; x++)
            kq_test_set_pixel(&src, x, y, 255, 255, 255);
    kq_image out = {0};
    assert_int_equal(kq_image_resize(&src, 4, 2, &out), KQ_OK);
    assert_true(out.rgb[0] < 20);
    assert_true(out.rgb[3 * 3] > 235);
    kq_image_free(&out);
    kq_image_free(&src);
}

static void refuses_empty_sizes(void **state)
{
    (void)state;
    kq_image src = kq_test_image(2, 2, 1, 2, 3), out = {0};
    assert_int_equal(kq_image_resize(&src, 0, 5, &out), KQ_ERR_ARGUMENT);
    assert_int_equal(kq_image_resize(&src, 5, -1, &out), KQ_ERR_ARGUMENT);
    assert_null(out.rgb);
    kq_image_free(&src);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(same_size_is_bit_identical),
        cmocka_unit_test(flat_colour_stays_flat_at_any_size),
        cmocka_unit_test(halves_keep_their_sides),
        cmocka_unit_test(refuses_empty_sizes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
