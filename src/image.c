/* image.c - reading and decoding input images: JPEG with libjpeg-turbo
 * (jpeg.c), PNG with libpng (png_read.c), WebP (webp.c), HEIC/AVIF
 * (heif.c), TIFF (tiff.c), everything else with stb_image. */
#include "kq_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <stb_image.h>

void kq_load_options_default(kq_load_options *opts)
{
    opts->max_pixels = KQ_DEFAULT_MAX_PIXELS;
    opts->max_file_bytes = KQ_DEFAULT_MAX_FILE_BYTES;
    memset(opts->background, 255, sizeof opts->background);
    opts->on_rows = NULL;
    opts->on_rows_ctx = NULL;
    opts->resize_width = opts->resize_height = 0;
    opts->ignore_orientation = false;
    opts->ignore_color_profile = false;
    opts->threads = 0;
}

void kq_image_free(kq_image *img)
{
    if (!img)
        return;
    free(img->rgb);
    memset(img, 0, sizeof *img);
}

/* Blends a pixel's colour onto the background by its alpha, rounded to
 * nearest so that opaque pixels keep their exact colour. */
static unsigned char blend(unsigned colour, unsigned alpha, unsigned back)
{
    return (unsigned char)((colour * alpha + back * (255u - alpha) + 127u) /
                           255u);
}

/* Expands n pixels of comp channels (1 grey, 2 grey+alpha, 3 RGB, 4 RGBA)
 * to RGB, compositing alpha onto the background. kquant converts channels
 * itself: stb_image 2.27's own conversion overreads 16-bit PGM files. */
static void expand_to_rgb(const unsigned char *px, size_t n, int comp,
                          const unsigned char background[3],
                          unsigned char *rgb)
{
    for (size_t i = 0; i < n; i++) {
        const unsigned char *p = px + (size_t)comp * i;
        unsigned alpha = (comp == 2 || comp == 4) ? p[comp - 1] : 255u;
        for (int c = 0; c < 3; c++) {
            unsigned colour = comp <= 2 ? p[0] : p[c];
            rgb[3 * i + c] = blend(colour, alpha, background[c]);
        }
    }
}

/* The size stb_image reads from the header, or why there is none. */
static kq_status stb_header_size(const unsigned char *data, size_t len,
                                 int *w, int *h, char *err, size_t err_len)
{
    int comp;
    if (stbi_info_from_memory(data, (int)len, w, h, &comp))
        return KQ_OK;
    /* a JPEG cut inside its metadata (EXIF, ICC) has no frame header yet:
     * stb calls that an unknown type */
    const char *readable = kq_sniff_readable(data, len);
    if (readable)
        return kq_fail(KQ_ERR_INPUT_FORMAT, err, err_len,
                       "corrupt or truncated image (%s whose header cannot "
                       "be read)",
                       readable);
    /* issue 3: name what the data is when its magic bytes tell */
    const char *what = kq_sniff_unsupported(data, len);
    if (what)
        return kq_fail(KQ_ERR_INPUT_FORMAT, err, err_len,
                       "not a supported image: %s (kquant reads %s)", what,
                       kq_sniff_reads_instead(data, len));
    return kq_fail(KQ_ERR_INPUT_FORMAT, err, err_len,
                   "not a supported image (%s)", stbi_failure_reason());
}

/* Reads the header and refuses the image before any pixel is decoded if it
 * is not a supported image or larger than opts allows. */
static kq_status check_header(const unsigned char *data, size_t len,
                              const kq_load_options *opts, int *w, int *h,
                              char *err, size_t err_len)
{
    if (len == 0)
        return kq_fail(KQ_ERR_INPUT_FORMAT, err, err_len, "empty file");
    if (len > INT_MAX)
        return kq_fail(KQ_ERR_INPUT_TOO_LARGE, err, err_len,
                       "file of %zu bytes is too large", len);
    kq_status st = kq_guard_input(data, len, opts->max_pixels, err, err_len);
    if (st == KQ_OK)
        st = kq_webp_is(data, len)
                 ? kq_webp_info(data, len, w, h, err, err_len)
             : kq_heif_is(data, len)
                 ? kq_heif_info(data, len, w, h, err, err_len)
             : kq_tiff_is(data, len)
                 ? kq_tiff_info(data, len, w, h, err, err_len)
                 : stb_header_size(data, len, w, h, err, err_len);
    if (st != KQ_OK)
        return st;
    size_t pixels;
    if (*w <= 0 || *h <= 0)
        return kq_fail(KQ_ERR_INPUT_FORMAT, err, err_len,
                       "image header claims %dx%d pixels", *w, *h);
    if (!kq_mul_size((size_t)*w, (size_t)*h, &pixels) ||
        pixels > opts->max_pixels)
        return kq_fail(KQ_ERR_INPUT_TOO_LARGE, err, err_len,
                       "image of %dx%d exceeds the limit of %zu pixels",
                       *w, *h, opts->max_pixels);
    return KQ_OK;
}

