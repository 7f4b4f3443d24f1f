/* test_plot_figures.c - the sweep's grid and the elbow plot, and that a
 * figure's PNG bytes depend on nothing but its inputs. */
#include "testutil.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define K_FIRST 2
#define K_LAST 10
#define COUNT (K_LAST - K_FIRST + 1)

static const unsigned char WHITE[3] = {255, 255, 255};

static const unsigned char *pixel(const kq_image *img, int x, int y)
{
    return img->rgb + 3 * ((size_t)y * (size_t)img->width + (size_t)x);
}

static unsigned colour_at(const kq_image *img, int x, int y)
{
    const unsigned char *p = pixel(img, x, y);
    return (unsigned)p[0] << 16 | (unsigned)p[1] << 8 | p[2];
}

/* Distinct colours inside r (a small set: stops counting at max + 1). */
static int colours_in(const kq_image *img, kq_plot_rect r, int max)
{
    unsigned seen[64];
    int count = 0;
    for (int y = r.y; y < r.y + r.height; y++) {
        for (int x = r.x; x < r.x + r.width; x++) {
            unsigned c = colour_at(img, x, y);
            int i = 0;
            while (i < count && seen[i] != c)
                i++;
            if (i == count) {
                if (count > max)
                    return count;
                seen[count++] = c;
            }
        }
    }
    return count;
}

/* A gradient photo stand-in and its recolourings for k = 2..10. */
static void make_panels(int w, int h, kq_image panels[COUNT], int ks[COUNT],
                        double inertia[COUNT])
{
    kq_image img = kq_test_image(w, h, 0, 0, 0);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            kq_test_set_pixel(&img, x, y, (unsigned char)(x * 255 / w),
                              (unsigned char)(y * 255 / h),
                              (unsigned char)((x * y) % 256));
    size_t n;
    float *px = kq_pixels_flatten(&img, &n);
    kq_kmeans_params p;
    kq_kmeans_params_default(&p);
    for (int i = 0; i < COUNT; i++) {
        kq_kmeans_result r = {0};
        p.k = ks[i] = K_FIRST + i;
        assert_int_equal(kq_kmeans_fit(px, n, &p, &r), KQ_OK);
        assert_int_equal(kq_recolor(&img, &r, &panels[i]), KQ_OK);
        inertia[i] = r.inertia;
        kq_kmeans_result_free(&r);
    }
    kq_pixels_free(px);
    kq_image_free(&img);
}

static void free_panels(kq_image panels[COUNT])
{
    for (int i = 0; i < COUNT; i++)
        kq_image_free(&panels[i]);
}

static void check_grid(int w, int h)
{
    kq_image panels[COUNT] = {{0}}, grid = {0};
    int ks[COUNT];
    double inertia[COUNT];
    make_panels(w, h, panels, ks, inertia);
    assert_int_equal(kq_plot_grid(panels, ks, COUNT, &grid), KQ_OK);
    kq_plot_rect whole, first, r;
    assert_int_equal(kq_plot_grid_layout(COUNT, w, h, 0, &first, &whole),
                     KQ_OK);
    assert_int_equal(grid.width, whole.width);
    assert_int_equal(grid.height, whole.height);
    assert_memory_equal(pixel(&grid, 0, 0), WHITE, 3);
    assert_memory_equal(pixel(&grid, grid.width - 1, grid.height - 1), WHITE,
                        3);
    for (int i = 0; i < COUNT; i++) {
        assert_int_equal(kq_plot_grid_layout(COUNT, w, h, i, &r, NULL), KQ_OK);
        assert_true(r.x >= 0 && r.y > 0 && r.x + r.width <= grid.width &&
                    r.y + r.height <= grid.height);
        assert_int_equal(r.y > first.y, i >= 3);
        int colours = colours_in(&grid, r, ks[i]);
        assert_true(colours >= 1 && colours <= ks[i]);
        /* the panel shows its own image: corners match */
        assert_memory_equal(pixel(&grid, r.x, r.y), pixel(&panels[i], 0, 0), 3);
        assert_memory_equal(pixel(&grid, r.x + r.width - 1, r.y + r.height - 1),
                            pixel(&panels[i], w - 1, h - 1), 3);
        /* a title above it: some text pixels in the band */
        kq_plot_rect band = {r.x, r.y - 30, r.width, 28};
        assert_true(colours_in(&grid, band, 1) > 1);
    }
    free_panels(panels);
    kq_image_free(&grid);
}

static void grid_holds_one_panel_per_k_with_at_most_k_colours(void **state)
{
    (void)state;
    check_grid(24, 32);   /* enlarged to be seen */
    check_grid(240, 320); /* the tutorial's size, shown as it is */
    check_grid(900, 500); /* shrunk */
}

static void grid_layout_rows_of_three(void **state)
{
    (void)state;
    kq_plot_rect p[9], whole;
    for (int i = 0; i < 9; i++)
        assert_int_equal(kq_plot_grid_layout(9, 240, 320, i, &p[i], &whole),
                         KQ_OK);
    for (int i = 0; i < 9; i++) {
        assert_int_equal(p[i].width, 240);
        assert_int_equal(p[i].height, 320);
        assert_int_equal(p[i].x, p[i % 3].x);
        assert_int_equal(p[i].y, p[(i / 3) * 3].y);
    }
    assert_true(p[0].x < p[1].x && p[1].x < p[2].x);
    assert_true(p[0].y < p[3].y && p[3].y < p[6].y);
    assert_true(whole.width < 4 * 240 && whole.height < 4 * 360);
    assert_int_equal(kq_plot_grid_layout(2, 240, 320, 1, &p[0], &whole),
                     KQ_OK);
    assert_true(whole.width < 3 * 240); /* two panels: one row of two */
    assert_int_equal(kq_plot_grid_layout(9, 240, 320, 9, &p[0], NULL),
                     KQ_ERR_ARGUMENT);
}

