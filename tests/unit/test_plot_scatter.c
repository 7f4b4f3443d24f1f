/* test_plot_scatter.c - the 3-D scatter plots: projection, background,
 * point colours, depth order and centroid markers. */
#include "testutil.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define W 400
#define H 360
#define TITLE_BAND (H / 8)

static const unsigned char WHITE[3] = {255, 255, 255};

static const unsigned char *pixel(const kq_image *img, int x, int y)
{
    return img->rgb + 3 * ((size_t)y * (size_t)img->width + (size_t)x);
}

/* Where rgb lands with the default view on a W x H plot. */
static void landing(const double rgb[3], int *x, int *y)
{
    kq_plot_view view;
    kq_plot_view_default(&view);
    double fx, fy;
    assert_int_equal(kq_plot_project(&view, W, H, rgb, &fx, &fy), KQ_OK);
    *x = (int)floor(fx);
    *y = (int)floor(fy);
}

/* The plot with no points: the scene every point is blended onto. */
static kq_image empty_plot(void)
{
    kq_plot_view view;
    kq_plot_view_default(&view);
    kq_image img = {0};
    float none[3] = {0};
    assert_int_equal(kq_plot_pixel_scatter(none, 0, &view, W, H, &img),
                     KQ_OK);
    return img;
}

/* top at opacity 0.5 over below; below is itself rounded from the
 * canvas, so the result may be 1 off. */
static void assert_half_over(const unsigned char *p, const unsigned char *top,
                             const unsigned char *below)
{
    for (int c = 0; c < 3; c++)
        assert_true(fabs(p[c] - (top[c] + below[c]) / 2.0) <= 1.0);
}

/* True when every channel of p is within tol of below + t * (c - below)
 * for one t in [0, 1]: p is c blended over below. */
static bool is_blend(const unsigned char *p, const unsigned char *below,
                     const unsigned char c[3], int tol)
{
    for (int t = 0; t <= 256; t++) {
        bool ok = true;
        for (int ch = 0; ch < 3 && ok; ch++) {
            double want = below[ch] + t / 256.0 * (c[ch] - below[ch]);
            ok = fabs(p[ch] - want) <= tol;
        }
        if (ok)
            return true;
    }
    return false;
}

static void default_view_is_on_the_plus_g_side_with_b_up(void **state)
{
    (void)state;
    kq_plot_view view;
    kq_plot_view_default(&view);
    assert_true(view.azimuth > 45.0 && view.azimuth < 90.0);
    assert_true(view.elevation > 0.0 && view.elevation < 90.0);
    int x0, y0, xb, yb, xg, yg;
    double black[3] = {0, 0, 0}, blue[3] = {0, 0, 255}, green[3] = {0, 255, 0};
    landing(black, &x0, &y0);
    landing(blue, &xb, &yb);
    landing(green, &xg, &yg);
    assert_true(yb < y0 - 100);  /* B up */
    assert_true(yg > y0);        /* +G comes towards the viewer: lower */
}

static void whole_cube_projects_inside_the_canvas(void **state)
{
    (void)state;
    for (int corner = 0; corner < 8; corner++) {
        double p[3] = {corner & 1 ? 255 : 0, corner & 2 ? 255 : 0,
                       corner & 4 ? 255 : 0};
        int x, y;
        landing(p, &x, &y);
        assert_true(x > 20 && x < W - 20 && y > 20 && y < H - 20);
    }
}

static void bad_views_and_sizes_are_refused(void **state)
{
    (void)state;
    kq_plot_view view = {45, 91};
    double p[3] = {1, 2, 3}, x, y;
    kq_image img = {0};
    float px[3] = {1, 2, 3};
    assert_int_equal(kq_plot_project(&view, W, H, p, &x, &y),
                     KQ_ERR_ARGUMENT);
    view.elevation = NAN;
    assert_int_equal(kq_plot_pixel_scatter(px, 1, &view, W, H, &img),
                     KQ_ERR_ARGUMENT);
    kq_plot_view_default(&view);
    assert_int_equal(kq_plot_pixel_scatter(px, 1, &view, 10, H, &img),
                     KQ_ERR_ARGUMENT);
    assert_null(img.rgb);
    view.elevation = 90; /* straight down still has a screen "up" */
    assert_int_equal(kq_plot_project(&view, W, H, p, &x, &y), KQ_OK);
    assert_true(isfinite(x) && isfinite(y));
}

