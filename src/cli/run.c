/* run.c - the job: load, resize, flatten, then cluster and write each k. */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define ERR_LEN 512

/* The decoded input and the pixels every k clusters. */
typedef struct {
    kq_image original;
    kq_image clustered; /* the resized image (the original's pixels at
                           native size: perf, no copy) */
    float *pixels;      /* N x 3 floats, only for --sklearn and --plots */
    size_t n;
    kq_cli_figures *figures; /* plots feature: NULL when none are drawn */
    kq_cli_timings timings;  /* perf: load and resize, shared by every k */
    bool noted_fewer;        /* perf: the fewer-colours note was printed */
    kq_colours *colours;     /* perf: counted once (colours_of), then
                                shared by every k's fit and Delta E */
    kq_colours_counter *counter; /* perf: counting during the decode */
} prepared_input;

static void prepared_free(prepared_input *in)
{
    if (in->clustered.rgb != in->original.rgb) /* perf */
        kq_image_free(&in->clustered);
    kq_image_free(&in->original);
    kq_pixels_free(in->pixels);
    kq_cli_figures_free(in->figures);
    kq_colours_free(in->colours);
    kq_colours_counter_free(in->counter);
}

/* perf: the clustered image's distinct colours, counted on first use; a
 * sweep's later fits and every Delta E reuse them (12 MP: 0.1 s of
 * counting per fit, and 0.1-0.2 s more for each k's Delta E, which
 * counted them again on one thread). *seconds: the counting's time when
 * it happened now, else 0. */
static kq_status colours_of(const kq_cli_options *opts, prepared_input *in,
                            double *seconds)
{
    *seconds = 0.0;
    if (in->colours)
        return KQ_OK;
    kq_status st = kq_colours_counter_finish(in->counter, in->clustered.rgb,
                                             in->n, opts->kmeans.threads,
                                             &in->colours);
    kq_colours_counter_free(in->counter);
    in->counter = NULL;
    if (st == KQ_OK)
        *seconds = kq_colours_seconds(in->colours);
    return st;
}

/* The float array the exact engine and the scatter plots read; the
 * default engine reads the 8-bit pixels directly (perf). */
static bool needs_float_pixels(const kq_cli_options *opts)
{
    return opts->sklearn || opts->plots;
}

/* perf: at native size the decoded pixels are the ones clustered, so a
 * second thread counts their colours as the JPEG decodes (12 MP: most of
 * the histogram's 0.1 s hidden in the decode). Not under -j 1 (one
 * thread), nor for --sklearn (its fits do not count colours). */
static void count_while_decoding(const kq_cli_options *opts,
                                 prepared_input *in, kq_load_options *lo)
{
    if (!opts->native_size || opts->kmeans.threads == 1 || opts->sklearn ||
        kq_colours_counter_start(&in->counter) != KQ_OK)
        return;
    lo->on_rows = kq_colours_counter_rows;
    lo->on_rows_ctx = in->counter;
}

static int prepare(const kq_cli_options *opts, prepared_input *in)
{
    char err[ERR_LEN] = "";
    kq_load_options lo;
    kq_load_options_default(&lo);
    lo.max_pixels = opts->max_pixels;
    memcpy(lo.background, opts->background, sizeof lo.background);
    lo.ignore_orientation = opts->ignore_orientation;
    lo.ignore_color_profile = opts->ignore_color_profile;
    lo.threads = opts->kmeans.threads;
    count_while_decoding(opts, in, &lo);
    if (!opts->native_size) { /* perf: a large JPEG decodes reduced */
        lo.resize_width = opts->width;
        lo.resize_height = opts->height;
    }
    kq_status st = KQ_OK;
    double t0 = kq_cli_now(); /* perf */
    if (opts->url) { /* fetch (issue 3): download instead of reading */
        int code = kq_cli_fetch_input(opts, &lo, &in->original);
        if (code != KQ_EXIT_OK)
            return code;
    } else {
        st = kq_image_load_file(opts->input, &lo, &in->original, err,
                                sizeof err);
        if (st != KQ_OK)
            return kq_cli_fail(opts->input, st, err);
    }
    double t1 = kq_cli_now(); /* perf */
    int w = opts->native_size ? in->original.width : opts->width;
    int h = opts->native_size ? in->original.height : opts->height;
    /* perf: at native size cluster the decoded pixels themselves (no copy;
     * the default engine reads 8-bit RGB directly). */
    if (w == in->original.width && h == in->original.height)
        in->clustered = in->original;
    else
        st = kq_image_resize(&in->original, w, h, &in->clustered);
    if (st != KQ_OK)
        return kq_cli_fail("resize", st, NULL);
    in->n = (size_t)w * (size_t)h;
    in->timings.load = t1 - t0;
    in->timings.resize = kq_cli_now() - t1;
    if (needs_float_pixels(opts) &&
        !(in->pixels = kq_pixels_flatten(&in->clustered, &in->n)))
        return kq_cli_fail("pixels", KQ_ERR_NOMEM, NULL);
    if ((size_t)opts->k_last > in->n) {
        kq_cli_error(opts->input, "k=%d is more than the %zu pixel%s to "
                     "cluster", opts->k_last, in->n, in->n == 1 ? "" : "s");
        return KQ_EXIT_DATAERR;
    }
    return KQ_EXIT_OK;
}

