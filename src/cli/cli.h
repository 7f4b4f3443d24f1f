/* cli.h - the kquant program's parts: options, messages, the run, reports. */
#ifndef KQ_CLI_H
#define KQ_CLI_H

#include "kquant.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
    const char *input;      /* file path */
    const char *output;     /* NULL: the default name */
    const char *centroids;  /* NULL: beside output; "-": stdout */
    int k_first, k_last;    /* equal unless a range was given */
    bool native_size;
    int width, height;
    kq_kmeans_params kmeans; /* k is set per run */
    size_t max_pixels;
    bool json;
    bool timings;            /* perf: --timings, stage times on stderr */
    bool quiet;
    bool show_help;
    bool show_version;
} kq_cli_options;

/* Parses argv into *opts. Returns KQ_EXIT_OK, or KQ_EXIT_USAGE after
 * printing one line naming the bad option. */
int kq_cli_parse(int argc, char **argv, kq_cli_options *opts);

void kq_cli_print_help(void);

/* Prints "kquant: <what>: <why>" to stderr. */
void kq_cli_error(const char *what, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The exit code documented for a library status. */
int kq_cli_exit_code(kq_status status);

/* Runs the whole job; returns the exit code. */
int kq_cli_run(const kq_cli_options *opts);

/* What one k produced, for the reports. */
typedef struct {
    const char *input;
    int input_width, input_height;
    int width, height;       /* the clustered size */
    const char *output;
    const char *centroids;   /* NULL when the table went to stdout */
    const kq_kmeans_result *result;
    uint64_t seed;
} kq_run_report;

void kq_report_text(const kq_run_report *report);
void kq_report_json(const kq_run_report *report, bool first, bool last,
                    bool in_list);

/* perf: seconds spent in each stage of one k (timings.c). */
typedef struct {
    double load, resize, histogram, seeding, iterations, recolour, write;
} kq_cli_timings;

/* A monotonic clock in seconds. */
double kq_cli_now(void);

/* Prints "kquant: timings: k=K load ... ms, ..." to stderr. */
void kq_cli_print_timings(const kq_cli_timings *t, int k);

#endif /* KQ_CLI_H */
