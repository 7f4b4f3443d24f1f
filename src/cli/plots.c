/* plots.c - the run's figures (plots feature): where they go, what they
 * are called, and the elbow table. The drawing is libkquant's. */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define ERR_LEN 512
#define PATH_LEN 4096

struct kq_cli_figures {
    const kq_cli_options *opts;
    const float *pixels;
    size_t n;
    bool sweep;
    int count;            /* ks added so far */
    int *ks;              /* per k of a sweep: */
    double *inertia;
    kq_run_metrics *metrics; /* MSE, PSNR, Delta E of each k */
    kq_image *panels;     /* the recoloured images, for the grid */
    char *written;        /* "figure: <path>\n" lines, printed at finish */
    size_t written_len;
};

static const char *plots_dir(const kq_cli_options *opts)
{
    return opts->plots_dir ? opts->plots_dir : KQ_DEFAULT_OUTPUT_DIR;
}

/* Notes a written figure, to be named after the run's summary. A failed
 * allocation only loses the note. */
static void note_written(kq_cli_figures *fig, const char *path)
{
    size_t add = strlen(path) + sizeof "figure:     \n";
    char *bigger = realloc(fig->written, fig->written_len + add);
    if (!bigger)
        return;
    fig->written = bigger;
    fig->written_len += (size_t)snprintf(bigger + fig->written_len, add,
                                         "figure:     %s\n", path);
}

/* Figure names go after the text summary (stdout, or stderr when the
 * image is on stdout), never into JSON or a table printed on stdout. */
static void print_written(const kq_cli_figures *fig)
{
    const kq_cli_options *opts = fig->opts;
    if (fig->written && !opts->quiet && !opts->json &&
        !kq_cli_table_on_stdout(opts))
        fwrite(fig->written, 1, fig->written_len,
               kq_cli_summary_stream(opts));
}

/* Paths are formatted into PATH_LEN buffers: one that filled its buffer
 * may have been cut short. */
static bool path_fits(const char *path)
{
    return strlen(path) + 1 < PATH_LEN;
}

static int save(kq_cli_figures *fig, const char *path, kq_status drawn,
                kq_image *figure)
{
    char err[ERR_LEN] = "";
    if (drawn == KQ_OK && !path_fits(path))
        drawn = KQ_ERR_OUTPUT;
    if (drawn != KQ_OK) {
        kq_image_free(figure);
        return kq_cli_fail(path, drawn, NULL);
    }
    kq_status st = kq_cli_save_image(path, figure, NULL, err, sizeof err);
    kq_image_free(figure);
    if (st != KQ_OK)
        return kq_cli_fail(path, st, err);
    note_written(fig, path);
    return KQ_EXIT_OK;
}

static int ensure_folder(const char *dir)
{
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        kq_cli_error(dir, "cannot create folder: %s", strerror(errno));
        return KQ_EXIT_CANTCREAT;
    }
    return KQ_EXIT_OK;
}

/* The grid beside the per-k images: "out.png" -> "out_k2-10.png", or
 * output/image_output_k2-10.png; with --plots among the other figures. */
static void grid_path(const kq_cli_options *opts, char *buf, size_t len)
{
    int a = opts->k_first, b = opts->k_last;
    if (opts->plots || !opts->output) {
        snprintf(buf, len, "%s/image_output_k%d-%d.png",
                 opts->plots ? plots_dir(opts) : KQ_DEFAULT_OUTPUT_DIR, a, b);
        return;
    }
    char tag[32];
    snprintf(tag, sizeof tag, "_k%d-%d", a, b);
    char *path = kq_cli_path_variant(opts->output, tag, NULL);
    snprintf(buf, len, "%s", path ? path : "");
    free(path);
}

static int allocate_sweep(kq_cli_figures *fig)
{
    size_t count = (size_t)(fig->opts->k_last - fig->opts->k_first + 1);
    fig->ks = calloc(count, sizeof *fig->ks);
    fig->inertia = calloc(count, sizeof *fig->inertia);
    fig->metrics = calloc(count, sizeof *fig->metrics);
    fig->panels = calloc(count, sizeof *fig->panels);
    bool ok = fig->ks && fig->inertia && fig->metrics && fig->panels;
    return ok ? KQ_EXIT_OK : kq_cli_fail("figures", KQ_ERR_NOMEM, NULL);
}

int kq_cli_figures_begin(const kq_cli_options *opts, const float *pixels,
                         size_t n, kq_cli_figures **out)
{
    *out = NULL;
    bool sweep = opts->k_first != opts->k_last;
    if (!opts->plots && !sweep)
        return KQ_EXIT_OK;
    kq_cli_figures *fig = calloc(1, sizeof *fig);
    if (!fig)
        return kq_cli_fail("figures", KQ_ERR_NOMEM, NULL);
    *fig = (kq_cli_figures){.opts = opts, .pixels = pixels, .n = n,
                            .sweep = sweep};
    *out = fig;
    int code = sweep ? allocate_sweep(fig) : KQ_EXIT_OK;
    if (code != KQ_EXIT_OK || !opts->plots)
        return code;
    code = ensure_folder(plots_dir(opts));
    if (code != KQ_EXIT_OK)
        return code;
    char path[PATH_LEN];
    snprintf(path, sizeof path, "%s/scatter3d_pixel_color.png",
             plots_dir(opts));
    kq_image figure = {0};
    kq_status st = kq_plot_pixel_scatter(pixels, n, &opts->view,
                                         KQ_PLOT_SCATTER_WIDTH,
                                         KQ_PLOT_SCATTER_HEIGHT, &figure);
    return save(fig, path, st, &figure);
}

