/* bench_plots - how long each figure takes for the tutorial's 76,800
 * pixels. Built with the tests, not run by ctest (timings are noisy on a
 * shared machine; the target is "well under a second" per figure).
 *
 *   bench_plots IMAGE [OUT_DIR [AZIMUTH ELEVATION]]
 * Prints CPU milliseconds per figure (drawing, then PNG encoding) and, with
 * OUT_DIR, writes the figures there to look at (seen from the given view,
 * default plotly's). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "kquant.h"

#define K_FIRST 2
#define K_LAST 10
#define SWEEP (K_LAST - K_FIRST + 1)

/* CPU time of this process: on a shared, loaded machine it says what a
 * figure costs better than the wall clock does. */
static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Times the encoding and writes img to OUT_DIR/name (or a temp name that
 * is removed when no folder was given). */
static double save(const char *dir, const char *name, const kq_image *img)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir ? dir : ".", name);
    if (!dir)
        snprintf(path, sizeof path, "bench_plots_tmp.png");
    double t0 = now_ms();
    char err[256];
    if (kq_image_write_file(path, img, err, sizeof err) != KQ_OK)
        fprintf(stderr, "bench_plots: %s: %s\n", path, err);
    double t = now_ms() - t0;
    if (!dir)
        remove(path);
    return t;
}

static void report(const char *what, double draw_ms, double png_ms)
{
    printf("%-28s draw %7.1f ms   png %7.1f ms\n", what, draw_ms, png_ms);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_plots IMAGE [OUT_DIR]\n");
        return 2;
    }
    const char *dir = argc > 2 ? argv[2] : NULL;
    kq_load_options lo;
    kq_load_options_default(&lo);
    kq_image img = {0}, small = {0}, fig = {0};
    char err[256];
    if (kq_image_load_file(argv[1], &lo, &img, err, sizeof err) != KQ_OK ||
        kq_image_resize(&img, 240, 320, &small) != KQ_OK) {
        fprintf(stderr, "bench_plots: %s: %s\n", argv[1], err);
        return 1;
    }
    size_t n;
    float *px = kq_pixels_flatten(&small, &n);
    kq_plot_view view;
    kq_plot_view_default(&view);
    if (argc > 4) {
        view.azimuth = strtod(argv[3], NULL);
        view.elevation = strtod(argv[4], NULL);
    }
    kq_kmeans_params p;
    kq_kmeans_params_default(&p);
    kq_kmeans_result r[SWEEP] = {{0}};
    kq_image panels[SWEEP] = {{0}};
    int ks[SWEEP];
    double inertia[SWEEP];
    for (int i = 0; i < SWEEP; i++) {
        p.k = ks[i] = K_FIRST + i;
        kq_kmeans_fit(px, n, &p, &r[i]);
        kq_recolor(&small, &r[i], &panels[i]);
        inertia[i] = r[i].inertia;
    }
    printf("%zu points, scatter %dx%d\n", n, KQ_PLOT_SCATTER_WIDTH,
           KQ_PLOT_SCATTER_HEIGHT);
    double t0 = now_ms();
    kq_plot_pixel_scatter(px, n, &view, KQ_PLOT_SCATTER_WIDTH,
                          KQ_PLOT_SCATTER_HEIGHT, &fig);
    double t = now_ms() - t0;
    report("pixel scatter", t, save(dir, "scatter3d_pixel_color.png", &fig));
    kq_image_free(&fig);
    t0 = now_ms();
    kq_plot_cluster_scatter(px, &r[1], &view, KQ_PLOT_SCATTER_WIDTH,
                            KQ_PLOT_SCATTER_HEIGHT, &fig);
    t = now_ms() - t0;
    report("cluster scatter (k=3)", t,
           save(dir, "scatter3d_cluster_k3.png", &fig));
    kq_image_free(&fig);
    t0 = now_ms();
    kq_plot_grid(panels, ks, SWEEP, &fig);
    t = now_ms() - t0;
    report("grid (k=2..10)", t, save(dir, "image_output_k2-10.png", &fig));
    kq_image_free(&fig);
    t0 = now_ms();
    kq_plot_elbow(ks, inertia, SWEEP, KQ_PLOT_ELBOW_WIDTH,
                  KQ_PLOT_ELBOW_HEIGHT, &fig);
    t = now_ms() - t0;
    report("elbow (k=2..10)", t, save(dir, "elbow_k2-10.png", &fig));
    kq_image_free(&fig);
    for (int i = 0; i < SWEEP; i++) {
        kq_kmeans_result_free(&r[i]);
        kq_image_free(&panels[i]);
    }
    kq_pixels_free(px);
    kq_image_free(&small);
    kq_image_free(&img);
    return 0;
}
