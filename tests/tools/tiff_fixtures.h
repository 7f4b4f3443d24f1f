/* tiff_fixtures.h - TIFF files of many kinds, written by libtiff for the
 * tests (unit_tiff, unit_icc) and the CLI tests' fixture tool
 * (kq_icc_fixture), so that no TIFF fixture needs another program. */
#ifndef TIFF_FIXTURES_H
#define TIFF_FIXTURES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    int width, height;
    /* 1 grey (or palette indices), 3 RGB, 4 RGBA (unassociated alpha) */
    int samples;
    /* width x height x samples 8-bit samples; at 16 bits each v is
     * written as v * 257, which stands for the same level */
    const unsigned char *pixels;
    int bits;               /* 8 or 16; 32 writes floats (v / 255) */
    const uint16_t *palette; /* 3 x 256 colormap entries: a palette image */
    uint16_t compression;    /* COMPRESSION_NONE, _LZW, _ADOBE_DEFLATE */
    bool tiled;              /* 16 x 16 tiles instead of strips of 5 rows */
    bool separate_planes;    /* one plane per sample */
    int orientation;         /* the Orientation tag, 0: none */
    const unsigned char *icc; /* an ICC profile of icc_len bytes, or NULL */
    size_t icc_len;
    int pages; /* > 1: more pages follow, each the negative of the first */
} tiff_fixture_spec;

/* The file spec describes, in a new buffer (free()) of *out_len bytes;
 * NULL when libtiff cannot write it. */
unsigned char *tiff_fixture(const tiff_fixture_spec *spec, size_t *out_len);

#endif
