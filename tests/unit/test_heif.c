/* test_heif.c - HEIC and AVIF input through libheif (opened at run time):
 * the primary image decoded close to what was encoded, alpha composited
 * onto the background, its size read
 * before decoding and held to the pixel limit, truncated files refused in
 * one line. The files are encoded here with libheif's own encoders (x265,
 * aom); a libheif without one skips its cases. */
#include "testutil.h"

#include "icc_fixtures.h"
#include "kq_internal.h"

#include <stdlib.h>
#include <string.h>

#define W 64
#define H 48

/* Smooth shades with a few flat patches: what a lossy codec keeps. */
static const unsigned char *test_pixels(void)
{
    static unsigned char rgb[W * H * 3];
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            unsigned char *p = &rgb[(y * W + x) * 3];
            bool patch = x >= 40 && y >= 24;
            p[0] = patch ? 200 : (unsigned char)(x * 4);
            p[1] = patch ? 40 : (unsigned char)(y * 5);
            p[2] = patch ? 90 : (unsigned char)(128 + x - y);
        }
    return rgb;
}

/* The test pixels as a HEIC (or AVIF); skips when libheif cannot encode
 * that format here. */
static unsigned char *encoded(bool avif, size_t *len)
{
    unsigned char *file =
        icc_fixture_heif(test_pixels(), W, H, NULL, 0, avif, len);
    if (!file)
        skip();
    return file;
}

static kq_status load(const unsigned char *file, size_t len,
                      size_t max_pixels, kq_image *img, char *err,
                      size_t err_len)
{
    kq_load_options lo;
    kq_load_options_default(&lo);
    lo.max_pixels = max_pixels;
    return kq_image_load_memory(file, len, &lo, img, err, err_len);
}

static void decodes_close_to(bool avif)
{
    size_t len;
    unsigned char *file = encoded(avif, &len);
    assert_true(kq_heif_is(file, len));
    kq_image img = {0};
    char err[256] = "";
    assert_int_equal(load(file, len, W * H, &img, err, sizeof err), KQ_OK);
    assert_int_equal(img.width, W);
    assert_int_equal(img.height, H);
    int worst;
    double mean = kq_test_mean_difference(img.rgb, test_pixels(), W * H * 3,
                                          &worst);
    assert_true(mean < 2.0);
    assert_true(worst <= 12);
    kq_image_free(&img);
    free(file);
}

static void heic_decodes_close_to_its_pixels(void **state)
{
    (void)state;
    decodes_close_to(false);
}

static void avif_decodes_close_to_its_pixels(void **state)
{
    (void)state;
    decodes_close_to(true);
}

static void pixel_limit_applies_before_decoding(void **state)
{
    (void)state;
    size_t len;
    unsigned char *file = encoded(false, &len);
    int w = 0, h = 0;
    assert_int_equal(kq_heif_info(file, len, &w, &h, NULL, 0), KQ_OK);
    assert_int_equal(w, W);
    assert_int_equal(h, H);
    kq_image img = {0};
    char err[256] = "";
    assert_int_equal(load(file, len, W * H - 1, &img, err, sizeof err),
                     KQ_ERR_INPUT_TOO_LARGE);
    assert_null(img.rgb);
    free(file);
}

/* An alpha plane is composited onto the background like every format's
 * alpha: an opaque half keeps its colour, a clear half shows the
 * background. */
static void heic_alpha_meets_the_background(void **state)
{
    (void)state;
    static unsigned char rgba[W * H * 4];
    for (int i = 0; i < W * H; i++) {
        unsigned char *p = &rgba[4 * i];
        p[0] = 200, p[1] = 60, p[2] = 40;
        p[3] = i % W < W / 2 ? 255 : 0;
    }
    size_t len;
    unsigned char *file = icc_fixture_heic_rgba(rgba, W, H, &len);
    if (!file)
        skip();
    kq_load_options lo;
    kq_load_options_default(&lo);
    lo.background[0] = 10, lo.background[1] = 220, lo.background[2] = 250;
    kq_image img = {0};
    assert_int_equal(kq_image_load_memory(file, len, &lo, &img, NULL, 0),
                     KQ_OK);
    const unsigned char *opaque = &img.rgb[3 * (H / 2 * W + 4)];
    const unsigned char *clear = &img.rgb[3 * (H / 2 * W + W - 4)];
    for (int c = 0; c < 3; c++) {
        assert_true(abs(opaque[c] - rgba[c]) <= 6);
        assert_true(abs(clear[c] - lo.background[c]) <= 6);
    }
    kq_image_free(&img);
    free(file);
}

/* Cut anywhere, the file is refused as corrupt, in one line. */
static void truncated_heic_is_refused_in_one_line(void **state)
{
    (void)state;
    size_t len;
    unsigned char *file = encoded(false, &len);
    for (size_t cut = 12; cut < len; cut += 1 + cut / 4) {
        kq_image img = {0};
        char err[256] = "";
        kq_status st = load(file, cut, W * H, &img, err, sizeof err);
        assert_int_equal(st, KQ_ERR_INPUT_FORMAT);
        assert_non_null(strstr(err, "corrupt"));
        assert_null(strchr(err, '\n'));
        assert_null(img.rgb);
    }
    free(file);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(heic_decodes_close_to_its_pixels),
        cmocka_unit_test(avif_decodes_close_to_its_pixels),
        cmocka_unit_test(heic_alpha_meets_the_background),
        cmocka_unit_test(pixel_limit_applies_before_decoding),
        cmocka_unit_test(truncated_heic_is_refused_in_one_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
