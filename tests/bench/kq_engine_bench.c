/* kq_engine_bench - times kquant's k-means engine for tests/bench/run.sh
 * and for tuning. Not a test: it prints numbers and asserts nothing.
 *
 *   kq_engine_bench dump IMAGE RAW
 *       decodes IMAGE as kquant does and writes its RGB bytes to RAW;
 *       prints "WIDTH HEIGHT"
 *   kq_engine_bench fit IMAGE K_FIRST K_LAST RUNS CENTRES_PREFIX
 *                   [auto|plain|hamerly|drift] [simd|portable] [THREADS]
 *       fits every k in K_FIRST..K_LAST, RUNS times; prints per run the
 *       wall seconds of all the fit calls ("total": everything, thread
 *       pool start included), the engine's own parts (histogram,
 *       seeding, iterations + labels) and the engine's inertia summed over
 *       the k; writes the centroids of the last run to
 *       CENTRES_PREFIX<K>.txt (one "r g b" line per centroid).
 *       The seed is 42, or the environment's KQ_BENCH_SEED. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kq_internal.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Decodes image as kquant does; false (and a message) when it cannot. */
static bool load_image(const char *image, kq_image *img)
{
    kq_load_options lo;
    kq_load_options_default(&lo);
    char err[256] = "";
    if (kq_image_load_file(image, &lo, img, err, sizeof err) != KQ_OK) {
        fprintf(stderr, "%s: %s\n", image, err);
        return false;
    }
    return true;
}

static int dump(const char *image, const char *raw)
{
    kq_image img = {0};
    if (!load_image(image, &img))
        return 1;
    FILE *f = fopen(raw, "wb");
    size_t n = (size_t)img.width * img.height;
    if (!f || fwrite(img.rgb, 3, n, f) != n || fclose(f) != 0) {
        fprintf(stderr, "%s: cannot write\n", raw);
        return 1;
    }
    printf("%d %d\n", img.width, img.height);
    kq_image_free(&img);
    return 0;
}

static void write_centres(const char *prefix, const kq_kmeans_result *r)
{
    char path[1024];
    snprintf(path, sizeof path, "%s%d.txt", prefix, r->k_requested);
    FILE *f = fopen(path, "w");
    if (!f)
        return;
    for (int j = 0; j < r->k; j++)
        fprintf(f, "%.17g %.17g %.17g\n", r->centroids[3 * j],
                r->centroids[3 * j + 1], r->centroids[3 * j + 2]);
    fclose(f);
}

static int fit(int argc, char **argv)
{
    const char *image = argv[2], *prefix = argv[6];
    int k_first = atoi(argv[3]), k_last = atoi(argv[4]), runs = atoi(argv[5]);
    kq_kmeans_engine_options o = {0};
    if (argc > 7 && !strcmp(argv[7], "plain"))
        o.loop = KQ_LOOP_PLAIN;
    if (argc > 7 && !strcmp(argv[7], "hamerly"))
        o.loop = KQ_LOOP_HAMERLY;
    if (argc > 7 && !strcmp(argv[7], "drift"))
        o.loop = KQ_LOOP_DRIFT;
    o.no_simd = argc > 8 && !strcmp(argv[8], "portable");
    o.no_coarse = getenv("KQ_NO_COARSE") != NULL; /* for tuning */
    kq_image img = {0};
    if (!load_image(image, &img))
        return 1;
    size_t n = (size_t)img.width * img.height;
    kq_kmeans_params p;
    kq_kmeans_params_default(&p);
    p.threads = argc > 9 ? atoi(argv[9]) : 0;
    if (getenv("KQ_BENCH_SEED"))
        p.seed = atoi(getenv("KQ_BENCH_SEED"));
    for (int run = 0; run < runs; run++) {
        double hist = 0, seed = 0, iter = 0, wall = 0, inertia = 0;
        int n_iter = 0;
        size_t u = 0;
        for (int k = k_first; k <= k_last; k++) {
            kq_kmeans_result r;
            p.k = k;
            double t0 = now();
            kq_status st = kq_kmeans_fit_rgb_with(img.rgb, n, &p, &o, &r);
            wall += now() - t0;
            if (st != KQ_OK) {
                fprintf(stderr, "fit failed for k=%d\n", k);
                return 1;
            }
            hist += r.seconds_histogram;
            seed += r.seconds_seeding;
            iter += r.seconds_iterations;
            n_iter += r.n_iter;
            u = r.n_colours;
            inertia += r.inertia;
            if (run == runs - 1)
                write_centres(prefix, &r);
            kq_kmeans_result_free(&r);
        }
        /* total: the wall time of the whole fit calls, parts included */
        printf("total %.6f histogram %.6f seeding %.6f iterations %.6f "
               "n_iter %d distinct %zu inertia %.10g\n",
               wall, hist, seed, iter, n_iter, u, inertia);
    }
    kq_image_free(&img);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && !strcmp(argv[1], "dump"))
        return dump(argv[2], argv[3]);
    if (argc >= 7 && !strcmp(argv[1], "fit"))
        return fit(argc, argv);
    fprintf(stderr, "usage: kq_engine_bench dump IMAGE RAW\n"
                    "       kq_engine_bench fit IMAGE K_FIRST K_LAST RUNS "
                    "CENTRES_PREFIX [auto|plain|hamerly|drift] [simd|portable] "
                    "[THREADS]\n");
    return 2;
}
