/* test_background.c - inputs with alpha are blended onto the background
 * (kq_load_options.background, the CLI's --background) before clustering. */
#include "testutil.h"

#include "kq_internal.h"

#include <unistd.h>

#include <stb_image_write.h>

/* opaque red, transparent, blue at alpha 128, green at alpha 255 */
static const unsigned char RGBA[16] = {255, 0, 0, 255, 9, 9, 9, 0,
                                       0, 0, 255, 128, 0, 255, 0, 255};

static kq_image load_onto(const char *path, unsigned char r, unsigned char g,
                          unsigned char b)
{
    kq_load_options lo;
    kq_load_options_default(&lo);
    lo.background[0] = r;
    lo.background[1] = g;
    lo.background[2] = b;
    kq_image img = {0};
    assert_int_equal(kq_image_load_file(path, &lo, &img, NULL, 0), KQ_OK);
    assert_int_equal(img.width, 2);
    assert_int_equal(img.height, 2);
    return img;
}

static void transparent_pixels_take_the_background(void **state)
{
    (void)state;
    char path[512];
    kq_test_temp_path(path, sizeof path, "rgba", ".png");
    assert_true(stbi_write_png(path, 2, 2, 4, RGBA, 8));

    /* Half blue onto #102030: (c * 127 + 127) / 255 per channel, blue
     * (255 * 128 + 48 * 127 + 127) / 255 = 152. */
    kq_image img = load_onto(path, 0x10, 0x20, 0x30);
    static const unsigned char expected[12] = {255, 0, 0,  0x10, 0x20, 0x30,
                                               8, 16, 152, 0, 255, 0};
    assert_memory_equal(img.rgb, expected, sizeof expected);
    kq_image_free(&img);

    kq_load_options defaults;
    kq_load_options_default(&defaults);
    kq_image white = load_onto(path, defaults.background[0],
                               defaults.background[1], defaults.background[2]);
    static const unsigned char on_white[12] = {255, 0, 0,     255, 255, 255,
                                               127, 127, 255, 0, 255, 0};
    assert_memory_equal(white.rgb, on_white, sizeof on_white);
    kq_image_free(&white);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(transparent_pixels_take_the_background),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
