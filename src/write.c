/* write.c - encoding the recoloured image: PNG with libpng (indexed_png.c),
 * JPEG, BMP and TGA with stb_image_write. */
#include "kq_internal.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

#include <stb_image_write.h>

#define JPEG_QUALITY 95

const char *kq_path_extension(const char *path)
{
    const char *slash = strrchr(path, '/');
    return strrchr(slash ? slash : path, '.');
}

kq_format kq_format_from_path(const char *path)
{
    const char *dot = kq_path_extension(path);
    if (!dot)
        return KQ_FORMAT_UNKNOWN;
    static const struct {
        const char *ext;
        kq_format format;
    } table[] = {
        {".png", KQ_FORMAT_PNG}, {".jpg", KQ_FORMAT_JPEG},
        {".jpeg", KQ_FORMAT_JPEG}, {".bmp", KQ_FORMAT_BMP},
        {".tga", KQ_FORMAT_TGA},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcasecmp(dot, table[i].ext) == 0)
            return table[i].format;
    return KQ_FORMAT_UNKNOWN;
}

static void write_to_stream(void *context, void *data, int size)
{
    fwrite(data, 1, (size_t)size, (FILE *)context);
}

static int encode(kq_format format, FILE *stream, const kq_image *img)
{
    int w = img->width, h = img->height;
    switch (format) {
    case KQ_FORMAT_JPEG:
        return stbi_write_jpg_to_func(write_to_stream, stream, w, h, 3,
                                      img->rgb, JPEG_QUALITY);
    case KQ_FORMAT_BMP:
        return stbi_write_bmp_to_func(write_to_stream, stream, w, h, 3,
                                      img->rgb);
    case KQ_FORMAT_TGA:
        return stbi_write_tga_to_func(write_to_stream, stream, w, h, 3,
                                      img->rgb);
    default:
        return 0;
    }
}

/* Every encoder's limit: stb_image_write sizes its buffers with int
 * arithmetic ((3w + 1) * h bytes and less), and far below INT_MAX keeps
 * every such product exact; libpng (.png) is held to the same. */
bool kq_image_encodable(const kq_image *img)
{
    size_t row, bytes;
    return img->width > 0 && img->height > 0 && img->rgb &&
           kq_mul_size((size_t)img->width, 3, &row) &&
           kq_mul_size(row + 1, (size_t)img->height, &bytes) &&
           bytes <= KQ_MAX_ENCODE_BYTES;
}

kq_status kq_image_encode(FILE *stream, kq_format format, const kq_image *img,
                          char *err, size_t err_len)
{
    if (format == KQ_FORMAT_UNKNOWN)
        return kq_fail(KQ_ERR_ARGUMENT, err, err_len,
                       "unsupported output format (use .png, .jpg, .jpeg, "
                       ".bmp or .tga)");
    if (!kq_image_encodable(img))
        return kq_fail(KQ_ERR_ARGUMENT, err, err_len,
                       "image of %dx%d is too large to encode", img->width,
                       img->height);
    if (format == KQ_FORMAT_PNG) /* libpng: twice stb's speed, 20% smaller */
        return kq_rgb_encode_png(stream, img, NULL, err, err_len);
    errno = 0;
    if (!encode(format, stream, img))
        return kq_fail(KQ_ERR_INTERNAL, err, err_len, "image encoder failed");
    if (!ferror(stream))
        return KQ_OK;
    return kq_fail(KQ_ERR_IO, err, err_len, "%s",
                   errno ? strerror(errno) : "write error");
}

kq_status kq_image_write_file(const char *path, const kq_image *img,
                              char *err, size_t err_len)
{
    kq_format format = kq_format_from_path(path);
    if (format == KQ_FORMAT_UNKNOWN || !kq_image_encodable(img))
        return kq_image_encode(NULL, format, img, err, err_len);
    kq_atomic_file *file;
    kq_status st = kq_atomic_open(path, &file, err, err_len);
    if (st != KQ_OK)
        return st;
    st = kq_image_encode(kq_atomic_stream(file), format, img, err, err_len);
    if (st != KQ_OK) {
        kq_atomic_abort(file);
        return st;
    }
    return kq_atomic_commit(file, err, err_len);
}
