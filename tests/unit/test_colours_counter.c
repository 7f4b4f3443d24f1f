/* test_colours_counter.c - colours counted while a JPEG decodes (perf):
 * the same histogram as counting after the decode, whatever rows the
 * decoder reported and in what bursts; small images, other images and
 * unreported rows are counted at the end; a failed decode stops the
 * counter before its rows are freed. */
#include "testutil.h"

#include "kq_internal.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <stb_image_write.h>

#define W 1024 /* 614,400 pixels: the table path (2^19 and more) */
#define H 600

/* Gradients with noise: hundreds of thousands of distinct colours, below
 * a flat band of one colour (24,576 pixels: its byte counter wraps). */
static unsigned char *big_picture(void)
{
    unsigned char *px = malloc((size_t)W * H * 3);
    assert_non_null(px);
    uint32_t noise = 7;
    for (size_t i = 0; i < (size_t)W * H; i++) {
        noise = noise * 1664525u + 1013904223u;
        size_t x = i % W, y = i / W;
        if (y < 24) {
            memcpy(&px[3 * i], "\x30\xa0\x50", 3);
            continue;
        }
        px[3 * i] = (unsigned char)(x / 4 + (noise >> 28));
        px[3 * i + 1] = (unsigned char)(y / 3 + (noise >> 24 & 15));
        px[3 * i + 2] = (unsigned char)((x + y) / 7 + (noise >> 20 & 15));
    }
    return px;
}

/* What kq_colours_count makes of the same pixels, compared in full. */
static void assert_counted_alike(kq_colours *got, const unsigned char *rgb,
                                 size_t n)
{
    kq_colours *want;
    assert_int_equal(kq_colours_count(rgb, n, 2, &want), KQ_OK);
    const unsigned char *rgb_a, *rgb_b;
    size_t n_a, n_b;
    const kq_histogram *a = kq_colours_histogram(got, &rgb_a, &n_a),
                       *b = kq_colours_histogram(want, &rgb_b, &n_b);
    assert_ptr_equal(rgb_a, rgb);
    assert_int_equal(n_a, n);
    assert_int_equal(a->n_pixels, b->n_pixels);
    assert_int_equal(a->n_colours, b->n_colours);
    assert_true(a->n_colours > 100000);
    assert_memory_equal(a->colour, b->colour, sizeof(uint32_t) * a->n_colours);
    assert_memory_equal(a->count, b->count, sizeof(uint32_t) * a->n_colours);
    size_t total = 0;
    for (size_t u = 0; u < a->n_colours; u++)
        total += a->count[u];
    assert_int_equal(total, n);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(kq_histogram_index(a, rgb, i),
                         kq_histogram_index(b, rgb, i));
    kq_colours_free(want);
}

/* big_picture's flat band has its exact count (its counter wrapped 96
 * times). */
static void assert_band_counted(kq_colours *got)
{
    const unsigned char *rgb;
    size_t n;
    const kq_histogram *h = kq_colours_histogram(got, &rgb, &n);
    assert_int_equal(h->count[kq_histogram_index(h, rgb, 0)], 24 * W);
}

/* Rows reported by hand in uneven bursts, up to `reported` of them. */
static void report_rows(kq_colours_counter *c, const unsigned char *rgb,
                        int reported)
{
    for (int done = 0; done < reported;) {
        done += 1 + done % 37;
        kq_colours_counter_rows(c, rgb, W, H, done < reported ? done
                                                              : reported);
    }
}

static kq_colours *finish(kq_colours_counter *c, const unsigned char *rgb,
                          size_t n, int threads)
{
    kq_colours *got;
    assert_int_equal(kq_colours_counter_finish(c, rgb, n, threads, &got),
                     KQ_OK);
    kq_colours_counter_free(c);
    return got;
}

