/* canvas.c - blending, discs, lines and polygons on an RGB canvas. */
#include "plot/canvas.h"

#include <math.h>
#include <stdlib.h>

kq_status kq_canvas_new(int width, int height, kq_rgb background,
                        kq_canvas *out)
{
    size_t pixels, bytes;
    if (width <= 0 || height <= 0 ||
        !kq_mul_size((size_t)width, (size_t)height, &pixels) ||
        !kq_mul_size(pixels, 3 * sizeof(float), &bytes))
        return KQ_ERR_ARGUMENT;
    out->rgb = malloc(bytes);
    if (!out->rgb)
        return KQ_ERR_NOMEM;
    out->width = width;
    out->height = height;
    for (size_t i = 0; i < pixels; i++) {
        out->rgb[3 * i] = background.r;
        out->rgb[3 * i + 1] = background.g;
        out->rgb[3 * i + 2] = background.b;
    }
    return KQ_OK;
}

void kq_canvas_free(kq_canvas *canvas)
{
    if (!canvas)
        return;
    free(canvas->rgb);
    canvas->rgb = NULL;
    canvas->width = canvas->height = 0;
}

kq_status kq_canvas_to_image(const kq_canvas *canvas, kq_image *out)
{
    size_t values = (size_t)canvas->width * (size_t)canvas->height * 3;
    *out = (kq_image){.width = canvas->width, .height = canvas->height,
                      .rgb = malloc(values)};
    if (!out->rgb)
        return KQ_ERR_NOMEM;
    for (size_t i = 0; i < values; i++) {
        float v = canvas->rgb[i];
        out->rgb[i] = (unsigned char)(v <= 0 ? 0 : v >= 255 ? 255 : lroundf(v));
    }
    return KQ_OK;
}

void kq_canvas_blend(kq_canvas *canvas, int x, int y, kq_rgb colour,
                     float alpha)
{
    if (x < 0 || y < 0 || x >= canvas->width || y >= canvas->height ||
        alpha <= 0)
        return;
    float *p =
        canvas->rgb + 3 * ((size_t)y * (size_t)canvas->width + (size_t)x);
    if (alpha >= 1) {
        p[0] = colour.r;
        p[1] = colour.g;
        p[2] = colour.b;
        return;
    }
    p[0] += (colour.r - p[0]) * alpha;
    p[1] += (colour.g - p[1]) * alpha;
    p[2] += (colour.b - p[2]) * alpha;
}

/* Opacity times coverage, clamped to 0..1. */
static float alpha_of(double opacity, double coverage)
{
    if (coverage <= 0.0)
        return 0;
    if (coverage > 1.0)
        coverage = 1.0;
    return (float)(opacity * coverage);
}

void kq_canvas_rect(kq_canvas *canvas, int x, int y, int w, int h,
                    kq_rgb colour)
{
    for (int j = y < 0 ? 0 : y; j < y + h && j < canvas->height; j++)
        for (int i = x < 0 ? 0 : x; i < x + w && i < canvas->width; i++)
            kq_canvas_blend(canvas, i, j, colour, 1.0f);
}

void kq_canvas_disc(kq_canvas *canvas, double cx, double cy, double radius,
                    kq_rgb colour, double opacity)
{
    int x0 = (int)floor(cx - radius - 1), x1 = (int)ceil(cx + radius + 1);
    int y0 = (int)floor(cy - radius - 1), y1 = (int)ceil(cy + radius + 1);
    for (int y = y0; y <= y1; y++) {
        for (int x = x0; x <= x1; x++) {
            double dx = x + 0.5 - cx, dy = y + 0.5 - cy;
            double coverage = radius + 0.5 - sqrt(dx * dx + dy * dy);
            kq_canvas_blend(canvas, x, y, colour, alpha_of(opacity, coverage));
        }
    }
}

