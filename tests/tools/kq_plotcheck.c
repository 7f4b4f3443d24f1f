/* kq_plotcheck - checks a sweep's grid the CLI wrote against the per-k
 * images beside it, for the CLI tests (plots feature).
 *
 *   kq_plotcheck grid GRID A B STEM
 * GRID must have the size kq_plot_grid_layout gives for B-A+1 panels of
 * the per-k images' size; panel i must show STEM<A+i>.png (scaled by
 * nearest neighbour) and hold at most A+i colours. Exit status 0 when all
 * holds, 1 when not, 2 on misuse. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stb_image.h>

#include "kquant.h"

#define MAX_COLOURS 4096

static unsigned char *load(const char *path, int *w, int *h)
{
    int comp;
    unsigned char *px = stbi_load(path, w, h, &comp, 3);
    if (!px)
        fprintf(stderr, "kq_plotcheck: %s: %s\n", path, stbi_failure_reason());
    return px;
}

static unsigned rgb_at(const unsigned char *px, int width, int x, int y)
{
    const unsigned char *p = px + 3 * ((size_t)y * (size_t)width + (size_t)x);
    return (unsigned)p[0] << 16 | (unsigned)p[1] << 8 | p[2];
}

/* Compares panel r of the grid with the image and counts its colours. */
static int check_panel(const unsigned char *grid, int grid_w, kq_plot_rect r,
                       const unsigned char *img, int w, int h, int k)
{
    static unsigned seen[MAX_COLOURS];
    int colours = 0;
    for (int y = 0; y < r.height; y++) {
        for (int x = 0; x < r.width; x++) {
            unsigned c = rgb_at(grid, grid_w, r.x + x, r.y + y);
            int sx = (int)((long long)x * w / r.width);
            int sy = (int)((long long)y * h / r.height);
            if (c != rgb_at(img, w, sx, sy)) {
                fprintf(stderr, "kq_plotcheck: k=%d panel differs at "
                        "(%d,%d)\n", k, x, y);
                return 1;
            }
            int i = 0;
            while (i < colours && seen[i] != c)
                i++;
            if (i == colours && colours < MAX_COLOURS)
                seen[colours++] = c;
        }
    }
    if (colours > k) {
        fprintf(stderr, "kq_plotcheck: k=%d panel has %d colours\n", k,
                colours);
        return 1;
    }
    return 0;
}

static int check_grid(const char *grid_path, int a, int b, const char *stem)
{
    int gw, gh, failed = 0;
    unsigned char *grid = load(grid_path, &gw, &gh);
    if (!grid)
        return 1;
    for (int k = a; k <= b && !failed; k++) {
        char path[4096];
        snprintf(path, sizeof path, "%s%d.png", stem, k);
        int w, h;
        unsigned char *img = load(path, &w, &h);
        kq_plot_rect r, whole;
        failed = !img || kq_plot_grid_layout(b - a + 1, w, h, k - a, &r,
                                             &whole) != KQ_OK;
        if (!failed && (whole.width != gw || whole.height != gh)) {
            fprintf(stderr, "kq_plotcheck: grid is %dx%d, layout says "
                    "%dx%d\n", gw, gh, whole.width, whole.height);
            failed = 1;
        }
        if (!failed)
            failed = check_panel(grid, gw, r, img, w, h, k);
        stbi_image_free(img);
    }
    stbi_image_free(grid);
    return failed;
}

int main(int argc, char **argv)
{
    if (argc == 6 && strcmp(argv[1], "grid") == 0) {
        char *end_a, *end_b;
        long a = strtol(argv[3], &end_a, 10), b = strtol(argv[4], &end_b, 10);
        if (!*end_a && !*end_b && a >= 1 && b >= a && b <= KQ_MAX_CLUSTERS)
            return check_grid(argv[2], (int)a, (int)b, argv[5]);
    }
    fprintf(stderr, "usage: kq_plotcheck grid GRID A B STEM\n");
    return 2;
}
