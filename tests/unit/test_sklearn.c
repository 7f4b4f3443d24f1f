/* test_sklearn.c - the scikit-learn compatible k-means (--sklearn mode):
 * numpy's random stream, summation and partition orders, each Lloyd step
 * on tiny data, and the committed fixtures from Debian's scikit-learn
 * 1.2.1 (tests/data/sklearn_fixtures.json, made by
 * tests/fixtures/gen_sklearn_fixtures.py), matched bit for bit. */
#include "testutil.h"

#include "kq_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#define FIXTURES KQ_TEST_DATA_DIR "/sklearn_fixtures.json"

/* ---- numpy's random stream (values numpy 1.24 prints) ---- */

static void random_stream_matches_numpy(void **state)
{
    (void)state;
    kq_rng rng;
    kq_rng_seed(&rng, 42);
    /* RandomState(42).randint(76800), then .uniform(size=3) */
    assert_int_equal(kq_rng_below(&rng, 76800), 15795);
    assert_true(kq_rng_uniform(&rng) == 0.9507143064099162);
    assert_true(kq_rng_uniform(&rng) == 0.7319939418114051);
    assert_true(kq_rng_uniform(&rng) == 0.5986584841970366);
    kq_rng_seed(&rng, 42);
    assert_int_equal(kq_rng_next32(&rng), 1608637542u); /* init_genrand */
}

/* ---- np.sum: 1e16 absorbs a lone 1.0 (the spacing there is 2), so
 * every order gives its own result. Expected values worked out by hand
 * (ties round to even) and confirmed with numpy. ---- */

static double *ones_after_big(size_t n, size_t big_at)
{
    double *a = malloc(n * sizeof *a);
    assert_non_null(a);
    for (size_t i = 0; i < n; i++)
        a[i] = 1.0;
    a[big_at] = 1e16;
    return a;
}

static void np_sum_short_arrays_add_in_order(void **state)
{
    (void)state;
    double *a = ones_after_big(4, 0);
    assert_true(kq_np_sum(a, 4) == 1e16); /* each 1 is lost */
    free(a);
    a = ones_after_big(4, 3);
    assert_true(kq_np_sum(a, 4) == 1e16 + 4); /* 3 first, then 1e16 */
    free(a);
    assert_true(kq_np_sum(NULL, 0) == 0.0);
}

static void np_sum_uses_eight_partial_sums(void **state)
{
    (void)state;
    /* n = 16: r0 = 1e16 (+1 lost), r1..r7 = 2: ((1e16+2)+4)+(4+4). */
    double *a = ones_after_big(16, 0);
    assert_true(kq_np_sum(a, 16) == 1e16 + 14);
    free(a);
    /* n = 20: then four leftovers one by one; the first rounds
     * 1e16+15 up to 1e16+16 (even), the others are lost. */
    a = ones_after_big(20, 0);
    assert_true(kq_np_sum(a, 20) == 1e16 + 16);
    free(a);
}

static void np_sum_splits_long_blocks_in_halves(void **state)
{
    (void)state;
    /* n = 200: halves of 96 (1e16 + 84) and 104 (104). */
    double *a = ones_after_big(200, 0);
    assert_true(kq_np_sum(a, 200) == 1e16 + 188);
    free(a);
}

static void np_sum_adds_buffers_of_8192(void **state)
{
    (void)state;
    /* 8192 ones (8192), then [1e16, 99 ones] (1e16 + 84) */
    double *a = ones_after_big(8292, 8192);
    assert_true(kq_np_sum(a, 8292) == 1e16 + 8276);
    assert_true(kq_np_pairwise_sum(a, 8292) != 1e16 + 8276);
    free(a);
}

/* ---- the Lloyd steps on ten pixels; expected values from scikit-learn
 * 1.2.1's own functions (_tolerance, row_norms, _kmeans_plusplus,
 * lloyd_iter_chunked_dense, _kmeans_single_lloyd) on the same data ---- */

static const float tiny[10 * 3] = {
    0, 0, 0,    1, 0, 0,    0, 2, 0,    10, 10, 10,  11, 10, 9,
    10, 12, 10, 30, 0, 5,   29, 1, 6,   200, 100, 50, 199, 98, 51,
};

static void prepare_tiny(kq_skl_data *d)
{
    assert_int_equal(kq_skl_data_init(d, tiny, 10, 1e-4), KQ_OK);
}

