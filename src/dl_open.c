/* dl_open.c - opening a library by its soname when a feature first needs
 * it (curl_load.c, heif_load.c), so that its dependencies do not load on
 * every run. */
#include "kq_internal.h"

#include <dlfcn.h>
#include <stdio.h>

void *kq_dl_open(const char *soname, bool (*find_all)(void *lib),
                 char *why, size_t why_len)
{
    void *lib = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (lib && find_all(lib))
        return lib; /* stays open: the library's state lives in it */
    snprintf(why, why_len, "%s", dlerror());
    return NULL; /* one opened without every function stays open too */
}
