/* kq_icc_fixture - writes an image with an embedded colour profile for the
 * CLI tests: kq_icc_fixture PROFILE IN OUT, PROFILE one of
 * icc_fixture_profile's names (or "none"), IN any image stb_image reads,
 * OUT a .jpg, .png, .webp, .heic, .avif or .tif file (a .tif is LZW
 * strips; with TIFF_ORIENTATION set in the environment, tagged with that
 * orientation). */
#include "icc_fixtures.h"
#include "tiff_fixtures.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stb_image.h>
#include <tiffio.h>

static unsigned char *tiff(const unsigned char *rgb, int w, int h,
                           const unsigned char *icc, size_t icc_len,
                           size_t *len)
{
    const char *orientation = getenv("TIFF_ORIENTATION");
    tiff_fixture_spec spec = {.width = w, .height = h, .samples = 3,
                              .bits = 8, .pixels = rgb, .icc = icc,
                              .icc_len = icc_len,
                              .compression = COMPRESSION_LZW,
                              .orientation = orientation ? atoi(orientation)
                                                         : 0};
    return tiff_fixture(&spec, len);
}

static unsigned char *encode(const char *out_path, const unsigned char *rgb,
                             int w, int h, const unsigned char *icc,
                             size_t icc_len, size_t *len)
{
    const char *dot = strrchr(out_path, '.');
    if (dot && strcmp(dot, ".png") == 0)
        return icc_fixture_png(rgb, w, h, icc, icc_len, len);
    if (dot && strcmp(dot, ".webp") == 0)
        return icc_fixture_webp(rgb, w, h, icc, icc_len, len);
    if (dot && strcmp(dot, ".tif") == 0)
        return tiff(rgb, w, h, icc, icc_len, len);
    if (dot && (strcmp(dot, ".heic") == 0 || strcmp(dot, ".avif") == 0))
        return icc_fixture_heif(rgb, w, h, icc, icc_len,
                                strcmp(dot, ".avif") == 0, len);
    return icc_fixture_jpeg(rgb, w, h, icc, icc_len, len);
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: kq_icc_fixture PROFILE IN OUT\n");
        return 2;
    }
    size_t icc_len = 0, len = 0;
    unsigned char *icc = strcmp(argv[1], "none") == 0
                             ? NULL
                             : icc_fixture_profile(argv[1], &icc_len);
    int w, h, comp;
    unsigned char *rgb = stbi_load(argv[2], &w, &h, &comp, 3);
    unsigned char *file =
        rgb && (icc || strcmp(argv[1], "none") == 0)
            ? encode(argv[3], rgb, w, h, icc, icc_len, &len)
            : NULL;
    FILE *out = file ? fopen(argv[3], "wb") : NULL;
    int ok = out && fwrite(file, 1, len, out) == len;
    if (out && fclose(out) != 0)
        ok = 0;
    if (!ok)
        fprintf(stderr, "kq_icc_fixture: cannot make %s\n", argv[3]);
    free(icc);
    free(file);
    stbi_image_free(rgb);
    return ok ? 0 : 1;
}
