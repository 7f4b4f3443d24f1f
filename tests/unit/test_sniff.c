/* test_sniff.c - naming undecodable formats from their magic bytes (and
 * compressed BMPs from their header), and the formats kquant reads, so
 * that a file of one cut short before its header's end is called
 * truncated. */
#include "testutil.h"

#include "kq_internal.h"

#include <stdlib.h>
#include <string.h>

/* The phrase for a literal (its terminating NUL not included). */
#define SNIFF(literal)                                                    \
    kq_sniff_unsupported((const unsigned char *)(literal), sizeof(literal) - 1)

static void assert_named(const char *got, const char *expected)
{
    assert_non_null(got);
    assert_string_equal(got, expected);
}

static void image_formats_stb_cannot_read_are_named(void **state)
{
    (void)state;
    assert_null(SNIFF("RIFF\x1a\0\0\0WEBPVP8L")); /* WebP: read since */
    assert_named(SNIFF("\0\0\0\x1c" "ftypavif\0\0\0\0avifmif1miaf"),
                 "an AVIF image");
    /* AVIF announced only among the compatible brands */
    assert_named(SNIFF("\0\0\0\x18" "ftypmif1\0\0\0\0mif1avif"),
                 "an AVIF image");
    assert_named(SNIFF("\0\0\0\x18" "ftypheic\0\0\0\0mif1heic"),
                 "a HEIF/HEIC image");
    assert_named(SNIFF("\xFF\x0A\xFA\x7F"), "a JPEG XL image");
    assert_named(SNIFF("\0\0\0\x0CJXL \r\n\x87\n"), "a JPEG XL image");
    assert_named(SNIFF("\xFF\x4F\xFF\x51"), "a JPEG 2000 image");
    assert_null(SNIFF("II*\0\x08\0\0\0")); /* TIFF: read since */
    assert_null(SNIFF("MM\0*\0\0\0\x08"));
    assert_named(SNIFF("%PDF-1.7\n"), "a PDF document");
}

static void text_formats_are_named(void **state)
{
    (void)state;
    assert_named(SNIFF("<!DOCTYPE html><html></html>"), "an HTML page");
    assert_named(SNIFF("\xEF\xBB\xBF\r\n  <!doctype HTML>"), "an HTML page");
    assert_named(SNIFF("<HTML><body>404</body></HTML>"), "an HTML page");
    assert_named(SNIFF("<svg xmlns=\"http://www.w3.org/2000/svg\"/>"),
                 "an SVG image");
    assert_named(SNIFF("<?xml version=\"1.0\"?>\n<svg/>"), "an SVG image");
    assert_named(SNIFF("<?xml version=\"1.0\"?>\n<Error>denied</Error>"),
                 "an XML document");
    assert_named(SNIFF("{\"errors\":[\"rate limited\"]}"), "a JSON document");
}

static void decodable_and_unknown_data_are_not_named(void **state)
{
    (void)state;
    assert_null(SNIFF("\x89PNG\r\n\x1a\n"));
    assert_null(SNIFF("\xFF\xD8\xFF\xE0"));
    assert_null(SNIFF("GIF89a"));
    assert_null(SNIFF("BM"));
    assert_null(SNIFF("this is not an image"));
    assert_null(SNIFF("RIFF\x1a\0\0\0WAVEfmt ")); /* RIFF, but audio */
    assert_null(SNIFF("\0\0\0\x18" "ftypisom\0\0\0\0isommp41")); /* video */
    assert_null(kq_sniff_unsupported(NULL, 0));
    assert_null(kq_sniff_unsupported((const unsigned char *)"", 0));
}

static void short_inputs_are_read_safely(void **state)
{
    (void)state;
    /* every prefix of an AVIF header: no read beyond len */
    static const char avif[] = "\0\0\0\x1c" "ftypavif\0\0\0\0avifmif1miaf";
    for (size_t n = 0; n < sizeof avif - 1; n++) {
        unsigned char *copy = malloc(n ? n : 1);
        assert_non_null(copy);
        memcpy(copy, avif, n);
        const char *got = kq_sniff_unsupported(copy, n);
        if (got)
            assert_named(got, "an AVIF image");
        free(copy);
    }
    /* an ftyp box that claims more than there is */
    assert_named(SNIFF("\xff\xff\xff\xff" "ftypmif1\0\0\0\0avif"),
                 "an AVIF image");
}

