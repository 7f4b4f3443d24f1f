/* test_limits.c - hardening (issue 8): size arithmetic at its edges,
 * parameters out of range, bounded reads, and a full disk at commit. */
#include "testutil.h"

#include "kq_internal.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void mul_size_at_the_edges(void **state)
{
    (void)state;
    size_t r = 1;
    assert_true(kq_mul_size(SIZE_MAX, 1, &r) && r == SIZE_MAX);
    assert_true(kq_mul_size(1, SIZE_MAX, &r) && r == SIZE_MAX);
    assert_true(kq_mul_size(0, SIZE_MAX, &r) && r == 0);
    assert_true(kq_mul_size(SIZE_MAX, 0, &r) && r == 0);
    assert_true(kq_mul_size(0, 0, &r) && r == 0);
    assert_false(kq_mul_size(SIZE_MAX, 2, &r));
    assert_false(kq_mul_size(SIZE_MAX, SIZE_MAX, &r));
    assert_false(kq_mul_size(SIZE_MAX / 2 + 1, 2, &r));
    assert_true(kq_mul_size(SIZE_MAX / 3, 3, &r) && r == SIZE_MAX - SIZE_MAX % 3);
    size_t half = (size_t)1 << (sizeof(size_t) * 4); /* 2^32 on 64-bit */
    assert_false(kq_mul_size(half, half, &r));
    assert_true(kq_mul_size(half - 1, half + 1, &r) && r == SIZE_MAX);
}

/* An image whose pixel pointer must never be read: every call below has to
 * refuse from the sizes alone. */
static kq_image huge_image(int w, int h)
{
    static unsigned char poison[3];
    kq_image img = {.width = w, .height = h, .rgb = poison};
    return img;
}

static void huge_sizes_are_refused_before_allocating(void **state)
{
    (void)state;
    kq_image big = huge_image(INT_MAX, INT_MAX), out = {0};
    size_t n = 7;
    assert_null(kq_pixels_flatten(&big, &n));
    assert_int_equal(n, 7);
    kq_image neg = huge_image(-1, -1);
    assert_null(kq_pixels_flatten(&neg, &n));
    kq_image small = kq_test_image(2, 2, 1, 2, 3);
    assert_int_equal(kq_image_resize(&small, INT_MAX, INT_MAX, &out),
                     KQ_ERR_ARGUMENT);
    assert_int_equal(kq_image_resize(&small, 0, 5, &out), KQ_ERR_ARGUMENT);
    assert_int_equal(kq_image_resize(&small, 5, -1, &out), KQ_ERR_ARGUMENT);
    assert_int_equal(kq_image_resize(&big, 2, 2, &out), KQ_ERR_ARGUMENT);
    assert_null(out.rgb);
    double mse, psnr;
    assert_int_equal(kq_quality_mse(&neg, &neg, &mse, &psnr), KQ_ERR_ARGUMENT);
    kq_image_free(&small);
}

static void encoder_refuses_images_above_its_int_sizes(void **state)
{
    (void)state;
    char err[128] = "";
    kq_image big = huge_image(40000, 40000); /* (3w + 1) h > 1 GiB */
    FILE *sink = fopen("/dev/null", "wb");
    assert_non_null(sink);
    assert_int_equal(kq_image_encode(sink, KQ_FORMAT_PNG, &big, err, sizeof err),
                     KQ_ERR_ARGUMENT);
    assert_non_null(strstr(err, "too large to encode"));
    kq_image ok = kq_test_image(3, 2, 9, 9, 9);
    assert_int_equal(kq_image_encode(sink, KQ_FORMAT_BMP, &ok, err, sizeof err),
                     KQ_OK);
    assert_int_equal(kq_image_encode(sink, KQ_FORMAT_UNKNOWN, &ok, err,
                                     sizeof err), KQ_ERR_ARGUMENT);
    kq_image_free(&ok);
    fclose(sink);
}

