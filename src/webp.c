/* webp.c - still WebP images (lossy and lossless, with or without alpha)
 * through Debian's libwebp: the format image CDNs serve, so --url meets it
 * often. Animated WebPs are refused by name. */
#include "kq_internal.h"

#include <stdlib.h>
#include <string.h>

#include <webp/decode.h>

bool kq_webp_is(const unsigned char *data, size_t len)
{
    return len >= 12 && memcmp(data, "RIFF", 4) == 0 &&
           memcmp(data + 8, "WEBP", 4) == 0;
}

kq_status kq_webp_info(const unsigned char *data, size_t len, int *width,
                       int *height, char *err, size_t err_len)
{
    WebPBitstreamFeatures features;
    if (WebPGetFeatures(data, len, &features) != VP8_STATUS_OK)
        return kq_fail(KQ_ERR_INPUT_FORMAT, err, err_len,
                       "corrupt or truncated image (a WebP file whose "
                       "header cannot be read)");
    if (features.has_animation)
        return kq_fail(KQ_ERR_INPUT_FORMAT, err, err_len,
                       "not a supported image: an animated WebP (kquant "
                       "reads still WebP images)");
    *width = features.width;
    *height = features.height;
    return KQ_OK;
}

kq_status kq_webp_decode(const unsigned char *data, size_t len, int width,
                         int height, unsigned char **px_out, int *comp_out,
                         char *err, size_t err_len)
{
    WebPBitstreamFeatures features;
    *px_out = NULL;
    if (WebPGetFeatures(data, len, &features) != VP8_STATUS_OK ||
        features.width != width || features.height != height)
        return kq_fail(KQ_ERR_INPUT_FORMAT, err, err_len,
                       "corrupt WebP image (its header changed)");
    int comp = features.has_alpha ? 4 : 3;
    size_t stride = (size_t)width * (size_t)comp; /* sizes checked */
    size_t bytes = stride * (size_t)height;
    unsigned char *px = malloc(bytes);
    if (!px)
        return kq_fail(KQ_ERR_NOMEM, err, err_len, "out of memory");
    uint8_t *done =
        comp == 4 ? WebPDecodeRGBAInto(data, len, px, bytes, (int)stride)
                  : WebPDecodeRGBInto(data, len, px, bytes, (int)stride);
    if (!done) {
        free(px);
        return kq_fail(KQ_ERR_INPUT_FORMAT, err, err_len,
                       "corrupt or truncated image (a WebP file libwebp "
                       "cannot decode)");
    }
    *px_out = px;
    *comp_out = comp;
    return KQ_OK;
}
