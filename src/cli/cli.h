/* cli.h - the kquant program's parts: options, messages, the run, reports. */
#ifndef KQ_CLI_H
#define KQ_CLI_H

#include "kquant.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Exit codes, from sysexits.h. */
enum {
    KQ_EXIT_OK = 0,
    KQ_EXIT_USAGE = 64,
    KQ_EXIT_DATAERR = 65,
    KQ_EXIT_NOINPUT = 66,
    KQ_EXIT_UNAVAILABLE = 69,
    KQ_EXIT_SOFTWARE = 70,
    KQ_EXIT_CANTCREAT = 73,
    KQ_EXIT_IOERR = 74,
    KQ_EXIT_TEMPFAIL = 75
};

#define KQ_DEFAULT_WIDTH 240
#define KQ_DEFAULT_HEIGHT 320
#define KQ_DEFAULT_OUTPUT_DIR "output"

/* Everything the command line says; filled by kq_cli_parse only. */
typedef struct {
    const char *input;      /* file path; "/dev/stdin" for "-" */
    const char *output;     /* NULL: the default name */
    const char *centroids;  /* NULL: beside output; "-": stdout */
    int k_first, k_last;    /* equal unless a range was given */
    bool native_size;
    bool ignore_orientation; /* --ignore-orientation: JPEGs as stored */
    bool ignore_color_profile; /* --ignore-color-profile: stored numbers */
    int width, height;
    kq_kmeans_params kmeans; /* k is set per run */
    size_t max_pixels;
    bool json;
    /* compression, palettes, quality (issue 7) */
    bool truecolor;              /* --truecolor: no palette PNG */
    const char *palette;         /* --palette FILE, NULL: none */
    kq_palette_order sort;       /* --sort */
    unsigned char background[3]; /* --background, default white */
    bool sklearn;           /* sklearn mode: kq_kmeans_fit_sklearn */
    bool timings;            /* perf: --timings, stage times on stderr */
    bool quiet;
    bool show_help;
    bool show_version;
    /* fetch (issue 3): --url input, download limits, --save-input */
    const char *url;         /* download the input (input is then the URL) */
    long timeout_ms;         /* whole download, --timeout */
    size_t max_bytes;        /* largest body accepted, --max-bytes */
    const char *save_input;  /* write the resized input here; NULL: not */
    /* figures (plots feature) */
    bool plots;             /* --plots, or implied by --plots-dir */
    const char *plots_dir;  /* NULL: KQ_DEFAULT_OUTPUT_DIR */
    kq_plot_view view;      /* --view AZIMUTH,ELEVATION */
} kq_cli_options;

/* Parses argv into *opts. Returns KQ_EXIT_OK, or KQ_EXIT_USAGE after
 * printing one line naming the bad option. */
int kq_cli_parse(int argc, char **argv, kq_cli_options *opts);

/* Whether the centroid table goes to stdout (--centroids -), in place of
 * the summary. */
bool kq_cli_table_on_stdout(const kq_cli_options *opts);

/* Whether the recoloured image goes to stdout (OUTPUT -), as a PNG. */
bool kq_cli_image_on_stdout(const kq_cli_options *opts);

/* Where the summary and the figures' names go: stdout, or stderr when
 * the image is on stdout. */
FILE *kq_cli_summary_stream(const kq_cli_options *opts);

/* "-", the name of stdin or stdout. */
bool kq_cli_is_dash(const char *name);

/* The format an output name asks for: PNG for stdout ("-"), else the
 * extension's. */
kq_format kq_cli_output_format(const char *path);

/* How messages name an output: "stdout" for "-", else the path. */
const char *kq_cli_output_name(const char *path);

void kq_cli_print_help(void);

