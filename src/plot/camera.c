/* camera.c - where a point of the RGB cube lands on the scatter plots.
 *
 * The eye sits on a sphere around the cube's centre (azimuth, elevation),
 * looks at the centre, and keeps B up. A mild perspective, like plotly's
 * default camera, makes the cube read as 3-D; the cube is then fitted to
 * the canvas inside fixed margins for tick labels and titles. */
#include "plot/camera.h"

#include <math.h>

#define EYE_DISTANCE 1.9 /* from the centre, in cube sides */
#define MARGIN_SIDES 0.13 /* of the canvas, for ticks and axis titles */
#define MARGIN_TOP 0.12   /* room for the figure's title */

/* plotly's default eye, (1.25, 1.25, 1.25), is azimuth 45 and elevation
 * 35.26: it looks straight down the grey diagonal, so every grey pixel of a
 * photo lands on one spot. Turned towards +G and lowered a little, the
 * same camera shows that diagonal across the picture. */
void kq_plot_view_default(kq_plot_view *view)
{
    view->azimuth = 60.0;
    view->elevation = 22.0;
}

static double dot3(const double a[3], const double b[3])
{
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

/* Screen coordinates before fitting: cube of side 1 around the origin. */
static void project_raw(const kq_camera *cam, const double rgb[3], double *x,
                        double *y, double *depth)
{
    double p[3] = {rgb[0] / 255.0 - 0.5, rgb[1] / 255.0 - 0.5,
                   rgb[2] / 255.0 - 0.5};
    double d = dot3(p, cam->toward_eye);
    double f = cam->eye_distance / (cam->eye_distance - d);
    *x = dot3(p, cam->right) * f;
    *y = -dot3(p, cam->up) * f;
    *depth = d;
}

static void set_basis(kq_camera *cam, const kq_plot_view *view)
{
    const double deg = 3.14159265358979323846 / 180.0;
    double az = view->azimuth * deg, el = view->elevation * deg;
    double ca = cos(az), sa = sin(az), ce = cos(el), se = sin(el);
    /* right and up stay defined even when looking straight down */
    double toward[3] = {ce * ca, ce * sa, se};
    double right[3] = {-sa, ca, 0.0};
    double up[3] = {-se * ca, -se * sa, ce};
    for (int i = 0; i < 3; i++) {
        cam->toward_eye[i] = toward[i];
        cam->right[i] = right[i];
        cam->up[i] = up[i];
    }
    cam->eye_distance = EYE_DISTANCE;
}

kq_status kq_camera_fit(kq_camera *cam, const kq_plot_view *view, int width,
                        int height)
{
    if (!view || !isfinite(view->azimuth) || !isfinite(view->elevation) ||
        fabs(view->elevation) > 90.0 || width < KQ_PLOT_MIN_SIZE ||
        height < KQ_PLOT_MIN_SIZE)
        return KQ_ERR_ARGUMENT;
    set_basis(cam, view);
    double minx = INFINITY, maxx = -INFINITY, miny = INFINITY, maxy = -INFINITY;
    for (int corner = 0; corner < 8; corner++) {
        double p[3] = {corner & 1 ? 255 : 0, corner & 2 ? 255 : 0,
                       corner & 4 ? 255 : 0};
        double x, y, depth;
        project_raw(cam, p, &x, &y, &depth);
        minx = fmin(minx, x);
        maxx = fmax(maxx, x);
        miny = fmin(miny, y);
        maxy = fmax(maxy, y);
    }
    double side = MARGIN_SIDES * fmin(width, height);
    double top = MARGIN_TOP * height;
    double avail_w = width - 2 * side, avail_h = height - top - side;
    cam->scale = fmin(avail_w / (maxx - minx), avail_h / (maxy - miny));
    cam->offset_x = width / 2.0 - cam->scale * (minx + maxx) / 2.0;
    cam->offset_y = top + avail_h / 2.0 - cam->scale * (miny + maxy) / 2.0;
    return KQ_OK;
}

void kq_camera_project(const kq_camera *cam, const double rgb[3], double *x,
                       double *y, double *depth)
{
    double rx, ry;
    project_raw(cam, rgb, &rx, &ry, depth);
    *x = cam->offset_x + cam->scale * rx;
    *y = cam->offset_y + cam->scale * ry;
}

kq_status kq_plot_project(const kq_plot_view *view, int width, int height,
                          const double rgb[3], double *x, double *y)
{
    kq_camera cam;
    kq_status st = kq_camera_fit(&cam, view, width, height);
    if (st != KQ_OK)
        return st;
    double depth;
    kq_camera_project(&cam, rgb, x, y, &depth);
    return KQ_OK;
}
