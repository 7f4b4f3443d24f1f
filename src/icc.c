/* icc.c - colours as they are meant: an image whose embedded ICC profile
 * is not sRGB (a phone's Display P3, a camera's Adobe RGB) has its pixels
 * turned into sRGB after decoding, as browsers and viewers show them, so
 * that the centroids, their hex codes and the recoloured PNG (which
 * carries no profile) mean the colours the photo shows. The conversion is
 * Little CMS's (Debian's liblcms2), perceptual intent. Profiles that are
 * sRGB already leave the pixels alone, byte for byte: most cameras tag
 * their JPEGs sRGB, and those must give what an untagged copy gives. */
#include "kq_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lcms2.h>

struct kq_srgb_transform {
    cmsHTRANSFORM transform;
    char description[sizeof ((kq_image *)0)->color_profile];
};

/* Levels 0, 16, ..., 240, 255 on each channel: 17^3 probe colours, enough
 * to tell a profile that moves colours from one that does not. */
#define PROBE_LEVELS 17
#define PROBE_COLOURS (PROBE_LEVELS * PROBE_LEVELS * PROBE_LEVELS)

static unsigned char probe_level(int i)
{
    return (unsigned char)(i == PROBE_LEVELS - 1 ? 255 : 16 * i);
}

/* Whether the transform keeps every probe colour within one level. */
static bool moves_nothing(cmsHTRANSFORM transform)
{
    unsigned char in[PROBE_COLOURS][3], out[PROBE_COLOURS][3]; /* 29 KB */
    int n = 0;
    for (int r = 0; r < PROBE_LEVELS; r++)
        for (int g = 0; g < PROBE_LEVELS; g++)
            for (int b = 0; b < PROBE_LEVELS; b++, n++) {
                in[n][0] = probe_level(r);
                in[n][1] = probe_level(g);
                in[n][2] = probe_level(b);
            }
    cmsDoTransform(transform, in, out, PROBE_COLOURS);
    for (int i = 0; i < PROBE_COLOURS; i++)
        for (int c = 0; c < 3; c++)
            if (abs(in[i][c] - out[i][c]) > 1)
                return false;
    return true;
}

static unsigned char *embedded_profile(const unsigned char *data, size_t len,
                                       size_t *icc_len)
{
    *icc_len = 0;
    if (kq_jpeg_is(data, len))
        return kq_jpeg_icc_profile(data, len, icc_len);
    if (kq_png_is(data, len))
        return kq_png_icc_profile(data, len, icc_len);
    if (kq_webp_is(data, len))
        return kq_webp_icc_profile(data, len, icc_len);
    if (kq_heif_is(data, len))
        return kq_heif_icc_profile(data, len, icc_len);
    if (kq_tiff_is(data, len))
        return kq_tiff_icc_profile(data, len, icc_len);
    return NULL;
}

/* The curve from encoded values to linear light. */
static cmsToneCurve *transfer_curve(kq_transfer transfer)
{
    if (transfer == KQ_TRANSFER_LINEAR)
        return cmsBuildGamma(NULL, 1.0);
    /* lcms's type 4: Y = (aX + b)^g above d, cX below */
    static const double srgb[5] = {2.4, 1 / 1.055, 0.055 / 1.055,
                                   1 / 12.92, 0.04045};
    static const double bt709[5] = {1 / 0.45, 1 / 1.099, 0.099 / 1.099,
                                    1 / 4.5, 0.081};
    return cmsBuildParametricToneCurve(
        NULL, 4, transfer == KQ_TRANSFER_BT709 ? bt709 : srgb);
}

/* profile's description tag set to text (en-US). */
static bool set_description(cmsHPROFILE profile, const char *text)
{
    cmsMLU *mlu = cmsMLUalloc(NULL, 1);
    bool ok = mlu && cmsMLUsetASCII(mlu, "en", "US", text) &&
              cmsWriteTag(profile, cmsSigProfileDescriptionTag, mlu);
    cmsMLUfree(mlu);
    return ok;
}

/* The profile's bytes, in a new buffer (free()). */
static unsigned char *saved(cmsHPROFILE profile, size_t *len)
{
    cmsUInt32Number size = 0;
    unsigned char *bytes = NULL;
    if (cmsSaveProfileToMem(profile, NULL, &size) && size > 0 &&
        (bytes = malloc(size)) != NULL &&
        !cmsSaveProfileToMem(profile, bytes, &size)) {
        free(bytes);
        bytes = NULL;
    }
    *len = bytes ? size : 0;
    return bytes;
}

