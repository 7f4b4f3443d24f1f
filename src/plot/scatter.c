/* scatter.c - the pixels as points in the RGB cube (plain or by cluster).
 *
 * First the scene: the cube's back faces with grid lines, its edges, ticks
 * and axis titles; then every point, far to near, half transparent; for
 * the cluster plot the centroids last, on top. The points are sorted by
 * depth with the pixel index breaking ties, so the picture never depends
 * on the sort's whims. */
#include "plot/camera.h"
#include "plot/canvas.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define POINT_OPACITY 0.5
#define TICK_STEP 50
#define TICK_COUNT 6          /* 0, 50, ..., 250 */
#define FRONT_EDGE_OPACITY 0.4
#define MARKER_RING 1.5        /* white ring: black shows on dark points */
#define LABEL_GAP 10.0        /* pixels between an edge and its labels */

static const kq_rgb BACKGROUND = {255, 255, 255};
static const kq_rgb PLANE = {229, 236, 246};   /* plotly's scene planes */
static const kq_rgb GRID = {255, 255, 255};
static const kq_rgb EDGE = {150, 160, 178};
static const kq_rgb TEXT = {42, 63, 95};
static const kq_rgb MARKER = {0, 0, 0};

typedef struct {
    float x, y, depth;
    uint32_t index;
} placed_point;

/* The boxes of the labels drawn so far: a label that would overlap one
 * (the two "0" at a shared corner) is left out. */
#define MAX_LABELS 32
typedef struct {
    double box[MAX_LABELS][4]; /* x0, y0, x1, y1 */
    int count;
} label_set;

typedef struct {
    kq_camera cam;
    int width, height;
    double point_radius, marker_radius;
    int text_scale;
} scene;

static void project(const scene *s, double r, double g, double b, double *x,
                    double *y)
{
    double p[3] = {r, g, b}, depth;
    kq_camera_project(&s->cam, p, x, y, &depth);
}

/* Corner of the cube: bit 0 R, bit 1 G, bit 2 B. */
static void corner_rgb(int corner, double p[3])
{
    for (int a = 0; a < 3; a++)
        p[a] = (corner >> a) & 1 ? 255.0 : 0.0;
}

/* A face (axis a at value 0 or 255) is a back face when the eye is on its
 * inner side: we see it behind the points. */
static bool is_back_face(const scene *s, int a, int high)
{
    double eye = s->cam.eye_distance * s->cam.toward_eye[a];
    return high ? eye < 0.5 : eye > -0.5;
}

static void draw_face(kq_canvas *canvas, const scene *s, int a, int high)
{
    int b = (a + 1) % 3, c = (a + 2) % 3;
    double xy[8], p[3];
    static const int order[4][2] = {{0, 0}, {1, 0}, {1, 1}, {0, 1}};
    for (int i = 0; i < 4; i++) {
        p[a] = high ? 255 : 0;
        p[b] = order[i][0] * 255.0;
        p[c] = order[i][1] * 255.0;
        project(s, p[0], p[1], p[2], &xy[2 * i], &xy[2 * i + 1]);
    }
    kq_canvas_convex(canvas, xy, 4, PLANE, 1.0);
    /* grid lines across the face at every tick of both other axes */
    for (int t = 1; t < TICK_COUNT; t++) {
        for (int dir = 0; dir < 2; dir++) {
            int along = dir ? b : c, across = dir ? c : b;
            double p0[3], p1[3], x0, y0, x1, y1;
            p0[a] = p1[a] = high ? 255 : 0;
            p0[along] = p1[along] = t * TICK_STEP;
            p0[across] = 0;
            p1[across] = 255;
            project(s, p0[0], p0[1], p0[2], &x0, &y0);
            project(s, p1[0], p1[1], p1[2], &x1, &y1);
            kq_canvas_line(canvas, x0, y0, x1, y1, 1.5, GRID, 1.0);
        }
    }
}

/* Whether the edge from corner `from` along axis a borders a back face
 * (the front edges are drawn fainter, so that the box reads as 3-D). */
static bool touches_back_face(const scene *s, int from, int a)
{
    for (int b = 0; b < 3; b++)
        if (b != a && is_back_face(s, b, (from >> b) & 1))
            return true;
    return false;
}

static void draw_edges(kq_canvas *canvas, const scene *s)
{
    for (int from = 0; from < 8; from++) {
        for (int a = 0; a < 3; a++) {
            if ((from >> a) & 1)
                continue;
            double p[3], q[3], x0, y0, x1, y1;
            corner_rgb(from, p);
            corner_rgb(from | (1 << a), q);
            project(s, p[0], p[1], p[2], &x0, &y0);
            project(s, q[0], q[1], q[2], &x1, &y1);
            bool back = touches_back_face(s, from, a);
            kq_canvas_line(canvas, x0, y0, x1, y1, 1.2, EDGE,
                           back ? 1.0 : FRONT_EDGE_OPACITY);
        }
    }
}

/* The edge parallel to axis a that carries its labels: the lowest one on
 * screen for R and G, the leftmost for B (as plotly places them). Returns
 * the values of the two other axes in p (p[a] is left at 0). */