/* Prints "kquant: <what>: <why>" to stderr. */
void kq_cli_error(const char *what, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Prints "kquant: <what>: <detail>" (the status's text when detail is NULL
 * or empty) and returns the status's exit code. */
int kq_cli_fail(const char *what, kq_status status, const char *detail);

/* The exit code documented for a library status. */
int kq_cli_exit_code(kq_status status);

/* fetch (issue 3), fetch_input.c: each prints its one error line and
 * returns the exit code. kq_cli_fetch_input downloads opts->url and decodes
 * it into *out; kq_cli_check_save_input refuses an unknown --save-input
 * format; kq_cli_save_input writes img there when asked. */
int kq_cli_fetch_input(const kq_cli_options *opts, const kq_load_options *lo,
                       kq_image *out);
int kq_cli_check_save_input(const kq_cli_options *opts);
int kq_cli_save_input(const kq_cli_options *opts, const kq_image *img);

/* path with tag inserted before its extension and the extension replaced
 * by ext when ext is not NULL: ("a/b.png", "_k3", ".csv") -> "a/b_k3.csv".
 * Returns a new string (free()), or NULL when memory runs out. */
char *kq_cli_path_variant(const char *path, const char *tag, const char *ext);

/* Runs the whole job; returns the exit code. */
int kq_cli_run(const kq_cli_options *opts);

/* ---- compression, palettes, quality (issue 7; compression.c) ---- */

/* Sizes and quality numbers of one k's image. */
typedef struct {
    size_t file_bytes;   /* the image file written */
    size_t png24_bytes;  /* the same pixels as a 24-bit PNG */
    size_t raw_bytes;    /* width * height * 3 */
    int bit_depth;       /* bits per index of a palette PNG; 0 otherwise */
    double mse, psnr_db; /* PSNR is INFINITY for a perfect copy */
    double delta_e_mean, delta_e_max; /* CIEDE2000 */
    const char *palette; /* the palette file written, or NULL */
} kq_run_metrics;

/* "share", "luminance", "hue" or "cluster"; false for anything else. */
bool kq_cli_parse_sort(const char *text, kq_palette_order *out);

/* "#rrggbb" or "rrggbb" (hex digits, either case); false otherwise. */
bool kq_cli_parse_background(const char *text, unsigned char rgb[3]);

/* Refuses a --palette name whose extension names no format (exit 64). */
int kq_cli_check_palette_name(const kq_cli_options *opts);

/* Writes the recoloured image: a palette PNG for .png (or stdout) and
 * k <= 256 unless --truecolor, else the format of the extension. Sets
 * m->bit_depth and m->file_bytes. A
 * palette PNG is written from the labels and the size of the clustered
 * image: recoloured may be NULL then. */
int kq_cli_write_image(const kq_cli_options *opts, const char *path,
                       const kq_image *clustered, const kq_image *recoloured,
                       const kq_kmeans_result *r, kq_run_metrics *m);

/* Whether kq_cli_write_image writes path as a palette PNG for k colours. */
bool kq_cli_wants_palette_png(const kq_cli_options *opts, const char *path,
                              int k);

/* The summary's 24-bit PNG size of the recoloured image: with threads
 * other than 1 it is found on a second thread from kq_cli_png24_start on,
 * beside the output's own encoding and the quality numbers (12 MP, k=256:
 * 0.8 s of deflate); with 1, in kq_cli_png24_finish. */
typedef struct {
    const kq_image *image;
    size_t bytes;
    kq_status status;
    pthread_t thread;
    bool apart;
} kq_cli_png24;

void kq_cli_png24_start(kq_cli_png24 *job, const kq_image *recoloured,
                        int threads);

/* Waits for the size (wanted false: only for the thread, no encoding) and
 * returns its status. */
kq_status kq_cli_png24_finish(kq_cli_png24 *job, bool wanted);

/* The quality numbers of recoloured against the clustered input (colours:
 * counted from it). */
int kq_cli_quality(const kq_image *clustered, kq_colours *colours,
                   const kq_image *recoloured, kq_run_metrics *m);

/* The sizes: raw, and of the 24-bit PNG from png24, which it finishes
 * (the image's own, m->file_bytes, is set by kq_cli_write_image). */
int kq_cli_sizes(const kq_image *recoloured, kq_cli_png24 *png24,
                 kq_run_metrics *m);

/* Writes the palette file at path (atomically) and records it in m. */
int kq_cli_write_palette(const char *path, const kq_kmeans_result *r,
                         kq_run_metrics *m);

/* What one k produced, for the reports. */
typedef struct {
    const char *input;
    int input_width, input_height;
    const char *color_profile; /* turned into sRGB from it; "": none */
    int width, height;       /* the clustered size */
    const char *output;
    const char *centroids;   /* NULL when the table went to stdout */
    const kq_kmeans_result *result;
    uint64_t seed;
    const kq_run_metrics *metrics; /* issue 7; NULL: not measured */
    FILE *stream;            /* kq_cli_summary_stream */
    bool sklearn;            /* sklearn mode: say so, and its n_init */
    int n_init;
} kq_run_report;

void kq_report_text(const kq_run_report *report);
void kq_report_json(const kq_run_report *report, bool first, bool last,
                    bool in_list);

/* ---- figures (plots.c, plots feature) ----
 * The run's figures: with --plots the pixel scatter (at begin) and a
 * cluster scatter per k (at add); for a sweep the grid of recoloured
 * images (always) and, with --plots, the elbow plot and its CSV (at
 * finish). Each returns an exit code; all accept a NULL state, which is
 * what begin gives when the run draws nothing. */
typedef struct kq_cli_figures kq_cli_figures;

int kq_cli_figures_begin(const kq_cli_options *opts, const float *pixels,
                         size_t n, kq_cli_figures **out);
int kq_cli_figures_add(kq_cli_figures *fig, const kq_kmeans_result *result,
                       const kq_image *recoloured,
                       const kq_run_metrics *metrics);
int kq_cli_figures_finish(kq_cli_figures *fig);
void kq_cli_figures_free(kq_cli_figures *fig);
/* ---- hardening (issue 8): signals.c, safety.c ---- */

/* Makes SIGINT and SIGTERM remove pending temporary outputs and exit with
 * 130 and 143 (signals ignored at start stay ignored). */
void kq_cli_signals_install(void);

/* kq_atomic_open/commit/abort that also keep the temporary path in the
 * table the signal handler cleans up. */
kq_status kq_cli_atomic_open(const char *path, kq_atomic_file **out,
                             char *err, size_t err_len);
kq_status kq_cli_atomic_commit(kq_atomic_file *file, char *err,
                               size_t err_len);
void kq_cli_atomic_abort(kq_atomic_file *file);

/* Fills an output stream; returns KQ_OK or the failure (with err). */
typedef kq_status (*kq_cli_encoder)(FILE *stream, const void *data,
                                    char *err, size_t err_len);

/* Writes path atomically through the functions above: encode(stream, data)
 * fills the temporary file, which is then committed, or removed when
 * encode fails (outputs.c). */
kq_status kq_cli_write_file(const char *path, kq_cli_encoder encode,
                            const void *data, char *err, size_t err_len);

/* kq_cli_write_file, and also to stdout when path is "-"; *bytes: the
 * size written. */
kq_status kq_cli_write_output(const char *path, kq_cli_encoder encode,
                              const void *data, size_t *bytes, char *err,
                              size_t err_len);

/* kq_cli_write_output with the image encoder kq_cli_output_format names;
 * bytes may be NULL. */
kq_status kq_cli_save_image(const char *path, const kq_image *img,
                            size_t *bytes, char *err, size_t err_len);

/* Refuses (KQ_EXIT_USAGE, one message) a clustering size above
 * --max-pixels. */
int kq_cli_check_limits(const kq_cli_options *opts);

/* Refuses (KQ_EXIT_USAGE, one message) an output path that names the same
 * file as the input. Either may be NULL or not exist. */
int kq_cli_check_not_input(const char *input, const char *output);
/* perf: seconds spent in each stage of one k (timings.c). */
typedef struct {
    double load, resize, histogram, seeding, iterations, recolour, write;
} kq_cli_timings;

/* A monotonic clock in seconds. */
double kq_cli_now(void);

/* Prints "kquant: timings: k=K load ... ms, ..." to stderr. */
void kq_cli_print_timings(const kq_cli_timings *t, int k);

#endif /* KQ_CLI_H */