/* Takes decoded samples of comp channels (malloc'ed, now owned) to the
 * RGB image out. */
static kq_status rgb_from_samples(unsigned char *decoded, int w, int h,
                                  int comp, const kq_load_options *opts,
                                  kq_image *out, char *err, size_t err_len)
{
    unsigned char *rgb = decoded;
    if (comp != 3) {
        size_t n = (size_t)w * (size_t)h, bytes; /* n <= max_pixels */
        rgb = kq_mul_size(n, 3, &bytes) ? malloc(bytes) : NULL;
        if (rgb)
            expand_to_rgb(decoded, n, comp, opts->background, rgb);
        free(decoded);
        if (!rgb)
            return kq_fail(KQ_ERR_NOMEM, err, err_len, "out of memory");
    }
    *out = (kq_image){.width = w, .height = h, .rgb = rgb};
    return KQ_OK;
}

/* JPEGs with libjpeg-turbo and PNGs with libpng (faster than stb_image),
 * and the formats stb_image does not read; *done false when stb_image is
 * to decode the data instead. */
static kq_status decode_with_libraries(const unsigned char *data, size_t len,
                                       int w, int h,
                                       const kq_load_options *opts,
                                       kq_image *out, bool *done, char *err,
                                       size_t err_len)
{
    unsigned char *px = NULL;
    int comp = 3, by = 1;
    kq_status st = KQ_OK;
    if (kq_jpeg_is(data, len))
        st = kq_jpeg_decode(data, len, w, h, opts, &px, &by, err, err_len);
    else if (kq_png_is(data, len))
        st = kq_png_decode(data, len, w, h, &px, &comp, err, err_len);
    else if (kq_webp_is(data, len))
        st = kq_webp_decode(data, len, w, h, &px, &comp, err, err_len);
    else if (kq_heif_is(data, len))
        st = kq_heif_decode(data, len, w, h, &px, &comp, err, err_len);
    else if (kq_tiff_is(data, len))
        st = kq_tiff_decode(data, len, w, h, opts, &px, err, err_len);
    *done = st != KQ_OK || px;
    if (st != KQ_OK || !px)
        return st;
    st = rgb_from_samples(px, kq_jpeg_reduced_side(w, by),
                          kq_jpeg_reduced_side(h, by), comp, opts, out, err,
                          err_len);
    if (st == KQ_OK && by > 1) {
        out->reduced_by = by;
        out->source_width = w;
        out->source_height = h;
    }
    return st;
}

static kq_status decode_stored(const unsigned char *data, size_t len,
                               const kq_load_options *opts, kq_image *out,
                               char *err, size_t err_len)
{
    int header_w, header_h, w, h, comp;
    kq_status st = check_header(data, len, opts, &header_w, &header_h, err,
                                err_len);
    bool done = false;
    if (st == KQ_OK)
        st = decode_with_libraries(data, len, header_w, header_h, opts, out,
                                   &done, err, err_len);
    if (st != KQ_OK || done)
        return st;
    unsigned char *decoded =
        stbi_load_from_memory(data, (int)len, &w, &h, &comp, 0);
    if (!decoded)
        return kq_fail(KQ_ERR_INPUT_FORMAT, err, err_len,
                       "corrupt or truncated image (%s)",
                       stbi_failure_reason());
    /* The size limit was checked on the header: the pixels must match. */
    if (w != header_w || h != header_h || comp < 1 || comp > 4) {
        stbi_image_free(decoded);
        return kq_fail(KQ_ERR_INPUT_FORMAT, err, err_len,
                       "corrupt image (decoded %dx%d, header said %dx%d)",
                       w, h, header_w, header_h);
    }
    /* stb allocates with malloc */
    return rgb_from_samples(decoded, w, h, comp, opts, out, err, err_len);
}

/* What decoding must leave to after the decode: turning the image
 * upright, and its colours into sRGB. */
typedef struct {
    int orientation;              /* EXIF's, 1: as stored */
    kq_srgb_transform *to_srgb;   /* NULL: the colours stay */
} after_decode;

static after_decode after_decode_for(const unsigned char *data, size_t len,
                                     const kq_load_options *opts)
{
    after_decode after = {1, NULL};
    if (!opts->ignore_orientation && kq_jpeg_is(data, len))
        after.orientation = kq_exif_orientation(data, len);
    else if (!opts->ignore_orientation && kq_tiff_is(data, len))
        after.orientation = kq_tiff_orientation(data, len);
    if (!opts->ignore_color_profile)
        after.to_srgb = kq_srgb_transform_for(data, len);
    return after;
}

