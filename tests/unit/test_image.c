/* test_image.c - decoding: formats, grey and alpha, limits, bad data. */
#include "testutil.h"

#include "kq_internal.h"

#include <stdlib.h>
#include <string.h>

#include <stb_image_write.h>

static kq_load_options defaults(void)
{
    kq_load_options lo;
    kq_load_options_default(&lo);
    return lo;
}

/* Writes a w x h image of `comp` channels to a temporary PNG and returns
 * its bytes (free()). */
static unsigned char *png_bytes(const unsigned char *px, int w, int h,
                                int comp, size_t *len)
{
    char path[256];
    kq_test_temp_path(path, sizeof path, "img", ".png");
    assert_true(stbi_write_png(path, w, h, comp, px, w * comp));
    unsigned char *data = kq_test_read_file(path, len);
    remove(path);
    assert_non_null(data);
    return data;
}

static void decodes_rgb_png_exactly(void **state)
{
    (void)state;
    const unsigned char px[] = {255, 0, 0, 0, 255, 0, 0, 0, 255, 7, 8, 9};
    size_t len;
    unsigned char *data = png_bytes(px, 2, 2, 3, &len);
    kq_load_options lo = defaults();
    kq_image img = {0};
    assert_int_equal(kq_image_load_memory(data, len, &lo, &img, NULL, 0), KQ_OK);
    assert_int_equal(img.width, 2);
    assert_int_equal(img.height, 2);
    assert_memory_equal(img.rgb, px, sizeof px);
    kq_image_free(&img);
    free(data);
}

static void grey_becomes_equal_channels(void **state)
{
    (void)state;
    const unsigned char grey[] = {0, 64, 128, 255};
    size_t len;
    unsigned char *data = png_bytes(grey, 4, 1, 1, &len);
    kq_load_options lo = defaults();
    kq_image img = {0};
    assert_int_equal(kq_image_load_memory(data, len, &lo, &img, NULL, 0), KQ_OK);
    for (int i = 0; i < 4; i++)
        for (int c = 0; c < 3; c++)
            assert_int_equal(img.rgb[3 * i + c], grey[i]);
    kq_image_free(&img);
    free(data);
}

static void alpha_is_composited_onto_background(void **state)
{
    (void)state;
    /* opaque red, transparent green, half-transparent blue */
    const unsigned char rgba[] = {255, 0, 0, 255, 0, 255, 0, 0, 0, 0, 255, 128};
    size_t len;
    unsigned char *data = png_bytes(rgba, 3, 1, 4, &len);
    kq_load_options lo = defaults();
    kq_image img = {0};
    assert_int_equal(kq_image_load_memory(data, len, &lo, &img, NULL, 0), KQ_OK);
    const unsigned char white_bg[] = {255, 0, 0, 255, 255, 255, 127, 127, 255};
    assert_memory_equal(img.rgb, white_bg, sizeof white_bg);
    kq_image_free(&img);
    lo.background[0] = lo.background[1] = lo.background[2] = 0;
    assert_int_equal(kq_image_load_memory(data, len, &lo, &img, NULL, 0), KQ_OK);
    const unsigned char black_bg[] = {255, 0, 0, 0, 0, 0, 0, 0, 128};
    assert_memory_equal(img.rgb, black_bg, sizeof black_bg);
    kq_image_free(&img);
    free(data);
}

static void decodes_gif_first_frame(void **state)
{
    (void)state;
    /* A 1x1 GIF89a whose global palette is {red, black}; pixel = index 0. */
    static const unsigned char gif[] = {
        'G', 'I', 'F', '8', '9', 'a', 1, 0, 1, 0, 0x80, 0, 0,
        255, 0, 0, 0, 0, 0,                       /* palette */
        ',', 0, 0, 0, 0, 1, 0, 1, 0, 0,           /* image descriptor */
        2, 2, 0x44, 0x01, 0,                      /* LZW data: index 0 */
        ';'};
    kq_load_options lo = defaults();
    kq_image img = {0};
    char err[128] = "";
    assert_int_equal(kq_image_load_memory(gif, sizeof gif, &lo, &img, err,
                                          sizeof err), KQ_OK);
    assert_int_equal(img.width, 1);
    const unsigned char red[] = {255, 0, 0};
    assert_memory_equal(img.rgb, red, 3);
    kq_image_free(&img);
}

