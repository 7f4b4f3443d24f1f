/* test_tiff.c - TIFF input through libtiff (opened at run time): strips
 * and tiles, contiguous and separate planes, every compression the
 * fixtures write and 16-bit samples decode to the very levels written;
 * grey and palette images to their colours; alpha composited onto the
 * background; the Orientation tag turns the image as EXIF's does (unless
 * ignored); a multi-page file gives its first page; the size is held to
 * the pixel limit before decoding, a tile far larger than its image is
 * refused before it is allocated, and truncated or float files are
 * refused in one line. The files are written here by libtiff. */
#include "testutil.h"

#include "kq_internal.h"
#include "tiff_fixtures.h"

#include <stdlib.h>
#include <string.h>

#include <tiffio.h>

#define W 37 /* not a multiple of the 16-pixel tiles */
#define H 23

/* Gradients and a flat patch, samples channels (3 or 4: alpha). */
static const unsigned char *test_pixels(int samples)
{
    static unsigned char px[W * H * 4];
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            unsigned char *p = &px[(y * W + x) * samples];
            bool patch = x >= 25 && y >= 12;
            p[0] = patch ? 200 : (unsigned char)(x * 7);
            p[1] = patch ? 40 : (unsigned char)(y * 11);
            p[2] = patch ? 90 : (unsigned char)(128 + x - y);
            if (samples == 4)
                p[3] = (unsigned char)((x * 37 + y * 91) % 256);
        }
    return px;
}

static kq_status load_with(const unsigned char *file, size_t len,
                           const kq_load_options *lo, kq_image *img,
                           char *err, size_t err_len)
{
    err[0] = '\0';
    return kq_image_load_memory(file, len, lo, img, err, err_len);
}

static kq_status load(const unsigned char *file, size_t len, kq_image *img,
                      char *err, size_t err_len)
{
    kq_load_options lo;
    kq_load_options_default(&lo);
    return load_with(file, len, &lo, img, err, err_len);
}

static unsigned char *written(const tiff_fixture_spec *spec, size_t *len)
{
    unsigned char *file = tiff_fixture(spec, len);
    assert_non_null(file);
    assert_true(kq_tiff_is(file, *len));
    return file;
}

/* The spec's file decodes to exactly the RGB test pixels. */
static void decodes_exactly(tiff_fixture_spec spec)
{
    spec.width = W;
    spec.height = H;
    spec.samples = 3;
    spec.pixels = test_pixels(3);
    size_t len;
    unsigned char *file = written(&spec, &len);
    kq_image img = {0};
    char err[256];
    kq_status st = load(file, len, &img, err, sizeof err);
    if (st != KQ_OK)
        fail_msg("%s", err);
    assert_int_equal(img.width, W);
    assert_int_equal(img.height, H);
    assert_memory_equal(img.rgb, test_pixels(3), W * H * 3);
    kq_image_free(&img);
    free(file);
}

static void strips_and_tiles_decode_exactly(void **state)
{
    (void)state;
    decodes_exactly((tiff_fixture_spec){.bits = 8});
    decodes_exactly((tiff_fixture_spec){.bits = 8,
                                        .compression = COMPRESSION_LZW});
    decodes_exactly((tiff_fixture_spec){
        .bits = 8, .compression = COMPRESSION_ADOBE_DEFLATE, .tiled = true});
    decodes_exactly((tiff_fixture_spec){.bits = 8,
                                        .separate_planes = true});
    decodes_exactly((tiff_fixture_spec){
        .bits = 8, .tiled = true, .separate_planes = true});
}

static void sixteen_bit_samples_keep_their_levels(void **state)
{
    (void)state;
    decodes_exactly((tiff_fixture_spec){.bits = 16});
    decodes_exactly((tiff_fixture_spec){
        .bits = 16, .compression = COMPRESSION_ADOBE_DEFLATE, .tiled = true});
}

static void grey_and_palette_images_give_their_colours(void **state)
{
    (void)state;
    static unsigned char levels[W * H];
    for (int i = 0; i < W * H; i++)
        levels[i] = (unsigned char)(i % 4 == 3 ? 255 : i % 251);
    static uint16_t colormap[3 * 256]; /* index i: (i, 255 - i, 3i) */
    for (int i = 0; i < 256; i++) {
        colormap[i] = (uint16_t)(i * 257);
        colormap[256 + i] = (uint16_t)((255 - i) * 257);
        colormap[512 + i] = (uint16_t)((3 * i % 256) * 257);
    }
    for (int palette = 0; palette <= 1; palette++) {
        tiff_fixture_spec spec = {.width = W, .height = H, .samples = 1,
                                  .bits = 8, .pixels = levels,
                                  .palette = palette ? colormap : NULL};
        size_t len;
        unsigned char *file = written(&spec, &len);
        kq_image img = {0};
        char err[256];
        assert_int_equal(load(file, len, &img, err, sizeof err), KQ_OK);
        for (int i = 0; i < W * H; i++) {
            unsigned v = levels[i];
            assert_int_equal(img.rgb[3 * i], v);
            assert_int_equal(img.rgb[3 * i + 1], palette ? 255 - v : v);
            assert_int_equal(img.rgb[3 * i + 2], palette ? 3 * v % 256 : v);
        }
        kq_image_free(&img);
        free(file);
    }
}

