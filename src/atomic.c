/* atomic.c - output files that appear whole or not at all.
 *
 * Data goes to a temporary file in the target's folder (so that rename is
 * atomic: same file system) and is renamed over the target on commit. */
#include "kq_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct kq_atomic_file {
    char *target;
    char *temp;
    FILE *stream;
};

/* "dir/name.png" -> "dir/.name.png.XXXXXX" (the hidden name keeps half-made
 * files out of sight while they are written). */
static char *temp_name_for(const char *target)
{
    const char *slash = strrchr(target, '/');
    size_t dir_len = slash ? (size_t)(slash - target) + 1 : 0;
    size_t size = strlen(target) + sizeof ".XXXXXX" + 1;
    char *name = malloc(size);
    if (name)
        snprintf(name, size, "%.*s.%s.XXXXXX", (int)dir_len, target,
                 target + dir_len);
    return name;
}

static void free_handle(kq_atomic_file *file)
{
    free(file->target);
    free(file->temp);
    free(file);
}

static kq_status refuse_directory(const char *path, char *err, size_t len)
{
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return kq_fail(KQ_ERR_OUTPUT, err, len, "%s", strerror(EISDIR));
    return KQ_OK;
}

kq_status kq_atomic_open(const char *path, kq_atomic_file **out, char *err,
                         size_t err_len)
{
    kq_status st = refuse_directory(path, err, err_len);
    if (st != KQ_OK)
        return st;
    kq_atomic_file *file = calloc(1, sizeof *file);
    if (!file)
        return kq_fail(KQ_ERR_NOMEM, err, err_len, "out of memory");
    file->target = strdup(path);
    file->temp = temp_name_for(path);
    if (!file->target || !file->temp) {
        free_handle(file);
        return kq_fail(KQ_ERR_NOMEM, err, err_len, "out of memory");
    }
    int fd = mkstemp(file->temp);
    if (fd < 0) {
        int e = errno;
        free_handle(file);
        return kq_fail(KQ_ERR_OUTPUT, err, err_len, "%s", strerror(e));
    }
    fchmod(fd, 0644); /* mkstemp's 0600 would surprise users */
    file->stream = fdopen(fd, "wb");
    if (!file->stream) {
        int e = errno;
        close(fd);
        unlink(file->temp);
        free_handle(file);
        return kq_fail(KQ_ERR_OUTPUT, err, err_len, "%s", strerror(e));
    }
    *out = file;
    return KQ_OK;
}

FILE *kq_atomic_stream(kq_atomic_file *file)
{
    return file->stream;
}

const char *kq_atomic_temp_path(const kq_atomic_file *file)
{
    return file->temp;
}

kq_status kq_atomic_commit(kq_atomic_file *file, char *err, size_t err_len)
{
    int failed = fflush(file->stream) != 0 || ferror(file->stream) ||
                 fsync(fileno(file->stream)) != 0;
    int e = errno;
    if (fclose(file->stream) != 0 && !failed) {
        failed = 1;
        e = errno;
    }
    file->stream = NULL;
    kq_status st = KQ_OK;
    if (failed) {
        st = kq_fail(KQ_ERR_IO, err, err_len, "%s", strerror(e));
    } else if (rename(file->temp, file->target) != 0) {
        st = kq_fail(KQ_ERR_OUTPUT, err, err_len, "%s", strerror(errno));
    }
    if (st != KQ_OK)
        unlink(file->temp);
    free_handle(file);
    return st;
}

void kq_atomic_abort(kq_atomic_file *file)
{
    if (!file)
        return;
    if (file->stream)
        fclose(file->stream);
    unlink(file->temp);
    free_handle(file);
}
