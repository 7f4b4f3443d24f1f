/* outputs.c - every file kquant writes goes through kq_cli_write_file: an
 * atomic temporary file that the signal handler knows about (signals.c),
 * filled by an encoder, then committed or removed. The image may instead
 * go to stdout (OUTPUT -). */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The size of what encode wrote to stream so far. */
static kq_status bytes_written(FILE *stream, size_t *bytes, char *err,
                               size_t err_len)
{
    long at = fflush(stream) == 0 ? ftell(stream) : -1;
    if (at < 0) {
        snprintf(err, err_len, "%s", strerror(errno));
        return KQ_ERR_IO;
    }
    *bytes = (size_t)at;
    return KQ_OK;
}

static kq_status write_atomically(const char *path, kq_cli_encoder encode,
                                  const void *data, size_t *bytes, char *err,
                                  size_t err_len)
{
    kq_atomic_file *file;
    kq_status st = kq_cli_atomic_open(path, &file, err, err_len);
    if (st != KQ_OK)
        return st;
    st = encode(kq_atomic_stream(file), data, err, err_len);
    if (st == KQ_OK && bytes)
        st = bytes_written(kq_atomic_stream(file), bytes, err, err_len);
    if (st != KQ_OK) {
        kq_cli_atomic_abort(file);
        return st;
    }
    return kq_cli_atomic_commit(file, err, err_len);
}

/* Encoded in memory first, then handed to stdout whole: an encoder that
 * fails leaves stdout untouched, as it leaves no file behind. */
static kq_status write_stdout(kq_cli_encoder encode, const void *data,
                              size_t *bytes, char *err, size_t err_len)
{
    char *buffer = NULL;
    size_t len = 0;
    FILE *memory = open_memstream(&buffer, &len);
    if (!memory)
        return KQ_ERR_NOMEM;
    kq_status st = encode(memory, data, err, err_len);
    if (fclose(memory) != 0 && st == KQ_OK)
        st = KQ_ERR_NOMEM;
    if (st == KQ_OK &&
        (fwrite(buffer, 1, len, stdout) != len || fflush(stdout) != 0)) {
        snprintf(err, err_len, "%s", strerror(errno));
        st = KQ_ERR_IO;
    }
    free(buffer);
    if (st == KQ_OK && bytes)
        *bytes = len;
    return st;
}

kq_status kq_cli_write_output(const char *path, kq_cli_encoder encode,
                              const void *data, size_t *bytes, char *err,
                              size_t err_len)
{
    if (kq_cli_is_dash(path))
        return write_stdout(encode, data, bytes, err, err_len);
    return write_atomically(path, encode, data, bytes, err, err_len);
}

kq_status kq_cli_write_file(const char *path, kq_cli_encoder encode,
                            const void *data, char *err, size_t err_len)
{
    return write_atomically(path, encode, data, NULL, err, err_len);
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

kq_status kq_cli_save_image(const char *path, const kq_image *img,
                            size_t *bytes, char *err, size_t err_len)
{
    image_job job = {kq_cli_output_format(path), img};
    return kq_cli_write_output(path, encode_image, &job, bytes, err, err_len);
}
