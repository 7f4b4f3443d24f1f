/* test_palette_files.c - palette orders (--sort) and palette files: each
 * format is parsed back here and must give the table's colours in order. */
#include "testutil.h"

#include "kq_internal.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define K 5
#define N 12

/* white, black, red, blue, green; 1, 3, 3, 2 and 3 pixels. */
static const double CENTROIDS[K][3] = {
    {255, 255, 255}, {0.2, 0, 0}, {254.6, 0, 0}, {0, 0, 255}, {0, 255, 0}};
static const kq_label LABELS[N] = {0, 1, 1, 1, 2, 2, 2, 3, 3, 4, 4, 4};

static kq_kmeans_result make_result(void)
{
    kq_kmeans_result r = {0};
    r.k = K;
    r.n = N;
    r.centroids = malloc(sizeof CENTROIDS);
    r.labels = malloc(sizeof LABELS);
    r.counts = calloc(K, sizeof *r.counts);
    assert_non_null(r.centroids);
    assert_non_null(r.labels);
    assert_non_null(r.counts);
    memcpy(r.centroids, CENTROIDS, sizeof CENTROIDS);
    memcpy(r.labels, LABELS, sizeof LABELS);
    for (int i = 0; i < N; i++)
        r.counts[LABELS[i]]++;
    return r;
}

/* Sorts a fresh result and checks the new order names the old clusters
 * `from`, with counts moved and every pixel still on its own colour. */
static void check_order(kq_palette_order order, const int from[K])
{
    kq_kmeans_result r = make_result();
    assert_int_equal(kq_kmeans_result_sort(&r, order), KQ_OK);
    for (int i = 0; i < K; i++) {
        assert_memory_equal(&r.centroids[3 * i], CENTROIDS[from[i]],
                            3 * sizeof(double));
        size_t expected = 0;
        for (int p = 0; p < N; p++)
            expected += LABELS[p] == from[i];
        assert_int_equal(r.counts[i], expected);
    }
    for (int p = 0; p < N; p++)
        assert_memory_equal(&r.centroids[3 * r.labels[p]],
                            CENTROIDS[LABELS[p]], 3 * sizeof(double));
    kq_kmeans_result_free(&r);
}

static void cluster_order_changes_nothing(void **state)
{
    (void)state;
    check_order(KQ_ORDER_CLUSTER, (const int[K]){0, 1, 2, 3, 4});
}

/* Shares 1, 3, 3, 2, 3: the three ties keep cluster order. */
static void share_puts_the_largest_first(void **state)
{
    (void)state;
    check_order(KQ_ORDER_SHARE, (const int[K]){1, 2, 4, 3, 0});
}

/* black 0, blue 0.0722, red 0.2126, green 0.7152, white 1. */
static void luminance_puts_the_darkest_first(void **state)
{
    (void)state;
    check_order(KQ_ORDER_LUMINANCE, (const int[K]){1, 3, 2, 4, 0});
}

/* greys (black, white), then red 0, green 120, blue 240. */
static void hue_puts_greys_first_then_the_wheel(void **state)
{
    (void)state;
    check_order(KQ_ORDER_HUE, (const int[K]){1, 0, 2, 4, 3});
}

/* Two clusters that round to one colour tie on every key. */
static void ties_keep_cluster_order(void **state)
{
    (void)state;
    kq_kmeans_result r = make_result();
    r.centroids[0] = 254.8; /* cluster 0 becomes #FF0000 like cluster 2 */
    r.centroids[1] = 0.0;
    r.centroids[2] = 0.0;
    for (kq_palette_order o = KQ_ORDER_LUMINANCE; o <= KQ_ORDER_HUE; o++) {
        kq_kmeans_result copy = make_result();
        memcpy(copy.centroids, r.centroids, sizeof CENTROIDS);
        assert_int_equal(kq_kmeans_result_sort(&copy, o), KQ_OK);
        int first_red = -1;
        for (int i = 0; i < K && first_red < 0; i++)
            if (copy.centroids[3 * i] > 254.0 && copy.centroids[3 * i + 1] == 0)
                first_red = i;
        assert_true(first_red >= 0);
        assert_true(copy.centroids[3 * first_red] == 254.8); /* old 0 */
        assert_true(copy.centroids[3 * first_red + 3] == 254.6); /* old 2 */
        kq_kmeans_result_free(&copy);
    }
    kq_kmeans_result_free(&r);
    kq_kmeans_result bad = make_result();
    assert_int_equal(kq_kmeans_result_sort(&bad, (kq_palette_order)9),
                     KQ_ERR_ARGUMENT);
    kq_kmeans_result_free(&bad);
}

/* ---- palette files ---- */

typedef struct {
    unsigned rgb[256];
    int count;
} parsed_palette;

static void add(parsed_palette *p, unsigned r, unsigned g, unsigned b)
{
    assert_true(p->count < 256 && r < 256 && g < 256 && b < 256);
    p->rgb[p->count++] = r << 16 | g << 8 | b;
}

static void parse_gpl(FILE *f, parsed_palette *p)
{
    char line[256];
    assert_non_null(fgets(line, sizeof line, f));
    assert_string_equal(line, "GIMP Palette\n");
    while (fgets(line, sizeof line, f)) {
        unsigned r, g, b;
        if (!strncmp(line, "Name:", 5) || !strncmp(line, "Columns:", 8) ||
            line[0] == '#')
            continue;
        assert_int_equal(sscanf(line, "%u %u %u", &r, &g, &b), 3);
        add(p, r, g, b);
    }
}

