/* indexed_png.c - PNG output with libpng: the k-colour image as a palette
 * PNG (k palette entries plus 1, 2, 4 or 8 bits per pixel instead of 24),
 * and 24-bit RGB PNGs (--truecolor, and the size the summary compares
 * with).
 *
 * libpng reports errors by longjmp. Everything the error path needs is
 * set up before setjmp and not changed after it, and the encoder writes
 * into an atomic temporary file, so a failure leaves no partial output. */
#include "kq_internal.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <libdeflate.h>
#include <png.h>
#include <zlib.h>

#define PNG_MAX_PALETTE 256
/* zlib's level for 24-bit PNGs (through libpng). Measured on a 1920x1200
 * photo at k=16 (1.15 MB of 4-bit palette rows), the deflate alone: level
 * 9 wrote 227,639 bytes in 0.60 s, more than the
 * whole k-means; level 6 (zlib's default) 238,841 bytes in 83 ms; level 5
 * 252,963 in 39-41 ms; level 4 265,167 in 24-26 ms; level 3 273,908 in 22
 * ms; level 1 312,315 in 15 ms; Z_RLE 321,459 in 10-13 ms. Level 4 takes
 * under a third of the default's time for 11% more bytes (5% more than
 * level 5): the write was a quarter of the whole run. For 24-bit RGB (a
 * 12 MP recoloured photo, libpng's adaptive filters) level 4 wrote
 * 9,001,051 bytes in 0.85 s, level 3 9,175,379 in 0.91 s, level 2
 * 9,856,320 in 0.68 s; stb_image_write, used before, 11,651,112 in 1.72 s. */
#define ZLIB_LEVEL 4
/* 24-bit rows: libpng's adaptive filters suit photos (a 1920x1200 photo:
 * 2,648,316 bytes; unfiltered 4,586,107), but recoloured images, k flat
 * colours, compress far better unfiltered, where deflate finds the rows
 * above as they are (12 MP, k=256: 20,868,352 bytes in 1.90 s with the
 * filters, 12,379,520 in 0.77 s without; k=16: 9,593,564 in 1.01 s,
 * 5,721,919 in 0.56 s). Which kind an image is, a sample of its rows
 * encoded both ways decides: SAMPLE_ROWS rows in every SAMPLE_PERIOD, in
 * bands, so the up and Paeth filters see the rows above as in the whole
 * image. Filtered rows go through libpng and zlib; unfiltered ones are
 * deflated by libdeflate as palette rows are, in the sample too (12 MP
 * recoloured at k=256: 12,335,324 bytes in 0.77 s with zlib, 10,588,678
 * with libdeflate in about 0.6 s, one thread). */
#define SAMPLE_ROWS 8
#define SAMPLE_PERIOD 256
/* Palette rows are deflated by libdeflate, at this level. The rows of
 * four outputs, one stream each on one thread (bytes / ms), zlib level 4
 * against libdeflate level 4: 12 MP k=256 8,730,479 / 398 against
 * 8,721,692 / 194; 12 MP k=16 3,754,343 / 277 against 3,702,959 / 97;
 * 1920x1200 k=16 265,275 / 21 against 251,936 / 12.5; k=64 532,576 / 38
 * against 511,971 / 24.5. Level 6: 1.5-5% fewer bytes than level 4 in
 * 1.4-2.2 times its time. (docs/performance-log.md, 2026-11-28.) */
#define DEFLATE_LEVEL 4
/* Large palette images are deflated in segments of rows on the thread
 * pool, as pigz does. libdeflate has no flush, so every segment but the
 * last is made joinable after its deflate (deflate_join.c: its final
 * block no longer final, then an empty stored block), and the segments
 * join into one zlib stream. Each starts without the rows before it as
 * a dictionary (libdeflate has none): +0.2-1.2% bytes at segments of
 * 300 kB and more. The rows go to a segment by the image's size alone,
 * so the bytes do not depend on the thread count. From SEGMENT_MIN_RAW
 * bytes of rows on: SEGMENT_QUANTUM segments per SEGMENT_MIN_RAW bytes,
 * at most SEGMENT_MAX (a multiple of 1, 2 and 4 segments: threads finish
 * together). Below, one segment (a 240x320 image is 77 kB: threads would
 * save nothing). */
