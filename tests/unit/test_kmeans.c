/* test_kmeans.c - the default k-means engine: de-duplication, bounded vs
 * plain loops, threads, SIMD vs portable kernels, fewer colours than k,
 * colours counted once for a sweep. */
#include "testutil.h"

#include "kq_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A reproducible image with smooth regions, noise and many repeated
 * colours: a tiny LCG, no dependence on the library's RNG. */
static kq_image synthetic_image(int w, int h, unsigned seed, int noise)
{
    kq_image img = kq_test_image(w, h, 0, 0, 0);
    unsigned s = seed;
    for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
            s = s * 1103515245u + 12345u;
            int n = noise ? (int)((s >> 16) % (unsigned)noise) : 0;
            int r = (x / 4 * 4 * 255) / w, g = (y / 4 * 4 * 255) / h;
            int b = ((x / 16 + y / 16) % 3) * 100;
            kq_test_set_pixel(&img, x, y, (unsigned char)((r + n) % 256),
                              (unsigned char)((g + 2 * n) % 256),
                              (unsigned char)((b + n) % 256));
        }
    }
    return img;
}

static size_t pixels_of(const kq_image *img)
{
    return (size_t)img->width * (size_t)img->height;
}

static kq_kmeans_params params_k(int k)
{
    kq_kmeans_params p;
    kq_kmeans_params_default(&p);
    p.k = k;
    return p;
}

static void fit_with(const kq_image *img, const kq_kmeans_params *p,
                     const kq_kmeans_engine_options *o, kq_kmeans_result *r)
{
    assert_int_equal(kq_kmeans_fit_rgb_with(img->rgb, pixels_of(img), p, o, r),
                     KQ_OK);
}

static void assert_same_result(const kq_kmeans_result *a,
                               const kq_kmeans_result *b)
{
    assert_int_equal(a->k, b->k);
    assert_int_equal(a->n, b->n);
    assert_int_equal(a->n_iter, b->n_iter);
    assert_memory_equal(a->centroids, b->centroids,
                        sizeof(double) * 3 * (size_t)a->k);
    assert_memory_equal(a->labels, b->labels, sizeof(kq_label) * a->n);
    assert_memory_equal(a->counts, b->counts, sizeof(size_t) * (size_t)a->k);
    assert_true(a->inertia == b->inertia);
}

/* ---- plain Lloyd in double on every pixel: an independent reference ---- */

/* Per cluster j: sums[4j..4j+2] its pixels' summed colour, sums[4j+3]
 * their count. */
static void sum_clusters(const kq_image *img, const kq_label *labels, int k,
                         double *sums)
{
    memset(sums, 0, sizeof(double) * (size_t)k * 4);
    for (size_t i = 0; i < pixels_of(img); i++) {
        for (int c = 0; c < 3; c++)
            sums[4 * labels[i] + c] += img->rgb[3 * i + c];
        sums[4 * labels[i] + 3] += 1;
    }
}

static int reference_lloyd(const kq_image *img, int k, double *centres,
                           kq_label *labels, int max_iter)
{
    size_t n = pixels_of(img);
    double *sums = calloc((size_t)k * 4, sizeof(double));
    assert_non_null(sums);
    int it;
    for (it = 1; it <= max_iter; it++) {
        size_t changed = 0;
        for (size_t i = 0; i < n; i++) {
            int best = 0;
            double best_d = INFINITY;
            for (int j = 0; j < k; j++) {
                double d = 0;
                for (int c = 0; c < 3; c++) {
                    double v = img->rgb[3 * i + c] - centres[3 * j + c];
                    d += v * v;
                }
                if (d < best_d) {
                    best_d = d;
                    best = j;
                }
            }
            changed += labels[i] != best;
            labels[i] = (kq_label)best;
        }
        if (changed == 0)
            break;
        sum_clusters(img, labels, k, sums);
        for (int j = 0; j < k; j++)
            for (int c = 0; c < 3; c++)
                if (sums[4 * j + 3] > 0)
                    centres[3 * j + c] = sums[4 * j + c] / sums[4 * j + 3];
    }
    free(sums);
    return it;
}