static void label_edge(const scene *s, int a, double p[3])
{
    int b = (a + 1) % 3, c = (a + 2) % 3;
    double best = -INFINITY;
    for (int i = 0; i < 4; i++) {
        double q[3], x, y;
        q[a] = 127.5;
        q[b] = (i & 1) ? 255 : 0;
        q[c] = (i & 2) ? 255 : 0;
        project(s, q[0], q[1], q[2], &x, &y);
        double score = a == 2 ? -x : y;
        if (score > best + 1e-9) {
            best = score;
            p[a] = 0;
            p[b] = q[b];
            p[c] = q[c];
        }
    }
}

/* The unit screen direction pointing away from the cube, across the edge
 * from e0 to e1 whose middle is (mx, my). */
static void outward(const scene *s, double ex, double ey, double mx,
                    double my, double out[2])
{
    double cx, cy;
    project(s, 127.5, 127.5, 127.5, &cx, &cy);
    double len = hypot(ex, ey);
    double ux = len > 0 ? ex / len : 1, uy = len > 0 ? ey / len : 0;
    double vx = mx - cx, vy = my - cy, along = vx * ux + vy * uy;
    vx -= along * ux;
    vy -= along * uy;
    double vlen = hypot(vx, vy);
    out[0] = vlen > 1e-9 ? vx / vlen : 0;
    out[1] = vlen > 1e-9 ? vy / vlen : 1;
}

/* Half the extent of a w x h box along the unit direction d. */
static double half_extent(double w, double h, const double d[2])
{
    return (fabs(d[0]) * w + fabs(d[1]) * h) / 2.0;
}

/* Draws text centred at (x, y) unless it would overlap a label drawn
 * before. */
static void place_label(kq_canvas *canvas, label_set *labels, double x,
                        double y, const char *text, int scale)
{
    double hw = kq_text_width(text, scale) / 2.0 + 2;
    double hh = kq_text_height(scale) / 2.0 + 2;
    double box[4] = {x - hw, y - hh, x + hw, y + hh};
    for (int i = 0; i < labels->count; i++) {
        const double *o = labels->box[i];
        if (box[0] < o[2] && o[0] < box[2] && box[1] < o[3] && o[1] < box[3])
            return;
    }
    if (labels->count < MAX_LABELS) {
        for (int i = 0; i < 4; i++)
            labels->box[labels->count][i] = box[i];
        labels->count++;
    }
    kq_canvas_text(canvas, x, y, text, scale, TEXT, KQ_ALIGN_CENTRE);
}

static void draw_axis(kq_canvas *canvas, const scene *s, int a,
                      label_set *labels)
{
    static const char *const names[3] = {"R", "G", "B"};
    int scale = s->text_scale;
    double p[3], x0, y0, x1, y1, d[2];
    label_edge(s, a, p);
    p[a] = 0;
    project(s, p[0], p[1], p[2], &x0, &y0);
    p[a] = 255;
    project(s, p[0], p[1], p[2], &x1, &y1);
    outward(s, x1 - x0, y1 - y0, (x0 + x1) / 2, (y0 + y1) / 2, d);
    double widest = 0, h = kq_text_height(scale);
    for (int t = 0; t < TICK_COUNT; t++) {
        char label[8];
        snprintf(label, sizeof label, "%d", t * TICK_STEP);
        double w = kq_text_width(label, scale), tx, ty;
        p[a] = t * TICK_STEP;
        project(s, p[0], p[1], p[2], &tx, &ty);
        kq_canvas_line(canvas, tx, ty, tx + d[0] * 6, ty + d[1] * 6, 1.2,
                       EDGE, 1.0);
        double off = LABEL_GAP + half_extent(w, h, d);
        place_label(canvas, labels, tx + d[0] * off, ty + d[1] * off, label,
                    scale);
        widest = fmax(widest, 2 * half_extent(w, h, d));
    }
    int title_scale = scale + 1;
    double tw = kq_text_width(names[a], title_scale);
    double th = kq_text_height(title_scale);
    double off = 2 * LABEL_GAP + widest + half_extent(tw, th, d);
    place_label(canvas, labels, (x0 + x1) / 2 + d[0] * off,
                (y0 + y1) / 2 + d[1] * off, names[a], title_scale);
}

static kq_status draw_scene(const scene *s, const char *title,
                            kq_canvas *out)
{
    kq_status st = kq_canvas_new(s->width, s->height, BACKGROUND, out);
    if (st != KQ_OK)
        return st;
    for (int a = 0; a < 3; a++)
        for (int high = 0; high < 2; high++)
            if (is_back_face(s, a, high))
                draw_face(out, s, a, high);
    draw_edges(out, s);
    label_set labels = {.count = 0};
    for (int a = 0; a < 3; a++)
        draw_axis(out, s, a, &labels);
    int scale = s->text_scale;
    kq_canvas_text(out, s->width * 0.03, s->height * 0.03, title, scale,
                   TEXT, KQ_ALIGN_START);
    return KQ_OK;
}

