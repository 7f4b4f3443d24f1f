/* test_png_read.c - PNG input through libpng gives the very samples
 * stb_image gives, for every colour type, bit depth, transparency and
 * interlacing; truncated files are refused. */
#include "testutil.h"

#include "kq_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>
#include <stb_image.h>

#define W 13 /* odd sizes: partial bytes at low depths, short Adam7 passes */
#define H 11

typedef struct {
    unsigned char *data;
    size_t len, cap;
} sink;

static void sink_write(png_structp png, png_bytep data, size_t n)
{
    sink *s = png_get_io_ptr(png);
    if (s->len + n > s->cap) {
        s->cap = (s->len + n) * 2;
        s->data = realloc(s->data, s->cap);
        assert_non_null(s->data);
    }
    memcpy(s->data + s->len, data, n);
    s->len += n;
}

static void sink_flush(png_structp png)
{
    (void)png;
}

typedef struct {
    int colour_type, depth, interlace;
    bool trns;
} png_kind;

static int channels_of(int colour_type)
{
    switch (colour_type) {
    case PNG_COLOR_TYPE_GRAY: return 1;
    case PNG_COLOR_TYPE_GRAY_ALPHA: return 2;
    case PNG_COLOR_TYPE_RGB: return 3;
    case PNG_COLOR_TYPE_RGB_ALPHA: return 4;
    default: return 1; /* palette indices */
    }
}

/* Sample s of a w x h picture at depth bits: varied, every value range. */
static unsigned sample(int x, int y, int c, int depth)
{
    unsigned max = (1u << depth) - 1;
    return (unsigned)(x * 37 + y * 91 + c * 53 + x * y * 7) % (max + 1);
}

/* One row packed as PNG stores it (big-endian 16-bit, packed low depths). */
static void pack_row(const png_kind *k, int y, unsigned char *row)
{
    int ch = channels_of(k->colour_type);
    size_t bits_at = 0;
    memset(row, 0, (size_t)W * ch * 2);
    for (int x = 0; x < W; x++)
        for (int c = 0; c < ch; c++) {
            unsigned v = sample(x, y, c, k->depth);
            if (k->depth == 16) {
                row[bits_at / 8] = (unsigned char)(v >> 8);
                row[bits_at / 8 + 1] = (unsigned char)v;
            } else {
                size_t shift = 8 - k->depth - bits_at % 8;
                row[bits_at / 8] |= (unsigned char)(v << shift);
            }
            bits_at += (size_t)k->depth;
        }
}

static void add_palette_and_trns(png_structp png, png_infop info,
                                 const png_kind *k)
{
    if (k->colour_type == PNG_COLOR_TYPE_PALETTE) {
        png_color pal[256];
        for (int i = 0; i < 256; i++)
            pal[i] = (png_color){(png_byte)(i * 3), (png_byte)(255 - i),
                                 (png_byte)(i * 7)};
        png_set_PLTE(png, info, pal, 1 << k->depth);
    }
    if (!k->trns)
        return;
    png_byte alpha[4] = {0, 128, 255, 17};
    png_color_16 key = {0, (png_uint_16)sample(1, 0, 0, k->depth),
                        (png_uint_16)sample(1, 0, 1, k->depth),
                        (png_uint_16)sample(1, 0, 2, k->depth),
                        (png_uint_16)sample(1, 0, 0, k->depth)};
    int entries = k->colour_type == PNG_COLOR_TYPE_PALETTE && k->depth < 2
                      ? 2
                      : 4;
    png_set_tRNS(png, info, alpha, entries, &key);
}

