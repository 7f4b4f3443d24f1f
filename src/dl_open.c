/* dl_open.c - opening a library by its soname when a feature first needs
 * it (curl_load.c, heif_load.c, tiff_load.c), so that its dependencies do
 * not load on every run. */
#include "kq_internal.h"

#include <dlfcn.h>
#include <stdio.h>

/* dlopen()s lib and lets it look its functions up and start. */
static bool open_and_start(kq_lazy_library *lib)
{
    void *handle = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
    if (!handle || !lib->find_all(handle)) {
        snprintf(lib->why, sizeof lib->why, "%s", dlerror());
        return false; /* one opened without every function stays open */
    }
    /* stays open: the library's state lives in it */
    return !lib->start || lib->start(lib->why, sizeof lib->why);
}

bool kq_lazy_library_ready(kq_lazy_library *lib, const char **why)
{
    pthread_mutex_lock(&lib->lock);
    if (lib->state == 0)
        lib->state = open_and_start(lib) ? 1 : -1;
    bool ready = lib->state == 1;
    pthread_mutex_unlock(&lib->lock);
    if (!ready && why)
        *why = lib->why;
    return ready;
}
