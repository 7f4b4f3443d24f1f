/* main.c - kquant: parse the command line, run, map status to exit code. */
#include "cli.h"

#include <stdio.h>

int main(int argc, char **argv)
{
    kq_cli_options opts;
    int code = kq_cli_parse(argc, argv, &opts);
    if (code != KQ_EXIT_OK)
        return code;
    if (opts.show_help) {
        kq_cli_print_help();
        return KQ_EXIT_OK;
    }
    if (opts.show_version) {
        printf("kquant %s\n", KQ_VERSION);
        return KQ_EXIT_OK;
    }
    kq_cli_signals_install(); /* hardening (issue 8) */
    /* fetch (issue 3): libcurl's process-wide setup, once, before the run */
    if (opts.url && kq_fetch_global_init() != KQ_OK) {
        kq_cli_error("libcurl", "cannot load or initialise it (--url needs "
                                "Debian's libcurl4)");
        return KQ_EXIT_SOFTWARE;
    }
    code = kq_cli_run(&opts);
    if (opts.url)
        kq_fetch_global_cleanup();
    return code;
}
