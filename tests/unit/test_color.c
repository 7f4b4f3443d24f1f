/* test_color.c - CIEDE2000 against the published test pairs, sRGB to Lab,
 * and the quality numbers (MSE, PSNR, Delta E) on tiny images. */
#include "testutil.h"

#include "kq_internal.h"

#include <math.h>
#include <stdlib.h>

/* Sharma, Wu and Dalal (2005), Table 1: L1 a1 b1, L2 a2 b2, Delta E00. */
static const double SHARMA_PAIRS[34][7] = {
    {50.0000, 2.6772, -79.7751, 50.0000, 0.0000, -82.7485, 2.0425},
    {50.0000, 3.1571, -77.2803, 50.0000, 0.0000, -82.7485, 2.8615},
    {50.0000, 2.8361, -74.0200, 50.0000, 0.0000, -82.7485, 3.4412},
    {50.0000, -1.3802, -84.2814, 50.0000, 0.0000, -82.7485, 1.0000},
    {50.0000, -1.1848, -84.8006, 50.0000, 0.0000, -82.7485, 1.0000},
    {50.0000, -0.9009, -85.5211, 50.0000, 0.0000, -82.7485, 1.0000},
    {50.0000, 0.0000, 0.0000, 50.0000, -1.0000, 2.0000, 2.3669},
    {50.0000, -1.0000, 2.0000, 50.0000, 0.0000, 0.0000, 2.3669},
    {50.0000, 2.4900, -0.0010, 50.0000, -2.4900, 0.0009, 7.1792},
    {50.0000, 2.4900, -0.0010, 50.0000, -2.4900, 0.0010, 7.1792},
    {50.0000, 2.4900, -0.0010, 50.0000, -2.4900, 0.0011, 7.2195},
    {50.0000, 2.4900, -0.0010, 50.0000, -2.4900, 0.0012, 7.2195},
    {50.0000, -0.0010, 2.4900, 50.0000, 0.0009, -2.4900, 4.8045},
    {50.0000, -0.0010, 2.4900, 50.0000, 0.0010, -2.4900, 4.8045},
    {50.0000, -0.0010, 2.4900, 50.0000, 0.0011, -2.4900, 4.7461},
    {50.0000, 2.5000, 0.0000, 50.0000, 0.0000, -2.5000, 4.3065},
    {50.0000, 2.5000, 0.0000, 73.0000, 25.0000, -18.0000, 27.1492},
    {50.0000, 2.5000, 0.0000, 61.0000, -5.0000, 29.0000, 22.8977},
    {50.0000, 2.5000, 0.0000, 56.0000, -27.0000, -3.0000, 31.9030},
    {50.0000, 2.5000, 0.0000, 58.0000, 24.0000, 15.0000, 19.4535},
    {50.0000, 2.5000, 0.0000, 50.0000, 3.1736, 0.5854, 1.0000},
    {50.0000, 2.5000, 0.0000, 50.0000, 3.2972, 0.0000, 1.0000},
    {50.0000, 2.5000, 0.0000, 50.0000, 1.8634, 0.5757, 1.0000},
    {50.0000, 2.5000, 0.0000, 50.0000, 3.2592, 0.3350, 1.0000},
    {60.2574, -34.0099, 36.2677, 60.4626, -34.1751, 39.4387, 1.2644},
    {63.0109, -31.0961, -5.8663, 62.8187, -29.7946, -4.0864, 1.2630},
    {61.2901, 3.7196, -5.3901, 61.4292, 2.2480, -4.9620, 1.8731},
    {35.0831, -44.1164, 3.7933, 35.0232, -40.0716, 1.5901, 1.8645},
    {22.7233, 20.0904, -46.6940, 23.0331, 14.9730, -42.5619, 2.0373},
    {36.4612, 47.8580, 18.3852, 36.2715, 50.5065, 21.2231, 1.4146},
    {90.8027, -2.0831, 1.4410, 91.1528, -1.6435, 0.0447, 1.4441},
    {90.9257, -0.5406, -0.9208, 88.6381, -0.8985, -0.7239, 1.5381},
    {6.7747, -0.2908, -2.4247, 5.8714, -0.0985, -2.2286, 0.6377},
    {2.0776, 0.0795, -1.1350, 0.9033, -0.0636, -0.5514, 0.9082},
};