static void kmeans_parameters_out_of_range(void **state)
{
    (void)state;
    float px[6] = {0, 0, 0, 255, 255, 255};
    kq_kmeans_params p;
    kq_kmeans_result r = {0};
    int bad_k[] = {0, -3, KQ_MAX_CLUSTERS + 1, INT_MAX, INT_MIN};
    for (size_t i = 0; i < sizeof bad_k / sizeof bad_k[0]; i++) {
        kq_kmeans_params_default(&p);
        p.k = bad_k[i];
        assert_int_equal(kq_kmeans_fit(px, 2, &p, &r), KQ_ERR_ARGUMENT);
    }
    kq_kmeans_params_default(&p);
    p.max_iter = 0;
    assert_int_equal(kq_kmeans_fit(px, 2, &p, &r), KQ_ERR_ARGUMENT);
    kq_kmeans_params_default(&p);
    p.n_init = -1;
    assert_int_equal(kq_kmeans_fit(px, 2, &p, &r), KQ_ERR_ARGUMENT);
    double bad_tol[] = {NAN, INFINITY, -1e-9};
    for (size_t i = 0; i < 3; i++) {
        kq_kmeans_params_default(&p);
        p.tol = bad_tol[i];
        assert_int_equal(kq_kmeans_fit(px, 2, &p, &r), KQ_ERR_ARGUMENT);
    }
    kq_kmeans_params_default(&p);
    p.k = 3;
    assert_int_equal(kq_kmeans_fit(px, 2, &p, &r), KQ_ERR_DATA);
    assert_int_equal(kq_kmeans_fit(px, 0, &p, &r), KQ_ERR_DATA);
    p.k = 2;
    assert_int_equal(kq_kmeans_fit(px, 2, &p, &r), KQ_OK);
    kq_image shape = huge_image(INT_MAX, 3), out = {0};
    assert_int_equal(kq_recolor(&shape, &r, &out), KQ_ERR_ARGUMENT);
    kq_kmeans_result_free(&r);
}

static void endless_device_read_stops_at_the_stream_limit(void **state)
{
    (void)state;
    kq_load_options lo;
    kq_load_options_default(&lo);
    kq_image img = {0};
    char err[128] = "";
    assert_int_equal(kq_image_load_file("/dev/zero", &lo, &img, err, sizeof err),
                     KQ_ERR_INPUT_TOO_LARGE);
    char want[64];
    snprintf(want, sizeof want, "limit of %u bytes", KQ_MAX_STREAM_BYTES);
    assert_non_null(strstr(err, want));
    assert_null(img.rgb);
}

static void large_regular_file_refused_by_its_size(void **state)
{
    (void)state;
    kq_load_options lo;
    kq_load_options_default(&lo);
    lo.max_file_bytes = 1000;
    kq_image img = {0};
    char err[128] = "";
    assert_int_equal(kq_image_load_file(KQ_SOURCE_DIR "/images_input/coffee.png",
                                        &lo, &img, err, sizeof err),
                     KQ_ERR_INPUT_TOO_LARGE);
    assert_non_null(strstr(err, "limit of 1000 bytes"));
}

static void fifo_without_writer_reads_as_empty(void **state)
{
    (void)state;
    char path[512];
    kq_test_temp_path(path, sizeof path, "fifo", ".png");
    assert_int_equal(mkfifo(path, 0600), 0);
    kq_load_options lo;
    kq_load_options_default(&lo);
    kq_image img = {0};
    char err[128] = "";
    assert_int_equal(kq_image_load_file(path, &lo, &img, err, sizeof err),
                     KQ_ERR_INPUT_FORMAT);
    assert_string_equal(err, "empty file");
    unlink(path);
}

static kq_status load_bytes(const unsigned char *data, size_t len, char *err,
                            size_t err_len)
{
    kq_load_options lo;
    kq_load_options_default(&lo);
    kq_image img = {0};
    kq_status st = kq_image_load_memory(data, len, &lo, &img, err, err_len);
    kq_image_free(&img);
    return st;
}

/* SOI, then `scans` empty SOS segments, then EOI. */
static size_t jpeg_with_scans(unsigned char *buf, int scans)
{
    size_t n = 0;
    buf[n++] = 0xFF, buf[n++] = 0xD8;
    for (int i = 0; i < scans; i++) {
        buf[n++] = 0xFF, buf[n++] = 0xDA, buf[n++] = 0, buf[n++] = 2;
        buf[n++] = 0x55; /* a byte of "entropy-coded data" */
    }
    buf[n++] = 0xFF, buf[n++] = 0xD9;
    return n;
}

