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
    return kq_cli_run(&opts);
}
