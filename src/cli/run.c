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
    size_t n;
    kq_cli_timings timings; /* perf: load and resize, shared by every k */
    bool noted_fewer;       /* perf: the fewer-colours note was printed */
} prepared_input;

static void prepared_free(prepared_input *in)
{
    if (in->clustered.rgb != in->original.rgb) /* perf */
        kq_image_free(&in->clustered);
    kq_image_free(&in->original);
}

static int fail(const char *what, kq_status st, const char *detail)
{
    kq_cli_error(what, "%s", detail && *detail ? detail : kq_strerror(st));
    return kq_cli_exit_code(st);
}

static int prepare(const kq_cli_options *opts, prepared_input *in)
{
    char err[ERR_LEN] = "";
    kq_load_options lo;
    kq_load_options_default(&lo);
    lo.max_pixels = opts->max_pixels;
    double t0 = kq_cli_now(); /* perf */
    kq_status st = kq_image_load_file(opts->input, &lo, &in->original, err,
                                      sizeof err);
    if (st != KQ_OK)
        return fail(opts->input, st, err);
    double t1 = kq_cli_now(); /* perf */
    int w = opts->native_size ? in->original.width : opts->width;
    int h = opts->native_size ? in->original.height : opts->height;
    /* perf: at native size cluster the decoded pixels themselves (no
     * copy, no float array: the engine reads 8-bit RGB directly). */
    if (w == in->original.width && h == in->original.height)
        in->clustered = in->original;
    else
        st = kq_image_resize(&in->original, w, h, &in->clustered);
    if (st != KQ_OK)
        return fail("resize", st, NULL);
    in->n = (size_t)w * (size_t)h;
    in->timings.load = t1 - t0;
    in->timings.resize = kq_cli_now() - t1;
    if ((size_t)opts->k_last > in->n) {
        kq_cli_error(opts->input, "k=%d is more than the %zu pixels to cluster",
                     opts->k_last, in->n);
        return KQ_EXIT_DATAERR;
    }
    return KQ_EXIT_OK;
}

/* path with its extension replaced by ext ("a/b.png" -> "a/b.csv"), and
 * "_k<K>" inserted before it when k > 0. Caller frees. */