static void size_and_background_corners(void **state)
{
    (void)state;
    kq_image img = empty_plot();
    assert_int_equal(img.width, W);
    assert_int_equal(img.height, H);
    assert_memory_equal(pixel(&img, 0, 0), WHITE, 3);
    assert_memory_equal(pixel(&img, W - 1, 0), WHITE, 3);
    assert_memory_equal(pixel(&img, 0, H - 1), WHITE, 3);
    assert_memory_equal(pixel(&img, W - 1, H - 1), WHITE, 3);
    /* and the scene itself is drawn: the cube's planes are not white */
    double centre[3] = {127.5, 127.5, 127.5};
    int x, y;
    landing(centre, &x, &y);
    assert_memory_not_equal(pixel(&img, x, y), WHITE, 3);
    kq_image_free(&img);
}

/* Fifty pixels each of two colours: every pixel the points change is one
 * of those colours blended over the empty scene, and where each colour
 * lands, it covers the scene almost fully. */
static void points_take_their_own_colour(void **state)
{
    (void)state;
    const unsigned char colours[2][3] = {{200, 30, 40}, {40, 160, 220}};
    float px[100 * 3];
    for (int i = 0; i < 100; i++)
        for (int c = 0; c < 3; c++)
            px[3 * i + c] = colours[i % 2][c];
    kq_plot_view view;
    kq_plot_view_default(&view);
    kq_image img = {0}, empty = empty_plot();
    assert_int_equal(kq_plot_pixel_scatter(px, 100, &view, W, H, &img),
                     KQ_OK);
    int changed = 0;
    /* below the title, which names the number of points */
    for (int y = TITLE_BAND; y < H; y++) {
        for (int x = 0; x < W; x++) {
            const unsigned char *p = pixel(&img, x, y);
            const unsigned char *e = pixel(&empty, x, y);
            if (memcmp(p, e, 3) == 0)
                continue;
            changed++;
            assert_true(is_blend(p, e, colours[0], 2) ||
                        is_blend(p, e, colours[1], 2));
        }
    }
    assert_true(changed > 2);
    for (int i = 0; i < 2; i++) {
        double rgb[3] = {colours[i][0], colours[i][1], colours[i][2]};
        int x, y;
        landing(rgb, &x, &y);
        for (int c = 0; c < 3; c++)
            assert_true(abs(pixel(&img, x, y)[c] - colours[i][c]) <= 2);
    }
    kq_image_free(&img);
    kq_image_free(&empty);
}

static void a_single_point_is_half_transparent(void **state)
{
    (void)state;
    float px[3] = {90, 200, 60};
    double rgb[3] = {90, 200, 60};
    kq_plot_view view;
    kq_plot_view_default(&view);
    kq_image img = {0}, empty = empty_plot();
    assert_int_equal(kq_plot_pixel_scatter(px, 1, &view, W, H, &img), KQ_OK);
    int x, y;
    landing(rgb, &x, &y);
    const unsigned char colour[3] = {90, 200, 60};
    assert_half_over(pixel(&img, x, y), colour, pixel(&empty, x, y));
    kq_image_free(&img);
    kq_image_free(&empty);
}

/* Two points on one line of sight: the nearer one must be drawn last,
 * whatever their order in the input. */
static void nearer_points_are_drawn_on_top(void **state)
{
    (void)state;
    kq_plot_view view;
    kq_plot_view_default(&view);
    const double deg = 3.14159265358979323846 / 180.0;
    double az = view.azimuth * deg, el = view.elevation * deg;
    double toward_eye[3] = {cos(el) * cos(az), cos(el) * sin(az), sin(el)};
    double near[3], far[3];
    for (int c = 0; c < 3; c++) {
        near[c] = 127.5 + 60 * toward_eye[c];
        far[c] = 127.5 - 60 * toward_eye[c];
    }
    double xn, yn, xf, yf;
    kq_plot_project(&view, W, H, near, &xn, &yn);
    kq_plot_project(&view, W, H, far, &xf, &yf);
    assert_true(fabs(xn - xf) < 1e-6 && fabs(yn - yf) < 1e-6);
    /* Drawn through the cluster plot, with a hand-made result, so that
     * the near point (first in the input) shows pure red and the far one
     * pure blue; the centroid markers sit at those colours' corners. */
    const float px[6] = {255, 0, 0, 0, 0, 255};
    float pos[6];
    for (int c = 0; c < 3; c++) {
        pos[c] = (float)near[c];
        pos[3 + c] = (float)far[c];
    }
    kq_kmeans_result r = {0};
    r.k = 2;
    r.n = 2;
    r.centroids = malloc(6 * sizeof *r.centroids);
    r.labels = malloc(2 * sizeof *r.labels);
    r.counts = malloc(2 * sizeof *r.counts);
    for (int c = 0; c < 3; c++) {
        r.centroids[c] = px[c];
        r.centroids[3 + c] = px[3 + c];
    }
    r.labels[0] = 0;
    r.labels[1] = 1;
    r.counts[0] = r.counts[1] = 1;
    kq_image img = {0};
    assert_int_equal(kq_plot_cluster_scatter(pos, &r, &view, W, H, &img),
                     KQ_OK);
    const unsigned char *p = pixel(&img, (int)floor(xn), (int)floor(yn));
    assert_true(p[0] > p[2] + 40); /* red (near) over blue (far) */
    kq_image_free(&img);
    kq_kmeans_result_free(&r);
}

