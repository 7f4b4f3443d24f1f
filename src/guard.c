/* guard.c - refusing inputs that would reach known faults in stb_image.
 * (PNGs are decoded by libpng, png_read.c: only their size is checked.)
 *
 * Debian ships stb_image 2.27 as a compiled library, so kquant cannot patch
 * its decoders; instead it reads the few header fields that lead to a
 * known fault and refuses the file before stb sees it. Each guard names
 * the fault it stops; tests/fuzz/regressions holds an input for each. */
#include "kq_internal.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <stb_image.h>

/* Progressive JPEGs from real encoders have about ten scans; every scan
 * costs a pass over the whole image, so thousands of tiny scans would turn
 * a small file into minutes of work. */
#define KQ_JPEG_MAX_SCANS 100

typedef struct {
    const unsigned char *data;
    size_t len;
    size_t pos;
} cursor;

/* The next byte, or 0 past the end (as stb's reader does). */
static unsigned next_byte(cursor *c)
{
    return c->pos < c->len ? c->data[c->pos++] : 0u;
}

static unsigned next_be16(cursor *c)
{
    unsigned hi = next_byte(c);
    return hi << 8 | next_byte(c);
}

/* What a JPEG has defined so far, as stb's decoder would see it. */
typedef struct {
    bool huffman[2][4]; /* [DC 0 / AC 1][table id] */
    bool quant[4];
    bool progressive;
    int components;     /* of the first frame (stb reads only that one) */
    unsigned id[4], quant_of[4];
    unsigned long width, height;
} jpeg_state;

/* stb 2.27 builds each Huffman table into 257 code slots without checking
 * that the 16 code counts add up to at most 256: more is a heap overflow.
 * Mirrors stb's DHT loop, which reads past the segment when told to.
 * Returns true for such a table; records the tables defined. */
static bool read_dht(cursor *c, jpeg_state *js)
{
    long left = (long)next_be16(c) - 2;
    while (left > 0) {
        unsigned q = next_byte(c);
        if ((q >> 4) > 1 || (q & 15) > 3)
            return false; /* stb refuses the table itself */
        unsigned codes = 0;
        for (int i = 0; i < 16; i++)
            codes += next_byte(c);
        if (codes > 256)
            return true;
        js->huffman[q >> 4][q & 15] = true;
        c->pos += codes;
        left -= 17 + (long)codes;
    }
    return false;
}

static void read_dqt(cursor *c, jpeg_state *js)
{
    long left = (long)next_be16(c) - 2;
    while (left > 0) {
        unsigned q = next_byte(c), sixteen = q >> 4;
        if (sixteen > 1 || (q & 15) > 3)
            return; /* stb refuses the table */
        js->quant[q & 15] = true;
        c->pos += sixteen ? 128 : 64;
        left -= sixteen ? 129 : 65;
    }
}

/* Start-of-frame markers: C0..CF except DHT (C4), JPG (C8), DAC (CC). */
static bool is_sof(unsigned m)
{
    return m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC;
}

/* What a start-of-frame marker other than baseline (C0), extended (C1)
 * or progressive (C2) Huffman coding codes with: stb's header reader
 * refuses those frames, and its tables' checks below do not apply. */
static const char *unread_coding(unsigned m)
{
    if (m == 0xC0 || m == 0xC1 || m == 0xC2)
        return NULL;
    if (m == 0xC3)
        return "a lossless JPEG";
    if (m >= 0xC5 && m <= 0xC7)
        return "a hierarchical JPEG";
    return m == 0xCB || m == 0xCF ? "a lossless arithmetic-coded JPEG"
                                  : "an arithmetic-coded JPEG";
}

static void read_sof(cursor *c, unsigned m, jpeg_state *js)
{
    c->pos += 3; /* length (2), precision (1) */
    js->height = next_be16(c);
    js->width = next_be16(c);
    js->progressive = m == 0xC2;
    unsigned n = next_byte(c);
    js->components = n <= 4 ? (int)n : 0; /* stb refuses more */
    for (int i = 0; i < js->components; i++) {
        js->id[i] = next_byte(c);
        c->pos++; /* sampling factors */
        js->quant_of[i] = next_byte(c) & 3;
    }
}

/* stb 2.27 decodes a scan with whatever tables it names, defined or not:
 * an undefined one is uninitialised memory (garbage shifts, and colours
 * made of stale heap bytes). Returns what is missing, or NULL. Tables that
 * stb will not use in this scan (the AC table of a progressive DC scan,
 * any table of a DC refinement) need not exist yet. */