/* path with its extension replaced by ext ("a/b.png" -> "a/b.csv"), and
 * "_k<K>" inserted before it when k > 0. Caller frees. */
static char *derive_path(const char *path, const char *ext, int k)
{
    char tag[16] = "";
    if (k > 0)
        snprintf(tag, sizeof tag, "_k%d", k);
    return kq_cli_path_variant(path, tag, ext);
}

static char *output_path_for(const kq_cli_options *opts, int k, bool sweep)
{
    if (opts->output)
        return derive_path(opts->output, NULL, sweep ? k : 0);
    char buf[64];
    snprintf(buf, sizeof buf, "%s/image_output_k%d.png",
             KQ_DEFAULT_OUTPUT_DIR, k);
    return strdup(buf);
}

/* An image on stdout has no name to put a table beside: it gets one only
 * when --centroids names it. */
static bool table_wanted(const kq_cli_options *opts)
{
    return opts->centroids || !kq_cli_image_on_stdout(opts);
}

/* NULL: the table goes to stdout, or nowhere (table_wanted). */
static char *centroids_path_for(const kq_cli_options *opts,
                                const char *image_path, int k, bool sweep)
{
    if (!table_wanted(opts))
        return NULL;
    if (!opts->centroids)
        return derive_path(image_path, ".csv", 0);
    if (kq_cli_table_on_stdout(opts))
        return NULL;
    return derive_path(opts->centroids, NULL, sweep ? k : 0);
}

static int check_output_names(const kq_cli_options *opts)
{
    if (opts->output &&
        kq_cli_output_format(opts->output) == KQ_FORMAT_UNKNOWN) {
        kq_cli_error(opts->output, "unsupported output format (use .png, "
                     ".jpg, .jpeg, .bmp or .tga)");
        return KQ_EXIT_USAGE;
    }
    return kq_cli_check_palette_name(opts);
}

/* The default folder is created on demand; named outputs must have one. */
static int ensure_default_folder(const kq_cli_options *opts)
{
    if (!opts->output && mkdir(KQ_DEFAULT_OUTPUT_DIR, 0777) != 0 &&
        errno != EEXIST) {
        kq_cli_error(KQ_DEFAULT_OUTPUT_DIR, "cannot create folder: %s",
                     strerror(errno));
        return KQ_EXIT_CANTCREAT;
    }
    return KQ_EXIT_OK;
}

static kq_status encode_centroids(FILE *stream, const void *result,
                                  char *err, size_t err_len)
{
    (void)err;
    (void)err_len;
    return kq_centroids_write_csv(stream, result);
}

/* Writes the table to a new file atomically, or to stdout when path is
 * NULL: a range's tables there make one CSV, each row led by its k. */
static int write_centroids(const kq_cli_options *opts, const char *path,
                           const kq_kmeans_result *r)
{
    if (!path) {
        kq_status st = opts->k_first == opts->k_last
                           ? kq_centroids_write_csv(stdout, r)
                           : kq_centroids_write_csv_with_k(
                                 stdout, r, r->k_requested == opts->k_first);
        return st == KQ_OK ? KQ_EXIT_OK : kq_cli_fail("stdout", st, NULL);
    }
    char err[ERR_LEN] = "";
    kq_status st = kq_cli_write_file(path, encode_centroids, r, err,
                                     sizeof err);
    return st == KQ_OK ? KQ_EXIT_OK : kq_cli_fail(path, st, err);
}

/* The size and quality numbers are read only by the report and the
 * figures; nobody sees them under -q, and at 2 MP they cost 3x the whole
 * k-means (a 24-bit PNG encode and CIEDE2000 per pixel). */
