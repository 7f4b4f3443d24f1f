/* outputs.c - every file kquant writes goes through kq_cli_write_file: an
 * atomic temporary file that the signal handler knows about (signals.c),
 * filled by an encoder, then committed or removed. */
#include "cli.h"

kq_status kq_cli_write_file(const char *path, kq_cli_encoder encode,
                            const void *data, char *err, size_t err_len)
{
    kq_atomic_file *file;
    kq_status st = kq_cli_atomic_open(path, &file, err, err_len);
    if (st != KQ_OK)
        return st;
    st = encode(kq_atomic_stream(file), data, err, err_len);
    if (st != KQ_OK) {
        kq_cli_atomic_abort(file);
        return st;
    }
    return kq_cli_atomic_commit(file, err, err_len);
}

typedef struct {
    kq_format format;
    const kq_image *image;
} image_job;

static kq_status encode_image(FILE *stream, const void *data, char *err,
                              size_t err_len)
{
    const image_job *job = data;
    return kq_image_encode(stream, job->format, job->image, err, err_len);
}

kq_status kq_cli_save_image(const char *path, const kq_image *img, char *err,
                            size_t err_len)
{
    image_job job = {kq_format_from_path(path), img};
    return kq_cli_write_file(path, encode_image, &job, err, err_len);
}
