/* options.c - the command line into a kq_cli_options, and --help.
 *
 * Numbers are parsed with strtoll/strtod, an end pointer and range checks:
 * "3x", "", " 3" and out-of-range values are all refused. */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_SIDE 65535
#define MAX_SEED 4294967295LL /* numpy's RandomState takes 0..2^32-1 */
#define MAX_ITER 1000000
#define MAX_PIXELS_LIMIT 1000000000000LL /* far above any memory here */
#define MAX_TIMEOUT_S 86400.0 /* fetch (issue 3): a day */

enum {
    OPT_CENTROIDS = 256,
    OPT_SIZE,
    OPT_SEED,
    OPT_N_INIT,
    OPT_MAX_ITER,
    OPT_TOL,
    OPT_JSON,
    OPT_MAX_PIXELS,
    /* issue 7: compression, palettes, quality */
    OPT_TRUECOLOR,
    OPT_PALETTE,
    OPT_SORT,
    OPT_BACKGROUND,
    /* fetch (issue 3) */
    OPT_URL,
    OPT_TIMEOUT,
    OPT_MAX_BYTES,
    OPT_SAVE_INPUT,
    OPT_PLOTS, /* plots feature */
    OPT_PLOTS_DIR,
    OPT_VIEW,
    OPT_SKLEARN, /* sklearn mode */
    OPT_IGNORE_ORIENTATION,
    OPT_IGNORE_COLOR_PROFILE,
    OPT_TIMINGS /* perf */
};

static const struct option long_options[] = {
    {"clusters", required_argument, NULL, 'k'},
    {"output", required_argument, NULL, 'o'},
    {"centroids", required_argument, NULL, OPT_CENTROIDS},
    {"size", required_argument, NULL, OPT_SIZE},
    {"seed", required_argument, NULL, OPT_SEED},
    {"n-init", required_argument, NULL, OPT_N_INIT},
    {"max-iter", required_argument, NULL, OPT_MAX_ITER},
    {"tol", required_argument, NULL, OPT_TOL},
    {"json", no_argument, NULL, OPT_JSON},
    {"max-pixels", required_argument, NULL, OPT_MAX_PIXELS},
    /* issue 7 */
    {"truecolor", no_argument, NULL, OPT_TRUECOLOR},
    {"palette", required_argument, NULL, OPT_PALETTE},
    {"sort", required_argument, NULL, OPT_SORT},
    {"background", required_argument, NULL, OPT_BACKGROUND},
    /* fetch (issue 3) */
    {"url", required_argument, NULL, OPT_URL},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"max-bytes", required_argument, NULL, OPT_MAX_BYTES},
    {"save-input", required_argument, NULL, OPT_SAVE_INPUT},
    {"plots", no_argument, NULL, OPT_PLOTS}, /* plots feature */
    {"plots-dir", required_argument, NULL, OPT_PLOTS_DIR},
    {"view", required_argument, NULL, OPT_VIEW},
    {"sklearn", no_argument, NULL, OPT_SKLEARN},
    {"ignore-orientation", no_argument, NULL, OPT_IGNORE_ORIENTATION},
    {"ignore-color-profile", no_argument, NULL, OPT_IGNORE_COLOR_PROFILE},
    {"threads", required_argument, NULL, 'j'}, /* perf */
    {"timings", no_argument, NULL, OPT_TIMINGS}, /* perf */
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