/* An RGBA file on a background: each pixel within one level of the colour
 * blended by its alpha (libtiff premultiplies, then kquant blends). */
static void alpha_is_composited_onto_the_background(void **state)
{
    (void)state;
    tiff_fixture_spec spec = {.width = W, .height = H, .samples = 4,
                              .bits = 8, .pixels = test_pixels(4)};
    size_t len;
    unsigned char *file = written(&spec, &len);
    static const unsigned char backgrounds[][3] = {{255, 255, 255},
                                                   {0, 0, 0},
                                                   {255, 0, 128}};
    for (size_t b = 0; b < 3; b++) {
        kq_load_options lo;
        kq_load_options_default(&lo);
        memcpy(lo.background, backgrounds[b], 3);
        kq_image img = {0};
        char err[256];
        assert_int_equal(load_with(file, len, &lo, &img, err, sizeof err),
                         KQ_OK);
        const unsigned char *px = test_pixels(4);
        for (int i = 0; i < W * H; i++)
            for (int c = 0; c < 3; c++) {
                double a = px[4 * i + 3] / 255.0;
                double want = px[4 * i + c] * a + backgrounds[b][c] * (1 - a);
                double got = img.rgb[3 * i + c];
                assert_true(got >= want - 1.01 && got <= want + 1.01);
            }
        kq_image_free(&img);
    }
    free(file);
}

/* Orientation o: the decode is the stored image turned by kq_image_orient,
 * and kept as stored with ignore_orientation. */
static void orientation_tag_turns_the_image(void **state)
{
    (void)state;
    for (int o = 2; o <= 8; o++) {
        tiff_fixture_spec spec = {.width = W, .height = H, .samples = 3,
                                  .bits = 8, .pixels = test_pixels(3),
                                  .orientation = o};
        size_t len;
        unsigned char *file = written(&spec, &len);
        assert_int_equal(kq_tiff_orientation(file, len), o);
        kq_image turned = {0}, stored = {0};
        char err[256];
        assert_int_equal(load(file, len, &turned, err, sizeof err), KQ_OK);
        kq_load_options lo;
        kq_load_options_default(&lo);
        lo.ignore_orientation = true;
        assert_int_equal(load_with(file, len, &lo, &stored, err, sizeof err),
                         KQ_OK);
        assert_memory_equal(stored.rgb, test_pixels(3), W * H * 3);
        assert_int_equal(kq_image_orient(&stored, o), KQ_OK);
        assert_int_equal(turned.width, stored.width);
        assert_int_equal(turned.height, stored.height);
        assert_int_equal(turned.width, o >= 5 ? H : W);
        assert_memory_equal(turned.rgb, stored.rgb, W * H * 3);
        kq_image_free(&turned);
        kq_image_free(&stored);
        free(file);
    }
}

static void multi_page_file_gives_its_first_page(void **state)
{
    (void)state;
    decodes_exactly((tiff_fixture_spec){.bits = 8, .pages = 3});
}

static void float_samples_are_refused_in_one_line(void **state)
{
    (void)state;
    tiff_fixture_spec spec = {.width = W, .height = H, .samples = 3,
                              .bits = 32, .pixels = test_pixels(3)};
    size_t len;
    unsigned char *file = written(&spec, &len);
    kq_image img = {0};
    char err[256];
    assert_int_equal(load(file, len, &img, err, sizeof err),
                     KQ_ERR_INPUT_FORMAT);
    assert_non_null(strstr(err, "not a supported image: a TIFF libtiff "
                                "cannot turn into RGB ("));
    assert_null(strchr(err, '\n'));
    assert_null(img.rgb);
    free(file);
}

/* Little-endian classic TIFF: the value of tag in the first directory is
 * set to value (a SHORT or LONG held in the entry). */