static int keep_for_sweep(kq_cli_figures *fig, const kq_kmeans_result *r,
                          const kq_image *recoloured,
                          const kq_run_metrics *metrics)
{
    int i = fig->count;
    fig->metrics[i] = *metrics;
    kq_status st = kq_image_resize(recoloured, recoloured->width,
                                   recoloured->height, &fig->panels[i]);
    if (st != KQ_OK)
        return kq_cli_fail("figures", st, NULL);
    fig->ks[i] = r->k;
    fig->inertia[i] = r->inertia;
    fig->count++;
    return KQ_EXIT_OK;
}

int kq_cli_figures_add(kq_cli_figures *fig, const kq_kmeans_result *result,
                       const kq_image *recoloured,
                       const kq_run_metrics *metrics)
{
    if (!fig)
        return KQ_EXIT_OK;
    int code = fig->sweep ? keep_for_sweep(fig, result, recoloured, metrics)
                          : KQ_EXIT_OK;
    if (code != KQ_EXIT_OK || !fig->opts->plots)
        return code;
    char path[PATH_LEN];
    snprintf(path, sizeof path, "%s/scatter3d_cluster_k%d.png",
             plots_dir(fig->opts), result->k);
    kq_image figure = {0};
    kq_status st = kq_plot_cluster_scatter(fig->pixels, result,
                                           &fig->opts->view,
                                           KQ_PLOT_SCATTER_WIDTH,
                                           KQ_PLOT_SCATTER_HEIGHT, &figure);
    return save(fig, path, st, &figure);
}

/* k,inertia,mse,psnr,delta_e_mean,delta_e_max with %.17g, so that inertia
 * reads back exactly as the JSON summary prints it. */
static kq_status encode_elbow_csv(FILE *out, const void *data, char *err,
                                  size_t err_len)
{
    const kq_cli_figures *fig = data;
    (void)err;
    (void)err_len;
    fprintf(out, "k,inertia,mse,psnr,delta_e_mean,delta_e_max\n");
    for (int i = 0; i < fig->count; i++) {
        const kq_run_metrics *m = &fig->metrics[i];
        fprintf(out, "%d,%.17g,%.17g,%.17g,%.17g,%.17g\n", fig->ks[i],
                fig->inertia[i], m->mse, m->psnr_db, m->delta_e_mean,
                m->delta_e_max);
    }
    return ferror(out) ? KQ_ERR_IO : KQ_OK;
}

static int write_elbow_csv(kq_cli_figures *fig, const char *path)
{
    char err[ERR_LEN] = "";
    if (!path_fits(path))
        return kq_cli_fail(path, KQ_ERR_OUTPUT, "path too long");
    kq_status st = kq_cli_write_file(path, encode_elbow_csv, fig, err,
                                     sizeof err);
    if (st != KQ_OK)
        return kq_cli_fail(path, st, err);
    note_written(fig, path);
    return KQ_EXIT_OK;
}

static int write_elbow(kq_cli_figures *fig)
{
    const kq_cli_options *opts = fig->opts;
    char path[PATH_LEN];
    snprintf(path, sizeof path, "%s/elbow_k%d-%d.png", plots_dir(opts),
             opts->k_first, opts->k_last);
    kq_image figure = {0};
    kq_status st = kq_plot_elbow(fig->ks, fig->inertia, fig->count,
                                 KQ_PLOT_ELBOW_WIDTH, KQ_PLOT_ELBOW_HEIGHT,
                                 &figure);
    int code = save(fig, path, st, &figure);
    if (code != KQ_EXIT_OK)
        return code;
    snprintf(path, sizeof path, "%s/elbow_k%d-%d.csv", plots_dir(opts),
             opts->k_first, opts->k_last);
    return write_elbow_csv(fig, path);
}

int kq_cli_figures_finish(kq_cli_figures *fig)
{
    if (!fig)
        return KQ_EXIT_OK;
    int code = KQ_EXIT_OK;
    if (fig->sweep) {
        char path[PATH_LEN];
        grid_path(fig->opts, path, sizeof path);
        kq_image figure = {0};
        kq_status st = kq_plot_grid(fig->panels, fig->ks, fig->count,
                                    &figure);
        code = save(fig, path, st, &figure);
        if (code == KQ_EXIT_OK && fig->opts->plots)
            code = write_elbow(fig);
    }
    if (code == KQ_EXIT_OK)
        print_written(fig);
    return code;
}

void kq_cli_figures_free(kq_cli_figures *fig)
{
    if (!fig)
        return;
    for (int i = 0; fig->panels && i < fig->count; i++)
        kq_image_free(&fig->panels[i]);
    free(fig->panels);
    free(fig->ks);
    free(fig->inertia);
    free(fig->metrics);
    free(fig->written);
    free(fig);
}