static void print_options(void)
{
    printf("Usage: kquant [options] INPUT [OUTPUT]\n"
           "       kquant [options] --url URL [OUTPUT]\n"
           "Recolour an image with its k most representative colours "
           "(k-means).\n"
           "Reads %s.\n",
           kq_image_formats());
    printf(
        "INPUT - reads the image from stdin; OUTPUT - writes a PNG to stdout\n"
        "(the summary then goes to stderr, and no table unless --centroids).\n"
        "\n"
        "  -k, --clusters N|A..B  number of colours (1..4096), or a range to\n"
        "                         sweep (default 8)\n"
        "  -o, --output FILE      recoloured image: .png .jpg .jpeg .bmp .tga,\n"
        "                         or - for a PNG on stdout\n"
        "                         (default output/image_output_k<K>.png)\n"
        "      --centroids FILE   centroid table as CSV, - for stdout (not with\n"
        "                         --json; a range's rows then start with k)\n"
        "                         (default: OUTPUT with extension .csv)\n"
        "      --size WxH|native  resize before clustering, sides 1..65535, at\n"
        "                         most --max-pixels in all (default 240x320)\n"
        "      --ignore-orientation  keep a JPEG's or TIFF's pixels as stored\n"
        "                         (default: turned upright by its EXIF\n"
        "                         orientation)\n"
        "      --ignore-color-profile  keep an image's stored colour numbers\n"
        "                         (default: turned into sRGB by its\n"
        "                         embedded ICC profile)\n"
        "      --seed N           random seed, 0..4294967295 (default 42)\n"
        "      --n-init N         k-means restarts, 1..1000, best kept "
        "(default 1)\n"
        "      --max-iter N       iteration cap per restart, 1..1000000 "
        "(default 300)\n"
        "      --tol X            tolerance, scikit-learn's meaning "
        "(default 1e-4)\n"
        "      --max-pixels N     refuse larger inputs (default 100000000)\n"
        "      --json             print a JSON summary instead of the table\n"
        "      --truecolor        write .png as 24-bit RGB, not as a palette "
        "PNG\n"
        "      --palette FILE     also write the colours: .gpl .json .css .txt "
        ".csv\n"
        "      --sort ORDER       palette order: cluster (default), share,\n"
        "                         luminance (dark first), hue (greys first)\n"
        "      --background COLOR #rrggbb that transparent pixels are blended\n"
        "                         onto before clustering (default #ffffff)\n"
        /* fetch (issue 3) */
        "      --url URL          download the input over http or https\n"
        "                         (redirects: at most 5, http/https only)\n"
        "      --timeout SECONDS  download time limit (default 60; connecting\n"
        "                         gets at most 10 of them)\n"
        "      --max-bytes N      largest download accepted (default 67108864,\n"
        "                         64 MiB)\n"
        "      --save-input FILE  also write the resized input image to FILE\n"
        "      --plots            also draw the figures: "
        "scatter3d_pixel_color.png,\n"
        "                         scatter3d_cluster_k<K>.png and, for a "
        "range,\n"
        "                         image_output_k<A>-<B>.png and "
        "elbow_k<A>-<B>.png/.csv\n"
        "      --plots-dir DIR    folder for the figures, implies --plots\n"
        "                         (default output)\n"
        "      --view AZ,EL       3-D camera: azimuth from +R towards +G and\n"
        "                         elevation, in degrees (default 60,22)\n"
        "      --sklearn          compute exactly what scikit-learn 1.2.1's\n"
        "                         KMeans(n_clusters=K, random_state=SEED,\n"
        "                         n_init=N, algorithm=\"lloyd\") computes\n"
        "                         (same centres, order, labels, inertia)\n"
        "  -j, --threads N        threads for k-means, PNG compression, TIFF\n"
        "                         decoding and colour profiles, 0..256, 0 for\n"
        "                         all cores (default 0; 1 also keeps the\n"
        "                         summary's numbers on one);\n"
        "                         outputs are identical for every N\n"
        "      --timings          print each stage's time on stderr\n"
        "  -q, --quiet            print nothing on success\n"
        "  -h, --help             show this help\n"
        "  -V, --version          show the version\n");
}

static void print_notes(void)
{
    printf(
        "\n"
        "With a range (-k 2..10) every k is written, with _k<K> added to\n"
        "OUTPUT and the table and palette names when they are given, and a\n"
        "grid of all of them: OUTPUT with _k<A>-<B> added, or\n"
        "output/image_output_k<A>-<B>.png (in the figures' folder with "
        "--plots).\n"
        "A .png output with k <= 256 is a palette PNG of 1, 2, 4 or 8 bits\n"
        "per pixel; the summary compares its size with a 24-bit PNG and raw\n"
        "RGB and gives MSE, PSNR and CIEDE2000 against the resized input.\n"
        "\n"
        "Exit codes: 0 ok, 64 bad usage, 65 bad input data (not an image,\n"
        "too large, k above the pixel count), 66 input missing or "
        "unreadable,\n"
        "69 network failure (DNS, connection, TLS, HTTP status, redirect),\n"
        "70 internal error, 73 cannot create output,\n"
        "74 write error, 75 temporary network failure (timeout),\n"
        "130/143 interrupted by SIGINT/SIGTERM, 141 stdout closed early\n"
        "(SIGPIPE, e.g. '| head'); no partial output file is left.\n");
}

