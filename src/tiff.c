/* tiff.c - TIFF images (scanners', cameras' and editors' exports) through
 * Debian's libtiff, opened on first use (tiff_load.c). The first image of
 * the file is read (a multi-page TIFF gives its first page, as a GIF gives
 * its first frame), by libtiff's RGBA interface: 1 to 16 bits per sample,
 * grey, palette, RGB, YCbCr, CMYK and CIE L*a*b*, strips or tiles, every
 * compression libtiff has; floating-point samples are refused. The rows
 * come in the stored order: the Orientation tag is applied afterwards by
 * orient.c, as a JPEG's EXIF orientation is (--ignore-orientation keeps
 * them as stored). */
#include "kq_internal.h"

#include "tiff_api.h"

#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool kq_tiff_is(const unsigned char *data, size_t len)
{
    /* byte order, then 42 (classic TIFF) or 43 (BigTIFF) in that order */
    return data && len >= 4 &&
           (memcmp(data, "II*\0", 4) == 0 || memcmp(data, "MM\0*", 4) == 0 ||
            memcmp(data, "II+\0", 4) == 0 || memcmp(data, "MM\0+", 4) == 0);
}

/* ---- the file in memory, as libtiff's client procedures see it ---- */

typedef struct {
    const unsigned char *data;
    size_t len, pos;
} memory_file;

static tmsize_t read_proc(thandle_t handle, void *buf, tmsize_t size)
{
    memory_file *f = handle;
    if (size <= 0 || f->pos >= f->len)
        return 0;
    size_t n = f->len - f->pos < (size_t)size ? f->len - f->pos
                                              : (size_t)size;
    memcpy(buf, f->data + f->pos, n);
    f->pos += n;
    return (tmsize_t)n;
}

static tmsize_t write_proc(thandle_t handle, void *buf, tmsize_t size)
{
    (void)handle, (void)buf, (void)size;
    return 0; /* opened for reading only */
}

static toff_t seek_proc(thandle_t handle, toff_t offset, int whence)
{
    memory_file *f = handle;
    uint64_t base = whence == SEEK_CUR ? f->pos
                    : whence == SEEK_END ? f->len
                                         : 0;
    if (offset > UINT64_MAX - base || base + offset > SIZE_MAX)
        return (toff_t)-1;
    f->pos = (size_t)(base + offset); /* past the end reads nothing */
    return f->pos;
}

static int close_proc(thandle_t handle)
{
    (void)handle;
    return 0; /* the data belongs to the caller */
}

static toff_t size_proc(thandle_t handle)
{
    return ((memory_file *)handle)->len;
}

/* The data as libtiff's "mapped file": libtiff maps the files it opens
 * itself with PROT_READ, so it never writes into a mapping. Reading
 * through read_proc instead fails on tiled images with separate planes in
 * libtiff 4.5 ("Invalid tile byte count"). */
static int map_proc(thandle_t handle, void **base, toff_t *size)
{
    memory_file *f = handle;
    *base = (void *)f->data;
    *size = f->len;
    return 1;
}

static void unmap_proc(thandle_t handle, void *base, toff_t size)
{
    (void)handle, (void)base, (void)size;
}

/* ---- an open file and what libtiff said about it ---- */

typedef struct {
    const kq_tiff_api *api;
    memory_file file;
    TIFF *tif;
    char why[160]; /* libtiff's first error, one printable line */
} tiff_file;

/* libtiff's errors are kept for the message, its warnings (unknown tags
 * and the like) dropped: neither may reach stderr on its own. */
static int keep_first_error(TIFF *tif, void *user_data, const char *module,
                            const char *fmt, va_list ap)
{
    (void)tif, (void)module;
    tiff_file *f = user_data;
    if (f->why[0] == '\0') {
        vsnprintf(f->why, sizeof f->why, fmt, ap);
        kq_keep_printable(f->why);
    }
    return 1; /* handled: libtiff's own handlers stay quiet */
}

