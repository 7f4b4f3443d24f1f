/* icc_fixtures.h - images with embedded colour profiles, made in memory
 * for the tests (unit_icc) and the CLI tests' fixture tool
 * (kq_icc_fixture): the profiles come from Little CMS, the files from
 * libjpeg, libpng, libwebp and libheif, so no fixture needs another
 * program to make. */
#ifndef ICC_FIXTURES_H
#define ICC_FIXTURES_H

#include <stdbool.h>
#include <stddef.h>

/* A new ICC profile (free()) of *len bytes: "p3" (Display P3: P3
 * primaries, D65, sRGB's curve; described "Display P3 (kquant test)"),
 * "p3-escapes" (the same, described with an escape sequence and a tab),
 * "srgb" (Little CMS's sRGB), "lab" (a Lab profile, no RGB one) or
 * "broken" (a P3 profile cut in half); NULL for any other name. */
unsigned char *icc_fixture_profile(const char *name, size_t *len);

/* An 8-bit RGB image of w x h as a JPEG (quality 95, no chroma
 * subsampling) or a PNG, in a new buffer (free()) of *out_len bytes, with
 * the profile icc embedded when icc_len > 0 (APP2 markers, iCCP); NULL
 * when it cannot be made. */
unsigned char *icc_fixture_jpeg(const unsigned char *rgb, int w, int h,
                                const unsigned char *icc, size_t icc_len,
                                size_t *out_len);
unsigned char *icc_fixture_png(const unsigned char *rgb, int w, int h,
                               const unsigned char *icc, size_t icc_len,
                               size_t *out_len);
/* The same as a HEIC (HEVC) or, when avif, an AVIF (AV1), lossy at
 * quality 90, through libheif's encoders; NULL also when this libheif has
 * no encoder for the format. */
unsigned char *icc_fixture_heif(const unsigned char *rgb, int w, int h,
                                const unsigned char *icc, size_t icc_len,
                                bool avif, size_t *out_len);
/* The same with no ICC profile but an nclx box declaring the given
 * primaries and transfer (ISO/IEC 23091-2 codes: 12 and 13 are Display
 * P3's, 9 BT.2020's primaries, 16 PQ), as AVIF encoders write. */
unsigned char *icc_fixture_heif_nclx(const unsigned char *rgb, int w, int h,
                                     int primaries, int transfer, bool avif,
                                     size_t *out_len);
/* An RGBA image as a HEIC with an alpha plane (no profile). */
unsigned char *icc_fixture_heic_rgba(const unsigned char *rgba, int w,
                                     int h, size_t *out_len);
/* The same as a lossless WebP (an ICCP chunk, through libwebpmux). */
unsigned char *icc_fixture_webp(const unsigned char *rgb, int w, int h,
                                const unsigned char *icc, size_t icc_len,
                                size_t *out_len);

#endif
