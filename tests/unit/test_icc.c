/* test_icc.c - embedded colour profiles: a Display P3 image's pixels
 * (JPEG, PNG, WebP, HEIC) come out in sRGB (checked against the published P3-to-sRGB matrix, not
 * against Little CMS), an sRGB-tagged one keeps its bytes, unreadable or
 * non-RGB profiles and ignore_color_profile keep the stored numbers, and
 * a reduced JPEG decode is converted too. */
#include "testutil.h"

#include "icc_fixtures.h"
#include "tiff_fixtures.h"
#include "kq_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <tiffio.h>

#define W 24
#define H 16

/* Colours spread over the cube: every channel takes many levels. */
static unsigned char *test_pixels(void)
{
    static unsigned char rgb[W * H * 3];
    for (int i = 0; i < W * H; i++) {
        rgb[3 * i] = (unsigned char)(i * 37 % 256);
        rgb[3 * i + 1] = (unsigned char)(i * 91 % 256);
        rgb[3 * i + 2] = (unsigned char)(i * 53 % 256);
    }
    return rgb;
}

static double srgb_to_linear(double v)
{
    return v <= 0.04045 ? v / 12.92 : pow((v + 0.055) / 1.055, 2.4);
}

static double linear_to_srgb(double v)
{
    v = v < 0 ? 0 : v > 1 ? 1 : v;
    return v <= 0.0031308 ? 12.92 * v : 1.055 * pow(v, 1 / 2.4) - 0.055;
}

/* Display P3 (D65) to sRGB in linear light: the matrix published with
 * both spaces' primaries and white (e.g. in W3C CSS Color 4). */
static void p3_to_srgb(const unsigned char in[3], double out[3])
{
    static const double m[3][3] = {{1.2249401, -0.2249404, 0.0},
                                   {-0.0420569, 1.0420571, 0.0},
                                   {-0.0196376, -0.0786361, 1.0982735}};
    double lin[3];
    for (int c = 0; c < 3; c++)
        lin[c] = srgb_to_linear(in[c] / 255.0);
    for (int r = 0; r < 3; r++)
        out[r] = 255.0 * linear_to_srgb(m[r][0] * lin[0] + m[r][1] * lin[1] +
                                        m[r][2] * lin[2]);
}

/* The worst distance, in levels, of got from the P3 pixels stored turned
 * into sRGB by the matrix. */
static double worst_from_matrix(const unsigned char *stored,
                                const unsigned char *got, size_t n)
{
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        double want[3];
        p3_to_srgb(stored + 3 * i, want);
        for (int c = 0; c < 3; c++)
            worst = fmax(worst, fabs(want[c] - got[3 * i + c]));
    }
    return worst;
}

typedef unsigned char *(*encoder)(const unsigned char *, int, int,
                                  const unsigned char *, size_t, size_t *);

/* The test pixels encoded with the named profile ("none": none). */
static unsigned char *tagged(encoder encode, const char *profile,
                             size_t *len)
{
    size_t icc_len = 0;
    unsigned char *icc = strcmp(profile, "none") == 0
                             ? NULL
                             : icc_fixture_profile(profile, &icc_len);
    unsigned char *file = encode(test_pixels(), W, H, icc, icc_len, len);
    free(icc);
    assert_non_null(file);
    return file;
}

static kq_image load(const unsigned char *file, size_t len,
                     const kq_load_options *opts)
{
    kq_image img = {0};
    char err[256] = "";
    assert_int_equal(kq_image_load_memory(file, len, opts, &img, err,
                                          sizeof err),
                     KQ_OK);
    return img;
}

static kq_image load_default(encoder encode, const char *profile)
{
    size_t len;
    unsigned char *file = tagged(encode, profile, &len);
    kq_load_options opts;
    kq_load_options_default(&opts);
    kq_image img = load(file, len, &opts);
    free(file);
    return img;
}

static void png_p3_is_turned_into_srgb(void **state)
{
    (void)state;
    kq_image img = load_default(icc_fixture_png, "p3");
    assert_int_equal(img.width, W);
    double worst = worst_from_matrix(test_pixels(), img.rgb, W * H);
    assert_true(worst <= 1.0);
    int moved = 0;
    kq_test_mean_difference(test_pixels(), img.rgb, W * H * 3, &moved);
    assert_true(moved >= 10); /* P3 is wider: saturated colours move */
    kq_image_free(&img);
}

