/* test_webp.c - WebP input through libwebp: lossless pixels exact, alpha
 * composited as for every format, lossy close, truncated files refused,
 * the pixel limit applied before decoding; an animation read by its first
 * frame on its canvas (tests/data/animated_16x12.webp, written by
 * tests/fixtures/gen_webp.sh). */
#include "testutil.h"

#include "kq_internal.h"

#include <stdlib.h>
#include <string.h>

#include <webp/encode.h>

#define W 40
#define H 24

static void fill(unsigned char *px, int comp)
{
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            unsigned char *p = px + (y * W + x) * comp;
            p[0] = (unsigned char)(x * 6);
            p[1] = (unsigned char)(y * 10);
            p[2] = (unsigned char)(x * y);
            if (comp == 4) /* alpha: opaque, clear and half in thirds */
                p[3] = x < W / 3 ? 255 : x < 2 * W / 3 ? 0 : 128;
        }
}

static kq_status load(const uint8_t *data, size_t len, size_t max_pixels,
                      kq_image *img, char *err, size_t err_len)
{
    kq_load_options lo;
    kq_load_options_default(&lo);
    lo.max_pixels = max_pixels;
    lo.background[0] = 10, lo.background[1] = 200, lo.background[2] = 30;
    return kq_image_load_memory(data, len, &lo, img, err, err_len);
}

/* webp (libwebp's encoding, len bytes, freed here) loaded as kquant loads
 * it; it must load. */
static kq_image decoded(uint8_t *webp, size_t len)
{
    assert_true(len > 0);
    kq_image img = {0};
    assert_int_equal(load(webp, len, 1000, &img, NULL, 0), KQ_OK);
    WebPFree(webp);
    return img;
}

static void lossless_rgb_reads_back_exactly(void **state)
{
    (void)state;
    unsigned char px[W * H * 3];
    fill(px, 3);
    uint8_t *webp = NULL;
    size_t len = WebPEncodeLosslessRGB(px, W, H, W * 3, &webp);
    kq_image img = decoded(webp, len);
    assert_int_equal(img.width, W);
    assert_int_equal(img.height, H);
    assert_memory_equal(img.rgb, px, sizeof px);
    kq_image_free(&img);
}

static void alpha_is_composited_onto_the_background(void **state)
{
    (void)state;
    unsigned char px[W * H * 4];
    fill(px, 4);
    uint8_t *webp = NULL;
    size_t len = WebPEncodeLosslessRGBA(px, W, H, W * 4, &webp);
    kq_image img = decoded(webp, len);
    const unsigned char background[3] = {10, 200, 30};
    for (int i = 0; i < W * H; i++) {
        const unsigned char *p = &px[i * 4], *got = &img.rgb[i * 3];
        for (int c = 0; c < 3; c++) {
            /* out = (c*a + back*(255-a)) / 255, rounded (README) */
            unsigned want = (p[c] * p[3] + background[c] * (255u - p[3]) +
                             127u) / 255u;
            assert_int_equal(got[c], want);
        }
    }
    kq_image_free(&img);
}

static void lossy_decodes_close_to_the_source(void **state)
{
    (void)state;
    unsigned char px[W * H * 3];
    fill(px, 3);
    for (int i = 0; i < W * H; i++) /* smooth, as lossy coding wants */
        px[i * 3 + 2] = (unsigned char)(px[i * 3] / 2 + px[i * 3 + 1] / 2);
    uint8_t *webp = NULL;
    size_t len = WebPEncodeRGB(px, W, H, W * 3, 95.0f, &webp);
    kq_image img = decoded(webp, len);
    int worst;
    double mean = kq_test_mean_difference(img.rgb, px, sizeof px, &worst);
    assert_true(mean < 3.0);
    kq_image_free(&img);
}

static void large_and_truncated_files_are_refused(void **state)
{
    (void)state;
    unsigned char px[W * H * 3];
    fill(px, 3);
    uint8_t *webp = NULL;
    size_t len = WebPEncodeLosslessRGB(px, W, H, W * 3, &webp);
    kq_image img = {0};
    char err[256];
    assert_int_equal(load(webp, len, W * H - 1, &img, err, sizeof err),
                     KQ_ERR_INPUT_TOO_LARGE);
    assert_null(img.rgb);
    assert_int_equal(load(webp, len / 2, 1000, &img, err, sizeof err),
                     KQ_ERR_INPUT_FORMAT);
    assert_string_equal(err, "corrupt or truncated image (a WebP file "
                             "libwebp cannot decode)");
    assert_null(img.rgb);
    WebPFree(webp);
}

/* ---- animations: tests/data/animated_16x12.webp ---- */

#define ANIM_W 16
#define ANIM_H 12

static unsigned char *animation(size_t *len)
{
    unsigned char *data =
        kq_test_read_file(KQ_TEST_DATA_DIR "/animated_16x12.webp", len);
    assert_non_null(data);
    return data;
}

