/* png_read.c - PNG decoding with libpng (Debian's libpng-dev, which kquant
 * already links to write its palette PNGs).
 *
 * Why not stb_image, which decodes the other formats: its inflate is about
 * four times slower than zlib's, and PNG decoding was the largest stage of
 * a run on the bundled 600x400 photo (17 ms with stb). The header, the size
 * limits and the guards against hostile files are checked before this is
 * called (image.c).
 *
 * The pixels are the ones stb_image gives, bit for bit: palettes and
 * low-bit greys expanded the same way, 16-bit samples cut to their high
 * byte, transparency (tRNS) made an alpha channel, no gamma applied. Like
 * stb, chunk CRCs and zlib's checksum are not checked; a truncated or
 * undecodable file is refused. */
#include "kq_internal.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>

typedef struct {
    jmp_buf jump;
    char message[128];
    const unsigned char *data;
    size_t len, at;
} png_source;

static void on_error(png_structp png, png_const_charp message)
{
    png_source *src = png_get_error_ptr(png);
    snprintf(src->message, sizeof src->message, "%s", message);
    longjmp(src->jump, 1);
}

static void on_warning(png_structp png, png_const_charp message)
{
    (void)png;
    (void)message; /* what stb would not mention either */
}

static void read_bytes(png_structp png, png_bytep out, size_t n)
{
    png_source *src = png_get_io_ptr(png);
    if (n > src->len - src->at)
        png_error(png, "Premature end of PNG file");
    memcpy(out, src->data + src->at, n);
    src->at += n;
}

/* libpng's reader of src, reporting through it; false when memory runs
 * out. The caller sets src->jump before reading. */
static bool open_reader(png_source *src, png_structp *png, png_infop *info)
{
    *png = png_create_read_struct(PNG_LIBPNG_VER_STRING, src, on_error,
                                  on_warning);
    *info = *png ? png_create_info_struct(*png) : NULL;
    if (!*info) {
        png_destroy_read_struct(*png ? png : NULL, NULL, NULL);
        return false;
    }
    png_set_read_fn(*png, src, read_bytes);
    return true;
}

bool kq_png_is(const unsigned char *data, size_t len)
{
    return len >= 8 && png_sig_cmp(data, 0, 8) == 0;
}

/* The transformations that give stb_image's samples: 8 bits, palettes as
 * RGB, transparency as alpha; returns the number of passes to read
 * (7 for an interlaced image). */
static int ask_for_stb_samples(png_structp png, png_infop info)
{
    png_set_crc_action(png, PNG_CRC_QUIET_USE, PNG_CRC_QUIET_USE);
#ifdef PNG_IGNORE_ADLER32 /* nor does stb check zlib's checksum */
    png_set_option(png, PNG_IGNORE_ADLER32, PNG_OPTION_ON);
#endif
    png_read_info(png, info);
    png_set_strip_16(png);
    png_set_palette_to_rgb(png);
    png_set_expand_gray_1_2_4_to_8(png);
    if (png_get_valid(png, info, PNG_INFO_tRNS))
        png_set_tRNS_to_alpha(png);
    int passes = png_set_interlace_handling(png);
    png_read_update_info(png, info);
    return passes;
}

/* Only the image's rows are read: nothing after them (no png_read_end),
 * so no more data is ever inflated than the image needs, whatever the
 * file holds. A "zip bomb" costs what its stated size does. Row by row
 * (each interlace pass fills its pixels into the rows), so no array of
 * row pointers is needed: 8 bytes a row would be 800 MB for a 1 x 10^8
 * image, within the pixel limit. */
static void read_rows(png_structp png, unsigned char *px, size_t stride,
                      int height, int passes)
{
    for (int pass = 0; pass < passes; pass++)
        for (int y = 0; y < height; y++)
            png_read_row(png, px + (size_t)y * stride, NULL);
}

kq_status kq_png_decode(const unsigned char *data, size_t len, int width,
                        int height, unsigned char **px_out, int *comp_out,
                        char *err, size_t err_len)
{
    png_source src = {.data = data, .len = len};
    png_structp png;
    png_infop info;
    unsigned char *volatile px = NULL;
    *px_out = NULL;
    if (!open_reader(&src, &png, &info))
        return kq_fail(KQ_ERR_NOMEM, err, err_len, "out of memory");
    if (setjmp(src.jump)) {
        png_destroy_read_struct(&png, &info, NULL);
        free(px);
        return kq_fail(KQ_ERR_INPUT_FORMAT, err, err_len,
                       "corrupt or truncated image (%s)", src.message);
    }
    int passes = ask_for_stb_samples(png, info);
    int comp = png_get_channels(png, info);
    if ((int)png_get_image_width(png, info) != width ||
        (int)png_get_image_height(png, info) != height || comp < 1 ||
        comp > 4 || png_get_bit_depth(png, info) != 8) {
        png_destroy_read_struct(&png, &info, NULL);
        return kq_fail(KQ_ERR_INPUT_FORMAT, err, err_len,
                       "corrupt image (header said %dx%d)", width, height);
    }
    size_t stride = (size_t)width * (size_t)comp; /* checked sizes */
    px = malloc(stride * (size_t)height);
    if (!px) {
        png_destroy_read_struct(&png, &info, NULL);
        return kq_fail(KQ_ERR_NOMEM, err, err_len, "out of memory");
    }
    read_rows(png, px, stride, height, passes);
    png_destroy_read_struct(&png, &info, NULL);
    *px_out = px;
    *comp_out = comp;
    return KQ_OK;
}

unsigned char *kq_png_icc_profile(const unsigned char *data, size_t len,
                                  size_t *icc_len)
{
    png_source src = {.data = data, .len = len};
    png_structp png;
    png_infop info;
    unsigned char *volatile copy = NULL;
    if (!open_reader(&src, &png, &info))
        return NULL;
    if (setjmp(src.jump)) { /* the decode will say what is wrong */
        png_destroy_read_struct(&png, &info, NULL);
        free(copy);
        return NULL;
    }
    png_read_info(png, info);
    png_charp name;
    int method;
    png_bytep profile;
    png_uint_32 profile_len = 0;
    if (png_get_iCCP(png, info, &name, &method, &profile, &profile_len) &&
        profile_len > 0 && (copy = malloc(profile_len)) != NULL)
        memcpy(copy, profile, profile_len);
    png_destroy_read_struct(&png, &info, NULL);
    *icc_len = profile_len;
    return copy;
}
