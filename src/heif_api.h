/* heif_api.h - the libheif functions heif.c calls, found at run time
 * (heif_load.c). */
#ifndef KQ_HEIF_API_H
#define KQ_HEIF_API_H

#include <stdbool.h>

#include <libheif/heif.h>

typedef struct {
    struct heif_error (*init)(struct heif_init_params *params);
    struct heif_context *(*context_alloc)(void);
    void (*context_free)(struct heif_context *ctx);
    struct heif_error (*context_read_from_memory_without_copy)(
        struct heif_context *ctx, const void *mem, size_t size,
        const struct heif_reading_options *options);
    struct heif_error (*context_get_primary_image_handle)(
        struct heif_context *ctx, struct heif_image_handle **handle);
    void (*image_handle_release)(const struct heif_image_handle *handle);
    int (*image_handle_get_width)(const struct heif_image_handle *handle);
    int (*image_handle_get_height)(const struct heif_image_handle *handle);
    int (*image_handle_has_alpha_channel)(
        const struct heif_image_handle *handle);
    size_t (*image_handle_get_raw_color_profile_size)(
        const struct heif_image_handle *handle);
    struct heif_error (*image_handle_get_raw_color_profile)(
        const struct heif_image_handle *handle, void *out_data);
    struct heif_error (*image_handle_get_nclx_color_profile)(
        const struct heif_image_handle *handle,
        struct heif_color_profile_nclx **out);
    void (*nclx_color_profile_free)(struct heif_color_profile_nclx *nclx);
    struct heif_decoding_options *(*decoding_options_alloc)(void);
    void (*decoding_options_free)(struct heif_decoding_options *options);
    struct heif_error (*decode_image)(
        const struct heif_image_handle *handle, struct heif_image **out,
        enum heif_colorspace colorspace, enum heif_chroma chroma,
        const struct heif_decoding_options *options);
    int (*image_get_width)(const struct heif_image *img,
                           enum heif_channel channel);
    int (*image_get_height)(const struct heif_image *img,
                            enum heif_channel channel);
    const uint8_t *(*image_get_plane_readonly)(const struct heif_image *img,
                                               enum heif_channel channel,
                                               int *stride);
    void (*image_release)(const struct heif_image *img);
} kq_heif_api;

/* libheif's functions, opened and initialised on the first call
 * (thread-safe); NULL with *why (if given) saying why when libheif cannot
 * be loaded. */
const kq_heif_api *kq_heif(const char **why);

#endif
