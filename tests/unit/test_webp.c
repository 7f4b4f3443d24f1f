/* test_webp.c - still WebP input through libwebp: lossless pixels exact,
 * alpha composited as for every format, lossy close, animated and
 * truncated files refused, the pixel limit applied before decoding. */
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

static void large_truncated_and_animated_files_are_refused(void **state)
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
    /* RIFF, WEBP, a VP8X chunk whose flags say "animation", canvas 2x2 */
    static const unsigned char animated[] =
        "RIFF\x16\0\0\0WEBPVP8X\x0a\0\0\0\x02\0\0\0\x01\0\0\x01\0\0";
    assert_int_equal(load(animated, sizeof animated - 1, 1000, &img, err,
                          sizeof err),
                     KQ_ERR_INPUT_FORMAT);
    assert_string_equal(err, "not a supported image: an animated WebP "
                             "(kquant reads still WebP images)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lossless_rgb_reads_back_exactly),
        cmocka_unit_test(alpha_is_composited_onto_the_background),
        cmocka_unit_test(lossy_decodes_close_to_the_source),
        cmocka_unit_test(large_truncated_and_animated_files_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