static void ciede2000_matches_the_published_pairs(void **state)
{
    (void)state;
    for (int i = 0; i < 34; i++) {
        const double *p = SHARMA_PAIRS[i];
        double there = kq_color_ciede2000(p, p + 3);
        double back = kq_color_ciede2000(p + 3, p);
        if (fabs(there - p[6]) > 1e-4 || fabs(back - p[6]) > 1e-4)
            fail_msg("pair %d: %.6f and %.6f, published %.4f", i + 1, there,
                     back, p[6]);
    }
}

static void ciede2000_of_equal_colours_is_zero(void **state)
{
    (void)state;
    const double lab[3] = {40.0, 30.0, -20.0}, grey[3] = {50.0, 0.0, 0.0};
    assert_true(kq_color_ciede2000(lab, lab) == 0.0);
    assert_true(kq_color_ciede2000(grey, grey) == 0.0);
}

/* Reference: ImageMagick's sRGB -> Lab (tests/tools/lab_reference.sh). */
static const struct {
    unsigned char rgb[3];
    double lab[3];
} LAB_REFERENCE[] = {
    {{255, 0, 0}, {53.2403, 80.0953, 67.2004}},
    {{0, 255, 0}, {87.7348, -86.1809, 83.177}},
    {{0, 0, 255}, {32.2972, 79.1887, -107.866}},
    {{119, 119, 119}, {50.0343, 0.00194553, -0.00194553}},
    {{200, 150, 50}, {65.2201, 9.33268, 57.0292}},
    {{10, 20, 30}, {5.94797, -0.667315, -8.13813}},
};

static void srgb_to_lab_matches_imagemagick(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof LAB_REFERENCE / sizeof LAB_REFERENCE[0];
         i++) {
        double lab[3];
        kq_color_srgb_to_lab(LAB_REFERENCE[i].rgb, lab);
        for (int c = 0; c < 3; c++)
            if (fabs(lab[c] - LAB_REFERENCE[i].lab[c]) > 0.01)
                fail_msg("colour %zu channel %d: %.4f, expected %.4f", i, c,
                         lab[c], LAB_REFERENCE[i].lab[c]);
    }
}

static void white_and_black_are_the_ends_of_lab(void **state)
{
    (void)state;
    const unsigned char white[3] = {255, 255, 255}, black[3] = {0, 0, 0};
    double lab[3];
    kq_color_srgb_to_lab(white, lab);
    assert_true(fabs(lab[0] - 100.0) < 1e-9);
    assert_true(fabs(lab[1]) < 1e-9 && fabs(lab[2]) < 1e-9);
    kq_color_srgb_to_lab(black, lab);
    assert_true(fabs(lab[0]) < 1e-12 && fabs(lab[1]) < 1e-12 &&
                fabs(lab[2]) < 1e-12);
    /* #777777 by hand: ((119/255 + 0.055) / 1.055)^2.4 = 0.184475,
     * L* = 116 * 0.184475^(1/3) - 16 = 50.034. */
    const unsigned char grey[3] = {119, 119, 119};
    kq_color_srgb_to_lab(grey, lab);
    assert_true(fabs(lab[0] - 50.034) < 1e-3);
    assert_true(fabs(lab[1]) < 1e-9 && fabs(lab[2]) < 1e-9);
    assert_true(kq_color_luminance(white) > 0.9999999);
    assert_true(kq_color_luminance(black) == 0.0);
}

