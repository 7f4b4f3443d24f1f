/* sniff.c - naming formats stb_image cannot decode from their magic bytes,
 * so that "not a supported image" can say what the data really is (a
 * server's HTML error page, an AVIF from an image CDN, a BMP compressed
 * with RLE8 as ImageMagick writes palette BMPs...). */
#include "kq_internal.h"

#include <ctype.h>
#include <string.h>

/* data starts with the n bytes of magic at offset. */
static bool has_at(const unsigned char *data, size_t len, size_t offset,
                   const char *magic, size_t n)
{
    return len >= offset + n && memcmp(data + offset, magic, n) == 0;
}

/* ISO base media files (HEIF, AVIF) start with an ftyp box: a 32-bit size,
 * "ftyp", the major brand, a minor version, then compatible brands. */
static bool ftyp_has_brand(const unsigned char *data, size_t len,
                           const char *brand)
{
    if (!has_at(data, len, 4, "ftyp", 4))
        return false;
    size_t box = (size_t)data[0] << 24 | (size_t)data[1] << 16 |
                 (size_t)data[2] << 8 | data[3];
    if (box > len)
        box = len;
    if (has_at(data, box, 8, brand, 4))
        return true;
    for (size_t at = 16; at + 4 <= box; at += 4)
        if (memcmp(data + at, brand, 4) == 0)
            return true;
    return false;
}

static const char *sniff_iso_media(const unsigned char *data, size_t len)
{
    static const char *const heif_brands[] = {"heic", "heix", "hevc", "heim",
                                              "heis", "hevm", "hevs", "mif1",
                                              "msf1"};
    if (ftyp_has_brand(data, len, "avif") || ftyp_has_brand(data, len, "avis"))
        return "an AVIF image";
    for (size_t i = 0; i < sizeof heif_brands / sizeof *heif_brands; i++)
        if (ftyp_has_brand(data, len, heif_brands[i]))
            return "a HEIF/HEIC image";
    return NULL;
}

