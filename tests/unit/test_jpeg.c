/* test_jpeg.c - JPEG input through libjpeg-turbo: the same picture as
 * stb_image decodes, grey and CMYK files, truncated files refused. */
#include "testutil.h"

#include "kq_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <stb_image.h>
#include <stb_image_write.h>

#define W 64
#define H 48

/* Smooth gradients with a few edges: what JPEG is made for. */
static void fill_picture(unsigned char *px, int comp)
{
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            for (int c = 0; c < comp; c++)
                px[(y * W + x) * comp + c] = (unsigned char)(
                    (x * 3 + y * (c + 1) * 2 + (x > 40 ? 60 : 0)) & 255);
}

static kq_test_sink jpeg_of(const unsigned char *px, int comp)
{
    kq_test_sink s = {0};
    assert_true(
        stbi_write_jpg_to_func(kq_test_sink_write, &s, W, H, comp, px, 90));
    return s;
}

static kq_status load(const kq_test_sink *s, kq_image *img, char *err,
                       size_t len)
{
    kq_load_options lo;
    kq_load_options_default(&lo);
    return kq_image_load_memory(s->data, s->len, &lo, img, err, len);
}

static void decodes_the_picture_stb_image_decodes(void **state)
{
    (void)state;
    unsigned char px[W * H * 3];
    fill_picture(px, 3);
    kq_test_sink s = jpeg_of(px, 3);
    kq_image img = {0};
    assert_int_equal(load(&s, &img, NULL, 0), KQ_OK);
    assert_int_equal(img.width, W);
    assert_int_equal(img.height, H);
    int w, h, comp;
    unsigned char *ref =
        stbi_load_from_memory(s.data, (int)s.len, &w, &h, &comp, 3);
    assert_non_null(ref);
    /* Two decoders round the inverse DCT and the chroma upsampling each
     * their own way: close, not equal. */
    long total = 0;
    int worst = 0;
    for (size_t i = 0; i < sizeof px; i++) {
        int d = abs((int)img.rgb[i] - (int)ref[i]);
        total += d;
        worst = d > worst ? d : worst;
    }
    assert_true(worst <= 8);
    assert_true((double)total / (double)sizeof px < 1.0);
    stbi_image_free(ref);
    kq_image_free(&img);
    free(s.data);
}

static void grey_jpeg_becomes_equal_channels(void **state)
{
    (void)state;
    unsigned char px[W * H];
    fill_picture(px, 1);
    kq_test_sink s = jpeg_of(px, 1);
    kq_image img = {0};
    assert_int_equal(load(&s, &img, NULL, 0), KQ_OK);
    long total = 0;
    for (size_t i = 0; i < W * H; i++) {
        assert_int_equal(img.rgb[3 * i], img.rgb[3 * i + 1]);
        assert_int_equal(img.rgb[3 * i], img.rgb[3 * i + 2]);
        total += abs((int)img.rgb[3 * i] - (int)px[i]);
    }
    assert_true((double)total / (W * H) < 3.0);
    kq_image_free(&img);
    free(s.data);
}

static void truncated_jpeg_is_refused(void **state)
{
    (void)state;
    unsigned char px[W * H * 3];
    fill_picture(px, 3);
    kq_test_sink s = jpeg_of(px, 3);
    s.len = s.len * 2 / 3; /* the header survives, the scan does not */
    kq_image img = {0};
    char err[200] = "";
    assert_int_equal(load(&s, &img, err, sizeof err), KQ_ERR_INPUT_FORMAT);
    assert_string_equal(err,
                        "corrupt or truncated image (Premature end of JPEG file)");
    assert_null(img.rgb);
    free(s.data);
}

/* A flat CMYK JPEG, written by libjpeg itself. */
static kq_test_sink cmyk_jpeg(const unsigned char cmyk[4])
{
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr jerr;
    c.err = jpeg_std_error(&jerr);
    jpeg_create_compress(&c);
    unsigned char *out = NULL;
    unsigned long out_len = 0;
    jpeg_mem_dest(&c, &out, &out_len);
    c.image_width = W;
    c.image_height = H;
    c.input_components = 4;
    c.in_color_space = JCS_CMYK;
    jpeg_set_defaults(&c);
    jpeg_start_compress(&c, TRUE);
    unsigned char row[W * 4];
    for (int x = 0; x < W; x++)
        memcpy(row + 4 * x, cmyk, 4);
    while (c.next_scanline < c.image_height) {
        JSAMPROW r = row;
        jpeg_write_scanlines(&c, &r, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    kq_test_sink s = {malloc(out_len), out_len, out_len};
    assert_non_null(s.data);
    memcpy(s.data, out, out_len);
    free(out);
    return s;
}

static void cmyk_jpeg_still_loads(void **state)
{
    (void)state;
    const unsigned char cmyk[4] = {30, 120, 200, 10};
    kq_test_sink s = cmyk_jpeg(cmyk);
    kq_image img = {0};
    assert_int_equal(load(&s, &img, NULL, 0), KQ_OK);
    assert_int_equal(img.width, W);
    assert_int_equal(img.height, H);
    for (size_t i = 1; i < (size_t)W * H; i++) /* flat in, flat out */
        assert_memory_equal(img.rgb + 3 * i, img.rgb, 3);
    kq_image_free(&img);
    free(s.data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(decodes_the_picture_stb_image_decodes),
        cmocka_unit_test(grey_jpeg_becomes_equal_channels),
        cmocka_unit_test(truncated_jpeg_is_refused),
        cmocka_unit_test(cmyk_jpeg_still_loads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