static void dedup_reaches_the_all_pixel_fixed_point(void **state)
{
    (void)state;
    kq_image img = synthetic_image(96, 80, 7, 3);
    const int k = 5;
    double init[3 * 5] = {10.25, 20.5, 30.75, 200.5, 40.25, 90.5,
                          120.75, 130.5, 10.25, 60.5, 220.25, 180.75,
                          240.5, 240.25, 250.5};
    kq_kmeans_params p = params_k(k);
    p.tol = 0.0; /* run to unchanged labels, as the reference does */
    kq_kmeans_engine_options o = {.init_centres = init, .no_refine = true};
    kq_kmeans_result dedup, every;
    fit_with(&img, &p, &o, &dedup);
    o.no_dedup = true;
    fit_with(&img, &p, &o, &every);
    assert_true(dedup.n_colours < every.n_colours);
    assert_int_equal(every.n_colours, pixels_of(&img));
    assert_int_equal(dedup.n_iter, every.n_iter);
    assert_memory_equal(dedup.labels, every.labels,
                        sizeof(kq_label) * dedup.n);
    for (int v = 0; v < 3 * k; v++)
        assert_true(fabs(dedup.centroids[v] - every.centroids[v]) < 1e-9);

    double ref[3 * 5];
    memcpy(ref, init, sizeof ref);
    kq_label *labels = malloc(sizeof(kq_label) * pixels_of(&img));
    assert_non_null(labels);
    for (size_t i = 0; i < pixels_of(&img); i++)
        labels[i] = UINT16_MAX; /* no cluster yet: every label changes */
    reference_lloyd(&img, k, ref, labels, 300);
    assert_memory_equal(dedup.labels, labels, sizeof(kq_label) * dedup.n);
    for (int v = 0; v < 3 * k; v++)
        assert_true(fabs(dedup.centroids[v] - ref[v]) < 1e-6);
    free(labels);
    kq_kmeans_result_free(&dedup);
    kq_kmeans_result_free(&every);
    kq_image_free(&img);
}

/* The coarse stage (8x8x8 colour cells) only finds the start: the result
 * is still a fixed point of Lloyd on the distinct colours, so one more
 * plain run from its centres changes no label and no centre. */
/* Colours packed into few 8x8x8 cells (r and g span 32 values each), so
 * that k=32 needs the finer 4x4x4 cells for its coarse stage. */
static kq_image narrow_image(void)
{
    kq_image img = kq_test_image(256, 128, 0, 0, 0);
    for (int y = 0; y < 128; y++)
        for (int x = 0; x < 256; x++)
            kq_test_set_pixel(&img, x, y, (unsigned char)(100 + x % 32),
                              (unsigned char)(100 + y % 32),
                              (unsigned char)((x * 7 + y * 13) % 256));
    return img;
}

/* Over 65,536 distinct colours (every r, g pair, two b each): the coarse
 * stage then draws its seeds from the colours, not from the cells. */
static kq_image many_colour_image(void)
{
    kq_image img = kq_test_image(512, 256, 0, 0, 0);
    for (int y = 0; y < 256; y++)
        for (int x = 0; x < 512; x++)
            kq_test_set_pixel(&img, x, y, (unsigned char)(x / 2),
                              (unsigned char)y,
                              (unsigned char)((x * 7 + y * 13) % 256));
    return img;
}

static void check_fixed_point_at(const kq_image *img, int k, double tol)
{
    kq_kmeans_params p = params_k(k);
    p.tol = tol;
    kq_kmeans_result fit, again;
    fit_with(img, &p, NULL, &fit);
    assert_true(fit.n_colours >= 8192); /* the coarse stage ran */
    kq_kmeans_engine_options o = {.init_centres = fit.centroids,
                                  .no_refine = true, .no_coarse = true};
    p.tol = 0.0;
    fit_with(img, &p, &o, &again);
    assert_int_equal(again.n_iter, 1);
    assert_memory_equal(fit.centroids, again.centroids,
                        sizeof(double) * 3 * (size_t)fit.k);
    assert_memory_equal(fit.labels, again.labels, sizeof(kq_label) * fit.n);
    kq_kmeans_result_free(&fit);
    kq_kmeans_result_free(&again);
}

static void check_fixed_point(const kq_image *img, int k)
{
    kq_kmeans_params p = params_k(k);
    check_fixed_point_at(img, k, p.tol);
}

static void coarse_to_fine_ends_at_a_fixed_point(void **state)
{
    (void)state;
    kq_image img = synthetic_image(320, 240, 9, 90), narrow = narrow_image();
    const int ks[] = {3, 8, 20};
    for (size_t t = 0; t < sizeof ks / sizeof ks[0]; t++)
        check_fixed_point(&img, ks[t]);
    check_fixed_point(&narrow, 32);
    kq_image many = many_colour_image();
    check_fixed_point(&many, 12);
    kq_image_free(&many);
    kq_image_free(&img);
    kq_image_free(&narrow);
}

/* Above k=64 the run on the colours steps past the means while labels
 * change (over-relaxation). Run to convergence (tol 0), it must still end
 * on a fixed point of plain Lloyd, not past it. */
static void relaxed_run_ends_at_a_fixed_point(void **state)
{
    (void)state;
    kq_image many = many_colour_image();
    const int ks[] = {65, 100};
    for (size_t t = 0; t < sizeof ks / sizeof ks[0]; t++)
        check_fixed_point_at(&many, ks[t], 0.0);
    kq_image_free(&many);
}

/* Whether every pixel's label is a nearest centroid (distances in
 * double; the engine's float kernels may split a near tie either way). */