static int drop_warning(TIFF *tif, void *user_data, const char *module,
                        const char *fmt, va_list ap)
{
    (void)tif, (void)user_data, (void)module, (void)fmt, (void)ap;
    return 1;
}

static kq_status unreadable(const tiff_file *f, char *err, size_t err_len)
{
    return kq_fail(KQ_ERR_INPUT_FORMAT, err, err_len,
                   "corrupt or truncated image (a TIFF file libtiff cannot "
                   "read: %s)",
                   f->why[0] ? f->why : "no reason given");
}

/* The largest single allocation libtiff may make: its directory's tags
 * hold at most the file's bytes, and a strip or tile of a genuine image
 * at most 8 bytes (16-bit RGBA) for each of the image's pixels. A tile
 * declared far larger than its image (a few bytes of file can claim
 * gigabytes) is then refused instead of allocated and cleared; libtiff's
 * own check (a compression ratio above 1000) lets through any claim
 * whose byte count is a thousandth of it. */
static tmsize_t allocation_limit(size_t file_len, size_t pixels)
{
    const size_t base = (size_t)64 << 20, most = SIZE_MAX / 4;
    if (file_len > most / 2 || pixels > most / 16)
        return (tmsize_t)most;
    return (tmsize_t)(base + file_len + 8 * pixels);
}

static void close_file(tiff_file *f)
{
    if (f->tif)
        f->api->close(f->tif);
    f->tif = NULL;
}

/* Opens data (kept, not copied: it outlives f) at its first directory;
 * nothing is decoded yet. */
static kq_status open_file(const unsigned char *data, size_t len,
                           size_t pixels, tiff_file *f, char *err,
                           size_t err_len)
{
    const char *why = "";
    *f = (tiff_file){.api = kq_tiff(&why), .file = {data, len, 0}};
    if (!f->api)
        return kq_fail(KQ_ERR_INTERNAL, err, err_len,
                       "cannot load libtiff (%s); TIFF input needs Debian's "
                       "libtiff6",
                       why);
    TIFFOpenOptions *options = f->api->open_options_alloc();
    if (!options)
        return kq_fail(KQ_ERR_NOMEM, err, err_len, "out of memory");
    f->api->open_options_set_max_single_mem_alloc(
        options, allocation_limit(len, pixels));
    f->api->open_options_set_error_handler(options, keep_first_error, f);
    f->api->open_options_set_warning_handler(options, drop_warning, f);
    f->tif = f->api->client_open("TIFF", "r", &f->file, read_proc,
                                 write_proc, seek_proc, close_proc,
                                 size_proc, map_proc, unmap_proc, options);
    f->api->open_options_free(options); /* the handle keeps a copy */
    return f->tif ? KQ_OK : unreadable(f, err, err_len);
}

kq_status kq_tiff_info(const unsigned char *data, size_t len, int *width,
                       int *height, char *err, size_t err_len)
{
    tiff_file f;
    kq_status st = open_file(data, len, 0, &f, err, err_len);
    if (st != KQ_OK)
        return st;
    uint32_t w = 0, h = 0;
    if (!f.api->get_field(f.tif, TIFFTAG_IMAGEWIDTH, &w) ||
        !f.api->get_field(f.tif, TIFFTAG_IMAGELENGTH, &h))
        st = kq_fail(KQ_ERR_INPUT_FORMAT, err, err_len,
                     "corrupt image (a TIFF file without its size)");
    else if (w > INT_MAX || h > INT_MAX)
        st = kq_fail(KQ_ERR_INPUT_TOO_LARGE, err, err_len,
                     "image header claims %" PRIu32 "x%" PRIu32 " pixels", w,
                     h);
    if (st == KQ_OK) {
        *width = (int)w;
        *height = (int)h;
    }
    close_file(&f);
    return st;
}

/* Blends a premultiplied colour (what libtiff's RGBA interface gives, for
 * associated and unassociated alpha alike) onto the background. */
static unsigned char blend_premultiplied(unsigned colour, unsigned alpha,
                                         unsigned back)
{
    unsigned out = colour + (back * (255u - alpha) + 127u) / 255u;
    return (unsigned char)(out > 255u ? 255u : out); /* a broken file's */
}

