/* heif.c - HEIC and AVIF images (the HEIF container: an iPhone's photos,
 * the AVIFs image CDNs serve) through Debian's libheif, opened on first
 * use (heif_load.c). The primary image is read, with the rotation,
 * mirroring and cropping its file declares applied (HEIF keeps those in
 * the container, not in EXIF); a sequence or burst gives its primary
 * image, as a GIF gives its first frame. */
#include "kq_internal.h"

#include "heif_api.h"

#include <stdlib.h>
#include <string.h>

bool kq_heif_is(const unsigned char *data, size_t len)
{
    return kq_sniff_heif(data, len);
}

/* A parsed file and its primary image. */
typedef struct {
    const kq_heif_api *api;
    struct heif_context *ctx;
    struct heif_image_handle *handle;
} heif_file;

/* Releases what f holds; closing twice is harmless. */
static void close_file(heif_file *f)
{
    if (f->handle)
        f->api->image_handle_release(f->handle);
    if (f->ctx)
        f->api->context_free(f->ctx);
    f->handle = NULL;
    f->ctx = NULL;
}

static kq_status unreadable(struct heif_error e, char *err, size_t err_len)
{
    char why[160]; /* libheif's words may run over lines */
    snprintf(why, sizeof why, "%s", e.message ? e.message : "");
    kq_keep_printable(why);
    return kq_fail(KQ_ERR_INPUT_FORMAT, err, err_len,
                   "corrupt or truncated image (a HEIF file libheif cannot "
                   "read: %s)",
                   why[0] ? why : "no reason given");
}

/* Parses data (kept, not copied: it outlives f) down to the primary
 * image's handle; nothing is decoded yet. */
static kq_status open_file(const unsigned char *data, size_t len,
                           heif_file *f, char *err, size_t err_len)
{
    const char *why = "";
    *f = (heif_file){kq_heif(&why), NULL, NULL};
    if (!f->api)
        return kq_fail(KQ_ERR_INTERNAL, err, err_len,
                       "cannot load libheif (%s); HEIC and AVIF input "
                       "needs Debian's libheif1",
                       why);
    f->ctx = f->api->context_alloc();
    if (!f->ctx)
        return kq_fail(KQ_ERR_NOMEM, err, err_len, "out of memory");
    struct heif_error e = f->api->context_read_from_memory_without_copy(
        f->ctx, data, len, NULL);
    if (e.code == heif_error_Ok)
        e = f->api->context_get_primary_image_handle(f->ctx, &f->handle);
    if (e.code != heif_error_Ok) {
        kq_status st = unreadable(e, err, err_len); /* the context owns */
        close_file(f);                              /* e.message */
        return st;
    }
    return KQ_OK;
}

kq_status kq_heif_info(const unsigned char *data, size_t len, int *width,
                       int *height, char *err, size_t err_len)
{
    heif_file f;
    kq_status st = open_file(data, len, &f, err, err_len);
    if (st != KQ_OK)
        return st;
    *width = f.api->image_handle_get_width(f.handle);
    *height = f.api->image_handle_get_height(f.handle);
    close_file(&f);
    return KQ_OK;
}

/* The decoded image's interleaved rows, copied into a new buffer of comp
 * channels, if it has the size the header gave. */
static unsigned char *copy_rows(const heif_file *f,
                                const struct heif_image *img, int width,
                                int height, int comp)
{
    int stride = 0;
    const uint8_t *plane = f->api->image_get_plane_readonly(
        img, heif_channel_interleaved, &stride);
    if (!plane ||
        f->api->image_get_width(img, heif_channel_interleaved) != width ||
        f->api->image_get_height(img, heif_channel_interleaved) != height ||
        stride < width * comp)
        return NULL;
    size_t row = (size_t)width * (size_t)comp; /* sizes checked */
    unsigned char *px = malloc(row * (size_t)height);
    for (int y = 0; px && y < height; y++)
        memcpy(px + (size_t)y * row, plane + (size_t)y * (size_t)stride, row);
    return px;
}

/* The primary image as 8-bit interleaved RGB or RGBA: 10- and 12-bit
 * images are cut to 8 bits by libheif. */
static kq_status decode_primary(const heif_file *f, int width, int height,
                                unsigned char **px_out, int *comp_out,
                                char *err, size_t err_len)
{
    struct heif_decoding_options *options = f->api->decoding_options_alloc();
    if (!options)
        return kq_fail(KQ_ERR_NOMEM, err, err_len, "out of memory");
    options->convert_hdr_to_8bit = 1;
    bool alpha = f->api->image_handle_has_alpha_channel(f->handle);
    struct heif_image *img = NULL;
    struct heif_error e = f->api->decode_image(
        f->handle, &img, heif_colorspace_RGB,
        alpha ? heif_chroma_interleaved_RGBA : heif_chroma_interleaved_RGB,
        options);
    f->api->decoding_options_free(options);
    if (e.code != heif_error_Ok)
        return unreadable(e, err, err_len);
    int comp = alpha ? 4 : 3;
    unsigned char *px = copy_rows(f, img, width, height, comp);
    f->api->image_release(img);
    if (!px)
        return kq_fail(KQ_ERR_INPUT_FORMAT, err, err_len,
                       "corrupt image (a HEIF image whose pixels do not "
                       "match its header's %dx%d)",
                       width, height);
    *px_out = px;
    *comp_out = comp;
    return KQ_OK;
}

