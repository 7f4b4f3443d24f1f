/* jpeg.c - JPEG decoding with libjpeg-turbo (Debian's libjpeg-dev).
 *
 * Why not stb_image, which decodes every other format: libjpeg-turbo's
 * SIMD decoder is about twice as fast, and the decode is the largest stage
 * of a run on a photo (1920x1200: 58 ms with stb, 30 ms here; 12 MP: 0.30
 * s and 0.17 s). The header, the size limits and the guards against
 * hostile files are checked before this is called (image.c), so a JPEG
 * reaches it only once it may be decoded at all. */
#include "kq_internal.h"

#include <setjmp.h>
#include <stdio.h> /* jpeglib.h needs FILE */
#include <stdlib.h>

#include <jerror.h>
#include <jpeglib.h>

typedef struct {
    struct jpeg_error_mgr mgr;
    jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
} decode_failure;

static void on_error(j_common_ptr cinfo)
{
    decode_failure *f = (decode_failure *)(void *)cinfo->err;
    cinfo->err->format_message(cinfo, f->message);
    longjmp(f->jump, 1);
}

/* libjpeg only warns when data runs out and pads the image with grey; a
 * truncated file must be refused instead, as stb_image does. Other
 * warnings (such as stray bytes between markers) keep the decode going. */
static void on_message(j_common_ptr cinfo, int level)
{
    int code = cinfo->err->msg_code;
    if (level < 0 && (code == JWRN_JPEG_EOF || code == JWRN_HIT_MARKER))
        on_error(cinfo);
}

/* libjpeg's error manager, set to jump to failure->jump. */
static struct jpeg_error_mgr *failure_manager(decode_failure *failure)
{
    struct jpeg_error_mgr *mgr = jpeg_std_error(&failure->mgr);
    mgr->error_exit = on_error;
    mgr->emit_message = on_message;
    return mgr;
}

/* Stricter than guard.c's jpeg_start(), on purpose: libjpeg wants SOI at
 * byte 0, while stb also takes 0xFF fill bytes before it, so such files
 * stay with stb. */
bool kq_jpeg_is(const unsigned char *data, size_t len)
{
    return len >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF;
}

/* Rows of rgb, as libjpeg wants them (its largest burst at once); each
 * burst told to opts->on_rows (perf: colours counted meanwhile). */
static void read_rows(struct jpeg_decompress_struct *cinfo,
                      const kq_load_options *opts, unsigned char *rgb)
{
    size_t stride = (size_t)cinfo->output_width * 3;
    while (cinfo->output_scanline < cinfo->output_height) {
        JSAMPROW rows[16];
        JDIMENSION at = cinfo->output_scanline, n = 0;
        while (n < 16 && at + n < cinfo->output_height) {
            rows[n] = rgb + (size_t)(at + n) * stride;
            n++;
        }
        jpeg_read_scanlines(cinfo, rows, n);
        if (opts->on_rows)
            opts->on_rows(opts->on_rows_ctx, rgb, (int)cinfo->output_width,
                          (int)cinfo->output_height,
                          (int)cinfo->output_scanline);
    }
}

int kq_jpeg_reduced_side(int n, int by)
{
    return n / by + (n % by != 0);
}

/* perf: a JPEG that is resized next to a much smaller size is decoded at
 * 1/s of its size (libjpeg-turbo's DCT scaling: each 8x8 block's inverse
 * DCT from its lowest frequencies only, close to a mean over s x s
 * pixels), with s the largest of 8, 4 and 2 that leaves at least twice the
 * target on both sides, the margin resize.c's block means leave the
 * Mitchell filter. The entropy decoding stays, so the decode costs less
 * but not 1/s^2 (12 MP to 240x320: 1/4, djpeg 0.12 -> 0.09 s), and the
 * resize then reads 16x fewer pixels. */
typedef struct {
    int width, height; /* the header's */
    int by;            /* 1, 2, 4 or 8 */
} jpeg_scale;