static void decodes_psd_and_pnm(void **state)
{
    (void)state;
    /* A raw (uncompressed) 2x1 RGB PSD: header, three empty sections,
     * compression 0, then planar channel data. */
    static const unsigned char psd[] = {
        '8', 'B', 'P', 'S', 0, 1, 0, 0, 0, 0, 0, 0, 0, 3, /* sig, v1, 3 ch */
        0, 0, 0, 1, 0, 0, 0, 2, 0, 8, 0, 3,             /* h=1 w=2 8bit RGB */
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,             /* empty sections */
        0, 0,                                           /* raw */
        10, 20, 30, 40, 50, 60};                        /* R R G G B B */
    kq_load_options lo = defaults();
    kq_image img = {0};
    assert_int_equal(kq_image_load_memory(psd, sizeof psd, &lo, &img, NULL, 0),
                     KQ_OK);
    const unsigned char psd_px[] = {10, 30, 50, 20, 40, 60};
    assert_memory_equal(img.rgb, psd_px, 6);
    kq_image_free(&img);
    static const unsigned char ppm[] = "P6\n1 1\n255\n\x01\x02\x03";
    assert_int_equal(kq_image_load_memory(ppm, sizeof ppm - 1, &lo, &img, NULL,
                                          0), KQ_OK);
    const unsigned char ppm_px[] = {1, 2, 3};
    assert_memory_equal(img.rgb, ppm_px, 3);
    kq_image_free(&img);
}

static void refuses_images_above_the_pixel_limit(void **state)
{
    (void)state;
    static const unsigned char big[] = "P6\n60000 60000\n255\n";
    kq_load_options lo = defaults();
    kq_image img = {0};
    char err[128] = "";
    assert_int_equal(kq_image_load_memory(big, sizeof big - 1, &lo, &img, err,
                                          sizeof err), KQ_ERR_INPUT_TOO_LARGE);
    assert_non_null(strstr(err, "60000x60000"));
    assert_null(img.rgb);
    lo.max_pixels = 3;
    static const unsigned char small[] = "P6\n2 2\n255\n0123456789ab";
    assert_int_equal(kq_image_load_memory(small, sizeof small - 1, &lo, &img,
                                          NULL, 0), KQ_ERR_INPUT_TOO_LARGE);
}

static void refuses_empty_truncated_and_foreign_data(void **state)
{
    (void)state;
    kq_load_options lo = defaults();
    kq_image img = {0};
    char err[128] = "";
    assert_int_equal(kq_image_load_memory((const unsigned char *)"", 0, &lo,
                                          &img, err, sizeof err),
                     KQ_ERR_INPUT_FORMAT);
    assert_string_equal(err, "empty file");
    static const unsigned char text[] = "<html>not an image</html>";
    assert_int_equal(kq_image_load_memory(text, sizeof text - 1, &lo, &img,
                                          err, sizeof err),
                     KQ_ERR_INPUT_FORMAT);
    assert_non_null(strstr(err, "not a supported image"));
    unsigned char px[64 * 64 * 3];
    for (size_t i = 0; i < sizeof px; i++)
        px[i] = (unsigned char)(i * 7919 % 251);
    size_t len;
    unsigned char *png = png_bytes(px, 64, 64, 3, &len);
    assert_int_equal(kq_image_load_memory(png, len / 2, &lo, &img, err,
                                          sizeof err),
                     KQ_ERR_INPUT_FORMAT);
    assert_non_null(strstr(err, "corrupt or truncated"));
    assert_null(img.rgb);
    free(png);
}

static void file_errors_name_the_cause(void **state)
{
    (void)state;
    kq_load_options lo = defaults();
    kq_image img = {0};
    char err[128] = "";
    assert_int_equal(kq_image_load_file("/nonexistent/x.png", &lo, &img, err,
                                        sizeof err), KQ_ERR_INPUT_MISSING);
    assert_string_equal(err, "No such file or directory");
    assert_int_equal(kq_image_load_file("/", &lo, &img, err, sizeof err),
                     KQ_ERR_INPUT_MISSING);
    assert_string_equal(err, "Is a directory");
}

static void file_larger_than_the_byte_limit_is_refused(void **state)
{
    (void)state;
    kq_load_options lo = defaults();
    lo.max_file_bytes = 100;
    kq_image img = {0};
    char err[128] = "";
    assert_int_equal(kq_image_load_file(KQ_SOURCE_DIR "/images_input/coffee.png",
                                        &lo, &img, err, sizeof err),
                     KQ_ERR_INPUT_TOO_LARGE);
    assert_non_null(strstr(err, "100 bytes"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(decodes_rgb_png_exactly),
        cmocka_unit_test(grey_becomes_equal_channels),
        cmocka_unit_test(alpha_is_composited_onto_background),
        cmocka_unit_test(decodes_gif_first_frame),
        cmocka_unit_test(decodes_psd_and_pnm),
        cmocka_unit_test(refuses_images_above_the_pixel_limit),
        cmocka_unit_test(refuses_empty_truncated_and_foreign_data),
        cmocka_unit_test(file_errors_name_the_cause),
        cmocka_unit_test(file_larger_than_the_byte_limit_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
