/* test_orient.c - a JPEG's EXIF orientation: read from its APP1 segment,
 * every orientation turned upright (checked against the EXIF table by
 * corners), the stored order kept on request, broken EXIF ignored. */
#include "testutil.h"

#include "kq_internal.h"

#include <stdlib.h>
#include <string.h>

#include <stb_image_write.h>

#define W 48
#define H 32

/* Four flat quadrants far apart in colour, so every corner survives JPEG
 * and tells where it went. */
static void quadrant_colour(int x, int y, unsigned char rgb[3])
{
    static const unsigned char colours[4][3] = {
        {250, 20, 20}, {20, 250, 20}, {20, 20, 250}, {250, 250, 20}};
    const unsigned char *c = colours[(y >= H / 2) * 2 + (x >= W / 2)];
    memcpy(rgb, c, 3);
}

static kq_test_sink plain_jpeg(void)
{
    static unsigned char px[W * H * 3];
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            quadrant_colour(x, y, &px[(y * W + x) * 3]);
    kq_test_sink s = {0};
    assert_true(stbi_write_jpg_to_func(kq_test_sink_write, &s, W, H, 3, px,
                                       95));
    return s;
}

static void put16(unsigned char *p, unsigned v, bool big)
{
    p[big ? 0 : 1] = (unsigned char)(v >> 8);
    p[big ? 1 : 0] = (unsigned char)v;
}

static void put32(unsigned char *p, unsigned v, bool big)
{
    put16(p + (big ? 0 : 2), v >> 16, big);
    put16(p + (big ? 2 : 0), v & 0xFFFF, big);
}

/* jpeg with an APP1 "Exif" segment after SOI whose IFD0 holds one entry:
 * Orientation (0x0112), SHORT, the given value; tiff_len cuts the TIFF
 * data short when below its 26 bytes. */
static kq_test_sink with_orientation(const kq_test_sink *jpeg, unsigned value,
                                     bool big_endian, size_t tiff_len)
{
    unsigned char tiff[26] = {0};
    memcpy(tiff, big_endian ? "MM\0*" : "II*\0", 4);
    put32(tiff + 4, 8, big_endian);           /* IFD0 at offset 8 */
    put16(tiff + 8, 1, big_endian);           /* one entry */
    put16(tiff + 10, 0x0112, big_endian);     /* Orientation */
    put16(tiff + 12, 3, big_endian);          /* SHORT */
    put32(tiff + 14, 1, big_endian);          /* one value */
    put16(tiff + 18, value, big_endian);      /* in the entry itself */
    put32(tiff + 22, 0, big_endian);          /* no next IFD */
    if (tiff_len > sizeof tiff)
        tiff_len = sizeof tiff;
    size_t seg = 2 + 6 + tiff_len;
    kq_test_sink s = {.len = jpeg->len + 2 + seg};
    s.data = malloc(s.len);
    assert_non_null(s.data);
    unsigned char *p = s.data;
    memcpy(p, jpeg->data, 2); /* SOI */
    p += 2;
    *p++ = 0xFF;
    *p++ = 0xE1;
    put16(p, (unsigned)seg, true);
    p += 2;
    memcpy(p, "Exif\0\0", 6);
    p += 6;
    memcpy(p, tiff, tiff_len);
    p += tiff_len;
    memcpy(p, jpeg->data + 2, jpeg->len - 2);
    return s;
}

static kq_image load(const kq_test_sink *s, bool ignore)
{
    kq_load_options lo;
    kq_load_options_default(&lo);
    lo.ignore_orientation = ignore;
    kq_image img = {0};
    assert_int_equal(kq_image_load_memory(s->data, s->len, &lo, &img, NULL, 0),
                     KQ_OK);
    return img;
}

/* The upright image's pixel (x, y) is the stored pixel the EXIF table
 * names: compared at the four corners, 3 pixels in. */
static void assert_upright(const kq_image *img, int orientation)
{
    bool swap = orientation >= 5;
    assert_int_equal(img->width, swap ? H : W);
    assert_int_equal(img->height, swap ? W : H);
    static const int stored_corner[9][2] = {
        /* which stored corner (0 = left/top, 1 = right/bottom) the upright
         * top-left corner shows, per orientation */
        {0, 0}, {0, 0}, {1, 0}, {1, 1}, {0, 1}, {0, 0}, {0, 1}, {1, 1},
        {1, 0}};
    int sx = stored_corner[orientation][0], sy = stored_corner[orientation][1];
    unsigned char want[3];
    quadrant_colour(sx ? W - 4 : 3, sy ? H - 4 : 3, want);
    const unsigned char *got = &img->rgb[(3 * img->width + 3) * 3];
    for (int c = 0; c < 3; c++)
        assert_true(abs(got[c] - want[c]) <= 12);
    /* the opposite corner shows the opposite stored corner */
    quadrant_colour(sx ? 3 : W - 4, sy ? 3 : H - 4, want);
    got = &img->rgb[((size_t)(img->height - 4) * img->width +
                     (size_t)img->width - 4) * 3];
    for (int c = 0; c < 3; c++)
        assert_true(abs(got[c] - want[c]) <= 12);
}

static void every_orientation_turns_upright(void **state)
{
    (void)state;
    kq_test_sink plain = plain_jpeg();
    for (int o = 1; o <= 8; o++) {
        kq_test_sink tagged = with_orientation(&plain, (unsigned)o, o % 2, 26);
        assert_int_equal(kq_exif_orientation(tagged.data, tagged.len), o);
        kq_image img = load(&tagged, false);
        assert_upright(&img, o);
        kq_image_free(&img);
        img = load(&tagged, true);
        assert_upright(&img, 1);
        kq_image_free(&img);
        free(tagged.data);
    }
    free(plain.data);
}

