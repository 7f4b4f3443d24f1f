/* tiff_fixtures.c - TIFF files written by libtiff for the tests. */
#include "tiff_fixtures.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <tiffio.h>

#define TILE 16
#define STRIP_ROWS 5

static uint16_t photometric(const tiff_fixture_spec *spec)
{
    if (spec->palette)
        return PHOTOMETRIC_PALETTE;
    return spec->samples >= 3 ? PHOTOMETRIC_RGB : PHOTOMETRIC_MINISBLACK;
}

static bool set_tags(TIFF *tif, const tiff_fixture_spec *spec)
{
    bool ok = TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, spec->width) &&
              TIFFSetField(tif, TIFFTAG_IMAGELENGTH, spec->height) &&
              TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, spec->samples) &&
              TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, spec->bits) &&
              TIFFSetField(tif, TIFFTAG_SAMPLEFORMAT,
                           spec->bits == 32 ? SAMPLEFORMAT_IEEEFP
                                            : SAMPLEFORMAT_UINT) &&
              TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, photometric(spec)) &&
              TIFFSetField(tif, TIFFTAG_PLANARCONFIG,
                           spec->separate_planes ? PLANARCONFIG_SEPARATE
                                                 : PLANARCONFIG_CONTIG) &&
              TIFFSetField(tif, TIFFTAG_COMPRESSION,
                           spec->compression ? spec->compression
                                             : COMPRESSION_NONE);
    if (ok && spec->samples == 4) {
        uint16_t extra = EXTRASAMPLE_UNASSALPHA;
        ok = TIFFSetField(tif, TIFFTAG_EXTRASAMPLES, 1, &extra);
    }
    if (ok && spec->palette)
        ok = TIFFSetField(tif, TIFFTAG_COLORMAP, spec->palette,
                          spec->palette + 256, spec->palette + 512);
    if (ok && spec->orientation)
        ok = TIFFSetField(tif, TIFFTAG_ORIENTATION, spec->orientation);
    if (ok && spec->icc)
        ok = TIFFSetField(tif, TIFFTAG_ICCPROFILE, (uint32_t)spec->icc_len,
                          spec->icc);
    if (ok && spec->tiled)
        return TIFFSetField(tif, TIFFTAG_TILEWIDTH, TILE) &&
               TIFFSetField(tif, TIFFTAG_TILELENGTH, TILE);
    return ok && TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, STRIP_ROWS);
}

/* Sample s of pixel (x, y) on page, at the spec's depth, at out. */
static void put_sample(const tiff_fixture_spec *spec, int page, int x, int y,
                       int s, unsigned char *out)
{
    unsigned v = spec->pixels[((size_t)y * spec->width + x) * spec->samples +
                              s];
    if (page > 0)
        v = 255 - v;
    if (spec->bits == 16) {
        uint16_t wide = (uint16_t)(v * 257);
        memcpy(out, &wide, 2); /* libtiff takes native order */
    } else if (spec->bits == 32) {
        float f = (float)v / 255.0f;
        memcpy(out, &f, 4);
    } else {
        *out = (unsigned char)v;
    }
}

/* The block of w x h pixels at (x0, y0) of plane (or every sample when
 * planes are contiguous), zero outside the image, in buf. */
static size_t fill_block(const tiff_fixture_spec *spec, int page, int plane,
                         int x0, int y0, int w, int h, unsigned char *buf)
{
    int per_pixel = spec->separate_planes ? 1 : spec->samples;
    size_t bytes = (size_t)spec->bits / 8, n = 0;
    for (int y = y0; y < y0 + h; y++)
        for (int x = x0; x < x0 + w; x++)
            for (int s = 0; s < per_pixel; s++, n += bytes) {
                int sample = spec->separate_planes ? plane : s;
                if (x < spec->width && y < spec->height)
                    put_sample(spec, page, x, y, sample, buf + n);
                else
                    memset(buf + n, 0, bytes);
            }
    return n;
}

static bool write_blocks(TIFF *tif, const tiff_fixture_spec *spec, int page)
{
    int planes = spec->separate_planes ? spec->samples : 1;
    int bw = spec->tiled ? TILE : spec->width;
    int bh = spec->tiled ? TILE : STRIP_ROWS;
    unsigned char *buf =
        malloc((size_t)bw * bh * spec->samples * (spec->bits / 8));
    bool ok = buf != NULL;
    for (int p = 0; ok && p < planes; p++)
        for (int y = 0; ok && y < spec->height; y += bh)
            for (int x = 0; ok && x < spec->width; x += bw) {
                int h = spec->tiled || y + bh <= spec->height
                            ? bh
                            : spec->height - y;
                size_t n = fill_block(spec, page, p, x, y, bw, h, buf);
                ok = spec->tiled
                         ? TIFFWriteTile(tif, buf, (uint32_t)x, (uint32_t)y,
                                         0, (uint16_t)p) >= 0
                         : TIFFWriteEncodedStrip(
                               tif, TIFFComputeStrip(tif, (uint32_t)y,
                                                     (uint16_t)p),
                               buf, (tmsize_t)n) >= 0;
            }
    free(buf);
    return ok;
}

static unsigned char *read_back(FILE *f, size_t *out_len)
{
    long size = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    unsigned char *file = size > 0 ? malloc((size_t)size) : NULL;
    if (file && (fseek(f, 0, SEEK_SET) != 0 ||
                 fread(file, 1, (size_t)size, f) != (size_t)size)) {
        free(file);
        return NULL;
    }
    if (file)
        *out_len = (size_t)size;
    return file;
}

unsigned char *tiff_fixture(const tiff_fixture_spec *spec, size_t *out_len)
{
    FILE *f = tmpfile();
    int fd = f ? dup(fileno(f)) : -1;
    TIFF *tif = fd >= 0 ? TIFFFdOpen(fd, "fixture", "w") : NULL;
    bool ok = tif != NULL;
    int pages = spec->pages > 1 ? spec->pages : 1;
    for (int page = 0; ok && page < pages; page++)
        ok = set_tags(tif, spec) && write_blocks(tif, spec, page) &&
             TIFFWriteDirectory(tif);
    if (tif)
        TIFFClose(tif); /* closes fd */
    else if (fd >= 0)
        close(fd);
    unsigned char *file = ok ? read_back(f, out_len) : NULL;
    if (f)
        fclose(f);
    return file;
}