static void patch_tag(unsigned char *file, size_t len, uint16_t tag,
                      uint32_t value)
{
    assert_memory_equal(file, "II*\0", 4);
    uint32_t ifd;
    memcpy(&ifd, file + 4, 4);
    assert_true(ifd + 2 <= len);
    uint16_t entries;
    memcpy(&entries, file + ifd, 2);
    for (uint16_t i = 0; i < entries; i++) {
        unsigned char *e = file + ifd + 2 + 12 * i;
        assert_true(e + 12 <= file + len);
        uint16_t t, type;
        memcpy(&t, e, 2);
        memcpy(&type, e + 2, 2);
        if (t != tag)
            continue;
        if (type == TIFF_SHORT)
            memcpy(e + 8, &(uint16_t){(uint16_t)value}, 2);
        else
            memcpy(e + 8, &value, 4);
        return;
    }
    fail_msg("tag %u not found", tag);
}

static void size_is_held_to_the_limit_before_decoding(void **state)
{
    (void)state;
    tiff_fixture_spec spec = {.width = W, .height = H, .samples = 3,
                              .bits = 8, .pixels = test_pixels(3)};
    size_t len;
    unsigned char *file = written(&spec, &len);
    kq_load_options lo;
    kq_load_options_default(&lo);
    lo.max_pixels = W * H - 1;
    kq_image img = {0};
    char err[256];
    assert_int_equal(load_with(file, len, &lo, &img, err, sizeof err),
                     KQ_ERR_INPUT_TOO_LARGE);
    /* a header claiming 60000 x 60000 pixels, with 23 rows of data */
    patch_tag(file, len, TIFFTAG_IMAGEWIDTH, 60000);
    patch_tag(file, len, TIFFTAG_IMAGELENGTH, 60000);
    assert_int_equal(load(file, len, &img, err, sizeof err),
                     KQ_ERR_INPUT_TOO_LARGE);
    assert_string_equal(err, "image of 60000x60000 exceeds the limit of "
                             "100000000 pixels");
    free(file);
}

/* A little-endian TIFF of a 37 x 23 grey image in one deflated tile of
 * 12288 x 12288 pixels (144 MiB decoded) whose 200,000 bytes are zeros:
 * libtiff's compression-ratio check (1000) passes it. */
static unsigned char *oversized_tile(size_t *len)
{
    enum { ENTRIES = 10, DATA = 8 + 2 + ENTRIES * 12 + 4, BYTES = 200000 };
    static const uint16_t tags[ENTRIES][2] = {
        {256, W}, {257, H}, {258, 8}, {259, COMPRESSION_ADOBE_DEFLATE},
        {262, PHOTOMETRIC_MINISBLACK}, {277, 1}, {322, 12288},
        {323, 12288}, {324, DATA}, {325, 0}};
    unsigned char *file = calloc(1, DATA + BYTES);
    assert_non_null(file);
    memcpy(file, "II*\0\x08\0\0\0", 8);
    file[8] = ENTRIES;
    for (int i = 0; i < ENTRIES; i++) {
        unsigned char *e = file + 10 + 12 * i;
        uint32_t value = tags[i][0] == 325 ? BYTES : tags[i][1];
        uint16_t type = tags[i][0] >= 322 ? TIFF_LONG : TIFF_SHORT;
        memcpy(e, &tags[i][0], 2); /* this test runs little-endian */
        memcpy(e + 2, &type, 2);
        memcpy(e + 4, &(uint32_t){1}, 4);
        memcpy(e + 8, &value, 4);
    }
    *len = DATA + BYTES;
    return file;
}

/* libtiff is told the largest allocation this image can need, and
 * refuses the tile's buffer instead of allocating it. */
static void tile_larger_than_its_image_is_refused(void **state)
{
    (void)state;
    size_t len;
    unsigned char *file = oversized_tile(&len);
    kq_image img = {0};
    char err[256];
    assert_int_equal(load(file, len, &img, err, sizeof err),
                     KQ_ERR_INPUT_FORMAT);
    if (!strstr(err, "byte limit"))
        fail_msg("%s", err);
    assert_null(strchr(err, '\n'));
    free(file);
}

static void every_truncation_is_refused_in_one_line(void **state)
{
    (void)state;
    tiff_fixture_spec spec = {.width = W, .height = H, .samples = 3,
                              .bits = 8, .pixels = test_pixels(3),
                              .compression = COMPRESSION_LZW};
    size_t len;
    unsigned char *file = written(&spec, &len);
    for (size_t cut = 0; cut < len; cut += cut < 64 ? 1 : 7) {
        kq_image img = {0};
        char err[256];
        kq_status st = load(file, cut, &img, err, sizeof err);
        assert_int_not_equal(st, KQ_OK);
        assert_true(err[0] != '\0');
        assert_null(strchr(err, '\n'));
        assert_null(img.rgb);
    }
    free(file);
}