/* a = (0,0,0) (10,20,30); b = (1,2,3) (10,20,30): squared errors 1+4+9 over
 * 6 values, MSE 14/6 = 2.3333..., PSNR 10 log10(65025 / (14/6)) dB. */
static void mse_and_psnr_of_a_tiny_pair(void **state)
{
    (void)state;
    kq_image a = kq_test_image(2, 1, 0, 0, 0), b = kq_test_image(2, 1, 1, 2, 3);
    kq_test_set_pixel(&a, 1, 0, 10, 20, 30);
    kq_test_set_pixel(&b, 1, 0, 10, 20, 30);
    double mse, psnr;
    assert_int_equal(kq_quality_mse(&a, &b, &mse, &psnr), KQ_OK);
    assert_true(fabs(mse - 2.3333333333333335) < 1e-12);
    assert_true(fabs(psnr - 44.451035755733) < 1e-9);
    kq_image_free(&a);
    kq_image_free(&b);
}

static void psnr_of_black_against_white_is_zero(void **state)
{
    (void)state;
    kq_image a = kq_test_image(3, 2, 0, 0, 0), b = kq_test_image(3, 2, 255, 255, 255);
    double mse, psnr;
    assert_int_equal(kq_quality_mse(&a, &b, &mse, &psnr), KQ_OK);
    assert_true(mse == 65025.0);
    assert_true(fabs(psnr) < 1e-12);
    assert_int_equal(kq_quality_mse(&a, &a, &mse, &psnr), KQ_OK);
    assert_true(mse == 0.0 && isinf(psnr));
    kq_image_free(&a);
    kq_image_free(&b);
}

/* Delta E per pixel is the pair's CIEDE2000: here 0 and the white-black
 * difference, which is 100 (only L differs, S_L = 1 at mean L 50). */
static void delta_e_mean_and_max(void **state)
{
    (void)state;
    kq_image a = kq_test_image(2, 1, 255, 255, 255);
    kq_image b = kq_test_image(2, 1, 255, 255, 255);
    kq_test_set_pixel(&b, 1, 0, 0, 0, 0);
    double mean, max;
    assert_int_equal(kq_quality_delta_e(&a, &b, &mean, &max), KQ_OK);
    assert_true(fabs(max - 100.0) < 1e-6);
    assert_true(fabs(mean - 50.0) < 1e-6);
    assert_int_equal(kq_quality_delta_e(&a, &a, &mean, &max), KQ_OK);
    assert_true(mean == 0.0 && max == 0.0);
    kq_image c = kq_test_image(1, 2, 0, 0, 0);
    assert_int_equal(kq_quality_delta_e(&a, &c, &mean, &max),
                     KQ_ERR_ARGUMENT);
    kq_image_free(&a);
    kq_image_free(&b);
    kq_image_free(&c);
}

/* The image function agrees with converting and comparing by hand. */
static void delta_e_of_images_agrees_with_the_pair_function(void **state)
{
    (void)state;
    kq_image a = kq_test_image(2, 1, 200, 150, 50);
    kq_image b = kq_test_image(2, 1, 190, 160, 40);
    kq_test_set_pixel(&b, 1, 0, 10, 20, 30);
    const unsigned char pa[3] = {200, 150, 50}, p0[3] = {190, 160, 40},
                        p1[3] = {10, 20, 30};
    double la[3], l0[3], l1[3];
    kq_color_srgb_to_lab(pa, la);
    kq_color_srgb_to_lab(p0, l0);
    kq_color_srgb_to_lab(p1, l1);
    double d0 = kq_color_ciede2000(la, l0), d1 = kq_color_ciede2000(la, l1);
    double mean, max;
    assert_int_equal(kq_quality_delta_e(&a, &b, &mean, &max), KQ_OK);
    assert_true(fabs(mean - (d0 + d1) / 2) < 1e-12);
    assert_true(max == (d0 > d1 ? d0 : d1));
    assert_true(d0 > 1.0 && d1 > d0);
    kq_image_free(&a);
    kq_image_free(&b);
}