static const char *sos_missing_table(cursor *c, const jpeg_state *js)
{
    c->pos += 2; /* length */
    unsigned n = next_byte(c), dc[4], ac[4];
    if (n < 1 || n > 4)
        return NULL; /* stb refuses the scan */
    for (unsigned i = 0; i < n; i++) {
        unsigned id = next_byte(c), q = next_byte(c);
        int which = 0;
        while (which < js->components && js->id[which] != id)
            which++;
        if (which == js->components || (q >> 4) > 3 || (q & 15) > 3)
            return NULL; /* stb refuses the scan */
        if (!js->quant[js->quant_of[which]])
            return "quantization table";
        dc[i] = q >> 4;
        ac[i] = q & 15;
    }
    unsigned spectral_start = next_byte(c);
    c->pos++; /* spectral end */
    unsigned approx_high = next_byte(c) >> 4;
    bool uses_dc = !js->progressive || (spectral_start == 0 && approx_high == 0);
    bool uses_ac = !js->progressive || spectral_start > 0;
    for (unsigned i = 0; i < n; i++)
        if ((uses_dc && !js->huffman[0][dc[i]]) ||
            (uses_ac && !js->huffman[1][ac[i]]))
            return "Huffman table";
    return NULL;
}

/* Moves past entropy-coded data to the next marker's 0xFF: a 0xFF
 * followed by 0x00 (a stuffed byte) or a restart marker is still data. */
static void skip_entropy_data(cursor *c)
{
    while (c->pos + 1 < c->len) {
        if (c->data[c->pos] == 0xFF) {
            unsigned m = c->data[c->pos + 1];
            if (m != 0x00 && m != 0xFF && !(m >= 0xD0 && m <= 0xD7))
                return;
        }
        c->pos++;
    }
    c->pos = c->len;
}

/* Where a JPEG's data starts after its start-of-image marker, or 0 when
 * data is no JPEG. stb accepts any number of 0xFF fill bytes before the
 * marker, so the guard must too. */
static size_t jpeg_start(const unsigned char *data, size_t len)
{
    size_t pos = 0;
    if (len < 2 || data[0] != 0xFF)
        return 0;
    while (pos < len && data[pos] == 0xFF)
        pos++;
    return pos < len && data[pos] == 0xD8 ? pos + 1 : 0;
}

/* Walks the JPEG's segments as stb's decoder would meet them. Garbage
 * between segments is skipped byte by byte, as stb does while it looks for
 * a marker, so that no table stb would read escapes the check. Also
 * reports the first frame's size (0 x 0 when there is none). */
static kq_status check_jpeg(const unsigned char *data, size_t len,
                            size_t start, unsigned long *width,
                            unsigned long *height, char *err, size_t err_len)
{
    cursor c = {data, len, start};
    jpeg_state js = {0};
    bool have_frame = false;
    int scans = 0;
    while (c.pos < len) {
        if (next_byte(&c) != 0xFF)
            continue;
        unsigned m = next_byte(&c);
        while (m == 0xFF)
            m = next_byte(&c);
        size_t segment = c.pos;
        if (m == 0xD9 || m == 0x00)
            break; /* end of image, or stb stops with an error */
        if ((m >= 0xD0 && m <= 0xD7) || m == 0x01)
            continue; /* markers without a length */
        if (is_sof(m) && !have_frame) {
            const char *coding = unread_coding(m);
            if (coding)
                return kq_fail(KQ_ERR_INPUT_FORMAT, err, err_len,
                               "not a supported image: %s (kquant reads "
                               "baseline and progressive JPEGs)",
                               coding);
            read_sof(&c, m, &js);
            have_frame = true;
        } else if (m == 0xC4 && read_dht(&c, &js)) {
            return kq_fail(KQ_ERR_INPUT_FORMAT, err, err_len,
                           "corrupt JPEG (Huffman table with more than 256 "
                           "codes)");
        } else if (m == 0xDB) {
            read_dqt(&c, &js);
        } else if (m == 0xDA) {
            const char *missing = sos_missing_table(&c, &js);
            if (missing)
                return kq_fail(KQ_ERR_INPUT_FORMAT, err, err_len,
                               "corrupt JPEG (a scan uses an undefined %s)",
                               missing);
            if (++scans > KQ_JPEG_MAX_SCANS)
                return kq_fail(KQ_ERR_INPUT_FORMAT, err, err_len,
                               "JPEG with more than %d scans refused",
                               KQ_JPEG_MAX_SCANS);
        }
        c.pos = segment; /* the length counts from here */
        size_t segment_len = next_be16(&c);
        c.pos = segment + segment_len;
        if (m == 0xDA)
            skip_entropy_data(&c);
    }
    *width = js.width;
    *height = js.height;
    return KQ_OK;
}

static bool is_pnm_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' ||
           c == '\r';
}

/* stb 2.27 reads PNM header numbers into an int without an overflow
 * check (undefined behaviour): real headers have a few digits. It also
 * reads the pixels without checking that they are all there, leaving the
 * rest of its buffer uninitialised (other bytes on every run): a file cut
 * short is refused, unless it is too large anyway (the size check says
 * so then). */