static void assert_labels_nearest(const kq_image *img,
                                  const kq_kmeans_result *r)
{
    for (size_t i = 0; i < r->n; i++) {
        double own = 0.0, best = INFINITY;
        for (int j = 0; j < r->k; j++) {
            double d = 0.0;
            for (int c = 0; c < 3; c++) {
                double v = img->rgb[3 * i + c] - r->centroids[3 * j + c];
                d += v * v;
            }
            best = d < best ? d : best;
            if (j == r->labels[i])
                own = d;
        }
        assert_true(own <= best + 1e-3);
    }
}

/* Above k=64 the runs that stop at a tolerance (any above 0) take relaxed
 * steps with momentum (heavy ball) while labels change. With a tolerance
 * too small to fire, such a run must still end on a fixed point of plain
 * Lloyd, as a plain run would: every centroid the mean of its pixels,
 * every label its pixel's nearest centroid. */
static void heavy_ball_run_ends_at_the_means(void **state)
{
    (void)state;
    kq_image many = many_colour_image();
    kq_kmeans_result r;
    kq_kmeans_params p = params_k(100);
    p.tol = 1e-12;
    fit_with(&many, &p, NULL, &r);
    assert_true(r.n_iter < p.max_iter);
    double *sums = malloc(sizeof(double) * 4 * (size_t)r.k);
    assert_non_null(sums);
    sum_clusters(&many, r.labels, r.k, sums);
    for (int j = 0; j < r.k; j++) {
        assert_true(sums[4 * j + 3] > 0.0);
        for (int c = 0; c < 3; c++)
            assert_true(r.centroids[3 * j + c] ==
                        sums[4 * j + c] / sums[4 * j + 3]);
    }
    assert_labels_nearest(&many, &r);
    free(sums);
    kq_kmeans_result_free(&r);
    kq_image_free(&many);
}

/* With seeds drawn from the colours, every restart still draws its own:
 * more restarts never end higher, and threads change nothing. */
static void restarts_seeded_on_the_colours(void **state)
{
    (void)state;
    kq_image img = many_colour_image();
    kq_kmeans_params p = params_k(40);
    kq_kmeans_result one, three, three_j1;
    fit_with(&img, &p, NULL, &one);
    assert_true(one.n_colours >= 65536);
    p.n_init = 3;
    fit_with(&img, &p, NULL, &three);
    assert_true(three.inertia <= one.inertia);
    p.threads = 1;
    fit_with(&img, &p, NULL, &three_j1);
    assert_same_result(&three, &three_j1);
    kq_kmeans_result_free(&one);
    kq_kmeans_result_free(&three);
    kq_kmeans_result_free(&three_j1);
    kq_image_free(&img);
}

/* Seeding skips blocks of 64 colours, and superblocks of 8 blocks, that
 * a candidate cannot bring closer: the draws, and so the whole fit, are
 * those of a seeding that computes every block. Seeds from the cells (k
 * above 64, and the small image) and from the colours (k <= 64 with over
 * 65,536 colours), with a partial last superblock. */
static void pruned_seeding_draws_what_full_seeding_draws(void **state)
{
    (void)state;
    kq_image imgs[2] = {many_colour_image(), synthetic_image(320, 240, 9, 90)};
    const int ks[] = {16, 100};
    kq_kmeans_engine_options full = {.no_prune = true};
    for (int i = 0; i < 2; i++)
        for (size_t q = 0; q < sizeof ks / sizeof ks[0]; q++) {
            kq_kmeans_params p = params_k(ks[q]);
            kq_kmeans_result pruned, every;
            fit_with(&imgs[i], &p, NULL, &pruned);
            fit_with(&imgs[i], &p, &full, &every);
            assert_same_result(&pruned, &every);
            kq_kmeans_result_free(&pruned);
            kq_kmeans_result_free(&every);
        }
    kq_image_free(&imgs[0]);
    kq_image_free(&imgs[1]);
}

/* A fit with the given loop gives the plain loop's result `plain`. */
static void assert_loop_matches(const kq_image *img, const kq_kmeans_params *p,
                                const kq_kmeans_result *plain,
                                kq_loop_kind loop)
{
    kq_kmeans_engine_options o = {.loop = loop};
    kq_kmeans_result r;
    fit_with(img, p, &o, &r);
    assert_same_result(plain, &r);
    kq_kmeans_result_free(&r);
}

static void fit_plain(const kq_image *img, const kq_kmeans_params *p,
                      kq_kmeans_result *r)
{
    kq_kmeans_engine_options plain = {.loop = KQ_LOOP_PLAIN};
    fit_with(img, p, &plain, r);
}

static void bounded_and_plain_loops_agree(void **state)
{
    (void)state;
    kq_image img = synthetic_image(200, 150, 3, 40);
    const int ks[] = {2, 3, 8, 20, 64, 100, 256};
    for (size_t t = 0; t < sizeof ks / sizeof ks[0]; t++) {
        kq_kmeans_params p = params_k(ks[t]);
        kq_kmeans_result a;
        fit_plain(&img, &p, &a);
        assert_true(a.n_iter > 1);
        assert_loop_matches(&img, &p, &a, KQ_LOOP_HAMERLY);
        assert_loop_matches(&img, &p, &a, KQ_LOOP_DRIFT);
        kq_kmeans_result_free(&a);
    }
    kq_image_free(&img);
}