static bool metrics_wanted(const kq_cli_options *opts,
                           const prepared_input *in)
{
    return in->figures || !(opts->quiet || kq_cli_table_on_stdout(opts));
}

/* The quality numbers, Delta E on the counted colours. */
static int quality(const kq_cli_options *opts, prepared_input *in,
                   const kq_image *recoloured, kq_run_metrics *m)
{
    double unused;
    kq_status st = colours_of(opts, in, &unused);
    if (st != KQ_OK)
        return kq_cli_fail("quality", st, NULL);
    return kq_cli_quality(&in->clustered, in->colours, recoloured, m);
}

/* perf: the last k no longer needs the colours once fitted (or once its
 * quality numbers are in): freed before the recolouring or the image's
 * encoding (12 MP: about 35 MB of the histogram off the peak). */
static void release_colours(const kq_cli_options *opts, prepared_input *in,
                            int k)
{
    if (k != opts->k_last)
        return;
    kq_colours_free(in->colours);
    in->colours = NULL;
}

/* The image (a palette PNG where it can be), its size and quality
 * numbers, the table and the palette file (issue 7). The quality numbers
 * come first, beside the 24-bit PNG's encoding, so the colours can go
 * before the image is encoded. */
static int write_outputs(const kq_cli_options *opts, prepared_input *in,
                         const kq_kmeans_result *r, const char *image_path,
                         const char *table_path, const char *palette_path,
                         kq_run_metrics *m, kq_cli_timings *timings)
{
    double t0 = kq_cli_now(); /* perf */
    kq_image recoloured = {0};
    bool metrics = metrics_wanted(opts, in);
    /* perf: a palette PNG needs only the labels; the RGB image is for the
     * summary, the figures and other formats (12 MP: 50 ms, 36 MB) */
    if (metrics || !kq_cli_wants_palette_png(opts, image_path, r->k)) {
        kq_status st = kq_recolor(&in->clustered, r, &recoloured);
        if (st != KQ_OK)
            return kq_cli_fail("recolour", st, NULL);
    }
    timings->recolour = kq_cli_now() - t0;
    kq_cli_png24 png24;
    if (metrics)
        kq_cli_png24_start(&png24, &recoloured, opts->kmeans.threads);
    int code = metrics ? quality(opts, in, &recoloured, m) : KQ_EXIT_OK;
    release_colours(opts, in, r->k_requested);
    if (code == KQ_EXIT_OK) {
        double t1 = kq_cli_now(); /* perf */
        code = kq_cli_write_image(opts, image_path, &in->clustered,
                                  recoloured.rgb ? &recoloured : NULL, r, m);
        timings->write = kq_cli_now() - t1;
    }
    if (metrics && code != KQ_EXIT_OK)
        kq_cli_png24_finish(&png24, false);
    else if (metrics)
        code = kq_cli_sizes(&recoloured, &png24, m);
    if (code == KQ_EXIT_OK) /* plots */
        code = kq_cli_figures_add(in->figures, r, &recoloured, m);
    kq_image_free(&recoloured);
    if (code == KQ_EXIT_OK && table_wanted(opts))
        code = write_centroids(opts, table_path, r);
    if (code == KQ_EXIT_OK && palette_path)
        code = kq_cli_write_palette(palette_path, r, m);
    return code;
}

/* A side of the input as its file gives it, also when a JPEG was decoded
 * at a reduced size. */
static int input_side(int decoded, int source)
{
    return source > 0 ? source : decoded;
}

static void report(const kq_cli_options *opts, const prepared_input *in,
                   const kq_kmeans_result *r, const char *image_path,
                   const char *table_path, const kq_run_metrics *metrics,
                   int k)
{
    if (opts->quiet || kq_cli_table_on_stdout(opts))
        return;
    kq_run_report rep = {
        .input = opts->input,
        .input_width = input_side(in->original.width,
                                  in->original.source_width),
        .input_height = input_side(in->original.height,
                                   in->original.source_height),
        .color_profile = in->original.color_profile,
        .width = in->clustered.width,
        .height = in->clustered.height,
        .output = kq_cli_output_name(image_path),
        .centroids = table_path,
        .result = r,
        .seed = opts->kmeans.seed,
        .metrics = metrics,
        .sklearn = opts->sklearn,
        .n_init = opts->kmeans.n_init,
        .stream = kq_cli_summary_stream(opts),
    };
    if (opts->json)
        kq_report_json(&rep, k == opts->k_first, k == opts->k_last,
                       opts->k_first != opts->k_last);
    else
        kq_report_text(&rep);
}