typedef void (*pixel_pair_fn)(int x, int y, unsigned char pa[3],
                              unsigned char pb[3]);

/* Images a and b of w x h pixels from pair(x, y): kq_quality_delta_e
 * equals the pair function summed pixel by pixel. */
static void check_against_pixel_by_pixel(int w, int h, pixel_pair_fn pair)
{
    kq_image a = kq_test_image(w, h, 0, 0, 0), b = kq_test_image(w, h, 0, 0, 0);
    double sum = 0.0, worst = 0.0;
    for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
            unsigned char pa[3], pb[3];
            pair(x, y, pa, pb);
            kq_test_set_pixel(&a, x, y, pa[0], pa[1], pa[2]);
            kq_test_set_pixel(&b, x, y, pb[0], pb[1], pb[2]);
            double la[3], lb[3];
            kq_color_srgb_to_lab(pa, la);
            kq_color_srgb_to_lab(pb, lb);
            double d = kq_color_ciede2000(la, lb);
            sum += d;
            worst = d > worst ? d : worst;
        }
    }
    double mean, max;
    assert_int_equal(kq_quality_delta_e(&a, &b, &mean, &max), KQ_OK);
    assert_true(fabs(mean - sum / (w * h)) <= 1e-12 * mean);
    assert_true(max == worst);
    assert_true(mean > 1.0);
    kq_image_free(&a);
    kq_image_free(&b);
}

/* b depends on the position, not only on a's colour. */
static void scattered_pairs(int x, int y, unsigned char pa[3],
                            unsigned char pb[3])
{
    pa[0] = (unsigned char)(x * 7);
    pa[1] = (unsigned char)y;
    pa[2] = (unsigned char)(x ^ y);
    pb[0] = (unsigned char)(y % 5 * 50);
    pb[1] = 100;
    pb[2] = (unsigned char)(x % 3 * 90);
}

/* b is a function of a's colour; colours repeat, scattered. */
static void recoloured_pairs(int x, int y, unsigned char pa[3],
                             unsigned char pb[3])
{
    int v = (x * 31 + y * 17) % 997;
    pa[0] = (unsigned char)(v * 7);
    pa[1] = (unsigned char)v;
    pa[2] = (unsigned char)(v / 4);
    pb[0] = (unsigned char)(pa[0] & 0xC0);
    pb[1] = 100;
    pb[2] = (unsigned char)(pa[2] | 0x30);
}

/* Many pixels, with pairs repeated far apart and more distinct pairs than
 * the memo holds: computed pixel by pixel. */
static void delta_e_of_a_big_image_agrees_pixel_by_pixel(void **state)
{
    (void)state;
    check_against_pixel_by_pixel(400, 300, scattered_pairs);
}

/* A recolouring (each input colour always gets the same output colour):
 * the difference is computed once per distinct colour, weighted by its
 * count. */
static void delta_e_of_a_recolouring_agrees_pixel_by_pixel(void **state)
{
    (void)state;
    check_against_pixel_by_pixel(300, 200, recoloured_pairs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ciede2000_matches_the_published_pairs),
        cmocka_unit_test(delta_e_of_a_big_image_agrees_pixel_by_pixel),
        cmocka_unit_test(delta_e_of_a_recolouring_agrees_pixel_by_pixel),
        cmocka_unit_test(ciede2000_of_equal_colours_is_zero),
        cmocka_unit_test(srgb_to_lab_matches_imagemagick),
        cmocka_unit_test(white_and_black_are_the_ends_of_lab),
        cmocka_unit_test(mse_and_psnr_of_a_tiny_pair),
        cmocka_unit_test(psnr_of_black_against_white_is_zero),
        cmocka_unit_test(delta_e_mean_and_max),
        cmocka_unit_test(delta_e_of_images_agrees_with_the_pair_function),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
