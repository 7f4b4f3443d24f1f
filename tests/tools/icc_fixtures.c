/* icc_fixtures.c - see icc_fixtures.h. */
#define _POSIX_C_SOURCE 200809L /* open_memstream */
#include "icc_fixtures.h"

#include <stdbool.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <libheif/heif.h>
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

/* The colour description a HEIF carries: an ICC profile of icc_len
 * bytes, or else an nclx box when nclx_primaries is non-zero. */
typedef struct {
    const unsigned char *icc;
    size_t icc_len;
    int nclx_primaries, nclx_transfer;
} heif_colour;

static bool set_nclx(struct heif_image *img, const heif_colour *colour)
{
    struct heif_color_profile_nclx *nclx = heif_nclx_color_profile_alloc();
    bool ok =
        nclx &&
        heif_nclx_color_profile_set_color_primaries(
            nclx, (uint16_t)colour->nclx_primaries)
                .code == heif_error_Ok &&
        heif_nclx_color_profile_set_transfer_characteristics(
            nclx, (uint16_t)colour->nclx_transfer)
                .code == heif_error_Ok &&
        heif_nclx_color_profile_set_matrix_coefficients(nclx, 6).code ==
            heif_error_Ok;
    if (ok)
        nclx->full_range_flag = 1;
    ok = ok && heif_image_set_nclx_color_profile(img, nclx).code ==
                   heif_error_Ok;
    heif_nclx_color_profile_free(nclx);
    return ok;
}

static bool set_colour(struct heif_image *img, const heif_colour *colour)
{
    if (colour->icc_len > 0)
        return heif_image_set_raw_color_profile(img, "prof", colour->icc,
                                                colour->icc_len)
                   .code == heif_error_Ok;
    return colour->nclx_primaries == 0 || set_nclx(img, colour);
}

/* An interleaved heif_image holding px of comp channels (3: RGB, 4:
 * RGBA), tagged with colour. */
static struct heif_image *heif_pixels(const unsigned char *px, int comp,
                                      int w, int h,
                                      const heif_colour *colour)
{
    struct heif_image *img = NULL;
    if (heif_image_create(w, h, heif_colorspace_RGB,
                          comp == 4 ? heif_chroma_interleaved_RGBA
                                    : heif_chroma_interleaved_RGB,
                          &img)
            .code != heif_error_Ok)
        return NULL;
    int stride = 0;
    uint8_t *plane = NULL;
    size_t row = (size_t)w * (size_t)comp;
    if (heif_image_add_plane(img, heif_channel_interleaved, w, h, 8).code ==
        heif_error_Ok)
        plane = heif_image_get_plane(img, heif_channel_interleaved, &stride);
    for (int y = 0; plane && y < h; y++)
        memcpy(plane + (size_t)y * stride, px + (size_t)y * row, row);
    if (!plane || !set_colour(img, colour)) {
        heif_image_release(img);
        return NULL;
    }
    return img;
}

static struct heif_error heif_to_stream(struct heif_context *ctx,
                                        const void *data, size_t size,
                                        void *stream)
{
    (void)ctx;
    struct heif_error e = {heif_error_Ok, heif_suberror_Unspecified, ""};
    if (fwrite(data, 1, size, stream) != size)
        e.code = heif_error_Encoding_error;
    return e;
}

/* Encodes img into ctx with format's encoder and writes the file. */
static bool encode_heif(struct heif_context *ctx, struct heif_image *img,
                        enum heif_compression_format format, FILE *stream)
{
    struct heif_encoder *encoder = NULL;
    if (heif_context_get_encoder_for_format(ctx, format, &encoder).code !=
        heif_error_Ok)
        return false;
    heif_encoder_set_lossy_quality(encoder, 90);
    bool ok = heif_context_encode_image(ctx, img, encoder, NULL, NULL).code ==
              heif_error_Ok;
    heif_encoder_release(encoder);
    struct heif_writer writer = {1, heif_to_stream};
    return ok && heif_context_write(ctx, &writer, stream).code ==
                     heif_error_Ok;
}

/* px (of comp channels) as a HEIC or AVIF file in a new buffer. */
static unsigned char *heif_file(const unsigned char *px, int comp, int w,
                                int h, const heif_colour *colour, bool avif,
                                size_t *out_len)
{
    struct heif_context *ctx = heif_context_alloc();
    struct heif_image *img = ctx ? heif_pixels(px, comp, w, h, colour) : NULL;
    char *file = NULL;
    FILE *stream = img ? open_memstream(&file, out_len) : NULL;
    bool ok = stream && encode_heif(ctx, img,
                                    avif ? heif_compression_AV1
                                         : heif_compression_HEVC,
                                    stream);
    if (stream && fclose(stream) != 0)
        ok = false;
    if (!ok) {
        free(file);
        file = NULL;
    }
    if (img)
        heif_image_release(img);
    if (ctx)
        heif_context_free(ctx);
    return (unsigned char *)file;
}

unsigned char *icc_fixture_heif(const unsigned char *rgb, int w, int h,
                                const unsigned char *icc, size_t icc_len,
                                bool avif, size_t *out_len)
{
    heif_colour colour = {icc, icc_len, 0, 0};
    return heif_file(rgb, 3, w, h, &colour, avif, out_len);
}

unsigned char *icc_fixture_heif_nclx(const unsigned char *rgb, int w, int h,
                                     int primaries, int transfer, bool avif,
                                     size_t *out_len)
{
    heif_colour colour = {NULL, 0, primaries, transfer};
    return heif_file(rgb, 3, w, h, &colour, avif, out_len);
}

unsigned char *icc_fixture_heic_rgba(const unsigned char *rgba, int w,
                                     int h, size_t *out_len)
{
    heif_colour colour = {NULL, 0, 0, 0};
    return heif_file(rgba, 4, w, h, &colour, false, out_len);
}