/* Above k=64 the run on the colours after the cells starts its first
 * scan from each colour's cell's label and walks that centre's neighbour
 * list; the plain loop scans every centre. Same labels, centres and
 * iteration counts. */
static void guided_first_scan_matches_the_full_scan(void **state)
{
    (void)state;
    kq_image many = many_colour_image();
    const int ks[] = {65, 100};
    for (size_t t = 0; t < sizeof ks / sizeof ks[0]; t++) {
        kq_kmeans_params p = params_k(ks[t]);
        kq_kmeans_result a;
        fit_plain(&many, &p, &a);
        assert_true(a.n_colours >= 8192); /* the coarse stage ran */
        assert_loop_matches(&many, &p, &a, KQ_LOOP_HAMERLY);
        kq_kmeans_result_free(&a);
    }
    kq_image_free(&many);
}

static void thread_count_changes_nothing(void **state)
{
    (void)state;
    /* above the histogram's sort limit, so the table path runs too */
    kq_image img = synthetic_image(800, 700, 11, 60);
    kq_kmeans_params p = params_k(16);
    p.max_iter = 40;
    kq_kmeans_result base;
    p.threads = 1;
    fit_with(&img, &p, NULL, &base);
    for (int threads = 2; threads <= 3; threads++) {
        kq_kmeans_result r;
        p.threads = threads;
        fit_with(&img, &p, NULL, &r);
        assert_same_result(&base, &r);
        kq_kmeans_result_free(&r);
    }
    kq_kmeans_result_free(&base);
    kq_image_free(&img);
}

static void simd_and_portable_fits_agree(void **state)
{
    (void)state;
    kq_image img = synthetic_image(160, 120, 5, 50);
    const int ks[] = {3, 17, 40};
    for (size_t t = 0; t < sizeof ks / sizeof ks[0]; t++) {
        kq_kmeans_params p = params_k(ks[t]);
        kq_kmeans_engine_options simd = {0}, portable = {.no_simd = true};
        kq_kmeans_result a, b;
        fit_with(&img, &p, &simd, &a);
        fit_with(&img, &p, &portable, &b);
        assert_same_result(&a, &b);
        kq_kmeans_result_free(&a);
        kq_kmeans_result_free(&b);
    }
    kq_image_free(&img);
}

/* The kernels themselves, on points and centres with fractions, exact
 * ties and every tail length. */
static void simd_and_portable_kernels_agree(void **state)
{
    (void)state;
    kq_kernels simd, portable;
    kq_kernels_select(&simd, true);
    kq_kernels_select(&portable, false);
    enum { N = 203, K = 37 };
    float x[N], y[N], z[N], dist[N], dist2[N];
    double w[N];
    float cx[K], cy[K], cz[K];
    unsigned s = 99;
    for (int i = 0; i < N; i++) {
        s = s * 1103515245u + 12345u;
        x[i] = (float)(s >> 24);
        y[i] = (float)((s >> 16) & 255);
        z[i] = (float)((s >> 8) & 255) * 0.5f;
        w[i] = 1 + i % 7;
        dist[i] = dist2[i] = (float)((s >> 4) % 20000);
    }
    for (int j = 0; j < K; j++) {
        cx[j] = x[j * 5] + 0.25f * (float)(j % 3);
        cy[j] = y[j * 5];
        cz[j] = z[j * 5];
    }
    cx[K - 1] = cx[0]; /* a duplicate centre: ties go to the lower index */
    cy[K - 1] = cy[0];
    cz[K - 1] = cz[0];
    kq_points_f p = {x, y, z, w, N};
    kq_centres_f c = {cx, cy, cz, K};
    for (size_t begin = 0; begin < 20; begin += 3) {
        int32_t la[N], lb[N];
        float ba[N], bb[N], sa[N], sb[N];
        simd.nearest(&p, begin, N, &c, la, ba, sa);
        portable.nearest(&p, begin, N, &c, lb, bb, sb);
        assert_memory_equal(la, lb, sizeof(int32_t) * (N - begin));
        assert_memory_equal(ba, bb, sizeof(float) * (N - begin));
        assert_memory_equal(sa, sb, sizeof(float) * (N - begin));
        for (size_t i = begin; i < N; i++)
            assert_true(la[i - begin] != K - 1);
        float cand[3] = {x[begin + 1] + 0.5f, y[begin], z[begin]};
        assert_true(simd.seed_pot(&p, begin, N, cand, dist) ==
                    portable.seed_pot(&p, begin, N, cand, dist));
        float ma, mb;
        double pa = simd.seed_apply(&p, begin, N, cand, dist, &ma);
        double pb = portable.seed_apply(&p, begin, N, cand, dist2, &mb);
        assert_true(pa == pb);
        assert_true(ma == mb);
        assert_memory_equal(dist, dist2, sizeof dist);
    }
}