kq_status kq_heif_decode(const unsigned char *data, size_t len, int width,
                         int height, unsigned char **px_out, int *comp_out,
                         char *err, size_t err_len)
{
    heif_file f;
    *px_out = NULL;
    kq_status st = open_file(data, len, &f, err, err_len);
    if (st == KQ_OK)
        st = decode_primary(&f, width, height, px_out, comp_out, err,
                            err_len);
    close_file(&f);
    return st;
}

/* The summary's name for nclx primaries. */
static const char *primaries_name(enum heif_color_primaries primaries)
{
    switch (primaries) {
    case heif_color_primaries_SMPTE_EG_432_1: return "Display P3 (nclx)";
    case heif_color_primaries_SMPTE_RP_431_2: return "DCI-P3 (nclx)";
    case heif_color_primaries_ITU_R_BT_2020_2_and_2100_0:
        return "BT.2020 (nclx)";
    default: return "nclx primaries";
    }
}

static bool is_chromaticity(float x, float y)
{
    return x > 0.0f && x < 1.0f && y > 0.0f && y < 1.0f;
}

/* The SDR transfer curve an nclx box declares; false for HDR (PQ, HLG),
 * which an 8-bit sRGB image cannot show, and for rare ones. */
static bool sdr_transfer(enum heif_transfer_characteristics declared,
                         kq_transfer *transfer)
{
    switch (declared) {
    case heif_transfer_characteristic_IEC_61966_2_1:
    case heif_transfer_characteristic_unspecified:
        *transfer = KQ_TRANSFER_SRGB;
        return true;
    case heif_transfer_characteristic_ITU_R_BT_709_5:
    case heif_transfer_characteristic_ITU_R_BT_601_6:
    case heif_transfer_characteristic_ITU_R_BT_2020_2_10bit:
    case heif_transfer_characteristic_ITU_R_BT_2020_2_12bit:
        *transfer = KQ_TRANSFER_BT709;
        return true;
    case heif_transfer_characteristic_linear:
        *transfer = KQ_TRANSFER_LINEAR;
        return true;
    default:
        return false;
    }
}

/* The colour space an nclx box declares, when its pixels need turning
 * into sRGB: not for BT.709's primaries (sRGB's, and what "unspecified"
 * means in practice), nor for an HDR transfer: those stay as decoded. */
static bool nclx_space(const struct heif_color_profile_nclx *n,
                       kq_colour_space *space)
{
    kq_transfer transfer;
    if (!sdr_transfer(n->transfer_characteristics, &transfer) ||
        n->color_primaries == heif_color_primaries_ITU_R_BT_709_5 ||
        n->color_primaries == heif_color_primaries_unspecified ||
        !is_chromaticity(n->color_primary_red_x, n->color_primary_red_y) ||
        !is_chromaticity(n->color_primary_green_x, n->color_primary_green_y) ||
        !is_chromaticity(n->color_primary_blue_x, n->color_primary_blue_y) ||
        !is_chromaticity(n->color_primary_white_x, n->color_primary_white_y))
        return false;
    *space = (kq_colour_space){
        {n->color_primary_red_x, n->color_primary_red_y},
        {n->color_primary_green_x, n->color_primary_green_y},
        {n->color_primary_blue_x, n->color_primary_blue_y},
        {n->color_primary_white_x, n->color_primary_white_y},
        transfer,
        primaries_name(n->color_primaries)};
    return true;
}

/* The file's ICC profile, or one made from its nclx box. */
static unsigned char *profile_of(const heif_file *f, size_t *icc_len)
{
    size_t size = f->api->image_handle_get_raw_color_profile_size(f->handle);
    unsigned char *icc = NULL;
    if (size > 0) {
        if ((icc = malloc(size)) != NULL &&
            f->api->image_handle_get_raw_color_profile(f->handle, icc)
                    .code != heif_error_Ok) {
            free(icc);
            return NULL;
        }
        *icc_len = icc ? size : 0;
        return icc;
    }
    struct heif_color_profile_nclx *nclx = NULL;
    kq_colour_space space;
    if (f->api->image_handle_get_nclx_color_profile(f->handle, &nclx).code ==
            heif_error_Ok &&
        nclx && nclx_space(nclx, &space))
        icc = kq_icc_profile_for(&space, icc_len);
    if (nclx)
        f->api->nclx_color_profile_free(nclx);
    return icc;
}

unsigned char *kq_heif_icc_profile(const unsigned char *data, size_t len,
                                   size_t *icc_len)
{
    heif_file f;
    *icc_len = 0;
    if (open_file(data, len, &f, NULL, 0) != KQ_OK)
        return NULL; /* the decode will say what is wrong */
    unsigned char *icc = profile_of(&f, icc_len);
    close_file(&f);
    return icc;
}
