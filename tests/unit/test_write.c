/* test_write.c - atomic output files, image encoding, the CSV table. */
#include "testutil.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <stb_image.h>

/* A fresh empty folder under TMPDIR. */
static void make_folder(char *buf, size_t len)
{
    kq_test_temp_path(buf, len, "dir", "");
    assert_int_equal(mkdir(buf, 0700), 0);
}

static int entries_in(const char *folder)
{
    DIR *d = opendir(folder);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(d);
    return n;
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

static void commit_replaces_the_target(void **state)
{
    (void)state;
    char dir[256], path[300];
    make_folder(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/out.txt", dir);
    write_text(path, "old");
    kq_atomic_file *f;
    assert_int_equal(kq_atomic_open(path, &f, NULL, 0), KQ_OK);
    fputs("new contents", kq_atomic_stream(f));
    assert_int_equal(entries_in(dir), 2); /* target + hidden temporary */
    assert_int_equal(kq_atomic_commit(f, NULL, 0), KQ_OK);
    size_t len;
    unsigned char *data = kq_test_read_file(path, &len);
    assert_int_equal(len, 12);
    assert_memory_equal(data, "new contents", 12);
    assert_int_equal(entries_in(dir), 1);
    free(data);
    remove(path);
    rmdir(dir);
}

static void abort_leaves_the_target_untouched(void **state)
{
    (void)state;
    char dir[256], path[300];
    make_folder(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/out.txt", dir);
    write_text(path, "precious");
    kq_atomic_file *f;
    assert_int_equal(kq_atomic_open(path, &f, NULL, 0), KQ_OK);
    fputs("half", kq_atomic_stream(f));
    kq_atomic_abort(f);
    size_t len;
    unsigned char *data = kq_test_read_file(path, &len);
    assert_int_equal(len, 8);
    assert_memory_equal(data, "precious", 8);
    assert_int_equal(entries_in(dir), 1);
    free(data);
    remove(path);
    rmdir(dir);
}

static void open_fails_in_missing_folder_or_on_a_directory(void **state)
{
    (void)state;
    kq_atomic_file *f = NULL;
    char err[128] = "";
    assert_int_equal(kq_atomic_open("/nonexistent-dir/x.png", &f, err,
                                    sizeof err), KQ_ERR_OUTPUT);
    assert_string_equal(err, "No such file or directory");
    char dir[256];
    make_folder(dir, sizeof dir);
    assert_int_equal(kq_atomic_open(dir, &f, err, sizeof err), KQ_ERR_OUTPUT);
    assert_string_equal(err, "Is a directory");
    rmdir(dir);
}

static void images_round_trip_in_lossless_formats(void **state)
{
    (void)state;
    kq_image img = kq_test_image(5, 3, 9, 99, 199);
    kq_test_set_pixel(&img, 4, 2, 1, 2, 3);
    const char *exts[] = {".png", ".bmp", ".tga", ".PNG"};
    for (int e = 0; e < 4; e++) {
        char path[256];
        kq_test_temp_path(path, sizeof path, "rt", exts[e]);
        assert_int_equal(kq_image_write_file(path, &img, NULL, 0), KQ_OK);
        int w, h, comp;
        unsigned char *back = stbi_load(path, &w, &h, &comp, 3);
        assert_non_null(back);
        assert_int_equal(w, 5);
        assert_int_equal(h, 3);
        assert_memory_equal(back, img.rgb, 5 * 3 * 3);
        stbi_image_free(back);
        remove(path);
    }
    kq_image_free(&img);
}

static void jpeg_is_close_and_unknown_extensions_refused(void **state)
{
    (void)state;
    kq_image img = kq_test_image(16, 16, 120, 60, 30);
    char path[256];
    kq_test_temp_path(path, sizeof path, "rt", ".jpeg");
    assert_int_equal(kq_image_write_file(path, &img, NULL, 0), KQ_OK);
    int w, h, comp;
    unsigned char *back = stbi_load(path, &w, &h, &comp, 3);
    assert_non_null(back);
    for (int i = 0; i < 16 * 16 * 3; i++)
        assert_true(abs(back[i] - img.rgb[i]) <= 3);
    stbi_image_free(back);
    remove(path);
    assert_int_equal(kq_format_from_path("a.gif"), KQ_FORMAT_UNKNOWN);
    assert_int_equal(kq_format_from_path("dir.png/noext"), KQ_FORMAT_UNKNOWN);
    assert_int_equal(kq_format_from_path("x.JPG"), KQ_FORMAT_JPEG);
    kq_test_temp_path(path, sizeof path, "rt", ".gif");
    assert_int_equal(kq_image_write_file(path, &img, NULL, 0), KQ_ERR_ARGUMENT);
    assert_int_equal(access(path, F_OK), -1);
    kq_image_free(&img);
}

static void csv_table_has_the_documented_columns(void **state)
{
    (void)state;
    double centroids[] = {0.1, 254.5, 16, 1.0 / 3.0, 2, 3};
    kq_label labels[] = {0, 1, 1, 1};
    size_t counts[] = {1, 3};
    kq_kmeans_result r = {.k = 2, .n = 4, .centroids = centroids, .labels = labels, .counts = counts, .n_iter = 1};
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    assert_int_equal(kq_centroids_write_csv(mem, &r), KQ_OK);
    fclose(mem);
    assert_string_equal(text,
                        "cluster,r,g,b,hex,pixels,share\n"
                        "0,0.10000000000000001,254.5,16,#00FF10,1,0.25\n"
                        "1,0.33333333333333331,2,3,#000203,3,0.75\n");
    double back;
    assert_int_equal(sscanf(strchr(strchr(text, '\n') + 1, '\n') + 3, "%lf",
                            &back), 1);
    assert_true(back == 1.0 / 3.0); /* %.17g reads back exactly */
    free(text);
}

static void csv_rows_with_k_share_one_header(void **state)
{
    (void)state;
    double centroids[] = {0.5, 1, 2, 250, 251, 252};
    kq_label labels[] = {0, 1};
    size_t counts[] = {1, 1};
    kq_kmeans_result r = {.k = 2, .k_requested = 3, .n = 2, .centroids = centroids, .labels = labels, .counts = counts};
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    assert_int_equal(kq_centroids_write_csv_with_k(mem, &r, true), KQ_OK);
    r.k = 1;
    r.k_requested = 4;
    assert_int_equal(kq_centroids_write_csv_with_k(mem, &r, false), KQ_OK);
    fclose(mem);
    assert_string_equal(text,
                        "k,cluster,r,g,b,hex,pixels,share\n"
                        "3,0,0.5,1,2,#010102,1,0.5\n"
                        "3,1,250,251,252,#FAFBFC,1,0.5\n"
                        "4,0,0.5,1,2,#010102,1,0.5\n");
    free(text);
}

static void quality_of_known_images(void **state)
{
    (void)state;
    kq_image a = kq_test_image(2, 1, 10, 10, 10);
    kq_image b = kq_test_image(2, 1, 10, 10, 10);
    double mse, psnr;
    assert_int_equal(kq_quality_mse(&a, &b, &mse, &psnr), KQ_OK);
    assert_true(mse == 0.0 && psnr > 1e300);
    kq_test_set_pixel(&b, 1, 0, 13, 6, 10); /* errors 3, -4, 0 */
    assert_int_equal(kq_quality_mse(&a, &b, &mse, &psnr), KQ_OK);
    assert_true(mse == 25.0 / 6.0);
    assert_true(fabs(psnr - 10.0 * log10(65025.0 / (25.0 / 6.0))) < 1e-12);
    kq_image c = kq_test_image(1, 2, 0, 0, 0);
    assert_int_equal(kq_quality_mse(&a, &c, &mse, &psnr), KQ_ERR_ARGUMENT);
    kq_image_free(&a);
    kq_image_free(&b);
    kq_image_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(commit_replaces_the_target),
        cmocka_unit_test(abort_leaves_the_target_untouched),
        cmocka_unit_test(open_fails_in_missing_folder_or_on_a_directory),
        cmocka_unit_test(images_round_trip_in_lossless_formats),
        cmocka_unit_test(jpeg_is_close_and_unknown_extensions_refused),
        cmocka_unit_test(csv_table_has_the_documented_columns),
        cmocka_unit_test(csv_rows_with_k_share_one_header),
        cmocka_unit_test(quality_of_known_images),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