/* Hamerly's bound pass: same bounds and the same failing points. */
static void simd_and_portable_bound_passes_agree(void **state)
{
    (void)state;
    kq_kernels simd, portable;
    kq_kernels_select(&simd, true);
    kq_kernels_select(&portable, false);
    enum { N = 301, K = 9 };
    int32_t label[N];
    double ua[N], la[N], ub[N], lb[N], delta[K], gap[K], near[K], far[K];
    float x[N], y[N], z[N], cx[K], cy[K], cz[K];
    unsigned s = 7;
    for (int i = 0; i < N; i++) {
        s = s * 1103515245u + 12345u;
        /* runs of one label (as Z-ordered colours have), then scattered */
        label[i] = (int32_t)(i < N / 2 ? (unsigned)(i / 6 % K) : (s >> 8) % K);
        ua[i] = ub[i] = (double)((s >> 12) % 1000) / 10.0;
        la[i] = lb[i] = (double)((s >> 3) % 1000) / 10.0;
        x[i] = (float)((s >> 20) % 256);
        y[i] = (float)((s >> 5) % 256) * 0.5f;
        z[i] = (float)(i % 256);
    }
    for (int j = 0; j < K; j++) {
        delta[j] = j * 0.75;
        gap[j] = 20.0 + 5.0 * j;
        near[j] = j * 0.5;
        far[j] = j % 3 ? 60.0 + 10.0 * j : -INFINITY;
        cx[j] = x[j];
        cy[j] = y[j] + 0.25f;
        cz[j] = z[j];
    }
    kq_points_f pts = {x, y, z, NULL, N};
    kq_centres_f ctr = {cx, cy, cz, K};
    kq_bounds_args a = {label, ua, la, delta, gap, 6.0, 5.25, 8, near, far,
                        pts, ctr};
    kq_bounds_args b = {label, ub, lb, delta, gap, 6.0, 5.25, 8, near, far,
                        pts, ctr};
    uint32_t fa[N], fb[N];
    for (size_t begin = 0; begin < 7; begin += 3) {
        size_t na = simd.bounds(&a, begin, N, fa);
        size_t nb = portable.bounds(&b, begin, N, fb);
        assert_int_equal(na, nb);
        assert_true(na > 0 && na < N - begin);
        assert_memory_equal(fa, fb, sizeof(uint32_t) * na);
        assert_memory_equal(ua, ub, sizeof ua);
        assert_memory_equal(la, lb, sizeof la);
    }
}

/* ---- fewer distinct colours than k ---- */

static void check_fewer_colours(const unsigned char (*colours)[3], int u)
{
    kq_image img = kq_test_image(13, 7, 0, 0, 0);
    for (int y = 0; y < img.height; y++)
        for (int x = 0; x < img.width; x++) {
            const unsigned char *c = colours[(x + 3 * y) % u];
            kq_test_set_pixel(&img, x, y, c[0], c[1], c[2]);
        }
    kq_kmeans_params p = params_k(8);
    kq_kmeans_result r;
    assert_int_equal(kq_kmeans_fit_rgb(img.rgb, pixels_of(&img), &p, &r),
                     KQ_OK);
    assert_int_equal(r.k, u);
    assert_int_equal(r.k_requested, 8);
    assert_int_equal(r.n_colours, u);
    assert_true(r.inertia == 0.0);
    size_t total = 0;
    for (int j = 0; j < r.k; j++) {
        assert_true(r.counts[j] > 0);
        total += r.counts[j];
        for (int i = 0; i < j; i++) /* no duplicate centroid */
            assert_memory_not_equal(&r.centroids[3 * i], &r.centroids[3 * j],
                                    sizeof(double) * 3);
    }
    assert_int_equal(total, pixels_of(&img));
    for (size_t i = 0; i < pixels_of(&img); i++) {
        unsigned char rgb[3];
        kq_centroid_rgb(&r, r.labels[i], rgb);
        assert_memory_equal(rgb, &img.rgb[3 * i], 3);
        for (int c = 0; c < 3; c++)
            assert_true(r.centroids[3 * r.labels[i] + c] == img.rgb[3 * i + c]);
    }
    kq_kmeans_result_free(&r);
    kq_image_free(&img);
}

static void fewer_colours_than_k_gives_those_colours(void **state)
{
    (void)state;
    static const unsigned char colours[5][3] = {
        {255, 0, 0}, {0, 0, 255}, {12, 200, 7}, {0, 0, 0}, {255, 255, 255}};
    check_fewer_colours(colours, 1);
    check_fewer_colours(colours, 2);
    check_fewer_colours(colours, 5);
}

static void k_above_pixel_count_is_refused(void **state)
{
    (void)state;
    kq_image img = kq_test_image(2, 2, 1, 2, 3);
    kq_kmeans_params p = params_k(5);
    kq_kmeans_result r;
    assert_int_equal(kq_kmeans_fit_rgb(img.rgb, 4, &p, &r), KQ_ERR_DATA);
    p.k = 2;
    p.threads = -1;
    assert_int_equal(kq_kmeans_fit_rgb(img.rgb, 4, &p, &r), KQ_ERR_ARGUMENT);
    kq_image_free(&img);
}