static void loader_names_the_format(void **state)
{
    (void)state;
    static const char jp2[] = "\xFF\x4F\xFF\x51\0\x2F";
    kq_load_options lo;
    kq_load_options_default(&lo);
    kq_image img = {0};
    char err[256];
    assert_int_equal(kq_image_load_memory((const unsigned char *)jp2,
                                          sizeof jp2 - 1, &lo, &img, err,
                                          sizeof err),
                     KQ_ERR_INPUT_FORMAT);
    assert_string_equal(err, "not a supported image: a JPEG 2000 image "
                             "(kquant reads PNG, JPEG, WebP, HEIC, AVIF, "
                             "TIFF, GIF, BMP, TGA, PSD, PIC and PNM)");
    static const char text[] = "plain words";
    assert_int_equal(kq_image_load_memory((const unsigned char *)text,
                                          sizeof text - 1, &lo, &img, err,
                                          sizeof err),
                     KQ_ERR_INPUT_FORMAT);
    assert_non_null(strstr(err, "not a supported image ("));
}

/* ---- compressed BMPs ---- */

#define BMP_START 34 /* file header (14) and info header to compression */

static void put_le32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

/* The first BMP_START bytes of a 2x2 8-bit BMP whose info header is
 * header_size bytes long and says compression. */
static void bmp_start(unsigned char *bmp, uint32_t header_size,
                      uint32_t compression)
{
    memset(bmp, 0, BMP_START);
    memcpy(bmp, "BM", 2);
    put_le32(bmp + 14, header_size);
    put_le32(bmp + 18, 2); /* width */
    put_le32(bmp + 22, 2); /* height */
    bmp[26] = 1;           /* planes */
    bmp[28] = 8;           /* bits per pixel */
    put_le32(bmp + 30, compression);
}

static const char *bmp_named(uint32_t header_size, uint32_t compression)
{
    unsigned char bmp[BMP_START];
    bmp_start(bmp, header_size, compression);
    return kq_sniff_unsupported(bmp, sizeof bmp);
}

static void compressed_bmps_are_named(void **state)
{
    (void)state;
    static const uint32_t windows_sizes[] = {40, 52, 56, 108, 124};
    for (size_t i = 0; i < sizeof windows_sizes / sizeof *windows_sizes;
         i++) {
        uint32_t size = windows_sizes[i];
        assert_named(bmp_named(size, 1), "a BMP compressed with RLE8");
        assert_named(bmp_named(size, 2), "a BMP compressed with RLE4");
        assert_named(bmp_named(size, 4), "a JPEG inside a BMP");
        assert_named(bmp_named(size, 5), "a PNG inside a BMP");
    }
    /* OS/2 2.x's 64-byte header: 3 and 4 mean other codings */
    assert_named(bmp_named(64, 1), "a BMP compressed with RLE8");
    assert_named(bmp_named(64, 2), "a BMP compressed with RLE4");
    assert_named(bmp_named(64, 3), "a BMP compressed with Huffman 1D");
    assert_named(bmp_named(64, 4), "a BMP compressed with RLE24");
}

static void uncompressed_and_unlikely_bmps_are_not_named(void **state)
{
    (void)state;
    assert_null(bmp_named(40, 0));   /* uncompressed: stb_image reads it */
    assert_null(bmp_named(124, 3));  /* bit fields: read too */
    assert_null(bmp_named(12, 1));   /* OS/2 1.x: no compression field */
    assert_null(bmp_named(41, 1));   /* no BMP has that header */
    assert_null(bmp_named(124, 99)); /* no such compression */
    /* every header cut short, each in a buffer of just its length */
    unsigned char rle8[BMP_START];
    bmp_start(rle8, 40, 1);
    for (size_t n = 0; n < BMP_START; n++) {
        unsigned char *copy = malloc(n ? n : 1);
        assert_non_null(copy);
        memcpy(copy, rle8, n);
        assert_null(kq_sniff_unsupported(copy, n));
        free(copy);
    }
}