/* Turns n pixels of libtiff's packed RGBA in place into RGB on the
 * background: pixel i's three bytes land below byte 4i + 3, in pixels
 * already read. */
static void rgb_in_place(uint32_t *raster, size_t n,
                         const unsigned char background[3])
{
    unsigned char *rgb = (unsigned char *)raster;
    for (size_t i = 0; i < n; i++) {
        uint32_t p = raster[i];
        unsigned alpha = TIFFGetA(p);
        rgb[3 * i] = blend_premultiplied(TIFFGetR(p), alpha, background[0]);
        rgb[3 * i + 1] =
            blend_premultiplied(TIFFGetG(p), alpha, background[1]);
        rgb[3 * i + 2] =
            blend_premultiplied(TIFFGetB(p), alpha, background[2]);
    }
}

/* Rows first..first+rows-1 of the first image, as stored, as packed RGBA
 * in raster (rows x width; the image is width x height, the size
 * kq_tiff_info gave). */
static kq_status read_rows(tiff_file *f, int width, int height,
                           uint32_t first, uint32_t rows, uint32_t *raster,
                           char *err, size_t err_len)
{
    char emsg[1024] = "";
    TIFFRGBAImage img;
    if (!f->api->rgba_image_ok(f->tif, emsg) ||
        !f->api->rgba_image_begin(&img, f->tif, 1, emsg)) {
        kq_keep_printable(emsg);
        return kq_fail(KQ_ERR_INPUT_FORMAT, err, err_len,
                       "not a supported image: a TIFF libtiff cannot turn "
                       "into RGB (%s)",
                       emsg);
    }
    /* the stored order: orient.c applies the Orientation tag */
    img.orientation = img.req_orientation = ORIENTATION_TOPLEFT;
    img.row_offset = (int)first;
    bool ok = img.width == (uint32_t)width && img.height == (uint32_t)height &&
              f->api->rgba_image_get(&img, raster, img.width, rows);
    f->api->rgba_image_end(&img);
    return ok ? KQ_OK : unreadable(f, err, err_len);
}

/* perf: the image is decoded in bands of whole strips (or tile rows), one
 * task each on the pool, every task with its own libtiff handle on the
 * same data: a 12 MP LZW TIFF loads in about half the time on two cores.
 * The pixels do not depend on the bands; of several failing bands the
 * first one's message is given, whatever the order they ran in. */
typedef struct {
    const unsigned char *data;
    size_t len;
    int width, height;
    uint32_t band; /* rows per task */
    uint32_t *raster;
    pthread_mutex_t lock;
    size_t failed;  /* the first failing task, or SIZE_MAX */
    kq_status status;
    char err[256];
} band_job;

/* Rows per task: whole strips or tile rows (a task decodes each strip it
 * touches), about tasks of them in all. */
static uint32_t band_rows(const tiff_file *f, uint32_t height, int tasks)
{
    uint32_t unit = 0;
    if (!f->api->get_field(f->tif, TIFFTAG_TILELENGTH, &unit))
        f->api->get_field_defaulted(f->tif, TIFFTAG_ROWSPERSTRIP, &unit);
    if (unit == 0 || unit > height)
        unit = height;
    uint64_t wanted = (height + (uint64_t)tasks - 1) / (uint64_t)tasks;
    uint64_t rows = (wanted + unit - 1) / unit * unit;
    return rows < height ? (uint32_t)rows : height;
}

/* A few bands a thread even out their uneven costs; a band of fewer than
 * 64 K pixels would cost more in threads and handles than it saves. */
static int band_count(size_t pixels, int threads)
{
    size_t most = pixels / ((size_t)1 << 16);
    int wanted = threads == 1 ? 1 : 4 * threads;
    return most < (size_t)wanted ? (most > 1 ? (int)most : 1) : wanted;
}