static void data_is_centred_like_sklearn(void **state)
{
    (void)state;
    kq_skl_data d;
    prepare_tiny(&d);
    assert_true(d.mean[0] == 49.0 && d.mean[1] == 23.3 && d.mean[2] == 14.1);
    assert_true(d.tol_abs == 0.25211);
    assert_true(d.x[3 * 6 + 1] == 0.0 - 23.3);
    /* row_norms (einsum) sums (x0^2 + x2^2) + x1^2: rows 6 and 7 differ
     * from the left-to-right order. */
    assert_true(d.xsq[6] == 986.7);
    assert_true(d.xsq[7] == 962.9000000000001);
    assert_true(d.xsq[8] == 29972.7);
    kq_skl_data_free(&d);
}

static void kmeanspp_picks_sklearns_samples(void **state)
{
    (void)state;
    kq_skl_data d;
    prepare_tiny(&d);
    kq_rng rng;
    kq_rng_seed(&rng, 42);
    double c[9];
    assert_int_equal(kq_skl_kmeanspp(&d, 3, &rng, c), KQ_OK);
    const int picked[3] = {6, 9, 2}; /* _kmeans_plusplus's indices */
    for (int j = 0; j < 3; j++)
        assert_memory_equal(&c[3 * j], &d.x[3 * picked[j]], 3 * sizeof(double));
    kq_skl_data_free(&d);
}

static void one_step_relocates_the_empty_cluster(void **state)
{
    (void)state;
    kq_skl_data d;
    prepare_tiny(&d);
    double c[9] = {d.x[0], d.x[1], d.x[2], d.x[24], d.x[25], d.x[26],
                   -1000, -1000, -1000};
    int32_t labels[10];
    double sums[9], dist[10];
    size_t counts[3], order[10];
    kq_skl_assign(&d, c, 3, labels);
    const int32_t want_labels[10] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1};
    assert_memory_equal(labels, want_labels, sizeof labels);
    kq_skl_accumulate(&d, labels, 3, sums, counts);
    assert_true(counts[0] == 8 && counts[1] == 2 && counts[2] == 0);
    /* Sample 6 is the farthest from its centre: it refills cluster 2 and
     * leaves cluster 0 (its label stays 0). */
    kq_skl_relocate_empty(&d, c, labels, 3, sums, counts, dist, order);
    assert_true(counts[0] == 7 && counts[1] == 2 && counts[2] == 1);
    assert_int_equal(labels[6], 0);
    kq_skl_average(sums, counts, 3);
    const double want[9] = {-40.285714285714285, -18.299999999999997, -9.1,
                            150.5, 75.7, 36.4, -19.0, -23.3, -9.1};
    assert_memory_equal(sums, want, sizeof want);
    assert_true(kq_skl_shift_total(c, sums, 3) == 2898314.13877551);
    kq_skl_data_free(&d);
}

static void lloyd_run_matches_sklearn(void **state)
{
    (void)state;
    kq_skl_data d;
    prepare_tiny(&d);
    kq_rng rng;
    kq_rng_seed(&rng, 42);
    double c[9];
    int32_t labels[10];
    int n_iter;
    double inertia;
    assert_int_equal(kq_skl_kmeanspp(&d, 3, &rng, c), KQ_OK);
    assert_int_equal(kq_skl_lloyd(&d, 3, 300, c, labels, &n_iter, &inertia),
                     KQ_OK);
    const int32_t want_labels[10] = {2, 2, 2, 2, 2, 2, 0, 0, 1, 1};
    const double want[9] = {-19.5, -22.8, -8.6, 150.5, 75.7, 36.4,
                            -43.666666666666664, -17.633333333333333,
                            -9.266666666666666};
    assert_memory_equal(labels, want_labels, sizeof labels);
    assert_memory_equal(c, want, sizeof want);
    assert_int_equal(n_iter, 2);
    assert_true(inertia == 452.0);
    assert_true(kq_skl_inertia(&d, c, labels) == 452.0);
    kq_skl_data_free(&d);
}

/* The shift test is "<= tol": a run whose first shift equals tol_abs
 * stops after one iteration, one a hair below it does not. */
static void lloyd_stops_when_shift_equals_tolerance(void **state)
{
    (void)state;
    kq_skl_data d;
    prepare_tiny(&d);
    kq_rng rng;
    kq_rng_seed(&rng, 42);
    double seeds[9], c[9], sums[9], dist[10];
    int32_t labels[10];
    size_t counts[3], order[10];
    assert_int_equal(kq_skl_kmeanspp(&d, 3, &rng, seeds), KQ_OK);
    kq_skl_assign(&d, seeds, 3, labels);
    kq_skl_accumulate(&d, labels, 3, sums, counts);
    kq_skl_relocate_empty(&d, seeds, labels, 3, sums, counts, dist, order);
    kq_skl_average(sums, counts, 3);
    double first_shift = kq_skl_shift_total(seeds, sums, 3);
    assert_true(first_shift > 0.0);
    int n_iter;
    double inertia;
    d.tol_abs = first_shift;
    memcpy(c, seeds, sizeof c);
    assert_int_equal(kq_skl_lloyd(&d, 3, 300, c, labels, &n_iter, &inertia),
                     KQ_OK);
    assert_int_equal(n_iter, 1);
    assert_memory_equal(c, sums, sizeof c);
    d.tol_abs = nextafter(first_shift, 0.0);
    memcpy(c, seeds, sizeof c);
    assert_int_equal(kq_skl_lloyd(&d, 3, 300, c, labels, &n_iter, &inertia),
                     KQ_OK);
    assert_int_equal(n_iter, 2);
    kq_skl_data_free(&d);
}

