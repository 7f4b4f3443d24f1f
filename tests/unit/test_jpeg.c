/* test_jpeg.c - JPEG input through libjpeg-turbo: the same picture as
 * stb_image decodes, grey and CMYK files, truncated files refused, and
 * large files decoded reduced for a small target. */
#include "testutil.h"

#include "kq_internal.h"

#include <math.h>
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
    int worst;
    double mean = kq_test_mean_difference(img.rgb, ref, sizeof px, &worst);
    assert_true(worst <= 8);
    assert_true(mean < 1.0);
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

/* ---- decoded reduced for a small target ---- */

/* A smooth width x height picture, white from column white_from on. */
static kq_test_sink photo_jpeg(int width, int height, int white_from)
{
    size_t n = (size_t)width * (size_t)height;
    unsigned char *px = malloc(3 * n);
    assert_non_null(px);
    for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++) {
            unsigned char *p = px + 3 * ((size_t)y * (size_t)width + (size_t)x);
            double v = 90.0 * sin(x / 29.0) * cos(y / 17.0);
            p[0] = (unsigned char)(128 + v);
            p[1] = (unsigned char)(100 - v / 2);
            p[2] = (unsigned char)(40 + (x / 8 + y / 8) % 160);
            if (x >= white_from)
                memset(p, 255, 3);
        }
    kq_test_sink s = {0};
    assert_true(stbi_write_jpg_to_func(kq_test_sink_write, &s, width, height,
                                       3, px, 95));
    free(px);
    return s;
}

static kq_status load_for(const kq_test_sink *s, int width, int height,
                          kq_image *img)
{
    kq_load_options lo;
    kq_load_options_default(&lo);
    lo.resize_width = width;
    lo.resize_height = height;
    return kq_image_load_memory(s->data, s->len, &lo, img, NULL, 0);
}

/* The largest reduction (1/8, 1/4, 1/2) that keeps twice the target on
 * both sides, and the size the header gave. */
static void large_jpeg_decodes_reduced_for_a_small_target(void **state)
{
    (void)state;
    kq_test_sink s = photo_jpeg(640, 480, 640);
    const int cases[][5] = {/* target w, h -> reduced by, decoded w, h */
                            {0, 0, 0, 640, 480},    {40, 30, 8, 80, 60},
                            {41, 30, 4, 160, 120},  {80, 60, 4, 160, 120},
                            {160, 120, 2, 320, 240}, {161, 60, 0, 640, 480},
                            {40, 121, 0, 640, 480}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        kq_image img = {0};
        assert_int_equal(load_for(&s, cases[c][0], cases[c][1], &img), KQ_OK);
        assert_int_equal(img.reduced_by, cases[c][2]);
        assert_int_equal(img.width, cases[c][3]);
        assert_int_equal(img.height, cases[c][4]);
        assert_int_equal(img.source_width, cases[c][2] ? 640 : 0);
        assert_int_equal(img.source_height, cases[c][2] ? 480 : 0);
        kq_image_free(&img);
    }
    free(s.data);
}

/* s's JPEG resized to width x height from its full decode (into *from_full)
 * and from its decode reduced by `by` (into *from_reduced); frees s. */
static void resize_both_ways(kq_test_sink *s, int width, int height, int by,
                             kq_image *from_full, kq_image *from_reduced)
{
    kq_image full = {0}, reduced = {0};
    assert_int_equal(load_for(s, 0, 0, &full), KQ_OK);
    assert_int_equal(load_for(s, width, height, &reduced), KQ_OK);
    assert_int_equal(reduced.reduced_by, by);
    assert_int_equal(kq_image_resize(&full, width, height, from_full), KQ_OK);
    assert_int_equal(kq_image_resize(&reduced, width, height, from_reduced),
                     KQ_OK);
    kq_image_free(&full);
    kq_image_free(&reduced);
    free(s->data);
}

/* Resized to the target, the reduced decode is within half a level on
 * average of the full decode resized. */
static void reduced_decode_resizes_like_the_full_decode(void **state)
{
    (void)state;
    kq_test_sink s = photo_jpeg(640, 480, 640);
    kq_image a = {0}, b = {0};
    resize_both_ways(&s, 40, 30, 8, &a, &b);
    int worst;
    double mean = kq_test_mean_difference(a.rgb, b.rgb, 40 * 30 * 3, &worst);
    assert_true(mean < 0.5);
    assert_true(worst <= 3);
    kq_image_free(&a);
    kq_image_free(&b);
}

/* 1003 columns at 1/4 are 251 pixels, the last from 3 columns: the resize
 * maps 250.75 of them, as the full decode's resize maps its 1003. */
static void reduced_last_column_keeps_its_width(void **state)
{
    (void)state;
    kq_test_sink s = photo_jpeg(1003, 64, 1000);
    kq_image a = {0}, b = {0};
    resize_both_ways(&s, 125, 8, 4, &a, &b);
    for (int y = 0; y < 8; y++) {
        size_t last = 3 * ((size_t)y * 125 + 124);
        for (int c = 0; c < 3; c++)
            assert_true(abs((int)a.rgb[last + c] - (int)b.rgb[last + c]) <= 3);
    }
    kq_image_free(&a);
    kq_image_free(&b);
}

/* Only JPEGs decode reduced: a PNG keeps its size whatever the target. */
static void png_keeps_its_size_for_a_small_target(void **state)
{
    (void)state;
    unsigned char px[W * H * 3];
    fill_picture(px, 3);
    kq_test_sink s = {0};
    assert_true(
        stbi_write_png_to_func(kq_test_sink_write, &s, W, H, 3, px, W * 3));
    kq_image img = {0};
    assert_int_equal(load_for(&s, 4, 3, &img), KQ_OK);
    assert_int_equal(img.width, W);
    assert_int_equal(img.height, H);
    assert_int_equal(img.reduced_by, 0);
    assert_memory_equal(img.rgb, px, sizeof px);
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
        cmocka_unit_test(large_jpeg_decodes_reduced_for_a_small_target),
        cmocka_unit_test(reduced_decode_resizes_like_the_full_decode),
        cmocka_unit_test(reduced_last_column_keeps_its_width),
        cmocka_unit_test(png_keeps_its_size_for_a_small_target),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