/* ---- the float API ---- */

static void float_api_matches_rgb_api(void **state)
{
    (void)state;
    kq_image img = synthetic_image(64, 48, 2, 30);
    size_t n;
    float *px = kq_pixels_flatten(&img, &n);
    assert_non_null(px);
    kq_kmeans_params p = params_k(6);
    kq_kmeans_result a, b;
    assert_int_equal(kq_kmeans_fit(px, n, &p, &a), KQ_OK);
    assert_int_equal(kq_kmeans_fit_rgb(img.rgb, n, &p, &b), KQ_OK);
    assert_same_result(&a, &b);
    kq_kmeans_result_free(&a);
    kq_kmeans_result_free(&b);
    kq_pixels_free(px);
    kq_image_free(&img);
}

static void float_api_takes_fractional_samples(void **state)
{
    (void)state;
    float px[3 * 6] = {0.5f, 0.25f, 0, 1.5f, 0.75f, 0, 1, 0.5f, 0.5f,
                       100.5f, 100, 99.25f, 101.5f, 100, 100, 100, 101, 100.5f};
    kq_kmeans_params p = params_k(2);
    kq_kmeans_result r;
    assert_int_equal(kq_kmeans_fit(px, 6, &p, &r), KQ_OK);
    assert_int_equal(r.k, 2);
    assert_int_equal(r.n_colours, 6);
    assert_int_equal(r.labels[0], r.labels[1]);
    assert_int_equal(r.labels[0], r.labels[2]);
    assert_int_equal(r.labels[3], r.labels[4]);
    assert_int_equal(r.labels[3], r.labels[5]);
    assert_int_not_equal(r.labels[0], r.labels[3]);
    const double *low = &r.centroids[3 * r.labels[0]];
    assert_true(fabs(low[0] - 1.0) < 1e-6 && fabs(low[1] - 0.5) < 1e-6);
    kq_kmeans_result_free(&r);
}

/* ---- histogram and pool ---- */

static void histogram_counts_exactly_on_both_paths(void **state)
{
    (void)state;
    const int sides[][2] = {{50, 40}, {900, 700}}; /* sort, then table */
    for (int t = 0; t < 2; t++) {
        kq_image img = synthetic_image(sides[t][0], sides[t][1], 4, 25);
        size_t n = pixels_of(&img);
        kq_histogram h;
        assert_int_equal(kq_histogram_build(img.rgb, n, NULL, &h), KQ_OK);
        assert_true((h.table != NULL) == (t == 1));
        size_t total = 0;
        uint32_t prev = 0;
        for (size_t u = 0; u < h.n_colours; u++) {
            total += h.count[u];
            uint32_t c = h.colour[u];
            unsigned char rgb[3] = {(unsigned char)(c >> 16),
                                    (unsigned char)(c >> 8), (unsigned char)c};
            uint32_t code = kq_colour_morton(rgb);
            assert_true(u == 0 || code > prev); /* Z-order, no repeats */
            prev = code;
        }
        assert_int_equal(total, n);
        uint32_t *recount = calloc(h.n_colours, sizeof(uint32_t));
        assert_non_null(recount);
        for (size_t i = 0; i < n; i++) {
            uint32_t u = kq_histogram_index(&h, img.rgb, i);
            const unsigned char *c = &img.rgb[3 * i];
            assert_true(u < h.n_colours);
            assert_int_equal(h.colour[u],
                             (uint32_t)c[0] << 16 | (uint32_t)c[1] << 8 | c[2]);
            recount[u]++;
        }
        assert_memory_equal(recount, h.count, sizeof(uint32_t) * h.n_colours);
        free(recount);
        kq_histogram_free(&h);
        kq_image_free(&img);
    }
}

/* The table path split across a pool's tasks gives the same histogram
 * as one thread: same colours, counts and per-pixel indices. */
static void histogram_does_not_depend_on_the_pool(void **state)
{
    (void)state;
    kq_image img = synthetic_image(900, 700, 6, 200);
    size_t n = pixels_of(&img);
    kq_pool *pool;
    assert_int_equal(kq_pool_create(2, &pool), KQ_OK);
    kq_histogram a, b;
    assert_int_equal(kq_histogram_build(img.rgb, n, NULL, &a), KQ_OK);
    assert_int_equal(kq_histogram_build(img.rgb, n, pool, &b), KQ_OK);
    assert_non_null(b.table);
    assert_int_equal(a.n_colours, b.n_colours);
    assert_memory_equal(a.colour, b.colour, sizeof(uint32_t) * a.n_colours);
    assert_memory_equal(a.count, b.count, sizeof(uint32_t) * a.n_colours);
    for (size_t i = 0; i < n; i += 31)
        assert_int_equal(kq_histogram_index(&a, img.rgb, i),
                         kq_histogram_index(&b, img.rgb, i));
    bool both_halves = false; /* colours in both halves of the code space */
    for (size_t u = 1; u < b.n_colours; u++)
        both_halves |= (b.colour[u] >> 23) != (b.colour[0] >> 23);
    assert_true(both_halves);
    kq_histogram_free(&a);
    kq_histogram_free(&b);
    kq_pool_free(pool);
    kq_image_free(&img);
}

