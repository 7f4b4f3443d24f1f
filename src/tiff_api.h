/* tiff_api.h - the libtiff functions tiff.c calls, found at run time
 * (tiff_load.c). */
#ifndef KQ_TIFF_API_H
#define KQ_TIFF_API_H

#include <tiffio.h>

typedef struct {
    TIFFOpenOptions *(*open_options_alloc)(void);
    void (*open_options_free)(TIFFOpenOptions *opts);
    void (*open_options_set_max_single_mem_alloc)(TIFFOpenOptions *opts,
                                                  tmsize_t max);
    void (*open_options_set_error_handler)(TIFFOpenOptions *opts,
                                           TIFFErrorHandlerExtR handler,
                                           void *user_data);
    void (*open_options_set_warning_handler)(TIFFOpenOptions *opts,
                                             TIFFErrorHandlerExtR handler,
                                             void *user_data);
    TIFF *(*client_open)(const char *name, const char *mode, thandle_t data,
                         TIFFReadWriteProc read, TIFFReadWriteProc write,
                         TIFFSeekProc seek, TIFFCloseProc close,
                         TIFFSizeProc size, TIFFMapFileProc map,
                         TIFFUnmapFileProc unmap, TIFFOpenOptions *opts);
    void (*close)(TIFF *tif);
    int (*get_field_defaulted)(TIFF *tif, uint32_t tag, ...);
    int (*get_field)(TIFF *tif, uint32_t tag, ...);
    int (*rgba_image_ok)(TIFF *tif, char emsg[1024]);
    int (*rgba_image_begin)(TIFFRGBAImage *img, TIFF *tif, int stop_on_error,
                            char emsg[1024]);
    int (*rgba_image_get)(TIFFRGBAImage *img, uint32_t *raster, uint32_t w,
                          uint32_t h);
    void (*rgba_image_end)(TIFFRGBAImage *img);
} kq_tiff_api;

/* libtiff's functions, opened on the first call (thread-safe); NULL with
 * *why (if given) saying why when libtiff cannot be loaded. */
const kq_tiff_api *kq_tiff(const char **why);

#endif