#define TALL 6000 /* rows: 1200 strips, 375 rows of tiles */

/* A 37 x TALL RGB image: three bands of 64 K pixels or more on two or
 * three threads. */
static const unsigned char *tall_pixels(void)
{
    static unsigned char px[W * TALL * 3];
    for (int i = 0; i < W * TALL * 3; i++)
        px[i] = (unsigned char)(i * 7 + i / 97);
    return px;
}

static kq_status load_threads(const unsigned char *file, size_t len,
                              int threads, kq_image *img, char *err,
                              size_t err_len)
{
    kq_load_options lo;
    kq_load_options_default(&lo);
    lo.threads = threads;
    return load_with(file, len, &lo, img, err, err_len);
}

/* perf: a TIFF is decoded in bands of strips or tile rows on the pool:
 * any number of threads gives the very pixels written. */
static void bands_on_threads_give_the_same_pixels(void **state)
{
    (void)state;
    for (int tiled = 0; tiled <= 1; tiled++) {
        tiff_fixture_spec spec = {.width = W, .height = TALL, .samples = 3,
                                  .bits = 8, .pixels = tall_pixels(),
                                  .compression = COMPRESSION_LZW,
                                  .tiled = tiled};
        size_t len;
        unsigned char *file = written(&spec, &len);
        for (int threads = 1; threads <= 3; threads++) {
            kq_image img = {0};
            char err[256];
            assert_int_equal(
                load_threads(file, len, threads, &img, err, sizeof err),
                KQ_OK);
            assert_memory_equal(img.rgb, tall_pixels(), W * TALL * 3);
            kq_image_free(&img);
        }
        free(file);
    }
}

/* Where the offset of strip i is kept: in the first directory's
 * StripOffsets (LONG values, little-endian: this test runs on x86). */
static unsigned char *strip_offset(unsigned char *file, size_t len, int i)
{
    uint32_t ifd, array;
    uint16_t entries, tag;
    memcpy(&ifd, file + 4, 4);
    memcpy(&entries, file + ifd, 2);
    for (uint16_t e = 0; e < entries; e++) {
        memcpy(&tag, file + ifd + 2 + 12 * e, 2);
        if (tag != TIFFTAG_STRIPOFFSETS)
            continue;
        memcpy(&array, file + ifd + 2 + 12 * e + 8, 4);
        assert_true(array + 4 * (i + 1) <= len);
        return file + array + 4 * i;
    }
    fail_msg("no StripOffsets");
    return NULL;
}

/* Two strips in different bands pointing past the end of the file:
 * every run, on any number of threads, refuses the file with the first
 * one's message (libtiff's names the strip). */
static void first_failing_band_gives_the_message(void **state)
{
    (void)state;
    tiff_fixture_spec spec = {.width = W, .height = TALL, .samples = 3,
                              .bits = 8, .pixels = tall_pixels(),
                              .compression = COMPRESSION_LZW};
    size_t len;
    unsigned char *file = written(&spec, &len);
    uint32_t past_the_end = (uint32_t)len + 1000;
    for (int strip = 15; strip <= 1015; strip += 1000) /* bands 0, 2 */
        memcpy(strip_offset(file, len, strip), &past_the_end, 4);
    char first[256] = "";
    for (int run = 0; run < 6; run++) {
        kq_image img = {0};
        char err[256];
        assert_int_equal(
            load_threads(file, len, 1 + run % 3, &img, err, sizeof err),
            KQ_ERR_INPUT_FORMAT);
        assert_null(img.rgb);
        if (run == 0)
            memcpy(first, err, sizeof err);
        assert_string_equal(err, first);
    }
    assert_non_null(strstr(first, "Read error on strip 15;"));
    free(file);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(strips_and_tiles_decode_exactly),
        cmocka_unit_test(sixteen_bit_samples_keep_their_levels),
        cmocka_unit_test(grey_and_palette_images_give_their_colours),
        cmocka_unit_test(alpha_is_composited_onto_the_background),
        cmocka_unit_test(orientation_tag_turns_the_image),
        cmocka_unit_test(multi_page_file_gives_its_first_page),
        cmocka_unit_test(float_samples_are_refused_in_one_line),
        cmocka_unit_test(size_is_held_to_the_limit_before_decoding),
        cmocka_unit_test(tile_larger_than_its_image_is_refused),
        cmocka_unit_test(every_truncation_is_refused_in_one_line),
        cmocka_unit_test(bands_on_threads_give_the_same_pixels),
        cmocka_unit_test(first_failing_band_gives_the_message),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
