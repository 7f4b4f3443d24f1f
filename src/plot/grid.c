/* grid.c - the sweep's recoloured images side by side, titled k=<K>. */
#include "plot/canvas.h"

#include <math.h>
#include <stdio.h>

#define MARGIN 16
#define GAP 16
#define TITLE_BAND 34
#define PANEL_MIN 120 /* longest side: small images are enlarged to this */
#define PANEL_MAX 360 /* and large ones shrunk to this */

static const kq_rgb BACKGROUND = {255, 255, 255};
static const kq_rgb TEXT = {42, 63, 95};

/* The size a panel is shown at, keeping its aspect ratio. */
static void panel_size(int width, int height, int *w, int *h)
{
    int longest = width > height ? width : height;
    int target = longest < PANEL_MIN ? PANEL_MIN
                 : longest > PANEL_MAX ? PANEL_MAX : longest;
    double f = (double)target / longest;
    *w = (int)lround(width * f);
    *h = (int)lround(height * f);
    *w = *w < 1 ? 1 : *w;
    *h = *h < 1 ? 1 : *h;
}

kq_status kq_plot_grid_layout(int count, int panel_width, int panel_height,
                              int index, kq_plot_rect *panel_out,
                              kq_plot_rect *grid_out)
{
    if (count < 1 || count > KQ_MAX_CLUSTERS || index < 0 ||
        index >= count || panel_width < 1 || panel_height < 1)
        return KQ_ERR_ARGUMENT;
    int w, h;
    panel_size(panel_width, panel_height, &w, &h);
    int columns = count < KQ_PLOT_GRID_COLUMNS ? count : KQ_PLOT_GRID_COLUMNS;
    int rows = (count + columns - 1) / columns;
    if (panel_out) {
        int col = index % columns, row = index / columns;
        *panel_out = (kq_plot_rect){
            MARGIN + col * (w + GAP),
            MARGIN + row * (TITLE_BAND + h + GAP) + TITLE_BAND, w, h};
    }
    if (grid_out)
        *grid_out = (kq_plot_rect){
            0, 0, 2 * MARGIN + columns * w + (columns - 1) * GAP,
            2 * MARGIN + rows * (TITLE_BAND + h) + (rows - 1) * GAP};
    return KQ_OK;
}

kq_status kq_plot_grid(const kq_image *panels, const int *ks, int count,
                       kq_image *out)
{
    if (!panels || !ks || count < 1)
        return KQ_ERR_ARGUMENT;
    for (int i = 0; i < count; i++)
        if (!panels[i].rgb || panels[i].width != panels[0].width ||
            panels[i].height != panels[0].height)
            return KQ_ERR_ARGUMENT;
    kq_plot_rect grid;
    kq_canvas canvas = {0};
    kq_status st = kq_plot_grid_layout(count, panels[0].width,
                                       panels[0].height, 0, NULL, &grid);
    if (st == KQ_OK)
        st = kq_canvas_new(grid.width, grid.height, BACKGROUND, &canvas);
    for (int i = 0; st == KQ_OK && i < count; i++) {
        kq_plot_rect r = {0, 0, 0, 0};
        kq_plot_grid_layout(count, panels[0].width, panels[0].height, i, &r,
                            NULL);
        kq_canvas_blit(&canvas, &panels[i], r.x, r.y, r.width, r.height);
        char title[24];
        snprintf(title, sizeof title, "k=%d", ks[i]);
        kq_canvas_text(&canvas, r.x + r.width / 2.0, r.y - TITLE_BAND / 2.0,
                       title, 2, TEXT, KQ_ALIGN_CENTRE);
    }
    if (st == KQ_OK)
        st = kq_canvas_to_image(&canvas, out);
    kq_canvas_free(&canvas);
    return st;
}