void kq_cli_print_help(void)
{
    print_options();
    print_notes();
}

/* A whole-string integer in [min, max]; false for anything else. */
static bool parse_integer(const char *text, long long min, long long max,
                          long long *out)
{
    if (!text || !*text || (*text != '-' && (*text < '0' || *text > '9')))
        return false;
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max)
        return false;
    *out = v;
    return true;
}

static bool parse_int_option(const char *text, int min, int max, int *out)
{
    long long v;
    if (!parse_integer(text, min, max, &v))
        return false;
    *out = (int)v;
    return true;
}

static bool parse_k(const char *text, kq_cli_options *opts)
{
    const char *dots = strstr(text, "..");
    if (!dots)
        return parse_int_option(text, 1, KQ_MAX_CLUSTERS, &opts->k_first) &&
               (opts->k_last = opts->k_first, true);
    char first[32];
    size_t len = (size_t)(dots - text);
    if (len == 0 || len >= sizeof first)
        return false;
    memcpy(first, text, len);
    first[len] = '\0';
    return parse_int_option(first, 1, KQ_MAX_CLUSTERS, &opts->k_first) &&
           parse_int_option(dots + 2, 1, KQ_MAX_CLUSTERS, &opts->k_last) &&
           opts->k_first <= opts->k_last;
}

static bool parse_size(const char *text, kq_cli_options *opts)
{
    if (strcmp(text, "native") == 0) {
        opts->native_size = true;
        return true;
    }
    const char *x = strchr(text, 'x');
    char width[32];
    size_t len = x ? (size_t)(x - text) : 0;
    if (!x || len == 0 || len >= sizeof width)
        return false;
    memcpy(width, text, len);
    width[len] = '\0';
    opts->native_size = false;
    return parse_int_option(width, 1, MAX_SIDE, &opts->width) &&
           parse_int_option(x + 1, 1, MAX_SIDE, &opts->height);
}

static bool parse_tol(const char *text, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (!*text || errno != 0 || *end != '\0' || !isfinite(v) || v < 0)
        return false;
    *out = v;
    return true;
}

static bool parse_seed(const char *text, uint64_t *out)
{
    long long v;
    if (!parse_integer(text, 0, MAX_SEED, &v))
        return false;
    *out = (uint64_t)v;
    return true;
}

static bool parse_max_pixels(const char *text, size_t *out)
{
    long long v;
    if (!parse_integer(text, 1, MAX_PIXELS_LIMIT, &v))
        return false;
    *out = (size_t)v;
    return true;
}

/* fetch (issue 3): --timeout in seconds (fractions allowed), kept in ms. */
static bool parse_timeout(const char *text, long *ms_out)
{
    double seconds;
    if (!parse_tol(text, &seconds) || seconds < 0.001 ||
        seconds > MAX_TIMEOUT_S)
        return false;
    *ms_out = (long)(seconds * 1000.0 + 0.5);
    return true;
}

/* fetch (issue 3): --max-bytes; stb_image reads at most INT_MAX bytes. */
static bool parse_max_bytes(const char *text, size_t *out)
{
    long long v;
    if (!parse_integer(text, 1, INT_MAX, &v))
        return false;
    *out = (size_t)v;
    return true;
}

/* "AZIMUTH,ELEVATION" in degrees: azimuth -360..360, elevation -90..90. */
static bool parse_view(const char *text, kq_plot_view *view)
{
    char *comma, *end;
    errno = 0;
    double az = strtod(text, &comma);
    if (comma == text || *comma != ',' || errno != 0)
        return false;
    double el = strtod(comma + 1, &end);
    if (end == comma + 1 || *end != '\0' || errno != 0 || !isfinite(az) ||
        !isfinite(el) || fabs(az) > 360.0 || fabs(el) > 90.0)
        return false;
    view->azimuth = az;
    view->elevation = el;
    return true;
}

