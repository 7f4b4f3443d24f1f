/* camera.h - the 3-D scatter plots' projection, private to src/plot/. */
#ifndef KQ_PLOT_CAMERA_H
#define KQ_PLOT_CAMERA_H

#include "kq_internal.h"

/* A perspective camera on the 0..255 cube, fitted to a canvas. */
typedef struct {
    double right[3], up[3], toward_eye[3]; /* orthonormal screen basis */
    double eye_distance;  /* from the cube's centre, in cube sides */
    double scale;         /* pixels per cube side at the centre's depth */
    double offset_x, offset_y;
} kq_camera;

/* Checks the view and size, and fits the whole cube into the canvas,
 * leaving margins for labels. */
kq_status kq_camera_fit(kq_camera *cam, const kq_plot_view *view, int width,
                        int height);

/* Canvas position of an RGB point and its depth (larger is nearer). */
void kq_camera_project(const kq_camera *cam, const double rgb[3], double *x,
                       double *y, double *depth);

#endif
