/* test_indexed_png.c - palette PNGs: read back through stb_image they equal
 * the truecolour image; the bit depth is the smallest that holds k; the
 * palette is in table order; failures leave no file; 24-bit rows of a
 * recoloured image go unfiltered, a photo's through libpng's filters. */
#include "testutil.h"

#include "kq_internal.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <stb_image.h>
#include <zlib.h>

#define W 37 /* odd, so that sub-byte rows end part way through a byte */
#define H 5

/* A labelled image using every one of k colours, and its palette. */
typedef struct {
    int32_t labels[W * H];
    unsigned char palette[256][3];
    int k;
} fixture;

static void make_fixture(fixture *f, int k)
{
    f->k = k;
    for (int i = 0; i < W * H; i++)
        f->labels[i] = (int32_t)((i * 7 + i / W) % k);
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

/* ---- 24-bit row filters ---- */

#define PHOTO KQ_TEST_DATA_DIR "/coffee_240x320.png"

/* Each row's filter type byte of a 24-bit PNG of w x h pixels: the IDAT
 * chunks joined and inflated, one type byte before each row. */
static unsigned char *row_filters(const unsigned char *png, size_t len,
                                  int w, int h)
{
    size_t row = 1 + 3 * (size_t)w, raw_len = row * (size_t)h, idat_len = 0;
    unsigned char *idat = malloc(len), *raw = malloc(raw_len),
                  *filters = malloc((size_t)h);
    assert_true(idat && raw && filters);
    for (size_t at = 8; at + 12 <= len;) {
        size_t n = read_be32(png + at);
        assert_true(at + 12 + n <= len);
        if (memcmp(png + at + 4, "IDAT", 4) == 0) {
            memcpy(idat + idat_len, png + at + 8, n);
            idat_len += n;
        }
        at += 12 + n;
    }
    uLongf out_len = (uLongf)raw_len;
    assert_int_equal(uncompress(raw, &out_len, idat, (uLong)idat_len), Z_OK);
    assert_int_equal(out_len, raw_len);
    for (int y = 0; y < h; y++)
        filters[y] = raw[(size_t)y * row];
    free(idat);
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
    kq_image img = {0, 0, NULL};
    kq_load_options opts;
    kq_load_options_default(&opts);
    assert_int_equal(kq_image_load_file(PHOTO, &opts, &img, NULL, 0), KQ_OK);
    return img;
}

/* The photo recoloured with its k-means colours at k=8 (the summary's
 * 24-bit PNG of the bundled photo): 19,401 bytes unfiltered, 21,902 with
 * libpng's filters. */
static void recoloured_rows_go_unfiltered(void **state)
{
    (void)state;
    kq_image photo = load_photo(), recoloured = {0, 0, NULL};
    kq_kmeans_params params;
    kq_kmeans_params_default(&params);
    params.k = 8;
    kq_kmeans_result r;
    assert_int_equal(kq_kmeans_fit_rgb(photo.rgb,
                                       (size_t)photo.width * (size_t)photo.height,
                                       &params, &r),
                     KQ_OK);
    assert_int_equal(kq_recolor(&photo, &r, &recoloured), KQ_OK);
    assert_int_equal(filtered_rows(&recoloured), 0);
    kq_kmeans_result_free(&r);
    kq_image_free(&recoloured);
    kq_image_free(&photo);
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
