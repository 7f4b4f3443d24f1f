/* tiff_load.c - libtiff, loaded when a TIFF image first needs it.
 *
 * Linking libtiff loads its codecs' libraries before main() on every run,
 * among them the C++ runtime (for LERC): `kquant --version` took 4.0-4.5
 * ms instead of 2.3-2.4 ms (perf stat -r 100), where a whole run on the
 * tutorial's photo takes about 25 ms. Only TIFF files need it, so it is
 * opened then, by its soname (Debian's libtiff6; libtiff-dev gives the
 * headers), as heif_load.c does for libheif. */
#include "tiff_api.h"

#include "kq_internal.h"

#include <dlfcn.h>

#define TIFF_SONAME "libtiff.so.6"

static kq_tiff_api api;

/* POSIX's way to turn dlsym's object pointer into a function pointer. */
#define FIND(field, name) (*(void **)&api.field = dlsym(lib, name)) != NULL

static bool find_all(void *lib)
{
    return FIND(open_options_alloc, "TIFFOpenOptionsAlloc") &&
           FIND(open_options_free, "TIFFOpenOptionsFree") &&
           FIND(open_options_set_max_single_mem_alloc,
                "TIFFOpenOptionsSetMaxSingleMemAlloc") &&
           FIND(open_options_set_error_handler,
                "TIFFOpenOptionsSetErrorHandlerExtR") &&
           FIND(open_options_set_warning_handler,
                "TIFFOpenOptionsSetWarningHandlerExtR") &&
           FIND(client_open, "TIFFClientOpenExt") &&
           FIND(close, "TIFFClose") &&
           FIND(get_field_defaulted, "TIFFGetFieldDefaulted") &&
           FIND(get_field, "TIFFGetField") &&
           FIND(rgba_image_ok, "TIFFRGBAImageOK") &&
           FIND(rgba_image_begin, "TIFFRGBAImageBegin") &&
           FIND(rgba_image_get, "TIFFRGBAImageGet") &&
           FIND(rgba_image_end, "TIFFRGBAImageEnd");
}

static kq_lazy_library library = KQ_LAZY_LIBRARY(TIFF_SONAME, find_all, NULL);

const kq_tiff_api *kq_tiff(const char **why)
{
    return kq_lazy_library_ready(&library, why) ? &api : NULL;
}
