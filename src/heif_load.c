/* heif_load.c - libheif, loaded when a HEIC or AVIF image first needs it.
 *
 * Linking libheif made every run load its codecs (x265, libde265, aom,
 * dav1d) and the C++ runtime before main(): a program doing nothing took
 * 8.9 ms to start instead of 1.4 ms, where a whole run on the tutorial's
 * photo takes about 25 ms. Only HEIF files need it, so it is opened then,
 * by its soname (Debian's libheif1; libheif-dev gives the headers), as
 * curl_load.c does for libcurl. */
#include "heif_api.h"

#include "kq_internal.h"

#include <dlfcn.h>
#include <stdio.h>

#define HEIF_SONAME "libheif.so.1"

static kq_heif_api api;

/* POSIX's way to turn dlsym's object pointer into a function pointer. */
#define FIND(field, name) (*(void **)&api.field = dlsym(lib, name)) != NULL

static bool find_all(void *lib)
{
    return FIND(init, "heif_init") &&
           FIND(context_alloc, "heif_context_alloc") &&
           FIND(context_free, "heif_context_free") &&
           FIND(context_read_from_memory_without_copy,
                "heif_context_read_from_memory_without_copy") &&
           FIND(context_get_primary_image_handle,
                "heif_context_get_primary_image_handle") &&
           FIND(image_handle_release, "heif_image_handle_release") &&
           FIND(image_handle_get_width, "heif_image_handle_get_width") &&
           FIND(image_handle_get_height, "heif_image_handle_get_height") &&
           FIND(image_handle_has_alpha_channel,
                "heif_image_handle_has_alpha_channel") &&
           FIND(image_handle_get_raw_color_profile_size,
                "heif_image_handle_get_raw_color_profile_size") &&
           FIND(image_handle_get_raw_color_profile,
                "heif_image_handle_get_raw_color_profile") &&
           FIND(image_handle_get_nclx_color_profile,
                "heif_image_handle_get_nclx_color_profile") &&
           FIND(nclx_color_profile_free, "heif_nclx_color_profile_free") &&
           FIND(decoding_options_alloc, "heif_decoding_options_alloc") &&
           FIND(decoding_options_free, "heif_decoding_options_free") &&
           FIND(decode_image, "heif_decode_image") &&
           FIND(image_get_width, "heif_image_get_width") &&
           FIND(image_get_height, "heif_image_get_height") &&
           FIND(image_get_plane_readonly, "heif_image_get_plane_readonly") &&
           FIND(image_release, "heif_image_release");
}

/* libheif's decoder plugins, once. */
static bool start_heif(char *why, size_t why_len)
{
    struct heif_error e = api.init(NULL);
    if (e.code == heif_error_Ok)
        return true;
    snprintf(why, why_len, "%s", e.message);
    return false;
}

static kq_lazy_library library =
    KQ_LAZY_LIBRARY(HEIF_SONAME, find_all, start_heif);

const kq_heif_api *kq_heif(const char **why)
{
    return kq_lazy_library_ready(&library, why) ? &api : NULL;
}
