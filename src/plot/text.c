/* text.c - labels and titles from stb_easy_font's segment glyphs.
 *
 * stb_easy_font (header-only, libstb-dev) emits each glyph as axis-aligned
 * quads on a 1-pixel grid; we fill them scaled by an integer so that the
 * text stays crisp. No font file is read at run time. */
#include "plot/canvas.h"

#include <math.h>
#include <string.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include <stb_easy_font.h>
#pragma GCC diagnostic pop

#define MAX_TEXT 80
#define VERTEX_BYTES 16           /* x, y, z floats and 4 colour bytes */
#define BYTES_PER_CHAR 1024       /* far above the ~270 stb needs */
#define CAP_HEIGHT 7

/* A printable copy of text (stb indexes a table by character). */
static void sanitise(const char *text, char *out)
{
    size_t i = 0;
    for (; text[i] && i < MAX_TEXT; i++)
        out[i] = (text[i] >= 32 && text[i] < 127) ? text[i] : '?';
    out[i] = '\0';
}

int kq_text_width(const char *text, int scale)
{
    char copy[MAX_TEXT + 1];
    sanitise(text, copy);
    /* The advance includes one blank column after the last glyph. */
    int w = stb_easy_font_width(copy);
    return (w > 0 ? w - 1 : 0) * scale;
}

int kq_text_height(int scale)
{
    return CAP_HEIGHT * scale;
}

void kq_canvas_text(kq_canvas *canvas, double x, double y, const char *text,
                    int scale, kq_rgb colour, kq_align align)
{
    char copy[MAX_TEXT + 1];
    static const size_t buffer_size = (MAX_TEXT + 1) * BYTES_PER_CHAR;
    float quads[(MAX_TEXT + 1) * BYTES_PER_CHAR / sizeof(float)];
    sanitise(text, copy);
    int w = kq_text_width(copy, scale), h = kq_text_height(scale);
    if (align == KQ_ALIGN_CENTRE) {
        x -= w / 2.0;
        y -= h / 2.0;
    } else if (align == KQ_ALIGN_END) {
        x -= w;
    }
    int ox = (int)lround(x), oy = (int)lround(y);
    int n = stb_easy_font_print(0, 0, copy, NULL, quads, (int)buffer_size);
    const size_t floats_per_quad = 4 * VERTEX_BYTES / sizeof(float);
    for (int q = 0; q < n; q++) {
        const float *v = quads + (size_t)q * floats_per_quad;
        /* vertices 0 and 2 are opposite corners of the quad */
        int x0 = (int)v[0], y0 = (int)v[1], x1 = (int)v[8], y1 = (int)v[9];
        kq_canvas_rect(canvas, ox + x0 * scale, oy + y0 * scale,
                       (x1 - x0) * scale, (y1 - y0) * scale, colour);
    }
}