/* Distance from (px, py) to the segment (x0, y0)-(x1, y1). */
static double segment_distance(double px, double py, double x0, double y0,
                               double x1, double y1)
{
    double dx = x1 - x0, dy = y1 - y0, len2 = dx * dx + dy * dy;
    double t = len2 > 0 ? ((px - x0) * dx + (py - y0) * dy) / len2 : 0.0;
    t = t < 0 ? 0 : (t > 1 ? 1 : t);
    double ex = px - (x0 + t * dx), ey = py - (y0 + t * dy);
    return sqrt(ex * ex + ey * ey);
}

/* Walks the line along its major axis so that every pixel is blended
 * once: for each column (or row) only the band around the line. */
void kq_canvas_line(kq_canvas *canvas, double x0, double y0, double x1,
                    double y1, double width, kq_rgb colour, double opacity)
{
    double half = width / 2.0, reach = half + 1.5;
    bool steep = fabs(y1 - y0) > fabs(x1 - x0);
    double a0 = steep ? y0 : x0, a1 = steep ? y1 : x1;
    double b0 = steep ? x0 : y0, b1 = steep ? x1 : y1;
    double lo = fmin(a0, a1) - reach, hi = fmax(a0, a1) + reach;
    for (int a = (int)floor(lo); a <= (int)ceil(hi); a++) {
        double t = a1 != a0 ? (a + 0.5 - a0) / (a1 - a0) : 0.0;
        t = t < 0 ? 0 : (t > 1 ? 1 : t);
        double centre = b0 + t * (b1 - b0);
        for (int b = (int)floor(centre - reach); b <= (int)ceil(centre + reach);
             b++) {
            int x = steep ? b : a, y = steep ? a : b;
            double d = segment_distance(x + 0.5, y + 0.5, x0, y0, x1, y1);
            kq_canvas_blend(canvas, x, y, colour,
                            alpha_of(opacity, half + 0.5 - d));
        }
    }
}

/* True when (px, py) lies on the inner side of every edge. */
static bool inside_convex(const double *xy, int n, double px, double py)
{
    int sign = 0;
    for (int i = 0; i < n; i++) {
        const double *p = xy + 2 * i, *q = xy + 2 * ((i + 1) % n);
        double cross = (q[0] - p[0]) * (py - p[1]) -
                       (q[1] - p[1]) * (px - p[0]);
        int s = cross > 0 ? 1 : (cross < 0 ? -1 : 0);
        if (s != 0 && sign != 0 && s != sign)
            return false;
        if (s != 0)
            sign = s;
    }
    return true;
}

void kq_canvas_convex(kq_canvas *canvas, const double *xy, int n,
                      kq_rgb colour, double opacity)
{
    double minx = xy[0], maxx = xy[0], miny = xy[1], maxy = xy[1];
    for (int i = 1; i < n; i++) {
        minx = fmin(minx, xy[2 * i]);
        maxx = fmax(maxx, xy[2 * i]);
        miny = fmin(miny, xy[2 * i + 1]);
        maxy = fmax(maxy, xy[2 * i + 1]);
    }
    float alpha = alpha_of(opacity, 1.0);
    int y_end = (int)ceil(maxy), x_end = (int)ceil(maxx);
    for (int y = (int)floor(miny); y <= y_end; y++)
        for (int x = (int)floor(minx); x <= x_end; x++)
            if (inside_convex(xy, n, x + 0.5, y + 0.5))
                kq_canvas_blend(canvas, x, y, colour, alpha);
}

void kq_canvas_blit(kq_canvas *canvas, const kq_image *src, int x, int y,
                    int w, int h)
{
    for (int j = 0; j < h; j++) {
        int sy = (int)(((long long)j * src->height) / h);
        for (int i = 0; i < w; i++) {
            int sx = (int)(((long long)i * src->width) / w);
            const unsigned char *s =
                src->rgb + 3 * ((size_t)sy * (size_t)src->width + (size_t)sx);
            kq_rgb c = {s[0], s[1], s[2]};
            kq_canvas_blend(canvas, x + i, y + j, c, 1.0f);
        }
    }
}