/* The options a decode followed by after's work runs with. */
static kq_load_options decode_options(const kq_load_options *opts,
                                      const after_decode *after)
{
    kq_load_options adjusted = *opts;
    /* perf: the target is upright; the decode reduces the stored sides */
    if (after->orientation >= 5) {
        adjusted.resize_width = opts->resize_height;
        adjusted.resize_height = opts->resize_width;
    }
    /* Rows counted as they come would be the stored rows, or colours. */
    if (after->orientation != 1 || after->to_srgb) {
        adjusted.on_rows = NULL;
        adjusted.on_rows_ctx = NULL;
    }
    return adjusted;
}

kq_status kq_image_load_memory(const unsigned char *data, size_t len,
                               const kq_load_options *opts, kq_image *out,
                               char *err, size_t err_len)
{
    after_decode after = after_decode_for(data, len, opts);
    kq_load_options adjusted = decode_options(opts, &after);
    kq_status st = decode_stored(data, len, &adjusted, out, err, err_len);
    if (st == KQ_OK && after.orientation != 1 &&
        (st = kq_image_orient(out, after.orientation)) != KQ_OK) {
        kq_image_free(out);
        st = kq_fail(st, err, err_len, "out of memory");
    }
    if (st == KQ_OK && after.to_srgb)
        kq_srgb_apply(after.to_srgb, out, opts->threads);
    kq_srgb_transform_free(after.to_srgb);
    return st;
}

/* Reads all of fd into a new buffer, refusing more than max_bytes: at most
 * max_bytes + 1 bytes are ever read, so an endless stream stops there. */
static kq_status read_all(int fd, size_t max_bytes, unsigned char **data_out,
                          size_t *len_out, char *err, size_t err_len)
{
    size_t limit = max_bytes < SIZE_MAX ? max_bytes + 1 : max_bytes;
    size_t cap = 0, len = 0;
    unsigned char *buf = NULL;
    for (;;) {
        if (len == cap) {
            if (cap == limit) {
                free(buf);
                return kq_fail(KQ_ERR_INPUT_TOO_LARGE, err, err_len,
                               "file exceeds the limit of %zu bytes",
                               max_bytes);
            }
            size_t bigger = cap ? cap * 2 : (size_t)1 << 16;
            cap = bigger < cap || bigger > limit ? limit : bigger;
            unsigned char *grown = realloc(buf, cap);
            if (!grown) {
                free(buf);
                return kq_fail(KQ_ERR_NOMEM, err, err_len, "out of memory");
            }
            buf = grown;
        }
        ssize_t got = read(fd, buf + len, cap - len);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            int e = errno;
            free(buf);
            return kq_fail(KQ_ERR_INPUT_MISSING, err, err_len, "%s",
                           strerror(e));
        }
        if (got == 0)
            break;
        len += (size_t)got;
    }
    *data_out = buf;
    *len_out = len;
    return KQ_OK;
}

/* Opens path for reading and decides how much of it may be read. Regular
 * files are refused up front when larger than the limit. Anything else
 * (a pipe, a FIFO, a device such as /dev/zero) is read like a pipe, up to
 * KQ_MAX_STREAM_BYTES: opening does not wait for a FIFO's writer (a FIFO
 * without one reads as empty), and an endless device ends at the limit. */
static kq_status open_input(const char *path, size_t max_bytes, int *fd_out,
                            size_t *limit_out, char *err, size_t err_len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return kq_fail(KQ_ERR_INPUT_MISSING, err, err_len, "%s",
                       strerror(errno));
    struct stat st;
    int e = fstat(fd, &st) != 0 ? errno : S_ISDIR(st.st_mode) ? EISDIR : 0;
    if (e == 0 && fcntl(fd, F_SETFL, 0) != 0) /* blocking reads again */
        e = errno;
    if (e != 0) {
        close(fd);
        return kq_fail(KQ_ERR_INPUT_MISSING, err, err_len, "%s", strerror(e));
    }
    if (S_ISREG(st.st_mode) && (uintmax_t)st.st_size > max_bytes) {
        close(fd);
        return kq_fail(KQ_ERR_INPUT_TOO_LARGE, err, err_len,
                       "file exceeds the limit of %zu bytes", max_bytes);
    }
    *limit_out = S_ISREG(st.st_mode) || max_bytes < KQ_MAX_STREAM_BYTES
                     ? max_bytes
                     : KQ_MAX_STREAM_BYTES;
    *fd_out = fd;
    return KQ_OK;
}

kq_status kq_image_load_file(const char *path, const kq_load_options *opts,
                             kq_image *out, char *err, size_t err_len)
{
    int fd = -1;
    size_t limit = 0;
    kq_status st = open_input(path, opts->max_file_bytes, &fd, &limit, err,
                              err_len);
    if (st != KQ_OK)
        return st;
    unsigned char *data = NULL;
    size_t len = 0;
    st = read_all(fd, limit, &data, &len, err, err_len);
    close(fd);
    if (st != KQ_OK)
        return st;
    st = kq_image_load_memory(data, len, opts, out, err, err_len);
    free(data);
    return st;
}