static kq_status setup(scene *s, const kq_plot_view *view, int width,
                       int height)
{
    kq_status st = kq_camera_fit(&s->cam, view, width, height);
    if (st != KQ_OK)
        return st;
    double size = fmin(width, height);
    s->width = width;
    s->height = height;
    /* at least 1.25: the pixel a point lands in is always fully covered */
    s->point_radius = fmax(1.25, size / 500.0);
    s->marker_radius = fmax(3.0, size / 110.0);
    s->text_scale = size >= 400 ? 2 : 1;
    return KQ_OK;
}

static int by_depth_then_index(const void *pa, const void *pb)
{
    const placed_point *a = pa, *b = pb;
    if (a->depth != b->depth)
        return a->depth < b->depth ? -1 : 1;
    return (a->index > b->index) - (a->index < b->index);
}

/* Projects all n points and sorts them far to near. */
static kq_status place_points(const scene *s, const float *pixels, size_t n,
                              placed_point **out)
{
    size_t bytes;
    if (n > UINT32_MAX || !kq_mul_size(n ? n : 1, sizeof **out, &bytes))
        return KQ_ERR_ARGUMENT;
    placed_point *pts = malloc(bytes);
    if (!pts)
        return KQ_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        double p[3] = {pixels[3 * i], pixels[3 * i + 1], pixels[3 * i + 2]};
        double x, y, depth;
        kq_camera_project(&s->cam, p, &x, &y, &depth);
        pts[i] = (placed_point){(float)x, (float)y, (float)depth, (uint32_t)i};
    }
    qsort(pts, n, sizeof *pts, by_depth_then_index);
    *out = pts;
    return KQ_OK;
}

static unsigned char channel(float v)
{
    return (unsigned char)(v <= 0 ? 0 : (v >= 255 ? 255 : lroundf(v)));
}

/* Draws the sorted points, each in its own colour, or in its cluster's
 * palette colour when labels is given. */
static void draw_points(kq_canvas *canvas, const scene *s,
                        const placed_point *pts, size_t n,
                        const float *pixels, const kq_label *labels,
                        const kq_rgb *palette)
{
    for (size_t i = 0; i < n; i++) {
        size_t j = pts[i].index;
        kq_rgb c;
        if (labels) {
            c = palette[labels[j]];
        } else {
            c = (kq_rgb){channel(pixels[3 * j]), channel(pixels[3 * j + 1]),
                         channel(pixels[3 * j + 2])};
        }
        kq_canvas_disc(canvas, pts[i].x, pts[i].y, s->point_radius, c,
                       POINT_OPACITY);
    }
}

static kq_status scatter(const float *pixels, size_t n,
                         const kq_kmeans_result *result,
                         const kq_plot_view *view, int width, int height,
                         kq_image *out)
{
    scene s;
    kq_status st = setup(&s, view, width, height);
    if (st != KQ_OK)
        return st;
    if (!pixels && n > 0)
        return KQ_ERR_ARGUMENT;
    char title[80];
    if (result)
        snprintf(title, sizeof title, "Pixels by cluster, k=%d "
                 "(black discs: centroids)", result->k);
    else
        snprintf(title, sizeof title, "Pixel colours (%zu points)", n);
    placed_point *pts = NULL;
    st = place_points(&s, pixels, n, &pts);
    kq_canvas canvas = {0};
    if (st == KQ_OK)
        st = draw_scene(&s, title, &canvas);
    kq_rgb palette[KQ_MAX_CLUSTERS];
    for (int j = 0; result && j < result->k; j++) {
        unsigned char rgb[3];
        kq_centroid_rgb(result, j, rgb);
        palette[j] = (kq_rgb){rgb[0], rgb[1], rgb[2]};
    }
    if (st == KQ_OK)
        draw_points(&canvas, &s, pts, n, pixels,
                    result ? result->labels : NULL, palette);
    for (int j = 0; st == KQ_OK && result && j < result->k; j++) {
        double x, y;
        const double *c = &result->centroids[3 * j];
        project(&s, c[0], c[1], c[2], &x, &y);
        kq_canvas_disc(&canvas, x, y, s.marker_radius + MARKER_RING,
                       BACKGROUND, 1.0);
        kq_canvas_disc(&canvas, x, y, s.marker_radius, MARKER, 1.0);
    }
    free(pts);
    if (st == KQ_OK)
        st = kq_canvas_to_image(&canvas, out);
    kq_canvas_free(&canvas);
    return st;
}

kq_status kq_plot_pixel_scatter(const float *pixels, size_t n,
                                const kq_plot_view *view, int width,
                                int height, kq_image *out)
{
    return scatter(pixels, n, NULL, view, width, height, out);
}

kq_status kq_plot_cluster_scatter(const float *pixels,
                                  const kq_kmeans_result *result,
                                  const kq_plot_view *view, int width,
                                  int height, kq_image *out)
{
    if (!result || result->k < 1 || result->k > KQ_MAX_CLUSTERS ||
        !result->labels || !result->centroids)
        return KQ_ERR_ARGUMENT;
    for (size_t i = 0; i < result->n; i++)
        if (result->labels[i] >= result->k)
            return KQ_ERR_ARGUMENT;
    return scatter(pixels, result->n, result, view, width, height, out);
}