/* The turn moves whole pixels: the stored decode, turned by hand with the
 * EXIF table's formulas, equals the library's result byte for byte. */
static void turned_pixels_are_the_stored_pixels(void **state)
{
    (void)state;
    kq_test_sink plain = plain_jpeg();
    kq_image stored = load(&plain, false);
    kq_test_sink tagged = with_orientation(&plain, 6, true, 26);
    kq_image turned = load(&tagged, false);
    for (int y = 0; y < turned.height; y++)
        for (int x = 0; x < turned.width; x++) /* 6: 90 degrees clockwise */
            assert_memory_equal(
                &turned.rgb[((size_t)y * turned.width + x) * 3],
                &stored.rgb[((size_t)(H - 1 - x) * W + y) * 3], 3);
    kq_image_free(&turned);
    kq_image_free(&stored);
    free(tagged.data);
    free(plain.data);
}

static void missing_or_broken_exif_keeps_the_stored_order(void **state)
{
    (void)state;
    kq_test_sink plain = plain_jpeg();
    assert_int_equal(kq_exif_orientation(plain.data, plain.len), 1);
    const unsigned values[] = {0, 9, 0xFFFF};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        kq_test_sink odd = with_orientation(&plain, values[i], true, 26);
        assert_int_equal(kq_exif_orientation(odd.data, odd.len), 1);
        free(odd.data);
    }
    /* TIFF data cut before the entry's value ends (byte 20) */
    const size_t cuts[] = {0, 4, 8, 10, 15, 19};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        kq_test_sink cut_short = with_orientation(&plain, 6, false, cuts[i]);
        assert_int_equal(kq_exif_orientation(cut_short.data, cut_short.len),
                         1);
        kq_image img = load(&cut_short, false);
        assert_upright(&img, 1);
        kq_image_free(&img);
        free(cut_short.data);
    }
    const unsigned char not_jpeg[] = "Exif\0\0MM";
    assert_int_equal(kq_exif_orientation(not_jpeg, sizeof not_jpeg), 1);
    free(plain.data);
}

/* ---- turned and decoded reduced for a small target ---- */

#define BIG_W 1003 /* 125 blocks of 8 and one of 3 */
#define BIG_H 203  /* 25 blocks of 8 and one of 3 */

/* Dark shades, with the stored last 3 columns and rows (the blocks a
 * reduced decode makes partial pixels of) white: were the partial pixels
 * mapped onto the wrong edge, the white would spread. */
static kq_test_sink edged_jpeg(void)
{
    unsigned char *px = malloc((size_t)BIG_W * BIG_H * 3);
    assert_non_null(px);
    for (int y = 0; y < BIG_H; y++)
        for (int x = 0; x < BIG_W; x++) {
            bool edge = x >= BIG_W - 3 || y >= BIG_H - 3;
            unsigned char *p = &px[((size_t)y * BIG_W + x) * 3];
            p[0] = edge ? 255 : (unsigned char)(40 + x / 20);
            p[1] = edge ? 255 : (unsigned char)(30 + y / 5);
            p[2] = edge ? 255 : 60;
        }
    kq_test_sink s = {0};
    assert_true(stbi_write_jpg_to_func(kq_test_sink_write, &s, BIG_W, BIG_H,
                                       3, px, 95));
    free(px);
    return s;
}

/* s loaded for a target of w x h (decoded reduced) and resized to it. */
static kq_image resized_for(const kq_test_sink *s, int w, int h)
{
    kq_load_options lo;
    kq_load_options_default(&lo);
    lo.resize_width = w;
    lo.resize_height = h;
    kq_image img = {0}, out = {0};
    assert_int_equal(kq_image_load_memory(s->data, s->len, &lo, &img, NULL, 0),
                     KQ_OK);
    assert_int_equal(img.reduced_by, 8);
    assert_int_equal(kq_image_resize(&img, w, h, &out), KQ_OK);
    kq_image_free(&img);
    return out;
}

/* perf: a turned JPEG is decoded reduced too (the target's sides swapped
 * for 5-8), its partial edge pixels on the edges the turn takes them to:
 * resized, it is the stored image's resize turned (the filter is
 * symmetric), to a level. */
static void turned_reduced_decode_resizes_like_the_stored_one(void **state)
{
    (void)state;
    kq_test_sink plain = edged_jpeg();
    for (int o = 2; o <= 8; o++) {
        kq_test_sink tagged = with_orientation(&plain, (unsigned)o, true, 26);
        int w = o >= 5 ? 12 : 60, h = o >= 5 ? 60 : 12;
        kq_image turned = resized_for(&tagged, w, h);
        kq_image stored = resized_for(&plain, 60, 12);
        assert_int_equal(kq_image_orient(&stored, o), KQ_OK);
        assert_int_equal(stored.width, w);
        int worst;
        double mean = kq_test_mean_difference(turned.rgb, stored.rgb,
                                              (size_t)w * h * 3, &worst);
        assert_true(mean < 0.1);
        assert_true(worst <= 1);
        kq_image_free(&turned);
        kq_image_free(&stored);
        free(tagged.data);
    }
    free(plain.data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_orientation_turns_upright),
        cmocka_unit_test(turned_pixels_are_the_stored_pixels),
        cmocka_unit_test(missing_or_broken_exif_keeps_the_stored_order),
        cmocka_unit_test(turned_reduced_decode_resizes_like_the_stored_one),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