static void set_defaults(kq_cli_options *opts)
{
    memset(opts, 0, sizeof *opts);
    opts->k_first = opts->k_last = 8;
    opts->width = KQ_DEFAULT_WIDTH;
    opts->height = KQ_DEFAULT_HEIGHT;
    kq_kmeans_params_default(&opts->kmeans);
    opts->max_pixels = KQ_DEFAULT_MAX_PIXELS;
    memset(opts->background, 255, sizeof opts->background); /* issue 7 */
    opts->timeout_ms = KQ_FETCH_DEFAULT_TIMEOUT_MS; /* fetch (issue 3) */
    opts->max_bytes = KQ_FETCH_DEFAULT_MAX_BYTES;
    kq_plot_view_default(&opts->view); /* plots feature */
}

/* Applies one option; false when its value is malformed. */
static bool apply_option(int c, const char *arg, kq_cli_options *opts)
{
    kq_kmeans_params *km = &opts->kmeans;
    switch (c) {
    case 'k': return parse_k(arg, opts);
    case 'o': opts->output = arg; return true;
    case OPT_CENTROIDS: opts->centroids = arg; return true;
    case OPT_SIZE: return parse_size(arg, opts);
    case OPT_SEED: return parse_seed(arg, &km->seed);
    case OPT_N_INIT: return parse_int_option(arg, 1, 1000, &km->n_init);
    case OPT_MAX_ITER: return parse_int_option(arg, 1, MAX_ITER, &km->max_iter);
    case OPT_TOL: return parse_tol(arg, &km->tol);
    case OPT_JSON: opts->json = true; return true;
    case OPT_MAX_PIXELS: return parse_max_pixels(arg, &opts->max_pixels);
    /* issue 7 */
    case OPT_TRUECOLOR: opts->truecolor = true; return true;
    case OPT_PALETTE: opts->palette = arg; return *arg != '\0';
    case OPT_SORT: return kq_cli_parse_sort(arg, &opts->sort);
    case OPT_BACKGROUND: return kq_cli_parse_background(arg, opts->background);
    /* fetch (issue 3) */
    case OPT_URL: opts->url = arg; return *arg != '\0';
    case OPT_TIMEOUT: return parse_timeout(arg, &opts->timeout_ms);
    case OPT_MAX_BYTES: return parse_max_bytes(arg, &opts->max_bytes);
    case OPT_SAVE_INPUT: opts->save_input = arg; return *arg != '\0';
    case OPT_PLOTS: opts->plots = true; return true; /* plots feature */
    case OPT_PLOTS_DIR:
        opts->plots = true;
        opts->plots_dir = arg;
        return *arg != '\0';
    case OPT_VIEW: return parse_view(arg, &opts->view);
    case OPT_SKLEARN: opts->sklearn = true; return true;
    case OPT_IGNORE_ORIENTATION: opts->ignore_orientation = true; return true;
    case OPT_IGNORE_COLOR_PROFILE:
        opts->ignore_color_profile = true;
        return true;
    case 'j': return parse_int_option(arg, 0, 256, &km->threads); /* perf */
    case OPT_TIMINGS: opts->timings = true; return true;          /* perf */
    case 'q': opts->quiet = true; return true;
    case 'h': opts->show_help = true; return true;
    case 'V': opts->show_version = true; return true;
    default: return false;
    }
}

static const char *option_name(int c, int long_index, char *buf, size_t len)
{
    if (long_index >= 0)
        snprintf(buf, len, "--%s", long_options[long_index].name);
    else
        snprintf(buf, len, "-%c", c);
    return buf;
}