static void converted_image_names_its_profile(void **state)
{
    (void)state;
    kq_image img = load_default(icc_fixture_png, "p3");
    assert_string_equal(img.color_profile, "Display P3 (kquant test)");
    kq_image_free(&img);
    img = load_default(icc_fixture_png, "p3-escapes");
    assert_string_equal(img.color_profile, "P3[2Jcleared");
    kq_image_free(&img);
    img = load_default(icc_fixture_png, "srgb");
    assert_string_equal(img.color_profile, "");
    kq_image_free(&img);
}

static void webp_p3_is_turned_into_srgb(void **state)
{
    (void)state;
    kq_image img = load_default(icc_fixture_webp, "p3");
    assert_true(worst_from_matrix(test_pixels(), img.rgb, W * H) <= 1.0);
    kq_image_free(&img);
    kq_image plain = load_default(icc_fixture_webp, "none");
    assert_memory_equal(plain.rgb, test_pixels(), W * H * 3);
    kq_image_free(&plain);
}

static void srgb_profile_keeps_every_byte(void **state)
{
    (void)state;
    kq_image img = load_default(icc_fixture_png, "srgb");
    assert_memory_equal(img.rgb, test_pixels(), W * H * 3);
    kq_image_free(&img);
}

static void ignore_color_profile_keeps_the_stored_numbers(void **state)
{
    (void)state;
    size_t len;
    unsigned char *file = tagged(icc_fixture_png, "p3", &len);
    kq_load_options opts;
    kq_load_options_default(&opts);
    opts.ignore_color_profile = true;
    kq_image img = load(file, len, &opts);
    assert_memory_equal(img.rgb, test_pixels(), W * H * 3);
    kq_image_free(&img);
    free(file);
}

/* JPEG: the tagged file and an untagged one hold the same scan, so the
 * untagged decode is the stored numbers the profile speaks of. */
static void jpeg_matches_untagged(const char *profile, bool converted)
{
    kq_image plain = load_default(icc_fixture_jpeg, "none");
    kq_image img = load_default(icc_fixture_jpeg, profile);
    if (converted)
        assert_true(worst_from_matrix(plain.rgb, img.rgb, W * H) <= 1.0);
    else
        assert_memory_equal(img.rgb, plain.rgb, W * H * 3);
    kq_image_free(&plain);
    kq_image_free(&img);
}

static void jpeg_p3_is_turned_into_srgb(void **state)
{
    (void)state;
    jpeg_matches_untagged("p3", true);
}

static unsigned char *heic(const unsigned char *rgb, int w, int h,
                           const unsigned char *icc, size_t icc_len,
                           size_t *len)
{
    unsigned char *file = icc_fixture_heif(rgb, w, h, icc, icc_len, false,
                                           len);
    if (!file)
        skip(); /* no HEVC encoder in this libheif */
    return file;
}

/* HEIC (an iPhone's photos carry Display P3): the same codestream with and
 * without the profile, so the untagged decode is the stored numbers. */
static void heic_p3_is_turned_into_srgb(void **state)
{
    (void)state;
    kq_image plain = load_default(heic, "none");
    kq_image img = load_default(heic, "p3");
    assert_true(worst_from_matrix(plain.rgb, img.rgb, W * H) <= 1.0);
    assert_string_equal(img.color_profile, "Display P3 (kquant test)");
    kq_image_free(&plain);
    kq_image_free(&img);
}

/* The test pixels as a HEIC or AVIF with an nclx box (no ICC profile),
 * loaded with its colours turned into sRGB and as stored. */
static kq_image load_nclx(int primaries, int transfer, bool avif,
                          kq_image *stored)
{
    size_t len;
    unsigned char *file = icc_fixture_heif_nclx(test_pixels(), W, H,
                                                primaries, transfer, avif,
                                                &len);
    if (!file)
        skip(); /* no encoder for this format in this libheif */
    kq_load_options opts;
    kq_load_options_default(&opts);
    kq_image img = load(file, len, &opts);
    opts.ignore_color_profile = true;
    *stored = load(file, len, &opts);
    free(file);
    return img;
}