static sink write_png(const png_kind *k)
{
    sink s = {0};
    png_structp png =
        png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    assert_non_null(info);
    png_set_write_fn(png, &s, sink_write, sink_flush);
    png_set_IHDR(png, info, W, H, k->depth, k->colour_type, k->interlace,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    add_palette_and_trns(png, info, k);
    png_write_info(png, info);
    unsigned char rows[H][W * 4 * 2];
    png_bytep ptrs[H];
    for (int y = 0; y < H; y++) {
        pack_row(k, y, rows[y]);
        ptrs[y] = rows[y];
    }
    png_write_image(png, ptrs);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    return s;
}

static void same_samples_as_stb(const png_kind *k)
{
    sink s = write_png(k);
    int w, h, comp;
    unsigned char *want = stbi_load_from_memory(s.data, (int)s.len, &w, &h,
                                                &comp, 0);
    assert_non_null(want);
    unsigned char *got = NULL;
    int got_comp = 0;
    char err[128] = "";
    assert_int_equal(kq_png_decode(s.data, s.len, W, H, &got, &got_comp,
                                   err, sizeof err),
                     KQ_OK);
    if (got_comp != comp || memcmp(got, want, (size_t)W * H * comp) != 0)
        fail_msg("colour type %d, depth %d, interlace %d, tRNS %d: "
                 "%d channels, stb %d, or other samples",
                 k->colour_type, k->depth, k->interlace, k->trns, got_comp,
                 comp);
    free(got);
    stbi_image_free(want);
    free(s.data);
}

static void every_kind_decodes_as_stb_decodes(void **state)
{
    (void)state;
    static const int grey_depths[] = {1, 2, 4, 8, 16};
    static const int pal_depths[] = {1, 2, 4, 8};
    for (int il = 0; il <= 1; il++) {
        for (int t = 0; t <= 1; t++) {
            for (size_t d = 0; d < 5; d++)
                same_samples_as_stb(&(png_kind){PNG_COLOR_TYPE_GRAY,
                                                grey_depths[d], il, t});
            for (size_t d = 0; d < 4; d++)
                same_samples_as_stb(&(png_kind){PNG_COLOR_TYPE_PALETTE,
                                                pal_depths[d], il, t});
            for (int depth = 8; depth <= 16; depth += 8)
                same_samples_as_stb(
                    &(png_kind){PNG_COLOR_TYPE_RGB, depth, il, t});
        }
        for (int depth = 8; depth <= 16; depth += 8) {
            same_samples_as_stb(
                &(png_kind){PNG_COLOR_TYPE_GRAY_ALPHA, depth, il, false});
            same_samples_as_stb(
                &(png_kind){PNG_COLOR_TYPE_RGB_ALPHA, depth, il, false});
        }
    }
}

static void truncated_png_is_refused(void **state)
{
    (void)state;
    sink s = write_png(&(png_kind){PNG_COLOR_TYPE_RGB, 8, 0, false});
    unsigned char *px = NULL;
    int comp = 0;
    char err[128] = "";
    for (size_t cut = 40; cut < s.len - 12; cut += 7) {
        assert_int_equal(kq_png_decode(s.data, cut, W, H, &px, &comp, err,
                                       sizeof err),
                         KQ_ERR_INPUT_FORMAT);
        assert_null(px);
        assert_non_null(strstr(err, "corrupt or truncated image"));
    }
    free(s.data);
}

/* The loader takes PNGs through libpng: RGBA composited on the background
 * as before. */
static void loader_composites_png_alpha(void **state)
{
    (void)state;
    sink s = write_png(&(png_kind){PNG_COLOR_TYPE_RGB_ALPHA, 8, 0, false});
    kq_load_options lo;
    kq_load_options_default(&lo);
    kq_image img = {0};
    char err[128] = "";
    assert_int_equal(kq_image_load_memory(s.data, s.len, &lo, &img, err,
                                          sizeof err),
                     KQ_OK);
    for (int c = 0; c < 3; c++) {
        unsigned v = sample(0, 0, c, 8), a = sample(0, 0, 3, 8);
        unsigned want = (v * a + 255u * (255u - a) + 127u) / 255u;
        assert_int_equal(img.rgb[c], want);
    }
    kq_image_free(&img);
    free(s.data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_kind_decodes_as_stb_decodes),
        cmocka_unit_test(truncated_png_is_refused),
        cmocka_unit_test(loader_composites_png_alpha),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