/* The table path counts in bytes that wrap: counts around 256 and far
 * past it come out exact, in both halves of the code space, counted in
 * one part or in two. */
static void histogram_counts_past_a_byte(void **state)
{
    (void)state;
    const uint32_t want[] = {255, 256, 257, 512, 70000, 1};
    const unsigned char colour[][3] = {{10, 20, 30},   {200, 20, 30},
                                       {10, 220, 30},  {250, 250, 5},
                                       {128, 0, 0},    {0, 0, 0}};
    const size_t n = 1024 * 600, designed = 6; /* table path: >= 2^19 */
    unsigned char *rgb = malloc(3 * n);
    assert_non_null(rgb);
    size_t at = 0, first[6];
    for (size_t j = 0; j < designed; j++) {
        first[j] = at;
        for (uint32_t q = 0; q < want[j]; q++, at++)
            memcpy(&rgb[3 * at], colour[j], 3);
    }
    size_t fill = n - at;
    for (size_t i = 0; at < n; i++, at++) { /* blue >= 100: none designed */
        rgb[3 * at] = (unsigned char)(i / 100 % 256);
        rgb[3 * at + 1] = (unsigned char)(i / 25600);
        rgb[3 * at + 2] = (unsigned char)(100 + i % 100);
    }
    kq_pool *pool;
    assert_int_equal(kq_pool_create(2, &pool), KQ_OK);
    for (int parts = 1; parts <= 2; parts++) {
        kq_histogram h;
        assert_int_equal(
            kq_histogram_build(rgb, n, parts == 2 ? pool : NULL, &h), KQ_OK);
        assert_non_null(h.table);
        assert_int_equal(h.n_colours, designed + fill);
        for (size_t j = 0; j < designed; j++)
            assert_int_equal(h.count[kq_histogram_index(&h, rgb, first[j])],
                             want[j]);
        size_t total = 0;
        for (size_t u = 0; u < h.n_colours; u++)
            total += h.count[u];
        assert_int_equal(total, n);
        kq_histogram_free(&h);
    }
    kq_pool_free(pool);
    free(rgb);
}

/* Large arrays start on a 2 MiB boundary (so huge pages can back all of
 * them) and are writable to their last byte; small ones are plain
 * allocations; a size that cannot be rounded up fails. */
static void large_arrays_start_on_huge_page_boundaries(void **state)
{
    (void)state;
    const size_t sizes[] = {(size_t)1 << 20, 1635276, (size_t)5 << 20};
    for (size_t t = 0; t < sizeof sizes / sizeof sizes[0]; t++) {
        unsigned char *p = kq_alloc_large(sizes[t]);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % ((uintptr_t)2 << 20), 0);
        memset(p, 0x5a, sizes[t]);
        assert_int_equal(p[sizes[t] - 1], 0x5a);
        free(p);
    }
    void *small = kq_alloc_large(100), *none = kq_alloc_large(0);
    assert_non_null(small);
    assert_non_null(none);
    free(small);
    free(none);
    assert_null(kq_alloc_large(SIZE_MAX - 5));
}

/* Every step-th pixel's label names a nearest centroid (ties allowed):
 * the per-pixel labels come from the histogram's lookups by colour. */
static void assert_labels_are_nearest(const kq_image *img,
                                      const kq_kmeans_result *r, size_t step)
{
    for (size_t i = 0; i < pixels_of(img); i += step) {
        const unsigned char *px = img->rgb + 3 * i;
        double best = INFINITY, own = 0.0;
        for (int j = 0; j < r->k; j++) {
            double d = 0.0;
            for (int c = 0; c < 3; c++) {
                double v = px[c] - r->centroids[3 * j + c];
                d += v * v;
            }
            best = d < best ? d : best;
            own = j == r->labels[i] ? d : own;
        }
        assert_true(r->labels[i] < r->k);
        assert_true(own <= best * (1.0 + 1e-9) + 1e-9);
    }
}

/* A k sweep on colours counted once gives, at every k and in any order,
 * the result of a fit from the pixels; and Delta E on the same colours
 * after the fits is what it is from the images (both histogram paths:
 * the table path's fits label its table, as bytes up to k=256, and must
 * restore it). */
