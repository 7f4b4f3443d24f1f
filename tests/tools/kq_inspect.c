/* kq_inspect - reads images the way a user's viewer would (stb_image) so
 * that the CLI tests can check what kquant wrote.
 *
 *   kq_inspect size IMAGE            prints "WIDTH HEIGHT"
 *   kq_inspect colours IMAGE         prints the number of distinct colours
 *   kq_inspect recolor IMAGE CSV     checks every pixel is its row's hex and
 *                                    that the CSV pixel counts match
 *   kq_inspect same IMAGE IMAGE      checks two images decode identically
 *   kq_inspect rgba FILE.png         writes a 2x2 RGBA PNG: opaque red,
 *                                    transparent, half-transparent blue
 *                                    (alpha 128), opaque green (issue 7)
 * Exit status 0 when the check holds, 1 when it does not, 2 on misuse. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stb_image.h>
#include <stb_image_write.h>

#define MAX_ROWS 4096

typedef struct {
    unsigned rgb;
    unsigned long pixels;
    unsigned long seen;
} csv_row;

static unsigned char *load(const char *path, int *w, int *h)
{
    int comp;
    unsigned char *px = stbi_load(path, w, h, &comp, 3);
    if (!px)
        fprintf(stderr, "kq_inspect: %s: %s\n", path, stbi_failure_reason());
    return px;
}

static unsigned pixel_at(const unsigned char *px, size_t i)
{
    return (unsigned)px[3 * i] << 16 | (unsigned)px[3 * i + 1] << 8 |
           px[3 * i + 2];
}

static int compare_u32(const void *a, const void *b)
{
    unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
    return (x > y) - (x < y);
}

static int count_colours(const char *path)
{
    int w, h;
    unsigned char *px = load(path, &w, &h);
    if (!px)
        return 1;
    size_t n = (size_t)w * (size_t)h, distinct = 0;
    unsigned *all = malloc(n * sizeof *all);
    for (size_t i = 0; i < n; i++)
        all[i] = pixel_at(px, i);
    qsort(all, n, sizeof *all, compare_u32);
    for (size_t i = 0; i < n; i++)
        distinct += (i == 0 || all[i] != all[i - 1]);
    printf("%zu\n", distinct);
    free(all);
    stbi_image_free(px);
    return 0;
}

static int read_csv(const char *path, csv_row *rows, int *n_rows)
{
    FILE *f = fopen(path, "r");
    char line[512];
    if (!f || !fgets(line, sizeof line, f) ||
        strcmp(line, "cluster,r,g,b,hex,pixels,share\n") != 0) {
        fprintf(stderr, "kq_inspect: %s: missing or bad header\n", path);
        if (f)
            fclose(f);
        return 1;
    }
    *n_rows = 0;
    while (fgets(line, sizeof line, f) && *n_rows < MAX_ROWS) {
        int cluster;
        double r, g, b, share;
        unsigned hex;
        unsigned long pixels;
        if (sscanf(line, "%d,%lf,%lf,%lf,#%6X,%lu,%lf", &cluster, &r, &g, &b,
                   &hex, &pixels, &share) != 7 || cluster != *n_rows) {
            fprintf(stderr, "kq_inspect: %s: bad row: %s", path, line);
            fclose(f);
            return 1;
        }
        rows[*n_rows] = (csv_row){hex, pixels, 0};
        (*n_rows)++;
    }
    fclose(f);
    return 0;
}

static int check_recolor(const char *image, const char *csv)
{
    static csv_row rows[MAX_ROWS];
    int n_rows, w, h;
    if (read_csv(csv, rows, &n_rows) != 0)
        return 1;
    unsigned char *px = load(image, &w, &h);
    if (!px)
        return 1;
    size_t n = (size_t)w * (size_t)h;
    int ok = 1;
    for (size_t i = 0; i < n && ok; i++) {
        unsigned c = pixel_at(px, i);
        int j = 0;
        while (j < n_rows && rows[j].rgb != c)
            j++;
        if (j == n_rows) {
            fprintf(stderr, "kq_inspect: pixel %zu #%06X is no centroid\n", i,
                    c);
            ok = 0;
        } else {
            rows[j].seen++;
        }
    }
    /* Two clusters may round to the same colour: compare the totals per
     * colour, not per row. */
    for (int j = 0; j < n_rows && ok; j++) {
        unsigned long expected = 0, seen = 0;
        for (int m = 0; m < n_rows; m++) {
            if (rows[m].rgb == rows[j].rgb) {
                expected += rows[m].pixels;
                seen += rows[m].seen;
            }
        }
        if (expected != seen) {
            fprintf(stderr, "kq_inspect: #%06X: %lu pixels, csv says %lu\n",
                    rows[j].rgb, seen, expected);
            ok = 0;
        }
    }
    stbi_image_free(px);
    return ok ? 0 : 1;
}

static int check_same(const char *a, const char *b)
{
    int wa, ha, wb, hb;
    unsigned char *pa = load(a, &wa, &ha), *pb = load(b, &wb, &hb);
    int same = pa && pb && wa == wb && ha == hb &&
               memcmp(pa, pb, (size_t)wa * (size_t)ha * 3) == 0;
    stbi_image_free(pa);
    stbi_image_free(pb);
    if (!same)
        fprintf(stderr, "kq_inspect: %s and %s differ\n", a, b);
    return same ? 0 : 1;
}

/* issue 7: an input with alpha for the --background tests. */
static int write_rgba(const char *path)
{
    static const unsigned char px[16] = {255, 0, 0, 255,  0, 0, 0, 0,
                                         0, 0, 255, 128,  0, 255, 0, 255};
    return stbi_write_png(path, 2, 2, 4, px, 8) ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "size") == 0) {
        int w, h, comp;
        if (!stbi_info(argv[2], &w, &h, &comp))
            return 1;
        printf("%d %d\n", w, h);
        return 0;
    }
    if (argc == 3 && strcmp(argv[1], "colours") == 0)
        return count_colours(argv[2]);
    if (argc == 4 && strcmp(argv[1], "recolor") == 0)
        return check_recolor(argv[2], argv[3]);
    if (argc == 4 && strcmp(argv[1], "same") == 0)
        return check_same(argv[2], argv[3]);
    if (argc == 3 && strcmp(argv[1], "rgba") == 0)
        return write_rgba(argv[2]);
    fprintf(stderr, "usage: kq_inspect size|colours IMAGE | recolor IMAGE "
                    "CSV | same A B | rgba FILE\n");
    return 2;
}