static void rows_in_bursts_count_as_after_the_decode(void **state)
{
    (void)state;
    unsigned char *px = big_picture();
    size_t n = (size_t)W * H;
    int reported[] = {H, H / 2, 0}; /* the rest is counted at finish */
    for (size_t r = 0; r < sizeof reported / sizeof reported[0]; r++)
        for (int threads = 1; threads <= 2; threads++) {
            kq_colours_counter *c;
            assert_int_equal(kq_colours_counter_start(&c), KQ_OK);
            report_rows(c, px, reported[r]);
            kq_colours *got = finish(c, px, n, threads);
            assert_counted_alike(got, px, n);
            assert_band_counted(got);
            kq_colours_free(got);
        }
    free(px);
}

/* A counter told of every row of px, in bursts. */
static kq_colours_counter *counter_told_every_row(const unsigned char *px)
{
    kq_colours_counter *c;
    assert_int_equal(kq_colours_counter_start(&c), KQ_OK);
    report_rows(c, px, H);
    return c;
}

/* Once the thread has counted every reported row, an earlier row count
 * told again must not make it count rows twice. */
static void an_earlier_row_count_counts_nothing_twice(void **state)
{
    (void)state;
    unsigned char *px = big_picture();
    size_t n = (size_t)W * H;
    kq_colours_counter *c = counter_told_every_row(px);
    for (int waited = 0; kq_colours_counter_counted(c) < n; waited++) {
        assert_true(waited < 10000); /* 10 s */
        nanosleep(&(struct timespec){0, 1000000}, NULL);
    }
    kq_colours_counter_rows(c, px, W, H, H / 3);
    kq_colours *got = finish(c, px, n, 2);
    assert_counted_alike(got, px, n);
    kq_colours_free(got);
    free(px);
}

/* The first fit of colours counted as they decoded writes its labels
 * into the buffer the counter faulted in while it waited for rows; it
 * and a later fit (in fresh memory) label every pixel as a fit of the
 * pixels does. */
static void fits_of_counted_colours_label_as_a_fit_of_pixels(void **state)
{
    (void)state;
    unsigned char *px = big_picture();
    size_t n = (size_t)W * H;
    kq_colours *got = finish(counter_told_every_row(px), px, n, 2);
    const unsigned char *rgb;
    size_t counted;
    const kq_histogram *h = kq_colours_histogram(got, &rgb, &counted);
    assert_non_null(h->label_buffer);
    kq_kmeans_params p;
    kq_kmeans_params_default(&p);
    p.k = 16;
    kq_kmeans_result want, first, again;
    assert_int_equal(kq_kmeans_fit_rgb(px, n, &p, &want), KQ_OK);
    assert_int_equal(kq_kmeans_fit_colours(got, &p, &first), KQ_OK);
    assert_null(h->label_buffer); /* the first fit took it */
    assert_int_equal(kq_kmeans_fit_colours(got, &p, &again), KQ_OK);
    assert_memory_equal(first.centroids, want.centroids, sizeof(double) * 48);
    assert_memory_equal(first.labels, want.labels, sizeof(kq_label) * n);
    assert_memory_equal(again.labels, want.labels, sizeof(kq_label) * n);
    kq_kmeans_result_free(&want);
    kq_kmeans_result_free(&first);
    kq_kmeans_result_free(&again);
    kq_colours_free(got);
    free(px);
}

/* The counter took its own count only for the image it saw, at the table
 * path's sizes; otherwise the caller counts (and gets the same). */