static char *derive_path(const char *path, const char *ext, int k)
{
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(slash ? slash + 1 : path, '.');
    size_t stem = dot ? (size_t)(dot - path) : strlen(path);
    const char *suffix = ext ? ext : (dot ? dot : "");
    size_t size = stem + strlen(suffix) + 16;
    char *out = malloc(size);
    if (!out)
        return NULL;
    if (k > 0)
        snprintf(out, size, "%.*s_k%d%s", (int)stem, path, k, suffix);
    else
        snprintf(out, size, "%.*s%s", (int)stem, path, suffix);
    return out;
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

static char *centroids_path_for(const kq_cli_options *opts,
                                const char *image_path, int k, bool sweep)
{
    if (!opts->centroids)
        return derive_path(image_path, ".csv", 0);
    if (strcmp(opts->centroids, "-") == 0)
        return NULL;
    return derive_path(opts->centroids, NULL, sweep ? k : 0);
}

static int check_output_names(const kq_cli_options *opts)
{
    if (opts->output && kq_format_from_path(opts->output) == KQ_FORMAT_UNKNOWN) {
        kq_cli_error(opts->output, "unsupported output format (use .png, "
                     ".jpg, .jpeg, .bmp or .tga)");
        return KQ_EXIT_USAGE;
    }
    return KQ_EXIT_OK;
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

/* Writes the table to a new file atomically, or to stdout when path is
 * NULL. */
static int write_centroids(const char *path, const kq_kmeans_result *r)
{
    if (!path)
        return kq_centroids_write_csv(stdout, r) == KQ_OK
                   ? KQ_EXIT_OK
                   : fail("stdout", KQ_ERR_IO, NULL);
    char err[ERR_LEN] = "";
    kq_atomic_file *file;
    kq_status st = kq_atomic_open(path, &file, err, sizeof err);
    if (st != KQ_OK)
        return fail(path, st, err);
    if (kq_centroids_write_csv(kq_atomic_stream(file), r) != KQ_OK) {
        kq_atomic_abort(file);
        return fail(path, KQ_ERR_IO, NULL);
    }
    st = kq_atomic_commit(file, err, sizeof err);
    return st == KQ_OK ? KQ_EXIT_OK : fail(path, st, err);
}

static int write_outputs(const prepared_input *in, kq_kmeans_result *r,
                         const char *image_path, const char *table_path,
                         kq_cli_timings *timings)
{
    char err[ERR_LEN] = "";
    kq_image recoloured = {0};
    double t0 = kq_cli_now(); /* perf */
    kq_status st = kq_recolor(&in->clustered, r, &recoloured);
    if (st != KQ_OK)
        return fail("recolour", st, NULL);
    /* perf: the per-pixel labels (4 bytes a pixel) are not needed past
     * this point: release them before the encoder allocates. */
    free(r->labels);
    r->labels = NULL;
    double t1 = kq_cli_now(); /* perf */
    timings->recolour = t1 - t0;
    st = kq_image_write_file(image_path, &recoloured, err, sizeof err);
    kq_image_free(&recoloured);
    timings->write = kq_cli_now() - t1;
    if (st != KQ_OK)
        return fail(image_path, st, err);
    return write_centroids(table_path, r);
}

static void report(const kq_cli_options *opts, const prepared_input *in,
                   const kq_kmeans_result *r, const char *image_path,
                   const char *table_path, int k)
{
    bool table_on_stdout = opts->centroids && !strcmp(opts->centroids, "-");
    if (opts->quiet || table_on_stdout)
        return;
    kq_run_report rep = {
        .input = opts->input,
        .input_width = in->original.width,
        .input_height = in->original.height,
        .width = in->clustered.width,
        .height = in->clustered.height,
        .output = image_path,
        .centroids = table_path,
        .result = r,
        .seed = opts->kmeans.seed,
    };
    if (opts->json)
        kq_report_json(&rep, k == opts->k_first, k == opts->k_last,
                       opts->k_first != opts->k_last);
    else
        kq_report_text(&rep);
}

/* perf: fewer distinct colours than k is no error: say so once. */
static void note_fewer_colours(prepared_input *in,
                               const kq_kmeans_result *r)
{
    if (r->k >= r->k_requested || in->noted_fewer)
        return;
    in->noted_fewer = true;
    fprintf(stderr, "kquant: note: the image has only %d distinct colours; "
            "using k=%d\n", r->k, r->k);
}

static int run_one_k(const kq_cli_options *opts, prepared_input *in, int k)
{
    bool sweep = opts->k_first != opts->k_last;
    kq_kmeans_params params = opts->kmeans;
    params.k = k;
    kq_kmeans_result result = {0};
    kq_status st = kq_kmeans_fit_rgb(in->clustered.rgb, in->n, &params,
                                     &result); /* perf: 8-bit input */
    if (st != KQ_OK)
        return fail("k-means", st, NULL);
    note_fewer_colours(in, &result); /* perf */
    kq_cli_timings timings = in->timings; /* perf */
    timings.histogram = result.seconds_histogram;
    timings.seeding = result.seconds_seeding;
    timings.iterations = result.seconds_iterations;
    char *image_path = output_path_for(opts, k, sweep);
    char *table_path = centroids_path_for(opts, image_path, k, sweep);
    int code = image_path ? write_outputs(in, &result, image_path, table_path,
                                          &timings)
                          : fail("paths", KQ_ERR_NOMEM, NULL);
    if (code == KQ_EXIT_OK && opts->timings) /* perf */
        kq_cli_print_timings(&timings, k);
    if (code == KQ_EXIT_OK)
        report(opts, in, &result, image_path, table_path, k);
    free(image_path);
    free(table_path);
    kq_kmeans_result_free(&result);
    return code;
}

int kq_cli_run(const kq_cli_options *opts)
{
    int code = check_output_names(opts);
    if (code != KQ_EXIT_OK)
        return code;
    prepared_input in = {0};
    code = prepare(opts, &in);
    if (code == KQ_EXIT_OK)
        code = ensure_default_folder(opts);
    for (int k = opts->k_first; code == KQ_EXIT_OK && k <= opts->k_last; k++)
        code = run_one_k(opts, &in, k);
    prepared_free(&in);
    return code;
}