static void compressed_bmp_message_says_what_is_read(void **state)
{
    (void)state;
    unsigned char bmp[BMP_START];
    bmp_start(bmp, 124, 1);
    assert_string_equal(kq_sniff_reads_instead(bmp, sizeof bmp),
                        "uncompressed BMPs");
    bmp_start(bmp, 124, 0);
    assert_string_equal(kq_sniff_reads_instead(bmp, sizeof bmp),
                        "PNG, JPEG, WebP, HEIC, AVIF, TIFF, GIF, BMP, TGA, "
                        "PSD, PIC and PNM");
    /* a whole 2x2 RLE8 BMP (blue row, red row), as ImageMagick's
     * palette BMPs are compressed, through the loader */
    static const unsigned char rle8[] =
        "BM\x46\0\0\0\0\0\0\0\x3e\0\0\0"      /* file header */
        "\x28\0\0\0\x02\0\0\0\x02\0\0\0\x01\0\x08\0" /* 40, 2x2, 8 bit */
        "\x01\0\0\0\x08\0\0\0\x13\x0b\0\0\x13\x0b\0\0" /* RLE8 */
        "\x02\0\0\0\0\0\0\0"                     /* two colours */
        "\0\0\xff\0\xff\0\0\0"                   /* red, blue */
        "\x02\0\0\0\x02\x01\0\x01";              /* rows, end */
    kq_load_options lo;
    kq_load_options_default(&lo);
    kq_image img = {0};
    char err[256];
    assert_int_equal(kq_image_load_memory(rle8, sizeof rle8 - 1, &lo, &img,
                                          err, sizeof err),
                     KQ_ERR_INPUT_FORMAT);
    assert_string_equal(err, "not a supported image: a BMP compressed with "
                             "RLE8 (kquant reads uncompressed BMPs)");
    assert_null(img.rgb);
}

#define READABLE(literal)                                                 \
    kq_sniff_readable((const unsigned char *)(literal), sizeof(literal) - 1)

static void readable_formats_are_named(void **state)
{
    (void)state;
    assert_named(READABLE("\x89PNG\r\n\x1a\n"), "a PNG file");
    assert_named(READABLE("\xFF\xD8\xFF"), "a JPEG file");
    assert_named(READABLE("GIF87a"), "a GIF file");
    assert_named(READABLE("GIF89a\x01\x00"), "a GIF file");
    assert_named(READABLE("8BPS\0\x01"), "a PSD file");
    /* too short, or magic that plain text also starts with */
    assert_null(READABLE("\x89PNG\r\n\x1a"));
    assert_null(READABLE("\xFF\xD8"));
    assert_null(READABLE("GIF8"));
    assert_null(READABLE("BMW and others"));
    assert_null(READABLE("P6 is a paper size"));
    assert_null(READABLE("RIFF\x1a\0\0\0WEBPVP8L"));
    assert_null(kq_sniff_readable(NULL, 0));
}

/* A JPEG cut before its frame header (here inside a long comment, as
 * inside EXIF or ICC data) and a PNG cut inside its IHDR chunk. */
static void cut_headers_are_called_truncated(void **state)
{
    (void)state;
    static unsigned char jpeg[64] = {0xFF, 0xD8, 0xFF, 0xFE, 0x10, 0x00};
    static const unsigned char png[] = "\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0";
    kq_load_options lo;
    kq_load_options_default(&lo);
    kq_image img = {0};
    char err[256];
    assert_int_equal(kq_image_load_memory(jpeg, sizeof jpeg, &lo, &img, err,
                                          sizeof err),
                     KQ_ERR_INPUT_FORMAT);
    assert_string_equal(err, "corrupt or truncated image (a JPEG file whose "
                             "header cannot be read)");
    assert_int_equal(kq_image_load_memory(png, sizeof png - 1, &lo, &img,
                                          err, sizeof err),
                     KQ_ERR_INPUT_FORMAT);
    assert_string_equal(err, "corrupt or truncated image (a PNG file whose "
                             "header cannot be read)");
    assert_null(img.rgb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(image_formats_stb_cannot_read_are_named),
        cmocka_unit_test(text_formats_are_named),
        cmocka_unit_test(decodable_and_unknown_data_are_not_named),
        cmocka_unit_test(short_inputs_are_read_safely),
        cmocka_unit_test(loader_names_the_format),
        cmocka_unit_test(readable_formats_are_named),
        cmocka_unit_test(cut_headers_are_called_truncated),
        cmocka_unit_test(compressed_bmps_are_named),
        cmocka_unit_test(uncompressed_and_unlikely_bmps_are_not_named),
        cmocka_unit_test(compressed_bmp_message_says_what_is_read),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
