/* orient.c - a JPEG's EXIF orientation (read by libexif) and the turn or
 * mirror that shows its pixels upright, as viewers and OpenCV's imread
 * show them. */
#include "kq_internal.h"

#include <libexif/exif-data.h>
#include <limits.h>
#include <stdlib.h>

int kq_exif_orientation(const unsigned char *data, size_t len)
{
    if (len > UINT_MAX)
        return 1;
    ExifData *exif = exif_data_new();
    if (!exif)
        return 1;
    /* only read: no mandatory entries added, no values "fixed" */
    exif_data_unset_option(exif, EXIF_DATA_OPTION_FOLLOW_SPECIFICATION);
    exif_data_load_data(exif, data, (unsigned int)len);
    ExifEntry *entry =
        exif_content_get_entry(exif->ifd[EXIF_IFD_0], EXIF_TAG_ORIENTATION);
    int value = 1;
    if (entry && entry->format == EXIF_FORMAT_SHORT &&
        entry->components == 1 && entry->size >= 2)
        value = exif_get_short(entry->data, exif_data_get_byte_order(exif));
    exif_data_unref(exif);
    return value >= 1 && value <= 8 ? value : 1;
}

/* The EXIF definition of orientations 1-8: 5-8 swap the axes, then the
 * stored x or y runs backwards for some. */
static bool swaps_axes(int orientation)
{
    return orientation >= 5;
}

static bool flips_stored_x(int orientation)
{
    return orientation == 2 || orientation == 3 || orientation == 7 ||
           orientation == 8;
}

static bool flips_stored_y(int orientation)
{
    return orientation == 3 || orientation == 4 || orientation == 6 ||
           orientation == 7;
}

/* Where the upright pixel (x, y) of an image stored w wide and h high
 * comes from. */
static size_t source_index(int orientation, int x, int y, int w, int h)
{
    bool swap = swaps_axes(orientation);
    int u = swap ? y : x, v = swap ? x : y;
    int sx = flips_stored_x(orientation) ? w - 1 - u : u;
    int sy = flips_stored_y(orientation) ? h - 1 - v : v;
    return (size_t)sy * (size_t)w + (size_t)sx;
}

/* A reduced decode's geometry, upright: its stored last column and row
 * (the partial pixels) end where the turn takes them, first when the
 * stored axis runs backwards. */
static void turn_geometry(kq_image *img, int orientation)
{
    if (img->reduced_by <= 1)
        return;
    bool swap = swaps_axes(orientation);
    bool x_first = flips_stored_x(orientation),
         y_first = flips_stored_y(orientation);
    int sw = img->source_width, sh = img->source_height;
    img->source_width = swap ? sh : sw;
    img->source_height = swap ? sw : sh;
    img->partial_left = swap ? y_first : x_first;
    img->partial_top = swap ? x_first : y_first;
}

/* perf: the turn walks tiles of TILE x TILE pixels, so that the stored
 * rows a turned row reads down stay in cache (12 MP: whole rows read
 * 36 MB of columns). */
#define TILE 64

static void turn_tile(const kq_image *img, int orientation,
                      unsigned char *upright, int out_w, int x0, int y0,
                      int x1, int y1)
{
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) {
            const unsigned char *from =
                img->rgb + 3 * source_index(orientation, x, y, img->width,
                                            img->height);
            unsigned char *to = upright + 3 * ((size_t)y * out_w + x);
            to[0] = from[0];
            to[1] = from[1];
            to[2] = from[2];
        }
}

kq_status kq_image_orient(kq_image *img, int orientation)
{
    if (orientation <= 1 || orientation > 8)
        return KQ_OK;
    int w = img->width, h = img->height;
    int out_w = orientation >= 5 ? h : w, out_h = orientation >= 5 ? w : h;
    size_t bytes = (size_t)w * (size_t)h * 3; /* sizes checked at decode */
    unsigned char *upright = malloc(bytes);
    if (!upright)
        return KQ_ERR_NOMEM;
    kq_advise_huge_pages(upright, bytes);
    for (int y = 0; y < out_h; y += TILE)
        for (int x = 0; x < out_w; x += TILE)
            turn_tile(img, orientation, upright, out_w, x, y,
                      x + TILE < out_w ? x + TILE : out_w,
                      y + TILE < out_h ? y + TILE : out_h);
    free(img->rgb);
    img->rgb = upright;
    img->width = out_w;
    img->height = out_h;
    turn_geometry(img, orientation);
    return KQ_OK;
}