/* AVIF encoders describe colour by an nclx box: Display P3 primaries are
 * converted as a P3 ICC profile is; BT.709's (sRGB's) primaries and an
 * HDR (PQ) transfer leave the decoded numbers. (libheif's HEVC encoder
 * puts its nclx into the codestream, where libheif does not read it
 * back, so only AVIFs are made here.) */
static void nclx_p3_is_turned_into_srgb(void **state)
{
    (void)state;
    kq_image stored, img = load_nclx(12, 13, true, &stored);
    double worst = worst_from_matrix(stored.rgb, img.rgb, W * H);
    if (worst > 1.0)
        fail_msg("%.2f levels from the matrix", worst);
    assert_string_equal(img.color_profile, "Display P3 (nclx)");
    kq_image_free(&img);
    kq_image_free(&stored);
    static const int kept[][2] = {{1, 13}, {2, 2}, {12, 16}};
    for (size_t i = 0; i < sizeof kept / sizeof *kept; i++) {
        img = load_nclx(kept[i][0], kept[i][1], true, &stored);
        assert_memory_equal(img.rgb, stored.rgb, W * H * 3);
        assert_string_equal(img.color_profile, "");
        kq_image_free(&img);
        kq_image_free(&stored);
    }
}

static unsigned char *tiff(const unsigned char *rgb, int w, int h,
                           const unsigned char *icc, size_t icc_len,
                           size_t *len)
{
    tiff_fixture_spec spec = {.width = w, .height = h, .samples = 3,
                              .bits = 8, .pixels = rgb, .icc = icc,
                              .icc_len = icc_len,
                              .compression = COMPRESSION_LZW};
    return tiff_fixture(&spec, len);
}

/* TIFF (scanners' and editors' exports carry Adobe RGB or P3 in tag
 * 34675). */
static void tiff_p3_is_turned_into_srgb(void **state)
{
    (void)state;
    kq_image img = load_default(tiff, "p3");
    assert_true(worst_from_matrix(test_pixels(), img.rgb, W * H) <= 1.0);
    assert_string_equal(img.color_profile, "Display P3 (kquant test)");
    kq_image_free(&img);
    kq_image plain = load_default(tiff, "none");
    assert_memory_equal(plain.rgb, test_pixels(), W * H * 3);
    kq_image_free(&plain);
}

static void unreadable_and_non_rgb_profiles_keep_the_numbers(void **state)
{
    (void)state;
    jpeg_matches_untagged("broken", false);
    jpeg_matches_untagged("lab", false);
    jpeg_matches_untagged("srgb", false);
}

/* A JPEG decoded at a reduced size for a small target is converted too. */
static void reduced_jpeg_decode_is_converted(void **state)
{
    (void)state;
    kq_load_options opts;
    kq_load_options_default(&opts);
    opts.resize_width = 3;
    opts.resize_height = 2;
    size_t plain_len, p3_len;
    unsigned char *plain_file = tagged(icc_fixture_jpeg, "none", &plain_len);
    unsigned char *p3_file = tagged(icc_fixture_jpeg, "p3", &p3_len);
    kq_image plain = load(plain_file, plain_len, &opts);
    kq_image img = load(p3_file, p3_len, &opts);
    assert_true(img.reduced_by > 1);
    assert_int_equal(img.width, plain.width);
    assert_true(worst_from_matrix(plain.rgb, img.rgb,
                                  (size_t)img.width * img.height) <= 1.0);
    kq_image_free(&plain);
    kq_image_free(&img);
    free(plain_file);
    free(p3_file);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(png_p3_is_turned_into_srgb),
        cmocka_unit_test(converted_image_names_its_profile),
        cmocka_unit_test(webp_p3_is_turned_into_srgb),
        cmocka_unit_test(srgb_profile_keeps_every_byte),
        cmocka_unit_test(ignore_color_profile_keeps_the_stored_numbers),
        cmocka_unit_test(jpeg_p3_is_turned_into_srgb),
        cmocka_unit_test(heic_p3_is_turned_into_srgb),
        cmocka_unit_test(tiff_p3_is_turned_into_srgb),
        cmocka_unit_test(nclx_p3_is_turned_into_srgb),
        cmocka_unit_test(unreadable_and_non_rgb_profiles_keep_the_numbers),
        cmocka_unit_test(reduced_jpeg_decode_is_converted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
