/* webp.c - WebP images through Debian's libwebp: still ones (lossy and
 * lossless, with or without alpha), the format image CDNs serve, so --url
 * meets it often; an animated one is read by its first frame, as stb_image
 * reads a GIF (libwebpdemux composites the frame onto the canvas). */
#include "kq_internal.h"

#include <stdlib.h>
#include <string.h>

#include <webp/decode.h>
#include <webp/demux.h>

bool kq_webp_is(const unsigned char *data, size_t len)
{
    return len >= 12 && memcmp(data, "RIFF", 4) == 0 &&
           memcmp(data + 8, "WEBP", 4) == 0;
}

/* The header parse allocates nothing: for an animation, features give the
 * canvas size, which check_header compares with --max-pixels before
 * kq_webp_decode lets libwebp allocate the canvas. */
kq_status kq_webp_info(const unsigned char *data, size_t len, int *width,
                       int *height, char *err, size_t err_len)
{
    WebPBitstreamFeatures features;
    if (WebPGetFeatures(data, len, &features) != VP8_STATUS_OK)
        return kq_fail(KQ_ERR_INPUT_FORMAT, err, err_len,
                       "corrupt or truncated image (a WebP file whose "
                       "header cannot be read)");
    *width = features.width;
    *height = features.height;
    return KQ_OK;
}

static kq_status undecodable(char *err, size_t err_len)
{
    return kq_fail(KQ_ERR_INPUT_FORMAT, err, err_len,
                   "corrupt or truncated image (a WebP file libwebp cannot "
                   "decode)");
}

/* A still image, decoded straight into a new buffer of comp channels. */
static kq_status decode_still(const unsigned char *data, size_t len,
                              int width, int height, int comp,
                              unsigned char **px_out, char *err,
                              size_t err_len)
{
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
        return undecodable(err, err_len);
    }
    *px_out = px;
    return KQ_OK;
}

/* libwebp's animation decoder on data, asked for unmultiplied RGBA so that
 * alpha meets the background later exactly as every other format's does;
 * NULL when data is not a readable animation. */
static WebPAnimDecoder *open_animation(const unsigned char *data, size_t len)
{
    WebPAnimDecoderOptions options;
    if (!WebPAnimDecoderOptionsInit(&options))
        return NULL;
    options.color_mode = MODE_RGBA;
    options.use_threads = 0; /* one frame: a thread would only cost */
    WebPData webp = {.bytes = data, .size = len};
    return WebPAnimDecoderNew(&webp, &options);
}

/* The canvas (the decoder's) with the first frame composited onto it, if
 * the canvas has the size the header gave; NULL otherwise. */
static const uint8_t *first_frame_canvas(WebPAnimDecoder *decoder, int width,
                                         int height)
{
    WebPAnimInfo info;
    uint8_t *canvas = NULL;
    int timestamp;
    if (!WebPAnimDecoderGetInfo(decoder, &info) ||
        info.canvas_width != (uint32_t)width ||
        info.canvas_height != (uint32_t)height ||
        !WebPAnimDecoderGetNext(decoder, &canvas, &timestamp))
        return NULL;
    return canvas;
}

/* An animation's first frame as it shows, on a canvas of width x height
 * that starts transparent; copied, as the canvas dies with the decoder. */
static kq_status decode_first_frame(const unsigned char *data, size_t len,
                                    int width, int height,
                                    unsigned char **px_out, char *err,
                                    size_t err_len)
{
    WebPAnimDecoder *decoder = open_animation(data, len);
    if (!decoder)
        return undecodable(err, err_len);
    const uint8_t *canvas = first_frame_canvas(decoder, width, height);
    size_t bytes = (size_t)width * (size_t)height * 4; /* sizes checked */
    unsigned char *px = canvas ? malloc(bytes) : NULL;
    if (px)
        memcpy(px, canvas, bytes);
    WebPAnimDecoderDelete(decoder);
    if (!canvas)
        return undecodable(err, err_len);
    if (!px)
        return kq_fail(KQ_ERR_NOMEM, err, err_len, "out of memory");
    *px_out = px;
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
    int comp = features.has_animation || features.has_alpha ? 4 : 3;
    kq_status st =
        features.has_animation
            ? decode_first_frame(data, len, width, height, px_out, err,
                                 err_len)
            : decode_still(data, len, width, height, comp, px_out, err,
                           err_len);
    if (st == KQ_OK)
        *comp_out = comp;
    return st;
}

unsigned char *kq_webp_icc_profile(const unsigned char *data, size_t len,
                                   size_t *icc_len)
{
    WebPData webp = {.bytes = data, .size = len};
    WebPDemuxer *demux = WebPDemux(&webp);
    WebPChunkIterator chunk;
    unsigned char *copy = NULL;
    *icc_len = 0;
    if (demux && WebPDemuxGetChunk(demux, "ICCP", 1, &chunk)) {
        if (chunk.chunk.size > 0 && (copy = malloc(chunk.chunk.size))) {
            memcpy(copy, chunk.chunk.bytes, chunk.chunk.size);
            *icc_len = chunk.chunk.size;
        }
        WebPDemuxReleaseChunkIterator(&chunk);
    }
    WebPDemuxDelete(demux);
    return copy;
}