/* Case-insensitive: text (of length len) starts with the lower-case word. */
static bool starts_with_word(const unsigned char *text, size_t len,
                             const char *word)
{
    size_t n = strlen(word);
    if (len < n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (tolower(text[i]) != (unsigned char)word[i])
            return false;
    return true;
}

/* Markup after an optional UTF-8 byte order mark and white space. */
static const char *sniff_markup(const unsigned char *data, size_t len)
{
    size_t i = has_at(data, len, 0, "\xEF\xBB\xBF", 3) ? 3 : 0;
    while (i < len && isspace(data[i]))
        i++;
    const unsigned char *p = data + i;
    size_t left = len - i;
    static const char *const html_starts[] = {"<!doctype html", "<html",
                                              "<head", "<body", "<!--"};
    for (size_t j = 0; j < sizeof html_starts / sizeof *html_starts; j++)
        if (starts_with_word(p, left, html_starts[j]))
            return "an HTML page";
    if (starts_with_word(p, left, "<svg"))
        return "an SVG image";
    if (starts_with_word(p, left, "<?xml")) {
        size_t scan = left < 1024 ? left : 1024;
        for (size_t j = 0; j + 4 <= scan; j++)
            if (starts_with_word(p + j, scan - j, "<svg"))
                return "an SVG image";
        return "an XML document";
    }
    if (left > 0 && (*p == '{' || *p == '['))
        return "a JSON document";
    return NULL;
}

static uint32_t le32_at(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

/* How a BMP's compression field (Windows' meanings) is named. OS/2's
 * 64-byte header gives 3 and 4 other meanings; 0 and 3 (bit fields) are
 * uncompressed and read. */
static const char *bmp_compression_name(uint32_t header_size,
                                        uint32_t compression)
{
    if (compression == 1)
        return "a BMP compressed with RLE8";
    if (compression == 2)
        return "a BMP compressed with RLE4";
    if (header_size == 64)
        return compression == 3   ? "a BMP compressed with Huffman 1D"
               : compression == 4 ? "a BMP compressed with RLE24"
                                  : NULL;
    return compression == 4   ? "a JPEG inside a BMP"
           : compression == 5 ? "a PNG inside a BMP"
                              : NULL;
}

/* The info header sizes of the BMP versions that have a compression
 * field (OS/2 1.x's 12-byte header has none). */
static bool bmp_has_compression_field(uint32_t header_size)
{
    static const uint32_t sizes[] = {40, 52, 56, 64, 108, 124};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++)
        if (header_size == sizes[i])
            return true;
    return false;
}

/* A BMP whose pixels are compressed, which stb_image refuses as an unknown
 * type (ImageMagick writes palette BMPs with RLE8): "BM", then the info
 * header's size at offset 14 and its compression at 30. A plausible size
 * keeps text that starts with "BM" from being named. */
static const char *sniff_compressed_bmp(const unsigned char *data,
                                        size_t len)
{
    if (!has_at(data, len, 0, "BM", 2) || len < 34)
        return NULL;
    uint32_t header_size = le32_at(data + 14);
    if (!bmp_has_compression_field(header_size))
        return NULL;
    return bmp_compression_name(header_size, le32_at(data + 30));
}

typedef struct {
    size_t offset;
    const char *magic;
    size_t length;
    const char *name;
} magic_entry;

static const magic_entry magic_table[] = {
    {0, "\x00\x00\x00\x0CJXL \r\n\x87\n", 12, "a JPEG XL image"},
    {0, "\xFF\x0A", 2, "a JPEG XL image"},
    {0, "\x00\x00\x00\x0CjP  \r\n\x87\n", 12, "a JPEG 2000 image"},
    {0, "\xFF\x4F\xFF\x51", 4, "a JPEG 2000 image"},
    {0, "\x00\x00\x01\x00", 4, "an ICO icon"},
    {0, "%PDF-", 5, "a PDF document"},
    {0, "\x1F\x8B", 2, "gzip-compressed data"},
    {0, "PK\x03\x04", 4, "a ZIP archive"},
};

/* Formats kquant reads whose magic bytes are long enough to trust (a
 * BMP's "BM" or a PNM's "P6" also start plain text; TGA has none). */
static const magic_entry readable_table[] = {
    {0, "\x89PNG\r\n\x1A\n", 8, "a PNG file"},
    {0, "\xFF\xD8\xFF", 3, "a JPEG file"},
    {0, "GIF87a", 6, "a GIF file"},
    {0, "GIF89a", 6, "a GIF file"},
    {0, "8BPS", 4, "a PSD file"},
};

static const char *sniff_table(const magic_entry *table, size_t n,
                               const unsigned char *data, size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (has_at(data, len, table[i].offset, table[i].magic,
                   table[i].length))
            return table[i].name;
    return NULL;
}

const char *kq_sniff_readable(const unsigned char *data, size_t len)
{
    if (!data)
        return NULL;
    return sniff_table(readable_table,
                       sizeof readable_table / sizeof *readable_table, data,
                       len);
}

const char *kq_sniff_unsupported(const unsigned char *data, size_t len)
{
    if (!data || len == 0)
        return NULL;
    const char *name = sniff_compressed_bmp(data, len);
    if (name)
        return name;
    name = sniff_iso_media(data, len);
    if (name)
        return name;
    name = sniff_table(magic_table, sizeof magic_table / sizeof *magic_table,
                       data, len);
    return name ? name : sniff_markup(data, len);
}

bool kq_sniff_heif(const unsigned char *data, size_t len)
{
    return data && sniff_iso_media(data, len) != NULL;
}

const char *kq_sniff_reads_instead(const unsigned char *data, size_t len)
{
    /* "BMP" in the list would read as a contradiction */
    if (data && sniff_compressed_bmp(data, len))
        return "uncompressed BMPs";
    return kq_image_formats();
}

const char *kq_image_formats(void)
{
    return "PNG, JPEG, WebP, HEIC, AVIF, TIFF, GIF, BMP, TGA, PSD, PIC and PNM";
}