/* Four pixels in two clusters: the points show the centroid colours, not
 * their own, and each centroid is a black disc where the projection says. */
static void cluster_plot_uses_centroid_colours_and_black_markers(void **state)
{
    (void)state;
    float px[12] = {200, 40, 40, 220, 60, 40, 40, 60, 200, 60, 40, 220};
    kq_kmeans_params params;
    kq_kmeans_params_default(&params);
    params.k = 2;
    kq_kmeans_result r = {0};
    assert_int_equal(kq_kmeans_fit(px, 4, &params, &r), KQ_OK);
    assert_int_not_equal(r.labels[0], r.labels[2]);
    kq_plot_view view;
    kq_plot_view_default(&view);
    kq_image img = {0}, empty = empty_plot();
    assert_int_equal(kq_plot_cluster_scatter(px, &r, &view, W, H, &img),
                     KQ_OK);
    for (int j = 0; j < 2; j++) {
        int x, y;
        landing(&r.centroids[3 * j], &x, &y);
        const unsigned char black[3] = {0, 0, 0};
        assert_memory_equal(pixel(&img, x, y), black, 3);
    }
    for (int i = 0; i < 4; i++) {
        double rgb[3] = {px[3 * i], px[3 * i + 1], px[3 * i + 2]};
        unsigned char c[3];
        kq_centroid_rgb(&r, r.labels[i], c);
        int x, y;
        landing(rgb, &x, &y);
        assert_half_over(pixel(&img, x, y), c, pixel(&empty, x, y));
    }
    kq_image_free(&img);
    kq_image_free(&empty);
    kq_kmeans_result_free(&r);
}

static void bad_labels_are_refused(void **state)
{
    (void)state;
    float px[6] = {1, 2, 3, 4, 5, 6};
    double centroids[3] = {2, 3, 4};
    kq_label labels[2] = {0, 1}; /* 1 is no cluster when k = 1 */
    size_t counts[1] = {2};
    kq_kmeans_result r = {.k = 1, .n = 2, .centroids = centroids, .labels = labels, .counts = counts, .n_iter = 1};
    kq_plot_view view;
    kq_plot_view_default(&view);
    kq_image img = {0};
    assert_int_equal(kq_plot_cluster_scatter(px, &r, &view, W, H, &img),
                     KQ_ERR_ARGUMENT);
    assert_null(img.rgb);
}

static void same_input_same_pixels(void **state)
{
    (void)state;
    enum { N = 5000 };
    float *px = malloc(N * 3 * sizeof *px);
    for (int i = 0; i < N; i++) /* many exact duplicates: ties in depth */
        for (int c = 0; c < 3; c++)
            px[3 * i + c] = (float)((i * (c + 3) * 37) % 97 * 2);
    kq_plot_view view = {30, 10};
    kq_image a = {0}, b = {0};
    assert_int_equal(kq_plot_pixel_scatter(px, N, &view, W, H, &a), KQ_OK);
    assert_int_equal(kq_plot_pixel_scatter(px, N, &view, W, H, &b), KQ_OK);
    assert_memory_equal(a.rgb, b.rgb, (size_t)W * H * 3);
    kq_image_free(&a);
    kq_image_free(&b);
    free(px);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(default_view_is_on_the_plus_g_side_with_b_up),
        cmocka_unit_test(whole_cube_projects_inside_the_canvas),
        cmocka_unit_test(bad_views_and_sizes_are_refused),
        cmocka_unit_test(size_and_background_corners),
        cmocka_unit_test(points_take_their_own_colour),
        cmocka_unit_test(a_single_point_is_half_transparent),
        cmocka_unit_test(nearer_points_are_drawn_on_top),
        cmocka_unit_test(cluster_plot_uses_centroid_colours_and_black_markers),
        cmocka_unit_test(bad_labels_are_refused),
        cmocka_unit_test(same_input_same_pixels),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
