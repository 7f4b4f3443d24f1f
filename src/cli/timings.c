/* timings.c - perf: --timings, how long each stage of a run took. */
#include "cli.h"

#include <stdio.h>
#include <time.h>

double kq_cli_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

void kq_cli_print_timings(const kq_cli_timings *t, int k)
{
    fprintf(stderr,
            "kquant: timings: k=%d load %.1f ms, resize %.1f ms, histogram "
            "%.1f ms, seeding %.1f ms, iterations %.1f ms, recolour %.1f ms, "
            "write %.1f ms\n",
            k, 1e3 * t->load, 1e3 * t->resize, 1e3 * t->histogram,
            1e3 * t->seeding, 1e3 * t->iterations, 1e3 * t->recolour,
            1e3 * t->write);
}
