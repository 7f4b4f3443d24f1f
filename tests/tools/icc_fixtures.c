/* icc_fixtures.c - see icc_fixtures.h. */
#define _POSIX_C_SOURCE 200809L /* open_memstream */
#include "icc_fixtures.h"

#include <stdbool.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <lcms2.h>
#include <png.h>
#include <webp/encode.h>
#include <webp/mux.h>

static cmsHPROFILE display_p3(void)
{
    cmsCIExyY d65 = {0.3127, 0.3290, 1.0};
    cmsCIExyYTRIPLE primaries = {
        {0.680, 0.320, 1.0}, {0.265, 0.690, 1.0}, {0.150, 0.060, 1.0}};
    /* sRGB's curve, IEC 61966-2-1, as lcms parametric type 4 */
    double srgb_curve[5] = {2.4, 1 / 1.055, 0.055 / 1.055, 1 / 12.92,
                            0.04045};
    cmsToneCurve *curve = cmsBuildParametricToneCurve(NULL, 4, srgb_curve);
    cmsToneCurve *curves[3] = {curve, curve, curve};
    cmsHPROFILE p3 = curve ? cmsCreateRGBProfile(&d65, &primaries, curves)
                           : NULL;
    cmsFreeToneCurve(curve);
    return p3;
}

/* profile with the English description text. */
static cmsHPROFILE described(cmsHPROFILE profile, const char *text)
{
    cmsMLU *mlu = profile ? cmsMLUalloc(NULL, 1) : NULL;
    if (mlu && cmsMLUsetASCII(mlu, "en", "US", text))
        cmsWriteTag(profile, cmsSigProfileDescriptionTag, mlu);
    cmsMLUfree(mlu);
    return profile;
}

static cmsHPROFILE profile_named(const char *name)
{
    if (strcmp(name, "p3") == 0 || strcmp(name, "broken") == 0)
        return described(display_p3(), "Display P3 (kquant test)");
    if (strcmp(name, "p3-escapes") == 0) /* a description out to harm */
        return described(display_p3(), "P3\x1b[2J\tcleared ");
    if (strcmp(name, "srgb") == 0)
        return cmsCreate_sRGBProfile();
    if (strcmp(name, "lab") == 0)
        return cmsCreateLab4Profile(NULL);
    return NULL;
}

unsigned char *icc_fixture_profile(const char *name, size_t *len)
{
    cmsHPROFILE profile = profile_named(name);
    cmsUInt32Number bytes = 0;
    unsigned char *icc = NULL;
    if (profile && cmsSaveProfileToMem(profile, NULL, &bytes) &&
        (icc = malloc(bytes)) != NULL &&
        !cmsSaveProfileToMem(profile, icc, &bytes)) {
        free(icc);
        icc = NULL;
    }
    if (profile)
        cmsCloseProfile(profile);
    *len = strcmp(name, "broken") == 0 ? bytes / 2 : bytes;
    return icc;
}

unsigned char *icc_fixture_jpeg(const unsigned char *rgb, int w, int h,
                                const unsigned char *icc, size_t icc_len,
                                size_t *out_len)
{
    struct jpeg_compress_struct cinfo;
    struct jpeg_error_mgr errors;
    unsigned char *out = NULL;
    unsigned long size = 0;
    cinfo.err = jpeg_std_error(&errors); /* test data: errors exit */
    jpeg_create_compress(&cinfo);
    jpeg_mem_dest(&cinfo, &out, &size);
    cinfo.image_width = (JDIMENSION)w;
    cinfo.image_height = (JDIMENSION)h;
    cinfo.input_components = 3;
    cinfo.in_color_space = JCS_RGB;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, 95, TRUE);
    for (int c = 0; c < 3; c++)
        cinfo.comp_info[c].h_samp_factor = cinfo.comp_info[c].v_samp_factor = 1;
    jpeg_start_compress(&cinfo, TRUE);
    if (icc_len > 0)
        jpeg_write_icc_profile(&cinfo, icc, (unsigned)icc_len);
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW row = (JSAMPROW)(rgb + (size_t)cinfo.next_scanline * w * 3);
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    *out_len = size;
    return out;
}

/* Writes the PNG into memory through a FILE (open_memstream). */
static bool write_png(FILE *stream, const unsigned char *rgb, int w, int h,
                      const unsigned char *icc, size_t icc_len)
{
    png_structp png =
        png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!info || setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, info ? &info : NULL);
        return false;
    }
    png_init_io(png, stream);
    png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, 8,
                 PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (icc_len > 0)
        png_set_iCCP(png, info, "test", PNG_COMPRESSION_TYPE_BASE, icc,
                     (png_uint_32)icc_len);
    png_write_info(png, info);
    for (int y = 0; y < h; y++)
        png_write_row(png, rgb + (size_t)y * w * 3);
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    return true;
}

unsigned char *icc_fixture_png(const unsigned char *rgb, int w, int h,
                               const unsigned char *icc, size_t icc_len,
                               size_t *out_len)
{
    char *file = NULL;
    FILE *stream = open_memstream(&file, out_len);
    if (!stream)
        return NULL;
    bool written = write_png(stream, rgb, w, h, icc, icc_len);
    if (fclose(stream) != 0 || !written) {
        free(file);
        return NULL;
    }
    return (unsigned char *)file;
}

/* The mux's assembled file, copied into a buffer of our own (free()). */
static unsigned char *assembled(WebPMux *mux, size_t *out_len)
{
    WebPData file = {NULL, 0};
    unsigned char *copy = NULL;
    if (WebPMuxAssemble(mux, &file) == WEBP_MUX_OK &&
        (copy = malloc(file.size)) != NULL) {
        memcpy(copy, file.bytes, file.size);
        *out_len = file.size;
    }
    WebPDataClear(&file);
    return copy;
}

unsigned char *icc_fixture_webp(const unsigned char *rgb, int w, int h,
                                const unsigned char *icc, size_t icc_len,
                                size_t *out_len)
{
    uint8_t *encoded = NULL;
    size_t encoded_len = WebPEncodeLosslessRGB(rgb, w, h, w * 3, &encoded);
    WebPData image = {encoded, encoded_len};
    WebPData profile = {icc, icc_len};
    WebPMux *mux = encoded_len ? WebPMuxCreate(&image, 0) : NULL;
    unsigned char *file = NULL;
    if (mux && (icc_len == 0 ||
                WebPMuxSetChunk(mux, "ICCP", &profile, 0) == WEBP_MUX_OK))
        file = assembled(mux, out_len);
    WebPMuxDelete(mux);
    WebPFree(encoded);
    return file;
}