#define SEGMENT_MIN_RAW ((size_t)1 << 20)
#define SEGMENT_QUANTUM 4
#define SEGMENT_MAX 16
#define ZLIB_HEADER_FAST "\x78\x5e" /* deflate, 32 KiB window, FLEVEL 1
                                       (libdeflate's levels 2-5), check
                                       bits */
_Static_assert(DEFLATE_LEVEL >= 2 && DEFLATE_LEVEL <= 5, "the header's FLEVEL");

int kq_indexed_bit_depth(int k)
{
    if (k < 1 || k > PNG_MAX_PALETTE)
        return 0;
    if (k <= 2)
        return 1;
    if (k <= 4)
        return 2;
    return k <= 16 ? 4 : 8;
}

/* What one encoding needs; filled before libpng is called. An RGB image
 * (rgb set) or k labels and their palette. */
typedef struct {
    int width, height, depth, k;
    int rgb_filters;        /* libpng's filter mask for 24-bit rows */
    const kq_label *labels;
    const unsigned char (*palette)[3];
    const unsigned char *rgb;
    const struct segments *segments; /* unfiltered rows, deflated already */
    size_t counted;         /* bytes, when encoding only to count them */
    char message[256];      /* libpng's reason when it fails */
    int write_errno;        /* errno when it failed (ENOSPC on a full disk) */
} indexed_job;

static void on_png_error(png_structp png, png_const_charp message)
{
    indexed_job *job = png_get_error_ptr(png);
    job->write_errno = errno;
    snprintf(job->message, sizeof job->message, "%s", message);
    png_longjmp(png, 1);
}

static void on_png_warning(png_structp png, png_const_charp message)
{
    (void)png; /* the library never prints */
    (void)message;
}

static size_t packed_row_bytes(const indexed_job *job)
{
    size_t per_byte = (size_t)(8 / job->depth);
    return ((size_t)job->width + per_byte - 1) / per_byte;
}

/* Packs row y's labels MSB first, as PNG wants sub-byte pixels. */
static void pack_row_into(const indexed_job *job, int y, unsigned char *row)
{
    const kq_label *labels = job->labels + (size_t)y * (size_t)job->width;
    int per_byte = 8 / job->depth;
    memset(row, 0, packed_row_bytes(job));
    for (int x = 0; x < job->width; x++) {
        int shift = 8 - job->depth * (x % per_byte + 1);
        row[x / per_byte] |= (unsigned char)(labels[x] << shift);
    }
}

static void set_rgb_header(png_structp png, png_infop info,
                           const indexed_job *job)
{
    png_set_IHDR(png, info, (png_uint_32)job->width,
                 (png_uint_32)job->height, 8, PNG_COLOR_TYPE_RGB,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    png_set_filter(png, PNG_FILTER_TYPE_BASE, job->rgb_filters);
}

static void set_header(png_structp png, png_infop info, const indexed_job *job)
{
    png_set_user_limits(png, INT_MAX, INT_MAX); /* our caller sets limits */
    png_set_compression_level(png, ZLIB_LEVEL);
    if (job->rgb) {
        set_rgb_header(png, info, job);
        return;
    }
    png_set_IHDR(png, info, (png_uint_32)job->width,
                 (png_uint_32)job->height, job->depth, PNG_COLOR_TYPE_PALETTE,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    png_color entries[PNG_MAX_PALETTE];
    for (int j = 0; j < job->k; j++)
        entries[j] = (png_color){job->palette[j][0], job->palette[j][1],
                                 job->palette[j][2]};
    png_set_PLTE(png, info, entries, job->k);
    /* Filters rarely help indices (PNG spec's advice for palette images). */
    png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_NONE);
}

static png_bytep rgb_row(const indexed_job *job, int y)
{
    return (png_bytep)job->rgb + (size_t)y * (size_t)job->width * 3;
}

/* ---- segments deflated on threads (see SEGMENT_MIN_RAW) ---- */

typedef struct {
    unsigned char *data; /* raw deflate, joinable unless the last */
    size_t bytes;
    size_t raw;          /* bytes of rows (with their filter bytes) */
    uLong adler;         /* Adler-32 of those rows */
    bool ok;
} segment;

struct segments {
    const indexed_job *job;
    size_t row_bytes; /* filter byte + packed row */
    int n;
    segment *seg;
};

/* 1 below SEGMENT_MIN_RAW bytes of rows. */
static int segment_count(size_t raw)
{
    size_t n = raw / SEGMENT_MIN_RAW * SEGMENT_QUANTUM;
    return n > SEGMENT_MAX ? SEGMENT_MAX : n < 1 ? 1 : (int)n;
}

static int first_row(const struct segments *sg, int s)
{
    return (int)((long long)sg->job->height * s / sg->n);
}

/* The bytes of one row without its filter byte. */
static size_t row_bytes_of(const indexed_job *job)
{
    return job->rgb ? (size_t)job->width * 3 : packed_row_bytes(job);
}

/* Rows y0..y1-1 with their filter bytes (none) into raw: palette rows
 * packed, RGB rows as they are. */
static void raw_rows(const struct segments *sg, int y0, int y1,
                     unsigned char *raw)
{
    const indexed_job *job = sg->job;
    for (int y = y0; y < y1; y++, raw += sg->row_bytes) {
        raw[0] = PNG_FILTER_VALUE_NONE;
        if (job->rgb)
            memcpy(raw + 1, rgb_row(job, y), sg->row_bytes - 1);
        else
            pack_row_into(job, y, raw + 1);
    }
}

/* Deflates g->raw bytes of rows into g (joinable unless last); g->ok
 * tells whether it worked. */
static void deflate_rows(segment *g, const unsigned char *raw, bool last)
{
    struct libdeflate_compressor *c =
        libdeflate_alloc_compressor(DEFLATE_LEVEL);
    if (!c)
        return;
    size_t room = libdeflate_deflate_compress_bound(c, g->raw) +
                  KQ_DEFLATE_JOIN_EXTRA;
    g->data = malloc(room);
    if (g->data) {
        g->bytes = libdeflate_deflate_compress(c, raw, g->raw, g->data, room);
        if (g->bytes && !last)
            g->bytes = kq_deflate_make_joinable(g->data, g->bytes, room);
        g->ok = g->bytes > 0;
    }
    libdeflate_free_compressor(c);
}

static void deflate_segment(void *ctx, size_t t)
{
    const struct segments *sg = ctx;
    int s = (int)t, y0 = first_row(sg, s), y1 = first_row(sg, s + 1);
    segment *g = &sg->seg[s];
    g->raw = sg->row_bytes * (size_t)(y1 - y0);
    unsigned char *raw = malloc(g->raw);
    if (!raw)
        return;
    raw_rows(sg, y0, y1, raw);
    g->adler = libdeflate_adler32(1, raw, g->raw); /* SIMD; zlib combines */
    deflate_rows(g, raw, s == sg->n - 1);
    free(raw);
}

static void segments_free(struct segments *sg)
{
    for (int s = 0; sg->seg && s < sg->n; s++)
        free(sg->seg[s].data);
    free(sg->seg);
}

/* Deflates a job's rows, unfiltered, in segments (one below
 * SEGMENT_MIN_RAW bytes of rows). */
static kq_status deflate_segments(const indexed_job *job, int threads,
                                  struct segments *sg)
{
    *sg = (struct segments){job, row_bytes_of(job) + 1, 0, NULL};
    int n = segment_count(sg->row_bytes * (size_t)job->height);
    sg->n = n > job->height ? job->height : n;
    sg->seg = calloc((size_t)sg->n, sizeof *sg->seg);
    if (!sg->seg)
        return KQ_ERR_NOMEM;
    kq_pool *pool = NULL; /* without threads: the same bytes, serially */
    if (sg->n > 1 && threads != 1 && kq_pool_create(threads, &pool) != KQ_OK)
        pool = NULL;
    kq_pool_run(pool, (size_t)sg->n, deflate_segment, sg);
    kq_pool_free(pool);
    for (int s = 0; s < sg->n; s++)
        if (!sg->seg[s].ok)
            return KQ_ERR_NOMEM;
    return KQ_OK;
}

/* The segments as one zlib stream in IDAT chunks (one per segment; the
 * first carries the zlib header, the last the Adler-32 of all rows), then
 * IEND: what png_write_row and png_write_end would write from there. */
static void write_segments(png_structp png, const struct segments *sg)
{
    uLong adler = adler32(0L, Z_NULL, 0);
    for (int s = 0; s < sg->n; s++) {
        const segment *g = &sg->seg[s];
        adler = adler32_combine(adler, g->adler, (z_off_t)g->raw);
        bool first = s == 0, last = s == sg->n - 1;
        png_write_chunk_start(png, (png_const_bytep) "IDAT",
                              (png_uint_32)(g->bytes + (first ? 2 : 0) +
                                            (last ? 4 : 0)));
        if (first)
            png_write_chunk_data(png, (png_const_bytep)ZLIB_HEADER_FAST, 2);
        png_write_chunk_data(png, g->data, g->bytes);
        if (last) {
            unsigned char be[4] = {(unsigned char)(adler >> 24),
                                   (unsigned char)(adler >> 16),
                                   (unsigned char)(adler >> 8),
                                   (unsigned char)adler};
            png_write_chunk_data(png, be, 4);
        }
        png_write_chunk_end(png);
    }
    png_write_chunk(png, (png_const_bytep) "IEND", NULL, 0);
}

static void count_bytes(png_structp png, png_bytep data, size_t n)
{
    (void)data;
    ((indexed_job *)png_get_io_ptr(png))->counted += n;
}

static void flush_nothing(png_structp png)
{
    (void)png;
}

/* Returns 1 when the whole image went to stream (NULL: was counted into
 * job->counted), 0 on failure (with job->message set when libpng said
 * why). */
static int encode(FILE *stream, indexed_job *job)
{
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, job,
                                              on_png_error, on_png_warning);
    if (!png)
        return 0;
    png_infop info = png_create_info_struct(png);
    if (!info) {
        png_destroy_write_struct(&png, NULL);
        return 0;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        return 0;
    }
    if (stream)
        png_init_io(png, stream);
    else
        png_set_write_fn(png, job, count_bytes, flush_nothing);
    set_header(png, info, job);
    png_write_info(png, info);
    if (job->segments) {
        write_segments(png, job->segments);
    } else {
        for (int y = 0; y < job->height; y++)
            png_write_row(png, rgb_row(job, y));
        png_write_end(png, NULL);
    }
    png_destroy_write_struct(&png, &info);
    return 1;
}

static kq_status check_job(const indexed_job *job, char *err, size_t err_len)
{
    if (job->depth == 0)
        return kq_fail(KQ_ERR_ARGUMENT, err, err_len,
                       "an indexed PNG holds 1 to 256 colours, not %d",
                       job->k);
    if (job->width < 1 || job->height < 1 || !job->labels || !job->palette)
        return kq_fail(KQ_ERR_ARGUMENT, err, err_len,
                       "bad image size %dx%d or missing data", job->width,
                       job->height);
    size_t n = (size_t)job->width * (size_t)job->height;
    for (size_t i = 0; i < n; i++)
        if (job->labels[i] >= job->k)
            return kq_fail(KQ_ERR_ARGUMENT, err, err_len,
                           "pixel %zu has label %d outside 0..%d", i,
                           (int)job->labels[i], job->k - 1);
    return KQ_OK;
}

/* Encodes a checked job to stream (NULL: counts its bytes). */
static kq_status encode_job(FILE *stream, indexed_job *job, char *err,
                            size_t err_len)
{
    kq_status st = KQ_OK;
    bool written = encode(stream, job);
    if (!written && stream && ferror(stream) &&
        job->write_errno) /* e.g. disk full */
        st = kq_fail(KQ_ERR_IO, err, err_len, "%s",
                     strerror(job->write_errno));
    else if (!written)
        st = kq_fail(KQ_ERR_IO, err, err_len, "PNG encoder failed: %s",
                     job->message[0] ? job->message : "out of memory");
    return st;
}

/* encode_job for rows that go unfiltered (palette rows, and RGB rows
 * without filters): deflated first, by libdeflate in segments. */
static kq_status encode_unfiltered(FILE *stream, indexed_job *job,
                                   int threads, char *err, size_t err_len)
{
    struct segments sg;
    kq_status st = deflate_segments(job, threads, &sg);
    if (st == KQ_OK) {
        job->segments = &sg;
        st = encode_job(stream, job, err, err_len);
        job->segments = NULL;
    } else {
        st = kq_fail(st, err, err_len, "out of memory");
    }
    segments_free(&sg);
    return st;
}

kq_status kq_indexed_encode_png_threads(FILE *stream, int width, int height,
                                        const kq_label *labels,
                                        const unsigned char (*palette)[3],
                                        int k, int threads, char *err,
                                        size_t err_len)
{
    indexed_job job = {width, height, kq_indexed_bit_depth(k), k, 0, labels,
                       palette, NULL, NULL, 0, "", 0};
    kq_status st = check_job(&job, err, err_len);
    if (st != KQ_OK)
        return st;
    return encode_unfiltered(stream, &job, threads, err, err_len);
}

kq_status kq_indexed_encode_png(FILE *stream, int width, int height,
                                const kq_label *labels,
                                const unsigned char (*palette)[3], int k,
                                char *err, size_t err_len)
{
    return kq_indexed_encode_png_threads(stream, width, height, labels,
                                         palette, k, 1, err, err_len);
}

kq_status kq_indexed_write_png(const char *path, int width, int height,
                               const kq_label *labels,
                               const unsigned char (*palette)[3], int k,
                               char *err, size_t err_len)
{
    kq_atomic_file *file;
    kq_status st = kq_atomic_open(path, &file, err, err_len);
    if (st != KQ_OK)
        return st;
    st = kq_indexed_encode_png(kq_atomic_stream(file), width, height, labels,
                               palette, k, err, err_len);
    if (st != KQ_OK) {
        kq_atomic_abort(file); /* bad arguments leave no file either */
        return st;
    }
    return kq_atomic_commit(file, err, err_len);
}

/* The job that encodes img as 24-bit RGB rows with the filter mask. */
static indexed_job rgb_job(const kq_image *img, int filters)
{
    indexed_job job = {img->width, img->height, 8, 0, filters, NULL,
                       NULL, img->rgb, NULL, 0, "", 0};
    return job;
}

/* A 24-bit job to stream (NULL: counted): libpng's filters and zlib,
 * or, without filters, the rows deflated by libdeflate as palette rows
 * are (on one thread: the summary counts a 24-bit PNG beside the
 * output's own encoding). */
static kq_status encode_rgb_job(FILE *stream, indexed_job *job, char *err,
                                size_t err_len)
{
    if (job->rgb_filters == PNG_FILTER_NONE)
        return encode_unfiltered(stream, job, 1, err, err_len);
    return encode_job(stream, job, err, err_len);
}

/* The bytes img takes as a 24-bit PNG with the filter mask given. */
static kq_status rgb_png_bytes(const kq_image *img, int filters,
                               size_t *bytes, char *err, size_t err_len)
{
    indexed_job job = rgb_job(img, filters);
    kq_status st = encode_rgb_job(NULL, &job, err, err_len);
    *bytes = job.counted;
    return st;
}

/* Bands of SAMPLE_ROWS rows, one every SAMPLE_PERIOD, as one image. */
static kq_status sample_rows(const kq_image *img, kq_image *sample)
{
    size_t row = (size_t)img->width * 3;
    int rows = 0;
    for (int y = 0; y < img->height; y++)
        rows += y % SAMPLE_PERIOD < SAMPLE_ROWS;
    sample->width = img->width;
    sample->height = rows;
    sample->rgb = malloc(row * (size_t)rows);
    if (!sample->rgb)
        return KQ_ERR_NOMEM;
    int at = 0;
    for (int y = 0; y < img->height; y++)
        if (y % SAMPLE_PERIOD < SAMPLE_ROWS)
            memcpy(sample->rgb + row * (size_t)at++,
                   img->rgb + row * (size_t)y, row);
    return KQ_OK;
}

/* Adaptive filters or none, whichever encodes a sample of the rows
 * smaller (ties: the filters); see SAMPLE_ROWS. */
static kq_status rgb_filters_for(const kq_image *img, int *filters,
                                 char *err, size_t err_len)
{
    *filters = PNG_ALL_FILTERS;
    kq_image sample = {0};
    kq_status st = sample_rows(img, &sample);
    if (st != KQ_OK)
        return kq_fail(st, err, err_len, "out of memory");
    size_t adaptive = 0, plain = 0;
    st = rgb_png_bytes(&sample, PNG_ALL_FILTERS, &adaptive, err, err_len);
    if (st == KQ_OK)
        st = rgb_png_bytes(&sample, PNG_FILTER_NONE, &plain, err, err_len);
    if (st == KQ_OK && plain < adaptive)
        *filters = PNG_FILTER_NONE;
    free(sample.rgb);
    return st;
}

kq_status kq_rgb_encode_png(FILE *stream, const kq_image *img,
                            size_t *counted, char *err, size_t err_len)
{
    if (!kq_image_encodable(img))
        return kq_fail(KQ_ERR_ARGUMENT, err, err_len,
                       "image of %dx%d is too large to encode", img->width,
                       img->height);
    indexed_job job = rgb_job(img, PNG_ALL_FILTERS);
    kq_status st = rgb_filters_for(img, &job.rgb_filters, err, err_len);
    if (st == KQ_OK)
        st = encode_rgb_job(stream, &job, err, err_len);
    if (st == KQ_OK && counted)
        *counted = job.counted;
    return st;
}

kq_status kq_image_png_bytes(const kq_image *img, size_t *bytes_out)
{
    /* The encoder write.c uses for .png, so the numbers compare like for
     * like. */
    return kq_rgb_encode_png(NULL, img, bytes_out, NULL, 0);
}
