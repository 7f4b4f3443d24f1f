/* kq_engine_bench - times kquant's k-means engine on raw RGB pixels, for
 * tests/bench/run.sh and for tuning (not a test: it prints numbers).
 *
 *   kq_engine_bench RAW N K RUNS [plain|hamerly|auto] [simd|portable] [THREADS]
 *
 * RAW holds N x 3 bytes. Prints one line per run: seconds for the whole
 * fit (histogram + seeding + iterations + labels), its parts, n_iter and
 * inertia. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kq_internal.h"

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: %s RAW N K RUNS [plain|hamerly|auto] "
                        "[simd|portable] [THREADS]\n", argv[0]);
        return 2;
    }
    size_t n = strtoull(argv[2], NULL, 10);
    int k = atoi(argv[3]), runs = atoi(argv[4]);
    kq_kmeans_engine_options o = {0};
    if (argc > 5 && !strcmp(argv[5], "plain"))
        o.loop = KQ_LOOP_PLAIN;
    if (argc > 5 && !strcmp(argv[5], "hamerly"))
        o.loop = KQ_LOOP_HAMERLY;
    o.no_simd = argc > 6 && !strcmp(argv[6], "portable");
    unsigned char *rgb = malloc(n * 3);
    FILE *f = fopen(argv[1], "rb");
    if (!rgb || !f || fread(rgb, 3, n, f) != n) {
        fprintf(stderr, "cannot read %zu pixels from %s\n", n, argv[1]);
        return 1;
    }
    fclose(f);
    kq_kmeans_params p;
    kq_kmeans_params_default(&p);
    p.k = k;
    p.threads = argc > 7 ? atoi(argv[7]) : 0;
    for (int r = 0; r < runs; r++) {
        kq_kmeans_result res;
        kq_status st = kq_kmeans_fit_rgb_with(rgb, n, &p, &o, &res);
        if (st != KQ_OK) {
            fprintf(stderr, "fit failed: %s\n", kq_strerror(st));
            return 1;
        }
        printf("%.6f hist %.6f seed %.6f iter %.6f n_iter %d inertia %.17g "
               "U %zu\n",
               res.seconds_histogram + res.seconds_seeding +
                   res.seconds_iterations,
               res.seconds_histogram, res.seconds_seeding,
               res.seconds_iterations, res.n_iter, res.inertia,
               res.n_colours);
        kq_kmeans_result_free(&res);
    }
    free(rgb);
    return 0;
}