static void jpeg_with_too_many_scans_is_refused(void **state)
{
    (void)state;
    unsigned char buf[1024];
    char err[128] = "";
    size_t len = jpeg_with_scans(buf, 101);
    assert_int_equal(load_bytes(buf, len, err, sizeof err),
                     KQ_ERR_INPUT_FORMAT);
    assert_string_equal(err, "JPEG with more than 100 scans refused");
    len = jpeg_with_scans(buf, 100); /* allowed by the guard, bad for stb */
    assert_int_equal(load_bytes(buf, len, err, sizeof err),
                     KQ_ERR_INPUT_FORMAT);
    assert_null(strstr(err, "scans"));
}

static void jpeg_header_size_checked_before_stb(void **state)
{
    (void)state;
    /* SOF0 claiming 65535 x 65535, one component. */
    static const unsigned char jpeg[] = {
        0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x0B, 0x08, 0xFF, 0xFF, 0xFF, 0xFF,
        0x01, 0x01, 0x11, 0x00, 0xFF, 0xD9};
    char err[128] = "";
    assert_int_equal(load_bytes(jpeg, sizeof jpeg, err, sizeof err),
                     KQ_ERR_INPUT_TOO_LARGE);
    assert_string_equal(err, "image of 65535x65535 exceeds the limit of "
                             "100000000 pixels");
}

/* Each fuzz regression is refused by its guard, with its reason (in the
 * normal build stb's fault would often pass unnoticed: this shows the
 * guard, not luck, stops it). */
static void each_regression_is_refused_by_its_guard(void **state)
{
    (void)state;
    static const struct {
        const char *file;
        kq_status status;
        const char *reason;
    } cases[] = {
        {"jpeg_dht_more_than_256_codes.jpg", KQ_ERR_INPUT_FORMAT,
         "Huffman table with more than 256 codes"},
        {"jpeg_dht_overflow_after_fill_bytes.jpg", KQ_ERR_INPUT_FORMAT,
         "Huffman table with more than 256 codes"},
        {"jpeg_undefined_huffman_table.jpg", KQ_ERR_INPUT_FORMAT,
         "a scan uses an undefined"},
        {"hdr_rle_endless_loop.hdr", KQ_ERR_INPUT_FORMAT,
         "Radiance HDR images are not supported"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/tests/fuzz/regressions/%s",
                 KQ_SOURCE_DIR, cases[i].file);
        size_t len = 0;
        unsigned char *data = kq_test_read_file(path, &len);
        assert_non_null(data);
        char err[160] = "";
        kq_status st = load_bytes(data, len, err, sizeof err);
        if (st != cases[i].status || !strstr(err, cases[i].reason))
            fail_msg("%s: %s (%s)", cases[i].file, kq_strerror(st), err);
        free(data);
    }
}

/* stb 2.27 reads an uncompressed TGA's or a binary PNM's pixels without
 * checking they are all there, leaving the rest of its buffer
 * uninitialised: such files cut short are refused, whole ones read. */
static void pnm_and_tga_cut_short_are_refused(void **state)
{
    (void)state;
    static const unsigned char ppm[] = "P6\n2 2\n255\n0123456789ab";
    unsigned char tga[18 + 12] = {0, 0, 2}; /* true colour, 24 bits */
    tga[12] = tga[14] = 2;                  /* 2 x 2 */
    tga[16] = 24;
    for (int i = 18; i < 30; i++)
        tga[i] = (unsigned char)(i * 7);
    const struct {
        const unsigned char *data;
        size_t len;
        const char *reason;
    } files[] = {{ppm, sizeof ppm - 1, "a PNM file cut short"},
                 {tga, sizeof tga, "a TGA file cut short"}};
    for (size_t f = 0; f < 2; f++) {
        char err[160] = "";
        assert_int_equal(load_bytes(files[f].data, files[f].len, err,
                                    sizeof err),
                         KQ_OK);
        kq_status st = load_bytes(files[f].data, files[f].len - 1, err,
                                  sizeof err);
        if (st != KQ_ERR_INPUT_FORMAT || !strstr(err, files[f].reason))
            fail_msg("%s: %s (%s)", files[f].reason, kq_strerror(st), err);
    }
    tga[2] = 10; /* run-length: stb reads zeros past the end, no guard */
    tga[18] = 0x83;
    char err[160] = "";
    assert_int_equal(load_bytes(tga, 18 + 2, err, sizeof err), KQ_OK);
}