static kq_status check_pnm(const unsigned char *data, size_t len,
                           size_t max_pixels, char *err, size_t err_len)
{
    size_t pos = 2;
    uint64_t value[3] = {0, 0, 0}; /* width, height, largest sample */
    for (int field = 0; field < 3; field++) {
        while (pos < len && (is_pnm_space(data[pos]) || data[pos] == '#')) {
            if (data[pos] == '#')
                while (pos < len && data[pos] != '\n' && data[pos] != '\r')
                    pos++;
            else
                pos++;
        }
        size_t digits = 0;
        while (pos < len && data[pos] >= '0' && data[pos] <= '9') {
            value[field] = value[field] * 10 + (data[pos++] - '0');
            if (++digits > 9)
                return kq_fail(KQ_ERR_INPUT_FORMAT, err, err_len,
                               "corrupt PNM header (number too long)");
        }
    }
    uint64_t pixels = value[0] * value[1]; /* below 10^18 */
    uint64_t bytes = pixels * (data[1] == '6' ? 3 : 1) *
                     (value[2] > 255 ? 2 : 1);
    if (pixels > 0 && pixels <= max_pixels && len - pos < bytes + 1)
        return kq_fail(KQ_ERR_INPUT_FORMAT, err, err_len,
                       "corrupt or truncated image (a PNM file cut short)");
    return KQ_OK; /* the pixels start after one byte of space */
}

static unsigned long le16_at(const unsigned char *p)
{
    return (unsigned long)p[0] | (unsigned long)p[1] << 8;
}

/* stb 2.27 reads the rows of an uncompressed true-colour or grey TGA
 * (image types 2 and 3) as PNM's, unchecked: one cut short is refused.
 * Colour-mapped and run-length TGAs are read byte by byte, zeros past the
 * end. Other formats never match: their second byte, a TGA's colour-map
 * type, is never 0. */
static bool tga_cut_short(const unsigned char *data, size_t len,
                          size_t max_pixels)
{
    if (len < 18 || data[1] != 0 || (data[2] != 2 && data[2] != 3))
        return false;
    uint64_t pixels = (uint64_t)le16_at(data + 12) * le16_at(data + 14);
    uint64_t need = 18 + data[0] + pixels * ((data[16] + 7u) / 8u);
    return pixels <= max_pixels && len < need;
}

static unsigned long be32_at(const unsigned char *p)
{
    return (unsigned long)p[0] << 24 | (unsigned long)p[1] << 16 |
           (unsigned long)p[2] << 8 | p[3];
}

/* The size a PNG's IHDR claims, or false when there is none. */
static bool png_size(const unsigned char *data, size_t len,
                     unsigned long *width, unsigned long *height)
{
    if (len < 29 || !kq_png_is(data, len) ||
        memcmp(data + 12, "IHDR", 4) != 0)
        return false;
    *width = be32_at(data + 16);
    *height = be32_at(data + 20);
    return true;
}

/* stb_image reports an image too large for its int arithmetic as "unknown
 * image type"; the header's own size makes for a truthful refusal. */
static kq_status check_size(unsigned long width, unsigned long height,
                            size_t max_pixels, char *err, size_t err_len)
{
    uint64_t pixels = (uint64_t)width * height; /* both below 2^32 */
    if (pixels <= max_pixels)
        return KQ_OK;
    return kq_fail(KQ_ERR_INPUT_TOO_LARGE, err, err_len,
                   "image of %lux%lu exceeds the limit of %zu pixels", width,
                   height, max_pixels);
}

/* stb 2.27's Radiance HDR decoder loops forever on run-length data that
 * ends early (a zero count at the end of the file never advances), and
 * kquant has no use for floating-point images: they are refused. */
static bool is_radiance_hdr(const unsigned char *data, size_t len)
{
    return (len >= 11 && memcmp(data, "#?RADIANCE\n", 11) == 0) ||
           (len >= 7 && memcmp(data, "#?RGBE\n", 7) == 0);
}

kq_status kq_guard_input(const unsigned char *data, size_t len,
                         size_t max_pixels, char *err, size_t err_len)
{
    unsigned long width = 0, height = 0;
    if (is_radiance_hdr(data, len))
        return kq_fail(KQ_ERR_INPUT_FORMAT, err, err_len,
                       "Radiance HDR images are not supported");
    size_t soi = jpeg_start(data, len);
    if (soi > 0) {
        kq_status st =
            check_jpeg(data, len, soi, &width, &height, err, err_len);
        return st != KQ_OK ? st
                           : check_size(width, height, max_pixels, err, err_len);
    }
    /* PNGs are decoded by libpng (png_read.c), which needs no guard */
    if (png_size(data, len, &width, &height))
        return check_size(width, height, max_pixels, err, err_len);
    if (len >= 2 && data[0] == 'P' && (data[1] == '5' || data[1] == '6'))
        return check_pnm(data, len, max_pixels, err, err_len);
    if (tga_cut_short(data, len, max_pixels))
        return kq_fail(KQ_ERR_INPUT_FORMAT, err, err_len,
                       "corrupt or truncated image (a TGA file cut short)");
    return KQ_OK;
}