/* What kquant must show at (x, y): frame 1 (8x6 at 4,2; its top three
 * rows opaque, the others at alpha 128) on load()'s background. */
static void first_frame_pixel(int x, int y, unsigned char want[3])
{
    static const unsigned char background[3] = {10, 200, 30};
    static const unsigned char top[3] = {200, 30, 40};
    static const unsigned char bottom[3] = {20, 60, 220};
    bool inside = x >= 4 && x < 12 && y >= 2 && y < 8;
    unsigned alpha = !inside ? 0 : y < 5 ? 255 : 128;
    const unsigned char *colour = y < 5 ? top : bottom;
    for (int c = 0; c < 3; c++) /* rounded as in README */
        want[c] = (unsigned char)((colour[c] * alpha +
                                   background[c] * (255u - alpha) + 127u) /
                                  255u);
}

static void animation_reads_its_first_frame_on_the_canvas(void **state)
{
    (void)state;
    size_t len;
    unsigned char *data = animation(&len);
    kq_image img = {0};
    assert_int_equal(load(data, len, 1000, &img, NULL, 0), KQ_OK);
    assert_int_equal(img.width, ANIM_W);
    assert_int_equal(img.height, ANIM_H);
    for (int y = 0; y < ANIM_H; y++)
        for (int x = 0; x < ANIM_W; x++) {
            unsigned char want[3];
            first_frame_pixel(x, y, want);
            assert_memory_equal(&img.rgb[(y * ANIM_W + x) * 3], want, 3);
        }
    kq_image_free(&img);
    free(data);
}

static void animation_canvas_meets_the_pixel_limit_before_decoding(
    void **state)
{
    (void)state;
    size_t len;
    unsigned char *data = animation(&len);
    kq_image img = {0};
    char err[256];
    /* the canvas counts (192 pixels), not the first frame (48) */
    assert_int_equal(load(data, len, ANIM_W * ANIM_H - 1, &img, err,
                          sizeof err),
                     KQ_ERR_INPUT_TOO_LARGE);
    assert_string_equal(err, "image of 16x12 exceeds the limit of 191 "
                             "pixels");
    assert_null(img.rgb);
    /* VP8X's canvas (bytes 24-29, 24-bit sides minus one) made 16384 x
     * 16384 and the file cut in half: refused by its size, not found
     * truncated, so the check came before any decoding (and before
     * libwebp's 2 GiB of canvas) */
    memcpy(data + 24, "\xff\x3f\x00\xff\x3f\x00", 6);
    assert_int_equal(load(data, len / 2, 100000000, &img, err, sizeof err),
                     KQ_ERR_INPUT_TOO_LARGE);
    assert_string_equal(err, "image of 16384x16384 exceeds the limit of "
                             "100000000 pixels");
    assert_null(img.rgb);
    free(data);
}

static bool starts_with(const char *text, const char *prefix)
{
    return strncmp(text, prefix, strlen(prefix)) == 0;
}

static void truncated_animation_is_corrupt_or_truncated(void **state)
{
    (void)state;
    size_t len;
    unsigned char *data = animation(&len);
    /* every cut from the end of the RIFF and WEBP tags on */
    for (size_t cut = 12; cut < len; cut++) {
        kq_image img = {0};
        char err[256] = "";
        assert_int_equal(load(data, cut, 1000, &img, err, sizeof err),
                         KQ_ERR_INPUT_FORMAT);
        assert_true(starts_with(err, "corrupt or truncated image (a WebP "
                                     "file "));
        assert_null(img.rgb);
    }
    free(data);
}

/* RIFF, WEBP and a VP8X chunk whose flags say "animation" (canvas 2x2),
 * then nothing: an animation without a frame. */
static void animation_without_frames_is_corrupt(void **state)
{
    (void)state;
    static const unsigned char animated[] =
        "RIFF\x16\0\0\0WEBPVP8X\x0a\0\0\0\x02\0\0\0\x01\0\0\x01\0\0";
    kq_image img = {0};
    char err[256];
    assert_int_equal(load(animated, sizeof animated - 1, 1000, &img, err,
                          sizeof err),
                     KQ_ERR_INPUT_FORMAT);
    assert_string_equal(err, "corrupt or truncated image (a WebP file "
                             "libwebp cannot decode)");
    assert_null(img.rgb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lossless_rgb_reads_back_exactly),
        cmocka_unit_test(alpha_is_composited_onto_the_background),
        cmocka_unit_test(lossy_decodes_close_to_the_source),
        cmocka_unit_test(large_and_truncated_files_are_refused),
        cmocka_unit_test(animation_reads_its_first_frame_on_the_canvas),
        cmocka_unit_test(
            animation_canvas_meets_the_pixel_limit_before_decoding),
        cmocka_unit_test(truncated_animation_is_corrupt_or_truncated),
        cmocka_unit_test(animation_without_frames_is_corrupt),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