static unsigned char *read_regression(const char *file, size_t *len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/tests/fuzz/regressions/%s",
             KQ_SOURCE_DIR, file);
    unsigned char *data = kq_test_read_file(path, len);
    assert_non_null(data);
    return data;
}

/* The PNG regressions once needed guards against stb_image; libpng decodes
 * PNGs now and inflates no more than the image's rows. A chunk claiming
 * more bytes than the file has is refused as truncated; the "zip bomb"
 * (a 1x1 image whose data inflates to 64 MiB) costs what a 1x1 image does:
 * its 3 pixels are all that is ever inflated. */
static void png_regressions_stay_harmless_with_libpng(void **state)
{
    (void)state;
    size_t len = 0;
    char err[160] = "";
    unsigned char *data = read_regression("png_idat_length_beyond_file.png",
                                          &len);
    assert_int_equal(load_bytes(data, len, err, sizeof err),
                     KQ_ERR_INPUT_FORMAT);
    assert_non_null(strstr(err, "corrupt or truncated image"));
    free(data);

    data = read_regression("png_inflate_bomb.png", &len);
    kq_load_options lo;
    kq_load_options_default(&lo);
    kq_image img = {0};
    assert_int_equal(kq_image_load_memory(data, len, &lo, &img, err,
                                          sizeof err),
                     KQ_OK);
    assert_int_equal(img.width, 1);
    assert_int_equal(img.height, 1);
    assert_memory_equal(img.rgb, "\0\0\0", 3); /* its filtered zeros */
    kq_image_free(&img);
    free(data);
}

/* Counts the files in dir whose name starts with prefix. */
static int count_prefixed(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int count = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        count += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
    closedir(d);
    return count;
}

/* A full disk, for real: the temporary file's descriptor is pointed at
 * /dev/full (every write fails with ENOSPC), then commit must report the
 * error, remove the temporary file and leave the old target untouched. */
static void full_disk_at_commit_keeps_the_old_file(void **state)
{
    (void)state;
    const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char target[512], prefix[128];
    kq_test_temp_path(target, sizeof target, "full", ".csv");
    snprintf(prefix, sizeof prefix, ".%s.", strrchr(target, '/') + 1);
    FILE *f = fopen(target, "wb");
    assert_non_null(f);
    fputs("precious", f);
    fclose(f);
    kq_atomic_file *file;
    char err[128] = "";
    assert_int_equal(kq_atomic_open(target, &file, err, sizeof err), KQ_OK);
    assert_int_equal(count_prefixed(dir, prefix), 1);
    int full = open("/dev/full", O_WRONLY);
    assert_true(full >= 0);
    assert_true(dup2(full, fileno(kq_atomic_stream(file))) >= 0);
    close(full);
    for (int i = 0; i < 1000; i++)
        fputs("cluster,r,g,b,hex,pixels,share\n", kq_atomic_stream(file));
    assert_int_equal(kq_atomic_commit(file, err, sizeof err), KQ_ERR_IO);
    assert_non_null(strstr(err, "No space left on device"));
    size_t len = 0;
    unsigned char *kept = kq_test_read_file(target, &len);
    assert_non_null(kept);
    assert_memory_equal(kept, "precious", 8);
    assert_int_equal(len, 8);
    free(kept);
    assert_int_equal(count_prefixed(dir, prefix), 0);
    unlink(target);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(mul_size_at_the_edges),
        cmocka_unit_test(huge_sizes_are_refused_before_allocating),
        cmocka_unit_test(encoder_refuses_images_above_its_int_sizes),
        cmocka_unit_test(kmeans_parameters_out_of_range),
        cmocka_unit_test(endless_device_read_stops_at_the_stream_limit),
        cmocka_unit_test(large_regular_file_refused_by_its_size),
        cmocka_unit_test(fifo_without_writer_reads_as_empty),
        cmocka_unit_test(full_disk_at_commit_keeps_the_old_file),
        cmocka_unit_test(jpeg_with_too_many_scans_is_refused),
        cmocka_unit_test(jpeg_header_size_checked_before_stb),
        cmocka_unit_test(each_regression_is_refused_by_its_guard),
        cmocka_unit_test(pnm_and_tga_cut_short_are_refused),
        cmocka_unit_test(png_regressions_stay_harmless_with_libpng),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