/* sklearn mode: scikit-learn's exact engine instead of ours. The default
 * engine fits the counted colours; *counting: their counting's time when
 * this fit counted them. */
static kq_status fit_k(const kq_cli_options *opts, prepared_input *in,
                       const kq_kmeans_params *params, kq_kmeans_result *out,
                       double *counting)
{
    *counting = 0.0;
    if (opts->sklearn)
        return kq_kmeans_fit_sklearn(in->pixels, in->n, params, out);
    kq_status st = colours_of(opts, in, counting);
    return st == KQ_OK ? kq_kmeans_fit_colours(in->colours, params, out) : st;
}

/* perf: fewer distinct colours than k is no error: say so once. */
static void note_fewer_colours(prepared_input *in,
                               const kq_kmeans_result *r)
{
    if (r->k >= r->k_requested || in->noted_fewer)
        return;
    in->noted_fewer = true;
    fprintf(stderr, "kquant: note: the image has only %d distinct colour%s; "
            "using k=%d\n", r->k, r->k == 1 ? "" : "s", r->k);
}

static int run_one_k(const kq_cli_options *opts, prepared_input *in, int k)
{
    bool sweep = opts->k_first != opts->k_last;
    kq_kmeans_params params = opts->kmeans;
    params.k = k;
    char *image_path = output_path_for(opts, k, sweep);
    char *table_path =
        image_path ? centroids_path_for(opts, image_path, k, sweep) : NULL;
    char *palette_path =
        opts->palette ? derive_path(opts->palette, NULL, sweep ? k : 0) : NULL;
    /* hardening (issue 8): never overwrite the input */
    int code = image_path && (palette_path || !opts->palette)
                   ? kq_cli_check_not_input(opts->input, image_path)
                   : kq_cli_fail("paths", KQ_ERR_NOMEM, NULL);
    if (code == KQ_EXIT_OK)
        code = kq_cli_check_not_input(opts->input, table_path);
    if (code == KQ_EXIT_OK)
        code = kq_cli_check_not_input(opts->input, palette_path);
    kq_kmeans_result result = {0};
    kq_run_metrics metrics = {0};
    kq_cli_timings timings = in->timings; /* perf */
    if (code == KQ_EXIT_OK) {
        double counting = 0.0;
        kq_status st = fit_k(opts, in, &params, &result, &counting);
        if (st == KQ_OK) /* issue 7: one renumbering that every output sees */
            st = kq_kmeans_result_sort(&result, opts->sort);
        if (st == KQ_OK)
            note_fewer_colours(in, &result);
        if (!metrics_wanted(opts, in))
            release_colours(opts, in, k);
        timings.histogram = result.seconds_histogram + counting;
        timings.seeding = result.seconds_seeding;
        timings.iterations = result.seconds_iterations;
        code = st == KQ_OK ? write_outputs(opts, in, &result, image_path,
                                           table_path, palette_path, &metrics,
                                           &timings)
                           : kq_cli_fail("k-means", st, NULL);
    }
    if (code == KQ_EXIT_OK)
        report(opts, in, &result, image_path, table_path, &metrics, k);
    if (code == KQ_EXIT_OK && opts->timings) /* perf */
        kq_cli_print_timings(&timings, k);
    free(image_path);
    free(table_path);
    free(palette_path);
    kq_kmeans_result_free(&result);
    return code;
}

int kq_cli_run(const kq_cli_options *opts)
{
    int code = check_output_names(opts);
    if (code == KQ_EXIT_OK)
        code = kq_cli_check_save_input(opts); /* fetch (issue 3) */
    if (code == KQ_EXIT_OK)
        code = kq_cli_check_limits(opts); /* hardening (issue 8) */
    if (code != KQ_EXIT_OK)
        return code;
    prepared_input in = {0};
    code = prepare(opts, &in);
    if (code == KQ_EXIT_OK)
        code = kq_cli_save_input(opts, &in.clustered); /* fetch (issue 3) */
    if (code == KQ_EXIT_OK)
        code = ensure_default_folder(opts);
    if (code == KQ_EXIT_OK) /* plots feature: figures and a sweep's grid */
        code = kq_cli_figures_begin(opts, in.pixels, in.n, &in.figures);
    for (int k = opts->k_first; code == KQ_EXIT_OK && k <= opts->k_last; k++)
        code = run_one_k(opts, &in, k);
    if (code == KQ_EXIT_OK)
        code = kq_cli_figures_finish(in.figures);
    prepared_free(&in);
    return code;
}
