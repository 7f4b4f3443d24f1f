/* test_indexed_png.c - palette PNGs: read back through stb_image they equal
 * the truecolour image; the bit depth is the smallest that holds k; the
 * palette is in table order; failures leave no file; 24-bit rows of a
 * recoloured image go unfiltered, a photo's through libpng's filters. */
#include "testutil.h"

#include "kq_internal.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libdeflate.h>
#include <stb_image.h>
#include <zlib.h>

#define W 37 /* odd, so that sub-byte rows end part way through a byte */
#define H 5

/* A labelled image using every one of k colours, and its palette. */
typedef struct {
    kq_label labels[W * H];
    unsigned char palette[256][3];
    int k;
} fixture;

static void make_fixture(fixture *f, int k)
{
    f->k = k;
    for (int i = 0; i < W * H; i++)
        f->labels[i] = (kq_label)((i * 7 + i / W) % k);
    for (int j = 0; j < k; j++) {
        f->palette[j][0] = (unsigned char)j;
        f->palette[j][1] = (unsigned char)(255 - j);
        f->palette[j][2] = (unsigned char)(j * 37 % 256);
    }
}

/* The same pixels as a plain RGB image. */
static kq_image truecolour_of(const fixture *f)
{
    kq_image img = kq_test_image(W, H, 0, 0, 0);
    for (int i = 0; i < W * H; i++)
        memcpy(&img.rgb[3 * i], f->palette[f->labels[i]], 3);
    return img;
}

static unsigned char *decode(const char *path, int *w, int *h)
{
    int comp;
    unsigned char *px = stbi_load(path, w, h, &comp, 3);
    assert_non_null(px);
    return px;
}

static unsigned read_be32(const unsigned char *p)
{
    return (unsigned)p[0] << 24 | (unsigned)p[1] << 16 | (unsigned)p[2] << 8 |
           p[3];
}

static void check_one_k(int k, int expected_depth)
{
    fixture f;
    make_fixture(&f, k);
    char path[512], true_path[512];
    kq_test_temp_path(path, sizeof path, "indexed", ".png");
    kq_test_temp_path(true_path, sizeof true_path, "truecolour", ".png");
    assert_int_equal(kq_indexed_bit_depth(k), expected_depth);
    assert_int_equal(kq_indexed_write_png(path, W, H, f.labels,
                                          (const unsigned char(*)[3])f.palette,
                                          k, NULL, 0),
                     KQ_OK);
    kq_image truecolour = truecolour_of(&f);
    assert_int_equal(kq_image_write_file(true_path, &truecolour, NULL, 0),
                     KQ_OK);

    size_t len;
    unsigned char *bytes = kq_test_read_file(path, &len);
    assert_non_null(bytes);
    assert_true(len > 33 + 12 + 3 * (size_t)k);
    assert_memory_equal(bytes, "\x89PNG\r\n\x1a\n", 8);
    assert_memory_equal(bytes + 12, "IHDR", 4);
    assert_int_equal(bytes[24], expected_depth); /* bit depth */
    assert_int_equal(bytes[25], 3);              /* colour type: palette */
    assert_int_equal(read_be32(bytes + 33), 3 * (unsigned)k);
    assert_memory_equal(bytes + 37, "PLTE", 4);
    assert_memory_equal(bytes + 41, f.palette, 3 * (size_t)k);
    free(bytes);

    int w, h, tw, th;
    unsigned char *indexed = decode(path, &w, &h);
    unsigned char *plain = decode(true_path, &tw, &th);
    assert_int_equal(w, W);
    assert_int_equal(h, H);
    assert_memory_equal(indexed, truecolour.rgb, (size_t)W * H * 3);
    assert_memory_equal(indexed, plain, (size_t)W * H * 3);
    stbi_image_free(indexed);
    stbi_image_free(plain);
    kq_image_free(&truecolour);
    unlink(path);
    unlink(true_path);
}