static void same_partition_maps_labels_one_way(void **state)
{
    (void)state;
    const int32_t a[6] = {0, 0, 1, 1, 2, 2};
    const int32_t renamed[6] = {2, 2, 0, 0, 1, 1};
    const int32_t split[6] = {2, 2, 0, 1, 1, 1};
    const int32_t merged[6] = {0, 0, 0, 0, 1, 1};
    assert_true(kq_skl_same_partition(a, renamed, 6, 3));
    assert_false(kq_skl_same_partition(a, split, 6, 3));
    /* scikit-learn only checks a -> b: merging two clusters of a into
     * one of b still counts as the same clustering. */
    assert_true(kq_skl_same_partition(a, merged, 6, 3));
    assert_false(kq_skl_same_partition(merged, a, 6, 3));
}

static void fit_checks_its_arguments(void **state)
{
    (void)state;
    kq_kmeans_params p;
    kq_kmeans_params_default(&p);
    kq_kmeans_result r;
    p.k = 11;
    assert_int_equal(kq_kmeans_fit_sklearn(tiny, 10, &p, &r), KQ_ERR_DATA);
    p.k = 2;
    p.seed = (uint64_t)1 << 32;
    assert_int_equal(kq_kmeans_fit_sklearn(tiny, 10, &p, &r), KQ_ERR_ARGUMENT);
    p.seed = 42;
    p.n_init = 0;
    assert_int_equal(kq_kmeans_fit_sklearn(tiny, 10, &p, &r), KQ_ERR_ARGUMENT);
    p.n_init = 3;
    assert_int_equal(kq_kmeans_fit_sklearn(tiny, 10, &p, &r), KQ_OK);
    assert_int_equal(r.k, 2);
    assert_true(r.counts[0] + r.counts[1] == 10);
    kq_kmeans_result_free(&r);
}

/* ---- the fixtures: one JSON object per line ---- */

/* The text after "name": in line, or NULL. */
static const char *field(const char *line, const char *name)
{
    char key[64];
    snprintf(key, sizeof key, "\"%s\": ", name);
    const char *p = strstr(line, key);
    return p ? p + strlen(key) : NULL;
}

static long int_field(const char *line, const char *name)
{
    const char *p = field(line, name);
    assert_non_null(p);
    return strtol(p, NULL, 10);
}

/* Reads up to max numbers of a (nested) JSON list starting at p. */
static size_t number_list(const char *p, double *out, size_t max)
{
    size_t count = 0;
    assert_true(*p == '[');
    int depth = 0;
    while (*p) {
        if (*p == '[') {
            depth++;
            p++;
        } else if (*p == ']') {
            p++;
            if (--depth == 0)
                break;
        } else if (*p == ',' || *p == ' ') {
            p++;
        } else {
            char *end;
            double v = strtod(p, &end);
            assert_true(end != p && count < max);
            out[count++] = v;
            p = end;
        }
    }
    return count;
}

static char *read_fixtures(void)
{
    size_t len;
    char *text = (char *)kq_test_read_file(FIXTURES, &len);
    assert_non_null(text);
    char *z = realloc(text, len + 1);
    assert_non_null(z);
    z[len] = '\0';
    return z;
}

static uint64_t fnv1a64_labels(const kq_label *labels, size_t n)
{
    uint64_t h = 0xcbf29ce484222325u;
    for (size_t i = 0; i < n; i++) {
        uint32_t v = (uint32_t)labels[i];
        for (int b = 0; b < 4; b++) { /* little-endian bytes */
            h ^= (v >> (8 * b)) & 0xffu;
            h *= 0x100000001b3u;
        }
    }
    return h;
}

static void argpartition_matches_numpy(void **state)
{
    (void)state;
    char *text = read_fixtures();
    int cases = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        const char *p = field(line, "argpartition");
        if (!p)
            continue;
        double values[4096], order_d[4096];
        size_t n = number_list(p, values, 4096);
        size_t kth = (size_t)int_field(line, "kth");
        assert_int_equal(number_list(field(line, "order"), order_d, 4096), n);
        size_t *order = malloc(n * sizeof *order);
        assert_non_null(order);
        kq_np_argpartition(values, n, kth, order);
        for (size_t i = 0; i < n; i++)
            assert_int_equal(order[i], (size_t)order_d[i]);
        free(order);
        cases++;
    }
    assert_int_equal(cases, 17);
    free(text);
}