static void parse_json(FILE *f, parsed_palette *p)
{
    char text[8192];
    size_t len = fread(text, 1, sizeof text - 1, f);
    text[len] = '\0';
    assert_non_null(strstr(text, "{\"k\":5,\"colors\":["));
    for (const char *s = text; (s = strstr(s, "\"rgb\":[")) != NULL; s++) {
        unsigned r, g, b, hex;
        assert_int_equal(sscanf(s, "\"rgb\":[%u,%u,%u]", &r, &g, &b), 3);
        const char *h = strstr(s - 25, "\"hex\":\"#");
        assert_non_null(h);
        assert_int_equal(sscanf(h, "\"hex\":\"#%6X\"", &hex), 1);
        assert_int_equal(hex, r << 16 | g << 8 | b);
        add(p, r, g, b);
    }
}

static void parse_css(FILE *f, parsed_palette *p)
{
    char line[256];
    int declared = 0;
    while (fgets(line, sizeof line, f)) {
        int index;
        unsigned hex;
        if (sscanf(line, " --kq-color-%d: #%6X;", &index, &hex) != 2)
            continue;
        assert_int_equal(index, declared++);
        add(p, hex >> 16, hex >> 8 & 255, hex & 255);
    }
}

static void parse_txt(FILE *f, parsed_palette *p)
{
    char line[256];
    while (fgets(line, sizeof line, f)) {
        unsigned hex;
        char end;
        assert_int_equal(strlen(line), 8);
        assert_int_equal(sscanf(line, "#%6X%c", &hex, &end), 2);
        assert_int_equal(end, '\n');
        add(p, hex >> 16, hex >> 8 & 255, hex & 255);
    }
}

static void parse_csv(FILE *f, parsed_palette *p)
{
    char line[256];
    assert_non_null(fgets(line, sizeof line, f));
    assert_string_equal(line, "cluster,r,g,b,hex,pixels,share\n");
    while (fgets(line, sizeof line, f)) {
        int cluster;
        double r, g, b;
        unsigned hex;
        assert_int_equal(sscanf(line, "%d,%lf,%lf,%lf,#%6X,", &cluster, &r,
                                &g, &b, &hex),
                         5);
        assert_int_equal(cluster, p->count);
        add(p, hex >> 16, hex >> 8 & 255, hex & 255);
    }
}

static void check_palette_file(const char *ext,
                               void (*parse)(FILE *, parsed_palette *),
                               kq_palette_order order)
{
    kq_kmeans_result r = make_result();
    assert_int_equal(kq_kmeans_result_sort(&r, order), KQ_OK);
    char path[512];
    kq_test_temp_path(path, sizeof path, "palette", ext);
    assert_int_equal(kq_palette_write_file(path, &r, NULL, 0), KQ_OK);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    parsed_palette parsed = {{0}, 0};
    parse(f, &parsed);
    fclose(f);
    assert_int_equal(parsed.count, K);
    for (int j = 0; j < K; j++) {
        unsigned char c[3];
        kq_centroid_rgb(&r, j, c);
        assert_int_equal(parsed.rgb[j], (unsigned)c[0] << 16 | c[1] << 8 | c[2]);
    }
    kq_kmeans_result_free(&r);
    unlink(path);
}

static void every_format_parses_back_to_the_table(void **state)
{
    (void)state;
    for (kq_palette_order o = KQ_ORDER_CLUSTER; o <= KQ_ORDER_HUE; o++) {
        check_palette_file(".gpl", parse_gpl, o);
        check_palette_file(".json", parse_json, o);
        check_palette_file(".css", parse_css, o);
        check_palette_file(".txt", parse_txt, o);
        check_palette_file(".CSV", parse_csv, o);
    }
}

static void format_comes_from_the_extension(void **state)
{
    (void)state;
    assert_int_equal(kq_palette_format_from_path("a.gpl"), KQ_PALETTE_GPL);
    assert_int_equal(kq_palette_format_from_path("d/a.JSON"), KQ_PALETTE_JSON);
    assert_int_equal(kq_palette_format_from_path("a.css"), KQ_PALETTE_CSS);
    assert_int_equal(kq_palette_format_from_path("a.txt"), KQ_PALETTE_TXT);
    assert_int_equal(kq_palette_format_from_path("a.csv"), KQ_PALETTE_CSV);
    assert_int_equal(kq_palette_format_from_path("a.png"), KQ_PALETTE_UNKNOWN);
    assert_int_equal(kq_palette_format_from_path("gpl"), KQ_PALETTE_UNKNOWN);
    assert_int_equal(kq_palette_format_from_path("x.gpl/a"),
                     KQ_PALETTE_UNKNOWN);
    kq_kmeans_result r = make_result();
    char path[512], err[256] = "";
    kq_test_temp_path(path, sizeof path, "palette", ".ase");
    assert_int_equal(kq_palette_write_file(path, &r, err, sizeof err),
                     KQ_ERR_ARGUMENT);
    assert_non_null(strstr(err, "unsupported palette format"));
    assert_int_equal(access(path, F_OK), -1);
    assert_int_equal(kq_palette_write(stdout, KQ_PALETTE_UNKNOWN, &r),
                     KQ_ERR_ARGUMENT);
    kq_kmeans_result_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cluster_order_changes_nothing),
        cmocka_unit_test(share_puts_the_largest_first),
        cmocka_unit_test(luminance_puts_the_darkest_first),
        cmocka_unit_test(hue_puts_greys_first_then_the_wheel),
        cmocka_unit_test(ties_keep_cluster_order),
        cmocka_unit_test(every_format_parses_back_to_the_table),
        cmocka_unit_test(format_comes_from_the_extension),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
