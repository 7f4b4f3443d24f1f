/* test_resize.c - scaling to the clustering size. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>

#include <stb_image_resize.h>

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

/* A black image whose columns from white_from on are white. */
static kq_image white_on_the_right(int width, int height, int white_from)
{
    kq_image img = kq_test_image(width, height, 0, 0, 0);
    for (int y = 0; y < height; y++)
        for (int x = white_from; x < width; x++)
            kq_test_set_pixel(&img, x, y, 255, 255, 255);
    return img;
}

static void halves_keep_their_sides(void **state)
{
    (void)state;
    /* Left half black, right half white: after halving the width the
     * outer columns keep their colour. */
    kq_image src = white_on_the_right(8, 2, 4);
    kq_image out = {0};
    assert_int_equal(kq_image_resize(&src, 4, 2, &out), KQ_OK);
    assert_true(out.rgb[0] < 20);
    assert_true(out.rgb[3 * 3] > 235);
    kq_image_free(&out);
    kq_image_free(&src);
}

/* A smooth picture with a little deterministic noise. */
static kq_image wavy_image(int width, int height)
{
    kq_image img = kq_test_image(width, height, 0, 0, 0);
    for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++) {
            double v = 100.0 * sin(x / 37.0) * cos(y / 23.0);
            int noise = (int)((unsigned)(x * 7919 + y * 104729) % 17) - 8;
            kq_test_set_pixel(&img, x, y, (unsigned char)(128 + v + noise),
                              (unsigned char)(128 - v / 2 + noise),
                              (unsigned char)(60 + (x + y) % 120));
        }
    return img;
}

/* A side over four times its target is averaged over blocks first; the
 * result stays within a few levels of stb_image_resize's in one step. */
static void block_shrink_is_close_to_one_step(void **state)
{
    (void)state;
    const int cases[][4] = {{960, 1280, 240, 320},  /* blocks of 2 x 2 */
                            {1003, 997, 40, 30},    /* 12 x 16, partial */
                            {2000, 90, 100, 60}};   /* 10 x 1 */
    for (size_t c = 0; c < 3; c++) {
        int sw = cases[c][0], sh = cases[c][1], w = cases[c][2],
            h = cases[c][3];
        kq_image src = wavy_image(sw, sh), out = {0};
        unsigned char *ref = malloc((size_t)w * h * 3);
        assert_non_null(ref);
        assert_true(stbir_resize_uint8(src.rgb, sw, sh, 0, ref, w, h, 0, 3));
        assert_int_equal(kq_image_resize(&src, w, h, &out), KQ_OK);
        int worst;
        assert_true(kq_test_mean_difference(out.rgb, ref, (size_t)w * h * 3,
                                            &worst) <= 1.0);
        assert_true(worst <= 12);
        free(ref);
        kq_image_free(&out);
        kq_image_free(&src);
    }
}

/* The last block of a row may hold fewer pixels than the others; it must
 * weigh only as much of the image as it covers. 1003 columns in blocks of
 * 50: the last of 21 holds 3 white columns, 0.3% of the width, and the
 * last output column comes out as grey as a one-step resize makes it
 * (35: the clamped edge repeats the white); weighed as a whole block it
 * came out at 122. */
static void partial_last_block_keeps_its_width(void **state)
{
    (void)state;
    kq_image src = white_on_the_right(1003, 8, 1000);
    unsigned char ref[10 * 2 * 3];
    assert_true(stbir_resize_uint8(src.rgb, 1003, 8, 0, ref, 10, 2, 0, 3));
    kq_image out = {0};
    assert_int_equal(kq_image_resize(&src, 10, 2, &out), KQ_OK);
    assert_true(abs((int)out.rgb[3 * 9] - (int)ref[3 * 9]) <= 8);
    assert_int_equal(out.rgb[3 * 8], ref[3 * 8]);
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
        cmocka_unit_test(block_shrink_is_close_to_one_step),
        cmocka_unit_test(partial_last_block_keeps_its_width),
        cmocka_unit_test(refuses_empty_sizes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