static void bit_depth_is_the_smallest_that_holds_k(void **state)
{
    (void)state;
    static const int cases[][2] = {{1, 1},  {2, 1},  {3, 2},  {4, 2},
                                   {5, 4},  {16, 4}, {17, 8}, {256, 8}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_one_k(cases[i][0], cases[i][1]);
    assert_int_equal(kq_indexed_bit_depth(0), 0);
    assert_int_equal(kq_indexed_bit_depth(257), 0);
}

static void same_input_gives_the_same_bytes(void **state)
{
    (void)state;
    fixture f;
    make_fixture(&f, 8);
    char a[512], b[512];
    kq_test_temp_path(a, sizeof a, "det", ".png");
    kq_test_temp_path(b, sizeof b, "det", ".png");
    const unsigned char(*pal)[3] = (const unsigned char(*)[3])f.palette;
    assert_int_equal(kq_indexed_write_png(a, W, H, f.labels, pal, 8, NULL, 0),
                     KQ_OK);
    assert_int_equal(kq_indexed_write_png(b, W, H, f.labels, pal, 8, NULL, 0),
                     KQ_OK);
    size_t la, lb;
    unsigned char *da = kq_test_read_file(a, &la), *db = kq_test_read_file(b, &lb);
    assert_non_null(da);
    assert_non_null(db);
    assert_int_equal(la, lb);
    assert_memory_equal(da, db, la);
    free(da);
    free(db);
    unlink(a);
    unlink(b);
}

static void bad_arguments_write_nothing(void **state)
{
    (void)state;
    fixture f;
    make_fixture(&f, 4);
    const unsigned char(*pal)[3] = (const unsigned char(*)[3])f.palette;
    char path[512], err[256];
    kq_test_temp_path(path, sizeof path, "bad", ".png");
    assert_int_equal(kq_indexed_write_png(path, W, H, f.labels, pal, 0, err,
                                          sizeof err),
                     KQ_ERR_ARGUMENT);
    assert_int_equal(kq_indexed_write_png(path, W, H, f.labels, pal, 257, err,
                                          sizeof err),
                     KQ_ERR_ARGUMENT);
    assert_int_equal(kq_indexed_write_png(path, 0, H, f.labels, pal, 4, err,
                                          sizeof err),
                     KQ_ERR_ARGUMENT);
    f.labels[W * H - 1] = 4; /* outside 0..3 */
    assert_int_equal(kq_indexed_write_png(path, W, H, f.labels, pal, 4, err,
                                          sizeof err),
                     KQ_ERR_ARGUMENT);
    assert_non_null(strstr(err, "label 4 outside 0..3"));
    assert_int_equal(access(path, F_OK), -1);
}

static void missing_folder_is_an_output_error(void **state)
{
    (void)state;
    fixture f;
    make_fixture(&f, 2);
    char dir[512], path[600], err[256] = "";
    kq_test_temp_path(dir, sizeof dir, "nodir", "");
    snprintf(path, sizeof path, "%s/out.png", dir);
    assert_int_equal(kq_indexed_write_png(path, W, H, f.labels,
                                          (const unsigned char(*)[3])f.palette,
                                          2, err, sizeof err),
                     KQ_ERR_OUTPUT);
    assert_non_null(strstr(err, "No such file"));
}

static void png_bytes_counts_what_the_truecolour_writer_writes(void **state)
{
    (void)state;
    fixture f;
    make_fixture(&f, 5);
    kq_image img = truecolour_of(&f);
    char path[512];
    kq_test_temp_path(path, sizeof path, "count", ".png");
    assert_int_equal(kq_image_write_file(path, &img, NULL, 0), KQ_OK);
    size_t on_disk, counted = 0;
    unsigned char *bytes = kq_test_read_file(path, &on_disk);
    assert_non_null(bytes);
    assert_int_equal(kq_image_png_bytes(&img, &counted), KQ_OK);
    assert_int_equal(counted, on_disk);
    free(bytes);
    kq_image_free(&img);
    unlink(path);
}

typedef struct {
    int chunks;
    size_t bytes;
} idat_info;

/* The IDAT chunks of a PNG joined and inflated (zlib checks the stream's
 * Adler-32): raw_len bytes of rows, each after its filter type byte.
 * *idat, when given, gets the chunks' count and bytes. */
static unsigned char *inflate_rows(const unsigned char *png, size_t len,
                                   size_t raw_len, idat_info *idat_out)
{
    size_t idat_len = 0;
    unsigned char *idat = malloc(len), *raw = malloc(raw_len);
    assert_true(idat && raw);
    int chunks = 0;
    for (size_t at = 8; at + 12 <= len;) {
        size_t n = read_be32(png + at);
        assert_true(at + 12 + n <= len);
        assert_int_equal(crc32(0, png + at + 4, (uInt)n + 4),
                         read_be32(png + at + 8 + n));
        if (memcmp(png + at + 4, "IDAT", 4) == 0) {
            memcpy(idat + idat_len, png + at + 8, n);
            idat_len += n;
            chunks++;
        }
        at += 12 + n;
    }
    uLongf out_len = (uLongf)raw_len;
    assert_int_equal(uncompress(raw, &out_len, idat, (uLong)idat_len), Z_OK);
    assert_int_equal(out_len, raw_len);
    free(idat);
    if (idat_out)
        *idat_out = (idat_info){chunks, idat_len};
    return raw;
}

/* ---- large palette images: segments deflated on threads ---- */

#define BIG_W 1200 /* 1,201,000 bytes of 8-bit rows: four segments */
#define BIG_H 1000
#define BIG_K 200

/* Smooth bands with noise, as a recoloured photo's indices are. */
static kq_label *big_labels(void)
{
    kq_label *labels = malloc(sizeof(kq_label) * BIG_W * BIG_H);
    assert_non_null(labels);
    uint32_t noise = 1;
    for (int y = 0; y < BIG_H; y++)
        for (int x = 0; x < BIG_W; x++) {
            noise = noise * 1103515245u + 12345u;
            int band = (x / 9 + y / 7) % BIG_K;
            labels[y * BIG_W + x] =
                (kq_label)((band + (noise >> 29 == 0)) % BIG_K);
        }
    return labels;
}

static unsigned char *encode_big(const kq_label *labels, int threads,
                                 size_t *len)
{
    fixture f;
    make_fixture(&f, BIG_K);
    char path[512];
    kq_test_temp_path(path, sizeof path, "big", ".png");
    FILE *stream = fopen(path, "wb");
    assert_non_null(stream);
    assert_int_equal(kq_indexed_encode_png_threads(
                         stream, BIG_W, BIG_H, labels,
                         (const unsigned char(*)[3])f.palette, BIG_K, threads,
                         NULL, 0),
                     KQ_OK);
    assert_int_equal(fclose(stream), 0);
    unsigned char *png = kq_test_read_file(path, len);
    assert_non_null(png);
    unlink(path);
    return png;
}

/* One zlib stream across the segments: it inflates (Adler-32 checked) to
 * the rows, unfiltered; the bytes do not depend on the thread count; the
 * stream is within 2% of one libdeflate stream of all rows at the same
 * level (the segments start without the rows before them: +1.2% here),
 * and smaller than one zlib deflate of them at level 4, the encoder
 * before libdeflate (-6.7%). */
static void large_images_deflate_in_segments_on_any_threads(void **state)
{
    (void)state;
    kq_label *labels = big_labels();
    size_t len1, len2, len3, row = BIG_W + 1, raw_len = row * BIG_H;
    unsigned char *one = encode_big(labels, 1, &len1),
                  *two = encode_big(labels, 2, &len2),
                  *three = encode_big(labels, 3, &len3);
    assert_int_equal(len1, len2);
    assert_int_equal(len1, len3);
    assert_memory_equal(one, two, len1);
    assert_memory_equal(one, three, len1);
    idat_info idat;
    unsigned char *raw = inflate_rows(one, len1, raw_len, &idat);
    assert_int_equal(idat.chunks, 4);
    for (int y = 0; y < BIG_H; y++) {
        assert_int_equal(raw[(size_t)y * row], 0);
        for (int x = 0; x < BIG_W; x++)
            assert_int_equal(raw[(size_t)y * row + 1 + (size_t)x],
                             labels[y * BIG_W + x]);
    }
    uLongf by_zlib = compressBound((uLong)raw_len);
    unsigned char *packed = malloc(by_zlib);
    assert_non_null(packed);
    assert_int_equal(compress2(packed, &by_zlib, raw, (uLong)raw_len, 4),
                     Z_OK);
    struct libdeflate_compressor *c = libdeflate_alloc_compressor(4);
    assert_non_null(c);
    size_t room = libdeflate_zlib_compress_bound(c, raw_len);
    unsigned char *one_stream = malloc(room);
    assert_non_null(one_stream);
    size_t by_libdeflate =
        libdeflate_zlib_compress(c, raw, raw_len, one_stream, room);
    assert_true(by_libdeflate > 0);
    assert_true((double)idat.bytes <= (double)by_libdeflate * 1.02);
    assert_true(idat.bytes < by_zlib);
    libdeflate_free_compressor(c);
    free(one_stream);
    free(packed);
    free(raw);
    free(one);
    free(two);
    free(three);
    free(labels);
}

/* ---- 24-bit row filters ---- */

#define PHOTO KQ_TEST_DATA_DIR "/coffee_240x320.png"

/* Each row's filter type byte of a 24-bit PNG of w x h pixels. */
static unsigned char *row_filters(const unsigned char *png, size_t len,
                                  int w, int h)
{
    size_t row = 1 + 3 * (size_t)w;
    unsigned char *raw = inflate_rows(png, len, row * (size_t)h, NULL),
                  *filters = malloc((size_t)h);
    assert_non_null(filters);
    for (int y = 0; y < h; y++)
        filters[y] = raw[(size_t)y * row];
    free(raw);
    return filters;
}

/* How many rows of img's PNG (as kq_image_write_file writes it) use a
 * filter. */
static int filtered_rows(const kq_image *img)
{
    char path[512];
    kq_test_temp_path(path, sizeof path, "filters", ".png");
    assert_int_equal(kq_image_write_file(path, img, NULL, 0), KQ_OK);
    size_t len;
    unsigned char *png = kq_test_read_file(path, &len);
    assert_non_null(png);
    assert_int_equal(png[25], 2); /* colour type: RGB */
    unsigned char *filters = row_filters(png, len, img->width, img->height);
    int filtered = 0;
    for (int y = 0; y < img->height; y++)
        filtered += filters[y] != 0;
    free(filters);
    free(png);
    unlink(path);
    return filtered;
}

static kq_image load_photo(void)
{
    kq_image img = {0};
    kq_load_options opts;
    kq_load_options_default(&opts);
    assert_int_equal(kq_image_load_file(PHOTO, &opts, &img, NULL, 0), KQ_OK);
    return img;
}

/* The photo recoloured with its k-means colours at k=8 (the summary's
 * 24-bit PNG of the bundled photo): 16,712 bytes unfiltered (19,401 with
 * zlib before libdeflate took the unfiltered rows), 21,902 with
 * libpng's filters. */
static kq_image recoloured_photo(void)
{
    kq_image photo = load_photo(), recoloured = {0};
    kq_kmeans_params params;
    kq_kmeans_params_default(&params);
    params.k = 8;
    kq_kmeans_result r;
    assert_int_equal(kq_kmeans_fit_rgb(photo.rgb,
                                       (size_t)photo.width * (size_t)photo.height,
                                       &params, &r),
                     KQ_OK);
    assert_int_equal(kq_recolor(&photo, &r, &recoloured), KQ_OK);
    kq_kmeans_result_free(&r);
    kq_image_free(&photo);
    return recoloured;
}

static void recoloured_rows_go_unfiltered(void **state)
{
    (void)state;
    kq_image recoloured = recoloured_photo();
    assert_int_equal(filtered_rows(&recoloured), 0);
    kq_image_free(&recoloured);
}

/* The photo itself (--save-input): 132,144 bytes with the filters,
 * 193,853 unfiltered. */
static void photo_rows_keep_the_filters(void **state)
{
    (void)state;
    kq_image photo = load_photo();
    assert_true(filtered_rows(&photo) > photo.height / 2);
    kq_image_free(&photo);
}

/* The recoloured photo tiled 4 x 2 (960x640, 1.8 MB of RGB rows, more
 * than SEGMENT_MIN_RAW): unfiltered, so deflated by libdeflate in four
 * segments joined into one stream, which inflates to the pixels; and
 * kq_image_png_bytes counts the file's bytes. */
static void large_unfiltered_rgb_rows_go_in_segments(void **state)
{
    (void)state;
    kq_image tile = recoloured_photo();
    int tw = tile.width, th = tile.height;
    kq_image img = {.width = 4 * tw, .height = 2 * th,
                    .rgb = malloc((size_t)8 * tw * th * 3)};
    assert_non_null(img.rgb);
    for (int y = 0; y < img.height; y++)
        for (int x = 0; x < img.width; x++)
            memcpy(img.rgb + 3 * ((size_t)y * img.width + x),
                   tile.rgb + 3 * ((size_t)(y % th) * tw + x % tw), 3);
    char path[512];
    kq_test_temp_path(path, sizeof path, "big_rgb", ".png");
    assert_int_equal(kq_image_write_file(path, &img, NULL, 0), KQ_OK);
    size_t len, counted = 0, row = 1 + 3 * (size_t)img.width;
    unsigned char *png = kq_test_read_file(path, &len);
    assert_non_null(png);
    idat_info idat;
    unsigned char *raw = inflate_rows(png, len, row * img.height, &idat);
    assert_int_equal(idat.chunks, 4);
    for (int y = 0; y < img.height; y++) {
        assert_int_equal(raw[(size_t)y * row], 0);
        assert_memory_equal(raw + (size_t)y * row + 1,
                            img.rgb + (size_t)y * 3 * img.width,
                            3 * (size_t)img.width);
    }
    assert_int_equal(kq_image_png_bytes(&img, &counted), KQ_OK);
    assert_int_equal(counted, len);
    unlink(path);
    free(raw);
    free(png);
    kq_image_free(&img);
    kq_image_free(&tile);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bit_depth_is_the_smallest_that_holds_k),
        cmocka_unit_test(same_input_gives_the_same_bytes),
        cmocka_unit_test(bad_arguments_write_nothing),
        cmocka_unit_test(missing_folder_is_an_output_error),
        cmocka_unit_test(png_bytes_counts_what_the_truecolour_writer_writes),
        cmocka_unit_test(recoloured_rows_go_unfiltered),
        cmocka_unit_test(photo_rows_keep_the_filters),
        cmocka_unit_test(large_unfiltered_rgb_rows_go_in_segments),
        cmocka_unit_test(large_images_deflate_in_segments_on_any_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