static int take_operands(int argc, char **argv, kq_cli_options *opts)
{
    int left = argc - optind;
    if (opts->show_help || opts->show_version)
        return KQ_EXIT_OK;
    if (opts->url) { /* fetch (issue 3): the one operand is OUTPUT */
        if (left > 1 || (left == 1 && opts->output)) {
            kq_cli_error("usage", "too many arguments: --url replaces INPUT "
                         "(try 'kquant --help')");
            return KQ_EXIT_USAGE;
        }
        opts->input = opts->url;
        if (left == 1)
            opts->output = argv[optind];
        return KQ_EXIT_OK;
    }
    if (left < 1) {
        kq_cli_error("usage", "no input image given (try 'kquant --help')");
        return KQ_EXIT_USAGE;
    }
    if (left > 2 || (left == 2 && opts->output)) {
        kq_cli_error("usage", "too many arguments (try 'kquant --help')");
        return KQ_EXIT_USAGE;
    }
    /* "-" is stdin, as for most tools; a file named - is ./- */
    bool from_stdin = kq_cli_is_dash(argv[optind]);
    opts->input = from_stdin ? "/dev/stdin" : argv[optind];
    if (from_stdin && isatty(STDIN_FILENO)) {
        /* a terminal would only wait for bytes nobody types */
        kq_cli_error("usage", "INPUT - is stdin, which is a terminal; "
                     "pipe or redirect an image into it");
        return KQ_EXIT_USAGE;
    }
    if (left == 2)
        opts->output = argv[optind + 1];
    return KQ_EXIT_OK;
}

bool kq_cli_table_on_stdout(const kq_cli_options *opts)
{
    return kq_cli_is_dash(opts->centroids);
}

bool kq_cli_image_on_stdout(const kq_cli_options *opts)
{
    return kq_cli_is_dash(opts->output);
}

FILE *kq_cli_summary_stream(const kq_cli_options *opts)
{
    return kq_cli_image_on_stdout(opts) ? stderr : stdout;
}

/* "-" names stdout only for the image and the table: a palette or input
 * file there would be mixed with them. */
static bool dash_refused(const char *value, const char *what)
{
    if (!kq_cli_is_dash(value))
        return false;
    kq_cli_error(what, "cannot write to stdout ('-' is stdout only for "
                 "OUTPUT and --centroids); name a file");
    return true;
}

/* The image on stdout is one PNG: not several, not mixed with the table,
 * not poured onto a terminal. */
static int check_image_on_stdout(const kq_cli_options *opts)
{
    if (!kq_cli_image_on_stdout(opts))
        return KQ_EXIT_OK;
    const char *why = NULL;
    if (opts->k_first != opts->k_last)
        why = "a range writes one image per k; name a file for OUTPUT";
    else if (kq_cli_table_on_stdout(opts))
        why = "OUTPUT - and --centroids - both write to stdout; give "
              "--centroids a file";
    else if (isatty(STDOUT_FILENO))
        why = "OUTPUT - is stdout, which is a terminal; redirect it or name "
              "a file";
    if (!why)
        return KQ_EXIT_OK;
    kq_cli_error("usage", "%s", why);
    return KQ_EXIT_USAGE;
}

/* Outputs that would claim stdout are refused rather than dropped or
 * mixed without a word. */
static int check_stdout_claims(const kq_cli_options *opts)
{
    if (opts->show_help || opts->show_version)
        return KQ_EXIT_OK;
    if (dash_refused(opts->palette, "--palette") ||
        dash_refused(opts->save_input, "--save-input"))
        return KQ_EXIT_USAGE;
    if (opts->json && kq_cli_table_on_stdout(opts)) {
        kq_cli_error("usage", "--json and --centroids - both write to "
                     "stdout; give --centroids a file");
        return KQ_EXIT_USAGE;
    }
    return check_image_on_stdout(opts);
}

int kq_cli_parse(int argc, char **argv, kq_cli_options *opts)
{
    set_defaults(opts);
    opterr = 0; /* we word the messages ourselves */
    optind = 1;
    for (;;) {
        int long_index = -1;
        int c = getopt_long(argc, argv, ":k:o:j:qhV", long_options, &long_index);
        if (c == -1)
            break;
        char name[64];
        if (c == '?') {
            kq_cli_error("usage", "unknown option '%s' (try 'kquant --help')",
                         argv[optind - 1]);
            return KQ_EXIT_USAGE;
        }
        if (c == ':') {
            kq_cli_error("usage", "option '%s' needs a value",
                         argv[optind - 1]);
            return KQ_EXIT_USAGE;
        }
        if (!apply_option(c, optarg, opts)) {
            kq_cli_error(option_name(c, long_index, name, sizeof name),
                         "invalid value '%s' (see 'kquant --help')", optarg);
            return KQ_EXIT_USAGE;
        }
    }
    int code = take_operands(argc, argv, opts);
    return code == KQ_EXIT_OK ? check_stdout_claims(opts) : code;
}