static void counted_colours_fit_as_the_pixels_do(void **state)
{
    (void)state;
    const int sides[][2] = {{120, 90}, {900, 700}}; /* sort, then table */
    const int ks[] = {8, 3, 300, 100, 8};
    for (int t = 0; t < 2; t++) {
        kq_image img = synthetic_image(sides[t][0], sides[t][1], 7, 40);
        kq_colours *colours;
        assert_int_equal(kq_colours_count(img.rgb, pixels_of(&img), 0,
                                          &colours),
                         KQ_OK);
        for (size_t q = 0; q < sizeof ks / sizeof ks[0]; q++) {
            kq_kmeans_params p = params_k(ks[q]);
            kq_kmeans_result once, again;
            fit_with(&img, &p, NULL, &once);
            assert_int_equal(kq_kmeans_fit_colours(colours, &p, &again),
                             KQ_OK);
            assert_same_result(&once, &again);
            assert_int_equal(again.k, ks[q]);
            assert_labels_are_nearest(&img, &again, 7);
            assert_int_equal(again.n_colours, kq_colours_distinct(colours));
            kq_image recoloured;
            assert_int_equal(kq_recolor(&img, &again, &recoloured), KQ_OK);
            double mean, max, mean_c, max_c;
            assert_int_equal(kq_quality_delta_e(&img, &recoloured, &mean,
                                                &max),
                             KQ_OK);
            assert_int_equal(kq_quality_delta_e_colours(colours, &recoloured,
                                                        &mean_c, &max_c),
                             KQ_OK);
            assert_true(mean > 0.0 && mean == mean_c && max == max_c);
            kq_image_free(&recoloured);
            kq_kmeans_result_free(&once);
            kq_kmeans_result_free(&again);
        }
        kq_colours_free(colours);
        kq_image_free(&img);
    }
}

static void counted_colours_refuse_bad_input(void **state)
{
    (void)state;
    unsigned char rgb[3] = {1, 2, 3};
    kq_colours *colours = (kq_colours *)rgb;
    assert_int_equal(kq_colours_count(rgb, 0, 0, &colours), KQ_ERR_ARGUMENT);
    assert_null(colours);
    assert_int_equal(kq_colours_count(NULL, 1, 0, &colours), KQ_ERR_ARGUMENT);
    assert_int_equal(kq_colours_count(rgb, 1, 0, &colours), KQ_OK);
    kq_kmeans_params p = params_k(2);
    kq_kmeans_result r;
    assert_int_equal(kq_kmeans_fit_colours(colours, &p, &r), KQ_ERR_DATA);
    kq_image wrong = kq_test_image(2, 1, 0, 0, 0);
    double mean, max;
    assert_int_equal(kq_quality_delta_e_colours(colours, &wrong, &mean, &max),
                     KQ_ERR_ARGUMENT);
    kq_image_free(&wrong);
    kq_colours_free(colours);
}

static void mark_task(void *ctx, size_t t)
{
    ((int *)ctx)[t] += (int)t + 1;
}

static void pool_runs_every_task_once(void **state)
{
    (void)state;
    for (int threads = 1; threads <= 4; threads++) {
        kq_pool *pool;
        assert_int_equal(kq_pool_create(threads, &pool), KQ_OK);
        assert_int_equal(kq_pool_threads(pool), threads);
        for (int round = 0; round < 50; round++) {
            int marks[37] = {0};
            kq_pool_run(pool, 37, mark_task, marks);
            for (int t = 0; t < 37; t++)
                assert_int_equal(marks[t], t + 1);
        }
        kq_pool_free(pool);
    }
    kq_pool_free(NULL);
    assert_true(kq_default_threads() >= 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(dedup_reaches_the_all_pixel_fixed_point),
        cmocka_unit_test(coarse_to_fine_ends_at_a_fixed_point),
        cmocka_unit_test(relaxed_run_ends_at_a_fixed_point),
        cmocka_unit_test(heavy_ball_run_ends_at_the_means),
        cmocka_unit_test(restarts_seeded_on_the_colours),
        cmocka_unit_test(pruned_seeding_draws_what_full_seeding_draws),
        cmocka_unit_test(bounded_and_plain_loops_agree),
        cmocka_unit_test(guided_first_scan_matches_the_full_scan),
        cmocka_unit_test(thread_count_changes_nothing),
        cmocka_unit_test(simd_and_portable_fits_agree),
        cmocka_unit_test(simd_and_portable_kernels_agree),
        cmocka_unit_test(simd_and_portable_bound_passes_agree),
        cmocka_unit_test(fewer_colours_than_k_gives_those_colours),
        cmocka_unit_test(k_above_pixel_count_is_refused),
        cmocka_unit_test(float_api_matches_rgb_api),
        cmocka_unit_test(float_api_takes_fractional_samples),
        cmocka_unit_test(histogram_counts_exactly_on_both_paths),
        cmocka_unit_test(histogram_does_not_depend_on_the_pool),
        cmocka_unit_test(histogram_counts_past_a_byte),
        cmocka_unit_test(large_arrays_start_on_huge_page_boundaries),
        cmocka_unit_test(pool_runs_every_task_once),
        cmocka_unit_test(counted_colours_fit_as_the_pixels_do),
        cmocka_unit_test(counted_colours_refuse_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
