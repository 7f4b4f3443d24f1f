/* image.c - reading and decoding input images with stb_image. */
#include "kq_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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
}

void kq_image_free(kq_image *img)
{
    if (!img)
        return;
    free(img->rgb);
    memset(img, 0, sizeof *img);
}

/* Blends every pixel of rgba onto the background, writing RGB into rgb.
 * Rounded to nearest so that opaque pixels keep their exact colour. */
static void composite_onto(const unsigned char *rgba, size_t n_pixels,
                           const unsigned char background[3],
                           unsigned char *rgb)
{
    for (size_t i = 0; i < n_pixels; i++) {
        unsigned alpha = rgba[4 * i + 3];
        for (int c = 0; c < 3; c++) {
            unsigned v = rgba[4 * i + c] * alpha +
                         background[c] * (255u - alpha);
            rgb[3 * i + c] = (unsigned char)((v + 127u) / 255u);
        }
    }
}

static kq_status check_header(const unsigned char *data, size_t len,
                              const kq_load_options *opts, int *has_alpha,
                              char *err, size_t err_len)
{
    int w, h, comp;
    if (len == 0)
        return kq_fail(KQ_ERR_INPUT_FORMAT, err, err_len, "empty file");
    if (len > INT_MAX)
        return kq_fail(KQ_ERR_INPUT_TOO_LARGE, err, err_len,
                       "file of %zu bytes is too large", len);
    if (!stbi_info_from_memory(data, (int)len, &w, &h, &comp)) {
        /* issue 3: name what the data is when its magic bytes tell */
        const char *what = kq_sniff_unsupported(data, len);
        if (what)
            return kq_fail(KQ_ERR_INPUT_FORMAT, err, err_len,
                           "not a supported image: %s (kquant reads PNG, "
                           "JPEG, GIF, BMP, TGA, PSD, HDR, PIC and PNM)",
                           what);
        return kq_fail(KQ_ERR_INPUT_FORMAT, err, err_len,
                       "not a supported image (%s)", stbi_failure_reason());
    }
    size_t pixels;
    if (w <= 0 || h <= 0)
        return kq_fail(KQ_ERR_INPUT_FORMAT, err, err_len,
                       "image header claims %dx%d pixels", w, h);
    if (!kq_mul_size((size_t)w, (size_t)h, &pixels) ||
        pixels > opts->max_pixels)
        return kq_fail(KQ_ERR_INPUT_TOO_LARGE, err, err_len,
                       "image of %dx%d exceeds the limit of %zu pixels",
                       w, h, opts->max_pixels);
    *has_alpha = (comp == 2 || comp == 4);
    return KQ_OK;
}

kq_status kq_image_load_memory(const unsigned char *data, size_t len,
                               const kq_load_options *opts, kq_image *out,
                               char *err, size_t err_len)
{
    int has_alpha = 0;
    kq_status st = check_header(data, len, opts, &has_alpha, err, err_len);
    if (st != KQ_OK)
        return st;
    int w, h, comp, want = has_alpha ? 4 : 3;
    unsigned char *decoded =
        stbi_load_from_memory(data, (int)len, &w, &h, &comp, want);
    if (!decoded)
        return kq_fail(KQ_ERR_INPUT_FORMAT, err, err_len,
                       "corrupt or truncated image (%s)",
                       stbi_failure_reason());
    out->width = w;
    out->height = h;
    if (!has_alpha) {
        out->rgb = decoded; /* stb allocates with malloc: kq_image_free fits */
        return KQ_OK;
    }
    size_t n = (size_t)w * (size_t)h;
    out->rgb = malloc(n * 3);
    if (!out->rgb) {
        stbi_image_free(decoded);
        return kq_fail(KQ_ERR_NOMEM, err, err_len, "out of memory");
    }
    composite_onto(decoded, n, opts->background, out->rgb);
    stbi_image_free(decoded);
    return KQ_OK;
}

/* Reads all of fd into a new buffer, refusing more than max_bytes. */
static kq_status read_all(int fd, size_t max_bytes, unsigned char **data_out,
                          size_t *len_out, char *err, size_t err_len)
{
    size_t cap = 1 << 16, len = 0;
    unsigned char *buf = malloc(cap);
    if (!buf)
        return kq_fail(KQ_ERR_NOMEM, err, err_len, "out of memory");
    for (;;) {
        if (len == cap) {
            if (cap > max_bytes) {
                free(buf);
                return kq_fail(KQ_ERR_INPUT_TOO_LARGE, err, err_len,
                               "file exceeds the limit of %zu bytes",
                               max_bytes);
            }
            unsigned char *bigger = realloc(buf, cap * 2);
            if (!bigger) {
                free(buf);
                return kq_fail(KQ_ERR_NOMEM, err, err_len, "out of memory");
            }
            buf = bigger;
            cap *= 2;
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
    if (len > max_bytes) {
        free(buf);
        return kq_fail(KQ_ERR_INPUT_TOO_LARGE, err, err_len,
                       "file exceeds the limit of %zu bytes", max_bytes);
    }
    *data_out = buf;
    *len_out = len;
    return KQ_OK;
}

static kq_status open_input(const char *path, int *fd_out, char *err,
                            size_t err_len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return kq_fail(KQ_ERR_INPUT_MISSING, err, err_len, "%s",
                       strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
        int e = S_ISDIR(st.st_mode) ? EISDIR : errno;
        close(fd);
        return kq_fail(KQ_ERR_INPUT_MISSING, err, err_len, "%s",
                       strerror(e));
    }
    *fd_out = fd;
    return KQ_OK;
}

kq_status kq_image_load_file(const char *path, const kq_load_options *opts,
                             kq_image *out, char *err, size_t err_len)
{
    int fd = -1;
    kq_status st = open_input(path, &fd, err, err_len);
    if (st != KQ_OK)
        return st;
    unsigned char *data = NULL;
    size_t len = 0;
    st = read_all(fd, opts->max_file_bytes, &data, &len, err, err_len);
    close(fd);
    if (st != KQ_OK)
        return st;
    st = kq_image_load_memory(data, len, opts, out, err, err_len);
    free(data);
    return st;
}