static int reduction_for(int width, int height, const kq_load_options *opts)
{
    int s = 8;
    if (opts->resize_width <= 0 || opts->resize_height <= 0)
        return 1;
    while (s > 1 &&
           (kq_jpeg_reduced_side(width, s) / 2 < opts->resize_width ||
            kq_jpeg_reduced_side(height, s) / 2 < opts->resize_height))
        s /= 2;
    return s;
}

static kq_status decode_at(const unsigned char *data, size_t len,
                           const jpeg_scale *scale,
                           const kq_load_options *opts,
                           unsigned char **rgb_out, char *err, size_t err_len)
{
    struct jpeg_decompress_struct cinfo;
    decode_failure failure;
    unsigned char *volatile rgb = NULL;
    cinfo.err = failure_manager(&failure);
    if (setjmp(failure.jump)) {
        jpeg_destroy_decompress(&cinfo);
        if (rgb && opts->on_rows) /* its rows are read no more */
            opts->on_rows(opts->on_rows_ctx, NULL, 0, 0, 0);
        free(rgb);
        return kq_fail(KQ_ERR_INPUT_FORMAT, err, err_len,
                       "corrupt or truncated image (%s)", failure.message);
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)len);
    jpeg_read_header(&cinfo, TRUE);
    if (cinfo.jpeg_color_space == JCS_CMYK ||
        cinfo.jpeg_color_space == JCS_YCCK) { /* no RGB from libjpeg */
        jpeg_destroy_decompress(&cinfo);
        return KQ_OK; /* *rgb_out stays NULL: stb_image converts these */
    }
    cinfo.out_color_space = JCS_RGB;
    cinfo.scale_num = 1;
    cinfo.scale_denom = (unsigned)scale->by;
    jpeg_start_decompress(&cinfo);
    int out_w = kq_jpeg_reduced_side(scale->width, scale->by),
        out_h = kq_jpeg_reduced_side(scale->height, scale->by);
    if ((int)cinfo.output_width != out_w || (int)cinfo.output_height != out_h ||
        cinfo.output_components != 3) {
        jpeg_destroy_decompress(&cinfo);
        return kq_fail(KQ_ERR_INPUT_FORMAT, err, err_len,
                       "corrupt image (decoded %ux%u at 1/%d, header said "
                       "%dx%d)",
                       cinfo.output_width, cinfo.output_height, scale->by,
                       scale->width, scale->height);
    }
    size_t bytes = (size_t)out_w * (size_t)out_h * 3; /* checked sizes */
    rgb = malloc(bytes);
    if (!rgb) {
        jpeg_destroy_decompress(&cinfo);
        return kq_fail(KQ_ERR_NOMEM, err, err_len, "out of memory");
    }
    kq_advise_huge_pages(rgb, bytes);
    read_rows(&cinfo, opts, rgb);
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    *rgb_out = rgb;
    return KQ_OK;
}

kq_status kq_jpeg_decode(const unsigned char *data, size_t len, int width,
                         int height, const kq_load_options *opts,
                         unsigned char **rgb_out, int *reduced_by, char *err,
                         size_t err_len)
{
    jpeg_scale scale = {width, height, reduction_for(width, height, opts)};
    *rgb_out = NULL;
    *reduced_by = scale.by;
    return decode_at(data, len, &scale, opts, rgb_out, err, err_len);
}

unsigned char *kq_jpeg_icc_profile(const unsigned char *data, size_t len,
                                   size_t *icc_len)
{
    struct jpeg_decompress_struct cinfo;
    decode_failure failure;
    JOCTET *profile = NULL;
    unsigned int profile_len = 0;
    cinfo.err = failure_manager(&failure);
    if (setjmp(failure.jump)) { /* the decode will say what is wrong */
        jpeg_destroy_decompress(&cinfo);
        return NULL;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)len);
    jpeg_save_markers(&cinfo, JPEG_APP0 + 2, 0xFFFF);
    jpeg_read_header(&cinfo, TRUE);
    if (!jpeg_read_icc_profile(&cinfo, &profile, &profile_len))
        profile = NULL; /* none, or its markers do not fit together */
    jpeg_destroy_decompress(&cinfo);
    *icc_len = profile_len;
    return profile;
}
