/* elbow.c - inertia against k: where more colours stop paying off. */
#include "plot/canvas.h"

#include <math.h>
#include <stdio.h>

#define Y_TICKS_WANTED 5

static const kq_rgb BACKGROUND = {255, 255, 255};
static const kq_rgb PLANE = {229, 236, 246};
static const kq_rgb GRID = {255, 255, 255};
static const kq_rgb AXIS = {42, 63, 95};
static const kq_rgb TEXT = {42, 63, 95};
static const kq_rgb SERIES = {99, 110, 250}; /* plotly's first colour */
static const kq_rgb SERIES_LINE = {150, 158, 252}; /* lighter: the points
                                                      stand out */

typedef struct {
    double left, right, top, bottom;   /* the plot area in pixels */
    double k_min, k_max, y_max;        /* the data range shown */
} frame;

static double to_x(const frame *f, double k)
{
    return f->left + (k - f->k_min) / (f->k_max - f->k_min) *
                         (f->right - f->left);
}

static double to_y(const frame *f, double v)
{
    return f->bottom - v / f->y_max * (f->bottom - f->top);
}

/* A round step (1, 2 or 5 times a power of ten) giving about `wanted`
 * intervals up to max. */
static double nice_step(double max, int wanted)
{
    double raw = max / wanted, power = pow(10.0, floor(log10(raw)));
    double m = raw / power;
    return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * power;
}

/* "0", "250", "1.5k", "40M", "2G": short labels for large numbers. */
static void format_value(double v, char *buf, size_t len)
{
    static const struct {
        double unit;
        const char *suffix;
    } units[] = {{1e9, "G"}, {1e6, "M"}, {1e3, "k"}};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (fabs(v) >= units[i].unit) {
            snprintf(buf, len, "%g%s", v / units[i].unit, units[i].suffix);
            return;
        }
    }
    snprintf(buf, len, "%g", v);
}

static void draw_y_axis(kq_canvas *c, const frame *f, double step)
{
    for (int t = 0; t * step <= f->y_max * (1 + 1e-9); t++) {
        double y = to_y(f, t * step);
        char label[32];
        format_value(t * step, label, sizeof label);
        kq_canvas_line(c, f->left, y, f->right, y, 1.5, GRID, 1.0);
        kq_canvas_text(c, f->left - 10, y, label, 2, TEXT, KQ_ALIGN_END);
    }
}

static void draw_x_axis(kq_canvas *c, const frame *f, const int *ks, int count)
{
    for (int i = 0; i < count; i++) {
        double x = to_x(f, ks[i]);
        char label[16];
        snprintf(label, sizeof label, "%d", ks[i]);
        kq_canvas_line(c, x, f->top, x, f->bottom, 1.5, GRID, 1.0);
        kq_canvas_line(c, x, f->bottom, x, f->bottom + 6, 1.5, AXIS, 1.0);
        kq_canvas_text(c, x, f->bottom + 18, label, 2, TEXT, KQ_ALIGN_CENTRE);
    }
}

static void draw_series(kq_canvas *c, const frame *f, const int *ks,
                        const double *inertia, int count)
{
    for (int i = 1; i < count; i++)
        kq_canvas_line(c, to_x(f, ks[i - 1]), to_y(f, inertia[i - 1]),
                       to_x(f, ks[i]), to_y(f, inertia[i]), 2.5, SERIES_LINE,
                       1.0);
    for (int i = 0; i < count; i++)
        kq_canvas_disc(c, to_x(f, ks[i]), to_y(f, inertia[i]), 5.5, SERIES,
                       1.0);
}

static bool valid_series(const int *ks, const double *inertia, int count)
{
    if (!ks || !inertia || count < 1)
        return false;
    for (int i = 0; i < count; i++)
        if (!isfinite(inertia[i]) || inertia[i] < 0 ||
            (i > 0 && ks[i] <= ks[i - 1]))
            return false;
    return true;
}

static void draw_elbow(kq_canvas *c, const frame *f, const int *ks,
                       const double *inertia, int count, double step)
{
    int width = c->width, height = c->height;
    double area[8] = {f->left, f->top, f->right, f->top,
                      f->right, f->bottom, f->left, f->bottom};
    kq_canvas_convex(c, area, 4, PLANE, 1.0);
    draw_y_axis(c, f, step);
    draw_x_axis(c, f, ks, count);
    kq_canvas_line(c, f->left, f->bottom, f->right, f->bottom, 1.5, AXIS, 1.0);
    kq_canvas_line(c, f->left, f->top, f->left, f->bottom, 1.5, AXIS, 1.0);
    draw_series(c, f, ks, inertia, count);
    kq_canvas_text(c, 0.03 * width, 0.04 * height,
                   "Elbow plot: k-means inertia against k", 2, TEXT,
                   KQ_ALIGN_START);
    kq_canvas_text(c, f->left, f->top - 30, "inertia (sum of squared "
                   "distances)", 2, TEXT, KQ_ALIGN_START);
    kq_canvas_text(c, (f->left + f->right) / 2, height - 0.05 * height,
                   "k (number of colours)", 2, TEXT, KQ_ALIGN_CENTRE);
}

kq_status kq_plot_elbow(const int *ks, const double *inertia, int count,
                        int width, int height, kq_image *out)
{
    if (!valid_series(ks, inertia, count) || width < KQ_PLOT_MIN_SIZE ||
        height < KQ_PLOT_MIN_SIZE)
        return KQ_ERR_ARGUMENT;
    double max = 0;
    for (int i = 0; i < count; i++)
        max = fmax(max, inertia[i]);
    double step = nice_step(max > 0 ? max : 1, Y_TICKS_WANTED);
    frame f = {.left = 0.14 * width, .right = width - 0.05 * width,
               .top = 0.2 * height, .bottom = height - 0.16 * height,
               .k_min = ks[0] - 0.5, .k_max = ks[count - 1] + 0.5,
               .y_max = ceil((max > 0 ? max : 1) / step) * step};
    kq_canvas canvas = {0};
    kq_status st = kq_canvas_new(width, height, BACKGROUND, &canvas);
    if (st != KQ_OK)
        return st;
    draw_elbow(&canvas, &f, ks, inertia, count, step);
    st = kq_canvas_to_image(&canvas, out);
    kq_canvas_free(&canvas);
    return st;
}