static void grid_refuses_panels_of_different_sizes(void **state)
{
    (void)state;
    kq_image panels[2] = {kq_test_image(4, 4, 1, 2, 3),
                          kq_test_image(4, 5, 1, 2, 3)};
    int ks[2] = {2, 3};
    kq_image grid = {0};
    assert_int_equal(kq_plot_grid(panels, ks, 2, &grid), KQ_ERR_ARGUMENT);
    assert_null(grid.rgb);
    kq_image_free(&panels[0]);
    kq_image_free(&panels[1]);
}

/* The markers are the only pixels of exactly the series colour (the line
 * is a lighter tint): finds the runs of columns holding such pixels, and
 * the mean height of each run, left to right. */
static int marker_runs(const kq_image *img, double *mean_y, int max)
{
    const unsigned series = 99u << 16 | 110u << 8 | 250u;
    int runs = 0;
    double sum = 0, pixels = 0;
    for (int x = 0; x <= img->width; x++) {
        int found = 0;
        for (int y = 0; x < img->width && y < img->height; y++) {
            if (colour_at(img, x, y) == series) {
                found++;
                sum += y;
            }
        }
        pixels += found;
        if (!found && pixels > 0) { /* a run just ended */
            if (runs < max)
                mean_y[runs] = sum / pixels;
            runs++;
            sum = pixels = 0;
        }
    }
    return runs;
}

static void elbow_plot_has_its_size_background_and_points(void **state)
{
    (void)state;
    int ks[4] = {2, 3, 4, 6};
    double inertia[4] = {9e7, 3e7, 1.5e7, 1.2e7};
    kq_image img = {0};
    assert_int_equal(kq_plot_elbow(ks, inertia, 4, KQ_PLOT_ELBOW_WIDTH,
                                   KQ_PLOT_ELBOW_HEIGHT, &img),
                     KQ_OK);
    assert_int_equal(img.width, KQ_PLOT_ELBOW_WIDTH);
    assert_int_equal(img.height, KQ_PLOT_ELBOW_HEIGHT);
    assert_memory_equal(pixel(&img, 0, 0), WHITE, 3);
    assert_memory_equal(pixel(&img, img.width - 1, img.height - 1), WHITE, 3);
    /* one marker per k, lower on the plot where the inertia is lower */
    double y[8];
    assert_int_equal(marker_runs(&img, y, 8), 4);
    for (int i = 1; i < 4; i++)
        assert_true(y[i] > y[i - 1]);
    assert_true(y[1] - y[0] > 3 * (y[3] - y[2])); /* 6e7 drop vs 0.3e7 */
    kq_image_free(&img);
    int bad_ks[2] = {3, 3};
    assert_int_equal(kq_plot_elbow(bad_ks, inertia, 2, 800, 500, &img),
                     KQ_ERR_ARGUMENT);
    assert_int_equal(kq_plot_elbow(ks, inertia, 4, 20, 500, &img),
                     KQ_ERR_ARGUMENT);
}

/* The PNG file kq_image_write_file makes of img. */
static unsigned char *png_bytes(const kq_image *img, size_t *len)
{
    char path[512];
    kq_test_temp_path(path, sizeof path, "figure", ".png");
    assert_int_equal(kq_image_write_file(path, img, NULL, 0), KQ_OK);
    unsigned char *bytes = kq_test_read_file(path, len);
    assert_non_null(bytes);
    remove(path);
    return bytes;
}

static void same_inputs_give_identical_png_files(void **state)
{
    (void)state;
    kq_image panels[COUNT] = {{0}};
    int ks[COUNT];
    double inertia[COUNT];
    make_panels(24, 32, panels, ks, inertia);
    unsigned char *bytes[2][2];
    size_t len[2][2];
    for (int run = 0; run < 2; run++) {
        kq_image grid = {0}, elbow = {0};
        assert_int_equal(kq_plot_grid(panels, ks, COUNT, &grid), KQ_OK);
        assert_int_equal(kq_plot_elbow(ks, inertia, COUNT, 640, 400, &elbow),
                         KQ_OK);
        bytes[run][0] = png_bytes(&grid, &len[run][0]);
        bytes[run][1] = png_bytes(&elbow, &len[run][1]);
        kq_image_free(&grid);
        kq_image_free(&elbow);
    }
    for (int fig = 0; fig < 2; fig++) {
        assert_int_equal(len[0][fig], len[1][fig]);
        assert_memory_equal(bytes[0][fig], bytes[1][fig], len[0][fig]);
        free(bytes[0][fig]);
        free(bytes[1][fig]);
    }
    free_panels(panels);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(grid_holds_one_panel_per_k_with_at_most_k_colours),
        cmocka_unit_test(grid_layout_rows_of_three),
        cmocka_unit_test(grid_refuses_panels_of_different_sizes),
        cmocka_unit_test(elbow_plot_has_its_size_background_and_points),
        cmocka_unit_test(same_inputs_give_identical_png_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