static void only_the_image_seen_is_taken(void **state)
{
    (void)state;
    unsigned char *px = big_picture(), *copy = malloc((size_t)W * H * 3);
    assert_non_null(copy);
    memcpy(copy, px, (size_t)W * H * 3);
    struct {
        const unsigned char *seen, *finished;
        int rows;
        bool taken;
    } cases[] = {
        {px, px, H, true},     /* counted as it decoded */
        {px, copy, H, false},  /* finished on other pixels */
        {NULL, px, 0, false},  /* never told of rows (a PNG) */
        {px, px, 300, true},   /* half told: the rest counted at the end */
    };
    for (size_t t = 0; t < sizeof cases / sizeof cases[0]; t++) {
        kq_colours_counter *c;
        assert_int_equal(kq_colours_counter_start(&c), KQ_OK);
        if (cases[t].seen)
            report_rows(c, cases[t].seen, cases[t].rows);
        kq_histogram h;
        bool taken = true;
        assert_int_equal(kq_colours_counter_take(c, cases[t].finished,
                                                 (size_t)W * H, NULL, &h,
                                                 &taken),
                         KQ_OK);
        assert_int_equal(taken, cases[t].taken);
        if (taken)
            kq_histogram_free(&h);
        kq_colours_counter_free(c);
    }
    /* a small image (the sort path) is left to the caller */
    kq_colours_counter *c;
    assert_int_equal(kq_colours_counter_start(&c), KQ_OK);
    kq_colours_counter_rows(c, px, 100, 100, 100);
    kq_histogram h;
    bool taken = true;
    assert_int_equal(kq_colours_counter_take(c, px, 10000, NULL, &h, &taken),
                     KQ_OK);
    assert_false(taken);
    kq_colours_counter_free(c);
    free(copy);
    free(px);
}

typedef struct {
    kq_colours_counter *counter;
    int calls, last_rows;
    bool told_failed;
} observer;

static void observe(void *ctx, const unsigned char *rgb, int width,
                    int height, int rows_done)
{
    observer *o = ctx;
    o->calls++;
    o->last_rows = rows_done;
    o->told_failed = o->told_failed || !rgb;
    kq_colours_counter_rows(o->counter, rgb, width, height, rows_done);
}

static kq_status load_counting(const kq_test_sink *jpeg, observer *o,
                                kq_image *img)
{
    kq_load_options lo;
    kq_load_options_default(&lo);
    lo.on_rows = observe;
    lo.on_rows_ctx = o;
    assert_int_equal(kq_colours_counter_start(&o->counter), KQ_OK);
    return kq_image_load_memory(jpeg->data, jpeg->len, &lo, img, NULL, 0);
}

/* Through the JPEG decoder: rows come in bursts, all of them, and the
 * colours are those counted after the decode; a truncated file tells the
 * counter to stop before its rows are freed (ASan / valgrind check the
 * rest). */
static void a_jpeg_decode_reports_its_rows(void **state)
{
    (void)state;
    unsigned char *px = big_picture();
    kq_test_sink jpeg = {0};
    assert_true(
        stbi_write_jpg_to_func(kq_test_sink_write, &jpeg, W, H, 3, px, 90));
    observer o = {NULL, 0, 0, false};
    kq_image img = {0};
    assert_int_equal(load_counting(&jpeg, &o, &img), KQ_OK);
    assert_true(o.calls > 10);
    assert_int_equal(o.last_rows, H);
    assert_false(o.told_failed);
    kq_colours *got = finish(o.counter, img.rgb, (size_t)W * H, 2);
    assert_counted_alike(got, img.rgb, (size_t)W * H);
    kq_colours_free(got);
    kq_image_free(&img);

    jpeg.len /= 2;
    observer cut = {NULL, 0, 0, false};
    assert_int_equal(load_counting(&jpeg, &cut, &img), KQ_ERR_INPUT_FORMAT);
    assert_true(cut.told_failed);
    assert_null(img.rgb);
    kq_colours_counter_free(cut.counter);
    free(jpeg.data);
    free(px);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rows_in_bursts_count_as_after_the_decode),
        cmocka_unit_test(an_earlier_row_count_counts_nothing_twice),
        cmocka_unit_test(only_the_image_seen_is_taken),
        cmocka_unit_test(fits_of_counted_colours_label_as_a_fit_of_pixels),
        cmocka_unit_test(a_jpeg_decode_reports_its_rows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