unsigned char *kq_icc_profile_for(const kq_colour_space *space,
                                  size_t *icc_len)
{
    cmsCIExyY white = {space->white[0], space->white[1], 1.0};
    cmsCIExyYTRIPLE primaries = {{space->red[0], space->red[1], 1.0},
                                 {space->green[0], space->green[1], 1.0},
                                 {space->blue[0], space->blue[1], 1.0}};
    cmsToneCurve *curve = transfer_curve(space->transfer);
    cmsToneCurve *curves[3] = {curve, curve, curve};
    cmsHPROFILE profile =
        curve ? cmsCreateRGBProfile(&white, &primaries, curves) : NULL;
    unsigned char *icc = NULL;
    *icc_len = 0;
    if (profile && set_description(profile, space->description))
        icc = saved(profile, icc_len);
    if (profile)
        cmsCloseProfile(profile);
    if (curve)
        cmsFreeToneCurve(curve);
    return icc;
}

/* The profile's English description for the summary, cut to printable
 * ASCII: it comes from the file, and must not steer a terminal. */
static void describe(cmsHPROFILE profile, char *out, size_t size)
{
    if (cmsGetProfileInfoASCII(profile, cmsInfoDescription, "en", "US", out,
                               (cmsUInt32Number)size) == 0)
        out[0] = '\0';
    kq_keep_printable(out);
    if (out[0] == '\0')
        snprintf(out, size, "an RGB profile");
}

/* The transform from an RGB profile to sRGB, its description in t; NULL
 * for anything else. */
static cmsHTRANSFORM transform_from(const unsigned char *icc, size_t len,
                                    kq_srgb_transform *t)
{
    if (!icc || len == 0 || len > UINT32_MAX)
        return NULL;
    cmsHPROFILE source = cmsOpenProfileFromMem(icc, (cmsUInt32Number)len);
    if (!source)
        return NULL;
    cmsHTRANSFORM transform = NULL;
    if (cmsGetColorSpace(source) == cmsSigRgbData) {
        cmsHPROFILE srgb = cmsCreate_sRGBProfile();
        /* no cache: its one remembered pixel is all that threads sharing
         * the transform would write */
        if (srgb)
            transform =
                cmsCreateTransform(source, TYPE_RGB_8, srgb, TYPE_RGB_8,
                                   INTENT_PERCEPTUAL, cmsFLAGS_NOCACHE);
        cmsCloseProfile(srgb);
        describe(source, t->description, sizeof t->description);
    }
    cmsCloseProfile(source);
    return transform;
}

kq_srgb_transform *kq_srgb_transform_for(const unsigned char *data,
                                         size_t len)
{
    kq_srgb_transform found = {0};
    size_t icc_len;
    unsigned char *icc = embedded_profile(data, len, &icc_len);
    found.transform = transform_from(icc, icc_len, &found);
    free(icc);
    if (!found.transform)
        return NULL;
    kq_srgb_transform *t = NULL;
    if (moves_nothing(found.transform) || !(t = malloc(sizeof *t))) {
        cmsDeleteTransform(found.transform);
        return NULL;
    }
    *t = found;
    return t;
}

/* Rows per task: a task is about 1 MB of pixels at 12 MP. */
#define ROWS_PER_TASK 64

typedef struct {
    cmsHTRANSFORM transform;
    kq_image *img;
} band_job;

static void convert_band(void *ctx, size_t task)
{
    const band_job *job = ctx;
    size_t stride = (size_t)job->img->width * 3;
    int first = (int)task * ROWS_PER_TASK;
    int end = first + ROWS_PER_TASK < job->img->height
                  ? first + ROWS_PER_TASK
                  : job->img->height;
    /* row by row: lcms counts pixels in 32 bits */
    for (int y = first; y < end; y++) {
        unsigned char *row = job->img->rgb + (size_t)y * stride;
        cmsDoTransform(job->transform, row, row,
                       (cmsUInt32Number)job->img->width);
    }
}

void kq_srgb_apply(const kq_srgb_transform *t, kq_image *img, int threads)
{
    band_job job = {t->transform, img};
    size_t bands = ((size_t)img->height + ROWS_PER_TASK - 1) / ROWS_PER_TASK;
    kq_pool *pool = NULL;
    if (bands > 1 && threads != 1 && kq_pool_create(threads, &pool) != KQ_OK)
        pool = NULL; /* one thread does it all */
    kq_pool_run(pool, bands, convert_band, &job);
    kq_pool_free(pool);
    memcpy(img->color_profile, t->description, sizeof img->color_profile);
}

void kq_srgb_transform_free(kq_srgb_transform *t)
{
    if (!t)
        return;
    cmsDeleteTransform(t->transform);
    free(t);
}