static void decode_band(void *ctx, size_t task)
{
    band_job *job = ctx;
    uint64_t first = (uint64_t)task * job->band;
    uint32_t rows = (uint32_t)(job->height - first < job->band
                                   ? job->height - first
                                   : job->band);
    char err[256] = "";
    tiff_file f;
    size_t pixels = (size_t)job->width * (size_t)job->height;
    kq_status st = open_file(job->data, job->len, pixels, &f, err,
                             sizeof err);
    if (st == KQ_OK)
        st = read_rows(&f, job->width, job->height, (uint32_t)first, rows,
                       job->raster + first * (uint64_t)job->width, err,
                       sizeof err);
    close_file(&f);
    pthread_mutex_lock(&job->lock);
    if (st != KQ_OK && task < job->failed) {
        job->failed = task;
        job->status = st;
        memcpy(job->err, err, sizeof err);
    }
    pthread_mutex_unlock(&job->lock);
}

/* The first image into raster, in bands on up to threads threads. */
static kq_status read_bands(band_job *job, int threads, char *err,
                            size_t err_len)
{
    size_t tasks = ((size_t)job->height + job->band - 1) / job->band;
    kq_pool *pool = NULL;
    if (tasks > 1 && threads != 1 && kq_pool_create(threads, &pool) != KQ_OK)
        pool = NULL; /* one thread decodes it all */
    kq_pool_run(pool, tasks, decode_band, job);
    kq_pool_free(pool);
    if (job->failed == SIZE_MAX)
        return KQ_OK;
    return kq_fail(job->status, err, err_len, "%s", job->err);
}

kq_status kq_tiff_decode(const unsigned char *data, size_t len, int width,
                         int height, const kq_load_options *opts,
                         unsigned char **rgb_out, char *err, size_t err_len)
{
    *rgb_out = NULL;
    size_t n = (size_t)width * (size_t)height; /* checked: <= max_pixels */
    tiff_file f;
    kq_status st = open_file(data, len, n, &f, err, err_len);
    if (st != KQ_OK)
        return st;
    int threads = opts->threads > 0 ? opts->threads : kq_default_threads();
    band_job job = {data, len, width, height,
                    band_rows(&f, (uint32_t)height, band_count(n, threads)),
                    NULL,
                    PTHREAD_MUTEX_INITIALIZER, SIZE_MAX, KQ_OK, ""};
    close_file(&f);
    job.raster = n <= SIZE_MAX / 4 ? malloc(n * 4) : NULL;
    st = job.raster ? read_bands(&job, threads, err, err_len)
                    : kq_fail(KQ_ERR_NOMEM, err, err_len, "out of memory");
    pthread_mutex_destroy(&job.lock);
    if (st != KQ_OK) {
        free(job.raster);
        return st;
    }
    rgb_in_place(job.raster, n, opts->background);
    unsigned char *rgb = realloc(job.raster, n * 3); /* shrinks */
    *rgb_out = rgb ? rgb : (unsigned char *)job.raster;
    return KQ_OK;
}

int kq_tiff_orientation(const unsigned char *data, size_t len)
{
    tiff_file f;
    if (open_file(data, len, 0, &f, NULL, 0) != KQ_OK)
        return 1; /* the decode will say what is wrong */
    uint16_t orientation = ORIENTATION_TOPLEFT;
    f.api->get_field_defaulted(f.tif, TIFFTAG_ORIENTATION, &orientation);
    close_file(&f);
    return orientation >= 1 && orientation <= 8 ? orientation : 1;
}

unsigned char *kq_tiff_icc_profile(const unsigned char *data, size_t len,
                                   size_t *icc_len)
{
    tiff_file f;
    *icc_len = 0;
    if (open_file(data, len, 0, &f, NULL, 0) != KQ_OK)
        return NULL;
    uint32_t size = 0;
    void *profile = NULL;
    unsigned char *icc = NULL;
    if (f.api->get_field(f.tif, TIFFTAG_ICCPROFILE, &size, &profile) &&
        profile && size > 0 && (icc = malloc(size)) != NULL) {
        memcpy(icc, profile, size);
        *icc_len = size;
    }
    close_file(&f);
    return icc;
}