typedef struct {
    char image[64];
    float *pixels;
    size_t n;
} loaded_image;

static void load_pixels(loaded_image *img, const char *name)
{
    if (strcmp(img->image, name) == 0)
        return;
    kq_pixels_free(img->pixels);
    char path[512];
    snprintf(path, sizeof path, "%s/%s", KQ_TEST_DATA_DIR, name);
    kq_load_options lo;
    kq_load_options_default(&lo);
    kq_image decoded = {0};
    assert_int_equal(kq_image_load_file(path, &lo, &decoded, NULL, 0), KQ_OK);
    img->pixels = kq_pixels_flatten(&decoded, &img->n);
    assert_non_null(img->pixels);
    kq_image_free(&decoded);
    snprintf(img->image, sizeof img->image, "%s", name);
}

/* Fits one fixture case and compares all four outputs exactly. */
static void check_case(const char *line, loaded_image *img)
{
    const char *name = field(line, "image");
    assert_non_null(name);
    char image[64];
    assert_int_equal(sscanf(name, "\"%63[^\"]\"", image), 1);
    load_pixels(img, image);
    kq_kmeans_params p;
    kq_kmeans_params_default(&p);
    p.k = (int)int_field(line, "k");
    p.n_init = (int)int_field(line, "n_init");
    double centres[3 * 16];
    size_t values = number_list(field(line, "centers"), centres, 3 * 16);
    assert_int_equal(values, 3 * (size_t)p.k);
    double inertia = strtod(field(line, "inertia"), NULL);
    uint64_t hash = strtoull(field(line, "labels_fnv1a64") + 1, NULL, 16);

    kq_kmeans_result r;
    assert_int_equal(kq_kmeans_fit_sklearn(img->pixels, img->n, &p, &r), KQ_OK);
    if (memcmp(r.centroids, centres, values * sizeof(double)) != 0 ||
        r.inertia != inertia || r.n_iter != int_field(line, "n_iter") ||
        fnv1a64_labels(r.labels, r.n) != hash)
        fail_msg("%s k=%d n_init=%d: got inertia %.17g n_iter %d centre0 "
                 "%.17g, want %.17g", image, p.k, p.n_init, r.inertia,
                 r.n_iter, r.centroids[0], inertia);
    kq_kmeans_result_free(&r);
}

static int run_fixture_cases(const char *image_prefix)
{
    char *text = read_fixtures();
    loaded_image img = {{0}, NULL, 0};
    int cases = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        const char *name = field(line, "image");
        if (!name || strncmp(name + 1, image_prefix, strlen(image_prefix)))
            continue;
        check_case(line, &img);
        cases++;
    }
    kq_pixels_free(img.pixels);
    free(text);
    return cases;
}

static void coffee_matches_sklearn(void **state)
{
    (void)state;
    assert_int_equal(run_fixture_cases("coffee_240x320.png"), 18);
}

static void chelsea_matches_sklearn(void **state)
{
    (void)state;
    assert_int_equal(run_fixture_cases("chelsea_240x320.png"), 18);
}

/* Six colours and k up to 10: empty clusters every iteration, refilled in
 * numpy's partition order among many equal distances. */
static void few_colours_match_sklearn(void **state)
{
    (void)state;
    assert_int_equal(run_fixture_cases("few_colours_24x16.png"), 18);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(random_stream_matches_numpy),
        cmocka_unit_test(np_sum_short_arrays_add_in_order),
        cmocka_unit_test(np_sum_uses_eight_partial_sums),
        cmocka_unit_test(np_sum_splits_long_blocks_in_halves),
        cmocka_unit_test(np_sum_adds_buffers_of_8192),
        cmocka_unit_test(data_is_centred_like_sklearn),
        cmocka_unit_test(kmeanspp_picks_sklearns_samples),
        cmocka_unit_test(one_step_relocates_the_empty_cluster),
        cmocka_unit_test(lloyd_run_matches_sklearn),
        cmocka_unit_test(lloyd_stops_when_shift_equals_tolerance),
        cmocka_unit_test(same_partition_maps_labels_one_way),
        cmocka_unit_test(fit_checks_its_arguments),
        cmocka_unit_test(argpartition_matches_numpy),
        cmocka_unit_test(few_colours_match_sklearn),
        cmocka_unit_test(coffee_matches_sklearn),
        cmocka_unit_test(chelsea_matches_sklearn),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
