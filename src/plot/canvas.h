/* canvas.h - drawing primitives for the figures, private to src/plot/.
 *
 * A canvas is an opaque RGB image in floats (0..255): every primitive
 * blends straight onto it with its own opacity, so the background is
 * composited as we draw. Floats keep thousands of faint blends exact (an
 * 8-bit canvas would get stuck short of the colour and drift); the figure
 * is rounded to an 8-bit kq_image once, at the end. Coordinates are in
 * pixels, y down; pixel (i, j) covers [i, i+1) x [j, j+1), so its centre is
 * (i + 0.5, j + 0.5). Edges of discs and lines are antialiased by coverage,
 * which keeps every drawn pixel a blend of the colour and what lay below. */
#ifndef KQ_PLOT_CANVAS_H
#define KQ_PLOT_CANVAS_H

#include "kq_internal.h"

typedef struct {
    unsigned char r, g, b;
} kq_rgb;

typedef struct {
    int width;
    int height;
    float *rgb;
} kq_canvas;

/* A new width x height canvas filled with background (kq_canvas_free). */
kq_status kq_canvas_new(int width, int height, kq_rgb background,
                        kq_canvas *out);

/* Frees the pixels (canvas may be NULL) and zeroes the canvas. */
void kq_canvas_free(kq_canvas *canvas);

/* The canvas rounded to 8 bits into a new *out (kq_image_free). */
kq_status kq_canvas_to_image(const kq_canvas *canvas, kq_image *out);

/* Blends colour over pixel (x, y) with alpha 0..1; ignores points outside
 * the canvas. */
void kq_canvas_blend(kq_canvas *canvas, int x, int y, kq_rgb colour,
                     float alpha);

/* Fills the axis-aligned rectangle [x, x+w) x [y, y+h), clipped. */
void kq_canvas_rect(kq_canvas *canvas, int x, int y, int w, int h,
                    kq_rgb colour);

/* A disc of the given radius around (cx, cy), opacity 0..1. */
void kq_canvas_disc(kq_canvas *canvas, double cx, double cy, double radius,
                    kq_rgb colour, double opacity);

/* A segment of the given width with round ends, opacity 0..1. */
void kq_canvas_line(kq_canvas *canvas, double x0, double y0, double x1,
                    double y1, double width, kq_rgb colour, double opacity);

/* Fills the convex polygon of n points (xy holds x0, y0, x1, y1, ...). */
void kq_canvas_convex(kq_canvas *canvas, const double *xy, int n,
                      kq_rgb colour, double opacity);

/* Copies src scaled (nearest neighbour, so no new colours appear) into the
 * rectangle [x, x+w) x [y, y+h) of canvas. */
void kq_canvas_blit(kq_canvas *canvas, const kq_image *src, int x, int y,
                    int w, int h);

/* ---- text (text.c): stb_easy_font's glyphs, scaled by an integer ---- */

typedef enum {
    KQ_ALIGN_START,  /* x is the left edge, y the top */
    KQ_ALIGN_CENTRE, /* (x, y) is the centre of the text box */
    KQ_ALIGN_END     /* x is the right edge, y the top */
} kq_align;

/* The size in pixels of text's box (capital height; descenders hang below
 * it by up to 2 * scale pixels). */
int kq_text_width(const char *text, int scale);
int kq_text_height(int scale);

/* Draws one line of printable ASCII (others show as '?'). */
void kq_canvas_text(kq_canvas *canvas, double x, double y, const char *text,
                    int scale, kq_rgb colour, kq_align align);

#endif
